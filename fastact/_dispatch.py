"""Runtime instruction-set dispatch: which compiled kernel target this CPU runs.

The kernels are compiled once per target into ``fastact._loops_<target>``
(setup.py); the driver ``fastact._kernels`` is compiled for the baseline and
calls the chosen target's loops through a table of function pointers.  The
choice is made once, at import, from CPUID (and XGETBV: the OS must save the
wider registers), like NumPy's dispatch:

* ``avx512``   x86-64-v4: AVX-512 F/BW/CD/DQ/VL (+ everything avx2 needs)
* ``avx2``     x86-64-v3: AVX, AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE
* ``baseline`` the architecture's baseline (x86-64: SSE2, no FMA; aarch64: NEON)
* ``native``   only in a ``FASTACT_NATIVE=1`` build (``-march=native``, for
  local tuning): trusted to match the machine that built it.

``FASTACT_CPU=baseline|avx2|avx512|native`` forces a target (tests,
benchmarks); asking for one that is not built, or that this CPU lacks, raises
at import and says what the CPU has.  A target's module is imported only after
the CPU is known to run it: its module-init code may itself use the target's
instructions.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os

from . import _kernels

# Best first.
ORDER = ("native", "avx512", "avx2", "baseline")
_AVX2 = ("avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "lzcnt", "movbe", "os_ymm")
REQUIRES = {
    "native": (),
    "avx512": _AVX2 + ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "os_zmm"),
    "avx2": _AVX2,
    "baseline": (),
}


@functools.cache
def compiled_targets() -> tuple:
    """The targets this installation has kernels for, best first."""
    return tuple(t for t in ORDER
                 if importlib.util.find_spec(f"fastact._loops_{t}") is not None)


def missing_features(target: str, features=None) -> list:
    """The CPU features ``target`` needs that this CPU (or OS) lacks."""
    have = _kernels.cpu_features() if features is None else features
    return [f for f in REQUIRES[target] if f not in have]


def supported_targets() -> tuple:
    """Compiled targets this CPU can run, best first."""
    return tuple(t for t in compiled_targets() if not missing_features(t))


def _check_cpu(target: str, asked: str) -> None:
    """Raise if this CPU (or its OS) cannot run ``target``, saying what it has."""
    lacking = missing_features(target)
    if lacking:
        have = " ".join(sorted(_kernels.cpu_features())) or "(no x86 features)"
        raise RuntimeError(
            f"{asked}: this CPU (or its OS) lacks {', '.join(lacking)}; it has: {have}; "
            f"usable targets: {', '.join(supported_targets())}")


def choose(env=None) -> str:
    """The target to use: ``FASTACT_CPU`` if set (checked), else the best one."""
    env = os.environ if env is None else env
    compiled = compiled_targets()
    if not compiled:
        raise ImportError("fastact: no compiled kernel module (fastact._loops_*) found; "
                          "reinstall with `pip install .`")
    forced = env.get("FASTACT_CPU", "").strip().lower()
    if not forced:
        return supported_targets()[0]
    if forced not in compiled:
        raise RuntimeError(f"FASTACT_CPU={forced}: this build has no such target; it has "
                           f"{', '.join(compiled)}")
    _check_cpu(forced, f"FASTACT_CPU={forced}")
    return forced


def use(target: str) -> None:
    """Bind every kernel to ``target``'s loops (import time, and for tests and the
    report's target comparison).  Not thread-safe: no kernel may be running."""
    if target not in compiled_targets():
        raise ValueError(f"fastact: no compiled target {target!r}; this build has "
                         f"{', '.join(compiled_targets())}")
    _check_cpu(target, f"fastact target {target}")
    module = importlib.import_module(f"fastact._loops_{target}")
    _kernels.bind(target, module.kernel_table(), module.KERNEL_SPECS)


def current() -> str:
    """The target in use."""
    return _kernels.bound_target()


def target_info(target: str | None = None) -> dict:
    """What ``target``'s kernels (default: the one in use) were compiled with."""
    module = importlib.import_module(f"fastact._loops_{target or current()}")
    return module.build_info()


def explicit_simd(enabled: bool | None = None, target: str | None = None,
                  dtype: str = "float32") -> tuple:
    """The kernels that ``target`` (default: the one in use) runs as explicit
    SIMD (pyx/simd/) in ``dtype`` ("float32" or "float64"); ``enabled=False``
    makes them (both dtypes) run the Cython formula instead (side-by-side
    timing, tests), ``True`` restores them.  Not thread-safe: no kernel may be
    running."""
    module = importlib.import_module(f"fastact._loops_{target or current()}")
    return module.explicit_simd(enabled, dtype)


# At import (fastact/__init__.py imports this module before building the API):
# the kernels of the best target this CPU runs, or FASTACT_CPU's.
use(choose())
