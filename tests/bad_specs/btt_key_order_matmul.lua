-- expect: field 'key_order': only for op = "attention"
return {kernel="btt", name="b", arity={2, 3}, state=2, key_order="j1_major"}
