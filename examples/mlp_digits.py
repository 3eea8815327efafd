"""A multilayer perceptron in NumPy, trained with fastact's in-place activations.

    python examples/mlp_digits.py                    # relu, 20 epochs, vs NumPy
    python examples/mlp_digits.py --activation gelu
    python examples/mlp_digits.py --hidden 512 --batch 128 --epochs 30

The data is scikit-learn's bundled digits set (1,797 8x8 images of 0-9; no
download): 75% to train, 25% to test.  The network is 64 -> hidden -> hidden ->
10 with relu (or gelu) hidden layers and a log_softmax + negative log-likelihood
output, trained by minibatch SGD with momentum; every array is float32 and
preallocated, and every activation runs in place:

* forward:  ``fastact.relu_(h, monitor=m)`` (the monitor counts, in the same
  pass, the outputs relu set to 0), ``fastact.log_softmax_(z)``;
* backward: ``fastact.log_softmax_backward_(g, y=z)`` and
  ``fastact.relu_backward_(g, y=h)``: from the outputs the forward pass left
  (gelu needs its input, so it keeps it: ``gelu(h, out=a)``,
  ``gelu_backward_(g, x=h)``).

The same network, from the same initial weights and the same minibatches, is
trained a second time with the activations composed from NumPy ufuncs (what
one writes without fastact: ``np.maximum``, a mask multiply, max-subtracted
log-sum-exp; gelu through scipy.special.ndtr), epoch by epoch interleaved with
the first, so both see the same machine load.  The dead-unit fraction (share
of hidden outputs on relu's flat piece, x <= 0) comes from a
fastact.DeadUnitMonitor per layer in the fastact run, and from an extra
``np.count_nonzero`` pass in the NumPy one.

Per epoch it prints the loss, the test accuracy, the dead fraction and the
dead units (hidden units that were 0 for every training example of the
epoch) per layer, and the time per epoch of both versions; at the end the
median epoch times and how much of them the activations took.  Times are the
CPU time of the training thread (``time.thread_time``), with BLAS and fastact
on ``--threads`` threads (default 1): on a shared machine wall-clock epochs of
a few milliseconds swing by 10x with the load, CPU time does not.  (With more
threads the CPU time counts only this thread's share; use --wall then.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import fastact

SQRT_HALF = np.float32(np.sqrt(0.5))
INV_SQRT_2PI = np.float32(1 / np.sqrt(2 * np.pi))


def load_digits(seed: int, dtype):
    """(x_train, y_train, x_test, y_test): features scaled to [0, 1], centred
    on the training mean."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    data = sk_digits()
    x = (data.data / 16.0).astype(dtype)
    xtr, xte, ytr, yte = train_test_split(x, data.target, test_size=0.25,
                                          random_state=seed, stratify=data.target)
    mean = xtr.mean(axis=0, dtype=np.float64).astype(dtype)
    return xtr - mean, ytr, xte - mean, yte


# ---------------------------------------------------------------------------
# Activations: the only code that differs between the two runs.
# ---------------------------------------------------------------------------
class FastactActivations:
    """Hidden activation and log_softmax with fastact, in place."""

    name = "fastact"

    def __init__(self, activation: str, layers: int):
        self.activation = activation
        # One monitor per hidden layer; per_channel counts each unit (axis 1).
        self.monitors = [fastact.DeadUnitMonitor(per_channel=True, name=f"hidden {i + 1}")
                         for i in range(layers)]

    def hidden_(self, layer: int, h, a):
        """a = f(h); returns what backward needs.  relu writes h itself."""
        if self.activation == "relu":
            fastact.relu_(h, monitor=self.monitors[layer])
            return h
        fastact.gelu(h, out=a)
        return a

    def hidden_backward_(self, layer: int, g, h, a):
        """g <- g * f'(h), in place."""
        if self.activation == "relu":
            fastact.relu_backward_(g, y=h)        # h holds relu(h) now
        else:
            fastact.gelu_backward_(g, x=h)

    def log_softmax_(self, z):
        fastact.log_softmax_(z, axis=1)

    def log_softmax_backward_(self, g, z):
        fastact.log_softmax_backward_(g, y=z, axis=1)

    def epoch_start(self):
        for m in self.monitors:
            m.reset()

    def dead_report(self, layer: int):
        """(fraction of outputs on the flat piece, units dead all epoch) for the
        epoch; (nan, None) for gelu, which has no flat piece."""
        m = self.monitors[layer]
        return m.fraction, m.dead_channels


