/* fastact's float64 sigmoid family in AVX-512 intrinsics (the avx512 target).
 * Included by fa_simd_avx512.h only.
 *
 * The Cython formula (pyx/_exponential.pxd over pyx/_vmath.pxd) computes
 * e^-|a| as (p 2^n1) 2^(n - n1) with integer exponent arithmetic on 64-bit
 * lanes (shift, add, clamp: about a third of the loop), and selects its
 * factors with 64-bit masks.  Here the same operations run with what AVX-512
 * has for them: 2^n applied by vscalefpd (one rounding, also into the
 * subnormal range), the selects as mask registers.  The arithmetic is the
 * formula's, operation for operation (the same reduction, the same degree-10
 * polynomial, the same true division and remainder correction), so the
 * results are the formula's bit for bit wherever the formula's intermediate
 * p 2^n1 stays normal, which it does for every input (n1 >= -512); tests
 * (tests/test_simd.py) hold every kernel here to the formula.
 *
 * Per 8 doubles (objdump of the main loops): sigmoid 37 instructions against
 * the auto-vectorized formula's 83. */
#ifndef FASTACT_SIMD_AVX512_F64_H
#define FASTACT_SIMD_AVX512_F64_H

#define FA512D(v) _mm512_set1_pd(v)

/* e^r - 1 on |r| <= ln2/2: r + r^2 q(r), q of degree 10 (_expm1_kernel_f64's
 * coefficients, tools/gen_coeffs.py expm1) */
FA512 __m512d fa512d_expm1_kernel(__m512d r) {
    __m512d q = _mm512_fmadd_pd(FA512D(2.0896046862099485e-09), r, FA512D(2.510863996370437e-08));
    q = _mm512_fmadd_pd(q, r, FA512D(2.7557322459166466e-07));
    q = _mm512_fmadd_pd(q, r, FA512D(2.7557245265586644e-06));
    q = _mm512_fmadd_pd(q, r, FA512D(2.4801587287347024e-05));
    q = _mm512_fmadd_pd(q, r, FA512D(0.0001984126988525573));
    q = _mm512_fmadd_pd(q, r, FA512D(0.0013888888888889572));
    q = _mm512_fmadd_pd(q, r, FA512D(0.008333333333321816));
    q = _mm512_fmadd_pd(q, r, FA512D(0.04166666666666669));
    q = _mm512_fmadd_pd(q, r, FA512D(0.16666666666666677));
    q = _mm512_fmadd_pd(q, r, FA512D(0.5));
    return _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);
}

/* e^a = p 2^n for a in [-760, 0] or NaN: p = 1 + (e^r - 1) in [0.70, 1.42],
 * n an integer (as a double, for vscalefpd).  _reduce_f64: n = round(a log2e)
 * by the 1.5 * 2^52 shifter, r = a - n ln2 with ln2 in two parts. */
FA512 __m512d fa512d_exp_parts(__m512d a, __m512d* n) {
    __m512d k = _mm512_sub_pd(_mm512_fmadd_pd(a, FA512D(1.4426950408889634),
                                              FA512D(6755399441055744.0)),
                              FA512D(6755399441055744.0));
    __m512d r = _mm512_fnmadd_pd(k, FA512D(0.6931471803691238), a);
    r = _mm512_fnmadd_pd(k, FA512D(1.9082149292705877e-10), r);
    *n = k;
    return _mm512_add_pd(FA512D(1.0), fa512d_expm1_kernel(r));
}

/* z = e^-|a| = p 2^n (the argument clamped at -760, as v_exp_split_neg_f64:
 * NaN passes), d + e = 1 + z (d rounded, e its exact error: Fast2Sum). */
FA512 __m512d fa512d_one_plus_exp_neg_abs(__m512d a, __m512d* p, __m512d* n, __m512d* z,
                                          __m512d* e) {
    __m512d am = _mm512_max_pd(FA512D(-760.0),
                               _mm512_or_pd(a, _mm512_set1_pd(-0.0)));     /* -|a| */
    *p = fa512d_exp_parts(am, n);
    *z = _mm512_scalef_pd(*p, *n);
    __m512d d = _mm512_add_pd(FA512D(1.0), *z);
    *e = _mm512_sub_pd(*z, _mm512_sub_pd(d, FA512D(1.0)));
    return d;
}

/* The lanes whose sign bit is set (the formula's mask: -0 counts as negative). */
FA512 __mmask8 fa512d_signbit(__m512d a) {
    return _mm512_movepi64_mask(_mm512_castpd_si512(a));
}

