"""Quarter arithmetic: quarters are strings ``"YYYYQn"`` (e.g. ``"2026Q3"``).

:func:`parse_quarter` reads one (with an error that shows the expected form),
:func:`previous_quarter` and :func:`quarter_range` step through them,
:func:`quarter_bounds` gives a quarter's half-open time span, :func:`quarter_of` maps
dates to quarters and :func:`latest_quarter` finds the latest survey wave of a dataset.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_columns
from ..errors import CXDataError
from .schema import CXData

_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def parse_quarter(quarter: Any, *, argument: str = "quarter") -> tuple[int, int]:
    """``(year, quarter number)`` of a quarter string ``"YYYYQn"``.

    Parameters
    ----------
    quarter : str
        The quarter, e.g. ``"2026Q3"``.
    argument : str
        The argument name quoted in the error message.

    Raises
    ------
    CXDataError
        If ``quarter`` is not a string of the form ``"YYYYQn"`` with ``n`` in 1–4.

    Examples
    --------
    >>> parse_quarter("2026Q3")
    (2026, 3)
    """
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
    year, q = parse_quarter(quarter)
    k = year * 4 + (q - 1) - int(n)
    return _format_quarter(k // 4, k % 4 + 1)


def quarter_range(end: str, n: int) -> list[str]:
    """The ``n`` consecutive quarters ending with ``end``, oldest first.

    Examples
    --------
    >>> quarter_range("2026Q2", 3)
    ['2025Q4', '2026Q1', '2026Q2']
    """
    parse_quarter(end, argument="end")
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
    year, q = parse_quarter(quarter)
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
    """The latest survey quarter of ``data`` (a :class:`~cxlib.data.schema.CXData` or a
    frame with a ``quarter`` column).

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
    parsed = [parse_quarter(q, argument="quarter") for q in qs]
    return _format_quarter(*max(parsed))
