"""The CUDA toolchain (target "cuda", DESIGN.md 6.4): nvcc, its identity
(part of the cache key) and the command that builds a generated NAME.cu into
a shared object.  nvcc is $MYOGEN_NVCC, else on PATH, else under $CUDA_HOME,
else the one PyPI's nvidia-cuda-nvcc wheel installs beside torch."""

import functools
import glob
import os
import shutil
import subprocess


@functools.lru_cache(maxsize=None)
def nvcc():
    candidates = [os.environ.get("MYOGEN_NVCC"), shutil.which("nvcc")]
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home:
            candidates.append(os.path.join(home, "bin", "nvcc"))
    try:
        import nvidia  # the namespace package of NVIDIA's PyPI wheels
        for root in nvidia.__path__:
            candidates += sorted(glob.glob(os.path.join(root, "*", "bin", "nvcc")), reverse=True)
    except ImportError:
        pass
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise RuntimeError("target cuda: nvcc not found: set MYOGEN_NVCC, put nvcc on PATH, set "
                       "CUDA_HOME, or pip install nvidia-cuda-nvcc")


@functools.lru_cache(maxsize=None)
def identity():
    out = subprocess.run([nvcc(), "--version"], capture_output=True, text=True).stdout
    return "%s | %s" % (nvcc(), out.strip().splitlines()[-1] if out.strip() else "")


def arch():
    """The GPU to compile for: $MYOGEN_CUDA_ARCH (e.g. sm_90), else the current
    torch device's compute capability, else nvcc's -arch=native."""
    env = os.environ.get("MYOGEN_CUDA_ARCH")
    if env:
        return env
    try:
        import torch
        if torch.cuda.is_available():
            major, minor = torch.cuda.get_device_capability()
            return "sm_%d%d" % (major, minor)
    except ImportError:
        pass
    return "native"


def flags():
    # the CUDA runtime linked statically: the .so needs no libcudart on the
    # loader's path, and it shares the driver's primary context with torch's
    return ["-O3", "-arch=" + arch(), "-Xcompiler", "-fPIC", "-shared", "-cudart", "static"]


def build(cu_path, so_path, cflags):
    cmd = [nvcc()] + list(cflags) + ["-o", so_path, cu_path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("compiling %s failed:\n%s\n%s%s" % (cu_path, " ".join(cmd),
                                                               proc.stdout, proc.stderr))
