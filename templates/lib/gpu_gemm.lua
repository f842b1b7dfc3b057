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
--
-- Where the vocabulary has tensor-core products (V.mma: cuda with 16-bit
-- storage), the tiles stay in 16 bits in local memory, k contiguous, and
-- each warp of 2 x 2 takes a quarter of the tile as 16 x 8 fragments
-- (V.mma: one m16n8k16 product), accumulating in float.
-- a, b and c hold V.storage elements; ws (the status word and the split-k
-- partials) the arithmetic type.
local M = {}

local function pow2ceil(x)
  local p = 1
  while p < x do p = p * 2 end
  return p
end

-- The tile of a GEMM with M rows (a number, or nil when it is the run-time
-- row count) and N columns; run-time rows take tiles of BMrun rows (btt's
-- knob MB; default 64) rounded down to a power of two in 16..64 (tensor
-- cores: 32..64).
function M.tile(V, Mrows, N, BMrun)
  local run = 64
  while run > (BMrun or 64) and run > (V.mma and 32 or 16) do run = run // 2 end
  if V.mma then
    -- 2 x 2 warps of (BM / 2) x (BN / 2): fragments of 16 rows, 8 columns
    local t = { BK = 32, WG = 128 }
    t.BM = Mrows and math.max(32, math.min(64, pow2ceil(Mrows))) or run
    t.BN = math.max(16, math.min(64, pow2ceil(N)))
    t.FM, t.FN = t.BM // 32, t.BN // 16 -- fragments per warp
    t.LK = t.BK + 8 -- row stride in local memory: conflict-free fragment reads
    return t
  end
  local t = { BK = 16 }
  t.BM = Mrows and math.min(64, pow2ceil(Mrows)) or run
  t.BN = math.min(64, pow2ceil(N))
  t.MR, t.NR = math.min(4, t.BM), math.min(4, t.BN)
  t.TY, t.TX = t.BM // t.MR, t.BN // t.NR
  t.WG = t.TY * t.TX
  return t
end

