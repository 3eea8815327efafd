"""Typed and documented (issue 13): the stubs match the runtime (mypy's
stubtest), keep the dtype through every call, and every generated docstring's
example runs as written."""

import doctest
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastact
import fastact.ufunc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
ALLOWLIST = os.path.join(ROOT, "tools", "stubtest_allowlist.txt")
needs_config = pytest.mark.skipif(
    not (os.path.isfile(PYPROJECT) and os.path.isfile(ALLOWLIST)),
    reason="needs the repository's pyproject.toml and tools/ (tests copied out)")


def _mypy(*args, cwd=ROOT):
    pytest.importorskip("mypy")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastact.__file__)))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


@needs_config
def test_stubtest_is_clean(tmp_path):
    r = _mypy("mypy.stubtest", "fastact", "--mypy-config-file", PYPROJECT,
              "--allowlist", ALLOWLIST, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr


@needs_config
def test_stubs_keep_the_dtype(tmp_path):
    snippet = tmp_path / "uses.py"
    snippet.write_text(textwrap.dedent("""
        import numpy as np
        import numpy.typing as npt
        from typing_extensions import assert_type
        import fastact

        x32 = np.zeros(3, np.float32)
        x64 = np.zeros(3, np.float64)
        a32: npt.NDArray[np.float32] = np.zeros(3, np.float32)
        assert_type(fastact.relu(a32), npt.NDArray[np.float32])
        assert_type(fastact.gelu(np.zeros(3), approximate="tanh"), npt.NDArray[np.float64])
        assert_type(fastact.sigmoid(np.float32(1.0)), np.float32)
        assert_type(fastact.softmax(a32, axis=0), npt.NDArray[np.float32])
        assert_type(fastact.tanh_backward(a32, y=a32), npt.NDArray[np.float32])
        assert_type(fastact.maxout(x64, 3), npt.NDArray[np.float64])
        assert_type(fastact.prelu_backward(a32, a32, a32)[1], npt.NDArray[np.float32])
        same: npt.NDArray[np.float32] = fastact.relu_(a32)
        into: npt.NDArray[np.float32] = fastact.elu(x64, out=a32, alpha=2.0)
        assert_type(fastact.ufunc.sigmoid, np.ufunc)
        bad: npt.NDArray[np.int64] = fastact.relu(a32)  # E: a float32 array
    """))
    r = _mypy("mypy", "--config-file", PYPROJECT, "--cache-dir", str(tmp_path / "cache"),
              str(snippet))
    bad = 1 + snippet.read_text().splitlines().index(
        next(ln for ln in snippet.read_text().splitlines() if ln.startswith("bad:")))
    lines = [ln for ln in r.stdout.splitlines() if ": error:" in ln]
    assert len(lines) == 1 and f"uses.py:{bad}:" in lines[0], r.stdout


def _public():
    names = [n for n in fastact.__all__ if callable(getattr(fastact, n))
             and getattr(getattr(fastact, n), "__module__", "") == "fastact"]
    return ([(n, getattr(fastact, n)) for n in names]
            + [("ufunc." + n, getattr(fastact.ufunc, n)) for n in fastact.ufunc.__all__])


@pytest.mark.parametrize("name,obj", _public(), ids=[n for n, _ in _public()])
def test_docstrings_are_numpydoc_with_a_working_example(name, obj):
    doc = obj.__doc__
    for section in ("Parameters\n----------", "Returns\n-------", "Notes\n-----",
                    "Examples\n--------"):
        if name.startswith("ufunc.") or section != "Raises\n------":
            assert section in doc, (name, section)
    assert "ULP" in doc or "exact" in doc
    parser = doctest.DocTestParser()
    test = parser.get_doctest(doc, {"np": np, "fastact": fastact}, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 1, name
