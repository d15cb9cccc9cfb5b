"""Tests of cxlib.data: quarter helpers, atomic Parquet I/O, fingerprints, de-duplication."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxlib as cx
from cxlib.data import SCHEMA, TABLES, CXData
from cxlib.errors import CXDataError


@pytest.fixture(scope="module")
def small():
    return cx.synthesize(5, n_customers=600, quarters=3)


# ----------------------------------------------------------------------------- quarters
def test_quarter_helpers():
    assert cx.previous_quarter("2026Q1") == "2025Q4"
    assert cx.previous_quarter("2026Q3", 5) == "2025Q2"
    assert cx.quarter_range("2026Q1", 3) == ["2025Q3", "2025Q4", "2026Q1"]
    assert cx.quarter_bounds("2025Q4") == (pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-01"))
    s = pd.Series(pd.to_datetime(["2026-03-31 23:59", None, "2026-04-01 00:00"]), index=[7, 8, 9])
    out = cx.quarter_of(s)
    assert list(out.index) == [7, 8, 9] and list(out) == ["2026Q1", None, "2026Q2"]
    assert cx.quarter_of(pd.Timestamp("2024-11-05")) == "2024Q4"


@pytest.mark.parametrize("bad", ["2026Q5", "2026-Q1", "26Q1", 2026, None, "2026q1"])
def test_bad_quarter_strings(bad):
    with pytest.raises(CXDataError, match="YYYYQn"):
        cx.previous_quarter(bad)


@given(st.integers(1900, 2200), st.integers(1, 4), st.integers(1, 30))
def test_quarter_properties(year, q, n):
    end = f"{year}Q{q}"
    qs = cx.quarter_range(end, n)
    assert len(qs) == n and qs[-1] == end and qs == sorted(qs)
    assert all(cx.previous_quarter(b) == a for a, b in zip(qs, qs[1:]))
    start, stop = cx.quarter_bounds(end)
    assert cx.quarter_of(start) == end and cx.quarter_of(stop - pd.Timedelta(seconds=1)) == end


def test_latest_quarter(small):
    assert cx.latest_quarter(small) == "2026Q3"
    assert cx.latest_quarter(pd.DataFrame({"quarter": ["2025Q4", "2026Q1", None]})) == "2026Q1"
    with pytest.raises(CXDataError):
        cx.latest_quarter(pd.DataFrame({"quarter": [None]}))
    with pytest.raises(CXDataError, match="quarter"):
        cx.latest_quarter(pd.DataFrame({"q": ["2025Q1"]}))


# ----------------------------------------------------------------------------- I/O
def test_round_trip(small, tmp_path):
    out = cx.write_dataset(small, tmp_path / "ds")
    files = sorted(os.listdir(out))
    assert files == sorted([f"{t}.parquet" for t in TABLES] + ["truth.json", "truth_segments.parquet", "manifest.json"])
    back = cx.load_dataset(out)
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(back, t), getattr(small, t))
        assert {c: str(d) for c, d in getattr(back, t).dtypes.items()} == SCHEMA[t]
    assert back.truth.to_dict() == small.truth.to_dict()
    pd.testing.assert_frame_equal(back.truth.customer_segments, small.truth.customer_segments)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["parameters"]["quarters"] == 3
    assert manifest["row_counts"] == {t: len(getattr(small, t)) for t in TABLES}
    assert manifest["generator_version"] == small.truth.generator_version
    assert "survey=" in repr(back)


def test_failed_write_leaves_no_partial_file(small, tmp_path):
    target = tmp_path / "ds"
    cx.write_dataset(small, target)
    before = (target / "survey.parquet").read_bytes()
    bad_survey = small.survey.copy()
    bad_survey["comment"] = [1 if i % 2 else "x" for i in range(len(bad_survey))]  # pyarrow cannot store this
    bad = CXData(small.customers, bad_survey, small.touchpoints, small.tickets, small.journeys, small.truth)
    with pytest.raises(Exception):
        cx.write_dataset(bad, target)
    assert (target / "survey.parquet").read_bytes() == before  # old file untouched
    assert not [f for f in os.listdir(target) if f.startswith(".") or f.endswith(".tmp")]
    fresh = tmp_path / "fresh"
    with pytest.raises(Exception):
        cx.write_dataset(bad, fresh)
    assert sorted(os.listdir(fresh)) == ["customers.parquet"]  # written before the failure; nothing partial


def test_load_errors(small, tmp_path):
    with pytest.raises(CXDataError, match="does not exist"):
        cx.load_dataset(tmp_path / "nope")
    out = cx.write_dataset(small, tmp_path / "ds")
    (out / "tickets.parquet").unlink()
    with pytest.raises(CXDataError, match=r"'tickets.parquet' is missing.*ticket_id"):
        cx.load_dataset(out)
    (out / "manifest.json").unlink()
    with pytest.raises(CXDataError, match="manifest.json"):
        cx.load_dataset(out)
    with pytest.raises(CXDataError, match="CXData"):
        cx.write_dataset({"survey": small.survey}, tmp_path / "x")


def test_ensure_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cx.data.default_data_dir() == (tmp_path / "data" / "synthetic").resolve()
    d1 = cx.ensure_dataset(seed=2, n_customers=300, quarters=2)
    manifest = cx.data.default_data_dir() / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    d2 = cx.ensure_dataset(seed=2, n_customers=300, quarters=2)
    assert manifest.stat().st_mtime_ns == stamp  # loaded, not regenerated
    pd.testing.assert_frame_equal(d1.survey, d2.survey)
    with pytest.raises(CXDataError, match="different settings"):
        cx.ensure_dataset(seed=3, n_customers=300, quarters=2)


def test_fingerprint(small, tmp_path):
    a = cx.write_dataset(small, tmp_path / "a")
    b = cx.write_dataset(small, tmp_path / "b")
    fa = cx.fingerprint(a)
    assert len(fa) == 16 and int(fa, 16) >= 0
    assert cx.fingerprint(a) == fa == cx.fingerprint(b)  # stable, location-free
    (a / ".survey.parquet.123.tmp").write_bytes(b"junk")  # hidden temp files are ignored
    assert cx.fingerprint(a) == fa
    files = [a / "survey.parquet", a / "customers.parquet"]
    assert cx.fingerprint(files) == cx.fingerprint(list(reversed(files)))
    with open(a / "truth.json", "a") as fh:
        fh.write(" ")
    assert cx.fingerprint(a) != fa
    with pytest.raises(CXDataError, match="does not exist"):
        cx.fingerprint(tmp_path / "missing")


# ----------------------------------------------------------------------------- duplicates
def test_drop_duplicate_responses_by_hand():
    s = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 1],
        "quarter": ["2026Q1", "2026Q1", "2026Q1", "2026Q1", "2026Q1", "2026Q2"],
        "response_date": pd.to_datetime(["2026-02-03", "2026-02-01", "2026-02-05", "2026-02-01", "2026-02-02", "2026-05-01"]),
        "ltr": pd.array([9, 9, 3, 5, 5, 9], dtype="Int64"),
        "osat": pd.array([4, 4, 2, pd.NA, pd.NA, 4], dtype="Int64"),
        "comment": ["ok", "ok", None, None, None, "ok"],
    })
    original = s.copy()
    out, n = cx.drop_duplicate_responses(s)
    # rows 0/1 repeat (keep row 1, the earlier date); rows 3/4 repeat with NA answers (keep 3)
    assert n == 2 and list(out.index) == [1, 2, 3, 5]
    pd.testing.assert_frame_equal(s, original)  # input untouched
    with pytest.raises(CXDataError, match="answer columns"):
        cx.drop_duplicate_responses(s[["customer_id", "quarter", "response_date"]])


def test_drop_duplicate_responses_synthetic(small):
    out, n = cx.drop_duplicate_responses(small.survey)
    assert n > 0 and len(out) == len(small.survey) - n
    key = ["customer_id", "quarter", "ltr", "osat", "ces", "comment", *cx.data.DRIVERS]
    assert not out.duplicated(subset=key).any()
    assert np.all(np.diff(out["response_id"].to_numpy()) > 0)  # original order kept
