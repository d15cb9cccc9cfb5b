"""Importance–performance analysis (Martilla & James 1977): where to act first."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_choice
from ..errors import CXDataError, SmallBaseWarning
from ..metrics import mean_score, top_box
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

#: How a driver's performance is measured: its (weighted) mean rating (t interval,
#: :func:`cxlib.mean_score`) or its top-box share (Wilson interval, :func:`cxlib.top_box`).
PERFORMANCE_MEASURES = ("mean", "top_box")

#: ``unsettled`` of a driver whose quadrant the data settle.
SETTLED = ""


def importance_performance(
    data: pd.DataFrame | KeyDriverResult,
    *,
    outcome: str | None = None,
    drivers: Sequence[str] | None = None,
    cutoff: str = "mean",
    performance: str = "mean",
    top: Any = None,
    scale: Any = None,
    missing: Any = None,
    **key_driver_options: Any,
) -> ImportancePerformanceResult:
    """Importance–performance analysis (Martilla & James 1977), with the quadrant calls
    the data settle told apart from the borderline ones.

    Parameters
    ----------
    data : pandas.DataFrame or KeyDriverResult
        Respondent data (then :func:`~cxlib.drivers.key_drivers` is run with ``outcome``,
        ``drivers`` and ``key_driver_options``), or a finished key-driver result, whose
        importances (with their bootstrap intervals) and rows used are taken.
    outcome, drivers : str, list of str
        Needed when ``data`` is a DataFrame.
    cutoff : {"mean", "median"}
        Where to split the grid: the mean (default) or median importance and
        performance over the drivers.
    performance : {"mean", "top_box"}
        The performance of a driver on the rows used by the key-driver analysis: its
        (weighted) mean rating with a t interval (:func:`cxlib.mean_score`, default), or
        its top-box share (proportion 0–1) with a Wilson interval (:func:`cxlib.top_box`;
        then ``top`` is required).
    top : (low, high) or number, optional
        The top box (as in :func:`cxlib.top_box`), e.g. ``(4, 5)`` on 1–5 ratings.
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
        importance, its interval and ``rank`` alongside) plus ``performance``,
        ``performance_ci_low``, ``performance_ci_high``, ``performance_n``, ``quadrant``,
        ``importance_settled``, ``performance_settled``, ``settled`` and ``unsettled``
        (``""`` when settled, else the unsettled axis: ``"importance"``,
        ``"performance"`` or ``"importance and performance"``); the cut-offs used;
        ``n_missing_codes`` from the key-driver result.

    Notes
    -----
    A driver with importance above the cut-off and performance at or below it is
    "concentrate here"; high/high "keep up the good work"; low/low "low priority"; low
    importance and high performance "possible overkill". A value equal to a cut-off
    counts as low. The quadrant is that of the point estimates.

    The call is *settled* on an axis when the driver's interval lies on the same side of
    the cut line as its point estimate: above means ``ci_low > cut``, at or below means
    ``ci_high <= cut``. Importance uses the percentile bootstrap interval of the share
    of the total importance against the share cut-off (with ``cutoff="mean"`` the share
    cut-off is 100/p in every replicate, so the cut line's own sampling variation is
    accounted for); performance uses the metric core's interval against the performance
    cut-off, taken as fixed. A quadrant is settled when both axes are; without a
    bootstrap (``n_boot=0``) no importance call is settled. Read an unsettled call as
    borderline: the data do not exclude the neighbouring quadrant at the confidence level
    of the key-driver result.

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
    >>> ipa.table["settled"].tolist(), ipa.table["unsettled"].tolist()  # no bootstrap, no settled call
    ([False, False], ['importance and performance', 'importance and performance'])
    """
    check_choice(cutoff, ("mean", "median"), argument="cutoff")
    check_choice(performance, PERFORMANCE_MEASURES, argument="performance")
    if performance == "top_box" and top is None:
        raise CXDataError("`performance`='top_box' needs `top`, the top box of the ratings, e.g. top=(4, 5)")
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
    measured = _performance(res, performance, top)
    perf = measured["performance"].to_numpy(dtype=float)
    agg = np.mean if cutoff == "mean" else np.median
    ic, pc = float(agg(imp)), float(agg(perf))
    total = float(np.sum(imp))
    share_cut = 100.0 * ic / total if total != 0 else float("nan")
    table = pd.concat([table, measured.reset_index(drop=True)], axis=1)
    high_imp, high_perf = imp > ic, perf > pc
    table["quadrant"] = [QUADRANTS[(bool(i), bool(q))] for i, q in zip(high_imp, high_perf)]
    table["importance_settled"] = _settled(high_imp, table["ci_low"], table["ci_high"], share_cut)
    table["performance_settled"] = _settled(high_perf, table["performance_ci_low"], table["performance_ci_high"], pc)
    table["settled"] = table["importance_settled"] & table["performance_settled"]
    table["unsettled"] = [
        SETTLED if a and b else "importance" if b else "performance" if a else "importance and performance"
        for a, b in zip(table["importance_settled"], table["performance_settled"])
    ]
    return ImportancePerformanceResult(
        table=table, importance_cutoff=ic, performance_cutoff=pc, share_cutoff=share_cut, cutoff=cutoff,
        importance_method=res.description, n=res.n, confidence_level=res.confidence_level,
        n_missing_codes=dict(res.n_missing_codes), performance_measure=performance,
        top=None if top is None else (tuple(top) if isinstance(top, (list, tuple)) else top),
    )


def _settled(high: np.ndarray, low_bound: pd.Series, high_bound: pd.Series, cut: float) -> np.ndarray:
    """Whether each interval lies on the side of ``cut`` of its point estimate (NaN: no)."""
    lo, hi = low_bound.to_numpy(dtype=float), high_bound.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(high, lo > cut, hi <= cut) & np.isfinite(lo) & np.isfinite(hi)


def _performance(res: KeyDriverResult, measure: str, top: Any) -> pd.DataFrame:
    """Performance of each driver on the key-driver rows, with its interval from the metric core.

    The mean keeps ``res.performance`` (the same weighted mean) as the estimate.
    """
    rows = []
    for d in res.drivers:
        if res.ratings is None:  # a result built without its rows: no interval
            rows.append({"performance": float(res.performance[d]), "performance_ci_low": np.nan,
                         "performance_ci_high": np.nan, "performance_n": res.n})
            continue
        with warnings.catch_warnings():  # the key-driver result already states its base
            warnings.simplefilter("ignore", SmallBaseWarning)
            if measure == "mean":
                m = mean_score(res.ratings, score=d, weights=res.rating_weights,
                               confidence_level=res.confidence_level)
                est = float(res.performance[d])
            else:  # the ratings were checked against their declared points by key_drivers: the
                # observed range (widened to hold the top box) only tells top_box the points
                bounds = [float(res.ratings[d].min()), float(res.ratings[d].max()),
                          *np.ravel(np.asarray(top, dtype=float))]
                m = top_box(res.ratings, score=d, top=top, scale=(min(bounds), max(bounds)),
                            weights=res.rating_weights, confidence_level=res.confidence_level)
                est = float(m.estimate)
        rows.append({"performance": est, "performance_ci_low": float(m.ci_low),
                     "performance_ci_high": float(m.ci_high), "performance_n": int(m.n)})
    return pd.DataFrame(rows)
