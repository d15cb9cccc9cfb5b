"""The batch report (definition, runs, execute): fan-out, validation, failure isolation,
resume, atomic and reproducible outputs, reviewer HTML end to end. Uses the tiny notebook in
tests/notebooks/. Rendering, provenance, display tables and the index have tests of their own
(test_render, test_provenance, test_tables, test_index)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxlib.core.io import atomic_write_bytes, atomic_write_with
from cxlib.cli import main
from cxlib.report.definition import ReportDefinitionError, load_definition
from cxlib.report.execute import run_report
from cxlib.report.runs import plan_runs, validate_runs

HERE = Path(__file__).parent / "notebooks"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    shutil.copy(HERE / "tiny.py", root / "tiny.py")
    shutil.copy(HERE / "tiny_report.toml", root / "report.toml")
    data = root / "data"
    data.mkdir()
    pd.DataFrame({"grp": ["A", "B", "A", None], "quarter": ["2026Q3"] * 4}).to_parquet(data / "survey.parquet")
    return root


@pytest.fixture(scope="module")
def first_batch(workspace):
    """One batch: overall + grp-A succeed, grp-B fails on purpose (fail_on = "B")."""
    return run_report("2026Q3", definition=workspace / "report.toml", data_dir=workspace / "data",
                      reports_dir=workspace / "reports", jobs=2, progress=False)


def write_def(root: Path, body: str) -> Path:
    p = root / "def.toml"
    p.write_text(body)
    return p


def test_fan_out_plans_overall_plus_one_run_per_value(workspace):
    d = load_definition(workspace / "report.toml")
    runs = plan_runs(d, quarter="2026Q3", data_dir=workspace / "data", out_dir=workspace / "out")
    assert [r.run for r in runs] == ["overall", "grp-A", "grp-B"]  # missing values are not a segment
    assert runs[0].parameters.get("subset_value") is None
    assert runs[1].parameters["subset_value"] == "A"
    # report-wide, notebook and runtime parameters all reach every run
    assert {r.parameters["seed"] for r in runs} == {3}
    assert {r.parameters["fail_on"] for r in runs} == {"B"}
    assert runs[2].parameters["figures_path"].endswith("tiny/grp-B.json")
    only = plan_runs(d, quarter="2026Q3", data_dir=workspace / "data", out_dir=workspace / "out",
                     only=["tiny/grp-A"])
    assert [r.key for r in only] == ["tiny/grp-A"]
    with pytest.raises(ReportDefinitionError, match="matches no notebook"):
        plan_runs(d, quarter="2026Q3", data_dir=workspace / "data", out_dir=workspace / "out", only=["nope"])
    with pytest.raises(ReportDefinitionError, match="2026Q3"):
        plan_runs(d, quarter="2026-3", data_dir=workspace / "data", out_dir=workspace / "out")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ('bogus = 1', "unknown parameter 'bogus'"),
        ('sleep_on = ["B"]', "parameter 'sleep_on'=\\['B'\\] is a list"),
        ('fail_on = 5', "parameter 'fail_on'=5 is a int"),
    ],
)
def test_parameter_validation_fails_fast(workspace, params, message):
    path = write_def(workspace, f"""
