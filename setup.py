"""Build fastact: one driver extension and one kernel extension per CPU target.

* ``fastact._kernels`` (pyx/_kernels.pyx.tp): the N-d driver, threads (OpenMP),
  argument checks and entry points.  Compiled once, for the architecture's
  baseline, so that it imports on every CPU.
* ``fastact._loops_<target>`` (pyx/_loops.pyx.tp, rendered once per target): the
  nogil kernel loops, compiled with each target's flags.  At import,
  fastact/_dispatch.py picks the best one this CPU (and OS) supports.

Both templates render their kernel lists (and the driver its grains) from
fastact/_table.py, the one table of activations, read by path: fastact itself
cannot be imported before it is built.

Targets (x86-64): ``baseline`` (SSE2, no FMA), ``avx2`` (x86-64-v3: AVX2, FMA,
256-bit) and ``avx512`` (x86-64-v4: AVX-512 F/BW/CD/DQ/VL, 512-bit vectors
preferred).  Elsewhere (aarch64: NEON and FMA are baseline) only ``baseline``.
Environment:

* ``FASTACT_TARGETS=baseline,avx2`` builds a subset (e.g. faster local builds);
* ``FASTACT_NATIVE=1`` builds one ``native`` target with ``-march=native``
  instead (local tuning only: such a build must not be distributed);
* ``FASTACT_OPENMP=0`` forces the single-threaded build (as on a compiler
  without OpenMP, where the build still succeeds and says so).

Common flags: ``-O3 -fno-math-errno -fno-trapping-math``, which let GCC/Clang
if-convert and vectorize the kernels.  Never ``-ffast-math``: it would let the
compiler drop the NaN/inf handling that docs/CONTRACT.md's numerical contract requires.
"""

import glob
import os
import platform
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
PYX = "pyx"
X86 = platform.machine().lower() in ("x86_64", "amd64", "x86", "i386", "i686")

# target -> (GCC/Clang flags, fallback flags for compilers without the
# x86-64-vN names, MSVC flags).  Checked in order; the first the compiler
# accepts is used, a target no set works for is skipped with a warning.
V3 = ["-mavx2", "-mfma", "-mbmi", "-mbmi2", "-mf16c", "-mlzcnt", "-mmovbe"]
V4 = V3 + ["-mavx512f", "-mavx512bw", "-mavx512cd", "-mavx512dq", "-mavx512vl"]
# GCC defaults to 256-bit vectors on AVX-512 parts.  Measured on Sapphire
# Rapids: 512-bit relu/hardtanh ~15% faster on in-L1 arrays, equal once
# memory-bound; the exponential family is instruction-bound (512 wins).
WIDE = ["-mprefer-vector-width=512"]
TARGETS = {
    "baseline": ([[]], []),
    "avx2": ([["-march=x86-64-v3"], V3], ["/arch:AVX2"]),
    "avx512": ([["-march=x86-64-v4"] + WIDE, V4 + WIDE, ["-march=x86-64-v4"], V4],
               ["/arch:AVX512"]),
    "native": ([["-march=native"] + WIDE, ["-march=native"], ["-mcpu=native"]], []),
}


# Kernel loops start on a 64-byte boundary.  The x86-64-vN targets are tuned
# for "generic", which aligns loops to 16 bytes at most; with the same machine
# code, where a short loop fell relative to 64-byte fetch blocks moved memory-
# bound kernels by up to 20% (avx512 against a -march=native build of the same
# source, timed alternately in one process: 80 of 94 kernels within 3%, max
# 1.21x; with the alignment 90-92 within 3%, max 1.05-1.09x, what the same
# target against itself shows).  Not for native: -mtune=native chooses there.
LOOP_ALIGN = ["-falign-loops=64"]

# The math layer (pyx/_vmath.pxd) is many small inline functions; GCC's
# default unit-growth limit stops inlining them part-way through the module,
# leaving calls (and scalar code) in some kernel loops.
INLINING = {"max-inline-insns-single": 1000, "inline-unit-growth": 1000,
            "large-function-growth": 1000}
# Without hardware FMA (the x86-64 baseline) every fma of the math layer is an
# inline emulation (~20 instructions): the formulas grow past those limits too.
# Early inlining as well: a helper inlined late keeps its out-parameters (&n)
# in memory, which stops vectorizing.
BASELINE_INLINING = {"early-inlining-insns": 2000, "max-inline-insns-single": 20000,
                     "large-function-insns": 100000, "large-function-growth": 10000,
                     "inline-unit-growth": 10000}


def requested_targets():
    if os.environ.get("FASTACT_NATIVE", "") not in ("", "0"):
        return ["native"]
    default = ["baseline", "avx2", "avx512"] if X86 else ["baseline"]
    raw = os.environ.get("FASTACT_TARGETS", "").strip()
    if not raw:
        return default
    wanted = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in default]
    if unknown:
        raise SystemExit("FASTACT_TARGETS: unknown target(s) %s for %s; choose from %s"
                         % (", ".join(unknown), platform.machine(), ", ".join(default)))
    if "baseline" not in wanted:  # the fallback every CPU can run
        wanted.insert(0, "baseline")
    return wanted


