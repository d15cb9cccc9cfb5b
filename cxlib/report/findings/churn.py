"""Findings, display tables and key figures of the loyalty and churn notebook (03).

Every number is read from a result object (:mod:`cxlib.survival`, :mod:`cxlib.churn`,
:mod:`cxlib.value`); nothing is typed by hand. A survival median that is never reached
(the curve stays above 50 % through the follow-up) is written "not reached", never "inf".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...churn.horizon import ChurnHorizon
from ...churn.models import ChurnDriversResult
from ...churn.study import LoyaltyGroups
from ...core.inference import format_interval, format_suppressed
from ...errors import CXDataError
from ...survival import SurvivalResult
from ...value.revenue import TOTAL_LABEL, RevenueAtRiskResult
from ..figures import key_figure
from ..tables import DisplayTable, format_table
from .resampling import bootstrap_error_clause

NOT_REACHED = "not reached"


# ---------------------------------------------------------------------------- medians
def _number(x: Any) -> float | None:
    return None if x is None or pd.isna(x) or not np.isfinite(float(x)) else float(x)


def median_text(row: Any, *, digits: int = 1) -> tuple[str, str]:
    """A survival median and its interval as text: ``("12.3", "[9.0, not reached]")``.

    A missing median or bound means that the curve (or its band) stays above 50 % through
    the follow-up, so it is written "not reached".

    >>> median_text({"estimate": float("nan"), "ci_low": 30.25, "ci_high": float("nan")})
    ('not reached', '[30.2, not reached]')
    >>> median_text({"estimate": 14.0, "ci_low": 12.0, "ci_high": 17.5})
    ('14.0', '[12.0, 17.5]')
    """
    est, low, high = (_number(row[k]) for k in ("estimate", "ci_low", "ci_high"))
    median = NOT_REACHED if est is None else f"{est:.{digits}f}"
    if low is None:
        interval = NOT_REACHED
    elif high is None:
        interval = f"[{low:.{digits}f}, {NOT_REACHED}]"
    else:
        interval = format_interval(low, high, digits=digits)
    return median, interval


def median_table(result: SurvivalResult, *, unit: str = "months", caption: str | None = None) -> DisplayTable:
    """The medians of a :class:`~cxlib.survival.SurvivalResult` for reviewers.

    One row per group: median time to the event ("not reached" when the curve stays
    above 50 %), its interval, n and events; groups below the minimum base suppressed.

    Examples
    --------
    >>> from cxlib.survival import survival
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "g": list("aaabbb")})
    >>> median_table(survival(d, duration="t", event="e", by="g", min_base=1)).to_frame().values.tolist()
    [['a', '2.0', '[1.0, 3.0]', '3', '3'], ['b', 'not reached', 'not reached', '3', '0']]
    """
    if not isinstance(result, SurvivalResult):
        raise CXDataError(f"`result` must be a SurvivalResult from cx.survival, got {type(result).__name__}")
    level = f"{result.confidence_level:.0%} CI"
    rows = []
    for _, r in result.medians.iterrows():
        if bool(r["small_base"]):
            median, interval = format_suppressed(r["n"], r["min_base"]), ""
        else:
            median, interval = median_text(r)
        rows.append({"group": str(r["group"]), f"median ({unit})": median, level: interval,
                     "n": f"{int(r['n']):,}", "events": f"{int(r['events']):,}"})
    return DisplayTable(pd.DataFrame(rows), caption=caption)


def survival_findings(result: SurvivalResult, *, unit: str = "months", groups: str | None = None) -> list[str]:
    """Sentences on a survival comparison: the log-rank test and the medians by group.

    ``groups`` names the groups in the log-rank sentence (default: "the <by> groups").

    Examples
    --------
    >>> from cxlib.survival import survival
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "g": list("aaabbb")})
    >>> survival_findings(survival(d, duration="t", event="e", by="g", min_base=1))[1]
    'Median time to churn: a 2.0 months [1.0, 3.0] (n = 3), b not reached (n = 3); 95% CI in brackets.'
    """
    if not isinstance(result, SurvivalResult):
        raise CXDataError(f"`result` must be a SurvivalResult from cx.survival, got {type(result).__name__}")
    out = []
    if result.logrank is not None:
        lr = result.logrank
        out.append(f"Log-rank test across {groups or f'the {result.by} groups'}: χ² = {lr.statistic:.1f} on "
                   f"{lr.df} df, p = {lr.p_value:.2g}.")
    parts, bracketed = [], False
    for _, r in result.medians.iterrows():
        if bool(r["small_base"]):
            parts.append(f"{r['group']} {format_suppressed(r['n'], r['min_base'])}")
            continue
        median, interval = median_text(r)
        shown = NOT_REACHED if median == NOT_REACHED else f"{median} {unit}"
        if interval != NOT_REACHED:
            shown += f" {interval}"
            bracketed = True
        parts.append(f"{r['group']} {shown} (n = {int(r['n']):,})")
    note = f"; {result.confidence_level:.0%} CI in brackets" if bracketed else ""
    out.append(f"Median time to churn: {', '.join(parts)}{note}.")
    return out


# ---------------------------------------------------------------------------- models
#: How a model warning of each kind reads in the note column of a ratio table.
_NOTES = {"separation": "not estimable: perfect separation", "not_estimable": "not estimable",
          "proportional_hazards": "changes over time (PH test)", "convergence": "fit did not converge"}


def _ratio_shown(x: Any) -> str:
    x = _number(x)
    return "–" if x is None else f"{x:.2f}" if x < 1e6 else f"{x:.2g}"


def _for_table(warnings: Sequence[Any], table: pd.DataFrame) -> dict[str, str]:
    """Notes per term from the model warnings that concern this table's model."""
    odds = "odds_ratio" in table.columns
    notes: dict[str, list[str]] = {}
    for w in warnings:
        term, model = getattr(w, "term", None), str(getattr(w, "model", ""))
        if term is not None and model.startswith("logistic") == odds:
            notes.setdefault(term, []).append(_NOTES.get(getattr(w, "kind", ""), str(w)))
    return {t: "; ".join(v) for t, v in notes.items()}


