"""pytest-benchmark settings for fastact's benchmark suite.

Run:   pytest benchmarks/ --benchmark-only
       pytest benchmarks/ --benchmark-only --benchmark-group-by=group   (the default)
       pytest benchmarks/ --benchmark-only --benchmark-autosave; later --benchmark-compare
Large: pytest benchmarks/ --benchmark-only --bench-large   (or FASTACT_BENCH_LARGE=1)
       adds 64M-element float32 cases for relu, sigmoid and the in-place stream.
Subset: -k "relu and float32", or --bench-sizes 256K.

Defaults chosen so the whole suite finishes in about 10 minutes on 2 cores: each
benchmark runs for at most 0.1 s (at least 5 rounds).  Any --benchmark-* option
given on the command line wins over these.
"""

import os

import pytest

# pytest-benchmark option -> (our default, its own default)
_DEFAULTS = {
    "benchmark_max_time": ("--benchmark-max-time", 0.1),
    "benchmark_min_rounds": ("--benchmark-min-rounds", 5),
    "benchmark_group_by": ("--benchmark-group-by", "group"),
    "benchmark_sort": ("--benchmark-sort", "name"),
    "benchmark_columns": ("--benchmark-columns", ["median", "min", "iqr", "ops", "rounds"]),
}


def pytest_addoption(parser):
    group = parser.getgroup("fastact benchmarks")
    group.addoption("--bench-large", action="store_true", default=False,
                    help="also time 64M-element arrays (relu, sigmoid, stream; slow). "
                         "Same as FASTACT_BENCH_LARGE=1.")
    group.addoption("--bench-sizes", default=None,
                    help="comma-separated element counts to time, e.g. 4K,256K "
                         "(default 4K,256K,4M)")


def pytest_configure(config):
    given = " ".join(str(a) for a in config.invocation_params.args)
    for dest, (flag, value) in _DEFAULTS.items():
        if flag in given or not hasattr(config.option, dest):
            continue
        setattr(config.option, dest, value)


def large_enabled(config) -> bool:
    return bool(config.getoption("--bench-large")) or os.environ.get(
        "FASTACT_BENCH_LARGE", "") not in ("", "0")


@pytest.fixture
def large(request):
    return large_enabled(request.config)
