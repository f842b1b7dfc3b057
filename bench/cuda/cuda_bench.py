#!/usr/bin/env python3
"""The CUDA target on a GPU, from PyTorch (DESIGN.md 6.4, 9): every kernel of
bench/opencl at the same shapes, f32, forward and backward, timed two ways:

  raw  the generated launcher (NAME_forward / NAME_backward of the .cu) on
       preallocated device buffers and workspace, through ctypes;
  op   the torch operator as a model calls it (myogen.torch's ops, eager:
       the impl without torch's dispatcher, see ops._Op): output and
       workspace allocation, checks included.

op/raw is the operator's overhead.  The 16-bit rows (dtype bf16: mlr and
btt matmul, products of btt's GEMMs on tensor cores) also time what a user
would otherwise call in bf16, in the same run: torch SDPA (FlashAttention
class, causal, head dim 64) for mlr, a dense cuBLAS matmul of the same
shape for btt; "speedup" is its time over ours, "FLOP ratio" its FLOPs over
ours (issue 14's goals: speedup >= 0.8x resp. 0.5x the FLOP ratio); and the
bf16 tensor-core rate of a large cuBLAS matmul.  Yardsticks measured in the same run: the
f32 FMA peak (bench/cuda/fma_peak.cu: independent FMA chains) for mlr and
btt (GFLOP/s by the FLOP counts of bench/opencl), and the copy bandwidth
(a 1 GiB device-to-device copy, bytes read + written) for myo (GB/s of the
least a call moves: parameters, u, y; backward: parameters, gradients, u,
dy, du).  Times: CUDA events around 10 calls in a row (the host queues
while the GPU runs, as in a model), per call, median of --reps after 2
warm-up calls.

    PYTHONPATH=python MYOGEN=/path/to/myogen python3 bench/cuda/cuda_bench.py

Needs torch with CUDA, nvcc (see myogen/cuda.py) and the myogen binary.
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import myogen
except ImportError:
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
    import myogen
import myogen.torch  # noqa: F401  (registers torch.ops.myogen.*)
from myogen import cuda as mcuda

LEVELS = 8
RANKS = [32, 8, 6, 4, 4, 4, 4, 2]  # the published MLR configuration


def time_ms(fn, reps, batch=1):
    """Median over reps of the time per call of `batch` calls in a row (the
    host queues the next call while the GPU runs the last one, as in a model)."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(reps):
        t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        t0.record()
        for _ in range(batch):
            fn()
        t1.record()
        t1.synchronize()
        times.append(t0.elapsed_time(t1) / batch)
    return statistics.median(times)


def fma_peak():
    """GFLOP/s of bench/cuda/fma_peak.cu on this GPU."""
    tmp = tempfile.mkdtemp(prefix="myogen-peak-")
    so = os.path.join(tmp, "fma_peak.so")
    subprocess.run([mcuda.nvcc(), "-O3", "-arch=" + mcuda.arch(), "-Xcompiler", "-fPIC",
                    "-shared", "-o", so, os.path.join(HERE, "fma_peak.cu")], check=True)
    fn = ctypes.CDLL(so).myogen_fma_peak
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_int, ctypes.c_int]
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    return fn(sms * 16, 5)


def copy_gbs():
    n = 1 << 28  # floats: 1 GiB
    a, b = torch.empty(n, device="cuda"), torch.empty(n, device="cuda")
    return 2 * 4 * n / (time_ms(lambda: b.copy_(a), 10) * 1e-3) * 1e-9


# ---- the kernels: spec, inputs, yardstick ----------------------------------------
def myo_case(name, arity, depth, share, readout, block, state):
    spec = dict(kernel="myo", name="cu_" + name, dtype="f32", arity=arity, depth=depth,
                state=state, share=share, readout=readout, block=block,
                passes=["forward", "backward"])

    def inputs(batch, channels):
        k, d, n = arity, depth, state
        L = k ** d if k > 1 else d + 1
        nv = sum(k ** l for l in range(d + 1)) if k > 1 else d + 1
        sets = d + 1 if share == "level" else nv
        blk = (n, n) if block == "dense" else (n,)
        shape = (sets, channels) + blk
        g = torch.Generator(device="cuda").manual_seed(0)
        rnd = lambda *s: torch.randn(*s, device="cuda", generator=g)
        if block == "dense":
            A = 4 * torch.eye(n, device="cuda") + 0.2 * rnd(*shape)
        else:
            A = 3 + rnd(*shape).abs()
        p = dict(A=A, B=0.4 * rnd(*shape), C=0.4 * rnd(*shape))
        siso = readout == "siso"
        u = rnd(batch, L, channels) if siso else rnd(batch, L, channels, n)
        if siso:
            p.update(Bin=rnd(channels, n), Cout=rnd(channels, n), D=rnd(channels))
        par = sum(t.numel() for t in p.values())
        fwd = dict(p, u=u)
        op_args = (u, p["A"], p["B"], p["C"], p.get("Bin"), p.get("Cout"), p.get("D"))
        return fwd, op_args, dict(u=u.numel(), par=par)

    def size(pass_, counts):
        io, par = counts["u"], counts["par"]
        return 4.0 * (2 * par + 3 * io if pass_ == "backward" else par + 2 * io)

    return dict(name=name, kind="myo", spec=spec, inputs=inputs, bytes=size,
                shapes=[(4, 256), (16, 2048)], first="y", dout="dy")


