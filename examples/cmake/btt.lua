-- A small BTT matmul: x [n][12] -> y [n][10], input factors 4 x 3, output
-- factors 2 x 5, rank 2.  CMakeLists.txt builds it twice with DEFINES
-- (name and target), for portable C and for AVX2.
return {
  kernel = "btt",
  name = "btt_small",
  op = "matmul",
  arity = { 4, 3 },
  out_arity = { 2, 5 },
  state = 2,
  dtype = "f32",
  target = "c",
}
