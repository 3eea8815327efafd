"""Independent references for every activation of ``fastact.ACTIVATIONS``.

Written directly from docs/CONTRACT.md with NumPy (float64, np.longdouble),
SciPy and, for samples where even long double cancels, mpmath; never calls
fastact.  The tests and ``python -m fastact.accuracy`` take their references
from here, and tests/test_references.py fails for a table row (or a choice such
as gelu's approximate="tanh") that lacks one for a direction it supports.

Every reference is a :class:`Reference`, in one of three registries by how the
tests judge it:

* ``REFERENCES``, the piecewise family (and prelu): checked bitwise or within a
  few steps of the dtype (``ulp.ulp_distance``), over parameter sets and kinks;
* ``EXPONENTIAL``, by sweep label (``gelu_tanh`` is gelu(approximate="tanh")):
  at the table's default parameters, within ULP bounds of the exact value
  (``ulp.ulp_error``); float64 formulas judge float32 kernels, long double ones
  float64 kernels (gelu, gelu_tanh, mish: mpmath, ``mp_values``);
* ``ROWWISE``: softmax, log_softmax, softmin (from y) and maxout, in long double.

``reference(label, direction)`` finds any of them; ``limit_values`` evaluates
an exponential one at SPEC's limits where x = +-inf.

How the tests evaluate a piecewise reference (see ``ulp.py`` / ``test_accuracy.py``):

* Inputs are exact float32/float64 values converted to the *working* precision:
  float64 for float32 kernels, and for float64 kernels ``np.longdouble`` when it
  has more precision than float64 (x86: 64-bit mantissa) -- except for
  directions whose tolerance is 0 ULP (bitwise), which are always evaluated in
  float64: one correctly rounded float64 operation rounded to the dtype is then
  exactly what a correct kernel returns.
* Parameters are rounded to the array's dtype first (the kernels compute with
  ``dtype(param)``), then converted to the working precision.
* Functions receive NumPy arrays in the working precision and keyword
  parameters named as in docs/CONTRACT.md (complete: defaults already filled in), and
  must run under ``np.errstate(all="ignore")`` without relying on warnings.

Semantics the piecewise references encode (the contract of pyx/_piecewise.pxd):
NaN in gives NaN out; backward is a *select* as in PyTorch -- in a flat piece
(f' structurally 0) the result is +0 even for an infinite or NaN grad, in a
slope-1 piece it is grad itself, elsewhere grad * f'(x) as a product; kinks take
PyTorch's one-sided derivative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Callable, Mapping, Optional, Sequence, Tuple

import numpy as np

Array = np.ndarray
LD = np.longdouble


@dataclass(frozen=True)
class Reference:
    """One activation's reference and the accuracy its kernels must reach.

    The fields after backward_y say how the piecewise checks (``REFERENCES``)
    judge a kernel; ``EXPONENTIAL`` and ``ROWWISE`` rows give only the three
    functions, their tests state their bounds.

    forward(x, **params) -> f(x)
    backward(g, x, **params) -> g * f'(x); None where the backward reads y only
        (the row-wise family)
    backward_y(g, y, **params) -> the same from the forward output y; None where
        docs/CONTRACT.md says the derivative cannot be written from y.
    forward_ulp / backward_ulp: allowed distance in ULPs of the dtype from the
        reference rounded to the dtype; 0 means bitwise equal (sign of zero
        included, any NaN matches any NaN).
    y_exact: backward from y must be bitwise equal to backward from x.
    forward_slack(x, dtype, **params) -> absolute error also accepted (array), for
        formulas whose intermediate is rounded in the dtype before cancellation.
    backward_either(g, x, dtype, **params) -> (mask, other): where mask, the value
        ``other`` (rounded to the dtype) is accepted as well as the reference.
    kinks(**params) -> points where f or f' changes piece; the edge data puts
        values at and a few ULPs around each of them.
    param_sets: non-default parameter sets to test besides the defaults ({}).
    """

    forward: Callable[..., Array]
    backward: Optional[Callable[..., Array]]
    backward_y: Optional[Callable[..., Array]] = None
    forward_ulp: int = 0
    backward_ulp: int = 0
    y_exact: bool = True
    forward_slack: Optional[Callable[..., Array]] = None
    backward_either: Optional[Callable[..., Tuple[Array, Array]]] = None
    kinks: Callable[..., Sequence[float]] = field(default=lambda **p: (0.0,))
    param_sets: Tuple[Mapping[str, float], ...] = ({},)


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------
def nan_through(v: Array, r: Array) -> Array:
    """NaN wherever the input v is NaN, r elsewhere."""
    return np.where(np.isnan(v), np.nan, r)


def select(g: Array, v: Array, *, flat=False, unit=False, slope=None) -> Array:
    """grad * f'(v) as PyTorch's select: +0 where ``flat``, g where ``unit``,
    g * slope elsewhere (a product: NaN/inf grads propagate there); NaN v -> NaN."""
    other = g * slope if slope is not None else np.full_like(g, np.nan)
    r = np.where(flat, 0.0, np.where(unit, g, other))
    return nan_through(v, r)


def times_slope(slope, x: Array) -> Array:
    """slope * x, with a zero slope times an infinite x the limit 0 (signed as
    the product), not NaN: SPEC's limits for a zero slope parameter."""
    r = slope * x
    return np.where(np.isinf(x) & (slope == 0), slope * np.sign(x), r)


