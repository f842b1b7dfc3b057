-- expect: field 'kernel'
return {kernel="MYO", name="quad", arity=4, depth=3, state=4}
