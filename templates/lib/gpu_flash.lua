-- Tiles of the flash-attention kernels (lib/gpu_flash.cl.tmpl): a
-- work-group takes a BQ x BK tile of scores, each work-item an MR x NR
-- micro-tile of it (rows ty + TY r, columns tx + TX c: neighbours read
-- neighbouring local words).  The first candidate whose local memory fits
-- 48 KiB (what every current GPU gives a work-group) is taken, separately
-- for the forward and the backward.
local M = {}

-- micro-tiles of 2 or 4 adjacent rows by 4 adjacent columns are read as
-- vectors (the small tiles of wide heads stay scalar: the padding to 4 would
-- cost them a work-group per multiprocessor)
local function vec(t) return (t.MR == 2 or t.MR == 4) and t.NR == 4 end
-- row strides: odd (no bank conflicts on the transposed stores), or with
-- vector reads a multiple of 4 (aligned vectors)
local function pad(n, t) return n + (vec(t) and 4 or 1) end

-- local elements of the forward (q tile, k tile then P, v tile, row maxima;
-- with vector reads P is stored transposed) and of the backward (k, v, q,
-- dout tiles, P, the rows' lse and Dv)
local function fwd_local(R, dv, t)
  local kp = vec(t) and math.max(R * pad(t.BK, t), t.BK * pad(t.BQ, t)) or math.max(R, t.BQ) * pad(t.BK, t)
  return R * pad(t.BQ, t) + kp + t.BK * dv + t.BQ * (t.BK // t.NR)
end
local function bwd_local(R, dv, t)
  return (R + dv) * pad(t.BK, t) + (R + dv) * pad(t.BQ, t) + t.BQ * pad(t.BK, t) + 2 * t.BQ
end

local cands = {
  { BQ = 64, BK = 32, MR = 4, NR = 4 }, { BQ = 32, BK = 32, MR = 2, NR = 4 },
  { BQ = 16, BK = 16, MR = 2, NR = 2 }, { BQ = 8, BK = 8, MR = 2, NR = 2 },
  { BQ = 4, BK = 4, MR = 1, NR = 1 },
}

local function pick(R, dv, T, size, size_of, bmax)
  for _, t in ipairs(cands) do
    if size_of(R, dv, t) * size <= 48 * 1024 and t.BQ <= (bmax or t.BQ) then
      local g = { BQ = t.BQ, BK = t.BK, MR = t.MR, NR = t.NR }
      g.TY, g.TX = t.BQ // t.MR, t.BK // t.NR
      g.WG = g.TY * g.TX
      g.LQ, g.LK = pad(t.BQ, t), pad(t.BK, t)
      g.VEC = vec(t)
      g.NQ, g.NK = (T + t.BQ - 1) // t.BQ, (T + t.BK - 1) // t.BK
      -- the registers a work-item holds through a step while the next
      -- tile's loads are in flight (k and v rows of a key tile: the forward
      -- and dq; q and dout rows of a query tile: dkdv); past 16 the kernels
      -- load each tile at the top of its step instead.  Those registers
      -- cost work-groups per multiprocessor: head dim 256 held 80 and
      -- spilled (btt attention's forward 0.45 -> 0.75 ms on the H200); mlr's
      -- published ranks (R = dv = 64) held 32, the forward 167 registers a
      -- work-item against 125 without (CUDA sm_90), and ran 0.877 ms at
      -- T 4096 against 0.816 without (H100, OpenCL; backward 3.64 / 3.55)
      local function carry(B) return (B * R + g.WG - 1) // g.WG + (B * dv + g.WG - 1) // g.WG end
      g.prefetch_k, g.prefetch_q = carry(t.BK) <= 16, carry(t.BQ) <= 16
      return g
    end
  end
  error("head dims " .. R .. " and " .. dv .. " leave no GPU tile within 48 KiB of local memory")
end

-- n tiles of a walk in chunks: up to `most` (default 8) chunks of at least
-- 4 tiles (a function of T only, so a head's result does not depend on the
-- batch or head count); the tiles a chunk and the chunks.  The flash
-- kernels split their walks this way so a few long causal heads still fill
-- the device (see M.tiles).
local function chunks(n, most)
  local c = math.max(4, (n + (most or 8) - 1) // (most or 8))
  return c, (n + c - 1) // c
end

-- k_delta (lib/gpu_flash.cl.tmpl): work-groups of DELTA_WG items take
-- DELTA_ROWS rows each; delta_groups(rows) is the hosts' group count
M.DELTA_WG, M.DELTA_ROWS = 64, 8
function M.delta_groups(rows) return "(" .. rows .. " + " .. M.DELTA_ROWS - 1 .. ") / " .. M.DELTA_ROWS end

-- the buffers of the walked tiles in a kernel whose local memory is
-- bytes(nb) with nb of them: two where they fit (the next tile's copies
-- under this one's compute), else one; nil where not even one fits 48 KiB
local function buffers(bytes)
  for nb = 2, 1, -1 do
    if bytes(nb) <= 48 * 1024 then return nb end
  end
end

-- The tensor-core backward (lib/gpu_flash_mma_bwd.tmpl; softmax link
-- only): k_dq owns 64 query rows and walks key tiles of KB = 32, k_dkdv owns
-- 64 keys and walks query tiles of QB = 32, 4 warps each; q and k padded to
-- RP dims, v and dout to DVP columns (16s), rows padded by 8; nil where its
-- tiles pass 48 KiB.
local function mma_backward(R, dv, T)
  local RP, DVP = (R + 15) // 16 * 16, (dv + 15) // 16 * 16
  local g = { mma = true, KB = 32, QB = 32, WG = 128, RP = RP, DVP = DVP, LR = RP + 8, LO = DVP + 8 }
  -- either kernel's local memory with nb buffers of the walked tiles
  -- (dk/dv's also hold the query tiles' lse and Dv)
  g.NB = buffers(function(nb) return 2 * (64 * g.LR + 64 * g.LO + nb * (32 * g.LR + 32 * g.LO + 2 * 32 * 2)) end)
  if not g.NB then return nil end
  g.NQ, g.NK = (T + 63) // 64, (T + 63) // 64
  -- chunks of the walks (M.tiles): dk/dv's over query tiles of QB, dq's
  -- over key tiles of KB
  g.QCB, g.NCB = chunks((T + g.QB - 1) // g.QB)
  g.KCB, g.NCQ = chunks((T + g.KB - 1) // g.KB)
  -- work-groups a multiprocessor holds (V.group_size) at head dims <= 64
  -- where the levels' blocks are multiples of 16 (lib/gpu_mma.lua aligned):
  -- ptxas fits dq in 128 registers (4; 138 unbounded) and dk/dv in 168 (3;
  -- 182 unbounded, 2) without spills (mlr bf16, published ranks, T 4096,
  -- sm_90); with blocks of 8 they spilled
  if RP <= 64 and DVP <= 64 then g.RES_DQ, g.RES_DKDV = 4, 3 end
  return g
end

-- forward and backward tiles for q/k head dim R, value dim dv, length T,
-- elements of `size` bytes.  The forward splits each query tile's keys into
-- NC chunks of KC key tiles (partial o and lse, merged by k_combine): up to
-- 8 chunks of at least 4 tiles, so a few long heads still fill the device
-- and the causal triangle splits into pieces of one size; a function of T
-- only, so a head's result does not depend on the batch or head count.
--
-- With tensor cores (mma: cuda, 16-bit storage) the forward is
-- lib/gpu_flash_mma.tmpl instead: 4 warps of 16 query rows each take key
-- tiles of 64, q and k padded to RP dims (16s), v to DVP columns (8s),
-- 16-bit tiles in local memory with rows padded by 8 (conflict-free
-- fragment reads); key chunks as the FMA forward's.  Where those tiles
-- pass 48 KiB the forward stays the FMA one.  The backward is then mma_backward's, but for
-- link "identity" (its dS needs no P: the FMA kernels).
--
-- bmax (optional: mlr's knob B) caps the FMA tiles' query side: the first
-- candidate of BQ 64, 32, 16, 8, 4 at most bmax that fits.
--
-- chunkable (one level, one scale for every dim: btt attention): where the
-- forward's 64 x 32 tiles of whole q and k rows pass 48 KiB but R is a
-- multiple of DC = 64, the forward stages q and k DC dims at a time
-- (g.DC), the query tile again for every key tile (from L2): head dim 256
-- otherwise falls to 16 x 16 tiles of 2 x 2 micro-tiles, which read a local
-- word per FMA (ncu, H100: the L1 pipe at 90%).
local DC = 64
local function chunked_local(_, dv, t) return fwd_local(DC, dv, t) end
local function chunked_bwd_local(_, dv, t) return bwd_local(DC, dv, t) end

function M.tiles(R, dv, T, size, mma, identity, bmax, chunkable)
  if mma then
    local RP, DVP = (R + 15) // 16 * 16, (dv + 7) // 8 * 8
    local g = { mma = true, BQ = 64, BK = 64, WG = 128, RP = RP, DVP = DVP, LR = RP + 8, LV = DVP + 8 }
    -- (no register prefetch of the next key tile, unlike the FMA kernels:
    -- it held 64 more registers, 249 a work-item, 2 work-groups per
    -- multiprocessor, ncu 12.5% occupancy; without it 128, 4 work-groups)
    -- NB: the key tile's buffers
    g.NB = buffers(function(nb) return 2 * (64 * g.LR + nb * 64 * (g.LR + g.LV)) end)
    if g.NB then
      g.NQ, g.NK = (T + 63) // 64, (T + 63) // 64
      -- (up to 4 key chunks: the f32 partials through k_combine cost
      -- more than finer chunks gain; H100, mlr bf16 T 4096: 8 chunks of 8
      -- key tiles 0.217-0.219 ms, 4 of 16 0.203-0.205, combine 35 -> 21 us)
      if identity then g.KC, g.NC = g.NK, 1 else g.KC, g.NC = chunks(g.NK, 4) end
      -- 4 work-groups a multiprocessor at head dims <= 64 (128 registers;
      -- with aligned blocks: as the backward's below)
      if RP <= 64 and DVP <= 64 then g.RES = 4 end
      local _, gb = M.tiles(R, dv, T, size, false, identity)
      return g, (not identity and mma_backward(R, dv, T)) or gb
    end
  end
  local gf = pick(R, dv, T, size, fwd_local, bmax)
  if chunkable and not bmax and gf.BQ < 64 and R > DC and R % DC == 0 then
    local gc = pick(R, dv, T, size, chunked_local)
    if gc.BQ == 64 then
      gf = gc
      gf.DC = DC
    end
  end
  -- (link "identity": one chunk; its partials would merge as plain sums)
  if identity then gf.KC, gf.NC = gf.NK, 1 else gf.KC, gf.NC = chunks(gf.NK) end
  local gb = pick(R, dv, T, size, bwd_local, bmax)
  -- the backward likewise: head dim 256 fits 16 x 16 tiles of 2 x 2
  -- micro-tiles whole (a local word read per FMA in the scores, 64
  -- work-items) and 32 x 32 tiles of 2 x 4 in chunks; the chunks of q (dk/dv)
  -- or k (dq) are staged again for the dk or dq sums (btt attention's
  -- backward 1.70 -> 1.52 ms on an H100)
  if chunkable and not bmax and not identity and R > DC and R % DC == 0 then
    local gc = pick(R, dv, T, size, chunked_bwd_local)
    if gc.BQ > gb.BQ and DC % gc.TY == 0 and DC % gc.TX == 0 then
      gb = gc
      gb.DC = DC
    end
  end
  -- the backward's chunks, as the forward's (up to 8 of at least 4 tiles:
  -- a function of T only): dk/dv split each key tile's queries into NCB
  -- chunks of QCB query tiles, dq each query tile's keys into NCQ chunks of
  -- KCB key tiles (partial sums in the workspace, summed in chunk order by
  -- k_dkdv_sum and k_dq_sum).  With one work-group a key tile, the first
  -- key tile of a causal head walked all 32 query tiles at T 1024, three
  -- times the tile pairs per work-group slot of an H100 (8 heads): mlr
  -- T 1024's backward 0.49 -> 0.35 ms, T 4096's 3.38 -> 2.62, btt
  -- attention's 1.52 -> 0.99 (H100; chunks of at least 8 tiles, up to 4:
  -- 0.36, 2.69, 1.11)
  gb.QCB, gb.NCB = chunks(gb.NQ)
  gb.KCB, gb.NCQ = chunks(gb.NK)
  return gf, gb
end

-- The declarations that place a flash work-group (every kernel family,
-- forward and backward): its head bh; its own tile, a query tile qt (counted
-- from the last: the causal tiles with the most keys start first) with rows
-- i0..i1, or a key tile kt with rows j0..j1; and the other side's tiles it
-- walks, [lo, hi): with nc > 1 chunks (group (bh x tiles + tile) x nc + ch)
-- chunk ch's `per` tiles of them.  Causal walks stop at (keys of a query
-- tile) or start at (queries of a key tile) the diagonal.
-- o: side ("q" or "k"), n, B (own tiles, their rows), wn, wB (walked tiles,
-- their rows), nc, per, lo, hi (the range's names), causal, T.
function M.place(V, o)
  local t, v = o.side == "q" and "qt" or "kt", o.side == "q" and "i" or "j"
  local first = o.side == "q" and (o.n - 1 .. " - ") or ""
  local lines = {}
  local function add(s) lines[#lines + 1] = "    " .. s end
  if o.nc > 1 then
    add("const size_t grp = " .. V.group() .. ", ch = grp % " .. o.nc .. ", bh = grp / " .. o.n * o.nc ..
      ", " .. t .. " = " .. first .. "grp / " .. o.nc .. " % " .. o.n .. ";")
  else
    add("const size_t grp = " .. V.group() .. ", bh = grp / " .. o.n .. ", " .. t .. " = " .. first .. "grp % " .. o.n .. ";")
  end
  add(require("lib.gpu_stage").span(v, t, o.B, o.T))
  local c0 = "ch * " .. o.per
  if o.side == "q" then
    add("const size_t nk_ = " .. (o.causal and ("i1 / " .. o.wB .. " + 1") or tostring(o.wn)) .. ";")
    if o.nc > 1 then
      add("const size_t " .. o.lo .. " = " .. c0 .. ", " .. o.hi .. " = " .. o.lo .. " + " .. o.per .. " < nk_ ? " ..
        o.lo .. " + " .. o.per .. " : nk_;")
    else
      add("const size_t " .. o.lo .. " = 0, " .. o.hi .. " = nk_;")
    end
  else
    add("const size_t qt0 = " .. (o.causal and ("j0 / " .. o.wB) or "0") .. ";")
    if o.nc > 1 then
      add("const size_t " .. o.lo .. " = " .. c0 .. " > qt0 ? " .. c0 .. " : qt0, " .. o.hi .. " = " .. c0 ..
        " + " .. o.per .. " < " .. o.wn .. " ? " .. c0 .. " + " .. o.per .. " : " .. o.wn .. ";")
    else
      add("const size_t " .. o.lo .. " = qt0, " .. o.hi .. " = " .. o.wn .. ";")
    end
  end
  return table.concat(lines, "\n")
end

-- elements a (batch, head) of the backward's chunk partials (0: none)
function M.bwd_partials(gb, T, R, dv)
  return math.max(gb.NCB > 1 and gb.NCB * T * (R + dv) or 0, gb.NCQ > 1 and gb.NCQ * T * R or 0)
end

return M