def spacing(v: Array, dtype) -> Array:
    """ULP of the dtype at |v| (v in any precision), as float64."""
    return np.spacing(np.abs(np.asarray(v).astype(dtype))).astype(np.float64)


# ---------------------------------------------------------------------------
# Piecewise-linear family
# ---------------------------------------------------------------------------
def _identity():
    return Reference(
        forward=lambda x: x.copy(),
        # f' = 1 everywhere, so the select returns grad itself, whatever x is
        # (as PyTorch).  The brief's "NaN x gives NaN" is checked separately in
        # test_semantics.py::test_identity_backward_nan_x.
        backward=lambda g, x: g.copy(),
        backward_y=lambda g, y: g.copy(),
    )


def _relu():
    def forward(x):
        return nan_through(x, np.where(x > 0, x, 0.0))

    def backward(g, v):
        return select(g, v, flat=~(v > 0), unit=v > 0)

    return Reference(forward, backward, backward)


def _relu6():
    def forward(x):
        return nan_through(x, np.where(x > 0, np.where(x < 6, x, 6.0), 0.0))

    def backward(g, v):
        inside = (v > 0) & (v < 6)
        return select(g, v, flat=~inside, unit=inside)

    return Reference(forward, backward, backward, kinks=lambda: (0.0, 6.0))


def _leaky_relu():
    def forward(x, negative_slope):
        return nan_through(x, np.where(x > 0, x, times_slope(negative_slope, x)))

    def backward(g, v, negative_slope):
        return select(g, v, unit=v > 0, slope=negative_slope)

    return Reference(
        forward, backward, backward,
        param_sets=({}, {"negative_slope": 0.2}, {"negative_slope": -0.5},
                    {"negative_slope": 0.0}, {"negative_slope": 1.5}),
    )


def _hardtanh():
    def forward(x, min_val, max_val):
        return nan_through(x, np.where(x < min_val, min_val, np.where(x > max_val, max_val, x)))

    def backward(g, v, min_val, max_val):
        inside = (v > min_val) & (v < max_val)
        return select(g, v, flat=~inside, unit=inside)

    return Reference(
        forward, backward, backward,
        kinks=lambda min_val, max_val: (min_val, max_val, 0.0),
        param_sets=({}, {"min_val": -2.0, "max_val": 3.0}, {"min_val": 0.0, "max_val": 6.0},
                    {"min_val": 0.5, "max_val": 0.5}),
    )


