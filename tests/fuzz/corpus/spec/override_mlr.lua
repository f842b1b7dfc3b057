--D state=8,4,2
--D causal=false
--D scale=0.5,1,2
return {kernel="mlr", name="ovm", seq_len=64, arity=2, depth=3, state=4, value_dim=8}
