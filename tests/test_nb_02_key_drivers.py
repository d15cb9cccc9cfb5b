"""Notebook 02 (key drivers) executed end to end by papermill on a small dataset, then checked."""

from __future__ import annotations

import math
import re

import pytest

import cxlib as cx

pytestmark = pytest.mark.notebook

DRIVERS = ["product_quality", "reliability", "ease_of_use", "value_for_money", "support", "billing_clarity",
           "onboarding", "communication"]
N_BOOT = 40  # the smallest bootstrap p-value, 2/41, must be able to fall below 0.05


def _run_log(tmp_path_factory, res) -> str:
    logs = sorted(tmp_path_factory.getbasetemp().glob(f"nbruns*/{res.log}"))
    return logs[-1].read_text(encoding="utf-8") if logs else ""


def test_key_drivers_notebook_overall_and_small_base(run_notebook, small_data_dir, small_dataset,
                                                     tmp_path_factory):
    quarter = cx.latest_quarter(small_dataset)
    res, figs, html = run_notebook("02_key_drivers", quarter=quarter, data_dir=str(small_data_dir),
                                   n_boot=N_BOOT, seed=3, min_base=30, stability_quarters=3,
                                   subset_column="plan")
    # the only acceptable warning: a thin segment (premium has < 80 complete responses in the small
    # dataset), which the notebook shows as suppressed
    if res.had_warnings:
        log = _run_log(tmp_path_factory, res)
        warning_lines = [ln for ln in log.splitlines() if "Warning" in ln]
        assert warning_lines and all("SmallBaseWarning: segments below the minimum base" in ln
                                     for ln in warning_lines), log
        assert "suppressed" in html

    # key figures equal a direct cxlib computation on the same rows (same seed, same resamples)
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey)
    rows = survey[survey["quarter"] == quarter]
    direct = cx.key_drivers(rows, outcome="osat", drivers=DRIVERS, weights="weight", n_boot=N_BOOT,
                            seed=3, min_base=80)
    r2 = figs["headline"]["osat R² (%)"]
    assert math.isclose(r2["estimate"], 100 * direct.r_squared, rel_tol=1e-10)
    lo, hi = cx.r_squared_interval(direct)
    assert math.isclose(r2["ci_low"], 100 * lo, rel_tol=1e-10) and math.isclose(r2["ci_high"], 100 * hi, rel_tol=1e-10)
    assert r2["n"] == direct.n and r2["small_base"] is False
    top = cx.driver_summary(direct).iloc[0]
    top_fig = figs["headline"][f"osat top driver: {top['driver']} (% of R²)"]
    assert math.isclose(top_fig["estimate"], top["estimate"], rel_tol=1e-10)
    assert [d["driver"] for d in figs["importance"]] == cx.driver_summary(direct)["driver"].tolist()
    assert any(k.startswith("promoter McFadden R²") for k in figs["headline"])

    # reviewer HTML: every section, numbers with intervals, charts, no code
    for heading in ("Summary", "Method", "What moves the overall rating", "Loyalty", "importance–performance",
                    "penalty–reward", "By segment", "Stability over recent quarters"):
        assert heading in html
    # reviewer-first: the summary (the findings, written from the result objects) comes before the sections
    def heading_at(text):
        return re.search(rf"<h2[^>]*>{re.escape(text)}", html).start()

    assert heading_at("Summary") < heading_at("Method") < heading_at("What moves the overall rating")
    summary_part = html[heading_at("Summary"):heading_at("Method")]
    assert len(figs["findings"]) >= 6
    assert f"{100 * direct.r_squared:.1f}% of the variance" in summary_part
    assert f"[{100 * lo:.1f}, {100 * hi:.1f}]" in summary_part
    assert html.count("<img") >= 5
    assert "import cxlib" not in html and "cx.key_drivers" not in html
    assert f"{100 * direct.r_squared:.1f}%" in html
    assert "Benjamini–Hochberg" in html and "Not applicable" not in html  # segments compared in the overall run
    # the drivers are named by their questions (the synthetic roles' labels); the key figures keep the ids
    assert "Product quality" in html and "Billing clarity" in html
    assert figs["importance"][0]["driver"] in DRIVERS
    # quadrant calls say whether the data settle them; the bootstrap's own Monte-Carlo error is stated
    assert "settled by the data" in html and ("settled" in summary_part or "Borderline" in summary_part)
    assert f"With {N_BOOT} resamples the interval bounds of the shares vary by up to ±" in html
    assert all(math.isfinite(d["ci_low_mc_se"]) and d["ci_low_mc_se"] > 0 for d in figs["importance"])

    # a fan-out run below the minimum base: suppressed, not shown as solid
    res2, figs2, html2 = run_notebook("02_key_drivers", run="small", quarter=quarter,
                                      data_dir=str(small_data_dir), n_boot=5, subset_column="plan",
                                      subset_value="premium", min_base=400, stability_quarters=2)
    assert figs2["scope"] == "customers with plan = premium"
    assert figs2["headline"]["osat R² (%)"]["small_base"] is True
    assert figs2["headline"]["osat R² (%)"]["estimate"] is None
    assert figs2["importance"] is None
    assert "&lt; minimum base 400)" in html2 or "< minimum base 400)" in html2  # format_suppressed's text
    assert "Base too small" in html2
    assert figs2["findings"] == [f for f in figs2["findings"] if f.startswith("Base too small")]
    assert "Not applicable: this run covers a single plan" in html2
