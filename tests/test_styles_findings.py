"""Findings, display table and key figures of a style-adjusted country comparison
(cxlib.report.findings.styles): every number read back from the result."""

from __future__ import annotations

import numpy as np
import pytest

import cxlib as cx
from test_styles_adjust import styled_frame

ITEMS = ["q0", "q1", "q2", "q3"]


@pytest.fixture(scope="module")
def result():
    df = styled_frame(seed=6, n=1500)  # a seed whose adjusted order differs from the raw one
    return cx.style_adjusted_comparison(df, by="country", items=ITEMS, weights="weight")


def test_sentences_state_the_caveat_both_tests_and_the_ranking_flag(result):
    s = cx.report.style_comparison_findings(result, group="C")
    tests = result.tests.set_index("adjustment")
    assert s[0] == cx.report.style_caveat and "not comparable across countries" in s[0]
    assert s[1] == (f"The raw NPS differs significantly between the 3 countries (Wald χ² = "
                    f"{tests.loc['raw', 'statistic']:.1f}, df = 2, p = {tests.loc['raw', 'p_value']:.3g}).")
    assert s[2].startswith("The style-adjusted NPS does not differ significantly between the 3 countries")
    assert result.ranking_changed and s[3].startswith("The ranking of countries changes after the adjustment (")
    assert "read the adjusted order as noise" in s[3]
    c = result.table[(result.table["country"] == "C") & (result.table["adjustment"] == "raw")].iloc[0]
    assert s[4].startswith(f"C: raw NPS {c['estimate']:.1f} points [{c['ci_low']:.1f}, {c['ci_high']:.1f}], "
                           f"rank {c['rank']} of 3")


def test_an_unchanged_ranking_is_said_so():
    res = cx.style_adjusted_comparison(styled_frame(seed=5, n=1500), items=ITEMS, weights="weight",
                                       method="regression")
    assert not res.ranking_changed
    assert cx.report.style_comparison_findings(res)[3] == "The ranking of countries is the same raw and adjusted."


def test_table_and_key_figures_read_the_result(result):
    t = cx.report.style_comparison_table(result, label="Country")
    raw = result.table[result.table["adjustment"] == "raw"].reset_index(drop=True)
    adj = result.table[result.table["adjustment"] == "adjusted"].reset_index(drop=True)
    assert t["Country"].tolist() == ["A", "B", "C"]
    assert t["raw NPS [CI]"][0] == f"{raw['estimate'][0]:.1f} [{raw['ci_low'][0]:.1f}, {raw['ci_high'][0]:.1f}]"
    assert t["adjusted rank"].tolist() == [str(int(x)) for x in adj["rank"]]
    assert t["base"][1] == f"n = {raw['n'][1]:,}, effective n = {raw['n_eff'][1]:,.1f}"
    assert t["ERS (%)"][2] == f"{100 * raw['ers'][2]:.0f}"
    kf = cx.report.style_key_figures(result)
    assert set(kf["groups"]) == {"A", "B", "C"} and kf["ranking_changed"] is True
    assert kf["groups"]["B"]["adjusted"]["estimate"] == pytest.approx(adj["estimate"][1])
    assert kf["groups"]["B"]["raw"]["n_eff"] == pytest.approx(raw["n_eff"][1])
    assert kf["tests"]["raw"]["p_value"] == pytest.approx(result.tests["p_value"][0])
    one = cx.report.style_key_figures(result, group="B")
    assert one["group"] == "B" and list(one["groups"]) == ["B"] and one["tests"] == kf["tests"]


def test_a_small_base_is_suppressed_on_the_effective_base():
    df = styled_frame(seed=2, n=400)
    w = np.where(np.arange(len(df)) % 2, 0.2, 5.0)
    df["weight"] = np.where(df["country"] == "C", w, 1.0)
    res = cx.style_adjusted_comparison(df, items=ITEMS, weights="weight", min_base=100)
    c = res.table[(res.table["country"] == "C") & (res.table["adjustment"] == "raw")].iloc[0]
    t = cx.report.style_comparison_table(res).set_index("country")
    assert t.loc["C", "raw NPS [CI]"] == f"suppressed (effective n = {c['n_eff']:,.1f} < minimum base 100)"
    assert t.loc["C", "raw rank"] == "—"


def test_plot_draws_the_raw_and_adjusted_intervals(result):
    import matplotlib.pyplot as plt

    ax = cx.plot_style_comparison(result)
    raw_line, adj_line = [c.lines[0] for c in ax.containers]
    raw = result.table[result.table["adjustment"] == "raw"]
    adj = result.table[result.table["adjustment"] == "adjusted"]
    np.testing.assert_allclose(raw_line.get_xdata(), raw["estimate"])
    np.testing.assert_allclose(adj_line.get_xdata(), adj["estimate"])
    bars = ax.containers[1].lines[2][0].get_segments()  # the adjusted intervals
    np.testing.assert_allclose([s[0][0] for s in bars], adj["ci_low"])
    np.testing.assert_allclose([s[1][0] for s in bars], adj["ci_high"])
    p = result.tests["p_value"]
    assert ax.get_title() == (f"NPS by country: raw (p = {p[0]:.2g}) and adjusted for response styles "
                              f"(p = {p[1]:.2g})")
    plt.close(ax.figure)
