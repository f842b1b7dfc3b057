-- Base spec of the generated mlr test kernels: tests/mlr_kernels.cmake
-- overrides every field that varies (name, seq_len, depth, state, ...).
return {
  kernel = "mlr", name = "base", seq_len = 16, arity = 2, depth = 2, state = 2,
  value_dim = 4, passes = { "forward", "backward" },
}
