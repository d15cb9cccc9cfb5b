"""Helpdesk rates, churn counts, crosstab cells and directly-follows counts on polars (eager
and lazy), pyarrow and DuckDB inputs (cxlib.engine_ops).

Each engine's result is compared with the pandas path on the same rows (counts exactly,
figures to 1e-12), and the counts are checked against independent references: brute-force
Python over the rows and hand-written DuckDB SQL (window functions for the journeys).
Bad input raises the same CXDataError as pandas. Spark: tests/test_engines_spark.py.
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from tests.test_engines import BACKENDS, TOL, assert_same  # noqa: F401 - assert_same: other modules import it from here

BACKEND_IDS = list(BACKENDS)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        yield


def tickets(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Tickets with unsolved ones (no count on half of them), a missing channel now and then."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="h")
    t = pd.DataFrame({"reopen_count": rng.integers(0, 3, n), "contacts": rng.integers(0, 4, n).astype(float),
                      "created_at": created,
                      "first_resolved_at": created + pd.to_timedelta(rng.integers(1, 300, n), unit="h"),
                      "channel": rng.choice(["chat", "email", "phone"], n), "team": rng.choice(["a", "b"], n)})
    t.loc[rng.random(n) < 0.1, "first_resolved_at"] = pd.NaT
    t.loc[t["first_resolved_at"].isna() & (rng.random(n) < 0.5), "contacts"] = np.nan
    t.loc[::50, "channel"] = None
    return t


def customers(n: int = 4000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900 * 86400, n), unit="s")
    c = (s + pd.to_timedelta(rng.integers(1, 700, n), unit="D")).where(rng.random(n) < 0.4)
    return pd.DataFrame({"signup_date": s, "churn_date": c, "plan": rng.choice(["basic", "pro", None], n,
                                                                                 p=[0.5, 0.45, 0.05]),
                         "region": rng.choice(["north", "south"], n)})


def events(n: int = 4000, seed: int = 2) -> pd.DataFrame:
    """An event log with distinct times (an engine table has no row order to break ties)."""
    rng = np.random.default_rng(seed)
    steps = ["login", "invoice", "ticket_opened", "chat", "cancellation", "payment"]
    return pd.DataFrame({"customer_id": rng.integers(0, 300, n),
                         "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.choice(10**7, n, replace=False),
                                                                                   unit="s"),
                         "touchpoint": rng.choice(steps, n)})


def survey(n: int = 3000, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"ltr": rng.integers(0, 11, n).astype(float), "osat": rng.integers(1, 6, n).astype(float),
                       "renew": rng.choice(["yes", "no", "maybe"], n), "plan": rng.choice(["basic", "pro", "max"], n),
                       "region": rng.choice(["n", "s", "e"], n), "w": rng.uniform(0.2, 3.0, n),
                       "spend": rng.gamma(2.0, 50.0, n)})
    df.loc[rng.random(n) < 0.05, "ltr"] = np.nan
    df.loc[rng.random(n) < 0.05, "renew"] = None
    df.loc[rng.random(n) < 0.03, "region"] = None
    return df


def same_error(call, frame, make) -> str:
    """Both paths raise CXDataError; returns the engine's message (checked by the caller)."""
    with pytest.raises(cx.CXDataError):
        call(frame)
    with pytest.raises(cx.CXDataError) as err:
        call(make(frame))
    return str(err.value)


# --------------------------------------------------------------------------- helpdesk
@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_helpdesk_rates_equal_pandas(backend):
    t = tickets()
    table = BACKENDS[backend](t)
    for metric in (cx.reopen_rate, cx.first_contact_resolution):
        assert metric(table) == metric(t)
        assert_same(cx.by_group(t, metric, by=["channel", "team"]), cx.by_group(table, metric, by=["channel", "team"]))


