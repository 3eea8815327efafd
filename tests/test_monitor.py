"""DeadUnitMonitor: the flat-piece counts of relu, relu6, leaky_relu and prelu,
computed in the forward pass, against a NumPy count of the same predicate.

Every layout of test_layouts.py (C, F, strided, reversed, transposed, 0-d,
empty, unaligned, broadcast), both dtypes, new / out= / in place, per call and
per channel; NaN (not counted), threads (the counts never depend on them), the
int32 and int64 per-channel counters, accumulation, errors and the advice.
"""

import warnings

import numpy as np
import pytest
from inputs import DTYPES, moderate, rng_for, special_values
from test_layouts import LAYOUTS, WRITABLE, _fresh_out, make

import fastact
from fastact import _kernels
from fastact.bench.ulp import assert_bitwise_equal

# Independent of the table's description strings: where each activation is flat.
FLAT = {
    "relu": lambda x: x <= 0,
    "relu6": lambda x: (x <= 0) | (x >= 6),
    "leaky_relu": lambda x: x <= 0,
    "prelu": lambda x: x <= 0,
}
MONITORED = [n for n, s in fastact.ACTIVATIONS.items() if s.flat is not None]

dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
names = pytest.mark.parametrize("name", MONITORED)


def test_the_table_lists_the_monitored_activations():
    assert sorted(MONITORED) == sorted(FLAT)
    for name in MONITORED:
        sig = str(fastact.__dict__[name].__signature__)
        assert "monitor=None" in sig
        assert "monitor=None" in str(fastact.__dict__[name + "_"].__signature__)
    assert "monitor" not in str(fastact.sigmoid.__signature__)


def channel_axis(x):
    return 1 if x.ndim >= 2 else 0


def weight_for(x, dtype):
    """prelu's weight: one value per channel, some negative, some zero."""
    c = x.shape[channel_axis(x)] if x.ndim >= 1 else 1
    return np.linspace(-0.5, 0.75, max(c, 1)).astype(dtype)[:c] if c else np.zeros(0, dtype)


def call(name, mode, x, monitor, out=None, weight=None):
    if name == "prelu":
        w = weight if weight is not None else weight_for(x, x.dtype)
        if x.ndim == 0 or w.size == 0:
            w = np.array([0.25], x.dtype)
        if mode == "inplace":
            return fastact.prelu_(x, w, monitor=monitor)
        return fastact.prelu(x, w, out=out, monitor=monitor)
    if mode == "inplace":
        return getattr(fastact, name + "_")(x, monitor=monitor)
    return getattr(fastact, name)(x, out=out, monitor=monitor)


def plain(name, x, weight=None):
    if name == "prelu":
        w = weight if weight is not None else weight_for(x, x.dtype)
        if x.ndim == 0 or w.size == 0:
            w = np.array([0.25], x.dtype)
        return fastact.prelu(x, w)
    return getattr(fastact, name)(x)


def expected_counts(name, x):
    """(flat elements, per-channel flat counts or None) by NumPy."""
    flat = FLAT[name](np.asarray(x))
    if x.ndim == 0:
        return int(flat), None
    axis = channel_axis(x)
    others = tuple(d for d in range(x.ndim) if d != axis)
    return int(flat.sum()), flat.sum(axis=others).astype(np.int64)


