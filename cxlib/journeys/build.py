"""Journeys from an event log: :func:`journeys` cuts each customer's events into journeys.

A *journey* is a run of one customer's events, in time order, that is not interrupted by
more than ``gap`` of inactivity; a declared start step opens a new journey and a declared
end step closes one. Everything is vectorised over the whole log (one sort, then shifts,
cumulative sums and ``reduceat`` over journey boundaries); paths are built as a trie of
step codes, level by level, so identical paths are recognised exactly without joining
strings per journey.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import as_datetimes, check_columns, check_frame, show_values
from ..errors import CXDataError
from ..grouping import _factorize_objects  # the by-object factorization of text keys (exact, faster)

#: The outcome labels of a journey, in the order of the ``outcome`` categorical.
OUTCOMES = ("goal", "failure", "open")

#: How a path is written: the steps joined by this separator.
PATH_SEPARATOR = " > "


@dataclass(frozen=True, eq=False)
class Journeys:
    """Journeys cut from an event log (the result of :func:`journeys`).

    Attributes
    ----------
    table : DataFrame
        One row per journey: ``journey_id`` (1, 2, … in customer then time order), the
        customer column, ``start``, ``end``, ``duration``, ``n_steps``, ``first_step``,
        ``last_step``, ``path`` (categorical: the steps joined by ``" > "``), with a
        channel column also ``channels`` (the distinct channels, sorted, joined by
        ``" + "``), ``n_channels``, ``n_switches`` (changes of channel between consecutive
        events) and ``switched`` (``n_channels > 1``); then ``outcome`` (``goal``,
        ``failure`` or ``open``).
    events : DataFrame
        The events in journey order: ``journey_id``, ``position`` (0 for the first event
        of its journey), the customer, ``time``, ``step`` and (with a channel) ``channel``.
    customer, time, step, channel : str
        The column names of the event log.
    gap : Timedelta
        The inactivity gap that starts a new journey.
    start_steps, end_steps, goal_steps, failure_steps : tuple of str
        The declared steps.
    """

    table: pd.DataFrame
    events: pd.DataFrame
    customer: str
    time: str
    step: str
    channel: str | None
    gap: pd.Timedelta
    start_steps: tuple
    end_steps: tuple
    goal_steps: tuple
    failure_steps: tuple

    def __len__(self) -> int:
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        """The journey table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.table.head(20).to_html(index=False)


def _steps(values: Any, argument: str) -> tuple:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    if not isinstance(values, Iterable):
        raise CXDataError(f"`{argument}` must be a step or a list of steps, got {values!r}")
    return tuple(dict.fromkeys(values))


def _gap(gap: Any) -> int:
    try:
        td = pd.Timedelta(gap)
    except (TypeError, ValueError):
        raise CXDataError(f"`gap`={gap!r} is not a duration; use e.g. '7D', '30min' or pd.Timedelta(hours=4)") from None
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise CXDataError(f"`gap`={gap!r} must be a positive duration, e.g. '7D'")
    return int(td.value)


def _no_missing(values: pd.Series | np.ndarray, name: str, argument: str) -> None:
    """Refuse missing values (``values`` is a Series, or integer codes with -1 = missing)."""
    bad = values < 0 if isinstance(values, np.ndarray) else values.isna().to_numpy()
    if bad.any():
        raise CXDataError(f"`{argument}` column {name!r} has {int(bad.sum())} missing value(s); "
                          "every event needs one (drop or fill those rows)")


