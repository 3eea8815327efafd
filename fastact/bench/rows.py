"""The table's rows as the measurement code sees them.

The report, the baselines, the accuracy sweep and the references' completeness
test all take what they need from ``fastact.ACTIVATIONS`` through these
functions, so that an activation added to fastact/_table.py reaches all of
them without a list to update here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple


def variants(spec) -> List[Tuple[str, Dict[str, Any]]]:
    """(label, non-default parameters) for each kernel set a row has: the row
    itself, then one per non-default value of a string parameter, labelled with
    that value's kernel suffix (gelu, approximate="tanh" -> "gelu_tanh")."""
    out: List[Tuple[str, Dict[str, Any]]] = [(spec.name, {})]
    for key, values in spec.choices.items():
        for value, suffix in values.items():
            if value != spec.params[key]:
                out.append((spec.name + suffix, {key: value}))
    return out


def directions(spec, params) -> List[str]:
    """The directions the row supports with ``params`` (non-default ones):
    "forward", "backward" (from x) and "backward_y" (from y; the row-wise
    family's only backward)."""
    kernels = spec.kernels_for(dict(spec.params, **params))
    out = ["forward"]
    if kernels[1] is not None and spec.api != "rowwise":
        out.append("backward")
    if kernels[2] is not None:
        out.append("backward_y")
    return out
