-- An octree over 8^3 = 512 voxels whose output is every leaf's full state
-- (readout = "none"), symmetric couplings (C = B^T), f64.
return {
  kernel = "myo",
  name = "octree_states",
  arity = 8,
  depth = 3,
  state = 4,
  readout = "none",
  symmetric = true,
  dtype = "f64",
  target = "avx2",
}
