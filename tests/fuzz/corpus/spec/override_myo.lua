--D arity=8
--D passes=forward,backward
--D symmetric=true
return {kernel="myo", name="ov", arity=4, depth=3, state=4}
