-- expect: field 'blocks': each block size is a proper divisor of the one before: 48 is not one of 48
return {kernel="mlr", name="m", seq_len=48, blocks={48, 48}, depth=2, state=2, value_dim=3}
