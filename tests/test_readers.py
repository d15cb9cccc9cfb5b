"""cxlib.data.readers: survey exports as the tools write them (fixtures in tests/fixtures).

Every expected frame, label, value label and missing code is what the fixture builder
wrote, typed by hand there (tests/fixtures/survey_exports.py), not computed by cxlib.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest

import cxlib as cx
from cxlib.data import readers
from cxlib.data.readers import SurveyMeta, read_survey
from cxlib.data.sql import safe_url
from cxlib.errors import CXDataError
from fixtures.survey_exports import (
    CODEBOOK,
    QUALTRICS_PII,
    qualtrics_text,
    write_all,
    write_duckdb,
    write_excel,
    write_parquet,
    write_qualtrics_csv,
    write_qualtrics_tsv,
    write_qualtrics_xlsx,
    write_semicolon_bom_csv,
    write_spss,
    write_sqlite,
)


def _no_traceback(err: BaseException) -> None:
    """A CXDataError that does not chain a library's exception (no raw traceback)."""
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__


def test_read_survey_is_public():
    assert cx.read_survey is read_survey


# ----------------------------------------------------------------------------- Qualtrics

@pytest.mark.parametrize("variant, kind", [("numeric", "numeric-values"), ("choice", "choice-text"),
                                           ("german", "choice-text")])
def test_qualtrics_csv_variants(tmp_path, variant, kind):
    fx = write_qualtrics_csv(tmp_path, variant)
    frame, meta = read_survey(fx.path)
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.format == "qualtrics" and meta.n_rows == 4
    assert meta.dropped_pii == tuple(QUALTRICS_PII)
    kept = [c for c in fx.expected.columns if c not in QUALTRICS_PII]
    assert meta.column_labels == {c: fx.column_labels[c] for c in kept}
    assert meta.columns == tuple(kept)
    assert any(f"{kind} variant" in note for note in meta.notes)
    assert any("Europe/Berlin" in note for note in meta.notes)


def test_qualtrics_german_labels_are_the_german_question_texts(tmp_path):
    frame, meta = read_survey(write_qualtrics_csv(tmp_path, "german").path)
    assert meta.label("Q1") == "Wie zufrieden sind Sie insgesamt mit Ihrem Flug?"
    assert meta.label("Duration (in seconds)") == "Dauer (in Sekunden)"
    assert frame["Q2_1"].tolist() == ["Gut", "Gut", "Schlecht", "Mittelmäßig"]


def test_qualtrics_keep_pii_keeps_every_column(tmp_path):
    fx = write_qualtrics_csv(tmp_path, "numeric")
    frame, meta = read_survey(fx.path, keep_pii=True)
    pd.testing.assert_frame_equal(frame, fx.expected)
    assert meta.dropped_pii == ()
    assert meta.label("RecipientEmail") == "Recipient Email"


def test_qualtrics_keep_by_name(tmp_path):
    fx = write_qualtrics_csv(tmp_path, "numeric")
    frame, meta = read_survey(fx.path, keep=["recipientemail"])
    assert frame["RecipientEmail"].tolist() == fx.expected["RecipientEmail"].tolist()
    assert meta.dropped_pii == tuple(c for c in QUALTRICS_PII if c != "RecipientEmail")


def test_qualtrics_tsv_utf16_and_excel_downloads(tmp_path):
    for fx in (write_qualtrics_tsv(tmp_path), write_qualtrics_xlsx(tmp_path)):
        frame, meta = read_survey(fx.path)
        pd.testing.assert_frame_equal(frame, fx.without_pii())
        assert meta.format == "qualtrics"
        assert meta.dropped_pii == tuple(QUALTRICS_PII)


def test_qualtrics_read_as_csv_or_qualtrics_alike(tmp_path):
    fx = write_qualtrics_csv(tmp_path, "choice")
    as_csv, _ = read_survey(fx.path, "csv")
    as_qualtrics, _ = read_survey(fx.path, "qualtrics")
    pd.testing.assert_frame_equal(as_csv, fx.without_pii())
    pd.testing.assert_frame_equal(as_qualtrics, fx.without_pii())


