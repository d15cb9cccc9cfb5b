"""Regression tests of the batch's failure modes (issue 11, items 1-6): resume trusts only
unchanged inputs, fan-out run names never collide, Ctrl-C stops the batch cleanly,
definitions are validated before anything runs, outputs are checked first and written with
the usual mode, and an unreadable Parquet file is named. Fault injection uses the fast
tests/notebooks/sleepy.py (no cxlib import in the kernel)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import cxlib
from cxlib.cli import main
from cxlib.data.store import load_dataset
from cxlib.errors import CXDataError
from cxlib.report.definition import ReportDefinition, ReportDefinitionError, load_definition
from cxlib.report.execute import _pending, run_inputs, run_report
from cxlib.report.index import write_index
from cxlib.report.runs import plan_runs, run_names

HERE = Path(__file__).parent / "notebooks"
ROOT = Path(__file__).resolve().parents[1]


def sleepy_definition(root: Path, *, parameters: str = "", fan_out: str = "") -> Path:
    shutil.copy(HERE / "sleepy.py", root / "sleepy.py")
    path = root / "report.toml"
    path.write_text(f"""
[report]
title = "Sleepy report"
[[notebook]]
name = "sleepy"
path = "sleepy.py"
timeout = 120
[notebook.parameters]
{parameters}
{fan_out}
""")
    return path


def write_survey(data: Path, rows: int, *, grp=None, quarters=("2026Q2", "2026Q3")) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"quarter": [quarters[i % len(quarters)] for i in range(rows)],
                          "grp": grp if grp is not None else ["A"] * rows})
    frame.to_parquet(data / "survey.parquet")
    return data


def cli(definition: Path, data: Path, reports: Path, *extra: str) -> list[str]:
    return ["report", "--quarter", "2026Q3", "--definition", str(definition), "--data", str(data),
            "--reports-dir", str(reports), "--jobs", "1", "--quiet", *extra]


# --- 1. --resume reruns a run unless its recorded inputs are unchanged -------------------

@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A one-run batch, then the data changes and the batch is resumed (through the CLI)."""
    root = tmp_path_factory.mktemp("resume")
    definition = sleepy_definition(root)
    data = write_survey(root / "data", 4)
    reports = root / "reports"
    first = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, jobs=1, progress=False)
    figures = reports / "2026Q3" / "sleepy" / "overall.json"
    before = json.loads(figures.read_text())
    write_survey(data, 6)  # new data: the old result is stale
    return root, definition, data, reports, first, before


def test_resume_reruns_a_run_whose_data_changed_and_says_why(resumed, capsys):
    root, definition, data, reports, first, before = resumed
    assert first.ok and before["headline"]["survey rows"]["n"] == 4
    capsys.readouterr()
    assert main(cli(definition, data, reports, "--resume")) == 0
    out = capsys.readouterr().out
    assert "rerun sleepy/overall: data changed" in out.splitlines()
    assert "1 ok, 0 failed, 0 skipped" in out
    after = json.loads((reports / "2026Q3" / "sleepy" / "overall.json").read_text())
    assert after["headline"]["survey rows"]["n"] == 6  # the new data's numbers, not the old ones
    index = (reports / "2026Q3" / "index.html").read_text()
    assert "survey rows: 6.0 no interval (n = 6)" in index
    # the inputs are recorded per run; a second resume with nothing changed skips the run
    recorded = json.loads((reports / "2026Q3" / "runs.json").read_text())["runs"]["sleepy/overall"]["inputs"]
    assert set(recorded) == {"data", "notebook", "parameters", "cxlib"}
    assert recorded["cxlib"] == cxlib.__version__ and recorded["parameters"]["quarter"] == "2026Q3"
    assert main(cli(definition, data, reports, "--resume")) == 0
    out = capsys.readouterr().out
    assert "rerun" not in out and "0 ok, 0 failed, 1 skipped" in out