def ratio_table(table: pd.DataFrame, *, unit: str = "hazard ratio", caption: str | None = None,
                warnings: Sequence[Any] = ()) -> DisplayTable:
    """A hazard- or odds-ratio table of :func:`cxlib.churn_drivers` for reviewers (with p-values).

    ``warnings`` (the result's ``warnings``) adds a ``note`` column next to the numbers of
    the terms they concern (an interval not estimable, a ratio that changes over time);
    a missing interval reads "no interval", a missing p-value "–".

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["x"], "estimate": [1.5], "ci_low": [1.2], "ci_high": [1.9], "n": [400],
    ...                   "p_value": [0.00042]})
    >>> ratio_table(t).to_frame().values.tolist()
    [['x', '1.50', '[1.20, 1.90]', '400', '0.00042']]
    """
    shown = format_table(table, label="term", digits=2, unit=unit, show_test=False).to_frame()
    huge = [_number(x) is not None and _number(x) >= 1e6 for x in table["estimate"]]
    shown.iloc[huge, 1] = [_ratio_shown(x) for x in table["estimate"][huge]]  # no 21-digit ratio when separated
    shown["p"] = ["–" if _number(p) is None else f"{p:.2g}" for p in table["p_value"]]
    notes = _for_table(warnings, table)
    if notes:
        shown["note"] = [notes.get(str(t), "") for t in table["term"]]
    return DisplayTable(shown, caption=caption)


def ph_test_table(drivers: ChurnDriversResult, *, caption: str | None = None) -> DisplayTable:
    """The proportional-hazards check of a Cox fit: χ² (1 df), p and the p-value adjusted
    across the terms (Benjamini–Hochberg) per term."""
    ph = drivers.ph_test
    shown = pd.DataFrame({"term": ph["term"].astype(str), "χ² (1 df)": [f"{s:.2f}" for s in ph["statistic"]],
                          "p": [f"{p:.2g}" for p in ph["p_value"]], "n": f"{drivers.n:,}"})
    if "p_adjusted" in ph.columns:
        shown.insert(3, "p (BH-adjusted)", [f"{p:.2g}" for p in ph["p_adjusted"]])
    return DisplayTable(shown, caption=caption)


def warning_sentences(warnings: Sequence[Any]) -> list[str]:
    """Model warnings as sentences for reviewers ("Warning: … .").

    >>> warning_sentences(["the Cox model did not converge: treat its estimates with caution"])
    ['Warning: the Cox model did not converge: treat its estimates with caution.']
    """
    return [f"Warning: {w}." for w in warnings]


