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


# ---------------------------------------------------------------------------- model warnings (issue 11, item 12)
@pytest.fixture(scope="module")
def changing_hazard():
    """Detractors churn over 0-10 months, promoters only between 4 and 8 (PH violated); 12 vip
    customers who all churned early separate churn within 6 months in the logistic model."""
    rng = np.random.default_rng(11)
    n = 600
    group = rng.choice(["promoter", "detractor"], n)
    d = pd.DataFrame({"duration": np.where(group == "detractor", rng.uniform(0, 10, n), rng.uniform(4, 8, n)),
                      "event": 1, "nps_group": pd.Categorical(group, categories=["promoter", "detractor"]),
                      "vip": 0})
    d.loc[d.index[d["duration"] < 5][:12], "vip"] = 1
    return cx.churn_drivers(d, covariates=["nps_group", "vip"], horizon=6)


def test_model_warnings_are_sentences_next_to_the_quoted_ratio(changing_hazard):
    res = changing_hazard
    ph = [w for w in res.warnings if w.kind == "proportional_hazards"]
    sep = [w for w in res.warnings if w.kind == "separation"]
    assert [w.term for w in ph] == ["nps_group[detractor]"] and [w.term for w in sep] == ["vip"]
    hazard, *others = cx.report.churn_findings(drivers=res)
    h = res.hazard_ratios.set_index("term").loc["nps_group[detractor]"]
    assert hazard.startswith(f"Holding the model's other terms fixed, the churn hazard ratio for nps_group[detractor] "
                             f"is {h['hazard_ratio']:.2f} (95% CI {h['ci_low']:.2f}–{h['ci_high']:.2f}")
    assert hazard.endswith(f" Note: {ph[0]}.")
    assert others == [f"Warning: {w}." for w in res.warnings if w not in ph]  # each warning said once
    assert any("perfectly separated by vip (logistic model of churn within 6" in s for s in others)


def test_ratio_tables_note_the_warnings_next_to_the_numbers(changing_hazard):
    res = changing_hazard
    hr = cx.report.ratio_table(res.hazard_ratios, warnings=res.warnings).to_frame().set_index("term")
    assert hr.loc["nps_group[detractor]", "note"] == "changes over time (PH test)"
    odds = cx.report.ratio_table(res.odds_ratios, unit="odds ratio", warnings=res.warnings).to_frame()
    odds = odds.set_index("term")
    assert odds.loc["vip", "note"] == "not estimable: perfect separation"
    assert odds.loc["vip", "95% CI"] == "no interval" and odds.loc["vip", "p"] == "–"
    assert odds.loc["nps_group[detractor]", "note"] == ""  # the PH warning is the Cox model's, not the logit's
    assert "note" not in cx.report.ratio_table(res.hazard_ratios).to_frame().columns  # no warnings given
    ph = cx.report.ph_test_table(res).to_frame()
    assert ph["p (BH-adjusted)"].tolist() == [f"{p:.2g}" for p in res.ph_test["p_adjusted"]]


def test_a_ratio_without_interval_is_not_called_significant():
    t = pd.DataFrame({"term": ["vip"], "hazard_ratio": [3e9], "estimate": [3e9], "ci_low": [np.nan],
                      "ci_high": [np.nan], "n": [400], "p_value": [np.nan]})
    from cxlib.churn.diagnostics import ModelWarning
    from cxlib.churn.models import ChurnDriversResult

    w = ModelWarning("interval not estimable: the outcome is perfectly separated by vip (Cox model; hazard ratio "
                     "3e+09, standard error 2,360)", model="Cox model", term="vip", kind="separation")
    res = ChurnDriversResult(hazard_ratios=t, ph_test=pd.DataFrame(), odds_ratios=None, model=None, logit=None,
                             n=400, n_events=120, warnings=(w,))
    (sentence,) = cx.report.churn_findings(drivers=res, term="vip")
    assert sentence == ("Holding the model's other terms fixed, the churn hazard ratio for vip is 3e+09 with no "
                        f"interval (120 churn events). Note: {w}.")
    assert "significant" not in sentence
