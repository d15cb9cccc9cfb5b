"""Grouped NPS with confidence intervals: cxlib vs naive pandas vs hand-written DuckDB SQL.

Synthetic responses (0–10 scores) over 50 segments × 8 quarters, with the grouping
columns either as pandas categoricals or as plain strings (object dtype). For each
variant the script times, in one run:

* ``cx.by_group(df, cx.nps, by=["segment", "quarter"])`` (one pass to counts on group
  codes, then vectorised statistics on the small table);
* naive pandas: ``groupby(...).apply`` calling ``cx.nps`` on each group's rows;
* DuckDB SQL on the registered pandas frame: counts → NPS, SE, Wald CI;
* the plain DuckDB query of issue 14 (``count(*), avg((ltr>=9)::double),
  avg((ltr<=6)::double) … group by all``: shares only, no intervals), the speed goal's
  baseline (cxlib ≤ 1.2× of it).

and checks that the three give the same numbers. Timings are the best of ``--repeat``
runs (naive: one run). DuckDB is a ``bench`` extra, not a cxlib dependency.

Usage::

    python benchmarks/bench_nps.py                 # 10M and 1M rows
    python benchmarks/bench_nps.py --rows 1000000  # quick run
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings

import numpy as np
import pandas as pd

import cxlib as cx

Z95 = 1.959963984540054

SQL = f"""
WITH counts AS (
    SELECT segment, quarter,
           count(*) FILTER (WHERE ltr >= 9) AS n_p,
           count(*) FILTER (WHERE ltr <= 6) AS n_d,
           count(ltr) AS n
    FROM responses
    GROUP BY segment, quarter
), shares AS (
    SELECT segment, quarter, n, n_p / n AS p_p, n_d / n AS p_d FROM counts
), est AS (
    SELECT segment, quarter, n, 100 * (p_p - p_d) AS nps,
           100 * sqrt(((p_p + p_d) - (p_p - p_d) ^ 2) / n) AS se
    FROM shares
)
SELECT segment, quarter, n, nps AS estimate, se AS std_err,
       greatest(nps - {Z95} * se, -100) AS ci_low, least(nps + {Z95} * se, 100) AS ci_high
FROM est ORDER BY segment, quarter
"""


PLAIN_SQL = ("select segment, quarter, count(*), avg((ltr>=9)::double), avg((ltr<=6)::double) "
             "from responses group by all")


def make_data(rows: int, seed: int = 20261124) -> pd.DataFrame:
    """Scores with a segment- and quarter-specific promoter/detractor mix."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, 50, rows)
    qtr = rng.integers(0, 8, rows)
    shift = (seg % 7 - 3 + (qtr % 4 - 1.5)).astype(np.float64) * 0.25
    ltr = np.clip(np.rint(rng.normal(7.2 + shift, 2.2)), 0, 10).astype(np.int8)
    seg_levels = np.array([f"segment_{i:02d}" for i in range(50)], dtype=object)
    q_levels = np.array([f"{2025 + i // 4}Q{i % 4 + 1}" for i in range(8)], dtype=object)
    return pd.DataFrame({
        "segment": pd.Categorical.from_codes(seg, categories=seg_levels),
        "quarter": pd.Categorical.from_codes(qtr, categories=q_levels),
        "ltr": ltr,
    })


def as_strings(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(segment=df["segment"].astype(object), quarter=df["quarter"].astype(object))


def run_cxlib(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        return cx.by_group(df, cx.nps, by=["segment", "quarter"])


def run_naive(df):
    def one(g):
        return pd.Series(dataclasses.asdict(cx.nps(g, score="ltr")))

    out = df.groupby(["segment", "quarter"], observed=True, sort=True)[["ltr"]].apply(one)
    return out.reset_index()


def run_duckdb(df, con, sql=SQL):
    con.register("responses", df)
    try:
        return con.sql(sql).df()
    finally:
        con.unregister("responses")


def best_of(func, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return min(times), out


def check_same(a, b, label):
    cols = ["estimate", "std_err", "ci_low", "ci_high"]
    a = a.sort_values(["segment", "quarter"]).reset_index(drop=True)
    b = b.sort_values(["segment", "quarter"]).reset_index(drop=True)
    assert len(a) == len(b), label
    assert (a["segment"].astype(str).to_numpy() == b["segment"].astype(str).to_numpy()).all(), label
    assert (a["n"].to_numpy() == b["n"].to_numpy()).all(), label
    worst = max(float(np.max(np.abs(a[c].to_numpy(float) - b[c].to_numpy(float)))) for c in cols)
    assert worst < 1e-9, (label, worst)
    return worst


def bench(rows: int, repeat: int, naive_max: int, con) -> list[dict]:
    base = make_data(rows)
    results = []
    for variant, df in (("categorical", base), ("string", as_strings(base))):
        t_cx, r_cx = best_of(lambda: run_cxlib(df), repeat)
        t_db, r_db = best_of(lambda: run_duckdb(df, con), repeat)
        t_plain, _ = best_of(lambda: run_duckdb(df, con, PLAIN_SQL), repeat)
        if rows <= naive_max:
            t_nv, r_nv = best_of(lambda: run_naive(df), 1)
            check_same(r_cx, r_nv, f"cxlib vs naive ({variant})")
        else:
            t_nv = float("nan")
        worst = check_same(r_cx, r_db, f"cxlib vs duckdb ({variant})")
        t_fac = float("nan")
        if variant == "string":
            t0 = time.perf_counter()
            pd.factorize(df["segment"], sort=True)
            pd.factorize(df["quarter"], sort=True)
            t_fac = time.perf_counter() - t0
        results.append(dict(rows=rows, grouping=variant, cxlib_s=t_cx, naive_s=t_nv, duckdb_s=t_db,
                            plain_s=t_plain, cxlib_vs_plain=t_cx / t_plain,
                            cxlib_vs_duckdb=t_cx / t_db, naive_vs_duckdb=t_nv / t_db,
                            factorize_s=t_fac, max_abs_diff=worst))
        print(f"{rows:>11,} rows  {variant:<11}  cxlib {t_cx:7.3f}s  naive {t_nv:7.3f}s  "
              f"duckdb {t_db:7.3f}s  plain query {t_plain:7.3f}s  cxlib/plain {t_cx / t_plain:5.2f}  "
              f"cxlib/duckdb {t_cx / t_db:5.2f}  naive/duckdb {t_nv / t_db:6.2f}  "
              f"(factorize both string keys {t_fac:.3f}s; max |diff| {worst:.1e})", flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=10_000_000,
                        help="skip the naive groupby-apply above this many rows")
    args = parser.parse_args(argv)
    import duckdb

    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(f"numpy {np.__version__}, pandas {pd.__version__}, duckdb {duckdb.__version__}, "
          f"duckdb threads {threads}")
    rows = []
    for n in args.rows:
        rows += bench(n, args.repeat, args.naive_max, con)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
