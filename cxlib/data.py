"""Data access: the :class:`CXData` container, quarter helpers, Parquet I/O, fingerprints.

A dataset is a directory holding one Parquet file per table (``customers.parquet``,
``survey.parquet``, ``touchpoints.parquet``, ``tickets.parquet``, ``journeys.parquet``),
the planted truth (``truth.json`` plus ``truth_segments.parquet``) and a
``manifest.json`` (seed, sizes, row counts, generator version). Every file is written
atomically: to a temporary file in the same directory, then ``os.replace``.

Conventions (see ``data/README.md``): quarters are ``str`` like ``"2026Q3"``; dates are
``datetime64[ns]``; ids are ``int64``; ratings are pandas nullable ``Int64`` (missing
answers are ``pd.NA``); free text and labels are ``object`` columns of ``str`` (missing
comments are ``None``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .core.checks import check_columns
from .core.io import atomic_write_with
from .errors import CXDataError

__all__ = [
    "CXData",
    "PlantedTruth",
    "TABLES",
    "SCHEMA",
    "ANSWER_COLUMNS",
    "DRIVERS",
    "quarter_of",
    "previous_quarter",
    "quarter_range",
    "quarter_bounds",
    "latest_quarter",
    "default_data_dir",
    "write_dataset",
    "load_dataset",
    "ensure_dataset",
    "fingerprint",
    "drop_duplicate_responses",
]

#: The eight driver ratings of the relational survey (1–5, 5 = best).
DRIVERS: tuple[str, ...] = (
    "product_quality",
    "reliability",
    "ease_of_use",
    "value_for_money",
    "support",
    "billing_clarity",
    "onboarding",
    "communication",
)

#: Table names, in the order they are written.
TABLES: tuple[str, ...] = ("customers", "survey", "touchpoints", "tickets", "journeys")

_ID, _STR, _DATE, _RATING, _FLOAT = "int64", "object", "datetime64[ns]", "Int64", "float64"

#: Column -> dtype of every table (the data model of CONTRIBUTING.md).
SCHEMA: dict[str, dict[str, str]] = {
    "customers": {
        "customer_id": _ID,
        "country": _STR,
        "plan": _STR,
        "acquisition_channel": _STR,
        "signup_date": _DATE,
        "monthly_revenue": _FLOAT,
        "churn_date": _DATE,
    },
    "survey": {
        "response_id": _ID,
        "customer_id": _ID,
        "quarter": _STR,
        "response_date": _DATE,
        "country": _STR,
        "plan": _STR,
        "weight": _FLOAT,
        "ltr": _RATING,
        "osat": _RATING,
        "ces": _RATING,
        **{d: _RATING for d in DRIVERS},
        "comment": _STR,
    },
    "touchpoints": {
        "tp_response_id": _ID,
        "customer_id": _ID,
        "quarter": _STR,
        "date": _DATE,
        "touchpoint": _STR,
        "channel": _STR,
        "csat": _RATING,
        "ticket_id": _RATING,  # nullable Int64: NA unless the survey follows a ticket
    },
    "tickets": {
        "ticket_id": _ID,
        "customer_id": _ID,
        "quarter": _STR,
        "channel": _STR,
        "category": _STR,
        "created_at": _DATE,
        "first_response_at": _DATE,
        "first_resolved_at": _DATE,
        "resolved_at": _DATE,
        "reopen_count": _ID,
        "contacts": _ID,
    },
    "journeys": {
        "event_id": _ID,
        "customer_id": _ID,
        "timestamp": _DATE,
        "quarter": _STR,
        "stage": _STR,
        "touchpoint": _STR,
        "channel": _STR,
        "valence": _ID,
    },
}

#: Survey columns that make up a respondent's answers (used to detect duplicates).
ANSWER_COLUMNS: tuple[str, ...] = ("ltr", "osat", "ces", *DRIVERS, "comment")

_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


# --------------------------------------------------------------------------- containers


@dataclass(frozen=True, eq=False)
class PlantedTruth:
    """The structure planted by :func:`cxlib.synthesize`, every number in one place.

    All fields but ``customer_segments`` are JSON-able dicts/lists (see ``to_dict``);
    ``customer_segments`` is a DataFrame ``customer_id -> segment`` (the latent
    attitudinal segment of every customer). ``data/README.md`` documents each field.
    """

    generator_version: str
    seed: int
    parameters: dict
    quarters: list
    segments: dict
    drivers: dict
    asymmetric_driver: dict
    satisfaction_to_ltr: dict
    negative_episode: dict
    churn: dict
    touchpoint_csat: dict
    country_styles: dict
    nps_drop: dict
    incident: dict
    seasonality: dict
    survey_design: dict
    realized: dict
    customer_segments: pd.DataFrame = dataclasses.field(repr=False)

    def to_dict(self) -> dict:
        """Every field except the per-customer segment table, as JSON-able values."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "customer_segments"}
        return json.loads(json.dumps(out))  # deep copy, and proves it is JSON-able

    @classmethod
    def from_dict(cls, d: dict, customer_segments: pd.DataFrame) -> PlantedTruth:
        """Rebuild from :meth:`to_dict` output and the segment table."""
        names = [f.name for f in dataclasses.fields(cls) if f.name != "customer_segments"]
        missing = [n for n in names if n not in d]
        if missing:
            raise CXDataError(f"truth is missing field(s) {missing}; expected {names}")
        return cls(**{n: d[n] for n in names}, customer_segments=customer_segments)

    def segment_of(self, customer_id: Any) -> pd.Series:
        """The latent segment of each ``customer_id`` (NaN for unknown ids)."""
        lookup = self.customer_segments.set_index("customer_id")["segment"]
        ids = pd.Series(np.asarray(customer_id))
        return ids.map(lookup).rename("segment")


