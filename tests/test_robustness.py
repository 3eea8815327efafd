"""Nothing crashes, nothing hangs, nothing is silently wrong (issue 11).

Each defect a hostile probe found is a regression test here; so is every
entry point under ndarray subclasses, masked arrays and overlapping ``out``.
The random versions of these checks are the property suite
(test_properties.py); the fork and thread-setting checks are at the end.
"""

import os
import threading

import numpy as np
import pytest
from calls import entries
from inputs import rng_for
from subproc import python_words

import fastact
from fastact.bench.references import EXPONENTIAL, with_params
from fastact.bench.ulp import ulp_error

DTYPES = (np.float32, np.float64)
ENTRIES = entries()


# ---------------------------------------------------------------------------
# ndarray subclasses
# ---------------------------------------------------------------------------
class Tagged(np.ndarray):
    """A subclass that changes nothing."""


class KeepsTwoD(np.ndarray):
    """Indexing never drops below 2 dimensions (np.matrix's behaviour, any ndim):
    the operand list of a row-wise call once mixed such a row with 1-d rows."""

    def __getitem__(self, key):
        r = super().__getitem__(key)
        if isinstance(r, np.ndarray) and r.ndim < 2:
            r = r.reshape((1,) * (2 - r.ndim) + r.shape)
        return r


WRAPS = {
    "matrix": lambda a: np.asmatrix(a) if a.ndim == 2 else a,   # matrices are 2-d
    "tagged": lambda a: a.view(Tagged),
    "keeps2d": lambda a: a.view(KeepsTwoD),
}


def call_params(entry, shape, axis):
    """Keyword parameters for ``entry`` on x of ``shape`` (defaults otherwise)."""
    if entry.api == "rowwise":
        return {"axis": axis}
    if entry.api == "maxout":
        return {"pieces": 2 if shape[axis] % 2 == 0 else 1, "axis": axis}
    if entry.api == "prelu":
        return {"channels": shape[1] if len(shape) >= 2 else shape[0]}
    return {}


def operands(entry, shape, params, dtype, seed):
    """role -> plain C-contiguous array for ``entry`` (y is the forward output)."""
    rng = rng_for("operands", entry.activation, seed, np.dtype(dtype).name, shape)
    shapes = entry.shapes(shape, params)
    arrays = {}
    for role in entry.roles:
        if role == "weight":
            arrays[role] = rng.uniform(0.05, 0.5, shapes[role]).astype(dtype)
        elif role == "y":
            x = (rng.standard_normal(shape) * 3).astype(dtype)
            fwd = getattr(fastact, entry.activation)
            kw = {k: v for k, v in params.items() if k != "channels"}
            arrays[role] = fwd(x, **kw)
        else:
            arrays[role] = (rng.standard_normal(shapes[role]) * 3).astype(dtype)
    return arrays, shapes["result"]


