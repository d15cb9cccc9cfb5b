"""Wall time of the quarterly batch with --jobs 1 and --jobs 2, against the per-notebook floor.

The floor is what one notebook costs before any analysis: papermill starting a kernel, the
notebook's imports (pandas, statsmodels, seaborn, cxlib), saving and rendering the HTML,
measured on a trivial notebook through the same worker code path. The batch's expected wall
time is ``(runs × floor + Σ analysis) / jobs``, where a run's analysis time is the sum of its
cells' execution times (papermill's per-cell timings) without the imports cell. The ratio of
the measured wall time to that expectation is the overhead of the batch machinery (worker
start, scheduling, load imbalance); the target is ≤ 1.3.

    python benchmarks/bench_batch.py [--quarter 2026Q3] [--repeat-floor 4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import cxlib as cx
from cxlib.report import load_definition, run_report

ROOT = Path(__file__).resolve().parents[1]

TRIVIAL = '''# %% [markdown]
# # Trivial notebook (the floor)

# %% tags=["parameters"]
quarter: str = None  # required: quarter
data_dir: str = "data/synthetic"  # data
figures_path: str = None  # key figures
subset_value: str = None  # fan-out value
min_base: int = 30  # minimum base
confidence_level: float = 0.95  # level

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import statsmodels.api as sm

import cxlib as cx

# %%
cx.report.save_key_figures({"headline": {}}, figures_path)
'''


def analysis_seconds(ipynb: Path) -> float:
    nb = json.loads(ipynb.read_text())
    total = 0.0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if "import cxlib" in src:  # the imports cell belongs to the floor
            continue
        total += float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarter", default=None)
    parser.add_argument("--repeat-floor", type=int, default=4)
    args = parser.parse_args()

    data = cx.ensure_dataset()
    quarter = args.quarter or cx.latest_quarter(data)
    data_dir = Path("data") / "synthetic"
    work = Path(tempfile.mkdtemp(prefix="cx-bench-batch-"))
    try:
        # the floor: the trivial notebook, fanned out to get several warm runs in one worker
        (work / "trivial.py").write_text(TRIVIAL)
        values = ", ".join(f'"v{i}"' for i in range(args.repeat_floor - 1))
        (work / "floor.toml").write_text(
            '[report]\ntitle = "floor"\n[[notebook]]\nname = "trivial"\npath = "trivial.py"\n'
            f'[notebook.fan_out]\nparameter = "subset_value"\ncolumn = "country"\nvalues = [{values}]\n')
        floor_res = run_report(quarter, definition=work / "floor.toml", data_dir=data_dir,
                               reports_dir=work / "floor", jobs=1, progress=False)
        floors = [r.seconds for r in floor_res.results]
        floor = statistics.median(floors[1:] or floors)  # first run in a fresh worker pays its imports

        definition = load_definition(ROOT / "notebooks" / "report.toml")
        rows = []
        for jobs in (1, 2):
            out = work / f"jobs{jobs}"
            t0 = time.perf_counter()
            res = run_report(quarter, definition=definition, data_dir=data_dir, reports_dir=out,
                             jobs=jobs, progress=False)
            wall = time.perf_counter() - t0
            runs = len(res.results)
            analysis = sum(analysis_seconds(out / quarter / r.ipynb) for r in res.results if r.ipynb)
            expected = (runs * floor + analysis) / jobs
            rows.append((jobs, runs, wall, analysis, expected, wall / expected, len(res.failed)))
        print(f"quarter {quarter}; floor per notebook (median of {len(floors)} warm runs): {floor:.2f} s "
              f"(all: {', '.join(f'{s:.2f}' for s in floors)})")
        print(f"{'jobs':>4} {'runs':>5} {'wall s':>8} {'Σ analysis s':>13} {'expected s':>11} "
              f"{'wall/expected':>14} {'failed':>7}")
        for jobs, runs, wall, analysis, expected, ratio, failed in rows:
            print(f"{jobs:>4} {runs:>5} {wall:>8.1f} {analysis:>13.1f} {expected:>11.1f} {ratio:>14.2f} {failed:>7}")
        print(f"speed-up jobs 2 vs 1: {rows[0][2] / rows[1][2]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
