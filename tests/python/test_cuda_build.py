"""The CUDA target's build path without a GPU (CI): myogen.compile with
target="cuda" generates NAME.cu, compiles it with nvcc (for sm_90 here: no
device to ask) into a shared object that loads without a GPU (the CUDA
runtime is linked statically), and the resulting kernel refuses what it
cannot run: numpy arrays and CPU tensors.  Skipped where there is no nvcc;
test_cuda.py runs the kernels where there is a GPU."""

import os

import numpy as np
import pytest
import torch

import cases
import myogen
import myogen.build
import myogen.cuda
import myogen.torch as mt


def _nvcc():
    try:
        return myogen.cuda.nvcc()
    except RuntimeError:
        return None


pytestmark = pytest.mark.skipif(_nvcc() is None, reason="no nvcc")


@pytest.fixture(autouse=True)
def _arch(monkeypatch):
    if not torch.cuda.is_available():
        monkeypatch.setenv("MYOGEN_CUDA_ARCH", "sm_90")


def test_cuda_kernel_builds_and_loads():
    k = myogen.compile(cases.spec("mlr_t24", torch.float32), target="cuda")
    assert k.cuda and k.target == "cuda" and k.has_backward
    assert os.path.isfile(os.path.join(k.path, "kernel.cu"))
    # the same spec for the CPU is another cache entry
    cpu = myogen.compile(cases.spec("mlr_t24", torch.float32))
    assert cpu.key != k.key and not cpu.cuda
    # sizes are host arithmetic: NAME_workspace_size runs without a device
    assert k._workspace_bytes({"batch": 2, "heads": 3}) > 0
    q, kk, v = cases.inputs("mlr_t24", torch.float32)
    with pytest.raises(TypeError, match="CUDA tensors"):
        k.forward(q.numpy(), kk.numpy(), v.numpy())
    with pytest.raises(ValueError, match="a cuda kernel runs CUDA tensors"):
        mt.mlr(k, q, kk, v)


def test_cuda_twin_of_a_cpu_kernel():
    cpu = cases.kernel("btt_mm", torch.float64)
    twin = myogen.build.twin(cpu, "cuda")
    assert twin.cuda and twin.name == cpu.name and twin.dtype == np.float64
    assert myogen.build.twin(cpu, "cuda") is twin  # built once per process


def test_16bit_kernels_build_for_cuda():
    """dtype bf16 and f16 (mlr, btt matmul) build for cuda, the default for a
    dict naming no target; lse stays float32; a CPU target is refused."""
    k = myogen.compile(dict(cases.spec("mlr_t24", torch.float32), name="mlr_t24_bf16",
                            dtype="bf16"))
    assert k.cuda and k.dtype_name == "bfloat16" and k.dtype is None
    assert k.dtype_of("q") == "bfloat16" and k.dtype_of("lse") == "float32"
    b = myogen.compile(dict(cases.spec("btt_mm", torch.float32), name="btt_mm_f16", dtype="f16"))
    assert b.cuda and b.dtype == np.float16
    with pytest.raises(myogen.SpecError, match="field 'dtype'"):
        myogen.compile(dict(cases.spec("mlr_t24", torch.float32), dtype="bf16"), target="c")
