-- The Myo layer of the Python example (train.py): a 4-ary tree of depth 3
-- (64 positions), 8 states per vertex, one parameter set per vertex,
-- forward and backward, f64 so that train.py can check gradients by finite
-- differences. target = "c" builds and runs on any CPU.
return {
  kernel = "myo",
  name = "pymyo",
  arity = 4,
  depth = 3,
  state = 8,
  share = "vertex",
  readout = "siso",
  dtype = "f64",
  passes = { "forward", "backward" },
  target = "c",
}
