"""Notebook 02 (key drivers) on a researcher's own data, end to end: a study file on a CSV with
its own column names → ``cx.import_study`` → the key-driver notebook executed by papermill on
the imported directory → the rendered HTML and the key figures.

The fixture has what the synthetic data never has: question texts as column names, a binary
satisfied / not satisfied outcome written as text (so the importance is logistic dominance,
McFadden's pseudo-R²), no recommend question (no promoter view), three 1–5 drivers where 0
means "not applicable", one wave (no stability check), a travel-class segment, no customers
or tickets tables. Expected numbers are computed from the fixture file itself, coded with
pandas and analysed with the declared missing code passed as ``missing=``."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.report import key_driver_findings

SATISFIED = "Overall, were you satisfied with your flight"
SEAT = "How comfortable was your seat"
CREW = "How friendly was the crew"
FOOD = "How good was the food"
CLASS = "Travel class"
DRIVERS = [SEAT, CREW, FOOD]
N_BOOT = 40  # the smallest bootstrap p-value, 2/41, must be able to fall below 0.05

STUDY = f"""\
[study]
title = "Airline passenger survey"
wave = "2025Q4"

[sources.survey]
path = "answers.csv"

[roles.survey]
respondent_id = "Respondent"
customer_id = "Customer number"
satisfaction = "{SATISFIED}"
drivers = ["{SEAT}", "{CREW}", "{FOOD}"]
segments = ["{CLASS}"]

[scales.drivers]
points = [1, 5]
missing = [0]

[scales.satisfaction]
values = {{ "Not satisfied" = 0, "Satisfied" = 1 }}
"""


def _answers(n: int = 900, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cls = rng.choice(["Economy", "Business"], size=n, p=[0.6, 0.4])
    ratings = {d: rng.integers(1, 6, size=n) for d in DRIVERS}
    logit = -4.2 + 0.9 * ratings[SEAT] + 0.45 * ratings[CREW] + 0.1 * ratings[FOOD]
    sat = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Satisfied", "Not satisfied").astype(object)
    sat[rng.random(n) < 0.03] = None  # a few unanswered
    for d in (SEAT, FOOD):  # not applicable: no seat question on some legs, no meal on short flights
        ratings[d][rng.random(n) < (0.08 if d == SEAT else 0.2)] = 0
    return pd.DataFrame({
        "Respondent": [f"R{i:04d}" for i in range(1, n + 1)],
        "Customer number": [f"CUST-{500000 + 3 * i}" for i in range(1, n + 1)],
        SATISFIED: sat, **ratings, CLASS: cls,
    })


def _coded(answers: pd.DataFrame) -> pd.DataFrame:
    """The fixture coded by hand: satisfied -> 1/0 (blank stays missing), drivers as they are."""
    out = answers.copy()
    out[SATISFIED] = answers[SATISFIED].map({"Satisfied": 1, "Not satisfied": 0}).astype("Float64")
    return out


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("airline")
    answers = _answers()
    answers.to_csv(root / "answers.csv", index=False)
    (root / "study.toml").write_text(STUDY, encoding="utf-8")
    return answers, cx.import_study(root / "study.toml")


def _direct(answers: pd.DataFrame, **kwargs):
    return cx.key_drivers(_coded(answers), outcome=SATISFIED, drivers=DRIVERS, scale=(1, 5), missing=[0],
                          **kwargs)


def test_the_study_gives_a_binary_outcome_and_drivers_with_a_not_applicable_code(study):
    answers, result = study
    roles = cx.study_roles(cx.load_dataset(result.path))
    assert roles.column("satisfaction") == SATISFIED and roles.column("recommend") is None
    assert roles.columns("drivers") == DRIVERS and roles.columns("segments") == [CLASS]
    assert all(roles.points(d) == (1.0, 5.0) and roles.scale(d).missing == (0.0,) for d in DRIVERS)
    assert roles.quarters == ("2025Q4",)
    # the declared "not applicable" code is a missing answer, not a rating of 0: passing it as
    # missing= drops those rows and counts them
    res = _direct(answers, n_boot=0, min_base=30)
    assert res.outcome_type == "binary"
    assert res.n_missing_codes[SEAT] == int((answers[SEAT] == 0).sum()) > 0
    assert res.n_missing_codes[FOOD] == int((answers[FOOD] == 0).sum()) > 0
    complete = (answers[DRIVERS] != 0).all(axis=1) & answers[SATISFIED].notna()
    assert res.n == int(complete.sum()) and res.n_dropped == len(answers) - res.n
    # without the code, the zeros fall outside the declared 1–5 points: an error, not a silent rating
    with pytest.raises(cx.CXDataError, match="outside the scale points"):
        cx.key_drivers(_coded(answers), outcome=SATISFIED, drivers=DRIVERS, scale=(1, 5), n_boot=0)


def test_findings_of_a_binary_outcome_speak_of_pseudo_r2_and_probability(study):
    answers, _ = study
    res = _direct(answers, n_boot=N_BOOT, seed=0, min_base=30)
    pr = cx.penalty_reward(_coded(answers), outcome=SATISFIED, drivers=DRIVERS, scale=(1, 5), missing=[0])
    findings = key_driver_findings(res, penalty=pr)
    lo, hi = cx.r_squared_interval(res)
    assert findings[0] == (
        f"The 3 drivers reach a McFadden pseudo-R² of {100 * res.r_squared:.1f}% for {SATISFIED!r} (a 0/1 outcome; "
        f"95% CI [{100 * lo:.1f}, {100 * hi:.1f}]; n = {res.n:,} complete responses, {res.n_dropped:,} dropped "
        "for a missing answer).")
    top = cx.driver_summary(res).iloc[0]
    assert findings[1].startswith(f"Largest shares of McFadden's pseudo-R² (95% CI): {top['driver']} "
                                  f"{top['estimate']:.1f}% [{top['ci_low']:.1f}, {top['ci_high']:.1f}]")
    text = " ".join(findings)
    assert "variance" not in text and "1–5 outcome" not in text
    share_at_1 = _coded(answers).dropna(subset=[SATISFIED])
    share_at_1 = share_at_1[(share_at_1[DRIVERS] != 0).all(axis=1)][SATISFIED].mean()
    assert f"on a 0/1 outcome ({share_at_1:.0%} at 1) the effects are differences in probability" in text


@pytest.mark.notebook
def test_key_drivers_notebook_on_an_imported_study(study, run_notebook):
    answers, result = study
    res, figs, html = run_notebook("02_key_drivers", quarter="2025Q4", data_dir=str(result.path), n_boot=N_BOOT,
                                   min_base=30)
    assert not res.had_warnings, "no promoter view, the one wave: said, not warned about"
    # the headline is the logistic dominance of the satisfaction question on the study's drivers,
    # equal to a direct analysis of the fixture file with the declared code passed as missing=
    direct = _direct(answers, n_boot=N_BOOT, seed=0, min_base=30)
    assert figs["outcome"] == SATISFIED and figs["min_base"] == 30
    r2 = figs["headline"][f"{SATISFIED} McFadden R² (%)"]
    lo, hi = cx.r_squared_interval(direct)
    assert math.isclose(r2["estimate"], 100 * direct.r_squared, rel_tol=1e-9)
    assert math.isclose(r2["ci_low"], 100 * lo, rel_tol=1e-9) and math.isclose(r2["ci_high"], 100 * hi, rel_tol=1e-9)
    assert r2["n"] == direct.n and r2["small_base"] is False
    assert [d["driver"] for d in figs["importance"]] == cx.driver_summary(direct)["driver"].tolist()
    assert figs["importance"][0]["driver"] == SEAT  # the planted strongest driver
    # no recommend question: no promoter view
    assert not any("promoter" in k for k in figs["headline"])
    assert "Loyalty is not part of this study" in html
    # the summary comes first and speaks of the binary outcome's pseudo-R²
    summary = html[html.index('<h2 id="Summary"'):html.index('<h2 id="Method"')]
    assert f"McFadden pseudo-R² of {100 * direct.r_squared:.1f}%" in summary
    assert "one wave (2025Q4)" in summary and "no stability check" in summary
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert "logistic dominance" in text and "count as missing" in text
    assert "osat" not in text and "product_quality" not in text
    # the segment comparison runs over the study's first segment
    assert "Benjamini–Hochberg across the table" in text and "Economy" in text and "Business" in text
    assert "Not applicable" not in text and "declares no segments" not in text
    # one wave: no stability chart, a sentence instead
    assert "One wave (2025Q4): there is no stability check over quarters." in text
    # privacy: raw customer ids do not reach the report or the key figures
    assert "CUST-" not in html and "CUST-" not in str(figs)


# --- an SPSS export: short column ids, the questions as variable labels --------------------------
SPSS_IDS = {SATISFIED: "sat", SEAT: "q_seat", CREW: "q_crew", FOOD: "q_food", CLASS: "cls"}
SPSS_STUDY = """\
[study]
title = "Airline passenger survey (SPSS)"
wave = "2025Q4"

