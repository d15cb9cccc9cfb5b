"""Path variants of an event log held by an engine (cxlib.engine_ops.paths): polars (eager and
lazy), pyarrow, DuckDB and (few, small) Spark tests.

References: counts written by hand for a log with same-time events, gaps, start and end
steps; the pandas path (cx.journeys then cx.path_variants) on the same rows in the order an
engine uses for same-time events (by step); a brute-force Python loop over each customer's
events; and a hand-written DuckDB SQL query. Every table is compared exactly (counts, paths,
ranks) and to 1e-12 (shares and intervals).
"""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx
from tests.test_engines import BACKENDS
from tests.test_engines_ops import assert_same

BACKEND_IDS = list(BACKENDS)
OPTIONS = dict(customer="cust", time="when", step="step")


def hand_log() -> pd.DataFrame:
    """Five customers, rows shuffled. Same-time events: customer 1 (chat and login at 09:00),
    3 (login twice at 08:00), 4 (invoice and login at 08:00, login a start step in one case);
    customer 2 has an end step (payment), 1 a pause of 19 days, 5 a pause of one day."""
    rows = [
        (1, "2026-01-01 09:00", "login"), (1, "2026-01-01 09:00", "chat"), (1, "2026-01-01 10:00", "invoice"),
        (1, "2026-01-20 09:00", "login"),
        (2, "2026-01-02 08:00", "login"), (2, "2026-01-02 09:00", "payment"), (2, "2026-01-02 09:30", "login"),
        (2, "2026-01-02 09:40", "invoice"),
        (3, "2026-01-03 08:00", "login"), (3, "2026-01-03 08:00", "login"), (3, "2026-01-03 08:05", "invoice"),
        (4, "2026-01-04 08:00", "login"), (4, "2026-01-04 08:00", "invoice"), (4, "2026-01-04 08:10", "chat"),
        (5, "2026-01-05 08:00", "login"), (5, "2026-01-06 08:00", "invoice"),
    ]
    df = pd.DataFrame(rows, columns=["cust", "when", "step"])
    df["when"] = pd.to_datetime(df["when"])
    return df.sample(frac=1.0, random_state=5).reset_index(drop=True)


def in_engine_order(ev: pd.DataFrame, customer: str = "cust", time: str = "when", step: str = "step") -> pd.DataFrame:
    """The log with same-time events in step order: the order an engine gives them."""
    return ev.sort_values([customer, time, step], kind="stable").reset_index(drop=True)


#: (options, {path: count}) written by hand from the rows above.
HAND = [
    (dict(end_steps="payment"),
     {"login > invoice": 2, "chat > login > invoice": 1, "invoice > login > chat": 1, "login": 1,
      "login > login > invoice": 1, "login > payment": 1}),
    (dict(end_steps="payment", start_steps="login"),
     {"login > invoice": 4, "login": 2, "chat": 1, "invoice": 1, "login > chat": 1, "login > payment": 1}),
    (dict(gap="12h"),
     {"chat > login > invoice": 1, "invoice > login > chat": 1, "login": 2, "invoice": 1,
      "login > login > invoice": 1, "login > payment > login > invoice": 1}),
]


def by_hand(counts: dict) -> pd.DataFrame:
    """The variants table's key columns in rank order (count descending, then path)."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return pd.DataFrame({"rank": range(1, len(items) + 1), "path": [k for k, _ in items],
                         "n_steps": [k.count(" > ") + 1 for k, _ in items], "count": [v for _, v in items]})


@pytest.mark.parametrize("backend", BACKEND_IDS)
@pytest.mark.parametrize("case", range(len(HAND)))
def test_path_variants_equal_hand_counts_and_pandas(backend, case):
    options, counts = HAND[case]
    ev = hand_log()
    expected = cx.path_variants(cx.journeys(in_engine_order(ev), **OPTIONS, **options), top=None)
    got = cx.path_variants(BACKENDS[backend](ev), top=None, **OPTIONS, **options)
    hand = by_hand(counts)
    assert_same(hand, expected.table[hand.columns])
    assert_same(expected.table, got.table)
    assert (got.n_journeys, got.n_paths) == (expected.n_journeys, expected.n_paths) == (sum(counts.values()),
                                                                                         len(counts))
    top = cx.path_variants(BACKENDS[backend](ev), top=3, confidence_level=0.9, **OPTIONS, **options)
    assert_same(cx.path_variants(cx.journeys(in_engine_order(ev), **OPTIONS, **options), top=3,
                                 confidence_level=0.9).table, top.table)
    assert (top.n_journeys, top.n_paths, top.confidence_level) == (expected.n_journeys, expected.n_paths, 0.9)


def test_same_time_events_do_not_depend_on_row_order():
    """An engine orders same-time events by step whatever the rows' order; the pandas path
    keeps the log's order, so it agrees once the log is in step order."""
    ev = hand_log()
    results = [cx.path_variants(pl.from_pandas(ev.sample(frac=1.0, random_state=s)), top=None, **OPTIONS).table
               for s in range(4)]
    for table in results[1:]:
        assert_same(results[0], table)
    assert "chat > login > invoice" in set(results[0]["path"])
    unsorted = ev.sort_values(["cust", "when", "step"], ascending=[True, True, False], kind="stable")
    pandas_paths = set(cx.path_variants(cx.journeys(unsorted, **OPTIONS), top=None).table["path"])
    assert "login > chat > invoice" in pandas_paths  # the log's own order (login first) on pandas


