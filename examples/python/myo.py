"""numpy + ctypes binding of a myogen-generated `myo` kernel (DESIGN.md 6.1).

    kernel = build_kernel(myogen, "myo_layer.lua", workdir)   # generate + compile + load
    layer = MyoLayer(kernel, channels=4, params=...)          # params: dict of numpy arrays
    y = layer.forward(u)                                      # u: [batch][L][channels]
    du, grads = layer.backward(u, dy)                         # grads of sum(dy * y)

Supports readout="siso" kernels with share "level" or "vertex", diag or dense
blocks, symmetric or not, f32 or f64.
"""

import ctypes
import os
import re
import shlex
import subprocess

import numpy as np

PARAM_NAMES = ("A", "B", "C", "Bin", "Cout", "D")


class MyoError(RuntimeError):
    """A kernel call returned nonzero: 1 invalid argument, 2 pivot failure."""

    MESSAGES = {1: "invalid argument", 2: "zero or non-finite pivot"}

    def __init__(self, func, code):
        self.code = code
        super().__init__("%s returned %d (%s)" % (func, code, self.MESSAGES.get(code, "unknown error")))


def parse_header(path):
    """The kernel's name and its NAME_* integer macros from the generated header."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"size_t\s+(\w+)_workspace_size\s*\(", text)
    if not m:
        raise ValueError("%s: no NAME_workspace_size declaration" % path)
    name = m.group(1)
    macros = {key: int(val) for key, val in
              re.findall(r"^#define\s+%s_([A-Z0-9_]+)\s+(-?\d+)\s*$" % re.escape(name), text, re.M)}
    for key in ("ARITY", "DEPTH", "STATE", "SEQ_LEN", "VERTICES", "PARAM_SETS",
                "READOUT_SISO", "SYMMETRIC", "SHARE_INPUT", "DTYPE_F64"):
        if key not in macros:
            raise ValueError("%s: macro %s_%s missing" % (path, name, key))
    return name, macros


def build_kernel(myogen, spec, workdir, cc="cc", cflags=("-O2",), defines=None):
    """Generate the kernel of `spec` into workdir with myogen, compile it to a
    shared library with `cc` (a command line, split like a shell would) and load it.
    `defines` overrides spec fields (myogen -D key=value)."""
    os.makedirs(workdir, exist_ok=True)
    base = os.path.join(workdir, "kernel")
    cmd = [myogen, spec, "-o", base + ".c"]
    for key, val in (defines or {}).items():
        cmd += ["-D", "%s=%s" % (key, val)]
    subprocess.run(cmd, check=True)
    lib = base + ".so"
    cc_cmd = [cc] if os.path.exists(cc) else shlex.split(cc)  # a path, or e.g. "ccache gcc"
    subprocess.run(cc_cmd + list(cflags) + ["-shared", "-fPIC", "-o", lib, base + ".c", "-lm"],
                   check=True)
    return MyoKernel(lib, base + ".h")


class MyoKernel:
    """A loaded kernel library and the constants of its header."""

    def __init__(self, lib_path, header_path):
        self.name, self.macros = parse_header(header_path)
        m = self.macros
        if not m["READOUT_SISO"] or m["SHARE_INPUT"]:
            raise NotImplementedError("MyoLayer binds readout=\"siso\" kernels with share \"level\" or \"vertex\"")
        self.arity, self.depth, self.state = m["ARITY"], m["DEPTH"], m["STATE"]
        self.seq_len, self.vertices, self.param_sets = m["SEQ_LEN"], m["VERTICES"], m["PARAM_SETS"]
        self.symmetric = bool(m["SYMMETRIC"])
        self.dense = bool(m.get("BLOCK_DENSE", 0))
        self.dtype = np.float64 if m["DTYPE_F64"] else np.float32
        real = ctypes.c_double if m["DTYPE_F64"] else ctypes.c_float
        self._ptr = ctypes.POINTER(real)

        class Params(ctypes.Structure):
            _fields_ = [(f, ctypes.POINTER(real)) for f in PARAM_NAMES]

        self.Params = self.Grads = Params  # same layout: six pointers
        self.lib = ctypes.CDLL(os.path.abspath(lib_path))
        sym = lambda s: getattr(self.lib, "%s_%s" % (self.name, s))
        self._ws_size = sym("workspace_size")
        self._ws_size.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        self._ws_size.restype = ctypes.c_size_t
        sz, p = ctypes.c_size_t, ctypes.POINTER(Params)
        self._forward = sym("forward")
        self._forward.argtypes = [p, self._ptr, self._ptr, sz, sz, ctypes.c_void_p]
        self._forward.restype = ctypes.c_int
        self._backward = getattr(self.lib, "%s_backward" % self.name, None)
        if self._backward is not None:
            self._backward.argtypes = [p, self._ptr, self._ptr, self._ptr, p, sz, sz, ctypes.c_void_p]
            self._backward.restype = ctypes.c_int

    def param_shapes(self, channels):
        blk = (self.state, self.state) if self.dense else (self.state,)
        tree = (self.param_sets, channels) + blk
        return {"A": tree, "B": tree, "C": tree,
                "Bin": (channels, self.state), "Cout": (channels, self.state), "D": (channels,)}

    def workspace(self, batch, channels):
        """A 64-byte aligned scratch buffer (numpy array) for (batch, channels)."""
        n = self._ws_size(batch, channels)
        raw = np.zeros(n + 64, dtype=np.uint8)
        off = (-raw.ctypes.data) % 64
        return raw[off:off + n]


class MyoLayer:
    """A Myo layer: parameters as numpy arrays, forward and backward through the kernel."""

    def __init__(self, kernel, channels, params=None):
        self.kernel, self.channels = kernel, channels
        self.shapes = kernel.param_shapes(channels)
        self.params = {}
        for f, shape in self.shapes.items():
            if kernel.symmetric and f == "C":
                continue  # C = B^T: unused
            self.params[f] = np.zeros(shape, kernel.dtype)
        if params:
            self.set_params(params)
        self._ws = {}

    def set_params(self, params):
        for f, v in params.items():
            if f in self.params:
                self.params[f] = np.array(v, dtype=self.kernel.dtype, order="C").reshape(self.shapes[f])

    def _workspace(self, batch):
        if batch not in self._ws:
            self._ws[batch] = self.kernel.workspace(batch, self.channels)
        return self._ws[batch]

    def _struct(self, arrays):
        k = self.kernel
        return k.Params(*[arrays[f].ctypes.data_as(k._ptr) if f in arrays else None for f in PARAM_NAMES])

    def _input(self, u):
        u = np.ascontiguousarray(u, dtype=self.kernel.dtype)
        if u.ndim != 3 or u.shape[1:] != (self.kernel.seq_len, self.channels):
            raise ValueError("expected [batch][%d][%d], got %s" % (self.kernel.seq_len, self.channels, u.shape))
        return u

    def forward(self, u):
        k = self.kernel
        u = self._input(u)
        y = np.empty_like(u)
        ws = self._workspace(u.shape[0])
        p = self._struct(self.params)
        rc = k._forward(ctypes.byref(p), u.ctypes.data_as(k._ptr), y.ctypes.data_as(k._ptr),
                        u.shape[0], self.channels, ws.ctypes.data)
        if rc:
            raise MyoError(k.name + "_forward", rc)
        return y

    def backward(self, u, dy):
        """(du, grads) for the gradient of sum(dy * forward(u)); grads summed over the batch."""
        k = self.kernel
        if k._backward is None:
            raise NotImplementedError("kernel generated without passes={\"forward\", \"backward\"}")
        u = self._input(u)
        dy = self._input(dy)
        if dy.shape != u.shape:
            raise ValueError("dy shape %s != u shape %s" % (dy.shape, u.shape))
        du = np.empty_like(u)
        grads = {f: np.empty_like(v) for f, v in self.params.items()}
        ws = self._workspace(u.shape[0])
        p, g = self._struct(self.params), self._struct(grads)
        rc = k._backward(ctypes.byref(p), u.ctypes.data_as(k._ptr), dy.ctypes.data_as(k._ptr),
                         du.ctypes.data_as(k._ptr), ctypes.byref(g), u.shape[0], self.channels, ws.ctypes.data)
        if rc:
            raise MyoError(k.name + "_backward", rc)
        return du, grads
