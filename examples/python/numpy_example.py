#!/usr/bin/env python3
"""numpy only: myogen.compile a Myo kernel from a dict, check its backward
against finite differences, then fit a student layer to a teacher layer with
plain gradient descent on the kernel's gradients.

    python3 examples/python/numpy_example.py     (after `pip install .`, or from
                                                  a build: PYTHONPATH=python)
Exit 0: gradients agree and the loss fell below 10% of its start; 1: failure;
77: numpy missing (skip)."""

import os
import sys

try:
    import numpy as np
except ImportError:
    print("numpy not available for %s: skipping" % sys.executable)
    sys.exit(77)

sys.dont_write_bytecode = True
import myogen  # noqa: E402

SPEC = dict(kernel="myo", name="numpy_example", arity=4, depth=3, state=8, share="vertex",
            dtype="f64", passes=["forward", "backward"])
CHANNELS, BATCH = 4, 3


def random_params(rng, kernel):
    """Diagonally dominant blocks: A in [2, 3] > |B| + 4 |C| (pivots stay away from 0)."""
    s = kernel.shapes(batch=BATCH, channels=CHANNELS)
    return {"A": rng.uniform(2, 3, s["A"]), "B": rng.uniform(-.5, .5, s["B"]),
            "C": rng.uniform(-.25, .25, s["C"]), "Bin": rng.normal(0, 1, s["Bin"]),
            "Cout": rng.normal(0, 8 ** -.5, s["Cout"]), "D": rng.normal(0, 1, s["D"])}


def grad_check(kernel, params, u, rng):
    """Directional derivative of sum(dy * y) along a random direction of each field."""
    dy = rng.normal(size=u.shape)
    _, grads = kernel.backward(params, u, dy)
    worst = 0.0
    for field in params:
        d = rng.normal(size=params[field].shape)
        plus = dict(params, **{field: params[field] + 1e-6 * d})
        minus = dict(params, **{field: params[field] - 1e-6 * d})
        numeric = np.sum(dy * (kernel.forward(plus, u) - kernel.forward(minus, u))) / 2e-6
        worst = max(worst, abs(numeric - np.sum(grads[field] * d)) / max(1.0, abs(numeric)))
    return worst


def main():
    kernel = myogen.compile(SPEC)
    print("kernel:", kernel)
    rng = np.random.default_rng(0)
    u = rng.normal(size=kernel.shapes(batch=BATCH, channels=CHANNELS)["u"])
    teacher, student = random_params(rng, kernel), random_params(rng, kernel)
    err = grad_check(kernel, student, u, rng)
    print("gradient check: worst relative error %.2e" % err)
    target = kernel.forward(teacher, u)
    lr, first = 0.05, None
    for step in range(300):
        y = kernel.forward(student, u)
        loss = np.mean((y - target) ** 2)
        first = loss if first is None else first
        _, grads = kernel.backward(student, u, 2 * (y - target) / y.size)
        for field in student:
            student[field] -= lr * grads[field]
        np.clip(student["A"], 2, None, out=student["A"])  # keep dominance
        np.clip(student["B"], -.5, .5, out=student["B"])
        np.clip(student["C"], -.25, .25, out=student["C"])
        if step % 50 == 0 or step == 299:
            print("step %3d  mse %.6f" % (step, loss))
    ok = err < 1e-6 and loss < 0.1 * first
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
