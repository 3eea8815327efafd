/* fastact's float32 exponential family in AVX-512 intrinsics (the avx512
 * target: x86-64-v4, F/BW/CD/DQ/VL).  Included through fa_simd.h only.
 *
 * Same formulas and error budget as the Cython reference (pyx/_exponential.pxd,
 * pyx/_vmath.pxd), rebuilt around what AVX-512 offers:
 *
 * - e^a = (p + lo) 2^n: n = round(a log2e) by vrndscaleps, a - n ln2 in two
 *   fma steps (Cody-Waite: n LN2_HI is exact), e^r - 1 = r + r^2 q(r) with the
 *   math layer's degree-4 q (0.23 x 2^-24), p = 1 + u and its exact rounding
 *   error lo.  2^n is applied by vscalefps, which rounds once, also into the
 *   subnormal range: no split scale factors, no integer exponent arithmetic.
 * - quotients: vrcp14ps (relative error < 2^-14) and one correction by the
 *   exact remainder, q = q0 + r (num - q0 d): error ~2^-28 relative before
 *   the final rounding, no vdivps (which Zen 4 and Sapphire Rapids issue at
 *   one per 5-10 cycles for 16 floats).
 * - selects are mask registers; clamps are vmaxps/vminps with the input as
 *   second operand, so NaN passes through them.
 *
 * Each element goes through the same instructions wherever it sits (tails:
 * masked load/store), so threads and layouts do not change results.
 * Measured errors (every float32 input): ACCURACY.md. */
#ifndef FASTACT_SIMD_AVX512_H
#define FASTACT_SIMD_AVX512_H

#include <immintrin.h>
#include "fa_tanh_table.h"

#if defined(__GNUC__)
#  define FA512 static inline __attribute__((always_inline))
#else
#  define FA512 static inline
#endif

#define FA512_F(v) _mm512_set1_ps(v)
#define FA512_SIGN _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u))

/* -|x| (NaN stays NaN) */
FA512 __m512 fa512_neg_abs(__m512 x) { return _mm512_or_ps(x, FA512_SIGN); }

/* |x| */
FA512 __m512 fa512_abs(__m512 x) { return _mm512_andnot_ps(FA512_SIGN, x); }

/* |mag| with the sign bit of sgn */
FA512 __m512 fa512_copysign(__m512 mag, __m512 sgn) {
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_castps_si512(FA512_SIGN), _mm512_castps_si512(sgn),
        _mm512_castps_si512(mag), 0xCA));                 /* sign ? sgn : mag */
}

/* e^r - 1 on |r| <= ln2/2 (+ rounding slack): r + r^2 q(r), q of degree 4
 * (_expm1_kernel_f32's coefficients, tools/gen_coeffs.py expm1). */
FA512 __m512 fa512_expm1_kernel(__m512 r) {
    __m512 q = _mm512_fmadd_ps(FA512_F(0.0013870634138584137f), r, FA512_F(0.008366254158318043f));
    q = _mm512_fmadd_ps(q, r, FA512_F(0.04166743531823158f));
    q = _mm512_fmadd_ps(q, r, FA512_F(0.1666654646396637f));
    q = _mm512_fmadd_ps(q, r, FA512_F(0.4999999701976776f));
    return _mm512_fmadd_ps(_mm512_mul_ps(r, r), q, r);
}

/* e^a = (p + lo) 2^n for a in [-120, 89] or NaN (callers clamp).  p in
 * [0.70, 1.42], lo its exact rounding error (|lo| <= 2^-24), n an integer
 * (as a float, for vscalefps).  Error of p + lo: the polynomial's 0.23 and
 * the reduction's 0.25 x 2^-24, relative. */
