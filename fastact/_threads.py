"""Thread count for the kernels.

Decided in Python and passed to every OpenMP region.  The default follows
OpenMP's own count for the calling thread, ``omp_get_max_threads()``: what
``OMP_NUM_THREADS`` and ``omp_set_num_threads`` set, so threadpoolctl's
``threadpool_limits(n)`` limits fastact as it limits scikit-learn's Cython
code; capped, unless OMP_NUM_THREADS is set (then it is the user's count, as
scikit-learn treats it), by the CPUs this process may use: its CPU affinity
and its cgroup CPU quota (``_cpu_count``).  ``FASTACT_NUM_THREADS`` or
``set_num_threads(n)`` fix a process-wide count instead.  Arrays smaller than
the family's ``PARALLEL_GRAIN`` per thread run on fewer threads (one, for
small calls) whatever the setting.

Two levels: ``set_num_threads`` sets the process-wide count; ``with
num_threads(n)`` sets the count for its block in the current context only (a
``contextvars`` variable: each Python thread and asyncio task has its own),
so blocks in two threads neither see nor undo each other's setting; both win
over threadpoolctl.  A child made by ``fork()`` after the parent ran a
multi-threaded call runs single-threaded: libgomp's thread pool does not
survive a fork.
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
from typing import Optional

from . import _kernels


def _affinity_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _cgroup_quota(root: str = "/sys/fs/cgroup") -> Optional[int]:
    """CPUs the cgroup's CPU quota allows (rounded up), or None without one.

    cgroup v2: ``cpu.max`` holds "<quota> <period>" or "max <period>"; v1:
    ``cpu/cpu.cfs_quota_us`` (-1 = none) and ``cpu/cpu.cfs_period_us``.  Only
    the process's own cgroup directory is read where /proc/self/cgroup names
    one (containers mount their own cgroup at the root)."""
    candidates = []
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3 and parts[0] == "0" and parts[2] not in ("", "/"):
                    candidates.append(os.path.join(root, parts[2].lstrip("/"), "cpu.max"))
    except OSError:
        pass
    candidates.append(os.path.join(root, "cpu.max"))
    for path in candidates:
        try:
            with open(path) as f:
                quota, period = f.read().split()[:2]
        except (OSError, ValueError):
            continue
        if quota == "max":
            return None
        return max(1, math.ceil(int(quota) / int(period)))
    try:
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as f:
            quota = int(f.read())
        with open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as f:
            period = int(f.read())
    except (OSError, ValueError):
        return None
    if quota <= 0 or period <= 0:
        return None
    return max(1, math.ceil(quota / period))


def _cpu_count() -> int:
    """CPUs this process may use: its affinity mask, capped by its cgroup quota."""
    n = _affinity_count()
    quota = _cgroup_quota()
    return min(n, quota) if quota else n


def _from_env() -> int:
    """FASTACT_NUM_THREADS as a fixed count, or 0 (the default: follow OpenMP,
    which reads OMP_NUM_THREADS itself)."""
    raw = os.environ.get("FASTACT_NUM_THREADS", "").strip()
    try:  # a list of nested levels ("4,2"), as OMP_NUM_THREADS: take the outer one
        n = int(raw.split(",")[0]) if raw else 0
    except ValueError:
        return 0
    return n if n >= 1 else 0


_INT_MAX = 2**31 - 1


def _count(fname: str, n) -> int:
    """``n`` as a thread count (any integer type: int, np.int64, ...), or a
    clear error naming it."""
    if isinstance(n, bool):
        raise TypeError(f"{fname}(): n must be an int, got bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{fname}(): n must be an int, got {type(n).__name__}") from None
    if n < 1:
        raise ValueError(f"{fname}(): n must be >= 1, got {n}")
    if n > _INT_MAX:
        raise ValueError(f"{fname}(): n must be <= {_INT_MAX}, got {n}")
    return n


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads per call (1 = single-threaded), process-wide.

    Before any call (the default), fastact follows OpenMP's count for the
    calling thread (``OMP_NUM_THREADS``; threadpoolctl's ``threadpool_limits``),
    capped by the CPUs the process may use; a set count wins over
    threadpoolctl from then on.  Inside a ``with num_threads(m)`` block the
    block's ``m`` still applies to the calls of that block; the new
    process-wide value applies after it.
    """
    _kernels._set_num_threads(_count("set_num_threads", n))


def _reset_num_threads() -> None:
    """Back to the default (tests; FASTACT_NUM_THREADS is read again)."""
    _kernels._set_num_threads(_from_env())


def get_num_threads() -> int:
    """The most threads one call made here will use: the enclosing
    ``num_threads`` block's count, else the process-wide one (1 when built
    without OpenMP, and in a forked child whose parent ran multi-threaded)."""
    return _kernels._get_num_threads()


@contextlib.contextmanager
def num_threads(n: int):
    """``with fastact.num_threads(1): ...`` runs the block with ``n`` threads.

    The setting belongs to the current context (Python thread, asyncio task):
    other threads keep theirs, and leaving the block restores this context's
    previous value, whatever other threads did meanwhile.
    """
    token = _kernels._thread_override.set(_count("num_threads", n))
    try:
        yield
    finally:
        _kernels._thread_override.reset(token)


# OMP_NUM_THREADS, when set, is the user's count, even beyond the CPUs (as
# scikit-learn treats it); otherwise OpenMP's count is capped by the CPUs the
# process may use (libgomp counts the affinity mask, not the cgroup quota).
_kernels._set_cpu_cap(2**31 - 1 if os.environ.get("OMP_NUM_THREADS", "").strip()
                      else _cpu_count())
_kernels._set_num_threads(_from_env())
