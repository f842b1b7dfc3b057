"""Loading the authors' trained parameters (myogen.torch.authors): each test
builds a random state_dict in the authors' layout, computes their module's
output straight from their formulas here (loops and einsums over their
own index conventions, their RMS clamp, their LayerNorms), and checks that
the loaded myogen module gives the same output in f32 (|err| <= 1e-5 +
1e-5 |ref|) and that its backward runs."""

import math

import pytest
import torch

import myogen.torch as mt

TOL = dict(atol=1e-5, rtol=1e-5)


def _rnd(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g) * scale


def _rms_clamp(W, din, dout):
    rms = torch.sqrt((W * W).mean() + 1e-8)
    return W / max(1.0, (rms / math.sqrt(min(din, dout) / din ** 2)).item())


# ---- compute-better-spent's BTT linear layer ------------------------------------
def _authors_btt(x, W0, W1, b, m0, m1, n0, n1, r):
    """y[j0 n1 + j1] = sum x[i1 m0 + i0] W0[i1][i0][j0 r + s] W1[j0][i1 r + s][j1] + b."""
    W = torch.zeros(m0 * m1, n0 * n1, dtype=x.dtype)
    for i1 in range(m1):
        for i0 in range(m0):
            for j0 in range(n0):
                for j1 in range(n1):
                    W[i1 * m0 + i0, j0 * n1 + j1] = sum(
                        W0[i1, i0, j0 * r + s] * W1[j0, i1 * r + s, j1] for s in range(r))
    return x @ W + b


@pytest.mark.parametrize("normalize", [False, True], ids=["btt", "btt_norm"])
def test_btt_linear(normalize):
    g = torch.Generator().manual_seed(0)
    m0, m1, n0, n1, r = 2, 3, 3, 2, 2
    # large cores, so that the RMS clamp acts
    W0, W1 = _rnd(g, m1, m0, r * n0, scale=3.0), _rnd(g, n0, r * m1, n1, scale=3.0)
    state = {"op_params.0": W0, "op_params.1": W1, "b": _rnd(g, n0 * n1)}
    if normalize:
        state.update({"op_params.2": torch.tensor(0.7), "op_params.3": torch.tensor(1.3)})
        W0e = _rms_clamp(W0, m0, r * n0) * 0.7
        W1e = _rms_clamp(W1, r * m1, n1) * 1.3
    else:
        W0e, W1e = W0, W1
    x = _rnd(g, 5, m0 * m1)
    want = _authors_btt(x, W0e, W1e, state["b"], m0, m1, n0, n1, r)
    layer = mt.BTTLinear.from_authors_state_dict(state, normalize=normalize)
    got = layer(x)
    torch.testing.assert_close(got, want, **TOL)
    got.sum().backward()
    assert layer.W1.grad is not None


