-- expect: field 'kernel'
return {kernel=1, name="quad", arity=4, depth=3, state=4}
