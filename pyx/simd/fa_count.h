/* Counting forwards of fastact.DeadUnitMonitor in intrinsics: relu, relu6,
 * leaky_relu and prelu computed over a contiguous array while the elements on
 * the flat piece are counted, in one pass.  Included by fa_simd.h; called by
 * the generated counting kernels (pyx/_loops.pyx.tp, COUNTED) for the
 * per-call count over contiguous operands.
 *
 * Why intrinsics: the monitor's promise is "no extra pass and <= 5% over the
 * plain kernel", and the plain relu_ in place is 4-5 vector instructions per
 * vector.  GCC's vectorization of the Cython counting loop spends 2-4 more
 * (it computes relu6's compare twice, and counts with a zero-masked move of
 * ones plus a subtract), 10-20% in place at 256 K elements.  Here the select
 * and the count share one mask, and the per-call count is the popcount of
 * that mask (kmov or vmovmskps, popcnt, add: integer instructions beside a
 * loop bound by its loads and stores).  Counting in vector lanes instead
 * (vpmovm2d and a subtract) needs a horizontal sum at the end of every call,
 * which a profile of prelu's (N, 16, 256) layout (a call per 256-element
 * row) put at 5% of the kernel's time.  The per-channel count keeps vector
 * lanes: there each lane is a channel's counter.
 *
 *     long long fa_count_<kernel>_<f32|f64>(const T* x, const T* w, int w_contig,
 *                                           T* out, Py_ssize_t n, T slope)
 *
 * writes out[i] = <kernel>(x[i]) (out may be x: in place) and returns the
 * number of flat elements (relu: x <= 0; relu6: x <= 0 or x >= 6; leaky_relu,
 * prelu: x <= 0; NaN is on no piece).  leaky_relu's slope is `slope`; prelu's
 * is w[i] (w_contig) or w[0] (a per-channel weight broadcast along the row);
 * relu and relu6 ignore w and slope.  The results are the Cython formulas'
 * bits (pyx/_piecewise.pxd: relu_forward, relu6_forward, and the counting
 * forms leaky_relu_forward_flat_first, prelu_forward_flat_first, including
 * _times_slope's zero slope times an infinity = a signed zero), which the
 * tests hold them to (tests/test_monitor.py).  FA_COUNT_<kernel>_<sfx> is 0
 * on targets without them (the baseline): the Cython loops run there.
 *
 * Each element takes the same instructions wherever it sits (tails: masked
 * loads and stores), and counts are integers, so threads and block splits
 * change nothing. */
#ifndef FASTACT_COUNT_H
#define FASTACT_COUNT_H

#include <string.h>   /* memset */
#include "fa_target.h"

#if defined(__GNUC__)
#  define FA_CNT static inline __attribute__((always_inline))
#else
#  define FA_CNT static inline
#endif

/* The kernels, as a compile-time argument of the one loop per target. */
enum { FA_CNT_RELU, FA_CNT_RELU6, FA_CNT_LEAKY, FA_CNT_PRELU };

/* The slope's case, the `zs` the loops and rows take as a constant: 2
 * prelu's contiguous weights, 1 a zero slope (leaky_relu's, or the one
 * weight w[0] of prelu's row broadcast along it), 0 otherwise (relu and
 * relu6 have none).  The value is CALL(A, zs, s): the call with that case and
 * slope s (A: whatever CALL needs passed through). */
#define FA_CNT_SLOPE_CASE(kind, w_contig, w, slope, CALL, A)                           \
    ((kind) == FA_CNT_PRELU                                                            \
     ? ((w_contig) ? CALL(A, 2, 0) : (w)[0] == 0 ? CALL(A, 1, (w)[0]) : CALL(A, 0, (w)[0])) \
     : (kind) == FA_CNT_LEAKY && (slope) == 0 ? CALL(A, 1, slope) : CALL(A, 0, slope))

/* Row r of a run of rows (fa_count_2d_*): base + r * step bytes, as T*. */
#define FA_CNT_ROW(T, base, r, step) ((T*)((char*)(base) + (r) * (step)))

/* Rows per group of the per-channel count (see FA_CNT512_ROWS): counters are
 * touched once per this many rows. */
#define FA_CNT_GROUP 16
/* Blocks of rows up to this size (bytes, about an L2) are walked without
 * software prefetch: in cache its instructions were only overhead. */
#define FA_CNT_PF_MIN ((Py_ssize_t)1 << 21)
/* In place, the per-call loops run this many elements per row call (their
 * integer lanes hold up to 2^31 counts each). */
#define FA_CNT_FLAT ((Py_ssize_t)1 << 30)

/* The whole-rows count walks a group's rows side by side, FA_CNT_GROUP short
 * streams that hardware prefetchers follow poorly: out of cache (16 M
 * float32, 256 channels) it ran at a third of the plain kernel's speed.  So
 * it prefetches the row `ahead` rows below the one it computes, the same
 * columns: at least a group ahead (the next group, which the walk reaches a
 * group later) and at least the plain loops' distance in elements. */
static inline Py_ssize_t fa_cnt_rows_ahead(Py_ssize_t C, Py_ssize_t rows, Py_ssize_t itemsize) {
    Py_ssize_t ahead = (FA_SIMD_AHEAD + C - 1) / C;
    if (rows * C * itemsize <= FA_CNT_PF_MIN)
        return rows;              /* in cache: no prefetch (r + rows < rows never holds) */
    return ahead > FA_CNT_GROUP ? ahead : FA_CNT_GROUP;
}

#if defined(__GNUC__)
#  define FA_CNT_PF(p, write) __builtin_prefetch((const void*)(p), (write), 2)
#else
#  define FA_CNT_PF(p, write) ((void)(p))
#endif

/* The per-call loops' prefetch of the block FA_SIMD_AHEAD elements on (out of
 * place only, as the plain loops'): x, prelu's weights w (or NULL), out. */
static inline void fa_cnt_prefetch_block(const void* x, const void* w, const void* out,
                                         Py_ssize_t bytes) {
    fa_prefetch(x, bytes, 0);
    if (w != NULL)
        fa_prefetch(w, bytes, 0);
    fa_prefetch(out, bytes, 1);
}

/* The walks' prefetch of [x, x + bytes) to read and [out, out + bytes) to write. */
static inline void fa_cnt_prefetch_rows(const void* x, const void* out, Py_ssize_t bytes) {
    if (x != out)                 /* in place: the write prefetch fetches it */
        fa_prefetch(x, bytes, 0);
    fa_prefetch(out, bytes, 1);
}

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && \
    defined(__AVX512VL__)
#include <immintrin.h>
#define FA_COUNT_HAVE 1

/* One vector of the select, for element type T (PS: ps / pd), W lanes, mask
 * type M; `count` gets the lanes the loop counts: relu and relu6 count the
 * alive lanes (their selects' own compares, !(x <= 0) and !(x >= 6)), the
 * dead are the rest; leaky_relu and prelu count the flat lanes. */
#define FA_CNT512_STEP(T, PS, M, V)                                                    \
FA_CNT V fa_cnt512_step_##PS(int kind, V x, V s, int zero_slope, M* count) {          \
    const V zero = _mm512_setzero_##PS();                                              \
    if (kind == FA_CNT_RELU) {                                                         \
        M alive = _mm512_cmp_##PS##_mask(x, zero, _CMP_NLE_UQ);                        \
        *count = alive;                                                                \
        return _mm512_maskz_mov_##PS(alive, x);                                        \
    }                                                                                  \
    if (kind == FA_CNT_RELU6) {                                                        \
        M positive = _mm512_cmp_##PS##_mask(x, zero, _CMP_NLE_UQ);                     \
        M alive = _mm512_mask_cmp_##PS##_mask(positive, x, _mm512_set1_##PS((T)6),     \
                                              _CMP_NGE_UQ);                            \
        *count = alive;                                                                \
        return _mm512_mask_mov_##PS(_mm512_maskz_mov_##PS(positive,                    \
                                    _mm512_set1_##PS((T)6)), alive, x);                \
    }                                                                                  \
    {                                                                                  \
        /* _times_slope: s * x, but a zero slope gives s * sign(x) (the limit  */      \
        /* at an infinity; for finite x the same signed zero as s * x).        */      \
        M flat = _mm512_cmp_##PS##_mask(x, zero, _CMP_LE_OQ);                          \
        V sx;                                                                          \
        if (zero_slope == 1) {            /* every slope of the call is 0 */           \
            sx = _mm512_mul_##PS(s, _mm512_or_##PS(                                    \
                _mm512_and_##PS(x, _mm512_set1_##PS((T)-0.0)), _mm512_set1_##PS((T)1)));\
        } else {                                                                       \
            sx = _mm512_mul_##PS(s, x);                                                \
            if (zero_slope == 2) {        /* per-element slopes, some may be 0 */      \
                M fix = _mm512_mask_cmp_##PS##_mask(                                   \
                    _mm512_cmp_##PS##_mask(s, zero, _CMP_EQ_OQ),                       \
                    _mm512_andnot_##PS(_mm512_set1_##PS((T)-0.0), x),                  \
                    _mm512_set1_##PS((T)INFINITY), _CMP_EQ_OQ);                        \
                sx = _mm512_mask_mul_##PS(sx, fix, s, _mm512_or_##PS(                  \
                    _mm512_and_##PS(x, _mm512_set1_##PS((T)-0.0)),                     \
                    _mm512_set1_##PS((T)1)));                                          \
            }                                                                          \
        }                                                                              \
        *count = flat;                                                                 \
        return _mm512_mask_mov_##PS(x, flat, sx);                                      \
    }                                                                                  \
}

FA_CNT512_STEP(float, ps, __mmask16, __m512)
FA_CNT512_STEP(double, pd, __mmask8, __m512d)

/* fa_cnt512_tally_EPI: acc + 1 in the lanes of k (a subtract of -1,
 * merge-masked).  GCC 12 gives the intrinsic's result a fresh register and
 * copies it back into the accumulator's, a vmovdqa64 per accumulator and
 * block, and with 16 accumulators spills: 118 instructions per 16 float32
 * vectors of an int32-lane walk where the loads, compares, selects, stores
 * and subtracts are 80 (objdump).  The asm names the accumulator as its own
 * destination: 85.  The per-call loops' one accumulator: a vmovdqa32 and a
 * vmovdqa64 per vector without it. */
