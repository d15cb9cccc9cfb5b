"""Revenue at risk: the bootstrap's Newton refits vs lifelines refits, in one run.

Notebook 03's set-up on synthetic data (``cx.synthesize(seed, n_customers=...)``): a Cox
model of churn after the first survey response (NPS group + plan) fitted on every surveyed
customer, applied to the customers still active at the end of the quarter by their latest
NPS group, by plan × NPS group, with the fit data resampled independently
(``fit_data=``). The same call is timed with ``refit="newton"`` (default) at ``--n-boot``
resamples and with ``refit="lifelines"`` (a full :func:`cx.churn_drivers` refit per
resample, the previous behaviour) at ``--old-boot`` resamples, whose time per resample is
extrapolated to ``--n-boot``. Both are also run at ``--old-boot`` resamples with the same
seed to compare the figures (they should agree to lifelines' stopping tolerance).

Usage::

    python benchmarks/bench_value.py                       # ~25,000 surveyed customers
    python benchmarks/bench_value.py --customers 20000 --n-boot 50 --old-boot 2
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

import cxlib as cx


def setup(n_customers: int, seed: int = 0):
    """The model, its fit table and the active customers, as notebook 03 builds them."""
    data = cx.synthesize(seed, n_customers=n_customers)
    survey, _ = cx.drop_duplicate_responses(data.survey)
    data = dataclasses.replace(data, survey=survey)
    quarter = cx.latest_quarter(data)
    as_of = cx.quarter_bounds(quarter)[1]
    survey = data.survey[data.survey["quarter"] <= quarter].sort_values("response_date")
    first = survey.drop_duplicates("customer_id")
    table = cx.churn_table(data.customers, first.drop(columns=["country", "plan"]), as_of=as_of)
    latest = survey.drop_duplicates("customer_id", keep="last")
    current = cx.churn_table(data.customers, latest.drop(columns=["country", "plan"]), as_of=as_of).data
    current = current.loc[current["event"] == 0]
    model = cx.churn_drivers(table, covariates=["nps_group", "plan"], horizon=None, reference={"plan": "standard"})
    return model, table, current


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=46_000, help="customers synthesised (≈55%% surveyed)")
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--old-boot", type=int, default=3, help="resamples timed with lifelines refits")
    args = parser.parse_args()
    model, table, current = setup(args.customers)
    print(f"{len(table):,} surveyed customers ({model.n_events:,} churned), {len(current):,} active; "
          f"horizon 12, by plan × NPS group")

    def run(n_boot, refit):
        return cx.revenue_at_risk(current, model=model, fit_data=table, by=["plan", "nps_group"], horizon=12,
                                  n_boot=n_boot, refit=refit)

    t_point, _ = timed(lambda: run(0, "newton"))
    t_new, new = timed(lambda: run(args.n_boot, "newton"))
    t_new_few, new_few = timed(lambda: run(args.old_boot, "newton"))
    t_old_few, old_few = timed(lambda: run(args.old_boot, "lifelines"))
    per_new = (t_new - t_point) / args.n_boot
    per_old = (t_old_few - t_point) / args.old_boot
    t_old = t_point + per_old * args.n_boot
    cols = ["estimate", "std_err", "ci_low", "ci_high"]
    a, b = new_few.table[cols].to_numpy(), old_few.table[cols].to_numpy()
    diff = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))
    print(f"point estimate (n_boot=0)          {t_point:8.2f} s")
    print(f"newton,    {args.n_boot:4d} resamples         {t_new:8.2f} s  ({per_new * 1000:7.1f} ms per resample)")
    print(f"lifelines, {args.old_boot:4d} resamples         {t_old_few:8.2f} s  ({per_old * 1000:7.1f} ms per resample)")
    print(f"lifelines, {args.n_boot:4d} resamples (extrap.) {t_old:8.2f} s")
    print(f"speed-up at {args.n_boot} resamples: {t_old / t_new:.1f}x (per resample {per_old / per_new:.0f}x); "
          f"newton at {args.old_boot} resamples {t_new_few:.2f} s")
    print(f"max relative difference newton vs lifelines at {args.old_boot} resamples (estimate, std_err, CI; "
          f"{len(a)} rows): {diff:.1e}")
    total = new.table[(new.table["plan"] == "(all)") & (new.table["quantity"] == "revenue_at_risk")].iloc[0]
    print(f"total revenue at risk {total['estimate']:,.0f} ({total['ci_low']:,.0f}–{total['ci_high']:,.0f}); "
          f"{new.n_beyond_follow_up:,} windows moved back to the end of the follow-up")


if __name__ == "__main__":
    main()
