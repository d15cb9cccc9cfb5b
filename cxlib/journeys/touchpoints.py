"""Touchpoint surveys: the scorecard per touchpoint (and channel) with the change versus the
previous quarter, and the spread of one touchpoint's score across channels.

Both run the metric core (:func:`cxlib.by_group`) and add nothing to its estimates: the
scorecard is ``by_group(..., compare="previous")`` restricted to the quarter shown; the
consistency test works on the per-channel sufficient statistics that ``by_group`` returns
(counts of top-box answers; n, mean and SD).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import (
    check_columns,
    check_confidence_level,
    check_frame,
    show_values,
)
from ..core.inference import CORRECTIONS, adjust_p_values, significance
from ..errors import CXDataError
from ..grouping import by_group

_COMPARE = ["diff", "diff_ci_low", "diff_ci_high", "p_value", "p_adjusted", "significant", "compare_note"]


@dataclass(frozen=True, eq=False)
class TouchpointScorecard:
    """A metric per touchpoint (and channel) in one quarter (result of :func:`touchpoint_scorecard`).

    Attributes
    ----------
    table : DataFrame
        One row per touchpoint (× channel) with responses in ``quarter``: the grouping
        columns, ``volume`` (responses, answered or not), the :func:`cxlib.by_group`
        fields of the metric (``estimate, std_err, ci_low, ci_high, n``, …,
        ``small_base, min_base``), ``previous`` (the estimate a quarter earlier) and the
        comparison with it (``diff, diff_ci_low, diff_ci_high, p_value, p_adjusted,
        significant, compare_note``).
    metric, score, quarter : str
    previous_quarter : str or None
    by : list of str
    confidence_level : float
    """

    table: pd.DataFrame
    metric: str
    score: str
    quarter: str
    previous_quarter: str | None
    by: list
    confidence_level: float

    def to_frame(self) -> pd.DataFrame:
        """The scorecard table (a copy)."""
        return self.table.copy()


def _metric_name(metric: Any) -> str:
    return metric if isinstance(metric, str) else getattr(metric, "__name__", str(metric))


def touchpoint_scorecard(touchpoints: pd.DataFrame, *, touchpoint: str = "touchpoint", channel: str | None = None,
                         score: str = "csat", metric: Any = "csat", quarter: str = "quarter",
                         current: str | None = None, weights: Any = None, min_base: float = 30,
                         confidence_level: float = 0.95, correction: str | None = "fdr_bh",
                         **metric_options: Any) -> TouchpointScorecard:
    """CSAT (or CES, or any metric of :func:`cxlib.by_group`) per touchpoint and channel,
    with volume and the change versus the previous quarter.

    Parameters
    ----------
    touchpoints : DataFrame
        Transactional survey responses, one row each.
    touchpoint : str, default "touchpoint"
        Touchpoint column.
    channel : str, optional
        Channel column: one row per touchpoint × channel.
    score : str, default "csat"
        The score column the metric reads.
    metric : str or callable, default "csat"
        A metric of :func:`cxlib.by_group` (``"csat"``, ``"ces"``, ``"mean_score"``, …).
    quarter : str, default "quarter"
        Period column; quarters sort as text ("2026Q2" < "2026Q3").
    current : str, optional
        The quarter shown (default: the latest). It is compared with the quarter before it
        in the data.
    weights : str, optional
        Weight column (Kish effective bases, as in :func:`cxlib.by_group`).
    min_base : float, default 30
        Cells below it are flagged ``small_base`` and not tested.
    confidence_level : float, default 0.95
    correction : str or None, default "fdr_bh"
        Multiple-testing adjustment across the cells' comparisons.
    **metric_options
        Passed to the metric (``top``, ``easy``, ``scale``…).

    Returns
    -------
    TouchpointScorecard

    Notes
    -----
    The table equals ``cx.by_group(rows of current and previous quarter, metric,
    by=[touchpoint, channel], compare="previous", period=quarter, score=score)`` restricted
    to the current quarter; so each cell equals the metric on that cell's rows, and the
    change is the metric core's two-sample test (Wilson intervals for shares; the
    unpooled Wald z test of the difference), adjusted across the cells.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tp = pd.DataFrame({"quarter": ["2026Q2"] * 4 + ["2026Q3"] * 4, "touchpoint": ["billing"] * 8,
    ...                    "csat": [5, 4, 2, 1, 5, 5, 4, 2]})
    >>> card = cx.touchpoint_scorecard(tp, min_base=2)
    >>> card.table[["touchpoint", "volume", "estimate", "previous", "diff"]]
      touchpoint  volume  estimate  previous  diff
    0    billing       4      0.75       0.5  0.25
    """
    data = check_frame(touchpoints, argument="touchpoints")
    level = check_confidence_level(confidence_level)
    by = [touchpoint] + ([channel] if channel is not None else [])
    check_columns(data, [touchpoint], argument="touchpoint")
    if channel is not None:
        check_columns(data, [channel], argument="channel")
    check_columns(data, [quarter], argument="quarter")
    check_columns(data, [score], argument="score")
    quarters = sorted(pd.unique(data[quarter].dropna()).tolist(), key=str)
    if not quarters:
        raise CXDataError(f"`quarter` column {quarter!r} has no values")
    if current is None:
        current = quarters[-1]
    if current not in quarters:
        raise CXDataError(f"`current`={current!r} is not a value of {quarter!r}; available: {show_values(quarters)}")
    i = quarters.index(current)
    previous = quarters[i - 1] if i > 0 else None
    rows = data[data[quarter].isin([current] if previous is None else [previous, current])]
    if weights is not None and not isinstance(weights, str):
        raise CXDataError("`weights` must name a weight column of `touchpoints` (rows are filtered to two quarters)")
    options = dict(metric_options, score=score, weights=weights)
    compare = None if previous is None else "previous"
    table = by_group(rows, metric, by=by, min_base=min_base, compare=compare, period=quarter if compare else None,
                     correction=correction, confidence_level=level, **options)
    if previous is None:
        now = table.assign(previous=np.nan, **{c: np.nan for c in _COMPARE[:-2]}, compare_note="first period")
        now["significant"] = pd.array([pd.NA] * len(now), dtype="boolean")
    else:
        prev = table[table[quarter] == previous][by + ["estimate"]].rename(columns={"estimate": "previous"})
        now = table[table[quarter] == current].drop(columns=[quarter]).merge(prev, on=by, how="left")
    volume = rows[rows[quarter] == current].groupby(by, observed=True, dropna=True).size().rename("volume")
    now = now.merge(volume.reset_index(), on=by, how="left")
    front = by + ["volume"]
    rest = [c for c in now.columns if c not in front + _COMPARE + ["previous"]]
    now = now[front + rest + ["previous"] + _COMPARE].reset_index(drop=True)
    return TouchpointScorecard(table=now, metric=_metric_name(metric), score=score, quarter=str(current),
                               previous_quarter=None if previous is None else str(previous), by=by,
                               confidence_level=level)


@dataclass(frozen=True, eq=False)
class ChannelConsistency:
    """The spread of each touchpoint's score across channels (result of :func:`channel_consistency`).

    Attributes
    ----------
    table : DataFrame
        One row per touchpoint: ``n_channels`` (channels with a base of ``min_base``),
        ``n`` (their responses), ``lowest_channel``, ``lowest``, ``highest_channel``,
        ``highest``, ``range`` (highest − lowest), ``sd`` (SD of the channel estimates),
        ``test``, ``statistic``, ``df``, ``p_value``, ``p_adjusted``, ``significant``,
        ``n_small_channels`` (channels left out for a small base).
    cells : DataFrame
        The :func:`cxlib.by_group` table per touchpoint × channel (tidy: ``estimate,
        ci_low, ci_high, n``, ``small_base``).
    metric, score : str
    confidence_level : float
    """

    table: pd.DataFrame
    cells: pd.DataFrame
    metric: str
    score: str
    confidence_level: float

    def to_frame(self) -> pd.DataFrame:
        """The per-touchpoint table (a copy)."""
        return self.table.copy()


def _equality_test(cells: pd.DataFrame) -> tuple[str, float, float, float]:
    """(test, statistic, df, p) for equal estimates across the rows of ``cells``."""
    k = len(cells)
    if k < 2:
        return "", np.nan, np.nan, np.nan
    n = cells["n"].to_numpy(float)
    if "n_top" in cells.columns:  # shares: Pearson chi-square of homogeneity on the k × 2 counts
        top = cells["n_top"].to_numpy(float)
        counts = np.column_stack([top, n - top])
        if (counts.sum(axis=0) == 0).any():
            return "chi-square", np.nan, float(k - 1), np.nan
        chi2, p, dof, _ = stats.chi2_contingency(counts, correction=False)
        return "chi-square", float(chi2), float(dof), float(p)
    mean, sd = cells["estimate"].to_numpy(float), cells["std_dev"].to_numpy(float)
    grand = np.sum(n * mean) / n.sum()
    within = np.sum((n - 1) * np.nan_to_num(sd) ** 2) / (n.sum() - k)
    f = (np.sum(n * (mean - grand) ** 2) / (k - 1)) / within if within > 0 else np.nan
    return "one-way ANOVA", float(f), float(k - 1), float(stats.f.sf(f, k - 1, n.sum() - k))


def channel_consistency(touchpoints: pd.DataFrame, *, touchpoint: str = "touchpoint", channel: str = "channel",
                        score: str = "csat", metric: Any = "mean_score", min_base: float = 30,
                        confidence_level: float = 0.95, correction: str | None = "fdr_bh",
                        **metric_options: Any) -> ChannelConsistency:
    """Is the same touchpoint scored alike in every channel? Range, SD and a test of equality.

    Parameters
    ----------
    touchpoints : DataFrame
        Transactional survey responses (one row each).
    touchpoint, channel, score : str
        Columns.
    metric : str or callable, default "mean_score"
        ``"mean_score"`` (means; one-way ANOVA) or a share (``"csat"``, ``"ces"``,
        ``"top_box"``; chi-square test of homogeneity).
    min_base : float, default 30
        Channels with fewer responses for a touchpoint are left out of its range and test
        (counted in ``n_small_channels``).
    confidence_level : float, default 0.95
    correction : str or None, default "fdr_bh"
        Adjustment across touchpoints.
    **metric_options
        Passed to the metric (``scale``, ``top``…).

    Returns
    -------
    ChannelConsistency

    Notes
    -----
    Per touchpoint, over its *k* channels with a solid base: ``range = max − min`` and the
    SD of the *k* estimates (unweighted, ddof = 1). Means: the one-way ANOVA F from the
    sufficient statistics, ``F = [Σ n_g (m_g − m)² / (k − 1)] / [Σ (n_g − 1) s_g² / (N − k)]``
    on (k − 1, N − k) df (Fisher 1925). Shares: Pearson's chi-square test of homogeneity on
    the k × 2 table of top-box and other answers, (k − 1) df. Unweighted.

    References
    ----------
    Agresti, A. (2013). *Categorical Data Analysis* (3rd ed.), §3.2 (homogeneity).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tp = pd.DataFrame({"touchpoint": ["billing"] * 6, "channel": ["chat"] * 3 + ["phone"] * 3,
    ...                    "csat": [5, 4, 5, 2, 3, 2]})
    >>> r = cx.channel_consistency(tp, min_base=3)
    >>> r.table[["touchpoint", "n_channels", "range", "test"]]
      touchpoint  n_channels     range           test
    0    billing           2  2.333333  one-way ANOVA
    """
    data = check_frame(touchpoints, argument="touchpoints")
    level = check_confidence_level(confidence_level)
    if correction not in CORRECTIONS:
        raise CXDataError(f"`correction`={correction!r} is not valid; use one of {list(CORRECTIONS)}")
    check_columns(data, [touchpoint], argument="touchpoint")
    check_columns(data, [channel], argument="channel")
    cells = by_group(data, metric, by=[touchpoint, channel], min_base=min_base, confidence_level=level,
                     score=score, **metric_options)
    if "n_top" not in cells.columns and "std_dev" not in cells.columns:
        raise CXDataError(f"`metric`={_metric_name(metric)!r}: use a mean ('mean_score') or a share "
                          "('csat', 'ces', 'top_box') for the channel test")
    rows = []
    for tp, part in cells.groupby(touchpoint, sort=True, observed=True):
        solid = part[~part["small_base"].to_numpy(bool) & np.isfinite(part["estimate"].to_numpy(float))]
        test, stat, df, p = _equality_test(solid)
        lo = solid.loc[solid["estimate"].idxmin()] if len(solid) else None
        hi = solid.loc[solid["estimate"].idxmax()] if len(solid) else None
        rows.append({touchpoint: tp, "n_channels": len(solid), "n": int(solid["n"].sum()),
                     "lowest_channel": None if lo is None else lo[channel], "lowest": np.nan if lo is None else lo["estimate"],
                     "highest_channel": None if hi is None else hi[channel],
                     "highest": np.nan if hi is None else hi["estimate"],
                     "range": (hi["estimate"] - lo["estimate"]) if len(solid) > 1 else np.nan,
                     "sd": float(solid["estimate"].std(ddof=1)) if len(solid) > 1 else np.nan,
                     "test": test, "statistic": stat, "df": df, "p_value": p,
                     "n_small_channels": int(len(part) - len(solid))})
    table = pd.DataFrame(rows)
    table["p_adjusted"] = adjust_p_values(table["p_value"].to_numpy(float), correction)
    table["significant"] = significance(table["p_adjusted"].to_numpy(), level)
    order = [c for c in table.columns if c != "n_small_channels"] + ["n_small_channels"]
    return ChannelConsistency(table=table[order], cells=cells, metric=_metric_name(metric), score=score,
                              confidence_level=level)