# ---------------------------------------------------------------------------- findings
def _rates_sentence(rates: pd.DataFrame, group: str, groups: LoyaltyGroups | None = None) -> str | None:
    low, ref = (groups.lowest, groups.reference) if groups else ("detractor", "promoter")
    low_who, ref_who = (groups.members(low), groups.members(ref)) if groups else ("detractors", "promoters")
    r = rates.set_index(group)
    if not {low, ref} <= set(r.index):
        return None
    d, p = r.loc[low], r.loc[ref]
    if bool(d.get("small_base", False)) or bool(p.get("small_base", False)):
        return f"Churn by {groups.name if groups else 'NPS group'} is not reported: a group is below the minimum base."
    return (
        f"{low_who[0].upper()}{low_who[1:]} churn at {100 * d['estimate']:.2f} % a month "
        f"{format_interval(100 * d['ci_low'], 100 * d['ci_high'], digits=2)} (n = {int(d['n']):,}), "
        f"{ref_who} at {100 * p['estimate']:.2f} % {format_interval(100 * p['ci_low'], 100 * p['ci_high'], digits=2)} "
        f"(n = {int(p['n']):,}): {d['estimate'] / p['estimate']:.1f} times as often."
    )


def _about(warning: Any, term: str) -> bool:
    """Whether a model warning concerns the Cox hazard ratio of ``term``."""
    return getattr(warning, "term", None) == term and not str(getattr(warning, "model", "")).startswith("logistic")


def _hazard_sentence(drivers: ChurnDriversResult, term: str) -> str | None:
    """The quoted hazard ratio, followed by the model warnings about it."""
    hr = drivers.hazard_ratios.set_index("term")
    if term not in hr.index:
        return None
    h = hr.loc[term]
    own = [w for w in drivers.warnings if _about(w, term)]
    notes = "".join(f" Note: {w}." for w in own)
    if _number(h["ci_low"]) is None or _number(h["ci_high"]) is None:
        return (f"Holding the model's other terms fixed, the churn hazard ratio for {term} is "
                f"{_ratio_shown(h['hazard_ratio'])} with no interval ({drivers.n_events:,} churn events).{notes}")
    sig = ("the interval excludes 1, so the difference in churn is significant"
           if h["ci_low"] > 1 or h["ci_high"] < 1
           else "the interval includes 1, so no difference in churn can be claimed")
    return (
        f"Holding the model's other terms fixed, the churn hazard ratio for {term} is "
        f"{h['hazard_ratio']:.2f} ({drivers.confidence_level:.0%} CI {h['ci_low']:.2f}–{h['ci_high']:.2f}; "
        f"{drivers.n_events:,} churn events): {sig}.{notes}"
    )


def _mc_error(row: Any, n_boot: int, currency: str) -> str:
    """The Monte-Carlo error of the row's interval, as a sentence to append, when it is large."""
    clause = bootstrap_error_clause(row, n_boot=n_boot, digits=0, thousands=True, prefix=currency)
    return "" if clause is None else " " + clause


def _revenue_sentences(at_risk: RevenueAtRiskResult, currency: str,
                       groups: LoyaltyGroups | None = None) -> list[str]:
    """The total revenue at risk and protected, from the "(all)" rows (never a sum over
    groups and their totals, which would count each amount twice), with their intervals
    and, when it exceeds 10 % of an interval's half-width, the Monte-Carlo error of its
    bounds (:func:`~cxlib.report.findings.resampling.bootstrap_error_clause`)."""
    totals = _risk_totals(at_risk)
    risk = totals.loc["revenue_at_risk"]
    level = f"{at_risk.confidence_level:.0%}"
    out = [
        f"Expected revenue lost to churn over the next {at_risk.horizon:g} months: "
        f"{currency}{risk['estimate']:,.0f} ({level} CI "
        f"{format_interval(risk['ci_low'], risk['ci_high'], digits=0, thousands=True)}) of "
        f"{currency}{risk['revenue']:,.0f} run-rate revenue ({100 * risk['estimate'] / risk['revenue']:.1f} %)."
        + _mc_error(risk, at_risk.n_boot, currency)
    ]
    prot = [q for q in totals.index if str(q).startswith("protected_if_")]
    if prot:
        row = totals.loc[prot[0]]
        move_from, move_to = prot[0].removeprefix("protected_if_").split("_to_")
        who = f"every {move_from}" if groups is None or groups.role == "recommend" else f"the {groups.members(move_from)}"
        out.append(
            f"Moving {who} to {move_to} would protect about {currency}{row['estimate']:,.0f} "
            f"({level} CI {format_interval(row['ci_low'], row['ci_high'], digits=0, thousands=True)}) "
            "of it (a causal reading of the hazard ratio; see the assumptions)." + _mc_error(row, at_risk.n_boot, currency)
        )
    return out


