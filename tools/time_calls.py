"""Side-by-side timings the README quotes that no other tool takes.

Elementwise calls, one thread, thread CPU time, interleaved call by call
(``name`` is the forward into ``out=``, ``name'`` the backward from x with
grad 1), N(0, 3) float32:

    python tools/time_calls.py sigmoid silu "softplus'" "logsigmoid'"

and the same in alternated processes, one per source tree (each built in
place; the fastact imported is that tree's), ``--repeat`` times, for a
before/after on a machine whose process-to-process swings exceed the change:

    python tools/time_calls.py sigmoid silu --trees /path/before,. --repeat 3

Memory-sized calls into ``out=``, each name timed alone (30 calls in a row
after warm-up, so that no other call's output decides what the caches hold),
wall time, with NumPy's ``np.maximum(x, 0, out=out)`` as ``numpy_relu``:

    python tools/time_calls.py relu leaky_relu numpy_relu "relu'" --alone \
        --size 16777216 --dtypes float32,float64

The in-place forms the same way (``name_(x)``, ``name_backward_(g, x=x)``),
the operand restored from a copy before each call, untimed:

    python tools/time_calls.py sigmoid tanh "sigmoid'" numpy_relu --in-place \
        --size 16777216 --dtypes float32,float64 --trees /path/before,. --repeat 3

Row-wise calls, 2 threads against 1, wall time (what a second thread buys),
interleaved, into ``out=``:

    python tools/time_calls.py --rows softmax log_softmax \\
        --shapes 1x65536,1x1048576,2x1048576,8x32000 --dtypes float32,float64

``--data normal|normal3|uniform30|tail`` picks x's distribution (N(0, 1),
the report's 3 N(0, 1), uniform on [-30, 30], |x| uniform in [4, 12] with a
random sign), and ``torch_<name>`` / ``"torch_<name>'"`` time PyTorch's ATen
kernel (into out=, one thread) in the same rounds:

    python tools/time_calls.py gelu torch_gelu "gelu'" "torch_gelu'" --data uniform30

Medians in ns/element.  (Elementwise: 200 rounds; rows: 31.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("FASTACT_TIME_ROOT") or os.path.dirname(HERE))

import numpy as np  # noqa: E402

import fastact  # noqa: E402


# --data: x's distribution (the report's is 3 N(0, 1)); wide data takes the
# kernels' rare paths (gelu: |x| >= 3.9375; results in the subnormal range)
DATA = {
    "normal3": lambda rng, n: rng.standard_normal(n) * 3,
    "normal": lambda rng, n: rng.standard_normal(n),
    "uniform30": lambda rng, n: rng.uniform(-30, 30, n),
    "tail": lambda rng, n: np.where(rng.random(n) < 0.5, -1, 1) * rng.uniform(4, 12, n),
}


def _torch_call(base, x, out, g, backward):
    """PyTorch's kernel for ``torch_<base>`` (``'``: its backward), into out,
    one thread (what the report calls for these)."""
    import torch
    torch.set_num_threads(1)
    tx, to, tg = torch.from_numpy(x), torch.from_numpy(out), torch.from_numpy(g)
    A = torch.ops.aten
    if backward:
        fb = getattr(A, base + "_backward").grad_input
        return lambda: fb(tg, tx, grad_input=to)
    f = getattr(A, base).out
    return lambda: f(tx, out=to)


def elementwise(names, size, rounds, dtype=np.float32, alone=False, in_place=False,
                data="normal3"):
    """{name: median ns/element} of the calls interleaved round by round
    (thread CPU time), or with ``alone`` each name's calls in a row (wall).
    ``in_place`` (with ``alone``): the in-place form (``name_(x)``, the
    backward ``name_backward_(g, x=x)``), its operand restored from a copy
    before each call, outside the timing.  ``torch_<name>`` (into out= only):
    PyTorch's ATen kernel of that name, e.g. torch_gelu, "torch_gelu'"."""
    rng = np.random.default_rng(0)
    x = DATA[data](rng, size).astype(dtype)
    out, g = np.empty_like(x), np.ones_like(x)
    work = np.empty_like(x)         # in place: the operand each call overwrites
    calls, restore = {}, {}
    for name in names:
        base = name.rstrip("'")
        if name.startswith("torch_"):
            if in_place:
                raise SystemExit(f"{name}: into out= only")
            calls[name] = _torch_call(base[len("torch_"):], x, out, g, name.endswith("'"))
            src = x
        elif name == "numpy_relu":
            calls[name] = ((lambda: np.maximum(work, 0, out=work)) if in_place
                           else (lambda: np.maximum(x, 0, out=out)))
            src = x
        elif name.endswith("'"):
            fb = getattr(fastact, base + "_backward" + ("_" if in_place else ""))
            calls[name] = ((lambda fb=fb: fb(work, x=x)) if in_place
                           else (lambda fb=fb: fb(g, x=x, out=out)))
            src = g
        else:
            f = getattr(fastact, base + ("_" if in_place else ""))
            calls[name] = (lambda f=f: f(work)) if in_place else (lambda f=f: f(x, out=out))
            src = x
        if in_place:
            restore[name] = lambda src=src: np.copyto(work, src)
    for name, call in calls.items():
        for _ in range(20):
            if in_place:
                restore[name]()
            call()
    times = {name: [] for name in calls}
    with fastact.num_threads(1):
        if alone or in_place:
            for name, call in calls.items():
                for _ in range(3):
                    if in_place:
                        restore[name]()
                    call()
                for _ in range(rounds):
                    if in_place:
                        restore[name]()
                    t = time.perf_counter_ns()
                    call()
                    times[name].append(time.perf_counter_ns() - t)
            return {name: float(np.median(v)) / size for name, v in times.items()}
        for _ in range(rounds):
            for name, call in calls.items():
                t = time.thread_time_ns()
                call()
                times[name].append(time.thread_time_ns() - t)
    return {name: float(np.median(v)) / size for name, v in times.items()}


