"""Key-driver analysis: which attributes move the overall rating, and how.

One concern per module:

- :mod:`~cxlib.drivers.correlation` — weighted correlation matrices (listwise or
  pairwise) from the sufficient statistics Σw, Σwz, Σwzzᵀ, and their validation;
- :mod:`~cxlib.drivers.dominance` — all-subset R², Shapley/LMG, relative weights;
- :mod:`~cxlib.drivers.binary` — logistic dominance on McFadden's pseudo-R²;
- :mod:`~cxlib.drivers.importance` — :func:`key_drivers` (prepare, importance,
  bootstrap, result);
- :mod:`~cxlib.drivers.groups` — :func:`key_drivers_by_group`, :func:`driver_stability`;
- :mod:`~cxlib.drivers.quadrants` — :func:`importance_performance`;
- :mod:`~cxlib.drivers.asymmetry` — :func:`penalty_reward` (asymmetric drivers);
- :mod:`~cxlib.drivers.summary` — tidy summaries (:func:`driver_summary`,
  :func:`r_squared_interval`, :func:`top_driver_lead`, :func:`segment_driver_differences`);
- :mod:`~cxlib.drivers.results` — the result classes.

Charts are in :mod:`cxlib.viz.drivers`, findings sentences and display tables in
:mod:`cxlib.report.findings.drivers`; nothing here imports matplotlib or writes sentences.
The bootstrap reuses the correlation path with resampling counts multiplied into the
weights, so point estimates and replicates are computed the same way.
"""

from __future__ import annotations

from .groups import driver_stability, key_drivers_by_group
from .importance import key_drivers
from .asymmetry import penalty_reward
from .quadrants import importance_performance
from .results import (
    DriverStabilityResult,
    ImportancePerformanceResult,
    KeyDriverResult,
    KeyDriversByGroupResult,
    PenaltyRewardResult,
)
from .summary import driver_summary, r_squared_interval, segment_driver_differences, top_driver_lead
