# Tiny branch-free helpers that keep float32 arithmetic in float32.
#
# libc's fabs/copysign take doubles: calling them on a float would widen every
# element to double and back.  These pick the float or double builtin at compile
# time (Cython specialises each fused function), and GCC lowers both to single
# packed instructions (vandps / vpternlog) inside vectorized loops.

from cython cimport floating

cdef extern from "<math.h>" nogil:
    float fabsf(float)
    double fabs(double)
    float copysignf(float, float)
    double copysign(double, double)
    const float INFINITY


cdef inline floating fa_abs(floating x) noexcept nogil:
    if floating is float:
        return fabsf(x)
    else:
        return fabs(x)


cdef inline floating fa_copysign(floating mag, floating sgn) noexcept nogil:
    if floating is float:
        return copysignf(mag, sgn)
    else:
        return copysign(mag, sgn)


# A constant that depends only on the dtype (a clamp, a window): one expression
# instead of an `if floating is float` block; folded away after inlining.
cdef inline floating fa_by_dtype(floating like, double f32_value,
                                 double f64_value) noexcept nogil:
    if floating is float:
        return <float>f32_value
    else:
        return f64_value
