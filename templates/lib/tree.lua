-- Complete k-ary tree of DESIGN.md 6.1: levels 0 (root) .. d (leaves),
-- level-order vertex numbers; k = 1 is the chain (every vertex a position).
local M = {}

function M.new(k, d)
  local t = { k = k, d = d, count = {}, off = {} }
  local off = 0
  for l = 0, d do
    t.count[l] = (k == 1) and 1 or math.tointeger(k ^ l)
    t.off[l] = off
    off = off + t.count[l]
  end
  t.V = off
  t.L = (k == 1) and (d + 1) or t.count[d]
  t.internal = t.off[d] -- vertices above the leaves
  return t
end

return M
