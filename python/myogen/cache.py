"""The kernel cache: one directory per key under $MYOGEN_CACHE (default
~/.cache/myogen), built in a temporary directory and renamed into place so
concurrent processes never see a half-written entry."""

import hashlib
import os
import shutil
import tempfile

builds = 0  # entries this process built (tests read it to prove reuse)


def root():
    path = os.environ.get("MYOGEN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "myogen")
    os.makedirs(path, exist_ok=True)
    return path


def key(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def entry(key_hex, build, complete="kernel.so"):
    """The directory of `key_hex`, calling build(tmpdir) first if it is missing.
    An entry is complete once its directory exists (the rename is atomic)."""
    global builds
    base = root()
    final = os.path.join(base, key_hex)
    if os.path.isfile(os.path.join(final, complete)):
        return final
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=base)
    try:
        build(tmp)
        builds += 1
        try:
            os.rename(tmp, final)
        except OSError:
            if not os.path.isfile(os.path.join(final, complete)):
                raise
            # another process won the race: its entry is as good as ours
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return final
