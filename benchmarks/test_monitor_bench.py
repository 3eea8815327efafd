"""What dead-unit monitoring costs: the plain forward pass against the same
call with a fastact.DeadUnitMonitor, and against NumPy doing both jobs.

    pytest benchmarks/test_monitor_bench.py --benchmark-only
    pytest benchmarks/test_monitor_bench.py --benchmark-only -k "relu- and 256K"

For relu, relu6, leaky_relu and prelu, float32 and float64, 256 K and 16 M
elements, in place, one thread; one benchmark group per case holds:

* ``plain``:      ``relu_(x)``
* ``monitor``:    ``relu_(x, monitor=m)``, the per-call count
* ``channels``:   ``relu_(x, monitor=m)`` with ``per_channel=True`` on a
  (n/256, 256) array (256 features per row, the channel axis innermost);
  prelu keeps its conv layout (N, 16, 256) (channels an outer axis)
* ``numpy+count`` (relu only): ``np.maximum(x, 0, out=x)`` and
  ``np.count_nonzero(x == 0)``, a second pass over memory

The input is restored before every round, outside the timing.  On a shared
machine compare rows of one group, and prefer ``tools/measure_monitor.py``,
which interleaves the variants and drops samples the scheduler interrupted.
"""

import numpy as np
import pytest

import fastact
from fastact.bench import baselines as B

NAMES = [n for n, s in fastact.ACTIVATIONS.items() if s.flat is not None]
SIZES = {"256K": 1 << 18, "16M": 1 << 24}
DTYPES = ["float32", "float64"]
FEATURES = 256


def _cases():
    out = []
    for name in NAMES:
        for dtype in DTYPES:
            for size in SIZES:
                variants = ["plain", "monitor", "channels"]
                if name == "relu":
                    variants.append("numpy+count")
                out += [(name, dtype, size, v) for v in variants]
    return out


def _call(name, variant, dtype, n):
    """(zero-argument call, array it overwrites, pristine copy)."""
    x, _, weight = B.make_inputs(name, n, dtype)
    if variant == "channels" and name != "prelu":
        x = x.reshape(-1, FEATURES)
    pristine = x.copy()
    monitor = fastact.DeadUnitMonitor(per_channel=variant == "channels")
    if name == "prelu":
        if variant == "plain":
            return (lambda: fastact.prelu_(x, weight)), x, pristine
        return (lambda: fastact.prelu_(x, weight, monitor=monitor)), x, pristine
    f_ = getattr(fastact, name + "_")
    if variant == "plain":
        return (lambda: f_(x)), x, pristine
    if variant == "numpy+count":
        def numpy_count():
            np.maximum(x, 0, out=x)
            return np.count_nonzero(x == 0)
        return numpy_count, x, pristine
    return (lambda: f_(x, monitor=monitor)), x, pristine


@pytest.mark.parametrize("case", _cases(), ids=lambda c: "-".join(c))
def test_monitor_cost(benchmark, case, request):
    name, dtype, size, variant = case
    n = SIZES[size]
    call, x, pristine = _call(name, variant, dtype, n)
    benchmark.group = f"monitor {name} forward_ {dtype} {size}"
    benchmark.name = variant
    benchmark.extra_info.update(activation=name, dtype=dtype, elements=n, variant=variant)

    def restore():
        np.copyto(x, pristine)

    import time

    with fastact.num_threads(1):
        one = float("inf")
        for _ in range(3):   # the first calls pay one-time costs (page faults, pools)
            restore()
            t0 = time.perf_counter()
            call()
            one = min(one, time.perf_counter() - t0)
        max_time = float(request.config.getoption("benchmark_max_time"))
        rounds = max(int(request.config.getoption("benchmark_min_rounds")),
                     min(1000, int(max_time / max(one, 1e-7))))
        benchmark.pedantic(call, setup=restore, rounds=rounds, warmup_rounds=1)
