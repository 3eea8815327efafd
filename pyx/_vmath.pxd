# fastact's vectorizable math layer: exp, expm1, log1p, tanh (and the pieces the
# exponential family builds on) for float32 and float64.
#
# Why not libm: a call to expf/tanhf per element stops GCC from vectorizing the
# loop.  Everything here is inline, branch-free (selects, which GCC if-converts
# into masked AVX-512 / blend instructions) and call-free, so the kernels'
# contiguous loops compile to packed zmm code (check: objdump -d on
# fastact/_kernels*.so shows no call to exp/expf/log1p/tanh inside _k_* loops).
#
# Conventions
# * Each function exists as _f32 (computes in float32 only: float32 is never
#   widened to double) and _f64, plus a fused wrapper (v_exp, ...) for the
#   formulas in _exponential.pxd.
# * fma() is written out (fa_fma: one vfmadd instruction on targets with FMA,
#   a vectorizable emulation, exact where it matters, on the x86-64 baseline)
#   wherever the result depends on it, so the SIMD body and the scalar
#   remainder of a loop round identically (bitwise determinism).
# * Powers of two are built by integer arithmetic on the bit pattern (memcpy bit
#   casts below; GCC turns them into register moves).  The integer n of a range
#   reduction is read from the low mantissa bits of x*log2(e) + 1.5*2^p (the
#   "shifter" trick), so no float->int conversion of NaN/inf ever happens.
# * Specials are explicit selects: NaN in -> NaN out, +-inf -> the limit,
#   overflow -> inf, underflow -> gradual (subnormal results are rounded once or,
#   where stated, twice: at most 1 subnormal ULP off).  No flush-to-zero.
#
# Coefficients: tools/gen_coeffs.py (near-minimax by Lawson's algorithm in
# 60-digit mpmath, rounded to the target type one coefficient at a time).  The
# "max error" quoted for each function is measured in float arithmetic against
# mpmath / float64 (fastact/accuracy.py, tests/test_exponential.py): for float32
# over every float32 input, for float64 on dense samples vs np.longdouble.

from cython cimport floating
from libc.stdint cimport int32_t, int64_t, uint64_t
from _scalar cimport INFINITY, fa_abs, fa_copysign, fa_by_dtype

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
    /* One instruction where the target has FMA (x86-64-v3+, AArch64). */
    #define fa_fma_f32(a, b, c) __builtin_fmaf((a), (b), (c))
    #define fa_fma_f64(a, b, c) __builtin_fma((a), (b), (c))
    #define fa_poly_f64(a, b, c) __builtin_fma((a), (b), (c))
    #define fa_poly_f32(a, b, c) __builtin_fmaf((a), (b), (c))
    #else
    /* A Horner step of a float64 polynomial (a constant added): rounded twice
       where there is no FMA.  The float64 polynomials' rounding errors stay far
       below the float64 bound (<= 4 ULP; measured on the baseline: see the
       tests), and the exact emulation below costs ~20 instructions a step. */
    #define fa_poly_f64(a, b, c) ((a) * (b) + (c))
    #define fa_poly_f32(a, b, c) ((a) * (b) + (c))
    /* No hardware FMA (the x86-64 baseline).  libm's fma would be a call per
       element (no vectorizing, ~50x slower), so fma is emulated with plain
       arithmetic that vectorizes, exact where the math layer needs it exact:
       * float32: a*b is exact in double (24 + 24 bits < 53), so one double
         multiply-add rounded to float is fma(a, b, c) but for double rounding
         (the sum rounds to double, then to float: off by one float ULP only
         when it lands within 2^-29 ULP of a tie).  Error-free products
         fma(a, b, -fl(a*b)) are exact: the error fits in a float.
       * float64: Dekker's TwoProduct (Veltkamp's split, 2^27 + 1) gives a*b =
         p + e exactly, Knuth's TwoSum p + c = s + t exactly; the result
         s + (t + e) is within one ULP of fma and exact for error-free
         products (s = t = 0).  Where the split overflows (|a| or |b| > 2^996)
         or an operand or the result is inf/NaN, the plain a*b + c. */
    #if defined(__GNUC__)
    #  define FA_ALWAYS_INLINE inline __attribute__((always_inline))
    #else
    #  define FA_ALWAYS_INLINE inline
    #endif
    static FA_ALWAYS_INLINE float fa_fma_f32(float a, float b, float c) {
        return (float)((double)a * (double)b + (double)c);
    }
    static FA_ALWAYS_INLINE double fa_fma_f64(double a, double b, double c) {
        double p = a * b;
        double sa = a * 134217729.0, sb = b * 134217729.0;
        double ah = sa - (sa - a), al = a - ah;
        double bh = sb - (sb - b), bl = b - bh;
        double e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
        double s = p + c;
        double v = s - p;
        double t = (p - (s - v)) + (c - v);
        double r = s + (t + e);
        return r - r == 0.0 ? r : s;   /* one select: && would branch */
    }
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
    float fa_fma_f32(float a, float b, float c) nogil
    double fa_fma_f64(double a, double b, double c) nogil