@dataclass(frozen=True, eq=False)
class CXData:
    """A CX dataset: five tables plus the planted truth.

    Attributes
    ----------
    customers, survey, touchpoints, tickets, journeys : pandas.DataFrame
        Columns and dtypes as in :data:`SCHEMA` (documented in ``data/README.md``).
    truth : PlantedTruth
        What the generator planted (``None`` for data with no known truth).
    """

    customers: pd.DataFrame
    survey: pd.DataFrame
    touchpoints: pd.DataFrame
    tickets: pd.DataFrame
    journeys: pd.DataFrame
    truth: PlantedTruth | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The five tables by name, in :data:`TABLES` order."""
        return {t: getattr(self, t) for t in TABLES}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={len(df):,}" for t, df in self.tables().items())
        quarters = sorted(self.survey["quarter"].unique()) if len(self.survey) else []
        span = f"{quarters[0]}–{quarters[-1]}" if quarters else "no survey waves"
        return f"CXData({sizes}; survey {span}; truth={'yes' if self.truth is not None else 'no'})"


# --------------------------------------------------------------------------- quarters


def _parse_quarter(quarter: Any, *, argument: str = "quarter") -> tuple[int, int]:
    m = _QUARTER_RE.match(quarter) if isinstance(quarter, str) else None
    if m is None:
        raise CXDataError(
            f"`{argument}`={quarter!r} is not a quarter string; expected 'YYYYQn' with n in 1–4, e.g. '2026Q3'"
        )
    return int(m.group(1)), int(m.group(2))


def _format_quarter(year: int, q: int) -> str:
    return f"{year:04d}Q{q}"


def previous_quarter(quarter: str, n: int = 1) -> str:
    """The quarter ``n`` quarters before ``quarter``.

    Examples
    --------
    >>> previous_quarter("2026Q1")
    '2025Q4'
    >>> previous_quarter("2026Q3", 4)
    '2025Q3'
    """
    year, q = _parse_quarter(quarter)
    k = year * 4 + (q - 1) - int(n)
    return _format_quarter(k // 4, k % 4 + 1)


def quarter_range(end: str, n: int) -> list[str]:
    """The ``n`` consecutive quarters ending with ``end``, oldest first.

    Examples
    --------
    >>> quarter_range("2026Q2", 3)
    ['2025Q4', '2026Q1', '2026Q2']
    """
    _parse_quarter(end, argument="end")
    if int(n) < 1:
        raise CXDataError(f"`n`={n!r} must be a positive number of quarters")
    return [previous_quarter(end, k) for k in range(int(n) - 1, -1, -1)]


def quarter_bounds(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First instant of ``quarter`` and first instant of the next quarter (half-open).

    Examples
    --------
    >>> quarter_bounds("2026Q1")
    (Timestamp('2026-01-01 00:00:00'), Timestamp('2026-04-01 00:00:00'))
    """
    year, q = _parse_quarter(quarter)
    start = pd.Timestamp(year=year, month=3 * (q - 1) + 1, day=1)
    return start, start + pd.DateOffset(months=3)


