-- Arity 1: the chain, a bidirectional linear recurrence over 256 positions
-- (the SSM special case), in portable C and double precision.
local positions = 256
return {
  kernel = "myo",
  name = "chain_ssm",
  arity = 1,
  depth = positions - 1,
  state = 8,
  dtype = "f64",
  target = "c",
}
