"""Tests of cxlib.data.scaffold (``cx.scaffold_study``, ``cx init DIR --from FILE``).

Three exports as researchers bring them: an airline passenger survey as published (14
service ratings 0–5 where 0 means "not applicable", a satisfied / neutral-or-dissatisfied
outcome, Class and Type of Travel, no date), the synthetic survey written to CSV, and
Qualtrics exports (tests/fixtures/survey_exports.py). The guesses are read back through
``cx.load_study`` (the study file contract), never from the scaffold's internals; the expected
roles and scales are typed here from how each fixture was built.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.cli import main
from cxlib.data.scaffold import STUDY_FILE, scaffold_study
from cxlib.errors import CXDataError
from fixtures.survey_exports import qualtrics_expected, write_qualtrics_csv, write_spss

SERVICES = ["Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking",
            "Gate location", "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment",
            "On-board service", "Leg room service", "Baggage handling", "Checkin service", "Inflight service",
            "Cleanliness"]
QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def _airline(directory: Path, n: int = 120, seed: int = 5) -> Path:
    """The airline passenger satisfaction CSV as published: an unnamed index column, 0 = not applicable."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": rng.permutation(np.arange(10_000, 10_000 + n)),
        "Gender": rng.choice(["Male", "Female"], n),
        "Customer Type": rng.choice(["Loyal Customer", "disloyal Customer"], n),
        "Age": rng.integers(7, 86, n),
        "Type of Travel": rng.choice(["Business travel", "Personal Travel"], n),
        "Class": rng.choice(["Eco", "Eco Plus", "Business"], n),
        "Flight Distance": rng.integers(31, 4984, n),
    })
    for col in SERVICES:
        frame[col] = rng.choice([0, 1, 2, 3, 4, 5], n, p=[.05, .15, .2, .2, .2, .2])
    frame["Departure Delay in Minutes"] = rng.integers(0, 300, n)
    frame["Arrival Delay in Minutes"] = np.where(rng.random(n) < .05, np.nan, rng.integers(0, 300, n))
    frame["satisfaction"] = rng.choice(["neutral or dissatisfied", "satisfied"], n)
    path = directory / "airline.csv"
    frame.to_csv(path)  # with the index, as the published file: its first column has no header
    return path


def _read_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- airline


@pytest.fixture
def airline_study(tmp_path: Path) -> tuple[Path, Path]:
    exports = tmp_path / "exports"
    exports.mkdir()
    data = _airline(exports)
    return data, scaffold_study(data, tmp_path / "mystudy")


def test_airline_roles_and_scales_are_guessed(airline_study):
    data, path = airline_study
    study = cx.load_study(path)
    assert path == (data.parents[1] / "mystudy" / STUDY_FILE).resolve()
    assert study.roles["survey"] == {
        "respondent_id": "id",
        "satisfaction": "satisfaction",
        "drivers": SERVICES,
        "segments": ["Gender", "Customer Type", "Type of Travel", "Class"],
    }
    assert study.scales["drivers"].points == (1.0, 5.0)
    assert study.scales["drivers"].missing == (0.0,)  # 0 on a 1–5 scale: not applicable
    assert study.scales["satisfaction"].values == {"neutral or dissatisfied": 0.0, "satisfied": 1.0}
    assert study.scales["satisfaction"].binary
    assert QUARTER.match(study.wave)  # no date column: a placeholder wave
    assert study.sources["survey"].path == data.resolve()
    assert _read_toml(path)["sources"]["survey"]["path"] == "../exports/airline.csv"  # relative to the study


def test_airline_study_imports_and_counts_the_not_applicable_codes(airline_study):
    data, path = airline_study
    result = cx.import_study(path)
    raw = pd.read_csv(data)
    survey = result.tables["survey"]
    assert len(survey) == len(raw)
    report = result.report.set_index("column")
    for col in SERVICES:
        assert report.loc[col, "missing_0"] == (raw[col] == 0).sum()
        assert survey[col].isna().sum() == (raw[col] == 0).sum()
    assert survey["satisfaction"].tolist() == (raw["satisfaction"] == "satisfied").astype(int).tolist()
    assert survey["quarter"].nunique() == 1


def test_every_guessed_line_is_marked_for_review(airline_study):
    _, path = airline_study
    section = None
    unmarked = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line
        elif "=" in line and not line.startswith("#") and section != "[sources.survey]":
            if "# REVIEW:" not in line:
                unmarked.append(line)
    assert not unmarked
    header = path.read_text(encoding="utf-8").split("\n[study]\n")[0]
    assert "drivers" in header and "not applicable" in header and "Age" in header  # explained, unused listed


