"""A compiled, loaded kernel: metadata from its header, its C functions via
ctypes, and the numpy forward/backward (C ABI order, outputs returned)."""

import ctypes
import os
import re
import threading

import numpy as np

from . import header, layouts
from .errors import KernelError

# the inputs of the numpy methods, in C order ("params" is myo's dict of fields)
NUMPY_ARGS = {
    "myo": {"forward": ("params", "u"), "backward": ("params", "u", "dy")},
    "mlr": {"forward": ("q", "k", "v"), "backward": ("q", "k", "v", "o", "lse", "dout")},
    "btt_matmul": {"forward": ("W1", "W2", "x"), "backward": ("W1", "W2", "x", "dy")},
    "btt_attention": {"forward": ("x", "W1", "W2", "v"),
                      "backward": ("x", "W1", "W2", "v", "o", "lse", "dout")},
}


class _MyoStruct(ctypes.Structure):
    # NAME_params and NAME_grads: six pointers, A B C Bin Cout D
    _fields_ = [(f, ctypes.c_void_p) for f in layouts.MYO_FIELDS]


# the spec's dtype -> the tensors' dtype name (numpy's and torch's); 16-bit
# kernels (target cuda) keep lse in float32
DTYPE_NAMES = {"f32": "float32", "f64": "float64", "bf16": "bfloat16", "f16": "float16"}


def _kind(spec):
    kernel = re.search(r'\bkernel="(\w+)"', spec).group(1)
    if kernel == "btt":
        return "btt_" + re.search(r'\bop="(\w+)"', spec).group(1)
    return kernel