/* (num + nlo) / (d + e), d in [1, 2]: _corrected_quotient (true division,
 * corrected by the exact remainder times a 3% reciprocal of d).  has_lo = 0:
 * nlo is 0 (the formula adds it; a sum with +0 changes only the sign of a zero
 * remainder, which the final q + rem c does not see: q > 0 there). */
FA512 __m512d fa512d_div_corrected(__m512d num, __m512d nlo, int has_lo, __m512d d,
                                   __m512d e) {
    __m512d q = _mm512_div_pd(num, d);
    __m512d rem = _mm512_fnmadd_pd(q, d, num);
    if (has_lo)
        rem = _mm512_add_pd(rem, nlo);
    rem = _mm512_fnmadd_pd(q, e, rem);
    return _mm512_fmadd_pd(rem, _mm512_fmadd_pd(d, FA512D(-0.5), FA512D(1.4571)), q);
}

/* sigmoid(x): x >= 0: 1 / (1 + z); x < 0: 2^n p / (1 + z), z = e^-|x|, the
 * power of two last (sigmoid_forward). */
FA512 __m512d fa512d_sigmoid(__m512d x) {
    __m512d p, n, z, e;
    __m512d d = fa512d_one_plus_exp_neg_abs(x, &p, &n, &z, &e);
    __mmask8 neg = fa512d_signbit(x);
    __m512d num = _mm512_mask_blend_pd(neg, FA512D(1.0), p);
    __m512d q = fa512d_div_corrected(num, _mm512_setzero_pd(), 0, d, e);
    return _mm512_mask_scalef_pd(q, neg, q, n);
}

/* g sigma'(x) 2^k = g z / (1 + z)^2 2^k: (1 + z)^2 as s^2 + 2 s e to one
 * rounding, one division, g before the power of two (a subnormal result
 * rounds once): _sigmoid_deriv_scaled.  k = 0: sigmoid', k = 2 on 2x: tanh'. */
FA512 __m512d fa512d_sigmoid_deriv_g(__m512d g, __m512d x, __m512d k) {
    __m512d p, n, z, e;
    __m512d s = fa512d_one_plus_exp_neg_abs(x, &p, &n, &z, &e);
    __m512d inv = _mm512_div_pd(FA512D(1.0),
                                _mm512_fmadd_pd(s, s, _mm512_mul_pd(_mm512_add_pd(s, s), e)));
    /* 2^max(n, -512) before g, the rest after, as the formula's split exp
     * (p 2^n1 and 2^(n - n1)): g near the largest double does not overflow */
    __m512d n1 = _mm512_max_pd(n, FA512D(-512.0));
    __m512d q = _mm512_scalef_pd(_mm512_mul_pd(p, inv), n1);
    return _mm512_scalef_pd(_mm512_mul_pd(g, q), _mm512_add_pd(_mm512_sub_pd(n, n1), k));
}

/* silu(x) = x sigma(x) (swish with beta = 1; the loops call it for beta = 1
 * only): the numerator x (x >= 0) or x p (x < 0) as an exact pair, one
 * corrected quotient, 2^n last; x > 710: x; x < -1455: a signed zero
 * (swish_forward). */
FA512 __m512d fa512d_silu(__m512d x) {
    __m512d p, n, z, e;
    __m512d d = fa512d_one_plus_exp_neg_abs(x, &p, &n, &z, &e);
    __mmask8 neg = fa512d_signbit(x);
    __m512d f = _mm512_mask_blend_pd(neg, FA512D(1.0), p);
    __m512d N = _mm512_mul_pd(x, f);
    __m512d N_lo = _mm512_fmsub_pd(x, f, N);
    __m512d q = fa512d_div_corrected(N, N_lo, 1, d, e);
    __m512d sign = _mm512_set1_pd(-0.0);
    q = _mm512_mask_scalef_pd(q, neg, q, n);
    /* copysign(q, x): x = -0 gives -0 */
    q = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(
        _mm512_castpd_si512(sign), _mm512_castpd_si512(x), _mm512_castpd_si512(q), 0xCA));
    /* x itself where x > 710 is false for NaN: the formula's "a <= big" keeps
     * NaN's copysign; both give NaN */
    q = _mm512_mask_mov_pd(q, _mm512_cmp_pd_mask(x, FA512D(710.0), _CMP_GT_OQ), x);
    return _mm512_mask_mov_pd(q, _mm512_cmp_pd_mask(x, FA512D(-1455.0), _CMP_LT_OQ),
                              _mm512_and_pd(x, sign));
}

