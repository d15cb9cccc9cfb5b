"""The study file: which sources a study reads, which column plays which role, and the scales.

A study file is TOML (documented in ``data/study-file.md``)::

    [study]
    title = "Airline passenger survey"
    wave = "2025Q4"                  # every response is in this quarter when there is no date

    [sources.survey]                 # required; customers, tickets, touchpoints, journeys,
    path = "airline.csv"             # transactions optional; paths relative to the study file

    [roles.survey]
    satisfaction = "satisfaction"
    drivers = ["Seat comfort", "Cleanliness"]

    [scales.drivers]                 # a role, or [scales."Column name"] for one column
    points = [1, 5]
    missing = [0]

    [report]                         # optional: how cx report --study runs
    definition = "my_report.toml"    # own report definition (default: the package's)
    title = "Airline survey 2025"    # heading of the report's index (default: the study's title)

:func:`load_study` reads and validates it into a :class:`Study`; every error is a
:class:`~cxlib.errors.CXDataError` that names the file and the key. Nothing here reads
the data: the import (:mod:`cxlib.data.importer`) checks the columns against the sources.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CXDataError

#: Source formats a study may declare (``format = ...``).
FORMATS: tuple[str, ...] = ("csv", "excel", "parquet", "spss", "qualtrics", "sql", "spark")

#: File suffix -> format, used when ``format`` is absent. Qualtrics exports are CSV files:
#: declare ``format = "qualtrics"`` for them.
SUFFIX_FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".parquet": "parquet", ".pq": "parquet",
    ".sav": "spss", ".zsav": "spss", ".por": "spss",
}

#: The tables a study may declare; ``survey`` is required.
TABLES: tuple[str, ...] = ("survey", "customers", "tickets", "touchpoints", "journeys", "transactions")

#: Table -> the roles a column of that table may play.
ROLES: dict[str, tuple[str, ...]] = {
    "survey": ("respondent_id", "date", "satisfaction", "recommend", "effort", "drivers", "segments",
               "weight", "comment", "customer_id"),
    "customers": ("customer_id", "signup_date", "churn_date", "revenue", "segments"),
    "tickets": ("ticket_id", "customer_id", "opened", "first_response", "resolved", "reopens", "contacts",
                "channel", "resolved_channel"),
    "touchpoints": ("touchpoint_id", "customer_id", "date", "touchpoint", "channel", "csat", "ticket_id", "effort"),
    "journeys": ("event_id", "customer_id", "timestamp", "stage", "touchpoint", "channel", "valence"),
    "transactions": ("customer_id", "date", "amount"),
}

#: Roles that name a list of columns (a single name is read as a list of one).
LIST_ROLES: frozenset[str] = frozenset({"drivers", "segments"})

#: Role -> kind of column: ``id``, ``date``, ``rating`` (numeric, may carry a scale),
#: ``number``, ``category`` or ``text``. The import converts and checks by kind.
ROLE_KINDS: dict[str, str] = {
    "respondent_id": "id", "customer_id": "id", "ticket_id": "id", "touchpoint_id": "id", "event_id": "id",
    "date": "date", "signup_date": "date", "churn_date": "date", "opened": "date",
    "first_response": "date", "resolved": "date", "timestamp": "date",
    "satisfaction": "rating", "recommend": "rating", "effort": "rating", "drivers": "rating", "csat": "rating",
    "weight": "number", "revenue": "number", "reopens": "number", "contacts": "number", "amount": "number", "valence": "number",
    "segments": "category", "channel": "category", "resolved_channel": "category", "touchpoint": "category", "stage": "category",
    "comment": "text",
}

#: Roles whose scale may be declared as ``[scales.<role>]``.
SCALE_ROLES: tuple[str, ...] = tuple(r for r, k in ROLE_KINDS.items() if k == "rating")

#: The outcome roles of a survey; a study declares at least one.
OUTCOME_ROLES: tuple[str, ...] = ("satisfaction", "recommend")

_TOP_LEVEL = ("study", "sources", "roles", "scales", "privacy", "weighting", "report")
_STUDY_KEYS = ("title", "wave")
_SOURCE_KEYS = ("path", "format", "url", "query", "sheet", "table")
_SCALE_KEYS = ("points", "missing", "labels", "values")
_PRIVACY_KEYS = ("keep",)
_WEIGHTING_KEYS = ("targets", "crossed", "column", "cap", "trim", "max_iter", "tol", "per_wave")
_REPORT_KEYS = ("definition", "title")
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True)
class Source:
    """Where one table comes from.

    Attributes
    ----------
    name : str
        The table (``"survey"``, ``"customers"`` …).
    format : str
        One of :data:`FORMATS`.
    path : pathlib.Path or None
        The file, resolved against the study file's directory (``None`` for SQL and Spark);
        for ``format = "parquet"`` also a folder of Parquet files (Hive partitions
        ``key=value/`` allowed), analysed in place by :func:`cxlib.open_study`.
    url, query : str or None
        For ``format = "sql"``: the database URL (``duckdb:///file.duckdb`` or any
        SQLAlchemy URL; a relative DuckDB file is resolved against the study file) and
        the query. For ``format = "spark"``: an optional Spark Connect URL
        (``sc://host:15002``) and a Spark SQL query.
    sheet : str or int or None
        For Excel: the sheet name or 0-based position (default: the first sheet).
    table : str or None
        For ``format = "sql"`` or ``"spark"``: a table name instead of a query (``query``
        then holds the same name: a bare name reads the whole table).
    """

    name: str
    format: str
    path: Path | None = None
    url: str | None = None
    query: str | None = None
    sheet: str | int | None = None
    table: str | None = None


@dataclass(frozen=True)
class Scale:
    """The declared scale of a rating column.

    Attributes
    ----------
    points : tuple of two floats or None
        ``(low, high)`` of the rating scale, e.g. ``(1.0, 5.0)``. When absent and
        ``values`` is given, the range of ``values``.
    missing : tuple of float
        Codes meaning "not applicable" / "don't know": set missing at import, and counted.
    labels : dict of float to str
        Code -> label, e.g. ``{1.0: "very poor", 5.0: "excellent"}``.
    values : dict of str to float
        Text answer -> number, applied before anything else.

    Examples
    --------
    >>> Scale(points=(0.0, 1.0)).binary
    True
    >>> Scale(points=(1.0, 5.0), missing=(0.0,)).to_dict()
    {'points': [1, 5], 'missing': [0], 'labels': {}, 'values': {}}
    """

    points: tuple[float, float] | None = None
    missing: tuple[float, ...] = ()
    labels: dict[float, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)

    @property
    def binary(self) -> bool:
        """Whether the scale is a 0/1 outcome (``points == (0, 1)``)."""
        return self.points is not None and tuple(self.points) == (0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """The scale as JSON-ready data (whole numbers written without ``.0``)."""
        return {
            "points": None if self.points is None else [number_text(p) for p in self.points],
            "missing": [number_text(m) for m in self.missing],
            "labels": {str(number_text(k)): v for k, v in self.labels.items()},
            "values": {k: number_text(v) for k, v in self.values.items()},
        }


@dataclass(frozen=True)
class WeightingSpec:
    """The study's ``[weighting]`` table: population targets and the raking options.

    Attributes
    ----------
    targets : dict
        ``{column: {level: share or count}}`` as for :func:`cxlib.rake`, levels as written
        in the file (text; the import matches them to the column's values, numbers
        included); a crossed margin from ``[[weighting.crossed]]`` has a tuple of columns as
        key and tuples of levels.
    column : str
        The weight column the import adds (default ``"raked_weight"``); it becomes the
        survey's ``weight`` role, and a declared ``weight`` role is the design weight.
    cap, trim, max_iter, tol
        Passed to :func:`cxlib.rake`.
    per_wave : bool
        Rake each quarter (wave) to the targets separately (default), or all rows at once.
    """

    targets: dict[Any, dict[Any, float]]
    column: str = "raked_weight"
    cap: float | None = None
    trim: tuple[float, float] | None = None
    max_iter: int = 100
    tol: float = 1e-10
    per_wave: bool = True

    def columns(self) -> list[str]:
        """Every column a target names, in order, without repeats."""
        out: list[str] = []
        for key in self.targets:
            out += [c for c in (key if isinstance(key, tuple) else (key,)) if c not in out]
        return out


@dataclass(frozen=True)
class Study:
    """A validated study file (see :func:`load_study`).

    Attributes
    ----------
    path : pathlib.Path
        The study file (absolute).
    title : str
        ``[study] title`` (default: the file's stem).
    wave : str or None
        ``[study] wave``, a quarter like ``"2025Q4"``: the quarter of responses without a date.
    sources : dict of str to Source
        Table -> source; ``"survey"`` is always present.
    roles : dict of str to dict
        Table -> role -> column name (a list of names for ``drivers`` and ``segments``).
    scales : dict of str to Scale
        Key -> scale; a key is a role of :data:`SCALE_ROLES` or a column name.
    keep : tuple of str
        Identifying columns kept by name (``[privacy] keep``).
    weighting : WeightingSpec or None
        ``[weighting]``: population targets the import rakes the survey to (``None``: no
        weighting; a ``weight`` role is then used as it is).
    report_definition : pathlib.Path or None
        ``[report] definition``: the study's own report definition (resolved against the
        study file's directory); ``None`` for the package's ``notebooks/report.toml``.
    report_title : str or None
        ``[report] title``: the heading of the report's index; ``None`` for the study's title.
    """

    path: Path
    title: str
    wave: str | None
    sources: dict[str, Source]
    roles: dict[str, dict[str, Any]]
    scales: dict[str, Scale]
    keep: tuple[str, ...] = ()
    weighting: WeightingSpec | None = None
    report_definition: Path | None = None
    report_title: str | None = None

    def role(self, table: str, role: str, default: Any = None) -> Any:
        """The column (or list of columns) playing ``role`` in ``table``, or ``default``."""
        return self.roles.get(table, {}).get(role, default)

    def roles_of(self, column: str, table: str = "survey") -> list[str]:
        """The roles ``column`` plays in ``table`` (usually one, possibly none)."""
        out = []
        for role, value in self.roles.get(table, {}).items():
            if column == value or (isinstance(value, list) and column in value):
                out.append(role)
        return out

    def scale_for(self, column: str, table: str | None = None) -> Scale | None:
        """The scale of ``column``: ``[scales."column"]`` if declared, else the scale of
        the rating role the column plays (``[scales.drivers]`` for every driver), else ``None``.

        Parameters
        ----------
        column : str
            The source column id.
        table : str, optional
            Look the column's role up in this table only (default: the survey, then the
            other tables in :data:`TABLES` order).
        """
        if column in self.scales:
            return self.scales[column]
        for t in ([table] if table else list(TABLES)):
            for role in self.roles_of(column, t):
                if role in SCALE_ROLES and role in self.scales:
                    return self.scales[role]
        return None

    def columns(self, table: str) -> list[str]:
        """Every column named by a role of ``table``, in role order, without repeats."""
        out: list[str] = []
        for value in self.roles.get(table, {}).values():
            for col in value if isinstance(value, list) else [value]:
                if col not in out:
                    out.append(col)
        return out


def number_text(x: float) -> int | float:
    """``x`` as an ``int`` when it is whole (for JSON and messages), else unchanged.

    Examples
    --------
    >>> number_text(5.0), number_text(2.5)
    (5, 2.5)
    """
    return int(x) if isinstance(x, float) and x.is_integer() else x


class _Where:
    """Builds error messages that name the file and the key."""

    def __init__(self, path: Path):
        self.name = path.name

    def error(self, key: str, message: str) -> CXDataError:
        return CXDataError(f"{self.name}: {key} {message}")


def load_study(path: str | os.PathLike) -> Study:
    """Read and validate a study file.

    Parameters
    ----------
    path : path-like
        The TOML study file; source paths inside it are relative to its directory.

    Returns
    -------
    Study

    Raises
    ------
    CXDataError
        Naming the file and the key: a file that is missing, not UTF-8 or not valid TOML
        (with the line); an unknown table, key or role (listing the valid ones); no
        ``[sources.survey]``; no outcome role (``satisfaction`` or ``recommend``); neither a
        ``date`` role nor a ``wave``; an unknown ``format``; a source file that does not
        exist (or a folder without Parquet files); ``format = "sql"`` without ``url`` and
        ``query`` or ``table``, ``format = "spark"`` without ``table`` or ``query`` or with a
        ``url`` that is not ``sc://…``, both ``query`` and ``table``; scale ``points`` that are
        not two increasing numbers, labels or values outside them, ``missing`` codes that
        are not numbers, ``values`` that do not map text to numbers; a ``wave`` that is not
        a quarter such as ``"2025Q4"``; a ``[weighting]`` table without targets, with
        target values that are not numbers >= 0, shares that do not sum to 1 or count
        margins with different totals, malformed ``[[weighting.crossed]]`` cells, or bad
        ``cap``/``trim``/``max_iter``/``tol``/``per_wave``/``column``; a ``[report]`` key
        other than ``definition`` and ``title``, or a ``definition`` file that does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answers.csv").write_text("id,sat,seat\\n1,5,4\\n")
    >>> _ = (d / "study.toml").write_text('''
    ... [study]
    ... wave = "2025Q4"
    ... [sources.survey]
    ... path = "answers.csv"
    ... [roles.survey]
    ... satisfaction = "sat"
    ... drivers = ["seat"]
    ... [scales.drivers]
    ... points = [1, 5]
    ... missing = [0]
    ... ''')
    >>> study = load_study(d / "study.toml")
    >>> study.sources["survey"].format, study.role("survey", "drivers")
    ('csv', ['seat'])
    >>> study.scale_for("seat")
    Scale(points=(1.0, 5.0), missing=(0.0,), labels={}, values={})
    """
    file = Path(path).resolve()
    where = _Where(file)
    doc = _read_toml(file, where)
    _check_keys(doc, _TOP_LEVEL, where, "the file", "top-level table")
    study_part = _table(doc, "study", where, "[study]")
    _check_keys(study_part, _STUDY_KEYS, where, "[study]", "key")
    title = study_part.get("title", file.stem)
    if not isinstance(title, str):
        raise where.error("[study] title", f"must be text, got {title!r}")
    wave = _wave(study_part.get("wave"), where)
    sources = _sources(doc, file.parent, where)
    roles = _roles(doc, sources, where)
    survey_roles = roles.get("survey", {})
    if not any(r in survey_roles for r in OUTCOME_ROLES):
        raise where.error("[roles.survey]", f"names no outcome: declare at least one of {list(OUTCOME_ROLES)}, "
                                            'e.g. satisfaction = "Overall satisfaction"')
    if "date" not in survey_roles and wave is None:
        raise where.error("[roles.survey] date", 'is missing and [study] has no wave: name the date column '
                                                 '(date = "RecordedDate") or give the quarter (wave = "2025Q4")')
    scales = {key: _scale(value, where, f"[scales.{_key_text(key)}]")
              for key, value in _table(doc, "scales", where, "[scales]").items()}
    privacy = _table(doc, "privacy", where, "[privacy]")
    _check_keys(privacy, _PRIVACY_KEYS, where, "[privacy]", "key")
    keep = tuple(_names(privacy.get("keep", []), where, "[privacy] keep", allow_empty=True))
    weighting = _weighting(doc, where)
    definition, report_title = _report(doc, file.parent, where)
    return Study(path=file, title=title, wave=wave, sources=sources, roles=roles, scales=scales, keep=keep,
                 weighting=weighting, report_definition=definition, report_title=report_title)


def _report(doc: dict[str, Any], root: Path, where: _Where) -> tuple[Path | None, str | None]:
    """``[report]``: the study's own definition file (checked to exist) and the index title."""
    part = _table(doc, "report", where, "[report]")
    _check_keys(part, _REPORT_KEYS, where, "[report]", "key")
    title = _text_key(part, "title", where, "[report]")
    path = _text_key(part, "definition", where, "[report]")
    if path is None:
        return None, title
    resolved = (root / path).resolve()
    if not resolved.is_file():
        raise where.error("[report] definition", f"= {path!r}: no such file {str(resolved)!r} (a report "
                                                 "definition like the package's notebooks/report.toml, relative "
                                                 "to the study file)")
    return resolved, title


def _read_toml(file: Path, where: _Where) -> dict[str, Any]:
    if not file.is_file():
        raise CXDataError(f"{where.name}: the study file {str(file)!r} does not exist")
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CXDataError(f"{where.name}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                          "save it as UTF-8") from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark (Windows editors) is fine
    except tomllib.TOMLDecodeError as exc:
        raise CXDataError(f"{where.name}: the file is not valid TOML: {exc}") from None


def _key_text(key: str) -> str:
    """A TOML key as written in the file: bare when it can be, quoted otherwise."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


def _table(doc: dict[str, Any], key: str, where: _Where, label: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise where.error(label, f"must be a table ({label} on a line of its own), got {value!r}")
    return value


def _check_keys(part: dict[str, Any], valid: tuple[str, ...], where: _Where, label: str, what: str) -> None:
    for key in part:
        if key not in valid:
            raise where.error(f"{label}", f"has an unknown {what} {key!r}; valid: {list(valid)}")


def _wave(wave: Any, where: _Where) -> str | None:
    if wave is None:
        return None
    if not isinstance(wave, str) or not _QUARTER.match(wave):
        raise where.error("[study] wave", f"= {wave!r} is not a quarter; write it like \"2025Q4\" (year, Q, 1–4)")
    return wave


def _sources(doc: dict[str, Any], root: Path, where: _Where) -> dict[str, Source]:
    part = _table(doc, "sources", where, "[sources]")
    if "survey" not in part:
        raise where.error("[sources.survey]", 'is missing: every study reads a survey, e.g.\n'
                                              '[sources.survey]\npath = "answers.csv"')
    out = {}
    for name, spec in part.items():
        label = f"[sources.{_key_text(name)}]"
        if name not in TABLES:
            raise where.error(label, f"is not a table a study can read; valid: {list(TABLES)}")
        if not isinstance(spec, dict):
            raise where.error(label, f"must be a table with path (or url and query), got {spec!r}")
        _check_keys(spec, _SOURCE_KEYS, where, label, "key")
        out[name] = _source(name, spec, root, where, label)
    return out


def _text_key(spec: dict[str, Any], key: str, where: _Where, label: str) -> str | None:
    value = spec.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise where.error(f"{label} {key}", f"must be non-empty text, got {value!r}")
    return value


def _source(name: str, spec: dict[str, Any], root: Path, where: _Where, label: str) -> Source:
    path, url, query, table = (_text_key(spec, k, where, label) for k in ("path", "url", "query", "table"))
    fmt = spec.get("format")
    if fmt is None:
        if url is not None:
            fmt = "sql"
        elif path is not None and Path(path).suffix.lower() in SUFFIX_FORMATS:
            fmt = SUFFIX_FORMATS[Path(path).suffix.lower()]
        elif path is not None and (root / path).is_dir():
            fmt = "parquet"  # a folder of Parquet files
        elif path is not None:
            raise where.error(f"{label} format", f"is missing and cannot be told from the suffix of {path!r}; "
                                                 f"set format = one of {list(FORMATS)}")
    if fmt not in FORMATS:
        raise where.error(f"{label} format", f"= {fmt!r} is not a known format; valid: {list(FORMATS)}")
    sheet = spec.get("sheet")
    if sheet is not None and (fmt != "excel" or isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise where.error(f"{label} sheet", f"= {sheet!r}: a sheet name or 0-based number, for format = \"excel\" only")
    if fmt in ("sql", "spark"):
        return _table_source(name, fmt, url, query, table, path, root, where, label)
    for key, value in (("url", url), ("query", query), ("table", table)):
        if value is not None:
            raise where.error(f"{label} {key}", f'is only used with format = "sql" or "spark" (this source is {fmt!r})')
    if path is None:
        raise where.error(f"{label} path", "is missing: give the file, relative to the study file")
    resolved = (root / path).resolve()
    if resolved.is_dir():
        if fmt != "parquet":
            raise where.error(f"{label} path", f"= {path!r} is a folder: a folder is read as Parquet files only "
                                               '(format = "parquet"); give a file for other formats')
        if next(iter(parquet_files(resolved, limit=1)), None) is None:
            raise where.error(f"{label} path", f"= {path!r}: the folder {str(resolved)!r} holds no Parquet files "
                                               "(*.parquet, searched in subfolders too)")
    elif not resolved.is_file():
        raise where.error(f"{label} path", f"= {path!r}: no such file {str(resolved)!r} "
                                           "(paths are relative to the study file)")
    return Source(name=name, format=fmt, path=resolved, sheet=sheet)


def _table_source(name: str, fmt: str, url: str | None, query: str | None, table: str | None, path: str | None,
                  root: Path, where: _Where, label: str) -> Source:
    """A ``format = "sql"`` or ``"spark"`` source: a query or a table, a database or Spark URL."""
    if path is not None:
        raise where.error(f"{label} path", f'is not used with format = "{fmt}": put the database in url'
                          if fmt == "sql" else 'is not used with format = "spark": name the table (table = '
                          '"db.survey") or read files in a query (query = "select * from parquet.`s3://b/survey`")')
    if query is not None and table is not None:
        raise where.error(label, "gives both query and table: keep one")
    if table is not None and not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}", table):
        raise where.error(f"{label} table", f"= {table!r} is not a table name (letters, digits, _ and dots, e.g. "
                                            '"analytics.survey"); use query for anything else')
    if fmt == "spark":
        if query is None and table is None:
            raise where.error(label, 'format = "spark" needs table (e.g. table = "cx.survey") or query (Spark SQL)')
        if url is not None and not url.startswith("sc://"):
            raise where.error(f"{label} url", f"= {url!r}: a Spark source's url is a Spark Connect URL "
                                              '"sc://host:15002" (or omit it: the active Spark session is used)')
        return Source(name=name, format=fmt, url=url, query=query or table, table=table)
    if url is None or (query is None and table is None):
        raise where.error(label, 'format = "sql" needs url (e.g. "duckdb:///warehouse.duckdb", or any '
                                 'SQLAlchemy URL) and query (e.g. "select * from answers") or table')
    return Source(name=name, format=fmt, url=_duckdb_url(url, root, where, label), query=query or table, table=table)


def parquet_files(folder: Path, *, limit: int | None = None) -> list[Path]:
    """The Parquet files under ``folder`` (``*.parquet`` in any subfolder), sorted by path;
    hidden files and folders (``.``, ``_`` prefixes: ``_SUCCESS``, ``_temporary``) are skipped.

    >>> import tempfile
    >>> parquet_files(Path(tempfile.mkdtemp()))
    []
    """
    out: list[Path] = []
    for file in sorted(Path(folder).rglob("*.parquet")):
        rel = file.relative_to(folder).parts
        if file.is_file() and not any(p.startswith((".", "_")) for p in rel):
            out.append(file)
            if limit is not None and len(out) >= limit:
                break
    return out


def _duckdb_url(url: str, root: Path, where: _Where, label: str) -> str:
    """A ``duckdb:///file`` URL with the file resolved against the study file (and checked)."""
    if not url.startswith("duckdb:///") or url.endswith(":memory:"):
        return url
    file = (root / url.removeprefix("duckdb:///")).resolve()
    if not file.is_file():
        raise where.error(f"{label} url", f"= {url!r}: no such DuckDB file {str(file)!r} "
                                          "(paths are relative to the study file)")
    return f"duckdb:///{file.as_posix()}"


def _roles(doc: dict[str, Any], sources: dict[str, Source], where: _Where) -> dict[str, dict[str, Any]]:
    part = _table(doc, "roles", where, "[roles]")
    out: dict[str, dict[str, Any]] = {}
    for table, spec in part.items():
        label = f"[roles.{_key_text(table)}]"
        if table not in TABLES:
            raise where.error(label, f"is not a table; valid: {list(TABLES)}")
        if table not in sources:
            raise where.error(label, f"has no [sources.{table}]: add the source or remove the roles")
        if not isinstance(spec, dict):
            raise where.error(label, f"must be a table of role = \"column\" lines, got {spec!r}")
        roles: dict[str, Any] = {}
        for role, column in spec.items():
            if role not in ROLES[table]:
                raise where.error(label, f"{role} is not a {table} role; valid: {list(ROLES[table])}")
            key = f"{label} {role}"
            if role in LIST_ROLES:
                roles[role] = _names([column] if isinstance(column, str) else column, where, key, allow_empty=False)
            elif not isinstance(column, str) or not column:
                raise where.error(key, f"must be a column name (text), got {column!r}")
            else:
                roles[role] = column
        out[table] = roles
    return out


def _names(value: Any, where: _Where, key: str, *, allow_empty: bool) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise where.error(key, f"must be a list of column names, e.g. [\"Seat comfort\", \"Cleanliness\"]; got {value!r}")
    if not value and not allow_empty:
        raise where.error(key, "is an empty list: name at least one column or remove the line")
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        raise where.error(key, f"lists {repeated} more than once")
    return list(value)


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a number (booleans are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _scale(spec: Any, where: _Where, label: str) -> Scale:
    if not isinstance(spec, dict):
        raise where.error(label, f"must be a table with points, missing, labels or values; got {spec!r}")
    _check_keys(spec, _SCALE_KEYS, where, label, "key")
    points = None
    if "points" in spec:
        raw = spec["points"]
        nums = [_number(v) for v in raw] if isinstance(raw, list) else []
        if len(nums) != 2 or None in nums or not nums[0] < nums[1]:
            raise where.error(f"{label} points", f"= {raw!r} must be two increasing numbers [low, high], e.g. [1, 5]")
        points = (nums[0], nums[1])
    raw_missing = spec.get("missing", [])
    raw_missing = raw_missing if isinstance(raw_missing, list) else [raw_missing]
    missing = tuple(_number(v) for v in raw_missing)
    if None in missing:
        bad = [v for v in raw_missing if _number(v) is None]
        raise where.error(f"{label} missing", f"holds {bad!r}: missing codes must be numbers, e.g. [0, 99] "
                                              '(map text answers to numbers in values first, e.g. "Don\'t know" = 99)')
    values = _values(spec.get("values", {}), where, f"{label} values")
    if points is None and values:
        points = (min(values.values()), max(values.values()))  # documented: points default to the values' range
    labels = _labels(spec.get("labels", {}), where, f"{label} labels")
    for what, codes in (("labels", labels), ("values", {v: v for v in values.values()})):
        outside = [number_text(c) for c in codes if points is not None and not points[0] <= c <= points[1]]
        if outside:
            raise where.error(f"{label} {what}", f"use {outside} outside the points "
                                                 f"[{number_text(points[0])}, {number_text(points[1])}]")
    return Scale(points=points, missing=missing, labels=labels, values=values)


def _values(raw: Any, where: _Where, key: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise where.error(key, f'must map text answers to numbers, e.g. {{ "satisfied" = 1 }}; got {raw!r}')
    out: dict[str, float] = {}
    folded: dict[str, float] = {}
    for text, value in raw.items():
        number = _number(value)
        if number is None or not text.strip():
            raise where.error(key, f"must map text answers to numbers; {text!r} = {value!r} is not text -> number")
        fold = text.strip().casefold()
        if folded.get(fold, number) != number:
            raise where.error(key, f"maps {text!r} to two different numbers (answers are matched ignoring case "
                                   "and surrounding spaces)")
        folded[fold] = number
        out[text] = number
    return out


def _labels(raw: Any, where: _Where, key: str) -> dict[float, str]:
    if not isinstance(raw, dict):
        raise where.error(key, f'must map codes to text, e.g. {{ 1 = "very poor", 5 = "excellent" }}; got {raw!r}')
    out: dict[float, str] = {}
    for code, text in raw.items():
        try:
            number = float(code)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not isinstance(text, str):
            raise where.error(key, f"must map numeric codes to text; {code!r} = {text!r} is not number -> text")
        out[number] = text
    return out


def _weighting(doc: dict[str, Any], where: _Where) -> WeightingSpec | None:
    """``[weighting]``: targets per column (and crossed margins), the raking options."""
    if "weighting" not in doc:
        return None
    part = _table(doc, "weighting", where, "[weighting]")
    _check_keys(part, _WEIGHTING_KEYS, where, "[weighting]", "key")
    targets: dict[Any, dict[Any, float]] = {}
    for column, levels in _table(part, "targets", where, "[weighting.targets]").items():
        label = f"[weighting.targets.{_key_text(column)}]"
        if not isinstance(levels, dict) or not levels:
            raise where.error(label, f'must be a table of level = share (or count), e.g. {{ Business = 0.48, '
                                     f'Eco = 0.52 }}; got {levels!r}')
        targets[column] = {level: _target_value(v, where, f"{label} {_key_text(level)}") for level, v in levels.items()}
    crossed = part.get("crossed", [])
    if not isinstance(crossed, list):
        raise where.error("[weighting] crossed", "must be written as [[weighting.crossed]] tables")
    for i, spec in enumerate(crossed, start=1):
        key, cells = _crossed(spec, where, f"[[weighting.crossed]] #{i}")
        if key in targets or any(key == tuple(k) for k in targets if isinstance(k, tuple)):
            raise where.error(f"[[weighting.crossed]] #{i}", f"repeats the margin {list(key)}")
        targets[key] = cells
    if not targets:
        raise where.error("[weighting]", "declares no targets: add [weighting.targets.<column>] (or "
                                         "[[weighting.crossed]]) with the population shares, or remove [weighting]")
    from .weighting import target_shares  # the same share/count rules as cx.rake

    try:
        target_shares(targets)
    except CXDataError as exc:
        raise where.error("[weighting.targets]", str(exc)) from None
    return WeightingSpec(targets=targets, **_weighting_options(part, where))


def _target_value(value: Any, where: _Where, key: str) -> float:
    number = _number(value)
    if number is None or number < 0:
        raise where.error(key, f"= {value!r} must be a share or a count (a number >= 0)")
    return number


def _crossed(spec: Any, where: _Where, label: str) -> tuple[tuple[str, ...], dict[tuple, float]]:
    """One crossed margin: ``columns = [..]`` and ``cells = [{ levels = [..], target = .. }, ..]``."""
    if not isinstance(spec, dict):
        raise where.error(label, f"must be a table with columns and cells, got {spec!r}")
    _check_keys(spec, ("columns", "cells"), where, label, "key")
    columns = _names(spec.get("columns"), where, f"{label} columns", allow_empty=False)
    if len(columns) < 2:
        raise where.error(f"{label} columns", f"= {columns!r}: a crossed margin needs two or more columns "
                                              "(one column goes in [weighting.targets])")
    cells_raw = spec.get("cells")
    if not isinstance(cells_raw, list) or not cells_raw:
        raise where.error(f"{label} cells", 'must list the cells, e.g. cells = [{ levels = ["Loyal", "Business"], '
                                            "target = 0.4 }, ...]")
    cells: dict[tuple, float] = {}
    for j, cell in enumerate(cells_raw, start=1):
        key = f"{label} cells #{j}"
        levels = cell.get("levels") if isinstance(cell, dict) else None
        if (not isinstance(cell, dict) or set(cell) != {"levels", "target"} or not isinstance(levels, list)
                or len(levels) != len(columns) or not all(isinstance(v, (str, int, float)) for v in levels)):
            raise where.error(key, f"must be {{ levels = [one level per column of {columns}], target = share }}; "
                                   f"got {cell!r}")
        level = tuple(str(v) if isinstance(v, str) else number_text(float(v)) for v in levels)
        if level in cells:
            raise where.error(key, f"repeats the cell {list(level)}")
        cells[level] = _target_value(cell["target"], where, f"{key} target")
    return tuple(columns), cells


def _weighting_options(part: dict[str, Any], where: _Where) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "column" in part:
        out["column"] = _text_key(part, "column", where, "[weighting]")
    if "cap" in part:
        cap = _number(part["cap"])
        if cap is None or cap <= 1:
            raise where.error("[weighting] cap", f"= {part['cap']!r} must be a number > 1 (largest weight / mean "
                                                 "weight), e.g. 5")
        out["cap"] = cap
    if "trim" in part:
        raw = part["trim"]
        nums = [_number(v) for v in raw] if isinstance(raw, list) else []
        if len(nums) != 2 or None in nums or not 0 <= nums[0] < nums[1] <= 1:
            raise where.error("[weighting] trim", f"= {raw!r} must be two quantiles [low, high] with 0 <= low < "
                                                  "high <= 1, e.g. [0.01, 0.99]")
        out["trim"] = (nums[0], nums[1])
    if "max_iter" in part:
        value = part["max_iter"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise where.error("[weighting] max_iter", f"= {value!r} must be a whole number >= 1, e.g. 100")
        out["max_iter"] = value
    if "tol" in part:
        tol = _number(part["tol"])
        if tol is None or not 0 < tol < 1:
            raise where.error("[weighting] tol", f"= {part['tol']!r} must be a number between 0 and 1, e.g. 1e-10")
        out["tol"] = tol
    if "per_wave" in part:
        if not isinstance(part["per_wave"], bool):
            raise where.error("[weighting] per_wave", f"= {part['per_wave']!r} must be true or false")
        out["per_wave"] = part["per_wave"]
    return out
