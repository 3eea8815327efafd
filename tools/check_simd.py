"""Check that every compiled kernel really vectorized.

    python tools/check_simd.py [path/to/_kernels*.so]

Disassembles the extension with ``objdump -d`` and, for each generated kernel
function (``_k_<formula>_f32`` / ``_f64``), counts packed SIMD instructions by
register width (zmm = AVX-512, ymm = AVX/AVX2, xmm packed =
SSE/AVX-128) and lists the functions it calls.  Exits 1 if a kernel has no
packed arithmetic at all, or calls anything but memcpy/memmove (a call to libm's
expf/tanh/... would mean the loop cannot be vectorized), or if an elementwise
float32 kernel converts to double (vcvtps2pd / vcvtss2sd): float32 kernels
compute in float32.  A bare literal in a Cython formula (``1 + z``) is a C
double and silently widens the whole expression; cast it (``<floating>1``).
Row-wise kernels (``_r_``) accumulate sums in float64 by design.
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
KERNEL = re.compile(r"^[0-9a-f]+ <(.*_([kr])_(\w+?)_(f32|f64))>:$")
WIDEN = re.compile(r"\bv?cvt(?:ps2pd|ss2sd)\b")
ALLOWED_CALLS = ("memcpy", "memmove", "memset")
# Row-wise kernels may call log once per row and their own per-block helpers.
ROW_CALLS = ("log", "__pyx_f_7fastact_8_kernels_")
# maxout takes the first arg-max of tiny groups (2-4 entries): scalar by design.
SCALAR_BY_DESIGN = ("maxout_forward", "maxout_backward")


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
            current = f"{m.group(3)}_{m.group(4)}"
            results[current] = {"widths": collections.Counter(), "calls": set(),
                                "widens": 0, "rowwise": m.group(2) == "r"}
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
        if WIDEN.search(line):
            results[current]["widens"] += 1
        if "\tcall" in line:
            target = re.search(r"<([^>@+]+)", line)
            results[current]["calls"].add(target.group(1) if target else line.split()[-1])
    return results


def main(argv):
    path = argv[1] if len(argv) > 1 else default_library()
    results = analyse(path)
    bad = []
    print(f"{path}\n{'kernel':36s} {'zmm':>5s} {'ymm':>5s} {'xmm':>5s}  notes")
    for name in sorted(results):
        r = results[name]
        allowed = ALLOWED_CALLS + (ROW_CALLS if r["rowwise"] else ())
        calls = sorted(c for c in r["calls"] if not c.startswith(allowed))
        widened = r["widens"] and name.endswith("_f32") and not r["rowwise"]
        w = r["widths"]
        notes = ", ".join(calls) + ("float32 widened to double" if widened else "")
        print(f"{name:36s} {w['zmm']:5d} {w['ymm']:5d} {w['xmm']:5d}  {notes or '-'}")
        if name.startswith(SCALAR_BY_DESIGN):
            continue
        if calls or widened or not sum(w.values()) and not r["calls"]:
            bad.append(name)
    if not results:
        print("no kernel functions found (stripped build?)")
        return 1
    if bad:
        print("NOT VECTORIZED, calling out of the loop, or widening float32: "
              + ", ".join(bad))
        return 1
    print(f"all {len(results)} kernels contain packed SIMD instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
