-- expect: :3: 'table.move' is not available in specs
-- moving nils would be a C loop with no allocation: table.move is not offered
table.move({}, 1, math.maxinteger - 1, 2)
return {kernel="myo", name="quad", arity=4, depth=3, state=4}
