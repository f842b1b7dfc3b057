-- expect: field 'depth'
return {kernel="myo", name="quad", arity=4, depth=0, state=4}
