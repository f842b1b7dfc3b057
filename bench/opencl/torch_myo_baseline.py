#!/usr/bin/env python3
"""PyTorch eager baseline for the Myosotis tree solve ("myo") benchmark.

Runs the same solves as the generated kernels of bench/opencl/opencl_bench.c
in plain PyTorch eager mode, times them and writes a TSV that opencl_bench
reads (-t FILE) to print its "ratio to PyTorch" column.

    python3 bench/opencl/torch_myo_baseline.py                # check, then time all
    python3 bench/opencl/torch_myo_baseline.py --check-only   # correctness only
    python3 bench/opencl/torch_myo_baseline.py --device cpu --shapes small \\
            --kernels level --reps 2

The model: a complete k-ary tree (levels 0..d, leaves = positions; k = 1 is
the chain, where every vertex is a position), per (batch element, channel)
the block system  A_v x_v + B_v x_parent(v) + sum_children C_c x_c = e_v,
solved by block Gaussian elimination (upward S_v, m_v, then downward x_v).
Readout "siso": e = Bin * u at the leaves, y = Cout . x_leaf + D * u;
readout "none": e = u at the leaves, y = x_leaf.

What is timed (f32, arity 4, depth 6 (L = 4096), N = 16 unless stated; shapes
batch 4 x 256 channels ("small") and batch 16 x 2048 ("big")):
  level_k4    share level, siso, diag: the eager level-sum form (per-level
              weights from a solve along one root-to-leaf path, then one pass
              of nested block sums)
  vertex_k4   share vertex, siso, diag: the per-level eager tree solve
  none_k4     share level, readout none, diag: the per-level tree solve
  dense_k4    share vertex, siso, dense N = 4: the per-level tree solve
  vertex_k16  share vertex, siso, diag, arity 16, depth 3
  chain       arity 1, depth 4095 (L = 4096), share vertex, siso, diag: a
              Python loop over positions (Thomas algorithm), 3 timed calls at
              most; skipped at a shape where one forward takes over 20 s
"forward" is the median of --reps calls under torch.no_grad() (no autograd
graph is recorded, as in an inference call), after 2 warm-up calls.
"backward" is the median of --reps calls of
torch.autograd.grad(y, [u] + parameters, dy, retain_graph=True) alone, on the
graph of one forward made with autograd on (the forward is not in it).
GPU times come from torch.cuda.Event pairs, CPU times from perf_counter.
The copy bandwidth is the median time of dst.copy_(src) of a 1 GiB f32 tensor,
counting 2 x 1 GiB (read + write).

Before timing (unless --no-check) every variant is checked on tiny shapes in
float64 against a dense reference: the full (|V| N) x (|V| N) matrix of each
channel solved with torch.linalg.solve, forward and autograd gradients of
sum(dy * y); the script exits 1 if any relative difference exceeds 1e-9.

Output: a table on stdout and the TSV --out (default
bench/opencl/results/torch_baseline.tsv): a header line
"# torch <version>, <device name>, copy <GB/s> GB/s", then one line per row:
kernel<TAB>batch<TAB>channels<TAB>pass<TAB>ms with pass forward or backward.
"""

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time

import torch

SHAPES = {"small": [(4, 256)], "big": [(16, 2048)], "all": [(4, 256), (16, 2048)]}
CHECK_TOL = 1e-9
CHAIN_REPS = 3
MAX_FORWARD_S = 20.0
WARMUPS = 2


# ----------------------------------------------------------------------------
# Problem description


@dataclasses.dataclass(frozen=True)
class Config:
    """One layer: tree shape, parameter sharing, readout, block type, method."""

    k: int  # arity; 1 = chain
    d: int  # depth (levels 0..d)
    n: int  # states per vertex
    share: str = "vertex"  # "level" or "vertex"
    readout: str = "siso"  # "siso" or "none"
    block: str = "diag"  # "diag" or "dense"
    symmetric: bool = False  # C_v = B_v^T
    method: str = "tree"  # "tree", "levelsum" or "chain"

    def level_size(self, level):
        return self.k**level

    def level_offset(self, level):
        """Level-order number of the first vertex of `level`."""
        return sum(self.level_size(j) for j in range(level))

    @property
    def num_vertices(self):
        return self.level_offset(self.d + 1)

    @property
    def length(self):
        """L: the number of positions (leaves; every vertex for the chain)."""
        return self.d + 1 if self.k == 1 else self.k**self.d

    @property
    def num_param_sets(self):
        return self.d + 1 if self.share == "level" else self.num_vertices

    def describe(self):
        sym = " sym" if self.symmetric else ""
        return (f"k={self.k} d={self.d} N={self.n} {self.share} {self.readout} "
                f"{self.block}{sym} {self.method}")


