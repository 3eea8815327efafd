/* What one kernel module (fastact._loops_<target>) was compiled for, and the
 * few C helpers its loops need.  Included by pyx/_loops.pyx.tp; setup.py
 * defines FASTACT_TARGET and FASTACT_BUILD_FLAGS per target. */
#ifndef FASTACT_TARGET_H
#define FASTACT_TARGET_H

#include <math.h>     /* log1p */

#if defined(__AVX512F__)
#  define FASTACT_SIMD "AVX-512 (512-bit vectors)"
#elif defined(__AVX2__) && defined(__FMA__)
#  define FASTACT_SIMD "AVX2+FMA (256-bit vectors)"
#elif defined(__AVX__)
#  define FASTACT_SIMD "AVX (256-bit vectors)"
#elif defined(__SSE2__) || defined(_M_X64)
#  define FASTACT_SIMD "SSE2 (128-bit vectors, x86-64 baseline, no FMA)"
#elif defined(__ARM_NEON) || defined(__aarch64__) || defined(_M_ARM64)
#  define FASTACT_SIMD "NEON (128-bit vectors)"
#else
#  define FASTACT_SIMD "scalar (no SIMD extension detected at compile time)"
#endif

/* Whether fa_fma_* (pyx/_eft.pxd) is one hardware instruction here or the
 * vectorizable exact emulation of the no-FMA baseline. */
#if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA) || defined(_M_ARM64)
#  define FASTACT_HW_FMA 1
#else
#  define FASTACT_HW_FMA 0
#endif

#ifndef FASTACT_TARGET
#  define FASTACT_TARGET "unknown"
#endif
#ifndef FASTACT_BUILD_FLAGS
#  define FASTACT_BUILD_FLAGS "unknown"
#endif
#if defined(__VERSION__)
#  define FASTACT_COMPILER __VERSION__
#elif defined(_MSC_FULL_VER)
#  define FASTACT_COMPILER "MSVC " FA_STR(_MSC_FULL_VER)
#  define FA_STR(x) FA_STR2(x)
#  define FA_STR2(x) #x
#else
#  define FASTACT_COMPILER "unknown"
#endif

/* Software prefetch of [p, p + bytes) into L2: see the _k_* loops.  A
 * write prefetch is a read prefetch on x86 targets without PRFCHW (the
 * x86-64-v3/v4 levels do not include it): GCC 12 dropped the rw = 1 builtin's
 * whole loop there, so the out= loops prefetched their inputs only (on an
 * Intel Xeon, relu at 16 M float32 elements into out=: 0.63 ns/element with
 * the inputs' prefetch alone, 0.54 with out's too, a C loop). */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(__PRFCHW__)
#  define FA_PREFETCH_RW 0
#else
#  define FA_PREFETCH_RW 1
#endif
static inline void fa_prefetch(const void* p, Py_ssize_t bytes, int write) {
#if defined(__GNUC__)
    const char* c = (const char*)p;
    Py_ssize_t k;
    if (write) { for (k = 0; k < bytes; k += 64) __builtin_prefetch(c + k, FA_PREFETCH_RW, 2); }
    else       { for (k = 0; k < bytes; k += 64) __builtin_prefetch(c + k, 0, 2); }
#else
    (void)p; (void)bytes; (void)write;
#endif
}

/* dst[0 .. n) = src[0 .. n) with non-temporal stores from dst's first
 * vector-aligned element on (the head and tail stored normally): the
 * elementwise loops' streamed out= (pyx/_loops.pyx.tp), which compute a
 * block into a buffer in L1 and write it here, so that an output far larger
 * than the caches is not first read from memory line by line.  Call
 * fa_stream_end() after the last block. */
