"""Regenerate the polynomial coefficients of pyx/_vmath.pxd.

Each approximation is a near-minimax polynomial found by Lawson's algorithm
(iteratively reweighted least squares, which converges to the minimax fit) on
Chebyshev nodes, in 60-digit arithmetic (mpmath).  The coefficients are then
rounded to the target type one at a time, lowest degree first, refitting the
higher ones after each rounding, so the rounding error of early coefficients is
absorbed by later ones.  The error printed is the weighted (relative) error of
the rounded polynomial in exact arithmetic; the error of the float
implementation is measured separately (fastact/accuracy.py, tests/).

    python tools/gen_coeffs.py            # prints every table
    python tools/gen_coeffs.py exp        # only the named ones

Needs mpmath (a tool dependency, not a runtime one).
"""

import struct
import sys

import mpmath as mp

mp.mp.dps = 60


def to_f32(v):
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def to_f64(v):
    return float(v)


def lawson(target, weight, basis, a, b, npts=160, iters=60, fixed=()):
    """Coefficients c (len(basis)) minimizing max |weight(x) * (target(x) - sum c_i basis_i(x))|.

    ``fixed``: pairs (index, value) of coefficients already decided.
    """
    xs = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / npts)
          for k in range(npts)]
    xs += [mp.mpf(a), mp.mpf(b)]
    free = [i for i in range(len(basis)) if i not in dict(fixed)]
    fx = dict(fixed)
    rows, rhs = [], []
    for x in xs:
        w = weight(x)
        t = target(x) - sum(v * basis[i](x) for i, v in fx.items())
        rows.append([w * basis[i](x) for i in free])
        rhs.append(w * t)
    lw = [mp.mpf(1) / len(xs)] * len(xs)
    c = None
    for _ in range(iters):
        sq = [mp.sqrt(v) for v in lw]
        A = mp.matrix([[sq[k] * r for r in rows[k]] for k in range(len(xs))])
        y = mp.matrix([sq[k] * rhs[k] for k in range(len(xs))])
        c, _res = mp.qr_solve(A, y)
        err = [abs(rhs[k] - sum(c[j] * rows[k][j] for j in range(len(free))))
               for k in range(len(xs))]
        tot = sum(lw[k] * err[k] for k in range(len(xs)))
        lw = [lw[k] * err[k] / tot for k in range(len(xs))]
    out = dict(fx)
    for j, i in enumerate(free):
        out[i] = c[j]
    return [out[i] for i in range(len(basis))]


def fit(name, target, weight, basis, a, b, rounder, fixed=(), check=None):
    fixed = list(fixed)
    n = len(basis)
    coeffs = None
    for i in range(n):
        if i in dict(fixed):
            continue
        coeffs = lawson(target, weight, basis, a, b, fixed=fixed)
        fixed.append((i, mp.mpf(rounder(coeffs[i]))))
    coeffs = [dict(fixed)[i] for i in range(n)]
    return report_fit(name, target, weight, basis, a, b, coeffs, 3000)


def report_fit(name, target, weight, basis, a, b, coeffs, npts):
    """Print the rounded fit's max weighted error on npts points and its
    coefficients (as the math layer's comments quote them); return coeffs."""
    n = len(basis)
    xs = mp.linspace(a, b, npts)
    err = max(abs(weight(x) * (target(x) - sum(coeffs[i] * basis[i](x) for i in range(n))))
              for x in xs)
    print(f"# {name}: on [{mp.nstr(a, 8)}, {mp.nstr(b, 8)}], max weighted error "
          f"{mp.nstr(err, 3)} ({mp.nstr(err / mp.mpf(2) ** -24, 3)} x 2^-24,"
          f" {mp.nstr(err / mp.mpf(2) ** -53, 3)} x 2^-53)")
    for i, c in enumerate(coeffs):
        print(f"    C{i} = {float(c).hex()}  # {float(c)!r}")
    return coeffs


def powers(k0, n, var=lambda x: x):
    return [(lambda x, k=k: var(x) ** k) for k in range(k0, k0 + n)]


LN2 = mp.log(2)


