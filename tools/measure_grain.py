"""Measure PARALLEL_GRAIN: the per-thread size above which splitting pays.

    python tools/measure_grain.py [activation ...]

For each activation (default: one or two per family present in the table) it
times the in-place forward with 1 thread and with all threads, forcing every
call to be split, over sizes from 4 K to 1 M elements (float32), and prints
the smallest size at which all threads beat one thread by 10% or more.
Row-wise activations are timed on rows of 1024 (they split rows, not elements).
PARALLEL_GRAIN in fastact/_table.py is that size divided by the thread count.
"""

import sys
import timeit

import numpy as np

import fastact
from fastact import _kernels

SIZES = [1 << k for k in range(12, 21)]  # 4 K .. 1 M elements


def time_call(f, x, threads):
    num = max(20, 20_000_000 // x.size)
    with fastact.num_threads(threads):
        return min(timeit.repeat(lambda: f(x), number=num, repeat=7)) / num


def main(names):
    threads = fastact.get_num_threads()
    if threads < 2:
        sys.exit("needs at least 2 threads (set FASTACT_NUM_THREADS)")
    saved = {name: k.grain for name, k in _kernels.KERNELS.items()}
    for k in _kernels.KERNELS.values():
        k.grain = 1  # split every call, to see what splitting costs
    try:
        for name in names:
            f = getattr(fastact, name + "_")
            first = None
            print(f"{name} ({fastact.ACTIVATIONS[name].family}), {threads} threads:")
            for n in SIZES:
                shape = (n // 1024, 1024) if fastact.ACTIVATIONS[name].family == "rowwise" else n
                x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
                t1, tn = time_call(f, x, 1), time_call(f, x, threads)
                print(f"  {n:8d}  1 thread {t1 * 1e6:8.2f} us  {threads} threads "
                      f"{tn * 1e6:8.2f} us  speed-up {t1 / tn:5.2f}")
                if first is None and t1 / tn >= 1.1:
                    first = n
            print(f"  -> split from {first} elements: grain ~ {first and first // threads}"
                  " per thread\n")
    finally:
        for name, g in saved.items():
            _kernels.KERNELS[name].grain = g


if __name__ == "__main__":
    default = [n for n in ("relu", "hardswish", "sigmoid", "gelu", "softmax")
               if n in fastact.ACTIVATIONS]
    main(sys.argv[1:] or default)
