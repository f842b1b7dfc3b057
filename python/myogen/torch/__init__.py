"""PyTorch operators and modules for myogen kernels (DESIGN.md 9).

    import myogen.torch as mt
    o = mt.mlr(spec, q, k, v)             # spec: myogen.Kernel, dict or .lua path
    layer = mt.MLRAttention(dim=64, heads=4, spec={"kernel": "mlr", ...})

Operators live in the torch namespace `myogen` (torch.ops.myogen.mlr, ...).
Under torch.compile a dict or path spec is compiled once at trace time and
its kernel key becomes a graph constant."""

from .modules import BilinearBTTAttention, BTTLinear, MLRAttention, MyoLayer
from .ops import btt_attention, btt_matmul, mlr, myo
from .orders import morton_order, raster_order, snake_order

__all__ = ["myo", "mlr", "btt_matmul", "btt_attention", "MyoLayer", "MLRAttention",
           "BTTLinear", "BilinearBTTAttention", "morton_order", "snake_order", "raster_order"]
