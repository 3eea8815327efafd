/* fastact's float32 exponential family in AVX2 + FMA intrinsics (the avx2
 * target: x86-64-v3).  Included through fa_simd.h only.
 *
 * The algorithms of fa_simd_avx512.h, with what AVX2 lacks done by hand:
 *
 * - no vscalefps: 2^n is built in the exponent field ((n + 127) << 23).  That
 *   covers n >= -126; a result that ends subnormal (n below -125: sigmoid and
 *   silu of x < -86) needs two factors, 2^max(n, -64) (exact) then
 *   2^(n - that) (the one rounding), and only vectors holding such a lane take
 *   that path (a movemask test): typical data pays for the common path only.
 * - no vrcp14ps: vrcpps (12 bits) and one Newton step (~2^-23), then the
 *   same remainder correction as AVX-512 (error ~2^-46 before rounding).
 * - no mask registers: selects on the sign bit (vblendvps reads it directly)
 *   or on compare results.
 *
 * Same per-element arithmetic for every position: the tail is computed in a
 * zero-padded 8-element buffer with the same vector code. */
#ifndef FASTACT_SIMD_AVX2_H
#define FASTACT_SIMD_AVX2_H

#include <immintrin.h>
#include <string.h>

#if defined(__GNUC__)
#  define FA256 static inline __attribute__((always_inline))
#else
#  define FA256 static inline
#endif

/* the loops below stream out= on request (prm[3], fa_simd.h) */
#define FA_SIMD_STREAMS 1

#define FA256_F(v) _mm256_set1_ps(v)
#define FA256_SIGN _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))
#define FA256_MAGIC 12582912.0f          /* 1.5 * 2^23: round-to-integer shifter */

FA256 __m256 fa256_neg_abs(__m256 x) { return _mm256_or_ps(x, FA256_SIGN); }
FA256 __m256 fa256_abs(__m256 x) { return _mm256_andnot_ps(FA256_SIGN, x); }
FA256 __m256 fa256_copysign(__m256 mag, __m256 sgn) {
    return _mm256_or_ps(_mm256_andnot_ps(FA256_SIGN, mag), _mm256_and_ps(FA256_SIGN, sgn));
}

/* 2^k for integer k in [-126, 127] (as int32 lanes) */
FA256 __m256 fa256_pow2i(__m256i k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

/* 2^max(k, -90), for a quantity that only meets 1 + z (or 2 + z): below
 * 2^-90 z is invisible there, and clamping keeps z and its low part normal.
 * Subnormal operands cost Zen 4 a microcode assist per instruction in 256-bit
 * code (gelu on U(-30, 30): 6.6 -> 37 ns/element with the floor at -126). */
FA256 __m256 fa256_floor_scale(__m256i k) {
    return fa256_pow2i(_mm256_max_epi32(k, _mm256_set1_epi32(-90)));
}

/* q 2^k for k in [-173, 0]: one rounding, also into the subnormal range.  The
 * two-factor path only for vectors that need it. */
FA256 __m256 fa256_scale_neg(__m256 q, __m256i k) {
    __m256i lim = _mm256_set1_epi32(-126);
    if (_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(lim, k)))) {
        __m256i k1 = _mm256_max_epi32(k, _mm256_set1_epi32(-64));
        return _mm256_mul_ps(_mm256_mul_ps(q, fa256_pow2i(k1)),
                             fa256_pow2i(_mm256_sub_epi32(k, k1)));
    }
    return _mm256_mul_ps(q, fa256_pow2i(k));
}

/* e^r - 1 on |r| <= ln2/2: _expm1_kernel_f32's polynomial */
FA256 __m256 fa256_expm1_kernel(__m256 r) {
    __m256 q = _mm256_fmadd_ps(FA256_F(0.0013870634138584137f), r, FA256_F(0.008366254158318043f));
    q = _mm256_fmadd_ps(q, r, FA256_F(0.04166743531823158f));
    q = _mm256_fmadd_ps(q, r, FA256_F(0.1666654646396637f));
    q = _mm256_fmadd_ps(q, r, FA256_F(0.4999999701976776f));
    return _mm256_fmadd_ps(_mm256_mul_ps(r, r), q, r);
}

/* e^a = (p + lo) 2^n for a in [-120, 89] or NaN, n as int32 lanes (a NaN
 * lane's n is garbage; its p is NaN). */
FA256 __m256 fa256_exp_parts(__m256 a, __m256* lo, __m256i* n) {
    __m256 t = _mm256_fmadd_ps(a, FA256_F(1.44269502162933349609375f), FA256_F(FA256_MAGIC));
    __m256 k = _mm256_sub_ps(t, FA256_F(FA256_MAGIC));
    __m256 r = _mm256_fnmadd_ps(k, FA256_F(0.693145751953125f), a);
    r = _mm256_fnmadd_ps(k, FA256_F(1.428606765330187e-06f), r);
    __m256 u = fa256_expm1_kernel(r);
    __m256 p = _mm256_add_ps(FA256_F(1.0f), u);
    *lo = _mm256_sub_ps(u, _mm256_sub_ps(p, FA256_F(1.0f)));
    *n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(FA256_F(FA256_MAGIC)));
    return p;
}

/* z = e^-|a| = (p + lo) 2^n (argument clamped at -120), d + e = 1 + p 2^n,
 * zl = lo 2^n (as fa512_one_plus_exp_neg_abs). */
FA256 __m256 fa256_one_plus_exp_neg_abs(__m256 a, __m256* p, __m256* lo, __m256i* n,
                                        __m256* z, __m256* zl, __m256* e) {
    __m256 am = _mm256_max_ps(FA256_F(-120.0f), fa256_neg_abs(a));
    *p = fa256_exp_parts(am, lo, n);
    /* z only meets 1 + z: its scale may be clamped (fa256_floor_scale) */
    __m256 s = fa256_floor_scale(*n);
    *z = _mm256_mul_ps(*p, s);
    *zl = _mm256_mul_ps(*lo, s);
    __m256 d = _mm256_add_ps(FA256_F(1.0f), *z);
    *e = _mm256_sub_ps(*z, _mm256_sub_ps(d, FA256_F(1.0f)));
    return d;
}

/* 1/d to ~2^-23: vrcpps and one Newton step */
FA256 __m256 fa256_recip(__m256 d) {
    __m256 r = _mm256_rcp_ps(d);
    return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, FA256_F(1.0f)), r);
}

/* (num + nlo) / (d + e), rounded about once (with_nlo = 0: nlo is 0) */
FA256 __m256 fa256_div_corrected(__m256 num, __m256 nlo, int with_nlo, __m256 d, __m256 e) {
    __m256 r = fa256_recip(d);
    __m256 q0 = _mm256_mul_ps(num, r);
    __m256 rem = _mm256_fnmadd_ps(q0, d, num);
    if (with_nlo)
        rem = _mm256_add_ps(rem, nlo);
    return _mm256_fmadd_ps(_mm256_fnmadd_ps(q0, e, rem), r, q0);
}

