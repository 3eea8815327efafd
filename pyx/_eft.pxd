# Error-free transformations and pair arithmetic: the exact building blocks
# under the math layer (_vmath.pxd), the gelu / mish / silu formulas
# (_exponential.pxd) and the row-wise sums (_rowwise.pxi.tp).
#
# A pair (h, l) stands for the unevaluated sum h + l with |l| <~ ulp(h).  Each
# function returns the high part and stores the low part through its last
# argument, so that after inlining GCC keeps both in registers (the row-wise
# lanes and the elementwise loops vectorize as if the arithmetic were written
# out; check: python tools/check_simd.py).
#
#   two_sum(a, b)       s + e = a + b exactly (Knuth; 6 operations, any a, b)
#   fast_two_sum(a, b)  s + e = a + b exactly if |a| >= |b| or a = 0
#                       (Dekker; 3 operations)
#   two_prod(a, b)      p + e = a * b exactly (one fma; barring underflow)
#   pair_mul, pair_add  a few 2^-48 (float32) / 2^-106 (float64) relative
#   pair_div            the quotient rounded about once
# (bounds: Joldes, Muller, Popescu, "Tight and rigorous error bounds for basic
# building blocks of double-word arithmetic", ACM TOMS 2017.)  None of them
# branches: no select depends on the data, so NaN and inf flow through as the
# plain arithmetic would take them (callers select the limits).
#
# fma is written out (fa_fma_f32 / fa_fma_f64: one vfmadd instruction on
# targets with FMA, a vectorizable emulation, exact where it matters, on the
# x86-64 baseline) wherever a result depends on it, so the SIMD body and the
# scalar remainder of a loop round identically (bitwise determinism).

from cython cimport floating

cdef extern from *:
    """
    #include "fa_target.h"
    #if FASTACT_HW_FMA && defined(__GNUC__)
    /* One instruction where the target has FMA (x86-64-v3+, AArch64). */
    #define fa_fma_f32(a, b, c) __builtin_fmaf((a), (b), (c))
    #define fa_fma_f64(a, b, c) __builtin_fma((a), (b), (c))
    #else
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
    float fa_fma_f32(float a, float b, float c) nogil
    double fa_fma_f64(double a, double b, double c) nogil


cdef inline floating fa_fma(floating a, floating b, floating c) noexcept nogil:
    if floating is float:
        return fa_fma_f32(a, b, c)
    else:
        return fa_fma_f64(a, b, c)


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

cdef inline floating two_prod(floating a, floating b, floating* e) noexcept nogil:
    cdef floating p = a * b
    e[0] = fa_fma(a, b, -p)
    return p

cdef inline floating pair_mul(floating ah, floating al, floating bh, floating bl,
                              floating* l) noexcept nogil:
    cdef floating e
    cdef floating h = two_prod(ah, bh, &e)
    l[0] = e + fa_fma(ah, bl, al * bh)
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
