"""The build's own checks: generated docs/stubs in sync, kernels vectorized, config."""

import ast
import io
import json
import os
import platform
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastact

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
# tools/ sits next to tests/ in the repository and in the sdist.  Tests copied
# out on their own (to test an installed wheel) have no tools to run.
needs_tools = pytest.mark.skipif(
    not os.path.isfile(os.path.join(TOOLS, "check_simd.py")),
    reason="tools/ is not next to tests/ (tests copied out of the source tree): "
           "run from the repository or an unpacked sdist")
# check_simd reads objdump's x86-64 (AT&T) disassembly of ELF modules.
needs_x86_elf = pytest.mark.skipif(
    not (sys.platform.startswith("linux")
         and platform.machine().lower() in ("x86_64", "amd64")),
    reason="tools/check_simd.py reads x86-64 ELF disassembly (Linux x86-64 only)")


@needs_tools
def test_docs_and_stubs_match_the_table():
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "gen_docs.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_stubs_cover_every_public_function():
    # The stub next to the imported package: the source tree's, or the one the
    # wheel installed (so this also checks that the wheel ships it).
    with open(os.path.join(os.path.dirname(fastact.__file__), "__init__.pyi")) as f:
        stub = f.read()
    for name in fastact.__all__:
        assert (f"def {name}(" in stub or f"{name}:" in stub or f" as {name}" in stub
                or f"class {name}(" in stub or f"class {name}:" in stub), name


def _loops_file(target):
    import importlib.util
    return importlib.util.find_spec(f"fastact._loops_{target}").origin


@needs_tools
@needs_x86_elf
@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump not installed")
@pytest.mark.parametrize("target", fastact._dispatch.compiled_targets())
def test_every_kernel_is_vectorized(target):
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "check_simd.py"),
                        _loops_file(target)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [line.split()[0] for line in r.stdout.splitlines() if "_f32 " in line]
    # One row per kernel and dtype, one per run-of-rows twin (the counting
    # kernels' and prelu's: kernel2d_fn), and one per explicit-SIMD version
    # (pyx/simd/) the target has.
    twins = sorted(n[:-len("_2d_f32")] for n in rows if n.endswith("_2d_f32"))
    assert twins == sorted(k for k in fastact._kernels.KERNELS
                           if k.endswith("_count") or k.startswith("prelu_"))
    assert (sum(not n.startswith("simd:") for n in rows)
            == len(fastact._kernels.KERNELS) + len(twins))
    simd = sorted(n[len("simd:"):-len("_f32")] for n in rows if n.startswith("simd:"))
    # the row-wise SIMD functions (pyx/simd/fa_simd_rows_<target>.h): all or
    # none, with the phases of one long row's chunks (long_row_*)
    row_fns = [n for n in simd if n.endswith("_row") or n.startswith("long_row_")]
    assert row_fns in ([], ["log_softmax_bwd_row", "log_softmax_row", "long_row_exp",
                            "long_row_logout", "long_row_max", "long_row_scale",
                            "long_row_tail", "softmax_bwd_row", "softmax_row"])
    simd = [n for n in simd if n not in row_fns]
    assert simd == sorted(fastact._dispatch.explicit_simd(target=target))


@needs_tools
@needs_x86_elf
@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump not installed")
@pytest.mark.skipif("avx2" not in fastact._dispatch.compiled_targets()
                    or "baseline" not in fastact._dispatch.compiled_targets(),
                    reason="needs the x86-64 baseline and avx2 targets")
def test_check_simd_catches_code_above_the_target(tmp_path):
    """AVX2 code posing as the baseline is rejected (VEX instructions, ymm)."""
    fake = tmp_path / "_loops_baseline.so"
    shutil.copy(_loops_file("avx2"), fake)
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "check_simd.py"),
                        str(fake)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "VEX/EVEX" in r.stdout


@needs_tools
@needs_x86_elf
@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump not installed")
@pytest.mark.parametrize("module, clean", [("_kernels", True), ("_loops_avx2", False)])
def test_the_driver_runs_on_every_cpu(module, clean):
    """The driver holds no VEX/EVEX instruction (the check rejects AVX2 code)."""
    import importlib.util
    spec = importlib.util.find_spec(f"fastact.{module}")
    if spec is None:
        pytest.skip(f"no fastact.{module} in this build")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import check_simd; "
            "sys.exit(check_simd.check_driver(sys.argv[2]))")
    r = subprocess.run([sys.executable, "-c", code, TOOLS, spec.origin],
                       capture_output=True, text=True)
    assert (r.returncode == 0) == clean, r.stdout + r.stderr


