"""Every kernel timed on two targets alternately in ONE process: the same
arrays at the same addresses, so only the targets' code differs (between
processes, where buffers land relative to each other moves memory-bound
kernels by 10-20%).  Thread CPU time, 256 K elements, 1 thread, out=; the
median over rounds of per-round medians; prints the ratio B/A per kernel
(the slowest first) and writes them to ab_<A>_<B>.json.

    python tools/ab_targets.py avx512 avx512 41   # the noise floor (A/A)
    python tools/ab_targets.py native avx512 41   # dispatch against native

For ``native``: build the same source with FASTACT_NATIVE=1 in a second
checkout and copy its fastact/_loops_native*.so next to this one's modules.
"""
import json
import sys
import time

import numpy as np

import fastact
import fastact._dispatch as D

A, B = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
fastact.set_num_threads(1)
n = 1 << 18
rng = np.random.default_rng(0)
def med(f, reps=9):
    ts = []
    for _ in range(reps):
        t0 = time.thread_time()
        f()
        ts.append(time.thread_time() - t0)
    return float(np.median(ts))


cases = {}
for dt in (np.float32, np.float64):
    x = rng.uniform(-6, 6, n).astype(dt)
    o = np.empty_like(x)
    g = np.ones_like(x)
    xr, orr, gr = x.reshape(-1, 1024), o.reshape(-1, 1024), g.reshape(-1, 1024)
    for name in fastact.ACTIVATIONS:
        d = dt.__name__
        if name in ("softmax", "log_softmax", "softmin"):
            f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
            y = f(xr)
            cases[f"{name} fwd {d}"] = lambda f=f, xr=xr, orr=orr: f(xr, out=orr)
            cases[f"{name} bwd {d}"] = lambda b=b, gr=gr, y=y, orr=orr: b(gr, y=y, out=orr)
            continue
        if name == "maxout":
            continue
        if name == "prelu":
            w = np.full(1, 0.25, dt)
            cases[f"prelu fwd {d}"] = lambda x=x, w=w, o=o: fastact.prelu(x, w, out=o)
            continue
        f = getattr(fastact, name)
        cases[f"{name} fwd {d}"] = lambda f=f, x=x, o=o: f(x, out=o)
        b = getattr(fastact, name + "_backward", None)
        try:
            b(g[:8], x=x[:8])
            cases[f"{name} bwd {d}"] = lambda b=b, g=g, x=x, o=o: b(g, x=x, out=o)
        except TypeError:
            pass
res = {}
for k, f in cases.items():
    ta, tb = [], []
    for r in range(rounds):
        for tgt, lst in ((A, ta), (B, tb)) if r % 2 == 0 else ((B, tb), (A, ta)):
            D.use(tgt)
            f()
            lst.append(med(f))
    res[k] = (np.median(ta) / n * 1e9, np.median(tb) / n * 1e9)
D.use(A)
r = np.array([b / a for a, b in res.values()])
print(f"{A} -> {B}: {len(r)} kernels, median ratio {np.median(r):.3f}, "
      f"within 3%: {(r <= 1.03).sum()}, within 5%: {(r <= 1.05).sum()}, max {r.max():.3f}")
for k, (a, b) in sorted(res.items(), key=lambda kv: -kv[1][1] / kv[1][0])[:12]:
    print(f"  {k:28s} {a:7.3f} {b:7.3f} {b / a:6.3f}")
with open(f"ab_{A}_{B}.json", "w") as fh:
    json.dump({k: list(v) for k, v in res.items()}, fh)
