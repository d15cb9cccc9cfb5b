"""Paths through journeys: the most frequent variants, the directly-follows table, and the
steps where failing journeys diverge from the rest.

All three read a :class:`~cxlib.journeys.build.Journeys` (from :func:`cxlib.journeys`);
counts are exact (bincounts over step codes), shares carry Wilson score intervals
(:func:`~cxlib.core.inference.share_interval`), and the divergence tests are adjusted for
multiple testing across steps (:func:`~cxlib.core.inference.adjust_p_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import (
    check_confidence_level,
)
from ..core.inference import (
    share_interval,
)
from ..errors import CXDataError
from .build import Journeys

#: Pseudo-steps of the directly-follows table: before the first and after the last step.
START, END = "(start)", "(end)"


def _check_journeys(journeys: Any) -> Journeys:
    if not isinstance(journeys, Journeys):
        raise CXDataError(f"`journeys` must be the result of cx.journeys(...), got {type(journeys).__name__}")
    if len(journeys) == 0:
        raise CXDataError("`journeys` has no journeys: nothing to analyse")
    return journeys


@dataclass(frozen=True, eq=False)
class PathVariants:
    """The most frequent paths (result of :func:`path_variants`).

    Attributes
    ----------
    table : DataFrame
        ``rank, path, n_steps, count, estimate`` (share of all journeys), ``ci_low,
        ci_high, n`` (all journeys), ``cumulative`` (share covered by this and the more
        frequent paths), in descending order of count (ties by path).
    n_journeys, n_paths : int
        Journeys and distinct paths in all.
    confidence_level : float
    """

    table: pd.DataFrame
    n_journeys: int
    n_paths: int
    confidence_level: float

    def to_frame(self) -> pd.DataFrame:
        """The variants table (a copy)."""
        return self.table.copy()


def path_variants(journeys: Journeys, *, top: int | None = 10, confidence_level: float = 0.95,
                  **journey_options: Any) -> PathVariants:
    """The most frequent paths with their counts and shares of all journeys.

    Parameters
    ----------
    journeys : Journeys, or an event log held by an engine
        The result of :func:`cxlib.journeys`; or a polars, pyarrow, DuckDB or Spark table of
        events, cut into journeys inside that engine with the options of
        :func:`cxlib.journeys` given as keywords (``customer``, ``time``, ``step``, ``gap``,
        ``start_steps``, ``end_steps``), each journey's path written and the variants
        counted there (:mod:`cxlib.engine_ops.paths`); only the ``top`` paths come to
        Python. Same-time events of a customer are ordered by step there (an engine
        table has no row order; the pandas path keeps the log's order).
    top : int or None, default 10
        How many variants to keep (None: all).
    confidence_level : float, default 0.95

    Returns
    -------
    PathVariants

    Notes
    -----
    A *variant* is a distinct sequence of steps (process mining's trace variant). Its share
    is ``count / n`` over all ``n`` journeys, with a Wilson (1927) score interval.

    References
    ----------
    van der Aalst, W. M. P. (2016). *Process Mining: Data Science in Action*, §2.3 (variants).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"] * 2 + ["2026-01-01"]),
    ...     "touchpoint": ["login", "invoice", "login", "invoice", "login"]})
    >>> cx.path_variants(cx.journeys(ev)).table[["path", "count", "estimate", "n"]].round(3)
                  path  count  estimate  n
    0  login > invoice      2     0.667  3
    1            login      1     0.333  3
    """
    if engines.is_engine_frame(journeys):  # an event log in polars, pyarrow, DuckDB, Spark
        from ..engine_ops.paths import path_variants as engine_path_variants

        return engine_path_variants(journeys, top=top, confidence_level=confidence_level, **journey_options)
    if journey_options:
        raise CXDataError(f"unexpected option(s) {sorted(journey_options)}: options of cx.journeys are given "
                          "here only with an engine table of events; pass them to cx.journeys(...)")
    j = _check_journeys(journeys)
    level = check_confidence_level(confidence_level)
    top = _check_top(top)
    path = j.table["path"]
    codes = path.cat.codes.to_numpy()
    counts = np.bincount(codes, minlength=len(path.cat.categories))
    n_steps = np.zeros(len(counts), dtype=np.int64)
    n_steps[codes] = j.table["n_steps"].to_numpy()
    names = np.asarray(path.cat.categories, dtype=object)
    order = np.lexsort((names, -counts))
    order = order[counts[order] > 0]
    return _variants_result(names[order], n_steps[order], counts[order], len(path), len(order), top, level)


def _check_top(top: Any) -> int | None:
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise CXDataError(f"`top`={top!r} must be a whole number >= 1, or None for every path")
    return None if top is None else int(top)


def _variants_result(names: np.ndarray, n_steps: np.ndarray, counts: np.ndarray, n: int, n_paths: int,
                     top: int | None, level: float) -> PathVariants:
    """The table from the variants in rank order (count descending, then path) — all of them
    or at least the ``top`` first (shared with the engine path, :mod:`cxlib.engine_ops.paths`):
    ``n`` journeys and ``n_paths`` distinct paths in all."""
    if top is not None:
        names, n_steps, counts = names[:top], n_steps[:top], counts[:top]
    p, _, lo, hi = share_interval(counts, np.full(len(counts), n), level)
    table = pd.DataFrame({"rank": np.arange(1, len(counts) + 1), "path": names, "n_steps": n_steps,
                          "count": counts.astype(np.int64), "estimate": p, "ci_low": lo, "ci_high": hi,
                          "n": n, "cumulative": np.cumsum(counts) / n})
    return PathVariants(table=table, n_journeys=n, n_paths=n_paths, confidence_level=level)


@dataclass(frozen=True, eq=False)
class DirectlyFollows:
    """Step → next step within journeys (result of :func:`directly_follows`).

    Attributes
    ----------
    table : DataFrame
        ``from_step, to_step, count, estimate`` (share of the transitions out of
        ``from_step`` that go to ``to_step``), ``ci_low, ci_high, n`` (transitions out of
        ``from_step``), ``median_time`` (median time between the two events; NaT for the
        ``(start)`` and ``(end)`` pseudo-steps).
    confidence_level : float
    """

    table: pd.DataFrame
    confidence_level: float

    def to_frame(self) -> pd.DataFrame:
        """The directly-follows table (a copy)."""
        return self.table.copy()


def directly_follows(journeys: Journeys, *, ends: bool = True, confidence_level: float = 0.95,
                     **journey_options: Any) -> DirectlyFollows:
    """The directly-follows table: how often each step is followed by each other step.

    Parameters
    ----------
    journeys : Journeys, or an event log held by an engine
        The result of :func:`cxlib.journeys`; or a polars, pyarrow, DuckDB or Spark table of
        events, cut into journeys inside that engine (window functions over each customer's
        events in time order, :mod:`cxlib.engine_ops.journeys`) with the options of
        :func:`cxlib.journeys` given as keywords (``customer``, ``time``, ``step``, ``gap``,
        ``start_steps``, ``end_steps``); only the pair counts come to Python.
    ends : bool, default True
        Add the pseudo-steps ``"(start)"`` → first step and last step → ``"(end)"``, so the
        share of a step's transitions that go to ``"(end)"`` is where journeys stop.
    confidence_level : float, default 0.95

    Returns
    -------
    DirectlyFollows

    Notes
    -----
    For consecutive events *i*, *i + 1* of the same journey, the pair (step_i, step_i+1)
    is counted (the directly-follows graph of process mining); the share of a pair among
    all transitions out of step_i is a Wilson score interval on that base; the time
    between is ``time_{i+1} − time_i``, summarised by its median.

    References
    ----------
    van der Aalst, W. M. P. (2016). *Process Mining: Data Science in Action*, §6.4
    (directly-follows graphs).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 1],
    ...     "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 12:00", "2026-01-02 10:00"]),
    ...     "touchpoint": ["login", "ticket_opened", "login"]})
    >>> df = cx.directly_follows(cx.journeys(ev), ends=False).table
    >>> df[["from_step", "to_step", "count", "median_time"]]
           from_step        to_step  count     median_time
    0          login  ticket_opened      1 0 days 02:00:00
    1  ticket_opened          login      1 0 days 22:00:00
    """
    if engines.is_engine_frame(journeys):  # an event log in polars, pyarrow, DuckDB, Spark
        from ..engine_ops.journeys import directly_follows as engine_directly_follows

        return engine_directly_follows(journeys, ends=ends, confidence_level=confidence_level, **journey_options)
    if journey_options:
        raise CXDataError(f"unexpected option(s) {sorted(journey_options)}: options of cx.journeys are given "
                          "here only with an engine table of events; pass them to cx.journeys(...)")
    j = _check_journeys(journeys)
    level = check_confidence_level(confidence_level)
    ev = j.events
    step = ev["step"].cat.codes.to_numpy().astype(np.int64)
    labels = list(ev["step"].cat.categories)
    jid = ev["journey_id"].to_numpy()
    t = ev["time"].to_numpy().view(np.int64)
    same = jid[1:] == jid[:-1]
    src, dst = step[:-1][same], step[1:][same]
    dt = (t[1:] - t[:-1])[same].astype(float)
    if ends:
        start_code, end_code = len(labels), len(labels) + 1
        labels = labels + [START, END]
        first = ev["position"].to_numpy() == 0
        last = np.r_[~same, True]
        src = np.r_[src, np.full(int(first.sum()), start_code), step[last]]
        dst = np.r_[dst, step[first], np.full(int(last.sum()), end_code)]
        dt = np.r_[dt, np.full(int(first.sum()) + int(last.sum()), np.nan)]
    width = len(labels)
    pair = src * width + dst
    grouped = pd.Series(dt).groupby(pair, sort=True)
    count = grouped.size()
    median = grouped.median()
    codes = count.index.to_numpy()
    out_n = np.bincount(src, minlength=width)[codes // width]
    names = np.asarray(labels, dtype=object)
    return _follows_result(names[codes // width], names[codes % width], count.to_numpy(), out_n, median.to_numpy(),
                           level)


def _follows_result(from_step: np.ndarray, to_step: np.ndarray, count: np.ndarray, n: np.ndarray,
                    median_ns: np.ndarray, level: float) -> DirectlyFollows:
    """The table from the pair counts (shared with the engine path, :mod:`cxlib.engine_ops.journeys`):
    ``n`` is the number of transitions out of each pair's ``from_step``, ``median_ns`` the median
    time between the two events in nanoseconds (NaN for the pseudo-steps)."""
    p, _, lo, hi = share_interval(count, n, level)
    table = pd.DataFrame({"from_step": from_step, "to_step": to_step,
                          "count": count.astype(np.int64), "estimate": p, "ci_low": lo, "ci_high": hi,
                          "n": n.astype(np.int64), "median_time": pd.to_timedelta(median_ns, unit="ns")})
    table = table.sort_values(["from_step", "count", "to_step"], ascending=[True, False, True], kind="stable")
    return DirectlyFollows(table=table.reset_index(drop=True), confidence_level=level)
