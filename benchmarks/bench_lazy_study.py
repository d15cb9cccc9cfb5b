"""A study on a Parquet folder: analysed in place (``cx.open_study``, DuckDB) vs read into pandas.

The benchmark writes a Hive-partitioned Parquet folder (``region=…/``, 8 regions, several
files each) with DuckDB straight from SQL, so writing it needs no pandas copy: per row an
id, ``ltr`` 0–10 (about 3% the declared missing code 99, 3% blank), ``osat`` 1–5 and three
drivers 1–5 (0 = "not applicable"), a weight, a plan (3 levels) and a date over four
quarters; and a study file declaring the roles and scales. Then, for each size, two fresh
Python processes run the same analysis:

* **lazy**: ``cx.open_study(study)`` (the roles, missing codes and scale checks as engine
  expressions and counts), then weighted NPS, grouped NPS by region × quarter and the
  driver correlation matrix on the DuckDB relation (``handle.survey``);
* **pandas**: the folder read by the import's reader (``cx.read_survey(folder)``: every
  column, as ``cx.import_study`` reads it), the declared missing codes set missing as the
  import does, then the same three calls on the pandas frame. (``cx.import_study`` also
  validates and writes the dataset, so it needs at least this time and memory.)

Each process reports its wall time (from before ``import cxlib`` to the results) and its
**peak resident set size** (``VmHWM`` from ``/proc/self/status``: native memory of DuckDB
and pyarrow included, which tracemalloc does not see), and the RSS after the imports, so
the memory the analysis adds shows apart. The two paths' results are checked equal
(1e-9). The goal: the lazy path's memory bounded by the result size, not by the rows —
flat from the smallest size to the largest, while the pandas path grows with the rows.

Usage::

    python benchmarks/bench_lazy_study.py                       # 20M rows (about 1.3 GB on disk)
    python benchmarks/bench_lazy_study.py --rows 2e6,8e6        # the sizes recorded in the session
    python benchmarks/bench_lazy_study.py --rows 100e6 --lazy-only   # 100M rows: pandas would need ~30 GiB
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = """
[study]
title = "Lazy benchmark"
[sources.survey]
path = "answers"
[roles.survey]
date = "answered"
recommend = "ltr"
satisfaction = "osat"
drivers = ["d1", "d2", "d3"]
segments = ["region", "plan"]
weight = "w"
[scales.recommend]
points = [0, 10]
missing = [99]
[scales.satisfaction]
points = [1, 5]
[scales.drivers]
points = [1, 5]
missing = [0]
"""

WRITE_SQL = """
copy (
  select i as id,
         case when r1 < 0.03 then 99 when r1 < 0.06 then null
              else least(10, greatest(0, round(7 + 1.8 * z + 0.2 * (i % 5))))::tinyint end as ltr,
         least(5, greatest(1, round(3.6 + 0.9 * z)))::tinyint as osat,
         case when r2 < 0.05 then 0 else least(5, greatest(1, round(3.5 + 0.7 * z + 0.5 * (r2 - 0.5))))::tinyint end as d1,
         case when r3 < 0.05 then 0 else least(5, greatest(1, round(3.2 + 0.5 * z + r3)))::tinyint end as d2,
         least(5, greatest(1, round(3.0 + 0.3 * z + 2 * r1)))::tinyint as d3,
         0.3 + 2 * r3 as w,
         ['basic', 'plus', 'pro'][1 + (i % 3)] as plan,
         'region_' || (i % 8) as region,
         date '2025-01-01' + (i % 365)::integer as answered
  from (select i, random() as r1, random() as r2, random() as r3,
               sqrt(-2 * ln(random())) * cos(2 * pi() * random()) as z
        from range({rows}) t(i))
) to '{folder}' (format parquet, partition_by (region), file_size_bytes '64MB')
"""

DRIVERS = ["d1", "d2", "d3"]

#: The hand-written DuckDB queries the lazy calls are raced against (``--race``), over the
#: same files: the sums weighted NPS with its variance needs (counts, Σw and Σw² of the
#: promoters and the detractors), grouped by region and the date's quarter; the weighted sums
#: of the correlation matrix over the complete rows (codes 99 and 0 excluded as declared).
KEY = "region, year(answered) as y, quarter(answered) as q"
NPS_SQL = ("select {key}count(*), sum(w), sum(w * w), sum(w * (ltr >= 9)::double), sum(w * w * (ltr >= 9)::double), "
           "sum(w * (ltr <= 6)::double), sum(w * w * (ltr <= 6)::double) from {src} "
           "where ltr is not null and ltr <> 99{group}")
_CORR = ["osat", *DRIVERS]
CORR_SQL = ("select count(*), sum(w), " + ", ".join(f"sum(w * {c})" for c in _CORR) + ", "
            + ", ".join(f"sum(w * {a} * {b})" for i, a in enumerate(_CORR) for b in _CORR[i:])
            + " from {src} where " + " and ".join(f"{c} is not null" for c in _CORR)
            + " and " + " and ".join(f"{c} <> 0" for c in DRIVERS) + " and w > 0")

RUN = r'''
import json, sys, time, warnings
from bench_lazy_study import CORR_SQL, KEY, NPS_SQL
t0 = time.perf_counter()
import cxlib as cx

def rss(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
warnings.simplefilter("ignore")
base = rss("VmRSS")
t1 = time.perf_counter()
study, path = sys.argv[1], sys.argv[2]
if path == "lazy":
    handle = cx.open_study(study)
    data = handle.survey
else:
    import numpy as np
    data, _ = cx.read_survey(sys.argv[3])  # every column, as the import reads it
    data["ltr"] = data["ltr"].mask(data["ltr"] == 99)
    for d in ("d1", "d2", "d3"):
        data[d] = data[d].mask(data[d] == 0)
    data["quarter"] = cx.quarter_of(data["answered"])
nps = cx.nps(data, score="ltr", weights="w")
grouped = cx.by_group(data, cx.nps, by=["region", "quarter"], score="ltr", weights="w")
corr = cx.weighted_correlation(data, outcome="osat", drivers=["d1", "d2", "d3"], weights="w")
t2 = time.perf_counter()
race = {}
if path == "lazy" and len(sys.argv) > 4:  # each call against the hand-written query over the same files
    import duckdb
    con = duckdb.connect()
    src = "read_parquet('" + sys.argv[3] + "/*/*.parquet', hive_partitioning = true)"
    calls = {
        "nps": (lambda: cx.nps(data, score="ltr", weights="w"),
                lambda: con.sql(NPS_SQL.format(src=src, key="", group="")).fetchall()),
        "grouped": (lambda: cx.by_group(data, cx.nps, by=["region", "quarter"], score="ltr", weights="w"),
                    lambda: con.sql(NPS_SQL.format(src=src, key=KEY + ", ", group=" group by all")).fetchall()),
        "corr": (lambda: cx.weighted_correlation(data, outcome="osat", drivers=["d1", "d2", "d3"], weights="w"),
                 lambda: con.sql(CORR_SQL.format(src=src)).fetchall()),
    }
    best = {k: [float("inf"), float("inf")] for k in calls}
    for r in range(int(sys.argv[4])):  # alternate which runs first
        for k, pair in calls.items():
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                s = time.perf_counter()
                pair[i]()
                best[k][i] = min(best[k][i], time.perf_counter() - s)
    race = {k: {"cxlib": v[0], "query": v[1]} for k, v in best.items()}
print(json.dumps({"wall": t2 - t0, "analysis": t2 - t1, "peak": rss("VmHWM"), "base": base,
                  "nps": nps.estimate, "n": nps.n, "grouped": grouped["estimate"].tolist(),
                  "corr": corr.corr.ravel().tolist(), "corr_n": corr.n, "race": race}))
'''


def write_folder(root: Path, rows: int) -> tuple[Path, float, int]:
    """The Parquet folder and the study file; seconds taken and bytes on disk."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("select setseed(0.2026)")
    con.execute(WRITE_SQL.format(rows=rows, folder=root / "answers"))
    con.close()
    (root / "study.toml").write_text(STUDY)
    size = sum(f.stat().st_size for f in (root / "answers").rglob("*.parquet"))
    return root / "study.toml", time.perf_counter() - start, size


