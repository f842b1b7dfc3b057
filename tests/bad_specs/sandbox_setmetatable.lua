-- expect: :2: 'setmetatable' is not available in specs
setmetatable({}, {__gc = function() end})