def test_show_config_names_what_matters():
    buf = io.StringIO()
    fastact.show_config(file=buf)
    text = buf.getvalue()
    for word in ("fastact " + fastact.__version__, "flags", "SIMD level", "OpenMP", "threads",
                 "targets:", "chosen:", "CPU has:", "caches:", fastact._dispatch.current()):
        assert word in text, word
    assert "-ffast-math" not in text
    assert ("/O2" if sys.platform == "win32" else "-O3") in text   # MSVC, GCC/Clang


def test_stream_threshold_follows_the_last_level_cache():
    """Streamed out= from 1.5 x the last-level cache, within [48, 64] MiB
    (pyx/_kernels.pyx.tp, _FAR_BYTES: the two machines it was measured on),
    48 MiB where the cache is unknown; the driver starts with this machine's."""
    from fastact import _kernels as K
    MiB = 1 << 20
    assert K._stream_threshold(0) == 48 * MiB
    assert K._stream_threshold(8 * MiB) == 48 * MiB
    assert K._stream_threshold(32 * MiB) == 48 * MiB      # the EPYC VM
    assert K._stream_threshold(40 * MiB) == 60 * MiB
    assert K._stream_threshold(480 * MiB) == 64 * MiB     # the Xeon VM
    llc = K.last_level_cache()
    assert llc >= 0 and (llc == 0 or llc >= 1 << 16)      # a cache is at least 64 KiB
    now = K._set_stream_bytes(0)
    K._set_stream_bytes(now)
    assert now == K._stream_threshold(llc)
    from fastact._config import config
    assert config()["stream_bytes"] == now


# ---- the exhaustive sweep (python -m fastact.accuracy): its measuring stick ----

def test_sweep_ulp_error_is_measured_in_float32_ulps():
    from fastact.bench.ulp import ulp_error
    ref = np.array([1.0, 1.0, 1.5, 2.0 ** -130, 0.0, -3.0, 1e39, -1e39, 1.0])
    up = np.nextafter(np.float32(1), np.float32(2))
    got = np.array([1.0, up, 1.5 + 2 ** -23 * 3, 2.0 ** -130 + 2 ** -149, 0.0, -3.0,
                    np.inf, np.inf, np.nan], np.float32)
    err = ulp_error(got, ref, np.float32)
    # 1 ULP; 3 ULPs; 1 subnormal ULP; exact; overflow of a reference beyond
    # FLT_MAX is right only with the right sign; NaN is infinitely wrong.
    assert err.tolist() == [0, 1, 3, 1, 0, 0, 0, np.inf, np.inf]


def test_sweep_block_finds_a_planted_error(monkeypatch):
    from fastact.bench import accuracy
    x = np.linspace(-4, 4, 1001, dtype=np.float32)
    err, at = accuracy._block("sigmoid", "forward", x)
    assert err <= 2 and at in x
    # every limit at +-inf and huge inputs is judged (not NaN = infinitely wrong)
    specials = np.array([np.inf, -np.inf, 3e38, -3e38, 0.0, -0.0, 1e-45], np.float32)
    for name in accuracy.sweep_labels():
        for direction in ("forward", "backward"):
            assert accuracy._block(name, direction, specials)[0] <= 3, (name, direction)
    # a kernel 4 ULP off somewhere is reported there
    wrong = fastact.sigmoid(x)
    wrong[600] = np.nextafter(wrong[600], np.float32(2), dtype=np.float32)
    wrong[600] = np.float32(wrong[600]) + np.spacing(wrong[600]) * 3
    monkeypatch.setattr(fastact, "sigmoid", lambda v: wrong)
    err, at = accuracy._block("sigmoid", "forward", x)
    assert err > 3.5 and at == x[600]


def test_accuracy_others_compares_the_libraries(monkeypatch, capsys):
    from fastact.bench import accuracy
    monkeypatch.setattr(accuracy, "_sample", lambda seed=0: np.concatenate(
        [np.linspace(-90, 20, 20001, dtype=np.float32), np.float32([np.inf, -np.inf])]))
    accuracy.others(["sigmoid"], libraries=("numpy",))
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [r[:2] for r in rows] == [["sigmoid", "forward"], ["sigmoid", "backward"]]
    assert float(rows[0][2]) <= 2 and float(rows[1][2]) <= 3     # fastact's column
    # 1 / (1 + np.exp(-x)) loses the subnormal tail below x = -87: far beyond 2 ULP
    assert float(rows[0][5]) > 1000     # ["1.003", "[", "0.000%]", numpy ...]


