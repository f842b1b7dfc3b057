-- expect: field 'blocks': give arity or blocks, not both
return {kernel="mlr", name="m", seq_len=48, arity=2, blocks={48, 24}, depth=2, state=2, value_dim=3}
