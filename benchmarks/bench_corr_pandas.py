"""Benchmark: the driver correlation matrix of a large pandas frame vs DuckDB's own query over it.

``cx.weighted_correlation(df, outcome="ltr", drivers=[5 drivers], weights="w")`` on the
rows of ``bench_engines.py`` (0–10 ``ltr`` with 3% missing, five 1–5 drivers as float
columns, weights), three ways, interleaved, best of ``--repeat``:

* **cxlib** — the one-pass block reduction of a pandas frame (issue 14);
* **cxlib, DuckDB hand-off** — what cxlib did before: the frame scanned by DuckDB in place
  with cxlib's generated query (checks, NaN/infinity flags, sums grouped by completeness);
* **query** — the hand-written ``count(*), Σw, Σw·z, Σw·z·zᵀ … where <complete>`` in DuckDB
  SQL over the same frame (the baseline of the issue's 1.2× goal).

Prints times, ratios to the query and the largest difference between the three matrices.

Rerun::

    .venv/bin/python benchmarks/bench_corr_pandas.py                   # 10M rows, about 1 minute
    .venv/bin/python benchmarks/bench_corr_pandas.py --rows 3000000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engines import CORR_SQL, DRIVERS, make_data

import cxlib as cx

COLS = ["ltr", *DRIVERS]


def corr_from_sums(row: tuple) -> np.ndarray:
    """The correlation matrix from the hand-written query's sums."""
    q = len(COLS)
    sw, s1 = row[1], np.array(row[2 : 2 + q])
    s2 = np.zeros((q, q))
    k = 2 + q
    for i in range(q):
        for j in range(i, q):
            s2[i, j] = s2[j, i] = row[k]
            k += 1
    m = s1 / sw
    cov = s2 / sw - np.outer(m, m)
    d = np.sqrt(np.diag(cov))
    return cov / np.outer(d, d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    df = make_data(args.rows)
    con = duckdb.connect()
    con.register("frame", df)
    funcs = {
        "cxlib": lambda: cx.weighted_correlation(df, outcome="ltr", drivers=DRIVERS, weights="w").corr,
        "cxlib_duckdb_handoff": lambda: cx.weighted_correlation(
            duckdb.connect().from_df(df), outcome="ltr", drivers=DRIVERS, weights="w").corr,
        "query": lambda: corr_from_sums(con.sql(CORR_SQL.format(t="frame")).fetchall()[0]),
    }
    best = {k: float("inf") for k in funcs}
    out = {}
    for _ in range(args.repeat):
        for key, fn in funcs.items():
            t = time.perf_counter()
            out[key] = fn()
            best[key] = min(best[key], time.perf_counter() - t)
    threads = con.sql("select current_setting('threads')").fetchall()[0][0]
    print(json.dumps({
        "rows": args.rows, "duckdb_threads": threads, **{f"{k}_s": round(v, 3) for k, v in best.items()},
        "cxlib_vs_query": round(best["cxlib"] / best["query"], 2),
        "handoff_vs_query": round(best["cxlib_duckdb_handoff"] / best["query"], 2),
        "max_abs_diff_vs_query": float(np.max(np.abs(out["cxlib"] - out["query"]))),
        "max_abs_diff_vs_handoff": float(np.max(np.abs(out["cxlib"] - out["cxlib_duckdb_handoff"]))),
    }))


if __name__ == "__main__":
    main()
