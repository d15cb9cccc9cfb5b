"""Omnichannel: survey responses matched to the journey they follow, and the effect of
switching channels within a journey on effort and satisfaction.

:func:`journey_responses` attaches each response to its customer's journey (an as-of join
on time); :func:`channel_switching` compares journeys that switched channels with
single-channel journeys on any outcome, with the metric core's two-sample test
(:func:`cxlib.by_group` with ``compare="rest"``: the rest of the switched journeys are the
single-channel ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    as_datetimes,
    check_columns,
    check_confidence_level,
    check_frame,
    column_list,
    show_values,
)
from ..core.inference import CORRECTIONS, adjust_p_values, significance
from ..errors import CXDataError
from ..grouping import by_group
from .build import Journeys

#: Journey columns :func:`journey_responses` adds to each response (those present).
JOURNEY_COLUMNS = ("journey_id", "start", "end", "n_steps", "path", "channels", "n_channels", "n_switches",
                   "switched", "outcome")


def journey_responses(journeys: Journeys, responses: pd.DataFrame, *, time: str = "date",
                      within: Any = "7D") -> pd.DataFrame:
    """Each survey response with the journey it follows (same customer, started before it).

    Parameters
    ----------
    journeys : Journeys
        The result of :func:`cxlib.journeys` (its customer column must be in ``responses``).
    responses : DataFrame
        Survey responses (e.g. touchpoint CSAT), one row each. Not modified.
    time : str, default "date"
        Response time column.
    within : duration, default "7D"
        A response is matched to the customer's latest journey that started at or before
        it, if it came at most ``within`` after that journey's last event.

    Returns
    -------
    DataFrame
        ``responses`` (same rows and order) with the journey columns ``journey_id``
        (missing when unmatched), ``start``, ``end``, ``n_steps``, ``path``, ``channels``,
        ``n_channels``, ``n_switches``, ``switched`` and ``outcome`` where available.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"]),
    ...                    "touchpoint": ["ticket_opened", "ticket_resolved"], "channel": ["chat", "phone"]})
    >>> rs = pd.DataFrame({"customer_id": [1, 1], "date": pd.to_datetime(["2026-01-03", "2026-03-01"]),
    ...                    "csat": [2, 5]})
    >>> cx.journey_responses(cx.journeys(ev, channel="channel"), rs)[["csat", "journey_id", "switched"]]
       csat  journey_id  switched
    0     2           1      True
    1     5        <NA>      <NA>
    """
    if not isinstance(journeys, Journeys):
        raise CXDataError(f"`journeys` must be the result of cx.journeys(...), got {type(journeys).__name__}")
    data = check_frame(responses, argument="responses")
    customer = journeys.customer
    check_columns(data, [customer], argument="customer (of the journeys)")
    check_columns(data, [time], argument="time")
    window = pd.Timedelta(within)
    clash = [c for c in JOURNEY_COLUMNS if c in data.columns]
    if clash:
        raise CXDataError(f"`responses` already has the journey column(s) {clash}; rename or drop them")
    t = as_datetimes(data[time], time).astype("datetime64[ns]")
    cols = [c for c in JOURNEY_COLUMNS if c in journeys.table.columns]
    right = journeys.table[[customer] + cols].sort_values("start", kind="stable")
    left = pd.DataFrame({"_row": np.arange(len(data)), customer: data[customer].to_numpy(), "_t": t.to_numpy()})
    known = left["_t"].notna().to_numpy()
    left = left[known].sort_values("_t", kind="stable")
    if left[customer].dtype != right[customer].dtype:
        left[customer] = left[customer].astype(right[customer].dtype)
    matched = pd.merge_asof(left, right, left_on="_t", right_on="start", by=customer, direction="backward")
    late = (matched["_t"] > matched["end"] + window).to_numpy()
    matched = matched[~late].set_index("_row").reindex(np.arange(len(data)))
    out = data.copy()
    for c in cols:
        col = matched[c]
        if c in ("journey_id", "n_steps", "n_channels", "n_switches"):
            col = col.astype("Float64").astype("Int64")
        elif c == "switched":
            col = col.astype("boolean")
        out[c] = col.set_axis(data.index)
    return out
    return out


@dataclass(frozen=True, eq=False)
class ChannelSwitching:
    """Switched vs single-channel journeys on each outcome (result of :func:`channel_switching`).

    Attributes
    ----------
    table : DataFrame
        One row per outcome: ``outcome``, ``metric``, ``estimate`` (switched − single),
        ``ci_low, ci_high``, ``n`` (both groups), ``switched``, ``switched_ci_low``,
        ``switched_ci_high``, ``switched_n``, ``single``, ``single_ci_low``,
        ``single_ci_high``, ``single_n``, ``p_value``, ``p_adjusted``, ``significant``,
        ``note`` (why a difference is missing).
    groups : DataFrame
        The :func:`cxlib.by_group` tables stacked (``outcome`` first).
    confidence_level : float
    """

    table: pd.DataFrame
    groups: pd.DataFrame
    confidence_level: float

    def to_frame(self) -> pd.DataFrame:
        """The comparison table (a copy)."""
        return self.table.copy()


def _switch_flag(data: pd.DataFrame, switched: str) -> pd.Series:
    s = data[switched]
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    vals = set(pd.unique(s.dropna()))
    if vals <= {0, 1}:
        return s.astype("boolean")
    raise CXDataError(f"`switched` column {switched!r} must be true/false; found {show_values(sorted(vals, key=str))}")


def _one_outcome(frame: pd.DataFrame, outcome: str, metric: Any, opts: dict) -> tuple[dict, pd.DataFrame]:
    t = by_group(frame, metric, by="_switched", compare="rest", correction=None, score=outcome, **opts)
    row: dict[str, Any] = {"outcome": outcome, "metric": metric if isinstance(metric, str) else metric.__name__}
    sides = {bool(k): r for k, r in zip(t["_switched"], t.to_dict("records"))}
    sw, single = sides.get(True), sides.get(False)
    for name, side in (("switched", sw), ("single", single)):
        row[name] = np.nan if side is None else side["estimate"]
        row[f"{name}_ci_low"] = np.nan if side is None else side["ci_low"]
        row[f"{name}_ci_high"] = np.nan if side is None else side["ci_high"]
        row[f"{name}_n"] = 0 if side is None else int(side["n"])
    ok = sw is not None and single is not None
    row.update(estimate=sw["diff"] if ok else np.nan, ci_low=sw["diff_ci_low"] if ok else np.nan,
               ci_high=sw["diff_ci_high"] if ok else np.nan, n=row["switched_n"] + row["single_n"],
               p_value=sw["p_value"] if ok else np.nan,
               note=sw["compare_note"] if ok else "only one group present")
    return row, t.rename(columns={"_switched": "switched"}).assign(outcome=outcome)


def channel_switching(data: pd.DataFrame, *, outcomes: str | Sequence[str] = ("csat",), switched: str = "switched",
                      metric: Any = "mean_score", min_base: float = 30, confidence_level: float = 0.95,
                      correction: str | None = "fdr_bh", **metric_options: Any) -> ChannelSwitching:
    """The effect of switching channels within a journey on effort and satisfaction.

    Parameters
    ----------
    data : DataFrame
        One row per response (or journey) with the outcome columns and a true/false
        ``switched`` column, e.g. the output of :func:`journey_responses`.
    outcomes : str or list of str, default ("csat",)
        Outcome columns (satisfaction, effort…), each compared in turn.
    switched : str, default "switched"
        True for journeys that used more than one channel. Rows where it is missing are
        left out.
    metric : str or callable, default "mean_score"
        A metric of :func:`cxlib.by_group` (``"mean_score"``, ``"csat"``, ``"ces"``…),
        applied to every outcome.
    min_base : float, default 30
        Below it in either group there is no test.
    confidence_level : float, default 0.95
    correction : str or None, default "fdr_bh"
        Adjustment across outcomes.
    **metric_options
        Passed to the metric (``scale``, ``weights``…).

    Returns
    -------
    ChannelSwitching

    Notes
    -----
    The difference ``switched − single`` and its test are the metric core's independent
    two-sample comparison: Welch's t for means, the unpooled Wald z for shares
    (:func:`cxlib.by_group` with ``compare="rest"``; with two groups the rest of one group
    is the other). An observational contrast: journeys that switch channels may also be
    harder problems; compare within touchpoint (filter ``data``) to narrow that.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"switched": [True] * 3 + [False] * 3, "csat": [2, 3, 4, 4, 5, 5]})
    >>> r = cx.channel_switching(df, min_base=2)
    >>> r.table[["outcome", "switched", "single", "estimate"]].round(3)
      outcome  switched  single  estimate
    0    csat       3.0   4.667    -1.667
    """
    frame = check_frame(data, argument="data")
    level = check_confidence_level(confidence_level)
    if correction not in CORRECTIONS:
        raise CXDataError(f"`correction`={correction!r} is not valid; use one of {list(CORRECTIONS)}")
    names = column_list(outcomes, argument="outcomes")
    check_columns(frame, [switched], argument="switched")
    check_columns(frame, names, argument="outcomes")
    flag = _switch_flag(frame, switched)
    frame = frame.assign(_switched=flag)[flag.notna().to_numpy()]
    opts = dict(metric_options, min_base=min_base, confidence_level=level)
    rows, groups = zip(*(_one_outcome(frame, o, metric, opts) for o in names))
    table = pd.DataFrame(list(rows))
    table["p_adjusted"] = adjust_p_values(table["p_value"].to_numpy(float), correction)
    table["significant"] = significance(table["p_adjusted"].to_numpy(), level)
    first = ["outcome", "metric", "estimate", "ci_low", "ci_high", "n"]
    last = ["p_value", "p_adjusted", "significant", "note"]
    table = table[first + [c for c in table.columns if c not in first + last] + last]
    stacked = pd.concat(groups, ignore_index=True)
    stacked = stacked[["outcome"] + [c for c in stacked.columns if c != "outcome"]]
    return ChannelSwitching(table=table, groups=stacked, confidence_level=level)
