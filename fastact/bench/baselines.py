"""What fastact is measured against: every docs/CONTRACT.md activation as others write it.

For each activation of fastact's table (all three families; the parameters,
families and variant rows come from the table) this module gives the
implementations a competent user would reach for:

* ``numpy``: chained ufuncs writing into a preallocated array (``out=``), the
  way NumPy users avoid temporaries.  Where NumPy has no function (erf for
  GELU) the NumPy baseline borrows ``scipy.special`` and says so in its note.
* ``scipy``: ``scipy.special`` where SciPy has the function (expit, log_expit,
  ndtr, softmax, log_softmax).
* ``torch``: PyTorch's CPU kernels (``torch.ops.aten.<op>.out`` and the
  ``*_backward`` ops autograd itself calls), on tensors that share memory with
  the NumPy arrays (``torch.from_numpy``, no copies).

SciPy and PyTorch are imported lazily and only when asked for; neither is a
dependency of fastact.  ``implementations(name)`` lists what is available here.

Every implementation is an :class:`Impl` of three optional callables that take
*native* arrays (what ``Impl.wrap`` returns: the array itself, or a tensor view
of it) and write their result into memory the caller allocated:

``forward(x, out, p)``          out <- f(x)
``forward_(x, p)``              x <- f(x)                  (in place)
``backward(g, x, y, out, p)``   out <- g * f'(x); reads x or y (``backward_input``)

``p`` is the complete parameter dict (the table's defaults overlaid with the caller's).
The numbers these produce are checked against fastact in tests/test_baselines.py,
so the benchmarks compare implementations of the same function.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._table import ACTIVATIONS
from .rows import variants

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Parameters every activation is timed with: the table's defaults, and a value
# where the table has none (maxout's pieces is a required argument).
REQUIRED_PARAMS: Mapping[str, Mapping[str, Any]] = {"maxout": {"pieces": 4}}
DEFAULT_PARAMS: Mapping[str, Mapping[str, Any]] = {
    name: {**spec.params, **REQUIRED_PARAMS.get(name, {})} for name, spec in ACTIVATIONS.items()
}

# Extra parameter settings timed as their own activation rows (benchmarks/ and
# python -m fastact): activation -> [(row label, parameters)], one per
# non-default value of a string parameter.  The label is the accuracy sweep's
# name for the same kernel.
VARIANTS: Mapping[str, list] = {
    name: variants(spec)[1:] for name, spec in ACTIVATIONS.items() if len(variants(spec)) > 1
}

# Benchmark layout: channels of PReLU (axis 1) and row length of the row-wise family.
PRELU_CHANNELS = 16
PRELU_PLANE = 256   # PReLU is timed on conv-style (N, C, H*W) activations
ROW_LENGTH = 1024


def _identity(a):
    return a


@dataclass(frozen=True)
class Impl:
    """One library's implementation of one activation (see the module docstring)."""

    library: str
    forward: Callable | None = None
    forward_: Callable | None = None
    backward: Callable | None = None
    backward_input: str = "x"
    note: str = ""
    wrap: Callable[[np.ndarray], Any] = _identity
    # n -> None: how many threads the library may use (None: it has no threads)
    set_threads: Callable[[int], None] | None = None
    # p -> (forward, forward_, backward) with p bound; replaces the three above
    binder: Callable[[Mapping[str, Any]], tuple] | None = None


# --------------------------------------------------------------------------
# Shapes: how a benchmark of n elements lays out each activation's input
# --------------------------------------------------------------------------

def _swish_grad(g, x, s, b, o):
    """g * s * (1 + b x (1 - s)) into o, s = sigmoid(b x): swish's derivative
    as a NumPy user writes it, whichever library computed s."""
    np.subtract(1, s, out=o)
    np.multiply(o, x, out=o)
    if b != 1.0:
        np.multiply(o, b, out=o)
    np.add(o, 1, out=o)
    np.multiply(o, s, out=o)
    return np.multiply(o, g, out=o)


def family_of(name: str) -> str:
    return ACTIVATIONS[name].family


