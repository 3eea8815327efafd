"""numpydoc docstrings for the public functions and the ufuncs, from the table.

Each docstring states the formula, the parameters, what is returned, what is
raised, the accuracy bound (``Activation.ulp``, as the tests check it) and an
example whose printed values are computed here, at import, by the kernels
themselves (tests/test_docs.py runs every example as a doctest).
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from ._table import Activation

_X = np.array([-2.0, -0.5, 0.0, 1.5])
_G = np.array([1.0, 1.0, 1.0, 1.0])
_XROW = np.array([[1.0, 2.0, 3.0, 4.0]])


def _show(a) -> str:
    """What ``np.round(a, 4)`` prints (the examples round: the digits beyond
    the 4th are the kernels' business, and the accuracy bound's)."""
    return repr(np.round(np.asarray(a), 4))


def _accuracy(spec: Activation) -> str:
    fwd, bwd = spec.ulp

    def one(u):
        return "exact (correctly rounded)" if u == 0 else f"within {u:g} ULP"
    return (f"Forward {one(fwd)}, backward {one(bwd)} of the exact result, in the array's "
            "own dtype (float32 computed in float32), as the tests check it; NaN in gives "
            "NaN out and +-inf the mathematical limit (docs/CONTRACT.md).")


def _param_lines(spec: Activation, as_ufunc: bool, variant=None) -> list:
    lines = []
    for key, default in spec.params.items():
        if key in ("axis", "pieces"):
            continue
        if isinstance(default, str):
            if as_ufunc:
                continue
            accepted = ", ".join(repr(v) for v in spec.choices[key])
            lines += [f"{key} : str, default {default!r}", f"    One of {accepted}."]
        elif as_ufunc:
            lines += [f"{key} : array_like",
                      f"    Required (a ufunc has no optional inputs; the keyword API's "
                      f"default is {default!r}); broadcast against the other inputs."]
        else:
            lines += [f"{key} : float, default {default!r}",
                      "    Rounded to the array's dtype (and checked as rounded)."]
    return lines


def _kernel(name):
    return _kernels.KERNELS[name]


def _example_elementwise(spec: Activation, direction: str) -> str:
    packed = tuple(spec.pack(spec.params))
    fwd, bwd, _ = spec.kernels_for(spec.params)
    if direction == "forward":
        return _show(_kernels.run_unary(_kernel(fwd), spec.name, _X, None, packed))
    return _show(_kernels.run_binary(_kernel(bwd), spec.name, _G, "grad", _X, "x", None,
                                     False, packed))


def keyword_doc(spec: Activation, fname: str, kind: str) -> str:
    """The docstring of ``fastact.<fname>``; kind: forward, forward_, backward,
    backward_ (elementwise)."""
    name = spec.name
    params = _param_lines(spec, False)
    monitor = (["monitor : fastact.DeadUnitMonitor, optional",
                f"    Counts the outputs on the flat piece ({spec.flat}) in the same pass; "
                "NaN is not counted."] if spec.flat is not None and kind.startswith("forward")
               else [])
    y_note = (
        "y (the forward output) is accepted"
        + (f" when {spec.from_y_condition}" if spec.from_y_condition else "")
        + "; from x is the more accurate path."
        if spec.backward_from_y else "Needs x (the forward input); y is not accepted.")
    raises = ["TypeError",
              "    x is not float32/float64 (nothing is cast), an unknown parameter, or a "
              "parameter that is not a real number.",
              "ValueError",
              "    A parameter that is not finite or breaks the activation's rule, or an "
              "out= of the wrong shape; nothing is written then."]
    if kind == "forward":
        summary = f"{name}: ``{spec.formula}``."
        sig = ["x : array_like",
               "    float32 or float64 (a pandas, xarray or Dask object keeps its type: "
               "the call goes through ``fastact.ufunc``)."]
        sig += ["out : ndarray, optional", "    Where to write the result (may be x)."]
        returns = ["y : ndarray", "    f(x), x's dtype, shape and memory order (out if given; "
                   "a NumPy scalar for a NumPy scalar)."]
        example = [f">>> x = np.array({_X.tolist()})", f">>> np.round(fastact.{fname}(x), 4)",
                   _example_elementwise(spec, "forward")]
    elif kind == "forward_":
        summary = f"{name} in place: ``x = {spec.formula}``."
        sig = ["x : ndarray", "    Writeable float32 or float64 array (a pandas object is "
               "written through pandas; a NumPy-backed DataArray in its memory)."]
        returns = ["x : ndarray", "    The same object, overwritten."]
        raises += ["TypeError", "    x cannot be written in place (a Dask array, a list)."]
        example = [f">>> x = np.array({_X.tolist()})", f">>> _ = fastact.{fname}(x)",
                   ">>> np.round(x, 4)", _example_elementwise(spec, "forward")]
    else:
        inplace = kind == "backward_"
        summary = (f"Gradient of {name}: ``grad * {name}'(x)``"
                   + (", written into grad." if inplace else "."))
        sig = ["grad : ndarray", "    Upstream gradient, same shape and dtype as x or y.",
               "x : ndarray, optional", "    The forward input.",
               "y : ndarray, optional", f"    The forward output. {y_note}"]
        if not inplace:
            sig += ["out : ndarray, optional", "    Where to write the result (may be grad)."]
        returns = ["dx : ndarray", "    grad times the derivative"
                   + (" (grad itself)." if inplace else ".")]
        raises += ["TypeError", "    Both or neither of x and y given.",
                   "ValueError", "    y given where the derivative needs x; shapes differ."]
        example = [f">>> x = np.array({_X.tolist()})",
                   f">>> np.round(fastact.{fname}(np.ones_like(x), x=x), 4)",
                   _example_elementwise(spec, "backward")]
    return _assemble(summary, spec, sig + params + monitor, returns, raises, example)


def _assemble(summary, spec, params, returns, raises, example, extra=None) -> str:
    out = [summary, ""]
    if extra:
        out += [extra, ""]
    out += ["Parameters", "----------", *params, "", "Returns", "-------", *returns, ""]
    if raises:
        out += ["Raises", "------", *raises, ""]
    out += ["Notes", "-----", _accuracy(spec), "", "Examples", "--------",
            ">>> import numpy as np, fastact", *example]
    return "\n".join(out) + "\n"


def ufunc_doc(spec: Activation, uname: str, variant) -> str:
    """The docstring of ``fastact.ufunc.<uname>`` (NumPy prepends the call signature)."""
    name = spec.name
    suffix = "".join(spec.choices[k][v] for k, v in variant.items())
    kw = f"fastact.{name}" + "".join(f"(..., {k}={v!r})" for k, v in variant.items())
    params = _param_lines(spec, True)
    if spec.api == "rowwise":
        backward = uname.endswith("_backward")
        summary = (f"{name} along one axis as a generalized ufunc, signature "
                   + ("'(n),(n)->(n)' (grad, y)." if backward else "'(n)->(n)'."))
        sig = ["grad, y : array_like" if backward else "x : array_like",
               "    The core dimension is the last axis, or the one ``axis=`` names."]
        ex = (["x = np.array([[1.0, 2.0, 3.0, 4.0]])", "fastact.ufunc.softmax(x, axis=-1)"]
              if not backward else None)
        rows = _kernels.run_rowwise(_kernel(spec.kernels[0]), name, _XROW, "x", None, False,
                                    -1, spec.pack(spec.params)[0])
        example = ([f">>> x = np.array({_XROW.tolist()})",
                    f">>> np.round(fastact.ufunc.{uname}(x, axis=-1), 4)", _show(rows)] if ex else
                   [f">>> y = fastact.ufunc.{name}(np.array({_XROW.tolist()}))",
                    f">>> dx = fastact.ufunc.{uname}(np.ones_like(y), y)", ">>> dx.shape",
                    "(1, 4)"])
        return _assemble(summary, spec, sig, ["out : ndarray or scalar", "    Same shape."],
                         [], example, f"Formula: ``{spec.formula}``. The keyword API's "
                         f"``fastact.{name}(x, axis=...)`` does the same without casting.")
    if spec.api == "prelu":
        backward = uname.endswith("_backward")
        summary = ("prelu's input gradient as a ufunc (dx only; the keyword API's "
                   "fastact.prelu_backward also returns dweight)." if backward else
                   "prelu as a ufunc: ``x if x > 0 else weight * x``.")
        sig = (["grad : array_like", "    Upstream gradient."] if backward else [])
        sig += ["x : array_like", "    Input.", "weight : array_like",
                "    Broadcast against x by NumPy's rules (e.g. w[:, None, None] for "
                "(N, C, H, W))."]
        x = np.array([-2.0, 3.0])
        w = np.array([0.25])
        y = _kernels.run_prelu(_kernel(spec.kernels[0]), "prelu", x, w, None, False)
        example = [">>> np.round(fastact.ufunc.prelu(np.array([-2.0, 3.0]), 0.25), 4)", _show(y)]
        return _assemble(summary, spec, sig, ["out : ndarray or scalar",
                                              "    Broadcast shape."], [], example)
    # a ufunc has no optional inputs: the examples pass the defaults
    pargs = "".join(f", {v!r}" for v in spec.params.values() if not isinstance(v, str))
    kind = ("backward_y" if uname.endswith("_backward_y") else
            "backward" if uname.endswith("_backward") else "forward")
    formula = spec.formula
    if kind == "forward":
        summary = f"{name}{' (' + suffix.strip('_') + ')' if suffix else ''} as a ufunc."
        sig = ["x : array_like", "    Input (integers are cast to float64 by NumPy's rules)."]
        example = [f">>> np.round(fastact.ufunc.{uname}(np.array({_X.tolist()}){pargs}), 4)",
                   _example_elementwise(spec, "forward") if not suffix else "..."]
    else:
        v = "y" if kind == "backward_y" else "x"
        summary = (f"Gradient of {name} as a ufunc: ``grad * {name}'(x)`` from the forward "
                   + ("output y." if v == "y" else "input x."))
        sig = ["grad : array_like", f"    Upstream gradient; broadcasts against {v}.",
               f"{v} : array_like", "    The forward " + ("output." if v == "y" else "input.")]
        example = ([f">>> np.round(fastact.ufunc.{uname}(1.0, np.array({_X.tolist()}){pargs}), 4)",
                    _example_elementwise(spec, "backward")] if kind == "backward" and not suffix
                   else [f">>> fastact.ufunc.{uname}(1.0, np.float32(0.5){pargs}).dtype",
                         "dtype('float32')"])
    if suffix:
        example = [f">>> fastact.ufunc.{uname}(np.float32(0.5){pargs}).dtype", "dtype('float32')"] \
            if kind == "forward" else example
    extra = (f"Formula: ``{formula}``. Parameters are inputs after the array(s), in this "
             f"order, broadcast like them; where one is invalid (not finite, or breaking "
             f"the activation's rule) the element is NaN with NumPy's 'invalid value' "
             f"warning. Same kernels as {kw}, which never casts.")
    return _assemble(summary, spec, sig + params,
                     ["out : ndarray or scalar",
                      "    Broadcast shape; a NumPy scalar for scalar inputs."],
                     [], example, extra)


def rowwise_doc(spec: Activation, fname: str, kind: str) -> str:
    """Docstrings of softmax, softmax_, softmax_backward, softmax_backward_ (and
    log_softmax, softmin)."""
    name = spec.name
    sign = spec.pack(spec.params)[0]
    y = _kernels.run_rowwise(_kernel(spec.kernels[0]), name, _XROW, "x", None, False, -1, sign)
    axis = ["axis : int, default -1",
            "    The axis the rows run along (pandas/xarray/Dask objects: the same axis "
            "of their array; a Dask array is rechunked along that axis only)."]
    raises = ["TypeError", "    Not float32/float64 (nothing is cast).",
              "ValueError", "    axis out of range; shapes differ."]
    if kind.startswith("forward"):
        inplace = kind == "forward_"
        summary = f"{name} along an axis" + (", in place." if inplace else ".")
        sig = ["x : ndarray" if inplace else "x : array_like", "    float32 or float64."]
        sig += axis + ([] if inplace else ["out : ndarray, optional", "    Where to write."])
        example = [f">>> x = np.array({_XROW.tolist()})",
                   f">>> np.round(fastact.{name}(x, axis=-1), 4)", _show(y)]
        returns = ["y : ndarray", "    Same shape" + (" (x itself)." if inplace else ".")]
    else:
        inplace = kind == "backward_"
        summary = f"Gradient of {name} from its output y" + (", into grad." if inplace else ".")
        sig = ["grad : ndarray", "    Upstream gradient.", "y : ndarray",
               "    The forward output (all an in-place caller still has)."] + axis
        if not inplace:
            sig += ["out : ndarray, optional", "    Where to write."]
        example = [f">>> y = fastact.{name}(np.array({_XROW.tolist()}))",
                   f">>> fastact.{name}_backward(np.ones_like(y), y=y).shape", "(1, 4)"]
        returns = ["dx : ndarray", "    Same shape" + (" (grad itself)." if inplace else ".")]
    return _assemble(summary, spec, sig, returns, raises, example,
                     f"Formula: ``{spec.formula}``.")


def prelu_doc(spec: Activation, fname: str) -> str:
    x = np.array([[-2.0, 3.0], [1.0, -4.0]])
    w = np.array([0.25, 0.5])
    k = _kernel(spec.kernels[0])
    y = _kernels.run_prelu(k, "prelu", x, w, None, False)
    base = ["x : ndarray" if fname == "prelu_" else "x : array_like",
            "    float32 or float64; the channel axis is 1 for ndim >= 2, 0 for 1-d input.",
            "weight : array_like",
            "    1 value, or one per channel; x's dtype."]
    raises = ["TypeError", "    Not float32/float64, or weight's dtype differs.",
              "ValueError", "    weight has neither 1 value nor one per channel."]
    example = [f">>> x = np.array({x.tolist()})", f">>> w = np.array({w.tolist()})"]
    if fname == "prelu_backward":
        dx, dw = _kernels.run_prelu_backward(_kernel(spec.kernels[1]), fname, np.ones_like(x),
                                             x, w)
        return _assemble(
            "Gradients of prelu: ``(dx, dweight)``.", spec,
            ["grad : array_like", "    Upstream gradient, x's shape and dtype."] + base,
            ["dx : ndarray", "    grad * prelu'(x).", "dweight : ndarray",
             "    Per channel, the sum of grad * x over x <= 0 (in float64, then rounded); "
             "weight's shape."], raises,
            example + [">>> dx, dw = fastact.prelu_backward(np.ones_like(x), x, w)",
                       ">>> np.round(dw, 4)", _show(dw)],
            f"``dx = {spec.formula}'``; dweight as PyTorch computes it.")
    inplace = fname == "prelu_"
    mon = ["monitor : fastact.DeadUnitMonitor, optional",
           "    Counts the outputs with x <= 0 in the same pass."]
    out = [] if inplace else ["out : ndarray, optional", "    Where to write (may be x)."]
    return _assemble(
        "prelu" + (" in place" if inplace else "") + ": ``x if x > 0 else weight[c] * x``.",
        spec, base + out + mon, ["y : ndarray", "    x itself." if inplace else "    New array."],
        raises, example + ([">>> _ = fastact.prelu_(x, w)", ">>> np.round(x, 4)"] if inplace
                           else [">>> np.round(fastact.prelu(x, w), 4)"]) + [_show(y)])


def maxout_doc(spec: Activation, fname: str) -> str:
    x = np.array([[1.0, 5.0, -2.0, 0.5]])
    y = _kernels.run_maxout(_kernel(spec.kernels[0]), "maxout", x, 2, 1, None)
    raises = ["TypeError", "    Not float32/float64 (nothing is cast).",
              "ValueError", "    x.shape[axis] is not divisible by pieces; axis out of range."]
    axis = ["pieces : int", "    Group size (>= 1).", "axis : int, default -1",
            "    The axis the groups run along (a Dask array is rechunked along it to "
            "multiples of pieces)."]
    if fname == "maxout":
        return _assemble(
            "maxout: the maximum of each group of ``pieces`` consecutive entries along axis.",
            spec, ["x : array_like", "    float32 or float64."] + axis +
            ["out : ndarray, optional", "    Where to write (the pooled shape)."],
            ["y : ndarray", "    x's shape with axis shrunk by the factor pieces (NaN wins)."],
            raises, [f">>> x = np.array({x.tolist()})", ">>> fastact.maxout(x, 2)", _show(y)])
    dx = _kernels.run_maxout(_kernel(spec.kernels[1]), fname, x, 2, 1, None, np.ones_like(y))
    return _assemble(
        "Gradient of maxout: each gradient goes to the first arg-max of its group.", spec,
        ["grad : array_like", "    The pooled shape.", "x : ndarray", "    The forward input."]
        + axis + ["out : ndarray, optional", "    Where to write (x's shape)."],
        ["dx : ndarray", "    x's shape, zeros off the arg-maxes."], raises,
        [f">>> x = np.array({x.tolist()})",
         ">>> fastact.maxout_backward(np.ones((1, 2)), x=x, pieces=2)", _show(dx)])
