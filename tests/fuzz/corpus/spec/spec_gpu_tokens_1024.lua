-- A 4-ary tree over 1024 tokens with its own parameters at every vertex
-- (share = "vertex"), forward and backward, for an OpenCL device: myogen
-- writes gpu_tokens_1024.c, .h and .cl; build them with the runtime pair
-- (myogen --emit-runtime DIR) and link -lOpenCL (examples/opencl).
return {
  kernel = "myo",
  name = "gpu_tokens_1024",
  arity = 4,
  depth = 5,
  state = 8,
  share = "vertex",
  dtype = "f32",
  target = "opencl",
  passes = { "forward", "backward" },
}
