"""The documented semantics, value by value, written out by hand.

Independent of fastact/bench/references.py: if a reference and a kernel agreed on a
wrong answer, these tables would still catch it.  Every value is compared
bitwise (sign of zero included) in float32 and float64.
"""

import numpy as np
import pytest
from inputs import DTYPES

import fastact
from fastact.bench.ulp import assert_bitwise_equal, ulp_distance

NAN, INF = float("nan"), float("inf")
MAX, SUB = "max", "sub"  # the dtype's largest finite / smallest subnormal value


def up(v):
    return ("up", v)


def down(v):
    return ("down", v)


def value(v, dtype):
    """A table entry as a dtype scalar: a float, MAX/SUB, up/down(v) (one ULP
    above/below v), or a callable of the dtype."""
    dt = np.dtype(dtype).type
    if callable(v):
        return dt(v(dt))
    if v == MAX:
        return dt(np.finfo(dtype).max)
    if v == "-max":
        return dt(-np.finfo(dtype).max)
    if v == SUB:
        return dt(np.finfo(dtype).smallest_subnormal)
    if isinstance(v, tuple):
        direction, base = v
        return np.nextafter(dt(base), dt(INF if direction == "up" else -INF))
    return dt(v)


# (name, params, x, expected)
FORWARD = [
    ("identity", {}, -0.0, -0.0), ("identity", {}, NAN, NAN), ("identity", {}, -INF, -INF),
    ("relu", {}, -0.0, 0.0), ("relu", {}, -INF, 0.0), ("relu", {}, INF, INF),
    ("relu", {}, NAN, NAN), ("relu", {}, -1.0, 0.0), ("relu", {}, SUB, SUB),
    ("relu", {}, 0.0, 0.0), ("relu", {}, MAX, MAX),
    ("relu6", {}, -0.0, 0.0), ("relu6", {}, 6.0, 6.0), ("relu6", {}, 7.0, 6.0),
    ("relu6", {}, INF, 6.0), ("relu6", {}, -INF, 0.0), ("relu6", {}, NAN, NAN),
    ("relu6", {}, 5.5, 5.5), ("relu6", {}, up(6.0), 6.0), ("relu6", {}, down(6.0), down(6.0)),
    ("leaky_relu", {}, -0.0, -0.0), ("leaky_relu", {}, NAN, NAN),
    ("leaky_relu", {}, -INF, -INF), ("leaky_relu", {}, INF, INF), ("leaky_relu", {}, 0.0, 0.0),
    ("leaky_relu", {}, -2.0, lambda dt: dt(0.01) * dt(-2.0)),
    ("leaky_relu", {"negative_slope": 0.25}, -4.0, -1.0),
    ("leaky_relu", {"negative_slope": -0.5}, -0.0, 0.0),
    ("leaky_relu", {"negative_slope": -0.5}, -2.0, 1.0),
    ("leaky_relu", {"negative_slope": -0.5}, -INF, INF),
    ("leaky_relu", {"negative_slope": 0.0}, -3.0, -0.0),
    ("hardtanh", {}, -0.0, -0.0), ("hardtanh", {}, -5.0, -1.0), ("hardtanh", {}, 5.0, 1.0),
    ("hardtanh", {}, INF, 1.0), ("hardtanh", {}, -INF, -1.0), ("hardtanh", {}, NAN, NAN),
    ("hardtanh", {}, -1.0, -1.0), ("hardtanh", {}, down(1.0), down(1.0)),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, -2.5, -2.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, 3.5, 3.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, 0.5, 0.5),
    ("hardsigmoid", {}, -INF, 0.0), ("hardsigmoid", {}, INF, 1.0),
    ("hardsigmoid", {}, NAN, NAN), ("hardsigmoid", {}, 0.0, 0.5), ("hardsigmoid", {}, -0.0, 0.5),
    ("hardsigmoid", {}, -10.0, 0.0), ("hardsigmoid", {}, 10.0, 1.0),
    ("hardsigmoid", {}, -1e30, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 1.0, 0.75),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, -1.0, 0.25),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, -2.0, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 2.0, 1.0),
    ("hardsigmoid", {"slope": 0.2}, -2.5, 0.0), ("hardsigmoid", {"slope": 0.2}, 3.0, 1.0),
    ("hardswish", {}, -3.0, 0.0), ("hardswish", {}, -4.0, 0.0), ("hardswish", {}, -INF, 0.0),
    ("hardswish", {}, -1e30, 0.0), ("hardswish", {}, "-max", 0.0),
    ("hardswish", {}, INF, INF), ("hardswish", {}, 3.0, 3.0), ("hardswish", {}, 4.0, 4.0),
    ("hardswish", {}, NAN, NAN), ("hardswish", {}, 0.0, 0.0), ("hardswish", {}, -1.5, -0.375),
    ("hardswish", {}, MAX, MAX), ("hardswish", {}, down(-3.0), 0.0),
    ("softsign", {}, INF, 1.0), ("softsign", {}, -INF, -1.0), ("softsign", {}, NAN, NAN),
    ("softsign", {}, -0.0, -0.0), ("softsign", {}, 1.0, 0.5), ("softsign", {}, -3.0, -0.75),
    ("softsign", {}, MAX, 1.0), ("softsign", {}, 0.0, 0.0),
]

