-- expect: field 'name\x00x': unknown field
-- a key that strcmp would take for "name"
return {kernel="myo", name="q", ["name\0x"]="r", arity=4, depth=3, state=4}
