"""Notebook 03 (loyalty and churn) executed end to end by papermill on a small dataset."""

from __future__ import annotations

import math
import re

import pytest

import cxlib as cx

pytestmark = pytest.mark.notebook


def test_loyalty_notebook_overall(run_notebook, small_data_dir, small_dataset):
    quarter = cx.latest_quarter(small_dataset)
    res, figs, html = run_notebook("03_loyalty_and_churn", quarter=quarter, data_dir=str(small_data_dir),
                                   min_base=30, horizon=6, n_boot=10)
    # independent computation: first response per customer, events / months at risk, lifelines Cox
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey)
    survey = survey[survey["quarter"] <= quarter]
    first = survey.sort_values("response_date").drop_duplicates("customer_id")
    m = first.merge(small_dataset.customers[["customer_id", "churn_date"]], on="customer_id")
    as_of = cx.quarter_bounds(quarter)[1]
    end = m["churn_date"].where(m["churn_date"] <= as_of, as_of).fillna(as_of)
    months = (end - m["response_date"]).dt.total_seconds() / 86400 / (365.25 / 12)
    churned = m["churn_date"].notna() & (m["churn_date"] <= as_of)
    det = m["ltr"].astype(float) <= 6
    rate = churned[det].sum() / months[det].sum()
    fig = figs["headline"]["Monthly churn, detractors (%)"]
    assert math.isclose(fig["estimate"], 100 * rate, rel_tol=1e-9)
    assert fig["n"] == int(det.sum())
    assert fig["ci_low"] < fig["estimate"] < fig["ci_high"]

    from lifelines import CoxPHFitter
    import pandas as pd

    x = pd.DataFrame({"T": months, "E": churned.astype(int),
                      "passive": ((m["ltr"] >= 7) & (m["ltr"] <= 8)).astype(int), "detractor": det.astype(int),
                      "basic": (m["plan"] == "basic").astype(int), "premium": (m["plan"] == "premium").astype(int)})
    cph = CoxPHFitter().fit(x, "T", "E")
    hr = figs["headline"]["Hazard ratio detractor vs promoter"]
    assert math.isclose(hr["estimate"], math.exp(cph.params_["detractor"]), rel_tol=1e-5)
    rar = figs["headline"]["Revenue at risk, 6 months"]
    assert rar["ci_low"] <= rar["estimate"] <= rar["ci_high"] and rar["estimate"] > 0
    # reviewer HTML: the summary (findings quoted) right after the question, then the sections; no code
    headings = ("Summary", "Method and assumptions", "Loyalty", "Survival by loyalty group", "Cox model",
                "Logistic alternative",
                "Retention by cohort", "Customer lifetime value", "Revenue at risk")
    positions = [re.search(rf"<h2[^>]*>{h}", html).start() for h in headings]
    assert positions == sorted(positions) and html.index("Question:") < positions[0]
    summary = html[positions[0]:positions[1]]
    for sentence in figs["findings"]:
        assert sentence.split(":")[0] in summary
    assert "Detractors churn at" in summary and "Log-rank test" in summary and "Median time to churn" in summary
    assert re.search(r">\s*-?inf\s*<", html) is None and "nan" not in summary
    assert "import cxlib" not in html and "cx.churn_drivers" not in html


def test_loyalty_notebook_fan_out_small_base(run_notebook, small_data_dir, small_dataset):
    quarter = cx.latest_quarter(small_dataset)
    _, figs, html = run_notebook("03_loyalty_and_churn", run="premium", quarter=quarter,
                                 data_dir=str(small_data_dir), subset_column="plan", subset_value="premium",
                                 min_base=400, horizon=6, n_boot=5)
    assert figs["scope"] == "customers with plan = premium"
    assert figs["headline"]["Monthly churn, detractors (%)"]["small_base"] is True
    assert "&lt; minimum base 400)" in html or "< minimum base 400)" in html  # format_suppressed's text


def test_report_runs_loyalty_per_plan(small_data_dir):
    from cxlib.report.definition import load_definition
    from cxlib.report.runs import plan_runs, validate_runs

    runs = plan_runs(load_definition(), quarter="2026Q3", data_dir=small_data_dir, out_dir=small_data_dir / "out")
    validate_runs(runs)
    mine = [r for r in runs if r.notebook == "03_loyalty_and_churn"]
    assert len(mine) == 4 and any(r.run.startswith("plan-") for r in mine)
