"""The quarterly CX scorecard: headline metrics with change vs the previous quarter,
trends, segment breakdowns and operational metrics, as tidy frames for notebooks
(their sentences and key figures are in :mod:`cxlib.report.findings.scorecard`).

Everything here composes the estimators of :mod:`cxlib.metrics` and
:mod:`cxlib.helpdesk`; it adds no statistics of its own beyond collecting the
comparisons of several metrics into one table and correcting them together.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .churn.rates import customers_at_risk
from .core.checks import check_columns, check_confidence_level
from .core.inference import adjust_p_values, significance
from .core.results import to_percent
from .data.calendar import previous_quarter
from .errors import CXDataError, SmallBaseWarning
from .grouping import by_group
from .metrics import ces, csat, nps, top_box
from .helpdesk import first_contact_resolution, first_response_time, reopen_rate, resolution_time

#: The headline survey metrics: (label, metric, unit, keyword arguments, percent scale?)
HEADLINE_METRICS: tuple[tuple[str, Any, str, dict[str, Any], bool], ...] = (
    ("NPS", nps, "points", {"score": "ltr"}, False),
    ("CSAT top-2-box", csat, "%", {"score": "osat"}, True),
    ("CES easy (5–7)", ces, "%", {"score": "ces"}, True),
)


def _with_constant(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_all="all")


def headline_metrics(
    survey: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    quarter: str,
    weights: str | None = "weight",
    confidence_level: float = 0.95,
    min_base: int = 30,
    correction: str | None = "fdr_bh",
) -> pd.DataFrame:
    """Headline metrics of a quarter, each with its change vs the previous quarter.

    NPS (points), CSAT top-2-box and CES "easy" shares (percent) from the relational
    survey, and the quarterly churn rate (percent of customers at risk at the start of
    the quarter) from the customer table. Each change is the signed difference
    ``quarter − previous`` with its interval and two-sided test (NPS: Rocks 2016; shares:
    unpooled Wald), and the p-values of the table are adjusted together
    (Benjamini–Hochberg by default).

    Returns
    -------
    DataFrame
        One row per metric: ``metric, unit, estimate, ci_low, ci_high, n, n_eff,
        small_base, previous, previous_ci_low, previous_ci_high, previous_n, diff,
        diff_ci_low, diff_ci_high, p_value, p_adjusted, significant, method``.
    """
    level = check_confidence_level(confidence_level)
    prev = previous_quarter(quarter)
    check_columns(survey, ["quarter"], argument="survey")
    two = survey[survey["quarter"].isin([prev, quarter])]
    if (two["quarter"] == quarter).sum() == 0:
        have = sorted(survey["quarter"].dropna().unique().tolist())
        raise CXDataError(f"no survey responses in quarter {quarter!r}; quarters present: {have}")
    rows = []
    specs = list(HEADLINE_METRICS)
    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)  # flagged in the table instead
        for label, metric, unit, kwargs, pct in specs:
            g = by_group(_with_constant(two), metric, by="_all", period="quarter", compare="previous",
                         min_base=min_base, confidence_level=level, correction=None,
                         weights=weights, **kwargs)
            frames.append((label, unit, pct, g))
        if customers is not None:
            risk = customers_at_risk(customers, quarters=[prev, quarter])
            g = by_group(_with_constant(risk), top_box, by="_all", period="quarter", compare="previous",
                         min_base=min_base, confidence_level=level, correction=None,
                         score="churned", top=(1, 1), scale=(0, 1))
            frames.append(("Churn rate (quarterly)", "%", True, g))
    for label, unit, pct, g in frames:
        g = to_percent(g) if pct else g
        cur = g[g["quarter"] == quarter]
        old = g[g["quarter"] == prev]
        if cur.empty:
            continue
        c = cur.iloc[0]
        o = old.iloc[0] if not old.empty else None
        rows.append({
            "metric": label, "unit": unit, "quarter": quarter,
            "estimate": c["estimate"], "ci_low": c["ci_low"], "ci_high": c["ci_high"],
            "n": int(c["n"]), "n_eff": float(c.get("n_eff", c["n"])), "small_base": bool(c["small_base"]),
            "previous_quarter": prev,
            "previous": np.nan if o is None else o["estimate"],
            "previous_ci_low": np.nan if o is None else o["ci_low"],
            "previous_ci_high": np.nan if o is None else o["ci_high"],
            "previous_n": 0 if o is None else int(o["n"]),
            "previous_small_base": True if o is None else bool(o["small_base"]),
            "diff": c.get("diff", np.nan), "diff_ci_low": c.get("diff_ci_low", np.nan),
            "diff_ci_high": c.get("diff_ci_high", np.nan), "p_value": c.get("p_value", np.nan),
            "method": c["method"],
        })
    out = pd.DataFrame(rows)
    p = out["p_value"].to_numpy(dtype=float)
    out["p_adjusted"] = adjust_p_values(p, correction)
    out["significant"] = significance(out["p_adjusted"], level)
    out["confidence_level"] = level
    out["min_base"] = min_base
    return out


def metric_trend(survey: pd.DataFrame, metric: Any, *, quarters: Sequence[str] | None = None,
                 by: str | None = None, weights: str | None = "weight", confidence_level: float = 0.95,
                 min_base: int = 30, percent: bool | None = None, **metric_kwargs: Any) -> pd.DataFrame:
    """A metric per quarter (and per ``by`` group), with intervals and small-base flags.

    Shares are returned in percent unless ``percent=False`` (NPS is already in points).
    """
    data = survey if quarters is None else survey[survey["quarter"].isin(list(quarters))]
    keys = ["quarter"] if by is None else [by, "quarter"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        g = by_group(data, metric, by=keys, min_base=min_base, confidence_level=confidence_level,
                     weights=weights, **metric_kwargs)
    pct = (getattr(metric, "__name__", str(metric)) not in ("nps", "mean_score")) if percent is None else percent
    return to_percent(g) if pct else g


def segment_breakdown(survey: pd.DataFrame, metric: Any, *, quarter: str, by: str,
                      weights: str | None = "weight", confidence_level: float = 0.95, min_base: int = 30,
                      correction: str | None = "fdr_bh", percent: bool | None = None,
                      **metric_kwargs: Any) -> pd.DataFrame:
    """A metric per segment in one quarter, each segment tested against the rest
    (Benjamini–Hochberg across segments); small bases flagged and not tested."""
    data = survey[survey["quarter"] == quarter]
    if data.empty:
        raise CXDataError(f"no survey responses in quarter {quarter!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        g = by_group(data, metric, by=by, compare="rest", min_base=min_base,
                     confidence_level=confidence_level, correction=correction, weights=weights, **metric_kwargs)
    pct = (getattr(metric, "__name__", str(metric)) not in ("nps", "mean_score")) if percent is None else percent
    return to_percent(g) if pct else g


def operational_metrics(tickets: pd.DataFrame, *, quarter: str, confidence_level: float = 0.95,
                        min_base: int = 30) -> pd.DataFrame:
    """Helpdesk metrics of the tickets opened in ``quarter``, one row each.

    Reopen rate and first-contact resolution (percent, Wilson intervals), median and p90
    first-response and full-resolution times (hours, distribution-free order-statistic
    intervals). See :mod:`cxlib.helpdesk` for the exact definitions.
    """
    t = tickets[tickets["quarter"] == quarter]
    if t.empty:
        raise CXDataError(f"no tickets opened in quarter {quarter!r}")
    rows = []
    for label, res in (("Reopen rate", reopen_rate(t, confidence_level=confidence_level, min_base=min_base)),
                       ("First-contact resolution", first_contact_resolution(t, confidence_level=confidence_level,
                                                                             min_base=min_base))):
        f = res.to_frame().iloc[0]
        rows.append({"metric": label, "unit": "%", "estimate": 100 * f["estimate"], "ci_low": 100 * f["ci_low"],
                     "ci_high": 100 * f["ci_high"], "n": int(f["n"]), "small_base": bool(f["small_base"])})
    for label, res in (("First response time", first_response_time(t, confidence_level=confidence_level,
                                                                     min_base=min_base)),
                       ("Full resolution time", resolution_time(t, kind="full", confidence_level=confidence_level,
                                                                min_base=min_base))):
        for _, f in res.to_frame().iterrows():
            q = "median" if f["quantile"] == 0.5 else f"p{int(round(100 * f['quantile']))}"
            rows.append({"metric": f"{label}, {q}", "unit": "hours", "estimate": f["estimate"],
                         "ci_low": f["ci_low"], "ci_high": f["ci_high"], "n": int(f["n"]),
                         "small_base": bool(f["small_base"])})
    out = pd.DataFrame(rows)
    out["quarter"] = quarter
    out["confidence_level"] = confidence_level
    return out
