"""Accuracy and special values of the exponential family (issue 3).

References: fastact/bench/references.py (EXPONENTIAL), independent of fastact,
in float64 with NumPy/SciPy (judging float32 results) and in np.longdouble
(judging float64 results on x86, where long double has a 64-bit significand).
Errors are in ULPs of the result's type at the reference value
(fastact/bench/ulp.py's ulp_error); subnormal results are judged in subnormal
ULPs.  Bounds (issue 3): float32 forward <= 2, backward (grad = 1) <= 3;
float64 <= 4.
"""

import numpy as np
import pytest
from scipy.special import expit

import fastact as fa
from fastact.bench.references import (
    EXPONENTIAL,
    SELU_ALPHA,
    SELU_SCALE,
    silu_derivative_near_root,
)
from fastact.bench.ulp import ulp_error

LD = np.longdouble
HAVE_LD = np.finfo(np.longdouble).nmant >= 63
# gelu and mish have their own module (test_gelu_mish.py: mpmath for float64)
NAMES = sorted(n for n, s in fa.ACTIVATIONS.items()
               if s.family == "exponential" and n not in ("gelu", "mish"))
Y_NAMES = [n for n in NAMES if EXPONENTIAL[n].backward_y is not None]


def _forward(name, x):
    return EXPONENTIAL[name].forward(x)


def _derivative(name, x):
    return EXPONENTIAL[name].backward(1, x)


# float32 inputs where earlier versions broke the bound (found by the exhaustive
# sweep, python -m fastact.accuracy): exp's rounding reaching log1p near |x| = 2.02
# (logsigmoid, softplus), 1 + e^t rounding when e^t > 2^24 (sigmoid, silu near
# -16.7), silu' on its negative side.
HARD_F32 = [2.0224931, -2.0224931, -16.6812, -16.6776, 16.6812, -6.566657, -3.757498,
            5.5384436, 7.81689, -5.198969, 5.8523765, -5.8523765]


