-- expect: field 'target': "opencl" is not one of "avx512", "avx2", "neon", "c"
return { kernel = "btt", name = "k", arity = 4, state = 2, target = { "avx2", "opencl" } }
