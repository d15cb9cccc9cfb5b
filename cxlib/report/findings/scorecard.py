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


def _value(x: float, unit: str) -> str:
    if unit == "%":
        return f"{x:.1f}%"
    return f"{x:.1f}" if unit == "points" else f"{x:.2f}"  # NPS points; a mean's scale points


def _versus(a: float, b: float, unit: str) -> str:
    """``"81.0% vs 62.0%"``, ``"25.1 vs 8.2 points"``, ``"4.21 vs 3.90"`` (means)."""
    return f"{_value(a, unit)} vs {_value(b, unit)}" + (" points" if unit == "points" else "")


def _p_text(p: float) -> str:
    return "adjusted p < 0.001" if p < 0.001 else f"adjusted p = {p:.3f}"


def letter_findings(tests: pd.DataFrame, *, metric: str = "NPS", unit: str = "points",
                    label: str = "segment") -> list[str]:
    """The pairwise comparisons of segments in words: one sentence per segment that is
    significantly higher than others, naming them with their letters, both estimates and
    the adjusted p-value; or one sentence saying that no segment is.

    ``tests`` is the ``.tests`` table of :func:`cxlib.segment_crosstab` (or of
    :func:`cxlib.crosstab` with one row question); ``unit`` is ``"points"`` (NPS),
    ``"%"`` (a share) or a scale's unit (means, two decimals); ``label`` names the segment.

    Examples
    --------
    >>> t = pd.DataFrame({"column_a": ["Business", "Business", "Eco Plus"], "letter_a": ["A", "A", "B"],
    ...                   "column_b": ["Eco Plus", "Economy", "Economy"], "letter_b": ["B", "C", "C"],
    ...                   "estimate_a": [81.0, 81.0, 62.0], "estimate_b": [62.0, 55.0, 55.0],
    ...                   "diff": [19.0, 26.0, 7.0], "p_adjusted": [0.004, 0.0002, 0.21],
    ...                   "significant": pd.array([True, True, False], dtype="boolean")})
    >>> letter_findings(t, metric="Share satisfied", unit="%", label="Class")
    ['By Class, Business (A) is higher in Share satisfied than Eco Plus (B) (81.0% vs 62.0%, adjusted p = 0.004) and Economy (C) (81.0% vs 55.0%, adjusted p < 0.001).']
    """
    sig = tests[tests["significant"].fillna(False).astype(bool)]
    by_higher: dict[tuple[str, str], list[str]] = {}
    for _, r in sig.iterrows():
        up, down = ("a", "b") if r["diff"] > 0 else ("b", "a")
        key = (r[f"letter_{up}"], str(r[f"column_{up}"]))
        by_higher.setdefault(key, []).append(
            f"{r[f'column_{down}']} ({r[f'letter_{down}']}) ({_versus(r[f'estimate_{up}'], r[f'estimate_{down}'], unit)}, "
            f"{_p_text(r['p_adjusted'])})")
    out = []
    for (letter, name), lower in sorted(by_higher.items()):
        listed = lower[0] if len(lower) == 1 else ", ".join(lower[:-1]) + " and " + lower[-1]
        out.append(f"By {label}, {name} ({letter}) is higher in {metric} than {listed}.")
    if not out:
        out.append(f"No {label} is significantly higher than another in {metric} (pairwise tests, adjusted).")
    return out


