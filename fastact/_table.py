"""The one table of activations.

Every public function, the compiled kernels, the tests and the benchmarks are
generated from ``ACTIVATIONS``: setup.py renders the kernel templates from it
(``kernel_lists``), so this module imports nothing compiled and is also
loaded by path, before fastact is built.  Adding an activation: README,
"Adding an activation".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping, Optional, Tuple

FAMILIES = ("piecewise", "exponential", "rowwise")


def _real(name: str, value: Any) -> float:
    """A parameter as a finite float, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(
        value, "__float__"
    ):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:   # an int beyond float64's range
        raise ValueError(f"{name} must be finite, got an integer too large for a float") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _choice(name: str, value: Any, accepted: Mapping[str, str]) -> str:
    """A string parameter as one of its accepted values, or a clear error."""
    listed = ", ".join(repr(v) for v in accepted)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed}, got {type(value).__name__}")
    if value not in accepted:
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def _with_suffix(kernel: Optional[str], base: str, suffix: str) -> Optional[str]:
    """gelu_forward + "_tanh" -> gelu_tanh_forward (the suffix follows the base name)."""
    if kernel is None:
        return None
    assert kernel.startswith(base + "_"), (kernel, base)
    return base + suffix + kernel[len(base):]


@dataclass(frozen=True)
class Activation:
    """What fastact knows about one activation.

    name:            public name (``fastact.<name>``, ``<name>_``, ``<name>_backward`` ...)
    family:          "piecewise", "exponential" or "rowwise"
    params:          parameter names and defaults (read-only mapping), in call order
    backward_from_y: whether the backward pass accepts the forward output ``y`` at
                     the default parameters (see ``accepts_y`` for other values)
    from_y_condition: when ``y`` is accepted only for some parameters, the rule
    formula:         the forward formula, as docs/CONTRACT.md states it (for docs and reports)
    api:             "elementwise"; "prelu" (weight is a second array); "rowwise"
                     (reduces along ``axis``, backward from y); "maxout"
    kernels:         names of the compiled kernels: forward, backward from x,
                     backward from y (None when y is never accepted)
    choices:         string parameters: name -> {accepted value -> kernel-name
                     suffix}; the value picks the kernels (``kernels_for``), e.g.
                     gelu's approximate="tanh" runs gelu_tanh_forward / _backward
    flat:            where the activation is on its flat piece (e.g. "x <= 0"),
                     for activations whose forward takes ``monitor=`` (a
                     DeadUnitMonitor; the forward kernel has a counting twin
                     <name>_forward_count); None for the others
    counting:        how that twin counts, as functions of pyx/_piecewise.pxd:
                     (the predicate "on the flat piece", the formula the
                     counting loop evaluates, the predicate's complement that
                     the per-call loop counts instead, or None to count the
                     predicate itself); pyx/_loops.pyx.tp, COUNTED, says why
    torch_name:      the class name of its fastact.torch module (and of
                     <torch_name>Function): PyTorch's where PyTorch has the
                     activation; by default the CamelCase of ``name``
    tier:            docs/CONTRACT.md's cost tier: 1 piecewise-linear, 2 one
                     exponential, 3 two transcendental calls; None for the
                     row-wise family (the report checks the ordering)
    choice_tiers:    the tier of a string parameter's other kernels, by kernel
                     suffix where it differs (gelu's "_tanh": one tanh, tier 2)
    ufunc_rule:      how the ufunc's inner loop (fastact.ufunc; the parameters
                     arrive there as broadcast inputs) does what ``pack`` does:
                     "copy" (the parameters as they are), "ordered" (p0 <= p1),
                     "nonzero" (p0 != 0), "celu" (p0 != 0, p1 = 1/p0).  Elements
                     whose parameters break the rule (or are not finite) are NaN.
    """

    name: str
    family: str
    formula: str
    params: Mapping[str, Any] = field(default_factory=dict)
    backward_from_y: bool = True
    from_y_condition: Optional[str] = None
    api: str = "elementwise"
    kernels: Tuple[str, str, Optional[str]] = ("", "", None)
    # params (complete dict, already validated as reals) -> the kernel's p0, p1, p2
    pack: Callable[[Mapping[str, float]], Tuple[float, ...]] = field(
        default=lambda p: (), repr=False, compare=False
    )
    # params -> whether y is a valid backward input (the rule in from_y_condition)
    _y_rule: Optional[Callable[[Mapping[str, float]], bool]] = field(
        default=None, repr=False, compare=False
    )
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    flat: Optional[str] = None
    counting: Optional[Tuple[str, str, Optional[str]]] = None
    tier: Optional[int] = None
    choice_tiers: Mapping[str, int] = field(default_factory=dict)
    torch_name: str = ""
    ufunc_rule: str = "copy"
    # Accuracy bound (forward, backward) in ULPs of the array's dtype against an
    # exact reference, as the tests check it (fastact/bench/references.py, ACCURACY.md,
    # tests/test_rowwise.py); 0 = exact (the correctly rounded result).
    ulp: Tuple[float, float] = (0, 0)

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "choices", MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in self.choices.items()}))
        for key, default in self.params.items():
            if isinstance(default, str) and default not in self.choices.get(key, {}):
                raise ValueError(f"{self.name}: string parameter {key!r} needs choices")
        if (self.flat is None) != (self.counting is None):
            raise ValueError(f"{self.name}: flat and counting go together")
        if not self.torch_name:
            object.__setattr__(self, "torch_name",
                               "".join(w.capitalize() for w in self.name.split("_")))

    def resolve(self, fname: str, given: Mapping[str, Any]) -> dict:
        """Defaults overlaid with ``given``; unknown names and bad values raise."""
        for key in given:
            if key not in self.params:
                takes = ", ".join(self.params) or "no parameters"
                raise TypeError(
                    f"{fname}() got an unexpected keyword argument {key!r} "
                    f"({self.name} takes {takes})"
                )
        merged = dict(self.params)
        for key, value in given.items():
            if key in self.choices:
                merged[key] = _choice(f"{fname}(): {key}", value, self.choices[key])
            else:
                merged[key] = _real(f"{fname}(): {key}", value)
        return merged

    def kernels_for(self, params: Mapping[str, Any]) -> Tuple[str, str, Optional[str]]:
        """The kernel names for (resolved) ``params``: each string parameter's
        value appends its suffix to the base name of every kernel."""
        suffix = "".join(self.choices[k][params[k]] for k in self.choices)
        if not suffix:
            return self.kernels
        return tuple(_with_suffix(k, self.name, suffix) for k in self.kernels)

    def accepts_y(self, **params) -> bool:
        """True if ``<name>_backward(grad, y=...)`` is valid with these parameters."""
        if not self.backward_from_y:
            return False
        if self._y_rule is None:
            return True
        return bool(self._y_rule(self.resolve(self.name + "_backward", params)))


