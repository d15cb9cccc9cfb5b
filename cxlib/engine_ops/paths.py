"""The most frequent paths (variants) of an event log held by an engine (polars, pyarrow, DuckDB, Spark).

The events are cut into journeys inside the engine by the same window functions as the
engine's directly-follows counts (:func:`cxlib.engine_ops.journeys.cut`, the rules of
:func:`cxlib.journeys`); a running count of the journey openings over each customer's
events numbers the journeys. Each journey's path is then written inside the engine with the
engine's own *ordered* string aggregation — narwhals has none — in the window's order
(time, then step):

- DuckDB: ``string_agg(step, ' > ' order by time, step)``;
- polars: the events sorted by (customer, time, step), then ``col(step).str.join(' > ')`` in
  ``group_by().agg()`` (polars keeps the row order within each group);
- Spark: ``array_join(transform(array_sort(collect_list(struct(time, step))), x -> x.step), ' > ')``;

(pyarrow tables are scanned by DuckDB, as everywhere in :mod:`cxlib.engines`). The engine
then counts the journeys per path and returns only the ``top`` most frequent paths (count
descending, then path) with the number of journeys and of distinct paths;
:func:`cxlib.journeys.paths._variants_result` finishes with the pandas path's table (shares
with Wilson intervals, cumulative shares).

An engine table has no row order: events of one customer at the same time are ordered by
their step (text order; a categorical or non-text step is compared as text), where the
pandas path keeps their order in the log — the two agree when the log's same-time events
are in step order (e.g. sorted by customer, time and step). Text is compared by code point
in all three engines and in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_confidence_level
from ..errors import CXDataError
from ..journeys.build import PATH_SEPARATOR
from ..journeys.paths import PathVariants, _check_top, _variants_result
from .common import schema, sql_name
from .journeys import cut, prepared

#: Column names of the engine's small result.
_PATH, _STEPS, _COUNT, _JOURNEYS, _PATHS = "_cx_path", "_cx_steps", "_cx_count", "_cx_journeys", "_cx_paths"


def _numbered(events: Any, options: dict) -> tuple[Any, str, str, str]:
    """The checked events with ``_cx_journey``, the journey's number within its customer
    (the running count of journey openings in the window order)."""
    import narwhals as nw

    lazy, customer, time, step, gap_ns, starts, ends = prepared(events, options, "path_variants")
    if schema(lazy)[step] != nw.String:  # paths are text; ties are broken in text order everywhere
        lazy = lazy.with_columns(nw.col(step).cast(nw.String))
    lazy, window = cut(lazy, customer, time, step, gap_ns, starts, ends)
    lazy = lazy.with_columns(_cx_journey=nw.col("_cx_new").cast(nw.Int64).cum_sum().over(customer, **window))
    return lazy, customer, time, step


def _duckdb_variants(relation: Any, customer: str, time: str, step: str, top: int | None) -> pd.DataFrame:
    c, t, s = sql_name(customer), sql_name(time), sql_name(step)
    sep = PATH_SEPARATOR.replace("'", "''")
    limit = "" if top is None else f" limit {int(top)}"
    sql = f"""
        with j as (select string_agg({s}, '{sep}' order by {t}, {s}) as {_PATH}, count(*) as {_STEPS}
                   from _cx_events group by {c}, _cx_journey),
             v as (select {_PATH}, max({_STEPS}) as {_STEPS}, count(*) as {_COUNT} from j group by {_PATH})
        select *, sum({_COUNT}) over () as {_JOURNEYS}, count(*) over () as {_PATHS}
        from v order by {_COUNT} desc, {_PATH}{limit}"""
    return relation.query("_cx_events", sql).df()


def _polars_variants(frame: Any, customer: str, time: str, step: str, top: int | None) -> pd.DataFrame:
    import polars as pl

    # one sort of all events, then each group's rows in that order (polars keeps the row order
    # within groups): faster than a sort_by per journey inside the aggregation
    journeys = frame.sort([customer, time, step]).group_by([customer, "_cx_journey"], maintain_order=True).agg(
        pl.col(step).str.join(PATH_SEPARATOR).alias(_PATH), pl.len().alias(_STEPS))
    variants = journeys.group_by(_PATH).agg(pl.col(_STEPS).max(), pl.len().alias(_COUNT))
    out = variants.with_columns(pl.col(_COUNT).sum().alias(_JOURNEYS), pl.len().alias(_PATHS)).sort(
        [_COUNT, _PATH], descending=[True, False])
    if top is not None:
        out = out.head(int(top))
    return out.collect().to_pandas()


def _spark_variants(frame: Any, customer: str, time: str, step: str, top: int | None) -> pd.DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    ordered = F.array_sort(F.collect_list(F.struct(F.col(time).alias("t"), F.col(step).alias("s"))))
    journeys = frame.groupBy(customer, "_cx_journey").agg(
        F.array_join(F.transform(ordered, lambda x: x["s"]), PATH_SEPARATOR).alias(_PATH),
        F.count(F.lit(1)).alias(_STEPS))
    variants = journeys.groupBy(_PATH).agg(F.max(_STEPS).alias(_STEPS), F.count(F.lit(1)).alias(_COUNT))
    everything = Window.partitionBy()
    out = variants.select("*", F.sum(_COUNT).over(everything).alias(_JOURNEYS),
                          F.count(F.lit(1)).over(everything).alias(_PATHS))
    out = out.orderBy(F.col(_COUNT).desc(), F.col(_PATH).asc())
    if top is not None:
        out = out.limit(int(top))
    return out.toPandas()


def _variant_counts(events: Any, options: dict, top: int | None) -> pd.DataFrame:
    """Per path (the ``top`` most frequent, count descending then path): its steps, its
    journeys, and all journeys and distinct paths — computed in the engine."""
    lazy, customer, time, step = _numbered(events, options)
    native, impl = lazy.to_native(), lazy.implementation
    if impl.is_duckdb():
        return _duckdb_variants(native, customer, time, step, top)
    if impl.is_polars():
        return _polars_variants(native, customer, time, step, top)
    if impl.is_pyspark() or impl.is_pyspark_connect():
        return _spark_variants(native, customer, time, step, top)
    raise CXDataError(f"path_variants on an engine table runs on polars, pyarrow, DuckDB and Spark tables, not "
                      f"{impl}: convert the events to one of those (or to pandas and use cx.journeys)")


def path_variants(events: Any, *, top: int | None = 10, confidence_level: float = 0.95,
                  **options: Any) -> PathVariants:
    """The engine form of :func:`cxlib.path_variants` on an event log (same table).

    ``options`` are those of :func:`cxlib.journeys` that cut the journeys (``customer``,
    ``time``, ``step``, ``gap``, ``start_steps``, ``end_steps``).

    Examples
    --------
    >>> import polars as pl, cxlib as cx
    >>> ev = pl.DataFrame({"customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pl.Series(["2026-01-01", "2026-01-02"] * 2 + ["2026-01-01"]).str.to_datetime(),
    ...     "touchpoint": ["login", "invoice", "login", "invoice", "login"]})
    >>> cx.path_variants(ev).table[["path", "count", "estimate", "n"]].round(3)
                  path  count  estimate  n
    0  login > invoice      2     0.667  3
    1            login      1     0.333  3
    """
    level = check_confidence_level(confidence_level)
    top = _check_top(top)
    table = _variant_counts(events, options, top)
    if table.empty:  # no rows is refused by the checks; kept for safety
        raise CXDataError("`events` has no journeys: nothing to analyse")
    names = table[_PATH].to_numpy(dtype=object)
    counts, n_steps = table[_COUNT].to_numpy(dtype=np.int64), table[_STEPS].to_numpy(dtype=np.int64)
    n, n_paths = int(table[_JOURNEYS].iloc[0]), int(table[_PATHS].iloc[0])
    order = np.lexsort((names, -counts))  # the engines' order already; Python's, to be sure
    return _variants_result(names[order], n_steps[order], counts[order], n, n_paths, top, level)
