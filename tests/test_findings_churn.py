"""Tests for cxlib.report.findings.churn: every number in a sentence, display table or key
figure is the result object's own (rounded for display only); unreached medians read
"not reached", never "inf"."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from churn_data import cox_data as make_cox_data
from cxlib.survival import survival


@pytest.fixture(scope="module")
def data():
    return make_cox_data(n=600, seed=3)


@pytest.fixture(scope="module")
def results(data):
    rates = cx.churn_hazard_by_group(data, by="nps_group", min_base=30)
    drivers = cx.churn_drivers(data, covariates=["nps_group", "osat"], horizon=12)
    base = cx.churn_drivers(data, covariates=["nps_group", "osat"], horizon=None)
    at_risk = cx.revenue_at_risk(data, model=base, by="nps_group", horizon=12, n_boot=8, seed=2)
    return rates, drivers, at_risk


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d[\d,]*\.?\d*", text)]


def test_rate_and_hazard_sentences_quote_the_results(results):
    rates, drivers, _ = results
    s_rate, s_hr = cx.report.churn_findings(rates=rates, drivers=drivers)
    r = rates.set_index("nps_group")
    d, p = r.loc["detractor"], r.loc["promoter"]
    expected = [100 * d["estimate"], 100 * d["ci_low"], 100 * d["ci_high"], d["n"],
                100 * p["estimate"], 100 * p["ci_low"], 100 * p["ci_high"], p["n"], d["estimate"] / p["estimate"]]
    got = _numbers(s_rate)
    assert len(got) == len(expected)
    for g, e, digits in zip(got, expected, [2, 2, 2, 0, 2, 2, 2, 0, 1]):
        assert g == round(e, digits)
    h = drivers.hazard_ratios.set_index("term").loc["nps_group[detractor]"]
    assert f"is {h['hazard_ratio']:.2f} (95% CI {h['ci_low']:.2f}–{h['ci_high']:.2f}; " in s_hr
    assert f"{drivers.n_events:,} churn events" in s_hr
    assert ("excludes 1" in s_hr) == (h["ci_low"] > 1 or h["ci_high"] < 1)


def test_small_base_is_not_reported(results):
    rates, _, _ = results
    small = rates.assign(small_base=rates["nps_group"] == "detractor")
    assert cx.report.churn_findings(rates=small) == [
        "Churn by NPS group is not reported: a group is below the minimum base."]


def test_revenue_sentences_quote_the_total(data, results):
    _, _, grouped = results
    base = cx.churn_drivers(data, covariates=["nps_group", "osat"], horizon=None)
    total = cx.revenue_at_risk(data, model=base, horizon=12, n_boot=0)  # one row per quantity
    lost, protect = cx.report.churn_findings(at_risk=total, currency="€")
    t = total.table.set_index("quantity")
    risk, prot = t.loc["revenue_at_risk"], t.loc["protected_if_detractor_to_passive"]
    assert f"€{risk['estimate']:,.0f} (95% CI no interval) of €{risk['revenue']:,.0f} run-rate revenue" in lost
    assert f"({100 * risk['estimate'] / risk['revenue']:.1f} %)" in lost
    assert f"Moving every detractor to passive would protect about €{prot['estimate']:,.0f}" in protect
    # grouped: the "(all)" rows are quoted, never the sum over the groups and their total
    # (which counted every amount twice)
    lost_g, protect_g = cx.report.churn_findings(at_risk=grouped)
    tg = grouped.table.loc[grouped.table["nps_group"] == "(all)"].set_index("quantity")
    r = tg.loc["revenue_at_risk"]
    assert lost_g.startswith(f"Expected revenue lost to churn over the next 12 months: {r['estimate']:,.0f} (95% CI "
                             f"[{r['ci_low']:,.0f}, {r['ci_high']:,.0f}]) of {r['revenue']:,.0f} run-rate revenue")
    assert f"protect about {tg.loc['protected_if_detractor_to_passive', 'estimate']:,.0f} (95% CI [" in protect_g


def test_key_figures_are_the_result_rows(results):
    rates, drivers, at_risk = results
    figs = cx.report.churn_key_figures(rates=rates, drivers=drivers, at_risk=at_risk)
    assert list(figs) == ["Monthly churn, detractors (%)", "Hazard ratio detractor vs promoter",
                          "Revenue at risk, 12 months", "Revenue protected, detractors to passives"]
    d = rates.set_index("nps_group").loc["detractor"]
    assert figs["Monthly churn, detractors (%)"] == {
        "estimate": 100 * d["estimate"], "ci_low": 100 * d["ci_low"], "ci_high": 100 * d["ci_high"],
        "n": int(d["n"]), "small_base": bool(d["small_base"])}
    h = drivers.hazard_ratios.set_index("term").loc["nps_group[detractor]"]
    assert figs["Hazard ratio detractor vs promoter"] == {
        "estimate": h["hazard_ratio"], "ci_low": h["ci_low"], "ci_high": h["ci_high"], "n": drivers.n}
    t = at_risk.table.loc[at_risk.table["nps_group"] == "(all)"].set_index("quantity")
    for label, quantity in (("Revenue at risk, 12 months", "revenue_at_risk"),
                            ("Revenue protected, detractors to passives", "protected_if_detractor_to_passive")):
        row = t.loc[quantity]
        assert figs[label] == {"estimate": row["estimate"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                               "n": int(row["n"])}


def test_medians_not_reached_in_tables_and_sentences():
    # group b never churns (its curve stays at 1); group a's median is 2
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 0, 0, 1, 0, 0], "g": list("aaabbbbb")})
    res = survival(d, duration="t", event="e", by="g", min_base=1)
    table = cx.report.median_table(res, unit="months").to_frame()
    med = res.medians.set_index("group")
    a, b = table.set_index("group").loc["a"], table.set_index("group").loc["b"]
    assert a["median (months)"] == f"{med.loc['a', 'estimate']:.1f}"
    assert b["median (months)"] == "not reached"
    assert "inf" not in table.to_string() and "nan" not in table.to_string()
    lr, medians = cx.report.survival_findings(res)
    assert lr == (f"Log-rank test across the g groups: χ² = {res.logrank.statistic:.1f} on 1 df, "
                  f"p = {res.logrank.p_value:.2g}.")
    assert "b not reached" in medians and "inf" not in medians and medians.endswith("95% CI in brackets.")
    assert cx.report.survival_findings(res, groups="test groups")[0].startswith("Log-rank test across test groups:")
    assert f"a {med.loc['a', 'estimate']:.1f} months" in medians
    # a reached median whose band never reaches 50 %: the upper bound is "not reached"
    row = {"estimate": 14.0, "ci_low": 9.0, "ci_high": np.nan}
    from cxlib.report.findings.churn import median_text

    assert median_text(row) == ("14.0", "[9.0, not reached]")


def test_small_base_medians_are_suppressed():
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "g": list("aaabbb")})
    res = survival(d, duration="t", event="e", by="g", min_base=5)
    table = cx.report.median_table(res).to_frame()
    assert table["median (months)"].tolist() == ["suppressed (n = 3 < minimum base 5)"] * 2
    assert "suppressed (n = 3 < minimum base 5)" in cx.report.survival_findings(res)[1]


def test_ratio_and_ph_tables_show_the_fit(results):
    _, drivers, _ = results
    hr = cx.report.ratio_table(drivers.hazard_ratios, caption="Cox").to_frame()
    t = drivers.hazard_ratios
    assert hr["term"].tolist() == t["term"].tolist()
    assert hr["estimate (hazard ratio)"].tolist() == [f"{x:.2f}" for x in t["hazard_ratio"]]
    assert hr["p"].tolist() == [f"{p:.2g}" for p in t["p_value"]]
    assert hr["n"].tolist() == [f"{drivers.n:,}"] * len(t)
    ph = cx.report.ph_test_table(drivers).to_frame()
    assert ph["χ² (1 df)"].tolist() == [f"{s:.2f}" for s in drivers.ph_test["statistic"]]
    assert ph["p"].tolist() == [f"{p:.2g}" for p in drivers.ph_test["p_value"]]
