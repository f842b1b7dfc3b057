"""The kernels the tests compile (tiny, odd shapes) and random inputs for them."""

import torch

import myogen
import myogen.torch as mt
import references as ref

BOTH = ["forward", "backward"]

MYO = {
    "myo_level_siso": dict(kernel="myo", arity=2, depth=2, state=2, share="level"),
    "myo_vertex_dense": dict(kernel="myo", arity=3, depth=2, state=2, share="vertex",
                             block="dense"),
    "myo_input_sym": dict(kernel="myo", arity=2, depth=2, state=3, share="input",
                          symmetric=True),
    "myo_level_none": dict(kernel="myo", arity=4, depth=1, state=2, readout="none",
                           symmetric=True),
}
MLR = {
    "mlr_t24": dict(kernel="mlr", seq_len=24, arity=2, depth=3, state=[2, 1, 1], value_dim=3),
    "mlr_levels": dict(kernel="mlr", seq_len=18, arity=3, depth=2, state=2, value_dim=5,
                       causal=False, normalize="levels", scale="inv_sqrt_rank"),
    # blocks instead of arity (the authors' mlr_block_size_list)
    "mlr_blocks": dict(kernel="mlr", seq_len=24, blocks=[24, 6, 3], depth=3, state=[2, 2, 1],
                       value_dim=4),
    # the authors' identity link: o = S v, no softmax
    "mlr_identity": dict(kernel="mlr", seq_len=20, arity=2, depth=3, state=[3, 2, 1],
                         value_dim=3, link="identity"),
}
BTT_MM = {"btt_mm": dict(kernel="btt", op="matmul", arity=[3, 2], out_arity=[2, 5], state=2)}
BTT_ATT = {"btt_att": dict(kernel="btt", op="attention", arity=[2, 3], out_arity=[3, 2],
                           state=2, seq_len=7, value_dim=3),
           # the authors' key index (BilinearBTTAttention): j1 n0 + j0
           "btt_att_j1": dict(kernel="btt", op="attention", arity=[3, 4], out_arity=[2, 6],
                              state=2, seq_len=9, value_dim=3, key_order="j1_major"),
           # LayerNorm with a weight and bias per head (and the authors' key order)
           "btt_att_ln": dict(kernel="btt", op="attention", arity=[2, 3], out_arity=[3, 2],
                              state=2, seq_len=8, value_dim=3, key_order="j1_major",
                              key_norm="layernorm_affine")}
ALL = dict(**MYO, **MLR, **BTT_MM, **BTT_ATT)
# larger shapes for the GPU kernels' tiling (test_cuda.py: several lane tiles,
# query/key tiles and key chunks, chain chunks, level-sum stages)
GPU = {
    "gpu_myo_vertex_k4": dict(kernel="myo", arity=4, depth=3, state=4, share="vertex"),
    "gpu_myo_level_k2d8": dict(kernel="myo", arity=2, depth=8, state=2, share="level"),
    "gpu_myo_chain": dict(kernel="myo", arity=1, depth=150, state=3, share="vertex"),
    # 16 states: the diag chain's siso work-groups of 8 channels x 16 states
    # with staged u/dy tiles; L 100: a partial last chunk
    "gpu_myo_chain_n16": dict(kernel="myo", arity=1, depth=99, state=16, share="vertex"),
    "gpu_myo_chain_input": dict(kernel="myo", arity=1, depth=40, state=16, share="input"),
    # siso with diag blocks over several lane tiles: arity 16 with 16 states
    # (the forward's exchange design), 5 states with parameters per batch
    # element
    "gpu_myo_vertex_k16_n16": dict(kernel="myo", arity=16, depth=2, state=16, share="vertex"),
    "gpu_myo_input_k3_n5": dict(kernel="myo", arity=3, depth=3, state=5, share="input"),
    "gpu_myo_k16_none": dict(kernel="myo", arity=16, depth=1, state=4, share="vertex",
                             readout="none"),
    # T 296, 297: the flash kernels split their walks into chunks (forward: key
    # tiles of 64; backward: tiles of 32 on tensor cores, of 32 or 64 else)
    "gpu_mlr_t296": dict(kernel="mlr", seq_len=296, arity=2, depth=4, state=[5, 3, 2, 1],
                         value_dim=7),
    "gpu_mlr_t297_nc": dict(kernel="mlr", seq_len=297, arity=3, depth=3, state=[4, 3, 2],
                            value_dim=9, causal=False),
    "gpu_mlr_pub256": dict(kernel="mlr", seq_len=256, arity=2, depth=8,
                           state=[32, 8, 6, 4, 4, 4, 4, 2], value_dim=64),
    # blocks of multiples of 16 (256 .. 16): on tensor cores the diagonal
    # tiles' levels run per pair of score fragments (lib/gpu_mma.lua scores)
    "gpu_mlr_b16": dict(kernel="mlr", seq_len=256, arity=2, depth=5, state=[16, 8, 6, 4, 2],
                        value_dim=24, normalize="shared", scale="inv_rank"),
    "gpu_btt_mm": dict(kernel="btt", op="matmul", arity=[8, 8], out_arity=[8, 8], state=4),
    "gpu_btt_att": dict(kernel="btt", op="attention", arity=[4, 4], out_arity=[4, 4],
                        state=2, seq_len=100, value_dim=5),
    # head dim 256: the flash tiles are loaded at the top of each step (no prefetch)
    "gpu_btt_att_d256": dict(kernel="btt", op="attention", arity=[16, 16], out_arity=[16, 16],
                             state=1, seq_len=40, value_dim=64),
}
SPECS = dict(ALL, **GPU)
def _kind(s):
    return "btt_" + s["op"] if s["kernel"] == "btt" else s["kernel"]


