"""gelu (approximate "none" and "tanh") and mish: accuracy, tails, specials.

References (fastact/bench/references.py), independent of fastact: float64
SciPy/NumPy for float32 results (x * ndtr(x): ndtr is erfc-based, accurate in
the tail), and mpmath (40 digits) on a sample for float64 results.  Errors are in ULPs of the
result's type (subnormal ULPs for subnormal results), as in test_exponential.

The issue's contract, asserted here: float32 <= 2 ULP forward / <= 3 ULP
derivative (grad = 1) against float64, float64 <= 4 ULP against mpmath.  The
exhaustive float32 sweep (python -m fastact.accuracy gelu gelu_tanh mish)
measures the margin: see the table in pyx/_exponential.pxd.
"""

import numpy as np
import pytest
from test_exponential import grid

import fastact as fa
from fastact.bench.references import EXPONENTIAL, mp_values
from fastact.bench.ulp import ulp_error

C = np.sqrt(2 / np.pi)
K = 0.044715
VARIANTS = [("gelu", {}), ("gelu", {"approximate": "tanh"}), ("mish", {})]
IDS = ["gelu", "gelu_tanh", "mish"]


def _refs32(key, x):
    """(f, f') of fastact/bench/references.py in float64, for float32 results."""
    ref = EXPONENTIAL[key]
    return ref.forward(x), ref.backward(1, x)


def _mp_refs(key, xs):
    """(f, f') from mpmath (40 digits), for float64 results."""
    pytest.importorskip("mpmath")
    return mp_values(key, "forward", xs), mp_values(key, "backward", xs)


def _ulp64(got, ref_mp):
    """ULP error of float64 results against mpmath values."""
    import mpmath as mp
    out = np.empty(len(got))
    for i, (g, r) in enumerate(zip(got, ref_mp)):
        rf = float(r)
        if rf == 0 or not np.isfinite(rf):
            out[i] = 0.0 if g == rf else np.inf
            continue
        ulp = np.spacing(max(abs(rf), np.finfo(np.float64).smallest_normal))
        out[i] = float(abs(mp.mpf(float(g)) - r) / ulp)
    return out


def _f32_inputs():
    x = grid(np.float32)
    dense = np.linspace(-15, 15, 600_001, dtype=np.float32)
    return np.concatenate([x, dense])


# The contract (forward, derivative), in ULPs of the result's type.
CONTRACT = {np.float32: (2.0, 3.0), np.float64: (4.0, 4.0)}


@pytest.mark.parametrize("name,params", VARIANTS, ids=IDS)
def test_float32_accuracy(name, params):
    key = "gelu_tanh" if params else name
    x = _f32_inputs()
    with np.errstate(all="ignore"):
        ref_f, ref_d = _refs32(key, x.astype(np.float64))
    y = getattr(fa, name)(x, **params)
    d = getattr(fa, name + "_backward")(np.ones_like(x), x=x, **params)
    ef, ed = ulp_error(y, ref_f, np.float32), ulp_error(d, ref_d, np.float32)
    bf, bd = CONTRACT[np.float32]
    i, j = int(np.argmax(ef)), int(np.argmax(ed))
    assert ef[i] <= bf, f"{key} forward: {ef[i]:.2f} ULP at x={x[i]!r}"
    assert ed[j] <= bd, f"{key}': {ed[j]:.2f} ULP at x={x[j]!r}"


@pytest.mark.parametrize("name,params", VARIANTS, ids=IDS)
def test_float64_accuracy_mpmath_sample(name, params):
    key = "gelu_tanh" if params else name
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-8, 8, 1500), rng.uniform(-40, -8, 300),
                        -np.geomspace(1e-12, 1, 100), np.geomspace(1e-12, 1, 100),
                        np.linspace(-1.4, -0.2, 300)])
    ref_f, ref_d = _mp_refs(key, x)
    y = getattr(fa, name)(x, **params)
    d = getattr(fa, name + "_backward")(np.ones_like(x), x=x, **params)
    ef, ed = _ulp64(y, ref_f), _ulp64(d, ref_d)
    bf, bd = CONTRACT[np.float64]
    i, j = int(np.argmax(ef)), int(np.argmax(ed))
    assert ef[i] <= bf, f"{key} forward: {ef[i]:.2f} ULP at x={x[i]!r}"
    assert ed[j] <= bd, f"{key}': {ed[j]:.2f} ULP at x={x[j]!r}"


