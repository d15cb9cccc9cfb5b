"""The helpdesk rates and ticket times on an engine table (polars, pyarrow, DuckDB, Spark).

Rates (reopen rate, first-contact resolution): one grouped aggregation counts per group the
tickets, the solved tickets (the solve timestamp present), those with the property
(reopened at least once; exactly one contact), and the input problems (counts that are not
whole numbers >= 0; solved tickets without a count); :func:`cxlib.helpdesk._share_result`
then computes the rates and their Wilson intervals exactly as for pandas.

Times (first response, resolution): the quantiles and their order-statistic intervals
read a few order statistics per group: ``x_(f+1)``, ``x_(f+2)`` around each type-7 point
(``f = ⌊q(n − 1)⌋``) and the bounds ``x_(l)``, ``x_(u)`` of the binomial rule. A first
aggregation counts the tickets with a time per group (and the checks: missing creation
times, ends before creation); the engine then ranks each group's times (``rank`` over the
group) and returns only the rows at the needed ranks — a few per quantile and group, never
the times themselves; :func:`cxlib.helpdesk._duration_result` finishes. The results equal
the pandas path's exactly (times compared in µs, Spark's resolution).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import check_confidence_level, check_min_base, column_list
from ..errors import CXDataError
from ..helpdesk import _UNITS, _check_quantiles, _duration_result, _order_statistic_ranks, _share_result
from .common import (
    bad_count_flag,
    check_counts_dtype,
    check_dates,
    collect,
    frame,
    naive,
    raise_bad_counts,
    sorted_groups,
    spark_functions,
)


def share(tickets: Any, *, count_col: str, resolved: str, by: Any, confidence_level: float, min_base: int,
          success: Callable[[Any], Any], what: str, argument: str):
    """The engine form of :func:`cxlib.helpdesk._share`: same checks, same result.

    ``success`` maps the count column's expression to the property (``c >= 1``: reopened;
    ``c == 1``: one contact), the same rule the pandas path applies to its values.
    """
    import narwhals as nw

    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    by_cols = [] if by is None else column_list(by, argument="by")
    engines.check_columns(tickets, by_cols, argument="by")
    engines.check_columns(tickets, [count_col], argument=argument)
    engines.check_columns(tickets, [resolved], argument="resolved")
    lazy = frame(tickets)
    check_dates(lazy, [resolved])
    check_counts_dtype(lazy, count_col)
    x = nw.col(count_col)
    absent = (x.is_null() | x.is_nan()) if lazy.collect_schema()[count_col].is_float() else x.is_null()
    solved = ~nw.col(resolved).is_null()
    count = engines._count
    aggs = {"_cx_solved": count(solved), "_cx_hit": count(solved & ~absent & success(x)),
            "_cx_bad": count(bad_count_flag(lazy, count_col)), "_cx_absent": count(solved & absent)}
    table = engines._aggregate(lazy, by_cols, aggs)
    rows = int(table["_cx_rows"].sum())
    if rows == 0:
        raise CXDataError("`tickets` has no rows: nothing to analyse")
    raise_bad_counts(lazy, count_col, int(table["_cx_bad"].sum()))
    absent_solved = int(table["_cx_absent"].sum())
    if absent_solved:
        raise CXDataError(f"column {count_col!r} is missing for {absent_solved} solved ticket(s) "
                          "(an engine table has no row labels); fill it (0 if none) or drop those tickets")
    table = sorted_groups(table, by_cols)
    n, k, n_rows = (table[c].to_numpy().astype("int64") for c in ("_cx_solved", "_cx_hit", "_cx_rows"))
    keys = table[by_cols].reset_index(drop=True) if by_cols else None
    return _share_result(keys, n, k, n_rows, level=level, min_base=min_base, what=what, resolved=resolved)


def _elapsed_us(lazy: Any, start: str, stop: str) -> tuple[Any, Any]:
    """The frame and the expression of ``stop − start`` in µs (on Spark from the native
    ``unix_micros``: narwhals has no durations in µs there)."""
    import narwhals as nw

    if lazy.implementation.is_spark_like():
        F = spark_functions(lazy)  # noqa: N806 - Spark's own convention (Connect's module for a Connect frame)

        native = lazy.to_native()
        native = native.withColumn("_cx_us", F.unix_micros(native[stop]) - F.unix_micros(native[start]))
        return nw.from_native(native), nw.col("_cx_us")
    return lazy, (naive(lazy, stop) - naive(lazy, start)).dt.total_microseconds()


def _interval_ranks(n: int, qs: tuple, level: float) -> dict:
    """:func:`cxlib.helpdesk._order_statistic_ranks` per quantile (a binomial cdf over
    n + 1 points each: computed once, for the ranks to fetch and for the rows)."""
    return {q: _order_statistic_ranks(n, q, level) for q in qs} if n else {}


def _needed_ranks(n: int, qs: tuple, ranks_of: dict) -> set[int]:
    """The 1-based order statistics the quantiles of ``n`` times read: the two around each
    type-7 point and the interval's bounds."""
    ranks: set[int] = set()
    for q in qs:
        if n == 0:
            continue
        lo, hi, _ = ranks_of[q]
        f = int(np.floor(q * (n - 1)))
        ranks |= {r for r in (f + 1, f + 2, lo, hi) if 1 <= r <= n}
    return ranks


