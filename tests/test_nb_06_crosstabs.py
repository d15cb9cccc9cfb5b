"""Notebook 06 (banner tables) executed end to end by papermill on a small dataset, then
checked against direct :func:`cxlib.crosstab` calls; and its findings/key-figure helpers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import cxlib as cx
from cxlib.data.roles import SYNTHETIC_ROLES

MAIN = {"rows": ["osat", "ltr", "ces"], "stat": {"osat": ["nets", "mean"], "ltr": "nps", "ces": ["nets", "mean"]},
        "nets": {"osat": {"top-2-box": (4, 5), "bottom-2-box": (1, 2)},
                 "ces": {"top-3-box": (5, 6, 7), "bottom-3-box": (1, 2, 3)}},  # CES "easy" 5–7, as the scorecard
        "scale": {"osat": (1, 5), "ces": (1, 7)}}


def _responses(dataset, quarter):
    survey, _ = cx.drop_duplicate_responses(dataset.survey)
    return survey[survey["quarter"] == quarter]


def _same(figure, row):
    for key in ("estimate", "ci_low", "ci_high"):
        assert math.isclose(figure[key], row[key], rel_tol=1e-12, abs_tol=1e-12), (key, figure, row)
    assert figure["n"] == row["n"] and figure["small_base"] == bool(row["small_base"])


@pytest.mark.notebook
def test_crosstab_notebook_matches_a_direct_crosstab(run_notebook, small_data_dir, small_dataset, tmp_path_factory):
    quarter = cx.latest_quarter(small_dataset)
    _, figs, html = run_notebook("06_crosstabs", quarter=quarter, data_dir=str(small_data_dir), min_base=30,
                                   excel=True)
    responses = _responses(small_dataset, quarter)
    # the Main questions table equals a direct call with the same banner, weights and nets
    direct = cx.crosstab(responses, columns=["plan", "country"], weights="weight", min_base=30, **MAIN)
    total = direct.table[direct.table["banner"] == "Total"]
    main = figs["tables"]["Main questions"]
    assert list(main["total"]) == [f"{q}, {lev}" for q, lev in zip(total["question"], total["level"])]
    for (_, row), figure in zip(total.iterrows(), main["total"].values()):
        _same(figure, row)
    # NPS of the Total column is the scorecard's NPS (same weights, same respondents)
    nps = cx.nps(responses, weights="weight")
    assert math.isclose(main["total"]["ltr, NPS"]["estimate"], nps.estimate, rel_tol=1e-12)
    assert main["total"]["ltr, NPS"]["n"] == nps.n
    # the significant pairs are those of the direct call's tests
    sig = direct.tests[direct.tests["significant"].fillna(False).astype(bool)]
    assert len(main["significant"]) == len(sig) > 0
    # the drivers: the top-2-box net of each, in the study's order
    drivers = cx.crosstab(responses, rows=SYNTHETIC_ROLES.columns("drivers"), columns=["plan", "country"],
                          weights="weight", stat="nets", nets={d: {"top-2-box": (4, 5)} for d in
                                                                SYNTHETIC_ROLES.columns("drivers")},
                          scale=(1, 5))
    d_total = drivers.table[drivers.table["banner"] == "Total"]
    for (_, row), figure in zip(d_total.iterrows(), figs["tables"]["Drivers (top-2-box)"]["total"].values()):
        _same(figure, row)
    assert figs["banner"] == ["plan", "country"] and figs["weighted"] is True
    assert list(figs["headline"]) == ["osat, top-2-box", "ltr, NPS", "ces, top-3-box"]
    assert figs["headline"]["ltr, NPS"] == main["total"]["ltr, NPS"]
    # the banner's shares are the scorecard's: CES "easy" (5–7), CSAT top-2-box (4–5)
    easy = cx.ces(_responses(small_dataset, quarter), weights="weight")
    assert figs["headline"]["ces, top-3-box"]["estimate"] == pytest.approx(100 * easy.estimate, rel=1e-9)
    # reviewer HTML: summary first (with the findings' numbers), letters as superscripts, the note
    assert html.index('<h2 id="Summary"') < html.index("Likelihood to recommend (0–10): NPS") \
        < html.index('<h2 id="Method"') < html.index('<h2 id="Banner-tables"')
    top = total.iloc[0]
    assert f"{top['estimate']:.1f}% overall" in html
    assert "<sup>" in html and "<th>(A)</th>" in html
    assert "Letters: the column is significantly higher than the lettered column" in html
    assert "Weighted; every interval and test uses the effective base (Kish)." in html
    assert "import cxlib" not in html
    # the study's labels, not column ids, for questions and banner variables (issue 13)
    assert '<th colspan="11">Overall satisfaction (1–5)</th>' in html and '<th colspan="11">osat</th>' not in html
    # the country columns: caveat and the style-adjusted comparison (issue 15 item 1)
    styles = cx.study_style_comparison(responses, SYNTHETIC_ROLES, min_base=30)
    assert ">Countries and response styles<" in html and "Raw NPS is not comparable across countries" in html
    assert figs["response_styles"]["tests"]["adjusted"]["p_value"] == pytest.approx(
        styles.tests["p_value"].iloc[1], rel=1e-12)
    assert figs["response_styles"]["tests"]["raw"]["significant"] is True
    # the Excel workbook beside the key figures, one sheet per table
    import openpyxl

    books = list(tmp_path_factory.getbasetemp().glob("nbruns[0-9]*/06_crosstabs/smoke.xlsx"))
    assert len(books) == 1, books
    workbook = books[0]
    assert openpyxl.load_workbook(workbook).sheetnames == ["Main questions", "Drivers (top-2-box)"]

    # a subset run: the banner drops the subset's own column; a tiny base is flagged, not tested
    _, figs2, html2 = run_notebook("06_crosstabs", run="small", quarter=quarter, data_dir=str(small_data_dir),
                                      subset_column="country", subset_value="JP", min_base=400,
                                      questions=["ltr", "support"])
    assert figs2["scope"] == "customers with country = JP" and figs2["banner"] == ["plan"]
    assert list(figs2["tables"]) == ["Main questions", "Drivers (top-2-box)"]
    nps_jp = figs2["tables"]["Main questions"]["total"]["ltr, NPS"]
    assert nps_jp["small_base"] is True and nps_jp["n"] < 400
    assert figs2["tables"]["Main questions"]["significant"] == []
    assert "below the minimum base 400" in html2 and "No Excel export" in html2
    assert "response_styles" not in figs2  # the country is held constant: nothing to compare


def test_banner_questions_follow_the_roles():
    groups = cx.report.banner_questions(SYNTHETIC_ROLES)
    assert groups["Main questions"] == MAIN
    one = cx.report.banner_questions(SYNTHETIC_ROLES, ["plan"])
    assert one == {"Main questions": {"rows": ["plan"], "stat": {"plan": "column %"}, "nets": None, "scale": None}}


def _two_plans():
    return pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100 + ["c"] * 100,
                         "renew": ["yes"] * 70 + ["no"] * 30 + ["yes"] * 40 + ["no"] * 60 + ["yes"] * 45 + ["no"] * 55})


def test_findings_numbers_are_the_tables():
    ct = cx.crosstab(_two_plans(), "renew", "plan", stat="nets", nets={"renew": {"renews": ["yes"]}})
    total = ct.table.iloc[0]
    text = cx.report.crosstab_findings(ct, labels={"renew": "Will renew"})[0]
    assert text.startswith(f"Will renew: renews: {total['estimate']:.1f}% overall (95% CI "
                           f"[{total['ci_low']:.1f}, {total['ci_high']:.1f}], n = 300)")
    sig = ct.tests[ct.tests["significant"].fillna(False).astype(bool)]
    assert len(sig) == 2  # a > b and a > c; b vs c not significant
    for _, p in sig.iterrows():
        assert f"{p['column_a']} (A) {p['estimate_a']:.1f}% vs {p['column_b']}" in text
    assert "by plan" in text
    summary = cx.report.crosstab_findings(ct, rows="summary")[0]
    assert summary.startswith("1 of 1 rows differ significantly") and "a (A) 70.0% vs b (B) 40.0%" in summary
    figs = cx.report.crosstab_key_figures({"t": ct})
    assert figs["tables"]["t"]["total"]["renew, renews"]["n"] == 300
    assert figs["tables"]["t"]["significant"] == ["renew, renews: plan a (A) > b (B)",
                                                  "renew, renews: plan a (A) > c (C)"]


def test_findings_without_a_difference_say_so():
    df = pd.DataFrame({"plan": ["a", "b"] * 100, "renew": ["yes", "yes", "no", "no"] * 50})
    ct = cx.crosstab(df, "renew", "plan", stat="nets", nets={"renew": {"renews": ["yes"]}})
    assert cx.report.crosstab_findings(ct)[0].endswith("no significant difference between the columns of plan.")
    assert cx.report.crosstab_findings(ct, rows="summary") == [
        "None of the 1 rows differs significantly between the columns of plan."]
