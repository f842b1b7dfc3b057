-- expect: :2: 'xpcall' is not available in specs
xpcall(function() end, print)
