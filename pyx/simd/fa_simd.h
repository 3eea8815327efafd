/* Explicit-SIMD float32 kernels: which ones this target has, and the loop
 * that runs them over any 1-D layout.  Included by pyx/_loops.pyx.tp.
 *
 * The per-target headers (fa_simd_avx512.h, fa_simd_avx2.h) define, for each
 * kernel they implement,
 *
 *     FA_SIMD_<kernel>_f32  1
 *     void fa_simd_<kernel>_f32(const float* in0 [, const float* in1],
 *                               float* out, Py_ssize_t n, const float* prm);
 *
 * and the same with _f64 and double for the float64 kernels they have
 * (fa_simd_avx512_f64.h).
 *
 * over contiguous arrays (out may be one of the inputs: in place), prm the
 * kernel's three parameters rounded to float32 (swish, softplus and celu are
 * called with a first parameter of 1 only: pyx/_loops.pyx.tp's UNIT_P0,
 * where the formula's correction of beta * x's rounding is 0).  Every element is computed
 * by the same vector code whatever its position (tails use masked loads and
 * stores, or a padded copy), so results do not depend on how the driver
 * splits an array between threads.  Kernels a target lacks are defined
 * below as 0 / a null function: the generated loops then keep the Cython
 * formula (pyx/_exponential.pxd), which stays the portable baseline and the
 * reference the SIMD code is tested against.
 *
 * fa_simd_run1 / fa_simd_run2 give every layout of one kernel the same
 * arithmetic: contiguous operands are passed straight through (in blocks,
 * with a software prefetch of the inputs: see FA_SIMD_BLOCK); strided ones are
 * gathered into small buffers, computed, and scattered back.  So a strided
 * view gives bitwise the result of its contiguous copy, as tests/ demand. */
#ifndef FASTACT_SIMD_H
#define FASTACT_SIMD_H

#include "fa_target.h"

typedef void (*fa_simd_fn1)(const float* x, float* out, Py_ssize_t n, const float* prm);
typedef void (*fa_simd_fn2)(const float* g, const float* v, float* out, Py_ssize_t n,
                            const float* prm);
typedef void (*fa_simd_fn1_f64)(const double* x, double* out, Py_ssize_t n, const double* prm);
typedef void (*fa_simd_fn2_f64)(const double* g, const double* v, double* out, Py_ssize_t n,
                                const double* prm);

/* silu' near its root a0 = -1.27846 (1 + a + z cancels there): the root
 * polynomial d Q(d) replaces the pair formula where |d| = |a - a0| < this.
 * The pair formula holds the contract down to |d| ~ 0.01 (a C loop over every
 * float32 a in +-[1/8, 4]: the maximum, 2.35 ULP at a = 1.278, is the same for
 * windows 1 down to 0.02, 4.2 ULP at 0.005); 1/16 leaves a margin and has a
 * 16-lane vector of N(0, 3) data reach the polynomial 22% of the time, where
 * the window of 1 had 98% (silu' -14%). */
#define FA_SILU_ROOT_WINDOW 0.0625f
/* The same for the root polynomials of gelu', gelu_tanh' and mish'
 * (fa512/fa256_deriv_finish; the Cython formula's _root_window is 1/4).  A C
 * loop over every float32 |x| in [1/8, 4], both signs: gelu' 1.58 -> 1.83
 * ULP (its pair formula at |d| = 0.077; 3.04 with 1/50), gelu_tanh' 1.82 ->
 * 1.54 (the polynomial's own Horner error at |d| near 1/4 was the maximum),
 * mish' 2.08 both; the contract is 3.  The full sweeps agree (ACCURACY.md).
 * Overridable for such scans. */
#ifndef FA_DERIV_ROOT_WINDOW
#  define FA_DERIV_ROOT_WINDOW 0.0625f
#endif
/* ... except avx2's gelu': its pair formula (the 15-slot table) is less
 * accurate next to the root, 3.69 ULP at x = -0.6838 (|d| = 0.068) with the
 * window of 1/16, 2.10 at -0.6240 with 1/8, 1.58 with 1/4 (full sweeps):
 * 1/8. */
#ifndef FA_GELU_DERIV_WINDOW_AVX2
#  define FA_GELU_DERIV_WINDOW_AVX2 0.125f
#endif

