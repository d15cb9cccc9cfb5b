"""``cx report --study`` end to end, as a researcher runs it: a study file and a survey export
in a folder outside the repository → ``cx report --study study.toml`` run as a subprocess from
another directory outside the repository → the study imported into ``dataset/`` beside the
study file, every notebook of the package's report definition executed on it, fanned out over
the study's segments, and the HTML index written to ``reports/`` beside the study file.

Privacy (issue 10): every file rendered under ``reports/`` (HTML, key-figure JSON, executed
notebooks, logs, the Excel workbook's XML) is searched for the fixture's e-mail addresses,
names, IP addresses and raw customer ids; none may appear.

The fixture has what the synthetic data never has: its own column names, a binary
satisfied / not satisfied outcome written as text, 1–5 drivers where 0 means "not
applicable", one wave without a date column, no customers table, two segments (one with a
level below the minimum base, which gets no run of its own) and identifying columns (e-mail,
passenger name, IP address; the loyalty number links customers and is pseudonymised).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

SATISFIED = "Overall, were you satisfied with your flight?"
DRIVERS = ("Seat comfort", "Cleanliness of the cabin", "Inflight wifi service")
CLASS, TRAVEL = "Class", "Type of travel"

STUDY = f"""\
[study]
title = "Airline passenger survey"
wave = "2025Q4"

[sources.survey]
path = "export/passengers.csv"

[roles.survey]
respondent_id = "Passenger ID"
customer_id = "Loyalty number"
satisfaction = "{SATISFIED}"
drivers = {json.dumps(list(DRIVERS))}
segments = ["{CLASS}", "{TRAVEL}"]

[scales.drivers]
points = [1, 5]
missing = [0]
labels = {{ 1 = "very poor", 5 = "excellent" }}

[scales.satisfaction]
values = {{ "Not satisfied" = 0, "Satisfied" = 1 }}

[report]
title = "Airline passengers, Q4 2025"
"""

FIRST = ("Aurelio", "Benedikta", "Cosima", "Dragomir", "Eulalie", "Fridolin", "Gudrun", "Hieronymus")
LAST = ("Quennell", "Thistlewood", "Oyelaran", "Marchetti", "Zwingenberger")


def passengers(n: int = 200, seed: int = 5) -> pd.DataFrame:
    """The survey export: Class Economy/Business, Type of travel Business/Personal/Other (Other
    below the minimum base of 30); satisfaction depends on the drivers."""
    rng = np.random.default_rng(seed)
    cls = rng.choice(["Economy", "Business"], size=n, p=[0.58, 0.42])
    travel = rng.choice(["Business travel", "Personal travel", "Other"], size=n, p=[0.5, 0.45, 0.05])
    ratings = {d: rng.integers(1, 6, size=n) for d in DRIVERS}
    ratings[DRIVERS[2]] = np.where(rng.random(n) < 0.2, 0, ratings[DRIVERS[2]])  # 0 = not applicable
    latent = (ratings[DRIVERS[0]] + ratings[DRIVERS[1]] - 6) * 0.8 + rng.normal(0, 1, n)
    sat = np.where(latent > 0, "Satisfied", "Not satisfied")
    first = [FIRST[i % len(FIRST)] for i in range(n)]
    last = [LAST[(i // len(FIRST)) % len(LAST)] for i in range(n)]
    return pd.DataFrame({
        "Passenger ID": [f"P{i:05d}" for i in range(1, n + 1)],
        "Loyalty number": [f"LOY{48213000 + 37 * i}" for i in range(1, n + 1)],
        "Email": [f"{f.lower()}.{s.lower()}{i}@example.org" for i, (f, s) in enumerate(zip(first, last))],
        "Passenger name": [f"{f} {s}" for f, s in zip(first, last)],
        "IP Address": [f"198.51.100.{i % 200 + 17}" for i in range(n)],
        SATISFIED: sat,
        **ratings,
        CLASS: cls,
        TRAVEL: travel,
    })


def identifiers(frame: pd.DataFrame) -> list[str]:
    """The strings that must never reach a rendered file."""
    return sorted({*frame["Email"], *frame["Passenger name"], *LAST, *frame["IP Address"], *frame["Loyalty number"]})


def rendered_text(path: Path) -> str:
    """A rendered file's text; an Excel workbook's (a zip of XML) decompressed members."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())
    return path.read_bytes().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    """The study in one temporary folder, ``cx report --study`` run from another one."""
    root = tmp_path_factory.mktemp("airline")
    assert not root.resolve().is_relative_to(REPO)
    (root / "export").mkdir()
    frame = passengers()
    frame.to_csv(root / "export" / "passengers.csv", index=False)
    (root / "study.toml").write_text(STUDY, encoding="utf-8")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "cxlib.cli", "report", "--study", str(root / "study.toml"), "--jobs", "2", "--quiet"]
    proc = subprocess.run(cmd, cwd=elsewhere, capture_output=True, text=True, env=env, timeout=600)
    return root, frame, proc, elsewhere, cmd, env


