"""Importance–performance analysis (Martilla & James 1977): where to act first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_choice
from ..errors import CXDataError
from .importance import key_drivers
from .results import ImportancePerformanceResult, KeyDriverResult
from .summary import driver_summary

#: Quadrant of (importance above its cut-off, performance above its cut-off).
QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


def importance_performance(
    data: pd.DataFrame | KeyDriverResult,
    *,
    outcome: str | None = None,
    drivers: Sequence[str] | None = None,
    cutoff: str = "mean",
    scale: Any = None,
    missing: Any = None,
    **key_driver_options: Any,
) -> ImportancePerformanceResult:
    """Importance–performance analysis (Martilla & James 1977).

    Parameters
    ----------
    data : pandas.DataFrame or KeyDriverResult
        Respondent data (then :func:`~cxlib.drivers.key_drivers` is run with ``outcome``,
        ``drivers`` and ``key_driver_options``), or a finished key-driver result, whose
        importances and per-driver (weighted) mean ratings on the same rows are used.
    outcome, drivers : str, list of str
        Needed when ``data`` is a DataFrame.
    cutoff : {"mean", "median"}
        Where to split the grid: the mean (default) or median importance and
        performance over the drivers.
    scale, missing : optional
        The drivers' scale points and declared missing codes, as in
        :func:`~cxlib.drivers.key_drivers`: the codes are missing for the importances
        *and* the performances (a "not applicable" 0 never lowers a mean rating). A
        finished key-driver result already carries them, so they are refused with one.
    **key_driver_options
        Passed to :func:`~cxlib.drivers.key_drivers` (method, weights, n_boot, seed, ...).

    Returns
    -------
    ImportancePerformanceResult
        ``table``: the :func:`~cxlib.drivers.driver_summary` in the order of the drivers
        (share of the total importance with its interval as ``estimate, ci_low, ci_high``;
        importance, its interval and ``rank`` alongside) plus ``performance`` and
        ``quadrant``; the cut-offs used; ``n_missing_codes`` from the key-driver result.

    Notes
    -----
    Performance is the (weighted) mean rating of the driver. A driver with importance
    above the cut-off and performance at or below it is "concentrate here"; high/high
    "keep up the good work"; low/low "low priority"; low importance and high performance
    "possible overkill". A value equal to a cut-off counts as low.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of
    Marketing* 41(1), 77–79.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=200)
    >>> ipa = importance_performance(df, outcome="y", drivers=["a", "b"], n_boot=0)
    >>> ipa.table["driver"].tolist(), ipa.cutoff, ipa.share_cutoff
    (['a', 'b'], 'mean', 50.0)
    """
    check_choice(cutoff, ("mean", "median"), argument="cutoff")
    if isinstance(data, KeyDriverResult):
        if scale is not None or missing is not None:
            raise CXDataError("`scale`/`missing` apply when `data` is a DataFrame; a KeyDriverResult already "
                              "has its declared missing codes set missing (see its `n_missing_codes`)")
        res = data
    else:
        if outcome is None or drivers is None:
            raise CXDataError("`outcome` and `drivers` are required when `data` is a DataFrame")
        res = key_drivers(data, outcome=outcome, drivers=drivers, scale=scale,
                          missing=() if missing is None else missing, **key_driver_options)
    order = {d: i for i, d in enumerate(res.drivers)}
    table = driver_summary(res).sort_values("driver", key=lambda s: s.map(order)).reset_index(drop=True)
    imp = table["importance"].to_numpy(dtype=float)
    perf = res.performance.reindex(table["driver"]).to_numpy(dtype=float)
    agg = np.mean if cutoff == "mean" else np.median
    ic, pc = float(agg(imp)), float(agg(perf))
    total = float(np.sum(imp))
    table["performance"] = perf
    table["quadrant"] = [QUADRANTS[(bool(i > ic), bool(q > pc))] for i, q in zip(imp, perf)]
    return ImportancePerformanceResult(
        table=table, importance_cutoff=ic, performance_cutoff=pc,
        share_cutoff=100.0 * ic / total if total != 0 else float("nan"), cutoff=cutoff,
        importance_method=res.description, n=res.n, confidence_level=res.confidence_level,
        n_missing_codes=dict(res.n_missing_codes),
    )