/* The per-target loops' main loop, W lanes a step: LOAD declares the vectors
 * EXPR reads (x, or g and x), at element i; out written with STORE_NT
 * (non-temporal: the caller asked with prm[3], out then aligned) or
 * STORE_U.  The masked or padded tail is the target's own. */
#define FA_SIMD_MAIN_LOOP(W, LOAD, STORE_NT, STORE_U, EXPR)                             \
    if (prm[3] != 0)                                                                  \
        for (; i + (W) <= n; i += (W)) {                                              \
            LOAD;                                                                     \
            STORE_NT(out + i, (EXPR));                                                \
        }                                                                             \
    else                                                                              \
        for (; i + (W) <= n; i += (W)) {                                              \
            LOAD;                                                                     \
            STORE_U(out + i, (EXPR));                                                 \
        }

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && \
    defined(__AVX512VL__) && defined(__FMA__)
#  include "fa_simd_avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#  include "fa_simd_avx2.h"
#endif

/* A target without a kernel of pyx/_loops.pyx.tp's SIMD_F32 / SIMD_F64 (its
 * header defines no FA_SIMD_HAVE_<kernel>[_f64]) gets FA_SIMD_<kernel>_f32 /
 * _f64 = 0 and a null function from these; the template emits the list of
 * #ifndef ... FA_SIMD_ABSENT lines from its own kernel lists, so the list is
 * written once. */
#define FA_SIMD_ABSENT1(name) \
    static const int FA_SIMD_##name##_f32 = 0; \
    static const fa_simd_fn1 fa_simd_##name##_f32 = 0;
#define FA_SIMD_ABSENT2(name) \
    static const int FA_SIMD_##name##_f32 = 0; \
    static const fa_simd_fn2 fa_simd_##name##_f32 = 0;

/* float64 */
#define FA_SIMD_ABSENT1_F64(name) \
    static const int FA_SIMD_##name##_f64 = 0; \
    static const fa_simd_fn1_f64 fa_simd_##name##_f64 = 0;
#define FA_SIMD_ABSENT2_F64(name) \
    static const int FA_SIMD_##name##_f64 = 0; \
    static const fa_simd_fn2_f64 fa_simd_##name##_f64 = 0;

/* The row-wise kernels (fa_simd_rows_<target>.h): one contiguous float32 row
 * per call.  Absent: the Cython row forms run (never these stubs). */
#ifndef FA_SIMD_HAVE_rows
static const int FA_SIMD_rows_f32 = 0;
static inline int fa_simd_softmax_row_f32(const float* x, float* out, Py_ssize_t n,
                                          float sign, int stream) {
    (void)x; (void)out; (void)n; (void)sign; (void)stream; return 0;
}
static inline int fa_simd_log_softmax_row_f32(const float* x, float* out, Py_ssize_t n,
                                              int stream) {
    (void)x; (void)out; (void)n; (void)stream; return 0;
}
static inline void fa_simd_softmax_bwd_row_f32(const float* g, const float* y, float* out,
                                               Py_ssize_t n, float sign, int stream) {
    (void)g; (void)y; (void)out; (void)n; (void)sign; (void)stream;
}
static inline void fa_simd_log_softmax_bwd_row_f32(const float* g, const float* y, float* out,
                                                   Py_ssize_t n, int stream) {
    (void)g; (void)y; (void)out; (void)n; (void)stream;
}
static inline int fa_simd_log_softmax_row_f64(const double* x, double* out, Py_ssize_t n,
                                              int stream) {
    (void)x; (void)out; (void)n; (void)stream; return 0;
}
static inline void fa_simd_softmax_bwd_row_f64(const double* g, const double* y, double* out,
                                               Py_ssize_t n, double sign, int stream) {
    (void)g; (void)y; (void)out; (void)n; (void)sign; (void)stream;
}
static inline void fa_simd_log_softmax_bwd_row_f64(const double* g, const double* y,
                                                   double* out, Py_ssize_t n, int stream) {
    (void)g; (void)y; (void)out; (void)n; (void)stream;
}
static inline float fa_simd_long_row_max_f32(const float* x, Py_ssize_t n, float sign) {
    (void)x; (void)n; (void)sign; return 0;
}
static inline double fa_simd_long_row_exp_f32(const float* x, float* out, Py_ssize_t n, float m,
                                             float sign) {
    (void)x; (void)out; (void)n; (void)m; (void)sign; return 0;
}
static inline void fa_simd_long_row_scale_f32(float* out, Py_ssize_t n, double inv) {
    (void)out; (void)n; (void)inv;
}
static inline double fa_simd_long_row_tail_f32(const float* x, Py_ssize_t n, float m,
                                                  double* cnt) {
    (void)x; (void)n; (void)m; (void)cnt; return 0;
}
static inline void fa_simd_long_row_logout_f32(const float* x, float* out, Py_ssize_t n, float m,
                                               double lse, int stream) {
    (void)x; (void)out; (void)n; (void)m; (void)lse; (void)stream;
}
static inline double fa_simd_long_row_max_f64(const double* x, Py_ssize_t n) {
    (void)x; (void)n; return 0;
}
static inline double fa_simd_long_row_tail_f64(const double* x, Py_ssize_t n, double m,
                                                  double* lo, double* cnt) {
    (void)x; (void)n; (void)m; (void)lo; (void)cnt; return 0;
}
static inline void fa_simd_long_row_logout_f64(const double* x, double* out, Py_ssize_t n,
                                               double m, double lse, int stream) {
    (void)x; (void)out; (void)n; (void)m; (void)lse; (void)stream;
}
#endif

