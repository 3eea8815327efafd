"""Run code in a fresh Python interpreter that imports this fastact: for what a
process decides once (threads from the environment, the kernel target at
import, a fork after the OpenMP pool has started)."""

import os
import signal
import subprocess
import sys

import pytest

import fastact

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(fastact.__file__)))


def run_python(code, timeout=120, **env):
    """``(returncode, stdout, stderr)`` of ``python -c code``.

    The child gets this environment without FASTACT_NUM_THREADS/OMP_NUM_THREADS,
    plus ``env``; it runs in its own process group, killed whole on timeout, so
    a hang fails the test instead of blocking the run."""
    full = {k: v for k, v in os.environ.items()
            if k not in ("FASTACT_NUM_THREADS", "OMP_NUM_THREADS")}
    full.update(env)
    full["PYTHONPATH"] = ROOT + os.pathsep + full.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-c", code], env=full, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"hung for {timeout} s (killed): a forked child blocked in OpenMP?")
    return proc.returncode, out, err


def python_words(code, timeout=120, **env):
    """The words ``python -c code`` prints; fails the test if it fails."""
    rc, out, err = run_python(code, timeout, **env)
    assert rc == 0, err
    return out.split()
