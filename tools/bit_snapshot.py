"""Bit-for-bit snapshot of every kernel's outputs, for behaviour-preserving changes.

    FASTACT_CPU=avx512 python tools/bit_snapshot.py save before.npz    # the old build
    FASTACT_CPU=avx512 python tools/bit_snapshot.py save after.npz     # the new one
    python tools/bit_snapshot.py compare before.npz after.npz          # exit 1 on a difference

The snapshot holds, for both dtypes, on 327,680 inputs per dtype (random bit
patterns, uniform on [-30, 30], normal): every elementwise kernel forward,
backward from x and backward from y, at the defaults, at non-default
parameters and at each string choice; the monitored forwards and their
counts; prelu forward and both gradients; maxout forward and backward;
softmax, log_softmax and softmin forward and backward along both axes.  One
thread.  Run it per target (FASTACT_CPU) to cover each target's code.
"""
import contextlib
import sys

import numpy as np

NON_DEFAULT = {
    "leaky_relu": {"negative_slope": 0.3}, "elu": {"alpha": 0.7}, "celu": {"alpha": 1.7},
    "softplus": {"beta": 2.5, "threshold": 7.0}, "swish": {"beta": 1.3},
    "hardtanh": {"min_val": -2.0, "max_val": 0.5},
}


def _elementwise(res, x, g, d):
    import fastact
    from fastact._table import ACTIVATIONS

    for name, spec in ACTIVATIONS.items():
        if spec.api != "elementwise":
            continue
        cases = [("def", {})] + ([("nd", NON_DEFAULT[name])] if name in NON_DEFAULT else [])
        cases += [(v, {c: v}) for c, values in spec.choices.items() for v in values]
        for tag, p in cases:
            key = f"{name} {tag} %s {d}"
            y = res[key % "fwd"] = getattr(fastact, name)(x, **p)
            backward = getattr(fastact, name + "_backward")
            res[key % "bwdx"] = backward(g, x=x, **p)
            with contextlib.suppress(TypeError, ValueError):   # no backward from y
                res[key % "bwdy"] = backward(g, y=y, **p)
            if spec.flat is not None:
                m = fastact.DeadUnitMonitor()
                res[key % "mon"] = getattr(fastact, name)(x, monitor=m, **p)
                res[key % "moncount"] = np.array([m.dead, m.total])


def _others(res, x, g, d, rng):
    import fastact

    xc = x[:1 << 16].reshape(64, 8, 128)
    w = rng.uniform(-1, 1, 8).astype(x.dtype)
    res[f"prelu fwd {d}"] = fastact.prelu(xc, w)
    for i, b in enumerate(fastact.prelu_backward(g[:1 << 16].reshape(xc.shape), xc, w)):
        res[f"prelu bwd{i} {d}"] = np.asarray(b)
    # Monitored forwards on layouts walked as runs of rows (kernel2d_fn):
    # prelu's (N, C, L), some weights 0, per call and per channel; relu,
    # relu6 and leaky_relu on rows with gaps between them.
    w0 = w.copy()
    w0[::3] = 0
    for per_channel in (False, True):
        m = fastact.DeadUnitMonitor(per_channel=per_channel)
        res[f"prelu mon{int(per_channel)} {d}"] = fastact.prelu(xc, w0, monitor=m)
        res[f"prelu moncount{int(per_channel)} {d}"] = np.array(
            [m.dead, m.total] + (list(m.last_channel_dead) if per_channel else []))
    for name in ("relu", "relu6", "leaky_relu"):
        m = fastact.DeadUnitMonitor()
        res[f"{name} monrows {d}"] = getattr(fastact, name)(xc[:, :, 5:], monitor=m)
        res[f"{name} monrowscount {d}"] = np.array([m.dead, m.total])
    xm = x[:1 << 16].reshape(-1, 256)
    res[f"maxout fwd {d}"] = fastact.maxout(xm, pieces=4)
    res[f"maxout bwd {d}"] = fastact.maxout_backward(g[:1 << 14].reshape(-1, 64), x=xm,
                                                      pieces=4)
    xr = np.where(np.isfinite(xm), np.clip(xm, -1e4, 1e4), xm).astype(x.dtype)
    gr = g[:xr.size].reshape(xr.shape)
    for name in ("softmax", "log_softmax", "softmin"):
        for ax in (-1, 0):
            y = res[f"{name} fwd ax{ax} {d}"] = getattr(fastact, name)(xr, axis=ax)
            res[f"{name} bwd ax{ax} {d}"] = getattr(fastact, name + "_backward")(gr, y=y,
                                                                                axis=ax)


def snapshot():
    import fastact

    fastact.set_num_threads(1)
    rng = np.random.default_rng(7)
    res = {}
    for dt, it in ((np.float32, np.uint32), (np.float64, np.uint64)):
        bits = rng.integers(0, np.iinfo(it).max, 1 << 17, dtype=it, endpoint=True).view(dt)
        x = np.concatenate([bits, rng.uniform(-30, 30, 1 << 17).astype(dt),
                            rng.standard_normal(1 << 16).astype(dt)])
        g = rng.standard_normal(x.size).astype(dt)
        with np.errstate(all="ignore"):
            _elementwise(res, x, g, dt.__name__)
            _others(res, x, g, dt.__name__, rng)
    return res


def compare(path_a, path_b):
    """Print the arrays that differ in any bit (NaN against NaN is equal);
    return 1 if any does."""
    a, b = np.load(path_a), np.load(path_b)
    bad = 0
    if set(a.files) != set(b.files):
        print("not the same arrays:", sorted(set(a.files) ^ set(b.files)))
        bad += 1
    for k in sorted(set(a.files) & set(b.files)):
        x, y = a[k].ravel(), b[k].ravel()
        if x.shape != y.shape or x.dtype != y.dtype:
            print(k, "shape or dtype differs")
            bad += 1
            continue
        rows_x = x.view(np.uint8).reshape(x.size, -1)
        rows_y = y.view(np.uint8).reshape(y.size, -1)
        same = (rows_x == rows_y).all(1)
        if x.dtype.kind == "f":
            same |= np.isnan(x) & np.isnan(y)
        if not same.all():
            print(f"{k:34s} differ {(~same).sum()} of {x.size}")
            bad += 1
    print(len(a.files), "arrays;", bad, "differ")
    return 1 if bad else 0


def main(argv):
    if len(argv) == 2 and argv[0] == "save":
        res = snapshot()
        np.savez(argv[1], **res)
        print(len(res), "arrays")
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(argv[1], argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
