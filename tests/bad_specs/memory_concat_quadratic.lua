-- expect: memory limit
-- (a string grown a few bytes at a time: little memory, few instructions,
-- but each step copies it all: the total of allocations stops it)
local s = "x"
while true do s = #s .. s end
