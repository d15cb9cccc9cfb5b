"""Tests of cxlib.data.study: loading the study file, scale resolution, and every error path
(each message names the file and the key)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxlib as cx
from cxlib.data.study import ROLES, Scale, Study, load_study
from cxlib.errors import CXDataError

BASE = """\
[study]
title = "Airline"
wave = "2025Q4"

[sources.survey]
path = "answers.csv"

[roles.survey]
satisfaction = "sat"
drivers = ["seat", "wifi"]
segments = ["Class"]

[scales.drivers]
points = [1, 5]
missing = [0]
labels = { 1 = "very poor", 5 = "excellent" }
"""


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    (tmp_path / "answers.csv").write_text("id,sat,seat,wifi,Class\n1,satisfied,4,0,Eco\n")
    (tmp_path / "customers.parquet").write_bytes(b"not read by load_study")
    return tmp_path


def _write(directory: Path, text: str | bytes, name: str = "my-study.toml") -> Path:
    path = directory / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# ----------------------------------------------------------------------------- valid files
def test_load_study_reads_every_part(study_dir):
    text = BASE + """
[scales."seat"]
points = [0, 10]

[scales.satisfaction]
values = { "neutral or dissatisfied" = 0, "satisfied" = 1 }

[sources.customers]
path = "customers.parquet"

[roles.customers]
customer_id = "cid"
segments = "plan"

