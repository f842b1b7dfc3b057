-- expect: field 'depth'
return {kernel="myo", name="quad", arity=16, depth=1000000, state=4}