# ---- structured-attention's AttentionMLR ------------------------------------
def _authors_mlr(x, st, heads, ranks, blocks, normalize, link="softmax"):
    B, T, C = x.shape
    lin = lambda n: x @ st["c_attn_%s.weight" % n].T
    split = lambda t: t.view(B, T, heads, -1).transpose(1, 2)
    q, k, v = split(lin("q")), split(lin("k")), split(lin("v"))
    ln = lambda t, n: torch.nn.functional.layer_norm(t, (t.shape[-1],), st[n + ".weight"],
                                                     st[n + ".bias"], eps=1e-5)
    q, k = ln(q, "ln_q"), ln(k, "ln_k")
    att, shared, off = 0, torch.zeros(T, T), 0
    pos = torch.arange(T)
    for b, r in zip(blocks, ranks):
        same = (pos[:, None] // b == pos[None, :] // b).float()
        att = att + same * (q[..., off:off + r] @ k[..., off:off + r].transpose(-1, -2)) / r
        shared, off = shared + same, off + r
    if normalize == "shared":
        att = att / shared
    if link == "identity":
        att = att.masked_fill(pos[None, :] > pos[:, None], 0.0)
    else:
        att = att.masked_fill(pos[None, :] > pos[:, None], float("-inf")).softmax(-1)
    y = (att @ v).transpose(1, 2).reshape(B, T, C)
    return y @ st["c_proj.weight"].T


@pytest.mark.parametrize("link", ["softmax", "identity"])
@pytest.mark.parametrize("blocks", [None, [16, 8, 2]], ids=["arity2", "block_list"])
def test_mlr_attention(blocks, link):
    g = torch.Generator().manual_seed(1)
    T, heads, ranks = 16, 2, [4, 2, 2]
    C = heads * sum(ranks)
    st = {"c_attn_%s.weight" % n: _rnd(g, C, C, scale=C ** -0.5) for n in "qkv"}
    st["c_proj.weight"] = _rnd(g, C, C, scale=C ** -0.5)
    for n in ("ln_q", "ln_k"):
        st[n + ".weight"], st[n + ".bias"] = 1 + 0.2 * _rnd(g, 8), 0.2 * _rnd(g, 8)
    st["bias"] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)  # their mask buffer
    x = _rnd(g, 2, T, C)
    levels = blocks or [T // 2 ** l for l in range(len(ranks))]
    want = _authors_mlr(x, st, heads, ranks, levels, "shared", link)
    layer = mt.MLRAttention.from_authors_state_dict(st, heads, ranks, blocks=blocks, link=link)
    got = layer(x)
    torch.testing.assert_close(got, want, **TOL)
    got.sum().backward()
    assert layer.qk.weight.grad is not None and layer.q_norm.weight.grad is not None


def test_mlr_attention_fused_qkv():
    """One c_attn [3C][C] (split_qkv off) gives the same layer as three."""
    g = torch.Generator().manual_seed(2)
    T, heads, ranks = 8, 2, [2, 2]
    C = heads * sum(ranks)
    Ws = [_rnd(g, C, C, scale=C ** -0.5) for _ in range(4)]
    split = {"c_attn_q.weight": Ws[0], "c_attn_k.weight": Ws[1], "c_attn_v.weight": Ws[2],
             "c_proj.weight": Ws[3], "bias": torch.tril(torch.ones(T, T)).view(1, 1, T, T)}
    fused = {"c_attn.weight": torch.cat(Ws[:3]), "c_proj.weight": Ws[3], "bias": split["bias"]}
    x = _rnd(g, 1, T, C)
    a = mt.MLRAttention.from_authors_state_dict(split, heads, ranks)(x)
    b = mt.MLRAttention.from_authors_state_dict(fused, heads, ranks)(x)
    torch.testing.assert_close(a, b, atol=0, rtol=0)


# ---- structured-attention's BilinearBTTAttention ----------------------------
def _authors_bilinear(x, st, heads, s):
    B, T, C = x.shape
    Wk, Wq = st["bilinear_btt_wk.weight"], st["bilinear_btt_wq.weight"]
    c, d, _ = Wk.shape
    hb, a, _ = Wq.shape
    b = hb // heads
    Wk, Wq = _rms_clamp(Wk, d, heads * b * s), _rms_clamp(Wq, c * s, a)
    # K[bt][h][t][ia b + jb] = sum x[ic d + id] Wk[ic][id][(h b + jb) s + sig] Wq[h b + jb][ia][ic s + sig]
    K = torch.einsum("btcd,cdhjs,hjacs->bhtaj", x.view(B, T, c, d), Wk.view(c, d, heads, b, s),
                     Wq.view(heads, b, a, c, s)).reshape(B, heads, T, C)
    K = torch.nn.functional.layer_norm(K, (C,), st["bilinear_btt_ln_PLPRXT.weight"],
                                       st["bilinear_btt_ln_PLPRXT.bias"], eps=1e-5)
    att = torch.einsum("btc,bhuc->bhtu", x, K) / math.sqrt(C)
    pos = torch.arange(T)
    att = att.masked_fill(pos[None, :] > pos[:, None], float("-inf")).softmax(-1)
    v = (x @ st["c_attn_v.weight"].T).view(B, T, heads, -1).transpose(1, 2)
    y = (att @ v).transpose(1, 2).reshape(B, T, C)
    return y @ st["c_proj.weight"].T


def test_bilinear_btt_attention():
    g = torch.Generator().manual_seed(3)
    heads, s, T = 2, 2, 9
    c, d = 2, 3   # input factors: x index ic d + id
    a, b = 2, 3   # output factors: key index ia b + jb (C = a b = c d)
    C = c * d
    st = {"bilinear_btt_wk.weight": _rnd(g, c, d, heads * b * s, scale=2.0),
          "bilinear_btt_wq.weight": _rnd(g, heads * b, a, c * s, scale=2.0),
          "bilinear_btt_ln_PLPRXT.weight": 1 + 0.3 * _rnd(g, C),
          "bilinear_btt_ln_PLPRXT.bias": 0.3 * _rnd(g, C),
          "c_attn_v.weight": _rnd(g, C, C, scale=C ** -0.5),
          "c_proj.weight": _rnd(g, C, C, scale=C ** -0.5)}
    x = _rnd(g, 2, T, C)
    want = _authors_bilinear(x, st, heads, s)
    layer = mt.BilinearBTTAttention.from_authors_state_dict(st, heads, s, T)
    got = layer(x)
    torch.testing.assert_close(got, want, **TOL)
    got.sum().backward()
    assert layer.W1.grad is not None and layer.ln_weight.grad is not None


def test_missing_key_is_named():
    with pytest.raises(KeyError, match="op_params.1"):
        mt.BTTLinear.from_authors_state_dict({"op_params.0": torch.zeros(2, 2, 2)})