def _hardsigmoid():
    def t_of(x, slope, offset):
        return times_slope(slope, x) + offset

    def forward(x, slope, offset):
        t = t_of(x, slope, offset)
        return nan_through(x, np.where(t > 0, np.where(t < 1, t, 1.0), 0.0))

    def backward(g, v, slope, offset):
        t = t_of(v, slope, offset)
        inside = (t > 0) & (t < 1)
        return select(g, v, flat=~inside, slope=slope)

    def backward_y(g, y, slope, offset):
        inside = (y > 0) & (y < 1)
        return select(g, y, flat=~inside, slope=slope)

    # The kernel forms t = slope*x + offset in the dtype: the product may be
    # rounded (no FMA) before offset cancels it, an absolute error of up to half
    # an ULP of slope*x that no ULP bound on the result can express near t = 0.
    def forward_slack(x, dtype, slope, offset):
        return spacing(slope * x, dtype)

    # Within a couple of such ULPs of t = 0 or t = 1 either side's derivative is
    # right (0 or slope*g).
    def backward_either(g, v, dtype, slope, offset):
        t = t_of(v, slope, offset)
        width = 2 * np.maximum(spacing(slope * v, dtype), spacing(offset, dtype)) \
            + 2 * spacing(1.0, dtype)
        near = (np.abs(t) <= width) | (np.abs(t - 1) <= width)
        inside = (t > 0) & (t < 1)
        other = np.where(inside, 0.0, g * slope)
        return near & ~np.isnan(v), other

    def kinks(slope, offset):
        return (-offset / slope, (1 - offset) / slope, 0.0)

    return Reference(
        forward, backward, backward_y,
        forward_ulp=2, backward_ulp=0,
        forward_slack=forward_slack, backward_either=backward_either,
        kinks=kinks,
        param_sets=({}, {"slope": 0.2}, {"slope": 0.2, "offset": 0.5},
                    {"slope": -0.25, "offset": 0.3}),
    )


def _hardswish():
    def forward(x):
        r = np.where(x <= -3, 0.0, np.where(x >= 3, x, x * (x + 3) / 6))
        return nan_through(x, r)

    def backward(g, v):
        # PyTorch: 0 below -3, 1 above 3, (2x + 3)/6 on the closed [-3, 3].
        return select(g, v, flat=v < -3, unit=v > 3, slope=(2 * v + 3) / 6)

    return Reference(
        forward, backward, None,
        forward_ulp=2, backward_ulp=3,
        kinks=lambda: (-3.0, 3.0, 0.0, -1.5),
    )


def _softsign():
    def forward(x):
        return nan_through(x, np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x))))

    def backward(g, v):
        return g / (1 + np.abs(v)) ** 2

    def backward_y(g, y):
        return g * (1 - np.abs(y)) ** 2

    return Reference(
        forward, backward, backward_y,
        forward_ulp=2, backward_ulp=3, y_exact=False,
    )


def _channel_weight(weight: Array, ndim: int) -> Array:
    """weight shaped to broadcast against an ndim array along prelu's channel
    axis (1 for ndim >= 2, 0 for 1-d)."""
    w = np.asarray(weight).reshape(-1)
    if w.size == 1 or ndim == 0:
        return w.reshape(())
    shape = [1] * ndim
    shape[1 if ndim >= 2 else 0] = w.size
    return w.reshape(shape)


