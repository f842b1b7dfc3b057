#!/usr/bin/env python3
"""PyTorch baselines for mlr_gpu_bench and btt_gpu_bench (bench/opencl/).

Times, on the shapes of the benches, and writes a TSV that both read (-t
FILE).  mlr_gpu_bench (f32, batch 1 x 8 heads, T = 1024 and 4096, head dim
64, dv 64, causal; rows "name T heads pass ms"):
  sdpa_dense            torch.nn.functional.scaled_dot_product_attention,
                        is_causal=True (the dense attention MLR exists to beat)
  mlr_authors_compiled  torch.compile of MLR written as the authors do: the
                        T x T scores as a sum over level slices, each masked
                        to its level's diagonal blocks, divided by the number
                        of shared levels (normalize "shared"), causal mask,
                        softmax, times v (published ranks {32,8,6,4,4,4,4,2},
                        8 levels of arity 2, s_l = 1/r_l)
btt_gpu_bench (f32, n = 4096 rows, D = 1024 and 4096; rows "name D n pass ms"):
  dense_matmul          x @ W, W dense D x D
  btt_bmm_r1, _r4       the BTT matrix product as two bmm (FasterBTT's form):
                        x [n, m1, m0] -> per i1 a [m0, n0 s] GEMM -> transpose
                        -> per j0 a [m1 s, n1] GEMM; ranks 1 and 4
  btt_keys_sdpa         bilinear BTT attention as a user writes it (T = 1024,
                        D = 256 = 16 x 16, rank 1, 8 heads, dv 64, causal;
                        row "btt_keys_sdpa D T pass ms"): per head the keys
                        LayerNorm(BTT(x)) by two batched einsums, then
                        causal SDPA with the queries x (scale 1/sqrt(D))
TF32 is off: every product in f32, as the kernels.

    python3 bench/opencl/torch_gpu_baselines.py --out torch_gpu.tsv
    python3 bench/opencl/torch_gpu_baselines.py --device cpu --T 256 --D 256 --rows 512 --reps 2

"forward" is the median of --reps calls under torch.no_grad() after 3 warm-up
calls; "backward" the median of torch.autograd.grad(o, (q, k, v), do,
retain_graph=True) on one forward's graph.  GPU times from CUDA events.
Before timing, the MLR form is checked against a direct per-pair evaluation
of the definition (DESIGN.md 6.2) at T = 128 in double.
"""
import argparse
import math
import sys

import torch
import torch._functorch.config
import torch.nn.functional as F

RANKS = [32, 8, 6, 4, 4, 4, 4, 2]
ARITY = 2


