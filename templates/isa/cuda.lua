-- CUDA C++ vocabulary: the GPU words of isa/opencl.lua spelled for nvcc
-- (or clang), so the device templates written for OpenCL render CUDA
-- unchanged.  A work-item is a thread, a work-group a block, local memory
-- is __shared__; global memory needs no qualifier (device pointers).
-- Kernels are static: two generated .cu files link into one program
-- without clashes, and the host code in the same file launches them by
-- address (cudaLaunchKernel).
-- dtype bf16 and f16 (DESIGN.md 3): tensors stored in 16 bits, arithmetic
-- in float: the vocabulary is f32's, plus the storage type and conversions.
local halves = {
  bf16 = { type = "__nv_bfloat16", header = "cuda_bf16.h", widen = "__bfloat162float", narrow = "__float2bfloat16_rn",
    pair = "__nv_bfloat162", narrow2 = "__floats2bfloat162_rn" },
  f16 = { type = "__half", header = "cuda_fp16.h", widen = "__half2float", narrow = "__float2half_rn",
    pair = "__half2", narrow2 = "__floats2half2_rn" },
}

return function(dtype)
  local half = halves[dtype]
  local arith = half and "f32" or dtype -- the type arithmetic runs in
  local V = require("isa.opencl")(arith)
  if half then
    V.storage = half.type
    V.storage_header = half.header
    V.widen = function(x) return half.widen .. "(" .. x .. ")" end
    V.narrow = function(x) return half.narrow .. "(" .. x .. ")" end
    -- two floats narrowed into one 32-bit word (lo in the low half): the
    -- type of the pair and the conversion
    V.storage2, V.narrow2 = half.pair, half.narrow2
    -- one tensor-core product (sm_80 and later): acc (float[4]) += the
    -- 16 x 16 fragment a (unsigned[4], two 16-bit values each) times the
    -- 16 x 8 fragment b (unsigned[2]), in the m16n8k16 register layout
    local ptx = "mma.sync.aligned.m16n8k16.row.col.f32." .. dtype .. "." .. dtype .. ".f32"
    V.mma = function(acc, a, b)
      local o = {}
      for i = 0, 3 do o[#o + 1] = '"+f"(' .. acc .. "[" .. i .. "])" end
      local x = {}
      for i = 0, 3 do x[#x + 1] = '"r"(' .. a .. "[" .. i .. "])" end
      for i = 0, 1 do x[#x + 1] = '"r"(' .. b .. "[" .. i .. "])" end
      return 'asm("' .. ptx .. ' {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"\n                : ' ..
        table.concat(o, ", ") .. "\n                : " .. table.concat(x, ", ") .. ");"
    end
    -- n (1, 2 or 4) 8 x 8 matrices of 16-bit values from local memory into
    -- dst[0 .. n-1] (ldmatrix, sm_75 and later): lanes 8 i .. 8 i + 7 give
    -- the addresses (ptr, 16-byte aligned) of matrix i's rows 0 .. 7; lane
    -- 4 g + t receives row g's columns 2 t, 2 t + 1, or with trans column
    -- g's rows 2 t, 2 t + 1 (lo in the low half): the operand layouts of
    -- V.mma, a 16 x 16 A fragment from 4 matrices, B fragments from rows of
    -- B^T, or with trans from rows of B.  Volatile: the same address is
    -- read again after the tile behind it changed.
    V.ldsm = function(dst, n, trans, ptr)
      local r = {}
      for i = 0, n - 1 do r[#r + 1] = "%" .. i end
      local o = {}
      for i = 0, n - 1 do o[#o + 1] = '"=r"(' .. dst .. "[" .. i .. "])" end
      return 'asm volatile("ldmatrix.sync.aligned.m8n8.x' .. n .. (trans and ".trans" or "") .. '.shared.b16 {' ..
        table.concat(r, ", ") .. "}, [%" .. n .. '];"\n                : ' .. table.concat(o, ", ") ..
        '\n                : "r"((unsigned)__cvta_generic_to_shared(' .. ptr .. ")));"
    end
    -- an asynchronous copy of 16 bytes from global src to local dst (both
    -- 16-byte aligned; cp.async, sm_80 and later), of which the first
    -- `bytes` (0 .. 16) are read and the rest zeroed: no registers hold the
    -- data on its way, so a tile's copy can run under the last tile's
    -- compute; V.cp_wait_all() waits for the work-item's copies (a barrier
    -- then makes every work-item's visible)
    V.cp_async16 = function(dst, src, bytes)
      return 'asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"\n                :: "r"((unsigned)__cvta_generic_to_shared(' ..
        dst .. ')), "l"(' .. src .. '), "r"(' .. bytes .. "));"
    end
    V.cp_wait_all = function() return 'asm volatile("cp.async.wait_all;");' end
  end
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
  -- work-groups of n items; `resident` (optional): groups a multiprocessor
  -- should hold at once, so the compiler keeps registers within 64K / (n *
  -- resident) a thread (spilling rather than leave too few warps to hide
  -- latency)
  V.group_size = function(n, resident)
    return "__launch_bounds__(" .. n .. (resident and (", " .. resident) or "") .. ") "
  end
  -- CUDA 13 deprecates double4 for double4_16a / double4_32a (alignment
  -- spelled out); the prelude of cuda_host.cu.tmpl names the right one
  V.vecn = function(T, n)
    if T == "double" and n == 4 then return "myogen_double4" end
    return T .. n
  end
  V.loadn = function(T, n, p) return "*(const " .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  V.storen = function(T, n, p) return "*(" .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  V.lane = function(n, i) return ({ "x", "y", "z", "w" })[i + 1] end
  V.align_vec = "__align__(32) "
  V.gloadn = function(T, n, p) return "*(const " .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  V.gstoren = function(T, n, p) return "*(" .. V.vecn(T, n) .. " *)(" .. p .. ")" end
  -- 2^x: f32 by the special-function unit's ex2.approx.ftz (about 2 ulp;
  -- results below the least normal are 0), in a function lib/vmath.c.tmpl
  -- renders (V.exp2_def): exp2f spends nine more instructions a call
  -- scaling its argument to return subnormals; f64 by the library
  V.exp2_flushes = arith == "f32"
  V.exp2 = function(x)
    return (arith == "f32" and ((V.prefix or "myogen") .. "_ex2(") or "exp2(") .. x .. ")"
  end
  V.exp2_def = arith == "f32" and function()
    return table.concat({ "static __device__ inline float " .. (V.prefix or "myogen") .. "_ex2(float x)", "{",
      "    float y;", '    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));', "    return y;", "}", "" }, "\n")
  end or nil
  V.pow2i = function(n)
    if arith == "f32" then
      return "__int_as_float((int)((int)(" .. n .. ") + 127) << 23)"
    end
    return "__longlong_as_double((long long)((long long)(" .. n .. ") + 1023) << 52)"
  end
  return V
end