def check(monitor, name, x, per_channel):
    dead, channels = expected_counts(name, x)
    assert monitor.last_dead == dead
    assert monitor.last_total == x.size
    if per_channel and channels is not None:
        np.testing.assert_array_equal(monitor.last_channel_dead, channels)
        assert monitor.last_channel_total == (x.size // channels.size if channels.size else 0)
    else:
        assert monitor.last_channel_dead is None


@pytest.mark.parametrize("per_channel", [False, True], ids=["call", "channel"])
@pytest.mark.parametrize("mode", ["new", "out", "inplace"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@dtypes
@names
def test_counts_on_every_layout(name, dtype, layout, mode, per_channel):
    if mode == "inplace" and layout not in WRITABLE:
        pytest.skip("read-only view")
    rng = rng_for("monitor", name, dtype, layout, mode)
    x, _ = make(layout, rng, dtype)
    pristine = np.array(x, copy=True)
    expected = plain(name, pristine)
    m = fastact.DeadUnitMonitor(per_channel=per_channel)
    if mode == "out":
        out, _ = _fresh_out(x, "F" if x.ndim else "strided") if x.ndim else (
            np.empty((), dtype), None)
        r = call(name, mode, x, m, out=out)
        assert r is out
    else:
        r = call(name, mode, x, m)
    assert_bitwise_equal(np.asarray(r), expected)
    assert m.calls == 1
    check(m, name, pristine, per_channel)


@pytest.mark.parametrize("mode", ["new", "inplace"])
@dtypes
@names
def test_per_call_counts_at_every_length(name, dtype, mode):
    """The per-call counting loops run 4 vectors an iteration, then single
    vectors, then a masked tail: every length to 4 blocks of 4 vectors and
    past, with the flat piece's boundary values and NaN mixed in."""
    rng = rng_for("monitor-lengths", name, dtype, mode)
    for n in list(range(0, 140)) + [255, 256, 257, 511, 512, 513, 1000]:
        x = (rng.standard_normal(n) * 4).astype(dtype)
        x[rng.random(n) < 0.1] = 0
        x[rng.random(n) < 0.05] = np.nan
        if name == "relu6":
            x[rng.random(n) < 0.1] = 6
        pristine = x.copy()
        m = fastact.DeadUnitMonitor()
        r = call(name, mode, x, m)
        assert_bitwise_equal(np.asarray(r), plain(name, pristine))
        check(m, name, pristine, False)


@dtypes
@names
def test_nan_is_not_dead_and_specials_count_by_their_piece(name, dtype):
    x = np.concatenate([special_values(dtype), np.full(5, np.nan, dtype)])
    m = fastact.DeadUnitMonitor()
    call(name, "new", x, m)
    # NaN compares false with everything: on no piece.
    assert m.last_dead == int(FLAT[name](x).sum())
    assert m.last_total == x.size
    m.reset()
    call(name, "new", np.full(8, np.nan, dtype), m)
    assert m.last_dead == 0 and m.last_total == 8 and m.fraction == 0.0


@dtypes
@pytest.mark.parametrize("name,params", [
    ("leaky_relu", {"negative_slope": 0.0}), ("leaky_relu", {"negative_slope": -0.0}),
    ("leaky_relu", {"negative_slope": 0.01}), ("leaky_relu", {"negative_slope": -2.5}),
    ("prelu", {"weight": [0.0]}), ("prelu", {"weight": [0.0, -0.0, 0.25, -3.0]}),
    ("relu", {}), ("relu6", {})], ids=str)
def test_monitored_forward_is_the_plain_forward_on_special_values(name, params, dtype):
    """The counting kernels evaluate their own form of the formula (leaky_relu
    and prelu around x <= 0); it must give the plain kernels' bits on every
    input.  A zero slope times -inf is the limit -0, not NaN (the counting
    form once multiplied bare: NaN where the plain kernel gives -0)."""
    rng = rng_for("monitor-specials", name, dtype, str(params))
    x = np.tile(special_values(dtype), 40)
    rng.shuffle(x)
    x = x.reshape(-1, 4)                        # 280 x 4: the channel axis innermost
    kw = {k: v for k, v in params.items() if k != "weight"}
    w = params.get("weight")

    def run(arr, monitor):
        if name == "prelu":
            return fastact.prelu(arr, np.array(w, dtype), monitor=monitor)
        return getattr(fastact, name)(arr, monitor=monitor, **kw)

    views = [x, np.asfortranarray(x), x[::-2], x[:, ::-1]]
    if w is None or len(w) == 1:                  # other channel counts
        views += [x.reshape(-1), x.reshape(-1)[::3],
                  np.ascontiguousarray(x.T)]      # 4 x 280: the channel axis outer
    for v in views:
        want = run(v, None)
        for per_channel in (False, True):
            m = fastact.DeadUnitMonitor(per_channel=per_channel)
            assert_bitwise_equal(run(v, m), want)
            assert m.last_dead == int(FLAT[name](v).sum())


# Widths around the vector lengths (8, 16 lanes) and row counts around the
# whole-rows count's cases (pyx/simd/fa_count.h): widths dividing 1,024 (one
# stream of 1,024-element blocks: rows around a block, rows past the last
# block); other widths as one stream with byte counters over lcm(C, 64)
# elements (relu, relu6, leaky_relu) or row by row in 64-channel chunks
# (prelu, and widths whose lcm exceeds 8,192: 257, 1030, 2065); and more
# than 255 blocks or passes (the byte counters folded mid-walk).  The avx2
# target's cases: widths dividing 256 (8 byte-counter registers), other widths
# over lcm(C, 32) elements (prelu too: slopes read at (32 i) mod C; C = 1000 and
# 100), and widths whose lcm exceeds 8,192 (257, 1030, 2065, 8200).
ROW_SHAPES = ([(r, c) for r in (1, 5, 16, 17, 40) for c in (1, 3, 8, 15, 16, 17, 33, 63, 64,
                                                            65, 100, 257)]
              + [(r, c) for c in (16, 32, 128, 512, 1024)
                 for r in (1024 // c - 1, 1024 // c, 1024 // c + 1, 3 * 1024 // c + 5) if r]
              + [(3, 1040), (130, 1030), (2, 2048 + 17), (255 * 4 + 7, 256), (4100, 100),
                 (300, 8200), (70, 1000)])


@dtypes
@pytest.mark.parametrize("name,params", [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.01}),
    ("leaky_relu", {"negative_slope": 0.0}), ("leaky_relu", {"negative_slope": -0.0}),
    ("prelu", {"weights": [0.0, -0.0, 0.25, -3.0, 1.5]}),
    ("prelu", {"weights": [0.25, -3.0, 1.5]})], ids=str)
def test_counting_intrinsics_are_the_formula(name, params, dtype):
    """The counting kernels' intrinsics (pyx/simd/fa_count.h: per call, and per
    channel over whole rows) against the Cython loops (explicit SIMD off): the
    same bits and counts on every width and row count, specials mixed in
    (prelu: with zero weights, and without, which skips the zero-slope fix);
    and the counts against NumPy's."""
    import fastact._dispatch as D
    rng = rng_for("monitor-intrinsics", name, dtype, str(params))
    pool = np.concatenate([special_values(dtype), moderate(rng, 400, dtype),
                           np.array([6, 6.5, 5.999, -0.0, 0.0], dtype)])
    for shape in ROW_SHAPES:
        x = rng.choice(pool, size=shape)
        w = rng.choice(np.array(params.get("weights", [1.0]), dtype), size=shape[1])

        def run(per_channel):
            m = fastact.DeadUnitMonitor(per_channel=per_channel)
            if name == "prelu":
                y = fastact.prelu(x, w, monitor=m)
            else:
                y = getattr(fastact, name)(x, monitor=m, **params)
            return y, m.last_dead, m.last_channel_dead

        for per_channel in (False, True):
            try:
                D.explicit_simd(False)
                want = run(per_channel)
            finally:
                D.explicit_simd(True)
            got = run(per_channel)
            assert_bitwise_equal(got[0], want[0])
            assert got[1] == want[1] == int(FLAT[name](x).sum()), (shape, per_channel)
            if per_channel:
                np.testing.assert_array_equal(got[2], FLAT[name](x).sum(axis=0))
                np.testing.assert_array_equal(want[2], got[2])


@dtypes
@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "prelu"])
@pytest.mark.parametrize("shape", [(255 * 4 + 7, 256), (4100, 100), (300, 8200), (600, 48)],
                         ids=lambda s: "x".join(map(str, s)))
def test_counts_past_the_byte_counters(name, shape, dtype):
    """The whole-rows count keeps 8-bit counters per lane, folded into the
    channels' counters every 255 blocks, passes or rows: a channel dead on
    every row (and one alive on every row) must count exactly past that, in
    each of the walks (blocks of 1,024; a period of lcm(C, 64); rows)."""
    x = np.full(shape, -1.0, dtype)
    x[:, 1::3] = 3.0                      # alive on every row (relu6 too)
    w = np.full(shape[1], 0.25, dtype)
    for per_channel in (False, True):
        m = fastact.DeadUnitMonitor(per_channel=per_channel)
        with fastact.num_threads(1):      # one walk over all the rows
            if name == "prelu":
                fastact.prelu(x, w, monitor=m)
            else:
                getattr(fastact, name)(x, monitor=m)
        dead_cols = np.ones(shape[1], bool)
        dead_cols[1::3] = False
        assert m.last_dead == int(dead_cols.sum()) * shape[0]
        if per_channel:
            np.testing.assert_array_equal(m.last_channel_dead, dead_cols * shape[0])


# Layouts the driver walks as runs of rows, one run-of-rows kernel call each
# (kernel2d_fn; pyx/simd/fa_count.h's fa_count_2d_* where rows are
# contiguous): prelu's (N, C, L) (the weight changes every row), rows with
# gaps between them (a slice of wider rows), rows of every length around the
# vector widths, a zero weight in some rows (that row's zero-slope loop), and
# sizes split across threads, whose blocks of rows start and end inside a run.
RUN_SHAPES = [(n, c, length) for n in (1, 3) for c in (1, 5, 16)
              for length in (1, 7, 8, 15, 16, 17, 31, 33, 64, 100, 256)] + [
    (9, 7, 1500), (5, 33, 650), (2, 3, 5000),
    (1, 70000, 2)]    # one run of more rows than avx2's count lanes hold unsummed


@dtypes
@names
def test_runs_of_rows_are_the_row_by_row_kernels(name, dtype):
    """The run-of-rows kernels against the row-by-row Cython loops (explicit
    SIMD off): the same bits and counts, per call and per channel (the
    channel axis outer: a counter per row), on contiguous rows and on rows
    with gaps between them, 1 and 3 threads; and the counts against NumPy's."""
    import fastact._dispatch as D
    rng = rng_for("monitor-runs", name, dtype)
    pool = np.concatenate([special_values(dtype), moderate(rng, 400, dtype)])
    for shape in RUN_SHAPES:
        wide = rng.choice(pool, size=shape[:2] + (shape[2] + 3,))
        w = np.linspace(-0.5, 0.75, shape[1]).astype(dtype)
        w[1::3] = 0.0
        for x in (np.ascontiguousarray(wide[:, :, :shape[2]]), wide[:, :, 3:]):
            def run(per_channel, threads):
                m = fastact.DeadUnitMonitor(per_channel=per_channel)
                with fastact.num_threads(threads):
                    if name == "prelu":
                        y = fastact.prelu(x, w, monitor=m)
                    else:
                        y = getattr(fastact, name)(x, monitor=m)
                return y, m.last_dead, m.last_channel_dead

            flat = FLAT[name](x)
            for per_channel in (False, True):
                try:
                    D.explicit_simd(False)
                    want = run(per_channel, 1)
                finally:
                    D.explicit_simd(True)
                assert want[1] == int(flat.sum())
                for threads in (1, 3):
                    got = run(per_channel, threads)
                    assert_bitwise_equal(got[0], want[0])
                    assert got[1] == want[1], (shape, x.strides, per_channel, threads)
                    if per_channel:
                        np.testing.assert_array_equal(got[2], flat.sum(axis=(0, 2)))
                        np.testing.assert_array_equal(want[2], got[2])


# Shapes large enough to split across threads (piecewise grain 32 K per thread),
# not multiples of any vector or block size; channel axis innermost, outer,
# and 1-d (every element its own channel); and widths dividing 1,024 past the
# 2 MiB beyond which float64 counts per channel in the period walk
# (FA_CNT_PERIOD_F64 in pyx/simd/fa_count.h), rows not a multiple of a block.
BIG_SHAPES = [((1 << 20) + 17,), (1031, 1025), (7, 33, 67, 61), (300001,), (2053, 256),
              (8197, 64)]


@pytest.mark.parametrize("shape", BIG_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("per_channel", [False, True], ids=["call", "channel"])
@dtypes
@names
def test_threads_never_change_the_counts(name, dtype, per_channel, shape):
    if per_channel and len(shape) == 1 and shape[0] > 400000:
        pytest.skip("a million 1-element channels: covered by the smaller 1-d case")
    x = moderate(rng_for("monitor-threads", name, dtype, shape), shape, dtype)
    x.reshape(-1)[::97] = np.nan
    results = []
    for threads in (1, 2, 3, 17):   # 17: more threads than the stack counters hold
        m = fastact.DeadUnitMonitor(per_channel=per_channel)
        with fastact.num_threads(threads):
            y = call(name, "new", x, m)
        results.append((y, m.last_dead, m.last_channel_dead))
        check(m, name, x, per_channel)
    for y, dead, chans in results[1:]:
        assert_bitwise_equal(y, results[0][0])
        assert dead == results[0][1]
        if per_channel:
            np.testing.assert_array_equal(chans, results[0][2])


@pytest.mark.parametrize("shape", [(1031, 1025), (7, 33, 67, 61), (5, 1001)],
                         ids=lambda s: "x".join(map(str, s)))
@names
def test_float32_int64_channel_counters(name, shape):
    """float32 per-channel counts use int32 counters below 2^31 elements per
    channel and int64 above: the int64 path, reached by lowering the limit."""
    x = moderate(rng_for("monitor-wide", name, shape), shape, np.float32)
    old = _kernels._set_narrow_limit(0)
    try:
        for threads in (1, 2):
            m = fastact.DeadUnitMonitor(per_channel=True)
            with fastact.num_threads(threads):
                call(name, "new", x, m)
            check(m, name, x, True)
    finally:
        _kernels._set_narrow_limit(old)


@dtypes
def test_overlapping_out_and_unaligned_inputs_still_count(dtype):
    rng = rng_for("monitor-overlap", dtype)
    base = moderate(rng, 1000, dtype)
    x = base[:900]
    expected = fastact.relu(np.array(x))
    dead, _ = expected_counts("relu", np.array(x))
    m = fastact.DeadUnitMonitor()
    fastact.relu(x, out=base[100:], monitor=m)     # computed through a buffer
    assert_bitwise_equal(base[100:], expected)
    assert m.last_dead == dead


def test_accumulates_until_reset():
    m = fastact.DeadUnitMonitor(per_channel=True)
    a = np.array([[-1.0, 2.0, 0.0], [3.0, -4.0, -0.0]], np.float32)     # 4 of 6 dead
    b = np.array([[1.0, 2.0, 3.0]], np.float32)                          # none
    fastact.relu(a, monitor=m)
    fastact.relu(b, monitor=m)
    assert (m.calls, m.dead, m.total) == (2, 4, 9)
    assert (m.last_dead, m.last_total) == (0, 3)
    assert m.fraction == pytest.approx(4 / 9) and m.last_fraction == 0.0
    np.testing.assert_array_equal(m.channel_dead, [1, 1, 2])
    assert m.channel_total == 3
    np.testing.assert_allclose(m.channel_fraction, [1 / 3, 1 / 3, 2 / 3])
    np.testing.assert_array_equal(m.last_channel_fraction, [0, 0, 0])
    assert m.dead_channels == 0
    m.reset()
    fastact.relu(np.array([[-1.0, 1.0, 0.0], [-2.0, 3.0, -5.0]], np.float32), monitor=m)
    assert m.dead_channels == 2    # channels 0 and 2: every output since reset was 0
    m.reset()
    assert (m.calls, m.dead, m.total) == (0, 0, 0)
    assert m.channel_dead is None and np.isnan(m.fraction)
    # After reset a per-channel monitor accepts another channel count.
    fastact.relu(np.zeros((2, 5), np.float64), monitor=m)
    assert m.channel_dead.shape == (5,) and m.fraction == 1.0


def test_empty_call_counts_as_a_call():
    m = fastact.DeadUnitMonitor(per_channel=True)
    fastact.relu(np.zeros((0, 4), np.float32), monitor=m)
    assert m.calls == 1 and m.total == 0 and np.isnan(m.fraction)
    np.testing.assert_array_equal(m.last_channel_dead, [0, 0, 0, 0])


def test_errors_leave_data_and_counts_untouched():
    x = np.array([[-1.0, 1.0]], np.float32)
    keep = x.copy()
    with pytest.raises(TypeError, match="monitor must be a fastact.DeadUnitMonitor"):
        fastact.relu_(x, monitor="yes")
    m = fastact.DeadUnitMonitor(per_channel=True)
    fastact.relu(np.ones((3, 4), np.float32), monitor=m)
    with pytest.raises(ValueError, match="4 channels, this call has 2"):
        fastact.relu_(x, monitor=m)
    np.testing.assert_array_equal(x, keep)
    assert m.calls == 1 and m.total == 12
    with pytest.raises(ValueError, match="out has shape"):
        fastact.relu(x, out=np.empty((2, 2), np.float32), monitor=fastact.DeadUnitMonitor())
    with pytest.raises(TypeError, match="unexpected keyword argument 'monitor'"):
        fastact.sigmoid(x, monitor=m)
    with pytest.raises(ValueError, match="threshold"):
        fastact.DeadUnitMonitor(threshold=1.5)


def test_advice_and_warning():
    x = np.array([-3.0, -2.0, -1.0, 1.0], np.float32)    # 75% dead
    quiet = fastact.DeadUnitMonitor(name="hidden 1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastact.relu(x, monitor=quiet)                   # no warning unless asked
    assert quiet.exceeded() and quiet.exceeded(last=True)
    msg = quiet.advice()
    assert "hidden 1" in msg and "75.0%" in msg and "Leaky ReLU" in msg
    assert fastact.DeadUnitMonitor(threshold=0.8).advice() is None   # no calls: nan

    loud = fastact.DeadUnitMonitor(warn=True)
    with pytest.warns(fastact.DeadUnitWarning, match=r"relu_\(\): 75.0% .*learning rate"):
        fastact.relu_(x.copy(), monitor=loud)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastact.relu(np.array([-1.0, 1.0], np.float32), monitor=loud)   # 50%: not more
        fastact.leaky_relu(np.array([-1.0, 1.0, 2.0], np.float32), monitor=loud)
    with pytest.warns(fastact.DeadUnitWarning, match=r"prelu\(\)"):
        fastact.prelu(x, np.array([0.1], np.float32), monitor=loud)
    assert "threshold=0.5" in repr(loud) and "warn=True" in repr(loud)