FA512 __m512 fa512_exp_parts(__m512 a, __m512* lo, __m512* n) {
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(a, FA512_F(1.44269502162933349609375f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* LN2_HI has 12 trailing zero bits: k LN2_HI is exact, so is a - k LN2_HI */
    __m512 r = _mm512_fnmadd_ps(k, FA512_F(0.693145751953125f), a);
    r = _mm512_fnmadd_ps(k, FA512_F(1.428606765330187e-06f), r);
    __m512 u = fa512_expm1_kernel(r);
    __m512 p = _mm512_add_ps(FA512_F(1.0f), u);
    *lo = _mm512_sub_ps(u, _mm512_sub_ps(p, FA512_F(1.0f)));   /* Fast2Sum: |u| < 1 */
    *n = k;
    return p;
}

/* The exp front of the sigmoid family: z = e^-|a| = (p + lo) 2^n with the
 * argument clamped at -120 (below, every caller's result is 0 or its limit),
 * and d + e = 1 + z exactly (d rounded, e its error plus lo's share). */
FA512 __m512 fa512_one_plus_exp_neg_abs(__m512 a, __m512* p, __m512* lo, __m512* n,
                                        __m512* z, __m512* zl, __m512* e) {
    __m512 am = _mm512_max_ps(FA512_F(-120.0f), fa512_neg_abs(a));
    *p = fa512_exp_parts(am, lo, n);
    *z = _mm512_scalef_ps(*p, *n);
    *zl = _mm512_scalef_ps(*lo, *n);
    __m512 d = _mm512_add_ps(FA512_F(1.0f), *z);
    *e = _mm512_add_ps(_mm512_sub_ps(*z, _mm512_sub_ps(d, FA512_F(1.0f))), *zl);
    return d;
}

/* (num + nlo) / (d + e), d in [1, 2], rounded about once: q0 = num rcp(d),
 * then one correction by the remainder (fma: exact up to rounding of a term
 * already 2^-14 small), which squares rcp14's error. */
FA512 __m512 fa512_div_corrected(__m512 num, __m512 nlo, __m512 d, __m512 e) {
    __m512 r = _mm512_rcp14_ps(d);
    __m512 q0 = _mm512_mul_ps(num, r);
    __m512 rem = _mm512_add_ps(_mm512_fnmadd_ps(q0, d, num), _mm512_fnmadd_ps(q0, e, nlo));
    return _mm512_fmadd_ps(rem, r, q0);
}

/* sigmoid(x): x >= 0: 1 / (1 + z); x < 0: 2^n (p + lo) / (1 + z), z = e^-|x|.
 * The power of two is applied last (subnormal results round once).  Max 1.0
 * ULP (ACCURACY.md). */
FA512 __m512 fa512_sigmoid(__m512 x) {
    __m512 p, lo, n, z, zl, e;
    __m512 d = fa512_one_plus_exp_neg_abs(x, &p, &lo, &n, &z, &zl, &e);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 num = _mm512_mask_blend_ps(neg, FA512_F(1.0f), p);
    __m512 nlo = _mm512_maskz_mov_ps(neg, lo);
    __m512 q = fa512_div_corrected(num, nlo, d, e);
    return _mm512_mask_scalef_ps(q, neg, q, n);
}

/* sigma'(x) 2^k = z / (1 + z)^2 2^k, z = e^-|x| (even: no overflow).  (1 + z)^2
 * as sq + sq_lo (fma), the quotient (p + lo) / (sq + sq_lo) corrected once,
 * 2^(n + k) last.  k = 0: sigmoid', k = 2 on 2x: tanh' = 4 sigma'(2x). */
FA512 __m512 fa512_sigmoid_deriv(__m512 x, __m512 k) {
    __m512 p, lo, n, z, zl, e;
    __m512 s = fa512_one_plus_exp_neg_abs(x, &p, &lo, &n, &z, &zl, &e);
    __m512 sq = _mm512_mul_ps(s, s);
    __m512 sq_lo = _mm512_fmadd_ps(_mm512_add_ps(s, s), e, _mm512_fmsub_ps(s, s, sq));
    __m512 r = _mm512_rcp14_ps(sq);
    __m512 q0 = _mm512_mul_ps(p, r);
    __m512 rem = _mm512_add_ps(_mm512_fnmadd_ps(q0, sq, p), _mm512_fnmadd_ps(q0, sq_lo, lo));
    return _mm512_scalef_ps(_mm512_fmadd_ps(rem, r, q0), _mm512_add_ps(n, k));
}

/* swish(x) = x sigma(a), a = beta x (silu: beta = 1).  As sigmoid, with the
 * numerator x (a >= 0) or x (p + lo) (a < 0) as an exact pair.  x > 89: x
 * (also x = inf, where the pair would be inf - inf); a < -195: x e^a is below
 * half the smallest subnormal: a signed zero. */
FA512 __m512 fa512_swish(__m512 x, __m512 beta) {
    __m512 a = _mm512_mul_ps(beta, x);
    __m512 p, lo, n, z, zl, e;
    __m512 d = fa512_one_plus_exp_neg_abs(a, &p, &lo, &n, &z, &zl, &e);
    __mmask16 neg = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 f = _mm512_mask_blend_ps(neg, FA512_F(1.0f), p);
    __m512 flo = _mm512_maskz_mov_ps(neg, lo);
    __m512 N = _mm512_mul_ps(x, f);
    __m512 N_lo = _mm512_fmadd_ps(x, flo, _mm512_fmsub_ps(x, f, N));
    __m512 q = fa512_div_corrected(N, N_lo, d, e);
    q = fa512_copysign(_mm512_mask_scalef_ps(q, neg, q, n), x);   /* x = -0: -0 */
    q = _mm512_mask_mov_ps(q, _mm512_cmp_ps_mask(x, FA512_F(89.0f), _CMP_GT_OQ), x);
    return _mm512_mask_mov_ps(q, _mm512_cmp_ps_mask(a, FA512_F(-195.0f), _CMP_LT_OQ),
                              _mm512_and_ps(x, FA512_SIGN));
}

/* swish'(x) = sigma(a) (1 + a (1 - sigma(a))), a = beta x: the formula of
 * swish_backward (pyx/_exponential.pxd), z = e^-|a| carried as (p + lo) 2^n:
 *   a >= 0: (1 + z + a z) / (1 + z)^2;   a < 0: 2^n (p + lo)(1 + a + z) / (1 + z)^2,
 * one reciprocal of (1 + z)^2 = sq + sq_lo (rcp14 and its residual ie), and
 * near the root a0 = -1.27846 (|a - a0| < 1, where 1 + a + z cancels) the
 * root polynomial d Q(d), evaluated only for vectors with a lane there. */
FA512 __m512 fa512_silu_deriv_root(__m512 a, __m512* d_out) {
    __m512 d = _mm512_sub_ps(_mm512_sub_ps(a, FA512_F(-1.2784645557403564f)),
                             FA512_F(1.2979282537628478e-08f));
    __m512 Q = _mm512_fmadd_ps(FA512_F(-1.118882551054412e-06f), d, FA512_F(3.1226229566527763e-06f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(3.2961213491944363e-06f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(-3.1882140319794416e-05f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(-4.8779849748825654e-05f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(0.000187661440577358f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(0.0008031870238482952f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(0.0001259076816495508f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(-0.00660784961655736f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(-0.015222559683024883f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(0.018874939531087875f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(0.14664879441261292f));
    Q = _mm512_fmadd_ps(Q, d, FA512_F(0.2178117036819458f));
    *d_out = d;
    return _mm512_mul_ps(d, Q);
}

FA512 __m512 fa512_swish_deriv(__m512 x, __m512 beta) {
    __m512 a = _mm512_mul_ps(beta, x);
    __m512 p, lo, n, z, zl, e;
    __m512 s = fa512_one_plus_exp_neg_abs(a, &p, &lo, &n, &z, &zl, &e);
    __m512 sq = _mm512_mul_ps(s, s);
    __m512 sq_lo = _mm512_fmadd_ps(_mm512_add_ps(s, s), e, _mm512_fmsub_ps(s, s, sq));
    __m512 r = _mm512_rcp14_ps(sq);
    /* 1 / (sq + sq_lo) = r (1 + ie) to second order */
    __m512 ie = _mm512_fnmadd_ps(r, sq_lo, _mm512_fnmadd_ps(r, sq, FA512_F(1.0f)));
    /* |a| = inf would meet z = 0 in 0 inf; past 1e4 the result no longer changes */
    __m512 ac = _mm512_min_ps(FA512_F(1e4f), _mm512_max_ps(FA512_F(-1e4f), a));
    __m512 t = _mm512_mul_ps(_mm512_add_ps(_mm512_fmadd_ps(ac, z, s), _mm512_fmadd_ps(ac, zl, e)), r);
    __m512 pos = _mm512_fmadd_ps(t, ie, t);
    /* 1 + a is exact for a <= -1/2; w = 1 + a + z with its rounding error */
    __m512 b = _mm512_add_ps(FA512_F(1.0f), ac);
    __m512 w = _mm512_add_ps(b, z);
    __m512 w_lo = _mm512_add_ps(_mm512_sub_ps(z, _mm512_sub_ps(w, b)), zl);
    __m512 N = _mm512_mul_ps(p, w);
    __m512 N_lo = _mm512_add_ps(_mm512_fmsub_ps(p, w, N), _mm512_fmadd_ps(p, w_lo, _mm512_mul_ps(lo, w)));
    __m512 t2 = _mm512_mul_ps(N, r);
    __m512 neg = _mm512_add_ps(t2, _mm512_add_ps(_mm512_fmsub_ps(N, r, t2),
                                                 _mm512_fmadd_ps(t2, ie, _mm512_mul_ps(N_lo, r))));
    neg = _mm512_scalef_ps(neg, n);
    /* e^a (1 + a) is below half the smallest subnormal from here on */
    neg = _mm512_mask_mov_ps(neg, _mm512_cmp_ps_mask(a, FA512_F(-120.0f), _CMP_LT_OQ),
                             FA512_F(-0.0f));
    __m512 res = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GE_OQ), neg, pos);
    /* the root window |a - a0| < 1 is a in (-2.2785, -0.2785) */
    __mmask16 win = _mm512_cmp_ps_mask(fa512_abs(_mm512_sub_ps(a, FA512_F(-1.2784645557403564f))),
                                       FA512_F(1.0f), _CMP_LT_OQ);
    if (win) {
        __m512 dd;
        __m512 near = fa512_silu_deriv_root(a, &dd);
        res = _mm512_mask_mov_ps(res, _mm512_cmp_ps_mask(fa512_abs(dd), FA512_F(1.0f), _CMP_LT_OQ), near);
    }
    return res;
}


/* tanh(x): a polynomial of degree 6 per interval of |x| (fa_tanh_table.h: 27
 * slots, quarter binades), its coefficients picked per lane by vpermt2ps
 * from two 16-entry halves; no exp, no division.  Max 1.15 ULP. */
FA512 __m512 fa512_tanh(__m512 x) {
    __m512 a = _mm512_min_ps(FA512_F(FA_TANH_CLAMP), fa512_abs(x));   /* NaN passes */
    __m512i slot = _mm512_max_epi32(_mm512_sub_epi32(
        _mm512_srli_epi32(_mm512_castps_si512(a), 21), _mm512_set1_epi32(FA_TANH_SLOT_BIAS)),
        _mm512_setzero_si512());
#define FA512_TANH_ROW(k) _mm512_permutex2var_ps(_mm512_load_ps(fa_tanh_table[k]), slot, \
                                                 _mm512_load_ps(fa_tanh_table[k] + 16))
    __m512 d = _mm512_sub_ps(a, FA512_TANH_ROW(0));
    __m512 y = _mm512_fmadd_ps(FA512_TANH_ROW(7), d, FA512_TANH_ROW(6));
    y = _mm512_fmadd_ps(y, d, FA512_TANH_ROW(5));
    y = _mm512_fmadd_ps(y, d, FA512_TANH_ROW(4));
    y = _mm512_fmadd_ps(y, d, FA512_TANH_ROW(3));
    y = _mm512_fmadd_ps(y, d, FA512_TANH_ROW(2));
    y = _mm512_fmadd_ps(y, d, FA512_TANH_ROW(1));
#undef FA512_TANH_ROW
    return fa512_copysign(y, x);                  /* tanh(-0) = -0 */
}


/* ---- whole-array loops (contiguous; out may alias an input) ---- */

#define FA512_LOOP1(name, EXPR)                                                       \
    static void fa_simd_##name##_f32(const float* xs, float* out, Py_ssize_t n,        \
                                     const float* prm) {                              \
        const __m512 p0 = _mm512_set1_ps(prm[0]);                                     \
        Py_ssize_t i = 0;                                                             \
        (void)p0;                                                                     \
        for (; i + 16 <= n; i += 16) {                                                \
            __m512 x = _mm512_loadu_ps(xs + i);                                       \
            _mm512_storeu_ps(out + i, (EXPR));                                        \
        }                                                                             \
        if (i < n) {                                                                  \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                          \
            __m512 x = _mm512_maskz_loadu_ps(m, xs + i);                              \
            _mm512_mask_storeu_ps(out + i, m, (EXPR));                                \
        }                                                                             \
    }

#define FA512_LOOP2(name, EXPR)                                                       \
    static void fa_simd_##name##_f32(const float* gs, const float* xs, float* out,     \
                                     Py_ssize_t n, const float* prm) {                \
        const __m512 p0 = _mm512_set1_ps(prm[0]);                                     \
        Py_ssize_t i = 0;                                                             \
        (void)p0;                                                                     \
        for (; i + 16 <= n; i += 16) {                                                \
            __m512 g = _mm512_loadu_ps(gs + i);                                       \
            __m512 x = _mm512_loadu_ps(xs + i);                                       \
            _mm512_storeu_ps(out + i, _mm512_mul_ps(g, (EXPR)));                      \
        }                                                                             \
        if (i < n) {                                                                  \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                          \
            __m512 g = _mm512_maskz_loadu_ps(m, gs + i);                              \
            __m512 x = _mm512_maskz_loadu_ps(m, xs + i);                              \
            _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(g, (EXPR)));              \
        }                                                                             \
    }

#define FA_SIMD_HAVE_sigmoid_forward
#define FA_SIMD_sigmoid_forward_f32 1
FA512_LOOP1(sigmoid_forward, fa512_sigmoid(x))

#define FA_SIMD_HAVE_sigmoid_backward
#define FA_SIMD_sigmoid_backward_f32 1
FA512_LOOP2(sigmoid_backward, fa512_sigmoid_deriv(x, _mm512_setzero_ps()))

#define FA_SIMD_HAVE_tanh_forward
#define FA_SIMD_tanh_forward_f32 1
FA512_LOOP1(tanh_forward, fa512_tanh(x))

#define FA_SIMD_HAVE_tanh_backward
#define FA_SIMD_tanh_backward_f32 1
FA512_LOOP2(tanh_backward, fa512_sigmoid_deriv(_mm512_add_ps(x, x), FA512_F(2.0f)))

#define FA_SIMD_HAVE_swish_forward
#define FA_SIMD_swish_forward_f32 1
FA512_LOOP1(swish_forward, fa512_swish(x, p0))

#define FA_SIMD_HAVE_swish_backward
#define FA_SIMD_swish_backward_f32 1
FA512_LOOP2(swish_backward, fa512_swish_deriv(x, p0))

#endif
