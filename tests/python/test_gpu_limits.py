"""The schema's GPU local-memory limits (compiler/schema.c) against the
kernels the templates write: at the largest size the schema admits, every
local array of the generated OpenCL fits 48 KiB, and the next size is
refused (exit 2).  Dense myo trees (state N) and the attention kernels of
mlr and btt (value_dim).  The schema restates the templates' tile sizes
(myo/cl_layout.lua, lib/gpu_flash.lua): these tests fail if the two drift."""

import itertools
import os
import re
import subprocess

import pytest

from myogen import binary

LIMIT = 48 * 1024
LOCAL = re.compile(r"__local \w+ \w+\[(\d+)\]")


def _lua(fields):
    def value(v):
        if isinstance(v, str):
            return '"%s"' % v
        if isinstance(v, (list, tuple)):
            return "{" + ", ".join(value(x) for x in v) + "}"
        return str(v)
    return "return {" + ", ".join("%s = %s" % (k, value(v)) for k, v in fields.items()) + "}\n"


def _write(fields, tmp):
    path = os.path.join(tmp, "spec.lua")
    with open(path, "w") as f:
        f.write(_lua(fields))
    return path


def _check(fields, tmp):
    return subprocess.run([binary.find(), "check", _write(fields, tmp)],
                          capture_output=True).returncode


def _largest(fields, key, hi, tmp):
    """The largest value of key in 1..hi the schema admits (admitted sizes
    are a prefix: the kernels' local memory grows with each of them)."""
    lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _check(dict(fields, **{key: mid}), tmp) == 0:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _local_bytes(fields, tmp):
    """The largest local array of the kernels generated for fields, in bytes."""
    out = os.path.join(tmp, "k.c")
    subprocess.run([binary.find(), _write(fields, tmp), "-o", out], check=True,
                   capture_output=True)
    with open(os.path.join(tmp, "k.cl")) as f:
        sizes = [int(n) for n in LOCAL.findall(f.read())]
    return max(sizes, default=0) * (8 if fields["dtype"] == "f64" else 4)


def _at_limit(fields, key, hi, tmp):
    n = _largest(fields, key, hi, tmp)
    assert n >= 1, "no %s admitted: %s" % (key, fields)
    assert _local_bytes(dict(fields, **{key: n}), tmp) <= LIMIT, (key, n, fields)
    if n < hi:
        assert _check(dict(fields, **{key: n + 1}), tmp) == 2, (key, n + 1, fields)
    return n


PASSES = [["forward"], ["backward"], ["forward", "backward"]]
MYO = list(itertools.product([2, 3, 4, 16], ["f32", "f64"],
                             [("vertex", "siso"), ("level", "siso"), ("level", "none"),
                              ("input", "none")], PASSES))


@pytest.mark.parametrize("arity,dtype,share_readout,passes", MYO)
def test_myo_dense_state_limit(arity, dtype, share_readout, passes, tmp_path):
    share, readout = share_readout
    fields = dict(kernel="myo", name="k", target="opencl", dtype=dtype, arity=arity, depth=2,
                  state=1, share=share, readout=readout, block="dense", passes=passes)
    _at_limit(fields, "state", 64, str(tmp_path))


ATTENTION = dict(
    {"mlr_R%d" % r: dict(kernel="mlr", seq_len=16, arity=2, depth=1, state=r)
     for r in (1, 64, 600)},
    **{"btt_D%d" % (a * a): dict(kernel="btt", op="attention", seq_len=8, arity=[a, a],
                                 out_arity=[a, a], state=2) for a in (4, 24)})


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("name", list(ATTENTION))
def test_attention_value_dim_limit(name, dtype, tmp_path):
    spec = ATTENTION[name]
    fields = dict(spec, name="k", target="opencl", dtype=dtype, value_dim=1,
                  passes=["forward", "backward"])
    hi = 1024 if spec["kernel"] == "mlr" else 4096
    _at_limit(fields, "value_dim", hi, str(tmp_path))
