-- AVX-512F vocabulary: 512-bit vectors of float (16 lanes) or double (8),
-- 32 vector registers; comparisons give k-masks.  Same meanings as isa/c.lua.
return function(dtype)
  local f32 = dtype == "f32"
  local s = f32 and "ps" or "pd"
  local V = {
    name = "avx512",
    lanes = f32 and 16 or 8,
    regs = 32,
    vec = f32 and "__m512" or "__m512d",
    include = "#include <immintrin.h>",
    cflags = "-mavx512f -mfma",
    -- the conditions isa/avx2.lua explains
    compiled = "defined(__AVX512F__) && defined(__FMA__)",
    arch = "defined(__x86_64__) || defined(__i386__)",
    cpu = '__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")',
    pragma = "avx512f,avx2,fma",
  }
  require("isa.x86")(V, 512, dtype)
  V.mask = f32 and "__mmask16" or "__mmask8"
  V.cmp_lt = function(a, b) return ("_mm512_cmp_%s_mask(%s, %s, _CMP_LT_OQ)"):format(s, a, b) end
  V.cmp_gt = function(a, b) return ("_mm512_cmp_%s_mask(%s, %s, _CMP_GT_OQ)"):format(s, a, b) end
  V.select = function(m, a, b) return ("_mm512_mask_blend_%s(%s, %s, %s)"):format(s, m, b, a) end
  V.round = function(x)
    return ("_mm512_roundscale_%s(%s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)"):format(s, x)
  end
  V.pow2i = function(n)
    if f32 then
      return "_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(" .. n ..
        "), _mm512_set1_epi32(127)), 23))"
    end
    return "_mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(_mm512_cvtepi32_epi64(" ..
      "_mm512_cvtpd_epi32(" .. n .. ")), _mm512_set1_epi64(1023)), 52))"
  end
  -- transpose(src, ss, dst, ds): the lanes x lanes block at src (rows ss
  -- apart) transposed to dst (rows ds apart); unaligned rows are fine.
  -- Rows pair up within 128-bit quarters (unpack, then for f32 a 4x4
  -- shuffle), then two rounds of quarter shuffles gather each column.
  V.transpose = function(src, ss, dst, ds)
    local L = {}
    local function add(fmt, ...) L[#L + 1] = fmt:format(...) end
    local function row(p, st, k) return "(" .. p .. ") + " .. k .. " * (" .. st .. ")" end
    local n, q, vt = V.lanes, f32 and "f32x4" or "f64x2", V.vec
    for k = 0, n - 1 do add("const %s r%d = _mm512_loadu_%s(%s);", vt, k, s, row(src, ss, k)) end
    for k = 0, n / 2 - 1 do
      add("const %s t%d = _mm512_unpacklo_%s(r%d, r%d), t%d = _mm512_unpackhi_%s(r%d, r%d);",
        vt, 2 * k, s, 2 * k, 2 * k + 1, 2 * k + 1, s, 2 * k, 2 * k + 1)
    end
    -- c[g]: the vector whose quarter Q holds column (per * Q + g % per) of
    -- rows 4 (f32) or 2 (f64) * (g // per) onwards; per columns per quarter
    local per, c = f32 and 4 or 2, {}
    if f32 then
      for h = 0, 3 do
        for k = 0, 1 do
          local a, b = 4 * h + k, 4 * h + k + 2
          add("const __m512 u%d = _mm512_shuffle_ps(t%d, t%d, 0x44), u%d = _mm512_shuffle_ps(t%d, t%d, 0xEE);",
            4 * h + 2 * k, a, b, 4 * h + 2 * k + 1, a, b)
        end
      end
      for g = 0, 15 do c[g] = "u" .. g end
    else
      for g = 0, 7 do c[g] = "t" .. g end
    end
    -- output row j = column j: quarter j // per of c[j % per + per * G], G = 0..3
    local function imm(a, b, c2, d) return ("0x%02X"):format(a + 4 * b + 16 * c2 + 64 * d) end
    for j = 0, n - 1 do
      local col, Q = j % per, j // per
      local lo, hi = Q - Q % 2, Q - Q % 2 + 1 -- the quarter pair holding Q
      add("{ const %s tr_a = _mm512_shuffle_%s(%s, %s, %s), tr_b = _mm512_shuffle_%s(%s, %s, %s);",
        vt, q, c[col], c[col + per], imm(lo, hi, lo, hi), q, c[col + 2 * per], c[col + 3 * per],
        imm(lo, hi, lo, hi))
      local w = Q % 2
      add("_mm512_storeu_%s(%s, _mm512_shuffle_%s(tr_a, tr_b, %s)); }", s, row(dst, ds, j), q,
        imm(w, 2 + w, w, 2 + w))
    end
    return "{ " .. table.concat(L, " ") .. " }"
  end
  return V
end