def test_helpdesk_counts_equal_a_brute_force_count():
    t = tickets()
    got = cx.by_group(duckdb.from_df(t), cx.first_contact_resolution, by="channel")
    for _, row in got.iterrows():
        rows = t[t["channel"] == row["channel"]]
        solved = rows["first_resolved_at"].notna()
        assert row["n"] == solved.sum() and row["count"] == (solved & (rows["contacts"] == 1)).sum()
        assert row["n_excluded"] == (~solved).sum()


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_helpdesk_errors_equal_pandas(backend):
    make = BACKENDS[backend]
    t = tickets(200)
    bad = t.assign(reopen_count=t["reopen_count"].where(t.index != 3, -1))
    assert "column 'reopen_count' has 1 value(s) that are not whole-number counts >= 0 [-1]" in \
        same_error(cx.reopen_rate, bad, make)
    solved = t.index[t["first_resolved_at"].notna()][:2]
    msg = same_error(cx.first_contact_resolution, t.assign(contacts=t["contacts"].where(~t.index.isin(solved))), make)
    assert "column 'contacts' is missing for 2 solved ticket(s)" in msg
    assert "expected dates or datetimes" in same_error(
        lambda d: cx.reopen_rate(d, resolved="reopen_count"), t, make)
    assert "no solved tickets" in same_error(cx.reopen_rate, t.assign(first_resolved_at=pd.NaT), make)
    assert "`resolved`='nope'" in same_error(lambda d: cx.reopen_rate(d, resolved="nope"), t, make)
    before = t["created_at"] - pd.Timedelta(1, "h")
    early = t.assign(first_resolved_at=t["first_resolved_at"].where(t.index != 0, before))
    assert "column 'first_resolved_at' is earlier than 'created_at' in 1 row(s)" in same_error(cx.resolution_time,
                                                                                             early, make)
    assert "column 'created_at' is missing in 2 row(s)" in same_error(
        cx.resolution_time, t.assign(created_at=t["created_at"].where(t.index >= 2)), make)
    assert "`quantiles`=(0.5, 1.5) must be numbers" in same_error(
        lambda d: cx.first_response_time(d, quantiles=(0.5, 1.5)), t, make)
    assert "`unit`='w' is not supported" in same_error(lambda d: cx.resolution_time(d, unit="w"), t, make)


def with_replies(t: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    t = t.assign(first_response_at=t["created_at"] + pd.to_timedelta(rng.integers(1, 10**6, len(t)), unit="s"))
    t.loc[::7, "first_response_at"] = pd.NaT
    return t


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_ticket_time_quantiles_equal_pandas_exactly(backend):
    t = with_replies(tickets())
    table = BACKENDS[backend](t)
    assert cx.first_response_time(table) == cx.first_response_time(t)
    kwargs = dict(quantiles=(0.1, 0.5, 0.99), unit="min")
    assert cx.resolution_time(table, **kwargs) == cx.resolution_time(t, **kwargs)
    for data, kwargs in ((t, dict(quantiles=(0.25, 0.5, 0.9))), (t.iloc[:40], dict(unit="D"))):
        expected = cx.by_group(data, cx.resolution_time, by=["channel", "team"], **kwargs)
        pd.testing.assert_frame_equal(cx.by_group(BACKENDS[backend](data), cx.resolution_time, by=["channel", "team"],
                                                  **kwargs), expected, check_exact=True)


def test_quantile_from_two_order_statistics_equals_numpy():
    """The engine reads x_(f+1), x_(f+2) and interpolates them with numpy: the same float
    as np.quantile over all the values (brute force over random samples)."""
    from cxlib.engine_ops.helpdesk import _rows_from_ranks

    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 200))
        xs = np.sort(np.round(rng.gamma(2.0, 3.0, n), int(rng.integers(0, 4))))
        qs = (0.5, 0.9, float(rng.random()))
        rows = _rows_from_ranks({i + 1: float(v) for i, v in enumerate(xs)}, n, qs, 0.95)
        assert [r["estimate"] for r in rows] == [float(np.quantile(xs, q)) for q in qs]


# ------------------------------------------------------------------------------ churn
CHURN = [dict(), dict(by="plan"), dict(by=["plan", "region"], period="M", start="2024-06", end="2025-03"),
         dict(scale="percent", end="2026Q2")]


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_churn_rate_equals_pandas(backend):
    c = customers()
    table = BACKENDS[backend](c)
    for kwargs in CHURN:
        assert_same(cx.churn_rate(c, **kwargs).to_frame(), cx.churn_rate(table, **kwargs).to_frame())


