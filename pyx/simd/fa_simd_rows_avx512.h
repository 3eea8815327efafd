/* Row-wise float32 kernels (softmax, softmin, log_softmax forward; softmax and
 * softmin backward), and float64 log_softmax forward and the float64 backward
 * rows, in AVX-512 intrinsics, one contiguous row per call.
 * Included by fa_simd_avx512.h; pyx/_rowwise.pxi.tp calls them for rows that
 * are contiguous along the axis and keeps its Cython forms (the portable
 * baseline and the reference) for every other layout and target.
 *
 * Same formulas and error budget as the Cython row forms:
 *
 * - e^(x - m) with x - m's rounding error err recovered exactly (TwoSum, 6
 *   adds) and folded into the range reduction: r = (t - k LN2_HI) + (err -
 *   k LN2_LO), the first difference exact, so err costs one add over the
 *   plain reduction (the Cython form multiplies e (1 + err), one rounding
 *   more).  Then fa512_expm1_kernel and vscalefps, as the elementwise exp.
 *   <= 1 ULP before the scaling; the entry at the max gives exactly 1.
 * - sums in float64 lanes (two zmm per 16 floats): softmax's plain sum (2^-24
 *   relative is all float32 needs); log_softmax's tail (the terms below 1:
 *   the entries at the max are counted, each exactly 1) at its own scale;
 *   the backward's sum(g y) in double-double (exact products, TwoSum per
 *   lane), as _row_dot2: a confident row's g - sum cancels.
 * - the max in 4 independent vmaxps chains; NaN entries are skipped by it
 *   (vmaxps returns its second operand) and caught by the sum.
 *
 * Instructions per 16 entries (objdump of the main loops, tools/check_simd.py):
 * see README "Row-wise family".
 *
 * ``stream``: the final pass writes with non-temporal stores (vmovntps):
 * the driver asks for it when a call's operands are larger than the caches
 * keep (fastact._kernels._stream_bytes), where a normal store first reads
 * every output line from memory.  The exps of a softmax row are then staged
 * in a stack buffer (rows up to FA_ROW_STAGE entries), not in the output. */
#ifndef FASTACT_SIMD_ROWS_AVX512_H
#define FASTACT_SIMD_ROWS_AVX512_H

#include <math.h>     /* INFINITY */

#define FA_SIMD_HAVE_rows
#define FA_SIMD_rows_f32 1

#define FA_ROW_STAGE 4096

/* mask of the first n (< 16) lanes */
FA512 __mmask16 fa512_head(Py_ssize_t n) { return (__mmask16)((1u << n) - 1u); }

/* max over the row of x (softmin: of -x, flip = the sign bit), NaN skipped;
 * -inf for an empty or all-NaN row */
FA512 float fa512_row_max(const float* x, Py_ssize_t n, __m512 flip) {
    const __m512 ninf = FA512_F(-INFINITY);
    __m512 a0 = ninf, a1 = ninf, a2 = ninf, a3 = ninf;
    Py_ssize_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_max_ps(_mm512_xor_ps(_mm512_loadu_ps(x + i), flip), a0);
        a1 = _mm512_max_ps(_mm512_xor_ps(_mm512_loadu_ps(x + i + 16), flip), a1);
        a2 = _mm512_max_ps(_mm512_xor_ps(_mm512_loadu_ps(x + i + 32), flip), a2);
        a3 = _mm512_max_ps(_mm512_xor_ps(_mm512_loadu_ps(x + i + 48), flip), a3);
    }
    for (; i + 16 <= n; i += 16)
        a0 = _mm512_max_ps(_mm512_xor_ps(_mm512_loadu_ps(x + i), flip), a0);
    if (i < n) {
        __mmask16 m = fa512_head(n - i);
        a1 = _mm512_mask_max_ps(a1, m, _mm512_xor_ps(_mm512_maskz_loadu_ps(m, x + i), flip), a1);
    }
    return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(a0, a1), _mm512_max_ps(a2, a3)));
}

/* e^(x - m) for x <= m (m finite), the subtraction's rounding error included;
 * x - m <= -120 (x = -inf included) gives 0, NaN gives NaN. */
FA512 __m512 fa512_shifted_exp(__m512 x, __m512 m, __m512 negm, __m512 one) {
    __m512 t = _mm512_sub_ps(x, m);
    /* t * 1 - x: the same rounding as t - x, on an fma pipe (Zen 4 issues
     * adds on two pipes and fmas on two others; these loops are add-bound) */
    __m512 bv = _mm512_fmsub_ps(t, one, x);
    __m512 err = _mm512_add_ps(_mm512_sub_ps(x, _mm512_sub_ps(t, bv)), _mm512_sub_ps(negm, bv));
    /* err is NaN where x = -inf or x - m overflows: those lanes drop it */
    __mmask16 keep = _mm512_cmp_ps_mask(t, FA512_F(-120.0f), _CMP_GT_OQ);
    __m512 tc = _mm512_max_ps(FA512_F(-120.0f), t);                 /* NaN passes */
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(tc, FA512_F(1.44269502162933349609375f),
                                             FA512_F(12582912.0f)), FA512_F(12582912.0f));
    __m512 r1 = _mm512_fnmadd_ps(k, FA512_F(0.693145751953125f), tc);   /* exact */
    __m512 c = _mm512_maskz_fnmadd_ps(keep, k, FA512_F(1.428606765330187e-06f), err);
    __m512 u = fa512_expm1_kernel(_mm512_add_ps(r1, c));
    return _mm512_scalef_ps(_mm512_add_ps(FA512_F(1.0f), u), k);
}

/* s01 += the 16 floats of e, in float64 */
FA512 void fa512_sum_pd(__m512 e, __m512d* s0, __m512d* s1) {
    *s0 = _mm512_add_pd(*s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    *s1 = _mm512_add_pd(*s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
}

/* the same sums as s + e * 1 on the fma pipes (one: 1.0 the compiler cannot
 * see, or it would fold the fma back into an add) */
FA512 void fa512_sum_pd_fma(__m512 e, __m512d* s0, __m512d* s1, __m512d one) {
    *s0 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(e)), one, *s0);
    *s1 = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)), one, *s1);
}

/* 1.0 hidden from constant folding */
#define FA512_OPAQUE_ONES(one_ps, one_pd)                                             \
    __m512 one_ps = FA512_F(1.0f);                                                    \
    __m512d one_pd = _mm512_set1_pd(1.0);                                             \
    __asm__("" : "+v"(one_ps), "+v"(one_pd))

/* out[i] = v (the caller's final pass): streamed from the first 64-byte
 * boundary on when ``stream`` (a head before it, masked, is stored normally) */
