-- expect: field 'target': "c" is listed twice
return { kernel = "btt", name = "k", arity = 4, state = 2, target = { "c", "avx2", "c" } }
