"""Regenerate the polynomial coefficients of the math layer and check the sources against them.

Each approximation is a near-minimax polynomial found by Lawson's algorithm
(iteratively reweighted least squares, which converges to the minimax fit) on
Chebyshev nodes, in 60-digit arithmetic (mpmath).  The coefficients are then
rounded to the target type one at a time, lowest degree first, refitting the
higher ones after each rounding, so the rounding error of early coefficients is
absorbed by later ones.  The error printed is the weighted (relative) error of
the rounded polynomial in exact arithmetic; the error of the float
implementation is measured separately (fastact/bench/accuracy.py, tests/, the cards
of pyx/_vmath.pxd).

    python tools/gen_coeffs.py [NAME ...]       fit; print each block as the sources hold it
    python tools/gen_coeffs.py --record [NAME]  fit; store the results in
                                                tools/gen_coeffs_fits.json
    python tools/gen_coeffs.py --check          the sources' constants against that record
    python tools/gen_coeffs.py --check --refit  ... against fits made now (slow)
    python tools/gen_coeffs.py --emit [NAME]    the recorded blocks, as the sources hold them

Where each table's constants live: BLOCKS (the .pxd functions, line by line)
and SIMD (their copies in pyx/simd/, as runs of literals).  The fits are
deterministic (fixed nodes, iterations and precision) but slow (45 minutes
for all of them on a busy 2-core host, log1p's and tanhshrink's float64
refits the longest), hence the record: tests/test_gen_coeffs.py runs --check
in the default suite and --check --refit under the slow marker.  One fit is
not reproduced (NOT_REPRODUCED): its recorded constants are the sources'.
Constants of the math layer that no fit produces (exact splits of ln2,
log2(e), 1/sqrt(2 pi), SELU's lambda and alpha, gelu_tanh's constants;
thresholds and clamps) are written by hand; the cards of pyx/_vmath.pxd and
pyx/_exponential.pxd say which.

Needs mpmath (a tool and test dependency, not a runtime one).
"""

import argparse
import contextlib
import json
import os
import re
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


def expm1_table(deg, rounder, tag):
    # e^r - 1 = r + r^2 * q(r), relative to e^r - 1 (so tiny r stays exact).
    return fit(f"expm1 {tag}: e^r - 1 = r + r^2 q(r), q of degree {deg}",
               lambda r: (mp.expm1(r) - r) / r**2 if r != 0 else mp.mpf(1) / 2,
               lambda r: r**2 / abs(mp.expm1(r)) if r != 0 else 0,
               powers(0, deg + 1), -LN2 / 2, LN2 / 2, rounder)


def log1p_table(deg, rounder, tag):
    # log(1+g) = g - g^2/2 + g^3 P(g), g in [sqrt(1/2) - 1, sqrt(2) - 1].
    return fit(f"log1p {tag}: log(1+g) = g - g^2/2 + g^3 P(g), P of degree {deg}",
               lambda g: (mp.log1p(g) - g + g**2 / 2) / g**3 if g != 0 else mp.mpf(1) / 3,
               lambda g: abs(g**3 / mp.log1p(g)) if g != 0 else 0,
               powers(0, deg + 1), mp.sqrt(0.5) - 1, mp.sqrt(2) - 1, rounder)


def tanh_table(deg, T, rounder, tag):
    # tanh(x) = x + x^3 P(x^2) on |x| <= T; relative to tanh.
    return fit(f"tanh {tag}: tanh(x) = x + x^3 P(x^2), P of degree {deg} in s = x^2",
               lambda s: (mp.tanh(mp.sqrt(s)) - mp.sqrt(s)) / mp.sqrt(s) ** 3 if s != 0
               else -mp.mpf(1) / 3,
               lambda s: s / (mp.tanh(mp.sqrt(s)) / mp.sqrt(s)) if s != 0 else 0,
               powers(0, deg + 1), mp.mpf(0), mp.mpf(T) ** 2, rounder)


