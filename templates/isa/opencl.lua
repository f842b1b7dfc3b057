-- OpenCL C 1.2 vocabulary: written like isa/c.lua, a "vector" is one scalar
-- because a work-item handles one lane (the device runs the lanes of a group
-- as adjacent work-items, so lane-layout arrays are read and written
-- coalesced).  Kernel families add what OpenCL needs on top of the scalar
-- operations: the address space of buffer pointers (V.global), the
-- qualifier of entry points (V.kernel), the work-item index (V.gid), and the
-- argument types a kernel may take (V.index: no size_t in kernel arguments).
return function(dtype)
  local real = dtype == "f32" and "float" or "double"
  local V = { name = "opencl", lanes = 1, vec = real, include = nil, cflags = "" }
  V.global = "__global "
  V.kernel = "__kernel "
  V.index = "ulong" -- sizes and offsets passed to kernels (cl_ulong on the host)
  V.gid = function() return "((size_t)get_global_id(0))" end
  V.zero = function() return dtype == "f32" and "0.0f" or "0.0" end
  V.set1 = function(x) return "(" .. x .. ")" end
  V.load = function(p) return "(*(" .. p .. "))" end
  V.loadu = V.load
  V.store = function(p, v) return "(*(" .. p .. ") = (" .. v .. "))" end
  V.storeu = V.store
  V.add = function(a, b) return "(" .. a .. " + " .. b .. ")" end
  V.sub = function(a, b) return "(" .. a .. " - " .. b .. ")" end
  V.mul = function(a, b) return "(" .. a .. " * " .. b .. ")" end
  -- a*b + c as written: OpenCL C contracts it to one fma where the device
  -- has one (FP_CONTRACT is on by default)
  V.fma = function(a, b, c) return "(" .. a .. " * " .. b .. " + " .. c .. ")" end
  V.fnma = function(a, b, c) return "(" .. c .. " - " .. a .. " * " .. b .. ")" end
  -- the same meanings as in isa/c.lua (mlr, lib/vmath.c.tmpl); operands of
  -- max, min and select are repeated: pass variables
  V.dtype = dtype
  V.real = real
  V.mask = "int"
  V.div = function(a, b) return "(" .. a .. " / " .. b .. ")" end
  V.max = function(a, b) return "((" .. a .. ") > (" .. b .. ") ? (" .. a .. ") : (" .. b .. "))" end
  V.min = function(a, b) return "((" .. a .. ") < (" .. b .. ") ? (" .. a .. ") : (" .. b .. "))" end
  V.cmp_lt = function(a, b) return "((" .. a .. ") < (" .. b .. "))" end
  V.cmp_gt = function(a, b) return "((" .. a .. ") > (" .. b .. "))" end
  V.select = function(m, a, b) return "((" .. m .. ") ? (" .. a .. ") : (" .. b .. "))" end
  V.round = function(x) return "round(" .. x .. ")" end -- ties away from zero, as in c.lua
  V.pow2i = function(n)
    if dtype == "f32" then
      return "as_float((uint)((int)(" .. n .. ") + 127) << 23)"
    end
    return "as_double((ulong)((long)(" .. n .. ") + 1023) << 52)"
  end
  V.exp = function(x) return (V.prefix or "myogen") .. "_exp(" .. x .. ")" end
  return V
end
