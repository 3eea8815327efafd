/* fastact's float32 exponential family in AVX-512 intrinsics (the avx512
 * target: x86-64-v4, F/BW/CD/DQ/VL).  Included through fa_simd.h only.
 *
 * Same formulas and error budget as the Cython reference (pyx/_exponential.pxd,
 * pyx/_vmath.pxd), rebuilt around what AVX-512 offers:
 *
 * - e^a = (p + lo) 2^n: n = round(a log2e) (shifter constant), a - n ln2 in two
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
 * Measured errors (every float32 input): ACCURACY.md.
 *
 * Cost model (Zen 4, which runs a 512-bit fma/mul/scalef/rcp14 on both of
 * its fma pipes, one per cycle, and adds/logic/blends on two other pipes):
 * these kernels are bound by their mul/fma-class count per 16 floats
 * (objdump of the main loops): sigmoid 16 of 32 instructions, sigmoid' 22 of
 * 45, silu 18 of 41, tanh 6 of 34 (+ 8 vpermt2ps), elu 12 of 25, softplus 28
 * of 55, mish 29 of 67, gelu_tanh 34 of 77, gelu 11 of 62 in its common
 * path's loop body, the batching of out-of-range lanes included (+ 7
 * vpermt2ps; 30 of 80 + 8 in the R-table form it keeps for those lanes; the
 * tail-series kernel before the interval tables: 62 of 140), gelu' 43 of 112
 * (+ 8 vpermt2ps; about 90 with the root polynomial skipped, for vectors with
 * no lane within 1/4 of -0.752); `python tools/check_simd.py --loops` counts
 * them (vreduceps with the fma class).  Sapphire Rapids
 * issues two such 512-bit ops per cycle. */
#ifndef FASTACT_SIMD_AVX512_H
#define FASTACT_SIMD_AVX512_H

#include <immintrin.h>
#include "fa_tanh_table.h"
#include "fa_gelu_table.h"

#if defined(__GNUC__)
#  define FA512 static inline __attribute__((always_inline))
#else
#  define FA512 static inline
#endif

/* the loops below stream out= on request (prm[3], fa_simd.h) */
#define FA_SIMD_STREAMS 1

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
    /* k = round(a log2e) by the 1.5 * 2^23 shifter: one fma and one add (the
     * add pipes have room; the fma pipes are the bottleneck of these kernels) */
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(a, FA512_F(1.44269502162933349609375f),
                                             FA512_F(12582912.0f)), FA512_F(12582912.0f));
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
 * d + e = 1 + p 2^n exactly (d rounded, e its error), and zl = lo 2^n: 1 + z
 * = d + (e + zl).  The forwards leave lo and zl out (their budget holds p's
 * rounding, see fa512_sigmoid); being inlined, they then cost nothing. */
FA512 __m512 fa512_one_plus_exp_neg_abs(__m512 a, __m512* p, __m512* lo, __m512* n,
                                        __m512* z, __m512* zl, __m512* e) {
    __m512 am = _mm512_max_ps(FA512_F(-120.0f), fa512_neg_abs(a));
    *p = fa512_exp_parts(am, lo, n);
    *z = _mm512_scalef_ps(*p, *n);
    *zl = _mm512_scalef_ps(*lo, *n);
    __m512 d = _mm512_add_ps(FA512_F(1.0f), *z);
    *e = _mm512_sub_ps(*z, _mm512_sub_ps(d, FA512_F(1.0f)));
    return d;
}

/* (num + nlo) / (d + e), d in [1, 2], rounded about once: q0 = num rcp(d),
 * then one correction by the remainder (fma: exact up to rounding of a term
 * already 2^-14 small), which squares rcp14's error.  with_nlo = 0 (a
 * constant where it is called): nlo is 0, and not added. */
FA512 __m512 fa512_div_corrected(__m512 num, __m512 nlo, int with_nlo, __m512 d, __m512 e) {
    __m512 r = _mm512_rcp14_ps(d);
    __m512 q0 = _mm512_mul_ps(num, r);
    __m512 rem = _mm512_fnmadd_ps(q0, d, num);
    if (with_nlo)
        rem = _mm512_add_ps(rem, nlo);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(q0, e, rem), r, q0);
}

/* sigmoid(x): x >= 0: 1 / (1 + z); x < 0: 2^n p / (1 + z), z = e^-|x|, the
 * denominator's rounding corrected (e), p's rounding (<= 2^-24 relative) not:
 * carrying it as a low part (numerator and denominator) cost 9 more
 * instructions per 16 floats, +25% time, for 1.03 instead of 1.50 ULP (full
 * sweeps of both forms; the contract is 2).  The power of two is applied last
 * (subnormal results round once).  ACCURACY.md has the sweep. */
FA512 __m512 fa512_sigmoid(__m512 x) {
    __m512 p, lo, n, z, zl, e;
    __m512 d = fa512_one_plus_exp_neg_abs(x, &p, &lo, &n, &z, &zl, &e);
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 num = _mm512_mask_blend_ps(neg, FA512_F(1.0f), p);
    __m512 q = fa512_div_corrected(num, num, 0, d, e);
    return _mm512_mask_scalef_ps(q, neg, q, n);
}

/* g sigma'(x) 2^k = g z / (1 + z)^2 2^k, z = e^-|x| (even: no overflow).
 * (1 + z)^2 as sq + sq_lo (fma), the quotient (p + lo) / (sq + sq_lo)
 * corrected once, times g, 2^(n + k) around it: a subnormal result rounds once
 * (as sigmoid_backward in pyx/_exponential.pxd).  k = 0: sigmoid', k = 2 on
 * 2x: tanh' = 4 sigma'(2x). */
FA512 __m512 fa512_sigmoid_deriv_g(__m512 g, __m512 x, __m512 k) {
    __m512 p, lo, n, z, zl, e;
    __m512 s = fa512_one_plus_exp_neg_abs(x, &p, &lo, &n, &z, &zl, &e);
    e = _mm512_add_ps(e, zl);
    __m512 sq = _mm512_mul_ps(s, s);
    __m512 sq_lo = _mm512_fmadd_ps(_mm512_add_ps(s, s), e, _mm512_fmsub_ps(s, s, sq));
    __m512 r = _mm512_rcp14_ps(sq);
    __m512 q0 = _mm512_mul_ps(p, r);
    __m512 rem = _mm512_add_ps(_mm512_fnmadd_ps(q0, sq, p), _mm512_fnmadd_ps(q0, sq_lo, lo));
    /* 2^n in two steps, as the formula's split exp: 2^max(n, -64) before g (the
     * quotient stays normal, and g near the largest float does not overflow
     * against a result that is in range), the rest after (a subnormal result
     * rounds once) */
    __m512 n1 = _mm512_max_ps(n, FA512_F(-64.0f));
    __m512 q = _mm512_scalef_ps(_mm512_fmadd_ps(rem, r, q0), n1);
    return _mm512_scalef_ps(_mm512_mul_ps(g, q), _mm512_add_ps(_mm512_sub_ps(n, n1), k));
}

/* swish(x) = x sigma(a), a = beta x (silu: beta = 1).  As sigmoid, with the
 * numerator x (a >= 0) or x p (a < 0) as an exact pair (p's own rounding
 * left in, as sigmoid's: 1.78 instead of 1.10 ULP, 6 instructions less per
 * 16 floats, -17% time).  x > 89: x (also x = inf, where the pair would be
 * inf - inf); a < -195: x e^a is below half the smallest subnormal: a signed
 * zero. */
FA512 __m512 fa512_swish(__m512 x) {
    __m512 a = x;                     /* beta = 1 (see fa512_swish_deriv) */
    __m512 p, lo, n, z, zl, e;
    __m512 d = fa512_one_plus_exp_neg_abs(a, &p, &lo, &n, &z, &zl, &e);
    __mmask16 neg = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 f = _mm512_mask_blend_ps(neg, FA512_F(1.0f), p);
    __m512 N = _mm512_mul_ps(x, f);
    __m512 q = fa512_div_corrected(N, _mm512_fmsub_ps(x, f, N), 1, d, e);
    q = fa512_copysign(_mm512_mask_scalef_ps(q, neg, q, n), x);   /* x = -0: -0 */
    q = _mm512_mask_mov_ps(q, _mm512_cmp_ps_mask(x, FA512_F(89.0f), _CMP_GT_OQ), x);
    return _mm512_mask_mov_ps(q, _mm512_cmp_ps_mask(a, FA512_F(-195.0f), _CMP_LT_OQ),
                              _mm512_and_ps(x, FA512_SIGN));
}

