-- expect: limit
-- few instructions, each a C call doing O(n) work
local t = {}
for i = 1, 1e6 do t[i] = i end
for i = 1, 1e6 do table.insert(t, 1, 0) end
return {kernel="myo", name="quad", arity=4, depth=3, state=4}
