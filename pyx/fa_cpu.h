/* The CPU's instruction-set features, read once at import (compiled into the
 * driver, fastact._kernels, with the baseline flags: it runs on every CPU).
 *
 * x86: CPUID leaves 1 and 7 for the instructions, and XGETBV for whether the
 * OS saves the wider registers on a context switch (a CPU with AVX-512 under
 * an OS or hypervisor that does not enable ZMM state must not run AVX-512
 * code).  Other architectures report nothing here: their one target is the
 * architecture's baseline (NEON on aarch64). */
#ifndef FASTACT_CPU_H
#define FASTACT_CPU_H

enum {
    FA_CPU_SSE2 = 1 << 0,
    FA_CPU_SSE42 = 1 << 1,
    FA_CPU_AVX = 1 << 2,
    FA_CPU_AVX2 = 1 << 3,
    FA_CPU_FMA = 1 << 4,
    FA_CPU_BMI1 = 1 << 5,
    FA_CPU_BMI2 = 1 << 6,
    FA_CPU_F16C = 1 << 7,
    FA_CPU_LZCNT = 1 << 8,
    FA_CPU_MOVBE = 1 << 9,
    FA_CPU_AVX512F = 1 << 10,
    FA_CPU_AVX512BW = 1 << 11,
    FA_CPU_AVX512CD = 1 << 12,
    FA_CPU_AVX512DQ = 1 << 13,
    FA_CPU_AVX512VL = 1 << 14,
    FA_CPU_OS_YMM = 1 << 15,   /* XCR0: SSE and AVX state */
    FA_CPU_OS_ZMM = 1 << 16,   /* XCR0: opmask, ZMM_Hi256, Hi16_ZMM state */
    FA_CPU_X86 = 1 << 30
};

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#  if defined(_MSC_VER) && !defined(__clang__)
#    include <intrin.h>
static void fa_cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    int v[4];
    __cpuidex(v, (int)leaf, (int)sub);
    r[0] = (unsigned)v[0]; r[1] = (unsigned)v[1]; r[2] = (unsigned)v[2]; r[3] = (unsigned)v[3];
}
static unsigned long long fa_xgetbv(void) { return _xgetbv(0); }
#  else
#    include <cpuid.h>
static void fa_cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static unsigned long long fa_xgetbv(void) {
    unsigned lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));  /* xgetbv */
    return ((unsigned long long)hi << 32) | lo;
}
#  endif

static unsigned fa_cpu_features(void) {
    unsigned r[4], f = FA_CPU_X86, max_leaf;
    unsigned long long xcr0 = 0;
    fa_cpuid(0, 0, r);
    max_leaf = r[0];
    if (max_leaf < 1)
        return f;
    fa_cpuid(1, 0, r);
    if (r[3] & (1u << 26)) f |= FA_CPU_SSE2;
    if (r[2] & (1u << 20)) f |= FA_CPU_SSE42;
    if (r[2] & (1u << 12)) f |= FA_CPU_FMA;
    if (r[2] & (1u << 22)) f |= FA_CPU_MOVBE;
    if (r[2] & (1u << 29)) f |= FA_CPU_F16C;
    if (r[2] & (1u << 28)) f |= FA_CPU_AVX;
    if (r[2] & (1u << 27)) {   /* OSXSAVE: XGETBV is usable */
        xcr0 = fa_xgetbv();
        if ((xcr0 & 0x6) == 0x6) f |= FA_CPU_OS_YMM;
        if ((xcr0 & 0xe6) == 0xe6) f |= FA_CPU_OS_ZMM;
    }
    if (max_leaf >= 7) {
        fa_cpuid(7, 0, r);
        if (r[1] & (1u << 3)) f |= FA_CPU_BMI1;
        if (r[1] & (1u << 5)) f |= FA_CPU_AVX2;
        if (r[1] & (1u << 8)) f |= FA_CPU_BMI2;
        if (r[1] & (1u << 16)) f |= FA_CPU_AVX512F;
        if (r[1] & (1u << 17)) f |= FA_CPU_AVX512DQ;
        if (r[1] & (1u << 28)) f |= FA_CPU_AVX512CD;
        if (r[1] & (1u << 30)) f |= FA_CPU_AVX512BW;
        if (r[1] & (1u << 31)) f |= FA_CPU_AVX512VL;
    }
    fa_cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000001u) {
        fa_cpuid(0x80000001u, 0, r);
        if (r[2] & (1u << 5)) f |= FA_CPU_LZCNT;   /* ABM */
    }
    return f;
}

/* The size in bytes of the largest cache CPUID describes (the last level:
 * an L3, or an L2 where there is none), 0 where it says nothing.  The
 * deterministic cache parameters: leaf 4 (Intel), leaf 0x8000001D (AMD, with
 * the topology extensions; its leaf 4 is reserved).  Under a hypervisor
 * this is what the hypervisor reports, as /sys and sysconf also do. */
static unsigned long long fa_llc_bytes(void) {
    unsigned r[4], leaf = 4, sub;
    unsigned long long best = 0;
    fa_cpuid(0, 0, r);
    if (r[1] == 0x68747541u) {            /* "Auth"enticAMD */
        fa_cpuid(0x80000000u, 0, r);
        if (r[0] < 0x8000001Du)
            return 0;
        fa_cpuid(0x80000001u, 0, r);
        if (!(r[2] & (1u << 22)))         /* TopologyExtensions */
            return 0;
        leaf = 0x8000001Du;
    } else if (r[0] < 4) {
        return 0;
    }
    for (sub = 0; sub < 16; sub++) {
        unsigned long long bytes;
        fa_cpuid(leaf, sub, r);
        if ((r[0] & 0x1f) == 0)           /* no more caches */
            break;
        if ((r[0] & 0x1f) == 2)           /* an instruction cache */
            continue;
        bytes = (unsigned long long)((r[1] >> 22) + 1) *      /* ways */
                (((r[1] >> 12) & 0x3ff) + 1) *                  /* partitions */
                ((r[1] & 0xfff) + 1) * ((unsigned long long)r[2] + 1);  /* line, sets */
        if (bytes > best)
            best = bytes;
    }
    return best;
}
#else
static unsigned fa_cpu_features(void) { return 0; }
static unsigned long long fa_llc_bytes(void) { return 0; }
#endif

#endif
