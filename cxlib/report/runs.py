"""The runs of one quarter: a definition expanded into notebook executions, and checked.

:func:`plan_runs` turns a :class:`~cxlib.report.definition.ReportDefinition` into one
:class:`RunSpec` per notebook and fan-out value (plus the overall run); :func:`validate_runs`
checks every run's parameters against the parameters its notebook declares, before
anything executes (papermill itself only warns about an unknown name).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .definition import FanOut, ReportDefinition, ReportDefinitionError

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "dict"}


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution of the batch, and where its outputs go."""

    notebook: str
    run: str
    input_path: Path
    parameters: Mapping[str, Any]
    out_dir: Path
    timeout: int = 600

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.run}"

    @property
    def ipynb(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.ipynb"

    @property
    def html(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.html"

    @property
    def figures(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.json"

    @property
    def log(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.log"


def run_name(column: str, value: Any) -> str:
    """The name of a fan-out run: ``<column>-<value>``, safe as a file name.

    Examples
    --------
    >>> run_name("country", "DE")
    'country-DE'
    >>> run_name("plan", "Pro plan / annual")
    'plan-Pro-plan-annual'
    """
    return f"{_slug(column)}-{_slug(value)}"


def _slug(value: Any) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(value)).strip("-")
    return s or "blank"


def fan_out_values(fan: FanOut, data_dir: str | os.PathLike) -> list[str]:
    """The values a fan-out runs over: the listed ``values``, or every value in the data, sorted."""
    if fan.values is not None:
        return list(fan.values)
    import pandas as pd

    table = Path(data_dir) / f"{fan.table}.parquet"
    if not table.is_file():
        raise ReportDefinitionError(f"fan-out over {fan.table}.{fan.column}: no table at {str(table)!r}")
    try:
        col = pd.read_parquet(table, columns=[fan.column])[fan.column]
    except (KeyError, ValueError) as exc:
        raise ReportDefinitionError(f"fan-out: column {fan.column!r} not found in {str(table)!r} ({exc})") from None
    return sorted(map(str, col.dropna().unique()))


def _select(runs: list[RunSpec], only: Sequence[str]) -> list[RunSpec]:
    wanted = set(only)
    known = {r.notebook for r in runs} | {r.key for r in runs}
    unknown = sorted(wanted - known)
    if unknown:
        raise ReportDefinitionError(f"--only {unknown} matches no notebook or run; known: {sorted(known)}")
    return [r for r in runs if r.notebook in wanted or r.key in wanted]


def plan_runs(definition: ReportDefinition, *, quarter: str, data_dir: str | os.PathLike,
              out_dir: str | os.PathLike, only: Sequence[str] | None = None) -> list[RunSpec]:
    """Expand the definition into the runs of one quarter (fan-out included).

    Every run receives ``quarter``, ``data_dir`` and ``figures_path`` (where it writes its
    key figures), plus the report-wide and notebook parameters; fan-out runs also receive
    their segment value. ``only`` keeps notebooks or runs by name (``"01_cx_scorecard"`` or
    ``"01_cx_scorecard/country-DE"``).

    Raises
    ------
    ReportDefinitionError
        A malformed quarter, a fan-out column or table that does not exist, or an ``only``
        name that matches nothing.
    """
    if not _QUARTER.match(str(quarter)):
        raise ReportDefinitionError(f"quarter {quarter!r} must look like '2026Q3'")
    data_dir = Path(data_dir)
    out_dir = Path(out_dir)
    runs: list[RunSpec] = []
    for spec in definition.notebooks:
        base = {**definition.parameters, **spec.parameters, "quarter": quarter, "data_dir": str(data_dir)}
        variants: list[tuple[str, dict[str, Any]]] = [("overall", {})]
        if spec.fan_out is not None:
            variants += [(run_name(spec.fan_out.column, value), {spec.fan_out.parameter: value})
                         for value in fan_out_values(spec.fan_out, data_dir)]
        for name, extra in variants:
            params = {**base, **extra}
            run = RunSpec(notebook=spec.name, run=name, input_path=spec.path, parameters=params,
                          out_dir=out_dir, timeout=spec.timeout)
            params["figures_path"] = str(run.figures)
            runs.append(run)
    return _select(runs, only) if only else runs


def read_notebook(path: str | os.PathLike):
    """Read a notebook: jupytext ``.py`` (py:percent) or ``.ipynb`` (an ``nbformat`` node)."""
    import jupytext
    import nbformat

    path = Path(path)
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.metadata.setdefault("language_info", {"name": "python"})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def declared_parameters(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares (papermill's ``inspect_notebook``).

    Raises
    ------
    ReportDefinitionError
        When a line of the parameters cell assigns a name papermill cannot parse (it would
        silently never be injected), e.g. a comment containing ``=``.
    """
    import tempfile

    import nbformat
    import papermill

    path = Path(path)
    nb = read_notebook(path)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / (path.stem + ".ipynb")
        nbformat.write(nb, p)
        declared = papermill.inspect_notebook(str(p))
    unparsed = sorted(_assigned_names(nb) - set(declared))
    if unparsed:
        raise ReportDefinitionError(
            f"{path}: papermill cannot parse the parameters cell line(s) for {unparsed}; "
            "keep each line as `name: type = literal  # comment` without '=' in the comment")
    return declared


def _assigned_names(nb) -> set[str]:
    """Names assigned in the cell tagged ``parameters`` (read with Python's own parser)."""
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as exc:
                raise ReportDefinitionError(f"the parameters cell is not valid Python: {exc}") from None
            names: set[str] = set()
            for node in tree.body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
                elif isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            return names
    return set()


def _type_ok(value: Any, declared: str, default: str) -> bool:
    declared = (declared or "None").replace(" ", "")
    if value is None:
        return default == "None" or "None" in declared or "Optional" in declared
    if declared in ("None", "Any"):
        return True
    names = set(re.split(r"[|\[\],]", declared.replace("Optional", ""))) - {""}
    actual = _TYPE_NAMES.get(type(value), type(value).__name__)
    if actual in names:
        return True
    return actual == "int" and "float" in names  # an int is a valid float


def _run_problems(run: RunSpec, declared: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems = []
    for name, value in run.parameters.items():
        if name not in declared:
            problems.append(f"{run.key}: unknown parameter {name!r} (the notebook declares {sorted(declared)})")
            continue
        d = declared[name]
        if not _type_ok(value, d.get("inferred_type_name", "None"), d.get("default", "")):
            problems.append(f"{run.key}: parameter {name!r}={value!r} is a {type(value).__name__}, "
                            f"but the notebook declares {d.get('inferred_type_name')}")
    for name, d in declared.items():
        required = d.get("default") == "None" and str(d.get("help", "")).lower().startswith("required")
        if required and run.parameters.get(name) is None:
            problems.append(f"{run.key}: required parameter {name!r} has no value ({d.get('help')})")
    return problems


def validate_runs(runs: Sequence[RunSpec]) -> None:
    """Check every run's parameters against its notebook's declared parameters.

    Fails fast, before anything executes, on unknown names (papermill itself only warns),
    missing required values (a declared default of ``None`` whose comment starts with
    ``required``) and wrong types (by the declared annotation, e.g. ``min_base: int = 30``).

    Raises
    ------
    ReportDefinitionError
        Listing every problem found, one per line.
    """
    problems: list[str] = []
    cache: dict[Path, dict[str, dict[str, Any]]] = {}
    for r in runs:
        if r.input_path not in cache:
            cache[r.input_path] = declared_parameters(r.input_path)
            if not cache[r.input_path]:
                problems.append(f"{r.notebook}: {r.input_path} has no cell tagged 'parameters'")
        if cache[r.input_path]:
            problems += _run_problems(r, cache[r.input_path])
    if problems:
        raise ReportDefinitionError("invalid report parameters:\n  " + "\n  ".join(dict.fromkeys(problems)))
