"""The seed papers' trained parameters in myogen's modules (DESIGN.md 6.2,
6.3; issue 18).  Layouts and formulas are those of the authors' public
code (facts, not code): structured-attention's AttentionMLR and
BilinearBTTAttention (src/model.py), compute-better-spent's BTT linear
layer (cola FasterBTT).  Their forward-time core normalisation (an RMS
clamp) is folded into the cores, so a loaded module computes what theirs
does.  Each loader takes a state_dict (tensors; `prefix` is prepended to
every key) and returns a module in the state_dict's dtype (f32 or f64)."""

import math

import torch

from . import modules


def _get(state, prefix, name, required=True):
    t = state.get(prefix + name)
    if t is None and required:
        raise KeyError("authors' state_dict: no %r" % (prefix + name))
    return t


def _dtype_name(t):
    return {torch.float32: "f32", torch.float64: "f64"}[t.dtype]


def _rms_clamp(W, din, dout, gamma=None):
    """W / max(1, rms(W) / sqrt(min(din, dout) / din^2)), times gamma: the
    authors' normalisation of a core at every forward (rms with 1e-8 inside
    the square root)."""
    rms = torch.sqrt((W * W).mean() + 1e-8)
    W = W / torch.clamp(rms / math.sqrt(min(din, dout) / din ** 2), min=1.0)
    return W if gamma is None else W * gamma


def btt_linear(state, prefix="", normalize=False, spec=None):
    """compute-better-spent's BTT layer: cores op_params.0 [m1][m0][r n0] and
    op_params.1 [n0][r m1][n1] (y[j0 n1 + j1] = sum x[i1 m0 + i0]
    W0[i1][i0][j0 r + s] W1[j0][i1 r + s][j1]: byte for byte myogen's W1
    [m1][m0][n0][s] and W2 [n0][m1][s][n1]), bias b [d_out]; normalize: the
    struct "btt_norm" (each core RMS-clamped, times its learned gamma
    op_params.2 / op_params.3 when present)."""
    W0, W1 = _get(state, prefix, "op_params.0"), _get(state, prefix, "op_params.1")
    m1, m0, rn0 = W0.shape
    n0, rm1, n1 = W1.shape
    r = rm1 // m1
    if n0 * r != rn0 or m1 * r != rm1:
        raise ValueError("authors' BTT cores of shapes %s and %s do not chain"
                         % (tuple(W0.shape), tuple(W1.shape)))
    if normalize:
        W0 = _rms_clamp(W0, m0, r * n0, _get(state, prefix, "op_params.2", False))
        W1 = _rms_clamp(W1, r * m1, n1, _get(state, prefix, "op_params.3", False))
    bias = _get(state, prefix, "b", False)
    if spec is None:
        spec = dict(kernel="btt", op="matmul", arity=[m0, m1], out_arity=[n0, n1], state=r,
                    dtype=_dtype_name(W0), passes=["forward", "backward"])
    layer = modules.BTTLinear(spec, bias=bias is not None)
    with torch.no_grad():
        layer.W1.copy_(W0.reshape(m1, m0, n0, r))
        layer.W2.copy_(W1.reshape(n0, m1, r, n1))
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


def mlr_attention(state, heads, ranks, blocks=None, prefix="", causal=True,
                  normalize="shared", link="softmax", spec=None):
    """structured-attention's AttentionMLR: q, k, v projections c_attn_q,
    c_attn_k, c_attn_v [C][C] (or one c_attn [3C][C]), c_proj [C][C], and
    with do_qk_ln a LayerNorm of every head's q and k (ln_q, ln_k: [d_head],
    shared by the heads); levels of blocks T / 2^l or `blocks` (their
    mlr_block_size_list), head dims split into the ranks' slices in order,
    scale 1/r_l; normalize: "shared" (mlr_block_divide_by_num_levels),
    "levels" (mlr_divide_by_num_levels) or "none"; link: "softmax" or their
    "identity" (o = S v).  Needs the sequence length
    of the model: blocks[0], or the causal mask buffer `bias` [1][1][T][T]."""
    if _get(state, prefix, "c_attn.weight", False) is not None:
        Wq, Wk, Wv = _get(state, prefix, "c_attn.weight").chunk(3, 0)
        bq, bk, bv = (None,) * 3
        if _get(state, prefix, "c_attn.bias", False) is not None:
            bq, bk, bv = _get(state, prefix, "c_attn.bias").chunk(3, 0)
    else:
        Wq, Wk, Wv = (_get(state, prefix, "c_attn_%s.weight" % n) for n in "qkv")
        bq, bk, bv = (_get(state, prefix, "c_attn_%s.bias" % n, False) for n in "qkv")
    Wo, bo = _get(state, prefix, "c_proj.weight"), _get(state, prefix, "c_proj.bias", False)
    dim = Wq.shape[1]
    if sum(ranks) * heads != Wq.shape[0]:
        raise ValueError("ranks %s x %d heads do not fill the q projection's %d outputs"
                         % (list(ranks), heads, Wq.shape[0]))
    T = blocks[0] if blocks else _get(state, prefix, "bias").shape[-1]
    if spec is None:
        spec = dict(kernel="mlr", seq_len=T, depth=len(ranks), state=list(ranks),
                    value_dim=Wv.shape[0] // heads, causal=causal, scale="inv_rank",
                    normalize=normalize, link=link, dtype=_dtype_name(Wq),
                    passes=["forward", "backward"])
        spec["blocks" if blocks else "arity"] = list(blocks) if blocks else 2
    ln_q = _get(state, prefix, "ln_q.weight", False)
    has_bias = any(b is not None for b in (bq, bk, bv, bo))
    layer = modules.MLRAttention(dim, heads, spec, bias=has_bias, qk_norm=ln_q is not None)
    with torch.no_grad():
        layer.qk.weight.copy_(torch.cat([Wq, Wk]))
        layer.v.weight.copy_(Wv)
        layer.out.weight.copy_(Wo)
        if has_bias:
            zero = lambda n: Wq.new_zeros(n)
            layer.qk.bias.copy_(torch.cat([bq if bq is not None else zero(Wq.shape[0]),
                                           bk if bk is not None else zero(Wk.shape[0])]))
            layer.v.bias.copy_(bv if bv is not None else zero(Wv.shape[0]))
            layer.out.bias.copy_(bo if bo is not None else zero(Wo.shape[0]))
        if ln_q is not None:
            for name, ln in (("ln_q", layer.q_norm), ("ln_k", layer.k_norm)):
                ln.weight.copy_(_get(state, prefix, name + ".weight"))
                b = _get(state, prefix, name + ".bias", False)
                ln.bias.copy_(b if b is not None else torch.zeros_like(ln.bias))
    return layer


