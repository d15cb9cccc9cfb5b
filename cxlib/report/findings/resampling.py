"""Sentences on resampling error: when a bootstrap interval's bounds are not settled by the
number of resamples (issue 15, item 4).

A percentile interval from ``B`` resamples is itself random: another seed moves its bounds
by about their Monte-Carlo standard error (``ci_low_mc_se``/``ci_high_mc_se`` of the result
tables, :func:`~cxlib.core.inference.percentile_bound_mc_error`). When that error is large
against the interval's half-width, the sentence quoting the interval says so.
"""

from __future__ import annotations

import math
from typing import Any

#: The Monte-Carlo error is mentioned when it exceeds this share of the interval's half-width.
MC_ERROR_SHARE = 0.10


def _value(row: Any, key: str) -> float:
    try:
        x = row[key]
    except (KeyError, IndexError, TypeError):
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def bootstrap_error_clause(row: Any, *, n_boot: int, share: float = MC_ERROR_SHARE, digits: int = 1,
                           thousands: bool = False, prefix: str = "") -> str | None:
    """One sentence on the Monte-Carlo error of a bootstrap interval, when it is large.

    Parameters
    ----------
    row : mapping or pandas.Series
        A result row with ``ci_low``, ``ci_high``, ``ci_low_mc_se`` and ``ci_high_mc_se``.
    n_boot : int
        The number of resamples behind the interval.
    share : float
        The sentence is written when the larger Monte-Carlo standard error of the two
        bounds exceeds ``share`` × the interval's half-width (default 10 %).
    digits : int
        Decimals of the error, on the interval's scale.
    thousands : bool
        Thousands separators (amounts of money).
    prefix : str
        Written before the error (a currency sign).

    Returns
    -------
    str or None
        "With B resamples the interval's bounds would move by about ±e between runs with
        other seeds (r % of its half-width; …); about B' resamples would bring that under s %."
        ``None`` when the error is small, or the row has no interval or no Monte-Carlo
        error (no resamples).

    Notes
    -----
    With ``e`` the larger of the two bounds' Monte-Carlo standard errors and ``h`` the
    half-width ``(ci_high − ci_low) / 2``, the sentence appears when ``e > share · h``.
    The error shrinks as ``1/√B`` (Efron & Tibshirani 1993, ch. 19), so
    ``B' = B · (e / (share · h))²`` resamples would bring it to ``share · h``
    (:func:`resamples_needed`: rounded up to one significant digit).

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 19.
    Chapman & Hall.

    Examples
    --------
    An interval [100, 140] (half-width 20) with bound errors 3 and 5: 5 > 0.1 × 20, said;
    with errors 1 and 1.5 (7.5 % of the half-width), not.

    >>> row = {"ci_low": 100.0, "ci_high": 140.0, "ci_low_mc_se": 3.0, "ci_high_mc_se": 5.0}
    >>> bootstrap_error_clause(row, n_boot=40)[:83]
    "With 40 resamples the interval's bounds would move by about ±5.0 between runs with "
    >>> bootstrap_error_clause({**row, "ci_low_mc_se": 1.0, "ci_high_mc_se": 1.5}, n_boot=40) is None  # 7.5 %
    True
    """
    lo, hi = _value(row, "ci_low"), _value(row, "ci_high")
    errors = [e for e in (_value(row, "ci_low_mc_se"), _value(row, "ci_high_mc_se")) if math.isfinite(e)]
    half = (hi - lo) / 2.0
    if not errors or not (math.isfinite(half) and half > 0) or n_boot <= 0:
        return None
    error = max(errors)
    ratio = error / half
    if ratio <= share:
        return None
    sep = "," if thousands else ""
    shown = f"{ratio:.0%}" if round(ratio, 2) > share else f"{ratio:.1%}"  # never "10 %" for just over 10 %
    return (f"With {n_boot:,} resamples the interval's bounds would move by about ±{prefix}{error:{sep}.{digits}f} "
            f"between runs with other seeds ({shown} of its half-width; Monte-Carlo standard error, "
            f"Efron and Tibshirani 1993, ch. 19); about {resamples_needed(n_boot, ratio, share):,} resamples would "
            f"bring that under {share:.0%}.")


def resamples_needed(n_boot: int, ratio: float, share: float = MC_ERROR_SHARE) -> int:
    """Resamples that would bring a Monte-Carlo error of ``ratio`` × the half-width (with
    ``n_boot``) to ``share`` × the half-width: ``B · (ratio / share)²`` (the error shrinks as
    ``1/√B``), rounded up to one significant digit, since ``ratio`` is itself an estimate.

    >>> resamples_needed(40, 0.49), resamples_needed(40, 0.1 * 1.01), resamples_needed(200, 0.3)
    (1000, 50, 2000)
    """
    exact = n_boot * (ratio / share) ** 2
    step = 10 ** math.floor(math.log10(exact))
    return int(math.ceil(exact / step - 1e-9) * step)
