-- expect: field 'depth': arity 2, depth 24 gives 33554431 tree vertices; the limit is 16777216 (2^24) vertices
return {kernel="myo", name="big", arity=2, depth=24, state=4, share="vertex"}
