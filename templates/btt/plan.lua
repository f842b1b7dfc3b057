-- How a btt spec is computed (DESIGN.md 6.3): the factorization, the
-- register tile of the GEMM-like micro-kernels, the column panels of every
-- contraction, the batch tile, and the layouts of the intermediates.
--
-- The two contractions of y = BTT(x), per row of x, with s the rank:
--   F1  t[i1][j0 s + sig] = sum_i0 x[i1 m0 + i0] W1[i1][i0][j0][sig]
--       (m1 GEMMs: rows x K=m0 x N=n0 s)
--   F2  y[j0 n1 + j1] = sum_(i1,sig) t[i1][j0 s + sig] W2[j0][i1][sig][j1]
--       (n0 GEMMs: rows x K=m1 s x N=n1)
-- and for the backward pass
--   B1  g[j0][i1 s + sig] = sum_j1 dy[j0 n1 + j1] W2[j0][i1][sig][j1]
--   B2  dx[i1 m0 + i0] = sum_(j0,sig) g[j0][i1 s + sig] W1[i1][i0][j0][sig]
--   dW1[i1][(j0,sig)][i0] += sum_rows g[j0][i1 s + sig] x[i1 m0 + i0]
--   dW2[j0][(i1,sig)][j1] += sum_rows t[i1][j0 s + sig] dy[j0 n1 + j1]
-- Every one is a register-tiled GEMM: MR rows x NV vectors of FMAs, the
-- broadcast operand read through MR row pointers (any row layout), the
-- vector operand from packed, zero-padded panels (weights) or padded rows.
local function pair(v)
  if type(v) == "table" then return v[1], v[2] end
  return v, v
end

-- (i, sig) of a packed index k = i s + sig, as C expressions
local function packed(s)
  return function(k) return "((" .. k .. ") / " .. s .. ")" end, function(k) return "((" .. k .. ") % " .. s .. ")" end
end

