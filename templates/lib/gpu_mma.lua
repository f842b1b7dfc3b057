-- Generators shared by the tensor-core flash kernels (lib/gpu_flash_mma.tmpl:
-- the forward; lib/gpu_flash_mma_bwd.tmpl: dq, dk and dv).  A warp holds
-- m16n8k16 fragments (V.mma): lane 4 gq + tig, A rows gq and gq + 8 at
-- columns 2 tig (+1) and 2 tig + 8 (+9), B column gq at rows 2 tig (+1) and
-- 2 tig + 8 (+9), accumulator rows gq (e = 0, 1) and gq + 8 (e = 2, 3) at
-- columns 2 tig + e % 2.  Fragments come from 16-bit tiles in local
-- memory by ldmatrix (V.ldsm; rows 16-byte aligned, padded by 8 elements so
-- the 8 rows of a matrix fall in distinct banks).
local M = {}

-- NAME_pack (two floats as one word of 16-bit values) and NAME_keep (a word
-- of dims d, d + 1 with the dims outside [lo, hi) zeroed)
function M.helpers(V, NAME)
  return table.concat({
    "/* Two floats as one word of 16-bit values (lo in the low half). */",
    "static inline __device__ unsigned " .. NAME .. "_pack(float lo, float hi)",
    "{",
    "    const " .. V.storage2 .. " h = " .. V.narrow2 .. "(lo, hi);",
    "    return *(const unsigned *)&h;",
    "}",
    "",
    "/* The word w of dims d, d + 1 with the dims outside [lo, hi) zeroed. */",
    "static inline __device__ unsigned " .. NAME .. "_keep(unsigned w, int d, int lo, int hi)",
    "{",
    "    return (d >= lo && d < hi ? w & 0xffffu : 0u) | (d + 1 >= lo && d + 1 < hi ? w & 0xffff0000u : 0u);",
    "}",
  }, "\n")
end

