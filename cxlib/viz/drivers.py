"""Charts of key-driver results: importance–performance grid, penalty–reward bars, stability.

Each takes a result from :mod:`cxlib.drivers`, draws its precomputed intervals (never
recomputes them), notes n in the title, takes ``ax=None`` and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..drivers.results import DriverStabilityResult, ImportancePerformanceResult, PenaltyRewardResult

_PENALTY_COLOUR = "#c44e52"
_REWARD_COLOUR = "#4c72b0"


def _with_n(title: str, n: int) -> str:
    return f"{title} (n = {int(n):,})"


def plot_importance_performance(
    result: ImportancePerformanceResult,
    *,
    ax=None,
    title: str = "Importance–performance",
    xlabel: str | None = None,
    ylabel: str = "importance (% of the total importance)",
):
    """Importance–performance grid: performance (x) against importance (y) with the cut-offs.

    Parameters
    ----------
    result : ImportancePerformanceResult
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
    bootstrap interval (``ci_low``, ``ci_high``) as vertical error bars (none without a
    bootstrap); the dashed lines are the cut-offs (``share_cutoff`` and
    ``performance_cutoff``).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    t = result.table
    yerr = None
    if t["ci_low"].notna().all() and t["ci_high"].notna().all():
        yerr = np.vstack([t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]])
    ax.errorbar(t["performance"], t["estimate"], yerr=yerr, fmt="o", capsize=3, color="C0", ecolor="0.35")
    for _, r in t.iterrows():
        ax.annotate(str(r["driver"]), (r["performance"], r["estimate"]), xytext=(4, 4), textcoords="offset points",
                    fontsize=8)
    ax.axvline(result.performance_cutoff, color="grey", ls="--", lw=1)
    ax.axhline(result.share_cutoff, color="grey", ls="--", lw=1)
    ax.set_xlabel(xlabel or f"performance (mean rating; cut-off = {result.cutoff} over the drivers)")
    ax.set_ylabel(ylabel)
    ax.set_title(_with_n(title, result.n))
    for x, y, txt, ha, va in (
        (0.02, 0.98, "concentrate here", "left", "top"),
        (0.98, 0.98, "keep up the good work", "right", "top"),
        (0.02, 0.02, "low priority", "left", "bottom"),
        (0.98, 0.02, "possible overkill", "right", "bottom"),
    ):
        ax.text(x, y, txt, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color="grey")
    return ax


def plot_penalty_reward(
    result: PenaltyRewardResult,
    *,
    ax=None,
    title: str = "Penalty–reward",
    xlabel: str = "effect on the overall rating (scale points)",
):
    """Penalty (left, drawn negative) and reward (right) per driver with their intervals.

    Parameters
    ----------
    result : PenaltyRewardResult
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
    ax.set_yticks(ypos, [f"{d} ({c})" for d, c in zip(t["driver"], t["category"])])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(_with_n(title, result.n))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax


def plot_driver_stability(
    result: DriverStabilityResult,
    *,
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
    for k, d in enumerate(drivers):
        ax.plot(range(len(periods)), wide[d].to_numpy(dtype=float), marker="o", color=f"C{k % 10}", label=d)
    ax.set_xticks(range(len(periods)), periods)
    n = pd.to_numeric(imp["n"])
    ax.set_xlabel(f"{per} (n {int(n.min()):,}–{int(n.max()):,})")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False)
    return ax
