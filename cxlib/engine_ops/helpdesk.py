"""Reopen rate and first-contact resolution on an engine table (polars, pyarrow, DuckDB, Spark).

One grouped aggregation counts per group the tickets, the solved tickets (the solve
timestamp present), those with the property (reopened at least once; exactly one
contact), and the input problems (counts that are not whole numbers >= 0; solved tickets
without a count); :func:`cxlib.helpdesk._share_result` then computes the rates and their
Wilson intervals exactly as for pandas. The time quantiles (first response, resolution)
need every sorted time of a group and are not computed in the engine: they raise a
:class:`~cxlib.CXDataError` that says how to proceed.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import engines
from ..core.checks import check_confidence_level, check_min_base, column_list
from ..errors import CXDataError
from ..helpdesk import _share_result
from .common import bad_count_flag, check_counts_dtype, check_dates, frame, raise_bad_counts, sorted_groups


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


def durations(tickets: Any, *, metric: str, **_: Any):
    """Time quantiles are not computed in an engine: a clear error with the remedy."""
    raise CXDataError(
        f"{metric} on a {type(tickets).__module__.split('.')[0]} table: the quantiles and their order-statistic "
        "intervals need each group's sorted times, which cxlib computes in pandas only; select the columns "
        "it needs and convert (e.g. `table.select(['created_at', 'first_response_at', 'channel']).to_pandas()`), "
        "or use the counts that run in the engine (cx.reopen_rate, cx.first_contact_resolution)")
