"""The report definition: which notebooks make up the quarterly report, with which parameters.

A definition is a TOML file (``notebooks/report.toml`` by default), validated when it is
loaded so that a typo fails before any notebook runs::

    [report]
    title = "Quarterly CX report"
    [report.parameters]          # passed to every notebook that declares them
    min_base = 30

    [[notebook]]
    name = "01_cx_scorecard"     # output folder name
    path = "01_cx_scorecard.py"  # relative to the definition file (jupytext or .ipynb)
    timeout = 600                # seconds per cell
    [notebook.parameters]
    segment_column = "plan"
    [notebook.fan_out]           # optional: one run per value, plus the overall run
    parameter = "subset_value"
    column = "country"
    table = "survey"
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NOTEBOOK_KEYS = ("name", "path", "parameters", "fan_out", "timeout")
_FAN_OUT_KEYS = ("parameter", "column", "table", "values")


class ReportDefinitionError(ValueError):
    """The report definition or a run's parameters are invalid (nothing was executed)."""


@dataclass(frozen=True)
class FanOut:
    """One run per value of ``column`` in ``table``; the value is passed as ``parameter``.

    ``values`` restricts the runs to the listed values (otherwise all values found in the
    data, sorted). The overall run (``parameter`` = None) is always included.
    """

    parameter: str
    column: str
    table: str = "survey"
    values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the report and its parameter sets."""

    name: str
    path: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fan_out: FanOut | None = None
    timeout: int = 600


@dataclass(frozen=True)
class ReportDefinition:
    """A validated report definition."""

    title: str
    notebooks: tuple[NotebookSpec, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None


def default_definition_path() -> Path:
    """``report.toml`` of the bundled notebooks (see :func:`cxlib.report.notebooks.notebooks_dir`)."""
    from .notebooks import notebooks_dir

    return notebooks_dir() / "report.toml"


def _require(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise ReportDefinitionError(f"{where}: missing required key {key!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise ReportDefinitionError(
            f"{where}: {key!r} must be a {kind.__name__}, got {type(value).__name__} ({value!r})")
    return value


def _check_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ReportDefinitionError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _parse_fan_out(entry: Any, where: str) -> FanOut:
    if not isinstance(entry, dict):
        raise ReportDefinitionError(f"{where}: 'fan_out' must be a table")
    where = f"{where} fan_out"
    _check_keys(entry, _FAN_OUT_KEYS, where)
    values = entry.get("values")
    if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
        raise ReportDefinitionError(f"{where}: 'values' must be a list of strings")
    return FanOut(parameter=_require(entry, "parameter", str, where),
                  column=_require(entry, "column", str, where),
                  table=entry.get("table", "survey"),
                  values=tuple(values) if values is not None else None)


def _parse_notebook(entry: Any, *, root: Path, where: str) -> NotebookSpec:
    if not isinstance(entry, dict):
        raise ReportDefinitionError(f"{where}: must be a table ([[notebook]]), got {entry!r}")
    _check_keys(entry, _NOTEBOOK_KEYS, where)
    name = _require(entry, "name", str, where)
    if not _NAME.match(name):
        raise ReportDefinitionError(f"{where}: name {name!r} must be letters, digits, '_', '-' or '.'")
    nb_path = root / _require(entry, "path", str, where)
    if not nb_path.is_file():
        raise ReportDefinitionError(f"{where}: notebook file {str(nb_path)!r} does not exist")
    params = entry.get("parameters", {})
    if not isinstance(params, dict):
        raise ReportDefinitionError(f"{where}: 'parameters' must be a table")
    timeout = entry.get("timeout", 600)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise ReportDefinitionError(f"{where}: 'timeout' must be a positive integer (seconds)")
    fan = _parse_fan_out(entry["fan_out"], where) if "fan_out" in entry else None
    return NotebookSpec(name=name, path=nb_path, parameters=params, fan_out=fan, timeout=timeout)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReportDefinitionError(f"no report definition at {str(path)!r}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ReportDefinitionError(f"{path}: not valid TOML: {exc}") from None


def load_definition(path: str | os.PathLike | None = None) -> ReportDefinition:
    """Load and validate a report definition (TOML; the format is in this module's docstring).

    Parameters
    ----------
    path : path, optional
        The definition file; defaults to :func:`default_definition_path`. Notebook paths in
        it are relative to this file.

    Returns
    -------
    ReportDefinition

    Raises
    ------
    ReportDefinitionError
        On a missing file, bad TOML, unknown or missing keys, wrong types, duplicate names,
        or a notebook file that does not exist.
    """
    path = Path(path) if path is not None else default_definition_path()
    raw = _read_toml(path)
    _check_keys(raw, ["report", "notebook"], str(path))
    report = _require(raw, "report", dict, str(path))
    _check_keys(report, ["title", "parameters"], f"{path} [report]")
    title = _require(report, "title", str, f"{path} [report]")
    shared = report.get("parameters", {})
    if not isinstance(shared, dict):
        raise ReportDefinitionError(f"{path} [report.parameters] must be a table")
    entries = _require(raw, "notebook", list, str(path))
    if not entries:
        raise ReportDefinitionError(f"{path}: no [[notebook]] entries")
    specs = [_parse_notebook(entry, root=path.parent, where=f"{path} [[notebook]] #{i + 1}")
             for i, entry in enumerate(entries)]
    names = [s.name for s in specs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ReportDefinitionError(f"{path}: duplicate notebook name(s) {dup}")
    return ReportDefinition(title=title, notebooks=tuple(specs), parameters=shared, source=path)
