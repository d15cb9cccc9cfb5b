"""The report's speed-ups, as behaviour (issue 14, "the whole default quarterly report: wall
time halved"): runs start longest-first by the durations recorded last time
(:func:`cxlib.report.runs.schedule`, :func:`cxlib.report.execute.recorded_seconds`), and
kernels are forked from a fork server that imported the libraries once
(:mod:`cxlib.report.kernels`) while every run still gets a fresh kernel process: the
forked kernel starts as a kernel launched from scratch does, and nothing a run does (even a
failing one, or one that kills its kernel) reaches the next. No timings are asserted here;
the speed is measured in benchmarks/bench_report.py."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from cxlib.report import execute, kernels
from cxlib.report.execute import RunResult, execute_run, recorded_seconds, run_report
from cxlib.report.runs import RunSpec, schedule

# --- scheduling -----------------------------------------------------------------------------


def spec(notebook: str, run: str, out: Path = Path("out")) -> RunSpec:
    return RunSpec(notebook, run, Path(f"{notebook}.py"), {}, out, value=None if run == "overall" else run)


def test_schedule_starts_the_longest_recorded_runs_first_and_keeps_every_run_once():
    runs = [spec("01", "overall"), spec("01", "c-DE"), spec("01", "c-FR"), spec("03", "overall"), spec("03", "p-A")]
    seconds = {"01/overall": 5.0, "01/c-DE": 2.0, "01/c-FR": 3.0, "03/overall": 40.0, "03/p-A": 9.0}
    order = [r.key for r in schedule(runs, seconds)]
    assert order == ["03/overall", "03/p-A", "01/overall", "01/c-FR", "01/c-DE"]  # by seconds, descending
    assert sorted(order) == sorted(r.key for r in runs)


def test_schedule_estimates_an_unrecorded_run_from_its_notebooks_runs_of_the_same_kind():
    # a new fan-out level of 03 has no record: it is expected to take as long as 03's longest fan-out run
    runs = [spec("01", "overall"), spec("03", "overall"), spec("03", "p-A"), spec("03", "p-NEW")]
    seconds = {"01/overall": 12.0, "03/overall": 40.0, "03/p-A": 9.0}
    assert [r.key for r in schedule(runs, seconds)] == ["03/overall", "01/overall", "03/p-A", "03/p-NEW"]


def test_without_any_record_overall_runs_go_first_in_definition_order():
    runs = [spec("01", "overall"), spec("01", "c-DE"), spec("02", "overall"), spec("02", "p-A"), spec("06", "overall")]
    assert [r.key for r in schedule(runs, {})] == ["01/overall", "02/overall", "06/overall", "01/c-DE", "02/p-A"]
    # a notebook nobody recorded yet goes before the recorded ones (it may be long)
    assert [r.key for r in schedule(runs[:2] + runs[4:], {"01/overall": 3.0, "01/c-DE": 1.0})] == \
        ["06/overall", "01/overall", "01/c-DE"]


def _manifest(folder: Path, runs: dict[str, tuple[str, float]]) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    m = {"quarter": folder.name, "runs": {k: {"status": st, "seconds": s} for k, (st, s) in runs.items()}}
    (folder / "runs.json").write_text(json.dumps(m))
    return m


def test_recorded_seconds_come_from_this_quarter_then_the_latest_other_quarter(tmp_path):
    _manifest(tmp_path / "2026Q1", {"a/overall": ("ok", 1.0), "b/overall": ("ok", 2.0), "c/overall": ("ok", 3.0)})
    _manifest(tmp_path / "2026Q2", {"a/overall": ("ok", 10.0), "b/overall": ("failed", 0.5)})
    this = _manifest(tmp_path / "2026Q3", {"a/overall": ("ok", 100.0), "d/overall": ("cancelled", 0.0)})
    (tmp_path / "2026Q4").mkdir()
    (tmp_path / "2026Q4" / "runs.json").write_text("{not json")  # unreadable: ignored
    got = recorded_seconds(tmp_path / "2026Q3", this)
    # this quarter first; failed and cancelled runs say nothing about the time a run takes
    assert got == {"a/overall": 100.0, "b/overall": 2.0, "c/overall": 3.0}
    assert recorded_seconds(tmp_path / "nowhere" / "2026Q3", {"runs": {}}) == {}


def test_run_report_hands_the_runs_to_the_workers_longest_first_and_reports_them_in_definition_order(
        tmp_path, monkeypatch):
    shutil = pytest.importorskip("shutil")
    here = Path(__file__).parent / "notebooks"
    shutil.copy(here / "tiny.py", tmp_path / "tiny.py")
    shutil.copy(here / "tiny_report.toml", tmp_path / "report.toml")
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"grp": ["A", "B", "C"], "quarter": ["2026Q3"] * 3}).to_parquet(data / "survey.parquet")
    # an earlier quarter's batch recorded grp-B as the longest run, the overall run as the shortest
    _manifest(tmp_path / "reports" / "2026Q2", {"tiny/overall": ("ok", 1.0), "tiny/grp-A": ("ok", 2.0),
                                                "tiny/grp-B": ("ok", 9.0), "tiny/grp-C": ("ok", 3.0)})
    handed: list[str] = []

    def fake_execute_all(runs, *, jobs, on_done, interrupt):  # the workers, without kernels
        for r in runs:
            handed.append(r.key)
            r.figures.parent.mkdir(parents=True, exist_ok=True)
            on_done(RunResult(notebook=r.notebook, run=r.run, status="ok", seconds=0.1, column=r.column, value=r.value))

    monkeypatch.setattr(execute, "_execute_all", fake_execute_all)
    batch = run_report("2026Q3", definition=tmp_path / "report.toml", data_dir=data,
                       reports_dir=tmp_path / "reports", jobs=2, progress=False)
    assert handed == ["tiny/grp-B", "tiny/grp-C", "tiny/grp-A", "tiny/overall"]
    assert [r.key for r in batch.results] == ["tiny/overall", "tiny/grp-A", "tiny/grp-B", "tiny/grp-C"]


# --- forked kernels -------------------------------------------------------------------------

PROBE = '''# %% tags=["parameters"]
quarter: str = None  # required
figures_path: str = None  # set by the runner
mode: str = "probe"  # "probe", "poison" (leave traces, then fail) or "die" (kill the kernel)

# %%
import json, os, sys
import matplotlib
import numpy as np
import cxlib

if mode == "poison":
    cxlib.LEFT_BEHIND = 1
    os.environ["CX_LEFT_BEHIND"] = "1"
    matplotlib.rcParams["lines.linewidth"] = 9.0
    raise RuntimeError("planted failure")
if mode == "die":
    os._exit(3)

# %%
with open(figures_path, "w") as fh:
    json.dump({"headline": {}, "pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
               "argv0": os.path.basename(sys.argv[0]), "path": sys.path, "main": sys.modules["__main__"].__name__,
               "env": {k: os.environ.get(k) for k in ("MPLBACKEND", "OMP_NUM_THREADS", "CX_PROBE", "CX_LEFT_BEHIND")},
               "left_behind": hasattr(cxlib, "LEFT_BEHIND"), "linewidth": matplotlib.rcParams["lines.linewidth"],
               "draw": float(np.random.random()), "sid": os.getsid(0)}, fh)
'''


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A probe notebook and a function executing a run of it in this process, with kernels
    forked (``fork=True``, as in a batch worker) or launched from scratch."""
    nb = tmp_path / "probe.py"
    nb.write_text(PROBE)
    monkeypatch.setenv("CX_PROBE", "yes")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.chdir(tmp_path)

    def run(name: str, *, mode: str = "probe", fork: bool = True) -> tuple[RunResult, dict]:
        monkeypatch.setattr(execute, "_FORK_KERNELS", fork)
        r = RunSpec("probe", name, nb, {"quarter": "2026Q3", "mode": mode}, tmp_path / "reports", timeout=120)
        r.parameters["figures_path"] = str(r.figures)  # type: ignore[index]
        res = execute_run(r)
        return res, (json.loads(r.figures.read_text()) if r.figures.exists() else {})

    yield run
    kernels.stop_server()


