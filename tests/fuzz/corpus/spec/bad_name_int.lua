-- expect: field 'name'
return {kernel="myo", name="int", arity=4, depth=3, state=4}
