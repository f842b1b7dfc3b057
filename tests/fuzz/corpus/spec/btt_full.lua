return {kernel="btt", op="attention", name="ba", arity={4,4}, out_arity={2,8}, state=3, seq_len=100, value_dim=5, causal=false, scale=0.25, dtype="f32", target="opencl"}
