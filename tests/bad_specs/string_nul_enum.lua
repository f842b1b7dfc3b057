-- expect: strings must not contain NUL
-- strcmp would read "f32"
return {kernel="myo", name="q", dtype="f32\0junk", arity=4, depth=3, state=4}