def run(study: Path, path: str, race: int = 0) -> dict:
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here.parent), str(here)])}
    proc = subprocess.run([sys.executable, "-c", RUN, str(study), path, str(study.parent / "answers")]
                          + ([str(race)] if race else []), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["killed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same(a: dict, b: dict, tol: float = 1e-9) -> bool:
    import numpy as np

    return (a["n"] == b["n"] and a["corr_n"] == b["corr_n"] and abs(a["nps"] - b["nps"]) <= tol
            and np.allclose(a["grouped"], b["grouped"], rtol=0, atol=tol)
            and np.allclose(a["corr"], b["corr"], rtol=0, atol=tol))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="20e6", help="comma-separated sizes, e.g. 2e6,8e6 (default 20e6)")
    parser.add_argument("--lazy-only", action="store_true", help="skip the pandas path (for sizes beyond RAM)")
    parser.add_argument("--dir", default=None, help="where to write the folders (default: a temporary directory)")
    parser.add_argument("--race", type=int, default=3, metavar="K",
                        help="in the lazy process, race each call against the hand-written DuckDB query over the "
                             "same files, best of K, alternating which runs first (0: skip; default 3)")
    args = parser.parse_args()
    sizes = [int(float(r)) for r in args.rows.split(",")]
    mib = 1024 ** 2
    print(f"{'rows':>12} {'path':>7} {'wall s':>8} {'analysis s':>11} {'peak RSS MiB':>13} {'after imports':>14} "
          f"{'added MiB':>10}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for rows in sizes:
            root = Path(tmp) / f"rows_{rows}"
            root.mkdir()
            study, seconds, size = write_folder(root, rows)
            files = len(list((root / "answers").rglob("*.parquet")))
            print(f"# {rows:,} rows: {files} Parquet files, {size / mib:,.0f} MiB, written in {seconds:.1f} s")
            results = {}
            for path in ("lazy",) + (() if args.lazy_only else ("pandas",)):
                r = results[path] = run(study, path, args.race if path == "lazy" else 0)
                if "error" in r:
                    print(f"{rows:>12,} {path:>7}  failed: {r['error']}")
                    continue
                print(f"{rows:>12,} {path:>7} {r['wall']:>8.2f} {r['analysis']:>11.2f} {r['peak'] / mib:>13,.0f} "
                      f"{r['base'] / mib:>14,.0f} {(r['peak'] - r['base']) / mib:>10,.0f}")
            for call, t in results["lazy"].get("race", {}).items():
                print(f"# lazy {call:<8} cxlib {t['cxlib']:.3f} s, hand-written DuckDB query {t['query']:.3f} s: "
                      f"ratio {t['cxlib'] / t['query']:.2f}")
            if all("error" not in r for r in results.values()) and len(results) == 2:
                print(f"# results equal (1e-9): {same(results['lazy'], results['pandas'])}; NPS "
                      f"{results['lazy']['nps']:.4f} on n = {results['lazy']['n']:,}")


if __name__ == "__main__":
    main()
