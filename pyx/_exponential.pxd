# The exponential family: each activation is its formula over the math layer
# (_vmath.pxd) and nothing else; pyx/_kernels.pyx.tp wraps each in the shared
# loop, so every activation and its derivative is ONE fused pass over memory.
#
# Same conventions as _piecewise.pxd: forward f(x, a, b, c), backward
# f(g, v, a, b, c) with v = x (NAME_backward) or y (NAME_backward_y); the
# parameters are named as the API names them (alpha, beta, threshold; celu's
# second is 1/alpha, inv_alpha), unused slots unused0..2, and arrive rounded
# to the array's dtype.  Selects evaluate both sides (the loop is
# branch-free), so each side must be harmless for every input: no trap, and NaN
# reaching the result only when the input is NaN.
#
# Accuracy (measured; see fastact/bench/accuracy.py and tests/test_exponential.py):
# float32 <= 2 ULP forward, <= 3 ULP backward with grad = 1, vs float64; float64
# <= 4 ULP vs long double.  "From y" formulas are exact functions of y but y has
# already been rounded: the from-x backward is the accurate path.

from cython cimport floating
from libc.stdint cimport int32_t, int64_t, uint64_t
from _scalar cimport fa_abs, fa_copysign, fa_by_dtype, INFINITY
from _eft cimport (fa_fma, fa_fma_f32, fa_fma_f64, two_sum, fast_two_sum, pair_mul,
                  pair_add, pair_div)
from _vmath cimport (fa_poly_f32, fa_poly_f64, v_exp, v_expm1, v_expm1_neg, v_exp_neg,
                     v_tanh, v_tanh_tail, v_exp_split_lo, v_log1p_lo, v_exp_hilo,
                     fa_bits_f32, fa_from_bits_f32, fa_bits_f64, fa_from_bits_f64)


# sigmoid: 1 / (1 + e^-x) ---------------------------------------------------
# With z = e^-|x| (<= 1: no overflow) carried as (zs + zls) s2 and D + e = 1 + z:
# sigma(|x|) = 1 / (1 + z), sigma(-|x|) = z / (1 + z): ONE division num / D,
# corrected by its exact remainder (plus num's and D's low parts) times a 3%
# reciprocal of D (D in [1, 2]), so the result rounds about once: max 1.0 ULP.
cdef inline floating _over_1p_exp(floating a, floating* f, floating* f_lo, floating* scale,
                                  floating* e) noexcept nogil:
    """The shared front of sigmoid(a) and swish: D = 1 + z, z = e^-|a| (rounded),
    e = D's exact rounding error plus exp's (z = zs s2 + zls s2), and the factor
    f + f_lo over D with its power-of-two scale: a >= 0: f = 1, scale 1;
    a < 0: f = zs + zls, scale s2, so sigmoid(a) = scale (f + f_lo) / (D + e).
    The two cases are chosen with bit masks, not selects: GCC would thread
    three selects on one condition into two whole copies of the callers' tails
    (two divisions per element)."""
    cdef floating s2, zls
    cdef floating zs = v_exp_split_lo(-fa_abs(a), &s2, &zls)
    cdef floating z = zs * s2
    cdef floating D = <floating>1 + z
    e[0] = (z - (D - <floating>1)) + zls * s2
    if floating is float:
        M = -<int32_t>(a >= <float>0)
        f[0] = fa_from_bits_f32((fa_bits_f32(zs) & ~M) | (0x3f800000 & M))
        f_lo[0] = fa_from_bits_f32(fa_bits_f32(zls) & ~M)
        scale[0] = fa_from_bits_f32((fa_bits_f32(s2) & ~M) | (0x3f800000 & M))
    else:
        # all ones where a's sign bit is clear (a >= 0; -0 gives the same result
        # either way, z = 1): integer ops only, as SSE2 has no 64-bit compare
        M64 = <int64_t>((<uint64_t>fa_bits_f64(a) >> 63) - 1)
        f[0] = fa_from_bits_f64((fa_bits_f64(zs) & ~M64) | (0x3ff0000000000000LL & M64))
        f_lo[0] = fa_from_bits_f64(fa_bits_f64(zls) & ~M64)
        scale[0] = fa_from_bits_f64((fa_bits_f64(s2) & ~M64) | (0x3ff0000000000000LL & M64))
    return D


cdef inline floating _corrected_quotient(floating num, floating num_lo, floating D,
                                         floating e) noexcept nogil:
    """(num + num_lo) / (D + e), rounded about once: q = num / D corrected by its
    exact remainder times a 3% reciprocal of D (D in [1, 2])."""
    cdef floating q = num / D
    cdef floating rem = fa_fma(-q, e, fa_fma(-q, D, num) + num_lo)
    return fa_fma(rem, fa_fma(D, <floating>-0.5, <floating>1.4571), q)


cdef inline floating sigmoid_forward(floating x, floating unused0, floating unused1,
                                     floating unused2) noexcept nogil:
    cdef floating num, num_lo, scale, e
    cdef floating D = _over_1p_exp(x, &num, &num_lo, &scale, &e)
    return _corrected_quotient(num, num_lo, D, e) * scale

# scale * sigma'(x), sigma'(x) = z / (1 + z)^2 with z = e^-|x| (even function: no
# overflow), z carried as z + zl (exp's rounding error).  The square is
# compensated: s = 1 + z rounded, e = the exact rounding error (Fast2Sum) + zl,
# (1 + z)^2 = s^2 + 2 s e to one rounding; (z + zl) / sq as z * inv + zl * inv,
# one rounding more.  z's power-of-two tail s2 and scale (a power of two) are
# applied last, after grad, so a subnormal result rounds once: grad times an
# already subnormal derivative carried that rounding times |grad| (4 ULP at
# grad = 3).  Max 2.3 ULP (scale 1, 4; ACCURACY.md), + 0.5 for grad's product.
cdef inline floating _sigmoid_deriv_scaled(floating x, floating scale,
                                           floating g) noexcept nogil:
    cdef floating s2, zls
    cdef floating zs = v_exp_split_lo(-fa_abs(x), &s2, &zls)
    cdef floating z = zs * s2
    cdef floating s = <floating>1 + z
    cdef floating e = (z - (s - <floating>1)) + zls * s2
    cdef floating inv = <floating>1 / fa_fma(s, s, <floating>2 * s * e)
    return (g * fa_fma(zs, inv, zls * inv)) * (s2 * scale)

cdef inline floating sigmoid_backward(floating g, floating x, floating unused0,
                                      floating unused1, floating unused2) noexcept nogil:
    return _sigmoid_deriv_scaled(x, <floating>1, g)

cdef inline floating sigmoid_backward_y(floating g, floating y, floating unused0,
                                        floating unused1, floating unused2) noexcept nogil:
    return g * (y * (<floating>1 - y))


# logsigmoid: log sigma(x) = min(x, 0) - log1p(e^-|x|) ---------------------------
cdef inline floating logsigmoid_forward(floating x, floating unused0, floating unused1,
                                        floating unused2) noexcept nogil:
    # e^-|x| as z + zl: its rounding error would otherwise reach the result
    # almost unscaled near |x| = 2 (2.06 ULP at x = 2.0225).
    cdef floating s2, zl
    cdef floating z = v_exp_split_lo(-fa_abs(x), &s2, &zl)
    return (<floating>0 if x > <floating>0 else x) - v_log1p_lo(z * s2, zl * s2)

# d/dx = 1 - sigma(x) = sigma(-x) = 1 / (1 + e^x).
cdef inline floating logsigmoid_backward(floating g, floating x, floating unused0,
                                         floating unused1, floating unused2) noexcept nogil:
    return g * sigmoid_forward(-x, unused0, unused1, unused2)

# From y = log sigma(x): 1 - sigma = 1 - e^y = -expm1(y) (accurate for every y <= 0).
cdef inline floating logsigmoid_backward_y(floating g, floating y, floating unused0,
                                           floating unused1,
                                           floating unused2) noexcept nogil:
    return g * -v_expm1(y)


# tanh ------------------------------------------------------------------------
cdef inline floating tanh_forward(floating x, floating unused0, floating unused1,
                                  floating unused2) noexcept nogil:
    return v_tanh(x)

