"""Scorecard helpers, display tables and plots, against direct computations with the
estimators they compose (which are themselves validated in test_metrics/test_helpdesk)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import cxlib as cx
from cxlib.errors import CXDataError, SmallBaseWarning


@pytest.fixture(scope="module")
def ds(small_dataset):
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey)
    import dataclasses

    return dataclasses.replace(small_dataset, survey=survey)


def test_headline_metrics_equal_direct_estimators(ds):
    q = cx.latest_quarter(ds)
    prev = cx.previous_quarter(q)
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q).set_index("metric")
    cur, old = ds.survey[ds.survey["quarter"] == q], ds.survey[ds.survey["quarter"] == prev]
    # NPS: level and signed change vs the previous quarter = compare_nps(current, previous)
    direct = cx.nps(cur, weights="weight")
    cmp = cx.compare_nps(cur, old, weights="weight")
    assert h.loc["NPS", "estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert h.loc["NPS", "diff"] == pytest.approx(cmp.estimate, rel=1e-12)
    assert h.loc["NPS", "p_value"] == pytest.approx(cmp.p_value, rel=1e-9)
    # CSAT in percent = 100 × the top-2-box share
    assert h.loc["CSAT top-2-box", "estimate"] == pytest.approx(100 * cx.csat(cur, weights="weight").estimate)
    # churn: the quarterly rate of cx.churn_rate, same base
    cr = cx.churn_rate(ds.customers, period="Q", start=prev, end=q).to_frame().set_index("period")
    assert h.loc["Churn rate (quarterly)", "estimate"] == pytest.approx(100 * cr.loc[q, "rate"], rel=1e-12)
    assert h.loc["Churn rate (quarterly)", "n"] == cr.loc[q, "at_risk"]
    # p-values adjusted together (Benjamini–Hochberg across the table)
    p = h["p_value"].to_numpy()
    np.testing.assert_allclose(h["p_adjusted"], multipletests(p, method="fdr_bh")[1])


def test_subset_dataset_restricts_every_table(ds):
    sub = cx.subset_dataset(ds, "country", "JP")
    ids = set(ds.customers.loc[ds.customers["country"] == "JP", "customer_id"])
    for name in ("customers", "survey", "touchpoints", "tickets", "journeys"):
        t = getattr(sub, name)
        assert set(t["customer_id"]) <= ids and len(t) == getattr(ds, name)["customer_id"].isin(ids).sum()
    assert cx.subset_dataset(ds, "country", None) is ds
    with pytest.raises(CXDataError, match="no customer has country = 'XX'"):
        cx.subset_dataset(ds, "country", "XX")
    with pytest.raises(CXDataError, match="not a column"):
        cx.subset_dataset(ds, "planet", "Mars")


def test_operational_metrics_equal_direct_calls(ds):
    q = cx.latest_quarter(ds)
    t = ds.tickets[ds.tickets["quarter"] == q]
    ops = cx.operational_metrics(ds.tickets, quarter=q).set_index("metric")
    assert ops.loc["Reopen rate", "estimate"] == pytest.approx(100 * cx.reopen_rate(t).estimate)
    frt = cx.first_response_time(t)
    assert ops.loc["First response time, p90", "estimate"] == pytest.approx(frt[0.9].estimate)
    assert ops.loc["First response time, median", "ci_low"] == pytest.approx(frt.median.ci_low)


def test_segment_breakdown_and_findings(ds):
    q = cx.latest_quarter(ds)
    b = cx.segment_breakdown(ds.survey, cx.nps, quarter=q, by="plan", min_base=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        ref = cx.by_group(ds.survey[ds.survey["quarter"] == q], cx.nps, by="plan", compare="rest",
                          weights="weight")
    pd.testing.assert_series_equal(b["estimate"], ref["estimate"])
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q)
    text = cx.report.scorecard_findings(h)
    nps = h.set_index("metric").loc["NPS"]
    assert len(text) == len(h)
    assert text[0].startswith(f"NPS in {q} is {nps['estimate']:.1f} points "
                              f"(95% CI {nps['ci_low']:.1f} to {nps['ci_high']:.1f}, n = {nps['n']:,})")
    seg = cx.report.breakdown_findings(b, by="plan")
    sig = b[b["significant"].fillna(False).astype(bool)]
    for (_, r), sentence in zip(sig.iterrows(), seg):
        assert sentence.startswith(f"NPS of plan {r['plan']} is {abs(r['diff']):.1f} points")
    if sig.empty:
        assert seg[0] == "No plan differs significantly in NPS from the rest after FDR correction."


def test_scorecard_key_figures_carry_the_headline_table(ds):
    q = cx.latest_quarter(ds)
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q)
    figs = cx.report.scorecard_key_figures(h, scope="all")
    assert figs["scope"] == "all" and len(figs["changes"]) == len(h)
    for (_, r), change in zip(h.iterrows(), figs["changes"]):
        label = f"{r['metric']}{' (%)' if r['unit'] == '%' else ''}"
        assert figs["headline"][label] == change["current"]
        assert change["current"]["estimate"] == r["estimate"] and change["current"]["n"] == r["n"]
        assert change["diff"] == r["diff"] and change["p_value"] == r["p_adjusted"]


def test_format_table_suppresses_and_formats():
    f = pd.DataFrame({"g": ["a", "b"], "estimate": [12.345, 50.0], "ci_low": [5.0, 1.0], "ci_high": [19.71, 90.0],
                      "n": [1234, 12], "small_base": [False, True], "min_base": [30, 30], "diff": [2.0, 9.0],
                      "diff_ci_low": [-1.0, 1.0], "diff_ci_high": [5.0, 17.0], "p_adjusted": [0.2, 0.01],
                      "significant": [False, True], "confidence_level": [0.95, 0.95]})
    t = cx.report.format_table(f, label="g", unit="points").to_frame()
    assert t.loc[0].tolist() == ["a", "12.3", "[5.0, 19.7]", "1,234", "+2.0 [-1.0, 5.0]", "0.200", "no"]
    assert t.loc[1, "estimate (points)"] == "suppressed (n = 12 < minimum base 30)" and t.loc[1, "difference [CI]"] == "not tested"
    assert "95% CI" in t.columns
    html = cx.report.format_table(f, label="g")._repr_html_()
    assert "50.0" not in html  # a suppressed estimate never reaches the HTML


def test_plots_draw_precomputed_intervals_and_label_small_bases():
    f = pd.DataFrame({"g": ["a", "b"], "estimate": [10.0, 20.0], "ci_low": [5.0, 0.0], "ci_high": [15.0, 40.0],
                      "n": [400, 12], "small_base": [False, True], "significant": [True, False]})
    ax = cx.plot_estimates(f, y="g", reference=12.0, title="t")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a  (n = 400) *", "b  (n = 12, suppressed)"]
    segs = ax.collections[0].get_segments()  # the drawn error bar is the given interval
    assert len(segs) == 1 and segs[0][0][0] == 5.0 and segs[0][1][0] == 15.0
    trend = pd.DataFrame({"quarter": ["2026Q1", "2026Q2"], "estimate": [1.0, 2.0], "ci_low": [0.0, 1.0],
                          "ci_high": [2.0, 3.0], "n": [50, 10], "small_base": [False, True]})
    ax2 = cx.plot_trend(trend)
    ydata = ax2.get_lines()[0].get_ydata()
    assert ydata[0] == 1.0 and np.isnan(ydata[1])  # small base left as a gap
    with pytest.raises(CXDataError, match="lacks column"):
        cx.plot_trend(trend.drop(columns="n"))
