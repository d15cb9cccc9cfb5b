"""A study analysed where its data are: DuckDB or Spark tables instead of pandas frames.

:func:`open_study` reads a study file (:func:`~cxlib.data.study.load_study`) and returns a
:class:`LazyStudy`, whose tables are **lazy**: a DuckDB relation (the default engine) or a
PySpark DataFrame, with the study's roles and scales applied as expressions in the engine —
rating and number roles as numbers (text answers through the scale's ``values``; integer
columns keep their integer type, which DuckDB compares at half the cost of doubles), declared
missing codes as NULL, the survey's ``quarter`` from its ``date`` role (or ``[study] wave``)
and ``response_id`` from its ``respondent_id`` role, identifying columns left out. Nothing
is read into pandas: the checks the import makes (values outside a scale's points, text that
is not a number, segments with too many levels, rows without a quarter) run in the engine as
counts, in one aggregation per table, and only that one-row answer comes to Python
(:attr:`LazyStudy.report`). The metric core then runs in the same engine
(:mod:`cxlib.engines`): ``cx.nps(handle.survey, score=handle.roles.column("recommend"))``
returns the same result as on the imported pandas table.

Sources analysed in place
-------------------------
- ``format = "parquet"``: one file, or a **folder** of Parquet files (``*.parquet`` in any
  subfolder; Hive partitions ``region=EU/`` become columns). The files' schemas are read
  from their footers and must be the same.
- ``format = "sql"`` on a DuckDB file (``url = "duckdb:///warehouse.duckdb"``) with a
  ``table`` or a ``query``: opened read-only, the query is the relation.
- ``format = "spark"`` (engine ``"spark"``): a catalog ``table`` or a Spark SQL ``query``,
  on the session of ``SparkSession.builder.getOrCreate()`` — the active session (a cluster's
  or a local one), or Spark Connect when the source's ``url = "sc://host:15002"`` or the
  ``SPARK_REMOTE`` environment variable says so.

Other sources (CSV, Excel, SPSS, Qualtrics, other databases) are read by
:func:`~cxlib.data.readers.read_survey` and handed to the engine: they are small by nature.

Not done lazily (use :func:`cxlib.import_study` for these): ``[weighting]`` raking, customer
id pseudonyms (the ``customer_id`` role's column is left out of the lazy tables), and
dropping rows in which every column is blank (they have no score, so no metric counts them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.checks import show_values
from ..errors import CXDataError
from .privacy import identifying_columns
from .roles import StudyRoles
from .sources import TABLE_NAME, parquet_schema, spark_session, spark_table
from .study import ROLE_KINDS, Source, Study, load_study, number_text

#: The engines a lazy study runs in.
ENGINES: tuple[str, ...] = ("duckdb", "spark")

#: A segment with more levels than this is refused (as by the import).
MAX_LEVELS = 50

_NUMBER_TEXT = r"^[+-]?(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d+)?$"


@dataclass
class LazyStudy:
    """A study whose tables stay in their engine (see :func:`open_study`).

    Attributes
    ----------
    study : Study
        The validated study file.
    engine : str
        ``"duckdb"`` or ``"spark"``.
    tables : dict of str to table
        Table name -> a DuckDB relation or a PySpark DataFrame with the roles applied; pass
        it to any engine-aware function (``cx.nps``, ``cx.by_group``,
        ``cx.weighted_correlation`` …) or query it with the engine's own API.
    roles : StudyRoles
        The roles, scales and quarters, as :func:`cxlib.study_roles` gives them for an
        imported dataset (``respondent_id`` is ``"response_id"``; no ``customer_id``).
    report : pandas.DataFrame
        Per role column, counted in the engine: ``table, column, role, n`` (values present),
        ``n_missing`` (declared codes included), ``missing_<code>`` (rows of each declared
        code set missing), ``min, max`` (numbers) and ``levels`` (segments).
    summary : pandas.DataFrame
        ``table, item, count, detail``: rows read, rows dropped (no quarter), rows kept,
        columns left out (identifying, customer id).
    """

    study: Study
    engine: str
    tables: dict[str, Any]
    roles: StudyRoles
    report: pd.DataFrame
    summary: pd.DataFrame
    _connections: list[Any] = field(default_factory=list, repr=False)

    @property
    def survey(self) -> Any:
        """The survey table (a DuckDB relation or a Spark DataFrame)."""
        return self.tables["survey"]

    def __getitem__(self, name: str) -> Any:
        if name not in self.tables:
            raise CXDataError(f"the study has no table {name!r}; tables: {list(self.tables)}")
        return self.tables[name]

    def close(self) -> None:
        """Close the DuckDB connections the study opened (a Spark session is left running)."""
        for con in self._connections:
            con.close()
        self._connections.clear()

    def __enter__(self) -> LazyStudy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LazyStudy({self.study.title!r}, engine={self.engine!r}, tables={list(self.tables)})"


# ----------------------------------------------------------------------------- the handle
def open_study(path: str | os.PathLike | Study, *, engine: str | None = None, spark: Any = None) -> LazyStudy:
    """Open a study for analysis inside DuckDB or Spark, without reading its tables into pandas.

    Parameters
    ----------
    path : path-like or Study
        The study file (``data/study-file.md``), or a :class:`Study` already loaded.
    engine : {"duckdb", "spark"}, optional
        Default: ``"spark"`` when a source has ``format = "spark"``, else ``"duckdb"``.
    spark : pyspark.sql.SparkSession, optional
        The session for ``engine="spark"``; default ``SparkSession.builder.getOrCreate()``
        (or ``.remote(url)`` for a source with a Spark Connect ``url``; the
        ``SPARK_REMOTE`` environment variable works too).

    Returns
    -------
    LazyStudy
        The tables as engine tables, the roles, and the engine's counts (``report``).

    Raises
    ------
    CXDataError
        Naming the file, the table and the column: a folder without Parquet files, Parquet
        files whose schemas differ (the files and the columns), a role column that is not in
        the Parquet schema (the column and the file) or in the table, a table missing from
        the DuckDB file (with the tables it has), a query that fails, values outside a
        scale's points (with the first values and the row count), text that is neither a
        number nor a declared answer, a segment with more than :data:`MAX_LEVELS` levels,
        a date role that is not a date or timestamp column, ``[weighting]`` in the study.

    Notes
    -----
    The roles are applied as the import applies them (:func:`cxlib.import_study`): per
    rating or number column, text answers through ``values`` (ignoring case and surrounding
    spaces), numeric text parsed (a decimal comma allowed), then each declared missing code
    set to NULL and counted. ``quarter`` is ``"<year>Q<(month + 2) // 3>"`` of the date role,
    ``[study] wave`` where it is missing; rows with neither are dropped and counted. The
    results of the metric core equal those on the imported dataset up to floating-point
    summation order (``tests/test_lazy_study.py``: 1e-12).

    Examples
    --------
    >>> import pathlib, tempfile, duckdb
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "answers").mkdir()
    >>> duckdb.sql("select * from (values (10, 'EU'), (9, 'EU'), (3, 'US'), (99, 'US')) t(ltr, region)"
    ...            ).write_parquet(str(d / "answers" / "part-0.parquet"))
    >>> _ = (d / "study.toml").write_text('''
    ... [study]
    ... wave = "2025Q4"
    ... [sources.survey]
    ... path = "answers"
    ... [roles.survey]
    ... recommend = "ltr"
    ... segments = ["region"]
    ... [scales.recommend]
    ... points = [0, 10]
    ... missing = [99]
    ... ''')
    >>> import cxlib as cx
    >>> with open_study(d / "study.toml") as handle:
    ...     result = cx.nps(handle.survey, score="ltr")
    ...     print(handle.report[["column", "n", "n_missing", "missing_99"]].to_string(index=False))
    column  n  n_missing  missing_99
       ltr  3          1           1
    region  4          0        <NA>
    >>> round(result.estimate, 2), result.n
    (33.33, 3)
    """
    study = path if isinstance(path, Study) else load_study(path)
    if study.weighting is not None:
        raise CXDataError(f"{study.path.name}: [weighting] rakes the survey at import; a study opened in place "
                          "uses its weight role as it is. Import it (cx.import_study) for raked weights, or "
                          "compute the weights upstream and name them as the weight role")
    engine = _engine(study, engine)
    opener = _Opener(engine, spark)
    tables, reports, summary, problems = {}, [], [], []
    try:
        for name, source in study.sources.items():
            raw, meta = opener.open(study, name, source)
            table, report, rows, found = _apply_roles(study, name, source, raw, meta)
            tables[name] = table.to_native()
            reports.append(report)
            summary += rows
            problems += found
    except BaseException:
        opener.close()
        raise
    if problems:
        opener.close()
        lines = "\n".join(f"  - {p}" for p in problems)
        raise CXDataError(f"{study.path.name}: the study cannot be analysed in place: {len(problems)} "
                          f"problem(s):\n{lines}")
    roles = _roles(study, tables["survey"])
    report = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame()
    return LazyStudy(study=study, engine=engine, tables=tables, roles=roles, report=report,
                     summary=pd.DataFrame(summary, columns=["table", "item", "count", "detail"]),
                     _connections=opener.connections)


def _engine(study: Study, engine: str | None) -> str:
    spark_sources = [n for n, s in study.sources.items() if s.format == "spark"]
    if engine is None:
        return "spark" if spark_sources else "duckdb"
    if engine not in ENGINES:
        raise CXDataError(f"`engine`={engine!r} is not an engine a study runs in; valid: {list(ENGINES)}")
    if engine == "duckdb" and spark_sources:
        raise CXDataError(f"{study.path.name}: [sources.{spark_sources[0]}] is a Spark table: open the study with "
                          "engine='spark' (the default for such a study)")
    return engine


class _Opener:
    """Opens each source as a table of the engine; keeps the DuckDB connections it opens."""

    def __init__(self, engine: str, spark: Any):
        self.engine = engine
        self.spark = spark
        self.connections: list[Any] = []
        self._memory = None

    def close(self) -> None:
        for con in self.connections:
            con.close()

    def memory(self) -> Any:
        if self._memory is None:
            import duckdb

            self._memory = duckdb.connect()
            self.connections.append(self._memory)
        return self._memory

    def open(self, study: Study, name: str, source: Source) -> tuple[Any, Any]:
        """The source as a native engine table (lazy where the source allows), and reader metadata."""
        if source.format == "parquet":
            files, schema, keys = parquet_schema(source.path)
            _check_role_columns(study, name, list(schema.names) + keys,
                                f"the Parquet schema of {files[0]}" + (f" (partition keys {keys})" if keys else ""))
            return self._parquet(source.path, files, keys), None
        if source.format == "spark":
            return spark_table(source.query, url=source.url, session=self._spark(source)), None
        if source.format == "sql" and (source.url or "").startswith("duckdb:///") and not source.url.endswith(":memory:"):
            relation = self._duckdb_file(study, source)
            return (relation if self.engine == "duckdb" else self._spark(source).createDataFrame(relation.df())), None
        from .readers import read_survey  # a small file: read, then handed to the engine

        frame, meta = read_survey(source.path, source.format, keep_pii=True, sheet=source.sheet, url=source.url,
                                  query=source.query)
        frame = frame.rename(columns=str)
        native = self.memory().from_df(frame) if self.engine == "duckdb" else self._spark(source).createDataFrame(frame)
        return native, meta

    def _spark(self, source: Source | None = None) -> Any:
        """The session: the one given, else Spark Connect at a Spark source's ``url``, else the active one."""
        url = source.url if source is not None and source.format == "spark" else None
        self.spark = spark_session(url, self.spark)
        return self.spark

    def _parquet(self, path: Path, files: list[Path], keys: list[str]) -> Any:
        if self.engine == "spark":
            reader = self._spark().read
            return reader.option("basePath", str(path)).parquet(str(path)) if path.is_dir() else reader.parquet(str(path))
        return self.memory().read_parquet([str(f) for f in files], hive_partitioning=bool(keys))

    def _duckdb_file(self, study: Study, source: Source) -> Any:
        import duckdb

        file = source.url.removeprefix("duckdb:///")
        where = f"{study.path.name}: [sources.{source.name}] {source.url}"
        try:
            con = duckdb.connect(file, read_only=True)
        except duckdb.Error as err:
            raise CXDataError(f"{where}: cannot open the DuckDB database: {err}") from None
        self.connections.append(con)
        text = source.query.strip().rstrip(";")
        if TABLE_NAME.fullmatch(text):
            tables = [".".join(r) if r[0] != "main" else r[1] for r in con.execute(
                "select table_schema, table_name from information_schema.tables order by all").fetchall()]
            if text.lower() not in {t.lower() for t in tables} | {f"main.{t.lower()}" for t in tables}:
                raise CXDataError(f"{where}: the DuckDB file has no table {text!r}; tables: {tables}")
            return con.table(text)
        try:
            return con.sql(text)
        except duckdb.Error as err:
            first = text.splitlines()[0] if text else text
            raise CXDataError(f"{where}: the query {first!r} failed: {' '.join(str(err).split())[:400]}") from None


