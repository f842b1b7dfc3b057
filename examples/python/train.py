#!/usr/bin/env python3
"""Fit a Myo layer to a target Myo layer with the generated kernel's backward pass.

    python3 train.py [MYOGEN]        (or env MYOGEN; default ../../build/compiler/myogen)
    env CC: the C compiler (default cc)

Generates myo_layer.lua's kernel into a temp dir, compiles and loads it (myo.py),
checks backward against central finite differences, then trains a student layer
with Adam on the MSE to a teacher layer's outputs. Exits 0 when the gradient
check passes and the final loss is below 10% of the initial one, 1 otherwise,
77 (skip) when numpy is missing.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
except ImportError:
    print("numpy not available for %s: skipping" % sys.executable)
    sys.exit(77)

sys.dont_write_bytecode = True  # keep the source tree clean when ctest runs this
import myo  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def has_avx2():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx2" in flags and " fma" in flags


def random_params(rng, kernel, channels):
    """Diagonally dominant tree blocks: |A| >= 2 > |B| + sum over the k children of |C|."""
    s = kernel.param_shapes(channels)
    k, n = kernel.arity, kernel.state
    return {
        "A": rng.uniform(2.0, 3.0, s["A"]),
        "B": rng.uniform(-0.5, 0.5, s["B"]),
        "C": rng.uniform(-1.0 / k, 1.0 / k, s["C"]),
        "Bin": rng.normal(0.0, 1.0, s["Bin"]),
        "Cout": rng.normal(0.0, 1.0 / np.sqrt(n), s["Cout"]),
        "D": rng.normal(0.0, 1.0, s["D"]),
    }


def project(params, arity):
    """Keep the student's blocks diagonally dominant, so every pivot stays >= 0.5."""
    np.clip(params["A"], 2.0, None, out=params["A"])
    np.clip(params["B"], -0.5, 0.5, out=params["B"])
    if "C" in params:
        np.clip(params["C"], -1.0 / arity, 1.0 / arity, out=params["C"])


def gradient_check(layer, rng, batch=2, probes=3):
    """Backward vs central differences of L = sum(w * y) on a few coordinates of u and of every parameter."""
    u = rng.normal(size=(batch, layer.kernel.seq_len, layer.channels))
    w = rng.normal(size=u.shape)
    du, grads = layer.backward(u, w)
    loss = lambda: float(np.sum(w * layer.forward(u)))
    eps, worst = 1e-6, 0.0
    targets = [("u", u, du)] + [(f, layer.params[f], grads[f]) for f in layer.params]
    for name, x, g in targets:
        for _ in range(probes):
            i = tuple(rng.integers(0, d) for d in x.shape)
            x0 = x[i]
            x[i] = x0 + eps
            lp = loss()
            x[i] = x0 - eps
            lm = loss()
            x[i] = x0
            fd = (lp - lm) / (2 * eps)
            err = abs(fd - g[i]) / max(1.0, abs(fd))
            worst = max(worst, err)
            if err > 1e-6:
                print("gradient check FAILED: d/d%s%s backward %.10g finite difference %.10g" % (name, list(i), g[i], fd))
                return False
    print("gradient check ok: %d coordinates, max error %.2e" % (len(targets) * probes, worst))
    return True


class Adam:
    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = {f: np.zeros_like(v) for f, v in params.items()}
        self.v = {f: np.zeros_like(v) for f, v in params.items()}

    def step(self, params, grads):
        self.t += 1
        for f, p in params.items():
            g = grads[f]
            self.m[f] = self.b1 * self.m[f] + (1 - self.b1) * g
            self.v[f] = self.b2 * self.v[f] + (1 - self.b2) * g * g
            mhat = self.m[f] / (1 - self.b1 ** self.t)
            vhat = self.v[f] / (1 - self.b2 ** self.t)
            p -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("myogen", nargs="?",
                    default=os.environ.get("MYOGEN", os.path.join(HERE, "..", "..", "build", "compiler", "myogen")))
    ap.add_argument("--spec", default=os.path.join(HERE, "myo_layer.lua"))
    ap.add_argument("--avx2", action="store_true", help="target avx2 when /proc/cpuinfo has avx2 and fma")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.time()
    cc = os.environ.get("CC") or "cc"
    defines, cflags = {}, ["-O2"]
    if args.avx2:
        if has_avx2():
            defines["target"], cflags = "avx2", cflags + ["-mavx2", "-mfma"]
        else:
            print("no avx2+fma on this CPU: target c")

    with tempfile.TemporaryDirectory(prefix="myo_py_") as tmp:
        try:
            kernel = myo.build_kernel(args.myogen, args.spec, tmp, cc=cc, cflags=cflags, defines=defines)
        except (OSError, subprocess.CalledProcessError) as e:
            print("building the kernel failed: %s" % e)
            return 1
        print("kernel %s: arity %d, depth %d, state %d, L = %d, %d vertices, %d parameter sets, %s%s"
              % (kernel.name, kernel.arity, kernel.depth, kernel.state, kernel.seq_len, kernel.vertices,
                 kernel.param_sets, np.dtype(kernel.dtype).name, ", target avx2" if "target" in defines else ""))
        if kernel.dtype != np.float64:
            print("train.py needs an f64 kernel (finite-difference gradient check)")
            return 1

        rng = np.random.default_rng(args.seed)
        ch = args.channels
        teacher = myo.MyoLayer(kernel, ch, random_params(rng, kernel, ch))
        student = myo.MyoLayer(kernel, ch, random_params(rng, kernel, ch))

        if not gradient_check(student, rng):
            return 1

        u = rng.normal(size=(args.batch, kernel.seq_len, ch))
        target = teacher.forward(u)
        opt = Adam(student.params, args.lr)
        losses = []
        for step in range(args.steps + 1):
            y = student.forward(u)
            r = y - target
            loss = float(np.mean(r * r))
            losses.append(loss)
            if step % 20 == 0 or step == args.steps:
                print("step %4d  loss %.3e" % (step, loss))
            if step == args.steps:
                break
            _, grads = student.backward(u, (2.0 / r.size) * r)
            opt.step(student.params, grads)
            project(student.params, kernel.arity)

        # Generalization: fresh inputs through both layers.
        u_test = rng.normal(size=u.shape)
        test = float(np.mean((student.forward(u_test) - teacher.forward(u_test)) ** 2))
        ratio = losses[-1] / losses[0]
        print("final/initial loss %.2e (need < 0.10), held-out loss %.3e, %.2f s"
              % (ratio, test, time.time() - t0))
        if not np.isfinite(ratio) or ratio >= 0.10:
            print("FAILED: the loss did not fall enough")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
