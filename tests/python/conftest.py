"""Test session setup: kernels go to one cache per session (or
$MYOGEN_TEST_CACHE, which ctest points into the build directory), and the
package is imported from the source tree when it is not installed."""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["MYOGEN_CACHE"] = os.environ.get("MYOGEN_TEST_CACHE") or tempfile.mkdtemp(
    prefix="myogen-test-cache-")
try:
    import myogen  # noqa: F401  (the installed package)
except ImportError:
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import torch  # noqa: E402

torch.set_num_threads(1)  # tiny tensors: thread wake-ups would dominate (2 shared cores)