def _codes(values: pd.Series, name: str, argument: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes in sorted order of the values (categoricals reuse their codes; text
    is factorized by object first, as in :func:`cxlib.by_group`); missing values refused."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, levels = values.cat.codes.to_numpy(), values.cat.categories
    elif values.dtype == object:
        codes, levels = _factorize_objects(values)
    else:
        codes, levels = pd.factorize(values, sort=True)
    _no_missing(np.asarray(codes), name, argument)
    return np.asarray(codes).astype(np.int64), pd.Index(levels)


def _customer_codes(values: pd.Series, name: str) -> np.ndarray:
    """Codes that sort like the customers (whole-number ids are used as they are)."""
    if pd.api.types.is_integer_dtype(values.dtype) and not isinstance(values.dtype, pd.CategoricalDtype):
        _no_missing(values, name, "customer")
        return values.to_numpy(dtype=np.int64)
    return _codes(values, name, "customer")[0]


def _event_order(cust: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """The stable order by (customer, time), or None when the log is already in it."""
    same = cust[1:] == cust[:-1]
    if np.all((cust[1:] > cust[:-1]) | (same & (t[1:] >= t[:-1]))):
        return None
    return np.lexsort((t, cust))


def _step_set(labels: pd.Index, steps: tuple, argument: str) -> np.ndarray:
    """A boolean lookup over step codes: True for the declared ``steps``."""
    known = set(labels)
    unknown = [s for s in steps if s not in known]
    if steps and len(unknown) == len(steps):
        raise CXDataError(f"`{argument}`: none of {show_values(unknown)} occurs in the step column; "
                          f"steps seen: {show_values(labels)}")
    lut = np.zeros(len(labels) + 1, dtype=bool)
    lut[labels.get_indexer([s for s in steps if s in known])] = True
    return lut


def _trie_paths(step: np.ndarray, jid: np.ndarray, pos: np.ndarray, n_journeys: int) -> np.ndarray:
    """One integer per journey, equal for two journeys exactly when their step sequences are.

    Builds the trie of paths one level (position) at a time: the node of a journey after
    ``k + 1`` steps is the factorized pair (node after ``k`` steps, step ``k``).
    """
    n_levels = int(pos.max()) + 1 if len(pos) else 0
    by_level = np.argsort(pos.astype(np.uint16) if n_levels < 2 ** 16 else pos, kind="stable")
    bounds = np.searchsorted(pos[by_level], np.arange(n_levels + 1))
    width = int(step.max()) + 1
    node = np.zeros(n_journeys, dtype=np.int64)
    next_id = 1
    for k in range(n_levels):
        ev = by_level[bounds[k]:bounds[k + 1]]
        j = jid[ev]
        local, uniq = pd.factorize(node[j] * width + step[ev])
        node[j] = next_id + local
        next_id += len(uniq)
    return node


def _path_column(node: np.ndarray, first: np.ndarray, last: np.ndarray, step: np.ndarray,
                 labels: np.ndarray, sep: str) -> pd.Categorical:
    """The path of each journey as a categorical: one string per distinct path."""
    codes, uniq = pd.factorize(node)
    rep = np.zeros(len(uniq), dtype=np.int64)
    rep[codes[::-1]] = np.arange(len(node))[::-1]  # first journey with each path
    names = [sep.join(labels[step[first[r]:last[r] + 1]]) for r in rep]
    cats, remap = pd.Index(names), None
    if not cats.is_unique:  # a label containing the separator can make two paths read alike
        remap, cats = pd.factorize(np.asarray(names, dtype=object))
        codes = remap[codes]
    return pd.Categorical.from_codes(codes, categories=cats)


def _channel_columns(ch: np.ndarray, levels: pd.Index, jid: np.ndarray, first: np.ndarray,
                     new: np.ndarray, n_journeys: int) -> dict[str, Any]:
    """Distinct channels (bit mask per journey), their count, and channel switches."""
    if len(levels) > 62:
        raise CXDataError(f"the channel column has {len(levels)} distinct values; journeys supports "
                          "up to 62 channels (group rare channels first)")
    mask = np.bitwise_or.reduceat(np.left_shift(np.int64(1), ch), first)
    n_channels = np.bitwise_count(mask).astype(np.int64)
    switch = np.zeros(len(ch), dtype=bool)
    switch[1:] = (ch[1:] != ch[:-1]) & ~new[1:]
    n_switches = np.bincount(jid[switch], minlength=n_journeys).astype(np.int64)
    codes, uniq = pd.factorize(mask)
    names = [" + ".join(str(levels[b]) for b in range(len(levels)) if (int(m) >> b) & 1) for m in uniq]
    return {"channels": pd.Categorical.from_codes(codes, categories=pd.Index(names)),
            "n_channels": n_channels, "n_switches": n_switches, "switched": n_channels > 1}


def _outcomes(kind: np.ndarray, jid: np.ndarray, n_journeys: int) -> pd.Categorical:
    """Per journey: the kind of its last goal or failure event (2 = open when none)."""
    out = np.full(n_journeys, 2, dtype=np.int8)
    idx = np.flatnonzero(kind < 2)
    if len(idx):
        oj = jid[idx]
        last = np.r_[oj[1:] != oj[:-1], True]
        out[oj[last]] = kind[idx[last]]
    return pd.Categorical.from_codes(out, categories=list(OUTCOMES))


def _validated(events: Any, customer: str, time: str, step: str, channel: str | None):
    data = check_frame(events, argument="events")
    for arg, col in (("customer", customer), ("time", time), ("step", step), ("channel", channel)):
        if col is not None:
            check_columns(data, [col], argument=arg)
    t = as_datetimes(data[time], time)
    _no_missing(t, time, "time")
    return data, t.to_numpy(dtype="datetime64[ns]").view(np.int64)


def journeys(events: pd.DataFrame, *, customer: str = "customer_id", time: str = "timestamp",
             step: str = "touchpoint", channel: str | None = None, gap: Any = "7D",
             start_steps: Any = None, end_steps: Any = None, goal_steps: Any = None,
             failure_steps: Any = None) -> Journeys:
    """Cut each customer's events into journeys, with their paths, channels and outcomes.

    Parameters
    ----------
    events : DataFrame
        One row per event (an event log). Not modified.
    customer, time, step : str
        Columns: who, when (datetimes or parseable text) and what (the touchpoint or
        step). Missing values are refused.
    channel : str, optional
        Channel column; adds ``channels``, ``n_channels``, ``n_switches``, ``switched``.
    gap : duration, default "7D"
        A pause longer than ``gap`` between two events of a customer starts a new journey
        (anything ``pd.Timedelta`` reads: ``"7D"``, ``"30min"``, a Timedelta).
    start_steps, end_steps : step or list of steps, optional
        A start step always opens a new journey; an end step always closes its journey
        (the customer's next event opens a new one).
    goal_steps, failure_steps : step or list of steps, optional
        Outcome steps. A journey's ``outcome`` is the kind of its *last* outcome step
        (``"goal"`` or ``"failure"``), ``"open"`` when it has none.

    Returns
    -------
    Journeys
        ``.table`` (one row per journey; ``.to_frame()``) and ``.events`` (the events with
        their ``journey_id`` and ``position``).

    Raises
    ------
    CXDataError
        A column is missing or has missing values, times are not dates, ``gap`` is not a
        positive duration, none of a declared step list occurs, or a step is declared both
        a goal and a failure.

    Notes
    -----
    Events are ordered by customer and time (ties keep their order in ``events``). Event
    ``i`` opens a journey when it is the customer's first event, when
    ``time[i] − time[i−1] > gap``, when it is a start step, or when event ``i − 1`` is an
    end step; ``journey_id`` is the cumulative sum of those openings. ``duration`` is
    ``end − start``; a one-event journey lasts 0. This is sessionisation as in web
    analytics and process mining (van der Aalst 2016, ch. 5: cases from an event log).

    References
    ----------
    van der Aalst, W. M. P. (2016). *Process Mining: Data Science in Action* (2nd ed.).
    Springer.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-02-01", "2026-01-05"]),
    ...     "touchpoint": ["login", "ticket_opened", "login", "login"]})
    >>> j = cx.journeys(ev, gap="7D")
    >>> j.table[["journey_id", "customer_id", "n_steps", "path"]]
       journey_id  customer_id  n_steps                   path
    0           1            1        2  login > ticket_opened
    1           2            1        1                  login
    2           3            2        1                  login
    """
    data, t = _validated(events, customer, time, step, channel)
    gap_ns = _gap(gap)
    starts, ends = _steps(start_steps, "start_steps"), _steps(end_steps, "end_steps")
    goals, failures = _steps(goal_steps, "goal_steps"), _steps(failure_steps, "failure_steps")
    both = sorted(set(goals) & set(failures), key=str)
    if both:
        raise CXDataError(f"step(s) {show_values(both)} are declared both in `goal_steps` and `failure_steps`")
    cust_col = data[customer]
    c = _customer_codes(cust_col, customer)
    order = _event_order(c, t)
    step_code, step_levels = _codes(data[step], step, "step")
    take = (lambda a: a) if order is None else (lambda a: a[order])
    cust_values = cust_col.to_numpy() if order is None else cust_col.to_numpy()[order]
    t, step_code, c = take(t), take(step_code), take(c)
    n = len(t)
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (c[1:] != c[:-1]) | (t[1:] - t[:-1] > gap_ns)
    if starts:
        new |= _step_set(step_levels, starts, "start_steps")[step_code]
    if ends:
        new[1:] |= _step_set(step_levels, ends, "end_steps")[step_code[:-1]]
    jid = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, n - 1]
    n_j = len(first)
    pos = np.arange(n) - first[jid]
    labels = np.asarray(step_levels, dtype=object)
    table = {
        "journey_id": np.arange(1, n_j + 1, dtype=np.int64),
        customer: cust_values[first],
        "start": t[first].view("datetime64[ns]"),
        "end": t[last].view("datetime64[ns]"),
        "duration": (t[last] - t[first]).view("timedelta64[ns]"),
        "n_steps": (last - first + 1).astype(np.int64),
        "first_step": pd.Categorical.from_codes(step_code[first], categories=step_levels),
        "last_step": pd.Categorical.from_codes(step_code[last], categories=step_levels),
        "path": _path_column(_trie_paths(step_code, jid, pos, n_j), first, last, step_code, labels, PATH_SEPARATOR),
    }
    ev = {"journey_id": jid + 1, "position": pos, customer: cust_values, "time": t.view("datetime64[ns]"),
          "step": pd.Categorical.from_codes(step_code, categories=step_levels)}
    if channel is not None:
        ch_code, ch_levels = _codes(data[channel], channel, "channel")
        ch_code = take(ch_code)
        table.update(_channel_columns(ch_code, ch_levels, jid, first, new, n_j))
        ev["channel"] = pd.Categorical.from_codes(ch_code, categories=ch_levels)
    kind = np.full(len(step_levels), 2, dtype=np.int8)
    kind[_step_set(step_levels, goals, "goal_steps")[:-1]] = 0
    kind[_step_set(step_levels, failures, "failure_steps")[:-1]] = 1
    table["outcome"] = _outcomes(kind[step_code], jid, n_j)
    return Journeys(table=pd.DataFrame(table, copy=False), events=pd.DataFrame(ev, copy=False), customer=customer, time=time, step=step,
                    channel=channel, gap=pd.Timedelta(gap_ns, unit="ns"), start_steps=starts, end_steps=ends,
                    goal_steps=goals, failure_steps=failures)


def journey_summary(journeys: Journeys, *, confidence_level: float = 0.95) -> pd.DataFrame:
    """Shares of journeys by outcome, channel switching and length, with Wilson intervals.

    Parameters
    ----------
    journeys : Journeys
        The result of :func:`journeys`.
    confidence_level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per ``measure`` — ``goal``, ``failure``, ``open`` (outcome shares),
        ``switched`` (more than one channel; only with a channel column), ``single_step``
        (one-event journeys) — with ``count, estimate, ci_low, ci_high, n`` (all journeys);
        then ``median_steps`` and ``median_duration_hours`` (medians, no interval).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02",
    ...     "2026-01-01"]), "touchpoint": ["login", "cancellation", "login"]})
    >>> s = cx.journey_summary(cx.journeys(ev, failure_steps="cancellation"))
    >>> s[["measure", "count", "estimate", "n"]]
                     measure  count  estimate  n
    0                   goal      0       0.0  2
    1                failure      1       0.5  2
    2                   open      1       0.5  2
    3            single_step      1       0.5  2
    4           median_steps      2       1.5  2
    5  median_duration_hours      2      12.0  2
    """
    from ..core.checks import check_confidence_level
    from ..core.inference import share_interval

    if not isinstance(journeys, Journeys):
        raise CXDataError(f"`journeys` must be the result of cx.journeys(...), got {type(journeys).__name__}")
    level = check_confidence_level(confidence_level)
    t = journeys.table
    n = len(t)
    counts = {o: int((t["outcome"] == o).sum()) for o in OUTCOMES}
    if "switched" in t.columns:
        counts["switched"] = int(t["switched"].sum())
    counts["single_step"] = int((t["n_steps"] == 1).sum())
    c = np.array(list(counts.values()), dtype=float)
    p, _, lo, hi = share_interval(c, np.full(len(c), n), level)
    out = pd.DataFrame({"measure": list(counts), "count": c.astype(np.int64), "estimate": p, "ci_low": lo,
                        "ci_high": hi, "n": n})
    medians = pd.DataFrame({"measure": ["median_steps", "median_duration_hours"], "count": n,
                            "estimate": [float(t["n_steps"].median()), t["duration"].median() / pd.Timedelta(hours=1)],
                            "ci_low": np.nan, "ci_high": np.nan, "n": n})
    return pd.concat([out, medians], ignore_index=True)
