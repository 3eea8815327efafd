"""The kernel tests on every other target this CPU runs.

The rest of the suite runs on the target chosen at import (the best one, or
FASTACT_CPU's).  Here the kernel tests (every activation against the
independent references and bounds, edges and specials, layouts, in place ==
out= == new array, 1 thread == 2 threads bitwise) run again, in a child
process, with each other supported target forced by FASTACT_CPU.  Tests that
check the driver, the Python API or the tools are target-independent and are
not repeated.  Skipped in a child process already forcing a target.
"""

import os
import subprocess
import sys

import pytest

from fastact import _dispatch

HERE = os.path.dirname(os.path.abspath(__file__))

# The tests whose outcome depends on the kernels' machine code.
KERNEL_TESTS = [
    "test_semantics.py",      # piecewise formulas, edges, specials
    "test_exponential.py",    # exponential family vs float64 / long double / mpmath
    "test_gelu_mish.py",      # gelu, gelu_tanh, mish: roots, tails, windows
    "test_rowwise.py",        # softmax / log_softmax / softmin / maxout
    "test_prelu.py",
    "test_layouts.py",        # every layout hits the contiguous or strided loop
    "test_equivalence.py",    # in place == out= == new; 1 == 2 threads, bitwise
    "test_monitor.py",        # the counting kernels (DeadUnitMonitor)
]

OTHERS = [t for t in _dispatch.supported_targets() if t != _dispatch.current()]


@pytest.mark.skipif(bool(os.environ.get("FASTACT_CPU")),
                    reason="this run forces one target (FASTACT_CPU)")
@pytest.mark.parametrize("target", OTHERS)
def test_kernel_tests_pass_on_target(target):
    env = dict(os.environ, FASTACT_CPU=target)
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
           *[os.path.join(HERE, name) for name in KERNEL_TESTS]]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    tail = "\n".join((r.stdout + r.stderr).splitlines()[-40:])
    assert r.returncode == 0, f"FASTACT_CPU={target}:\n{tail}"
    assert " passed" in r.stdout and " failed" not in r.stdout, tail
