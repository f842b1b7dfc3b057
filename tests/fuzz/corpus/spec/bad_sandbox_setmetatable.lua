-- expect: 'setmetatable'
setmetatable({}, {__gc = function() end})
