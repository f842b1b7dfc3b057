-- expect: field 'name'
return {kernel="myo", name="quäd", arity=4, depth=3, state=4}
