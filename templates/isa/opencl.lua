-- OpenCL C 1.2 vocabulary: the portable C one (isa/c.lua: a "vector" is one
-- scalar, because a work-item handles one lane; the device runs the lanes of
-- a group as adjacent work-items, so lane-layout arrays are read and written
-- coalesced), plus what OpenCL needs: the address space of buffer pointers
-- (V.global), the qualifier of entry points (V.kernel), the work-item index
-- (V.gid), the argument type of sizes (V.index: no size_t in kernel
-- arguments), and OpenCL's own round and bit casts.  a*b + c stays as
-- written: OpenCL C contracts it to one fma where the device has one.
return function(dtype)
  local V = require("isa.c")(dtype)
  V.name = "opencl"
  V.global = "__global "
  V.kernel = "__kernel "
  V.index = "ulong" -- sizes and offsets passed to kernels (cl_ulong on the host)
  V.gid = function() return "((size_t)get_global_id(0))" end
  V.func = "static " -- qualifier of device functions called by kernels
  V.round = function(x) return "round(" .. x .. ")" end -- ties away from zero, as in c.lua
  V.pow2i = function(n)
    if dtype == "f32" then
      return "as_float((uint)((int)(" .. n .. ") + 127) << 23)"
    end
    return "as_double((ulong)((long)(" .. n .. ") + 1023) << 52)"
  end
  return V
end