cdef inline floating fa_fma(floating a, floating b, floating c) noexcept nogil:
    if floating is float:
        return fa_fma_f32(a, b, c)
    else:
        return fa_fma_f64(a, b, c)


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


# ---------------------------------------------------------------------------
# e^r - 1 on |r| <= ln2/2 (the kernel of exp and expm1)
#   r + r^2 q(r), q minimax of degree 4 (float32) / 10 (float64); polynomial
#   error 0.23 * 2^-24 / 0.003 * 2^-53 relative to e^r - 1 (gen_coeffs.py expm1).
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# exp(x)
#   float32: max 0.52 ULP (normal results), subnormal results rounded once.
#   float64: max 0.51 ULP.
# p = e^r in [0.70, 1.42]; 2^n = s1 * s2 with s1 = 2^clamp(n, -64, 127) (p*s1 is
# normal, exact) and s2 = 2^(n - n1) in [2^-109, 2]: the one rounding into the
# subnormal range happens at the last multiply.  x is clamped first (NaN passes
# the clamps): above 89 every result overflows to inf, below -120 (-760) to +0 (the clamp leaves room for
# callers that multiply e^x by up to ~2^20 before the last scaling).
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# expm1(x) = e^x - 1, accurate near 0 (elu, celu, selu, softplus from y).
#   e^x - 1 = 2^n (1 + t) - 1 = fma(2^n, t, 2^n - 1), t = e^r - 1 (n = 0: t
#   itself, exact pass-through of tiny and subnormal x).  2^n - 1 is exact for
#   the n that matter; x < -25 (-40) gives -1, x > 89 (710) gives inf; n = 128
#   (1024) is reached as 2 * (2^127 ...).
#   float32: max 1.0 ULP; float64: max 1.0 ULP (measured, see module header).
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# log1p(u), u >= -1 (u in [0, 1] is what softplus/logsigmoid pass).
#   m = 1 + u rounded, c = the rounding error of that sum (exact: Fast2Sum),
#   m = 2^k f with f in [sqrt(1/2), sqrt(2)), g = f - 1 (exact),
#   log1p(u) = k ln2 + log(1 + g) + c/m, log(1 + g) = g - g^2/2 + g^3 P(g),
#   P minimax of degree 7 / 17 (gen_coeffs.py log1p: 0.1 * 2^-24 / 0.47 * 2^-53).
#   u = -1 -> -inf, u < -1 -> NaN, u = inf -> inf, NaN -> NaN (selects below).
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# tanh(x)
#   |x| < 0.625: x + x^3 P(x^2), P minimax of degree 4 / 10 (gen_coeffs.py tanh).
#   else: sign(x) (1 - 2 / (e^(2|x|) + 1)); from 0.625 up, 2/(e^2|x| + 1) < 0.45, so
#   its rounding errors reach the result scaled down; e^(2|x|) = inf gives 1.
#   float32: max 1.33 ULP (every input with 2^-32 <= |x| < 2^8, ACCURACY.md);
#   float64: max 1.2 ULP.
# ---------------------------------------------------------------------------
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

# x - tanh(x) = x^3 P(x^2) for |x| < 1 (tanhshrink without cancellation near 0):
# P minimax of degree 7 / 16 (gen_coeffs.py tanhshrink: 0.5 * 2^-24 / 0.5 * 2^-53).
cdef inline float _tanhshrink_small_f32(float x) noexcept nogil:
    cdef float s = x * x
    cdef float P = -0.00020674848929047585
    P = fa_poly_f32(P, s, 0.0011528945760801435)
    P = fa_poly_f32(P, s, -0.003531638765707612)
    P = fa_poly_f32(P, s, 0.008927462622523308)
    P = fa_poly_f32(P, s, -0.021913647651672363)
    P = fa_poly_f32(P, s, 0.05397828668355942)
    P = fa_poly_f32(P, s, -0.13333411514759064)
    # the last Horner step's rounding (up to 2^-24 relative, near 1 ULP of the
    # result at |x| = 0.77) is kept as P_lo: 1/3 - P is exact (Sterbenz, P in
    # [0.23, 1/3]), so P_lo = the residual P' s + 1/3 - P, rounded once.
    cdef float P1 = P
    P = fa_poly_f32(P1, s, 0.3333333432674408)
    cdef float P_lo = fa_fma_f32(P1, s, <float>0.3333333432674408 - P)
    # x^3 to ~2^-48: s and c = x*s carry their rounding errors (fma), so the
    # only roundings left are the polynomial's and the final one.
    cdef float s_lo = fa_fma_f32(x, x, -s)
    cdef float c = x * s
    cdef float c_lo = fa_fma_f32(x, s, -c) + x * s_lo
    return fa_fma_f32(c, P, fa_fma_f32(c, P_lo, c_lo * P))

