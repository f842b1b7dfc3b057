--D noequals
return {kernel="myo", name="x", arity=2, depth=2, state=2}