#define FA512_FINAL_PASS(n, out, stream, EXPR_AT)                                    \
    do {                                                                            \
        Py_ssize_t i_ = 0;                                                          \
        if (stream) {                                                               \
            Py_ssize_t head_ = (Py_ssize_t)((64 - ((size_t)(out) & 63)) & 63) / 4;  \
            if (((size_t)(out) & 3) == 0 && head_ < (n)) {                          \
                if (head_) {                                                        \
                    __mmask16 m_ = fa512_head(head_);                               \
                    _mm512_mask_storeu_ps((out), m_, EXPR_AT(0, m_));              \
                }                                                                   \
                for (i_ = head_; i_ + 16 <= (n); i_ += 16)                          \
                    _mm512_stream_ps((out) + i_, EXPR_AT(i_, (__mmask16)0xFFFF));  \
            }                                                                       \
        }                                                                           \
        for (; i_ + 16 <= (n); i_ += 16)                                            \
            _mm512_storeu_ps((out) + i_, EXPR_AT(i_, (__mmask16)0xFFFF));          \
        if (i_ < (n)) {                                                             \
            __mmask16 m_ = fa512_head((n) - i_);                                    \
            _mm512_mask_storeu_ps((out) + i_, m_, EXPR_AT(i_, m_));                \
        }                                                                           \
    } while (0)

/* e^(x - m) (softmin: of -x, flip = the sign bit) into e_at, and their sum
 * in float64 (the pass between a row's max and its scaling; also one chunk
 * of a long row's, fa_simd_long_row_exp_f32).  Two vectors an iteration,
 * added in float32 before their conversion: the conversions (vcvtps2pd,
 * two µops each, and vextractf32x8) and float64 adds were 7 of the loop's
 * ~30 512-bit µops per 16 entries, which Intel issues on two ports.  The
 * float32 add rounds each pair once: the sum's error grows by at most
 * 2^-24 of the sum (every term >= 0), the output's by at most 1 ULP, within
 * the <= 4 ULP of the contract (tests/test_rowwise_simd.py holds it).  On
 * an Intel Xeon (AVX-512), a C loop over float32 rows, 1 thread: 64 x 1000
 * 0.400 -> 0.364 ns per entry, 4096 x 1024 0.500 -> 0.441. */
FA512 double fa512_softmax_exp(const float* x, float* e_at, Py_ssize_t n, float mx,
                               __m512 flip) {
    const __m512 m = _mm512_set1_ps(mx), negm = _mm512_set1_ps(-mx);
    FA512_OPAQUE_ONES(one, one_d);
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    Py_ssize_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 e = fa512_shifted_exp(_mm512_xor_ps(_mm512_loadu_ps(x + i), flip), m, negm, one);
        __m512 f = fa512_shifted_exp(_mm512_xor_ps(_mm512_loadu_ps(x + i + 16), flip), m, negm,
                                     one);
        _mm512_storeu_ps(e_at + i, e);
        _mm512_storeu_ps(e_at + i + 16, f);
        fa512_sum_pd_fma(_mm512_add_ps(e, f), &s0, &s1, one_d);
    }
    if (i + 16 <= n) {
        __m512 e = fa512_shifted_exp(_mm512_xor_ps(_mm512_loadu_ps(x + i), flip), m, negm, one);
        _mm512_storeu_ps(e_at + i, e);
        fa512_sum_pd_fma(e, &s0, &s1, one_d);
        i += 16;
    }
    if (i < n) {
        __mmask16 k = fa512_head(n - i);
        __m512 e = _mm512_maskz_mov_ps(k, fa512_shifted_exp(
            _mm512_xor_ps(_mm512_maskz_loadu_ps(k, x + i), flip), m, negm, one));
        _mm512_mask_storeu_ps(e_at + i, k, e);
        fa512_sum_pd(e, &s0, &s1);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
}

/* out = e_at (1/sum), inv = 1/sum in float64: as two floats, e hi + e lo
 * (fma) is the float64 product rounded once */
FA512 void fa512_softmax_scale(const float* e_at, float* out, Py_ssize_t n, double inv,
                               int stream) {
    float hi_s = (float)inv, lo_s = (float)(inv - (double)hi_s);
    const __m512 hi = _mm512_set1_ps(hi_s), lo = _mm512_set1_ps(lo_s);
#define FA512_SCALE_AT(j, msk) \
    ({ __m512 e_ = _mm512_maskz_loadu_ps((msk), e_at + (j)); \
       _mm512_fmadd_ps(e_, hi, _mm512_mul_ps(e_, lo)); })
    FA512_FINAL_PASS(n, out, stream, FA512_SCALE_AT);
#undef FA512_SCALE_AT
}

/* softmax (flip = 0) or softmin (flip = the sign bit) of one row.  Returns 0,
 * writing nothing, for a row whose max is +inf (the caller's limit form). */
FA512 int fa512_softmax_row(const float* x, float* out, Py_ssize_t n, __m512 flip, int stream) {
    float stage[FA_ROW_STAGE];
    float mx = fa512_row_max(x, n, flip);
    if (mx == INFINITY)
        return 0;
    /* streamed rows stage their exps (one less read of every output line) */
    float* e_at = (stream && n <= FA_ROW_STAGE) ? stage : out;
    if (e_at == out)
        stream = 0;
    fa512_softmax_scale(e_at, out, n, 1.0 / fa512_softmax_exp(x, e_at, n, mx, flip), stream);
    return 1;
}

/* The tail of log_softmax's sum (the terms below 1, NaN included, summed at
 * their own scale in float64) and, in *cnt, the number of terms at the max
 * (exactly 1; exact in float32 lanes to 2^24 each) */
FA512 double fa512_log_softmax_tail(const float* x, Py_ssize_t n, float mx, double* cnt) {
    const __m512 m = _mm512_set1_ps(mx), negm = _mm512_set1_ps(-mx);
    FA512_OPAQUE_ONES(one, one_d);
    (void)one_d;
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    __m512 ones = _mm512_setzero_ps();
    Py_ssize_t i = 0;
#define FA512_TAIL_ADD(e, valid)                                                      \
    do {                                                                            \
        __mmask16 top_ = _mm512_mask_cmp_ps_mask((valid), (e), one, _CMP_GE_OQ);      \
        __mmask16 low_ = (__mmask16)((valid) & ~top_);                              \
        ones = _mm512_mask_add_ps(ones, top_, ones, one);                          \
        s0 = _mm512_add_pd(s0, _mm512_maskz_cvtps_pd((__mmask8)low_, _mm512_castps512_ps256(e))); \
        s1 = _mm512_add_pd(s1, _mm512_maskz_cvtps_pd((__mmask8)(low_ >> 8),       \
                                                     _mm512_extractf32x8_ps((e), 1))); \
    } while (0)
    for (; i + 32 <= n; i += 32) {
        /* two vectors' terms below 1 added in float32, then converted once
         * (as fa512_softmax_exp's pairs: <= 2^-24 of the tail more, <= 1 ULP
         * of the output) */
        __m512 e = fa512_shifted_exp(_mm512_loadu_ps(x + i), m, negm, one);
        __m512 f = fa512_shifted_exp(_mm512_loadu_ps(x + i + 16), m, negm, one);
        __mmask16 top_e = _mm512_cmp_ps_mask(e, one, _CMP_GE_OQ);
        __mmask16 top_f = _mm512_cmp_ps_mask(f, one, _CMP_GE_OQ);
        ones = _mm512_mask_add_ps(ones, top_e, ones, one);
        ones = _mm512_mask_add_ps(ones, top_f, ones, one);
        e = _mm512_mask_add_ps(_mm512_maskz_mov_ps((__mmask16)~top_e, e), (__mmask16)~top_f,
                               _mm512_maskz_mov_ps((__mmask16)~top_e, e), f);
        fa512_sum_pd(e, &s0, &s1);      /* a pair's sum may pass 1: no top test */
    }
    if (i + 16 <= n) {
        __m512 e = fa512_shifted_exp(_mm512_loadu_ps(x + i), m, negm, one);
        FA512_TAIL_ADD(e, (__mmask16)0xFFFF);
        i += 16;
    }
    if (i < n) {
        __mmask16 k = fa512_head(n - i);
        __m512 e = fa512_shifted_exp(_mm512_maskz_loadu_ps(k, x + i), m, negm, one);
        FA512_TAIL_ADD(e, k);
    }
#undef FA512_TAIL_ADD
    *cnt = (double)_mm512_reduce_add_ps(ones);      /* exact: integers < 2^24 */
    return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
}

