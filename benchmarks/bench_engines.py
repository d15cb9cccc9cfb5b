"""The metric core on each engine vs that engine's own hand-written query (issue 14).

Two workloads on the same synthetic rows (0–10 `ltr` with 3% missing, five 1–5 drivers,
weights, 50 segments × 8 quarters):

* **grouped NPS** with Wald intervals: ``cx.by_group(data, cx.nps, by=["segment",
  "quarter"])`` against the plain query ``count(*), avg(ltr >= 9), avg(ltr <= 6) … group
  by segment, quarter`` written in the engine's own language;
* **driver correlation matrix**: ``cx.weighted_correlation(data, outcome="ltr",
  drivers=[...], weights="w")`` against the hand-written sums ``Σw, Σw·z, Σw·z·zᵀ`` over
  the complete rows.

Engines: pandas (categorical keys, float scores with NaN; the baseline query is DuckDB SQL
over the pandas frame, as in the issue), polars (eager), DuckDB in memory (a table), DuckDB
on disk (a database file) and a Parquet file read by DuckDB; outside pandas the scores are
stored as they would be there, 8-bit integers with nulls, and the keys as text. Each cell is the best of ``--repeat`` runs;
peak memory is the peak resident set size sampled during the call minus the size before
it (native allocations of polars and DuckDB included). Results are checked equal.

The data are generated in chunks of 5M rows (`make_chunks`), so no engine but pandas ever
holds all rows in pandas. Above 20M rows only the engines meant for such data run by default:
a polars frame (text keys, built chunk by chunk) and a DuckDB database file written chunk by
chunk in a temporary folder; the first engine's results are the reference the others are
checked against.

Usage::

    python benchmarks/bench_engines.py                     # 10M rows, all engines (~5 min, ~4 GiB)
    python benchmarks/bench_engines.py --rows 1000000      # quick
    python benchmarks/bench_engines.py --rows 100000000 --repeat 2   # polars and DuckDB on disk (~7 GiB)
    python benchmarks/bench_engines.py --engines polars,duckdb-disk --rows 5000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl

import cxlib as cx

DRIVERS = ["d1", "d2", "d3", "d4", "d5"]
NPS_SQL = ("select segment, quarter, count(*) as n, avg((ltr >= 9)::double) as p, avg((ltr <= 6)::double) as d "
           "from {t} where ltr is not null group by all")
COLS = ["ltr", *DRIVERS]
_complete = " and ".join(f"{c} is not null" for c in COLS)
CORR_SQL = ("select count(*), sum(w), " + ", ".join(f"sum(w * {c})" for c in COLS) + ", "
            + ", ".join(f"sum(w * {a} * {b})" for i, a in enumerate(COLS) for b in COLS[i:])
            + f" from {{t}} where {_complete} and w > 0")


#: Rows generated at a time: data are built chunk by chunk, never 100M rows in pandas.
CHUNK = 5_000_000
SEGMENTS = [f"segment_{i:02d}" for i in range(50)]
QUARTERS = [f"{2025 + i // 4}Q{i % 4 + 1}" for i in range(8)]


def make_chunks(rows: int, seed: int = 20261201, chunk: int = CHUNK):
    """The synthetic rows as pandas frames of at most ``chunk`` rows (chunk i drawn from the
    seed sequence ``(seed, i)``, so the data depend only on ``rows`` and ``seed``)."""
    for i, start in enumerate(range(0, rows, chunk)):
        rng = np.random.default_rng([seed, i])
        n = min(chunk, rows - start)
        seg = rng.integers(0, 50, n)
        qtr = rng.integers(0, 8, n)
        base = rng.normal(0, 1, n)
        ltr = np.clip(np.rint(7.0 + 1.8 * base + 0.1 * (seg % 7)), 0, 10)
        ltr[rng.random(n) < 0.03] = np.nan
        df = pd.DataFrame({
            "segment": pd.Categorical.from_codes(seg, SEGMENTS),
            "quarter": pd.Categorical.from_codes(qtr, QUARTERS),
            "ltr": ltr,
            "w": rng.uniform(0.3, 3.0, n),
        })
        for j, name in enumerate(DRIVERS):
            df[name] = np.clip(np.rint(3 + 0.8 * base * (0.3 + 0.15 * j) + rng.normal(0, 1, n)), 1, 5)
        yield df


def make_data(rows: int, seed: int = 20261201) -> pd.DataFrame:
    """All rows in one pandas frame (categorical keys, float scores with NaN)."""
    return pd.concat(list(make_chunks(rows, seed)), ignore_index=True)


def to_polars(df: pd.DataFrame) -> pl.DataFrame:
    """A chunk as polars stores it: text keys, 8-bit integer scores with nulls."""
    return pl.from_pandas(df.assign(segment=df["segment"].astype(str), quarter=df["quarter"].astype(str))
                          ).with_columns(pl.col(COLS).cast(pl.Int8))


#: The DuckDB table: text keys, 8-bit integer scores with NULLs.
TABLE_SQL = ("select segment::varchar as segment, quarter::varchar as quarter, w, "
             + ", ".join(f"{c}::tinyint as {c}" for c in COLS) + " from {t}")


def write_duckdb(path: str, chunks) -> None:
    """A DuckDB database file with the table ``responses``, written chunk by chunk."""
    con = duckdb.connect(path)
    for i, chunk in enumerate(chunks):
        con.register("chunk", chunk)
        con.execute(("create table responses as " if i == 0 else "insert into responses ")
                    + TABLE_SQL.format(t="chunk"))
        con.unregister("chunk")
    con.close()


class PeakRSS:
    """Peak resident set size (bytes) above the level at entry, sampled every 2 ms."""

    def __enter__(self):
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.002)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.extra = self.peak - self.start


def race(funcs: dict, repeat: int) -> dict:
    """Best time, peak memory and last result of each function, run in turn ``repeat``
    times (interleaved, so that load from other processes hits all of them alike, and in
    reverse order every other round, so that neither cxlib nor the query always runs first
    on a cold cache)."""
    out = {k: [float("inf"), 0, None] for k in funcs}
    for r in range(repeat):
        for key, func in (list(funcs.items()) if r % 2 == 0 else list(funcs.items())[::-1]):
            with PeakRSS() as mem:
                t0 = time.perf_counter()
                result = func()
                elapsed = time.perf_counter() - t0
            best = out[key]
            out[key] = [min(best[0], elapsed), max(best[1], mem.extra), result]
    return out


ENGINES = ["pandas", "polars", "duckdb-memory", "duckdb-disk", "parquet"]
#: Above this many rows only the engines meant for such data run by default (pandas would
#: need 100M rows in memory as float64): a polars frame and a DuckDB database file.
LARGE_ROWS = 20_000_000
LARGE_ENGINES = ["polars", "duckdb-disk"]
LABELS = {"pandas": "pandas", "polars": "polars", "duckdb-memory": "duckdb (memory)",
          "duckdb-disk": "duckdb (disk)", "parquet": "parquet (duckdb)"}


def sql_queries(con, table: str):
    """The hand-written NPS and correlation queries in DuckDB SQL over ``table``."""
    return (lambda: con.sql(NPS_SQL.format(t=table)).fetchall(),
            lambda: con.sql(CORR_SQL.format(t=table)).fetchall())


def polars_queries(frame: pl.DataFrame):
    """The same two queries written as polars lazy queries."""
    g = pl.col
    nps = lambda: frame.lazy().filter(g("ltr").is_not_null()).group_by("segment", "quarter").agg(  # noqa: E731
        pl.len(), (g("ltr") >= 9).mean().alias("p"), (g("ltr") <= 6).mean().alias("d")).collect()
    corr = lambda: frame.lazy().filter(  # noqa: E731
        pl.all_horizontal([g(c).is_not_null() for c in COLS]) & (g("w") > 0)).select(
        [pl.len(), g("w").sum()] + [(g("w") * g(c)).sum().alias(f"s{c}") for c in COLS]
        + [(g("w") * g(a) * g(b)).sum().alias(f"s{a}{b}") for i, a in enumerate(COLS) for b in COLS[i:]]
    ).collect()
    return nps, corr


def build(name: str, rows: int, tmp: str, cache: dict):
    """(cxlib input, NPS query, correlation query) of one engine, its data generated chunk
    by chunk (only the pandas engine holds all rows in pandas)."""
    if name == "pandas":
        df = make_data(rows)
        con = duckdb.connect()
        con.register("frame", df)
        return (df, *sql_queries(con, "frame"))
    if name == "polars":
        frame = pl.concat([to_polars(chunk) for chunk in make_chunks(rows)], rechunk=False)
        return (frame, *polars_queries(frame))
    if name == "duckdb-memory":
        con = duckdb.connect()
        for i, chunk in enumerate(make_chunks(rows)):
            con.register("chunk", chunk)
            con.execute(("create table responses as " if i == 0 else "insert into responses ")
                        + TABLE_SQL.format(t="chunk"))
            con.unregister("chunk")
        return (con.table("responses"), *sql_queries(con, "responses"))
    path = os.path.join(tmp, "study.duckdb")
    if "disk" not in cache:
        t0 = time.perf_counter()
        write_duckdb(path, make_chunks(rows))
        cache["disk"] = time.perf_counter() - t0
        print(f"  (wrote {path}: {os.path.getsize(path) / 2**20:,.0f} MiB in {cache['disk']:.0f} s)", flush=True)
    con = duckdb.connect(path, read_only=True)
    if name == "duckdb-disk":
        return (con.table("responses"), *sql_queries(con, "responses"))
    pq = os.path.join(tmp, "responses.parquet")
    con.execute(f"copy responses to '{pq}' (format parquet)")
    return (con.read_parquet(pq), *sql_queries(con, f"read_parquet('{pq}')"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default=None,
                        help=f"comma-separated, of {','.join(ENGINES)} (default: all; above "
                             f"{LARGE_ROWS:,} rows {','.join(LARGE_ENGINES)})")
    args = parser.parse_args(argv)
    names = (args.engines.split(",") if args.engines
             else LARGE_ENGINES if args.rows > LARGE_ROWS else ENGINES)
    unknown = sorted(set(names) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; choose from {ENGINES}")
    threads = duckdb.sql("select current_setting('threads')").fetchall()[0][0]
    print(f"{args.rows:,} rows; pandas {pd.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__} "
          f"({threads} threads), narwhals {__import__('narwhals').__version__}", flush=True)
    reference_nps = reference_corr = None
    rows, cache = [], {}
    warnings.simplefilter("ignore", cx.SmallBaseWarning)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            with PeakRSS() as held:
                data, nps_query, corr_query = build(name, args.rows, tmp, cache)
            res = race({
                "nps_query": nps_query,
                "nps_cxlib": lambda: cx.by_group(data, cx.nps, by=["segment", "quarter"]),
                "corr_query": corr_query,
                "corr_cxlib": lambda: cx.weighted_correlation(data, outcome="ltr", drivers=DRIVERS, weights="w"),
            }, args.repeat)
            del data, nps_query, corr_query
            (t_q, m_q, _), (t_cx, m_cx, table) = res["nps_query"], res["nps_cxlib"]
            (t_cq, m_cq, _), (t_cc, m_cc, corr) = res["corr_query"], res["corr_cxlib"]
            if reference_nps is None:
                reference_nps, reference_corr = table, corr
            diff_nps = float(np.max(np.abs(table["ci_low"].to_numpy(float) - reference_nps["ci_low"].to_numpy(float))))
            diff_corr = float(np.max(np.abs(corr.corr - reference_corr.corr)))
            rows.append(dict(engine=LABELS[name], data_mib=held.extra / 2**20,
                             nps_query_s=t_q, nps_cxlib_s=t_cx, nps_ratio=t_cx / t_q,
                             nps_query_mib=m_q / 2**20, nps_cxlib_mib=m_cx / 2**20,
                             corr_query_s=t_cq, corr_cxlib_s=t_cc, corr_ratio=t_cc / t_cq,
                             corr_query_mib=m_cq / 2**20, corr_cxlib_mib=m_cc / 2**20,
                             max_diff_nps=diff_nps, max_diff_corr=diff_corr))
            print(f"{LABELS[name]:<17} NPS: query {t_q:6.3f}s cxlib {t_cx:6.3f}s ratio {t_cx / t_q:5.2f} "
                  f"(peak +{m_q / 2**20:5.0f} / +{m_cx / 2**20:5.0f} MiB)   corr: query {t_cq:6.3f}s "
                  f"cxlib {t_cc:6.3f}s ratio {t_cc / t_cq:5.2f} (peak +{m_cq / 2**20:5.0f} / +{m_cc / 2**20:5.0f} MiB)"
                  f"   max|diff| vs {LABELS[names[0]]} {diff_nps:.1e} / {diff_corr:.1e}", flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
