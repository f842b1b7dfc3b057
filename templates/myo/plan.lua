-- How a myo spec is computed: which algorithm the spec allows (DESIGN.md 6.1
-- performance notes), the lane layout, tile sizes, and the workspace layout.
local tree = require "lib.tree"

return function(spec)
  local V = require("isa." .. spec.target)(spec.dtype)
  local t = tree.new(spec.arity, spec.depth)
  local siso = spec.readout == "siso"
  local p = {
    isa = V,
    tree = t,
    siso = siso,
    real = spec.dtype == "f32" and "float" or "double",
    size = spec.dtype == "f32" and 4 or 8,
    N = spec.state,
    P = spec.share == "level" and (spec.depth + 1) or t.V,
    W = V.lanes,
  }
  if spec.share == "level" and siso and spec.arity > 1 then
    -- every vertex of a level is alike: y is a weighted sum of nested block
    -- sums of u, one streaming pass per channel tile (memory-bound).
    p.path = "level_sums"
    p.TC = 128 // p.size -- channels per tile: two cache lines of each row
  else
    p.path = spec.arity == 1 and "chain" or "tree"
    -- lanes are the contiguous axis of u: channels (siso, N states per lane)
    -- or channel*state pairs (none: the diag system is N scalar systems).
    p.NS = siso and p.N or 1
    -- lanes per group: at least two cache lines of state per vertex
    local per_vertex = p.NS * p.W * p.size
    p.TL = p.W * math.max(1, 128 // per_vertex)
    p.REC = 3 * p.NS * p.TL -- per vertex set: three slots of [NS][TL]
  end
  -- n-chunk for register blocking of the unrolled state loop
  p.NCH = math.min(p.NS or 1, 8)
  return p
end
