"""Dead-unit monitoring: how much of a layer's output sits on the flat piece.

The sources fastact grew from advise: "if more than 50% of a layer's outputs
are zero, switch to Leaky ReLU or lower the learning rate".  A
:class:`DeadUnitMonitor` passed to a forward call (``monitor=``) of relu,
relu6, leaky_relu or prelu counts, in the same pass over memory as the
activation itself, the outputs on the activation's flat piece:

========== ====================== =========================================
activation counted where           meaning
========== ====================== =========================================
relu       x <= 0                 output 0, gradient 0
relu6      x <= 0 or x >= 6       output 0 or 6, gradient 0
leaky_relu x <= 0                 the negative_slope piece
prelu      x <= 0                 the weight[c] piece
========== ====================== =========================================

NaN is on no piece (relu(NaN) is NaN, not 0), so a NaN output is not counted
as dead; it still counts in the total.  The counts are exact integers,
independent of the thread count.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._kernels import MonitorCounts

ADVICE = ("switch to Leaky ReLU or lower the learning rate (the sources' advice when "
          "more than {threshold:.0%} of a layer's outputs are zero)")


class DeadUnitWarning(RuntimeWarning):
    """A monitored call put more than the threshold of its outputs on the flat piece."""


class DeadUnitMonitor(MonitorCounts):
    """Counts the outputs on the flat piece of the forward calls it is passed to.

    ``fastact.relu_(h, monitor=m)`` computes relu in place and, in the same
    pass, adds to ``m`` the number of elements with ``x <= 0``.  One monitor
    per layer; call :meth:`reset` when a new period starts (an epoch).

    Parameters
    ----------
    threshold : float
        Fraction above which :meth:`exceeded` is true and :meth:`advice`
        speaks (default 0.5, the sources' "more than 50%").
    per_channel : bool
        Also count per channel: axis 1 for ``ndim >= 2`` (features of a
        ``(batch, features)`` array, channels of ``(N, C, H, W)``), axis 0 for
        1-d input.  Every call must then have the same number of channels.
    warn : bool
        Emit a :class:`DeadUnitWarning` when a call's fraction exceeds the
        threshold (Python's warning filters apply: by default once per
        call site).
    name : str
        Used in messages ("hidden layer 1").

    What it tells
    -------------
    ``last_fraction`` (the last call), ``fraction`` (all calls since reset),
    ``channel_fraction`` / ``last_channel_fraction`` (per channel, with
    ``per_channel``), ``dead_channels`` (channels on the flat piece for every
    element since reset: units that did not fire once), and the raw counts
    ``dead``, ``total``, ``last_dead``, ``last_total``, ``calls``,
    ``channel_dead``, ``channel_total`` (see ``MonitorCounts``).
    """

    def __init__(self, threshold: float = 0.5, *, per_channel: bool = False,
                 warn: bool = False, name: str | None = None):
        threshold = float(threshold)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"DeadUnitMonitor: threshold must be in [0, 1], got {threshold}")
        super().__init__(per_channel)
        self.threshold = threshold
        self.warn = bool(warn)
        self.name = name

    # -- fractions -------------------------------------------------------------
    @property
    def fraction(self) -> float:
        """Fraction of the outputs on the flat piece since reset (NaN before any)."""
        return self.dead / self.total if self.total else float("nan")

    @property
    def last_fraction(self) -> float:
        """The same for the last call alone."""
        return self.last_dead / self.last_total if self.last_total else float("nan")

    @property
    def channel_fraction(self) -> np.ndarray | None:
        """Per channel, since reset (None without per_channel or before a call)."""
        if self.channel_dead is None:
            return None
        return self.channel_dead / self.channel_total if self.channel_total else np.full(
            self.channel_dead.shape, np.nan)

    @property
    def last_channel_fraction(self) -> np.ndarray | None:
        if self.last_channel_dead is None:
            return None
        return self.last_channel_dead / self.last_channel_total if self.last_channel_total \
            else np.full(self.last_channel_dead.shape, np.nan)

    @property
    def dead_channels(self) -> int | None:
        """Channels whose every output since reset was on the flat piece."""
        if self.channel_dead is None:
            return None
        return int(np.count_nonzero((self.channel_dead == self.channel_total)
                                    & (self.channel_total > 0)))

    # -- the advice ------------------------------------------------------------
    def exceeded(self, last: bool = False) -> bool:
        """True when more than ``threshold`` of the outputs (since reset, or of
        the last call) were on the flat piece."""
        f = self.last_fraction if last else self.fraction
        return bool(f > self.threshold)

    def advice(self, last: bool = False) -> str | None:
        """The sources' advice when :meth:`exceeded`, else None."""
        if not self.exceeded(last):
            return None
        f = self.last_fraction if last else self.fraction
        who = f"{self.name}: " if self.name else ""
        return (f"{who}{f:.1%} of the outputs are on the flat piece "
                f"({'last call' if last else f'{self.calls} calls'}); "
                + ADVICE.format(threshold=self.threshold))

    def _after_call(self, fname: str):
        """Called by the API after each monitored call when ``warn`` is set."""
        if self.last_total and self.last_dead > self.threshold * self.last_total:
            warnings.warn(f"{fname}(): " + self.advice(last=True), DeadUnitWarning,
                          stacklevel=3)

    def __repr__(self):
        parts = [f"threshold={self.threshold}"]
        if self.name:
            parts.insert(0, repr(self.name))
        if self.per_channel:
            parts.append("per_channel=True")
        if self.warn:
            parts.append("warn=True")
        state = (f"{self.calls} calls, {self.dead}/{self.total} dead ({self.fraction:.1%})"
                 if self.calls else "no calls yet")
        return f"<DeadUnitMonitor {', '.join(parts)}: {state}>"
