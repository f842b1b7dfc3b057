-- expect: field 'arity'
return {kernel="myo", name="quad", arity=math.huge, depth=3, state=4}
