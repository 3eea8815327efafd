"""The keyword API and the ufuncs on pandas, xarray and Dask objects (issue 13).

pandas keeps index and columns, xarray its coords and attrs, Dask stays lazy
(no compute until asked) and matches the in-memory result: every elementwise
activation forward and backward, the row-wise ones along every axis.
"""

import numpy as np
import pytest

import fastact
import fastact.ufunc as U
from fastact import ACTIVATIONS

ELEMENTWISE = [s for s in ACTIVATIONS.values() if s.api == "elementwise"]
ROWWISE = [s for s in ACTIVATIONS.values() if s.api == "rowwise"]


def _x(shape=(6, 8), dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def _backward_kw(spec, x, y):
    return {"y": y} if spec.backward_from_y else {"x": x}


# ------------------------------------------------------------------ scalars
def test_numpy_scalars_give_numpy_scalars():
    """Issue 13 changes this: np.float32 in gives np.float32 out (was a 0-d array),
    as a ufunc does; Python numbers and lists still give arrays."""
    r = fastact.sigmoid(np.float32(0.5))
    assert type(r) is np.float32 and r == U.sigmoid(np.float32(0.5))
    assert type(fastact.relu_backward(np.float64(2.0), x=np.float64(1.0))) is np.float64
    assert type(fastact.softmax(np.float32(3.0))) is np.float32
    assert isinstance(fastact.sigmoid(0.5), np.ndarray)


# ------------------------------------------------------------------ pandas
pd = None


@pytest.fixture(scope="module")
def pandas():
    return pytest.importorskip("pandas")


@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda s: s.name)
def test_pandas_keeps_index_and_columns(pandas, spec):
    x = _x()
    df = pandas.DataFrame(x, index=[f"r{i}" for i in range(6)], columns=list("abcdefgh"))
    s = df["c"]
    f = getattr(fastact, spec.name)
    b = getattr(fastact, spec.name + "_backward")
    y = f(df)
    assert isinstance(y, pandas.DataFrame)
    assert (y.index == df.index).all() and (y.columns == df.columns).all()
    np.testing.assert_array_equal(y.to_numpy(), f(x))
    ys = f(s)
    assert isinstance(ys, pandas.Series) and ys.name == "c" and (ys.index == s.index).all()
    assert ys.dtype == np.float32
    dx = b(df, **_backward_kw(spec, df, y))
    assert isinstance(dx, pandas.DataFrame) and (dx.columns == df.columns).all()
    np.testing.assert_array_equal(dx.to_numpy(), b(x, **_backward_kw(spec, x, f(x))))


def test_pandas_in_place_and_errors(pandas):
    s = pandas.Series(np.array([-1.0, 2.0, -3.0]), index=list("abc"))
    assert fastact.relu_(s) is s
    assert s.tolist() == [0.0, 2.0, 0.0] and list(s.index) == list("abc")
    g = pandas.Series(np.array([1.0, 1.0, 1.0]), index=list("abc"))
    fastact.relu_backward_(g, y=s)
    assert g.tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(TypeError, match="never casts"):
        fastact.relu(pandas.Series([1, 2, 3]))
    with pytest.raises(TypeError, match="dtypes"):
        fastact.relu(pandas.DataFrame({"a": np.ones(2, np.float32), "b": np.ones(2)}))
    with pytest.raises(ValueError, match="negative_slope"):
        fastact.leaky_relu_backward(g, y=s, negative_slope=-1.0)


def test_pandas_rowwise(pandas):
    x = _x((5, 4), np.float64)
    df = pandas.DataFrame(x, index=list("vwxyz"), columns=list("abcd"))
    for axis in (0, 1, -1):
        y = fastact.softmax(df, axis=axis)
        assert (y.index == df.index).all() and (y.columns == df.columns).all()
        np.testing.assert_array_equal(y.to_numpy(), fastact.softmax(x, axis=axis))
        d = fastact.softmax_backward(df, y=y, axis=axis)
        np.testing.assert_array_equal(d.to_numpy(),
                                      fastact.softmax_backward(x, y=y.to_numpy(), axis=axis))
    m = fastact.maxout(df, 2, axis=1)
    assert m.shape == (5, 2) and (m.index == df.index).all()
    np.testing.assert_array_equal(m.to_numpy(), fastact.maxout(x, 2, axis=1))
    fastact.log_softmax_(df)
    np.testing.assert_array_equal(df.to_numpy(), fastact.log_softmax(x))


# ------------------------------------------------------------------ xarray
@pytest.fixture(scope="module")
def xr():
    return pytest.importorskip("xarray")


def _dataarray(xr, x):
    return xr.DataArray(x, dims=("time", "feature"),
                        coords={"time": np.arange(x.shape[0]),
                                "feature": [f"f{i}" for i in range(x.shape[1])]},
                        attrs={"units": "V"}, name="signal")


@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda s: s.name)
def test_xarray_keeps_coords(xr, spec):
    x = _x()
    a = _dataarray(xr, x)
    f = getattr(fastact, spec.name)
    y = f(a)
    assert isinstance(y, xr.DataArray) and y.dims == a.dims and y.attrs == a.attrs
    assert y.coords.equals(a.coords) and y.name == "signal"
    np.testing.assert_array_equal(y.values, f(x))
    b = getattr(fastact, spec.name + "_backward")
    dx = b(a, **_backward_kw(spec, a, y))
    assert dx.coords.equals(a.coords)
    np.testing.assert_array_equal(dx.values, b(x, **_backward_kw(spec, x, f(x))))


