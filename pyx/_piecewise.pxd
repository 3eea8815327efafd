# The piecewise-linear family: each activation is its formula and nothing else.
#
# Every function here is an inline, branch-free (after if-conversion) scalar
# formula over a fused float type; pyx/_kernels.pyx.tp instantiates the one
# shared loop driver around it for float32 and float64, so the compiler sees the
# formula inside a plain counted loop and emits packed SIMD.
#
# Conventions (see docs/CONTRACT.md and README "Semantics"):
# * signature: forward f(x, a, b, c); backward f(g, v, a, b, c) where v is
#   the forward input x, or the output y for the *_backward_y variants, and
#   a, b, c are the activation's parameters in the order of its table row
#   (fastact/_table.py, its pack), already rounded to the array dtype, named
#   as the API names them (negative_slope, min_val, ...).  The loops
#   (pyx/_loops.pyx.tp) pass all three slots positionally, so every formula
#   takes three; the slots an activation has no parameter for are unused0,
#   unused1, unused2.
# * NaN propagates: comparisons with NaN are false, so each select is written
#   such that a NaN input falls through to an expression that returns it.
# * Backward is a select, as in PyTorch: where f' is 0 the gradient is exactly
#   +0 (even for an infinite g); where f' is 1 it is g itself; a NaN input gives
#   NaN.
# * Kinks take PyTorch's one-sided derivative (relu'(0) = 0, relu6'(6) = 0).
# * Every literal is cast to the formula's type (<floating>6): Cython writes a
#   bare 6 as the double 6.0, and C would then compute float32 in double.  The
#   casts keep float32 kernels in float32 (vaddps, not vcvtps2pd + vaddpd).

from cython cimport floating
from _scalar cimport fa_abs, fa_copysign, INFINITY


# identity ---------------------------------------------------------------
cdef inline floating identity_forward(floating x, floating unused0, floating unused1,
                                      floating unused2) noexcept nogil:
    return x

cdef inline floating identity_backward(floating g, floating v, floating unused0,
                                       floating unused1, floating unused2) noexcept nogil:
    return g


# relu: max(0, x); relu(-0) = +0 --------------------------------------------
cdef inline floating relu_forward(floating x, floating unused0, floating unused1,
                                  floating unused2) noexcept nogil:
    return <floating>0 if x <= 0 else x

# y > 0 exactly where x > 0, and y is NaN where x is, so one formula serves
# both the from-x and the from-y backward.
cdef inline floating relu_backward(floating g, floating v, floating unused0,
                                   floating unused1, floating unused2) noexcept nogil:
    return g if v > 0 else (<floating>0 if v <= 0 else v)


# relu6: min(max(0, x), 6) ----------------------------------------------------
cdef inline floating relu6_forward(floating x, floating unused0, floating unused1,
                                   floating unused2) noexcept nogil:
    return <floating>0 if x <= 0 else (<floating>6 if x >= <floating>6 else x)

cdef inline floating relu6_backward(floating g, floating v, floating unused0,
                                    floating unused1, floating unused2) noexcept nogil:
    return g if (v > 0) & (v < <floating>6) else (
        <floating>0 if (v <= 0) | (v >= <floating>6) else v)


# slope * x for a parameter slope: a zero slope times an infinite x is the limit,
# a zero signed as the product (0 * -inf would be NaN: leaky_relu(-inf,
# negative_slope=0) and hardsigmoid(inf, slope=0) gave NaN); a NaN x stays NaN.
# p != 0 is the same for the whole loop (a parameter), so GCC unswitches it and
# the usual loop is the plain product.
cdef inline floating _times_slope(floating p, floating x) noexcept nogil:
    if p != 0:
        return p * x
    return p * fa_copysign(<floating>1, x) if fa_abs(x) == INFINITY else p * x


# leaky_relu(negative_slope) --------------------------------------------------
cdef inline floating leaky_relu_forward(floating x, floating negative_slope,
                                        floating unused1, floating unused2) noexcept nogil:
    return x if x > 0 else _times_slope(negative_slope, x)

