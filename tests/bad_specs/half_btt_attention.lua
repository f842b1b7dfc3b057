-- expect: field 'dtype': "f16" is for kernel = "mlr" or "btt" (op = "matmul")
return {kernel="btt", name="b", arity={2,3}, state=2, op="attention", seq_len=8, value_dim=2,
        dtype="f16", target="cuda"}
