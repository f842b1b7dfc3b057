-- expect: field 'passes'
return {kernel="myo", name="quad", arity=4, depth=3, state=4, passes=5}