[report]
title = "t"
[[notebook]]
name = "tiny"
path = "tiny.py"
[notebook.parameters]
{params}
""")
    runs = plan_runs(load_definition(path), quarter="2026Q3", data_dir=workspace / "data", out_dir=workspace / "x")
    with pytest.raises(ReportDefinitionError, match=message):
        validate_runs(runs)


def test_missing_required_parameter(workspace):
    runs = plan_runs(load_definition(workspace / "report.toml"), quarter="2026Q3",
                     data_dir=workspace / "data", out_dir=workspace / "x")
    bad = [type(r)(**{**r.__dict__, "parameters": {k: v for k, v in r.parameters.items() if k != "quarter"}})
           for r in runs]
    with pytest.raises(ReportDefinitionError, match="required parameter 'quarter'"):
        validate_runs(bad)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[report]\ntitle = "t"\n', "missing required key 'notebook'"),
        ('[report]\ntitle = "t"\n[[notebook]]\nname = "a"\npath = "missing.py"\n', "does not exist"),
        ('[report]\ntitle = "t"\ncolour = 1\n[[notebook]]\nname = "a"\npath = "tiny.py"\n', "unknown key"),
        ('[report]\ntitle = "t"\n[[notebook]]\nname = "a"\npath = "tiny.py"\n'
         '[[notebook]]\nname = "a"\npath = "tiny.py"\n', "duplicate"),
        ('[report\n', "not valid TOML"),
        ('notebook = [1]\n[report]\ntitle = "t"\n', "must be a table"),
        ('[report]\ntitle = "t"\n[[notebook]]\nname = "a"\npath = "tiny.py"\ntimeout = true\n', "positive number"),
        ('[report]\ntitle = "t"\n[[notebook]]\nname = "a b"\npath = "tiny.py"\n', "must be letters"),
        ('[report]\ntitle = "t"\n[[notebook]]\nname = "a"\npath = "tiny.py"\n[notebook.fan_out]\n'
         'parameter = "p"\ncolumn = "c"\nvalues = [1]\n', "'values' must be a list of strings"),
    ],
)
def test_definition_validation(workspace, body, message):
    with pytest.raises(ReportDefinitionError, match=message):
        load_definition(write_def(workspace, body))


def test_unparsable_parameter_line_is_an_error(tmp_path):
    nb = (HERE / "tiny.py").read_text().replace("# fan-out value, None for the overall run",
                                                "# fan-out value (None = overall)")
    (tmp_path / "tiny.py").write_text(nb)
    (tmp_path / "r.toml").write_text('[report]\ntitle = "t"\n[[notebook]]\nname = "tiny"\npath = "tiny.py"\n')
    runs = plan_runs(load_definition(tmp_path / "r.toml"), quarter="2026Q3", data_dir=tmp_path, out_dir=tmp_path / "o")
    with pytest.raises(ReportDefinitionError, match="cannot parse"):
        validate_runs(runs)


def test_failure_is_isolated_and_reported(first_batch, workspace):
    status = {r.run: r.status for r in first_batch.results}
    assert status == {"overall": "ok", "grp-A": "ok", "grp-B": "failed"}
    assert not first_batch.ok
    failed = first_batch.failed[0]
    assert "RuntimeError: planted failure in B" in failed.error
    out = workspace / "reports" / "2026Q3"
    # the partial notebook is kept, with the error in it
    nb = json.loads((out / "tiny" / "grp-B.ipynb").read_text())
    assert any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
    index = (out / "index.html").read_text()
    assert "planted failure in B" in index and "failed" in index
    assert "tiny/grp-A.html" in index
    assert "warnings: see log" in index  # successful runs that warned are marked
    manifest = json.loads((out / "runs.json").read_text())
    assert manifest["runs"]["tiny/grp-B"]["status"] == "failed"
    # key figures are read by the index from the JSON, not from the HTML
    assert "1.0 [0.5, 1.5] (n = 10)" in index


def test_reviewer_html_has_no_code_params_or_warnings(first_batch, workspace):
    html = (workspace / "reports" / "2026Q3" / "tiny" / "grp-A.html").read_text()
    assert "visible output for A" in html
    for forbidden in ("import cxlib", "raise RuntimeError", "injected-parameters", "REMOVED-CELL-MARKER",
                      "REMOVED-OUTPUT-MARKER", "noisy warning", "Traceback", "hl-ipython3"):
        assert forbidden not in html, forbidden
    # parameters and provenance: an appendix after the notebook's last section, not where the cell stood
    appendix = html.index('id="Appendix:-parameters-and-provenance"')
    assert html.index('id="Section-B"') < html.rindex("data:image/png;base64") < appendix  # the figure is in B
    assert "data fingerprint" in html[appendix:] and "<td>subset_value</td><td><code>A</code>" in html[appendix:]
    assert html.count("data fingerprint") == 1
    assert '<nav class="cx-toc">' in html and 'href="#Section-A"' in html
    assert "data:image/png;base64" in html  # figures embedded
    log = (workspace / "reports" / "2026Q3" / "tiny" / "grp-A.log").read_text()
    assert "noisy warning" in log
    assert next(r for r in first_batch.results if r.run == "grp-A").had_warnings


def test_existing_quarter_is_not_overwritten_without_force(first_batch, workspace):
    with pytest.raises(ReportDefinitionError, match="already exists"):
        run_report("2026Q3", definition=workspace / "report.toml", data_dir=workspace / "data",
                   reports_dir=workspace / "reports", progress=False)


def test_resume_reruns_only_failed_and_rerun_is_byte_identical(first_batch, workspace):
    out = workspace / "reports" / "2026Q3" / "tiny"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".html", ".json")}
    (out / "grp-A.html").unlink()  # a missing output is rerun too
    res = run_report("2026Q3", definition=workspace / "report.toml", data_dir=workspace / "data",
                     reports_dir=workspace / "reports", resume=True, jobs=2, progress=False)
    assert sorted(r.run for r in res.results) == ["grp-A", "grp-B"]
    assert res.skipped == ("tiny/overall",)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".html", ".json")}
    assert after == before  # same inputs, same bytes (HTML and key figures)


def test_cli_exit_code_nonzero_when_a_run_fails(first_batch, workspace, capsys):
    code = main(["report", "--quarter", "2026Q3", "--definition", str(workspace / "report.toml"),
                 "--data", str(workspace / "data"), "--reports-dir", str(workspace / "reports"),
                 "--resume", "--only", "tiny/grp-B", "--quiet"])
    assert code == 1
    assert "1 failed" in capsys.readouterr().out
    assert main(["report", "--quarter", "2026Q3", "--definition", str(workspace / "nope.toml"),
                 "--data", str(workspace / "data")]) == 2


def test_atomic_write_leaves_old_file_on_interruption(tmp_path):
    target = tmp_path / "out.html"
    atomic_write_bytes(target, b"old complete file")

    def interrupted(p: Path) -> None:
        p.write_bytes(b"half-writ")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_with(target, interrupted)
    assert target.read_bytes() == b"old complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]  # no temp file left behind


def test_dead_kernel_and_timeout_are_isolated(workspace, tmp_path):
    (tmp_path / "tiny.py").write_text((HERE / "tiny.py").read_text())
    (tmp_path / "r.toml").write_text("""
