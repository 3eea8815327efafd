"""fastact.torch against PyTorch's own modules (issue 13).

    pytest benchmarks/test_torch_bench.py --benchmark-only

float32 (4096, 1024) activations, forward + backward through autograd
(``y = module(x); y.backward(g)``), one group per (activation, threads) so the
two sit side by side.  Both libraries get the same thread count (torch's
intra-op pool and fastact's OpenMP setting).  Also the keyword API and the
ufunc on the same array without autograd, for what autograd costs.
"""

import numpy as np
import pytest

import fastact

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastact.torch")

SHAPE = (4096, 1024)
MODULES = {
    "relu": (lambda: torch.nn.ReLU(), lambda: ft.ReLU()),
    "gelu": (lambda: torch.nn.GELU(), lambda: ft.GELU()),
    "silu": (lambda: torch.nn.SiLU(), lambda: ft.SiLU()),
    "sigmoid": (lambda: torch.nn.Sigmoid(), lambda: ft.Sigmoid()),
    "mish": (lambda: torch.nn.Mish(), lambda: ft.Mish()),
    "softmax": (lambda: torch.nn.Softmax(dim=1), lambda: ft.Softmax(dim=1)),
}

pytestmark = pytest.mark.benchmark(min_rounds=5, max_time=0.4, warmup=True,
                                   warmup_iterations=2)


@pytest.fixture
def threads(request):
    n = request.param
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    with fastact.num_threads(n):
        yield n
    torch.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2], indirect=True)
@pytest.mark.parametrize("lib", ["torch", "fastact"])
@pytest.mark.parametrize("name", list(MODULES))
def test_forward_backward(benchmark, name, lib, threads):
    benchmark.group = f"torch module {name} fwd+bwd {SHAPE} float32, {threads} thread(s)"
    module = MODULES[name][0 if lib == "torch" else 1]()
    x = torch.randn(SHAPE).requires_grad_()
    g = torch.randn(SHAPE)

    def step():
        x.grad = None
        module(x).backward(g)

    benchmark(step)


@pytest.mark.parametrize("threads", [1, 2], indirect=True)
@pytest.mark.parametrize("api", ["keyword", "ufunc"])
def test_numpy_apis_forward(benchmark, api, threads):
    benchmark.group = f"numpy gelu forward {SHAPE} float32, {threads} thread(s)"
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    out = np.empty_like(x)
    f = (lambda: fastact.gelu(x, out=out)) if api == "keyword" else \
        (lambda: fastact.ufunc.gelu(x, out=out))
    benchmark(f)