-- Sets op.tile (M.tile's) on every op of the list; run-time rows take
-- tiles of BMrun.
function M.tile_ops(V, ops, BMrun)
  for _, op in ipairs(ops) do op.tile = M.tile(V, type(op.M) == "number" and op.M or nil, op.N, BMrun) end
end

-- The C expression of op's work-groups: its GEMMs (G, default op.G) x row
-- tiles x column tiles (x chunks of k: parts, default ceil(n / op.split)),
-- n the run-time rows' expression.
function M.groups(op, n, G, parts)
  local t = op.tile
  local rows = type(op.M) == "number" and tostring((op.M + t.BM - 1) // t.BM) or ("(" .. n .. " + " .. t.BM - 1 .. ") / " .. t.BM)
  parts = parts or (op.split and ("((" .. n .. " + " .. op.split - 1 .. ") / " .. op.split .. ")"))
  return (G or op.G) .. " * " .. (op.N + t.BN - 1) // t.BN .. " * (" .. rows .. ")" .. (op.split and (" * " .. parts) or "")
end

-- Source of kernel NAME_k_<op.name>(a, b, c, ws, n, off, poff):
--   op.G, op.N: numbers; op.M, op.K: numbers or "n" (the run-time rows);
--   op.A(g, m, k), op.B(g, k, n): C expressions of elements of a and b;
--   op.a_fast, op.b_fast: "k" or "m" / "k" or "n", the index contiguous in
--   memory (staging loops run along it: coalesced reads);
--   op.C(g, m, n): the element of c written (op.split nil), or
--   op.split = KC: split k into chunks of KC; chunk p's partial of element
--   e = (g * M + m) * N + n goes to ws[poff + p * G*M*N + e];
--   op.check: set the status word when a stored value is not finite;
--   op.tile: M.tile's tile for it (the host code sizes the launch by it too);
--   op.extra (optional): names of more index parameters after poff, for
--   the expressions (op.G may then be a C expression of them, e.g. "H * 16").
-- (op.G: a number or a C expression of op.extra.)
function M.kernel(V, T, NAME, op)
  local t = op.tile
  local G, L, U, S = V.global, V.shared, V.index, V.storage
  local Mx = type(op.M) == "number" and tostring(op.M) or "(size_t)n"
  local Kx = type(op.K) == "number" and tostring(op.K) or "(size_t)n"
  local mt = "((" .. Mx .. " + " .. (t.BM - 1) .. ") / " .. t.BM .. ")"
  local nt = (op.N + t.BN - 1) // t.BN
  local extra = ""
  for _, x in ipairs(op.extra or {}) do extra = extra .. ", " .. U .. " " .. x end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add("/* " .. op.doc .. ":\n * " .. op.G .. " x ceil(" .. Mx .. " / " .. t.BM .. ") x " .. nt ..
    (op.split and (" x ceil(" .. Kx .. " / " .. op.split .. ")") or "") ..
    " work-groups of " .. t.WG .. " (" .. t.BM .. " x " .. t.BN .. " tiles" ..
    (V.mma and ", tensor cores" or "") .. "). */")
  add(V.kernel .. V.group_size(t.WG) .. "void " .. NAME .. "_k_" .. op.name .. "(" .. G .. "const " .. S ..
    " *a, " .. G .. "const " .. S .. " *b,\n        " .. G .. S .. " *c, " .. G .. T .. " *ws, " .. U .. " n, " .. U .. " off, " .. U .. " poff" ..
    extra .. ")")
  add("{")
  local body = V.mma and M.mma_body or M.fma_body
  local decl, loop, results = body(V, T, t, op)
  add(decl)
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
  local checks = op.check and not op.split -- (the status word: a non-finite output)
  if checks then add("    int bad = 0;") end
  local unused = "(void)off, (void)poff, (void)ws"
  for _, x in ipairs(op.extra or {}) do unused = unused .. ", (void)" .. x end
  add("    " .. unused .. ";")
  add(loop)
  for _, x in ipairs(results) do -- { row expression, column expression, value }
    add("    if (" .. x[1] .. " < M && " .. x[2] .. " < " .. op.N .. ") {")
    add("        const size_t mi = " .. x[1] .. ", ni = " .. x[2] .. ";")
    if op.split then
      add("        ws[poff + p * " .. op.G .. " * M * " .. op.N .. " + (g * M + mi) * " .. op.N .. " + ni] = " .. x[3] .. ";")
    else
      add("        " .. op.C("g", "mi", "ni") .. " = " .. V.narrow(x[3]) .. ";")
      if op.check then
        add("        bad |= !isfinite(" .. (S == T and x[3] or V.widen(V.narrow(x[3]))) .. ");")
      end
    end
    add("    }")
  end
  if checks then
    add("    if (bad)")
    add("        *(" .. G .. "int *)ws = 2;")
  end
  add("}")
  return table.concat(out, "\n"), t
end

-- The staging of BK values of k of a tile's `rows` rows (from row0, the
-- variable m0 or n0, below rowlim) through registers `name`
-- (lib/gpu_stage.lua: every load of a block in flight at once): load(kb)
-- reads the values from kb, store() puts them at dst[kk * LD + rr] (kk <
-- BK, rr < rows) or, with rowmajor, dst[rr * LD + kk], zero past k1 and the
-- rows.  elem(row, k) is the element's expression; the stage's columns run
-- along the contiguous index `fast`; `conv` turns the stored element into
-- the tile's type.
local function stager(V, t, name, dst, LD, rowmajor, rows, row0, fast, elem, rowlim, conv)
  local along_k = fast == "k"
  local st = require("lib.gpu_stage").tile(V, { name = name, rows = along_k and rows or t.BK,
    cols = along_k and t.BK or rows, wg = t.WG })
  -- the block's (k, row) of a stage element (r, c)
  local function kr(r, c) if along_k then return c, r end return r, c end
  -- the global (k, row) expressions
  local function at(kb, r, c)
    local kk, rr = kr(r, c)
    return "(" .. kb .. " + (size_t)" .. kk .. ")", "(" .. row0 .. " + (size_t)" .. rr .. ")"
  end
  return {
    decl = "    " .. st.decl,
    load = function(kb)
      return st.load(function(r, c)
        local k, row = at(kb, r, c)
        return elem(row, k)
      end, function(r, c)
        local k, row = at(kb, r, c)
        return k .. " < k1 && " .. row .. " < " .. rowlim
      end, "        ")
    end,
    store = function()
      return st.store(function(r, c, x)
        local kk, rr = kr(r, c)
        return dst .. "[" .. (rowmajor and (rr .. " * " .. LD .. " + " .. kk) or (kk .. " * " .. LD .. " + " .. rr)) .. "] = " .. conv(x) .. ";"
      end, "        ")
    end,
  }
end

-- The k loop over blocks of BK: each block's A and B tiles loaded (every
-- load in flight at once), stored, `body` (lines) between barriers.  (The
-- loops are short, K / BK = 1 to 4 blocks: loading the next block during
-- this one's products bought nothing but registers, 255 a work-item.)
local function k_loop(V, t, a, b, body)
  local out = { a.decl, b.decl, "    for (size_t kb = k0; kb < k1; kb += " .. t.BK .. ") {",
    a.load("kb"), b.load("kb"), a.store(), b.store(), "        " .. V.barrier() }
  for _, l in ipairs(body) do out[#out + 1] = l end
  out[#out + 1] = "        " .. V.barrier()
  out[#out + 1] = "    }"
  return table.concat(out, "\n")
end

-- Arithmetic-type tiles (k-major in local memory), MR x NR register
-- micro-tiles of FMAs.  Returns the declarations, the k loop and the
-- results { row, column, value } of a work-item.
function M.fma_body(V, T, t, op)
  local L = V.shared
  local vec = t.MR == 4 and t.NR == 4
  local LM, LN = t.BM + (vec and 4 or 1), t.BN + (vec and 4 or 1)
  local function row(r) return vec and ("ty * 4 + " .. r) or ("ty + " .. t.TY * r) end
  local function col(c) return vec and ("tx * 4 + " .. c) or ("tx + " .. t.TX * c) end
  local decl = {
    "    " .. L .. V.align_vec .. T .. " As[" .. t.BK * LM .. "], Bs[" .. t.BK * LN .. "];",
    "    const int lid = " .. V.lid() .. ", ty = lid / " .. t.TX .. ", tx = lid % " .. t.TX .. ";",
    "    " .. T .. " acc[" .. t.MR .. "][" .. t.NR .. "];",
  }
  local loop, body = {}, {} -- (body: the products of one block of k)
  local function add(s) body[#body + 1] = s end
  for r = 0, t.MR - 1 do
    for cc = 0, t.NR - 1 do loop[#loop + 1] = "    acc[" .. r .. "][" .. cc .. "] = " .. V.zero() .. ";" end
  end
  local sa = stager(V, t, "ar", "As", LM, false, t.BM, "m0", op.a_fast, function(m, k) return op.A("g", m, k) end, "M", V.widen)
  local sb = stager(V, t, "br", "Bs", LN, false, t.BN, "n0", op.b_fast == "n" and "m" or "k", function(n, k) return op.B("g", k, n) end, tostring(op.N), V.widen)
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
  loop[#loop + 1] = k_loop(V, t, sa, sb, body)
  local results = {}
  for r = 0, t.MR - 1 do
    for cc = 0, t.NR - 1 do
      results[#results + 1] = { "m0 + " .. row(r), "n0 + " .. col(cc), "acc[" .. r .. "][" .. cc .. "]" }
    end
  end
  return table.concat(decl, "\n"), table.concat(loop, "\n"), results
end

-- Tensor-core tiles: A as [m][k] and B as [n][k] in 16 bits (k contiguous:
-- a fragment register is two adjacent k), warp w of 2 x 2 owns rows
-- wm (BM / 2) + 16 fm and columns wn (BN / 2) + 8 fn; lane = 4 grp_ + tig
-- holds, per fragment, rows grp_ and grp_ + 8 and columns 2 tig, 2 tig + 1
-- (the m16n8k16 layout).
function M.mma_body(V, T, t, op)
  local L, S = V.shared, V.storage
  local HM, HN = t.BM // 2, t.BN // 2
  local decl = {
    "    " .. L .. "__align__(16) " .. S .. " As[" .. t.BM * t.LK .. "], Bs[" .. t.BN * t.LK .. "];",
    "    const int lid = " .. V.lid() .. ", warp = lid / 32, lane = lid % 32, grp_ = lane / 4, tig = lane % 4;",
    "    const int wm = warp / 2 * " .. HM .. ", wn = warp % 2 * " .. HN .. ";",
    "    float acc[" .. t.FM .. "][" .. t.FN .. "][4];",
  }
  local loop, body = {}, {} -- (body: the products of one block of k)
  local function add(s) body[#body + 1] = s end
  loop[1] = "    for (int f = 0; f < " .. t.FM * t.FN * 4 .. "; f++)"
  loop[2] = "        (&acc[0][0][0])[f] = 0.0f;"
  local id = function(x) return x end
  local sa = stager(V, t, "ar", "As", t.LK, true, t.BM, "m0", op.a_fast, function(m, k) return op.A("g", m, k) end, "M", id)
  local sb = stager(V, t, "br", "Bs", t.LK, true, t.BN, "n0", op.b_fast == "n" and "m" or "k", function(n, k) return op.B("g", k, n) end, tostring(op.N), id)
  add("        for (int ks = 0; ks < " .. t.BK .. "; ks += 16) {")
  add("            unsigned fa[" .. t.FM .. "][4], fb[" .. t.FN .. "][2];")
  local function word(arr, r, k) return "*(const unsigned *)&" .. arr .. "[(" .. r .. ") * " .. t.LK .. " + ks + " .. k .. "]" end
  for fm = 0, t.FM - 1 do
    local r = "wm + " .. 16 * fm .. " + grp_"
    add("            fa[" .. fm .. "][0] = " .. word("As", r, "2 * tig") .. ";")
    add("            fa[" .. fm .. "][1] = " .. word("As", r .. " + 8", "2 * tig") .. ";")
    add("            fa[" .. fm .. "][2] = " .. word("As", r, "2 * tig + 8") .. ";")
    add("            fa[" .. fm .. "][3] = " .. word("As", r .. " + 8", "2 * tig + 8") .. ";")
  end
  for fn = 0, t.FN - 1 do
    local r = "wn + " .. 8 * fn .. " + grp_"
    add("            fb[" .. fn .. "][0] = " .. word("Bs", r, "2 * tig") .. ";")
    add("            fb[" .. fn .. "][1] = " .. word("Bs", r, "2 * tig + 8") .. ";")
  end
  for fm = 0, t.FM - 1 do
    for fn = 0, t.FN - 1 do
      add("            " .. V.mma("acc[" .. fm .. "][" .. fn .. "]", "fa[" .. fm .. "]", "fb[" .. fn .. "]"))
    end
  end
  add("        }")
  loop[#loop + 1] = k_loop(V, t, sa, sb, body)
  local results = {}
  for fm = 0, t.FM - 1 do
    for fn = 0, t.FN - 1 do
      for e = 0, 3 do
        results[#results + 1] = { "m0 + wm + " .. 16 * fm + (e >= 2 and 8 or 0) .. " + grp_",
          "n0 + wn + " .. 8 * fn + e % 2 .. " + 2 * tig", "acc[" .. fm .. "][" .. fn .. "][" .. e .. "]" }
      end
    end
  end
  return table.concat(decl, "\n"), table.concat(loop, "\n"), results
end

-- Source of NAME_k_sum(ws, out, poff, count, parts): out[e] = the sum of the
-- parts partials ws[poff + p * count + e], p = 0, 1, ... in order; a
-- non-finite sum sets the status word.
function M.sum_kernel(V, T, NAME)
  local G, U = V.global, V.index
  return table.concat({
    "/* The split-k partials summed in a fixed order: one work-item per element. */",
    V.kernel .. "void " .. NAME .. "_k_sum(" .. G .. T .. " *ws, " .. G .. V.storage .. " *out, " .. U .. " poff, " .. U .. " count,",
    "        " .. U .. " parts)",
    "{",
    "    const size_t e = " .. V.gid() .. ";",
    "    " .. T .. " s = " .. V.zero() .. ";",
    "    if (e >= (size_t)count)",
    "        return;",
    "    for (size_t p = 0; p < (size_t)parts; p++)",
    "        s += ws[poff + p * count + e];",
    "    out[e] = " .. V.narrow("s") .. ";",
    "    if (!isfinite(" .. (V.storage == T and "s" or V.widen(V.narrow("s"))) .. "))",
    "        *(" .. G .. "int *)ws = 2;",
    "}",
  }, "\n")
end

return M
