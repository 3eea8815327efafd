"""The benchmark baselines compute the same functions as fastact.

Every implementation in fastact/bench/baselines.py (NumPy, SciPy, PyTorch when
installed, and fastact where the table has the activation) is run on the same
float64 data, and all of them must agree: a benchmark that compared different
functions would be meaningless.
"""

import numpy as np
import pytest

from fastact.bench import baselines as B

NAMES = list(B.DEFAULT_PARAMS)


def _all_impls(name):
    impls = [i for i in B.implementations(name)]
    for inp in ("x", "y"):
        fa = B.fastact_impl(name, backward_input=inp)
        if fa is not None:
            impls.append(fa)
    return impls


def _run(impl, name, direction, dtype=np.float64):
    x, g, w = B.make_inputs(name, 4096, dtype, seed=1)
    p = B.params_for(name, weight=w)
    ref = B.implementation(name, "numpy")
    fwd_ref = B.bind(ref, p)[0]
    y = fwd_ref(x, np.empty(g.shape, dtype))
    wrap = impl.wrap
    if impl.library == "torch" and w is not None:
        p = dict(p, weight=wrap(w))
    fwd, fwd_, bwd = B.bind(impl, p)
    if direction == "forward":
        if fwd is None:
            pytest.skip("no forward")
        out = np.empty(g.shape, dtype)
        fwd(wrap(x), wrap(out))
        return out
    if direction == "forward_":
        if fwd_ is None:
            pytest.skip("no in-place forward")
        xc = x.copy()
        fwd_(wrap(xc))
        return xc
    if bwd is None:
        pytest.skip("no backward")
    out = np.empty_like(x)
    r = bwd(wrap(g), wrap(x), wrap(y), wrap(out))
    return np.asarray(r[0]) if isinstance(r, tuple) else out


@pytest.mark.parametrize("direction", ["forward", "forward_", "backward"])
@pytest.mark.parametrize("name", NAMES)
def test_implementations_agree(name, direction):
    impls = _all_impls(name)
    if len(impls) < 2 and not impls:
        pytest.skip("no implementation")
    results = []
    for impl in impls:
        try:
            r = _run(impl, name, direction)
        except NotImplementedError:
            continue
        except pytest.skip.Exception:
            continue
        results.append((impl.library + "/" + impl.backward_input, r))
    if not results:
        pytest.skip(f"no implementation of {name} {direction}")
    label0, r0 = results[0]
    assert np.all(np.isfinite(r0)), label0
    for label, r in results[1:]:
        np.testing.assert_allclose(r, r0, rtol=1e-6, atol=1e-12, err_msg=f"{label} vs {label0}")


def test_gelu_tanh_form_agrees():
    impls = [i for i in _all_impls("gelu") if i.library != "scipy"]
    x, _, _ = B.make_inputs("gelu", 1000, np.float64)
    outs = []
    for impl in impls:
        fwd, _, _ = B.bind(impl, B.params_for("gelu", approximate="tanh"))
        o = np.empty_like(x)
        fwd(impl.wrap(x), impl.wrap(o))
        outs.append(o)
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], rtol=1e-12, atol=1e-15)
