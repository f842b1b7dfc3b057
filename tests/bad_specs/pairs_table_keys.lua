-- expect: has no iteration order
-- table keys have no order that is the same in every run
local t = {[{}]=1, [{}]=2}
for k in pairs(t) do end
return {kernel="myo", name="q", arity=4, depth=3, state=4}