def churn_findings(
    *,
    rates: pd.DataFrame | None = None,
    drivers: ChurnDriversResult | None = None,
    at_risk: RevenueAtRiskResult | None = None,
    group: str = "nps_group",
    term: str = "nps_group[detractor]",
    currency: str = "",
    groups: LoyaltyGroups | None = None,
) -> list[str]:
    """One-sentence findings for the loyalty and churn report, every number from a result.

    Parameters
    ----------
    rates : pandas.DataFrame, optional
        From :func:`cxlib.churn_hazard_by_group` by ``group`` (monthly unit, proportions).
    drivers : ChurnDriversResult, optional
        Its hazard ratio ``term`` is quoted, with the model warnings about that term
        right after it; its other warnings follow as sentences of their own.
    at_risk : RevenueAtRiskResult, optional
        Rows of ``revenue_at_risk`` and the move scenario are summed into totals
        (per-group intervals are not additive, so totals are quoted without one).
    group, term, currency : str
    groups : LoyaltyGroups, optional
        The study's loyalty groups (:func:`cxlib.loyalty_groups`): they set ``group`` and
        ``term`` (the least loyal group against the most loyal) and the words for both.

    Returns
    -------
    list of str

    Examples
    --------
    >>> r = pd.DataFrame({"nps_group": ["promoter", "detractor"], "estimate": [0.01, 0.025],
    ...                   "ci_low": [0.008, 0.02], "ci_high": [0.012, 0.03], "n": [500, 200],
    ...                   "small_base": [False, False]})
    >>> churn_findings(rates=r)[0]
    'Detractors churn at 2.50 % a month [2.00, 3.00] (n = 200), promoters at 1.00 % [0.80, 1.20] (n = 500): 2.5 times as often.'
    """
    if groups is not None:
        group, term = groups.group_column, f"{groups.group_column}[{groups.lowest}]"
    out: list[str] = []
    if rates is not None and (s := _rates_sentence(rates, group, groups)) is not None:
        out.append(s)
    if drivers is not None:
        hazard = _hazard_sentence(drivers, term)
        out += [hazard] if hazard is not None else []
        # the warnings not already quoted next to the hazard ratio
        out += warning_sentences([w for w in drivers.warnings if hazard is None or not _about(w, term)])
    if at_risk is not None:
        out += _revenue_sentences(at_risk, currency, groups)
    return out


# ---------------------------------------------------------------------------- key figures
def _without_base_rule(value: Any) -> dict[str, Any]:
    """A key figure of a value with no minimum-base rule (a model ratio, a total)."""
    fig = key_figure(value)
    del fig["small_base"]
    return fig


def _risk_totals(at_risk: RevenueAtRiskResult) -> pd.DataFrame:
    """One row per quantity: the "(all)" total rows when grouped, else the only group."""
    t = at_risk.table
    by_cols = list(t.columns[: t.columns.get_loc("quantity")])
    total = (t[by_cols] == TOTAL_LABEL).all(axis=1) if by_cols else pd.Series(True, index=t.index)
    return (t.loc[total] if total.any() else t).groupby("quantity").first()


