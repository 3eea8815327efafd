"""Check that every compiled kernel really vectorized, for every target.

    python tools/check_simd.py [path/to/_loops_<target>*.so ...]
    python tools/check_simd.py --row-loops [...]   # instructions per loop body
                                                  # in the SIMD row loops
    python tools/check_simd.py --row-loops-cython [...]  # ... in the Cython rows
    python tools/check_simd.py --loops [...]       # ... in the elementwise SIMD
                                                  # kernels, with their mul/fma-
                                                  # class and permute counts

Without arguments: every kernel module (fastact/_loops_*.so) of this build.
Disassembles each with ``objdump -d`` and, for each generated kernel function
(``_k_<formula>_f32`` / ``_f64``, row-wise ``_r_...``), counts packed SIMD
instructions by register width (zmm = AVX-512, ymm = AVX/AVX2, xmm packed =
SSE/AVX-128) and lists the functions it calls.  Exits 1 if a kernel:

* has no packed arithmetic of its target's width (baseline: xmm, avx2: ymm,
  avx512/native-with-AVX-512: zmm);
* calls anything but memcpy/memmove (a call to libm's expf/tanh/fma... would
  mean the loop cannot be vectorized); an explicit-SIMD kernel may also call
  its header's own intrinsics helpers (fa512_* / fa256_*: a rare path kept
  out of line);
* is an elementwise float32 kernel that converts to double (vcvtps2pd /
  vcvtss2sd) on a target with hardware FMA: float32 kernels compute in
  float32.  A bare literal in a Cython formula (``1 + z``) is a C double and
  silently widens the whole expression; cast it (``<floating>1``).  On the
  x86-64 baseline (no FMA) float32 fma is emulated in double by design
  (pyx/_vmath.pxd), so widening is allowed there.  Row-wise kernels (``_r_``)
  accumulate sums in float64 by design.

A kernel with an explicit-SIMD version on the target (pyx/simd/: the
generated ``_k_`` function only hands its arrays to ``fa_simd_run1/2``) is
judged by that version, the function ``fa_simd_<formula>_f32``: the table
shows its counts and notes "explicit SIMD".  A kernel whose code is the same
as another's (two activations with one formula) is, after GCC's identical
code folding, a jump to that kernel, and judged by it.  A run-of-rows twin
(``_k_<formula>_2d_f32``, pyx/_abi.pxd's kernel2d_fn) is a kernel of its own
that may call its one-row kernel (the layouts it hands on, row by row).

and exits 1 if a module holds instructions above its target: the baseline no
VEX/EVEX instruction at all (no ymm/zmm register, no v-prefixed mnemonic),
avx2 no zmm register.
"""

from __future__ import annotations

import collections
import glob
import importlib.util
import os
import platform
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
# A packed load or store (a memory operand); register copies with movapd are
# scalar code too.
PACKED_MOVE = re.compile(r"\bv?mov(?:u|a)p[sd]\b.*\(|\bv?movdq[ua]\b.*\(")
# The explicit-SIMD versions (pyx/simd/fa_simd_<target>.h), by formula name.
SIMD_FN = re.compile(r"^[0-9a-f]+ <fa_simd_(\w+?)_(f32|f64)>:$")
WIDEN = re.compile(r"\bv?cvt(?:ps2pd|ss2sd)\b")
# A kernel's first instruction jumping to another kernel: the compiler folded
# two identical functions into one.
FOLDED = re.compile(r"^\s*[0-9a-f]+:\s+jmp\s+[0-9a-f]+ <.*_[kr]_(\w+?_f(?:32|64))>$")
ALLOWED_CALLS = ("memcpy", "memmove", "memset")
SIMD_HELPERS = ("fa512_", "fa256_")
# Row-wise kernels may call log once per row, their own per-block helpers and
# their explicit-SIMD rows (pyx/simd/fa_simd_rows_<target>.h) with theirs;
# for one long row, its chunks' walk on the threads (fa_for_chunks) and the
# buffer of their partial results (malloc, free).
ROW_CALLS = ("log", "__pyx_f_7fastact_", "fa_simd_", "fa512_", "fa256_", "fa_for_chunks",
             "malloc", "free")
