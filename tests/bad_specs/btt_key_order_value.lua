-- expect: field 'key_order'
return {kernel="btt", name="b", arity={2, 3}, state=2, op="attention", seq_len=8, value_dim=2,
        key_order="j0_minor"}