[report]
title = "faults"
[[notebook]]
name = "tiny"
path = "tiny.py"
timeout = 20
[notebook.parameters]
crash_on = "A"
sleep_on = "B"
[notebook.fan_out]
parameter = "subset_value"
column = "grp"
values = ["A", "B"]
""")
    res = run_report("2026Q3", definition=tmp_path / "r.toml", data_dir=workspace / "data",
                     reports_dir=tmp_path / "reports", jobs=2, progress=False)
    status = {r.run: (r.status, r.error or "") for r in res.results}
    assert status["overall"][0] == "ok", status
    assert status["grp-A"][0] == "failed", status
    assert "dead" in status["grp-A"][1].lower() or "died" in status["grp-A"][1].lower(), status
    assert status["grp-B"][0] == "failed", status
    assert "timed out" in status["grp-B"][1].lower() or "timeout" in status["grp-B"][1].lower(), status
    index = (tmp_path / "reports" / "2026Q3" / "index.html").read_text()
    assert index.count("failed") >= 2


# ----------------------------------------------------------------- study roles in a definition
def _study_data(root: Path, *, classes: dict[str, int], extra_quarter: dict[str, int] | None = None) -> Path:
    """A dataset like an imported study's: survey.parquet with its own segment columns and study.json."""
    data = root / "study-data"
    data.mkdir(exist_ok=True)
    rows = [{"Class": c, "Travel": "Business" if i % 2 else "Personal", "quarter": "2025Q4"}
            for c, n in classes.items() for i in range(n)]
    rows += [{"Class": c, "Travel": "Personal", "quarter": "2025Q3"} for c, n in (extra_quarter or {}).items()
             for _ in range(n)]
    pd.DataFrame(rows).to_parquet(data / "survey.parquet")
    study = {"title": "Study", "tables": ["survey"], "quarters": ["2025Q3", "2025Q4"],
             "roles": {"survey": {"satisfaction": "sat", "segments": ["Class", "Travel"]}}, "columns": {}}
    (data / "study.json").write_text(json.dumps(study), encoding="utf-8")
    return data


ROLE_DEF = """
[report]
title = "t"
[report.parameters]
min_base = 30
[[notebook]]
name = "nb"
path = "tiny.py"
{requires}
[notebook.parameters]
segment_column = {{ role = "segments", position = {param_pos} }}
[notebook.fan_out]
parameter = "subset_value"
role = "segments"
position = {fan_pos}
"""


