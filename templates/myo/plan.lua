-- How a myo spec is computed: which algorithm the spec allows (DESIGN.md 6.1
-- performance notes), the lane layout, tile sizes, and threading.
local tree = require "lib.tree"

-- Tuning knobs (lib/knobs.lua): TC (channels per level-sum tile) and TL
-- (lanes per group of the tree solves), multiples of the vector's lanes.
local KNOB_MAX = { TC = 512, TL = 256 }
local PACK_BYTES = 128

-- Batch elements per run of the fused solves, forward NB and backward NBB
-- (bwd): each run reads the parameters and factors them again, so at batch
-- 16 runs of 4 read them 4 times.  Measured on one core of the 2-core Zen 4
-- guest (2026-12-07; 256 channels, L 4096, N 16, batch 16, alternating
-- builds): forward runs of 8 instead of 4 took arity 2 / 4 / 16 from 357-370
-- / 195-224 / 174-178 ms to 287-304 / 135-140 / 113-124 and the chain from
-- 381-403 to 351-356 (runs of 16: no better); backward runs of 8 took the
-- tree's arity 2 / 4 from 1050-1094 / 528-532 to 900-931 / 472-476 ms (arity
-- 16 alike) but the chain's from 774-809 to 877-1035, so it keeps 4.  At
-- batch 4 (one run either way) within 5%.  Share "input" has a parameter
-- set per batch element: runs of one.
local function fused_runs(spec, bwd)
  if spec.share == "input" then return 1, 1 end
  return 8, bwd
end

