"""cxlib: customer-experience research with honest statistics.

Use as ``import cxlib as cx``. Every public name is imported explicitly below, grouped
by the module that defines it. Importing cxlib does no I/O.
"""

from __future__ import annotations

from .errors import CXDataError, SmallBaseWarning
from .results import Estimate

# --- metrics (survey metrics) ---
# --- end metrics ---

# --- operations (helpdesk metrics, churn rate, cohort retention) ---
# --- end operations ---

# --- synth / data ---
# --- end synth / data ---

# --- drivers ---
# --- end drivers ---

# --- outcomes ---
# --- end outcomes ---

# --- segments ---
# --- end segments ---

# --- plots / report ---
# --- end plots / report ---

__version__ = "0.1.0"

__all__ = [
    "CXDataError",
    "SmallBaseWarning",
    "Estimate",
    # metrics
    # end metrics
    # operations
    # end operations
    # synth / data
    # end synth / data
    # drivers
    # end drivers
    # outcomes
    # end outcomes
    # segments
    # end segments
    # plots / report
    # end plots / report
]
