-- expect: field 'dtype': "bf16" is for kernel = "mlr" or "btt" (op = "matmul") with target = "cuda"
return {kernel="mlr", name="m", seq_len=16, depth=2, state=4, value_dim=4, dtype="bf16", target="avx2"}
