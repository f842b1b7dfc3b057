-- expect: field 'depth'
return {kernel="myo", name="quad", arity=4, state=4}
