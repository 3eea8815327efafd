"""Every activation in fastact.ACTIVATIONS, timed against NumPy, SciPy and PyTorch.

Driven by the table: an activation added to fastact/_table.py appears here with
no new benchmark code.  For each activation, dtype (float32, float64), size (4K,
256K, 4M elements; 64M with --bench-large) and direction:

* ``forward_``  in place (the input is restored before every round, outside the
  timing: repeating an activation on its own output would change the data),
* ``forward``   out of place into a preallocated ``out``,
* ``backward``  into a preallocated ``out``; fastact reads x, ``fastact(y)`` reads
  the forward output where the table allows it,

one benchmark group (``--benchmark-group-by=group``, the default here) holds the
implementations side by side: ``fastact``, ``numpy`` (as a competent user writes
it, fastact/bench/baselines.py), ``scipy`` where scipy.special has the function,
``torch`` when PyTorch is installed, all on 1 thread; ``fastact-mt``/``torch-mt``
use every core (float32, 256K elements and up).  relu's in-place groups also
hold ``stream``: ``np.multiply(a, 1.0, out=a)``, the memory-bandwidth floor.
"""

import numpy as np
import pytest
from conftest import large_enabled

import fastact
from fastact.bench import baselines as B
from fastact.bench.report import Unavailable, parse_size, prepare, size_label

SIZES = ["4K", "256K", "4M"]
LARGE = "64M"
DTYPES = ["float32", "float64"]
DIRECTIONS = ["forward_", "forward", "backward"]
MT_THREADS = B.thread_count()

STREAM = B.Impl("stream", forward_=lambda x, p: np.multiply(x, 1.0, out=x),
                note="np.multiply(a, 1.0, out=a): in-place memory stream")


def _torch_installed():
    return B.library_version("torch") is not None


def _libraries(name, direction):
    libs = ["fastact"]
    if direction == "backward" and B.fastact_impl(name, "y") is not None:
        libs.append("fastact(y)")
    libs.append("numpy")
    if B.implementation(name, "scipy") is not None:
        libs.append("scipy")
    if not _torch_installed() or B.implementation(name, "torch") is not None:
        libs.append("torch")  # skipped cleanly when torch is absent
    return libs


def _cases(config):
    sizes = [s.strip().upper() for s in (config.getoption("--bench-sizes") or
                                          ",".join(SIZES)).split(",") if s.strip()]
    large = large_enabled(config)
    cases = []
    rows = []
    for name in fastact.ACTIVATIONS:
        rows.append((name, name, {}))
        rows += [(label, name, p) for label, p in B.VARIANTS.get(name, [])]
    for label, name, params in rows:
        for dtype in DTYPES:
            for size in sizes + ([LARGE] if large and dtype == "float32" else []):
                for direction in DIRECTIONS:
                    if size == LARGE and not (
                            name == "relu" and direction != "backward"
                            or label == "sigmoid" and direction == "forward_"):
                        continue
                    libs = _libraries(name, direction)
                    if name == "relu" and direction == "forward_":
                        libs.append("stream")
                    if dtype == "float32" and parse_size(size) >= 1 << 18 and MT_THREADS > 1:
                        libs += [f"{lib}-mt" for lib in ("fastact", "torch") if lib in libs]
                    for lib in libs:
                        cases.append((label, name, params, direction, dtype, size, lib))
    return cases


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        cases = _cases(metafunc.config)
        ids = [f"{c[0]}-{c[3]}-{c[4]}-{c[5]}-{c[6]}" for c in cases]
        metafunc.parametrize("case", cases, ids=ids)


def _rounds(prep, config):
    """Rounds for a pedantic (restore-per-round) run that fit benchmark_max_time."""
    import time

    t0 = time.perf_counter()
    prep.restore()
    prep.call()
    one = time.perf_counter() - t0
    max_time = float(config.getoption("benchmark_max_time"))
    min_rounds = int(config.getoption("benchmark_min_rounds"))
    return max(min_rounds, min(1000, int(max_time / max(one, 1e-7))))


def test_activation(benchmark, case, request):
    label, name, params, direction, dtype, size, lib = case
    base, _, mt = lib.partition("-")
    if base == "torch" and not _torch_installed():
        pytest.skip("PyTorch not installed (optional: pip install torch==2.13.0)")
    impl = STREAM if base == "stream" else (
        B.fastact_impl(name, "y") if base == "fastact(y)" else
        B.fastact_impl(name) if base == "fastact" else B.implementation(name, base))
    if impl is None:
        pytest.skip(f"{base} has no {name}")
    n = parse_size(size)
    try:
        prep = prepare(name, impl, direction, n, dtype, params=params)
    except Unavailable as exc:
        pytest.skip(str(exc))
    threads = MT_THREADS if mt else 1
    benchmark.group = f"{label} {direction} {dtype} {size_label(n)}"
    benchmark.name = lib
    benchmark.extra_info.update(
        activation=label, direction=direction, dtype=dtype, elements=prep.elements,
        bytes_moved=prep.bytes_moved, threads=threads, implementation=lib, note=impl.note)
    if prep.set_threads is not None:
        prep.set_threads(threads)
        request.addfinalizer(lambda: prep.set_threads(MT_THREADS if base == "fastact" else 1))
    with np.errstate(all="ignore"):
        if prep.restore is None:
            benchmark(prep.call)
        else:
            benchmark.pedantic(prep.call, setup=prep.restore,
                               rounds=_rounds(prep, request.config), warmup_rounds=1)


@pytest.mark.parametrize("lib", ["fastact", "numpy", "torch"])
@pytest.mark.parametrize("direction", ["forward_", "forward"])
def test_overhead_1000(benchmark, lib, direction):
    """Per-call cost on 1,000 elements: relu_ vs np.maximum(x, 0, out=x)."""
    x = (np.random.default_rng(0).standard_normal(1000) * 3).astype(np.float32)
    out = np.empty_like(x)
    if lib == "fastact":
        f = fastact.relu_ if direction == "forward_" else (lambda a: fastact.relu(a, out=out))
    elif lib == "numpy":
        f = (lambda a: np.maximum(a, 0, out=a)) if direction == "forward_" else (
            lambda a: np.maximum(a, 0, out=out))
    else:
        if not _torch_installed():
            pytest.skip("PyTorch not installed (optional: pip install torch==2.13.0)")
        import torch

        torch.set_num_threads(1)
        tx, tout = torch.from_numpy(x), torch.from_numpy(out)
        x = tx
        f = torch.relu_ if direction == "forward_" else (
            lambda a: torch.ops.aten.relu.out(a, out=tout))
    benchmark.group = f"overhead relu {direction} float32 1000"
    benchmark.name = lib
    # relu is idempotent: repeating it in place keeps the data's cost the same.
    benchmark(f, x)