# 1 - tanh(x)^2 = sech(x)^2 = 4 sigma'(2x): one exp and one division, accurate in
# relative terms everywhere (1 - t*t would cancel to 0 in the tails), down to
# the subnormal range (2x only overflows where sech^2 is 0 anyway).
cdef inline floating tanh_backward(floating g, floating x, floating unused0,
                                   floating unused1, floating unused2) noexcept nogil:
    return _sigmoid_deriv_scaled(x + x, <floating>4, g)

cdef inline floating tanh_backward_y(floating g, floating y, floating unused0,
                                     floating unused1, floating unused2) noexcept nogil:
    return g * fa_fma(-y, y, <floating>1)


# tanhshrink: x - tanh(x) -----------------------------------------------------
# x - tanh(x) = x^3 P(x^2) for |x| < 1 (tanhshrink without cancellation near 0):
# P minimax of degree 7 / 16 (python tools/gen_coeffs.py tanhshrink: 0.5 x 2^-24
# / 0.5 x 2^-53 relative).
cdef inline float _tanhshrink_small_f32(float x) noexcept nogil:
    cdef float s = x * x
    cdef float P = -0.00020674848929047585
    P = fa_poly_f32(P, s, 0.0011528945760801435)
    P = fa_poly_f32(P, s, -0.003531638765707612)
    P = fa_poly_f32(P, s, 0.008927462622523308)
    P = fa_poly_f32(P, s, -0.021913647651672363)
    P = fa_poly_f32(P, s, 0.05397828668355942)
    P = fa_poly_f32(P, s, -0.13333411514759064)
    # the last Horner step's rounding (up to 2^-24 relative, near 1 ULP of the
    # result at |x| = 0.77) is kept as P_lo: 1/3 - P is exact (Sterbenz, P in
    # [0.23, 1/3]), so P_lo = the residual P' s + 1/3 - P, rounded once.
    cdef float P1 = P
    P = fa_poly_f32(P1, s, 0.3333333432674408)
    cdef float P_lo = fa_fma_f32(P1, s, <float>0.3333333432674408 - P)
    # x^3 to ~2^-48: s and c = x*s carry their rounding errors (fma), so the
    # only roundings left are the polynomial's and the final one.
    cdef float s_lo = fa_fma_f32(x, x, -s)
    cdef float c = x * s
    cdef float c_lo = fa_fma_f32(x, s, -c) + x * s_lo
    return fa_fma_f32(c, P, fa_fma_f32(c, P_lo, c_lo * P))

cdef inline double _tanhshrink_small_f64(double x) noexcept nogil:
    cdef double s = x * x
    cdef double P = -2.4505561642485922e-08
    P = fa_poly_f64(P, s, 1.7191226375188667e-07)
    P = fa_poly_f64(P, s, -4.5506185784055745e-07)
    P = fa_poly_f64(P, s, 1.9082128979713024e-07)
    P = fa_poly_f64(P, s, 2.695033280443028e-06)
    P = fa_poly_f64(P, s, -1.2245942397513676e-05)
    P = fa_poly_f64(P, s, 3.662878184228754e-05)
    P = fa_poly_f64(P, s, -9.549891826597201e-05)
    P = fa_poly_f64(P, s, 0.00023856950185285625)
    P = fa_poly_f64(P, s, -0.0005898658303040623)
    P = fa_poly_f64(P, s, 0.001455800964197822)
    P = fa_poly_f64(P, s, -0.0035921232476162834)
    P = fa_poly_f64(P, s, 0.0088632350783729)
    P = fa_poly_f64(P, s, -0.021869488510347965)
    P = fa_poly_f64(P, s, 0.053968253967477266)
    P = fa_poly_f64(P, s, -0.13333333333332406)
    P = fa_poly_f64(P, s, 0.3333333333333333)
    cdef double s_lo = fa_fma_f64(x, x, -s)
    cdef double c = x * s
    cdef double c_lo = fa_fma_f64(x, s, -c) + x * s_lo
    return fa_fma_f64(c, P, c_lo * P)

cdef inline floating _tanhshrink_small(floating x) noexcept nogil:
    if floating is float:
        return _tanhshrink_small_f32(x)
    else:
        return _tanhshrink_small_f64(x)


# |x| < 1: x^3 P(x^2) (no cancellation near 0); beyond, (x - sign x) + sign(x) q,
# where x - sign x is exact and q = 1 - |tanh x| < 0.24.
cdef inline floating tanhshrink_forward(floating x, floating unused0, floating unused1,
                                        floating unused2) noexcept nogil:
    cdef floating a = fa_abs(x)
    cdef floating big = (x - fa_copysign(<floating>1, x)) + fa_copysign(v_tanh_tail(a), x)
    return _tanhshrink_small(x) if a < <floating>1 else big

cdef inline floating tanhshrink_backward(floating g, floating x, floating unused0,
                                         floating unused1, floating unused2) noexcept nogil:
    # tanh^2: below |x| = 1 from t = x - (x - tanh x) (the tanhshrink polynomial:
    # t to ~0.6 ULP); beyond, 1 - q (2 - q), q = 1 - |tanh x| < 0.24.  grad
    # multiplies t before the square rounds (once) into the subnormal range.
    cdef floating a = fa_abs(x)
    cdef floating c = _tanhshrink_small(x)
    cdef floating t = x - c
    cdef floating t_lo = (x - t) - c          # exact (Fast2Sum, |x| >= |c|)
    cdef floating q = v_tanh_tail(a)
    cdef floating gt = g * t
    cdef floating glo = gt * (<floating>2 * t_lo)
    glo = <floating>0 if t_lo == <floating>0 else glo    # grad = inf: no inf * 0
    return (fa_fma(gt, t, glo) if a < <floating>1
            else g * fa_fma(-q, <floating>2 - q, <floating>1))


# elu(alpha): x if x > 0 else alpha * expm1(x) --------------------------------------
# The negative side's exp/expm1 take x <= 0 only: _nonpos(x) is 0 where the
# select discards the value, and keeps NaN.
cdef inline floating _nonpos(floating x) noexcept nogil:
    return <floating>0 if x > <floating>0 else x

cdef inline floating elu_forward(floating x, floating alpha, floating unused1,
                                 floating unused2) noexcept nogil:
    return x if x >= <floating>0 else alpha * v_expm1_neg(_nonpos(x))

# From x the negative side is alpha * e^x (y + alpha would cancel as x -> -inf).
cdef inline floating elu_backward(floating g, floating x, floating alpha, floating unused1,
                                  floating unused2) noexcept nogil:
    return g if x > <floating>0 else g * (alpha * v_exp_neg(_nonpos(x)))

# From y (valid when alpha > 0, so that y > 0 exactly where x > 0).
cdef inline floating elu_backward_y(floating g, floating y, floating alpha,
                                    floating unused1, floating unused2) noexcept nogil:
    return g if y > <floating>0 else g * (y + alpha)


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

cdef inline floating selu_forward(floating x, floating unused0, floating unused1,
                                  floating unused2) noexcept nogil:
    return _selu_scale(x) if x >= <floating>0 else _selu_scale_alpha(v_expm1_neg(_nonpos(x)))

cdef inline floating selu_backward(floating g, floating x, floating unused0,
                                   floating unused1, floating unused2) noexcept nogil:
    return g * (_selu_scale(<floating>1) if x > <floating>0 else _selu_scale_alpha(v_exp_neg(_nonpos(x))))

# y + lambda*alpha: y + hi is exact where it cancels (Sterbenz), then + lo.
cdef inline floating selu_backward_y(floating g, floating y, floating unused0,
                                     floating unused1, floating unused2) noexcept nogil:
    cdef floating d
    if floating is float:
        d = (y + <float>1.7580993175506592) + <float>2.3296717444054593e-08
    else:
        d = (y + 1.7580993408473768) + 1.41535193800845e-17
    return g * _selu_scale(<floating>1) if y > <floating>0 else g * d


# celu(alpha, inv_alpha = 1/alpha): x if x > 0 else alpha * expm1(x / alpha) --------
# q = x / alpha rounds (alpha != 1), and e^q turns that into |q|/2 ULP (63 ULP
# of celu' at alpha = 0.3, x = -19).  Its error q_lo = (x - q alpha) / alpha
# (the remainder exact by FMA, times 1/alpha) enters to first order:
# e^(q + lo) = e^q (1 + lo), expm1(q + lo) = E + (E + 1) lo.  q_lo = 0 for
# alpha = 1, where q is exact, and where 1/alpha does not fit the dtype (pack
# passes 0; alpha below 2.9e-39).
# Where q_lo = 0 the correction is skipped (a select, bitwise the fma's value),
# so a constant alpha = 1 (the loops' copy for it) compiles it away.
cdef inline floating _celu_q_lo(floating x, floating q, floating alpha,
                                floating inv_alpha) noexcept nogil:
    if alpha == <floating>1:
        return <floating>0
    cdef floating lo = fa_fma(-q, alpha, x) * inv_alpha
    return lo if fa_abs(q) < INFINITY else <floating>0

