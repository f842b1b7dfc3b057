return {kernel="myo", name="s", arity=2, depth=3, state=4, scale={1,2,{3}}}
