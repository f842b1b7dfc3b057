"""myogen from Python: generate, compile, cache and call myo, mlr and btt
kernels (DESIGN.md 9).

    k = myogen.compile({"kernel": "mlr", "name": "attn", "seq_len": 256, ...})
    o, lse = k.forward(q, k_, v)

myogen.torch holds the PyTorch operators and modules (imported on demand)."""

from .build import compile
from .errors import KernelError, SpecError
from .kernel import Kernel

__all__ = ["compile", "Kernel", "KernelError", "SpecError"]
