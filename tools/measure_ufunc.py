"""Keyword API against the ufunc on the same kernels (README, "Ufuncs or the
keyword API?").

    python tools/measure_ufunc.py              # 256 K and 4 M float32, 1 and 2 threads

Best of 7 repeats; ``out=`` (no allocation) and new-array forms; softmax as the
keyword function and as the gufunc.
"""

import timeit

import numpy as np

import fastact
import fastact.ufunc as U

CASES = (("relu", {}, ()), ("sigmoid", {}, ()), ("gelu", {}, ()),
         ("leaky_relu", {"negative_slope": 0.1}, (0.1,)))


def best(f, n, *args, **kwargs):
    """Microseconds per call of f(*args, **kwargs), best of 7 repeats."""
    return min(timeit.repeat(lambda: f(*args, **kwargs), number=n, repeat=7)) / n * 1e6


def main():
    for size in (1 << 18, 1 << 22):
        x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
        out = np.empty_like(x)
        n = 200 if size < 1 << 20 else 20
        for threads in (1, 2):
            with fastact.num_threads(threads):
                for name, kw, uargs in CASES:
                    k, u = getattr(fastact, name), getattr(U, name)
                    tk = best(k, n, x, out=out, **kw)
                    tu = best(u, n, x, *uargs, out=out)
                    tkn = best(k, n, x, **kw)
                    tun = best(u, n, x, *uargs)
                    print(f"{size:>8} threads={threads} {name:<11} out=: keyword {tk:9.1f} us, "
                          f"ufunc {tu:9.1f} us ({tu / tk:4.2f}x); new array: keyword "
                          f"{tkn:9.1f} us, ufunc {tun:9.1f} us ({tun / tkn:4.2f}x)")
                rows = x.reshape(-1, 1024)
                print(f"{size:>8} threads={threads} softmax     keyword "
                      f"{best(fastact.softmax, n, rows):9.1f} us, gufunc "
                      f"{best(U.softmax, n, rows):9.1f} us")


if __name__ == "__main__":
    main()
