-- expect: field 'target'
return {kernel="myo", name="quad", arity=4, depth=3, state=4, target="metal"}
