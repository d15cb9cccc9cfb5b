"""Banner tables (crosstabs): questions down the side, a banner of groups across the top,
and the letters of the columns each cell is significantly higher than.

One concern per module:

- :mod:`~cxlib.crosstab.spec` — the arguments checked and turned into a plan: the row
  questions (levels, nets, statistics) coded once, the banner columns with their letters;
- :mod:`~cxlib.crosstab.sums` — rows to per-cell sufficient statistics in one pass per
  banner variable (counts, Σw, Σw² per level; n, Σw, Σw², Σwx, Σwx² per rating), then the
  estimates, intervals and bases of every cell from that small table;
- :mod:`~cxlib.crosstab.significance` — the pairwise tests between the columns of one
  banner variable (pooled column-proportion z-test, Welch's t-test, two-NPS z-test), the
  multiple-comparison correction per row and the letters;
- :mod:`~cxlib.crosstab.table` — :func:`crosstab` and its result, :class:`Crosstab`.

The HTML rendering and the Excel export are in the report layer,
:mod:`cxlib.report.crosstab_export`; nothing here writes files or sentences.
"""

from __future__ import annotations

# every sub-module is loaded here, so that none is first imported later (which would
# rebind the attribute ``cxlib.crosstab`` from the function to this package)
from . import significance, spec, sums  # noqa: F401
from .table import Crosstab, crosstab  # noqa: F401