def run_plain(entry, arrays, params, result_shape, dtype):
    """The entry on private copies of plain arrays: the expected result."""
    copies = {k: v.copy() for k, v in arrays.items()}
    out = np.full(result_shape, np.nan, dtype) if entry.mode == "out" else None
    r = entry.call(copies, params, out)
    return r if entry.mode != "inplace" else copies[entry.written]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(np.ascontiguousarray(a).view(np.uint8),
                               np.ascontiguousarray(b).view(np.uint8)))


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("wrap", sorted(WRAPS))
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_subclass_operands(entry, wrap):
    """np.matrix (whose rows stay 2-d: softmax(matrix, axis=0) crashed with a
    heap overflow in _loop_init) and other subclasses, as every array argument
    and as out: the result of the same call on plain arrays, bit for bit.  A new
    result is a plain ndarray; out= and in place return the object passed."""
    wrapper = WRAPS[wrap]
    for dtype in DTYPES:
        for axis in (0, -1):
            shape = (4, 6)
            params = call_params(entry, shape, axis)
            arrays, result_shape = operands(entry, shape, params, dtype, axis)
            want = run_plain(entry, arrays, params, result_shape, dtype)
            wrapped = {k: wrapper(v.copy()) for k, v in arrays.items()}
            keep = {k: v.copy() for k, v in arrays.items()}
            out = wrapper(np.full(result_shape, np.nan, dtype)) if entry.mode == "out" else None
            got = entry.call(wrapped, params, out)
            what = f"{entry.id} {wrap} {np.dtype(dtype).name} axis={axis}"
            if entry.mode == "out":
                assert got is out, what
            elif entry.mode == "inplace":
                assert got is wrapped[entry.written], what
            elif isinstance(want, tuple):       # prelu_backward: (dx, dweight)
                assert all(type(g) is np.ndarray for g in got), what
            else:
                assert type(got) is np.ndarray, what
            if isinstance(want, tuple):
                assert all(same_bits(g, w) for g, w in zip(got, want)), what
            else:
                assert same_bits(np.asarray(got), want), what
            for role, before in keep.items():   # the arrays only read are untouched
                if role != entry.written:
                    assert same_bits(np.asarray(wrapped[role]), before), (what, role)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_matrix_reproducers():
    """The probe's two calls (issue 11, item 1)."""
    m = np.matrix(np.ones((3, 5)))
    np.testing.assert_array_equal(fastact.softmax(m, axis=0), np.full((3, 5), 1 / 3))
    np.testing.assert_array_equal(fastact.maxout(m, 3, axis=0), np.ones((1, 5)))
    m = np.matrix([[1.0, 5, 2, 0, 3], [4, 1, 7, 2, 2], [0, 0, 0, 9, 1]])
    np.testing.assert_array_equal(fastact.maxout(m, 3, axis=0), [[4, 5, 7, 9, 3]])


# ---------------------------------------------------------------------------
# Masked arrays: refused, naming the argument (the mask would be ignored)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_masked_arrays_are_refused(entry):
    shape = (4, 6)
    params = call_params(entry, shape, -1)
    arrays, result_shape = operands(entry, shape, params, np.float64, 0)
    roles = list(entry.roles) + (["out"] if entry.mode == "out" else [])
    for role in roles:
        given = {k: v.copy() for k, v in arrays.items()}
        out = np.zeros(result_shape) if entry.mode == "out" else None
        if role == "out":
            out = np.ma.masked_array(out, mask=np.zeros(result_shape, bool))
        else:
            mask = np.zeros(given[role].shape, bool)
            mask.flat[0] = True
            given[role] = np.ma.masked_array(given[role], mask=mask)
        keep = {k: np.asarray(v).copy() for k, v in given.items()}
        with pytest.raises(TypeError, match="mask") as info:
            entry.call(given, params, out)
        assert f"{role} is a masked array" in str(info.value), (entry.id, role, info.value)
        for k, v in given.items():
            assert same_bits(np.asarray(v), keep[k]), (entry.id, role, k)


def test_masked_nan_does_not_turn_a_row_nan():
    x = np.ma.masked_array([[1.0, np.nan, 2.0], [0.0, 1.0, 2.0]],
                           mask=[[False, True, False], [False] * 3])
    with pytest.raises(TypeError, match=r"x\.filled"):
        fastact.softmax(x)
    # What the message suggests: fill masked entries with -inf (weight 0).
    got = fastact.softmax(x.filled(-np.inf))
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got[0], [1 / (1 + np.e), 0, np.e / (1 + np.e)], rtol=1e-15)


# ---------------------------------------------------------------------------
# out overlapping an input
# ---------------------------------------------------------------------------
def test_maxout_backward_out_overlapping_grad():
    """Issue 11, item 2: grad = buf[:2] shares out's start and strides but not
    its shape; the overlap check took it for out itself."""
    x = np.array([1.0, 0, 0, 1])
    buf = np.array([10.0, 20, 0, 0])
    assert fastact.maxout_backward(buf[:2], x=x, pieces=2, out=buf) is buf
    np.testing.assert_array_equal(buf, [10, 0, 0, 20])


