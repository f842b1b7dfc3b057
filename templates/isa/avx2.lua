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
  return V
end