cdef inline floating celu_forward(floating x, floating alpha, floating inv_alpha,
                                  floating unused2) noexcept nogil:
    cdef floating q = x / alpha
    cdef floating E = v_expm1(q)
    cdef floating lo = _celu_q_lo(x, q, alpha, inv_alpha)
    cdef floating Ec = fa_fma(E + <floating>1, lo, E)
    # E = inf (q huge, alpha < 0): no inf * 0 or inf - inf
    E = E if lo == <floating>0 or Ec != Ec else Ec
    return x if x >= <floating>0 else alpha * E

cdef inline floating celu_backward(floating g, floating x, floating alpha,
                                   floating inv_alpha, floating unused2) noexcept nogil:
    cdef floating q = x / alpha
    cdef floating E = v_exp(q)
    cdef floating lo = _celu_q_lo(x, q, alpha, inv_alpha)
    cdef floating Ec = fa_fma(E, lo, E)
    E = E if lo == <floating>0 or Ec != Ec else Ec     # as in celu_forward
    return g if x > <floating>0 else g * E

# (y + alpha) / alpha, not y / alpha + 1: y + alpha is exact where it cancels
# (Sterbenz), y / alpha + 1 cancels after a rounding (7 ULP at alpha = 0.28).
cdef inline floating celu_backward_y(floating g, floating y, floating alpha,
                                     floating inv_alpha, floating unused2) noexcept nogil:
    return g if y > <floating>0 else g * ((y + alpha) / alpha)


# softplus(beta, threshold) -------------------------------------------------------
# (max(bx, 0) + log1p(e^-|bx|)) / b, or x itself where bx > threshold.
# bx = b * x rounds (beta != 1), by up to |bx| 2^-25 absolute, which the result
# magnifies: softplus(a) ~ e^a below 0 turns it into |bx|/2 ULP (65 ULP at
# beta = 3, x = -22.5).  Its error bx_lo is exact (FMA) and enters to first
# order: sp(bx + lo) = sp(bx) + sigmoid(bx) lo, sigmoid(bx) ~ 1 (bx > 0) or
# e^bx (bx < 0), and sigmoid(bx + lo) = s (1 + (1 - s) lo).  0 for beta = 1.
# Where lo = 0 the callers skip the correction (a select, bitwise the fma's
# value), so a constant beta = 1 (the loops' copy for it) compiles it away.
cdef inline floating _product_lo(floating b, floating x, floating bx) noexcept nogil:
    """b * x - bx exactly (0 where bx is infinite or NaN, and for b = 1)."""
    if b == <floating>1:
        return <floating>0
    cdef floating lo = fa_fma(b, x, -bx)
    return lo if fa_abs(bx) < INFINITY else <floating>0

cdef inline floating softplus_forward(floating x, floating beta, floating threshold,
                                      floating unused2) noexcept nogil:
    cdef floating bx = beta * x
    cdef floating bx_lo = _product_lo(beta, x, bx)
    cdef floating s2, zl
    cdef floating z = v_exp_split_lo(-fa_abs(bx), &s2, &zl)      # as in logsigmoid
    cdef floating lp = v_log1p_lo(z * s2, zl * s2)
    lp = lp if bx_lo == <floating>0 else lp + bx_lo * (<floating>1 if bx > <floating>0
                                                        else z * s2)
    cdef floating sp = ((bx if bx > <floating>0 else <floating>0) + lp) / beta
    return x if bx > threshold else sp

cdef inline floating softplus_backward(floating g, floating x, floating beta,
                                       floating threshold, floating unused2) noexcept nogil:
    cdef floating bx = beta * x
    cdef floating s = sigmoid_forward(bx, beta, threshold, unused2)
    cdef floating bx_lo = _product_lo(beta, x, bx)
    s = s if bx_lo == <floating>0 else fa_fma(s * (<floating>1 - s), bx_lo, s)
    return g if bx > threshold else g * s

# From y: sigma(bx) = 1 - e^(-by) = -expm1(-by); by > threshold exactly where bx is
# (up to the rounding of y near the threshold, where both give 1 to the last bit).
cdef inline floating softplus_backward_y(floating g, floating y, floating beta,
                                         floating threshold,
                                         floating unused2) noexcept nogil:
    cdef floating by = beta * y
    return g if by > threshold else g * -v_expm1(-by)


# swish(beta): x sigma(bx); silu is beta = 1 --------------------------------------
# As sigmoid_forward, with the numerator x (a >= 0) or x (zs + zls) as an exact
# pair (a < 0), a = bx.  Max 1.1 ULP.  a > 89 (710): sigma(a) rounds to 1 and the
# result is x itself (also x = inf, where the remainder would be inf - inf); the
# test is on a, not x: swish(100, beta=-1) is 3.7e-42, not 100.  a is NaN for
# x = +-inf with beta = 0: x itself again (x sigma(0) = x/2 = x).  a < -195: |x| e^a
# is below half the smallest subnormal for every finite x: a signed zero
# (silu(-inf) = -0).
# beta != 1: a = bx rounds; sigma(a + lo) = sigma(a) (1 + (1 - sigma(a)) lo), with
# 1 - sigma(a) = (a < 0 ? 1 : z) / D and 1/D ~ 2 - D (error z^2, where |a| lo is
# small): without it |a|/2 ULP, as softplus.  lo = 0 for silu.
cdef inline floating swish_forward(floating x, floating beta, floating unused1,
                                   floating unused2) noexcept nogil:
    cdef floating a = beta * x
    cdef floating a_lo = _product_lo(beta, x, a)
    cdef floating f, f_lo, scale, e
    cdef floating D = _over_1p_exp(a, &f, &f_lo, &scale, &e)
    cdef floating N = x * f
    cdef floating N_lo = fa_fma(x, f, -N) + x * f_lo
    cdef floating r = _corrected_quotient(N, N_lo, D, e) * scale
    cdef floating one_minus_s = (<floating>1 if a < <floating>0 else D - <floating>1) \
        * (<floating>2 - D)
    r = r if a_lo == <floating>0 else fa_fma(r, one_minus_s * a_lo, r)
    cdef floating big = fa_by_dtype(x, 89, 710)
    cdef floating lim = fa_by_dtype(x, -195, -1455)
    r = fa_copysign(r, x) if a <= big else x   # x = -0: the low parts sum to +0
    return fa_copysign(<floating>0, x) if a < lim else r

# silu'(a) = sigma(a) (1 + a (1 - sigma(a))) near its root a0 = -1.27846454276...,
# where the general formula cancels: d Q(d), d = (a - a0_hi) - a0_lo (a - a0_hi is
# exact by Sterbenz on most of the window), Q minimax of degree 12 on |d| <= 1
# (float32) / 18 on |d| <= 0.5 (float64) (python tools/gen_coeffs.py silu_root:
# 0.16 x 2^-24 / 0.17 x 2^-53).  Used where |d| < the window (_silu_root_window).
cdef inline float _silu_deriv_root_f32(float a, float* d_out) noexcept nogil:
    cdef float d = (a - <float>-1.2784645557403564) - <float>1.2979282537628478e-08
    cdef float Q = -1.118882551054412e-06
    Q = fa_poly_f32(Q, d, 3.1226229566527763e-06)
    Q = fa_poly_f32(Q, d, 3.2961213491944363e-06)
    Q = fa_poly_f32(Q, d, -3.1882140319794416e-05)
    Q = fa_poly_f32(Q, d, -4.8779849748825654e-05)
    Q = fa_poly_f32(Q, d, 0.000187661440577358)
    Q = fa_poly_f32(Q, d, 0.0008031870238482952)
    Q = fa_poly_f32(Q, d, 0.0001259076816495508)
    Q = fa_poly_f32(Q, d, -0.00660784961655736)
    Q = fa_poly_f32(Q, d, -0.015222559683024883)
    Q = fa_poly_f32(Q, d, 0.018874939531087875)
    Q = fa_poly_f32(Q, d, 0.14664879441261292)
    Q = fa_poly_f32(Q, d, 0.2178117036819458)
    d_out[0] = d
    return d * Q

