"""The runs of one quarter: a definition expanded into notebook executions, and checked.

:func:`plan_runs` turns a :class:`~cxlib.report.definition.ReportDefinition` into one
:class:`RunSpec` per notebook and fan-out value (plus the overall run); :func:`validate_runs`
checks every run's parameters against the parameters its notebook declares, before
anything executes (papermill itself only warns about an unknown name).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CXDataError
from .definition import FanOut, ReportDefinition, ReportDefinitionError, RoleRef

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")

#: A study-role fan-out runs over at most this many levels (the largest in the quarter):
#: a report with dozens of one-segment copies is not read.
MAX_FAN_OUT_LEVELS = 12
_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "dict"}


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution of the batch, and where its outputs go."""

    notebook: str
    run: str
    input_path: Path
    parameters: Mapping[str, Any]
    out_dir: Path
    timeout: float = 600
    column: str | None = None  # the fan-out column and its original value (None: overall run)
    value: str | None = None

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

    Characters other than letters, digits, ``_``, ``.`` and ``-`` become ``-``; see
    :func:`run_names` for values whose names would collide.

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


def _short_hash(value: Any, digits: int) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:digits]


def run_names(column: str, values: Sequence[Any], *, reserved: Sequence[str] = ("overall",)) -> dict[Any, str]:
    """Unique, readable run names for the values of a fan-out: ``{value: name}``.

    Each name is :func:`run_name`; when sanitising makes two values share a name (``"a b"``
    and ``"a/b"``, ``"São Paulo"`` and ``"S-o Paulo"``), or a name a ``reserved`` one,
    names are compared ignoring case (file systems that ignore it would merge them too)
    and every value of the clash gets a short hash of its original text appended
    (``country-a-b-3f2c``), except a value that sanitising left unchanged when it is the
    only such value of the clash. The result does not depend on the order of ``values``.

    Examples
    --------
    >>> run_names("country", ["DE", "FR"])
    {'DE': 'country-DE', 'FR': 'country-FR'}
    >>> names = run_names("city", ["a b", "a/b", "a-b"])
    >>> names["a-b"], names["a b"] != names["a/b"], names["a b"].startswith("city-a-b-")
    ('city-a-b', True, True)
    """
    plain = {v: run_name(column, v) for v in dict.fromkeys(values)}
    groups: dict[str, list[Any]] = {}
    for v, name in plain.items():
        groups.setdefault(name.casefold(), []).append(v)
    taken = {r.casefold() for r in reserved}
    for digits in (4, 8, 64):  # a longer hash only if the short ones still clash
        names = {}
        for key, members in groups.items():
            exact = [v for v in members if _slug(v) == str(v)]
            clash = len(members) > 1 or key in taken
            for v in members:
                keep = not clash or (len(exact) == 1 and v == exact[0] and key not in taken)
                names[v] = plain[v] if keep else f"{plain[v]}-{_short_hash(v, digits)}"
        folded = [n.casefold() for n in names.values()]
        if len(set(folded)) == len(folded) and not taken & set(folded):
            return names
    raise ReportDefinitionError(f"fan-out over {column!r}: cannot give the values unique run names")  # pragma: no cover


def _parquet_columns(file: Path) -> list[str]:
    """The column names of a Parquet file (its footer only)."""
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(file).names)
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        raise CXDataError(_unreadable(file, exc)) from None


def _unreadable(file: Path, exc: BaseException) -> str:
    return (f"dataset file {str(file)!r} cannot be read as Parquet (truncated or corrupt: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); regenerate the dataset "
            "(cx data synth) or import it again")


