-- A binary tree over 4096 tokens with its own parameters at every vertex
-- (share = "vertex"): the general tree solve, O(L) per channel.
return {
  kernel = "myo",
  name = "binary_tokens_4096",
  arity = 2,
  depth = 12,
  state = 16,
  share = "vertex",
  dtype = "f32",
  target = "avx2",
}
