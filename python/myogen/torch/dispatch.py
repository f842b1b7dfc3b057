"""From tensors to a generated function: kernel lookup by key, device
dispatch, contiguity, shape/dtype checks, output allocation, zero-copy call."""

import torch

from .. import build, layouts
from ..kernel import Kernel

_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}
_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def kernel_for(key):
    """The loaded Kernel a custom op's key names (every Kernel myogen.compile
    made in this process)."""
    try:
        return build._loaded[key]
    except KeyError:
        raise KeyError("myogen: no kernel with key %s in this process: get one with "
                       "myogen.compile(spec)" % key) from None


def resolve(spec, need_backward=True):
    """A Kernel from a Kernel, a spec dict or a spec path (compiled with the
    backward pass unless the dict names its passes)."""
    if isinstance(spec, Kernel):
        return spec
    overrides = {}
    if need_backward and not (isinstance(spec, dict) and "passes" in spec):
        overrides["passes"] = ["forward", "backward"]
    return build.compile(spec, **overrides)


def torch_dtype(kernel):
    return _TORCH_DTYPES[kernel.dtype_name]


def run(kernel, pass_, inputs):
    """Call NAME_<pass_> on {name: tensor} (CPU); returns {output name: tensor}."""
    args, ptrs, keep = {}, {}, []
    for name, t in inputs.items():
        if not t.is_contiguous():
            t = t.contiguous()
            keep.append(t)  # alive through the call
        args[name] = (t.shape, _DTYPE_NAMES.get(t.dtype) or str(t.dtype).replace("torch.", ""))
        ptrs[name] = t.data_ptr()
    dims, out_shapes, ws = kernel.plan(pass_, args)
    dtype = _TORCH_DTYPES[kernel.dtype_name]
    outs = {}
    for name, shape in out_shapes:
        t = outs[name] = torch.empty(shape, dtype=dtype)
        ptrs[name] = t.data_ptr()
    kernel.call(pass_, ptrs, dims, ws)
    return outs


def cuda_not_built(*args, **kwargs):
    raise NotImplementedError("myogen: CUDA tensors need target cuda (not built yet); "
                              "move the tensors to the CPU")
