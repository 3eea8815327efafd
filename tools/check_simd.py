"""Check that every compiled kernel really vectorized.

    python tools/check_simd.py [path/to/_kernels*.so]

Disassembles the extension with ``objdump -d`` and, for each generated kernel
function (``_k_<formula>_f32`` / ``_f64``), counts packed SIMD instructions by
register width (zmm = AVX-512, ymm = AVX/AVX2, xmm packed =
SSE/AVX-128) and lists the functions it calls.  Exits 1 if a kernel has no
packed arithmetic at all, or calls anything but memcpy/memmove (a call to libm's
expf/tanh/... would mean the loop cannot be vectorized).
"""

from __future__ import annotations

import collections
import glob
import os
import re
import shutil
import subprocess
import sys

# Packed (not scalar: ss/sd) arithmetic, compares, blends and min/max.
PACKED = re.compile(
    r"\b(v?(?:add|sub|mul|div|max|min|cmp\w*|blendm?|blendv|fn?m(?:add|sub)\d*|and|andn|or|xor"
    r"|sqrt|rcp14|rsqrt14|scalef|getexp|getmant|rndscale|round|cvt\w*|ternlog\w*)p[sd])\b"
)
KERNEL = re.compile(r"^[0-9a-f]+ <(.*_k_(\w+?)_(f32|f64))>:$")
ALLOWED_CALLS = ("memcpy", "memmove", "memset")


def default_library():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = glob.glob(os.path.join(here, "fastact", "_kernels*.so"))
    if not found:
        import fastact._kernels as k

        found = [k.__file__]
    return found[0]


def analyse(path):
    if shutil.which("objdump") is None:
        raise RuntimeError("objdump not found (install binutils)")
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], check=True,
                          capture_output=True, text=True).stdout
    results = {}
    current = None
    for line in text.splitlines():
        m = KERNEL.match(line)
        if m:
            current = f"{m.group(2)}_{m.group(3)}"
            results[current] = {"widths": collections.Counter(), "calls": set()}
            continue
        if current is None:
            continue
        if not line.strip():
            current = None
            continue
        # Any instruction on a 512/256-bit register is packed; on xmm registers
        # only the packed mnemonics are (scalar ss/sd code also uses xmm).
        if "%zmm" in line:
            results[current]["widths"]["zmm"] += 1
        elif "%ymm" in line:
            results[current]["widths"]["ymm"] += 1
        elif PACKED.search(line) or re.search(r"\bv?mov(?:u|a)p[sd]\b|\bv?movdq[ua]", line):
            results[current]["widths"]["xmm"] += 1
        if "\tcall" in line:
            target = re.search(r"<([^>@+]+)", line)
            results[current]["calls"].add(target.group(1) if target else line.split()[-1])
    return results


def main(argv):
    path = argv[1] if len(argv) > 1 else default_library()
    results = analyse(path)
    bad = []
    print(f"{path}\n{'kernel':36s} {'zmm':>5s} {'ymm':>5s} {'xmm':>5s}  calls")
    for name in sorted(results):
        r = results[name]
        calls = sorted(c for c in r["calls"] if not c.startswith(ALLOWED_CALLS))
        w = r["widths"]
        print(f"{name:36s} {w['zmm']:5d} {w['ymm']:5d} {w['xmm']:5d}  {', '.join(calls) or '-'}")
        if calls or not sum(w.values()) and not r["calls"]:
            bad.append(name)
    if not results:
        print("no kernel functions found (stripped build?)")
        return 1
    if bad:
        print("NOT VECTORIZED (or calling out of the loop): " + ", ".join(bad))
        return 1
    print(f"all {len(results)} kernels contain packed SIMD instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
