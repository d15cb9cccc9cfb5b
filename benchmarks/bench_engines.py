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

Usage::

    python benchmarks/bench_engines.py               # 10M rows (~2 min, ~4 GiB)
    python benchmarks/bench_engines.py --rows 1000000
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


def make_data(rows: int, seed: int = 20261201) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, 50, rows)
    qtr = rng.integers(0, 8, rows)
    base = rng.normal(0, 1, rows)
    ltr = np.clip(np.rint(7.0 + 1.8 * base + 0.1 * (seg % 7)), 0, 10)
    ltr[rng.random(rows) < 0.03] = np.nan
    df = pd.DataFrame({
        "segment": pd.Categorical.from_codes(seg, [f"segment_{i:02d}" for i in range(50)]),
        "quarter": pd.Categorical.from_codes(qtr, [f"{2025 + i // 4}Q{i % 4 + 1}" for i in range(8)]),
        "ltr": ltr,
        "w": rng.uniform(0.3, 3.0, rows),
    })
    for j, name in enumerate(DRIVERS):
        df[name] = np.clip(np.rint(3 + 0.8 * base * (0.3 + 0.15 * j) + rng.normal(0, 1, rows)), 1, 5)
    return df


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
    times (interleaved, so that load from other processes hits all of them alike)."""
    out = {k: [float("inf"), 0, None] for k in funcs}
    for _ in range(repeat):
        for key, func in funcs.items():
            with PeakRSS() as mem:
                t0 = time.perf_counter()
                result = func()
                elapsed = time.perf_counter() - t0
            best = out[key]
            out[key] = [min(best[0], elapsed), max(best[1], mem.extra), result]
    return out


def engines(df: pd.DataFrame, tmp: str):
    """(name, cxlib input, hand-written NPS query, hand-written correlation query)."""
    mem = duckdb.connect()
    mem.register("frame", df)
    yield "pandas", df, lambda: mem.sql(NPS_SQL.format(t="frame")).fetchall(), \
        lambda: mem.sql(CORR_SQL.format(t="frame")).fetchall()
    pdf = pl.from_pandas(df.assign(segment=df["segment"].astype(str), quarter=df["quarter"].astype(str))
                         ).with_columns(pl.col(COLS).cast(pl.Int8))  # scores as integers with nulls
    g = pl.col
    yield "polars", pdf, \
        lambda: pdf.lazy().filter(g("ltr").is_not_null()).group_by("segment", "quarter").agg(
            pl.len(), (g("ltr") >= 9).mean().alias("p"), (g("ltr") <= 6).mean().alias("d")).collect(), \
        lambda: pdf.lazy().filter(pl.all_horizontal([g(c).is_not_null() for c in COLS]) & (g("w") > 0)).select(
            [pl.len(), g("w").sum()] + [(g("w") * g(c)).sum().alias(f"s{c}") for c in COLS]
            + [(g("w") * g(a) * g(b)).sum().alias(f"s{a}{b}") for i, a in enumerate(COLS) for b in COLS[i:]]
        ).collect()
    mem.execute("create table responses as select segment::varchar as segment, quarter::varchar as quarter, w, "
                + ", ".join(f"{c}::tinyint as {c}" for c in COLS) + " from frame")  # integers with NULLs
    yield "duckdb (memory)", mem.table("responses"), lambda: mem.sql(NPS_SQL.format(t="responses")).fetchall(), \
        lambda: mem.sql(CORR_SQL.format(t="responses")).fetchall()
    mem.execute(f"attach '{os.path.join(tmp, 'study.duckdb')}' as ondisk")
    mem.execute("create table ondisk.responses as select * from responses")
    mem.execute("detach ondisk")
    disk = duckdb.connect(os.path.join(tmp, "study.duckdb"))
    yield "duckdb (disk)", disk.table("responses"), lambda: disk.sql(NPS_SQL.format(t="responses")).fetchall(), \
        lambda: disk.sql(CORR_SQL.format(t="responses")).fetchall()
    path = os.path.join(tmp, "responses.parquet")
    mem.execute(f"copy responses to '{path}' (format parquet)")
    pq = f"read_parquet('{path}')"
    yield "parquet (duckdb)", disk.read_parquet(path), lambda: disk.sql(NPS_SQL.format(t=pq)).fetchall(), \
        lambda: disk.sql(CORR_SQL.format(t=pq)).fetchall()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    threads = duckdb.sql("select current_setting('threads')").fetchall()[0][0]
    print(f"{args.rows:,} rows; pandas {pd.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__} "
          f"({threads} threads), narwhals {__import__('narwhals').__version__}", flush=True)
    df = make_data(args.rows)
    reference_nps = reference_corr = None
    rows = []
    warnings.simplefilter("ignore", cx.SmallBaseWarning)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, nps_query, corr_query in engines(df, tmp):
            res = race({
                "nps_query": nps_query,
                "nps_cxlib": lambda: cx.by_group(data, cx.nps, by=["segment", "quarter"]),
                "corr_query": corr_query,
                "corr_cxlib": lambda: cx.weighted_correlation(data, outcome="ltr", drivers=DRIVERS, weights="w"),
            }, args.repeat)
            (t_q, m_q, _), (t_cx, m_cx, table) = res["nps_query"], res["nps_cxlib"]
            (t_cq, m_cq, _), (t_cc, m_cc, corr) = res["corr_query"], res["corr_cxlib"]
            if reference_nps is None:
                reference_nps, reference_corr = table, corr
            diff_nps = float(np.max(np.abs(table["ci_low"].to_numpy(float) - reference_nps["ci_low"].to_numpy(float))))
            diff_corr = float(np.max(np.abs(corr.corr - reference_corr.corr)))
            rows.append(dict(engine=name, nps_query_s=t_q, nps_cxlib_s=t_cx, nps_ratio=t_cx / t_q,
                             nps_query_mib=m_q / 2**20, nps_cxlib_mib=m_cx / 2**20,
                             corr_query_s=t_cq, corr_cxlib_s=t_cc, corr_ratio=t_cc / t_cq,
                             corr_query_mib=m_cq / 2**20, corr_cxlib_mib=m_cc / 2**20,
                             max_diff_nps=diff_nps, max_diff_corr=diff_corr))
            print(f"{name:<17} NPS: query {t_q:6.3f}s cxlib {t_cx:6.3f}s ratio {t_cx / t_q:5.2f} "
                  f"(peak +{m_q / 2**20:5.0f} / +{m_cx / 2**20:5.0f} MiB)   corr: query {t_cq:6.3f}s "
                  f"cxlib {t_cc:6.3f}s ratio {t_cc / t_cq:5.2f} (peak +{m_cq / 2**20:5.0f} / +{m_cc / 2**20:5.0f} MiB)"
                  f"   max|diff| vs pandas {diff_nps:.1e} / {diff_corr:.1e}", flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
