"""Measurement, not product: what fastact is timed and judged against.

* ``report``: the speed report, ``python -m fastact``;
* ``baselines``: NumPy, SciPy and PyTorch as their users write each activation
  (the report, benchmarks/ and the accuracy sweep's ``--others`` time these);
* ``accuracy``: the exhaustive float32 sweep, ``python -m fastact.accuracy``;
* ``references`` and ``ulp``: the independent references and the ULP measure
  that the sweep and the tests (tests/) judge the kernels with;
* ``rows``: what these take from the table (labels, directions).

Nothing in the public API (``import fastact``) imports this package.
"""