/* out = x - (m + L), L = log(sum) >= 0, with m + L = c_hi + c_lo (a float
 * pair of the float64 sum): (x - c_hi) - c_lo in float32.  x <= m, so
 * out <= -L <= 0 and |x - c_hi| <= |out| + ulp: no cancellation beyond
 * what Sterbenz makes exact (x near c_hi: a confident row's max entry,
 * x - c_hi = -(c_hi - m), exact, then - c_lo: -L rounded once).  Error:
 * x - c_hi's rounding (<= 0.5 ULP of out), c_lo's (2^-24 of it) and the
 * last rounding (0.5 ULP): about 1 ULP, where the float64 form was 0.5
 * and cost 18 instructions per 16 entries against 4. */
FA512 void fa512_log_softmax_out(const float* x, float* out, Py_ssize_t n, float mx, double L,
                                 int stream) {
    const float c_hi_s = (float)((double)mx + L);
    /* c_lo = (m - c_hi) + L: m - c_hi exact in float64, so L keeps its
     * relative accuracy where it is below float32's resolution at m */
    const __m512 c_hi = _mm512_set1_ps(c_hi_s);
    const __m512 c_lo = _mm512_set1_ps((float)(((double)mx - (double)c_hi_s) + L));
#define FA512_LOGOUT_AT(j, msk)                                                       \
    _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps((msk), x + (j)), c_hi), c_lo)
    FA512_FINAL_PASS(n, out, stream, FA512_LOGOUT_AT);
#undef FA512_LOGOUT_AT
}

/* log_softmax of one row: (x - m) - log1p((ones - 1) + tail), x - m and the
 * subtraction of the log in float64 (x - m exact there), rounded once.
 * Returns 0, writing nothing, for a row whose max is +inf. */
FA512 int fa512_log_softmax_row(const float* x, float* out, Py_ssize_t n, int stream) {
    float mx = fa512_row_max(x, n, _mm512_setzero_ps());
    if (mx == INFINITY)
        return 0;
    double cnt, tail = fa512_log_softmax_tail(x, n, mx, &cnt);
    /* sum - 1 = (ones - 1) + tail: ones - 1 exact; one rounding, at the tail's
     * scale when ones = 1 (log1p keeps a confident row's tail) */
    fa512_log_softmax_out(x, out, n, mx, log1p((cnt - 1.0) + tail), stream);
    return 1;
}

/* acc + comp += p (8 float64 lanes), TwoSum */
FA512 void fa512_two_sum_acc_pd(__m512d p, __m512d* acc, __m512d* comp) {
    __m512d t = _mm512_add_pd(*acc, p);
    __m512d e = _mm512_sub_pd(t, *acc);
    *comp = _mm512_add_pd(*comp, _mm512_add_pd(_mm512_sub_pd(*acc, _mm512_sub_pd(t, e)),
                                               _mm512_sub_pd(p, e)));
    *acc = t;
}

/* hi + lo[0] = the 16 lanes acc + comp (TwoSum sums) as one double-double, in a
 * fixed order */
static inline double fa512_dd_total(__m512d a0, __m512d a1, __m512d c0, __m512d c1,
                                    double* lo_out) {
    double acc[16], comp[16], hi = 0, lo = 0;
    _mm512_storeu_pd(acc, a0);
    _mm512_storeu_pd(acc + 8, a1);
    _mm512_storeu_pd(comp, c0);
    _mm512_storeu_pd(comp + 8, c1);
    for (int j = 0; j < 16; j++) {
        double t = hi + acc[j], bv = t - hi;
        lo += ((hi - (t - bv)) + (acc[j] - bv)) + comp[j];
        hi = t;
    }
    double t = hi + lo, bv = t - hi;
    *lo_out = (hi - (t - bv)) + (lo - bv);
    return t;
}

/* hi + lo = sum(g y) over a float32 row in double-double (exact products,
 * TwoSum per lane), as _row_dot2 */
FA512 double fa512_row_dot2_f32(const float* g, const float* y, Py_ssize_t n, double* lo) {
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, c0 = a0, c1 = a0;
    Py_ssize_t i = 0;
#define FA512_DOT_ADD(gv, yv)                                                         \
    do {                                                                            \
        fa512_two_sum_acc_pd(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(gv)), \
                                           _mm512_cvtps_pd(_mm512_castps512_ps256(yv))), \
                             &a0, &c0);                                             \
        fa512_two_sum_acc_pd(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(gv, 1)), \
                                           _mm512_cvtps_pd(_mm512_extractf32x8_ps(yv, 1))), \
                             &a1, &c1);                                             \
    } while (0)
    for (; i + 16 <= n; i += 16) {
        __m512 gv = _mm512_loadu_ps(g + i), yv = _mm512_loadu_ps(y + i);
        FA512_DOT_ADD(gv, yv);
    }
    if (i < n) {
        __mmask16 k = fa512_head(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i), yv = _mm512_maskz_loadu_ps(k, y + i);
        FA512_DOT_ADD(gv, yv);
    }
#undef FA512_DOT_ADD
    return fa512_dd_total(a0, a1, c0, c1, lo);
}

/* S = sum(g y) in plain float64 (the float32 products are exact there: one
 * rounding per addition) and *babs = sum|g y| in float32, the bound on S's
 * error.  32 float64 lanes (four zmm) summed in blocks of 512 entries (16
 * terms a lane, the 16-entry step and the masked tail one more each), each
 * block's sums added to the row's, then 5 levels of reduction: a term passes
 * through at most 18 + (n/512 + 1) + 5 roundings, so |S - sum(g y)| <=
 * (n/512 + 24) 2^-53 (1 + 2^-25) sum|g y| (n < 2^27); in one running sum per
 * lane it would be n/32 + 7 (n = 32000: 1007 against 86).  babs: 16 float32
 * lanes (fma of the exact product: one rounding per term), at most n/32 + 7
 * roundings: sum|g y| <= (babs + (n/32 + 7) 2^-150) (1 + (n/32 + 7) 2^-23). */
