"""ULPs: the one measure of accuracy, for the tests and the accuracy sweep.

``ulp_error(got, ref, dtype)`` is the error of a result against an exact
(higher-precision) reference, in ULPs of the dtype at the reference: the
measure of ACCURACY.md, of ``python -m fastact.accuracy`` and of the tests'
bounds against the exponential family's references.  Subnormal references are
judged in subnormal ULPs; a result equal to the reference (NaN included) is 0
off, a NaN against a number infinitely far.

``ulp_distance(a, b)`` counts the representable values of the dtype between two
results (or a result and its reference already rounded to the dtype): +0 and
-0 are the same point, the smallest subnormal is one step from zero, the
largest finite value one step from infinity, and NaN is at distance 0 from
NaN and infinitely far from everything else (so NaNs must match in position).
The piecewise references' bounds (``references.Reference.forward_ulp``) are
stated in these steps; the assertions below use it.
"""

from __future__ import annotations

from typing import Mapping, Optional, Tuple

import numpy as np

_UINT = {4: np.uint32, 8: np.uint64}

# Working precision of the references for float64 kernels: long double when it
# really has more bits than float64 (x86-64 Linux: 64-bit mantissa).
EXTENDED = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64


def working_dtype(dtype, bitwise: bool):
    """Precision to evaluate a reference in, for a kernel of ``dtype``.

    Bitwise-exact checks use float64 (one correctly rounded float64 operation
    rounded to float32 equals the float32 operation, as the product of two
    float32 values is exact in float64); ULP-tolerance checks of float64 kernels
    use EXTENDED."""
    if np.dtype(dtype) == np.float64 and not bitwise:
        return EXTENDED
    return np.float64


def round_params(params: Mapping[str, float], dtype, work) -> dict:
    """Parameters as the kernels see them: rounded to the dtype, then held in the
    working precision."""
    return {k: work(np.dtype(dtype).type(v)) for k, v in params.items()}


def bits(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    return a.view(_UINT[a.dtype.itemsize])


def ulp_distance(a, b) -> np.ndarray:
    """Distance in ULPs between same-dtype float32/float64 arrays (float64 result)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64):
        raise TypeError(f"ulp_distance needs two float32 or two float64 arrays, "
                        f"got {a.dtype} and {b.dtype}")
    a, b = np.broadcast_arrays(a, b)
    width = a.dtype.itemsize * 8
    ua = bits(a).astype(np.uint64)
    ub = bits(b).astype(np.uint64)
    mask = np.uint64((1 << (width - 1)) - 1)
    sa, sb = ua >> np.uint64(width - 1), ub >> np.uint64(width - 1)
    ma, mb = ua & mask, ub & mask
    same_sign = np.maximum(ma, mb) - np.minimum(ma, mb)   # (np.where would wrap one side)
    d = np.where(sa == sb, same_sign, ma + mb).astype(np.float64)
    na, nb = np.isnan(a), np.isnan(b)
    d = np.where(na | nb, np.inf, d)
    d = np.where(na & nb, 0.0, d)
    return d


def ulp_error(got, ref, dtype) -> np.ndarray:
    """|got - ref| in ULPs of ``dtype`` at ref, elementwise, computed (and
    returned) in ``dtype``'s working precision: float64 for float32, EXTENDED
    for float64.

    The ULP at ref is 2^(max(E, emin) - nmant), E ref's binary exponent, emin
    the dtype's smallest normal exponent.  A finite reference beyond the
    dtype's largest value counts as met by an infinity of its sign."""
    fi = np.finfo(dtype)
    work = working_dtype(dtype, bitwise=False)
    ref = np.asarray(ref, work)
    g = np.asarray(got).astype(work)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(g - ref)
        if work is np.float64 and fi.nmant == 23:
            # 1/ulp built in float64's exponent field (frexp/ldexp are ~10x
            # slower; the exhaustive sweep calls this on 2^32 inputs)
            biased = np.maximum((ref.view(np.int64) >> 52) & 0x7FF, 1023 + fi.minexp)
            err = err * ((2046 + fi.nmant - biased) << 52).view(np.float64)
        else:
            _, e = np.frexp(np.maximum(np.abs(ref), work(fi.smallest_normal)))
            err = err / np.ldexp(work(1), e - 1 - fi.nmant)
    same = (g == ref) | (np.isnan(g) & np.isnan(ref))
    over = np.isinf(g) & (np.abs(ref) > fi.max) & (np.signbit(g) == np.signbit(ref))
    return np.where(same | over, 0, np.where(np.isnan(err), np.inf, err))


def same_bits(a, b) -> np.ndarray:
    """Elementwise: identical bit patterns, or both NaN (any payload)."""
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    return (bits(a) == bits(b)) | (np.isnan(a) & np.isnan(b))


def _describe(mask, result, expected, inputs, dist, limit=8):
    idx = np.argwhere(mask)[:limit]
    lines = []
    for i in map(tuple, idx):
        where = ", ".join(f"{k}={np.asarray(v)[i]!r}" for k, v in inputs.items())
        lines.append(f"  at {i}: {where} -> got {result[i]!r}, expected {expected[i]!r} "
                     f"({dist[i]:g} ULP)")
    return "\n".join(lines)


def assert_bitwise_equal(result, expected, what="", inputs: Optional[Mapping] = None):
    """Same dtype, shape and bits (any NaN matches any NaN)."""
    result = np.asarray(result)
    expected = np.asarray(expected)
    assert result.dtype == expected.dtype, f"{what}: dtype {result.dtype} != {expected.dtype}"
    assert result.shape == expected.shape, f"{what}: shape {result.shape} != {expected.shape}"
    bad = ~same_bits(result, expected)
    if bad.any():
        dist = ulp_distance(result, expected)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} elements differ bitwise\n"
            + _describe(bad, result, expected, inputs or {}, dist))


