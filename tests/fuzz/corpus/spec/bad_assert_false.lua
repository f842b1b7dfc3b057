-- expect: arity must be even
assert(false, "arity must be even")
