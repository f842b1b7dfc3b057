-- Base spec of the benchmark kernels: bench/CMakeLists.txt overrides name,
-- target, state, block, arity, depth, share and readout for each kernel it
-- generates.
return { kernel = "myo", name = "myo_bench", dtype = "f32", target = "avx2",
         arity = 4, depth = 6, state = 16, block = "diag", share = "level",
         readout = "siso" }
