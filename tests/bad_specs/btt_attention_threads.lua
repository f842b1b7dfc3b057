-- expect: field 'threads': "openmp" is for op = "matmul"
return {kernel="btt", name="att", op="attention", arity={2, 3}, state=2, seq_len=16, value_dim=4,
        threads="openmp"}
