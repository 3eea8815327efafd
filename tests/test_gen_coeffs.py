"""The math layer's polynomial constants against their generator, tools/gen_coeffs.py.

Every coefficient block of pyx/_vmath.pxd and pyx/_exponential.pxd, its copies
in the explicit-SIMD headers (pyx/simd/) and the tanh interval table are what
the script's fits give (SLEEF's model: gencoef output checked in).  The fits
take minutes (60-digit Lawson iterations, one refit per rounded coefficient),
so the default run compares the sources with the fits the script recorded
(tools/gen_coeffs_fits.json, written by ``--record``); the slow test refits.
"""

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tools", "gen_coeffs.py")

pytestmark = pytest.mark.skipif(
    not os.path.isfile(SCRIPT),
    reason="tools/ is not next to tests/ (tests copied out of the source tree)")


def _gen_coeffs():
    pytest.importorskip("mpmath")
    spec = importlib.util.spec_from_file_location("gen_coeffs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sources_match_the_recorded_fits():
    pytest.importorskip("mpmath")
    r = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("0 difference(s)"), r.stdout


def test_every_table_is_recorded_and_located():
    g = _gen_coeffs()
    record = g._load_record()
    assert sorted(record) == sorted(g.TABLES)
    for name, fits in record.items():
        for tag in fits:
            assert (name, tag) in g.BLOCKS, (name, tag)


def test_check_names_a_changed_constant(tmp_path):
    """A constant edited by hand in a .pxd (or its SIMD copy) fails the check,
    which names the function, the constant and both values."""
    g = _gen_coeffs()
    fits = g._load_record()["expm1"]
    for path in (g.VMATH, g.AVX512, g.AVX2, g.AVX512_F64):
        os.makedirs(tmp_path / os.path.dirname(path), exist_ok=True)
        shutil.copy(os.path.join(ROOT, path), tmp_path / path)
    assert g.check("expm1", fits, root=tmp_path) == []
    c2 = g._num(fits["f32"][2])
    edited = g._num(float(fits["f32"][2]) * (1 + 2 ** -20))
    for path in (g.VMATH, g.AVX2):
        text = (tmp_path / path).read_text()
        assert text.count(c2) == 1
        (tmp_path / path).write_text(text.replace(c2, edited))
    problems = g.check("expm1", fits, root=tmp_path)
    assert len(problems) == 2, problems
    assert "_expm1_kernel_f32: c2 = " + edited in problems[0]
    assert "fa256_expm1_kernel: c2 = " + edited in problems[1]
    assert all(p.endswith("gives " + c2) for p in problems)


def test_emitted_blocks_are_the_sources_lines():
    """--emit prints each block's constant lines exactly as the sources hold them."""
    g = _gen_coeffs()
    for name in ("expm1", "gelu_root", "tanh_intervals"):
        lines = g.emit(name, g._load_record()[name]).split("\n")
        path = None
        for line in lines:
            if line.startswith("# "):
                path = os.path.join(ROOT, line[2:].split(",")[0])
                with open(path) as f:
                    source = f.read().split("\n")
                continue
            assert line in source, (path, line)


@pytest.mark.slow
def test_recorded_fits_are_what_the_script_fits():
    """Refit every table (45 minutes on a busy 2-core host) and compare."""
    pytest.importorskip("mpmath")
    r = subprocess.run([sys.executable, SCRIPT, "--check", "--refit"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
