-- expect: memory limit
local s = string.rep("ab", 1e8, ",")
