"""cxlib: customer-experience research with honest statistics.

Use as ``import cxlib as cx``. This file is the one list of the public API: every public
name is imported explicitly below, grouped by the module that defines it, and ``__all__``
is derived from these imports (modules carry no ``__all__`` of their own). Result classes
stay importable from their modules (``from cxlib.metrics import NPSResult``). Importing
cxlib does no I/O.
"""

from __future__ import annotations

import sys as _sys

from .errors import CXDataError, SmallBaseWarning
from .core.results import Estimate

# --- metrics (survey metrics) ---
from .metrics import (
    MeanResult,
    NPSComparison,
    NPSResult,
    ProportionResult,
    by_group,
    ces,
    compare_nps,
    csat,
    mean_score,
    nps,
    suppress_small_bases,
    top_box,
)
# --- end metrics ---

# --- operations (helpdesk metrics, churn rate, cohort retention) ---
from .operations import (
    RateEstimate,
    QuantileEstimate,
    DurationSummary,
    reopen_rate,
    first_contact_resolution,
    first_response_time,
    resolution_time,
)
# --- end operations ---

# --- synth / data ---
from .data import (
    CXData,
    PlantedTruth,
    drop_duplicate_responses,
    ensure_dataset,
    fingerprint,
    latest_quarter,
    load_dataset,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    quarter_range,
    write_dataset,
)
from .synth import synthesize
from . import data as data  # noqa: E402  (re-exported: cx.data.default_data_dir)
# --- end synth / data ---

# --- drivers ---
from .drivers import (
    DriverStabilityResult,
    ImportancePerformanceResult,
    KeyDriverResult,
    KeyDriversByGroupResult,
    PenaltyRewardResult,
    driver_stability,
    driver_summary,
    format_penalty_reward,
    importance_performance,
    key_driver_figures,
    key_driver_findings,
    key_drivers,
    key_drivers_by_group,
    penalty_reward,
    plot_importance_performance,
    plot_penalty_reward,
    r_squared_interval,
    segment_driver_differences,
)
# --- end drivers ---

# --- outcomes ---
from .churn.rates import churn_hazard_by_group, churn_rate, cohort_retention, customers_at_risk
from .churn.tables import churn_spells, churn_table
from .churn.models import churn_drivers
from .survival import survival, survival_at
from .value.clv import bg_nbd, gamma_gamma
from .value.revenue import revenue_at_risk, simple_clv
from .viz.survival import plot_survival
# --- end outcomes ---

# --- segments ---
from .segments import (
    RFM_SEGMENT_MAP,
    AttitudinalSegments,
    ResponseStyles,
    RFMResult,
    RuleSegments,
    attitudinal_segments,
    k_selection_table,
    name_segments,
    nps_groups,
    plot_profile,
    plot_response_styles,
    profile,
    profile_table,
    response_styles,
    rfm,
    segment_association,
    segment_findings,
    segment_key_figures,
    segment_outcomes,
    segment_scorecard,
    standardize_within,
    tenure_bands,
    value_tiers,
)
# --- end segments ---

# --- plots / report ---
from . import report as report  # the report layer: cx.report.format_table, ...
from .report.figures import load_key_figures, save_key_figures
from .report.provenance import provenance_table
from .viz.estimates import plot_estimates, plot_trend, set_theme
from .report.runner import ReportDefinitionError, load_definition, run_report
from .scorecard import (
    headline_metrics,
    metric_trend,
    operational_metrics,
    scorecard_findings,
    scorecard_key_figures,
    segment_breakdown,
    subset_dataset,
)
from .report.tables import DisplayTable, format_interval, format_table
# --- end plots / report ---

__version__ = "0.1.0"

# The public names are exactly the imports above (sub-packages such as ``cx.data`` are
# reachable as attributes but are not names of their own in ``__all__``).
__all__ = sorted(
    _name for _name, _value in list(globals().items())
    if not _name.startswith("_") and _name != "annotations" and not isinstance(_value, type(_sys))
)
