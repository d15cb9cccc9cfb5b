"""The inference core: one implementation of each interval, test adjustment and its text.

Every estimator in cxlib takes its critical values, Wilson and percentile-bootstrap
intervals and multiple-testing adjustment from here, and every display layer writes an
interval, an estimate with its base, or a suppressed cell with the functions below, so the
same number reads the same everywhere (a missing interval is always "no interval").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CXDataError

#: Multiple-testing corrections accepted wherever a table of tests is adjusted
#: (statsmodels ``multipletests`` names); ``None`` leaves p-values unadjusted.
CORRECTIONS = ("fdr_bh", "fdr_by", "bonferroni", "holm", None)

#: The text of a missing interval (no base, too few resamples, an unestimable bound).
NO_INTERVAL = "no interval"


def normal_quantile(confidence_level: float) -> float:
    """Two-sided standard-normal critical value ``z`` for a confidence level (0.95 → 1.96).

    >>> round(normal_quantile(0.95), 4)
    1.96
    """
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence_level / 2.0))


def wilson_interval(p, base, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a share ``p`` on (effective) base ``base``.

    ``(p + z²/2b) / (1 + z²/b) ± z / (1 + z²/b) · sqrt(p(1 − p)/b + z²/4b²)``.
    The bounds are kept inside [0, 1] and on either side of ``p``: mathematically they
    are, and clipping only removes floating-point dust (e.g. 5.6e-17 above 0 when p = 0).
    Where ``base`` is 0 the bounds are NaN.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158), 209–212.

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([0.0, 0.5]), np.array([10.0, 100.0]), 1.959963984540054)
    >>> float(lo[0]), round(float(hi[0]), 4), round(float(lo[1]), 4), round(float(hi[1]), 4)
    (0.0, 0.2775, 0.4038, 0.5962)
    """
    p = np.asarray(p, dtype=float)
    b = np.asarray(base, dtype=float)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z2 / b
        centre = (p + z2 / (2.0 * b)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / b + z2 / (4.0 * b * b))
        low = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
        high = np.clip(np.maximum(centre + half, p), 0.0, 1.0)
    return low, high