def test_the_input_file_is_not_modified(tmp_path):
    data = _airline(tmp_path)
    before, mtime = data.read_bytes(), os.stat(data).st_mtime_ns
    scaffold_study(data, tmp_path / "s")
    main(["init", str(tmp_path / "t"), "--from", str(data)])
    assert data.read_bytes() == before and os.stat(data).st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["airline.csv", "s", "t"]


def test_an_existing_study_file_is_not_overwritten(tmp_path):
    data = _airline(tmp_path)
    existing = tmp_path / "mystudy" / STUDY_FILE
    existing.parent.mkdir()
    existing.write_text("# my reviewed study\n")
    with pytest.raises(CXDataError, match=r"already there.*force=True"):
        scaffold_study(data, existing.parent)
    assert main(["init", str(existing.parent), "--from", str(data)]) == 1
    assert existing.read_text() == "# my reviewed study\n"
    assert main(["init", str(existing.parent), "--from", str(data), "--force"]) == 0
    assert cx.load_study(existing).role("survey", "satisfaction") == "satisfaction"


def test_cli_init_prints_the_guesses_and_the_next_command(tmp_path, capsys):
    data = _airline(tmp_path)
    assert main(["init", str(tmp_path / "mystudy"), "--from", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'mystudy' / STUDY_FILE}" in out
    assert re.search(r"drivers\s+Inflight wifi service, .*\(14 columns\)\s+\[points \[1, 5\]; missing \[0\]\]", out)
    n_review = (tmp_path / "mystudy" / STUDY_FILE).read_text().count("# REVIEW:")
    assert f"{n_review} lines are marked '# REVIEW:'" in out
    assert f"cx data import {tmp_path / 'mystudy' / STUDY_FILE}" in out
    assert main(["init", str(tmp_path / "other"), "--from", str(tmp_path / "nope.csv")]) == 1


# ----------------------------------------------------------------------------- synthetic survey


def test_synthetic_survey_csv_roles_scales_and_wave(tmp_path, small_dataset):
    survey = small_dataset.survey.drop(columns=["quarter"])  # the import adds the quarter itself
    data = tmp_path / "survey.csv"
    survey.to_csv(data, index=False)
    path = scaffold_study(data, tmp_path)
    study = cx.load_study(path)
    assert study.roles["survey"] == {
        "respondent_id": "response_id", "customer_id": "customer_id", "date": "response_date",
        "recommend": "ltr", "satisfaction": "osat", "effort": "ces", "weight": "weight", "comment": "comment",
        "drivers": list(cx.data.DRIVERS), "segments": ["country", "plan"],
    }
    points = {role: study.scales[role].points for role in ("recommend", "satisfaction", "effort", "drivers")}
    assert points == {"recommend": (0.0, 10.0), "satisfaction": (1.0, 5.0), "effort": (1.0, 7.0),
                      "drivers": (1.0, 5.0)}
    assert all(not study.scales[r].missing for r in points)  # 1–k scales without 0s: no missing codes
    assert study.wave == small_dataset.survey["quarter"].max()
    result = cx.import_study(path)
    imported = result.tables["survey"].set_index("response_id")
    assert imported["quarter"].equals(small_dataset.survey.set_index("response_id")["quarter"])


def test_a_source_column_the_import_adds_is_flagged(tmp_path):
    frame = pd.DataFrame({"osat": [1, 2, 3, 4, 5, 3], "quarter": ["2025Q4"] * 6})
    frame.to_csv(tmp_path / "s.csv", index=False)
    text = scaffold_study(tmp_path / "s.csv", tmp_path).read_text()
    assert "REVIEW: the source has a column 'quarter'" in text


# ----------------------------------------------------------------------------- Qualtrics and SPSS


@pytest.mark.parametrize("variant", ["numeric", "choice"])
def test_qualtrics_export_roles_scales_and_import(tmp_path, variant):
    fixture = write_qualtrics_csv(tmp_path, variant)
    path = scaffold_study(fixture.path, tmp_path / "study")
    study = cx.load_study(path)
    assert study.sources["survey"].format == "qualtrics"
    assert study.roles["survey"] == {
        "respondent_id": "ResponseId", "customer_id": "cust", "date": "RecordedDate", "recommend": "Q3",
        "satisfaction": "Q1", "comment": "Q4_TEXT", "drivers": ["Q2_1", "Q2_2"],
    }
    assert study.wave == "2025Q4"  # the latest RecordedDate, 2025-10-11
    assert study.scales["recommend"].points == (0.0, 10.0)
    assert study.scales["satisfaction"].points == study.scales["drivers"].points == (1.0, 5.0)
    survey = cx.import_study(path).tables["survey"]
    numeric = qualtrics_expected("numeric")  # choice text must give the numeric export's codes
    assert survey["Q1"].tolist() == numeric["Q1"].tolist()
    assert survey["Q3"].tolist() == numeric["Q3"].tolist()
    if variant == "choice":
        assert study.scales["satisfaction"].values["Very satisfied"] == 5.0
        assert study.scales["recommend"].values == {"10 - Extremely likely": 10.0}
        assert study.scales["drivers"].labels[1.0] == "Very poor"


def test_a_satisfaction_matrix_does_not_take_the_overall_question(tmp_path):
    """Matrix items ("How satisfied … - Room") are drivers; Qualtrics' NPS group column is no rating."""
    header = [("ResponseId", "Response ID", "_recordId"),
              ("Q2_1", "How satisfied are you with the following? - Room", "QID2_1"),
              ("Q2_2", "How satisfied are you with the following? - Staff", "QID2_2"),
              ("Q2_3", "How satisfied are you with the following? - Food", "QID2_3"),
              ("Q1", "How satisfied are you with your stay?", "QID1"),
              ("Q3", "How likely are you to recommend us to a friend?", "QID3"),
              ("Q3_NPS_GROUP", "How likely are you to recommend us to a friend? - Group", "QID3_NPS_GROUP")]
    rows = [[f"R_{i}", *(1 + (i + k) % 5 for k in range(4)), i % 11, 1 + (i % 11 > 6) + (i % 11 > 8)]
            for i in range(12)]
    lines = [",".join(c for c, _, _ in header), ",".join(t for _, t, _ in header),
             ",".join(f'"{{""ImportId"":""{i}""}}"' for _, _, i in header)] + [",".join(map(str, r)) for r in rows]
    (tmp_path / "hotel.csv").write_text("\n".join(lines) + "\n")
    study = cx.load_study(scaffold_study(tmp_path / "hotel.csv", tmp_path))
    assert study.roles["survey"] == {"respondent_id": "ResponseId", "recommend": "Q3", "satisfaction": "Q1",
                                     "drivers": ["Q2_1", "Q2_2", "Q2_3"]}


def test_spss_user_missing_codes_become_missing(tmp_path):
    fixture = write_spss(tmp_path)
    study = cx.load_study(scaffold_study(fixture.path, tmp_path / "study"))
    assert study.roles["survey"]["satisfaction"] == "osat"
    assert study.roles["survey"]["drivers"] == ["seat"]
    assert study.scales["satisfaction"].missing == fixture.missing_codes["osat"]
    assert study.scales["drivers"].missing == fixture.missing_codes["seat"]
    assert study.scales["drivers"].points == (1.0, 5.0)  # value labels 1 "very poor" … 5 "excellent"
    assert study.wave == "2025Q4"
    cx.import_study(study.path)


# ----------------------------------------------------------------------------- rules and refusals


def test_zero_is_a_point_on_a_zero_to_ten_scale(tmp_path):
    pd.DataFrame({"Overall satisfaction": [0, 3, 7, 10, 9, 5]}).to_csv(tmp_path / "s.csv", index=False)
    study = cx.load_study(scaffold_study(tmp_path / "s.csv", tmp_path))
    assert study.scales["satisfaction"].points == (0.0, 10.0)
    assert not study.scales["satisfaction"].missing


def test_a_yes_no_outcome_codes_no_as_zero(tmp_path):
    pd.DataFrame({"satisfied": ["Yes", "No", "Yes", "No", "yes "]}).to_csv(tmp_path / "s.csv", index=False)
    study = cx.load_study(scaffold_study(tmp_path / "s.csv", tmp_path))
    assert study.scales["satisfaction"].values == {"No": 0.0, "Yes": 1.0}
    assert cx.import_study(study.path).tables["survey"]["satisfied"].tolist() == [1, 0, 1, 0, 1]


def test_a_file_without_an_outcome_is_refused_and_nothing_is_written(tmp_path):
    pd.DataFrame({"customerID": ["a", "b", "c"], "Contract": ["Month", "Year", "Month"],
                  "MonthlyCharges": [29.85, 56.95, 53.85]}).to_csv(tmp_path / "telco.csv", index=False)
    with pytest.raises(CXDataError, match=r"telco.csv: no column looks like an outcome.*'Contract'"):
        scaffold_study(tmp_path / "telco.csv", tmp_path / "study")
    assert not (tmp_path / "study" / STUDY_FILE).exists()
