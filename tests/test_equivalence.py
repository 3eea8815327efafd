"""The four entry points agree, and the thread count never changes a bit.

Parametrized over every elementwise activation in ``fastact.ACTIVATIONS``.
"""

import numpy as np
import pytest
from inputs import DTYPES, moderate, rng_for, special_values
from refcheck import check_backward_y, elementwise_names

import fastact
from fastact.bench.references import REFERENCES
from fastact.bench.ulp import assert_bitwise_equal

NAMES = elementwise_names()
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
names = pytest.mark.parametrize("name", NAMES)

# Well above every family's parallel threshold, and not a multiple of any
# vector width or block size.
BIG = (1 << 20) + 17


def f(name, suffix=""):
    return getattr(fastact, name + suffix)


def _inputs(name, dtype, n=5000):
    rng = rng_for("equiv", name, dtype, n)
    x = moderate(rng, n, dtype)
    x[: special_values(dtype).size] = special_values(dtype)
    g = moderate(rng, n, dtype)
    return x, g


@dtypes
@names
def test_forward_in_place_equals_out_of_place_equals_out_x(name, dtype):
    x, _ = _inputs(name, dtype)
    expected = f(name)(x)
    assert expected is not x
    a = x.copy()
    assert f(name, "_")(a) is a
    assert_bitwise_equal(a, expected, f"{name}_ vs {name}")
    b = x.copy()
    assert f(name)(b, out=b) is b
    assert_bitwise_equal(b, expected, f"{name}(x, out=x) vs {name}")
    out = np.empty_like(x)
    assert f(name)(x, out=out) is out
    assert_bitwise_equal(out, expected, f"{name}(x, out=new) vs {name}")


@dtypes
@names
def test_backward_in_place_writes_grad_and_returns_it(name, dtype):
    x, g = _inputs(name, dtype)
    expected = f(name, "_backward")(g, x=x)
    assert expected is not g
    gg = g.copy()
    assert f(name, "_backward_")(gg, x=x) is gg
    assert_bitwise_equal(gg, expected, f"{name}_backward_ vs {name}_backward")
    gg = g.copy()
    assert f(name, "_backward")(gg, x=x, out=gg) is gg
    assert_bitwise_equal(gg, expected, f"{name}_backward(out=grad)")
    xx = x.copy()
    assert f(name, "_backward")(g, x=xx, out=xx) is xx
    assert_bitwise_equal(xx, expected, f"{name}_backward(out=x)")
    if fastact.ACTIVATIONS[name].accepts_y():
        y = f(name)(x)
        expected_y = f(name, "_backward")(g, y=y)
        gg = g.copy()
        assert f(name, "_backward_")(gg, y=y) is gg
        assert_bitwise_equal(gg, expected_y, f"{name}_backward_ from y")


@dtypes
@names
def test_backward_from_y_after_in_place_forward(name, dtype):
    """The use case of from-y: the forward ran in place, x is gone."""
    spec = fastact.ACTIVATIONS[name]
    if not spec.accepts_y():
        pytest.skip(f"{name} needs x")
    x, g = _inputs(name, dtype)
    from_x = f(name, "_backward")(g, x=x)
    y = f(name, "_")(x.copy())
    from_y = f(name, "_backward")(g, y=y)
    ref = REFERENCES.get(name)
    if ref is not None and ref.y_exact:
        assert_bitwise_equal(from_y, from_x, f"{name}_backward from y vs from x")
    elif ref is not None and ref.backward_y is not None:
        check_backward_y(name, g, y, result=from_y)
    else:
        pytest.skip(f"{name} has no reference for the backward from y")


@dtypes
@names
def test_one_thread_equals_two_threads(name, dtype):
    if fastact.ACTIVATIONS[name].family == "rowwise":
        pytest.skip("elementwise only")
    with fastact.num_threads(2):
        if fastact.get_num_threads() < 2:
            pytest.skip("built without OpenMP")
    rng = rng_for("threads", name, dtype)
    x = moderate(rng, BIG, dtype)
    x[:: 1 << 14] = np.resize(special_values(dtype), x[:: 1 << 14].size)
    g = moderate(rng, BIG, dtype)
    shapes = {
        "1d": lambda a: a,
        "few_long_rows": lambda a: a[: 3 * 349_529].reshape(3, -1),
        "many_rows_strided": lambda a: a[: 2048 * 512].reshape(2048, 512)[:, ::2],
        "reversed": lambda a: a[::-1],
    }
    has_y = fastact.ACTIVATIONS[name].accepts_y()
    for label, shape in shapes.items():
        xs, gs = shape(x), shape(g)
        results = {}
        for n in (1, 2):
            with fastact.num_threads(n):
                fwd = f(name)(xs)
                inplace = xs.copy()
                f(name, "_")(inplace)
                bwd = f(name, "_backward")(gs, x=xs)
                bwd_y = f(name, "_backward")(gs, y=fwd) if has_y else None
            results[n] = (fwd, inplace, bwd, bwd_y)
        for what, one, two in zip(("forward", "in place", "backward", "backward from y"),
                                  results[1], results[2]):
            if one is not None:
                assert_bitwise_equal(two, one, f"{name} {what} ({label}): 2 threads vs 1")
        assert_bitwise_equal(results[1][1], results[1][0], f"{name}_ vs {name} ({label})")
    # The big single-threaded call itself: equal to small calls over pieces
    # (which never reach the threaded path).
    pieces = np.concatenate([f(name)(x[i:i + 4096]) for i in range(0, x.size, 4096)])
    assert_bitwise_equal(f(name)(x), pieces,
                         f"{name} on {BIG} elements vs in pieces")
