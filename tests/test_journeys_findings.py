"""Findings sentences and key figures of journeys (issue 12): numbers come from the results."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import cxlib as cx
from cxlib.errors import CXDataError, SmallBaseWarning


@pytest.fixture(scope="module")
def results():
    d = cx.synthesize(0, n_customers=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        j = cx.journeys(d.journeys, channel="channel", gap="7D", goal_steps="renewal", failure_steps="cancellation")
        card = cx.touchpoint_scorecard(d.touchpoints, channel="channel", min_base=10)
        cons = cx.channel_consistency(d.touchpoints, metric="csat", min_base=10)
        sw = cx.channel_switching(cx.journey_responses(j, d.touchpoints), outcomes="csat", metric="csat", min_base=10)
        div = cx.path_divergence(j, min_base=5)
    return {"j": j, "summary": cx.journey_summary(j), "variants": cx.path_variants(j, top=5), "card": card,
            "cons": cons, "sw": sw, "div": div}


def test_journey_findings_quote_the_results(results):
    s, v = results["summary"], results["variants"]
    text = cx.report.journey_findings(s, v, results["div"], gap="7D")
    sw = s.set_index("measure").loc["switched"]
    assert text[0].startswith(f"{len(results['j']):,} journeys (a new journey after 7 days without activity)")
    assert f"{100 * sw['estimate']:.1f}% [{100 * sw['ci_low']:.1f}, {100 * sw['ci_high']:.1f}] used more" in text[0]
    top = v.table.iloc[0]
    assert f'"{top["path"]}" ({int(top["count"]):,} of {v.n_journeys:,} journeys' in text[1]
    assert f"out of {v.n_paths:,} distinct paths" in text[1]
    assert text[2].startswith(f"Failing journeys (outcome = failure; {results['div'].n_failing:,} of")


def test_touchpoint_and_switching_findings_quote_the_results(results):
    card, sw = results["card"], results["sw"]
    text = cx.report.touchpoint_findings(card, results["cons"])
    solid = card.table[~card.table["small_base"]]
    lo = solid.loc[solid["estimate"].idxmin()]
    assert f"lowest for {lo['touchpoint']} / {lo['channel']} ({100 * lo['estimate']:.1f}%" in text[0]
    assert text[-1].startswith("Across channels,")
    row = sw.table.iloc[0]
    s = cx.report.channel_switching_findings(sw)[0]
    assert f"{100 * row['switched']:.1f}% " in s and f"(n = {int(row['switched_n']):,})" in s
    assert f"difference {100 * row['estimate']:+.1f} points" in s
    with pytest.raises(CXDataError):
        cx.report.channel_switching_findings(sw.table)


def test_journey_key_figures(results):
    k = cx.report.journey_key_figures(results["summary"], results["variants"], results["sw"])
    s = results["summary"].set_index("measure")
    assert k["journeys_failure"]["estimate"] == pytest.approx(100 * s.loc["failure", "estimate"])
    assert k["top_path_share"]["n"] == results["variants"].n_journeys
    assert k["switching_effect_csat"]["estimate"] == pytest.approx(100 * results["sw"].table["estimate"].iloc[0])
    assert set(k["journeys_goal"]) == {"estimate", "ci_low", "ci_high", "n", "small_base"}
    assert isinstance(pd.Series(k).to_dict(), dict)
