"""Exhaustive float32 accuracy sweep: ``python -m fastact.accuracy``.

Runs every float32 bit pattern (2^32 inputs, NaNs skipped: NaN -> NaN is tested
in tests/) through each exponential-family kernel, forward and backward (grad =
1), and compares with the float64 reference the tests use too
(fastact/bench/references.py: NumPy/SciPy, independent of fastact's kernels).
Prints, per function, the maximum error in float32 ULPs at the reference
(fastact/bench/ulp.py's ulp_error: subnormal ULPs for subnormal references)
and the input where it occurs.  The functions are the table's exponential
rows and their choices (gelu_tanh = gelu(approximate="tanh")).  Chunks are
spread over all cores (processes); each process runs fastact single-threaded.
Takes minutes per function.

    python -m fastact.accuracy                       # everything
    python -m fastact.accuracy --forward sigmoid tanh
    python -m fastact.accuracy --chunks 16           # quick look: 16 of 256 chunks
    python -m fastact.accuracy --span -32 8          # every input with 2^-32 <= |x| < 2^8
    python -m fastact.accuracy --others              # NumPy, SciPy, torch on a sample

The latest table, with the exact commands, is in ACCURACY.md.

A chunk is 2^24 consecutive bit patterns: one sign, two binades.  --chunks
spreads its chunks evenly over the 256, so a small count can skip the binades
where a formula switches; --span takes every chunk of a magnitude range instead
(outside [2^-32, 2^8) every function here is in its trivial regime: saturated,
x itself, or its first Taylor term).
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import sys
import time

import numpy as np

from .references import limit_values
from .ulp import ulp_error

CHUNK_BITS = 24


@functools.cache
def sweep_labels():
    """The exponential family's rows and choices (gelu_tanh): label -> (fastact
    function, its non-default parameters)."""
    import fastact

    from .rows import variants
    return {label: (spec.name, params) for spec in fastact.ACTIVATIONS.values()
            if spec.family == "exponential" for label, params in variants(spec)}


def default_labels():
    """The labels swept by default: one per distinct computation (swish at its
    default beta = 1 runs silu's kernels with silu's parameters: swept once)."""
    import fastact

    seen, out = set(), []
    for label in sorted(sweep_labels()):
        name, params = sweep_labels()[label]
        spec = fastact.ACTIVATIONS[name]
        full = dict(spec.params, **params)
        numeric = {k: v for k, v in full.items() if k not in spec.choices}
        key = (spec.kernels_for(full), spec.pack(numeric))
        if key not in seen:
            seen.add(key)
            out.append(label)
    return out


# Each chunk is worked through in blocks of this many inputs: the dozen
# temporaries of the reference and of ulp_error then stay in L2 (whole-chunk
# arrays would be 128 MiB each and every pass would run at memory speed).
BLOCK = 1 << 16


def fastact_result(name, direction, x):
    """fastact's result on x (backward: from x, grad = 1)."""
    import fastact as fa
    fname, params = sweep_labels()[name]
    with np.errstate(all="ignore"):
        if direction == "forward":
            return getattr(fa, fname)(x, **params)
        return getattr(fa, fname + "_backward")(np.ones_like(x), x=x, **params)


def _block(name, direction, x):
    """(max ULP error, its input) over the float32 inputs x (no NaNs)."""
    err = ulp_error(fastact_result(name, direction, x), limit_values(name, direction, x),
                    np.float32)
    i = int(np.argmax(err))
    return float(err[i]), float(x[i])


def _chunk(args):
    name, direction, k = args
    import fastact as fa
    fa.set_num_threads(1)
    best = (-1.0, 0.0)
    for start in range(k << CHUNK_BITS, (k + 1) << CHUNK_BITS, BLOCK):
        x = np.arange(start, start + BLOCK, dtype=np.uint32).view(np.float32)
        x = x[~np.isnan(x)]
        if x.size:
            best = max(best, _block(name, direction, x), key=lambda r: r[0])
    return best


def sweep(name, direction, chunks, pool):
    best = (-1.0, 0.0)
    for res in pool.imap_unordered(_chunk, [(name, direction, k) for k in chunks]):
        if res[0] > best[0]:
            best = res
    return best


# ---- --others: the same measure applied to the libraries the benchmarks time ----