KERNELS = {
    "level_k4": Config(4, 6, 16, share="level", method="levelsum"),
    "vertex_k4": Config(4, 6, 16),
    "none_k4": Config(4, 6, 16, share="level", readout="none"),
    "dense_k4": Config(4, 6, 4, block="dense"),
    "vertex_k16": Config(16, 3, 16),
    "chain": Config(1, 4095, 16, method="chain"),
}


# ----------------------------------------------------------------------------
# Block algebra: diag blocks are N-vectors acting elementwise, dense blocks are
# N x N matrices (row = equation).  Leading axes broadcast.


def b_inv(cfg, s):
    return 1.0 / s if cfg.block == "diag" else torch.linalg.inv(s)


def b_mm(cfg, x, y):
    return x * y if cfg.block == "diag" else torch.matmul(x, y)


def b_mv(cfg, x, v):
    if cfg.block == "diag":
        return x * v
    return torch.matmul(x, v.unsqueeze(-1)).squeeze(-1)


def b_t(cfg, x):
    return x if cfg.block == "diag" else x.transpose(-1, -2)


def b_dense(cfg, x):
    """The block as an N x N matrix (for the dense reference)."""
    return torch.diag_embed(x) if cfg.block == "diag" else x


# ----------------------------------------------------------------------------
# Data


def make_problem(cfg, batch, channels, device, dtype, seed=1):
    """Random parameters (A strictly diagonally dominant) and input u.

    Returns (params, u): params maps name -> leaf tensor with requires_grad;
    C is absent when cfg.symmetric (it is B^T); Bin, Cout, D only for siso."""
    gen = torch.Generator(device=device).manual_seed(seed)

    def rand(*shape):
        return torch.rand(*shape, generator=gen, device=device, dtype=dtype)

    p, ch, n = cfg.num_param_sets, channels, cfg.n
    # Off-diagonal entries are at most 0.15 * scale in magnitude, so the
    # off-diagonal of one equation's row sums to < 0.15 (k + 2) <= 2.7 < 4
    # <= its diagonal (k <= 16): strict diagonal dominance, stable elimination.
    if cfg.block == "diag":
        shape, scale = (p, ch, n), 1.0
        a = 4.0 + rand(*shape)
    else:
        shape, scale = (p, ch, n, n), 1.0 / n
        off = (0.3 * rand(*shape) - 0.15) * scale
        eye = torch.eye(n, device=device, dtype=dtype)
        a = off * (1 - eye) + torch.diag_embed(4.0 + rand(p, ch, n))
    params = {"A": a, "B": (0.3 * rand(*shape) - 0.15) * scale}
    if not cfg.symmetric:
        params["C"] = (0.3 * rand(*shape) - 0.15) * scale
    if cfg.readout == "siso":
        params["Bin"] = rand(ch, n) - 0.5
        params["Cout"] = rand(ch, n) - 0.5
        params["D"] = rand(ch) - 0.5
        u_shape = (batch, cfg.length, ch)
    else:
        u_shape = (batch, cfg.length, ch, n)
    u = torch.randn(*u_shape, generator=gen, device=device, dtype=dtype)
    for t in params.values():
        t.requires_grad_(True)
    u.requires_grad_(True)
    return params, u


def coupling_c(cfg, params):
    """C, or B^T for a symmetric layer."""
    return b_t(cfg, params["B"]) if cfg.symmetric else params["C"]


def per_level(cfg, t):
    """t's parameter sets by level: [1, ...] (share level) or [k^l, ...] each.

    One split (not a slice per level) so that autograd gathers the gradient
    with one copy instead of a full-size zero tensor per level."""
    if cfg.share == "level":
        return [x.unsqueeze(0) for x in t.unbind(0)]
    return list(t.split([cfg.level_size(level) for level in range(cfg.d + 1)]))


# ----------------------------------------------------------------------------
# Readout


def leaf_rhs(cfg, params, u):
    """e at the positions: [batch, L, channels, N]."""
    if cfg.readout == "siso":
        return params["Bin"] * u.unsqueeze(-1)
    return u


