-- CUDA C++ vocabulary: the GPU words of isa/opencl.lua spelled for nvcc
-- (or clang), so the device templates written for OpenCL render CUDA
-- unchanged.  A work-item is a thread, a work-group a block, local memory
-- is __shared__; global memory needs no qualifier (device pointers).
-- Kernels are static: two generated .cu files link into one program
-- without clashes, and the host code in the same file launches them by
-- address (cudaLaunchKernel).
return function(dtype)
  local V = require("isa.opencl")(dtype)
  V.name = "cuda"
  V.dialect = "CUDA C++"
  V.global = ""
  -- device and host code are one translation unit: the kernels use the
  -- header's types (the myo params struct) instead of declaring their own
  V.one_source = true
  V.f64_enable = nil -- (doubles need no switch)
  -- tables in global memory, read through the cache: __constant__ serializes
  -- a warp whose threads read different entries (the flash kernels index the
  -- per-dimension scales by thread: dq ran 1.5x slower from __constant__)
  V.constant = "static __device__ const "
  V.kernel = "static __global__ "
  V.index = "unsigned long long"
  V.gid = function() return "((size_t)blockIdx.x * blockDim.x + threadIdx.x)" end
  V.func = "static __device__ "
  V.inline_fn = "static inline __device__ "
  V.shared = "__shared__ "
  V.local_ptr = "" -- shared memory through a plain pointer (generic addressing)
  V.lid = function() return "((int)threadIdx.x)" end
  V.group = function() return "((size_t)blockIdx.x)" end
  V.barrier = function() return "__syncthreads();" end
  V.group_size = function(n) return "__launch_bounds__(" .. n .. ") " end
  -- CUDA 13 deprecates double4 for double4_16a / double4_32a (alignment
  -- spelled out); the prelude of cuda_host.cu.tmpl names the right one
  V.vecn = function(T, n)
    if T == "double" and n == 4 then return "myogen_double4" end
    return T .. n
  end
  V.loadn = function(T, n, p) return "*(const " .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  V.lane = function(n, i) return ({ "x", "y", "z", "w" })[i + 1] end
  V.align_vec = "__align__(32) "
  V.gloadn = function(T, n, p) return "*(const " .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  V.gstoren = function(T, n, p) return "*(" .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  V.pow2i = function(n)
    if dtype == "f32" then
      return "__int_as_float((int)((int)(" .. n .. ") + 127) << 23)"
    end
    return "__longlong_as_double((long long)((long long)(" .. n .. ") + 1023) << 52)"
  end
  return V
end
