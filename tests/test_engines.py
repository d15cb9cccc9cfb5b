"""The metric core on polars (eager and lazy), pyarrow and DuckDB inputs (cxlib.engines).

Every engine's result is compared with the pandas path on the same rows (to 1e-12,
relative for figures above 1), and the pandas path and the engine statistics are checked
against independent references: counts by hand in Python, a hand-written DuckDB SQL query,
and numpy's weighted covariance. Spark: tests/test_engines_spark.py.
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import cxlib as cx
from cxlib import sufficient
from cxlib.engines import is_engine_frame

TOL = 1e-12


def assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    """Same columns and rows; floats to TOL (relative above 1), everything else exactly."""
    assert list(got.columns) == list(expected.columns) and len(got) == len(expected)
    for col in expected.columns:
        a, b = expected[col], got[col]
        if pd.api.types.is_float_dtype(a):
            x, y = a.to_numpy(float), b.to_numpy(float)
            assert (np.isnan(x) == np.isnan(y)).all(), col
            assert (x[np.isinf(x)] == y[np.isinf(x)]).all(), col
            ok = np.isfinite(x)
            assert np.all(np.abs(x[ok] - y[ok]) <= TOL * np.maximum(1.0, np.abs(x[ok]))), col
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col


BACKENDS = {
    "polars": pl.from_pandas,
    "polars_lazy": lambda df: pl.from_pandas(df).lazy(),
    "pyarrow": lambda df: pa.Table.from_pandas(df, preserve_index=False),
    "duckdb": lambda df: duckdb.from_arrow(pa.Table.from_pandas(df, preserve_index=False)),
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        yield


def survey(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    """Scores with missing values, a declared missing code (0 on `osat`), keys and weights."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "ltr": rng.integers(0, 11, n).astype(float),
        "osat": rng.integers(0, 6, n),  # 0 = "not applicable" (declared missing below)
        "ces": rng.integers(1, 8, n).astype(float),
        "spend": rng.gamma(2.0, 50.0, n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "quarter": rng.choice(["2026Q1", "2026Q2", "2026Q3"], n),
        "w": rng.uniform(0.2, 3.0, n),
    })
    df.loc[rng.random(n) < 0.05, "ltr"] = np.nan
    df.loc[rng.random(n) < 0.03, "ces"] = np.nan
    df["ltr_int"] = df["ltr"].astype("Int64")  # an integer column with nulls (NULL in the engines)
    return df


def close(a: float, b: float) -> bool:
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return abs(a - b) <= TOL * max(1.0, abs(a))


METRICS = [
    ("nps", cx.nps, {}),
    ("nps_weighted", cx.nps, dict(weights="w")),
    ("nps_integer", cx.nps, dict(score="ltr_int")),
    ("nps_integer_weighted", cx.nps, dict(score="ltr_int", weights="w")),
    ("mean_integer", cx.mean_score, dict(score="ltr_int", scale=(0, 10))),
    ("nps_codes", cx.nps, dict(missing=[0])),
    ("nps_adjusted", cx.nps, dict(method="adjusted_wald")),
    ("nps_bootstrap", cx.nps, dict(method="bootstrap", n_boot=200, seed=4)),
    ("csat_codes", cx.csat, dict(missing=[0], weights="w")),
    ("ces", cx.ces, {}),
    ("top_box", cx.top_box, dict(score="osat", top=(4, 5), scale=(1, 5), missing=[0])),
    ("mean", cx.mean_score, dict(score="spend")),
    ("mean_weighted", cx.mean_score, dict(score="ces", scale=(1, 7), weights="w")),
]


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("label,metric,kwargs", METRICS, ids=[m[0] for m in METRICS])
def test_one_sample_equals_pandas(backend, label, metric, kwargs):
    df = survey()
    table = BACKENDS[backend](df)
    assert is_engine_frame(table)
    expected, got = metric(df, **kwargs), metric(table, **kwargs)
    for field, value in vars(expected).items():
        other = getattr(got, field)
        if isinstance(value, float):
            assert close(value, other), (field, value, other)
        else:
            assert value == other, (field, value, other)