def letter_labels(breakdown: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """A copy of a :func:`cxlib.segment_breakdown` table whose ``by`` column reads
    ``"Business (A) > BC"`` (the segment, its letter, the letters it is higher than), for
    a chart's labels.

    Examples
    --------
    >>> t = pd.DataFrame({"cls": ["Business", "Economy"], "letter": ["A", "B"], "higher_than": ["B", ""]})
    >>> letter_labels(t, by="cls")["cls"].tolist()
    ['Business (A) > B', 'Economy (B)']
    """
    out = breakdown.copy()
    if "letter" not in out:
        return out
    out[by] = [str(v) if pd.isna(ltr) else f"{v} ({ltr})" + (f" > {hi}" if isinstance(hi, str) and hi else "")
               for v, ltr, hi in zip(out[by], out["letter"], out["higher_than"])]
    return out


def letter_key_figures(breakdown: pd.DataFrame, tests: pd.DataFrame, *, by: str, metric: str) -> dict[str, Any]:
    """Key figures of the segment comparison: each segment's letter and the letters it is
    significantly higher than, and the significant pairs with their adjusted p-values.

    Examples
    --------
    >>> b = pd.DataFrame({"cls": ["Business", "Economy"], "letter": ["A", "B"], "higher_than": ["B", ""]})
    >>> t = pd.DataFrame({"column_a": ["Business"], "column_b": ["Economy"], "diff": [5.0],
    ...                   "p_adjusted": [0.01], "significant": pd.array([True], dtype="boolean")})
    >>> letter_key_figures(b, t, by="cls", metric="NPS")["pairs"]
    [{'higher': 'Business', 'lower': 'Economy', 'p_adjusted': 0.01}]
    """
    letters = {str(r[by]): {"letter": r["letter"], "higher_than": r["higher_than"]}
               for _, r in breakdown.iterrows() if not pd.isna(r.get("letter"))}
    pairs = []
    for _, r in tests[tests["significant"].fillna(False).astype(bool)].iterrows():
        hi, lo = (r["column_a"], r["column_b"]) if r["diff"] > 0 else (r["column_b"], r["column_a"])
        pairs.append({"higher": str(hi), "lower": str(lo), "p_adjusted": float(r["p_adjusted"])})
    return {"by": by, "metric": metric, "letters": letters, "pairs": pairs}


def support_key_figures(ops: pd.DataFrame) -> dict[str, Any]:
    """Key figures of :func:`cxlib.operational_metrics`: ``"<metric> (<unit>)"`` → estimate,
    CI, n, small_base.

    Examples
    --------
    >>> ops = pd.DataFrame({"metric": ["Reopen rate"], "unit": ["%"], "estimate": [12.5], "ci_low": [10.0],
    ...                     "ci_high": [15.0], "n": [400], "small_base": [False]})
    >>> support_key_figures(ops)
    {'Reopen rate (%)': {'estimate': 12.5, 'ci_low': 10.0, 'ci_high': 15.0, 'n': 400, 'small_base': False}}
    """
    return {f"{r['metric']} ({r['unit']})": key_figure(r) for _, r in ops.iterrows()}


def support_method(roles: Any) -> list[str]:
    """How the support metrics are computed, naming the study's tickets columns (a
    :class:`cxlib.data.roles.StudyRoles`); a metric the study's columns do not allow is
    said to be left out.

    Examples
    --------
    >>> import cxlib as cx
    >>> support_method(cx.data.roles.SYNTHETIC_ROLES)[0]
    "Tickets are counted in the quarter of 'created_at'."
    """
    col = {r: roles.column(r, "tickets") for r in ("opened", "first_response", "resolved", "reopens", "contacts")}
    name = {r: repr(roles.label(c)) if c else None for r, c in col.items()}
    out = [f"Tickets are counted in the quarter of {name['opened']}."]
    if col["resolved"]:
        solved = f"solved tickets ({name['resolved']} present)"
        if col["reopens"]:
            out.append(f"Reopen rate: the share of {solved} reopened at least once ({name['reopens']} ≥ 1), "
                       "with a Wilson interval.")
        if col["contacts"]:
            out.append(f"First-contact resolution: the share of {solved} with one customer contact "
                       f"({name['contacts']} = 1), with a Wilson interval.")
        else:
            out.append("First-contact resolution is not computed: the study's tickets have no contacts column "
                       "([roles.tickets] contacts).")
    if col["first_response"]:
        out.append(f"First-response time: {name['opened']} to {name['first_response']}.")
    if col["resolved"]:
        out.append(f"Full resolution time: {name['opened']} to {name['resolved']} (includes time spent on reopens).")
    out.append("Times are medians and 90th percentiles in hours with distribution-free order-statistic intervals "
               "(Hahn & Meeker 1991); tickets without the end time are excluded.")
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
    if metrics:
        test = ("the two-sample NPS z-test (Rocks 2016)" if metrics[0].role == "recommend"
                else "the pooled column-proportion z-test")
        out.append(f"Segments are tested against the rest of the sample, and pairwise in {metrics[0].label} with "
                   f"{test}: a segment's letters name the segments it is significantly higher than "
                   "(Benjamini–Hochberg-corrected over the pairs, on effective bases when weighted). Groups below "
                   "the minimum base are flagged, suppressed and not tested.")
    if churn:
        out.append("Churn is the share of customers at risk at the start of the quarter who left during it.")
    return out
