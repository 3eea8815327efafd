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
/* _reduce_f64: a = k ln2 + r, k = round(a log2e) by the 1.5 * 2^52 shifter,
 * t = a - k LN2_HI (exact), r = t - k LN2_LO */
FA512 __m512d fa512d_reduce(__m512d a, __m512d* k, __m512d* t) {
    *k = _mm512_sub_pd(_mm512_fmadd_pd(a, FA512D(1.4426950408889634),
                                       FA512D(6755399441055744.0)),
                       FA512D(6755399441055744.0));
    *t = _mm512_fnmadd_pd(*k, FA512D(0.6931471803691238), a);
    return _mm512_fnmadd_pd(*k, FA512D(1.9082149292705877e-10), *t);
}

FA512 __m512d fa512d_exp_parts(__m512d a, __m512d* n) {
    __m512d t;
    return _mm512_add_pd(FA512D(1.0), fa512d_expm1_kernel(fa512d_reduce(a, n, &t)));
}

/* copysign(v, x): v's magnitude bits, x's sign bit */
FA512 __m512d fa512d_copysign(__m512d v, __m512d x) {
    return _mm512_castsi512_pd(_mm512_ternarylogic_epi64(
        _mm512_castpd_si512(_mm512_set1_pd(-0.0)), _mm512_castpd_si512(x),
        _mm512_castpd_si512(v), 0xCA));
}

/* c[0] d^(n-1) + ... + c[n-1] by Horner (fma), the root polynomials' */
FA512 __m512d fa512d_horner(__m512d d, const double* c, int n) {
    __m512d Q = _mm512_set1_pd(c[0]);
    /* unrolled: GCC keeps an 18-trip loop (a counter, a compare, a jump
     * and a broadcast load per step) otherwise */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 18
#endif
    for (int i = 1; i < n; i++)
        Q = _mm512_fmadd_pd(Q, d, _mm512_set1_pd(c[i]));
    return Q;
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
    q = fa512d_copysign(q, x);
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
        r = _mm512_mask_mul_pd(r, root, d, fa512d_horner(d, c, 19));
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
    return fa512d_copysign(r, x);
}

/* ---- gelu_tanh' (the formula's pair arithmetic, operation for operation) ----
 * Written with GCC's vector operators where the formula (pyx/_eft.pxd,
 * _exponential.pxd) uses plain * and +, so that the compiler fuses the same
 * products into fma as it does there (-ffp-contract=fast); fa_fma's calls
 * are the fma intrinsics.  test_simd_f64_is_the_formula compares the bits. */
FA512 __m512d fa512d_two_sum(__m512d a, __m512d b, __m512d* e) {
    __m512d s = a + b;
    __m512d bb = s - a;
    *e = (a - (s - bb)) + (b - bb);
    return s;
}

FA512 __m512d fa512d_pair_mul(__m512d ah, __m512d al, __m512d bh, __m512d bl, __m512d* l) {
    __m512d h = ah * bh;
    *l = _mm512_fmsub_pd(ah, bh, h) + _mm512_fmadd_pd(ah, bl, al * bh);
    return h;
}

/* ah + al + bh + bl with al = 0 (the formula's pair_add(1, 0, ...)): 0 + bl
 * is kept (it turns -0 into +0) */
FA512 __m512d fa512d_pair_add(__m512d ah, __m512d al, __m512d bh, __m512d bl, __m512d* l) {
    __m512d e;
    __m512d h = fa512d_two_sum(ah, bh, &e);
    *l = e + (al + bl);
    return h;
}

FA512 __m512d fa512d_pair_div(__m512d nh, __m512d nl, __m512d dh, __m512d dl) {
    __m512d inv = FA512D(1.0) / dh;
    __m512d q = nh * inv;
    __m512d rem = _mm512_fnmadd_pd(q, dh, nh) + _mm512_fnmadd_pd(q, dl, nl);
    return _mm512_fmadd_pd(rem, inv, q);
}

