-- expect: field 'name'
return {kernel="myo", name=5, arity=4, depth=3, state=4}