def _rows_from_ranks(x: dict[int, float], n: int, qs: tuple, level: float,
                     ranks_of: dict | None = None) -> list[dict]:
    """The rows of :func:`cxlib.helpdesk._quantile_rows` from the needed order statistics:
    the type-7 point ``x_(f+1) + γ (x_(f+2) − x_(f+1))`` computed by numpy on those two
    values, as ``np.quantile`` computes it on all of them (checked equal in the tests)."""
    rows = []
    for q in qs:
        if n == 0:
            rows.append(dict(quantile=q, estimate=np.nan, ci_low=np.nan, ci_high=np.nan,
                             rank_low=0, rank_high=1, coverage=np.nan))
            continue
        lo, hi, cov = (ranks_of or _interval_ranks(n, qs, level))[q]
        h = q * (n - 1)
        f = int(np.floor(h))
        point = x[f + 1] if f + 1 >= n else float(np.quantile(np.array([x[f + 1], x[f + 2]]), h - f))
        rows.append(dict(quantile=q, estimate=float(point), ci_low=x[lo] if lo >= 1 else np.nan,
                         ci_high=x[hi] if hi <= n else np.nan, rank_low=lo, rank_high=hi, coverage=cov))
    return rows


def _order_statistics(lazy: Any, us: Any, stop: str, by_cols: list[str], table: pd.DataFrame,
                      needed: list[set[int]]) -> list[dict[int, float]]:
    """Per group, the times (µs) at the needed ranks: ranked in the engine within each
    group, only those rows fetched."""
    import narwhals as nw

    timed = lazy.filter(~nw.col(stop).is_null()).with_columns(_cx_x=us)
    rank = nw.col("_cx_x").rank("ordinal")
    timed = timed.with_columns(_cx_rank=rank.over(*by_cols) if by_cols else rank)
    keep = None
    for j, ranks in enumerate(needed):
        if not ranks:
            continue
        cond = nw.col("_cx_rank").is_in(sorted(ranks))
        for col in by_cols:
            value = table[col].iloc[j]
            cond = cond & (nw.col(col) == (value.item() if hasattr(value, "item") else value))
        keep = cond if keep is None else keep | cond
    out: list[dict[int, float]] = [{} for _ in needed]
    if keep is None:
        return out
    got = collect(timed.filter(keep).select(*by_cols, "_cx_rank", "_cx_x"))
    index = pd.MultiIndex.from_frame(table[by_cols]) if by_cols else None
    where = index.get_indexer(pd.MultiIndex.from_frame(got[by_cols])) if by_cols else np.zeros(len(got), dtype=int)
    for j, r, x in zip(where, got["_cx_rank"].to_numpy(), got["_cx_x"].to_numpy(dtype=float)):
        out[j][int(r)] = x
    return out


def durations(tickets: Any, *, created: str, end: str, end_argument: str, quantiles: Any, unit: str, by: Any,
              confidence_level: float, min_base: int, metric: str):
    """The engine form of :func:`cxlib.helpdesk._durations`: the same checks; per group the
    counts and only the order statistics the quantiles and intervals read."""
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    qs = _check_quantiles(quantiles)
    if unit not in _UNITS:
        raise CXDataError(f"`unit`={unit!r} is not supported; use one of {list(_UNITS)}")
    by_cols = [] if by is None else column_list(by, argument="by")
    engines.check_columns(tickets, by_cols, argument="by")
    engines.check_columns(tickets, [created], argument="created")
    engines.check_columns(tickets, [end], argument=end_argument)
    lazy = frame(tickets)
    check_dates(lazy, [created, end])
    start, stop = naive(lazy, created), naive(lazy, end)
    count = engines._count
    table = engines._aggregate(lazy, by_cols, {"_cx_no_start": count(start.is_null()),
                                               "_cx_order": count(~stop.is_null() & ~start.is_null() & (stop < start)),
                                               "_cx_timed": count(~stop.is_null())})
    if int(table["_cx_rows"].sum()) == 0:
        raise CXDataError("`tickets` has no rows: nothing to analyse")
    if table["_cx_no_start"].sum() > 0:
        raise CXDataError(f"column {created!r} is missing in {int(table['_cx_no_start'].sum())} row(s) (an engine "
                          "table has no row labels); every ticket needs a creation time")
    if table["_cx_order"].sum() > 0:
        raise CXDataError(f"column {end!r} is earlier than {created!r} in {int(table['_cx_order'].sum())} row(s) "
                          "(an engine table has no row labels); fix the dates or drop those rows")
    if by_cols:
        table = sorted_groups(table, by_cols)
    n, n_rows = table["_cx_timed"].to_numpy().astype(np.int64), table["_cx_rows"].to_numpy().astype(np.int64)
    ranks_of = [_interval_ranks(int(k), qs, level) for k in n]
    needed = [_needed_ranks(int(k), qs, r) for k, r in zip(n, ranks_of)]
    lazy, us = _elapsed_us(lazy, created, end)
    per_unit = pd.Timedelta(1, _UNITS[unit]) / pd.Timedelta(1, "us")
    values = [{r: v / per_unit for r, v in got.items()}
              for got in _order_statistics(lazy, us, end, by_cols, table, needed)]
    keys = table[by_cols].reset_index(drop=True) if by_cols else None
    return _duration_result(keys, lambda j: _rows_from_ranks(values[j], int(n[j]), qs, level, ranks_of[j]), n, n_rows,
                            level=level, min_base=min_base, metric=metric, unit=unit, end=end)
