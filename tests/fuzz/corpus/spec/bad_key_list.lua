-- expect: field names must be strings
return {"myo", kernel="myo", name="quad", arity=4, depth=3, state=4}
