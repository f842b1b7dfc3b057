-- Portable C99 vocabulary: a "vector" is one scalar; the C compiler may
-- vectorize the loops over lanes itself.
return function(dtype)
  local real = dtype == "f32" and "float" or "double"
  local V = { name = "c", lanes = 1, vec = real, include = nil, cflags = "", cpu = "1" }
  V.func = "static " -- qualifier of helper functions (GPUs: callable from kernels)
  V.zero = function() return dtype == "f32" and "0.0f" or "0.0" end
  V.set1 = function(x) return "(" .. x .. ")" end
  V.load = function(p) return "(*(" .. p .. "))" end
  V.loadu = V.load
  V.store = function(p, v) return "(*(" .. p .. ") = (" .. v .. "))" end
  V.storeu = V.store
  V.add = function(a, b) return "(" .. a .. " + " .. b .. ")" end
  V.sub = function(a, b) return "(" .. a .. " - " .. b .. ")" end
  V.mul = function(a, b) return "(" .. a .. " * " .. b .. ")" end
  V.fma = function(a, b, c) return "(" .. a .. " * " .. b .. " + " .. c .. ")" end
  V.fnma = function(a, b, c) return "(" .. c .. " - " .. a .. " * " .. b .. ")" end
  -- Added for mlr and lib/vmath.c.tmpl (exp, online softmax). Comparisons
  -- give a mask (V.mask), select(m, a, b) is m ? a : b lane-wise; max/min
  -- return b when a lane is unordered (as SSE/AVX do); round is to nearest
  -- (ties away from zero here; |x| < 2^31); pow2i(n) = 2^n for integral n in
  -- the normal exponent range; exp(x) calls the function that
  -- lib/vmath.c.tmpl emits, named from V.prefix (the kernel's name).
  -- Operands of max, min, round and select are repeated: pass variables.
  V.dtype = dtype
  V.real = real
  V.mask = "int"
  V.div = function(a, b) return "(" .. a .. " / " .. b .. ")" end
  V.max = function(a, b) return "((" .. a .. ") > (" .. b .. ") ? (" .. a .. ") : (" .. b .. "))" end
  V.min = function(a, b) return "((" .. a .. ") < (" .. b .. ") ? (" .. a .. ") : (" .. b .. "))" end
  V.cmp_lt = function(a, b) return "((" .. a .. ") < (" .. b .. "))" end
  V.cmp_gt = function(a, b) return "((" .. a .. ") > (" .. b .. "))" end
  V.select = function(m, a, b) return "((" .. m .. ") ? (" .. a .. ") : (" .. b .. "))" end
  V.round = function(x)
    return "((" .. real .. ")(int32_t)((" .. x .. ") + ((" .. x .. ") < 0 ? -0.5 : 0.5)))"
  end
  V.pow2i = function(n)
    if dtype == "f32" then
      return "((union { uint32_t u; float f; }){ (uint32_t)((int32_t)(" .. n .. ") + 127) << 23 }).f"
    end
    return "((union { uint64_t u; double f; }){ (uint64_t)((int64_t)(" .. n .. ") + 1023) << 52 }).f"
  end
  V.exp = function(x) return (V.prefix or "myogen") .. "_exp(" .. x .. ")" end
  V.exp_nonpos = function(x) return (V.prefix or "myogen") .. "_exp_nonpos(" .. x .. ")" end -- x <= 0
  -- prefetch(p): a C expression asking for the line at p in cache ahead of
  -- its loads (a hint; ((void)0) where the target names none: portable C)
  V.prefetch = function(p) return "((void)(" .. p .. "))" end
  -- transpose(src, ss, dst, ds): a C statement writing the transpose of the
  -- lanes x lanes block at src (rows ss apart) to dst (rows ds apart).
  V.transpose = function(src, ss, dst, ds)
    return "(" .. dst .. ")[0] = (" .. src .. ")[0];"
  end
  return V
end
