"""The system C compiler: its identity (part of the cache key) and the
command line that builds a generated kernel into a shared object."""

import functools
import os
import shlex
import subprocess


def command():
    """$CC as a command line (e.g. "ccache gcc"), default cc."""
    cc = os.environ.get("CC") or "cc"
    return [cc] if os.path.exists(cc) else shlex.split(cc)


@functools.lru_cache(maxsize=None)
def _version_line(cc):
    try:
        out = subprocess.run(list(cc) + ["--version"], capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError("C compiler %r not runnable (%s): set CC" % (" ".join(cc), e))
    lines = (out.stdout or out.stderr).splitlines()
    return lines[0] if lines else ""


def identity():
    cc = tuple(command())
    return "%s | %s" % (" ".join(cc), _version_line(cc))


def flags(target, openmp):
    """Flags for a kernel of `target` (DESIGN 5: the file names what it needs)."""
    out = ["-O3", "-fPIC", "-shared"]
    out += {"avx2": ["-mavx2", "-mfma"], "avx512": ["-mavx512f", "-mfma"]}.get(target, [])
    if openmp:
        out.append("-fopenmp")
    return out


def build(c_path, so_path, cflags):
    cmd = command() + list(cflags) + ["-o", so_path, c_path, "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("compiling %s failed:\n%s\n%s" % (c_path, " ".join(cmd), proc.stderr))
