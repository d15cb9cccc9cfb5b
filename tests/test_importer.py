"""Tests of cxlib.data.importer (and its pandera contracts, cxlib.data.contracts): a study on
a researcher's CSV with its own column names, a binary satisfaction coded as text, 0 = not
applicable on 1–5 drivers, no date column (one wave), identifying columns; the import report
against counts computed with pandas on the fixture; the dataset directory and its manifest;
the ``cx data import`` command.

Expected values are computed in each test from the fixture file with pandas, independently of
the importer."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.cli import main
from cxlib.data.contracts import contract_failures, table_contract, validate_table
from cxlib.data.importer import SALT_FILE, ImportFailed, import_study
from cxlib.data.study import Scale, Source, Study
from cxlib.errors import CXDataError

DRIVERS = ["Inflight wifi service", "Seat comfort", "Cleanliness"]
PII = ["Email", "IPAddress", "LocationLatitude"]
SAT_CODES = {"neutral or dissatisfied": 0, "satisfied": 1}

STUDY = """\
[study]
title = "Airline passenger survey"
wave = "2025Q4"

[sources.survey]
path = "airline.csv"

[roles.survey]
respondent_id = "id"
satisfaction = "satisfaction"
drivers = ["Inflight wifi service", "Seat comfort", "Cleanliness"]
segments = ["Class", "Type of Travel"]
comment = "why"
customer_id = "cust"

[scales.drivers]
points = [1, 5]
missing = [0]
labels = { 1 = "very poor", 5 = "excellent" }