#if defined(__SSE2__) || defined(_M_X64)
#  include <immintrin.h>
#endif
#if defined(__AVX512F__)
#  define FA_STREAM_F32 FA_STREAM_BODY(16, _mm512_loadu_ps, _mm512_stream_ps)
#  define FA_STREAM_F64 FA_STREAM_BODY(8, _mm512_loadu_pd, _mm512_stream_pd)
#  define FA_STREAM_ALIGN 64
#elif defined(__AVX__)
#  define FA_STREAM_F32 FA_STREAM_BODY(8, _mm256_loadu_ps, _mm256_stream_ps)
#  define FA_STREAM_F64 FA_STREAM_BODY(4, _mm256_loadu_pd, _mm256_stream_pd)
#  define FA_STREAM_ALIGN 32
#elif defined(__SSE2__) || defined(_M_X64)
#  define FA_STREAM_F32 FA_STREAM_BODY(4, _mm_loadu_ps, _mm_stream_ps)
#  define FA_STREAM_F64 FA_STREAM_BODY(2, _mm_loadu_pd, _mm_stream_pd)
#  define FA_STREAM_ALIGN 16
#else
#  define FA_STREAM_F32
#  define FA_STREAM_F64
#  define FA_STREAM_ALIGN 1
#endif
/* W elements a non-temporal store, from an aligned dst + i */
#define FA_STREAM_BODY(W, LOAD, STREAM)                                                   \
    for (; i + (W) <= n; i += (W)) STREAM(dst + i, LOAD(src + i));
#define FA_STREAM_FN(T, SFX, BODY)                                                        \
static inline void fa_stream_##SFX(T* dst, const T* src, Py_ssize_t n) {                 \
    Py_ssize_t i = 0;                                                                     \
    for (; i < n && ((size_t)(dst + i) & (FA_STREAM_ALIGN - 1)); i++)                     \
        dst[i] = src[i];                                                                  \
    BODY                                                                                  \
    for (; i < n; i++)                                                                    \
        dst[i] = src[i];                                                                  \
}
FA_STREAM_FN(float, f32, FA_STREAM_F32)
FA_STREAM_FN(double, f64, FA_STREAM_F64)
static inline void fa_stream_end(void) {
#if defined(__SSE2__) || defined(_M_X64)
    _mm_sfence();   /* the streamed stores ordered before what follows */
#endif
}

/* Whether a loop runs in place (out is one of its inputs a, b; b may be
 * NULL): such loops issue no software prefetch.  Measured on Zen 4 (2
 * cores, 1 MiB L2, 32 MiB L3): relu_ in place at 16 M float32 elements took
 * 0.15 ns per element with the hardware prefetcher alone and 0.23 with a
 * prefetch of out 2048 elements ahead; out of place the prefetches stay. */
static inline int fa_in_place(const void* a, const void* b, const void* out) {
    return a == out || b == out;
}

/* log_softmax's log(sum) = log1p(sum - 1), sum = ones + (hi + lo) (the row's
 * terms at the max counted, the tail as a double-double): (ones - 1) + hi by
 * TwoSum (ones - 1 is exact), rounded once with lo; exact for ones = 1, so a
 * confident row's tiny tail keeps its relative accuracy.  The Cython rows'
 * and the float64 SIMD row's one finish (pyx/_rowwise.pxi.tp,
 * fa_simd_rows_avx512.h). */
static inline double fa_lse_finish(double ones, double hi, double lo) {
    double o = ones - 1.0;
    double t = o + hi, bv = t - o;
    return log1p(t + (((o - (t - bv)) + (hi - bv)) + lo));
}

/* fn(0, ctx) .. fn(nc - 1, ctx) on up to `threads` OpenMP threads (static
 * schedule; serial without OpenMP): the chunks of one long row
 * (pyx/_rowwise.pxi.tp, _long_softmax_row).  In C rather than a Cython
 * prange, whose parallel sections save and restore the thread state around
 * themselves (PyGILState_Check per section). */
typedef void (*fa_chunk_fn)(Py_ssize_t c, void* ctx);
#if defined(__GNUC__)
__attribute__((noinline, unused))   /* unused: the driver includes this too */
#endif
static void fa_for_chunks(fa_chunk_fn fn, void* ctx, Py_ssize_t nc, int threads) {
    Py_ssize_t c;
    if (threads > 1) {
#if defined(_OPENMP)
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
        for (c = 0; c < nc; c++)
            fn(c, ctx);
        return;
    }
    for (c = 0; c < nc; c++)
        fn(c, ctx);
}

#endif