/* sigmoid: as fa512_sigmoid; x's sign bit selects (x = -0 takes the x < 0
 * side: p = 1, n = 0 there, the same 1/2). */
FA256 __m256 fa256_sigmoid(__m256 x) {
    __m256 p, lo, z, zl, e;
    __m256i n;
    __m256 d = fa256_one_plus_exp_neg_abs(x, &p, &lo, &n, &z, &zl, &e);
    __m256 num = _mm256_blendv_ps(FA256_F(1.0f), p, x);
    __m256 q = fa256_div_corrected(num, num, 0, d, e);
    /* positive lanes: scale 2^0 */
    __m256i k = _mm256_castps_si256(_mm256_blendv_ps(_mm256_setzero_ps(), _mm256_castsi256_ps(n), x));
    return fa256_scale_neg(q, k);
}

/* g sigma'(x) 2^k2 (k2 = 0: sigmoid', 2 on 2x: tanh'), as fa512_sigmoid_deriv_g */
FA256 __m256 fa256_sigmoid_deriv_g(__m256 g, __m256 x, int k2) {
    __m256 p, lo, z, zl, e;
    __m256i n;
    __m256 s = fa256_one_plus_exp_neg_abs(x, &p, &lo, &n, &z, &zl, &e);
    e = _mm256_add_ps(e, zl);
    __m256 sq = _mm256_mul_ps(s, s);
    __m256 sq_lo = _mm256_fmadd_ps(_mm256_add_ps(s, s), e, _mm256_fmsub_ps(s, s, sq));
    __m256 r = fa256_recip(sq);
    __m256 q0 = _mm256_mul_ps(p, r);
    __m256 rem = _mm256_add_ps(_mm256_fnmadd_ps(q0, sq, p), _mm256_fnmadd_ps(q0, sq_lo, lo));
    /* 2^max(n, -64) before g, the rest after (as fa512_sigmoid_deriv_g) */
    __m256i n1 = _mm256_max_epi32(n, _mm256_set1_epi32(-64));
    __m256 q = _mm256_mul_ps(g, _mm256_mul_ps(_mm256_fmadd_ps(rem, r, q0), fa256_pow2i(n1)));
    return fa256_scale_neg(q, _mm256_add_epi32(_mm256_sub_epi32(n, n1), _mm256_set1_epi32(k2)));
}

/* swish(x) = x sigma(beta x), as fa512_swish */
FA256 __m256 fa256_swish(__m256 x) {
    __m256 a = x;                     /* beta = 1 (see fa256_swish_deriv) */
    __m256 p, lo, z, zl, e;
    __m256i n;
    __m256 d = fa256_one_plus_exp_neg_abs(a, &p, &lo, &n, &z, &zl, &e);
    __m256 f = _mm256_blendv_ps(FA256_F(1.0f), p, a);
    __m256 N = _mm256_mul_ps(x, f);
    __m256 q = fa256_div_corrected(N, _mm256_fmsub_ps(x, f, N), 1, d, e);
    __m256i k = _mm256_castps_si256(_mm256_blendv_ps(_mm256_setzero_ps(), _mm256_castsi256_ps(n), a));
    q = fa256_copysign(fa256_scale_neg(q, k), x);
    q = _mm256_blendv_ps(q, x, _mm256_cmp_ps(x, FA256_F(89.0f), _CMP_GT_OQ));
    return _mm256_blendv_ps(q, _mm256_and_ps(x, FA256_SIGN),
                            _mm256_cmp_ps(a, FA256_F(-195.0f), _CMP_LT_OQ));
}

