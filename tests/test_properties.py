"""Property suite (hypothesis): every entry point, random everything.

One property, drawn over every entry point of the table (tests/calls.py) in
both dtypes: random shapes (0-4 d, empty axes, long rows), random values (NaN,
infinities, subnormals, huge and moderate numbers), random parameters, and
every array argument -- out included -- in a random layout: transposed,
sliced with steps, negative strides, offset, unaligned, wrapped in an ndarray
subclass (np.matrix among them), and ``out`` fresh, equal to an input, or
overlapping an input's memory.  Then:

* the call returns what the same call returns on plain C-contiguous copies,
  bit for bit (row-wise results and prelu's dweight: both within their bounds
  of the reference, as their summation order follows the layout), or raises
  the same exception;
* ``out=`` / in place return the object passed; new results are plain arrays;
* nothing outside the written array changes (the gaps of a strided out, the
  inputs unless out overlaps them);
* with a DeadUnitMonitor (relu, relu6, leaky_relu, prelu forward, drawn per
  call or per channel), the same bits, and the counts NumPy finds;
* the plain result matches the independent references
  (fastact/bench/references.py, as test_exponential.py, test_gelu_mish.py,
  test_rowwise.py and test_prelu.py use them) within the documented bounds
  (ACCURACY.md).

Profiles (tests/conftest.py): "ci" (the default, about a minute on 2 cores),
"long" (FASTACT_HYPOTHESIS=long, or the ``slow`` tests here: ``-m slow``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np
import pytest
from calls import entries
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from refcheck import check_backward, check_backward_y, check_forward
from test_monitor import check as check_monitor
from test_robustness import KeepsTwoD, Tagged

import fastact
from fastact.bench.references import REFERENCES, maxout_backward, maxout_forward, with_params
from fastact.bench.ulp import assert_matches_reference, same_bits, ulp_error

ENTRIES = entries()
DTYPES = (np.float32, np.float64)
F32_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------------------
# Layouts: one random view per array argument
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    perm: Tuple[int, ...]      # memory order of the axes (outermost first)
    steps: Tuple[int, ...]     # step along each axis of the memory order
    flips: Tuple[bool, ...]    # negative stride on axis i (of the array)
    offset: int                # elements before the view in its buffer
    wrap: str                  # "plain", "tagged", "keeps2d" or "matrix"
    unaligned: bool

    def span(self, shape) -> int:
        """Elements of buffer the view needs (from its offset)."""
        n = 1
        for axis, k in zip(self.perm, self.steps):
            n *= max(1, shape[axis] * k)
        return n

    def view(self, buf, shape, start=0):
        """The view of ``shape`` into the flat ``buf`` at ``start + offset``."""
        pshape = [shape[a] for a in self.perm]
        bshape = [max(1, s * k) for s, k in zip(pshape, self.steps)]
        first = start + self.offset
        b = buf[first:first + int(np.prod(bshape))].reshape(bshape)
        if not shape:
            return b           # (b[()] would be a scalar, not a 0-d view)
        v = b[tuple(slice(0, s * k, k) for s, k in zip(pshape, self.steps))]
        v = v.transpose(np.argsort(self.perm))
        return v[tuple(slice(None, None, -1) if f else slice(None) for f in self.flips)]

    def wrapped(self, v):
        if self.wrap == "matrix" and v.ndim == 2:
            return np.asmatrix(v)
        if self.wrap in ("keeps2d", "matrix"):
            return v.view(KeepsTwoD)
        return v.view(Tagged) if self.wrap == "tagged" else v


@st.composite
def layouts(draw, ndim):
    return Layout(
        perm=tuple(draw(st.permutations(range(ndim)))),
        steps=tuple(draw(st.lists(st.sampled_from([1, 1, 1, 2, 3]), min_size=ndim,
                                  max_size=ndim))),
        flips=tuple(draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))),
        offset=draw(st.integers(0, 3)),
        wrap=draw(st.sampled_from(["plain", "plain", "plain", "tagged", "keeps2d", "matrix"])),
        unaligned=draw(st.sampled_from([False] * 9 + [True])),
    )


SENTINEL = 7.25


def new_buffer(n, dtype, unaligned):
    """A flat buffer of n elements holding SENTINEL (one byte off alignment if asked)."""
    isz = np.dtype(dtype).itemsize
    if unaligned:
        raw = np.zeros(n * isz + 1, np.uint8)[1:]
        buf = raw.view(dtype)
    else:
        buf = np.empty(n, dtype)
    buf[...] = SENTINEL
    return buf


# ---------------------------------------------------------------------------
# Values and parameters
# ---------------------------------------------------------------------------
def elements(dtype, finite=False, top=None):
    """Values of every kind; ``finite``: no NaN or infinity; ``top``: |v| <= top."""
    width = 32 if dtype == np.float32 else 64
    fi = np.finfo(dtype)
    big = float(fi.max) if top is None else top
    special = [0.0, -0.0, float(fi.smallest_subnormal), -float(fi.smallest_subnormal),
               float(fi.smallest_normal), big, -big, 1.0, -1.0, 6.0,
               -3.0, 3.0, 20.0, -88.0, -1.2785, -0.7518, -1.1924]
    if not finite:
        special += [np.inf, -np.inf, np.nan]
    wide = st.floats(width=width, allow_nan=not finite, allow_infinity=not finite) \
        if top is None else st.floats(-top, top, width=width)
    return st.one_of(
        st.floats(-12, 12, width=width),
        st.floats(-120, 120, width=width),
        wide,
        st.sampled_from(special),
    )


def values(dtype, shape, finite=False, top=None):
    return hnp.arrays(dtype, shape, elements=elements(dtype, finite, top),
                      fill=st.floats(-12, 12, width=32 if dtype == np.float32 else 64))


def f32s(lo, hi):
    return st.floats(lo, hi, width=32, allow_subnormal=False)


PARAMS = {
    "leaky_relu": lambda: st.fixed_dictionaries({"negative_slope": st.one_of(
        f32s(-10, 10), st.sampled_from([0.0, 1e-46, 1e-40, F32_MAX]))}),
    "hardtanh": lambda: st.tuples(f32s(-8, 8), f32s(-8, 8)).map(
        lambda t: {"min_val": min(t), "max_val": max(t)}),
    "hardsigmoid": lambda: st.fixed_dictionaries({"slope": f32s(-4, 4),
                                                  "offset": f32s(-2, 2)}),
    "elu": lambda: st.fixed_dictionaries({"alpha": f32s(-4, 4)}),
    "celu": lambda: st.fixed_dictionaries({"alpha": st.one_of(
        f32s(0.0625, 4), f32s(-4, -0.0625), st.sampled_from([1e-46, 1e-40]))}),
    "softplus": lambda: st.fixed_dictionaries({
        "beta": st.one_of(f32s(0.0625, 5), f32s(-5, -0.0625), st.just(1.0)),
        "threshold": st.one_of(f32s(-30, 30), st.just(20.0))}),
    "swish": lambda: st.fixed_dictionaries({"beta": st.one_of(f32s(-5, 5), st.just(1.0))}),
    "gelu": lambda: st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])}),
}


@st.composite
def cases(draw, entry_list=ENTRIES):
    """(entry, dtype, shape, params, arrays, layouts, out plan)."""
    entry = draw(st.sampled_from(entry_list))
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.one_of(
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
        st.tuples(st.integers(1, 3), st.integers(17, 70)),
        st.tuples(st.integers(33, 80))))
    ndim = len(shape)
    params: Dict[str, object] = {}
    spec = fastact.ACTIVATIONS[entry.activation]
    if entry.api == "elementwise" and entry.activation in PARAMS:
        params = draw(st.one_of(st.just({}), PARAMS[entry.activation]()))
    elif entry.api == "rowwise":
        params = {"axis": draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))}
    elif entry.api == "maxout":
        if ndim == 0:
            params = {"pieces": 1, "axis": -1}
        else:
            axis = draw(st.integers(-ndim, ndim - 1))
            n = shape[axis]
            divisors = [k for k in range(1, max(n, 1) + 1) if n % k == 0] if n else [1, 2, 3]
            params = {"pieces": draw(st.sampled_from(divisors)), "axis": axis}
    elif entry.api == "prelu":
        channels = shape[1] if ndim >= 2 else (shape[0] if ndim == 1 else 1)
        params = {"channels": draw(st.sampled_from([1, channels]))}
    shapes = entry.shapes(shape, params) if not (entry.api == "maxout" and ndim == 0) \
        else {"x": shape, "grad": shape, "result": shape}
    if entry.api == "prelu":
        shapes["weight"] = draw(st.sampled_from([(params["channels"],)]
                                                + ([()] if params["channels"] == 1 else [])))
    finite = spec.family == "exponential"
    arrays = {}
    for role in entry.roles:
        if role == "y":   # the forward output of random x, as a caller has it
            x = draw(values(dtype, shapes["x"], finite))
            kw = {k: v for k, v in params.items() if k != "channels"}
            try:
                with np.errstate(all="ignore"):
                    arrays["y"] = getattr(fastact, entry.activation)(x, **kw)
            except ValueError:   # a parameter refused: the call under test must refuse it too
                arrays["y"] = x
        elif role == "grad" and spec.family == "exponential":
            arrays[role] = draw(values(dtype, shapes[role], True))
        elif role == "grad" and spec.family == "rowwise":
            # finite, and g - sum(g y) within range (float32 forms it in float32,
            # float64's sum may overflow): beyond, inf or NaN entries
            # (ACCURACY.md, row-wise family)
            arrays[role] = draw(values(dtype, shapes[role], True,
                                       2.0**123 if dtype == np.float32 else 1e300))
        else:
            arrays[role] = draw(values(dtype, shapes[role], finite and role == "x"))
    lays = {role: draw(layouts(len(shapes[role]))) for role in entry.roles}
    out_plan = None
    if entry.mode == "out":
        same_shape = [r for r in entry.roles if shapes[r] == shapes["result"]]
        kind = draw(st.sampled_from(["fresh", "fresh", "alias", "overlap"]
                                    if same_shape else ["fresh", "overlap"]))
        if kind == "alias":
            out_plan = ("alias", draw(st.sampled_from(same_shape)), None, 0)
        elif kind == "overlap":
            role = draw(st.sampled_from([r for r in entry.roles if r != "weight"]))
            out_plan = ("overlap", role, draw(layouts(len(shapes["result"]))),
                        draw(st.integers(0, 4)))
        else:
            out_plan = ("fresh", None, draw(layouts(len(shapes["result"]))), 0)
    # relu, relu6, leaky_relu, prelu forward: also with a DeadUnitMonitor (the
    # counting kernels compute the same result in their own loops)
    monitor = None
    if entry.direction == "forward" and spec.flat is not None:
        monitor = draw(st.sampled_from([None, "call", "channel"]))
    return entry, dtype, shapes, params, arrays, lays, out_plan, monitor


# ---------------------------------------------------------------------------
# References (fastact/bench/references.py, independent of fastact)
# ---------------------------------------------------------------------------
LD = np.longdouble


def _work(dtype):
    return np.float64 if dtype == np.float32 else LD


def _exp_reference(name, params, direction, source, x, dtype):
    """The exponential family's reference (work precision) for f, f' (from x) or
    f' from y, at the exact beta*x and x/alpha (the kernels correct the
    rounding of both: ACCURACY.md)."""
    if dtype == np.float64 and name in ("gelu", "mish", "silu", "swish"):
        pytest.importorskip("mpmath")
    return with_params(name, params, direction, source, x, dtype)


def _check_exponential(entry, arrays, params, result):
    """Within the bounds of ACCURACY.md: forward 2 (float32) / 4 (float64) ULP,
    derivative 3 / 4 ULP, plus 0.5 for grad's product and, where the derivative
    is subnormal, its rounding to the subnormal grid scaled by |grad|; plus 0.5
    for the final scaling of a non-default alpha or beta (celu, softplus)."""
    name = entry.activation
    src = entry.source if entry.direction == "backward" else None
    v = arrays["x"] if src != "y" else arrays["y"]
    dtype = v.dtype.type
    with np.errstate(all="ignore"):
        ref = _exp_reference(name, params, entry.direction, src, v, dtype)
        bound = {(np.float32, "forward"): 2.0, (np.float32, "backward"): 3.0}.get(
            (dtype, entry.direction), 4.0)
        scaled = any(k in ("alpha", "beta") and dtype(val) != 1 for k, val in params.items())
        if scaled and name in ("celu", "softplus"):
            bound += 0.5       # the final * alpha or / beta
        allowed = np.full(v.shape, bound)
        # a value (the derivative, before grad) beyond the dtype's range is inf
        # in the kernel; grad = 0 times it is then NaN (celu' with alpha < 0)
        in_range = np.abs(np.asarray(ref, np.float64)) <= np.finfo(dtype).max
        if entry.direction == "backward":
            g = arrays["grad"].astype(_work(dtype))
            tiny = np.abs(ref) < np.finfo(dtype).smallest_normal
            # |grad| x the derivative's error on the subnormal grid, in ULPs of the result
            allowed = allowed + 0.5 + np.where(tiny, np.abs(g) * bound, 0)
            ref = g * ref
        err = ulp_error(result, ref, dtype)
    finite = np.isfinite(v) & np.isfinite(ref) & in_range
    bad = finite & ~(err <= allowed)
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        raise AssertionError(f"{entry.id}{params} {np.dtype(dtype).name}: {err[i]:.2f} ULP "
                             f"(allowed {allowed[i]:.2f}) at {src or 'x'}={v[i]!r}, got "
                             f"{result[i]!r}, reference {ref[i]!r}")
    # +-inf in: the limit, never NaN (SPEC); NaN in: NaN out
    if entry.direction == "forward":
        assert np.array_equal(np.isnan(result), np.isnan(v)), (entry.id, params)


def check_reference(entry, arrays, params, result):
    name, dtype = entry.activation, arrays[entry.roles[0]].dtype
    kw = {k: v for k, v in params.items() if k != "channels"}
    if entry.api == "elementwise":
        if name in REFERENCES:
            if entry.direction == "forward":
                check_forward(name, arrays["x"], kw, result)
            elif entry.source == "x":
                check_backward(name, arrays["grad"], arrays["x"], kw, result)
            else:
                check_backward_y(name, arrays["grad"], arrays["y"], kw, result)
        else:
            _check_exponential(entry, arrays, kw, result)
    elif entry.api == "prelu":
        from test_prelu import check_dweight
        ref = REFERENCES["prelu"]
        x, w = arrays["x"], arrays["weight"]
        with np.errstate(all="ignore"):
            if entry.direction == "forward":
                want = ref.forward(x.astype(np.float64), w.astype(np.float64))
                assert_matches_reference(result, want, dtype, 0, "prelu", inputs={"x": x})
            else:
                g = arrays["grad"]
                want = ref.backward(g.astype(np.float64), x.astype(np.float64),
                                    w.astype(np.float64))
                assert_matches_reference(result[0], want, dtype, 0, "prelu_backward dx",
                                         inputs={"grad": g, "x": x})
                check_dweight(result[1], g, x, w, "property")
    elif entry.api == "rowwise":
        import test_rowwise as tr
        axis = params["axis"]
        if np.ndim(arrays[entry.roles[0]]) == 0 or np.size(arrays[entry.roles[0]]) == 0:
            return   # a 0-d or empty row: checked in test_rowwise.test_scalar_and_empty
        if entry.direction == "forward":
            tr.check_forward(name, result, arrays["x"], axis)
        else:
            tr.check_backward(name, result, arrays["grad"], arrays["y"], axis)
    elif entry.api == "maxout":
        import test_rowwise as tr
        x = arrays["x"]
        if entry.direction == "forward":
            want, _ = maxout_forward(x, params["pieces"], params["axis"])
        else:
            want = maxout_backward(arrays["grad"], x, params["pieces"], params["axis"])
        assert tr.same_bits(np.asarray(result), want), entry.id


# ---------------------------------------------------------------------------
# The property
# ---------------------------------------------------------------------------
def _same_bits(a, b):
    """Same shape, dtype and bits; any NaN matches any NaN (the scalar and the
    vector code may propagate a different one of two NaN operands)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(same_bits(a, b)))