BY_GROUP = [
    ("nps", dict(metric=cx.nps, by=["region", "quarter"])),
    ("nps_rest_weighted", dict(metric="nps", by="region", weights="w", compare="rest")),
    ("csat_previous", dict(metric=cx.csat, by="region", period="quarter", compare="previous", missing=[0])),
    ("mean_rest", dict(metric="mean_score", by=["quarter"], score="spend", compare="rest")),
    ("ces_weighted", dict(metric=cx.ces, by=["quarter", "region"], weights="w")),
    ("nps_integer", dict(metric=cx.nps, by=["quarter", "region"], score="ltr_int", compare="rest")),
]


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("label,kwargs", BY_GROUP, ids=[b[0] for b in BY_GROUP])
def test_by_group_equals_pandas(backend, label, kwargs):
    df = survey()
    expected = cx.by_group(df, **kwargs)
    got = cx.by_group(BACKENDS[backend](df), **kwargs)
    assert_same(expected, got)


def test_grouped_counts_equal_a_hand_written_duckdb_query():
    """Independent reference: the counts per group from SQL written by hand."""
    df = survey()
    got = cx.by_group(duckdb.from_df(df), cx.nps, by="region")
    sql = duckdb.sql("""select region, count(ltr) as n, count(*) filter (where ltr >= 9) as p,
                               count(*) filter (where ltr <= 6) as d
                        from df group by region order by region""").df()
    assert got["region"].tolist() == sql["region"].tolist()
    assert got["n"].tolist() == sql["n"].tolist()
    assert np.allclose(got["estimate"], 100 * (sql["p"] - sql["d"]) / sql["n"], rtol=0, atol=1e-12)


def test_missing_group_keys_are_dropped_as_in_pandas():
    df = survey(500)
    df.loc[::7, "region"] = None
    expected = cx.by_group(df, cx.nps, by="region")
    for make in BACKENDS.values():
        got = cx.by_group(make(df), cx.nps, by="region")
        assert got["region"].tolist() == expected["region"].tolist()
        assert got["n"].tolist() == expected["n"].tolist()