@needs_tools
def test_expo_tables_cells(tmp_path):
    """tools/expo_tables.py: a cell is fastact's ns/element, `!` when the
    report flagged the row, and the ratios to NumPy (1 thread) and PyTorch
    (same threads); a missing row is '-'."""
    def row(impl, ns, threads=1, reliable=True):
        return {"activation": "sigmoid", "direction": "forward", "dtype": "float32",
                "size": 262144, "threads": threads, "impl": impl, "ns_per_element": ns,
                "reliable": reliable}
    report = {"results": [row("fastact", 0.5), row("numpy", 1.0), row("torch", 0.4),
                          row("fastact", 0.3, 2, reliable=False), row("torch", 0.6, 2)]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "expo_tables.py"), str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    line = next(s for s in r.stdout.splitlines() if s.startswith("| sigmoid | forward"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2:] == ["-", "-", "0.5 (2.0x np, 0.80x pt)", "0.3! (3.3x np, 2.00x pt)",
                         "-", "-"], cells


@needs_tools
@needs_x86_elf
@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump not installed")
def test_check_simd_loops_counts_the_elementwise_kernels():
    """--loops: (instructions, mul/fma-class, permutes) per loop body of each
    elementwise SIMD kernel; gelu's interval table shows as permutes (the
    common path's Phi(-a) table: 7 rows, 7 vpermt2ps)."""
    targets = [t for t in ("avx512", "avx2") if t in fastact._dispatch.compiled_targets()
               and "gelu_forward" in fastact._dispatch.explicit_simd(target=t)]
    if not targets:
        pytest.skip("no target of this build has the SIMD gelu")
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "check_simd.py"), "--loops",
                        _loops_file(targets[0])], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    line = next(s for s in r.stdout.splitlines() if s.split()[:1] == ["gelu_forward_f32"])
    # the kernel's main loop: the body with the most mul/fma-class instructions
    # (its others: the block's copy-out, the batches of out-of-range lanes)
    main = max(ast.literal_eval(line.split(None, 1)[1]), key=lambda t: (t[1], t[2]))
    assert main[0] > main[1] > 0 and main[2] >= 7, line


@needs_tools
def test_time_calls_modes():
    """tools/time_calls.py (the README's side-by-side timings): the elementwise
    calls, forward and backward, and the row-wise 2-threads-against-1 table."""
    tool = os.path.join(TOOLS, "time_calls.py")
    r = subprocess.run([sys.executable, tool, "sigmoid", "silu'", "--size", "4096",
                        "--rounds", "3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    words = r.stdout.split()
    assert words[0::2] == ["sigmoid", "silu'"] and all(float(v) > 0 for v in words[1::2])
    r = subprocess.run([sys.executable, tool, "tanh", "elu'", "numpy_relu", "--in-place",
                        "--size", "4096", "--rounds", "3", "--dtypes", "float32,float64"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["float32:", "float64:"], r.stdout
    assert all(line.split()[1::2] == ["tanh", "elu'", "numpy_relu"]
               and all(float(v) > 0 for v in line.split()[2::2]) for line in lines), r.stdout
    r = subprocess.run([sys.executable, tool, "--rows", "softmax", "--shapes", "1x70000,2x100",
                        "--dtypes", "float32,float64", "--rounds", "2"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    table = [line for line in r.stdout.splitlines() if line.startswith("| softmax")]
    assert len(table) == 4 and all(line.endswith("x |") for line in table)
    # --data (x's distribution) and, where PyTorch is installed, its kernels
    names = ["gelu", "gelu'"]
    try:
        import torch  # noqa: F401
        names += ["torch_gelu", "torch_gelu'"]
    except ImportError:
        pass
    for data in ("normal", "uniform30", "tail"):
        r = subprocess.run([sys.executable, tool, *names, "--data", data, "--size", "4096",
                            "--rounds", "3"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        words = r.stdout.split()
        assert words[0::2] == names and all(float(v) > 0 for v in words[1::2]), r.stdout
