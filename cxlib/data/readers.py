"""Readers for survey exports as they come from the tools researchers use.

:func:`read_survey` returns the responses and their metadata, the pyreadstat convention:
``frame, meta = read_survey(path)``. The frame has one row per response and the export's
column ids as column names; :class:`SurveyMeta` holds the question texts, value labels,
missing codes, the identifying columns dropped at read, and notes on what the reader did.

============  ==========================================  ================================
format        suffixes                                    read with
============  ==========================================  ================================
csv           ``.csv`` ``.tsv`` ``.txt``                  pandas; delimiter and encoding
                                                          detected
qualtrics     a CSV (or ``.xlsx``) whose row 3 holds      pandas / openpyxl; detected by
              ``{"ImportId": ...}`` cells                 content, in any language
excel         ``.xlsx`` ``.xlsm`` (``.xls`` needs xlrd)   openpyxl (first sheet or
                                                          ``sheet=``)
parquet       ``.parquet`` ``.pq``, or a folder of            pyarrow (Hive partition
              Parquet files                               columns become columns)
spss          ``.sav`` ``.zsav``                          pyreadstat, ``user_missing=True``
sql           ``.duckdb``, or ``url=`` + ``query=``       DuckDB for ``duckdb:///path``,
                                                          SQLAlchemy for any other URL
spark         ``query=`` (a table name or Spark SQL),     the active Spark session, or
              ``url="sc://host:15002"`` optional          Spark Connect (``toPandas``)
============  ==========================================  ================================

Input files are never modified: files are only read, DuckDB and SQLite databases are
opened read-only. Qualtrics headers are handled in :mod:`cxlib.data.qualtrics`, databases
in :mod:`cxlib.data.sql`, identifying columns in :mod:`cxlib.data.privacy`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CXDataError
from . import qualtrics
from .privacy import identifying_columns, normalise_name
from .sources import parquet_schema, spark_table
from .sql import duckdb_url, read_query

#: The formats :func:`read_survey` reads.
FORMATS = ("csv", "excel", "parquet", "qualtrics", "spss", "sql", "spark")

#: File suffix -> format (``format=`` overrides).
SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".parquet": "parquet", ".pq": "parquet",
    ".sav": "spss", ".zsav": "spss",
    ".duckdb": "sql",
}

_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class SurveyMeta:
    """What a survey export says about its columns (the pyreadstat convention).

    Attributes
    ----------
    source : str
        The file path or the SQL URL (a password in the URL is replaced by ``***``).
    format : str
        One of :data:`FORMATS` (a Qualtrics export read from CSV or Excel is ``"qualtrics"``).
    n_rows : int
        Rows in the frame returned with this metadata.
    column_labels : dict
        Column id -> question text (Qualtrics row 2, SPSS variable labels).
    value_labels : dict
        Column id -> ``{code: label}`` (SPSS value labels).
    missing_codes : dict
        Column id -> tuple of codes meaning "not applicable" / "don't know" (SPSS
        user-missing values; the values stay in the frame as codes).
    dropped_pii : tuple of str
        Identifying columns dropped at read (empty when ``keep_pii=True``).
    notes : tuple of str
        What the reader detected or did (encoding, delimiter, export variant …).
    n_blank_rows : int
        Entirely empty rows of a spreadsheet-like export, dropped at read (counted here so
        an import can report them).
    columns : tuple of str
        The frame's columns, in order.

    Examples
    --------
    >>> meta = SurveyMeta(source="s.sav", format="spss", n_rows=2,
    ...                   column_labels={"q1": "Seat comfort"},
    ...                   value_labels={"q1": {1.0: "very poor", 5.0: "excellent"}},
    ...                   missing_codes={"q1": (0.0,)}, dropped_pii=(), columns=("id", "q1"))
    >>> meta.label("q1"), meta.label("id")
    ('Seat comfort', 'id')
    >>> meta.to_frame()
      column         label                   value_labels missing_codes
    0     id            id
    1     q1  Seat comfort  1 = very poor; 5 = excellent             0
    """

    source: str
    format: str
    n_rows: int
    column_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[float | str, str]] = field(default_factory=dict)
    missing_codes: dict[str, tuple] = field(default_factory=dict)
    dropped_pii: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    n_blank_rows: int = 0

    def label(self, column: str) -> str:
        """The question text of ``column``, or the column id when there is none."""
        return self.column_labels.get(column) or column

    def to_frame(self) -> pd.DataFrame:
        """One row per column: ``column, label, value_labels, missing_codes`` (as text)."""
        names = list(self.columns) or list(dict.fromkeys(
            [*self.column_labels, *self.value_labels, *self.missing_codes]))
        rows = [{
            "column": c,
            "label": self.label(c),
            "value_labels": "; ".join(f"{_code_text(k)} = {v}" for k, v in self.value_labels.get(c, {}).items()),
            "missing_codes": "; ".join(_code_text(k) for k in self.missing_codes.get(c, ())),
        } for c in names]
        return pd.DataFrame(rows, columns=["column", "label", "value_labels", "missing_codes"])


def _code_text(code: Any) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


@dataclass
class _Read:
    """What one reader produced, before the common clean-up and the privacy step."""

    frame: pd.DataFrame
    source: str
    format: str
    column_labels: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)
    missing_codes: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    identifying: list = field(default_factory=list)  # found by other means than the name (Qualtrics ImportId)
    spreadsheet: bool = False  # blank rows and unnamed empty columns are artefacts to drop


@dataclass(frozen=True)
class _Source:
    """A file to read: a path, or a file-like object (``handle``)."""

    name: str
    path: Path | None = None
    handle: Any = None

    @property
    def suffix(self) -> str:
        return (self.path.suffix if self.path is not None else Path(self.name).suffix).lower()

    def read_bytes(self) -> bytes | str:
        if self.path is not None:
            return self.path.read_bytes()
        return self.handle.read()

    def binary(self) -> Any:
        """Something pandas / openpyxl can open: the path, or the bytes in a BytesIO."""
        if self.path is not None:
            return self.path
        data = self.handle.read()
        if isinstance(data, str):
            raise CXDataError(f"{self.name}: a binary format needs a binary file object (open it with 'rb')")
        return io.BytesIO(data)


def read_survey(
    path: Any = None,
    format: str | None = None,
    *,
    keep_pii: bool = False,
    keep: Any = (),
    sheet: str | int | None = None,
    url: str | None = None,
    query: str | None = None,
) -> tuple[pd.DataFrame, SurveyMeta]:
    """Read a survey export: the responses as a DataFrame and their :class:`SurveyMeta`.

    Parameters
    ----------
    path : str, os.PathLike or file-like, optional
        The export. A file-like object (``io.StringIO``, an open file) is read as well;
        give ``format=`` when it has no name with a suffix. Not needed for
        ``format="sql"`` with ``url=``. A folder is read as Parquet files (every
        ``*.parquet`` below it; Hive partition keys become columns).
    format : {"csv", "excel", "parquet", "qualtrics", "spss", "sql", "spark"}, optional
        Inferred from the suffix (see :data:`SUFFIXES`) when omitted. A CSV or Excel
        file whose third row holds Qualtrics' ``{"ImportId": ...}`` cells is read as a
        Qualtrics export even under ``"csv"``/``"excel"``; ``"qualtrics"`` insists on
        it (an error when the header is not a Qualtrics header).
    keep_pii : bool, default False
        Keep the columns that identify people (see
        :func:`cxlib.data.privacy.identifying_columns`); by default they are dropped and
        listed in ``meta.dropped_pii``.
    keep : iterable of str, optional
        Identifying columns to keep by name although ``keep_pii`` is False.
    sheet : str or int, optional
        Excel only: the sheet's name or 0-based position (default: the first sheet).
    url : str, optional
        SQL only: ``duckdb:///path/to/file.duckdb`` (opened read-only through the duckdb
        package) or any SQLAlchemy URL (``postgresql://user:pw@host/db``; SQLite files are
        opened read-only). Passwords never reach ``meta.source`` or error messages.
        Spark: a Spark Connect URL ``sc://host:15002`` (default: the active session, or the
        ``SPARK_REMOTE`` environment variable).
    query : str, optional
        SQL only: the query returning one row per response, or a bare table name. Spark:
        a table name or a Spark SQL query (the rows are copied to pandas: for small tables;
        analyse large ones in place with :func:`cxlib.open_study`).

    Returns
    -------
    (pandas.DataFrame, SurveyMeta)
        The responses (column ids as exported; a fresh ``RangeIndex``) and their metadata.

    Raises
    ------
    CXDataError
        The file is missing or empty, the format is unknown (with the valid ones), a
        Qualtrics header is broken, an Excel sheet does not exist (with the sheet
        names), a query fails (with its first line), or the file cannot be parsed; the
        message starts with the file (or the URL without password).

    Notes
    -----
    - CSV: the encoding is UTF-8 (with or without a byte-order mark), UTF-16 with a
      byte-order mark (Qualtrics' TSV export), else Windows-1252 / Latin-1 (with a note);
      the delimiter is whichever of comma, semicolon, tab and pipe splits the header and
      the first rows into the same number of (more than one) fields. In a semicolon file,
      text columns holding only decimal-comma numbers (``"3,5"``) become numbers.
    - Qualtrics: row 1 holds the column ids, row 2 the question texts (kept as
      ``column_labels``), row 3 the ``ImportId`` JSON (dropped). Detected by that JSON,
      so exports in any interface language are read, in both the numeric-values and the
      choice-text variants. Date columns (``timeZone`` in their ImportId) are parsed.
      Qualtrics' identifying metadata (IP address, recipient names and e-mail, external
      reference, location) is recognised by its ImportId whatever the column is called.
    - SPSS: read with ``user_missing=True``: user-missing values stay in the frame as
      codes and are listed in ``missing_codes`` (a range such as 97–99 is listed value by
      value); variable labels become ``column_labels``, value labels ``value_labels``.
    - Spreadsheet artefacts (CSV, Excel, Qualtrics): entirely empty rows and entirely
      empty columns without a header are dropped, and counted in ``meta.notes``.

    Examples
    --------
    >>> import io
    >>> text = "id;osat;E-mail\\n1;4;a@example.org\\n2;5;b@example.org\\n"
    >>> frame, meta = read_survey(io.StringIO(text), format="csv")
    >>> frame
       id  osat
    0   1     4
    1   2     5
    >>> meta.dropped_pii, meta.notes
    (('E-mail',), ('delimiter: semicolon',))

    A Qualtrics export (three header rows), recognised by its ``ImportId`` row:

    >>> export = ('StartDate,IPAddress,Q1\\n'
    ...           'Start Date,IP Address,How satisfied are you?\\n'
    ...           '"{""ImportId"":""startDate""}","{""ImportId"":""ipAddress""}","{""ImportId"":""QID1""}"\\n'
    ...           '2025-10-01 08:00:00,192.0.2.1,4\\n')
    >>> frame, meta = read_survey(io.StringIO(export))
    >>> list(frame.columns), meta.format, meta.label("Q1"), meta.dropped_pii
    (['StartDate', 'Q1'], 'qualtrics', 'How satisfied are you?', ('IPAddress',))
    """
    fmt = _resolve_format(path, format, url)
    _check_options(fmt, path, sheet=sheet, url=url, query=query)
    if fmt == "sql":
        frame, safe = read_query(url if url is not None else duckdb_url(path), query)
        read = _Read(frame=frame, source=safe, format="sql", notes=[f"SQL query: {query.strip().splitlines()[0]}"])
    elif fmt == "spark":
        read = _Read(frame=spark_table(query, url=url).toPandas(), source=url or "spark", format="spark",
                     notes=[f"Spark: {query.strip().splitlines()[0]}"])
    elif fmt == "parquet" and isinstance(path, (str, os.PathLike)) and Path(path).expanduser().is_dir():
        read = _read_parquet_folder(Path(path).expanduser())
    else:
        source = _source(path)
        if fmt == "excel" or (fmt == "qualtrics" and source.suffix in _EXCEL_SUFFIXES):
            read = _read_excel(source, sheet, require_qualtrics=fmt == "qualtrics")
        elif fmt in ("csv", "qualtrics"):
            read = _read_csv(source, require_qualtrics=fmt == "qualtrics")
        elif fmt == "parquet":
            read = _read_parquet(source)
        else:
            read = _read_spss(source)
    return _finish(read, keep_pii=keep_pii, keep=keep)


# ----------------------------------------------------------------------------- arguments

def _resolve_format(path: Any, format: str | None, url: str | None) -> str:
    if format is not None:
        fmt = str(format).strip().lower()
        if fmt not in FORMATS:
            raise CXDataError(f"format={format!r} is not a survey format; valid: {list(FORMATS)}")
        return fmt
    if path is None:
        if url is not None:
            return "sql"
        raise CXDataError("read_survey needs a path (or format='sql' with url= and query=)")
    name = _display_name(path)
    suffix = Path(name).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if isinstance(path, (str, os.PathLike)) and Path(path).expanduser().is_dir():
        return "parquet"  # a folder of Parquet files
    if _is_file_like(path) and not suffix:
        return "csv"
    if suffix == ".zip":
        raise CXDataError(f"{name}: a zip archive (as Qualtrics downloads come); unzip it and read the file inside")
    known = ", ".join(f"{s} -> {f}" for s, f in SUFFIXES.items())
    raise CXDataError(
        f"{name}: cannot tell the format from the suffix {suffix or '(none)'!r}; give format= one of "
        f"{list(FORMATS)} (suffixes: {known})")


def _check_options(fmt: str, path: Any, *, sheet: Any, url: Any, query: Any) -> None:
    if fmt == "spark":
        if not isinstance(query, str) or not query.strip():
            raise CXDataError(f"format='spark' needs query= (a table name or Spark SQL), got {query!r}")
    elif fmt == "sql":
        if url is None and path is None:
            raise CXDataError("format='sql' needs url= (e.g. 'duckdb:///survey.duckdb') and query=")
        if not isinstance(query, str) or not query.strip():
            raise CXDataError(f"format='sql' needs query= (a SELECT or a table name), got {query!r}")
    elif url is not None or query is not None:
        raise CXDataError(f"url= and query= apply to format='sql' only (and 'spark'); this is format={fmt!r}")
    excel_like = fmt == "excel" or (fmt == "qualtrics" and Path(_display_name(path)).suffix.lower() in _EXCEL_SUFFIXES)
    if sheet is not None and not excel_like:
        raise CXDataError(f"sheet= applies to Excel files only; this is format={fmt!r}")


def _is_file_like(obj: Any) -> bool:
    return hasattr(obj, "read") and not isinstance(obj, (str, bytes, os.PathLike))


def _display_name(path: Any) -> str:
    if _is_file_like(path):
        name = getattr(path, "name", None)
        return str(name) if isinstance(name, (str, os.PathLike)) else f"<{type(path).__name__}>"
    return str(path)


def _source(path: Any) -> _Source:
    if _is_file_like(path):
        return _Source(name=_display_name(path), handle=path)
    if not isinstance(path, (str, os.PathLike)):
        raise CXDataError(f"`path` must be a file path or a file object, got {type(path).__name__}")
    p = Path(path).expanduser()
    name = str(path)
    if not p.exists():
        raise CXDataError(f"{name}: file not found{_nearby(p)}")
    if p.is_dir():
        raise CXDataError(f"{name}: is a directory, not a file")
    if p.stat().st_size == 0:
        raise CXDataError(f"{name}: the file is empty (0 bytes)")
    return _Source(name=name, path=p)


def _nearby(path: Path) -> str:
    """A hint listing the survey files beside a missing one."""
    folder = path.parent
    if not folder.is_dir():
        return f" (the folder {str(folder)!r} does not exist either)"
    files = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)[:10]
    return f"; survey files in {str(folder)!r}: {files}" if files else f"; {str(folder)!r} holds no survey files"


# ----------------------------------------------------------------------------- CSV and Qualtrics

def _decode(data: bytes | str) -> tuple[str, str | None]:
    """The text of a CSV file and a note on its encoding (None for plain UTF-8)."""
    if isinstance(data, str):
        return data, None
    for bom, encoding, note in ((b"\xef\xbb\xbf", "utf-8", "encoding: UTF-8 with a byte-order mark"),
                                (b"\xff\xfe", "utf-16-le", "encoding: UTF-16 (little-endian, byte-order mark)"),
                                (b"\xfe\xff", "utf-16-be", "encoding: UTF-16 (big-endian, byte-order mark)")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), note
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "encoding: not UTF-8; read as Windows-1252 (Latin-1 with € and curly quotes)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "encoding: not UTF-8; read as Latin-1 (ISO-8859-1)"


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out = []
    try:
        for row in reader:
            out.append(row)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into >1 fields and the first rows alike."""
    sample = text[:65536]
    truncated = len(text) > len(sample)
    best, best_score = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        rows = [r for r in _records(sample, delimiter, 30) if r]
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the last record may be cut
        if not rows or len(rows[0]) <= 1:
            continue
        width = len(rows[0])
        score = (sum(len(r) == width for r in rows) / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


#: How binary files start: a text reader refuses them with the right format to use.
_MAGIC = ((b"PK\x03\x04", "an Excel workbook or a zip archive"), (b"PAR1", "a Parquet file"),
          (b"$FL2", "an SPSS .sav file"), (b"$FL3", "an SPSS .zsav file"),
          (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 file"), (b"SQLite format 3", "a SQLite database"))


def _read_csv(source: _Source, *, require_qualtrics: bool) -> _Read:
    raw = source.read_bytes()
    for magic, kind in _MAGIC:
        if isinstance(raw, bytes) and raw.startswith(magic):
            raise CXDataError(f"{source.name}: this is {kind}, not a text (CSV) file; give the matching format= "
                              f"or suffix")
    text, encoding_note = _decode(raw)
    if not text.strip():
        raise CXDataError(f"{source.name}: the file is empty (no text)")
    delimiter = _sniff_delimiter(text)
    notes = [n for n in (encoding_note,) if n]
    if delimiter != ",":
        notes.append(f"delimiter: {_DELIMITER_NAMES[delimiter]}")
    head = _records(text, delimiter, 3)
    imports = qualtrics.parse_header(head, source.name, require=require_qualtrics)
    if imports is not None:
        read = _read_qualtrics_csv(text, delimiter, head, imports, source.name)
    else:
        frame = _parse_csv(io.StringIO(text), source.name, delimiter, header=0)
        read = _Read(frame=frame, source=source.name, format="csv", spreadsheet=True)
        renamed = [c for c, h in zip(frame.columns, head[0] if head else []) if str(c) != h.strip() and h.strip()]
        if renamed:
            notes.append(f"repeated column ids renamed by suffix: {renamed}")
    read.notes[:0] = notes
    if delimiter == ";":
        _decimal_commas(read)
    return read


def _parse_csv(buffer: io.StringIO, name: str, delimiter: str, *, header: int | None) -> pd.DataFrame:
    try:
        return pd.read_csv(buffer, sep=delimiter, header=header, low_memory=False)
    except pd.errors.EmptyDataError:
        raise CXDataError(f"{name}: the file holds no columns") from None
    except (pd.errors.ParserError, ValueError, UnicodeError) as err:
        detail = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise CXDataError(
            f"{name}: cannot be read as CSV ({_DELIMITER_NAMES[delimiter]}-delimited): {detail}") from None


def _qualtrics_end(text: str, delimiter: str) -> int:
    """The character offset where the fourth record (the first response) starts."""
    buffer = io.StringIO(text)
    reader = csv.reader(iter(buffer.readline, ""), delimiter=delimiter)
    for _ in range(3):
        next(reader)
    return buffer.tell()


def _read_qualtrics_csv(text: str, delimiter: str, head: list[list[str]], imports: list[dict], name: str) -> _Read:
    body = text[_qualtrics_end(text, delimiter):]
    if not body.strip():
        raise CXDataError(f"{name}: a Qualtrics export with its three header rows but no responses")
    frame = _parse_csv(io.StringIO(body), name, delimiter, header=None)
    if frame.shape[1] != len(head[0]):
        raise CXDataError(
            f"{name}: the responses have {frame.shape[1]} columns, the Qualtrics header {len(head[0])}")
    return _qualtrics(frame, head, imports, name, container="TSV" if delimiter == "\t" else "CSV")


def _qualtrics(frame: pd.DataFrame, head: list[list], imports: list[dict], name: str, *, container: str) -> _Read:
    named = qualtrics.name_columns(frame, head[0], head[1], imports, container=container)
    return _Read(frame=named.frame, source=name, format="qualtrics", column_labels=named.column_labels,
                 notes=named.notes, identifying=named.identifying, spreadsheet=True)


def _decimal_commas(read: _Read) -> None:
    """In a semicolon file, text columns holding only decimal-comma numbers become numbers."""
    converted = []
    for column in read.frame.columns:
        values = read.frame[column]
        if values.dtype != object:
            continue
        text = values.dropna().astype(str).str.strip()
        if len(text) and text.str.fullmatch(r"[+-]?\d+(,\d+)?").all() and text.str.contains(",").any():
            numbers = values.where(values.isna(), values.astype(str).str.strip().str.replace(",", ".", regex=False))
            read.frame[column] = pd.to_numeric(numbers).astype("float64")
            converted.append(column)
    if converted:
        read.notes.append(f"decimal commas read as numbers in {converted}")


# ----------------------------------------------------------------------------- Excel, Parquet, SPSS

def _read_excel(source: _Source, sheet: str | int | None, *, require_qualtrics: bool) -> _Read:
    engine = "xlrd" if source.suffix == ".xls" else "openpyxl"
    if engine == "xlrd":
        try:
            import xlrd  # noqa: F401
        except ImportError:
            raise CXDataError(
                f"{source.name}: an Excel 97-2003 (.xls) file; save it as .xlsx in Excel (or install xlrd)") from None
    workbook = source.binary()
    sheets, head = _excel_head(workbook, source.name, sheet, engine)
    name = _sheet_name(sheets, sheet, source.name)
    imports = qualtrics.parse_header(head, source.name, require=require_qualtrics)
    skip = [1, 2] if imports is not None else None
    try:
        if isinstance(workbook, io.BytesIO):
            workbook.seek(0)
        frame = pd.read_excel(workbook, sheet_name=name, engine=engine, skiprows=skip)
    except (ValueError, OSError, KeyError) as err:
        raise CXDataError(f"{source.name}: cannot read sheet {name!r}: {err}") from None
    if frame.shape[1] == 0:
        raise CXDataError(f"{source.name}: sheet {name!r} is empty")
    notes = [f"sheet: {name!r}"] if len(sheets) > 1 else []
    if imports is None:
        read = _Read(frame=frame, source=source.name, format="excel", spreadsheet=True)
    else:
        extra = frame.iloc[:, len(head[0]):]
        if extra.notna().any().any():
            raise CXDataError(f"{source.name}: sheet {name!r} has values in columns beyond the Qualtrics header")
        read = _qualtrics(frame.iloc[:, :len(head[0])], head, imports, source.name, container="Excel")
    read.notes[:0] = notes
    return read


def _excel_head(workbook: Any, name: str, sheet: str | int | None, engine: str) -> tuple[list[str], list[list]]:
    """The sheet names and the first three rows of the chosen sheet."""
    if engine == "xlrd":
        try:
            frame = pd.read_excel(workbook, sheet_name=None, header=None, nrows=3, engine="xlrd")
        except Exception as err:  # xlrd raises its own error types
            raise CXDataError(f"{name}: cannot be read as an Excel file: {err}") from None
        sheets = list(frame)
        chosen = frame[_sheet_name(sheets, sheet, name)]
        return sheets, chosen.where(chosen.notna(), None).values.tolist()
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    import zipfile

    try:
        book = load_workbook(workbook, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise CXDataError(f"{name}: not an Excel .xlsx workbook ({type(err).__name__}: {err})") from None
    try:
        sheets = list(book.sheetnames)
        ws = book[_sheet_name(sheets, sheet, name)]
        head = [list(row) for row in ws.iter_rows(min_row=1, max_row=3, values_only=True)]
    finally:
        book.close()
    width = max((i + 1 for row in head for i, v in enumerate(row) if v is not None), default=0)
    return sheets, [row[:width] for row in head]  # without formatted but empty trailing cells


def _sheet_name(sheets: list[str], sheet: str | int | None, name: str) -> str:
    if sheet is None:
        return sheets[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(sheets):
            return sheets[sheet]
        raise CXDataError(f"{name}: there is no sheet number {sheet} (0-based); the sheets are {sheets}")
    if str(sheet) in sheets:
        return str(sheet)
    raise CXDataError(f"{name}: there is no sheet {sheet!r}; the sheets are {sheets}")


def _read_parquet(source: _Source) -> _Read:
    try:
        frame = pd.read_parquet(source.binary(), engine="pyarrow")
    except (ValueError, OSError, TypeError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise CXDataError(f"{source.name}: cannot be read as Parquet: {str(err).splitlines()[0]}") from None
    return _Read(frame=frame, source=source.name, format="parquet")


def _read_parquet_folder(folder: Path) -> _Read:
    """A folder of Parquet files as one frame; Hive partition columns (``region=EU/``) become
    plain columns (text or numbers, not categoricals). Schemas are checked by
    :func:`cxlib.data.sources.parquet_schema` (the same errors as :func:`cxlib.open_study`)."""
    import pyarrow.dataset as ds

    files, _, _ = parquet_schema(folder)
    try:  # exactly the files checked (other files in the folder are not read)
        frame = ds.dataset([str(f) for f in files], format="parquet", partitioning="hive",
                           partition_base_dir=str(folder)).to_table().to_pandas()
    except (ValueError, OSError, TypeError) as err:
        raise CXDataError(f"{folder}: cannot be read as Parquet: {str(err).splitlines()[0]}") from None
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):  # a partition key
            frame[col] = frame[col].astype(frame[col].cat.categories.dtype)
    return _Read(frame=frame, source=str(folder), format="parquet", notes=[f"{len(files)} Parquet file(s)"])


def _read_spss(source: _Source) -> _Read:
    import pyreadstat

    if source.path is None:  # pyreadstat reads paths only: copy the object's bytes to a temporary file
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / f"survey{source.suffix or '.sav'}"
            copy.write_bytes(source.binary().getvalue())
            return _read_spss(_Source(name=source.name, path=copy))
    try:
        frame, meta = pyreadstat.read_sav(str(source.path), user_missing=True, dates_as_pandas_datetime=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as err:
        raise CXDataError(f"{source.name}: cannot be read as an SPSS file: {err}") from None
    notes = []
    if getattr(meta, "file_label", None):
        notes.append(f"SPSS file label: {meta.file_label}")
    labels = {c: str(t) for c, t in (meta.column_names_to_labels or {}).items() if t}
    values = {c: dict(v) for c, v in (meta.variable_value_labels or {}).items() if v}
    missing = {}
    for column, ranges in (meta.missing_ranges or {}).items():
        codes, note = _spss_missing_codes(frame[column], ranges)
        if codes:
            missing[column] = codes
        if note:
            notes.append(f"{column}: {note}")
    if missing:
        notes.append(f"SPSS user-missing values kept as codes in {len(missing)} column(s); see missing_codes")
    return _Read(frame=frame, source=source.name, format="spss", column_labels=labels, value_labels=values,
                 missing_codes=missing, notes=notes)


def _spss_missing_codes(values: pd.Series, ranges: list[dict]) -> tuple[tuple, str | None]:
    """The codes of SPSS user-missing declarations (discrete values and ranges)."""
    codes: list = []
    note = None
    for declared in ranges:
        lo, hi = declared.get("lo"), declared.get("hi")
        if lo == hi:
            codes.append(lo)
        elif isinstance(lo, (int, float)) and float(lo).is_integer() and float(hi).is_integer() and hi - lo <= 1000:
            codes.extend(float(v) for v in range(int(lo), int(hi) + 1))
        else:  # a range of non-integers: list its bounds and the values present in it
            inside = pd.to_numeric(values, errors="coerce")
            present = sorted(inside[(inside >= lo) & (inside <= hi)].unique().tolist())
            codes.extend([lo, *present, hi])
            note = f"user-missing range {lo}–{hi} listed as its bounds and the values present"
    unique = list(dict.fromkeys(codes))
    if all(isinstance(c, (int, float)) for c in unique):
        unique.sort()  # SPSS stores a range before the discrete value: list them in order
    return tuple(unique), note


# ----------------------------------------------------------------------------- SQL

# ----------------------------------------------------------------------------- common finish

def _finish(read: _Read, *, keep_pii: bool, keep: Any) -> tuple[pd.DataFrame, SurveyMeta]:
    frame = read.frame.set_axis([str(c) for c in read.frame.columns], axis=1)
    notes = list(read.notes)
    n_before = len(frame)
    if read.spreadsheet:
        frame, dropped_notes = _drop_blank(frame)
        notes.extend(dropped_notes)
    if len(frame) == 0:
        where = "the query returned" if read.format == "sql" else "the file holds"
        raise CXDataError(f"{read.source}: {where} column headers but no responses (0 rows)")
    keep_names = _keep_names(keep)
    kept = {normalise_name(k) for k in keep_names}
    pii = identifying_columns(frame.columns, keep=keep_names)
    pii += [c for c in read.identifying if c not in pii and normalise_name(c) not in kept and c in frame.columns]
    dropped: tuple[str, ...] = ()
    if pii and not keep_pii:
        dropped = tuple(c for c in frame.columns if c in set(pii))
        frame = frame.drop(columns=list(dropped))
    columns = tuple(frame.columns)
    present = set(columns)
    meta = SurveyMeta(
        source=read.source,
        format=read.format,
        n_rows=len(frame),
        column_labels={c: v for c, v in read.column_labels.items() if c in present},
        value_labels={c: v for c, v in read.value_labels.items() if c in present},
        missing_codes={c: tuple(v) for c, v in read.missing_codes.items() if c in present},
        dropped_pii=dropped,
        notes=tuple(notes),
        columns=columns,
        n_blank_rows=n_before - len(frame),
    )
    return frame.reset_index(drop=True), meta


def _drop_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop entirely empty rows, and entirely empty columns without a header (``Unnamed: k``)."""
    notes = []
    empty_columns = [c for c in frame.columns if re.fullmatch(r"Unnamed: \d+", c) and frame[c].isna().all()]
    if empty_columns:
        frame = frame.drop(columns=empty_columns)
        notes.append(f"dropped {len(empty_columns)} empty column(s) without a header")
    blank = frame.isna().all(axis=1)
    if blank.any() and frame.shape[1]:
        frame = frame.loc[~blank]
        notes.append(f"dropped {int(blank.sum())} empty row(s)")
        frame = frame.apply(_whole_numbers)
    return frame, notes


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Integers again for a float column that held whole numbers and was float only
    because of the dropped empty rows (pandas reads a column with gaps as float)."""
    if values.dtype.kind != "f" or values.isna().any() or len(values) == 0:
        return values
    return values.astype("int64") if bool((values % 1 == 0).all()) else values


def _keep_names(keep: Any) -> list[str]:
    if keep is None:
        return []
    if isinstance(keep, str):
        return [keep]
    try:
        return [str(k) for k in keep]
    except TypeError:
        raise CXDataError(f"`keep` must be a list of column names, got {type(keep).__name__}") from None
