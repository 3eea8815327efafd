"""``python -m fastact``: how fast fastact is here, against NumPy (and PyTorch).

For every activation in ``fastact.ACTIVATIONS`` the report times fastact, NumPy
as a competent user writes it, and PyTorch's CPU kernels when torch is
installed (fastact/bench/baselines.py), side by side in one run, at an in-cache and
a memory-sized array, with 1 thread and with all threads.  It measures the
memory-bandwidth limit in the same run (an in-place stream over a large array,
``np.multiply(a, 1.0, out=a)``) and states how close each large-array row comes
to it, then checks the cost ordering that docs/CONTRACT.md quotes ("ReLU is 6x or more
faster than Sigmoid"; piecewise < exponential < two transcendental calls).

Timing: every measurement is the median of several samples taken with
``time.perf_counter`` after a warm-up call; each sample repeats the call enough
times to last ``min_sample`` seconds, except in-place calls, which are timed
one call at a time on an input restored before each call (repeating an
activation on its own output would change the data: leaky_relu would walk
negative values into subnormals).  Every measurement keeps its spread (min,
quartiles, max, rounds) and the share of each sample's wall time during which
the calling thread actually ran (``time.thread_time``).

A row is flagged as unreliable (RELIABILITY, and ``flags`` in the JSON) when

* ``cpu``: the calling thread ran for less than 90% of the median sample's wall
  time: the scheduler gave the core to another process, or the thread waited
  at a barrier for a thread that did not get one;
* ``spread``: the interquartile range exceeds 25% of the median;
* ``threads``: a multi-threaded row is more than 1.5x slower per element than
  the same implementation on one thread (an elementwise kernel split across
  free cores is not slower: its threads waited for cores).

A verdict built on a flagged row says "unreliable" and why, instead of a
conclusion; the header states the load average before and after the run.

Modes: the default (256 K and 16 M elements, 1 and all threads, about a
minute on an idle 2-core machine), ``--quick`` (256 K elements only, fewer
samples: about 10 s idle; the report says how long it took and why, if it was
much longer), ``--sweep`` (1 K to 64 M elements in steps of 4, one thread:
what ``--plot`` draws; several minutes) and ``--full``.

The pieces that prepare a timed call (:func:`prepare`) are shared with the
pytest-benchmark suite in benchmarks/.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._table import ACTIVATIONS
from . import baselines as B

DIRECTIONS = {
    "forward_": "forward in place",
    "forward": "forward into a preallocated out",
    "backward": "backward (from x) into a preallocated out",
}

# docs/CONTRACT.md's cost tiers (the table's tier column): piecewise-linear <
# one exponential < two transcendental calls.
TIER_NAMES = {1: "piecewise-linear", 2: "exponential", 3: "two transcendental calls"}

# The sources' claim the report checks.
RELU_SIGMOID_CLAIM = 6.0


# Rows that time an activation with non-default parameters (B.VARIANTS):
# label -> (name, params).  Each follows its activation; --only accepts the label.
VARIANTS = {label: (name, p) for name, rows in B.VARIANTS.items() for label, p in rows}


def tier(label: str) -> int | None:
    """docs/CONTRACT.md's cost tier of a report row's activation label (None for
    the row-wise family): the table's, or its choice's (gelu_tanh: 2)."""
    name, _ = VARIANTS.get(label, (label, None))
    spec = ACTIVATIONS[name]
    return spec.choice_tiers.get(label[len(name):], spec.tier)


class Unavailable(Exception):
    """This implementation cannot run this case (reason in the message)."""


# --------------------------------------------------------------------------
# Preparing one timed call
# --------------------------------------------------------------------------

@dataclass
class Inputs:
    x: np.ndarray  # pristine input, never written
    g: np.ndarray  # upstream gradient (output-shaped)
    y: np.ndarray  # f(x), for backward passes that read the output
    weight: np.ndarray | None
    out: np.ndarray  # output-shaped scratch for out-of-place forward
    dx: np.ndarray  # input-shaped scratch for backward
    work: np.ndarray  # copy of x that in-place calls overwrite


_INPUTS: dict[tuple, Inputs] = {}


def inputs(name: str, n: int, dtype, family: str | None = None) -> Inputs:
    """The arrays for one (activation, size, dtype), cached for the last one asked."""
    key = (name, n, np.dtype(dtype).str)
    if key not in _INPUTS:
        _INPUTS.clear()  # large arrays: keep one set alive at a time
        x, g, w = B.make_inputs(name, n, dtype, family=family)
        ref = B.implementation(name, "numpy")
        p = B.params_for(name, weight=w)
        y = np.empty(g.shape, x.dtype)
        if ref is not None and ref.forward is not None:
            with np.errstate(all="ignore"):
                B.bind(ref, p)[0](x, y)
        else:
            y[...] = 0
        out = np.empty_like(y)
        dx = np.empty_like(x)
        out.fill(0)  # touch the pages now, not inside the first timed call
        dx.fill(0)
        _INPUTS[key] = Inputs(x, g, y, w, out, dx, x.copy())
    return _INPUTS[key]


@dataclass
class Prepared:
    """A zero-argument call to time, and what to do before each in-place call."""

    call: Callable[[], object]
    restore: Callable[[], object] | None
    elements: int
    bytes_moved: int
    set_threads: Callable[[int], None] | None


def impl_for(name: str, library: str) -> B.Impl | None:
    """``library`` ("fastact", "numpy", "scipy", "torch") for ``name``, or None."""
    if library == "fastact" or library.startswith("fastact["):
        return B.fastact_impl(name)
    if library == "fastact(y)":
        return B.fastact_impl(name, backward_input="y")
    return B.implementation(name, library)


def prepare(name: str, impl: B.Impl, direction: str, n: int, dtype,
            params: dict | None = None, family: str | None = None) -> Prepared:
    """A timed call of ``impl`` (one direction) on ``n`` elements; raises Unavailable."""
    family = family or B.family_of(name)
    data = inputs(name, n, dtype, family)
    p = B.params_for(name, **(params or {}))
    wrap = impl.wrap
    if data.weight is not None:
        p["weight"] = wrap(data.weight)
    fwd, fwd_, bwd = B.bind(impl, p)
    x, g, y, out, dx, work = (wrap(a) for a in (data.x, data.g, data.y, data.out,
                                                 data.dx, data.work))
    pristine = data.x
    if direction == "forward":
        if fwd is None:
            raise Unavailable(f"{impl.library} has no out-of-place {name}")

        def call():
            return fwd(x, out)

        restore = None
        moved = data.x.nbytes + data.out.nbytes
    elif direction == "forward_":
        if fwd_ is None:
            raise Unavailable(f"{impl.library} has no in-place {name}")

        def call():
            return fwd_(work)

        def restore():
            np.copyto(data.work, pristine)

        moved = 2 * data.x.nbytes
    elif direction == "backward":
        if bwd is None:
            raise Unavailable(f"{impl.library} has no {name} backward")

        def call():
            return bwd(g, x, y, dx)

        restore = None
        moved = data.g.nbytes + data.x.nbytes + data.dx.nbytes
    else:
        raise ValueError(f"unknown direction {direction!r}")
    try:  # one call checks the implementation runs here (and warms it up)
        with np.errstate(all="ignore"):
            call()
    except NotImplementedError as exc:
        raise Unavailable(str(exc)) from None
    if restore is not None:
        restore()
    return Prepared(call, restore, data.x.size, moved, impl.set_threads)


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

def _quartiles(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return samples[0], samples[0]
    q = statistics.quantiles(samples, n=4, method="inclusive")
    return q[0], q[2]


def timing(samples: list[float], shares: list[float]) -> dict:
    """Summary of the per-call seconds of one measurement (see the module doc)."""
    q1, q3 = _quartiles(samples)
    med = statistics.median(samples)
    return {"seconds": med, "min": min(samples), "max": max(samples), "q1": q1, "q3": q3,
            "iqr": q3 - q1, "rounds": len(samples),
            "cpu_share": statistics.median(shares) if shares else None}


def measure(prep: Prepared, *, threads: int = 1, repeats: int = 5,
            min_sample: float = 0.002, max_time: float = 1.0) -> dict:
    """Seconds per call, with its spread: warm-up, then ``repeats`` samples
    (more when cheap).  Returns :func:`timing`'s dict ("seconds" is the median)."""
    timer, cpu = time.perf_counter, time.thread_time
    call, restore = prep.call, prep.restore
    if prep.set_threads is not None:
        prep.set_threads(threads)
    samples: list[float] = []
    shares: list[float] = []
    try:
        with np.errstate(all="ignore"):
            if restore is not None:
                restore()
            t0 = timer()
            call()
            first = timer() - t0
            spent = first
            if restore is not None:
                # One call per sample; as many samples as fit in min_sample * repeats.
                count = max(repeats, min(200, int(min_sample * repeats / max(first, 1e-9))))
                for _ in range(count):
                    restore()
                    c0 = cpu()
                    t0 = timer()
                    call()
                    dt = timer() - t0
                    c1 = cpu()
                    samples.append(dt)
                    shares.append((c1 - c0) / dt if dt > 0 else 1.0)
                    spent += dt
                    if spent > max_time and len(samples) >= 3:
                        break
                return timing(samples, shares)
            loops = max(1, int(min_sample / max(first, 1e-9)))
            for _ in range(repeats):
                c0 = cpu()
                t0 = timer()
                for _ in range(loops):
                    call()
                dt = timer() - t0
                c1 = cpu()
                samples.append(dt / loops)
                shares.append((c1 - c0) / dt if dt > 0 else 1.0)
                spent += dt
                if spent > max_time and len(samples) >= 3:
                    break
            return timing(samples, shares)
    finally:
        if prep.set_threads is not None:
            prep.set_threads(B.thread_count() if threads != 1 else 1)


