-- OpenCL target: where the kernels of a myo spec keep their scratch in the
-- device workspace (one cl_mem), shared by the device templates (gpu_*.tmpl)
-- and the host code (gpu_host.tmpl) so both agree by construction.
-- Sizes are in elements of the dtype, per lane (and per batch element or
-- parameter batch where said); the host lays the sections out after a
-- status word (one int, padded to 64 bytes), each on a 64-byte boundary,
-- and passes their offsets to the kernels.
return function(plan, spec)
  local t, NS = plan.tree, plan.NS
  local E = 64 // plan.size -- elements per 64 bytes
  local function lines(n) return (n + E - 1) // E * E end
  local y = { status = E, E = E }
  -- forward, level sums: the weights [tiles][d+1][TC] (per call); dense
  -- blocks also give every channel its path recurrences' scratch, in
  -- NAME_acc (counted as double whatever the device chooses)
  if plan.path == "level_sums" then
    local d, N, k = spec.depth, plan.N, spec.arity
    y.weights = (d + 1) * plan.TC -- per tile
    -- gpu_level_sums.tmpl: stages of chunks (subtrees of height h, at most
    -- 64 inputs), from the leaves up; a stage above the leaves reads the
    -- chunk sums of the one below from a region of `sum_region` elements
    -- per (batch element, channel), stage s's at offset s.region
    local h = 1
    while k ^ (h + 1) <= 64 do h = h + 1 end
    local stages, lev, region = {}, d, 0
    while lev > 0 do
      local s = { h = math.min(h, lev), bottom = lev }
      s.top = lev - s.h
      s.C = math.tointeger(k ^ s.h) -- inputs per chunk
      s.chunks = math.tointeger(k ^ s.top)
      s.inputs = math.tointeger(k ^ lev)
      s.region = region
      if #stages > 0 then region = region + s.inputs end
      stages[#stages + 1] = s
      lev = s.top
    end
    y.sum_stages, y.sum_region = stages, region
    -- the streaming backward's Gram partials: level l's per (batch element,
    -- chunk of the stage holding l; level d: of the leaf stage), at offset
    -- gram_off[l] * batch per channel; gram_slots per (batch, channel)
    local off, goff = 0, {}
    for l = 0, d do
      local chunks = stages[1].chunks
      for _, st in ipairs(stages) do
        if l >= st.top and l < st.bottom then chunks = st.chunks end
      end
      goff[l] = { off = off, chunks = chunks }
      off = off + chunks
    end
    y.gram, y.gram_slots = goff, off
    y.dense_acc = plan.dense and (2 * (d + 1) * N * N + (d + 1) * N) or 0 -- per channel, in acc
    y.dense_item = lines(y.dense_acc * 8 // plan.size) -- the same, in elements
  end
  -- the GPU tree solve (gpu_tree.tmpl), per lane: H (and the adjoint's H')
  -- [internal vertices][BS] per parameter batch, states [internal][NS] per
  -- batch element, share "level" gradient partials [internal + vertices of
  -- level d-1][3][BS], siso dBin/dCout/dD partials [vertices of level
  -- d-1][2N+1] per parameter batch.  The forward's two fused kernels
  -- (k_up_pair: levels d-1 and d-2 up; k_leaves: level d-1's q rebuilt
  -- from the leaves, the steps down of levels d-2 and d-1, the outputs)
  -- run a work-group per (parameter batch, vertex, tile of LT lanes) with
  -- a row of items per child; their local memory, sh_pair and sh_leaves elements per lane,
  -- keeps LT lanes within 32 KiB.  k_leaves comes in two designs
  -- (gpu_tree.tmpl): "batch" (the rows walk the batch on their own, the
  -- leaves' terms in local memory) where that leaves LT >= 16, else
  -- "exchange" (row j keeps leaf j; two barriers per batch element).  On the
  -- H200, 16 x 2048, N 16: arity 4 batch 2.2 ms, exchange 3.5 ms; arity 16
  -- batch (8 lanes) 10.9 ms, exchange (16 lanes) 3.1 ms.
  local k, BS = spec.arity, plan.BS
  local sh_pair = math.max(k * BS, 2 * k * NS)
  local sh_batch = BS + k * BS + k * (plan.siso and (NS + plan.N + 1) or 3 * BS)
  local sh_exchange = BS + math.max(k * BS, k * NS + NS)
  local function tile(sh)
    local LT = 32
    while LT > 1 and LT * math.max(sh_pair, sh) * plan.size > 32768 do LT = LT // 2 end
    return LT
  end
  local leaves, LT, sh_leaves = "batch", tile(sh_batch), sh_batch
  if LT < 16 then leaves, LT, sh_leaves = "exchange", tile(sh_exchange), sh_exchange end
  local below = t.count[spec.depth - 1] or 1
  -- diag blocks at arity x states >= 128: the level kernels (k_up, k_down
  -- and their adjoints, k_up_leaves, k_up_adj_leaves, k_up_pair) split a
  -- lane's NS states over SQ work-items of 4 states each (the states are
  -- independent scalar systems but for y).  Unsplit, those kernels take
  -- 208-255 registers there, spilling at arity 16 (ptxas sm_90), and the
  -- split ran them 14-35% faster on an H100 (vertex k 16, N 16); at arity 4
  -- (138-170 registers, no spills) it ran them 10-13% slower.
  local SQ = (not plan.dense and NS >= 8 and NS % 4 == 0 and k * NS >= 128) and NS // 4 or 1
  -- k_up_pair's groups: LTS lanes x k children (LT lanes unsplit; with the
  -- split, x SQ parts, at most 512 items)
  local LTS = LT
  while SQ > 1 and LTS > 1 and LTS * k * SQ > 512 do LTS = LTS // 2 end
  y.gpu = {
    SQ = SQ, LTS = LTS,
    LT = LT, sh_pair = sh_pair, sh_leaves = sh_leaves, leaves = leaves,
    H = t.internal * plan.BS,
    X = t.internal * NS,
    part = spec.share == "level" and (t.internal + below) * 3 * plan.BS or 0,
    pio = plan.siso and below * (2 * plan.N + 1) or 0,
  }
  -- the GPU chain, per lane.  Dense blocks (gpu_chain.tmpl): the factors
  -- of every position [L][R][BS] per parameter batch (R: S^-1, K, H, and
  -- for the backward the adjoint's K', H'), chunk summaries of CS
  -- positions per scan: vector parts and boundaries [NC][NS] per batch
  -- element, matrix parts [NC][BS] per parameter batch; siso backward:
  -- dBin/dCout/dD partials [NC][2N+1] per parameter batch.
  -- Diag blocks (gpu_chain_diag.tmpl), per (channel, state) pair: the
  -- pivot scan's chunk records [NC][5] per parameter batch, the chunks'
  -- values (qa, xa) and boundaries (qb, xb) [NC] per batch element, their
  -- parameter-only coefficients [NC][3] per parameter batch; siso backward:
  -- the partials as for dense.  Chunks of 16 positions: the backward's
  -- last pass keeps six values per position in registers.
  if plan.chain then
    local c
    if plan.dense then
      local CS = math.max(1, math.min(t.L, 64 // NS))
      c = { CS = CS, NC = (t.L + CS - 1) // CS, R = plan.backward and 5 or 3 }
      c.rec = t.L * c.R * plan.BS
      c.vec = c.NC * NS
      c.mat = c.NC * plan.BS
    else
      local CS = math.min(t.L, 16)
      c = { CS = CS, NC = (t.L + CS - 1) // CS }
      c.fs = c.NC * 5 * NS
      c.vec = c.NC * NS
      c.mat = c.NC * 3 * NS
      -- work-groups of the out and grads passes (siso: CH channels x N
      -- states, their sums in local memory, RB positions per round in at
      -- most 16 KiB; none: WG pairs): 64 items, so several groups share a
      -- multiprocessor; siso f32 128 (8 channels of 16 states: a row of u
      -- or y a 32-byte sector).  The grads pass's local memory (its
      -- factors, 4 CS per item; red; the u and dy tiles) is kept within
      -- 46 KiB (CUDA allows 48 KiB of static shared memory).  red's rows:
      -- each channel's N states padded to N + 1 where N is even, so the
      -- sums' reads fall in distinct banks (gpu_chain_diag.tmpl).
      local siso, N, size = plan.siso, plan.N, plan.size
      c.CH = siso and math.max(1, 512 // size // N) or 64
      while true do
        c.WG = siso and c.CH * N or 64
        c.WGP = siso and c.CH * (N + (N % 2 == 0 and 1 or 0)) or c.WG
        c.RB = math.max(1, math.min(CS, 16384 // (c.WGP * size)))
        local bytes = (4 * CS * c.WG + (siso and (c.RB * c.WGP + 2 * CS * c.CH) or 0)) * size
        if bytes <= 47104 or not siso or c.CH == 1 then break end
        c.CH = c.CH // 2
      end
    end
    c.pio = plan.siso and c.NC * (2 * plan.N + 1) or 0
    y.chain = c
  end
  return y
end
