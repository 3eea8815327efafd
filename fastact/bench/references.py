"""Independent NumPy references for fastact's activations (never calls fastact).

``REFERENCES`` maps an activation's name to a :class:`Reference`: its forward
and backward written directly from docs/CONTRACT.md, plus how closely the kernels must
match it.  The tests pick the activations from ``fastact.ACTIVATIONS`` and the
formulas from here, so adding an activation means adding one entry below
(``test_table.py`` fails for a piecewise activation that has none).

How the tests evaluate a reference (see ``ulp.py`` / ``test_accuracy.py``):

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
from typing import Callable, Mapping, Optional, Sequence, Tuple

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Reference:
    """One activation's reference and the accuracy its kernels must reach.

    forward(x, **params) -> f(x)
    backward(g, x, **params) -> g * f'(x)
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
    backward: Callable[..., Array]
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