# maxout takes the first arg-max of tiny groups (2-4 entries): scalar by design.
SCALAR_BY_DESIGN = ("maxout_forward", "maxout_backward")
# Known misses, per target, with the reason (each is correct and call-free, only
# not vectorized).  baseline celu_forward_f64: GCC 12 threads v_expm1_f64's two
# clamp constants (x > 710, x < -40) into an int64 select of n (1024 : -58) on
# a float64 compare, which it cannot vectorize without SSE4.2 (tried: early
# inlining, -fno-thread-jumps, -fno-tree-dominator-opts).
KNOWN_SCALAR = {"baseline": ("celu_forward_f64",)}


TARGET_WIDTH = {"baseline": "xmm", "avx2": "ymm", "avx512": "zmm"}
MNEMONIC = re.compile(r"^\s*[0-9a-f]+:\s+(\S+)")


def default_libraries():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = sorted(glob.glob(os.path.join(here, "fastact", "_loops_*.so")))
    if not found:
        import fastact._dispatch as d

        found = [importlib.util.find_spec(f"fastact._loops_{t}").origin
                 for t in d.compiled_targets()]
    return found


def target_of(path):
    m = re.search(r"_loops_([a-z0-9]+)", os.path.basename(path))
    return m.group(1) if m else "native"


def analyse(path):
    if shutil.which("objdump") is None:
        raise RuntimeError("objdump not found (install binutils)")
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], check=True,
                          capture_output=True, text=True).stdout
    results = {}
    simd = {}
    whole = collections.Counter()   # the module's widest code, kernels or not
    current = None
    for line in text.splitlines():
        if "%zmm" in line:
            whole["zmm"] += 1
        elif "%ymm" in line:
            whole["ymm"] += 1
        mn = MNEMONIC.match(line)
        if mn and mn.group(1).startswith("v"):
            whole["vex"] += 1
        m = SIMD_FN.match(line)
        if m and not m.group(1).startswith("run"):
            current = f"simd:{m.group(1)}_{m.group(2)}"
            simd[current] = {"widths": collections.Counter(), "calls": set(),
                             "widens": 0, "rowwise": "_row" in m.group(1)}
            continue
        m = KERNEL.match(line)
        if m:
            current = f"{m.group(3)}_{m.group(4)}"
            results[current] = {"widths": collections.Counter(), "calls": set(),
                                "widens": 0, "rowwise": m.group(2) == "r", "start": True,
                                "symbol": m.group(1)}
            continue
        if current is None:
            continue
        r = simd[current] if current.startswith("simd:") else results[current]
        if not line.strip():
            current = None
            continue
        folded = r.pop("start", False) and FOLDED.match(line)
        if folded:
            r["same_as"] = folded.group(1)
        # Any instruction on a 512/256-bit register is packed; on xmm registers
        # only the packed mnemonics are (scalar ss/sd code also uses xmm).
        if "%zmm" in line:
            r["widths"]["zmm"] += 1
        elif "%ymm" in line:
            r["widths"]["ymm"] += 1
        elif PACKED.search(line) or PACKED_MOVE.search(line):
            r["widths"]["xmm"] += 1
        if WIDEN.search(line):
            r["widens"] += 1
        if "\tcall" in line:
            target = re.search(r"<([^>@+]+)", line)
            r["calls"].add(target.group(1) if target else line.split()[-1])
    # the explicit-SIMD versions are checked as rows of their own (a kernel
    # keeps its Cython loop for the parameters and targets SIMD does not cover)
    for name, v in simd.items():
        results[name] = dict(v, explicit=True)
    for name, r in list(results.items()):
        if r.get("same_as") in results:
            results[name] = dict(results[r["same_as"]], same_as=r["same_as"])
    return results, whole


