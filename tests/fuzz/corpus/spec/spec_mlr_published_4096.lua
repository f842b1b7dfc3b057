-- Multi-Level Low-Rank attention in the published configuration: 4096
-- tokens, 8 levels of a binary hierarchy (blocks of 4096, 2048, ..., 32),
-- ranks {32,8,6,4,4,4,4,2} (q/k head dim 64), value dim 64, causal, scores
-- averaged over the shared levels; forward and backward for training.
return {
  kernel = "mlr",
  name = "mlr_published_4096",
  seq_len = 4096,
  arity = 2,
  depth = 8,
  state = { 32, 8, 6, 4, 4, 4, 4, 2 },
  value_dim = 64,
  causal = true,
  normalize = "shared",
  scale = "inv_rank",
  dtype = "f32",
  target = "avx2",
  passes = { "forward", "backward" },
}
