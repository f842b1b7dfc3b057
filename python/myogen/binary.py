"""Finding and running the myogen compiler binary."""

import functools
import hashlib
import os
import shutil
import subprocess

from .errors import SpecError

_HERE = os.path.dirname(os.path.abspath(__file__))


def find():
    """Path of the myogen binary: the one installed with the package, else
    $MYOGEN, else PATH, else build/compiler/myogen of a source checkout."""
    candidates = [os.path.join(_HERE, "bin", "myogen"), os.environ.get("MYOGEN")]
    candidates.append(shutil.which("myogen"))
    repo = os.path.dirname(os.path.dirname(_HERE))  # python/myogen -> repository root
    candidates.append(os.path.join(repo, "build", "compiler", "myogen"))
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        "myogen binary not found: install the package with `pip install .`, set MYOGEN "
        "to the binary, put it on PATH, or build it (cmake --build build --target myogen)")


@functools.lru_cache(maxsize=None)
def identity(path):
    """`myogen --version` plus a hash of the binary: a rebuilt compiler with new
    templates but the same version still gets fresh cache entries."""
    version = subprocess.run([path, "--version"], check=True, capture_output=True,
                             text=True).stdout.strip()
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return "%s sha256:%s" % (version, digest)


def run(path, args, display=None):
    """Run myogen; exit 2 raises SpecError with its one-line message (a temporary
    spec file's path replaced by `display`), other failures RuntimeError."""
    proc = subprocess.run([path] + list(args), capture_output=True, text=True)
    if proc.returncode == 0:
        return proc.stdout
    message = proc.stderr.strip()
    if display:
        message = message.replace(display[0], display[1])
    if proc.returncode == 2:
        raise SpecError(message)
    raise RuntimeError("myogen %s failed (exit %d): %s" % (" ".join(args), proc.returncode, message))