def exp_table(deg, rounder, tag):
    # e^r = 1 + r + r^2 * q(r), |r| <= ln2/2; error weighted relative to e^r.
    fit(f"exp {tag}: e^r = 1 + r + r^2 q(r), q of degree {deg}",
        lambda r: (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2,
        lambda r: r**2 / mp.exp(r),
        powers(0, deg + 1), -LN2 / 2, LN2 / 2, rounder)


def expm1_table(deg, rounder, tag):
    # e^r - 1 = r + r^2 * q(r), relative to e^r - 1 (so tiny r stays exact).
    fit(f"expm1 {tag}: e^r - 1 = r + r^2 q(r), q of degree {deg}",
        lambda r: (mp.expm1(r) - r) / r**2 if r != 0 else mp.mpf(1) / 2,
        lambda r: r**2 / abs(mp.expm1(r)) if r != 0 else 0,
        powers(0, deg + 1), -LN2 / 2, LN2 / 2, rounder)


def log1p_table(deg, rounder, tag):
    # log(1+g) = g - g^2/2 + g^3 P(g), g in [sqrt(1/2) - 1, sqrt(2) - 1].
    fit(f"log1p {tag}: log(1+g) = g - g^2/2 + g^3 P(g), P of degree {deg}",
        lambda g: (mp.log1p(g) - g + g**2 / 2) / g**3 if g != 0 else mp.mpf(1) / 3,
        lambda g: abs(g**3 / mp.log1p(g)) if g != 0 else 0,
        powers(0, deg + 1), mp.sqrt(0.5) - 1, mp.sqrt(2) - 1, rounder)


def tanh_table(deg, T, rounder, tag):
    # tanh(x) = x + x^3 P(x^2) on |x| <= T; relative to tanh.
    fit(f"tanh {tag}: tanh(x) = x + x^3 P(x^2), P of degree {deg} in s = x^2",
        lambda s: (mp.tanh(mp.sqrt(s)) - mp.sqrt(s)) / mp.sqrt(s) ** 3 if s != 0
        else -mp.mpf(1) / 3,
        lambda s: s / (mp.tanh(mp.sqrt(s)) / mp.sqrt(s)) if s != 0 else 0,
        powers(0, deg + 1), mp.mpf(0), mp.mpf(T) ** 2, rounder)


def tanhshrink_table(deg, T, rounder, tag):
    # x - tanh(x) = x^3 P(x^2) on |x| <= T; relative.
    fit(f"tanhshrink {tag}: x - tanh(x) = x^3 P(x^2), P of degree {deg}",
        lambda s: (mp.sqrt(s) - mp.tanh(mp.sqrt(s))) / mp.sqrt(s) ** 3 if s != 0
        else mp.mpf(1) / 3,
        lambda s: 1 / ((mp.sqrt(s) - mp.tanh(mp.sqrt(s))) / mp.sqrt(s) ** 3) if s != 0
        else 3,
        powers(0, deg + 1), mp.mpf(0), mp.mpf(T) ** 2, rounder)


def root_table(name, deriv, guess, halfwidth, deg, rounder, tag):
    # deriv(a0 + d) = d Q(d) around the root a0 of a derivative (silu', gelu',
    # mish'): a0 is printed as hi + lo in the target type; Q is fitted relative.
    a0 = mp.findroot(deriv, guess)
    hi = mp.mpf(rounder(a0))
    lo = mp.mpf(rounder(a0 - hi))
    print(f"# {name} {tag}: root a0 = {mp.nstr(a0, 25)} = {float(hi)!r} + {float(lo)!r}")
    fit(f"{name} {tag}: f'(a0 + d) = d Q(d), Q of degree {deg}",
        lambda d: deriv(a0 + d) / d if d != 0 else mp.diff(deriv, a0),
        lambda d: d / deriv(a0 + d) if d != 0 else 1 / mp.diff(deriv, a0),
        powers(0, deg + 1), -mp.mpf(halfwidth), mp.mpf(halfwidth), rounder)


def silu_deriv(a):
    s = 1 / (1 + mp.exp(-a))
    return s * (1 + a * (1 - s))


TABLES = {
    "exp": lambda: (exp_table(4, to_f32, "f32"), exp_table(9, to_f64, "f64")),
    "expm1": lambda: (expm1_table(4, to_f32, "f32"), expm1_table(10, to_f64, "f64")),
    "log1p": lambda: (log1p_table(7, to_f32, "f32"), log1p_table(17, to_f64, "f64")),
    "tanh": lambda: (tanh_table(4, 0.625, to_f32, "f32"), tanh_table(10, 0.625, to_f64, "f64")),
    "tanhshrink": lambda: (tanhshrink_table(7, 1.0, to_f32, "f32"),
                           tanhshrink_table(16, 1.0, to_f64, "f64")),
    "silu_root": lambda: (root_table("silu'", silu_deriv, -1.28, 1.0, 12, to_f32, "f32"),
                          root_table("silu'", silu_deriv, -1.28, 0.5, 18, to_f64, "f64")),
}



# ---------------------------------------------------------------------------
# gelu and mish (appended; run as: python tools/gen_coeffs.py gelu_small ...)
# ---------------------------------------------------------------------------
def _phi_half(x):
    # Phi(x) - 1/2 = erf(x / sqrt 2) / 2
    return mp.erf(x / mp.sqrt(2)) / 2


def gelu_small_table(deg, T, rounder, tag):
    # Phi(x) - 1/2 = x Q(x^2) on |x| <= T (gelu = x/2 + x^2 Q(x^2)); relative to Q.
    def q(s):
        return _phi_half(mp.sqrt(s)) / mp.sqrt(s) if s != 0 else 1 / mp.sqrt(2 * mp.pi)
    fit(f"gelu_small {tag}: Phi(x) - 1/2 = x Q(x^2), Q of degree {deg} in s = x^2",
        q, lambda s: 1 / q(s), powers(0, deg + 1), mp.mpf(0), mp.mpf(T) ** 2, rounder)


def gelu_dsmall_table(deg, T, rounder, tag):
    # gelu'(x) - 1/2 = x D(x^2), D(s) = (Phi(x) - 1/2)/x + phi(x); relative to D.
    def d(s):
        x = mp.sqrt(s)
        phi = mp.exp(-s / 2) / mp.sqrt(2 * mp.pi)
        return (_phi_half(x) / x if s != 0 else 1 / mp.sqrt(2 * mp.pi)) + phi
    fit(f"gelu_dsmall {tag}: gelu'(x) - 1/2 = x D(x^2), D of degree {deg} in s = x^2",
        d, lambda s: 1 / d(s), powers(0, deg + 1), mp.mpf(0), mp.mpf(T) ** 2, rounder)


def gelu_tail_table(deg, k, a_lo, a_hi, rounder, tag, center=0):
    # Phi(-a) = e^(-a^2/2) t S(t), t = 1 / (1 + k a) (k a power of two: the map
    # a -> t rounds once); S fitted relative, as a polynomial in t - center
    # (centred for float64's high degree: smaller coefficients, less
    # cancellation in Horner's rule).
    def S(t):
        a = (1 / t - 1) / k
        return mp.erfc(a / mp.sqrt(2)) / 2 * mp.exp(a * a / 2) / t
    t_lo, t_hi = 1 / (1 + k * mp.mpf(a_hi)), 1 / (1 + k * mp.mpf(a_lo))
    c = mp.mpf(center)
    fit(f"gelu_tail {tag}: Phi(-a) = exp(-a^2/2) t S(t), t = 1/(1 + {k} a), "
        f"a in [{a_lo}, {a_hi}], S of degree {deg} in t - {center}",
        lambda u: S(u + c), lambda u: 1 / S(u + c), powers(0, deg + 1),
        t_lo - c, t_hi - c, rounder)


def quick(table):
    """Run ``table`` with a cheaper Lawson (48 nodes, 30 sweeps) and, for float64,
    one fit rounded at the end (the refit per rounded coefficient matters only
    when the rounding error is near the target's ULP, i.e. for float32)."""
    def run():
        global fit
        saved_defaults, saved_fit = lawson.__defaults__, fit
        lawson.__defaults__ = (48, 30, ())
        try:
            return table()
        finally:
            lawson.__defaults__, fit = saved_defaults, saved_fit
    return run


def fit_rounded_once(name, target, weight, basis, a, b, rounder, fixed=(), check=None):
    coeffs = [mp.mpf(rounder(c)) for c in lawson(target, weight, basis, a, b)]
    return report_fit(name, target, weight, basis, a, b, coeffs, 1500)


def f64_once(table):
    def run():
        global fit
        saved = fit
        fit = fit_rounded_once
        try:
            return table()
        finally:
            fit = saved
    return run


def gelu_deriv(x):
    return (1 + mp.erf(x / mp.sqrt(2))) / 2 + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


GELU_TANH_C = mp.sqrt(2 / mp.pi)
GELU_TANH_K = mp.mpf("0.044715")


def gelu_tanh_deriv(x):
    u = GELU_TANH_C * (x + GELU_TANH_K * x**3)
    t = mp.tanh(u)
    return (1 + t) / 2 + x / 2 * (1 - t * t) * GELU_TANH_C * (1 + 3 * GELU_TANH_K * x * x)


def mish_deriv(x):
    tsp = mp.tanh(mp.log1p(mp.exp(x)))
    return tsp + x / (1 + mp.exp(-x)) * (1 - tsp * tsp)


TABLES.update({
    "gelu_small": lambda: (gelu_small_table(5, 0.5, to_f32, "f32"),
                           gelu_small_table(11, 0.5, to_f64, "f64")),
    "gelu_dsmall": lambda: (gelu_dsmall_table(5, 0.5, to_f32, "f32"),
                            gelu_dsmall_table(11, 0.5, to_f64, "f64")),
    "gelu_tail": lambda: (
        gelu_tail_table(9, mp.mpf(1) / 4, 0.5, 14.5, to_f32, "f32"),
        f64_once(lambda: gelu_tail_table(22, mp.mpf(1) / 8, 0.5, 39, to_f64, "f64",
                                         center=0.5625))()),
    "gelu_root": lambda: (
        root_table("gelu'", gelu_deriv, -0.75, 0.5, 10, to_f32, "f32"),
        quick(f64_once(lambda: root_table("gelu'", gelu_deriv, -0.75, 0.5, 18, to_f64,
                                          "f64")))()),
    "gelu_tanh_root": lambda: (
        quick(lambda: root_table("gelu_tanh'", gelu_tanh_deriv, -0.75, 0.5, 10, to_f32,
                                 "f32"))(),
        quick(f64_once(lambda: root_table("gelu_tanh'", gelu_tanh_deriv, -0.75, 0.5, 18,
                                          to_f64, "f64")))()),
    "mish_root": lambda: (
        quick(lambda: root_table("mish'", mish_deriv, -1.19, 0.5, 10, to_f32, "f32"))(),
        quick(f64_once(lambda: root_table("mish'", mish_deriv, -1.19, 0.5, 18, to_f64,
                                          "f64")))()),
})


# ---------------------------------------------------------------------------
# exp as a high + low pair, and gelu's tail over the whole range (gelu2)
# ---------------------------------------------------------------------------
def exp_hilo_table(deg, rounder, tag):
    # e^r = 1 + r + r^2/2 + r^3 q(r), |r| <= ln2/2; error weighted relative to
    # e^r (v_exp_hilo adds 1 + r + r^2/2 exactly, as a pair).
    fit(f"exp_hilo {tag}: e^r = 1 + r + r^2/2 + r^3 q(r), q of degree {deg}",
        lambda r: (mp.exp(r) - 1 - r - r * r / 2) / r**3 if r != 0 else mp.mpf(1) / 6,
        lambda r: abs(r**3) / mp.exp(r),
        powers(0, deg + 1), -LN2 / 2, LN2 / 2, rounder)


TABLES.update({
    "exp_hilo": lambda: (exp_hilo_table(4, to_f32, "f32"),
                         f64_once(lambda: exp_hilo_table(9, to_f64, "f64"))()),
    # a from 0: the tail formula then covers every |x| (no small-|x| branch)
    "gelu_tail0": lambda: (
        gelu_tail_table(11, mp.mpf(1) / 4, 0, 14.5, to_f32, "f32"),),
})


# ---------------------------------------------------------------------------
# tanh by interval table (pyx/simd/: AVX-512 vpermt2ps / AVX2 gathers)
# ---------------------------------------------------------------------------
def _lawson_f64(t, y, w, basis_cols, iters=80):
    """Lawson's minimax iteration in float64 (numpy): ample for coefficients
    that are rounded to float32 (the fit's own error is ~2^-50 relative)."""
    import numpy as np
    A = np.stack(basis_cols, axis=1) * w[:, None]
    b = y * w
    lw = np.full(len(t), 1.0 / len(t))
    c = None
    for _ in range(iters):
        sq = np.sqrt(lw)
        c = np.linalg.lstsq(A * sq[:, None], b * sq, rcond=None)[0]
        err = np.abs(b - A @ c)
        lw = lw * err
        lw /= lw.sum()
    return c


def tanh_intervals(deg=6, first=-3, last_binade=3, clamp=10.0, verbose=True):
    """tanh(a), a = |x|, as c0 + d (c1 + d (c2 + ...)) with d = a - left on
    intervals: slot 0 = [0, 2^first) (c0 = 0, relative to tanh), then quarter
    binades [2^e (1 + j/4), 2^e (1 + (j+1)/4)) for e = first .. last_binade,
    up to `clamp` (a is clamped there; the slot of [clamp, ...) is tanh = 1,
    exactly 1.0f from 9.0109 on).  The slot of a is
    max((bits(a) >> 21) - 4 (127 + first) + 1, 0).  Coefficients are rounded
    to float32 one at a time, lowest degree first, the higher ones refitted.
    Returns (left, coeffs[slot][k])."""
    import numpy as np
    f32 = np.float32
    slots = [(0.0, 2.0 ** first)]
    for e in range(first, last_binade + 1):
        for j in range(4):
            lo = 2.0 ** e * (1 + j / 4)
            if lo >= clamp:
                break
            slots.append((lo, min(2.0 ** e * (1 + (j + 1) / 4), clamp)))
    lefts, table = [], []
    worst = 0.0
    for k, (lo, hi) in enumerate(slots):
        npts = 400
        d = (hi - lo) / 2 * (1 - np.cos(np.pi * (np.arange(npts) + 0.5) / npts))
        d = np.concatenate([[0.0], d, [hi - lo]])
        y = np.tanh(lo + d)
        w = 1 / y if k else 1 / np.where(d > 0, y, 1.0)
        fixed = {0: 0.0} if k == 0 else {}
        # Round c0 and c1 one at a time (refitting the rest), then the others
        # all at once: refitting after every rounding would make the high
        # coefficients absorb the low ones' rounding errors, which are of the
        # fit's own size, with huge values that cancel in float32 Horner.
        c = []      # the free coefficients of the last fit (set at i = 0 or 1)
        for i in range(deg + 1):
            if i in fixed:
                continue
            if i >= 2:
                free = [j for j in range(deg + 1) if j not in fixed]
                for j, v in zip(free, c):
                    fixed[j] = float(f32(v))
                break
            free = [j for j in range(deg + 1) if j not in fixed]
            rhs = y - sum(v * d ** j for j, v in fixed.items())
            if k == 0:      # relative near 0: divide through by d (d > 0 nodes)
                m = d > 0
                c = _lawson_f64(d[m], rhs[m] / d[m], d[m] / y[m],
                                [d[m] ** (j - 1) for j in free])
            else:
                c = _lawson_f64(d, rhs, w, [d ** j for j in free])
            fixed[i] = float(f32(c[0]))
            c = c[1:]
        coeffs = [fixed[i] for i in range(deg + 1)]
        # the error of float32 Horner on every float32 a in the slot, in ULP
        a = np.arange(np.float32(max(lo, 2.0 ** -30)).view(np.int32),
                      np.float32(hi).view(np.int32), dtype=np.int32).view(np.float32)
        dd = a - f32(lo)
        pp = f32(coeffs[deg])
        for i in range(deg - 1, -1, -1):
            pp = (pp.astype(np.float64) * dd + coeffs[i]).astype(np.float32)  # fma
        yy = np.tanh(a.astype(np.float64))
        ulp = np.spacing(yy.astype(np.float32)).astype(np.float64)
        err = np.max(np.abs(pp - yy) / ulp)
        worst = max(worst, err)
        if verbose:
            print(f"# slot {k:2d} [{lo:.6g}, {hi:.6g}): max {err:.3f} ULP (float32 Horner, "
                  f"every input)")
        lefts.append(lo)
        table.append(coeffs)
    lefts.append(clamp)
    table.append([1.0] + [0.0] * deg)
    if verbose:
        print(f"# {len(table)} slots (the last: a >= {clamp}, tanh = 1); "
              f"worst {worst:.3f} ULP")
        print("left: " + ", ".join(f"{v!r}f" for v in lefts))
        for i in range(deg + 1):
            print(f"c{i}: " + ", ".join(f"{float(f32(r[i]))!r}f" for r in table))
    return lefts, table


TABLES["tanh_intervals"] = tanh_intervals


if __name__ == "__main__":
    for key in sys.argv[1:] or TABLES:
        TABLES[key]()
