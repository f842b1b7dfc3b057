-- AVX2 + FMA vocabulary: 256-bit vectors of float (8 lanes) or double (4).
return function(dtype)
  local f32 = dtype == "f32"
  local s = f32 and "ps" or "pd"
  local V = {
    name = "avx2",
    lanes = f32 and 8 or 4,
    vec = f32 and "__m256" or "__m256d",
    include = "#include <immintrin.h>",
    cflags = "-mavx2 -mfma",
  }
  local function op(name, n)
    return function(...)
      local args = {...}
      assert(#args == n, name .. " takes " .. n .. " operands")
      return ("_mm256_%s_%s(%s)"):format(name, s, table.concat(args, ", "))
    end
  end
  V.zero = function() return "_mm256_setzero_" .. s .. "()" end
  V.set1 = op("set1", 1)
  V.load = op("load", 1)   -- 32-byte aligned
  V.loadu = op("loadu", 1)
  V.store = op("store", 2)
  V.storeu = op("storeu", 2)
  V.add = op("add", 2)
  V.sub = op("sub", 2)
  V.mul = op("mul", 2)
  V.fma = op("fmadd", 3)   -- a*b + c
  V.fnma = op("fnmadd", 3) -- c - a*b
  -- Added for mlr and lib/vmath.c.tmpl; same meanings as in isa/c.lua.
  V.dtype = dtype
  V.real = f32 and "float" or "double"
  V.mask = V.vec
  V.div = op("div", 2)
  V.max = op("max", 2) -- b where a lane is unordered
  V.min = op("min", 2)
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
  V.exp = function(x) return (V.prefix or "myogen") .. "_exp(" .. x .. ")" end
  return V
end