/* swish'(x) = sigma(a) (1 + a (1 - sigma(a))), a = beta x: the formula of
 * swish_backward (pyx/_exponential.pxd), z = e^-|a| carried as (p + lo) 2^n:
 *   a >= 0: (1 + z + a z) / (1 + z)^2;   a < 0: 2^n (p + lo)(1 + a + z) / (1 + z)^2,
 * one reciprocal of (1 + z)^2 = sq + sq_lo (rcp14 and its residual ie), and
 * near the root a0 = -1.27846 (|a - a0| < FA_SILU_ROOT_WINDOW, fa_simd.h,
 * where 1 + a + z cancels) the root polynomial d Q(d), evaluated only for
 * vectors with a lane there. */
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

FA512 __m512 fa512_swish_deriv(__m512 x) {
    /* beta = 1: the explicit-SIMD swish and softplus run for the default
     * beta only (UNIT_P0 in pyx/_loops.pyx.tp); others need the formula's
     * correction of beta x's rounding */
    __m512 a = x;
    __m512 p, lo, n, z, zl, e;
    __m512 s = fa512_one_plus_exp_neg_abs(a, &p, &lo, &n, &z, &zl, &e);
    e = _mm512_add_ps(e, zl);
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
    /* the root window |a - a0| < FA_SILU_ROOT_WINDOW (fa_simd.h) */
    __mmask16 win = _mm512_cmp_ps_mask(fa512_abs(_mm512_sub_ps(a, FA512_F(-1.2784645557403564f))),
                                       FA512_F(FA_SILU_ROOT_WINDOW), _CMP_LT_OQ);
    if (win) {
        __m512 dd;
        __m512 near = fa512_silu_deriv_root(a, &dd);
        res = _mm512_mask_mov_ps(res, _mm512_cmp_ps_mask(fa512_abs(dd), FA512_F(FA_SILU_ROOT_WINDOW),
                                                         _CMP_LT_OQ), near);
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


/* ---- elu, selu, celu: e^x - 1 and e^x on x <= 0 ---- */

/* e^x - 1 for x in [-25, 0] or NaN: 2^n (1 + t) - 1 = fma(2^n, t, 2^n - 1),
 * t = e^r - 1 (n = 0: t itself, tiny x pass through exactly); 2^n - 1 is
 * exact.  As v_expm1_neg_f32: max 0.945 ULP. */
FA512 __m512 fa512_expm1_neg(__m512 xc) {
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(xc, FA512_F(1.44269502162933349609375f),
                                             FA512_F(12582912.0f)), FA512_F(12582912.0f));
    __m512 r = _mm512_fnmadd_ps(k, FA512_F(0.693145751953125f), xc);
    r = _mm512_fnmadd_ps(k, FA512_F(1.428606765330187e-06f), r);
    __m512 t = fa512_expm1_kernel(r);
    __m512 s = _mm512_scalef_ps(FA512_F(1.0f), k);
    return _mm512_fmadd_ps(s, t, _mm512_sub_ps(s, FA512_F(1.0f)));
}

/* e^x - 1 for any x (celu with alpha < 0 meets x > 0): clamped to [-25, 89];
 * 2^n as 2^min(n, 127) and, for n = 128, one more factor 2 (inf). */
FA512 __m512 fa512_expm1(__m512 x) {
    __m512 xc = _mm512_min_ps(FA512_F(89.0f), _mm512_max_ps(FA512_F(-25.0f), x));
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(xc, FA512_F(1.44269502162933349609375f),
                                             FA512_F(12582912.0f)), FA512_F(12582912.0f));
    __m512 r = _mm512_fnmadd_ps(k, FA512_F(0.693145751953125f), xc);
    r = _mm512_fnmadd_ps(k, FA512_F(1.428606765330187e-06f), r);
    __m512 t = fa512_expm1_kernel(r);
    __m512 kc = _mm512_min_ps(FA512_F(127.0f), k);
    __m512 s = _mm512_scalef_ps(FA512_F(1.0f), kc);
    __m512 em1 = _mm512_scalef_ps(_mm512_fmadd_ps(s, t, _mm512_sub_ps(s, FA512_F(1.0f))),
                                  _mm512_sub_ps(k, kc));
    /* zeros pass through with their sign */
    return _mm512_mask_mov_ps(em1, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), x);
}

/* e^x for x <= 0 or NaN (clamped at -120): p 2^n, rounded once */
FA512 __m512 fa512_exp_neg(__m512 x) {
    __m512 lo, n;
    __m512 p = fa512_exp_parts(_mm512_max_ps(FA512_F(-120.0f), x), &lo, &n);
    return _mm512_scalef_ps(p, n);
}

/* e^x for any x: clamped to [-120, 89]; overflow gives inf (vscalefps) */
FA512 __m512 fa512_exp(__m512 x) {
    __m512 lo, n;
    __m512 p = fa512_exp_parts(_mm512_min_ps(FA512_F(89.0f), _mm512_max_ps(FA512_F(-120.0f), x)),
                               &lo, &n);
    return _mm512_scalef_ps(p, n);
}

/* x if x > 0 else 0 is discarded: the negative side's argument min(x, 0)
 * (NaN and -0 pass: vminps returns its second operand) */
FA512 __m512 fa512_nonpos(__m512 x) { return _mm512_min_ps(_mm512_setzero_ps(), x); }

FA512 __m512 fa512_elu(__m512 x, __m512 alpha) {
    __m512 neg = _mm512_mul_ps(alpha, fa512_expm1_neg(_mm512_max_ps(FA512_F(-25.0f), fa512_nonpos(x))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), neg, x);
}

FA512 __m512 fa512_elu_deriv_g(__m512 g, __m512 x, __m512 alpha) {
    __m512 neg = _mm512_mul_ps(g, _mm512_mul_ps(alpha, fa512_exp_neg(fa512_nonpos(x))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), neg, g);
}

/* selu: lambda and lambda alpha as hi + lo float pairs (the constant adds no
 * rounding): c v = fma(c_hi, v, c_lo v); v = inf: hi inf + lo inf is NaN when
 * lo < 0, so lambda x falls back to hi x there. */
#define FA_SELU_L_HI 1.0507010221481323f
#define FA_SELU_L_LO -3.479265231476347e-08f
#define FA_SELU_LA_HI 1.7580993175506592f
#define FA_SELU_LA_LO 2.3296717444054593e-08f

FA512 __m512 fa512_selu(__m512 x) {
    __m512 pos = _mm512_fmadd_ps(FA512_F(FA_SELU_L_HI), x, _mm512_mul_ps(FA512_F(FA_SELU_L_LO), x));
    pos = _mm512_mask_mul_ps(pos, _mm512_cmp_ps_mask(pos, pos, _CMP_UNORD_Q), FA512_F(FA_SELU_L_HI), x);
    __m512 em1 = fa512_expm1_neg(_mm512_max_ps(FA512_F(-25.0f), fa512_nonpos(x)));
    __m512 neg = _mm512_fmadd_ps(FA512_F(FA_SELU_LA_HI), em1, _mm512_mul_ps(FA512_F(FA_SELU_LA_LO), em1));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), neg, pos);
}

FA512 __m512 fa512_selu_deriv_g(__m512 g, __m512 x) {
    /* lambda rounded to float32 (_selu_scale(1)) */
    const __m512 lam = _mm512_fmadd_ps(FA512_F(FA_SELU_L_HI), FA512_F(1.0f), FA512_F(FA_SELU_L_LO));
    __m512 e = fa512_exp_neg(fa512_nonpos(x));
    __m512 neg = _mm512_fmadd_ps(FA512_F(FA_SELU_LA_HI), e, _mm512_mul_ps(FA512_F(FA_SELU_LA_LO), e));
    return _mm512_mul_ps(g, _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ),
                                                 neg, lam));
}

/* celu(alpha): x / alpha is a true division (as the reference formula); for
 * alpha = 1 the loops skip it (x / 1 = x). */
FA512 __m512 fa512_celu(__m512 x, __m512 u, __m512 alpha) {
    __m512 neg = _mm512_mul_ps(alpha, fa512_expm1(u));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), neg, x);
}

