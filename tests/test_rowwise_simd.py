"""The explicit-SIMD float32 rows (pyx/simd/fa_simd_rows_<target>.h) on every
target of this build that has them, against the extended-precision references
of test_rowwise.py and against the Cython row forms they stand in for.

Contiguous last-axis rows take the SIMD code; the rest of the row-wise suite
(run per target by test_targets.py) covers them too, but here the cases aim
at what is new: every tail length of a 16-lane vector, short rows (64 x 10),
rows longer than the softmax stage (FA_ROW_STAGE = 4096 entries), the
streamed final pass (non-temporal stores, forced on small arrays here) with
outputs that start off a 64-byte boundary, and the edges (-inf, NaN, +inf,
1e30, rows of one entry).
"""

import fastact._kernels as K
import numpy as np
import pytest
from test_rowwise import (
    SOFTMAX_LIKE,
    _cancellation_rows,
    _log_softmax_zone_rows,
    check_backward,
    check_backward_in_place,
    check_forward,
    exact_softmax_backward,
    fn,
    hard_rows,
    random_rows,
    ulp_error,
)

import fastact
import fastact._dispatch as D

TARGETS = [t for t in D.supported_targets() if D.explicit_simd(target=t)]
TAIL_LENGTHS = list(range(1, 35)) + [63, 64, 65, 1000, 4095, 4096, 4097, 5003]


@pytest.fixture(params=TARGETS or [None])
def target(request):
    if request.param is None:
        pytest.skip("no target of this build has explicit-SIMD kernels")
    before = D.current()
    D.use(request.param)
    yield request.param
    D.use(before)


@pytest.fixture(params=[False, True], ids=["stored", "streamed"])
def stream(request):
    old = K._set_stream_bytes(0 if request.param else 1 << 62)
    yield request.param
    K._set_stream_bytes(old)


