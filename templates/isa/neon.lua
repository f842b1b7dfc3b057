-- AArch64 Advanced SIMD (NEON) vocabulary: 128-bit vectors of float (4
-- lanes) or double (2), 32 vector registers.  Same meanings as isa/c.lua.
-- NEON is part of every AArch64 CPU: no flags, nothing to check at run time.
return function(dtype)
  local f32 = dtype == "f32"
  local s = f32 and "f32" or "f64"
  local u = f32 and "u32" or "u64"
  local V = {
    name = "neon",
    lanes = f32 and 4 or 2,
    regs = 32,
    vec = f32 and "float32x4_t" or "float64x2_t",
    include = "#include <arm_neon.h>",
    cflags = "",
    -- the conditions isa/avx2.lua explains: an AArch64 compiler is all it takes
    compiled = "defined(__aarch64__)",
    arch = "defined(__aarch64__)",
    cpu = "1",
    func = "static ", -- (isa/c.lua)
  }
  local function op(name, n)
    return function(...)
      local args = {...}
      assert(#args == n, name .. " takes " .. n .. " operands")
      return ("%s_%s(%s)"):format(name, s, table.concat(args, ", "))
    end
  end
  V.zero = function() return "vdupq_n_" .. s .. "(0)" end
  V.set1 = op("vdupq_n", 1)
  V.load = op("vld1q", 1) -- any alignment
  V.loadu = V.load
  V.store = op("vst1q", 2)
  V.storeu = V.store
  V.add = op("vaddq", 2)
  V.sub = op("vsubq", 2)
  V.mul = op("vmulq", 2)
  V.fma = function(a, b, c) return ("vfmaq_%s(%s, %s, %s)"):format(s, c, a, b) end  -- a*b + c
  V.fnma = function(a, b, c) return ("vfmsq_%s(%s, %s, %s)"):format(s, c, a, b) end -- c - a*b
  V.stream = V.store -- no non-temporal vector store to name: a plain one
  V.sfence = function() return "((void)0)" end
  V.prefetch = function(p) return "__builtin_prefetch(" .. p .. ")" end
  V.dtype = dtype
  V.real = f32 and "float" or "double"
  V.mask = f32 and "uint32x4_t" or "uint64x2_t"
  V.div = op("vdivq", 2)
  V.cmp_lt = op("vcltq", 2)
  V.cmp_gt = op("vcgtq", 2)
  V.select = function(m, a, b) return ("vbslq_%s(%s, %s, %s)"):format(s, m, a, b) end
  -- b where a lane is unordered (a compare is false there), as SSE does;
  -- NEON's own fmax would return the NaN
  V.max = function(a, b) return V.select(V.cmp_gt(a, b), a, b) end
  V.min = function(a, b) return V.select(V.cmp_lt(a, b), a, b) end
  V.round = op("vrndnq", 1) -- to nearest, ties to even
  V.pow2i = function(n)
    if f32 then
      return "vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(" .. n ..
        "), vdupq_n_s32(127)), 23))"
    end
    return "vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(vcvtq_s64_f64(" .. n ..
      "), vdupq_n_s64(1023)), 52))"
  end
  V.exp = function(x) return (V.prefix or "myogen") .. "_exp(" .. x .. ")" end
  V.exp_nonpos = function(x) return (V.prefix or "myogen") .. "_exp_nonpos(" .. x .. ")" end -- x <= 0
  -- transpose(src, ss, dst, ds): the lanes x lanes block at src (rows ss
  -- apart) transposed to dst (rows ds apart): trn1/trn2 on lanes, then (f32)
  -- on 64-bit pairs.
  V.transpose = function(src, ss, dst, ds)
    local L = {}
    local function row(p, st, k) return "(" .. p .. ") + " .. k .. " * (" .. st .. ")" end
    local function add(fmt, ...) L[#L + 1] = fmt:format(...) end
    if f32 then
      for k = 0, 3 do add("const float32x4_t r%d = vld1q_f32(%s);", k, row(src, ss, k)) end
      add("const float32x4_t t0 = vtrn1q_f32(r0, r1), t1 = vtrn2q_f32(r0, r1);")
      add("const float32x4_t t2 = vtrn1q_f32(r2, r3), t3 = vtrn2q_f32(r2, r3);")
      for k = 0, 3 do
        local a, b = k % 2, k % 2 + 2
        add("vst1q_f32(%s, vreinterpretq_f32_f64(vtrn%dq_f64(vreinterpretq_f64_f32(t%d), vreinterpretq_f64_f32(t%d))));",
          row(dst, ds, k), k < 2 and 1 or 2, a, b)
      end
    else
      for k = 0, 1 do add("const float64x2_t r%d = vld1q_f64(%s);", k, row(src, ss, k)) end
      add("vst1q_f64(%s, vtrn1q_f64(r0, r1));", row(dst, ds, 0))
      add("vst1q_f64(%s, vtrn2q_f64(r0, r1));", row(dst, ds, 1))
    end
    return "{ " .. table.concat(L, " ") .. " }"
  end
  return V
end