def percentile_interval(replicates: Any, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each column of ``replicates`` (resamples × stats).

    The bounds are the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of the
    replicates (Efron & Tibshirani 1993, §13.3), NaN replicates ignored. With no
    replicates (zero rows) the bounds are NaN.

    Examples
    --------
    >>> lo, hi = percentile_interval(np.arange(101.0)[:, None], 0.9)
    >>> float(lo[0]), float(hi[0])
    (5.0, 95.0)
    >>> percentile_interval(np.empty((0, 2)), 0.95)[0]
    array([nan, nan])
    """
    reps = np.asarray(replicates, dtype=float)
    if reps.ndim == 1:
        reps = reps[:, None]
    if reps.shape[0] == 0:
        nan = np.full(reps.shape[1], np.nan)
        return nan, nan.copy()
    a = (1.0 - confidence_level) / 2.0
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column gives NaN bounds
            return np.nanquantile(reps, a, axis=0), np.nanquantile(reps, 1.0 - a, axis=0)


def adjust_p_values(p_values: Any, method: str | None = "fdr_bh") -> np.ndarray:
    """Adjust p-values for multiple testing; NaN (untested cells) stay NaN and do not count.

    ``method`` is a statsmodels ``multipletests`` name (``"fdr_bh"`` — Benjamini &
    Hochberg 1995 — ``"fdr_by"``, ``"bonferroni"``, ``"holm"``) or ``None`` for no
    adjustment. Only the finite p-values form the family.

    Examples
    --------
    >>> adjust_p_values([0.01, np.nan, 0.04, 0.03]).round(3)
    array([0.03, nan, 0.04, 0.04])
    >>> adjust_p_values([0.01, np.nan], None)
    array([0.01,  nan])
    """
    if method not in CORRECTIONS:
        raise CXDataError(f"`correction`={method!r} is not valid; choose one of {list(CORRECTIONS)}")
    p = np.asarray(p_values, dtype=float).copy()
    tested = np.isfinite(p)
    if method is not None and tested.any():
        from statsmodels.stats.multitest import multipletests

        p[tested] = multipletests(p[tested], method=method)[1]
    p[~tested] = np.nan
    return p


def significance(p_adjusted: Any, confidence_level: float) -> pd.arrays.BooleanArray:
    """``p < 1 − confidence_level`` as a nullable boolean; missing (``<NA>``) where untested.

    >>> significance([0.01, np.nan, 0.2], 0.95).tolist()
    [True, <NA>, False]
    """
    p = np.asarray(p_adjusted, dtype=float)
    out = pd.array(np.where(np.isfinite(p), p < 1.0 - confidence_level, False), dtype="boolean")
    out[~np.isfinite(p)] = pd.NA
    return out


def _finite(x: Any) -> bool:
    try:
        return x is not None and bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def format_interval(low: Any, high: Any, *, digits: int = 1, thousands: bool = False) -> str:
    """``[low, high]`` rounded for display, or ``"no interval"`` when a bound is missing.

    Examples
    --------
    >>> format_interval(1.234, 5.678)
    '[1.2, 5.7]'
    >>> format_interval(float("nan"), 3.0)
    'no interval'
    >>> format_interval(987859.4, 1112510.9, digits=0, thousands=True)
    '[987,859, 1,112,511]'
    """
    if not (_finite(low) and _finite(high)):
        return NO_INTERVAL
    sep = "," if thousands else ""
    return f"[{float(low):{sep}.{digits}f}, {float(high):{sep}.{digits}f}]"


def format_suppressed(n: Any, min_base: Any = None) -> str:
    """The text of a cell withheld for a small base.

    >>> format_suppressed(12, 30)
    'suppressed (n = 12 < minimum base 30)'
    >>> format_suppressed(26.3)
    'suppressed (effective n = 26.3 < minimum base)'
    """
    if not _finite(n):
        n_txt = "n = ?"
    elif float(n) == round(float(n)):
        n_txt = f"n = {int(round(float(n))):,}"
    else:  # a weighted (Kish effective) base
        n_txt = f"effective n = {float(n):,.1f}"
    base = f" {int(min_base):,}" if _finite(min_base) else ""
    return f"suppressed ({n_txt} < minimum base{base})"


def format_estimate(value: Mapping[str, Any] | Any, *, digits: int = 1, unit: str = "") -> str:
    """An estimate with its interval and base: ``12.3 [9.1, 15.5] (n = 1,234)``.

    ``value`` is a mapping or a result object with ``estimate``, ``ci_low``, ``ci_high``,
    ``n`` and optionally ``small_base`` / ``min_base``. A small base gives the suppression
    text; money-sized figures (|estimate| ≥ 1000) are written in whole units with
    thousands separators; ``unit`` is appended to the estimate (e.g. ``"%"``).

    Examples
    --------
    >>> format_estimate({"estimate": 12.34, "ci_low": 9.1, "ci_high": 15.52, "n": 1234})
    '12.3 [9.1, 15.5] (n = 1,234)'
    >>> format_estimate({"estimate": 1046670.4, "ci_low": 987859.4, "ci_high": 1112510.9, "n": 8400})
    '1,046,670 [987,859, 1,112,511] (n = 8,400)'
    >>> format_estimate({"estimate": 12.3, "ci_low": 1, "ci_high": 20, "n": 12, "small_base": True})
    'suppressed (n = 12 < minimum base)'
    >>> format_estimate({"estimate": 40.0, "ci_low": None, "ci_high": None, "n": 1}, unit="%")
    '40.0% no interval (n = 1)'
    """
    if value is None:
        return "—"
    get = value.get if isinstance(value, Mapping) else (lambda k, d=None: getattr(value, k, d))
    n = get("n")
    small = get("small_base", False)
    if small is not None and small is not pd.NA and bool(small):
        return format_suppressed(n, get("min_base"))
    est = get("estimate")
    if not _finite(est):
        return "—"
    est = float(est)
    d = 0 if abs(est) >= 1000 else digits
    out = f"{est:,.{d}f}{unit} " + format_interval(get("ci_low"), get("ci_high"), digits=d, thousands=True)
    if _finite(n):
        out += f" (n = {int(round(float(n))):,})"
    return out


def share_interval(count: Any, n: Any, confidence_level: float) -> tuple[np.ndarray, ...]:
    """Share ``count / n`` with its Wald standard error and Wilson score interval.

    Returns ``(p, std_err, ci_low, ci_high)`` as arrays; NaN where ``n`` is 0.

    Examples
    --------
    >>> p, se, lo, hi = share_interval([5], [10], 0.95)
    >>> float(p[0]), round(float(se[0]), 4), round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.5, 0.1581, 0.2366, 0.7634)
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / n
        se = np.sqrt(p * (1.0 - p) / n)
    low, high = wilson_interval(p, n, normal_quantile(confidence_level))
    empty = n == 0
    for arr in (p, se, low, high):
        arr[empty] = np.nan
    return p, se, low, high


