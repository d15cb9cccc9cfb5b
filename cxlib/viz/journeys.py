"""Charts of journeys: the ranked flow of the top paths, the touchpoint × channel heat map.

Each function draws a result of :mod:`cxlib.journeys` (never recomputing it), takes
``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_columns
from ..core.inference import format_interval, normal_quantile
from ..errors import CXDataError
from ..journeys.paths import PathVariants
from ..journeys.switching import SwitchingEffect
from ..journeys.touchpoints import TouchpointScorecard

#: Width (in step slots) of the longest share bar in :func:`plot_top_paths`.
SHARE_WIDTH = 3.0

#: The text of a suppressed heat-map cell.
SUPPRESSED = "n < min base"


def _step_colours(steps: list[str]) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab20")
    return {s: cmap(i % 20) for i, s in enumerate(sorted(set(steps)))}


def plot_top_paths(variants: PathVariants | pd.DataFrame, *, ax: Any = None, max_steps: int = 8) -> Any:
    """Ranked flow of the most frequent paths: one row of step boxes per path, most
    frequent at the top, with its share of all journeys as a bar and interval on the right.

    Parameters
    ----------
    variants : PathVariants or DataFrame
        The result of :func:`cxlib.path_variants` (or its table: ``path, count, estimate,
        ci_low, ci_high, n``).
    ax : matplotlib Axes, optional
    max_steps : int, default 8
        Longer paths are cut after this many steps (shown as "… +k").

    Returns
    -------
    matplotlib.axes.Axes
        The share bars carry ``gid="share"``; their widths are ``estimate × scale`` with
        ``scale = SHARE_WIDTH / max(ci_high)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02",
    ...     "2026-01-01"]), "touchpoint": ["login", "invoice", "login"]})
    >>> cx.plot_top_paths(cx.path_variants(cx.journeys(ev))).get_title()
    'Top 2 paths of 2 journeys (2 distinct)'
    """
    import matplotlib.pyplot as plt

    table = variants.table if isinstance(variants, PathVariants) else variants
    if not isinstance(table, pd.DataFrame):
        raise CXDataError(f"`variants` must be the result of cx.path_variants, got {type(variants).__name__}")
    check_columns(table, ["path", "count", "estimate", "ci_low", "ci_high", "n"], argument="variants")
    paths = [str(p).split(" > ") for p in table["path"]]
    width = min(max_steps, max((len(p) for p in paths), default=1))
    colours = _step_colours([s for p in paths for s in p[:width]])
    if ax is None:
        _, ax = plt.subplots(figsize=(2.0 + 1.6 * (width + SHARE_WIDTH), 0.9 + 0.55 * len(paths)))
    for r, steps in enumerate(paths):
        y = -r
        for k, s in enumerate(steps[:width]):
            ax.add_patch(plt.Rectangle((k + 0.05, y - 0.35), 0.8, 0.7, color=colours[s], alpha=0.85, lw=0))
            ax.text(k + 0.45, y, s.replace("_", " "), ha="center", va="center", fontsize=7, wrap=True)
            if k:
                ax.annotate("", xy=(k + 0.05, y), xytext=(k - 0.15, y), arrowprops={"arrowstyle": "->", "lw": 0.8})
        if len(steps) > width:
            ax.text(width + 0.02, y, f"… +{len(steps) - width}", va="center", fontsize=7)
    scale = SHARE_WIDTH / max(float(table["ci_high"].max()), 1e-12)
    x0 = width + 0.6
    est = table["estimate"].to_numpy(float)
    ys = -np.arange(len(table))
    bars = ax.barh(ys, est * scale, left=x0, height=0.5, color="0.55")
    for b in bars:
        b.set_gid("share")
    lo, hi = table["ci_low"].to_numpy(float), table["ci_high"].to_numpy(float)
    ax.errorbar(x0 + est * scale, ys, xerr=[(est - lo) * scale, (hi - est) * scale], fmt="none", ecolor="black",
                lw=0.8, capsize=2)
    for y, e, l_, h, c in zip(ys, est, lo, hi, table["count"]):
        ax.text(x0 + h * scale + 0.05, y, f"{100 * e:.1f}% {format_interval(100 * l_, 100 * h)} (n = {int(c):,})",
                va="center", fontsize=7)
    ax.set_xlim(-0.1, x0 + SHARE_WIDTH * 1.9)
    ax.set_ylim(-len(table) + 0.4, 0.6)
    ax.set_yticks(ys, [f"#{i + 1}" for i in range(len(table))])
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    n = int(table["n"].iloc[0]) if len(table) else 0
    n_paths = variants.n_paths if isinstance(variants, PathVariants) else len(table)
    ax.set_title(f"Top {len(table)} paths of {n:,} journeys ({n_paths:,} distinct)")
    ax.set_xlabel("steps in order → ; bar: share of all journeys with its interval")
    return ax


def _heat_grid(table: pd.DataFrame, row: str, column: str, value: str):
    grid = table.pivot(index=row, columns=column, values=value)
    small = table.pivot(index=row, columns=column, values="small_base").reindex_like(grid)
    return grid.astype(float), small


def plot_touchpoint_heatmap(scorecard: TouchpointScorecard | pd.DataFrame, *, ax: Any = None,
                            row: str = "touchpoint", column: str = "channel", percent: bool | None = None) -> Any:
    """Heat map of a metric per touchpoint (rows) and channel (columns); cells below the
    minimum base are not coloured and say so, cells without responses stay blank.

    Parameters
    ----------
    scorecard : TouchpointScorecard or DataFrame
        :func:`cxlib.touchpoint_scorecard` with a channel (or any tidy table with the
        ``row`` and ``column`` columns, ``estimate, ci_low, ci_high, n, small_base``).
    ax : matplotlib Axes, optional
    row, column : str
        The two grouping columns.
    percent : bool, optional
        Show shares as percent (default: when the table is a share, i.e. has ``n_top``).

    Returns
    -------
    matplotlib.axes.Axes
        The image (``ax.images[0]``) holds the estimates with small-base cells masked.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> tp = pd.DataFrame({"quarter": "2026Q3", "touchpoint": ["billing"] * 4, "channel": ["chat", "chat",
    ...                    "phone", "phone"], "csat": [5, 4, 2, 5]})
    >>> ax = cx.plot_touchpoint_heatmap(cx.touchpoint_scorecard(tp, channel="channel", min_base=2))
    >>> ax.get_title()
    'CSAT by touchpoint and channel, 2026Q3 (top-box share of csat)'
    """
    import matplotlib.pyplot as plt

    card = scorecard if isinstance(scorecard, TouchpointScorecard) else None
    table = card.table if card is not None else scorecard
    if not isinstance(table, pd.DataFrame):
        raise CXDataError(f"`scorecard` must be a TouchpointScorecard or a table, got {type(scorecard).__name__}")
    check_columns(table, [row, column, "estimate", "ci_low", "ci_high", "n", "small_base"], argument="scorecard")
    pct = ("n_top" in table.columns) if percent is None else bool(percent)
    k = 100.0 if pct else 1.0
    grid, small = _heat_grid(table, row, column, "estimate")
    lo, _ = _heat_grid(table, row, column, "ci_low")
    hi, _ = _heat_grid(table, row, column, "ci_high")
    n, _ = _heat_grid(table, row, column, "n")
    masked = small.astype("boolean").fillna(True).to_numpy(dtype=bool)
    values = np.ma.masked_array(grid.to_numpy() * k, mask=masked | np.isnan(grid.to_numpy()))
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5 + 1.6 * grid.shape[1], 1.2 + 0.7 * grid.shape[0]))
    img = ax.imshow(values, cmap="RdYlGn", aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isnan(n.iat[i, j]):
                continue
            if masked[i, j]:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", color="0.7", lw=0))
                ax.text(j, i, f"{SUPPRESSED}\n(n = {int(n.iat[i, j]):,})", ha="center", va="center", fontsize=7,
                        color="0.35")
                continue
            d = 0 if pct else 2
            ax.text(j, i, f"{k * grid.iat[i, j]:.{d}f}{'%' if pct else ''}\n"
                          f"{format_interval(k * lo.iat[i, j], k * hi.iat[i, j], digits=d)}\n(n = {int(n.iat[i, j]):,})",
                    ha="center", va="center", fontsize=7)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(r) for r in grid.index])
    ax.set_xlabel(column)
    ax.set_ylabel(row)
    plt.colorbar(img, ax=ax, label=("share (%)" if pct else "mean score"))
    if card is not None:
        what = {"csat": "CSAT", "ces": "CES", "mean_score": "Mean score"}.get(card.metric, card.metric)
        how = {"csat": "top-box share", "ces": "easy share"}.get(card.metric, "share") if pct else "mean"
        ax.set_title(f"{what} by {row} and {column}, {card.quarter} ({how} of {card.score})")
    else:
        ax.set_title(f"By {row} and {column}")
    return ax


def plot_switching_effect(effect: SwitchingEffect, *, ax: Any = None, label: str | None = None,
                          stratum_label: str | None = None) -> Any:
    """The effect of channel switching per stratum and overall: switched − not switched,
    with intervals (a :class:`~cxlib.journeys.switching.SwitchingEffect`).

    Parameters
    ----------
    effect : SwitchingEffect
        :func:`cxlib.ticket_switching_csat`, :func:`cxlib.ticket_switching_effort` or
        :func:`cxlib.switching_effect`.
    ax : matplotlib Axes, optional
    label : str, optional
        The outcome's label (default: its column).
    stratum_label : str, optional
        What a stratum counts (default: the stratum column).

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal interval per compared stratum (normal interval of its difference)
        and the overall effect at the bottom; strata not compared are left out.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"contacts": [2, 2, 2, 2, 3, 3, 3, 3, 3],
    ...                    "switched": [True, True, False, False, True, True, True, False, False],
    ...                    "csat": [2, 3, 4, 5, 1, 2, 3, 3, 4]})
    >>> ax = cx.plot_switching_effect(cx.switching_effect(df, outcome="csat", min_base=2))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['contacts 2 (n = 2 vs 2)', 'contacts 3 (n = 3 vs 2)', 'overall (n = 5 vs 4)']
    """
    import matplotlib.pyplot as plt

    if not isinstance(effect, SwitchingEffect):
        raise CXDataError(f"`effect` must be a SwitchingEffect, got {type(effect).__name__}")
    z = normal_quantile(effect.confidence_level)
    st = effect.strata[effect.strata["compared"].astype(bool)]
    keys = [c for c in st.columns if c not in ("n_switched", "n_other", "switched", "other", "diff", "std_err",
                                                 "compared", "weight")]
    what = stratum_label or ", ".join(keys)
    names = [f"{what} {' / '.join(str(r[k]) for k in keys)} (n = {int(r['n_switched']):,} vs {int(r['n_other']):,})"
             for _, r in st.iterrows()]
    names.append(f"overall (n = {effect.n_switched:,} vs {effect.n_other:,})")
    est = np.append(st["diff"].to_numpy(float), effect.estimate)
    lo = np.append(st["diff"].to_numpy(float) - z * st["std_err"].to_numpy(float), effect.ci_low)
    hi = np.append(st["diff"].to_numpy(float) + z * st["std_err"].to_numpy(float), effect.ci_high)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * len(est)))
    y = np.arange(len(est))[::-1]
    colours = ["0.45"] * (len(est) - 1) + ["C3"]
    for yi, e, a, b, c in zip(y, est, lo, hi, colours):
        ax.plot([a, b], [yi, yi], color=c, lw=2)
        ax.plot([e], [yi], "o", color=c)
    ax.axvline(0, color="0.6", lw=1, ls="--")
    ax.set_yticks(y, names)
    ax.set_xlabel(f"switched − not switched ({label or effect.outcome}, points; "
                  f"{100 * effect.confidence_level:.0f}% intervals)")
    ax.set_title(f"Channel switching and {label or effect.outcome}: within {what}")
    return ax