#define FA512_DOT_BLOCK 512
FA512 double fa512_row_dot_bound_f32(const float* g, const float* y, Py_ssize_t n,
                                     float* babs) {
    const __m512d zero = _mm512_setzero_pd();
    __m512d s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    __m512 b0 = _mm512_setzero_ps(), b1 = b0;
    Py_ssize_t i = 0;
#define FA512_DOT_PD(acc, j, msk)                                                     \
    acc = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps((msk), g + (j))),     \
                          _mm512_cvtps_pd(_mm256_maskz_loadu_ps((msk), y + (j))), acc)
#define FA512_ABS_PS(acc, j, msk)                                                     \
    acc = _mm512_fmadd_ps(fa512_abs(_mm512_maskz_loadu_ps((msk), g + (j))),           \
                          fa512_abs(_mm512_maskz_loadu_ps((msk), y + (j))), acc)
    while (i < n) {
        Py_ssize_t end = n - i > FA512_DOT_BLOCK ? i + FA512_DOT_BLOCK : n;
        __m512d t0 = zero, t1 = zero, t2 = zero, t3 = zero;
        for (; i + 32 <= end; i += 32) {
            FA512_DOT_PD(t0, i, (__mmask8)0xFF);
            FA512_DOT_PD(t1, i + 8, (__mmask8)0xFF);
            FA512_DOT_PD(t2, i + 16, (__mmask8)0xFF);
            FA512_DOT_PD(t3, i + 24, (__mmask8)0xFF);
            FA512_ABS_PS(b0, i, (__mmask16)0xFFFF);
            FA512_ABS_PS(b1, i + 16, (__mmask16)0xFFFF);
        }
        if (i + 16 <= end) {
            FA512_DOT_PD(t0, i, (__mmask8)0xFF);
            FA512_DOT_PD(t1, i + 8, (__mmask8)0xFF);
            FA512_ABS_PS(b0, i, (__mmask16)0xFFFF);
            i += 16;
        }
        if (i < end) {
            __mmask16 k = fa512_head(end - i);
            FA512_DOT_PD(t2, i, (__mmask8)k);
            FA512_DOT_PD(t3, i + 8, (__mmask8)(k >> 8));
            FA512_ABS_PS(b1, i, k);
            i = end;
        }
        s0 = _mm512_add_pd(s0, t0);
        s1 = _mm512_add_pd(s1, t1);
        s2 = _mm512_add_pd(s2, t2);
        s3 = _mm512_add_pd(s3, t3);
    }
#undef FA512_DOT_PD
#undef FA512_ABS_PS
    *babs = _mm512_reduce_add_ps(_mm512_add_ps(b0, b1));
    return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
}

/* H + R = s as two floats (H = s rounded, R = the rest rounded) */
FA512 void fa512_split_f32(double hi, double lo, __m512* H, __m512* R) {
    float H_s = (float)hi;
    *H = _mm512_set1_ps(H_s);
    *R = _mm512_set1_ps((float)((hi - (double)H_s) + lo));
}

/* softmax backward (SIGN +1) or softmin's (SIGN -1) of one row:
 * out = SIGN y ((g - H) - R), H + R = sum(g y) split into two floats, as
 * _softmax_bwd_row_f32 (<= 1.5 ULP from the exactly rounded sum).  softmin
 * forms -((g - H) - R) as (H - g) + R: the same bits, one multiply fewer.
 *
 * The sum: plain float64 first (fa512_row_dot_bound_f32: 12 instructions per
 * 16 entries against the double-double's 29), its error bounded by
 * E = (n/512 + 24) 2^-53 (1 + 2^-25) sum|g y|.  An entry whose computed
 * d = (g - H) - R has |d| >= T = (2^24 + 2)(1 + 2^-21) E keeps it: d is
 * within 2^-22 of (g - H) - R exact, which is within 2^-24 of g - S' (the
 * split's error, as in the Cython form), so |g - sum| >= |d| (1 - 2^-21) - E
 * >= 2^24 E: S's error moves the result by <= 2^-24 relative, <= 1 ULP,
 * <= 2.5 ULP in all.  Any other entry (g - sum cancels: confident rows, a g
 * equal to the row's average) takes the double-double sum, computed for the
 * row when one is found: per entry, so each result is the same function of
 * the row whichever way the row is walked, in place or not.  A row whose sum
 * or bound is not finite (inf, NaN, a sum|g y| beyond float32) takes the
 * double-double sum for every entry, the Cython form's arithmetic. */
#define FA512_BWD_D(gv, H, R, SIGN)                                                   \
    ((SIGN) > 0 ? _mm512_sub_ps(_mm512_sub_ps((gv), (H)), (R))                        \
                : _mm512_add_ps(_mm512_sub_ps((H), (gv)), (R)))

FA512 void fa512_softmax_bwd_exact(const float* g, const float* y, float* out, Py_ssize_t n,
                                   int sign, int stream) {
    double lo, hi = fa512_row_dot2_f32(g, y, n, &lo);
    __m512 H, R;
    fa512_split_f32(hi, lo, &H, &R);
#define FA512_BWD_AT(j, msk)                                                          \
    ({ __m512 g_ = _mm512_maskz_loadu_ps((msk), g + (j));                            \
       _mm512_mul_ps(_mm512_maskz_loadu_ps((msk), y + (j)), FA512_BWD_D(g_, H, R, sign)); })
    FA512_FINAL_PASS(n, out, stream, FA512_BWD_AT);
#undef FA512_BWD_AT
}

/* out from H + R where |d| >= T, from the double-double sum elsewhere (its
 * split H2 + R2), every entry written */
FA512 void fa512_softmax_bwd_mixed(const float* g, const float* y, float* out, Py_ssize_t n,
                                   int sign, __m512 H, __m512 R, __m512 T) {
    double lo, hi = fa512_row_dot2_f32(g, y, n, &lo);
    __m512 H2, R2;
    fa512_split_f32(hi, lo, &H2, &R2);
    for (Py_ssize_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : fa512_head(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i), yv = _mm512_maskz_loadu_ps(k, y + i);
        __m512 d = FA512_BWD_D(gv, H, R, sign);
        __mmask16 bad = _mm512_cmp_ps_mask(fa512_abs(d), T, _CMP_NGE_UQ);
        d = _mm512_mask_mov_ps(d, bad, FA512_BWD_D(gv, H2, R2, sign));
        _mm512_mask_storeu_ps(out + i, k, _mm512_mul_ps(yv, d));
    }
}

/* vrangeps: min(|a|, |b|) (the smaller magnitude, its sign cleared); NaN
 * stays NaN, and the test !(dmin >= T) then sends the row to the mixed pass */