def brute_force_variants(ev: pd.DataFrame, gap: pd.Timedelta, starts=(), ends=()) -> Counter:
    """One Python loop per customer over its events sorted by (time, step): the rules of cx.journeys."""
    out: Counter = Counter()
    for _, rows in ev.groupby("customer_id"):
        rows = rows.sort_values(["timestamp", "touchpoint"])
        path, prev_t, prev_s = [], None, None
        for t, s in zip(rows["timestamp"], rows["touchpoint"]):
            if path and (t - prev_t > gap or s in starts or prev_s in ends):
                out[" > ".join(path)] += 1
                path = []
            path.append(s)
            prev_t, prev_s = t, s
        out[" > ".join(path)] += 1
    return out


def steps(options: dict, name: str) -> set:
    value = options.get(name, ())
    return {value} if isinstance(value, str) else set(value)


@pytest.fixture(scope="module")
def synth_log() -> pd.DataFrame:
    """The synthetic journeys (600 customers), with some times rounded to the day to make
    same-time events."""
    ev = cx.synthesize(0, n_customers=600).journeys[["customer_id", "timestamp", "touchpoint"]]
    day = ev["customer_id"] % 5 == 0
    return ev.assign(timestamp=ev["timestamp"].where(~day, ev["timestamp"].dt.floor("D")))


SYNTH_OPTIONS = [dict(gap="3D"), dict(gap="10D", start_steps="login", end_steps=["renewal", "cancellation"])]


@pytest.fixture(scope="module")
def synth_references(synth_log) -> list[tuple[dict, Counter]]:
    return [(options, brute_force_variants(synth_log, pd.Timedelta(options["gap"]), steps(options, "start_steps"),
                                           steps(options, "end_steps"))) for options in SYNTH_OPTIONS]


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_synthetic_variants_equal_pandas_and_a_brute_force_loop(backend, synth_log, synth_references):
    table = BACKENDS[backend](synth_log)
    for options, ref in synth_references:
        expected = cx.path_variants(cx.journeys(in_engine_order(synth_log, "customer_id", "timestamp", "touchpoint"),
                                                **options), top=None)
        got = cx.path_variants(table, top=None, **options)
        assert_same(expected.table, got.table)
        assert (got.n_journeys, got.n_paths) == (expected.n_journeys, expected.n_paths)
        assert dict(zip(got.table["path"], got.table["count"])) == dict(ref)
        assert_same(expected.table.head(10), cx.path_variants(table, **options).table)


def test_synthetic_variants_equal_hand_written_sql(synth_log):
    """Independent reference: journeys numbered by a running sum of openings, paths by an
    ordered string_agg, all in SQL."""
    ev = synth_log  # noqa: F841 - read by DuckDB's replacement scan
    sql = duckdb.sql("""
        with e as (select *, lag(timestamp) over w as prev_t
                   from ev window w as (partition by customer_id order by timestamp, touchpoint)),
             n as (select *, sum(case when prev_t is null or timestamp - prev_t > interval 3 day then 1 else 0 end)
                             over (partition by customer_id order by timestamp, touchpoint) as journey
                   from e),
             j as (select string_agg(touchpoint, ' > ' order by timestamp, touchpoint) as path
                   from n group by customer_id, journey)
        select path, count(*) as sql_count from j group by path""").df()
    got = cx.path_variants(duckdb.from_df(synth_log), top=None, gap="3D").table
    merged = got.merge(sql, on="path", how="outer")
    assert len(merged) == len(got) == len(sql)
    assert (merged["count"] == merged["sql_count"]).all()


@settings(max_examples=25)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 12), st.sampled_from(["a", "b", "c", "é"])),
                min_size=1, max_size=40),
       st.sampled_from(["1h", "3h"]), st.sampled_from([(), ("a",)]), st.sampled_from([(), ("c",), ("b", "é")]))