# (name, params, grad, x, expected): backward from x
BACKWARD = [
    ("identity", {}, -0.0, 3.0, -0.0), ("identity", {}, INF, -INF, INF),
    ("relu", {}, 1.0, 0.0, 0.0), ("relu", {}, INF, 0.0, 0.0), ("relu", {}, NAN, -1.0, 0.0),
    ("relu", {}, -INF, -0.0, 0.0), ("relu", {}, -1.0, -5.0, 0.0), ("relu", {}, NAN, 1.0, NAN),
    ("relu", {}, -0.0, 1.0, -0.0), ("relu", {}, 5.0, SUB, 5.0), ("relu", {}, 1.0, NAN, NAN),
    ("relu", {}, INF, 2.0, INF), ("relu", {}, -1.0, -INF, 0.0), ("relu", {}, 3.0, INF, 3.0),
    ("relu6", {}, 1.0, 6.0, 0.0), ("relu6", {}, INF, 6.0, 0.0), ("relu6", {}, NAN, 0.0, 0.0),
    ("relu6", {}, -2.0, 5.5, -2.0), ("relu6", {}, 1.0, 7.0, 0.0), ("relu6", {}, 1.0, NAN, NAN),
    ("relu6", {}, -2.0, down(6.0), -2.0), ("relu6", {}, -2.0, SUB, -2.0),
    ("relu6", {}, -INF, INF, 0.0),
    ("leaky_relu", {}, 1.0, 0.0, lambda dt: dt(0.01)),
    ("leaky_relu", {}, -1.0, -0.0, lambda dt: -dt(0.01)),
    ("leaky_relu", {"negative_slope": 0.25}, 4.0, 0.0, 1.0),
    ("leaky_relu", {"negative_slope": 0.25}, 4.0, -1.0, 1.0),
    ("leaky_relu", {"negative_slope": 0.25}, 2.0, 3.0, 2.0),
    ("leaky_relu", {"negative_slope": 0.25}, NAN, 3.0, NAN),
    ("leaky_relu", {"negative_slope": 0.25}, 1.0, NAN, NAN),
    ("leaky_relu", {"negative_slope": 0.25}, INF, -1.0, INF),
    ("leaky_relu", {"negative_slope": -0.5}, 2.0, -1.0, -1.0),
    ("hardtanh", {}, 1.0, -1.0, 0.0), ("hardtanh", {}, 1.0, 1.0, 0.0),
    ("hardtanh", {}, INF, 1.0, 0.0), ("hardtanh", {}, NAN, -1.0, 0.0),
    ("hardtanh", {}, 3.0, 0.5, 3.0), ("hardtanh", {}, 1.0, NAN, NAN),
    ("hardtanh", {}, 3.0, down(1.0), 3.0), ("hardtanh", {}, 3.0, up(-1.0), 3.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, 1.0, -2.0, 0.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, 1.0, 3.0, 0.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, 7.0, 2.9, 7.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, 7.0, -1.5, 7.0),
    ("hardswish", {}, 1.0, -3.0, -0.5), ("hardswish", {}, 2.0, 3.0, 3.0),
    ("hardswish", {}, 4.0, up(3.0), 4.0), ("hardswish", {}, INF, down(-3.0), 0.0),
    ("hardswish", {}, NAN, -4.0, 0.0), ("hardswish", {}, 1.0, -INF, 0.0),
    ("hardswish", {}, 5.0, INF, 5.0), ("hardswish", {}, 1.0, 0.0, 0.5),
    ("hardswish", {}, 1.0, NAN, NAN), ("hardswish", {}, 6.0, 1.5, 6.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 1.0, 0.0, 0.25),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 1.0, -2.0, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 1.0, 2.0, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, INF, 3.0, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, NAN, -3.0, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 4.0, 1.5, 1.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 1.0, NAN, NAN),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, INF, 0.0, INF),
    ("hardsigmoid", {}, 1.0, 4.0, 0.0), ("hardsigmoid", {}, NAN, -4.0, 0.0),
    ("hardsigmoid", {}, 6.0, 0.0, lambda dt: dt(6.0) * dt(1 / 6)),
    ("hardsigmoid", {}, 1.0, INF, 0.0), ("hardsigmoid", {}, 1.0, -INF, 0.0),
    ("softsign", {}, 1.0, 0.0, 1.0), ("softsign", {}, 4.0, 1.0, 1.0),
    ("softsign", {}, 9.0, -2.0, 1.0), ("softsign", {}, 1.0, INF, 0.0),
    ("softsign", {}, -1.0, INF, -0.0), ("softsign", {}, 1.0, NAN, NAN),
    ("softsign", {}, NAN, 1.0, NAN), ("softsign", {}, INF, 0.0, INF),
]