@pytest.mark.parametrize("dtype", DTYPES)
def test_maxout_out_overlapping_x(dtype):
    x = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8]], dtype)
    want = fastact.maxout(x, 2)
    buf = x.copy()
    assert fastact.maxout(buf, 2, out=buf[:, :3]) is not None
    np.testing.assert_array_equal(buf[:, :3], want)
    # backward into x's own buffer, grad a view of the same memory
    g = np.arange(1, 7, dtype=dtype).reshape(2, 3)
    want = fastact.maxout_backward(g, x=x, pieces=2)
    buf = np.zeros((2, 6), dtype)
    buf[:, :3] = g
    fastact.maxout_backward(buf[:, :3], x=x, pieces=2, out=buf)
    np.testing.assert_array_equal(buf, want)


# ---------------------------------------------------------------------------
# swish: the large-argument shortcut tests beta * x, not x
# ---------------------------------------------------------------------------
def _swish_ref(x, beta):
    """x * sigmoid(beta * x) (beta rounded to x's dtype, as the kernels see it),
    in x's working precision (fastact/bench/references.py)."""
    with np.errstate(all="ignore"):
        return with_params("swish", {"beta": beta}, "forward", None, x, x.dtype.type)


@pytest.mark.parametrize("dtype", DTYPES)
def test_swish_limits_for_every_beta(dtype):
    inf = np.inf
    x = np.array([inf, -inf, np.nan], dtype)
    for beta, want in [(1.0, [inf, -0.0, np.nan]), (-1.0, [0.0, -inf, np.nan]),
                       (0.0, [inf, -inf, np.nan]), (2.5, [inf, -0.0, np.nan]),
                       (-0.5, [0.0, -inf, np.nan])]:
        got = fastact.swish(x, beta=beta)
        want = np.array(want, dtype)
        assert same_bits(got, want), (beta, got)


@pytest.mark.parametrize("dtype", DTYPES)
def test_swish_beta_against_reference(dtype):
    top = 120 if dtype == np.float32 else 760
    x = np.concatenate([np.linspace(-top, top, 20001), np.geomspace(1e-3, top, 2000),
                        -np.geomspace(1e-3, top, 2000)]).astype(dtype)
    for beta in (-3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 7.0):
        got = fastact.swish(x, beta=beta)
        err = ulp_error(got, _swish_ref(x, beta), dtype)
        i = int(np.argmax(err))
        assert err[i] <= (2 if dtype == np.float32 else 4), (beta, x[i], got[i], err[i])


# ---------------------------------------------------------------------------
# Parameters are checked as the kernels see them: in the array's dtype
# ---------------------------------------------------------------------------
def test_celu_alpha_rounding_to_zero_in_float32():
    """Issue 11, item 5: alpha=1e-46 is nonzero in float64 but 0 in float32,
    where celu divides by it (NaN)."""
    g, x = np.ones(1, np.float32), np.zeros(1, np.float32)
    for call in (lambda: fastact.celu_backward(g, x=x, alpha=1e-46),
                 lambda: fastact.celu(x, alpha=1e-46),
                 lambda: fastact.celu_backward(g, y=x, alpha=-1e-46),
                 lambda: fastact.softplus(x, beta=-1e-46)):
        with pytest.raises(ValueError, match=r"(alpha|beta)=-?1e-46 is -?0\.0 in float32"):
            call()
    # in float64 the same value is a valid (tiny) alpha: no NaN
    d = fastact.celu_backward(np.ones(3), x=np.array([0.0, -1e-47, -1.0]), alpha=1e-46)
    assert not np.isnan(d).any(), d


