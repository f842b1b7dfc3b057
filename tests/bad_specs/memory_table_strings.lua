-- expect: memory limit
local t = {}
for i = 1, 1e9 do t[#t + 1] = string.rep("y", 1000) .. i end
