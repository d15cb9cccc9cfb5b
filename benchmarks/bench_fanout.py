"""Fan-out of many tiny runs: the local executor against a Dask cluster and Ray, in one run.

A minimal notebook (a parameters cell and one cell writing its key figures, no imports
beyond ``json``) is fanned out over a column with ``runs - 1`` values, so the batch has
``runs`` runs (the overall run included). The same batch is run by ``cx report`` with the
local executor (worker processes), with ``--executor dask`` (a ``LocalCluster`` of
``--jobs`` single-threaded workers started for the batch, its start-up included) and with
``--executor ray`` (a local Ray instance of ``--jobs`` CPUs started for the batch, its
start-up included, or an existing one with ``--ray-address``; skipped when Ray is not
installed), each into its own reports folder; the printed ratios are each cluster executor's
wall time over the local one. What is measured is the executor's overhead per run
(scheduling, serialising the run, the result coming back) on top of papermill's kernel start
and the HTML rendering, which all pay.

    python benchmarks/bench_fanout.py [--runs 200] [--jobs 2] [--executors local dask ray] [--ray-address auto]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from cxlib.report import run_report

TINY = '''# %% [markdown]
# # Tiny notebook

# %% tags=["parameters"]
quarter: str = None  # required: quarter
data_dir: str = "data"  # data
figures_path: str = None  # key figures
subset_value: str = None  # fan-out value

# %%
import json

with open(figures_path, "w") as fh:
    json.dump({"headline": {}}, fh)
'''


def setup(root: Path, runs: int) -> tuple[Path, Path]:
    (root / "tiny.py").write_text(TINY)
    definition = root / "report.toml"
    definition.write_text('[report]\ntitle = "Fan-out"\n[[notebook]]\nname = "tiny"\npath = "tiny.py"\n'
                          '[notebook.fan_out]\nparameter = "subset_value"\ncolumn = "seg"\n')
    data = root / "data"
    data.mkdir()
    pd.DataFrame({"quarter": "2026Q3", "seg": [f"s{i:03d}" for i in range(runs - 1)]}).to_parquet(
        data / "survey.parquet")
    return definition, data


def timed(executor: str, *, definition: Path, data: Path, reports: Path, jobs: int,
          address: str | None = None) -> tuple[float, list[float]]:
    """The batch's wall time, and each run's own time on its worker (in the order of the runs)."""
    t0 = time.perf_counter()
    result = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, jobs=jobs,
                        progress=False, executor=executor, address=address)
    seconds = time.perf_counter() - t0
    for r in result.failed:  # e.g. a kernel that did not start within 60 s on a loaded machine
        print(f"  {executor}: {r.key} failed: {r.error}", flush=True)
    print(f"  {executor} done: {seconds:.1f} s, {len(result.failed)} failed", flush=True)
    return seconds, [r.seconds for r in result.results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--executors", nargs="+", default=["local", "dask", "ray"], choices=["local", "dask", "ray"])
    parser.add_argument("--ray-address", default=None,
                        help="an existing Ray cluster (e.g. auto after `ray start --head --num-cpus 2`; its start-up "
                             "is then not measured) instead of a local instance started for the batch")
    args = parser.parse_args()
    executors = [ex for ex in args.executors if ex != "ray" or importlib.util.find_spec("ray") is not None]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        definition, data = setup(root, args.runs)
        os.chdir(root)
        times = {ex: timed(ex, definition=definition, data=data, reports=root / f"reports-{ex}", jobs=args.jobs,
                           address=args.ray_address if ex == "ray" else None)
                 for ex in executors}
    print(f"{args.runs} tiny runs, --jobs {args.jobs}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
    quarter = max(1, args.runs // 4)
    for ex, (s, per_run) in times.items():
        first, last = statistics.median(per_run[:quarter]), statistics.median(per_run[-quarter:])
        print(f"  {ex:6} {s:7.1f} s  {s / args.runs * 1000:6.0f} ms per run (wall); a run's own time on its worker: "
              f"median {statistics.median(per_run):.2f} s, first quarter {first:.2f} s, last quarter {last:.2f} s")
    for ex in (e for e in times if e != "local" and "local" in times):
        print(f"  ratio {ex} / local: {times[ex][0] / times['local'][0]:.2f}")


if __name__ == "__main__":
    main()