def bilinear_btt_attention(state, heads, rank, seq_len, prefix="", causal=True,
                           muP_scaling=False, spec=None):
    """structured-attention's BilinearBTTAttention: per head h the keys
    K[ia b + jb] = sum x[ic d + id] Wk[ic][id][(h b + jb) s + sig]
    Wq[h b + jb][ia][ic s + sig] (bilinear_btt_wk [c][d][H b s],
    bilinear_btt_wq [H b][a][c s], both RMS-clamped at forward), a LayerNorm
    of every key over all C dims (bilinear_btt_ln_PLPRXT: weight [C], bias),
    scores x . LN(K) / sqrt(C) (muP_scaling: / C), values c_attn_v, output
    c_proj.  In myogen's terms: arity {d, c}, out_arity {b, a}, rank s,
    key_order "j1_major", key_norm "layernorm_affine" with the one
    LayerNorm's weight and bias for every head."""
    Wk, Wq = _get(state, prefix, "bilinear_btt_wk.weight"), _get(state, prefix, "bilinear_btt_wq.weight")
    if _get(state, prefix, "bilinear_btt_ln_X.weight", False) is not None:
        raise ValueError("authors' state_dict: a LayerNorm on the queries (bilinear_btt_ln_X) "
                         "is not part of myogen's bilinear attention: apply it to x first")
    c, d, hbs = Wk.shape
    hb, a, cs = Wq.shape
    s, b = rank, hb // heads
    C = c * d
    if hbs != heads * b * s or cs != c * s or a * b != C:
        raise ValueError("authors' cores of shapes %s and %s do not match %d heads of rank %d"
                         % (tuple(Wk.shape), tuple(Wq.shape), heads, rank))
    Wk = _rms_clamp(Wk, d, hbs)
    Wq = _rms_clamp(Wq, c * s, a)
    lw = _get(state, prefix, "bilinear_btt_ln_PLPRXT.weight")
    lb = _get(state, prefix, "bilinear_btt_ln_PLPRXT.bias", False)
    Wv, bv = _get(state, prefix, "c_attn_v.weight"), _get(state, prefix, "c_attn_v.bias", False)
    Wo, bo = _get(state, prefix, "c_proj.weight"), _get(state, prefix, "c_proj.bias", False)
    if spec is None:
        spec = dict(kernel="btt", op="attention", arity=[d, c], out_arity=[b, a], state=s,
                    seq_len=seq_len, value_dim=Wv.shape[0] // heads, causal=causal,
                    scale=1.0 / C if muP_scaling else 1.0 / math.sqrt(C),
                    key_order="j1_major", key_norm="layernorm_affine",
                    dtype=_dtype_name(Wk), passes=["forward", "backward"])
    has_bias = bv is not None or bo is not None
    layer = modules.BilinearBTTAttention(heads, spec, bias=has_bias)
    with torch.no_grad():
        # W1[h][i1 = ic][i0 = id][j0 = jb][sig], W2[h][j0 = jb][i1 = ic][sig][j1 = ia]
        layer.W1.copy_(Wk.reshape(c, d, heads, b, s).permute(2, 0, 1, 3, 4))
        layer.W2.copy_(Wq.reshape(heads, b, a, c, s).permute(0, 1, 3, 4, 2))
        layer.ln_weight.copy_(lw.expand(heads, C))
        layer.ln_bias.copy_(lb.expand(heads, C) if lb is not None else torch.zeros(heads, C))
        layer.v.weight.copy_(Wv)
        layer.out.weight.copy_(Wo)
        if has_bias:
            layer.v.bias.copy_(bv if bv is not None else torch.zeros_like(layer.v.bias))
            layer.out.bias.copy_(bo if bo is not None else torch.zeros_like(layer.out.bias))
    return layer