#if defined(__GNUC__) && !defined(__clang__)
#  define FA_CNT512_TALLY(EPI, M, INSN)                                                 \
FA_CNT __m512i fa_cnt512_tally_##EPI(__m512i acc, M k, __m512i minus1) {               \
    __asm__(INSN " %2, %0, %0%{%1%}" : "+v"(acc) : "Yk"(k), "v"(minus1));               \
    return acc;                                                                        \
}
#else
#  define FA_CNT512_TALLY(EPI, M, INSN)                                                 \
FA_CNT __m512i fa_cnt512_tally_##EPI(__m512i acc, M k, __m512i minus1) {               \
    return _mm512_mask_sub_##EPI(acc, k, acc, minus1);                                 \
}
#endif
FA_CNT512_TALLY(epi8, __mmask64, "vpsubb")
FA_CNT512_TALLY(epi32, __mmask16, "vpsubd")
FA_CNT512_TALLY(epi64, __mmask8, "vpsubq")
/* the sum of the tallies' lanes, in 64 bits (a lane holds at most n / 16 of a
 * row of n < 2^35; their sum may pass 2^31) */
FA_CNT long long fa_cnt512_sum_epi32(__m512i acc) {
    return _mm512_reduce_add_epi64(_mm512_add_epi64(
        _mm512_cvtepu32_epi64(_mm512_castsi512_si256(acc)),
        _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(acc, 1))));
}
FA_CNT long long fa_cnt512_sum_epi64(__m512i acc) { return _mm512_reduce_add_epi64(acc); }

/* The loop: vectors V of T; zs (a constant where it is called): 0
 * a nonzero slope, 1 a zero slope for the whole call, 2 per-element slopes,
 * 3 per-element slopes none of which is 0 (no zero-slope fix).  Out of
 * place, blocks of FA_SIMD_BLOCK elements, each fa_cnt512_row (below), the
 * next ones prefetched; in place, where the hardware's prefetch alone runs,
 * one fa_cnt512_row over FA_CNT_FLAT elements at a time (on the Xeon below,
 * float32 relu in place at 16 M elements: the 1,024-element blocks' exits
 * and sums cost +5-7% over one loop). */
#define FA_CNT512_LOOP(T, PS, V, SFX)                                                  \
FA_CNT long long fa_cnt512_loop##SFX(int kind, int zs, const T* x, const T* w, T* out, \
                                     Py_ssize_t n, T slope) {                          \
    long long total = 0;                                                               \
    V s = _mm512_set1_##PS(slope);                                                     \
    Py_ssize_t i0, m;                                                                  \
    /* in place (no software prefetch): one row call per FA_CNT_FLAT elements */   \
    const Py_ssize_t block = fa_in_place(x, NULL, out) ? FA_CNT_FLAT : FA_SIMD_BLOCK;  \
    for (i0 = 0; i0 < n; i0 += m) {                                                    \
        m = n - i0 < block ? n - i0 : block;                                           \
        if (n - i0 > FA_SIMD_BLOCK + FA_SIMD_AHEAD && block == FA_SIMD_BLOCK)          \
            fa_cnt_prefetch_block(x + i0 + FA_SIMD_AHEAD, zs >= 2 ? w + i0 + FA_SIMD_AHEAD \
                                  : NULL, out + i0 + FA_SIMD_AHEAD, FA_SIMD_BLOCK * sizeof(T));\
        total += fa_cnt512_row##SFX(kind, zs, x + i0, zs >= 2 ? w + i0 : w, out + i0, m, s);\
    }                                                                                  \
    return total;                                                                      \
}

/* One block of n <= FA_CNT_FLAT elements (FA_CNT512_LOOP's body: one vector
 * an iteration, its mask subtracted from the block's integer lanes as -1s,
 * the masked tail, one sum of the lanes), and a run of
 * rows (fa_count_2d_*, the driver's run-of-rows kernels: prelu's (N, C, L)
 * layout, a slope per row) of such rows, a block each, without the loop's
 * block loop and prefetch test per row.  Against the plain prelu's run of
 * rows (GCC's loop, one vector an iteration) in a C loop over (64, 16, 256)
 * float32 in place: the row loop of FA_CNT512_LOOP +4-7%, this one -2 to -6%
 * (p10s of 2,000 interleaved calls).
 * float64: one vector an iteration, not two: on an Intel Xeon (2 MiB L2
 * per core), float64 relu in place at 16 M elements, a C loop, two vectors
 * an iteration with one popcount of the joined masks (kunpckbw) ran +45%
 * over the plain loop (0.70 against 0.47 ns/element), the same pairs
 * without the count +20%, one vector and a popcount each +3%, one vector
 * and the masked subtract +0%; in cache (256 K) all within 2%.  Four
 * vectors an iteration (four masked subtracts, one accumulator): float64
 * relu 16 M +10-13% over plain where one vector measured +4-8%
 * (tools/measure_monitor.py --trees, 3 runs each).
 * float32: four vectors an iteration (UNROLL4).  The loop is bound by how
 * many lines are in flight, which a shorter loop body raises (the reorder
 * window holds more iterations): on the same Xeon, relu float32 in place at
 * 16 M elements in a C loop, over plain, one vector +4.3-5.2%, four +2.9-3.7%
 * (a popcount per vector +12%); tools/measure_monitor.py --trees, two
 * runs of 3 processes a tree: relu +7.0 -> +4.4% and +7.6 -> +7.4%,
 * leaky_relu +6.0 -> +1.8% and +5.2 -> +1.8%, 256 K within 1% either way. */
/* fa_cnt512_run's row call for FA_CNT_SLOPE_CASE (p, q, wr, n: its row) */
#define FA_CNT512_ROW_CALL(SFX, zs, sv)                                               \
    fa_cnt512_row##SFX(kind, zs, p, wr, q, n, fa512_cnt_set1##SFX(sv))
FA_CNT __m512 fa512_cnt_set1_f32(float v) { return _mm512_set1_ps(v); }
FA_CNT __m512d fa512_cnt_set1_f64(double v) { return _mm512_set1_pd(v); }
/* one vector of fa_cnt512_row: out[j..] and its tally */
#define FA_CNT512_ROW_AT(V, PS, EPI, j)                                                 \
    do {                                                                               \
        V s0 = zs >= 2 ? _mm512_loadu_##PS(w + (j)) : s;                               \
        _mm512_storeu_##PS(out + (j), fa_cnt512_step_##PS(kind,                        \
                           _mm512_loadu_##PS(x + (j)), s0, zs, &k));                   \
        acc = fa_cnt512_tally_##EPI(acc, k, minus1);                                   \
    } while (0)
#define FA_CNT512_ROW(T, PS, M, V, W, SFX, EPI, UNROLL4)                               \
FA_CNT long long fa_cnt512_row##SFX(int kind, int zs, const T* x, const T* w, T* out,  \
                                    Py_ssize_t n, V s) {                               \
    const __m512i minus1 = _mm512_set1_##EPI(-1);                                      \
    __m512i acc = _mm512_setzero_si512();                                              \
    Py_ssize_t j;                                                                      \
    M k;                                                                               \
    for (j = 0; UNROLL4 && j + 4 * W <= n; j += 4 * W) {                               \
        FA_CNT512_ROW_AT(V, PS, EPI, j);                                                  \
        FA_CNT512_ROW_AT(V, PS, EPI, j + W);                                              \
        FA_CNT512_ROW_AT(V, PS, EPI, j + 2 * W);                                          \
        FA_CNT512_ROW_AT(V, PS, EPI, j + 3 * W);                                          \
    }                                                                                  \
    for (; j + W <= n; j += W)                                                         \
        FA_CNT512_ROW_AT(V, PS, EPI, j);                                                  \
    if (j < n) {                                                                       \
        M tail = (M)((1u << (n - j)) - 1u);                                            \
        V s0 = zs >= 2 ? _mm512_maskz_loadu_##PS(tail, w + j) : s;                     \
        _mm512_mask_storeu_##PS(out + j, tail, fa_cnt512_step_##PS(kind,               \
            _mm512_maskz_loadu_##PS(tail, x + j), s0, zs, &k));                        \
        acc = fa_cnt512_tally_##EPI(acc, k & tail, minus1);                            \
    }                                                                                  \
    return fa_cnt512_sum_##EPI(acc);                                                   \
}                                                                                      \
FA_CNT void fa_cnt512_run##SFX(int kind, const T* x, Py_ssize_t xs, const T* w,        \
                               int w_contig, Py_ssize_t ws, T* out, Py_ssize_t os,     \
                               Py_ssize_t n, Py_ssize_t rows, T slope,                 \
                               long long* counts, Py_ssize_t cs) {                     \
    const int alive = kind == FA_CNT_RELU || kind == FA_CNT_RELU6;                     \
    long long total = 0, c;                                                            \
    Py_ssize_t r;                                                                      \
    for (r = 0; r < rows; r++) {                                                       \
        const T* p = FA_CNT_ROW(const T, x, r, xs);                                    \
        T* q = FA_CNT_ROW(T, out, r, os);                                              \
        const T* wr = kind == FA_CNT_PRELU ? FA_CNT_ROW(const T, w, r, ws) : w;        \
        c = FA_CNT_SLOPE_CASE(kind, w_contig, wr, slope, FA_CNT512_ROW_CALL, SFX);     \
        if (alive)                                                                     \
            c = n - c;                                                                 \
        if (cs == 0)                                                                   \
            total += c;                                                                \
        else                                                                           \
            *FA_CNT_ROW(long long, counts, r, cs) += c;                                \
    }                                                                                  \
    *counts += total;                                                                  \
}
FA_CNT512_ROW(float, ps, __mmask16, __m512, 16, _f32, epi32, 1)
FA_CNT512_ROW(double, pd, __mmask8, __m512d, 8, _f64, epi64, 0)
FA_CNT512_LOOP(float, ps, __m512, _f32)
FA_CNT512_LOOP(double, pd, __m512d, _f64)
#define FA_CNT_LOOP_f32 fa_cnt512_loop_f32
#define FA_CNT_LOOP_f64 fa_cnt512_loop_f64
#define FA_CNT_RUN_f32 fa_cnt512_run_f32
#define FA_CNT_RUN_f64 fa_cnt512_run_f64