/* swish'(x), as fa512_swish_deriv */
FA256 __m256 fa256_silu_deriv_root(__m256 a, __m256* d_out) {
    __m256 d = _mm256_sub_ps(_mm256_sub_ps(a, FA256_F(-1.2784645557403564f)),
                             FA256_F(1.2979282537628478e-08f));
    __m256 Q = _mm256_fmadd_ps(FA256_F(-1.118882551054412e-06f), d, FA256_F(3.1226229566527763e-06f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(3.2961213491944363e-06f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(-3.1882140319794416e-05f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(-4.8779849748825654e-05f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(0.000187661440577358f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(0.0008031870238482952f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(0.0001259076816495508f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(-0.00660784961655736f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(-0.015222559683024883f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(0.018874939531087875f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(0.14664879441261292f));
    Q = _mm256_fmadd_ps(Q, d, FA256_F(0.2178117036819458f));
    *d_out = d;
    return _mm256_mul_ps(d, Q);
}

FA256 __m256 fa256_swish_deriv(__m256 x) {
    /* beta = 1: the explicit-SIMD swish and softplus run for the default
     * beta only (UNIT_P0 in pyx/_loops.pyx.tp); others need the formula's
     * correction of beta x's rounding */
    __m256 a = x;
    __m256 p, lo, z, zl, e;
    __m256i n;
    __m256 s = fa256_one_plus_exp_neg_abs(a, &p, &lo, &n, &z, &zl, &e);
    e = _mm256_add_ps(e, zl);
    __m256 sq = _mm256_mul_ps(s, s);
    __m256 sq_lo = _mm256_fmadd_ps(_mm256_add_ps(s, s), e, _mm256_fmsub_ps(s, s, sq));
    __m256 r = fa256_recip(sq);
    __m256 ie = _mm256_fnmadd_ps(r, sq_lo, _mm256_fnmadd_ps(r, sq, FA256_F(1.0f)));
    __m256 ac = _mm256_min_ps(FA256_F(1e4f), _mm256_max_ps(FA256_F(-1e4f), a));
    __m256 t = _mm256_mul_ps(_mm256_add_ps(_mm256_fmadd_ps(ac, z, s), _mm256_fmadd_ps(ac, zl, e)), r);
    __m256 pos = _mm256_fmadd_ps(t, ie, t);
    __m256 b = _mm256_add_ps(FA256_F(1.0f), ac);
    __m256 w = _mm256_add_ps(b, z);
    __m256 w_lo = _mm256_add_ps(_mm256_sub_ps(z, _mm256_sub_ps(w, b)), zl);
    __m256 N = _mm256_mul_ps(p, w);
    __m256 N_lo = _mm256_add_ps(_mm256_fmsub_ps(p, w, N), _mm256_fmadd_ps(p, w_lo, _mm256_mul_ps(lo, w)));
    __m256 t2 = _mm256_mul_ps(N, r);
    __m256 neg = _mm256_add_ps(t2, _mm256_add_ps(_mm256_fmsub_ps(N, r, t2),
                                                 _mm256_fmadd_ps(t2, ie, _mm256_mul_ps(N_lo, r))));
    neg = fa256_scale_neg(neg, n);
    neg = _mm256_blendv_ps(neg, FA256_F(-0.0f), _mm256_cmp_ps(a, FA256_F(-120.0f), _CMP_LT_OQ));
    __m256 res = _mm256_blendv_ps(neg, pos, _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GE_OQ));
    __m256 win = _mm256_cmp_ps(fa256_abs(_mm256_sub_ps(a, FA256_F(-1.2784645557403564f))),
                               FA256_F(FA_SILU_ROOT_WINDOW), _CMP_LT_OQ);
    if (_mm256_movemask_ps(win)) {
        __m256 dd;
        __m256 near = fa256_silu_deriv_root(a, &dd);
        res = _mm256_blendv_ps(res, near, _mm256_cmp_ps(fa256_abs(dd), FA256_F(FA_SILU_ROOT_WINDOW), _CMP_LT_OQ));
    }
    return res;
}


/* ---- elu, selu, celu (as fa_simd_avx512.h) ---- */

/* 2^k for k in [-126, 127] given as a float holding an integer */
FA256 __m256 fa256_pow2f(__m256 k) {
    return fa256_pow2i(_mm256_cvtps_epi32(k));
}

/* e^x - 1 for x in [-25, 0] or NaN (2^n normal: n >= -37) */
FA256 __m256 fa256_expm1_neg(__m256 xc) {
    __m256 t = _mm256_fmadd_ps(xc, FA256_F(1.44269502162933349609375f), FA256_F(FA256_MAGIC));
    __m256 k = _mm256_sub_ps(t, FA256_F(FA256_MAGIC));
    __m256 r = _mm256_fnmadd_ps(k, FA256_F(0.693145751953125f), xc);
    r = _mm256_fnmadd_ps(k, FA256_F(1.428606765330187e-06f), r);
    __m256 u = fa256_expm1_kernel(r);
    __m256 s = fa256_pow2i(_mm256_sub_epi32(_mm256_castps_si256(t),
                                            _mm256_castps_si256(FA256_F(FA256_MAGIC))));
    return _mm256_fmadd_ps(s, u, _mm256_sub_ps(s, FA256_F(1.0f)));
}

/* e^x - 1 for any x: [-25, 89], 2^min(n, 127) then one more factor for n = 128 */
FA256 __m256 fa256_expm1(__m256 x) {
    __m256 xc = _mm256_min_ps(FA256_F(89.0f), _mm256_max_ps(FA256_F(-25.0f), x));
    __m256 t = _mm256_fmadd_ps(xc, FA256_F(1.44269502162933349609375f), FA256_F(FA256_MAGIC));
    __m256 k = _mm256_sub_ps(t, FA256_F(FA256_MAGIC));
    __m256 r = _mm256_fnmadd_ps(k, FA256_F(0.693145751953125f), xc);
    r = _mm256_fnmadd_ps(k, FA256_F(1.428606765330187e-06f), r);
    __m256 u = fa256_expm1_kernel(r);
    __m256i n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(FA256_F(FA256_MAGIC)));
    __m256i nc = _mm256_min_epi32(n, _mm256_set1_epi32(127));
    __m256 s = fa256_pow2i(nc);
    __m256 em1 = _mm256_mul_ps(_mm256_fmadd_ps(s, u, _mm256_sub_ps(s, FA256_F(1.0f))),
                               fa256_pow2i(_mm256_sub_epi32(n, nc)));
    return _mm256_blendv_ps(em1, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

/* e^x for x <= 0 or NaN (clamped at -120), subnormal results rounded once */
FA256 __m256 fa256_exp_neg(__m256 x) {
    __m256 lo;
    __m256i n;
    __m256 p = fa256_exp_parts(_mm256_max_ps(FA256_F(-120.0f), x), &lo, &n);
    return fa256_scale_neg(p, n);
}

/* e^x for any x: [-120, 89]; n <= 0 as fa256_scale_neg (subnormal results
 * round once), n > 0 as 2^min(n, 127) times 2^(n - that) (overflow: inf) */
FA256 __m256 fa256_exp(__m256 x) {
    __m256 lo;
    __m256i n;
    __m256 p = fa256_exp_parts(_mm256_min_ps(FA256_F(89.0f), _mm256_max_ps(FA256_F(-120.0f), x)),
                               &lo, &n);
    __m256i nneg = _mm256_min_epi32(n, _mm256_setzero_si256());
    __m256i npos = _mm256_sub_epi32(n, nneg);                      /* 0 .. 128 */
    __m256i n1 = _mm256_min_epi32(npos, _mm256_set1_epi32(127));
    /* p 2^n1 is exact; the last factor (1 or 2) rounds once (overflow: inf) */
    return _mm256_mul_ps(_mm256_mul_ps(fa256_scale_neg(p, nneg), fa256_pow2i(n1)),
                         fa256_pow2i(_mm256_sub_epi32(npos, n1)));
}

FA256 __m256 fa256_nonpos(__m256 x) { return _mm256_min_ps(_mm256_setzero_ps(), x); }

FA256 __m256 fa256_elu(__m256 x, __m256 alpha) {
    __m256 neg = _mm256_mul_ps(alpha, fa256_expm1_neg(_mm256_max_ps(FA256_F(-25.0f), fa256_nonpos(x))));
    return _mm256_blendv_ps(neg, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

FA256 __m256 fa256_elu_deriv_g(__m256 g, __m256 x, __m256 alpha) {
    __m256 neg = _mm256_mul_ps(g, _mm256_mul_ps(alpha, fa256_exp_neg(fa256_nonpos(x))));
    return _mm256_blendv_ps(neg, g, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}

#define FA_SELU_L_HI 1.0507010221481323f
#define FA_SELU_L_LO -3.479265231476347e-08f
#define FA_SELU_LA_HI 1.7580993175506592f
#define FA_SELU_LA_LO 2.3296717444054593e-08f

FA256 __m256 fa256_selu(__m256 x) {
    __m256 pos = _mm256_fmadd_ps(FA256_F(FA_SELU_L_HI), x, _mm256_mul_ps(FA256_F(FA_SELU_L_LO), x));
    pos = _mm256_blendv_ps(pos, _mm256_mul_ps(FA256_F(FA_SELU_L_HI), x),
                           _mm256_cmp_ps(pos, pos, _CMP_UNORD_Q));
    __m256 em1 = fa256_expm1_neg(_mm256_max_ps(FA256_F(-25.0f), fa256_nonpos(x)));
    __m256 neg = _mm256_fmadd_ps(FA256_F(FA_SELU_LA_HI), em1, _mm256_mul_ps(FA256_F(FA_SELU_LA_LO), em1));
    return _mm256_blendv_ps(neg, pos, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

FA256 __m256 fa256_selu_deriv_g(__m256 g, __m256 x) {
    const __m256 lam = _mm256_fmadd_ps(FA256_F(FA_SELU_L_HI), FA256_F(1.0f), FA256_F(FA_SELU_L_LO));
    __m256 e = fa256_exp_neg(fa256_nonpos(x));
    __m256 neg = _mm256_fmadd_ps(FA256_F(FA_SELU_LA_HI), e, _mm256_mul_ps(FA256_F(FA_SELU_LA_LO), e));
    return _mm256_mul_ps(g, _mm256_blendv_ps(neg, lam, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ)));
}

FA256 __m256 fa256_celu(__m256 x, __m256 u, __m256 alpha) {
    __m256 neg = _mm256_mul_ps(alpha, fa256_expm1(u));
    return _mm256_blendv_ps(neg, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

FA256 __m256 fa256_celu_deriv_g(__m256 g, __m256 x, __m256 u) {
    __m256 neg = _mm256_mul_ps(g, fa256_exp(u));
    return _mm256_blendv_ps(neg, g, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}


/* ---- softplus, logsigmoid (as fa_simd_avx512.h) ---- */
FA256 __m256 fa256_log1p_unit(__m256 u, __m256 u_lo) {
    __m256 m = _mm256_add_ps(FA256_F(1.0f), u);
    __m256 c = _mm256_add_ps(_mm256_sub_ps(u, _mm256_sub_ps(m, FA256_F(1.0f))), u_lo);
    __m256 big = _mm256_cmp_ps(m, FA256_F(1.41421353816986083984375f), _CMP_GE_OQ);
    __m256 f = _mm256_blendv_ps(m, _mm256_mul_ps(m, FA256_F(0.5f)), big);
    __m256 kf = _mm256_and_ps(big, FA256_F(1.0f));
    __m256 g = _mm256_sub_ps(f, FA256_F(1.0f));
    __m256 P = _mm256_fmadd_ps(FA256_F(-0.07636934518814087f), g, FA256_F(0.12762539088726044f));
    P = _mm256_fmadd_ps(P, g, FA256_F(-0.13159574568271637f));
    P = _mm256_fmadd_ps(P, g, FA256_F(0.14201536774635315f));
    P = _mm256_fmadd_ps(P, g, FA256_F(-0.166234090924263f));
    P = _mm256_fmadd_ps(P, g, FA256_F(0.2000124305486679f));
    P = _mm256_fmadd_ps(P, g, FA256_F(-0.2500081956386566f));
    P = _mm256_fmadd_ps(P, g, FA256_F(0.3333333134651184f));
    __m256 L = _mm256_fmadd_ps(_mm256_mul_ps(g, g), _mm256_fmadd_ps(g, P, FA256_F(-0.5f)), g);
    __m256 rm = fa256_recip(m);
    __m256 cq = _mm256_mul_ps(c, rm);
    cq = _mm256_fmadd_ps(_mm256_fnmadd_ps(cq, m, c), rm, cq);
    L = _mm256_add_ps(L, cq);
    return _mm256_fmadd_ps(kf, FA256_F(0.693145751953125f),
                           _mm256_fmadd_ps(kf, FA256_F(1.428606765330187e-06f), L));
}

FA256 __m256 fa256_log1p_exp_neg_abs(__m256 a) {
    __m256 lo;
    __m256i n;
    __m256 p = fa256_exp_parts(_mm256_max_ps(FA256_F(-120.0f), fa256_neg_abs(a)), &lo, &n);
    /* e^-|a| itself may be subnormal (softplus(-100) = 3.7e-44): one rounding */
    return fa256_log1p_unit(fa256_scale_neg(p, n), fa256_scale_neg(lo, n));
}

FA256 __m256 fa256_softplus(__m256 x, __m256 thr) {
    __m256 bx = x;                    /* beta = 1 (see fa256_swish_deriv) */
    __m256 sp = _mm256_add_ps(_mm256_max_ps(bx, _mm256_setzero_ps()), fa256_log1p_exp_neg_abs(bx));
    return _mm256_blendv_ps(sp, x, _mm256_cmp_ps(bx, thr, _CMP_GT_OQ));
}

FA256 __m256 fa256_softplus_deriv_g(__m256 g, __m256 x, __m256 thr) {
    __m256 bx = x;                    /* beta = 1 */
    __m256 d = _mm256_mul_ps(g, fa256_sigmoid(bx));
    return _mm256_blendv_ps(d, g, _mm256_cmp_ps(bx, thr, _CMP_GT_OQ));
}

FA256 __m256 fa256_logsigmoid(__m256 x) {
    __m256 m = _mm256_blendv_ps(x, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
    return _mm256_sub_ps(m, fa256_log1p_exp_neg_abs(x));
}


/* ---- pair arithmetic, gelu_tanh, mish (as fa_simd_avx512.h) ---- */
FA256 __m256 fa256_two_sum(__m256 a, __m256 b, __m256* e) {
    __m256 s = _mm256_add_ps(a, b);
    __m256 bb = _mm256_sub_ps(s, a);
    *e = _mm256_add_ps(_mm256_sub_ps(a, _mm256_sub_ps(s, bb)), _mm256_sub_ps(b, bb));
    return s;
}

FA256 __m256 fa256_fast_two_sum(__m256 a, __m256 b, __m256* e) {   /* |a| >= |b| */
    __m256 s = _mm256_add_ps(a, b);
    *e = _mm256_sub_ps(b, _mm256_sub_ps(s, a));
    return s;
}

FA256 __m256 fa256_pair_mul(__m256 ah, __m256 al, __m256 bh, __m256 bl, __m256* l) {
    __m256 h = _mm256_mul_ps(ah, bh);
    *l = _mm256_add_ps(_mm256_fmsub_ps(ah, bh, h), _mm256_fmadd_ps(ah, bl, _mm256_mul_ps(al, bh)));
    return h;
}

FA256 __m256 fa256_pair_div(__m256 nh, __m256 nl, __m256 dh, __m256 dl) {
    __m256 r = fa256_recip(dh);
    __m256 q = _mm256_mul_ps(nh, r);
    __m256 rem = _mm256_add_ps(_mm256_fnmadd_ps(q, dh, nh), _mm256_fnmadd_ps(q, dl, nl));
    return _mm256_fmadd_ps(rem, r, q);
}

/* q 2^k for k in [-173, 127]: fa256_scale_neg below 0, an exact power above */
FA256 __m256 fa256_scale(__m256 q, __m256i k) {
    __m256i kn = _mm256_min_epi32(k, _mm256_setzero_si256());
    return _mm256_mul_ps(fa256_scale_neg(q, kn), fa256_pow2i(_mm256_sub_epi32(k, kn)));
}

/* The front of gelu_tanh and its derivative, as fa512_gelu_tanh_front (th
 * itself comes back: its sign bit is the blends' th < 0; th = -0 only at
 * x = 0). */
FA256 void fa256_gelu_tanh_front(__m256 x, __m256* xc_, __m256* sq_, __m256* sq_lo_,
                                  __m256* m_, __m256* ml_, __m256* th_, __m256* p_,
                                  __m256* zl_, __m256i* n_) {
    __m256 xc = _mm256_min_ps(FA256_F(20.0f), _mm256_max_ps(FA256_F(-20.0f), x));
    __m256 sq = _mm256_mul_ps(xc, xc);
    __m256 sq_lo = _mm256_fmsub_ps(xc, xc, sq);
    const __m256 k_hi = FA256_F(0.044714998453855515f), k_lo = FA256_F(1.5461444347053543e-09f);
    __m256 kp = _mm256_mul_ps(k_hi, sq);
    __m256 kp_lo = _mm256_add_ps(_mm256_fmsub_ps(k_hi, sq, kp),
                                 _mm256_fmadd_ps(k_hi, sq_lo, _mm256_mul_ps(k_lo, sq)));
    __m256 w_lo;
    __m256 w = fa256_two_sum(FA256_F(1.0f), kp, &w_lo);
    w_lo = _mm256_add_ps(w_lo, kp_lo);
    const __m256 c2_hi = FA256_F(1.5957691669464111f), c2_lo = FA256_F(-4.534068054340423e-08f);
    __m256 m = _mm256_mul_ps(c2_hi, xc);
    __m256 ml = _mm256_fmadd_ps(c2_lo, xc, _mm256_fmsub_ps(c2_hi, xc, m));
    __m256 th = _mm256_mul_ps(m, w);
    __m256 tl = _mm256_add_ps(_mm256_fmsub_ps(m, w, th),
                              _mm256_fmadd_ps(m, w_lo, _mm256_mul_ps(ml, w)));
    __m256 lo;
    __m256i n;
    __m256 p = fa256_exp_parts(_mm256_max_ps(FA256_F(-120.0f), fa256_neg_abs(th)), &lo, &n);
    __m256 stl = _mm256_blendv_ps(_mm256_sub_ps(_mm256_setzero_ps(), tl), tl, th);
    *xc_ = xc; *sq_ = sq; *sq_lo_ = sq_lo; *m_ = m; *ml_ = ml; *th_ = th; *p_ = p; *n_ = n;
    *zl_ = _mm256_fmadd_ps(p, stl, lo);
}

FA256 __m256 fa256_gelu_tanh(__m256 x) {
    __m256 xc, sq, sq_lo, m, ml, th, p, zl;
    __m256i n;
    fa256_gelu_tanh_front(x, &xc, &sq, &sq_lo, &m, &ml, &th, &p, &zl, &n);
    __m256 s = fa256_floor_scale(n);
    __m256 z = _mm256_mul_ps(p, s);
    __m256 dl;
    __m256 d = fa256_fast_two_sum(FA256_F(1.0f), z, &dl);
    dl = _mm256_add_ps(dl, _mm256_mul_ps(zl, s));
    __m256 nh = _mm256_mul_ps(xc, p);
    __m256 nl = _mm256_fmadd_ps(xc, zl, _mm256_fmsub_ps(xc, p, nh));
    __m256 num = _mm256_blendv_ps(xc, nh, th);
    __m256 numl = _mm256_blendv_ps(_mm256_setzero_ps(), nl, th);
    __m256 r = fa256_pair_div(num, numl, d, dl);
    __m256i k = _mm256_castps_si256(_mm256_blendv_ps(_mm256_setzero_ps(), _mm256_castsi256_ps(n), th));
    r = fa256_scale_neg(r, k);
    r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
    r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, FA256_F(20.0f), _CMP_GT_OQ));
    return _mm256_blendv_ps(r, _mm256_and_ps(x, FA256_SIGN),
                            _mm256_cmp_ps(x, FA256_F(-20.0f), _CMP_LT_OQ));
}

FA256 __m256 fa256_mish(__m256 x) {
    __m256 xc = _mm256_min_ps(FA256_F(20.0f), x);
    __m256 lo;
    __m256i k;
    __m256 p = fa256_exp_parts(_mm256_max_ps(FA256_F(-120.0f), xc), &lo, &k);
    /* e^x only meets 2 + e^x: its scale may be clamped (fa256_floor_scale) */
    __m256 sc = fa256_floor_scale(k);
    __m256 e = _mm256_mul_ps(p, sc), el = _mm256_mul_ps(lo, sc);
    const __m256 two = FA256_F(2.0f);
    __m256 t, Pl, Dl, Al, Xl;
    __m256 n2 = fa256_fast_two_sum(_mm256_max_ps(e, two), _mm256_min_ps(e, two), &t);
    __m256 n2l = _mm256_add_ps(t, el);
    __m256 P = fa256_pair_mul(e, el, n2, n2l, &Pl);
    __m256 D = fa256_fast_two_sum(_mm256_max_ps(P, two), _mm256_min_ps(P, two), &t);
    Dl = _mm256_add_ps(t, Pl);
    __m256 A = fa256_pair_mul(p, lo, n2, n2l, &Al);
    __m256 X = fa256_pair_mul(xc, _mm256_setzero_ps(), A, Al, &Xl);
    __m256 r = fa256_scale(fa256_pair_div(X, Xl, D, Dl), k);
    r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
    r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, FA256_F(20.0f), _CMP_GT_OQ));
    return _mm256_blendv_ps(r, _mm256_and_ps(x, FA256_SIGN),
                            _mm256_cmp_ps(x, FA256_F(-120.0f), _CMP_LT_OQ));
}


FA256 __m256 fa256_pair_add(__m256 ah, __m256 al, __m256 bh, __m256 bl, __m256* l) {
    __m256 e;
    __m256 h = fa256_two_sum(ah, bh, &e);
    *l = _mm256_add_ps(e, _mm256_add_ps(al, bl));
    return h;
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

FA256 __m256 fa256_root_poly10(__m256 x, float a0_hi, float a0_lo, const float* c,
                               __m256* d_out) {
    __m256 dh = _mm256_sub_ps(x, FA256_F(a0_hi));
    __m256 dl = FA256_F(-a0_lo);
    __m256 d = _mm256_add_ps(dh, dl);
    __m256 P = _mm256_fmadd_ps(FA256_F(c[0]), d, FA256_F(c[1]));
    int i;
    for (i = 2; i <= 10; i++)
        P = _mm256_fmadd_ps(P, d, FA256_F(c[i]));
    *d_out = d;
    return _mm256_fmadd_ps(dh, P, _mm256_mul_ps(dl, P));
}

FA256 __m256 fa256_deriv_finish(__m256 x, __m256 r, float a0_hi, float a0_lo, const float* c,
                                float hi, float lo, float window) {
    __m256 win = _mm256_cmp_ps(fa256_abs(_mm256_sub_ps(x, FA256_F(a0_hi))),
                               FA256_F(window), _CMP_LT_OQ);
    if (_mm256_movemask_ps(win)) {
        __m256 d;
        __m256 near = fa256_root_poly10(x, a0_hi, a0_lo, c, &d);
        r = _mm256_blendv_ps(r, near, _mm256_cmp_ps(fa256_abs(d), FA256_F(window), _CMP_LT_OQ));
    }
    r = _mm256_blendv_ps(r, FA256_F(1.0f), _mm256_cmp_ps(x, FA256_F(hi), _CMP_GT_OQ));
    return _mm256_blendv_ps(r, _mm256_and_ps(x, FA256_SIGN), _mm256_cmp_ps(x, FA256_F(lo), _CMP_LT_OQ));
}

FA256 __m256 fa256_gelu_tanh_deriv(__m256 x) {
    __m256 xc, sq, sq_lo, m, ml, th, p, zl;
    __m256i n;
    fa256_gelu_tanh_front(x, &xc, &sq, &sq_lo, &m, &ml, &th, &p, &zl, &n);
    __m256 sc = fa256_floor_scale(n);
    __m256 z = _mm256_mul_ps(p, sc), zlt = _mm256_mul_ps(zl, sc);
    __m256 dl;
    __m256 d = fa256_fast_two_sum(FA256_F(1.0f), z, &dl);
    dl = _mm256_add_ps(dl, zlt);
    __m256 q = _mm256_mul_ps(d, d);
    __m256 ql = _mm256_fmadd_ps(_mm256_add_ps(d, d), dl, _mm256_fmsub_ps(d, d, q));
    const __m256 k3_hi = FA256_F(0.13414500653743744f), k3_lo = FA256_F(-6.537437258202772e-09f);
    __m256 q3l, w3l, Vl, Wl, Pl, Nl, Yl, Ql;
    __m256 q3 = fa256_pair_mul(k3_hi, k3_lo, sq, sq_lo, &q3l);
    __m256 w3 = fa256_pair_add(FA256_F(1.0f), _mm256_setzero_ps(), q3, q3l, &w3l);
    __m256 V = fa256_pair_mul(m, ml, w3, w3l, &Vl);
    __m256 W = fa256_pair_add(FA256_F(1.0f), _mm256_setzero_ps(), V, Vl, &Wl);
    __m256 Zw = fa256_pair_mul(z, zlt, W, Wl, &Pl);
    __m256 Np = fa256_pair_add(FA256_F(1.0f), _mm256_setzero_ps(), Zw, Pl, &Nl);
    __m256 Y = fa256_pair_add(W, Wl, z, zlt, &Yl);
    __m256 Nn = fa256_pair_mul(p, zl, Y, Yl, &Ql);
    __m256 Nh = _mm256_blendv_ps(Np, Nn, th);
    Nl = _mm256_blendv_ps(Nl, Ql, th);
    __m256 r = fa256_pair_div(Nh, Nl, q, ql);
    __m256i k = _mm256_castps_si256(_mm256_blendv_ps(_mm256_setzero_ps(), _mm256_castsi256_ps(n), th));
    r = fa256_scale_neg(r, k);
    return fa256_deriv_finish(x, r, -0.7524614334106445f, 1.1339627903339533e-08f,
                              fa_gelu_tanh_root_q, 20.0f, -20.0f, FA_DERIV_ROOT_WINDOW);
}

FA256 __m256 fa256_mish_deriv(__m256 x) {
    __m256 xc = _mm256_min_ps(FA256_F(20.0f), x);
    __m256 lo;
    __m256i k;
    __m256 p = fa256_exp_parts(_mm256_max_ps(FA256_F(-120.0f), xc), &lo, &k);
    __m256 sc = fa256_floor_scale(k);
    __m256 e = _mm256_mul_ps(p, sc), el = _mm256_mul_ps(lo, sc);
    const __m256 two = FA256_F(2.0f);
    __m256 t, Pl, Dl, Bl, ol, Nl, ql;
    __m256 n2 = fa256_fast_two_sum(_mm256_max_ps(e, two), _mm256_min_ps(e, two), &t);
    __m256 n2l = _mm256_add_ps(t, el);
    __m256 P0 = fa256_pair_mul(e, el, n2, n2l, &Pl);
    __m256 D = fa256_fast_two_sum(_mm256_max_ps(P0, two), _mm256_min_ps(P0, two), &t);
    Dl = _mm256_add_ps(t, Pl);
    __m256 P = fa256_pair_add(e, el, FA256_F(4.0f), _mm256_setzero_ps(), &Pl);
    P = fa256_pair_mul(P, Pl, e, el, &Pl);
    __m256 B = fa256_two_sum(FA256_F(6.0f), _mm256_mul_ps(FA256_F(4.0f), xc), &Bl);
    P = fa256_pair_add(P, Pl, B, Bl, &Pl);
    P = fa256_pair_mul(P, Pl, e, el, &Pl);
    __m256 o = fa256_two_sum(FA256_F(1.0f), xc, &ol);
    P = fa256_pair_add(P, Pl, _mm256_mul_ps(FA256_F(4.0f), o), _mm256_mul_ps(FA256_F(4.0f), ol), &Pl);
    __m256 N = fa256_pair_mul(p, lo, P, Pl, &Nl);
    __m256 q = fa256_pair_mul(D, Dl, D, Dl, &ql);
    __m256 r = fa256_scale(fa256_pair_div(N, Nl, q, ql), k);
    return fa256_deriv_finish(x, r, -1.1924312114715576f, -3.0439375464652585e-09f,
                              fa_mish_root_q, 20.0f, -120.0f, FA_DERIV_ROOT_WINDOW);
}

/* ---- gelu (approximate="none"): x Phi(x) and its derivative ----
 * As fa_simd_avx512.h: Phi(-a) = e^(-a^2/2) R(a), a = |x| clamped at 14.5,
 * R = erfcx(a / sqrt 2) / 2 from the 16-slot table (fa_gelu_table16: slot
 * round(a), u = a - slot, degree 7; each coefficient two vpermps and a
 * blend on the slot's bit 3), 2^n in the exponent field. */
#include "fa_gelu_table.h"

FA256 __m256 fa256_gelu_R(__m256 a, __m256* Rl) {
    __m256 kf = _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 u = _mm256_sub_ps(a, kf);
    __m256i k = _mm256_cvttps_epi32(kf);
    __m256 upper = _mm256_castsi256_ps(_mm256_cmpgt_epi32(k, _mm256_set1_epi32(7)));
#define FA256_GELU_C(row) _mm256_blendv_ps(                                          \
        _mm256_permutevar8x32_ps(_mm256_load_ps(fa_gelu_table16[row]), k),          \
        _mm256_permutevar8x32_ps(_mm256_load_ps(fa_gelu_table16[row] + 8), k), upper)
    __m256 Q = _mm256_fmadd_ps(FA256_GELU_C(8), u, FA256_GELU_C(7));
    Q = _mm256_fmadd_ps(Q, u, FA256_GELU_C(6));
    Q = _mm256_fmadd_ps(Q, u, FA256_GELU_C(5));
    Q = _mm256_fmadd_ps(Q, u, FA256_GELU_C(4));
    Q = _mm256_fmadd_ps(Q, u, FA256_GELU_C(3));
    Q = _mm256_fmadd_ps(Q, u, FA256_GELU_C(2));
    __m256 c0 = FA256_GELU_C(0);
    __m256 Rh = _mm256_fmadd_ps(Q, u, c0);
    *Rl = _mm256_add_ps(_mm256_fmadd_ps(Q, u, _mm256_sub_ps(c0, Rh)), FA256_GELU_C(1));
#undef FA256_GELU_C
    return Rh;
}

/* e^(-a^2/2) = 2^n (1 + s)(1 + tl), returns s (as fa512_gauss; n as int32) */
FA256 __m256 fa256_gauss(__m256 a, __m256* tl, __m256i* n) {
    __m256 h = _mm256_mul_ps(a, a);
    __m256 hl = _mm256_fmsub_ps(a, a, h);
    __m256 m = _mm256_mul_ps(FA256_F(-0.5f), h);
    __m256 v = _mm256_fmadd_ps(m, FA256_F(1.44269502162933349609375f), FA256_F(FA256_MAGIC));
    __m256 k = _mm256_sub_ps(v, FA256_F(FA256_MAGIC));
    __m256 r1 = _mm256_fnmadd_ps(k, FA256_F(0.693145751953125f), m);
    __m256 r = _mm256_fnmadd_ps(k, FA256_F(1.428606765330187e-06f), r1);
    __m256 r_lo = _mm256_fnmadd_ps(k, FA256_F(1.428606765330187e-06f), _mm256_sub_ps(r1, r));
    *tl = _mm256_fmadd_ps(hl, FA256_F(-0.5f), r_lo);
    *n = _mm256_sub_epi32(_mm256_castps_si256(v), _mm256_castps_si256(FA256_F(FA256_MAGIC)));
    return fa256_expm1_kernel(r);
}

/* (Fh + Fl)(1 + s)(1 + tl) = S + S_lo (as fa512_gelu_scale) */
FA256 __m256 fa256_gelu_scale(__m256 Fh, __m256 Fl, __m256 s, __m256 tl, __m256* S_lo) {
    __m256 C = _mm256_fmadd_ps(Fh, tl, Fl);
    return fa256_fast_two_sum(Fh, _mm256_fmadd_ps(Fh, s, _mm256_fmadd_ps(C, s, C)), S_lo);
}

/* one - 2^n (S + S_lo) for 2^n |S| <= one / 2 (Fast2Sum); 2^n floored at
 * 2^-90, below which the product is invisible next to one (and would be a
 * subnormal operand: a microcode assist on Zen 4) */
FA256 __m256 fa256_one_minus(__m256 one, __m256 S, __m256 S_lo, __m256i n) {
    __m256 w_lo, p = fa256_floor_scale(n);
    __m256 w = fa256_fast_two_sum(one, _mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(S, p)),
                                  &w_lo);
    return _mm256_add_ps(w, _mm256_fnmadd_ps(S_lo, p, w_lo));
}

/* The exponent for the x < 0 side, 2^n S: n where x's sign bit is set and
 * |x| <= 14.5, 0 elsewhere, so that no lane whose result is not 2^n S makes a
 * subnormal (a microcode assist per vector: uniform data on [-30, 30] ran
 * at 7.1 ns per element against 1.85 on N(0, 1); |x| > 14.5 lanes' results
 * are the clamps'). */
FA256 __m256i fa256_gelu_neg_n(__m256 x, __m256i n) {
    __m256 keep = _mm256_andnot_ps(
        _mm256_cmp_ps(fa256_abs(x), FA256_F(FA_GELU_CLAMP), _CMP_GT_OQ), x);
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_setzero_ps(), _mm256_castsi256_ps(n),
                                                keep));
}

/* gelu beyond |x| = 14.5: x above, 0 below (the caller gives it x's sign) */
FA256 __m256 fa256_gelu_clamp(__m256 x, __m256 y) {
    y = _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, FA256_F(FA_GELU_CLAMP), _CMP_GT_OQ));
    return _mm256_andnot_ps(_mm256_cmp_ps(x, FA256_F(-FA_GELU_CLAMP), _CMP_LT_OQ), y);
}

/* gelu(x) = x Phi(x), as fa512_gelu_any; x's sign bit selects (x = -0 takes the
 * x < 0 side; the result carries the sign of x) */
FA256 __m256 fa256_gelu(__m256 x) {
    __m256 a = _mm256_min_ps(FA256_F(FA_GELU_CLAMP), fa256_abs(x));
    __m256 Rl, tl, S_lo;
    __m256i n;
    __m256 Rh = fa256_gelu_R(a, &Rl);
    __m256 s = fa256_gauss(a, &tl, &n);
    __m256 A = _mm256_mul_ps(x, Rh);
    __m256 S = fa256_gelu_scale(A, _mm256_fmadd_ps(x, Rl, _mm256_fmsub_ps(x, Rh, A)), s, tl,
                                &S_lo);
    __m256 pos = fa256_one_minus(x, S, S_lo, n);
    __m256 y = _mm256_blendv_ps(pos, fa256_scale_neg(S, fa256_gelu_neg_n(x, n)), x);
    return fa256_copysign(fa256_gelu_clamp(x, y), x);
}

static const float fa_gelu_root_q[11] = {
    -0.0016514338785782456f, 0.00033706630347296596f, 0.0004342385509517044f,
    -0.0023086995352059603f, 0.004257649183273315f, 0.01943078823387623f,
    -0.014743954874575138f, -0.11400853842496872f, -0.018200624734163284f,
    0.38828498125076294f, 0.43149399757385254f};

/* gelu'(x) = e^(-a^2/2) G, G = R - a c0 (as fa512_gelu_deriv) */
FA256 __m256 fa256_gelu_deriv(__m256 x) {
    __m256 a = _mm256_min_ps(FA256_F(FA_GELU_CLAMP), fa256_abs(x));
    __m256 Rl, tl, S_lo, Gl;
    __m256i n;
    __m256 Rh = fa256_gelu_R(a, &Rl);
    __m256 s = fa256_gauss(a, &tl, &n);
    __m256 P = _mm256_mul_ps(a, FA256_F(0.3989422917366028f));
    __m256 Pl = _mm256_fmadd_ps(a, FA256_F(0.3989422917366028f), _mm256_sub_ps(_mm256_setzero_ps(), P));
    Pl = _mm256_fmadd_ps(a, FA256_F(-1.1335170135851058e-08f), Pl);
    __m256 Gh = fa256_two_sum(Rh, _mm256_sub_ps(_mm256_setzero_ps(), P), &Gl);
    Gl = _mm256_add_ps(Gl, _mm256_sub_ps(Rl, Pl));
    __m256 S = fa256_gelu_scale(Gh, Gl, s, tl, &S_lo);
    __m256 pos = fa256_one_minus(FA256_F(1.0f), S, S_lo, n);
    __m256 r = _mm256_blendv_ps(pos, fa256_scale_neg(S, fa256_gelu_neg_n(x, n)), x);
    return fa256_deriv_finish(x, r, -0.7517915368080139f, 1.211444988769017e-08f,
                              fa_gelu_root_q, FA_GELU_CLAMP, -FA_GELU_CLAMP, FA_GELU_DERIV_WINDOW_AVX2);
}


/* ---- whole-array loops (contiguous; out may alias an input) ---- */

#define FA256_LOOP1(name, EXPR)                                                       \
    static void fa_simd_##name##_f32(const float* xs, float* out, Py_ssize_t n,        \
                                     const float* prm) {                              \
        const __m256 p0 = _mm256_set1_ps(prm[0]);                                     \
        const __m256 p1 = _mm256_set1_ps(prm[1]);                                     \
        const int unit_p0 = prm[0] == 1.0f;                                           \
        Py_ssize_t i = 0;                                                             \
        (void)p0; (void)p1; (void)unit_p0;                                            \
        FA_SIMD_MAIN_LOOP(8, __m256 x = _mm256_loadu_ps(xs + i),                      \
                          _mm256_stream_ps, _mm256_storeu_ps, EXPR)                   \
        if (i < n) {                                                                  \
            float bx[8] = {0}, bo[8];                                                 \
            memcpy(bx, xs + i, (size_t)(n - i) * sizeof(float));                      \
            {                                                                         \
                __m256 x = _mm256_loadu_ps(bx);                                       \
                _mm256_storeu_ps(bo, (EXPR));                                         \
            }                                                                         \
            memcpy(out + i, bo, (size_t)(n - i) * sizeof(float));                     \
        }                                                                             \
    }

/* g * EXPR: the G form with the product by g written here */
#define FA256_LOOP2(name, EXPR) FA256_LOOP2G(name, _mm256_mul_ps(g, (EXPR)))

/* the expression multiplies by g itself */
#define FA256_LOOP2G(name, EXPR)                                                       \
    static void fa_simd_##name##_f32(const float* gs, const float* xs, float* out,     \
                                     Py_ssize_t n, const float* prm) {                \
        const __m256 p0 = _mm256_set1_ps(prm[0]);                                     \
        const __m256 p1 = _mm256_set1_ps(prm[1]);                                     \
        const int unit_p0 = prm[0] == 1.0f;                                           \
        Py_ssize_t i = 0;                                                             \
        (void)p0; (void)p1; (void)unit_p0;                                            \
        FA_SIMD_MAIN_LOOP(8, __m256 g = _mm256_loadu_ps(gs + i);                      \
                             __m256 x = _mm256_loadu_ps(xs + i),                      \
                          _mm256_stream_ps, _mm256_storeu_ps, EXPR)                   \
        if (i < n) {                                                                  \
            float bg[8] = {0}, bx[8] = {0}, bo[8];                                    \
            memcpy(bg, gs + i, (size_t)(n - i) * sizeof(float));                      \
            memcpy(bx, xs + i, (size_t)(n - i) * sizeof(float));                      \
            {                                                                         \
                __m256 g = _mm256_loadu_ps(bg);                                       \
                __m256 x = _mm256_loadu_ps(bx);                                       \
                _mm256_storeu_ps(bo, (EXPR));                       \
            }                                                                         \
            memcpy(out + i, bo, (size_t)(n - i) * sizeof(float));                     \
        }                                                                             \
    }

#define FA_SIMD_HAVE_sigmoid_forward
#define FA_SIMD_sigmoid_forward_f32 1
FA256_LOOP1(sigmoid_forward, fa256_sigmoid(x))

#define FA_SIMD_HAVE_sigmoid_backward
#define FA_SIMD_sigmoid_backward_f32 1
FA256_LOOP2G(sigmoid_backward, fa256_sigmoid_deriv_g(g, x, 0))

#define FA_SIMD_HAVE_tanh_backward
#define FA_SIMD_tanh_backward_f32 1
FA256_LOOP2G(tanh_backward, fa256_sigmoid_deriv_g(g, _mm256_add_ps(x, x), 2))

#define FA_SIMD_HAVE_swish_forward
#define FA_SIMD_swish_forward_f32 1
FA256_LOOP1(swish_forward, fa256_swish(x))

#define FA_SIMD_HAVE_swish_backward
#define FA_SIMD_swish_backward_f32 1
FA256_LOOP2(swish_backward, fa256_swish_deriv(x))

#define FA_SIMD_HAVE_elu_forward
#define FA_SIMD_elu_forward_f32 1
FA256_LOOP1(elu_forward, fa256_elu(x, p0))

#define FA_SIMD_HAVE_elu_backward
#define FA_SIMD_elu_backward_f32 1
FA256_LOOP2G(elu_backward, fa256_elu_deriv_g(g, x, p0))

#define FA_SIMD_HAVE_selu_forward
#define FA_SIMD_selu_forward_f32 1
FA256_LOOP1(selu_forward, fa256_selu(x))

#define FA_SIMD_HAVE_selu_backward
#define FA_SIMD_selu_backward_f32 1
FA256_LOOP2G(selu_backward, fa256_selu_deriv_g(g, x))

#define FA_SIMD_HAVE_celu_forward
#define FA_SIMD_celu_forward_f32 1
FA256_LOOP1(celu_forward, fa256_celu(x, unit_p0 ? x : _mm256_div_ps(x, p0), p0))

#define FA_SIMD_HAVE_celu_backward
#define FA_SIMD_celu_backward_f32 1
FA256_LOOP2G(celu_backward, fa256_celu_deriv_g(g, x, unit_p0 ? x : _mm256_div_ps(x, p0)))

#define FA_SIMD_HAVE_softplus_forward
#define FA_SIMD_softplus_forward_f32 1
FA256_LOOP1(softplus_forward, fa256_softplus(x, p1))

#define FA_SIMD_HAVE_softplus_backward
#define FA_SIMD_softplus_backward_f32 1
FA256_LOOP2G(softplus_backward, fa256_softplus_deriv_g(g, x, p1))

#define FA_SIMD_HAVE_logsigmoid_forward
#define FA_SIMD_logsigmoid_forward_f32 1
FA256_LOOP1(logsigmoid_forward, fa256_logsigmoid(x))

#define FA_SIMD_HAVE_logsigmoid_backward
#define FA_SIMD_logsigmoid_backward_f32 1
FA256_LOOP2(logsigmoid_backward, fa256_sigmoid(_mm256_sub_ps(_mm256_setzero_ps(), x)))

#define FA_SIMD_HAVE_gelu_tanh_forward
#define FA_SIMD_gelu_tanh_forward_f32 1
FA256_LOOP1(gelu_tanh_forward, fa256_gelu_tanh(x))

#define FA_SIMD_HAVE_mish_forward
#define FA_SIMD_mish_forward_f32 1
FA256_LOOP1(mish_forward, fa256_mish(x))

#define FA_SIMD_HAVE_gelu_tanh_backward
#define FA_SIMD_gelu_tanh_backward_f32 1
FA256_LOOP2(gelu_tanh_backward, fa256_gelu_tanh_deriv(x))

#define FA_SIMD_HAVE_mish_backward
#define FA_SIMD_mish_backward_f32 1
FA256_LOOP2(mish_backward, fa256_mish_deriv(x))

#define FA_SIMD_HAVE_gelu_forward
#define FA_SIMD_gelu_forward_f32 1
FA256_LOOP1(gelu_forward, fa256_gelu(x))

#define FA_SIMD_HAVE_gelu_backward
#define FA_SIMD_gelu_backward_f32 1
FA256_LOOP2(gelu_backward, fa256_gelu_deriv(x))

#endif
