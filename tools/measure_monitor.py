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

Every variant works on the same array (restored from the same pristine copy
before each call), so cache placement favours none.  Each call is timed by
the CPU time of the calling thread (``time.thread_time``), not the wall
clock: on a loaded machine a 3 ms call (16 M elements) is almost never left
uninterrupted, and the time the scheduler gave to other processes is not the
kernel's.  (What CPU time cannot remove: caches and memory bandwidth shared
with the other processes; interleaving spreads that over all variants.)
The table gives the median ns per element, each variant's median relative to
``plain`` (the overhead) and the same for the 10th percentiles.
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
    """(x, its pristine copy, {variant: call}): every variant works on the same
    memory (the channels variant on a reshaped view), so none is favoured by
    where its array happens to lie."""
    x0, _, weight = B.make_inputs(name, n, dtype)
    x = x0.copy()
    calls = {}
    for variant in ("plain", "monitor", "channels") + (("numpy",) if name == "relu" else ()):
        xv = x.reshape(-1, FEATURES) if variant == "channels" and name != "prelu" else x
        m = fastact.DeadUnitMonitor(per_channel=variant == "channels")
        if name == "prelu":
            call = ((lambda xv=xv: fastact.prelu_(xv, weight)) if variant == "plain" else
                    (lambda xv=xv, m=m: fastact.prelu_(xv, weight, monitor=m)))
        elif variant == "numpy":
            def call(xv=xv):
                np.maximum(xv, 0, out=xv)
                return np.count_nonzero(xv == 0)
        else:
            f_ = getattr(fastact, name + "_")
            call = (lambda xv=xv, f_=f_: f_(xv)) if variant == "plain" else (
                lambda xv=xv, f_=f_, m=m: f_(xv, monitor=m))
        calls[variant] = call
    return x, x0, calls


def measure(name: str, n: int, dtype, rounds: int, budget: float):
    """{variant: [CPU ns per element of each call]}, variants interleaved."""
    x, pristine, calls = variants(name, n, dtype)
    spent = {v: [] for v in calls}
    pc, tt = time.perf_counter, time.thread_time
    start = pc()
    for r in range(rounds):
        order = list(calls.items())
        if r % 2:
            order.reverse()
        for v, call in order:
            np.copyto(x, pristine)
            c0 = tt()
            call()
            spent[v].append((tt() - c0) * 1e9 / n)
        if pc() - start > budget and r >= 20:
            break
    return spent


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
    print("| activation | dtype | size | plain ns/el | monitor | channels | numpy+count | calls |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.only.split(","):
        for dtype in args.dtypes.split(","):
            for size in args.sizes.split(","):
                n = parse_size(size)
                rounds = args.rounds if n <= 1 << 20 else max(40, args.rounds // 10)
                kept = measure(name, n, np.dtype(dtype), rounds, args.budget)
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