/* e^a = (hi + lo) s2 for a <= 0 or NaN (v_exp_hilo_f64): hi, lo = (ph, p_lo)
 * 2^n1, n1 = max(n, -512) (exact), s2 = 2^(n - n1), returned apart */
FA512 __m512d fa512d_exp_hilo_neg(__m512d a, __m512d* lo, __m512d* s2) {
    __m512d nf, t;
    __m512d r = fa512d_reduce(_mm512_max_pd(FA512D(-760.0), a), &nf, &t);
    __m512d r_lo = _mm512_fmadd_pd(nf, FA512D(-1.9082149292705877e-10), t - r);
    __m512d q = _mm512_fmadd_pd(FA512D(2.0838476263637057e-09), r, FA512D(2.5111237952875718e-08));
    q = _mm512_fmadd_pd(q, r, FA512D(2.755752616650092e-07));
    q = _mm512_fmadd_pd(q, r, FA512D(2.7557237479110987e-06));
    q = _mm512_fmadd_pd(q, r, FA512D(2.4801587025575785e-05));
    q = _mm512_fmadd_pd(q, r, FA512D(0.00019841269893316216));
    q = _mm512_fmadd_pd(q, r, FA512D(0.001388888888903325));
    q = _mm512_fmadd_pd(q, r, FA512D(0.00833333333331854));
    q = _mm512_fmadd_pd(q, r, FA512D(0.04166666666666641));
    q = _mm512_fmadd_pd(q, r, FA512D(0.1666666666666668));
    __m512d r2 = r * r;
    __m512d h = FA512D(0.5) * r2;
    __m512d c = _mm512_fmadd_pd(FA512D(0.5), _mm512_fmsub_pd(r, r, r2), r2 * (r * q));
    __m512d s = r + h;
    __m512d e1 = h - (s - r);
    __m512d p = FA512D(1.0) + s;
    __m512d p_lo = _mm512_fmadd_pd(r_lo, p, (s - (p - FA512D(1.0))) + (e1 + c));
    __m512d ph = p + p_lo;
    p_lo = p_lo - (ph - p);
    __m512d n1 = _mm512_max_pd(nf, FA512D(-512.0));
    *s2 = _mm512_scalef_pd(FA512D(1.0), nf - n1);
    *lo = _mm512_scalef_pd(p_lo, n1);
    return _mm512_scalef_pd(ph, n1);
}

static const double fa_gelu_tanh_root_q_f64[19] = {
    6.266083812033832e-08, 1.2279061352600778e-07, -4.2517003986404256e-07,
    -9.806971174702316e-07, 2.4320514428360095e-06, 5.916135660838489e-06,
    -1.595067150342824e-05, -3.4955772398149265e-05, 0.00012425225822858778,
    0.0002639276015207163, -0.0009274420220728067, -0.0024227318436341647,
    0.005261059254902232, 0.019682309459763337, -0.016619328343052565,
    -0.113944483080958, -0.015782853521848026, 0.3875184461357889,
    0.4304000910248585};

/* The front of gelu_tanh and its derivative (_gelu_tanh_2u, _exp_neg_abs_pair):
 * x clamped at +-25 (xc), xc^2 = s (rounded), m + ml = c2 xc, 2u = th + tl,
 * pos = (th >= 0), z = e^-|2u| = (zh + zl) s2. */