def grid(dtype, n_dense=200_001, n_random=200_000, seed=0):
    """Dense grids where the formulas switch, log-spaced magnitudes, random bits."""
    rng = np.random.default_rng(seed)
    lim = 120 if dtype == np.float32 else 760
    parts = [np.linspace(-lim, lim, n_dense), np.linspace(-3, 3, n_dense),
             np.geomspace(1e-30, 30, n_dense // 2), -np.geomspace(1e-30, 30, n_dense // 2)]
    x = np.concatenate(parts).astype(dtype)
    if dtype == np.float32:
        bits = rng.integers(0, 2**32, n_random, dtype=np.uint64).astype(np.uint32)
        r = bits.view(np.float32)
    else:
        r = rng.standard_normal(n_random) * 10.0 ** rng.uniform(-5, 2.5, n_random)
    x = np.concatenate([x, r.astype(dtype), np.array(HARD_F32, dtype=dtype)])
    return x[np.isfinite(x)]


def _params(name):
    return {"beta": 1.0} if name == "swish" else {}


BOUND = {(np.float32, "fwd"): 2.0, (np.float32, "bwd"): 3.0,
         (np.float64, "fwd"): 4.0, (np.float64, "bwd"): 4.0}


def _assert_within(got, ref, inputs, dtype, direction, message):
    """The worst ULP error of got against ref is within the contract's bound;
    ``message`` % (error, input) names where it is not."""
    err = ulp_error(got, ref, dtype)
    i = int(np.argmax(err))
    assert err[i] <= BOUND[dtype, direction], message % (err[i], inputs[i])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("direction", ["fwd", "bwd"])
@pytest.mark.parametrize("name", NAMES)
def test_accuracy(name, direction, dtype):
    """Forward, and backward from x (grad = 1), against the float64 / long
    double reference (mpmath near silu's root in float64)."""
    if dtype == np.float64 and not HAVE_LD:
        pytest.skip("needs an extended-precision long double")
    x = grid(dtype)
    exact = _forward if direction == "fwd" else _derivative
    with np.errstate(all="ignore"):
        ref = exact(name, x.astype(np.float64 if dtype == np.float32 else LD))
    if direction == "fwd":
        got = getattr(fa, name)(x, **_params(name))
    else:
        if dtype == np.float64 and name in ("silu", "swish"):
            pytest.importorskip("mpmath")
            ref = silu_derivative_near_root(x, ref)
        got = getattr(fa, name + "_backward")(np.ones_like(x), x=x, **_params(name))
    label = name if direction == "fwd" else name + "'"
    _assert_within(got, ref, x, dtype, direction, label + ": %.2f ULP at x=%r")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", Y_NAMES)
def test_backward_from_y_accuracy(name, dtype):
    """Judged against the reference computed from that same (rounded) y."""
    if dtype == np.float64 and not HAVE_LD:
        pytest.skip("needs an extended-precision long double")
    y = getattr(fa, name)(grid(dtype))
    with np.errstate(all="ignore"):
        ref = EXPONENTIAL[name].backward_y(1, y.astype(np.float64 if dtype == np.float32 else LD))
    got = getattr(fa, name + "_backward")(np.ones_like(y), y=y)
    _assert_within(got, ref, y, dtype, "bwd", f"{name}' from y: %.2f ULP at y=%r")


SPECIALS = [
    ("sigmoid", -1e30, 0.0), ("sigmoid", 1e30, 1.0), ("sigmoid", -np.inf, 0.0),
    ("sigmoid", np.inf, 1.0), ("softplus", 1e30, 1e30), ("softplus", -np.inf, 0.0),
    ("softplus", np.inf, np.inf), ("silu", -np.inf, -0.0), ("silu", np.inf, np.inf),
    ("silu", -1000.0, -0.0), ("tanh", np.inf, 1.0), ("tanh", -np.inf, -1.0),
    ("tanh", 1e30, 1.0), ("elu", -np.inf, -1.0), ("elu", np.inf, np.inf),
    ("celu", -np.inf, -1.0), ("logsigmoid", -np.inf, -np.inf), ("logsigmoid", np.inf, 0.0),
    ("logsigmoid", -1e30, -1e30), ("tanhshrink", np.inf, np.inf),
    ("tanhshrink", -np.inf, -np.inf), ("selu", -np.inf, -LD(SELU_SCALE) * LD(SELU_ALPHA)),
    ("tanh", -0.0, -0.0), ("silu", -0.0, -0.0), ("elu", -0.0, -0.0),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,x,want", SPECIALS)
def test_special_values(name, x, want, dtype):
    got = getattr(fa, name)(np.array([x], dtype=dtype))[0]
    want = np.asarray(want, dtype=LD).astype(dtype)[()]
    if want == 0:
        assert got == 0 and np.signbit(got) == np.signbit(want), (name, x, got)
    else:
        assert got == want, (name, x, got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_nan_and_infinities(name, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    y = getattr(fa, name)(x, **_params(name))
    assert np.isnan(y[0]) and not np.isnan(y[1:]).any()
    d = getattr(fa, name + "_backward")(np.ones_like(x), x=x, **_params(name))
    assert np.isnan(d[0]) and not np.isnan(d[1:]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_deterministic_across_positions_and_threads(name, dtype):
    """Element alone (scalar remainder path) == element inside a long array (SIMD
    body) == any thread count: no FMA contraction or reassociation differences."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(70_001) * 30).astype(dtype)
    f = getattr(fa, name)
    b = getattr(fa, name + "_backward")
    with fa.num_threads(1):
        y1 = f(x)
        d1 = b(np.ones_like(x), x=x)
    with fa.num_threads(2):
        y2 = f(x)
    alone = np.array([f(x[i:i + 1])[0] for i in range(0, 200)], dtype=dtype)
    alone_d = np.array([b(np.ones(1, dtype), x=x[i:i + 1])[0] for i in range(0, 200)])
    odd = f(x[3:])   # every chunk boundary shifted
    assert np.array_equal(y1.view(np.uint8), y2.view(np.uint8))
    assert np.array_equal(alone.view(np.uint8), y1[:200].view(np.uint8))
    assert np.array_equal(alone_d.astype(dtype), d1[:200])
    assert np.array_equal(odd, y1[3:])


def test_softplus_beta_threshold():
    x = np.linspace(-30, 30, 10001, dtype=np.float32)
    got = fa.softplus(x, beta=2.0, threshold=10.0)
    bx = (np.float32(2) * x).astype(np.float64)  # the kernel's rounded beta * x
    ref = np.where(bx > 10, x, np.logaddexp(0, bx) / 2)
    assert ulp_error(got, ref, np.float32).max() <= 2.5
    with pytest.raises(ValueError):
        fa.softplus(x, beta=0.0)


def test_swish_beta_and_elu_alpha():
    x = np.linspace(-30, 30, 10001)
    assert np.allclose(fa.swish(x, beta=2.0), x * expit(2 * x), rtol=1e-14, atol=0)
    assert np.allclose(fa.elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * np.expm1(x)),
                       rtol=1e-14, atol=0)
    assert np.allclose(fa.celu(x, alpha=2.0), np.where(x > 0, x, 2 * np.expm1(x / 2)),
                       rtol=1e-14, atol=0)
    with pytest.raises(ValueError):
        fa.elu_backward(np.ones(3), y=np.ones(3), alpha=-1.0)
    with pytest.raises(ValueError):
        fa.tanhshrink_backward(np.ones(3), y=np.ones(3))


# ---------------------------------------------------------------------------
# A grad near the largest float times a derivative below 1: in range, so
# finite and within the bound (the SIMD sigmoid' once multiplied grad by the
# quotient before its power of two: inf at tanh'(2) with grad = 3.4e38, found
# by the property suite).
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_huge_grad_times_derivative(name, dtype):
    fi = np.finfo(dtype)
    x = np.linspace(-12, 12, 4001).astype(dtype)
    work = LD if dtype == np.float64 else np.float64
    with np.errstate(all="ignore"):
        for gv in (fi.max, fi.max / 3, -fi.max / 1.5):
            g = np.full_like(x, gv)
            got = getattr(fa, name + "_backward")(g, x=x)
            ref = EXPONENTIAL[name].backward(work(gv), x.astype(work))
            inside = np.abs(ref) < work(fi.max) * (1 - 2 * work(fi.eps))
            assert np.isfinite(got[inside]).all(), (
                name, gv, x[inside][~np.isfinite(got[inside])][:3])
            err = ulp_error(got[inside], ref[inside], dtype)
            i = int(np.argmax(err))
            assert err[i] <= 3.5, (name, gv, x[inside][i], got[inside][i], err[i])
