-- Generators shared by the tensor-core flash kernels (lib/gpu_flash_mma.tmpl:
-- the forward; lib/gpu_flash_mma_bwd.tmpl: dq, dk and dv).  A warp holds
-- m16n8k16 fragments (V.mma): lane 4 gq + tig, A rows gq and gq + 8 at
-- columns 2 tig (+1) and 2 tig + 8 (+9), B column gq at rows 2 tig (+1) and
-- 2 tig + 8 (+9), accumulator rows gq (e = 0, 1) and gq + 8 (e = 2, 3) at
-- columns 2 tig + e % 2.  16-bit tiles in local memory are read as words
-- of two adjacent elements.
local M = {}

-- the word of arr at (row, col) and (row, col + 1), rows ld elements apart
function M.word(arr, row, ld, col)
  return "*(const unsigned *)&" .. arr .. "[(" .. row .. ") * " .. ld .. " + " .. col .. "]"
end

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
-- arow, at columns c0 (a[0], a[1]) and c1 (a[2], a[3]), each word through
-- wrap(word, column) if given) times (NF x 8 rows of B, local [row][LB], at
-- the same columns), f < NF; a[4] and b[2] declared by the caller.
-- o: V, A, LA, arow, B, LB, NF.
function M.products(o, out, c0, c1, sp, wrap)
  local word, lines = M.word, {}
  local rows, cols = { o.arow, o.arow .. " + 8", o.arow, o.arow .. " + 8" }, { c0, c0, c1, c1 }
  for w = 1, 4 do
    local x = word(o.A, rows[w], o.LA, cols[w])
    lines[#lines + 1] = sp .. "a[" .. w - 1 .. "] = " .. (wrap and wrap(x, cols[w]) or x) .. ";"
  end
  for f = 0, o.NF - 1 do
    lines[#lines + 1] = sp .. "b[0] = " .. word(o.B, 8 * f .. " + gq", o.LB, c0) .. ";"
    lines[#lines + 1] = sp .. "b[1] = " .. word(o.B, 8 * f .. " + gq", o.LB, c1) .. ";"
    lines[#lines + 1] = sp .. o.V.mma(out .. "[" .. f .. "]", "a", "b")
  end
  return table.concat(lines, "\n")
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

-- The scores s[NF][4] of the warp's 16 rows of A (local [row][LA], from row
-- arow) against NF x 8 rows of B (local [row][LB]), each pair at its own
-- level: where every pair shares mhi levels (mlo == mhi) the dot products
-- run over the prefix dn = D[mhi] (the tiles hold zeros past it) times
-- c(mhi); near the diagonal level by level, A's fragments masked to the
-- level's dims, and a pair takes the sum at its own level m times c(m).
-- Needs mlo, mhi, dn and float acc[NF][4], s[NF][4] declared.
-- o: V, NAME, A, LA, arow, B, LB, NF, cn(m) (" * c(m)" or ""),
-- pair(f, e) -> the query and key index expressions of accumulator (f, e).
function M.scores(o, sp)
  local NAME = o.NAME
  local out = {}
  local function add(s) out[#out + 1] = sp .. s end
  add("#pragma unroll")
  add("for (int f = 0; f < " .. o.NF * 4 .. "; f++)")
  add("    (&acc[0][0])[f] = 0.0f;")
  local function products(ind, c0, c1, wrap) out[#out + 1] = M.products(o, "acc", c0, c1, sp .. ind, wrap) end
  add("if (mlo == mhi) { /* every pair shares mhi levels: the prefix D[mhi] */")
  add("    for (int ks = 0; ks < dn; ks += 16) {")
  add("        unsigned a[4], b[2];")
  products("        ", "ks + 2 * tig", "ks + 2 * tig + 8")
  add("    }")
  add("    #pragma unroll")
  add("    for (int f = 0; f < " .. o.NF * 4 .. "; f++)")
  add("        (&s[0][0])[f] = (&acc[0][0])[f]" .. o.cn("mhi") .. ";")
  add("} else { /* near the diagonal: level by level, each pair at its own */")
  add("    for (int lv = 1; lv <= mhi; lv++) {")
  add("        const int lo = " .. NAME .. "_dim[lv - 1], hi = " .. NAME .. "_dim[lv];")
  add("        for (int ks = lo / 16 * 16; ks < hi; ks += 16) {")
  add("            unsigned a[4], b[2];")
  add("            const int d0 = ks + 2 * tig, d1 = d0 + 8;")
  products("            ", "d0", "d1", function(w, c) return NAME .. "_keep(" .. w .. ", " .. c .. ", lo, hi)" end)
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

return M
