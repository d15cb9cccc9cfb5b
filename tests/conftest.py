"""Shared fixtures: a small synthetic dataset on disk, and a notebook runner that executes
notebooks the way production does (papermill, through the report runner's code path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Timing-based deadlines make property tests flaky on a loaded 2-core CI machine; on CI
# (CI=true) the examples are also derandomized, so a run is reproducible. Locally they are
# random, to keep exploring.
settings.register_profile("cxlib", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "cxlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

os.environ.setdefault("MPLBACKEND", "Agg")

# tests/notebooks/ holds notebooks the runner executes, not test modules to import
collect_ignore = ["notebooks"]


@pytest.fixture(scope="session")
def small_dataset():
    """A small synthetic dataset (seed 7): fast to generate, same structure as the default."""
    import cxlib as cx

    return cx.synthesize(seed=7, n_customers=4000, quarters=6)


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory, small_dataset):
    """``small_dataset`` written to disk as the notebooks read it."""
    import cxlib as cx

    path = tmp_path_factory.mktemp("data") / "synthetic"
    cx.write_dataset(small_dataset, path)
    return path


@pytest.fixture(scope="session")
def run_notebook(tmp_path_factory):
    """Execute ``notebooks/<name>.py`` with papermill and render it like the batch does.

    Returns a function ``(name, **parameters) -> (RunResult, key_figures dict, html str)``.
    """
    from cxlib.report.execute import execute_run
    from cxlib.report.figures import load_key_figures
    from cxlib.report.runs import RunSpec, validate_runs

    out = tmp_path_factory.mktemp("nbruns")

    def _run(name: str, run: str = "smoke", **parameters):
        spec = RunSpec(notebook=name, run=run, input_path=NOTEBOOKS / f"{name}.py",
                       parameters=dict(parameters), out_dir=out, timeout=300)
        spec.parameters["figures_path"] = str(spec.figures)  # type: ignore[index]
        validate_runs([spec])
        result = execute_run(spec)
        assert result.status == "ok", (result.error, spec.log.read_text() if spec.log.exists() else "")
        return result, load_key_figures(spec.figures), spec.html.read_text(encoding="utf-8")

    return _run
