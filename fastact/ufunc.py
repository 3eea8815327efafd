"""fastact's kernels as real NumPy ufuncs: ``fastact.ufunc.sigmoid(x)``.

Built from the table (fastact/_table.py) like the keyword API; no
per-activation code.  For every elementwise activation NAME:

* ``NAME(x, *params)``: the forward pass; the parameters (``negative_slope``,
  ``alpha``, ...) are inputs in the table's order, broadcast like ``x``.  A
  ufunc has no optional inputs: pass every one (the keyword API's defaults
  are in each docstring and in ``fastact.ACTIVATIONS``).
* ``NAME_backward(grad, x, *params)``: ``grad * f'(x)``; ``grad`` broadcasts
  against ``x``.
* ``NAME_backward_y(grad, y, *params)``: the same from the forward output,
  where the table allows it.

gelu's ``approximate="tanh"`` is its own family of ufuncs (``gelu_tanh``,
``gelu_tanh_backward``).  prelu: ``prelu(x, weight)`` and
``prelu_backward(grad, x, weight)`` (dx only; ``weight`` broadcasts as any
input, so put the channels where NumPy broadcasting will meet them, e.g.
``weight[:, None, None]`` for (N, C, H, W)).  Row-wise activations are
generalized ufuncs over one core dimension (``axis=`` picks it):
``softmax(x)`` "(n)->(n)" and ``softmax_backward(grad, y)`` "(n),(n)->(n)";
the same for ``log_softmax`` and ``softmin``.  maxout's output axis is shorter
than its input's, which a gufunc signature cannot say: use ``fastact.maxout``
(which also takes pandas, xarray and Dask objects).

Being ufuncs, they take ``out=``, ``where=``, ``dtype=``/``signature=``,
``casting=``, broadcast, cast by NumPy's rules (integers compute in float64,
float32 with a Python-float parameter stays float32), return NumPy scalars for
scalars and dispatch through ``__array_ufunc__`` (pandas, xarray and Dask keep
their types, and Dask stays lazy).  Each call runs the kernels of the target
bound at that moment, threaded as the keyword API is when NumPy hands the
loop one long block (a contiguous array without casting).

Invalid parameters do not raise (an inner loop sees one element at a time):
their elements are NaN and NumPy's "invalid value" warning follows
``np.errstate``, as ``np.log(-1)`` does.  Otherwise the ufuncs raise no
floating-point warnings: the kernels' limits are exact (``sigmoid(-1000)`` is
0, not an overflow).
"""

from __future__ import annotations

from . import _kernels
from ._docs import ufunc_doc
from ._table import ACTIVATIONS, Activation, ufunc_names

__all__: list = []


def _add(name, ufunc):
    globals()[name] = ufunc
    __all__.append(name)


def _rule(spec: Activation) -> int:
    return _kernels.UFUNC_RULES[spec.ufunc_rule]


def _y_positive(spec: Activation) -> bool:
    """The from-y rule, which every row states as "<first parameter> > 0"."""
    if spec.from_y_condition is None:
        return False
    first = next(iter(spec.params))
    assert spec.from_y_condition == f"{first} > 0", spec.from_y_condition
    return True


def _build(spec: Activation):
    numeric = [k for k, v in spec.params.items() if not isinstance(v, str)]
    rule, sign, fixed, signature = 0, 1.0, (), None
    if spec.api == "elementwise":
        rule = _rule(spec)
        fixed = () if numeric else tuple(spec.pack(spec.params))
    elif spec.api == "rowwise":
        (sign,) = spec.pack(spec.params)
        numeric = []
    for uname, kernel, kind in ufunc_names(spec):
        k = _kernels.KERNELS[kernel]
        if spec.api == "rowwise":
            signature = "(n)->(n)" if kind == "forward" else "(n),(n)->(n)"
        variant = {key: value for key in spec.choices for value, suffix in
                   spec.choices[key].items() if suffix and suffix in uname}
        y_rule = kind == "backward_y" and spec.api == "elementwise" and _y_positive(spec)
        _add(uname, _kernels.make_ufunc(
            k, uname, len(numeric), rule, y_rule, fixed, ufunc_doc(spec, uname, variant),
            signature, sign))


for _spec in ACTIVATIONS.values():
    _build(_spec)
del _spec
