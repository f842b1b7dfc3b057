-- expect: field 'name'
return {kernel="myo", name="restrict", arity=4, depth=3, state=4}