KIND = {c: _kind(s) for c, s in SPECS.items()}


def spec(case, dtype):
    name = "%s_%s" % (case, "f64" if dtype == torch.float64 else "f32")
    return dict(SPECS[case], name=name, dtype=name[-3:], passes=BOTH)


def kernel(case, dtype):
    return myogen.compile(spec(case, dtype))


def inputs(case, dtype, batch=2, channels=3, heads=2, seed=0, rows=5):
    """Positional tensor arguments of the public function (after spec)."""
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    s = SPECS[case]
    kind = KIND[case]
    if kind == "myo":
        k, d, n = s["arity"], s["depth"], s["state"]
        seq = k ** d if k > 1 else d + 1
        nv = sum(k ** l for l in range(d + 1)) if k > 1 else d + 1
        sets = d + 1 if s.get("share", "level") == "level" else nv
        lead = (batch,) if s.get("share") == "input" else ()
        dense = s.get("block") == "dense"
        blk = (n, n) if dense else (n,)
        shape = lead + (sets, channels) + blk
        # strictly diagonally dominant: A well above the coupling sums
        if dense:
            A = 4 * torch.eye(n, dtype=torch.float64) + 0.2 * rnd(*shape)
        else:
            A = 3 + rnd(*shape).abs()
        B, C = 0.4 * rnd(*shape), 0.4 * rnd(*shape)
        if s.get("symmetric"):
            C = None
        siso = s.get("readout", "siso") == "siso"
        u = rnd(batch, seq, channels) if siso else rnd(batch, seq, channels, n)
        Bin, Cout, D = (rnd(channels, n), rnd(channels, n), rnd(channels)) if siso else (None,) * 3
        args = (u, A, B, C, Bin, Cout, D)
    elif kind == "mlr":
        ranks = s["state"] if isinstance(s["state"], list) else [s["state"]] * s["depth"]
        T, R = s["seq_len"], sum(ranks)
        args = (rnd(batch, heads, T, R), rnd(batch, heads, T, R),
                rnd(batch, heads, T, s["value_dim"]))
    elif kind == "btt_matmul":
        (m0, m1), (n0, n1), r = s["arity"], s["out_arity"], s["state"]
        args = (rnd(rows, m0 * m1), 0.5 * rnd(m1, m0, n0, r), 0.5 * rnd(n0, m1, r, n1))
    else:
        (m0, m1), (n0, n1), r = s["arity"], s["out_arity"], s["state"]
        args = (rnd(batch, s["seq_len"], m0 * m1), 0.5 * rnd(heads, m1, m0, n0, r),
                0.5 * rnd(heads, n0, m1, r, n1), rnd(batch, heads, s["seq_len"], s["value_dim"]))
        if s.get("key_norm") == "layernorm_affine":  # ln_weight around 1, ln_bias
            args += (1 + 0.3 * rnd(heads, m0 * m1), 0.3 * rnd(heads, m0 * m1))
    return tuple(None if a is None else a.to(dtype) for a in args)


def call(case, spec_or_kernel, *args):
    """The public myogen.torch function of the case's kind."""
    fn = {"myo": mt.myo, "mlr": mt.mlr, "btt_matmul": mt.btt_matmul,
          "btt_attention": mt.btt_attention}[KIND[case]]
    return fn(spec_or_kernel, *args)


def reference(case, *args):
    s, kind = SPECS[case], KIND[case]
    if kind == "myo":
        return ref.myo(s, *args)
    if kind == "mlr":
        return ref.mlr(s, *args)[0]
    if kind == "btt_matmul":
        return ref.btt_matmul(*args)
    return ref.btt_attention(s, *args)[0]
