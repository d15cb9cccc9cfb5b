"""A 30-question × 12-column weighted banner table: cxlib vs pandas ``crosstab`` (counts alone).

Synthetic survey of ``--rows`` respondents (default 100,000) with survey weights:

* 28 rating questions (1–5, about 3% missing), each shown as column % of the five
  points, top-2 and bottom-2 nets and the mean; one 0–10 question as NPS; one
  single-choice question with six text options — 30 questions, 231 table rows;
* a banner of three variables side by side — region (4), plan (3), age band (5) — 12
  columns plus Total.

Timed in one run (best of ``--repeat``):

* **cxlib**: ``cx.crosstab(...)`` — everything: per-cell estimates, intervals on the Kish
  effective base, every pairwise test within each banner variable (column-proportion
  z-tests, Welch t-tests, the two-NPS test), the BH correction per row and the letters;
* **pandas counts**: ``pd.crosstab(df[q], df[b])`` for every question and banner variable
  (90 calls), the unweighted counts alone, no Total, percentages or tests;
* **pandas weighted sums**: the same with ``values=weight, aggfunc="sum"``, the weighted
  counts a weighted banner needs.

The script checks that cxlib's weighted column percentages equal pandas' (normalised
weighted crosstab) for every level of every question and banner column.

Usage::

    python benchmarks/bench_crosstab.py              # 100,000 respondents
    python benchmarks/bench_crosstab.py --rows 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import cxlib as cx
from cxlib.crosstab import Crosstab

RATINGS = [f"q{i:02d}" for i in range(1, 29)]
BANNER = ["region", "plan", "age_band"]


def make_data(rows: int, seed: int = 20261125) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.integers(0, 4, rows)
    plan = rng.integers(0, 3, rows)
    age = rng.integers(0, 5, rows)
    shift = 0.15 * (region - 1.5) + 0.1 * (plan - 1) - 0.05 * (age - 2)
    data = {
        "region": pd.Categorical.from_codes(region, ["north", "south", "east", "west"]),
        "plan": pd.Categorical.from_codes(plan, ["basic", "standard", "premium"]),
        "age_band": pd.Categorical.from_codes(age, ["18-24", "25-34", "35-44", "45-54", "55+"]),
        "weight": rng.lognormal(0.0, 0.5, rows),
    }
    for q in RATINGS:
        x = np.clip(np.rint(rng.normal(3.7 + shift, 1.1)), 1, 5)
        x[rng.random(rows) < 0.03] = np.nan
        data[q] = pd.array(x, dtype="Int64")
    data["ltr"] = pd.array(np.clip(np.rint(rng.normal(7.3 + 2 * shift, 2.1)), 0, 10).astype(int), dtype="Int64")
    data["channel"] = np.array(["app", "web", "phone", "chat", "email", "store"], dtype=object)[
        rng.integers(0, 6, rows)]
    return pd.DataFrame(data)


def run_cxlib(df: pd.DataFrame) -> Crosstab:
    stat = {q: ["column %", "mean"] for q in RATINGS} | {"ltr": "nps"}
    nets = {q: {"top-2": (4, 5), "bottom-2": (1, 2)} for q in RATINGS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        return cx.crosstab(df, RATINGS + ["ltr", "channel"], BANNER, weights="weight", stat=stat, nets=nets,
                           scale={q: (1, 5) for q in RATINGS})


def run_pandas_counts(df: pd.DataFrame) -> list[pd.DataFrame]:
    return [pd.crosstab(df[q], df[b]) for q in RATINGS + ["ltr", "channel"] for b in BANNER]


def run_pandas_weighted(df: pd.DataFrame) -> list[pd.DataFrame]:
    return [pd.crosstab(df[q], df[b], values=df["weight"], aggfunc="sum")
            for q in RATINGS + ["ltr", "channel"] for b in BANNER]


def best(fn, df: pd.DataFrame, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(df)
        times.append(time.perf_counter() - t0)
    return min(times), out


def check(ct, weighted: list[pd.DataFrame]) -> float:
    """Largest |cxlib − pandas| over every column % of every level and banner column."""
    t = ct.table[(ct.table["stat"] == "column %") & ~ct.table["net"] & (ct.table["banner"] != "Total")]
    worst, k = 0.0, 0
    for q in RATINGS + ["ltr", "channel"]:
        for b in BANNER:
            ref = weighted[k].div(weighted[k].sum(axis=0), axis=1) * 100
            k += 1
            if q == "ltr":
                continue  # shown as NPS, not as column %
            got = t[(t["question"] == q) & (t["banner"] == b)].pivot(index="level", columns="column", values="estimate")
            ref.index = [int(i) if isinstance(i, (int, np.integer)) else i for i in ref.index]
            got = got.loc[ref.index, list(ref.columns)]
            worst = max(worst, float(np.nanmax(np.abs(got.to_numpy(dtype=float) - ref.to_numpy(dtype=float)))))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = make_data(args.rows)
    t_cx, ct = best(run_cxlib, df, args.repeat)
    t_counts, _ = best(run_pandas_counts, df, args.repeat)
    t_weighted, weighted = best(run_pandas_weighted, df, args.repeat)
    n_rows = ct.table.groupby(["question", "stat", "level"], sort=False).ngroups
    print(f"respondents: {args.rows:,}; questions: {len(ct.rows)}; table rows: {n_rows}; "
          f"banner columns: {len(ct.banner) - 1} + Total; cells: {len(ct.table):,}; pair tests: {len(ct.tests):,}")
    print(f"max |cxlib - pandas| weighted column %: {check(ct, weighted):.2e} points")
    print(f"cxlib crosstab (everything, weighted):      {t_cx:8.3f} s")
    print(f"pandas crosstab, counts alone (90 calls):   {t_counts:8.3f} s   cxlib / pandas = {t_cx / t_counts:.2f}")
    print(f"pandas crosstab, weighted sums (90 calls):  {t_weighted:8.3f} s   cxlib / pandas = {t_cx / t_weighted:.2f}")


if __name__ == "__main__":
    main()
