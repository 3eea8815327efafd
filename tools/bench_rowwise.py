"""Row-wise family side by side: fastact, PyTorch and SciPy in one run, the
libraries interleaved call by call (a busy machine slows all of them alike),
medians of per-call times in µs, and the ratios per round (median).

    python tools/bench_rowwise.py                        # the issue's table
    python tools/bench_rowwise.py --ops softmax --dir forward --shapes 4096x1024
    python tools/bench_rowwise.py --dtypes float64 --threads 1 --rounds 15

Every library writes into a preallocated output where its API allows (fastact
and torch ``out=``); SciPy allocates.  SciPy is single-threaded: its column is
measured on 1 thread only.  ``x torch`` / ``x SciPy``: how many times faster
fastact is (> 1: faster).  Shapes ``RxC`` are along the last axis, ``RxC:0``
along axis 0.  1-thread times are also taken as thread CPU time
(``time.thread_time``) when ``--cpu-time`` is given: less noise from other
processes on a shared machine.
"""

import argparse
import statistics
import time

import numpy as np

import fastact
import fastact._dispatch as D

try:
    import torch
except ImportError:
    torch = None
try:
    import scipy.special as scipy_special
except ImportError:
    scipy_special = None

SHAPES = ["64x10", "64x1000", "4096x1024", "256x32000"]


def parse_shape(text):
    shape, _, axis = text.partition(":")
    return tuple(int(v) for v in shape.split("x")), int(axis) if axis else -1


def data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 4).astype(dtype)


def calls(op, direction, shape, axis, dtype):
    """{library: no-argument callable} for one case."""
    x = data(shape, dtype, 0)
    dim = axis % len(shape)
    out = {}
    if direction == "forward":
        o = np.empty_like(x)
        f = getattr(fastact, op)
        out["fastact"] = lambda: f(x, axis=axis, out=o)
        if torch is not None:
            tx = torch.from_numpy(x)
            to = torch.empty_like(tx)
            if op == "softmin":  # torch.nn.functional.softmin allocates: the same steps into out=
                tn = torch.empty_like(tx)
                out["torch"] = lambda: torch.softmax(torch.neg(tx, out=tn), dim, out=to)
            else:
                tf = getattr(torch, op)
                out["torch"] = lambda: tf(tx, dim, out=to)
        if scipy_special is not None:
            if op == "softmin":
                out["scipy"] = lambda: scipy_special.softmax(-x, axis=axis)
            else:
                sf = getattr(scipy_special, op)
                out["scipy"] = lambda: sf(x, axis=axis)
        return out
    y = getattr(fastact, op)(x, axis=axis)
    g = data(shape, dtype, 1)
    o = np.empty_like(g)
    fb = getattr(fastact, op + "_backward")
    out["fastact"] = lambda: fb(g, y=y, axis=axis, out=o)
    if torch is not None:
        tg, ty, to = torch.from_numpy(g), torch.from_numpy(y), torch.empty_like(torch.from_numpy(g))
        tdt = torch.float32 if dtype == np.float32 else torch.float64
        A = torch.ops.aten
        if op == "log_softmax":
            out["torch"] = lambda: A._log_softmax_backward_data.out(tg, ty, dim, tdt, out=to)
        else:  # softmin's backward is softmax's with the sign flipped: torch has no other
            out["torch"] = lambda: A._softmax_backward_data.out(tg, ty, dim, tdt,
                                                                grad_input=to)
    return out


def time_case(fns, threads, rounds, target_s, cpu_time):
    """{library: median µs per call}, {library: median ratio fastact/lib}."""
    fastact.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    clock = time.thread_time if (cpu_time and threads == 1) else time.perf_counter
    # calls per sample so that a sample takes ~target_s
    reps = {}
    for name, f in fns.items():
        f()
        t0 = time.perf_counter()
        f()
        dt = max(time.perf_counter() - t0, 1e-7)
        reps[name] = max(1, int(target_s / dt))
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, f in fns.items():
            k = reps[name]
            t0 = clock()
            for _ in range(k):
                f()
            samples[name].append((clock() - t0) / k * 1e6)
    med = {name: statistics.median(s) for name, s in samples.items()}
    ratio = {name: statistics.median(b / a for a, b in zip(samples["fastact"], s))
             for name, s in samples.items() if name != "fastact"}
    return med, ratio


def _cells(med, ratio):
    def t(name):
        return "—" if name not in med else f"{med[name]:,.1f}"

    def r(name):
        return "—" if name not in ratio else f"{ratio[name]:.2f}x"

    return [t("fastact"), t("torch"), t("scipy"), r("torch"), r("scipy")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", default="softmax,log_softmax,softmin")
    p.add_argument("--dir", default="forward,backward")
    p.add_argument("--shapes", default=",".join(SHAPES))
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--sample-ms", type=float, default=20.0)
    p.add_argument("--cpu-time", action="store_true")
    p.add_argument("--no-scipy", action="store_true")
    a = p.parse_args(argv)
    print(f"# fastact {fastact.__version__} (target {D.current()}), "
          f"torch {torch.__version__ if torch else '-'}; {a.rounds} rounds, "
          "µs per call (median)")
    print("| op | dir | shape | dtype | thr | fastact | torch | SciPy | x torch | x SciPy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for op in a.ops.split(","):
        for direction in a.dir.split(","):
            for text in a.shapes.split(","):
                shape, axis = parse_shape(text)
                for dt in a.dtypes.split(","):
                    dtype = np.dtype(dt).type
                    for threads in [int(t) for t in a.threads.split(",")]:
                        fns = calls(op, direction, shape, axis, dtype)
                        if a.no_scipy or threads != 1:
                            fns.pop("scipy", None)
                        med, ratio = time_case(fns, threads, a.rounds,
                                               a.sample_ms / 1e3, a.cpu_time)

                        print(f"| {op} | {direction} | {text} | {dt} | {threads} | "
                              + " | ".join(_cells(med, ratio)) + " |", flush=True)


if __name__ == "__main__":
    main()
