"""The custom operators myogen::{myo, mlr, btt_matmul, btt_attention} and
their *_backward ops (torch.library, torch >= 2.4), with autograd through the
generated backward and fake kernels for torch.compile.  The first argument of
every op is the key of a compiled kernel (Kernel.key): ops cannot take a dict.

Public functions (DESIGN.md 9) take spec = a Kernel, a dict or a .lua path."""

from typing import List, Optional, Tuple

import torch
from torch import Tensor

from .. import layouts
from . import dispatch

_FIELDS = layouts.MYO_FIELDS


@torch.compiler.assume_constant_result
def _key(spec):
    """The kernel key of a spec; torch.compile evaluates it once at trace time
    (compiling the kernel there) and bakes the key into the graph."""
    return dispatch.resolve(spec).key


class _Op:
    """A myogen operator: the custom op myogen::<name> (torch.compile,
    torch.export, dispatch and function modes, functorch transforms all see
    it), and in plain eager calls the same impl without torch's dispatcher:
    directly where no gradient is asked for, else through an
    autograd.Function with the op's own setup and gradient.  The dispatcher
    and the custom op's autograd layer cost more host time than the kernel of
    a small call (bench/python/overhead_bench.py --host)."""

    def __init__(self, name, impl, fake):
        self.impl = impl
        self.op = torch.library.custom_op("myogen::" + name, impl, mutates_args=(),
                                          device_types=("cpu", "cuda"))
        self.op.register_fake(fake)
        self.function = None  # the eager autograd path, once the op has a gradient

    def register_autograd(self, grad, setup_context):
        self.op.register_autograd(grad, setup_context=setup_context)

        class Function(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *inputs):
                output = self.impl(*inputs)
                setup_context(ctx, inputs, output)
                return output

            @staticmethod
            def backward(ctx, *grads):
                return grad(ctx, *grads)

        self.function = Function

    def __call__(self, *args):
        if not _eager(args):
            return self.op(*args)
        if torch.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad
                                           for a in args):
            if self.function is None:  # (the custom op's own error: no gradient formula)
                return self.op(*args)
            return self.function.apply(*args)
        return self.impl(*args)


_PLAIN = (torch.Tensor, torch.nn.Parameter)
try:
    _MODE_KEYS = tuple(torch._C._TorchDispatchModeKey.__members__.values())
except AttributeError:
    _MODE_KEYS = None


def _eager(args):
    """True for a plain eager call: not traced (torch.compile, export, make_fx),
    no torch function or dispatch mode, no functorch transform, every tensor
    a plain tensor or parameter (no fake or other subclass) on the CPU or a
    GPU (meta tensors take the op's fake kernel).  False where this torch
    lacks one of the probes: the custom op is always right."""
    C = torch._C
    try:
        if (_MODE_KEYS is None or torch.compiler.is_compiling()
                or C._is_torch_function_mode_enabled() or C._are_functorch_transforms_active()
                or C._len_torch_dispatch_stack()
                or any(C._get_dispatch_mode(key) is not None for key in _MODE_KEYS)):
            return False
    except AttributeError:
        return False
    return all(type(a) in _PLAIN and (a.is_cpu or a.is_cuda) for a in args if isinstance(a, Tensor))


def _empty(shape, like):
    return torch.empty(shape, dtype=like.dtype, device=like.device)


def _empty_lse(key, shape, like):
    """The kernel's lse: its own dtype (float32 beside 16-bit tensors)."""
    kernel = dispatch.kernel_for(key)
    return torch.empty(shape, dtype=dispatch.torch_dtype(kernel, "lse"), device=like.device)


# ---- myo ----------------------------------------------------------------------
def _myo_inputs(kernel, u, params):
    """The fields this kernel reads; D defaults to zeros (no skip term), C is
    not read by symmetric kernels."""
    needed = layouts.myo_params(kernel.macros, 0, 0)
    inputs = {"u": u}
    for field in needed:
        t = params[field]
        if t is None and field == "D":
            t = torch.zeros(u.shape[2], dtype=u.dtype, device=u.device)
        if t is None:
            raise ValueError("%s: argument '%s' is required by this kernel"
                             % (kernel.func_name("forward"), field))
        inputs[field] = t
    return inputs


