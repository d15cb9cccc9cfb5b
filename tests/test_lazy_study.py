"""A study analysed in place (cxlib.data.lazy): Parquet folders and DuckDB files through DuckDB,
and Spark (local mode, `spark` marker).

The reference is the pandas import of the same study (cx.import_study: roles, scales and
missing codes applied in pandas): every metric on the lazy tables equals the metric on the
imported tables to 1e-12, and the engine's counts equal the import report's. The input
rows are written once, so both paths read the same bytes.
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.data.lazy import LazyStudy
from cxlib.data.sources import parquet_schema
from tests.test_engines import assert_same

TOL = 1e-12

STUDY = '''
[study]
title = "Lazy"
wave = "2025Q4"
[sources.survey]
{source}
[roles.survey]
respondent_id = "id"
date = "answered"
recommend = "ltr"
satisfaction = "osat"
effort = "ces"
drivers = ["d1", "d2"]
segments = ["region", "plan"]
weight = "w"
[scales.recommend]
points = [0, 10]
missing = [99]
[scales.satisfaction]
points = [1, 5]
missing = [0]
values = {{ "very satisfied" = 5, "satisfied" = 4 }}
[scales.effort]
points = [1, 7]
[scales.drivers]
points = [1, 5]
missing = [0]
'''


def responses(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Scores with declared missing codes (99 on ltr, 0 on osat and drivers), blanks, an
    identifying column, dates over two quarters (some blank: the study's wave), weights."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "ltr": rng.choice([*range(11), 99], n, p=[*(np.full(11, 0.95 / 11)), 0.05]).astype(float),
        "osat": rng.integers(0, 6, n).astype(float),
        "ces": rng.integers(1, 8, n).astype(float),
        "d1": rng.integers(0, 6, n),
        "d2": rng.integers(0, 6, n),
        "w": rng.uniform(0.3, 2.5, n),
        "plan": rng.choice(["basic", "plus", "pro"], n),
        "region": rng.choice(["EU", "US", "APAC"], n),
        "answered": pd.Timestamp("2025-08-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        "email": [f"p{i}@example.org" for i in range(n)],
    })
    df.loc[rng.random(n) < 0.04, "ltr"] = np.nan
    df.loc[rng.random(n) < 0.03, "ces"] = np.nan
    df.loc[rng.random(n) < 0.02, "answered"] = pd.NaT
    return df


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        yield


@pytest.fixture(scope="module")
def folder_study(tmp_path_factory):
    """A Hive-partitioned Parquet folder (region=…/), two files per region."""
    root = tmp_path_factory.mktemp("pq")
    df = responses()
    for region, part in df.groupby("region"):
        (root / "answers" / f"region={region}").mkdir(parents=True)
        part = part.drop(columns="region")
        for k, chunk in enumerate([part.iloc[: len(part) // 2], part.iloc[len(part) // 2:]]):
            chunk.to_parquet(root / "answers" / f"region={region}" / f"part-{k}.parquet", index=False,
                             coerce_timestamps="us")  # microseconds: what Spark reads
    (root / "study.toml").write_text(STUDY.format(source='path = "answers"'))
    return root / "study.toml"


@pytest.fixture(scope="module")
def duckdb_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    con = duckdb.connect(str(root / "cx.duckdb"))
    con.register("df", responses())
    con.execute("create table answers as select * from df")
    con.execute("create table other as select 1 as x")
    con.close()
    (root / "study.toml").write_text(STUDY.format(source='format = "sql"\nurl = "duckdb:///cx.duckdb"\n'
                                                         'table = "answers"'))
    return root / "study.toml"


def same(expected, got) -> None:
    """Two results (dataclasses or tidy frames) equal to TOL (relative above 1)."""
    if isinstance(expected, pd.DataFrame):
        assert_same(expected, got)
        return
    for name, value in vars(expected).items():
        other = getattr(got, name)
        if isinstance(value, float):
            assert (np.isnan(value) and np.isnan(other)) or abs(value - other) <= TOL * max(1.0, abs(value)), name
        elif isinstance(value, np.ndarray):
            assert np.allclose(value, other, rtol=TOL, atol=TOL), name
        elif not isinstance(value, (pd.DataFrame, pd.Series)):
            assert value == other, (name, value, other)


ANALYSES = [
    ("nps", lambda t: cx.nps(t, score="ltr", weights="w")),
    ("nps_unweighted", lambda t: cx.nps(t, score="ltr")),
    ("csat", lambda t: cx.csat(t, score="osat", weights="w")),
    ("ces", lambda t: cx.ces(t, score="ces")),
    ("top_box", lambda t: cx.top_box(t, score="d1", top=(4, 5), scale=(1, 5))),
    ("mean", lambda t: cx.mean_score(t, score="d2", scale=(1, 5), weights="w")),
    ("by_region_quarter", lambda t: cx.by_group(t, cx.nps, by=["region", "quarter"], score="ltr", weights="w")),
    ("by_plan_rest", lambda t: cx.by_group(t, "mean_score", by="plan", score="d1", scale=(1, 5), compare="rest")),
    ("by_quarter_previous", lambda t: cx.by_group(t, cx.csat, by="region", period="quarter", compare="previous",
                                                  score="osat")),
]


def analyse_both(study_file, tmp_path):
    imported = cx.import_study(study_file, out=tmp_path / "dataset").tables["survey"]
    return imported, cx.open_study(study_file)


@pytest.mark.parametrize("which", ["folder", "duckdb"])
def test_lazy_metrics_equal_the_pandas_import(which, folder_study, duckdb_study, tmp_path):
    study_file = folder_study if which == "folder" else duckdb_study
    imported, handle = analyse_both(study_file, tmp_path)
    with handle:
        assert isinstance(handle, LazyStudy) and handle.engine == "duckdb"
        assert isinstance(handle.survey, duckdb.DuckDBPyRelation)  # not a pandas frame
        for label, analysis in ANALYSES:
            same(analysis(imported), analysis(handle.survey))
        expected = cx.weighted_correlation(imported, outcome="osat", drivers=["d1", "d2", "ces"], weights="w")
        got = cx.weighted_correlation(handle.survey, outcome="osat", drivers=["d1", "d2", "ces"], weights="w")
        assert got.n == expected.n and np.allclose(got.corr, expected.corr, rtol=0, atol=TOL)
        # the roles and quarters, as cx.study_roles gives them for the imported dataset
        assert handle.roles.column("recommend") == "ltr" and handle.roles.columns("drivers") == ["d1", "d2"]
        assert handle.roles.column("respondent_id") == "response_id"
        assert handle.roles.quarters == tuple(sorted(imported["quarter"].unique()))
        assert handle.roles.points("d1") == (1.0, 5.0)
        # identifying columns stay out, as in the import
        assert "email" not in handle.survey.columns and "email" not in imported.columns


def test_engine_counts_equal_the_import_report(folder_study, tmp_path):
    result = cx.import_study(folder_study, out=tmp_path / "dataset")
    with cx.open_study(folder_study) as handle:
        lazy = handle.report.set_index("column")
        ref = result.report[result.report["table"] == "survey"].set_index("column")
        for col in ["ltr", "osat", "ces", "d1", "d2", "w"]:
            assert lazy.loc[col, "n"] == ref.loc[col, "n"], col
            assert lazy.loc[col, "n_missing"] == ref.loc[col, "n_missing"], col
            for code in ("missing_0", "missing_99"):
                a, b = lazy.loc[col, code], ref.loc[col, code]
                assert (pd.isna(a) and pd.isna(b)) or a == b, (col, code)
            assert lazy.loc[col, "min"] == ref.loc[col, "min"] and lazy.loc[col, "max"] == ref.loc[col, "max"]
        assert lazy.loc["region", "levels"] == 3 and lazy.loc["plan", "levels"] == 3
        # independent reference for the counts: pandas on the raw rows
        raw = responses()
        assert lazy.loc["ltr", "missing_99"] == int((raw["ltr"] == 99).sum())
        assert lazy.loc["d1", "missing_0"] == int((raw["d1"] == 0).sum())
        summary = handle.summary.set_index("item")
        assert summary.loc["rows read", "count"] == len(raw) == summary.loc["rows kept", "count"]


def test_a_hand_written_query_gives_the_same_nps(folder_study):
    """Independent reference: promoters minus detractors from SQL over the raw files."""
    folder = folder_study.parent / "answers"
    sql = duckdb.sql(f"""select 100 * (avg((ltr >= 9)::double) - avg((ltr <= 6)::double)) as nps, count(*) as n
                         from read_parquet('{folder}/**/*.parquet') where ltr is not null and ltr <> 99""").fetchall()[0]
    with cx.open_study(folder_study) as handle:
        got = cx.nps(handle.survey, score="ltr")
    assert abs(got.estimate - sql[0]) <= 1e-12 and got.n == sql[1]


def test_text_answers_dates_and_waves_are_mapped_in_the_engine(tmp_path):
    frame = pd.DataFrame({"osat": [" Very satisfied", "satisfied", "3", "2,0", None, "0"],
                          "answered": pd.to_datetime(["2025-01-05", "2025-05-01", None, "2025-12-31", "2025-02-02",
                                                      "2025-07-07"])})
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    (tmp_path / "study.toml").write_text('[study]\nwave = "2024Q4"\n[sources.survey]\npath = "s.parquet"\n'
                                         '[roles.survey]\nsatisfaction = "osat"\ndate = "answered"\n'
                                         '[scales.satisfaction]\npoints = [1, 5]\nmissing = [0]\n'
                                         'values = { "very satisfied" = 5, "satisfied" = 4 }\n')
    imported = cx.import_study(tmp_path / "study.toml", out=tmp_path / "ds").tables["survey"]
    with cx.open_study(tmp_path / "study.toml") as handle:
        got = handle.survey.order("osat nulls last").df()
        lazy = handle.survey.df()
    assert lazy["osat"].tolist()[:4] == [5.0, 4.0, 3.0, 2.0] and lazy["osat"].isna().sum() == 2
    assert lazy["quarter"].tolist() == ["2025Q1", "2025Q2", "2024Q4", "2025Q4", "2025Q1", "2025Q3"]
    assert lazy["quarter"].tolist() == imported["quarter"].tolist()
    assert lazy["osat"].astype("Float64").tolist() == imported["osat"].astype("Float64").tolist()
    assert len(got) == 6


# ------------------------------------------------------------------------------ errors
def write_study(root, source, roles='recommend = "ltr"', extra=""):
    (root / "study.toml").write_text(f'[study]\nwave = "2025Q4"\n[sources.survey]\n{source}\n'
                                     f'[roles.survey]\n{roles}\n{extra}')
    return root / "study.toml"


def test_a_folder_without_parquet_files(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(cx.CXDataError, match=r"study.toml: \[sources.survey\] path = 'empty': the folder .* holds no "
                                             r"Parquet files"):
        cx.open_study(write_study(tmp_path, 'path = "empty"'))
    with pytest.raises(cx.CXDataError, match="holds no Parquet files"):
        parquet_schema(tmp_path / "empty")


def test_a_role_column_absent_from_the_parquet_schema(tmp_path):
    (tmp_path / "f").mkdir()
    pd.DataFrame({"nps_score": [1, 2]}).to_parquet(tmp_path / "f" / "a.parquet", index=False)
    with pytest.raises(cx.CXDataError, match=r"\[roles.survey\] recommend = 'ltr' is not a column of the Parquet "
                                             r"schema of .*a\.parquet; available: \['nps_score'\]"):
        cx.open_study(write_study(tmp_path, 'path = "f"'))


def test_mismatched_schemas_across_files(tmp_path):
    (tmp_path / "f").mkdir()
    pd.DataFrame({"ltr": [1, 2]}).to_parquet(tmp_path / "f" / "a.parquet", index=False)
    pd.DataFrame({"ltr": ["9"], "extra": [1]}).to_parquet(tmp_path / "f" / "b.parquet", index=False)
    with pytest.raises(cx.CXDataError, match=r"schemas differ: b\.parquet vs a\.parquet: columns only in the other: "
                                             r"\['extra'\]; types differ: \['ltr \(int64 vs string\)'\]"):
        cx.open_study(write_study(tmp_path, 'path = "f"'))


def test_a_table_missing_from_the_duckdb_file(duckdb_study):
    text = duckdb_study.read_text().replace('table = "answers"', 'table = "responses"')
    study = duckdb_study.parent / "missing_table.toml"
    study.write_text(text)
    with pytest.raises(cx.CXDataError, match=r"the DuckDB file has no table 'responses'; tables: \['answers', "
                                             r"'other'\]"):
        cx.open_study(study)
    study.write_text(text.replace('table = "responses"', 'query = "select * from answers where nope"'))
    with pytest.raises(cx.CXDataError, match=r"the query 'select \* from answers where nope' failed"):
        cx.open_study(study)


def test_values_outside_the_scale_are_counted_in_the_engine(tmp_path):
    pd.DataFrame({"ltr": [10, 11, 12, 12, 0, 99]}).to_parquet(tmp_path / "s.parquet", index=False)
    file = write_study(tmp_path, 'path = "s.parquet"', extra="[scales.recommend]\npoints = [0, 10]\n")
    with pytest.raises(cx.CXDataError, match=r"survey column 'ltr' \(\[roles.survey\] recommend\): 4 value\(s\) "
                                             r"outside the scale points 0–10: \[11, 12, 99\]; no missing codes"):
        cx.open_study(file)


def test_text_that_is_not_a_number(tmp_path):
    pd.DataFrame({"ltr": ["10", "n/a", "7", "n/a"]}).to_parquet(tmp_path / "s.parquet", index=False)
    with pytest.raises(cx.CXDataError, match=r"2 row\(s\) hold text that is not a number .*\['n/a'\]"):
        cx.open_study(write_study(tmp_path, 'path = "s.parquet"'))


def test_what_the_lazy_path_refuses(tmp_path):
    pd.DataFrame({"ltr": [10], "d": ["2025-01-01"], "g": ["a"]}).to_parquet(tmp_path / "s.parquet", index=False)
    with pytest.raises(cx.CXDataError, match=r"column 'd' \(\[roles.survey\] date\) is String in the source, not a "
                                             "date"):
        cx.open_study(write_study(tmp_path, 'path = "s.parquet"', roles='recommend = "ltr"\ndate = "d"'))
    with pytest.raises(cx.CXDataError, match=r"\[weighting\] rakes the survey at import"):
        cx.open_study(write_study(tmp_path, 'path = "s.parquet"', roles='recommend = "ltr"\nsegments = ["g"]',
                                  extra='[weighting.targets]\ng = { a = 1.0 }\n'))
    with pytest.raises(cx.CXDataError, match=r"`engine`='polars' is not an engine"):
        cx.open_study(write_study(tmp_path, 'path = "s.parquet"'), engine="polars")


def test_study_file_source_keys(tmp_path):
    with pytest.raises(cx.CXDataError, match="gives both query and table"):
        cx.load_study(write_study(tmp_path, 'format = "sql"\nurl = "duckdb:///:memory:"\ntable = "a"\nquery = "b"'))
    with pytest.raises(cx.CXDataError, match=r"a Spark source's url is a Spark Connect URL"):
        cx.load_study(write_study(tmp_path, 'format = "spark"\ntable = "cx.survey"\nurl = "http://x"'))
    with pytest.raises(cx.CXDataError, match=r'format = "spark" needs table'):
        cx.load_study(write_study(tmp_path, 'format = "spark"'))
    study = cx.load_study(write_study(tmp_path, 'format = "spark"\ntable = "cx.survey"'))
    assert study.sources["survey"].query == "cx.survey" and study.sources["survey"].url is None
    with pytest.raises(cx.CXDataError, match="a Spark table: open the study with engine='spark'"):
        cx.open_study(study, engine="duckdb")


# ------------------------------------------------------------------- Spark (local mode)
@pytest.fixture(scope="module")
def spark(spark):
    """The session-wide local Spark (tests/conftest.py), read in UTC for this module. Not a
    session of its own: stopping it at the end of the module would stop the one the other
    Spark tests of this process share."""
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    yield spark
    spark.conf.set("spark.sql.session.timeZone", zone)


SPARK_ANALYSES = [ANALYSES[0], ANALYSES[6]]  # each metric is a few Spark jobs: kept to two


@pytest.mark.spark
def test_spark_reads_the_parquet_folder_and_equals_the_import(spark, folder_study, tmp_path):
    imported = cx.import_study(folder_study, out=tmp_path / "dataset").tables["survey"]
    handle = cx.open_study(folder_study, engine="spark", spark=spark)
    assert handle.engine == "spark" and type(handle.survey).__module__.startswith("pyspark")
    for label, analysis in SPARK_ANALYSES:
        same(analysis(imported), analysis(handle.survey))
    assert handle.roles.quarters == tuple(sorted(imported["quarter"].unique()))
    assert handle.report.set_index("column").loc["ltr", "missing_99"] == int((responses()["ltr"] == 99).sum())


@pytest.mark.spark
def test_a_spark_table_source(spark, folder_study, tmp_path):
    """format = "spark": a catalog table on the active session (SparkSession.builder.getOrCreate())."""
    spark.createDataFrame(responses()).createOrReplaceTempView("cx_answers")
    file = tmp_path / "study.toml"
    file.write_text(STUDY.format(source='format = "spark"\ntable = "cx_answers"'))
    reference = cx.import_study(folder_study, out=tmp_path / "ref").tables["survey"]
    with cx.open_study(file) as handle:  # the engine follows the source; the session is the active one
        assert handle.engine == "spark"
        same(ANALYSES[0][1](reference), ANALYSES[0][1](handle.survey))
        same(ANALYSES[6][1](reference), ANALYSES[6][1](handle.survey))
    imported = cx.import_study(file, out=tmp_path / "dataset").tables["survey"]  # small: copied to pandas
    same(cx.nps(reference, score="ltr", weights="w"), cx.nps(imported, score="ltr", weights="w"))
    file.write_text(STUDY.format(source='format = "spark"\ntable = "no_such_table"'))
    with pytest.raises(cx.CXDataError, match=r"Spark table 'no_such_table' does not exist; tables in the current "
                                             r"database: \[.*'cx_answers'"):
        cx.open_study(file)


def test_rows_without_a_quarter_are_dropped_and_counted_as_by_the_import(tmp_path):
    frame = pd.DataFrame({"ltr": [10, 9, 3, 99, 7], "answered": pd.to_datetime(["2025-01-05", None, "2025-12-31",
                                                                                 None, "2026-04-01"])})
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    file = write_study(tmp_path, 'path = "s.parquet"', roles='recommend = "ltr"\ndate = "answered"',
                       extra="[scales.recommend]\npoints = [0, 10]\nmissing = [99]\n").read_text()
    (tmp_path / "study.toml").write_text(file.replace('wave = "2025Q4"\n', ""))
    result = cx.import_study(tmp_path / "study.toml", out=tmp_path / "ds")
    with cx.open_study(tmp_path / "study.toml") as handle:
        lazy = handle.summary.set_index("item")["count"]
        assert handle.survey.df()["quarter"].tolist() == ["2025Q1", "2025Q4", "2026Q2"]
        assert handle.roles.quarters == ("2025Q1", "2025Q4", "2026Q2")
        report = handle.report.set_index("column")
    ref = result.summary[result.summary["table"] == "survey"].set_index("item")["count"]
    assert lazy["rows read"] == ref["rows read"] == 5 and lazy["rows kept"] == ref["rows kept"] == 3
    assert lazy["rows dropped"] == 2
    ref_report = result.report.set_index("column")
    for key in ("n", "n_missing", "missing_99", "min", "max"):  # the 99 was on an undated row: counted, dropped
        assert report.loc["ltr", key] == ref_report.loc["ltr", key], key
    assert report.loc["ltr", "missing_99"] == 1 and report.loc["ltr", "n"] == 3


def test_the_import_reads_a_parquet_folder_with_the_same_checks(folder_study, tmp_path):
    frame, meta = cx.read_survey(folder_study.parent / "answers")  # the folder, as the import reads it
    raw = responses()
    assert len(frame) == len(raw) and meta.format == "parquet" and meta.dropped_pii == ("email",)
    assert frame["region"].dtype == object and sorted(frame["region"].unique()) == ["APAC", "EU", "US"]
    assert np.allclose(frame.sort_values("id")["ltr"].to_numpy(float), raw["ltr"].to_numpy(float), equal_nan=True)
    (tmp_path / "f").mkdir()
    pd.DataFrame({"ltr": [1]}).to_parquet(tmp_path / "f" / "a.parquet", index=False)
    pd.DataFrame({"ltr": [1.5]}).to_parquet(tmp_path / "f" / "b.parquet", index=False)
    with pytest.raises(cx.CXDataError, match=r"types differ: \['ltr \(int64 vs double\)'\]"):
        cx.read_survey(tmp_path / "f")