def quarter_of(dates: Any) -> Any:
    """Calendar quarter ``"YYYYQn"`` of each date.

    Parameters
    ----------
    dates : scalar, array-like or pandas.Series of datetimes
        Missing dates give ``None``.

    Returns
    -------
    str, numpy.ndarray of object, or pandas.Series
        Same shape as the input (a Series keeps its index).

    Examples
    --------
    >>> quarter_of("2026-08-15")
    '2026Q3'
    >>> list(quarter_of(["2025-12-31", "2026-01-01"]))
    ['2025Q4', '2026Q1']
    """
    if isinstance(dates, (str, pd.Timestamp, np.datetime64)) or np.ndim(dates) == 0:
        ts = pd.Timestamp(dates)
        return None if pd.isna(ts) else _format_quarter(ts.year, ts.quarter)
    is_series = isinstance(dates, pd.Series)
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates) if not is_series else dates))
    except (TypeError, ValueError) as exc:
        raise CXDataError(f"`dates` could not be read as dates: {exc}") from None
    na = np.asarray(idx.isna())
    year = np.asarray(idx.year, dtype=float)
    qtr = np.asarray(idx.quarter, dtype=float)
    codes = np.where(na, -1, np.nan_to_num(year * 4 + qtr - 1, nan=-1.0)).astype(np.int64)
    uniq, inv = np.unique(codes, return_inverse=True)
    labels = np.array([None if c < 0 else _format_quarter(c // 4, c % 4 + 1) for c in uniq], dtype=object)
    out = labels[inv.reshape(-1)]
    return pd.Series(out, index=dates.index, name="quarter") if is_series else out


def latest_quarter(data: Any) -> str:
    """The latest survey quarter of ``data`` (a :class:`CXData` or a frame with ``quarter``).

    Examples
    --------
    >>> latest_quarter(pd.DataFrame({"quarter": ["2025Q4", "2026Q1", "2025Q3"]}))
    '2026Q1'
    """
    frame = data.survey if isinstance(data, CXData) else data
    check_columns(frame, ["quarter"], argument="quarter")
    qs = pd.Series(frame["quarter"]).dropna().unique()
    if len(qs) == 0:
        raise CXDataError("`data` has no quarters: column 'quarter' is empty or all missing")
    parsed = [_parse_quarter(q, argument="quarter") for q in qs]
    return _format_quarter(*max(parsed))


# --------------------------------------------------------------------------- I/O


def default_data_dir() -> Path:
    """``data/synthetic`` resolved against the current working directory."""
    return (Path.cwd() / "data" / "synthetic").resolve()


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``
    (see :func:`cxlib.core.io.atomic_write_with`)."""
    atomic_write_with(path, write)


def _write_json(path: Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"
    _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    _atomic_write(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))


def write_dataset(data: CXData, path: str | os.PathLike) -> Path:
    """Write ``data`` to directory ``path`` (created if needed); return the path.

    Writes ``<table>.parquet`` for each of :data:`TABLES`, ``truth.json`` and
    ``truth_segments.parquet`` (when ``data.truth`` is set) and last ``manifest.json``
    (seed, parameters, row counts, generator version). Each file is written to a
    temporary file in the same directory and renamed into place (``os.replace``), so a
    reader never sees a half-written file and a failed write leaves no partial file.

    Raises
    ------
    CXDataError
        If ``data`` is not a :class:`CXData` or a table does not match :data:`SCHEMA`.
    """
    if not isinstance(data, CXData):
        raise CXDataError(f"`data` must be a CXData (from cx.synthesize or cx.load_dataset), got {type(data).__name__}")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in data.tables().items():
        _check_schema(name, frame)
        _write_parquet(out / f"{name}.parquet", frame)
    truth = data.truth
    if truth is not None:
        _write_parquet(out / "truth_segments.parquet", truth.customer_segments)
        _write_json(out / "truth.json", truth.to_dict())
    manifest = {
        "generator_version": truth.generator_version if truth is not None else None,
        "seed": truth.seed if truth is not None else None,
        "parameters": truth.parameters if truth is not None else None,
        "row_counts": {name: int(len(frame)) for name, frame in data.tables().items()},
        "files": [f"{t}.parquet" for t in TABLES] + (["truth.json", "truth_segments.parquet"] if truth is not None else []),
    }
    _write_json(out / "manifest.json", manifest)
    return out


def _check_schema(name: str, frame: pd.DataFrame) -> None:
    expected = SCHEMA[name]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise CXDataError(
            f"table {name!r} lacks column(s) {missing}; expected columns {list(expected)} "
            f"(got {list(map(str, frame.columns))})"
        )


def _coerce(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Enforce the documented dtypes (Parquet round trips keep them; this makes sure)."""
    _check_schema(name, frame)
    out = frame.copy()
    for col, dtype in SCHEMA[name].items():
        if str(out[col].dtype) == dtype:
            continue
        try:
            if dtype == _DATE:
                out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
            elif dtype == _STR:
                out[col] = out[col].astype(object).where(out[col].notna(), None)
            else:
                out[col] = out[col].astype(dtype)
        except (TypeError, ValueError) as exc:
            raise CXDataError(f"column {col!r} of table {name!r} cannot be read as {dtype}: {exc}") from None
    return out


def _read_parquet(file: Path, what: str) -> pd.DataFrame:
    if not file.is_file():
        raise CXDataError(
            f"dataset file {file.name!r} is missing from {str(file.parent)!r}; expected {what}. "
            "Regenerate the dataset with cx.write_dataset(cx.synthesize(seed=...), path)."
        )
    return pd.read_parquet(file, engine="pyarrow")


def load_dataset(path: str | os.PathLike) -> CXData:
    """Read a dataset written by :func:`write_dataset`.

    Returns
    -------
    CXData
        Tables with the dtypes of :data:`SCHEMA`; ``truth`` restored from
        ``truth.json`` and ``truth_segments.parquet`` (``None`` if the dataset has none).

    Raises
    ------
    CXDataError
        If the directory, the manifest or a table is missing, naming the file.
    """
    root = Path(path)
    if not root.is_dir():
        raise CXDataError(
            f"dataset directory {str(root)!r} does not exist; expected a directory with "
            f"{[f'{t}.parquet' for t in TABLES]} and manifest.json. Create it with "
            "cx.write_dataset(cx.synthesize(seed=0), path) or cx.ensure_dataset(path)."
        )
    manifest_file = root / "manifest.json"
    if not manifest_file.is_file():
        raise CXDataError(
            f"dataset file 'manifest.json' is missing from {str(root)!r}; expected it to be written "
            "last by cx.write_dataset (its absence means the write did not finish)"
        )
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    tables = {}
    for t in TABLES:
        frame = _read_parquet(root / f"{t}.parquet", f"the {t!r} table with columns {list(SCHEMA[t])}")
        tables[t] = _coerce(t, frame)
    truth = None
    if "truth.json" in manifest.get("files", []):
        truth_file = root / "truth.json"
        if not truth_file.is_file():
            raise CXDataError(f"dataset file 'truth.json' is missing from {str(root)!r}; expected the planted truth")
        segments = _read_parquet(root / "truth_segments.parquet", "columns ['customer_id', 'segment']")
        truth = PlantedTruth.from_dict(json.loads(truth_file.read_text(encoding="utf-8")), segments)
    return CXData(**tables, truth=truth)


def ensure_dataset(path: str | os.PathLike | None = None, *, seed: int = 0, **synth_kwargs: Any) -> CXData:
    """Load the dataset at ``path``, generating and writing it first if absent.

    Parameters
    ----------
    path : path-like, optional
        Dataset directory; default :func:`default_data_dir` (``./data/synthetic``).
    seed : int
        Seed passed to :func:`cxlib.synthesize` when generating.
    **synth_kwargs
        Other arguments of :func:`cxlib.synthesize` (``n_customers``, ``quarters``,
        ``end_quarter``).

    Raises
    ------
    CXDataError
        If a dataset exists at ``path`` but was generated with a different seed or
        parameters than requested (delete the directory or pass the matching ones).
    """
    from .synth import synthesize  # local import: synth imports this module

    root = Path(path) if path is not None else default_data_dir()
    manifest_file = root / "manifest.json"
    if manifest_file.is_file():
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        wanted = {"seed": int(seed), **synth_kwargs}
        have = {"seed": manifest.get("seed"), **(manifest.get("parameters") or {})}
        clash = {k: (v, have.get(k)) for k, v in wanted.items() if k in have and have[k] != v}
        if clash:
            raise CXDataError(
                f"the dataset at {str(root)!r} was generated with different settings "
                f"(requested vs stored: {clash}); delete the directory to regenerate or request the stored settings"
            )
        return load_dataset(root)
    write_dataset(synthesize(seed, **synth_kwargs), root)
    return load_dataset(root)


def fingerprint(path_or_paths: str | os.PathLike | Iterable[str | os.PathLike]) -> str:
    """A short, stable SHA-256 digest (16 hex characters) of the input files' bytes.

    A directory contributes every regular file below it (hidden files such as
    in-progress temporary files are skipped). Files are taken in order of their names
    relative to the directory given (or to the common parent of the files given); the
    digest covers each relative name and each file's bytes, so it changes when a file
    is renamed, added, removed or edited, and does not depend on where the dataset lives.

    Raises
    ------
    CXDataError
        If a path does not exist or no file is found.
    """
    paths = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    if not paths:
        raise CXDataError("`path_or_paths` is empty: give a dataset directory or a list of files")
    entries: dict[str, Path] = {}
    loose: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                    entries[rel.as_posix() if len(paths) == 1 else f"{p.name}/{rel.as_posix()}"] = f
        elif p.is_file():
            loose.append(p)
        else:
            raise CXDataError(f"`path_or_paths` entry {str(p)!r} does not exist; expected a file or directory")
    if loose:
        parent = Path(os.path.commonpath([str(f.resolve().parent) for f in loose]))
        for f in loose:
            entries[f.resolve().relative_to(parent).as_posix()] = f
    if not entries:
        raise CXDataError(f"no files found under {[str(p) for p in paths]}")
    h = hashlib.sha256()
    for rel in sorted(entries):
        data = entries[rel].read_bytes()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()[:16]


def drop_duplicate_responses(survey: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Remove repeated submissions: same customer, same quarter, identical answers.

    The earliest ``response_date`` of each group is kept; rows keep their original
    order and index. Answers are the columns of :data:`ANSWER_COLUMNS` present in
    ``survey`` (missing answers compare equal). The input is not modified.

    Returns
    -------
    (pandas.DataFrame, int)
        The deduplicated frame and the number of rows dropped.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": [1, 1, 1], "quarter": ["2026Q1"] * 3,
    ...                   "response_date": pd.to_datetime(["2026-02-02", "2026-02-01", "2026-02-03"]),
    ...                   "ltr": [9, 9, 3]})
    >>> out, n = drop_duplicate_responses(s)
    >>> n, list(out.index)
    (1, [1, 2])
    """
    check_columns(survey, ["customer_id", "quarter", "response_date"], argument="survey")
    answers = [c for c in ANSWER_COLUMNS if c in survey.columns]
    if not answers:
        raise CXDataError(
            f"`survey` has none of the answer columns {list(ANSWER_COLUMNS)}; cannot tell duplicates apart"
        )
    key = ["customer_id", "quarter", *answers]
    pos = np.arange(len(survey))
    by_date = survey[key + ["response_date"]].assign(_pos=pos).sort_values(
        ["response_date", "_pos"], kind="mergesort"
    )
    dup_sorted = by_date.duplicated(subset=key, keep="first").to_numpy()
    dropped = np.zeros(len(survey), dtype=bool)
    dropped[by_date["_pos"].to_numpy()[dup_sorted]] = True
    return survey.loc[~dropped].copy(), int(dropped.sum())
