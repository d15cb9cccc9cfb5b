"""Charts of key-driver results: importances, importance–performance grid, penalty–reward
bars, stability.

Each takes a result from :mod:`cxlib.drivers`, draws its precomputed intervals (never
recomputes them), notes n in the title, takes ``ax=None`` and returns the Axes. ``labels``
(column -> question text, e.g. ``{d: roles.label(d) for d in drivers}``) names the drivers
by their questions; a driver without a label keeps its column id.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..drivers.results import (
    DriverStabilityResult,
    ImportancePerformanceResult,
    KeyDriverResult,
    PenaltyRewardResult,
)
from ..drivers.summary import driver_summary
from .estimates import plot_estimates

_PENALTY_COLOUR = "#c44e52"
_REWARD_COLOUR = "#4c72b0"


def _with_n(title: str, n: int) -> str:
    return f"{title} (n = {int(n):,})"


def _namer(labels: Mapping[str, str] | None):
    labels = dict(labels or {})
    return lambda column: str(labels.get(column) or column)


def plot_driver_importance(
    result: KeyDriverResult,
    *,
    labels: Mapping[str, str] | None = None,
    ax=None,
    title: str | None = None,
    xlabel: str = "share of the total importance (%)",
):
    """Each driver's share of the total importance with its bootstrap interval, in rank order.

    Parameters
    ----------
    result : KeyDriverResult
    labels : mapping, optional
        Driver column -> label (question text) shown on the axis.
    ax : matplotlib.axes.Axes, optional
    title, xlabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Draws :func:`~cxlib.drivers.driver_summary` (``estimate``, ``ci_low``, ``ci_high``,
    ``n``, ``small_base``) with :func:`cxlib.plot_estimates`; a result below its minimum
    base is drawn as suppressed.
    """
    summary = driver_summary(result)
    summary = summary.assign(driver=summary["driver"].map(_namer(labels)))
    return plot_estimates(summary, y="driver", significant=None, ax=ax, title=title, xlabel=xlabel)


def plot_importance_performance(
    result: ImportancePerformanceResult,
    *,
    labels: Mapping[str, str] | None = None,
    ax=None,
    title: str = "Importance–performance",
    xlabel: str | None = None,
    ylabel: str = "importance (% of the total importance)",
):
    """Importance–performance grid: performance (x) against importance (y) with the cut-offs,
    both intervals, and the drivers whose quadrant the data do not settle marked.

    Parameters
    ----------
    result : ImportancePerformanceResult
    labels : mapping, optional
        Driver column -> label (question text) written next to each point.
    ax : matplotlib.axes.Axes, optional
    title : str
        The base is appended: ``"<title> (n = …)"``.
    xlabel, ylabel : str, optional
        Axis labels (default x: the mean rating and the cut-off rule).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The y axis is each driver's share of the total importance (``estimate``) with its
    bootstrap interval (``ci_low``, ``ci_high``) as vertical error bars, the x axis its
    performance with the metric core's interval (``performance_ci_low``,
    ``performance_ci_high``) as horizontal error bars (no bar where an interval is
    missing); the dashed lines are the cut-offs (``share_cutoff`` and
    ``performance_cutoff``). Drivers whose quadrant is settled (``settled``) are filled
    dots; the others are open orange circles labelled "(borderline)".
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    t = result.table
    name = _namer(labels)
    x, y = t["performance"].to_numpy(dtype=float), t["estimate"].to_numpy(dtype=float)
    for low, high, horizontal in ((t["performance_ci_low"], t["performance_ci_high"], True),
                                  (t["ci_low"], t["ci_high"], False)):
        est = x if horizontal else y
        err = np.vstack([est - low.to_numpy(dtype=float), high.to_numpy(dtype=float) - est])
        if np.isfinite(err).any():  # one container per axis: performance (x), importance (y)
            err = {"xerr" if horizontal else "yerr": np.nan_to_num(err)}
            ax.errorbar(x, y, fmt="none", capsize=3, ecolor="0.55", elinewidth=1, **err)
    settled = t["settled"].to_numpy(dtype=bool)
    ax.scatter(x[settled], y[settled], s=40, color="C0", zorder=3,
               label="quadrant settled (both intervals clear the cut-offs)")
    ax.scatter(x[~settled], y[~settled], s=48, facecolors="none", edgecolors="C1", linewidths=1.6, zorder=3,
               label="borderline (an interval crosses a cut-off)")
    for i, r in t.iterrows():
        text = name(r["driver"]) + ("" if settled[i] else " (borderline)")
        ax.annotate(text, (x[i], y[i]), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.axvline(result.performance_cutoff, color="grey", ls="--", lw=1)
    ax.axhline(result.share_cutoff, color="grey", ls="--", lw=1)
    measure = "top-box share" if result.performance_measure == "top_box" else "mean rating"
    ax.set_xlabel(xlabel or f"performance ({measure}; cut-off = {result.cutoff} over the drivers)")
    ax.set_ylabel(ylabel)
    ax.set_title(_with_n(title, result.n))
    for x, y, txt, ha, va in (
        (0.02, 0.98, "concentrate here", "left", "top"),
        (0.98, 0.98, "keep up the good work", "right", "top"),
        (0.02, 0.02, "low priority", "left", "bottom"),
        (0.98, 0.02, "possible overkill", "right", "bottom"),
    ):
        ax.text(x, y, txt, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color="grey")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax


def plot_penalty_reward(
    result: PenaltyRewardResult,
    *,
    labels: Mapping[str, str] | None = None,
    ax=None,
    title: str = "Penalty–reward",
    xlabel: str = "effect on the overall rating (scale points)",
):
    """Penalty (left, drawn negative) and reward (right) per driver with their intervals.

    Parameters
    ----------
    result : PenaltyRewardResult
    labels : mapping, optional
        Driver column -> label (question text) on the axis.
    ax : matplotlib.axes.Axes, optional
    title : str
        The base is appended: ``"<title> (n = …)"``.
    xlabel : str

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The penalty bar of a driver ends at ``−penalty`` and its error bar spans
    ``[−penalty_ci_high, −penalty_ci_low]``; the reward bar ends at ``reward`` with the
    error bar ``[reward_ci_low, reward_ci_high]``. Labels carry the category.
    """
    import matplotlib.pyplot as plt

    t = result.table
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.5 * len(t) + 1.5))
    ypos = np.arange(len(t))
    ax.barh(ypos, -t["penalty"], xerr=[t["penalty_ci_high"] - t["penalty"], t["penalty"] - t["penalty_ci_low"]],
            color=_PENALTY_COLOUR, capsize=3, label="penalty (low rating)")
    ax.barh(ypos, t["reward"], xerr=[t["reward"] - t["reward_ci_low"], t["reward_ci_high"] - t["reward"]],
            color=_REWARD_COLOUR, capsize=3, label="reward (high rating)")
    name = _namer(labels)
    ax.set_yticks(ypos, [f"{name(d)} ({c})" for d, c in zip(t["driver"], t["category"])])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(_with_n(title, result.n))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax


