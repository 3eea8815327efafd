"""fastact.ufunc: real NumPy ufuncs of the same kernels (issue 13).

Driven by the table: every elementwise activation's forward, backward and
backward-from-y ufunc equals the keyword API bit for bit, with its parameters
as broadcast inputs; NumPy's machinery (where=, out=, broadcasting, dtype
rules, scalars) works; the ufuncs follow the bound target and run threaded.
"""

import numpy as np
import pytest

import fastact
import fastact.ufunc as U
from fastact import ACTIVATIONS, _dispatch

ELEMENTWISE = [s for s in ACTIVATIONS.values() if s.api == "elementwise"]
ROWWISE = [s for s in ACTIVATIONS.values() if s.api == "rowwise"]
DTYPES = [np.float32, np.float64]


def _numeric(spec):
    return {k: v for k, v in spec.params.items() if not isinstance(v, str)}


def _variants(spec):
    """(ufunc base name, keyword params) per value of the string parameters."""
    if not spec.choices:
        return [(spec.name, {})]
    (key, values), = spec.choices.items()
    return [(spec.name + suffix, {key: value}) for value, suffix in values.items()]


def _data(dtype, n=1001):
    rng = np.random.default_rng(13)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    x[:4] = [np.nan, np.inf, -np.inf, 0.0]
    return x


def test_every_ufunc_is_a_ufunc():
    for name in U.__all__:
        assert isinstance(getattr(U, name), np.ufunc), name
    for spec in ELEMENTWISE:
        for base, _ in _variants(spec):
            assert getattr(U, base).nin == 1 + len(_numeric(spec))
            assert getattr(U, base + "_backward").nin == 2 + len(_numeric(spec))
            assert hasattr(U, base + "_backward_y") == (spec.kernels[2] is not None)
    for spec in ROWWISE:
        assert getattr(U, spec.name).signature == "(n)->(n)"
        assert getattr(U, spec.name + "_backward").signature == "(n),(n)->(n)"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda s: s.name)
def test_ufuncs_equal_the_keyword_api(spec, dtype):
    x = _data(dtype)
    g = _data(dtype)[::-1].copy()
    nums = _numeric(spec)
    for base, kw in _variants(spec):
        values = list(nums.values())
        ref = getattr(fastact, spec.name)(x, **kw)
        got = getattr(U, base)(x, *values)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(
            getattr(U, base + "_backward")(g, x, *values),
            getattr(fastact, spec.name + "_backward")(g, x=x, **kw))
        if spec.kernels[2] is not None:
            np.testing.assert_array_equal(
                getattr(U, base + "_backward_y")(g, ref, *values),
                getattr(fastact, spec.name + "_backward")(g, y=ref, **kw))


@pytest.mark.parametrize("dtype", DTYPES)
def test_parameters_broadcast_and_match_the_keyword_api(dtype):
    x = _data(dtype, 64)
    slopes = np.array([[0.0], [0.1], [2.5]], dtype)
    got = U.leaky_relu(x, slopes)
    assert got.shape == (3, 64)
    for i, s in enumerate(slopes[:, 0]):
        np.testing.assert_array_equal(got[i], fastact.leaky_relu(x, negative_slope=float(s)))
    # a parameter varying along the same axis as x: runs of equal values
    alpha = np.repeat(np.array([0.5, 1.0, 3.0], dtype), [10, 30, 24])
    got = U.celu(x, alpha)
    for a in (0.5, 1.0, 3.0):
        m = alpha == a
        np.testing.assert_array_equal(got[m], fastact.celu(x, alpha=float(a))[m])
    lo = np.array([-1.0, -2.0], dtype)[:, None]
    got = U.hardtanh(x, lo, 1.5)
    np.testing.assert_array_equal(got[1], fastact.hardtanh(x, min_val=-2.0, max_val=1.5))


def test_invalid_parameters_give_nan_with_numpys_warning():
    x = np.linspace(-2, 2, 9)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        r = U.celu(x, np.array([[0.0], [1.0]]))
    assert np.isnan(r[0]).all() and not np.isnan(r[1]).any()
    with np.errstate(invalid="ignore"):
        assert np.isnan(U.hardtanh(x, 1.0, -1.0)).all()
        assert np.isnan(U.softplus(x, 0.0, 20.0)).all()
        assert np.isnan(U.leaky_relu(x, np.inf)).all()
        # from y only where the rule holds (negative_slope > 0)
        r = U.leaky_relu_backward_y(1.0, x, np.array([0.0, 0.1])[:, None])
        assert np.isnan(r[0]).all() and not np.isnan(r[1]).any()