def prelu_dweight(g: Array, x: Array, weight: Array) -> Tuple[Array, Array]:
    """dL/dweight as an exactly rounded float64 sum per channel (math.fsum),
    and the sum of |terms| per channel (for the summation-order error bound)."""
    import math

    g64, x64 = np.asarray(g, np.float64), np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        terms = np.where(x64 > 0, 0.0, g64 * x64)
    w = np.asarray(weight)
    if w.size == 1 or x64.ndim == 0:
        per = terms.reshape(1, -1)
    else:
        moved = np.moveaxis(terms, 1 if x64.ndim >= 2 else 0, 0)
        # (-1 cannot be inferred for zero channels: found by the long profile)
        per = moved.reshape(w.size, moved.size // w.size if w.size else 0)
    sums, mags = [], []
    for row in per:
        if np.isfinite(row).all():
            sums.append(math.fsum(row.tolist()))
        else:
            sums.append(float(np.sum(row)))  # inf, -inf or NaN: any order agrees
        with np.errstate(all="ignore"):
            mags.append(float(np.sum(np.abs(row))))
    return np.array(sums).reshape(w.shape), np.array(mags).reshape(w.shape)


def _prelu():
    def forward(x, weight):
        w = _channel_weight(weight, x.ndim)
        return nan_through(x, np.where(x > 0, x, times_slope(w, x)))

    def backward(g, v, weight):
        w = _channel_weight(weight, v.ndim)
        return select(g, v, unit=v > 0, slope=w)

    return Reference(forward, backward, None)


REFERENCES: Mapping[str, Reference] = {
    "identity": _identity(),
    "relu": _relu(),
    "relu6": _relu6(),
    "leaky_relu": _leaky_relu(),
    "prelu": _prelu(),
    "hardtanh": _hardtanh(),
    "hardsigmoid": _hardsigmoid(),
    "hardswish": _hardswish(),
    "softsign": _softsign(),
}


# ---------------------------------------------------------------------------
# Exponential family, at the table's default parameters.  Each formula runs in
# the precision of its input: float64 (for float32 kernels) or long double
# (for float64 kernels); constants are parsed in that precision.
# ---------------------------------------------------------------------------
SELU_ALPHA = "1.6732632423543772848170429916717"
SELU_SCALE = "1.0507009873554804934193349852946"
# lambda*alpha as an unevaluated sum of two doubles (y + lambda*alpha cancels as
# y -> -lambda*alpha: one long double would not be precise enough there)
_LA = Decimal(SELU_ALPHA).fma(Decimal(SELU_SCALE), Decimal(0), Context(prec=80))
SELU_LA_HI = float(_LA)
SELU_LA_LO = float(_LA - Decimal(SELU_LA_HI))
GELU_TANH_C = "0.044715"


def _const(x: Array, text: str):
    return x.dtype.type(text)


def sigmoid(x: Array) -> Array:
    if x.dtype == LD:
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-x))
    from scipy.special import expit

    return expit(x)


def softplus(x: Array, threshold=20.0) -> Array:
    """log(1 + e^x) without overflow or cancellation; x itself above threshold."""
    return np.where(x > threshold, x, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


def _tanhshrink(x):
    # the series where x - tanh(x) would cancel (to x^17: < 2^-64 relative below 0.1)
    one = x.dtype.type(1)
    c = [one / 3, -2 * one / 15, 17 * one / 315, -62 * one / 2835, 1382 * one / 155925,
         -21844 * one / 6081075, 929569 * one / 638512875]
    x2 = x * x
    p = c[-1]
    for k in c[-2::-1]:
        p = p * x2 + k
    return np.where(np.abs(x) < 0.1, x * x2 * p, x - np.tanh(x))


def _selu(x):
    return _const(x, SELU_SCALE) * np.where(x > 0, x, _const(x, SELU_ALPHA) * np.expm1(x))


def _selu_d(x):
    return _const(x, SELU_SCALE) * np.where(x > 0, 1, _const(x, SELU_ALPHA) * np.exp(x))


def _silu_d(x):
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


def _ndtr(x):
    from scipy.special import ndtr

    return ndtr(x)


def _gelu_d(x):
    return _ndtr(x) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)


def _gelu_tanh_arg(x):   # 2u, u = sqrt(2/pi) (x + 0.044715 x^3): 0.5 (1 + tanh u) = sigma(2u)
    return 2 * np.sqrt(2 / np.pi) * (x + float(GELU_TANH_C) * x**3)


def _gelu_tanh_d(x):
    s = sigmoid(_gelu_tanh_arg(x))
    c = np.sqrt(2 / np.pi)
    return s * (1 + 2 * x * c * (1 + 3 * float(GELU_TANH_C) * x * x) * (1 - s))


def _mish_d(x):
    sp = np.logaddexp(0, x)
    return np.tanh(sp) + x * sigmoid(x) / np.cosh(sp) ** 2


def _smooth(f, d, d_y=None) -> Reference:
    """A Reference from f(x), f'(x) and f' as a function of y = f(x)."""
    return Reference(
        forward=f,
        backward=lambda g, x: g * d(x),
        backward_y=None if d_y is None else (lambda g, y: g * d_y(y)),
    )


