"""Calibration of the ticket-level channel-switching effects against the planted truth.

Over several generator seeds, compares ``cx.ticket_switching_csat`` and
``cx.ticket_switching_effort`` (CES; unweighted and with the survey weights) with the
planted, observed effect in ``truth.json`` (``channel_switching.observed``: the mean of
answer − answer without the switch over the switched tickets' surveys / the respondents
with a switched ticket that quarter) and prints, per outcome, the standardised error
``z = (estimate − planted) / std_err``: its mean and SD (≈ 0 and 1 for a calibrated
interval) and the share of 95 % intervals that cover the planted value (≈ .95), with the
chi-square test of Σ z² (p small: the intervals are too narrow).

Not part of the test suite (one seed takes ≈ 8 s); the output is recorded in
``data/README.md``, item 11.

    python benchmarks/check_switching_calibration.py [--seeds 1-30] [--n-customers 20000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

import cxlib as cx


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def one_seed(seed: int, n_customers: int) -> list[dict]:
    """The three comparisons of one generator run."""
    d = cx.synthesize(seed, n_customers=n_customers)
    truth = d.truth.channel_switching["observed"]
    sw = cx.ticket_switches(d.tickets, events=d.journeys)
    survey = cx.drop_duplicate_responses(d.survey)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cx.SmallBaseWarning)
        results = {
            "CSAT (ticket survey)": (cx.ticket_switching_csat(sw, d.touchpoints), truth["ticket_csat_change"]),
            "CES": (cx.ticket_switching_effort(sw, survey), truth["ces_change"]),
            "CES, weighted": (cx.ticket_switching_effort(sw, survey, weights="weight"), truth["ces_change"]),
        }
    return [{"seed": seed, "outcome": name, "estimate": r.estimate, "std_err": r.std_err, "planted": planted,
             "z": (r.estimate - planted) / r.std_err, "covered": r.ci_low <= planted <= r.ci_high}
            for name, (r, planted) in results.items()]


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: seeds, mean and SD of z, coverage of the 95 % interval, p of Σ z² ~ χ²(seeds)."""
    def one(g: pd.DataFrame) -> pd.Series:
        z = g["z"].to_numpy(float)
        return pd.Series({"seeds": z.size, "mean_z": z.mean(), "sd_z": z.std(ddof=1),
                          "coverage_95": g["covered"].mean(), "p_chi2_sum_z2": stats.chi2.sf(np.sum(z ** 2), z.size),
                          "mean_std_err": g["std_err"].mean(), "sd_error": (g["estimate"] - g["planted"]).std(ddof=1)})
    return rows.groupby("outcome", sort=False)[["z", "covered", "std_err", "estimate", "planted"]].apply(one)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-8", help="e.g. 1-30 or 0,3,5-9")
    ap.add_argument("--n-customers", type=int, default=20_000)
    args = ap.parse_args()
    t0, rows = time.perf_counter(), []
    for seed in _seeds(args.seeds):
        rows += one_seed(seed, args.n_customers)
        r = rows[-3:]
        print(f"seed {seed:>3}: " + "  ".join(f"{x['outcome']} z={x['z']:+.2f}" for x in r), flush=True)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print(summary(frame))
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
