-- expect: 'rawset'
rawset(_ENV, "x", 1)