def test_churn_counts_equal_the_definition_by_brute_force():
    """At risk: signed up before the period starts and not churned before it; churned:
    churn date inside the period; new: signed up inside it."""
    c = customers()
    got = cx.churn_rate(duckdb.from_df(c), by="plan").to_frame()
    for _, row in got.sample(12, random_state=0).iterrows():
        p = pd.Period(row["period"], freq="Q")
        t0, t1 = p.start_time, (p + 1).start_time
        g = c[c["plan"] == row["plan"]]
        at_risk = (g["signup_date"] < t0) & (g["churn_date"].isna() | (g["churn_date"] >= t0))
        assert row["at_risk"] == at_risk.sum()
        assert row["churned"] == (at_risk & (g["churn_date"] >= t0) & (g["churn_date"] < t1)).sum()
        assert row["new_customers"] == ((g["signup_date"] >= t0) & (g["signup_date"] < t1)).sum()


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_churn_errors_equal_pandas(backend):
    make = BACKENDS[backend]
    c = customers(100)
    assert "column 'signup_date' is missing in 3 row(s)" in same_error(
        cx.churn_rate, c.assign(signup_date=c["signup_date"].where(c.index >= 3)), make)
    early = c.assign(churn_date=c["churn_date"].where(c.index != 0, c["signup_date"] - pd.Timedelta(days=1)))
    assert "column 'churn_date' is earlier than 'signup_date' in 1 row(s)" in same_error(cx.churn_rate, early, make)
    assert "is before `start`" in same_error(lambda d: cx.churn_rate(d, start="2026Q1", end="2025Q1"), c, make)
    assert "`period`='W' is not valid" in same_error(lambda d: cx.churn_rate(d, period="W"), c, make)


# --------------------------------------------------------------------------- journeys
JOURNEY_OPTIONS = [(dict(), dict()), (dict(gap="2D"), dict(ends=False)),
                   (dict(gap="3D", start_steps="login", end_steps=["payment", "cancellation"]), dict())]


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_directly_follows_equals_pandas(backend):
    ev = events()
    table = BACKENDS[backend](ev)
    for options, kwargs in JOURNEY_OPTIONS:
        expected = cx.directly_follows(cx.journeys(ev, **options), **kwargs).table
        assert_same(expected, cx.directly_follows(table, **options, **kwargs).table)


def test_directly_follows_counts_equal_hand_written_sql():
    """Independent reference: lag() over each customer's events in SQL, pauses over 7 days
    starting a new journey."""
    ev = events()
    got = cx.directly_follows(duckdb.from_df(ev), ends=False).table
    sql = duckdb.sql("""
        with e as (select touchpoint, lag(touchpoint) over w as prev,
                          timestamp - lag(timestamp) over w as pause
                   from ev window w as (partition by customer_id order by timestamp))
        select prev as from_step, touchpoint as to_step, count(*) as sql_count
        from e where prev is not null and pause <= interval 7 day group by all""").df()
    merged = got.merge(sql, on=["from_step", "to_step"], how="outer")
    assert len(merged) == len(got) == len(sql)
    assert (merged["count"] == merged["sql_count"]).all()


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_directly_follows_errors(backend):
    make = BACKENDS[backend]
    ev = events(100)
    missing = ev.assign(touchpoint=ev["touchpoint"].where(ev.index != 5))
    with pytest.raises(cx.CXDataError) as expected:
        cx.journeys(missing)
    with pytest.raises(cx.CXDataError) as got:
        cx.directly_follows(make(missing))
    assert str(got.value) == str(expected.value)
    with pytest.raises(cx.CXDataError, match="none of"):
        cx.directly_follows(make(ev), start_steps="nope")
    with pytest.raises(cx.CXDataError, match="unexpected option"):
        cx.directly_follows(make(ev), goal_steps="payment")
    with pytest.raises(cx.CXDataError, match="unexpected option"):
        cx.directly_follows(cx.journeys(ev), gap="2D")