def churn_key_figures(
    *,
    rates: pd.DataFrame,
    drivers: ChurnDriversResult,
    at_risk: RevenueAtRiskResult | None,
    group: str = "nps_group",
    level: str = "detractor",
    groups: LoyaltyGroups | None = None,
) -> dict[str, dict[str, Any]]:
    """The headline key figures of notebook 03, each from a row of a result table.

    Monthly churn of the ``level`` group (percent, with its base rule), its Cox hazard
    ratio against the reference level, and the total revenue at risk and protected by the
    move scenario (the "(all)" rows of ``at_risk``). ``groups`` (the study's loyalty
    groups) sets ``group`` and ``level`` (the least loyal group) and names the members.

    Examples
    --------
    >>> from cxlib.value.revenue import revenue_at_risk
    >>> d = pd.DataFrame({"customer_id": [1, 2], "monthly_revenue": [10.0, 20.0], "p": [0.1, 0.2]})
    >>> risk = revenue_at_risk(d, churn_probability="p", horizon=12, n_boot=0)
    >>> _risk_totals(risk)["estimate"].tolist()
    [60.0]
    """
    if groups is not None:
        group, level = groups.group_column, groups.lowest
    who = groups.members if groups is not None else (lambda lv: f"{lv}s")
    rate = rates.set_index(group).loc[level]
    reference = drivers.spec["levels"][group][0]
    hazard = drivers.hazard_ratios.set_index("term").loc[f"{group}[{level}]"]
    figures = {
        f"Monthly churn, {who(level)} (%)": key_figure(rate, scale=100),
        f"Hazard ratio {level} vs {reference}": _without_base_rule(hazard),
    }
    if at_risk is None:  # a study without revenue
        return figures
    totals = _risk_totals(at_risk)
    figures[f"Revenue at risk, {at_risk.horizon:g} months"] = _without_base_rule(totals.loc["revenue_at_risk"])
    for quantity in totals.index.drop("revenue_at_risk"):
        move_from, move_to = quantity.removeprefix("protected_if_").split("_to_")
        figures[f"Revenue protected, {who(move_from)} to {who(move_to)}"] = _without_base_rule(totals.loc[quantity])
    return figures


# ---------------------------------------------------------------------------- a study's churn
_GAPS = {
    "no_customers": "it has no customers table",
    "no_dates": "its customers table has no signup and churn dates ([roles.customers] signup_date and churn_date)",
    "no_response_date": "its survey has no response date (the date role) to start the follow-up from",
    "no_customer_id": "its survey has no customer id linking the responses to the customers table",
}


def churn_gap_text(what: str, *, gap: str | None = None, horizon: ChurnHorizon | None = None) -> str:
    """The one sentence a churn section shows when the study cannot have it.

    ``gap`` is a reason of :func:`cxlib.churn.study.churn_gap`; with no gap, ``horizon``
    (without a usable horizon) says the follow-up is too short.

    >>> churn_gap_text("Churn by loyalty group", gap="no_customers")
    'Churn by loyalty group is not part of this study: it has no customers table.'
    """
    if gap is not None:
        if gap not in _GAPS:
            raise CXDataError(f"`gap`={gap!r} is not a known reason; valid: {list(_GAPS)}")
        return f"{what} is not part of this study: {_GAPS[gap]}."
    if horizon is None or horizon.months is not None:
        raise CXDataError("give the `gap`, or a `horizon` that has no usable length")
    return (f"{what} cannot be estimated: fewer than {horizon.min_at_risk:,} customers are still followed even "
            f"{horizon.candidates['horizon'].min():g} month after their first response (longest follow-up "
            f"{horizon.max_follow_up:.1f} months).")


def horizon_sentence(horizon: ChurnHorizon) -> str:
    """Which churn horizon was used and why (:func:`cxlib.churn_horizon`).

    >>> from cxlib.churn.horizon import churn_horizon
    >>> d = pd.DataFrame({"duration": [1.5, 4, 5, 7, 8, 10, 11.5, 2], "event": [1, 0, 1, 0, 0, 0, 0, 1]})
    >>> horizon_sentence(churn_horizon(d, horizon=12, min_at_risk=3))  # doctest: +NORMALIZE_WHITESPACE
    'Horizon: 6 months, shorter than the requested 12: the follow-up lasts at most 11.5 months and no customer is
    still followed 12 months after the start of their follow-up (the rule needs 3); 6 months
    is the longest of 12, 9, 6, 3 or 1 months that leaves enough (4 customers).'
    """
    req, h = horizon.requested, horizon.months
    if h is None:
        return churn_gap_text("A churn horizon", horizon=horizon)
    if not horizon.adapted:
        return (f"Horizon: {h:g} months, as requested; {horizon.at_risk:,} customers are still followed {h:g} "
                f"months after the start of their follow-up (the rule needs {horizon.min_at_risk:,}).")
    c = horizon.candidates
    at_req = int(c.loc[c["horizon"] == req, "at_risk"].iloc[0])
    listed = [f"{x:g}" for x in c["horizon"]]
    still = "no customer is" if at_req == 0 else f"only {at_req:,} customer{'s are' if at_req > 1 else ' is'}"
    longest = np.floor(horizon.max_follow_up * 10) / 10  # 11.97 months is "at most 11.9", not 12.0
    return (f"Horizon: {h:g} months, shorter than the requested {req:g}: the follow-up lasts at most "
            f"{longest:.1f} months and {still} still followed {req:g} months "
            f"after the start of their follow-up (the rule needs {horizon.min_at_risk:,}); "
            f"{h:g} months is the longest of {', '.join(listed[:-1])} or {listed[-1]} months that leaves enough "
            f"({horizon.at_risk:,} customers).")


