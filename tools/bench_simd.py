"""Side-by-side timing of the explicit-SIMD float32 kernels (pyx/simd/) and the
Cython formula they stand in for (the same target's kernel with
``fastact._dispatch.explicit_simd(False)``), and PyTorch's CPU kernels when
torch is installed: ns per element, 1 thread, ``out=`` preallocated, the
median of many calls, the variants interleaved call by call so that a busy
machine slows all of them alike.

    python tools/bench_simd.py                          # every SIMD kernel, N(0, 3)
    FASTACT_CPU=avx2 python tools/bench_simd.py sigmoid tanh --data u30 tailneg
    python tools/bench_simd.py --size 4096 --reps 2000
    python tools/bench_simd.py sigmoid tanh silu --dtype float64

Data: n3 = N(0, 3) (the benchmarks' data), u30 = U(-30, 30), tailneg =
U(-200, -90) (subnormal and zero results), tailpos = U(20, 200).
"""

import argparse
import os
import sys
import time

import numpy as np

import fastact as fa
import fastact._dispatch as D

NAMES = ["sigmoid", "tanh", "silu", "elu", "selu", "celu", "softplus", "logsigmoid",
         "gelu_tanh", "mish", "gelu"]
CALLS = {"gelu_tanh": ("gelu", {"approximate": "tanh"})}


def data(kind, n, rng, dtype=np.float32):
    return {"n3": lambda: rng.standard_normal(n) * 3,
            "u30": lambda: rng.uniform(-30, 30, n),
            "tailneg": lambda: rng.uniform(-200, -90, n),
            "tailpos": lambda: rng.uniform(20, 200, n)}[kind]().astype(dtype)


def torch_calls(name, x, g, out):
    """(forward, backward) callables of torch's kernels, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    A = torch.ops.aten
    tx, tg, to = torch.from_numpy(x), torch.from_numpy(g), torch.from_numpy(out)
    if name in ("sigmoid", "tanh"):
        ty = getattr(A, name)(tx)
        return (lambda: getattr(A, name).out(tx, out=to),
                lambda: getattr(A, name + "_backward").grad_input(tg, ty, grad_input=to))
    if name == "silu":
        return (lambda: A.silu.out(tx, out=to),
                lambda: A.silu_backward.grad_input(tg, tx, grad_input=to))
    if name == "gelu":
        return (lambda: A.gelu.out(tx, out=to),
                lambda: A.gelu_backward.grad_input(tg, tx, grad_input=to))
    if name == "gelu_tanh":
        return (lambda: A.gelu.out(tx, approximate="tanh", out=to),
                lambda: A.gelu_backward.grad_input(tg, tx, approximate="tanh", grad_input=to))
    if name == "mish":
        return (lambda: A.mish.out(tx, out=to), lambda: A.mish_backward(tg, tx))
    if name == "softplus":
        return (lambda: A.softplus.out(tx, 1, 20, out=to),
                lambda: A.softplus_backward.grad_input(tg, tx, 1, 20, grad_input=to))
    if name in ("elu", "selu", "celu"):
        alpha, scale = {"elu": (1.0, 1.0), "celu": (1.0, 1.0),
                        "selu": (1.6732632423543772, 1.0507009873554805)}[name]
        return (lambda: A.elu.out(tx, alpha, scale, 1.0, out=to),
                lambda: A.elu_backward.grad_input(tg, alpha, scale, 1.0, False, tx,
                                                  grad_input=to))
    if name == "logsigmoid":
        buf = torch.empty(0, dtype=tx.dtype)
        return (lambda: A.log_sigmoid_forward.output(tx, output=to, buffer=buf), None)
    return None


def measure(variants, reps):
    """Median ns per call of each callable, interleaved."""
    times = {k: [] for k in variants}
    for f in variants.values():
        if f is not None:
            f()
    for _ in range(reps):
        for k, f in variants.items():
            if f is None:
                continue
            t0 = time.perf_counter_ns()
            f()
            times[k].append(time.perf_counter_ns() - t0)
    return {k: (float(np.median(v)) if v else None) for k, v in times.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=NAMES)
    ap.add_argument("--data", nargs="+", default=["n3"])
    ap.add_argument("--size", type=int, default=1 << 18)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--no-torch", action="store_true",
                    help="leave torch out (its calls, interleaved, slowed the subnormal-heavy "
                         "tail data of the other variants several-fold on Zen 4)")
    a = ap.parse_args(argv)
    fa.set_num_threads(1)
    rng = np.random.default_rng(0)
    n = a.size
    dtype = np.dtype(a.dtype)
    g = rng.standard_normal(n).astype(dtype)
    out = np.empty(n, dtype)
    simd = D.explicit_simd(dtype=a.dtype)
    print(f"target {D.current()}, {n} {a.dtype}, 1 thread, out=, median of {a.reps} "
          f"interleaved calls; ns/element (formula = the Cython kernel of this target)")
    print(f"{'function':<11}{'dir':<5}{'data':<8}{'formula':>9}{'SIMD':>8}{'x':>7}"
          f"{'torch':>8}{'torch/SIMD':>11}")
    for name in a.names:
        fname, params = CALLS.get(name, (name, {}))
        F = getattr(fa, fname)
        B = getattr(fa, fname + "_backward")
        for kind in a.data:
            x = data(kind, n, rng, dtype)
            tc = None if a.no_torch else torch_calls(name, x, g, out)
            calls = (("fwd", lambda F=F, x=x, params=params: F(x, out=out, **params)),
                     ("bwd", lambda B=B, x=x, params=params: B(g, x=x, out=out, **params)))
            for i, (d, call) in enumerate(calls):
                kernel = (name.replace("silu", "swish") + "_" +
                          ("forward" if d == "fwd" else "backward"))
                has = kernel in simd

                def formula(call=call):
                    D.explicit_simd(False)
                    try:
                        call()
                    finally:
                        D.explicit_simd(True)

                r = measure({"formula": formula, "simd": call if has else None,
                             "torch": tc[i] if tc else None}, a.reps)
                ns = {k: (v / n if v is not None else None) for k, v in r.items()}
                s = ns["simd"]
                fmt = lambda v: f"{v:8.3f}" if v is not None else f"{'-':>8}"  # noqa: E731
                print(f"{name:<11}{d:<5}{kind:<8}{ns['formula']:9.3f}{fmt(s)}"
                      f"{(ns['formula'] / s if s else float('nan')):7.2f}{fmt(ns['torch'])}"
                      f"{(ns['torch'] / s if s and ns['torch'] else float('nan')):11.2f}",
                      flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
