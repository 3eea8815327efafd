"""fastact for PyTorch: autograd Functions and ``nn.Module``s (optional).

``import fastact.torch`` needs PyTorch (fastact does not depend on it).  For
every activation in the table there is a function and a module:

    import fastact.torch as ft
    y = ft.gelu(x)                         # like torch.nn.functional.gelu
    layer = ft.GELU(approximate="tanh")    # like torch.nn.GELU
    ft.LeakyReLU(negative_slope=0.1), ft.Softmax(dim=1), ft.PReLU(64), ft.Maxout(4)

Forward and backward run fastact's kernels on CPU float32/float64 tensors
without copies: a tensor and the NumPy array fastact sees share memory
(``tensor.detach().numpy()``), and fastact's new result becomes the output
tensor as it is (``torch.from_numpy``).  Any layout works (strided views,
expanded gradients).  Elementwise activations whose derivative can be taken
from the output (sigmoid, tanh, relu, ...) save the output for backward, as
PyTorch does; the others save the input.  Threads: fastact's own setting
(``fastact.set_num_threads``), not ``torch.set_num_threads``.

Other devices (CUDA), other dtypes (float16, bfloat16) and double backward
(``create_graph=True`` through a fastact backward) are not supported: the
first two raise a TypeError naming the tensor, the last a RuntimeError.
"""

from __future__ import annotations

import numpy as np
import torch

import fastact

from ._table import ACTIVATIONS, Activation

__all__: list = []

_DTYPES = (torch.float32, torch.float64)

# The modules' class names (the table's torch_name: PyTorch's, where it has one).
TORCH_NAMES = {name: spec.torch_name for name, spec in ACTIVATIONS.items()}