class Kernel:
    """Made by myogen.compile.  Attributes: name, kind ("myo", "mlr",
    "btt_matmul", "btt_attention"), spec (canonical), key (cache key), path
    (cache directory), macros ({"SEQ_LEN": 1024, ...} from the header), dtype
    (numpy; None for bfloat16), dtype_name ("float32", "bfloat16", ...),
    target, has_backward.  A target "cuda" kernel takes device
    pointers, a device workspace and a stream (myogen.torch calls it with CUDA
    tensors); its numpy methods refuse."""

    def __init__(self, path, spec, key):
        self.path, self.spec, self.key = path, spec, key
        self.name, self.macros = header.parse(os.path.join(path, "kernel.h"))
        self.kind = _kind(spec)
        self.target = re.search(r'\btarget="(\w+)"', spec).group(1)
        self.has_backward = '"backward"' in re.search(r"\bpasses=\{([^}]*)\}", spec).group(1)
        self.dtype_name = DTYPE_NAMES[re.search(r'\bdtype="(\w+)"', spec).group(1)]
        self.dtype = None if self.dtype_name == "bfloat16" else np.dtype(self.dtype_name)
        self.cuda = self.target == "cuda"
        self._lib = ctypes.CDLL(os.path.join(path, "kernel.so"))
        self._ws_size = self._symbol("workspace_size", ctypes.c_size_t)
        self._ws_size.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        self._fns = {p: self._function(p) for p in ("forward", "backward")
                     if p == "forward" or self.has_backward}
        self._local = threading.local()  # per-thread workspace buffer
        self._plans = {}  # validated shapes -> (sizes, outputs, workspace bytes, caller)

    def _symbol(self, suffix, restype):
        fn = getattr(self._lib, "%s_%s" % (self.name, suffix))
        fn.restype = restype
        return fn

    def _function(self, pass_):
        fn = self._symbol(pass_, ctypes.c_int)
        sig = self.signature(pass_)
        fn.argtypes = [ctypes.c_size_t if a in ("batch", "channels", "heads", "n")
                       else ctypes.c_void_p for a in sig] + ([ctypes.c_void_p] if self.cuda else [])
        return fn

    def __repr__(self):
        return "<myogen.Kernel %s (%s, %s, %s) at %s>" % (self.name, self.kind, self.target,
                                                          self.dtype_name, self.path)

    # ---- shapes -------------------------------------------------------------
    def shapes(self, **dims):
        """{tensor name: shape} for the run-time sizes given (batch=, heads=, ...)."""
        return layouts.table(self.kind, self.macros, dims)

    def dtype_of(self, tensor):
        """The dtype name of the tensor so named: the kernel's, but lse stays
        float32 beside 16-bit tensors (as FlashAttention keeps it)."""
        if tensor == "lse" and self.dtype_name in ("bfloat16", "float16"):
            return "float32"
        return self.dtype_name

    def signature(self, pass_):
        """The C arguments of NAME_<pass_>, in order (layouts.SIGNATURES; btt
        attention's LayerNorm affine where the kernel has it)."""
        return layouts.with_ln(layouts.SIGNATURES[self.kind][pass_], self.macros)

    def outputs(self, pass_):
        """The tensors NAME_<pass_> writes."""
        return layouts.with_ln(layouts.OUTPUTS[self.kind][pass_], self.macros)

    def func_name(self, pass_):
        return "%s_%s" % (self.name, pass_)

    def check(self, pass_, args):
        """Validate {name: (shape, dtype name)}; returns the run-time sizes."""
        dims = layouts.infer_dims(self.kind, self.macros, {n: s for n, (s, _) in args.items()})
        layouts.check(self.func_name(pass_), self.kind, self.macros, self.dtype_of, args, dims)
        return dims

    def plan(self, pass_, args):
        """(sizes, ((output, shape), ...), workspace bytes) for {name: (shape,
        dtype name)}: validated once per distinct set of shapes, then reused."""
        return self.prepare(pass_, args)[:3]

    def prepare(self, pass_, args):
        """plan()'s three and go(ptrs, stream=None), which calls NAME_<pass_> at
        those sizes as call() does (its argument list laid out once a plan:
        the per-call host time of the torch operators)."""
        sig = (pass_,) + tuple((n, tuple(s), d) for n, (s, d) in args.items())
        found = self._plans.get(sig)
        if found is None:
            dims = self.check(pass_, args)
            shapes = self.shapes(**dims)
            outs = tuple((n, shapes[n]) for n in self.outputs(pass_) if n in shapes)
            ws = self._workspace_bytes(dims)
            found = (dims, outs, ws, self._caller(pass_, dims, ws))
            if len(self._plans) > 1024:
                self._plans.clear()
            self._plans[sig] = found
        return found

    # ---- raw calls (pointers as ints) ---------------------------------------
    def _workspace_bytes(self, dims):
        a, b = (dims[d] if isinstance(d, str) else d for d in layouts.WORKSPACE_DIMS[self.kind])
        size = self._ws_size(a, b)
        if size == ctypes.c_size_t(-1).value:
            raise KernelError(self.name + "_workspace_size", 1)
        return size

    def _workspace_ptr(self, size):
        # reused per thread: the functions are reentrant, one buffer is not
        if size == 0:
            return None
        local = self._local
        if getattr(local, "size", 0) < size:
            local.buf = np.empty(size + 64, np.uint8)
            local.ptr = local.buf.ctypes.data + (-local.buf.ctypes.data) % 64
            local.size = size
        return local.ptr

    def workspace(self, dims):
        """Pointer to a 64-byte aligned scratch buffer large enough for dims
        (this thread's, shared by this kernel's calls in the thread)."""
        return self._workspace_ptr(self._workspace_bytes(dims))

    def function(self, pass_):
        """The ctypes function NAME_<pass_> (argument order: DESIGN.md 6)."""
        return self._fns[pass_]

    def call(self, pass_, ptrs, dims, workspace_bytes=None, stream=None):
        """Call NAME_<pass_> with {tensor name: address or None} and the sizes.
        CUDA: ptrs["ws"] is the device workspace (workspace_bytes long) and
        the call is enqueued on `stream` (a cudaStream_t as an int, 0: the
        legacy default); it returns before the GPU runs it, so a non-finite
        output (status 2) is not reported here: see status()."""
        if workspace_bytes is None:
            workspace_bytes = self._workspace_bytes(dims)
        self._caller(pass_, dims, workspace_bytes)(ptrs, stream)

    def _caller(self, pass_, dims, workspace_bytes):
        """go(ptrs, stream) calling NAME_<pass_> as call() does: the sizes
        placed once (prepare keeps it per shape), the pointers (and myo's
        struct of them) filled in per call."""
        fn, func = self._fns.get(pass_), self.func_name(pass_)
        sig = self.signature(pass_)
        fixed = [dims.get(a) for a in sig]
        tensors = [(i, a) for i, a in enumerate(sig) if a not in dims and a != "ws" and a[0] != "&"]
        structs = [(i, "d" if a == "&grads" else "") for i, a in enumerate(sig) if a[0] == "&"]
        ws_at = sig.index("ws") if "ws" in sig else None
        cuda = self.cuda

        def go(ptrs, stream=None):
            if fn is None:
                raise RuntimeError("%s has no backward: compile it with passes={'forward', "
                                   "'backward'}" % self.name)
            args = fixed[:]
            for i, a in tensors:
                args[i] = ptrs.get(a)
            if ws_at is not None:
                args[ws_at] = ptrs["ws"] if cuda else self._workspace_ptr(workspace_bytes)
            keep = [_MyoStruct(*[ptrs.get(prefix + f) for f in layouts.MYO_FIELDS])
                    for _, prefix in structs]
            for (i, _), s in zip(structs, keep):
                args[i] = ctypes.addressof(s)
            if cuda:
                args.append(stream)
            rc = fn(*args)
            if rc != 0:
                raise KernelError(func, rc)
        return go

    def status(self, workspace, stream=None):
        """CUDA: waits for `stream` and returns the code of the last call that
        used the device workspace (0, or 2 for a non-finite output)."""
        fn = self._symbol("status", ctypes.c_int)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        return fn(workspace, stream)

    # ---- numpy --------------------------------------------------------------
    def forward(self, *args):
        """myo: (params, u) -> y; mlr: (q, k, v) -> (o, lse); btt matmul:
        (W1, W2, x) -> y; btt attention: (x, W1, W2, v) -> (o, lse), with
        key_norm "layernorm_affine" (x, W1, W2, ln_weight, ln_bias, v)."""
        out = self._numpy("forward", args)
        if self.macros.get("LINK_IDENTITY"):  # mlr link "identity" writes no lse
            out["lse"][...] = 0
        return out["y"] if "y" in out else (out["o"], out["lse"])

    def backward(self, *args):
        """myo: (params, u, dy) -> (du, {field: grad}); mlr: (q, k, v, o, lse,
        dout) -> (dq, dk, dv); btt matmul: (W1, W2, x, dy) -> (dx, dW1, dW2);
        btt attention: (x, W1, W2, v, o, lse, dout) -> (dx, dW1, dW2, dv); with
        the affine (x, W1, W2, ln_weight, ln_bias, v, o, lse, dout) -> (dx, dW1,
        dW2, dln_weight, dln_bias, dv)."""
        out = self._numpy("backward", args)
        if self.kind == "myo":
            return out["du"], {k[1:]: v for k, v in out.items() if k != "du"}
        return tuple(out[n] for n in self.outputs("backward"))

    def _numpy(self, pass_, args):
        func = self.func_name(pass_)
        if self.cuda:
            raise TypeError("%s: a target cuda kernel takes CUDA tensors: call it through "
                            "myogen.torch" % func)
        names = layouts.with_ln(NUMPY_ARGS[self.kind][pass_], self.macros)
        if len(args) != len(names):
            raise TypeError("%s takes %d arguments (%s), got %d"
                            % (func, len(names), ", ".join(names), len(args)))
        inputs = dict(zip(names, args))
        if "params" in inputs:
            inputs.update(self._myo_params(func, inputs.pop("params")))
        arrays = {}
        for name, value in inputs.items():
            if not isinstance(value, np.ndarray):
                raise TypeError("%s: argument '%s': expected a numpy array, got %s"
                                % (func, name, type(value).__name__))
            arrays[name] = np.ascontiguousarray(value)
        _, out_shapes, _, go = self.prepare(pass_, {n: (a.shape, a.dtype.name)
                                                    for n, a in arrays.items()})
        outs = {n: np.empty(shape, self.dtype) for n, shape in out_shapes}
        ptrs = {n: a.ctypes.data for n, a in arrays.items()}
        ptrs.update((n, a.ctypes.data) for n, a in outs.items())
        go(ptrs)
        return outs

    def _myo_params(self, func, params):
        if not isinstance(params, dict):
            raise TypeError("%s: params: expected a dict of %s" % (func, ", ".join(layouts.MYO_FIELDS)))
        needed = layouts.myo_params(self.macros, 0, 0)
        for field in params:
            if field not in layouts.MYO_FIELDS:
                raise ValueError("%s: params: unknown field %r (fields: %s)"
                                 % (func, field, ", ".join(layouts.MYO_FIELDS)))
        missing = [f for f in needed if params.get(f) is None]
        if missing:
            raise ValueError("%s: params: missing %s" % (func, ", ".join(missing)))
        return {f: params[f] for f in needed}
