"""Wall and CPU time of the whole default quarterly report, against a baseline checkout.

Runs ``cx report --quarter 2026Q3 --jobs 2`` (all 20 runs of ``notebooks/report.toml`` on
``data/synthetic``) in a fresh process with ``PYTHONPATH`` at this checkout, and, with
``--baseline DIR``, the same command with ``PYTHONPATH`` at another source checkout (e.g.
``git worktree add /tmp/cx-base <commit>``), one after the other. Prints, for each: the
wall time, the CPU time (user + sys) of the batch and all its children (workers, kernels:
less sensitive to other load on a shared machine than wall time), the sum of the runs'
seconds and the longest run; and the key figures of both compared (must be identical).

With ``--fresh-kernels`` this checkout is also timed with ``CX_FORK_KERNELS=0`` (every
kernel launched from scratch, as before the fork server; the runs still start
longest-first), which separates the two changes. ``--only`` passes notebook names to
``cx report --only`` (e.g. the 20 runs of the five notebooks measured before notebook 05).

    python benchmarks/bench_report.py [--baseline /tmp/cx-base] [--jobs 2] [--quarter 2026Q3]
    python benchmarks/bench_report.py --baseline /tmp/cx-base --only-baseline --save base.json
    python benchmarks/bench_report.py --against base.json
    python benchmarks/bench_report.py --baseline /tmp/cx-base --fresh-kernels --only 01_cx_scorecard ...
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_polling_cpu(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd``; also return the CPU seconds (user + sys) of it and all its descendants.

    The batch's workers are forked by multiprocessing's forkserver, whose children's times
    never reach this process's ``RUSAGE_CHILDREN``; so every descendant's own user + sys
    time is polled from ``/proc`` (psutil) every 0.1 s and its last value summed (a process
    undercounts by at most its last 0.1 s).
    """
    import psutil

    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw) as proc:
        root = psutil.Process(proc.pid)
        seen: dict[tuple[int, float], float] = {}
        while proc.poll() is None:
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    t = p.cpu_times()
                    seen[(p.pid, p.create_time())] = t.user + t.system
                except psutil.Error:
                    pass
            time.sleep(0.1)
        out, err = proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), sum(seen.values())


def run(source: Path, out: Path, *, quarter: str, jobs: int, only: list[str] | None = None,
        env: dict[str, str] | None = None) -> dict:
    """One report batch with ``cxlib`` imported from ``source``; its timings and key figures."""
    env = dict(os.environ, PYTHONPATH=str(source), MPLBACKEND="Agg", **(env or {}))
    # run in the source checkout: `python -m` and the kernels put the working directory
    # first on sys.path, so from ROOT every batch would import ROOT's cxlib, whatever PYTHONPATH says
    cmd = [sys.executable, "-m", "cxlib.cli", "report", "--quarter", quarter, "--data", str(ROOT / "data" / "synthetic"),
           "--reports-dir", str(out), "--jobs", str(jobs), "--quiet", *(["--only", *only] if only else [])]
    t0 = time.perf_counter()
    proc, cpu = _run_polling_cpu(cmd, cwd=source, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"report failed with {source}:\n{proc.stdout}\n{proc.stderr}")
    manifest = json.loads((out / quarter / "runs.json").read_text())
    secs = {k: v["seconds"] for k, v in manifest["runs"].items()}
    figures = {f"{f.parent.name}/{f.stem}": json.loads(f.read_text())
               for f in sorted((out / quarter).glob("*/*.json"))}
    return {"wall": wall, "cpu": cpu, "runs": len(secs), "sum_runs": sum(secs.values()),
            "longest": max(secs.items(), key=lambda kv: kv[1]), "seconds": secs, "figures": figures}


def _diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) if k != "findings"
                for d in _diff(a.get(k), b.get(k), f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        ok = (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12 * max(1.0, abs(a))
        return [] if ok else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="source checkout of the baseline cxlib")
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only-baseline", action="store_true", help="time the baseline only")
    parser.add_argument("--save", type=Path, help="write the timings and key figures to this JSON file")
    parser.add_argument("--against", type=Path, help="a --save file of an earlier baseline run (instead of --baseline)")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="also time this checkout with CX_FORK_KERNELS=0 (kernels launched from scratch)")
    parser.add_argument("--only", nargs="+", help="notebook names passed to cx report --only")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate the batches this many times (baseline, this, baseline, this, ...) "
                             "and report each one's median: other load on a shared machine drifts")
    args = parser.parse_args()
    kw = {"quarter": args.quarter, "jobs": args.jobs, "only": args.only}

    work = Path(tempfile.mkdtemp(prefix="cx-bench-report-"))
    try:
        results = {}
        if args.against is not None:
            results["baseline"] = json.loads(args.against.read_text())
        rounds: dict[str, list[dict]] = {}
        for i in range(args.rounds):
            if args.baseline is not None:
                rounds.setdefault("baseline", []).append(run(args.baseline.resolve(), work / f"baseline{i}", **kw))
            if not args.only_baseline:
                if args.fresh_kernels:
                    rounds.setdefault("fresh", []).append(
                        run(ROOT, work / f"fresh{i}", env={"CX_FORK_KERNELS": "0"}, **kw))
                rounds.setdefault("this", []).append(run(ROOT, work / f"this{i}", **kw))
            for name, rs in rounds.items():
                print(f"round {i + 1} {name:9} wall {rs[-1]['wall']:7.1f} s  cpu {rs[-1]['cpu']:7.1f} s  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
        for name, rs in rounds.items():  # the round with the median wall time
            results[name] = {**sorted(rs, key=lambda r: r["wall"])[len(rs) // 2], "rounds": len(rs)}
        if args.save is not None:
            args.save.write_text(json.dumps(results, indent=1, default=str))
        print(f"cx report --quarter {args.quarter} --jobs {args.jobs}; load average before: "
              f"{os.getloadavg()[0]:.1f}")
        print(f"{'':9} {'runs':>5} {'wall s':>8} {'cpu s':>8} {'Σ run s':>8}  longest run")
        for name, r in results.items():
            print(f"{name:9} {r['runs']:>5} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['sum_runs']:>8.1f}  "
                  f"{r['longest'][0]} {r['longest'][1]:.1f} s")
        if "baseline" in results and "this" in results:
            b, t = results["baseline"], results["this"]
            for name, r in results.items():
                if name != "baseline":
                    print(f"ratio baseline / {name}: wall {b['wall'] / r['wall']:.2f}x, cpu {b['cpu'] / r['cpu']:.2f}x")
            diffs = _diff(b["figures"], t["figures"])
            print(f"key figures: {len(b['figures'])} runs, "
                  + ("identical (1e-12)" if not diffs else f"{len(diffs)} differences: {diffs[:5]}"))
            for key in sorted(b["seconds"], key=lambda k: -b["seconds"][k])[:8]:
                print(f"  {key:40} {b['seconds'][key]:7.1f} s -> {t['seconds'].get(key, float('nan')):7.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
