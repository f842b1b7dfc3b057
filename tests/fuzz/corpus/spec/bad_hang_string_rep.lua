-- expect: limit
-- an empty string repeated: a C loop with no allocation
local s = string.rep("", math.maxinteger)
return {kernel="myo", name="quad", arity=4, depth=3, state=4}
