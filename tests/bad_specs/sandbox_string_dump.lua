-- expect: :2: 'string.dump' is not available in specs
string.dump(function() end)