#define FA512_MIN_ABS 0xA

FA512 void fa512_softmax_bwd_row(const float* g, const float* y, float* out, Py_ssize_t n,
                                 int sign, int stream) {
    float babs;
    double s = fa512_row_dot_bound_f32(g, y, n, &babs);
    double kb = (double)(n / 32 + 7), ks = (double)(n / FA512_DOT_BLOCK + 24);
    double e = ks * 0x1p-53 * (1 + 0x1p-25) * (((double)babs + kb * 0x1p-150) * (1 + kb * 0x1p-23));
    /* T rounded up to float32: (1 + 2^-20) covers the conversion's rounding,
     * 2^-126 the subnormal range (a |d| that small takes the exact sum) */
    float t_s = (float)((0x1p24 + 2) * (1 + 0x1p-21) * (1 + 0x1p-20) * e + 0x1p-126);
    if (!(fabs(s) <= 3.4028234663852886e38 && t_s < INFINITY) || n >= ((Py_ssize_t)1 << 27)) {
        fa512_softmax_bwd_exact(g, y, out, n, sign, stream);
        return;
    }
    __m512 H, R;
    fa512_split_f32(s, 0.0, &H, &R);
    const __m512 T = _mm512_set1_ps(t_s);
    __m512 dmin = FA512_F(INFINITY);
    const size_t o0 = (size_t)out, o1 = (size_t)(out + n);
    int aliased = ((size_t)g < o1 && o0 < (size_t)(g + n)) ||
                  ((size_t)y < o1 && o0 < (size_t)(y + n));
    if (aliased) {
        /* out is g or y: the entries that need the double-double sum are found
         * before any is overwritten */
        for (Py_ssize_t i = 0; i < n; i += 16) {
            __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : fa512_head(n - i);
            __m512 d = FA512_BWD_D(_mm512_maskz_loadu_ps(k, g + i), H, R, sign);
            dmin = _mm512_mask_range_ps(dmin, k, d, dmin, FA512_MIN_ABS);
        }
        if (_mm512_cmp_ps_mask(dmin, T, _CMP_NGE_UQ)) {
            fa512_softmax_bwd_mixed(g, y, out, n, sign, H, R, T);
            return;
        }
    }
#define FA512_BWD_AT(j, msk)                                                          \
    ({ __m512 g_ = _mm512_maskz_loadu_ps((msk), g + (j));                            \
       __m512 d_ = FA512_BWD_D(g_, H, R, sign);                                      \
       dmin = _mm512_mask_range_ps(dmin, (msk), d_, dmin, FA512_MIN_ABS);              \
       _mm512_mul_ps(_mm512_maskz_loadu_ps((msk), y + (j)), d_); })
    FA512_FINAL_PASS(n, out, stream, FA512_BWD_AT);
#undef FA512_BWD_AT
    if (!aliased && _mm512_cmp_ps_mask(dmin, T, _CMP_NGE_UQ)) {
        if (stream)
            _mm_sfence();   /* the streamed stores before the rewrite */
        fa512_softmax_bwd_mixed(g, y, out, n, sign, H, R, T);
    }
}

/* log_softmax's gradient for 8 float64 lanes: g - e^y S, and where e^y > 1/2
 * (a confident entry, g - S cancels) (g - S) - S expm1(y), S = hi + lo: as
 * _log_softmax_grad (pyx/_rowwise.pxi.tp), on the float64 polynomial of
 * v_exp_kernel_f64 (pyx/_vmath.pxd, 0.97 ULP): e^y = 2^k (1 + u) and
 * expm1(y) = 2^k u + (2^k - 1) from the one u.  y is float32, so these
 * float64 exps are what keeps e^y S exact to 2^-52 where g - e^y S cancels. */
FA512 __m512d fa512_log_softmax_grad_pd(__m512d g, __m512d y, __m512d hi, __m512d lo,
                                        __m512d S) {
    __m512d yc = _mm512_max_pd(_mm512_set1_pd(-760.0), _mm512_min_pd(_mm512_set1_pd(710.0), y));
    __m512d k = _mm512_sub_pd(_mm512_fmadd_pd(yc, _mm512_set1_pd(1.4426950408889634),
                                              _mm512_set1_pd(6755399441055744.0)),
                              _mm512_set1_pd(6755399441055744.0));
    __m512d r = _mm512_fmadd_pd(k, _mm512_set1_pd(-1.9082149292705877e-10),
                                _mm512_fmadd_pd(k, _mm512_set1_pd(-0.6931471803691238), yc));
    __m512d u = fa512d_expm1_kernel(r);    /* fa_simd_avx512_f64.h */
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d e = _mm512_scalef_pd(_mm512_add_pd(one, u), k);
    __m512d far = _mm512_fnmadd_pd(e, S, g);
    __mmask8 near = _mm512_cmp_pd_mask(y, _mm512_set1_pd(-0.6931471805599453), _CMP_GT_OQ);
    if (near) {   /* rare outside confident rows: the expm1 form only then */
        __m512d s2 = _mm512_scalef_pd(one, _mm512_max_pd(_mm512_set1_pd(-8.0), k));
        __m512d em1 = _mm512_fmadd_pd(s2, u, _mm512_sub_pd(s2, one));
        __m512d gs = _mm512_sub_pd(_mm512_sub_pd(g, hi), lo);
        far = _mm512_mask_mov_pd(far, near, _mm512_fnmadd_pd(S, em1, gs));
    }
    return far;
}

/* d with the lanes not in ok from the float64 form (only the 8-lane halves
 * that hold such a lane): out of line, so that the float32 loop keeps its
 * constants in registers */
__attribute__((noinline)) static __m512 fa512_log_softmax_grad_f64_lanes(
        __m512 d, __mmask16 ok, __m512 g, __m512 y, __m512d hi, __m512d lo, __m512d S) {
    __m256 l = _mm512_castps512_ps256(d), h = _mm512_extractf32x8_ps(d, 1);
    if ((ok & 0xFF) != 0xFF)
        l = _mm512_cvtpd_ps(fa512_log_softmax_grad_pd(
            _mm512_cvtps_pd(_mm512_castps512_ps256(g)),
            _mm512_cvtps_pd(_mm512_castps512_ps256(y)), hi, lo, S));
    if ((ok >> 8) != 0xFF)
        h = _mm512_cvtpd_ps(fa512_log_softmax_grad_pd(
            _mm512_cvtps_pd(_mm512_extractf32x8_ps(g, 1)),
            _mm512_cvtps_pd(_mm512_extractf32x8_ps(y, 1)), hi, lo, S));
    return _mm512_mask_mov_ps(_mm512_insertf32x8(_mm512_castps256_ps512(l), h, 1), ok, d);
}