def test_random_logs_with_ties_equal_the_brute_force_loop_and_pandas(rows, gap, starts, ends):
    """Property: on any small log (many same-time events, a non-ASCII step), the engine's
    variants are the brute-force loop's and the pandas path's, and their counts add up to
    the journeys."""
    ev = pd.DataFrame(rows, columns=["customer_id", "hour", "touchpoint"])
    ev["timestamp"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(ev.pop("hour"), unit="h")
    seen = set(ev["touchpoint"])  # a declared list none of whose steps occurs is an error (tested elsewhere)
    options = {"gap": gap} | ({"start_steps": list(starts)} if seen & set(starts) else {}) | (
        {"end_steps": list(ends)} if seen & set(ends) else {})
    ref = brute_force_variants(ev, pd.Timedelta(gap), steps(options, "start_steps"), steps(options, "end_steps"))
    expected = cx.path_variants(cx.journeys(in_engine_order(ev, "customer_id", "timestamp", "touchpoint"), **options),
                                top=None)
    for table in (pl.from_pandas(ev), duckdb.from_df(ev)):
        got = cx.path_variants(table, top=None, **options)
        assert dict(zip(got.table["path"], got.table["count"])) == dict(ref)
        assert_same(expected.table, got.table)
        assert got.n_journeys == sum(ref.values()) == int(got.table["count"].sum())


def test_categorical_and_enum_steps_equal_text():
    ev = hand_log()
    expected = cx.path_variants(pl.from_pandas(ev), top=None, **OPTIONS).table
    cat = pl.from_pandas(ev).with_columns(pl.col("step").cast(pl.Categorical))
    enum = pl.from_pandas(ev).with_columns(pl.col("step").cast(pl.Enum(["payment", "login", "invoice", "chat"])))
    for table in (cat, enum, cat.lazy()):
        assert_same(expected, cx.path_variants(table, top=None, **OPTIONS).table)


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_path_variants_errors(backend):
    make = BACKENDS[backend]
    ev = hand_log()
    missing = ev.assign(step=ev["step"].where(ev.index != 2))
    with pytest.raises(cx.CXDataError) as expected:
        cx.journeys(missing, **OPTIONS)
    with pytest.raises(cx.CXDataError) as got:
        cx.path_variants(make(missing), **OPTIONS)
    assert str(got.value) == str(expected.value)
    with pytest.raises(cx.CXDataError, match="none of"):
        cx.path_variants(make(ev), start_steps="nope", **OPTIONS)
    with pytest.raises(cx.CXDataError, match="unexpected option"):
        cx.path_variants(make(ev), goal_steps="payment", **OPTIONS)
    with pytest.raises(cx.CXDataError, match="`top`=0"):
        cx.path_variants(make(ev), top=0, **OPTIONS)
    with pytest.raises(cx.CXDataError, match="is not a column"):
        cx.path_variants(make(ev))
    with pytest.raises(cx.CXDataError, match="unexpected option"):
        cx.path_variants(cx.journeys(ev, **OPTIONS), gap="2D")


def test_pandas_frame_of_events_is_refused_with_the_pandas_message():
    with pytest.raises(cx.CXDataError, match="must be the result of cx.journeys"):
        cx.path_variants(hand_log())


@pytest.mark.spark
def test_path_variants_on_spark_equal_pandas(spark, synth_log):
    """One small Spark run per case (each Spark action costs seconds): the hand-built log with
    same-time events and end steps, and a slice of the synthetic journeys with start steps."""
    ev = hand_log()
    options, counts = HAND[1]
    got = cx.path_variants(spark.createDataFrame(ev), top=None, **OPTIONS, **options)
    expected = cx.path_variants(cx.journeys(in_engine_order(ev), **OPTIONS, **options), top=None)
    assert_same(expected.table, got.table)
    assert dict(zip(got.table["path"], got.table["count"])) == counts
    part = synth_log.loc[synth_log["customer_id"] < synth_log["customer_id"].min() + 150]
    options = SYNTH_OPTIONS[1]
    expected = cx.path_variants(cx.journeys(in_engine_order(part, "customer_id", "timestamp", "touchpoint"),
                                            **options), top=5)
    got = cx.path_variants(spark.createDataFrame(part), top=5, **options)
    assert_same(expected.table, got.table)
    assert (got.n_journeys, got.n_paths) == (expected.n_journeys, expected.n_paths)


def test_brute_force_reference_agrees_with_pandas_on_the_hand_log():
    """The loop itself against the hand counts (so a wrong loop cannot pass the tests above)."""
    ev = hand_log().rename(columns={"cust": "customer_id", "when": "timestamp", "step": "touchpoint"})
    for options, counts in HAND:
        got = brute_force_variants(ev, pd.Timedelta(options.get("gap", "7D")), steps(options, "start_steps"),
                                   steps(options, "end_steps"))
        assert dict(got) == counts
    assert np.isclose(cx.path_variants(pl.from_pandas(hand_log()), **OPTIONS).table["cumulative"].iloc[-1], 1.0)