# Valid from y only when negative_slope > 0 (then sign(y) = sign(x)); the API enforces it.
cdef inline floating leaky_relu_backward(floating g, floating v, floating negative_slope,
                                         floating unused1, floating unused2) noexcept nogil:
    return g if v > 0 else (negative_slope * g if v <= 0 else v)


# prelu: leaky_relu whose slope w is a second (broadcast) input ---------------
cdef inline floating prelu_forward(floating x, floating w, floating unused0,
                                   floating unused1, floating unused2) noexcept nogil:
    return x if x > 0 else _times_slope(w, x)

cdef inline floating prelu_backward(floating g, floating x, floating w, floating unused0,
                                    floating unused1, floating unused2) noexcept nogil:
    return g if x > 0 else (w * g if x <= 0 else x)

# One term of dL/dw = sum(g * x * [x <= 0]); NaN in x reaches the sum.
cdef inline floating prelu_weight_term(floating g, floating x) noexcept nogil:
    return <floating>0 if x > 0 else g * x


# hardtanh(min_val, max_val) -------------------------------------------------
cdef inline floating hardtanh_forward(floating x, floating min_val, floating max_val,
                                      floating unused2) noexcept nogil:
    return min_val if x < min_val else (max_val if x > max_val else x)

cdef inline floating hardtanh_backward(floating g, floating v, floating min_val,
                                       floating max_val, floating unused2) noexcept nogil:
    return g if (v > min_val) & (v < max_val) else (
        <floating>0 if (v <= min_val) | (v >= max_val) else v)


# hardsigmoid(slope, offset): clip(slope * x + offset, 0, 1) -----------------
cdef inline floating hardsigmoid_forward(floating x, floating slope, floating offset,
                                         floating unused2) noexcept nogil:
    cdef floating t = _times_slope(slope, x) + offset
    return <floating>0 if t <= 0 else (<floating>1 if t >= <floating>1 else t)

# From x, the test 0 < t < 1 uses the very t the forward pass clipped, so the
# from-x and from-y gradients agree bit for bit.
cdef inline floating hardsigmoid_backward(floating g, floating v, floating slope,
                                          floating offset, floating unused2) noexcept nogil:
    cdef floating t = _times_slope(slope, v) + offset
    return slope * g if (t > 0) & (t < <floating>1) else (
        <floating>0 if (t <= 0) | (t >= <floating>1) else t)

cdef inline floating hardsigmoid_backward_y(floating g, floating y, floating slope,
                                            floating offset,
                                            floating unused2) noexcept nogil:
    return slope * g if (y > 0) & (y < <floating>1) else (
        <floating>0 if (y <= 0) | (y >= <floating>1) else y)


# hardswish: x * clip(x + 3, 0, 6) / 6 -----------------------------------------
# Written per region rather than as x * clip(...) so that x = -inf gives 0, not
# -inf * 0 = NaN.  Below -3 the result is +0 (PyTorch returns x * 0 = -0 there).
# The division by 6 is a multiplication by the rounded 1/6: a packed divide
# costs 4-8x a multiply, and the product stays within 2 ULP of x(x+3)/6
# (x + 3 and 2x + 3 are exact near the zero crossings, by Sterbenz's lemma).
cdef inline floating hardswish_forward(floating x, floating unused0, floating unused1,
                                       floating unused2) noexcept nogil:
    return <floating>0 if x <= -<floating>3 else (
        x if x >= <floating>3 else x * (x + <floating>3) * <floating>(1.0 / 6.0))

# f'(x) = 0 below -3, 1 above 3, (2x + 3)/6 on [-3, 3] (PyTorch's choice at both ends).
cdef inline floating hardswish_backward(floating g, floating x, floating unused0,
                                        floating unused1, floating unused2) noexcept nogil:
    return <floating>0 if x < -<floating>3 else (
        g if x > <floating>3 else g * ((<floating>2 * x + <floating>3) * <floating>(1.0 / 6.0)))


# softsign: x / (1 + |x|) --------------------------------------------------------
# inf/inf would be NaN; for every finite |x| >= 2**24 (float32) the quotient is
# already exactly +-1, so only the infinities need the select.
cdef inline floating softsign_forward(floating x, floating unused0, floating unused1,
                                      floating unused2) noexcept nogil:
    cdef floating a = fa_abs(x)
    return fa_copysign(<floating>1, x) if a == INFINITY else x / (<floating>1 + a)

