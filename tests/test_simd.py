"""The explicit-SIMD float32 kernels (pyx/simd/) against the Cython formula
they stand in for, on every target of this build that has them.

The accuracy tests (test_accuracy.py and the exhaustive sweep of ACCURACY.md)
judge whatever the chosen target runs; here each SIMD kernel meets the
reference formula on the same inputs, on every target at once: the same NaN,
infinity and signed-zero pattern, and finite results within a few ULPs of
each other (each is within 2 / 3 ULP of the exact value).  Inputs: specials,
subnormals, the kinks, every clamp and threshold of the formulas, tails,
and random values over the whole float32 range.
"""

import functools

import numpy as np
import pytest
from inputs import edge_values, random_values, rng_for

import fastact
import fastact._dispatch as D
from fastact.bench.ulp import ulp_distance

TARGETS = [t for t in D.supported_targets() if D.explicit_simd(target=t)]

# kernel -> (public function, parameter sets)
CALLS = {
    "sigmoid": ("sigmoid", [{}]),
    "tanh": ("tanh", [{}]),
    "swish": ("swish", [{}, {"beta": 0.5}, {"beta": 1.7}, {"beta": -0.75}]),
    "elu": ("elu", [{}, {"alpha": 0.3}]),
    "selu": ("selu", [{}]),
    "celu": ("celu", [{}, {"alpha": 2.5}, {"alpha": -0.5}]),
    "softplus": ("softplus", [{}, {"beta": 2.0, "threshold": 10.0}, {"beta": 0.5}]),
    "logsigmoid": ("logsigmoid", [{}]),
    "gelu_tanh": ("gelu", [{"approximate": "tanh"}]),
    "mish": ("mish", [{}]),
    "gelu": ("gelu", [{}]),
}
# Thresholds the SIMD code switches at (clamps, windows, table slots).
POINTS = [-195, -120, -104, -103.3, -89, -88.7, -87.3, -86.6, -25, -20, -17, -14.5, -10,
          -2.2785, -1.2785, -0.2785, -0.75, 0.125, 0.625, 1.0, 2.0, 9.0109, 10, 14.5, 20,
          44, 88.38, 88.72, 89, 104]
# the root windows |x - a0| < 1/16 of silu', gelu', gelu_tanh' and mish'
# (FA_SILU_ROOT_WINDOW, FA_DERIV_ROOT_WINDOW: pyx/simd/fa_simd.h)
POINTS += [a0 + s * 0.0625 for a0 in (-1.2784645557403564, -0.7517915368080139,
                                     -0.7524614334106445, -1.1924312114715576) for s in (1, -1)]
# gelu's interval tables switch slots at |x| = (2k + 1)/4 (avx512: slot round(2|x|))
# and (2k + 1)/2 (avx2: round(|x|)), rounding half to even on both sides.
POINTS += [s * k / 4 for k in range(1, 59) for s in (1, -1)]


def _inputs():
    rng = rng_for("simd")
    pts = np.array(POINTS, np.float32)
    near = np.concatenate([np.nextafter(pts, np.float32(np.inf)),
                           np.nextafter(pts, np.float32(-np.inf)), pts])
    tails = np.concatenate([rng.uniform(-200, -80, 3000), rng.uniform(80, 200, 1000)])
    bits = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([edge_values(np.float32, POINTS), near, tails.astype(np.float32),
                        random_values(rng, 20000, np.float32), bits])
    return x[rng.permutation(x.size)]   # mix the classes within vectors


def _kernel_cases():
    for target in TARGETS:
        kernels = D.explicit_simd(target=target)
        for base, (fname, param_sets) in CALLS.items():
            for direction in ("forward", "backward"):
                if base + "_" + direction in kernels or (
                        base == "gelu_tanh" and "gelu_tanh_" + direction in kernels):
                    for params in param_sets:
                        yield target, base, direction, fname, params