cdef inline double _tanhshrink_small_f64(double x) noexcept nogil:
    cdef double s = x * x
    cdef double P = -2.4505561642485922e-08
    P = fa_poly_f64(P, s, 1.7191226375188667e-07)
    P = fa_poly_f64(P, s, -4.5506185784055745e-07)
    P = fa_poly_f64(P, s, 1.9082128979713024e-07)
    P = fa_poly_f64(P, s, 2.695033280443028e-06)
    P = fa_poly_f64(P, s, -1.2245942397513676e-05)
    P = fa_poly_f64(P, s, 3.662878184228754e-05)
    P = fa_poly_f64(P, s, -9.549891826597201e-05)
    P = fa_poly_f64(P, s, 0.00023856950185285625)
    P = fa_poly_f64(P, s, -0.0005898658303040623)
    P = fa_poly_f64(P, s, 0.001455800964197822)
    P = fa_poly_f64(P, s, -0.0035921232476162834)
    P = fa_poly_f64(P, s, 0.0088632350783729)
    P = fa_poly_f64(P, s, -0.021869488510347965)
    P = fa_poly_f64(P, s, 0.053968253967477266)
    P = fa_poly_f64(P, s, -0.13333333333332406)
    P = fa_poly_f64(P, s, 0.3333333333333333)
    cdef double s_lo = fa_fma_f64(x, x, -s)
    cdef double c = x * s
    cdef double c_lo = fa_fma_f64(x, s, -c) + x * s_lo
    return fa_fma_f64(c, P, c_lo * P)

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

# float64 carries no low part (its exp is 0.51 ULP, well inside the 4 ULP bound):
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

cdef inline floating v_tanhshrink_small(floating x) noexcept nogil:
    if floating is float:
        return _tanhshrink_small_f32(x)
    else:
        return _tanhshrink_small_f64(x)


# ---------------------------------------------------------------------------
# silu'(a) = sigma(a) (1 + a (1 - sigma(a))) near its root a0 = -1.27846454276...,
# where the general formula cancels: d Q(d), d = (a - a0_hi) - a0_lo (a - a0_hi is
# exact by Sterbenz on most of the window), Q minimax of degree 12 on |d| <= 1
# (float32) / 18 on |d| <= 0.5 (float64) (gen_coeffs.py silu_root: 0.16 * 2^-24 /
# 0.17 * 2^-53).  Callers select it where |d| < the window (v_silu_root_window).
# ---------------------------------------------------------------------------
cdef inline float _silu_deriv_root_f32(float a, float* d_out) noexcept nogil:
    cdef float d = (a - <float>-1.2784645557403564) - <float>1.2979282537628478e-08
    cdef float Q = -1.118882551054412e-06
    Q = fa_poly_f32(Q, d, 3.1226229566527763e-06)
    Q = fa_poly_f32(Q, d, 3.2961213491944363e-06)
    Q = fa_poly_f32(Q, d, -3.1882140319794416e-05)
    Q = fa_poly_f32(Q, d, -4.8779849748825654e-05)
    Q = fa_poly_f32(Q, d, 0.000187661440577358)
    Q = fa_poly_f32(Q, d, 0.0008031870238482952)
    Q = fa_poly_f32(Q, d, 0.0001259076816495508)
    Q = fa_poly_f32(Q, d, -0.00660784961655736)
    Q = fa_poly_f32(Q, d, -0.015222559683024883)
    Q = fa_poly_f32(Q, d, 0.018874939531087875)
    Q = fa_poly_f32(Q, d, 0.14664879441261292)
    Q = fa_poly_f32(Q, d, 0.2178117036819458)
    d_out[0] = d
    return d * Q

cdef inline double _silu_deriv_root_f64(double a, double* d_out) noexcept nogil:
    cdef double d = (a - -1.2784645427610737) - -1.0946994183093437e-16
    cdef double Q = -8.928067234793185e-08
    Q = fa_poly_f64(Q, d, 1.385092260858641e-08)
    Q = fa_poly_f64(Q, d, 1.097470286416874e-07)
    Q = fa_poly_f64(Q, d, -2.982257100874969e-08)
    Q = fa_poly_f64(Q, d, -1.4417646921938626e-07)
    Q = fa_poly_f64(Q, d, -2.6089509713270162e-08)
    Q = fa_poly_f64(Q, d, 8.735940439287299e-07)
    Q = fa_poly_f64(Q, d, 2.345097497083734e-06)
    Q = fa_poly_f64(Q, d, -2.944734264319593e-06)
    Q = fa_poly_f64(Q, d, -2.9733432654280957e-05)
    Q = fa_poly_f64(Q, d, -4.090515163029332e-05)
    Q = fa_poly_f64(Q, d, 0.00018570723651299738)
    Q = fa_poly_f64(Q, d, 0.0007985218721102701)
    Q = fa_poly_f64(Q, d, 0.00012662741031514046)
    Q = fa_poly_f64(Q, d, -0.006606589138107912)
    Q = fa_poly_f64(Q, d, -0.015222655223191276)
    Q = fa_poly_f64(Q, d, 0.018874814223779863)
    Q = fa_poly_f64(Q, d, 0.1466487969969469)
    Q = fa_poly_f64(Q, d, 0.2178117057198001)
    d_out[0] = d
    return d * Q