cdef inline double _silu_deriv_root_f64(double a, double* d_out) noexcept nogil:
    cdef double d = (a - -1.2784645427610737) - -1.0946994183093437e-16
    cdef double Q = -8.928067234793185e-08
    Q = fa_poly_f64(Q, d, 1.385092260858641e-08)
    Q = fa_poly_f64(Q, d, 1.097470286416874e-07)
    Q = fa_poly_f64(Q, d, -2.982257100874969e-08)
    Q = fa_poly_f64(Q, d, -1.4417646921938626e-07)
    Q = fa_poly_f64(Q, d, -2.6089509713270162e-08)
    Q = fa_poly_f64(Q, d, 8.735940439287299e-07)
    Q = fa_poly_f64(Q, d, 2.345097497083734e-06)
    Q = fa_poly_f64(Q, d, -2.944734264319593e-06)
    Q = fa_poly_f64(Q, d, -2.9733432654280957e-05)
    Q = fa_poly_f64(Q, d, -4.090515163029332e-05)
    Q = fa_poly_f64(Q, d, 0.00018570723651299738)
    Q = fa_poly_f64(Q, d, 0.0007985218721102701)
    Q = fa_poly_f64(Q, d, 0.00012662741031514046)
    Q = fa_poly_f64(Q, d, -0.006606589138107912)
    Q = fa_poly_f64(Q, d, -0.015222655223191276)
    Q = fa_poly_f64(Q, d, 0.018874814223779863)
    Q = fa_poly_f64(Q, d, 0.1466487969969469)
    Q = fa_poly_f64(Q, d, 0.2178117057198001)
    d_out[0] = d
    return d * Q

cdef inline floating _silu_root_window(floating a) noexcept nogil:
    return fa_by_dtype(a, 1, 0.5)

cdef inline floating _silu_deriv_root(floating a, floating* d) noexcept nogil:
    if floating is float:
        return _silu_deriv_root_f32(a, d)
    else:
        return _silu_deriv_root_f64(a, d)


# f' = sigma(a) (1 + a (1 - sigma(a))), a = bx.  With z = e^-|a| (carried as
# z + zl), s = 1 + z (+ its exact rounding error e), sq = (1 + z)^2 as a pair:
#   a >= 0: (1 + z + a z) / sq;     a < 0: z (1 + z + a) / sq,
# and near the root a = -1.2785, where the sum cancels, a polynomial in a - a0.
# z is kept split (z = zs * s2) so x e^x rounds once into subnormals.  The
# quotients use one reciprocal of sq with its residual: on the negative side
# numerator, sq and quotient would each round by up to 2^-24 relative (2.9 ULP
# together); as pairs only the last rounding is left (measured <= 1.5 ULP).
cdef inline floating swish_backward(floating g, floating x, floating beta, floating unused1,
                                    floating unused2) noexcept nogil:
    cdef floating a = beta * x
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
    cdef floating near = _silu_deriv_root(a, &d)
    # e^a (1 + a) is below half the smallest subnormal from here on (e^a was clamped)
    neg = <floating>-0.0 if a < fa_by_dtype(a, -120, -760) else neg
    cdef floating r = near if fa_abs(d) < _silu_root_window(a) else (pos if a >= <floating>0 else neg)
    # beta != 1: a = bx rounds; f'(a + lo) = f'(a) + f''(a) lo, f''(a) = sigma(a)
    # (1 - sigma(a)) (2 + a (1 - 2 sigma(a))) = z/s^2 (2 -+ a (1 - z)/s) (- for
    # a >= 0): without it |a|/2 ULP, and unbounded relative error next to the
    # root, where f' is 0 (18000 ULP at beta = 0.7).  Skipped where lo = 0 (silu
    # included): the signed zero of the far negative side stays.
    cdef floating a_lo = _product_lo(beta, x, a)
    cdef floating f2 = z * inv * (<floating>2 + (-ac if a >= <floating>0 else ac)
                                  * ((<floating>1 - z) * (s * inv)))
    r = r if a_lo == <floating>0 else fa_fma(f2, a_lo, r)
    return g * r


# ===========================================================================
# gelu and mish (pair arithmetic: products and sums as hi + lo pairs).  Every
# literal is cast to the array's type (a bare literal is a C double and would
# widen float32 to double).  e^x comes from v_exp_hilo as hi + lo; products,
# sums and the one quotient of each formula are carried as pairs (two_sum,
# two_prod by fma, pair_div), so each result rounds once at the end plus
# exp's and the polynomials' small errors.  Measured float32 maxima (ULP,
# grad = 1; python -m fastact.accuracy gelu gelu_tanh mish --chunks 32, and
# --span -6 5 for every input with 2^-6 <= |x| < 32, where the formulas switch):
#                 forward          backward
#   gelu          1.04 (-0.0158)   1.58 (-0.5127)
#   gelu_tanh     0.76 (-10.105)   1.82 (-0.9228)
#   mish          0.52 (-20.439)   2.08 (-1.1943, root polynomial)
# Rounded at every step instead, the same formulas measured 6.4 / 3.7,
# 5.8 / 7.3 and 4.7 / 5.3 ULP.  Cost of the pairs: ~1.6-2.4x those formulas'
# time (gelu 0.90 -> 1.62 ns/element forward, float32, 1 thread).
# ===========================================================================


# Root windows: within |x - a0| < 1/4 of a derivative's root the pair formulas
# below cancel by more than their error allows (the root polynomials of
# gelu', gelu_tanh' and mish' are fitted on |d| < 1/2; their Horner error
# grows with |d|).
cdef inline floating _root_window(floating x) noexcept nogil:
    return <floating>0.25


# The common end of gelu', gelu_tanh' and mish': g times the derivative r, with
# the root polynomial `near` where |d| = |x - root| is inside the window (r
# cancels there), 1 above `hi` (the function is x), a signed 0 below `lo`.
cdef inline floating _deriv_finish(floating g, floating x, floating r, floating near,
                                   floating d, floating hi, floating lo) noexcept nogil:
    r = near if fa_abs(d) < _root_window(x) else r
    r = <floating>1 if x > hi else r
    return g * (fa_copysign(<floating>0, x) if x < lo else r)


# gelu, approximate="none": x Phi(x) ---------------------------------------------
#   q = Phi(-|x|) = e^(-x^2/2) R, R = t S(t), t = 1/(1 + k|x|) (k = 1/4 float32,
#   1/8 float64); x < 0: x q (the tail: erfc-like, full relative accuracy down
#   to the last subnormal); x > 0: x (1 - q) (q <= 1/2: no cancellation).
#   float32's S covers |x| from 0; float64's from 1/2, below which
#   x/2 + x^2 Q(x^2) is used.
#   |x| is clamped at AMAX (14.5 / 38.9): beyond it gelu(x) is x, or rounds to
#   -0 (gelu(-14.5) ~ -9e-47 in float32; gelu(-38.9) < 1e-329 in float64).
cdef inline floating _gelu_amax(floating x) noexcept nogil:
    return fa_by_dtype(x, 14.5, 38.9)

