return {kernel="myo", name="n", arity=2.0, depth=3, state=4.5}
