-- A quad tree over a 32x32 image in Morton (Z-order) order: each internal
-- vertex is a 2x2 block, so the tree's levels are the image's scales.
-- 4^5 = 1024 pixels, 16 states per vertex, parameters shared per level.
return {
  kernel = "myo",
  name = "quadtree_32x32",
  arity = 4,
  depth = 5,
  state = 16,
  share = "level",
  readout = "siso",
  dtype = "f32",
  target = "avx2",
}