[scales.satisfaction]
values = { "neutral or dissatisfied" = 0, "satisfied" = 1 }
"""


def _airline_frame(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": np.arange(701, 701 + n),
        "Email": [f"p{i}@example.org" for i in range(n)],
        "IPAddress": [f"10.0.0.{i}" for i in range(n)],
        "LocationLatitude": rng.uniform(40, 50, n).round(4),
        "Class": rng.choice(["Eco", "Eco Plus", "Business"], n),
        "Type of Travel": rng.choice(["Business travel", "Personal Travel"], n),
        "satisfaction": rng.choice(["satisfied", "neutral or dissatisfied", " Satisfied ", None], n,
                                   p=[.45, .45, .05, .05]),
        "cust": rng.choice([100001, 100002, 100003, 100004, 100005, np.nan], n),
        "why": rng.choice(["great crew", "late", None], n),
    })
    for col in DRIVERS:
        frame[col] = rng.choice([0, 1, 2, 3, 4, 5, np.nan], n, p=[.15, .1, .15, .2, .2, .15, .05])
    return frame


@pytest.fixture
def airline(tmp_path: Path) -> Path:
    """A study directory: airline.csv (with one empty row) and study.toml; returns the study file."""
    frame = _airline_frame()
    lines = frame.to_csv(index=False).splitlines()
    lines.insert(12, "," * (frame.shape[1] - 1))  # an empty row in the middle of the export
    (tmp_path / "airline.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "study.toml").write_text(STUDY)
    return tmp_path / "study.toml"


def _raw(study_file: Path, name: str = "airline.csv") -> pd.DataFrame:
    """The fixture as pandas reads it, without its empty rows (what the import must keep)."""
    raw = pd.read_csv(study_file.parent / name)
    return raw.loc[~raw.isna().all(axis=1)].reset_index(drop=True)


def _summary_count(result, item: str, table: str = "survey") -> int:
    rows = result.summary[(result.summary["table"] == table) & (result.summary["item"] == item)]
    return int(rows["count"].sum())


# ----------------------------------------------------------------------------- the import
def test_import_applies_roles_scales_wave_and_privacy(airline):
    result = cx.import_study(airline)
    raw = _raw(airline)
    out = result.tables["survey"]
    assert len(out) == len(raw)
    assert not set(PII) & set(out.columns) and "cust" not in out.columns
    assert (out["quarter"] == "2025Q4").all()  # no date column: the wave
    assert out["response_id"].tolist() == raw["id"].astype(int).tolist()
    # text answers through values (ignoring case and spaces); blanks stay missing
    expected_sat = raw["satisfaction"].str.strip().str.casefold().map(SAT_CODES)
    pd.testing.assert_series_equal(out["satisfaction"].astype(float), expected_sat.astype(float), check_names=False)
    assert result.study.scale_for("satisfaction").binary
    # 0 = not applicable: missing, every other rating unchanged
    for col in DRIVERS:
        expected = raw[col].where(raw[col] != 0)
        pd.testing.assert_series_equal(out[col].astype(float), expected, check_names=False)
    assert out["Class"].tolist() == raw["Class"].tolist()


def test_report_counts_equal_pandas_counts_on_the_fixture(airline):
    result = import_study(airline)
    raw = _raw(airline)
    report = result.report.set_index("column")
    assert report["table"].eq("survey").all()
    assert set(report.index) == set(result.tables["survey"].columns)
    for col in DRIVERS:
        valid = raw[col][(raw[col] != 0) & raw[col].notna()]
        row = report.loc[col]
        assert row["role"] == "drivers"
        assert row["missing_0"] == (raw[col] == 0).sum()
        assert row["n"] == len(valid)
        assert row["n_missing"] == len(raw) - len(valid)
        assert (row["min"], row["max"]) == (valid.min(), valid.max())
        assert row["non_conforming"] == ""
    sat = report.loc["satisfaction"]
    assert sat["n"] == raw["satisfaction"].notna().sum() and pd.isna(sat["missing_0"])
    assert report.loc["Class", "levels"] == raw["Class"].nunique()
    assert report.loc["why", "n_missing"] == raw["why"].isna().sum()


def test_summary_counts_rows_read_kept_dropped_and_identifying_columns(airline):
    result = import_study(airline)
    read = pd.read_csv(airline.parent / "airline.csv")
    empty = int(read.isna().all(axis=1).sum())
    assert empty == 1
    assert _summary_count(result, "rows read") == len(read)
    assert _summary_count(result, "rows dropped") == empty
    assert _summary_count(result, "rows kept") == len(read) - empty == len(result.tables["survey"])
    dropped = result.summary.set_index("item").loc["identifying columns dropped"]
    assert dropped["count"] == len(PII) and all(c in dropped["detail"] for c in PII)
    assert _summary_count(result, "values set missing") == sum(int((read[c] == 0).sum()) for c in DRIVERS)
    assert _summary_count(result, "customer ids pseudonymised") == read["cust"].notna().sum()


def test_customer_ids_are_pseudonymised_consistently_and_the_salt_is_kept(airline):
    first = import_study(airline).tables["survey"]
    raw = _raw(airline)
    pseudo = first["customer_id"]
    assert pseudo.isna().tolist() == raw["cust"].isna().tolist()
    pairs = pd.DataFrame({"raw": raw["cust"], "pseudo": pseudo}).dropna().drop_duplicates()
    assert pairs["raw"].is_unique and pairs["pseudo"].is_unique  # one pseudonym per customer, and back
    raw_ids = {str(int(v)) for v in raw["cust"].dropna()}
    for col in first.columns:  # no raw customer id and no e-mail left anywhere
        text = set(first[col].dropna().astype(str))
        assert not text & raw_ids and not any("@" in t for t in text), col
    salt = airline.parent / SALT_FILE
    assert salt.is_file() and not (airline.parent / "dataset" / SALT_FILE).exists()
    again = import_study(airline).tables["survey"]
    assert again["customer_id"].equals(pseudo)  # the same salt gives the same pseudonyms
    salt.unlink()
    fresh = import_study(airline).tables["survey"]["customer_id"]
    assert not (fresh.dropna() == pseudo.dropna()).any()


def test_privacy_keep_keeps_an_identifying_column(airline):
    airline.write_text(STUDY + '\n[privacy]\nkeep = ["Email"]\n')
    out = import_study(airline).tables["survey"]
    assert out["Email"].tolist() == _raw(airline)["Email"].tolist()
    assert "IPAddress" not in out.columns


def test_dataset_directory_manifest_and_load_dataset(airline):
    result = import_study(airline)
    out = airline.parent / "dataset"
    assert result.path == out
    assert {p.name for p in out.iterdir()} == {"survey.parquet", "study.json", "manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == result.manifest
    assert manifest["sources"]["survey"]["fingerprint"] == cx.fingerprint(airline.parent / "airline.csv")
    assert manifest["sources"]["survey"]["path"] == "airline.csv"
    assert manifest["study"]["fingerprint"] == cx.fingerprint(airline)
    assert manifest["row_counts"] == {"survey": len(_raw(airline))}
    assert manifest["files"] == ["survey.parquet", "study.json"]
    assert [r["item"] for r in manifest["summary"]] == result.summary["item"].tolist()
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert stamps["manifest.json"] >= max(stamps.values())  # written last
    study_json = json.loads((out / "study.json").read_text())
    assert study_json["roles"]["survey"]["drivers"] == DRIVERS
    assert study_json["roles"]["survey"]["customer_id"] == "customer_id"
    assert study_json["columns"]["survey"]["Seat comfort"]["scale"]["missing"] == [0]
    assert study_json["quarters"] == ["2025Q4"]
    loaded = cx.load_dataset(out)
    pd.testing.assert_frame_equal(loaded.survey, result.tables["survey"])
    assert cx.latest_quarter(loaded) == "2025Q4" and loaded.customers.empty


def test_input_files_are_never_modified(airline):
    files = [airline, airline.parent / "airline.csv"]
    before = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    import_study(airline, out=airline.parent / "elsewhere")
    assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in files] == before


def test_out_directory_and_the_output_never_overwrites_a_source(airline, tmp_path):
    result = import_study(airline, out=tmp_path / "ds" / "wave1")
    assert (tmp_path / "ds" / "wave1" / "manifest.json").is_file() and (tmp_path / "ds" / SALT_FILE).is_file()
    parquet = tmp_path / "dataset" / "survey.parquet"
    parquet.parent.mkdir(exist_ok=True)
    result.tables["survey"].drop(columns=["customer_id"]).to_parquet(parquet)
    airline.write_text(STUDY.replace('path = "airline.csv"', 'path = "dataset/survey.parquet"')
                       .replace('customer_id = "cust"\n', ""))
    with pytest.raises(CXDataError, match="would overwrite its source"):
        import_study(airline)


def test_salt_is_never_written_under_reports(airline):
    with pytest.raises(CXDataError, match="under reports/"):
        import_study(airline, out=airline.parent / "reports" / "dataset")


def test_date_role_gives_quarters_and_undated_rows_are_dropped_and_counted(tmp_path):
    dates = ["2025-11-03 10:00", "2025-12-31 23:59", "2026-01-01 00:00", "", "2026-02-10", None]
    pd.DataFrame({"RecordedDate": dates, "osat": [1, 2, 3, 4, 5, 3]}).to_csv(tmp_path / "w.csv", index=False)
    (tmp_path / "s.toml").write_text('[sources.survey]\npath = "w.csv"\n[roles.survey]\n'
                                     'date = "RecordedDate"\nsatisfaction = "osat"\n')
    result = import_study(tmp_path / "s.toml")
    expected = [f"{pd.Timestamp(d).year}Q{pd.Timestamp(d).quarter}" for d in dates if d]
    out = result.tables["survey"]
    assert out["quarter"].tolist() == expected
    assert out["response_id"].tolist() == [1, 2, 3, 5]  # source row numbers, without the undated rows
    assert _summary_count(result, "rows dropped") == 2
    assert "no date" in result.summary.set_index("item").loc["rows dropped", "detail"]
    # with a wave, undated responses are in the wave instead
    (tmp_path / "s.toml").write_text('[study]\nwave = "2025Q4"\n' + (tmp_path / "s.toml").read_text())
    assert import_study(tmp_path / "s.toml").tables["survey"]["quarter"].tolist() == \
        ["2025Q4", "2025Q4", "2026Q1", "2025Q4", "2026Q1", "2025Q4"]


def test_customers_table_links_by_the_same_pseudonym(airline):
    customers = pd.DataFrame({"cid": [100001, 100002, 100003, 100004, 100005, 100006],
                              "plan": ["a", "b", "a", "c", "b", "a"],
                              "signup": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-06-30", "2025-01-01",
                                                        "2025-02-02", "2025-03-03"])})
    customers.to_parquet(airline.parent / "customers.parquet")
    airline.write_text(STUDY + '\n[sources.customers]\npath = "customers.parquet"\n\n[roles.customers]\n'
                               'customer_id = "cid"\nsignup_date = "signup"\nsegments = ["plan"]\n')
    result = import_study(airline)
    survey, cust = result.tables["survey"], result.tables["customers"]
    assert cust["plan"].tolist() == customers["plan"].tolist() and "cid" not in cust.columns
    lookup = dict(zip(customers["cid"], cust["customer_id"]))
    raw = _raw(airline)
    expected = [lookup[int(v)] if pd.notna(v) else None for v in raw["cust"]]
    assert [None if pd.isna(v) else v for v in survey["customer_id"]] == expected
    assert result.manifest["sources"]["customers"]["fingerprint"] == cx.fingerprint(airline.parent / "customers.parquet")
    assert set(cx.load_dataset(result.path).customers.columns) == set(cust.columns)


def test_excel_source(tmp_path):
    pd.DataFrame({"sat": [1, 5, 4], "x": ["a", "b", "c"]}).to_excel(tmp_path / "s.xlsx", sheet_name="Data",
                                                                      index=False)
    (tmp_path / "s.toml").write_text('[study]\nwave = "2026Q1"\n[sources.survey]\npath = "s.xlsx"\n'
                                     'sheet = "Data"\n[roles.survey]\nsatisfaction = "sat"\n'
                                     '[scales.satisfaction]\npoints = [1, 5]\n')
    assert import_study(tmp_path / "s.toml").tables["survey"]["sat"].tolist() == [1, 5, 4]


# ----------------------------------------------------------------------------- refusals
def _study_on(tmp_path: Path, frame: pd.DataFrame, roles: str, scales: str = "") -> Path:
    frame.to_csv(tmp_path / "a.csv", index=False)
    path = tmp_path / "s.toml"
    path.write_text(f'[study]\nwave = "2025Q4"\n[sources.survey]\npath = "a.csv"\n[roles.survey]\n{roles}\n{scales}')
    return path


def test_numeric_text_is_converted_when_every_value_parses(tmp_path):
    frame = pd.DataFrame({"sat": [" 3", "4,5", "", "2", "1.5"], "other": "x"})
    out = import_study(_study_on(tmp_path, frame, 'satisfaction = "sat"')).tables["survey"]
    assert out["sat"].tolist()[:2] == [3.0, 4.5] and pd.isna(out["sat"][2]) and out["sat"].tolist()[3:] == [2, 1.5]


def test_text_columns_without_a_role_are_numbers_when_every_value_parses(tmp_path):
    frame = pd.DataFrame({"sat": [1, 2, 3], "TotalCharges": ["29.85", " ", "1889,5"],
                          "zip": ["01234", "20001", "30301"], "plan": ["a", "1", "2"]})
    frame.to_parquet(tmp_path / "a.parquet")  # Parquet keeps text as text (CSV readers guess)
    path = tmp_path / "s.toml"
    path.write_text('[study]\nwave = "2025Q4"\n[sources.survey]\npath = "a.parquet"\n'
                    '[roles.survey]\nsatisfaction = "sat"\n')
    result = import_study(path)
    out = result.tables["survey"]
    assert out["TotalCharges"].dtype == float and out["TotalCharges"].isna().tolist() == [False, True, False]
    assert out["TotalCharges"].dropna().tolist() == [29.85, 1889.5]
    assert out["zip"].tolist() == frame["zip"].tolist() and out["plan"].tolist() == frame["plan"].tolist()
    line = result.summary.set_index("item").loc["text columns read as numbers"]
    assert (line["count"], line["detail"]) == (1, "TotalCharges")


def test_numeric_text_that_does_not_parse_is_refused_with_examples(tmp_path):
    frame = pd.DataFrame({"sat": ["3", "good", "4", "good", "??"]})
    with pytest.raises(ImportFailed) as info:
        import_study(_study_on(tmp_path, frame, 'satisfaction = "sat"'))
    message = str(info.value)
    n_bad = int(frame["sat"].isin(["good", "??"]).sum())
    assert f"survey column 'sat' ([roles.survey] satisfaction): {n_bad} row(s)" in message
    assert "['good', '??']" in message and "nothing was written" in message
    assert not (tmp_path / "dataset").exists()
    report = info.value.report.set_index("column")
    assert report.loc["sat", "non_conforming"] == "['good', '??']"


def test_values_outside_the_points_are_refused_naming_column_values_and_rows(tmp_path):
    seat = [1, 6, 7, 8, 9, 10, 11, 12, 2, 6]
    frame = pd.DataFrame({"sat": [1] * len(seat), "Seat comfort": seat})
    path = _study_on(tmp_path, frame, 'satisfaction = "sat"\ndrivers = ["Seat comfort"]',
                     "[scales.drivers]\npoints = [1, 5]\n")
    with pytest.raises(ImportFailed) as info:
        import_study(path)
    n_out = sum(not 1 <= v <= 5 for v in seat)
    line = next(x for x in str(info.value).splitlines() if "Seat comfort" in x)
    assert f"{n_out} row(s) fail the check 'within the points [1, 5]'" in line
    assert "[6, 7, 8, 9, 10]" in line  # the first five distinct failing values
    assert "[roles.survey] drivers" in line


def test_segment_with_too_many_levels_is_refused_with_a_hint(tmp_path):
    frame = pd.DataFrame({"sat": 1, "zip": [f"Z{i:03d}" for i in range(60)]})
    with pytest.raises(ImportFailed, match=r"'zip' \(\[roles.survey\] segments\): 60 levels, more than 50.*group rare"):
        import_study(_study_on(tmp_path, frame, 'satisfaction = "sat"\nsegments = ["zip"]'))


def test_role_column_not_in_the_source_lists_the_available_columns(tmp_path):
    frame = pd.DataFrame({"sat": [1], "seat": [2]})
    with pytest.raises(CXDataError, match=r"s\.toml: \[roles\.survey\] satisfaction = 'satisfactoin' is not a "
                                          r"column of a\.csv; available: \['sat', 'seat'\]"):
        import_study(_study_on(tmp_path, frame, 'satisfaction = "satisfactoin"'))


def test_identifying_role_column_must_be_kept_by_name(tmp_path):
    frame = pd.DataFrame({"sat": [1], "Email": ["a@b.c"]})
    with pytest.raises(CXDataError, match=r"comment = 'Email'.*\[privacy\] keep = \['Email'\]"):
        import_study(_study_on(tmp_path, frame, 'satisfaction = "sat"\ncomment = "Email"'))


def test_scale_key_that_names_nothing_is_refused(tmp_path):
    frame = pd.DataFrame({"sat": [1]})
    with pytest.raises(CXDataError, match=r'\[scales\."Seat comfrt"\] names no rating role'):
        import_study(_study_on(tmp_path, frame, 'satisfaction = "sat"', '[scales."Seat comfrt"]\npoints = [1, 5]\n'))


def test_a_survey_with_no_rows_left_is_refused(tmp_path):
    pd.DataFrame({"when": [None, None], "sat": [1, 2]}).to_csv(tmp_path / "a.csv", index=False)
    path = tmp_path / "s.toml"
    path.write_text('[sources.survey]\npath = "a.csv"\n[roles.survey]\ndate = "when"\nsatisfaction = "sat"\n')
    with pytest.raises(ImportFailed, match=r"the survey has no rows left \(2 read") as info:
        import_study(path)
    assert info.value.summary.set_index("item").loc["rows dropped", "count"] == 2


def test_repeated_respondent_ids_are_refused(tmp_path):
    frame = pd.DataFrame({"rid": [5, 6, 5], "sat": [1, 2, 3]})
    with pytest.raises(ImportFailed, match=r"'response_id' \(from 'rid'\): 2 row\(s\) fail the check 'unique values'"):
        import_study(_study_on(tmp_path, frame, 'respondent_id = "rid"\nsatisfaction = "sat"'))


# ----------------------------------------------------------------------------- contracts
def test_contract_failures_give_column_check_count_and_values():
    study = Study(path=Path("s.toml"), title="t", wave="2025Q4", sources={"survey": Source("survey", "csv")},
                  roles={"survey": {"satisfaction": "sat", "weight": "w"}}, scales={"satisfaction": Scale(points=(1.0, 5.0))})
    frame = pd.DataFrame({"sat": pd.array([1, 9, None, 0], dtype="Int64"), "w": [1.0, -2.0, None, 1.0],
                          "quarter": ["2025Q4", "2025Q4", "2025-4", "2025Q4"], "response_id": [1, 2, 3, 4]})
    failures = contract_failures(frame, table_contract(study, "survey")).set_index(["column", "check"])
    assert failures.loc[("sat", "within the points [1, 5]"), "count"] == 2
    assert failures.loc[("sat", "within the points [1, 5]"), "values"] == [9, 0]
    assert failures.loc[("w", "non-negative"), "values"] == [-2.0]
    assert failures.loc[("w", "no missing values"), "count"] == 1
    assert failures.loc[("quarter", "a quarter like 2025Q4"), "values"] == ["2025-4"]
    with pytest.raises(CXDataError, match=r"column 'sat': 2 rows fail the check 'within the points \[1, 5\]', "
                                          r"e\.g\. \[9, 0\]"):
        validate_table(frame, study, "survey")
    good = frame.iloc[[0]]
    assert validate_table(good, study, "survey") is good


# ----------------------------------------------------------------------------- command line
def test_cli_import_prints_the_report_and_the_summary(airline, capsys):
    assert main(["data", "import", str(airline), "--out", str(airline.parent / "ds")]) == 0
    out = capsys.readouterr().out
    kept = len(_raw(airline))
    assert any(line.split()[-1:] == [str(kept)] and "rows kept" in line for line in out.splitlines())
    assert "Inflight wifi service" in out and "missing_0" in out
    assert f"wrote {airline.parent / 'ds'}/ (survey {kept:,} rows)" in out
    assert (airline.parent / "ds" / "manifest.json").is_file()


def test_cli_import_exits_1_with_the_message_on_bad_input(airline, capsys):
    csv = airline.parent / "airline.csv"
    csv.write_text(csv.read_text().replace("\n701,", "\n701x,", 1).replace(",3.0,", ",7,", 1))
    airline.write_text(STUDY.replace("satisfaction = \"satisfaction\"", "satisfaction = \"satisfactoin\""))
    assert main(["data", "import", str(airline)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cx: error: study.toml: [roles.survey] satisfaction = 'satisfactoin'")
    assert "Traceback" not in err


def test_cli_import_in_a_fresh_process_shows_no_traceback(tmp_path):
    frame = pd.DataFrame({"sat": [1, 2, 8]})
    path = _study_on(tmp_path, frame, 'satisfaction = "sat"', "[scales.satisfaction]\npoints = [1, 5]\n")
    run = subprocess.run([sys.executable, "-m", "cxlib.cli", "data", "import", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "survey column 'sat' ([roles.survey] satisfaction): 1 row(s) fail the check" in run.stderr
    assert "rows read" in run.stdout  # the summary and the report are printed before the error