def nps_variance(detractors, promoters):
    """Per-respondent variance of the +1/0/−1 NPS codes, ``(p_P + p_D) − (p_P − p_D)²`` (Rocks 2016).

    >>> float(nps_variance(0.2, 0.4))  # scores 10, 9, 8, 7, 3: 0.6 - 0.2**2
    0.56
    """
    return (promoters + detractors) - (promoters - detractors) ** 2


def smallest_bootstrap_p(n_boot: int) -> float:
    """The smallest two-sided p-value ``n_boot`` resamples can give, ``2 / (n_boot + 1)``
    (the add-one percentile test of e.g. :func:`cxlib.key_drivers_by_group`).

    >>> smallest_bootstrap_p(10), round(smallest_bootstrap_p(999), 4)
    (0.18181818181818182, 0.002)
    """
    return min(1.0, 2.0 / (int(n_boot) + 1))


def warn_if_bootstrap_cannot_reach(n_boot: int, confidence_level: float, *, what: str, stacklevel: int = 3) -> bool:
    """Warn (:class:`~cxlib.errors.ResamplingWarning`) when ``n_boot`` resamples cannot give a
    p-value below ``1 − confidence_level``: nothing could test significant, whatever the data.
    Returns True when it warned.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_if_bootstrap_cannot_reach(10, 0.95, what="segment differences")
    True
    >>> str(w[0].message)[:60]
    'segment differences: with n_boot=10 the smallest attainable '
    """
    import warnings

    from ..errors import ResamplingWarning

    if n_boot <= 0:
        return False
    floor = smallest_bootstrap_p(n_boot)
    if floor < 1.0 - confidence_level:
        return False
    needed = int(np.floor(2.0 / (1.0 - confidence_level)))  # 2 / (needed + 1) < 1 − level
    warnings.warn(
        f"{what}: with n_boot={n_boot} the smallest attainable p-value is {floor:.3f}, not below "
        f"{1.0 - confidence_level:g}, so nothing can test significant; use n_boot >= {needed} "
        "(e.g. 1000)", ResamplingWarning, stacklevel=stacklevel)
    return True


def warn_if_interval_cannot_reach(n_boot: int, confidence_level: float, *, what: str, stacklevel: int = 3) -> bool:
    """Warn (:class:`~cxlib.errors.ResamplingWarning`) when ``n_boot`` resamples are too few for
    a percentile interval at ``confidence_level``: even the range of the resamples, from the
    smallest to the largest, covers only ``(B − 1)/(B + 1)`` of the bootstrap distribution
    (the expected coverage of the extreme order statistics). Returns True when it warned.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_if_interval_cannot_reach(20, 0.95, what="revenue at risk"), warn_if_interval_cannot_reach(
    ...         39, 0.95, what="revenue at risk")
    (True, False)
    >>> str(w[0].message)[:75]
    'revenue at risk: with n_boot=20 the 95% percentile interval cannot hold its'
    """
    import warnings

    from ..errors import ResamplingWarning

    if n_boot <= 0 or (n_boot - 1) / (n_boot + 1) >= confidence_level - 1e-12:
        return False
    needed = int(np.ceil((1.0 + confidence_level) / (1.0 - confidence_level) - 1e-9))
    warnings.warn(
        f"{what}: with n_boot={n_boot} the {confidence_level:.0%} percentile interval cannot hold its level "
        f"(even the range of the resamples covers only (B - 1)/(B + 1) = {(n_boot - 1) / (n_boot + 1):.0%}); "
        f"use n_boot >= {needed} (e.g. 1000)", ResamplingWarning, stacklevel=stacklevel)
    return True


