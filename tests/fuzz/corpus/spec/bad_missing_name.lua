-- expect: field 'name'
return {kernel="myo", arity=4, depth=3, state=4}
