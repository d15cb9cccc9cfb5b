"""A report run's fixed cost with forked kernels vs kernels launched from scratch.

Executes the same runs through the batch worker's own path (``execute_run``: papermill,
nbclient, the kernel, the HTML rendering) in this process, alternating kernels forked from
the fork server (:mod:`cxlib.report.kernels`) and kernels launched from scratch
(``CX_FORK_KERNELS=0``), and prints per run the wall time and the CPU time (user + sys) of
this process and every descendant (kernels, the fork server), polled from ``/proc``. The
default run is the lightest notebook of the report, ``06_crosstabs/overall``; ``--trivial``
uses a notebook that only imports what the report notebooks import (the floor).

    python benchmarks/bench_kernels.py [--rounds 3] [--trivial]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TRIVIAL = '''# %% tags=["parameters"]
quarter: str = None  # required
data_dir: str = "data"  # dataset directory
figures_path: str = None  # set by the runner

# %%
import dataclasses
import json

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import cxlib as cx

# %%
with open(figures_path, "w") as fh:
    json.dump({"headline": {}}, fh)
'''


class CpuPoller:
    """User + sys seconds of this process and all its descendants, polled every 50 ms."""

    def __init__(self) -> None:
        import psutil

        self.root = psutil.Process()
        self.seen: dict[tuple[int, float], float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        while not self.stop.is_set():
            for p in [self.root, *self.root.children(recursive=True)]:
                try:
                    t = p.cpu_times()
                    self.seen[(p.pid, p.create_time())] = t.user + t.system
                except psutil.Error:
                    pass
            time.sleep(0.05)

    def total(self) -> float:
        return sum(self.seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trivial", action="store_true", help="the trivial notebook instead of 06_crosstabs")
    args = parser.parse_args()
    os.chdir(ROOT)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # as in a batch worker of --jobs 2 on 2 cores
    from cxlib.report import execute, kernels, load_definition
    from cxlib.report.runs import RunSpec, plan_runs

    out = Path(tempfile.mkdtemp(prefix="cx-bench-kernels-"))
    if args.trivial:
        nb = out / "trivial.py"
        nb.write_text(TRIVIAL)
        base = RunSpec("trivial", "overall", nb, {"quarter": "2026Q3", "data_dir": "data/synthetic"}, out)
        base.parameters["figures_path"] = str(base.figures)  # type: ignore[index]
    else:
        base = plan_runs(load_definition(ROOT / "notebooks" / "report.toml"), quarter="2026Q3",
                         data_dir=Path("data") / "synthetic", out_dir=out, only=["06_crosstabs/overall"])[0]
    os.environ[kernels.FORK_ENV] = "1"
    execute._start_fork_server()  # as a batch worker does at start-up (not timed: once per worker)
    kernels._SERVER._wait_ready()
    poller = CpuPoller()
    poller.thread.start()
    times: dict[str, list[tuple[float, float]]] = {"forked": [], "scratch": []}
    for i in range(args.rounds):
        for mode in ("forked", "scratch"):
            os.environ[kernels.FORK_ENV] = "1" if mode == "forked" else "0"
            time.sleep(0.2)
            c0, t0 = poller.total(), time.perf_counter()
            res = execute.execute_run(base)
            time.sleep(0.2)  # the last poll of the kernel
            wall, cpu = time.perf_counter() - t0, poller.total() - c0
            times[mode].append((wall, cpu))
            print(f"round {i + 1} {mode:8} {res.status:6} wall {wall:6.2f} s  cpu {cpu:6.2f} s", file=sys.stderr)
    poller.stop.set()
    kernels.stop_server()
    print(f"{base.key}, {args.rounds} rounds, load average {os.getloadavg()[0]:.1f}; medians:")
    for mode, rows in times.items():
        print(f"  {mode:8} wall {statistics.median(w for w, _ in rows):6.2f} s  "
              f"cpu {statistics.median(c for _, c in rows):6.2f} s")


if __name__ == "__main__":
    main()
