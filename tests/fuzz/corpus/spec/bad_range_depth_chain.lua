-- expect: field 'depth'
return {kernel="myo", name="quad", arity=1, depth=2^20 + 1, state=4}
