-- Base spec of the generated test kernels: tests/myo_kernels.cmake overrides
-- every field that varies (name, arity, depth, state, share, readout, ...).
return { kernel = "myo", name = "base", arity = 2, depth = 2, state = 2 }
