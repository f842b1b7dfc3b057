-- expect: field 'name'
return {kernel="myo", name="_quad", arity=4, depth=3, state=4}