EXPONENTIAL: Mapping[str, Reference] = {
    "sigmoid": _smooth(sigmoid, lambda x: sigmoid(x) * sigmoid(-x), lambda y: y * (1 - y)),
    "logsigmoid": _smooth(lambda x: -softplus(-x, np.inf), lambda x: sigmoid(-x),
                          lambda y: -np.expm1(y)),
    "tanh": _smooth(np.tanh, lambda x: 1 / np.cosh(x) ** 2, lambda y: (1 - y) * (1 + y)),
    "tanhshrink": _smooth(_tanhshrink, lambda x: np.tanh(x) ** 2),
    "elu": _smooth(lambda x: np.where(x > 0, x, np.expm1(x)),
                   lambda x: np.where(x > 0, 1, np.exp(x)), lambda y: np.where(y > 0, 1, y + 1)),
    "selu": _smooth(_selu, _selu_d, lambda y: np.where(y > 0, _const(y, SELU_SCALE),
                                                        (y + SELU_LA_HI) + SELU_LA_LO)),
    "celu": _smooth(lambda x: np.where(x > 0, x, np.expm1(x)),
                    lambda x: np.where(x > 0, 1, np.exp(x)), lambda y: np.where(y > 0, 1, y + 1)),
    "softplus": _smooth(softplus, lambda x: np.where(x > 20, 1, sigmoid(x)),
                        lambda y: np.where(y > 20, 1, -np.expm1(-y))),
    "silu": _smooth(lambda x: x * sigmoid(x), _silu_d),
    "swish": _smooth(lambda x: x * sigmoid(x), _silu_d),
    # float64 only (SciPy's ndtr has no long double): mp_values judges float64
    "gelu": _smooth(lambda x: x * _ndtr(x), _gelu_d),
    "gelu_tanh": _smooth(lambda x: x * sigmoid(_gelu_tanh_arg(x)), _gelu_tanh_d),
    "mish": _smooth(lambda x: x * np.tanh(np.logaddexp(0, x)), _mish_d),
}


def mp_values(label: str, direction: str, xs, beta: float = 1.0) -> list:
    """mpmath values (40 digits) of f or f' (direction "forward" or "backward")
    at the float inputs ``xs``: gelu, gelu_tanh, mish, silu and swish (of beta
    * x, exact), where long double cancels (near f''s roots).  Sets mpmath's
    global precision to 40 digits, which the callers' arithmetic on the values
    relies on."""
    import mpmath as mp

    mp.mp.dps = 40
    out = []
    for v in xs:
        x = mp.mpf(float(v))
        if label == "gelu":
            phi = mp.erfc(-x / mp.sqrt(2)) / 2
            r = x * phi if direction == "forward" else \
                phi + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)
        elif label == "gelu_tanh":
            u = mp.sqrt(2 / mp.pi) * (x + mp.mpf(GELU_TANH_C) * x**3)
            s = 1 / (1 + mp.exp(-2 * u))
            r = x * s if direction == "forward" else \
                s * (1 + 2 * x * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf(GELU_TANH_C) * x * x)
                     * (1 - s))
        elif label == "mish":
            t = mp.tanh(mp.log1p(mp.exp(x)))
            r = x * t if direction == "forward" else t + x / (1 + mp.exp(-x)) * (1 - t * t)
        elif label in ("silu", "swish"):
            t = mp.mpf(float(beta)) * x if label == "swish" else x
            s = 1 / (1 + mp.exp(-t))
            r = x * s if direction == "forward" else s * (1 + t * (1 - s))
        else:
            raise KeyError(f"no mpmath reference for {label}")
        out.append(r)
    return out


def silu_derivative_near_root(x: Array, ref: Array) -> Array:
    """``ref`` (silu' in long double at float64 x) with mpmath's values near
    silu''s root (-1.2785), where even long double cancels."""
    ref = ref.copy()
    near = np.nonzero(np.abs(x + 1.2785) < 0.6)[0]
    ref[near] = [LD(str(v)) for v in mp_values("silu", "backward", x[near])]
    return ref


def with_params(name: str, params: Mapping, direction: str, source: Optional[str], x: Array,
                dtype) -> Array:
    """The exponential family's reference for ``dtype`` kernels at any
    parameters: f (direction "forward") or f' ("backward", from x, or from y
    where source == "y") at the values ``x`` of the dtype, in its working
    precision.  ``params`` as given to fastact, complete where not the
    defaults; they are rounded to the dtype (the kernels see them so), and beta
    * x, x / alpha are exact (the kernels correct their rounding: ACCURACY.md).
    gelu and mish at float64: mpmath (40 digits) up to |x| = 1000, their exact
    limits beyond."""
    flat = np.asarray(x).reshape(-1)
    return np.asarray(_with_params_1d(name, params, direction, source, flat, dtype)
                      ).reshape(np.shape(x))


