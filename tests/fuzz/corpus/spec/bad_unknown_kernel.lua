-- expect: field 'kernel'
return {kernel="foo", name="quad", arity=4, depth=3, state=4}
