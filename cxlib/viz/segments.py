"""Charts of segments: the profile heat map, response styles, outcomes by segment.

Each function draws a result computed by :mod:`cxlib.segments` (never recomputing it),
takes ``ax=None`` (``axes=None`` for small multiples) and returns what it drew on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_choice, check_columns
from ..errors import CXDataError
from ..segments.styles import STYLES, ResponseStyles
from .estimates import plot_estimates

_PROFILE_TITLES = {
    "index": "Segment profile: index vs total (100 = average)",
    "estimate": "Segment profile: estimates",
    "difference": "Segment profile: difference vs rest of sample",
}
_PROFILE_BAR = {"index": "index (100 = total)", "estimate": "estimate", "difference": "difference vs rest"}


def _profile_grid(result: pd.DataFrame, value: str, annotate: bool) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """The profile as variable (level) x segment grids: values, the small-base mask, labels."""
    df = result.copy()
    df["row"] = [v if m == "mean" else f"{v} = {lev}" for v, m, lev in zip(df["variable"], df["measure"], df["level"])]
    row_order = list(dict.fromkeys(df["row"]))
    seg_order = list(dict.fromkeys(df["segment"]))

    def grid(column: str) -> pd.DataFrame:
        return df.pivot(index="row", columns="segment", values=column).reindex(index=row_order, columns=seg_order)

    mask = grid("small_base").fillna(True).astype(bool)
    if not annotate:
        return grid(value), mask, False
    sig = df["significant"].fillna(False).astype(bool)  # untested cells (missing) are not marked
    df["label"] = [
        (f"{e:.2f}" if m == "mean" else f"{100 * e:.0f}%") + ("*" if s else "")
        for e, m, s in zip(df["estimate"], df["measure"], sig)
    ]
    return grid(value), mask, grid("label").to_numpy()


def plot_profile(result: pd.DataFrame, *, ax: Any = None, value: str = "index", annotate: bool = True) -> Any:
    """Heat map of a :func:`cxlib.profile` table: rows = variables (levels), columns = segments.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`cxlib.profile`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created otherwise.
    value : {"index", "estimate", "difference"}
        What the colour shows; ``index`` is centred on 100, ``difference`` on 0.
    annotate : bool, default True
        Print the segment's estimate in each cell, with ``*`` when significant after BH.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Small-base cells (``small_base``) are left blank. Column labels carry the largest base
    of each segment.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 4 + ["b"] * 4, "quality": [5, 4, 5, 4, 2, 3, 2, 3]})
    >>> ax = cx.plot_profile(cx.profile(df, by="seg", variables=["quality"], min_base=2))
    >>> ax.get_title()
    'Segment profile: index vs total (100 = average)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not isinstance(result, pd.DataFrame):
        raise CXDataError(f"`result` must be the DataFrame returned by cx.profile, got {type(result).__name__}")
    check_choice(value, tuple(_PROFILE_TITLES), argument="value")
    need = ["segment", "variable", "level", "measure", "estimate", value, "significant", "small_base", "n"]
    check_columns(result, need, argument="result")
    vals, mask, annot = _profile_grid(result, value, annotate)
    seg_order = list(vals.columns)
    n_by_seg = result.groupby("segment", sort=False)["n"].max()
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 1.1 * len(seg_order), 0.9 + 0.45 * len(vals)))
    center = 100.0 if value == "index" else (0.0 if value == "difference" else None)
    sns.heatmap(vals.astype(float), mask=mask.to_numpy(), annot=annot, fmt="",
                cmap="vlag_r" if center is not None else "crest", center=center, linewidths=0.5,
                cbar_kws={"label": _PROFILE_BAR[value]}, ax=ax)
    ax.set_xticklabels([f"{s}\n(n={int(n_by_seg[s])})" for s in seg_order], rotation=0)
    ax.set_xlabel("segment")
    ax.set_ylabel("")
    ax.set_title(_PROFILE_TITLES[value])
    return ax


