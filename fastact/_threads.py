"""Thread count for the kernels.

Decided once in Python and passed to every OpenMP region: the default is
``FASTACT_NUM_THREADS``, else ``OMP_NUM_THREADS``, else every core this process
may run on.  Arrays smaller than the family's ``PARALLEL_GRAIN`` per thread run
on fewer threads (one, for small calls) whatever the setting.

Two levels: ``set_num_threads`` sets the process-wide count; ``with
num_threads(n)`` sets the count for its block in the current context only (a
``contextvars`` variable: each Python thread and asyncio task has its own), so
blocks in two threads neither see nor undo each other's setting.  A child made
by ``fork()`` after the parent ran a multi-threaded call runs single-threaded:
libgomp's thread pool does not survive a fork.
"""

from __future__ import annotations

import contextlib
import operator
import os

from . import _kernels


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _from_env() -> int:
    for var in ("FASTACT_NUM_THREADS", "OMP_NUM_THREADS"):
        raw = os.environ.get(var, "").strip()
        if not raw:
            continue
        try:  # OMP_NUM_THREADS may list nested levels ("4,2"): take the outer one
            n = int(raw.split(",")[0])
        except ValueError:
            continue
        if n >= 1:
            return n
    return _cpu_count()


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

    Inside a ``with num_threads(m)`` block the block's ``m`` still applies to
    the calls of that block; the new process-wide value applies after it.
    """
    _kernels._set_num_threads(_count("set_num_threads", n))


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


set_num_threads(_from_env())