def test_no_floating_point_warnings_from_exact_limits():
    with np.errstate(all="raise"):
        assert U.sigmoid(-1000.0) == 0.0
        assert U.softplus(1000.0, 1.0, 20.0) == 1000.0
        assert U.silu(np.array([-1e30, 1e30], np.float32))[1] == np.float32(1e30)


def test_backward_broadcasts_grad_against_x():
    x = _data(np.float64, 5)
    g = np.arange(15.0).reshape(3, 5)
    got = U.tanh_backward(g, x)
    for i in range(3):
        np.testing.assert_array_equal(got[i], fastact.tanh_backward(g[i], x=x))
    np.testing.assert_array_equal(U.tanh_backward(2.0, x),
                                  fastact.tanh_backward(np.full(5, 2.0), x=x))


def test_numpy_machinery_where_out_dtype_scalars():
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    out = np.full_like(x, 7.0)
    r = U.relu(x, out=out, where=x > 0)
    assert r is out
    np.testing.assert_array_equal(out, np.where(x > 0, x, 7.0))
    # NumPy's dtype rules: a Python float parameter keeps float32 (NEP 50) ...
    assert U.elu(x, 1.0).dtype == np.float32
    # ... a float64 array parameter promotes; integers compute in float64
    assert U.elu(x, np.float64(1.0)).dtype == np.float64
    assert U.sigmoid(np.arange(3)).dtype == np.float64
    assert U.sigmoid(x, dtype=np.float64).dtype == np.float64
    # scalars in, scalars out
    assert type(U.sigmoid(np.float32(0.5))) is np.float32
    assert type(U.sigmoid(0.5)) is np.float64
    assert U.gelu_tanh(np.float32(1.0)) == fastact.gelu(np.float32(1.0), approximate="tanh")
    # an F-ordered and a strided view
    a = np.asfortranarray(np.random.default_rng(0).standard_normal((40, 30)))
    np.testing.assert_array_equal(U.mish(a), fastact.mish(a))
    np.testing.assert_array_equal(U.mish(a[::3, ::-2]), fastact.mish(a[::3, ::-2]))
    # in place through out=x
    y = x.copy()
    U.swish(y, 1.5, out=y)
    np.testing.assert_array_equal(y, fastact.swish(x, beta=1.5))


def test_array_ufunc_dispatch_reaches_the_override():
    class Tagged:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return ("handled", ufunc.__name__, method)

    assert U.sigmoid(Tagged()) == ("handled", "sigmoid", "__call__")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", ROWWISE, ids=lambda s: s.name)
def test_rowwise_gufuncs_equal_the_keyword_api(spec, dtype):
    x = np.random.default_rng(1).standard_normal((7, 9, 5)).astype(dtype)
    g = np.random.default_rng(2).standard_normal((7, 9, 5)).astype(dtype)
    for axis in (0, 1, -1):
        y = getattr(U, spec.name)(x, axis=axis)
        np.testing.assert_array_equal(y, getattr(fastact, spec.name)(x, axis=axis))
        np.testing.assert_array_equal(
            getattr(U, spec.name + "_backward")(g, y, axis=axis),
            getattr(fastact, spec.name + "_backward")(g, y=y, axis=axis))


def test_prelu_ufunc():
    x = np.random.default_rng(3).standard_normal((4, 3, 5))
    w = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(U.prelu(x, w[:, None]), fastact.prelu(x, w))
    g = np.ones_like(x)
    np.testing.assert_array_equal(U.prelu_backward(g, x, w[:, None]),
                                  fastact.prelu_backward(g, x, w)[0])


def test_ufuncs_follow_the_bound_target():
    targets = _dispatch.supported_targets()
    if len(targets) < 2:
        pytest.skip("one kernel target on this CPU")
    x = _data(np.float32, 4096)
    before = _dispatch.current()
    try:
        for t in targets:
            _dispatch.use(t)
            np.testing.assert_array_equal(U.gelu(x), fastact.gelu(x))
            np.testing.assert_array_equal(U.tanh_backward(x, x), fastact.tanh_backward(x, x=x))
    finally:
        _dispatch.use(before)


@pytest.mark.parametrize("name", ["sigmoid", "relu", "softmax"])
def test_threaded_inner_loop_is_bitwise_the_single_thread_result(name):
    x = np.random.default_rng(4).standard_normal((512, 1024)).astype(np.float32)
    f = getattr(U, name)
    with fastact.num_threads(1):
        one = f(x)
    with fastact.num_threads(2):
        two = f(x)
    np.testing.assert_array_equal(one, two)