# When a row is unreliable (see the module docstring).
MIN_CPU_SHARE = 0.9
MAX_RELATIVE_IQR = 0.25
MAX_THREADED_SLOWDOWN = 1.5


def flag_rows(results: list) -> None:
    """Set each row's ``flags`` (reasons it is unreliable) and ``reliable``."""
    single = {(r["activation"], r["impl"], r["dtype"], r["direction"], r["size"]): r
              for r in results if r["threads"] == 1}
    for r in results:
        flags = []
        share = r.get("cpu_share")
        if share is not None and share < MIN_CPU_SHARE:
            flags.append(f"cpu {share:.0%}")
        if r["seconds"] > 0 and r["iqr"] > MAX_RELATIVE_IQR * r["seconds"]:
            flags.append(f"spread {r['iqr'] / r['seconds']:.0%}")
        one = single.get((r["activation"], r["impl"], r["dtype"], r["direction"], r["size"]))
        if (r["threads"] > 1 and one is not None
                and r["seconds"] > MAX_THREADED_SLOWDOWN * one["seconds"]):
            flags.append(f"threads {r['seconds'] / one['seconds']:.1f}x the 1-thread time")
        r["flags"] = flags
        r["reliable"] = not flags


def stream_bandwidth(nbytes: int, threads: int, repeats: int = 5) -> float:
    """Bytes/s of ``np.multiply(a, 1.0, out=a)`` over ``nbytes`` of float32, 8 B/element.

    With several threads the array is split into one chunk per thread (NumPy
    releases the GIL inside ufunc loops), which is what a multi-threaded
    in-place kernel can at best reach.
    """
    a = np.ones(nbytes // 4, dtype=np.float32)
    chunks = np.array_split(a, threads)

    def one(c):
        np.multiply(c, 1.0, out=c)

    pool = concurrent.futures.ThreadPoolExecutor(threads) if threads > 1 else None
    try:
        def run():
            if pool is None:
                one(a)
            else:
                list(pool.map(one, chunks))

        run()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run()
            samples.append(time.perf_counter() - t0)
    finally:
        if pool is not None:
            pool.shutdown()
    return 8 * a.size / statistics.median(samples)


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------

MODES = {
    # sizes (elements), repeats, min seconds per sample, max seconds per measurement
    "quick": {"sizes": [1 << 18], "repeats": 5, "min_sample": 0.0005, "max_time": 0.05,
              "directions": ["forward_"]},
    # what --plot draws: 1 K to 64 M elements in steps of 4, one thread
    "sweep": {"sizes": [1 << k for k in range(10, 27, 2)], "repeats": 5, "min_sample": 0.002,
              "max_time": 0.3, "directions": ["forward_"], "threads": [1]},
    "default": {"sizes": [1 << 18, 1 << 24], "repeats": 5, "min_sample": 0.002, "max_time": 0.3,
                    "directions": ["forward_"]},
    "full": {"sizes": [1 << 12, 1 << 18, 1 << 22, 1 << 26], "repeats": 7, "min_sample": 0.005,
                 "max_time": 2.0, "directions": list(DIRECTIONS)},
}

# --quick's promise, and how much longer it may take before the report says so.
QUICK_TARGET_SECONDS = 10.0
QUICK_TOLERANCE = 1.5

# A size whose arrays reach past this many bytes is called a memory-sized row and
# compared with the bandwidth limit (L2 caches are a few MiB; LLCs can be far larger,
# which the header states).
LARGE_BYTES = 32 << 20


def parse_size(text: str) -> int:
    t = text.strip().upper()
    scale = 1
    if t.endswith("K"):
        scale, t = 1 << 10, t[:-1]
    elif t.endswith("M"):
        scale, t = 1 << 20, t[:-1]
    elif t.endswith("G"):
        scale, t = 1 << 30, t[:-1]
    n = int(float(t) * scale)
    if n < 1:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return n


def size_label(n: int) -> str:
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def _cache_bytes(level: int) -> int | None:
    """Size of the CPU's cache of a level, from sysfs (None where unknown)."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            d = os.path.join(base, entry)
            with open(os.path.join(d, "level")) as f:
                if int(f.read()) != level:
                    continue
            with open(os.path.join(d, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(d, "size")) as f:
                s = f.read().strip().upper()
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:], 1)
            return int(s.rstrip("KMG")) * mult
    except (OSError, ValueError):
        return None
    return None


class Progress:
    """One line on stderr, rewritten in place on a terminal."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.last_line = ""

    def step(self, what: str):
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        line = f"[{self.done:4d}/{self.total}] {elapsed:5.1f}s  {what}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(len(self.last_line)))
            self.last_line = line
        else:
            label = what.split()[0]
            if label != self.last_line:  # one line per activation when piped
                sys.stderr.write(line + "\n")
                self.last_line = label
        sys.stderr.flush()

    def finish(self):
        if self.enabled and self.tty:
            sys.stderr.write("\r" + " " * len(self.last_line) + "\r")
        if self.enabled:
            sys.stderr.write(f"measured in {time.perf_counter() - self.start:.1f} s\n")
            sys.stderr.flush()


def header_lines(cfg: dict, versions: dict) -> list[str]:
    l2, l3 = _cache_bytes(2), _cache_bytes(3)
    caches = ", ".join(f"L{lv} {b >> 20 if b >= 1 << 20 else b >> 10} "
                       f"{'MiB' if b >= 1 << 20 else 'KiB'}"
                       for lv, b in ((2, l2), (3, l3)) if b)
    libs = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    return [
        f"fastact {cfg['fastact']} speed report",
        (f"CPU:      {cfg['cpu']} ({cfg['machine']}, {cfg['cpus']} CPUs"
         + (f"; {caches}" if caches else "") + ")"),
        (f"SIMD:     {cfg['simd']}; OpenMP {'on' if cfg['openmp'] else 'off'}; "
         f"fastact threads {cfg['threads']}"),
        f"build:    {cfg['compiler']} {cfg['flags']}",
        f"versions: Python {cfg['python']}, {libs}",
    ]


def run_report(args) -> dict:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    load_before = _load()
    import fastact

    from .._config import config

    mode = ("quick" if args.quick else "full" if args.full else
            "sweep" if getattr(args, "sweep", False) else "default")
    settings = dict(MODES[mode])
    if args.sizes:
        settings["sizes"] = args.sizes
    if args.direction:
        settings["directions"] = args.direction
    dtypes = args.dtype or (["float32", "float64"] if mode == "full" else ["float32"])
    all_threads = B.thread_count() if fastact._config.config()["openmp"] else 1
    threads = args.threads or settings.pop("threads", None) or sorted({1, all_threads})
    settings.pop("threads", None)
    names = [label for n in fastact.ACTIVATIONS
             for label in [n] + [v for v, (base, _) in VARIANTS.items() if base == n]]
    if args.only:
        unknown = [n for n in args.only if n not in names]
        if unknown:
            raise SystemExit(
                f"--only: not in fastact.ACTIVATIONS: {', '.join(unknown)} "
                f"(have: {', '.join(names)})")
        names = [n for n in names if n in args.only]
    # --cpu: fastact once per kernel target ("fastact[avx2]"), bound before each
    # timed call (fastact/_dispatch.py); the first listed target is the reference
    # column of the tables.
    from .. import _dispatch

    targets = args.cpu or []
    unusable = [t for t in targets if t not in _dispatch.supported_targets()]
    if unusable:
        raise SystemExit(f"--cpu: {', '.join(unusable)} not usable here; this build and CPU "
                         f"support {', '.join(_dispatch.supported_targets())}")
    fastact_libs = [f"fastact[{t}]" for t in targets] or ["fastact"]
    libraries = fastact_libs + ["numpy"] + (["torch"] if not args.no_torch and
                                            B.library_version("torch") else [])

    cfg = config()
    versions = {lib: B.library_version(lib) for lib in ("numpy", "scipy", "torch")}
    out = sys.stdout
    if not args.json_only:
        for line in header_lines(cfg, versions):
            print(line, file=out)
        print(f"mode:     {mode} (median of timed runs after a warm-up; numbers vary "
              f"from run to run and machine to machine)", file=out)
        if load_before is not None:
            print(f"load:     {load_before:.2f} (1-minute load average before the run, "
                  f"{cfg.get('cpus') or '?'} CPUs)", file=out)
        out.flush()

    # Jobs: (name, direction, dtype, n, threads, library); NumPy has no threads.
    jobs = []
    for dtype in dtypes:
        for direction in settings["directions"]:
            for n in settings["sizes"]:
                for t in threads:
                    for name in names:
                        for lib in libraries:
                            if lib == "numpy" and t != 1:
                                continue
                            jobs.append((name, direction, dtype, n, t, lib))
    # The in-place stream over as many bytes as each memory-sized row (64 MiB
    # when no row is that large), so that each row is compared with its own floor.
    stream_bytes = sorted({n * np.dtype(d).itemsize for n in settings["sizes"] for d in dtypes
                           if n * np.dtype(d).itemsize >= LARGE_BYTES}) or [64 << 20]
    progress = Progress(len(jobs) + len(threads) * len(stream_bytes),
                        enabled=not args.no_progress)

    bandwidth = {}
    for nbytes in stream_bytes:
        for t in threads:
            progress.step(f"stream bandwidth, {nbytes >> 20} MiB, {t} thread(s)")
            bandwidth[nbytes, t] = stream_bandwidth(nbytes, t, repeats=settings["repeats"])

    # Group jobs by data set so each set of arrays is made once.
    results = []
    jobs.sort(key=lambda j: (j[2], j[3], j[0], j[1], j[4]))
    start_target = _dispatch.current()
    for name, direction, dtype, n, t, lib in jobs:
        if lib.startswith("fastact[") and lib[len("fastact["):-1] != _dispatch.current():
            _dispatch.use(lib[len("fastact["):-1])
        progress.step(f"{name} {DIRECTIONS[direction].split(' (')[0]} {dtype} "
                      f"{size_label(n)} {t}T {lib}")
        base, params = VARIANTS.get(name, (name, None))
        impl = impl_for(base, lib)
        rec = {"activation": name, "family": fastact.ACTIVATIONS[base].family,
                   "direction": direction, "dtype": dtype, "size": n, "threads": t, "impl": lib}
        if impl is None:
            continue
        try:
            prep = prepare(base, impl, direction, n, dtype, params=params)
        except Unavailable:
            continue
        tm = measure(prep, threads=t, repeats=settings["repeats"],
                     min_sample=settings["min_sample"], max_time=settings["max_time"])
        sec = tm["seconds"]
        per_el = 1e9 / prep.elements
        rec.update(tm)
        rec.update(
            elements=prep.elements,
            ns_per_element=sec * per_el,
            ns_per_element_min=tm["min"] * per_el,
            ns_per_element_max=tm["max"] * per_el,
            ns_per_element_q1=tm["q1"] * per_el,
            ns_per_element_q3=tm["q3"] * per_el,
            gb_per_s=prep.bytes_moved / sec / 1e9,
        )
        large = prep.elements * np.dtype(dtype).itemsize >= LARGE_BYTES
        rec["large"] = large
        stream = bandwidth.get((prep.elements * np.dtype(dtype).itemsize, t))
        if large and direction == "forward_" and stream:
            rec["bandwidth_fraction"] = (prep.bytes_moved / sec) / stream
        results.append(rec)
    _dispatch.use(start_target)
    _INPUTS.clear()
    progress.finish()
    flag_rows(results)

    report = {
        "config": cfg,
        "versions": versions,
        "mode": mode,
        "settings": dict(settings, dtypes=dtypes, threads=threads, activations=names,
                         libraries=libraries, targets=targets or [start_target]),
        "bandwidth": {
            "method": "in-place stream np.multiply(a, 1.0, out=a) over a float32 array "
                      "(8 bytes moved per element), split across threads",
            "streams": [{"bytes": b, "threads": t, "gb_per_s": bw / 1e9}
                        for (b, t), bw in bandwidth.items()],
        },
        "load_average": load_before,
        "load_average_after": _load(),
        "reliability": {
            "min_cpu_share": MIN_CPU_SHARE, "max_relative_iqr": MAX_RELATIVE_IQR,
            "max_threaded_slowdown": MAX_THREADED_SLOWDOWN,
            "flagged_rows": sum(not r["reliable"] for r in results), "rows": len(results),
        },
        "results": results,
        "elapsed_seconds": time.perf_counter() - wall0,
        "cpu_seconds": time.process_time() - cpu0,
    }
    report["cost_ordering"] = cost_ordering(results, names)
    return report


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _lookup(results, **key):
    for r in results:
        if all(r.get(k) == v for k, v in key.items()):
            return r
    return None


def _why(row) -> str:
    return f"{row['activation']} {row['threads']}T: {', '.join(row['flags'])}"


def cost_ordering(results: list, names: list[str]) -> list:
    """Per (direction, dtype, size, threads, impl): ranking, ReLU/Sigmoid ratio, tiers.

    A verdict that rests on a flagged row (see flag_rows) says "unreliable" and
    names the rows and why, instead of concluding."""
    import fastact

    verdicts = []
    keys = sorted({(r["direction"], r["dtype"], r["size"], r["threads"], r["impl"])
                   for r in results})
    for direction, dtype, n, t, lib in keys:
        rows = [r for r in results if (r["direction"], r["dtype"], r["size"], r["threads"],
                                       r["impl"]) == (direction, dtype, n, t, lib)]
        ranked = sorted(rows, key=lambda r: r["ns_per_element"])
        v = {"direction": direction, "dtype": dtype, "size": n, "threads": t, "impl": lib,
             "ranking": [(r["activation"], round(r["ns_per_element"], 4)) for r in ranked]}
        relu = _lookup(rows, activation="relu")
        sig = _lookup(rows, activation="sigmoid")
        if "sigmoid" not in fastact.ACTIVATIONS:
            v["relu_sigmoid"] = "n/a: sigmoid not in table"
        elif relu is None or sig is None:
            v["relu_sigmoid"] = "n/a: not measured"
        else:
            ratio = sig["ns_per_element"] / relu["ns_per_element"]
            v["relu_sigmoid_ratio"] = ratio
            shaky = [r for r in (relu, sig) if not r.get("reliable", True)]
            v["relu_sigmoid_reliable"] = not shaky
            if shaky:
                v["relu_sigmoid"] = (f"unreliable ({ratio:.1f}x from flagged rows: "
                                     + "; ".join(_why(r) for r in shaky) + ")")
            else:
                v["relu_sigmoid"] = (
                    f"holds ({ratio:.1f}x)" if ratio >= RELU_SIGMOID_CLAIM
                    else f"does not hold ({ratio:.1f}x)")
        tiers: dict[int, list[float]] = {}
        flagged: dict[int, int] = {}
        for r in rows:
            k = tier(r["activation"])
            if k is None:
                continue
            if r.get("reliable", True):
                tiers.setdefault(k, []).append(r["ns_per_element"])
            else:
                flagged[k] = flagged.get(k, 0) + 1
                tiers.setdefault(k, [])
        medians = {k: statistics.median(vs) for k, vs in sorted(tiers.items()) if vs}
        v["tier_median_ns"] = {TIER_NAMES[k]: m for k, m in medians.items()}
        v["tier_flagged_rows"] = {TIER_NAMES[k]: c for k, c in flagged.items()}
        left_out = sum(flagged.values())
        total = sum(len(vs) for vs in tiers.values()) + left_out
        empty = [TIER_NAMES[k] for k, vs in tiers.items() if not vs]
        if empty or (total and left_out > total // 4):
            v["tiers"] = (f"unreliable: {left_out} of {total} rows flagged"
                          + (f" (no reliable row for {', '.join(empty)})" if empty else ""))
        elif len(medians) < 2:
            v["tiers"] = "n/a: only the " + " and ".join(
                TIER_NAMES[k] for k in medians) + " tier in table"
        else:
            ms = [medians[k] for k in sorted(medians)]
            ok = all(a < b for a, b in zip(ms, ms[1:]))
            v["tiers"] = ("holds" if ok else "does not hold") + ": " + " < ".join(
                f"{TIER_NAMES[k]} {medians[k]:.3g}" for k in sorted(medians)) + " ns/el (median"
            v["tiers"] += f"; {left_out} flagged rows left out)" if left_out else ")"
        verdicts.append(v)
    return verdicts


def _fmt(v, width, spec):
    return ("-" if v is None else format(v, spec)).rjust(width)


def _cell(row, width):
    """A row's median ns/element, marked ! when the row is flagged."""
    if row is None:
        return _fmt(None, width, ".3f") + " "
    return _fmt(row["ns_per_element"], width, ".3f") + (" " if row.get("reliable", True)
                                                        else "!")


def print_tables(report: dict, file=sys.stdout):
    results = report["results"]
    libs = report["settings"]["libraries"]
    print("\nmemory-bandwidth limit, " + report["bandwidth"]["method"] + ":", file=file)
    for st in report["bandwidth"]["streams"]:
        t = st["threads"]
        print(f"  {st['bytes'] >> 20:5d} MiB, {t} thread{'s' if t > 1 else ' '}: "
              f"{st['gb_per_s']:6.1f} GB/s = {8 / st['gb_per_s']:.3f} ns per float32 "
              f"element in place", file=file)
    load, cpus = report.get("load_average"), report["config"].get("cpus") or 1
    if load is not None and load > 0.5 * cpus:
        print(f"  note: load average {load:.1f} on {cpus} CPUs before this run: other "
              f"processes compete for the cores, multi-threaded rows suffer most", file=file)
    rel = report.get("reliability")
    if rel and rel["flagged_rows"]:
        print(f"  note: {rel['flagged_rows']} of {rel['rows']} rows are flagged unreliable "
              f"(marked !, reasons under each table): the thread ran < "
              f"{rel['min_cpu_share']:.0%} of the time, IQR > {rel['max_relative_iqr']:.0%} of "
              f"the median, or more threads were > {rel['max_threaded_slowdown']}x slower "
              f"than one", file=file)
    keys = []
    for r in results:
        k = (r["dtype"], r["direction"], r["size"], r["threads"])
        if k not in keys:
            keys.append(k)
    for dtype, direction, n, t in sorted(keys, key=lambda k: (k[0], list(DIRECTIONS).index(
            k[1]), k[2], k[3])):
        rows = [r for r in results if (r["dtype"], r["direction"], r["size"], r["threads"])
                == (dtype, direction, n, t)]
        nbytes = n * np.dtype(dtype).itemsize
        large = rows[0].get("large", False)
        where = "memory-sized" if large else "in cache"
        print(f"\n{dtype}, {DIRECTIONS[direction]}, {n:,} elements "
              f"({nbytes / (1 << 20):.3g} MiB, {where}), {t} thread{'s' if t > 1 else ''}"
              + ("  [NumPy: 1 thread]" if t > 1 else ""), file=file)
        ref = libs[0]   # "fastact", or with --cpu the first target: "fastact[baseline]"
        cols = ["activation", ref] + libs[1:]
        short = {c: c.replace("fastact[", "").rstrip("]") for c in cols}
        width = max(9, 2 + max(len(short[c]) for c in cols[1:]))
        head = f"{'activation':<14}" + "".join(f"{short[c]:>{width}}" for c in cols[1:])
        head += "".join(f"{'x' + short[c]:>{width}}" for c in cols[2:]) + f"{'GB/s':>8}"
        if large and direction == "forward_":
            head += f"{'%BW':>6}"
        print("  ns/element, median (! = flagged unreliable)", file=file)
        print(head, file=file)
        shaky = []
        for name in report["settings"]["activations"]:
            fa = _lookup(rows, activation=name, impl=ref)
            others = {}
            for lib in cols[2:]:
                rr = _lookup(rows, activation=name, impl=lib)
                if rr is None and lib == "numpy" and t > 1:  # NumPy is single-threaded
                    rr = _lookup(results, activation=name, impl="numpy", dtype=dtype,
                                 direction=direction, size=n, threads=1)
                others[lib] = rr
            if fa is None and not any(others.values()):
                continue
            line = f"{name:<14}" + _cell(fa, width)
            line += "".join(_cell(o, width) for o in others.values())
            shaky += [r for r in [fa, *others.values()]
                      if r is not None and not r.get("reliable", True) and r not in shaky]
            for o in others.values():
                sp = (o["ns_per_element"] / fa["ns_per_element"]) if (o and fa) else None
                line += _fmt(sp, width - 1, ".2f") + ("x" if sp is not None else " ")
            line += _fmt(fa and fa["gb_per_s"], 8, ".1f")
            if large and direction == "forward_":
                line += _fmt(fa and 100 * fa.get("bandwidth_fraction", float("nan")), 5,
                             ".0f") + ("%" if fa else " ")
            print(line, file=file)
        for r in shaky:
            print(f"  ! {r['activation']} ({r['impl']}, {r['threads']}T): "
                  f"{', '.join(r['flags'])}; min {r['ns_per_element_min']:.3g}, median "
                  f"{r['ns_per_element']:.3g}, max {r['ns_per_element_max']:.3g} ns/el over "
                  f"{r['rounds']} rounds", file=file)


def print_target_table(report: dict, file=sys.stdout):
    """With --cpu: each kernel target's speed-up over NumPy and PyTorch."""
    libs = report["settings"]["libraries"]
    targets = [lib for lib in libs if lib.startswith("fastact[")]
    others = [lib for lib in libs if not lib.startswith("fastact")]
    if len(targets) < 2 or not others:
        return
    results = report["results"]
    keys = sorted({(r["dtype"], r["direction"], r["size"], r["threads"]) for r in results},
                  key=lambda k: (k[0], list(DIRECTIONS).index(k[1]), k[2], k[3]))
    print("\nkernel targets against the other libraries (their time / the target's: "
          ">1 = the target is faster)", file=file)
    for dtype, direction, n, t in keys:
        rows = [r for r in results if (r["dtype"], r["direction"], r["size"], r["threads"])
                == (dtype, direction, n, t)]
        print(f"\n{dtype}, {DIRECTIONS[direction]}, {n:,} elements, {t} thread"
              f"{'s' if t > 1 else ''}", file=file)
        head = f"{'activation':<14}" + "".join(
            f"{lib[8:-1] + ' vs ' + o:>20}" for lib in targets for o in others)
        print(head, file=file)
        for name in report["settings"]["activations"]:
            cells = []
            for lib in targets:
                fa = _lookup(rows, activation=name, impl=lib)
                for o in others:
                    rr = _lookup(rows, activation=name, impl=o) or (
                        _lookup(results, activation=name, impl=o, dtype=dtype,
                                direction=direction, size=n, threads=1) if o == "numpy"
                        else None)
                    sp = rr["ns_per_element"] / fa["ns_per_element"] if (fa and rr) else None
                    cells.append(_fmt(sp, 19, ".2f") + ("x" if sp is not None else " "))
            if any(c.strip() != "-" for c in cells):
                print(f"{name:<14}" + "".join(cells), file=file)


def print_verdict(report: dict, file=sys.stdout):
    print("\ncost ordering, measured (docs/CONTRACT.md: piecewise-linear < exponential < two "
          "transcendental calls;\nthe sources: \"ReLU is 6x or more faster than Sigmoid\")",
          file=file)
    groups = []
    for v in report["cost_ordering"]:
        k = (v["dtype"], v["direction"])
        if k not in groups:
            groups.append(k)
    for dtype, direction in groups:
        print(f"\n  {dtype}, {DIRECTIONS[direction]}", file=file)
        print(f"  {'impl':<17} {'size':>5} {'thr':>3}  {'ReLU 6x faster than Sigmoid':<30} "
              f"tiers (median ns/element)", file=file)
        print("  (a verdict that rests on a flagged row says unreliable and why)", file=file)
        rows = [v for v in report["cost_ordering"]
                if (v["dtype"], v["direction"]) == (dtype, direction)]
        rows.sort(key=lambda v: (v["size"], v["threads"], v["impl"] != "fastact", v["impl"]))
        for v in rows:
            claim = v["relu_sigmoid"]
            detail = None
            if v.get("relu_sigmoid_reliable") is False:
                claim, detail = "unreliable (see below)", claim
            print(f"  {v['impl']:<17} {size_label(v['size']):>5} {v['threads']:>3}  "
                  f"{claim:<30} {v['tiers']}", file=file)
            if detail:
                print(f"  {'':<27}  ReLU/Sigmoid: {detail}", file=file)
        print("  rank by cost, cheapest first:", file=file)
        for v in rows:
            if v["threads"] != 1:
                continue
            print(f"    {v['impl']:<17} {size_label(v['size']):>5}: "
                  + " < ".join(a for a, _ in v["ranking"]), file=file)


# The plot's look: one colour and marker per library, the same in every panel.
PLOT_STYLE = {
    "fastact": {"color": "#1f5fbf", "marker": "o", "linestyle": "-", "label": "fastact"},
    "numpy": {"color": "#e07b00", "marker": "s", "linestyle": "--",
              "label": "NumPy (+SciPy where NumPy lacks it)"},
    "torch": {"color": "#2ca02c", "marker": "^", "linestyle": ":", "label": "PyTorch"},
}
BAR_SIZE = 1 << 18


def plot(report: dict, path: str):
    """Small multiples (one panel per activation: ns/element against size, log
    axes, fastact / NumPy / PyTorch in fixed colours, flagged points hollow) and
    a bar chart of how many times faster fastact is than NumPy and PyTorch at
    256 K elements (or the size nearest it), one thread."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.gridspec import GridSpec
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError:
        raise SystemExit(
            "--plot needs matplotlib, which is not installed: pip install matplotlib "
            "(or pip install fastact[plot]); the report itself ran without it.") from None
    results = report["results"]
    direction = report["settings"]["directions"][0]
    dtype = report["settings"]["dtypes"][0]
    ref = report["settings"]["libraries"][0]
    style = dict(PLOT_STYLE)
    if ref != "fastact":   # --cpu: the first target stands for fastact
        style[ref] = dict(PLOT_STYLE["fastact"], label=ref)
    libs = [lib for lib in report["settings"]["libraries"] if lib in style]
    rows = [r for r in results if r["threads"] == 1 and r["direction"] == direction
            and r["dtype"] == dtype and r["impl"] in libs]
    # identity is left out: NumPy's and PyTorch's "identity" do nothing, and
    # fastact's measures only its call; it would stretch every panel's scale.
    names = [n for n in report["settings"]["activations"]
             if n != "identity" and any(r["activation"] == n for r in rows)]
    if not names:
        raise SystemExit("--plot: no one-thread rows to draw")
    rows = [r for r in rows if r["activation"] in names]
    sizes = sorted({r["size"] for r in rows})
    bar_size = min(sizes, key=lambda n: abs(np.log2(n) - np.log2(BAR_SIZE)))
    ncols = 6 if len(names) > 12 else 4 if len(names) > 4 else len(names)
    nrows = -(-len(names) // ncols)
    height_in = 2.3 * nrows + 1.4
    fig = plt.figure(figsize=(2.55 * ncols + 5.5, height_in))
    gs = GridSpec(nrows, ncols + 2, figure=fig, wspace=0.32, hspace=0.5,
                  width_ratios=[1] * ncols + [0.15, 2.0],
                  top=1 - 1.05 / height_in, bottom=0.35 / height_in)
    values = [r["ns_per_element"] for r in rows]
    lo, hi = min(values), max(values)
    for i, name in enumerate(names):
        ax = fig.add_subplot(gs[i // ncols, i % ncols])
        for lib in libs:
            pts = sorted((r["size"], r["ns_per_element"], r.get("reliable", True))
                         for r in rows if r["activation"] == name and r["impl"] == lib)
            if not pts:
                continue
            st = style[lib]
            xs, ys, ok = zip(*pts)
            ax.plot(xs, ys, color=st["color"], linestyle=st["linestyle"], linewidth=1.4)
            for x, y, good in pts:
                ax.plot([x], [y], marker=st["marker"], markersize=4.5, color=st["color"],
                        markerfacecolor=st["color"] if good else "white", linestyle="none")
        spec_family = next(r["family"] for r in rows if r["activation"] == name)
        ax.set_title(f"{name}  ({spec_family})", fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_ylim(lo / 1.5, hi * 1.5)
        ax.set_xticks([n for n in sizes if n in (1 << 10, 1 << 14, 1 << 18, 1 << 22, 1 << 26)]
                      or sizes[:: max(1, len(sizes) // 4)])
        ax.set_xticklabels([size_label(n) for n in ax.get_xticks()], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.tick_params(axis="x", which="minor", bottom=False)
        ax.grid(True, which="major", alpha=0.3)
        if i % ncols == 0:
            ax.set_ylabel("ns / element", fontsize=8)
    # Bar chart: x faster than NumPy and PyTorch at bar_size.
    bx = fig.add_subplot(gs[:, ncols + 1])
    others = [lib for lib in libs if lib != ref]
    ypos = np.arange(len(names))[::-1]
    height = 0.8 / max(1, len(others))
    for j, lib in enumerate(others):
        speed, reliable = [], []
        for name in names:
            fa = _lookup(rows, activation=name, impl=ref, size=bar_size)
            ot = _lookup(rows, activation=name, impl=lib, size=bar_size)
            speed.append(ot["ns_per_element"] / fa["ns_per_element"] if fa and ot else np.nan)
            reliable.append(bool(fa and ot and fa.get("reliable", True)
                                 and ot.get("reliable", True)))
        y = ypos + (len(others) - 1) / 2 * height - j * height
        st = style[lib]
        # Bars start at 1x: right of the line fastact is faster, left slower.
        widths = [v - 1.0 for v in speed]
        bars = bx.barh(y, widths, height=height * 0.92, color=st["color"], alpha=0.85,
                       left=1.0)
        for bar, v, good in zip(bars, speed, reliable):
            if not good:
                bar.set_hatch("///")
                bar.set_alpha(0.4)
            if np.isfinite(v):
                bx.text(v * (1.06 if v >= 1 else 1 / 1.06), bar.get_y() + bar.get_height() / 2,
                        f"{v:.2g}x", va="center", ha="left" if v >= 1 else "right",
                        fontsize=6.5)
        finite = [v for v in speed if np.isfinite(v) and v > 0]
        if finite:
            lo_x = min(bx.get_xlim()[0] if j else 1.0, min(finite))
            hi_x = max(bx.get_xlim()[1] if j else 1.0, max(finite))
            bx.set_xlim(min(lo_x, 1.0) / 2.2, max(hi_x, 1.0) * 2.2)
    bx.axvline(1.0, color="black", linewidth=1)
    bx.set_xscale("log")
    bx.set_yticks(ypos)
    bx.set_yticklabels(names, fontsize=8)
    bx.set_ylim(-0.7, len(names) - 0.3)
    bx.grid(True, axis="x", which="major", alpha=0.3)
    bx.set_xlabel("their time / fastact's (> 1: fastact faster)", fontsize=8)
    bx.set_title(f"x faster than NumPy / PyTorch at {size_label(bar_size)} elements", fontsize=9)
    bx.tick_params(axis="x", labelsize=7)
    handles = [Line2D([], [], color=style[lib]["color"], marker=style[lib]["marker"],
                      linestyle=style[lib]["linestyle"], label=style[lib]["label"])
               for lib in libs]
    handles.append(Line2D([], [], color="gray", marker="o", markerfacecolor="white",
                          linestyle="none", label="hollow / hatched: flagged unreliable"))
    handles += [Patch(color=style[lib]["color"], alpha=0.85, label=f"bar: vs {style[lib]['label']}")
                for lib in others]
    cfg = report["config"]
    top = 1 - 0.1 / height_in
    fig.suptitle(
        f"fastact {cfg.get('fastact', '')} vs NumPy vs PyTorch: {dtype}, "
        f"{DIRECTIONS[direction]}, 1 thread, median ns per element "
        f"({cfg.get('cpu', '')}; SIMD {cfg.get('simd', '')})", fontsize=11, y=top,
        va="top")
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, top - 0.3 / height_in))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def build_parser() -> argparse.ArgumentParser:
    def csv(kind):
        def parse(text):
            return [kind(t) for t in text.split(",") if t.strip()]
        return parse

    def thread_list(text):
        out = []
        for t in text.split(","):
            t = t.strip().lower()
            out.append(B.thread_count() if t == "all" else int(t))
        return sorted(set(out))

    def direction_list(text):
        out = csv(str)(text)
        bad = [d for d in out if d not in DIRECTIONS]
        if bad:
            raise argparse.ArgumentTypeError(
                f"unknown direction {bad[0]!r}; choose from {', '.join(DIRECTIONS)}")
        return out

    def dtype_list(text):
        out = csv(str)(text)
        bad = [d for d in out if d not in ("float32", "float64")]
        if bad:
            raise argparse.ArgumentTypeError(f"dtype must be float32 or float64, got {bad[0]!r}")
        return out

    p = argparse.ArgumentParser(
        prog="python -m fastact",
        description="Time every activation in fastact.ACTIVATIONS against NumPy (and "
                    "PyTorch if installed), measure the memory-bandwidth limit, and check "
                    "the cost ordering. Default: about a minute on 2 cores.")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true",
                       help="about 10 s on an idle 2-core machine: 256K elements only, fewer "
                            "samples (says so when it took much longer)")
    speed.add_argument("--sweep", action="store_true",
                       help="1K to 64M elements in steps of 4, one thread, float32 in place: "
                            "what --plot draws (several minutes)")
    speed.add_argument("--full", action="store_true",
                       help="every size (4K..64M), direction and dtype (several minutes)")
    p.add_argument("--dtype", type=dtype_list, help="float32,float64 (default float32)")
    p.add_argument("--sizes", type=csv(parse_size),
                   help="element counts, e.g. 4096,256K,64M (default 256K,16M)")
    p.add_argument("--threads", type=thread_list,
                   help="thread counts, e.g. 1,2 or 1,all (default 1,all)")
    p.add_argument("--only", type=csv(str), help="activations, e.g. relu,sigmoid")
    p.add_argument("--direction", type=direction_list,
                   help="forward_ (in place, default), forward (into out=), backward")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--cpu", type=csv(str), metavar="TARGETS",
                   help="time fastact's kernels for each of these targets side by side, e.g. "
                        "baseline,avx2,avx512 (ratios are against the first)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--plot", metavar="FILE.png",
                   help="draw ns/element vs size per activation and the speed-ups at 256K "
                        "(matplotlib; use with --sweep)")
    p.add_argument("--replot", metavar="REPORT.json",
                   help="draw --plot from a --json file of an earlier run, measuring nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    p.add_argument("--config", action="store_true", help="print fastact.show_config() and exit")
    return p


def quick_time_note(report: dict, elapsed: float) -> str:
    """How long --quick took against its promise, and why when it was longer."""
    line = (f"--quick took {elapsed:.1f} s (promised: about {QUICK_TARGET_SECONDS:.0f} s on an "
            f"idle 2-core machine)")
    if elapsed <= QUICK_TOLERANCE * QUICK_TARGET_SECONDS:
        return line
    why = []
    load = report.get("load_average")
    cpus = report["config"].get("cpus") or 1
    if load is not None:
        why.append(f"load average {load:.1f} on {cpus} CPUs before the run"
                   + (f", {report['load_average_after']:.1f} after"
                      if report.get("load_average_after") is not None else ""))
    cpu = report.get("cpu_seconds")
    if cpu is not None:
        why.append(f"this process had the CPU for {cpu:.1f} s of the {elapsed:.1f} s")
    shares = [r["cpu_share"] for r in report["results"] if r.get("cpu_share") is not None]
    if shares:
        why.append(f"its timed calls ran {statistics.median(shares):.0%} of their wall time "
                   f"(median)")
    rel = report.get("reliability") or {}
    if rel.get("flagged_rows"):
        why.append(f"{rel['flagged_rows']} of {rel['rows']} rows flagged unreliable")
    return (line + ": NOT met here; " + "; ".join(why)
            + ". The machine was busy: rerun when it is idle for numbers to trust.")


def _process_seconds() -> float | None:
    """Wall seconds since this process started (Linux), so that --quick's time
    includes Python's start-up and the imports; None where unknown."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def main(argv=None) -> int:
    age = _process_seconds()
    started = time.perf_counter() - (age if age is not None and 0 <= age < 60 else 0.0)
    args = build_parser().parse_args(argv)
    if args.replot:
        if not args.plot:
            print("--replot needs --plot FILE.png", file=sys.stderr)
            return 2
        with open(args.replot) as f:
            plot(json.load(f), args.plot)
        print(f"plot written to {args.plot}")
        return 0
    if args.config:
        from .._config import show_config

        show_config()
        return 0
    if args.plot:  # fail before the run, not after it
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("--plot needs matplotlib, which is not installed: pip install matplotlib "
                  "(or pip install 'fastact[plot]').", file=sys.stderr)
            return 2
    args.json_only = False
    report = run_report(args)
    print_tables(report)
    print_target_table(report)
    print_verdict(report)
    report["wall_seconds_total"] = time.perf_counter() - started
    if report["mode"] == "quick":
        report["quick_note"] = quick_time_note(report, report["wall_seconds_total"])
        print("\n" + report["quick_note"], file=sys.stdout)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
        print(f"\nJSON written to {args.json}", file=sys.stdout)
    if args.plot:
        plot(report, args.plot)
        print(f"plot written to {args.plot}", file=sys.stdout)
    return 0
