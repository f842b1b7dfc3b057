-- Base spec of the kernels mlr_bench times; bench/mlr_bench.cmake overrides
-- name, target, seq_len, depth and state (the ranks) per kernel.
return {
  kernel = "mlr", name = "mlr_bench", seq_len = 1024, arity = 2, depth = 8,
  state = { 32, 8, 6, 4, 4, 4, 4, 2 }, value_dim = 64, causal = true,
  normalize = "shared", scale = "inv_rank", dtype = "f32", target = "avx2",
  passes = { "forward", "backward" },
}
