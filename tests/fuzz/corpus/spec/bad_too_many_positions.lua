-- expect: field 'depth'
return {kernel="myo", name="quad", arity=4, depth=13, state=4}