# g/(1+|x|)^2 as (g/d)/d: two roundings plus d's, <= 2 ULP.  (g*r)*r with
# r = 1/d is cheaper but counts r's rounding twice (measured 4 ULP), and
# g/(d*d) overflows d*d for |x| > 1.8e19 in float32 while the result is not 0.
cdef inline floating softsign_backward(floating g, floating x, floating unused0,
                                       floating unused1, floating unused2) noexcept nogil:
    cdef floating d = <floating>1 + fa_abs(x)
    return (g / d) / d

# (1 - |y|)^2 cancels badly as |y| -> 1: accurate from y only for moderate |x|.
cdef inline floating softsign_backward_y(floating g, floating y, floating unused0,
                                         floating unused1, floating unused2) noexcept nogil:
    cdef floating r = <floating>1 - fa_abs(y)
    return (g * r) * r


# Dead-unit monitoring (fastact.DeadUnitMonitor) ---------------------------------
# 1 where x lies on the activation's flat piece, the piece the sources' advice
# is about ("if more than 50% of a layer's outputs are zero ..."): relu's zeros
# (x <= 0, so relu'(x) = 0), relu6's two zero-gradient pieces (x <= 0 and
# x >= 6), and the negative-slope piece of leaky_relu and prelu (x <= 0).
# NaN is on no piece (every comparison is false): a NaN output is not dead.
# The counting kernels (pyx/_loops.pyx.tp) add these up in the forward pass;
# on avx512 and avx2 they run pyx/simd/fa_count.h, the same selects and
# predicates in intrinsics, which the tests hold to these forms bit for bit.
cdef inline int relu_flat(floating x, floating unused0, floating unused1,
                          floating unused2) noexcept nogil:
    return x <= 0

cdef inline int relu6_flat(floating x, floating unused0, floating unused1,
                           floating unused2) noexcept nogil:
    return (x <= 0) | (x >= <floating>6)

cdef inline int leaky_relu_flat(floating x, floating negative_slope, floating unused1,
                                floating unused2) noexcept nogil:
    return x <= 0

cdef inline int prelu_flat(floating x, floating unused0, floating unused1,
                           floating unused2) noexcept nogil:
    return x <= 0

# The complements of relu_flat and relu6_flat (NaN is alive), written as the
# very compares relu_forward's and relu6_forward's selects test (negated), so
# that GCC computes each compare once for the select and the count: counting
# these in the per-call loop costs 2 vector instructions per vector.  (The
# negation of relu6_flat as a whole is not recognised: 4 compares and 4 mask
# operations per vector, +60-80% in place at 256 K elements.)
cdef inline int relu_alive(floating x, floating unused0, floating unused1,
                           floating unused2) noexcept nogil:
    return not (x <= 0)

cdef inline int relu6_alive(floating x, floating unused0, floating unused1,
                            floating unused2) noexcept nogil:
    return (not (x <= 0)) & (not (x >= <floating>6))

# leaky_relu and prelu written around the flat predicate, for the counting
# kernels (pyx/_loops.pyx.tp, COUNTED): GCC then computes one compare for the
# select and the count.  Equal to leaky_relu_forward / prelu_forward for every
# input but NaN, which comes out as itself instead of as slope * NaN: the same
# NaN, unless the input was a signaling NaN (which then passes through
# unquieted, as relu and relu6 pass it).  The slope piece is _times_slope, as
# in the plain formulas (a bare slope * x gave NaN for -inf at a zero slope).
cdef inline floating leaky_relu_forward_flat_first(floating x, floating negative_slope,
                                                   floating unused1,
                                                   floating unused2) noexcept nogil:
    return (_times_slope(negative_slope, x)
            if leaky_relu_flat(x, negative_slope, unused1, unused2) else x)

cdef inline floating prelu_forward_flat_first(floating x, floating w, floating unused0,
                                              floating unused1,
                                              floating unused2) noexcept nogil:
    return _times_slope(w, x) if prelu_flat(x, unused0, unused1, unused2) else x
