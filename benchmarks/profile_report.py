"""Where a report run's time goes: each notebook's cells run as plain code in one process.

Every run of the default report (``notebooks/report.toml``) is executed cell by cell in an
IPython shell inside this process, with the parameters the batch gives it and the inline
matplotlib backend the kernels use (so figures are rendered to PNG and tables to HTML, as
in a kernel). Prints, per run, the seconds of: the imports cell (first run of each notebook
only: later runs find the modules loaded), the data cell(s) and the analysis, display and
plotting cells; with ``--profile FILE`` the whole thing runs under cProfile.

The kernel start, papermill and the HTML rendering (nbconvert) are measured separately by
``bench_report.py``; this script isolates the notebooks' own code.

    python benchmarks/profile_report.py [--only 03_loyalty_and_churn] [--runs overall] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cells(path: Path) -> list[tuple[str, str]]:
    import jupytext

    nb = jupytext.read(path)
    return [(" ".join(c.metadata.get("tags", [])), c.source) for c in nb.cells if c.cell_type == "code"]


def _label(src: str) -> str:
    first = next((ln for ln in src.splitlines() if ln.strip()), "")
    return first.strip()[:60]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--only", nargs="*", help="notebook names")
    parser.add_argument("--runs", nargs="*", help="run names (overall, plan-basic, ...)")
    parser.add_argument("--profile", help="write cProfile stats of all runs to this file")
    parser.add_argument("--cells", action="store_true", help="print every cell's time")
    args = parser.parse_args()

    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.chdir(ROOT)
    t0, c0 = time.perf_counter(), _cpu()
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    fmt = shell.display_formatter
    fmt.active_types = list(fmt.format_types)  # tables rendered to HTML too, as in a kernel
    log = sys.__stderr__
    from cxlib.report import load_definition
    from cxlib.report.runs import plan_runs

    print(f"IPython + cxlib.report import: {time.perf_counter() - t0:.2f} s wall, {_cpu() - c0:.2f} s cpu", file=log)
    out = Path("/tmp") / f"cx-profile-{os.getpid()}"
    runs = plan_runs(load_definition(ROOT / "notebooks" / "report.toml"), quarter=args.quarter,
                     data_dir=Path("data") / "synthetic", out_dir=out)
    runs = [r for r in runs if (not args.only or r.notebook in args.only) and (not args.runs or r.run in args.runs)]
    prof = cProfile.Profile() if args.profile else None
    totals: dict[str, float] = {}
    for r in runs:
        r.figures.parent.mkdir(parents=True, exist_ok=True)
        shell.reset(new_session=False)
        times = []
        for tags, src in _cells(r.input_path):
            if "parameters" in tags:
                src = src + "\n" + "\n".join(f"{k} = {v!r}" for k, v in r.parameters.items())
            t, c = time.perf_counter(), _cpu()
            if prof:
                prof.enable()
            res = shell.run_cell(src, store_history=False, silent=False)
            if prof:
                prof.disable()
            times.append((_label(src), time.perf_counter() - t, _cpu() - c))
            if not res.success:
                print(f"{r.key}: cell failed: {res.error_in_exec or res.error_before_exec}", file=log)
                break
        wall = sum(w for _, w, _ in times)
        cpu = sum(c for _, _, c in times)
        totals[r.notebook] = totals.get(r.notebook, 0.0) + cpu
        slow = sorted(times, key=lambda x: -x[2])[:3]
        print(f"{r.key:40} {wall:6.2f} s wall {cpu:6.2f} s cpu; slowest: "
              + "; ".join(f"{lab!r} {c:.2f}" for lab, _, c in slow), flush=True, file=log)
        if args.cells:
            for lab, w, c in times:
                print(f"    {w:6.2f} {c:6.2f}  {lab}", file=log)
    print("cpu by notebook: " + ", ".join(f"{k} {v:.1f} s" for k, v in totals.items()), file=log)
    print(f"total: {time.perf_counter() - t0:.1f} s wall, {_cpu() - c0:.1f} s cpu", file=log)
    if prof:
        prof.dump_stats(args.profile)


if __name__ == "__main__":
    main()
