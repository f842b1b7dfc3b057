"""nn.Modules: MyoLayer's dominance parameterization, the image orders, and
the attention/BTT modules against references built from their own weights."""

import pytest
import torch

import cases
import references as ref
import myogen.torch as mt

MYO_SPECS = {
    "level_diag": dict(kernel="myo", arity=2, depth=3, state=2, share="level"),
    "vertex_dense": dict(kernel="myo", arity=3, depth=2, state=2, share="vertex", block="dense"),
    "level_dense_sym": dict(kernel="myo", arity=2, depth=2, state=3, block="dense",
                            symmetric=True),
}


def assembled(spec, A, B, C):
    """T_G of channel 0 as a dense matrix (from the reference's tree)."""
    verts = ref.tree(spec["arity"], spec["depth"])
    n, dense = spec["state"], spec.get("block") == "dense"
    level = spec.get("share", "level") == "level"
    blk = lambda P, v: (P[verts[v][0] if level else v, 0] if dense
                        else torch.diag(P[verts[v][0] if level else v, 0]))
    T = torch.zeros(len(verts) * n, len(verts) * n, dtype=A.dtype)
    for v, (_, _, parent) in enumerate(verts):
        T[v * n:(v + 1) * n, v * n:(v + 1) * n] = blk(A, v)
        if parent is not None:
            Bv = blk(B, v)
            T[v * n:(v + 1) * n, parent * n:(parent + 1) * n] = Bv
            T[parent * n:(parent + 1) * n, v * n:(v + 1) * n] = Bv.T if C is None else blk(C, v)
    return T


@pytest.mark.parametrize("name", list(MYO_SPECS))
def test_myo_layer_stays_diagonally_dominant(name):
    spec = dict(MYO_SPECS[name], name="layer_" + name, dtype="f64",
                passes=["forward", "backward"])
    layer = mt.MyoLayer(spec, channels=3)
    with torch.no_grad():  # adversarial parameters: large couplings, very negative raw_A
        for p in (layer.B, layer.C):
            if p is not None:
                p.mul_(50)
        layer.raw_A.fill_(-30)
    A, B, C = layer.coefficients()
    T = assembled(MYO_SPECS[name], A.detach(), B.detach(), None if C is None else C.detach())
    diag = T.diagonal().abs()
    assert torch.all(diag > (T.abs().sum(1) - diag))
    u = torch.randn(2, layer.kernel.macros["SEQ_LEN"], 3, dtype=torch.float64)
    y = layer(u)
    want = ref.myo(MYO_SPECS[name], u, A, B, C, layer.Bin, layer.Cout, layer.D)
    torch.testing.assert_close(y, want)
    y.square().sum().backward()
    assert layer.raw_A.grad is not None and torch.isfinite(layer.B.grad).all()


def test_orders():
    assert mt.morton_order(4, 4).tolist() == [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]
    assert mt.snake_order(2, 3).tolist() == [0, 1, 2, 5, 4, 3]
    assert mt.raster_order(2, 3).tolist() == list(range(6))
    for order in (mt.morton_order, mt.snake_order):
        assert sorted(order(8, 4).tolist()) == list(range(32))


def test_mlr_attention_module():
    spec = dict(cases.ALL["mlr_t24"], name="mlr_module", dtype="f64",
                passes=["forward", "backward"])
    layer = mt.MLRAttention(dim=10, heads=2, spec=spec)
    x = torch.randn(3, 24, 10, dtype=torch.float64, requires_grad=True)
    y = layer(x)
    q, k = layer.qk(x).view(3, 24, 2, 2, 4).permute(2, 0, 3, 1, 4)
    v = layer.v(x).view(3, 24, 2, 3).transpose(1, 2)
    o = ref.mlr(spec, q, k, v)[0]
    want = layer.out(o.transpose(1, 2).reshape(3, 24, 6))
    torch.testing.assert_close(y, want)
    y.sum().backward()
    assert x.grad is not None and layer.qk.weight.grad is not None


def test_btt_linear_module():
    layer = mt.BTTLinear(dict(cases.ALL["btt_mm"], dtype="f64", passes=["forward", "backward"]))
    x = torch.randn(4, 3, 6, dtype=torch.float64)
    y = layer(x)
    assert y.shape == (4, 3, 10)
    torch.testing.assert_close(y, x @ ref.btt_dense(layer.W1, layer.W2) + layer.bias)
    y.sum().backward()
    assert layer.W1.grad.shape == layer.W1.shape


def test_bilinear_btt_attention_module():
    spec = dict(cases.ALL["btt_att"], name="btt_att_module", dtype="f64",
                passes=["forward", "backward"])
    layer = mt.BilinearBTTAttention(heads=2, spec=spec)
    x = torch.randn(2, 7, 6, dtype=torch.float64)
    y = layer(x)
    v = layer.v(x).view(2, 7, 2, 3).transpose(1, 2)
    o = ref.btt_attention(spec, x, layer.W1, layer.W2, v)[0]
    torch.testing.assert_close(y, layer.out(o.transpose(1, 2).reshape(2, 7, 6)))
    y.sum().backward()
    assert layer.W2.grad is not None


def test_bilinear_btt_attention_module_affine():
    """key_norm "layernorm_affine": the module owns ln_weight and ln_bias per
    head (ones and zeros at first), trained like the cores."""
    spec = dict(cases.ALL["btt_att_ln"], name="btt_att_ln_module", dtype="f64",
                passes=["forward", "backward"])
    layer = mt.BilinearBTTAttention(heads=2, spec=spec)
    assert layer.ln_weight.shape == (2, 6) and layer.ln_bias.shape == (2, 6)
    with torch.no_grad():
        layer.ln_weight.add_(0.3 * torch.randn(2, 6, dtype=torch.float64))
        layer.ln_bias.add_(0.3 * torch.randn(2, 6, dtype=torch.float64))
    x = torch.randn(2, 8, 6, dtype=torch.float64)
    y = layer(x)
    v = layer.v(x).view(2, 8, 2, 3).transpose(1, 2)
    o = ref.btt_attention(spec, x, layer.W1, layer.W2, v, layer.ln_weight, layer.ln_bias)[0]
    torch.testing.assert_close(y, layer.out(o.transpose(1, 2).reshape(2, 8, 6)))
    y.sum().backward()
    assert layer.ln_weight.grad is not None and layer.ln_bias.grad is not None
