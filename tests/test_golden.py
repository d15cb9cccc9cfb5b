"""Behaviour pins: the synthetic data's content and every key figure of the default report.

Both were recorded before the package was restructured (issue 9) and must not move when
code is moved or renamed. ``tests/golden/key_figures_2026Q3.json`` holds the key-figures
JSON of all 19 runs of ``cx report --quarter 2026Q3`` on ``synthesize(seed=0)``; the pinned
digest below is the content of ``synthesize(0)``. A deliberate change of the generator
bumps ``GENERATOR_VERSION``, this digest and the golden file together, in one commit that
says why.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from golden.synth_digest import dataset_digest

GOLDEN = Path(__file__).parent / "golden"

PINNED_SYNTH_DIGEST = {  # generator 1.1 (issue 12: recovery, follow-ups, channel switching, event surveys, peak-end)
    "customers": "961f718ee22d9f50",
    "survey": "bb9389f20dc4a90d",
    "tickets": "515d54e3ab10e59b",
    "touchpoints": "44b401e2cd699040",
    "journeys": "de44ae8bdd51554d",
    "truth": "71d2cdb5b6ba599d",
    "truth.customer_segments": "f0734ae291d09d0f",
}

#: Key-figure labels renamed since the golden file was recorded: old label -> new label.
RENAMED_LABELS: dict[str, str] = {}

#: Keys holding sentences, not figures: their wording may change (their numbers come from
#: the figures compared here).
TEXT_KEYS = {"findings"}


@pytest.fixture(scope="module")
def default_data():
    import cxlib as cx

    return cx.synthesize(0)


def test_synthetic_data_content_is_pinned(default_data):
    assert dataset_digest(default_data) == PINNED_SYNTH_DIGEST


def _compare(golden, actual, path="") -> list[str]:
    """Differences between two key-figure trees (floats to 1e-9 relative)."""
    if isinstance(golden, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a mapping, got {actual!r}"]
        out = []
        renamed = {RENAMED_LABELS.get(k, k): v for k, v in golden.items()}
        for k in sorted((set(renamed) | set(actual)) - TEXT_KEYS):
            if k not in actual:
                out.append(f"{path}/{k}: missing")
            elif k not in renamed:
                out.append(f"{path}/{k}: new (not in the golden file)")
            else:
                out += _compare(renamed[k], actual[k], f"{path}/{k}")
        return out
    if isinstance(golden, list):
        if not isinstance(actual, list) or len(actual) != len(golden):
            return [f"{path}: {golden!r} != {actual!r}"]
        return [d for i, (g, a) in enumerate(zip(golden, actual)) for d in _compare(g, a, f"{path}[{i}]")]
    if isinstance(golden, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        same = math.isclose(golden, actual, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(golden) and math.isnan(actual))
        return [] if same else [f"{path}: {golden!r} != {actual!r}"]
    return [] if golden == actual else [f"{path}: {golden!r} != {actual!r}"]


def test_compare_finds_differences():
    assert _compare({"a": {"x": 1.0, "s": "t"}}, {"a": {"x": 1.0, "s": "t"}}) == []
    assert _compare({"a": 1.0}, {"a": 1.0 + 1e-6}) == ["/a: 1.0 != 1.000001"]
    assert _compare({"a": 1.0}, {"b": 1.0}) == ["/a: missing", "/b: new (not in the golden file)"]


NOTEBOOKS = ("01_cx_scorecard", "02_key_drivers", "03_loyalty_and_churn", "04_segments")


@pytest.fixture(scope="module")
def default_data_dir(default_data, tmp_path_factory):
    import cxlib as cx

    path = tmp_path_factory.mktemp("golden") / "data"
    cx.write_dataset(default_data, path)
    return path


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_key_figure_of_the_default_report_is_unchanged(notebook, default_data_dir, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-m", "cxlib.cli", "report", "--quarter", "2026Q3", "--data", str(default_data_dir),
         "--reports-dir", str(tmp_path / "reports"), "--only", notebook, "--jobs", "1", "--quiet"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = tmp_path / "reports" / "2026Q3"
    actual = {f"{f.parent.name}/{f.stem}": json.loads(f.read_text()) for f in sorted(root.glob(f"{notebook}/*.json"))}
    golden = json.loads((GOLDEN / "key_figures_2026Q3.json").read_text())
    golden = {k: v for k, v in golden.items() if k.startswith(notebook + "/")}
    assert sorted(actual) == sorted(golden)
    diffs = [d for run in golden for d in _compare(golden[run], actual[run], run)]
    assert not diffs, "\n".join(diffs[:40])
