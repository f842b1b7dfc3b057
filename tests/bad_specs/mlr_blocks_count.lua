-- expect: field 'blocks': a list needs one entry per level: 3, got 2
return {kernel="mlr", name="m", seq_len=48, blocks={48, 12}, depth=3, state=2, value_dim=3}