FA512 void fa512d_gelu_tanh_front(__m512d x, __m512d* xc_, __m512d* s_, __m512d* m_,
                                  __m512d* ml_, __mmask8* pos_, __m512d* zh_, __m512d* zl_,
                                  __m512d* s2_) {
    __m512d xc = _mm512_min_pd(FA512D(25.0), _mm512_max_pd(FA512D(-25.0), x));
    const __m512d k_hi = FA512D(0.044715), k_lo = FA512D(2.1960211427085595e-18);
    const __m512d c2_hi = FA512D(1.5957691216057308), c2_lo = FA512D(-9.96930880911092e-17);
    __m512d s = xc * xc;
    __m512d s_lo = _mm512_fmsub_pd(xc, xc, s);
    __m512d kp = k_hi * s;
    __m512d kp_lo = _mm512_fmsub_pd(k_hi, s, kp) + _mm512_fmadd_pd(k_hi, s_lo, k_lo * s);
    __m512d w_lo;
    __m512d w = fa512d_two_sum(FA512D(1.0), kp, &w_lo);
    w_lo = w_lo + kp_lo;
    __m512d m = c2_hi * xc;
    __m512d ml = _mm512_fmsub_pd(c2_hi, xc, m) + c2_lo * xc;
    __m512d th = m * w;
    __m512d tl = _mm512_fmsub_pd(m, w, th) + _mm512_fmadd_pd(m, w_lo, ml * w);
    __mmask8 pos = _mm512_cmp_pd_mask(th, _mm512_setzero_pd(), _CMP_GE_OQ);
    __m512d El;
    __m512d zh = fa512d_exp_hilo_neg(_mm512_or_pd(th, _mm512_set1_pd(-0.0)), &El, s2_);
    *zl_ = _mm512_fmadd_pd(zh, _mm512_mask_blend_pd(pos, tl, -tl), El);
    *xc_ = xc; *s_ = s; *m_ = m; *ml_ = ml; *pos_ = pos; *zh_ = zh;
}

/* gelu_tanh(x) (gelu_tanh_forward): 2u >= 0: x / (1 + z); 2u < 0: x (zh + zl)
 * / (1 + z) times s2, one pair quotient; x = +-0 itself, x > 25: x, x < -25:
 * a signed 0. */
FA512 __m512d fa512d_gelu_tanh(__m512d x) {
    __m512d xc, s, m, ml, zh, zl, s2;
    __mmask8 pos;
    fa512d_gelu_tanh_front(x, &xc, &s, &m, &ml, &pos, &zh, &zl, &s2);
    __m512d z = zh * s2;
    __m512d d = FA512D(1.0) + z;
    __m512d dl = z - (d - FA512D(1.0));
    dl = dl + zl * s2;
    __m512d nh = xc * zh;
    __m512d nl = _mm512_fmsub_pd(xc, zh, nh) + xc * zl;
    __m512d r = fa512d_pair_div(_mm512_mask_blend_pd(pos, nh, xc),
                                _mm512_maskz_mov_pd((__mmask8)~pos, nl), d, dl);
    r = _mm512_mask_mov_pd(r * s2, pos, r);
    r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_EQ_OQ), x);
    r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, FA512D(25.0), _CMP_GT_OQ), x);
    return _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, FA512D(-25.0), _CMP_LT_OQ),
                              _mm512_and_pd(x, _mm512_set1_pd(-0.0)));
}

/* gelu_tanh'(x) g (gelu_tanh_backward): W = 1 + m (1 + 3 k x^2), all as
 * pairs: 2u >= 0: (1 + z W) / (1 + z)^2;  2u < 0: (zh + zl)(W + z) / (1 + z)^2
 * times s2; near the root a0 = -0.75246 (|x - a0| < 1/4, computed only for
 * vectors holding such an x) d Q(d), degree 18; x > 25: g, x < -25: g (-0). */
