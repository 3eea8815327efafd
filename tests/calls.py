"""Every public entry point of fastact as data: which arrays it reads, which one
it writes, how to call it.  Generated from ``fastact.ACTIVATIONS`` (a new
activation is covered without edits here); used by the subclass matrix
(test_robustness.py) and the property suite (test_properties.py).

An :class:`Entry` is one function in one output mode: ``new`` (returns a new
array), ``out`` (writes ``out=``), ``inplace`` (writes its first argument).
Its array arguments are named by role: ``x`` (forward input), ``y`` (forward
output, for backward-from-y), ``grad``, ``weight`` (prelu).  ``shapes`` gives
every role's shape (and the result's) from x's shape and the parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import fastact


@dataclass(frozen=True)
class Entry:
    activation: str           # row of fastact.ACTIVATIONS
    api: str                  # "elementwise", "prelu", "rowwise", "maxout"
    direction: str            # "forward" or "backward"
    source: Optional[str]     # backward: "x" or "y" (the second array), else None
    mode: str                 # "new", "out" or "inplace"

    @property
    def func(self) -> str:
        name = self.activation + ("_backward" if self.direction == "backward" else "")
        return name + ("_" if self.mode == "inplace" else "")

    @property
    def roles(self) -> Tuple[str, ...]:
        if self.direction == "forward":
            return ("x", "weight") if self.api == "prelu" else ("x",)
        if self.api == "prelu":
            return ("grad", "x", "weight")
        return ("grad", self.source)

    @property
    def written(self) -> Optional[str]:
        """The role written in place (the first argument), or None."""
        return self.roles[0] if self.mode == "inplace" else None

    @property
    def id(self) -> str:
        src = f"[{self.source}]" if self.source and self.api == "elementwise" else ""
        mode = {"new": "", "out": "(out=)", "inplace": ""}[self.mode]
        return self.func + src + mode

    def shapes(self, xshape, params) -> Dict[str, tuple]:
        """Shape of every role and of "result" (the array the call returns or writes)."""
        xshape = tuple(xshape)
        s = {"x": xshape, "y": xshape, "grad": xshape, "result": xshape}
        if self.api == "prelu":
            s["weight"] = (params.get("channels", 1),)
        if self.api == "maxout":
            pooled = list(xshape)
            pooled[params["axis"]] //= params["pieces"]
            pooled = tuple(pooled)
            s["grad"] = pooled
            if self.direction == "forward":
                s["result"] = pooled
        return s

    def call(self, arrays, params, out=None):
        """Run the entry on ``arrays`` (role -> array); ``params`` are the keyword
        parameters (axis and pieces included; prelu's ``channels`` is ignored)."""
        f = getattr(fastact, self.func)
        kw = {k: v for k, v in params.items() if k != "channels"}
        if self.mode == "out":
            kw["out"] = out
        if self.api == "prelu":
            return f(*[arrays[r] for r in self.roles], **kw)
        if self.api == "maxout":
            if self.direction == "forward":
                return f(arrays["x"], kw.pop("pieces"), **kw)
            return f(arrays["grad"], x=arrays["x"], **kw)
        if self.direction == "forward":
            return f(arrays["x"], **kw)
        return f(arrays["grad"], **{self.source: arrays[self.source]}, **kw)


def entries(activation=None):
    """Every entry point (all modes) of every activation, or of one."""
    out = []
    for name, spec in fastact.ACTIVATIONS.items():
        if activation is not None and name != activation:
            continue
        if spec.api == "elementwise":
            sources = ("x", "y") if spec.backward_from_y else ("x",)
            out += [Entry(name, spec.api, "forward", None, m) for m in ("new", "out", "inplace")]
            out += [Entry(name, spec.api, "backward", s, m)
                    for s in sources for m in ("new", "out", "inplace")]
        elif spec.api == "prelu":
            out += [Entry(name, spec.api, "forward", None, m) for m in ("new", "out", "inplace")]
            out.append(Entry(name, spec.api, "backward", "x", "new"))
        elif spec.api == "rowwise":
            for direction, source in (("forward", None), ("backward", "y")):
                out += [Entry(name, spec.api, direction, source, m)
                        for m in ("new", "out", "inplace")]
        elif spec.api == "maxout":
            for direction, source in (("forward", None), ("backward", "x")):
                out += [Entry(name, spec.api, direction, source, m) for m in ("new", "out")]
        else:  # pragma: no cover - a new api kind needs a case here
            raise AssertionError(f"unknown api {spec.api!r} for {name}")
    return out