FRENCH_EXPORT = (
    'Debut,Adresse,Lat_lieu,Q1\n'
    '"Date de début","Adresse IP","Latitude du lieu","Dans quelle mesure êtes-vous satisfait ?"\n'
    '"{""ImportId"":""startDate"",""timeZone"":""Europe/Paris""}","{""ImportId"":""ipAddress""}",'
    '"{""ImportId"":""locationLatitude""}","{""ImportId"":""QID1""}"\n'
    '2025-10-01 08:00:00,192.0.2.1,48.85,Satisfait\n'
    '2025-10-02 09:30:00,192.0.2.2,45.76,Très satisfait\n'
)


def test_qualtrics_detected_by_import_id_not_by_header_language(tmp_path):
    # renamed, French column ids: recognised and de-identified through row 3 alone
    path = tmp_path / "enquete.csv"
    path.write_text(FRENCH_EXPORT, encoding="utf-8")
    frame, meta = read_survey(path)
    assert meta.format == "qualtrics"
    assert meta.dropped_pii == ("Adresse", "Lat_lieu")
    assert list(frame.columns) == ["Debut", "Q1"]
    assert frame["Debut"].tolist() == [pd.Timestamp("2025-10-01 08:00:00"), pd.Timestamp("2025-10-02 09:30:00")]
    assert meta.label("Q1") == "Dans quelle mesure êtes-vous satisfait ?"
    assert frame["Q1"].tolist() == ["Satisfait", "Très satisfait"]


def test_qualtrics_broken_header_is_named(tmp_path):
    text = qualtrics_text("numeric").replace('"{""ImportId"":""QID2_2""}"', "oops")
    path = tmp_path / "edited.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CXDataError, match=r"edited\.csv: broken Qualtrics header.*Q2_2") as info:
        read_survey(path)
    _no_traceback(info.value)


def test_qualtrics_header_rows_of_different_widths(tmp_path):
    rows = FRENCH_EXPORT.splitlines()
    rows[1] = rows[1].rsplit(",", 1)[0]  # row 2 lost a cell
    path = tmp_path / "short.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CXDataError, match=r"short\.csv: broken Qualtrics header: the three header rows have 4, 3"):
        read_survey(path)


