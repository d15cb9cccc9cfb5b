"""Pieces shared by the engine versions of the operational metrics: collecting a query's
small result, checking date and count columns from the schema, and group keys in the order
the pandas path uses (sorted, rows with a missing key dropped)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import show_values
from ..errors import CXDataError


def collect(out: Any) -> pd.DataFrame:
    """The (small) result of a narwhals query as a pandas frame."""
    import narwhals as nw

    if isinstance(out, nw.LazyFrame):
        out = out.collect()
    return out.to_pandas()


def sql_name(name: Any, quote: str = '"') -> str:
    """A column name as an SQL identifier: double-quoted (DuckDB), or backquoted for Spark
    (``quote="`"``), the quote character doubled inside it."""
    return quote + str(name).replace(quote, quote * 2) + quote


def schema(frame: Any) -> dict:
    return dict(frame.collect_schema())


def check_dates(frame: Any, columns: list[str]) -> None:
    """Refuse columns that are not dates or datetimes, as :func:`cxlib.core.checks.as_datetimes`
    does for numbers (text is refused too: parse it in the engine first)."""
    types = schema(frame)
    for name in columns:
        dtype = types[name]
        if not dtype.is_temporal() or _is_duration(dtype):
            what = "text" if str(dtype) in ("String", "Utf8") else str(dtype)
            raise CXDataError(
                f"column {name!r} has dtype {what}; expected dates or datetimes "
                "(datetime64 or text such as '2026-01-31 09:30')"
                + ("; on an engine table, parse text dates in the engine first (e.g. polars "
                   "`.str.to_datetime()`, DuckDB `strptime`)" if what == "text" else "")
                + ("; a type narwhals does not know, e.g. DuckDB's TIMESTAMP WITH TIME ZONE: cast it to a "
                   "timestamp in UTC first (`timezone('UTC', column)`)" if what == "Unknown" else ""))


def _is_duration(dtype: Any) -> bool:
    import narwhals as nw

    return dtype == nw.Duration or isinstance(dtype, nw.Duration)


def naive(frame: Any, name: str) -> Any:
    """The datetime column ``name`` as timezone-naive UTC (an aware column converted), like
    :func:`cxlib.core.checks.date_column`. Spark and DuckDB keep the time zone in the
    session or connection, not in the column: Spark's dates are read as they are, DuckDB's
    aware timestamps are made naive in the connection's time zone (set it to UTC,
    ``SET TimeZone = 'UTC'``, to match the pandas path)."""
    import narwhals as nw

    dtype = schema(frame)[name]
    if not getattr(dtype, "time_zone", None) or frame.implementation.is_spark_like():
        return nw.col(name)
    if frame.implementation.is_duckdb():
        return nw.col(name).dt.replace_time_zone(None)
    return nw.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)


def check_counts_dtype(frame: Any, name: str) -> None:
    """A count column must be numeric (not boolean), as :func:`cxlib.core.checks.non_negative_counts`."""
    import narwhals as nw

    dtype = schema(frame)[name]
    if dtype == nw.Boolean:
        raise CXDataError(f"column {name!r} is boolean; expected whole-number counts >= 0")
    if not dtype.is_numeric():
        raise CXDataError(f"column {name!r} holds {dtype} values (non-numeric); expected whole-number counts >= 0")


def bad_count_flag(frame: Any, name: str) -> Any:
    """The expression of a value that is not a whole-number count >= 0 (nulls are not bad)."""
    import narwhals as nw

    x = nw.col(name)
    if schema(frame)[name].is_float():
        return ~x.is_null() & ~x.is_nan() & ((x.abs() == float("inf")) | (x < 0) | (x.round(0) != x))
    return x < 0


def distinct_values(frame: Any, name: str, flag: Any) -> np.ndarray:
    """The distinct values of ``name`` where ``flag`` holds, sorted (to show in a message)."""
    out = collect(frame.filter(flag).select(name).unique())
    return np.sort(out[name].to_numpy())


def raise_bad_counts(frame: Any, name: str, n_bad: int) -> None:
    if n_bad > 0:
        values = distinct_values(frame, name, bad_count_flag(frame, name))
        raise CXDataError(f"column {name!r} has {n_bad} value(s) that are not whole-number counts >= 0 "
                          f"{show_values(values)}")


def sorted_groups(table: pd.DataFrame, by_cols: list[str]) -> pd.DataFrame:
    """Groups in sorted key order with rows of a missing key dropped (as
    :func:`cxlib.core.checks.group_codes`); the key columns first, as ``keys``."""
    if not by_cols:
        return table.reset_index(drop=True)
    keep = table[by_cols].notna().all(axis=1)
    return table.loc[keep].sort_values(by_cols, kind="stable").reset_index(drop=True)


def frame(data: Any) -> Any:
    """The narwhals LazyFrame the engine runs (see :func:`cxlib.engines._frame`)."""
    return engines._frame(data)


def spark_functions(lazy: Any) -> Any:
    """PySpark's functions module for the frame's native DataFrame: Spark Connect's own for a
    Connect DataFrame (``pyspark.sql.functions`` builds JVM columns unless the whole process
    is in Connect mode, e.g. when a classic session runs beside the Connect client)."""
    if lazy.implementation.is_pyspark_connect():
        from pyspark.sql.connect import functions
    else:
        from pyspark.sql import functions
    return functions
