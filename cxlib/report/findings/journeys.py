"""Journeys and touchpoints for reviewers: findings sentences and key figures (notebook 05).

Every number is read from a result of :mod:`cxlib.journeys` (never typed by hand);
intervals are written with :func:`~cxlib.core.inference.format_interval`, small bases with
:func:`~cxlib.core.inference.format_suppressed`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...core.inference import format_interval, format_suppressed
from ...core.results import to_percent
from ...errors import CXDataError
from ...journeys.divergence import PathDivergence
from ...journeys.omnichannel import ChannelSwitching
from ...journeys.paths import PathVariants
from ...journeys.touchpoints import ChannelConsistency, TouchpointScorecard
from ..figures import key_figure
from ..tables import DisplayTable, format_table


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _pct_ci(lo: float, hi: float) -> str:
    return format_interval(100 * lo, 100 * hi)


def _summary_row(summary: pd.DataFrame, measure: str) -> pd.Series | None:
    hit = summary[summary["measure"] == measure]
    return None if hit.empty else hit.iloc[0]


def _duration(gap: Any) -> str:
    td = pd.Timedelta(gap)
    if td % pd.Timedelta(days=1) == pd.Timedelta(0):
        days = td.days
        return f"{days} day{'s' if days != 1 else ''}"
    hours = td / pd.Timedelta(hours=1)
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _p_text(p: Any) -> str:
    if p is None or pd.isna(p):
        return "not tested"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def journey_findings(summary: pd.DataFrame, variants: PathVariants, divergence: PathDivergence | None = None, *,
                     gap: Any = None, outcomes: bool = True, failing: str | None = None) -> list[str]:
    """Sentences on the journeys: how many, how long, how they end, the top paths, and the
    steps where failing journeys diverge.

    Parameters
    ----------
    summary : DataFrame
        :func:`cxlib.journey_summary`.
    variants : PathVariants
        :func:`cxlib.path_variants`.
    divergence : PathDivergence, optional
        :func:`cxlib.path_divergence`.
    gap : duration, optional
        The inactivity gap used, named in the first sentence.
    outcomes : bool, default True
        False when no goal or failure steps were declared: their shares (always 0) are
        left out.
    failing : str, optional
        What a failing journey is, in words (default: the divergence's own label).

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02",
    ...     "2026-01-01"]), "touchpoint": ["login", "invoice", "login"]})
    >>> j = cx.journeys(ev)
    >>> cx.report.journey_findings(cx.journey_summary(j), cx.path_variants(j))[1][:52]
    'The most frequent path is "login" (1 of 2 journeys, '
    """
    if not isinstance(variants, PathVariants):
        raise CXDataError(f"`variants` must be a PathVariants (cx.path_variants), got {type(variants).__name__}")
    n = variants.n_journeys
    steps = _summary_row(summary, "median_steps")
    first = f"{n:,} journeys" + (f" (a new journey after {_duration(gap)} without activity)" if gap else "")
    if steps is not None:
        first += f", median {steps['estimate']:g} step{'' if steps['estimate'] == 1 else 's'}"
    parts = []
    for measure, text in (("switched", "used more than one channel"), ("goal", "reached a goal"),
                          ("failure", "ended in a failure step")):
        row = _summary_row(summary, measure) if outcomes or measure == "switched" else None
        if row is not None:
            parts.append(f"{_pct(row['estimate'])} {_pct_ci(row['ci_low'], row['ci_high'])} {text}")
    out = [first + (": " + "; ".join(parts) if parts else "") + "."]
    t = variants.table
    if len(t):
        top = t.iloc[0]
        out.append(f'The most frequent path is "{top["path"]}" ({int(top["count"]):,} of {n:,} journeys, '
                   f'{_pct(top["estimate"])} {_pct_ci(top["ci_low"], top["ci_high"])}); the top {len(t)} paths '
                   f"cover {_pct(t['cumulative'].iloc[-1])} of journeys, out of {variants.n_paths:,} distinct paths.")
    if divergence is not None:
        out.append(_divergence_sentence(divergence, failing))
    return out


def _divergence_sentence(d: PathDivergence, failing: str | None = None) -> str:
    t = d.table
    sig = t[t["significant"].fillna(False).astype(bool)]
    over = sig[sig["estimate"] > 0]
    where = "pass through" if d.where == "any" else "stop at"
    head = f"Failing journeys ({failing or d.failing}; {d.n_failing:,} of {d.n_failing + d.n_other:,}) "
    if over.empty:
        return head + (f"do not {where} any step significantly more often than the others "
                       f"({len(sig)} of {int(t['p_value'].notna().sum())} tested steps differ, mostly less often).")
    r = over.iloc[0]
    return head + (f"{where} {r['step']} more often: {_pct(r['share_failing'])} vs {_pct(r['share_other'])} of other "
                   f"journeys, a difference of {100 * r['estimate']:.1f} points "
                   f"{format_interval(100 * r['ci_low'], 100 * r['ci_high'])} ({_p_text(r['p_adjusted'])} after "
                   f"FDR correction); {len(over)} step(s) are over-represented in failing journeys.")


def touchpoint_findings(scorecard: TouchpointScorecard, consistency: ChannelConsistency | None = None) -> list[str]:
    """Sentences on the touchpoint scorecard (lowest and highest cell, changes versus the
    previous quarter) and on the spread across channels.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tp = pd.DataFrame({"quarter": "2026Q3", "touchpoint": ["billing"] * 3 + ["renewal"] * 3,
    ...                    "csat": [5, 4, 2, 5, 5, 5]})
    >>> cx.report.touchpoint_findings(cx.touchpoint_scorecard(tp, min_base=3))[0][:40]
    'In 2026Q3, csat is lowest for billing (6'
    """
    if not isinstance(scorecard, TouchpointScorecard):
        raise CXDataError(f"`scorecard` must be a TouchpointScorecard, got {type(scorecard).__name__}")
    t = scorecard.table
    share = "n_top" in t.columns
    fmt = (lambda r: f"{_pct(r['estimate'])} {_pct_ci(r['ci_low'], r['ci_high'])}") if share else \
        (lambda r: f"{r['estimate']:.2f} {format_interval(r['ci_low'], r['ci_high'], digits=2)}")
    label = (lambda r: " / ".join(str(r[c]) for c in scorecard.by))
    solid = t[~t["small_base"].astype(bool)]
    out = []
    if solid.empty:
        out.append(f"In {scorecard.quarter}, no touchpoint reaches the minimum base "
                   f"({format_suppressed(t['n'].max(), t['min_base'].iloc[0])}).")
    else:
        lo, hi = solid.loc[solid["estimate"].idxmin()], solid.loc[solid["estimate"].idxmax()]
        out.append(f"In {scorecard.quarter}, {scorecard.score} is lowest for {label(lo)} ({fmt(lo)}, n = {int(lo['n']):,}) "
                   f"and highest for {label(hi)} ({fmt(hi)}, n = {int(hi['n']):,}); {len(t) - len(solid)} of {len(t)} "
                   "cells are below the minimum base and not shown.")
    if scorecard.previous_quarter is not None:
        moved = t[t["significant"].fillna(False).astype(bool)]
        unit = " points" if share else ""
        k = 100 if share else 1
        if moved.empty:
            out.append(f"No cell changed significantly since {scorecard.previous_quarter} "
                       f"({int(t['p_value'].notna().sum())} tested, FDR-corrected).")
        else:
            bits = [f"{label(r)} {k * r['diff']:+.1f}{unit} {format_interval(k * r['diff_ci_low'], k * r['diff_ci_high'])}"
                    for _, r in moved.iterrows()]
            out.append(f"Significant changes since {scorecard.previous_quarter} (FDR-corrected): " + "; ".join(bits) + ".")
    if consistency is not None:
        out.append(_consistency_sentence(consistency))
    return out


def _consistency_sentence(c: ChannelConsistency) -> str:
    t = c.table
    tested = t[t["p_value"].notna()]
    if tested.empty:
        return "No touchpoint is served in two or more channels with enough responses to compare them."
    sig = tested[tested["significant"].fillna(False).astype(bool)]
    worst = tested.loc[tested["range"].idxmax()]
    tp = t.columns[0]
    share = "n_top" in c.cells.columns
    k, d, pct, unit = (100, 1, "%", " points") if share else (1, 2, "", "")
    return (f"Across channels, {len(sig)} of {len(tested)} touchpoints differ significantly (FDR-corrected); the "
            f"widest spread is {worst[tp]}: {worst['lowest_channel']} {k * worst['lowest']:.{d}f}{pct} to "
            f"{worst['highest_channel']} {k * worst['highest']:.{d}f}{pct} (range {k * worst['range']:.{d}f}{unit}, "
            f"{worst['test']}, {_p_text(worst['p_adjusted'])}).")


def channel_switching_findings(switching: ChannelSwitching) -> list[str]:
    """One sentence per outcome: switched vs single-channel journeys, the difference and test.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"switched": [True] * 3 + [False] * 3, "csat": [2, 3, 4, 4, 5, 5]})
    >>> cx.report.channel_switching_findings(cx.channel_switching(df, min_base=2))[0][:60]
    'csat after journeys that switched channels: 3.00 [0.52, 5.48'
    """
    if not isinstance(switching, ChannelSwitching):
        raise CXDataError(f"`switching` must be a ChannelSwitching, got {type(switching).__name__}")
    out = []
    for _, r in switching.table.iterrows():
        share = r["metric"] in ("csat", "ces", "top_box")
        k, d = (100, 1) if share else (1, 2)
        unit = "%" if share else ""
        diff = ("no test (" + str(r["note"]) + ")") if pd.isna(r["estimate"]) else (
            f"difference {k * r['estimate']:+.{d}f}{' points' if share else ''} "
            f"{format_interval(k * r['ci_low'], k * r['ci_high'], digits=d)}, {_p_text(r['p_adjusted'])}")
        out.append(f"{r['outcome']} after journeys that switched channels: {k * r['switched']:.{d}f}{unit} "
                   f"{format_interval(k * r['switched_ci_low'], k * r['switched_ci_high'], digits=d)} "
                   f"(n = {int(r['switched_n']):,}) vs {k * r['single']:.{d}f}{unit} "
                   f"{format_interval(k * r['single_ci_low'], k * r['single_ci_high'], digits=d)} after single-channel "
                   f"journeys (n = {int(r['single_n']):,}); {diff}.")
    return out


def journey_key_figures(summary: pd.DataFrame, variants: PathVariants,
                        switching: ChannelSwitching | None = None, *,
                        outcomes: bool = True) -> dict[str, dict[str, Any]]:
    """Key figures for the index (shares in percent): outcome and switching shares, the top
    path's share, and each switching difference (``outcomes=False``: no goal or failure
    steps were declared, their shares are left out).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02",
    ...     "2026-01-01"]), "touchpoint": ["login", "invoice", "login"]})
    >>> j = cx.journeys(ev)
    >>> cx.report.journey_key_figures(cx.journey_summary(j), cx.path_variants(j))["top_path_share"]["estimate"]
    50.0
    """
    out: dict[str, dict[str, Any]] = {}
    for measure in ("goal", "failure", "switched") if outcomes else ("switched",):
        row = _summary_row(summary, measure)
        if row is not None:
            out[f"journeys_{measure}"] = key_figure(row, scale=100)
    if len(variants.table):
        out["top_path_share"] = key_figure(variants.table.iloc[0], scale=100)
    if switching is not None:
        for _, r in switching.table.iterrows():
            share = r["metric"] in ("csat", "ces", "top_box")
            out[f"switching_effect_{r['outcome']}"] = (key_figure(r, scale=100 if share else 1)
                                                       | {"digits": 1 if share else 2})
    return {k: {kk: (None if isinstance(vv, float) and np.isnan(vv) else vv) for kk, vv in v.items()}
            for k, v in out.items()}


def journeys_gap_text(what: str, *, table: str = "journeys") -> str:
    """The sentence a section shows when the study lacks the table it needs.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.report.journeys_gap_text("The touchpoint scorecard", table="touchpoints")
    'The touchpoint scorecard is not part of this study: it has no touchpoints table.'
    """
    return f"{what} is not part of this study: it has no {table} table."


def touchpoint_key_figures(scorecard: TouchpointScorecard) -> dict[str, dict[str, Any]]:
    """Key figures of a touchpoint scorecard: the lowest and the highest cell with a solid
    base (shares in percent), keyed ``"<score> lowest: <cell>"`` and ``"<score> highest: <cell>"``.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tp = pd.DataFrame({"quarter": "2026Q3", "touchpoint": ["billing"] * 3 + ["renewal"] * 3,
    ...                    "csat": [5, 4, 2, 5, 5, 5]})
    >>> figs = cx.report.touchpoint_key_figures(cx.touchpoint_scorecard(tp, min_base=3))
    >>> sorted(figs), round(figs["csat lowest: billing"]["estimate"], 1)
    (['csat highest: renewal', 'csat lowest: billing'], 66.7)
    """
    if not isinstance(scorecard, TouchpointScorecard):
        raise CXDataError(f"`scorecard` must be a TouchpointScorecard, got {type(scorecard).__name__}")
    t = scorecard.table
    solid = t[~t["small_base"].astype(bool) & t["estimate"].notna()]
    if solid.empty:
        return {}
    scale = 100 if "n_top" in t.columns else 1
    out = {}
    lowest, highest = solid.loc[solid["estimate"].idxmin()], solid.loc[solid["estimate"].idxmax()]
    for word, row in (("lowest", lowest), ("highest", highest)):
        cell = " / ".join(str(row[c]) for c in scorecard.by)
        out[f"{scorecard.score} {word}: {cell}"] = key_figure(row, scale=scale)
    return out


def touchpoint_driver_findings(result: Any, *, outcome: str, lead: int = 1, top: int = 3) -> list[str]:
    """Sentences on which touchpoints move the relationship outcome ``lead`` waves later
    (a :class:`~cxlib.drivers.results.KeyDriverResult` of :func:`cxlib.touchpoint_drivers`).

    Examples
    --------
    >>> import cxlib as cx
    >>> d = cx.synthesize(1, n_customers=3000, quarters=3)
    >>> sv = cx.drop_duplicate_responses(d.survey)[0]
    >>> res = cx.touchpoint_drivers(sv, d.touchpoints, n_boot=0, min_base=20)
    >>> cx.report.touchpoint_driver_findings(res, outcome="osat")[0][:60]
    'Touchpoint experiences of the quarter before explain R² = 0.'
    """
    t = result.table.sort_values("rank")
    when = ("of the same quarter" if lead == 0 else "of the quarter before" if lead == 1
            else f"{lead} quarters before")
    out = [f"Touchpoint experiences {when} explain R² = {result.r_squared:.3f} of {outcome} "
           f"({result.n:,} responses of customers with a scored touchpoint then; {len(t)} touchpoints)."]
    if len(t):
        has_ci = t["ci_low"].notna().any()
        bits = []
        for _, r in t.head(top).iterrows():
            ci = f" {format_interval(r['ci_low'], r['ci_high'], digits=4)}" if has_ci else ""
            bits.append(f"{r['driver']} ({r['share']:.0f}% of the explained variance, R² share {r['estimate']:.4f}{ci}"
                        f"{'' if r['sign'] > 0 else ', negative'})")
        out.append("The touchpoints that move it most: " + "; ".join(bits) + ". Importance combines how often a "
                   "touchpoint happens and how much its experience matters.")
    return out


def divergence_failing_text(*, churn_dates: bool, failure_steps: Any = None) -> str:
    """Which journeys count as failing, in words (for the findings and the method notes).

    Examples
    --------
    >>> divergence_failing_text(churn_dates=True)
    'the customer left after the journey, within the quarter'
    >>> divergence_failing_text(churn_dates=True, failure_steps=["cancellation"])
    'it reached a failure step (cancellation)'
    """
    if failure_steps:
        return "it reached a failure step (" + ", ".join(map(str, failure_steps)) + ")"
    if churn_dates:
        return "the customer left after the journey, within the quarter"
    return "none defined (no failure steps and no churn dates)"



def path_table(variants: PathVariants, *, caption: str | None = None) -> DisplayTable:
    """The top paths as a display table: rank, path, steps, count and share (% of journeys).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02",
    ...     "2026-01-01"]), "touchpoint": ["login", "invoice", "login"]})
    >>> cx.report.path_table(cx.path_variants(cx.journeys(ev))).frame["path"].tolist()
    ['login', 'login > invoice']
    """
    t = to_percent(variants.table).assign(cumulative=lambda f: (100 * f["cumulative"]).round(1))
    return format_table(t, label=["rank", "path"], unit="% of journeys", extra=["n_steps", "count", "cumulative"],
                        show_test=False, caption=caption)


def divergence_table(divergence: PathDivergence, *, top: int = 10, caption: str | None = None) -> DisplayTable:
    """The steps most over-represented in failing journeys: the difference in the share of
    journeys with the step (percentage points), both shares, and the FDR-adjusted p-value.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"] * 2 + ["2026-01-01"]),
    ...     "touchpoint": ["ticket_opened", "cancellation", "login", "invoice", "login"]})
    >>> d = cx.path_divergence(cx.journeys(ev, failure_steps="cancellation"), min_base=1)
    >>> cx.report.divergence_table(d).frame["step"].tolist()
    ['ticket_opened', 'invoice', 'login']
    """
    t = divergence.table.head(top).assign(
        **{"% failing with it": lambda f: (100 * f["share_failing"]).round(1),
           "% other with it": lambda f: (100 * f["share_other"]).round(1),
           "p (FDR)": lambda f: f["p_adjusted"].map(lambda p: "not tested" if pd.isna(p) else f"{p:.3g}")})
    return format_table(to_percent(t), label="step", unit="difference, points",
                        extra=["% failing with it", "% other with it", "p (FDR)"], show_test=False, caption=caption)


def stop_table(follows: Any, *, top: int = 8, min_base: int = 30, caption: str | None = None) -> DisplayTable:
    """Where journeys stop: per step, the share of its transitions that end the journey
    (the ``"(end)"`` rows of :func:`cxlib.directly_follows`), highest first, steps with at
    least ``min_base`` transitions.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02",
    ...     "2026-01-01"]), "touchpoint": ["login", "invoice", "login"]})
    >>> cx.report.stop_table(cx.directly_follows(cx.journeys(ev)), min_base=1).frame["from_step"].tolist()
    ['invoice', 'login']
    """
    t = follows.table
    t = t[(t["to_step"] == "(end)") & (t["n"] >= min_base)].sort_values(["estimate", "from_step"],
                                                                         ascending=[False, True]).head(top)
    return format_table(to_percent(t), label="from_step", unit="% of its transitions end the journey",
                        extra=["count"], show_test=False, caption=caption)


def scorecard_table(scorecard: TouchpointScorecard, *, caption: str | None = None) -> DisplayTable:
    """The touchpoint scorecard as a display table (shares in percent), with volume and the
    change versus the previous quarter when there is one.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tp = pd.DataFrame({"quarter": "2026Q3", "touchpoint": ["billing"] * 3, "csat": [5, 4, 2]})
    >>> cx.report.scorecard_table(cx.touchpoint_scorecard(tp, min_base=3)).frame.columns[0]
    'touchpoint'
    """
    share = "n_top" in scorecard.table.columns
    t = to_percent(scorecard.table) if share else scorecard.table
    if share and "previous" in t.columns:
        t = t.assign(previous=100 * t["previous"])
    unit = f"% {scorecard.metric}" if share else scorecard.metric
    return format_table(t, label=scorecard.by, unit=unit, digits=1 if share else 2, extra=["volume"],
                        show_test=scorecard.previous_quarter is not None, caption=caption)
