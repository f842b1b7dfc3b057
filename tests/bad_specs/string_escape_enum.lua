-- expect: strings must not contain NUL or control
return {kernel="myo", name="q", target="c\27[2J", arity=4, depth=3, state=4}
