# The exponential family: each activation is its formula over the math layer
# (_vmath.pxd) and nothing else; pyx/_kernels.pyx.tp wraps each in the shared
# loop, so every activation and its derivative is ONE fused pass over memory.
#
# Same conventions as _piecewise.pxd: forward f(x, p0, p1, p2), backward
# f(g, v, p0, p1, p2) with v = x (NAME_backward) or y (NAME_backward_y); params
# arrive rounded to the array's dtype.  Selects evaluate both sides (the loop is
# branch-free), so each side must be harmless for every input: no trap, and NaN
# reaching the result only when the input is NaN.
#
# Accuracy (measured; see fastact/accuracy.py and tests/test_exponential.py):
# float32 <= 2 ULP forward, <= 3 ULP backward with grad = 1, vs float64; float64
# <= 4 ULP vs long double.  "From y" formulas are exact functions of y but y has
# already been rounded: the from-x backward is the accurate path.

from cython cimport floating
from libc.stdint cimport int32_t, int64_t
from _scalar cimport fa_abs, fa_copysign, INFINITY
from _vmath cimport (fa_fma, v_exp, v_exp_split, v_expm1, v_log1p, v_tanh,
                     v_tanh_tail, v_div_1p_exp, v_tanhshrink_small,
                     v_silu_deriv_root, v_silu_root_window, v_exp_split_lo, v_log1p_lo,
                     fa_bits_f32, fa_from_bits_f32, fa_bits_f64, fa_from_bits_f64)


# sigmoid: 1 / (1 + e^-x) ---------------------------------------------------
# With z = e^-|x| (<= 1: no overflow) carried as (zs + zls) s2 and D + e = 1 + z:
# sigma(|x|) = 1 / (1 + z), sigma(-|x|) = z / (1 + z): ONE division num / D,
# corrected by its exact remainder (plus num's and D's low parts) times a 3%
# reciprocal of D (D in [1, 2]), so the result rounds about once: max 1.0 ULP.
cdef inline floating sigmoid_forward(floating x, floating p0, floating p1,
                                     floating p2) noexcept nogil:
    cdef floating s2, zls
    cdef floating zs = v_exp_split_lo(-fa_abs(x), &s2, &zls)
    cdef floating z = zs * s2
    cdef floating D = <floating>1 + z
    cdef floating e = (z - (D - <floating>1)) + zls * s2
    # x >= 0: num = 1, scale 1; x < 0: num = zs + zls, scale s2.  Chosen with
    # bit masks, not selects: GCC would thread the three selects on one
    # condition into two whole copies of the tail (two divisions per element).
    cdef floating num, num_lo, scale
    if floating is float:
        M = -<int32_t>(x >= <float>0)
        num = fa_from_bits_f32((fa_bits_f32(zs) & ~M) | (0x3f800000 & M))
        num_lo = fa_from_bits_f32(fa_bits_f32(zls) & ~M)
        scale = fa_from_bits_f32((fa_bits_f32(s2) & ~M) | (0x3f800000 & M))
    else:
        M64 = -<int64_t>(x >= 0.0)
        num = fa_from_bits_f64((fa_bits_f64(zs) & ~M64) | (0x3ff0000000000000LL & M64))
        num_lo = fa_from_bits_f64(fa_bits_f64(zls) & ~M64)
        scale = fa_from_bits_f64((fa_bits_f64(s2) & ~M64) | (0x3ff0000000000000LL & M64))
    cdef floating q = num / D
    cdef floating rem = fa_fma(-q, e, fa_fma(-q, D, num) + num_lo)
    return fa_fma(rem, fa_fma(D, <floating>-0.5, <floating>1.4571), q) * scale

# scale * sigma'(x), sigma'(x) = z / (1 + z)^2 with z = e^-|x| (even function: no
# overflow), z carried as z + zl (exp's rounding error).  The square is
# compensated: s = 1 + z rounded, e = the exact rounding error (Fast2Sum) + zl,
# (1 + z)^2 = s^2 + 2 s e to one rounding; (z + zl) / sq as z * inv + zl * inv,
# one rounding more.  z's power-of-two tail s2 and scale (a power of two) are
# applied last, so a subnormal result rounds once.  Max 2.3 ULP (scale 1, 4;
# ACCURACY.md).
cdef inline floating _sigmoid_deriv_scaled(floating x, floating scale) noexcept nogil:
    cdef floating s2, zls
    cdef floating zs = v_exp_split_lo(-fa_abs(x), &s2, &zls)
    cdef floating z = zs * s2
    cdef floating s = <floating>1 + z
    cdef floating e = (z - (s - <floating>1)) + zls * s2
    cdef floating inv = <floating>1 / fa_fma(s, s, <floating>2 * s * e)
    return fa_fma(zs, inv, zls * inv) * (s2 * scale)

