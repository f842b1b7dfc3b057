-- expect: field 'arity'
return {kernel="myo", name="quad", arity=-2, depth=3, state=4}
