"""The build's own checks: generated docs/stubs in sync, kernels vectorized, config."""

import io
import os
import shutil
import subprocess
import sys

import pytest

import fastact

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_docs_and_stubs_match_the_table():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_docs.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_stubs_cover_every_public_function():
    with open(os.path.join(ROOT, "fastact", "__init__.pyi")) as f:
        stub = f.read()
    for name in fastact.__all__:
        assert f"def {name}(" in stub or f"{name}:" in stub or f" as {name}" in stub, name


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump not installed")
def test_every_kernel_is_vectorized():
    lib = fastact._kernels.__file__
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "check_simd.py"), lib],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # One row per kernel and dtype.
    assert r.stdout.count("_f32 ") == len(fastact._kernels.KERNELS)


def test_show_config_names_what_matters():
    buf = io.StringIO()
    fastact.show_config(file=buf)
    text = buf.getvalue()
    for word in ("fastact " + fastact.__version__, "flags", "SIMD level", "OpenMP", "threads"):
        assert word in text, word
    assert "-ffast-math" not in text
    assert "-O3" in text
