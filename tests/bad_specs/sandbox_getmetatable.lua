-- expect: :2: 'getmetatable' is not available in specs
getmetatable("").__index.rep = nil
