-- expect: field 'name'
return {kernel="myo", name="", arity=4, depth=3, state=4}
