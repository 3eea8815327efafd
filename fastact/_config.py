"""``fastact.show_config()``: what this build does on this machine."""

from __future__ import annotations

import platform
import sys

from . import _kernels
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
    return {
        "fastact": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "compiler": info["compiler"],
        "flags": info["flags"],
        "simd": info["simd"],
        "openmp": info["openmp"],
        "threads": get_num_threads(),
        "forked_serial": _kernels._forked_serial(),
        "cpus": _cpu_count(),
        "cpu": cpu_name(),
        "machine": platform.machine(),
    }


def show_config(file=None) -> None:
    """Print version, compiler flags, OpenMP, SIMD level and thread count."""
    c = config()
    lines = [
        f"fastact {c['fastact']} (Python {c['python']}, NumPy {c['numpy']})",
        f"  compiler:   {c['compiler']}",
        f"  flags:      {c['flags']}",
        f"  SIMD level: {c['simd']}",
        f"  OpenMP:     {'on' if c['openmp'] else 'off (single-threaded build)'}",
        f"  threads:    {c['threads']} in use, {c['cpus']} CPU(s) available"
        + (" (forked from a multi-threaded process: single-threaded)"
           if c["forked_serial"] else ""),
        f"  CPU:        {c['cpu']} ({c['machine']})",
    ]
    print("\n".join(lines), file=file or sys.stdout)
