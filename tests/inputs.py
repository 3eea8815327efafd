"""Test data: random arrays at several scales and the edge values of each dtype."""

from __future__ import annotations

import zlib
from typing import Iterable

import numpy as np

DTYPES = (np.float32, np.float64)

# Lengths that exercise every SIMD remainder (vectors of 4..16 elements, with
# unrolling) and the scalar path.
LENGTHS = (0, 1, 7, 15, 16, 17, 31, 33, 63, 65, 1023, 1025, 4097)

# Every kink of the piecewise family at default and tested parameters.
COMMON_KINKS = (0.0, 6.0, 1.0, -1.0, -3.0, 3.0, 2.5, -2.5, -2.0, -1.5, 1.5, 0.5)


def rng_for(*key) -> np.random.Generator:
    """A generator seeded from ``key`` (stable across runs and processes)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def random_values(rng, n: int, dtype, scale: str = "mixed") -> np.ndarray:
    """n values of ``dtype``: 'normal' (N(0, 3)), 'loguniform' (random sign,
    magnitude 1e-30..1e30 for float32, 1e-300..1e300 for float64), 'kinks'
    (uniform on [-8, 8]), or 'mixed' (a shuffled blend of the three)."""
    dtype = np.dtype(dtype)
    if scale == "normal":
        v = rng.standard_normal(n) * 3
    elif scale == "loguniform":
        top = 30 if dtype == np.float32 else 300
        v = 10.0 ** rng.uniform(-top, top, n) * rng.choice((-1.0, 1.0), n)
    elif scale == "kinks":
        v = rng.uniform(-8, 8, n)
    elif scale == "mixed":
        k = n // 3
        v = np.concatenate([random_values(rng, k, np.float64, "normal"),
                            random_values(rng, k, dtype, "loguniform").astype(np.float64),
                            random_values(rng, n - 2 * k, np.float64, "kinks")])
        rng.shuffle(v)
    else:
        raise ValueError(scale)
    return v.astype(dtype)


def special_values(dtype) -> np.ndarray:
    """±0, subnormals, smallest normal, ±inf, NaN, ±max finite, and a few ones."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    sub = fi.smallest_subnormal
    vals = [0.0, -0.0, sub, -sub, sub * 3, -sub * 7, fi.smallest_normal - sub,
            -(fi.smallest_normal - sub), fi.smallest_normal, -fi.smallest_normal,
            np.inf, -np.inf, np.nan, -np.nan, fi.max, -fi.max, fi.max / 2, -fi.max / 2,
            1e30, -1e30, 1e20, -1e20, 1e-20, -1e-20, 0.1, -0.1, 100.0, -100.0]
    return np.array(vals, dtype=dtype)


def around(points: Iterable[float], dtype, steps: int = 2) -> np.ndarray:
    """Each point rounded to dtype, and the ``steps`` neighbours on each side."""
    dtype = np.dtype(dtype)
    out = []
    for p in points:
        c = dtype.type(p)
        up = down = c
        out.append(c)
        for _ in range(steps):
            up = np.nextafter(up, dtype.type(np.inf))
            down = np.nextafter(down, dtype.type(-np.inf))
            out += [up, down]
    return np.array(out, dtype=dtype)


def edge_values(dtype, kinks: Iterable[float] = ()) -> np.ndarray:
    """special_values plus every common kink and ``kinks``, at and around each
    (np.unique merges ±0 and the NaNs, so both zeros and a NaN are appended)."""
    dtype = np.dtype(dtype)
    v = np.unique(np.concatenate([
        special_values(dtype), around(COMMON_KINKS, dtype), around(kinks, dtype)]))
    return np.concatenate([v, np.array([0.0, -0.0, np.nan], dtype=dtype)])


def grad_edge_values(dtype) -> np.ndarray:
    """Upstream gradients that expose a wrong select (inf * 0, NaN * 0, -0)."""
    fi = np.finfo(np.dtype(dtype))
    return np.array([1.0, -1.0, 0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max,
                     fi.smallest_subnormal, 0.5, -3.0, 1e-30], dtype=dtype)


def moderate(rng, shape, dtype) -> np.ndarray:
    """Valid inputs for any activation at default parameters: N(0, 3)."""
    return (rng.standard_normal(shape) * 3).astype(dtype)