FA512 __m512d fa512d_gelu_tanh_deriv_g(__m512d g, __m512d x) {
    __m512d xc, s, m, ml, zh, zl, s2;
    __mmask8 pos;
    fa512d_gelu_tanh_front(x, &xc, &s, &m, &ml, &pos, &zh, &zl, &s2);
    __m512d z = zh * s2;
    __m512d zlt = zl * s2;
    __m512d d = FA512D(1.0) + z;
    __m512d dl = z - (d - FA512D(1.0));
    dl = dl + zlt;
    __m512d sq = d * d;
    __m512d sql = _mm512_fmsub_pd(d, d, sq) + FA512D(2.0) * d * dl;
    __m512d q3l, w3l, Vl, Wl, Pl, Nl, Yl, Ql;
    __m512d q3 = fa512d_pair_mul(FA512D(0.134145), FA512D(1.3526957332032908e-17), s,
                                 _mm512_fmsub_pd(xc, xc, s), &q3l);
    const __m512d one = FA512D(1.0), zero = _mm512_setzero_pd();
    __m512d w3 = fa512d_pair_add(one, zero, q3, q3l, &w3l);
    __m512d V = fa512d_pair_mul(m, ml, w3, w3l, &Vl);
    __m512d W = fa512d_pair_add(one, zero, V, Vl, &Wl);
    __m512d Zw = fa512d_pair_mul(z, zlt, W, Wl, &Pl);
    __m512d Np = fa512d_pair_add(one, zero, Zw, Pl, &Nl);
    __m512d Y = fa512d_pair_add(W, Wl, z, zlt, &Yl);
    __m512d Nn = fa512d_pair_mul(zh, zl, Y, Yl, &Ql);
    __m512d r = fa512d_pair_div(_mm512_mask_blend_pd(pos, Nn, Np),
                                _mm512_mask_blend_pd(pos, Ql, Nl), sq, sql);
    r = _mm512_mask_mov_pd(r * s2, pos, r);
    /* _deriv_finish: the root polynomial, 1 above 25, a signed 0 below -25 */
    __m512d dh = x - FA512D(-0.7524614220710163);
    __mmask8 win = _mm512_cmp_pd_mask(_mm512_andnot_pd(_mm512_set1_pd(-0.0), dh + FA512D(-3.635560509207687e-17)),
                                      FA512D(0.25), _CMP_LT_OQ);
    if (win) {
        const __m512d dl0 = FA512D(-3.635560509207687e-17);
        __m512d P = fa512d_horner(dh + dl0, fa_gelu_tanh_root_q_f64, 19);
        r = _mm512_mask_mov_pd(r, win, _mm512_fmadd_pd(dh, P, dl0 * P));
    }
    r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, FA512D(25.0), _CMP_GT_OQ), one);
    r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(x, FA512D(-25.0), _CMP_LT_OQ),
                           _mm512_and_pd(x, _mm512_set1_pd(-0.0)));
    return g * r;
}

/* ---- whole-array loops (contiguous; out may alias an input) ---- */

#define FA512D_LOOP1(name, EXPR)                                                      \
    static void fa_simd_##name##_f64(const double* xs, double* out, Py_ssize_t n,      \
                                     const double* prm) {                             \
        const __m512d p0 = _mm512_set1_pd(prm[0]);                                    \
        Py_ssize_t i = 0;                                                             \
        (void)p0;                                                                     \
        FA_SIMD_MAIN_LOOP(8, __m512d x = _mm512_loadu_pd(xs + i),                     \
                          _mm512_stream_pd, _mm512_storeu_pd, EXPR)                   \
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
        FA_SIMD_MAIN_LOOP(8, __m512d g = _mm512_loadu_pd(gs + i);                     \
                             __m512d x = _mm512_loadu_pd(xs + i),                     \
                          _mm512_stream_pd, _mm512_storeu_pd, EXPR)                   \
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

#define FA_SIMD_HAVE_gelu_tanh_forward_f64
#define FA_SIMD_gelu_tanh_forward_f64 1
FA512D_LOOP1(gelu_tanh_forward, fa512d_gelu_tanh(x))

#define FA_SIMD_HAVE_gelu_tanh_backward_f64
#define FA_SIMD_gelu_tanh_backward_f64 1
FA512D_LOOP2G(gelu_tanh_backward, fa512d_gelu_tanh_deriv_g(g, x))

#endif