def level_masks(T, device, dtype):
    """M[l][i, j] = 1 where i and j share level l's block (l = 0: global)."""
    idx = torch.arange(T, device=device)
    masks = []
    b = T
    for _ in RANKS:
        masks.append((idx[:, None] // b == idx[None, :] // b).to(dtype))
        b //= ARITY
    return masks


def mlr_authors(q, k, v, masks, causal):
    """q, k: [B, H, T, R]; v: [B, H, T, dv]; the T x T form."""
    T = q.shape[-2]
    s = 0
    shared = 0
    d = 0
    for r, m in zip(RANKS, masks):
        s = s + (q[..., d:d + r] @ k[..., d:d + r].transpose(-1, -2)) * (m / r)
        shared = shared + m
        d += r
    s = s / shared
    if causal:
        s = s.masked_fill(torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1),
                          float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def mlr_direct(q, k, v):
    """One head, double, pair by pair from the definition."""
    T = q.shape[0]
    R = [0]
    for r in RANKS:
        R.append(R[-1] + r)
    o = torch.zeros(T, v.shape[1], dtype=torch.float64)
    for i in range(T):
        row = []
        for j in range(i + 1):
            m, b = 0, T
            for _ in RANKS:
                if i // b != j // b:
                    break
                m += 1
                b //= ARITY
            sc = sum(float(q[i, R[l]:R[l + 1]] @ k[j, R[l]:R[l + 1]]) / RANKS[l] for l in range(m))
            row.append(sc / m)
        p = torch.softmax(torch.tensor(row, dtype=torch.float64), 0)
        o[i] = p @ v[:i + 1]
    return o


def btt_bmm(x, W1, W2):
    """x [n, m1*m0]; W1 [m1, m0, n0*s]; W2 [n0, m1*s, n1] -> y [n, n0*n1]."""
    m1, m0, R = W1.shape
    n0, Q, n1 = W2.shape
    s = R // n0
    t = torch.bmm(x.reshape(-1, m1, m0).transpose(0, 1), W1)       # [m1, n, n0 s]
    t = t.reshape(m1, -1, n0, s).permute(2, 1, 0, 3).reshape(n0, -1, m1 * s)
    y = torch.bmm(t, W2)                                             # [n0, n, n1]
    return y.transpose(0, 1).reshape(-1, n0 * n1)


def check():
    g = torch.Generator().manual_seed(1)
    T, R = 128, sum(RANKS)
    q = torch.randn(T, R, generator=g, dtype=torch.float64)
    k = torch.randn(T, R, generator=g, dtype=torch.float64)
    v = torch.randn(T, 64, generator=g, dtype=torch.float64)
    a = mlr_authors(q[None, None], k[None, None], v[None, None],
                    level_masks(T, "cpu", torch.float64), True)[0, 0]
    b = mlr_direct(q, k, v)
    err = (a - b).abs().max().item()
    if err > 1e-10:
        sys.exit(f"torch_gpu_baselines: the MLR form differs from the definition by {err}")


def check_btt():
    """btt_bmm against y = x W with W the dense BTT matrix (DESIGN.md 6.3)."""
    g = torch.Generator().manual_seed(2)
    m0, m1, n0, n1, s = 3, 4, 5, 2, 3
    x = torch.randn(7, m1 * m0, generator=g, dtype=torch.float64)
    W1 = torch.randn(m1, m0, n0, s, generator=g, dtype=torch.float64)
    W2 = torch.randn(n0, m1, s, n1, generator=g, dtype=torch.float64)
    W = torch.einsum("ipjs,jisq->ipjq", W1, W2).reshape(m1 * m0, n0 * n1)
    y = btt_bmm(x, W1.reshape(m1, m0, n0 * s), W2.reshape(n0, m1 * s, n1))
    err = (y - x @ W).abs().max().item()
    if err > 1e-10:
        sys.exit(f"torch_gpu_baselines: the bmm BTT differs from the dense matrix by {err}")


def timer(device):
    if device == "cuda":
        def run(fn, reps):
            ts = []
            for i in range(reps + 3):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                fn()
                b.record()
                torch.cuda.synchronize()
                if i >= 3:
                    ts.append(a.elapsed_time(b))
            ts.sort()
            return ts[len(ts) // 2]
    else:
        import time

        def run(fn, reps):
            ts = []
            for i in range(reps + 3):
                t = time.perf_counter()
                fn()
                if i >= 3:
                    ts.append((time.perf_counter() - t) * 1e3)
            ts.sort()
            return ts[len(ts) // 2]
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--T", type=int, nargs="*", default=[1024, 4096])
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--D", type=int, nargs="*", default=[1024, 4096])
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    check()
    check_btt()
    run = timer(a.device)
    dev, H, R, dv = a.device, a.heads, sum(RANKS), 64
    lines = [f"# torch {torch.__version__}, device {dev}"
             + (f" ({torch.cuda.get_device_name()})" if dev == "cuda" else "")
             + ", f32, batch 1; name T heads pass ms"]
    # the timed backward reruns one graph (retain_graph): no donated buffers
    torch._functorch.config.donated_buffer = False
    compiled = torch.compile(mlr_authors)
    torch.backends.cuda.matmul.allow_tf32 = False  # f32 throughout, as the kernels
    for T in a.T:
        g = torch.Generator(device=dev).manual_seed(T)
        q = torch.randn(1, H, T, R, device=dev, generator=g, requires_grad=True)
        k = torch.randn(1, H, T, R, device=dev, generator=g, requires_grad=True)
        v = torch.randn(1, H, T, dv, device=dev, generator=g, requires_grad=True)
        do = torch.randn(1, H, T, dv, device=dev, generator=g)
        masks = level_masks(T, dev, torch.float32)
        cases = {
            "sdpa_dense": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True),
            "mlr_authors_compiled": lambda: compiled(q, k, v, masks, True),
        }
        for name, fn in cases.items():
            with torch.no_grad():
                fwd = run(fn, a.reps)
            o = fn()
            bwd = run(lambda: torch.autograd.grad(o, (q, k, v), do, retain_graph=True), a.reps)
            for pas, ms in (("forward", fwd), ("backward", bwd)):
                lines.append(f"{name}\t{T}\t{H}\t{pas}\t{ms:.4f}")
                print(lines[-1], flush=True)
    n = a.rows
    for D in a.D:
        m = int(round(math.sqrt(D)))
        g = torch.Generator(device=dev).manual_seed(D)
        x = torch.randn(n, D, device=dev, generator=g, requires_grad=True)
        dy = torch.randn(n, D, device=dev, generator=g)
        W = (torch.randn(D, D, device=dev, generator=g) / m).requires_grad_()
        cases = {"dense_matmul": (lambda: x @ W, (x, W))}
        for s in (1, 4):
            W1 = (torch.randn(m, m, m * s, device=dev, generator=g) / m).requires_grad_()
            W2 = (torch.randn(m, m * s, m, device=dev, generator=g) / m).requires_grad_()
            cases[f"btt_bmm_r{s}"] = (lambda W1=W1, W2=W2: btt_bmm(x, W1, W2), (x, W1, W2))
        for name, (fn, ins) in cases.items():
            with torch.no_grad():
                fwd = run(fn, a.reps)
            y = fn()
            bwd = run(lambda: torch.autograd.grad(y, ins, dy, retain_graph=True), a.reps)
            for pas, ms in (("forward", fwd), ("backward", bwd)):
                lines.append(f"{name}\t{D}\t{n}\t{pas}\t{ms:.4f}")
                print(lines[-1], flush=True)
    # bilinear BTT attention: keys by the two BTT contractions for all heads
    T, D, H, m, dva = 1024, 256, 8, 16, 64
    g = torch.Generator(device=dev).manual_seed(7)
    x = torch.randn(1, T, D, device=dev, generator=g, requires_grad=True)
    W1 = (torch.randn(H, m, m, m, device=dev, generator=g) / 4).requires_grad_()
    W2 = (torch.randn(H, m, m, m, device=dev, generator=g) / 4).requires_grad_()
    v = torch.randn(1, H, T, dva, device=dev, generator=g, requires_grad=True)
    do = torch.randn(1, H, T, dva, device=dev, generator=g)

    def btt_attention():
        xr = x.reshape(T, m, m)                                   # [T, i1, i0]
        t = torch.einsum("nim,himj->hnij", xr, W1)                # [H, T, i1, j0] (rank 1)
        kp = torch.einsum("hnij,hjiq->hnjq", t, W2).reshape(H, T, D)
        k = F.layer_norm(kp, (D,), eps=1e-5)[None]
        return F.scaled_dot_product_attention(x[:, None].expand(1, H, T, D), k, v, is_causal=True)

    with torch.no_grad():
        fwd = run(btt_attention, a.reps)
    o = btt_attention()
    bwd = run(lambda: torch.autograd.grad(o, (x, W1, W2, v), do, retain_graph=True), a.reps)
    for pas, ms in (("forward", fwd), ("backward", bwd)):
        lines.append(f"btt_keys_sdpa\t{D}\t{T}\t{pas}\t{ms:.4f}")
        print(lines[-1], flush=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