def test_role_fan_out_runs_over_the_study_segment_levels_with_a_minimum_base(workspace, tmp_path):
    from cxlib.report.runs import fan_out_levels, plan_notes

    data = _study_data(tmp_path, classes={"Economy": 40, "Business": 30, "First": 29}, extra_quarter={"Charter": 50})
    d = load_definition(write_def(workspace, ROLE_DEF.format(requires="", param_pos=2, fan_pos=1)))
    runs = plan_runs(d, quarter="2025Q4", data_dir=data, out_dir=tmp_path / "out")
    # First has 29 < 30 responses in 2025Q4; Charter has responses only in another quarter
    assert [r.run for r in runs] == ["overall", "Class-Business", "Class-Economy"]
    assert [r.parameters.get("subset_value") for r in runs] == [None, "Business", "Economy"]
    assert {r.parameters["segment_column"] for r in runs} == {"Travel"}  # the role reference, resolved
    assert [r.column for r in runs] == [None, "Class", "Class"]
    column, kept, skipped = fan_out_levels(d.notebooks[0].fan_out, data, quarter="2025Q4", min_base=30)
    assert (column, kept) == ("Class", ["Business", "Economy"])
    assert skipped == {"Charter": "0 responses in 2025Q4, below the minimum base 30",
                       "First": "29 responses in 2025Q4, below the minimum base 30"}
    (note,) = plan_notes(d, quarter="2025Q4", data_dir=data)
    assert note.startswith("nb: one run per 'Class': Business, Economy; skipped 'Charter': 0 responses")
    # min_base = 0 still needs one response in the quarter
    assert fan_out_levels(d.notebooks[0].fan_out, data, quarter="2025Q4", min_base=0)[1] == [
        "Business", "Economy", "First"]


def test_role_fan_out_keeps_the_largest_levels(workspace, tmp_path):
    from cxlib.report.runs import MAX_FAN_OUT_LEVELS, fan_out_levels

    sizes = {f"L{i:02d}": 31 + i for i in range(MAX_FAN_OUT_LEVELS + 3)}
    data = _study_data(tmp_path, classes=sizes)
    d = load_definition(write_def(workspace, ROLE_DEF.format(requires="", param_pos=1, fan_pos=1)))
    _, kept, skipped = fan_out_levels(d.notebooks[0].fan_out, data, quarter="2025Q4", min_base=30)
    assert kept == sorted(sizes)[3:]  # the three smallest are left out
    assert sorted(skipped) == ["L00", "L01", "L02"] and "12 largest" in skipped["L00"]


def test_unresolved_roles_leave_the_default_and_no_fan_out(workspace, tmp_path):
    from cxlib.report.runs import plan_notes

    data = _study_data(tmp_path, classes={"Economy": 40})
    d = load_definition(write_def(workspace, ROLE_DEF.format(requires="", param_pos=3, fan_pos=3)))
    (run,) = plan_runs(d, quarter="2025Q4", data_dir=data, out_dir=tmp_path / "out")
    assert run.run == "overall" and "segment_column" not in run.parameters
    assert plan_notes(d, quarter="2025Q4", data_dir=data) == [
        "nb: no fan-out (the study has no third column in [roles.survey] segments); overall run only"]


def test_a_notebook_whose_requirements_the_data_lacks_is_not_run(workspace, tmp_path):
    from cxlib.report.runs import plan_notes

    data = _study_data(tmp_path, classes={"Economy": 40})
    for requires, lacking in (('requires = ["customers"]', "a customers table"),
                              ('requires = ["survey.recommend"]', "a recommend column in [roles.survey]")):
        d = load_definition(write_def(workspace, ROLE_DEF.format(requires=requires, param_pos=1, fan_pos=1)))
        assert plan_runs(d, quarter="2025Q4", data_dir=data, out_dir=tmp_path / "out") == []
        assert plan_notes(d, quarter="2025Q4", data_dir=data) == [
            f"nb: not run, not part of this study (it requires {lacking})"]
        with pytest.raises(ReportDefinitionError, match=re.escape(f"nb is not run on this data (it requires {lacking})")):
            plan_runs(d, quarter="2025Q4", data_dir=data, out_dir=tmp_path / "out", only=["nb"])
    d = load_definition(write_def(workspace, ROLE_DEF.format(requires='requires = ["survey.segments"]',
                                                             param_pos=1, fan_pos=1)))
    assert len(plan_runs(d, quarter="2025Q4", data_dir=data, out_dir=tmp_path / "out")) == 2


