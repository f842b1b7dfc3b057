-- Base spec of the generated mlr test kernels whose levels are listed as
-- block sizes (blocks instead of arity): tests/mlr_kernels.cmake and
-- tests/mlr_opencl.cmake override every field that varies.
return {
  kernel = "mlr", name = "base", seq_len = 16, blocks = { 16, 4 }, depth = 2, state = 2,
  value_dim = 4, passes = { "forward", "backward" },
}