def read_column(data_dir: str | os.PathLike, table: str, column: str, *, purpose: str):
    """One column of a dataset table as a pandas Series, for planning (``purpose`` heads the errors).

    Raises
    ------
    ReportDefinitionError
        The table or the column does not exist (naming the columns that do).
    CXDataError
        The table's file is not readable Parquet.
    """
    import pandas as pd

    file = Path(data_dir) / f"{table}.parquet"
    if not file.is_file():
        raise ReportDefinitionError(f"{purpose}: no table {table!r} in the data (no file {str(file)!r})")
    names = _parquet_columns(file)
    if column not in names:
        raise ReportDefinitionError(
            f"{purpose}: table {table!r} ({str(file)!r}) has no column {column!r}; available columns: {names}")
    try:
        return pd.read_parquet(file, columns=[column])[column]
    except (OSError, ValueError) as exc:
        raise CXDataError(_unreadable(file, exc)) from None


def fan_out_values(fan: FanOut, data_dir: str | os.PathLike) -> list[str]:
    """The values a fan-out over a column runs over: the listed ``values``, or every value in
    the data, sorted (for a study-role fan-out see :func:`fan_out_levels`)."""
    if fan.values is not None:
        return list(fan.values)
    col = read_column(data_dir, fan.table, fan.column, purpose=f"fan-out over {fan.table}.{fan.column}")
    return sorted(map(str, col.dropna().unique()))  # missing values are not a segment