/* silu'(x) = sigma(x) (1 + x (1 - sigma(x))) (swish_backward with beta = 1;
 * the loops call it for beta = 1 only), z = e^-|x| = p 2^n, s + e = 1 + z,
 * (1 + z)^2 = sq + sq_lo, 1 / (sq + sq_lo) = inv (1 + ie):
 *   x >= 0: (1 + z + x z) / (1 + z)^2;   x < 0: 2^n p (1 + x + z) / (1 + z)^2,
 * and next to the root x0 = -1.2785 (|x - x0| < 1/2, where the sum cancels)
 * (x - x0) Q(x - x0) of degree 18 (_silu_deriv_root_f64), evaluated only for
 * vectors that hold such an x; x < -760: -0. */
FA512 __m512d fa512d_silu_deriv_g(__m512d g, __m512d x) {
    __m512d p, n, z, e;
    __m512d s = fa512d_one_plus_exp_neg_abs(x, &p, &n, &z, &e);
    /* (the formula's a b + c, written apart, compiles to one fma: so here) */
    __m512d sq = _mm512_mul_pd(s, s);
    __m512d sq_lo = _mm512_fmadd_pd(_mm512_add_pd(s, s), e, _mm512_fmsub_pd(s, s, sq));
    __m512d inv = _mm512_div_pd(FA512D(1.0), sq);
    __m512d ie = _mm512_fnmadd_pd(inv, sq_lo, _mm512_fnmadd_pd(inv, sq, FA512D(1.0)));
    __m512d ac = _mm512_min_pd(FA512D(1e4), _mm512_max_pd(FA512D(-1e4), x));
    __m512d t = _mm512_mul_pd(_mm512_add_pd(_mm512_fmadd_pd(ac, z, s), e), inv);
    __m512d pos = _mm512_fmadd_pd(t, ie, t);
    __m512d b = _mm512_add_pd(FA512D(1.0), ac);
    __m512d w = _mm512_add_pd(b, z);
    __m512d w_lo = _mm512_sub_pd(z, _mm512_sub_pd(w, b));
    __m512d N = _mm512_mul_pd(p, w);
    __m512d N_lo = _mm512_fmadd_pd(p, w_lo, _mm512_fmsub_pd(p, w, N));
    t = _mm512_mul_pd(N, inv);
    __m512d neg = _mm512_add_pd(t, _mm512_add_pd(_mm512_fmsub_pd(N, inv, t),
                                                _mm512_fmadd_pd(t, ie, _mm512_mul_pd(N_lo, inv))));
    neg = _mm512_scalef_pd(neg, n);
    neg = _mm512_mask_mov_pd(neg, _mm512_cmp_pd_mask(x, FA512D(-760.0), _CMP_LT_OQ),
                             FA512D(-0.0));
    __m512d r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ),
                                     neg, pos);
    __m512d d = _mm512_sub_pd(_mm512_sub_pd(x, FA512D(-1.2784645427610737)),
                              FA512D(-1.0946994183093437e-16));
    __mmask8 root = _mm512_cmp_pd_mask(_mm512_andnot_pd(_mm512_set1_pd(-0.0), d),
                                       FA512D(0.5), _CMP_LT_OQ);
    if (root) {
        static const double c[19] = {
            -8.928067234793185e-08, 1.385092260858641e-08, 1.097470286416874e-07,
            -2.982257100874969e-08, -1.4417646921938626e-07, -2.6089509713270162e-08,
            8.735940439287299e-07, 2.345097497083734e-06, -2.944734264319593e-06,
            -2.9733432654280957e-05, -4.090515163029332e-05, 0.00018570723651299738,
            0.0007985218721102701, 0.00012662741031514046, -0.006606589138107912,
            -0.015222655223191276, 0.018874814223779863, 0.1466487969969469,
            0.2178117057198001};
        __m512d Q = _mm512_set1_pd(c[0]);
        /* unrolled: GCC keeps an 18-trip loop (a counter, a compare, a jump
         * and a broadcast load per step) otherwise */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 18
#endif
        for (int i = 1; i < 19; i++)
            Q = _mm512_fmadd_pd(Q, d, _mm512_set1_pd(c[i]));
        r = _mm512_mask_mul_pd(r, root, d, Q);
    }
    return _mm512_mul_pd(g, r);
}

/* e^a for a <= 0 or NaN (v_exp_neg: the lower clamp at -760, 2^n last, one
 * rounding into the subnormal range) */
FA512 __m512d fa512d_exp_neg(__m512d a) {
    __m512d n;
    __m512d p = fa512d_exp_parts(_mm512_max_pd(FA512D(-760.0), a), &n);
    return _mm512_scalef_pd(p, n);
}

/* e^min(x, 0), NaN kept (vminpd returns its second operand for NaN, and -0
 * for min(0, -0)): the negative side of elu', selu' and celu' (_nonpos) */
