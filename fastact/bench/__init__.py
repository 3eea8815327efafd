"""Measurement, not product: what fastact is timed and judged against.

* ``report``: the speed report, ``python -m fastact``;
* ``baselines``: NumPy, SciPy and PyTorch as their users write each activation
  (the report, benchmarks/ and the accuracy sweep's ``--others`` time these);
* ``accuracy``: the exhaustive float32 sweep, ``python -m fastact.accuracy``.

Nothing in the public API (``import fastact``) imports this package.
"""