class NumpyActivations:
    """The same with NumPy ufuncs (what one writes without fastact)."""

    name = "numpy"

    def __init__(self, activation: str, layers: int):
        self.activation = activation
        self.layers = layers
        self.epoch_start()
        if activation == "gelu":
            from scipy.special import ndtr  # NumPy has no erf
            self.ndtr = ndtr

    def epoch_start(self):
        self.dead_count = [0] * self.layers
        self.total = [0] * self.layers
        self.unit_fired = [None] * self.layers

    def _count(self, layer, h):
        # The monitor's job done by hand: one more pass over the layer's output.
        flat = h <= 0
        self.dead_count[layer] += int(np.count_nonzero(flat))
        self.total[layer] += h.size
        fired = ~flat.all(axis=0)
        prev = self.unit_fired[layer]
        self.unit_fired[layer] = fired if prev is None else prev | fired

    def hidden_(self, layer: int, h, a):
        if self.activation == "relu":
            self._count(layer, h)
            np.maximum(h, 0, out=h)
            return h
        self.ndtr(h, out=a)                   # Phi(h)
        np.multiply(a, h, out=a)
        return a

    def hidden_backward_(self, layer: int, g, h, a):
        if self.activation == "relu":
            np.multiply(g, h > 0, out=g)
        else:
            # Phi(h) + h * phi(h)
            phi = np.exp(-0.5 * h * h) * INV_SQRT_2PI
            np.multiply(g, self.ndtr(h) + h * phi, out=g)

    def log_softmax_(self, z):
        z -= z.max(axis=1, keepdims=True)
        z -= np.log(np.exp(z).sum(axis=1, keepdims=True))

    def log_softmax_backward_(self, g, z):
        g -= np.exp(z) * g.sum(axis=1, keepdims=True)

    def dead_report(self, layer: int):
        fired = self.unit_fired[layer]
        return (self.dead_count[layer] / self.total[layer] if self.total[layer] else float("nan"),
                int(np.count_nonzero(~fired)) if fired is not None else None)


