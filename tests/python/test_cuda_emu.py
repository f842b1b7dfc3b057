"""The CUDA target's mlr and btt matmul kernels run on the host, where CI
runs (no GPU): tests/cuda_emu/nvcc builds each generated .cu with the host
C++ compiler against an emulation of the CUDA API (a block's threads as
threads, warp shuffles and m16n8k16 tensor-core products exchanged through
the warp's lanes), and the raw C functions are called on host memory.
16-bit kernels (tensor-core products) and f32 ones, forward and backward,
against the f32 CPU target on the same rounded inputs, with the error
bounds of test_cuda.py; the backward twice, bit-identical.  This checks
the generated code's indexing, staging and fragment layouts, not its speed
(test_cuda.py on a GPU does both)."""

import os

import pytest
import torch

import cases
import myogen
from myogen import cuda as mcuda
from myogen import layouts
from myogen.torch import dispatch
from test_cuda import HALVES, _relative_error

EMU_NVCC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cuda_emu", "nvcc")
# shapes that give several query, key, row and lane tiles and a partial one
SIZES = dict(batch=1, heads=2, rows=70, channels=70)
# 16-bit storage exists for mlr and btt matmul (DESIGN.md 3); the other
# kernels run f32 only, here for the CUDA host code (the device code is
# OpenCL's, tested on PoCL)
CASES_16 = ["gpu_mlr_t296", "gpu_mlr_pub256", "mlr_levels", "mlr_identity", "gpu_btt_mm", "btt_mm"]
CASES_32 = ["gpu_btt_att", "gpu_btt_att_d256", "gpu_myo_vertex_k4", "gpu_myo_level_k2d8", "gpu_myo_chain",
            "gpu_myo_k16_none", "gpu_myo_input_k3_n5"]
# non-causal chunks, and level blocks of multiples of 16 (the diagonal tiles'
# fragment pairs), on tensor cores (bf16 only: f16 runs the same code, f32
# the FMA kernels PoCL tests)
CASES_BF16 = ["gpu_mlr_t297_nc", "gpu_mlr_b16"]
# dtype name: (torch dtype, bound on the relative error): test_cuda.py's
DTYPES = dict({name: (dt, tol) for dt, (name, tol) in HALVES.items()}, f32=(torch.float32, 1e-4))
PARAMS = ([(c, d) for c in CASES_16 for d in DTYPES] + [(c, "bf16") for c in CASES_BF16] +
          [(c, "f32") for c in CASES_32])


@pytest.fixture(scope="module", autouse=True)
def emulated_nvcc():
    old = os.environ.get("MYOGEN_NVCC")
    os.environ["MYOGEN_NVCC"] = EMU_NVCC
    mcuda.nvcc.cache_clear()
    mcuda.identity.cache_clear()
    yield
    if old is None:
        del os.environ["MYOGEN_NVCC"]
    else:
        os.environ["MYOGEN_NVCC"] = old
    mcuda.nvcc.cache_clear()
    mcuda.identity.cache_clear()


def _call(kernel, pass_, inputs):
    """NAME_<pass_> on host tensors {name: tensor}: the outputs, and the
    status word of the workspace."""
    args = {n: (t.shape, dispatch._DTYPE_NAMES.get(t.dtype) or str(t.dtype)[6:])
            for n, t in inputs.items()}
    ptrs = {n: t.data_ptr() for n, t in inputs.items()}
    dims, out_shapes, ws = kernel.plan(pass_, args)
    outs = {n: torch.full(s, float("nan"), dtype=dispatch.torch_dtype(kernel, n))
            for n, s in out_shapes}
    ptrs.update({n: t.data_ptr() for n, t in outs.items()})
    work = torch.zeros(ws + 64, dtype=torch.uint8)
    ptrs["ws"] = work.data_ptr() + (-work.data_ptr()) % 64
    kernel.call(pass_, ptrs, dims, ws, None)
    return outs, kernel.status(ptrs["ws"], None)