def test_from_y_rule_in_float32():
    """negative_slope=1e-46 > 0 in float64, but 0 in float32: y no longer tells
    x's sign, so the from-y backward is refused (in float64 it is accepted)."""
    g = np.ones(2, np.float32)
    with pytest.raises(ValueError, match=r"negative_slope > 0 \(negative_slope=1e-46 is 0\.0"):
        fastact.leaky_relu_backward(g, y=np.zeros(2, np.float32), negative_slope=1e-46)
    fastact.leaky_relu_backward(np.ones(2), y=np.zeros(2), negative_slope=1e-46)


def test_float32_max_is_a_float32_parameter():
    """3.4028235e38 (FLT_MAX as printed) rounds to FLT_MAX, not inf: accepted;
    a value rounding to inf is refused, naming the parameter."""
    x = np.array([-1.0, 2.0], np.float32)
    got = fastact.leaky_relu(x, negative_slope=3.4028235e38)
    assert got[0] == -np.finfo(np.float32).max and got[1] == 2
    for v in (3.4028236e38, 3.5e38, -1e39):
        with pytest.raises(ValueError, match="negative_slope.*float32"):
            fastact.leaky_relu(x, negative_slope=v)
    fastact.leaky_relu(x.astype(np.float64), negative_slope=1e39)    # float64: fine


EXTREME_PARAMS = (1e-46, -1e-46, 1e-40, -1e-40, 1e-30, 3.4028235e38, -3.4028235e38)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(n for n, s in fastact.ACTIVATIONS.items()
                                        if s.api == "elementwise"
                                        and set(s.params) - set(s.choices)))
def test_no_nan_from_a_valid_looking_parameter(name, dtype):
    """Every real parameter at tiny, subnormal and huge values, on finite inputs:
    the result holds no NaN, or the call refuses the value, naming it."""
    spec = fastact.ACTIVATIONS[name]
    fi = np.finfo(dtype)
    x = np.array([0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 30.0, -30.0, fi.max, -fi.max,
                  fi.smallest_subnormal, -fi.smallest_subnormal], dtype)
    g = np.linspace(-2, 2, x.size).astype(dtype)
    for key in (k for k in spec.params if k not in spec.choices):
        for v in EXTREME_PARAMS:
            kw = {key: v}
            if name == "hardtanh":   # keep min_val <= max_val
                kw = {"min_val": min(v, 1.0), "max_val": 1.0} if key == "min_val" \
                    else {"min_val": -1.0, "max_val": max(v, -1.0)}
            calls = [lambda: getattr(fastact, name)(x, **kw),
                     lambda: getattr(fastact, name + "_backward")(g, x=x, **kw)]
            if spec.backward_from_y:
                calls.append(lambda: getattr(fastact, name + "_backward")(
                    g, y=getattr(fastact, name)(x, **kw), **kw))
            for call in calls:
                try:
                    with np.errstate(all="ignore"):
                        r = call()
                except ValueError as exc:
                    assert key in str(exc), (name, kw, exc)
                    continue
                assert not np.isnan(r).any(), (name, kw, x[np.isnan(r)])


# ---------------------------------------------------------------------------
# Messages name the argument (no bare OverflowError from a C conversion)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [2**31, -2**31 - 1, 10**30, 2**63])
def test_huge_axis_is_named(axis):
    x = np.ones((2, 4))
    for call in (lambda: fastact.softmax(x, axis=axis),
                 lambda: fastact.log_softmax_backward(x, y=x, axis=axis),
                 lambda: fastact.softmin_(x.copy(), axis=axis),
                 lambda: fastact.maxout(x, 2, axis=axis),
                 lambda: fastact.maxout_backward(x[:, :2], x=x, pieces=2, axis=axis)):
        with pytest.raises(ValueError, match=f"axis {axis} is out of bounds"):
            call()


