-- AVX2 + FMA vocabulary: 256-bit vectors of float (8 lanes) or double (4).
return function(dtype)
  local f32 = dtype == "f32"
  local s = f32 and "ps" or "pd"
  local V = {
    name = "avx2",
    lanes = f32 and 8 or 4,
    vec = f32 and "__m256" or "__m256d",
    include = "#include <immintrin.h>",
    regs = 16,
    cflags = "-mavx2 -mfma",
    -- C conditions: the compiler was given cflags; the ISA exists on this
    -- architecture; the CPU runs it (GCC and Clang builtins, which also check
    -- that the OS saves the registers); the target pragma of a list target
    compiled = "defined(__AVX2__) && defined(__FMA__)",
    arch = "defined(__x86_64__) || defined(__i386__)",
    cpu = '__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")',
    pragma = "avx2,fma",
  }
  require("isa.x86")(V, 256, dtype)
  V.mask = V.vec
  V.cmp_lt = function(a, b) return ("_mm256_cmp_%s(%s, %s, _CMP_LT_OQ)"):format(s, a, b) end
  V.cmp_gt = function(a, b) return ("_mm256_cmp_%s(%s, %s, _CMP_GT_OQ)"):format(s, a, b) end
  V.select = function(m, a, b) return ("_mm256_blendv_%s(%s, %s, %s)"):format(s, b, a, m) end
  V.round = function(x)
    return ("_mm256_round_%s(%s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)"):format(s, x)
  end
  V.pow2i = function(n)
    if f32 then
      return "_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(" .. n ..
        "), _mm256_set1_epi32(127)), 23))"
    end
    return "_mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(" ..
      "_mm256_cvtpd_epi32(" .. n .. ")), _mm256_set1_epi64x(1023)), 52))"
  end
  -- transpose(src, ss, dst, ds): a C statement that writes the transpose of
  -- the lanes x lanes block at src (rows ss elements apart) to dst (rows ds
  -- apart); unaligned rows are fine.
  V.transpose = function(src, ss, dst, ds)
    local L = {}
    local function row(p, st, k) return "(" .. p .. ") + " .. k .. " * (" .. st .. ")" end
    if f32 then
      for k = 0, 7 do L[#L + 1] = ("const __m256 r%d = _mm256_loadu_ps(%s);"):format(k, row(src, ss, k)) end
      for k = 0, 3 do
        L[#L + 1] = ("const __m256 t%d = _mm256_unpacklo_ps(r%d, r%d), t%d = _mm256_unpackhi_ps(r%d, r%d);")
          :format(2 * k, 2 * k, 2 * k + 1, 2 * k + 1, 2 * k, 2 * k + 1)
      end
      for h = 0, 1 do
        for k = 0, 1 do
          local a, b = 4 * h + k, 4 * h + k + 2
          L[#L + 1] = ("const __m256 u%d = _mm256_shuffle_ps(t%d, t%d, 0x44), u%d = _mm256_shuffle_ps(t%d, t%d, 0xEE);")
            :format(4 * h + 2 * k, a, b, 4 * h + 2 * k + 1, a, b)
        end
      end
      for k = 0, 7 do
        L[#L + 1] = ("_mm256_storeu_ps(%s, _mm256_permute2f128_ps(u%d, u%d, 0x%s));")
          :format(row(dst, ds, k), k % 4, k % 4 + 4, k < 4 and "20" or "31")
      end
    else
      for k = 0, 3 do L[#L + 1] = ("const __m256d r%d = _mm256_loadu_pd(%s);"):format(k, row(src, ss, k)) end
      L[#L + 1] = "const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);"
      L[#L + 1] = "const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);"
      for k = 0, 3 do
        L[#L + 1] = ("_mm256_storeu_pd(%s, _mm256_permute2f128_pd(t%d, t%d, 0x%s));")
          :format(row(dst, ds, k), k % 2, k % 2 + 2, k < 2 and "20" or "31")
      end
    end
    return "{ " .. table.concat(L, " ") .. " }"
  end
  return V
end