/* Per-channel counts over whole rows (the channel axis innermost): `rows`
 * rows of C elements back to back, counts[c] += the flat elements of column
 * c (CT: int for float32, double for float64 (exact to 2^53), as the
 * driver's counters).  prelu's slopes are w[c] (zs 2 or 3).
 *
 * The count lives in 16 accumulator vectors of 64 byte lanes, registers for
 * the whole walk (FA_CNT512_SEG): lane l of accumulator u counts element
 * 64 u + l of each block of 1,024 elements (the masks of its 4 float32 or 8
 * float64 vectors joined into one 64-bit mask: kunpckwd and kunpckdq, with
 * kunpckbw first for float64), and is widened into the counters every 255
 * blocks.  So every element is read and written in order and no counter is
 * touched per row: per float32 vector, load, compare, select and store as
 * the plain loop, plus a quarter of (three joins and a masked byte
 * subtract): 325 instructions per block of 64 relu vectors, fully unrolled,
 * where the plain loop (one vector per iteration) runs 448 (objdump).
 * - C dividing 1,024 and a multiple of 16 (16, 32, ..., 1,024: the usual
 *   widths): the rows are one stream of 1,024-element blocks, each 1024 / C
 *   whole rows, lane l of a block counting channel l mod C: a single
 *   sequential pass, as the plain kernel's.
 * - Any other width (and the rows past the last whole block): below 512
 *   channels (relu, relu6, leaky_relu), one flat stream counted into bytes
 *   over a period of lcm(C, 64) elements (FA_CNT512_PERIOD); otherwise the
 *   rows in order, each in chunks of 64 channels counted into a byte per
 *   channel (FA_CNT512_GEN).  Both keep their bytes in L1 and are
 *   sequential too, at the cost of a load, subtract and store of 64
 *   counters per chunk.
 * The earlier walk (16-row groups, four column vectors: 16 row streams side
 * by side, the counters flushed every 16 rows) cost +25-45% over the plain
 * kernel in place at 256 K and 16 M elements with C = 256, and +30-60% with
 * C = 1,024. */
#define FA_CNT_CHUNK 255            /* blocks (rows) per flush: the byte lanes' range */
#if defined(__GNUC__) && !defined(__clang__)
#  define FA_CNT_UNROLL _Pragma("GCC unroll 16")
#  define FA_CNT_UNROLL2 _Pragma("GCC unroll 4")
#else
#  define FA_CNT_UNROLL
#  define FA_CNT_UNROLL2
#endif


/* gcd(C, 64), and the complement of a 64-bit mask */
static inline Py_ssize_t fa_cnt_gcd64(Py_ssize_t C) {
    Py_ssize_t g = 64;
    while (C % g)
        g /= 2;
    return g;
}
#define _knot_mask64(k) ((__mmask64)~(k))

/* counts[0..16) += 16 lanes' count (n: int32 lanes) */
FA_CNT void fa_cnt512_add16_i32(int* c, __m512i n) {
    _mm512_storeu_si512((void*)c, _mm512_add_epi32(_mm512_loadu_si512((const void*)c), n));
}
FA_CNT void fa_cnt512_add16_d(double* c, __m512i n) {
    _mm512_storeu_pd(c, _mm512_add_pd(_mm512_loadu_pd(c),
                                      _mm512_cvtepi32_pd(_mm512_castsi512_si256(n))));
    _mm512_storeu_pd(c + 8, _mm512_add_pd(_mm512_loadu_pd(c + 8),
                                          _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(n, 1))));
}
/* One vector of a block: out[j] = kernel(x[j]); returns its mask (lanes:
 * only those, loaded and stored masked).  A function, so that the several
 * vectors of one joined mask (FA_CNT512_CHUNK) are evaluated each whole.
 * (In place, a masked store of only the lanes that change measured no
 * faster: 4.1 instructions per vector instead of 5.1, the same time.) */
#define FA_CNT512_AT_FN(T, PS, M, V)                                                   \
FA_CNT M fa_cnt512_at_##PS(int kind, int zs, const T* p, T* q, const T* ws, V s,       \
                           Py_ssize_t j) {                                             \
    M k;                                                                               \
    _mm512_storeu_##PS(q + j, fa_cnt512_step_##PS(kind, _mm512_loadu_##PS(p + j),      \
                       zs >= 2 ? _mm512_loadu_##PS(ws + j) : s, zs, &k));             \
    return k;                                                                          \
}                                                                                      \
FA_CNT M fa_cnt512_at_masked_##PS(int kind, int zs, const T* p, T* q, const T* ws, V s,\
                                  Py_ssize_t j, M lanes) {                             \
    M k;                                                                               \
    _mm512_mask_storeu_##PS(q + j, lanes, fa_cnt512_step_##PS(kind,                    \
        _mm512_maskz_loadu_##PS(lanes, p + j),                                         \
        zs >= 2 ? _mm512_maskz_loadu_##PS(lanes, ws + j) : s, zs, &k));                \
    return k & lanes;                                                                  \
}
FA_CNT512_AT_FN(float, ps, __mmask16, __m512)
FA_CNT512_AT_FN(double, pd, __mmask8, __m512d)
#define FA_CNT512_AT(PS, P, Q, j) fa_cnt512_at_##PS(kind, zs, (P), (Q), ws, s, (j))

/* The 64 elements from j of row P (out: Q) as FA_CNT512_AT; the value: their
 * masks joined into one 64-bit mask (kunpckwd and kunpckdq; float64
 * kunpckbw first). */
#define FA_CNT512_CHUNK(PS, W, P, Q, j)                                                \
    ((W) == 16                                                                         \
     ? _mm512_kunpackd((__mmask64)_mm512_kunpackw((__mmask32)FA_CNT512_AT(PS, P, Q, (j) + 48),\
                                                  (__mmask32)FA_CNT512_AT(PS, P, Q, (j) + 32)),\
                       (__mmask64)_mm512_kunpackw((__mmask32)FA_CNT512_AT(PS, P, Q, (j) + 16),\
                                                  (__mmask32)FA_CNT512_AT(PS, P, Q, (j))))\
     : _mm512_kunpackd(                                                                \
         (__mmask64)_mm512_kunpackw(                                                   \
             (__mmask32)_mm512_kunpackb((__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 56),   \
                                        (__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 48)),  \
             (__mmask32)_mm512_kunpackb((__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 40),   \
                                        (__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 32))), \
         (__mmask64)_mm512_kunpackw(                                                   \
             (__mmask32)_mm512_kunpackb((__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 24),   \
                                        (__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 16)),  \
             (__mmask32)_mm512_kunpackb((__mmask16)FA_CNT512_AT(PS, P, Q, (j) + 8),    \
                                        (__mmask16)FA_CNT512_AT(PS, P, Q, (j))))))

/* The walk of nr blocks of 1,024 elements, stride elements apart (x and out
 * point at the first): element i of every block is counted in byte lane
 * i % 64 of acc[i / 64], which every FA_CNT_CHUNK blocks is added to
 * counts[i & (wrap - 1)] (wrap, a power of two: C where a block is 1024 / C rows, else 1,024);
 * the slopes (zs >= 2) are ws[i].  Blocks r < pf_rows prefetch the block
 * `ahead` elements on (x too unless in place). */
#define FA_CNT512_SEG(T, PS, M, V, W, SFX, CT, ADD16)                                  \
FA_CNT void fa_cnt512_seg##SFX(int kind, int zs, const T* x, const T* ws, T* out,      \
                               Py_ssize_t nr, Py_ssize_t stride, T slope, CT* counts,  \
                               Py_ssize_t wrap, Py_ssize_t pf_rows, Py_ssize_t ahead) { \
    const int alive = kind == FA_CNT_RELU || kind == FA_CNT_RELU6;                     \
    const __m512i minus1 = _mm512_set1_epi8(-1);                                       \
    const V s = _mm512_set1_##PS(slope);                                               \
    __m512i acc[16];                                                                   \
    Py_ssize_t r0, r, rn;                                                              \
    int u, j;                                                                          \
    for (r0 = 0; r0 < nr; r0 += rn) {                                                  \
        rn = nr - r0 < FA_CNT_CHUNK ? nr - r0 : FA_CNT_CHUNK;                          \
        FA_CNT_UNROLL                                                                  \
        for (u = 0; u < 16; u++)                                                       \
            acc[u] = _mm512_setzero_si512();                                           \
        for (r = r0; r < r0 + rn; r++) {                                               \
            const T* p = x + r * stride;                                               \
            T* q = out + r * stride;                                                   \
            if (r < pf_rows)                                                           \
                fa_cnt_prefetch_rows(p + ahead, q + ahead, 1024 * sizeof(T));          \
            FA_CNT_UNROLL                                                              \
            for (u = 0; u < 16; u++)                                                   \
                acc[u] = fa_cnt512_tally_epi8(acc[u], FA_CNT512_CHUNK(PS, W, p, q, 64 * u),\
                                              minus1);                                 \
        }                                                                              \
        FA_CNT_UNROLL                                                                  \
        for (u = 0; u < 16; u++) {                                                     \
            __m512i a = alive ? _mm512_sub_epi8(_mm512_set1_epi8((char)rn), acc[u]) : acc[u];\
            for (j = 0; j < 4; j++)                                                    \
                ADD16(counts + ((64 * u + 16 * j) & (wrap - 1)),                        \
                      _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(a, j)));          \
        }                                                                              \
    }                                                                                  \
}

/* One vector of a row's last, partial chunk: lanes of `lanes` only. */
#define FA_CNT512_AT_MASKED(PS, P, Q, j, lanes) \
    fa_cnt512_at_masked_##PS(kind, zs, (P), (Q), ws, s, (j), (lanes))

/* The lanes of vector v (W lanes) among the first m elements of a chunk */
#define FA_CNT_LANES(M, W, m, v)                                                       \
    ((m) >= ((v) + 1) * (W) ? (M)~0u : (m) <= (v) * (W) ? (M)0                         \
     : (M)((1u << ((m) - (v) * (W))) - 1u))

/* Any width: rows [r0, r1) walked in order, each row in chunks of 64
 * channels whose flat lanes (the vectors' masks joined, as FA_CNT512_SEG)
 * are counted into a byte per channel, cnt[], which stays in L1 and is
 * widened into the counters every 255 rows; rows wider than
 * FA_CNT_GEN_COLS channels go that many channels at a time.  A chunk costs
 * a load, subtract and store of its 64 counters over the sequential walk's
 * instructions (half an instruction per float32 vector). */
