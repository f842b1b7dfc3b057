-- expect: field 'depth'
return {kernel="myo", name="quad", arity=4, depth=2.5, state=4}