FA512 __m512 fa512_celu_deriv_g(__m512 g, __m512 x, __m512 u) {
    __m512 neg = _mm512_mul_ps(g, fa512_exp(u));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), neg, g);
}


/* ---- softplus, logsigmoid: log1p(e^-|a|) ---- */

/* log1p(u + u_lo) for u in [0, 1] (u = e^-|a|) or NaN: m = 1 + u in [1, 2]
 * with its exact rounding error c (Fast2Sum) + u_lo; m = 2^k f, f in
 * [sqrt(1/2), sqrt(2)) (k = 0 or 1); log(1 + g) = g - g^2/2 + g^3 P(g)
 * (_log1p_poly_f32's coefficients), g = f - 1 exact; c/m as a corrected
 * quotient (rcp14 and the remainder). */
FA512 __m512 fa512_log1p_unit(__m512 u, __m512 u_lo) {
    __m512 m = _mm512_add_ps(FA512_F(1.0f), u);
    __m512 c = _mm512_add_ps(_mm512_sub_ps(u, _mm512_sub_ps(m, FA512_F(1.0f))), u_lo);
    __mmask16 big = _mm512_cmp_ps_mask(m, FA512_F(1.41421353816986083984375f), _CMP_GE_OQ);
    __m512 f = _mm512_mask_mul_ps(m, big, m, FA512_F(0.5f));
    __m512 kf = _mm512_maskz_mov_ps(big, FA512_F(1.0f));
    __m512 g = _mm512_sub_ps(f, FA512_F(1.0f));
    __m512 P = _mm512_fmadd_ps(FA512_F(-0.07636934518814087f), g, FA512_F(0.12762539088726044f));
    P = _mm512_fmadd_ps(P, g, FA512_F(-0.13159574568271637f));
    P = _mm512_fmadd_ps(P, g, FA512_F(0.14201536774635315f));
    P = _mm512_fmadd_ps(P, g, FA512_F(-0.166234090924263f));
    P = _mm512_fmadd_ps(P, g, FA512_F(0.2000124305486679f));
    P = _mm512_fmadd_ps(P, g, FA512_F(-0.2500081956386566f));
    P = _mm512_fmadd_ps(P, g, FA512_F(0.3333333134651184f));
    __m512 L = _mm512_fmadd_ps(_mm512_mul_ps(g, g), _mm512_fmadd_ps(g, P, FA512_F(-0.5f)), g);
    /* c/m: c is up to all of the result when u < 2^-23, so it is rounded once
     * like a division: rcp14, then the remainder correction */
    __m512 rm = _mm512_rcp14_ps(m);
    __m512 cq = _mm512_mul_ps(c, rm);
    cq = _mm512_fmadd_ps(_mm512_fnmadd_ps(cq, m, c), rm, cq);
    L = _mm512_add_ps(L, cq);
    return _mm512_fmadd_ps(kf, FA512_F(0.693145751953125f),
                           _mm512_fmadd_ps(kf, FA512_F(1.428606765330187e-06f), L));
}

/* log1p(e^-|a|), e^-|a| = (p + lo) 2^n carried into log1p's low part */
FA512 __m512 fa512_log1p_exp_neg_abs(__m512 a) {
    __m512 lo, n;
    __m512 p = fa512_exp_parts(_mm512_max_ps(FA512_F(-120.0f), fa512_neg_abs(a)), &lo, &n);
    return fa512_log1p_unit(_mm512_scalef_ps(p, n), _mm512_scalef_ps(lo, n));
}

/* softplus(threshold) at beta = 1: max(x, 0) + log1p(e^-|x|), x where x >
 * threshold */
FA512 __m512 fa512_softplus(__m512 x, __m512 thr) {
    __m512 bx = x;                    /* beta = 1 (see fa512_swish_deriv) */
    __m512 sp = _mm512_add_ps(_mm512_max_ps(bx, _mm512_setzero_ps()), fa512_log1p_exp_neg_abs(bx));
    return _mm512_mask_mov_ps(sp, _mm512_cmp_ps_mask(bx, thr, _CMP_GT_OQ), x);
}

FA512 __m512 fa512_softplus_deriv_g(__m512 g, __m512 x, __m512 thr) {
    __m512 bx = x;                    /* beta = 1 */
    __m512 d = _mm512_mul_ps(g, fa512_sigmoid(bx));
    return _mm512_mask_mov_ps(d, _mm512_cmp_ps_mask(bx, thr, _CMP_GT_OQ), g);
}

/* logsigmoid = min(x, 0) - log1p(e^-|x|); its derivative sigmoid(-x) */
FA512 __m512 fa512_logsigmoid(__m512 x) {
    __m512 m = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ),
                                    x, _mm512_setzero_ps());
    return _mm512_sub_ps(m, fa512_log1p_exp_neg_abs(x));
}


/* ---- pair ("double-float") arithmetic for gelu_tanh and mish ----
 * As pyx/_eft.pxd: a pair h + l with |l| <~ ulp(h); two_sum and
 * fast_two_sum exact, pair_mul / pair_add a few 2^-48 relative. */
FA512 __m512 fa512_two_sum(__m512 a, __m512 b, __m512* e) {
    __m512 s = _mm512_add_ps(a, b);
    __m512 bb = _mm512_sub_ps(s, a);
    *e = _mm512_add_ps(_mm512_sub_ps(a, _mm512_sub_ps(s, bb)), _mm512_sub_ps(b, bb));
    return s;
}

FA512 __m512 fa512_fast_two_sum(__m512 a, __m512 b, __m512* e) {   /* |a| >= |b| */
    __m512 s = _mm512_add_ps(a, b);
    *e = _mm512_sub_ps(b, _mm512_sub_ps(s, a));
    return s;
}

FA512 __m512 fa512_pair_mul(__m512 ah, __m512 al, __m512 bh, __m512 bl, __m512* l) {
    __m512 h = _mm512_mul_ps(ah, bh);
    *l = _mm512_add_ps(_mm512_fmsub_ps(ah, bh, h), _mm512_fmadd_ps(ah, bl, _mm512_mul_ps(al, bh)));
    return h;
}

/* (nh + nl) / (dh + dl), rounded once more: rcp14, the remainder, one
 * correction (rcp14's error squared: 2^-28). */
FA512 __m512 fa512_pair_div(__m512 nh, __m512 nl, __m512 dh, __m512 dl) {
    __m512 r = _mm512_rcp14_ps(dh);
    __m512 q = _mm512_mul_ps(nh, r);
    __m512 rem = _mm512_add_ps(_mm512_fnmadd_ps(q, dh, nh), _mm512_fnmadd_ps(q, dl, nl));
    return _mm512_fmadd_ps(rem, r, q);
}

/* The front of gelu_tanh and its derivative: x clamped at +-20 (xc), xc^2 as
 * sq + sq_lo, m + ml = c2 xc (c2 = 2 sqrt(2/pi) as a pair), 2u = m (1 + k xc^2)
 * as th + tl, neg = (th < 0), and z = e^-|2u| = (p + zl) 2^n with the first
 * order term of tl folded into the low part: e^-|th + tl| = e^-|th| (1 -+ tl),
 * th >= 0: -tl, th < 0: +tl (zl unscaled, as p). */
