"""The shared core every analysis builds on.

- :mod:`cxlib.core.checks` — input checking (one message style: the argument or column,
  the bad values with their row count, what is valid);
- :mod:`cxlib.core.inference` — critical values, Wilson and percentile-bootstrap
  intervals, multiple-testing adjustment, and the one way an interval, an estimate or a
  suppressed cell is written as text;
- :mod:`cxlib.core.results` — the :class:`~cxlib.core.results.Estimate` result and the
  tidy-table conventions (``estimate, ci_low, ci_high, n`` …, ``scale="percent"``);
- :mod:`cxlib.core.io` — atomic file writes.

Nothing here knows about CX data; nothing here imports matplotlib.
"""