def mlr_case(T, dtype="f32"):
    spec = dict(kernel="mlr", name="cu_mlr_t%d_%s" % (T, dtype), dtype=dtype, seq_len=T, arity=2,
                depth=LEVELS, state=RANKS, value_dim=64, causal=True, normalize="shared",
                scale="inv_rank", passes=["forward", "backward"])

    def inputs(batch, heads):
        g = torch.Generator(device="cuda").manual_seed(0)
        q, k, v = (torch.randn(batch, heads, T, n, device="cuda", generator=g)
                   for n in (sum(RANKS), sum(RANKS), 64))
        return dict(q=q, k=k, v=v), (q, k, v), dict(bh=batch * heads)

    def flops(pass_, counts):
        dprefix, pairs1 = 0.0, 0.0
        for l in range(1, LEVELS + 1):
            b = T / 2 ** (l - 1)
            pairs = T / b * b * (b + 1) / 2
            pairs1 = pairs if l == 1 else pairs1
            dprefix += RANKS[l - 1] * pairs
        f = 6 * dprefix + 4 * 64 * pairs1 if pass_ == "backward" else 2 * dprefix + 2 * 64 * pairs1
        return f * counts["bh"]

    def sdpa(batch, heads):
        """torch SDPA, causal, head dim 64, in the case's dtype: (name, ms, FLOPs) per pass."""
        g = torch.Generator(device="cuda").manual_seed(0)
        q, k, v = (torch.randn(batch, heads, T, 64, device="cuda", generator=g, dtype=DTYPES[dtype])
                   .requires_grad_(True) for _ in range(3))
        F = torch.nn.functional.scaled_dot_product_attention
        o = F(q, k, v, is_causal=True)
        do = torch.randn_like(o)
        pairs = batch * heads * T * (T + 1) / 2
        fwd = time_ms(lambda: F(q, k, v, is_causal=True), 10, 10)
        bwd = time_ms(lambda: torch.autograd.grad(o, (q, k, v), do, retain_graph=True), 10, 10)
        return "torch SDPA", {"forward": (fwd, 4.0 * 64 * pairs), "backward": (bwd, 8.0 * 64 * pairs)}

    return dict(name="mlr_t%d" % T + ("" if dtype == "f32" else "_" + dtype), kind="mlr",
                spec=spec, inputs=inputs, flops=flops, shapes=[(1, 8)], first="o", dout="dout",
                dtype=dtype, baseline=sdpa if dtype != "f32" else None)


def btt_mm_case(m, r, dtype="f32"):
    D = m * m
    spec = dict(kernel="btt", op="matmul", name="cu_btt_d%d_r%d_%s" % (D, r, dtype), dtype=dtype,
                arity=[m, m], out_arity=[m, m], state=r, passes=["forward", "backward"])

    def inputs(n, _):
        g = torch.Generator(device="cuda").manual_seed(0)
        x = torch.randn(n, D, device="cuda", generator=g)
        W1 = torch.randn(m, m, m, r, device="cuda", generator=g) / m
        W2 = torch.randn(m, m, r, m, device="cuda", generator=g) / m
        return dict(W1=W1, W2=W2, x=x), (x, W1, W2), dict(n=n)

    def flops(pass_, counts):
        f = 2.0 * counts["n"] * r * (D * m + D * m)
        return 2 * f if pass_ == "backward" else f

    def dense(n, _):
        """A dense D x D matmul (cuBLAS) in the case's dtype: y = x W; dx, dW."""
        g = torch.Generator(device="cuda").manual_seed(0)
        x, dy = (torch.randn(n, D, device="cuda", generator=g, dtype=DTYPES[dtype]) for _ in range(2))
        W = torch.randn(D, D, device="cuda", generator=g, dtype=DTYPES[dtype])
        fwd = time_ms(lambda: x @ W, 10, 10)
        bwd = time_ms(lambda: (dy @ W.t(), x.t() @ dy), 10, 10)
        f = 2.0 * n * D * D
        return "dense cuBLAS", {"forward": (fwd, f), "backward": (bwd, 2 * f)}

    return dict(name="btt_d%d_r%d" % (D, r) + ("" if dtype == "f32" else "_" + dtype),
                kind="btt_matmul", spec=spec, inputs=inputs, flops=flops, shapes=[(4096, 1)],
                first="y", dout="dy", dtype=dtype, baseline=dense if dtype != "f32" else None)