def _same_class(a, b, x):
    """Same NaNs, infinities and signed zeros.  Zeros from subnormal inputs
    are left out of the sign comparison: there the result is a tie-breaking
    rounding of about half the smallest subnormal (gelu(-2^-149) is -0; the
    Cython formula's pair sum y + yl gives +0 there)."""
    normal = ~(np.abs(x) < np.finfo(np.float32).tiny)
    return (np.array_equal(np.isnan(a), np.isnan(b))
            and np.array_equal(np.isinf(a) & (a > 0), np.isinf(b) & (b > 0))
            and np.array_equal(np.isinf(a) & (a < 0), np.isinf(b) & (b < 0))
            and np.array_equal(((a == 0) & np.signbit(a))[normal],
                               ((b == 0) & np.signbit(b))[normal]))


def _formula_and_simd(target, run, *then):
    """run() on ``target`` with its explicit SIMD off, then on (and the
    callables ``then`` with it on); the target in use and the switch restored."""
    before = D.current()
    D.use(target)
    try:
        D.explicit_simd(False, target)
        formula = run()
        D.explicit_simd(True, target)
        simd = run()
        for f in then:
            f()
    finally:
        D.explicit_simd(True, target)
        D.use(before)
    return formula, simd


@pytest.mark.parametrize("target, base, direction, fname, params", list(_kernel_cases()),
                         ids=lambda v: str(v))
def test_simd_matches_the_formula(target, base, direction, fname, params):
    x = _inputs()
    g = np.ones_like(x)
    f = getattr(fastact, fname if direction == "forward" else fname + "_backward")

    def run():
        with np.errstate(all="ignore"):
            return f(x, **params) if direction == "forward" else f(g, x=x, **params)

    formula, simd = _formula_and_simd(target, run)
    assert _same_class(simd, formula, x), f"{target} {base} {direction} {params}: specials differ"
    # both are within 2 (3) ULP of the exact value; allow their sum, and
    # subnormal results (tiny absolute differences) count in subnormal ULPs
    dist = ulp_distance(simd, formula)
    finite = np.isfinite(formula)
    worst = int(np.argmax(np.where(finite, dist, 0)))
    bound = 4 if direction == "forward" else 6
    assert dist[finite].max() <= bound, (
        f"{target} {base} {direction} {params}: {dist[worst]:.0f} ULP apart at "
        f"x = {x[worst]!r} (simd {simd[worst]!r}, formula {formula[worst]!r})")


# The roots of the derivatives with a root polynomial, and the public call of each.
ROOTS = {"silu": (-1.2784645557403564, "silu", {}),
         "gelu": (-0.7517915368080139, "gelu", {}),
         "gelu_tanh": (-0.7524614334106445, "gelu", {"approximate": "tanh"}),
         "mish": (-1.1924312114715576, "mish", {})}


@pytest.mark.parametrize("label", sorted(ROOTS))
@pytest.mark.parametrize("target", TARGETS)
def test_derivative_near_its_root_within_contract(target, label):
    """Every float32 within 0.3 of the root (2^-10 steps, and the 4,000 floats
    on either side of the window's edges at |x - a0| = 1/16 and 1/4), each
    target's SIMD kernel against the float64 reference: <= 3 ULP.  Where the
    root polynomial takes over from the pair formula decides the maximum there
    (the window 1/16 put avx2's gelu' at 3.69 ULP at x = -0.6838 in its full
    sweep: it has 1/8, pyx/simd/fa_simd.h)."""
    from fastact.bench.references import EXPONENTIAL
    from fastact.bench.ulp import ulp_error

    a0, fname, params = ROOTS[label]
    grid = np.float32(a0) + np.arange(-0.3, 0.3, 2.0 ** -10, dtype=np.float32)
    edges = [np.float32(a0 + s * w) for w in (0.0625, 0.125, 0.25) for s in (1, -1)]
    steps = np.arange(-2000, 2000, dtype=np.int32)
    near = [(e.view(np.int32) + steps).view(np.float32) for e in edges]
    x = np.concatenate([grid] + near).astype(np.float32)
    before = D.current()
    D.use(target)
    try:
        got = getattr(fastact, fname + "_backward")(np.ones_like(x), x=x, **params)
    finally:
        D.use(before)
    ref = EXPONENTIAL[label].backward(np.ones(x.size), x.astype(np.float64))
    err = ulp_error(got, ref, np.float32)
    worst = int(np.argmax(err))
    assert err[worst] <= 3, f"{target} {label}': {err[worst]:.2f} ULP at x = {x[worst]!r}"


