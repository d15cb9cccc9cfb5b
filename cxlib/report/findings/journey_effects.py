"""Findings and key figures of the journey effects: one bad episode, recovery, peak–end.

Every number is read from a result object of :mod:`cxlib.journeys.effects`; nothing is
typed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...core.inference import format_interval
from ...journeys.effects import EpisodeEffects, PeakEndResult
from ..figures import key_figure
from .resampling import bootstrap_error_clause

_GROUP_TEXT = {"without_followup": "without a follow-up", "with_followup": "after a proactive follow-up",
               "all": "after an episode"}


def _quarters(lag: int | None, lags: int) -> str:
    if lag is None:
        return f"not within the {lags} quarters estimated"
    return f"{lag} quarter{'s' if lag != 1 else ''} after the episode"


def episode_findings(result: EpisodeEffects, *, digits: int = 2) -> list[str]:
    """Sentences on the cost of one bad episode and how long it lasts.

    >>> import pandas as pd
    >>> from cxlib.journeys.effects import episode_effects
    >>> out = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2, 3, 3, 3], "quarter": [1, 2, 3] * 3,
    ...                     "osat": [5.0, 3.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 2.0]})
    >>> ep = pd.DataFrame({"customer_id": [1, 3], "quarter": [2, 1]})
    >>> episode_findings(episode_effects(out, ep, outcome="osat", followup=None, lags=1))[0][:60]
    'In the quarter of a negative episode, osat is 0.60 points lo'
    """
    c = result.curve
    out = []
    for g, rows in c.groupby("group", sort=False):
        first = rows.loc[rows["lag"] == 0].iloc[0]
        word = "lower" if first["estimate"] < 0 else "higher"
        out.append(
            f"In the quarter of a negative episode, {result.outcome} is {abs(first['estimate']):.{digits}f} points "
            f"{word} than the same customer's own level {_GROUP_TEXT.get(g, g)} "
            f"({format_interval(first['ci_low'], first['ci_high'], digits=digits)}, n = {int(first['n']):,}); "
            f"it is back at that level {_quarters(result.recovered_after.get(g), result.lags)} "
            f"(first quarter whose interval reaches zero).")
    gain = result.followup_gain
    if gain is not None and np.isfinite(gain.estimate):
        verdict = ("shortens the recovery" if gain.ci_low > 0 else
                   "lengthens the recovery" if gain.ci_high < 0 else "makes no clear difference to the recovery")
        out.append(
            f"A proactive follow-up {verdict}: summed over the following {result.lags} quarters it is worth "
            f"{gain.estimate:+.{digits}f} points of {result.outcome} "
            f"({format_interval(gain.ci_low, gain.ci_high, digits=digits)}).")
    out.append(f"Estimated within customer ({result.n_customers:,} customers, {result.n:,} responses): "
               f"{result.method}.")
    return out


def peak_end_findings(result: PeakEndResult, *, digits: int = 3) -> list[str]:
    """Sentences on the peak–end test (R² differences against the mean of the touchpoint scores);
    the peak–end score's sentence (the direct test) adds the Monte-Carlo error of its interval
    when it is large (:func:`~cxlib.report.findings.resampling.bootstrap_error_clause`)."""
    t = result.table.set_index("summary")
    out = [(f"Among {result.n:,} responses with several scored touchpoints earlier in the quarter, the mean "
           f"touchpoint score explains R² = {t.loc['mean', 'r_squared']:.{digits}f} of the overall rating.")]
    names = {"worst": "the worst touchpoint", "last": "the last touchpoint",
             "peak_end": "the peak–end score (mean of the worst and the last)"}
    for _, r in result.differences.iterrows():
        side = "better" if r["ci_low"] > 0 else "worse" if r["ci_high"] < 0 else "no differently"
        out.append(f"{names[r['summary']].capitalize()} predicts it {side} than the mean "
                   f"(R² difference {r['estimate']:+.{digits}f}, "
                   f"{format_interval(r['ci_low'], r['ci_high'], digits=digits)}).")
        clause = bootstrap_error_clause(r, n_boot=result.n_boot, digits=digits) if r["summary"] == "peak_end" else None
        out[-1] += f" {clause}" if clause else ""
    return out


def journey_effect_key_figures(episodes: EpisodeEffects | None = None,
                               peak: PeakEndResult | None = None, *, lags: Sequence[int] | None = None) -> dict:
    """Key figures: the effect per lag and group, the follow-up gain, the peak–end difference.

    ``lags`` keeps only those lags of the recovery curve (e.g. ``[0]`` for an index's
    headline); None keeps every lag.
    """
    out: dict = {}
    if episodes is not None:
        curve = episodes.curve if lags is None else episodes.curve[episodes.curve["lag"].isin(list(lags))]
        for _, r in curve.iterrows():
            name = f"episode effect on {episodes.outcome}, lag {int(r['lag'])}, {r['group']}"
            out[name] = key_figure(r) | {"digits": 2}
        if episodes.followup_gain is not None:
            out[f"follow-up gain on {episodes.outcome}"] = key_figure(episodes.followup_gain) | {"digits": 2}
    if peak is not None:
        for _, r in peak.differences.iterrows():
            out[f"R² {r['summary']} minus mean"] = key_figure(r) | {"digits": 3}
    return out


def episode_churn_findings(result: EpisodeEffects, *, digits: int = 1) -> list[str]:
    """Sentences on a negative episode's effect on churn (a 0/1 outcome per active
    customer-quarter, e.g. :func:`cxlib.churn_panel`): the change in the probability of
    leaving within the quarter, in percentage points, per quarter since the episode.

    >>> import pandas as pd
    >>> from cxlib.journeys.effects import episode_effects
    >>> panel = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3, 4, 4], "quarter": [1, 2] * 4,
    ...                       "churned": [0, 1, 0, 0, 0, 0, 1, 0]})
    >>> ep = pd.DataFrame({"customer_id": [1, 4], "quarter": [2, 1]})
    >>> episode_churn_findings(episode_effects(panel, ep, outcome="churned", followup=None, lags=0,
    ...                                        fixed_effects=False))[0][:72]
    'In the quarter of a negative episode, the probability of leaving within '
    """
    c = result.curve
    out = []
    for g, rows in c.groupby("group", sort=False):
        first = rows.loc[rows["lag"] == 0].iloc[0]
        later = rows.loc[rows["lag"] > 0]
        word = "higher" if first["estimate"] > 0 else "lower"
        text = (f"In the quarter of a negative episode, the probability of leaving within the quarter is "
                f"{100 * abs(first['estimate']):.{digits}f} points {word} {_GROUP_TEXT.get(g, g)} "
                f"({format_interval(100 * first['ci_low'], 100 * first['ci_high'], digits=digits)}, "
                f"{int(first['n']):,} customer-quarters with an episode)")
        if len(later):
            bits = [f"{int(r['lag'])} quarter{'s' if int(r['lag']) != 1 else ''} later "
                    f"{100 * r['estimate']:+.{digits}f} "
                    f"{format_interval(100 * r['ci_low'], 100 * r['ci_high'], digits=digits)}"
                    for _, r in later.iterrows()]
            text += "; " + "; ".join(bits)
        out.append(text + ".")
    out.append(f"Churn is compared across customers ({result.n:,} customer-quarters of {result.n_customers:,} "
               f"customers): {result.method}; a churn quarter is always a customer's last, so a within-customer "
               "comparison would be biased.")
    return out