FA512 void fa512_gelu_tanh_front(__m512 x, __m512* xc_, __m512* sq_, __m512* sq_lo_,
                                  __m512* m_, __m512* ml_, __mmask16* neg_, __m512* p_,
                                  __m512* zl_, __m512* n_) {
    __m512 xc = _mm512_min_ps(FA512_F(20.0f), _mm512_max_ps(FA512_F(-20.0f), x));
    __m512 sq = _mm512_mul_ps(xc, xc);
    __m512 sq_lo = _mm512_fmsub_ps(xc, xc, sq);
    const __m512 k_hi = FA512_F(0.044714998453855515f), k_lo = FA512_F(1.5461444347053543e-09f);
    __m512 kp = _mm512_mul_ps(k_hi, sq);
    __m512 kp_lo = _mm512_add_ps(_mm512_fmsub_ps(k_hi, sq, kp),
                                 _mm512_fmadd_ps(k_hi, sq_lo, _mm512_mul_ps(k_lo, sq)));
    __m512 w_lo;
    __m512 w = fa512_two_sum(FA512_F(1.0f), kp, &w_lo);
    w_lo = _mm512_add_ps(w_lo, kp_lo);
    const __m512 c2_hi = FA512_F(1.5957691669464111f), c2_lo = FA512_F(-4.534068054340423e-08f);
    __m512 m = _mm512_mul_ps(c2_hi, xc);
    __m512 ml = _mm512_fmadd_ps(c2_lo, xc, _mm512_fmsub_ps(c2_hi, xc, m));
    __m512 th = _mm512_mul_ps(m, w);
    __m512 tl = _mm512_add_ps(_mm512_fmsub_ps(m, w, th),
                              _mm512_fmadd_ps(m, w_lo, _mm512_mul_ps(ml, w)));
    __mmask16 neg = _mm512_cmp_ps_mask(th, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 lo, n;
    __m512 p = fa512_exp_parts(_mm512_max_ps(FA512_F(-120.0f), fa512_neg_abs(th)), &lo, &n);
    __m512 stl = _mm512_mask_mov_ps(_mm512_sub_ps(_mm512_setzero_ps(), tl), neg, tl);
    *xc_ = xc; *sq_ = sq; *sq_lo_ = sq_lo; *m_ = m; *ml_ = ml; *neg_ = neg; *p_ = p; *n_ = n;
    *zl_ = _mm512_fmadd_ps(p, stl, lo);
}

/* gelu, approximate="tanh": x sigma(2u), 2u = c2 x (1 + k x^2) as th + tl
 * (pyx/_exponential.pxd gelu_tanh_forward), z = e^-|2u| = (p + lo') 2^n with
 * lo' = lo -+ p tl (first order), x clamped at +-20 (beyond: x, or -0). */
FA512 __m512 fa512_gelu_tanh(__m512 x) {
    __m512 xc, sq, sq_lo, m, ml, p, zl, n;
    __mmask16 neg;
    fa512_gelu_tanh_front(x, &xc, &sq, &sq_lo, &m, &ml, &neg, &p, &zl, &n);
    __m512 z = _mm512_scalef_ps(p, n);
    __m512 dl;
    __m512 d = fa512_fast_two_sum(FA512_F(1.0f), z, &dl);
    dl = _mm512_add_ps(dl, _mm512_scalef_ps(zl, n));
    __m512 nh = _mm512_mul_ps(xc, p);
    __m512 nl = _mm512_fmadd_ps(xc, zl, _mm512_fmsub_ps(xc, p, nh));
    __m512 num = _mm512_mask_blend_ps(neg, xc, nh);
    __m512 numl = _mm512_maskz_mov_ps(neg, nl);
    __m512 r = fa512_pair_div(num, numl, d, dl);
    r = _mm512_mask_scalef_ps(r, neg, r, n);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), x);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, FA512_F(20.0f), _CMP_GT_OQ), x);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, FA512_F(-20.0f), _CMP_LT_OQ),
                              _mm512_and_ps(x, FA512_SIGN));
}

/* mish = x N / (N + 2), N = e^x (e^x + 2), one exp (pyx/_exponential.pxd
 * mish_forward): e^x = (p + lo) 2^n; n2 = e^x + 2 and D = e^x n2 + 2 as
 * pairs on the scaled e^x; the numerator x (p + lo) n2 unscaled, 2^n last.
 * x clamped at 20 (beyond: x); x < -120: -0. */
FA512 __m512 fa512_mish(__m512 x) {
    __m512 xc = _mm512_min_ps(FA512_F(20.0f), x);
    __m512 lo, k;
    __m512 p = fa512_exp_parts(_mm512_max_ps(FA512_F(-120.0f), xc), &lo, &k);
    __m512 e = _mm512_scalef_ps(p, k), el = _mm512_scalef_ps(lo, k);
    const __m512 two = FA512_F(2.0f);
    __m512 t, Pl, Dl, Al, Xl;
    __m512 n2 = fa512_fast_two_sum(_mm512_max_ps(e, two), _mm512_min_ps(e, two), &t);
    __m512 n2l = _mm512_add_ps(t, el);
    __m512 P = fa512_pair_mul(e, el, n2, n2l, &Pl);
    __m512 D = fa512_fast_two_sum(_mm512_max_ps(P, two), _mm512_min_ps(P, two), &t);
    Dl = _mm512_add_ps(t, Pl);
    __m512 A = fa512_pair_mul(p, lo, n2, n2l, &Al);
    __m512 X = fa512_pair_mul(xc, _mm512_setzero_ps(), A, Al, &Xl);
    __m512 r = _mm512_scalef_ps(fa512_pair_div(X, Xl, D, Dl), k);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), x);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, FA512_F(20.0f), _CMP_GT_OQ), x);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, FA512_F(-120.0f), _CMP_LT_OQ),
                              _mm512_and_ps(x, FA512_SIGN));
}


FA512 __m512 fa512_pair_add(__m512 ah, __m512 al, __m512 bh, __m512 bl, __m512* l) {
    __m512 e;
    __m512 h = fa512_two_sum(ah, bh, &e);
    *l = _mm512_add_ps(e, _mm512_add_ps(al, bl));
    return h;
}

/* f'(a0 + d) = d Q(d) near a derivative's root a0 = hi + lo, Q of degree 10
 * (_exponential.pxd's _gelu_tanh_deriv_root_f32 / _mish_deriv_root_f32): returns
 * the value, stores d = (x - hi) - lo. */
FA512 __m512 fa512_root_poly10(__m512 x, float a0_hi, float a0_lo, const float* c,
                               __m512* d_out) {
    __m512 dh = _mm512_sub_ps(x, FA512_F(a0_hi));
    __m512 dl = FA512_F(-a0_lo);
    __m512 d = _mm512_add_ps(dh, dl);
    __m512 P = _mm512_fmadd_ps(FA512_F(c[0]), d, FA512_F(c[1]));
    int i;
    for (i = 2; i <= 10; i++)
        P = _mm512_fmadd_ps(P, d, FA512_F(c[i]));
    *d_out = d;
    return _mm512_fmadd_ps(dh, P, _mm512_mul_ps(dl, P));
}

static const float fa_gelu_tanh_root_q[11] = {
    -0.003539161989465356f, 0.0007675912347622216f, 0.001599402748979628f,
    -0.0026736543513834476f, 0.004646594170480967f, 0.019720861688256264f,
    -0.016557926312088966f, -0.11394642293453217f, -0.015785016119480133f,
    0.3875184655189514f, 0.4304001033306122f};
static const float fa_mish_root_q[11] = {
    -0.0038623588625341654f, 0.0003209353017155081f, 0.002822133479639888f,
    0.0008177366107702255f, 0.00048359576612710953f, -0.0033359923399984837f,
    -0.015761978924274445f, -0.020272914320230484f, 0.04190580174326897f,
    0.2047312706708908f, 0.2669479250907898f};

/* The common end of gelu_tanh' and mish' (_deriv_finish): the root
 * polynomial inside |x - a0| < 1/4 (computed only for vectors with a lane
 * there), 1 above hi, a signed 0 below lo. */
FA512 __m512 fa512_deriv_finish(__m512 x, __m512 r, float a0_hi, float a0_lo, const float* c,
                                float hi, float lo, float window) {
    __mmask16 win = _mm512_cmp_ps_mask(fa512_abs(_mm512_sub_ps(x, FA512_F(a0_hi))),
                                       FA512_F(window), _CMP_LT_OQ);
    if (win) {
        __m512 d;
        __m512 near = fa512_root_poly10(x, a0_hi, a0_lo, c, &d);
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(fa512_abs(d), FA512_F(window), _CMP_LT_OQ),
                               near);
    }
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, FA512_F(hi), _CMP_GT_OQ), FA512_F(1.0f));
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, FA512_F(lo), _CMP_LT_OQ),
                              _mm512_and_ps(x, FA512_SIGN));
}

/* gelu_tanh'(x) = sigma (1 + v (1 - sigma)), sigma = sigma(2u), v = m (1 + 3 k x^2)
 * (pyx/_exponential.pxd gelu_tanh_backward), all as pairs, z = e^-|2u|:
 *   2u >= 0: (1 + z W) / (1 + z)^2;   2u < 0: 2^n (p + lo')(W + z) / (1 + z)^2. */
