"""``cx report --executor ray``: the runs executed as Ray tasks, with the local executor's
validation, failure isolation, resume and index (issue 14, the optional engine beside Dask).

Ray is an optional extra (``cxlib[ray]``), not in ``dev``: this module skips where it is not
installed (CI). One local Ray instance of two CPUs is started for the module (tens of
seconds on a loaded machine), or the cluster at ``RAY_ADDRESS`` is used; ``run_report``
uses the connection this process has, as it would in a notebook that called ``ray.init``.
A Ray instance started by the batch itself is what ``benchmarks/bench_fanout.py`` measures
(and was checked by hand with ``cx report --executor ray``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

from cxlib.cli import _build_parser, _resume_command, main
from cxlib.report.execute import run_report
from tests.test_executor import flaky_setup, gone, run_unreachable, sleepy_setup, when_b_sleeps

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_instance():
    """Connected to Ray for the module: a local instance of 2 CPUs, or the cluster at
    ``RAY_ADDRESS`` (Ray's own variable, e.g. ``auto`` after ``ray start --head --num-cpus 2``).
    Ray's raylet gives its agent processes 15 s to start, which a loaded machine can miss
    (seen here at load 9-14 on 2 cores): up to three attempts, then the module is skipped
    saying so (start a head node yourself then)."""
    existing = os.environ.get("RAY_ADDRESS")
    for _ in range(1 if existing else 3):
        try:
            if existing:
                ray.init(log_to_driver=False)
            else:
                ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
            break
        except Exception as exc:  # noqa: BLE001 - ray raises a bare Exception on a start-up timeout
            ray.shutdown()
            error = exc
    else:
        pytest.skip(f"no Ray instance (RAY_ADDRESS={existing}): {error}")
    try:
        yield
    finally:
        ray.shutdown()


def _is_ray_worker(pid: int) -> bool:
    return pid != os.getpid() and "ray" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")


@pytest.fixture(scope="module")
def batch(ray_instance, tmp_path_factory):
    """The 3-run report on Ray (B fails) and the same report on the local executor; then the
    flag removed and the Ray report resumed."""
    out = {}
    for executor in ("local", "ray"):
        root = tmp_path_factory.mktemp(executor)
        definition, data, flag = flaky_setup(root)
        out[executor] = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=root / "reports",
                                   progress=False, executor=executor)
    reports = root / "reports" / "2026Q3"
    manifest = json.loads((reports / "runs.json").read_text())
    index = (reports / "index.html").read_text()
    flag.unlink()
    second = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=root / "reports",
                        progress=False, executor="ray", resume=True)
    return out["local"], out["ray"], manifest, index, second


def test_a_failing_run_fails_alone_on_ray(batch):
    _, first, *_ = batch
    status = {r.key: r.status for r in first.results}
    assert status == {"flaky/overall": "ok", "flaky/grp-A": "ok", "flaky/grp-B": "failed"}
    assert not first.ok and [r.key for r in first.results] == ["flaky/overall", "flaky/grp-A", "flaky/grp-B"]
    failed = first.failed[0]
    assert "RuntimeError" in failed.error and "planted failure of B" in failed.error
    assert failed.ipynb and failed.html and failed.log  # kept, as a local run keeps them
    for key in ("overall", "grp-A"):  # executed by Ray's worker processes (the kernels' parents)
        figures = json.loads((first.out_dir / "flaky" / f"{key}.json").read_text())
        assert _is_ray_worker(figures["worker_pid"])


def test_the_outputs_equal_the_local_executors(batch):
    local, on_ray, manifest, *_ = batch
    assert [(r.key, r.status, r.error) for r in on_ray.results] == [(r.key, r.status, r.error) for r in local.results]
    for key in ("overall", "grp-A"):
        a, b = (json.loads((res.out_dir / "flaky" / f"{key}.json").read_text()) for res in (local, on_ray))
        assert a["worker_pid"] != b["worker_pid"]
        assert {k: v for k, v in a.items() if k != "worker_pid"} == {k: v for k, v in b.items() if k != "worker_pid"}
        html = [(res.out_dir / "flaky" / f"{key}.html").read_text().replace(str(res.out_dir.parents[1]), "ROOT")
                for res in (local, on_ray)]  # the provenance table names the (different) folders
        assert html[0] == html[1]
    runs = json.loads((local.out_dir / "runs.json").read_text())["runs"]  # Ray's: recorded before the resume
    assert {k: (v["status"], v["error"]) for k, v in runs.items()} == \
        {k: (v["status"], v["error"]) for k, v in manifest["runs"].items()}


def test_the_manifest_and_index_record_every_run(batch):
    _, first, manifest, index, _ = batch
    runs = manifest["runs"]
    assert {k: v["status"] for k, v in runs.items()} == {r.key: r.status for r in first.results}
    assert "planted failure of B" in runs["flaky/grp-B"]["error"]
    for run in ("overall", "grp-A", "grp-B"):
        assert f"flaky/{run}.html" in index
    assert "survey rows: 6.0 no interval (n = 6)" in index


def test_resume_on_ray_reruns_only_the_failed_run(batch):
    *_, second = batch
    assert second.ok and [r.key for r in second.results] == ["flaky/grp-B"]
    assert set(second.skipped) == {"flaky/overall", "flaky/grp-A"}
    after = json.loads((second.out_dir / "runs.json").read_text())["runs"]
    assert {v["status"] for v in after.values()} == {"ok"}
    assert _is_ray_worker(json.loads((second.out_dir / "flaky" / "grp-B.json").read_text())["worker_pid"])


def test_the_cli_runs_on_ray_and_its_resume_command_keeps_the_executor(ray_instance, tmp_path, capsys):
    definition, data, _ = flaky_setup(tmp_path)
    args = ["report", "--quarter", "2026Q3", "--definition", str(definition), "--data", str(data),
            "--reports-dir", str(tmp_path / "reports"), "--quiet", "--executor", "ray", "--address", "auto",
            "--only", "flaky/grp-B"]
    assert main(args) == 1  # B failed (the existing connection is used; --address is kept for the resume)
    assert "2026Q3: 0 ok, 1 failed, 0 skipped" in capsys.readouterr().out
    command = _resume_command(_build_parser().parse_args(args), "2026Q3")
    assert "--executor ray --address auto" in command and "--resume" in command


def test_a_killed_ray_worker_fails_its_run_only(ray_instance, tmp_path):
    definition, data, pids = sleepy_setup(tmp_path)
    reports = tmp_path / "reports"
    killed = {}

    def kill_worker(kernel: int) -> None:  # the worker executing B (the kernel's parent) dies
        killed["kernel"] = kernel
        worker = int(Path(f"/proc/{kernel}/stat").read_text().rsplit(")", 1)[1].split()[1])
        os.kill(worker, signal.SIGKILL)

    when_b_sleeps(pids, reports, kill_worker)
    try:
        result = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, progress=False,
                            executor="ray")
    finally:
        if "kernel" in killed:  # orphaned by its dead worker
            with contextlib.suppress(ProcessLookupError):
                os.kill(killed["kernel"], signal.SIGKILL)
    status = {r.key: r.status for r in result.results}
    assert status == {"sleepy/overall": "ok", "sleepy/grp-A": "ok", "sleepy/grp-B": "failed"}
    assert "worker crashed" in result.failed[0].error and not result.interrupted
    assert json.loads((reports / "2026Q3" / "runs.json").read_text())["runs"]["sleepy/grp-B"]["status"] == "failed"


def test_ctrl_c_cancels_the_unfinished_ray_runs_and_kills_their_kernels(ray_instance, tmp_path):
    definition, data, pids = sleepy_setup(tmp_path)
    reports = tmp_path / "reports"
    when_b_sleeps(pids, reports, lambda kernel: os.kill(os.getpid(), signal.SIGINT))
    result = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, progress=False,
                        executor="ray")
    assert result.interrupted and not result.ok
    assert {r.key: r.status for r in result.results} == {
        "sleepy/overall": "ok", "sleepy/grp-A": "ok", "sleepy/grp-B": "cancelled"}
    assert json.loads((reports / "2026Q3" / "runs.json").read_text())["runs"]["sleepy/grp-B"]["status"] == "cancelled"
    assert gone(int((pids / "B.pid").read_text()))  # ray.cancel reached the worker, which killed the kernel
    time.sleep(1.0)
    assert not (reports / "2026Q3" / "sleepy" / "grp-B.html").exists()


def test_an_unreachable_ray_cluster_is_a_clear_error(tmp_path, monkeypatch, capsys):
    """What Ray Client raises after its retries (about 40 s here for ray://127.0.0.1:1) is
    reported before anything runs; faked, as the module's own instance is connected."""
    def refuse(**kw):
        raise ConnectionError("ray client connection timeout")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    code, err = run_unreachable(tmp_path, capsys, "ray", "ray://127.0.0.1:1")
    assert code == 2 and "cannot reach the Ray cluster at 'ray://127.0.0.1:1'" in err and "nothing was run" in err
    assert not list((tmp_path / "reports").rglob("*.ipynb"))