# ---------------------------------------------------------------------------
# erfc, as gelu needs it: R(a) = Phi(-a) e^(a^2/2) = erfc(a/sqrt 2) e^(a^2/2) / 2
#   method   Phi(-a) = e^(-a^2/2) t S(t), t = 1/(1 + k a) (k = 1/4 float32,
#            1/8 float64: a power of two, so 1 + k a rounds once); e^(-a^2/2)
#            from v_exp_hilo on the exact pair a^2 = h + h_lo (_gauss_hilo);
#            t's rounding folded in to first order (_gelu_R).
#   degree   S of degree 11 in t (float32) / 22 in t - 0.5625 (float64); the
#            last three float32 Horner steps compensated (pairs)
#   range    a in [0, 14.5] (float32) / [0.5, 39] (float64; below 1/2 gelu
#            uses its small-|x| series); a is clamped at gelu's AMAX
#   max ULP  not measured alone: gelu forward, x Phi(x), is this times x for
#            x < 0: 1.037 ULP float32 (every input, ACCURACY.md), float64 in
#            tests/ (<= 1.71 ULP with the derivative).  S's own error in exact
#            arithmetic: 0.007 x 2^-24 / 0.40 x 2^-53 relative
#   coeffs   python tools/gen_coeffs.py gelu_tail0 (float32), gelu_tail (float64:
#            not reproduced by the script as it stands, which fits an equally
#            good but different polynomial: see its NOT_REPRODUCED; the check
#            holds these constants to the recorded ones); by hand: k,
#            c0 = 1/sqrt(2 pi), the clamp AMAX
# ---------------------------------------------------------------------------
# gelu_tail f64: Phi(-a) = exp(-a^2/2) t S(t), t = 1/(1 + 0.125 a), a in [0.5, 39], S of degree 22 in t - 0.5625: on [-0.39228723, 0.37867647], max weighted error 4.4e-17 (7.39e-10 x 2^-24, 0.397 x 2^-53)
cdef inline double _gelu_tail_s_f64(double t) noexcept nogil:
    cdef double u = t - 0.5625
    cdef double P = -0.0030187685970440004
    P = fa_poly_f64(P, u, 0.016962955395230395)
    P = fa_poly_f64(P, u, 0.04161750218371644)
    P = fa_poly_f64(P, u, 0.0038454941394792897)
    P = fa_poly_f64(P, u, -0.10964015994602469)
    P = fa_poly_f64(P, u, -0.2103781137911264)
    P = fa_poly_f64(P, u, -0.12800013548354103)
    P = fa_poly_f64(P, u, 0.3183180873733036)
    P = fa_poly_f64(P, u, 1.2101949856856)
    P = fa_poly_f64(P, u, 2.4514783870120644)
    P = fa_poly_f64(P, u, 3.781371310230257)
    P = fa_poly_f64(P, u, 4.87478791192043)
    P = fa_poly_f64(P, u, 5.47226428649985)
    P = fa_poly_f64(P, u, 5.471201318446394)
    P = fa_poly_f64(P, u, 4.940623985378509)
    P = fa_poly_f64(P, u, 4.067349157864561)
    P = fa_poly_f64(P, u, 3.0723757714416937)
    P = fa_poly_f64(P, u, 2.1391471436878584)
    P = fa_poly_f64(P, u, 1.377147328740607)
    P = fa_poly_f64(P, u, 0.8214850279754585)
    P = fa_poly_f64(P, u, 0.45459084086741264)
    P = fa_poly_f64(P, u, 0.2334668637524807)
    P = fa_poly_f64(P, u, 0.11124244120325724)
    return P

# gelu_tail0 f32 (python tools/gen_coeffs.py gelu_tail0): Phi(-a) = exp(-a^2/2) t S(t),
# t = 1/(1 + a/4), a in [0, 14.5] (every |x| below gelu's clamp), S of degree
# 11: on [0.21621622, 1.0], max weighted error 4.16e-10 (0.00698 x 2^-24).
cdef inline float _gelu_tail0_s_f32(float t, float* S_lo) noexcept nogil:
    # S's coefficients are all ~0.1 and t reaches 1: plain Horner would round
    # by up to ~1.7 x 2^-24 in total, so the last three steps are compensated
    # (each step c + t P as a pair: two_prod, two_sum), leaving ~0.3 x 2^-24.
    cdef float P = -0.008165485225617886
    P = fa_poly_f32(P, t, 0.04137236252427101)
    P = fa_poly_f32(P, t, -0.06660386919975281)
    P = fa_poly_f32(P, t, 0.011910228990018368)
    P = fa_poly_f32(P, t, 0.047535113990306854)
    P = fa_poly_f32(P, t, -0.03125622496008873)
    P = fa_poly_f32(P, t, 0.07879918068647385)
    P = fa_poly_f32(P, t, 0.04927891492843628)
    P = fa_poly_f32(P, t, 0.08469647169113159)
    cdef float se, prod
    cdef float Pl = 0
    prod = t * P
    Pl = fa_fma_f32(t, P, -prod)
    P = two_sum(<float>0.09290939569473267, prod, &se)
    Pl = Pl + se
    prod = t * P
    Pl = fa_fma_f32(t, Pl, fa_fma_f32(t, P, -prod))
    P = two_sum(<float>0.09979057312011719, prod, &se)
    Pl = Pl + se
    prod = t * P
    Pl = fa_fma_f32(t, Pl, fa_fma_f32(t, P, -prod))
    P = two_sum(<float>0.09973333775997162, prod, &se)
    S_lo[0] = Pl + se
    return P

# R(a) = Phi(-a) e^(a^2/2) as R + R_lo.  t = 1/(1 + k a) rounds (1 + k a by
# up to 2^-24, the reciprocal again); R is ~3x as sensitive to t as to
# anything else (dlog R/dlog t = (c0 - a R)(1 + k a)/(k R), c0 = 1/sqrt(2 pi)),
# so t's relative error delta (by fma: t (1 + k a) = 1 - delta) is folded in
# to first order: R(t (1 + delta)) = R(t) + (c0 - a R)(1 + k a)/k delta.
cdef inline floating _gelu_R(floating ac, floating* R_lo) noexcept nogil:
    cdef floating k, kinv, S
    if floating is float:
        k = <float>0.25
        kinv = <float>4
    else:
        k = 0.125
        kinv = 8
    cdef floating den_lo
    cdef floating den = two_sum(<floating>1, k * ac, &den_lo)      # k a exact
    cdef floating t = <floating>1 / den
    cdef floating delta = fa_fma(-t, den, <floating>1) - t * den_lo
    cdef floating S_lo = 0
    if floating is float:
        S = _gelu_tail0_s_f32(t, &S_lo)
    else:
        S = _gelu_tail_s_f64(t)
    cdef floating R = t * S
    cdef floating c0 = <floating>0.3989422804014327
    R_lo[0] = fa_fma(t, S, -R) + fa_fma(t, S_lo, (fa_fma(-ac, R, c0) * (den * kinv)) * delta)
    return R

# e^(-a^2/2) = (E + E_lo) s2 with a^2 = h + h_lo exact: e^(-h_lo/2) = 1 - h_lo/2
# to 2^-48 relative; a^2/2 reaches 105 (float32) / 757 (float64).
cdef inline floating _gauss_hilo(floating ac, floating* E_lo, floating* s2) noexcept nogil:
    cdef floating h = ac * ac
    cdef floating h_lo = fa_fma(ac, ac, -h)
    cdef floating El
    cdef floating E = v_exp_hilo(-(h * <floating>0.5), &El, s2)
    E_lo[0] = fa_fma(E, -(h_lo * <floating>0.5), El)
    return E

# gelu_small f64: Phi(x) - 1/2 = x Q(x^2), Q of degree 11 in s = x^2: on [0.0, 0.25], max weighted error 6.25e-17 (1.05e-9 x 2^-24, 0.563 x 2^-53)
cdef inline double _gelu_small_q_f64(double s) noexcept nogil:
    cdef double P = -0.0002120612937793224
    P = fa_poly_f64(P, s, 0.0002918809974047755)
    P = fa_poly_f64(P, s, -0.00017350013365429736)
    P = fa_poly_f64(P, s, 5.828953534924246e-05)
    P = fa_poly_f64(P, s, -1.2201661845402933e-05)
    P = fa_poly_f64(P, s, 2.2959525078581125e-06)
    P = fa_poly_f64(P, s, -9.584993847103603e-06)
    P = fa_poly_f64(P, s, 0.0001154422221191961)
    P = fa_poly_f64(P, s, -0.0011873284515529086)
    P = fa_poly_f64(P, s, 0.00997355701383162)
    P = fa_poly_f64(P, s, -0.06649038006692928)
    P = fa_poly_f64(P, s, 0.3989422804014327)
    return P

cdef inline floating gelu_forward(floating x, floating unused0, floating unused1,
                                  floating unused2) noexcept nogil:
    cdef floating amax = _gelu_amax(x)
    cdef floating a = fa_abs(x)
    cdef floating ac = amax if a > amax else a
    cdef floating R_lo, El, s2, ql, wl, yl
    cdef floating R = _gelu_R(ac, &R_lo)
    cdef floating E = _gauss_hilo(ac, &El, &s2)
    cdef floating qh = pair_mul(E, El, R, R_lo, &ql)      # Phi(-a) = (qh + ql) s2
    cdef floating w = fast_two_sum(<floating>1, -(qh * s2), &wl)
    wl = wl - ql * s2                                     # 1 - Phi(-a) = w + wl
    cdef bint neg = x < 0
    cdef floating F = qh if neg else w
    cdef floating Fl = ql if neg else wl
    cdef floating y = pair_mul(x, <floating>0, F, Fl, &yl)
    cdef floating r = (y + yl) * (s2 if neg else <floating>1)
    cdef floating s, s_lo, Q
    if floating is double:
        # |x| < 1/2: x/2 + x^2 Q(x^2) (float64's S starts at a = 1/2)
        s = x * x
        s_lo = fa_fma(x, x, -s)
        Q = _gelu_small_q_f64(s)
        r = fa_fma(x, 0.5, fa_fma(s, Q, s_lo * Q)) if a < 0.5 else r
    r = x if x > amax else r
    r = x if x == 0 else r          # keep the sign of -0
    return fa_copysign(<floating>0, x) if x < -amax else r

