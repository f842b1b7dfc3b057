"""PyTorch operators and modules for myogen kernels (DESIGN.md 9).

    import myogen.torch as mt
    o = mt.mlr(spec, q, k, v)             # spec: myogen.Kernel, dict or .lua path
    layer = mt.MLRAttention(dim=64, spec={...})

Operators live in the torch namespace `myogen` (torch.ops.myogen.mlr, ...)."""

from .ops import btt_attention, btt_matmul, mlr, myo

__all__ = ["myo", "mlr", "btt_matmul", "btt_attention"]