def _with_params_1d(name, params, direction, source, x, dtype):
    w = np.float64 if dtype == np.float32 else LD
    p = {k: dtype(v) for k, v in params.items() if not isinstance(v, str)}
    xw = x.astype(w)
    if name == "gelu" or name == "mish":
        label = "gelu_tanh" if params.get("approximate") == "tanh" else name
        if dtype == np.float32:
            ref = EXPONENTIAL[label]
            return ref.forward(xw) if direction == "forward" else ref.backward(1, xw)
        inside = np.abs(x) <= 1000
        r = np.where(x > 0, x, 0).astype(LD) if direction == "forward" \
            else np.where(x > 0, 1, 0).astype(LD)
        r[np.isnan(x)] = np.nan
        r[inside] = [LD(str(v)) for v in mp_values(label, direction, x[inside])]
        return r
    if name == "selu" or not p or all(v == 1 for k, v in p.items() if k != "threshold") \
            and p.get("threshold", 20) == 20:
        ref = EXPONENTIAL[name]
        if source == "y":
            return ref.backward_y(1, xw)
        if direction == "forward":
            return ref.forward(xw)
        r = ref.backward(1, xw)
        if name in ("silu", "swish") and dtype == np.float64:
            r = silu_derivative_near_root(x, r)
        return r
    if name == "elu":
        a = w(p["alpha"])
        if source == "y":
            return np.where(xw > 0, 1, xw + a)
        return np.where(xw > 0, xw, a * np.expm1(xw)) if direction == "forward" \
            else np.where(xw > 0, 1, a * np.exp(xw))
    if name == "celu":
        a = w(p["alpha"])
        if source == "y":
            return np.where(xw > 0, 1, (xw + a) / a)
        q = xw / a
        return np.where(xw > 0, xw, a * np.expm1(q)) if direction == "forward" \
            else np.where(xw > 0, 1, np.exp(q))
    if name == "softplus":
        b, th = w(p["beta"]), w(p["threshold"])
        a = b * xw
        # the threshold test is on the rounded beta * x (where both sides agree)
        a_rounded = (p["beta"] * x).astype(w)
        if source == "y":
            return np.where(a_rounded > th, 1, -np.expm1(-a))
        if direction == "forward":
            return np.where(a_rounded > th, xw,
                            (np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))) / b)
        return np.where(a_rounded > th, 1, sigmoid(a))
    if name == "swish":
        a = w(p["beta"]) * xw
        s = sigmoid(a)
        if direction == "forward":
            return xw * s
        d = s * (1 + a * (1 - s))
        if dtype == np.float64:   # near the root even long double cancels
            d = np.array(d, copy=True)
            near = np.flatnonzero(np.abs(a + LD(1.2785)) < 0.6)
            d[near] = [LD(str(v)) for v in mp_values("swish", "backward", x[near], p["beta"])]
        return d
    raise KeyError(f"no reference for {name} with {params}")


def limit_values(label: str, direction: str, x: Array) -> Array:
    """The exponential reference of f (direction "forward") or f' ("backward",
    grad = 1) at float32 inputs x, in float64, SPEC's limits included.  The
    formulas give inf * 0 = NaN at x = +-inf (x Phi(x) at -inf); SPEC's limits
    there are their values at a huge finite x: forward at +-1e300 (0, -0, or
    beyond FLT_MAX, which counts as inf), derivatives at +-1e30 (their limits
    are finite; 1e300 would overflow x^2 in gelu_tanh')."""
    big = 1e300 if direction == "forward" else 1e30
    x64 = x.astype(np.float64)
    xr = np.where(np.isinf(x64), np.copysign(big, x64), x64)
    ref = EXPONENTIAL[label]
    with np.errstate(all="ignore"):
        return ref.forward(xr) if direction == "forward" else ref.backward(1, xr)


# ---------------------------------------------------------------------------
# Row-wise family, in long double
# ---------------------------------------------------------------------------


