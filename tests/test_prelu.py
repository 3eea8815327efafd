"""prelu: a per-channel weight (channel axis 1 for ndim >= 2, 0 for 1-d) and a
backward that also returns dL/dweight."""

import numpy as np
import pytest
from inputs import DTYPES, edge_values, grad_edge_values, moderate, random_values, rng_for

import fastact
from fastact.bench.references import REFERENCES, prelu_dweight
from fastact.bench.ulp import assert_bitwise_equal, assert_matches_reference

REF = REFERENCES["prelu"]
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)

# (x shape, number of weights)
SHAPES = {
    "1d_single": ((50,), 1),
    "1d_per_element": ((7,), 7),
    "2d": ((33, 5), 5),
    "2d_single": ((33, 5), 1),
    "3d": ((4, 3, 65), 3),
    "4d": ((2, 6, 5, 7), 6),
    "0d": ((), 1),
    "channels_of_one": ((9, 1, 4), 1),
    "empty_batch": ((0, 3), 3),
    "no_channels": ((4, 0), 1),
}


def reference_forward(x, w):
    return REF.forward(x.astype(np.float64), np.float64(w.astype(x.dtype)))


def check_prelu(x, w, what):
    """forward, dx and dweight of fastact against the reference."""
    rng = rng_for("prelu-g", x.shape, x.dtype.name)
    g = random_values(rng, x.size, x.dtype, "mixed").reshape(x.shape)
    with np.errstate(all="ignore"):
        expected = reference_forward(x, w)
        expected_dx = REF.backward(g.astype(np.float64), x.astype(np.float64),
                                   w.astype(np.float64))
    assert_matches_reference(fastact.prelu(x, w), expected, x.dtype, 0, f"prelu {what}",
                             inputs={"x": x})
    dx, dw = fastact.prelu_backward(g, x, w)
    assert_matches_reference(dx, expected_dx, x.dtype, 0, f"prelu_backward dx {what}",
                             inputs={"grad": g, "x": x})
    check_dweight(dw, g, x, w, what)


