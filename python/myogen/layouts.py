"""Every tensor's shape in the C ABI of each kernel kind (DESIGN.md 6), the
run-time sizes read off the inputs, and the check that names a wrong argument.

Shapes are tuples of ints; a run-time size not known yet stays a string
("batch") so an error can still show the expected layout."""

MYO_FIELDS = ("A", "B", "C", "Bin", "Cout", "D")

# where each run-time size is read: (argument, axis)
DIM_SOURCES = {
    "myo": {"batch": ("u", 0), "channels": ("u", 2)},
    "mlr": {"batch": ("q", 0), "heads": ("q", 1)},
    "btt_matmul": {"n": ("x", 0)},
    "btt_attention": {"batch": ("x", 0), "heads": ("W1", 0)},
}

# the two size arguments of NAME_workspace_size
WORKSPACE_DIMS = {
    "myo": ("batch", "channels"), "mlr": ("batch", "heads"),
    "btt_matmul": ("n", 1), "btt_attention": ("batch", "heads"),
}

# C argument order: "&params"/"&grads" are the myo structs, "ws" the workspace
SIGNATURES = {
    "myo": {"forward": ("&params", "u", "y", "batch", "channels", "ws"),
            "backward": ("&params", "u", "dy", "du", "&grads", "batch", "channels", "ws")},
    "mlr": {"forward": ("q", "k", "v", "o", "lse", "batch", "heads", "ws"),
            "backward": ("q", "k", "v", "o", "lse", "dout", "dq", "dk", "dv",
                         "batch", "heads", "ws")},
    "btt_matmul": {"forward": ("W1", "W2", "x", "y", "n", "ws"),
                   "backward": ("W1", "W2", "x", "dy", "dx", "dW1", "dW2", "n", "ws")},
    "btt_attention": {"forward": ("x", "W1", "W2", "v", "o", "lse", "batch", "heads", "ws"),
                      "backward": ("x", "W1", "W2", "v", "o", "lse", "dout", "dx", "dW1",
                                   "dW2", "dv", "batch", "heads", "ws")},
}

# btt attention with key_norm "layernorm_affine" (header NAME_KEY_NORM_AFFINE):
# its LayerNorm's weight and bias come right after W2, their gradients right
# after dW2
LN_ARGS = {"W2": ("ln_weight", "ln_bias"), "dW2": ("dln_weight", "dln_bias")}


def with_ln(names, m):
    """names (a signature or outputs) of a kernel, with LN_ARGS where its
    macros m say it has the affine."""
    if not m.get("KEY_NORM_AFFINE"):
        return tuple(names)
    out = []
    for n in names:
        out += [n] + list(LN_ARGS.get(n, ()))
    return tuple(out)


# what each function writes
OUTPUTS = {
    "myo": {"forward": ("y",), "backward": ("du",) + tuple("d" + f for f in MYO_FIELDS)},
    "mlr": {"forward": ("o", "lse"), "backward": ("dq", "dk", "dv")},
    "btt_matmul": {"forward": ("y",), "backward": ("dx", "dW1", "dW2")},
    "btt_attention": {"forward": ("o", "lse"), "backward": ("dx", "dW1", "dW2", "dv")},
}


def myo_params(m, batch, channels):
    """The params fields this myo kernel reads, with their shapes."""
    n = m["STATE"]
    block = (n, n) if m["BLOCK_DENSE"] else (n,)
    tree = ((batch,) if m["SHARE_INPUT"] else ()) + (m["PARAM_SETS"], channels) + block
    shapes = {"A": tree, "B": tree}
    if not m["SYMMETRIC"]:
        shapes["C"] = tree
    if m["READOUT_SISO"]:
        shapes.update(Bin=(channels, n), Cout=(channels, n), D=(channels,))
    return shapes


def table(kind, m, dims):
    """{tensor name: shape} for every tensor of both passes."""
    if kind == "myo":
        b, c = dims.get("batch", "batch"), dims.get("channels", "channels")
        io = (b, m["SEQ_LEN"], c) + (() if m["READOUT_SISO"] else (m["STATE"],))
        t = dict(u=io, y=io, dy=io, du=io)
        for field, shape in myo_params(m, b, c).items():
            t[field] = t["d" + field] = shape
        return t
    if kind == "mlr":
        b, h = dims.get("batch", "batch"), dims.get("heads", "heads")
        qk = (b, h, m["SEQ_LEN"], m["RANK"])
        vo = (b, h, m["SEQ_LEN"], m["VALUE_DIM"])
        return dict(q=qk, k=qk, dq=qk, dk=qk, v=vo, o=vo, dout=vo, dv=vo,
                    lse=(b, h, m["SEQ_LEN"]))
    w1 = (m["M1"], m["M0"], m["N0"], m["RANK"])
    w2 = (m["N0"], m["M1"], m["RANK"], m["N1"])
    if kind == "btt_matmul":
        n = dims.get("n", "n")
        return dict(W1=w1, W2=w2, dW1=w1, dW2=w2, x=(n, m["D_IN"]), dx=(n, m["D_IN"]),
                    y=(n, m["D_OUT"]), dy=(n, m["D_OUT"]))
    b, h = dims.get("batch", "batch"), dims.get("heads", "heads")
    x = (b, m["SEQ_LEN"], m["D_IN"])
    vo = (b, h, m["SEQ_LEN"], m["VALUE_DIM"])
    t = dict(x=x, dx=x, W1=(h,) + w1, dW1=(h,) + w1, W2=(h,) + w2, dW2=(h,) + w2,
             v=vo, o=vo, dout=vo, dv=vo, lse=(b, h, m["SEQ_LEN"]))
    if m.get("KEY_NORM_AFFINE"):
        for n in LN_ARGS["W2"] + LN_ARGS["dW2"]:
            t[n] = (h, m["D_IN"])
    return t


def infer_dims(kind, m, shapes):
    """Run-time sizes from the inputs' shapes ({name: tuple}); a size whose source
    has the wrong rank stays unknown (the check then reports that argument)."""
    symbolic = table(kind, m, {})
    dims = {}
    for dim, (arg, axis) in DIM_SOURCES[kind].items():
        shape = shapes.get(arg)
        if shape is not None and len(shape) == len(symbolic[arg]):
            dims[dim] = shape[axis]
    return dims


def check(func, kind, m, dtype_of, args, dims):
    """Raise ValueError naming the first argument ({name: (shape, dtype name)})
    whose shape or dtype (dtype_of(name)) differs from the layout."""
    expect = table(kind, m, dims)
    sources = [a for a, _ in DIM_SOURCES[kind].values() if a in args]
    for name in sources + [a for a in args if a not in sources]:
        shape, got_dtype = args[name]
        want, dtype = expect[name], dtype_of(name)
        if tuple(shape) != want or got_dtype != dtype:
            raise ValueError("%s: argument '%s': expected shape %s and dtype %s, got shape %s "
                             "and dtype %s" % (func, name, _fmt(want), dtype, _fmt(tuple(shape)),
                                               got_dtype))
    for dim, size in dims.items():
        if size == 0:
            raise ValueError("%s: %s is 0 (argument '%s')" % (func, dim, DIM_SOURCES[kind][dim][0]))


def _fmt(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