cdef inline floating _sigmoid_deriv(floating x) noexcept nogil:
    return _sigmoid_deriv_scaled(x, <floating>1)

cdef inline floating sigmoid_backward(floating g, floating x, floating p0, floating p1,
                                      floating p2) noexcept nogil:
    return g * _sigmoid_deriv(x)

cdef inline floating sigmoid_backward_y(floating g, floating y, floating p0, floating p1,
                                        floating p2) noexcept nogil:
    return g * (y * (<floating>1 - y))


# logsigmoid: log sigma(x) = min(x, 0) - log1p(e^-|x|) ---------------------------
cdef inline floating logsigmoid_forward(floating x, floating p0, floating p1,
                                        floating p2) noexcept nogil:
    # e^-|x| as z + zl: its rounding error would otherwise reach the result
    # almost unscaled near |x| = 2 (2.06 ULP at x = 2.0225).
    cdef floating s2, zl
    cdef floating z = v_exp_split_lo(-fa_abs(x), &s2, &zl)
    return (<floating>0 if x > <floating>0 else x) - v_log1p_lo(z * s2, zl * s2)

# d/dx = 1 - sigma(x) = sigma(-x) = 1 / (1 + e^x).
cdef inline floating logsigmoid_backward(floating g, floating x, floating p0, floating p1,
                                         floating p2) noexcept nogil:
    return g * v_div_1p_exp(<floating>1, x)

# From y = log sigma(x): 1 - sigma = 1 - e^y = -expm1(y) (accurate for every y <= 0).
cdef inline floating logsigmoid_backward_y(floating g, floating y, floating p0,
                                           floating p1, floating p2) noexcept nogil:
    return g * -v_expm1(y)


# tanh ------------------------------------------------------------------------
cdef inline floating tanh_forward(floating x, floating p0, floating p1,
                                  floating p2) noexcept nogil:
    return v_tanh(x)

# 1 - tanh(x)^2 = sech(x)^2 = 4 sigma'(2x): one exp and one division, accurate in
# relative terms everywhere (1 - t*t would cancel to 0 in the tails), down to
# the subnormal range (2x only overflows where sech^2 is 0 anyway).
cdef inline floating tanh_backward(floating g, floating x, floating p0, floating p1,
                                   floating p2) noexcept nogil:
    return g * _sigmoid_deriv_scaled(x + x, <floating>4)

cdef inline floating tanh_backward_y(floating g, floating y, floating p0, floating p1,
                                     floating p2) noexcept nogil:
    return g * fa_fma(-y, y, <floating>1)


# tanhshrink: x - tanh(x) -----------------------------------------------------
# |x| < 1: x^3 P(x^2) (no cancellation near 0); beyond, (x - sign x) + sign(x) q,
# where x - sign x is exact and q = 1 - |tanh x| < 0.24.
cdef inline floating tanhshrink_forward(floating x, floating p0, floating p1,
                                        floating p2) noexcept nogil:
    cdef floating a = fa_abs(x)
    cdef floating big = (x - fa_copysign(<floating>1, x)) + fa_copysign(v_tanh_tail(a), x)
    return v_tanhshrink_small(x) if a < <floating>1 else big

cdef inline floating tanhshrink_backward(floating g, floating x, floating p0, floating p1,
                                         floating p2) noexcept nogil:
    # tanh^2: below |x| = 1 from t = x - (x - tanh x) (the tanhshrink polynomial:
    # t to ~0.6 ULP); beyond, 1 - q (2 - q), q = 1 - |tanh x| < 0.24.
    cdef floating a = fa_abs(x)
    cdef floating c = v_tanhshrink_small(x)
    cdef floating t = x - c
    cdef floating t_lo = (x - t) - c          # exact (Fast2Sum, |x| >= |c|)
    cdef floating q = v_tanh_tail(a)
    return g * (fa_fma(t, t, <floating>2 * t * t_lo) if a < <floating>1
                else fa_fma(-q, <floating>2 - q, <floating>1))


# elu(alpha = p0): x if x > 0 else alpha * expm1(x) ---------------------------------
cdef inline floating elu_forward(floating x, floating p0, floating p1,
                                 floating p2) noexcept nogil:
    return x if x >= <floating>0 else p0 * v_expm1(x)

# From x the negative side is alpha * e^x (y + alpha would cancel as x -> -inf).
cdef inline floating elu_backward(floating g, floating x, floating p0, floating p1,
                                  floating p2) noexcept nogil:
    return g if x > <floating>0 else g * (p0 * v_exp(x))

# From y (valid when alpha > 0, so that y > 0 exactly where x > 0).
cdef inline floating elu_backward_y(floating g, floating y, floating p0, floating p1,
                                    floating p2) noexcept nogil:
    return g if y > <floating>0 else g * (y + p0)


