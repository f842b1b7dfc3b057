-- expect: field 'state': head dims 2048 (q, k) and 64 (value_dim) need 83 KiB of local memory per work-group on target "cuda"
return {kernel="mlr", name="m", target="cuda", seq_len=64, arity=2, depth=2, state=1024, value_dim=64}
