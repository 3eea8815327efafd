"""``fastact.show_config()``: what this build does on this machine."""

from __future__ import annotations

import os
import platform
import sys

from . import _dispatch, _kernels
from ._threads import _cpu_count, get_num_threads


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model name")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def config() -> dict:
    """The facts show_config prints, as a dict."""
    import numpy

    from . import __version__

    info = _kernels.build_info()
    target = _dispatch.target_info()
    return {
        "fastact": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "compiler": target["compiler"],
        "flags": target["flags"],
        "driver_flags": info["flags"],
        "simd": target["simd"],
        "target": target["target"],
        "targets": list(_dispatch.compiled_targets()),
        "supported": list(_dispatch.supported_targets()),
        "features": sorted(_kernels.cpu_features()),
        "forced": os.environ.get("FASTACT_CPU", "").strip() or None,
        "openmp": info["openmp"],
        "threads": get_num_threads(),
        "threads_from": ("set_num_threads / FASTACT_NUM_THREADS"
                         if _kernels._explicit_num_threads() else
                         "OpenMP's count (OMP_NUM_THREADS, threadpoolctl), capped at the "
                         f"CPUs this process may use ({_kernels._cpu_cap_value()})"
                         if not os.environ.get("OMP_NUM_THREADS", "").strip() else
                         "OpenMP's count (OMP_NUM_THREADS, threadpoolctl)"),
        "forked_serial": _kernels._forked_serial(),
        "cpus": _cpu_count(),
        "cpu": cpu_name(),
        "machine": platform.machine(),
        "last_level_cache": _kernels.last_level_cache(),
        "stream_bytes": _kernels._stream_threshold(_kernels.last_level_cache()),
    }


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n else "unknown"


def show_config(file=None) -> None:
    """Print version, the compiled targets, the CPU's features and the chosen
    target (as np.show_runtime does), compiler flags, OpenMP and threads."""
    c = config()
    targets = ", ".join(t + ("" if t in c["supported"] else " (not on this CPU)")
                        for t in c["targets"])
    how = "forced by FASTACT_CPU" if c["forced"] else "best this CPU supports"
    lines = [
        f"fastact {c['fastact']} (Python {c['python']}, NumPy {c['numpy']})",
        f"  targets:    {targets}",
        f"  chosen:     {c['target']} ({how})",
        f"  CPU has:    {' '.join(c['features']) or '(no x86 features: baseline only)'}",
        f"  compiler:   {c['compiler']}",
        f"  flags:      {c['flags']}",
        f"  driver:     {c['driver_flags']}",
        f"  SIMD level: {c['simd']}",
        f"  OpenMP:     {'on' if c['openmp'] else 'off (single-threaded build)'}",
        f"  threads:    {c['threads']} in use, {c['cpus']} CPU(s) available; from "
        f"{c['threads_from']}"
        + (" (forked from a multi-threaded process: single-threaded)"
           if c["forked_serial"] else ""),
        f"  CPU:        {c['cpu']} ({c['machine']})",
        f"  caches:     last level {_mib(c['last_level_cache'])}; out= streamed from "
        f"{_mib(c['stream_bytes'])} of operands on",
    ]
    print("\n".join(lines), file=file or sys.stdout)
