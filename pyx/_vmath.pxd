# fastact's vectorizable math layer: exp, expm1, log1p and tanh for float32 and
# float64, and the pieces the exponential family (_exponential.pxd) builds on.
#
# Why not libm: a call to expf/tanhf per element stops GCC from vectorizing the
# loop.  Everything here is inline, branch-free (selects, which GCC if-converts
# into masked AVX-512 / blend instructions) and call-free, so the kernels'
# contiguous loops compile to packed zmm code (check: objdump -d on
# fastact/_kernels*.so shows no call to exp/expf/log1p/tanh inside _k_* loops).
#
# Layout: the error-free transformations (TwoSum, pair arithmetic) and fa_fma
# are in _eft.pxd; this file holds the functions, each under a card (method,
# polynomial degree, range, measured max ULP, where the coefficients come
# from); the polynomials that belong to one activation (root and tail series
# of silu', gelu, gelu', mish', tanhshrink's small-|x| series) sit beside
# their formulas in _exponential.pxd.
#
# Conventions
# * Each function exists as _f32 (computes in float32 only: float32 is never
#   widened to double) and _f64, plus a fused wrapper (v_exp, ...) for the
#   formulas in _exponential.pxd.
# * fma (fa_fma, _eft.pxd) is written out wherever the result depends on it,
#   so the SIMD body and the scalar remainder of a loop round identically
#   (bitwise determinism).  fa_poly is a Horner step: an fma where the target
#   has one, a multiply and an add on the x86-64 baseline.
# * Powers of two are built by integer arithmetic on the bit pattern (memcpy bit
#   casts below; GCC turns them into register moves).  The integer n of a range
#   reduction is read from the low mantissa bits of x*log2(e) + 1.5*2^p (the
#   "shifter" trick), so no float->int conversion of NaN/inf ever happens.
# * Specials are explicit selects: NaN in -> NaN out, +-inf -> the limit,
#   overflow -> inf, underflow -> gradual (subnormal results are rounded once or,
#   where stated, twice: at most 1 subnormal ULP off).  No flush-to-zero.
#
# Coefficients: python tools/gen_coeffs.py NAME (near-minimax by Lawson's
# algorithm in 60-digit mpmath, rounded to the target type one coefficient at
# a time) prints each block as it appears here; python tools/gen_coeffs.py
# --check (tests/test_gen_coeffs.py) fails when a constant here, or its copy
# in pyx/simd/, differs from what it produced.  Constants no fit produces
# (the splits of ln2, log2(e), the shifters, clamps and thresholds) are
# written by hand; each card says which.  The "max ULP" of each card is
# measured in float arithmetic (how and where: on the card): for float32 over
# every float32 input where the card says so, else on 2^24 random ones; for
# float64 on 2^22 samples against np.longdouble.

