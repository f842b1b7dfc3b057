return {kernel="myo", name="n\0x", arity=2, depth=3, state=4}