def check_dweight(dw, g, x, w, what):
    """dweight = sum over x <= 0 of g*x per channel, summed in float64 then
    rounded: within one ULP of the dtype plus float64 summation-order error."""
    exact, magnitude = prelu_dweight(g, x, w)
    assert dw.shape == np.shape(w) and dw.dtype == x.dtype, what
    n = max(1, x.size // max(1, w.size))
    with np.errstate(all="ignore"):
        err = np.abs(dw.astype(np.float64) - exact)
        allowed = np.spacing(np.abs(exact).astype(x.dtype)).astype(np.float64) \
            + 2 * n * np.finfo(np.float64).eps * magnitude
        rounded = exact.astype(x.dtype)
    nan_ok = np.isnan(dw) == np.isnan(exact)
    ok = nan_ok & (np.isnan(exact) | (dw == rounded) | (err <= allowed))
    assert ok.all(), f"prelu dweight {what}: got {dw}, expected {exact}"


@dtypes
@pytest.mark.parametrize("shape", list(SHAPES))
def test_against_reference(shape, dtype):
    xshape, nw = SHAPES[shape]
    rng = rng_for("prelu", shape, dtype)
    x = random_values(rng, int(np.prod(xshape)), dtype, "mixed").reshape(xshape)
    w = rng.uniform(-0.5, 0.8, nw).astype(dtype)
    check_prelu(x, w, shape)
    check_prelu(x, w.reshape(()) if nw == 1 else w, shape + " (weight 0-d)" if nw == 1 else shape)


@dtypes
def test_edges(dtype):
    xs = edge_values(dtype)
    gs = grad_edge_values(dtype)
    X, G = np.meshgrid(xs, gs, indexing="ij")
    # channels: one per grad edge value, so NaN/inf grads land in their own sums
    x = np.ascontiguousarray(X.T)     # (channels, values)
    g = np.ascontiguousarray(G.T)
    w = np.linspace(-1, 1, x.shape[0]).astype(dtype)
    w[0] = 0.0
    x, g = x.T, g.T                   # (N, C): the channel on axis 1
    with np.errstate(all="ignore"):
        exp_dx = REF.backward(g.astype(np.float64), x.astype(np.float64), w.astype(np.float64))
        exp_y = REF.forward(x.astype(np.float64), w.astype(np.float64))
    dx, dw = fastact.prelu_backward(g, x, w)
    assert_matches_reference(dx, exp_dx, dtype, 0, "prelu_backward edges",
                             inputs={"grad": g, "x": x})
    assert_matches_reference(fastact.prelu(x, w), exp_y, dtype, 0, "prelu edges")
    check_dweight(dw, g, x, w, "edges")


def test_dweight_semantics():
    x = np.array([[-2.0, 3.0], [-0.0, np.nan], [-1.0, 5.0]])   # (N=3, C=2)
    g = np.array([[1.5, np.nan], [7.0, 1.0], [-1.0, 2.0]])
    dx, dw = fastact.prelu_backward(g, x, np.array([0.25, 0.5]))
    # channel 0: 1.5*-2 + 7*-0 + -1*-1 = -2; channel 1: x > 0 terms are 0 even for a
    # NaN grad, but the NaN x reaches the sum.
    assert dw[0] == -2.0 and np.isnan(dw[1])
    assert_bitwise_equal(dx, np.array([[0.375, np.nan], [1.75, np.nan], [-0.25, 2.0]]), "dx")
    # x <= 0 includes 0: the kink's derivative is the weight
    _, dw = fastact.prelu_backward(np.ones(3), np.zeros(3), np.array([0.3]))
    assert dw[0] == 0.0
    dx, _ = fastact.prelu_backward(np.full(2, 4.0), np.array([0.0, -0.0]), np.array([0.25]))
    assert (dx == 1.0).all()


@dtypes
@pytest.mark.parametrize("layout", ["F", "transposed", "reversed", "strided_channels",
                                    "strided_weight", "reversed_weight"])
def test_layouts(layout, dtype):
    rng = rng_for("prelu-layout", layout, dtype)
    base = moderate(rng, (6, 8, 10), dtype)
    gbase = moderate(rng, (6, 8, 10), dtype)
    w = rng.uniform(-0.5, 0.8, 16).astype(dtype)
    wv = w[:8]
    views = {
        "F": lambda a: np.asfortranarray(a),
        "transposed": lambda a: a.transpose(2, 1, 0),          # channels: 8 on axis 1
        "reversed": lambda a: a[::-1, ::-1, ::-1],
        "strided_channels": lambda a: a[:, ::2, ::3],
        "strided_weight": lambda a: a,
        "reversed_weight": lambda a: a,
    }
    x, g = views[layout](base), views[layout](gbase)
    if layout == "strided_weight":
        wv = w[::2]
    elif layout == "reversed_weight":
        wv = w[7::-1]
    elif layout == "strided_channels":
        wv = w[:4]
    xc, gc, wc = np.array(x, order="C"), np.array(g, order="C"), wv.copy()
    assert_bitwise_equal(fastact.prelu(x, wv), fastact.prelu(xc, wc), f"prelu {layout}")
    dx, dw = fastact.prelu_backward(g, x, wv)
    dxc, dwc = fastact.prelu_backward(gc, xc, wc)
    assert_bitwise_equal(dx, dxc, f"prelu_backward dx {layout}")
    check_dweight(dw, gc, xc, wc, layout)
    check_prelu(x, wv, layout)
    # in place, out=x, and an out in another layout
    expected = fastact.prelu(xc, wc)
    snapshot = base.copy()
    xv = views[layout](base)
    if np.shares_memory(xv, base):
        assert fastact.prelu_(xv, wv) is xv
        assert_bitwise_equal(xv, expected, f"prelu_ {layout}")
        base[...] = snapshot
        assert fastact.prelu(xv, wv, out=xv) is xv
        assert_bitwise_equal(xv, expected, f"prelu out=x {layout}")
    out = np.zeros(x.shape, dtype, order="F")[::-1]
    assert fastact.prelu(xc, wc, out=out) is out
    assert_bitwise_equal(out, expected, f"prelu into a reversed F out ({layout})")


def test_out_overlapping_input():
    a = moderate(rng_for("prelu-overlap"), 1001, np.float64)
    x = a[:-1].reshape(10, 100)
    out = a[1:].reshape(10, 100)
    w = np.linspace(0.1, 0.5, 100)
    expected = fastact.prelu(x.copy(), w)
    fastact.prelu(x, w, out=out)
    assert_bitwise_equal(out, expected, "prelu with out overlapping x")


def test_one_thread_equals_two_threads():
    with fastact.num_threads(2):
        if fastact.get_num_threads() < 2:
            pytest.skip("built without OpenMP")
    rng = rng_for("prelu-threads")
    for dtype in DTYPES:
        for shape, nw in (((16, 3, 1 << 15), 3), ((1 << 20,), 1), ((64, 16, 1024), 16)):
            x = moderate(rng, shape, dtype)
            g = moderate(rng, shape, dtype)
            w = rng.uniform(-0.5, 0.5, nw).astype(dtype)
            res = {}
            for n in (1, 2):
                with fastact.num_threads(n):
                    xi = x.copy()
                    res[n] = (fastact.prelu(x, w), fastact.prelu_(xi, w)) \
                        + fastact.prelu_backward(g, x, w)
            for what, one, two in zip(("forward", "in place", "dx", "dweight"), res[1], res[2]):
                assert_bitwise_equal(two, one, f"prelu {what} {shape} {dtype}: 2 threads vs 1")
            check_dweight(res[2][3], g, x, w, f"{shape} threaded")


def _expect(call, arrays, exc, words):
    snap = [a.tobytes() for a in arrays]
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    assert [a.tobytes() for a in arrays] == snap


def test_bad_input():
    x = moderate(rng_for("prelu-bad"), (4, 3, 5), np.float32)
    g = moderate(rng_for("prelu-bad-g"), (4, 3, 5), np.float32)
    w = np.array([0.1, 0.2, 0.3], np.float32)
    for bad_w, exc in ((np.ones(4, np.float32), ValueError), (np.ones(5, np.float32), ValueError),
                       (np.ones((3, 1), np.float32), ValueError),
                       (np.ones(0, np.float32), ValueError),
                       (w.astype(np.float64), TypeError), (np.ones(3, np.int32), TypeError),
                       ([0.1, 0.2, 0.3], TypeError)):
        arrays = [x, g] + ([bad_w] if isinstance(bad_w, np.ndarray) else [])
        for call in (lambda: fastact.prelu(x, bad_w), lambda: fastact.prelu_(x, bad_w),
                     lambda: fastact.prelu_backward(g, x, bad_w)):
            _expect(call, arrays, exc, ["weight"])
    xi = x.astype(np.int32)
    _expect(lambda: fastact.prelu(xi, w), [xi, w], TypeError, ["x", "astype"])
    ro = x.copy()
    ro.flags.writeable = False
    _expect(lambda: fastact.prelu_(ro, w), [ro, w], ValueError, ["x"])
    _expect(lambda: fastact.prelu(x, w, out=np.zeros((4, 3), np.float32)), [x, w], ValueError,
            ["out"])
    _expect(lambda: fastact.prelu(x, w, out=np.zeros(x.shape)), [x, w], TypeError, ["out"])
    _expect(lambda: fastact.prelu_backward(g[:2], x, w), [g, x, w], ValueError, ["grad", "x"])
    _expect(lambda: fastact.prelu_backward(g.astype(np.float64), x, w), [g, x, w], TypeError,
            ["grad", "x"])
    _expect(lambda: fastact.prelu_([1.0], np.ones(1)), [], TypeError, ["x"])
    with pytest.raises(TypeError):
        fastact.prelu(x, w, negative_slope=0.1)
    with pytest.raises(TypeError):
        fastact.prelu_backward(g, x, w, y=x)
    # lists are fine out of place (Python numbers are float64)
    assert_bitwise_equal(fastact.prelu([-2.0, 2.0], [0.25]), np.array([-0.5, 2.0]), "lists")


# Layouts the driver walks as runs of rows (kernel2d_fn: a call per run of
# rows, not per row): (N, C, L) with every row length around the vector
# widths, rows with gaps between them, zero and negative weights, specials,
# and sizes split across threads, whose blocks start and end inside a run.
RUN_SHAPES = [(n, c, length) for n in (1, 3) for c in (1, 5)
              for length in (1, 3, 4, 8, 15, 16, 17, 33)] + [
    (2, 3, 256), (9, 7, 1500), (5, 33, 650)]


@dtypes
def test_runs_of_rows_are_the_row_by_row_kernel(dtype):
    """prelu and its dx over runs of rows against the same rows one at a time
    (1-d calls with one weight: the row kernel's broadcast loop), bit for bit,
    on 1 and 3 threads."""
    rng = rng_for("prelu-runs", dtype)
    pool = np.concatenate([edge_values(dtype), moderate(rng, 300, dtype)])
    for shape in RUN_SHAPES:
        n, c, length = shape
        wide = rng.choice(pool, size=(n, c, length + 2))
        gwide = rng.choice(pool, size=(n, c, length + 2))
        w = np.linspace(-0.5, 0.75, c).astype(dtype)
        w[1::3] = 0.0
        for x, g in ((np.ascontiguousarray(wide[:, :, :length]),
                      np.ascontiguousarray(gwide[:, :, :length])),
                     (wide[:, :, 2:], gwide[:, :, 2:])):
            want = np.empty(x.shape, dtype)
            want_dx = np.empty(x.shape, dtype)
            with np.errstate(all="ignore"):
                for i in range(n):
                    for j in range(c):
                        want[i, j] = fastact.prelu(x[i, j], w[j:j + 1])
                        want_dx[i, j] = fastact.prelu_backward(g[i, j], x[i, j], w[j:j + 1])[0]
                for threads in (1, 3):
                    with fastact.num_threads(threads):
                        assert_bitwise_equal(fastact.prelu(x, w), want)
                        y = x.copy()
                        fastact.prelu_(y, w)
                        assert_bitwise_equal(y, want)
                        assert_bitwise_equal(fastact.prelu_backward(g, x, w)[0], want_dx)
