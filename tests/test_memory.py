"""In-place calls allocate no array-sized temporary; out-of-place calls
allocate about their result (NumPy reports its buffers to tracemalloc)."""

import gc
import os
import tracemalloc

import numpy as np
import pytest
from refcheck import elementwise_names

import fastact

N = 4 << 20                      # 4M float32 = 16 MiB
SMALL = 1 << 20                  # "no temporary": well under 1 MiB


def peak_of(call):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, result


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(N, dtype=np.float32) * 3
    g = rng.standard_normal(N, dtype=np.float32)
    return x, g


def test_tracemalloc_sees_numpy_buffers(big):
    """Guard: if NumPy stopped reporting to tracemalloc, every check below
    would pass vacuously."""
    x, _ = big
    extra, _ = peak_of(lambda: x * 2)
    assert extra >= x.nbytes


@pytest.mark.parametrize("name", elementwise_names())
def test_memory(name, big):
    x, g = big
    nbytes = x.nbytes
    spec = fastact.ACTIVATIONS[name]
    xc, gc = x.copy(), g.copy()
    for what, call in (
        ("in place", lambda: getattr(fastact, name + "_")(xc)),
        ("out=x", lambda: getattr(fastact, name)(xc, out=xc)),
        ("backward in place", lambda: getattr(fastact, name + "_backward_")(gc, x=x)),
    ):
        extra, _ = peak_of(call)
        assert extra < SMALL, f"{name} {what} allocated {extra} bytes"
    for what, call in (
        ("out of place", lambda: getattr(fastact, name)(x)),
        ("backward", lambda: getattr(fastact, name + "_backward")(g, x=x)),
    ):
        extra, result = peak_of(call)
        assert nbytes <= extra < nbytes + SMALL, f"{name} {what} allocated {extra} bytes"
        del result
    if spec.accepts_y():
        extra, _ = peak_of(lambda: getattr(fastact, name + "_backward_")(gc, y=x))
        assert extra < SMALL, f"{name} backward from y in place allocated {extra} bytes"


def test_memory_prelu(big):
    x, g = big
    x2 = x.reshape(64, 16, -1)
    w = np.linspace(0.1, 0.4, 16, dtype=np.float32)
    xc = x2.copy()
    extra, _ = peak_of(lambda: fastact.prelu_(xc, w))
    assert extra < SMALL, f"prelu_ allocated {extra} bytes"
    extra, _ = peak_of(lambda: fastact.prelu(x2, w))
    assert x.nbytes <= extra < x.nbytes + SMALL
    extra, _ = peak_of(lambda: fastact.prelu_backward(g.reshape(x2.shape), x2, w))
    assert x.nbytes <= extra < x.nbytes + SMALL, f"prelu_backward allocated {extra} bytes"


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _call_mix():
    """One round of calls through every kind of entry point and of the driver's
    paths (buffered overlap, unaligned copy, subclass views, row-wise, prelu's
    channel sums) and through the error paths (each raises, caught here)."""
    x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6)
    g = np.ones_like(x)
    m = np.asmatrix(x.astype(np.float64))
    raw = np.zeros(24 * 4 + 1, np.uint8)[1:].view(np.float32)     # unaligned
    calls = [
        lambda: fastact.relu(x), lambda: fastact.gelu_backward(g, x=x),
        lambda: fastact.softplus(x, beta=2.0), lambda: fastact.leaky_relu_(x.copy()),
        lambda: fastact.sigmoid_backward_(g.copy(), y=fastact.sigmoid(x)),
        lambda: fastact.softmax(m, axis=0), lambda: fastact.log_softmax_backward(g, y=x),
        lambda: fastact.maxout(x, 3), lambda: fastact.maxout_backward(g[:, :2], x=x, pieces=3),
        lambda: fastact.prelu_backward(g, x, np.full(6, 0.25, np.float32)),
        lambda: fastact.tanh(x[:, ::-1], out=x.copy()[:, ::-1]),
        lambda: fastact.elu(x[:, :5], out=np.empty((4, 5), np.float32)),
        lambda: fastact.selu(raw),
    ]
    buf = x.copy()
    calls.append(lambda: fastact.relu(buf[:, :5], out=buf[:, 1:]))       # buffered overlap
    # dead-unit monitoring: the counting driver's counters and channel arrays
    mon, per_channel = fastact.DeadUnitMonitor(), fastact.DeadUnitMonitor(per_channel=True)
    calls += [
        lambda: fastact.relu_(x.copy(), monitor=mon),
        lambda: fastact.leaky_relu(x.T, monitor=fastact.DeadUnitMonitor(per_channel=True)),
        lambda: fastact.relu6(x, out=np.empty_like(x), monitor=per_channel),
        lambda: fastact.prelu(x, np.full(6, 0.25, np.float32), monitor=per_channel),
    ]
    errors = [
        lambda: fastact.relu(x.astype(np.int32)),
        lambda: fastact.relu(np.ma.masked_array(x)),
        lambda: fastact.softmax(x, axis=2**40),
        lambda: fastact.maxout(x, 10**30),
        lambda: fastact.celu(x, alpha=1e-46),
        lambda: fastact.relu_backward(g, x=x[:, :5]),
        lambda: fastact.relu(x, out=np.zeros((4, 6))),
        lambda: fastact.leaky_relu_backward(g, y=x, negative_slope=-1.0),
        lambda: fastact.relu(x, monitor="yes"),
        lambda: fastact.relu(x.T, monitor=per_channel),     # 4 channels, not 6
    ]
    for c in calls:
        c()
    for c in errors:
        try:
            c()
        except (TypeError, ValueError):
            pass
        else:  # pragma: no cover
            raise AssertionError("an error path did not raise")
    return len(calls) + len(errors)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_no_leak_over_100k_calls():
    """RSS stays flat over 100 k calls, error paths included (a reference or a
    buffer leaked per call would add megabytes)."""
    per_round = _call_mix()
    for _ in range(200):                 # warm up: caches, the thread pool, arenas
        _call_mix()
    gc.collect()
    before = _rss_bytes()
    for _ in range(100_000 // per_round):
        _call_mix()
    gc.collect()
    grown = _rss_bytes() - before
    assert grown < 2 << 20, f"RSS grew by {grown / 2**20:.1f} MiB over 100 k calls"