def choice_combos(spec: Activation) -> list:
    """Every combination of values of ``spec``'s string parameters, as dicts
    ([{}] for an activation without any)."""
    combos: list = [{}]
    for key, accepted in spec.choices.items():
        combos = [dict(c, **{key: v}) for c in combos for v in accepted]
    return combos


def ufunc_names(spec: Activation) -> list:
    """(ufunc name, kernel, kind) for ``spec``'s ufuncs in fastact.ufunc; kind is
    "forward", "backward" (grad, x), "backward_y" (grad, y); row-wise: gufuncs
    "forward" (x) and "backward_y" (grad, y).  A string parameter's value is part
    of the name (gelu_tanh).  maxout has none (its axis shrinks)."""
    if spec.api == "maxout":
        return []
    if spec.api == "prelu":
        return [("prelu", spec.kernels[0], "forward"),
                ("prelu_backward", spec.kernels[1], "backward")]
    if spec.api == "rowwise":
        return [(spec.name, spec.kernels[0], "forward"),
                (spec.name + "_backward", spec.kernels[2], "backward_y")]
    out = []
    for combo in choice_combos(spec):
        names = spec.kernels_for(dict(spec.params, **combo))
        base = spec.name + "".join(spec.choices[k][v] for k, v in combo.items())
        for kernel, suffix, kind in zip(names, ("", "_backward", "_backward_y"),
                                        ("forward", "backward", "backward_y")):
            if kernel is not None:
                out.append((base + suffix, kernel, kind))
    return out


def _hardtanh_pack(p):
    if p["min_val"] > p["max_val"]:
        raise ValueError(
            f"hardtanh: min_val ({p['min_val']}) must not exceed max_val ({p['max_val']})"
        )
    return (p["min_val"], p["max_val"])


def _piecewise(name, formula, params=None, *, y_kernel="backward", **kw):
    """A row whose kernels follow the naming <name>_forward / <name>_backward[_y]."""
    from_y = kw.pop("backward_from_y", True)
    y = None if not from_y else f"{name}_{y_kernel}"
    return Activation(
        name=name,
        family="piecewise",
        formula=formula,
        tier=1,
        params=params or {},
        backward_from_y=from_y,
        kernels=(f"{name}_forward", f"{name}_backward", y),
        **kw,
    )