def test_weighted_correlation_matches_numpy_on_every_engine():
    df = survey()
    cols = ["ltr", "osat", "ces"]
    keep = df[cols].notna().all(axis=1) & (df["osat"] != 0)
    ref = np.cov(df.loc[keep, cols].to_numpy().T, aweights=df.loc[keep, "w"].to_numpy())
    d = np.sqrt(np.diag(ref))
    ref_corr = ref / np.outer(d, d)
    expected = cx.weighted_correlation(df, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
    assert expected.n == int(keep.sum())
    assert np.allclose(expected.corr, ref_corr, rtol=0, atol=1e-12)
    assert expected.n_missing_codes == {"ltr": 0, "osat": int((df["osat"] == 0).sum()), "ces": 0}
    for make in BACKENDS.values():
        got = cx.weighted_correlation(make(df), outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
        assert got.n == expected.n and got.n_missing_codes == expected.n_missing_codes
        assert np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
        assert np.allclose(got.mean, expected.mean, rtol=1e-12)
        assert got.to_frame().index.tolist() == ["ltr", "osat", "ces"]


def test_large_pandas_frames_take_the_one_pass_path_with_the_same_result(monkeypatch):
    from cxlib import engines

    df = survey()
    expected = cx.weighted_correlation(df, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
    monkeypatch.setattr(engines, "LARGE_FRAME_ROWS", 100)
    assert engines.large_numeric_frame(df, ["ltr", "osat", "ces", "w"], [0])
    assert not engines.large_numeric_frame(df, ["ltr", "region"])  # text: pandas path
    got = cx.weighted_correlation(df, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
    assert got.n == expected.n and got.n_missing_codes == expected.n_missing_codes
    assert np.allclose(got.corr, expected.corr, rtol=0, atol=1e-14)
    assert np.allclose(got.cov, expected.cov, rtol=1e-13, atol=0)


def test_weighted_correlation_on_integer_columns_with_nulls():
    df = survey()
    expected = cx.weighted_correlation(df, outcome="ltr_int", drivers=["osat", "ces"], scale={"osat": (0, 5)})
    for make in BACKENDS.values():
        got = cx.weighted_correlation(make(df), outcome="ltr_int", drivers=["osat", "ces"], scale={"osat": (0, 5)})
        assert got.n == expected.n and np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
        assert got.sum_weights == expected.sum_weights == expected.n


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_errors_name_the_column_and_values(backend):
    make = BACKENDS[backend]
    bad = pd.DataFrame({"ltr": [1.0, 11.0, 12.0, 5.0], "osat": [1, 2, 7, 3], "frac": [1.5, 2.0, 3.0, 4.0],
                        "label": ["a", "b", "c", "d"], "w": [1.0, -1.0, 1.0, 1.0], "g": list("abab")})
    cases = [
        (lambda t: cx.nps(t), "column 'ltr' has 2 value(s) outside the scale 0–10: [11.0, 12.0]"),
        (lambda t: cx.csat(t), "column 'osat' has 1 value(s) outside the scale 1–5: [7]"),
        (lambda t: cx.nps(t, score="frac"), "column 'frac' has 1 non-integer value(s) [1.5]"),
        (lambda t: cx.nps(t, score="label"), "column 'label'"),
        (lambda t: cx.nps(t, score="nope"), "`score`='nope' is not a column of `data`"),
        (lambda t: cx.mean_score(t, score="osat", weights="w"), "weights column 'w' has 1 negative value(s)"),
        (lambda t: cx.by_group(t, cx.nps, by="region"), "`by`='region' is not a column of `data`"),
        (lambda t: cx.weighted_correlation(t, outcome="ltr", drivers=["osat"], scale=(1, 5)),
         "column 'osat' has 1 value(s) outside the scale points 1–5: [7]"),
    ]
    for call, message in cases:
        with pytest.raises(cx.CXDataError) as engine_error:
            call(make(bad))
        assert message in str(engine_error.value)
        with pytest.raises(cx.CXDataError) as pandas_error:
            call(bad)
        assert message in str(pandas_error.value)


def test_engine_errors_equal_pandas_errors_word_for_word():
    bad_scores = pd.DataFrame({"ltr": [1.0, 11.0, np.nan, 5.0], "w": [1.0, 1.0, 1.0, 1.0]})
    bad_weights = pd.DataFrame({"ltr": [1.0, 10.0, np.nan, 5.0], "w": [1.0, np.nan, 1.0, 1.0]})
    calls = [(bad_scores, lambda t: cx.nps(t)),
             (bad_scores, lambda t: cx.mean_score(t, score="ltr", scale=(0, 10))),
             (bad_weights, lambda t: cx.nps(t, weights="w")),
             (bad_weights.assign(ltr=np.nan), lambda t: cx.csat(t, score="ltr"))]
    for frame, call in calls:
        with pytest.raises(cx.CXDataError) as expected:
            call(frame)
        with pytest.raises(cx.CXDataError) as got:
            call(pl.from_pandas(frame))
        assert str(got.value) == str(expected.value)


def test_all_missing_and_weights_zero_on_scored_rows():
    df = pd.DataFrame({"ltr": [np.nan, np.nan, 3.0], "w": [1.0, 1.0, 0.0]})
    with pytest.raises(cx.CXDataError, match="weights are zero on all 1 row"):
        cx.nps(pl.from_pandas(df), weights="w")
    with pytest.raises(cx.CXDataError, match="all missing"):
        cx.nps(pl.from_pandas(df.assign(ltr=np.nan)))


def test_non_tables_still_take_the_pandas_path():
    assert not is_engine_frame([1, 2, 3]) and not is_engine_frame(pd.Series([1]))
    assert cx.nps([10, 9, 0]).estimate == pytest.approx(100 * (2 - 1) / 3)


# ------------------------------------------------------------ the fast pandas reducer
def test_chunked_reducer_equals_one_pass(monkeypatch):
    """Chunks of 1,000 rows give the same statistics as one chunk, and the counts equal a
    brute-force pandas groupby."""
    df = survey(20_000)
    df["region"] = df["region"].astype("category")
    one = cx.by_group(df, cx.nps, by=["region", "quarter"], weights="w")
    monkeypatch.setattr(sufficient, "_CHUNK_ROWS", 1000)
    chunked = cx.by_group(df, cx.nps, by=["region", "quarter"], weights="w")
    assert np.allclose(chunked["estimate"], one["estimate"], rtol=0, atol=1e-12)
    assert np.allclose(chunked["n_eff"], one["n_eff"], rtol=1e-12)
    brute = df.dropna(subset=["ltr"]).groupby(["region", "quarter"], observed=True)["ltr"]
    assert chunked["n_promoters"].tolist() == brute.apply(lambda s: int((s >= 9).sum())).tolist()
    assert chunked["n_detractors"].tolist() == brute.apply(lambda s: int((s <= 6).sum())).tolist()


@pytest.mark.parametrize("value,message", [
    (11.0, "outside the scale 0–10: [11.0]"), (127.0, "outside the scale 0–10: [127.0]"),
    (300.0, "outside the scale 0–10: [300.0]"), (-1.0, "outside the scale 0–10: [-1.0]"),
    (2.5, "non-integer value(s) [2.5]"), (np.inf, "infinite value(s)"),
])
def test_float_fast_path_reports_bad_scores(value, message):
    scores = np.full(1000, 7.0)
    scores[::3] = np.nan
    scores[500] = value
    with pytest.raises(cx.CXDataError) as err:
        cx.nps(pd.DataFrame({"ltr": scores}))
    assert message in str(err.value)


def test_float_scores_equal_integer_scores():
    rng = np.random.default_rng(0)
    ints = rng.integers(0, 11, 5000)
    a = cx.nps(pd.DataFrame({"ltr": ints}))
    b = cx.nps(pd.DataFrame({"ltr": ints.astype(float)}))
    assert (a.estimate, a.n, a.n_promoters) == (b.estimate, b.n, b.n_promoters)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_bad_input_errors_equal_pandas_word_for_word_on_every_engine(backend):
    """Each kind of bad score or weight, on every engine (DuckDB finds them from its values per
    group, polars from each row's category): the same message as the pandas path."""
    base = pd.DataFrame({"ltr": [1.0, 10.0, 7.0, 5.0, 9.0, 0.0], "w": [1.0, 2.0, 0.5, 1.0, 1.0, 3.0],
                         "g": list("ababab")})
    cases = [
        (base.assign(ltr=[1.0, np.inf, 7.0, 5.0, 9.0, 0.0]), {}),
        (base.assign(ltr=[1.0, 10.5, 7.0, 5.0, 9.0, 0.0]), {}),
        (base.assign(ltr=[1.0, -1.0, 7.0, 99.0, 9.0, 0.0]), dict(missing=[99])),
        (base.assign(w=[1.0, np.nan, 0.5, 1.0, 1.0, 3.0]), dict(weights="w")),
        (base.assign(w=[1.0, -2.0, 0.5, 1.0, 1.0, 3.0]), dict(weights="w")),
        (base.assign(w=[1.0, np.inf, 0.5, 1.0, 1.0, 3.0]), dict(weights="w")),
        (base.assign(w=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), dict(weights="w")),
        (base.assign(ltr=[np.nan, np.nan, 7.0, np.nan, np.nan, np.nan], w=[1.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
         dict(weights="w")),
        (base.assign(ltr=np.nan), {}),
    ]
    for frame, kwargs in cases:
        for call in (lambda t, kw=kwargs: cx.nps(t, **kw), lambda t, kw=kwargs: cx.by_group(t, cx.nps, by="g", **kw),
                     lambda t, kw=kwargs: cx.top_box(t, score="ltr", top=(9, 10), scale=(0, 10), **kw)):
            with pytest.raises(cx.CXDataError) as expected:
                call(frame)
            with pytest.raises(cx.CXDataError) as got:
                call(BACKENDS[backend](frame))
            assert str(got.value) == str(expected.value), (kwargs, frame.to_dict("list"))



_CORR_BASE = pd.DataFrame({"y": [1.0, 10.0, 7.0, 5.0, 9.0, 0.0], "x": [1, 5, 3, 2, 4, 3],
                           "w": [1.0, 2.0, 0.5, 1.0, 1.0, 3.0]})
#: Bad input to the correlation matrix: an infinite score, a value outside the declared points,
#: negative, missing and infinite weights, weights zero everywhere.
CORRELATION_ERRORS = [_CORR_BASE.assign(y=[1.0, np.inf, 7.0, 5.0, 9.0, 0.0]), _CORR_BASE.assign(x=[1, 5, 3, 2, 7, 3]),
                      _CORR_BASE.assign(w=[1.0, -2.0, 0.5, 1.0, 1.0, 3.0]),
                      _CORR_BASE.assign(w=[1.0, np.nan, 0.5, 1.0, 1.0, 3.0]),
                      _CORR_BASE.assign(w=[1.0, np.inf, 0.5, 1.0, 1.0, 3.0]), _CORR_BASE.assign(w=0.0)]


def correlation_call(table):
    return cx.weighted_correlation(table, outcome="y", drivers=["x"], weights="w", scale={"x": (1, 5)})


def odd_correlation_input() -> tuple[pd.DataFrame, dict]:
    """A float score with NaN and a declared code (99), an integer score with nulls and declared
    points, integer weights (some zero), and column names that SQL must quote."""
    rng = np.random.default_rng(11)
    n = 400
    ltr = rng.integers(0, 11, n).astype(float)
    ltr[:7], ltr[7:12] = np.nan, 99.0
    osat = pd.array(rng.integers(1, 6, n), dtype="Int64")
    osat[20:25] = pd.NA
    df = pd.DataFrame({"ltr score": ltr, 'o`s"at': osat, "ces": rng.normal(4, 1, n), "w t": rng.integers(0, 4, n)})
    return df, dict(outcome="ltr score", drivers=['o`s"at', "ces"], weights="w t", missing=[99],
                    scale={'o`s"at': (1, 5)})


def _dask(df):
    dd = pytest.importorskip("dask.dataframe")
    return dd.from_pandas(df, npartitions=2)


#: the correlation's engine paths: SQL strings (DuckDB, and pyarrow through it), polars'
#: filtered sums, and narwhals' aggregation for other lazy engines (Dask here)
CORRELATION_BACKENDS = {**BACKENDS, "dask": _dask}


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
@pytest.mark.parametrize("backend", list(CORRELATION_BACKENDS))
def test_correlation_on_odd_input_equals_pandas(backend):
    df, kwargs = odd_correlation_input()
    expected = cx.weighted_correlation(df, **kwargs)
    got = cx.weighted_correlation(CORRELATION_BACKENDS[backend](df), **kwargs)
    assert (got.n, got.n_missing_codes, got.sum_weights) == (expected.n, expected.n_missing_codes,
                                                            expected.sum_weights)
    assert np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)


def test_correlation_with_nan_inside_duckdb_equals_pandas():
    """NaN values (not nulls) inside the engine: the first pass, without NaN tests, sees a NaN
    sum or a bad row, and the exact pass gives the pandas result."""
    def nan_table(df):  # pyarrow keeps NaN as NaN only when told the values are not pandas'
        return duckdb.from_arrow(pa.table({c: pa.array(df[c].to_numpy(), from_pandas=False) for c in df}))

    rng = np.random.default_rng(2)
    df = pd.DataFrame({"y": rng.integers(0, 11, 200).astype(float), "x": rng.integers(1, 6, 200).astype(float),
                       "w": rng.uniform(0.5, 2, 200)})
    df.loc[[3, 50], "y"] = np.nan
    df.loc[[7, 50, 90], "x"] = np.nan
    assert np.isnan(nan_table(df).aggregate("max(y)").fetchall()[0][0])  # DuckDB holds NaN, ordered last
    for kwargs in (dict(outcome="y", drivers=["x"]), dict(outcome="y", drivers=["x"], weights="w", scale={"x": (1, 5)})):
        expected, got = cx.weighted_correlation(df, **kwargs), cx.weighted_correlation(nan_table(df), **kwargs)
        assert got.n == expected.n == 196 and np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
    with pytest.raises(cx.CXDataError) as expected:
        cx.weighted_correlation(df.assign(w=df["w"].where(df.index != 9)), outcome="y", drivers=["x"], weights="w")
    with pytest.raises(cx.CXDataError) as got:
        cx.weighted_correlation(nan_table(df.assign(w=df["w"].where(df.index != 9))), outcome="y", drivers=["x"],
                                weights="w")
    assert str(got.value) == str(expected.value)


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
@pytest.mark.parametrize("backend", list(CORRELATION_BACKENDS))
def test_correlation_errors_equal_pandas_word_for_word_on_every_engine(backend):
    for frame in CORRELATION_ERRORS:
        with pytest.raises(cx.CXDataError) as expected:
            correlation_call(frame)
        with pytest.raises(cx.CXDataError) as got:
            correlation_call(CORRELATION_BACKENDS[backend](frame))
        assert str(got.value) == str(expected.value), frame.to_dict("list")


class _RelationSpy:
    """A DuckDB relation that records which of its methods the correlation calls."""

    def __init__(self, rel, calls):
        self._rel, self._calls = rel, calls

    def __getattr__(self, name):
        attr = getattr(self._rel, name)
        if name not in ("filter", "project", "aggregate"):
            return attr
        def call(*args, **kwargs):  # noqa: E306
            self._calls.append(name)
            return _RelationSpy(attr(*args, **kwargs), self._calls)
        return call


def _stored(df):
    con = duckdb.connect()
    con.register("src", pa.Table.from_pandas(df, preserve_index=False))
    con.execute("create table answers as select * from src")
    return con.table("answers")


def test_duckdb_correlation_checks_a_weights_only_table_in_a_query_of_its_own(monkeypatch):
    """A stored DuckDB table with integer scores without declared points or codes: the checks
    read only the weights, so DuckDB runs them first and the sums over the complete rows
    (`filter`); with score checks, or on a relation derived from others (a study's, an arrow
    table's), one query. All give the pandas result, and the same errors on bad weights."""
    import narwhals as nw

    calls: list[str] = []
    real = nw.to_native
    monkeypatch.setattr(nw, "to_native", lambda x, *a, **k: (
        _RelationSpy(real(x, *a, **k), calls) if isinstance(real(x, *a, **k), duckdb.DuckDBPyRelation)
        else real(x, *a, **k)))
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"y": pd.array(rng.integers(0, 11, 300), dtype="Int64"), "x": rng.integers(1, 6, 300),
                       "w": rng.uniform(0.2, 3, 300)})
    df.loc[[4, 9], "y"] = pd.NA
    for kwargs, table, split in ((dict(weights="w"), _stored, True), (dict(), _stored, True),
                                 (dict(weights="w", scale={"x": (1, 5)}), _stored, False),
                                 (dict(weights="w"), BACKENDS["duckdb"], False)):
        calls.clear()
        expected = cx.weighted_correlation(df, outcome="y", drivers=["x"], **kwargs)
        got = cx.weighted_correlation(table(df), outcome="y", drivers=["x"], **kwargs)
        assert (got.n, got.sum_weights) == (expected.n, pytest.approx(expected.sum_weights, rel=1e-14))
        assert np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
        assert ("filter" in calls) == split, (kwargs, calls)
    for w in ([-2.0], [np.nan], [np.inf], None):
        bad = df.assign(w=0.0) if w is None else df.assign(w=df["w"].where(df.index != 7, w[0]))
        with pytest.raises(cx.CXDataError) as expected:
            cx.weighted_correlation(bad, outcome="y", drivers=["x"], weights="w")
        calls.clear()
        with pytest.raises(cx.CXDataError) as got:
            cx.weighted_correlation(_stored(bad), outcome="y", drivers=["x"], weights="w")
        assert str(got.value) == str(expected.value)
        assert "filter" not in calls or w is None, calls  # bad weights: no sums computed


def test_duckdb_falls_back_to_categories_when_a_score_has_many_values(monkeypatch):
    """Above VALUE_GROUPS (group, value) rows DuckDB classifies each row in the engine
    instead: the same statistics."""
    from cxlib.engine_ops import categories

    df = survey()
    table = duckdb.from_arrow(pa.Table.from_pandas(df, preserve_index=False))
    expected = cx.by_group(df, cx.nps, by=["region", "quarter"], weights="w", missing=[0])
    monkeypatch.setattr(categories, "VALUE_GROUPS", 5)
    calls = []
    monkeypatch.setattr(categories, "category", lambda *a, _f=categories.category: calls.append(1) or _f(*a))
    got = cx.by_group(table, cx.nps, by=["region", "quarter"], weights="w", missing=[0])
    assert calls, "the fallback was not taken"
    for col in ("estimate", "ci_low", "ci_high", "n"):
        assert np.allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=0, atol=TOL)


@pytest.mark.parametrize("backend", ["polars", "polars_lazy", "duckdb"])
def test_correlation_of_integer_columns_far_from_zero_stays_accurate(backend):
    """Integer columns are summed raw on polars and centred afterwards: columns
    around 1,000 with a variance near 1 still match numpy's centred computation to 1e-9."""
    rng = np.random.default_rng(5)
    n = 20_000
    base = rng.normal(0, 1, n)
    df = pd.DataFrame({"y": np.rint(1000 + base + rng.normal(0, 1, n)).astype(np.int64),
                       "x": np.rint(1000 + 0.5 * base + rng.normal(0, 1, n)).astype(np.int64),
                       "w": rng.uniform(0.5, 2.0, n)})
    got = cx.weighted_correlation(BACKENDS[backend](df), outcome="y", drivers=["x"], weights="w")
    expected = np.cov(df[["y", "x"]].to_numpy(float).T, aweights=df["w"].to_numpy())
    r = expected[0, 1] / np.sqrt(expected[0, 0] * expected[1, 1])
    assert abs(got.corr[0, 1] - r) < 1e-9


def test_duckdb_column_names_with_spaces_and_quotes():
    df = survey()[["ltr", "region", "w"]].rename(columns={"ltr": 'likely "to" recommend', "region": "the region"})
    table = duckdb.from_arrow(pa.Table.from_pandas(df, preserve_index=False))
    kwargs = dict(score='likely "to" recommend', weights="w")
    expected = cx.by_group(df, cx.nps, by="the region", **kwargs)
    got = cx.by_group(table, cx.nps, by="the region", **kwargs)
    assert np.allclose(got["estimate"].to_numpy(float), expected["estimate"].to_numpy(float), rtol=0, atol=TOL)
    assert (got["n"].to_numpy() == expected["n"].to_numpy()).all()