/* Whether this target's loops (FA512_LOOP1 ...) write with non-temporal
 * stores when their prm[3] says so (out then aligned to FA_STREAM_ALIGN). */
#ifndef FA_SIMD_STREAMS
#  define FA_SIMD_STREAMS 0
#endif
/* Blocks and prefetch distance: as PF_BLOCK / PF_AHEAD in pyx/_loops.pyx.tp.
 * As there, these prefetch in place too when the call is past the caches
 * (params[3], the driver's streaming flag), unless the kernel is one of the
 * template's SIMD_LIGHT (pf_in_place): there the hardware prefetcher alone
 * fell behind them.  In place, 16 M elements, 1 thread, an Intel Xeon
 * (2 MiB L2 per core), ns per element, three runs each: forward float32
 * sigmoid 0.72 -> 0.40, tanh 0.59 -> 0.39, silu 1.20 -> 0.50, mish 2.43 ->
 * 0.90, gelu 1.17 -> 0.86, elu 0.55 -> 0.41; float64 sigmoid 2.82 -> 1.51;
 * backward float32 sigmoid' 1.94 -> 0.83, silu' 2.04 -> 1.25, float64
 * logsigmoid' 3.19 -> 1.80.  Only the inputs that are not out are
 * prefetched (a prefetch of g, the output of an in-place backward, cost
 * elu' 55% and gelu' 10%; out of place, leaving out's prefetch (a read, see
 * fa_prefetch) to the hardware took float32 into out= at 16 M 2-10% faster:
 * tanh 0.59 -> 0.54, silu 0.69 -> 0.62, sigmoid' 1.12 -> 1.03; float64
 * unchanged), and the light elu family's backward, bound by
 * memory, lost with any prefetch (elu' float32 0.50 -> 0.60, celu' float64
 * 1.07 -> 1.34).  In cache the prefetches cost up to 12% (float64 sigmoid_
 * at 256 K elements), hence the flag. */
/* Blocks of 256, not the Cython loops' 1024: each block's prefetch is a
 * burst of one prefetch per line, and 64 lines at once (1024 float32) held
 * these loops back.  Builds side by side (-DFA_SIMD_BLOCK=...), 1 thread,
 * the Xeon, medians of 4 alternated runs, 256 against 1024: into out=, 256 K
 * float32 sigmoid' -25%, tanh' -22%, float64 sigmoid -14%; 16 M float32 gelu
 * -13%, sigmoid' -25%, float64 tanh -20%, silu -18%; in place 16 M -6% to
 * -22%; in place in cache (no prefetch) within 3%.  512 lost to 256 by 5-25%,
 * 128 was level with it; a distance of 1024 instead of 2048 moved -14% to +5%
 * (kept at 2048, the distance measured on Zen 4 for the Cython loops). */
#ifndef FA_SIMD_BLOCK
#  define FA_SIMD_BLOCK 256
#endif
/* Out of place, runs of at least this many bytes per operand prefetch (in
 * blocks); shorter ones run as one call: each block is a call of the kernel
 * (its constants set up again), and at 64 K float32 elements into out= (L2
 * holds them) the 256 calls cost tanh and elu 10% over one. */