from cython cimport floating
from libc.stdint cimport int32_t, int64_t, uint64_t
from _scalar cimport INFINITY, fa_abs, fa_copysign, fa_by_dtype
from _eft cimport fa_fma, fa_fma_f32, fa_fma_f64

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    static inline int32_t fa_bits_f32(float x) { int32_t i; memcpy(&i, &x, 4); return i; }
    static inline float fa_from_bits_f32(int32_t i) { float x; memcpy(&x, &i, 4); return x; }
    static inline int64_t fa_bits_f64(double x) { int64_t i; memcpy(&i, &x, 8); return i; }
    static inline double fa_from_bits_f64(int64_t i) { double x; memcpy(&x, &i, 8); return x; }
    #include "fa_target.h"
    #if (defined(__SSE2__) || defined(_M_X64)) && !defined(__SSE4_2__) && !defined(__AVX__)
    /* SSE2 has no 64-bit compare (pcmpgtq is SSE4.2): a select on int64 keeps
       GCC from vectorizing a float64 loop.  For |a - b| < 2^63 (exponents),
       m = all ones iff a < b, from the sign bit of a - b by a logical shift. */
    static inline int64_t fa_imin64(int64_t a, int64_t b) {
        uint64_t d = (uint64_t)a - (uint64_t)b;
        uint64_t m = (uint64_t)0 - (d >> 63);
        return (int64_t)((uint64_t)b + (d & m));
    }
    static inline int64_t fa_imax64(int64_t a, int64_t b) {
        uint64_t d = (uint64_t)a - (uint64_t)b;
        uint64_t m = (uint64_t)0 - (d >> 63);
        return (int64_t)((uint64_t)a - (d & m));
    }
    #else
    static inline int64_t fa_imin64(int64_t a, int64_t b) { return a < b ? a : b; }
    static inline int64_t fa_imax64(int64_t a, int64_t b) { return a > b ? a : b; }
    #endif
    #if FASTACT_HW_FMA && defined(__GNUC__)
    #define fa_poly_f64(a, b, c) __builtin_fma((a), (b), (c))
    #define fa_poly_f32(a, b, c) __builtin_fmaf((a), (b), (c))
    #else
    /* A Horner step of a float64 polynomial (a constant added): rounded twice
       where there is no FMA.  The float64 polynomials' rounding errors stay far
       below the float64 bound (<= 4 ULP; measured on the baseline: see the
       tests), and the exact emulation (fa_fma_f64, _eft.pxd) costs ~20
       instructions a step. */
    #define fa_poly_f64(a, b, c) ((a) * (b) + (c))
    #define fa_poly_f32(a, b, c) ((a) * (b) + (c))
    #endif
    """
    int32_t fa_bits_f32(float x) nogil
    float fa_from_bits_f32(int32_t i) nogil
    int64_t fa_bits_f64(double x) nogil
    double fa_from_bits_f64(int64_t i) nogil
    double fa_poly_f64(double a, double b, double c) nogil
    float fa_poly_f32(float a, float b, float c) nogil
    int64_t fa_imin64(int64_t a, int64_t b) nogil
    int64_t fa_imax64(int64_t a, int64_t b) nogil


# 2^k for k in the normal exponent range (float32: -126..127, float64: -1022..1023).
cdef inline float _pow2i_f32(int32_t k) noexcept nogil:
    return fa_from_bits_f32((k + 127) << 23)

cdef inline double _pow2i_f64(int64_t k) noexcept nogil:
    return fa_from_bits_f64((k + 1023) << 52)


cdef inline int32_t _imin32(int32_t a, int32_t b) noexcept nogil:
    return a if a < b else b

cdef inline int32_t _imax32(int32_t a, int32_t b) noexcept nogil:
    return a if a > b else b

# (fa_imin64/fa_imax64: a select, or on SSE2 without SSE4.2's 64-bit compare
# the sign of a - b, so that float64 exponent clamps still vectorize there.)
cdef inline int64_t _imin64(int64_t a, int64_t b) noexcept nogil:
    return fa_imin64(a, b)

cdef inline int64_t _imax64(int64_t a, int64_t b) noexcept nogil:
    return fa_imax64(a, b)


# ===========================================================================
# exp(x)          v_exp, v_exp_neg (x <= 0), v_exp_split_lo, v_exp_kernel_f64
#   method   x = n ln2 + r, |r| <= ln2/2: n by the shifter trick, r by
#            Cody-Waite (ln2 in two parts, _reduce_f32/_f64); e^r = 1 + t,
#            t = r + r^2 q(r) (_expm1_kernel, shared with expm1); 2^n applied
#            as two normal powers of two s1 s2, so that a subnormal result
#            rounds once
#   degree   q: 4 (float32) / 10 (float64)
#   range    every x; clamped first to [-120, 89] (float32) / [-760, 710]
#            (float64): beyond, +0 / inf; NaN passes
#   max ULP  float32: 1.031 at x = -70.998886 (every float32 x <= 0), 1.015 at
#            15.625229 (2^24 random float32 in [0, 89]); float64: 0.974 at
#            480.04965 (2^22 uniform samples on [-708, 709] and on [-1, 1],
#            against np.longdouble).  Measured 2026-12-03 on the avx512 target
#            with its explicit SIMD off (fastact._dispatch.explicit_simd(False),
#            this formula), through celu_backward at alpha = 1 (x <= 0) and
#            alpha = -1 (x >= 0), which return e^x unchanged (grad = 1)
#   coeffs   python tools/gen_coeffs.py expm1 (q in exact arithmetic:
#            0.23 x 2^-24 / 0.003 x 2^-53 relative to e^r - 1); by hand:
#            log2(e), the shifters 1.5 x 2^23 / 2^52, ln2 = LN2_HI + LN2_LO
#            (LN2_HI with trailing zero bits: n LN2_HI is exact), the clamps
# ===========================================================================

# e^r - 1 = r + r^2 q(r) on |r| <= ln2/2: the kernel of exp and expm1.
# float32's q is one nested expression: on the x86-64 baseline, where
# fa_poly is a plain multiply-add, it is then evaluated in double (the
# literals are doubles) and rounded once, where the one-step-a-line form
# would round to float at each step (other bits: keep the form).
cdef inline float _expm1_kernel_f32(float r) noexcept nogil:
    cdef float q = fa_poly_f32(fa_poly_f32(fa_poly_f32(fa_poly_f32(
        0.0013870634138584137, r, 0.008366254158318043), r, 0.04166743531823158), r,
        0.1666654646396637), r, 0.4999999701976776)
    return fa_fma_f32(r * r, q, r)

cdef inline double _expm1_kernel_f64(double r) noexcept nogil:
    cdef double q = 2.0896046862099485e-09
    q = fa_poly_f64(q, r, 2.510863996370437e-08)
    q = fa_poly_f64(q, r, 2.7557322459166466e-07)
    q = fa_poly_f64(q, r, 2.7557245265586644e-06)
    q = fa_poly_f64(q, r, 2.4801587287347024e-05)
    q = fa_poly_f64(q, r, 0.0001984126988525573)
    q = fa_poly_f64(q, r, 0.0013888888888889572)
    q = fa_poly_f64(q, r, 0.008333333333321816)
    q = fa_poly_f64(q, r, 0.04166666666666669)
    q = fa_poly_f64(q, r, 0.16666666666666677)
    q = fa_poly_f64(q, r, 0.5)
    return fa_fma_f64(r * r, q, r)


# Range reduction x = n*ln2 + r, |r| <= ln2/2 (Cody-Waite, ln2 split in two:
# LN2_HI has trailing zero bits so n*LN2_HI is exact for |n| < 2^8 / 2^11 and the
# first fma is exact; the second rounds r once: |error| <= ulp(r)/2).
# Returns r, stores n.  x must be finite or NaN (callers clamp).
cdef inline float _reduce_f32(float x, int32_t* n) noexcept nogil:
    cdef float v = fa_poly_f32(x, 1.44269502162933349609375, 12582912.0)  # 0x1.8p23
    cdef float nf = v - <float>12582912.0
    n[0] = fa_bits_f32(v) - 0x4B400000
    return fa_fma_f32(nf, -1.428606765330187e-06, fa_fma_f32(nf, -0.693145751953125, x))

cdef inline double _reduce_f64(double x, int64_t* n) noexcept nogil:
    cdef double v = fa_poly_f64(x, 1.4426950408889634, 6755399441055744.0)  # 0x1.8p52
    cdef double nf = v - 6755399441055744.0
    n[0] = fa_bits_f64(v) - 0x4338000000000000LL
    return fa_fma_f64(nf, -1.9082149292705877e-10, fa_fma_f64(nf, -0.6931471803691238, x))


# p = e^r in [0.70, 1.42]; 2^n = s1 * s2 with s1 = 2^clamp(n, -64, 127) (p*s1 is
# normal, exact) and s2 = 2^(n - n1) in [2^-109, 2]: the one rounding into the
# subnormal range happens at the last multiply.  x is clamped first (NaN passes
# the clamps): above 89 every result overflows to inf, below -120 (-760) to +0
# (the clamp leaves room for callers that multiply e^x by up to ~2^20 before
# the last scaling).
cdef inline float v_exp_split_f32(float x, float* s2) noexcept nogil:
    cdef int32_t n, n1
    cdef float xc = <float>89 if x > <float>89 else (<float>-120 if x < <float>-120 else x)
    cdef float r = _reduce_f32(xc, &n)
    cdef float p = <float>1 + _expm1_kernel_f32(r)
    n1 = _imin32(_imax32(n, -64), 127)
    s2[0] = _pow2i_f32(n - n1)
    return p * _pow2i_f32(n1)

cdef inline float v_exp_f32(float x) noexcept nogil:
    cdef float s2
    cdef float e = v_exp_split_f32(x, &s2)
    return e * s2

# e^x for x <= 0 (every caller passes -|a|; NaN passes through) as an
# unevaluated sum e + lo (float32): p = 1 + u rounds by up to 2^-24
# relative; that error (exact, Fast2Sum) is returned in lo, scaled like e, so a
# caller that folds lo in sees only the kernel's 0.23 and the reduction's 0.25
# (2^-24 relative).  lo underflows harmlessly where e is subnormal.  x <= 0
# needs only the lower clamp and n <= 0 (7 instructions fewer than v_exp's
# two-sided clamps).
cdef inline float v_exp_split_lo_f32(float x, float* s2, float* lo) noexcept nogil:
    cdef int32_t n, n1
    cdef float xc = <float>-120 if x < <float>-120 else x
    cdef float u = _expm1_kernel_f32(_reduce_f32(xc, &n))
    cdef float p = <float>1 + u
    n1 = _imax32(n, -64)
    s2[0] = _pow2i_f32(n - n1)
    cdef float s1 = _pow2i_f32(n1)
    lo[0] = (u - (p - <float>1)) * s1
    return p * s1

# The float64 counterpart (no lo part: float64 callers need none), x <= 0.
cdef inline double v_exp_split_neg_f64(double x, double* s2) noexcept nogil:
    cdef int64_t n, n1
    cdef double xc = -760.0 if x < -760.0 else x
    cdef double p = 1.0 + _expm1_kernel_f64(_reduce_f64(xc, &n))
    n1 = _imax64(n, -512)
    s2[0] = _pow2i_f64(n - n1)
    return p * _pow2i_f64(n1)

cdef inline double v_exp_split_f64(double x, double* s2) noexcept nogil:
    cdef int64_t n, n1
    cdef double xc = 710.0 if x > 710.0 else (-760.0 if x < -760.0 else x)
    cdef double r = _reduce_f64(xc, &n)
    cdef double p = 1.0 + _expm1_kernel_f64(r)
    n1 = _imin64(_imax64(n, -512), 1023)
    s2[0] = _pow2i_f64(n - n1)
    return p * _pow2i_f64(n1)

cdef inline double v_exp_f64(double x) noexcept nogil:
    cdef double s2
    cdef double e = v_exp_split_f64(x, &s2)
    return e * s2

# e^x as above, also handing back the reduction x = n ln2 + r and u = e^r - 1:
# where n == 0 (|x| <= ln2/2), u IS expm1(x) (x passes through the reduction
# unchanged), so a caller needing expm1 near 0 and exp elsewhere (log_softmax's
# backward) evaluates one polynomial, not two.
cdef inline double v_exp_kernel_f64(double x, double* u, int64_t* n) noexcept nogil:
    cdef int64_t n1
    cdef double xc = 710.0 if x > 710.0 else (-760.0 if x < -760.0 else x)
    u[0] = _expm1_kernel_f64(_reduce_f64(xc, n))
    n1 = _imin64(_imax64(n[0], -512), 1023)
    return ((1.0 + u[0]) * _pow2i_f64(n1)) * _pow2i_f64(n[0] - n1)


# ===========================================================================
# expm1(x) = e^x - 1, accurate near 0 (elu, celu, selu, softplus from y)
#                                                  v_expm1, v_expm1_neg (x <= 0)
#   method   the reduction and kernel of exp: e^x - 1 = 2^n (1 + t) - 1 =
#            fma(2^n, t, 2^n - 1), t = e^r - 1 (n = 0: t itself, exact
#            pass-through of tiny and subnormal x); 2^n - 1 is exact for the
#            n that matter; n = 128 (1024) is reached as 2 * (2^127 ...)
#   degree   q: 4 (float32) / 10 (float64), exp's
#   range    every x; clamped to [-25, 89] (float32) / [-40, 710] (float64):
#            below, -1; above, inf; +-0 and NaN pass through
#   max ULP  float32: 0.945 at x = -0.3955549 (every float32 x <= 0: elu
#            forward at alpha = 1, ACCURACY.md), 1.505 at 0.3912059 (x >= 0;
#            2^24 random float32 in [0, 89]);
#            float64: 1.808 at 0.36296809 (2^22 uniform samples on [-40, 709]
#            and on [-1, 1], against np.longdouble).  Measured as exp's card
#            says, through logsigmoid_backward from y (-expm1(y), unchanged);
#            largest just above ln2/2, where n = 1 doubles t's rounding
#   coeffs   python tools/gen_coeffs.py expm1 (exp's)
# ===========================================================================
cdef inline float v_expm1_f32(float x) noexcept nogil:
    cdef int32_t n, nc
    cdef float xc = <float>89 if x > <float>89 else (<float>-25 if x < <float>-25 else x)
    cdef float t = _expm1_kernel_f32(_reduce_f32(xc, &n))
    nc = _imin32(n, 127)
    cdef float s = _pow2i_f32(nc)
    # x = -0 would come back as +0 from the polynomial: pass zeros through
    return x if x == <float>0 else fa_fma_f32(s, t, s - <float>1) * _pow2i_f32(n - nc)

cdef inline double v_expm1_f64(double x) noexcept nogil:
    cdef int64_t n, nc
    cdef double xc = 710.0 if x > 710.0 else (-40.0 if x < -40.0 else x)
    cdef double t = _expm1_kernel_f64(_reduce_f64(xc, &n))
    nc = _imin64(n, 1023)
    cdef double s = _pow2i_f64(nc)
    return x if x == 0 else fa_fma_f64(s, t, s - 1.0) * _pow2i_f64(n - nc)

# expm1 for x <= 0 (or NaN): elu/selu's negative side.  Only the lower clamp,
# and 2^n (n >= -37 / -58) is one normal power of two: the same operations as
# v_expm1 on these arguments (bitwise the same results), 6-8 instructions fewer.
cdef inline float v_expm1_neg_f32(float x) noexcept nogil:
    cdef int32_t n
    cdef float xc = <float>-25 if x < <float>-25 else x
    cdef float t = _expm1_kernel_f32(_reduce_f32(xc, &n))
    cdef float s = _pow2i_f32(n)
    return x if x == <float>0 else fa_fma_f32(s, t, s - <float>1)

cdef inline double v_expm1_neg_f64(double x) noexcept nogil:
    cdef int64_t n
    cdef double xc = -40.0 if x < -40.0 else x
    cdef double t = _expm1_kernel_f64(_reduce_f64(xc, &n))
    cdef double s = _pow2i_f64(n)
    return x if x == 0 else fa_fma_f64(s, t, s - 1.0)


# ===========================================================================
# log1p(u)                          v_log1p_lo (u + u_lo, float32), v_log1p_f64
#   method   m = 1 + u rounded, c = the rounding error of that sum (exact:
#            Fast2Sum), m = 2^k f with f in [sqrt(1/2), sqrt(2)) (integer
#            arithmetic on the bits), g = f - 1 (exact); log1p(u) = k ln2 +
#            log(1 + g) + c/m, log(1 + g) = g - g^2/2 + g^3 P(g)
#   degree   P: 7 (float32) / 17 (float64)
#   range    u >= -1 (u in [0, 1] is what softplus / logsigmoid pass);
#            u = -1 -> -inf, u < -1 -> NaN, u = inf -> inf, NaN -> NaN
#   max ULP  not measured alone (no kernel returns it unchanged): through
#            logsigmoid and softplus forward, 1.472 ULP float32 over every
#            input (ACCURACY.md; that includes exp's error, carried into
#            u_lo); float64 in tests/ (<= 4 ULP contract)
#   coeffs   python tools/gen_coeffs.py log1p (P in exact arithmetic:
#            0.1 x 2^-24 / 0.47 x 2^-53 relative to log(1 + g)); by hand:
#            the bits of sqrt(1/2), ln2 = LN2_HI + LN2_LO as in exp
# ===========================================================================
cdef inline float _log1p_poly_f32(float g) noexcept nogil:
    cdef float P = -0.07636934518814087
    P = fa_poly_f32(P, g, 0.12762539088726044)
    P = fa_poly_f32(P, g, -0.13159574568271637)
    P = fa_poly_f32(P, g, 0.14201536774635315)
    P = fa_poly_f32(P, g, -0.166234090924263)
    P = fa_poly_f32(P, g, 0.2000124305486679)
    P = fa_poly_f32(P, g, -0.2500081956386566)
    P = fa_poly_f32(P, g, 0.3333333134651184)
    return fa_fma_f32(g * g, fa_poly_f32(g, P, -0.5), g)

cdef inline double _log1p_poly_f64(double g) noexcept nogil:
    cdef double P = -0.028302254596814264
    P = fa_poly_f64(P, g, 0.06321993809757873)
    P = fa_poly_f64(P, g, -0.06783056642039362)
    P = fa_poly_f64(P, g, 0.059731214193066255)
    P = fa_poly_f64(P, g, -0.06042387139473418)
    P = fa_poly_f64(P, g, 0.06622003793265469)
    P = fa_poly_f64(P, g, -0.07160108473007387)
    P = fa_poly_f64(P, g, 0.07697638883901833)
    P = fa_poly_f64(P, g, -0.08332559921083746)
    P = fa_poly_f64(P, g, 0.09090589479035635)
    P = fa_poly_f64(P, g, -0.10000018115359231)
    P = fa_poly_f64(P, g, 0.11111121727765601)
    P = fa_poly_f64(P, g, -0.1249999982005346)
    P = fa_poly_f64(P, g, 0.1428571409462928)
    P = fa_poly_f64(P, g, -0.16666666666672686)
    P = fa_poly_f64(P, g, 0.2000000000164607)
    P = fa_poly_f64(P, g, -0.2500000000000651)
    P = fa_poly_f64(P, g, 0.3333333333332855)
    return fa_fma_f64(g * g, fa_poly_f64(g, P, -0.5), g)

# log1p(u + u_lo) for an unevaluated sum (|u_lo| <= ulp(u)): u_lo joins the
# rounding error c of 1 + u, which enters as c/m (first order is exact enough:
# (c/m)^2 < 2^-48).
cdef inline float v_log1p_lo_f32(float u, float u_lo) noexcept nogil:
    cdef float m = <float>1 + u
    # Fast2Sum error term, in the order that makes it exact (|big| >= |small|).
    cdef float c = ((<float>1 - (m - u)) if u > <float>1 else (u - (m - <float>1))) + u_lo
    # Pick the binade so that f = m 2^-k lands in [sqrt(1/2), sqrt(2)):
    # 0x3f3504f3 = bits of sqrt(1/2).
    cdef int32_t ib = fa_bits_f32(m) - 0x3f3504f3
    cdef int32_t k = ib >> 23
    cdef float f = fa_from_bits_f32((ib & 0x007fffff) + 0x3f3504f3)
    cdef float kf = <float>k
    # ln2 = LN2_HI + LN2_LO, LN2_HI with 12 trailing zero bits: k*LN2_HI exact.
    cdef float res = fa_fma_f32(kf, 0.693145751953125, fa_fma_f32(
        kf, 1.428606765330187e-06, _log1p_poly_f32(f - <float>1) + c / m))
    res = res if m < <float>3.4028234663852886e+38 else m      # u = +inf (and huge u: m = inf only at inf)
    res = res if u > <float>-1 else (-INFINITY if u == <float>-1 else (u - u) / (u - u))
    return res if u == u else u

cdef inline double v_log1p_f64(double u) noexcept nogil:
    cdef double m = 1.0 + u
    cdef double c = (1.0 - (m - u)) if u > 1.0 else (u - (m - 1.0))
    cdef int64_t ib = fa_bits_f64(m) - 0x3fe6a09e667f3bcdLL
    cdef double f = fa_from_bits_f64((ib & 0x000fffffffffffffLL) + 0x3fe6a09e667f3bcdLL)
    # kf = k = ib >> 52 (arithmetic), as a double.  Neither a 64-bit arithmetic
    # shift nor an int64 -> double conversion exists below AVX-512, and either
    # stops GCC vectorizing for AVX2/SSE2; so: a logical shift of ib + 2^62
    # (k + 1024 >= 0 wherever the result is used), and the shifter trick
    # (bits of 1.5 * 2^52 + j, minus 1.5 * 2^52, is j exactly for |j| < 2^51).
    cdef int64_t k1024 = <int64_t>((<uint64_t>ib + (<uint64_t>1 << 62)) >> 52)
    cdef double kf = (fa_from_bits_f64(k1024 + 0x4338000000000000LL)
                      - 6755399441055744.0) - 1024.0
    cdef double res = fa_fma_f64(kf, 0.6931471803691238, fa_fma_f64(
        kf, 1.9082149292705877e-10, _log1p_poly_f64(f - 1.0) + c / m))
    res = res if m < 1.7976931348623157e+308 else m
    res = res if u > -1.0 else (-INFINITY if u == -1.0 else (u - u) / (u - u))
    return res if u == u else u


# ===========================================================================
# tanh(x)                               v_tanh, v_tanh_tail (2 / (e^(2a) + 1))
#   method   |x| < 0.625: x + x^3 P(x^2); else sign(x) (1 - 2 / (e^(2|x|) + 1))
#            through exp's reduction and kernel: from 0.625 up 2 / (e^2|x| + 1)
#            < 0.45, so its rounding errors reach the result scaled down;
#            e^(2|x|) = inf gives 1; tanh(-0) = -0
#   degree   P: 4 (float32) / 10 (float64) in s = x^2
#   range    every x; NaN passes
#   max ULP  float32: 1.332 at x = 0.6310442 (every float32 input, tanh
#            forward: ACCURACY.md); float64: 1.334 at 0.63021737 (2^22 uniform
#            samples on [-20, 20] and on [-1, 1], against np.longdouble; as
#            exp's card says); both just above the switch at 0.625
#   coeffs   python tools/gen_coeffs.py tanh (P in exact arithmetic, relative
#            to tanh); by hand: the switch at 0.625, the tail's clamp at 44
# ===========================================================================
cdef inline float _tanh_poly_f32(float x) noexcept nogil:
    cdef float s = x * x
    cdef float P = -0.00569590087980032
    P = fa_poly_f32(P, s, 0.02063087746500969)
    P = fa_poly_f32(P, s, -0.05373714864253998)
    P = fa_poly_f32(P, s, 0.1333141028881073)
    P = fa_poly_f32(P, s, -0.3333328068256378)
    return fa_fma_f32(x * s, P, x)

cdef inline double _tanh_poly_f64(double x) noexcept nogil:
    cdef double s = x * x
    cdef double P = -1.60717463266683e-05
    P = fa_poly_f64(P, s, 7.714258113998995e-05)
    P = fa_poly_f64(P, s, -0.00022856253236295214)
    P = fa_poly_f64(P, s, 0.0005863156439083917)
    P = fa_poly_f64(P, s, -0.0014549585788830876)
    P = fa_poly_f64(P, s, 0.0035919891091903376)
    P = fa_poly_f64(P, s, -0.008863220993570875)
    P = fa_poly_f64(P, s, 0.021869487575292317)
    P = fa_poly_f64(P, s, -0.053968253931225584)
    P = fa_poly_f64(P, s, 0.13333333333261976)
    P = fa_poly_f64(P, s, -0.33333333333332854)
    return fa_fma_f64(x * s, P, x)

# 2 / (e^(2a) + 1) for a = |x| (>= 0): the "1 - tanh" tail, shared by tanh,
# tanhshrink and the tanh-form gelu.
# float32: a >= 0 needs neither exp's overflow nor its subnormal handling: a is
# clamped at 44 (e^88 < 2^127, so 2^n is one normal power of two; beyond 44 the
# tail is below 2^-125 and only ever added to numbers >= 1/2).
cdef inline float v_tanh_tail_f32(float a) noexcept nogil:
    cdef int32_t n
    cdef float ac = <float>44 if a > <float>44 else a
    cdef float p = <float>1 + _expm1_kernel_f32(_reduce_f32(ac + ac, &n))
    return <float>2 / (p * _pow2i_f32(n) + <float>1)

cdef inline double v_tanh_tail_f64(double a) noexcept nogil:
    return 2.0 / (v_exp_f64(a + a) + 1.0)

cdef inline float v_tanh_f32(float x) noexcept nogil:
    cdef float a = fa_abs(x)
    cdef float big = fa_copysign(<float>1 - v_tanh_tail_f32(a), x)
    # the odd polynomial on |x|, sign from x: tanh(-0) = -0
    return fa_copysign(_tanh_poly_f32(a), x) if a < <float>0.625 else big

cdef inline double v_tanh_f64(double x) noexcept nogil:
    cdef double a = fa_abs(x)
    cdef double big = fa_copysign(1.0 - v_tanh_tail_f64(a), x)
    return fa_copysign(_tanh_poly_f64(a), x) if a < 0.625 else big


# ---------------------------------------------------------------------------
# Fused wrappers used by the formulas (_exponential.pxd).
# ---------------------------------------------------------------------------
cdef inline floating v_exp(floating x) noexcept nogil:
    if floating is float:
        return v_exp_f32(x)
    else:
        return v_exp_f64(x)

# float64 carries no low part (its exp is within 1 ULP, well inside the 4 ULP bound):
# lo = 0 and v_log1p_lo ignores it.
# Both: x <= 0 (or NaN) only.
cdef inline floating v_exp_split_lo(floating x, floating* s2, floating* lo) noexcept nogil:
    if floating is float:
        return v_exp_split_lo_f32(x, s2, lo)
    else:
        lo[0] = 0
        return v_exp_split_neg_f64(x, s2)

cdef inline floating v_log1p_lo(floating u, floating u_lo) noexcept nogil:
    if floating is float:
        return v_log1p_lo_f32(u, u_lo)
    else:
        return v_log1p_f64(u)

cdef inline floating v_expm1(floating x) noexcept nogil:
    if floating is float:
        return v_expm1_f32(x)
    else:
        return v_expm1_f64(x)

cdef inline floating v_expm1_neg(floating x) noexcept nogil:
    if floating is float:
        return v_expm1_neg_f32(x)
    else:
        return v_expm1_neg_f64(x)

# e^x for x <= 0 (or NaN), through the exp front that clamps only below.
cdef inline floating v_exp_neg(floating x) noexcept nogil:
    cdef floating s2, lo
    return v_exp_split_lo(x, &s2, &lo) * s2

cdef inline floating v_tanh(floating x) noexcept nogil:
    if floating is float:
        return v_tanh_f32(x)
    else:
        return v_tanh_f64(x)

cdef inline floating v_tanh_tail(floating a) noexcept nogil:
    if floating is float:
        return v_tanh_tail_f32(a)
    else:
        return v_tanh_tail_f64(a)


# ===========================================================================
# e^x as a high + low pair (gelu, gelu_tanh, mish)                  v_exp_hilo
#   gelu, gelu_tanh and mish chain e^x through products, sums and a quotient;
#   rounded at each step, that chain costs 4-7 ULP in float32.  Carried as
#   unevaluated sums hi + lo (pair arithmetic, _eft.pxd), only the last
#   rounding and this exp's own (tiny) error remain.
#   method   exp's reduction, plus r's own rounding error r_lo (the second
#            Cody-Waite step's residual, by fma), folded in as e^r r_lo;
#            e^r = 1 + r + r^2/2 + r^3 q(r), 1 + r + r^2/2 summed exactly
#            (Fast2Sum twice: |r| >= r^2/2 and 1 > |r + r^2/2|), so r^3 q
#            (< 0.008) and r^2's rounding error enter only as small corrections
#   degree   q: 4 (float32) / 9 (float64)
#   range    every x; clamped to [-120, 89] (float32) / [-760, 710]
#            (float64), where the callers select the limits; NaN passes
#   max err  hi + lo: below 0.04 x 2^-24 (float32) / 0.05 x 2^-53 (float64)
#            relative, against mpmath on 2^20 samples; hi alone within
#            0.51 ULP (hi + lo is renormalized)
#   coeffs   python tools/gen_coeffs.py exp_hilo (q in exact arithmetic:
#            0.0016 x 2^-24 / 0.0065 x 2^-53 relative to e^r)
# ===========================================================================
cdef inline float _exp_hilo_q_f32(float r) noexcept nogil:
    cdef float q = 0.00019740253628697246
    q = fa_poly_f32(q, r, 0.0013935079332441092)
    q = fa_poly_f32(q, r, 0.008333570323884487)
    q = fa_poly_f32(q, r, 0.041666463017463684)
    return fa_poly_f32(q, r, 0.1666666567325592)

cdef inline double _exp_hilo_q_f64(double r) noexcept nogil:
    cdef double q = 2.0838476263637057e-09
    q = fa_poly_f64(q, r, 2.5111237952875718e-08)
    q = fa_poly_f64(q, r, 2.755752616650092e-07)
    q = fa_poly_f64(q, r, 2.7557237479110987e-06)
    q = fa_poly_f64(q, r, 2.4801587025575785e-05)
    q = fa_poly_f64(q, r, 0.00019841269893316216)
    q = fa_poly_f64(q, r, 0.001388888888903325)
    q = fa_poly_f64(q, r, 0.00833333333331854)
    q = fa_poly_f64(q, r, 0.04166666666666641)
    return fa_poly_f64(q, r, 0.1666666666666668)

# e^x = (hi + lo) * s2.  Scaling as in v_exp_split_f32/_f64: hi, lo are normal
# (hi >= 2^-65 / 2^-513), s2 = 2^(n - n1) applied last so that subnormal
# results round once.  Clamps: x > 89 (710) -> e^89 (e^710) * 2, x < -120
# (-760) -> e^-120 (e^-760).
cdef inline float v_exp_hilo_f32(float x, float* lo, float* s2) noexcept nogil:
    cdef int32_t n, n1
    cdef float xc = <float>89 if x > <float>89 else (<float>-120 if x < <float>-120 else x)
    cdef float v = fa_poly_f32(xc, 1.44269502162933349609375, 12582912.0)  # 0x1.8p23
    cdef float nf = v - <float>12582912.0
    n = fa_bits_f32(v) - 0x4B400000
    cdef float t = fa_fma_f32(nf, -0.693145751953125, xc)               # exact
    cdef float r = fa_fma_f32(nf, -1.428606765330187e-06, t)
    cdef float r_lo = fa_fma_f32(nf, -1.428606765330187e-06, t - r)
    cdef float r2 = r * r
    cdef float h = <float>0.5 * r2
    cdef float c = fa_fma_f32(<float>0.5, fa_fma_f32(r, r, -r2), r2 * (r * _exp_hilo_q_f32(r)))
    cdef float s = r + h
    cdef float e1 = h - (s - r)
    cdef float p = <float>1 + s
    cdef float p_lo = fa_fma_f32(r_lo, p, (s - (p - <float>1)) + (e1 + c))
    # renormalize (Fast2Sum): p_lo holds r^3 q, up to 2^-7
    cdef float ph = p + p_lo
    p_lo = p_lo - (ph - p)
    n1 = _imin32(_imax32(n, -64), 127)
    s2[0] = _pow2i_f32(n - n1)
    cdef float s1 = _pow2i_f32(n1)
    lo[0] = p_lo * s1
    return ph * s1

cdef inline double v_exp_hilo_f64(double x, double* lo, double* s2) noexcept nogil:
    cdef int64_t n, n1
    cdef double xc = 710.0 if x > 710.0 else (-760.0 if x < -760.0 else x)
    cdef double v = fa_poly_f64(xc, 1.4426950408889634, 6755399441055744.0)  # 0x1.8p52
    cdef double nf = v - 6755399441055744.0
    n = fa_bits_f64(v) - 0x4338000000000000LL
    cdef double t = fa_fma_f64(nf, -0.6931471803691238, xc)
    cdef double r = fa_fma_f64(nf, -1.9082149292705877e-10, t)
    cdef double r_lo = fa_fma_f64(nf, -1.9082149292705877e-10, t - r)
    cdef double r2 = r * r
    cdef double h = 0.5 * r2
    cdef double c = fa_fma_f64(0.5, fa_fma_f64(r, r, -r2), r2 * (r * _exp_hilo_q_f64(r)))
    cdef double s = r + h
    cdef double e1 = h - (s - r)
    cdef double p = 1.0 + s
    cdef double p_lo = fa_fma_f64(r_lo, p, (s - (p - 1.0)) + (e1 + c))
    # renormalize (Fast2Sum): p_lo holds r^3 q, up to 2^-7
    cdef double ph = p + p_lo
    p_lo = p_lo - (ph - p)
    n1 = _imin64(_imax64(n, -512), 1023)
    s2[0] = _pow2i_f64(n - n1)
    cdef double s1 = _pow2i_f64(n1)
    lo[0] = p_lo * s1
    return ph * s1

cdef inline floating v_exp_hilo(floating x, floating* lo, floating* s2) noexcept nogil:
    if floating is float:
        return v_exp_hilo_f32(x, lo, s2)
    else:
        return v_exp_hilo_f64(x, lo, s2)