/* log_softmax's gradient for 16 lanes, in float32 where that is provably
 * accurate, in float64 (fa512_log_softmax_grad_pd) where it may not be.
 *
 * float32: e = e^y (1 + eps) from the polynomial of the elementwise exp,
 * p = 1 + u rounded once (<= 2^-24 relative, p in [0.71, 1.42]) on the
 * polynomial's and the reduction's 0.48 x 2^-24 (fa512_exp_parts): |eps| <
 * 1.5 x 2^-24 (1.465 measured over every float32 y in [-87, 80],
 * ACCURACY.md), and vscalefps exact for y >= -87 (e^y normal).  S = Sh + Sl
 * (float32 pair of the float64 sum, 2^-48 apart; the caller sends every
 * lane to float64 where S is beyond float32's range); d = (g - e Sh) - e Sl,
 * two fmas (each product exact, one rounding each).  Where |d| >= e |Sh| / 2
 * (no cancellation worth the name), e^y S's error eps e^y |S| is <= 2 (1 +
 * 2^-22) eps |d| < 3 x 2^-24 |d|, under 3 ULP of d, and the two roundings
 * add <= 1.5 (the first at most a binade above d): <= 4.5 ULP.  Elsewhere
 * (g - e^y S cancels: the confident entries, a g near e^y S), and for y
 * outside [-87, 80] or NaN, the lane takes the float64 form (the Cython
 * reference's formula): decided per lane, so each entry's result depends on
 * its own g and y only. */
FA512 __m512 fa512_log_softmax_grad(__m512 g, __m512 y, __m512 Sh, __m512 Sl, __m512 half_abs_Sh,
                                    __m512d hi, __m512d lo, __m512d S) {
    /* y in [-87, 80] (not NaN); the other lanes' e (inf, NaN, 0: no trap)
     * is replaced below */
    __mmask16 in = _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(y, FA512_F(-87.0f), _CMP_GE_OQ),
                                           y, FA512_F(80.0f), _CMP_LE_OQ);
    __m512 k = _mm512_sub_ps(_mm512_fmadd_ps(y, FA512_F(1.44269502162933349609375f),
                                             FA512_F(12582912.0f)), FA512_F(12582912.0f));
    __m512 r = _mm512_fnmadd_ps(k, FA512_F(0.693145751953125f), y);       /* exact */
    r = _mm512_fnmadd_ps(k, FA512_F(1.428606765330187e-06f), r);
    __m512 e = _mm512_scalef_ps(_mm512_add_ps(FA512_F(1.0f), fa512_expm1_kernel(r)), k);
    __m512 d = _mm512_fnmadd_ps(e, Sl, _mm512_fnmadd_ps(e, Sh, g));
    __mmask16 ok = _mm512_mask_cmp_ps_mask(in, fa512_abs(d), _mm512_mul_ps(e, half_abs_Sh),
                                           _CMP_GE_OQ);
    if (ok != (__mmask16)0xFFFF)
        d = fa512_log_softmax_grad_f64_lanes(d, ok, g, y, hi, lo, S);
    return d;
}

/* log_softmax backward of one row: out = g - e^y sum(g), sum(g) in float64,
 * the rest as fa512_log_softmax_grad. */
FA512 void fa512_log_softmax_bwd_row(const float* g, const float* y, float* out, Py_ssize_t n,
                                     int stream) {
    /* sum(g): the plain float64 sum in 32 lanes (error <= (n/32 + 6) 2^-53
     * sum|g|, within the backward contract's allowance for the row sum: it
     * enters as e^y S, and as g - S on confident entries, where e^y ~ 1). */
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    Py_ssize_t i = 0;
#define FA512_G_PD(j, msk) _mm512_cvtps_pd(_mm256_maskz_loadu_ps((msk), g + (j)))
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_add_pd(a0, FA512_G_PD(i, (__mmask8)0xFF));
        a1 = _mm512_add_pd(a1, FA512_G_PD(i + 8, (__mmask8)0xFF));
        a2 = _mm512_add_pd(a2, FA512_G_PD(i + 16, (__mmask8)0xFF));
        a3 = _mm512_add_pd(a3, FA512_G_PD(i + 24, (__mmask8)0xFF));
    }
    if (i + 16 <= n) {
        a0 = _mm512_add_pd(a0, FA512_G_PD(i, (__mmask8)0xFF));
        a1 = _mm512_add_pd(a1, FA512_G_PD(i + 8, (__mmask8)0xFF));
        i += 16;
    }
    if (i < n) {
        __mmask16 k = fa512_head(n - i);
        a2 = _mm512_add_pd(a2, FA512_G_PD(i, (__mmask8)k));
        a3 = _mm512_add_pd(a3, FA512_G_PD(i + 8, (__mmask8)(k >> 8)));
    }
#undef FA512_G_PD
    double lo_s = 0.0, hi_s = _mm512_reduce_add_pd(
        _mm512_add_pd(_mm512_add_pd(a0, a2), _mm512_add_pd(a1, a3)));
    const __m512d hi = _mm512_set1_pd(hi_s), lo = _mm512_set1_pd(lo_s);
    const __m512d S = _mm512_set1_pd(hi_s + lo_s);
    float Sh_s = (float)(hi_s + lo_s);
    const __m512 Sh = _mm512_set1_ps(Sh_s);
    const __m512 Sl = _mm512_set1_ps((float)(((hi_s - (double)Sh_s) + lo_s)));
    /* NaN (every lane to float64) where S is beyond float32 (Sh = inf; the
     * result may be finite).  A tiny S keeps the pair's accuracy: S is a
     * multiple of 2^-149 (as every float32), so a subnormal rest is exact. */
    const __m512 half_abs_Sh = _mm512_set1_ps(
        fabs(hi_s) <= 3.4028234663852886e38 ? 0.5f * fabsf(Sh_s) : NAN);
    /* y is first read here, by a loop of ~35 instructions a line: its lines
     * are prefetched 2 KiB ahead (256 x 32000 1.2x, 4096 x 1024 1.05-1.1x
     * faster, measured side by side; 64 x 1000, in cache, unchanged).  g is
     * in cache from the sum. */
#define FA512_LSM_BWD_AT(j, msk)                                                      \
    ({ _mm_prefetch((const char*)(y + (j)) + 2048, _MM_HINT_T0);                      \
       fa512_log_softmax_grad(_mm512_maskz_loadu_ps((msk), g + (j)),                  \
                              _mm512_maskz_loadu_ps((msk), y + (j)), Sh, Sl,          \
                              half_abs_Sh, hi, lo, S); })
    FA512_FINAL_PASS(n, out, stream, FA512_LSM_BWD_AT);
#undef FA512_LSM_BWD_AT
}

__attribute__((noinline)) static void fa_simd_log_softmax_bwd_row_f32(const float* g, const float* y, float* out,
                                            Py_ssize_t n, int stream) {
    fa512_log_softmax_bwd_row(g, y, out, n, stream);
}

/* ---- float64 backward rows: the Cython forms' arithmetic in 8-lane vectors ---- */

