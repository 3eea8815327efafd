"""Compare a target's explicit-SIMD float32 kernels (pyx/simd/) with the Cython
formula they stand in for, bit for bit, over every float32 input (2^32, NaNs
included: any NaN matches any NaN).

    FASTACT_CPU=avx512 python tools/simd_vs_formula.py elu selu celu
    FASTACT_CPU=avx2 python tools/simd_vs_formula.py --forward sigmoid

Where no output differs, the formula's exhaustive accuracy sweep (ACCURACY.md)
holds for the SIMD kernel as it is.  Otherwise prints how many outputs differ
and the largest distance in ULPs (then sweep the SIMD kernel itself with
``python -m fastact.accuracy``), and how many of them lie outside
2^-32 <= |x| < 2^8: where none does, the sweep of that span
(``python -m fastact.accuracy --span -32 8``) and the formula's full sweep
together cover every input.  About 20-40 s per function and direction.
"""

import argparse
import sys
import time

import numpy as np

import fastact as fa
import fastact._dispatch as D
from fastact.bench.accuracy import default_labels, sweep_labels
from fastact.bench.ulp import ulp_distance

BLOCK = 1 << 22


def compare(name, direction):
    fname, params = sweep_labels()[name]
    f = getattr(fa, fname if direction == "forward" else fname + "_backward")
    differ, outside, worst, worst_x = 0, 0, 0, 0.0
    g = np.ones(BLOCK, np.float32)
    for start in range(0, 1 << 32, BLOCK):
        x = np.arange(start, start + BLOCK, dtype=np.uint32).view(np.float32)
        with np.errstate(all="ignore"):
            D.explicit_simd(True)
            a = f(x, **params) if direction == "forward" else f(g, x=x, **params)
            D.explicit_simd(False)
            b = f(x, **params) if direction == "forward" else f(g, x=x, **params)
        D.explicit_simd(True)
        same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
        bad = ~same
        k = int(bad.sum())
        if k:
            differ += k
            ax = np.abs(x[bad])
            outside += int(np.sum(~((ax >= 2.0 ** -32) & (ax < 2.0 ** 8))))
            d = ulp_distance(a[bad], b[bad])
            d[np.isnan(a[bad]) | np.isnan(b[bad])] = 1 << 40
            i = int(np.argmax(d))
            if d[i] > worst:
                worst, worst_x = int(d[i]), float(x[bad][i])
    return differ, outside, worst, worst_x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=default_labels())
    ap.add_argument("--forward", action="store_true")
    ap.add_argument("--backward", action="store_true")
    a = ap.parse_args(argv)
    fa.set_num_threads(1)
    kernels = D.explicit_simd()
    print(f"target {D.current()}; explicit SIMD: {', '.join(kernels) or 'none'}")
    dirs = ["forward"] * (not a.backward) + ["backward"] * (not a.forward)
    for name in a.names:
        for d in dirs:
            kernel = ("gelu_tanh" if name == "gelu_tanh" else
                      sweep_labels()[name][0].replace("silu", "swish")) + "_" + d
            if kernel not in kernels:
                print(f"{name:<12} {d:<9} no explicit-SIMD kernel on this target")
                continue
            t0 = time.perf_counter()
            differ, outside, worst, x = compare(name, d)
            tail = (f"max {worst} ULP apart, at x = {np.float32(x)!r}; {outside} outside "
                    f"2^-32 <= |x| < 2^8" if differ else "bitwise equal")
            print(f"{name:<12} {d:<9} {differ:>11d} of 2^32 outputs differ: {tail}"
                  f"   [{time.perf_counter() - t0:.0f} s]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