def check(path):
    """Print the table for one kernel module; return the number of problems."""
    target = target_of(path)
    results, whole = analyse(path)
    # native: the widest register the build uses is its width.
    width = TARGET_WIDTH.get(target) or ("zmm" if whole["zmm"] else
                                         "ymm" if whole["ymm"] else "xmm")
    # The x86 baseline has no FMA (and no VEX); other architectures' baseline does.
    hw_fma = target != "baseline" or not re.match(r"x86|i.86|amd64", platform.machine().lower())
    bad = []
    print(f"{path}\ntarget {target}: kernels must use {width}\n"
          f"{'kernel':36s} {'zmm':>5s} {'ymm':>5s} {'xmm':>5s}  notes")
    for name in sorted(results):
        r = results[name]
        allowed = ALLOWED_CALLS + (ROW_CALLS if r["rowwise"] else ())
        # an explicit-SIMD kernel may keep a rare path out of line: its own
        # header's intrinsics (gelu's R-table form, fa512_gelu_any_ool)
        allowed += SIMD_HELPERS if r.get("explicit") else ()
        # A kernel may call itself: the counting kernels' whole-rows mode runs
        # its rows through the one-row path where a target has no intrinsics;
        # and a run-of-rows twin (_k_<formula>_2d_f32) its one-row kernel, for
        # the layouts it does not take on itself.
        own = (r.get("symbol"), (r.get("symbol") or "").replace("_2d_", "_"))
        calls = sorted(c for c in r["calls"] if not c.startswith(allowed) and c not in own)
        widened = hw_fma and r["widens"] and name.endswith("_f32") and not r["rowwise"]
        w = r["widths"]
        notes = ", ".join(calls) + ("float32 widened to double" if widened else "")
        if r.get("explicit"):
            notes = "explicit SIMD (pyx/simd/)" + (", " + notes if notes else "")
        if r.get("same_as"):
            notes = f"the code of {r['same_as']}" + (", " + notes if notes else "")
        print(f"{name:36s} {w['zmm']:5d} {w['ymm']:5d} {w['xmm']:5d}  {notes or '-'}")
        if name.startswith(SCALAR_BY_DESIGN) or (name in KNOWN_SCALAR.get(target, ())
                                                 and not calls):
            continue
        if calls or widened or not w[width] and not r["calls"]:
            bad.append(name)
    problems = []
    if not results:
        problems.append("no kernel functions found (stripped build?)")
    if bad:
        problems.append("NOT VECTORIZED at the target's width, calling out of the loop, "
                        "or widening float32: " + ", ".join(bad))
    if target == "baseline" and not hw_fma and (whole["vex"] or whole["ymm"] or whole["zmm"]):
        problems.append(f"the baseline module contains {whole['vex']} VEX/EVEX "
                        f"instructions ({whole['ymm']} on ymm, {whole['zmm']} on zmm)")
    if target == "avx2" and whole["zmm"]:
        problems.append(f"the avx2 module uses zmm registers ({whole['zmm']} instructions)")
    for p in problems:
        print(p)
    if not problems:
        print(f"all {len(results)} kernels contain packed SIMD instructions ({width}); "
              f"nothing above the target")
    return len(problems)


JUMP = re.compile(r"^\s*([0-9a-f]+):\s+j\w+\s+([0-9a-f]+) <")


# Instructions of the fma pipes' class (Zen 4 issues them on its two FMA
# pipes, one 512-bit operation per cycle) and lane permutes.
FMA_CLASS = re.compile(
    r"^v(?:fn?m(?:add|sub)\d+|mul|scalef|rcp14|div|reduce|getexp|getmant)[ps][sd]$")
PERMUTE = re.compile(r"^vperm")


