-- How an mlr spec is computed (DESIGN.md 6.2): levels, ranks and the head-dim
-- prefix of each level, per-dimension scales, the tile grid, the register
-- blocking of the micro-kernels and the workspace layout.
--
-- Levels l = 1..Lv cut 0..T-1 into blocks of b_l = T / k^(l-1); slice l of
-- the q/k head dim is [D[l-1], D[l]) with D[l] = r_1 + ... + r_l.  A pair
-- (i, j) sharing m levels scores c(m) * sum_{l<=m} s_l q_i[l] . k_j[l], which
-- is a dot product over the prefix [0, D[m]) once s_l is folded into one
-- operand (per dimension: sc[d]) and c(m) applied per tile.
--
-- Tile grid: the deepest level whose blocks hold at least Bmax positions is
-- level Lc (block BC); every level-Lc block is cut into tiles of B positions
-- (the last one of a block may be shorter), so no tile straddles a block of
-- levels 1..Lc: a pair of tiles shares those levels for all or none of its
-- entries.  Levels below Lc are shared by parts of near-diagonal tile pairs
-- only; those pairs take a scalar fix-up.
local function lit(real, x)
  local s = string.format("%.17g", x)
  if not s:find("[.eEn]") then s = s .. ".0" end
  return "(" .. real .. ")" .. s
end

return function(spec)
  local V = require("lib.isa")(spec)
  V.prefix = spec.name
  local W = V.lanes
  local f32 = spec.dtype ~= "f64" -- (bf16, f16: f32 arithmetic)
  local real = f32 and "float" or "double"
  local p = {
    isa = V,
    W = W,
    real = real,
    size = f32 and 4 or 8,
    -- the tensors' element type (16 bits for bf16 and f16 on cuda; lse and
    -- the workspace stay in the arithmetic type)
    store = V.storage or real,
    store_size = (V.storage or real) == real and (f32 and 4 or 8) or 2,
    T = spec.seq_len,
    k = spec.arity, -- nil when the spec lists its blocks
    Lv = spec.depth,
    dv = spec.value_dim,
    causal = spec.causal,
    normalize = spec.normalize,
    -- link "identity": o_i = sum_j S_ij v_j over the unmasked j (no softmax,
    -- no lse); else the softmax
    identity = spec.link == "identity",
  }
  for _, pass in ipairs(spec.passes) do p[pass] = true end
  p.openmp = spec.threads == "openmp"
  p.gpu = V.gpu -- NAME.cl + host code (gpu_device.tmpl, gpu_host.tmpl)
  p.lit = function(x) return lit(real, x) end

  local Lv = p.Lv
  p.ranks, p.D, p.block, p.s = {}, { [0] = 0 }, {}, {}
  local b = p.T
  local listed = spec.blocks and (type(spec.blocks) == "table" and spec.blocks or { spec.blocks })
  for l = 1, Lv do
    p.ranks[l] = type(spec.state) == "table" and spec.state[l] or spec.state
    p.D[l] = p.D[l - 1] + p.ranks[l]
    p.block[l] = listed and listed[l] or b
    b = listed and b or b // p.k
    local sc = spec.scale
    if type(sc) == "table" then
      p.s[l] = sc[l]
    elseif sc == "inv_sqrt_rank" then
      p.s[l] = 1 / math.sqrt(p.ranks[l])
    else
      p.s[l] = 1 / p.ranks[l]
    end
  end
  p.R = p.D[Lv]
  -- per-dimension factor folded into k (forward: into the packed q tile):
  -- s_l, and 1/Lv for normalize = "levels"
  p.sc = {}
  for l = 1, Lv do
    for d = p.D[l - 1], p.D[l] - 1 do
      p.sc[d] = p.s[l] * (spec.normalize == "levels" and 1 / Lv or 1)
    end
  end
  -- c(m) applied per tile pair: 1/m for normalize = "shared", else 1
  p.cn = {}
  for m = 1, Lv do p.cn[m] = spec.normalize == "shared" and 1 / m or 1 end

  -- register blocking: MR broadcast rows x NV vectors of accumulators (16
  -- vector registers: 12 accumulators; 32: 24)
  if W > 1 then
    p.MR, p.NV = (V.regs or 16) >= 32 and 12 or 6, 2
  else
    p.MR, p.NV = 4, 2
  end
  p.CB = p.NV * W -- columns per register block
  -- the tiles' largest side: the tuner's knob (lib/knobs.lua) B, a multiple
  -- of the register block's columns; on GPUs the cap of the flash tiles'
  -- query side (lib/gpu_flash.lua: 64, 32, 16, 8 or 4), a multiple of 4
  p.Blim = p.gpu and 64 or 256 -- the knob's largest value (the tuner reads it)
  local knob = require("lib.knobs")("mlr", { B = p.Blim })
  if p.gpu then p.CB = 4 end -- (the step: the smallest GPU tile)
  p.Bmax = knob("B", p.gpu and 64 or ((W > 1 and f32) and 64 or 32), p.CB,
    p.gpu and "4, the smallest GPU tile" or ("columns of the " .. V.name .. " register block"))
  local Lc = 1
  for l = 2, Lv do
    if p.block[l] >= p.Bmax then Lc = l end
  end
  p.Lc, p.BC = Lc, p.block[Lc]
  p.B = math.min(p.Bmax, p.BC)
  p.TPB = (p.BC + p.B - 1) // p.B -- tiles per level-Lc block
  p.NT = p.T // p.BC * p.TPB     -- tiles
  p.BP = (p.B + p.CB - 1) // p.CB * p.CB -- a tile's padded width
  -- a fix-up is possible: levels below Lc, or causal diagonal pairs
  p.partial = Lc < Lv and p.block[Lc + 1] < p.B
  p.anyfix = p.partial or p.causal

  -- GPU tiles of the flash kernels (lib/gpu_flash.cl.tmpl)
  if p.gpu then
    p.gf, p.gb = require("lib.gpu_flash").tiles(p.R, p.dv, p.T, p.size, V.mma ~= nil, p.identity,
      p.Bmax)
  end

  -- workspace (elements; every part a multiple of BP, so 64-byte aligned
  -- wherever BP * size is)
  local BP, R, dv = p.BP, p.R, p.dv
  p.ws_fwd = R * BP + BP * BP + dv * BP + 3 * BP
  -- threads = "openmp": the backward deals each head's key tiles to KG
  -- groups, each with its own dq partial (a constant, so the bits do not
  -- depend on the thread count and the workspace grows with batch x heads);
  -- one group keeps its dq sum at the end of its slot
  p.KG = p.openmp and math.min(2, p.NT) or 1
  p.ws_bwd = 2 * (R + dv) * BP + 4 * BP * BP + p.NT * BP + (p.KG == 1 and p.NT * R * BP or 0)
  return p
end