def test_gelu_tail_uses_erfc():
    """x < -5: 1 + erf(x/sqrt 2) would have no correct digit; ours keeps them all,
    down to where gelu underflows (float32 ~ -14.3, float64 ~ -38.5)."""
    for dt, lo in ((np.float32, -14.5), (np.float64, -38.9)):
        x = np.linspace(lo, -5, 20001).astype(dt)
        with np.errstate(all="ignore"):
            ref = EXPONENTIAL["gelu"].forward(x.astype(np.float64))
        y = fa.gelu(x)
        if dt == np.float32:
            assert ulp_error(y, ref, dt).max() <= CONTRACT[dt][0]
        rel = np.abs(y.astype(np.float64) - ref) / np.maximum(np.abs(ref), 1e-300)
        normal = np.abs(ref) > np.finfo(dt).smallest_normal
        assert rel[normal].max() < 1e-5 if dt == np.float32 else 1e-12
        assert (y[-1] < 0) and np.all(y <= 0)


SPECIALS = [
    ("gelu", {}, -np.inf, -0.0), ("gelu", {}, np.inf, np.inf), ("gelu", {}, -0.0, -0.0),
    ("gelu", {}, -1e30, -0.0), ("gelu", {}, 1e30, 1e30), ("gelu", {}, -40.0, -0.0),
    ("gelu", {"approximate": "tanh"}, -np.inf, -0.0),
    ("gelu", {"approximate": "tanh"}, np.inf, np.inf),
    ("gelu", {"approximate": "tanh"}, -0.0, -0.0),
    ("gelu", {"approximate": "tanh"}, 1e30, 1e30),
    ("mish", {}, -np.inf, -0.0), ("mish", {}, np.inf, np.inf), ("mish", {}, -0.0, -0.0),
    ("mish", {}, 1e30, 1e30), ("mish", {}, -1e30, -0.0),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,params,x,want", SPECIALS)
def test_special_values(name, params, x, want, dtype):
    got = getattr(fa, name)(np.array([x], dtype=dtype), **params)[0]
    if want == 0:
        assert got == 0 and np.signbit(got) == np.signbit(want), (name, params, x, got)
    else:
        assert got == dtype(want), (name, params, x, got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,params", VARIANTS, ids=IDS)
def test_nan_inf_and_derivative_limits(name, params, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30], dtype=dtype)
    y = getattr(fa, name)(x, **params)
    assert np.isnan(y[0]) and not np.isnan(y[1:]).any()
    d = getattr(fa, name + "_backward")(np.ones_like(x), x=x, **params)
    assert np.isnan(d[0]) and not np.isnan(d[1:]).any()
    assert d[1] == 1 and d[2] == 0 and d[5] == 1 and d[6] == 0
    assert d[3] == d[4] == 0.5 if name == "gelu" else abs(d[3] - 0.6) < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,params", VARIANTS, ids=IDS)
def test_derivative_near_root(name, params, dtype):
    """gelu' (-0.75179), gelu_tanh' (-0.75246), mish' (-1.19243) change sign: the
    result keeps its relative accuracy right up to the root (root polynomials)."""
    key = "gelu_tanh" if params else name
    a0 = {"gelu": -0.7517915246935645, "gelu_tanh": -0.7524614220710163,
          "mish": -1.1924312145154952}[key]
    x = (a0 + np.linspace(-1e-3, 1e-3, 4001)).astype(dtype)
    d = getattr(fa, name + "_backward")(np.ones_like(x), x=x, **params)
    if dtype == np.float32:
        with np.errstate(all="ignore"):
            ref = _refs32(key, x.astype(np.float64))[1]
        assert ulp_error(d, ref, dtype).max() <= 3
    else:
        idx = np.arange(0, x.size, 40)
        _, ref = _mp_refs(key, x[idx])
        assert _ulp64(d[idx], ref).max() <= 4
    assert np.all(np.sign(d[x < a0 - 1e-6]) == -1) and np.all(np.sign(d[x > a0 + 1e-6]) == 1)


def test_approximate_selects_kernel_and_matches_pytorch_formula():
    x = np.linspace(-6, 6, 1001)
    exact, tanh = fa.gelu(x), fa.gelu(x, approximate="tanh")
    assert np.array_equal(exact, fa.gelu(x, approximate="none"))
    assert not np.array_equal(exact, tanh)
    assert np.allclose(tanh, 0.5 * x * (1 + np.tanh(C * (x + K * x**3))), rtol=1e-12, atol=1e-15)
    assert np.allclose(fa.gelu_backward(np.ones_like(x), x=x, approximate="tanh"),
                       EXPONENTIAL["gelu_tanh"].backward(1, x), rtol=1e-12, atol=1e-15)
    y = x.copy()
    assert fa.gelu_(y, approximate="tanh") is y and np.array_equal(y, tanh)
    with pytest.raises(ValueError, match="approximate"):
        fa.gelu(x, approximate="sigmoid")
    with pytest.raises(ValueError, match="x="):
        fa.gelu_backward(np.ones_like(x), y=exact)
    with pytest.raises(ValueError, match="x="):
        fa.mish_backward(np.ones_like(x), y=x)
    assert fa.ACTIVATIONS["gelu"].kernels_for({"approximate": "tanh"})[:2] == (
        "gelu_tanh_forward", "gelu_tanh_backward")