def _sample(seed=0):
    """A fixed float32 sample: 2^22 inputs spread evenly over the binades with
    2^-32 <= |x| < 2^8 (where no function is in a trivial regime), a 2^21-point
    grid on [-20, 20], and the specials (NaNs are left out, as in the sweep)."""
    rng = np.random.default_rng(seed)
    n = 1 << 22
    bits = ((rng.integers(0, 2, n, dtype=np.uint32) << 31)
            | (rng.integers(127 - 32, 127 + 8, n, dtype=np.uint32) << 23)
            | rng.integers(0, 1 << 23, n, dtype=np.uint32))
    specials = np.array([0, -0.0, np.inf, -np.inf, 3e38, -3e38, 1e-45, -1e-45], np.float32)
    return np.concatenate([bits.view(np.float32),
                           np.linspace(-20, 20, 1 << 21, dtype=np.float32), specials])


def _library_result(name, direction, lib, x):
    """``lib``'s float32 result on x as the benchmarks call it (backward with
    grad = 1, from y where that library's backward reads y), or None."""
    from . import baselines as B
    base, params = sweep_labels()[name]
    impl = B.implementation(base, lib)
    if impl is None:
        return None
    fwd, _, bwd = B.bind(impl, B.params_for(base, **params))
    w = impl.wrap
    try:
        with np.errstate(all="ignore"):
            y = np.empty_like(x)
            fwd(w(x), w(y))
            if direction == "forward":
                return y
            if bwd is None:
                return None
            dx = np.empty_like(x)
            bwd(w(np.ones_like(x)), w(x), w(y), w(dx))
            return dx
    except NotImplementedError:
        return None


def others(names, libraries=("numpy", "scipy", "torch")):
    """Print max ULP error (and the share of inputs beyond the contract: 2 ULP
    forward, 3 backward) of fastact and of each library on ``_sample()``."""
    from . import baselines as B
    libs = ["fastact"] + [lib for lib in libraries if B.library_version(lib)]
    x = _sample()
    fin = np.isfinite(x)
    print(f"{len(x)} float32 inputs (python -m fastact.accuracy --others); "
          "max ULP error over finite x [share of inputs beyond 2 ULP forward / 3 ULP "
          "backward]; inf:k = k of x = +-inf off SPEC's limit")
    print(f"{'function':<12} {'direction':<9} " + " ".join(f"{lib:>24}" for lib in libs))
    for name in names:
        for direction in ("forward", "backward"):
            ref = limit_values(name, direction, x)
            bound = 2 if direction == "forward" else 3
            cells = []
            for lib in libs:
                got = (fastact_result(name, direction, x) if lib == "fastact" else
                       _library_result(name, direction, lib, x))
                if got is None:
                    cells.append(f"{'-':>24}")
                    continue
                err = ulp_error(got, ref, np.float32)
                wrong_inf = int(np.sum(err[~fin] > bound))
                cells.append(f"{err[fin].max():>10.4g} [{np.mean(err > bound) * 100:6.3f}%]"
                             + (f" inf:{wrong_inf}" if wrong_inf else "      "))
            print(f"{name:<12} {direction:<9} " + " ".join(cells), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=default_labels())
    ap.add_argument("--forward", action="store_true", help="forward only")
    ap.add_argument("--backward", action="store_true", help="backward only")
    ap.add_argument("--chunks", type=int, default=1 << (32 - CHUNK_BITS),
                    help="number of 2^24-input chunks, spread evenly (256 = all)")
    ap.add_argument("--span", type=int, nargs=2, metavar=("LO", "HI"),
                    help="only chunks with 2^LO <= |x| < 2^HI (whole chunks, both signs)")
    ap.add_argument("--processes", type=int, default=None)
    ap.add_argument("--others", action="store_true",
                    help="instead of the sweep: fastact, NumPy, SciPy and PyTorch (as "
                         "the benchmarks call them) on a fixed 6.3 M-input sample")
    a = ap.parse_args(argv)
    if a.others:
        others(a.names)
        return 0
    dirs = ["forward"] * (not a.backward) + ["backward"] * (not a.forward)
    total = 1 << (32 - CHUNK_BITS)
    step = max(total // a.chunks, 1)
    chunks = list(range(0, total, step))
    if a.span:
        # chunk k holds sign k >> 7 and biased exponents 2 (k & 127) .. + 1
        lo, hi = (e + 127 for e in a.span)
        chunks = [k for k in range(total) if 2 * (k & 127) + 1 >= lo and 2 * (k & 127) < hi]
    print(f"{'function':<12} {'direction':<9} {'max ULP':>9}  at x   "
          f"({len(chunks) << CHUNK_BITS} float32 inputs each)")
    with mp.get_context("fork").Pool(a.processes) as pool:
        for name in a.names:
            for d in dirs:
                t0 = time.perf_counter()
                err, x = sweep(name, d, chunks, pool)
                print(f"{name:<12} {d:<9} {err:9.3f}  {np.float32(x)!r}"
                      f"   [{time.perf_counter() - t0:.0f} s]", flush=True)


if __name__ == "__main__":
    sys.exit(main())