# (name, params, grad, y, expected): backward from y
BACKWARD_Y = [
    ("identity", {}, -2.0, 5.0, -2.0),
    ("relu", {}, NAN, 0.0, 0.0), ("relu", {}, INF, 0.0, 0.0), ("relu", {}, 3.0, 2.0, 3.0),
    ("relu", {}, 1.0, NAN, NAN),
    ("relu6", {}, 1.0, 6.0, 0.0), ("relu6", {}, INF, 0.0, 0.0), ("relu6", {}, 2.0, 3.0, 2.0),
    ("leaky_relu", {"negative_slope": 0.25}, 4.0, -0.25, 1.0),
    ("leaky_relu", {"negative_slope": 0.25}, 4.0, -0.0, 1.0),
    ("leaky_relu", {"negative_slope": 0.25}, 4.0, 0.5, 4.0),
    ("hardtanh", {}, 1.0, 1.0, 0.0), ("hardtanh", {}, NAN, -1.0, 0.0),
    ("hardtanh", {}, 2.0, 0.0, 2.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, 4.0, 0.5, 1.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, INF, 0.0, 0.0),
    ("hardsigmoid", {"slope": 0.25, "offset": 0.5}, NAN, 1.0, 0.0),
    ("hardsigmoid", {}, 1.0, NAN, NAN),
    ("softsign", {}, 4.0, 0.5, 1.0), ("softsign", {}, 4.0, -0.5, 1.0),
    ("softsign", {}, 1.0, 0.0, 1.0), ("softsign", {}, 1.0, NAN, NAN),
]


def _ids(table, n_inputs):
    return [f"{row[0]}{row[1] or ''}:" + ",".join(map(str, row[2:2 + n_inputs]))
            for row in table]


def _check(result, expected, dtype, what):
    exp = np.array([value(expected, dtype)], dtype=dtype)
    assert_bitwise_equal(np.asarray(result).reshape(1), exp, what)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,params,x,expected", FORWARD, ids=_ids(FORWARD, 1))
def test_forward_value(name, params, x, expected, dtype):
    xa = np.array([value(x, dtype)], dtype=dtype)
    _check(getattr(fastact, name)(xa, **params), expected, dtype, f"{name}({x})")
    # The same value in the middle of a vector-sized block (SIMD path).
    block = np.full(37, xa[0], dtype=dtype)
    got = getattr(fastact, name)(block, **params)
    for i in (0, 18, 36):
        _check(got[i], expected, dtype, f"{name}({x}) at [{i}] of 37")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,params,g,x,expected", BACKWARD, ids=_ids(BACKWARD, 2))
def test_backward_value(name, params, g, x, expected, dtype):
    _check_backward_block(name, params, g, "x", x, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,params,g,y,expected", BACKWARD_Y, ids=_ids(BACKWARD_Y, 2))
def test_backward_from_y_value(name, params, g, y, expected, dtype):
    _check_backward_block(name, params, g, "y", y, expected, dtype)


def _check_backward_block(name, params, g, source, v, expected, dtype):
    """NAME_backward(grad=g, source=v) on a 37-element block (SIMD path and tail)."""
    ga = np.full(37, value(g, dtype), dtype=dtype)
    va = np.full(37, value(v, dtype), dtype=dtype)
    got = getattr(fastact, name + "_backward")(ga, **{source: va}, **params)
    for i in (0, 18, 36):
        _check(got[i], expected, dtype, f"{name}_backward(grad={g}, {source}={v}) at [{i}]")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_parameters_are_rounded_to_the_dtype(dtype):
    """leaky_relu computes dtype(slope) * x: equal to that everywhere, and (so the
    check can fail) different from rounding slope * x computed in float64."""
    x = -np.random.default_rng(0).uniform(0.5, 100, 4000).astype(dtype)
    slope = 0.1
    got = fastact.leaky_relu(x, negative_slope=slope)
    rounded_param = (np.float64(np.dtype(dtype).type(slope)) * x.astype(np.float64)).astype(dtype)
    assert_bitwise_equal(got, rounded_param, "leaky_relu with a rounded slope")
    if dtype == np.float32:
        unrounded = (slope * x.astype(np.float64)).astype(dtype)
        assert (got != unrounded).any()
    # hardtanh's bounds are rounded too: clip to float32(0.1), not 0.1.
    bound = fastact.hardtanh(np.array([5.0], dtype), min_val=-0.1, max_val=0.1)[0]
    assert bound == np.dtype(dtype).type(0.1)


def test_identity_backward_passes_grad_through():
    # identity' = 1 everywhere, so x is not read (as in PyTorch): a NaN x does not
    # poison the gradient.  Documented in the README's semantics.
    got = fastact.identity_backward(np.ones(3), x=np.array([1.0, np.nan, 2.0]))
    assert (got == 1).all()


def test_softsign_backward_float64_within_3_ulp():
    # exact value (mpmath, 200 bits): -0.468935723319395457806...
    g = np.array([-2.259165748943311])
    x = np.array([-1.1949133923490904])
    exact = np.array([-0.46893572331939545780645478482912])
    assert ulp_distance(fastact.softsign_backward(g, x=x), exact)[0] <= 3