/* out[i] = v for 8 float64 lanes, streamed from the first 64-byte boundary on */
#define FA512_FINAL_PASS_PD(n, out, stream, EXPR_AT)                                 \
    do {                                                                            \
        Py_ssize_t i_ = 0;                                                          \
        if (stream) {                                                               \
            Py_ssize_t head_ = (Py_ssize_t)((64 - ((size_t)(out) & 63)) & 63) / 8;  \
            if (((size_t)(out) & 7) == 0 && head_ < (n)) {                          \
                if (head_) {                                                        \
                    __mmask8 m_ = (__mmask8)((1u << head_) - 1u);                   \
                    _mm512_mask_storeu_pd((out), m_, EXPR_AT(0, m_));              \
                }                                                                   \
                for (i_ = head_; i_ + 8 <= (n); i_ += 8)                            \
                    _mm512_stream_pd((out) + i_, EXPR_AT(i_, (__mmask8)0xFF));     \
            }                                                                       \
        }                                                                           \
        for (; i_ + 8 <= (n); i_ += 8)                                              \
            _mm512_storeu_pd((out) + i_, EXPR_AT(i_, (__mmask8)0xFF));             \
        if (i_ < (n)) {                                                             \
            __mmask8 m_ = (__mmask8)((1u << ((n) - i_)) - 1u);                      \
            _mm512_mask_storeu_pd((out) + i_, m_, EXPR_AT(i_, m_));                \
        }                                                                           \
    } while (0)

/* acc + comp += a b (b NULL: a), the product's error by fma, the sum's by
 * TwoSum: _dot2_step_f64 */
FA512 void fa512_dot2_step_pd(__m512d a, __m512d b, int with_b, __m512d* acc, __m512d* comp) {
    __m512d p = with_b ? _mm512_mul_pd(a, b) : a;
    __m512d t = _mm512_add_pd(*acc, p);
    __m512d e = _mm512_sub_pd(t, *acc);
    __m512d s = _mm512_add_pd(_mm512_sub_pd(*acc, _mm512_sub_pd(t, e)), _mm512_sub_pd(p, e));
    if (with_b)
        s = _mm512_add_pd(s, _mm512_fmsub_pd(a, b, p));
    *comp = _mm512_add_pd(*comp, s);
    *acc = t;
}

/* hi + lo = sum of a b (b NULL: of a) over a float64 row, double-double */
FA512 double fa512_row_dot2_f64(const double* a, const double* b, Py_ssize_t n, double* lo) {
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, c0 = a0, c1 = a0;
    const int with_b = b != 0;
    Py_ssize_t i = 0;
    for (; i + 16 <= n; i += 16) {
        fa512_dot2_step_pd(_mm512_loadu_pd(a + i), with_b ? _mm512_loadu_pd(b + i) : a0,
                           with_b, &a0, &c0);
        fa512_dot2_step_pd(_mm512_loadu_pd(a + i + 8), with_b ? _mm512_loadu_pd(b + i + 8) : a0,
                           with_b, &a1, &c1);
    }
    for (; i < n; i += 8) {
        __mmask8 m = n - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (n - i)) - 1u);
        __m512d av = _mm512_maskz_loadu_pd(m, a + i);
        fa512_dot2_step_pd(av, with_b ? _mm512_maskz_loadu_pd(m, b + i) : av, with_b, &a0, &c0);
    }
    return fa512_dd_total(a0, a1, c0, c1, lo);
}

__attribute__((noinline)) static void fa_simd_softmax_bwd_row_f64(
        const double* g, const double* y, double* out, Py_ssize_t n, double sign, int stream) {
    double lo_s, hi_s = fa512_row_dot2_f64(g, y, n, &lo_s);
    const __m512d hi = _mm512_set1_pd(hi_s), lo = _mm512_set1_pd(lo_s), sg = _mm512_set1_pd(sign);
#define FA512_BWD_PD_AT(j, msk)                                                       \
    _mm512_mul_pd(_mm512_mul_pd(sg, _mm512_maskz_loadu_pd((msk), y + (j))),         \
                  _mm512_sub_pd(_mm512_sub_pd(_mm512_maskz_loadu_pd((msk), g + (j)), hi), lo))
    FA512_FINAL_PASS_PD(n, out, stream, FA512_BWD_PD_AT);
#undef FA512_BWD_PD_AT
}

__attribute__((noinline)) static void fa_simd_log_softmax_bwd_row_f64(
        const double* g, const double* y, double* out, Py_ssize_t n, int stream) {
    double lo_s, hi_s = fa512_row_dot2_f64(g, 0, n, &lo_s);
    const __m512d hi = _mm512_set1_pd(hi_s), lo = _mm512_set1_pd(lo_s);
    const __m512d S = _mm512_set1_pd(hi_s + lo_s);
#define FA512_LSM_BWD_PD_AT(j, msk)                                                   \
    fa512_log_softmax_grad_pd(_mm512_maskz_loadu_pd((msk), g + (j)),                 \
                              _mm512_maskz_loadu_pd((msk), y + (j)), hi, lo, S)
    FA512_FINAL_PASS_PD(n, out, stream, FA512_LSM_BWD_PD_AT);
#undef FA512_LSM_BWD_PD_AT
}

/* ---- float64 log_softmax forward: the Cython form's arithmetic in 8-lane
 * vectors (_log_softmax_row_f64, _row_logsumexp_f64), the exp and the sum
 * fused in one pass ---- */

