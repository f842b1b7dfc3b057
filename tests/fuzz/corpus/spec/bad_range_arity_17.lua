-- expect: field 'arity'
return {kernel="myo", name="quad", arity=17, depth=3, state=4}
