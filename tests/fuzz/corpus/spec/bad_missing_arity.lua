-- expect: field 'arity'
return {kernel="myo", name="quad", depth=3, state=4}
