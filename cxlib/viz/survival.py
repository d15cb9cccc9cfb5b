"""Survival charts: Kaplan–Meier step curves with their precomputed pointwise bands."""

from __future__ import annotations

from ..errors import CXDataError
from ..survival import SurvivalResult


def plot_survival(result: SurvivalResult, ax=None, *, ci: bool = True, xlabel: str | None = None,
                  title: str | None = None):
    """Draw the Kaplan-Meier step curves of a :class:`~cxlib.survival.SurvivalResult` with their bands.

    Each group's curve is its ``estimate`` column as a right-continuous step; the band is
    the result's ``ci_low``/``ci_high`` (never recomputed). A group below the result's
    minimum base is drawn dashed, without a band, and labelled "small base". The legend
    (group and n) sits outside the axes, so it never covers a curve.

    Parameters
    ----------
    result : SurvivalResult
        From :func:`cxlib.survival`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    ci : bool
        Shade the precomputed ``ci_low``/``ci_high`` band.
    xlabel, title : str, optional
        Default: "time since start of observation" and "Kaplan-Meier survival [by group]
        (log-rank p)".

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from cxlib.survival import survival
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "g": ["a", "a", "b", "b"]})
    >>> ax = plot_survival(survival(d, duration="t", event="e", by="g", min_base=1))
    >>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('share still customers', ['a (n = 2)', 'b (n = 2)'])
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, SurvivalResult):
        raise CXDataError(f"`result` must be a SurvivalResult from cx.survival, got {type(result).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.5))
    small = dict(zip(result.medians["group"], result.medians["small_base"]))
    for g, c in result.curves.groupby("group", sort=False, observed=True):
        n = int(c["n"].iloc[0])
        if small.get(g, False):
            ax.step(c["time"], c["estimate"], where="post", linestyle="--", linewidth=1,
                    label=f"{g} (n = {n:,}, small base)")
            continue
        (line,) = ax.step(c["time"], c["estimate"], where="post", label=f"{g} (n = {n:,})")
        if ci:
            ax.fill_between(c["time"], c["ci_low"], c["ci_high"], step="post", alpha=0.2, color=line.get_color(),
                            linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel or "time since start of observation")
    ax.set_ylabel("share still customers")
    if title is None:
        title = "Kaplan-Meier survival" + (f" by {result.by}" if result.by is not None else "")
        if result.logrank is not None:
            title += f" (log-rank p = {result.logrank.p_value:.3g})"
    ax.set_title(title)
    ax.legend(title=result.by, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.annotate(
        f"n = {result.n:,}; bands: {result.confidence_level:.0%} pointwise",
        xy=(0.01, 0.01), xycoords="axes fraction", fontsize=8, color="0.4",
    )
    return ax


def plot_cohort_retention(result, *, since: str | None = None, ax=None, value: str = "retention",
                          vmin: float | None = None, vmax: float | None = None):
    """Heat map of a :func:`cxlib.cohort_retention` result: cohorts (rows) × periods since
    signup (columns), each cell the share still customers; periods not yet observable blank.

    ``since`` keeps the cohorts from that period on (e.g. the last eight quarters). The
    colour scale is in the result's own unit (percent with ``scale="percent"``). Returns the Axes.
    """
    import matplotlib.pyplot as plt

    wide = result.pivot(value)
    if since is not None:
        wide = wide.loc[[str(i if not isinstance(i, tuple) else i[0]) >= since for i in wide.index]]
    if wide.empty:
        raise CXDataError(f"no cohort from {since!r} on in the result; cohorts: {list(result.pivot(value).index)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.3 * len(wide) + 1.5))
    percent = float(result.table[value].max(skipna=True)) > 1.0
    im = ax.imshow(wide.to_numpy(dtype=float), aspect="auto", cmap="viridis",
                   vmin=vmin if vmin is not None else (50 if percent else 0.5),
                   vmax=vmax if vmax is not None else (100 if percent else 1.0))
    ax.set_yticks(range(len(wide)), [" ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in wide.index])
    ax.set_xticks(range(wide.shape[1]), [str(c) for c in wide.columns])
    ax.set_xlabel("periods since signup")
    ax.set_ylabel("signup cohort")
    n = int(result.table.drop_duplicates("cohort")["at_risk"].sum()) if "at_risk" in result.table else None
    ax.set_title("Share of each signup cohort still customers" + (" (%)" if percent else "")
                 + (f" (n = {n:,} customers)" if n is not None else ""))
    ax.figure.colorbar(im, ax=ax, label="retained" + (" (%)" if percent else " (share)"))
    return ax
