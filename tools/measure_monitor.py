"""What a DeadUnitMonitor costs, measured so that a busy machine cannot fake it.

    python tools/measure_monitor.py                      # all four, both dtypes, 256K and 16M
    python tools/measure_monitor.py --only relu --sizes 256K --rounds 800

For each activation with a flat piece (relu, relu6, leaky_relu, prelu), dtype
and size, one thread, in place (the input restored before every call, outside
the timing), the variants are called in turn, round after round:

* ``plain``     ``relu_(x)``
* ``monitor``   ``relu_(x, monitor=m)``
* ``channels``  ``relu_(x, monitor=m)`` with ``per_channel=True``, x as
  (n/256, 256) (features innermost); prelu keeps its (N, 16, 256) layout
* ``numpy``     (relu only) ``np.maximum(x, 0, out=x)`` plus
  ``np.count_nonzero(x == 0)``: the two passes the monitor saves

A sample counts only if the calling thread ran for at least 95% of its wall
time (``time.thread_time``): on a loaded machine the others are time the
scheduler gave to other processes.  The table gives the median of the kept
samples in ns per element, the 10th percentile, and each variant's median
relative to ``plain`` (the overhead); "kept" says how many samples survived.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import fastact  # noqa: E402
from fastact import _baselines as B  # noqa: E402
from fastact._report import parse_size, size_label  # noqa: E402

FEATURES = 256


def variants(name: str, n: int, dtype):
    """name -> (call, array it overwrites, pristine copy)."""
    x0, _, weight = B.make_inputs(name, n, dtype)
    out = {}
    for variant in ("plain", "monitor", "channels") + (("numpy",) if name == "relu" else ()):
        x = x0.copy()
        if variant == "channels" and name != "prelu":
            x = x.reshape(-1, FEATURES)
        m = fastact.DeadUnitMonitor(per_channel=variant == "channels")
        if name == "prelu":
            call = ((lambda x=x: fastact.prelu_(x, weight)) if variant == "plain" else
                    (lambda x=x, m=m: fastact.prelu_(x, weight, monitor=m)))
        elif variant == "numpy":
            def call(x=x):
                np.maximum(x, 0, out=x)
                return np.count_nonzero(x == 0)
        else:
            f_ = getattr(fastact, name + "_")
            call = (lambda x=x, f_=f_: f_(x)) if variant == "plain" else (
                lambda x=x, f_=f_, m=m: f_(x, monitor=m))
        out[variant] = (call, x, x.copy())
    return out


def measure(name: str, n: int, dtype, rounds: int, budget: float):
    cases = variants(name, n, dtype)
    kept = {v: [] for v in cases}
    pc, tt = time.perf_counter, time.thread_time
    start = pc()
    for r in range(rounds):
        order = list(cases.items())
        if r % 2:
            order.reverse()
        for v, (call, x, pristine) in order:
            np.copyto(x, pristine)
            c0, t0 = tt(), pc()
            call()
            t1, c1 = pc(), tt()
            if c1 - c0 >= 0.95 * (t1 - t0):
                kept[v].append((t1 - t0) * 1e9 / n)
        if pc() - start > budget and r >= 20:
            break
    return kept


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="relu,relu6,leaky_relu,prelu")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--sizes", default="256K,16M")
    p.add_argument("--rounds", type=int, default=400)
    p.add_argument("--budget", type=float, default=20.0,
                   help="seconds per (activation, dtype, size) at most (default 20)")
    args = p.parse_args(argv)
    fastact.set_num_threads(1)
    print(f"fastact {fastact.__version__}, target {fastact._dispatch.current()}, 1 thread, "
          f"in place; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| activation | dtype | size | plain ns/el | monitor | channels | numpy+count | kept |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.only.split(","):
        for dtype in args.dtypes.split(","):
            for size in args.sizes.split(","):
                n = parse_size(size)
                rounds = args.rounds if n <= 1 << 20 else max(40, args.rounds // 10)
                kept = measure(name, n, np.dtype(dtype), rounds, args.budget)
                if any(len(v) < 5 for v in kept.values()):
                    print(f"| {name} | {dtype} | {size_label(n)} | too few uninterrupted "
                          f"samples ({min(len(v) for v in kept.values())}) |")
                    continue
                med = {v: statistics.median(s) for v, s in kept.items()}
                p10 = {v: statistics.quantiles(s, n=10)[0] for v, s in kept.items()}
                base = med["plain"]

                def cell(v, med=med, p10=p10, base=base):
                    if v not in med:
                        return "-"
                    return (f"{med[v]:.3f} ({med[v] / base - 1:+.1%}; "
                            f"p10 {p10[v] / p10['plain'] - 1:+.1%})")

                print(f"| {name} | {dtype} | {size_label(n)} | {base:.3f} (p10 {p10['plain']:.3f}) "
                      f"| {cell('monitor')} | {cell('channels')} | {cell('numpy')} "
                      f"| {min(len(v) for v in kept.values())} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