def btt_att_case(T=1024, m=16, r=1, heads=8, dv=64):
    D = m * m
    spec = dict(kernel="btt", op="attention", name="cu_bttatt_t%d" % T, dtype="f32",
                arity=[m, m], out_arity=[m, m], state=r, seq_len=T, value_dim=dv,
                passes=["forward", "backward"])

    def inputs(batch, h):
        g = torch.Generator(device="cuda").manual_seed(0)
        x = torch.randn(batch, T, D, device="cuda", generator=g)
        W1 = torch.randn(h, m, m, m, r, device="cuda", generator=g) / m
        W2 = torch.randn(h, m, m, r, m, device="cuda", generator=g) / m
        v = torch.randn(batch, h, T, dv, device="cuda", generator=g)
        return dict(x=x, W1=W1, W2=W2, v=v), (x, W1, W2, v), dict(bh=batch * h)

    def flops(pass_, counts):
        bh = counts["bh"]
        keys = 2.0 * bh * T * r * (D * m + D * m)
        pairs = bh * T * (T + 1) / 2
        if pass_ == "backward":
            return 2 * keys + pairs * (6.0 * D + 4.0 * dv)
        return keys + pairs * (2.0 * D + 2.0 * dv)

    return dict(name="bttatt_t%d" % T, kind="btt_attention", spec=spec, inputs=inputs,
                flops=flops, shapes=[(1, heads)], first="o", dout="dout")


CASES = [
    myo_case("level_k4", 4, 6, "level", "siso", "diag", 16),
    myo_case("vertex_k4", 4, 6, "vertex", "siso", "diag", 16),
    myo_case("none_k4", 4, 6, "level", "none", "diag", 16),
    myo_case("dense_k4", 4, 6, "vertex", "siso", "dense", 4),
    myo_case("vertex_k16", 16, 3, "vertex", "siso", "diag", 16),
    myo_case("chain", 1, 4095, "vertex", "siso", "diag", 16),
    mlr_case(1024), mlr_case(4096),
    btt_mm_case(32, 1), btt_mm_case(32, 4), btt_mm_case(64, 1), btt_mm_case(64, 4),
    btt_att_case(),
    mlr_case(1024, "bf16"), mlr_case(4096, "bf16"), btt_mm_case(32, 4, "bf16"), btt_mm_case(64, 4, "bf16"),
]
DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


