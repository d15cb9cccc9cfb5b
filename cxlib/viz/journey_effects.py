"""Journey-effect charts: the recovery curve after a negative episode, with its bands."""

from __future__ import annotations

from ..errors import CXDataError
from ..journeys.effects import EpisodeEffects

_LABELS = {"without_followup": "no follow-up", "with_followup": "with proactive follow-up", "all": "all episodes"}


def plot_recovery_curve(result: EpisodeEffects, ax=None, *, ylabel: str | None = None, title: str | None = None):
    """Draw the effect of a negative episode by quarters since it, one line per group, with bands.

    The points are the result's ``curve`` estimates; the bands its precomputed
    ``ci_low``/``ci_high`` (never recomputed). A zero line marks the customer's earlier
    level; the legend gives each group's n (outcome rows with an episode at lag 0).

    Parameters
    ----------
    result : EpisodeEffects
        From :func:`cxlib.episode_effects`.
    ax : matplotlib.axes.Axes, optional
    ylabel, title : str, optional
        Default: "effect on <outcome> (vs the customer's own level)" and "Recovery after
        a negative episode".

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from cxlib.journeys.effects import episode_effects
    >>> out = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2, 3, 3, 3], "quarter": [1, 2, 3] * 3,
    ...                     "osat": [5.0, 3.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 2.0]})
    >>> ep = pd.DataFrame({"customer_id": [1, 3], "quarter": [2, 1]})
    >>> ax = plot_recovery_curve(episode_effects(out, ep, outcome="osat", followup=None, lags=1))
    >>> ax.get_xlabel()
    'quarters since the episode'
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, EpisodeEffects):
        raise CXDataError(f"`result` must be an EpisodeEffects from cx.episode_effects, got {type(result).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.2))
    groups = list(dict.fromkeys(result.curve["group"]))
    width = 0.08 * (len(groups) - 1)
    for i, (g, c) in enumerate((g, result.curve.loc[result.curve["group"] == g]) for g in groups):
        x = c["lag"].to_numpy(float) + (i * 0.16 - width)
        n0 = int(c.loc[c["lag"] == c["lag"].min(), "n"].iloc[0])
        (line,) = ax.plot(x, c["estimate"], marker="o", label=f"{_LABELS.get(g, g)} (n = {n0:,})")
        ax.fill_between(x, c["ci_low"], c["ci_high"], alpha=0.18, color=line.get_color(), linewidth=0)
        ax.vlines(x, c["ci_low"], c["ci_high"], color=line.get_color(), linewidth=1)
    ax.axhline(0.0, color="0.4", linewidth=0.8, linestyle=":")
    ax.set_xticks(range(result.lags + 1))
    ax.set_xlabel("quarters since the episode")
    ax.set_ylabel(ylabel or f"effect on {result.outcome} (vs the customer's own level)")
    level = round(100 * result.confidence_level)
    ax.set_title(title or f"Recovery after a negative episode ({level} % bands; {result.n_customers:,} customers)")
    ax.legend(loc="lower right", frameon=False)
    return ax
