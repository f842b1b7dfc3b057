-- expect: attempt to index
local t = nil
return t.x