needs_fork = pytest.mark.skipif(not kernels.fork_supported(), reason="kernels are forked on Linux only")


@needs_fork
def test_a_forked_kernel_starts_as_a_kernel_launched_from_scratch(probe):
    fresh_res, fresh = probe("fresh", fork=False)
    res1, one = probe("one")
    res2, two = probe("two")
    assert fresh_res.status == res1.status == res2.status == "ok", (fresh_res.error, res1.error, res2.error)
    server = kernels._SERVER
    assert server is not None and server.proc.poll() is None
    # forked by the one fork server, not started by this process; a new process for each run
    assert fresh["ppid"] == os.getpid()
    assert one["ppid"] == two["ppid"] == server.proc.pid
    assert len({fresh["pid"], one["pid"], two["pid"], os.getpid()}) == 4
    assert one["sid"] == one["pid"] and two["sid"] == two["pid"]  # a session of its own, as jupyter_client does
    # what the kernel sees: command line, import path, working directory, environment
    for got in (one, two):
        for key in ("cwd", "argv0", "path", "main", "env", "left_behind", "linewidth"):
            assert got[key] == fresh[key], key
    assert fresh["env"]["CX_PROBE"] == "yes" and fresh["argv0"] == "ipykernel_launcher.py"
    # numpy's global generator is seeded afresh in every kernel, as in a new interpreter
    assert len({fresh["draw"], one["draw"], two["draw"]}) == 3