return function(spec)
  local V = require("lib.isa")(spec)
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
    dense = spec.block == "dense",
  }
  -- OpenCL (isa/opencl.lua): the device code is the same solve code with
  -- one work-item per lane; `cl` switches the few places that differ
  p.gpu = V.gpu
  local get = require("lib.knobs")("myo", KNOB_MAX)
  local lanes = ("the %s %s lane count"):format(p.isa.name, p.real)
  local function knob(name, default) return get(name, default, p.W, lanes) end
  if spec.share == "level" and not p.chain and (siso or (not p.dense and not V.gpu)) then
    -- every vertex of a level is alike: y is a weighted sum of nested block
    -- sums of u, one streaming pass per channel tile (memory-bound).  With
    -- diag blocks and readout "none" every (channel, state) is a scalar
    -- system of the same kind: a lane of its own, with Bin = Cout = 1 and
    -- D = 0 (CPU targets; GPUs run the tree solve)
    p.path = "level_sums"
    p.LN = siso and p.N or 1 -- states per lane in the weights' recurrences
    -- CPUs run those recurrences over chunks of NV states in every step
    -- (loops compilers vectorize), GPUs one state per step (no arrays)
    p.NV = 1
    if not V.gpu then
      for _, v in ipairs({ 8, 4, 2 }) do if p.NV == 1 and p.LN % v == 0 then p.NV = v end end
    end
    p.lanes = siso and 1 or p.N -- lanes per channel
    -- lanes per tile: four cache lines of each row (Zen 4 guest, arity
    -- 2/4/8/16, batch 4, 256 channels, one core, forward: 2.2/1.7/1.4/1.7 ms
    -- against 3.4/2.2/1.9/2.0 ms with two lines, which the first pass
    -- packed); eight with readout "none", whose rows are N times as long,
    -- where y is streamed (arity 4, N 16, avx2: 28.9 ms against 34.1 with
    -- four lines, 48.6 with two; the `c` target, which stores y through the
    -- cache: 64.2 ms with four lines against 98.2 with eight)
    p.TC = knob("TC", ((siso or not V.stream) and 256 or 512) // p.size)
    -- the forward's first pass packs a tile of up to PACK_BYTES of each row
    -- (such strided rows share a few cache sets: read twice, they miss);
    -- wider tiles are read twice
    p.pack = p.TC * p.size <= PACK_BYTES
  elseif not p.chain and not p.dense and spec.share ~= "level" and not V.gpu then
    -- parameters per vertex: their bytes dominate, so the factorization is
    -- fused into the solve of NB batch elements at a time (tree_fused.c.tmpl)
    p.path = "tree_fused"
    p.NB, p.NBB = fused_runs(spec, 8)
  elseif p.chain and not p.dense and not V.gpu then
    -- the chain likewise: parameters read twice, no factor records (chain_fused.c.tmpl)
    p.path = "chain_fused"
    p.NB, p.NBB = fused_runs(spec, 4)
  else
    p.path = p.chain and "chain" or "tree"
    -- batch elements per solve: each factor record is read once for all
    -- of them (share input: the records are the batch element's own)
    p.NB = spec.share == "input" and 1 or 4
  end
  -- The solves work on lanes, the contiguous axis of u: channels (siso or
  -- dense blocks, N states per lane) or channel*state pairs (diag with
  -- readout none: N independent scalar systems).
  p.NS = (siso or p.dense) and p.N or 1
  -- dense with readout none reads and writes states [N] per lane: those
  -- rows are repacked into lane layout [N][TL] per group
  p.packed = p.dense and not siso
  -- lanes per group: at least two cache lines of state per vertex; with one
  -- state per lane (diag, readout none) 256 bytes of each row of u, y
  -- (measured at arity 4, L 4096, 256 channels x 16 states, batch 4, one
  -- core: 128 bytes at first, 175 ms; 1 KiB, 88 ms; after the backward's
  -- loops ran over lanes inside, 256 bytes beat 1 KiB: share level forward
  -- 57-60 vs 67 ms, backward 151-163 vs 217-224 ms; chain 342 / 824 vs
  -- 389 / 1002 ms; share vertex 93 / 191 vs 100 / 198 ms)
  local row_bytes = p.NS == 1 and 256 or 128
  p.TL = knob("TL", p.W * math.max(1, row_bytes // (p.NS * p.W * p.size)))
  if p.gpu then
    -- OpenCL keeps the level-sum weights in tiles of one 128-byte line of
    -- channels, [tiles][d+1][TC], so a warp reads each weight coalesced
    p.TL = knob("TL", 128 // p.size)
    if p.TC then p.TC = p.TL end
  end
  -- OpenCL, level sums with diag blocks: the backward streams too (du is
  -- the same layer on dy; the weights' gradients are Gram sums of block
  -- sums), else it is the tree solve's
  p.gpu_sum_backward = p.gpu and p.backward and p.path == "level_sums" and not p.dense
  p.BS = p.dense and p.N * p.N or p.NS -- entries of one block: N x N or its diagonal
  p.REC = 3 * p.BS * p.TL -- per parameter set: three slots of blocks, [BS][TL]
  p.IOREC = (2 * p.NS + 1) * p.TL -- Bin, Cout, D in lane layout
  p.NCH = math.min(p.NS, 8) -- register blocking of the unrolled state loop
  -- record offsets: entry (i, j) of block slot s (diag: j = i), and entry
  -- i of a vector slot (folded leaf records, Bin/Cout/D)
  function p.m(s, i, j)
    return (s * p.BS + (p.dense and (i * p.N + j) or i)) * p.TL
  end
  function p.v(s, i) return (s * p.BS + i) * p.TL end
  function p.io(s, i) return (s * p.NS + i) * p.TL end -- Bin (s=0), Cout (1), D (2)
  -- the columns j of row i that a block has
  function p.cols(i)
    if not p.dense then return { i } end
    local cs = {}
    for j = 0, p.N - 1 do cs[#cs + 1] = j end
    return cs
  end
  -- What differs in device code (the GPU templates, and the level-sum
  -- weights, which OpenCL runs from level_sums.c.tmpl): G qualifies pointers
  -- into buffers (OpenCL "__global ", C ""); acc is the type of the factor
  -- arithmetic (C: double; OpenCL: NAME_acc, see gpu_device.tmpl);
  -- own(lo, hi, idx) gives the bounds of a loop over channels: all of them
  -- in C, the work-item's own (idx) in OpenCL.
  p.G = V.global or ""
  p.acc = p.gpu and (spec.name .. "_acc") or "double"
  function p.own(lo, hi, idx)
    if not p.gpu then return lo, hi end
    return idx, idx .. " + 1"
  end
  return p
end