# --------------------------------------------------------------------------- crosstab
CROSSTABS = [
    dict(rows=["renew"], columns="plan"),
    dict(rows=["ltr", "osat", "renew", "spend"], columns=["plan", "region"],
         stat={"ltr": ["nps", "mean"], "osat": ["column %", "mean"], "spend": "mean"},
         nets={"osat": {"top-2": (4, 5)}}, scale={"osat": (1, 5)}, weights="w"),
    dict(rows=["renew", "osat"], columns=["region"], missing="No answer", stat={"osat": "nets"},
         nets={"osat": {"top": (5,), "bottom-2": (1, 2)}}, correction="holm"),
]


@pytest.mark.parametrize("backend", BACKEND_IDS)
@pytest.mark.parametrize("case", range(len(CROSSTABS)))
def test_crosstab_equals_pandas(backend, case):
    df = survey()
    expected, got = cx.crosstab(df, **CROSSTABS[case]), cx.crosstab(BACKENDS[backend](df), **CROSSTABS[case])
    assert_same(expected.table, got.table)
    assert_same(expected.tests, got.tests)
    assert got.to_frame().equals(expected.to_frame())
    assert (got.weighted, got.rows, got.columns) == (expected.weighted, expected.rows, expected.columns)


def test_crosstab_cells_equal_hand_written_sql():
    df = survey()
    got = cx.crosstab(duckdb.from_df(df), "renew", "plan", weights="w", test=None).table
    sql = duckdb.sql("""select plan, renew, count(*) as n, sum(w) as sw from df where renew is not null
                        group by all""").df()
    for _, row in sql.iterrows():
        cell = got[(got["column"] == row["plan"]) & (got["level"] == row["renew"])].iloc[0]
        base = sql.loc[sql["plan"] == row["plan"]]
        assert cell["n"] == base["n"].sum()
        assert cell["estimate"] == pytest.approx(100 * row["sw"] / base["sw"].sum(), rel=1e-12)


@pytest.mark.parametrize("backend", BACKEND_IDS)
def test_crosstab_errors_equal_pandas(backend):
    make = BACKENDS[backend]
    df = survey(200)
    bad = df.assign(ltr=df["ltr"].where(df.index != 0, 11.0))
    assert "column 'ltr' has 1 value(s) outside the scale 0–10: [11.0]" in same_error(
        lambda d: cx.crosstab(d, "ltr", "plan", stat="nps"), bad, make)
    fives = int((df["osat"] == 5).sum())
    assert f"column 'osat' has {fives} value(s) outside the scale 1–4: [5.0]" in same_error(
        lambda d: cx.crosstab(d, "osat", "plan", scale=(1, 4)), df, make)
    assert f"column 'osat' has {fives} value(s) outside the scale 1–4: [5.0]" in same_error(
        lambda d: cx.crosstab(d, "osat", "plan", stat="mean", scale=(1, 4)), df, make)
    negative = df.assign(w=df["w"].where(df.index != 1, -2.0))
    assert "weights column 'w' has 1 negative value(s) [-2.0]; weights must be >= 0" in same_error(
        lambda d: cx.crosstab(d, "renew", "plan", weights="w"), negative, make)
    assert "`rows`='nope' is not a column" in same_error(lambda d: cx.crosstab(d, "nope", "plan"), df, make)
    assert "lists level(s) ['x']" in same_error(
        lambda d: cx.crosstab(d, "renew", "plan", nets={"renew": {"n": ["x"]}}), df, make)


def test_churn_rate_with_time_zone_aware_dates():
    """Aware dates are read in UTC on both paths (polars converts in the engine; DuckDB in
    its connection's time zone, UTC here)."""
    import polars as pl

    c = customers(1000)
    for col in ("signup_date", "churn_date"):
        c[col] = c[col].dt.tz_localize("Europe/Berlin", nonexistent="shift_forward", ambiguous="NaT")
    c = c.dropna(subset=["signup_date"])
    expected = cx.churn_rate(c, by="plan").to_frame()
    assert_same(expected, cx.churn_rate(pl.from_pandas(c), by="plan").to_frame())
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    try:
        got = cx.churn_rate(con.from_df(c), by="plan").to_frame()
    except cx.CXDataError as err:  # a TIMESTAMPTZ narwhals does not know (no ICU time zones): the cast to use
        assert "TIMESTAMP WITH TIME ZONE" in str(err)
    else:
        assert_same(expected, got)