# selu: lambda * elu(x, alpha) with SPEC's constants -------------------------------
# lambda and lambda*alpha are each carried as hi + lo in the array's type, so the
# constant itself adds no rounding error: c*v = fma(c_hi, v, c_lo * v).
# (v = +-inf: hi*inf + lo*inf is NaN when lo < 0, hence the NaN check.)
cdef inline floating _selu_scale(floating v) noexcept nogil:        # lambda * v
    cdef floating r
    if floating is float:
        r = fa_fma(<float>1.0507010221481323, v, <float>-3.479265231476347e-08 * v)
        return r if r == r else <float>1.0507010221481323 * v
    else:
        r = fa_fma(1.0507009873554805, v, 3.9874847667154144e-17 * v)
        return r if r == r else 1.0507009873554805 * v

cdef inline floating _selu_scale_alpha(floating v) noexcept nogil:  # lambda*alpha * v
    if floating is float:
        return fa_fma(<float>1.7580993175506592, v, <float>2.3296717444054593e-08 * v)
    else:
        return fa_fma(1.7580993408473768, v, 1.41535193800845e-17 * v)

cdef inline floating selu_forward(floating x, floating p0, floating p1,
                                  floating p2) noexcept nogil:
    return _selu_scale(x) if x >= <floating>0 else _selu_scale_alpha(v_expm1(x))

cdef inline floating selu_backward(floating g, floating x, floating p0, floating p1,
                                   floating p2) noexcept nogil:
    return g * (_selu_scale(<floating>1) if x > <floating>0 else _selu_scale_alpha(v_exp(x)))

# y + lambda*alpha: y + hi is exact where it cancels (Sterbenz), then + lo.
cdef inline floating selu_backward_y(floating g, floating y, floating p0, floating p1,
                                     floating p2) noexcept nogil:
    cdef floating d
    if floating is float:
        d = (y + <float>1.7580993175506592) + <float>2.3296717444054593e-08
    else:
        d = (y + 1.7580993408473768) + 1.41535193800845e-17
    return g * _selu_scale(<floating>1) if y > <floating>0 else g * d


# celu(alpha = p0): x if x > 0 else alpha * expm1(x / alpha) ------------------------
cdef inline floating celu_forward(floating x, floating p0, floating p1,
                                  floating p2) noexcept nogil:
    return x if x >= <floating>0 else p0 * v_expm1(x / p0)

cdef inline floating celu_backward(floating g, floating x, floating p0, floating p1,
                                   floating p2) noexcept nogil:
    return g if x > <floating>0 else g * v_exp(x / p0)

cdef inline floating celu_backward_y(floating g, floating y, floating p0, floating p1,
                                     floating p2) noexcept nogil:
    return g if y > <floating>0 else g * (y / p0 + <floating>1)


# softplus(beta = p0, threshold = p1) ---------------------------------------------
# (max(bx, 0) + log1p(e^-|bx|)) / b, or x itself where bx > threshold.
cdef inline floating softplus_forward(floating x, floating p0, floating p1,
                                      floating p2) noexcept nogil:
    cdef floating bx = p0 * x
    cdef floating s2, zl
    cdef floating z = v_exp_split_lo(-fa_abs(bx), &s2, &zl)      # as in logsigmoid
    cdef floating sp = ((bx if bx > <floating>0 else <floating>0)
                        + v_log1p_lo(z * s2, zl * s2)) / p0
    return x if bx > p1 else sp

cdef inline floating softplus_backward(floating g, floating x, floating p0, floating p1,
                                       floating p2) noexcept nogil:
    cdef floating bx = p0 * x
    return g if bx > p1 else g * v_div_1p_exp(<floating>1, -bx)

# From y: sigma(bx) = 1 - e^(-by) = -expm1(-by); by > threshold exactly where bx is
# (up to the rounding of y near the threshold, where both give 1 to the last bit).
cdef inline floating softplus_backward_y(floating g, floating y, floating p0,
                                         floating p1, floating p2) noexcept nogil:
    cdef floating by = p0 * y
    return g if by > p1 else g * -v_expm1(-by)


