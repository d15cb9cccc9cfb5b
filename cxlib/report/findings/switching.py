"""Ticket-level channel switching for reviewers: findings sentences, the display table,
the method sentence and key figures (notebook 05, channel consistency).

Every number is read from a result of :mod:`cxlib.journeys.switching` (never typed by
hand); intervals are written with :func:`~cxlib.core.inference.format_interval`, small
bases with :func:`~cxlib.core.inference.format_suppressed`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...core.checks import check_columns
from ...core.inference import format_interval, format_suppressed
from ...errors import CXDataError
from ...journeys.switching import SwitchingEffect
from ..figures import key_figure
from ..tables import DisplayTable, format_table


def _p_text(p: Any) -> str:
    if p is None or pd.isna(p):
        return "not tested"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _check(effect: Any, name: str) -> None:
    if effect is not None and not isinstance(effect, SwitchingEffect):
        raise CXDataError(f"`{name}` must be a SwitchingEffect (or None), got {type(effect).__name__}")


def _effect_text(e: SwitchingEffect, label: str, versus: str, unit: str, digits: int) -> str:
    if e.small_base:
        return f"{label} {format_suppressed(min(e.n_eff_switched, e.n_eff_other), e.min_base)}"
    return (f"{label} {e.switched:.{digits}f} vs {e.other:.{digits}f} {versus}, a difference of "
            f"{e.estimate:+.{digits}f} points {format_interval(e.ci_low, e.ci_high, digits=digits)} "
            f"({_p_text(e.p_value)}; {e.n_switched:,} vs {e.n_other:,} {unit})")


def switching_findings(share: pd.DataFrame | None = None, csat: SwitchingEffect | None = None,
                       effort: SwitchingEffect | None = None, *, csat_label: str | None = None,
                       effort_label: str | None = None, digits: int = 2) -> list[str]:
    """Sentences on ticket-level channel switching: how often, and what it costs in the
    ticket's satisfaction and in the customer's effort score.

    Parameters
    ----------
    share : DataFrame, optional
        :func:`cxlib.ticket_switch_share`.
    csat : SwitchingEffect, optional
        :func:`cxlib.ticket_switching_csat`.
    effort : SwitchingEffect, optional
        :func:`cxlib.ticket_switching_effort`.
    csat_label, effort_label : str, optional
        The outcomes' labels (default: their columns).
    digits : int, default 2

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"contacts": [2, 2, 2, 2, 3, 3, 3, 3, 3],
    ...                    "switched": [True, True, False, False, True, True, True, False, False],
    ...                    "csat": [2, 3, 4, 5, 1, 2, 3, 3, 4]})
    >>> cx.report.switching_findings(csat=cx.switching_effect(df, outcome="csat", min_base=2))[0][:80]
    'Tickets resolved in another channel than they were opened in: csat 2.20 vs 3.90 '
    """
    _check(csat, "csat")
    _check(effort, "effort")
    out = []
    if share is not None:
        check_columns(share, ["tickets", "estimate", "ci_low", "ci_high", "n", "n_switched"], argument="share")
        rows = share.set_index("tickets")
        multi, every = rows.loc["2+ contacts"], rows.loc["all"]
        out.append(f"{100 * multi['estimate']:.1f}% {format_interval(100 * multi['ci_low'], 100 * multi['ci_high'])} "
                   f"of tickets with more than one contact were resolved in another channel than they were opened "
                   f"in ({int(multi['n_switched']):,} of {int(multi['n']):,}; {100 * every['estimate']:.1f}% of all "
                   f"{int(every['n']):,} tickets).")
    if csat is not None:
        out.append("Tickets resolved in another channel than they were opened in: " + _effect_text(
            csat, csat_label or csat.outcome, "for tickets with as many contacts that stayed in one channel",
            "surveys", digits) + ".")
    if effort is not None:
        out.append("Customers with such a ticket in the quarter: " + _effect_text(
            effort, effort_label or effort.outcome, "for customers with as many multi-contact tickets and no switch",
            "responses", digits) + ".")
    return out


def switching_method(*, csat: bool = True, effort: bool = True, period: str | None = None,
                     clustered: bool = True) -> str:
    """The method sentence of the ticket-level switching analysis.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.report.switching_method(period="every quarter up to 2026Q3")[:60]
    'Ticket-level channel switching (every quarter up to 2026Q3):'
    """
    parts = []
    if csat:
        parts.append("the ticket's satisfaction survey compared within tickets of the same number of contacts")
    if effort:
        parts.append("the customer's effort score of the quarter compared within customers with the same number "
                     "of multi-contact tickets that quarter")
    when = f" ({period})" if period else ""
    return (f"Ticket-level channel switching{when}: a ticket switched when it was resolved in another channel than "
            "it was opened in; " + "; ".join(parts) + " (only multi-contact tickets can switch, and they are harder "
            "tickets); stratified difference of means weighted to the switched tickets' mix (the interacted "
            "regression's coefficient), " + ("standard errors cluster-robust by customer" if clustered else
                                             "HC2 standard errors") + ", normal intervals.")


def switching_table(effects: dict[str, SwitchingEffect | None], *, digits: int = 2,
                    caption: str | None = None) -> DisplayTable:
    """The switching effects as a reviewer table: one row per outcome (label → effect),
    with the switched and comparison means and the bases per arm.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"contacts": [2] * 4, "switched": [True, True, False, False], "csat": [2, 3, 4, 5]})
    >>> t = cx.report.switching_table({"Ticket CSAT": cx.switching_effect(df, outcome="csat", min_base=2)})
    >>> t.to_frame().iloc[0].tolist()[:3]
    ['Ticket CSAT', '-2.00', '[-3.39, -0.61]']
    """
    rows = []
    for label, e in effects.items():
        _check(e, "effects")
        if e is None:
            continue
        rows.append({"outcome": label, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high, "n": e.n,
                     "small_base": e.small_base, "min_base": e.min_base, "confidence_level": e.confidence_level,
                     "switched": f"{e.switched:.{digits}f} (n = {e.n_switched:,})",
                     "not switched": f"{e.other:.{digits}f} (n = {e.n_other:,})"})
    frame = pd.DataFrame(rows, columns=["outcome", "estimate", "ci_low", "ci_high", "n", "small_base", "min_base",
                                        "confidence_level", "switched", "not switched"])
    return format_table(frame, label="outcome", digits=digits, unit="points, switched − not switched",
                        extra=["switched", "not switched"], show_test=False, caption=caption)


def switching_key_figures(share: pd.DataFrame | None = None, csat: SwitchingEffect | None = None,
                          effort: SwitchingEffect | None = None) -> dict[str, dict[str, Any]]:
    """Key figures for the index: the share of multi-contact tickets that switched (percent)
    and each switching effect (points).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> sw = pd.DataFrame({"contacts": [1, 2, 2, 3], "switched": [False, True, False, True]})
    >>> cx.report.switching_key_figures(cx.ticket_switch_share(sw))["tickets switched (2+ contacts)"]["n"]
    3
    """
    _check(csat, "csat")
    _check(effort, "effort")
    out: dict[str, dict[str, Any]] = {}
    if share is not None:
        row = share.set_index("tickets").loc["2+ contacts"]
        out["tickets switched (2+ contacts)"] = key_figure(row, scale=100)
    for e, where in ((csat, "ticket survey"), (effort, "relationship survey")):
        if e is not None:
            out[f"switching effect on {e.outcome} ({where})"] = key_figure(
                {"estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high, "n": e.n,
                 "small_base": e.small_base, "min_base": e.min_base}) | {"digits": 2}
    return out
