-- expect: field names must be strings
return {kernel="myo", name="quad", arity=4, depth=3, state=4, [1]=2}