# ---------------------------------------------------------------------------
# The network: shared by both runs.
# ---------------------------------------------------------------------------
class MLP:
    def __init__(self, sizes, acts, seed: int, dtype, lr: float, momentum: float,
                 batch: int):
        rng = np.random.default_rng(seed)
        # He initialisation for the relu-family layers.
        self.W = [(rng.standard_normal((m, n)) * np.sqrt(2.0 / m)).astype(dtype)
                  for m, n in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(n, dtype) for n in sizes[1:]]
        self.vW = [np.zeros_like(w) for w in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.acts, self.lr, self.momentum = acts, dtype(lr), dtype(momentum)
        self.dtype, self.sizes = dtype, sizes
        self._alloc(batch)
        self.act_seconds = 0.0
        self.clock = time.thread_time

    def _alloc(self, batch):
        self.batch = batch
        self.h = [np.empty((batch, n), self.dtype) for n in self.sizes[1:]]   # pre-activations
        self.a = [np.empty((batch, n), self.dtype) for n in self.sizes[1:-1]]  # gelu outputs
        self.g = [np.empty((batch, n), self.dtype) for n in self.sizes[1:]]   # gradients

    def forward(self, x, train: bool = True):
        """Log-probabilities (batch, 10), a view of preallocated memory."""
        if x.shape[0] != self.batch:
            self._alloc(x.shape[0])
        timer = self.clock
        inp = x
        self.saved = []
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            h = self.h[i]
            np.matmul(inp, w, out=h)
            h += b
            t0 = timer()
            if i < len(self.W) - 1:
                inp = self.acts.hidden_(i, h, self.a[i]) if train else self._eval_hidden(i, h)
            else:
                self.acts.log_softmax_(h)
                inp = h
            self.act_seconds += timer() - t0
            self.saved.append(inp)
        return inp

    def _eval_hidden(self, i, h):
        # Evaluation: same activation, no monitor (the counts are for training).
        if self.acts.activation == "relu":
            fastact.relu_(h) if self.acts.name == "fastact" else np.maximum(h, 0, out=h)
            return h
        if self.acts.name == "fastact":
            return fastact.gelu(h, out=self.a[i])
        self.acts.ndtr(h, out=self.a[i])
        return np.multiply(self.a[i], h, out=self.a[i])

    def backward(self, x, y):
        """Gradient of the mean NLL; updates the weights (SGD with momentum)."""
        timer = self.clock
        n = x.shape[0]
        logp = self.saved[-1]
        g = self.g[-1]
        g.fill(0)
        g[np.arange(n), y] = -1.0 / n              # d(mean NLL)/d(log-probabilities)
        t0 = timer()
        self.acts.log_softmax_backward_(g, logp)
        self.act_seconds += timer() - t0
        for i in range(len(self.W) - 1, -1, -1):
            inp = x if i == 0 else self.saved[i - 1]
            dW = inp.T @ g
            db = g.sum(axis=0)
            if i > 0:
                gp = self.g[i - 1]
                np.matmul(g, self.W[i].T, out=gp)
                t0 = timer()
                self.acts.hidden_backward_(i - 1, gp, self.h[i - 1], self.a[i - 1])
                self.act_seconds += timer() - t0
                g = gp
            self.vW[i] *= self.momentum
            self.vW[i] -= self.lr * dW
            self.W[i] += self.vW[i]
            self.vb[i] *= self.momentum
            self.vb[i] -= self.lr * db
            self.b[i] += self.vb[i]
        return float(-logp[np.arange(n), y].mean())

    def accuracy(self, x, y):
        pred = self.forward(x, train=False).argmax(axis=1)
        return float((pred == y).mean())


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--activation", choices=("relu", "gelu"), default="relu")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="threads for BLAS (through threadpoolctl) and fastact (default 1)")
    p.add_argument("--wall", action="store_true",
                   help="time epochs by the wall clock instead of the thread's CPU time")
    p.add_argument("--no-numpy", action="store_true",
                   help="train only the fastact network (no NumPy comparison)")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:   # scikit-learn depends on threadpoolctl
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(args.threads)
    except ImportError:
        limits = None
    try:
        with fastact.num_threads(args.threads):
            return train(args)
    finally:
        if limits is not None:
            limits.restore_original_limits()


def train(args) -> dict:
    dtype = np.float32
    clock = time.perf_counter if args.wall else time.thread_time
    xtr, ytr, xte, yte = load_digits(args.seed, dtype)
    sizes = [xtr.shape[1], args.hidden, args.hidden, 10]
    layers = len(sizes) - 2
    runs = [FastactActivations(args.activation, layers)]
    if not args.no_numpy:
        runs.append(NumpyActivations(args.activation, layers))
    nets = [MLP(sizes, acts, args.seed, dtype, args.lr, args.momentum, args.batch)
            for acts in runs]
    rng = np.random.default_rng(args.seed + 1)
    say = (lambda *a, **k: None) if args.quiet else print
    say(f"digits: {len(xtr)} train / {len(xte)} test, MLP {' -> '.join(map(str, sizes))}, "
        f"{args.activation}, batch {args.batch}, SGD lr {args.lr} momentum {args.momentum}, "
        f"float32; fastact {fastact.__version__}; {args.threads} thread(s); times: "
        f"{'wall clock' if args.wall else 'CPU time of the training thread'}")
    dead_cols = "  ".join(f"dead h{i + 1} (units)" for i in range(layers))
    say(f"{'epoch':>5} {'loss':>7} {'test acc':>8}  {dead_cols}  "
        + "".join(f"{a.name + ' ms':>11}" for a in runs))
    history = []
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(xtr))
        batches = [order[k:k + args.batch] for k in range(0, len(order), args.batch)]
        row = {"epoch": epoch}
        for net in nets:   # interleaved: both versions see the same machine load
            net.acts.epoch_start()
            net.act_seconds = 0.0
            net.clock = clock
            t0 = clock()
            losses = []
            for idx in batches:
                xb, yb = xtr[idx], ytr[idx]
                net.forward(xb)
                losses.append(net.backward(xb, yb))
            seconds = clock() - t0
            name = net.acts.name
            row[name] = {
                "seconds": seconds, "activation_seconds": net.act_seconds,
                "loss": float(np.mean(losses)), "test_accuracy": net.accuracy(xte, yte),
                "dead": [net.acts.dead_report(i) for i in range(layers)],
            }
        history.append(row)
        fa = row["fastact"]
        dead = "  ".join(f"{frac:6.1%} ({units:3d})" if units is not None else f"{'-':>12}"
                         for frac, units in fa["dead"])
        say(f"{epoch:5d} {fa['loss']:7.4f} {fa['test_accuracy']:8.2%}  {dead}  "
            + "".join(f"{row[a.name]['seconds'] * 1e3:11.1f}" for a in runs))

    summary = {"activation": args.activation, "epochs": args.epochs, "sizes": sizes,
               "clock": "wall" if args.wall else "thread_time", "history": history}
    for acts in runs:
        name = acts.name
        secs = [h[name]["seconds"] for h in history]
        summary[name] = {
            "test_accuracy": history[-1][name]["test_accuracy"],
            "median_epoch_seconds": statistics.median(secs),
            "median_activation_seconds": statistics.median(
                h[name]["activation_seconds"] for h in history),
            "dead_fraction_last_epoch": [d[0] for d in history[-1][name]["dead"]],
        }
    fa = summary["fastact"]
    print(f"fastact: test accuracy {fa['test_accuracy']:.2%} after {args.epochs} epochs, "
          f"median epoch {fa['median_epoch_seconds'] * 1e3:.1f} ms "
          f"(activations {fa['median_activation_seconds'] * 1e3:.1f} ms)")
    if "numpy" in summary:
        nu = summary["numpy"]
        print(f"numpy:   test accuracy {nu['test_accuracy']:.2%}, median epoch "
              f"{nu['median_epoch_seconds'] * 1e3:.1f} ms (activations "
              f"{nu['median_activation_seconds'] * 1e3:.1f} ms"
              + (", dead-unit count included)" if args.activation == "relu" else ")"))
        print(f"fastact epoch {nu['median_epoch_seconds'] / fa['median_epoch_seconds']:.2f}x "
              f"as fast as numpy; activations "
              f"{nu['median_activation_seconds'] / fa['median_activation_seconds']:.2f}x")
    for m in runs[0].monitors if args.activation == "relu" else []:
        advice = m.advice()
        if advice:
            print(advice)
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
