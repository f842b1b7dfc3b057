"""nn.Modules over the myogen operators (DESIGN.md 9).  Kernels compile once,
in __init__ (spec: a myogen.Kernel, a dict or a .lua path); a dict without
`name` gets a default one.  The module's dtype is the spec's."""

import math

import torch
from torch import nn

from .. import layouts
from . import dispatch, ops


def _kernel(spec, kind, default_name):
    if isinstance(spec, dict) and "name" not in spec:
        spec = dict(spec, name=default_name)
    kernel = dispatch.resolve(spec)
    if kernel.kind != kind:
        raise ValueError("%s needs a %s kernel, got %s (%s)" % (default_name, kind, kernel.name,
                                                               kernel.kind))
    return kernel


class MyoLayer(nn.Module):
    """A Myo tree-solve sequence mixer, u [batch][L][channels] -> y.

    Parameterization: the off-diagonal couplings B, C (and the off-diagonal
    entries of dense A) are free; every diagonal entry of A is

        sum of |entries| of the rest of its row in T_G  +  softplus(raw) + eps

    i.e. |rest of A's row| + |B_v row| + sum over children c of |C_c row|, so
    T_G is strictly row diagonally dominant for any parameter values: every
    pivot of the tree elimination stays nonzero and training cannot hit the
    kernel's status 2.  share "level" or "vertex", diag or dense blocks,
    readout "siso" (the usual layer) or "none" (u, y [batch][L][channels][N])."""

    def __init__(self, spec, channels, eps=1e-3):
        super().__init__()
        self.kernel = k = _kernel(spec, "myo", "myo_layer")
        m = k.macros
        if m["SHARE_INPUT"]:
            raise NotImplementedError("MyoLayer: share=\"input\" takes A, B, C from the input; "
                                      "call myogen.torch.myo with them")
        self.channels, self.eps = channels, eps
        self.arity, self.depth, self.state = m["ARITY"], m["DEPTH"], m["STATE"]
        self.dense, self.symmetric = bool(m["BLOCK_DENSE"]), bool(m["SYMMETRIC"])
        self.share_level = bool(m["SHARE_LEVEL"])
        shapes = layouts.myo_params(m, 0, channels)
        dtype = dispatch.torch_dtype(k)
        n = self.state
        g = lambda s, std: nn.Parameter(torch.randn(s, dtype=dtype) * std)
        self.raw_A = nn.Parameter(torch.zeros(shapes["A"], dtype=dtype))  # softplus(0) ~ 0.69
        self.B = g(shapes["B"], 0.5 / math.sqrt(n) if self.dense else 0.5)
        self.C = None if self.symmetric else g(shapes["C"], 0.5 / math.sqrt(n) if self.dense else 0.5)
        if m["READOUT_SISO"]:
            self.Bin, self.Cout = g((channels, n), 1.0), g((channels, n), 1.0 / math.sqrt(n))
            self.D = nn.Parameter(torch.ones(channels, dtype=dtype))
        else:
            self.Bin = self.Cout = self.D = None
        self.register_buffer("parent", self._parents(m), persistent=False)

    def _parents(self, m):
        """Parent parameter set of every set (-1 for the root), for the child sums."""
        if self.share_level:
            return torch.arange(-1, self.depth)
        k = self.arity
        if k == 1:
            return torch.arange(-1, m["VERTICES"] - 1)
        return torch.cat([torch.tensor([-1]), torch.arange(m["VERTICES"] - 1) // k])

    def _row_abs(self, M, transpose=False):
        if not self.dense:
            return M.abs()
        return (M.transpose(-1, -2) if transpose else M).abs().sum(-1)

    def coefficients(self):
        """(A, B, C) as the kernel receives them."""
        B = self.B
        C = B if self.symmetric else self.C
        # |B_v row|: the coupling to the parent (none at the root)
        up = self._row_abs(B)
        up = torch.cat([torch.zeros_like(up[:1]), up[1:]])
        # sum over the children c of |C_c row| (C_c = B_c^T when symmetric)
        child = self._row_abs(C, transpose=self.symmetric)[1:]
        if self.share_level:
            child = child * self.arity  # every vertex of level l has k children
        down = torch.zeros_like(up).index_add(0, self.parent[1:], child)
        margin = up + down + self.eps
        softplus = torch.nn.functional.softplus
        if not self.dense:
            return margin + softplus(self.raw_A), B, self.C
        eye = torch.eye(self.state, dtype=B.dtype, device=B.device)
        off = self.raw_A * (1 - eye)
        diag = margin + off.abs().sum(-1) + softplus(torch.diagonal(self.raw_A, 0, -2, -1))
        return off + torch.diag_embed(diag), B, self.C

    def forward(self, u):
        A, B, C = self.coefficients()
        return ops.myo_op(self.kernel.key, u, A, B, C, self.Bin, self.Cout, self.D)


def _btt_init(shape_w1, shape_w2, m0, m1, rank, dtype):
    """Cores whose product keeps unit variance: W1 contracts m0 inputs
    (var 1/m0), W2 contracts m1 * rank intermediates (var 1/(m1 rank))."""
    W1 = torch.randn(shape_w1, dtype=dtype) / math.sqrt(m0)
    W2 = torch.randn(shape_w2, dtype=dtype) / math.sqrt(m1 * rank)
    return nn.Parameter(W1), nn.Parameter(W2)


class BTTLinear(nn.Module):
    """y = x W (+ bias) with W the BTT matrix of a btt op="matmul" spec;
    x [..., d_in] -> y [..., d_out].  Cores W1 [m1][m0][n0][s], W2 [n0][m1][s][n1]."""

    def __init__(self, spec, bias=True):
        super().__init__()
        self.kernel = k = _kernel(spec, "btt_matmul", "btt_linear")
        m = k.macros
        self.in_features, self.out_features = m["D_IN"], m["D_OUT"]
        shapes = k.shapes(n=1)
        dtype = dispatch.torch_dtype(k)
        self.W1, self.W2 = _btt_init(shapes["W1"], shapes["W2"], m["M0"], m["M1"], m["RANK"], dtype)
        self.bias = nn.Parameter(torch.zeros(m["D_OUT"], dtype=dtype)) if bias else None

    def forward(self, x):
        y = ops.btt_matmul(self.kernel, x, self.W1, self.W2)
        return y if self.bias is None else y + self.bias

    @classmethod
    def from_authors_state_dict(cls, state, prefix="", normalize=False, spec=None):
        """compute-better-spent's BTT layer (myogen.torch.authors.btt_linear)."""
        from . import authors
        return authors.btt_linear(state, prefix, normalize, spec)


class MLRAttention(nn.Module):
    """Multi-head MLR attention, x [batch][T][dim] -> [batch][T][dim], as the
    authors' AttentionMLR: q, k, v and output projections are ordinary
    Linear layers outside the kernel; the kernel (spec: kernel="mlr", T,
    levels, ranks -> head dim R, value_dim dv) mixes each head.  qk_norm: a
    LayerNorm of every head's q and k (over its R dims, shared by the heads),
    as the authors' do_qk_ln."""

    def __init__(self, dim, heads, spec, bias=False, qk_norm=False):
        super().__init__()
        self.kernel = k = _kernel(spec, "mlr", "mlr_attention")
        m = k.macros
        self.heads, self.seq_len = heads, m["SEQ_LEN"]
        self.rank, self.value_dim = m["RANK"], m["VALUE_DIM"]
        dtype = dispatch.torch_dtype(k)
        self.qk = nn.Linear(dim, 2 * heads * self.rank, bias=bias, dtype=dtype)
        self.v = nn.Linear(dim, heads * self.value_dim, bias=bias, dtype=dtype)
        self.out = nn.Linear(heads * self.value_dim, dim, bias=bias, dtype=dtype)
        self.q_norm = self.k_norm = None
        if qk_norm:
            self.q_norm = nn.LayerNorm(self.rank, eps=1e-5, dtype=dtype)
            self.k_norm = nn.LayerNorm(self.rank, eps=1e-5, dtype=dtype)

    @classmethod
    def from_authors_state_dict(cls, state, heads, ranks, blocks=None, prefix="", causal=True,
                                normalize="shared", link="softmax", spec=None):
        """structured-attention's AttentionMLR (myogen.torch.authors.mlr_attention)."""
        from . import authors
        return authors.mlr_attention(state, heads, ranks, blocks, prefix, causal, normalize, link,
                                     spec)

    def forward(self, x):
        b, t, _ = x.shape
        if t != self.seq_len:
            raise ValueError("MLRAttention: sequence length %d, the kernel's is %d" % (t, self.seq_len))
        q, k = self.qk(x).view(b, t, 2, self.heads, self.rank).permute(2, 0, 3, 1, 4)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        v = self.v(x).view(b, t, self.heads, self.value_dim).transpose(1, 2)
        o = ops.mlr(self.kernel, q, k, v)  # [b][heads][t][dv]
        return self.out(o.transpose(1, 2).reshape(b, t, self.heads * self.value_dim))


class BilinearBTTAttention(nn.Module):
    """Bilinear BTT attention, x [batch][T][D] -> [batch][T][D]: keys
    LayerNorm(W_h x) from per-head BTT cores inside the kernel, values and the
    output projection as Linear layers outside it (spec: btt op="attention")."""

    def __init__(self, heads, spec, bias=False):
        super().__init__()
        self.kernel = k = _kernel(spec, "btt_attention", "btt_attention")
        m = k.macros
        self.heads, self.dim, self.value_dim = heads, m["D_IN"], m["VALUE_DIM"]
        shapes = k.shapes(heads=heads)
        dtype = dispatch.torch_dtype(k)
        self.W1, self.W2 = _btt_init(shapes["W1"], shapes["W2"], m["M0"], m["M1"], m["RANK"], dtype)
        # key_norm "layernorm_affine": the keys' LayerNorm weight and bias per head
        self.ln_weight = self.ln_bias = None
        if m.get("KEY_NORM_AFFINE"):
            self.ln_weight = nn.Parameter(torch.ones(heads, self.dim, dtype=dtype))
            self.ln_bias = nn.Parameter(torch.zeros(heads, self.dim, dtype=dtype))
        self.v = nn.Linear(self.dim, heads * self.value_dim, bias=bias, dtype=dtype)
        self.out = nn.Linear(heads * self.value_dim, self.dim, bias=bias, dtype=dtype)

    def forward(self, x):
        b, t, _ = x.shape
        v = self.v(x).view(b, t, self.heads, self.value_dim).transpose(1, 2)
        o = ops.btt_attention(self.kernel, x, self.W1, self.W2, v, self.ln_weight, self.ln_bias)
        return self.out(o.transpose(1, 2).reshape(b, t, self.heads * self.value_dim))

    @classmethod
    def from_authors_state_dict(cls, state, heads, rank, seq_len, prefix="", causal=True,
                                muP_scaling=False, spec=None):
        """structured-attention's BilinearBTTAttention
        (myogen.torch.authors.bilinear_btt_attention)."""
        from . import authors
        return authors.bilinear_btt_attention(state, heads, rank, seq_len, prefix, causal,
                                              muP_scaling, spec)
