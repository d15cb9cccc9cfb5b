"""Import a study: read its sources, apply roles and scales, check the data contracts, write
the dataset directory.

:func:`import_study` reads every source a study file declares
(:func:`~cxlib.data.study.load_study`), drops identifying columns, converts each role
column to its kind (numbers, dates, categories), maps text answers through the scales'
``values``, sets declared missing codes to missing (counting them per code), adds
``quarter``, ``response_id`` and a pseudonymised ``customer_id``, validates each table with
its pandera contract (:mod:`cxlib.data.contracts`) and writes the dataset directory:
``survey.parquet`` (and the optional tables present), ``study.json`` and, last,
``manifest.json``. With a ``[weighting]`` table the survey is raked to its population
targets before anything else (:mod:`cxlib.data.weights`): the weights become a column and the
survey's ``weight`` role, and their report is written to ``weighting.json``. It returns the
import report (one row per column) and the summary (rows read, kept and dropped with the reason). Nothing is dropped without being counted; input
files are never modified; nothing is written unless every table conforms.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from ..core.checks import as_datetimes, show_values
from ..core.io import atomic_write_json, atomic_write_with
from ..errors import CXDataError
from .calendar import quarter_of
from .study import ROLE_KINDS, SCALE_ROLES, Scale, Source, Study, _key_text, load_study, number_text
from .store import IMPORT_KIND, fingerprint
from .privacy import drop_identifying, load_or_create_salt, pseudonymise
from .readers import read_survey
from .weights import WEIGHTING_FILE, StudyWeighting, check_weighting_columns, weight_survey, weighting_lines

#: A segment column with more levels than this is refused (a segment needs few groups).
MAX_LEVELS = 50

#: The salt of the customer-id pseudonyms: a file of this name in the dataset directory's
#: parent (beside the dataset, outside it, never under ``reports/``). Keep it to get the same
#: pseudonyms on the next import; never share it.
SALT_FILE = ".cxlib-salt"


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_study` did.

    Attributes
    ----------
    study : Study
        The study file, validated.
    path : pathlib.Path
        The dataset directory written.
    tables : dict of str to pandas.DataFrame
        The imported tables, as written (``survey`` and the optional tables present).
    report : pandas.DataFrame
        One row per column of each table: ``table, column, role, label, dtype, n``
        (values present), ``n_missing`` (missing after import, declared codes included),
        ``missing_<code>`` (rows of each declared missing code set missing; ``<NA>`` where
        the code is not declared for the column), ``min, max`` (numbers and dates),
        ``levels`` (distinct values of text columns) and ``non_conforming`` (the first
        values that broke a check; empty after a successful import).
    summary : pandas.DataFrame
        ``table, item, count, detail``: rows read, rows dropped (one line per reason),
        rows kept, identifying columns dropped, values set missing, ids pseudonymised.
    manifest : dict
        The content of ``manifest.json``.
    weighting : StudyWeighting or None
        With ``[weighting]`` in the study: the weight column added to the survey (its
        ``weight`` role), and per wave the weighting report (margins vs targets, Kish design
        effect and efficiency, effective n, weight percentiles), also in ``weighting.json``.
    """

    study: Study
    path: Path
    tables: dict[str, pd.DataFrame]
    report: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict[str, Any]
    weighting: StudyWeighting | None = None


class ImportFailed(CXDataError):
    """The study's data break a rule; nothing was written.

    The message lists every problem (column, role or check, first values, row count);
    ``report`` and ``summary`` are those of :class:`ImportResult`, as far as the import got.
    """

    def __init__(self, message: str, *, report: pd.DataFrame, summary: pd.DataFrame):
        super().__init__(message)
        self.report = report
        self.summary = summary


@dataclass
class _Column:
    """What the import did to one column (a row of the import report)."""

    role: str | None = None
    codes: dict[Any, int] = field(default_factory=dict)
    bad: list[Any] = field(default_factory=list)