#ifndef FA_SIMD_PF_BYTES
#  define FA_SIMD_PF_BYTES (512 << 10)
#endif
#ifndef FA_SIMD_AHEAD
#  define FA_SIMD_AHEAD 2048
#endif
/* Strided operands are staged through buffers of this many elements. */
#define FA_SIMD_STAGE 256

/* fa_simd_run1<sfx> / fa_simd_run2<sfx> for element type T (float: no suffix,
 * the float32 kernels; double: _f64), prm the parameters in T.  Not inlined
 * into the generated loops: one copy each (tools/check_simd.py judges a
 * kernel by its fa_simd_ function).  prm[3] = 1 asks the kernel to write
 * with non-temporal stores (FA_SIMD_STREAMS targets, out= past the caches:
 * params[3]): the head up to out's FA_STREAM_ALIGN boundary is computed
 * first with normal stores (fa_simd_head), then every block streams from its
 * vectors.
 * Staging the blocks in L1 for a copy loop, as the formula loops do, had
 * cost these kernels 3-17%; streaming from the vectors, into out= on the
 * Xeon, 1 thread, ns per element, 3 alternated runs: 16 M float32 sigmoid
 * 0.55 -> 0.35, tanh 0.49 -> 0.30, silu 0.56 -> 0.43, sigmoid' 0.81 ->
 * 0.63, elu' 0.76 -> 0.46; float64 tanh 1.88 -> 1.32, sigmoid' 2.11 -> 1.64;
 * 4 M float64 (64 MiB of operands) -5% to -13%. */
#if defined(__GNUC__)
#  define FA_SIMD_RUN_ATTR __attribute__((noinline, unused))
#else
#  define FA_SIMD_RUN_ATTR
#endif
/* A contiguous run's choices: pf, the software prefetch (see FA_SIMD_BLOCK and
 * FA_SIMD_PF_BYTES); st, streamed out= (a call past the caches, out of
 * place, on a FA_SIMD_STREAMS target).  Returns the block length: blocks
 * serve the prefetch, without it the run is one call. */
static inline Py_ssize_t fa_simd_plan(int in_place, Py_ssize_t n, size_t size,
                                      const double* params, int pf_in_place,
                                      int* pf, int* st) {
    *pf = in_place ? pf_in_place && params[3] != 0
                   : n * (Py_ssize_t)size >= FA_SIMD_PF_BYTES;
    *st = FA_SIMD_STREAMS && params[3] != 0 && !in_place;
    return *pf ? FA_SIMD_BLOCK : n;
}

#define FA_SIMD_DEFINE_RUN(T, SFX)                                                    \
/* Streamed out=: the elements before out's first FA_STREAM_ALIGN boundary    \
 * (computed with normal stores), the rest with non-temporal ones; an out not   \
 * aligned to its element (a view into raw bytes) is not streamed (*st = 0). */ \
static inline Py_ssize_t fa_simd_head##SFX(const T* out, Py_ssize_t n, int* st) {      \
    size_t mis = (size_t)out % FA_STREAM_ALIGN;                                       \
    Py_ssize_t h = mis ? (Py_ssize_t)((FA_STREAM_ALIGN - mis) / sizeof(T)) : 0;       \
    if (mis % sizeof(T)) {                                                            \
        *st = 0;                                                                      \
        return 0;                                                                     \
    }                                                                                 \
    return h < n ? h : n;                                                             \
}                                                                                     \
static FA_SIMD_RUN_ATTR void fa_simd_run1##SFX(fa_simd_fn1##SFX fn, char** args,      \
                                     const Py_ssize_t* steps, Py_ssize_t n,           \
                                     const double* params, int pf_in_place) {         \
    T prm[4] = {(T)params[0], (T)params[1], (T)params[2], 0};                         \
    Py_ssize_t i0, m, k;                                                              \
    if (steps[0] == sizeof(T) && steps[1] == sizeof(T)) {                             \
        const T* x = (const T*)args[0];                                               \
        T* out = (T*)args[1];                                                         \
        int pf, st;                                                                   \
        Py_ssize_t blk = fa_simd_plan(fa_in_place(x, NULL, out), n, sizeof(T), params, \
                                      pf_in_place, &pf, &st);                         \
        i0 = st ? fa_simd_head##SFX(out, n, &st) : 0;                                \
        if (i0)                               /* the head, up to out's alignment */   \
            fn(x, out, i0, prm);                                                      \
        prm[3] = (T)st;                                                               \
        for (; i0 < n; i0 += m) {                                                     \
            m = n - i0 < blk ? n - i0 : blk;                                          \
            if (n - i0 > FA_SIMD_BLOCK + FA_SIMD_AHEAD && pf) {                       \
                fa_prefetch(x + i0 + FA_SIMD_AHEAD, FA_SIMD_BLOCK * sizeof(T), 0);    \
            }                                                                         \
            fn(x + i0, out + i0, m, prm);                                             \
        }                                                                             \
        if (st)                                                                       \
            fa_stream_end();                                                          \
        return;                                                                       \
    }                                                                                 \
    {                                                                                 \
        T bx[FA_SIMD_STAGE], bo[FA_SIMD_STAGE];                                       \
        for (i0 = 0; i0 < n; i0 += m) {                                               \
            m = n - i0 < FA_SIMD_STAGE ? n - i0 : FA_SIMD_STAGE;                      \
            for (k = 0; k < m; k++)                                                   \
                bx[k] = *(const T*)(args[0] + (i0 + k) * steps[0]);                   \
            fn(bx, bo, m, prm);                                                       \
            for (k = 0; k < m; k++)                                                   \
                *(T*)(args[1] + (i0 + k) * steps[1]) = bo[k];                         \
        }                                                                             \
    }                                                                                 \
}                                                                                     \
                                                                                      \