#define FA_CNT_GEN_COLS 8192
#define FA_CNT512_GEN(T, PS, M, V, W, SFX, CT, ADD16)                                  \
FA_CNT void fa_cnt512_gen##SFX(int kind, int zs, const T* x, const T* w, T* out,       \
                               Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t C, T slope,    \
                               CT* counts, int pf) {                                   \
    const int alive = kind == FA_CNT_RELU || kind == FA_CNT_RELU6;                     \
    const __m512i minus1 = _mm512_set1_epi8(-1);                                       \
    const V s = _mm512_set1_##PS(slope);                                               \
    unsigned char cnt[FA_CNT_GEN_COLS] __attribute__((aligned(64)));                   \
    Py_ssize_t c0, cw, rr, rn, r, c, m, ahead;                                         \
    for (c0 = 0; c0 < C; c0 += cw) {                                                   \
        const T* ws = w + c0;                                                          \
        cw = C - c0 < FA_CNT_GEN_COLS ? C - c0 : FA_CNT_GEN_COLS;                      \
        ahead = (FA_SIMD_AHEAD + cw - 1) / cw;                                         \
        for (rr = r0; rr < r1; rr += rn) {                                             \
            rn = r1 - rr < FA_CNT_CHUNK ? r1 - rr : FA_CNT_CHUNK;                      \
            memset(cnt, 0, (size_t)((cw + 63) & ~(Py_ssize_t)63));                     \
            for (r = rr; r < rr + rn; r++) {                                           \
                const T* p = x + r * C + c0;                                           \
                T* q = out + r * C + c0;                                               \
                __mmask64 k;                                                           \
                if (pf && r + ahead < r1)                                              \
                    fa_cnt_prefetch_rows(p + ahead * C, q + ahead * C, cw * sizeof(T)); \
                FA_CNT_UNROLL2                                                         \
                for (c = 0; c + 64 <= cw; c += 64)                                     \
                    _mm512_store_si512((void*)(cnt + c), fa_cnt512_tally_epi8(          \
                        _mm512_load_si512((const void*)(cnt + c)),                     \
                        FA_CNT512_CHUNK(PS, W, p, q, c), minus1));                     \
                if (c < cw) {                 /* the row's last chunk, partial */      \
                    m = cw - c;                                                        \
                    k = 0;                                                             \
                    for (Py_ssize_t v = 0; v * W < m; v++)                             \
                        k |= (__mmask64)FA_CNT512_AT_MASKED(PS, p, q, c + v * W,       \
                                                            FA_CNT_LANES(M, W, m, v)) << (v * W);\
                    _mm512_store_si512((void*)(cnt + c), fa_cnt512_tally_epi8(          \
                        _mm512_load_si512((const void*)(cnt + c)), k, minus1));        \
                }                                                                      \
            }                                                                          \
            for (c = 0; c + 16 <= cw; c += 16) {                                       \
                __m512i n = _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i*)(cnt + c)));\
                ADD16(counts + c0 + c,                                                 \
                      alive ? _mm512_sub_epi32(_mm512_set1_epi32((int)rn), n) : n);    \
            }                                                                          \
            for (; c < cw; c++)                                                        \
                counts[c0 + c] += alive ? rn - cnt[c] : cnt[c];                        \
        }                                                                              \
    }                                                                                  \
}

/* Widths below 512 that do not divide 1,024, without per-channel slopes
 * (relu, relu6, leaky_relu): the n elements from x (whole rows back to back) as one
 * flat stream of 64-element chunks, chunk i counted into the bytes
 * cnt[(64 i) mod L..+64), L = lcm(C, 64) <= FA_CNT_GEN_COLS (C = 100: 1,600;
 * 1,000: 8,000): byte j counts channel j mod C, and no row ends in a partial
 * chunk (FA_CNT512_GEN's cost where 64 does not divide C).  The selects'
 * masks are counted as they come (relu and relu6: their alive lanes, each
 * channel's n / C elements added to its counter first and the alive ones
 * subtracted: a knotq of each chunk's mask instead ran relu float64 in place
 * at 16 M elements +24% over the plain loop on an Intel Xeon, a C loop, and
 * +0-1% without), and each byte is folded into its channel's counter every
 * 255 passes over cnt and at the end.  Measured against FA512_GEN in alternated builds (relu,
 * 1 thread, in place): C = 100, 256 K float32 +16-20% over plain against
 * +104-108%; C = 1,000, 16 M +17% against +7% (wider rows amortize GEN's
 * partial chunk, and the period's 8,000 counter bytes cost more there), so
 * only narrower widths take it. */
/* the bytes cnt[0 .. L) into their channels' counters (byte j: channel j mod
 * C), added, or subtracted where they count alive lanes */
#define FA_CNT_FOLD(CT, counts, cnt, L, C, alive)                                       \
    for (j = 0; j < (L); j += (C))                                                     \
        for (c = 0; c < (C); c++)                                                      \
            counts[c] += (alive) ? -(CT)cnt[j + c] : (CT)cnt[j + c]
#define FA_CNT512_PERIOD_AT(PS, W, i, pos)                                             \
    (k = FA_CNT512_CHUNK(PS, W, p, q, i),                                              \
     _mm512_store_si512((void*)(cnt + (pos)), fa_cnt512_tally_epi8(                     \
         _mm512_load_si512((const void*)(cnt + (pos))), k, minus1)))
#define FA_CNT512_PERIOD(T, PS, M, V, W, SFX, CT)                                      \
FA_CNT void fa_cnt512_period##SFX(int kind, int zs, const T* x, T* out, Py_ssize_t n, \
                                  Py_ssize_t C, Py_ssize_t L, T slope, CT* counts,     \
                                  int pf) {                                            \
    const int alive = kind == FA_CNT_RELU || kind == FA_CNT_RELU6;                     \
    const __m512i minus1 = _mm512_set1_epi8(-1);                                       \
    const V s = _mm512_set1_##PS(slope);                                               \
    const T* ws = NULL;                   /* no per-channel slopes here */             \
    unsigned char cnt[FA_CNT_GEN_COLS] __attribute__((aligned(64)));                   \
    Py_ssize_t i, pos = 0, passes = 0, j, c;                                           \
    __mmask64 k;                                                                       \
    const T* p = x;                                                                    \
    T* q = out;                                                                        \
    memset(cnt, 0, (size_t)L);                                                         \
    if (alive)                            /* every element first counted dead */       \
        for (c = 0; c < C; c++)                                                        \
            counts[c] += n / C;                                                        \
    for (i = 0; i + 64 <= n; ) {                                                       \
        /* the chunks up to the end of this pass over cnt (or of the stream) */        \
        const Py_ssize_t stop = i + (L - pos < n - i ? L - pos : (n - i) & ~(Py_ssize_t)63);\
        if (pf) {                                                                      \
            for (; i < stop; i += 64, pos += 64) {                                     \
                if ((i & 1023) == 0 && i + 1024 + FA_SIMD_AHEAD <= n)                  \
                    fa_cnt_prefetch_rows(x + i + FA_SIMD_AHEAD, out + i + FA_SIMD_AHEAD,\
                                         1024 * sizeof(T));                            \
                FA_CNT512_PERIOD_AT(PS, W, i, pos);                                           \
            }                                                                          \
        } else if (W == 8 && n * (Py_ssize_t)sizeof(T) > FA_CNT_PF_MIN) {             \
            /* float64 out of cache: one chunk an iteration (FA_CNT_PERIOD_F64) */     \
            for (; i < stop; i += 64, pos += 64)                                       \
                FA_CNT512_PERIOD_AT(PS, W, i, pos);                                    \
        } else {                                                                       \
            FA_CNT_UNROLL2                                                             \
            for (; i < stop; i += 64, pos += 64)                                       \
                FA_CNT512_PERIOD_AT(PS, W, i, pos);                                    \
        }                                                                              \
        if (pos == L) {                                                                \
            pos = 0;                                                                   \
            if (++passes == FA_CNT_CHUNK) {                                            \
                FA_CNT_FOLD(CT, counts, cnt, L, C, alive);                             \
                memset(cnt, 0, (size_t)L);                                             \
                passes = 0;                                                            \
            }                                                                          \
        }                                                                              \
    }                                                                                  \
    if (i < n) {                          /* the stream's last, partial chunk */       \
        const Py_ssize_t m = n - i;                                                    \
        __mmask64 lanes = m >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << m) - 1);         \
        k = 0;                                                                         \
        for (Py_ssize_t v = 0; v * W < m; v++)                                         \
            k |= (__mmask64)FA_CNT512_AT_MASKED(PS, p, q, i + v * W,                   \
                                                FA_CNT_LANES(M, W, m, v)) << (v * W);  \
        _mm512_store_si512((void*)(cnt + pos), fa_cnt512_tally_epi8(                    \
            _mm512_load_si512((const void*)(cnt + pos)),                               \
            k & lanes, minus1));                                                       \
    }                                                                                  \
    FA_CNT_FOLD(CT, counts, cnt, L, C, alive);                                         \
}

/* The walk (see above).  Out of cache (the block larger than
 * FA_CNT_PF_MIN) and out of place it prefetches as the plain loops do
 * (about FA_SIMD_AHEAD elements on); in place the hardware's prefetch of the
 * sequential walk is what the plain loops rely on too.
 * FA_CNT_PERIOD_F64: on an Intel Xeon (2 MiB L2 per core) the register walk's
 * loop body (128 float64 vectors, 16 accumulators) ran relu in place at 16 M
 * elements, C = 256, +12% over the plain kernel, where a C loop of one
 * 64-element chunk an iteration with its counters in L1 ran +0-3% (the
 * period walk, which out of cache then runs float64 one chunk an iteration:
 * unrolled by 4 it measured +7%); with 4 or 8 register accumulators: +8%,
 * +10%; in cache (256 K) all within 2%.  float32's body (64 vectors) ran
 * +1-4% there. */
#define FA_CNT_PERIOD_F64 1
#define FA_CNT512_ROWS(T, PS, M, V, W, SFX, CT)                                        \
FA_CNT void fa_cnt512_rows##SFX(int kind, int zs, const T* x, const T* w, T* out,      \
                                Py_ssize_t rows, Py_ssize_t C, T slope, CT* counts) {  \
    const int big = rows * C * (Py_ssize_t)sizeof(T) > FA_CNT_PF_MIN;                  \
    const int pf = big && x != out;                                                    \
    Py_ssize_t r0 = 0, j;                                                              \
    /* one stream of 1,024-element blocks; float64 out of cache below 512   */         \
    /* channels takes the period walk (FA_CNT_PERIOD_F64)                    */         \
    if (C % 16 == 0 && 1024 % C == 0 &&                                                \
        !(FA_CNT_PERIOD_F64 && sizeof(T) == 8 && big && zs < 2 && C < 512)) {          \
        const Py_ssize_t per = 1024 / C, blocks = rows / per;                          \
        const Py_ssize_t ahead = (FA_SIMD_AHEAD + 1023) / 1024;                        \
        T ws[1024];                                                                    \
        if (zs >= 2)                                                                   \
            for (j = 0; j < 1024; j++)                                                 \
                ws[j] = w[j % C];                                                      \
        fa_cnt512_seg##SFX(kind, zs, x, ws, out, blocks, 1024, slope, counts, C,       \
                           pf ? blocks - ahead : 0, ahead * 1024);                     \
        r0 = blocks * per;                                                             \
    }                                                                                  \
    if (r0 < rows) {                                                                   \
        const Py_ssize_t L = C / fa_cnt_gcd64(C) * 64;                                 \
        if (zs < 2 && L <= FA_CNT_GEN_COLS && C < 512)                                 \
            fa_cnt512_period##SFX(kind, zs, x + r0 * C, out + r0 * C, (rows - r0) * C, \
                                  C, L, slope, counts, pf);                            \
        else                                                                           \
            fa_cnt512_gen##SFX(kind, zs, x, w, out, r0, rows, C, slope, counts, pf);   \
    }                                                                                  \
}

