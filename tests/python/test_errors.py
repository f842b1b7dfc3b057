"""Clear errors: wrong dtype or shape (named argument, expected vs got),
spec errors with myogen's one-line message, kernel status codes."""

import subprocess

import pytest
import torch

import cases
import myogen
import myogen.torch as mt
from myogen import binary


def test_wrong_dtype_names_argument():
    kernel = cases.kernel("mlr_t24", torch.float32)
    q, k, v = cases.inputs("mlr_t24", torch.float32)
    with pytest.raises(ValueError, match=r"mlr_t24_f32_forward: argument 'k': expected shape "
                                         r"\(2, 2, 24, 4\) and dtype float32, got shape "
                                         r"\(2, 2, 24, 4\) and dtype float64"):
        mt.mlr(kernel, q, k.double(), v)


def test_wrong_shape_names_argument():
    kernel = cases.kernel("btt_att", torch.float64)
    x, W1, W2, v = cases.inputs("btt_att", torch.float64)
    with pytest.raises(ValueError, match=r"argument 'v': expected shape \(2, 2, 7, 3\)"):
        mt.btt_attention(kernel, x, W1, W2, v[:, :, :, :2])
    with pytest.raises(ValueError, match=r"argument 'x': expected shape \(batch, 7, 6\)"):
        mt.btt_attention(kernel, x[0], W1, W2, v)


def test_not_a_tensor_names_argument():
    kernel = cases.kernel("mlr_t24", torch.float32)
    q, k, v = cases.inputs("mlr_t24", torch.float32)
    for bad in (None, k.numpy(), [1.0, 2.0]):
        with pytest.raises(TypeError, match=r"mlr_t24_f32_forward: argument 'k': expected a "
                                            r"torch.Tensor, got "):
            mt.mlr(kernel, q, bad, v)


def test_meta_tensors_take_the_fake_kernel():
    """Shapes only (a model built on the meta device): no kernel runs."""
    kernel = cases.kernel("mlr_t24", torch.float32)
    q, k, v = (t.to("meta") for t in cases.inputs("mlr_t24", torch.float32))
    o = mt.mlr(kernel, q.requires_grad_(), k, v)
    assert o.device.type == "meta" and o.shape == v.shape


def test_wrong_shape_numpy():
    kernel = cases.kernel("btt_mm", torch.float64)
    x, W1, W2 = (a.numpy() for a in cases.inputs("btt_mm", torch.float64))
    with pytest.raises(ValueError, match=r"argument 'W2': expected shape \(2, 2, 2, 5\)"):
        kernel.forward(W1, W2[:, :, :, :4], x)
    with pytest.raises(ValueError, match=r"argument 'x'.*dtype float64, got .*dtype float32"):
        kernel.forward(W1, W2, x.astype("float32"))


def test_spec_error_dict_one_line():
    bad = dict(cases.spec("mlr_t24", torch.float32), depth=0)
    with pytest.raises(myogen.SpecError) as err:
        myogen.compile(bad)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg == "myogen: <spec dict>: field 'depth': expected an integer in 1..16, got 0"


def test_spec_error_path_is_myogens_message(tmp_path):
    path = tmp_path / "bad.lua"
    path.write_text('return { kernel = "myo", name = "bad", arity = 2, depth = 2, state = 2 }\n')
    with pytest.raises(myogen.SpecError) as err:
        myogen.compile(str(path), share="sideways")
    direct = subprocess.run([binary.find(), "check", str(path), "-D", "share=sideways"],
                            capture_output=True, text=True)
    assert direct.returncode == 2
    assert str(err.value) == direct.stderr.strip()
    assert "field 'share'" in str(err.value)


def test_bad_target():
    with pytest.raises(ValueError, match="CPU kernels"):
        myogen.compile(cases.spec("btt_mm", torch.float64), target="opencl")


def test_zero_pivot_raises_kernel_error():
    kernel = cases.kernel("myo_vertex_dense", torch.float64)
    u, A, B, C, Bin, Cout, D = cases.inputs("myo_vertex_dense", torch.float64)
    with pytest.raises(myogen.KernelError, match=r"myo_vertex_dense_f64_forward returned 2: "
                                                 r"numerical failure") as err:
        mt.myo(kernel, u, torch.zeros_like(A), B, C, Bin, Cout, D)
    assert err.value.code == 2 and isinstance(err.value, RuntimeError)


def test_missing_field_and_ln_affine():
    kernel = cases.kernel("myo_level_siso", torch.float64)
    u, A, B, C, Bin, Cout, D = cases.inputs("myo_level_siso", torch.float64)
    with pytest.raises(ValueError, match="argument 'C' is required"):
        mt.myo(kernel, u, A, B, None, Bin, Cout, D)
    att = cases.kernel("btt_att", torch.float64)
    x, W1, W2, v = cases.inputs("btt_att", torch.float64)
    with pytest.raises(ValueError, match="layernorm_affine"):
        mt.btt_attention(att, x, W1, W2, v, ln_weight=torch.ones(2, 6))
    affine = cases.kernel("btt_att_ln", torch.float64)
    with pytest.raises(ValueError, match="needs ln_weight and ln_bias"):
        mt.btt_attention(affine, x, W1, W2, v)