def _raw_equal(a, b):
    """Byte for byte (an untouched buffer keeps even its NaN payloads)."""
    return a.tobytes() == b.tobytes()


def _written_mask(buf_len, lay, shape, start):
    mask = np.zeros(buf_len, bool)
    lay.view(mask, shape, start)[...] = True
    return mask


def run_case(case):
    entry, dtype, shapes, params, arrays, lays, out_plan, monitor_kind = case
    note(f"{entry.id} {np.dtype(dtype).name} params={params} shapes={shapes}")
    note(f"layouts={lays} out={out_plan} monitor={monitor_kind}")
    monitor = (fastact.DeadUnitMonitor(per_channel=monitor_kind == "channel")
               if monitor_kind else None)
    call_params = dict(params, monitor=monitor) if monitor else params
    result_shape = shapes["result"]
    # Buffers: one per argument; an overlapping out shares its argument's.
    bufs, views = {}, {}
    for role in entry.roles:
        need = lays[role].offset + lays[role].span(shapes[role])
        if out_plan and out_plan[0] == "overlap" and out_plan[1] == role:
            need = max(need, out_plan[3] + out_plan[2].offset + out_plan[2].span(result_shape))
        bufs[role] = new_buffer(need + 2, dtype, lays[role].unaligned)
        views[role] = lays[role].view(bufs[role], shapes[role])
        views[role][...] = arrays[role]
    out = None
    if out_plan:
        kind, role, lay, start = out_plan
        if kind == "alias":
            out = views[role]
        elif kind == "overlap":
            out = lay.view(bufs[role], result_shape, start)
        else:
            bufs["out"] = new_buffer(lay.offset + lay.span(result_shape) + 2, dtype,
                                     lay.unaligned)
            out = lay.view(bufs["out"], result_shape)
    # What the call sees (overlapping arguments already wrote into each other).
    snapshot = {r: np.array(v, copy=True) for r, v in views.items()}
    before = {r: b.copy() for r, b in bufs.items()}
    given = {r: lays[r].wrapped(views[r]) for r in entry.roles}
    if out is not None:
        out = given[out_plan[1]] if out_plan[0] == "alias" else (
            out_plan[2].wrapped(out) if out_plan[2] else out)

    plain_out = np.full(result_shape, np.nan, dtype) if entry.mode == "out" else None
    plain_args = {r: v.copy() for r, v in snapshot.items()}
    try:
        with np.errstate(all="ignore"):
            want = entry.call(plain_args, params, plain_out)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            entry.call(given, call_params, out)
        for r, b in bufs.items():   # a refused call writes nothing
            assert _raw_equal(b, before[r]), (entry.id, r)
        assert monitor is None or monitor.calls == 0
        return
    if entry.mode == "inplace":
        want = plain_args[entry.written]
    with np.errstate(all="ignore"):
        got = entry.call(given, call_params, out)
    if monitor is not None:   # its counts: NumPy's count of the flat piece
        check_monitor(monitor, entry.activation, snapshot["x"], monitor_kind == "channel")

    # the returned object
    if entry.mode == "out":
        assert got is out
    elif entry.mode == "inplace":
        assert got is given[entry.written]
    elif isinstance(got, tuple):
        assert all(type(a) is np.ndarray for a in got)
    else:
        assert type(got) is np.ndarray
    # the values: the plain call's, bit for bit (row-wise and dweight: both in bound)
    if entry.api == "rowwise" or entry.api == "prelu" and entry.direction == "backward":
        check_reference(entry, snapshot, params, got if isinstance(got, tuple)
                        else np.array(got))
        if isinstance(got, tuple):
            assert _same_bits(got[0], want[0])
    else:
        assert _same_bits(np.asarray(got), want), (np.asarray(got), want)
    # nothing else written: the gaps of the written buffer, and every input
    # that out does not overlap
    written = {}
    if entry.mode == "inplace":
        r = entry.written
        written[r] = _written_mask(bufs[r].size, lays[r], shapes[r], 0)
    elif entry.mode == "out":
        kind, role, lay, start = out_plan
        if kind == "alias":
            written[role] = _written_mask(bufs[role].size, lays[role], shapes[role], 0)
        else:
            key = role if kind == "overlap" else "out"
            written[key] = _written_mask(bufs[key].size, lay, result_shape, start)
    for r, b in bufs.items():
        keep = ~written.get(r, np.zeros(b.size, bool))
        assert _raw_equal(b[keep], before[r][keep]), f"{entry.id}: {r}'s buffer written"
    # the plain result against the independent reference
    check_reference(entry, snapshot, params, want)


PROFILE_NOTE = "profile: " + os.environ.get("FASTACT_HYPOTHESIS", "ci")


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_every_entry_point(case):
    run_case(case)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@settings(settings.get_profile("long"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
def test_every_entry_point_long(case):
    run_case(case)


def test_profiles_exist():
    """The CI profile is bounded; the long one is much longer."""
    assert settings.get_profile("ci").max_examples < settings.get_profile("long").max_examples


def test_a_planted_defect_is_found(monkeypatch):
    """The property fails on a wrong result (here: relu returning x + 1 for one
    layout) -- it can fail."""
    real = fastact.relu

    def broken(x, *, out=None, monitor=None):
        r = real(x, out=out, monitor=monitor)
        if not np.asarray(x).flags.c_contiguous and np.asarray(r).size:
            np.asarray(r).reshape(-1)[0] += 1
        return r

    monkeypatch.setattr(fastact, "relu", broken)
    relu_entries = [e for e in ENTRIES if e.func == "relu" and e.mode == "new"]

    @settings(max_examples=200, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=cases(relu_entries))
    def prop(case):
        run_case(case)

    with pytest.raises(AssertionError):
        prop()

