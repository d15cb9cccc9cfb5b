"""Notebook 04 (segments) on a researcher's own data, end to end: a study file on a CSV with its
own column names → ``cx.import_study`` → the segments notebook executed by papermill on the
imported directory → the rendered HTML and the key figures.

The fixture is an airline-like survey: five 1–5 drivers where 0 means "not applicable", a
binary satisfied / not satisfied outcome written as text, no recommend question, segments
"Class" and "Type of Travel", one wave, no weights, no customers table (so no churn by
segment and no value tiers) and no country or language column (so no response styles).
Expected numbers are computed on the fixture file itself."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.segments.attitudinal import AttitudinalSegments

SATISFIED = "satisfaction"
DRIVERS = ["Seat comfort", "Inflight wifi service", "Food and drink", "Cleanliness", "On-board service"]
CLASS, TRAVEL = "Class", "Type of Travel"
SHARE = "Share satisfied (1 = satisfied)"

STUDY = f"""\
[study]
title = "Airline passenger satisfaction"
wave = "2025Q4"

[sources.survey]
path = "airline.csv"

[roles.survey]
respondent_id = "id"
satisfaction = "{SATISFIED}"
drivers = {json.dumps(DRIVERS)}
segments = ["{CLASS}", "{TRAVEL}"]

[scales.drivers]
points = [1, 5]
missing = [0]

[scales.satisfaction]
values = {{ "neutral or dissatisfied" = 0, "satisfied" = 1 }}
"""


def _answers(n: int = 360, seed: int = 5) -> pd.DataFrame:
    """Two planted attitudinal groups (comfort-minded and service-minded), 0 = not applicable."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, size=n)
    centre = np.where(group[:, None] == 0, [4.5, 2.0, 4.0, 4.5, 2.0], [2.0, 4.5, 2.0, 2.0, 4.5])
    ratings = np.clip(np.rint(centre + rng.normal(0, 0.6, size=(n, len(DRIVERS)))), 1, 5).astype(int)
    ratings[rng.random(ratings.shape) < 0.05] = 0  # not applicable
    cls = rng.choice(["Eco", "Eco Plus", "Business"], size=n, p=[0.45, 0.15, 0.4])
    p = np.where(group == 0, 0.7, 0.35)
    frame = pd.DataFrame(ratings, columns=DRIVERS)
    frame.insert(0, "id", np.arange(1, n + 1))
    frame[SATISFIED] = np.where(rng.random(n) < p, "satisfied", "neutral or dissatisfied")
    frame[CLASS] = cls
    frame[TRAVEL] = rng.choice(["Business travel", "Personal Travel"], size=n)
    return frame


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("airline")
    answers = _answers()
    answers.to_csv(root / "airline.csv", index=False)
    (root / "study.toml").write_text(STUDY, encoding="utf-8")
    return answers, cx.import_study(root / "study.toml")


def _segments(answers: pd.DataFrame) -> AttitudinalSegments:
    # the notebook's segmentation with the notebook test's k and n_boot, 0 declared missing
    return cx.attitudinal_segments(answers, variables=DRIVERS, k=[2, 3], incomplete="mean", seed=0, n_boot=39,
                                   scale=(1, 5), missing=[0])


def test_declared_missing_codes_are_not_ratings(study):
    answers, _ = study
    seg = _segments(answers)
    # the not-applicable zeros are imputed, never clustered as ratings: centres stay on the 1–5 scale
    assert (seg.centres[DRIVERS].to_numpy() >= 1).all()
    assert seg.k == 2 and int(seg.sizes["n"].sum()) == len(answers)
    # mean imputation uses the mean of the real ratings (zeros excluded)
    masked = answers[DRIVERS].replace(0, np.nan)
    assert np.allclose(seg.impute, masked.mean().to_numpy())


@pytest.mark.notebook
def test_segments_notebook_on_an_imported_study(study, run_notebook):
    answers, result = study
    res, figs, html = run_notebook("04_segments", quarter="2025Q4", data_dir=str(result.path), k=[2, 3], n_boot=39,
                                   min_base=30, seed=0)
    assert not res.had_warnings, "the absent tables and columns are said, not warned about"
    seg = _segments(answers)
    assert figs["k"] == seg.k == 2 and [s["n"] for s in figs["sizes"]] == seg.sizes["n"].tolist()
    st = figs["headline"]["Segment stability (bootstrap ARI)"]
    assert math.isclose(st["estimate"], seg.stability.estimate, rel_tol=1e-12)

    # the outcome is the binary satisfaction share, per segment (unweighted: the study has no weights)
    assert {r["metric"] for r in figs["outcomes"]} == {"csat"}  # no NPS, no CES, no churn
    labels = seg.labels.to_numpy()
    for s in seg.sizes["segment"]:
        fig = figs["headline"][f"{SHARE}, segment {s}"]
        part = answers[labels == s]
        assert math.isclose(fig["estimate"], 100 * (part[SATISFIED] == "satisfied").mean(), rel_tol=1e-9)
        assert fig["n"] == len(part) and fig["small_base"] is False
    assert not any(key.startswith("NPS") for key in figs["headline"])

    # sections present in order; absent parts said in one sentence
    headings = ("Summary", "Method", "How many segments", "Segment profiles",
                "Loyalty, satisfaction and churn by segment", "Response styles across countries",
                "Rule-based segments")
    positions = [html.index(f">{h}") for h in headings]
    assert positions == sorted(positions)
    assert "churn by segment is not part of this study" in html
    assert "The study has no country or language column" in html
    assert "NPS groups are not part of this study" in html
    assert "Value tiers and tenure bands are not part of this study" in html
    assert "declared codes 0 (not applicable / don&#x27;t know) treated as missing" in html or \
        "declared codes 0 (not applicable / don't know) treated as missing" in html
    assert "The study has no survey weights" in html
    # the segments are profiled (shares of Class and Type of Travel levels)
    assert f"{CLASS} = Business" in html and f"{TRAVEL} = Personal Travel" in html
    assert f"{SHARE} ranges from" in html


def test_segment_outcomes_on_the_study_metrics(study):
    answers, result = study
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    metrics = cx.scorecard_metrics(roles)
    survey = data.survey.assign(segment=np.where(data.survey[CLASS] == "Business", 1, 2))
    out = cx.segment_outcomes(survey, by="segment", metrics=metrics, weights=None, min_base=30)
    assert out["label"].unique().tolist() == [SHARE] and out["unit"].unique().tolist() == ["%"]
    for s, part in ((1, answers[answers[CLASS] == "Business"]), (2, answers[answers[CLASS] != "Business"])):
        r = out[out["segment"] == s].iloc[0]
        assert r["estimate"] == pytest.approx(100 * (part[SATISFIED] == "satisfied").mean())
        assert r["n"] == len(part) and r["ci_low"] <= r["estimate"] <= r["ci_high"]
    # the synthetic default is the scorecard metrics of the synthetic schema: same table
    df = pd.DataFrame({"segment": [1] * 40 + [2] * 40, "ltr": [9, 3] * 40, "osat": [5, 2] * 40, "ces": [6, 2] * 40})
    pd.testing.assert_frame_equal(cx.segment_outcomes(df, by="segment", weights=None),
                                  cx.segment_outcomes(df, by="segment", weights=None, metrics=cx.scorecard_metrics()))
    with pytest.raises(cx.CXDataError):
        cx.segment_outcomes(df, by="segment", weights=None, metrics=[])