-- Lines of out[f] += (the warp's 16 rows of A, local [row][LA] from row
-- abase, at columns k0 .. k0 + 15, each word through wrap(word, column of
-- its lo half) if given) times (NF x 8 rows of B, local [row][LB], at the
-- same columns), f < NF: A's fragment one ldmatrix of 4 matrices, B's two
-- at a time (only where when(f), a condition on fragments f and f + 1, holds,
-- if given); unsigned a[4], b[4] declared by the caller.
-- o: V, A, LA, abase, B, LB, NF.
function M.products(o, out, k0, sp, wrap, when)
  local V, lines = o.V, {}
  lines[#lines + 1] = sp .. V.ldsm("a", 4, false, "&" .. o.A .. "[(" .. o.abase .. " + lane % 16) * " .. o.LA .. " + " .. k0 .. " + lane / 16 * 8]")
  if wrap then
    for w = 0, 3 do
      local col = k0 .. " + 2 * tig" .. (w >= 2 and " + 8" or "")
      lines[#lines + 1] = sp .. "a[" .. w .. "] = " .. wrap("a[" .. w .. "]", col) .. ";"
    end
  end
  for f = 0, o.NF - 1, 2 do
    local two, ind = f + 1 < o.NF, when and "    " or ""
    if when then lines[#lines + 1] = sp .. "if (" .. when(f) .. ") {" end
    -- matrices (f, k0), (f, k0 + 8), (f + 1, k0), (f + 1, k0 + 8)
    -- (x2: lanes 16 .. 31 repeat the addresses of 0 .. 15)
    lines[#lines + 1] = sp .. ind .. V.ldsm("b", two and 4 or 2, false, "&" .. o.B .. "[(" .. 8 * f .. " + lane % 8" .. (two and " + lane / 16 * 8" or "") .. ") * " .. o.LB .. " + " .. k0 .. " + lane / 8 % 2 * 8]")
    lines[#lines + 1] = sp .. ind .. V.mma(out .. "[" .. f .. "]", "a", "b")
    if two then lines[#lines + 1] = sp .. ind .. V.mma(out .. "[" .. f + 1 .. "]", "a", "(b + 2)") end
    if when then lines[#lines + 1] = sp .. "}" end
  end
  return table.concat(lines, "\n")
end

-- The statement loading b[0..3], the B fragments of columns n0 .. n0 + 15
-- (two fragments: b, b + 2) over rows k0 .. k0 + 15 of a 16-bit local tile
-- B [k][ld] stored by rows (ldmatrix with trans; n0 + 8 .. n0 + 15 left out
-- where two is false: b[0..1] only).
function M.b_rows(V, B, ld, k0, n0, two)
  return V.ldsm("b", two and 4 or 2, true, "&" .. B .. "[(" .. k0 .. " + lane % 8 + lane / 8 % 2 * 8) * " .. ld .. " + " .. n0 .. (two and " + lane / 16 * 8" or "") .. "]")
end

-- Lines setting a[0..3], the A fragments of the 16 x 16 block of
-- accumulators x[..][4] over columns 16 kk .. 16 kk + 15 (fragments 2 kk,
-- 2 kk + 1: the m16n8 accumulator layout of two adjacent blocks is the
-- m16k16 operand layout), narrowed by NAME_pack; each element through
-- f(expr, fragment, e) if given.
function M.a_from(NAME, x, kk, sp, f)
  local function el(fr, e) local v = x .. "[" .. fr .. "][" .. e .. "]" return f and f(v, fr, e) or v end
  local lines = {}
  for w = 0, 3 do
    local fr, e = 2 * kk + w // 2, 2 * (w % 2)
    lines[#lines + 1] = sp .. "a[" .. w .. "] = " .. NAME .. "_pack(" .. el(fr, e) .. ", " .. el(fr, e + 1) .. ");"
  end
  return table.concat(lines, "\n")
end

-- Whether every level's blocks (level 1 first) are multiples of 16
-- positions: then 16 rows and 16 columns of a tile, each 16-aligned, share
-- the same levels.
function M.aligned(blocks)
  for l = 2, #blocks do
    if blocks[l] % 16 ~= 0 then return false end
  end
  return true
end

-- Near the diagonal with aligned blocks (scores below, and the dS products
-- of lib/gpu_flash_mma_bwd.tmpl): m0.. the levels the warp's 16 rows share
-- with fragments 2 kk, 2 kk + 1 (pair(f, e): accumulator (f, e)'s row and
-- column expressions), then the head of the loop over levels mlo..mhi, lo
-- and hi its dims (from 0 at mlo: levels 1..mlo at once); the caller closes it.
function M.aligned_levels(NAME, pair, NF, sp)
  local ms = {}
  for f = 0, NF - 1, 2 do
    ms[#ms + 1] = "m" .. f // 2 .. " = " .. NAME .. "_shared(" .. table.concat({ pair(f, 0) }, ", ") .. ")"
  end
  return table.concat({ sp .. "const int " .. table.concat(ms, ", ") .. ";",
    sp .. "for (int lv = mlo; lv <= mhi; lv++) {",
    sp .. "    const int lo = lv == mlo ? 0 : " .. NAME .. "_dim[lv - 1], hi = " .. NAME .. "_dim[lv];" }, "\n")
end

-- The scores s[NF][4] of the warp's 16 rows of A (local [row][LA], from row
-- arow) against NF x 8 rows of B (local [row][LB]), each pair at its own
-- level: where every pair shares mhi levels (mlo == mhi) the dot products
-- run over the prefix dn = D[mhi] (the tiles hold zeros past it) times
-- c(mhi); near the diagonal level by level, A's fragments masked to the
-- level's dims, and a pair takes the sum at its own level m times c(m).
-- Where every level's blocks are multiples of 16 positions (o.blocks), a
-- warp's 16 rows and 16 columns (fragments f, f + 1; f even) share the
-- same levels, so near the diagonal the products of a level run only on
-- the fragments that share it and accumulate in place: no second set of
-- accumulators (registers: 4 work-groups of 128 per multiprocessor).
-- Needs mlo, mhi, dn and float acc[NF][4], s[NF][4] declared.
-- o: V, NAME, A, LA, arow, B, LB, NF, cn(m) (" * c(m)" or ""),
-- pair(f, e) -> the query and key index expressions of accumulator (f, e),
-- blocks (the levels' block sizes, level 1 first).
function M.scores(o, sp)
  local NAME = o.NAME
  local out = {}
  local function add(s) out[#out + 1] = sp .. s end
  add("#pragma unroll")
  add("for (int f = 0; f < " .. o.NF * 4 .. "; f++)")
  add("    (&acc[0][0])[f] = 0.0f;")
  local function products(ind, k0, wrap, when) out[#out + 1] = M.products(o, "acc", k0, sp .. ind, wrap, when) end
  add("if (mlo == mhi) { /* every pair shares mhi levels: the prefix D[mhi] */")
  add("    for (int ks = 0; ks < dn; ks += 16) {")
  add("        unsigned a[4], b[4];")
  products("        ", "ks")
  add("    }")
  add("    #pragma unroll")
  add("    for (int f = 0; f < " .. o.NF * 4 .. "; f++)")
  add("        (&s[0][0])[f] = (&acc[0][0])[f]" .. o.cn("mhi") .. ";")
  local aligned = M.aligned(o.blocks)
  local function keep(w, c) return NAME .. "_keep(" .. w .. ", " .. c .. ", lo, hi)" end
  if aligned then
    local function level(f) return "m" .. f // 2 end
    add("} else { /* near the diagonal: the dims of levels 1..mlo for every pair, then level by")
    add("          * level the fragment pairs that share it (m0.. their levels) */")
    out[#out + 1] = M.aligned_levels(NAME, o.pair, o.NF, sp .. "    ")
    add("        for (int ks = lo / 16 * 16; ks < hi; ks += 16) {")
    add("            unsigned a[4], b[4];")
    products("            ", "ks", keep, function(f) return "lv <= " .. level(f) end)
    add("        }")
    add("    }")
    for f = 0, o.NF - 1 do
      add("    #pragma unroll")
      add("    for (int e = 0; e < 4; e++)")
      add("        s[" .. f .. "][e] = acc[" .. f .. "][e]" .. o.cn(level(f - f % 2)) .. ";")
    end
    add("}")
    return table.concat(out, "\n")
  end
  add("} else { /* near the diagonal: level by level, each pair at its own */")
  add("    for (int lv = 1; lv <= mhi; lv++) {")
  add("        const int lo = " .. NAME .. "_dim[lv - 1], hi = " .. NAME .. "_dim[lv];")
  add("        for (int ks = lo / 16 * 16; ks < hi; ks += 16) {")
  add("            unsigned a[4], b[4];")
  products("            ", "ks", keep)
  add("        }")
  add("        if (lv >= mlo) {")
  for f = 0, o.NF - 1 do
    for e = 0, 3 do
      local i, j = o.pair(f, e)
      add("            if (" .. NAME .. "_shared(" .. i .. ", " .. j .. ") == lv)")
      add("                s[" .. f .. "][" .. e .. "] = acc[" .. f .. "][" .. e .. "]" .. o.cn("lv") .. ";")
    end
  end
  add("        }")
  add("    }")
  add("}")
  return table.concat(out, "\n")
end

-- The tiles a flash kernel walks (the forward's and dq's key tiles, dk/dv's
-- query tiles) by cp.async where their rows are 16-byte aligned
-- (V.cp_async16), with two buffers (g.NB) the next tile's copies in flight
-- under this one's compute; else element by element at the top of the
-- tile's step (lib/gpu_stage.lua async_rows: no registers held, which would
-- cost occupancy on the aligned path too).  Without cp.async (o.async
-- false: dims not multiples of 8) through registers at the top of each
-- step (the parts' reg).
-- o: NAME, T, async, t (the loop variable), t0, tn (the first tile, the
-- end), B (rows a tile), levels (the first arguments of NAME_tile_levels for
-- a tile of rows n0..n1), ok (the alignment test), parts: { src, stride,
-- cols, lim(hi), arr, ld, size (elements a buffer), ptr, type (the pointer
-- to this step's buffer and its element type)[, per, zero, one (a single
-- row: lse, Dv), reg(sp): the register path's statements (into ptr)] }.
-- Returns the code before the loop (before, nil where there is none), at
-- the head of a step (head: the buffer's number and the parts' pointers),
-- then at its top (top: ending in its barrier) and after that (after, nil
-- where there is none).
function M.walk(V, g, o)
  local stage, TT = require("lib.gpu_stage"), o.T
  local function copy(t, b, sp, plain)
    local out = { sp .. "{", sp .. "    " .. stage.span("n", t, o.B, TT), sp .. "    int lo, hi;",
      sp .. "    " .. o.NAME .. "_tile_levels(" .. o.levels .. ", &lo, &hi);", sp .. "    (void)lo, (void)hi;" }
    for _, p in ipairs(o.parts) do
      local st = stage.async_rows(V, { rows = p.one and 1 or o.B, cols = p.cols, wg = g.WG, T = TT, stride = p.stride, per = p.per, zero = p.zero })
      local dst = "(" .. p.arr .. " + " .. b .. " * " .. p.size .. ")"
      if p.one then
        out[#out + 1] = st.issue("(" .. p.src .. " + n0)", "0", "(" .. TT .. " - (int)n0)", dst, p.ld, sp .. "    ", plain)
      else
        out[#out + 1] = st.issue(p.src, "n0", p.lim("hi"), dst, p.ld, sp .. "    ", plain)
      end
    end
    out[#out + 1] = sp .. "}"
    return table.concat(out, "\n")
  end
  local r, buf = {}, g.NB == 2 and "buf" or "0"
  if o.async then
    r.before = "    const int async = " .. o.ok .. ";" ..
      (g.NB == 2 and ("\n    if (async) /* the first tile's copies */\n" .. copy(o.t0, "0", "        ")) or "")
  end
  local head = {}
  if g.NB == 2 then head[1] = "        const int buf = (int)((" .. o.t .. " - " .. o.t0 .. ") & 1);" end
  for _, p in ipairs(o.parts) do
    head[#head + 1] = "        " .. p.type .. " *" .. p.ptr .. " = " .. p.arr .. " + " .. buf .. " * " .. p.size .. ";"
  end
  r.head = table.concat(head, "\n")
  local top = {}
  if g.NB == 1 then top[#top + 1] = "        " .. V.barrier() .. " /* the last tile's reads are done */" end
  if o.async then
    top[#top + 1] = "        if (async) {"
    if g.NB == 1 then top[#top + 1] = copy(o.t, "0", "            ") end
    top[#top + 1] = "            " .. V.cp_wait_all()
    top[#top + 1] = "        } else"
    top[#top + 1] = copy(o.t, buf, "            ", true)
  else
    for _, p in ipairs(o.parts) do if p.reg then top[#top + 1] = p.reg("        ") end end
  end
  top[#top + 1] = "        " .. V.barrier()
  r.top = table.concat(top, "\n")
  if o.async and g.NB == 2 then
    r.after = "        if (async && " .. o.t .. " + 1 < " .. o.tn .. ") /* the next tile's copies, under this one's compute */\n" ..
      copy(o.t .. " + 1", "(buf ^ 1)", "            ")
  end
  return r
end

return M