def _myo_impl(key: str, u: Tensor, A: Tensor, B: Tensor, C: Optional[Tensor],
              Bin: Optional[Tensor], Cout: Optional[Tensor], D: Optional[Tensor]) -> Tensor:
    kernel = dispatch.kernel_for(key)
    params = dict(A=A, B=B, C=C, Bin=Bin, Cout=Cout, D=D)
    return dispatch.run(kernel, "forward", _myo_inputs(kernel, u, params))["y"]


def _myo_fake(key, u, A, B, C, Bin, Cout, D):
    return _empty(u.shape, u)


def _myo_backward_impl(key: str, u: Tensor, A: Tensor, B: Tensor, C: Optional[Tensor],
                       Bin: Optional[Tensor], Cout: Optional[Tensor], D: Optional[Tensor],
                       dy: Tensor) -> List[Tensor]:
    kernel = dispatch.kernel_for(key)
    inputs = _myo_inputs(kernel, u, dict(A=A, B=B, C=C, Bin=Bin, Cout=Cout, D=D))
    inputs["dy"] = dy
    out = dispatch.run(kernel, "backward", inputs)
    # every field's gradient, empty where the kernel has none
    return [out["du"]] + [out.get("d" + f, u.new_empty(0)) for f in _FIELDS]


def _myo_backward_fake(key, u, A, B, C, Bin, Cout, D, dy):
    kernel = dispatch.kernel_for(key)
    params = dict(A=A, B=B, C=C, Bin=Bin, Cout=Cout, D=D)
    needed = layouts.myo_params(kernel.macros, u.shape[0], u.shape[2])
    return [_empty(u.shape, u)] + [_empty(needed[f] if f in needed else (0,), u)
                                   for f in _FIELDS]


myo_op = _Op("myo", _myo_impl, _myo_fake)
myo_backward_op = _Op("myo_backward", _myo_backward_impl, _myo_backward_fake)


def _myo_setup(ctx, inputs, output):
    ctx.key = inputs[0]
    ctx.save_for_backward(*inputs[1:])


def _myo_grad(ctx, dy):
    saved = ctx.saved_tensors
    grads = myo_backward_op(ctx.key, *saved, dy)
    # no gradient for fields that were not given (None) or that the kernel ignores
    fields = [g if t is not None and g.numel() == t.numel() else None
              for g, t in zip(grads[1:], saved[1:])]
    return (None, grads[0], *fields)


myo_op.register_autograd(_myo_grad, setup_context=_myo_setup)


def myo(spec, u, A, B, C=None, Bin=None, Cout=None, D=None):
    """y = the Myo layer of `spec` on u ([batch][L][channels], or
    [batch][L][channels][N] for readout "none").  C may be None when the spec
    is symmetric; D None means no skip term; Bin/Cout/D only for siso."""
    return myo_op(_key(spec), u, A, B, C, Bin, Cout, D)


# ---- attention-like ops: (o, lse) forward, lse saved for the backward ---------
def _mlr_impl(key: str, q: Tensor, k: Tensor, v: Tensor) -> Tuple[Tensor, Tensor]:
    kernel = dispatch.kernel_for(key)
    out = dispatch.run(kernel, "forward", dict(q=q, k=k, v=v))
    if kernel.macros.get("LINK_IDENTITY"):  # link "identity" has no lse: zeros, not garbage
        out["lse"].zero_()
    return out["o"], out["lse"]


def _mlr_fake(key, q, k, v):
    return _empty(v.shape, v), _empty_lse(key, q.shape[:3], q)


