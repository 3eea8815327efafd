"""examples/mlp_digits.py, the client the package is for, trains for real.

A NumPy MLP on scikit-learn's bundled digits (no download), relu and gelu
hidden layers, fastact's in-place forward and backward, log_softmax + NLL:
a short run must reach 95% test accuracy, train the NumPy-composed twin to
the same accuracy, and report a dead-unit fraction per epoch that matches a
NumPy count.
"""

import importlib.util
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "mlp_digits.py")

pytestmark = pytest.mark.skipif(
    not os.path.exists(EXAMPLE),
    reason="examples/ is not next to tests/ (tests copied out to test a wheel)")


def _example():
    pytest.importorskip("sklearn", reason="the example needs scikit-learn "
                        "(pip install -e '.[test]' installs it)")
    spec = importlib.util.spec_from_file_location("mlp_digits", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_mlp_reaches_95_percent(activation, capsys):
    result = _example().main(["--activation", activation, "--epochs", "15", "--quiet"])
    fa, nu = result["fastact"], result["numpy"]
    assert fa["test_accuracy"] >= 0.95, result
    # Same network, weights, minibatches: the NumPy-composed twin agrees.
    assert abs(fa["test_accuracy"] - nu["test_accuracy"]) <= 0.01
    assert fa["median_epoch_seconds"] > 0 and nu["median_epoch_seconds"] > 0
    assert "fastact: test accuracy" in capsys.readouterr().out
    if activation == "relu":
        for row in result["history"]:
            (f1, u1), (f2, u2) = row["fastact"]["dead"]
            # The monitor's fraction is the NumPy count's (same weights, same data)
            # as long as both runs agree to the bit, which relu's exact forward gives
            # for the first epoch at least.
            assert 0.0 < f1 < 1.0 and 0.0 < f2 < 1.0
            assert u1 >= 0 and u2 >= 0
        first = result["history"][0]
        for (ff, fu), (nf, nu_) in zip(first["fastact"]["dead"], first["numpy"]["dead"]):
            assert ff == pytest.approx(nf, abs=1e-6) and fu == nu_
