"""Bad input raises the right exception, names the argument, and leaves every
array the caller passed byte-for-byte unchanged.

Parametrized over every elementwise activation in ``fastact.ACTIVATIONS``.
"""

import sys

import numpy as np
import pytest
from inputs import moderate, rng_for
from refcheck import elementwise_names

import fastact
from fastact.bench.references import REFERENCES

NAMES = elementwise_names()
names = pytest.mark.parametrize("name", NAMES)
BAD_DTYPES = ("int32", "int64", "bool", "float16", "complex64", "object")
SWAPPED = ">" if sys.byteorder == "little" else "<"


def f(name, suffix=""):
    return getattr(fastact, name + suffix)


def expect_error(call, arrays, exc, words, what):
    """call() raises exc whose message contains every word; arrays unchanged."""
    snapshot = [(a.tobytes(), a.flags.writeable, a.shape, a.dtype) for a in arrays]
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    for w in words:
        assert w in message, f"{what}: message {message!r} does not mention {w!r}"
    for a, (data, writeable, shape, dtype) in zip(arrays, snapshot):
        assert a.shape == shape and a.dtype == dtype and a.flags.writeable == writeable
        assert a.tobytes() == data, f"{what}: an argument array was modified"


def good(dtype=np.float64, shape=(3, 4), seed=0):
    return moderate(rng_for("good", seed, dtype, shape), shape, dtype)


def bad_array(dtype):
    return np.array([[1, 0, 3, 2]] * 3, dtype=dtype)


@names
@pytest.mark.parametrize("bad", BAD_DTYPES)
def test_unsupported_dtype(name, bad):
    spec = fastact.ACTIVATIONS[name]
    b = bad_array(bad)
    g, x = good(seed=1), good(seed=2)
    words = ["float32", "astype"]
    expect_error(lambda: f(name)(b), [b], TypeError, words + ["x"], f"{name}({bad})")
    expect_error(lambda: f(name, "_")(b), [b], TypeError, words + ["x"], f"{name}_({bad})")
    for suffix in ("_backward", "_backward_"):
        expect_error(lambda: f(name, suffix)(b, x=x), [b, x], TypeError, words + ["grad"],
                     f"{name}{suffix}(grad {bad})")
        expect_error(lambda: f(name, suffix)(g, x=b), [g, b], TypeError, words + ["x"],
                     f"{name}{suffix}(x {bad})")
        if spec.accepts_y():
            expect_error(lambda: f(name, suffix)(g, y=b), [g, b], TypeError, words + ["y"],
                         f"{name}{suffix}(y {bad})")


@names
def test_unsupported_dtype_in_lists_and_scalars(name):
    expect_error(lambda: f(name)([1 + 2j]), [], TypeError, ["x"], f"{name}(complex list)")
    expect_error(lambda: f(name)("abc"), [], TypeError, ["x"], f"{name}(str)")
    expect_error(lambda: f(name)(None), [], TypeError, ["x"], f"{name}(None)")
    expect_error(lambda: f(name)(np.float16(1)), [], TypeError, ["x"], f"{name}(float16)")


@names
@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_non_native_byte_order(name, dtype):
    b = good(np.dtype(dtype)).astype(SWAPPED + dtype)
    x = good(np.dtype(dtype))
    words = ["byte order"]
    expect_error(lambda: f(name)(b), [b], TypeError, words + ["x"], f"{name}(swapped)")
    expect_error(lambda: f(name, "_")(b), [b], TypeError, words + ["x"], f"{name}_(swapped)")
    expect_error(lambda: f(name, "_backward")(b, x=x), [b, x], TypeError, words + ["grad"],
                 f"{name}_backward(swapped grad)")
    expect_error(lambda: f(name, "_backward_")(x, x=b), [x, b], TypeError, words + ["x"],
                 f"{name}_backward_(swapped x)")
    expect_error(lambda: f(name)(x, out=b), [x, b], TypeError, ["out"], f"{name}(out swapped)")


