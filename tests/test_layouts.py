"""Any layout gives the result of the same call on a C-contiguous copy.

Parametrized over every elementwise activation in ``fastact.ACTIVATIONS`` (new
activations are covered without edits here); where a reference exists the
contiguous result itself is checked against it in test_accuracy.py.
"""

import numpy as np
import pytest
from inputs import DTYPES, moderate, rng_for, special_values
from refcheck import elementwise_names

import fastact
from fastact.bench.ulp import assert_bitwise_equal

NAMES = elementwise_names()
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
names = pytest.mark.parametrize("name", NAMES)


def _data(rng, shape, dtype):
    """N(0, 3) values with the special values spread over the first elements."""
    a = moderate(rng, shape, dtype)
    flat = a.reshape(-1)
    s = special_values(dtype)
    k = min(s.size, flat.size // 4)
    flat[rng.choice(flat.size, k, replace=False)] = s[:k]
    return a


# layout -> (base shape, base order, view of the base)
LAYOUTS = {
    "c2d": ((37, 29), "C", lambda b: b),
    "f2d": ((37, 29), "F", lambda b: b),
    "c3d": ((5, 7, 9), "C", lambda b: b),
    "f3d": ((5, 7, 9), "F", lambda b: b),
    "cols": ((37, 58), "C", lambda b: b[:, ::2]),
    "rows": ((111, 29), "C", lambda b: b[::3]),
    "step7": ((7 * 301,), "C", lambda b: b[::7]),
    "reversed": ((1025,), "C", lambda b: b[::-1]),
    "reversed_cols": ((37, 29), "C", lambda b: b[:, ::-1]),
    "mixed_steps": ((40, 90), "C", lambda b: b[::2, ::-3]),
    "transposed": ((29, 37), "C", lambda b: b.T),
    "transposed3d": ((5, 7, 9), "C", lambda b: b.transpose(1, 2, 0)),
    "f_sliced": ((30, 40), "F", lambda b: b[1:-1:2, 3:]),
    "0d": ((), "C", lambda b: b),
    "single": ((1, 1), "C", lambda b: b),
    "empty": ((0,), "C", lambda b: b),
    "empty2d": ((3, 0), "C", lambda b: b),
    "long_rows": ((3, 5000), "C", lambda b: b[:, 1:]),
    "unaligned": ((300,), "unaligned", lambda b: b),
    "broadcast": ((1, 33), "C", lambda b: np.broadcast_to(b, (6, 33))),
}

# Layouts that may be written (views of writeable memory).
WRITABLE = [k for k in LAYOUTS if k != "broadcast"]


def make(layout, rng, dtype):
    """(view, base): an array in ``layout`` and the buffer it views."""
    shape, order, view = LAYOUTS[layout]
    if order == "unaligned":
        base = _unaligned(rng, shape, dtype)
    else:
        base = np.asarray(_data(rng, shape, dtype), order=order)
        if shape == ():
            base = np.array(-1.25, dtype=dtype)
    return view(base), base


def _unaligned(rng, shape, dtype):
    """An array whose data starts one byte past an aligned address."""
    n = int(np.prod(shape))
    raw = np.zeros(n * np.dtype(dtype).itemsize + 1, np.uint8)
    a = raw[1:].view(dtype).reshape(shape)
    a[...] = _data(rng, shape, dtype)
    assert not a.flags.aligned
    return a


def view_mask(layout, base):
    """Boolean array of base's shape: True where the layout's view lies."""
    mask = np.zeros(base.shape, bool)
    LAYOUTS[layout][2](mask)[...] = True
    return mask


def _fresh_out(like, kind):
    """An out array of like's shape in a different layout; returns (out, base)."""
    if kind == "F":
        o = np.empty(like.shape, like.dtype, order="F")
        o.fill(7)
        return o, o
    if kind == "strided":
        base = np.full(tuple(s * 2 for s in like.shape), 7, like.dtype)
        view = base[(Ellipsis,) + tuple(slice(None, None, 2) for _ in like.shape)]
        return view, base
    if kind == "reversed":
        base = np.full(like.shape, 7, like.dtype)
        view = base[(Ellipsis,) + tuple(slice(None, None, -1) for _ in like.shape)]
        return view, base
    raise ValueError(kind)


def c_copy(a):
    """A C-contiguous copy (keeps 0-d arrays 0-d, unlike np.ascontiguousarray)."""
    return np.array(a, order="C")


def f(name, suffix=""):
    return getattr(fastact, name + suffix)


@dtypes
@names
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_forward_layout(name, dtype, layout):
    x, _ = make(layout, rng_for("layout", name, layout, dtype), dtype)
    before = x.copy()
    got = f(name)(x)
    expected = f(name)(c_copy(x))
    assert isinstance(got, np.ndarray) and got.shape == x.shape and got.dtype == x.dtype
    assert_bitwise_equal(got, expected, f"{name} on {layout}")
    assert_bitwise_equal(x, before, f"{name} changed its input")
    for kind in ("F", "strided", "reversed"):
        out, base = _fresh_out(x, kind)
        base_before = base.copy()
        assert f(name)(x, out=out) is out
        assert_bitwise_equal(out, expected, f"{name} on {layout} into a {kind} out")
        if kind == "strided":
            written = np.zeros(base.shape, bool)
            written[(Ellipsis,) + tuple(slice(None, None, 2) for _ in base.shape)] = True
            assert_bitwise_equal(base[~written], base_before[~written],
                                 f"{name} wrote outside its strided out")


@dtypes
@names
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_backward_layout(name, dtype, layout):
    rng = rng_for("blayout", name, layout, dtype)
    x, _ = make(layout, rng, dtype)
    g, _ = make(layout, rng, dtype)
    gc, xc = c_copy(g), c_copy(x)
    expected = f(name, "_backward")(gc, x=xc)
    got = f(name, "_backward")(g, x=x)
    assert got.shape == x.shape and got.dtype == x.dtype
    assert_bitwise_equal(got, expected, f"{name}_backward on {layout}")
    # grad, x and out in three different layouts
    xf = np.array(x, order="F")
    out, _ = _fresh_out(x, "reversed")
    assert f(name, "_backward")(g, x=xf, out=out) is out
    assert_bitwise_equal(out, expected, f"{name}_backward on {layout}, F x, reversed out")
    if fastact.ACTIVATIONS[name].accepts_y():
        y = f(name)(x)
        expected_y = f(name, "_backward")(gc, y=c_copy(y))
        assert_bitwise_equal(f(name, "_backward")(g, y=y), expected_y,
                             f"{name}_backward from y on {layout}")


@dtypes
@names
@pytest.mark.parametrize("layout", WRITABLE)
def test_in_place_on_views_touches_only_the_view(name, dtype, layout):
    """NAME_ and NAME_backward_ on a view write its elements and no other byte
    of the underlying buffer."""
    rng = rng_for("inplace", name, layout, dtype)
    x, base = make(layout, rng, dtype)
    inside = view_mask(layout, base)
    snapshot = base.copy()
    expected = f(name)(c_copy(x))
    assert f(name, "_")(x) is x
    assert_bitwise_equal(x, expected, f"{name}_ on {layout}")
    assert_bitwise_equal(base[~inside], snapshot[~inside], f"{name}_ on {layout} wrote outside")

    g, gbase = make(layout, rng, dtype)
    xv = np.array(moderate(rng, g.shape, dtype), order="F")
    expected = f(name, "_backward")(c_copy(g), x=xv)
    gsnap = gbase.copy()
    assert f(name, "_backward_")(g, x=xv) is g
    assert_bitwise_equal(g, expected, f"{name}_backward_ on {layout}")
    assert_bitwise_equal(gbase[~inside], gsnap[~inside],
                         f"{name}_backward_ on {layout} wrote outside grad")


# ---------------------------------------------------------------------------
# Streamed stores: calls whose operands exceed the streaming threshold write
# out= with non-temporal stores (contiguous, out of place: the formula loops
# of pyx/_loops.pyx.tp stage each block in L1, the explicit-SIMD loops of the
# avx512 target store from their vectors after a head up to out's alignment);
# the threshold is lowered to reach that path with small arrays.  Lengths
# around a vector and the blocks (256: the SIMD loops' and the formula loops'
# prefetch blocks; 1024: the staged ones).
# ---------------------------------------------------------------------------
STREAM_LENGTHS = [1, 15, 17, 255, 257, 1023, 1024, 1025, 3 * 1024 + 5, 5000]


@pytest.fixture(params=[True, False], ids=["simd", "formula"])
def streamed(request):
    """Every call streamed (threshold 0) with the target's explicit SIMD on
    or off (off: the formula loops run for every kernel)."""
    from fastact import _dispatch
    from fastact import _kernels as K
    old = K._set_stream_bytes(0)
    _dispatch.explicit_simd(request.param)
    yield
    _dispatch.explicit_simd(True)
    K._set_stream_bytes(old)


def _normal(fn):
    """fn() with the streaming threshold out of reach."""
    from fastact import _kernels as K
    old = K._set_stream_bytes(1 << 62)
    try:
        return fn()
    finally:
        K._set_stream_bytes(old)


@dtypes
@names
def test_streamed_stores_give_the_same_bits(name, dtype, streamed):
    """Streamed out= (every length around a vector and a block, out starting
    at every offset within a cache line's first elements, 1 and 2 threads)
    writes the bits normal stores write, and only its elements; in place is
    never streamed and equal too."""
    rng = rng_for("stream", name, dtype)
    item = np.dtype(dtype).itemsize
    for n in STREAM_LENGTHS:
        x = _data(rng, (n,), dtype)
        g = _data(rng, (n,), dtype)
        want = _normal(lambda: f(name)(x))
        want_b = _normal(lambda: f(name, "_backward")(g, x=x))
        for offset in (0, 1, 3, 64 // item - 1):
            base = np.full(n + 64 // item, 7, dtype)
            out = base[offset:offset + n]
            for threads in (1, 2):
                with fastact.num_threads(threads):
                    assert f(name)(x, out=out) is out
                    assert_bitwise_equal(out, want, f"{name} streamed, n={n}")
                    assert f(name, "_backward")(g, x=x, out=out) is out
                    assert_bitwise_equal(out, want_b, f"{name}_backward streamed, n={n}")
            rest = np.ones(base.size, bool)
            rest[offset:offset + n] = False
            assert (base[rest] == 7).all(), f"{name} streamed wrote outside out"
        y = x.copy()
        assert f(name, "_")(y) is y
        assert_bitwise_equal(y, want, f"{name}_ in place with the threshold at 0")


# ---------------------------------------------------------------------------
# Array-likes
# ---------------------------------------------------------------------------
@names
def test_out_of_place_accepts_lists_and_scalars(name):
    """Lists and Python numbers become float64 (as NumPy's float ufuncs);
    NumPy float32 scalars stay float32."""
    values = [[-1.5, 0.0, 2.0], [3, -4, 5]]
    expected = f(name)(np.array(values, dtype=np.float64))
    got = f(name)(values)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    assert_bitwise_equal(got, expected, f"{name} on a list")
    for scalar in (2.5, -3, 0):
        got = np.asarray(f(name)(scalar))
        assert got.dtype == np.float64 and got.shape == ()
        assert_bitwise_equal(got, f(name)(np.array(float(scalar))), f"{name}({scalar!r})")
    got = np.asarray(f(name)(np.float32(-2.5)))
    assert got.dtype == np.float32
    g = [1.0, -2.0, 0.5]
    x = [-1.0, 0.25, 4.0]
    expected = f(name, "_backward")(np.array(g), x=np.array(x))
    assert_bitwise_equal(f(name, "_backward")(g, x=x), expected, f"{name}_backward on lists")


# ---------------------------------------------------------------------------
# out overlapping an input (not the same memory): as if computed from a copy
# ---------------------------------------------------------------------------
def _overlaps_1d(a):
    """(input view, out view) pairs over the same buffer a."""
    return {
        "out_ahead": (a[:-1], a[1:]),
        "out_behind": (a[1:], a[:-1]),
        "out_ahead_far": (a[:-33], a[33:]),
        "reversed": (a, a[::-1]),
        "every_other": (a[:-2:2], a[2::2]),
    }


@dtypes
@names
@pytest.mark.parametrize("case", ["out_ahead", "out_behind", "out_ahead_far", "reversed",
                                  "every_other"])
def test_forward_out_overlapping_input(name, dtype, case):
    a = moderate(rng_for("overlap", name, case, dtype), 1000, dtype)
    x, out = _overlaps_1d(a)[case]
    expected = f(name)(x.copy())
    assert f(name)(x, out=out) is out
    assert_bitwise_equal(out, expected, f"{name}: out overlapping x ({case})")


@dtypes
@names
def test_forward_out_is_transpose_of_input(name, dtype):
    a = moderate(rng_for("overlapT", name, dtype), (33, 33), dtype)
    expected = f(name)(a.copy())
    f(name)(a, out=a.T)
    assert_bitwise_equal(a, expected.T, f"{name}: out = x.T")


@dtypes
@names
@pytest.mark.parametrize("case", ["out_ahead", "out_behind", "reversed", "every_other"])
def test_backward_out_overlapping_grad_or_x(name, dtype, case):
    rng = rng_for("boverlap", name, case, dtype)
    # out overlaps grad
    a = moderate(rng, 1000, dtype)
    g, out = _overlaps_1d(a)[case]
    x = moderate(rng, g.shape, dtype)
    expected = f(name, "_backward")(g.copy(), x=x)
    assert f(name, "_backward")(g, x=x, out=out) is out
    assert_bitwise_equal(out, expected, f"{name}_backward: out overlapping grad ({case})")
    # out overlaps x
    a = moderate(rng, 1000, dtype)
    x, out = _overlaps_1d(a)[case]
    g = moderate(rng, x.shape, dtype)
    expected = f(name, "_backward")(g, x=x.copy())
    f(name, "_backward")(g, x=x, out=out)
    assert_bitwise_equal(out, expected, f"{name}_backward: out overlapping x ({case})")
    # in place into grad while x overlaps grad
    a = moderate(rng, 1000, dtype)
    g, x = _overlaps_1d(a)[case]
    expected = f(name, "_backward")(g.copy(), x=x.copy())
    assert f(name, "_backward_")(g, x=x) is g
    assert_bitwise_equal(g, expected, f"{name}_backward_: x overlapping grad ({case})")