FA512 __m512 fa512_gelu_tanh_deriv(__m512 x) {
    __m512 xc, sq, sq_lo, m, ml, p, zl, n;
    __mmask16 neg;
    fa512_gelu_tanh_front(x, &xc, &sq, &sq_lo, &m, &ml, &neg, &p, &zl, &n);
    __m512 z = _mm512_scalef_ps(p, n), zlt = _mm512_scalef_ps(zl, n);
    __m512 dl;
    __m512 d = fa512_fast_two_sum(FA512_F(1.0f), z, &dl);
    dl = _mm512_add_ps(dl, zlt);
    __m512 q = _mm512_mul_ps(d, d);
    __m512 ql = _mm512_fmadd_ps(_mm512_add_ps(d, d), dl, _mm512_fmsub_ps(d, d, q));
    const __m512 k3_hi = FA512_F(0.13414500653743744f), k3_lo = FA512_F(-6.537437258202772e-09f);
    __m512 q3l, w3l, Vl, Wl, Pl, Nl, Yl, Ql;
    __m512 q3 = fa512_pair_mul(k3_hi, k3_lo, sq, sq_lo, &q3l);
    __m512 w3 = fa512_pair_add(FA512_F(1.0f), _mm512_setzero_ps(), q3, q3l, &w3l);
    __m512 V = fa512_pair_mul(m, ml, w3, w3l, &Vl);
    __m512 W = fa512_pair_add(FA512_F(1.0f), _mm512_setzero_ps(), V, Vl, &Wl);
    __m512 Zw = fa512_pair_mul(z, zlt, W, Wl, &Pl);
    __m512 Np = fa512_pair_add(FA512_F(1.0f), _mm512_setzero_ps(), Zw, Pl, &Nl);
    __m512 Y = fa512_pair_add(W, Wl, z, zlt, &Yl);
    __m512 Nn = fa512_pair_mul(p, zl, Y, Yl, &Ql);
    __m512 Nh = _mm512_mask_blend_ps(neg, Np, Nn);
    Nl = _mm512_mask_blend_ps(neg, Nl, Ql);
    __m512 r = fa512_pair_div(Nh, Nl, q, ql);
    r = _mm512_mask_scalef_ps(r, neg, r, n);
    return fa512_deriv_finish(x, r, -0.7524614334106445f, 1.1339627903339533e-08f,
                              fa_gelu_tanh_root_q, 20.0f, -20.0f, FA_DERIV_ROOT_WINDOW);
}

/* mish'(x) = n P / D^2, n = e^x, P = n^3 + 4 n^2 + (6 + 4x) n + 4 (1 + x),
 * D = n (n + 2) + 2 (pyx/_exponential.pxd mish_backward), in pairs; the
 * numerator's leading n unscaled, 2^k last. */
FA512 __m512 fa512_mish_deriv(__m512 x) {
    __m512 xc = _mm512_min_ps(FA512_F(20.0f), x);
    __m512 lo, k;
    __m512 p = fa512_exp_parts(_mm512_max_ps(FA512_F(-120.0f), xc), &lo, &k);
    __m512 e = _mm512_scalef_ps(p, k), el = _mm512_scalef_ps(lo, k);
    const __m512 two = FA512_F(2.0f);
    __m512 t, Pl, Dl, Bl, ol, Nl, ql;
    __m512 n2 = fa512_fast_two_sum(_mm512_max_ps(e, two), _mm512_min_ps(e, two), &t);
    __m512 n2l = _mm512_add_ps(t, el);
    __m512 P0 = fa512_pair_mul(e, el, n2, n2l, &Pl);
    __m512 D = fa512_fast_two_sum(_mm512_max_ps(P0, two), _mm512_min_ps(P0, two), &t);
    Dl = _mm512_add_ps(t, Pl);
    __m512 P = fa512_pair_add(e, el, FA512_F(4.0f), _mm512_setzero_ps(), &Pl);
    P = fa512_pair_mul(P, Pl, e, el, &Pl);
    __m512 B = fa512_two_sum(FA512_F(6.0f), _mm512_mul_ps(FA512_F(4.0f), xc), &Bl);
    P = fa512_pair_add(P, Pl, B, Bl, &Pl);
    P = fa512_pair_mul(P, Pl, e, el, &Pl);
    __m512 o = fa512_two_sum(FA512_F(1.0f), xc, &ol);
    P = fa512_pair_add(P, Pl, _mm512_mul_ps(FA512_F(4.0f), o), _mm512_mul_ps(FA512_F(4.0f), ol), &Pl);
    __m512 N = fa512_pair_mul(p, lo, P, Pl, &Nl);
    __m512 q = fa512_pair_mul(D, Dl, D, Dl, &ql);
    __m512 r = _mm512_scalef_ps(fa512_pair_div(N, Nl, q, ql), k);
    return fa512_deriv_finish(x, r, -1.1924312114715576f, -3.0439375464652585e-09f,
                              fa_mish_root_q, 20.0f, -120.0f, FA_DERIV_ROOT_WINDOW);
}

/* ---- gelu (approximate="none") forward: x Phi(x) ---- */

/* An interval table's polynomial (fa_gelu_table.h's form): slot k = round(t)
 * (nearest even, as vcvtps2dq), u = t - k (exact: vreduceps), rows c0,
 * c0_lo, c1 .. c_deg of `table` (32 entries each: one vpermt2ps a row),
 * Horner in float32 with the last step compensated: returns c0 + u P
 * rounded, and in *lo its rounding error plus c0_lo. */
FA512 __m512 fa512_table_poly(const float (*table)[32], int deg, __m512 t, __m512* lo) {
    __m512 u = _mm512_reduce_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512i k = _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#define FA512_TABLE_C(row) _mm512_permutex2var_ps(_mm512_load_ps(table[row]), k, \
                                                  _mm512_load_ps(table[row] + 16))
    __m512 P = _mm512_fmadd_ps(FA512_TABLE_C(deg + 1), u, FA512_TABLE_C(deg));
    for (int r = deg - 1; r >= 2; r--)
        P = _mm512_fmadd_ps(P, u, FA512_TABLE_C(r));
    __m512 c0 = FA512_TABLE_C(0);
    __m512 hi = _mm512_fmadd_ps(P, u, c0);
    *lo = _mm512_add_ps(_mm512_fmadd_ps(P, u, _mm512_sub_ps(c0, hi)), FA512_TABLE_C(1));
#undef FA512_TABLE_C
    return hi;
}

/* The two factors of Phi(-a) = e^(-a^2/2) R(a), a = |x| clamped at 14.5:
 *
 * R(a) = erfcx(a / sqrt 2) / 2 = Rh + Rl from the interval table
 * (fa_gelu_table.h): slot round(2a), u = 2a - slot (exact), degree 6 by
 * vpermt2ps, c0 a pair, the last Horner step compensated; within
 * 0.23 x 2^-24. */
FA512 __m512 fa512_gelu_R(__m512 a, __m512* Rl) {
    return fa512_table_poly(fa_gelu_table, 6, _mm512_add_ps(a, a), Rl);
}

/* e^(-a^2/2) = 2^n (1 + s)(1 + tl), returns s: a^2 = h + hl exactly (fma),
 * m = -h/2, n = round(m log2e), m - n ln2 = r + r_lo (Cody-Waite, the
 * rounding of r kept), s = e^r - 1 (the expm1 kernel), tl = r_lo - hl/2. */
FA512 __m512 fa512_gauss(__m512 a, __m512* tl, __m512* n) {
    __m512 h = _mm512_mul_ps(a, a);
    __m512 hl = _mm512_fmsub_ps(a, a, h);
    __m512 m = _mm512_mul_ps(FA512_F(-0.5f), h);
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(m, FA512_F(1.44269502162933349609375f),
                                             FA512_F(12582912.0f)), FA512_F(12582912.0f));
    __m512 r1 = _mm512_fnmadd_ps(k, FA512_F(0.693145751953125f), m);
    __m512 r = _mm512_fnmadd_ps(k, FA512_F(1.428606765330187e-06f), r1);
    __m512 r_lo = _mm512_fnmadd_ps(k, FA512_F(1.428606765330187e-06f), _mm512_sub_ps(r1, r));
    *tl = _mm512_fmadd_ps(hl, FA512_F(-0.5f), r_lo);
    *n = k;
    return fa512_expm1_kernel(r);
}

/* (Fh + Fl) (1 + s)(1 + tl) = S + S_lo (the pair F times the Gaussian's
 * mantissa part; |result - F| <= 0.42 |F|) */
FA512 __m512 fa512_gelu_scale(__m512 Fh, __m512 Fl, __m512 s, __m512 tl, __m512* S_lo) {
    __m512 C = _mm512_fmadd_ps(Fh, tl, Fl);
    return fa512_fast_two_sum(Fh, _mm512_fmadd_ps(Fh, s, _mm512_fmadd_ps(C, s, C)), S_lo);
}

