-- expect: 'xpcall'
xpcall(function() end, print)
