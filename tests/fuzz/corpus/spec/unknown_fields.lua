return {kernel="myo", name="n", arity=2, depth=3, state=4, extra_field=1, another={}}