def test_report_on_a_study_from_outside_the_repository(study_run):
    root, _, proc, elsewhere, _, _ = study_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "imported study.toml: not imported yet" in proc.stdout
    assert (root / "dataset" / "manifest.json").is_file()
    out = root / "reports" / "2025Q4"  # the study's only wave, reports/ beside the study file
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Airline passengers, Q4 2025" in index  # [report] title
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))["runs"]
    assert runs and all(r["status"] == "ok" for r in runs.values()), {k: r["status"] for k, r in runs.items()}
    # fan-out over the study's segments: Type of travel (2nd) for the scorecard, Class (1st) for
    # drivers and segments; travel "Other" (about 10 responses < min_base 30) gets no run
    assert sorted(runs) == sorted([
        "01_cx_scorecard/overall", "01_cx_scorecard/Type-of-travel-Business-travel",
        "01_cx_scorecard/Type-of-travel-Personal-travel",
        *(f"{nb}/{run}" for nb in ("02_key_drivers", "04_segments")
          for run in ("overall", "Class-Business", "Class-Economy")),
        "03_loyalty_and_churn/overall", "06_crosstabs/overall",
    ])
    assert "skipped 'Other'" in proc.stdout and "below the minimum base 30" in proc.stdout
    # loyalty without a customers table: one overall run that says churn is not part of this study
    churn_html = (out / "03_loyalty_and_churn" / "overall.html").read_text(encoding="utf-8")
    assert "not part of this study" in churn_html
    assert runs["02_key_drivers/Class-Economy"]["inputs"]["parameters"]["subset_column"] == CLASS
    assert not any(elsewhere.iterdir()), "nothing is written to the working directory"


def test_no_identifier_reaches_any_rendered_file(study_run):
    root, frame, proc, _, _, _ = study_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = [f for f in (root / "reports").rglob("*") if f.is_file()]
    kinds = {f.suffix for f in files}
    assert {".html", ".json", ".ipynb", ".log", ".xlsx"} <= kinds, kinds
    secrets = identifiers(frame)
    assert len(secrets) > 3 * len(frame)
    leaks = {str(f.relative_to(root)): hit for f in files
             for text in [rendered_text(f)] for hit in secrets if hit in text}
    assert not leaks, leaks
    shown = proc.stdout + proc.stderr
    assert not [s for s in secrets if s in shown]
    # the pseudonym salt lives beside the dataset, never under reports/
    assert (root / ".cxlib-salt").is_file() and not list((root / "reports").rglob(".cxlib-salt"))


def test_the_import_is_reused_until_the_study_or_a_source_changes(tmp_path):
    from cxlib.report.study import prepare_study_report

    (tmp_path / "export").mkdir()
    frame = passengers(60)
    frame.to_csv(tmp_path / "export" / "passengers.csv", index=False)
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    first = prepare_study_report(tmp_path / "study.toml")
    assert first.imported is not None and first.why == "imported study.toml: not imported yet"
    assert (first.quarter, first.definition.title) == ("2025Q4", "Airline passengers, Q4 2025")
    assert first.reports_dir == tmp_path / "reports" and first.data_dir == tmp_path / "dataset"
    assert first.definition.notebooks[0].name == "01_cx_scorecard"  # the package's definition
    manifest = (tmp_path / "dataset" / "manifest.json").read_bytes()
    second = prepare_study_report(tmp_path / "study.toml")
    assert second.imported is None and "up to date with the sources; not imported again" in second.why
    assert (tmp_path / "dataset" / "manifest.json").read_bytes() == manifest
    frame.iloc[:-1].to_csv(tmp_path / "export" / "passengers.csv", index=False)  # one response fewer
    third = prepare_study_report(tmp_path / "study.toml")
    assert third.why == "imported study.toml: source 'survey' (passengers.csv) changed since the import"
    assert len(third.imported.tables["survey"]) == len(frame) - 1
    # the study file changes (roles, scales, [report]): imported again; a study's own definition
    own = tmp_path / "mine.toml"
    own.write_text('[report]\ntitle = "Mine"\n[[notebook]]\nname = "only"\n'
                   f'path = {json.dumps(str(REPO / "notebooks" / "06_crosstabs.py"))}\n', encoding="utf-8")
    (tmp_path / "study.toml").write_text(STUDY.replace('title = "Airline passengers, Q4 2025"',
                                                       'definition = "mine.toml"'), encoding="utf-8")
    fourth = prepare_study_report(tmp_path / "study.toml")
    assert fourth.why == "imported study.toml: study.toml changed since the import"
    assert [n.name for n in fourth.definition.notebooks] == ["only"] and fourth.definition.title == "Mine"


def test_cli_study_errors_stop_before_any_run(tmp_path, capsys):
    from cxlib.cli import main

    (tmp_path / "export").mkdir()
    frame = passengers(40)
    frame.to_csv(tmp_path / "export" / "passengers.csv", index=False)
    study = tmp_path / "study.toml"
    study.write_text(STUDY, encoding="utf-8")
    assert main(["report", "--study", str(study), "--data", "somewhere"]) == 2
    assert "--data and --study exclude each other" in capsys.readouterr().err
    assert main(["report", "--reimport", "--data", "somewhere"]) == 2
    assert "--reimport goes with --study" in capsys.readouterr().err
    assert main(["report", "--study", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: the study file" in capsys.readouterr().err
    study.write_text(STUDY.replace('title = "Airline passengers, Q4 2025"', 'definition = "mine.toml"'),
                     encoding="utf-8")
    assert main(["report", "--study", str(study)]) == 2
    assert "study.toml: [report] definition = 'mine.toml': no such file" in capsys.readouterr().err
    # an answer the scale does not know: the import report is printed, nothing is written
    frame.loc[3, SATISFIED] = "Rather satisfied"
    frame.to_csv(tmp_path / "export" / "passengers.csv", index=False)
    study.write_text(STUDY, encoding="utf-8")
    assert main(["report", "--study", str(study)]) == 2
    out = capsys.readouterr()
    assert "rows read" in out.out and "Rather satisfied" in out.err
    assert not (tmp_path / "dataset").exists() and not (tmp_path / "reports").exists()
