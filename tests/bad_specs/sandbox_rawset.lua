-- expect: :2: 'rawset' is not available in specs
rawset(_ENV, "x", 1)
