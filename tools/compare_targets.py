"""How far the kernel targets agree: every elementwise kernel (forward, and
backward from x) and softmax/log_softmax, float32 and float64, on 2^20 inputs
(random bit patterns and U(-30, 30)), computed by each target in a child
process and compared byte for byte (any NaN matches any NaN).

    python tools/compare_targets.py                  # avx512 against the others
    python tools/compare_targets.py avx2 baseline    # the first against the rest

Prints, per kernel that differs, how many outputs differ and the largest
distance in ULP between finite ones.
"""

import contextlib
import os
import subprocess
import sys
import tempfile

import numpy as np


def outputs(path):
    """Run in a child with FASTACT_CPU set: every kernel's outputs into path."""
    import fastact
    rng = np.random.default_rng(7)
    res = {}
    for dt, it in ((np.float32, np.uint32), (np.float64, np.uint64)):
        bits = rng.integers(0, np.iinfo(it).max, 1 << 19, dtype=it, endpoint=True).view(dt)
        x = np.concatenate([bits, rng.uniform(-30, 30, 1 << 19).astype(dt)])
        g = rng.standard_normal(x.size).astype(dt)
        for name in fastact.ACTIVATIONS:
            if name in ("softmax", "log_softmax", "softmin", "maxout", "prelu"):
                continue
            with np.errstate(all="ignore"):
                res[f"{name} fwd {dt.__name__}"] = getattr(fastact, name)(x)
                with contextlib.suppress(TypeError):        # no backward from x
                    res[f"{name} bwd {dt.__name__}"] = getattr(fastact, name + "_backward")(g, x=x)
        rows = x[:1 << 18].reshape(-1, 256)
        rows = np.where(np.isfinite(rows), np.clip(rows, -1e4, 1e4), rows).astype(dt)
        for name in ("softmax", "log_softmax"):
            res[f"{name} fwd {dt.__name__}"] = getattr(fastact, name)(rows)
    np.savez(path, **res)


def ordered(v):
    """Float bit patterns as integers ordered like the floats (ULP steps)."""
    it = np.int32 if v.dtype == np.float32 else np.int64
    i = v.view(it).astype(np.int64)
    return np.where(i < 0, np.iinfo(it).min - i, i)


def compare(a, b):
    differ = 0
    for k in a.files:
        x, y = a[k].ravel(), b[k].ravel()
        w = x.dtype.itemsize
        same = ((x.view(np.uint8).reshape(-1, w) == y.view(np.uint8).reshape(-1, w)).all(1)
                | (np.isnan(x) & np.isnan(y)))
        n = int((~same).sum())
        if n:
            fin = ~same & np.isfinite(x) & np.isfinite(y)
            ulp = int(np.abs(ordered(x) - ordered(y))[fin].max()) if fin.any() else -1
            print(f"  {k:28s} {n:8d} of {x.size} differ ({100 * n / x.size:.3f}%), "
                  f"at most {ulp} ULP apart")
            differ += 1
    print(f"  {len(a.files)} kernels, {differ} differ")


def main(argv):
    if len(argv) == 3 and argv[1] == "--child":
        outputs(argv[2])
        return 0
    import fastact._dispatch as D
    targets = argv[1:] or D.supported_targets()
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for t in targets:
            files[t] = os.path.join(tmp, t + ".npz")
            subprocess.run([sys.executable, __file__, "--child", files[t]], check=True,
                           env=dict(os.environ, FASTACT_CPU=t))
        first = np.load(files[targets[0]])
        for t in targets[1:]:
            print(f"{targets[0]} against {t}:")
            compare(first, np.load(files[t]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
