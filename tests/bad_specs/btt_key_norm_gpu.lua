-- expect: field 'key_norm': "layernorm_affine" is generated for the CPU targets (c, avx2, avx512, neon) in this version
return {kernel="btt", name="b", arity={2, 3}, out_arity={3, 2}, state=2, op="attention",
        seq_len=8, value_dim=2, key_norm="layernorm_affine", target="opencl"}
