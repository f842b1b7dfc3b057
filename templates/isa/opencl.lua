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
  -- work-groups (tiled kernels): local memory, the item's index in its group,
  -- the group's index, a barrier over the group's local memory, and the
  -- entry-point attribute fixing the group size (the host launches exactly it)
  V.shared = "__local "
  V.lid = function() return "((int)get_local_id(0))" end
  V.group = function() return "((size_t)get_group_id(0))" end
  V.barrier = function() return "barrier(CLK_LOCAL_MEM_FENCE);" end
  V.group_size = function(n) return "__attribute__((reqd_work_group_size(" .. n .. ", 1, 1))) " end
  -- 4-vectors: the type, and a load from local memory at an address aligned
  -- to 4 elements (the array declared with V.align_vec, 32 bytes: enough for
  -- double4); lanes .x .y .z .w
  V.vec4 = function(T) return T .. "4" end
  V.load4 = function(T, p) return "*(" .. V.shared .. "const " .. T .. "4 *)(" .. p .. ")" end
  V.align_vec = "__attribute__((aligned(32))) "
  V.round = function(x) return "round(" .. x .. ")" end -- ties away from zero, as in c.lua
  V.pow2i = function(n)
    if dtype == "f32" then
      return "as_float((uint)((int)(" .. n .. ") + 127) << 23)"
    end
    return "as_double((ulong)((long)(" .. n .. ") + 1023) << 52)"
  end
  return V
end