cdef inline floating v_silu_root_window(floating a) noexcept nogil:
    return fa_by_dtype(a, 1, 0.5)

cdef inline floating v_silu_deriv_root(floating a, floating* d) noexcept nogil:
    if floating is float:
        return _silu_deriv_root_f32(a, d)
    else:
        return _silu_deriv_root_f64(a, d)


# ===========================================================================
# gelu and mish: the polynomials of their small-argument, tail and root forms.
# Written so that the float32 versions never touch double: every literal below
# is cast or passed to a float32 fma (check: python tools/check_simd.py).
# Coefficients: python tools/gen_coeffs.py gelu_small gelu_dsmall gelu_tail
# gelu_root gelu_tanh_root mish_root (Lawson near-minimax, as above).  Errors
# quoted are of the polynomial in exact arithmetic; the measured errors of
# the activations built on them are in _exponential.pxd.
# ===========================================================================

# gelu_small f32: Phi(x) - 1/2 = x Q(x^2), Q of degree 5 in s = x^2: on [0.0, 0.25], max weighted error 2.84e-8 (0.477 x 2^-24, 2.56e+8 x 2^-53)
cdef inline float _gelu_small_q_f32(float s) noexcept nogil:
    cdef float P = -0.0057295095175504684
    P = fa_poly_f32(P, s, 0.003699665190652013)
    P = fa_poly_f32(P, s, -0.0019740096759051085)
    P = fa_poly_f32(P, s, 0.010044128634035587)
    P = fa_poly_f32(P, s, -0.06649260222911835)
    P = fa_poly_f32(P, s, 0.3989422917366028)
    return P

# gelu_small f64: Phi(x) - 1/2 = x Q(x^2), Q of degree 11 in s = x^2: on [0.0, 0.25], max weighted error 6.25e-17 (1.05e-9 x 2^-24, 0.563 x 2^-53)
cdef inline double _gelu_small_q_f64(double s) noexcept nogil:
    cdef double P = -0.0002120612937793224
    P = fa_poly_f64(P, s, 0.0002918809974047755)
    P = fa_poly_f64(P, s, -0.00017350013365429736)
    P = fa_poly_f64(P, s, 5.828953534924246e-05)
    P = fa_poly_f64(P, s, -1.2201661845402933e-05)
    P = fa_poly_f64(P, s, 2.2959525078581125e-06)
    P = fa_poly_f64(P, s, -9.584993847103603e-06)
    P = fa_poly_f64(P, s, 0.0001154422221191961)
    P = fa_poly_f64(P, s, -0.0011873284515529086)
    P = fa_poly_f64(P, s, 0.00997355701383162)
    P = fa_poly_f64(P, s, -0.06649038006692928)
    P = fa_poly_f64(P, s, 0.3989422804014327)
    return P

# gelu_dsmall f32: gelu'(x) - 1/2 = x D(x^2), D of degree 5 in s = x^2: on [0.0, 0.25], max weighted error 2.84e-8 (0.477 x 2^-24, 2.56e+8 x 2^-53)
cdef inline float _gelu_small_d_f32(float s) noexcept nogil:
    cdef float P = -0.011339075863361359
    P = fa_poly_f32(P, s, 0.008204623125493526)
    P = fa_poly_f32(P, s, -0.011050171218812466)
    P = fa_poly_f32(P, s, 0.059981007128953934)
    P = fa_poly_f32(P, s, -0.26596593856811523)
    P = fa_poly_f32(P, s, 0.7978845834732056)
    return P

# gelu_dsmall f64: gelu'(x) - 1/2 = x D(x^2), D of degree 11 in s = x^2: on [0.0, 0.25], max weighted error 6.25e-17 (1.05e-9 x 2^-24, 0.563 x 2^-53)
cdef inline double _gelu_small_d_f64(double s) noexcept nogil:
    cdef double P = -0.00041538719756289294
    P = fa_poly_f64(P, s, 0.0005722731711848419)
    P = fa_poly_f64(P, s, -0.0003405246728540591)
    P = fa_poly_f64(P, s, 0.00011457075054413567)
    P = fa_poly_f64(P, s, -2.4584622223476326e-05)
    P = fa_poly_f64(P, s, 1.2535114817699322e-05)
    P = fa_poly_f64(P, s, -0.00011361283520282511)
    P = fa_poly_f64(P, s, 0.0011543617736514168)
    P = fa_poly_f64(P, s, -0.009498626191628692)
    P = fa_poly_f64(P, s, 0.059841342067755536)
    P = fa_poly_f64(P, s, -0.2659615202676693)
    P = fa_poly_f64(P, s, 0.7978845608028654)
    return P

