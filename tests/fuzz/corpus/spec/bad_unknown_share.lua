-- expect: field 'share'
return {kernel="myo", name="quad", arity=4, depth=3, state=4, share="global"}