def tensor_peak():
    """TFLOP/s of a large bf16 cuBLAS matmul (the tensor cores' practical rate)."""
    n = 8192
    a, b = (torch.randn(n, n, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    return 2.0 * n ** 3 / (time_ms(lambda: a @ b, 5, 3) * 1e-3) * 1e-12


def profile(name, pass_, fn):
    """Per-kernel GPU times of 10 calls (torch.profiler: CUPTI sees every launch)."""
    fn()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(10):
            fn()
        torch.cuda.synchronize()
    rows = {}
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            t = rows.setdefault(e.name, [0, 0.0])
            t[0] += 1
            t[1] += e.device_time if hasattr(e, "device_time") else e.cuda_time
    for k, (n, us) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
        print("  profile %-12s %-8s %8.1f us x %d  %s" % (name, pass_, us / 10, n // 10, k))


def bench_case(case, a, b, reps, peak, copy, tpeak, prof=False):
    kcu = myogen.compile(case["spec"], target="cuda")
    fwd_in, op_args, counts = case["inputs"](a, b)
    dt = DTYPES[case.get("dtype", "f32")]
    fwd_in = {n: t.to(dt) for n, t in fwd_in.items()}
    op_args = tuple(None if t is None else t.to(dt) for t in op_args)  # (readout none: no Bin...)
    base = case["baseline"](a, b) if case.get("baseline") else None
    kind, key = case["kind"], kcu.key
    fwd_op = getattr(myogen.torch.ops, kind + "_op")
    bwd_op = getattr(myogen.torch.ops, kind + "_backward_op")
    stream = torch.cuda.current_stream().cuda_stream
    rows = []
    with torch.no_grad():
        out = fwd_op(key, *op_args)
        outs = (out,) if isinstance(out, torch.Tensor) else tuple(out)
        dout = torch.randn_like(outs[0])
        saved = {"o": outs[0], "lse": outs[1]} if len(outs) > 1 else {}
        for pass_ in ("forward", "backward"):
            inputs = dict(fwd_in)
            if pass_ == "backward":
                inputs.update(saved)
                inputs[case["dout"]] = dout
            args = {n: (t.shape, str(t.dtype).replace("torch.", "")) for n, t in inputs.items()}
            dims, out_shapes, ws = kcu.plan(pass_, args)
            bufs = {n: torch.empty(s, device="cuda", dtype=getattr(torch, kcu.dtype_of(n)))
                    for n, s in out_shapes}
            work = torch.empty(max(ws, 1), dtype=torch.uint8, device="cuda")
            ptrs = {n: t.data_ptr() for n, t in dict(inputs, **bufs).items()}
            ptrs["ws"] = work.data_ptr()
            raw = time_ms(lambda: kcu.call(pass_, ptrs, dims, ws, stream), reps, 10)
            if prof:
                profile(case["name"], pass_, lambda: kcu.call(pass_, ptrs, dims, ws, stream))
            if pass_ == "forward":
                op = time_ms(lambda: fwd_op(key, *op_args), reps, 10)
            else:
                extra = (saved["o"], saved["lse"]) if saved else ()
                op = time_ms(lambda: bwd_op(key, *op_args, *extra, dout), reps, 10)
            status = kcu.status(work.data_ptr(), stream)
            if "flops" in case:
                rate = case["flops"](pass_, counts) / (raw * 1e-3) * 1e-9
                if dt == torch.float32:
                    limit = "%9.1f GFLOP/s %5.1f%% peak" % (rate, 100 * rate / peak)
                else:  # against the tensor cores' rate
                    limit = "%9.1f GFLOP/s %5.1f%% bf16 cuBLAS" % (rate, 100 * rate / (tpeak * 1e3))
            else:
                rate = case["bytes"](pass_, counts) / (raw * 1e-3) * 1e-9
                limit = "%9.1f GB/s    %5.1f%% copy" % (rate, 100 * rate / copy)
            rows.append("%-12s %-8s %6dx%-5d %9.3f %9.3f %6.2f  %s  status %d"
                        % (case["name"], pass_, a, b, raw, op, op / raw, limit, status))
            if base:
                ms, f = base[1][pass_]
                ratio = f / case["flops"](pass_, counts)
                rows.append("  vs %s %s: %.3f ms, %.1f TFLOP/s; speedup %.2fx, FLOP ratio %.2fx,"
                            " goal %.2fx" % (base[0], case["dtype"], ms, f / ms * 1e-9, ms / raw, ratio,
                                             (0.8 if case["kind"] == "mlr" else 0.5) * ratio))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("-k", "--kernel", action="append", help="only these kernels (names)")
    ap.add_argument("--profile", action="store_true", help="also print each kernel's GPU time")
    o = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    peak, copy = fma_peak(), copy_gbs()
    tpeak = tensor_peak()
    print("device: %s; measured f32 FMA peak %.1f GFLOP/s, copy %.1f GB/s, bf16 cuBLAS "
          "%.1f TFLOP/s; torch %s" % (torch.cuda.get_device_name(), peak, copy, tpeak,
                                     torch.__version__))
    print("%-12s %-8s %12s %9s %9s %6s  %s" % ("kernel", "pass", "shape", "raw ms", "op ms",
                                                "op/raw", "rate (raw)"))
    for case in CASES:
        if o.kernel and case["name"] not in o.kernel:
            continue
        for a, b in case["shapes"]:
            try:
                for row in bench_case(case, a, b, o.reps, peak, copy, tpeak, o.profile):
                    print(row, flush=True)
            except Exception as e:  # one broken kernel does not hide the rows after it
                print("%-12s failed at %sx%s: %s: %s" % (case["name"], a, b, type(e).__name__,
                                                         str(e).splitlines()[0] if str(e) else ""),
                      flush=True)
    print("shape: batch x channels (myo), batch x heads (mlr, btt attention), rows (btt matmul);"
          " f32 unless the name says; status: the kernel's status word after the timed calls (0: finite outputs)")


if __name__ == "__main__":
    main()