# swish(beta = p0): x sigma(bx); silu is beta = 1 ---------------------------------
# As sigmoid_forward, with the numerator x (a >= 0) or x (zs + zls) as an exact
# pair (a < 0), a = bx.  Max 1.1 ULP.  x > 89: the result is x itself (also
# x = inf, where the remainder would be inf - inf); a < -195: |x| e^a is below
# half the smallest subnormal for every finite x: a signed zero (silu(-inf) = -0).
cdef inline floating swish_forward(floating x, floating p0, floating p1,
                                   floating p2) noexcept nogil:
    cdef floating a = p0 * x
    cdef floating s2, zls
    cdef floating zs = v_exp_split_lo(-fa_abs(a), &s2, &zls)
    cdef floating z = zs * s2
    cdef floating D = <floating>1 + z
    cdef floating e = (z - (D - <floating>1)) + zls * s2
    # bit masks, not selects on one condition (see sigmoid_forward)
    cdef floating f, f_lo, scale
    if floating is float:
        M = -<int32_t>(a >= <float>0)
        f = fa_from_bits_f32((fa_bits_f32(zs) & ~M) | (0x3f800000 & M))
        f_lo = fa_from_bits_f32(fa_bits_f32(zls) & ~M)
        scale = fa_from_bits_f32((fa_bits_f32(s2) & ~M) | (0x3f800000 & M))
    else:
        M64 = -<int64_t>(a >= 0.0)
        f = fa_from_bits_f64((fa_bits_f64(zs) & ~M64) | (0x3ff0000000000000LL & M64))
        f_lo = fa_from_bits_f64(fa_bits_f64(zls) & ~M64)
        scale = fa_from_bits_f64((fa_bits_f64(s2) & ~M64) | (0x3ff0000000000000LL & M64))
    cdef floating N = x * f
    cdef floating N_lo = fa_fma(x, f, -N) + x * f_lo
    cdef floating q = N / D
    cdef floating rem = fa_fma(-q, e, fa_fma(-q, D, N) + N_lo)
    cdef floating r = fa_fma(rem, fa_fma(D, <floating>-0.5, <floating>1.4571), q) * scale
    cdef floating big, lim
    if floating is float:
        big = 89
        lim = -195
    else:
        big = 710
        lim = -1455
    r = x if x > big else fa_copysign(r, x)    # x = -0: the low parts sum to +0
    return fa_copysign(<floating>0, x) if a < lim else r

# f' = sigma(a) (1 + a (1 - sigma(a))), a = bx.  With z = e^-|a| (carried as
# z + zl), s = 1 + z (+ its exact rounding error e), sq = (1 + z)^2 as a pair:
#   a >= 0: (1 + z + a z) / sq;     a < 0: z (1 + z + a) / sq,
# and near the root a = -1.2785, where the sum cancels, a polynomial in a - a0.
# z is kept split (z = zs * s2) so x e^x rounds once into subnormals.  The
# quotients use one reciprocal of sq with its residual: on the negative side
# numerator, sq and quotient would each round by up to 2^-24 relative (2.9 ULP
# together); as pairs only the last rounding is left (measured <= 1.5 ULP).
cdef inline floating swish_backward(floating g, floating x, floating p0, floating p1,
                                    floating p2) noexcept nogil:
    cdef floating a = p0 * x
    cdef floating s2, zls
    cdef floating zs = v_exp_split_lo(-fa_abs(a), &s2, &zls)     # e^-|a| = (zs + zls) s2
    cdef floating z = zs * s2
    cdef floating zl = zls * s2
    cdef floating s = <floating>1 + z
    cdef floating e = (z - (s - <floating>1)) + zl
    cdef floating sq = s * s
    cdef floating sq_lo = fa_fma(s, s, -sq) + <floating>2 * s * e
    cdef floating inv = <floating>1 / sq
    cdef floating ie = fa_fma(-inv, sq, <floating>1) - inv * sq_lo  # 1/(sq + sq_lo) = inv (1 + ie)
    # |a| = inf would meet z = 0 in 0 * inf; past 1e4 the result no longer changes.
    cdef floating ac = <floating>-1e4 if a < <floating>-1e4 else (<floating>1e4 if a > <floating>1e4 else a)
    cdef floating t = (fa_fma(ac, z, s) + fa_fma(ac, zl, e)) * inv
    cdef floating pos = fa_fma(t, ie, t)
    # 1 + a is exact for a <= -1/2 (Sterbenz, or |1 + a| < |a| with a's ulp);
    # w = 1 + a + z carries its rounding error (Fast2Sum: |1 + a| >= z outside
    # the root window) and zls: N + N_lo = (zs + zls) (w + w_lo) to ~2^-48.
    cdef floating b = <floating>1 + ac
    cdef floating w = b + z
    cdef floating w_lo = (z - (w - b)) + zl
    cdef floating N = zs * w
    cdef floating N_lo = fa_fma(zs, w, -N) + fa_fma(zs, w_lo, zls * w)
    t = N * inv
    cdef floating neg = (t + (fa_fma(N, inv, -t) + fa_fma(t, ie, N_lo * inv))) * s2
    cdef floating d
    cdef floating near = v_silu_deriv_root(a, &d)
    # e^a (1 + a) is below half the smallest subnormal from here on (e^a was clamped)
    cdef floating lim
    if floating is float:
        lim = -120
    else:
        lim = -760
    neg = <floating>-0.0 if a < lim else neg
    return g * (near if fa_abs(d) < v_silu_root_window(a) else (pos if a >= <floating>0 else neg))
