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
    timeout = 600                # seconds per cell (a positive number)
    [notebook.parameters]
    segment_column = "plan"
    [notebook.fan_out]           # optional: one run per value, plus the overall run
    parameter = "subset_value"
    column = "country"
    table = "survey"

A parameter value or a fan-out may name a *study role* instead of a column, so that one
definition serves the synthetic data and a researcher's study (:func:`cxlib.study_roles`)::

    [notebook.parameters]
    segment_column = { role = "segments", position = 1 }  # the study's first segment
    subset_column = { role = "segments", position = 2 }   # the run's fan-out column
    [notebook.fan_out]
    parameter = "subset_value"
    role = "segments"            # instead of column: the position-th column of the role
    position = 2                 # (1-based; default 1); table = the role's table (survey)

A reference resolves, when the runs are planned, to the ``position``-th column playing
``role`` in ``table`` (default ``"survey"``); on the synthetic data ``segments`` are
``plan`` and ``country`` (:data:`cxlib.data.roles.SYNTHETIC_ROLES`). A reference the study
cannot resolve (fewer segments, no such table) leaves the parameter to the notebook's
default and the fan-out without runs (the overall run only). A role fan-out reads the
levels from the customers table when it has the column (as :func:`cxlib.subset_dataset`
restricts by it), else from the role's table, and keeps the levels with at least
``min_base`` survey responses in the reported quarter, at most :data:`MAX_FAN_OUT_LEVELS`
(the largest); see :func:`cxlib.report.runs.fan_out_levels`.

Shared parameters with a known meaning are checked wherever they are set:
``confidence_level`` in (0, 1), ``min_base``, ``n_boot`` and ``seed`` whole numbers >= 0.
``quarter``, ``data_dir`` and ``figures_path`` are set by the runner, never by the file.

A notebook may declare what it needs from the data, ``requires = ["customers",
"survey.recommend"]``: tables of the dataset, or ``table.role`` for a study role. On a
dataset without them the notebook is not run (it is not part of that study; ``cx report``
says so before the runs start).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NOTEBOOK_KEYS = ("name", "path", "parameters", "fan_out", "timeout", "requires")
_FAN_OUT_KEYS = ("parameter", "column", "table", "values", "role", "position")
_ROLE_REF_KEYS = ("role", "position", "table")
#: Parameters the runner sets for every run (``cx report --quarter``, ``--data``).
RUNTIME_PARAMETERS = ("quarter", "data_dir", "figures_path")


class ReportDefinitionError(ValueError):
    """The report definition, a run's parameters or the batch's inputs or outputs are
    unusable (nothing was executed)."""


@dataclass(frozen=True)
class RoleRef:
    """The ``position``-th column (1-based) playing ``role`` in ``table`` of the dataset's
    study roles (:func:`cxlib.study_roles`), resolved when the runs are planned.

    Written in a definition as ``{ role = "segments", position = 2 }`` (``table`` default
    ``"survey"``, ``position`` default 1).
    """

    role: str
    position: int = 1
    table: str = "survey"