def test_resume_names_every_changed_input(resumed, monkeypatch):
    root, definition, data, reports, *_ = resumed
    runs = plan_runs(load_definition(definition), quarter="2026Q3", data_dir=data, out_dir=reports / "2026Q3")
    manifest = json.loads((reports / "2026Q3" / "runs.json").read_text())["runs"]
    inputs = run_inputs(runs, data)
    assert _pending(runs, manifest, inputs, resume=True)[1] == ["sleepy/overall"]  # unchanged: skipped

    def reasons(**changed):
        new = {k: {**v, **changed} for k, v in inputs.items()}
        return _pending(runs, manifest, new, resume=True)[2]

    assert reasons(notebook="0" * 16) == [("sleepy/overall", "notebook changed")]
    assert reasons(parameters={"quarter": "2026Q3", "sleep_on": "x"}) == [("sleepy/overall", "parameters changed")]
    assert reasons(data="1" * 16, cxlib="9.9") == [
        ("sleepy/overall", f"data changed, cxlib version changed ({cxlib.__version__} -> 9.9)")]
    # the notebook file's content and the version come from the real inputs
    (root / "sleepy.py").write_text((HERE / "sleepy.py").read_text() + "\n# edited\n")
    monkeypatch.setattr(cxlib, "__version__", "9.9")
    changed = run_inputs(runs, data)["sleepy/overall"]
    assert changed["notebook"] != inputs["sleepy/overall"]["notebook"] and changed["cxlib"] == "9.9"
    (root / "sleepy.py").write_text((HERE / "sleepy.py").read_text())
    # a record without inputs (an older runs.json) is rerun
    legacy = {k: {kk: vv for kk, vv in v.items() if kk != "inputs"} for k, v in manifest.items()}
    assert _pending(runs, legacy, inputs, resume=True)[2] == [("sleepy/overall", "its inputs were not recorded")]


def test_resume_drops_runs_the_data_no_longer_produces(resumed):
    root, definition, data, reports, *_ = resumed
    manifest_file = reports / "2026Q3" / "runs.json"
    manifest = json.loads(manifest_file.read_text())
    gone = {**manifest["runs"]["sleepy/overall"], "run": "grp-Gone", "value": "Gone", "column": "grp"}
    manifest["runs"]["sleepy/grp-Gone"] = gone  # a segment of an earlier batch, not in the data now
    manifest_file.write_text(json.dumps(manifest))
    res = run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, resume=True, progress=False)
    assert res.skipped == ("sleepy/overall",) and res.results == ()
    assert list(json.loads(manifest_file.read_text())["runs"]) == ["sleepy/overall"]
    assert "grp-Gone" not in (reports / "2026Q3" / "index.html").read_text()


def test_ipynb_outputs_have_the_same_mode_as_the_others(resumed):
    out = resumed[3] / "2026Q3" / "sleepy"
    modes = {p.suffix: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    umask = os.umask(0)
    os.umask(umask)
    assert modes[".ipynb"] == modes[".html"] == modes[".log"] == 0o666 & ~umask, modes


# --- 2. fan-out run names are unique and readable ------------------------------------------

COLLIDING = ["a b", "a/b", "São Paulo", "S-o Paulo"]


def test_fan_out_values_that_sanitise_alike_get_unique_readable_names():
    names = run_names("country", COLLIDING)
    assert len(set(names.values())) == 4
    assert names["a b"].startswith("country-a-b-") and names["a/b"].startswith("country-a-b-")
    assert names["São Paulo"].startswith("country-S-o-Paulo-") and names["S-o Paulo"].startswith("country-S-o-Paulo-")
    assert all(len(n.rsplit("-", 1)[1]) == 4 for n in names.values())  # a short hash suffix
    assert run_names("country", list(reversed(COLLIDING))) == names  # independent of the order
    # names that do not clash stay as they were; one unchanged value keeps its plain name
    assert run_names("country", ["DE", "FR"]) == {"DE": "country-DE", "FR": "country-FR"}
    assert run_names("city", ["a-b", "a b"])["a-b"] == "city-a-b"
    # names that differ only by case clash on case-insensitive file systems
    de = run_names("country", ["DE", "de"])
    assert len({n.casefold() for n in de.values()}) == 2


def test_fan_out_runs_never_share_output_files_and_the_index_shows_the_values(tmp_path):
    definition = sleepy_definition(tmp_path, fan_out='[notebook.fan_out]\nparameter = "subset_value"\n'
                                                       'column = "grp"\n')
    data = write_survey(tmp_path / "data", 4, grp=COLLIDING)
    runs = plan_runs(load_definition(definition), quarter="2026Q3", data_dir=data, out_dir=tmp_path / "out")
    assert len(runs) == 5 and len({r.html for r in runs}) == 5 and len({r.figures for r in runs}) == 5
    assert {r.parameters.get("subset_value") for r in runs} == {None, *COLLIDING}
    assert all(r.value == r.parameters.get("subset_value") for r in runs)
    manifest = {"runs": {r.key: {"notebook": r.notebook, "run": r.run, "status": "ok", "seconds": 1.0,
                                 "column": r.column, "value": r.value} for r in runs}}
    html = write_index(tmp_path / "out", definition=ReportDefinition(title="t", notebooks=()), quarter="2026Q3",
                       data_dir=data, manifest=manifest).read_text()
    for r in runs[1:]:
        assert f"<td>{r.run}<br><span class='muted'>grp = {r.value}</span></td>" in html


# --- 3. Ctrl-C stops the batch cleanly -------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")  # a zombie is dead, just not reaped yet
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover  (no /proc)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _wait_for(condition, timeout: float, what: str, proc) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"cx report ended before {what}: {proc.communicate(timeout=30)}")
        if time.monotonic() > deadline:
            # the whole session (cx report and its kernels): a kernel left alive keeps the pipes
            # open and communicate() would wait for ever
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"timed out waiting for {what}: {proc.communicate(timeout=30)}")
        time.sleep(0.2)