static FA_SIMD_RUN_ATTR void fa_simd_run2##SFX(fa_simd_fn2##SFX fn, char** args,      \
                                     const Py_ssize_t* steps, Py_ssize_t n,           \
                                     const double* params, int pf_in_place) {         \
    T prm[4] = {(T)params[0], (T)params[1], (T)params[2], 0};                         \
    Py_ssize_t i0, m, k;                                                              \
    if (steps[0] == sizeof(T) && steps[1] == sizeof(T) && steps[2] == sizeof(T)) {    \
        const T* g = (const T*)args[0];                                               \
        const T* v = (const T*)args[1];                                               \
        T* out = (T*)args[2];                                                         \
        int pf, st;                                                                   \
        Py_ssize_t blk = fa_simd_plan(fa_in_place(g, v, out), n, sizeof(T), params,    \
                                      pf_in_place, &pf, &st);                         \
        i0 = st ? fa_simd_head##SFX(out, n, &st) : 0;                                \
        if (i0)                               /* the head, up to out's alignment */   \
            fn(g, v, out, i0, prm);                                                   \
        prm[3] = (T)st;                                                               \
        for (; i0 < n; i0 += m) {                                                     \
            m = n - i0 < blk ? n - i0 : blk;                                          \
            if (n - i0 > FA_SIMD_BLOCK + FA_SIMD_AHEAD && pf) {                       \
                if (g != out)                                                         \
                    fa_prefetch(g + i0 + FA_SIMD_AHEAD, FA_SIMD_BLOCK * sizeof(T), 0); \
                fa_prefetch(v + i0 + FA_SIMD_AHEAD, FA_SIMD_BLOCK * sizeof(T), 0);    \
            }                                                                         \
            fn(g + i0, v + i0, out + i0, m, prm);                                     \
        }                                                                             \
        if (st)                                                                       \
            fa_stream_end();                                                          \
        return;                                                                       \
    }                                                                                 \
    {                                                                                 \
        T bg[FA_SIMD_STAGE], bv[FA_SIMD_STAGE], bo[FA_SIMD_STAGE];                    \
        for (i0 = 0; i0 < n; i0 += m) {                                               \
            m = n - i0 < FA_SIMD_STAGE ? n - i0 : FA_SIMD_STAGE;                      \
            for (k = 0; k < m; k++) {                                                 \
                bg[k] = *(const T*)(args[0] + (i0 + k) * steps[0]);                   \
                bv[k] = *(const T*)(args[1] + (i0 + k) * steps[1]);                   \
            }                                                                         \
            fn(bg, bv, bo, m, prm);                                                   \
            for (k = 0; k < m; k++)                                                   \
                *(T*)(args[2] + (i0 + k) * steps[2]) = bo[k];                         \
        }                                                                             \
    }                                                                                 \
}

FA_SIMD_DEFINE_RUN(float, )
FA_SIMD_DEFINE_RUN(double, _f64)

/* The dead-unit monitor's counting forwards (relu, relu6, leaky_relu, prelu). */
#include "fa_count.h"

#endif