# gelu_tail f32: Phi(-a) = exp(-a^2/2) t S(t), t = 1/(1 + 0.25 a), a in [0.5, 14.5], S of degree 9: on [0.21621622, 0.88888889], max weighted error 1.94e-9 (0.0325 x 2^-24, 1.75e+7 x 2^-53)
cdef inline float _gelu_tail_s_f32(float t) noexcept nogil:
    cdef float P = 0.022853877395391464
    P = fa_poly_f32(P, t, -0.0941237136721611)
    P = fa_poly_f32(P, t, 0.11952026933431625)
    P = fa_poly_f32(P, t, -0.055128104984760284)
    P = fa_poly_f32(P, t, 0.07706530392169952)
    P = fa_poly_f32(P, t, 0.05455772206187248)
    P = fa_poly_f32(P, t, 0.08235663175582886)
    P = fa_poly_f32(P, t, 0.09343311935663223)
    P = fa_poly_f32(P, t, 0.09972921758890152)
    P = fa_poly_f32(P, t, 0.09973632544279099)
    return P

# gelu_tail f64: Phi(-a) = exp(-a^2/2) t S(t), t = 1/(1 + 0.125 a), a in [0.5, 39], S of degree 22 in t - 0.5625: on [-0.39228723, 0.37867647], max weighted error 4.4e-17 (7.39e-10 x 2^-24, 0.397 x 2^-53)
cdef inline double _gelu_tail_s_f64(double t) noexcept nogil:
    cdef double u = t - 0.5625
    cdef double P = -0.0030187685970440004
    P = fa_poly_f64(P, u, 0.016962955395230395)
    P = fa_poly_f64(P, u, 0.04161750218371644)
    P = fa_poly_f64(P, u, 0.0038454941394792897)
    P = fa_poly_f64(P, u, -0.10964015994602469)
    P = fa_poly_f64(P, u, -0.2103781137911264)
    P = fa_poly_f64(P, u, -0.12800013548354103)
    P = fa_poly_f64(P, u, 0.3183180873733036)
    P = fa_poly_f64(P, u, 1.2101949856856)
    P = fa_poly_f64(P, u, 2.4514783870120644)
    P = fa_poly_f64(P, u, 3.781371310230257)
    P = fa_poly_f64(P, u, 4.87478791192043)
    P = fa_poly_f64(P, u, 5.47226428649985)
    P = fa_poly_f64(P, u, 5.471201318446394)
    P = fa_poly_f64(P, u, 4.940623985378509)
    P = fa_poly_f64(P, u, 4.067349157864561)
    P = fa_poly_f64(P, u, 3.0723757714416937)
    P = fa_poly_f64(P, u, 2.1391471436878584)
    P = fa_poly_f64(P, u, 1.377147328740607)
    P = fa_poly_f64(P, u, 0.8214850279754585)
    P = fa_poly_f64(P, u, 0.45459084086741264)
    P = fa_poly_f64(P, u, 0.2334668637524807)
    P = fa_poly_f64(P, u, 0.11124244120325724)
    return P