FA512 __m512d fa512d_exp_nonpos(__m512d x) {
    return fa512d_exp_neg(_mm512_min_pd(_mm512_setzero_pd(), x));
}

/* elu'(x) g: g where x > 0, else g (alpha e^x) (elu_backward); celu' for
 * alpha = 1 is the same expression (celu_backward: q = x, no low part) */
FA512 __m512d fa512d_elu_deriv_g(__m512d g, __m512d x, __m512d alpha) {
    __m512d r = _mm512_mul_pd(g, _mm512_mul_pd(alpha, fa512d_exp_nonpos(x)));
    return _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ), g);
}

/* selu'(x) g = g lambda (x > 0) or g (lambda alpha) e^x, each constant as a
 * pair hi + lo applied as fma(hi, v, lo v) (_selu_scale, _selu_scale_alpha) */
FA512 __m512d fa512d_selu_deriv_g(__m512d g, __m512d x) {
    __m512d E = fa512d_exp_nonpos(x);
    __m512d neg = _mm512_fmadd_pd(FA512D(1.7580993408473768), E,
                                  _mm512_mul_pd(FA512D(1.41535193800845e-17), E));
    __m512d pos = _mm512_fmadd_pd(FA512D(1.0507009873554805), FA512D(1.0),
                                  FA512D(3.9874847667154144e-17));
    __mmask8 gt = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ);
    return _mm512_mul_pd(g, _mm512_mask_mov_pd(neg, gt, pos));
}

/* tanh(x) (v_tanh_f64): a = |x| < 0.625: a + a^3 P(a^2), degree 10 in a^2;
 * else 1 - 2 / (e^(2a) + 1) (e^(2a) clamped at 710: inf, then 1); the sign
 * of x on either (tanh(-0) = -0).  Each side is evaluated only for vectors
 * that hold a lane of it. */
FA512 __m512d fa512d_tanh(__m512d x) {
    const __m512d sign = _mm512_set1_pd(-0.0);
    __m512d a = _mm512_andnot_pd(sign, x);
    __mmask8 small = _mm512_cmp_pd_mask(a, FA512D(0.625), _CMP_LT_OQ);
    __m512d r = _mm512_setzero_pd();
    if (small != 0xFF) {
        __m512d n;
        __m512d p = fa512d_exp_parts(_mm512_min_pd(FA512D(710.0), _mm512_add_pd(a, a)), &n);
        __m512d t = _mm512_div_pd(FA512D(2.0), _mm512_add_pd(_mm512_scalef_pd(p, n),
                                                              FA512D(1.0)));
        r = _mm512_sub_pd(FA512D(1.0), t);
    }
    if (small) {
        __m512d s = _mm512_mul_pd(a, a);
        __m512d P = _mm512_fmadd_pd(FA512D(-1.60717463266683e-05), s,
                                    FA512D(7.714258113998995e-05));
        P = _mm512_fmadd_pd(P, s, FA512D(-0.00022856253236295214));
        P = _mm512_fmadd_pd(P, s, FA512D(0.0005863156439083917));
        P = _mm512_fmadd_pd(P, s, FA512D(-0.0014549585788830876));
        P = _mm512_fmadd_pd(P, s, FA512D(0.0035919891091903376));
        P = _mm512_fmadd_pd(P, s, FA512D(-0.008863220993570875));
        P = _mm512_fmadd_pd(P, s, FA512D(0.021869487575292317));
        P = _mm512_fmadd_pd(P, s, FA512D(-0.053968253931225584));
        P = _mm512_fmadd_pd(P, s, FA512D(0.13333333333261976));
        P = _mm512_fmadd_pd(P, s, FA512D(-0.33333333333332854));
        r = _mm512_mask_mov_pd(r, small, _mm512_fmadd_pd(_mm512_mul_pd(a, s), P, a));
    }
    /* copysign(r, x) */
    return _mm512_castsi512_pd(_mm512_ternarylogic_epi64(
        _mm512_castpd_si512(sign), _mm512_castpd_si512(x), _mm512_castpd_si512(r), 0xCA));
}

/* ---- whole-array loops (contiguous; out may alias an input) ---- */

