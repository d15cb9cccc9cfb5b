"""Notebook 01 on a researcher's own data, end to end: a study file on a CSV with its own column
names → ``cx.import_study`` → the scorecard notebook executed by papermill on the imported
directory → the rendered HTML and the key figures.

The fixture has what the synthetic data never has: question texts as column names, a binary
satisfied / not satisfied outcome written as text, no recommend question, 1–5 drivers where
0 means "not applicable", one wave (no date column), no customers or tickets tables, and an
e-mail column. Expected numbers are computed with pandas on the fixture file itself."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import cxlib as cx

SATISFIED = "Overall, were you satisfied with your trip"
SEAT = "How comfortable was your seat"
CABIN = "How clean was the cabin"
CLASS = "Travel class"

STUDY = f"""\
[study]
title = "Rail passenger survey"
wave = "2025Q4"

[sources.survey]
path = "answers.csv"

[roles.survey]
respondent_id = "Respondent"
customer_id = "Customer number"
satisfaction = "{SATISFIED}"
drivers = ["{SEAT}", "{CABIN}"]
segments = ["{CLASS}"]

[scales.drivers]
points = [1, 5]
missing = [0]

[scales.satisfaction]
values = {{ "Not satisfied" = 0, "Satisfied" = 1 }}
"""


def _answers(n: int = 240, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cls = rng.choice(["Economy", "Business", "First"], size=n, p=[0.5, 0.3, 0.2])
    seat = rng.integers(0, 6, size=n)  # 0 = not applicable
    p = np.where(cls == "Economy", 0.55, 0.75)
    sat = np.where(rng.random(n) < p, "Satisfied", "Not satisfied").astype(object)
    sat[rng.random(n) < 0.04] = None  # a few unanswered
    return pd.DataFrame({
        "Respondent": [f"R{i:04d}" for i in range(1, n + 1)],
        "E-mail": [f"passenger{i}@example.org" for i in range(1, n + 1)],
        "Customer number": [f"CUST-{700000 + 7 * i}" for i in range(1, n + 1)],
        SATISFIED: sat,
        SEAT: seat,
        CABIN: rng.integers(0, 6, size=n),
        CLASS: cls,
    })


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    answers = _answers()
    answers.to_csv(root / "answers.csv", index=False)
    (root / "study.toml").write_text(STUDY, encoding="utf-8")
    result = cx.import_study(root / "study.toml")
    return answers, result


def test_imported_roles_reach_the_dataset(study):
    _, result = study
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    assert roles.title == "Rail passenger survey" and roles.quarters == ("2025Q4",)
    assert roles.column("satisfaction") == SATISFIED and roles.column("recommend") is None
    assert roles.columns("drivers") == [SEAT, CABIN] and roles.columns("segments") == [CLASS]
    assert roles.points(SATISFIED) == (0.0, 1.0) and roles.points(SEAT) == (1.0, 5.0)
    assert roles.column("customer_id") == "customer_id" and roles.column("respondent_id") == "response_id"
    assert roles.has("survey") and not roles.has("customers") and not roles.has("tickets")
    assert [m.label for m in cx.scorecard_metrics(roles)] == ["Share satisfied (1 = Satisfied)"]


@pytest.mark.notebook
def test_scorecard_notebook_on_an_imported_study(study, run_notebook):
    answers, result = study
    res, figs, html = run_notebook("01_cx_scorecard", quarter="2025Q4", data_dir=str(result.path), min_base=30)
    assert not res.had_warnings, "the absent tables and the one wave are said, not warned about"
    # the satisfaction share equals a direct computation on the fixture file (unweighted; blanks excluded)
    answered = answers[SATISFIED].dropna()
    expected = 100 * (answered == "Satisfied").mean()
    label = "Share satisfied (1 = Satisfied)"
    fig = figs["headline"][f"{label} (%)"]
    assert math.isclose(fig["estimate"], expected, rel_tol=1e-12) and fig["n"] == len(answered)
    assert set(figs["headline"]) == {f"{label} (%)"}  # no NPS, no CES, no churn
    # the summary comes first and carries the share with its interval and base
    summary = html[html.index('<h2 id="Summary"'):html.index('<h2 id="Method"')]
    assert f"{label} in 2025Q4 is {expected:.1f}% (95% CI {fig['ci_low']:.1f} to {fig['ci_high']:.1f}, " \
           f"n = {len(answered):,})." in summary
    assert "one wave (2025Q4)" in summary and "no comparison with a previous quarter" in summary
    # optional tables: said to be absent, not failing
    assert "Churn is not part of this study" in html
    assert "Support operations are not part of this study" in html
    assert "support tickets are not part of this study" in summary
    # no recommend question: no NPS sections
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)  # the charts' bytes are no words
    assert "NPS" not in text and "promoters" not in text
    # the questions' labels are shown (the headline table, the segment table)
    assert f"<td>{SATISFIED}</td>" in html and f"<th>{CLASS}</th>" in html
    assert f"Each {CLASS} vs the rest of the sample" in html
    # privacy: neither e-mails nor raw customer ids reach the report or the key figures
    figures_text = json.dumps(figs)
    for text in (html, figures_text):
        assert "@example.org" not in text
        assert not any(cid in text for cid in answers["Customer number"])
        assert "CUST-" not in text