def test_xarray_rowwise_and_in_place(xr):
    x = _x((6, 8), np.float64)
    a = _dataarray(xr, x)
    for axis in (0, 1):
        y = fastact.softmin(a, axis=axis)
        assert y.coords.equals(a.coords)
        np.testing.assert_array_equal(y.values, fastact.softmin(x, axis=axis))
    m = fastact.maxout(a, 4, axis=1)
    assert m.shape == (6, 2) and "feature" not in m.coords and m.coords["time"].size == 6
    b = a.copy(deep=True)
    assert fastact.gelu_(b) is b
    np.testing.assert_array_equal(b.values, fastact.gelu(x))
    assert b.coords.equals(a.coords)


# ------------------------------------------------------------------ Dask
@pytest.fixture(scope="module")
def da():
    return pytest.importorskip("dask.array")


@pytest.fixture
def no_compute(monkeypatch):
    """Fails any compute while a graph is being built (lazy means lazy)."""
    import dask

    def refuse(*args, **kwargs):
        raise AssertionError("computed eagerly")

    with dask.config.set(scheduler=refuse):
        yield
    assert True


@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda s: s.name)
def test_dask_stays_lazy_and_matches(da, spec, no_compute):
    x = _x((60, 40))
    d = da.from_array(x, chunks=(16, 15))
    f = getattr(fastact, spec.name)
    b = getattr(fastact, spec.name + "_backward")
    y = f(d)
    dx = b(d, **_backward_kw(spec, d, y))
    uy = getattr(U, spec.name)(d, *[v for v in spec.params.values() if not isinstance(v, str)])
    assert all(isinstance(r, da.Array) for r in (y, dx, uy))
    assert y.chunks == d.chunks and y.dtype == np.float32
    import dask
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(y.compute(), f(x))
        np.testing.assert_array_equal(uy.compute(), f(x))
        np.testing.assert_array_equal(dx.compute(), b(x, **_backward_kw(spec, x, f(x))))


@pytest.mark.parametrize("spec", ROWWISE, ids=lambda s: s.name)
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_dask_rowwise_along_any_axis(da, spec, axis, no_compute):
    x = _x((12, 18, 24), np.float64, seed=3)
    d = da.from_array(x, chunks=(5, 7, 8))
    if spec.api == "maxout":
        y = fastact.maxout(d, 3, axis=axis)
        g = da.ones_like(y)
        dx = fastact.maxout_backward(g, x=d, pieces=3, axis=axis)
        ref = fastact.maxout(x, 3, axis=axis)
        ref_dx = fastact.maxout_backward(np.ones_like(ref), x=x, pieces=3, axis=axis)
    else:
        f = getattr(fastact, spec.name)
        y = f(d, axis=axis)
        g = d * 0.5
        dx = getattr(fastact, spec.name + "_backward")(g, y=y, axis=axis)
        ref = f(x, axis=axis)
        ref_dx = getattr(fastact, spec.name + "_backward")(x * 0.5, y=ref, axis=axis)
        # only the reduced axis was rechunked
        for ax in range(3):
            want = (x.shape[ax],) if ax == axis % 3 else d.chunks[ax]
            assert y.chunks[ax] == want
    assert isinstance(y, da.Array) and isinstance(dx, da.Array)
    import dask
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(y.compute(), ref)
        np.testing.assert_array_equal(dx.compute(), ref_dx)


def test_xarray_dataset_and_dask_backed_dataarray(xr, da, no_compute):
    x = _x((6, 8))
    ds = xr.Dataset({"a": (("t", "f"), x), "b": (("t", "f"), -x)})
    out = fastact.relu(ds)
    assert isinstance(out, xr.Dataset) and set(out) == {"a", "b"}
    np.testing.assert_array_equal(out["b"].values, fastact.relu(-x))
    lazy = _dataarray(xr, x).chunk({"time": 2})
    y, s = fastact.tanh(lazy), fastact.softmax(lazy, axis=0)
    assert isinstance(y.data, da.Array) and isinstance(s.data, da.Array)
    assert s.coords.equals(lazy.coords)
    import dask
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(y.values, fastact.tanh(x))
        np.testing.assert_array_equal(s.values, fastact.softmax(x, axis=0))
    with pytest.raises(TypeError, match="cannot be written in place"):
        fastact.tanh_(lazy)


def test_dask_long_axis_splits_the_others_past_the_chunk_size(da, no_compute):
    import dask
    d = da.ones((4000, 64), chunks=(500, 64), dtype=np.float64)
    with dask.config.set({"array.chunk-size": "256KiB"}):
        y = fastact.softmax(d, axis=0)
    assert y.chunks[0] == (4000,)
    assert max(y.chunks[1]) * 4000 * 8 <= 256 * 1024 < 4000 * 64 * 8
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(y.compute(), fastact.softmax(np.ones((4000, 64)), axis=0))


def test_dask_in_place_is_a_clear_error(da):
    d = da.ones((4, 4), chunks=2)
    for call in (lambda: fastact.relu_(d), lambda: fastact.softmax_(d),
                 lambda: fastact.sigmoid_backward_(d, y=d)):
        with pytest.raises(TypeError, match="cannot be written in place"):
            call()
