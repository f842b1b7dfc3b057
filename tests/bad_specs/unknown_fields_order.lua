-- expect: field 'a_first': unknown field
-- several unknown fields: the message names the least, whatever the hash order
return {kernel="myo", name="q", arity=4, depth=3, state=4, zeta=1, omega=2, a_first=3, beta=4, gamma=5, delta=6}