FA_CNT512_SEG(float, ps, __mmask16, __m512, 16, _f32, int, fa_cnt512_add16_i32)
FA_CNT512_SEG(double, pd, __mmask8, __m512d, 8, _f64, double, fa_cnt512_add16_d)
FA_CNT512_GEN(float, ps, __mmask16, __m512, 16, _f32, int, fa_cnt512_add16_i32)
FA_CNT512_GEN(double, pd, __mmask8, __m512d, 8, _f64, double, fa_cnt512_add16_d)
FA_CNT512_PERIOD(float, ps, __mmask16, __m512, 16, _f32, int)
FA_CNT512_PERIOD(double, pd, __mmask8, __m512d, 8, _f64, double)
FA_CNT512_ROWS(float, ps, __mmask16, __m512, 16, _f32, int)
FA_CNT512_ROWS(double, pd, __mmask8, __m512d, 8, _f64, double)
#define FA_CNT_ROWS_f32 fa_cnt512_rows_f32
#define FA_CNT_ROWS_f64 fa_cnt512_rows_f64

#elif defined(__AVX2__)
#include <immintrin.h>
#define FA_COUNT_HAVE 1

/* AVX2: compares give all-ones lanes (no mask registers); the counts
 * subtract them from integer lanes (per call) or pack them to bytes (per
 * channel). */
#define FA_CNT256_STEP(T, PS, V)                                                       \
FA_CNT V fa_cnt256_step_##PS(int kind, V x, V s, int zero_slope, V* count) {          \
    const V zero = _mm256_setzero_##PS();                                              \
    if (kind == FA_CNT_RELU) {                                                         \
        V alive = _mm256_cmp_##PS(x, zero, _CMP_NLE_UQ);                               \
        *count = alive;                                                                \
        return _mm256_and_##PS(alive, x);                                              \
    }                                                                                  \
    if (kind == FA_CNT_RELU6) {                                                        \
        V six = _mm256_set1_##PS((T)6);                                                \
        V positive = _mm256_cmp_##PS(x, zero, _CMP_NLE_UQ);                            \
        V alive = _mm256_and_##PS(positive, _mm256_cmp_##PS(x, six, _CMP_NGE_UQ));     \
        *count = alive;                                                                \
        return _mm256_blendv_##PS(_mm256_and_##PS(positive, six), x, alive);           \
    }                                                                                  \
    {                                                                                  \
        V flat = _mm256_cmp_##PS(x, zero, _CMP_LE_OQ);                                 \
        V sign1 = _mm256_or_##PS(_mm256_and_##PS(x, _mm256_set1_##PS((T)-0.0)),       \
                                 _mm256_set1_##PS((T)1));                              \
        V sx;                                                                          \
        if (zero_slope == 1) {                                                         \
            sx = _mm256_mul_##PS(s, sign1);                                            \
        } else {                                                                       \
            sx = _mm256_mul_##PS(s, x);                                                \
            if (zero_slope == 2) {                                                     \
                V fix = _mm256_and_##PS(_mm256_cmp_##PS(s, zero, _CMP_EQ_OQ),          \
                    _mm256_cmp_##PS(_mm256_andnot_##PS(_mm256_set1_##PS((T)-0.0), x),  \
                                    _mm256_set1_##PS((T)INFINITY), _CMP_EQ_OQ));       \
                sx = _mm256_blendv_##PS(sx, _mm256_mul_##PS(s, sign1), fix);           \
            }                                                                          \
        }                                                                              \
        *count = flat;                                                                 \
        return _mm256_blendv_##PS(x, sx, flat);                                        \
    }                                                                                  \
}

FA_CNT256_STEP(float, ps, __m256)
FA_CNT256_STEP(double, pd, __m256d)

/* The loop: W lanes of T; the tail's lanes are enabled by an integer mask
 * (lane index < remaining; EPI: lanes of T's width).  The count is kept in
 * vector lanes (a subtract of the all-ones compare, one instruction per
 * vector) and summed once per block of FA_SIMD_BLOCK elements, four vectors
 * an iteration: 26 instructions per 4 float64 relu vectors, where the plain
 * loop (GCC's, one vector an iteration) runs 28.  The earlier vmovmskps,
 * popcnt and add per vector, one vector an iteration (11 instructions per
 * vector with a copy of the accumulator), cost +34% over the plain kernel
 * for relu float64 and +36% for leaky_relu float32 at 256 K elements in
 * place. */
#define FA_CNT256_AT(V, PS, EPI, CAST_I, i)                                             \
    do {                                                                               \
        V s_ = zs >= 2 ? _mm256_loadu_##PS(w + (i)) : s, k_;                           \
        _mm256_storeu_##PS(out + (i), fa_cnt256_step_##PS(kind, _mm256_loadu_##PS(x + (i)),\
                                                          s_, zs, &k_));               \
        acc = _mm256_sub_##EPI(acc, CAST_I(k_));                                       \
    } while (0)
#define FA_CNT256_LOOP(T, PS, V, W, EPI, SET1, SFX, LANE_IDX, CAST_V, CAST_I, HSUM)     \
FA_CNT long long fa_cnt256_loop##SFX(int kind, int zs, const T* x, const T* w, T* out, \
                                     Py_ssize_t n, T slope) {                          \
    long long total = 0;                                                               \
    V s = _mm256_set1_##PS(slope);                                                     \
    Py_ssize_t i0, m;                                                                  \
    /* in place (no software prefetch): one row call per FA_CNT_FLAT elements */   \
    const Py_ssize_t block = fa_in_place(x, NULL, out) ? FA_CNT_FLAT : FA_SIMD_BLOCK;  \
    for (i0 = 0; i0 < n; i0 += m) {                                                    \
        m = n - i0 < block ? n - i0 : block;                                           \
        if (n - i0 > FA_SIMD_BLOCK + FA_SIMD_AHEAD && block == FA_SIMD_BLOCK)          \
            fa_cnt_prefetch_block(x + i0 + FA_SIMD_AHEAD, zs >= 2 ? w + i0 + FA_SIMD_AHEAD \
                                  : NULL, out + i0 + FA_SIMD_AHEAD, FA_SIMD_BLOCK * sizeof(T));\
        total += HSUM(fa_cnt256_row##SFX(kind, zs, x + i0, zs >= 2 ? w + i0 : w, out + i0, \
                                         m, s, _mm256_setzero_si256()));               \
    }                                                                                  \
    return total;                                                                      \
}

/* the sum of 8 int32 / 4 int64 lanes */
FA_CNT long long fa_cnt256_hsum_epi32(__m256i a) {
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    return _mm_cvtsi128_si32(t);
}
FA_CNT long long fa_cnt256_hsum_epi64(__m256i a) {
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
    return _mm_cvtsi128_si64(t);
}

/* One block of n <= FA_SIMD_BLOCK elements (FA_CNT256_LOOP's body: fours,
 * ones, the masked tail), its compares subtracted from acc; and a run of
 * rows of such rows (as FA_CNT512_ROW), a block each, which the run sums once (per call
 * counts; every FA_CNT_RUN_FLUSH rows, so that no lane passes 2^31) instead
 * of once per row; per-row counters (cs != 0) sum it per row. */
#define FA_CNT_RUN_FLUSH 65536
/* fa_cnt256_run's row call for FA_CNT_SLOPE_CASE (p, q, wr, n, acc: its row) */
#define FA_CNT256_ROW_CALL(SFX, zs, sv)                                               \
    fa_cnt256_row##SFX(kind, zs, p, wr, q, n, fa256_cnt_set1##SFX(sv), acc)
FA_CNT __m256 fa256_cnt_set1_f32(float v) { return _mm256_set1_ps(v); }
FA_CNT __m256d fa256_cnt_set1_f64(double v) { return _mm256_set1_pd(v); }
#define FA_CNT256_ROW(T, PS, V, W, EPI, SET1, SFX, LANE_IDX, CAST_I, HSUM)             \
FA_CNT __m256i fa_cnt256_row##SFX(int kind, int zs, const T* x, const T* w, T* out,    \
                                  Py_ssize_t n, V s, __m256i acc) {                    \
    Py_ssize_t j;                                                                      \
    for (j = 0; j + 4 * W <= n; j += 4 * W) {                                          \
        FA_CNT256_AT(V, PS, EPI, CAST_I, j);                                           \
        FA_CNT256_AT(V, PS, EPI, CAST_I, j + W);                                       \
        FA_CNT256_AT(V, PS, EPI, CAST_I, j + 2 * W);                                   \
        FA_CNT256_AT(V, PS, EPI, CAST_I, j + 3 * W);                                   \
    }                                                                                  \
    for (; j + W <= n; j += W)                                                         \
        FA_CNT256_AT(V, PS, EPI, CAST_I, j);                                           \
    if (j < n) {                                                                       \
        __m256i tail = _mm256_cmpgt_##EPI(SET1(n - j), LANE_IDX);                      \
        V k, y;                                                                        \
        if (zs >= 2) s = _mm256_maskload_##PS(w + j, tail);                            \
        y = fa_cnt256_step_##PS(kind, _mm256_maskload_##PS(x + j, tail), s, zs, &k);   \
        _mm256_maskstore_##PS(out + j, tail, y);                                       \
        acc = _mm256_sub_##EPI(acc, _mm256_and_si256(CAST_I(k), tail));                \
    }                                                                                  \
    return acc;                                                                        \
}                                                                                      \
FA_CNT void fa_cnt256_run##SFX(int kind, const T* x, Py_ssize_t xs, const T* w,        \
                               int w_contig, Py_ssize_t ws, T* out, Py_ssize_t os,     \
                               Py_ssize_t n, Py_ssize_t rows, T slope,                 \
                               long long* counts, Py_ssize_t cs) {                     \
    const int alive = kind == FA_CNT_RELU || kind == FA_CNT_RELU6;                     \
    long long total = 0, c;                                                            \
    Py_ssize_t r;                                                                      \
    __m256i acc = _mm256_setzero_si256();                                              \
    for (r = 0; r < rows; r++) {                                                       \
        const T* p = FA_CNT_ROW(const T, x, r, xs);                                    \
        T* q = FA_CNT_ROW(T, out, r, os);                                              \
        const T* wr = kind == FA_CNT_PRELU ? FA_CNT_ROW(const T, w, r, ws) : w;        \
        acc = FA_CNT_SLOPE_CASE(kind, w_contig, wr, slope, FA_CNT256_ROW_CALL, SFX);   \
        if (cs != 0) {                                                                 \
            c = HSUM(acc);                                                             \
            acc = _mm256_setzero_si256();                                              \
            *FA_CNT_ROW(long long, counts, r, cs) += alive ? n - c : c;                \
        } else if ((r + 1) % FA_CNT_RUN_FLUSH == 0) {                                  \
            total += HSUM(acc);                                                        \
            acc = _mm256_setzero_si256();                                              \
        }                                                                              \
    }                                                                                  \
    if (cs == 0) {                                                                     \
        total += HSUM(acc);                                                            \
        *counts += alive ? n * rows - total : total;                                   \
    }                                                                                  \
}
FA_CNT256_ROW(float, ps, __m256, 8, epi32, _mm256_set1_epi32, _f32,
              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_castps_si256,
              fa_cnt256_hsum_epi32)