def percentile_bound_mc_error(replicates: Any, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo standard error of the bounds of :func:`percentile_interval`: how much each
    bound would move between runs of the same number of resamples (different seeds).

    A percentile bound is the sample ``q``-quantile ``ξ̂_q`` of the ``B`` replicates
    (``q = (1 − level)/2`` or ``(1 + level)/2``). Its Monte-Carlo variance, conditional on
    the data, is asymptotically ``q(1 − q) / (B f(ξ_q)²)`` with ``f`` the density of the
    bootstrap distribution (Efron & Tibshirani 1993, §19.3; Koehler, Brown & Haneuse 2009,
    §3). The density is not estimated with a kernel: ``1/f(ξ_q)`` is the derivative of the
    quantile function, estimated by the difference quotient over ``q ± d`` with
    ``d = sqrt(q(1 − q)/B)`` — the spacing of the order statistics one binomial standard
    deviation either side of rank ``Bq`` (Siddiqui 1960; Bloch & Gastwirth 1968), so

    ``SE(ξ̂_q) ≈ (ξ̂_{q+d} − ξ̂_{q−d}) / 2``

    (``q ± d`` clipped to [0, 1]). It is distribution-free and uses only the replicates.

    Parameters
    ----------
    replicates : array-like, shape (resamples, statistics)
        The bootstrap replicates (a 1-D array is one statistic); NaN replicates are ignored.
    confidence_level : float
        The level of the percentile interval whose bounds are assessed.

    Returns
    -------
    (se_low, se_high) : tuple of numpy.ndarray
        The Monte-Carlo standard errors of the lower and upper bound of each column; NaN
        for a column with fewer than 2 finite replicates.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 19
    (assessing the error in bootstrap estimates). Chapman & Hall.
    Koehler, E., Brown, E. & Haneuse, S. J.-P. A. (2009). On the assessment of Monte Carlo
    error in simulation-based statistical analyses. *The American Statistician* 63(2),
    155–162.
    Bloch, D. A. & Gastwirth, J. L. (1968). On a simple estimate of the reciprocal of the
    density function. *Annals of Mathematical Statistics* 39(3), 1083–1085.

    Examples
    --------
    Uniform replicates ``0, 1, …, 400`` (density 1/400): the 2.5% quantile's SE is
    ``400 · sqrt(0.025 · 0.975 / 401) ≈ 3.12``.

    >>> lo, hi = percentile_bound_mc_error(np.arange(401.0), 0.95)
    >>> round(float(lo[0]), 2), round(float(hi[0]), 2)
    (3.12, 3.12)
    >>> percentile_bound_mc_error(np.empty((0, 1)), 0.95)[0]
    array([nan])
    """
    reps = np.asarray(replicates, dtype=float)
    if reps.ndim == 1:
        reps = reps[:, None]
    out = []
    a = (1.0 - confidence_level) / 2.0
    finite = np.isfinite(reps)
    full = finite.all(axis=0) & (reps.shape[0] >= 2)  # these columns in one call (many groups)
    for q in (a, 1.0 - a):
        se = np.full(reps.shape[1], np.nan)
        if full.any():
            d = np.sqrt(q * (1.0 - q) / reps.shape[0])
            upper, lower = np.quantile(reps[:, full], [min(1.0, q + d), max(0.0, q - d)], axis=0)
            se[full] = (upper - lower) / 2.0
        for j in np.flatnonzero(~full):
            col = reps[finite[:, j], j]
            if len(col) < 2:
                continue
            d = np.sqrt(q * (1.0 - q) / len(col))
            upper, lower = np.quantile(col, [min(1.0, q + d), max(0.0, q - d)])
            se[j] = (upper - lower) / 2.0
        out.append(se)
    return out[0], out[1]