def readout(cfg, params, u, x):
    """y from the states at the positions x: [batch, L, channels, N]."""
    if cfg.readout == "siso":
        return (x * params["Cout"]).sum(-1) + params["D"] * u
    return x


# ----------------------------------------------------------------------------
# Per-level tree solve (k >= 2)


def split_children(t, k, dim):
    """View the vertex axis `dim` of a level as (parent, child j).

    A shared parameter set (axis of size 1) becomes (1, 1) and broadcasts."""
    n = t.shape[dim]
    groups = (n // k, k) if n > 1 else (1, 1)
    return t.reshape(t.shape[:dim] + groups + t.shape[dim + 1:])


def sum_children(t, k):
    """Sum a per-vertex parameter quantity over the k children of each parent."""
    if t.shape[0] == 1:  # shared by all vertices of the level: k equal terms
        return k * t
    return split_children(t, k, 0).sum(1)


def tree_solve(cfg, params, e):
    """x at the leaves for e at the leaves ([batch, k^d, channels, N]).

    Vectorized over batch, vertices of a level, channels and states; one
    Python step per level and sweep."""
    k = cfg.k
    a = per_level(cfg, params["A"])
    b = per_level(cfg, params["B"])
    c = per_level(cfg, coupling_c(cfg, params))
    s, m = a[cfg.d], e  # leaves: S = A, m = e
    saved = []  # per child level, for the downward sweep: (S^-1, S^-1 B, m)
    for level in range(cfg.d - 1, -1, -1):
        g = b_inv(cfg, s)
        cg = b_mm(cfg, c[level + 1], g)
        saved.append((g, b_mm(cfg, g, b[level + 1]), m))
        s = a[level] - sum_children(b_mm(cfg, cg, b[level + 1]), k)
        # e = 0 at internal vertices
        m = -b_mv(cfg, split_children(cg, k, 0), split_children(m, k, 1)).sum(2)
    x = b_mv(cfg, b_inv(cfg, s), m)  # root
    for g, gb, m in reversed(saved):
        x_parent = x.unsqueeze(2)  # [batch, parents, 1, channels, N]
        x = (b_mv(cfg, split_children(g, k, 0), split_children(m, k, 1))
             - b_mv(cfg, split_children(gb, k, 0), x_parent))
        x = x.flatten(1, 2)
    return x


# ----------------------------------------------------------------------------
# Chain (k = 1): the Thomas algorithm, a Python loop over positions


def chain_solve(cfg, params, e):
    """x at every position for e at every position ([batch, L, channels, N]).

    unbind, not indexing per step: autograd then gathers each gradient with
    one stack instead of a full-size zero tensor per position (O(L^2))."""
    a, b, c = (t.unbind(0) for t in (params["A"], params["B"], coupling_c(cfg, params)))
    e = e.unbind(1)
    last = cfg.d
    s, m = a[last], e[last]
    saved = []  # per position l+1: (S^-1, S^-1 B, m)
    for pos in range(last - 1, -1, -1):
        g = b_inv(cfg, s)
        cg = b_mm(cfg, c[pos + 1], g)
        saved.append((g, b_mm(cfg, g, b[pos + 1]), m))
        s = a[pos] - b_mm(cfg, cg, b[pos + 1])
        m = e[pos] - b_mv(cfg, cg, m)
    x = b_mv(cfg, b_inv(cfg, s), m)
    xs = [x]
    for g, gb, m in reversed(saved):
        x = b_mv(cfg, g, m) - b_mv(cfg, gb, x)
        xs.append(x)
    return torch.stack(xs, 1)


# ----------------------------------------------------------------------------
# Level-sum form (share level, siso, k >= 2)


def level_sum_weights(cfg, params):
    """g_0..g_d per channel ([d+1, channels]) of the level-sum form.

    w_l, the response at leaf s to a unit input at leaf t with LCA at level l,
    is Cout^T M_d ... M_{l+1} x_l, where x_l is the state of t's level-l
    ancestor (a solve along the root-to-t path) and M_j = -S_j^-1 B_j carries
    a parent's state to an off-path child (m = 0 there).  The row vectors
    r_{l+1} = Cout^T M_d ... M_{l+1} come from one backward recurrence."""
    d, k = cfg.d, cfg.k
    a, b, c = (t.unbind(0) for t in (params["A"], params["B"], coupling_c(cfg, params)))
    s = [None] * (d + 1)
    g = [None] * (d + 1)
    m = [None] * (d + 1)
    s[d], m[d] = a[d], params["Bin"]  # unit input at the leaf t
    for level in range(d, -1, -1):
        g[level] = b_inv(cfg, s[level])
        if level == 0:
            break
        cg = b_mm(cfg, c[level], g[level])
        s[level - 1] = a[level - 1] - k * b_mm(cfg, cg, b[level])
        m[level - 1] = -b_mv(cfg, cg, m[level])
    x = b_mv(cfg, g[0], m[0])
    path = [x]  # states on the path, levels 0..d
    for level in range(1, d + 1):
        x = b_mv(cfg, g[level], m[level] - b_mv(cfg, b[level], x))
        path.append(x)
    r = params["Cout"]
    w = [None] * (d + 1)
    w[d] = (r * path[d]).sum(-1)
    for level in range(d - 1, -1, -1):
        # r <- M_{l+1}^T r, M = -S^-1 B
        r = -b_mv(cfg, b_t(cfg, b_mm(cfg, g[level + 1], b[level + 1])), r)
        w[level] = (r * path[level]).sum(-1)
    w = torch.stack(w)
    return torch.cat([w[:1], w[1:] - w[:-1]])


def level_sum_forward(cfg, params, u):
    """y = sum_{l<d} g_l (sum of u over the level-l subtree) + (g_d + D) u.

    Nested block sums upward (each level 1/k the size of the one below), then
    the weighted sums spread back down one level at a time."""
    k, d = cfg.k, cfg.d
    gw = level_sum_weights(cfg, params)
    batch, length, channels = u.shape
    sums = [u]  # sums[j]: subtree sums at level d - j, [batch, k^(d-j), channels]
    for _ in range(d):
        prev = sums[-1]
        sums.append(prev.reshape(batch, prev.shape[1] // k, k, channels).sum(2))
    acc = gw[0] * sums[d]
    for level in range(1, d):
        acc = acc.repeat_interleave(k, dim=1) + gw[level] * sums[d - level]
    return acc.repeat_interleave(k, dim=1) + (gw[d] + params["D"]) * u


# ----------------------------------------------------------------------------
# Forward dispatch


def forward(cfg, params, u):
    if cfg.method == "levelsum":
        return level_sum_forward(cfg, params, u)
    solve = chain_solve if cfg.method == "chain" else tree_solve
    x = solve(cfg, params, leaf_rhs(cfg, params, u))
    return readout(cfg, params, u, x)


# ----------------------------------------------------------------------------
# Dense reference and check


def assemble_matrix(cfg, params, channels):
    """T_G per channel: [channels, |V| N, |V| N], row block v = equation v."""
    nv, n = cfg.num_vertices, cfg.n
    a, b = params["A"], params["B"]
    t = torch.zeros(channels, nv, n, nv, n, dtype=a.dtype, device=a.device)
    for level in range(cfg.d + 1):
        for i in range(cfg.level_size(level)):
            v = cfg.level_offset(level) + i
            pv = level if cfg.share == "level" else v
            t[:, v, :, v, :] = b_dense(cfg, a[pv])
            if level > 0:
                parent = cfg.level_offset(level - 1) + i // cfg.k
                t[:, v, :, parent, :] = b_dense(cfg, b[pv])
            if level < cfg.d:
                for j in range(cfg.k):
                    ci = cfg.k * i + j
                    child = cfg.level_offset(level + 1) + ci
                    pc = level + 1 if cfg.share == "level" else child
                    if cfg.symmetric:
                        block = b_dense(cfg, b[pc]).transpose(-1, -2)
                    else:
                        block = b_dense(cfg, params["C"][pc])
                    t[:, v, :, child, :] = block
    return t.reshape(channels, nv * n, nv * n)


def dense_reference(cfg, params, u):
    """y by one dense solve per channel (all batch elements as right sides).

    Written apart from the solvers (own right side and readout) so that the
    check does not share their code."""
    batch, length, channels = u.shape[:3]
    nv, n = cfg.num_vertices, cfg.n
    if cfg.readout == "siso":
        e_leaf = torch.einsum("hn,bth->htnb", params["Bin"], u)
    else:
        e_leaf = torch.einsum("bthn->htnb", u)
    e_internal = e_leaf.new_zeros(channels, nv - length, n, batch)
    e = torch.cat([e_internal, e_leaf], 1).reshape(channels, nv * n, batch)
    x = torch.linalg.solve(assemble_matrix(cfg, params, channels), e)
    x_leaf = x.reshape(channels, nv, n, batch)[:, nv - length:]  # [h, t, n, b]
    if cfg.readout == "siso":
        return (torch.einsum("hn,htnb->bth", params["Cout"], x_leaf)
                + params["D"] * u)
    return torch.einsum("htnb->bthn", x_leaf)


def rel_err(x, ref):
    scale = ref.abs().max().clamp_min(1e-300)
    return ((x - ref).abs().max() / scale).item()


def check_one(cfg, device):
    """(forward error, backward error) of cfg against the dense reference."""
    params, u = make_problem(cfg, 2, 3, device, torch.float64, seed=7)
    leaves = [u] + list(params.values())
    y = forward(cfg, params, u)
    y_ref = dense_reference(cfg, params, u)
    dy = torch.randn(y.shape, dtype=y.dtype, device=device,
                     generator=torch.Generator(device=device).manual_seed(3))
    grads = torch.autograd.grad((dy * y).sum(), leaves)
    grads_ref = torch.autograd.grad((dy * y_ref).sum(), leaves)
    err_bwd = max(rel_err(g, r) for g, r in zip(grads, grads_ref))
    return rel_err(y, y_ref), err_bwd


def check_configs():
    """The tiny configurations of the check: every option of every method."""
    configs = []
    for k, d, n in [(2, 3, 2), (3, 2, 3)]:
        for share in ("level", "vertex"):
            for readout_ in ("siso", "none"):
                for block in ("diag", "dense"):
                    for sym in (False, True):
                        base = Config(k, d, n, share, readout_, block, sym)
                        configs.append(base)
                        if share == "level" and readout_ == "siso":
                            configs.append(dataclasses.replace(base, method="levelsum"))
    for readout_ in ("siso", "none"):
        for block in ("diag", "dense"):
            for sym in (False, True):
                configs.append(Config(1, 4, 2, "vertex", readout_, block, sym, "chain"))
    return configs


def run_check(device):
    """Check every configuration; True when all pass."""
    failures, worst_fwd, worst_bwd = 0, 0.0, 0.0
    configs = check_configs()
    for cfg in configs:
        err_fwd, err_bwd = check_one(cfg, device)
        worst_fwd, worst_bwd = max(worst_fwd, err_fwd), max(worst_bwd, err_bwd)
        if not (err_fwd <= CHECK_TOL and err_bwd <= CHECK_TOL):
            failures += 1
            print(f"FAIL {cfg.describe()}: forward {err_fwd:.2e}, backward {err_bwd:.2e}")
    verdict = "FAIL" if failures else "PASS"
    print(f"check: {verdict}, {len(configs) - failures}/{len(configs)} configurations "
          f"within {CHECK_TOL:g} of the dense solve (float64, {device}); worst "
          f"relative error: forward {worst_fwd:.1e}, backward {worst_bwd:.1e}")
    return failures == 0


# ----------------------------------------------------------------------------
# Timing


class Timer:
    """Milliseconds of one call: CUDA events on a GPU, perf_counter on a CPU."""

    def __init__(self, device):
        self.cuda = torch.device(device).type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def __call__(self, fn):
        if self.cuda:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3

    def median(self, fn, reps, warmups=WARMUPS):
        for _ in range(warmups):
            fn()
        self.sync()
        return statistics.median(self(fn) for _ in range(reps))


def copy_bandwidth(device, timer, reps, mib):
    """GB/s of dst.copy_(src) on f32 tensors of `mib` MiB (read + write)."""
    numel = mib * 2**20 // 4
    src = torch.ones(numel, device=device)
    dst = torch.empty_like(src)
    ms = timer.median(lambda: dst.copy_(src), reps)
    return 2 * numel * 4 / (ms * 1e-3) / 1e9


class TooSlow(Exception):
    """One forward call took longer than MAX_FORWARD_S seconds."""


def time_forward(cfg, params, u, timer, reps):
    """Median forward ms; the first warm-up call raises TooSlow if too long."""
    with torch.no_grad():
        timer.sync()
        t0 = time.perf_counter()
        forward(cfg, params, u)
        timer.sync()
        first_s = time.perf_counter() - t0
        if first_s > MAX_FORWARD_S:
            raise TooSlow(f"one forward took {first_s:.1f} s > {MAX_FORWARD_S:g} s")
        return timer.median(lambda: forward(cfg, params, u), reps, WARMUPS - 1)


def time_backward(cfg, params, u, timer, reps):
    """Median ms of autograd.grad alone on one retained forward graph."""
    leaves = [u] + list(params.values())
    y = forward(cfg, params, u)
    dy = torch.randn_like(y)
    return timer.median(
        lambda: torch.autograd.grad(y, leaves, dy, retain_graph=True), reps)


def bench_kernel(name, cfg, batch, channels, device, timer, reps):
    """[(pass, ms)] of one kernel at one shape; passes that fail are left out."""
    if cfg.method == "chain":
        reps = min(reps, CHAIN_REPS)
    rows = []
    try:
        params, u = make_problem(cfg, batch, channels, device, torch.float32)
        rows.append(("forward", time_forward(cfg, params, u, timer, reps)))
        rows.append(("backward", time_backward(cfg, params, u, timer, reps)))
    except TooSlow as exc:
        print(f"  {name} {batch}x{channels}: skipped, {exc}")
    except torch.cuda.OutOfMemoryError as exc:
        print(f"  {name} {batch}x{channels}: out of memory, row skipped: "
              f"{str(exc).splitlines()[0]}")
    return rows


def device_name(device):
    if torch.device(device).type == "cuda":
        return torch.cuda.get_device_name(torch.device(device))
    return platform.processor() or platform.machine() or "cpu"


def write_tsv(path, header, rows):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(header + "\n")
        for kernel, batch, channels, pass_, ms in rows:
            f.write(f"{kernel}\t{batch}\t{channels}\t{pass_}\t{ms:.4f}\n")


def run_timing(args):
    timer = Timer(args.device)
    gbs = copy_bandwidth(args.device, timer, args.reps, args.copy_mib)
    header = (f"# torch {torch.__version__}, {device_name(args.device)}, "
              f"copy {gbs:.1f} GB/s")
    print(header[2:])
    print(f"\n{'kernel':<12}{'batch':>6}{'channels':>10}{'forward ms':>13}"
          f"{'backward ms':>13}")
    rows = []
    for batch, channels in SHAPES[args.shapes]:
        for name, cfg in KERNELS.items():
            if args.kernels not in name:
                continue
            got = dict(bench_kernel(name, cfg, batch, channels, args.device,
                                    timer, args.reps))
            if args.device.startswith("cuda"):
                torch.cuda.empty_cache()  # free this kernel's pool for the next
            if not got:
                continue
            cells = "".join(f"{got[p]:>13.3f}" if p in got else f"{'-':>13}"
                            for p in ("forward", "backward"))
            print(f"{name:<12}{batch:>6}{channels:>10}{cells}", flush=True)
            rows += [(name, batch, channels, p, ms) for p, ms in got.items()]
    write_tsv(args.out, header, rows)
    print(f"\nwrote {args.out}")


# ----------------------------------------------------------------------------


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description="PyTorch eager baseline of the myo tree solve "
                    "(see the module docstring)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                    help="cuda or cpu (default: cuda if available)")
    ap.add_argument("--shapes", choices=sorted(SHAPES), default="all",
                    help="small = batch 4 x 256 channels, big = 16 x 2048")
    ap.add_argument("--kernels", default="",
                    help="only kernels whose name contains this substring")
    ap.add_argument("--reps", type=int, default=10, help="timed calls (median)")
    ap.add_argument("--out", default=os.path.join(here, "results", "torch_baseline.tsv"),
                    help="TSV to write")
    ap.add_argument("--copy-mib", type=int, default=1024,
                    help="size of the copy-bandwidth tensor in MiB (1 GiB)")
    ap.add_argument("--check-only", "--check", action="store_true",
                    help="only run the correctness check")
    ap.add_argument("--no-check", action="store_true",
                    help="skip the correctness check")
    return ap.parse_args()


def main():
    args = parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("CUDA is not available; use --device cpu")
    if not args.no_check and not run_check(args.device):
        sys.exit(1)
    if args.check_only:
        return
    run_timing(args)


if __name__ == "__main__":
    main()
