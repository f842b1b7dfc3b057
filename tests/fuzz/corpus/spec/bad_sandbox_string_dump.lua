-- expect: 'dump'
string.dump(function() end)