def _rng(*key):
    import zlib
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _cython(f, *args, **kw):
    """f computed by the Cython row forms of the same target."""
    D.explicit_simd(False)
    try:
        return f(*args, **kw)
    finally:
        D.explicit_simd(True)


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_tail_lengths(target, stream, name):
    """Every row length up to two vectors and past the stage: forward and backward
    against the references, and within 4 ULP of the Cython forms (each is
    within about 2 of the exact value)."""
    rng = _rng(name, "tails")
    for n in TAIL_LENGTHS:
        x = random_rows(rng, (5, n), np.float32)
        y = fn(name)(x)
        check_forward(name, y, x)
        assert np.all(ulp_error(y, _cython(fn(name), x), np.float32) <= 4), n
        g = rng.standard_normal(x.shape).astype(np.float32)
        dx = fn(name, "_backward")(g, y=y)
        check_backward(name, dx, g, y)


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_short_rows(target, name):
    """64 x 10 class scores (and 1, 2, 3 classes): one masked vector per row."""
    rng = _rng(name, "short")
    for n in (1, 2, 3, 10):
        x = random_rows(rng, (64, n), np.float32)
        y = fn(name)(x)
        check_forward(name, y, x)
        g = rng.standard_normal(x.shape).astype(np.float32)
        check_backward(name, fn(name, "_backward")(g, y=y), g, y)


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_streamed_matches_stored(target, name):
    """The streamed final pass gives bitwise the stored one, for outputs at every
    4-byte offset from a 64-byte boundary (the head before it is stored)."""
    rng = _rng(name, "stream")
    x = random_rows(rng, (7, 1000), np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    y = fn(name)(x)
    want_y, want_dx = y.copy(), fn(name, "_backward")(g, y=y)
    old = K._set_stream_bytes(0)
    try:
        for offset in range(16):
            buf = np.empty(x.size + 16, np.float32)
            out = buf[offset:offset + x.size].reshape(x.shape)
            fn(name)(x, out=out)
            assert out.tobytes() == want_y.tobytes(), offset
            fn(name, "_backward")(g, y=y, out=out)
            assert out.tobytes() == want_dx.tobytes(), offset
    finally:
        K._set_stream_bytes(old)


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_hard_rows_simd(target, stream, name):
    """The edges of test_rowwise.hard_rows, each padded to lengths that put the
    special entries in the masked tail and in a full vector."""
    for row in hard_rows(np.float32) + [[np.nan, 0, 1], [0, 1, np.inf, np.inf, -np.inf]]:
        for pad in (0, 16, 29):
            x = np.array(row + [-np.inf] * pad, np.float32)[None, :]
            x = np.repeat(x, 3, axis=0)
            y = fn(name)(x)
            check_forward(name, y, x)
            ref = _cython(fn(name), x)
            np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
            finite = np.isfinite(ref)
            assert np.all(ulp_error(y[finite], ref[finite], np.float32) <= 4), row
            with np.errstate(invalid="ignore", over="ignore"):
                g = np.linspace(-1, 1, x.size, dtype=np.float32).reshape(x.shape)
                dx = fn(name, "_backward")(g, y=y)
                dref = _cython(fn(name, "_backward"), g, y=y)
            np.testing.assert_array_equal(np.isnan(dx), np.isnan(dref))


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_in_place_and_out_agree(target, name):
    """The backward rows read g and y where they write (in place into g or y)."""
    rng = _rng(name, "inplace")
    x = random_rows(rng, (6, 777), np.float32)
    y = fn(name)(x)
    g = rng.standard_normal(x.shape).astype(np.float32)
    check_backward_in_place(name, g, y, fn(name, "_backward")(g, y=y))
    x2 = x.copy()
    fn(name, "_")(x2)
    assert x2.tobytes() == y.tobytes()


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_threads_bitwise_simd(target, name):
    """Rows are whole per thread: 1 and 2 threads agree bitwise."""
    rng = _rng(name, "threads")
    x = random_rows(rng, (300, 1000), np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    got = []
    for n in (1, 2):
        with fastact.num_threads(n):
            y = fn(name)(x)
            got.append((y.tobytes(), fn(name, "_backward")(g, y=y).tobytes()))
    assert got[0] == got[1]


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_float64_backward_rows(target, stream, name):
    """The float64 backward rows (softmax, softmin, log_softmax): every tail of an
    8-lane vector, long rows, edges; in place into g agrees bitwise."""
    rng = _rng(name, "f64")
    for n in list(range(1, 20)) + [1000, 4097]:
        x = random_rows(rng, (4, n), np.float64)
        y = fn(name)(x)
        g = rng.standard_normal(x.shape)
        dx = fn(name, "_backward")(g, y=y)
        check_backward(name, dx, g, y)
        g2 = g.copy()
        fn(name, "_backward_")(g2, y=y)
        assert g2.tobytes() == dx.tobytes(), n
    for row in hard_rows(np.float64):
        x = np.array(row, np.float64)[None, :]
        y = fn(name)(x)
        g = np.linspace(-1, 1, x.size).reshape(x.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            dx = fn(name, "_backward")(g, y=y)
            dref = _cython(fn(name, "_backward"), g, y=y)
        np.testing.assert_array_equal(np.isnan(dx), np.isnan(dref))
        check_backward(name, dx, g, y)


def test_float64_log_softmax_rows(target, stream):
    """The float64 log_softmax forward row: every tail of an 8-lane vector and
    of its 16-entry loop, long rows, confident rows (a tail far below 2^-53
    of the max entry), the edges padded into the masked tail and a full
    vector; against the references, and equal to the Cython form's NaN and
    infinity pattern, within 2 ULP of it elsewhere."""
    name = "log_softmax"
    rng = _rng(name, "f64-forward")
    rows = [random_rows(rng, (4, n), np.float64) for n in list(range(1, 35)) + [1000, 4097]]
    rows.append(np.array([[40.0, 0.0, -1.0, -700.0] * 5]))
    rows.append(np.array([[0.0] * 17 + [-745.0, -800.0]]))
    for row in hard_rows(np.float64):
        for pad in (0, 8, 21):
            rows.append(np.array(row + [-np.inf] * pad, np.float64)[None, :])
    for x in rows:
        with np.errstate(invalid="ignore", over="ignore"):
            y = fn(name)(x)
            ref = _cython(fn(name), x)
        check_forward(name, y, x)
        np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
        np.testing.assert_array_equal(np.isinf(y), np.isinf(ref))
        finite = np.isfinite(ref)
        assert np.all(ulp_error(y[finite], ref[finite], np.float64) <= 2), x.shape


@pytest.mark.parametrize("name", SOFTMAX_LIKE)
def test_backward_fallback_rows_streamed(target, stream, name):
    """Rows whose entries take the double-double sum (softmax, softmin) or the
    float64 form (log_softmax), stored and streamed (the rewrite after
    non-temporal stores), the output off a 64-byte boundary, in place."""
    rng = _rng(name, "fallback")
    for n in (33, 1000, 1025):
        if name == "log_softmax":
            y, g = _log_softmax_zone_rows(n, rng)
        else:
            y, g = _cancellation_rows(name, n, rng)
        buf = np.empty(g.size + 5, np.float32)
        out = buf[5:].reshape(g.shape)
        with np.errstate(over="ignore"):
            fn(name, "_backward")(g, y=y, out=out)
        if name == "log_softmax":
            check_backward(name, out, g, y)
        else:
            ref = exact_softmax_backward(g, y, -1 if name == "softmin" else 1)
            assert np.all(ulp_error(out, ref, np.float32) <= 8), n
        g2 = g.copy()
        with np.errstate(over="ignore"):
            fn(name, "_backward_")(g2, y=y)
        assert g2.tobytes() == out.tobytes(), n
