"""Journeys from an event log: ``cx.journeys`` vs the same computation in DuckDB SQL.

A synthetic event log of ``--events`` rows (default 10 million) from ``--events / 10``
customers, in time order (as logs are written): each customer has 1 + Poisson(2) visits
spread over a year, each visit 1 + Poisson(2.33) steps drawn from a Markov chain over
eight touchpoints, minutes to hours apart, on five channels. Both engines cut journeys at
a 7-day inactivity gap and return one row per journey with customer, start, end,
duration, number of steps, number of distinct channels, the path (steps joined by
``" > "``) and the outcome (goal = renewal, failure = cancellation, by the last outcome
step), in one run:

* **cxlib**: ``cx.journeys(events, channel="channel", gap="7D", ...)`` (a sort, shifts and
  cumulative sums in numpy; paths as a trie of step codes);
* **DuckDB**: hand-written SQL with window functions (``lag`` for the gap, a running
  ``sum`` for the journey number, ``string_agg(... ORDER BY ...)`` for the path) over the
  same pandas frame, the result fetched as a pandas frame.

Each engine runs in a forked child process (so one cannot warm the other's memory);
the script reports seconds (best of ``--repeat``), seconds per million events, the peak
resident memory the child added above the parent's (``ru_maxrss``), the peak Python/numpy
allocation of cxlib (``tracemalloc``), the ratio cxlib / DuckDB, and checks that both
give the same journeys (count, and per journey customer, start, steps, channels and path).

Usage::

    python benchmarks/bench_journeys.py                   # 10 million events (several minutes)
    python benchmarks/bench_journeys.py --events 1000000  # quick run
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

import cxlib as cx

STEPS = np.array(["account_created", "login", "feature_use", "invoice", "ticket_opened",
                  "ticket_resolved", "renewal", "cancellation"], dtype=object)
CHANNELS = np.array(["app", "chat", "email", "phone", "web"], dtype=object)
# preferred channel of each step (80 %), else any channel
PREFERRED = np.array([4, 0, 0, 2, 1, 1, 2, 4])
FIRST = np.array([0.04, 0.40, 0.20, 0.20, 0.10, 0.0, 0.04, 0.02])
TRANSITION = np.array([  # from row step to column step
    [0.00, 0.60, 0.30, 0.00, 0.10, 0.00, 0.00, 0.00],
    [0.00, 0.20, 0.55, 0.10, 0.10, 0.00, 0.03, 0.02],
    [0.00, 0.30, 0.40, 0.10, 0.15, 0.00, 0.03, 0.02],
    [0.00, 0.50, 0.20, 0.00, 0.20, 0.00, 0.05, 0.05],
    [0.00, 0.05, 0.05, 0.00, 0.20, 0.65, 0.00, 0.05],
    [0.00, 0.50, 0.30, 0.05, 0.10, 0.00, 0.03, 0.02],
    [0.00, 0.60, 0.30, 0.10, 0.00, 0.00, 0.00, 0.00],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00],
])
GOAL, FAILURE = ["renewal"], ["cancellation"]


def make_events(n_events: int, seed: int = 20261201) -> pd.DataFrame:
    """About ``n_events`` events from ``n_events // 10`` customers, sorted by time."""
    rng = np.random.default_rng(seed)
    n_customers = max(1, n_events // 10)
    visits = 1 + rng.poisson(2.0, n_customers)
    vcust = np.repeat(np.arange(n_customers), visits)
    length = 1 + rng.poisson(2.33, len(vcust))
    vstart = rng.integers(0, 365 * 86_400, len(vcust)).astype(np.int64) * 10 ** 9
    ecust = np.repeat(vcust, length)
    first = np.r_[0, np.cumsum(length)[:-1]]
    pos = np.arange(len(ecust)) - np.repeat(first, length)
    step = np.empty(len(ecust), dtype=np.int64)
    cdf_first, cdf = np.cumsum(FIRST), np.cumsum(TRANSITION, axis=1)
    step[first] = np.searchsorted(cdf_first, rng.random(len(first)) * cdf_first[-1])
    for k in range(1, int(length.max())):
        idx = first[length > k] + k
        u = rng.random(len(idx))[:, None]
        step[idx] = np.minimum((u > cdf[step[idx - 1]]).sum(axis=1), len(STEPS) - 1)
    gaps = (rng.exponential(2 * 3600, len(ecust)) * 10 ** 9).astype(np.int64)
    gaps[pos == 0] = 0
    t = np.repeat(vstart, length) + np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], length)
    t += np.datetime64("2025-01-01", "ns").astype(np.int64)
    channel = np.where(rng.random(len(ecust)) < 0.8, PREFERRED[step], rng.integers(0, 5, len(ecust)))
    order = np.argsort(t, kind="stable")
    return pd.DataFrame({
        "customer_id": (ecust[order] + 1_000_001).astype(np.int64),
        "timestamp": t[order].view("datetime64[ns]"),
        "touchpoint": STEPS[step[order]],
        "channel": CHANNELS[channel[order]],
    })