def test_explicit_simd_switch_restores():
    for target in TARGETS:
        kernels = D.explicit_simd(target=target)
        assert D.explicit_simd(False, target) == ()
        assert D.explicit_simd(True, target) == kernels


# ---------------------------------------------------------------------------
# float64 (pyx/simd/fa_simd_avx512_f64.h): the formula's operations with
# vscalefpd for the integer exponent arithmetic, so bit for bit the formula.
# ---------------------------------------------------------------------------
TARGETS_F64 = [t for t in D.supported_targets() if D.explicit_simd(target=t, dtype="float64")]
POINTS_F64 = [-1456, -1455, -760, -750, -745.2, -745, -709.8, -1, -0.5, 0.5, 1, 36, 37,
              709.7, 710, 711, 0.625, -0.625, 0.3125, 355, 356, -19.1, 19.1, 25, -25,
              -0.7524614220710163, -0.5024614220710163, -1.0024614220710163]


def _inputs_f64():
    rng = rng_for("simd-f64")
    pts = np.array(POINTS_F64, np.float64)
    near = np.concatenate([np.nextafter(pts, np.inf), np.nextafter(pts, -np.inf), pts])
    tails = np.concatenate([rng.uniform(-1500, -700, 3000), rng.uniform(30, 800, 1000)])
    bits = rng.integers(0, 2**63, 20000, dtype=np.uint64).view(np.float64)
    bits = np.concatenate([bits, -bits])
    x = np.concatenate([edge_values(np.float64, POINTS_F64), near, tails, bits,
                        random_values(rng, 20000, np.float64)])
    return x[rng.permutation(x.size)]


def _f64_cases():
    for target in TARGETS_F64:
        for kernel in D.explicit_simd(target=target, dtype="float64"):
            yield target, kernel


# parameter sets beyond the defaults (the SIMD code runs for beta = 1 only)
PARAMS_F64 = {"softplus": [{}, {"threshold": 5.0}, {"beta": 2.0}],
              "elu": [{}, {"alpha": 0.3}, {"alpha": -2.5}],
              "celu": [{}, {"alpha": 0.3}]}


def _f64_param_cases():
    for target, kernel in _f64_cases():
        for params in PARAMS_F64.get(kernel.rsplit("_", 1)[0], [{}]):
            yield target, kernel, params


@pytest.mark.parametrize("target, kernel, params", list(_f64_param_cases()),
                         ids=lambda v: str(v))
def test_simd_f64_is_the_formula(target, kernel, params):
    name, direction = kernel.rsplit("_", 1)
    fname = {"swish": "silu", "gelu_tanh": "gelu"}.get(name, name)
    if name == "gelu_tanh":
        params = dict(params, approximate="tanh")
    f = functools.partial(getattr(fastact, fname if direction == "forward"
                                  else fname + "_backward"), **params)
    x = _inputs_f64()
    # grad: ones, and values that scale the derivative (it multiplies before
    # the last power of two)
    g = np.where(np.arange(x.size) % 2, 1.0, np.linspace(-7.5, 100.0, x.size))

    def run():
        with np.errstate(all="ignore"):
            return f(x) if direction == "forward" else f(g, x=x)

    strided = np.empty(2 * x.size)

    def run_strided():
        with np.errstate(all="ignore"):
            if direction == "forward":
                f(x, out=strided[::2])
            else:
                f(g, x=x, out=strided[::2])

    formula, simd = _formula_and_simd(target, run, run_strided)
    same = (simd.view(np.uint64) == formula.view(np.uint64)) | (np.isnan(simd) & np.isnan(formula))
    bad = np.flatnonzero(~same)
    assert bad.size == 0, (f"{target} {kernel}: {bad.size} outputs differ, e.g. x = "
                           f"{x[bad[0]]!r}: simd {simd[bad[0]]!r}, formula {formula[bad[0]]!r}")
    # a strided output runs the same code (staged through a buffer)
    assert np.array_equal(strided[::2].view(np.uint64), simd.view(np.uint64))


