-- expect: field 'name'
return {kernel="myo", name="my kernel", arity=4, depth=3, state=4}