def _names(kind):
    """The public function's tensor arguments (cases.inputs order), its first
    output and the name of that output's gradient."""
    return {"mlr": (("q", "k", "v"), "o", "dout"),
            "btt_matmul": (("x", "W1", "W2"), "y", "dy"),
            "btt_attention": (("x", "W1", "W2", "v"), "o", "dout"),
            "myo": (("u", "A", "B", "C", "Bin", "Cout", "D"), "y", "dy")}[kind]


@pytest.mark.parametrize("case,dtype", PARAMS)
def test_cuda_emulated_vs_f32_cpu(case, dtype):
    torch_dtype, tol = DTYPES[dtype]
    kind = cases.KIND[case]
    kernel = myogen.compile(dict(cases.spec(case, torch.float32), target="cuda", dtype=dtype,
                                 name="emu_%s_%s" % (case, dtype)))
    assert kernel.target == "cuda"
    rounded = tuple(None if a is None else a.to(torch_dtype)
                    for a in cases.inputs(case, torch.float32, **SIZES))
    names, first, dname = _names(kind)
    inputs = {n: a for n, a in zip(names, rounded) if a is not None}
    out, status = _call(kernel, "forward", inputs)
    assert status == 0
    # the f32 CPU target on the same rounded inputs, its gradients for the
    # output weighted by w
    ref_args = [None if a is None else a.float().requires_grad_(True) for a in rounded]
    want = cases.call(case, cases.kernel(case, torch.float32), *ref_args)
    w = torch.randn(want.shape, generator=torch.Generator().manual_seed(1)).to(torch_dtype)
    (want * w.float()).sum().backward()
    assert _relative_error(out[first], want.detach()) < tol
    grads = []
    for _ in range(2):
        given = dict(inputs, **out, **{dname: w})
        takes = set(kernel.signature("backward")) | set(layouts.MYO_FIELDS)  # (myo: &params)
        g, status = _call(kernel, "backward", {n: t for n, t in given.items() if n in takes})
        assert status == 0
        grads.append(g)
    for name, ref in zip(names, ref_args):
        if ref is None:
            continue
        got = grads[0]["d" + name]
        assert torch.equal(got, grads[1]["d" + name]), "d%s differs run to run" % name
        err = _relative_error(got, ref.grad)
        assert err < tol, "d%s: relative error %.3g" % (name, err)


def _misaligned(t):
    """t's values in a buffer one element past a 16-byte boundary (a CUDA
    device pointer need not be aligned: the kernels test it)."""
    buf = torch.empty(t.numel() + 16, dtype=t.dtype)
    skip = next(o for o in range(16) if (buf.data_ptr() + o * t.element_size()) % 16 == t.element_size())
    view = buf[skip:skip + t.numel()].view(t.shape)
    view.copy_(t)
    return view


def test_cuda_emulated_misaligned_inputs():
    """Where rows allow it the tensor-core flash kernels copy tiles by
    cp.async, which needs 16-byte aligned rows; misaligned tensors take the
    element-by-element copy instead: the same tiles, the same bits."""
    case = "gpu_mlr_pub256"
    kernel = myogen.compile(dict(cases.spec(case, torch.float32), target="cuda", dtype="bf16",
                                 name="emu_%s_bf16" % case))
    names, first, dname = _names("mlr")
    inputs = {n: a.to(torch.bfloat16)
              for n, a in zip(names, cases.inputs(case, torch.float32, **dict(SIZES, heads=1)))}
    shifted = {n: _misaligned(a) for n, a in inputs.items()}
    assert all(a.data_ptr() % 16 != 0 for a in shifted.values())
    want, status = _call(kernel, "forward", inputs)
    got, status2 = _call(kernel, "forward", shifted)
    assert status == 0 and status2 == 0
    assert torch.equal(got[first], want[first])
    w = torch.randn(want[first].shape, generator=torch.Generator().manual_seed(1)).to(torch.bfloat16)
    takes = set(kernel.signature("backward"))
    grads = []
    for ins in (inputs, shifted):
        given = dict(ins, **{n: _misaligned(t) if ins is shifted else t for n, t in want.items()},
                     **{dname: w})
        g, status = _call(kernel, "backward", {n: t for n, t in given.items() if n in takes})
        assert status == 0
        grads.append(g)
    for n in names:
        assert torch.equal(grads[0]["d" + n], grads[1]["d" + n]), "d%s" % n