def _array(t: torch.Tensor, fname: str, argname: str) -> np.ndarray:
    """The tensor's memory as a NumPy array (no copy)."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{fname}(): {argname} must be a torch.Tensor, got "
                        f"{type(t).__name__}")
    if t.device.type != "cpu" or t.dtype not in _DTYPES or t.is_sparse:
        raise TypeError(f"{fname}(): {argname} is a {t.dtype} tensor on {t.device}; "
                        f"fastact runs on dense CPU float32/float64 tensors")
    if t.is_conj() or t.is_neg():
        t = t.resolve_conj().resolve_neg()
    return t.detach().numpy()


def _tensor(a) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a))


def _no_double_backward(ctx):
    if torch.is_grad_enabled():
        raise RuntimeError("fastact.torch: double backward (create_graph=True) is not "
                           "supported")


def _register(name, obj):
    globals()[name] = obj
    __all__.append(name)


def _elementwise(spec: Activation):
    name = spec.name
    forward_fn = getattr(fastact, name)
    backward_fn = getattr(fastact, name + "_backward")
    keys = list(spec.params)

    def fwd(ctx, x, *values):
        params = dict(zip(keys, values))
        xa = _array(x, name, "x")
        y = _tensor(forward_fn(xa, **params))
        use_y = spec.accepts_y(**params)
        ctx.params = params
        ctx.use_y = use_y
        ctx.save_for_backward(y if use_y else x)
        return y

    def bwd(ctx, grad):
        _no_double_backward(ctx)
        (saved,) = ctx.saved_tensors
        g = _array(grad, name + "_backward", "grad")
        s = _array(saved, name + "_backward", "x")
        if g.dtype != s.dtype:
            g = g.astype(s.dtype)
        kw = {"y" if ctx.use_y else "x": s}
        dx = _tensor(backward_fn(g, **kw, **ctx.params))
        return (dx,) + (None,) * len(keys)

    func = type(f"{spec.torch_name}Function", (torch.autograd.Function,),
                {"forward": staticmethod(fwd), "backward": staticmethod(bwd),
                 "__doc__": f"autograd Function of fastact.{name}."})

    def functional(x, **params):
        resolved = spec.resolve(name, params)
        return func.apply(x, *[resolved[k] for k in keys])

    functional.__name__ = functional.__qualname__ = name
    functional.__doc__ = (f"fastact.{name} on a tensor, differentiable (fastact's "
                          f"{name}_backward in backward).  Parameters: "
                          f"{', '.join(f'{k}={v!r}' for k, v in spec.params.items()) or 'none'}.")

    def init(self, **params):
        torch.nn.Module.__init__(self)
        self.params = spec.resolve(name, params)

    def forward(self, x):
        return func.apply(x, *[self.params[k] for k in keys])

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.params.items())

    module = type(spec.torch_name, (torch.nn.Module,),
                  {"__init__": init, "forward": forward, "extra_repr": extra_repr,
                   "__doc__": f"nn.Module of fastact.{name}: {spec.formula}.",
                   "__module__": __name__})
    _register(name, functional)
    _register(module.__name__, module)
    _register(func.__name__, func)


def _rowwise(spec: Activation):
    name = spec.name
    forward_fn = getattr(fastact, name)
    backward_fn = getattr(fastact, name + "_backward")

    def fwd(ctx, x, dim):
        y = _tensor(forward_fn(_array(x, name, "x"), axis=dim))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def bwd(ctx, grad):
        _no_double_backward(ctx)
        (y,) = ctx.saved_tensors
        ya = _array(y, name + "_backward", "y")
        g = _array(grad, name + "_backward", "grad").astype(ya.dtype, copy=False)
        return _tensor(backward_fn(g, y=ya, axis=ctx.dim)), None

    func = type(f"{spec.torch_name}Function", (torch.autograd.Function,),
                {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})

    def functional(x, dim=-1):
        return func.apply(x, int(dim))

    functional.__name__ = functional.__qualname__ = name
    functional.__doc__ = f"fastact.{name} along dim, differentiable."

    def init(self, dim=-1):
        torch.nn.Module.__init__(self)
        self.dim = int(dim)

    module = type(spec.torch_name, (torch.nn.Module,),
                  {"__init__": init, "forward": lambda self, x: func.apply(x, self.dim),
                   "extra_repr": lambda self: f"dim={self.dim}",
                   "__doc__": f"nn.Module of fastact.{name} along dim.",
                   "__module__": __name__})
    _register(name, functional)
    _register(module.__name__, module)
    _register(func.__name__, func)


class MaxoutFunction(torch.autograd.Function):
    """autograd Function of fastact.maxout (pieces, dim)."""

    @staticmethod
    def forward(ctx, x, pieces, dim):
        ctx.pieces, ctx.dim = pieces, dim
        ctx.save_for_backward(x)
        return _tensor(fastact.maxout(_array(x, "maxout", "x"), pieces, axis=dim))

    @staticmethod
    def backward(ctx, grad):
        _no_double_backward(ctx)
        (x,) = ctx.saved_tensors
        xa = _array(x, "maxout_backward", "x")
        g = _array(grad, "maxout_backward", "grad").astype(xa.dtype, copy=False)
        return (_tensor(fastact.maxout_backward(g, x=xa, pieces=ctx.pieces, axis=ctx.dim)),
                None, None)


def maxout(x, pieces, dim=-1):
    """Maximum of each group of ``pieces`` consecutive entries along dim."""
    return MaxoutFunction.apply(x, int(pieces), int(dim))


class Maxout(torch.nn.Module):
    """nn.Module of fastact.maxout: the dim shrinks by the factor pieces."""

    def __init__(self, pieces, dim=-1):
        super().__init__()
        self.pieces, self.dim = int(pieces), int(dim)

    def forward(self, x):
        return MaxoutFunction.apply(x, self.pieces, self.dim)

    def extra_repr(self):
        return f"pieces={self.pieces}, dim={self.dim}"


class PReLUFunction(torch.autograd.Function):
    """autograd Function of fastact.prelu (x, weight): gradients for both."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return _tensor(fastact.prelu(_array(x, "prelu", "x"), _array(weight, "prelu", "weight")))

    @staticmethod
    def backward(ctx, grad):
        _no_double_backward(ctx)
        x, weight = ctx.saved_tensors
        xa = _array(x, "prelu_backward", "x")
        g = _array(grad, "prelu_backward", "grad").astype(xa.dtype, copy=False)
        dx, dw = fastact.prelu_backward(g, xa, _array(weight, "prelu_backward", "weight"))
        return _tensor(dx), _tensor(dw)


def prelu(x, weight):
    """fastact.prelu on tensors, differentiable in x and weight."""
    return PReLUFunction.apply(x, weight)


class PReLU(torch.nn.Module):
    """nn.Module of fastact.prelu, as torch.nn.PReLU(num_parameters, init)."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = torch.nn.Parameter(torch.full((num_parameters,), float(init),
                                                    dtype=dtype or torch.get_default_dtype()))

    def forward(self, x):
        return PReLUFunction.apply(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


__all__ += ["maxout", "Maxout", "MaxoutFunction", "prelu", "PReLU", "PReLUFunction"]

for _spec in ACTIVATIONS.values():
    if _spec.api == "elementwise":
        _elementwise(_spec)
    elif _spec.api == "rowwise":
        _rowwise(_spec)
del _spec
