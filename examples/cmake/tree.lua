-- A quad tree over 16 positions, 4 states per vertex, parameters per level.
return {
  kernel = "myo",
  name = "tree",
  arity = 4,
  depth = 2,
  state = 4,
  target = "c",
}