def plot_response_styles(result: ResponseStyles, *, ax: Any = None) -> Any:
    """Grouped bars of ERS, MRS and ARS per group (from :func:`cxlib.response_styles`).

    Bars are the result's ``summary`` shares in percent; the group labels carry ``n``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["BR", "BR", "JP", "JP"], "q1": [5, 1, 3, 3], "q2": [5, 4, 3, 2]})
    >>> cx.plot_response_styles(cx.response_styles(df, items=["q1", "q2"])).get_ylabel()
    'share of answers (%)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not isinstance(result, ResponseStyles):
        raise CXDataError(f"`result` must be a ResponseStyles, got {type(result).__name__}")
    by = result.by
    shown = ["ers", "mrs", "ars"]
    long = result.summary.melt(id_vars=[by, "n"], value_vars=shown, var_name="style", value_name="share")
    long["style"] = long["style"].map(STYLES)
    long["share"] = 100 * long["share"]
    long[by] = [f"{g}\n(n={n:,})" for g, n in zip(long[by], long["n"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 + 1.2 * result.summary.shape[0], 3.8))
    sns.barplot(data=long, x=by, y="share", hue="style", hue_order=[STYLES[s] for s in shown], ax=ax)
    lo, hi = result.scale
    ax.set_ylabel("share of answers (%)")
    ax.set_xlabel(by)
    ax.set_title(f"Response styles on the {lo}–{hi} items, by {by}")
    ax.legend(title="style", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def plot_segment_outcomes(
    outcomes: pd.DataFrame,
    *,
    by: str = "segment",
    names: Mapping[Any, str] | None = None,
    axes: Any = None,
) -> np.ndarray:
    """One panel per outcome of :func:`cxlib.segment_outcomes`: each segment's estimate
    with its interval, significant differences from the rest marked.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        The output of :func:`cxlib.segment_outcomes` (``metric, label, unit``, the ``by``
        column, ``estimate, ci_low, ci_high, n, small_base, significant``).
    by : str, default "segment"
        The segment column.
    names : dict, optional
        Segment -> name (:func:`cxlib.name_segments`), shown after the segment number.
    axes : array of matplotlib Axes, optional
        At least one Axes per metric; a grid of two columns is created otherwise.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The panels drawn on, in the order of the metrics in ``outcomes``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"segment": [1] * 4 + [2] * 4, "ltr": [10, 9, 9, 3, 2, 6, 9, 7],
    ...                    "osat": [5, 5, 4, 2, 1, 2, 4, 3], "ces": [7, 6, 6, 2, 1, 3, 5, 4]})
    >>> out = cx.segment_outcomes(df, by="segment", weights=None, min_base=2)
    >>> [ax.get_title() for ax in cx.plot_segment_outcomes(out)]
    ['NPS (n 4–4)', 'CSAT top-2-box (n 4–4)', 'CES easy (5–7) (n 4–4)']
    """
    import matplotlib.pyplot as plt

    check_columns(outcomes, ["metric", "label", "unit", by, "estimate", "ci_low", "ci_high", "n"],
                  argument="outcomes")
    names = dict(names or {})
    metrics = list(dict.fromkeys(outcomes["metric"]))
    if axes is None:
        rows = (len(metrics) + 1) // 2
        fig, axes = plt.subplots(rows, 2, figsize=(15, 3.5 * rows), constrained_layout=True, squeeze=False)
        level = outcomes["confidence_level"].iloc[0] if "confidence_level" in outcomes else None
        fig.suptitle((f"By segment, {level:.0%} intervals" if level is not None else "By segment")
                     + "; red diamond and * = differs from the rest (BH-adjusted)")
    flat = np.asarray(axes, dtype=object).ravel()
    if len(flat) < len(metrics):
        raise CXDataError(f"`axes` has {len(flat)} Axes for {len(metrics)} outcomes {metrics}")
    for ax, metric in zip(flat, metrics):
        part = outcomes[outcomes["metric"] == metric].copy()
        part["_name"] = [f"{s} {names[s]}" if s in names else f"{s}" for s in part[by]]
        label, unit = part["label"].iloc[0], part["unit"].iloc[0]
        plot_estimates(part, y="_name", ax=ax, title=f"{label} (n {part['n'].min():,}–{part['n'].max():,})",
                       xlabel="points" if unit == "points" else "%", legend=False)
    for ax in flat[len(metrics):]:
        ax.set_visible(False)
    return flat[: len(metrics)]


def plot_style_comparison(result: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Raw and style-adjusted estimates per group with their intervals (from
    :func:`cxlib.style_adjusted_comparison`): two markers per group, raw (open) and
    adjusted (filled), groups below the minimum base left out; the title carries both
    tests' p-values.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["A"] * 4 + ["B"] * 4, "ltr": [10, 9, 7, 3, 10, 10, 9, 6],
    ...                    "q1": [4, 5, 3, 2, 5, 5, 4, 3], "q2": [4, 4, 3, 2, 5, 5, 5, 3]})
    >>> ax = cx.plot_style_comparison(cx.style_adjusted_comparison(df, items=["q1", "q2"], min_base=2))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A (n=4)', 'B (n=4)']
    """
    import matplotlib.pyplot as plt

    from ..segments.style_adjust import StyleAdjustedComparison

    if not isinstance(result, StyleAdjustedComparison):
        raise CXDataError(f"`result` must be a StyleAdjustedComparison, got {type(result).__name__}")
    t = result.table[~result.table["small_base"].astype(bool)]
    groups = list(dict.fromkeys(t[result.by]))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.9 + 0.55 * max(len(groups), 1)))
    y = np.arange(len(groups))
    for offset, adjustment, marker, face in ((-0.14, "raw", "o", "white"), (0.14, "adjusted", "s", None)):
        part = t[t["adjustment"] == adjustment].set_index(result.by).reindex(groups)
        est, lo, hi = (part[c].to_numpy(dtype=float) for c in ("estimate", "ci_low", "ci_high"))
        ax.errorbar(est, y + offset, xerr=[est - lo, hi - est],
                    fmt=marker, mfc=face, capsize=3, label="raw" if adjustment == "raw" else "adjusted for style")
    n = t[t["adjustment"] == "raw"].set_index(result.by).reindex(groups)["n"]
    ax.set_yticks(y, [f"{g} (n={int(k):,})" for g, k in zip(groups, n)])
    ax.invert_yaxis()
    name = "NPS (points)" if result.metric == "nps" else f"mean {result.outcome}"
    ax.set_xlabel(f"{name}, {result.confidence_level:.0%} intervals")
    p = {k: ("not tested" if not np.isfinite(v) else f"p = {v:.2g}")
         for k, v in result.tests.set_index("adjustment")["p_value"].items()}
    ax.set_title(title or f"{name.split(' (')[0]} by {result.by}: raw ({p['raw']}) and adjusted for "
                 f"response styles ({p['adjusted']})", fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax
