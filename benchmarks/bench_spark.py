"""The metric core on PySpark (local mode) vs the same aggregation written in Spark SQL (issue 14).

The rows of ``bench_engines.py`` (0–10 ``ltr`` with 3% missing, five 1–5 drivers, weights,
50 segments × 8 quarters), written chunk by chunk to a Parquet file in a temporary folder
(text keys, 8-bit integer scores with nulls) and read by Spark, in one run:

* **grouped NPS**: ``cx.by_group(sdf, cx.nps, by=["segment", "quarter"])`` vs the Spark SQL
  query ``count(*), avg(cast(ltr >= 9 as double)), avg(cast(ltr <= 6 as double)) … group by
  segment, quarter``;
* **driver correlation matrix**: ``cx.weighted_correlation(sdf, outcome="ltr", drivers=[5],
  weights="w")`` vs the hand-written ``count(*), Σw, Σw·z, Σw·z·zᵀ … where <complete>``.

Each cell is the best of ``--repeat`` runs, cxlib and the query in turn. The number of Spark
jobs each call starts is counted (with adaptive execution, on by default, an aggregation
runs as two: the partial aggregation over the rows, then the final one; a small fetch such
as a limit is one). Memory: the peak growth of the
resident set of the Python process and of the JVM (the driver, which runs the executors in
local mode); a JVM keeps the heap it has grown, so its figure is a high-water mark. The
results are checked against the hand-written queries: NPS = share of promoters − share of
detractors per group, and the correlation matrix computed with numpy from the query's sums.
``--explain`` prints Spark's physical plan of cxlib's grouped NPS aggregation.

Usage (PySpark and Java 17; two cores)::

    python benchmarks/bench_spark.py                  # 10M rows (~5 min)
    python benchmarks/bench_spark.py --rows 1000000 --repeat 2 --explain
    python benchmarks/bench_spark.py --cxlib-first    # cxlib before the query in each pair
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import cxlib as cx
from bench_engines import COLS, DRIVERS, make_chunks

NPS_SQL = ("select segment, quarter, count(*) as n, avg(cast(ltr >= 9 as double)) as p, "
           "avg(cast(ltr <= 6 as double)) as d from responses where ltr is not null group by segment, quarter")
_complete = " and ".join(f"{c} is not null" for c in COLS)
CORR_SQL = ("select count(*) as n, sum(w) as sw, " + ", ".join(f"sum(w * {c}) as s_{c}" for c in COLS) + ", "
            + ", ".join(f"sum(w * {a} * {b}) as s_{a}_{b}" for i, a in enumerate(COLS) for b in COLS[i:])
            + f" from responses where {_complete} and w > 0")


def write_parquet(path: str, rows: int) -> None:
    """The synthetic rows as one Parquet file, written chunk by chunk."""
    writer = None
    for chunk in make_chunks(rows):
        table = pa.table({
            "segment": pa.array(chunk["segment"].astype(str).to_numpy(), pa.string()),
            "quarter": pa.array(chunk["quarter"].astype(str).to_numpy(), pa.string()),
            "w": pa.array(chunk["w"].to_numpy()),
            **{c: pa.array(chunk[c].to_numpy(), pa.int8(), from_pandas=True) for c in COLS},
        })
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
    writer.close()


class PeakRSS:
    """Peak growth of the resident set (bytes) of this process and of its child processes
    (the JVM), sampled every 5 ms from /proc (Linux)."""

    def __init__(self, jvm: int):
        self.pids = {"python": os.getpid(), "jvm": jvm}

    def _rss(self) -> dict:
        out = {}
        for key, pid in self.pids.items():
            with open(f"/proc/{pid}/statm") as f:
                out[key] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return out

    def __enter__(self):
        self.start = self._rss()
        self.peak = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = {k: max(v, self.peak[k]) for k, v in self._rss().items()}
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.extra = {k: max(self.peak[k], v) - self.start[k] for k, v in self._rss().items()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def race(spark, funcs: dict, repeat: int, jvm) -> dict:
    """Best time, least JVM CPU time (steadier than wall time on a loaded machine), peak memory
    (python, JVM), Spark jobs and last result of each function."""
    tracker = spark.sparkContext.statusTracker()
    out = {k: dict(s=float("inf"), cpu=float("inf"), python=0, jvm=0, jobs=0, result=None) for k in funcs}
    for r in range(repeat):
        for key, func in funcs.items():
            group = f"{key}-{r}"
            spark.sparkContext.setJobGroup(group, key)
            with PeakRSS(jvm) as mem:
                c0 = cpu_seconds(jvm)
                t0 = time.perf_counter()
                result = func()
                elapsed = time.perf_counter() - t0
                cpu = cpu_seconds(jvm) - c0
            o = out[key]
            o.update(s=min(o["s"], elapsed), cpu=min(o["cpu"], cpu), python=max(o["python"], mem.extra["python"]),
                     jvm=max(o["jvm"], mem.extra["jvm"]), jobs=len(tracker.getJobIdsForGroup(group)),
                     result=result)
    spark.sparkContext.setJobGroup("other", "other")
    return out


def corr_from_sums(row) -> np.ndarray:
    """The weighted correlation matrix from the hand-written query's raw sums."""
    q = len(COLS)
    sw = row["sw"]
    mean = np.array([row[f"s_{c}"] for c in COLS]) / sw
    m2 = np.empty((q, q))
    for i, a in enumerate(COLS):
        for j in range(i, q):
            m2[i, j] = m2[j, i] = row[f"s_{a}_{COLS[j]}"] / sw
    cov = m2 - np.outer(mean, mean)
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def explain_nps(sdf) -> None:
    """Spark's physical plan of cxlib's grouped NPS aggregation (private helpers: a diagnosis)."""
    import narwhals as nw

    from cxlib import engines

    spec = engines._spec(sdf, "nps", {})
    frame, aggs = engines._score_columns(engines._frame(sdf), spec)
    exprs = [nw.len().alias("_cx_rows")] + [v.alias(k) for k, v in aggs.items()]
    frame.group_by(["segment", "quarter"]).agg(*exprs).to_native().explain()
    print("hand-written:")
    sdf.sparkSession.sql(NPS_SQL).explain()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--cxlib-first", action="store_true", help="run cxlib before the query in each pair")
    args = parser.parse_args(argv)
    from pyspark import __version__ as spark_version
    from pyspark.sql import SparkSession

    warnings.simplefilter("ignore", cx.SmallBaseWarning)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "responses.parquet")
        t0 = time.perf_counter()
        write_parquet(path, args.rows)
        print(f"wrote {args.rows:,} rows to Parquet ({os.path.getsize(path) / 2**20:,.0f} MiB) in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        t0 = time.perf_counter()
        spark = (SparkSession.builder.master(args.master).appName("cxlib-bench")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.shuffle.partitions", str(args.shuffle_partitions)).getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        jvm = spark.sparkContext._gateway.proc.pid  # the driver JVM (runs the executors in local mode)
        sdf = spark.read.parquet(path)
        sdf.createOrReplaceTempView("responses")
        print(f"PySpark {spark_version} ({args.master}, {args.shuffle_partitions} shuffle partitions), session in "
              f"{time.perf_counter() - t0:.1f} s; narwhals {__import__('narwhals').__version__}", flush=True)
        if args.explain:
            explain_nps(sdf)
        funcs = {
            "nps_query": lambda: spark.sql(NPS_SQL).toPandas(),
            "nps_cxlib": lambda: cx.by_group(sdf, cx.nps, by=["segment", "quarter"]),
            "corr_query": lambda: spark.sql(CORR_SQL).toPandas(),
            "corr_cxlib": lambda: cx.weighted_correlation(sdf, outcome="ltr", drivers=DRIVERS, weights="w"),
        }
        if args.cxlib_first:  # the other order within each pair (a run of each order evens out warm-up)
            funcs = {k: funcs[k] for k in ("nps_cxlib", "nps_query", "corr_cxlib", "corr_query")}
        res = race(spark, funcs, args.repeat, jvm)
        spark.stop()
    q = res["nps_query"]["result"].sort_values(["segment", "quarter"]).reset_index(drop=True)
    table = res["nps_cxlib"]["result"]
    diff_nps = float(np.max(np.abs(100 * (q["p"] - q["d"]).to_numpy() - table["estimate"].to_numpy(float))))
    assert (q["n"].to_numpy() == table["n"].to_numpy()).all()
    diff_corr = float(np.max(np.abs(corr_from_sums(res["corr_query"]["result"].iloc[0])
                                    - res["corr_cxlib"]["result"].corr)))
    lines = []
    for what in ("nps", "corr"):
        a, b = res[f"{what}_query"], res[f"{what}_cxlib"]
        lines.append(dict(workload=what, query_s=a["s"], cxlib_s=b["s"], ratio=b["s"] / a["s"],
                          query_jvm_cpu_s=a["cpu"], cxlib_jvm_cpu_s=b["cpu"], cpu_ratio=b["cpu"] / a["cpu"],
                          query_jobs=a["jobs"], cxlib_jobs=b["jobs"],
                          query_python_mib=a["python"] / 2**20, cxlib_python_mib=b["python"] / 2**20,
                          query_jvm_mib=a["jvm"] / 2**20, cxlib_jvm_mib=b["jvm"] / 2**20))
    print(pd.DataFrame(lines).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    print(f"max |diff| vs the hand-written queries: NPS {diff_nps:.1e} (points), correlation {diff_corr:.1e}")


if __name__ == "__main__":
    main()
