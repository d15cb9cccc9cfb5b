"""The report layer: what turns results into what a reviewer reads.

- :mod:`~cxlib.report.runner` — the batch (report definition, papermill runs, resume);
- :mod:`~cxlib.report.render` — reviewer HTML; :mod:`~cxlib.report.index` — the quarter's index;
- :mod:`~cxlib.report.provenance` — parameters, data fingerprint, versions;
- :mod:`~cxlib.report.tables` — display tables; :mod:`~cxlib.report.figures` — key figures;
- :mod:`~cxlib.report.findings` — findings sentences, one module per notebook area.

Notebooks reach these as ``cx.report.<name>``; this file is the one list of them. Nothing
here is imported by the analysis modules (data → analysis → report, never backwards).
"""

from __future__ import annotations

# --- batch ---
from .runner import ReportDefinitionError, load_definition, run_report
# --- end batch ---

# --- display and figures ---
from .figures import key_figure, key_figures, load_key_figures, save_key_figures
from .provenance import provenance_table
from .tables import DisplayTable, format_table
# --- end display and figures ---

# --- scorecard findings ---
# --- end scorecard findings ---

# --- drivers findings ---
# --- end drivers findings ---

# --- churn findings ---
from .findings.churn import (
    churn_findings,
    churn_key_figures,
    median_table,
    ph_test_table,
    ratio_table,
    survival_findings,
)
# --- end churn findings ---

# --- segments findings ---
# --- end segments findings ---
