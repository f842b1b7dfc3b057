-- expect: field 'blocks': the first block is the whole sequence: seq_len = 48, got 24
return {kernel="mlr", name="m", seq_len=48, blocks={24, 12, 6}, depth=3, state=2, value_dim=3}
