"""myogen.compile + the numpy Kernel API against the references."""

import numpy as np
import torch

import cases
import references as ref


def _np(args):
    return [None if a is None else a.numpy() for a in args]


def test_mlr_numpy_forward_backward():
    kernel = cases.kernel("mlr_t24", torch.float64)
    q, k, v = cases.inputs("mlr_t24", torch.float64)
    o, lse = kernel.forward(*_np((q, k, v)))
    want_o, want_lse = ref.mlr(cases.ALL["mlr_t24"], q, k, v)
    np.testing.assert_allclose(o, want_o.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lse, want_lse.numpy(), rtol=1e-10, atol=1e-12)
    dout = np.ones_like(o)
    dq, dk, dv = kernel.backward(*_np((q, k, v)), o, lse, dout)
    qq, kk, vv = (a.clone().requires_grad_(True) for a in (q, k, v))
    ref.mlr(cases.ALL["mlr_t24"], qq, kk, vv)[0].sum().backward()
    for got, want in ((dq, qq.grad), (dk, kk.grad), (dv, vv.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-9, atol=1e-10)


def test_myo_numpy_params_dict():
    kernel = cases.kernel("myo_level_siso", torch.float32)
    u, A, B, C, Bin, Cout, D = cases.inputs("myo_level_siso", torch.float32)
    params = dict(zip(("A", "B", "C", "Bin", "Cout", "D"), _np((A, B, C, Bin, Cout, D))))
    y = kernel.forward(params, u.numpy())
    want = ref.myo(cases.ALL["myo_level_siso"], *(a.double() for a in (u, A, B, C, Bin, Cout, D)))
    np.testing.assert_allclose(y, want.numpy(), rtol=1e-4, atol=1e-4)
    du, grads = kernel.backward(params, u.numpy(), np.ones_like(y))
    assert du.shape == u.shape and set(grads) == {"A", "B", "C", "Bin", "Cout", "D"}
    assert all(grads[f].shape == params[f].shape for f in grads)


def test_btt_numpy_non_contiguous():
    kernel = cases.kernel("btt_mm", torch.float64)
    x, W1, W2 = _np(cases.inputs("btt_mm", torch.float64))
    y = kernel.forward(W1, W2, np.asfortranarray(x))
    np.testing.assert_allclose(y, ref.btt_matmul(*map(torch.from_numpy, (x, W1, W2))).numpy(),
                               rtol=1e-12, atol=1e-12)
    assert kernel.macros["D_IN"] == 6 and kernel.macros["D_OUT"] == 10
