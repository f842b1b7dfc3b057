-- expect: field 'passes': expected a list of strings, got the string "backward" (write {"backward"})
return {kernel="myo", name="quad", arity=4, depth=3, state=4, passes="backward"}