@dataclass
class _Table:
    """One table on its way through the import."""

    name: str
    source: Source
    frame: pd.DataFrame
    meta: Any
    rows_read: int
    dropped_columns: list[str]
    drops: list[tuple[int, str]] = field(default_factory=list)
    columns: dict[str, _Column] = field(default_factory=dict)
    scales: dict[str, Scale | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    added: dict[str, str] = field(default_factory=dict)
    converted: list[str] = field(default_factory=list)


# --- reading, privacy and pseudonyms (cxlib.data.readers / cxlib.data.privacy) ---------------


def _read_source(source: Source) -> tuple[pd.DataFrame, Any]:
    """The source's rows and its :class:`~cxlib.data.readers.SurveyMeta` (identifying columns
    kept here: they are dropped in one place, after the customer id has been pseudonymised)."""
    return read_survey(source.path, source.format, keep_pii=True, sheet=source.sheet,
                       url=source.url, query=source.query)


def _drop_identifying(frame: pd.DataFrame, keep: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    out, dropped = drop_identifying(frame, keep=keep)
    return out, list(dropped)


def _id_text(ids: pd.Series) -> pd.Series:
    """Ids as text, so that ``100002``, ``100002.0`` and ``" 100002"`` link across tables."""
    def one(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip() or None
    return ids.astype(object).map(one)


# --- the import ---------------------------------------------------------------------------------


def import_study(path: str | os.PathLike, *, out: str | os.PathLike | None = None) -> ImportResult:
    """Import the data a study file declares and write the dataset directory.

    Parameters
    ----------
    path : path-like
        The study file (see ``data/study-file.md``).
    out : path-like, optional
        The dataset directory to write; default ``dataset/`` beside the study file.

    Returns
    -------
    ImportResult
        The tables, the import report, the summary and the manifest.

    Raises
    ------
    CXDataError
        The study file is invalid (see :func:`~cxlib.data.study.load_study`), a role names a
        column the source lacks (listing the available columns), a scale key names no role and
        no column, or the output would overwrite a source.
    ImportFailed
        (a :class:`~cxlib.errors.CXDataError`) The data break a rule: text that is neither a
        number nor a declared answer, dates that do not parse, a segment with more than
        :data:`MAX_LEVELS` levels, values outside a scale's points, missing or repeated ids.
        Every problem is listed; nothing is written.

    Notes
    -----
    Per column, in this order: text answers are mapped through the scale's ``values``
    (ignoring case and surrounding spaces); other text is read as a number where every
    non-empty value parses (surrounding spaces and a decimal comma allowed); declared
    missing codes (the study's and the source's, e.g. SPSS user-missing values) become
    missing and are counted per code; the contract then checks the points. A column without a
    role whose every non-empty value reads as a number (e.g. ``" 29.85"`` with blanks) is
    converted too, and listed in the summary; one with a leading zero (``"01234"``) stays text.
    Rows without
    any value, and survey rows with neither a date nor a ``wave``, are dropped and counted.
    Customer ids are replaced by a salted hash (BLAKE2b keyed with the salt in
    :data:`SALT_FILE`, beside the dataset directory), the same in every table.

    Examples
    --------
    Drivers on 1–5 where 0 means "not applicable", one wave, no date column:

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answers.csv").write_text("sat,seat\\n5,4\\n4,0\\n2,1\\n")
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
    >>> result = import_study(d / "study.toml")
    >>> result.tables["survey"]["seat"].tolist()
    [4, <NA>, 1]
    >>> print(result.report[["column", "role", "n", "n_missing", "missing_0", "min", "max"]].to_string(index=False))
         column          role  n  n_missing  missing_0  min  max
            sat  satisfaction  3          0       <NA>  2.0  5.0
           seat       drivers  2          1          1  1.0  4.0
       quarter          None  3          0       <NA>  NaN  NaN
    response_id          None  3          0       <NA>  1.0  3.0
    >>> sorted(p.name for p in result.path.iterdir())
    ['manifest.json', 'study.json', 'survey.parquet']
    """
    study = load_study(path)
    out_dir = Path(out).resolve() if out is not None else study.path.parent / "dataset"
    _check_output(study, out_dir)
    tables = {name: _read_table(study, name, source) for name, source in study.sources.items()}
    _check_scale_keys(study, tables)
    check_weighting_columns(study, tables["survey"].frame.columns, tables["survey"].dropped_columns)
    salt_file = out_dir.parent / SALT_FILE
    salt = load_or_create_salt(_check_salt_place(study, salt_file)) if any(
        study.role(t, "customer_id") for t in tables) else None
    for table in tables.values():
        _clean(study, table)
        _add_columns(study, table, salt)
        _check_contract(study, table)
    survey = tables["survey"]
    if not len(survey.frame) and not survey.problems:
        survey.problems.append(f"the survey has no rows left ({survey.rows_read} read; see the summary for why)")
    weighting = _weight(study, survey) if study.weighting is not None and not survey.problems else None
    report, summary = _report(tables), _summary(study, tables, salt_file, weighting)
    problems = [p for t in tables.values() for p in t.problems]
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ImportFailed(f"{study.path.name}: the import stopped on {len(problems)} problem(s); nothing was "
                           f"written:\n{lines}", report=report, summary=summary)
    manifest = _write(study, out_dir, tables, summary, weighting)
    return ImportResult(study=study, path=out_dir, tables={n: t.frame for n, t in tables.items()},
                        report=report, summary=summary, manifest=manifest, weighting=weighting)


def _weight(study: Study, survey: _Table) -> StudyWeighting | None:
    """Rake the survey to ``[weighting]``: the weights become a column (the weight role)."""
    try:
        weights, weighting = weight_survey(study, survey.frame)
    except CXDataError as exc:
        survey.problems.append(str(exc).removeprefix(f"{study.path.name}: "))
        return None
    survey.frame = survey.frame.assign(**{weighting.column: weights.to_numpy(dtype=float)})
    survey.columns[weighting.column] = _Column(role="weight")
    if weighting.design_weight:
        survey.columns[weighting.design_weight].role = "design weight"
    survey.added[weighting.column] = "raked to the [weighting] targets"
    return weighting


def _check_output(study: Study, out_dir: Path) -> None:
    for source in study.sources.values():
        if source.path is not None and source.path.parent == out_dir and \
                source.path.name in {f"{t}.parquet" for t in study.sources} | {"study.json", "manifest.json"}:
            raise CXDataError(f"{study.path.name}: the import would overwrite its source {str(source.path)!r}; "
                              "choose another output directory (--out DIR)")


def _check_salt_place(study: Study, salt_file: Path) -> Path:
    for reports in (Path.cwd() / "reports", study.path.parent / "reports"):
        if salt_file.resolve().is_relative_to(reports.resolve()):
            raise CXDataError(f"{study.path.name}: the pseudonym salt would be written under reports/ "
                              f"({str(salt_file)!r}); choose an output directory outside reports/")
    return salt_file


def _read_table(study: Study, name: str, source: Source) -> _Table:
    """Read one source, drop identifying columns, check that every role's column is there."""
    frame, meta = _read_source(source)
    frame = frame.rename(columns=str).reset_index(drop=True)  # row positions give response_id
    repeated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if repeated:
        raise CXDataError(f"{_source_name(source)} has repeated column names {repeated}; rename them in the source")
    customer = study.role(name, "customer_id")
    keep = tuple(study.keep) + ((customer,) if customer else ())  # linked ids are pseudonymised, not dropped
    kept, dropped = _drop_identifying(frame, keep)
    for role, value in study.roles.get(name, {}).items():
        for col in value if isinstance(value, list) else [value]:
            if col in dropped:
                raise CXDataError(f"{study.path.name}: [roles.{name}] {role} = {col!r} names a column that looks "
                                  f"identifying, so the import drops it; keep it with [privacy] keep = [{col!r}]")
            if col not in kept.columns:
                raise CXDataError(f"{study.path.name}: [roles.{name}] {role} = {col!r} is not a column of "
                                  f"{_source_name(source)}; available: {list(kept.columns)}")
    blank = int(getattr(meta, "n_blank_rows", 0))  # empty rows the reader dropped: read, and counted as dropped
    return _Table(name=name, source=source, frame=kept, meta=meta, rows_read=len(frame) + blank,
                  dropped_columns=dropped, drops=[(blank, "empty row: every column blank")] if blank else [])


def _source_name(source: Source) -> str:
    return source.path.name if source.path is not None else f"the query of [sources.{source.name}]"


def _check_scale_keys(study: Study, tables: dict[str, _Table]) -> None:
    columns = {c for t in tables.values() for c in t.frame.columns}
    for key in study.scales:
        if key not in SCALE_ROLES and key not in columns:
            raise CXDataError(f"{study.path.name}: [scales.{_key_text(key)}] names no rating role "
                              f"({list(SCALE_ROLES)}) and no column of the sources")


def _resolved_scale(study: Study, table: _Table, column: str) -> Scale | None:
    """The study's scale of ``column`` merged with the source's metadata (missing codes, labels)."""
    scale = study.scale_for(column, table.name)
    meta_codes = tuple(getattr(table.meta, "missing_codes", {}).get(column, ()))
    meta_labels = getattr(table.meta, "value_labels", {}).get(column, {})
    if scale is None and not meta_codes:
        return None
    scale = scale or Scale()
    codes = tuple(dict.fromkeys([*scale.missing, *(_as_number(c) for c in meta_codes)]))
    labels = {**{k: str(v) for k, v in meta_labels.items() if isinstance(_as_number(k), float)}, **scale.labels}
    return Scale(points=scale.points, missing=codes, labels={_as_number(k): v for k, v in labels.items()},
                 values=scale.values)


def _as_number(value: Any) -> Any:
    """``value`` as a float when it reads as a number, else unchanged (e.g. a text code)."""
    x = _parse_number(value) if isinstance(value, str) else value
    return float(x) if isinstance(x, (int, float, np.number)) and not isinstance(x, bool) else value


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def _parse_number(text: str) -> float | None:
    """A number written as text (spaces around, decimal comma allowed), or ``None``."""
    t = text.strip()
    if _DECIMAL_COMMA.match(t):
        t = t.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", t):
        return None
    return float(t)


def _clean(study: Study, table: _Table) -> None:
    """Drop empty rows and convert every column by its role and scale (problems collected)."""
    frame = table.frame
    blank = frame.apply(lambda s: s.isna() | s.astype(str).str.strip().eq("") if s.dtype == object else s.isna())
    empty = blank.all(axis=1) if len(frame.columns) else pd.Series(False, index=frame.index)
    if empty.any():
        table.drops.append((int(empty.sum()), "empty row: every column blank"))
    frame = frame.loc[~empty].copy()
    for col in list(frame.columns):
        roles = study.roles_of(col, table.name)
        info = table.columns[col] = _Column(role=", ".join(roles) or None)
        kind = ROLE_KINDS[roles[0]] if roles else None
        where = f"{table.name} column {col!r}" + (f" ([roles.{table.name}] {info.role})" if roles else "")
        scale = table.scales[col] = _resolved_scale(study, table, col)
        declared = study.scale_for(col, table.name) is not None
        if kind in ("rating", "number") or (kind is None and declared):
            frame[col] = _numbers(frame[col], scale, info, where, table)
        elif kind == "date":
            frame[col] = _dates(frame[col], col, where, table, info)
        elif scale is not None:  # codes from the source's metadata (e.g. SPSS user-missing values)
            frame[col] = _set_missing(frame[col], scale.missing, info)
        elif kind is None and frame[col].dtype == object and (num := _numeric_text(frame[col])) is not None:
            frame[col] = num
            table.converted.append(col)
        if kind == "id" and frame[col].dtype.kind == "f" and np.all(np.mod(frame[col].dropna(), 1) == 0):
            frame[col] = frame[col].astype("Int64")  # whole-number ids read as floats because of blanks
        if kind == "category":
            _check_levels(frame[col], where, table, info)
        if frame[col].dtype == object:
            frame[col] = _storable_text(frame[col])
    table.frame = frame


def _numeric_text(s: pd.Series) -> pd.Series | None:
    """A text column without a role as numbers, when every non-empty value reads as one (e.g.
    ``" 29.85"``, ``"1,5"``, blanks); ``None`` otherwise, or when a value has a leading zero
    (``"01234"``: a code, kept as text)."""
    mapping = {}
    for v in pd.unique(s.dropna()):
        if not isinstance(v, str):
            return None
        text = v.strip()
        if re.match(r"^[+-]?0\d", text):
            return None
        mapping[v] = np.nan if text == "" else _parse_number(text)
        if mapping[v] is None:
            return None
    if not any(pd.notna(x) for x in mapping.values()):
        return None  # only blanks: nothing says it is numeric
    num = s.map(mapping).astype(float)
    whole = num.dropna()
    return num.astype("Int64") if np.all(np.mod(whole, 1) == 0) else num


def _set_missing(s: pd.Series, codes: tuple, info: _Column) -> pd.Series:
    """``s`` with each declared missing code set missing; the rows per code are counted."""
    for code in codes:
        hit = s.eq(code).fillna(False).astype(bool)
        info.codes[code] = int(hit.sum())
        s = s.mask(hit)
    return s


def _numbers(s: pd.Series, scale: Scale | None, info: _Column, where: str, table: _Table) -> pd.Series:
    """``s`` as numbers: text answers through ``values``, numeric text parsed, missing codes counted."""
    values = scale.values if scale is not None else {}
    if is_bool_dtype(s):
        num = s.astype(float)
    elif is_numeric_dtype(s):
        num = s.astype("Float64").astype(float)
    else:
        lookup = {k.strip().casefold(): v for k, v in values.items()}
        mapping, bad = {}, []
        for v in pd.unique(s.dropna()):
            text = str(v).strip()
            if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
                mapping[v] = float(v)
            elif text == "":
                mapping[v] = np.nan
            elif text.casefold() in lookup:
                mapping[v] = lookup[text.casefold()]
            elif (x := _parse_number(text)) is not None:
                mapping[v] = x
            else:
                bad.append(v)
        num = s.map(mapping).astype(float)
        if bad:
            info.bad = bad[:5]
            hint = " nor a key of the scale's values" if values else "; map text answers to numbers in [scales] values"
            table.problems.append(f"{where}: {int(s.isin(bad).sum())} row(s) hold text that is not a number{hint}: "
                                  f"{show_values(bad)}")
    num = _set_missing(num, tuple(c for c in (scale.missing if scale is not None else ()) if isinstance(c, float)),
                       info)
    whole = num.dropna()
    return num.astype("Int64") if len(whole) and np.all(np.mod(whole, 1) == 0) else num


def _dates(s: pd.Series, col: str, where: str, table: _Table, info: _Column) -> pd.Series:
    """``s`` as naive ``datetime64[ns]``; unparseable values are a problem (with examples)."""
    if is_datetime64_any_dtype(s):
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return out.astype("datetime64[ns]")
    text = s.map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
    try:
        with warnings.catch_warnings():  # a day-first format inferred from an unambiguous first value
            warnings.filterwarnings("ignore", message="Parsing dates in .* when dayfirst=False", category=UserWarning)
            return as_datetimes(text, col).astype("datetime64[ns]")
    except CXDataError as exc:
        problem = f"{where}: {exc}"
    present = text.dropna().astype(str)
    if len(present) and present.str.match(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b").all():
        # day-first dates whose first value reads both ways (05/09/2025, then 15/11/2025): the
        # month-first format inferred from the first value failed, so read them all day-first
        # rather than one by one (which would read 05/09 as 9 May and 15/11 as 15 November)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dayfirst = pd.to_datetime(text, errors="coerce", dayfirst=True)
        if is_datetime64_any_dtype(dayfirst) and not (text.notna() & dayfirst.isna()).any():
            return dayfirst.astype("datetime64[ns]")
    with warnings.catch_warnings():  # several formats in one column: parsed one by one
        warnings.simplefilter("ignore")
        try:
            mixed = pd.to_datetime(text, errors="coerce", format="mixed")
        except (TypeError, ValueError):
            mixed = pd.Series(pd.NaT, index=s.index)
    if is_datetime64_any_dtype(mixed) and not (text.notna() & mixed.isna()).any():
        return mixed.astype("datetime64[ns]")
    info.bad = list(pd.unique(text[text.notna() & mixed.isna()]))[:5]
    table.problems.append(problem)
    return mixed.astype("datetime64[ns]") if is_datetime64_any_dtype(mixed) else mixed


def _check_levels(s: pd.Series, where: str, table: _Table, info: _Column) -> None:
    levels = pd.unique(s.dropna())
    if len(levels) > MAX_LEVELS:
        info.bad = list(levels[:5])
        table.problems.append(
            f"{where}: {len(levels)} levels, more than {MAX_LEVELS} (e.g. {show_values(levels)}); a segment needs few "
            "groups: group rare levels into 'other', bin a numeric column (e.g. age bands with pandas.cut), or "
            "remove it from segments")


def _storable_text(s: pd.Series) -> pd.Series:
    """A text column Parquet can store: values of mixed types become text; missing is ``None``."""
    if pd.api.types.infer_dtype(s, skipna=True).startswith("mixed"):
        s = s.map(lambda v: v if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
    return s.astype(object).where(s.notna(), None)


def _add_columns(study: Study, table: _Table, salt: bytes | None) -> None:
    """Pseudonymise ``customer_id``; give the survey its ``quarter`` and ``response_id``."""
    frame = table.frame
    customer = study.role(table.name, "customer_id")
    if table.name == "survey":
        for added in ("quarter", "response_id", "customer_id"):
            if added in frame.columns and added not in (study.role("survey", "respondent_id"), customer):
                raise CXDataError(f"{study.path.name}: the survey source has a column {added!r}, which the import "
                                  f"adds itself; rename it in the source (or declare it as the matching role)")
    if customer:
        ids = pseudonymise(_id_text(frame[customer]), salt=salt)
        frame = frame.drop(columns=[customer]).assign(customer_id=ids.to_numpy(dtype=object))
        table.columns["customer_id"] = table.columns.pop(customer)
        table.added["customer_id"] = f"pseudonymised from {customer!r}"
    if table.name == "survey":
        frame = _add_quarter(study, table, frame)
        respondent = study.role("survey", "respondent_id")
        frame["response_id"] = frame[respondent] if respondent else pd.Series(frame.index + 1, index=frame.index,
                                                                              dtype="int64")
        table.added["response_id"] = f"from {respondent!r}" if respondent else "the source row number (1 = first row)"
        table.columns.setdefault("response_id", _Column(role="respondent_id" if respondent else None))
    table.frame = frame.reset_index(drop=True)


def _add_quarter(study: Study, table: _Table, frame: pd.DataFrame) -> pd.DataFrame:
    date = study.role("survey", "date")
    if date is None:
        quarter = pd.Series(study.wave, index=frame.index, dtype=object)
        table.added["quarter"] = f"[study] wave = {study.wave!r} for every response"
    else:
        quarter = quarter_of(frame[date]).astype(object)
        table.added["quarter"] = f"from the date {date!r}" + (f" ([study] wave {study.wave!r} where it is missing)"
                                                              if study.wave else "")
        if study.wave:
            quarter = quarter.where(quarter.notna(), study.wave)
    undated = quarter.isna()
    if undated.any():
        table.drops.append((int(undated.sum()), f"no date in {date!r} and no [study] wave"))
    table.columns["quarter"] = _Column()
    return frame.assign(quarter=quarter).loc[~undated]


def _check_contract(study: Study, table: _Table) -> None:
    """Validate the table against its pandera contract; failures become problems."""
    from .contracts import contract_failures, table_contract  # pandera loads only when importing

    failures = contract_failures(table.frame, table_contract(study, table.name, table.scales))
    for row in failures.itertuples(index=False):
        info = table.columns.setdefault(row.column, _Column())
        if info.bad:  # already reported by the conversion
            continue
        info.bad = list(row.values)
        origin = table.added.get(row.column) or (f"[roles.{table.name}] {info.role}" if info.role else "")
        origin = f" ({origin})" if origin else ""
        table.problems.append(f"{table.name} column {row.column!r}{origin}: {row.count} row(s) fail the check "
                              f"{row.check!r}: {show_values(row.values)}")


def _code_name(code: Any) -> str:
    return f"missing_{number_text(code) if isinstance(code, float) else code}"


def _report(tables: dict[str, _Table]) -> pd.DataFrame:
    """One row per column: role, dtype, n, missing (per declared code), range, levels, non-conforming."""
    rows = []
    codes = list(dict.fromkeys(c for t in tables.values() for info in t.columns.values() for c in info.codes))
    for t in tables.values():
        labels = getattr(t.meta, "column_labels", {})
        for col in t.frame.columns:
            s, info = t.frame[col], t.columns.get(col, _Column())
            numeric = is_numeric_dtype(s) and not is_bool_dtype(s)
            ranged = numeric or is_datetime64_any_dtype(s)
            row = {"table": t.name, "column": col, "role": info.role, "label": labels.get(col, col),
                   "dtype": str(s.dtype), "n": int(s.notna().sum()), "n_missing": int(s.isna().sum())}
            row.update({_code_name(c): info.codes.get(c, pd.NA) for c in codes})
            row.update({"min": s.min() if ranged and s.notna().any() else None,
                        "max": s.max() if ranged and s.notna().any() else None,
                        "levels": pd.NA if ranged else int(s.nunique()),
                        "non_conforming": show_values(info.bad) if info.bad else ""})
            rows.append(row)
    report = pd.DataFrame(rows)
    for c in codes:
        report[_code_name(c)] = report[_code_name(c)].astype("Int64")
    report["levels"] = report["levels"].astype("Int64")
    return report


def _summary(study: Study, tables: dict[str, _Table], salt_file: Path,
             weighting: StudyWeighting | None = None) -> pd.DataFrame:
    rows = []
    for t in tables.values():
        rows.append((t.name, "rows read", t.rows_read, f"{_source_name(t.source)} ({t.source.format})"))
        for count, reason in t.drops or [(0, "nothing dropped")]:
            rows.append((t.name, "rows dropped", count, reason))
        rows.append((t.name, "rows kept", len(t.frame), ""))
        rows.append((t.name, "identifying columns dropped", len(t.dropped_columns),
                     ", ".join(t.dropped_columns) + (" (keep one with [privacy] keep)" if t.dropped_columns else "")))
        rows.append((t.name, "text columns read as numbers", len(t.converted), ", ".join(t.converted)))
        declared = [info.codes for info in t.columns.values() if info.codes]
        rows.append((t.name, "values set missing", sum(n for codes in declared for n in codes.values()),
                     "declared missing codes, counted per code and column in the report" if declared
                     else "no missing codes declared"))
        if "customer_id" in t.added:
            rows.append((t.name, "customer ids pseudonymised", int(t.frame["customer_id"].notna().sum()),
                         f"salted hash; salt in {salt_file.name!r} beside the dataset directory"))
        if t.name == "survey" and weighting is not None:
            rows += [(t.name, "rows weighted", count, detail) for count, detail in weighting_lines(weighting)]
    return pd.DataFrame(rows, columns=["table", "item", "count", "detail"])


def _study_json(study: Study, tables: dict[str, _Table], weighting: StudyWeighting | None = None) -> dict[str, Any]:
    """The resolved study: roles as written (the weight role: the raked weights), added
    columns, scales, column labels, the weighting (column, design weight, report file)."""
    roles = {name: {role: ("customer_id" if role == "customer_id" else value)
                    for role, value in study.roles.get(name, {}).items()} for name in tables}
    if weighting is not None:
        roles["survey"]["weight"] = weighting.column
    columns = {}
    for t in tables.values():
        labels = getattr(t.meta, "column_labels", {})
        columns[t.name] = {col: {"label": labels.get(col, col), "role": t.columns.get(col, _Column()).role,
                                 "scale": None if t.scales.get(col) is None else t.scales[col].to_dict()}
                           for col in t.frame.columns}
    survey = tables["survey"].frame
    return {"title": study.title, "wave": study.wave, "study_file": study.path.name, "tables": list(tables),
            "roles": roles, "added_columns": {n: t.added for n, t in tables.items() if t.added},
            "scales": {key: scale.to_dict() for key, scale in study.scales.items()},
            "columns": columns, "quarters": sorted(survey["quarter"].dropna().unique().tolist()),
            "weighting": None if weighting is None else {"column": weighting.column,
                                                         "design_weight": weighting.design_weight,
                                                         "file": WEIGHTING_FILE}}


def _safe_url(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def _source_record(study: Study, source: Source) -> dict[str, Any]:
    if source.path is not None:
        return {"format": source.format, "path": os.path.relpath(source.path, study.path.parent).replace(os.sep, "/"),
                "fingerprint": fingerprint(source.path)}
    url = source.url or ""  # a Spark source may have no URL (the active session)
    db = Path(url.removeprefix("duckdb:///")) if url.startswith("duckdb:///") else None
    return {"format": source.format, "url": _safe_url(url), "query": source.query,
            "fingerprint": fingerprint(db) if db is not None and db.is_file() else None}


def _cxlib_version() -> str | None:
    """The installed cxlib's version (the data layer does not import the package itself)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxlib")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


def _write(study: Study, out_dir: Path, tables: dict[str, _Table], summary: pd.DataFrame,
           weighting: StudyWeighting | None = None) -> dict[str, Any]:
    """Write the tables, ``study.json`` (and ``weighting.json``) and last ``manifest.json``
    (each atomically)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # an interrupted import leaves no manifest
    files = []
    for name, t in tables.items():
        atomic_write_with(out_dir / f"{name}.parquet", lambda tmp, f=t.frame: f.to_parquet(tmp, index=False))
        files.append(f"{name}.parquet")
    atomic_write_json(out_dir / "study.json", _study_json(study, tables, weighting))
    (out_dir / WEIGHTING_FILE).unlink(missing_ok=True)  # no stale report from an earlier import
    if weighting is not None:
        atomic_write_json(out_dir / WEIGHTING_FILE, weighting.to_dict(), sort_keys=False)  # columns in order
    manifest = {
        "kind": IMPORT_KIND,
        "cxlib_version": _cxlib_version(),
        "study": {"file": study.path.name, "title": study.title, "fingerprint": fingerprint(study.path)},
        "sources": {name: _source_record(study, t.source) for name, t in tables.items()},
        "row_counts": {name: int(len(t.frame)) for name, t in tables.items()},
        "files": [*files, "study.json", *([WEIGHTING_FILE] if weighting is not None else [])],
        "summary": summary.to_dict(orient="records"),
    }
    atomic_write_json(out_dir / "manifest.json", manifest)
    return manifest
