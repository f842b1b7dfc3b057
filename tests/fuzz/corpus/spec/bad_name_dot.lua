-- expect: field 'name'
return {kernel="myo", name="a.b", arity=4, depth=3, state=4}