def churn_method(groups: LoyaltyGroups, horizon: ChurnHorizon, *, controls: Sequence[str] = (),
                 episodes: bool = False, weighted: bool = False, revenue: bool = True) -> str:
    """The method note of the loyalty and churn report, for the study's groups and horizon.

    Parameters
    ----------
    groups : LoyaltyGroups
    horizon : ChurnHorizon
        The horizon used (:func:`horizon_sentence` is part of the note).
    controls : sequence of str
        Labels of the customer attributes the Cox model controls for.
    episodes : bool
        Whether the time-varying model has the negative-episode flag (a journeys table).
    weighted : bool
        Whether the study has survey weights (they weight the loyalty share, not churn).
    revenue : bool
        Whether the customers table has a revenue role (CLV and revenue at risk).

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> from cxlib.churn.study import loyalty_groups
    >>> from cxlib.churn.horizon import churn_horizon
    >>> h = churn_horizon(pd.DataFrame({"duration": [13.0] * 40, "event": [0] * 40}), horizon=12)
    >>> "conditional on the months each customer has already stayed" in churn_method(loyalty_groups(SYNTHETIC_ROLES), h)
    True
    """
    name = groups.name
    control = f", with {' and '.join(controls)} as {'a control' if len(controls) == 1 else 'controls'}" if controls \
        else ""
    parts = [
        "Each surveyed customer is followed from her first response up to the end of the reporting quarter "
        "(churn = the customer's churn date; still active = censored).",
        f"Customers are grouped by their answer to {groups.question!r} ({groups.definition()}; {groups.reference} is "
        "the reference).",
        f"Kaplan–Meier curves by {name} with Greenwood-based log(−log) bands, medians with intervals and a log-rank "
        f"test. A Cox proportional-hazards model ({name}{control}) with a Schoenfeld-residual check of proportional "
        "hazards, and a logistic model of churn within the horizon as the cruder alternative. A time-varying Cox "
        "model follows every response to the end of its quarter"
        + (', with the time-varying flag "after a negative episode this quarter".' if episodes else "."),
        "Monthly churn = events / months at risk (constant hazard, exact Poisson interval)"
        + ("; CLV = margin × expected lifetime (geometric, undiscounted)." if revenue else "."),
    ]
    if revenue:
        parts.append(
            "Revenue at risk = Σ over the customers active at the end of the quarter of the probability of leaving "
            "within the horizon × monthly revenue × horizon, from the Cox model, conditional on the months each "
            "customer has already stayed (the probability of leaving in the next h months given t months already "
            "stayed: 1 − S(t + h) / S(t)), with a customer bootstrap refitting the model.")
    parts.append(horizon_sentence(horizon))
    parts.append(("Survey weights weight the loyalty share only: in the churn analysis each followed customer counts "
                  "once." if weighted else "The study has no survey weights: every customer counts once."))
    parts.append(
        f"**Assumptions:** the {name} is measured once, at the first response (it changes later, which dilutes its "
        "effect); the move scenario reads the hazard ratio causally"
        + ("; revenue is constant and lost in full on churn; the gross margin share is a parameter" if revenue else "")
        + ". Groups below the minimum base are flagged and suppressed; a median the curve never reaches within the "
        "follow-up reads \"not reached\".")
    return " ".join(parts)


def loyalty_key_figures(headline: pd.DataFrame, metric: str) -> dict[str, dict[str, Any]]:
    """The key figure of the loyalty metric (a row of :func:`cxlib.headline_metrics`), for a
    study whose churn cannot be followed.

    >>> row = pd.DataFrame([{"metric": "NPS", "unit": "points", "estimate": 20.0, "ci_low": 15.0, "ci_high": 25.0,
    ...                      "n": 400, "small_base": False}])
    >>> loyalty_key_figures(row, "NPS")
    {'NPS': {'estimate': 20.0, 'ci_low': 15.0, 'ci_high': 25.0, 'n': 400, 'small_base': False}}
    """
    r = headline.set_index("metric").loc[metric]
    return {f"{metric}{' (%)' if r['unit'] == '%' else ''}": key_figure(r)}
