-- expect: field 'depth'
return {kernel="myo", name="quad", arity=2, depth=math.maxinteger, state=4}