[privacy]
keep = ["Email"]
"""
    study = load_study(_write(study_dir, text))
    assert isinstance(study, Study) and study is not None
    assert study.title == "Airline" and study.wave == "2025Q4"
    assert study.path == (study_dir / "my-study.toml").resolve()
    survey = study.sources["survey"]
    assert (survey.format, survey.path) == ("csv", (study_dir / "answers.csv").resolve())
    assert study.sources["customers"].format == "parquet"  # inferred from the suffix
    assert study.role("survey", "drivers") == ["seat", "wifi"]
    assert study.role("customers", "segments") == ["plan"]  # one name is a list of one
    assert study.role("survey", "weight", "none") == "none"
    assert study.keep == ("Email",)
    # [scales."seat"] (the column) beats [scales.drivers] (its role); wifi takes the role's
    assert study.scale_for("seat") == Scale(points=(0.0, 10.0))
    assert study.scale_for("wifi") == Scale(points=(1.0, 5.0), missing=(0.0,),
                                            labels={1.0: "very poor", 5.0: "excellent"})
    assert study.scale_for("Class") is None
    # [scales.satisfaction] applies to the satisfaction column; its points are the values' range
    sat = study.scale_for("sat")
    assert sat.values == {"neutral or dissatisfied": 0.0, "satisfied": 1.0}
    assert sat.points == (0.0, 1.0) and sat.binary


def test_defaults_title_from_file_name_and_format_from_url(study_dir):
    (study_dir / "w.duckdb").write_bytes(b"")
    text = BASE.replace('title = "Airline"\n', "").replace(
        'path = "answers.csv"', 'url = "duckdb:///w.duckdb"\nquery = "select * from answers"')
    study = load_study(_write(study_dir, text))
    assert study.title == "my-study"
    src = study.sources["survey"]
    assert src.format == "sql" and src.path is None
    assert src.url == f"duckdb:///{(study_dir / 'w.duckdb').resolve().as_posix()}"  # relative to the study file


def test_load_study_is_public_and_accepts_a_bom(study_dir):
    study = cx.load_study(_write(study_dir, b"\xef\xbb\xbf" + BASE.encode()))
    assert study.role("survey", "satisfaction") == "sat"


def test_scale_binary_and_to_dict():
    assert Scale(points=(0.0, 1.0)).binary and not Scale(points=(1.0, 5.0)).binary and not Scale().binary
    assert Scale(points=(1.0, 5.0), labels={1.0: "a"}, values={"x": 2.0}).to_dict() == \
        {"points": [1, 5], "missing": [], "labels": {"1": "a"}, "values": {"x": 2}}


def test_every_table_has_roles_and_survey_roles_match_the_issue():
    assert set(ROLES["survey"]) == {"respondent_id", "date", "satisfaction", "recommend", "effort", "drivers",
                                    "segments", "weight", "comment", "customer_id"}
    assert set(ROLES["customers"]) == {"customer_id", "signup_date", "churn_date", "revenue", "segments"}
    assert {"opened", "first_response", "resolved", "reopens", "channel"} <= set(ROLES["tickets"])
    assert set(ROLES["transactions"]) == {"customer_id", "date", "amount"}


# ----------------------------------------------------------------------------- error paths
# (id, how the base file is changed, the key the message must name)
ERRORS = [
    ("unknown top-level table", lambda t: t + '\n[role.survey]\nsat = "x"\n', "'role'"),
    ("unknown [study] key", lambda t: t.replace('title = "Airline"', 'titel = "Airline"'), "'titel'"),
    ("unknown role", lambda t: t.replace('satisfaction = "sat"', 'satisfaction = "sat"\nsatisfactoin = "s"'),
     "[roles.survey] satisfactoin"),
    ("unknown roles table", lambda t: t + '\n[roles.tikets]\nticket_id = "t"\n', "[roles.tikets]"),
    ("roles without a source", lambda t: t + '\n[roles.customers]\ncustomer_id = "c"\n', "[roles.customers]"),
    ("role not a column name", lambda t: t.replace('satisfaction = "sat"', 'satisfaction = "sat"\nweight = 3'),
     "[roles.survey] weight"),
    ("empty list role", lambda t: t.replace('drivers = ["seat", "wifi"]', "drivers = []"),
     "[roles.survey] drivers"),
    ("repeated list role", lambda t: t.replace('drivers = ["seat", "wifi"]', 'drivers = ["seat", "seat"]'),
     "[roles.survey] drivers"),
    ("missing survey source", lambda t: t.replace("[sources.survey]", "[sources.customers]").replace(
        "[roles.survey]", "[roles.customers]"), "[sources.survey]"),
    ("unknown source table", lambda t: t + '\n[sources.tikets]\npath = "answers.csv"\n', "[sources.tikets]"),
    ("unknown source key", lambda t: t.replace('path = "answers.csv"', 'path = "answers.csv"\nfile = "x"'),
     "'file'"),
    ("no outcome role", lambda t: t.replace('satisfaction = "sat"', 'effort = "sat"'), "[roles.survey]"),
    ("no date and no wave", lambda t: t.replace('wave = "2025Q4"\n', ""), "[roles.survey] date"),
    ("unknown format", lambda t: t.replace('path = "answers.csv"', 'path = "answers.csv"\nformat = "xlsx"'),
     "[sources.survey] format"),
    ("format not from suffix", lambda t: t.replace('path = "answers.csv"', 'path = "my-study.toml"'),
     "[sources.survey] format"),
    ("source path does not exist", lambda t: t.replace("answers.csv", "data/answers.csv"), "[sources.survey] path"),
    ("sql without query", lambda t: t.replace('path = "answers.csv"', 'format = "sql"\nurl = "postgresql://h/db"'),
     "[sources.survey]"),
    ("sql without url", lambda t: t.replace('path = "answers.csv"', 'format = "sql"\nquery = "select 1"'),
     "[sources.survey]"),
    ("duckdb file missing", lambda t: t.replace('path = "answers.csv"', 'url = "duckdb:///no.duckdb"\nquery = "x"'),
     "[sources.survey] url"),
    ("query on a csv", lambda t: t.replace('path = "answers.csv"', 'path = "answers.csv"\nquery = "select 1"'),
     "[sources.survey] query"),
    ("sheet on a csv", lambda t: t.replace('path = "answers.csv"', 'path = "answers.csv"\nsheet = 1'),
     "[sources.survey] sheet"),
    ("points decreasing", lambda t: t.replace("points = [1, 5]", "points = [5, 1]"), "[scales.drivers] points"),
    ("points one number", lambda t: t.replace("points = [1, 5]", "points = [5]"), "[scales.drivers] points"),
    ("points not numbers", lambda t: t.replace("points = [1, 5]", 'points = ["1", "5"]'), "[scales.drivers] points"),
    ("labels outside points", lambda t: t.replace('5 = "excellent"', '6 = "excellent"'), "[scales.drivers] labels"),
    ("labels not codes", lambda t: t.replace('5 = "excellent"', 'best = "excellent"'), "[scales.drivers] labels"),
    ("missing not numbers", lambda t: t.replace("missing = [0]", 'missing = ["NA"]'), "[scales.drivers] missing"),
    ("missing a boolean", lambda t: t.replace("missing = [0]", "missing = [true]"), "[scales.drivers] missing"),
    ("values not numbers", lambda t: t + '\n[scales.satisfaction]\nvalues = { "yes" = "1" }\n',
     "[scales.satisfaction] values"),
    ("values a list", lambda t: t + '\n[scales.satisfaction]\nvalues = ["yes", "no"]\n',
     "[scales.satisfaction] values"),
    ("values outside points", lambda t: t + '\n[scales.satisfaction]\npoints = [1, 5]\nvalues = { "yes" = 9 }\n',
     "[scales.satisfaction] values"),
    ("unknown scale key", lambda t: t.replace("points = [1, 5]", "points = [1, 5]\npoint = [1, 5]"), "'point'"),
    ("column scale quoted in message", lambda t: t + '\n[scales."Seat comfort"]\npoints = [3, 1]\n',
     '[scales."Seat comfort"] points'),
    ("wave with a dash", lambda t: t.replace('wave = "2025Q4"', 'wave = "2025-Q4"'), "[study] wave"),
    ("wave quarter 5", lambda t: t.replace('wave = "2025Q4"', 'wave = "2025Q5"'), "[study] wave"),
    ("wave a number", lambda t: t.replace('wave = "2025Q4"', "wave = 2025"), "[study] wave"),
    ("privacy keep not a list", lambda t: t + '\n[privacy]\nkeep = "Email"\n', "[privacy] keep"),
    ("unknown privacy key", lambda t: t + '\n[privacy]\nsalt = "x"\n', "'salt'"),
    ("report definition missing", lambda t: t + '\n[report]\ndefinition = "mine.toml"\n', "[report] definition"),
    ("report definition not text", lambda t: t + '\n[report]\ndefinition = 3\n', "[report] definition"),
    ("report title empty", lambda t: t + '\n[report]\ntitle = ""\n', "[report] title"),
    ("unknown report key", lambda t: t + '\n[report]\nnotebooks = ["01"]\n', "'notebooks'"),
    ("report not a table", lambda t: 'report = "mine.toml"\n' + t, "[report]"),
    ("TOML syntax error", lambda t: t.replace('title = "Airline"', "title = Airline"), "line 2"),
]


@pytest.mark.parametrize("change, key", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_load_study_errors_name_the_file_and_the_key(study_dir, change, key):
    path = _write(study_dir, change(BASE))
    with pytest.raises(CXDataError) as info:
        load_study(path)
    message = str(info.value)
    assert "my-study.toml" in message
    assert key in message


def test_report_table_names_the_definition_and_title(study_dir):
    (study_dir / "reports-def").mkdir()
    (study_dir / "reports-def" / "mine.toml").write_text("[report]\n", encoding="utf-8")
    study = load_study(_write(study_dir, BASE + '\n[report]\ndefinition = "reports-def/mine.toml"\n'
                                                'title = "Airline 2025"\n'))
    assert study.report_definition == (study_dir / "reports-def" / "mine.toml").resolve()
    assert study.report_title == "Airline 2025"
    plain = load_study(_write(study_dir, BASE))
    assert (plain.report_definition, plain.report_title) == (None, None)


def test_unknown_role_lists_the_valid_roles(study_dir):
    path = _write(study_dir, BASE.replace('satisfaction = "sat"', 'satisfactoin = "sat"'))
    with pytest.raises(CXDataError, match=r"my-study\.toml: \[roles\.survey\] satisfactoin is not a survey role; "
                                          r"valid: \['respondent_id', 'date'"):
        load_study(path)


def test_not_utf8_names_the_file_and_the_line(study_dir):
    path = _write(study_dir, BASE.replace("Airline", "A\xefrline").encode("latin-1"))
    with pytest.raises(CXDataError, match=r"my-study\.toml: the file is not UTF-8 text \(byte 0xef on line 2\)"):
        load_study(path)


def test_missing_study_file(tmp_path):
    with pytest.raises(CXDataError, match="nothere.toml"):
        load_study(tmp_path / "nothere.toml")