@dataclass(frozen=True)
class FanOut:
    """One run per value of ``column`` in ``table``; the value is passed as ``parameter``.

    ``values`` restricts the runs to the listed values (otherwise all values found in the
    data, sorted). The overall run (``parameter`` = None) is always included. With ``role``
    (a :class:`RoleRef`) instead of ``column``, the column is the study's, resolved when the
    runs are planned (see the module docstring for the levels it keeps).
    """

    parameter: str
    column: str | None
    table: str = "survey"
    values: tuple[str, ...] | None = None
    role: RoleRef | None = None


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the report and its parameter sets."""

    name: str
    path: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fan_out: FanOut | None = None
    timeout: float = 600
    requires: tuple[str, ...] = ()


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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole_at_least(minimum: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum


#: Parameters with a known meaning, checked wherever they are set: (rule, what is valid).
_KNOWN_PARAMETERS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "confidence_level": (lambda v: _is_number(v) and 0 < v < 1, "a number strictly between 0 and 1, e.g. 0.95"),
    "min_base": (_whole_at_least(0), "a whole number >= 0, e.g. 30"),
    "n_boot": (_whole_at_least(0), "a whole number >= 0, e.g. 200"),
    "seed": (_whole_at_least(0), "a whole number >= 0, e.g. 0"),
}


def _parse_role_ref(entry: Mapping[str, Any], where: str) -> RoleRef:
    """``{ role = "segments", position = 2, table = "survey" }`` checked against the study roles."""
    from ..data.study import LIST_ROLES, ROLES

    _check_keys(entry, _ROLE_REF_KEYS, where)
    table = entry.get("table", "survey")
    if not isinstance(table, str) or table not in ROLES:
        raise ReportDefinitionError(f"{where}: table = {table!r} is not a study table; valid: {list(ROLES)}")
    role = entry["role"]
    if not isinstance(role, str) or role not in ROLES[table]:
        raise ReportDefinitionError(f"{where}: role = {role!r} is not a role of the {table} table; "
                                    f"valid: {list(ROLES[table])}")
    position = entry.get("position", 1)
    if not _whole_at_least(1)(position):
        raise ReportDefinitionError(f"{where}: position = {position!r} must be a whole number >= 1 "
                                    "(1 = the role's first column)")
    if position > 1 and role not in LIST_ROLES:
        raise ReportDefinitionError(f"{where}: role {role!r} names one column; position must be 1, got {position}")
    return RoleRef(role=role, position=position, table=table)


def _check_parameters(params: Any, where: str) -> dict[str, Any]:
    """A parameters table: string keys, no runtime parameter, known parameters in range,
    role references (``{ role = ... }``) parsed into :class:`RoleRef`."""
    if not isinstance(params, dict):
        raise ReportDefinitionError(f"{where}: must be a table of name = value, got {params!r}")
    params = dict(params)
    for name, value in params.items():
        if not name.isidentifier():
            raise ReportDefinitionError(f"{where}: parameter name {name!r} is not a Python identifier")
        if name in RUNTIME_PARAMETERS:
            raise ReportDefinitionError(
                f"{where}: {name!r} is set by the runner for every run (cx report --quarter/--data); remove it")
        if isinstance(value, dict) and "role" in value:
            params[name] = _parse_role_ref(value, f"{where} {name}")
            continue
        if name in _KNOWN_PARAMETERS:
            ok, valid = _KNOWN_PARAMETERS[name]
            if not ok(value):
                raise ReportDefinitionError(
                    f"{where}: {name} = {value!r} ({type(value).__name__}) is invalid; expected {valid}")
    return params


def _parse_fan_out(entry: Any, where: str) -> FanOut:
    if not isinstance(entry, dict):
        raise ReportDefinitionError(f"{where}: 'fan_out' must be a table")
    where = f"{where} fan_out"
    _check_keys(entry, _FAN_OUT_KEYS, where)
    values = entry.get("values")
    if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
        raise ReportDefinitionError(f"{where}: 'values' must be a list of strings")
    if values is not None and (not values or len(set(values)) < len(values)):
        raise ReportDefinitionError(f"{where}: 'values' must list at least one value, each once")
    parameter = _require(entry, "parameter", str, where)
    if not parameter.isidentifier():
        raise ReportDefinitionError(f"{where}: 'parameter' = {parameter!r} is not a Python identifier")
    table = entry.get("table", "survey")
    if not isinstance(table, str) or not _NAME.match(table):
        raise ReportDefinitionError(f"{where}: 'table' = {table!r} must name a table of the dataset, e.g. 'survey'")
    if "role" in entry:
        if "column" in entry:
            raise ReportDefinitionError(f"{where}: give either 'column' or 'role' (a study role), not both")
        ref = _parse_role_ref({k: entry[k] for k in _ROLE_REF_KEYS if k in entry}, where)
        return FanOut(parameter=parameter, column=None, table=table, role=ref,
                      values=tuple(values) if values is not None else None)
    if "position" in entry:
        raise ReportDefinitionError(f"{where}: 'position' goes with 'role' (a study role), not with 'column'")
    return FanOut(parameter=parameter, column=_require(entry, "column", str, where), table=table,
                  values=tuple(values) if values is not None else None)


def _parse_requires(entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """``requires``: tables (``"customers"``) or study roles (``"survey.recommend"``)."""
    from ..data.study import ROLES

    value = entry.get("requires", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReportDefinitionError(f"{where}: 'requires' must be a list of tables or table.role names, "
                                    f'e.g. ["customers", "survey.recommend"]; got {value!r}')
    for item in value:
        table, _, role = item.partition(".")
        if table not in ROLES or (role and role not in ROLES[table]) or item.endswith("."):
            raise ReportDefinitionError(
                f"{where}: requires {item!r} is neither a table {list(ROLES)} nor a table.role such as "
                f"'survey.recommend' (roles of {table!r}: {list(ROLES.get(table, ()))})")
    return tuple(value)


def _parse_timeout(entry: Mapping[str, Any], where: str) -> float:
    timeout = entry.get("timeout", 600)
    if not _is_number(timeout) or timeout <= 0:
        raise ReportDefinitionError(
            f"{where}: 'timeout' = {timeout!r} ({type(timeout).__name__}) must be a positive number of seconds")
    return timeout


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
    params = _check_parameters(entry.get("parameters", {}), f"{where} parameters")
    timeout = _parse_timeout(entry, where)
    fan = _parse_fan_out(entry["fan_out"], where) if "fan_out" in entry else None
    if fan is not None and fan.parameter in params:
        raise ReportDefinitionError(
            f"{where}: fan_out parameter {fan.parameter!r} is also set in its parameters; each run sets it")
    return NotebookSpec(name=name, path=nb_path, parameters=params, fan_out=fan, timeout=timeout,
                        requires=_parse_requires(entry, where))


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReportDefinitionError(f"no report definition at {str(path)!r}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportDefinitionError(
            f"{path}: not a UTF-8 text file (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save the report definition as UTF-8") from None
    except OSError as exc:
        raise ReportDefinitionError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(text)
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
        On a missing file, a file that is not UTF-8 or not TOML, unknown or missing keys,
        wrong types or out-of-range values (``timeout``, ``confidence_level``, ``min_base``
        …), duplicate names, or a notebook file that does not exist.
    """
    path = Path(path) if path is not None else default_definition_path()
    raw = _read_toml(path)
    _check_keys(raw, ["report", "notebook"], str(path))
    report = _require(raw, "report", dict, str(path))
    _check_keys(report, ["title", "parameters"], f"{path} [report]")
    title = _require(report, "title", str, f"{path} [report]")
    shared = _check_parameters(report.get("parameters", {}), f"{path} [report.parameters]")
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
