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
import itertools

import numpy as np

from . import _kernels
from ._table import ACTIVATIONS, PARALLEL_GRAIN, Activation

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
    for combo in itertools.product(*([(k, v) for v in vals] for k, vals in spec.choices.items())):
        names = spec.kernels_for(dict(spec.params, **dict(combo)))
        variants[names] = tuple(_kernel(n) for n in names)
        for k in variants[names]:
            if k is not None:
                k.grain = PARALLEL_GRAIN[spec.family]
    default = (variants[spec.kernels_for(spec.params)], spec.pack(spec.params), spec.params)
    unary, unary_, binary = _kernels.run_unary, _kernels.run_unary_, _kernels.run_binary

    def resolved(fname, params, arr):
        """((forward, backward, backward_y) kernels, packed params, the params in
        the array's dtype) for a call."""
        if not params:
            return default
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

    def forward(x, /, *, out=None, **params):
        ks, p, _ = resolved(fname, params, x)
        return unary(ks[0], fname, x, out, p)

    def forward_(x, /, **params):
        ks, p, _ = resolved(fname_, params, x)
        return unary_(ks[0], fname_, x, p)

    if spec.flat is not None:   # the forward takes monitor= (a DeadUnitMonitor)
        def forward(x, /, *, out=None, monitor=None, **params):
            ks, p, _ = resolved(fname, params, x)
            r = unary(ks[0], fname, x, out, p, monitor)
            if monitor is not None and monitor.warn:
                monitor._after_call(fname)
            return r

        def forward_(x, /, *, monitor=None, **params):
            ks, p, _ = resolved(fname_, params, x)
            r = unary_(ks[0], fname_, x, p, monitor)
            if monitor is not None and monitor.warn:
                monitor._after_call(fname_)
            return r

    def backward(grad, /, *, x=None, y=None, out=None, **params):
        k, v, vname, p = pick(bname, grad, x, y, params)
        return binary(k, bname, grad, "grad", v, vname, out, False, p)

    def backward_(grad, /, *, x=None, y=None, **params):
        k, v, vname, p = pick(bname_, grad, x, y, params)
        return binary(k, bname_, grad, "grad", v, vname, None, True, p)

    ps = spec.params
    what = f"{name}: {spec.formula}"
    y_note = (
        "y (the forward output) is accepted"
        + (f" when {spec.from_y_condition}" if spec.from_y_condition else "")
        + "; from x is the more accurate path."
        if spec.backward_from_y
        else "Needs x (the forward input); y is not accepted."
    )
    mon = [("monitor", None)] if spec.flat is not None else []
    mon_doc = (f"\n\n``monitor`` (a fastact.DeadUnitMonitor) counts, in the same pass, the "
               f"outputs on the flat piece ({spec.flat}); NaN is not counted."
               if spec.flat is not None else "")
    return {
        fname: _finish(forward, fname, _signature(["x"], [("out", None)] + mon, ps),
                       f"{what}.\n\nReturns a new array, or writes ``out`` (which may be x)."
                       + mon_doc),
        fname_: _finish(forward_, fname_, _signature(["x"], mon, ps),
                        f"{what}, in place.\n\nWrites into x and returns it." + mon_doc),
        bname: _finish(backward, bname,
                       _signature(["grad"], [("x", None), ("y", None), ("out", None)], ps),
                       f"grad * {name}'(x).\n\n{y_note}"),
        bname_: _finish(backward_, bname_,
                        _signature(["grad"], [("x", None), ("y", None)], ps),
                        f"grad * {name}'(x), written into grad.\n\n{y_note}"),
    }


def _prelu(spec: Activation):
    k_fwd, k_bwd = _kernel(spec.kernels[0]), _kernel(spec.kernels[1])
    k_fwd.grain = k_bwd.grain = PARALLEL_GRAIN[spec.family]
    run, run_backward = _kernels.run_prelu, _kernels.run_prelu_backward

    def prelu(x, weight, /, *, out=None, monitor=None):
        r = run(k_fwd, "prelu", x, weight, out, False, monitor)
        if monitor is not None and monitor.warn:
            monitor._after_call("prelu")
        return r

    def prelu_(x, weight, /, *, monitor=None):
        r = run(k_fwd, "prelu_", x, weight, None, True, monitor)
        if monitor is not None and monitor.warn:
            monitor._after_call("prelu_")
        return r

    def prelu_backward(grad, x, weight, /):
        return run_backward(k_bwd, "prelu_backward", grad, x, weight)

    doc = ("prelu: x if x > 0 else weight[c] * x; weight has 1 value or one per channel "
           "(axis 1 for ndim >= 2, axis 0 for 1-d input).\n\n``monitor`` (a "
           "fastact.DeadUnitMonitor) counts, in the same pass, the outputs with x <= 0.")
    return {
        "prelu": _finish(prelu, "prelu", inspect.signature(prelu), doc),
        "prelu_": _finish(prelu_, "prelu_", inspect.signature(prelu_), doc + " In place."),
        "prelu_backward": _finish(
            prelu_backward, "prelu_backward", inspect.signature(prelu_backward),
            "(dx, dweight) for prelu: dx = grad * prelu'(x), "
            "dweight[c] = sum of grad * x over x <= 0 in channel c (summed in float64)."),
    }


