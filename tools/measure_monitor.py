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

Before/after a change, on a machine too noisy for two separate runs to agree:

    python tools/measure_monitor.py --trees /path/before,. --repeat 4 --sizes 256K,16M

runs the measurement in each source tree (each built in place; the fastact
imported is that tree's) in alternating processes, ``--repeat`` times, and
prints per case and tree the medians over the runs: plain ns/el (p10) and the
per-call monitor's overhead over plain (of the medians, of the p10s, and each
run's).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# --trees runs this script once per tree with FASTACT_MEASURE_ROOT set.
sys.path.insert(0, os.environ.get("FASTACT_MEASURE_ROOT") or os.path.dirname(HERE))

import fastact  # noqa: E402

try:
    from fastact.bench import baselines as B  # noqa: E402
    from fastact.bench.report import parse_size, size_label  # noqa: E402
except ImportError:   # --trees with a tree from before fastact/bench/ (84fff78)
    from fastact._report import parse_size, size_label  # noqa: E402

    from fastact import _baselines as B  # noqa: E402

FEATURES = 256


def variants(name: str, n: int, dtype):
    """(x, its pristine copy, {variant: call}): every variant works on the same
    memory (the channels variant on a reshaped view), so none is favoured by
    where its array happens to lie."""
    x0, _, weight = B.make_inputs(name, n, dtype)
    x = x0.copy()
    calls = {}
    for variant in ("plain", "monitor", "channels") + (("numpy",) if name == "relu" else ()):
        xv = (x[:x.size // FEATURES * FEATURES].reshape(-1, FEATURES)
              if variant == "channels" and name != "prelu" else x)
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
    p.add_argument("--json", action="store_true",
                   help="print {case: {variant: [median, p10]}} instead of the table")
    p.add_argument("--trees", help="comma-separated source trees to compare (see above)")
    p.add_argument("--repeat", type=int, default=3, help="runs per tree with --trees")
    p.add_argument("--overhead", default="monitor", choices=["monitor", "channels"],
                   help="with --trees: the variant whose overhead over plain is tabled")
    p.add_argument("--features", type=int, default=256,
                   help="the channels variant's width (features innermost; default 256)")
    args = p.parse_args(argv)
    if args.trees:
        return compare_trees(args)
    global FEATURES
    FEATURES = args.features
    fastact.set_num_threads(1)
    results = {}
    if not args.json:
        print(f"fastact {fastact.__version__}, target {fastact._dispatch.current()}, 1 thread, "
              f"in place; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print("| activation | dtype | size | plain ns/el | monitor | channels | numpy+count "
              "| calls |")
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
                results[f"{name} {dtype} {size_label(n)}"] = {
                    v: [med[v], p10[v]] for v in med}
                if args.json:
                    continue

                def cell(v, med=med, p10=p10, base=base):
                    if v not in med:
                        return "-"
                    return (f"{med[v]:.3f} ({med[v] / base - 1:+.1%}; "
                            f"p10 {p10[v] / p10['plain'] - 1:+.1%})")

                print(f"| {name} | {dtype} | {size_label(n)} | {base:.3f} (p10 {p10['plain']:.3f}) "
                      f"| {cell('monitor')} | {cell('channels')} | {cell('numpy')} "
                      f"| {min(len(v) for v in kept.values())} |", flush=True)
    if args.json:
        print(json.dumps(dict(results, _fastact=os.path.dirname(fastact.__file__))))
    return 0


def compare_trees(args) -> int:
    """The measurement in each tree, in alternating processes, args.repeat times."""
    trees = [os.path.abspath(t) for t in args.trees.split(",")]
    cmd = [sys.executable, os.path.abspath(__file__), "--json", "--only", args.only,
           "--dtypes", args.dtypes, "--sizes", args.sizes, "--rounds", str(args.rounds),
           "--budget", str(args.budget), "--features", str(args.features)]
    runs = {t: [] for t in trees}
    for r in range(args.repeat):
        for t in (trees if r % 2 == 0 else trees[::-1]):
            out = subprocess.run(cmd, env=dict(os.environ, FASTACT_MEASURE_ROOT=t),
                                 capture_output=True, text=True, check=True)
            runs[t].append(json.loads(out.stdout.strip().splitlines()[-1]))
            if os.path.dirname(runs[t][-1].pop("_fastact")) != t:
                raise SystemExit(f"{t}: the fastact imported is not this tree's (built in place?)")
    what = args.overhead
    print(f"{args.repeat} runs per tree, alternated; 1 thread, in place; CPU ns/el median "
          f"(p10) over the runs; {what} overhead over plain: of the medians / of the p10s "
          f"[each run's]" + (f"; channels: {args.features} features" if what == "channels"
                             else ""))
    print("| case | " + " | ".join(f"{t}: plain | {what} overhead" for t in trees) + " |")
    print("|---|" + "---|---|" * len(trees))
    med = statistics.median
    for case in runs[trees[0]][0]:
        cells = []
        for t in trees:
            pl = [x[case]["plain"] for x in runs[t]]
            mo = [x[case][what] for x in runs[t]]
            each = sorted(m[0] / p[0] - 1 for m, p in zip(mo, pl))
            pm, pp = med(v[0] for v in pl), med(v[1] for v in pl)
            mm, mp = med(v[0] for v in mo), med(v[1] for v in mo)
            cells.append(f"{pm:.3f} ({pp:.3f}) | {mm / pm - 1:+.1%} / {mp / pp - 1:+.1%} "
                         f"[{' '.join(f'{v:+.0%}' for v in each)}]")
        print(f"| {case} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
