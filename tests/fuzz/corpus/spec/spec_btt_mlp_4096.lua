-- A BTT layer in place of a dense 4096 x 4096 projection (a transformer MLP
-- at d_model 4096): square factors 64 x 64, rank 4, so 8x fewer FLOPs and
-- parameters than the dense matrix; forward and backward for training.
return {
  kernel = "btt",
  name = "btt_mlp_4096",
  op = "matmul",
  arity = { 64, 64 },
  state = 4,
  dtype = "f32",
  target = "avx2",
  passes = { "forward", "backward" },
}
