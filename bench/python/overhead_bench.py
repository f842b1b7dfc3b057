#!/usr/bin/env python3
"""Per-call overhead of the Python/PyTorch layer over the generated kernel.

For each bench shape, times (a) the raw ctypes function on preallocated
buffers and (b) the myogen.torch public function on tensors (checks,
contiguity, output allocation, custom-op dispatch; with autograd for
forward+backward), interleaved, and prints min and median times and the
overhead (b - a) / a.  Goal (issue 13): <= 5%.

--host: the host time per call itself, on tiny shapes whose kernels take
microseconds: the raw call, the public function without and with autograd
(and forward + backward), and the same through the custom op
(torch.ops.myogen.*, what torch.compile calls; eager calls skip torch's
dispatcher).  With --device cuda the tensors live on the GPU: a loop of
calls then measures the host's time per call as long as it exceeds the
GPU's, which is what makes a small op host-bound (issue 14: each op within
10% of the raw launcher).

    python3 bench/python/overhead_bench.py [--reps 15] [--threads 1]
    python3 bench/python/overhead_bench.py --host [--device cuda]"""

import argparse
import ctypes
import platform
import statistics
import time

import torch

import myogen
import myogen.torch as mt

SHAPES = {
    "mlr T1024 R64 dv64, 8 heads, B1": (
        dict(kernel="mlr", name="ovh_mlr", seq_len=1024, arity=2, depth=5,
             state=[32, 8, 8, 8, 8], value_dim=64), dict(batch=1, heads=8)),
    "btt matmul D1024 (32x32, r4), n4096": (
        dict(kernel="btt", name="ovh_btt", op="matmul", arity=[32, 32], state=4), dict(n=4096)),
    "myo quadtree 32x32 N16 level, B4 H256": (
        dict(kernel="myo", name="ovh_myo", arity=4, depth=5, state=16, share="level"),
        dict(batch=4, channels=256)),
}


# tiny shapes: the host path dominates
HOST_SHAPES = {
    "mlr T32 R16 dv8, 2 heads": (
        dict(kernel="mlr", name="host_mlr", seq_len=32, arity=2, depth=2, state=[8, 8],
             value_dim=8), dict(batch=1, heads=2)),
    "btt matmul D64 (8x8, r2), n16": (
        dict(kernel="btt", name="host_btt", op="matmul", arity=[8, 8], state=2), dict(n=16)),
    "myo binary tree d3 N2 level, B1 H8": (
        dict(kernel="myo", name="host_myo", arity=2, depth=3, state=2, share="level"),
        dict(batch=1, channels=8)),
}


def tensors(kernel, dims, device="cpu"):
    """Inputs of the public function, positive-definite-ish myo params."""
    s = kernel.shapes(**dims)
    r = lambda n, scale=1.0: torch.randn(s[n], device=device) * scale
    if kernel.kind == "mlr":
        return [r("q", 0.5), r("k", 0.5), r("v")], "q k v".split()
    if kernel.kind == "btt_matmul":
        return [r("x"), r("W1", 0.2), r("W2", 0.2)], "x W1 W2".split()
    return ([r("u"), 3 + torch.rand(s["A"], device=device), 0.3 * r("B"), 0.3 * r("C"), r("Bin"),
             r("Cout"), r("D")], "u A B C Bin Cout D".split())


def raw_caller(kernel, dims, inputs, names, pass_):
    """A zero-argument function calling NAME_<pass_> on preallocated buffers."""
    s = kernel.shapes(**dims)
    bufs = dict(zip(names, inputs))
    fwd_out = {"mlr": ["o", "lse"], "btt_matmul": ["y"], "myo": ["y"]}[kernel.kind]
    for n in fwd_out + (["dout" if kernel.kind == "mlr" else "dy"] if pass_ == "backward" else []):
        bufs[n] = torch.randn(s[n])
    if pass_ == "backward":
        outs = {"mlr": ["dq", "dk", "dv"], "btt_matmul": ["dx", "dW1", "dW2"],
                "myo": ["du"] + ["d" + f for f in "A B C Bin Cout D".split()]}[kernel.kind]
        for n in outs:
            bufs[n] = torch.empty(s[n])
    ptrs = {n: t.data_ptr() for n, t in bufs.items()}
    fn = kernel.function(pass_)
    ws = kernel.workspace(dims)
    struct_args = []
    if kernel.kind == "myo":
        from myogen.kernel import _MyoStruct
        p = _MyoStruct(*[ptrs[f] for f in "A B C Bin Cout D".split()])
        g = _MyoStruct(*[ptrs.get("d" + f) for f in "A B C Bin Cout D".split()])
        struct_args = [p, g]
        if pass_ == "forward":
            args = [ctypes.addressof(p), ptrs["u"], ptrs["y"], dims["batch"], dims["channels"], ws]
        else:
            args = [ctypes.addressof(p), ptrs["u"], ptrs["dy"], ptrs["du"], ctypes.addressof(g),
                    dims["batch"], dims["channels"], ws]
    elif kernel.kind == "mlr":
        a = [ptrs[n] for n in ("q", "k", "v", "o", "lse")]
        if pass_ == "backward":
            a += [ptrs[n] for n in ("dout", "dq", "dk", "dv")]
        args = a + [dims["batch"], dims["heads"], ws]
    else:
        a = [ptrs["W1"], ptrs["W2"], ptrs["x"]]
        a += [ptrs["y"]] if pass_ == "forward" else [ptrs[n] for n in ("dy", "dx", "dW1", "dW2")]
        args = a + [dims["n"], ws]

    def call():
        if fn(*args) != 0:
            raise myogen.KernelError(kernel.func_name(pass_), 1)
    call.keep = (bufs, struct_args)
    return call


