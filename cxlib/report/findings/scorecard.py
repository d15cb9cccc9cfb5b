"""Findings and key figures of the CX scorecard (notebook 01), written from its tables.

The numbers in every sentence are taken from :func:`cxlib.headline_metrics` and
:func:`cxlib.segment_breakdown` results; intervals are written by
:func:`cxlib.core.inference.format_interval`.
"""

from __future__ import annotations

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


def scorecard_findings(headline: pd.DataFrame) -> list[str]:
    """One sentence per headline metric: level, interval, base, and the change vs the
    previous quarter with its interval, adjusted p-value and verdict.

    Examples
    --------
    >>> row = {"metric": "NPS", "quarter": "2026Q3", "previous_quarter": "2026Q2", "unit": "points",
    ...        "estimate": 20.0, "ci_low": 15.0, "ci_high": 25.0, "n": 400, "small_base": False,
    ...        "min_base": 30, "confidence_level": 0.95, "diff": -5.0, "diff_ci_low": -9.0,
    ...        "diff_ci_high": -1.0, "p_adjusted": 0.02, "significant": True}
    >>> scorecard_findings(pd.DataFrame([row]))[0]
    'NPS in 2026Q3 is 20.0 points (95% CI 15.0 to 25.0, n = 400), down 5.0 points on 2026Q2 (CI -9.0 to -1.0; adjusted p = 0.020: a significant change).'
    """
    out = []
    for _, r in headline.iterrows():
        if r["small_base"]:
            out.append(f"{r['metric']}: base too small to report (n = {r['n']}, minimum {r['min_base']}).")
            continue
        level = f"{r['confidence_level']:.0%}"
        s = (f"{r['metric']} in {r['quarter']} is {_fmt(r['estimate'], r['unit'])} "
             f"({level} CI {r['ci_low']:.1f} to {r['ci_high']:.1f}, n = {r['n']:,})")
        if pd.isna(r["diff"]):
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


def breakdown_findings(breakdown: pd.DataFrame, *, by: str, metric: str = "NPS") -> list[str]:
    """The groups of a :func:`cxlib.segment_breakdown` table that differ significantly
    from the rest (after the table's correction), and the groups suppressed for small bases.

    Examples
    --------
    >>> t = pd.DataFrame({"plan": ["basic", "premium"], "diff": [-8.0, 3.0], "diff_ci_low": [-12.0, -1.0],
    ...                   "diff_ci_high": [-4.0, 7.0], "p_adjusted": [0.001, 0.2], "significant": [True, False],
    ...                   "small_base": [False, False], "min_base": [30, 30]})
    >>> breakdown_findings(t, by="plan")
    ['NPS of plan basic is 8.0 points below the rest of the customers (CI -12.0 to -4.0, adjusted p = 0.001).']
    """
    out = []
    sig = breakdown[breakdown["significant"].fillna(False).astype(bool)]
    for _, r in sig.iterrows():
        direction = "above" if r["diff"] > 0 else "below"
        out.append(f"{metric} of {by} {r[by]} is {abs(r['diff']):.1f} points {direction} "
                   f"the rest of the customers (CI {r['diff_ci_low']:+.1f} to {r['diff_ci_high']:+.1f}, "
                   f"adjusted p = {r['p_adjusted']:.3f}).")
    if sig.empty:
        out.append(f"No {by} differs significantly in {metric} from the rest after FDR correction.")
    small = breakdown[breakdown["small_base"].astype(bool)]
    if not small.empty:
        names = ", ".join(map(str, small[by]))
        out.append(f"Suppressed for small bases (n < {int(small['min_base'].iloc[0])}): {names}.")
    return out
