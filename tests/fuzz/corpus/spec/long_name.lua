return {kernel="myo", name=("a"):rep(100), arity=2, depth=3, state=4}
