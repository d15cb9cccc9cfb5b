"""Findings sentences, key figures and display tables of a key-driver analysis.

Every number is taken from the result objects of :mod:`cxlib.drivers`; intervals are
written with :func:`cxlib.core.inference.format_interval` (a missing one reads
"no interval").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...core.inference import format_interval
from ...drivers.results import (
    DriverStabilityResult,
    ImportancePerformanceResult,
    KeyDriverResult,
    KeyDriversByGroupResult,
    PenaltyRewardResult,
)
from ...drivers.summary import driver_summary, r_squared_interval, segment_driver_differences, top_driver_lead
from ..figures import key_figure
from ..tables import DisplayTable, format_table


def _pct(x: float) -> str:
    return f"{x:.1f}%"


def _names(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _level(confidence_level: float) -> str:
    return f"{confidence_level:.0%}"


def _namer(labels: Mapping[str, str] | None) -> Callable[[str], str]:
    """Column -> its label (question text), or the column id when it has none."""
    labels = dict(labels or {})
    return lambda column: str(labels.get(column) or column)


# ---------------------------------------------------------------------------
# key figures
# ---------------------------------------------------------------------------
def key_driver_figures(result: KeyDriverResult, *, label: str | None = None) -> dict[str, dict[str, Any]]:
    """Headline key figures of a key-driver result, for :func:`cxlib.report.save_key_figures`.

    Parameters
    ----------
    result : KeyDriverResult
    label : str, optional
        Prefix of the entries (default: the outcome name).

    Returns
    -------
    dict
        ``"<label> R² (%)"`` and ``"<label> top driver: <driver> (% of R²)"``, each a
        :func:`~cxlib.report.figures.key_figure` (``estimate, ci_low, ci_high, n,
        small_base``) plus ``confidence_level``, in percent (the R² interval from
        :func:`~cxlib.drivers.r_squared_interval`, the share interval from
        :func:`~cxlib.drivers.driver_summary`). Estimates are None when the base is small,
        so no reader of the JSON mistakes them for solid numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=1)
    >>> figs = key_driver_figures(res)
    >>> list(figs), figs["y top driver: b (% of R²)"]["estimate"]
    (['y R² (%)', 'y top driver: b (% of R²)'], 80.0)
    """
    label = result.outcome if label is None else label
    top = driver_summary(result).iloc[0]
    r2_lo, r2_hi = r_squared_interval(result)
    r2_name = "McFadden R² (%)" if result.outcome_type == "binary" else "R² (%)"
    solid = not result.small_base

    def entry(est: float, lo: float, hi: float) -> dict[str, Any]:
        value = {"estimate": est, "ci_low": lo, "ci_high": hi} if solid else {}
        fig = key_figure({**value, "n": result.n, "small_base": result.small_base})
        fig["confidence_level"] = result.confidence_level
        return fig

    return {
        f"{label} {r2_name}": entry(100 * result.r_squared, 100 * r2_lo, 100 * r2_hi),
        f"{label} top driver: {top['driver']} (% of R²)": entry(top["estimate"], top["ci_low"], top["ci_high"]),
    }


# ---------------------------------------------------------------------------
# findings sentences
# ---------------------------------------------------------------------------
def _share_parts(summary: pd.DataFrame, k: int, name: Callable[[str], str]) -> str:
    return "; ".join(f"{name(r.driver)} {_pct(r.estimate)} {format_interval(r.ci_low, r.ci_high)}"
                     for r in summary.head(k).itertuples())


def _main_findings(result: KeyDriverResult, top: int, name: Callable[[str], str]) -> list[str]:
    level = _level(result.confidence_level)
    lo, hi = r_squared_interval(result)
    interval = format_interval(100 * lo, 100 * hi)
    binary = result.outcome_type == "binary"
    explained = "McFadden's pseudo-R²" if binary else "the explained variance"
    ci = f"{level} CI {interval}" if np.isfinite(lo) else interval
    what = repr(name(result.outcome))
    fit = (f"reach a McFadden pseudo-R² of {_pct(100 * result.r_squared)} for {what} (a 0/1 outcome; "
           if binary else f"explain {_pct(100 * result.r_squared)} of the variance in {what} (R²; ")
    out = [(f"The {len(result.drivers)} drivers {fit}{ci}; n = {result.n:,} complete responses, "
            f"{result.n_dropped:,} dropped for a missing answer).")]
    s = driver_summary(result)
    sentence = f"Largest shares of {explained} ({level} CI): {_share_parts(s, min(top, len(s)), name)}."
    lead = top_driver_lead(result)
    if lead is not None and result.bootstrap_importances.shape[0]:
        verdict = "clearly ahead" if lead["ci_low"] > 0 else "not separable from the second"
        sentence += (
            f" The top driver, {name(lead['driver'])}, leads {name(lead['runner_up'])} by {lead['estimate']:.1f} "
            f"{'pseudo-R²' if binary else 'R²'} points ({format_interval(lead['ci_low'], lead['ci_high'])}): {verdict}."
        )
    out.append(sentence)
    return out


def _loyalty_finding(loyalty: KeyDriverResult, result: KeyDriverResult, k: int, name: Callable[[str], str]) -> str:
    if loyalty.small_base:
        return (f"Loyalty view ({name(loyalty.outcome)!r}): base too small (n = {loyalty.n:,} < "
                f"{loyalty.min_base:,}); suppressed.")
    s, ls = driver_summary(result), driver_summary(loyalty)
    llo, lhi = r_squared_interval(loyalty)
    same = set(ls["driver"].head(k)) == set(s["driver"].head(k))
    compare = (f"the same top {k} as for {name(result.outcome)!r}" if same
               else f"a different top {k} from {name(result.outcome)!r}")
    return (f"For {name(loyalty.outcome)!r} (McFadden R² {_pct(100 * loyalty.r_squared)} "
            f"{format_interval(100 * llo, 100 * lhi)}, n = {loyalty.n:,}) the largest shares are "
            f"{_share_parts(ls, k, name)} — {compare}.")


def _borderline(row: Any, name: Callable[[str], str]) -> str:
    axes = row.unsettled
    return f"{name(row.driver)} ({axes} interval{'s' if ' and ' in axes else ''} across the cut-off)"


def _ipa_finding(ipa: ImportancePerformanceResult, name: Callable[[str], str]) -> str:
    """Settled quadrant calls are named as such; the others are called borderline, with the axis."""
    t = ipa.table
    settled = t["settled"].astype(bool)

    def calls(quadrant: str, solid: bool) -> list[str]:
        rows = t[(t["quadrant"] == quadrant) & (settled == solid)]
        return [name(r.driver) if solid else _borderline(r, name) for r in rows.itertuples()]

    conc, conc_b = calls("concentrate here", True), calls("concentrate here", False)
    keep, keep_b = calls("keep up the good work", True), calls("keep up the good work", False)
    measure = "top-box share" if ipa.performance_measure == "top_box" else "rating"
    cut = (f"cut-offs at the {ipa.cutoff} importance {ipa.importance_cutoff:.3f} and {ipa.cutoff} {measure} "
           f"{ipa.performance_cutoff:.2f}")
    level = _level(ipa.confidence_level)
    if conc:
        out = (f"Act first on {_names(conc)}: importance above and performance at or below the cut-offs, settled "
               f"by the data (both {level} intervals clear the cut-offs; 'concentrate here'; {cut}).")
    else:
        out = (f"No driver is settled in 'concentrate here' ({cut}; settled = both {level} intervals clear the "
               "cut-offs)." if conc_b else f"No driver falls in 'concentrate here' ({cut}).")
    if conc_b:
        out += f" Borderline 'concentrate here' on the point estimates only: {_names(conc_b)}."
    if not conc:
        if keep:
            out += (f" The important driver{'s' if len(keep) > 1 else ''} {_names(keep)} already "
                    f"perform{'' if len(keep) > 1 else 's'} above average (settled) — protect "
                    f"{'them' if len(keep) > 1 else 'it'}.")
        elif not keep_b and not conc_b:
            out += " No driver is both important and above average either."
        if keep_b:
            out += f" Borderline 'keep up the good work': {_names(keep_b)}."
    return out


def _penalty_findings(penalty: PenaltyRewardResult, level: str, name: Callable[[str], str]) -> list[str]:
    t = penalty.table
    pure = t[(t["penalty_ci_low"] > 0) & (t["reward_ci_low"] <= 0)].sort_values("asymmetry", ascending=False)
    y = np.asarray(penalty.model.model.endog, dtype=float)
    binary = bool(len(y)) and set(np.unique(y)) <= {0.0, 1.0}
    what = repr(name(penalty.model.model.endog_names))
    out = []
    if len(pure):
        parts = [f"{name(r.driver)} (penalty {r.penalty:.2f} {format_interval(r.penalty_ci_low, r.penalty_ci_high, digits=2)}, "
                 f"reward {r.reward:.2f} {format_interval(r.reward_ci_low, r.reward_ci_high, digits=2)})"
                 for r in pure.itertuples()]
        unit = f"differences in the probability of {what} = 1" if binary else f"{what} scale points"
        out.append(f"Penalty without a detectable reward (a low rating lowers {what}, a top rating adds nothing "
                   f"distinguishable from zero; {unit}, {level} CI): {'; '.join(parts)}.")
    n_basic = int((t["category"] == "basic").sum())
    at_top = float(np.mean(y == y.max())) if len(y) else 0.0
    if binary:
        caveat = f"on a 0/1 outcome ({at_top:.0%} at 1) the effects are differences in probability"
    else:
        caveat = f"with an ordinal {y.min():g}–{y.max():g} outcome" + (
            f" that bunches at the top ({at_top:.0%} at {y.max():g}), many drivers can look basic"
            if at_top >= 0.3 else "")
    counts = t["category"].value_counts()
    tally = ", ".join(f"{counts.get(c, 0)} {c}" for c in ("basic", "performance", "excitement", "unclear"))
    out.append(f"Categories from the penalty and reward intervals: {tally} (basic = a penalty without a "
               f"reward, or one at least twice the reward; unclear = neither effect distinguishable from "
               f"zero); {n_basic} of {len(t)} drivers are basic {caveat} — compare the sizes.")
    return out


def _differences_finding(by_group: KeyDriversByGroupResult, name: Callable[[str], str]) -> str | None:
    differences = segment_driver_differences(by_group)
    if not len(differences):
        return None
    small = differences["small_base"].astype(bool)
    solid = differences[~small]
    sig = solid[solid["significant"].fillna(False).astype(bool)]
    thin = int(small.sum())
    extra = f" ({thin} comparisons involving a segment below the minimum base not tested)" if thin else ""
    if len(sig):
        parts = [f"{name(r.driver)}: {r.group_a} − {r.group_b} = {r.estimate:+.1f} R² points "
                 f"{format_interval(r.ci_low, r.ci_high)}" for r in sig.itertuples()]
        return (f"{len(sig)} of {len(solid)} segment differences are significant after Benjamini–Hochberg "
                f"adjustment: {'; '.join(parts)}{extra}.")
    return (f"None of the {len(solid)} segment differences in driver importance is significant after "
            f"Benjamini–Hochberg adjustment{extra}: no evidence that segments need different priorities.")


def _stability_finding(stability: DriverStabilityResult) -> str | None:
    rc = stability.rank_correlation
    if not len(rc):
        return None
    per = stability.period
    parts = [f"{getattr(r, per)} vs {getattr(r, 'previous_' + per)}: {r.spearman_rho:.2f}" for r in rc.itertuples()]
    return f"Stability of the ranking between consecutive periods (Spearman ρ): {'; '.join(parts)}."


def key_driver_findings(
    result: KeyDriverResult,
    *,
    loyalty: KeyDriverResult | None = None,
    ipa: ImportancePerformanceResult | None = None,
    penalty: PenaltyRewardResult | None = None,
    by_group: KeyDriversByGroupResult | None = None,
    stability: DriverStabilityResult | None = None,
    top: int = 3,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """Plain-language findings of a key-driver analysis, written from the result objects.

    Parameters
    ----------
    result : KeyDriverResult
        The main analysis (e.g. osat on the drivers).
    loyalty : KeyDriverResult, optional
        A binary (promoter vs not) analysis.
    ipa : ImportancePerformanceResult, optional
    penalty : PenaltyRewardResult, optional
    by_group : KeyDriversByGroupResult, optional
        Its segment differences (:func:`~cxlib.drivers.segment_driver_differences`) are
        summarised.
    stability : DriverStabilityResult, optional
    top : int
        How many drivers to name.
    labels : mapping, optional
        Column -> label (question text) of the outcomes and drivers: the sentences name
        them by their labels (a column without one by its id).

    Returns
    -------
    list of str
        One sentence per topic. Every number comes from the arguments; a result below
        its minimum base yields a suppression sentence instead of estimates. The
        importance–performance sentence names a quadrant call as settled only when both
        of the driver's intervals clear the cut-offs; the others are called borderline,
        with the axis that is not settled.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=1)
    >>> key_driver_findings(res)[0]
    "The 2 drivers explain 100.0% of the variance in 'y' (R²; no interval; n = 4 complete responses, 0 dropped for a missing answer)."
    """
    name = _namer(labels)
    if result.small_base:
        return [
            f"Base too small for a key-driver analysis of {name(result.outcome)!r}: n = {result.n:,} complete "
            f"responses, below the minimum base of {result.min_base:,}; estimates are suppressed."
        ]
    out = _main_findings(result, top, name)
    if loyalty is not None:
        out.append(_loyalty_finding(loyalty, result, min(top, len(result.drivers)), name))
    if ipa is not None:
        out.append(_ipa_finding(ipa, name))
    if penalty is not None:
        out += _penalty_findings(penalty, _level(result.confidence_level), name)
    for extra in (_differences_finding(by_group, name) if by_group is not None else None,
                  _stability_finding(stability) if stability is not None else None):
        if extra is not None:
            out.append(extra)
    return out


# ---------------------------------------------------------------------------
# display tables
# ---------------------------------------------------------------------------
def format_driver_summary(result: KeyDriverResult, *, labels: Mapping[str, str] | None = None,
                          unit: str = "% of R²", caption: str | None = None) -> DisplayTable:
    """The drivers' shares of the total importance for reviewers, in rank order: rank,
    driver (its label), share [CI], n and the sign of its coefficient.

    Parameters
    ----------
    result : KeyDriverResult
    labels : mapping, optional
        Driver column -> label (question text).
    unit : str
        Unit of the share, in the header.
    caption : str, optional

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=1)
    >>> format_driver_summary(res, labels={"b": "Question B"}).to_frame()["driver"].tolist()
    ['Question B', 'a']
    """
    summary = driver_summary(result)
    summary = summary.assign(driver=summary["driver"].map(_namer(labels)))
    return format_table(summary, label=["rank", "driver"], unit=unit, extra=["sign"], caption=caption)


def bootstrap_error_note(result: KeyDriverResult, *, digits: int = 1) -> str | None:
    """One sentence on the Monte-Carlo error of the shares' bootstrap interval bounds.

    Returns
    -------
    str or None
        "With B resamples the interval bounds of the shares vary by up to ±x points
        between runs with other seeds (median ±y) …", x and y the largest and median of the
        Monte-Carlo standard errors ``ci_low_mc_se``/``ci_high_mc_se`` of
        :func:`~cxlib.drivers.driver_summary`; None without a bootstrap or with a small base.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=300)
    >>> bootstrap_error_note(key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=200))[:52].strip()
    'With 200 resamples the interval bounds of the shares'
    """
    if result.small_base or not result.bootstrap_importances.shape[0]:
        return None
    s = driver_summary(result)
    se = pd.concat([s["ci_low_mc_se"], s["ci_high_mc_se"]]).dropna()
    if not len(se):
        return None
    return (f"With {result.n_boot:,} resamples the interval bounds of the shares vary by up to "
            f"±{se.max():.{digits}f} points between runs with other seeds (median ±{se.median():.{digits}f}; "
            "Monte-Carlo standard error of a percentile bound from the spacing of the replicates around it, "
            "Efron & Tibshirani 1993, ch. 19); more resamples shrink it as 1/√resamples.")


def format_penalty_reward(result: PenaltyRewardResult, *, digits: int = 2, caption: str | None = None,
                          labels: Mapping[str, str] | None = None) -> DisplayTable:
    """A penalty–reward result formatted for reviewers (intervals as ``[low, high]``).

    Parameters
    ----------
    result : PenaltyRewardResult
    labels : mapping, optional
        Driver column -> label (question text).
    digits : int
        Decimals of effects and intervals (outcome scale points).
    caption : str, optional

    Returns
    -------
    DisplayTable
        driver, penalty [CI], reward [CI], asymmetry [CI], p-value, category and the
        numbers of low and high ratings, in the order of ``result.table``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.drivers import penalty_reward
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(500, 2)), columns=["a", "b"])
    >>> df["y"] = 3 - 1.0 * (df["a"] <= 2) + 1.0 * (df["b"] == 5) + rng.normal(0, 0.5, 500)
    >>> format_penalty_reward(penalty_reward(df, outcome="y", drivers=["a", "b"])).to_frame().columns.tolist()
    ['driver', 'penalty [95% CI]', 'reward [95% CI]', 'penalty − reward [95% CI]', 'p-value', 'category', 'n low', 'n high']
    """
    lv = _level(result.confidence_level)

    def effect(est: float, lo: float, hi: float) -> str:
        return f"{est:.{digits}f} {format_interval(lo, hi, digits=digits)}"

    name = _namer(labels)
    rows = []
    for r in result.table.itertuples():
        rows.append({
            "driver": name(r.driver),
            f"penalty [{lv} CI]": effect(r.penalty, r.penalty_ci_low, r.penalty_ci_high),
            f"reward [{lv} CI]": effect(r.reward, r.reward_ci_low, r.reward_ci_high),
            f"penalty − reward [{lv} CI]": effect(r.estimate, r.ci_low, r.ci_high),
            "p-value": "< 0.001" if r.p_value < 0.001 else f"{r.p_value:.3f}",
            "category": r.category,
            "n low": f"{r.n_low:,}",
            "n high": f"{r.n_high:,}",
        })
    return DisplayTable(pd.DataFrame(rows), caption=caption)


def format_importance_performance(result: ImportancePerformanceResult, *, unit: str = "% of R²",
                                  caption: str | None = None,
                                  labels: Mapping[str, str] | None = None) -> DisplayTable:
    """The importance–performance table for reviewers, in rank order: driver (its label),
    share [CI], n, performance [CI] (mean rating with two decimals, or top-box share in %),
    quadrant, and whether the data settle it ("yes", or "borderline: <axis>").

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.drivers import importance_performance
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=200)
    >>> t = format_importance_performance(importance_performance(df, outcome="y", drivers=["a", "b"], n_boot=0))
    >>> t.to_frame().columns.tolist()
    ['driver', 'estimate (% of R²)', '95% CI', 'n', 'performance [95% CI]', 'quadrant', 'settled by the data']
    """
    t = result.table.sort_values(["rank", "driver"], kind="stable")
    top = result.performance_measure == "top_box"
    scale, digits = (100.0, 1) if top else (1.0, 2)
    perf = [f"{scale * r.performance:.{digits}f}{'%' if top else ''} "
            + format_interval(scale * r.performance_ci_low, scale * r.performance_ci_high, digits=digits)
            for r in t.itertuples()]
    head = f"performance [{_level(result.confidence_level)} CI]"
    t = t.assign(**{"driver": t["driver"].map(_namer(labels)), head: perf,
                    "settled by the data": ["yes" if ok else f"borderline: {axes}"
                                            for ok, axes in zip(t["settled"].astype(bool), t["unsettled"])]})
    return format_table(t, label="driver", unit=unit, extra=[head, "quadrant", "settled by the data"],
                        caption=caption)


def format_driver_differences(result: KeyDriversByGroupResult, *, caption: str | None = None,
                              labels: Mapping[str, str] | None = None) -> DisplayTable:
    """Segment differences in importance for reviewers (R² points, most significant first).

    Rows comparing a segment below the minimum base are shown as suppressed; ``labels``
    (driver column -> question text) names the drivers.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.drivers import key_drivers_by_group
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> df["seg"] = np.repeat(["x", "z"], 100)
    >>> res = key_drivers_by_group(df, by="seg", outcome="y", drivers=["a", "b"], n_boot=50, seed=1)
    >>> format_driver_differences(res).to_frame().columns.tolist()
    ['group_a', 'group_b', 'driver', 'estimate (R² points)', '95% CI', 'n', 'p (BH-adj.)', 'significant']
    """
    d = segment_driver_differences(result)
    sig = d["significant"]
    d = d.assign(**{
        "driver": d["driver"].map(_namer(labels)),
        "p (BH-adj.)": d["p_value_adj"].map(lambda p: "—" if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")),
        "significant": np.where(sig.isna(), "not tested", np.where(sig.fillna(False).astype(bool), "yes", "no")),
    })
    return format_table(d, label=["group_a", "group_b", "driver"], unit="R² points",
                        extra=["p (BH-adj.)", "significant"], show_test=False, caption=caption)