/* max over a float64 row, NaN skipped; -inf for an empty or all-NaN row */
FA512 double fa512d_row_max(const double* x, Py_ssize_t n) {
    const __m512d ninf = _mm512_set1_pd(-INFINITY);
    __m512d a0 = ninf, a1 = ninf, a2 = ninf, a3 = ninf;
    Py_ssize_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_max_pd(_mm512_loadu_pd(x + i), a0);
        a1 = _mm512_max_pd(_mm512_loadu_pd(x + i + 8), a1);
        a2 = _mm512_max_pd(_mm512_loadu_pd(x + i + 16), a2);
        a3 = _mm512_max_pd(_mm512_loadu_pd(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm512_max_pd(_mm512_loadu_pd(x + i), a0);
    if (i < n) {
        __mmask8 m = (__mmask8)((1u << (n - i)) - 1u);
        a1 = _mm512_mask_max_pd(a1, m, _mm512_maskz_loadu_pd(m, x + i), a1);
    }
    return _mm512_reduce_max_pd(_mm512_max_pd(_mm512_max_pd(a0, a1), _mm512_max_pd(a2, a3)));
}

/* e^(x - m) for x <= m, x - m's rounding error err recovered (TwoSum) and
 * applied as e (1 + err) (_shifted_exp_f64); x - m <= -760 gives 0, NaN NaN */
FA512 __m512d fa512d_shifted_exp(__m512d x, __m512d m, __m512d negm) {
    __m512d t = _mm512_sub_pd(x, m);
    __m512d bv = _mm512_sub_pd(t, x);
    __m512d err = _mm512_add_pd(_mm512_sub_pd(x, _mm512_sub_pd(t, bv)), _mm512_sub_pd(negm, bv));
    __mmask8 keep = _mm512_cmp_pd_mask(t, FA512D(-760.0), _CMP_GT_OQ);
    __m512d k;
    __m512d p = fa512d_exp_parts(_mm512_max_pd(FA512D(-760.0), t), &k);
    __m512d e = _mm512_scalef_pd(p, k);
    return _mm512_mask_fmadd_pd(e, keep, err, e);
}

/* acc + comp += the terms of e below 1 (valid lanes; NaN included), TwoSum;
 * cnt += 1 per term equal to 1 (the max entries) */
FA512 void fa512d_tail_add(__m512d e, __mmask8 valid, __m512d* acc, __m512d* comp,
                           __m512d* cnt) {
    __mmask8 top = _mm512_mask_cmp_pd_mask(valid, e, FA512D(1.0), _CMP_GE_OQ);
    *cnt = _mm512_mask_add_pd(*cnt, top, *cnt, FA512D(1.0));
    fa512_two_sum_acc_pd(_mm512_maskz_mov_pd((__mmask8)(valid & ~top), e), acc, comp);
}

/* The tail of a float64 row's sum, hi + *lo (double-double), and in *cnt the
 * terms at the max (fa512_log_softmax_tail's float64 form) */
FA512 double fa512d_log_softmax_tail(const double* x, Py_ssize_t n, double mx, double* lo,
                                     double* cnt) {
    const __m512d m = _mm512_set1_pd(mx), negm = _mm512_set1_pd(-mx);
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, c0 = a0, c1 = a0, n0 = a0, n1 = a0;
    Py_ssize_t i = 0;
    for (; i + 16 <= n; i += 16) {
        fa512d_tail_add(fa512d_shifted_exp(_mm512_loadu_pd(x + i), m, negm), 0xFF, &a0, &c0, &n0);
        fa512d_tail_add(fa512d_shifted_exp(_mm512_loadu_pd(x + i + 8), m, negm), 0xFF, &a1, &c1,
                        &n1);
    }
    for (; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (n - i)) - 1u);
        fa512d_tail_add(fa512d_shifted_exp(_mm512_maskz_loadu_pd(k, x + i), m, negm), k, &a0,
                        &c0, &n0);
    }
    *cnt = _mm512_reduce_add_pd(_mm512_add_pd(n0, n1));
    return fa512_dd_total(a0, a1, c0, c1, lo);
}

/* out = (x - m) - L, 8 float64 lanes */
FA512 void fa512d_log_softmax_out(const double* x, double* out, Py_ssize_t n, double mx,
                                  double lse, int stream) {
    const __m512d m = _mm512_set1_pd(mx), L = _mm512_set1_pd(lse);
#define FA512D_LOGOUT_AT(j, msk) \
    _mm512_sub_pd(_mm512_sub_pd(_mm512_maskz_loadu_pd((msk), x + (j)), m), L)
    FA512_FINAL_PASS_PD(n, out, stream, FA512D_LOGOUT_AT);
#undef FA512D_LOGOUT_AT
}

/* log_softmax of one float64 row: (x - m) - log1p((ones - 1) + tail), the tail
 * to about 2^-100 relative.  Returns 0, writing nothing, for a row whose max
 * is +inf (the caller's limit form). */
__attribute__((noinline)) static int fa_simd_log_softmax_row_f64(
        const double* x, double* out, Py_ssize_t n, int stream) {
    double mx = fa512d_row_max(x, n);
    if (mx == INFINITY)
        return 0;
    double lo, cnt, hi = fa512d_log_softmax_tail(x, n, mx, &lo, &cnt);
    fa512d_log_softmax_out(x, out, n, mx, fa_lse_finish(cnt, hi, lo), stream);
    return 1;
}

__attribute__((noinline)) static int fa_simd_softmax_row_f32(const float* x, float* out, Py_ssize_t n, float sign,
                                   int stream) {
    return sign < 0 ? fa512_softmax_row(x, out, n, FA512_SIGN, stream)
                    : fa512_softmax_row(x, out, n, _mm512_setzero_ps(), stream);
}

__attribute__((noinline)) static int fa_simd_log_softmax_row_f32(const float* x, float* out, Py_ssize_t n, int stream) {
    return fa512_log_softmax_row(x, out, n, stream);
}

__attribute__((noinline)) static void fa_simd_softmax_bwd_row_f32(const float* g, const float* y, float* out,
                                        Py_ssize_t n, float sign, int stream) {
    if (sign < 0)
        fa512_softmax_bwd_row(g, y, out, n, -1, stream);
    else
        fa512_softmax_bwd_row(g, y, out, n, 1, stream);
}

/* The phases of the rows above for one chunk of a long row (pyx/_rowwise.pxi.tp
 * _long_softmax_row: chunks on several threads, their partial results
 * combined in a fixed order there) */
__attribute__((noinline)) static float fa_simd_long_row_max_f32(const float* x, Py_ssize_t n,
                                                          float sign) {
    return sign < 0 ? fa512_row_max(x, n, FA512_SIGN) : fa512_row_max(x, n, _mm512_setzero_ps());
}
__attribute__((noinline)) static double fa_simd_long_row_exp_f32(const float* x, float* out,
                                                               Py_ssize_t n, float m, float sign) {
    return sign < 0 ? fa512_softmax_exp(x, out, n, m, FA512_SIGN)
                    : fa512_softmax_exp(x, out, n, m, _mm512_setzero_ps());
}
__attribute__((noinline)) static void fa_simd_long_row_scale_f32(float* out, Py_ssize_t n,
                                                               double inv) {
    fa512_softmax_scale(out, out, n, inv, 0);
}
__attribute__((noinline)) static double fa_simd_long_row_tail_f32(const float* x,
                                                                    Py_ssize_t n, float m,
                                                                    double* cnt) {
    return fa512_log_softmax_tail(x, n, m, cnt);
}
/* log_softmax's output for one chunk; streamed, fenced by the thread whose
 * stores they are, before another reads them */
#define FA512_LONG_ROW_LOGOUT(T, SFX, OUT_FN)                                          \
__attribute__((noinline)) static void fa_simd_long_row_logout_##SFX(                    \
        const T* x, T* out, Py_ssize_t n, T m, double lse, int stream) {              \
    OUT_FN(x, out, n, m, lse, stream);                                                \
    if (stream)                                                                       \
        _mm_sfence();                                                                 \
}
FA512_LONG_ROW_LOGOUT(float, f32, fa512_log_softmax_out)
FA512_LONG_ROW_LOGOUT(double, f64, fa512d_log_softmax_out)
__attribute__((noinline)) static double fa_simd_long_row_max_f64(const double* x, Py_ssize_t n) {
    return fa512d_row_max(x, n);
}
__attribute__((noinline)) static double fa_simd_long_row_tail_f64(const double* x,
                                                                    Py_ssize_t n, double m,
                                                                    double* lo, double* cnt) {
    return fa512d_log_softmax_tail(x, n, m, lo, cnt);
}


#endif
