-- expect: strings must not contain NUL
-- C would cut the name at the NUL: "ab"
return {kernel="myo", name="ab\0cd", arity=4, depth=3, state=4}