def input_shape(name: str, n: int, family: str | None = None) -> tuple:
    """The array shape used to time ``name`` on about ``n`` elements.

    Elementwise activations get a flat array (layout does not matter to them);
    PReLU an (N, 16, 256) batch of conv activations (channel axis 1, as
    PyTorch's PReLU), or (n/16, 16) below 4 K elements; the row-wise family rows
    of ROW_LENGTH (fewer when n is smaller), reduced along the last axis.
    """
    family = family or family_of(name)
    if name == "prelu":
        plane = PRELU_PLANE if n >= PRELU_CHANNELS * PRELU_PLANE else 1
        return (max(1, n // (PRELU_CHANNELS * plane)), PRELU_CHANNELS) + (
            (plane,) if plane > 1 else ())
    if family == "rowwise":
        row = min(ROW_LENGTH, n)
        return (max(1, n // row), row)
    return (n,)


def make_inputs(name: str, n: int, dtype, *, family: str | None = None, seed: int = 0):
    """(x, g, weight) for a benchmark: x ~ 3*N(0, 1) reaches every kink; g ~ N(0, 1).

    ``g`` has x's shape except for maxout (one gradient per group); ``weight`` is
    PReLU's per-channel slopes (None for other activations).
    """
    rng = np.random.default_rng(seed)
    shape = input_shape(name, n, family)
    x = (rng.standard_normal(shape) * 3.0).astype(dtype)
    gshape = shape
    if name == "maxout":
        k = int(DEFAULT_PARAMS["maxout"]["pieces"])
        gshape = shape[:-1] + (shape[-1] // k,)
    g = rng.standard_normal(gshape).astype(dtype)
    weight = None
    if name == "prelu":
        weight = rng.uniform(0.05, 0.3, PRELU_CHANNELS).astype(dtype)
    return x, g, weight


# --------------------------------------------------------------------------
# NumPy
# --------------------------------------------------------------------------

def _scipy_special():
    """scipy.special, or None when SciPy is not installed."""
    try:
        from scipy import special
    except ImportError:
        return None
    return special


def _copy(dst, src):
    np.copyto(dst, src)
    return dst


def _channel_weight(w, x):
    """PReLU's weight shaped to broadcast along axis 1 (axis 0 for 1-d x)."""
    if x.ndim < 2:
        return w
    return w.reshape((w.shape[0],) + (1,) * (x.ndim - 2)) if w.size > 1 else w


def _np_sigmoid(x, out):
    """1/(1 + exp(-x)) in three in-place passes (overflow to inf gives 0, as wanted)."""
    with np.errstate(over="ignore"):
        np.negative(x, out=out)
        np.exp(out, out=out)
    np.add(out, 1, out=out)
    return np.reciprocal(out, out=out)


def _np_elu_into(x, out, alpha, scale=1.0):
    """scale * (max(x, 0) + alpha * expm1(min(x, 0))): unmasked passes only.

    (Masked ufuncs, ``np.copyto(..., where=)`` on random signs, cost about 5 ns
    per element in NumPy 2.x; this form is the fastest plain NumPy we found.)
    """
    neg = np.minimum(x, 0)
    np.expm1(neg, out=neg)
    np.multiply(neg, alpha * scale, out=neg)
    np.maximum(x, 0, out=out)
    if scale != 1.0:
        np.multiply(out, scale, out=out)
    return np.add(out, neg, out=out)


def _np_elu_inplace(x, alpha, scale=1.0):
    return _np_elu_into(x, x, alpha, scale)


def _np_elu_backward_y(g, y, out, alpha, scale=1.0):
    """g * (scale if x > 0 else y + scale*alpha), read from y (y > 0 iff x > 0)."""
    t = np.where(y > 0, y.dtype.type(scale), y + y.dtype.type(alpha * scale))
    return np.multiply(g, t, out=out)


def _np_softplus(x, out, beta, threshold):
    if beta == 1.0:
        return np.logaddexp(0, x, out=out)
    bx = x * beta
    r = np.logaddexp(0, bx)
    np.divide(r, beta, out=r)
    return _copy(out, np.where(bx > threshold, x, r))


def _np_mish_backward(g, x, out):
    """PyTorch's mish_backward: g * (tsp + x * sigmoid(x) * (1 - tsp^2))."""
    tsp = np.tanh(np.logaddexp(0, x))
    s = _np_sigmoid(x, np.empty_like(x))
    np.multiply(tsp, tsp, out=out)
    np.subtract(1, out, out=out)
    np.multiply(out, s, out=out)
    np.multiply(out, x, out=out)
    np.add(out, tsp, out=out)
    return np.multiply(out, g, out=out)


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_GELU_K = math.sqrt(2.0 / math.pi)


def _np_gelu(x, out, approximate):
    if approximate == "tanh":
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        np.multiply(x, x, out=out)
        np.multiply(out, 0.044715, out=out)
        np.add(out, 1, out=out)
        np.multiply(out, x, out=out)
        np.multiply(out, _TANH_GELU_K, out=out)
        np.tanh(out, out=out)
        np.add(out, 1, out=out)
        np.multiply(out, x, out=out)
        return np.multiply(out, 0.5, out=out)
    special = _scipy_special()
    np.multiply(x, _SQRT_HALF, out=out)
    special.erf(out, out=out)
    np.add(out, 1, out=out)
    np.multiply(out, x, out=out)
    return np.multiply(out, 0.5, out=out)


def _np_gelu_backward(g, x, out, approximate):
    if approximate == "tanh":
        # d/dx of the tanh form: 0.5(1 + t) + 0.5 x (1 - t^2) k (1 + 3*0.044715 x^2)
        x2 = x * x
        inner = (x + 0.044715 * x2 * x) * _TANH_GELU_K
        t = np.tanh(inner)
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_GELU_K * (1 + 3 * 0.044715 * x2)
        return np.multiply(g, d, out=out)
    special = _scipy_special()
    cdf = special.erf(x * _SQRT_HALF)
    np.add(cdf, 1, out=cdf)
    np.multiply(cdf, 0.5, out=cdf)
    pdf = np.exp(x * x * -0.5)
    np.multiply(pdf, x * _INV_SQRT_2PI, out=pdf)
    np.add(cdf, pdf, out=cdf)
    return np.multiply(g, cdf, out=out)


def _np_softmax(x, out, axis):
    m = np.max(x, axis=axis, keepdims=True)
    np.subtract(x, m, out=out)
    np.exp(out, out=out)
    return np.divide(out, np.sum(out, axis=axis, keepdims=True), out=out)


def _np_log_softmax(x, out, axis):
    m = np.max(x, axis=axis, keepdims=True)
    np.subtract(x, m, out=out)
    lse = np.log(np.sum(np.exp(out), axis=axis, keepdims=True))
    return np.subtract(out, lse, out=out)


def _np_softmax_backward(g, y, out, axis, sign=1.0):
    s = np.sum(g * y, axis=axis, keepdims=True)
    np.subtract(g, s, out=out)
    np.multiply(out, y, out=out)
    if sign != 1.0:
        np.negative(out, out=out)
    return out


def _groups(a, k, axis):
    """a viewed as (..., groups, k) with the grouped axis last."""
    a = np.moveaxis(a, axis, -1)
    return a.reshape(a.shape[:-1] + (a.shape[-1] // k, k))


def _np_maxout(x, out, pieces, axis):
    k = int(pieces)
    return np.max(_groups(x, k, axis), axis=-1, out=np.moveaxis(out, axis, -1))


def _np_maxout_backward(g, x, out, pieces, axis):
    k = int(pieces)
    xg = _groups(x, k, axis)
    idx = np.argmax(xg, axis=-1)[..., None]
    out[...] = 0
    og = _groups(out, k, axis)  # a view: out is contiguous in the benchmarks
    np.put_along_axis(og, idx, np.moveaxis(g, axis, -1)[..., None], axis=-1)
    return out


def _prelu_backward_np(g, x, w):
    wb = _channel_weight(w, x)
    dx = np.where(x > 0, g, g * wb)
    axes = tuple(i for i in range(x.ndim) if i != (1 if x.ndim >= 2 else 0))
    gx = np.multiply(g, x)
    np.multiply(gx, x <= 0, out=gx)
    dw = gx.sum(axis=axes) if w.size > 1 else np.atleast_1d(gx.sum())
    return dx, dw.astype(w.dtype)


def _numpy_table() -> dict[str, Impl]:
    """NumPy as a competent user writes it, for every docs/CONTRACT.md activation."""
    special = _scipy_special()
    T: dict[str, Impl] = {}

    def add(name, forward, forward_=None, backward=None, backward_input="x", note=""):
        T[name] = Impl("numpy", forward, forward_, backward, backward_input, note)

    add("identity", lambda x, o, p: _copy(o, x), lambda x, p: x,
        lambda g, x, y, o, p: _copy(o, g), note="copyto")
    add("relu",
        lambda x, o, p: np.maximum(x, 0, out=o),
        lambda x, p: np.maximum(x, 0, out=x),
        lambda g, x, y, o, p: np.multiply(g, x > 0, out=o),
        note="np.maximum(x, 0, out=); g * (x > 0)")
    add("relu6",
        lambda x, o, p: np.clip(x, 0, 6, out=o),
        lambda x, p: np.clip(x, 0, 6, out=x),
        lambda g, x, y, o, p: np.multiply(g, (x > 0) & (x < 6), out=o),
        note="np.clip(x, 0, 6, out=)")

    def leaky(x, o, p):
        a = p["negative_slope"]
        if 0 <= a <= 1:  # max(x, a x) is leaky_relu exactly when 0 <= a <= 1
            return np.maximum(x, np.multiply(x, a), out=o)
        if a > 1:
            return np.minimum(x, np.multiply(x, a), out=o)
        return _copy(o, np.where(x > 0, x, x * a))

    def leaky_backward(g, x, y, o, p):
        d = np.where(x > 0, x.dtype.type(1), x.dtype.type(p["negative_slope"]))
        return np.multiply(g, d, out=o)

    add("leaky_relu", leaky, lambda x, p: leaky(x, x, p), leaky_backward,
        note="np.maximum(x, a*x, out=)")

    def prelu(x, o, p):
        w = p["weight"]
        xw = np.multiply(x, _channel_weight(w, x))
        if np.all((w >= 0) & (w <= 1)):  # then prelu(x) = max(x, w x)
            return np.maximum(x, xw, out=o)
        return _copy(o, np.where(x > 0, x, xw))

    def prelu_(x, p):
        return prelu(x, x, p)

    def prelu_backward(g, x, y, o, p):
        dx, dw = _prelu_backward_np(g, x, p["weight"])
        np.copyto(o, dx)
        return o, dw

    add("prelu", prelu, prelu_, prelu_backward, note="np.maximum(x, w*x)")
    add("hardtanh",
        lambda x, o, p: np.clip(x, p["min_val"], p["max_val"], out=o),
        lambda x, p: np.clip(x, p["min_val"], p["max_val"], out=x),
        lambda g, x, y, o, p: np.multiply(g, (x > p["min_val"]) & (x < p["max_val"]), out=o),
        note="np.clip(x, lo, hi, out=)")

    def hardsigmoid(x, o, p):
        np.multiply(x, p["slope"], out=o)
        np.add(o, p["offset"], out=o)
        return np.clip(o, 0, 1, out=o)

    def hardsigmoid_backward(g, x, y, o, p):
        s, b = p["slope"], p["offset"]
        inside = (x > -b / s) & (x < (1 - b) / s)
        np.multiply(g, inside, out=o)
        return np.multiply(o, s, out=o)

    add("hardsigmoid", hardsigmoid, lambda x, p: hardsigmoid(x, x, p), hardsigmoid_backward,
        note="clip(s*x + o, 0, 1)")

    def hardswish(x, o, p):
        t = np.add(x, 3, out=o if o is not x else None)
        np.clip(t, 0, 6, out=t)
        np.multiply(t, x, out=t)
        np.multiply(t, 1.0 / 6.0, out=o)
        return o

    def hardswish_backward(g, x, y, o, p):
        d = np.where(x < -3, 0.0, np.where(x > 3, 1.0, x * (1.0 / 3.0) + 0.5))
        return np.multiply(g, d, out=o, casting="same_kind")

    add("hardswish", hardswish, lambda x, p: hardswish(x, x, p), hardswish_backward,
        note="x * clip(x + 3, 0, 6) / 6")

    def softsign(x, o, p):
        t = np.abs(x, out=o if o is not x else None)
        np.add(t, 1, out=t)
        return np.divide(x, t, out=o)

    def softsign_backward(g, x, y, o, p):
        t = np.abs(x)
        np.add(t, 1, out=t)
        np.multiply(t, t, out=t)
        return np.divide(g, t, out=o)

    add("softsign", softsign, lambda x, p: softsign(x, x, p), softsign_backward,
        note="x / (1 + |x|)")

    # ---- exponential family
    def sigmoid_backward(g, x, y, o, p):
        t = np.subtract(1, y)
        np.multiply(t, y, out=t)
        return np.multiply(g, t, out=o)

    add("sigmoid", lambda x, o, p: _np_sigmoid(x, o), lambda x, p: _np_sigmoid(x, x),
        sigmoid_backward, "y", note="1/(1 + exp(-x)); g*y*(1-y)")

    def logsigmoid(x, o, p):
        np.negative(x, out=o)
        np.logaddexp(0, o, out=o)
        return np.negative(o, out=o)

    def logsigmoid_backward(g, x, y, o, p):
        # 1 - sigmoid(x) = -expm1(y)
        np.expm1(y, out=o)
        np.negative(o, out=o)
        return np.multiply(g, o, out=o)

    add("logsigmoid", logsigmoid, lambda x, p: logsigmoid(x, x, p), logsigmoid_backward, "y",
        note="-logaddexp(0, -x); g*(-expm1(y))")

    def tanh_backward(g, x, y, o, p):
        t = np.multiply(y, y)
        np.subtract(1, t, out=t)
        return np.multiply(g, t, out=o)

    add("tanh", lambda x, o, p: np.tanh(x, out=o), lambda x, p: np.tanh(x, out=x),
        tanh_backward, "y", note="np.tanh(x, out=); g*(1-y*y)")

    def tanhshrink(x, o, p):
        if o is x:
            return np.subtract(x, np.tanh(x), out=x)
        np.tanh(x, out=o)
        return np.subtract(x, o, out=o)

    def tanhshrink_backward(g, x, y, o, p):
        np.tanh(x, out=o)
        np.multiply(o, o, out=o)
        return np.multiply(g, o, out=o)

    add("tanhshrink", tanhshrink, lambda x, p: tanhshrink(x, x, p), tanhshrink_backward,
        note="x - tanh(x)")

    def elu(x, o, p):
        return _np_elu_into(x, o, p["alpha"]) if o is not x else _np_elu_inplace(x, p["alpha"])

    add("elu", elu, lambda x, p: _np_elu_inplace(x, p["alpha"]),
        lambda g, x, y, o, p: _np_elu_backward_y(g, y, o, p["alpha"]), "y",
        note="expm1, then copy x where x > 0")
    add("selu",
        lambda x, o, p: _np_elu_into(x, o, SELU_ALPHA, SELU_SCALE),
        lambda x, p: _np_elu_inplace(x, SELU_ALPHA, SELU_SCALE),
        lambda g, x, y, o, p: _np_elu_backward_y(g, y, o, SELU_ALPHA, SELU_SCALE), "y",
        note="scale * elu(x, alpha)")

    def celu(x, o, p):  # max(0, x) + min(0, a expm1(x / a)), as docs/CONTRACT.md writes it
        a = p["alpha"]
        t = np.minimum(x, 0)
        np.divide(t, a, out=t)
        np.expm1(t, out=t)
        np.multiply(t, a, out=t)
        np.maximum(x, 0, out=o)
        return np.add(o, t, out=o)

    def celu_backward(g, x, y, o, p):
        t = np.where(y > 0, y.dtype.type(1), y / y.dtype.type(p["alpha"]) + 1)
        return np.multiply(g, t, out=o)

    add("celu", celu, lambda x, p: celu(x, x, p), celu_backward, "y",
        note="alpha*expm1(x/alpha), x where x > 0")

    def softplus_backward(g, x, y, o, p):
        # sigmoid(beta x) = 1 / (1 + exp(-beta x))
        b = p["beta"]
        np.multiply(x, -b, out=o)
        with np.errstate(over="ignore"):
            np.exp(o, out=o)
        np.add(o, 1, out=o)
        # Past the threshold sigmoid(beta x) rounds to 1 anyway: no special case.
        return np.divide(g, o, out=o)

    add("softplus", lambda x, o, p: _np_softplus(x, o, p["beta"], p["threshold"]),
        lambda x, p: _np_softplus(x, x, p["beta"], p["threshold"]), softplus_backward,
        note="np.logaddexp(0, x, out=)")

    def swish(x, o, p):
        b = p.get("beta", 1.0)
        t = np.multiply(x, -b, out=o if o is not x else None)
        with np.errstate(over="ignore"):
            np.exp(t, out=t)
        np.add(t, 1, out=t)
        return np.divide(x, t, out=o)

    def swish_backward(g, x, y, o, p):
        b = p.get("beta", 1.0)
        s = np.multiply(x, b)
        _np_sigmoid(s, s)
        return _swish_grad(g, x, s, b, o)

    add("silu", swish, lambda x, p: swish(x, x, p), swish_backward, note="x / (1 + exp(-x))")
    add("swish", swish, lambda x, p: swish(x, x, p), swish_backward,
        note="x / (1 + exp(-beta x))")

    def mish(x, o, p):
        t = np.logaddexp(0, x, out=o if o is not x else None)
        np.tanh(t, out=t)
        return np.multiply(t, x, out=o)

    add("mish", mish, lambda x, p: mish(x, x, p),
        lambda g, x, y, o, p: _np_mish_backward(g, x, o), note="x * tanh(logaddexp(0, x))")

    if special is not None:
        def gelu_(x, p):  # erf needs x after the first pass: one temporary
            np.copyto(x, _np_gelu(x, np.empty_like(x), p["approximate"]))
            return x

        add("gelu", lambda x, o, p: _np_gelu(x, o, p["approximate"]), gelu_,
            lambda g, x, y, o, p: _np_gelu_backward(g, x, o, p["approximate"]),
            note="0.5 x (1 + scipy.special.erf(x / sqrt 2)); NumPy has no erf")

    # ---- row-wise family
    add("softmax", lambda x, o, p: _np_softmax(x, o, p["axis"]),
        lambda x, p: _np_softmax(x, x, p["axis"]),
        lambda g, x, y, o, p: _np_softmax_backward(g, y, o, p["axis"]), "y",
        note="exp(x - max) / sum")
    add("log_softmax", lambda x, o, p: _np_log_softmax(x, o, p["axis"]),
        lambda x, p: _np_log_softmax(x, x, p["axis"]),
        lambda g, x, y, o, p: np.subtract(
            g, np.exp(y) * np.sum(g, axis=p["axis"], keepdims=True), out=o), "y",
        note="x - max - log(sum(exp(x - max)))")

    def softmin(x, o, p):
        np.negative(x, out=o)
        return _np_softmax(o, o, p["axis"])

    add("softmin", softmin, lambda x, p: softmin(x, x, p),
        lambda g, x, y, o, p: _np_softmax_backward(g, y, o, p["axis"], -1.0), "y",
        note="softmax(-x)")
    add("maxout", lambda x, o, p: _np_maxout(x, o, p["pieces"], p["axis"]), None,
        lambda g, x, y, o, p: _np_maxout_backward(g, x, o, p["pieces"], p["axis"]),
        note="reshape(..., k).max(-1)")
    return T


# --------------------------------------------------------------------------
# SciPy (scipy.special) where it has the function
# --------------------------------------------------------------------------

def _scipy_table() -> dict[str, Impl]:
    special = _scipy_special()
    if special is None:
        return {}
    T: dict[str, Impl] = {}

    def add(name, forward, forward_=None, backward=None, backward_input="x", note=""):
        T[name] = Impl("scipy", forward, forward_, backward, backward_input, note)

    def expit_backward(g, x, y, o, p):  # g * sigmoid'(x) = g * s * (1 - s)
        special.expit(x, out=o)
        t = np.subtract(1, o)
        np.multiply(o, t, out=o)
        return np.multiply(o, g, out=o)

    add("sigmoid", lambda x, o, p: special.expit(x, out=o), lambda x, p: special.expit(x, out=x),
        expit_backward, note="scipy.special.expit")
    if hasattr(special, "log_expit"):  # SciPy >= 1.8
        def log_expit_backward(g, x, y, o, p):  # 1 - sigmoid(x) = sigmoid(-x)
            np.negative(x, out=o)
            special.expit(o, out=o)
            return np.multiply(o, g, out=o)

        add("logsigmoid", lambda x, o, p: special.log_expit(x, out=o),
            lambda x, p: special.log_expit(x, out=x), log_expit_backward,
            note="scipy.special.log_expit")

    def silu(x, o, p):
        b = p.get("beta", 1.0)
        s = special.expit(x if b == 1.0 else x * b, out=None if o is x else o)
        return np.multiply(x, s, out=o)

    def silu_backward(g, x, y, o, p):
        b = p.get("beta", 1.0)
        return _swish_grad(g, x, special.expit(x * b if b != 1.0 else x), b, o)

    add("silu", silu, lambda x, p: silu(x, x, p), silu_backward, note="x * expit(x)")
    add("swish", silu, lambda x, p: silu(x, x, p), silu_backward, note="x * expit(beta x)")

    def gelu(x, o, p):
        if p["approximate"] == "tanh":
            raise NotImplementedError("scipy has no tanh-form GELU")
        if o is x:
            return np.multiply(x, special.ndtr(x), out=x)
        special.ndtr(x, out=o)
        return np.multiply(o, x, out=o)

    def gelu_backward(g, x, y, o, p):
        if p["approximate"] == "tanh":
            raise NotImplementedError("scipy has no tanh-form GELU")
        special.ndtr(x, out=o)  # Phi(x) + x phi(x)
        pdf = np.exp(x * x * -0.5)
        np.multiply(pdf, x * _INV_SQRT_2PI, out=pdf)
        np.add(o, pdf, out=o)
        return np.multiply(o, g, out=o)

    add("gelu", gelu, lambda x, p: gelu(x, x, p), gelu_backward, note="x * scipy.special.ndtr(x)")
    def copied(f):
        def forward(x, o, p):  # scipy's softmax has no out=: it allocates, we copy
            np.copyto(o, f(x, axis=p["axis"]))
            return o
        return forward

    add("softmax", copied(special.softmax), note="scipy.special.softmax (allocates)")
    add("log_softmax", copied(special.log_softmax), note="scipy.special.log_softmax (allocates)")
    return T


# --------------------------------------------------------------------------
# PyTorch (optional): the kernels torch and its autograd call
# --------------------------------------------------------------------------

def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_table() -> dict[str, Impl]:
    torch = _torch()
    if torch is None:
        return {}
    aten = torch.ops.aten
    F = torch.nn.functional
    T: dict[str, Impl] = {}

    def add(name, forward, forward_=None, backward=None, backward_input="x", note=""):
        T[name] = Impl("torch", forward, forward_, backward, backward_input, note,
                       wrap=torch.from_numpy, set_threads=torch.set_num_threads)

    add("identity", lambda x, o, p: o.copy_(x), lambda x, p: x,
        lambda g, x, y, o, p: o.copy_(g), note="copy_")
    add("relu", lambda x, o, p: aten.relu.out(x, out=o), lambda x, p: torch.relu_(x),
        lambda g, x, y, o, p: aten.threshold_backward.grad_input(g, y, 0, grad_input=o), "y",
        note="relu.out; threshold_backward")
    add("relu6", lambda x, o, p: aten.hardtanh.out(x, 0.0, 6.0, out=o),
        lambda x, p: F.relu6(x, inplace=True),
        lambda g, x, y, o, p: aten.hardtanh_backward.grad_input(g, x, 0.0, 6.0, grad_input=o),
        note="hardtanh(0, 6)")
    add("leaky_relu",
        lambda x, o, p: aten.leaky_relu.out(x, p["negative_slope"], out=o),
        lambda x, p: F.leaky_relu_(x, p["negative_slope"]),
        lambda g, x, y, o, p: aten.leaky_relu_backward.grad_input(
            g, x, p["negative_slope"], False, grad_input=o),
        note="leaky_relu.out")

    def prelu_weight(x, p):
        w = p["weight"]
        w = w if isinstance(w, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(w))
        return w.reshape((w.shape[0],) + (1,) * (x.dim() - 2)) if x.dim() >= 2 else w

    add("prelu", lambda x, o, p: o.copy_(aten._prelu_kernel(x, prelu_weight(x, p))),
        lambda x, p: x.copy_(aten._prelu_kernel(x, prelu_weight(x, p))),
        lambda g, x, y, o, p: aten._prelu_kernel_backward(g, x, prelu_weight(x, p)),
        note="_prelu_kernel (allocates)")
    add("hardtanh",
        lambda x, o, p: aten.hardtanh.out(x, p["min_val"], p["max_val"], out=o),
        lambda x, p: F.hardtanh_(x, p["min_val"], p["max_val"]),
        lambda g, x, y, o, p: aten.hardtanh_backward.grad_input(
            g, x, p["min_val"], p["max_val"], grad_input=o), note="hardtanh.out")
    if abs(DEFAULT_PARAMS["hardsigmoid"]["slope"] - 1 / 6) < 1e-12:
        def hardsigmoid_ok(p):
            return abs(p["slope"] - 1 / 6) < 1e-12 and p["offset"] == 0.5

        def hs(x, o, p):
            if not hardsigmoid_ok(p):
                raise NotImplementedError("torch's hardsigmoid has fixed slope 1/6")
            return aten.hardsigmoid.out(x, out=o)

        add("hardsigmoid", hs, lambda x, p: hs(x, x, p),
            lambda g, x, y, o, p: aten.hardsigmoid_backward.grad_input(g, x, grad_input=o),
            note="hardsigmoid.out (slope 1/6 only)")
    add("hardswish", lambda x, o, p: aten.hardswish.out(x, out=o),
        lambda x, p: F.hardswish(x, inplace=True),
        lambda g, x, y, o, p: aten.hardswish_backward.out(g, x, out=o), note="hardswish.out")
    add("softsign", lambda x, o, p: torch.div(x, torch.abs(x).add_(1), out=o),
        lambda x, p: x.div_(torch.abs(x).add_(1)),
        lambda g, x, y, o, p: torch.div(g, torch.abs(x).add_(1).square_(), out=o),
        note="composite (torch has no softsign kernel)")

    add("sigmoid", lambda x, o, p: aten.sigmoid.out(x, out=o), lambda x, p: torch.sigmoid_(x),
        lambda g, x, y, o, p: aten.sigmoid_backward.grad_input(g, y, grad_input=o), "y",
        note="sigmoid.out; sigmoid_backward")

    def logsigmoid_backward(g, x, y, o, p):
        buf = p.get("_torch_buffer")
        if buf is None or buf.shape != x.shape:
            buf = aten.log_sigmoid_forward(x)[1]
        return aten.log_sigmoid_backward.grad_input(g, x, buf, grad_input=o)

    add("logsigmoid",
        lambda x, o, p: aten.log_sigmoid_forward.output(
            x, output=o, buffer=torch.empty(0, dtype=x.dtype))[0],
        lambda x, p: x.copy_(F.logsigmoid(x)), logsigmoid_backward,
        note="log_sigmoid_forward; log_sigmoid_backward")
    add("tanh", lambda x, o, p: aten.tanh.out(x, out=o), lambda x, p: torch.tanh_(x),
        lambda g, x, y, o, p: aten.tanh_backward.grad_input(g, y, grad_input=o), "y",
        note="tanh.out; tanh_backward")
    add("tanhshrink", lambda x, o, p: torch.sub(x, torch.tanh(x), out=o),
        lambda x, p: x.sub_(torch.tanh(x)),
        lambda g, x, y, o, p: torch.mul(g, torch.tanh(x).square_(), out=o),
        note="composite x - tanh(x)")

    def elu_family(name, alpha_of, scale, input_scale_of, note):
        add(name,
            lambda x, o, p: aten.elu.out(x, alpha_of(p), scale, input_scale_of(p), out=o),
            lambda x, p: aten.elu.out(x, alpha_of(p), scale, input_scale_of(p), out=x),
            lambda g, x, y, o, p: aten.elu_backward.grad_input(
                g, alpha_of(p), scale, input_scale_of(p), False, x, grad_input=o),
            note=note)

    elu_family("elu", lambda p: p["alpha"], 1.0, lambda p: 1.0, "elu.out; elu_backward")
    elu_family("selu", lambda p: SELU_ALPHA, SELU_SCALE, lambda p: 1.0,
               "elu.out(alpha, scale); elu_backward")
    elu_family("celu", lambda p: p["alpha"], 1.0, lambda p: 1.0 / p["alpha"],
               "elu.out(input_scale=1/alpha); elu_backward")
    add("softplus", lambda x, o, p: aten.softplus.out(x, p["beta"], p["threshold"], out=o),
        lambda x, p: aten.softplus.out(x, p["beta"], p["threshold"], out=x),
        lambda g, x, y, o, p: aten.softplus_backward.grad_input(
            g, x, p["beta"], p["threshold"], grad_input=o), note="softplus.out")

    def silu_fwd(x, o, p):
        b = p.get("beta", 1.0)
        if b == 1.0:
            return aten.silu.out(x, out=o)
        return torch.mul(x, torch.sigmoid(x * b), out=o)

    def silu_backward(g, x, y, o, p):
        if p.get("beta", 1.0) != 1.0:
            raise NotImplementedError("torch's silu_backward has beta = 1 only")
        return aten.silu_backward.grad_input(g, x, grad_input=o)

    for n in ("silu", "swish"):
        add(n, silu_fwd, lambda x, p: silu_fwd(x, x, p), silu_backward,
            note="silu.out; silu_backward")
    add("mish", lambda x, o, p: aten.mish.out(x, out=o), lambda x, p: F.mish(x, inplace=True),
        lambda g, x, y, o, p: o.copy_(aten.mish_backward(g, x)),
        note="mish.out; mish_backward (allocates)")
    add("gelu", lambda x, o, p: aten.gelu.out(x, approximate=p["approximate"], out=o),
        lambda x, p: aten.gelu.out(x, approximate=p["approximate"], out=x),
        lambda g, x, y, o, p: aten.gelu_backward.grad_input(
            g, x, approximate=p["approximate"], grad_input=o), note="gelu.out; gelu_backward")

    def softmax_backward(g, y, o, p, sign=1.0):
        r = aten._softmax_backward_data.out(g, y, p["axis"], y.dtype, grad_input=o)
        return r.neg_() if sign != 1.0 else r

    add("softmax", lambda x, o, p: aten._softmax.out(x, p["axis"], False, out=o),
        lambda x, p: aten._softmax.out(x, p["axis"], False, out=x),
        lambda g, x, y, o, p: softmax_backward(g, y, o, p), "y", note="_softmax.out")
    add("log_softmax", lambda x, o, p: aten._log_softmax.out(x, p["axis"], False, out=o),
        lambda x, p: x.copy_(aten._log_softmax(x, p["axis"], False)),
        lambda g, x, y, o, p: aten._log_softmax_backward_data.out(
            g, y, p["axis"], y.dtype, out=o), "y", note="_log_softmax.out")
    add("softmin", lambda x, o, p: aten._softmax.out(torch.neg(x), p["axis"], False, out=o),
        lambda x, p: aten._softmax.out(x.neg_(), p["axis"], False, out=x),
        lambda g, x, y, o, p: softmax_backward(g, y, o, p, -1.0), "y",
        note="_softmax.out(-x)")

    def maxout(x, o, p):
        k = int(p["pieces"])
        return torch.amax(x.unflatten(-1, (-1, k)), dim=-1, out=o)

    def maxout_backward(g, x, y, o, p):
        k = int(p["pieces"])
        idx = torch.argmax(x.unflatten(-1, (-1, k)), dim=-1, keepdim=True)
        o.zero_()
        o.unflatten(-1, (-1, k)).scatter_(-1, idx, g.unsqueeze(-1))
        return o

    add("maxout", maxout, None, maxout_backward, note="amax over unflatten(-1, k)")
    return T


_TABLES: dict[str, dict[str, Impl]] = {}
_LOADERS = {"numpy": _numpy_table, "scipy": _scipy_table, "torch": _torch_table}
LIBRARIES = tuple(_LOADERS)


def _table(library: str) -> dict[str, Impl]:
    if library not in _TABLES:
        _TABLES[library] = _LOADERS[library]()
    return _TABLES[library]


def library_version(library: str) -> str | None:
    """The installed version of a baseline library, or None when it is absent."""
    if library == "numpy":
        return np.__version__
    mod = _scipy_special() if library == "scipy" else _torch()
    if mod is None:
        return None
    if library == "scipy":
        import scipy

        return scipy.__version__
    return mod.__version__


def implementation(name: str, library: str) -> Impl | None:
    """``library``'s implementation of activation ``name``, or None."""
    return _table(library).get(name)


def implementations(name: str, libraries=LIBRARIES) -> list[Impl]:
    """The available baselines for ``name``, NumPy first."""
    found = (implementation(name, lib) for lib in libraries)
    return [impl for impl in found if impl is not None]


def params_for(name: str, **overrides) -> dict:
    """The parameters ``name`` is timed with (DEFAULT_PARAMS), overlaid with ``overrides``."""
    return {**DEFAULT_PARAMS[name], **overrides}


# --------------------------------------------------------------------------
# fastact itself, behind the same interface, and binding parameters once
# --------------------------------------------------------------------------

def fastact_impl(name: str, backward_input: str = "x") -> Impl | None:
    """fastact's entry points for ``name`` as an :class:`Impl`, or None if absent.

    The backward pass reads x (the accurate path, always accepted) unless
    ``backward_input="y"`` is asked for and the table allows y at the defaults.
    """
    import fastact

    spec = fastact.ACTIVATIONS.get(name)
    if spec is None:
        return None
    if backward_input == "y" and not spec.backward_from_y:
        return None

    def binder(p):
        if spec.api == "rowwise":  # backward always from y (all softmax keeps)
            f, f_, b = (getattr(fastact, name + s) for s in ("", "_", "_backward"))
            ax = p.get("axis", -1)
            return (lambda x, o: f(x, axis=ax, out=o),
                    lambda x: f_(x, axis=ax),
                    lambda g, x, y, o: b(g, y=y, axis=ax, out=o))
        if spec.api == "maxout":
            f, b = fastact.maxout, fastact.maxout_backward
            k, ax = p["pieces"], p.get("axis", -1)
            return (lambda x, o: f(x, k, axis=ax, out=o), None,
                    lambda g, x, y, o: b(g, x=x, pieces=k, axis=ax, out=o))
        if spec.api == "prelu":
            w = p["weight"]
            return (lambda x, o: fastact.prelu(x, w, out=o),
                    lambda x: fastact.prelu_(x, w),
                    lambda g, x, y, o: fastact.prelu_backward(g, x, w))
        f = getattr(fastact, name, None)
        f_ = getattr(fastact, name + "_", None)
        b = getattr(fastact, name + "_backward", None)
        # Pass only what differs from the table's defaults, as a user would.
        kw = {k: p[k] for k in spec.params if k in p and p[k] != spec.params[k]}
        if kw:
            fwd = f and (lambda x, o: f(x, out=o, **kw))
            fwd_ = f_ and (lambda x: f_(x, **kw))
            if backward_input == "y":
                bwd = b and (lambda g, x, y, o: b(g, y=y, out=o, **kw))
            else:
                bwd = b and (lambda g, x, y, o: b(g, x=x, out=o, **kw))
        else:
            fwd = f and (lambda x, o: f(x, out=o))
            fwd_ = f_
            if backward_input == "y":
                bwd = b and (lambda g, x, y, o: b(g, y=y, out=o))
            else:
                bwd = b and (lambda g, x, y, o: b(g, x=x, out=o))
        return fwd, fwd_, bwd

    probe = binder(params_for(name, weight=None))
    return Impl(
        "fastact",
        forward=probe[0] and True,
        forward_=probe[1] and True,
        backward=probe[2] and True,
        backward_input=backward_input,
        note=spec.formula,
        set_threads=fastact.set_num_threads,
        binder=binder,
    )


def bind(impl: Impl, p: Mapping[str, Any]):
    """(forward(x, out), forward_(x), backward(g, x, y, out)) with ``p`` bound.

    None where the implementation lacks that entry point."""
    if impl.binder is not None:
        return impl.binder(p)
    f, f_, b = impl.forward, impl.forward_, impl.backward
    return (
        f and (lambda x, o: f(x, o, p)),
        f_ and (lambda x: f_(x, p)),
        b and (lambda g, x, y, o: b(g, x, y, o, p)),
    )


def thread_count() -> int:
    """The cores this process may run on (what "all threads" means here)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