_ROWS = [
    _piecewise("identity", "x"),
    _piecewise("relu", "max(0, x)", flat="x <= 0", torch_name="ReLU",
               counting=("relu_flat", "relu_forward", "relu_alive")),
    _piecewise("relu6", "min(max(0, x), 6)", flat="x <= 0 or x >= 6", torch_name="ReLU6",
               counting=("relu6_flat", "relu6_forward", "relu6_alive")),
    _piecewise(
        "leaky_relu",
        "x if x > 0 else negative_slope * x",
        {"negative_slope": 0.01},
        from_y_condition="negative_slope > 0",
        pack=lambda p: (p["negative_slope"],),
        _y_rule=lambda p: p["negative_slope"] > 0,
        flat="x <= 0",
        counting=("leaky_relu_flat", "leaky_relu_forward_flat_first", None),
        torch_name="LeakyReLU",
    ),
    _piecewise(
        "prelu",
        "x if x > 0 else weight[c] * x (c = channel, axis 1 for ndim >= 2)",
        backward_from_y=False,
        api="prelu",
        flat="x <= 0",
        counting=("prelu_flat", "prelu_forward_flat_first", None),
        torch_name="PReLU",
    ),
    _piecewise(
        "hardtanh",
        "clip(x, min_val, max_val)",
        {"min_val": -1.0, "max_val": 1.0},
        pack=_hardtanh_pack,
        ufunc_rule="ordered",
    ),
    _piecewise(
        "hardsigmoid",
        "clip(slope * x + offset, 0, 1)",
        {"slope": 1.0 / 6.0, "offset": 0.5},
        y_kernel="backward_y",
        pack=lambda p: (p["slope"], p["offset"]),
        ulp=(2, 0),
    ),
    _piecewise("hardswish", "x * clip(x + 3, 0, 6) / 6", backward_from_y=False, ulp=(2, 3)),
    _piecewise("softsign", "x / (1 + |x|)", y_kernel="backward_y", ulp=(2, 3)),
]


_FLOAT32_MAX = 3.4028234663852886e38


def _celu_pack(p):
    """(alpha, 1/alpha): the kernels correct the rounding of x / alpha with the
    remainder times 1/alpha; 0 (no correction) where 1/alpha overflows float32."""
    if p["alpha"] == 0:
        raise ValueError("celu: alpha must be nonzero")
    inv = 1.0 / p["alpha"]
    return (p["alpha"], inv if abs(inv) <= _FLOAT32_MAX else 0.0)


def _softplus_pack(p):
    if p["beta"] == 0:
        raise ValueError("softplus: beta must be nonzero")
    return (p["beta"], p["threshold"])


def _exponential(name, formula, params=None, *, kernel=None, from_y=True, **kw):
    """A row of the exponential family (kernels in pyx/_exponential.pxd)."""
    k = kernel or name
    kw.setdefault("ulp", (2, 3))   # ACCURACY.md: every float32 input swept
    kw.setdefault("tier", 2)
    return Activation(
        name=name,
        family="exponential",
        formula=formula,
        params=params or {},
        backward_from_y=from_y,
        kernels=(f"{k}_forward", f"{k}_backward", f"{k}_backward_y" if from_y else None),
        **kw,
    )


_ROWS += [
    _exponential("sigmoid", "1 / (1 + exp(-x))"),
    # tier 3: exp and log, as softplus
    _exponential("logsigmoid", "log(sigmoid(x)) = -softplus(-x)", tier=3,
                 torch_name="LogSigmoid"),
    _exponential("tanh", "tanh(x)"),
    _exponential("tanhshrink", "x - tanh(x)", from_y=False),
    _exponential(
        "elu",
        "x if x > 0 else alpha * (exp(x) - 1)",
        {"alpha": 1.0},
        from_y_condition="alpha > 0",
        pack=lambda p: (p["alpha"],),
        _y_rule=lambda p: p["alpha"] > 0,
        torch_name="ELU",
    ),
    _exponential(
        "selu",
        "scale * elu(x, alpha), alpha = 1.6732632423543772848170429916717, "
        "scale = 1.0507009873554804934193349852946",
        torch_name="SELU",
    ),
    _exponential(
        "celu",
        "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
        {"alpha": 1.0},
        from_y_condition="alpha > 0",
        pack=_celu_pack,
        _y_rule=lambda p: p["alpha"] > 0,
        ufunc_rule="celu",
        torch_name="CELU",
    ),
    _exponential(
        "softplus",
        "log(1 + exp(beta * x)) / beta, or x where beta * x > threshold",
        {"beta": 1.0, "threshold": 20.0},
        pack=_softplus_pack,
        ufunc_rule="nonzero",
        tier=3,
    ),
    _exponential("silu", "x * sigmoid(x)", kernel="swish", from_y=False,
                 pack=lambda p: (1.0,), torch_name="SiLU"),
    _exponential("swish", "x * sigmoid(beta * x)", {"beta": 1.0}, from_y=False,
                 pack=lambda p: (p["beta"],)),
]