# gelu'(a0 + d) = d Q(d) near its root a0 = -0.7517915246935644574579049:
# gelu' f32: f'(a0 + d) = d Q(d), Q of degree 10: on [-0.5, 0.5], max weighted error 1.22e-8 (0.205 x 2^-24, 1.1e+8 x 2^-53)
cdef inline float _gelu_deriv_root_f32(float x, float* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef float dh = x - <float>-0.7517915368080139
    cdef float dl = -<float>1.211444988769017e-08
    cdef float d = dh + dl
    cdef float P = -0.0016514338785782456
    P = fa_poly_f32(P, d, 0.00033706630347296596)
    P = fa_poly_f32(P, d, 0.0004342385509517044)
    P = fa_poly_f32(P, d, -0.0023086995352059603)
    P = fa_poly_f32(P, d, 0.004257649183273315)
    P = fa_poly_f32(P, d, 0.01943078823387623)
    P = fa_poly_f32(P, d, -0.014743954874575138)
    P = fa_poly_f32(P, d, -0.11400853842496872)
    P = fa_poly_f32(P, d, -0.018200624734163284)
    P = fa_poly_f32(P, d, 0.38828498125076294)
    P = fa_poly_f32(P, d, 0.43149399757385254)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# gelu'(a0 + d) = d Q(d) near its root a0 = -0.7517915246935644574579049:
# gelu' f64: f'(a0 + d) = d Q(d), Q of degree 18: on [-0.5, 0.5], max weighted error 6.49e-17 (1.09e-9 x 2^-24, 0.584 x 2^-53)
cdef inline double _gelu_deriv_root_f64(double x, double* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef double dh = x - -0.7517915246935645
    cdef double dl = -1.4956759177009883e-17
    cdef double d = dh + dl
    cdef double P = 1.7736678569082852e-09
    P = fa_poly_f64(P, d, -1.2337153250770448e-09)
    P = fa_poly_f64(P, d, -3.537919790440988e-08)
    P = fa_poly_f64(P, d, -1.6841043324332093e-09)
    P = fa_poly_f64(P, d, 5.702487467740128e-07)
    P = fa_poly_f64(P, d, 4.32866473543432e-07)
    P = fa_poly_f64(P, d, -7.748455557408187e-06)
    P = fa_poly_f64(P, d, -1.1214383612986183e-05)
    P = fa_poly_f64(P, d, 8.615947787582069e-05)
    P = fa_poly_f64(P, d, 0.00018633974656323798)
    P = fa_poly_f64(P, d, -0.0007448268386175098)
    P = fa_poly_f64(P, d, -0.002239538068092248)
    P = fa_poly_f64(P, d, 0.004539228379122863)
    P = fa_poly_f64(P, d, 0.01942167983818964)
    P = fa_poly_f64(P, d, -0.01477152214824428)
    P = fa_poly_f64(P, d, -0.11400823329722172)
    P = fa_poly_f64(P, d, -0.018199676398671087)
    P = fa_poly_f64(P, d, 0.388284982990552)
    P = fa_poly_f64(P, d, 0.4314939923140469)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# gelu_tanh'(a0 + d) = d Q(d) near its root a0 = -0.7524614220710162584879544:
# gelu_tanh' f32: f'(a0 + d) = d Q(d), Q of degree 10: on [-0.5, 0.5], max weighted error 2.89e-8 (0.484 x 2^-24, 2.6e+8 x 2^-53)
cdef inline float _gelu_tanh_deriv_root_f32(float x, float* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef float dh = x - <float>-0.7524614334106445
    cdef float dl = -<float>1.1339627903339533e-08
    cdef float d = dh + dl
    cdef float P = -0.003539161989465356
    P = fa_poly_f32(P, d, 0.0007675912347622216)
    P = fa_poly_f32(P, d, 0.001599402748979628)
    P = fa_poly_f32(P, d, -0.0026736543513834476)
    P = fa_poly_f32(P, d, 0.004646594170480967)
    P = fa_poly_f32(P, d, 0.019720861688256264)
    P = fa_poly_f32(P, d, -0.016557926312088966)
    P = fa_poly_f32(P, d, -0.11394642293453217)
    P = fa_poly_f32(P, d, -0.015785016119480133)
    P = fa_poly_f32(P, d, 0.3875184655189514)
    P = fa_poly_f32(P, d, 0.4304001033306122)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# gelu_tanh'(a0 + d) = d Q(d) near its root a0 = -0.7524614220710162584879544:
# gelu_tanh' f64: f'(a0 + d) = d Q(d), Q of degree 18: on [-0.5, 0.5], max weighted error 5.64e-17 (9.47e-10 x 2^-24, 0.508 x 2^-53)
cdef inline double _gelu_tanh_deriv_root_f64(double x, double* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef double dh = x - -0.7524614220710163
    cdef double dl = -3.635560509207687e-17
    cdef double d = dh + dl
    cdef double P = 6.266083812033832e-08
    P = fa_poly_f64(P, d, 1.2279061352600778e-07)
    P = fa_poly_f64(P, d, -4.2517003986404256e-07)
    P = fa_poly_f64(P, d, -9.806971174702316e-07)
    P = fa_poly_f64(P, d, 2.4320514428360095e-06)
    P = fa_poly_f64(P, d, 5.916135660838489e-06)
    P = fa_poly_f64(P, d, -1.595067150342824e-05)
    P = fa_poly_f64(P, d, -3.4955772398149265e-05)
    P = fa_poly_f64(P, d, 0.00012425225822858778)
    P = fa_poly_f64(P, d, 0.0002639276015207163)
    P = fa_poly_f64(P, d, -0.0009274420220728067)
    P = fa_poly_f64(P, d, -0.0024227318436341647)
    P = fa_poly_f64(P, d, 0.005261059254902232)
    P = fa_poly_f64(P, d, 0.019682309459763337)
    P = fa_poly_f64(P, d, -0.016619328343052565)
    P = fa_poly_f64(P, d, -0.113944483080958)
    P = fa_poly_f64(P, d, -0.015782853521848026)
    P = fa_poly_f64(P, d, 0.3875184461357889)
    P = fa_poly_f64(P, d, 0.4304000910248585)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# mish'(a0 + d) = d Q(d) near its root a0 = -1.192431214515495212137588:
# mish' f32: f'(a0 + d) = d Q(d), Q of degree 10: on [-0.5, 0.5], max weighted error 4.16e-8 (0.697 x 2^-24, 3.74e+8 x 2^-53)
cdef inline float _mish_deriv_root_f32(float x, float* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef float dh = x - <float>-1.1924312114715576
    cdef float dl = -<float>-3.0439375464652585e-09
    cdef float d = dh + dl
    cdef float P = -0.0038623588625341654
    P = fa_poly_f32(P, d, 0.0003209353017155081)
    P = fa_poly_f32(P, d, 0.002822133479639888)
    P = fa_poly_f32(P, d, 0.0008177366107702255)
    P = fa_poly_f32(P, d, 0.00048359576612710953)
    P = fa_poly_f32(P, d, -0.0033359923399984837)
    P = fa_poly_f32(P, d, -0.015761978924274445)
    P = fa_poly_f32(P, d, -0.020272914320230484)
    P = fa_poly_f32(P, d, 0.04190580174326897)
    P = fa_poly_f32(P, d, 0.2047312706708908)
    P = fa_poly_f32(P, d, 0.2669479250907898)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# mish'(a0 + d) = d Q(d) near its root a0 = -1.192431214515495212137588:
# mish' f64: f'(a0 + d) = d Q(d), Q of degree 18: on [-0.5, 0.5], max weighted error 7.05e-17 (1.18e-9 x 2^-24, 0.635 x 2^-53)
cdef inline double _mish_deriv_root_f64(double x, double* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef double dh = x - -1.1924312145154952
    cdef double dl = 4.8484829848031044e-17
    cdef double d = dh + dl
    cdef double P = -1.941253678243764e-09
    P = fa_poly_f64(P, d, -5.384041018417208e-08)
    P = fa_poly_f64(P, d, -1.4274335196063078e-07)
    P = fa_poly_f64(P, d, 2.2883453915942395e-08)
    P = fa_poly_f64(P, d, 1.0720485577249034e-06)
    P = fa_poly_f64(P, d, 2.9099173843110867e-06)
    P = fa_poly_f64(P, d, 9.426874950856655e-07)
    P = fa_poly_f64(P, d, -1.7299449455720937e-05)
    P = fa_poly_f64(P, d, -5.582891247104663e-05)
    P = fa_poly_f64(P, d, -4.196147848095161e-05)
    P = fa_poly_f64(P, d, 0.0002541293638110784)
    P = fa_poly_f64(P, d, 0.0009898181011170934)
    P = fa_poly_f64(P, d, 0.0010924055409392763)
    P = fa_poly_f64(P, d, -0.0033606849269916987)
    P = fa_poly_f64(P, d, -0.015821126561733113)
    P = fa_poly_f64(P, d, -0.020271822716684693)
    P = fa_poly_f64(P, d, 0.04190782104360987)
    P = fa_poly_f64(P, d, 0.20473126408010586)
    P = fa_poly_f64(P, d, 0.2669479140495345)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)


# Fused wrappers and shared pieces for gelu / mish ----------------------------
cdef inline floating v_gelu_small_q(floating s) noexcept nogil:
    if floating is float:
        return _gelu_small_q_f32(s)
    else:
        return _gelu_small_q_f64(s)

cdef inline floating v_gelu_small_d(floating s) noexcept nogil:
    if floating is float:
        return _gelu_small_d_f32(s)
    else:
        return _gelu_small_d_f64(s)

cdef inline floating v_gelu_tail_s(floating t) noexcept nogil:
    if floating is float:
        return _gelu_tail_s_f32(t)
    else:
        return _gelu_tail_s_f64(t)

cdef inline floating v_gelu_deriv_root(floating x, floating* d) noexcept nogil:
    if floating is float:
        return _gelu_deriv_root_f32(x, d)
    else:
        return _gelu_deriv_root_f64(x, d)

cdef inline floating v_gelu_tanh_deriv_root(floating x, floating* d) noexcept nogil:
    if floating is float:
        return _gelu_tanh_deriv_root_f32(x, d)
    else:
        return _gelu_tanh_deriv_root_f64(x, d)

cdef inline floating v_mish_deriv_root(floating x, floating* d) noexcept nogil:
    if floating is float:
        return _mish_deriv_root_f32(x, d)
    else:
        return _mish_deriv_root_f64(x, d)


# ===========================================================================
# e^x as a high + low pair, and double-float ("pair") arithmetic (gelu2).
# gelu, gelu_tanh and mish chain e^x through products, sums and a quotient;
# rounded at each step, that chain costs 4-7 ULP in float32.  Carried as
# unevaluated sums hi + lo (error-free transformations: TwoSum, TwoProd with
# fa_fma), only the last rounding and exp's own (tiny) error remain.
# ===========================================================================

# e^r = 1 + r + r^2/2 + r^3 q(r) on |r| <= ln2/2 (python tools/gen_coeffs.py
# exp_hilo): q of degree 4 / 9, error 0.0016 x 2^-24 / 0.0065 x 2^-53 relative
# to e^r.  1 + r + r^2/2 is summed exactly (Fast2Sum twice: |r| >= r^2/2 and
# 1 > |r + r^2/2|), so r^3 q (< 0.008) and r^2's rounding error enter only as
# small corrections.
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

# e^x = (hi + lo) * s2.  Range reduction as in v_exp_split_f32/_f64, plus the rounding
# error of r (r_lo: the second Cody-Waite step's residual, by fma), folded in
# as e^r r_lo.  Error of hi + lo (measured against mpmath on 2^20 samples):
# below 0.04 x 2^-24 (float32) / 0.05 x 2^-53 (float64) relative; hi alone is
# within 0.51 ULP (hi + lo is renormalized).  Scaling as in v_exp_split_f32/_f64: hi, lo are normal (hi >= 2^-65 /
# 2^-513), s2 = 2^(n - n1) applied last so that subnormal results round once.
# Clamps: x > 89 (710) -> e^89 (e^710) * 2, x < -120 (-760) -> e^-120 (e^-760):
# callers select the limits.  NaN passes.
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


# Pair arithmetic.  A pair (h, l) stands for h + l with |l| <~ ulp(h); each
# function returns h and stores l.  Error bounds (Dekker / Knuth; Joldes,
# Muller, Popescu 2017): two_sum, fast_two_sum, two_prod exact; pair_mul and
# pair_add a few 2^-48 (2^-106) relative, which is all gelu/mish need.
cdef inline floating two_sum(floating a, floating b, floating* e) noexcept nogil:
    cdef floating s = a + b
    cdef floating bb = s - a
    e[0] = (a - (s - bb)) + (b - bb)
    return s

# needs |a| >= |b| (or a = 0)
cdef inline floating fast_two_sum(floating a, floating b, floating* e) noexcept nogil:
    cdef floating s = a + b
    e[0] = b - (s - a)
    return s

cdef inline floating pair_mul(floating ah, floating al, floating bh, floating bl,
                              floating* l) noexcept nogil:
    cdef floating h = ah * bh
    l[0] = fa_fma(ah, bh, -h) + fa_fma(ah, bl, al * bh)
    return h

cdef inline floating pair_add(floating ah, floating al, floating bh, floating bl,
                              floating* l) noexcept nogil:
    cdef floating e
    cdef floating h = two_sum(ah, bh, &e)
    l[0] = e + (al + bl)
    return h

# (nh + nl) / (dh + dl) rounded once more: one reciprocal, the quotient's
# residual by fma (exact up to the reciprocal's error squared), one correction.
cdef inline floating pair_div(floating nh, floating nl, floating dh,
                              floating dl) noexcept nogil:
    cdef floating inv = <floating>1 / dh
    cdef floating q = nh * inv
    cdef floating rem = fa_fma(-q, dh, nh) + fa_fma(-q, dl, nl)
    return fa_fma(rem, inv, q)


# gelu_tail0 f32 (python tools/gen_coeffs.py gelu_tail0): Phi(-a) = exp(-a^2/2) t S(t),
# t = 1/(1 + a/4), a in [0, 14.5] (every |x| below gelu's clamp), S of degree
# 11: on [0.21621622, 1.0], max weighted error 4.16e-10 (0.00698 x 2^-24).
cdef inline float _gelu_tail0_s_f32(float t, float* S_lo) noexcept nogil:
    # S's coefficients are all ~0.1 and t reaches 1: plain Horner would round
    # by up to ~1.7 x 2^-24 in total, so the last three steps are compensated
    # (each step c + t P as a pair: two_prod, two_sum), leaving ~0.3 x 2^-24.
    cdef float P = -0.008165485225617886
    P = fa_poly_f32(P, t, 0.04137236252427101)
    P = fa_poly_f32(P, t, -0.06660386919975281)
    P = fa_poly_f32(P, t, 0.011910228990018368)
    P = fa_poly_f32(P, t, 0.047535113990306854)
    P = fa_poly_f32(P, t, -0.03125622496008873)
    P = fa_poly_f32(P, t, 0.07879918068647385)
    P = fa_poly_f32(P, t, 0.04927891492843628)
    P = fa_poly_f32(P, t, 0.08469647169113159)
    cdef float se, prod
    cdef float Pl = 0
    prod = t * P
    Pl = fa_fma_f32(t, P, -prod)
    P = two_sum(<float>0.09290939569473267, prod, &se)
    Pl = Pl + se
    prod = t * P
    Pl = fa_fma_f32(t, Pl, fa_fma_f32(t, P, -prod))
    P = two_sum(<float>0.09979057312011719, prod, &se)
    Pl = Pl + se
    prod = t * P
    Pl = fa_fma_f32(t, Pl, fa_fma_f32(t, P, -prod))
    P = two_sum(<float>0.09973333775997162, prod, &se)
    S_lo[0] = Pl + se
    return P