def run_cxlib(events: pd.DataFrame) -> pd.DataFrame:
    return cx.journeys(events, channel="channel", gap="7D", goal_steps=GOAL, failure_steps=FAILURE).table


SQL = """
WITH e AS (
  SELECT customer_id, timestamp, touchpoint, channel, seq,
         CASE WHEN lag(timestamp) OVER w IS NULL
                OR timestamp - lag(timestamp) OVER w > INTERVAL 7 DAY THEN 1 ELSE 0 END AS new_journey
  FROM events WINDOW w AS (PARTITION BY customer_id ORDER BY timestamp, seq)
), g AS (
  SELECT *, sum(new_journey) OVER (PARTITION BY customer_id ORDER BY timestamp, seq
                                   ROWS UNBOUNDED PRECEDING) AS k
  FROM e
)
SELECT customer_id, k, min(timestamp) AS start, max(timestamp) AS "end",
       max(timestamp) - min(timestamp) AS duration, count(*) AS n_steps,
       count(DISTINCT channel) AS n_channels,
       string_agg(touchpoint, ' > ' ORDER BY timestamp, seq) AS path,
       CASE arg_max(CASE WHEN touchpoint IN ('renewal') THEN 'goal'
                         WHEN touchpoint IN ('cancellation') THEN 'failure' END,
                    CASE WHEN touchpoint IN ('renewal', 'cancellation') THEN seq END)
            WHEN 'goal' THEN 'goal' WHEN 'failure' THEN 'failure' ELSE 'open' END AS outcome
FROM g GROUP BY customer_id, k
ORDER BY customer_id, k
"""


def run_duckdb(events: pd.DataFrame) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    frame = events.assign(seq=np.arange(len(events)))  # input order breaks ties, as in cxlib
    con.register("events", frame)
    return con.execute(SQL).df()


def _child(name: str, events: pd.DataFrame, repeat: int, queue: mp.Queue) -> None:
    try:
        queue.put(_timed(name, events, repeat))
    except Exception as exc:  # noqa: BLE001 - report it to the parent instead of leaving it waiting
        queue.put(exc)


def _timed(name: str, events: pd.DataFrame, repeat: int) -> tuple:
    fn = run_cxlib if name == "cxlib" else run_duckdb
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(events)
        best = min(best, time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    traced = np.nan
    if name == "cxlib":
        tracemalloc.start()
        fn(events)
        traced = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    keep = ["customer_id", "start", "n_steps", "n_channels", "path", "outcome"]
    out = out[keep].assign(path=out["path"].astype(str), outcome=out["outcome"].astype(str))
    return best, rss / 1024, traced, out


def measure(name: str, events: pd.DataFrame, repeat: int) -> tuple[float, float, float, pd.DataFrame]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, events, repeat, queue))
    proc.start()
    result = queue.get()
    proc.join()
    if isinstance(result, BaseException):
        raise result
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    events = make_events(args.events)
    print(f"events {len(events):,}, customers {events['customer_id'].nunique():,} "
          f"(generated in {time.perf_counter() - t0:.1f} s)")
    rows = {}
    for name in ("cxlib", "duckdb"):
        rows[name] = measure(name, events, args.repeat)
    a, b = rows["cxlib"][3], rows["duckdb"][3]
    b = b.assign(start=pd.to_datetime(b["start"]).astype("datetime64[ns]"))
    same = len(a) == len(b) and all(
        np.array_equal(a[c].to_numpy(), b[c].to_numpy()) for c in ("customer_id", "start", "n_steps", "n_channels",
                                                                     "path", "outcome"))
    per_m = len(events) / 1e6
    print(f"journeys {len(a):,}; distinct paths {a['path'].nunique():,}; identical results: {same}")
    print("engine | seconds | s per 1M events | peak RSS added (MiB) | tracemalloc peak (MiB)")
    for name, (sec, rss, traced, _) in rows.items():
        print(f"{name} | {sec:.2f} | {sec / per_m:.3f} | {rss:,.0f} | {traced:,.0f}")
    print(f"ratio cxlib / DuckDB: {rows['cxlib'][0] / rows['duckdb'][0]:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
