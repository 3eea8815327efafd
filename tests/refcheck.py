"""Run a fastact function and check it against fastact/bench/references.py.

The table (``fastact.ACTIVATIONS``) says which activations exist; the
reference registry says what they compute.  These helpers join the two.
"""

from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

import fastact
from fastact.bench.references import REFERENCES
from fastact.bench.ulp import assert_matches_reference, round_params, working_dtype


def elementwise_names():
    """Every activation with the four-function elementwise API."""
    return sorted(n for n, s in fastact.ACTIVATIONS.items() if s.api == "elementwise")


def referenced_elementwise_names():
    return [n for n in elementwise_names() if n in REFERENCES]


def reference_cases():
    """(name, params) for every elementwise activation with a reference, over
    its reference's parameter sets."""
    return [(n, dict(p)) for n in referenced_elementwise_names()
            for p in REFERENCES[n].param_sets]


def case_id(name, params: Mapping) -> str:
    if not params:
        return name
    return name + "[" + ",".join(f"{k}={v:g}" for k, v in params.items()) + "]"


def full_params(name, params: Mapping) -> dict:
    p = dict(fastact.ACTIVATIONS[name].params)
    p.update(params)
    return p


def _prepare(name, params, dtype, ulp):
    ref = REFERENCES[name]
    work = working_dtype(dtype, bitwise=ulp == 0)
    return ref, work, round_params(full_params(name, params), dtype, work)


def check_forward(name, x, params: Mapping = {}, result: Optional[np.ndarray] = None):
    """fastact.NAME(x, **params) (or ``result``) against the reference."""
    ref = REFERENCES[name]
    dtype = x.dtype
    ref, work, p = _prepare(name, params, dtype, ref.forward_ulp)
    if result is None:
        result = getattr(fastact, name)(x, **params)
    with np.errstate(all="ignore"):
        xw = x.astype(work)
        expected = ref.forward(xw, **p)
        slack = ref.forward_slack(xw, dtype, **p) if ref.forward_slack else None
    assert_matches_reference(result, expected, dtype, ref.forward_ulp,
                             f"{case_id(name, params)} forward, {dtype}",
                             inputs={"x": x}, slack=slack)


def check_backward(name, g, x, params: Mapping = {}, result: Optional[np.ndarray] = None):
    """fastact.NAME_backward(g, x=x, **params) (or ``result``) against the reference."""
    _check_backward(name, g, "x", x, params, result)


def check_backward_y(name, g, y, params: Mapping = {}, result: Optional[np.ndarray] = None):
    """fastact.NAME_backward(g, y=y, **params) against the reference from y."""
    _check_backward(name, g, "y", y, params, result)


def _check_backward(name, g, source, v, params, result):
    ref = REFERENCES[name]
    dtype = v.dtype
    ref, work, p = _prepare(name, params, dtype, ref.backward_ulp)
    if result is None:
        result = getattr(fastact, name + "_backward")(g, **{source: v}, **params)
    either = None
    with np.errstate(all="ignore"):
        gw, vw = g.astype(work), v.astype(work)
        if source == "x":
            expected = ref.backward(gw, vw, **p)
            if ref.backward_either:
                either = ref.backward_either(gw, vw, dtype, **p)
        else:
            expected = ref.backward_y(gw, vw, **p)
    assert_matches_reference(result, expected, dtype, ref.backward_ulp,
                             f"{case_id(name, params)} backward from {source}, {dtype}",
                             inputs={"grad": g, source: v}, either=either)