# gelu_dsmall f64: gelu'(x) - 1/2 = x D(x^2), D of degree 11 in s = x^2: on [0.0, 0.25], max weighted error 6.25e-17 (1.05e-9 x 2^-24, 0.563 x 2^-53)
cdef inline double _gelu_small_d_f64(double s) noexcept nogil:
    cdef double P = -0.00041538719756289294
    P = fa_poly_f64(P, s, 0.0005722731711848419)
    P = fa_poly_f64(P, s, -0.0003405246728540591)
    P = fa_poly_f64(P, s, 0.00011457075054413567)
    P = fa_poly_f64(P, s, -2.4584622223476326e-05)
    P = fa_poly_f64(P, s, 1.2535114817699322e-05)
    P = fa_poly_f64(P, s, -0.00011361283520282511)
    P = fa_poly_f64(P, s, 0.0011543617736514168)
    P = fa_poly_f64(P, s, -0.009498626191628692)
    P = fa_poly_f64(P, s, 0.059841342067755536)
    P = fa_poly_f64(P, s, -0.2659615202676693)
    P = fa_poly_f64(P, s, 0.7978845608028654)
    return P

# gelu'(a0 + d) = d Q(d) near its root a0 = -0.7517915246935644574579049:
# gelu' f32: f'(a0 + d) = d Q(d), Q of degree 10: on [-0.5, 0.5], max weighted error 1.22e-8 (0.205 x 2^-24, 1.1e+8 x 2^-53)
cdef inline float _gelu_deriv_root_f32(float x, float* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef float dh = x - <float>-0.7517915368080139
    cdef float dl = -<float>1.211444988769017e-08
    cdef float d = dh + dl
    cdef float P = -0.0016514338785782456
    P = fa_poly_f32(P, d, 0.00033706630347296596)
    P = fa_poly_f32(P, d, 0.0004342385509517044)
    P = fa_poly_f32(P, d, -0.0023086995352059603)
    P = fa_poly_f32(P, d, 0.004257649183273315)
    P = fa_poly_f32(P, d, 0.01943078823387623)
    P = fa_poly_f32(P, d, -0.014743954874575138)
    P = fa_poly_f32(P, d, -0.11400853842496872)
    P = fa_poly_f32(P, d, -0.018200624734163284)
    P = fa_poly_f32(P, d, 0.38828498125076294)
    P = fa_poly_f32(P, d, 0.43149399757385254)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# gelu'(a0 + d) = d Q(d) near its root a0 = -0.7517915246935644574579049:
# gelu' f64: f'(a0 + d) = d Q(d), Q of degree 18: on [-0.5, 0.5], max weighted error 6.49e-17 (1.09e-9 x 2^-24, 0.584 x 2^-53)
cdef inline double _gelu_deriv_root_f64(double x, double* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef double dh = x - -0.7517915246935645
    cdef double dl = -1.4956759177009883e-17
    cdef double d = dh + dl
    cdef double P = 1.7736678569082852e-09
    P = fa_poly_f64(P, d, -1.2337153250770448e-09)
    P = fa_poly_f64(P, d, -3.537919790440988e-08)
    P = fa_poly_f64(P, d, -1.6841043324332093e-09)
    P = fa_poly_f64(P, d, 5.702487467740128e-07)
    P = fa_poly_f64(P, d, 4.32866473543432e-07)
    P = fa_poly_f64(P, d, -7.748455557408187e-06)
    P = fa_poly_f64(P, d, -1.1214383612986183e-05)
    P = fa_poly_f64(P, d, 8.615947787582069e-05)
    P = fa_poly_f64(P, d, 0.00018633974656323798)
    P = fa_poly_f64(P, d, -0.0007448268386175098)
    P = fa_poly_f64(P, d, -0.002239538068092248)
    P = fa_poly_f64(P, d, 0.004539228379122863)
    P = fa_poly_f64(P, d, 0.01942167983818964)
    P = fa_poly_f64(P, d, -0.01477152214824428)
    P = fa_poly_f64(P, d, -0.11400823329722172)
    P = fa_poly_f64(P, d, -0.018199676398671087)
    P = fa_poly_f64(P, d, 0.388284982990552)
    P = fa_poly_f64(P, d, 0.4314939923140469)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

cdef inline floating _gelu_deriv_root(floating x, floating* d) noexcept nogil:
    if floating is float:
        return _gelu_deriv_root_f32(x, d)
    else:
        return _gelu_deriv_root_f64(x, d)

# gelu'(x) = Phi(x) + x phi(x) = e^(-x^2/2) G with G = R - a c0 (c0 = 1/sqrt(2 pi)):
#   x < 0: E G;  x > 0: 1 - E G (|E G| <= 1/2);  near the root a0 = -0.75179
#   (|x - a0| < 1/2), where G cancels, d Q(d) with d = x - a0 (_gelu_deriv_root).
cdef inline floating gelu_backward(floating g, floating x, floating unused0,
                                   floating unused1, floating unused2) noexcept nogil:
    cdef floating amax = _gelu_amax(x)
    cdef floating c0_hi, c0_lo        # 1/sqrt(2 pi) = hi + lo
    if floating is float:
        c0_hi = <float>0.3989422917366028
        c0_lo = <float>-1.1335170135851058e-08
    else:
        c0_hi = 0.3989422804014327
        c0_lo = -2.49232720227773e-17
    cdef floating a = fa_abs(x)
    cdef floating ac = amax if a > amax else a
    cdef floating R_lo, El, s2, Tl, Gl, Fl, wl
    cdef floating R = _gelu_R(ac, &R_lo)
    cdef floating E = _gauss_hilo(ac, &El, &s2)
    cdef floating T = pair_mul(ac, <floating>0, c0_hi, c0_lo, &Tl)
    cdef floating G = pair_add(R, R_lo, -T, -Tl, &Gl)
    cdef floating F = pair_mul(E, El, G, Gl, &Fl)
    cdef floating w = fast_two_sum(<floating>1, -(F * s2), &wl)
    cdef floating r = (F + Fl) * s2 if x < 0 else w + (wl - Fl * s2)
    cdef floating d, s
    cdef floating near = _gelu_deriv_root(x, &d)
    if floating is double:
        s = x * x
        r = fa_fma(x, _gelu_small_d_f64(s), 0.5) if a < 0.5 else r
    return _deriv_finish(g, x, r, near, d, amax, -amax)


# gelu, approximate="tanh" (PyTorch's): 0.5 x (1 + tanh(u)), u = c (x + k x^3) ----
#   = x sigma(2u) = x / (1 + e^-2u).  2u = c2 x (1 + k x^2) is carried as
#   th + tl (pairs: x^2, k x^2, 1 + k x^2 and the product), because e^-2u
#   magnifies an absolute error of 2u into a relative one: 2u reaches -110
#   before the result underflows (float32).  z = e^-|2u| = (zh + zl) s2;
#   2u >= 0: x / (1 + z); 2u < 0: x z / (1 + z), as pairs, one quotient.
#   |x| is clamped at 20 (float32) / 25 (float64): beyond, x or -0.
cdef inline floating _gelu_tanh_xmax(floating x) noexcept nogil:
    return fa_by_dtype(x, 20, 25)

# 2u = th + tl; also m = c2 x = m + ml and s = x^2 (for the derivative).
cdef inline floating _gelu_tanh_2u(floating x, floating* tl, floating* m_out,
                                   floating* ml_out, floating* s_out) noexcept nogil:
    cdef floating c2_hi, c2_lo, k_hi, k_lo
    if floating is float:
        c2_hi = <float>1.5957691669464111          # 2 sqrt(2/pi)
        c2_lo = <float>-4.534068054340423e-08
        k_hi = <float>0.044714998453855515         # 0.044715
        k_lo = <float>1.5461444347053543e-09
    else:
        c2_hi = 1.5957691216057308
        c2_lo = -9.96930880911092e-17
        k_hi = 0.044715
        k_lo = 2.1960211427085595e-18
    cdef floating s = x * x
    cdef floating s_lo = fa_fma(x, x, -s)
    cdef floating p = k_hi * s
    cdef floating p_lo = fa_fma(k_hi, s, -p) + fa_fma(k_hi, s_lo, k_lo * s)
    # w = 1 + p exactly as w + w_lo (2Sum: p may exceed 1)
    cdef floating w_lo
    cdef floating w = two_sum(<floating>1, p, &w_lo)
    w_lo = w_lo + p_lo
    cdef floating m = c2_hi * x
    cdef floating ml = fa_fma(c2_hi, x, -m) + c2_lo * x
    cdef floating th = m * w
    tl[0] = fa_fma(m, w, -th) + fa_fma(m, w_lo, ml * w)
    m_out[0] = m
    ml_out[0] = ml
    s_out[0] = s
    return th

# z = e^-|th + tl| = (zh + zl) s2 (first order in tl: tl^2 < 2^-40)
cdef inline floating _exp_neg_abs_pair(floating th, floating tl, floating* zl,
                                       floating* s2) noexcept nogil:
    cdef floating El
    cdef floating E = v_exp_hilo(-fa_abs(th), &El, s2)
    zl[0] = fa_fma(E, -tl if th >= 0 else tl, El)
    return E

cdef inline floating gelu_tanh_forward(floating x, floating unused0, floating unused1,
                                       floating unused2) noexcept nogil:
    cdef floating xmax = _gelu_tanh_xmax(x)
    cdef floating xc = xmax if x > xmax else (-xmax if x < -xmax else x)
    cdef floating tl, m, ml, s, s2, zl, dl, nl
    cdef floating th = _gelu_tanh_2u(xc, &tl, &m, &ml, &s)
    cdef floating zh = _exp_neg_abs_pair(th, tl, &zl, &s2)
    cdef floating z = zh * s2
    cdef floating d = fast_two_sum(<floating>1, z, &dl)           # 1 + z, z <= 1
    dl = dl + zl * s2
    cdef bint pos = th >= 0
    cdef floating nh = xc * zh
    nl = fa_fma(xc, zh, -nh) + xc * zl
    cdef floating r = pair_div(xc if pos else nh, <floating>0 if pos else nl, d, dl)
    r = r * (<floating>1 if pos else s2)
    r = x if x == 0 else r          # keep the sign of -0
    r = x if x > xmax else r
    return fa_copysign(<floating>0, x) if x < -xmax else r

# gelu_tanh'(a0 + d) = d Q(d) near its root a0 = -0.7524614220710162584879544:
# gelu_tanh' f32: f'(a0 + d) = d Q(d), Q of degree 10: on [-0.5, 0.5], max weighted error 2.89e-8 (0.484 x 2^-24, 2.6e+8 x 2^-53)
cdef inline float _gelu_tanh_deriv_root_f32(float x, float* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef float dh = x - <float>-0.7524614334106445
    cdef float dl = -<float>1.1339627903339533e-08
    cdef float d = dh + dl
    cdef float P = -0.003539161989465356
    P = fa_poly_f32(P, d, 0.0007675912347622216)
    P = fa_poly_f32(P, d, 0.001599402748979628)
    P = fa_poly_f32(P, d, -0.0026736543513834476)
    P = fa_poly_f32(P, d, 0.004646594170480967)
    P = fa_poly_f32(P, d, 0.019720861688256264)
    P = fa_poly_f32(P, d, -0.016557926312088966)
    P = fa_poly_f32(P, d, -0.11394642293453217)
    P = fa_poly_f32(P, d, -0.015785016119480133)
    P = fa_poly_f32(P, d, 0.3875184655189514)
    P = fa_poly_f32(P, d, 0.4304001033306122)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# gelu_tanh'(a0 + d) = d Q(d) near its root a0 = -0.7524614220710162584879544:
# gelu_tanh' f64: f'(a0 + d) = d Q(d), Q of degree 18: on [-0.5, 0.5], max weighted error 5.64e-17 (9.47e-10 x 2^-24, 0.508 x 2^-53)
cdef inline double _gelu_tanh_deriv_root_f64(double x, double* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef double dh = x - -0.7524614220710163
    cdef double dl = -3.635560509207687e-17
    cdef double d = dh + dl
    cdef double P = 6.266083812033832e-08
    P = fa_poly_f64(P, d, 1.2279061352600778e-07)
    P = fa_poly_f64(P, d, -4.2517003986404256e-07)
    P = fa_poly_f64(P, d, -9.806971174702316e-07)
    P = fa_poly_f64(P, d, 2.4320514428360095e-06)
    P = fa_poly_f64(P, d, 5.916135660838489e-06)
    P = fa_poly_f64(P, d, -1.595067150342824e-05)
    P = fa_poly_f64(P, d, -3.4955772398149265e-05)
    P = fa_poly_f64(P, d, 0.00012425225822858778)
    P = fa_poly_f64(P, d, 0.0002639276015207163)
    P = fa_poly_f64(P, d, -0.0009274420220728067)
    P = fa_poly_f64(P, d, -0.0024227318436341647)
    P = fa_poly_f64(P, d, 0.005261059254902232)
    P = fa_poly_f64(P, d, 0.019682309459763337)
    P = fa_poly_f64(P, d, -0.016619328343052565)
    P = fa_poly_f64(P, d, -0.113944483080958)
    P = fa_poly_f64(P, d, -0.015782853521848026)
    P = fa_poly_f64(P, d, 0.3875184461357889)
    P = fa_poly_f64(P, d, 0.4304000910248585)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

cdef inline floating _gelu_tanh_deriv_root(floating x, floating* d) noexcept nogil:
    if floating is float:
        return _gelu_tanh_deriv_root_f32(x, d)
    else:
        return _gelu_tanh_deriv_root_f64(x, d)

# f' = sigma (1 + v (1 - sigma)), sigma = sigma(2u), v = 2 x u' = m (1 + 3 k x^2).
# With z = e^-|2u|, W = 1 + v, sq = (1 + z)^2 (all pairs):
#   x >= 0: (1 + z W) / sq;   x < 0: z (W + z) / sq,
# and near the root a0 = -0.75246 (W + z cancels) a polynomial in x - a0.
cdef inline floating gelu_tanh_backward(floating g, floating x, floating unused0,
                                        floating unused1, floating unused2) noexcept nogil:
    cdef floating xmax = _gelu_tanh_xmax(x)
    cdef floating k3_hi, k3_lo
    if floating is float:
        k3_hi = <float>0.13414500653743744        # 3 * 0.044715
        k3_lo = <float>-6.537437258202772e-09
    else:
        k3_hi = 0.134145
        k3_lo = 1.3526957332032908e-17
    cdef floating xc = xmax if x > xmax else (-xmax if x < -xmax else x)
    cdef floating tl, m, ml, s, s2, zl, dl, q3l, w3l, Vl, Wl, Pl, Nl, Yl, sql
    cdef floating th = _gelu_tanh_2u(xc, &tl, &m, &ml, &s)
    cdef floating zh = _exp_neg_abs_pair(th, tl, &zl, &s2)
    cdef floating z = zh * s2
    cdef floating zlt = zl * s2
    cdef floating d = fast_two_sum(<floating>1, z, &dl)
    dl = dl + zlt
    cdef floating sq = d * d
    sql = fa_fma(d, d, -sq) + <floating>2 * d * dl
    # W = 1 + m (1 + 3 k x^2)
    cdef floating q3 = pair_mul(k3_hi, k3_lo, s, fa_fma(xc, xc, -s), &q3l)
    cdef floating w3 = pair_add(<floating>1, <floating>0, q3, q3l, &w3l)
    cdef floating V = pair_mul(m, ml, w3, w3l, &Vl)
    cdef floating W = pair_add(<floating>1, <floating>0, V, Vl, &Wl)
    cdef floating Zw = pair_mul(z, zlt, W, Wl, &Pl)
    cdef floating Np = pair_add(<floating>1, <floating>0, Zw, Pl, &Nl)
    cdef floating Y = pair_add(W, Wl, z, zlt, &Yl)
    cdef floating Nn = pair_mul(zh, zl, Y, Yl, &Pl)
    cdef floating Nh = Np if th >= 0 else Nn
    Nl = Nl if th >= 0 else Pl
    cdef floating r = pair_div(Nh, Nl, sq, sql) * (<floating>1 if th >= 0 else s2)
    cdef floating dd
    cdef floating near = _gelu_tanh_deriv_root(x, &dd)
    return _deriv_finish(g, x, r, near, dd, xmax, -xmax)


# mish: x tanh(softplus(x)) ------------------------------------------------------
#   With n = e^x: tanh(log(1 + n)) = N / (N + 2), N = n (n + 2), so
#   mish = x N / (N + 2): one exp, no overflow below the clamp (x <= 20 float32,
#   40 float64, where the ratio is 1 to the last bit).  n = (nh + nl) s2: the
#   numerator x (nh + nl)(n + 2) is scaled by s1 only, s2 applied last, so
#   that x e^x rounds once into the subnormal range; x < -120 / -760: -0.
cdef inline floating _mish_xmax(floating x) noexcept nogil:
    return fa_by_dtype(x, 20, 40)

cdef inline floating _mish_lim(floating x) noexcept nogil:
    return fa_by_dtype(x, -120, -760)

# n + 2 and D = n (n + 2) + 2 as pairs (n >= 0: the larger operand first).
cdef inline floating _mish_parts(floating nh, floating nl, floating s2, floating* n2,
                                 floating* n2l, floating* Dl) noexcept nogil:
    cdef floating n = nh * s2
    cdef floating nlt = nl * s2
    cdef floating two = <floating>2
    cdef floating e, pl
    n2[0] = fast_two_sum(n if n > two else two, two if n > two else n, &e)
    n2l[0] = e + nlt
    cdef floating P = pair_mul(n, nlt, n2[0], n2l[0], &pl)
    cdef floating D = fast_two_sum(P if P > two else two, two if P > two else P, &e)
    Dl[0] = e + pl
    return D

cdef inline floating mish_forward(floating x, floating unused0, floating unused1,
                                  floating unused2) noexcept nogil:
    cdef floating xmax = _mish_xmax(x)
    cdef floating xc = xmax if x > xmax else x
    cdef floating s2, nl, n2, n2l, Dl, Al, Xl
    cdef floating nh = v_exp_hilo(xc, &nl, &s2)
    cdef floating D = _mish_parts(nh, nl, s2, &n2, &n2l, &Dl)
    cdef floating A = pair_mul(nh, nl, n2, n2l, &Al)
    cdef floating X = pair_mul(xc, <floating>0, A, Al, &Xl)
    cdef floating r = pair_div(X, Xl, D, Dl) * s2
    r = x if x == 0 else r          # keep the sign of -0
    r = x if x > xmax else r
    return fa_copysign(<floating>0, x) if x < _mish_lim(x) else r

# mish'(a0 + d) = d Q(d) near its root a0 = -1.192431214515495212137588:
# mish' f32: f'(a0 + d) = d Q(d), Q of degree 10: on [-0.5, 0.5], max weighted error 4.16e-8 (0.697 x 2^-24, 3.74e+8 x 2^-53)
cdef inline float _mish_deriv_root_f32(float x, float* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef float dh = x - <float>-1.1924312114715576
    cdef float dl = -<float>-3.0439375464652585e-09
    cdef float d = dh + dl
    cdef float P = -0.0038623588625341654
    P = fa_poly_f32(P, d, 0.0003209353017155081)
    P = fa_poly_f32(P, d, 0.002822133479639888)
    P = fa_poly_f32(P, d, 0.0008177366107702255)
    P = fa_poly_f32(P, d, 0.00048359576612710953)
    P = fa_poly_f32(P, d, -0.0033359923399984837)
    P = fa_poly_f32(P, d, -0.015761978924274445)
    P = fa_poly_f32(P, d, -0.020272914320230484)
    P = fa_poly_f32(P, d, 0.04190580174326897)
    P = fa_poly_f32(P, d, 0.2047312706708908)
    P = fa_poly_f32(P, d, 0.2669479250907898)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

# mish'(a0 + d) = d Q(d) near its root a0 = -1.192431214515495212137588:
# mish' f64: f'(a0 + d) = d Q(d), Q of degree 18: on [-0.5, 0.5], max weighted error 7.05e-17 (1.18e-9 x 2^-24, 0.635 x 2^-53)
cdef inline double _mish_deriv_root_f64(double x, double* d_out) noexcept nogil:
    # d = dh + dl: dh = x - a0_hi is exact on the window, the product rounds once
    cdef double dh = x - -1.1924312145154952
    cdef double dl = 4.8484829848031044e-17
    cdef double d = dh + dl
    cdef double P = -1.941253678243764e-09
    P = fa_poly_f64(P, d, -5.384041018417208e-08)
    P = fa_poly_f64(P, d, -1.4274335196063078e-07)
    P = fa_poly_f64(P, d, 2.2883453915942395e-08)
    P = fa_poly_f64(P, d, 1.0720485577249034e-06)
    P = fa_poly_f64(P, d, 2.9099173843110867e-06)
    P = fa_poly_f64(P, d, 9.426874950856655e-07)
    P = fa_poly_f64(P, d, -1.7299449455720937e-05)
    P = fa_poly_f64(P, d, -5.582891247104663e-05)
    P = fa_poly_f64(P, d, -4.196147848095161e-05)
    P = fa_poly_f64(P, d, 0.0002541293638110784)
    P = fa_poly_f64(P, d, 0.0009898181011170934)
    P = fa_poly_f64(P, d, 0.0010924055409392763)
    P = fa_poly_f64(P, d, -0.0033606849269916987)
    P = fa_poly_f64(P, d, -0.015821126561733113)
    P = fa_poly_f64(P, d, -0.020271822716684693)
    P = fa_poly_f64(P, d, 0.04190782104360987)
    P = fa_poly_f64(P, d, 0.20473126408010586)
    P = fa_poly_f64(P, d, 0.2669479140495345)
    d_out[0] = d
    return fa_fma(dh, P, dl * P)

cdef inline floating _mish_deriv_root(floating x, floating* d) noexcept nogil:
    if floating is float:
        return _mish_deriv_root_f32(x, d)
    else:
        return _mish_deriv_root_f64(x, d)

# mish' = tanh(sp) + x sigma(x) (1 - tanh(sp)^2) (PyTorch's mish_backward), with
# D = N + 2 = n^2 + 2n + 2 and 1 - tanh(sp)^2 = 4 (n + 1)^2 / D^2:
#   mish' = n P / D^2,  P = n^3 + 4 n^2 + (6 + 4x) n + 4 (1 + x)
# (Horner in pairs).  Outside the root window P has no cancellation: for
# x > -1 every term is positive, below -1.69 4 (1 + x) dominates.  Near the
# root a0 = -1.19243 a polynomial in x - a0.
cdef inline floating mish_backward(floating g, floating x, floating unused0,
                                   floating unused1, floating unused2) noexcept nogil:
    cdef floating xmax = _mish_xmax(x)
    cdef floating xc = xmax if x > xmax else x
    cdef floating s2, nl, n2, n2l, Dl, Pl, Bl, Cl, ol, Nl, ql
    cdef floating nh = v_exp_hilo(xc, &nl, &s2)
    cdef floating D = _mish_parts(nh, nl, s2, &n2, &n2l, &Dl)
    cdef floating n = nh * s2
    cdef floating nlt = nl * s2
    cdef floating P = pair_add(n, nlt, <floating>4, <floating>0, &Pl)
    P = pair_mul(P, Pl, n, nlt, &Pl)
    cdef floating B = two_sum(<floating>6, <floating>4 * xc, &Bl)   # 4x exact
    P = pair_add(P, Pl, B, Bl, &Pl)
    P = pair_mul(P, Pl, n, nlt, &Pl)
    cdef floating o = two_sum(<floating>1, xc, &ol)
    P = pair_add(P, Pl, <floating>4 * o, <floating>4 * ol, &Pl)
    cdef floating N = pair_mul(nh, nl, P, Pl, &Nl)
    cdef floating sq = pair_mul(D, Dl, D, Dl, &ql)
    cdef floating r = pair_div(N, Nl, sq, ql) * s2
    cdef floating d
    cdef floating near = _mish_deriv_root(x, &d)
    return _deriv_finish(g, x, r, near, d, xmax, _mish_lim(x))