def dataset_roles(data_dir: str | os.PathLike):
    """The :class:`~cxlib.data.roles.StudyRoles` of a dataset directory, without loading its
    tables: its ``study.json`` (an imported study), else the synthetic schema's roles."""
    import json

    from ..data.roles import SYNTHETIC_ROLES, roles_from_study

    file = Path(data_dir) / "study.json"
    if not file.is_file():
        return SYNTHETIC_ROLES
    try:
        return roles_from_study(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise CXDataError(f"dataset file {str(file)!r} cannot be read ({exc}); import the study again "
                          "(cx data import)") from None


def resolve_role(ref: RoleRef, roles) -> str | None:
    """The column a :class:`~cxlib.report.definition.RoleRef` names, or ``None`` when the
    dataset has no such table, role or position.

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> resolve_role(RoleRef("segments", 2), SYNTHETIC_ROLES), resolve_role(RoleRef("segments", 3), SYNTHETIC_ROLES)
    ('country', None)
    """
    if ref.table != "survey" and not roles.has(ref.table):
        return None
    columns = roles.columns(ref.role, ref.table)
    return columns[ref.position - 1] if ref.position <= len(columns) else None


def _level_counts(data_dir: Path, table: str, column: str, quarter: str):
    """Survey responses of ``quarter`` per level of ``column``: by the survey's own column, or
    (when the levels are read from another table) through the survey's ``customer_id``."""
    import pandas as pd

    purpose = f"fan-out over {table}.{column}"
    quarters = read_column(data_dir, "survey", "quarter", purpose=purpose).astype("string")
    in_quarter = (quarters == quarter).fillna(False).to_numpy()
    every = read_column(data_dir, table, column, purpose=purpose)
    if table == "survey":
        levels = every[in_quarter]
    else:
        ids = read_column(data_dir, "survey", "customer_id", purpose=purpose)[in_quarter]
        frame = pd.read_parquet(Path(data_dir) / f"{table}.parquet", columns=["customer_id", column])
        levels = ids.map(frame.drop_duplicates("customer_id").set_index("customer_id")[column])
    counts = levels.dropna().astype(str).value_counts()
    # every level of the table, also those nobody answered for in the quarter (count 0)
    return counts.reindex(sorted(set(counts.index) | set(map(str, every.dropna().unique()))), fill_value=0)


def fan_out_levels(fan: FanOut, data_dir: str | os.PathLike, *, quarter: str, min_base: int | None,
                   roles=None) -> tuple[str | None, list[str], dict[str, str]]:
    """The column, kept levels and skipped levels (``{level: why}``) of a study-role fan-out.

    The column is the role's (:func:`resolve_role`; ``None``: no runs). Its levels are read
    from the customers table when it has the column (the subset :func:`cxlib.subset_dataset`
    takes), else from the role's table. A level gets a run when the reported quarter's
    survey has at least ``max(min_base, 1)`` responses in it (a smaller run would show only
    suppressed figures); of those, the :data:`MAX_FAN_OUT_LEVELS` largest (ties by name).
    Kept levels are sorted by name; ``values`` in the definition restricts them further.

    Raises
    ------
    ReportDefinitionError
        A table without the column (naming the columns it has).
    """
    data_dir = Path(data_dir)
    roles = roles if roles is not None else dataset_roles(data_dir)
    column = resolve_role(fan.role, roles)
    if column is None:
        return None, [], {}
    table = fan.role.table
    customers, survey = data_dir / "customers.parquet", data_dir / "survey.parquet"
    if customers.is_file() and column in _parquet_columns(customers) and survey.is_file() \
            and "customer_id" in _parquet_columns(survey):
        table = "customers"
    counts = _level_counts(data_dir, table, column, quarter)
    need = max(int(min_base or 0), 1)
    skipped = {lvl: f"{int(n)} responses in {quarter}, below the minimum base {need}"
               for lvl, n in counts.items() if n < need}
    big = sorted(((-int(n), lvl) for lvl, n in counts.items() if n >= need))
    skipped.update({lvl: f"more than {MAX_FAN_OUT_LEVELS} levels; the {MAX_FAN_OUT_LEVELS} largest get runs"
                    for _, lvl in big[MAX_FAN_OUT_LEVELS:]})
    kept = sorted(lvl for _, lvl in big[:MAX_FAN_OUT_LEVELS])
    if fan.values is not None:
        kept = [v for v in kept if v in fan.values]
    return column, kept, dict(sorted(skipped.items()))


def check_quarter(quarter: str, data_dir: str | os.PathLike) -> None:
    """Refuse a quarter the data's survey has no wave for, naming the quarters it has.

    Raises
    ------
    ReportDefinitionError
        A malformed quarter, a dataset without ``survey.quarter``, or a quarter not in it.
    """
    if not _QUARTER.match(str(quarter)):
        raise ReportDefinitionError(f"quarter {quarter!r} must look like '2026Q3'")
    if not Path(data_dir).is_dir():
        raise ReportDefinitionError(f"no data directory at {str(data_dir)!r}; nothing was run")
    col = read_column(data_dir, "survey", "quarter", purpose=f"checking quarter {quarter}")
    have = sorted(map(str, col.dropna().unique()))
    if quarter not in have:
        span = f"{have[0]}–{have[-1]} ({len(have)} quarters)" if have else "no quarters at all"
        raise ReportDefinitionError(
            f"quarter {quarter} is not in the data at {str(data_dir)!r}: its survey has {span}; "
            "nothing was run")


def _select(runs: list[RunSpec], only: Sequence[str], absent: Mapping[str, list[str]] | None = None) -> list[RunSpec]:
    wanted = set(only)
    known = {r.notebook for r in runs} | {r.key for r in runs}
    unknown = sorted(wanted - known)
    if unknown:
        why = "".join(f"; {name} is not run on this data (it requires {', '.join(lacking)})"
                      for name, lacking in (absent or {}).items() if any(u.split("/")[0] == name for u in unknown))
        raise ReportDefinitionError(f"--only {unknown} matches no notebook or run; known: {sorted(known)}{why}")
    return [r for r in runs if r.notebook in wanted or r.key in wanted]


def plan_runs(definition: ReportDefinition, *, quarter: str, data_dir: str | os.PathLike,
              out_dir: str | os.PathLike, only: Sequence[str] | None = None) -> list[RunSpec]:
    """Expand the definition into the runs of one quarter (fan-out included).

    Every run receives ``quarter``, ``data_dir`` and ``figures_path`` (where it writes its
    key figures), plus the report-wide and notebook parameters; fan-out runs also receive
    their segment value, and are named by :func:`run_names` (unique even when sanitising
    merges values). ``only`` keeps notebooks or runs by name (``"01_cx_scorecard"`` or
    ``"01_cx_scorecard/country-DE"``).

    Study-role references (``{ role = "segments", position = 2 }``) are resolved against the
    dataset's roles (:func:`dataset_roles`): a parameter to its column (left out when the
    dataset has none, so the notebook's default applies), a fan-out to its column's levels
    (:func:`fan_out_levels`: at least ``min_base`` responses in the quarter, at most
    :data:`MAX_FAN_OUT_LEVELS`).

    Raises
    ------
    ReportDefinitionError
        A malformed quarter, a fan-out column or table that does not exist (naming the
        available columns), or an ``only`` name that matches nothing.
    CXDataError
        A fan-out table that is not readable Parquet.
    """
    if not _QUARTER.match(str(quarter)):
        raise ReportDefinitionError(f"quarter {quarter!r} must look like '2026Q3'")
    data_dir = Path(data_dir)
    out_dir = Path(out_dir)
    runs: list[RunSpec] = []
    roles = None
    absent: dict[str, list[str]] = {}
    for spec in definition.notebooks:
        base = {**definition.parameters, **spec.parameters, "quarter": quarter, "data_dir": str(data_dir)}
        if roles is None and (spec.requires or spec.fan_out is not None and spec.fan_out.role is not None
                              or any(isinstance(v, RoleRef) for v in base.values())):
            roles = dataset_roles(data_dir)
        if lacking := missing_requirements(spec, data_dir, roles):
            absent[spec.name] = lacking
            continue
        base = _resolve_parameters(base, roles)
        column, values = _fan_out(spec.fan_out, data_dir, quarter=quarter, min_base=base.get("min_base"), roles=roles)
        variants: list[tuple[str, str | None]] = [("overall", None)]
        if values:
            variants += [(name, value) for value, name in run_names(column, values).items()]
        for name, value in variants:
            params = {**base, spec.fan_out.parameter: value} if value is not None else dict(base)
            run = RunSpec(notebook=spec.name, run=name, input_path=spec.path, parameters=params,
                          out_dir=out_dir, timeout=spec.timeout, value=value,
                          column=column if value is not None else None)
            params["figures_path"] = str(run.figures)
            runs.append(run)
    return _select(runs, only, absent) if only else runs


def missing_requirements(spec, data_dir: str | os.PathLike, roles=None) -> list[str]:
    """What of a notebook's ``requires`` the dataset lacks: tables without a file in
    ``data_dir``, ``table.role`` entries the dataset's roles do not name (empty: it runs)."""
    lacking = []
    for item in spec.requires:
        table, _, role = item.partition(".")
        if not (Path(data_dir) / f"{table}.parquet").is_file():
            lacking.append(f"a {table} table")
        elif role:
            roles = roles if roles is not None else dataset_roles(data_dir)
            if resolve_role(RoleRef(role, 1, table), roles) is None:
                lacking.append(f"a {role} column in [roles.{table}]")
    return list(dict.fromkeys(lacking))


def plan_notes(definition: ReportDefinition, *, quarter: str, data_dir: str | os.PathLike) -> list[str]:
    """What the data makes of the definition, one line per notebook where it matters: the
    notebooks not run (their ``requires`` are missing), and per study-role fan-out the
    column and levels it runs over, the levels it skips and why, or that the study has no
    such segment (printed by ``cx report --study`` before the runs start)."""
    notes: list[str] = []
    roles = dataset_roles(data_dir)
    for spec in definition.notebooks:
        if lacking := missing_requirements(spec, data_dir, roles):
            notes.append(f"{spec.name}: not run, not part of this study (it requires {', '.join(lacking)})")
            continue
        fan = spec.fan_out
        if fan is None or fan.role is None:
            continue
        min_base = {**definition.parameters, **spec.parameters}.get("min_base")
        min_base = min_base if isinstance(min_base, int) and not isinstance(min_base, bool) else None
        column, kept, skipped = fan_out_levels(fan, data_dir, quarter=quarter, min_base=min_base, roles=roles)
        ref = fan.role
        if column is None:
            where = f"[roles.{ref.table}] {ref.role}"
            notes.append(f"{spec.name}: no fan-out (the study has no {_ordinal(ref.position)} column in {where}); "
                         "overall run only")
            continue
        runs = f"one run per {column!r}: {', '.join(kept)}" if kept else f"no {column!r} level is large enough"
        notes.append(f"{spec.name}: {runs}" + "".join(f"; skipped {lvl!r}: {why}" for lvl, why in skipped.items()))
    return notes


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _resolve_parameters(params: dict[str, Any], roles) -> dict[str, Any]:
    """Role references replaced by their columns; one the dataset cannot resolve is left out
    (the notebook's default applies)."""
    out = {}
    for name, value in params.items():
        if isinstance(value, RoleRef):
            value = resolve_role(value, roles)
            if value is None:
                continue
        out[name] = value
    return out


def _fan_out(fan: FanOut | None, data_dir: Path, *, quarter: str, min_base: Any, roles) -> tuple[str | None, list[str]]:
    """The column and values of a notebook's fan-out (none: no fan-out runs)."""
    if fan is None:
        return None, []
    if fan.role is None:
        return fan.column, fan_out_values(fan, data_dir)
    min_base = min_base if isinstance(min_base, int) and not isinstance(min_base, bool) else None
    column, kept, _ = fan_out_levels(fan, data_dir, quarter=quarter, min_base=min_base, roles=roles)
    return column, kept


def schedule(runs: Sequence[RunSpec], seconds: Mapping[str, float]) -> list[RunSpec]:
    """The runs in the order to start them: the longest expected first.

    Parallel workers take the runs in this order, so the longest runs start first and the
    short ones fill in at the end (longest-processing-time-first scheduling; with two
    workers its batch takes at most 7/6 of the shortest possible time, Graham 1969,
    SIAM J. Appl. Math. 17(2), 416-429). A run's expected seconds are ``seconds[run.key]``
    (what it took last time, e.g. from ``runs.json``), else the longest recorded run of the
    same notebook and kind (overall or fan-out). Runs with no estimate go first (they may be
    long), overall runs before fan-out runs (an overall run covers all the data); ties keep
    the definition order.

    Examples
    --------
    >>> from pathlib import Path
    >>> def run(nb, name):
    ...     return RunSpec(nb, name, Path(nb + ".py"), {}, Path("out"), value=None if name == "overall" else name)
    >>> runs = [run("a", "overall"), run("a", "x-1"), run("b", "overall"), run("b", "x-1"), run("c", "overall")]
    >>> [r.key for r in schedule(runs, {"a/overall": 2.0, "a/x-1": 1.0, "b/overall": 9.0, "b/x-1": 4.0})]
    ['c/overall', 'b/overall', 'b/x-1', 'a/overall', 'a/x-1']
    >>> [r.key for r in schedule(runs, {})]
    ['a/overall', 'b/overall', 'c/overall', 'a/x-1', 'b/x-1']
    """
    kind: dict[tuple[str, bool], float] = {}
    for r in runs:
        if r.key in seconds:
            k = (r.notebook, r.value is None)
            kind[k] = max(kind.get(k, 0.0), float(seconds[r.key]))

    def expected(r: RunSpec) -> float | None:
        s = seconds.get(r.key)
        return float(s) if s is not None else kind.get((r.notebook, r.value is None))

    def order(item: tuple[int, RunSpec]) -> tuple:
        i, r = item
        e = expected(r)
        return (0, r.value is not None, i) if e is None else (1, -e, i)

    return [r for _, r in sorted(enumerate(runs), key=order)]


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