def _axis(fname, axis):
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise TypeError(f"{fname}(): axis must be an int, got {type(axis).__name__}")
    return axis.__index__()


def _rowwise(spec: Activation):
    """softmax-like: reduce along ``axis``; backward from the output y."""
    name = spec.name
    k_fwd, k_bwd = _kernel(spec.kernels[0]), _kernel(spec.kernels[2])
    k_fwd.grain = k_bwd.grain = PARALLEL_GRAIN[spec.family]
    (sign,) = spec.pack(spec.params)
    run = _kernels.run_rowwise
    fname, fname_ = name, name + "_"
    bname, bname_ = name + "_backward", name + "_backward_"

    def forward(x, /, *, axis=-1, out=None):
        return run(k_fwd, fname, x, "x", out, False, _axis(fname, axis), sign)

    def forward_(x, /, *, axis=-1):
        return run(k_fwd, fname_, x, "x", None, True, _axis(fname_, axis), sign)

    def backward(grad, /, *, y, axis=-1, out=None):
        return run(k_bwd, bname, y, "y", out, False, _axis(bname, axis), sign, grad)

    def backward_(grad, /, *, y, axis=-1):
        return run(k_bwd, bname_, y, "y", None, True, _axis(bname_, axis), sign, grad)

    what = f"{name} along axis: {spec.formula}"
    return {
        fname: _finish(forward, fname, inspect.signature(forward),
                       f"{what}.\n\nReturns a new array, or writes ``out`` (which may be x)."),
        fname_: _finish(forward_, fname_, inspect.signature(forward_), f"{what}, in place."),
        bname: _finish(backward, bname, inspect.signature(backward),
                       f"Gradient of {name} from its output y (all a caller that ran the "
                       "forward pass in place still has)."),
        bname_: _finish(backward_, bname_, inspect.signature(backward_),
                        f"Gradient of {name} from its output y, written into grad."),
    }


def _maxout(spec: Activation):
    k_fwd, k_bwd = _kernel(spec.kernels[0]), _kernel(spec.kernels[1])
    k_fwd.grain = k_bwd.grain = PARALLEL_GRAIN[spec.family]
    run = _kernels.run_maxout

    def _pieces(fname, pieces):
        if isinstance(pieces, bool) or not hasattr(pieces, "__index__"):
            raise TypeError(f"{fname}(): pieces must be an int, got {type(pieces).__name__}")
        return pieces.__index__()

    def maxout(x, /, pieces, *, axis=-1, out=None):
        return run(k_fwd, "maxout", x, _pieces("maxout", pieces), _axis("maxout", axis), out)

    def maxout_backward(grad, /, *, x, pieces, axis=-1, out=None):
        fname = "maxout_backward"
        return run(k_bwd, fname, x, _pieces(fname, pieces), _axis(fname, axis), out, grad)

    return {
        "maxout": _finish(maxout, "maxout", inspect.signature(maxout),
                          "Maximum of each group of `pieces` consecutive entries along axis "
                          "(that axis shrinks by the factor pieces; NaN wins)."),
        "maxout_backward": _finish(
            maxout_backward, "maxout_backward", inspect.signature(maxout_backward),
            "Routes each gradient to the first arg-max of its group (zeros elsewhere); "
            "the result has x's shape."),
    }


_BUILDERS = {"elementwise": _elementwise, "prelu": _prelu, "rowwise": _rowwise,
             "maxout": _maxout}


def build_api():
    """name -> function for every activation in the table."""
    funcs = {}
    for spec in ACTIVATIONS.values():
        funcs.update(_BUILDERS[spec.api](spec))
    return funcs