def public_fn(kernel):
    return {"mlr": mt.mlr, "btt_matmul": mt.btt_matmul, "myo": mt.myo}[kernel.kind]


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def measure(a, b, reps, calls):
    """Interleaved samples of `calls` back-to-back calls each (the machine may
    be shared: min is the least disturbed sample, median the typical one)."""
    a(), b()  # warm up (page faults, lazy init)
    loop = lambda f: (lambda: [f() for _ in range(calls)])
    ta, tb = [], []
    for _ in range(reps):
        ta.append(timed(loop(a)) / calls)
        tb.append(timed(loop(b)) / calls)
    return ta, tb


def host_times(args):
    """Per-call host time (us) of each way of calling a tiny kernel."""
    print("%-36s %9s %9s %9s %9s %9s %9s %9s" % (
        "shape (us a call, min)", "raw", "no grad", "grad", "fwd+bwd", "op ng", "op grad",
        "op f+b"))
    for label, (spec, dims) in HOST_SHAPES.items():
        kernel = myogen.compile(dict(spec, dtype="f32", passes=["forward", "backward"]))
        inputs, names = tensors(kernel, dims, args.device)
        fn, op = public_fn(kernel), getattr(torch.ops.myogen, kernel.kind)
        leaves = [t.clone().requires_grad_(True) for t in inputs]
        out0 = fn(kernel, *leaves)
        grad = torch.randn_like(out0)
        first = lambda out: out if isinstance(out, torch.Tensor) else out[0]
        op_args = lambda ts: (kernel.key,) + tuple(ts)  # (the public function's order)
        if args.device == "cpu":
            raw_f = raw_caller(kernel, dims, inputs, names, "forward")
        else:  # the launcher through ctypes on preallocated device buffers
            raw_f = cuda_raw_caller(kernel, inputs, names)

        def fb(call):
            def go():
                for t in leaves:
                    t.grad = None
                first(call()).backward(grad)
            return go

        def nograd(call):
            def go():
                with torch.no_grad():
                    call()
            return go
        ways = [raw_f, nograd(lambda: fn(kernel, *inputs)), lambda: fn(kernel, *leaves),
                fb(lambda: fn(kernel, *leaves)), nograd(lambda: op(*op_args(inputs))),
                lambda: op(*op_args(leaves)), fb(lambda: op(*op_args(leaves)))]
        best = []
        for way in ways:
            for _ in range(50):
                way()
            samples = []
            for _ in range(args.reps):
                samples.append(timed(lambda: [way() for _ in range(200)]) / 200)
            if args.device == "cuda":
                torch.cuda.synchronize()
            best.append(min(samples) * 1e6)
        print("%-36s" % label + "".join(" %9.1f" % b for b in best), flush=True)


def cuda_raw_caller(kernel, inputs, names):
    """The CUDA twin's launcher on preallocated device buffers (Kernel.prepare)."""
    from myogen.torch import dispatch
    twin = dispatch._cuda_twin(kernel)
    _, outs, ws, go = twin.prepare("forward", {n: (t.shape, "float32") for n, t in zip(names, inputs)})
    bufs = {n: torch.empty(s, device="cuda", dtype=dispatch.torch_dtype(twin, n)) for n, s in outs}
    work = torch.empty(max(ws, 1), dtype=torch.uint8, device="cuda")
    ptrs = {n: t.data_ptr() for n, t in zip(names, inputs)}
    ptrs.update((n, t.data_ptr()) for n, t in bufs.items())
    ptrs["ws"] = work.data_ptr()
    stream = torch.cuda.current_stream().cuda_stream
    call = lambda: go(ptrs, stream)
    call.keep = (bufs, work)
    return call


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--host", action="store_true", help="host time per call, tiny shapes")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print("machine: %s, %s; torch %s, %d thread(s)" % (platform.node(), platform.processor() or
                                                       platform.machine(), torch.__version__,
                                                       args.threads))
    if args.host:
        host_times(args)
        return
    print("%-40s %-9s %10s %10s %9s %10s %10s %9s" % ("shape", "pass", "raw min", "torch min",
                                                      "ovh min", "raw med", "torch med", "ovh med"))
    for label, (spec, dims) in SHAPES.items():
        kernel = myogen.compile(dict(spec, dtype="f32", passes=["forward", "backward"]))
        inputs, names = tensors(kernel, dims)
        fn = public_fn(kernel)
        raw_f = raw_caller(kernel, dims, inputs, names, "forward")
        raw_b = raw_caller(kernel, dims, inputs, names, "backward")

        def torch_f():
            with torch.no_grad():
                fn(kernel, *inputs)

        leaves = [t.clone().requires_grad_(True) for t in inputs]
        out0 = fn(kernel, *leaves)
        grad = torch.randn(out0.shape)

        def torch_fb():
            for t in leaves:
                t.grad = None  # as after zero_grad(): gradients assigned, not accumulated
            fn(kernel, *leaves).backward(grad)

        def raw_fb():
            raw_f()
            raw_b()

        for pass_name, a, b in (("forward", raw_f, torch_f), ("fwd+bwd", raw_fb, torch_fb)):
            calls = max(1, int(0.05 / max(timed(a), 1e-6)))  # ~50 ms per sample
            ta, tb = measure(a, b, args.reps, calls)
            ma, mb = min(ta), min(tb)
            da, db = statistics.median(ta), statistics.median(tb)
            print("%-40s %-9s %8.3fms %8.3fms %8.1f%% %8.3fms %8.3fms %8.1f%%"
                  % (label, pass_name, ma * 1e3, mb * 1e3, 100 * (mb - ma) / ma, da * 1e3,
                     db * 1e3, 100 * (db - da) / da), flush=True)


if __name__ == "__main__":
    main()
