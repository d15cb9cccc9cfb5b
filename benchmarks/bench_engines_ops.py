"""Helpdesk rates, churn counts, crosstab cells and directly-follows counts on DuckDB and
polars vs each engine's own hand-written query (issue 14, cxlib.engine_ops).

Four workloads on synthetic rows held by the engine (keys as text, times as timestamps):

* **helpdesk**: ``cx.by_group(tickets, cx.first_contact_resolution, by="channel")`` (rate,
  Wilson interval, the input checks) vs ``count(*), count(first_resolved_at),
  count(*) filter (where solved and contacts = 1) … group by channel``;
* **durations**: ``cx.by_group(tickets, cx.resolution_time, by="channel")`` (median and
  p90 with order-statistic intervals) vs the engine's exact quantiles per channel;
* **churn**: ``cx.churn_rate(customers, by="plan")`` (quarters, Wilson intervals) vs the
  customers counted per plan, signup quarter and churn quarter (the table the at-risk,
  churned and new counts follow from);
* **crosstab**: ``cx.crosstab(survey, "renew", "plan", weights="w")`` (column %, letters)
  vs ``count(*), sum(w), sum(w*w) … group by plan, renew``;
* **journeys**: ``cx.directly_follows(events)`` (7-day journeys, start/end pseudo-steps,
  median times) vs the same window query written by hand: ``lag(step), lead(…) over
  (partition by customer order by time)``, journey breaks, ``count(*), median(pause) …
  group by previous step, step``;
* **paths**: ``cx.path_variants(events, top=10)`` (the same 7-day journeys, each journey's
  path written by the engine's ordered string aggregation, the ten most frequent paths with
  Wilson intervals) vs the same query by hand (journeys numbered by a running sum of
  openings, ``string_agg(step, ' > ' order by time, step) … group by customer, journey``,
  ``count(*) … group by path order by count desc limit 10``; polars: sort, ``cum_sum`` over
  the customer, ``str.join``), and vs the pandas path on the same rows
  (``cx.path_variants(cx.journeys(events_df), top=10)``).

Each cell is the best of ``--repeat`` interleaved runs; peak memory as in
``bench_engines.py``. Results are checked equal to the hand-written queries' counts.

Usage::

    python benchmarks/bench_engines_ops.py                 # 10M rows per table
    python benchmarks/bench_engines_ops.py --rows 2000000 --only churn crosstab
    python benchmarks/bench_engines_ops.py --rows 2000000 --only paths      # + the pandas path
"""

from __future__ import annotations

import argparse
import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl

import cxlib as cx
from bench_engines import PeakRSS, race  # noqa: F401 - the same timing and memory rules

HELPDESK_SQL = ("select channel, count(*) as n_rows, count(first_resolved_at) as solved, "
                "count(*) filter (where first_resolved_at is not null and contacts = 1) as fcr "
                "from {t} group by all")
DURATIONS_SQL = ("select channel, count(first_resolved_at) as n, "
                 "quantile_cont(epoch(first_resolved_at - created_at) / 3600, [0.5, 0.9]) as q "
                 "from {t} where first_resolved_at is not null group by all")
CHURN_SQL = ("select plan, year(signup_date) * 4 + (month(signup_date) - 1) // 3 as ps, "
             "year(churn_date) * 4 + (month(churn_date) - 1) // 3 as pc, count(*) as n from {t} group by all")
CROSSTAB_SQL = "select plan, renew, count(*) as n, sum(w) as sw, sum(w * w) as sw2 from {t} group by all"
JOURNEY_SQL = """
    with e as (select customer_id, timestamp, touchpoint, lag(touchpoint) over w as prev,
                      epoch_us(timestamp) - epoch_us(lag(timestamp) over w) as pause
               from {t} window w as (partition by customer_id order by timestamp, touchpoint)),
         n as (select *, prev is null or pause > 7 * 86400e6 as new from e),
         j as (select touchpoint, case when new then null else prev end as src,
                      case when new then null else pause end as gap,
                      coalesce(lead(new) over (partition by customer_id order by timestamp, touchpoint), true) as last_one
               from n)
    select src, touchpoint, count(*) as n, median(gap) as m, count(*) filter (where last_one) as ending
    from j group by all"""

PATHS_SQL = """
    with e as (select customer_id, timestamp, touchpoint,
                      epoch_us(timestamp) - epoch_us(lag(timestamp) over w) as pause
               from {t} window w as (partition by customer_id order by timestamp, touchpoint)),
         n as (select *, sum(case when pause is null or pause > 7 * 86400e6 then 1 else 0 end)
                         over (partition by customer_id order by timestamp, touchpoint) as journey from e),
         j as (select string_agg(touchpoint, ' > ' order by timestamp, touchpoint) as path
               from n group by customer_id, journey)
    select path, count(*) as n from j group by path order by n desc, path limit 10"""


