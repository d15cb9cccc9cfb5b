"""Findings and key figures of the CX scorecard (notebook 01), written from its tables.

The numbers in every sentence are taken from :func:`cxlib.headline_metrics` and
:func:`cxlib.segment_breakdown` results; intervals are written by
:func:`cxlib.core.inference.format_interval`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..figures import key_figure


def scorecard_key_figures(headline: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    """The key-figures dict a scorecard run saves: ``headline`` (metric → estimate, CI,
    n, small_base) and ``changes`` (vs the previous quarter, for the quarter's index)."""
    head: dict[str, Any] = {}
    changes = []
    for _, r in headline.iterrows():
        label = f"{r['metric']}{' (%)' if r['unit'] == '%' else ''}"
        head[label] = key_figure(r)
        previous = {"estimate": r["previous"], "ci_low": r["previous_ci_low"], "ci_high": r["previous_ci_high"],
                    "n": r["previous_n"], "small_base": r["previous_small_base"]}
        changes.append({
            "metric": label,
            "current": key_figure(r),
            "previous": key_figure(previous),
            "diff": r["diff"], "diff_ci_low": r["diff_ci_low"], "diff_ci_high": r["diff_ci_high"],
            "p_value": r["p_adjusted"],
            "significant": None if pd.isna(r["significant"]) else bool(r["significant"]),
            "confidence_level": r["confidence_level"],
        })
    return {"headline": head, "changes": changes, **extra}


def _fmt(x: float, unit: str) -> str:
    return f"{x:.1f}" + ("%" if unit == "%" else (" points" if unit == "points" else f" {unit}"))


def scorecard_findings(headline: pd.DataFrame, *, compare: bool = True) -> list[str]:
    """One sentence per headline metric: level, interval, base, and the change vs the
    previous quarter with its interval, adjusted p-value and verdict (``compare=False``:
    the level only, e.g. for a one-wave study that has no previous quarter).

    Examples
    --------
    >>> row = {"metric": "NPS", "quarter": "2026Q3", "previous_quarter": "2026Q2", "unit": "points",
    ...        "estimate": 20.0, "ci_low": 15.0, "ci_high": 25.0, "n": 400, "small_base": False,
    ...        "min_base": 30, "confidence_level": 0.95, "diff": -5.0, "diff_ci_low": -9.0,
    ...        "diff_ci_high": -1.0, "p_adjusted": 0.02, "significant": True}
    >>> scorecard_findings(pd.DataFrame([row]))[0]
    'NPS in 2026Q3 is 20.0 points (95% CI 15.0 to 25.0, n = 400), down 5.0 points on 2026Q2 (CI -9.0 to -1.0; adjusted p = 0.020: a significant change).'
    >>> scorecard_findings(pd.DataFrame([row]), compare=False)[0]
    'NPS in 2026Q3 is 20.0 points (95% CI 15.0 to 25.0, n = 400).'
    """
    out = []
    for _, r in headline.iterrows():
        if r["small_base"]:
            eff = r.get("n_eff")
            base = (f"effective n = {eff:,.1f}" if eff is not None and pd.notna(eff) and eff != r["n"]
                    else f"n = {r['n']}")  # the base the rule was applied to: Kish n_eff when weighted
            out.append(f"{r['metric']}: base too small to report ({base}, minimum {r['min_base']}).")
            continue
        level = f"{r['confidence_level']:.0%}"
        s = (f"{r['metric']} in {r['quarter']} is {_fmt(r['estimate'], r['unit'])} "
             f"({level} CI {r['ci_low']:.1f} to {r['ci_high']:.1f}, n = {r['n']:,})")
        if not compare:
            s += "."
        elif pd.isna(r["diff"]):
            s += f"; no comparison with {r['previous_quarter']} (no data or a small base)."
        else:
            direction = "up" if r["diff"] > 0 else "down"
            change = f"{direction} {abs(r['diff']):.1f} {'points' if r['unit'] == 'points' else 'percentage points'}"
            verdict = ("a significant change" if bool(r["significant"]) else "not a significant change")
            s += (f", {change} on {r['previous_quarter']} "
                  f"(CI {r['diff_ci_low']:+.1f} to {r['diff_ci_high']:+.1f}; adjusted p = {r['p_adjusted']:.3f}: "
                  f"{verdict}).")
        out.append(s)
    return out


def breakdown_findings(breakdown: pd.DataFrame, *, by: str, metric: str = "NPS", unit: str = "points",
                       label: str | None = None) -> list[str]:
    """The groups of a :func:`cxlib.segment_breakdown` table that differ significantly
    from the rest (after the table's correction), and the groups suppressed for small bases.

    ``metric`` names the metric, ``unit`` its unit (``"points"``, or ``"%"`` for a share:
    differences are then percentage points) and ``label`` the segment (default ``by``).

    Examples
    --------
    >>> t = pd.DataFrame({"plan": ["basic", "premium"], "diff": [-8.0, 3.0], "diff_ci_low": [-12.0, -1.0],
    ...                   "diff_ci_high": [-4.0, 7.0], "p_adjusted": [0.001, 0.2], "significant": [True, False],
    ...                   "small_base": [False, False], "min_base": [30, 30]})
    >>> breakdown_findings(t, by="plan")
    ['NPS of plan basic is 8.0 points below the rest of the customers (CI -12.0 to -4.0, adjusted p = 0.001).']
    >>> breakdown_findings(t, by="plan", metric="Share satisfied", unit="%", label="Travel class")[0][:60]
    'Share satisfied of Travel class basic is 8.0 percentage poin'
    """
    name = by if label is None else label
    points = "percentage points" if unit == "%" else "points"
    out = []
    sig = breakdown[breakdown["significant"].fillna(False).astype(bool)]
    for _, r in sig.iterrows():
        direction = "above" if r["diff"] > 0 else "below"
        out.append(f"{metric} of {name} {r[by]} is {abs(r['diff']):.1f} {points} {direction} "
                   f"the rest of the customers (CI {r['diff_ci_low']:+.1f} to {r['diff_ci_high']:+.1f}, "
                   f"adjusted p = {r['p_adjusted']:.3f}).")
    if sig.empty:
        out.append(f"No {name} differs significantly in {metric} from the rest after FDR correction.")
    small = breakdown[breakdown["small_base"].astype(bool)]
    if not small.empty:
        names = ", ".join(map(str, small[by]))
        out.append(f"Suppressed for small bases (n < {int(small['min_base'].iloc[0])}): {names}.")
    return out


def _metric_method(m: Any) -> str:
    """How one headline metric is defined (a :class:`cxlib.scorecard.ScorecardMetric`)."""
    if m.role == "recommend":
        return (f"NPS from {m.question!r}: promoters 9–10 minus detractors 0–6, in points, with a Wald "
                "interval (Rocks 2016)")
    low, high = m.kwargs["scale"]
    box = (m.kwargs["scale"][1] - m.kwargs["top"] + 1, high) if "top" in m.kwargs else m.kwargs["easy"]
    scale = "a 0/1 outcome" if (low, high) == (0.0, 1.0) else f"the {_num(low)}–{_num(high)} scale"
    counted = f"{_num(box[0])}" if box[0] == box[1] else f"{_num(box[0])}–{_num(box[1])}"
    return f"{m.label} from {m.question!r}: the share answering {counted} on {scale}, with a Wilson interval"


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def scorecard_method(metrics: Sequence[Any], *, weighted: bool, waves: int, churn: bool) -> list[str]:
    """The Method section of a scorecard: how each headline metric is defined and tested.

    Parameters
    ----------
    metrics : list of ScorecardMetric
        From :func:`cxlib.scorecard_metrics`.
    weighted : bool
        Whether the survey has design weights (the study's ``weight`` role).
    waves : int
        The number of survey waves (quarters): comparisons need more than one.
    churn : bool
        Whether the churn rate is part of the scorecard.

    Examples
    --------
    >>> import cxlib as cx
    >>> scorecard_method(cx.scorecard_metrics(), weighted=True, waves=4, churn=False)[1]
    "CSAT top-2-box from 'Overall satisfaction (1–5)': the share answering 4–5 on the 1–5 scale, with a Wilson interval."
    """
    out = [f"{_metric_method(m)}." for m in metrics]
    out.append("Survey design weights with the Kish effective base." if weighted
               else "Unweighted: the study has no design weights.")
    if waves > 1:
        out.append("Changes are signed (this quarter − last) with two-sided tests, Benjamini–Hochberg-corrected "
                   "across the table.")
    else:
        out.append("One wave: no changes over time are estimated.")
    out.append("Segments are tested against the rest of the sample. Groups below the minimum base are flagged "
               "and suppressed.")
    if churn:
        out.append("Churn is the share of customers at risk at the start of the quarter who left during it.")
    return out
