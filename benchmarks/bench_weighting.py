"""Raking speed: ``cx.rake`` vs weightipy on one synthetic sample, checking they agree.

A skewed sample of ``--rows`` respondents on three raking variables (plan × 3, country ×
8, age × 5) is raked to fixed targets by ``cx.rake`` (without and with a cap on the
weights) and by weightipy's RIM engine (the oracle of tests/test_weighting.py, in the
``dev`` extra). Timings are the best of ``--repeat`` runs.

Usage::

    python benchmarks/bench_weighting.py                  # 100,000 rows
    python benchmarks/bench_weighting.py --rows 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import cxlib as cx

TARGETS = {
    "plan": {"basic": 0.45, "plus": 0.35, "pro": 0.20},
    "country": {c: s for c, s in zip("ABCDEFGH", (0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1))},
    "age": {"18-24": 0.1, "25-34": 0.2, "35-44": 0.25, "45-54": 0.25, "55+": 0.2},
}


def sample(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "plan": rng.choice(list(TARGETS["plan"]), rows, p=[0.6, 0.3, 0.1]),
        "country": rng.choice(list(TARGETS["country"]), rows, p=[0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]),
        "age": rng.choice(list(TARGETS["age"]), rows, p=[0.05, 0.15, 0.3, 0.3, 0.2]),
    })


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = sample(args.rows)
    t_free, free = best(lambda: cx.rake(df, TARGETS), args.repeat)
    t_cap, capped = best(lambda: cx.rake(df, TARGETS, cap=4.0), args.repeat)
    print(f"{args.rows:,} rows, 3 margins (16 levels)")
    print(f"cx.rake            {t_free:8.3f} s  ({free.iterations} sweeps, max weight {free.weights.max():.2f})")
    print(f"cx.rake cap=4      {t_cap:8.3f} s  ({capped.iterations} sweeps, max weight {capped.weights.max():.2f})")
    try:
        import weightipy as wp
    except ImportError:
        print("weightipy not installed (pip install -e '.[dev]'): oracle skipped")
        return
    scheme = wp.scheme_from_dict({v: {k: 100 * s for k, s in t.items()} for v, t in TARGETS.items()},
                                 rim_params={"convcrit": 1e-15, "max_iterations": 10_000})
    t_wp, oracle = best(lambda: wp.weight(df, scheme), args.repeat)
    diff = float(np.abs(free.weights.to_numpy() - oracle.to_numpy()).max())
    print(f"weightipy          {t_wp:8.3f} s  (max |difference| from cx.rake: {diff:.2e})")


if __name__ == "__main__":
    main()
