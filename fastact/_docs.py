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
    with np.printoptions(precision=4, suppress=True, floatmode="maxprec"):
        return repr(np.round(np.asarray(a), 4) + 0.0)


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
        example = [f">>> x = np.array({_X.tolist()})", f">>> fastact.{fname}(x)",
                   _example_elementwise(spec, "forward")]
    elif kind == "forward_":
        summary = f"{name} in place: ``x = {spec.formula}``."
        sig = ["x : ndarray", "    Writeable float32 or float64 array (a pandas object is "
               "written through pandas; a NumPy-backed DataArray in its memory)."]
        returns = ["x : ndarray", "    The same object, overwritten."]
        raises += ["TypeError", "    x cannot be written in place (a Dask array, a list)."]
        example = [f">>> x = np.array({_X.tolist()})", f">>> _ = fastact.{fname}(x)", ">>> x",
                   _example_elementwise(spec, "forward")]
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
                   f">>> fastact.{fname}(np.ones_like(x), x=x)",
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
                    f">>> fastact.ufunc.{uname}(x, axis=-1)", _show(rows)] if ex else
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
        example = [">>> fastact.ufunc.prelu(np.array([-2.0, 3.0]), 0.25)", _show(y)]
        return _assemble(summary, spec, sig, ["out : ndarray or scalar",
                                              "    Broadcast shape."], [], example)
    kind = ("backward_y" if uname.endswith("_backward_y") else
            "backward" if uname.endswith("_backward") else "forward")
    formula = spec.formula
    if kind == "forward":
        summary = f"{name}{' (' + suffix.strip('_') + ')' if suffix else ''} as a ufunc."
        sig = ["x : array_like", "    Input (integers are cast to float64 by NumPy's rules)."]
        example = [f">>> fastact.ufunc.{uname}(np.array({_X.tolist()}))",
                   _example_elementwise(spec, "forward") if not suffix else "..."]
    else:
        v = "y" if kind == "backward_y" else "x"
        summary = (f"Gradient of {name} as a ufunc: ``grad * {name}'(x)`` from the forward "
                   + ("output y." if v == "y" else "input x."))
        sig = ["grad : array_like", f"    Upstream gradient; broadcasts against {v}.",
               f"{v} : array_like", "    The forward " + ("output." if v == "y" else "input.")]
        example = ([f">>> fastact.ufunc.{uname}(1.0, np.array({_X.tolist()}))",
                    _example_elementwise(spec, "backward")] if kind == "backward" and not suffix
                   else [f">>> fastact.ufunc.{uname}(1.0, np.float32(0.5)).dtype",
                         "dtype('float32')"])
    if suffix:
        example = [f">>> fastact.ufunc.{uname}(np.float32(0.5)).dtype", "dtype('float32')"] \
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
        example = [f">>> x = np.array({_XROW.tolist()})", f">>> fastact.{name}(x, axis=-1)",
                   _show(y)]
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