def test_ctrl_c_stops_the_batch_records_finished_runs_and_says_how_to_resume(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    definition = sleepy_definition(
        tmp_path, parameters=f'sleep_on = "A"\nsleep_seconds = 120.0\npid_dir = "{pids}"',
        fan_out='[notebook.fan_out]\nparameter = "subset_value"\ncolumn = "grp"\nvalues = ["A", "B", "C"]\n')
    data = write_survey(tmp_path / "data", 4)
    reports = tmp_path / "reports"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "cxlib.cli", *cli(definition, data, reports)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # overall finishes first (one worker, runs in order), then A sleeps in its kernel
        _wait_for(lambda: (pids / "A.pid").exists(), 120, "run A to start", proc)
        kernel = int((pids / "A.pid").read_text())
        assert _alive(kernel)
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
        out, err = proc.communicate(timeout=20)
        stopped = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert stopped < 10, stopped  # within a few seconds, not after the queued runs
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    resume_line = [line for line in err.splitlines() if "--resume" in line]
    assert len(resume_line) == 1 and "cx report --quarter 2026Q3 --resume" in resume_line[0], err
    assert "1 ok, 0 failed, 3 cancelled" in out
    deadline = time.monotonic() + 5
    while _alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(kernel), "the sleeping kernel was not shut down"
    assert not (pids / "B.pid").exists() and not (pids / "C.pid").exists()  # queued runs never started
    quarter = reports / "2026Q3"
    runs = json.loads((quarter / "runs.json").read_text())["runs"]
    assert {k: v["status"] for k, v in runs.items()} == {
        "sleepy/overall": "ok", "sleepy/grp-A": "cancelled", "sleepy/grp-B": "cancelled", "sleepy/grp-C": "cancelled"}
    index = (quarter / "index.html").read_text()
    assert index.count("<span class='cancelled'>cancelled</span>") == 3 and "3 cancelled" in index
    assert not [p.name for p in quarter.rglob(".*")]  # no temporary file left behind
    # --resume executes exactly what did not finish
    plan = plan_runs(load_definition(definition), quarter="2026Q3", data_dir=data, out_dir=quarter)
    todo, skipped, reasons = _pending(plan, runs, run_inputs(plan, data), resume=True)
    assert skipped == ["sleepy/overall"]
    assert reasons == [(f"sleepy/grp-{v}", "last run cancelled") for v in "ABC"]


# --- 4. the definition is validated before anything runs -------------------------------------

BASE = '[report]\ntitle = "t"\n{report}[[notebook]]\nname = "a"\npath = "sleepy.py"\n{notebook}'


@pytest.mark.parametrize(
    ("report", "notebook", "message"),
    [
        ("", "timeout = true\n", r"'timeout' = True \(bool\) must be a positive number"),
        ("", "timeout = 0\n", "must be a positive number"),
        ("", "timeout = -5.5\n", "must be a positive number"),
        ("", 'timeout = "60"\n', "must be a positive number"),
        ("", "timeout = nan\n", "must be a positive number"),
        ("[report.parameters]\nconfidence_level = 95\n", "",
         r"\[report.parameters\]: confidence_level = 95 \(int\) is invalid; expected a number strictly between 0 and 1"),
        ("[report.parameters]\nconfidence_level = 1.0\n", "", "strictly between 0 and 1"),
        ("[report.parameters]\nconfidence_level = true\n", "", "strictly between 0 and 1"),
        ("", "[notebook.parameters]\nconfidence_level = 0\n", r"#1 parameters: confidence_level = 0"),
        ("[report.parameters]\nmin_base = -1\n", "", "min_base = -1 .* a whole number >= 0"),
        ("[report.parameters]\nmin_base = 30.0\n", "", "min_base = 30.0 .* a whole number >= 0"),
        ("[report.parameters]\nmin_base = true\n", "", "a whole number >= 0"),
        ("[report.parameters]\nn_boot = -200\n", "", "n_boot = -200"),
        ("[report.parameters]\nseed = \"three\"\n", "", r"seed = 'three' \(str\) is invalid"),
        ("[report.parameters]\nquarter = \"2026Q3\"\n", "", "'quarter' is set by the runner"),
        ("", "[notebook.parameters]\ndata_dir = \"x\"\n", "'data_dir' is set by the runner"),
        ("[report.parameters]\n\"not a name\" = 1\n", "", "not a Python identifier"),
        ("", "parameters = 5\n", "must be a table"),
        ('subtitle = "x"\n', "", "unknown key"),
        ("", '[notebook.fan_out]\nparameter = "p"\ncolumn = "c"\ntable = 3\n', "'table' = 3 must name a table"),
        ("", '[notebook.fan_out]\nparameter = "p"\ncolumn = "c"\ntable = "../x"\n', "must name a table"),
        ("", '[notebook.fan_out]\nparameter = "not ok"\ncolumn = "c"\n', "not a Python identifier"),
        ("", '[notebook.fan_out]\nparameter = "p"\ncolumn = "c"\nvalues = []\n', "at least one value"),
        ("", '[notebook.fan_out]\nparameter = "p"\ncolumn = "c"\nvalues = ["x", "x"]\n', "each once"),
        ("", '[notebook.parameters]\np = "x"\n[notebook.fan_out]\nparameter = "p"\ncolumn = "c"\n',
         "also set in its parameters"),
    ],
)
def test_definition_types_and_ranges_are_checked(tmp_path, report, notebook, message):
    shutil.copy(HERE / "sleepy.py", tmp_path / "sleepy.py")
    path = tmp_path / "r.toml"
    path.write_text(BASE.format(report=report, notebook=notebook))
    with pytest.raises(ReportDefinitionError, match=message):
        load_definition(path)


def test_valid_numbers_pass(tmp_path):
    shutil.copy(HERE / "sleepy.py", tmp_path / "sleepy.py")
    path = tmp_path / "r.toml"
    path.write_text(BASE.format(report="[report.parameters]\nconfidence_level = 0.9\nmin_base = 0\n",
                                notebook="timeout = 1.5\n"))
    d = load_definition(path)
    assert d.notebooks[0].timeout == 1.5 and d.parameters == {"confidence_level": 0.9, "min_base": 0}


def test_a_definition_that_is_not_utf8_is_a_clear_error(tmp_path, capsys):
    shutil.copy(HERE / "sleepy.py", tmp_path / "sleepy.py")
    path = tmp_path / "r.toml"
    path.write_bytes(BASE.format(report="", notebook="").replace('"t"', '"Bericht für São Paulo"').encode("latin-1"))
    with pytest.raises(ReportDefinitionError, match=r"r.toml: not a UTF-8 text file \(byte 0xfc at offset \d+\)"):
        load_definition(path)
    data = write_survey(tmp_path / "data", 2)
    assert main(cli(path, data, tmp_path / "reports")) == 2
    err = capsys.readouterr().err
    assert err.startswith("cx: error:") and "not a UTF-8 text file" in err and "Traceback" not in err


def test_fan_out_over_a_missing_column_names_column_table_and_available_columns(tmp_path):
    definition = sleepy_definition(tmp_path, fan_out='[notebook.fan_out]\nparameter = "subset_value"\n'
                                                       'column = "region"\n')
    data = write_survey(tmp_path / "data", 2)
    with pytest.raises(ReportDefinitionError) as info:
        plan_runs(load_definition(definition), quarter="2026Q3", data_dir=data, out_dir=tmp_path / "o")
    message = str(info.value)
    assert "table 'survey'" in message and "no column 'region'" in message
    assert "available columns: ['quarter', 'grp']" in message
    assert "schema" not in message and "pandas" not in message and "\n" not in message


# --- 5. outputs are checked before anything runs ----------------------------------------------

def test_a_quarter_not_in_the_data_is_refused_before_anything_runs(tmp_path, capsys):
    definition = sleepy_definition(tmp_path)
    data = write_survey(tmp_path / "data", 4)
    reports = tmp_path / "reports"
    with pytest.raises(ReportDefinitionError, match=r"quarter 2099Q1 is not in the data .* 2026Q2–2026Q3 \(2 quarters\)"):
        run_report("2099Q1", definition=definition, data_dir=data, reports_dir=reports, progress=False)
    assert main([*cli(definition, data, reports)[:2], "2099Q1", *cli(definition, data, reports)[3:]]) == 2
    assert "2026Q2–2026Q3" in capsys.readouterr().err
    assert not reports.exists()  # no 2099Q1/ folder


def test_an_unwritable_reports_directory_is_refused_before_anything_runs(tmp_path):
    definition = sleepy_definition(tmp_path)
    data = write_survey(tmp_path / "data", 4)
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the reports directory should be")
    with pytest.raises(ReportDefinitionError, match="cannot write the report to .*reports/2026Q3.*nothing was run"):
        run_report("2026Q3", definition=definition, data_dir=data, reports_dir=blocked, progress=False)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write a read-only folder")
def test_a_read_only_reports_directory_is_refused_before_anything_runs(tmp_path):
    definition = sleepy_definition(tmp_path)
    data = write_survey(tmp_path / "data", 4)
    reports = tmp_path / "reports"
    (reports / "2026Q3").mkdir(parents=True)
    (reports / "2026Q3").chmod(0o555)
    try:
        with pytest.raises(ReportDefinitionError, match="cannot write the report"):
            run_report("2026Q3", definition=definition, data_dir=data, reports_dir=reports, progress=False)
    finally:
        (reports / "2026Q3").chmod(0o755)
    assert list((reports / "2026Q3").iterdir()) == []


# --- 6. an unreadable Parquet file is named ---------------------------------------------------

def _damage(file: Path, how: str) -> None:
    data = file.read_bytes()
    if how == "truncated":
        file.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        file.write_bytes(b"")
    elif how == "garbage":
        file.write_bytes(b"not parquet at all" * 20)
    else:  # data pages overwritten, footer intact
        file.write_bytes(data[:4] + bytes(len(data) // 2 - 4) + data[len(data) // 2:])


@pytest.mark.parametrize("how", ["truncated", "empty", "garbage", "corrupt pages"])
def test_an_unreadable_parquet_file_gives_a_cxdataerror_naming_it(small_data_dir, tmp_path, how):
    data = tmp_path / "data"
    shutil.copytree(small_data_dir, data)
    _damage(data / "tickets.parquet", how)
    with pytest.raises(CXDataError, match=r"tickets.parquet' cannot be read as Parquet .*Regenerate .* import it again"):
        load_dataset(data)


def test_cx_report_on_a_truncated_table_names_the_file(tmp_path, capsys):
    definition = sleepy_definition(tmp_path)
    data = write_survey(tmp_path / "data", 4)
    _damage(data / "survey.parquet", "truncated")
    with pytest.raises(CXDataError, match="survey.parquet' cannot be read as Parquet"):
        run_report("2026Q3", definition=definition, data_dir=data, reports_dir=tmp_path / "r", progress=False)
    assert main(cli(definition, data, tmp_path / "r")) == 2
    err = capsys.readouterr().err
    assert "survey.parquet" in err and "ArrowInvalid" not in err and "Traceback" not in err


def test_a_first_run_does_not_list_every_run_as_a_rerun():
    from cxlib.report.execute import worth_saying

    assert worth_saying([("a/overall", "not run before"), ("b/overall", "not run before")]) == []
    mixed = [("a/overall", "not run before"), ("b/overall", "data changed")]
    assert worth_saying(mixed) == mixed  # once something ran, every reason is said