FA_CNT256_ROW(double, pd, __m256d, 4, epi64, _mm256_set1_epi64x, _f64,
              _mm256_setr_epi64x(0, 1, 2, 3), _mm256_castpd_si256, fa_cnt256_hsum_epi64)
FA_CNT256_LOOP(float, ps, __m256, 8, epi32, _mm256_set1_epi32, _f32,
               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_castsi256_ps,
               _mm256_castps_si256, fa_cnt256_hsum_epi32)
FA_CNT256_LOOP(double, pd, __m256d, 4, epi64, _mm256_set1_epi64x, _f64,
               _mm256_setr_epi64x(0, 1, 2, 3), _mm256_castsi256_pd,
               _mm256_castpd_si256, fa_cnt256_hsum_epi64)
#define FA_CNT_LOOP_f32 fa_cnt256_loop_f32
#define FA_CNT_LOOP_f64 fa_cnt256_loop_f64
#define FA_CNT_RUN_f32 fa_cnt256_run_f32
#define FA_CNT_RUN_f64 fa_cnt256_run_f64

/* Per-channel counts over whole rows (the channel axis innermost), as
 * FA_CNT512_ROWS: counts[c] += the flat elements of column c.  AVX2 has no
 * mask registers, so the count of 32 elements is one vector of 32 byte
 * lanes: their compares (all-ones where flat) packed to bytes (float64:
 * vshufps of two vectors' low dwords first, then as float32: vpackssdw,
 * vpackssdw, vpacksswb) and subtracted from a byte accumulator.  The packs
 * permute the lanes within 128-bit halves, a fixed permutation undone
 * (fa_cnt256_unperm) when the bytes are widened into the counters.
 * The rows are one flat stream of 32-element chunks, chunk i counted in the
 * bytes of position (32 i) mod L, L = lcm(C, 32), so no row ends in a
 * partial chunk and every element is read and written in order:
 * - C dividing 256 (the usual powers of two up to 256): L = 256, the bytes
 *   are 8 accumulator registers (FA_CNT256_SEG), widened every 255 blocks:
 *   165 instructions per block of 32 float32 relu vectors, 331 per 64
 *   float64 (where the plain loop runs 224 and 448; objdump, no spills in
 *   the float32 loop; the float64 loops keep a few values on the stack).
 * - Other widths with L <= FA_CNT_GEN_COLS (C = 512, 1,024, 1,000, 100,
 *   ...): the bytes stay in L1 (FA_CNT256_PERIOD), a load, subtract and store
 *   per chunk more (22 instructions per 4 float32 relu vectors).
 * - Wider periods: the earlier walk (FA_CNT256_WALK).
 * Four periods walked side by side (a byte add per chunk, one load,
 * subtract and store per four) measured worse out of cache: +45-60% for
 * leaky_relu float32 at 4 M elements, C = 1,000 (one stream: +20%). */
#define FA_CNT_CHUNK 255            /* passes per flush: the byte lanes' range */
#define FA_CNT_GEN_COLS 8192        /* the longest period of byte counters */
#if defined(__GNUC__) && !defined(__clang__)
#  define FA_CNT256_UNROLL _Pragma("GCC unroll 8")
#  define FA_CNT256_UNROLL2 _Pragma("GCC unroll 2")
#else
#  define FA_CNT256_UNROLL
#  define FA_CNT256_UNROLL2
#endif

/* The select with relu's and relu6's flat lanes as the mask (the
 * complements of their alive masks, the same outputs): relu x <= 0 and an
 * andnot; relu6 (x <= 0) | (x >= 6), and 6 where x >= 6.  Bits as
 * fa_cnt256_step's (NaN: on no piece, passed through). */
#define FA_CNT256_FLAT(T, PS, V)                                                       \
FA_CNT V fa_cnt256_flat_##PS(int kind, V x, V s, int zs, V* flat) {                   \
    const V zero = _mm256_setzero_##PS();                                              \
    if (kind == FA_CNT_RELU) {                                                         \
        *flat = _mm256_cmp_##PS(x, zero, _CMP_LE_OQ);                                  \
        return _mm256_andnot_##PS(*flat, x);                                           \
    }                                                                                  \
    if (kind == FA_CNT_RELU6) {                                                        \
        const V six = _mm256_set1_##PS((T)6);                                          \
        V high = _mm256_cmp_##PS(x, six, _CMP_GE_OQ);                                  \
        *flat = _mm256_or_##PS(_mm256_cmp_##PS(x, zero, _CMP_LE_OQ), high);            \
        return _mm256_blendv_##PS(x, _mm256_and_##PS(high, six), *flat);               \
    }                                                                                  \
    return fa_cnt256_step_##PS(kind, x, s, zs, flat);                                  \
}
FA_CNT256_FLAT(float, ps, __m256)
FA_CNT256_FLAT(double, pd, __m256d)

/* Four float32 compares (32 lanes) as bytes.  vpackssdw and vpacksswb
 * interleave their operands within 128-bit halves, so byte b holds vector
 * (b % 16) / 4's lane 4 (b / 16) + b % 4: in element order the dwords
 * 0 2 4 6 1 3 5 7 (undone by fa_cnt256_unperm_f32). */
FA_CNT __m256i fa_cnt256_pack4(__m256 k0, __m256 k1, __m256 k2, __m256 k3) {
    return _mm256_packs_epi16(_mm256_packs_epi32(_mm256_castps_si256(k0), _mm256_castps_si256(k1)),
                              _mm256_packs_epi32(_mm256_castps_si256(k2), _mm256_castps_si256(k3)));
}
/* Two float64 compares as one float32-like compare (lanes a0 a1 b0 b1 | a2
 * a3 b2 b3), so four pairs' bytes hold, as words of two elements, the
 * element pairs 0 2 4 ... 14 1 3 ... 15 (undone by fa_cnt256_unperm_f64). */
FA_CNT __m256 fa_cnt256_join_pd(__m256d a, __m256d b) {
    return _mm256_shuffle_ps(_mm256_castpd_ps(a), _mm256_castpd_ps(b), 0x88);
}

FA_CNT __m256i fa_cnt256_pack_ps(const __m256* k) {
    return fa_cnt256_pack4(k[0], k[1], k[2], k[3]);
}
FA_CNT __m256i fa_cnt256_pack_pd(const __m256d* k) {
    return fa_cnt256_pack4(fa_cnt256_join_pd(k[0], k[1]), fa_cnt256_join_pd(k[2], k[3]),
                           fa_cnt256_join_pd(k[4], k[5]), fa_cnt256_join_pd(k[6], k[7]));
}
/* One chunk of 32 elements from p (out: q, slopes ws (zs >= 2)): the select
 * written, the flat lanes returned as bytes (-1) in the packs' order; m < 32:
 * only the first m elements (the stream's last, partial chunk). */
#define FA_CNT256_CHUNK(T, PS, V, W, SFX, EPI, SET1, LANE_IDX, CAST_V)                 \
FA_CNT __m256i fa_cnt256_chunk##SFX(int kind, int zs, const T* p, const T* ws, T* q,  \
                                    V s, Py_ssize_t m) {                               \
    V k[32 / W];                                                                       \
    int v;                                                                             \
    if (m >= 32) {                                                                     \
        for (v = 0; v < 32 / W; v++)                                                   \
            _mm256_storeu_##PS(q + W * v, fa_cnt256_flat_##PS(kind,                    \
                _mm256_loadu_##PS(p + W * v),                                          \
                zs >= 2 ? _mm256_loadu_##PS(ws + W * v) : s, zs, &k[v]));             \
    } else {                                                                           \
        for (v = 0; v < 32 / W; v++) {                                                 \
            __m256i lanes = _mm256_cmpgt_##EPI(SET1(m - W * v), LANE_IDX);             \
            _mm256_maskstore_##PS(q + W * v, lanes, fa_cnt256_flat_##PS(kind,          \
                _mm256_maskload_##PS(p + W * v, lanes),                                \
                zs >= 2 ? _mm256_maskload_##PS(ws + W * v, lanes) : s, zs, &k[v]));    \
            k[v] = _mm256_and_##PS(k[v], CAST_V(lanes));                               \
        }                                                                              \
    }                                                                                  \
    return fa_cnt256_pack_##PS(k);                                                     \
}
FA_CNT256_CHUNK(float, ps, __m256, 8, _f32, epi32, _mm256_set1_epi32, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                _mm256_castsi256_ps)
FA_CNT256_CHUNK(double, pd, __m256d, 4, _f64, epi64, _mm256_set1_epi64x, _mm256_setr_epi64x(0, 1, 2, 3),
                _mm256_castsi256_pd)

/* A chunk's bytes in element order: float32 the dwords (4 elements each)
 * 0 4 1 5 2 6 3 7 (vpermd); float64 the words (2 elements each) 0 8 1 9 ...
 * (vpermq of the quadwords 0 2 1 3, then vpshufb within the halves). */
