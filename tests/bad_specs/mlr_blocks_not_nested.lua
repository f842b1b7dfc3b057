-- expect: field 'blocks': each block size is a proper divisor of the one before: 5 is not one of 12
return {kernel="mlr", name="m", seq_len=48, blocks={48, 12, 5}, depth=3, state=2, value_dim=3}
