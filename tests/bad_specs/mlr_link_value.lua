-- expect: field 'link': "relu" is not one of "softmax", "identity"
return {kernel="mlr", name="m", seq_len=16, depth=2, state=2, value_dim=3, link="relu"}
