"""The kernel cache is reused across processes and safe under concurrency."""

import os
import subprocess
import sys

import myogen

SCRIPT = r"""
import myogen, myogen.cache
k = myogen.compile({"kernel": "btt", "name": "cache_probe", "op": "matmul",
                    "arity": [2, 3], "state": 1, "dtype": "f64"})
print(myogen.cache.builds, k.path)
"""


def _run(cache_dir):
    env = dict(os.environ, MYOGEN_CACHE=str(cache_dir),
               PYTHONPATH=os.path.dirname(os.path.dirname(myogen.__file__)))
    return subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    builds, path = out.split()
    return int(builds), path


def test_second_process_reuses_the_cache(tmp_path):
    builds, path = _result(_run(tmp_path))
    assert builds == 1 and path.startswith(str(tmp_path))
    so = os.path.join(path, "kernel.so")
    mtime = os.stat(so).st_mtime_ns
    builds2, path2 = _result(_run(tmp_path))
    assert (builds2, path2) == (0, path)  # the compiler did not run again
    assert os.stat(so).st_mtime_ns == mtime


def test_concurrent_processes_share_one_entry(tmp_path):
    procs = [_run(tmp_path) for _ in range(3)]
    paths = {_result(p)[1] for p in procs}
    assert len(paths) == 1
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