# gelu and mish (issue 3): no backward from y (docs/CONTRACT.md).  gelu's approximate picks
# the kernels: "none" -> gelu_forward / gelu_backward (erf-based), "tanh" ->
# gelu_tanh_forward / gelu_tanh_backward.
_ROWS += [
    _exponential("mish", "x * tanh(softplus(x))", from_y=False, tier=3),
    _exponential(
        "gelu",
        "x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))); approximate='tanh': "
        "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))",
        {"approximate": "none"},
        from_y=False,
        choices={"approximate": {"none": "", "tanh": "_tanh"}},
        tier=3,
        choice_tiers={"_tanh": 2},
        torch_name="GELU",
    ),
]


def _rowwise(name, formula, kernel, sign):
    return Activation(
        name=name,
        family="rowwise",
        formula=formula,
        params={"axis": -1},
        api="rowwise",
        kernels=(f"{kernel}_forward", f"{kernel}_backward", f"{kernel}_backward"),
        pack=lambda p: (sign,),
        ulp=(4, 8),
    )


_ROWS += [
    _rowwise("softmax", "exp(x_i - m) / sum_j exp(x_j - m), m = max_j x_j", "softmax", 1.0),
    _rowwise("log_softmax", "x_i - m - log(sum_j exp(x_j - m))", "log_softmax", 1.0),
    _rowwise("softmin", "softmax(-x)", "softmax", -1.0),
    Activation(
        name="maxout",
        family="rowwise",
        formula="max over each group of pieces consecutive entries along axis",
        params={"pieces": None, "axis": -1},
        backward_from_y=False,
        api="maxout",
        kernels=("maxout_forward", "maxout_backward", None),
    ),
]

ACTIVATIONS: Mapping[str, Activation] = MappingProxyType({a.name: a for a in _ROWS})

# Minimum elements per thread before a call is split across threads, per family
# (each kernel starts with its family's: kernel_lists(), rendered into the
# driver by setup.py, so a new value takes a rebuild).
# Measured with tools/measure_grain.py (2 cores, Sapphire Rapids): below
# this, OpenMP's fork/join costs more than the second core saves.  piecewise:
# relu's 2-thread break-even is ~32 K elements (1.27x at 64 K).  exponential:
# `python tools/measure_grain.py sigmoid tanh silu` (float32, in place) gives
# 2 threads / 1 thread = 1.19 (sigmoid), 1.28 (silu), 0.99 (tanh, the cheapest)
# at 8 K elements, 0.89 / 0.99 / 0.73 at 4 K: split from 8 K elements, 4 K per
# thread.  rowwise: the 2-thread run beat 1 thread from 32 K elements (rows of
# 1024) on a loaded machine; 16 K per thread.
PARALLEL_GRAIN = MappingProxyType(
    {"piecewise": 1 << 15, "exponential": 1 << 12, "rowwise": 1 << 14}
)


def kernel_lists() -> dict:
    """What the kernel templates instantiate, in the table's order: setup.py
    renders pyx/_loops.pyx.tp and pyx/_kernels.pyx.tp with these names.

    KERNELS:     (kernel, array inputs, whether the last input is prelu's
                 per-channel weight, possibly broadcast) for every kernel of
                 the elementwise and prelu rows, once (silu and swish share
                 theirs): the forward takes x, the backward grad and x (or
                 y), prelu's the weight after them
    ROW_KERNELS: (kernel, array inputs) of the row-wise family, as KERNELS
    COUNTED:     (forward kernel,) + its row's ``counting``
    GRAINS:      kernel -> its family's PARALLEL_GRAIN (a counting twin
                 <kernel>_count: its kernel's), which the driver starts with
    STREAMED:    the kernels whose contiguous out-of-place loop writes with
                 non-temporal stores past the streaming threshold: the
                 piecewise family's (memory-bound there; the exponential
                 family's are compute-bound, and staging their blocks cost
                 them 3-17% at 16 M elements)
    """
    kernels, row_kernels, counted, grains, streamed = [], [], [], {}, []
    for spec in ACTIVATIONS.values():
        grain = PARALLEL_GRAIN[spec.family]
        weights = 1 if spec.api == "prelu" else 0
        for combo in choice_combos(spec):
            names = spec.kernels_for(dict(spec.params, **combo))
            for kernel, nin in zip(names, (1, 2, 2)):
                if kernel is None or kernel in grains:
                    continue
                grains[kernel] = grain
                if spec.family == "rowwise":
                    row_kernels.append((kernel, nin))
                else:
                    kernels.append((kernel, nin + weights, weights > 0))
                    if spec.family == "piecewise":
                        streamed.append(kernel)
        if spec.counting is not None:
            counted.append((spec.kernels[0],) + spec.counting)
            grains[spec.kernels[0] + "_count"] = grain
    return {"KERNELS": kernels, "ROW_KERNELS": row_kernels, "COUNTED": counted,
            "GRAINS": grains, "STREAMED": streamed}
