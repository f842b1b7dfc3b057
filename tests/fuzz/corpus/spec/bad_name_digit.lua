-- expect: field 'name'
return {kernel="myo", name="4ary", arity=4, depth=3, state=4}
