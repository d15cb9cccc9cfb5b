"""Tidy summaries of key-driver results for tables, charts and key figures (no sentences).

- :func:`driver_summary` — shares of the explained variance with their intervals;
- :func:`r_squared_interval` — the bootstrap interval of the model R²;
- :func:`top_driver_lead` — how far the top driver leads the second;
- :func:`segment_driver_differences` — segment differences in R² points, most
  significant first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_choice
from ..core.inference import percentile_bound_mc_error, percentile_interval
from ..core.results import SCALES, to_percent
from .results import KeyDriverResult, KeyDriversByGroupResult


def _sums_to_r2(result: KeyDriverResult) -> bool:
    return result.method in ("shapley", "relative_weights") or result.outcome_type == "binary"


def _replicate_shares(result: KeyDriverResult) -> np.ndarray:
    """Bootstrap replicates of the shares (%), shape (replicates, drivers)."""
    reps = result.bootstrap_importances
    if reps.shape[0] == 0:
        return reps
    tot = reps.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * reps / tot


def driver_summary(result: KeyDriverResult) -> pd.DataFrame:
    """Tidy per-driver summary of a key-driver result, in rank order, for tables and plots.

    Parameters
    ----------
    result : KeyDriverResult

    Returns
    -------
    pandas.DataFrame
        ``driver, rank, sign, importance, importance_ci_low, importance_ci_high,
        estimate, ci_low, ci_high, n, small_base, min_base, confidence_level, ci_low_mc_se,
        ci_high_mc_se`` where ``estimate`` is the driver's share of the total importance
        (%, for Shapley the share of the explained variance), ``ci_low``/``ci_high`` its
        percentile bootstrap interval and ``ci_low_mc_se``/``ci_high_mc_se`` the
        Monte-Carlo standard errors of those bounds (share points; how much they move
        between runs of ``n_boot`` resamples,
        :func:`~cxlib.core.inference.percentile_bound_mc_error`). The frame has the fields :func:`cxlib.report.format_table`
        and :func:`cxlib.plot_estimates` expect.

    Notes
    -----
    The share interval is taken from the replicates of ``share_j = 100 · I_j / Σ_k I_k``
    (each replicate normalised by its own total), not from the importance interval divided
    by the point total. Without a bootstrap the intervals are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=1)
    >>> driver_summary(res)[["driver", "rank", "estimate"]].values.tolist()
    [['b', 1, 80.0], ['a', 2, 20.0]]
    """
    t = result.table
    shares = _replicate_shares(result).reshape(-1, len(t))
    lo, hi = percentile_interval(shares, result.confidence_level)
    lo_mc, hi_mc = percentile_bound_mc_error(shares, result.confidence_level)
    out = pd.DataFrame(
        {
            "driver": t["driver"],
            "rank": t["rank"],
            "sign": t["sign"],
            "importance": t["importance"],
            "importance_ci_low": t["ci_low"],
            "importance_ci_high": t["ci_high"],
            "estimate": t["share"],
            "ci_low": lo,
            "ci_high": hi,
        }
    )
    out["n"] = result.n
    out["small_base"] = result.small_base
    out["min_base"] = result.min_base
    out["confidence_level"] = result.confidence_level
    out["ci_low_mc_se"] = lo_mc
    out["ci_high_mc_se"] = hi_mc
    return out.sort_values(["rank", "driver"], kind="stable").reset_index(drop=True)


def r_squared_interval(result: KeyDriverResult) -> tuple[float, float]:
    """Percentile bootstrap interval of the model R² (McFadden's for binary outcomes).

    For Shapley/LMG, relative weights and logistic dominance the importances of each
    replicate sum to that replicate's R², so the interval comes from the row sums of
    ``result.bootstrap_importances``. For "ols" and "correlation" (which do not sum to
    R²), or without a bootstrap, it is (NaN, NaN).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=100, seed=1)
    >>> lo, hi = r_squared_interval(res)
    >>> bool(lo < res.r_squared < hi)
    True
    """
    reps = result.bootstrap_importances
    if reps.shape[0] == 0 or not _sums_to_r2(result):
        return float("nan"), float("nan")
    lo, hi = percentile_interval(reps.sum(axis=1)[:, None], result.confidence_level)
    return float(lo[0]), float(hi[0])


def top_driver_lead(result: KeyDriverResult) -> dict[str, Any] | None:
    """How far the most important driver leads the second, in R² points (importance × 100).

    Returns
    -------
    dict or None
        ``driver, runner_up, estimate, ci_low, ci_high, n, confidence_level``: the
        difference of the two importances × 100 and the percentile interval of the
        replicate differences (NaN without a bootstrap); None with a single driver.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.drivers import key_drivers
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> lead = top_driver_lead(key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=1))
    >>> lead["driver"], lead["runner_up"], round(lead["estimate"], 6), lead["ci_low"]
    ('b', 'a', 60.0, nan)
    """
    s = driver_summary(result)
    if len(s) < 2:
        return None
    first, second = s["driver"].iloc[0], s["driver"].iloc[1]
    reps = result.bootstrap_importances
    j1, j2 = result.drivers.index(first), result.drivers.index(second)
    lo, hi = percentile_interval((reps[:, j1] - reps[:, j2])[:, None] * 100, result.confidence_level)
    return {
        "driver": first, "runner_up": second,
        "estimate": float(100 * (s["importance"].iloc[0] - s["importance"].iloc[1])),
        "ci_low": float(lo[0]), "ci_high": float(hi[0]), "n": result.n,
        "confidence_level": result.confidence_level,
    }


def segment_driver_differences(result: KeyDriversByGroupResult, *, scale: str = "percent") -> pd.DataFrame:
    """Differences in driver importance between segments, most significant first.

    Parameters
    ----------
    result : KeyDriversByGroupResult
    scale : {"percent", "proportion"}
        "percent" (default): R² points (importance × 100); "proportion": R² units, as
        in ``result.differences``.

    Returns
    -------
    pandas.DataFrame
        ``result.differences`` (``group_a, group_b, driver, estimate, ci_low, ci_high, n,
        p_value, p_value_adj, significant, small_base, min_base, confidence_level``;
        ``estimate`` = importance in group_a − importance in group_b) on the chosen scale,
        sorted by adjusted p-value.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.drivers import key_drivers_by_group
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> df["seg"] = np.repeat(["x", "z"], 100)
    >>> res = key_drivers_by_group(df, by="seg", outcome="y", drivers=["a", "b"], n_boot=50, seed=1)
    >>> d = segment_driver_differences(res)
    >>> d[["group_a", "group_b", "n"]].values.tolist()
    [['x', 'z', 100], ['x', 'z', 100]]
    >>> bool(np.isclose(d.loc[d["driver"] == "a", "estimate"].item(),
    ...                 100 * res.differences.loc[res.differences["driver"] == "a", "estimate"].item()))
    True
    """
    check_choice(scale, SCALES, argument="scale")
    out = to_percent(result.differences, ("estimate", "ci_low", "ci_high")) if scale == "percent" \
        else result.differences.copy()
    return out.sort_values(["p_value_adj", "group_a", "group_b", "driver"], kind="stable",
                           na_position="last").reset_index(drop=True)
