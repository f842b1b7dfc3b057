"""myogen.compile: spec -> canonical spec -> cached generated + compiled
kernel -> loaded Kernel."""

import os
import re
import shutil
import tempfile
import threading

from . import binary, cache, cpu, cuda, spec as specmod, toolchain
from .errors import SpecError
from .kernel import Kernel

_loaded = {}  # cache key -> Kernel: one loaded library per kernel per process
_memo = {}    # (spec identity, overrides) -> Kernel
_lock = threading.Lock()


class _Source:
    """A spec as a file myogen reads: the user's path, or a dict written to a
    temporary file (its path is hidden from error messages)."""

    def __init__(self, spec):
        self.tmpdir = None
        if isinstance(spec, specmod.Canonical):
            self.tmpdir = tempfile.mkdtemp(prefix="myogen-spec-")
            self.path = os.path.join(self.tmpdir, "spec.lua")
            with open(self.path, "w") as f:
                f.write("return " + spec + "\n")
            self.display = (self.path, "<compiled spec>")
        elif specmod.is_path(spec):
            self.path = os.fspath(spec)
            if not os.path.isfile(self.path):
                raise FileNotFoundError("spec file %s not found" % self.path)
            self.display = None
        elif isinstance(spec, dict):
            self.tmpdir = tempfile.mkdtemp(prefix="myogen-spec-")
            self.path = os.path.join(self.tmpdir, "spec.lua")
            with open(self.path, "w") as f:
                f.write(specmod.lua_source(spec))
            self.display = (self.path, "<spec dict>")
        else:
            raise TypeError("spec: expected a dict or a path to a .lua file, got %s"
                            % type(spec).__name__)

    def close(self):
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def _identity(spec, overrides):
    """A hashable identity of (spec, overrides) for the in-process memo."""
    if isinstance(spec, specmod.Canonical):
        head = ("canonical", str(spec))
    elif specmod.is_path(spec):
        path = os.path.abspath(os.fspath(spec))
        st = os.stat(path)
        head = ("path", path, st.st_mtime_ns, st.st_size)
    elif isinstance(spec, dict):
        head = ("dict", specmod.lua_table(spec))
    else:
        return None
    return head + (specmod.lua_table(overrides),)


def compile(spec, **overrides):
    """Generate, build (or find in the cache) and load the kernel of `spec`.

    spec: a dict of spec fields or the path of a .lua spec; overrides: spec
    fields (myogen -D key=value; lists as lists).  The target is the best C
    target this CPU runs (avx512, avx2, neon, else c) unless target= is given here
    or in the dict (a spec file's own target is replaced: spec files often
    name the machine they were written for); target="cuda" builds the CUDA
    kernel with nvcc (for myogen.torch's CUDA tensors; its functions take
    device pointers and a stream; dtype bf16 and f16 build for cuda only, and
    a dict with one of them and no target builds there).  Raises SpecError with myogen's message for
    an invalid spec."""
    ident = _identity(spec, overrides)
    with _lock:
        if ident is not None and ident in _memo:
            return _memo[ident]
    kernel = _compile(spec, dict(overrides))
    with _lock:
        if ident is not None:
            _memo[ident] = kernel
    return kernel


def _targets(spec, overrides):
    explicit = overrides.get("target")
    if explicit is None and isinstance(spec, dict):
        explicit = spec.get("target")
    if explicit is None:
        dtype = overrides.get("dtype", spec.get("dtype") if isinstance(spec, dict) else None)
        # 16-bit storage exists on cuda only (DESIGN.md 3)
        return ["cuda"] if dtype in ("bf16", "f16") else cpu.usable_targets()
    if explicit == "cuda":
        return [explicit]
    if explicit not in cpu.TARGETS:
        raise ValueError("target %r: myogen.compile builds CPU kernels (one of %s) or cuda"
                         % (explicit, ", ".join(cpu.TARGETS)))
    if not cpu.supports(explicit):
        raise ValueError("target %r: this CPU lacks %s" % (explicit, " and ".join(cpu.NEEDS[explicit])))
    return [explicit]


def twin(kernel, target):
    """The kernel of the same canonical spec for another target (myogen.torch:
    a CPU kernel's CUDA twin for CUDA tensors)."""
    return compile(specmod.Canonical(kernel.spec), target=target)


def _compile(spec, overrides):
    exe = binary.find()
    source = _Source(spec)
    try:
        candidates = _targets(spec, overrides)
        for i, target in enumerate(candidates):
            defines = specmod.define_args(dict(overrides, target=target))
            try:
                canonical = binary.run(exe, ["check", source.path] + defines, source.display).strip()
                break
            except SpecError as e:
                # a kernel that lacks this target falls back to the next one
                if i + 1 == len(candidates) or "'target'" not in str(e):
                    raise
        gpu = target == "cuda"
        if gpu:
            cflags, tools = cuda.flags(), cuda.identity()
        else:
            openmp = re.search(r'\bthreads="openmp"', canonical) is not None
            cflags, tools = toolchain.flags(target, openmp), toolchain.identity()
        key = cache.key(canonical, binary.identity(exe), tools, " ".join(cflags))
        with _lock:
            if key in _loaded:
                return _loaded[key]

        def build(tmp):
            c_path = os.path.join(tmp, "kernel.cu" if gpu else "kernel.c")
            binary.run(exe, [source.path] + defines + ["-o", c_path], source.display)
            (cuda if gpu else toolchain).build(c_path, os.path.join(tmp, "kernel.so"), cflags)
            with open(os.path.join(tmp, "spec.txt"), "w") as f:
                f.write(canonical + "\n")

        path = cache.entry(key, build)
    finally:
        source.close()
    kernel = Kernel(path, canonical, key)
    with _lock:
        return _loaded.setdefault(key, kernel)
