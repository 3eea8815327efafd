"""Quick ns/element of the exponential family vs NumPy/SciPy (median of repeats).

    python tools/bench_exp.py [n] [threads]
"""
import sys
import time

import numpy as np
from scipy.special import expit

import fastact as fa


def med(f, reps=30):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 18
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
for dt in (np.float32, np.float64):
    x = (np.random.default_rng(0).standard_normal(n) * 3).astype(dt)
    out = np.empty_like(x)
    g = np.ones_like(x)
    numpy_ref = {
        "sigmoid": lambda: expit(x, out=out),
        "logsigmoid": lambda: np.negative(np.logaddexp(0, -x), out=out),
        "tanh": lambda: np.tanh(x, out=out),
        "tanhshrink": lambda: np.subtract(x, np.tanh(x), out=out),
        "elu": lambda: np.where(x > 0, x, np.expm1(x)),
        "selu": lambda: 1.0507 * np.where(x > 0, x, 1.6733 * np.expm1(x)),
        "celu": lambda: np.where(x > 0, x, np.expm1(x)),
        "softplus": lambda: np.logaddexp(0, x, out=out),
        "silu": lambda: np.divide(x, 1 + np.exp(-x), out=out),
        "swish": lambda: np.divide(x, 1 + np.exp(-x), out=out),
    }
    print(f"{np.dtype(dt).name}, n = {n}, {threads} thread(s): ns/element")
    print(f"{'name':<11} {'fastact':>8} {'bwd':>8} {'numpy':>8} {'speedup':>8}")
    with fa.num_threads(threads):
        for name, ref in numpy_ref.items():
            f = getattr(fa, name)
            b = getattr(fa, name + "_backward")
            tf = med(lambda: f(x, out=out))
            tb = med(lambda: b(g, x=x, out=out))
            tn = med(ref, 10)
            print(f"{name:<11} {tf / n * 1e9:8.3f} {tb / n * 1e9:8.3f} {tn / n * 1e9:8.3f} "
                  f"{tn / tf:7.1f}x")
