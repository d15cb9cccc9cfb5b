"""``cx report --executor dask``: the runs executed by a Dask distributed cluster, with the
local executor's validation, failure isolation, resume and index (issue 14, fan-out on a
cluster). The cluster is a ``LocalCluster`` of two worker processes, reached through its
scheduler address as an existing cluster would be; tests/notebooks/flaky.py is the
notebook (one planted failure, switched off by removing a file)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import cxlib
from cxlib.cli import _build_parser, _resume_command, main
from cxlib.report.definition import ReportDefinitionError, load_definition
from cxlib.report.execute import run_report
from cxlib.report.executors import check_executor, run_on_worker
from cxlib.report.runs import plan_runs

distributed = pytest.importorskip("distributed")

HERE = Path(__file__).parent / "notebooks"


def flaky_setup(root: Path, *, groups=("A", "B")) -> tuple[Path, Path, Path]:
    """A definition with an overall run and one run per group (3 runs), its data and a flag
    file that makes the run of group B fail."""
    shutil.copy(HERE / "flaky.py", root / "flaky.py")
    flag = root / "fail.flag"
    flag.write_text("fail")
    definition = root / "report.toml"
    definition.write_text(f"""
[report]
title = "Flaky report"
[[notebook]]
name = "flaky"
path = "flaky.py"
timeout = 120
[notebook.parameters]
fail_on = "B"
fail_flag = {json.dumps(str(flag))}
[notebook.fan_out]
parameter = "subset_value"
column = "grp"
""")
    data = root / "data"
    data.mkdir()
    pd.DataFrame({"quarter": ["2026Q3"] * 6, "grp": [groups[i % len(groups)] for i in range(6)]}) \
        .to_parquet(data / "survey.parquet")
    return definition, data, flag


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cl, distributed.Client(cl) as client:
        pids = set(client.run(os.getpid).values())
        yield cl.scheduler_address, pids


@pytest.fixture(scope="module")
def batch(cluster, tmp_path_factory):
    """The 3-run report on the cluster (B fails), then the flag removed and the report resumed."""
    address, pids = cluster
    root = tmp_path_factory.mktemp("dask")
    definition, data, flag = flaky_setup(root)
    reports = root / "reports"
    kw = {"definition": definition, "data_dir": data, "reports_dir": reports, "progress": False,
          "executor": "dask", "address": address}
    first = run_report("2026Q3", **kw)
    manifest = json.loads((reports / "2026Q3" / "runs.json").read_text())
    index = (reports / "2026Q3" / "index.html").read_text()
    flag.unlink()
    second = run_report("2026Q3", resume=True, **kw)
    return root, reports, pids, first, manifest, index, second


def test_a_failing_run_fails_alone_on_the_cluster(batch):
    _, reports, pids, first, *_ = batch
    status = {r.key: r.status for r in first.results}
    assert status == {"flaky/overall": "ok", "flaky/grp-A": "ok", "flaky/grp-B": "failed"}
    assert not first.ok and [r.key for r in first.results] == ["flaky/overall", "flaky/grp-A", "flaky/grp-B"]
    failed = first.failed[0]
    assert "RuntimeError" in failed.error and "planted failure of B" in failed.error
    # the failed run keeps its executed notebook, HTML and log, like a local run
    assert failed.ipynb and failed.html and failed.log
    # the runs were executed by the cluster's workers (the kernels' parent processes)
    for key in ("overall", "grp-A"):
        figures = json.loads((reports / "2026Q3" / "flaky" / f"{key}.json").read_text())
        assert figures["worker_pid"] in pids and figures["worker_pid"] != os.getpid()
        assert figures["headline"]["survey rows"]["n"] == 6


def test_the_manifest_and_index_record_every_run(batch):
    *_, first, manifest, index, _ = batch
    runs = manifest["runs"]
    assert {k: v["status"] for k, v in runs.items()} == {r.key: r.status for r in first.results}
    assert runs["flaky/grp-A"]["inputs"]["cxlib"] == cxlib.__version__
    assert "planted failure of B" in runs["flaky/grp-B"]["error"]
    for run in ("overall", "grp-A", "grp-B"):
        assert f"flaky/{run}.html" in index
    assert "survey rows: 6.0 no interval (n = 6)" in index


def test_resume_on_the_cluster_reruns_only_the_failed_run(batch):
    _, reports, pids, *_, second = batch
    assert second.ok
    assert [r.key for r in second.results] == ["flaky/grp-B"]
    assert set(second.skipped) == {"flaky/overall", "flaky/grp-A"}
    assert second.reruns == (("flaky/grp-B", "last run failed"),)
    after = json.loads((reports / "2026Q3" / "runs.json").read_text())["runs"]
    assert {v["status"] for v in after.values()} == {"ok"}
    figures = json.loads((reports / "2026Q3" / "flaky" / "grp-B.json").read_text())
    assert figures["worker_pid"] in pids
    html = (reports / "2026Q3" / "index.html").read_text()
    assert "planted failure" not in html  # the index no longer shows B's error


def test_the_cli_runs_on_the_cluster_and_its_resume_command_keeps_the_executor(cluster, tmp_path, capsys):
    address, _ = cluster
    definition, data, _ = flaky_setup(tmp_path)
    args = ["report", "--quarter", "2026Q3", "--definition", str(definition), "--data", str(data),
            "--reports-dir", str(tmp_path / "reports"), "--quiet", "--executor", "dask", "--address", address,
            "--only", "flaky/grp-A", "flaky/grp-B"]
    assert main(args) == 1  # B failed
    assert "2026Q3: 1 ok, 1 failed, 0 skipped" in capsys.readouterr().out
    parsed = _build_parser().parse_args(args)
    command = _resume_command(parsed, "2026Q3")
    assert f"--executor dask --address {address}" in command and "--resume" in command


def test_a_dask_cluster_started_for_the_batch(tmp_path):
    """Without --address the batch starts (and closes) a local cluster of --jobs workers."""
    definition, data, flag = flaky_setup(tmp_path, groups=("A",))
    flag.unlink()
    result = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=tmp_path / "reports",
                        progress=False, executor="dask", jobs=2)
    assert result.ok and [r.key for r in result.results] == ["flaky/overall", "flaky/grp-A"]
    pid = json.loads((tmp_path / "reports" / "2026Q3" / "flaky" / "overall.json").read_text())["worker_pid"]
    assert pid != os.getpid()


@pytest.mark.parametrize(("executor", "address", "message"), [
    ("spark", None, "unknown executor 'spark'"),
    ("local", "tcp://127.0.0.1:8786", "--address goes with --executor dask or ray"),
])
def test_bad_executor_options_are_refused_before_anything_runs(tmp_path, executor, address, message):
    definition, data, _ = flaky_setup(tmp_path)
    with pytest.raises(ReportDefinitionError, match=message):
        run_report("2026Q3", definition=definition, data_dir=data, reports_dir=tmp_path / "reports",
                   progress=False, executor=executor, address=address)
    assert not (tmp_path / "reports").exists()


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch, capsys):
    import cxlib.report.executors as ex

    monkeypatch.setattr(ex, "CONNECT_TIMEOUT", 1.0)
    code, err = run_unreachable(tmp_path, capsys, "dask", "tcp://127.0.0.1:1")
    assert code == 2 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in err and "nothing was run" in err
    assert not list((tmp_path / "reports").rglob("*.ipynb"))


def run_unreachable(tmp_path, capsys, executor: str, address: str) -> tuple[int, str]:
    """`cx report` on a small batch with an executor whose cluster cannot be reached: the exit
    code and what went to stderr."""
    definition, data, _ = flaky_setup(tmp_path)
    code = main(["report", "--quarter", "2026Q3", "--definition", str(definition), "--data", str(data),
                 "--reports-dir", str(tmp_path / "reports"), "--quiet", "--executor", executor,
                 "--address", address])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("executor", "module", "extra"), [("dask", "distributed", "cluster"), ("ray", "ray", "ray")])
def test_without_its_engine_an_executor_says_what_to_install(monkeypatch, tmp_path, capsys, executor, module, extra):
    import sys

    monkeypatch.setitem(sys.modules, module, None)  # import distributed / ray -> ImportError
    with pytest.raises(ReportDefinitionError, match=rf"pip install 'cxlib\[{extra}\]'; nothing was run"):
        check_executor(executor, None)
    definition, data, _ = flaky_setup(tmp_path)
    code = main(["report", "--quarter", "2026Q3", "--definition", str(definition), "--data", str(data),
                 "--reports-dir", str(tmp_path / "reports"), "--executor", executor])
    assert code == 2 and f"--executor {executor} needs" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_a_worker_that_cannot_see_the_files_or_has_another_cxlib_fails_the_run(tmp_path, monkeypatch):
    definition, _, _ = flaky_setup(tmp_path)
    monkeypatch.chdir(tmp_path)  # the batch's working directory: data/ is relative to it
    run = plan_runs(load_definition(definition), quarter="2026Q3", data_dir=Path("data"),
                    out_dir=Path("reports") / "2026Q3")[0]
    other = run_on_worker(run, cwd=str(tmp_path), version="0.0-other")
    assert other.status == "failed" and f"cxlib {cxlib.__version__}, the batch 0.0-other" in other.error
    gone = run_on_worker(run, cwd=str(tmp_path / "elsewhere"), version=cxlib.__version__)
    assert gone.status == "failed" and "cannot see the batch's working directory" in gone.error
    (tmp_path / "empty").mkdir()
    blind = run_on_worker(run, cwd=str(tmp_path / "empty"), version=cxlib.__version__)
    assert blind.status == "failed" and "cannot see the dataset 'data'" in blind.error
    assert "shared file system" in blind.error


def sleepy_setup(root: Path, *, sleep_on: str = "B") -> tuple[Path, Path, Path]:
    """A 3-run report of tests/notebooks/sleepy.py whose run ``sleep_on`` sleeps 240 s;
    every kernel records its pid in the returned folder."""
    shutil.copy(HERE / "sleepy.py", root / "sleepy.py")
    pids = root / "pids"
    pids.mkdir()
    definition = root / "report.toml"
    definition.write_text(f"""