@pytest.mark.parametrize("pieces", [10**30, 2**63, 2**31 + 4])
def test_huge_pieces_is_named(pieces):
    x = np.ones((2, 4))
    with pytest.raises(ValueError, match=f"pieces = {pieces}"):
        fastact.maxout(x, pieces)
    with pytest.raises(ValueError, match="pieces"):
        fastact.maxout_backward(np.ones((2, 1)), x=x, pieces=pieces)
    empty = np.ones((2, 0))       # every pieces divides 0: an empty result
    assert fastact.maxout(empty, pieces).shape == (2, 0)


def test_huge_integer_parameter_is_named():
    x = np.ones(3)
    with pytest.raises(ValueError, match="negative_slope"):
        fastact.leaky_relu(x, negative_slope=10**400)


# ---------------------------------------------------------------------------
# Threads: the setting of a `with num_threads()` block is its own context's
# ---------------------------------------------------------------------------
def _openmp():
    return fastact._kernels.build_info()["openmp"]


needs_openmp = pytest.mark.skipif(not _openmp(), reason="built without OpenMP")


@needs_openmp
def test_num_threads_blocks_in_two_threads():
    """Interleaved blocks in two Python threads: each sees its own count, and
    neither undoes the other's (the process-wide setting once ended as 1)."""
    fastact.set_num_threads(3)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with fastact.num_threads(1):
            a_in.set()
            b_in.wait(10)
            seen["a"] = fastact.get_num_threads()
        a_out.set()

    def b():
        a_in.wait(10)
        with fastact.num_threads(2):
            b_in.set()
            a_out.wait(10)
            seen["b"] = fastact.get_num_threads()
        seen["b after"] = fastact.get_num_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen == {"a": 1, "b": 2, "b after": 3}
    assert fastact.get_num_threads() == 3
    with fastact.num_threads(2):
        fastact.set_num_threads(4)            # the process-wide value...
        assert fastact.get_num_threads() == 2  # ...applies after the block
    assert fastact.get_num_threads() == 4