def _check_role_columns(study: Study, name: str, columns: list[str], what: str) -> None:
    """Every role column of table ``name`` is in ``columns`` (``what`` names the file)."""
    for role, value in study.roles.get(name, {}).items():
        for col in value if isinstance(value, list) else [value]:
            if col not in columns:
                raise CXDataError(f"{study.path.name}: [roles.{name}] {role} = {col!r} is not a column of {what}; "
                                  f"available: {columns}")


# ------------------------------------------------------------------- roles, in the engine
@dataclass
class _Plan:
    """One role column: its engine expression and what to count about it."""

    column: str
    role: str
    kind: str | None
    value: Any = None  # the column as the analyses see it (codes NULL)
    number: Any = None  # the number before the codes are applied
    codes: tuple = ()
    points: tuple | None = None
    bad_text: Any = None  # text that is neither a number nor a declared answer


def _source_label(source: Source) -> str:
    if source.path is not None:
        return str(source.path)
    return f"the {'table' if source.table else 'query'} of [sources.{source.name}]"


def _scale_codes(study: Study, table: str, column: str, meta: Any) -> tuple[Any, tuple]:
    """The study's scale of a column and its numeric missing codes (the reader's added)."""
    scale = study.scale_for(column, table)
    codes = list(scale.missing) if scale is not None else []
    codes += [float(c) for c in getattr(meta, "missing_codes", {}).get(column, ())
              if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return scale, tuple(dict.fromkeys(float(c) for c in codes))


def _number(column: str, dtype: Any, scale: Any) -> tuple[Any, Any]:
    """The column as Float64 (text through ``values`` and parsed), and the bad-text flag."""
    import narwhals as nw

    x = nw.col(column)
    if dtype == nw.String:
        text = x.str.strip_chars()
        lower = text.str.to_lowercase()
        values = {k.strip().lower(): float(v) for k, v in (scale.values if scale is not None else {}).items()}
        numeric = text.str.contains(_NUMBER_TEXT)
        parsed = nw.when(numeric).then(text.str.replace_all(",", ".").cast(nw.Float64))
        value = parsed
        for answer, number in values.items():
            value = nw.when(lower == answer).then(nw.lit(number, nw.Float64)).otherwise(value)
        known = lower.is_in(list(values)) if values else nw.lit(False)
        bad = (text != "") & ~known & ~numeric
        return value, bad
    if dtype.is_integer():  # kept as integers: DuckDB's CASE on them costs half of one on doubles
        return x, None
    if dtype == nw.Boolean or dtype.is_numeric():
        return x.cast(nw.Float64), None
    raise CXDataError(f"column {column!r} is {dtype}, not numbers or text")


def _plans(study: Study, name: str, columns: list[str], schema: Any, meta: Any) -> tuple[list[_Plan], list[str]]:
    """What to do with each role column (and columns with a declared scale)."""
    import narwhals as nw

    plans, problems = [], []
    for col in columns:
        roles = study.roles_of(col, name)
        kind = ROLE_KINDS[roles[0]] if roles else None
        scale, codes = _scale_codes(study, name, col, meta)
        plan = _Plan(column=col, role=", ".join(roles), kind=kind)
        if kind in ("rating", "number") or (kind is None and scale is not None):
            try:
                number, plan.bad_text = _number(col, schema[col], scale)
            except CXDataError as exc:
                problems.append(f"{name} {exc}")
                continue
            plan.number, plan.codes = number, codes
            integer = schema[col].is_integer()
            plan.value = nw.when(_not_codes(number, codes, integer)).then(number) if codes else number
            plan.points = scale.points if scale is not None else None
        elif kind == "date" and not (schema[col] == nw.Date or isinstance(schema[col], nw.Datetime)):
            problems.append(f"{name} column {col!r} ([roles.{name}] {plan.role}) is {schema[col]} in the source, not "
                            "a date or timestamp: store it as a date (in a query: strptime / to_date)")
            continue
        if roles:
            plans.append(plan)
    return plans, problems


def _not_codes(number: Any, codes: tuple, integer: bool) -> Any:
    """True where ``number`` is none of the declared codes (unequal to each: ``is_in`` is a
    list lookup per row in DuckDB, 2-3x the cost), or None when no code can occur (an
    integer column's codes compared as integers)."""
    import narwhals as nw

    flag = None
    for code in codes:
        if integer and not float(code).is_integer():
            continue  # a fractional code never equals an integer
        unequal = number != (int(code) if integer else code)
        flag = unequal if flag is None else flag & unequal
    return flag if flag is not None else nw.lit(True)


def _quarter(study: Study, frame: Any) -> Any:
    """The survey's quarter: from the date role (``[study] wave`` where missing), or the wave.

    The quarter is a CASE over the date ranges of the quarters between the first and the last
    date (one small min/max query, which Parquet answers from its statistics): comparing
    dates with constants costs a fraction of building ``"2025Q4"`` as text on every row.
    """
    import datetime as dt

    import narwhals as nw

    date = study.role("survey", "date")
    if date is None:
        return nw.lit(study.wave, nw.String)
    d = nw.col(date)
    bounds = frame.select(lo=d.min(), hi=d.max()).collect().to_pandas().iloc[0]
    quarter = nw.lit(None, nw.String)
    if pd.notna(bounds["lo"]):
        lo, hi = pd.Timestamp(bounds["lo"]), pd.Timestamp(bounds["hi"])
        year, q = lo.year, (lo.month - 1) // 3 + 1
        start = dt.date if frame.collect_schema()[date] == nw.Date else dt.datetime
        branches = None
        while (year, q) <= (hi.year, (hi.month - 1) // 3 + 1):
            label = f"{year}Q{q}"
            year, q = (year + 1, 1) if q == 4 else (year, q + 1)
            condition = d < nw.lit(start(year, 3 * q - 2, 1))  # before the next quarter's first day
            branches = (nw.when(condition).then(nw.lit(label)) if branches is None
                        else branches.when(condition).then(nw.lit(label)))
        quarter = branches
    return quarter.fill_null(nw.lit(study.wave, nw.String)) if study.wave else quarter


def _apply_roles(study: Study, name: str, source: Source, raw: Any, meta: Any) -> tuple[Any, pd.DataFrame, list, list]:
    """The table with the roles applied, its report (counted in the engine), summary lines, problems."""
    import narwhals as nw

    frame = nw.from_native(raw)
    frame = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    schema = frame.collect_schema()
    names = list(schema.names())
    _check_role_columns(study, name, names, _source_label(source))
    customer = study.role(name, "customer_id")
    identifying = identifying_columns(names, keep=tuple(study.keep) + ((customer,) if customer else ()))
    for col in study.columns(name):
        if col in identifying:
            raise CXDataError(f"{study.path.name}: [roles.{name}] {', '.join(study.roles_of(col, name))} = {col!r} "
                              f"names a column that looks identifying; keep it with [privacy] keep = [{col!r}]")
    left_out = identifying + ([customer] if customer else [])
    plans, problems = _plans(study, name, [c for c in names if c not in left_out], schema, meta)
    if problems:  # a column the engine cannot convert: nothing more to count
        return frame, pd.DataFrame(), [], problems
    exprs = {p.column: p.value for p in plans if p.value is not None}
    quarter = None
    if name == "survey":
        for added in ("quarter", "response_id"):
            if added in names and added != study.role("survey", "respondent_id"):
                problems.append(f"the survey source has a column {added!r}, which is added from the roles; rename "
                                "it in the source (or declare it as the matching role)")
        quarter = _quarter(study, frame)
        exprs["quarter"] = quarter
        if study.role("survey", "respondent_id"):
            exprs["response_id"] = nw.col(study.role("survey", "respondent_id"))
    dated = quarter is not None and study.role("survey", "date") is not None and not study.wave
    undated = nw.col(study.role("survey", "date")).is_null() if dated else None  # no date: no quarter
    kept = frame.filter(~undated) if dated else frame  # rows without a quarter are dropped
    totals = _counts(frame, plans, undated)
    problems += _problems(study, name, kept, plans, totals)
    table = kept.with_columns(**exprs).drop(left_out)
    rows = int(totals["_cx_rows"])
    summary = [(name, "rows read", rows, _source_label(source))]
    if totals.get("_cx_undated", 0):
        summary.append((name, "rows dropped", int(totals["_cx_undated"]), f"no date in {study.role('survey', 'date')!r} "
                                                                          "and no [study] wave"))
    summary.append((name, "rows kept", rows - int(totals.get("_cx_undated", 0)), ""))
    if left_out:
        summary.append((name, "columns left out", len(left_out), ", ".join(map(str, left_out))
                        + (f" (customer id {customer!r}: pseudonymised by the import only)" if customer else "")))
    return table, _report(name, plans, totals), summary, problems


def _count(flag: Any) -> Any:
    import narwhals as nw

    return nw.when(flag).then(nw.lit(1, nw.Int64)).otherwise(nw.lit(0, nw.Int64)).sum()


def _counts(frame: Any, plans: list[_Plan], undated: Any) -> pd.Series:
    """Every count of the report and the checks, in one aggregation (one scan of the rows):
    rows read, rows without a quarter (``undated``), per column the missing codes and bad text
    on every row read, and the values, range and levels over the rows kept (as the import)."""
    import narwhals as nw

    kept = None if undated is None else ~undated
    on = (lambda e: e) if kept is None else (lambda e: nw.when(kept).then(e))
    count = _count if kept is None else (lambda flag: _count(kept & flag))
    aggs: dict[str, Any] = {"_cx_rows": nw.len(), "_cx_undated": nw.lit(0) if kept is None else _count(undated)}
    for j, p in enumerate(plans):
        aggs[f"_cx{j}_n"] = on(p.value if p.value is not None else nw.col(p.column)).count()
        if p.value is not None:
            aggs[f"_cx{j}_min"], aggs[f"_cx{j}_max"] = on(p.value).min(), on(p.value).max()
            for k, code in enumerate(p.codes):  # counted on every row read, as the import does
                aggs[f"_cx{j}_code{k}"] = _count(p.number == code)
            if p.points is not None:
                aggs[f"_cx{j}_out"] = count((p.value < p.points[0]) | (p.value > p.points[1]))
            if p.bad_text is not None:
                aggs[f"_cx{j}_bad"] = _count(p.bad_text)
        if p.kind == "category":
            aggs[f"_cx{j}_levels"] = on(nw.col(p.column)).n_unique()  # NULL counts as a level: taken off below
            aggs[f"_cx{j}_nulls"] = on(nw.col(p.column)).null_count()
    totals = frame.select(**aggs).collect().to_pandas().iloc[0]
    totals["_cx_kept"] = totals["_cx_rows"] - totals["_cx_undated"]
    for j, p in enumerate(plans):
        if p.kind == "category":
            totals[f"_cx{j}_levels"] -= int(totals[f"_cx{j}_nulls"] > 0)
    return totals


def _problems(study: Study, name: str, kept: Any, plans: list[_Plan], totals: pd.Series) -> list[str]:
    """The import's checks, from the counts; the first bad values from a small second query."""
    out = []
    for j, p in enumerate(plans):
        where = f"{name} column {p.column!r} ([roles.{name}] {p.role})" if p.role else f"{name} column {p.column!r}"
        if totals.get(f"_cx{j}_bad", 0):
            bad = _first_values(kept.filter(p.bad_text), p.column)
            out.append(f"{where}: {int(totals[f'_cx{j}_bad'])} row(s) hold text that is not a number nor a key of "
                       f"the scale's values: {show_values(bad)}")
        if totals.get(f"_cx{j}_out", 0):
            bad = [number_text(float(v)) for v in _first_values(
                kept.filter((p.value < p.points[0]) | (p.value > p.points[1])).with_columns(**{p.column: p.value}),
                p.column)]
            note = (f"declared missing codes: {show_values([number_text(c) for c in p.codes])}" if p.codes
                    else "no missing codes are declared (e.g. missing = [0] for 'not applicable')")
            out.append(f"{where}: {int(totals[f'_cx{j}_out'])} value(s) outside the scale points "
                       f"{number_text(p.points[0])}–{number_text(p.points[1])}: {show_values(bad)}; {note}")
        if totals.get(f"_cx{j}_levels", 0) > MAX_LEVELS:
            out.append(f"{where}: {int(totals[f'_cx{j}_levels'])} levels, more than {MAX_LEVELS}; a segment needs "
                       "few groups: group rare levels, bin a numeric column, or remove it from segments")
    return out


def _first_values(frame: Any, column: str, k: int = 5) -> list[Any]:
    import narwhals as nw

    values = frame.group_by(column).agg(nw.len()).collect().to_pandas()[column].tolist()
    return sorted(values, key=str)[:k]


def _report(name: str, plans: list[_Plan], totals: pd.Series) -> pd.DataFrame:
    """One row per role column: n, missing (per declared code), min, max, levels."""
    codes = sorted({c for p in plans for c in p.codes})
    rows = []
    for j, p in enumerate(plans):
        n = int(totals[f"_cx{j}_n"])
        row = {"table": name, "column": p.column, "role": p.role or None, "n": n,
               "n_missing": int(totals["_cx_kept"]) - n}
        for code in codes:
            k = p.codes.index(code) if code in p.codes else None
            row[f"missing_{number_text(code)}"] = int(totals[f"_cx{j}_code{k}"]) if k is not None else pd.NA
        row["min"] = float(totals[f"_cx{j}_min"]) if f"_cx{j}_min" in totals and pd.notna(totals[f"_cx{j}_min"]) \
            else float("nan")
        row["max"] = float(totals[f"_cx{j}_max"]) if f"_cx{j}_max" in totals and pd.notna(totals[f"_cx{j}_max"]) \
            else float("nan")
        row["levels"] = int(totals[f"_cx{j}_levels"]) if f"_cx{j}_levels" in totals else pd.NA
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in [c for c in out.columns if c.startswith("missing_")] + (["levels"] if len(out) else []):
        out[col] = out[col].astype("Int64")
    return out


def _roles(study: Study, survey: Any) -> StudyRoles:
    """The :class:`StudyRoles` of the lazy tables (the quarters from a small distinct query)."""
    import narwhals as nw

    roles: dict[str, dict[str, Any]] = {}
    scales = {}
    for table, declared in study.roles.items():
        roles[table] = {r: tuple(v) if isinstance(v, list) else v for r, v in declared.items() if r != "customer_id"}
        if table == "survey" and "respondent_id" in declared:
            roles[table]["respondent_id"] = "response_id"
        for col in study.columns(table):
            scale = study.scale_for(col, table)
            if scale is not None:
                scales.setdefault(col, scale)
    # a GROUP BY streams; narwhals' unique() is a window over every row (memory grows with the rows)
    quarters = nw.from_native(survey).group_by("quarter").agg(nw.len()).collect().to_pandas()["quarter"]
    return StudyRoles(title=study.title, roles=roles, labels={}, scales=scales, tables=tuple(study.sources),
                      quarters=tuple(sorted(q for q in quarters if isinstance(q, str))))
