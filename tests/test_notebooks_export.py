"""The report's notebooks are found from any directory, and export to .ipynb for papermill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxlib.errors import CXDataError
from cxlib.report.notebooks import export_notebooks, notebooks_dir
from cxlib.report.runs import declared_parameters

ROOT = Path(__file__).resolve().parents[1]


def test_export_writes_ipynb_that_papermill_reads(tmp_path):
    import papermill

    before = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.py")}
    written = export_notebooks(tmp_path / "out", source=ROOT / "notebooks")
    assert sorted(p.name for p in written) == sorted(f"{n[:-3]}.ipynb" for n in before)
    for path in written:
        params = papermill.inspect_notebook(str(path))
        assert set(params) == set(declared_parameters(ROOT / "notebooks" / f"{path.stem}.py")), path.name
        nb = json.loads(path.read_text())
        assert not any(c.get("outputs") for c in nb["cells"])  # copies carry no outputs
    assert {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.py")} == before  # sources untouched


def test_cli_export_and_unknown_folder(tmp_path, monkeypatch):
    from cxlib.cli import main

    assert main(["notebooks", "export", str(tmp_path / "nb")]) == 0
    assert (tmp_path / "nb" / "01_cx_scorecard.ipynb").is_file()
    monkeypatch.setenv("CX_NOTEBOOKS", str(tmp_path / "nowhere"))
    with pytest.raises(CXDataError, match="no report definition"):
        notebooks_dir()


@pytest.mark.notebook
def test_report_runs_from_outside_the_repository(tmp_path, small_data_dir):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("CX_NOTEBOOKS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cxlib.cli", "report", "--data", str(small_data_dir), "--reports-dir",
         str(tmp_path / "reports"), "--only", "01_cx_scorecard/overall", "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list((tmp_path / "reports").glob("*/01_cx_scorecard/overall.html"))