@names
def test_read_only(name):
    ro = good()
    ro.flags.writeable = False
    x = good(seed=3)
    expect_error(lambda: f(name, "_")(ro), [ro], ValueError, ["x", "read-only"],
                 f"{name}_(read-only)")
    expect_error(lambda: f(name, "_backward_")(ro, x=x), [ro, x], ValueError,
                 ["grad", "read-only"], f"{name}_backward_(read-only grad)")
    expect_error(lambda: f(name)(x, out=ro), [x, ro], ValueError, ["out", "read-only"],
                 f"{name}(out read-only)")
    expect_error(lambda: f(name)(ro, out=ro), [ro], ValueError, ["out"],
                 f"{name}(x, out=x) on read-only x")
    expect_error(lambda: f(name, "_backward")(x, x=x, out=ro), [x, ro], ValueError, ["out"],
                 f"{name}_backward(out read-only)")
    view = np.broadcast_to(good(shape=(1, 4)), (3, 4))
    expect_error(lambda: f(name, "_")(view), [view], ValueError, ["x"],
                 f"{name}_(broadcast view)")
    # Reading a read-only array is fine.
    assert f(name)(ro).flags.writeable
    assert f(name, "_backward")(ro, x=ro).shape == ro.shape


@names
def test_in_place_needs_an_array(name):
    x = good()
    expect_error(lambda: f(name, "_")([1.0, 2.0]), [], TypeError, ["x"], f"{name}_(list)")
    expect_error(lambda: f(name, "_")(1.0), [], TypeError, ["x"], f"{name}_(float)")
    expect_error(lambda: f(name, "_backward_")(x.tolist(), x=x), [x], TypeError, ["grad"],
                 f"{name}_backward_(list)")


@names
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bad_out(name, dtype):
    x, g = good(dtype), good(dtype, seed=4)
    other = np.float64 if dtype == np.float32 else np.float32
    for label, out, exc in (
        ("transposed shape", np.zeros((4, 3), dtype), ValueError),
        ("flat", np.zeros(12, dtype), ValueError),
        ("one more dim", np.zeros((1, 3, 4), dtype), ValueError),
        ("dtype", np.zeros((3, 4), other), TypeError),
    ):
        expect_error(lambda: f(name)(x, out=out), [x, out], exc, ["out"],
                     f"{name}(out {label})")
        expect_error(lambda: f(name, "_backward")(g, x=x, out=out), [g, x, out], exc, ["out"],
                     f"{name}_backward(out {label})")
    lst = [[0.0] * 4] * 3
    expect_error(lambda: f(name)(x, out=lst), [x], TypeError, ["out"], f"{name}(out list)")
    zero_d = np.array(1.0, dtype)
    out1 = np.zeros(1, dtype)
    expect_error(lambda: f(name)(zero_d, out=out1), [zero_d, out1], ValueError, ["out"],
                 f"{name}(0-d, out (1,))")


@names
@pytest.mark.parametrize("suffix", ["_backward", "_backward_"])
def test_grad_and_input_must_match(name, suffix):
    spec = fastact.ACTIVATIONS[name]
    g = good()
    for label, v, exc in (
        ("transposed shape", good(shape=(4, 3)), ValueError),
        ("broadcastable shape", good(shape=(3, 1)), ValueError),
        ("fewer dims", good(shape=(4,)), ValueError),
        ("dtype", good(np.float32), TypeError),
    ):
        expect_error(lambda: f(name, suffix)(g, x=v), [g, v], exc, ["grad", "x"],
                     f"{name}{suffix}(x {label})")
        if spec.accepts_y():
            expect_error(lambda: f(name, suffix)(g, y=v), [g, v], exc, ["grad", "y"],
                         f"{name}{suffix}(y {label})")


@names
@pytest.mark.parametrize("suffix", ["_backward", "_backward_"])
def test_exactly_one_of_x_and_y(name, suffix):
    g, x = good(), good(seed=5)
    expect_error(lambda: f(name, suffix)(g), [g], TypeError, ["x", "y"],
                 f"{name}{suffix}(grad)")
    expect_error(lambda: f(name, suffix)(g, x=x, y=x), [g, x], TypeError, ["x", "y"],
                 f"{name}{suffix}(grad, x, y)")
    expect_error(lambda: f(name, suffix)(g, x), [g, x], TypeError, [],
                 f"{name}{suffix}(grad, x) with x positional")


def _param_sets(name):
    ref = REFERENCES.get(name)
    return [dict(p) for p in ref.param_sets] if ref else [{}]


@names
def test_y_where_not_allowed(name):
    spec = fastact.ACTIVATIONS[name]
    tried = 0
    for params in _param_sets(name):
        if spec.accepts_y(**params):
            continue
        tried += 1
        g, y = good(), good(seed=6)
        for suffix in ("_backward", "_backward_"):
            expect_error(lambda: f(name, suffix)(g, y=y, **params), [g, y], ValueError,
                         ["x"], f"{name}{suffix}(y=..., {params})")
    if not tried:
        pytest.skip(f"{name} accepts y with every tested parameter set")


