-- expect: field 'depth'
return {kernel="myo", name="quad", arity=2, depth=25, state=4}
