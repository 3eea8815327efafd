"""Builds the public functions from the table; no per-activation code here.

For each elementwise activation NAME four functions are made:
``NAME(x, /, *, out=None, **params)``, ``NAME_(x, /, **params)``,
``NAME_backward(grad, /, *, x=None, y=None, out=None, **params)`` and
``NAME_backward_(grad, /, *, x=None, y=None, **params)``.
Argument checking happens once, in the compiled module (pyx/_kernels.pyx.tp);
this layer only resolves keyword parameters and picks the kernel.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from . import _interop, _kernels
from ._docs import keyword_doc, maxout_doc, prelu_doc, rowwise_doc
from ._table import ACTIVATIONS, Activation, choice_combos

_ndarray = np.ndarray
_generic = np.generic
# Returned by the slow paths below when the argument is one the fast path takes.
_FAST = object()


def _ufuncs():
    from . import ufunc
    return ufunc

_P = inspect.Parameter


def _signature(positional, keywords, params):
    items = [_P(n, _P.POSITIONAL_ONLY) for n in positional]
    items += [_P(n, _P.KEYWORD_ONLY, default=d) for n, d in keywords]
    items += [_P(n, _P.KEYWORD_ONLY, default=d) for n, d in params.items()]
    return inspect.Signature(items)


def _finish(func, name, signature, doc):
    func.__name__ = func.__qualname__ = name
    func.__module__ = "fastact"
    func.__signature__ = signature
    func.__doc__ = doc
    return func


_FLOAT32_MAX = float(np.finfo(np.float32).max)
_float32 = np.dtype(np.float32)
_CACHE_SIZE = 256


def _in_dtype(fname, given, resolved, arr):
    """The parameters as the kernels see them: rounded to the array's dtype.

    Every check (pack's: nonzero, min_val <= max_val; the from-y rule) runs on
    these values, so a float32 alpha=1e-46, which rounds to 0, is refused as
    alpha=0 is (checked in float64 it passed, and celu divided by zero).  A value
    that rounds to inf in float32 is refused; one that rounds to FLT_MAX (e.g.
    3.4028235e38, FLT_MAX as printed) is not.
    """
    if getattr(arr, "dtype", None) != np.float32:
        return resolved
    rounded = dict(resolved)
    for key, value in resolved.items():
        if isinstance(value, str):
            continue
        with np.errstate(over="ignore"):
            v32 = np.float32(value)
        if np.isinf(v32):
            raise ValueError(f"{fname}(): {key}={value!r} does not fit in float32 "
                             f"(|{key}| <= {_FLOAT32_MAX:.9g}); use float64 arrays for it")
        rounded[key] = float(v32)
    return rounded


def _rounding_note(given, resolved, rounded):
    """' (alpha=1e-46 is 0.0 in float32)' for the given parameters that rounding changed."""
    changed = [f"{k}={resolved[k]!r} is {rounded[k]!r} in float32" for k in given
               if not isinstance(resolved[k], str) and rounded[k] != resolved[k]]
    return f" ({'; '.join(changed)})" if changed else ""


def _kernel(name):
    return _kernels.KERNELS[name] if name else None


def _elementwise(spec: Activation):
    """The four entry points of one elementwise activation."""
    name = spec.name
    # Kernel triples (forward, backward from x, from y) per value of the string
    # parameters (spec.choices; just the one triple for most activations).
    variants = {}
    for combo in choice_combos(spec):
        names = spec.kernels_for(dict(spec.params, **combo))
        variants[names] = tuple(_kernel(n) for n in names)
    default = (variants[spec.kernels_for(spec.params)], spec.pack(spec.params), spec.params)
    unary, unary_, binary = _kernels.run_unary, _kernels.run_unary_, _kernels.run_binary

    # Resolved parameters per (float32?, the given values with their types):
    # resolving, rounding to float32 and packing cost 4-9 us a call, more than
    # the kernel on a small array.  Only successes are kept (an invalid value
    # raises every time); the key holds each value's type (True == 1.0 but is
    # refused) and a zero's sign (-0.0 == 0.0, but a zero slope's sign reaches
    # the result).
    cache = {}

    def resolved(fname, params, arr):
        """((forward, backward, backward_y) kernels, packed params, the params in
        the array's dtype) for a call."""
        if not params:
            return default
        try:
            key = (getattr(arr, "dtype", None) == _float32,
                   tuple((k, type(v), v, v == 0 and math.copysign(1.0, v))
                         for k, v in params.items()))
            hit = cache.get(key)
        except TypeError:       # an unhashable value: resolve() says what is wrong
            key = hit = None
        if hit is not None:
            return hit
        result = resolve_now(fname, params, arr)
        if key is not None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[key] = result
        return result

    def resolve_now(fname, params, arr):
        r = spec.resolve(fname, params)
        rd = _in_dtype(fname, params, r, arr)
        try:
            packed = spec.pack(rd)
        except ValueError as exc:
            note = _rounding_note(params, r, rd)
            if not note:
                raise
            raise ValueError(f"{fname}(): {exc}{note}") from None
        return variants[spec.kernels_for(r)], packed, rd

    def pick(fname, grad, x, y, params):
        """(kernel, array, its name, packed params) for a backward call."""
        if (x is None) == (y is None):
            raise TypeError(
                f"{fname}(): pass exactly one of x= (the forward input) or "
                f"y= (the forward output)"
            )
        (_, k_bwd, k_bwd_y), p, rd = resolved(fname, params, grad)
        if x is not None:
            return k_bwd, x, "x", p
        if k_bwd_y is None:
            raise ValueError(
                f"{fname}(): {name}'s derivative cannot be computed from the output y; "
                f"pass the forward input as x="
            )
        if spec.from_y_condition is not None and not spec.accepts_y(
                **{k: rd[k] for k in params}):
            note = _rounding_note(params, spec.resolve(fname, params), rd)
            raise ValueError(
                f"{fname}(): the derivative can be computed from y only when "
                f"{spec.from_y_condition}{note}; pass the forward input as x="
            )
        return k_bwd_y, y, "y", p

    fname, fname_ = name, name + "_"
    bname, bname_ = name + "_backward", name + "_backward_"
    numeric = [k for k, v in spec.params.items() if not isinstance(v, str)]

    def ufunc_for(rd, suffix=""):
        base = name + "".join(spec.choices[k][rd[k]] for k in spec.choices)
        return getattr(_ufuncs(), base + suffix)

    def slow_forward(fn, x, out, params, inplace, monitor):
        """Arguments other than ndarrays: a NumPy scalar gives a NumPy scalar
        (as a ufunc does); a pandas/xarray/Dask object goes to the ufunc."""
        if isinstance(x, _generic) and not inplace:
            ks, p, _ = resolved(fn, params, x)
            r = unary(ks[0], fn, x, out, p, monitor)
            if monitor is not None and monitor.warn:
                monitor._after_call(fn)
            return r[()] if out is None else r
        if not _interop.is_foreign(x):
            return _FAST
        if monitor is not None:
            raise TypeError(f"{fn}(): monitor= counts NumPy arrays only; pass "
                            f"x.to_numpy() / x.values, or no monitor")
        dtype = _interop.float_dtype(fn, "x", x)
        ks, p, rd = resolved(fn, params, _interop.DtypeOf(dtype))
        uf = ufunc_for(rd)
        # parameters as scalars of x's dtype: pandas turns a Python float into a
        # float64 array for a DataFrame, which would promote a float32 frame
        args = (x, *[dtype.type(rd[k]) for k in numeric])
        if inplace:
            return _interop.inplace_call(fn, "x", x, uf, args,
                                         lambda a: unary_(ks[0], fn, a, p))
        return uf(*args) if out is None else uf(*args, out=out)

    def slow_backward(fn, grad, x, y, out, params, inplace):
        v = x if x is not None else y
        if isinstance(grad, _generic) and isinstance(v, _generic) and not inplace:
            k, vv, vname, p = pick(fn, grad, x, y, params)
            r = binary(k, fn, grad, "grad", vv, vname, out, False, p)
            return r[()] if out is None else r
        if not (_interop.is_foreign(grad) or _interop.is_foreign(v)):
            return _FAST
        dtype = _interop.float_dtype(fn, "grad", grad)
        vdtype = _interop.float_dtype(fn, "x" if x is not None else "y", np.asarray(v)
                                      if isinstance(v, (list, tuple)) else v)
        if vdtype != dtype:
            raise TypeError(f"{fn}(): grad has dtype {dtype} but "
                            f"{'x' if x is not None else 'y'} has dtype {vdtype}; they "
                            f"must match")
        k, _, vname, p = pick(fn, _interop.DtypeOf(dtype), x, y, params)
        _, _, rd = resolved(fn, params, _interop.DtypeOf(dtype))
        uf = ufunc_for(rd, "_backward" if vname == "x" else "_backward_y")
        args = (grad, v, *[dtype.type(rd[k]) for k in numeric])
        if inplace:
            vd = v.data if _interop.is_dataarray(v) else v
            return _interop.inplace_call(
                fn, "grad", grad, uf, args,
                lambda a: binary(k, fn, a, "grad", vd, vname, None, True, p))
        return uf(*args) if out is None else uf(*args, out=out)

    def forward(x, /, *, out=None, **params):
        if type(x) is not _ndarray:
            r = slow_forward(fname, x, out, params, False, None)
            if r is not _FAST:
                return r
        ks, p, _ = resolved(fname, params, x)
        return unary(ks[0], fname, x, out, p)

    def forward_(x, /, **params):
        if type(x) is not _ndarray:
            r = slow_forward(fname_, x, None, params, True, None)
            if r is not _FAST:
                return r
        ks, p, _ = resolved(fname_, params, x)
        return unary_(ks[0], fname_, x, p)

    if spec.flat is not None:   # the forward takes monitor= (a DeadUnitMonitor)
        def forward(x, /, *, out=None, monitor=None, **params):
            if type(x) is not _ndarray:
                r = slow_forward(fname, x, out, params, False, monitor)
                if r is not _FAST:
                    return r
            ks, p, _ = resolved(fname, params, x)
            r = unary(ks[0], fname, x, out, p, monitor)
            if monitor is not None and monitor.warn:
                monitor._after_call(fname)
            return r

        def forward_(x, /, *, monitor=None, **params):
            if type(x) is not _ndarray:
                r = slow_forward(fname_, x, None, params, True, monitor)
                if r is not _FAST:
                    return r
            ks, p, _ = resolved(fname_, params, x)
            r = unary_(ks[0], fname_, x, p, monitor)
            if monitor is not None and monitor.warn:
                monitor._after_call(fname_)
            return r

    def backward(grad, /, *, x=None, y=None, out=None, **params):
        if type(grad) is not _ndarray or type(x if x is not None else y) is not _ndarray:
            r = slow_backward(bname, grad, x, y, out, params, False)
            if r is not _FAST:
                return r
        k, v, vname, p = pick(bname, grad, x, y, params)
        return binary(k, bname, grad, "grad", v, vname, out, False, p)

    def backward_(grad, /, *, x=None, y=None, **params):
        if type(grad) is not _ndarray or type(x if x is not None else y) is not _ndarray:
            r = slow_backward(bname_, grad, x, y, None, params, True)
            if r is not _FAST:
                return r
        k, v, vname, p = pick(bname_, grad, x, y, params)
        return binary(k, bname_, grad, "grad", v, vname, None, True, p)

    ps = spec.params
    mon = [("monitor", None)] if spec.flat is not None else []
    return {
        fname: _finish(forward, fname, _signature(["x"], [("out", None)] + mon, ps),
                       keyword_doc(spec, fname, "forward")),
        fname_: _finish(forward_, fname_, _signature(["x"], mon, ps),
                        keyword_doc(spec, fname_, "forward_")),
        bname: _finish(backward, bname,
                       _signature(["grad"], [("x", None), ("y", None), ("out", None)], ps),
                       keyword_doc(spec, bname, "backward")),
        bname_: _finish(backward_, bname_,
                        _signature(["grad"], [("x", None), ("y", None)], ps),
                        keyword_doc(spec, bname_, "backward_")),
    }


def _prelu(spec: Activation):
    k_fwd, k_bwd = _kernel(spec.kernels[0]), _kernel(spec.kernels[1])
    run, run_backward = _kernels.run_prelu, _kernels.run_prelu_backward

    def channel_weight(x, weight):
        """weight shaped to broadcast along x's channel axis (for the ufuncs)."""
        w = np.asarray(weight)
        if w.ndim == 1 and w.size > 1 and x.ndim > 2:
            w = w.reshape((-1,) + (1,) * (x.ndim - 2))
        return w

    def slow(fn, x, weight, out, monitor):
        if not _interop.is_foreign(x):
            return _FAST
        if monitor is not None:
            raise TypeError(f"{fn}(): monitor= counts NumPy arrays only")
        dtype = _interop.float_dtype(fn, "x", x)
        w = channel_weight(x, weight)
        if w.dtype != dtype:
            raise TypeError(f"{fn}(): weight has dtype {w.dtype} but x has dtype {dtype}; "
                            f"they must match")
        uf = _ufuncs().prelu
        if fn == "prelu_":
            return _interop.inplace_call(fn, "x", x, uf, (x, w),
                                         lambda a: run(k_fwd, fn, a, weight, None, True))
        return uf(x, w) if out is None else uf(x, w, out=out)

    def prelu_forward(fn, x, weight, out, inplace, monitor):
        """prelu and prelu_: containers by the slow path, arrays by the kernel."""
        if type(x) is not _ndarray:
            r = slow(fn, x, weight, out, monitor)
            if r is not _FAST:
                return r
        r = run(k_fwd, fn, x, weight, out, inplace, monitor)
        if monitor is not None and monitor.warn:
            monitor._after_call(fn)
        return r

    def prelu(x, weight, /, *, out=None, monitor=None):
        return prelu_forward("prelu", x, weight, out, False, monitor)

    def prelu_(x, weight, /, *, monitor=None):
        return prelu_forward("prelu_", x, weight, None, True, monitor)

    def prelu_backward(grad, x, weight, /):
        if (type(grad) is not _ndarray or type(x) is not _ndarray) and (
                _interop.is_foreign(grad) or _interop.is_foreign(x)):
            # dx by the ufunc; dweight as a sum over every axis but the channel
            # axis, in float64 (lazy for Dask), then rounded, as for arrays.
            dtype = _interop.float_dtype("prelu_backward", "x", x)
            w = channel_weight(x, weight)
            dx = _ufuncs().prelu_backward(grad, x, w)
            g64 = np.asarray(grad) if isinstance(grad, list) else grad
            prod = (g64 * x).astype(np.float64) * (x <= 0)
            ndim = len(np.shape(x))
            axes = tuple(d for d in range(ndim) if d != (1 if ndim >= 2 else 0))
            if np.asarray(weight).size == 1:
                axes = tuple(range(ndim))
            dw = prod.sum(axis=axes)
            dw = getattr(dw, "data", dw)    # a DataArray's sum: its array
            return dx, np.reshape(dw, np.shape(weight)).astype(dtype)
        return run_backward(k_bwd, "prelu_backward", grad, x, weight)

    return {
        "prelu": _finish(prelu, "prelu", inspect.signature(prelu), prelu_doc(spec, "prelu")),
        "prelu_": _finish(prelu_, "prelu_", inspect.signature(prelu_),
                          prelu_doc(spec, "prelu_")),
        "prelu_backward": _finish(prelu_backward, "prelu_backward",
                                  inspect.signature(prelu_backward),
                                  prelu_doc(spec, "prelu_backward")),
    }


def _axis(fname, axis):
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise TypeError(f"{fname}(): axis must be an int, got {type(axis).__name__}")
    return axis.__index__()


def _rowwise(spec: Activation):
    """softmax-like: reduce along ``axis``; backward from the output y."""
    name = spec.name
    k_fwd, k_bwd = _kernel(spec.kernels[0]), _kernel(spec.kernels[2])
    (sign,) = spec.pack(spec.params)
    run = _kernels.run_rowwise
    fname, fname_ = name, name + "_"
    bname, bname_ = name + "_backward", name + "_backward_"

    def on_block(a, axis, inplace=False):
        """The forward pass on one ndarray (a container's data, a Dask block)."""
        return run(k_fwd, fname_ if inplace else fname, a, "x", None, inplace, axis, sign)

    def on_blocks(g, y, axis, inplace=False):
        return run(k_bwd, bname_ if inplace else bname, y, "y", None, inplace, axis, sign, g)

    def forward(x, /, *, axis=-1, out=None):
        axis = _axis(fname, axis)
        if type(x) is not _ndarray and _interop.is_foreign(x):
            return _interop.rowwise(fname, on_block, x, axis, False, out)
        r = run(k_fwd, fname, x, "x", out, False, axis, sign)
        return r[()] if isinstance(x, _generic) and out is None else r

    def forward_(x, /, *, axis=-1):
        axis = _axis(fname_, axis)
        if type(x) is not _ndarray and _interop.is_foreign(x):
            return _interop.rowwise(fname_, on_block, x, axis, True, None)
        return run(k_fwd, fname_, x, "x", None, True, axis, sign)

    def backward(grad, /, *, y, axis=-1, out=None):
        axis = _axis(bname, axis)
        if (type(grad) is not _ndarray or type(y) is not _ndarray) and (
                _interop.is_foreign(grad) or _interop.is_foreign(y)):
            return _interop.rowwise_backward(bname, on_blocks, grad, y, axis, False, out)
        return run(k_bwd, bname, y, "y", out, False, axis, sign, grad)

    def backward_(grad, /, *, y, axis=-1):
        axis = _axis(bname_, axis)
        if (type(grad) is not _ndarray or type(y) is not _ndarray) and (
                _interop.is_foreign(grad) or _interop.is_foreign(y)):
            return _interop.rowwise_backward(bname_, on_blocks, grad, y, axis, True, None)
        return run(k_bwd, bname_, y, "y", None, True, axis, sign, grad)

    return {
        fname: _finish(forward, fname, inspect.signature(forward),
                       rowwise_doc(spec, fname, "forward")),
        fname_: _finish(forward_, fname_, inspect.signature(forward_),
                        rowwise_doc(spec, fname_, "forward_")),
        bname: _finish(backward, bname, inspect.signature(backward),
                       rowwise_doc(spec, bname, "backward")),
        bname_: _finish(backward_, bname_, inspect.signature(backward_),
                        rowwise_doc(spec, bname_, "backward_")),
    }


def _maxout(spec: Activation):
    k_fwd, k_bwd = _kernel(spec.kernels[0]), _kernel(spec.kernels[1])
    run = _kernels.run_maxout

    def _pieces(fname, pieces):
        if isinstance(pieces, bool) or not hasattr(pieces, "__index__"):
            raise TypeError(f"{fname}(): pieces must be an int, got {type(pieces).__name__}")
        return pieces.__index__()

    def on_block(a, pieces, axis):
        return run(k_fwd, "maxout", a, pieces, axis, None)

    def on_blocks(g, x, pieces, axis):
        return run(k_bwd, "maxout_backward", x, pieces, axis, None, g)

    def maxout(x, /, pieces, *, axis=-1, out=None):
        pieces, axis = _pieces("maxout", pieces), _axis("maxout", axis)
        if type(x) is not _ndarray and _interop.is_foreign(x):
            if pieces < 1:
                raise ValueError(f"maxout(): pieces must be >= 1, got {pieces}")
            return _interop.maxout("maxout", on_block, x, pieces, axis, out)
        return run(k_fwd, "maxout", x, pieces, axis, out)

    def maxout_backward(grad, /, *, x, pieces, axis=-1, out=None):
        fname = "maxout_backward"
        pieces, axis = _pieces(fname, pieces), _axis(fname, axis)
        if (type(grad) is not _ndarray or type(x) is not _ndarray) and (
                _interop.is_foreign(grad) or _interop.is_foreign(x)):
            if pieces < 1:
                raise ValueError(f"{fname}(): pieces must be >= 1, got {pieces}")
            return _interop.maxout_backward(fname, on_blocks, grad, x, pieces, axis, out)
        return run(k_bwd, fname, x, pieces, axis, out, grad)

    return {
        "maxout": _finish(maxout, "maxout", inspect.signature(maxout),
                          maxout_doc(spec, "maxout")),
        "maxout_backward": _finish(maxout_backward, "maxout_backward",
                                   inspect.signature(maxout_backward),
                                   maxout_doc(spec, "maxout_backward")),
    }


_BUILDERS = {"elementwise": _elementwise, "prelu": _prelu, "rowwise": _rowwise,
             "maxout": _maxout}


def build_api():
    """name -> function for every activation in the table."""
    funcs = {}
    for spec in ACTIVATIONS.values():
        funcs.update(_BUILDERS[spec.api](spec))
    return funcs
