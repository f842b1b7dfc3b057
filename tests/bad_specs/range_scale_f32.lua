-- expect: field 'scale': 1e+308 is out of the range of f32
return {kernel="btt", name="b", arity=4, state=2, op="attention", seq_len=16, value_dim=4, scale=1e308}
