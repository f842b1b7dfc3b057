-- How a myo spec is computed: which algorithm the spec allows (DESIGN.md 6.1
-- performance notes), the lane layout, tile sizes, and threading.
local tree = require "lib.tree"

return function(spec)
  local V = require("isa." .. spec.target)(spec.dtype)
  local t = tree.new(spec.arity, spec.depth)
  local siso = spec.readout == "siso"
  local passes = {}
  for _, pass in ipairs(spec.passes) do passes[pass] = true end
  local p = {
    isa = V,
    tree = t,
    siso = siso,
    chain = spec.arity == 1,
    input = spec.share == "input", -- parameters per batch element
    real = spec.dtype == "f32" and "float" or "double",
    size = spec.dtype == "f32" and 4 or 8,
    N = spec.state,
    P = spec.share == "level" and (spec.depth + 1) or t.V,
    W = V.lanes,
    forward = passes.forward,
    backward = passes.backward,
    openmp = spec.threads == "openmp",
  }
  if spec.share == "level" and siso and not p.chain then
    -- every vertex of a level is alike: y is a weighted sum of nested block
    -- sums of u, one streaming pass per channel tile (memory-bound).
    p.path = "level_sums"
    p.TC = 128 // p.size -- channels per tile: two cache lines of each row
  else
    p.path = p.chain and "chain" or "tree"
  end
  -- The solves work on lanes, the contiguous axis of u: channels (siso, N
  -- states per lane) or channel*state pairs (none: the diag system is N
  -- scalar systems).
  p.NS = siso and p.N or 1
  -- lanes per group: at least two cache lines of state per vertex
  p.TL = p.W * math.max(1, 128 // (p.NS * p.W * p.size))
  p.REC = 3 * p.NS * p.TL -- per parameter set: three slots of [NS][TL]
  p.IOREC = (2 * p.NS + 1) * p.TL -- Bin, Cout, D in lane layout
  p.NCH = math.min(p.NS, 8) -- register blocking of the unrolled state loop
  return p
end
