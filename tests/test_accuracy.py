"""Every elementwise activation that has a reference, against it.

Parametrized from ``fastact.ACTIVATIONS`` x ``fastact.bench.references.REFERENCES``: random
data at several scales, edge values (±0, subnormals, ±inf, NaN, ±max, every kink
and its ULP neighbours), every parameter set, SIMD-remainder lengths and
misaligned starts, in float32 and float64.
"""

import numpy as np
import pytest
from inputs import (
    DTYPES,
    LENGTHS,
    edge_values,
    grad_edge_values,
    random_values,
    rng_for,
    special_values,
)
from refcheck import (
    case_id,
    check_backward,
    check_backward_y,
    check_forward,
    full_params,
    reference_cases,
    referenced_elementwise_names,
)

import fastact
from fastact.bench.references import REFERENCES
from fastact.bench.ulp import assert_bitwise_equal

CASES = reference_cases()
CASE_IDS = [case_id(n, p) for n, p in CASES]
NAMES = referenced_elementwise_names()
SCALES = ("normal", "loguniform", "kinks")

dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
cases = pytest.mark.parametrize("name,params", CASES, ids=CASE_IDS)


def edges_for(name, params, dtype):
    return edge_values(dtype, REFERENCES[name].kinks(**full_params(name, params)))


def grid(xs, gs):
    """Every (x, grad) pair, as two flat arrays."""
    X, G = np.meshgrid(xs, gs, indexing="ij")
    return X.ravel().copy(), G.ravel().copy()


@dtypes
@cases
@pytest.mark.parametrize("scale", SCALES)
def test_forward_random(name, params, dtype, scale):
    x = random_values(rng_for("fwd", name, scale, dtype), 3000, dtype, scale)
    check_forward(name, x, params)


@dtypes
@cases
def test_forward_edges(name, params, dtype):
    check_forward(name, edges_for(name, params, dtype), params)


@dtypes
@cases
@pytest.mark.parametrize("scale", SCALES)
def test_backward_random(name, params, dtype, scale):
    rng = rng_for("bwd", name, scale, dtype)
    x = random_values(rng, 3000, dtype, scale)
    g = random_values(rng, 3000, dtype, "mixed")
    check_backward(name, g, x, params)


@dtypes
@cases
def test_backward_edges(name, params, dtype):
    x, g = grid(edges_for(name, params, dtype), grad_edge_values(dtype))
    check_backward(name, g, x, params)


def _y_cases():
    return [(n, p) for n, p in CASES
            if fastact.ACTIVATIONS[n].accepts_y(**p) and REFERENCES[n].backward_y]


@dtypes
@pytest.mark.parametrize("name,params", _y_cases(), ids=[case_id(*c) for c in _y_cases()])
def test_backward_from_y(name, params, dtype):
    """From y against the reference from y; bitwise equal to from x where the
    reference says the two must agree (the piecewise-linear ones)."""
    rng = rng_for("bwdy", name, dtype)
    xs = np.concatenate([random_values(rng, 2000, dtype, s) for s in SCALES])
    x, g = grid(edges_for(name, params, dtype), grad_edge_values(dtype))
    x = np.concatenate([x, xs])
    g = np.concatenate([g, random_values(rng, xs.size, dtype, "mixed")])
    y = getattr(fastact, name)(x, **params)
    from_y = getattr(fastact, name + "_backward")(g, y=y, **params)
    check_backward_y(name, g, y, params, result=from_y)
    if REFERENCES[name].y_exact:
        from_x = getattr(fastact, name + "_backward")(g, x=x, **params)
        assert_bitwise_equal(from_y, from_x, f"{name} backward from y vs from x",
                             inputs={"grad": g, "x": x, "y": y})


@dtypes
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("name", NAMES)
def test_lengths_and_offsets(name, dtype, n):
    """Every SIMD remainder, at aligned and misaligned starts, with special
    values at the first, middle and last element (the tail loop's)."""
    rng = rng_for("len", name, dtype, n)
    specials = special_values(dtype)
    for offset in (0, 1, 3):
        buf = random_values(rng, n + 4, dtype, "mixed")
        gbuf = random_values(rng, n + 4, dtype, "mixed")
        x = buf[offset:offset + n]
        g = gbuf[offset:offset + n]
        if n:
            for pos in {0, n // 2, n - 1}:
                x[pos] = specials[rng.integers(specials.size)]
                g[pos] = specials[rng.integers(specials.size)]
        check_forward(name, x)
        check_backward(name, g, x)
        # In place on the same misaligned slice: only the slice changes.
        before = buf.copy()
        expected = getattr(fastact, name)(x)
        assert getattr(fastact, name + "_")(x) is x
        assert_bitwise_equal(x, expected, f"{name}_ in place, n={n}, offset={offset}")
        outside = np.ones(buf.size, bool)
        outside[offset:offset + n] = False
        assert_bitwise_equal(buf[outside], before[outside], f"{name}_ wrote outside x")


@dtypes
@pytest.mark.parametrize("name", NAMES)
def test_special_values_everywhere(name, dtype):
    """Special values at every position of a SIMD-sized block, so each vector
    lane sees each of them (a lane-dependent bug cannot hide)."""
    specials = special_values(dtype)
    n = 64
    x = np.empty((specials.size, n), dtype)
    rng = rng_for("lanes", name, dtype)
    x[:] = random_values(rng, n, dtype, "normal")
    for i, s in enumerate(specials):
        x[i, i % n::7] = s
    g = np.resize(grad_edge_values(dtype), x.shape).astype(dtype)
    check_forward(name, x.ravel())
    check_backward(name, g.ravel(), x.ravel())


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if REFERENCES[n].forward_ulp > 0])
def test_every_float32_forward(name):
    """Exhaustive: every float32 bit pattern, for the activations whose forward
    is not bitwise exact (minutes each; run with -m slow)."""
    chunk = 1 << 22
    for start in range(0, 1 << 32, chunk):
        x = np.arange(start, start + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        check_forward(name, x)
