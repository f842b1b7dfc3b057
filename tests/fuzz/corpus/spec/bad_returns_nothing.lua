-- expect: must return a table
local spec = {kernel="myo", name="quad", arity=4, depth=3, state=4}