def loop_bodies(path, cython=False, elementwise=False, detail=False):
    """The innermost vector loops (a backward jump with no other backward
    jump inside) of the explicit-SIMD row functions (by default), of the
    float32 row kernels' Cython forms, or of the elementwise kernels: {function:
    [instructions per loop body, ...]} in address order.  With ``cython``: of
    the float32 row kernels (``_r_..._f32``), whose Cython forms (run with
    explicit_simd(False), and on targets without SIMD rows) are inlined there.
    With ``elementwise``: of the elementwise kernels (``fa_simd_<formula>_<dtype>``,
    one vector of 16 (avx512) or 8 (avx2) float32 lanes, 8 / 4 float64, per
    iteration).  With ``detail``: each loop as (instructions, mul/fma-class,
    permutes); a branch inside the body (a rare path) counts with it."""
    text = subprocess.run([shutil.which("objdump") or "objdump", "-d", "--no-show-raw-insn",
                           path], capture_output=True, text=True, check=True).stdout
    loops, current, lines = {}, None, []

    def finish():
        if current is None:
            return
        back = [(int(t, 16), int(a, 16)) for a, t in
                (m.groups() for m in map(JUMP.match, (ln for _, ln in lines)) if m)
                if int(t, 16) < int(a, 16)]
        inner = [(lo, hi) for lo, hi in back
                 if not any(lo <= lo2 and hi2 < hi and (lo2, hi2) != (lo, hi)
                            for lo2, hi2 in back)]
        def body(lo, hi):
            return [ln.split("\t")[1].split()[0] if len(ln.split("\t")) > 1 else ""
                    for a, ln in lines if lo <= int(a, 16) <= hi]

        def count(lo, hi):
            ops = body(lo, hi)
            if not detail:
                return len(ops)
            return (len(ops), sum(bool(FMA_CLASS.match(op)) for op in ops),
                    sum(bool(PERMUTE.match(op)) for op in ops))

        counts = sorted((lo, count(lo, hi)) for lo, hi in inner
                        if any("%zmm" in ln or "%ymm" in ln for a, ln in lines
                               if lo <= int(a, 16) <= hi))
        loops[current] = [c for _, c in counts]

    for line in text.splitlines():
        m = KERNEL.match(line) if cython else SIMD_FN.match(line)
        if m or re.match(r"^[0-9a-f]+ <", line):
            finish()
            if cython:
                keep = m and m.group(2) == "r" and m.group(4) == "f32" and "softmax" in m.group(3)
                current = f"{m.group(3)}_{m.group(4)}" if keep else None
            else:
                keep = m and ("_row" in m.group(1)) != elementwise
                current = f"{m.group(1)}_{m.group(2)}" if keep else None
            lines = []
            continue
        a = re.match(r"^\s*([0-9a-f]+):", line)
        if current and a:
            lines.append((a.group(1), line))
    finish()
    return loops


def check_driver(path):
    """The driver (fastact._kernels) is compiled once and must run on every
    CPU: on x86 it may hold no VEX/EVEX instruction."""
    if not re.match(r"x86|i.86|amd64", platform.machine().lower()):
        return 0
    _, whole = analyse(path)
    print(f"{path}\ndriver: {whole['vex']} VEX/EVEX instructions (must be 0)")
    return 1 if whole["vex"] or whole["ymm"] or whole["zmm"] else 0


def driver_library():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = sorted(glob.glob(os.path.join(here, "fastact", "_kernels*.so")))
    if not found:
        found = [importlib.util.find_spec("fastact._kernels").origin]
    return found[0]


def main(argv):
    if argv[1:2] == ["--loops"]:
        for path in argv[2:] or default_libraries():
            print(path)
            print("  (instructions, mul/fma-class, permutes) per loop body, in address order")
            for name, counts in loop_bodies(path, elementwise=True, detail=True).items():
                if counts:
                    print(f"  {name:28s} {counts}")
        return 0
    if argv[1:2] in (["--row-loops"], ["--row-loops-cython"]):
        for path in argv[2:] or default_libraries():
            print(path)
            for name, counts in loop_bodies(path, argv[1].endswith("cython")).items():
                print(f"  {name:28s} instructions per loop body: {counts}")
        return 0
    paths = argv[1:] or default_libraries()
    failed = sum(check(path) > 0 for path in paths)
    if not argv[1:]:
        failed += check_driver(driver_library())
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