def tanhshrink_table(deg, T, rounder, tag):
    # x - tanh(x) = x^3 P(x^2) on |x| <= T; relative.
    return fit(f"tanhshrink {tag}: x - tanh(x) = x^3 P(x^2), P of degree {deg}",
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
    coeffs = fit(f"{name} {tag}: f'(a0 + d) = d Q(d), Q of degree {deg}",
                 lambda d: deriv(a0 + d) / d if d != 0 else mp.diff(deriv, a0),
                 lambda d: d / deriv(a0 + d) if d != 0 else 1 / mp.diff(deriv, a0),
                 powers(0, deg + 1), -mp.mpf(halfwidth), mp.mpf(halfwidth), rounder)
    return [hi, lo] + list(coeffs)


def silu_deriv(a):
    s = 1 / (1 + mp.exp(-a))
    return s * (1 + a * (1 - s))


# ---------------------------------------------------------------------------
# gelu and mish: small-|x| series, the erfc-like tail, the derivatives' roots
# ---------------------------------------------------------------------------
def _phi_half(x):
    # Phi(x) - 1/2 = erf(x / sqrt 2) / 2
    return mp.erf(x / mp.sqrt(2)) / 2


def gelu_small_table(deg, T, rounder, tag):
    # Phi(x) - 1/2 = x Q(x^2) on |x| <= T (gelu = x/2 + x^2 Q(x^2)); relative to Q.
    def q(s):
        return _phi_half(mp.sqrt(s)) / mp.sqrt(s) if s != 0 else 1 / mp.sqrt(2 * mp.pi)
    return fit(f"gelu_small {tag}: Phi(x) - 1/2 = x Q(x^2), Q of degree {deg} in s = x^2",
               q, lambda s: 1 / q(s), powers(0, deg + 1), mp.mpf(0), mp.mpf(T) ** 2, rounder)


def gelu_dsmall_table(deg, T, rounder, tag):
    # gelu'(x) - 1/2 = x D(x^2), D(s) = (Phi(x) - 1/2)/x + phi(x); relative to D.
    def d(s):
        x = mp.sqrt(s)
        phi = mp.exp(-s / 2) / mp.sqrt(2 * mp.pi)
        return (_phi_half(x) / x if s != 0 else 1 / mp.sqrt(2 * mp.pi)) + phi
    return fit(f"gelu_dsmall {tag}: gelu'(x) - 1/2 = x D(x^2), D of degree {deg} in s = x^2",
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
    return fit(f"gelu_tail {tag}: Phi(-a) = exp(-a^2/2) t S(t), t = 1/(1 + {k} a), "
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


# ---------------------------------------------------------------------------
# exp as a high + low pair
# ---------------------------------------------------------------------------
def exp_hilo_table(deg, rounder, tag):
    # e^r = 1 + r + r^2/2 + r^3 q(r), |r| <= ln2/2; error weighted relative to
    # e^r (v_exp_hilo adds 1 + r + r^2/2 exactly, as a pair).
    return fit(f"exp_hilo {tag}: e^r = 1 + r + r^2/2 + r^3 q(r), q of degree {deg}",
               lambda r: (mp.exp(r) - 1 - r - r * r / 2) / r**3 if r != 0 else mp.mpf(1) / 6,
               lambda r: abs(r**3) / mp.exp(r),
               powers(0, deg + 1), -LN2 / 2, LN2 / 2, rounder)


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


def gelu_intervals(deg=6, width=0.5, clamp=14.5, slots=32, verbose=True, q=False):
    """R(a) = Phi(-a) e^(a^2/2) (= erfcx(a / sqrt 2) / 2, smooth and slowly
    varying, unlike Phi(-a)) by interval table for a = |x| in [0, clamp]:
    slot k = round(a / width) (round to nearest even, as vcvtps2dq), u =
    a / width - k in [-1/2, 1/2] (exact: vreduceps), R = (c0 + c0_lo) +
    u (c1 + u (c2 + ... + u c6)): c0 = R(k width) as a float32 pair, c1
    rounded after the first fit and the rest refitted (relative error).
    Checked on every float32 a of each slot with float32 Horner and the
    last step compensated as the kernel computes it.  Returns rows c0,
    c0_lo, c1 .. c_deg, `slots` entries each (padding repeats the last slot):
    32 for AVX-512 (one vpermt2ps), 16 for AVX2 (two vpermps and a blend;
    width 1 and degree 7 there)."""
    import numpy as np
    from scipy.special import erfc, erfcx

    def R(a):
        # q: Phi(-a) itself (gelu_q_intervals), else erfcx
        return 0.5 * (erfc if q else erfcx)(a / np.sqrt(2.0))

    nslot = int(round(clamp / width)) + 1
    return _interval_table(R, deg, width, nslot, slots, 300, verbose)


def _interval_table(f, deg, width, nslot, slots, npts, verbose, comp2=False, skip=None,
                    note=""):
    """The interval tables of gelu_intervals and gelu_dq_intervals: for each
    slot k of ``nslot``, f = (c0 + c0_lo) + u (c1 + u (c2 + ... + u c_deg)),
    u = a / width - k in [-1/2, 1/2], c0 = f(k width) as a float32 pair, c1
    rounded after the first fit and the rest refitted (relative error, on
    ``npts`` Chebyshev nodes); checked on every float32 a of the slot with
    float32 Horner and the last step compensated as the kernel computes it
    (``comp2``: the step of c1 too).  ``skip(a)``: the a the kernel does not
    take from the table (left out of fit and check; a slot with too few
    nodes left gets c1 .. c_deg = 0).  Rows c0, c0_lo, c1 .. c_deg, ``slots``
    entries each (padding repeats the last slot)."""
    import numpy as np
    f32 = np.float32

    def fma32(a, b, c):
        return (a.astype(np.float64) * b + c).astype(f32)

    rows = [[] for _ in range(deg + 2)]
    worst = 0.0
    for k in range(nslot):
        lo = 0.0 if k == 0 else -0.5
        u = (lo + 0.5) / 2 + (0.5 - lo) / 2 * np.cos(np.pi * (np.arange(npts) + 0.5) / npts)
        u = np.concatenate([[lo, 0.5], u])
        u = u[u != 0]
        if skip is not None:
            u = u[~skip((k + u) * width)]
        c0 = f(k * width)
        c0h = float(f32(c0))
        c0l = float(f32(c0 - c0h))
        if len(u) < 2 * deg:        # the slot lies where the table is not used
            coeffs = [c0h, c0l] + [0.0] * deg
        else:
            y = f((k + u) * width)
            rhs = y - c0
            c = _lawson_f64(u, rhs / u, u / np.abs(y), [u ** j for j in range(deg)])
            c1 = float(f32(c[0]))
            c = _lawson_f64(u, (rhs - c1 * u) / u ** 2, u ** 2 / np.abs(y),
                            [u ** j for j in range(deg - 1)])
            coeffs = [c0h, c0l, c1] + [float(f32(v)) for v in c]
        # every float32 a of the slot (from 2^-10 in slot 0: below, f = c0)
        a0 = max((k + lo) * width, 2.0 ** -10)
        a = np.arange(f32(a0).view(np.int32), f32((k + 0.5) * width).view(np.int32) + 1,
                      dtype=np.int32).view(f32)
        t = a / f32(width)
        keep = np.rint(t) == k
        if skip is not None:
            keep &= ~skip(a.astype(np.float64))
        a, t = a[keep], t[keep]
        err = 0.0
        if len(a):
            uu = (t - np.rint(t)).astype(f32)
            P = np.full_like(uu, f32(coeffs[-1]))
            for v in reversed(coeffs[3:-1]):
                P = fma32(P, uu, f32(v))
            P2, P = P, fma32(P, uu, f32(coeffs[2]))
            hi = fma32(P, uu, f32(c0h))
            rest = fma32(P, uu, (f32(c0h) - hi).astype(f32))
            if comp2:       # e1 = P2 u + c1 - P; lo = u e1 + (rest + c0_lo), in float32
                e1 = fma32(P2, uu, (f32(coeffs[2]) - P).astype(f32))
                val = hi.astype(np.float64) + fma32(e1, uu, (rest + f32(c0l)).astype(f32))
            else:
                val = hi.astype(np.float64) + (rest.astype(np.float64) + c0l)
            yy = f(a.astype(np.float64))
            err = float(np.max(np.abs(val - yy) / np.abs(yy))) / 2.0 ** -24
        worst = max(worst, err)
        if verbose:
            print(f"# slot {k:2d} [{max((k + lo) * width, 0):.4g}, {(k + 0.5) * width:.4g}]: "
                  f"max {err:.3f} x 2^-24 relative (float32, every input{note})")
        for row, v in zip(rows, coeffs):
            row.append(v)
    for row in rows:
        row += [row[-1]] * (slots - nslot)
    if verbose:
        print(f"# {nslot} slots; worst {worst:.3f} x 2^-24")
    return rows


def gelu_q_intervals(deg=5, width=0.125, slots=32, verbose=True):
    """Q(a) = Phi(-a) itself (no Gaussian factor) by the interval table of
    gelu_intervals, slots of 1/8 for a = |x| in [0, 3.9375): gelu's common
    path (x Phi(x) = x Q(|x|) for x < 0, x - x Q(x) for x > 0, no exp); the
    kernel sends |x| >= 3.9375 (slot 32 on) to the R-table form.  Degree 5:
    0.357 x 2^-24 relative on every float32 a (degree 6: 0.298), one
    vpermt2ps and one fma fewer."""
    return gelu_intervals(deg, width, (slots - 1) * width, slots, verbose, q=True)


GELU_DERIV_ROOT = 0.7517915368080139   # |x| at gelu''s root (x = -0.75179)


def gelu_dq_intervals(deg=5, width=0.125, slots=32, window=0.0625, verbose=True):
    """G(a) = Phi(-a) - a phi(a) (gelu'(x) = G(-x) for x < 0, 1 - G(x) for
    x >= 0) by an interval table: slot round(8a), u = 8a - slot, G = (c0 +
    c0_lo) + u (c1 + u (c2 + ... + u c_deg)), c0 = G(slot / 8) a float32
    pair, the last two Horner steps compensated (near the root u P is as
    large as G).  G has a root at a0 = 0.7518 (gelu'(-a0) = 0); the
    kernel takes |a - a0| < ``window`` from the root polynomial, so the fit
    (relative error) and the check leave those a out.  Checked on every
    float32 a of each slot (outside the window) with float32 Horner as the
    kernel computes it.  Rows c0, c0_lo, c1, c1_lo, c2 .. c_deg."""
    import numpy as np
    from scipy.special import erfc

    def G(a):
        return 0.5 * erfc(a / np.sqrt(2.0)) - a * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)

    return _interval_table(G, deg, width, slots, slots, 400, verbose, comp2=True,
                           skip=lambda a: np.abs(a - GELU_DERIV_ROOT) < window,
                           note=" outside the window")


# ---------------------------------------------------------------------------
# The tables: what each fits, and where its constants live
# ---------------------------------------------------------------------------
# Each entry fits its variants and returns {tag: [values]}: a polynomial's
# coefficients lowest degree first, a root table's [a0_hi, a0_lo, Q...].
def _tanh_table_rows():
    lefts, table = tanh_intervals()
    pad = 32 - len(lefts)               # the padding slots repeat the last (tanh = 1)
    lefts = lefts + [lefts[-1]] * pad
    table = table + [table[-1]] * pad
    return {"f32": lefts + [float(row[i]) for i in range(7) for row in table]}


TABLES = {
    "expm1": lambda: {"f32": expm1_table(4, to_f32, "f32"),
                      "f64": expm1_table(10, to_f64, "f64")},
    "log1p": lambda: {"f32": log1p_table(7, to_f32, "f32"),
                      "f64": log1p_table(17, to_f64, "f64")},
    "tanh": lambda: {"f32": tanh_table(4, 0.625, to_f32, "f32"),
                     "f64": tanh_table(10, 0.625, to_f64, "f64")},
    "exp_hilo": lambda: {"f32": exp_hilo_table(4, to_f32, "f32"),
                         "f64": f64_once(lambda: exp_hilo_table(9, to_f64, "f64"))()},
    "tanhshrink": lambda: {"f32": tanhshrink_table(7, 1.0, to_f32, "f32"),
                           "f64": tanhshrink_table(16, 1.0, to_f64, "f64")},
    "silu_root": lambda: {
        "f32": root_table("silu'", silu_deriv, -1.28, 1.0, 12, to_f32, "f32"),
        "f64": root_table("silu'", silu_deriv, -1.28, 0.5, 18, to_f64, "f64")},
    # float64 only: float32 gelu covers every |x| with the tail series from 0
    # (gelu_tail0) and needs neither
    "gelu_small": lambda: {"f64": gelu_small_table(11, 0.5, to_f64, "f64")},
    "gelu_dsmall": lambda: {"f64": gelu_dsmall_table(11, 0.5, to_f64, "f64")},
    "gelu_tail": lambda: {
        "f64": f64_once(lambda: gelu_tail_table(22, mp.mpf(1) / 8, 0.5, 39, to_f64, "f64",
                                                center=GELU_TAIL_CENTER))()},
    # a from 0: the tail formula then covers every |x| (no small-|x| branch)
    "gelu_tail0": lambda: {"f32": gelu_tail_table(11, mp.mpf(1) / 4, 0, 14.5, to_f32, "f32")},
    "gelu_root": lambda: {
        "f32": root_table("gelu'", gelu_deriv, -0.75, 0.5, 10, to_f32, "f32"),
        "f64": quick(f64_once(lambda: root_table("gelu'", gelu_deriv, -0.75, 0.5, 18, to_f64,
                                                 "f64")))()},
    "gelu_tanh_root": lambda: {
        "f32": quick(lambda: root_table("gelu_tanh'", gelu_tanh_deriv, -0.75, 0.5, 10, to_f32,
                                        "f32"))(),
        "f64": quick(f64_once(lambda: root_table("gelu_tanh'", gelu_tanh_deriv, -0.75, 0.5, 18,
                                                 to_f64, "f64")))()},
    "mish_root": lambda: {
        "f32": quick(lambda: root_table("mish'", mish_deriv, -1.19, 0.5, 10, to_f32, "f32"))(),
        "f64": quick(f64_once(lambda: root_table("mish'", mish_deriv, -1.19, 0.5, 18, to_f64,
                                                 "f64")))()},
    "tanh_intervals": _tanh_table_rows,
    "gelu_intervals": lambda: {"f32": [v for row in gelu_intervals() for v in row]},
    "gelu_q_intervals": lambda: {"f32": [v for row in gelu_q_intervals() for v in row]},
    "gelu_dq_intervals": lambda: {"f32": [v for row in gelu_dq_intervals() for v in row]},
    "gelu_intervals16": lambda: {"f32": [v for row in gelu_intervals(7, 1.0, slots=16)
                                         for v in row]},
}
GELU_TAIL_CENTER = 0.5625

VMATH, EXPO = "pyx/_vmath.pxd", "pyx/_exponential.pxd"
AVX512, AVX2, AVX512_F64 = ("pyx/simd/fa_simd_avx512.h", "pyx/simd/fa_simd_avx2.h",
                            "pyx/simd/fa_simd_avx512_f64.h")
TANH_TABLE = "pyx/simd/fa_tanh_table.h"
GELU_TABLE = "pyx/simd/fa_gelu_table.h"


def _num(v):
    return repr(float(v))


def _horner(var, arg, tag, coeffs, last=None):
    """The constant lines of a Horner block, coeffs lowest degree first:
    [(line template, values, labels)].  ``last``: the template of the last
    step when it is not an assignment (e.g. a return)."""
    n = len(coeffs) - 1
    ctype = "float" if tag == "f32" else "double"
    lines = [(f"    cdef {ctype} {var} = {{}}", [coeffs[n]], [f"c{n}"])]
    for k in range(n - 1, -1, -1):
        tmpl = f"    {var} = fa_poly_{tag}({var}, {arg}, {{}})"
        if k == 0 and last:
            tmpl = last.format(var=var, arg=arg, tag=tag)
        lines.append((tmpl, [coeffs[k]], [f"c{k}"]))
    return lines


def _expm1_f32(c):
    # one nested expression (see _expm1_kernel_f32: its rounding on the
    # baseline depends on the form)
    return [("    cdef float q = fa_poly_f32(fa_poly_f32(fa_poly_f32(fa_poly_f32(", [], []),
            ("        {}, r, {}), r, {}), r,", [c[4], c[3], c[2]], ["c4", "c3", "c2"]),
            ("        {}), r, {})", [c[1], c[0]], ["c1", "c0"])]


def _root_dh(tag, v):
    """a0 = hi + lo as the root blocks of gelu', gelu_tanh', mish' write it:
    d = dh + dl, dh = x - hi, dl = -lo."""
    hi, lo = v[0], v[1]
    if tag == "f32":
        return [("    cdef float dh = x - <float>{}", [hi], ["a0_hi"]),
                ("    cdef float dl = -<float>{}", [lo], ["a0_lo"])]
    return [("    cdef double dh = x - {}", [hi], ["a0_hi"]),
            ("    cdef double dl = {}", [-float(lo)], ["-a0_lo"])]


def _silu_d(tag, v):
    cast = "<float>" if tag == "f32" else ""
    ctype = "float" if tag == "f32" else "double"
    return [(f"    cdef {ctype} d = (a - {cast}{{}}) - {cast}{{}}", [v[0], v[1]],
             ["a0_hi", "a0_lo"])]


def _tail0(tag, c):
    # the last three Horner steps are compensated (pairs): their constants
    # sit in two_sum calls
    lines = _horner("P", "t", tag, c)[:-3]
    for k in (2, 1, 0):
        lines.append(("    P = two_sum(<float>{}, prod, &se)", [c[k]], [f"c{k}"]))
    return lines


def _tanhshrink_f32(tag, c):
    lines = _horner("P", "s", tag, c)[:-1]
    lines.append(("    P = fa_poly_f32(P1, s, {})", [c[0]], ["c0"]))
    lines.append(("    cdef float P_lo = fa_fma_f32(P1, s, <float>{} - P)", [c[0]], ["c0"]))
    return lines


# Where each table's constants live: (table, tag) -> [(file, function, lines)],
# lines(values) giving the constant lines as _horner does.  Copies of a
# polynomial in the explicit-SIMD headers are checked as runs of literals
# (SIMD below): the same coefficients, highest degree first, in their
# function or array.
BLOCKS = {
    ("expm1", "f32"): [(VMATH, "_expm1_kernel_f32", _expm1_f32)],
    ("expm1", "f64"): [(VMATH, "_expm1_kernel_f64", lambda v: _horner("q", "r", "f64", v))],
    ("log1p", "f32"): [(VMATH, "_log1p_poly_f32", lambda v: _horner("P", "g", "f32", v))],
    ("log1p", "f64"): [(VMATH, "_log1p_poly_f64", lambda v: _horner("P", "g", "f64", v))],
    ("tanh", "f32"): [(VMATH, "_tanh_poly_f32", lambda v: _horner("P", "s", "f32", v))],
    ("tanh", "f64"): [(VMATH, "_tanh_poly_f64", lambda v: _horner("P", "s", "f64", v))],
    ("exp_hilo", "f32"): [(VMATH, "_exp_hilo_q_f32", lambda v: _horner(
        "q", "r", "f32", v, last="    return fa_poly_{tag}({var}, {arg}, {{}})"))],
    ("exp_hilo", "f64"): [(VMATH, "_exp_hilo_q_f64", lambda v: _horner(
        "q", "r", "f64", v, last="    return fa_poly_{tag}({var}, {arg}, {{}})"))],
    ("tanhshrink", "f32"): [(EXPO, "_tanhshrink_small_f32", lambda v: _tanhshrink_f32("f32", v))],
    ("tanhshrink", "f64"): [(EXPO, "_tanhshrink_small_f64",
                             lambda v: _horner("P", "s", "f64", v))],
    ("silu_root", "f32"): [(EXPO, "_silu_deriv_root_f32",
                            lambda v: _silu_d("f32", v) + _horner("Q", "d", "f32", v[2:]))],
    ("silu_root", "f64"): [(EXPO, "_silu_deriv_root_f64",
                            lambda v: _silu_d("f64", v) + _horner("Q", "d", "f64", v[2:]))],
    ("gelu_small", "f64"): [(EXPO, "_gelu_small_q_f64", lambda v: _horner("P", "s", "f64", v))],
    ("gelu_dsmall", "f64"): [(EXPO, "_gelu_small_d_f64", lambda v: _horner("P", "s", "f64", v))],
    ("gelu_tail", "f64"): [(EXPO, "_gelu_tail_s_f64", lambda v: [
        ("    cdef double u = t - {}", [GELU_TAIL_CENTER], ["center"])]
        + _horner("P", "u", "f64", v))],
    ("gelu_tail0", "f32"): [(EXPO, "_gelu_tail0_s_f32", lambda v: _tail0("f32", v))],
    ("tanh_intervals", "f32"): [(TANH_TABLE, "fa_tanh_table", None)],
    ("gelu_intervals", "f32"): [(GELU_TABLE, "fa_gelu_table", None)],
    ("gelu_intervals16", "f32"): [(GELU_TABLE, "fa_gelu_table16", None)],
    ("gelu_q_intervals", "f32"): [(GELU_TABLE, "fa_gelu_q_table", None)],
    ("gelu_dq_intervals", "f32"): [(GELU_TABLE, "fa_gelu_dq_table", None)],
}
for _name, _fn in (("gelu_root", "_gelu_deriv_root"), ("gelu_tanh_root", "_gelu_tanh_deriv_root"),
                   ("mish_root", "_mish_deriv_root")):
    for _tag in ("f32", "f64"):
        BLOCKS[(_name, _tag)] = [(EXPO, f"{_fn}_{_tag}", lambda v, t=_tag: (
            _root_dh(t, v) + _horner("P", "d", t, v[2:])))]

# (table, tag) -> [(file, C function or array)]: copies in the SIMD headers
SIMD = {
    ("expm1", "f32"): [(AVX512, "fa512_expm1_kernel"), (AVX2, "fa256_expm1_kernel")],
    ("expm1", "f64"): [(AVX512_F64, "fa512d_expm1_kernel")],
    ("exp_hilo", "f64"): [(AVX512_F64, "fa512d_exp_hilo_neg")],
    ("tanh", "f64"): [(AVX512_F64, "fa512d_tanh")],
    ("log1p", "f32"): [(AVX512, "fa512_log1p_unit"), (AVX2, "fa256_log1p_unit")],
    ("silu_root", "f32"): [(AVX512, "fa512_silu_deriv_root"), (AVX2, "fa256_silu_deriv_root")],
    ("silu_root", "f64"): [(AVX512_F64, "fa512d_silu_deriv_g")],
    ("gelu_tanh_root", "f32"): [(AVX512, "fa_gelu_tanh_root_q"), (AVX2, "fa_gelu_tanh_root_q")],
    ("gelu_tanh_root", "f64"): [(AVX512_F64, "fa_gelu_tanh_root_q_f64")],
    ("gelu_root", "f32"): [(AVX512, "fa_gelu_root_q"), (AVX2, "fa_gelu_root_q")],
    ("mish_root", "f32"): [(AVX512, "fa_mish_root_q"), (AVX2, "fa_mish_root_q")],
}

# Fits the script does not reproduce: the sources keep the constants they
# have (the kernels' outputs must not change), the record holds those, and
# --record / --check --refit keep them, reporting the refit's differences.
NOT_REPRODUCED = {
    ("gelu_tail", "f64"): (
        "the float64 tail series (commit 14c76a3) was fitted with settings the "
        "script does not record: its fit, the same at 50, 60 and 70 digits, "
        "differs from c4 up (by 1e-16 to 3e-4 relative) with the same max error "
        "(0.398 against 0.397 x 2^-53), and neither quick() (48 nodes, 30 "
        "sweeps) nor the full refit per rounded coefficient gives them either; "
        "a degree-22 minimax in t - 0.5625 has many near-optimal coefficient sets"),
}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORD = os.path.join(ROOT, "tools", "gen_coeffs_fits.json")


# ---------------------------------------------------------------------------
# Emitting the blocks, and checking the sources against them
# ---------------------------------------------------------------------------
def emit(name, fits):
    """The constant lines of table ``name`` as they appear in the sources."""
    out = []
    for tag, values in fits.items():
        for path, func, lines in BLOCKS[(name, tag)]:
            out.append(f"# {path}, {func}:")
            if lines is None:
                out.extend(_emit_c_table(values))
                continue
            for tmpl, vals, _labels in lines(values):
                out.append(tmpl.format(*(_num(v) for v in vals)))
    return "\n".join(out)


def _emit_c_table(values):
    rows = [values[i:i + 32] for i in range(0, len(values), 32)]
    names = ["left"] + [f"c{i}" for i in range(len(rows) - 1)]
    out = []
    for name, row in zip(names, rows):
        out.append(f"    {{ /* {name} */")
        for i in range(0, 32, 4):
            out.append("        " + " ".join(f"{_num(v)}f," for v in row[i:i + 4]))
        out.append("    },")
    return out


_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def _body(text, func):
    """The lines of the Cython function, or C function / array, named func."""
    lines = text.split("\n")
    head = re.compile(r"(cdef inline|FA512|FA256|static const)\b.*\b%s\s*(\(|\[)" % func)
    i = next((k for k, line in enumerate(lines) if head.match(line)), None)
    if i is None:
        return None
    body = [lines[i]]
    array = lines[i].startswith("static const")
    for line in lines[i + 1:]:
        if array:                   # a C array: up to its closing "};"
            body.append(line)
            if line.rstrip().endswith("};"):
                break
        elif line.startswith("}"):  # a C function
            body.append(line)
            break
        elif line and not line[0].isspace():    # a Cython function
            break
        else:
            body.append(line)
    return body


def _literals(lines):
    """The float literals of C / Cython code, comments removed."""
    code = "\n".join(line.split("#")[0] if not line.lstrip().startswith("*") else ""
                     for line in lines)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    code = re.sub(r"\b[A-Za-z_]\w*", " ", code)       # names (f32, 0x.., e-notation kept)
    return [float(m) for m in re.findall(_NUMBER + r"f?(?![\w.])", code)
            if "." in m or "e" in m.lower()]


def check(name, fits, root=ROOT):
    """Differences between the sources and table ``name``'s fits, as messages."""
    problems = []
    texts = {}

    def text(path):
        if path not in texts:
            with open(os.path.join(root, path)) as f:
                texts[path] = f.read()
        return texts[path]

    for tag, values in fits.items():
        for path, func, lines in BLOCKS[(name, tag)]:
            body = _body(text(path), func)
            if body is None:
                problems.append(f"{path}: {func} not found ({name} {tag})")
                continue
            if lines is None:
                got = _literals(body)
                want = [float(v) for v in values]
                problems += _compare_run(path, func, name, tag, got, want, whole=True)
                continue
            pos = 0
            for tmpl, vals, labels in lines(values):
                parts = [re.escape(p) for p in tmpl.split("{}")]
                rx = re.compile("^" + _NUMBER.join(parts) + r"\s*(#.*)?$")
                for k in range(pos, len(body)):
                    m = rx.match(body[k])
                    if m:
                        break
                else:
                    problems.append(f"{path}: {func}: no line '{tmpl.strip()}' for "
                                    f"{', '.join(labels)} ({name} {tag}; want "
                                    f"{', '.join(_num(v) for v in vals)})")
                    continue
                pos = k + 1
                for j, (v, label) in enumerate(zip(vals, labels)):
                    if float(m.group(j + 1)) != float(v):
                        problems.append(f"{path}: {func}: {label} = {m.group(j + 1)}, "
                                        f"gen_coeffs.py {name} {tag} gives {_num(v)}")
        for path, func in SIMD.get((name, tag), ()):
            body = _body(text(path), func)
            if body is None:
                problems.append(f"{path}: {func} not found ({name} {tag})")
                continue
            coeffs = values[2:] if name.endswith("_root") else values
            want = [float(v) for v in reversed(coeffs)]
            problems += _compare_run(path, func, name, tag, _literals(body), want)
    return problems


def _compare_run(path, func, name, tag, got, want, whole=False):
    """want must occur in got as one run (whole: be all of it); otherwise
    name the constants that differ at the best-matching position."""
    if whole and len(got) != len(want):
        return [f"{path}: {func}: {len(got)} constants, gen_coeffs.py {name} {tag} "
                f"gives {len(want)}"]
    best, at = -1, 0
    for i in range(max(len(got) - len(want), 0) + 1):
        hits = sum(a == b for a, b in zip(got[i:i + len(want)], want))
        if hits > best:
            best, at = hits, i
    if best == len(want):
        return []
    label = (lambda k: f"entry {k}") if whole else (lambda k: f"c{len(want) - 1 - k}")
    return [f"{path}: {func}: {label(k)} = {_num(g)}, gen_coeffs.py {name} {tag} gives {_num(w)}"
            for k, (g, w) in enumerate(zip(got[at:at + len(want)], want)) if g != w] or [
        f"{path}: {func}: {len(want)} constants of {name} {tag} not found"]


def _load_record():
    with open(RECORD) as f:
        return {name: {tag: [float(v) for v in vals] for tag, vals in fits.items()}
                for name, fits in json.load(f).items()}


def _fit(names):
    """Fit the tables; where a fit is not reproduced (NOT_REPRODUCED), keep
    the recorded values and say how the refit differs."""
    fits = {name: {tag: [float(v) for v in vals] for tag, vals in TABLES[name]().items()}
            for name in names}
    record = _load_record() if os.path.exists(RECORD) else {}
    for (name, tag), why in NOT_REPRODUCED.items():
        if name in fits and tag in record.get(name, {}):
            new, kept = fits[name][tag], record[name][tag]
            differ = sum(a != b for a, b in zip(new, kept))
            print(f"{name} {tag}: not reproduced ({why}); the refit differs in "
                  f"{differ} of {len(kept)} constants; kept the recorded ones", file=sys.stderr)
            fits[name][tag] = kept
    return fits


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", metavar="NAME", help=f"tables ({', '.join(TABLES)})")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="compare the sources' constants with the recorded fits "
                           "(fast; with --refit: with fits made now)")
    mode.add_argument("--emit", action="store_true",
                      help="print the recorded fits' blocks as they appear in the sources")
    mode.add_argument("--record", action="store_true",
                      help=f"fit and store the results in {os.path.relpath(RECORD, ROOT)}")
    ap.add_argument("--refit", action="store_true", help="with --check: fit anew (slow)")
    args = ap.parse_args(argv)
    names = args.names or list(TABLES)
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        ap.error(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(TABLES)}")
    if args.check:
        if args.refit:
            with contextlib.redirect_stdout(sys.stderr):
                fits = _fit(names)
        else:
            record = _load_record()
            missing = [n for n in names if n not in record]
            if missing:
                print(f"not recorded: {', '.join(missing)} (run --record)")
                return 1
            fits = {n: record[n] for n in names}
        problems = [p for name in names for p in check(name, fits[name])]
        for p in problems:
            print(p)
        print(f"{len(problems)} difference(s) in {len(names)} table(s)"
              + ("" if args.refit else f" (against {os.path.relpath(RECORD, ROOT)})"))
        return 1 if problems else 0
    if args.emit:
        record = _load_record()
        print("\n".join(emit(n, record[n]) for n in names))
        return 0
    fits = _fit(names)
    if args.record:
        record = _load_record() if os.path.exists(RECORD) else {}
        record.update(fits)     # floats: json writes their repr, exact both ways
        with open(RECORD, "w") as f:
            json.dump({n: record[n] for n in TABLES if n in record}, f, indent=1)
            f.write("\n")
        return 0
    for n in names:
        print(emit(n, fits[n]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
