"""Benchmark: ``key_drivers_by_group`` with 14 drivers, against the implementation before issue 14.

The issue measured 101 s on real data (about 25,000 respondents, 14 drivers). This script
builds data of that shape — 25,000 weighted respondents, 14 halo-correlated 1–5 driver
ratings, a 0–10 overall rating, a 0/1 promoter flag, 6 segments — and times
``cx.key_drivers_by_group(by="segment", method="shapley", n_boot=...)`` twice in the same
run: with the working tree's cxlib, and with cxlib at ``--baseline-rev`` (default: the
commit before the speed-up), exported with ``git archive`` and run in a subprocess on the
same data. It prints both times, their ratio and the largest differences of every number
of the two results (importances, intervals, differences between segments, p-values).

Cases:

* ``continuous``: the 0–10 rating (exact Shapley/LMG of R², 2^14 subsets per resample);
* ``binary``: the 0/1 promoter flag. Exact logistic dominance is limited to 12 drivers, so
  with 14 drivers a binary outcome runs as a linear probability model
  (``outcome_type="continuous"``, what the error message recommends);
* ``logistic`` (``--logistic``): the promoter flag with logistic dominance on the first 8
  drivers (the fitting itself is :mod:`cxlib.drivers.binary`; only its LMG step changed).

BLAS runs on ``--threads`` threads (default 1: on the shared 2-core machine a two-thread
BLAS spins against the other jobs and the timings scatter by several times).

Rerun::

    .venv/bin/python benchmarks/bench_driver_groups.py                 # n_boot = 200, about 2.5 min
    .venv/bin/python benchmarks/bench_driver_groups.py --n-boot 1000   # the function's default
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REV = "3e9a70e"  # main before the issue-14 key-driver speed-up


def make_data(n: int = 25_000, p: int = 14, groups: int = 6, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    halo = rng.normal(size=(n, 1))
    X = np.clip(np.rint(3.2 + 0.9 * rng.normal(size=(n, p)) + 0.7 * halo), 1, 5)
    y = np.clip(np.rint(X @ rng.uniform(0.05, 0.3, size=p) + 0.8 + rng.normal(scale=1.5, size=n)), 0, 10)
    df = pd.DataFrame(X, columns=[f"d{j:02d}" for j in range(p)])
    df["osat"] = y
    df["promoter"] = (y >= 9).astype(int)
    df["segment"] = rng.choice([f"seg{g}" for g in range(groups)], size=n, p=rng.dirichlet(np.full(groups, 8.0)))
    df["weight"] = rng.uniform(0.4, 2.5, size=n)
    return df


CASES = {
    "continuous": {"outcome": "osat", "p": 14, "options": {}},
    "binary": {"outcome": "promoter", "p": 14, "options": {"outcome_type": "continuous"}},
    "logistic": {"outcome": "promoter", "p": 8, "options": {"outcome_type": "binary"}},
}


def run_case(case: str, n_boot: int, n: int) -> dict:
    """Time one case with the cxlib on sys.path; return the time and the result's numbers."""
    import cxlib as cx

    spec = CASES[case]
    df = make_data(n=n)
    drivers = [f"d{j:02d}" for j in range(spec["p"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        res = cx.key_drivers_by_group(df, by="segment", outcome=spec["outcome"], drivers=drivers, weights="weight",
                                      n_boot=n_boot, seed=0, **spec["options"])
        seconds = time.perf_counter() - t
    imp = res.importances.select_dtypes("number")
    diff = res.differences[["estimate", "ci_low", "ci_high", "p_value", "p_value_adj"]]
    reps = {str(k): r.bootstrap_importances for k, r in res.results.items()}
    return {"seconds": seconds, "cxlib": cx.__file__, "importances": imp, "differences": diff,
            "significant": res.differences["significant"].tolist(), "reps": reps}


def baseline_tree(rev: str, dest: str) -> str:
    """Export cxlib at ``rev`` into ``dest`` (git archive) and return the directory."""
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "cxlib"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run_baseline(rev: str, case: str, n_boot: int, n: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tree = baseline_tree(rev, os.path.join(tmp, "tree"))
        out = os.path.join(tmp, "out.pkl")
        env = {**os.environ, "PYTHONPATH": tree, **thread_env(threads)}
        subprocess.run([sys.executable, __file__, "--worker", case, "--n-boot", str(n_boot), "--n", str(n),
                        "--out", out], check=True, env=env, cwd=tmp)
        with open(out, "rb") as fh:
            return pickle.load(fh)


def thread_env(threads: int) -> dict:
    return {k: str(threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def max_diff(a: dict, b: dict) -> dict:
    import numpy as np

    return {
        "max_abs_diff_importances": float(np.nanmax(np.abs(a["importances"].to_numpy(float)
                                                           - b["importances"].to_numpy(float)))),
        "max_abs_diff_differences": float(np.nanmax(np.abs(a["differences"].to_numpy(float)
                                                           - b["differences"].to_numpy(float)))),
        "max_abs_diff_replicates": max(float(np.max(np.abs(a["reps"][k] - b["reps"][k]))) for k in a["reps"]),
        "same_significance": a["significant"] == b["significant"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--n", type=int, default=25_000)
    ap.add_argument("--cases", nargs="+", default=["continuous", "binary"], choices=list(CASES))
    ap.add_argument("--logistic", action="store_true", help="add the logistic-dominance case (8 drivers)")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--worker", choices=list(CASES), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:  # a baseline run in its own interpreter
        with open(args.out, "wb") as fh:
            pickle.dump(run_case(args.worker, args.n_boot, args.n), fh)
        return
    os.environ.update(thread_env(args.threads))  # before numpy is imported
    sys.path.insert(0, str(ROOT))
    cases = [*args.cases, *(["logistic"] if args.logistic else [])]
    print(f"key_drivers_by_group: n = {args.n:,}, 6 segments, n_boot = {args.n_boot}, BLAS threads = {args.threads}; "
          f"baseline = cxlib at {args.baseline_rev}")
    rows = []
    for case in cases:
        new = run_case(case, args.n_boot, args.n)
        old = run_baseline(args.baseline_rev, case, args.n_boot, args.n, args.threads)
        row = {"case": case, "drivers": CASES[case]["p"], "baseline_s": round(old["seconds"], 2),
               "now_s": round(new["seconds"], 2), "ratio": round(old["seconds"] / new["seconds"], 1),
               **max_diff(new, old)}
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
