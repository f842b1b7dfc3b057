"""From tensors to a generated function: kernel lookup by key, device
dispatch, contiguity, shape/dtype checks, output allocation, zero-copy call."""

import torch

from .. import build, layouts
from ..kernel import Kernel

_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64,
                 "bfloat16": torch.bfloat16, "float16": torch.float16}
_DTYPE_NAMES = {t: n for n, t in _TORCH_DTYPES.items()}


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


def torch_dtype(kernel, tensor=None):
    """The torch dtype of the kernel's tensors, or of the one so named
    (Kernel.dtype_of: lse stays float32 beside 16-bit tensors)."""
    return _TORCH_DTYPES[kernel.dtype_of(tensor) if tensor else kernel.dtype_name]


def _cuda_twin(kernel):
    """The target cuda kernel of a CPU kernel's spec (built at first use), or
    the kernel itself when it is one."""
    if kernel.cuda:
        return kernel
    twin = _twins.get(kernel.key)
    if twin is None:
        twin = _twins.setdefault(kernel.key, build.twin(kernel, "cuda"))
    return twin


_twins = {}  # CPU kernel key -> its CUDA twin


def run(kernel, pass_, inputs):
    """Call NAME_<pass_> on {name: tensor}; returns {output name: tensor}.
    CPU tensors run the kernel itself; CUDA tensors (all on one device) its
    target cuda twin, enqueued on the device's current stream (no wait: a
    non-finite output is not reported, as with PyTorch's own ops)."""
    device = None
    args, ptrs, keep = {}, {}, []
    for name, t in inputs.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError("%s: argument '%s': expected a torch.Tensor, got %s"
                            % (kernel.func_name(pass_), name, type(t).__name__))
        if device is None:
            device = t.device
        elif t.device != device:
            raise ValueError("%s: tensors on several devices (%s)" % (
                kernel.func_name(pass_), ", ".join(sorted({str(x.device) for x in inputs.values()}))))
        if not t.is_contiguous():
            t = t.contiguous()
            keep.append(t)  # alive through the call
        args[name] = (t.shape, _DTYPE_NAMES.get(t.dtype) or str(t.dtype).replace("torch.", ""))
        ptrs[name] = t.data_ptr()
    if device.type == "cuda":
        kernel = _cuda_twin(kernel)
    elif device.type != "cpu" or kernel.cuda:
        raise ValueError("%s: tensors on %s: a %s kernel runs %s tensors"
                         % (kernel.func_name(pass_), device, kernel.target,
                            "CUDA" if kernel.cuda else "CPU and CUDA"))
    _, out_shapes, ws, go = kernel.prepare(pass_, args)
    outs = {}
    for name, shape in out_shapes:
        t = outs[name] = torch.empty(shape, dtype=torch_dtype(kernel, name), device=device)
        ptrs[name] = t.data_ptr()
    if device.type == "cpu":
        go(ptrs)
        return outs
    # the workspace from torch's allocator: freed after this call, it is
    # reused only by work queued after ours on the same stream
    work = torch.empty(max(ws, 1), dtype=torch.uint8, device=device)
    ptrs["ws"] = work.data_ptr()
    current = torch.cuda.current_device()
    index = device.index if device.index is not None else current
    if index == current:  # (kernels launch on the current device)
        go(ptrs, _current_stream(index))
    else:
        with torch.cuda.device(index):
            go(ptrs, _current_stream(index))
    return outs


def _current_stream(index):
    """The device's current cudaStream_t as an int (torch's raw accessor where
    it has one: a Stream object costs microseconds per call)."""
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    return raw(index) if raw else torch.cuda.current_stream(index).cuda_stream