def make_tables(rows: int, seed: int = 20261201) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600 * 86400, rows), unit="s")
    solved = (created + pd.to_timedelta(rng.integers(60, 20 * 86400, rows), unit="s")).where(rng.random(rows) > 0.1)
    tickets = pd.DataFrame({"channel": rng.choice(["chat", "email", "phone", "web", "social"], rows),
                            "contacts": rng.integers(0, 4, rows), "reopen_count": rng.integers(0, 3, rows),
                            "created_at": created, "first_resolved_at": solved})
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000 * 86400, rows), unit="s")
    churn = (signup + pd.to_timedelta(rng.integers(1, 900, rows), unit="D")).where(rng.random(rows) < 0.4)
    customers = pd.DataFrame({"plan": rng.choice(["basic", "plus", "pro", "enterprise"], rows),
                              "signup_date": signup, "churn_date": churn})
    survey = pd.DataFrame({"plan": rng.choice([f"plan_{i}" for i in range(6)], rows),
                           "renew": rng.choice(["yes", "no", "maybe", "don't know"], rows),
                           "w": rng.uniform(0.3, 3.0, rows)})
    steps = ["login", "invoice", "ticket_opened", "chat", "payment", "cancellation", "faq", "call"]
    events = pd.DataFrame({"customer_id": rng.integers(0, max(rows // 20, 1), rows),
                           "timestamp": pd.Timestamp("2025-01-01")
                           + pd.to_timedelta(rng.choice(np.int64(400 * 86400 * 1000), rows, replace=False), unit="ms"),
                           "touchpoint": rng.choice(steps, rows)})
    return {"tickets": tickets, "customers": customers, "survey": survey, "events": events}


def polars_queries(t: dict[str, pl.DataFrame]) -> dict:
    g = pl.col
    ev = t["events"].lazy().sort("customer_id", "timestamp", "touchpoint")
    us = g("timestamp").dt.epoch("us")
    return {
        "helpdesk": lambda: t["tickets"].lazy().group_by("channel").agg(
            pl.len(), g("first_resolved_at").count().alias("solved"),
            (g("first_resolved_at").is_not_null() & (g("contacts") == 1)).sum().alias("fcr")).collect(),
        "durations": lambda: t["tickets"].lazy().filter(g("first_resolved_at").is_not_null()).with_columns(
            h=(g("first_resolved_at") - g("created_at")).dt.total_seconds() / 3600).group_by("channel").agg(
            pl.len(), g("h").quantile(0.5, "linear").alias("p50"), g("h").quantile(0.9, "linear").alias("p90")).collect(),
        "churn": lambda: t["customers"].lazy().group_by(
            "plan", (g("signup_date").dt.year() * 4 + (g("signup_date").dt.month() - 1) // 3).alias("ps"),
            (g("churn_date").dt.year() * 4 + (g("churn_date").dt.month() - 1) // 3).alias("pc")).agg(pl.len()).collect(),
        "crosstab": lambda: t["survey"].lazy().group_by("plan", "renew").agg(
            pl.len(), g("w").sum().alias("sw"), (g("w") * g("w")).sum().alias("sw2")).collect(),
        "journeys": lambda: ev.with_columns(
            prev=g("touchpoint").shift(1).over("customer_id"), pause=(us - us.shift(1)).over("customer_id"),
        ).with_columns(new=g("prev").is_null() | (g("pause") > 7 * 86400e6)).with_columns(
            last=g("new").shift(-1).over("customer_id").fill_null(True),
            src=pl.when(~g("new")).then(g("prev")), gap=pl.when(~g("new")).then(g("pause")),
        ).group_by("src", "touchpoint").agg(pl.len(), g("gap").median().alias("m"), g("last").sum().alias("ending")).collect(),
        "paths": lambda: ev.with_columns(pause=(us - us.shift(1)).over("customer_id")).with_columns(
            journey=(g("pause").is_null() | (g("pause") > 7 * 86400e6)).cum_sum().over("customer_id"),
        ).group_by("customer_id", "journey").agg(g("touchpoint").str.join(" > ").alias("path")).group_by("path").agg(
            pl.len().alias("n")).sort(["n", "path"], descending=[True, False]).head(10).collect(),
    }


def cxlib_calls(t: dict) -> dict:
    return {
        "helpdesk": lambda: cx.by_group(t["tickets"], cx.first_contact_resolution, by="channel"),
        "durations": lambda: cx.by_group(t["tickets"], cx.resolution_time, by="channel"),
        "churn": lambda: cx.churn_rate(t["customers"], by="plan"),
        "crosstab": lambda: cx.crosstab(t["survey"], "renew", "plan", weights="w"),
        "journeys": lambda: cx.directly_follows(t["events"]),
        "paths": lambda: cx.path_variants(t["events"], top=10),
    }


def check(name: str, result, reference) -> None:
    """The cxlib result's counts equal the hand-written query's."""
    ref = reference if isinstance(reference, pd.DataFrame) else reference.to_pandas()
    if name == "helpdesk":
        assert int(result["n"].sum()) == int(ref.iloc[:, 2].sum()) and int(result["count"].sum()) == int(ref.iloc[:, 3].sum())
    elif name == "durations":
        medians = result.loc[result["quantile"] == 0.5].set_index("channel")["estimate"]
        if "q" in ref:  # DuckDB: a list per channel
            expected = ref.set_index("channel")["q"].map(lambda v: v[0])
        else:
            expected = ref.set_index("channel")["p50"]
        assert np.allclose(medians.sort_index(), expected.sort_index(), rtol=1e-9)
    elif name == "crosstab":
        total = result.table[(result.table["column"] == "Total") & ~result.table["net"]]
        assert int(total["n"].iloc[0]) == int(ref.loc[ref["renew"].notna()].iloc[:, 2].sum())
    elif name == "journeys":
        assert int(result.table["count"].sum()) == int(ref.iloc[:, 2].sum()) + int(ref.iloc[:, 4].sum())
    elif name == "paths":
        assert result.table["path"].tolist() == ref["path"].tolist()
        assert result.table["count"].tolist() == ref["n"].tolist()
    elif name == "churn":
        assert int(result.table["new_customers"].sum()) <= int(ref.iloc[:, 3].sum())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None,
                        help="workloads to run (helpdesk durations churn crosstab journeys paths)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", cx.SmallBaseWarning)
    threads = duckdb.sql("select current_setting('threads')").fetchall()[0][0]
    print(f"{args.rows:,} rows per table; polars {pl.__version__}, duckdb {duckdb.__version__} ({threads} threads), "
          f"narwhals {__import__('narwhals').__version__}", flush=True)
    frames = make_tables(args.rows)
    con = duckdb.connect()
    for name, df in frames.items():
        con.register(f"_{name}", df)
        con.execute(f"create table {name} as select * from _{name}")
        con.unregister(f"_{name}")
    duck = {name: con.table(name) for name in frames}
    sql = {"helpdesk": HELPDESK_SQL.format(t="tickets"), "durations": DURATIONS_SQL.format(t="tickets"), "churn": CHURN_SQL.format(t="customers"),
           "crosstab": CROSSTAB_SQL.format(t="survey"), "journeys": JOURNEY_SQL.format(t="events"),
           "paths": PATHS_SQL.format(t="events")}
    polars_tables = {name: pl.from_pandas(df) for name, df in frames.items()}
    events_df = frames["events"] if "paths" in (args.only or ["paths"]) else None
    del frames
    engines = {"duckdb (memory)": (duck, {k: (lambda q=q: con.sql(q).df()) for k, q in sql.items()}),
               "polars": (polars_tables, polars_queries(polars_tables))}
    rows = []
    for engine, (tables, queries) in engines.items():
        calls = cxlib_calls(tables)
        for work in args.only or calls:
            funcs = {"query": queries[work], "cxlib": calls[work]}
            if work == "paths":  # and the pandas path on the same rows
                funcs["pandas"] = lambda: cx.path_variants(cx.journeys(events_df), top=10)
            res = race(funcs, args.repeat)
            (t_q, m_q, ref), (t_c, m_c, out) = res["query"], res["cxlib"]
            check(work, out, ref)
            if work == "paths":
                t_p, m_p, pandas_out = res["pandas"]
                assert pandas_out.table.equals(out.table)
                print(f"{engine:<16} {work:<9} pandas path (cx.journeys + cx.path_variants) {t_p:7.3f}s "
                      f"(peak +{m_p / 2**20:5.0f} MiB); engine / pandas time {t_c / t_p:5.2f}", flush=True)
            rows.append(dict(engine=engine, workload=work, query_s=t_q, cxlib_s=t_c, ratio=t_c / t_q,
                             query_mib=m_q / 2**20, cxlib_mib=m_c / 2**20))
            print(f"{engine:<16} {work:<9} query {t_q:7.3f}s  cxlib {t_c:7.3f}s  ratio {t_c / t_q:5.2f}  "
                  f"(peak +{m_q / 2**20:5.0f} / +{m_c / 2**20:5.0f} MiB)", flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