/* The two sides of gelu and gelu' from S + S_lo (x q 2^-n, or G's), x's sign
 * choosing: x < 0, 2^n S (rounded once more only in the subnormal range);
 * otherwise one - 2^n (S + S_lo) for 2^n S <= 1/2 in magnitude, as w + (w_lo -
 * 2^n S_lo), one - 2^n S by Fast2Sum (one = x for gelu, 1 for gelu').
 * No subnormal intermediate where the result is not one: an Intel core
 * takes a microcode assist for every vector that makes one (uniform data on
 * [-30, 30] ran gelu at 10 ns per element, gelu' at 9.6; |x| in [4, 12] 2.5).
 * So the x >= 0 side scales by 2^n at n >= -40 (from |x| = 7.4 on, 2^n S and
 * 2^n S_lo are below half an ulp of one either way), and 2^n S is formed
 * only where x < 0 and |x| <= 14.5 (past it the callers' clamps decide; the
 * sum 2^n S + 2^n S_lo this replaced in gelu' is 2^n S wherever that is
 * normal: S + S_lo is a Fast2Sum pair). */
FA512 __m512 fa512_gelu_sides(__m512 x, __m512 one, __m512 S, __m512 S_lo, __m512 n) {
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __mmask16 far = _mm512_cmp_ps_mask(fa512_abs(x), FA512_F(FA_GELU_CLAMP), _CMP_GT_OQ);
    __m512 np = _mm512_max_ps(n, FA512_F(-40.0f)), w_lo;
    __m512 w = fa512_fast_two_sum(one, _mm512_sub_ps(_mm512_setzero_ps(),
                                                     _mm512_scalef_ps(S, np)), &w_lo);
    __m512 pos = _mm512_add_ps(w, _mm512_sub_ps(w_lo, _mm512_scalef_ps(S_lo, np)));
    return _mm512_mask_mov_ps(pos, neg, _mm512_scalef_ps(
        S, _mm512_maskz_mov_ps((__mmask16)(neg & ~far), n)));
}

/* gelu(x) = x Phi(x) for any x (the reference: pyx/_exponential.pxd
 * gelu_forward), with q = Phi(-a) = e^(-a^2/2) R(a) as above, no exp of the
 * whole argument, no division, no branch (the lanes the common path below
 * does not take):
 * - x q 2^-n = S + S_lo: x Rh = A + its exact error, times (1 + s)(1 + tl);
 * - x < 0: 2^n S (rounded once more only in the subnormal range);
 *   x > 0: x - 2^n (S + S_lo) (2^n S <= x / 2: Fast2Sum).
 * |x| > 14.5: x, or -0 (x Phi(x) is below half the smallest subnormal); the
 * sign of x throughout (gelu(-0) = -0). */
FA512 __m512 fa512_gelu_any(__m512 x) {
    __m512 a = _mm512_min_ps(FA512_F(FA_GELU_CLAMP), fa512_abs(x));
    __m512 Rl, tl, n, S_lo;
    __m512 Rh = fa512_gelu_R(a, &Rl);
    __m512 s = fa512_gauss(a, &tl, &n);
    __m512 A = _mm512_mul_ps(x, Rh);
    __m512 S = fa512_gelu_scale(A, _mm512_fmadd_ps(x, Rl, _mm512_fmsub_ps(x, Rh, A)), s, tl,
                                &S_lo);
    __m512 y = fa512_gelu_sides(x, x, S, S_lo, n);
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, FA512_F(FA_GELU_CLAMP), _CMP_GT_OQ), x);
    y = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, FA512_F(-FA_GELU_CLAMP), _CMP_NLT_UQ), y);
    return fa512_copysign(y, x);
}

/* gelu's common path, |x| < FA_GELU_Q_END: Q(a) = Phi(-a) itself (no
 * Gaussian, no exp) from the interval table fa_gelu_q_table (slots of 1/8,
 * degree 5, c0 a pair, the last Horner step compensated: Qh + Ql within
 * 0.357 x 2^-24 of Q on every float32 a), and
 * - x < 0: x Q = x Qh + x Ql, one fma: <= 0.5 ULP + Q's error;
 * - x >= 0: x - x Q = (x - x Qh) - x Ql, the first an fma (x Q <= x / 2,
 *   x Ql <= 2^-24 of the result): <= 1 ULP + Q's error (at most 2^-24 of the
 *   result there, Q <= 1 - Q);
 * the sign of x throughout (gelu(-0) = -0).  About 26 instructions per 16
 * lanes (7 of them vpermt2ps) against the R-table form's 80, which the
 * lanes at |x| >= 3.9375, inf or NaN take instead (fa_simd_gelu_forward_f32
 * below). */
#define FA_GELU_Q_END 3.9375f
FA512 __m512 fa512_gelu_common(__m512 x) {
    __m512 Ql, Qh = fa512_table_poly(fa_gelu_q_table, 5,
                                     _mm512_mul_ps(fa512_abs(x), FA512_F(8.0f)), &Ql);
    __m512 xl = _mm512_mul_ps(x, Ql);
    __m512 neg = _mm512_fmadd_ps(x, Qh, xl);
    __m512 pos = _mm512_sub_ps(_mm512_fnmadd_ps(x, Qh, x), xl);
    __m512 y = _mm512_mask_mov_ps(pos, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),
                                  neg);
    return fa512_copysign(y, x);
}

/* The gelu forward kernel, in blocks of FA_GELU_BLOCK entries: a vector
 * whose lanes are all in the common path's range takes it; a vector with none
 * there (|x| >= 3.9375, inf, NaN) the R-table form; a vector with some of
 * each the common path, its other lanes' x and positions compressed
 * (vcompressps) into a batch that the R-table form takes 16 at a time after
 * the block, their results scattered over the common path's.  So every
 * lane's result is a function of its own x whatever its neighbours (layouts
 * and threads give the same bits), and data with a standard deviation of 3 (a
 * fifth of the lanes out of range, in 97% of the vectors) runs the R-table
 * form about once per 16 such lanes, not once per vector.  In place, a
 * block's out-of-range x are kept before its vectors are written.  Streamed
 * out= (prm[3]) writes the block to a stack buffer first, then streams it. */
#define FA_GELU_BLOCK 256
/* out of line: the common path's loop keeps its table and constants in
 * registers */
__attribute__((noinline)) static __m512 fa512_gelu_any_ool(__m512 x) {
    return fa512_gelu_any(x);
}
static void fa_simd_gelu_forward_f32(const float* xs, float* out, Py_ssize_t n,
                                     const float* prm) {
    float stage[FA_GELU_BLOCK] __attribute__((aligned(64)));
    float rx[FA_GELU_BLOCK + 16];      /* + 16: each vector stores 16 lanes */
    int ri[FA_GELU_BLOCK + 16];
    const int stream = prm[3] != 0;
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (Py_ssize_t i0 = 0; i0 < n; i0 += FA_GELU_BLOCK) {
        const int m = (int)(n - i0 < FA_GELU_BLOCK ? n - i0 : FA_GELU_BLOCK);
        float* dst = stream ? stage : out + i0;
        int cnt = 0, j;
        /* one vector at j: its lanes (all but in the tail), rare: those out of
         * the common path's range */
#define FA512_GELU_AT(x, lanes, STORE)                                                \
        do {                                                                          \
            __mmask16 rare = _mm512_mask_cmp_ps_mask((lanes), fa512_abs(x),           \
                                                     FA512_F(FA_GELU_Q_END), _CMP_NLT_UQ); \
            if (rare == (lanes)) {                                                    \
                STORE(dst + j, fa512_gelu_any_ool(x));                                \
            } else {                                                                  \
                if (rare) {    /* vcompressps to a register, a whole store */    \
                    _mm512_storeu_ps(rx + cnt, _mm512_maskz_compress_ps(rare, x));    \
                    _mm512_storeu_si512((void*)(ri + cnt), _mm512_maskz_compress_epi32( \
                        rare, _mm512_add_epi32(_mm512_set1_epi32(j), iota)));         \
                    cnt += __builtin_popcount((unsigned)rare);                        \
                }                                                                     \
                STORE(dst + j, fa512_gelu_common(x));                                 \
            }                                                                         \
        } while (0)
#define FA512_GELU_STORE_TAIL(p, v) _mm512_mask_storeu_ps((p), tail, (v))
        for (j = 0; j + 16 <= m; j += 16) {
            __m512 x = _mm512_loadu_ps(xs + i0 + j);
            FA512_GELU_AT(x, (__mmask16)0xFFFF, _mm512_storeu_ps);
        }
        if (j < m) {
            __mmask16 tail = (__mmask16)((1u << (m - j)) - 1u);
            __m512 x = _mm512_maskz_loadu_ps(tail, xs + i0 + j);
            FA512_GELU_AT(x, tail, FA512_GELU_STORE_TAIL);
        }
#undef FA512_GELU_STORE_TAIL
#undef FA512_GELU_AT
        for (j = 0; j < cnt; j += 16) {
            __mmask16 l = cnt - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cnt - j)) - 1u);
            _mm512_mask_i32scatter_ps(dst, l, _mm512_maskz_loadu_epi32(l, ri + j),
                                      fa512_gelu_any_ool(_mm512_maskz_loadu_ps(l, rx + j)), 4);
        }
        if (stream) {
            for (j = 0; j + 16 <= m; j += 16)
                _mm512_stream_ps(out + i0 + j, _mm512_load_ps(stage + j));
            if (j < m)
                _mm512_mask_storeu_ps(out + i0 + j, (__mmask16)((1u << (m - j)) - 1u),
                                      _mm512_load_ps(stage + j));
        }
    }
}

