-- expect: field 'state': block = "dense" with N = 64 needs 80 KiB of local memory per work-group on target "cuda" (the tree kernels; at most 48 KiB): at most N = 49 with arity 4 and f32
return {kernel="myo", name="m", target="cuda", arity=4, depth=2, state=64, share="vertex", block="dense"}