def _mlr_backward_impl(key: str, q: Tensor, k: Tensor, v: Tensor, o: Tensor, lse: Tensor,
                       dout: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    out = dispatch.run(dispatch.kernel_for(key), "backward",
                       dict(q=q, k=k, v=v, o=o, lse=lse, dout=dout))
    return out["dq"], out["dk"], out["dv"]


def _mlr_backward_fake(key, q, k, v, o, lse, dout):
    return _empty(q.shape, q), _empty(k.shape, k), _empty(v.shape, v)


mlr_op = _Op("mlr", _mlr_impl, _mlr_fake)
mlr_backward_op = _Op("mlr_backward", _mlr_backward_impl, _mlr_backward_fake)


def _attention_setup(ctx, inputs, output):
    ctx.key = inputs[0]
    ctx.save_for_backward(*inputs[1:], *output)
    # lse is returned for the backward; its own gradient is not implemented
    ctx.mark_non_differentiable(output[1])


def _mlr_grad(ctx, dout, dlse):
    q, k, v, o, lse = ctx.saved_tensors
    return (None,) + tuple(mlr_backward_op(ctx.key, q, k, v, o, lse, dout))


mlr_op.register_autograd(_mlr_grad, setup_context=_attention_setup)


def mlr(spec, q, k, v):
    """o = MLR attention of `spec`: q, k [batch][heads][T][R], v [batch][heads][T][dv]."""
    return mlr_op(_key(spec), q, k, v)[0]


def _btt_att_inputs(kernel, x, W1, W2, v, ln_weight, ln_bias):
    """The kernel's inputs; ln_weight and ln_bias exactly when its spec has
    key_norm "layernorm_affine"."""
    inputs = dict(x=x, W1=W1, W2=W2, v=v)
    given = ln_weight is not None or ln_bias is not None
    if kernel.macros.get("KEY_NORM_AFFINE"):
        if ln_weight is None or ln_bias is None:
            raise ValueError("%s: key_norm \"layernorm_affine\" needs ln_weight and ln_bias "
                             "[heads][D]" % kernel.func_name("forward"))
        inputs.update(ln_weight=ln_weight, ln_bias=ln_bias)
    elif given:
        raise ValueError("%s: ln_weight/ln_bias need a spec with key_norm="
                         "\"layernorm_affine\"; this kernel normalizes its keys without an "
                         "affine" % kernel.func_name("forward"))
    return inputs


def _btt_att_impl(key: str, x: Tensor, W1: Tensor, W2: Tensor, v: Tensor,
                  ln_weight: Optional[Tensor] = None,
                  ln_bias: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    kernel = dispatch.kernel_for(key)
    out = dispatch.run(kernel, "forward", _btt_att_inputs(kernel, x, W1, W2, v, ln_weight, ln_bias))
    return out["o"], out["lse"]


def _btt_att_fake(key, x, W1, W2, v, ln_weight=None, ln_bias=None):
    return _empty(v.shape, v), _empty_lse(key, v.shape[:3], v)


def _btt_att_backward_impl(key: str, x: Tensor, W1: Tensor, W2: Tensor, v: Tensor, o: Tensor,
                           lse: Tensor, dout: Tensor, ln_weight: Optional[Tensor] = None,
                           ln_bias: Optional[Tensor] = None
                           ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """dx, dW1, dW2, dv, dln_weight, dln_bias (the last two empty without the affine)."""
    kernel = dispatch.kernel_for(key)
    inputs = _btt_att_inputs(kernel, x, W1, W2, v, ln_weight, ln_bias)
    out = dispatch.run(kernel, "backward", dict(inputs, o=o, lse=lse, dout=dout))
    if "dln_weight" not in out:  # (two tensors: outputs may not alias)
        out.update(dln_weight=x.new_empty((0,)), dln_bias=x.new_empty((0,)))
    return out["dx"], out["dW1"], out["dW2"], out["dv"], out["dln_weight"], out["dln_bias"]


def _btt_att_backward_fake(key, x, W1, W2, v, o, lse, dout, ln_weight=None, ln_bias=None):
    ln = (ln_weight, ln_bias) if ln_weight is not None else (x.new_empty((0,)), x.new_empty((0,)))
    return tuple(_empty(t.shape, t) for t in (x, W1, W2, v) + ln)


btt_attention_op = _Op("btt_attention", _btt_att_impl, _btt_att_fake)
btt_attention_backward_op = _Op("btt_attention_backward", _btt_att_backward_impl,
                                    _btt_att_backward_fake)


def _btt_att_grad(ctx, dout, dlse):
    saved = ctx.saved_tensors  # x, W1, W2, v[, ln_weight, ln_bias], o, lse
    x, W1, W2, v = saved[:4]
    lw, lb = saved[4:6] if len(saved) == 8 else (None, None)
    o, lse = saved[-2:]
    dx, dW1, dW2, dv, dlw, dlb = btt_attention_backward_op(ctx.key, x, W1, W2, v, o, lse, dout,
                                                           lw, lb)
    affine = lw is not None
    return (None, dx, dW1, dW2, dv, dlw if affine else None, dlb if affine else None)


btt_attention_op.register_autograd(_btt_att_grad, setup_context=_attention_setup)


def btt_attention(spec, x, W1, W2, v, ln_weight=None, ln_bias=None):
    """o = bilinear BTT attention of `spec`: x [batch][T][D], W1 [heads][m1][m0][n0][s],
    W2 [heads][n0][m1][s][n1], v [batch][heads][T][dv]; ln_weight, ln_bias
    [heads][D] exactly when the spec has key_norm="layernorm_affine"."""
    return btt_attention_op(_key(spec), x, W1, W2, v, ln_weight, ln_bias)[0]


# ---- btt matmul -----------------------------------------------------------------
def _btt_mm_impl(key: str, x: Tensor, W1: Tensor, W2: Tensor) -> Tensor:
    return dispatch.run(dispatch.kernel_for(key), "forward", dict(x=x, W1=W1, W2=W2))["y"]


def _btt_mm_fake(key, x, W1, W2):
    kernel = dispatch.kernel_for(key)
    return _empty((x.shape[0], kernel.macros["D_OUT"]), x)


def _btt_mm_backward_impl(key: str, x: Tensor, W1: Tensor, W2: Tensor,
                          dy: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    out = dispatch.run(dispatch.kernel_for(key), "backward", dict(x=x, W1=W1, W2=W2, dy=dy))
    return out["dx"], out["dW1"], out["dW2"]


def _btt_mm_backward_fake(key, x, W1, W2, dy):
    return tuple(_empty(t.shape, t) for t in (x, W1, W2))


btt_matmul_op = _Op("btt_matmul", _btt_mm_impl, _btt_mm_fake)
btt_matmul_backward_op = _Op("btt_matmul_backward", _btt_mm_backward_impl,
                                 _btt_mm_backward_fake)


def _btt_mm_setup(ctx, inputs, output):
    ctx.key = inputs[0]
    ctx.save_for_backward(*inputs[1:])


def _btt_mm_grad(ctx, dy):
    x, W1, W2 = ctx.saved_tensors
    return (None,) + tuple(btt_matmul_backward_op(ctx.key, x, W1, W2, dy))


btt_matmul_op.register_autograd(_btt_mm_grad, setup_context=_btt_mm_setup)


def btt_matmul(spec, x, W1, W2):
    """y = x W for the BTT matrix W of cores W1 [m1][m0][n0][s], W2 [n0][m1][s][n1];
    x [n][d_in] (leading dimensions beyond one are flattened and restored)."""
    key = _key(spec)
    if x.dim() == 2:
        return btt_matmul_op(key, x, W1, W2)
    lead = x.shape[:-1]
    y = btt_matmul_op(key, x.reshape(-1, x.shape[-1]), W1, W2)
    return y.reshape(*lead, y.shape[-1])
