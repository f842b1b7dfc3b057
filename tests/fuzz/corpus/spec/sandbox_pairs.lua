local t = {b=1, a=2, [3]=4, [1.5]=5, [true]=6}
local ks = {}
for k, v in pairs(t) do ks[#ks+1] = tostring(k) end
local n = next(t)
return {kernel="myo", name="p"..#ks, arity=2, depth=3, state=4}
