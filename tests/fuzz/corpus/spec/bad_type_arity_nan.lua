-- expect: field 'arity'
return {kernel="myo", name="quad", arity=0/0, depth=3, state=4}