[sources.survey]
path = "answers.sav"

[roles.survey]
respondent_id = "resp"
satisfaction = "sat"
drivers = ["q_seat", "q_crew", "q_food"]
segments = ["cls"]

[scales.drivers]
points = [1, 5]
missing = [0]
"""


@pytest.fixture(scope="module")
def spss_study(tmp_path_factory):
    import pyreadstat

    root = tmp_path_factory.mktemp("airline_spss")
    coded = _coded(_answers()).drop(columns=["Customer number"]).rename(columns={"Respondent": "resp", **SPSS_IDS})
    coded["sat"] = coded["sat"].astype(float)
    labels = {new: old for old, new in SPSS_IDS.items()}
    pyreadstat.write_sav(coded, str(root / "answers.sav"), column_labels=labels)
    (root / "study.toml").write_text(SPSS_STUDY, encoding="utf-8")
    return labels, cx.import_study(root / "study.toml")


@pytest.mark.notebook
def test_key_drivers_notebook_shows_the_question_labels_not_the_column_ids(spss_study, run_notebook):
    _labels, result = spss_study
    roles = cx.study_roles(cx.load_dataset(result.path))
    assert [roles.label(d) for d in roles.columns("drivers")] == DRIVERS  # the SPSS variable labels
    res, figs, html = run_notebook("02_key_drivers", quarter="2025Q4", data_dir=str(result.path), n_boot=N_BOOT,
                                   min_base=30)
    assert not res.had_warnings
    # the key figures keep the column ids (what a script reads); the reviewer reads the questions
    assert {d["driver"] for d in figs["importance"]} == {"q_seat", "q_crew", "q_food"}
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    method = text[text.index('<h2 id="Method"'):text.index('<h2 id="Data"')]
    rest = text.replace(method, "")
    for question in (SEAT, CREW, FOOD):
        assert question in rest
    for column in ("q_seat", "q_crew", "q_food"):
        assert column not in rest, column  # only the method note maps the questions to their columns
        assert f"= <em>{column}</em>" in method
    findings = " ".join(figs["findings"])
    assert SEAT in findings and "q_seat" not in findings and f"{SATISFIED!r}" in findings
    # the importance–performance table says which quadrant calls the data settle
    assert "settled by the data" in rest
    assert "vary by up to ±" in method and f"With {N_BOOT} resamples" in method
