-- expect: 'random'
return {kernel="myo", name="quad", arity=math.random(4), depth=3, state=4}