FA_CNT __m256i fa_cnt256_unperm_f32(__m256i v) {
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
FA_CNT __m256i fa_cnt256_unperm_f64(__m256i v) {
    const __m256i words = _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
                                           0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    return _mm256_shuffle_epi8(_mm256_permute4x64_epi64(v, 0xD8), words);
}

/* bytes cnt[0..L) (L a multiple of 32 and of C, cnt 32-byte aligned) added
 * to their channels' counters: put in element order in place (a vector
 * instruction or two per 32 bytes), then byte j + c to counts[c] (a loop
 * GCC vectorizes).  Per byte in scalar code (the permutation's index and a
 * modulo) this was 20% of a 256 K-element call at C = 1,000. */
#define FA_CNT256_WIDEN(SFX, CT)                                                       \
static inline void fa_cnt256_widen##SFX(unsigned char* cnt, Py_ssize_t L, Py_ssize_t C, \
                                        CT* counts) {                                  \
    Py_ssize_t j, c;                                                                   \
    for (j = 0; j < L; j += 32)                                                        \
        _mm256_store_si256((__m256i*)(cnt + j), fa_cnt256_unperm##SFX(                 \
            _mm256_load_si256((const __m256i*)(cnt + j))));                            \
    for (j = 0; j < L; j += C)                                                         \
        for (c = 0; c < C; c++)                                                        \
            counts[c] += cnt[j + c];                                                   \
}
FA_CNT256_WIDEN(_f32, int)
FA_CNT256_WIDEN(_f64, double)

/* C dividing 256: nr blocks of 256 elements from x, byte lane b of acc[u]
 * counting element 32 u + b of every block (in the packs' order) (channel: that mod C);
 * widened every FA_CNT_CHUNK blocks.  Per float32 vector: load, compare,
 * select and store as the plain loop, plus a quarter of (3 packs and a
 * subtract).  Blocks r < pf_rows prefetch `ahead` elements on. */
#define FA_CNT256_SEG(T, PS, V, SFX, CT)                                               \
FA_CNT void fa_cnt256_seg##SFX(int kind, int zs, const T* x, const T* ws, T* out,      \
                               Py_ssize_t nr, Py_ssize_t C, T slope, CT* counts,       \
                               Py_ssize_t pf_rows, Py_ssize_t ahead) {                 \
    const V s = _mm256_set1_##PS(slope);                                               \
    __m256i acc[8];                                                                    \
    unsigned char cnt[256] __attribute__((aligned(32)));                               \
    Py_ssize_t r0, r, rn;                                                              \
    int u;                                                                             \
    for (r0 = 0; r0 < nr; r0 += rn) {                                                  \
        rn = nr - r0 < FA_CNT_CHUNK ? nr - r0 : FA_CNT_CHUNK;                          \
        FA_CNT256_UNROLL                                                               \
        for (u = 0; u < 8; u++)                                                        \
            acc[u] = _mm256_setzero_si256();                                           \
        for (r = r0; r < r0 + rn; r++) {                                               \
            const T* p = x + r * 256;                                                  \
            T* q = out + r * 256;                                                      \
            if (r < pf_rows)                                                           \
                fa_cnt_prefetch_rows(p + ahead, q + ahead, 256 * sizeof(T));           \
            FA_CNT256_UNROLL                                                           \
            for (u = 0; u < 8; u++)                                                    \
                acc[u] = _mm256_sub_epi8(acc[u], fa_cnt256_chunk##SFX(kind, zs, p + 32 * u,\
                                         ws + 32 * u, q + 32 * u, s, 32));             \
        }                                                                              \
        FA_CNT256_UNROLL                                                               \
        for (u = 0; u < 8; u++)                                                        \
            _mm256_store_si256((__m256i*)(cnt + 32 * u), acc[u]);                      \
        fa_cnt256_widen##SFX(cnt, 256, C, counts);                                     \
    }                                                                                  \
}

/* The n elements from x as one stream of 32-element chunks, chunk i counted
 * in the bytes cnt[(32 i) mod L..+32), which stay in L1; each byte is
 * widened every 255 passes over cnt and at the end.  prelu's slopes: ws[cp..
 * cp + 32), cp = (32 i) mod C, ws[j] = w[j mod C] for j < C + 32 (a table
 * of L slopes, 16 KB at C = 1,000 float32, measured +45% over the plain
 * kernel at 4 M elements, out of cache; this one 4 KB). */
