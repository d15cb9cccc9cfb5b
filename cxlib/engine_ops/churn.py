"""Churn rates per calendar period on an engine table (polars, pyarrow, DuckDB, Spark).

Whether a customer is at risk in, churns in or joins in a period depends only on the
calendar period of the signup date and of the churn date. So the engine computes each
row's two month numbers (``year·12 + month − 1``) and counts the customers per (group,
signup month, churn month) in one grouped aggregation — a table of at most groups × months²
rows, turned into quarters in Python; the pandas path's own counting
(:func:`cxlib.churn.rates._period_counts`, with those counts as weights) and its estimator
(:func:`cxlib.churn.rates._churn_rates`, Wilson intervals) finish. The date checks
(missing signups, churn before signup) and the default periods come from the same table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..churn.rates import _PERIODS, _as_period, _churn_rates, _period_counts
from ..core.checks import check_choice, check_confidence_level, check_min_base, column_list
from ..core.results import SCALES
from ..errors import CXDataError
from .common import check_dates, frame, naive, sorted_groups


def _month_number(expr: Any) -> Any:
    """The calendar month of a date as one integer, ``year·12 + month − 1`` (quarters follow
    in Python as ``month_number // 3``: engines spell integer floor division verbosely)."""
    return expr.dt.year().cast(_int64()) * 12 + expr.dt.month().cast(_int64()) - 1


def _int64() -> Any:
    import narwhals as nw

    return nw.Int64


def _number(p: pd.Period) -> int:
    return p.year * 4 + p.quarter - 1 if p.freqstr.startswith("Q") else p.year * 12 + p.month - 1


def _period_starts(numbers: np.ndarray, freq: str) -> np.ndarray:
    """The first day of each period number (NaT where missing), as datetime64[ns]."""
    numbers = np.asarray(numbers, dtype=float)
    ok = ~np.isnan(numbers)
    p = np.where(ok, numbers, 0).astype(np.int64)
    months = (p // 4 - 1970) * 12 + 3 * (p % 4) if freq == "Q" else p - 1970 * 12
    out = months.astype("datetime64[M]").astype("datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def _counts(lazy: Any, by_cols: list[str], signup: str, churn: str, freq: str) -> pd.DataFrame:
    """Customers per (group, signup period, churn period), with the date checks of
    :func:`cxlib.churn.rates._customer_dates` (missing signups: a missing signup period;
    churn before signup: counted per group) in the same aggregation."""
    s, c = naive(lazy, signup), naive(lazy, churn)
    lazy = lazy.with_columns(_cx_ps=_month_number(s), _cx_pc=_month_number(c))
    table = engines._aggregate(lazy, [*by_cols, "_cx_ps", "_cx_pc"],
                               {"_cx_order": engines._count(~c.is_null() & ~s.is_null() & (c < s))})
    if len(table) == 0:
        raise CXDataError("`customers` has no rows: nothing to analyse")
    for col in ("_cx_ps", "_cx_pc"):  # period numbers, NaN where the date is missing
        months = pd.to_numeric(table[col], errors="coerce").astype(float)
        table[col] = np.floor(months / 3) if freq == "Q" else months
    no_signup = int(table.loc[table["_cx_ps"].isna(), "_cx_rows"].sum())
    if no_signup:
        raise CXDataError(f"column {signup!r} is missing in {no_signup} row(s) (an engine table has no row labels); "
                          "every customer needs a signup date")
    order = int(table["_cx_order"].sum())
    if order:
        raise CXDataError(f"column {churn!r} is earlier than {signup!r} in {order} row(s) "
                          "(an engine table has no row labels); fix the dates or drop those rows")
    return table


def _period(number: float, freq: str) -> pd.Period:
    return pd.Period(pd.Timestamp(_period_starts(np.array([number]), freq)[0]), freq=freq)


def churn_rate(customers: Any, *, period: str, start: Any, end: Any, signup: str, churn: str, by: Any,
               confidence_level: float, min_base: int, scale: str):
    """The engine form of :func:`cxlib.churn_rate` (same arguments, checks and result)."""
    freq = check_choice(period, _PERIODS, argument="period")
    check_choice(scale, SCALES, argument="scale")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    by_cols = [] if by is None else column_list(by, argument="by")
    engines.check_columns(customers, by_cols, argument="by")
    engines.check_columns(customers, [signup], argument="signup")
    engines.check_columns(customers, [churn], argument="churn")
    lazy = frame(customers)
    check_dates(lazy, [signup, churn])
    table = _counts(lazy, by_cols, signup, churn, freq)
    first = _as_period(start, freq, "start") if start is not None else _period(table["_cx_ps"].min(), freq) + 1
    last = _as_period(end, freq, "end") if end is not None else \
        _period(np.nanmax([table["_cx_ps"].max(), table["_cx_pc"].max()]), freq)
    if last < first:
        raise CXDataError(f"`end`={str(last)!r} is before `start`={str(first)!r}")
    periods = pd.period_range(first, last + 1, freq=freq)
    edges = periods.start_time.to_numpy(dtype="datetime64[ns]")
    table = table.loc[table[by_cols].notna().all(axis=1)] if by_cols else table
    if by_cols:
        keys = sorted_groups(table[by_cols].drop_duplicates(), by_cols)
        codes = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(table[by_cols]))
    else:
        keys, codes = pd.DataFrame(index=range(1)), np.zeros(len(table), dtype=np.int64)
    s = _period_starts(table["_cx_ps"].to_numpy(dtype=float), freq)
    c = _period_starts(table["_cx_pc"].to_numpy(dtype=float), freq)
    at_risk, churned, new = _period_counts(s, c, codes, len(keys), edges,
                                           weights=table["_cx_rows"].to_numpy(dtype=float))
    return _churn_rates(keys, by_cols, periods, at_risk, churned, new, freq=freq, level=level, min_base=min_base,
                        scale=scale)
