"""Thread count for the kernels.

Decided once in Python and passed to every OpenMP region: the default is
``FASTACT_NUM_THREADS``, else ``OMP_NUM_THREADS``, else every core this process
may run on.  Arrays smaller than the family's ``PARALLEL_GRAIN`` per thread run
on fewer threads (one, for small calls) whatever the setting.
"""

from __future__ import annotations

import contextlib
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


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads per call (1 = single-threaded)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads(): n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads(): n must be >= 1, got {n}")
    _kernels._set_num_threads(n)


def get_num_threads() -> int:
    """The most threads one call will use (1 when built without OpenMP)."""
    return _kernels._get_num_threads()


@contextlib.contextmanager
def num_threads(n: int):
    """``with fastact.num_threads(1): ...`` runs the block with ``n`` threads."""
    previous = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)


set_num_threads(_from_env())