@needs_openmp
def test_num_threads_stress():
    """Four threads entering blocks with different counts and calling kernels."""
    x = np.linspace(-5, 5, 1 << 16, dtype=np.float32)
    want = fastact.gelu(x)
    errors = []

    def work(n):
        try:
            for _ in range(50):
                with fastact.num_threads(n):
                    assert fastact.get_num_threads() == n
                    assert np.array_equal(fastact.gelu(x), want)
                    assert fastact.get_num_threads() == n
        except AssertionError as exc:   # pragma: no cover - reported below
            errors.append((n, exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in (1, 2, 3, 4)]
    before = fastact.get_num_threads()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert fastact.get_num_threads() == before


@pytest.mark.parametrize("n", [np.int64(2), np.int32(1), np.uint8(3)])
def test_thread_count_of_any_integer_type(n):
    fastact.set_num_threads(n)
    assert fastact.get_num_threads() == (int(n) if _openmp() else 1)
    with fastact.num_threads(n):
        assert fastact.get_num_threads() == (int(n) if _openmp() else 1)


def test_huge_thread_count_is_named():
    with pytest.raises(ValueError, match=r"set_num_threads\(\): n must be <="):
        fastact.set_num_threads(2**40)
    with pytest.raises(ValueError, match=r"num_threads\(\): n must be <="), \
            fastact.num_threads(2**40):
        pass


FORK_SCRIPT = r"""
import os, sys, numpy as np, fastact
fastact.set_num_threads(2)
x = np.linspace(-4, 4, 1 << 22, dtype=np.float32)
if PARALLEL_PARENT:
    fastact.gelu(x)                   # 4 M elements, 2 threads: the pool starts

def child_work():
    # each of these hung forever in libgomp (issue 11, item 6)
    ok = np.array_equal(fastact.gelu(x), fastact.gelu(x[::-1])[::-1])
    fastact.softmax(x.reshape(1024, -1))
    g = x.reshape(64, 64, -1)
    fastact.prelu_backward(g, g, np.ones(64, np.float32))
    return "%s:%d" % (ok, fastact.get_num_threads())

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, child_work().encode())
    os._exit(0)
os.close(w)
_, status = os.waitpid(pid, 0)
print(os.read(r, 100).decode(), status)
if os.name == "posix":
    import multiprocessing
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print(",".join(pool.starmap(child_work, [()] * 4)))
print(fastact.get_num_threads(), fastact.gelu(x)[-1])   # the parent keeps its threads
"""


@needs_openmp
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_after_a_parallel_call():
    """A child made by fork (os.fork, multiprocessing's 'fork') after the parent
    ran multi-threaded runs single-threaded instead of hanging."""
    out = python_words("PARALLEL_PARENT = True\n" + FORK_SCRIPT, timeout=90)
    assert out[0] == "True:1" and out[1] == "0", out           # os.fork child
    assert out[2] == ",".join(["True:1"] * 4), out             # multiprocessing
    assert out[3] == "2", out


@needs_openmp
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_before_any_parallel_call_keeps_threads():
    """No pool was started: the child has none to inherit and keeps its setting."""
    out = python_words("PARALLEL_PARENT = False\n" + FORK_SCRIPT, timeout=90)
    assert out[0] == "True:2" and out[1] == "0", out


@needs_openmp
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_num_threads_block_reaches_the_kernels():
    """A block's count is what the kernels use (counted as this process's OS
    threads, from inside one worker thread): 1 process-wide, 2 in the block."""
    code = (
        "import os, threading, numpy as np, fastact\n"
        "n = lambda: len(os.listdir('/proc/self/task'))\n"
        "x = np.ones(1 << 21, np.float32)\n"
        "fastact.set_num_threads(1)\n"
        "def work():\n"
        "    a = n(); fastact.relu(x); b = n()\n"
        "    with fastact.num_threads(2):\n"
        "        fastact.relu(x)\n"
        "    print(a, b, n())\n"
        "t = threading.Thread(target=work); t.start(); t.join()\n")
    a, b, c = map(int, python_words(code, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                                   MKL_NUM_THREADS="1"))
    assert a == b, "a call with 1 thread set started threads"
    assert c > b, "the block's 2 threads did not reach the kernel"


@pytest.mark.parametrize("dtype", DTYPES)
def test_celu_backward_from_y_with_alpha(dtype):
    """y / alpha + 1 cancelled after a rounding (7 ULP at alpha = 0.28125, found
    by the property suite); (y + alpha) / alpha rounds twice at most (y + alpha
    is exact where it cancels)."""
    alpha = 0.28125
    y = np.linspace(-alpha, 0, 4001)[:-1].astype(dtype)
    work = np.float64 if dtype == np.float32 else np.longdouble
    ref = (y.astype(work) + work(alpha)) / work(alpha)
    got = fastact.celu_backward(np.ones_like(y), y=y, alpha=alpha)
    assert ulp_error(got, ref, dtype).max() <= 1.5


# ---------------------------------------------------------------------------
# A subnormal derivative times grad: grad multiplies before the last rounding
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "tanhshrink"])
def test_subnormal_derivative_times_grad(name, dtype):
    """grad * f'(x) where f'(x) is subnormal: the derivative rounded to the
    subnormal grid first, then multiplied, was |grad| times that rounding off
    (4 ULP at grad = 3).  Now within the derivative bound + 0.5 ULP."""
    fi = np.finfo(dtype)
    if name == "tanhshrink":       # tanh(x)^2 ~ x^2 is subnormal below sqrt(tiny)
        x = -np.geomspace(np.sqrt(fi.smallest_subnormal) * 2, np.sqrt(fi.smallest_normal), 500)
    else:                          # sigmoid'(x) ~ e^-|x| (tanh': 4 e^-2|x|)
        lo = np.log(fi.smallest_normal) * (0.5 if name == "tanh" else 1)
        x = np.linspace(lo - 2, lo - 12, 500)
    x = np.concatenate([x, -x]).astype(dtype)
    work = np.float64 if dtype == np.float32 else np.longdouble
    for g in (3.0, 0.37, 100.0, -7.5):
        got = getattr(fastact, name + "_backward")(np.full_like(x, g), x=x)
        with np.errstate(all="ignore"):
            ref = EXPONENTIAL[name].backward(work(g), x.astype(work))
        err = ulp_error(got, ref, dtype)
        i = int(np.argmax(err))
        assert err[i] <= 3.0, (g, x[i], got[i], ref[i], err[i])