def kernel_lists():
    """The kernel lists the templates render (fastact/_table.py, the one table of
    activations), from the table module alone: fastact is not importable yet."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_fastact_table", os.path.join(HERE, "fastact", "_table.py"))
    table = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = table  # dataclasses look their module up
    spec.loader.exec_module(table)
    return table.kernel_lists()


def render(template, dst, **names):
    """Expand a Tempita template (keeps the timestamp, and Cython's cache, when
    the text is unchanged)."""
    from Cython import Tempita

    with open(os.path.join(HERE, template)) as f:
        text = Tempita.sub(f.read(), **names)
    text = "# GENERATED from %s by setup.py -- edit the template.\n" % template + text
    dst = os.path.join(HERE, dst)
    old = None
    if os.path.exists(dst):
        with open(dst) as f:
            old = f.read()
    if old != text:
        with open(dst, "w") as f:
            f.write(text)


def compiler_accepts(compiler, flags, code="int main(void) { return 0; }\n", link=False):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(code)
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
            if link:
                compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags)
        except Exception:
            return False
    return True


OPENMP_PROBE = """
#include <omp.h>
int main(void) { int n = 0;
#pragma omp parallel reduction(+:n)
  n += 1;
  return omp_get_max_threads() > 0 && n > 0 ? 0 : 1; }
"""


class FastactBuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:  # the targets compile independently
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        cc = self.compiler
        msvc = cc.compiler_type == "msvc"
        if msvc:
            base = ["/O2", "/fp:precise"]
        else:
            base = [f for f in ("-O3", "-fno-math-errno", "-fno-trapping-math",
                                "-fno-strict-aliasing") if compiler_accepts(cc, [f])]
        openmp_flag = "/openmp" if msvc else "-fopenmp"
        openmp = os.environ.get("FASTACT_OPENMP", "1") != "0" and compiler_accepts(
            cc, [openmp_flag], OPENMP_PROBE, link=True)
        if not openmp:
            print("WARNING fastact: the compiler has no OpenMP; building single-threaded "
                  "(install libgomp/libomp and rebuild for multi-threaded kernels).",
                  file=sys.stderr)

        def params(values):  # GCC --param settings the compiler accepts
            if msvc:
                return []
            return [f for f in ("--param=%s=%d" % kv for kv in values.items())
                    if compiler_accepts(cc, [f])]
        quiet = [] if msvc else ["-Wno-unreachable-code"]
        built = []
        for ext in self.extensions:
            target = getattr(ext, "fastact_target", None)
            if target is None:  # the driver: baseline flags, OpenMP
                flags = base + ([openmp_flag] if openmp else [])
                inlining = INLINING
                ext.extra_link_args = ["-fopenmp"] if openmp and not msvc else []
            else:
                gcc_sets, msvc_flags = TARGETS[target]
                sets = [msvc_flags] if msvc else gcc_sets
                chosen = next((s for s in sets if compiler_accepts(cc, s)), None)
                if chosen is None:
                    print("WARNING fastact: the compiler cannot build the %s target; "
                          "skipping it" % target, file=sys.stderr)
                    ext.fastact_skip = True
                    continue
                # OpenMP here too: one long row's chunks run on the driver's
                # threads inside the row-wise kernels (_long_softmax_row)
                flags = base + chosen + ([openmp_flag] if openmp else [])
                ext.extra_link_args = ["-fopenmp"] if openmp and not msvc else []
                if target != "native" and not msvc and compiler_accepts(cc, LOOP_ALIGN):
                    flags = flags + LOOP_ALIGN
                baseline_x86 = target == "baseline" and X86 and not msvc
                inlining = dict(INLINING, **BASELINE_INLINING) if baseline_x86 else INLINING
                ext.define_macros.append(("FASTACT_TARGET", '"%s"' % target))
                built.append(target)
            flags = flags + params(inlining)
            shown = " ".join(flags)
            print("fastact: %s: %s" % (ext.name, shown), file=sys.stderr)
            ext.extra_compile_args = flags + quiet
            ext.define_macros.append(("FASTACT_BUILD_FLAGS", '"%s"' % shown))
        self.extensions = [e for e in self.extensions if not getattr(e, "fastact_skip", False)]
        if self.inplace:  # a kernel module of a target not built now would be stale
            keep = {"_loops_%s" % t for t in built}
            for path in glob.glob(os.path.join(HERE, "fastact", "_loops_*")):
                if os.path.basename(path).split(".")[0] not in keep:
                    os.remove(path)
        super().build_extensions()


def extensions():
    import numpy
    from Cython.Build import cythonize

    def common():  # fresh lists per extension: build_extensions appends to them
        return dict(include_dirs=[numpy.get_include(), PYX],
                    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])

    lists = kernel_lists()
    render(os.path.join(PYX, "_rowwise.pxi.tp"), os.path.join(PYX, "_rowwise.pxi"))
    render(os.path.join(PYX, "_kernels.pyx.tp"), os.path.join(PYX, "_kernels.pyx"),
           GRAINS=lists["GRAINS"])
    exts = [Extension("fastact._kernels", [os.path.join(PYX, "_kernels.pyx")], **common())]
    for target in requested_targets():
        src = os.path.join(PYX, "_loops_%s.pyx" % target)
        render(os.path.join(PYX, "_loops.pyx.tp"), src, TARGET=target, X86=X86, **lists)
        # the C headers the kernels include (explicit SIMD: pyx/simd/): a change
        # to one rebuilds the kernel modules
        headers = sorted(glob.glob(os.path.join(PYX, "simd", "*.h"))) + [
            os.path.join(PYX, "fa_target.h")]
        ext = Extension("fastact._loops_" + target, [src], depends=headers, **common())
        ext.fastact_target = target
        exts.append(ext)
    out = cythonize(
        exts,
        nthreads=os.cpu_count() or 1,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
    for ext, orig in zip(out, exts):
        if hasattr(orig, "fastact_target"):
            ext.fastact_target = orig.fastact_target
    return out


setup(ext_modules=extensions(), cmdclass={"build_ext": FastactBuildExt})