def test_y_rules_of_spec():
    """docs/CONTRACT.md: y is accepted by leaky_relu exactly when negative_slope > 0."""
    spec = fastact.ACTIVATIONS["leaky_relu"]
    assert spec.accepts_y() and spec.accepts_y(negative_slope=0.2)
    assert not spec.accepts_y(negative_slope=0.0)
    assert not spec.accepts_y(negative_slope=-0.5)
    for name in ("hardswish", "prelu"):
        assert not fastact.ACTIVATIONS[name].backward_from_y
        assert not fastact.ACTIVATIONS[name].accepts_y()


@names
def test_unknown_keyword(name):
    x, g = good(), good(seed=7)
    for suffix, call in (
        ("", lambda: f(name)(x, bogus=1.0)),
        ("_", lambda: f(name, "_")(x, bogus=1.0)),
        ("_backward", lambda: f(name, "_backward")(g, x=x, bogus=1.0)),
        ("_backward_", lambda: f(name, "_backward_")(g, x=x, bogus=1.0)),
    ):
        expect_error(call, [x, g], TypeError, ["bogus"], f"{name}{suffix}(bogus=)")
    expect_error(lambda: f(name)(x, None), [x], TypeError, [], f"{name}(x, out positional)")


def _entry_points(name, x, g, kw):
    """(suffix, call) for NAME, NAME_, NAME_backward, NAME_backward_ with ``kw``."""
    return (("", lambda: f(name)(x, **kw)),
            ("_", lambda: f(name, "_")(x, **kw)),
            ("_backward", lambda: f(name, "_backward")(g, x=x, **kw)),
            ("_backward_", lambda: f(name, "_backward_")(g, x=x, **kw)))


@pytest.mark.parametrize("name", [n for n in NAMES if set(fastact.ACTIVATIONS[n].params)
                                  - set(fastact.ACTIVATIONS[n].choices)])
@pytest.mark.parametrize("value,exc", [
    (float("nan"), ValueError), (float("inf"), ValueError), (-float("inf"), ValueError),
    ("0.5", TypeError), (None, TypeError), ([0.5], TypeError), (1 + 1j, TypeError),
], ids=["nan", "inf", "-inf", "str", "None", "list", "complex"])
def test_bad_parameter_value(name, value, exc):
    spec = fastact.ACTIVATIONS[name]
    x, g = good(), good(seed=8)
    for p in (p for p in spec.params if p not in spec.choices):   # real parameters
        kw = {p: value}
        for suffix, call in _entry_points(name, x, g, kw):
            expect_error(call, [x, g], exc, [p], f"{name}{suffix}({p}={value!r})")


def test_hardtanh_min_above_max():
    x, g = good(), good(seed=9)
    kw = {"min_val": 2.0, "max_val": 1.0}
    for call in (lambda: fastact.hardtanh(x, **kw), lambda: fastact.hardtanh_(x, **kw),
                 lambda: fastact.hardtanh_backward(g, x=x, **kw),
                 lambda: fastact.hardtanh_backward_(g, x=x, **kw),
                 lambda: fastact.hardtanh_backward(g, y=x, **kw)):
        expect_error(call, [x, g], ValueError, ["min_val", "max_val"], "hardtanh(min > max)")
    # min == max is a valid (constant) hardtanh
    assert (fastact.hardtanh(x, min_val=0.5, max_val=0.5) == 0.5).all()


def test_parameter_overflowing_float32():
    x = np.array([-0.0, -1.0], np.float32)
    expect_error(lambda: fastact.leaky_relu(x, negative_slope=1e39), [x], ValueError,
                 ["negative_slope"], "leaky_relu(float32, negative_slope=1e39)")


@pytest.mark.parametrize("name", [n for n in NAMES if fastact.ACTIVATIONS[n].choices])
@pytest.mark.parametrize("value,exc", [
    ("bogus", ValueError), ("", ValueError), ("TANH", ValueError), (0.5, TypeError),
    (float("nan"), TypeError), (None, TypeError), (["tanh"], TypeError),
], ids=["bogus", "empty", "upper", "float", "nan", "None", "list"])
def test_bad_string_parameter(name, value, exc):
    """String parameters (gelu's approximate) accept exactly their listed values."""
    spec = fastact.ACTIVATIONS[name]
    x, g = good(), good(seed=8)
    for p in spec.choices:
        kw = {p: value}
        for suffix, call in _entry_points(name, x, g, kw):
            expect_error(call, [x, g], exc, [p], f"{name}{suffix}({p}={value!r})")