static const float fa_gelu_root_q[11] = {
    -0.0016514338785782456f, 0.00033706630347296596f, 0.0004342385509517044f,
    -0.0023086995352059603f, 0.004257649183273315f, 0.01943078823387623f,
    -0.014743954874575138f, -0.11400853842496872f, -0.018200624734163284f,
    0.38828498125076294f, 0.43149399757385254f};

/* gelu'(x) = Phi(x) + x phi(x) = e^(-a^2/2) G (pyx/_exponential.pxd
 * gelu_backward), G = R - a c0 (c0 = 1/sqrt(2 pi) as a pair) as Gh + Gl:
 * x < 0: 2^n (S + S_lo), x > 0: 1 - 2^n (S + S_lo) (|e^(-a^2/2) G| <= 1/2),
 * S + S_lo = G (1 + s)(1 + tl); near the root a0 = -0.75179, where G
 * cancels, d Q(d) (fa512_deriv_finish, as gelu_tanh'). */
FA512 __m512 fa512_gelu_deriv(__m512 x) {
    __m512 a = _mm512_min_ps(FA512_F(FA_GELU_CLAMP), fa512_abs(x));
    __m512 Rl, tl, n, S_lo, Gl;
    __m512 Rh = fa512_gelu_R(a, &Rl);
    __m512 s = fa512_gauss(a, &tl, &n);
    __m512 P = _mm512_mul_ps(a, FA512_F(0.3989422917366028f));
    __m512 Pl = _mm512_fmadd_ps(a, FA512_F(0.3989422917366028f), _mm512_sub_ps(_mm512_setzero_ps(), P));
    Pl = _mm512_fmadd_ps(a, FA512_F(-1.1335170135851058e-08f), Pl);
    __m512 Gh = fa512_two_sum(Rh, _mm512_sub_ps(_mm512_setzero_ps(), P), &Gl);
    Gl = _mm512_add_ps(Gl, _mm512_sub_ps(Rl, Pl));
    __m512 S = fa512_gelu_scale(Gh, Gl, s, tl, &S_lo);
    __m512 r = fa512_gelu_sides(x, FA512_F(1.0f), S, S_lo, n);
    return fa512_deriv_finish(x, r, -0.7517915368080139f, 1.211444988769017e-08f,
                              fa_gelu_root_q, FA_GELU_CLAMP, -FA_GELU_CLAMP, FA_DERIV_ROOT_WINDOW);
}


/* out of line: the common path's loop keeps its table in registers */
__attribute__((noinline)) static __m512 fa512_gelu_deriv_ool(__m512 x) {
    return fa512_gelu_deriv(x);
}

/* gelu' (the derivative): its common path, |x| < FA_GELU_Q_END: G(a) = Phi(-a) - a phi(a) from
 * the interval table fa_gelu_dq_table (slots of 1/8, degree 5, c0 a pair, the
 * last two Horner steps compensated: within 1.112 x 2^-24 of G on every
 * float32 a outside the root window), gelu' = G(|x|) for x < 0 and 1 - G(x)
 * for x >= 0; the lanes within 1/16 of the root -0.75179 take the root
 * polynomial, as fa512_gelu_deriv's.  About 30 instructions per 16 lanes
 * (7 vpermt2ps) against that form's 112. */
FA512 __m512 fa512_gelu_deriv_common(__m512 x) {
    __m512 t = _mm512_mul_ps(fa512_abs(x), FA512_F(8.0f));
    __m512 u = _mm512_reduce_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512i k = _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#define FA512_GELU_DQ(row) _mm512_permutex2var_ps(_mm512_load_ps(fa_gelu_dq_table[row]), k, \
                                                  _mm512_load_ps(fa_gelu_dq_table[row] + 16))
    __m512 P2 = _mm512_fmadd_ps(FA512_GELU_DQ(6), u, FA512_GELU_DQ(5));
    P2 = _mm512_fmadd_ps(P2, u, FA512_GELU_DQ(4));
    P2 = _mm512_fmadd_ps(P2, u, FA512_GELU_DQ(3));
    __m512 c1 = FA512_GELU_DQ(2), c0 = FA512_GELU_DQ(0);
    __m512 P = _mm512_fmadd_ps(P2, u, c1);
    __m512 e1 = _mm512_fmadd_ps(P2, u, _mm512_sub_ps(c1, P));
    __m512 Gh = _mm512_fmadd_ps(P, u, c0);
    __m512 Gl = _mm512_fmadd_ps(e1, u, _mm512_add_ps(_mm512_fmadd_ps(P, u, _mm512_sub_ps(c0, Gh)),
                                                     FA512_GELU_DQ(1)));
#undef FA512_GELU_DQ
    __m512 r = _mm512_sub_ps(_mm512_sub_ps(FA512_F(1.0f), Gh), Gl);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),
                           _mm512_add_ps(Gh, Gl));
    return fa512_deriv_finish(x, r, -0.7517915368080139f, 1.211444988769017e-08f,
                              fa_gelu_root_q, FA_GELU_CLAMP, -FA_GELU_CLAMP, FA_DERIV_ROOT_WINDOW);
}

/* The gelu' kernel, g gelu'(x), in blocks of FA_GELU_BLOCK entries as the
 * forward's (fa_simd_gelu_forward_f32): the common path for every vector with
 * a lane in its range, the out-of-range lanes (|x| >= 3.9375, inf, NaN) with
 * their g compressed into a batch that fa512_gelu_deriv takes 16 at a time
 * after the block, a vector of only such lanes that form whole.  Every lane's
 * result is a function of its own x and g. */
static void fa_simd_gelu_backward_f32(const float* gs, const float* xs, float* out,
                                      Py_ssize_t n, const float* prm) {
    float stage[FA_GELU_BLOCK] __attribute__((aligned(64)));
    float rx[FA_GELU_BLOCK + 16], rg[FA_GELU_BLOCK + 16];
    int ri[FA_GELU_BLOCK + 16];
    const int stream = prm[3] != 0;
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (Py_ssize_t i0 = 0; i0 < n; i0 += FA_GELU_BLOCK) {
        const int m = (int)(n - i0 < FA_GELU_BLOCK ? n - i0 : FA_GELU_BLOCK);
        float* dst = stream ? stage : out + i0;
        int cnt = 0, j;
        for (j = 0; j < m; j += 16) {
            __mmask16 lanes = m - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (m - j)) - 1u);
            __m512 x = _mm512_maskz_loadu_ps(lanes, xs + i0 + j);
            __m512 g = _mm512_maskz_loadu_ps(lanes, gs + i0 + j);
            __mmask16 rare = _mm512_mask_cmp_ps_mask(lanes, fa512_abs(x),
                                                     FA512_F(FA_GELU_Q_END), _CMP_NLT_UQ);
            __m512 d;
            if (rare == lanes) {
                d = fa512_gelu_deriv_ool(x);
            } else {
                if (rare) {    /* vcompressps to a register, a whole store */
                    _mm512_storeu_ps(rx + cnt, _mm512_maskz_compress_ps(rare, x));
                    _mm512_storeu_ps(rg + cnt, _mm512_maskz_compress_ps(rare, g));
                    _mm512_storeu_si512((void*)(ri + cnt), _mm512_maskz_compress_epi32(
                        rare, _mm512_add_epi32(_mm512_set1_epi32(j), iota)));
                    cnt += __builtin_popcount((unsigned)rare);
                }
                d = fa512_gelu_deriv_common(x);
            }
            _mm512_mask_storeu_ps(dst + j, lanes, _mm512_mul_ps(g, d));
        }
        for (j = 0; j < cnt; j += 16) {
            __mmask16 l = cnt - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cnt - j)) - 1u);
            _mm512_mask_i32scatter_ps(dst, l, _mm512_maskz_loadu_epi32(l, ri + j),
                                      _mm512_mul_ps(_mm512_maskz_loadu_ps(l, rg + j),
                                                    fa512_gelu_deriv_ool(
                                                        _mm512_maskz_loadu_ps(l, rx + j))), 4);
        }
        if (stream) {
            for (j = 0; j + 16 <= m; j += 16)
                _mm512_stream_ps(out + i0 + j, _mm512_load_ps(stage + j));
            if (j < m)
                _mm512_mask_storeu_ps(out + i0 + j, (__mmask16)((1u << (m - j)) - 1u),
                                      _mm512_load_ps(stage + j));
        }
    }
}

