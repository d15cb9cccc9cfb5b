"""The directly-follows counts of an event log held by an engine (polars, pyarrow, DuckDB, Spark).

The events are cut into journeys inside the engine exactly as :func:`cxlib.journeys` cuts a
pandas log, with window functions over each customer's events in time order
(``lag``/``lead`` … ``over (partition by customer order by time)``): an event opens a
journey when it is the customer's first, when the pause since the previous event exceeds
``gap``, when it is a start step, or when the previous event is an end step. One grouped
aggregation then counts the pairs (previous step, step) inside journeys, the journeys'
first steps (``(start)`` → step) and last steps (step → ``(end)``) with the median time
between the two events; :func:`cxlib.journeys.paths._follows_result` finishes (shares with
Wilson intervals, the pandas table's order). The cut (:func:`cut`) and the checks of the
options (:func:`prepared`) serve the path variants too (:mod:`cxlib.engine_ops.paths`).

An engine table has no row order: events of one customer at the same time are ordered by
their step (the pandas path keeps their order in the log). Times are compared in
microseconds (Spark's resolution).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import check_confidence_level
from ..errors import CXDataError
from ..journeys.build import _gap, _step_set, _steps
from ..journeys.paths import END, START, _follows_result
from .common import check_dates, collect, frame, naive, spark_functions

#: The options of :func:`cxlib.journeys` that decide where journeys start and end.
JOURNEY_OPTIONS = ("customer", "time", "step", "gap", "start_steps", "end_steps")


def _checked(events: Any, customer: str, time: str, step: str) -> tuple[Any, pd.Index]:
    """The lazy frame after the checks of :func:`cxlib.journeys`, and the sorted steps."""
    import narwhals as nw

    for argument, name in (("customer", customer), ("time", time), ("step", step)):
        engines.check_columns(events, [name], argument=argument)
    lazy = frame(events)
    check_dates(lazy, [time])
    nulls = engines._aggregate(lazy, [], {f"_cx_{a}": engines._count(nw.col(c).is_null())
                                          for a, c in (("time", time), ("customer", customer), ("step", step))})
    if int(nulls["_cx_rows"].iloc[0]) == 0:
        raise CXDataError("`events` has no rows: nothing to analyse")
    for argument, name in (("time", time), ("customer", customer), ("step", step)):
        n = int(nulls[f"_cx_{argument}"].iloc[0])
        if n:
            raise CXDataError(f"`{argument}` column {name!r} has {n} missing value(s); "
                              "every event needs one (drop or fill those rows)")
    labels = collect(lazy.select(step).unique())[step]
    return lazy, pd.Index(np.sort(labels.to_numpy()))


def _microseconds_since_previous(lazy: Any, customer: str, time: str, window: dict) -> Any:
    """The pause since the customer's previous event in µs (narwhals has no duration in µs
    on Spark: there the native ``unix_micros`` of both times, then their difference)."""
    import narwhals as nw

    if lazy.implementation.is_spark_like():
        F = spark_functions(lazy)  # noqa: N806 - Spark's own convention (Connect's module for a Connect frame)

        native = lazy.to_native()
        lazy = nw.from_native(native.withColumn("_cx_us", F.unix_micros(native[time])))
        us = nw.col("_cx_us")
        return lazy, us - us.shift(1).over(customer, **window)
    t = naive(lazy, time)
    return lazy, (t - t.shift(1).over(customer, **window)).dt.total_microseconds()


def cut(lazy: Any, customer: str, time: str, step: str, gap_ns: int, starts: tuple, ends: tuple) -> tuple[Any, dict]:
    """The events with the journey cuts of :func:`cxlib.journeys`, computed in the engine:
    ``_cx_prev`` (the customer's previous step), ``_cx_dt`` (µs since the previous event)
    and ``_cx_new`` (the event opens a journey); and the window order (time, then step)
    that every later window or ordered aggregation over a customer's events must use."""
    import narwhals as nw

    window = dict(order_by=[time, step])
    lazy, pause = _microseconds_since_previous(lazy, customer, time, window)
    lazy = lazy.with_columns(_cx_prev=nw.col(step).shift(1).over(customer, **window), _cx_dt=pause)
    prev = nw.col("_cx_prev")
    new = prev.is_null() | (nw.col("_cx_dt") > gap_ns / 1000)
    if starts:
        new = new | nw.col(step).is_in(list(starts))
    if ends:
        new = new | prev.is_in(list(ends))
    return lazy.with_columns(_cx_new=new), window


def _pair_counts(lazy: Any, customer: str, time: str, step: str, gap_ns: int, starts: tuple,
                 ends: tuple) -> pd.DataFrame:
    """Per (previous step in the journey, step): events, median µs between them, journeys
    ending at the step. A missing previous step is a journey's first event."""
    import narwhals as nw

    lazy, window = cut(lazy, customer, time, step, gap_ns, starts, ends)
    prev = nw.col("_cx_prev")
    lazy = lazy.with_columns(_cx_last=nw.col("_cx_new").shift(-1).over(customer, **window).fill_null(True),
                             _cx_src=nw.when(~nw.col("_cx_new")).then(prev),
                             _cx_gap=nw.when(~nw.col("_cx_new")).then(nw.col("_cx_dt")))
    out = lazy.group_by(["_cx_src", step], drop_null_keys=False).agg(
        nw.len().alias("count"), nw.col("_cx_gap").median().alias("median_us"),
        engines._count(nw.col("_cx_last")).alias("ending"))
    return collect(out)


def prepared(events: Any, options: dict, function: str) -> tuple[Any, str, str, str, int, tuple, tuple]:
    """The checked lazy frame and the journey options (``customer, time, step, gap_ns,
    start steps, end steps`` that occur) of an engine call of ``function``, with the errors
    of :func:`cxlib.journeys`."""
    unknown = sorted(set(options) - set(JOURNEY_OPTIONS))
    if unknown:
        raise CXDataError(f"unexpected option(s) {unknown} for {function} on an engine table; the options of "
                          f"cx.journeys that cut the journeys are {list(JOURNEY_OPTIONS)}")
    customer, time = options.get("customer", "customer_id"), options.get("time", "timestamp")
    step = options.get("step", "touchpoint")
    gap_ns = _gap(options.get("gap", "7D"))
    start_steps, end_steps = _steps(options.get("start_steps"), "start_steps"), _steps(options.get("end_steps"),
                                                                                    "end_steps")
    lazy, labels = _checked(events, customer, time, step)
    _step_set(labels, start_steps, "start_steps")  # the errors of cx.journeys for unknown steps
    _step_set(labels, end_steps, "end_steps")
    known = set(labels)
    return (lazy, customer, time, step, gap_ns, tuple(s for s in start_steps if s in known),
            tuple(s for s in end_steps if s in known))


def directly_follows(events: Any, *, ends: bool = True, confidence_level: float = 0.95, **options: Any):
    """The engine form of :func:`cxlib.directly_follows` on an event log (same table)."""
    level = check_confidence_level(confidence_level)
    lazy, customer, time, step, gap_ns, starts, ends_ = prepared(events, options, "directly_follows")
    table = _pair_counts(lazy, customer, time, step, gap_ns, starts, ends_)
    inner = table.loc[table["_cx_src"].notna()]
    src, dst = list(inner["_cx_src"]), list(inner[step])
    count, median = list(inner["count"]), list(inner["median_us"].to_numpy(dtype=float) * 1000.0)
    if ends:
        first = table.loc[table["_cx_src"].isna()].groupby(step, sort=True)["count"].sum()
        last = table.groupby(step, sort=True)["ending"].sum()
        last = last[last > 0]
        src += [START] * len(first) + list(last.index)
        dst += list(first.index) + [END] * len(last)
        count += list(first.to_numpy()) + list(last.to_numpy())
        median += [np.nan] * (len(first) + len(last))
    src_arr, count_arr = np.asarray(src, dtype=object), np.asarray(count, dtype=np.int64)
    out_n = pd.Series(count_arr).groupby(src_arr).transform("sum").to_numpy()
    return _follows_result(src_arr, np.asarray(dst, dtype=object), count_arr, out_n, np.asarray(median, dtype=float),
                           level)