def plot_driver_stability(
    result: DriverStabilityResult,
    *,
    labels: Mapping[str, str] | None = None,
    ax=None,
    title: str = "Share of the explained variance per driver",
    ylabel: str = "share of the explained variance (%)",
):
    """Each driver's share of the total importance per period (one line per driver).

    Periods below the minimum base are left as gaps (not drawn as if solid); the x label
    gives the range of the bases.

    Parameters
    ----------
    result : DriverStabilityResult
    labels : mapping, optional
        Driver column -> label (question text) in the legend.
    ax : matplotlib.axes.Axes, optional
    title, ylabel : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.2))
    imp = result.importances
    per = result.period
    drivers = list(dict.fromkeys(imp["driver"]))
    shares = imp.assign(share=imp["share"].where(~imp["small_base"].astype(bool)))
    wide = shares.pivot(index=per, columns="driver", values="share").reindex(columns=drivers)
    periods = [str(p) for p in wide.index]
    name = _namer(labels)
    for k, d in enumerate(drivers):
        ax.plot(range(len(periods)), wide[d].to_numpy(dtype=float), marker="o", color=f"C{k % 10}", label=name(d))
    ax.set_xticks(range(len(periods)), periods)
    n = pd.to_numeric(imp["n"])
    ax.set_xlabel(f"{per} (n {int(n.min()):,}–{int(n.max()):,})")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False)
    return ax
