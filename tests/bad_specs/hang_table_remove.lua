-- expect: limit
-- removing from the front shifts in C: charged per element
local t = {}
for i = 1, 1e6 do t[i] = i end
for i = 1, 1e6 do table.remove(t, 1) end
return {kernel="myo", name="q", arity=4, depth=3, state=4}
