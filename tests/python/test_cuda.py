"""The CUDA target through myogen.torch (DESIGN.md 6.4, 9): every op on CUDA
tensors against the CPU target (itself tested against the dense references
in test_ops.py) and, for the small cases, against the references directly;
forward and backward, f32 and f64, on a side stream too; the backward
bit-identical run to run; opcheck on CUDA tensors.

Runs where torch sees a CUDA device and nvcc is there (README.md, "Python and
PyTorch"); skipped elsewhere.  CI has no GPU: it compiles every
generated .cu instead (ctest cuda_compile)."""

import pytest
import torch

import cases
import myogen
import myogen.torch as mt  # noqa: F401  (registers torch.ops.myogen.*)
from test_ops import TOL, _op_args, grads_of

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

DTYPES = [torch.float32, torch.float64]
# CUDA against the CPU target: both sum in their own order
CLOSE = {torch.float32: dict(rtol=1e-4, atol=1e-4), torch.float64: dict(rtol=1e-10, atol=1e-10)}
# sizes that give the GPU kernels several tiles (lanes: 70 channels; heads 3)
SIZES = dict(batch=2, channels=70, heads=3, rows=300)


def _cuda(args):
    return tuple(None if a is None else a.cuda() for a in args)


def _run(case, kernel, args):
    return grads_of(lambda *a: cases.call(case, kernel, *a), args)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("case", list(cases.SPECS))
def test_cuda_vs_cpu_target(case, dtype):
    kernel = cases.kernel(case, dtype)
    big = case in cases.GPU
    args = cases.inputs(case, dtype, **(SIZES if big else {}))
    out, grads = _run(case, kernel, _cuda(args))
    want, want_grads = _run(case, kernel, args)
    assert out.device.type == "cuda" and out.dtype == dtype
    torch.testing.assert_close(out.cpu(), want, **CLOSE[dtype])
    for i, (g, w) in enumerate(zip(grads, want_grads)):
        if w is None:
            assert g is None
        else:
            assert g.device.type == "cuda"
            torch.testing.assert_close(g.cpu(), w, **CLOSE[dtype], msg="gradient of arg %d" % i)


# dtype bf16 and f16 (mlr and btt matmul; DESIGN.md 3): tensors in 16 bits,
# arithmetic in f32 (btt's products on tensor cores, its t and g stored in 16
# bits as well).  Compared with the f32 CPU target on the same rounded inputs
# and output weights, by the relative Frobenius error of each output:
# bf16 keeps 8 bits (2^-8 = 0.4% per rounding), f16 11 bits.
HALVES = {torch.bfloat16: ("bf16", 3e-2), torch.float16: ("f16", 5e-3)}
HALF_CASES = [c for c in cases.SPECS if cases.KIND[c] in ("mlr", "btt_matmul")]


def _relative_error(got, want):
    return ((got.double() - want.double()).norm() / want.double().norm().clamp_min(1e-30)).item()


@pytest.mark.parametrize("dtype", list(HALVES), ids=[n for n, _ in HALVES.values()])
@pytest.mark.parametrize("case", HALF_CASES)
def test_cuda_16bit_vs_f32_cpu(case, dtype):
    name, tol = HALVES[dtype]
    kernel = myogen.compile(dict(cases.spec(case, torch.float32), name="%s_%s" % (case, name),
                                 dtype=name))
    assert kernel.target == "cuda" and kernel.dtype_name == str(dtype).split(".")[1]
    big = case in cases.GPU
    half = tuple(a.to(dtype) for a in cases.inputs(case, torch.float32, **(SIZES if big else {})))
    args = [a.cuda().requires_grad_(True) for a in half]
    out = cases.call(case, kernel, *args)
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(dtype)
    (out * w.cuda()).sum().backward()
    ref_args = [a.float().requires_grad_(True) for a in half]
    want = cases.call(case, cases.kernel(case, torch.float32), *ref_args)
    (want * w.float()).sum().backward()
    assert out.dtype == dtype and all(a.grad.dtype == dtype for a in args)
    assert _relative_error(out.cpu(), want.detach()) < tol
    for i, (a, r) in enumerate(zip(args, ref_args)):
        err = _relative_error(a.grad.cpu(), r.grad)
        assert err < tol, "gradient of arg %d: relative error %.3g" % (i, err)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("case", list(cases.ALL))
def test_cuda_vs_reference(case, dtype):
    kernel = cases.kernel(case, dtype)
    args = cases.inputs(case, dtype)
    out, grads = _run(case, kernel, _cuda(args))
    args64 = [None if a is None else a.double() for a in args]
    want, want_grads = grads_of(lambda *a: cases.reference(case, *a), args64)
    torch.testing.assert_close(out.cpu().double(), want, **TOL[dtype])
    for i, (g, w) in enumerate(zip(grads, want_grads)):
        if w is not None:
            torch.testing.assert_close(g.cpu().double(), w, **TOL[dtype],
                                       msg="gradient of arg %d" % i)


@pytest.mark.parametrize("case", list(cases.GPU))
def test_cuda_backward_bit_identical(case):
    kernel = cases.kernel(case, torch.float32)
    args = _cuda(cases.inputs(case, torch.float32, **SIZES))
    out1, grads1 = _run(case, kernel, args)
    out2, grads2 = _run(case, kernel, args)
    assert torch.equal(out1, out2)
    for g1, g2 in zip(grads1, grads2):
        assert (g1 is None and g2 is None) or torch.equal(g1, g2)


@pytest.mark.parametrize("case", ["gpu_mlr_t296", "gpu_myo_vertex_k4", "gpu_btt_att"])
def test_cuda_side_stream(case):
    """The ops enqueue on the current stream: results on a side stream equal
    the default stream's once it is synchronized."""
    kernel = cases.kernel(case, torch.float32)
    args = _cuda(cases.inputs(case, torch.float32, **SIZES))
    want = cases.call(case, kernel, *args)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        got = cases.call(case, kernel, *args)
    side.synchronize()
    assert torch.equal(got, want)


@pytest.mark.parametrize("case", ["myo_level_siso", "myo_vertex_dense", "mlr_t24", "btt_mm",
                                  "btt_att"])
def test_cuda_opcheck(case):
    kernel = cases.kernel(case, torch.float64)
    args = _cuda(cases.inputs(case, torch.float64))
    fwd, fargs, bwd, bargs = _op_args(case, kernel, args)
    grad_args = tuple(a.detach().clone().requires_grad_(True) if isinstance(a, torch.Tensor)
                      else a for a in fargs)
    torch.library.opcheck(fwd, grad_args)
    torch.library.opcheck(bwd, bargs)


def test_cuda_mixed_devices_rejected():
    kernel = cases.kernel("mlr_t24", torch.float32)
    q, k, v = cases.inputs("mlr_t24", torch.float32)
    with pytest.raises(ValueError, match="several devices"):
        mt.mlr(kernel, q.cuda(), k, v.cuda())
