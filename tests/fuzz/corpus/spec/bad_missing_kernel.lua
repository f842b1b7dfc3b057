-- expect: field 'kernel'
return {name="quad", arity=4, depth=3, state=4}
