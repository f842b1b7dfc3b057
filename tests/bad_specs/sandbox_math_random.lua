-- expect: :2: 'math.random' is not available in specs
return {kernel="myo", name="quad", arity=math.random(4), depth=3, state=4}
