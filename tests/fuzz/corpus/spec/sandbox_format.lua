local s = string.format("%d %s %q %5.2f %x", 42, "a", "b\n", 1.5, 255) .. tostring({}) .. tostring(print)
return {kernel="myo", name="f", arity=2, depth=3, state=#s % 16 + 1}
