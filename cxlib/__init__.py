"""cxlib: customer-experience research with honest statistics.

Use as ``import cxlib as cx``. This file is the one list of the public API: every public
function is imported explicitly below, grouped by the layer and module that defines it, and
``__all__`` is derived from these imports (modules carry no ``__all__`` of their own).
Result classes stay in their modules (``from cxlib.metrics import NPSResult``); the report
layer (findings, display tables, key figures) is ``cx.report``. Importing cxlib does no I/O.

Layers, bottom to top: ``cxlib.core`` (checks, inference, results, io) → ``cxlib.data``
→ analysis (metrics, grouping, helpdesk, churn, survival, value, drivers, segments,
scorecard) → ``cxlib.viz`` (charts) → ``cxlib.report`` (findings, tables, the batch).
"""

from __future__ import annotations

import sys as _sys

from .errors import CXDataError, NotIdentifiedWarning, ResamplingWarning, SlowComputationWarning, SmallBaseWarning

# --- data ---
from . import data as data  # the data layer, reachable as cx.data (cx.data.default_data_dir, ...)
from .data.calendar import latest_quarter, previous_quarter, quarter_bounds, quarter_of, quarter_range
from .data.prepare import drop_duplicate_responses, subset_dataset
from .data.importer import import_study
from .data.readers import read_survey
from .data.roles import study_roles
from .data.scaffold import scaffold_study
from .data.study import load_study
from .data.store import ensure_dataset, fingerprint, load_dataset, write_dataset
from .data.synthetic.generator import synthesize
# --- end data ---

# --- metrics ---
from .grouping import by_group, suppress_small_bases
from .metrics import ces, compare_nps, csat, mean_score, nps, top_box
# --- end metrics ---

# --- helpdesk ---
from .helpdesk import first_contact_resolution, first_response_time, reopen_rate, resolution_time
# --- end helpdesk ---

# --- churn, survival and value ---
from .churn.rates import churn_hazard_by_group, churn_rate, cohort_retention, customers_at_risk
from .churn.tables import churn_spells, churn_table
from .churn.models import churn_drivers
from .survival import survival, survival_at
from .value.clv import bg_nbd, gamma_gamma
from .value.revenue import revenue_at_risk, simple_clv
from .value.transactions import purchase_summary
# --- end churn, survival and value ---

# --- churn on a study's roles ---
from .churn.horizon import churn_horizon
from .churn.study import churn_gap, loyalty_churn_spells, loyalty_churn_table, loyalty_groups, model_controls
from .data.store import load_transactions
# --- end churn on a study's roles ---

# --- drivers ---
from .drivers import (
    driver_stability,
    driver_summary,
    importance_performance,
    key_drivers,
    key_drivers_by_group,
    penalty_reward,
    r_squared_interval,
)
# --- end drivers ---

# --- engines ---
from .drivers.correlation import weighted_correlation  # any engine: pandas, polars, pyarrow, DuckDB, Spark
# --- end engines ---

# --- lazy study ---
from .data.lazy import open_study  # a study on DuckDB / Parquet folders / Spark, analysed in the engine
# --- end lazy study ---

# --- segments ---
from .segments.rules import nps_groups, rfm, tenure_bands, value_tiers
from .segments.attitudinal import attitudinal_segments, k_selection_table, name_segments, segment_agreement
from .segments.profile import profile
from .segments.styles import response_styles, standardize_within
from .segments.style_adjust import study_style_comparison, style_adjusted_comparison, style_column
from .segments.compare import segment_association, segment_outcomes, segment_scorecard
# --- end segments ---

# --- weighting ---
from .data.weights import load_weighting
from .data.weighting import poststratify, rake, weighting_report
# --- end weighting ---

# --- crosstabs ---
from .crosstab import crosstab
# --- end crosstabs ---

# --- scorecard ---
from .scorecard import (
    headline_metrics,
    metric_trend,
    operational_metrics,
    quarter_tickets,
    scorecard_metrics,
    segment_breakdown,
    segment_crosstab,
)
# --- end scorecard ---

# --- journeys ---
from .journeys.build import journey_summary, journeys
from .journeys.paths import directly_follows, path_variants
from .journeys.divergence import path_divergence
from .journeys.touchpoints import channel_consistency, touchpoint_scorecard
from .journeys.omnichannel import channel_switching, journey_responses
from .viz.journeys import plot_top_paths, plot_touchpoint_heatmap
# --- end journeys ---

# --- journey effects ---
from .journeys.effects import (
    churn_panel,
    episode_effects,
    negative_episodes,
    peak_end,
    touchpoint_drivers,
    touchpoint_experiences,
    within_effects,
)
from .viz.journey_effects import plot_recovery_curve
# --- end journey effects ---

# --- ticket switching ---
from .journeys.switching import (
    switching_effect,
    ticket_switch_share,
    ticket_switches,
    ticket_switching_csat,
    ticket_switching_effort,
)
from .viz.journeys import plot_switching_effect
# --- end ticket switching ---

# --- charts ---
from .viz.estimates import plot_estimates, plot_trend, set_theme
from .viz.drivers import plot_driver_importance, plot_driver_stability, plot_importance_performance, plot_penalty_reward
from .viz.survival import plot_cohort_retention, plot_survival
from .viz.segments import plot_profile, plot_response_styles, plot_segment_outcomes, plot_style_comparison
# --- end charts ---

# --- report ---
from . import report as report  # the report layer: cx.report.format_table, cx.report.save_key_figures, ...
from .report import load_definition, run_report
# --- end report ---

__version__ = "0.1.0"

# The public names are exactly the imports above (sub-packages such as ``cx.data`` are
# reachable as attributes but are not names of their own in ``__all__``).
__all__ = sorted(
    _name for _name, _value in list(globals().items())
    if not _name.startswith("_") and _name != "annotations" and not isinstance(_value, type(_sys))
)