[report]
title = "Sleepy report"
[[notebook]]
name = "sleepy"
path = "sleepy.py"
timeout = 300
[notebook.parameters]
sleep_on = "{sleep_on}"
sleep_seconds = 240.0
pid_dir = {json.dumps(str(pids))}
[notebook.fan_out]
parameter = "subset_value"
column = "grp"
""")
    data = root / "data"
    data.mkdir()
    pd.DataFrame({"quarter": ["2026Q3"] * 4, "grp": ["A", "B"] * 2}).to_parquet(data / "survey.parquet")
    return definition, data, pids


def when_b_sleeps(pids: Path, reports: Path, then) -> None:
    """In a thread: once B's kernel sleeps and the batch has recorded the other two runs of
    :func:`sleepy_setup` (in ``runs.json``, after their HTML), call ``then(B's kernel pid)``."""
    import threading
    import time

    manifest = reports / "2026Q3" / "runs.json"

    def finished() -> bool:
        try:
            runs = json.loads(manifest.read_text())["runs"]
        except (OSError, ValueError, KeyError):  # not written yet (it is replaced atomically)
            return False
        return all(runs.get(f"sleepy/{run}", {}).get("status") == "ok" for run in ("overall", "grp-A"))

    def wait() -> None:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            if (pids / "B.pid").exists() and finished():
                break
            time.sleep(0.2)
        then(int((pids / "B.pid").read_text()))

    threading.Thread(target=wait, daemon=True).start()


def gone(pid: int, seconds: float = 30.0) -> bool:
    """Whether the process ``pid`` ends within ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(pid)


def test_ctrl_c_cancels_the_unfinished_runs_and_kills_their_kernels(cluster, tmp_path):
    import signal
    import time

    address, _ = cluster
    definition, data, pids = sleepy_setup(tmp_path)
    reports = tmp_path / "reports"
    when_b_sleeps(pids, reports, lambda kernel: os.kill(os.getpid(), signal.SIGINT))
    result = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, progress=False,
                        executor="dask", address=address)
    assert result.interrupted and not result.ok
    assert {r.key: r.status for r in result.results} == {
        "sleepy/overall": "ok", "sleepy/grp-A": "ok", "sleepy/grp-B": "cancelled"}
    recorded = json.loads((reports / "2026Q3" / "runs.json").read_text())["runs"]
    assert recorded["sleepy/grp-B"]["status"] == "cancelled"
    # the sleeping kernel on the worker was killed, and the cancelled run wrote no outputs
    assert gone(int((pids / "B.pid").read_text()))
    time.sleep(1.0)  # the cancelled task ends on the worker
    assert not (reports / "2026Q3" / "sleepy" / "grp-B.html").exists()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False
