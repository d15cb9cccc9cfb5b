"""Notebook 01 executed end to end by papermill on a small dataset, then checked."""

from __future__ import annotations

import math

import pytest

import cxlib as cx

pytestmark = pytest.mark.notebook


def test_scorecard_notebook_overall_and_fan_out(run_notebook, small_data_dir, small_dataset):
    quarter = cx.latest_quarter(small_dataset)
    res, figs, html = run_notebook("01_cx_scorecard", quarter=quarter, data_dir=str(small_data_dir),
                                   segment_column="plan", min_base=30, trend_quarters=4)
    assert not res.had_warnings, "a successful scorecard run should be warning-free"
    # key figures equal an independent computation from cxlib on the same data
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey)
    direct = cx.nps(survey[survey["quarter"] == quarter], weights="weight")
    nps = figs["headline"]["NPS"]
    assert math.isclose(nps["estimate"], direct.estimate, rel_tol=1e-12)
    assert math.isclose(nps["ci_low"], direct.ci_low, rel_tol=1e-12)
    assert nps["n"] == direct.n
    assert {c["metric"] for c in figs["changes"]} >= {"NPS", "CSAT top-2-box (%)", "Churn rate (quarterly) (%)"}
    # the segments' significance letters equal a banner table of NPS by plan (issue 13)
    ct = cx.crosstab(survey[survey["quarter"] == quarter], "ltr", "plan", weights="weight", stat="nps", min_base=30)
    cells = ct.table.iloc[1:].set_index("column")
    letters = figs["segment_letters"]
    assert letters["by"] == "plan" and letters["metric"] == "NPS"
    assert letters["letters"] == {k: {"letter": r["letter"], "higher_than": r["higher_than"]}
                                  for k, r in cells.iterrows()}
    sig = ct.tests[ct.tests["significant"].fillna(False).astype(bool)]
    assert [p["p_adjusted"] for p in letters["pairs"]] == pytest.approx(sig["p_adjusted"].tolist(), rel=1e-12)
    assert "<th>higher than</th>" in html
    assert "(pairwise tests, adjusted)" in html or ") is higher in NPS than " in html
    # support key figures equal the helpdesk estimators on the quarter's tickets
    tickets = small_dataset.tickets[small_dataset.tickets["quarter"] == quarter]
    assert math.isclose(figs["support"]["Reopen rate (%)"]["estimate"], 100 * cx.reopen_rate(tickets).estimate,
                        rel_tol=1e-12)
    assert math.isclose(figs["support"]["First-contact resolution (%)"]["estimate"],
                        100 * cx.first_contact_resolution(tickets).estimate, rel_tol=1e-12)
    # reviewer HTML: sections present, no code
    for heading in ("Summary", "Method", "Headline metrics", "Segments", "Churn", "Support operations"):
        assert f">{heading}<" in html, heading
    # reviewer-first: the summary (with the findings) comes before the detail
    assert html.index('<h2 id="Summary"') < html.index(f"NPS in {quarter} is") < html.index('<h2 id="Headline-metrics"')
    assert "import cxlib" not in html and "cx.headline_metrics" not in html
    assert f"NPS in {quarter} is" in html
    assert html.count("data:image/png;base64") >= 4  # trend, segments, segment trend, churn

    # a fan-out run with a tiny base: estimates suppressed, not shown as solid
    res2, figs2, html2 = run_notebook("01_cx_scorecard", run="small", quarter=quarter,
                                      data_dir=str(small_data_dir), subset_column="country",
                                      subset_value="JP", min_base=400, trend_quarters=3)
    assert figs2["scope"] == "customers with country = JP"
    assert figs2["headline"]["NPS"]["small_base"] is True
    assert "&lt; minimum base 400)" in html2 or "< minimum base 400)" in html2  # format_suppressed's text


def test_report_definition_matches_notebook_parameters(small_data_dir):
    """What the batch passes must match each notebook's declared parameters."""
    from cxlib.report.definition import load_definition
    from cxlib.report.runs import plan_runs, validate_runs

    d = load_definition()
    runs = plan_runs(d, quarter="2026Q3", data_dir=small_data_dir, out_dir=small_data_dir / "out")
    validate_runs(runs)  # raises on unknown names, wrong types, missing required values
    assert {r.notebook for r in runs} >= {"01_cx_scorecard"}
    assert any(r.run.startswith("country-") for r in runs)
