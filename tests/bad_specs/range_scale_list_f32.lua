-- expect: field 'scale': 1e-50 is out of the range of f32
return {kernel="mlr", name="m", seq_len=16, depth=2, state=4, value_dim=4, scale={1, 1e-50}}