def rowwise_forward(name: str, x, axis=-1) -> Array:
    """softmax / log_softmax / softmin of x along axis, in extended precision."""
    z = np.asarray(x, LD)
    if name == "softmin":
        z = -z
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(z, axis=axis, keepdims=True)
        shifted = z - m
        total = np.sum(np.exp(shifted), axis=axis, keepdims=True)
        if name == "log_softmax":
            # log(total) = log1p(tail), the tail = every term but one at the max
            # (exactly 1): log(1 + 4e-18) is 0 even in long double.
            if z.ndim == 0:
                return shifted
            at_max = np.zeros(z.shape, bool)
            first = np.expand_dims(np.argmax(z, axis=axis), axis)
            np.put_along_axis(at_max, first, True, axis=axis)
            tail = np.sum(np.where(at_max, 0, np.exp(shifted)), axis=axis, keepdims=True)
            r = shifted - np.log1p(tail)
        else:
            r = np.exp(shifted) / total
        # a row whose max is +inf (and no NaN): SPEC's limit, all the mass
        # equally on the +inf entries
        top = z == np.inf
        k = np.sum(top, axis=axis, keepdims=True) if z.ndim else top.astype(int)
        limit = (np.where(top, -np.log(np.maximum(k, 1).astype(LD)), -np.inf)
                 if name == "log_softmax" else top / np.maximum(k, 1).astype(LD))
        return np.where(np.isposinf(m), limit, r)


def rowwise_backward(name: str, g, y, axis=-1) -> Array:
    """Gradient from the forward output y (as given, not renormalized)."""
    g, y = np.asarray(g, LD), np.asarray(y, LD)
    if name == "log_softmax":  # g - S*exp(y); near y = 0 as (g - S) - S*expm1(y)
        total = np.sum(g, axis=axis, keepdims=True)
        with np.errstate(invalid="ignore"):
            return np.where(y > -0.5, (g - total) - total * np.expm1(y),
                            g - total * np.exp(y))
    dx = y * (g - np.sum(g * y, axis=axis, keepdims=True))
    return -dx if name == "softmin" else dx


def maxout_forward(x: Array, pieces: int, axis=-1) -> Tuple[Array, Array]:
    """(output, index of the first arg-max in each group); NaN wins (np.argmax
    returns the first NaN), ties go to the first entry."""
    xm = np.moveaxis(x, axis, -1)
    groups = xm.reshape(xm.shape[:-1] + (xm.shape[-1] // pieces, pieces))
    idx = np.argmax(groups, axis=-1)
    out = np.take_along_axis(groups, idx[..., None], axis=-1)[..., 0]
    return np.moveaxis(out, -1, axis), idx


def maxout_backward(g: Array, x: Array, pieces: int, axis=-1) -> Array:
    _, idx = maxout_forward(x, pieces, axis)
    xm = np.moveaxis(x, axis, -1)
    dx = np.zeros(xm.shape[:-1] + (xm.shape[-1] // pieces, pieces), x.dtype)
    gm = np.moveaxis(g, axis, -1)
    np.put_along_axis(dx, idx[..., None], gm[..., None], axis=-1)
    return np.moveaxis(dx.reshape(xm.shape), -1, axis)


def _softmax_like(name):
    return Reference(forward=lambda x, axis=-1: rowwise_forward(name, x, axis), backward=None,
                     backward_y=lambda g, y, axis=-1: rowwise_backward(name, g, y, axis))


ROWWISE: Mapping[str, Reference] = {
    "softmax": _softmax_like("softmax"),
    "log_softmax": _softmax_like("log_softmax"),
    "softmin": _softmax_like("softmin"),
    "maxout": Reference(forward=lambda x, pieces, axis=-1: maxout_forward(x, pieces, axis)[0],
                        backward=maxout_backward),
}


def reference(label: str, direction: str) -> Optional[Callable[..., Array]]:
    """The reference of ``label`` (an activation, or a sweep label such as
    gelu_tanh) for ``direction`` ("forward", "backward" from x, "backward_y"),
    or None when there is none."""
    for registry in (REFERENCES, EXPONENTIAL, ROWWISE):
        if label in registry:
            return getattr(registry[label], direction)
    return None