def assert_matches_reference(
    result,
    reference,
    dtype,
    ulp: int,
    what: str,
    inputs: Optional[Mapping] = None,
    slack=None,
    either: Optional[Tuple[np.ndarray, np.ndarray]] = None,
):
    """``result`` (dtype) against ``reference`` (working precision).

    ulp == 0: bitwise equal to the reference rounded to the dtype (sign of zero
    included).  ulp > 0: within that many ULPs of it; where the reference
    itself is infinite the result must equal it.
    Either way NaN must match NaN in position.  ``slack`` (absolute, array) is
    accepted in addition; ``either = (mask, other)`` accepts ``other`` rounded
    to the dtype where mask holds.
    """
    dtype = np.dtype(dtype)
    result = np.asarray(result)
    assert result.dtype == dtype, f"{what}: result dtype {result.dtype}, expected {dtype}"
    assert result.shape == np.shape(reference), (
        f"{what}: result shape {result.shape}, expected {np.shape(reference)}")
    with np.errstate(all="ignore"):
        expected = np.asarray(reference).astype(dtype)
    dist = ulp_distance(result, expected)
    if ulp == 0:
        ok = same_bits(result, expected)
    else:
        # Overflow at the rounding boundary may go either way (max finite is
        # one ULP from inf), but a mathematically infinite result must be inf.
        ok = dist <= ulp
        ok &= ~np.isinf(np.asarray(reference)) | (result == expected)
    if slack is not None:
        with np.errstate(all="ignore"):
            err = np.abs(np.asarray(reference, dtype=np.longdouble)
                         - result.astype(np.longdouble))
        ok |= np.isfinite(result) & (err <= np.asarray(slack))
    if either is not None:
        mask, other = either
        with np.errstate(all="ignore"):
            other = np.asarray(other).astype(dtype)
        ok |= mask & same_bits(result, other)
    bad = ~ok
    if bad.any():
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} elements off "
            f"(allowed {ulp} ULP{'' if ulp else ' = bitwise'}, worst "
            f"{np.max(np.where(bad, dist, 0)):g})\n"
            + _describe(bad, result, expected, inputs or {}, dist))
