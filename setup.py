"""Build fastact's Cython/OpenMP extension.

The compiler flags are probed, not assumed:

* ``-O3 -fno-math-errno -fno-trapping-math``: lets GCC/Clang if-convert and
  vectorize the kernels.  Never ``-ffast-math``: it would let the compiler drop
  the NaN/inf handling that SPEC.md's numerical contract requires.
* ``-march=native`` (plus ``-mprefer-vector-width=512`` where AVX-512 exists) by
  default; ``FASTACT_PORTABLE=1`` builds for the architecture's baseline instead.
* ``-fopenmp`` when the compiler has OpenMP; otherwise the build still succeeds,
  single-threaded, and says so (``FASTACT_OPENMP=0`` forces that build).
"""

import os
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
PYX = os.path.join("pyx", "_kernels.pyx")
TEMPLATES = [PYX + ".tp", os.path.join("pyx", "_rowwise.pxi.tp")]


def render_templates():
    """Expand the Tempita templates pyx/*.tp (the .tp suffix dropped)."""
    from Cython import Tempita

    for template in TEMPLATES:
        src = os.path.join(HERE, template)
        dst = src[: -len(".tp")]
        with open(src) as f:
            text = Tempita.sub(f.read())
        header = "# GENERATED from %s by setup.py -- edit the template.\n" % template
        text = header + text
        old = None
        if os.path.exists(dst):
            with open(dst) as f:
                old = f.read()
        if old != text:  # keep the timestamp (and Cython's cache) when unchanged
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


AVX512_PROBE = "#ifndef __AVX512F__\n#error no AVX-512\n#endif\nint main(void) { return 0; }\n"


class FastactBuildExt(build_ext):
    def build_extensions(self):
        cc = self.compiler
        base = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fno-strict-aliasing"]
        cflags = [f for f in base if compiler_accepts(cc, [f])]
        portable = os.environ.get("FASTACT_PORTABLE", "") not in ("", "0")
        if not portable:
            if compiler_accepts(cc, ["-march=native"]):
                cflags.append("-march=native")
                wide = ["-march=native", "-mprefer-vector-width=512"]
                if compiler_accepts(cc, wide, AVX512_PROBE):
                    # GCC defaults to 256-bit vectors on AVX-512 parts.  Measured on
                    # Sapphire Rapids: 512-bit relu/hardtanh ~15% faster on in-L1
                    # arrays (4 K elements), equal once memory-bound.
                    cflags.append("-mprefer-vector-width=512")
            elif compiler_accepts(cc, ["-mcpu=native"]):
                cflags.append("-mcpu=native")
        # FASTACT_OPENMP=0 forces the single-threaded build (as on a compiler
        # without OpenMP), e.g. to check that the fallback still builds.
        openmp = os.environ.get("FASTACT_OPENMP", "1") != "0" and compiler_accepts(
            cc, ["-fopenmp"], OPENMP_PROBE, link=True)
        ldflags = []
        if openmp:
            cflags.append("-fopenmp")
            ldflags.append("-fopenmp")
        else:
            print(
                "WARNING fastact: the compiler has no OpenMP; building single-threaded "
                "(install libgomp/libomp and rebuild for multi-threaded kernels).",
                file=sys.stderr,
            )
        # The math layer (pyx/_vmath.pxd) is many small inline functions; GCC's
        # default unit-growth limit stops inlining them part-way through the
        # module, leaving calls (and scalar code) in some kernel loops.
        inline_params = [f for f in ("--param=max-inline-insns-single=1000",
                                     "--param=inline-unit-growth=1000",
                                     "--param=large-function-growth=1000")
                         if compiler_accepts(cc, [f])]
        shown = " ".join(cflags) + (" [portable build]" if portable else "")
        print("fastact: compiling kernels with " + shown, file=sys.stderr)
        for ext in self.extensions:
            ext.extra_compile_args = cflags + ["-Wno-unreachable-code"] + inline_params
            ext.extra_link_args = ldflags
            ext.define_macros.append(("FASTACT_BUILD_FLAGS", '"%s"' % shown))
        super().build_extensions()


def extensions():
    import numpy
    from Cython.Build import cythonize

    render_templates()
    ext = Extension(
        "fastact._kernels",
        [PYX],
        include_dirs=[numpy.get_include(), "pyx"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    return cythonize(
        [ext],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": FastactBuildExt})
