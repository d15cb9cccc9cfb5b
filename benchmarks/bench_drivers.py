"""Benchmark: exact Shapley/LMG key drivers against dominance-analysis and relativeImp.

Times ``cx.key_drivers(method="shapley", n_boot=0)`` on n = 100,000 rows for
p = 8, 10, 12, 15, 20 drivers and, in the same run, the ``dominance-analysis`` package
(which refits one scikit-learn regression per subset) and ``relativeImp`` (Johnson's
relative weights) on the same data, reporting times, ratios and the largest absolute
difference of the importances.

The comparison packages do not install next to cxlib (dominance-analysis 1.1.9 needs
numpy < 2 and an old IPython/bokeh), so they live in a throwaway virtual environment
that this script calls through a subprocess on a ``.npy`` file it writes::

    python3 -m venv /tmp/da
    /tmp/da/bin/pip install dominance-analysis relativeImp "numpy<2" "pandas<2.2" "ipython<8.20"
    .venv/bin/python benchmarks/bench_drivers.py            # full run (a few minutes)
    .venv/bin/python benchmarks/bench_drivers.py --quick    # n = 20,000, p <= 10

Neither package is a cxlib dependency. If the interpreter is missing the script says
so and compares with a brute-force numpy refit of every subset at small p instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cxlib as cx

DA_SCRIPT = r"""
import contextlib, io, json, sys, time
import numpy as np, pandas as pd
arr = np.load(sys.argv[1]); p = arr.shape[1] - 1
cols = [f"x{j}" for j in range(p)]
df = pd.DataFrame(arr, columns=["y", *cols])
out = {}
if sys.argv[2] == "dominance":
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from dominance_analysis import Dominance
        t = time.perf_counter()
        d = Dominance(data=df, target="y", objective=1, top_k=p)
        imp = d.incremental_rsquare()
        out["seconds"] = time.perf_counter() - t
    out["importance"] = [float(imp[c]) for c in cols]
else:
    from relativeImp import relativeImp
    t = time.perf_counter()
    r = relativeImp(df, outcomeName="y", driverNames=cols)
    out["seconds"] = time.perf_counter() - t
    out["importance"] = [float(np.real(v)) for v in r["rawRelaImpt"]]
print(json.dumps(out))
"""


def make_data(n: int, p: int, seed: int) -> pd.DataFrame:
    """Halo-correlated 1–5-like ratings and an outcome that depends on all of them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 0.8 * rng.normal(size=(n, 1))
    y = X @ rng.uniform(0.1, 1.0, size=p) + rng.normal(scale=2.0, size=n)
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    df.insert(0, "y", y)
    return df


def run_external(python: str, df: pd.DataFrame, which: str, timeout: float) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npy")
        np.save(path, df.to_numpy())
        try:
            proc = subprocess.run(
                [python, "-c", DA_SCRIPT, path, which], capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def brute_force_lmg(df: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Refit every subset with numpy lstsq and combine with the LMG weights."""
    t = time.perf_counter()
    y = df["y"].to_numpy()
    X = df.drop(columns="y").to_numpy()
    n, p = X.shape
    tss = np.sum((y - y.mean()) ** 2)
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for S in itertools.combinations(range(p), k):
            A = np.column_stack([np.ones(n), X[:, S]])
            coef, *_ = np.linalg.lstsq(A, y, rcond=None)
            r2[S] = 1 - np.sum((y - A @ coef) ** 2) / tss
    imp = np.zeros(p)
    for S, val in r2.items():
        for j in range(p):
            if j in S:
                s = len(S) - 1
                imp[j] += math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) * (
                    val - r2[tuple(k for k in S if k != j)]
                )
    return imp, time.perf_counter() - t


def best_of(fn, repeat: int) -> tuple[object, float]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--p", type=int, nargs="+", default=[8, 10, 12, 15, 20])
    ap.add_argument("--max-da-p", type=int, default=12, help="largest p to run dominance-analysis on")
    ap.add_argument("--python", default=os.environ.get("DA_PYTHON", "/tmp/da/bin/python"))
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--quick", action="store_true", help="n = 20,000 and p <= 10")
    args = ap.parse_args()
    if args.quick:
        args.n, args.p = 20_000, [p for p in args.p if p <= 10]
    have_ext = Path(args.python).exists()
    print(f"n = {args.n:,}; comparison interpreter: {args.python if have_ext else 'NOT FOUND'}")
    cx.key_drivers(make_data(200, 3, 0), outcome="y", drivers=["x0", "x1", "x2"], n_boot=0)  # warm-up
    rows = []
    for p in args.p:
        df = make_data(args.n, p, seed=p)
        drivers = [f"x{j}" for j in range(p)]
        res, t_cx = best_of(lambda df=df, drivers=drivers: cx.key_drivers(df, outcome="y", drivers=drivers, n_boot=0), 3 if p < 20 else 1)
        imp = res.table["importance"].to_numpy()
        rw, t_rw = best_of(
            lambda df=df, drivers=drivers: cx.key_drivers(df, outcome="y", drivers=drivers, method="relative_weights", n_boot=0), 3
        )
        row = {"p": p, "subsets": 2**p, "cxlib_shapley_s": t_cx, "sum_minus_r2": abs(imp.sum() - res.r_squared),
               "cxlib_rw_s": t_rw}
        if have_ext and p <= args.max_da_p:
            da = run_external(args.python, df, "dominance", args.timeout)
            if "error" in da:
                row["dominance_analysis"] = da["error"]
            else:
                row.update(da_s=da["seconds"], da_ratio=da["seconds"] / t_cx,
                           da_max_abs_diff=float(np.max(np.abs(np.array(da["importance"]) - imp))))
        elif not have_ext and p <= 10:
            ref, t_bf = brute_force_lmg(df)
            row.update(bruteforce_s=t_bf, bruteforce_ratio=t_bf / t_cx,
                       bruteforce_max_abs_diff=float(np.max(np.abs(ref - imp))))
        if have_ext:
            ri = run_external(args.python, df, "relativeImp", args.timeout)
            if "error" not in ri:
                row.update(relativeImp_s=ri["seconds"],
                           relativeImp_max_abs_diff=float(np.max(np.abs(np.array(ri["importance"]) -
                                                                        rw.table["importance"].to_numpy()))))
        rows.append(row)
        print(json.dumps(row), flush=True)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
