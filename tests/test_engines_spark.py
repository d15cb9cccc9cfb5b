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

from tests.test_engines import BY_GROUP, METRICS, close, survey

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
    with pytest.raises(cx.CXDataError, match=r"column 'osat' has \d+ value\(s\) outside the scale 1–5: \[0\]"):
        cx.csat(sdf)