#define FA_CNT256_NEXT(cp, C) ((cp) + d32 >= (C) ? (cp) + d32 - (C) : (cp) + d32)
#define FA_CNT256_PERIOD(T, PS, V, SFX, CT)                                            \
FA_CNT void fa_cnt256_period##SFX(int kind, int zs, const T* x, const T* ws, T* out,   \
                                  Py_ssize_t n, Py_ssize_t C, Py_ssize_t L, T slope,   \
                                  CT* counts, int pf) {                                \
    const V s = _mm256_set1_##PS(slope);                                               \
    unsigned char cnt[FA_CNT_GEN_COLS] __attribute__((aligned(32)));                   \
    const Py_ssize_t d32 = 32 % C;        /* cp's step */                              \
    Py_ssize_t i, pos = 0, passes = 0, cp = 0;                                         \
    memset(cnt, 0, (size_t)L);                                                         \
    for (i = 0; i + 32 <= n; ) {                                                       \
        /* the chunks up to the end of this pass over cnt (or of the stream) */        \
        const Py_ssize_t stop = i + (L - pos < n - i ? L - pos : (n - i) & ~(Py_ssize_t)31);\
        if (pf) {                                                                      \
            for (; i < stop; i += 32, pos += 32, cp = FA_CNT256_NEXT(cp, C)) {         \
                if ((i & 1023) == 0 && i + 1024 + FA_SIMD_AHEAD <= n)                  \
                    fa_cnt_prefetch_rows(x + i + FA_SIMD_AHEAD, out + i + FA_SIMD_AHEAD,\
                                         1024 * sizeof(T));                            \
                _mm256_store_si256((__m256i*)(cnt + pos), _mm256_sub_epi8(             \
                    _mm256_load_si256((const __m256i*)(cnt + pos)),                    \
                    fa_cnt256_chunk##SFX(kind, zs, x + i, ws + cp, out + i, s, 32))); \
            }                                                                          \
        } else {                                                                       \
            FA_CNT256_UNROLL2                                                          \
            for (; i < stop; i += 32, pos += 32, cp = FA_CNT256_NEXT(cp, C))           \
                _mm256_store_si256((__m256i*)(cnt + pos), _mm256_sub_epi8(             \
                    _mm256_load_si256((const __m256i*)(cnt + pos)),                    \
                    fa_cnt256_chunk##SFX(kind, zs, x + i, ws + cp, out + i, s, 32))); \
        }                                                                              \
        if (pos == L) {                                                                \
            pos = 0;                                                                   \
            if (++passes == FA_CNT_CHUNK) {                                            \
                fa_cnt256_widen##SFX(cnt, L, C, counts);                               \
                memset(cnt, 0, (size_t)L);                                             \
                passes = 0;                                                            \
            }                                                                          \
        }                                                                              \
    }                                                                                  \
    if (i < n)                            /* the stream's last, partial chunk */       \
        _mm256_store_si256((__m256i*)(cnt + pos), _mm256_sub_epi8(                     \
            _mm256_load_si256((const __m256i*)(cnt + pos)),                            \
            fa_cnt256_chunk##SFX(kind, zs, x + i, ws + cp, out + i, s, n - i)));      \
    fa_cnt256_widen##SFX(cnt, L, C, counts);                                           \
}

/* The earlier walk, for periods longer than FA_CNT_GEN_COLS: 16-row groups
 * of column vectors, the counters flushed every 16 rows (+25-60% over the
 * plain kernel); a column vector that is the row's tail uses masked loads
 * and stores. */
#define FA_CNT256_WALK(T, PS, V, W, EPI, SET1, SFX, LANE_IDX, CAST_V, CT, ACC, ACC_ZERO,  \
                       ACC_COUNT, ACC_REST, ACC_FLUSH)                                 \
FA_CNT void fa_cnt256_walk##SFX(int kind, int zs, const T* x, const T* w, T* out,      \
                                Py_ssize_t rows, Py_ssize_t C, T slope, CT* counts) {  \
    const Py_ssize_t ahead = fa_cnt_rows_ahead(C, rows, sizeof(T));                                     \
    V s = _mm256_set1_##PS(slope);                                                     \
    Py_ssize_t r0, r, c, rn;                                                           \
    V k, y;                                                                            \
    __m256i cols;                                                                      \
    ACC acc;                                                                           \
    for (r0 = 0; r0 < rows; r0 += rn) {                                               \
        rn = rows - r0 < FA_CNT_GROUP ? rows - r0 : FA_CNT_GROUP;                      \
        for (c = 0; c < C; c += W) {                                                   \
            acc = ACC_ZERO;                                                            \
            if (C - c >= W) {                                                          \
                if (zs >= 2) s = _mm256_loadu_##PS(w + c);                             \
                for (r = r0; r < r0 + rn; r++) {                                       \
                    if (r + ahead < rows)                                              \
                        fa_cnt_prefetch_rows(x + (r + ahead) * C + c,                  \
                                             out + (r + ahead) * C + c, W * sizeof(T));\
                    y = fa_cnt256_step_##PS(kind, _mm256_loadu_##PS(x + r * C + c), s, zs, &k);   \
                    _mm256_storeu_##PS(out + r * C + c, y);                            \
                    acc = ACC_COUNT(acc, k);                                           \
                }                                                                      \
                if (kind == FA_CNT_RELU || kind == FA_CNT_RELU6)                       \
                    acc = ACC_REST(acc, rn);                                           \
                ACC_FLUSH(counts + c, SET1(-1), acc);                                  \
            } else {                                                                   \
                cols = _mm256_cmpgt_##EPI(SET1(C - c), LANE_IDX);                      \
                if (zs >= 2) s = _mm256_maskload_##PS(w + c, cols);                    \
                for (r = r0; r < r0 + rn; r++) {                                       \
                    y = fa_cnt256_step_##PS(kind, _mm256_maskload_##PS(x + r * C + c, cols),\
                                            s, zs, &k);                                \
                    _mm256_maskstore_##PS(out + r * C + c, cols, y);                   \
                    acc = ACC_COUNT(acc, _mm256_and_##PS(k, CAST_V(cols)));            \
                }                                                                      \
                if (kind == FA_CNT_RELU || kind == FA_CNT_RELU6)                       \
                    acc = ACC_REST(acc, rn);       /* lanes past C: masked out */      \
                ACC_FLUSH(counts + c, cols, acc);                                      \
            }                                                                          \
        }                                                                              \
    }                                                                                  \
}

FA_CNT __m256i fa_cnt256_count_i32(__m256i acc, __m256 k) {
    return _mm256_sub_epi32(acc, _mm256_castps_si256(k));
}
FA_CNT __m256i fa_cnt256_rest_i32(__m256i acc, Py_ssize_t rn) {
    return _mm256_sub_epi32(_mm256_set1_epi32((int)rn), acc);
}
FA_CNT void fa_cnt256_flush_i32(int* c, __m256i m, __m256i acc) {
    _mm256_maskstore_epi32(c, m, _mm256_add_epi32(_mm256_maskload_epi32(c, m), acc));
}
FA_CNT __m256d fa_cnt256_count_d(__m256d acc, __m256d k) {
    return _mm256_add_pd(acc, _mm256_and_pd(k, _mm256_set1_pd(1.0)));
}
FA_CNT __m256d fa_cnt256_rest_d(__m256d acc, Py_ssize_t rn) {
    return _mm256_sub_pd(_mm256_set1_pd((double)rn), acc);
}
FA_CNT void fa_cnt256_flush_d(double* c, __m256i m, __m256d acc) {
    _mm256_maskstore_pd(c, m, _mm256_add_pd(_mm256_maskload_pd(c, m), acc));
}
FA_CNT256_WALK(float, ps, __m256, 8, epi32, _mm256_set1_epi32, _f32,
               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_castsi256_ps, int, __m256i,
               _mm256_setzero_si256(), fa_cnt256_count_i32, fa_cnt256_rest_i32,
               fa_cnt256_flush_i32)
FA_CNT256_WALK(double, pd, __m256d, 4, epi64, _mm256_set1_epi64x, _f64,
               _mm256_setr_epi64x(0, 1, 2, 3), _mm256_castsi256_pd, double, __m256d,
               _mm256_setzero_pd(), fa_cnt256_count_d, fa_cnt256_rest_d,
               fa_cnt256_flush_d)

/* The walk (see above).  Out of cache (the block larger than FA_CNT_PF_MIN)
 * and out of place it prefetches about FA_SIMD_AHEAD elements on, as the
 * plain loops. */
#define FA_CNT256_ROWS(T, PS, V, SFX, CT)                                              \
FA_CNT void fa_cnt256_rows##SFX(int kind, int zs, const T* x, const T* w, T* out,      \
                                Py_ssize_t rows, Py_ssize_t C, T slope, CT* counts) {  \
    const Py_ssize_t n = rows * C;                                                     \
    const int pf = n * (Py_ssize_t)sizeof(T) > FA_CNT_PF_MIN && x != out;              \
    Py_ssize_t i0 = 0, j, L;                                                           \
    T ws[FA_CNT_GEN_COLS + 32] __attribute__((aligned(32)));                           \
    if (256 % C == 0) {                   /* one stream of 256-element blocks */       \
        const Py_ssize_t blocks = n / 256, ahead = (FA_SIMD_AHEAD + 255) / 256;        \
        if (zs >= 2)                                                                   \
            for (j = 0; j < 256; j++)                                                  \
                ws[j] = w[j % C];                                                      \
        fa_cnt256_seg##SFX(kind, zs, x, ws, out, blocks, C, slope, counts,             \
                           pf ? blocks - ahead : 0, ahead * 256);                      \
        i0 = blocks * 256;                                                             \
        L = 256;                                                                       \
    } else {                                                                           \
        L = C / fa_cnt_gcd32(C) * 32;                                                  \
        if (L > FA_CNT_GEN_COLS) {                                                     \
            fa_cnt256_walk##SFX(kind, zs, x, w, out, rows, C, slope, counts);          \
            return;                                                                    \
        }                                                                              \
        if (zs >= 2)                                                                   \
            for (j = 0; j < C + 32; j++)                                               \
                ws[j] = w[j % C];                                                      \
    }                                                                                  \
    if (i0 < n)                                                                        \
        fa_cnt256_period##SFX(kind, zs, x + i0, ws, out + i0, n - i0, C, L, slope,     \
                              counts, pf);                                             \
}

/* gcd(C, 32) */
static inline Py_ssize_t fa_cnt_gcd32(Py_ssize_t C) {
    Py_ssize_t g = 32;
    while (C % g)
        g /= 2;
    return g;
}
FA_CNT256_SEG(float, ps, __m256, _f32, int)
FA_CNT256_SEG(double, pd, __m256d, _f64, double)
FA_CNT256_PERIOD(float, ps, __m256, _f32, int)
FA_CNT256_PERIOD(double, pd, __m256d, _f64, double)
FA_CNT256_ROWS(float, ps, __m256, _f32, int)
FA_CNT256_ROWS(double, pd, __m256d, _f64, double)
#define FA_CNT_ROWS_f32 fa_cnt256_rows_f32
#define FA_CNT_ROWS_f64 fa_cnt256_rows_f64
#endif

/* The entry points the generated kernels call (FA_COUNT_<kernel>_<sfx> = 0
 * and never called where the target has no SIMD counting).  The loop runs
 * with the kind and the slope's case as constants; relu and relu6 count
 * their alive lanes, so their dead are the rest. */
#ifdef FA_COUNT_HAVE
/* fa_count_<kernel>'s loop call for FA_CNT_SLOPE_CASE */
#  define FA_CNT_LOOP_CALL(SFX, zs, sv) FA_CNT_LOOP##SFX(kind, zs, x, w, out, n, sv)
#  define FA_CNT_ENTRY(kernel, KIND, T, SFX, CT)                                       \
static const int FA_COUNT_##kernel##SFX = 1;                                           \
static inline long long fa_count_##kernel##SFX(const T* x, const T* w, int w_contig,   \
                                               T* out, Py_ssize_t n, T slope) {        \
    const int kind = KIND;                                                             \
    if (KIND == FA_CNT_RELU || KIND == FA_CNT_RELU6)                                   \
        return n - FA_CNT_LOOP##SFX(KIND, 0, x, w, out, n, slope);                     \
    return FA_CNT_SLOPE_CASE(kind, w_contig, w, slope, FA_CNT_LOOP_CALL, SFX);         \
}                                                                                      \
static inline void fa_count_rows_##kernel##SFX(const T* x, const T* w, T* out,         \
                                               Py_ssize_t rows, Py_ssize_t C, T slope, \
                                               CT* counts) {                           \
    Py_ssize_t c;                                                                      \
    if (KIND == FA_CNT_PRELU) {   /* a row's weights: a zero among them needs the fix */ \
        for (c = 0; c < C && w[c] != 0; c++) {}                                        \
        if (c < C)                                                                     \
            FA_CNT_ROWS##SFX(KIND, 2, x, w, out, rows, C, (T)0, counts);               \
        else                                                                           \
            FA_CNT_ROWS##SFX(KIND, 3, x, w, out, rows, C, (T)0, counts);               \
    }                                                                                  \
    else if (KIND == FA_CNT_LEAKY && slope == 0)                                       \
        FA_CNT_ROWS##SFX(KIND, 1, x, w, out, rows, C, slope, counts);                  \
    else                                                                               \
        FA_CNT_ROWS##SFX(KIND, 0, x, w, out, rows, C, slope, counts);                  \
}                                                                                      \
static inline void fa_count_2d_##kernel##SFX(const T* x, Py_ssize_t xs, const T* w,    \
                                             int w_contig, Py_ssize_t ws, T* out,      \
                                             Py_ssize_t os, Py_ssize_t n,              \
                                             Py_ssize_t rows, T slope,                 \
                                             long long* counts, Py_ssize_t cs) {       \
    long long total = 0, c;                                                            \
    Py_ssize_t r;                                                                      \
    if (n <= FA_SIMD_BLOCK) {     /* short rows: without a block loop per row */      \
        FA_CNT_RUN##SFX(KIND, x, xs, w, w_contig, ws, out, os, n, rows, slope, counts, cs);\
        return;                                                                        \
    }                                                                                  \
    for (r = 0; r < rows; r++) {                                                       \
        c = fa_count_##kernel##SFX(FA_CNT_ROW(const T, x, r, xs),                       \
                                   w ? FA_CNT_ROW(const T, w, r, ws) : w,              \
                                   w_contig, FA_CNT_ROW(T, out, r, os), n, slope);     \
        if (cs == 0)                                                                   \
            total += c;                                                                \
        else                                                                           \
            *FA_CNT_ROW(long long, counts, r, cs) += c;                                \
    }                                                                                  \
    *counts += total;                                                                  \
}
#else
#  define FA_CNT_ENTRY(kernel, KIND, T, SFX, CT)                                       \
static const int FA_COUNT_##kernel##SFX = 0;                                           \
static inline long long fa_count_##kernel##SFX(const T* x, const T* w, int w_contig,   \
                                               T* out, Py_ssize_t n, T slope) {        \
    (void)x; (void)w; (void)w_contig; (void)out; (void)n; (void)slope; return 0;       \
}                                                                                      \
static inline void fa_count_rows_##kernel##SFX(const T* x, const T* w, T* out,         \
                                               Py_ssize_t rows, Py_ssize_t C, T slope, \
                                               CT* counts) {                           \
    (void)x; (void)w; (void)out; (void)rows; (void)C; (void)slope; (void)counts;       \
}                                                                                      \
static inline void fa_count_2d_##kernel##SFX(const T* x, Py_ssize_t xs, const T* w,    \
                                             int w_contig, Py_ssize_t ws, T* out,      \
                                             Py_ssize_t os, Py_ssize_t n,              \
                                             Py_ssize_t rows, T slope,                 \
                                             long long* counts, Py_ssize_t cs) {       \
    (void)x; (void)xs; (void)w; (void)w_contig; (void)ws; (void)out; (void)os;         \
    (void)n; (void)rows; (void)slope; (void)counts; (void)cs;                          \
}
#endif
FA_CNT_ENTRY(relu_forward, FA_CNT_RELU, float, _f32, int)
FA_CNT_ENTRY(relu_forward, FA_CNT_RELU, double, _f64, double)
FA_CNT_ENTRY(relu6_forward, FA_CNT_RELU6, float, _f32, int)
FA_CNT_ENTRY(relu6_forward, FA_CNT_RELU6, double, _f64, double)
FA_CNT_ENTRY(leaky_relu_forward, FA_CNT_LEAKY, float, _f32, int)
FA_CNT_ENTRY(leaky_relu_forward, FA_CNT_LEAKY, double, _f64, double)
FA_CNT_ENTRY(prelu_forward, FA_CNT_PRELU, float, _f32, int)
FA_CNT_ENTRY(prelu_forward, FA_CNT_PRELU, double, _f64, double)

#endif
