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
  V.dialect = "OpenCL C 1.2"
  V.gpu = true -- device code (gpu_device.tmpl) and host code that launches it
  V.constant = "__constant " -- read-only tables at file scope
  V.global = "__global "
  V.kernel = "__kernel "
  V.index = "ulong" -- sizes and offsets passed to kernels (cl_ulong on the host)
  V.gid = function() return "((size_t)get_global_id(0))" end
  V.func = "static " -- qualifier of device functions called by kernels
  -- work-groups (tiled kernels): local memory, the item's index in its group,
  -- the group's index, a barrier over the group's local memory, and the
  -- entry-point attribute fixing the group size (the host launches exactly it)
  V.shared = "__local "
  V.local_ptr = "__local " -- the address space of a pointer into it
  -- the lines that let f64 kernels compile (before any use of double)
  V.f64_enable = function(NAME)
    return "#ifndef cl_khr_fp64\n#error \"" .. NAME .. ": an f64 kernel needs a device with cl_khr_fp64\"\n#endif\n#pragma OPENCL EXTENSION cl_khr_fp64 : enable"
  end
  V.lid = function() return "((int)get_local_id(0))" end
  V.group = function() return "((size_t)get_group_id(0))" end
  V.barrier = function() return "barrier(CLK_LOCAL_MEM_FENCE);" end
  -- a hint to unroll the next loop n times (loads of later iterations issue
  -- before the earlier ones' dependent arithmetic)
  V.unroll = function(n) return "#pragma unroll " .. n end
  V.group_size = function(n) return "__attribute__((reqd_work_group_size(" .. n .. ", 1, 1))) " end -- (no register bound in OpenCL C)
  -- n-vectors (n = 2, 4): the type, a load from local memory at an address
  -- aligned to n elements (the array declared with V.align_vec, 32 bytes:
  -- enough for double4), and the name of lane i
  V.vecn = function(T, n) return T .. n end
  V.loadn = function(T, n, p) return "*(" .. V.shared .. "const " .. T .. n .. " *)(" .. p .. ")" end
  V.storen = function(T, n, p) return "*(" .. V.shared .. T .. n .. " *)(" .. p .. ")" end
  V.lane = function(n, i) return n == 4 and ({ "x", "y", "z", "w" })[i + 1] or ("s" .. i) end
  -- declarations of name0 .. name{n-1}: the n elements at local address p,
  -- loaded as one n-vector (namev)
  V.load_lanes = function(T, n, p, name)
    local out = { "const " .. V.vecn(T, n) .. " " .. name .. "v = " .. V.loadn(T, n, p) .. ";" }
    for i = 0, n - 1 do out[#out + 1] = "const " .. T .. " " .. name .. i .. " = " .. name .. "v." .. V.lane(n, i) .. ";" end
    return out
  end
  V.align_vec = "__attribute__((aligned(32))) "
  -- the same from and to global memory (p aligned to n elements: a buffer's
  -- start is, so is any multiple of n elements after it): one wide access
  -- per work-item instead of n strided ones when items own adjacent blocks
  V.gloadn = function(T, n, p) return "*(" .. V.global .. "const " .. T .. n .. " *)(" .. p .. ")" end
  V.gstoren = function(T, n, p) return "*(" .. V.global .. T .. n .. " *)(" .. p .. ")" end
  V.round = function(x) return "round(" .. x .. ")" end -- ties away from zero, as in c.lua
  -- the type tensors are stored in (isa/cuda.lua: 16 bits for bf16 and f16),
  -- and the conversions of a stored value to the arithmetic type and back
  V.storage = V.real
  V.widen = function(x) return x end
  V.narrow = function(x) return x end
  -- 2^x by the device (f32: the special-function unit; OpenCL's exp2 is
  -- within 3 ulp); lib/vmath.c.tmpl's exp_nonpos uses it where present
  V.exp2 = function(x) return "exp2(" .. x .. ")" end
  V.pow2i = function(n)
    if dtype == "f32" then
      return "as_float((uint)((int)(" .. n .. ") + 127) << 23)"
    end
    return "as_double((ulong)((long)(" .. n .. ") + 1023) << 52)"
  end
  return V
end
