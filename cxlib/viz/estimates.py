"""Plot helpers shared by the notebooks.

Every helper takes a tidy result frame (``estimate``, ``ci_low``, ``ci_high``, ``n`` and,
for grouped results, ``small_base``), draws the precomputed interval rather than
recomputing it, takes ``ax=None`` and returns the Axes. Small bases are never drawn as if
solid: their point is omitted and the label says "suppressed".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import CXDataError


_PALETTE = "colorblind"


def set_theme() -> None:
    """The one theme of cxlib figures (seaborn ``whitegrid``, colour-blind palette)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette=_PALETTE, context="notebook")
    # deterministic, compact PNGs in notebooks and reports
    mpl.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "figure.figsize": (7.5, 3.8),
                         "svg.hashsalt": "cxlib", "axes.titleweight": "bold"})


def _need(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CXDataError(f"the frame to plot lacks column(s) {missing}; it has {list(frame.columns)}")


def _label_n(n: float) -> str:
    return f"n = {int(round(n)):,}"


def plot_estimates(
    frame: pd.DataFrame,
    *,
    y: str,
    x: str = "estimate",
    ax=None,
    title: str | None = None,
    xlabel: str | None = None,
    reference: float | None = None,
    significant: str | None = "significant",
    legend: bool | None = None,
):
    """Horizontal point estimates with their confidence intervals, one row per group.

    Parameters
    ----------
    frame : DataFrame
        A grouped result (e.g. from :func:`cxlib.by_group`) with ``ci_low``, ``ci_high``,
        ``n`` and optionally ``small_base`` and ``significant``.
    y : str
        The group column.
    x : str
        The estimate column.
    reference : float, optional
        A vertical reference line (e.g. the total).
    significant : str or None
        Column flagging significant groups (drawn with a filled marker and "*").
    legend : bool, optional
        Draw the legend (outside the axes, on the right). Default: only when there is
        something to explain beyond "estimate with CI" (significant groups or a reference
        line). Pass ``False`` in small multiples and explain the markers in the title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    _need(frame, [y, x, "ci_low", "ci_high", "n"])
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.45 * len(frame) + 1.4))
    f = frame.reset_index(drop=True)
    small = f["small_base"].fillna(True).astype(bool).to_numpy() if "small_base" in f else np.zeros(len(f), bool)
    sig = (f[significant].fillna(False).astype(bool).to_numpy()
           if significant and significant in f else np.zeros(len(f), bool))
    pos = np.arange(len(f))[::-1]
    solid = ~small
    est = f[x].to_numpy(dtype=float)
    low, high = f["ci_low"].to_numpy(dtype=float), f["ci_high"].to_numpy(dtype=float)
    ax.errorbar(est[solid], pos[solid], xerr=[est[solid] - low[solid], high[solid] - est[solid]],
                fmt="none", ecolor="0.35", elinewidth=1.6, capsize=3)
    ax.scatter(est[solid & ~sig], pos[solid & ~sig], s=40, color="C0", zorder=3,
               label="estimate with CI")
    if (solid & sig).any():
        ax.scatter(est[solid & sig], pos[solid & sig], s=55, color="C3", marker="D", zorder=3,
                   label="significant difference")
    labels = []
    for i, row in f.iterrows():
        lab = f"{row[y]}  ({_label_n(row['n'])})"
        if small[i]:
            lab = f"{row[y]}  ({_label_n(row['n'])}, suppressed)"
        elif sig[i]:
            lab += " *"
        labels.append(lab)
    ax.set_yticks(pos, labels)
    if reference is not None:
        ax.axvline(reference, color="0.5", linestyle="--", linewidth=1, label="total")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    if legend is None:
        legend = bool((solid & sig).any()) or reference is not None
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


def plot_trend(
    frame: pd.DataFrame,
    *,
    x: str = "quarter",
    y: str = "estimate",
    hue: str | None = None,
    ax=None,
    title: str | None = None,
    ylabel: str | None = None,
):
    """A metric over periods with its confidence band; small bases are left as gaps.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    _need(frame, [x, y, "ci_low", "ci_high", "n"])
    if ax is None:
        _, ax = plt.subplots()
    f = frame.copy()
    if "small_base" in f:
        f.loc[f["small_base"].fillna(True).astype(bool), [y, "ci_low", "ci_high"]] = np.nan
    groups = [(None, f)] if hue is None else list(f.groupby(hue, observed=True, sort=True))
    order = sorted(f[x].astype(str).unique())
    pos = {q: i for i, q in enumerate(order)}
    for k, (name, g) in enumerate(groups):
        g = g.assign(_pos=g[x].astype(str).map(pos)).sort_values("_pos")
        color = f"C{k % 10}"
        ax.plot(g["_pos"], g[y], marker="o", color=color, label=None if name is None else str(name))
        ax.fill_between(g["_pos"], g["ci_low"], g["ci_high"], color=color, alpha=0.18, linewidth=0)
    ax.set_xticks(range(len(order)), order, rotation=45, ha="right")
    ax.set_xlabel("")
    ax.set_ylabel(ylabel or y)
    if title:
        ax.set_title(title)
    if hue is not None:
        ax.legend(title=hue, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
