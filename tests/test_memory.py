"""In-place calls allocate no array-sized temporary; out-of-place calls
allocate about their result (NumPy reports its buffers to tracemalloc)."""

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
