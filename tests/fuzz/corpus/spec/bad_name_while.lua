-- expect: field 'name'
return {kernel="myo", name="while", arity=4, depth=3, state=4}