# avx512 gelu's common path: a vector whose every lane has |x| < 3.9375 takes
# Phi(-|x|) from fa_gelu_q_table (slot round(8|x|), switching at (2k + 1)/16),
# any other vector the R-table form (fa512_gelu_any).  The mixed vectors above
# reach the common path rarely, so here every vector is made of such lanes:
# the slot edges, their neighbours, both signs, tiny and subnormal values, and
# a dense grid, each against the float64 reference at the contract's bound.
GELU_Q_END = 3.9375


def _gelu_common_inputs():
    rng = rng_for("simd-gelu-common")
    edges = np.array([(2 * k + 1) / 16 for k in range(63)], np.float32)
    edges = np.concatenate([edges, np.nextafter(edges, np.float32(0)),
                            np.nextafter(edges, np.float32(np.inf))])
    edges = edges[edges < GELU_Q_END]
    small = np.array([0.0, 1e-45, 1e-38, 2.0 ** -126, 1e-20, 1e-7, 1e-3], np.float32)
    root = np.float32(0.7517915368080139)                 # gelu' = 0 at x = -root
    ends = np.array([root - 0.0625, root + 0.0625], np.float32)
    edges = np.concatenate([edges, ends, np.nextafter(ends, np.float32(0)),
                            np.nextafter(ends, np.float32(np.inf)),
                            rng.uniform(0.55, 0.95, 20_000).astype(np.float32)])
    grid = rng.uniform(0, GELU_Q_END, 200_000).astype(np.float32)
    top = np.nextafter(np.float32(GELU_Q_END), np.float32(0))
    a = np.concatenate([edges, small, grid, [top] * 16])
    x = np.concatenate([a, -a])
    return x[rng.permutation(x.size)]


@pytest.mark.skipif("avx512" not in TARGETS, reason="the avx512 target is not on this CPU")
def test_gelu_common_path_within_the_contract():
    """Forward (<= 2 ULP) and backward (gelu', from fa_gelu_dq_table: <= 3 ULP,
    the root window's edges |x + 0.75179| = 1/16 included)."""
    from fastact.bench.references import EXPONENTIAL
    from fastact.bench.ulp import ulp_error

    def check(x, y):
        err = ulp_error(y, EXPONENTIAL["gelu"].forward(x.astype(np.float64)), np.float32)
        i = int(np.argmax(err))
        assert err[i] <= 2, f"gelu: {err[i]:.3f} ULP at x = {x[i]!r}"
        one = np.ones_like(x)
        d = fastact.gelu_backward(one, x=x)
        err = ulp_error(d, EXPONENTIAL["gelu"].backward(one.astype(np.float64),
                                                        x.astype(np.float64)), np.float32)
        i = int(np.argmax(err))
        assert err[i] <= 3, f"gelu': {err[i]:.3f} ULP at x = {x[i]!r}"

    before = D.current()
    D.use("avx512")
    try:
        x = _gelu_common_inputs()
        y = fastact.gelu(x)
        check(x, y)
        assert np.array_equal(np.signbit(y), np.signbit(x))    # gelu(-0) = -0 too
        # the same lanes among wide ones (the R-table form) agree within 2 ULP
        wide = x.copy()
        wide[::16] = 20.0
        yw = fastact.gelu(wide)
        keep = np.arange(x.size) % 16 != 0
        assert ulp_distance(yw[keep], y[keep]).max() <= 2
        # the switch: |x| = 3.9375 is the R-table form's, whole vectors of it
        edge = np.full(32, GELU_Q_END, np.float32) * np.repeat([1, -1], 16).astype(np.float32)
        check(edge, fastact.gelu(edge))
    finally:
        D.use(before)
