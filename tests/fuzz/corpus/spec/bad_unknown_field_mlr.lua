-- expect: field 'seq_len'
return {kernel="myo", name="quad", arity=4, depth=3, state=4, seq_len=64}
