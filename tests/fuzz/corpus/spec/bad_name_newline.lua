-- expect: field 'name'
return {kernel="myo", name="a\nb", arity=4, depth=3, state=4}
