-- expect: %p
-- an address differs between runs
local n = string.format("%p", {})
return {kernel="myo", name="q", arity=4, depth=3, state=4}
