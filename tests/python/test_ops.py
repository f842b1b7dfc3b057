"""Every operator against the dense references: forward, backward, f32 and
f64, non-contiguous inputs, opcheck, gradcheck and torch.compile."""

import pytest
import torch
from torch.overrides import TorchFunctionMode

import cases
import myogen.torch as mt  # noqa: F401  (registers torch.ops.myogen.*)

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: dict(rtol=2e-4, atol=2e-4), torch.float64: dict(rtol=1e-9, atol=1e-9)}


def grads_of(fn, args, seed=1):
    """Output and gradients of sum(out * w) w.r.t. every tensor argument."""
    args = [None if a is None else a.detach().clone().requires_grad_(True) for a in args]
    out = fn(*args)
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed),
                    dtype=torch.float64).to(device=out.device, dtype=out.dtype)
    (out * w).sum().backward()
    return out.detach(), [None if a is None else a.grad for a in args]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("case", list(cases.ALL))
def test_forward_backward_vs_reference(case, dtype):
    kernel = cases.kernel(case, dtype)
    args = cases.inputs(case, dtype)
    out, grads = grads_of(lambda *a: cases.call(case, kernel, *a), args)
    args64 = [None if a is None else a.double() for a in args]
    want, want_grads = grads_of(lambda *a: cases.reference(case, *a), args64)
    assert out.dtype == dtype
    torch.testing.assert_close(out.double(), want, **TOL[dtype])
    for i, (g, w) in enumerate(zip(grads, want_grads)):
        if w is None:
            assert g is None
        else:
            torch.testing.assert_close(g.double(), w, **TOL[dtype], msg="gradient of arg %d" % i)


@pytest.mark.parametrize("case", list(cases.ALL))
def test_gradcheck_f64(case):
    kernel = cases.kernel(case, torch.float64)
    args = [None if a is None else a.requires_grad_(True)
            for a in cases.inputs(case, torch.float64, batch=1, channels=2, heads=1)]
    assert torch.autograd.gradcheck(lambda *a: cases.call(case, kernel, *a), args)


def _op_args(case, kernel, args):
    """(forward op, its args, backward op, its args) for opcheck."""
    kind, key = cases.KIND[case], kernel.key
    fwd = getattr(torch.ops.myogen, kind).default
    bwd = getattr(torch.ops.myogen, kind + "_backward").default
    with torch.no_grad():
        out = fwd(key, *args)
    first = out if isinstance(out, torch.Tensor) else out[0]
    dout = torch.randn_like(first)
    rest = () if isinstance(out, torch.Tensor) else (out[0], out[1])
    if kind == "btt_matmul":
        return fwd, (key,) + args, bwd, (key,) + args + (dout,)
    if kind == "myo":
        return fwd, (key,) + args, bwd, (key,) + args + (dout,)
    if kind == "btt_attention":  # (x, W1, W2, v[, ln_weight, ln_bias]): the LayerNorm's last
        return fwd, (key,) + args, bwd, (key,) + args[:4] + rest + (dout,) + args[4:]
    return fwd, (key,) + args, bwd, (key,) + args + rest + (dout,)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("case", list(cases.ALL))
def test_opcheck(case, dtype):
    kernel = cases.kernel(case, dtype)
    args = cases.inputs(case, dtype)
    fwd, fargs, bwd, bargs = _op_args(case, kernel, args)
    grad_args = tuple(a.detach().clone().requires_grad_(True) if isinstance(a, torch.Tensor)
                      else a for a in fargs)
    torch.library.opcheck(fwd, grad_args)
    torch.library.opcheck(bwd, bargs)


class _Passthrough(TorchFunctionMode):
    """A torch function mode that changes nothing: with it active the public
    functions go through the custom ops."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("case", list(cases.ALL))
def test_eager_path_equals_custom_op(case, monkeypatch):
    """Plain eager calls skip torch's dispatcher (ops._Op: the impl, or an
    autograd.Function over it); under a mode they take the custom op, as
    torch.compile does.  Same bits either way, output and gradients, and
    each path is the one taken (counted at the custom op)."""
    kind = cases.KIND[case]
    kernel = cases.kernel(case, torch.float64)
    args = cases.inputs(case, torch.float64)
    calls = []
    for name in (kind + "_op", kind + "_backward_op"):
        op = getattr(mt.ops, name)
        monkeypatch.setattr(op, "op", lambda *a, real=op.op, name=name: calls.append(name) or real(*a))
    eager = grads_of(lambda *a: cases.call(case, kernel, *a), args)
    with torch.no_grad():
        plain = cases.call(case, kernel, *args)
    _, _, bwd, bargs = _op_args(case, kernel, args)
    eager_bwd = getattr(mt.ops, kind + "_backward_op")(*bargs)
    assert calls == [] and plain.grad_fn is None
    with _Passthrough():  # (the autograd engine runs the backward outside the mode)
        dispatched = grads_of(lambda *a: cases.call(case, kernel, *a), args)
    assert calls == [kind + "_op"]
    assert torch.equal(eager[0], dispatched[0]) and torch.equal(plain, eager[0])
    for g, w in zip(eager[1], dispatched[1]):
        assert (g is None) == (w is None)
        if g is not None:
            assert torch.equal(g, w)
    for g, w in zip(eager_bwd, bwd(*bargs)):
        assert torch.equal(g, w)


@pytest.mark.parametrize("case", list(cases.ALL))
def test_non_contiguous_inputs(case):
    dtype = torch.float64
    kernel = cases.kernel(case, dtype)
    args = cases.inputs(case, dtype)
    # the same values in transposed storage: .mT.contiguous().mT is not contiguous
    strided = tuple(None if a is None or a.dim() < 2 else a.mT.contiguous().mT for a in args)
    strided = tuple(s if s is not None else a for s, a in zip(strided, args))
    assert any(not a.is_contiguous() for a in strided if a is not None)
    out, grads = grads_of(lambda *a: cases.call(case, kernel, *a), strided)
    want, want_grads = grads_of(lambda *a: cases.call(case, kernel, *a), args)
    torch.testing.assert_close(out, want)
    for g, w in zip(grads, want_grads):
        if w is not None:
            torch.testing.assert_close(g, w)


@pytest.mark.parametrize("spec_kind", ["kernel", "dict"])
@pytest.mark.parametrize("case", ["myo_level_siso", "mlr_t24", "btt_mm", "btt_att"])
def test_torch_compile_fullgraph(case, spec_kind):
    kernel = cases.kernel(case, torch.float32)
    if spec_kind == "dict":
        kernel = cases.spec(case, torch.float32)  # compiled at trace time
    args = [None if a is None else a.requires_grad_(True)
            for a in cases.inputs(case, torch.float32)]

    def step(*a):
        return (cases.call(case, kernel, *a) ** 2).sum()

    torch._dynamo.reset()
    compiled = torch.compile(step, fullgraph=True, backend="aot_eager")
    loss = compiled(*args)
    loss.backward()
    want = step(*[None if a is None else a.detach() for a in args])
    torch.testing.assert_close(loss.detach(), want)
    assert all(a.grad is not None for a in args[:3] if a is not None)
