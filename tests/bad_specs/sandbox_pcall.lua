-- expect: :2: 'pcall' is not available in specs
pcall(function() while true do end end)
