"""The report on a researcher's study (``cx report --study STUDY.toml``): import the study when
its dataset is missing or out of date, then pick the definition, the title, the quarter and
the reports folder.

Everything is placed beside the study file, so the command works from any directory:
``dataset/`` (the import, :func:`cxlib.import_study`), ``reports/<quarter>/`` (the report)
and the pseudonym salt (``.cxlib-salt``, outside ``reports/``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..data.importer import ImportResult, import_study
from ..data.store import IMPORT_KIND, fingerprint
from ..data.study import Study, load_study
from .definition import ReportDefinition, load_definition


@dataclass(frozen=True)
class StudyReport:
    """What ``cx report --study`` runs on.

    Attributes
    ----------
    study : Study
        The validated study file.
    data_dir : pathlib.Path
        The imported dataset (``dataset/`` beside the study file).
    imported : ImportResult or None
        The import done now, or ``None`` when the dataset was up to date.
    why : str
        Why the study was imported now, or why the dataset was reused.
    definition : ReportDefinition
        The study's ``[report] definition``, else the package's ``notebooks/report.toml``;
        titled by ``[report] title``, else by the definition's own title (a study's own
        definition) or the study's title (the package's).
    quarter : str
        The latest wave of the dataset.
    reports_dir : pathlib.Path
        ``reports/`` beside the study file.
    """

    study: Study
    data_dir: Path
    imported: ImportResult | None
    why: str
    definition: ReportDefinition
    quarter: str
    reports_dir: Path


def stale_reason(study: Study, data_dir: str | os.PathLike) -> str | None:
    """Why the dataset at ``data_dir`` does not hold the study's current import, or ``None``.

    The dataset is current when its ``manifest.json`` is an import of this study file with
    the same content (its fingerprint: roles and scales may have changed) and every source
    has the fingerprint recorded at import. A source without a fingerprint (a database
    other than a DuckDB file) cannot be compared: the study is imported again.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answers.csv").write_text("sat\\n1\\n0\\n")
    >>> _ = (d / "study.toml").write_text('[study]\\nwave = "2025Q4"\\n[sources.survey]\\npath = "answers.csv"\\n'
    ...                                   '[roles.survey]\\nsatisfaction = "sat"\\n')
    >>> study = load_study(d / "study.toml")
    >>> stale_reason(study, d / "dataset")
    'not imported yet'
    >>> _ = import_study(d / "study.toml")
    >>> stale_reason(study, d / "dataset") is None
    True
    >>> _ = (d / "answers.csv").write_text("sat\\n1\\n1\\n")
    >>> stale_reason(study, d / "dataset")
    "source 'survey' (answers.csv) changed since the import"
    """
    manifest_file = Path(data_dir) / "manifest.json"
    if not manifest_file.is_file():
        return "not imported yet"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its manifest.json cannot be read"
    if not isinstance(manifest, dict) or manifest.get("kind") != IMPORT_KIND:
        return "the dataset folder holds something other than an import of this study"
    if (manifest.get("study") or {}).get("fingerprint") != fingerprint(study.path):
        return f"{study.path.name} changed since the import"
    recorded = manifest.get("sources") or {}
    if set(recorded) != set(study.sources):
        return f"the study's sources changed ({sorted(recorded)} -> {sorted(study.sources)})"
    for name, source in study.sources.items():
        where = source.path.name if source.path is not None else "database"
        if source.path is not None and not source.path.is_file():
            return f"source {name!r} ({where}) is missing"  # pragma: no cover - load_study checks it first
        current = fingerprint(source.path) if source.path is not None else _database_fingerprint(source.url)
        if current is None or recorded[name].get("fingerprint") is None:
            return f"source {name!r} is a database cxlib cannot fingerprint; imported again every time"
        if recorded[name].get("fingerprint") != current:
            return f"source {name!r} ({where}) changed since the import"
    missing = [f for f in manifest.get("files", []) if not (Path(data_dir) / f).is_file()]
    if missing:
        return f"dataset file(s) {missing} are missing"
    return None


def _database_fingerprint(url: str | None) -> str | None:
    if url is None or not url.startswith("duckdb:///"):
        return None
    db = Path(url.removeprefix("duckdb:///"))
    return fingerprint(db) if db.is_file() else None


def prepare_study_report(path: str | os.PathLike, *, definition: str | os.PathLike | None = None,
                         quarter: str | None = None, reimport: bool = False) -> StudyReport:
    """Import the study when needed and choose what ``cx report --study`` runs.

    Parameters
    ----------
    path : path-like
        The study file.
    definition : path-like, optional
        A report definition overriding the study's ``[report] definition``.
    quarter : str, optional
        The quarter to report; default the latest wave of the imported survey.
    reimport : bool
        Import even when the dataset is up to date.

    Returns
    -------
    StudyReport

    Raises
    ------
    CXDataError
        The study file is invalid, or the import fails (an
        :class:`~cxlib.data.importer.ImportFailed` carrying the import report).
    ReportDefinitionError
        The report definition is invalid.
    """
    study = load_study(path)
    data_dir = study.path.parent / "dataset"
    why = "imported again on request (--reimport)" if reimport else stale_reason(study, data_dir)
    imported = import_study(study.path, out=data_dir) if why is not None else None
    why = f"imported {study.path.name}: {why}" if why is not None else \
        f"{_shown(data_dir)}/ is up to date with the sources; not imported again"
    own = definition if definition is not None else study.report_definition
    loaded = load_definition(own)
    title = study.report_title or (loaded.title if own is not None else study.title)
    loaded = replace(loaded, title=title)
    if quarter is None:
        quarters = json.loads((data_dir / "study.json").read_text(encoding="utf-8")).get("quarters") or []
        quarter = quarters[-1] if quarters else None
    return StudyReport(study=study, data_dir=data_dir, imported=imported, why=why, definition=loaded,
                       quarter=quarter, reports_dir=study.path.parent / "reports")


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
