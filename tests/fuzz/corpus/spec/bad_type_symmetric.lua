-- expect: field 'symmetric'
return {kernel="myo", name="quad", arity=4, depth=3, state=4, symmetric="yes"}
