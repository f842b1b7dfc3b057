-- expect: 'getmetatable'
getmetatable("").__index.rep = nil