-- The keys' contractions of op "attention" on GPUs (forward f1, f2;
-- backward also b1, b2, dw1, dw2) as batched GEMMs (lib/gpu_gemm.lua) over rows m = b T + j of x (B T of them: the
-- kernels' n), a GEMM per (head h, core index): the workspace rows of head
-- h are (b H + h) T + j.  a, b, c are buffers; A's and B's sections start
-- at aoff, boff, C's at off; H (heads) is a run-time argument.  The weight
-- gradients sum the rows in chunks of 128 (split-k partials, then k_sum in
-- chunk order).  (They were a work-item per element, the weight gradients
-- summing all B T rows each: f1, f2 25 us, b1, b2 75 us, dw1, dw2 92 us a
-- kernel on the H100 at T 1024, D 256, 8 heads.)
local function att_gemms(p)
  local m0, m1, n0, n1, s, T = p.m0, p.m1, p.n0, p.n1, p.s, p.T
  local R, Q, D = p.R, p.Q, p.d_in
  local TR = m1 * R
  local KC = 128 -- (B T rows: at batch 1, 8 chunks of T 1024)
  local ks, kr = packed(s)
  -- the workspace row of x row m for the head of GEMM g (per heads: per)
  local function row(m, g, per)
    return "(((" .. m .. ") / " .. T .. " * H + (" .. g .. ") / " .. per .. ") * " .. T .. " + (" .. m .. ") % " .. T .. ")"
  end
  local function key(g, j1) return p.key_index("((" .. g .. ") % " .. n0 .. ")", j1) end
  local ops = {
    { name = "f1", doc = "f1: t = x W1, one GEMM per (head, i1)", per = m1,
      M = "n", K = m0, N = R, a_fast = "k", b_fast = "n",
      A = function(g, m, k) return "a[(" .. m .. ") * " .. D .. " + (" .. g .. ") % " .. m1 .. " * " .. m0 .. " + " .. k .. "]" end,
      B = function(g, k, n) return "b[(" .. g .. " * " .. m0 .. " + " .. k .. ") * " .. R .. " + " .. n .. "]" end,
      C = function(g, m, n) return "c[off + " .. row(m, g, m1) .. " * " .. TR .. " + (" .. g .. ") % " .. m1 .. " * " .. R .. " + " .. n .. "]" end },
    { name = "f2", doc = "f2: kp = t W2, one GEMM per (head, j0)", per = n0,
      M = "n", K = Q, N = n1, a_fast = "k", b_fast = "n",
      A = function(g, m, k) return "a[aoff + " .. row(m, g, n0) .. " * " .. TR .. " + " .. ks(k) .. " * " .. R .. " + (" .. g .. ") % " .. n0 .. " * " .. s .. " + " .. kr(k) .. "]" end,
      B = function(g, k, n) return "b[(" .. g .. " * " .. Q .. " + " .. k .. ") * " .. n1 .. " + " .. n .. "]" end,
      C = function(g, m, n) return "c[off + " .. row(m, g, n0) .. " * " .. D .. " + " .. key(g, n) .. "]" end },
    { name = "b1", bwd = true, doc = "b1: g = dkp W2^T, one GEMM per (head, j0)", per = n0,
      M = "n", K = n1, N = Q, a_fast = "k", b_fast = "k",
      A = function(g, m, k) return "a[aoff + " .. row(m, g, n0) .. " * " .. D .. " + " .. key(g, k) .. "]" end,
      B = function(g, k, n) return "b[(" .. g .. " * " .. Q .. " + " .. n .. ") * " .. n1 .. " + " .. k .. "]" end,
      C = function(g, m, n) return "c[off + " .. row(m, g, n0) .. " * " .. TR .. " + (" .. g .. ") % " .. n0 .. " * " .. Q .. " + " .. n .. "]" end },
    { name = "b2", bwd = true, doc = "b2: xk = g W1^T, one GEMM per (head, i1)", per = m1,
      M = "n", K = R, N = m0, a_fast = "k", b_fast = "k",
      A = function(g, m, k) return "a[aoff + " .. row(m, g, m1) .. " * " .. TR .. " + " .. ks(k) .. " * " .. Q .. " + (" .. g .. ") % " .. m1 .. " * " .. s .. " + " .. kr(k) .. "]" end,
      B = function(g, k, n) return "b[(" .. g .. " * " .. m0 .. " + " .. n .. ") * " .. R .. " + " .. k .. "]" end,
      C = function(g, m, n) return "c[off + " .. row(m, g, m1) .. " * " .. D .. " + (" .. g .. ") % " .. m1 .. " * " .. m0 .. " + " .. n .. "]" end },
    { name = "dw1", bwd = true, doc = "dw1: dW1 = x^T g over the rows, one GEMM per (head, i1), split over rows", per = m1,
      M = m0, K = "n", N = R, a_fast = "m", b_fast = "n", split = KC,
      A = function(g, m, k) return "a[(" .. k .. ") * " .. D .. " + (" .. g .. ") % " .. m1 .. " * " .. m0 .. " + " .. m .. "]" end,
      B = function(g, k, n) return "b[boff + " .. row(k, g, m1) .. " * " .. TR .. " + " .. ks(n) .. " * " .. Q .. " + (" .. g .. ") % " .. m1 .. " * " .. s .. " + " .. kr(n) .. "]" end },
    { name = "dw2", bwd = true, doc = "dw2: dW2 = t^T dkp over the rows, one GEMM per (head, j0), split over rows", per = n0,
      M = Q, K = "n", N = n1, a_fast = "m", b_fast = "n", split = KC,
      A = function(g, m, k) return "a[aoff + " .. row(k, g, n0) .. " * " .. TR .. " + " .. ks(m) .. " * " .. R .. " + (" .. g .. ") % " .. n0 .. " * " .. s .. " + " .. kr(m) .. "]" end,
      B = function(g, k, n) return "b[boff + " .. row(k, g, n0) .. " * " .. D .. " + " .. key(g, n) .. "]" end },
  }
  for _, op in ipairs(ops) do -- (per: GEMMs per head)
    op.G, op.extra = "H * " .. op.per, { "H", "aoff", "boff" }
  end
  require("lib.gpu_gemm").tile_ops(p.isa, ops, p.MB)
  return ops
end

return function(spec)
  local V = require("lib.isa")(spec)
  local W = V.lanes
  local passes = {}
  for _, pass in ipairs(spec.passes) do passes[pass] = true end
  local m0, m1 = pair(spec.arity)
  local n0, n1 = m0, m1
  if spec.out_arity ~= nil then n0, n1 = pair(spec.out_arity) end
  local s = spec.state
  local size = spec.dtype == "f64" and 8 or 4 -- (bf16, f16: f32 arithmetic)
  local function padW(x) return (x + W - 1) // W * W end

  local p = {
    isa = V,
    W = W,
    real = size == 4 and "float" or "double",
    size = size,
    -- the element type of x, y, the cores and t, g in the workspace (16 bits
    -- for bf16 and f16 on cuda: products on tensor cores); the weight
    -- gradients' partial sums stay in the arithmetic type
    store = V.storage or (size == 4 and "float" or "double"),
    store_size = (spec.dtype == "bf16" or spec.dtype == "f16") and 2 or size,
    forward = passes.forward,
    backward = passes.backward,
    attention = spec.op == "attention",
    -- OpenCL (isa/opencl.lua, DESIGN.md 6.4): gpu_device.tmpl and
    -- gpu_host.tmpl (matmul: batched GEMMs, lib/gpu_gemm.lua;
    -- attention: keys per element, then lib/gpu_flash.cl.tmpl)
    gpu = V.gpu,
    m0 = m0, m1 = m1, n0 = n0, n1 = n1, s = s,
    d_in = m0 * m1,
    d_out = n0 * n1,
    R = n0 * s, -- columns of one F1 GEMM: (j0, sig)
    Q = m1 * s, -- columns of one B1 GEMM / depth of one F2 GEMM: (i1, sig)
  }
  p.Rp, p.Qp, p.m0p, p.n1p = padW(p.R), padW(p.Q), padW(m0), padW(n1)
  -- threads = "openmp" (CPU): matmul row tiles in groups run in parallel
  -- (templates/btt/matmul_api.c.tmpl), attention (batch, head) pairs and
  -- groups of heads (attention.c.tmpl)
  p.openmp = spec.threads == "openmp" and not p.gpu
  -- Row strides of the intermediates: whole cache lines, an odd number of
  -- them, so that rows do not alias in the cache sets (4 KiB strides)
  local LE = 64 // size -- elements per line
  local function odd_lines(n)
    local l = (n + LE - 1) // LE
    if l % 2 == 0 then l = l + 1 end
    return l * LE
  end
  p.LE = LE
  -- t (the F1 result) is kept as m1 slabs [i1][row][RS], g (the B1 result)
  -- as n0 slabs [j0][row][QS]: the weight-gradient products walk the rows of
  -- one slab (short strides, few pages); F2 and B2 step from slab to slab.
  p.RS = odd_lines(p.Rp)
  p.QS = odd_lines(p.Qp)
  -- Consecutive j0 (F2), i1 (B2, dW1) and j0 (dW2) whose rank-s slices of
  -- t / g share a cache line: loops over rows run inside such a chunk, so
  -- the broadcast operand's lines are reused from L1.
  p.chunk = math.max(1, LE // s)

  -- Register tile: MR rows x NV vectors of accumulators.  AVX2 has 16 ymm
  -- registers: 6 x 2 accumulators + 2 vector operands + 1 broadcast; with
  -- 32 (AVX-512, NEON) 24 accumulators: 12 x 2 of 16-lane vectors (a panel
  -- no wider than AVX2's 32 floats: BTT's narrow factors fill it), 6 x 4 of
  -- 4-lane ones.  The portable target (one lane) keeps 4 rows of 32
  -- columns in arrays, which compilers vectorize (gcc 12 -O3, SSE2: 35
  -- GFLOP/s on a Zen 4 core where 4 x 4 named scalars gave 9.4).
  if (V.regs or 0) >= 32 then
    p.MR, p.NV = W >= 8 and 12 or 6, W >= 8 and 2 or 4
  elseif V.name == "avx2" then
    p.MR, p.NV = 6, 2
  elseif W == 1 then
    p.MR, p.NV = 4, 32
  else
    p.MR, p.NV = 4, 4
  end
  p.NR = p.NV * W

  -- Column panels of an N-column GEMM: `full` panels of NV vectors, then
  -- at most one narrower edge panel whose last vector holds `partial` valid
  -- lanes.  Panel j starts at column off (packed: at element off * K).
  function p.panels(N)
    local full = N // p.NR
    local r = { full = full, N = N, Np = padW(N) }
    if N > full * p.NR then
      local off = full * p.NR
      local nv = (N - off + W - 1) // W
      r.edge = { off = off, nv = nv, partial = N - off - (nv - 1) * W }
    end
    return r
  end

  -- Row tiles.  The forward (F1 then F2 per tile) runs best on one
  -- register tile of rows: x's MR rows, their t and y stay in L1 while the
  -- packed cores stream from L2 (Zen 4 guest, n 4096, f32, one core: MR
  -- rows 74-86% of the FMA peak on every shape of bench/btt_bench, 2 x MR
  -- 59-85%, L2-sized tiles 43-73%).  The backward's weight gradients are
  -- rank-MBB updates of accumulators (acc1, acc2): each tile reads and
  -- writes them once, so MBB rows should carry at least twice their bytes;
  -- and the tile's own rows (t, g, x and dy slabs) should stay near 256 KiB
  -- so that the five products find them in L2.  The larger of the two
  -- (same machine, n 4096, backward: D 1024 rank 1 22.5 -> 16.7 ms, D 4096
  -- rank 1 241 -> 145 ms, D 256 rank 1 3.1 -> 2.2 ms against the earlier
  -- 512 KiB-of-lines rule; D 4096 rank 4, whose accumulators are 8 MB,
  -- keeps its ~100 rows).
  local tile_row = (n0 * p.QS + m1 * p.RS + m1 * p.m0p + n0 * p.n1p) * size
  local acc = (m1 * p.R * p.m0p + n0 * p.Q * p.n1p) * size
  local mbb = math.max((256 << 10) // tile_row, 2 * acc // tile_row)
  p.MBB = math.max(p.MR, math.min(240, mbb // p.MR * p.MR))
  -- threads = "openmp": the backward's groups of rows (matmul.c.tmpl) each
  -- zero, fill and finally add up their own accumulators, about 0.06 ms a
  -- group at D 1024 rank 1 where a row costs 4 us (same machine): a group
  -- holds at least 12 times the accumulators' bytes of tile rows (under 10%
  -- of the work), or one tile
  p.group_rows = math.max(p.MBB, 12 * acc // tile_row)
  -- the tuner's knob (lib/knobs.lua; it times the forward): MB, the
  -- forward's rows per tile, a multiple of the register tile's rows; on
  -- GPUs the row tile of the GEMMs over the run-time rows (lib/gpu_gemm.lua:
  -- 16, 32 or 64; with tensor cores 32 or 64), a multiple of 16
  p.MBstep, p.MBlim = p.gpu and 16 or p.MR, p.gpu and 64 or 960
  local knob = require("lib.knobs")("btt", { MB = p.MBlim })
  p.MB = knob("MB", p.gpu and 64 or p.MR, p.MBstep,
    p.gpu and "16, the smallest GPU row tile" or ("rows of the " .. V.name .. " register tile"))
  -- rows of the CPU tile buffers (matmul.c.tmpl): both passes' tiles
  p.TB = p.backward and math.max(p.MB, p.MBB) or p.MB
  p.scratch = padW(math.max(p.d_in, p.d_out, p.m0p, p.n1p))

  if p.gpu and not p.attention then
    -- the six contractions as batched GEMMs on the GPU (lib/gpu_gemm.lua):
    -- buffers a, b, c; t and g in the workspace at element off (TR per row)
    local R, Q, TR, d_in, d_out = p.R, p.Q, m1 * p.R, p.d_in, p.d_out
    local ks, kr = packed(s)
    p.KC = 256 -- rows per chunk of the weight gradients' sums
    p.cl_gemms = {
      { name = "f1", fwd = true, bwd = true, doc = "f1: t = x W1, one GEMM per i1",
        G = m1, M = "n", K = m0, N = R, a_fast = "k", b_fast = "n",
        A = function(g, m, k) return "a[" .. m .. " * " .. d_in .. " + " .. g .. " * " .. m0 .. " + " .. k .. "]" end,
        B = function(g, k, n) return "b[(" .. g .. " * " .. m0 .. " + " .. k .. ") * " .. R .. " + " .. n .. "]" end,
        C = function(g, m, n) return "c[off + " .. m .. " * " .. TR .. " + " .. g .. " * " .. R .. " + " .. n .. "]" end },
      { name = "f2", fwd = true, doc = "f2: y = t W2, one GEMM per j0",
        G = n0, M = "n", K = Q, N = n1, a_fast = "k", b_fast = "n", check = true,
        A = function(g, m, k) return "a[off + " .. m .. " * " .. TR .. " + " .. ks(k) .. " * " .. R .. " + " .. g .. " * " .. s .. " + " .. kr(k) .. "]" end,
        B = function(g, k, n) return "b[(" .. g .. " * " .. Q .. " + " .. k .. ") * " .. n1 .. " + " .. n .. "]" end,
        C = function(g, m, n) return "c[" .. m .. " * " .. d_out .. " + " .. g .. " * " .. n1 .. " + " .. n .. "]" end },
      { name = "b1", bwd = true, doc = "b1: g = dy W2^T, one GEMM per j0",
        G = n0, M = "n", K = n1, N = Q, a_fast = "k", b_fast = "k",
        A = function(g, m, k) return "a[" .. m .. " * " .. d_out .. " + " .. g .. " * " .. n1 .. " + " .. k .. "]" end,
        B = function(g, k, n) return "b[(" .. g .. " * " .. Q .. " + " .. n .. ") * " .. n1 .. " + " .. k .. "]" end,
        C = function(g, m, n) return "c[off + " .. m .. " * " .. TR .. " + " .. g .. " * " .. Q .. " + " .. n .. "]" end },
      { name = "b2", bwd = true, doc = "b2: dx = g W1^T, one GEMM per i1",
        G = m1, M = "n", K = R, N = m0, a_fast = "k", b_fast = "k", check = true,
        A = function(g, m, k) return "a[off + " .. m .. " * " .. TR .. " + " .. ks(k) .. " * " .. Q .. " + " .. g .. " * " .. s .. " + " .. kr(k) .. "]" end,
        B = function(g, k, n) return "b[(" .. g .. " * " .. m0 .. " + " .. n .. ") * " .. R .. " + " .. k .. "]" end,
        C = function(g, m, n) return "c[" .. m .. " * " .. d_in .. " + " .. g .. " * " .. m0 .. " + " .. n .. "]" end },
      { name = "dw1", bwd = true, doc = "dw1: dW1 = x^T g over the rows, one GEMM per i1, split over rows",
        G = m1, M = m0, K = "n", N = R, a_fast = "m", b_fast = "n", split = p.KC,
        A = function(g, m, k) return "a[" .. k .. " * " .. d_in .. " + " .. g .. " * " .. m0 .. " + " .. m .. "]" end,
        B = function(g, k, n) return "b[off + " .. k .. " * " .. TR .. " + " .. ks(n) .. " * " .. Q .. " + " .. g .. " * " .. s .. " + " .. kr(n) .. "]" end },
      { name = "dw2", bwd = true, doc = "dw2: dW2 = t^T dy over the rows, one GEMM per j0, split over rows",
        G = n0, M = Q, K = "n", N = n1, a_fast = "m", b_fast = "n", split = p.KC,
        A = function(g, m, k) return "a[off + " .. k .. " * " .. TR .. " + " .. ks(m) .. " * " .. R .. " + " .. g .. " * " .. s .. " + " .. kr(m) .. "]" end,
        B = function(g, k, n) return "b[" .. k .. " * " .. d_out .. " + " .. g .. " * " .. n1 .. " + " .. n .. "]" end },
    }
    require("lib.gpu_gemm").tile_ops(V, p.cl_gemms, p.MB)
  end

  if p.attention then
    p.T = spec.seq_len
    p.dv = spec.value_dim
    p.causal = spec.causal ~= false -- default true
    -- the key index of output (j0, j1): j0 n1 + j1 (j0_major, as y), or
    -- j1 n0 + j0 (j1_major: the authors' BilinearBTTAttention order)
    p.j1_major = spec.key_order == "j1_major"
    -- key_norm "layernorm_affine": k = LayerNorm(.) ln_weight + ln_bias,
    -- per head, in key order
    p.affine = spec.key_norm == "layernorm_affine"
    -- the tensors of NAME_forward / NAME_backward in C order, { name,
    -- written }: the LayerNorm affine's right after W2 (their gradients
    -- right after dW2)
    function p.att_tensors(pass)
      local t = { { "x" }, { "W1" }, { "W2" } }
      if p.affine then t[#t + 1], t[#t + 2] = { "ln_weight" }, { "ln_bias" } end
      t[#t + 1] = { "v" }
      if pass == "forward" then
        t[#t + 1], t[#t + 2] = { "o", true }, { "lse", true }
        return t
      end
      for _, n in ipairs({ "o", "lse", "dout" }) do t[#t + 1] = { n } end
      for _, n in ipairs({ "dx", "dW1", "dW2" }) do t[#t + 1] = { n, true } end
      if p.affine then t[#t + 1], t[#t + 2] = { "dln_weight", true }, { "dln_bias", true } end
      t[#t + 1] = { "dv", true }
      return t
    end
    -- "int NAME_<pass>(...)": lead parameters (a list), the tensors typed by
    -- ty(written) (default: pointers to the real type, const when read),
    -- then sizes and the workspace parameter ws
    function p.att_signature(NAME, pass, lead, ty, ws)
      ty = ty or function(written) return (written and "" or "const ") .. p.real .. " *" end
      local ps = {}
      for _, x in ipairs(lead) do ps[#ps + 1] = x end
      for _, t in ipairs(p.att_tensors(pass)) do ps[#ps + 1] = ty(t[2]) .. t[1] end
      for _, x in ipairs({ "size_t batch", "size_t heads", ws }) do ps[#ps + 1] = x end
      return require("lib.cwrap")("int " .. NAME .. "_" .. pass .. "(", ps, ")", "        ")
    end
    -- "!x || !W1 || ..." over the tensors a call needs (the forward's lse may
    -- be NULL), on lines of at most 95 columns that start at column 8
    function p.att_missing(pass)
      local lines, line = {}, ""
      for _, t in ipairs(p.att_tensors(pass)) do
        if not (pass == "forward" and t[1] == "lse") then
          local piece = (line == "" and "" or " || ") .. "!" .. t[1]
          if 8 + #line + #piece > 95 then
            lines[#lines + 1] = line .. " ||"
            line = "!" .. t[1]
          else
            line = line .. piece
          end
        end
      end
      lines[#lines + 1] = line
      return table.concat(lines, "\n        ")
    end
    function p.key_index(j0, j1)
      if p.j1_major then return "(" .. j1 .. ") * " .. n0 .. " + " .. j0 end
      return "(" .. j0 .. ") * " .. n1 .. " + " .. j1
    end
    p.D = p.d_in
    p.scale = spec.scale or (1 / math.sqrt(p.D))
    -- flash-style tiles: BQ queries (whole row groups) x BK keys (whole
    -- panels); the S, P, dP tiles (BQ x BK) stay in L1
    p.BQ = 48
    p.BK = 64
    p.Tp = (p.T + p.BK - 1) // p.BK * p.BK
    p.Dp = padW(p.D)
    p.dvp = padW(p.dv)
    if p.gpu then -- the GPU's flash tiles (lib/gpu_flash.cl.tmpl)
      p.gf, p.gb = require("lib.gpu_flash").tiles(p.D, p.dv, p.T, size, nil, nil, nil, true)
      p.ln_items = 32 -- the LayerNorm kernels' work-group: one row
      p.att_gemms = att_gemms(p)
    end
  end
  return p
end
