-- Base spec of the generated btt test kernels: tests/btt_kernels.cmake
-- overrides every field that varies (name, arity, out_arity, state, dtype,
-- target, op, ...).
return { kernel = "btt", name = "base", arity = 4, state = 2, op = "matmul",
         passes = { "forward", "backward" } }
