"""Benchmark: exact logistic dominance (binary key drivers) against statsmodels ``Logit``.

Issue 14: exact logistic dominance refits a logistic regression for each of the 2^p driver
subsets (and again for every bootstrap resample). This script times, in one run:

1. the 2^12 subset fits behind ``cx.key_drivers(outcome_type="binary")`` on 25,000
   respondents × 12 drivers (1–5 ratings), against fitting every subset with statsmodels
   ``Logit(...).fit()`` one by one — statsmodels is timed on a random sample of subsets and
   extrapolated to all of them (said in the output), and the McFadden R² of the sampled
   subsets are compared; ``--repeat k`` times the cxlib sweep k times (each printed; the
   ratio uses the median);
2. ``cx.key_drivers(..., outcome_type="binary", n_boot=1000)`` at 8 drivers (estimate and
   1,000 bootstrap resamples), against the statsmodels time of the same number of fits.

Both wall-clock and CPU (process) time are printed: the project machine has 2 cores shared
with other jobs, so wall time varies with the load; the ratios use CPU time. BLAS runs on one
thread (``OPENBLAS_NUM_THREADS=1`` unless set) so that neither side is slowed by
oversubscription.

    .venv/bin/python benchmarks/bench_logistic_dominance.py            # full run, 1–2 min
    .venv/bin/python benchmarks/bench_logistic_dominance.py --quick    # n = 5,000, 200 resamples
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cxlib as cx
from cxlib.drivers.binary import _patterns, binary_subset_r2, estimated_seconds


def ratings(n: int, p: int, seed: int = 0) -> pd.DataFrame:
    """Halo-correlated, top-heavy 1–5 ratings and a 0/1 promoter outcome (about 40%)."""
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=n)
    load = rng.uniform(0.5, 0.8, p)
    latent = halo[:, None] * load + rng.normal(size=(n, p)) * np.sqrt(1 - load**2)
    X = 1.0 + (latent[:, :, None] > np.array([-1.8, -1.1, -0.3, 0.6])).sum(axis=2)
    eta = X @ rng.uniform(0.05, 0.5, p) * 0.6
    eta -= np.quantile(eta, 0.6)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    df = pd.DataFrame(X, columns=[f"d{j + 1}" for j in range(p)])
    df.insert(0, "promoter", y)
    return df


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def statsmodels_sample(y: np.ndarray, X: np.ndarray, masks: list[int]) -> tuple[Clock, dict[int, float]]:
    """Fit the sampled subsets with statsmodels Logit (default settings); their R²."""
    p = X.shape[1]
    r2 = {}
    with Clock() as clock:
        for mask in masks:
            cols = [j for j in range(p) if mask >> j & 1]
            fit = sm.Logit(y, sm.add_constant(X[:, cols])).fit(disp=0)
            r2[mask] = 1.0 - fit.llf / fit.llnull
    return clock, r2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 5,000 and 200 resamples")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--n-boot", type=int, default=None)
    ap.add_argument("--sample", type=int, default=64, help="subsets fitted with statsmodels (extrapolated)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the cxlib sweep (the median is compared)")
    args = ap.parse_args()
    n = args.n or (5_000 if args.quick else 25_000)
    n_boot = args.n_boot or (200 if args.quick else 1000)
    print(f"numpy {np.__version__}, statsmodels {sm.__version__}, BLAS threads "
          f"{os.environ['OPENBLAS_NUM_THREADS']}; n = {n:,}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")

    # 1. the 2^12 subsets of 12 drivers
    df = ratings(n, 12)
    y, X = df["promoter"].to_numpy(float), df.drop(columns="promoter").to_numpy()
    print(f"12 drivers: {len(_patterns(X).Z):,} distinct rating patterns among {n:,} rows; "
          f"promoters {y.mean():.1%}")
    runs = []
    for _ in range(args.repeat):
        with Clock() as clock:
            r2 = binary_subset_r2(y, X, np.ones(n))
        runs.append(clock)
    new = sorted(runs, key=lambda c: c.cpu)[len(runs) // 2]
    if len(runs) > 1:
        print("  cxlib runs, cpu s: " + ", ".join(f"{c.cpu:.2f}" for c in runs))
    masks = sorted(np.random.default_rng(1).choice(np.arange(1, 1 << 12), size=args.sample, replace=False).tolist())
    sm_clock, sm_r2 = statsmodels_sample(y, X, masks)
    per_fit = sm_clock.cpu / len(masks)
    sm_all = per_fit * ((1 << 12) - 1)
    diff = max(abs(r2[m] - sm_r2[m]) for m in masks)
    print(f"  cxlib, all 4,096 subsets (median of {len(runs)}): wall {new.wall:7.2f} s   cpu {new.cpu:7.2f} s")
    print(f"  statsmodels Logit, {len(masks)} random subsets: wall {sm_clock.wall:.2f} s, cpu {sm_clock.cpu:.2f} s "
          f"({per_fit * 1e3:.1f} ms a fit) -> all 4,095 extrapolated: cpu {sm_all:7.1f} s")
    print(f"  ratio (statsmodels / cxlib, cpu): {sm_all / new.cpu:.0f}x; max |R² difference| on the sample: {diff:.1e}"
          f" (load average now {os.getloadavg()[0]:.1f})")

    # 2. key_drivers with the bootstrap, 8 drivers
    p8 = [f"d{j + 1}" for j in range(8)]
    X8 = df[p8].to_numpy()
    print(f"8 drivers: {len(_patterns(X8).Z):,} distinct patterns; cost estimate "
          f"{estimated_seconds(n, 8, n_boot):.0f} s")
    with Clock() as boot, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cx.key_drivers(df, outcome="promoter", drivers=p8, outcome_type="binary", n_boot=n_boot, seed=0)
    sm8_clock, _ = statsmodels_sample(y, X8, list(range(1, 256, 8)))
    sm8_per_fit = sm8_clock.cpu / len(range(1, 256, 8))
    sm8_all = sm8_per_fit * 255 * (1 + n_boot)
    print(f"  cx.key_drivers(binary, n_boot={n_boot}): wall {boot.wall:7.2f} s   cpu {boot.cpu:7.2f} s "
          f"({boot.cpu / n_boot * 1e3:.0f} ms cpu a resample; {res.n_boot_failed} skipped)")
    print(f"  statsmodels Logit at {sm8_per_fit * 1e3:.1f} ms a fit (32 subsets timed) x 255 x {1 + n_boot:,} "
          f"-> cpu {sm8_all:,.0f} s extrapolated; ratio {sm8_all / boot.cpu:.0f}x (load average {os.getloadavg()[0]:.1f})")
    print(res.table[["driver", "estimate", "ci_low", "ci_high"]].round(4).to_string(index=False))


if __name__ == "__main__":
    main()
