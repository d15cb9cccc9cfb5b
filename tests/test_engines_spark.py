"""The metric core on a PySpark DataFrame (local mode): equal to the pandas path.

PySpark is in the ``dev`` extra (CI runs these tests); they need Java 17 and are skipped
only when ``java`` is not on PATH (the ``spark`` fixture in ``conftest.py``: one local
session per test process). A handful of tests keep the JVM work small (each Spark query
costs a fraction of a second however small the data); ``-m "not spark"`` deselects them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import cxlib as cx

from tests.test_engines import (BY_GROUP, CORRELATION_ERRORS, METRICS, close, correlation_call,
                                odd_correlation_input, survey)

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def data(spark):
    df = survey(1500)
    return df, spark.createDataFrame(df)


def test_one_sample_metrics_equal_pandas(data):
    df, sdf = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        for _, metric, kwargs in METRICS:
            expected, got = metric(df, **kwargs), metric(sdf, **kwargs)
            for field, value in vars(expected).items():
                other = getattr(got, field)
                assert close(value, other) if isinstance(value, float) else value == other, (field, value, other)


def test_by_group_equals_pandas(data):
    df, sdf = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        for _, kwargs in BY_GROUP[:3]:
            expected, got = cx.by_group(df, **kwargs), cx.by_group(sdf, **kwargs)
            assert list(got.columns) == list(expected.columns) and len(got) == len(expected)
            num = [c for c in expected.columns if pd.api.types.is_float_dtype(expected[c])]
            x, y = expected[num].to_numpy(float), got[num].to_numpy(float)
            assert (np.isnan(x) == np.isnan(y)).all()
            ok = ~np.isnan(x)
            assert np.all(np.abs(x[ok] - y[ok]) <= 1e-12 * np.maximum(1.0, np.abs(x[ok])))


def test_weighted_correlation_and_errors(data):
    df, sdf = data
    expected = cx.weighted_correlation(df, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
    got = cx.weighted_correlation(sdf, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
    assert got.n == expected.n and np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
    # a mean 10^5 standard deviations from the provisional centre 0: summed again at the means
    # (the first pass's sums of squares lose about ten digits to cancellation)
    far = df.assign(spend=df["spend"] + 1e7)
    expected = cx.weighted_correlation(far, outcome="ltr", drivers=["spend", "ces"], weights="w")
    got = cx.weighted_correlation(sdf.withColumn("spend", sdf["spend"] + 1e7), outcome="ltr",
                                  drivers=["spend", "ces"], weights="w")
    assert np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
    assert np.allclose(got.mean, expected.mean, rtol=1e-14, atol=0)
    with pytest.raises(cx.CXDataError, match=r"column 'osat' has \d+ value\(s\) outside the scale 1–5: \[0\]"):
        cx.csat(sdf)



def test_correlation_checks_written_as_spark_sql_equal_pandas(spark):
    """Spark's correlation sums are one SQL string (``engine_ops.cross_products._sql_sums``), so their
    checks are written twice: a float score with NaN and a declared code, an integer score with
    nulls and declared points, integer weights and names that need quoting give the pandas
    result; each kind of bad value gives the pandas message word for word."""
    df, kwargs = odd_correlation_input()
    expected, got = cx.weighted_correlation(df, **kwargs), cx.weighted_correlation(spark.createDataFrame(df), **kwargs)
    assert (got.n, got.n_missing_codes, got.sum_weights) == (expected.n, expected.n_missing_codes,
                                                            expected.sum_weights)
    assert np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
    for frame in CORRELATION_ERRORS:
        with pytest.raises(cx.CXDataError) as expected_error:
            correlation_call(frame)
        with pytest.raises(cx.CXDataError) as got_error:
            correlation_call(spark.createDataFrame(frame))
        assert str(got_error.value) == str(expected_error.value), frame.to_dict("list")


# ------------------------------------------- helpdesk, churn, journeys, crosstab (engine_ops)
def test_helpdesk_churn_journeys_and_crosstab_equal_pandas(spark):
    from tests.test_engines_ops import (CHURN, CROSSTABS, JOURNEY_OPTIONS, assert_same, customers, events, tickets,
                                        with_replies)
    from tests.test_engines_ops import survey as banner_survey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        t = with_replies(tickets(800))
        st = spark.createDataFrame(t)
        assert cx.reopen_rate(st) == cx.reopen_rate(t)
        assert cx.first_response_time(st) == cx.first_response_time(t)
        pd.testing.assert_frame_equal(cx.by_group(st, cx.resolution_time, by="channel", unit="D"),
                                      cx.by_group(t, cx.resolution_time, by="channel", unit="D"), check_exact=True)
        assert_same(cx.by_group(t, cx.first_contact_resolution, by="channel"),
                    cx.by_group(st, cx.first_contact_resolution, by="channel"))
        c = customers(1500)
        sc = spark.createDataFrame(c)
        for kwargs in CHURN[1:3]:
            assert_same(cx.churn_rate(c, **kwargs).to_frame(), cx.churn_rate(sc, **kwargs).to_frame())
        ev = events(1500)
        sev = spark.createDataFrame(ev)
        options, kwargs = JOURNEY_OPTIONS[2]
        assert_same(cx.directly_follows(cx.journeys(ev, **options), **kwargs).table,
                    cx.directly_follows(sev, **options, **kwargs).table)
        df = banner_survey(1500)
        expected, got = cx.crosstab(df, **CROSSTABS[1]), cx.crosstab(spark.createDataFrame(df), **CROSSTABS[1])
        assert_same(expected.table, got.table)
        assert_same(expected.tests, got.tests)


def test_engine_ops_errors_on_spark(spark):
    from tests.test_engines_ops import customers, tickets

    t = tickets(200)
    bad = t.assign(reopen_count=t["reopen_count"].where(t.index != 3, -1))
    with pytest.raises(cx.CXDataError, match=r"1 value\(s\) that are not whole-number counts >= 0 \[-1\]"):
        cx.reopen_rate(spark.createDataFrame(bad))
    c = customers(100)
    early = c.assign(churn_date=c["churn_date"].where(c.index != 0, c["signup_date"] - pd.Timedelta(days=1)))
    with pytest.raises(cx.CXDataError, match="is earlier than 'signup_date' in 1 row"):
        cx.churn_rate(spark.createDataFrame(early))


# ------------------------------------------------------------------------- Spark Connect
def test_spark_connect_metric_core_and_a_study_source(spark_connect, tmp_path):
    """Through Spark Connect (the DataFrame is a plan sent over gRPC; the client has no JVM):
    the metric core, and a study whose source is ``format = "spark"`` with the Connect
    ``url``, equal the pandas path (the study: the pandas import of the same rows from Parquet)."""
    from cxlib.data.sources import spark_session
    from tests.test_engines_ops import JOURNEY_OPTIONS, assert_same, events, tickets, with_replies
    from tests.test_lazy_study import ANALYSES, STUDY, responses, same

    session = spark_session(spark_connect)
    assert type(session).__module__ == "pyspark.sql.connect.session"
    session.conf.set("spark.sql.session.timeZone", "UTC")
    df = survey(1500)
    sdf = session.createDataFrame(df)
    assert type(sdf).__module__.startswith("pyspark.sql.connect")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        same(cx.nps(df, score="ltr", weights="w"), cx.nps(sdf, score="ltr", weights="w"))
        same(cx.by_group(df, **BY_GROUP[1][1]), cx.by_group(sdf, **BY_GROUP[1][1]))
        expected = cx.weighted_correlation(df, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
        got = cx.weighted_correlation(sdf, outcome="ltr", drivers=["osat", "ces"], weights="w", missing=[0])
        assert got.n == expected.n and np.allclose(got.corr, expected.corr, rtol=0, atol=1e-12)
        t = with_replies(tickets(300))  # durations from Spark's own functions (Connect's module here)
        assert cx.first_response_time(session.createDataFrame(t)) == cx.first_response_time(t)
        ev = events(600)
        options, kwargs = JOURNEY_OPTIONS[2]
        assert_same(cx.directly_follows(cx.journeys(ev, **options), **kwargs).table,
                    cx.directly_follows(session.createDataFrame(ev), **options, **kwargs).table)

        rows = responses()
        rows.to_parquet(tmp_path / "answers.parquet", index=False, coerce_timestamps="us")
        (tmp_path / "reference.toml").write_text(STUDY.format(source='path = "answers.parquet"'))
        reference = cx.import_study(tmp_path / "reference.toml", out=tmp_path / "ref").tables["survey"]
        session.createDataFrame(rows).createOrReplaceTempView("cx_answers")
        (tmp_path / "study.toml").write_text(
            STUDY.format(source=f'format = "spark"\ntable = "cx_answers"\nurl = "{spark_connect}"'))
        with cx.open_study(tmp_path / "study.toml") as handle:  # the session comes from the url
            assert handle.engine == "spark" and type(handle.survey).__module__.startswith("pyspark.sql.connect")
            for _, analysis in (ANALYSES[0], ANALYSES[6]):
                same(analysis(reference), analysis(handle.survey))
