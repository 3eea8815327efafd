"""fastact.torch (issue 13): autograd Functions and nn.Modules on fastact's
kernels, without copies; gradcheck in float64; a small model trains."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ft = pytest.importorskip("fastact.torch")

import fastact  # noqa: E402
from fastact import ACTIVATIONS  # noqa: E402

ELEMENTWISE = [s for s in ACTIVATIONS.values() if s.api == "elementwise"]
ROWWISE = [s for s in ACTIVATIONS.values() if s.api == "rowwise" and s.name != "maxout"]


def _x(shape=(5, 7), dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=dtype) * 3
    # keep gradcheck's finite differences off the kinks (0, +-1, +-3, 6)
    return (x + 0.05 * torch.sign(x)).requires_grad_()


@pytest.mark.parametrize("spec", ELEMENTWISE, ids=lambda s: s.name)
def test_gradcheck_elementwise(spec):
    f = getattr(ft, spec.name)
    x = _x()
    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-5)
    if spec.choices:
        assert torch.autograd.gradcheck(lambda t: f(t, approximate="tanh"), (x,),
                                        eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("spec", ROWWISE, ids=lambda s: s.name)
@pytest.mark.parametrize("dim", [0, 1])
def test_gradcheck_rowwise(spec, dim):
    f = getattr(ft, spec.name)
    assert torch.autograd.gradcheck(lambda t: f(t, dim=dim), (_x(),), eps=1e-6, atol=1e-5)


def test_gradcheck_maxout_and_prelu():
    x = _x((4, 6, 3))
    assert torch.autograd.gradcheck(lambda t: ft.maxout(t, 3, dim=1), (x,))
    w = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ft.prelu, (x, w))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modules_match_torch(dtype):
    x = _x((64, 33), dtype)
    pairs = [(ft.ReLU(), torch.nn.ReLU()), (ft.GELU(), torch.nn.GELU()),
             (ft.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
             (ft.SiLU(), torch.nn.SiLU()), (ft.Tanh(), torch.nn.Tanh()),
             (ft.LeakyReLU(negative_slope=0.2), torch.nn.LeakyReLU(0.2)),
             (ft.ELU(alpha=0.5), torch.nn.ELU(0.5)), (ft.Mish(), torch.nn.Mish()),
             (ft.Softmax(dim=1), torch.nn.Softmax(dim=1)),
             (ft.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0))]
    # float32: torch rounds some derivatives (tanh' from a rounded y, sigmoid tails)
    # to 0 where fastact keeps ~1e-6; float64 agrees to rounding
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
    for ours, theirs in pairs:
        a = x.detach().clone().requires_grad_()
        b = x.detach().clone().requires_grad_()
        ya, yb = ours(a), theirs(b)
        assert ya.dtype == dtype
        torch.testing.assert_close(ya, yb, **tol)
        g = torch.randn_like(ya)
        ya.backward(g)
        yb.backward(g)
        torch.testing.assert_close(a.grad, b.grad, **tol)


def test_no_copies(monkeypatch):
    """The arrays fastact sees are the tensors' own memory, and the output
    tensor is fastact's result array itself."""
    seen = {}
    real_forward, real_backward = fastact.silu, fastact.silu_backward

    def forward(x, **kw):
        seen["x"] = x.__array_interface__["data"][0]
        y = real_forward(x, **kw)
        seen["y"] = y.__array_interface__["data"][0]
        return y

    def backward(g, **kw):
        seen["g"] = g.__array_interface__["data"][0]
        return real_backward(g, **kw)

    monkeypatch.setattr(fastact, "silu", forward)
    monkeypatch.setattr(fastact, "silu_backward", backward)
    import importlib
    mod = importlib.reload(ft)
    try:
        x = torch.randn(100, 10, requires_grad=True)
        y = mod.silu(x)
        assert seen["x"] == x.data_ptr() and seen["y"] == y.data_ptr()
        g = torch.randn(100, 10)
        y.backward(g)
        assert seen["g"] == g.data_ptr()
    finally:
        monkeypatch.undo()
        importlib.reload(ft)


def test_strided_and_expanded_gradients():
    x = torch.randn(8, 6, dtype=torch.float64, requires_grad=True)
    y = ft.sigmoid(x.t()[::2])          # a strided view in
    y.sum().backward()                   # an expanded (stride 0) gradient back
    ref = torch.sigmoid(x.detach().t()[::2])
    expect = torch.zeros(6, 8, dtype=torch.float64)
    expect[::2] = ref * (1 - ref)
    torch.testing.assert_close(x.grad, expect.t())


def test_errors():
    with pytest.raises(TypeError, match="float32/float64"):
        ft.relu(torch.ones(3, dtype=torch.float16))
    with pytest.raises(TypeError, match="unexpected keyword"):
        ft.ELU(beta=2.0)
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    y = ft.tanh(x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=False)
    assert g.shape == x.shape


@pytest.fixture
def torch_one_thread():
    """torch's and fastact's OpenMP runtimes are two thread pools that each spin
    while waiting; on a busy 2-core machine they make a 0.3 s training loop on
    tiny tensors take seconds (README: PyTorch, threads)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with fastact.num_threads(1):
        yield
    torch.set_num_threads(before)


def test_small_model_trains(torch_one_thread):
    torch.manual_seed(0)
    n = 256
    x = torch.randn(n, 2)
    labels = ((x[:, 0] * x[:, 1]) > 0).long()          # XOR-like: needs the hidden layer
    model = torch.nn.Sequential(torch.nn.Linear(2, 32), ft.GELU(), torch.nn.Linear(32, 32),
                                ft.PReLU(32), torch.nn.Linear(32, 2), ft.LogSoftmax(dim=1))
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.nll_loss(model(x), labels)
        loss.backward()
        opt.step()
    accuracy = (model(x).argmax(1) == labels).float().mean().item()
    assert accuracy > 0.9, accuracy
    assert model[3].weight.grad is not None


def test_backward_matches_numpy_keyword_api():
    x = np.random.default_rng(0).standard_normal(50).astype(np.float32)
    t = torch.from_numpy(x.copy()).requires_grad_()
    ft.softplus(t, beta=2.0).backward(torch.ones(50))
    y = fastact.softplus(x, beta=2.0)    # softplus' is taken from y, as PyTorch does
    np.testing.assert_array_equal(t.grad.numpy(),
                                  fastact.softplus_backward(np.ones(50, np.float32), y=y,
                                                            beta=2.0))