/* ---- whole-array loops (contiguous; out may alias an input) ---- */

#define FA512_LOOP1(name, EXPR)                                                       \
    static void fa_simd_##name##_f32(const float* xs, float* out, Py_ssize_t n,        \
                                     const float* prm) {                              \
        const __m512 p0 = _mm512_set1_ps(prm[0]);                                     \
        const __m512 p1 = _mm512_set1_ps(prm[1]);                                     \
        const int unit_p0 = prm[0] == 1.0f;                                           \
        Py_ssize_t i = 0;                                                             \
        (void)p0; (void)p1; (void)unit_p0;                                            \
        FA_SIMD_MAIN_LOOP(16, __m512 x = _mm512_loadu_ps(xs + i),                     \
                          _mm512_stream_ps, _mm512_storeu_ps, EXPR)                   \
        if (i < n) {                                                                  \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                          \
            __m512 x = _mm512_maskz_loadu_ps(m, xs + i);                              \
            _mm512_mask_storeu_ps(out + i, m, (EXPR));                                \
        }                                                                             \
    }

/* g * EXPR: the G form with the product by g written here */
#define FA512_LOOP2(name, EXPR) FA512_LOOP2G(name, _mm512_mul_ps(g, (EXPR)))

/* the expression multiplies by g itself */
#define FA512_LOOP2G(name, EXPR)                                                       \
    static void fa_simd_##name##_f32(const float* gs, const float* xs, float* out,     \
                                     Py_ssize_t n, const float* prm) {                \
        const __m512 p0 = _mm512_set1_ps(prm[0]);                                     \
        const __m512 p1 = _mm512_set1_ps(prm[1]);                                     \
        const int unit_p0 = prm[0] == 1.0f;                                           \
        Py_ssize_t i = 0;                                                             \
        (void)p0; (void)p1; (void)unit_p0;                                            \
        FA_SIMD_MAIN_LOOP(16, __m512 g = _mm512_loadu_ps(gs + i);                     \
                              __m512 x = _mm512_loadu_ps(xs + i),                     \
                          _mm512_stream_ps, _mm512_storeu_ps, EXPR)                   \
        if (i < n) {                                                                  \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                          \
            __m512 g = _mm512_maskz_loadu_ps(m, gs + i);                              \
            __m512 x = _mm512_maskz_loadu_ps(m, xs + i);                              \
            _mm512_mask_storeu_ps(out + i, m, (EXPR));              \
        }                                                                             \
    }

#define FA_SIMD_HAVE_sigmoid_forward
#define FA_SIMD_sigmoid_forward_f32 1
FA512_LOOP1(sigmoid_forward, fa512_sigmoid(x))

#define FA_SIMD_HAVE_sigmoid_backward
#define FA_SIMD_sigmoid_backward_f32 1
FA512_LOOP2G(sigmoid_backward, fa512_sigmoid_deriv_g(g, x, _mm512_setzero_ps()))

#define FA_SIMD_HAVE_tanh_forward
#define FA_SIMD_tanh_forward_f32 1
FA512_LOOP1(tanh_forward, fa512_tanh(x))

#define FA_SIMD_HAVE_tanh_backward
#define FA_SIMD_tanh_backward_f32 1
FA512_LOOP2G(tanh_backward, fa512_sigmoid_deriv_g(g, _mm512_add_ps(x, x), FA512_F(2.0f)))

#define FA_SIMD_HAVE_swish_forward
#define FA_SIMD_swish_forward_f32 1
FA512_LOOP1(swish_forward, fa512_swish(x))

#define FA_SIMD_HAVE_swish_backward
#define FA_SIMD_swish_backward_f32 1
FA512_LOOP2(swish_backward, fa512_swish_deriv(x))

#define FA_SIMD_HAVE_elu_forward
#define FA_SIMD_elu_forward_f32 1
FA512_LOOP1(elu_forward, fa512_elu(x, p0))

#define FA_SIMD_HAVE_elu_backward
#define FA_SIMD_elu_backward_f32 1
FA512_LOOP2G(elu_backward, fa512_elu_deriv_g(g, x, p0))

#define FA_SIMD_HAVE_selu_forward
#define FA_SIMD_selu_forward_f32 1
FA512_LOOP1(selu_forward, fa512_selu(x))

#define FA_SIMD_HAVE_selu_backward
#define FA_SIMD_selu_backward_f32 1
FA512_LOOP2G(selu_backward, fa512_selu_deriv_g(g, x))

#define FA_SIMD_HAVE_celu_forward
#define FA_SIMD_celu_forward_f32 1
FA512_LOOP1(celu_forward, fa512_celu(x, unit_p0 ? x : _mm512_div_ps(x, p0), p0))

#define FA_SIMD_HAVE_celu_backward
#define FA_SIMD_celu_backward_f32 1
FA512_LOOP2G(celu_backward, fa512_celu_deriv_g(g, x, unit_p0 ? x : _mm512_div_ps(x, p0)))

#define FA_SIMD_HAVE_softplus_forward
#define FA_SIMD_softplus_forward_f32 1
FA512_LOOP1(softplus_forward, fa512_softplus(x, p1))

#define FA_SIMD_HAVE_softplus_backward
#define FA_SIMD_softplus_backward_f32 1
FA512_LOOP2G(softplus_backward, fa512_softplus_deriv_g(g, x, p1))

#define FA_SIMD_HAVE_logsigmoid_forward
#define FA_SIMD_logsigmoid_forward_f32 1
FA512_LOOP1(logsigmoid_forward, fa512_logsigmoid(x))

#define FA_SIMD_HAVE_logsigmoid_backward
#define FA_SIMD_logsigmoid_backward_f32 1
FA512_LOOP2(logsigmoid_backward, fa512_sigmoid(_mm512_sub_ps(_mm512_setzero_ps(), x)))

#define FA_SIMD_HAVE_gelu_tanh_forward
#define FA_SIMD_gelu_tanh_forward_f32 1
FA512_LOOP1(gelu_tanh_forward, fa512_gelu_tanh(x))

#define FA_SIMD_HAVE_mish_forward
#define FA_SIMD_mish_forward_f32 1
FA512_LOOP1(mish_forward, fa512_mish(x))

#define FA_SIMD_HAVE_gelu_tanh_backward
#define FA_SIMD_gelu_tanh_backward_f32 1
FA512_LOOP2(gelu_tanh_backward, fa512_gelu_tanh_deriv(x))

#define FA_SIMD_HAVE_mish_backward
#define FA_SIMD_mish_backward_f32 1
FA512_LOOP2(mish_backward, fa512_mish_deriv(x))

#define FA_SIMD_HAVE_gelu_forward
#define FA_SIMD_gelu_forward_f32 1

#define FA_SIMD_HAVE_gelu_backward
#define FA_SIMD_gelu_backward_f32 1
/* fa_simd_gelu_backward_f32: above, with the R-table forms */

/* the float64 kernels */
#include "fa_simd_avx512_f64.h"
#include "fa_simd_rows_avx512.h"

#endif
