"""Benchmark: ``attitudinal_segments(k=3)`` against the implementation before issue 14.

The issue measured about 30 s on real data (about 25,000 respondents). Here: the default
synthetic data (``cx.synthesize(0)``, every quarter: about 21,000 responses, 8 driver
ratings on 1–5 with "not applicable" codes), ``cx.attitudinal_segments(variables=drivers,
k=3)`` with its defaults (k-means, ``n_init=10``, ``n_boot=50``), run with the working
tree's cxlib and with cxlib at ``--baseline-rev`` (``git archive``, in a subprocess) on the
same data. Prints both times, the ratio, and whether the two solutions are the same:
labels, the criteria table, the centres, and every bootstrap ARI.

Threads: by default both runs keep the environment's BLAS/OpenMP settings (what a notebook
gets); ``--threads N`` pins both to N.

Rerun::

    .venv/bin/python benchmarks/bench_segments.py            # about 5 minutes (the baseline's 50 refits)
    .venv/bin/python benchmarks/bench_segments.py --n-boot 10
    .venv/bin/python benchmarks/bench_segments.py --k 3 4 5 6 --n-boot 30   # the report's call
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_driver_groups import BASELINE_REV, ROOT, baseline_tree, thread_env


def run(k: list[int], n_boot: int, method: str) -> dict:
    """Time one segmentation with the cxlib on sys.path; return the time and the solution."""
    import cxlib as cx

    data = cx.synthesize(0)
    roles = cx.study_roles(data)
    drivers = list(roles.columns("drivers"))
    points = {d: roles.points(d) for d in drivers if roles.points(d) is not None}
    codes = {d: list(roles.scale(d).missing) for d in drivers if roles.scale(d) and roles.scale(d).missing}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        seg = cx.attitudinal_segments(data.survey, variables=drivers, k=k if len(k) > 1 else k[0], method=method,
                                      n_boot=n_boot, scale=points, missing=codes)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": len(data.survey), "labels": seg.labels.to_numpy(dtype=float, na_value=-1),
            "criteria": seg.criteria.select_dtypes("number").to_numpy(float), "centres":
            seg.centres.select_dtypes("number").to_numpy(float), "aris": list(seg.boot_ari),
            "stability": seg.stability.estimate}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, nargs="+", default=[3])
    ap.add_argument("--n-boot", type=int, default=50)
    ap.add_argument("--method", default="kmeans")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        with open(args.out, "wb") as fh:
            pickle.dump(run(args.k, args.n_boot, args.method), fh)
        return
    pinned = thread_env(args.threads) if args.threads else {}
    os.environ.update(pinned)
    sys.path.insert(0, str(ROOT))
    import numpy as np

    new = run(args.k, args.n_boot, args.method)
    with tempfile.TemporaryDirectory() as tmp:
        tree = baseline_tree(args.baseline_rev, os.path.join(tmp, "tree"))
        out = os.path.join(tmp, "out.pkl")
        subprocess.run([sys.executable, __file__, "--worker", "--k", *map(str, args.k), "--n-boot", str(args.n_boot),
                        "--method", args.method, "--out", out], check=True, cwd=tmp,
                       env={**os.environ, "PYTHONPATH": tree, **pinned})
        with open(out, "rb") as fh:
            old = pickle.load(fh)
    row = {
        "rows": new["rows"], "k": args.k, "method": args.method, "n_boot": args.n_boot, "threads": args.threads or "environment",
        "baseline_s": round(old["seconds"], 2), "now_s": round(new["seconds"], 2),
        "ratio": round(old["seconds"] / new["seconds"], 1),
        "same_labels": bool(np.array_equal(new["labels"], old["labels"])),
        "criteria_max_rel_diff": float(np.nanmax(np.abs(new["criteria"] - old["criteria"])
                                                 / np.maximum(np.abs(old["criteria"]), 1e-300))),
        "centres_max_abs_diff": float(np.max(np.abs(new["centres"] - old["centres"]))),
        "same_bootstrap_aris": new["aris"] == old["aris"],
        "boot_ari_max_abs_diff": float(np.max(np.abs(np.subtract(new["aris"], old["aris"])))) if new["aris"] else 0.0,
        "stability": new["stability"],
    }
    print(json.dumps(row))


if __name__ == "__main__":
    main()
