"""fastact: fast, exact CPU activation functions for NumPy arrays.

Every activation NAME in ``fastact.ACTIVATIONS`` comes as four functions:
``NAME(x)`` (new array, or ``out=``), ``NAME_(x)`` (in place),
``NAME_backward(grad, x=... | y=...)`` and ``NAME_backward_(grad, ...)`` (in place
into grad); they also take pandas, xarray and Dask objects and keep their types.
``fastact.ufunc`` has the same kernels as NumPy ufuncs, ``fastact.torch`` (needs
PyTorch) as autograd Functions and nn.Modules.  See the README for semantics,
threads and speed, and docs/CONTRACT.md for the numerical contract.
"""

__version__ = "0.1.0"

try:
    from . import _kernels  # noqa: F401  (the compiled extension)
except ImportError as exc:  # pragma: no cover - only without a build
    raise ImportError(
        "fastact's compiled extension is missing: this is the unbuilt source tree. "
        "Install with `pip install -e .` (or `pip install .` and run from another "
        "directory)."
    ) from exc

from . import _dispatch  # noqa: F401  (binds the kernels of this CPU's target)
from ._api import build_api as _build_api
from ._config import show_config
from ._monitor import DeadUnitMonitor, DeadUnitWarning
from ._table import ACTIVATIONS, Activation
from ._threads import get_num_threads, num_threads, set_num_threads

globals().update(_build_api())
del _build_api

from . import ufunc  # noqa: E402  (NumPy ufuncs of the same kernels)

_EXTRAS = ["ufunc", "ACTIVATIONS", "Activation", "DeadUnitMonitor", "DeadUnitWarning",
           "get_num_threads", "num_threads", "set_num_threads", "show_config"]
__all__ = _EXTRAS + sorted(
    n for n, v in list(globals().items())
    if callable(v) and not n.startswith("_") and n not in _EXTRAS
    and getattr(v, "__module__", None) == "fastact"
)
