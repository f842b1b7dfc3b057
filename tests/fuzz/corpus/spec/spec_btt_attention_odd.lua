-- Bilinear BTT attention in portable C, double precision, with non-square
-- factors (d_in = 6 x 10 = 60 = 12 x 5 = d_out), rank 2, over 256 positions,
-- bidirectional (causal = false), the default scale 1/sqrt(60).
return {
  kernel = "btt",
  name = "btt_attention_odd",
  op = "attention",
  arity = { 6, 10 },
  out_arity = { 12, 5 },
  state = 2,
  seq_len = 256,
  value_dim = 20,
  causal = false,
  dtype = "f64",
  target = "c",
  passes = { "forward", "backward" },
}