def rows(ops, shapes, dtypes, rounds):
    """[(op, shape, dtype, 1-thread ns/el, 2-thread ns/el)], wall time."""
    rng = np.random.default_rng(0)
    result = []
    for dtype in dtypes:
        for shape in shapes:
            x = (rng.standard_normal(shape) * 4).astype(dtype)
            out = np.empty_like(x)
            for op in ops:
                f = getattr(fastact, op)
                times = {1: [], 2: []}
                for _ in range(rounds):
                    for t in (1, 2):
                        with fastact.num_threads(t):
                            a = time.perf_counter()
                            f(x, out=out)
                            times[t].append(time.perf_counter() - a)
                result.append((op, shape, dtype, *(float(np.median(times[t])) / x.size * 1e9
                                                   for t in (1, 2))))
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="+")
    p.add_argument("--size", type=int, default=262144)
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--trees", help="comma-separated source trees, run in alternation")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rows", action="store_true", help="row-wise: 2 threads against 1")
    p.add_argument("--shapes", default="1x65536,1x1048576")
    p.add_argument("--dtypes", default="float32")
    p.add_argument("--alone", action="store_true",
                   help="elementwise: each name's calls in a row, wall time")
    p.add_argument("--in-place", action="store_true",
                   help="elementwise, as --alone: the in-place forms (the operand restored "
                        "before each call, untimed)")
    p.add_argument("--data", choices=sorted(DATA), default="normal3",
                   help="elementwise: x's distribution (default the report's, 3 N(0, 1))")
    args = p.parse_args(argv)
    if args.rows:
        shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
        print("| op | shape | dtype | 1 thread | 2 threads | 2 against 1 |")
        print("|---|---|---|---|---|---|")
        for op, shape, dtype, t1, t2 in rows(args.names, shapes, args.dtypes.split(","),
                                             args.rounds or 31):
            print(f"| {op} | {'x'.join(map(str, shape))} | {dtype} | {t1:.3f} | {t2:.3f} "
                  f"| {t1 / t2:.2f}x |")
        return 0
    if args.trees:
        cmd = [sys.executable, os.path.abspath(__file__), *args.names, "--size", str(args.size),
               "--rounds", str(args.rounds or (30 if args.alone else 200)),
               "--dtypes", args.dtypes, "--data", args.data] + (
                   ["--alone"] if args.alone else []) + (["--in-place"] if args.in_place else [])
        for i in range(args.repeat):
            for tree in args.trees.split(","):
                env = dict(os.environ, FASTACT_TIME_ROOT=os.path.abspath(tree))
                r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                print(f"run {i + 1} {tree}: {r.stdout.strip()}", flush=True)
        return 0
    for dtype in args.dtypes.split(","):
        alone = args.alone or args.in_place
        result = elementwise(args.names, args.size, args.rounds or (30 if alone else 200),
                             np.dtype(dtype), alone, args.in_place, args.data)
        print((dtype + ": " if "," in args.dtypes else "")
              + " ".join(f"{name} {v:.3f}" for name, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