def test_format_qualtrics_on_a_plain_csv(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("id,osat\n1,4\n2,5\n")
    with pytest.raises(CXDataError, match=r"plain\.csv: not a Qualtrics export: row 3"):
        read_survey(path, "qualtrics")


def test_qualtrics_header_without_responses(tmp_path):
    path = tmp_path / "empty_qualtrics.csv"
    path.write_text("\n".join(FRENCH_EXPORT.splitlines()[:3]) + "\n", encoding="utf-8")
    with pytest.raises(CXDataError, match=r"empty_qualtrics\.csv: .*no responses"):
        read_survey(path)


# ----------------------------------------------------------------------------- SPSS

def test_spss_values_labels_and_user_missing_codes(tmp_path):
    fx = write_spss(tmp_path)
    frame, meta = read_survey(fx.path)
    # user-missing values stay in the frame as codes (9, 0, 97, 98, "refused"); system-missing is NaN
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.format == "spss" and meta.n_rows == 6
    assert meta.column_labels == {c: t for c, t in fx.column_labels.items() if c != "email"}
    assert meta.value_labels == fx.value_labels
    assert meta.missing_codes == fx.missing_codes
    assert meta.dropped_pii == ("email",)


def test_spss_keep_pii_and_metadata_table(tmp_path):
    fx = write_spss(tmp_path)
    frame, meta = read_survey(fx.path, keep_pii=True)
    pd.testing.assert_frame_equal(frame, fx.expected)
    assert meta.label("email") == "E-mail address"
    table = meta.to_frame().set_index("column")
    assert list(table.index) == list(fx.expected.columns)
    assert table.loc["seat", "missing_codes"] == "0; 97; 98; 99"
    assert table.loc["osat", "value_labels"] == "1 = very dissatisfied; 3 = neutral; 5 = very satisfied; 9 = don't know"


def test_spss_from_a_binary_file_object(tmp_path):
    fx = write_spss(tmp_path)
    with open(fx.path, "rb") as fh:
        frame, meta = read_survey(fh)
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.missing_codes == fx.missing_codes


# ----------------------------------------------------------------------------- Excel

def test_excel_first_sheet_blank_row_dropped_and_counted(tmp_path):
    fx = write_excel(tmp_path)
    frame, meta = read_survey(fx.path)
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.format == "excel" and meta.dropped_pii == ("Phone",)
    assert "dropped 1 empty row(s)" in meta.notes


@pytest.mark.parametrize("sheet", ["Codebook", 1])
def test_excel_other_sheet(tmp_path, sheet):
    frame, _ = read_survey(write_excel(tmp_path).path, sheet=sheet)
    pd.testing.assert_frame_equal(frame, CODEBOOK)


@pytest.mark.parametrize("sheet, message", [
    ("Answers", r"airline\.xlsx: there is no sheet 'Answers'; the sheets are \['Responses', 'Codebook'\]"),
    (2, r"airline\.xlsx: there is no sheet number 2 \(0-based\); the sheets are \['Responses', 'Codebook'\]"),
])
def test_excel_missing_sheet_lists_the_sheets(tmp_path, sheet, message):
    with pytest.raises(CXDataError, match=message):
        read_survey(write_excel(tmp_path).path, sheet=sheet)


# ----------------------------------------------------------------------------- SQL

def test_duckdb_by_path_and_by_url(tmp_path):
    fx = write_duckdb(tmp_path)
    expected = fx.without_pii()
    by_path, meta = read_survey(fx.path, query="select * from survey order by id")
    by_url, meta_url = read_survey(format="sql", url=f"duckdb:///{fx.path}", query="survey")
    for frame in (by_path, by_url):
        # DuckDB returns microsecond timestamps; the values are what was inserted
        pd.testing.assert_frame_equal(frame.astype({"answered_at": "datetime64[ns]"}), expected)
    assert meta.format == "sql" and meta.dropped_pii == ("email",)
    assert meta.source == meta_url.source == f"duckdb:///{fx.path}"


def test_duckdb_query_error_names_the_query_first_line(tmp_path):
    fx = write_duckdb(tmp_path)
    with pytest.raises(CXDataError, match=r"warehouse\.duckdb: the query 'select nope from survey' failed") as info:
        read_survey(fx.path, query="select nope from survey\nwhere id > 1")
    assert "where id" not in str(info.value).split("failed")[0]
    _no_traceback(info.value)


def test_duckdb_missing_database_file(tmp_path):
    with pytest.raises(CXDataError, match=r"database file not found"):
        read_survey(format="sql", url=f"duckdb:///{tmp_path}/nowhere.duckdb", query="survey")
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_sqlalchemy_url_sqlite(tmp_path):
    fx = write_sqlite(tmp_path)
    frame, meta = read_survey(format="sql", url=f"sqlite:///{fx.path}", query="select * from survey")
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.source == f"sqlite:///{fx.path}"


def test_sqlalchemy_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "typo.sqlite"
    with pytest.raises(CXDataError, match=r"database file not found"):
        read_survey(format="sql", url=f"sqlite:///{path}", query="survey")
    assert not path.exists()


@pytest.mark.parametrize("url", ["postgresql://analyst:s3cret@127.0.0.1:1/cx",
                                 "nosuchdialect://analyst:s3cret@localhost/cx"])
def test_sql_errors_never_show_the_password(url):
    with pytest.raises(CXDataError) as info:
        read_survey(format="sql", url=url, query="select 1")
    assert "s3cret" not in str(info.value)
    assert "analyst:***@" in str(info.value)
    _no_traceback(info.value)


def test_safe_url_strips_the_password():
    assert safe_url("postgresql://analyst:s3cret@db.example.org:5432/cx") == "postgresql://analyst:***@db.example.org:5432/cx"
    assert safe_url("duckdb:///data/w.duckdb") == "duckdb:///data/w.duckdb"


def test_sql_needs_a_query(tmp_path):
    with pytest.raises(CXDataError, match=r"format='sql' needs query="):
        read_survey(write_duckdb(tmp_path).path)


# ----------------------------------------------------------------------------- CSV and Parquet

def test_semicolon_csv_with_bom_and_decimal_commas(tmp_path):
    fx = write_semicolon_bom_csv(tmp_path)
    frame, meta = read_survey(fx.path)
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.dropped_pii == ("E-Mail",)
    assert "delimiter: semicolon" in meta.notes
    assert any("byte-order mark" in n for n in meta.notes)
    assert any("decimal commas" in n and "Sitzkomfort" in n for n in meta.notes)


def test_latin1_csv_is_read_with_a_note(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,comment\n1,Très bien\n2,Déçu\n".encode("latin-1"))
    frame, meta = read_survey(path)
    assert frame["comment"].tolist() == ["Très bien", "Déçu"]
    assert any("not UTF-8" in n for n in meta.notes)


def test_tab_delimited_keeps_column_ids_as_exported(tmp_path):
    path = tmp_path / "survey.tsv"
    path.write_text("id\tSeat comfort \tOn-board service\n1\t4\t5\n2\t3\t\n", encoding="utf-8")
    frame, meta = read_survey(path)
    expected = pd.DataFrame({"id": [1, 2], "Seat comfort ": [4, 3], "On-board service": [5.0, float("nan")]})
    pd.testing.assert_frame_equal(frame, expected)
    assert meta.format == "csv" and "delimiter: tab" in meta.notes


def test_csv_from_a_text_buffer():
    frame, meta = read_survey(io.StringIO("id,ltr\n1,9\n2,10\n"))
    pd.testing.assert_frame_equal(frame, pd.DataFrame({"id": [1, 2], "ltr": [9, 10]}))
    assert meta.format == "csv" and meta.notes == ()


def test_parquet(tmp_path):
    fx = write_parquet(tmp_path)
    frame, meta = read_survey(fx.path)
    pd.testing.assert_frame_equal(frame, fx.without_pii())
    assert meta.dropped_pii == ("Latitude",)
    kept, _ = read_survey(fx.path, keep_pii=True)
    pd.testing.assert_frame_equal(kept, fx.expected)


# ----------------------------------------------------------------------------- input files untouched

def test_input_files_are_never_modified(tmp_path):
    fixtures = write_all(tmp_path)
    before = {name: (fx.path.read_bytes(), os.stat(fx.path).st_mtime_ns) for name, fx in fixtures.items()}
    listing = sorted(p.name for p in tmp_path.iterdir())
    for name, fx in fixtures.items():
        if name == "sqlite":
            read_survey(format="sql", url=f"sqlite:///{fx.path}", query="survey")
        elif name == "duckdb":
            read_survey(fx.path, query="survey")
        else:
            read_survey(fx.path, keep_pii=True)
    after = {name: (fx.path.read_bytes(), os.stat(fx.path).st_mtime_ns) for name, fx in fixtures.items()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no lock, journal or WAL file left


# ----------------------------------------------------------------------------- error paths

def test_missing_file_names_it_and_lists_nearby_exports(tmp_path):
    write_parquet(tmp_path)
    with pytest.raises(CXDataError, match=r"survey\.csv: file not found; survey files in .*\['survey\.parquet'\]"):
        read_survey(tmp_path / "survey.csv")


def test_unknown_format_lists_the_valid_ones(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id\n1\n")
    with pytest.raises(CXDataError, match=r"format='xml' is not a survey format; valid: \['csv', 'excel'"):
        read_survey(path, "xml")


def test_unknown_suffix_lists_the_formats(tmp_path):
    path = tmp_path / "survey.json"
    path.write_text("[]")
    with pytest.raises(CXDataError, match=r"survey\.json: cannot tell the format from the suffix '\.json'.*'spss'"):
        read_survey(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.sav", "empty.xlsx", "empty.parquet"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(CXDataError, match=rf"{name.replace('.', r'[.]')}: the file is empty"):
        read_survey(path)


def test_csv_with_a_header_and_no_rows(tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text("id,osat\n")
    with pytest.raises(CXDataError, match=r"header_only\.csv: .*no responses \(0 rows\)"):
        read_survey(path)


@pytest.mark.parametrize("name, fmt", [("broken.sav", "SPSS"), ("broken.xlsx", "Excel"), ("broken.parquet", "Parquet")])
def test_corrupt_binary_files(tmp_path, name, fmt):
    path = tmp_path / name
    path.write_bytes(b"this is not a real file\n" * 10)
    with pytest.raises(CXDataError, match=rf"{name.replace('.', r'[.]')}: .*{fmt}") as info:
        read_survey(path)
    _no_traceback(info.value)


def test_binary_file_named_csv_is_refused(tmp_path):
    fx = write_excel(tmp_path)
    path = tmp_path / "actually_excel.csv"
    path.write_bytes(fx.path.read_bytes())
    with pytest.raises(CXDataError, match=r"actually_excel\.csv: this is an Excel workbook or a zip archive, not a text"):
        read_survey(path)


def test_zip_download_gets_a_hint(tmp_path):
    path = tmp_path / "Airline+survey_October+1,+2025_08.15.zip"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(CXDataError, match=r"\.zip: a zip archive .* unzip it"):
        read_survey(path)


def test_zsav_compressed_spss(tmp_path):
    import pyreadstat

    fx = write_spss(tmp_path)
    path = tmp_path / "airline.zsav"
    pyreadstat.write_sav(fx.expected, str(path), compress=True, column_labels=fx.column_labels,
                         missing_ranges={"osat": [9]})
    frame, meta = read_survey(path, keep_pii=True)
    pd.testing.assert_frame_equal(frame, fx.expected)
    assert meta.missing_codes == {"osat": (9.0,)}
    assert meta.column_labels == fx.column_labels


def test_ragged_csv_is_a_cxdataerror(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id,osat\n1,4\n2,5,extra,cells\n")
    with pytest.raises(CXDataError, match=r"ragged\.csv: cannot be read as CSV") as info:
        read_survey(path)
    _no_traceback(info.value)


def test_options_for_another_format_are_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id\n1\n")
    with pytest.raises(CXDataError, match=r"sheet= applies to Excel files only"):
        read_survey(path, sheet="Sheet1")
    with pytest.raises(CXDataError, match=r"url= and query= apply to format='sql' only"):
        read_survey(path, query="select 1")


def test_a_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "export.csv"
    folder.mkdir()
    with pytest.raises(CXDataError, match=r"export\.csv: is a directory"):
        read_survey(folder)


# ----------------------------------------------------------------------------- SurveyMeta

def test_survey_meta_is_frozen_and_labels_fall_back_to_ids():
    meta = SurveyMeta(source="x.csv", format="csv", n_rows=1, column_labels={}, value_labels={},
                      missing_codes={}, dropped_pii=())
    assert meta.label("Q7") == "Q7"
    with pytest.raises(AttributeError):
        meta.n_rows = 2  # type: ignore[misc]


def test_delimiter_sniffing_prefers_consistent_splits():
    # commas inside a quoted field and decimal commas do not fool the semicolon detection
    text = 'id;comment;score\n1;"good, fast";3,5\n2;"slow";4,0\n'
    assert readers._sniff_delimiter(text) == ";"
    assert readers._sniff_delimiter("a,b\n1,2\n") == ","
    assert readers._sniff_delimiter("only\n1\n") == ","


def test_fixture_files_are_not_in_the_repository():
    tests = Path(__file__).parent
    binary = [p for p in tests.rglob("*") if p.suffix in {".sav", ".zsav", ".xlsx", ".duckdb", ".parquet", ".sqlite"}]
    assert not binary