#define FA512D_LOOP1(name, EXPR)                                                      \
    static void fa_simd_##name##_f64(const double* xs, double* out, Py_ssize_t n,      \
                                     const double* prm) {                             \
        const __m512d p0 = _mm512_set1_pd(prm[0]);                                    \
        Py_ssize_t i = 0;                                                             \
        (void)p0;                                                                     \
        for (; i + 8 <= n; i += 8) {                                                  \
            __m512d x = _mm512_loadu_pd(xs + i);                                      \
            _mm512_storeu_pd(out + i, (EXPR));                                        \
        }                                                                             \
        if (i < n) {                                                                  \
            __mmask8 m = (__mmask8)((1u << (n - i)) - 1u);                            \
            __m512d x = _mm512_maskz_loadu_pd(m, xs + i);                             \
            _mm512_mask_storeu_pd(out + i, m, (EXPR));                                \
        }                                                                             \
    }

/* the expression multiplies by g itself */
#define FA512D_LOOP2G(name, EXPR)                                                     \
    static void fa_simd_##name##_f64(const double* gs, const double* xs, double* out,  \
                                     Py_ssize_t n, const double* prm) {               \
        const __m512d p0 = _mm512_set1_pd(prm[0]);                                    \
        const __m512d p1 = _mm512_set1_pd(prm[1]);                                    \
        Py_ssize_t i = 0;                                                             \
        (void)p0; (void)p1;                                                           \
        for (; i + 8 <= n; i += 8) {                                                  \
            __m512d g = _mm512_loadu_pd(gs + i);                                      \
            __m512d x = _mm512_loadu_pd(xs + i);                                      \
            _mm512_storeu_pd(out + i, (EXPR));                                        \
        }                                                                             \
        if (i < n) {                                                                  \
            __mmask8 m = (__mmask8)((1u << (n - i)) - 1u);                            \
            __m512d g = _mm512_maskz_loadu_pd(m, gs + i);                             \
            __m512d x = _mm512_maskz_loadu_pd(m, xs + i);                             \
            _mm512_mask_storeu_pd(out + i, m, (EXPR));                                \
        }                                                                             \
    }

#define FA_SIMD_HAVE_sigmoid_forward_f64
#define FA_SIMD_sigmoid_forward_f64 1
FA512D_LOOP1(sigmoid_forward, fa512d_sigmoid(x))

#define FA_SIMD_HAVE_sigmoid_backward_f64
#define FA_SIMD_sigmoid_backward_f64 1
FA512D_LOOP2G(sigmoid_backward, fa512d_sigmoid_deriv_g(g, x, _mm512_setzero_pd()))

#define FA_SIMD_HAVE_tanh_backward_f64
#define FA_SIMD_tanh_backward_f64 1
FA512D_LOOP2G(tanh_backward, fa512d_sigmoid_deriv_g(g, _mm512_add_pd(x, x), FA512D(2.0)))

/* softplus' = sigma(x) (beta = 1 only), g itself where x > threshold (p1) */
#define FA_SIMD_HAVE_softplus_backward_f64
#define FA_SIMD_softplus_backward_f64 1
FA512D_LOOP2G(softplus_backward,
              _mm512_mask_mov_pd(_mm512_mul_pd(g, fa512d_sigmoid(x)),
                                 _mm512_cmp_pd_mask(x, p1, _CMP_GT_OQ), g))

/* logsigmoid' = sigma(-x) */
#define FA_SIMD_HAVE_logsigmoid_backward_f64
#define FA_SIMD_logsigmoid_backward_f64 1
FA512D_LOOP2G(logsigmoid_backward,
              _mm512_mul_pd(g, fa512d_sigmoid(_mm512_xor_pd(x, _mm512_set1_pd(-0.0)))))

#define FA_SIMD_HAVE_swish_forward_f64
#define FA_SIMD_swish_forward_f64 1
FA512D_LOOP1(swish_forward, fa512d_silu(x))

#define FA_SIMD_HAVE_swish_backward_f64
#define FA_SIMD_swish_backward_f64 1
FA512D_LOOP2G(swish_backward, fa512d_silu_deriv_g(g, x))

#define FA_SIMD_HAVE_tanh_forward_f64
#define FA_SIMD_tanh_forward_f64 1
FA512D_LOOP1(tanh_forward, fa512d_tanh(x))

#define FA_SIMD_HAVE_elu_backward_f64
#define FA_SIMD_elu_backward_f64 1
FA512D_LOOP2G(elu_backward, fa512d_elu_deriv_g(g, x, p0))

/* alpha = 1 only (UNIT_P0): elu' with alpha 1 */
#define FA_SIMD_HAVE_celu_backward_f64
#define FA_SIMD_celu_backward_f64 1
FA512D_LOOP2G(celu_backward, fa512d_elu_deriv_g(g, x, FA512D(1.0)))

#define FA_SIMD_HAVE_selu_backward_f64
#define FA_SIMD_selu_backward_f64 1
FA512D_LOOP2G(selu_backward, fa512d_selu_deriv_g(g, x))

#endif
