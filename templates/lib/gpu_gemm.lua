-- Batched GEMM kernels for GPU targets, written against the GPU vocabulary
-- (isa/opencl.lua): C[g][m][n] = sum_k A(g, m, k) B(g, k, n) for g < G,
-- where A, B and C are index expressions into buffers, so one generator
-- serves every contraction of a structured matrix (btt's six).
--
-- A work-group owns a BM x BN tile of C for one g (and, split over k, one
-- chunk of KC values of k: its partial sum goes to a slot of the workspace
-- that sum_kernel then adds in a fixed order: deterministic, no atomics).
-- Each step stages BK values of k of the A and B tiles in local memory;
-- each work-item keeps an MR x NR micro-tile of C in registers: with 4 x 4
-- micro-tiles 4 adjacent rows and columns, read as 4-vectors (row strides
-- a multiple of 4), else rows ty + TY r and columns tx + TX c (odd strides:
-- no bank conflicts on the transposed stores).
local M = {}

local function pow2ceil(x)
  local p = 1
  while p < x do p = p * 2 end
  return p
end

-- The tile of a GEMM with M rows (a number, or nil when it is the run-time
-- row count) and N columns.
function M.tile(Mrows, N)
  local t = { BK = 16 }
  t.BM = Mrows and math.min(64, pow2ceil(Mrows)) or 64
  t.BN = math.min(64, pow2ceil(N))
  t.MR, t.NR = math.min(4, t.BM), math.min(4, t.BN)
  t.TY, t.TX = t.BM // t.MR, t.BN // t.NR
  t.WG = t.TY * t.TX
  return t
end

-- Source of kernel NAME_k_<op.name>(a, b, c, ws, n, off, poff):
--   op.G, op.N: numbers; op.M, op.K: numbers or "n" (the run-time rows);
--   op.A(g, m, k), op.B(g, k, n): C expressions of elements of a and b;
--   op.a_fast, op.b_fast: "k" or "m" / "k" or "n", the index contiguous in
--   memory (staging loops run along it: coalesced reads);
--   op.C(g, m, n): the element of c written (op.split nil), or
--   op.split = KC: split k into chunks of KC; chunk p's partial of element
--   e = (g * M + m) * N + n goes to ws[poff + p * G*M*N + e];
--   op.check: set the status word when a stored value is not finite.
function M.kernel(V, T, NAME, op)
  local t = M.tile(type(op.M) == "number" and op.M or nil, op.N)
  local G, L, U = V.global, V.shared, V.index
  local Mx = type(op.M) == "number" and tostring(op.M) or "(size_t)n"
  local Kx = type(op.K) == "number" and tostring(op.K) or "(size_t)n"
  local mt = "((" .. Mx .. " + " .. (t.BM - 1) .. ") / " .. t.BM .. ")"
  local nt = (op.N + t.BN - 1) // t.BN
  local vec = t.MR == 4 and t.NR == 4
  local LM, LN = t.BM + (vec and 4 or 1), t.BN + (vec and 4 or 1)
  local function row(r) return vec and ("ty * 4 + " .. r) or ("ty + " .. t.TY * r) end
  local function col(c) return vec and ("tx * 4 + " .. c) or ("tx + " .. t.TX * c) end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add("/* " .. op.doc .. ":\n * " .. op.G .. " x ceil(" .. Mx .. " / " .. t.BM .. ") x " .. nt ..
    (op.split and (" x ceil(" .. Kx .. " / " .. op.split .. ")") or "") ..
    " work-groups of " .. t.WG .. " (" .. t.BM .. " x " .. t.BN .. " tiles). */")
  add(V.kernel .. V.group_size(t.WG) .. "void " .. NAME .. "_k_" .. op.name .. "(" .. G .. "const " .. T ..
    " *a, " .. G .. "const " .. T .. " *b,\n        " .. G .. T .. " *c, " .. G .. T .. " *ws, " .. U .. " n, " .. U .. " off, " .. U .. " poff)")
  add("{")
  add("    " .. L .. V.align_vec .. T .. " As[" .. t.BK * LM .. "], Bs[" .. t.BK * LN .. "];")
  add("    const int lid = " .. V.lid() .. ", ty = lid / " .. t.TX .. ", tx = lid % " .. t.TX .. ";")
  add("    size_t grp = " .. V.group() .. ";")
  add("    const size_t M = " .. Mx .. ", K = " .. Kx .. ", tiles = " .. mt .. " * " .. nt .. ";")
  if op.split then
    add("    const size_t p = grp / (" .. op.G .. " * tiles), k0 = p * " .. op.split .. ";")
    add("    const size_t k1 = k0 + " .. op.split .. " < K ? k0 + " .. op.split .. " : K;")
    add("    grp %= " .. op.G .. " * tiles;")
  else
    add("    const size_t k0 = 0, k1 = K;")
  end
  add("    const size_t g = grp / tiles, m0 = grp % tiles / " .. nt .. " * " .. t.BM .. ", n0 = grp % " .. nt .. " * " .. t.BN .. ";")
  add("    " .. T .. " acc[" .. t.MR .. "][" .. t.NR .. "];")
  local checks = op.check and not op.split -- (the status word: a non-finite output)
  if checks then add("    int bad = 0;") end
  add("    (void)off, (void)poff, (void)ws;")
  for r = 0, t.MR - 1 do
    for cc = 0, t.NR - 1 do add("    acc[" .. r .. "][" .. cc .. "] = " .. V.zero() .. ";") end
  end
  add("    for (size_t kb = k0; kb < k1; kb += " .. t.BK .. ") {")
  -- staging: x runs along the contiguous index
  local function stage(dst, L_, rows, rowvar, fast, expr, rowlim)
    -- dst[kk * L_ + rr] for kk < BK, rr < rows
    local ka, ra
    if fast == "k" then
      ka, ra = "x % " .. t.BK, "x / " .. t.BK
    else
      ka, ra = "x / " .. rows, "x % " .. rows
    end
    add("        for (int x = lid; x < " .. t.BK * rows .. "; x += " .. t.WG .. ") {")
    add("            const int kk = " .. ka .. ", rr = " .. ra .. ";")
    add("            const size_t ki = kb + (size_t)kk, " .. rowvar .. " = " .. rowvar:sub(1, 1) .. "0 + (size_t)rr;")
    add("            " .. dst .. "[kk * " .. L_ .. " + rr] = ki < k1 && " .. rowvar .. " < " .. rowlim .. " ? " .. expr .. " : " .. V.zero() .. ";")
    add("        }")
  end
  stage("As", LM, t.BM, "mi", op.a_fast, op.A("g", "mi", "ki"), "M")
  stage("Bs", LN, t.BN, "ni", op.b_fast == "n" and "m" or "k", op.B("g", "ki", "ni"), tostring(op.N))
  add("        " .. V.barrier())
  add("        for (int kk = 0; kk < " .. t.BK .. "; kk++) {")
  if vec then
    for _, x in ipairs(V.load_lanes(T, 4, "As + kk * " .. LM .. " + ty * 4", "a")) do add("            " .. x) end
    for _, x in ipairs(V.load_lanes(T, 4, "Bs + kk * " .. LN .. " + tx * 4", "b")) do add("            " .. x) end
  else
    for r = 0, t.MR - 1 do add("            const " .. T .. " a" .. r .. " = As[kk * " .. LM .. " + " .. row(r) .. "];") end
    for cc = 0, t.NR - 1 do add("            const " .. T .. " b" .. cc .. " = Bs[kk * " .. LN .. " + " .. col(cc) .. "];") end
  end
  for r = 0, t.MR - 1 do
    for cc = 0, t.NR - 1 do
      add("            acc[" .. r .. "][" .. cc .. "] = " .. V.fma("a" .. r, "b" .. cc, "acc[" .. r .. "][" .. cc .. "]") .. ";")
    end
  end
  add("        }")
  add("        " .. V.barrier())
  add("    }")
  for r = 0, t.MR - 1 do
    for cc = 0, t.NR - 1 do
      local mi, ni = "m0 + " .. row(r), "n0 + " .. col(cc)
      add("    if (" .. mi .. " < M && " .. ni .. " < " .. op.N .. ") {")
      add("        const size_t mi = " .. mi .. ", ni = " .. ni .. ";")
      if op.split then
        add("        ws[poff + p * " .. op.G .. " * M * " .. op.N .. " + (g * M + mi) * " .. op.N .. " + ni] = acc[" .. r .. "][" .. cc .. "];")
      else
        add("        " .. op.C("g", "mi", "ni") .. " = acc[" .. r .. "][" .. cc .. "];")
        if op.check then add("        bad |= !isfinite(acc[" .. r .. "][" .. cc .. "]);") end
      end
      add("    }")
    end
  end
  if checks then
    add("    if (bad)")
    add("        *(" .. G .. "int *)ws = 2;")
  end
  add("}")
  return table.concat(out, "\n"), t
end

-- Source of NAME_k_sum(ws, out, poff, count, parts): out[e] = the sum of the
-- parts partials ws[poff + p * count + e], p = 0, 1, ... in order; a
-- non-finite sum sets the status word.
function M.sum_kernel(V, T, NAME)
  local G, U = V.global, V.index
  return table.concat({
    "/* The split-k partials summed in a fixed order: one work-item per element. */",
    V.kernel .. "void " .. NAME .. "_k_sum(" .. G .. T .. " *ws, " .. G .. T .. " *out, " .. U .. " poff, " .. U .. " count,",
    "        " .. U .. " parts)",
    "{",
    "    const size_t e = " .. V.gid() .. ";",
    "    " .. T .. " s = " .. V.zero() .. ";",
    "    if (e >= (size_t)count)",
    "        return;",
    "    for (size_t p = 0; p < (size_t)parts; p++)",
    "        s += ws[poff + p * count + e];",
    "    out[e] = s;",
    "    if (!isfinite(s))",
    "        *(" .. G .. "int *)ws = 2;",
    "}",
  }, "\n")
end

return M