# ---------------------------------------------------------------------------
# Non-default parameters: beta * x and x / alpha round before the formula
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,p", [("softplus", {"beta": 3.0}), ("softplus", {"beta": 0.7}),
                                    ("celu", {"alpha": 0.3}), ("celu", {"alpha": 3.0}),
                                    ("swish", {"beta": 0.7}), ("swish", {"beta": 3.0})])
def test_non_default_parameters_against_the_exact_argument(name, p, dtype):
    """The kernels correct the rounding of beta * x (x / alpha) to first order:
    without it the error was |beta x|/2 ULP (softplus beta=3 float32: 65 ULP at
    x = -22.5; celu' alpha=0.3: 63 ULP; swish' beta=0.7 next to its root: 18000
    ULP).  Contract (ACCURACY.md): float32 <= 3 ULP, float64 <= 4 ULP."""
    top = 100 if dtype == np.float32 else 700
    x = np.concatenate([np.linspace(-top, 20, 100001), -np.geomspace(1e-4, top, 20000),
                        np.linspace(-2.5, -1.0, 20001)]).astype(dtype)
    if name == "swish" and dtype == np.float64:   # long double cancels at the root
        a = dtype(p["beta"]) * x
        x = x[np.abs(a + 1.2785) > 0.6]
    full = dict(fastact.ACTIVATIONS[name].params, **p)
    with np.errstate(all="ignore"):
        rf = with_params(name, full, "forward", None, x, dtype)
        rd = with_params(name, full, "backward", "x", x, dtype)
    bound = 3.0 if dtype == np.float32 else 4.0
    got_f = getattr(fastact, name)(x, **p)
    got_d = getattr(fastact, name + "_backward")(np.ones_like(x), x=x, **p)
    for got, ref, what in ((got_f, rf, "forward"), (got_d, rd, "backward")):
        err = ulp_error(got, ref, dtype)
        i = int(np.argmax(err))
        assert err[i] <= bound, (what, x[i], got[i], ref[i], err[i])


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_slope_times_infinity_is_the_limit(dtype):
    """hardsigmoid(inf, slope=0) was NaN (0 * inf; found by the property suite),
    as were leaky_relu(-inf, negative_slope=0) and prelu(-inf, weight=0): SPEC
    gives infinities their limit, never NaN.  NaN in still gives NaN."""
    x = np.array([np.inf, -np.inf, 2.0, -2.0, np.nan], dtype)
    g = np.ones_like(x)
    assert same_bits(fastact.hardsigmoid(x, slope=0.0, offset=0.25),
                     np.array([0.25, 0.25, 0.25, 0.25, np.nan], dtype))
    assert same_bits(fastact.hardsigmoid_backward(g, x=x, slope=0.0, offset=0.25),
                     np.array([0, 0, 0, 0, np.nan], dtype))
    assert same_bits(fastact.leaky_relu(x, negative_slope=0.0),
                     np.array([np.inf, -0.0, 2, -0.0, np.nan], dtype))
    assert same_bits(fastact.prelu(x, np.zeros(1, dtype)),
                     np.array([np.inf, -0.0, 2, -0.0, np.nan], dtype))
    assert same_bits(fastact.hardsigmoid(x, slope=0.5, offset=0.25),   # unchanged
                     np.array([1, 0, 1, 0, np.nan], dtype))
