-- Base spec of the btt benchmark kernels: bench/CMakeLists.txt overrides
-- name, target, arity, state and op (and the attention fields) per kernel.
return { kernel = "btt", name = "btt_bench", dtype = "f32", target = "avx2",
         arity = 16, state = 1, op = "matmul", passes = { "forward", "backward" } }