def test_role_fan_out_reads_customer_levels_like_subset_dataset(workspace, tmp_path):
    """Without study.json (the synthetic schema) a segment that is a customer attribute is read
    from the customers table, as cx.subset_dataset restricts by it; counts go through customer_id."""
    data = tmp_path / "synthetic-like"
    data.mkdir()
    pd.DataFrame({"customer_id": [1, 2, 3, 4], "plan": ["basic", "basic", "premium", "none-answered"],
                  "country": ["DE"] * 4}).to_parquet(data / "customers.parquet")
    pd.DataFrame({"customer_id": [1, 2, 3, 3], "quarter": ["2026Q3"] * 4}).to_parquet(data / "survey.parquet")
    d = load_definition(write_def(workspace, ROLE_DEF.format(requires="", param_pos=2, fan_pos=1)
                                  .replace("min_base = 30", "min_base = 2")))
    runs = plan_runs(d, quarter="2026Q3", data_dir=data, out_dir=tmp_path / "out")
    assert [r.run for r in runs] == ["overall", "plan-basic", "plan-premium"]  # 2 responses each
    assert runs[0].parameters["segment_column"] == "country"


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ('[notebook.parameters]\np = { role = "segmnts" }\n', "role = 'segmnts' is not a role of the survey table"),
        ('[notebook.parameters]\np = { role = "segments", position = 0 }\n', "position = 0 must be a whole number"),
        ('[notebook.parameters]\np = { role = "recommend", position = 2 }\n', "names one column; position must be 1"),
        ('[notebook.parameters]\np = { role = "segments", table = "orders" }\n', "'orders' is not a study table"),
        ('[notebook.parameters]\np = { role = "segments", col = 1 }\n', "unknown key(s) ['col']"),
        ('[notebook.fan_out]\nparameter = "p"\nrole = "segments"\ncolumn = "c"\n', "either 'column' or 'role'"),
        ('[notebook.fan_out]\nparameter = "p"\ncolumn = "c"\nposition = 2\n', "'position' goes with 'role'"),
        ('requires = "customers"\n', "'requires' must be a list"),
        ('requires = ["orders"]\n', "requires 'orders' is neither a table"),
        ('requires = ["survey.ltr"]\n', "requires 'survey.ltr' is neither a table"),
    ],
)
def test_role_references_are_validated(workspace, fragment, message):
    body = '[report]\ntitle = "t"\n[[notebook]]\nname = "a"\npath = "tiny.py"\n' + fragment
    with pytest.raises(ReportDefinitionError, match=re.escape(message)):
        load_definition(write_def(workspace, body))


def test_a_kernel_that_dies_before_starting_is_started_again(tmp_path, monkeypatch):
    # "Kernel died before replying to kernel_info": no cell ran, so the run starts a fresh kernel
    # (up to KERNEL_START_ATTEMPTS) instead of failing; any other error still fails the run at once
    import papermill

    from cxlib.report import execute as ex
    from cxlib.report.runs import RunSpec, validate_runs

    real, calls = papermill.execute_notebook, []

    def flaky_start(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky_start)
    spec = RunSpec(notebook="tiny", run="overall", input_path=HERE / "tiny.py",
                   parameters={"quarter": "2026Q3"}, out_dir=tmp_path, timeout=120)
    spec.parameters["figures_path"] = str(spec.figures)
    validate_runs([spec])
    result = ex.execute_run(spec)
    assert result.status == "ok" and len(calls) == 2, result.error

    def never_starts(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook", never_starts)
    result = ex.execute_run(RunSpec(notebook="tiny", run="again", input_path=spec.input_path,
                                    parameters={"quarter": "2026Q3"}, out_dir=tmp_path, timeout=120))
    assert result.status == "failed" and len(calls) == ex.KERNEL_START_ATTEMPTS
    assert "kernel_info" in result.error
