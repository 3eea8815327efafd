"""Row-wise family: fastact against SciPy, NumPy written by hand and PyTorch.

    pytest benchmarks/test_rowwise_bench.py --benchmark-only \
        --benchmark-columns=median,iqr,rounds --benchmark-sort=name

float32, shapes (64, 10), (64, 1000), (4096, 1024), (256, 32000) along the last axis, plus
axis=0 of (4096, 1024) (fastact's interleaved path: no transposing copy); 1 and 2
threads.  One benchmark group per (operation, shape, axis, threads), so the
libraries sit side by side.  Every library writes into a preallocated output where
its API allows (fastact and torch ``out=``); SciPy and the NumPy expressions
allocate, as their users' code does.  SciPy and NumPy are single-threaded, so
their two thread rows measure the same code (kept so each group is complete).
Issue 12's goals: forward >= 1.3x torch and >= 5x SciPy (1 thread), backward
>= 1.2x torch.  tools/bench_rowwise.py times the same calls (and softmin, and
float64) interleaved call by call, with ratios per round.
"""

import numpy as np
import pytest

import fastact

scipy_special = pytest.importorskip("scipy.special")
try:
    import torch
except ImportError:  # torch is optional: its rows are skipped
    torch = None

SHAPES = [((64, 10), -1), ((64, 1000), -1), ((4096, 1024), -1), ((256, 32000), -1),
          ((4096, 1024), 0)]
THREADS = [1, 2]
LIBS = ["fastact", "scipy", "numpy", "torch"]
OPS = ["softmax", "log_softmax"]

# Short runs: the file stays under ~3 minutes on 2 cores.
pytestmark = pytest.mark.benchmark(min_rounds=5, max_time=0.4, warmup=True,
                                   warmup_iterations=2)


def _data(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 4).astype(np.float32)


def _numpy_forward(op, axis):
    if op == "softmax":
        def run(x):
            e = np.exp(x - x.max(axis, keepdims=True))
            e /= e.sum(axis, keepdims=True)
            return e
    else:
        def run(x):
            s = x - x.max(axis, keepdims=True)
            s -= np.log(np.exp(s).sum(axis, keepdims=True))
            return s
    return run


def _numpy_backward(op, axis):
    if op == "softmax":
        return lambda g, y: y * (g - (g * y).sum(axis, keepdims=True))
    return lambda g, y: g - np.exp(y) * g.sum(axis, keepdims=True)


def _forward_call(lib, op, x, axis):
    """A no-argument callable computing op(x) along axis with lib."""
    if lib == "fastact":
        out, f = np.empty_like(x), getattr(fastact, op)
        return lambda: f(x, axis=axis, out=out)
    if lib == "scipy":
        f = getattr(scipy_special, op)
        return lambda: f(x, axis=axis)
    if lib == "numpy":
        f = _numpy_forward(op, axis)
        return lambda: f(x)
    t = torch.from_numpy(x)
    out, f = torch.empty_like(t), getattr(torch, op)
    return lambda: f(t, axis % x.ndim, out=out)


def _backward_call(lib, op, g, y, axis):
    if lib == "fastact":
        out, f = np.empty_like(g), getattr(fastact, op + "_backward")
        return lambda: f(g, y=y, axis=axis, out=out)
    if lib == "numpy":
        f = _numpy_backward(op, axis)
        return lambda: f(g, y)
    tg, ty = torch.from_numpy(g), torch.from_numpy(y)
    out, dim = torch.empty_like(tg), axis % g.ndim
    if op == "softmax":
        f = torch.ops.aten._softmax_backward_data.out
        return lambda: f(tg, ty, dim, torch.float32, grad_input=out)
    f = torch.ops.aten._log_softmax_backward_data.out
    return lambda: f(tg, ty, dim, torch.float32, out=out)


class _Threads:
    """fastact and torch run with n threads inside the block."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self._fastact = fastact.num_threads(self.n)
        self._fastact.__enter__()
        if torch is not None:
            self._torch = torch.get_num_threads()
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        if torch is not None:
            torch.set_num_threads(self._torch)
        return self._fastact.__exit__(*exc)


def _ids(case):
    (shape, axis) = case
    return f"{shape[0]}x{shape[1]}-axis{axis % 2}"


def _group(kind, op, shape, axis, n):
    return f"{op} {kind} {shape[0]}x{shape[1]} axis={axis % len(shape)} threads={n}"


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("case", SHAPES, ids=_ids)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_rowwise(benchmark, direction, op, case, threads, lib):
    shape, axis = case
    if lib == "torch" and torch is None:
        pytest.skip("torch is not installed")
    if lib == "scipy" and direction == "backward":
        pytest.skip("SciPy has no backward")
    x = _data(shape)
    if direction == "forward":
        call = _forward_call(lib, op, x, axis)
    else:
        call = _backward_call(lib, op, _data(shape, seed=1), getattr(fastact, op)(x, axis=axis),
                              axis)
    benchmark.group = _group(direction, op, shape, axis, threads)
    benchmark.extra_info["elements"] = x.size
    with _Threads(threads):
        benchmark(call)
