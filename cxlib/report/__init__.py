"""The report layer: what turns results into what a reviewer reads.

- the batch: :mod:`~cxlib.report.definition` (the report definition, validated),
  :mod:`~cxlib.report.runs` (runs planned and checked against the notebooks' parameters),
  :mod:`~cxlib.report.execute` (papermill runs in parallel, failures isolated, resume);
- :mod:`~cxlib.report.render` — reviewer HTML; :mod:`~cxlib.report.index` — the quarter's index;
- :mod:`~cxlib.report.provenance` — parameters, data fingerprint, versions;
- :mod:`~cxlib.report.tables` — display tables; :mod:`~cxlib.report.figures` — key figures;
- :mod:`~cxlib.report.findings` — findings sentences, one module per notebook area.

Notebooks reach these as ``cx.report.<name>``; this file is the one list of them. Nothing
here is imported by the analysis modules (data → analysis → report, never backwards).
"""

from __future__ import annotations

# --- batch ---
from .definition import ReportDefinitionError, load_definition
from .execute import run_report
# --- end batch ---

# --- display and figures ---
from ..core.inference import format_estimate, format_interval
from .figures import key_figure, key_figures, load_key_figures, save_key_figures
from .provenance import provenance_table
from .tables import DisplayTable, format_table
# --- end display and figures ---

# --- scorecard findings ---
from .findings.scorecard import (
    breakdown_findings,
    letter_findings,
    letter_key_figures,
    letter_labels,
    scorecard_findings,
    scorecard_key_figures,
    scorecard_method,
    support_key_figures,
    support_method,
)
# --- end scorecard findings ---

# --- drivers findings ---
from .findings.drivers import (
    bootstrap_error_note,
    format_driver_differences,
    format_driver_summary,
    format_importance_performance,
    format_penalty_reward,
    key_driver_figures,
    key_driver_findings,
)
# --- end drivers findings ---

# --- churn findings ---
from .findings.churn import (
    churn_findings,
    churn_gap_text,
    churn_key_figures,
    churn_method,
    horizon_sentence,
    loyalty_key_figures,
    median_table,
    ph_test_table,
    ratio_table,
    survival_findings,
)
# --- end churn findings ---

# --- resampling findings ---
from .findings.resampling import MC_ERROR_SHARE, bootstrap_error_clause
# --- end resampling findings ---

# --- segments findings ---
from .findings.segments import (
    association_table,
    outcome_table,
    profile_table,
    segment_findings,
    segment_key_figures,
    segment_share_table,
    segment_sizes_table,
)
# --- end segments findings ---

# --- journeys findings ---
from .findings.journeys import (
    channel_switching_findings,
    divergence_failing_text,
    divergence_table,
    journey_findings,
    journey_key_figures,
    journeys_gap_text,
    path_table,
    scorecard_table,
    stop_table,
    touchpoint_driver_findings,
    touchpoint_findings,
    touchpoint_key_figures,
)
# --- end journeys findings ---

# --- styles findings ---
from .findings.styles import (
    RAW_CAVEAT as style_caveat,
    style_comparison_findings,
    style_comparison_method,
    style_comparison_table,
    style_key_figures,
)
# --- end styles findings ---

# --- journey effects findings ---
from .findings.journey_effects import (
    episode_churn_findings,
    episode_findings,
    journey_effect_key_figures,
    peak_end_findings,
)
# --- end journey effects findings ---

# --- ticket switching findings ---
from .findings.switching import switching_findings, switching_key_figures, switching_method, switching_table
# --- end ticket switching findings ---

# --- crosstab findings ---
from .findings.crosstabs import banner_questions, crosstab_findings, crosstab_key_figures, crosstab_method
# --- end crosstab findings ---
from .crosstab_export import crosstab_excel, crosstab_html, crosstab_note  # crosstabs: HTML and Excel

# --- weighting findings ---
from .findings.weighting import weighting_findings
# --- end weighting findings ---
