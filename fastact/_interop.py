"""The keyword API on pandas, xarray and Dask objects (and NumPy scalars).

The keyword functions (fastact/_api.py) stay the fast, never-cast path for
ndarrays; only an argument that is not an ndarray comes here, one type check
later.  Elementwise activations hand such objects to the matching ufunc
(``fastact.ufunc``), whose ``__array_ufunc__`` dispatch keeps each container's
type: a pandas Series/DataFrame its index and columns, an xarray DataArray
its coords, a Dask array its laziness.  Row-wise activations reduce along an
axis, which no elementwise dispatch can do: they are applied here, per type
(a Dask array is rechunked along that axis only, then mapped block by block).

The dtype rule of the keyword API holds for containers too: float32 or
float64, nothing cast.  In place: a NumPy-backed DataArray is written in its
own memory, a pandas object through pandas (``out=``, which respects
copy-on-write; one temporary), and a Dask array, immutable, is refused.
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _module_type(module: str, name: str):
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def is_dask(obj) -> bool:
    t = _module_type("dask.array", "Array")
    return t is not None and isinstance(obj, t)


def is_dataarray(obj) -> bool:
    t = _module_type("xarray", "DataArray")
    return t is not None and isinstance(obj, t)


def is_pandas(obj) -> bool:
    s, d = _module_type("pandas", "Series"), _module_type("pandas", "DataFrame")
    return s is not None and isinstance(obj, (s, d))


def is_foreign(obj) -> bool:
    """A container that dispatches ufuncs itself (``__array_ufunc__`` other than
    ndarray's): pandas, xarray, Dask, ...; not ndarrays, their subclasses, NumPy
    scalars, lists or Python numbers (the keyword API's own cases)."""
    if isinstance(obj, (np.ndarray, np.generic, list, tuple, int, float)):
        return False
    return getattr(type(obj), "__array_ufunc__", None) is not None


class DtypeOf(NamedTuple):
    """Stands in for an array where only its dtype is read (parameter rounding)."""
    dtype: Any


def float_dtype(fname: str, argname: str, obj) -> np.dtype:
    """The one float32/float64 dtype of a container, or the keyword API's error."""
    dtypes = getattr(obj, "dtypes", None)
    if dtypes is not None and not isinstance(dtypes, np.dtype) and hasattr(dtypes, "__iter__"):
        values = getattr(dtypes, "values", dtypes)   # a pandas Series, or a mapping
        found = set(values() if callable(values) else values)
        if len(found) > 1:
            raise TypeError(f"{fname}(): {argname} has columns of dtypes "
                            f"{sorted(str(d) for d in found)}; fastact never casts "
                            f"silently: convert first, e.g. {argname}.astype(np.float32)")
        dtype = found.pop() if found else np.dtype(np.float64)
    else:
        dtype = getattr(obj, "dtype", None)
    if not isinstance(dtype, np.dtype) or dtype not in _FLOATS or not dtype.isnative:
        raise TypeError(
            f"{fname}(): {argname} has dtype {dtype}, but fastact computes only in float32 "
            f"or float64 and never casts silently; convert it first, e.g. "
            f"{argname}.astype(np.float32)")
    return dtype


def no_inplace(fname: str, argname: str, obj):
    return TypeError(
        f"{fname}(): {argname} is a {type(obj).__module__}.{type(obj).__name__}, which "
        f"cannot be written in place (a Dask array is immutable: its graph computes "
        f"later); use the out-of-place form, e.g. {argname} = fastact."
        f"{fname.rstrip('_')}(...), which returns a new object of the same type")


def inplace_call(fname, argname, obj, ufunc, args, ndarray_call):
    """In-place forms on a container: ``ndarray_call(array)`` for a NumPy-backed
    DataArray (its own memory), ``ufunc(*args, out=obj)`` for pandas."""
    if is_dataarray(obj) and isinstance(obj.data, np.ndarray):
        ndarray_call(obj.data)
        return obj
    if is_pandas(obj):
        ufunc(*args, out=obj)
        return obj
    raise no_inplace(fname, argname, obj)


# ---------------------------------------------------------------------------
# Row-wise activations (softmax, log_softmax, softmin; maxout) on containers.
# ---------------------------------------------------------------------------
def _norm_axis(fname, axis, ndim):
    if axis < -ndim or axis >= ndim:
        raise ValueError(f"{fname}(): axis {axis} is out of bounds for an array of "
                         f"dimension {ndim}")
    return axis % ndim


def _pandas_like(obj, values, keep_axis=None):
    """A pandas object like ``obj`` holding ``values``; ``keep_axis`` (maxout) is
    the only axis whose labels survive (the other was shrunk)."""
    import pandas as pd

    if isinstance(obj, pd.Series):
        return pd.Series(values, index=obj.index if keep_axis is None else None, name=obj.name)
    index = obj.index if keep_axis in (None, 0) else None
    columns = obj.columns if keep_axis in (None, 1) else None
    return pd.DataFrame(values, index=index, columns=columns)


def _pandas_values(fname, argname, obj):
    float_dtype(fname, argname, obj)
    return obj.to_numpy()


def _no_out(fname, obj, out):
    """out= is for NumPy arrays; a container's result is the returned object."""
    if out is not None:
        raise TypeError(f"{fname}(): out= takes a NumPy array; with a "
                        f"{type(obj).__name__} input use the returned object")


def _maxout_rechunk(fname, x, pieces, axis):
    """A Dask x rechunked so that each block of ``axis`` holds whole groups of
    ``pieces``: (x, axis as an index, the pooled result's chunks)."""
    ax = _norm_axis(fname, axis, x.ndim)
    if x.shape[ax] % pieces:
        raise ValueError(f"{fname}(): x.shape[{axis}] = {x.shape[ax]} is not divisible "
                         f"by pieces = {pieces}")
    x = x.rechunk({ax: max(pieces, x.chunksize[ax] // pieces * pieces)})
    pooled = tuple(c if d != ax else tuple(n // pieces for n in c)
                   for d, c in enumerate(x.chunks))
    return x, ax, pooled


def rowwise(fname, func, x, axis, inplace, out):
    """softmax-like forward on a container; ``func(ndarray, axis)``."""
    _no_out(fname, x, out)
    if is_dask(x):
        if inplace:
            raise no_inplace(fname, "x", x)
        float_dtype(fname, "x", x)
        ax = _norm_axis(fname, axis, x.ndim)
        return _whole_axis(x, ax).map_blocks(_rowwise_block, fname.rstrip("_"), ax,
                                             dtype=x.dtype)
    if is_dataarray(x):
        if inplace:
            if not isinstance(x.data, np.ndarray):
                raise no_inplace(fname, "x", x)
            func(x.data, axis, inplace=True)
            return x
        data = (func(x.data, axis) if isinstance(x.data, np.ndarray)
                else rowwise(fname, func, x.data, axis, False, None))
        return x.copy(data=data)
    if is_pandas(x):
        values = _pandas_values(fname, "x", x)
        result = _pandas_like(x, func(values, axis))
        if inplace:
            x.iloc[...] = result.to_numpy()
            return x
        return result
    raise TypeError(f"{fname}(): x must be a NumPy array, or a pandas, xarray or Dask "
                    f"object; got {type(x).__name__}")


# What a Dask task runs on one block: module-level functions, so that
# distributed can pickle the graph (by reference) to worker processes.
def _rowwise_block(block, name, axis):
    import fastact
    return getattr(fastact, name)(block, axis=axis)


def _rowwise_backward_block(grad, y, name, axis):
    import fastact
    return getattr(fastact, name)(grad, y=y, axis=axis)


def _maxout_block(block, pieces, axis):
    import fastact
    return fastact.maxout(block, pieces, axis=axis)


def _maxout_backward_block(grad, x, pieces, axis):
    import fastact
    return fastact.maxout_backward(grad, x=x, pieces=pieces, axis=axis)


def _whole_axis(x, ax):
    """``x`` rechunked so that every block holds whole rows along ``ax``: only
    that axis changes, unless blocks would then exceed Dask's chunk-size
    setting (``array.chunk-size``, 128 MiB by default): then the other axes are
    split further ("auto"), so a long axis does not make blocks larger than a
    worker's memory."""
    import dask
    from dask.utils import parse_bytes

    limit = parse_bytes(dask.config.get("array.chunk-size"))
    block = x.dtype.itemsize * x.shape[ax]
    for d, size in enumerate(x.chunksize):
        if d != ax:
            block *= size
    if block <= limit:
        return x.rechunk({ax: -1})
    return x.rechunk({d: (-1 if d == ax else "auto") for d in range(x.ndim)},
                     block_size_limit=limit)


def _dask_pair(a, b):
    """Both as Dask arrays with the same chunks (a's)."""
    import dask.array as da

    if not is_dask(a):
        a = da.asarray(a, chunks=b.chunks if is_dask(b) else "auto")
    b = da.asarray(b).rechunk(a.chunks) if not is_dask(b) else b.rechunk(a.chunks)
    return a, b


def rowwise_backward(fname, func, grad, y, axis, inplace, out):
    """softmax-like backward on containers; ``func(grad, y, axis)``."""
    _no_out(fname, grad, out)
    if is_dask(grad) or is_dask(y):
        if inplace:
            raise no_inplace(fname, "grad", grad)
        float_dtype(fname, "grad", grad)
        float_dtype(fname, "y", y)
        g, yy = _dask_pair(grad, y)
        ax = _norm_axis(fname, axis, g.ndim)
        g = _whole_axis(g, ax)
        yy = yy.rechunk(g.chunks)
        return g.map_blocks(_rowwise_backward_block, yy, fname.rstrip("_"), ax, dtype=g.dtype)
    if is_dataarray(grad) or is_dataarray(y):
        like = grad if is_dataarray(grad) else y
        gd = grad.data if is_dataarray(grad) else grad
        yd = y.data if is_dataarray(y) else y
        if inplace:
            if not (is_dataarray(grad) and isinstance(gd, np.ndarray)):
                raise no_inplace(fname, "grad", grad)
            func(gd, yd, axis, inplace=True)
            return grad
        return like.copy(data=rowwise_backward(fname, func, gd, yd, axis, False, None)
                         if not isinstance(gd, np.ndarray) or not isinstance(yd, np.ndarray)
                         else func(gd, yd, axis))
    like = grad if is_pandas(grad) else y
    gv = _pandas_values(fname, "grad", grad) if is_pandas(grad) else grad
    yv = _pandas_values(fname, "y", y) if is_pandas(y) else y
    result = func(gv, yv, axis)
    if inplace:
        if not is_pandas(grad):
            raise no_inplace(fname, "grad", grad)
        grad.iloc[...] = result
        return grad
    return _pandas_like(like, result)


def maxout(fname, func, x, pieces, axis, out):
    """maxout forward on a container; ``func(ndarray, pieces, axis)``."""
    _no_out(fname, x, out)
    if is_dask(x):
        float_dtype(fname, "x", x)
        xr, ax, pooled = _maxout_rechunk(fname, x, pieces, axis)
        return xr.map_blocks(_maxout_block, pieces, ax, dtype=x.dtype, chunks=pooled)
    if is_dataarray(x):
        import xarray as xr

        ax = _norm_axis(fname, axis, x.ndim)
        dim = x.dims[ax]
        data = (maxout(fname, func, x.data, pieces, ax, None) if not isinstance(x.data, np.ndarray)
                else func(x.data, pieces, ax))
        coords = {k: v for k, v in x.coords.items() if dim not in v.dims}
        return xr.DataArray(data, dims=x.dims, coords=coords, attrs=x.attrs, name=x.name)
    if is_pandas(x):
        ax = _norm_axis(fname, axis, x.ndim)
        return _pandas_like(x, func(_pandas_values(fname, "x", x), pieces, ax),
                            keep_axis=1 - ax if x.ndim == 2 else -1)
    raise TypeError(f"{fname}(): x must be a NumPy array, or a pandas, xarray or Dask "
                    f"object; got {type(x).__name__}")


def maxout_backward(fname, func, grad, x, pieces, axis, out):
    """maxout backward on containers (the result has x's shape and labels)."""
    _no_out(fname, x, out)
    if is_dask(grad) or is_dask(x):
        import dask.array as da

        float_dtype(fname, "grad", grad)
        float_dtype(fname, "x", x)
        x, ax, pooled = _maxout_rechunk(fname, x if is_dask(x) else da.asarray(x),
                                        pieces, axis)
        g = (grad if is_dask(grad) else da.asarray(grad)).rechunk(pooled)
        return da.map_blocks(_maxout_backward_block, g, x, pieces, ax, dtype=x.dtype,
                             chunks=x.chunks)
    if is_dataarray(x) or is_dataarray(grad):
        gd = grad.data if is_dataarray(grad) else grad
        xd = x.data if is_dataarray(x) else x
        if not isinstance(gd, np.ndarray) or not isinstance(xd, np.ndarray):
            data = maxout_backward(fname, func, gd, xd, pieces, axis, None)
        else:
            data = func(gd, xd, pieces, axis)
        if is_dataarray(x):
            return x.copy(data=data)
        import xarray as xr
        return xr.DataArray(data, dims=grad.dims)
    gv = _pandas_values(fname, "grad", grad) if is_pandas(grad) else grad
    xv = _pandas_values(fname, "x", x) if is_pandas(x) else x
    result = func(gv, xv, pieces, axis)
    return _pandas_like(x, result) if is_pandas(x) else result
