-- expect: field 'scale': expected a finite number, got inf
return {kernel="btt", name="b", dtype="f64", arity=4, state=2, op="attention", seq_len=16, value_dim=4, scale=1e308*10}
