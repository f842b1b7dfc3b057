"""Independent references written from DESIGN.md 6 formulas, dense and
explicit, in torch (differentiable: their gradients are the backward's reference)."""

import math

import torch


# ---- myo: assemble T_G and solve ---------------------------------------------
def tree(arity, depth):
    """[(level, index, parent vertex or None)] in level order (arity >= 2)."""
    verts, first = [], {}
    for level in range(depth + 1):
        first[level] = len(verts)
        for i in range(arity ** level):
            parent = None if level == 0 else first[level - 1] + i // arity
            verts.append((level, i, parent))
    return verts


def myo(spec, u, A, B, C=None, Bin=None, Cout=None, D=None):
    k, d, n = spec["arity"], spec["depth"], spec["state"]
    share = spec.get("share", "level")
    dense = spec.get("block", "diag") == "dense"
    siso = spec.get("readout", "siso") == "siso"
    symmetric = spec.get("symmetric", False)
    verts = tree(k, d)
    nv, seq = len(verts), k ** d
    leaf0 = nv - seq
    batch, channels = u.shape[0], u.shape[2]
    ys = []
    for b in range(batch):
        per_channel = []
        for h in range(channels):
            def block(P, v):
                level = verts[v][0]
                s = level if share == "level" else v
                m = P[b, s, h] if share == "input" else P[s, h]
                return m if dense else torch.diag(m)
            T = u.new_zeros(nv * n, nv * n)
            for v, (level, i, parent) in enumerate(verts):
                T[v * n:(v + 1) * n, v * n:(v + 1) * n] = block(A, v)
                if parent is not None:
                    Bv = block(B, v)
                    Cv = Bv.T if symmetric else block(C, v)
                    T[v * n:(v + 1) * n, parent * n:(parent + 1) * n] = Bv
                    T[parent * n:(parent + 1) * n, v * n:(v + 1) * n] = Cv
            e = u.new_zeros(nv, n)
            if siso:
                e[leaf0:] = u[b, :, h, None] * Bin[h]
            else:
                e[leaf0:] = u[b, :, h, :]
            x = torch.linalg.solve(T, e.reshape(-1)).reshape(nv, n)[leaf0:]
            per_channel.append(x @ Cout[h] + D[h] * u[b, :, h] if siso else x)
        ys.append(torch.stack(per_channel, 1))
    return torch.stack(ys)


# ---- mlr: explicit T x T scores with the level masks ---------------------------
def mlr(spec, q, k, v):
    T, arity, levels = spec["seq_len"], spec.get("arity", 2), spec["depth"]
    blocks = spec.get("blocks") or [T // arity ** l for l in range(levels)]
    ranks = spec["state"] if isinstance(spec["state"], list) else [spec["state"]] * levels
    scale = spec.get("scale", "inv_rank")
    norm = spec.get("normalize", "shared")
    pos = torch.arange(T)
    S = q.new_zeros(q.shape[:2] + (T, T))
    shared = torch.zeros(T, T)
    off = 0
    for l in range(levels):
        size = blocks[l]
        same = (pos[:, None] // size == pos[None, :] // size).to(q.dtype)
        s = 1.0 / ranks[l] if scale == "inv_rank" else 1.0 / math.sqrt(ranks[l])
        sl = slice(off, off + ranks[l])
        S = S + same * s * (q[..., sl] @ k[..., sl].transpose(-1, -2))
        shared = shared + same
        off += ranks[l]
    if norm == "shared":
        S = S / shared.to(q.dtype)
    elif norm == "levels":
        S = S / levels
    if spec.get("link") == "identity":  # o = S v over the unmasked pairs, no lse
        if spec.get("causal", True):
            S = S.masked_fill(pos[None, :] > pos[:, None], 0.0)
        return S @ v, None
    if spec.get("causal", True):
        S = S.masked_fill(pos[None, :] > pos[:, None], float("-inf"))
    lse = torch.logsumexp(S, -1)
    return torch.softmax(S, -1) @ v, lse


# ---- btt: the dense matrix from the cores --------------------------------------
def btt_dense(W1, W2):
    """W [d_in][d_out]: W[i1*m0+i0, j0*n1+j1] = sum_s W1[i1,i0,j0,s] W2[j0,i1,s,j1]."""
    m1, m0, n0, _ = W1.shape
    n1 = W2.shape[-1]
    return torch.einsum("abcs,cash->abch", W1, W2).reshape(m1 * m0, n0 * n1)


def btt_matmul(x, W1, W2):
    return x @ btt_dense(W1, W2)


def btt_attention(spec, x, W1, W2, v, ln_weight=None, ln_bias=None):
    D = x.shape[-1]
    scale = spec.get("scale", 1.0 / math.sqrt(D))
    T = x.shape[1]
    outs, lses = [], []
    n0, n1 = W2.shape[1], W2.shape[-1]
    for h in range(W1.shape[0]):
        y = x @ btt_dense(W1[h], W2[h])  # [..][j0 n1 + j1]
        if spec.get("key_order") == "j1_major":  # key index j1 n0 + j0
            y = y.unflatten(-1, (n0, n1)).transpose(-1, -2).flatten(-2)
        keys = torch.nn.functional.layer_norm(
            y, (D,), None if ln_weight is None else ln_weight[h],
            None if ln_bias is None else ln_bias[h], eps=1e-5)
        S = scale * x @ keys.transpose(-1, -2)
        if spec.get("causal", True):
            pos = torch.arange(T)
            S = S.masked_fill(pos[None, :] > pos[:, None], float("-inf"))
        lses.append(torch.logsumexp(S, -1))
        outs.append(torch.softmax(S, -1) @ v[:, h])
    return torch.stack(outs, 1), torch.stack(lses, 1)
