return {kernel="mlr", name="m", seq_len=1e300, arity=2, depth=3, state=4}