@needs_fork
def test_a_failing_run_leaves_nothing_behind_for_the_next_run(probe):
    bad, _ = probe("poisoned", mode="poison")
    assert bad.status == "failed" and "planted failure" in bad.error
    server_pid = kernels._SERVER.proc.pid
    dead, _ = probe("dead", mode="die")
    assert dead.status == "failed"  # the kernel died: that run fails, nothing else
    ok, after = probe("after")
    assert ok.status == "ok", ok.error
    assert after["left_behind"] is False and after["env"]["CX_LEFT_BEHIND"] is None
    assert after["linewidth"] != 9.0
    assert kernels._SERVER.proc.pid == server_pid  # the same fork server served all three


def test_kernels_are_launched_from_scratch_when_forking_is_switched_off_or_unusable(probe, monkeypatch, tmp_path):
    monkeypatch.setenv(kernels.FORK_ENV, "0")
    assert kernels.fork_supported() is False
    res, got = probe("off")  # the batch worker asked for forked kernels, the environment says no
    assert res.status == "ok", res.error
    assert got["ppid"] == os.getpid()
    # a fork server that cannot import what it must preload is not used
    broken = kernels.ForkServer(sys.executable, dict(os.environ), str(tmp_path), preload=("cx_no_such_module",))
    try:
        assert broken.fork(["-f", str(tmp_path / "k.json")], dict(os.environ), str(tmp_path)) is None
    finally:
        broken.close()


@needs_fork
def test_the_fork_server_is_replaced_when_the_kernels_environment_changes(tmp_path):
    env = {**os.environ, "CX_PROBE": "a"}
    try:
        first = kernels.server_for(sys.executable, env, str(tmp_path))
        assert kernels.server_for(sys.executable, {**env, "JPY_PARENT_PID": "1", kernels.FORK_ENV: "1"}, str(tmp_path)) is first
        second = kernels.server_for(sys.executable, {**env, "CX_PROBE": "b"}, str(tmp_path))
        assert second is not first and first.proc.poll() is not None  # the old one was closed
    finally:
        kernels.stop_server()
    assert kernels._SERVER is None


# --- the workers' imports -------------------------------------------------------------------


def test_the_workers_preloaded_imports_leave_out_only_jsonschemas_iri_checkers(tmp_path):
    """multiprocessing's fork server imports cxlib.report.worker_imports before forking the
    workers: papermill, nbconvert and the report package are loaded, jsonschema without the
    optional IRI checkers (rfc3987_syntax), and nbformat still validates and writes notebooks."""
    code = '''
import json, sys
import cxlib.report.worker_imports
import jsonschema, nbformat
from cxlib.report.runs import read_notebook
nb = read_notebook(sys.argv[1])
nbformat.validate(nb)
nbformat.write(nb, sys.argv[2])
print(json.dumps({"loaded": [m for m in ("papermill", "nbconvert", "cxlib.report.execute") if m in sys.modules],
                  "iri": sorted(set(jsonschema.Draft7Validator.FORMAT_CHECKER.checkers) & {"iri", "iri-reference"}),
                  "cells": len(nbformat.read(sys.argv[2], as_version=4).cells)}))
'''
    nb = tmp_path / "probe.py"
    nb.write_text(PROBE)
    import subprocess

    out = subprocess.run([sys.executable, "-c", code, str(nb), str(tmp_path / "probe.ipynb")], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    got = json.loads(out.stdout.splitlines()[-1])
    assert got == {"loaded": ["papermill", "nbconvert", "cxlib.report.execute"], "iri": [], "cells": 3}
    # the batch's own process is left alone: importing the report package does not do it
    assert sys.modules.get("rfc3987_syntax", "absent") is not None


def test_the_workers_are_forked_from_a_server_that_preloads_their_imports():
    from multiprocessing import forkserver

    ctx = execute._worker_context()
    assert ctx.get_start_method() == "forkserver"
    assert forkserver._forkserver._preload_modules == ["__main__", "cxlib.report.worker_imports"]
