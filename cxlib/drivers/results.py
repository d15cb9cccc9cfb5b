"""Result containers of the key-driver analyses (frozen dataclasses with ``to_frame()``).

Every table here is tidy: one row per driver (or per group × driver, per pair × driver),
with ``estimate, ci_low, ci_high, n`` and the domain columns (``importance``, ``share``,
``penalty``, ``reward`` …) alongside.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class KeyDriverResult:
    """Relative importance of drivers for one outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver: ``driver, estimate, ci_low, ci_high, n, importance, share,
        rank, sign``. ``estimate`` (also named ``importance``) is on the scale of the method
        (R² units for "shapley", "relative_weights"; beta² for "ols"; r² for
        "correlation"); ``ci_low``/``ci_high`` its percentile bootstrap interval (NaN when
        ``n_boot=0``); ``share`` is 100 · importance / Σ importance (for Shapley and
        relative weights, the percentage of the explained variance); ``rank`` 1 = most
        important; ``sign`` is +1/-1, the sign of the driver's coefficient in the full
        multiple regression (logistic regression for binary outcomes; the zero-order
        correlation for ``method="correlation"``). ``ci_low_mc_se``/``ci_high_mc_se`` are
        the Monte-Carlo standard errors of the two bounds (how much they move between runs
        of ``n_boot`` resamples with other seeds;
        :func:`~cxlib.core.inference.percentile_bound_mc_error`), NaN without a bootstrap.
    r_squared : float
        R² of the full model (McFadden's pseudo-R² for binary outcomes).
    n : int
        Rows used (complete cases; for ``deletion="pairwise"`` the smallest pairwise base).
    n_dropped : int
        Rows of ``data`` with a missing value in the outcome, a driver or the weights
        (declared missing codes included).
    n_missing_codes : dict
        Column (outcome and drivers) -> values set missing because they were declared
        missing codes (``missing=``, e.g. 0 = "not applicable"); 0 when none is declared.
    n_eff : float
        Kish effective sample size of the rows used (equals ``n`` without weights).
    n_boot, n_boot_failed : int
        Bootstrap resamples asked for, and those skipped (a driver constant in the resample).
    model : statsmodels results
        OLS/WLS fit of the outcome on the drivers (a binomial GLM for binary outcomes) on
        the complete cases, for ``result.model.summary()``. Fitted on first access (the
        importances never need it), then cached.
    performance : pandas.Series
        (Weighted) mean rating of each driver on the rows used, for
        :func:`~cxlib.drivers.importance_performance`.
    bootstrap_importances : numpy.ndarray
        The bootstrap replicates, shape (number of valid resamples, number of drivers).
    ratings : pandas.DataFrame
        The rows used: the outcome and the drivers (declared missing codes already missing;
        NaN only under pairwise deletion), for performance measures on the same rows
        (:func:`~cxlib.drivers.importance_performance`).
    rating_weights : numpy.ndarray or None
        Their survey weights (None when unweighted).
    """

    table: pd.DataFrame
    r_squared: float
    n: int
    n_dropped: int
    n_eff: float
    outcome: str
    drivers: tuple[str, ...]
    method: str
    outcome_type: str
    deletion: str
    confidence_level: float
    n_boot: int
    n_boot_failed: int
    min_base: int
    small_base: bool
    description: str
    performance: pd.Series = field(repr=False)
    bootstrap_importances: np.ndarray = field(repr=False)
    fit_model: Callable[[], Any] = field(repr=False)
    n_missing_codes: dict = field(default_factory=dict)
    ratings: pd.DataFrame | None = field(default=None, repr=False)
    rating_weights: np.ndarray | None = field(default=None, repr=False)

    @functools.cached_property
    def model(self) -> Any:
        """The statsmodels fit (OLS/WLS, or binomial GLM), fitted on first access."""
        return self.fit_model()

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-driver table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        head = (
            f"<p>{self.description}<br>outcome {self.outcome!r}: R² = {self.r_squared:.4f}, "
            f"n = {self.n} ({self.n_dropped} dropped for missing), n_eff = {self.n_eff:.1f}"
            f"{' — SMALL BASE' if self.small_base else ''}</p>"
        )
        return head + self.table.to_html(index=False)


@dataclass(frozen=True, eq=False)
class KeyDriversByGroupResult:
    """Key drivers per segment and bootstrap tests of differences between segments.

    Attributes
    ----------
    importances : pandas.DataFrame
        Group column(s), then the :class:`KeyDriverResult` table of each group and
        ``r_squared, n_eff, small_base, min_base``.
    differences : pandas.DataFrame
        ``group_a, group_b, driver, estimate, ci_low, ci_high, n, p_value, p_value_adj,
        significant, small_base, min_base, confidence_level``: ``estimate`` = importance
        in ``group_a`` − importance in ``group_b`` (R² units), its percentile bootstrap
        interval and two-sided bootstrap p-value; ``p_value_adj`` the Benjamini–Hochberg
        adjustment over the whole table; ``n`` the smaller of the two bases;
        ``small_base`` True when either segment is below its minimum base (those rows
        are never called ``significant``; ``<NA>`` when untested).
    results : dict
        The :class:`KeyDriverResult` of each group.
    n_missing_codes : dict
        Column -> values set missing as declared missing codes, summed over the groups.
    """

    importances: pd.DataFrame
    differences: pd.DataFrame
    by: tuple[str, ...]
    method: str
    confidence_level: float
    n_boot: int
    results: dict = field(repr=False)
    n_missing_codes: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-group importance table (a copy)."""
        return self.importances.copy()


@dataclass(frozen=True, eq=False)
class DriverStabilityResult:
    """Driver importance per period and how stable the ranking is between periods.

    Attributes
    ----------
    importances : pandas.DataFrame
        The period column, then the key-driver fields (as in
        :attr:`KeyDriversByGroupResult.importances`).
    rank_correlation : pandas.DataFrame
        ``<period>, previous_<period>, spearman_rho, n_drivers``: Spearman rank correlation
        of the importances in consecutive periods (periods in sorted order).
    n_missing_codes : dict
        Column -> values set missing as declared missing codes, summed over the periods.
    """

    importances: pd.DataFrame
    rank_correlation: pd.DataFrame
    period: str
    method: str
    results: dict = field(repr=False)
    n_missing_codes: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-period importance table (a copy)."""
        return self.importances.copy()


@dataclass(frozen=True, eq=False)
class ImportancePerformanceResult:
    """Importance–performance analysis (Martilla & James 1977).

    Attributes
    ----------
    table : pandas.DataFrame
        The :func:`~cxlib.drivers.driver_summary` of the key-driver result in the order
        of the drivers (``estimate`` is the driver's share of the total importance in %,
        with its interval; ``importance``, its interval and ``rank`` alongside) plus
        ``performance`` (the weighted mean rating, or the top-box share) with
        ``performance_ci_low``, ``performance_ci_high`` and ``performance_n``, the
        ``quadrant`` of the point estimates, ``importance_settled``,
        ``performance_settled``, ``settled`` (both intervals clear their cut lines on the
        side of the estimate) and ``unsettled`` (``""``, ``"importance"``,
        ``"performance"`` or ``"importance and performance"``).
    importance_cutoff, performance_cutoff : float
        The lines that split the grid (means or medians over the drivers, see ``cutoff``);
        ``importance_cutoff`` is on the importance scale.
    share_cutoff : float
        ``importance_cutoff`` as a share of the total importance (%), the scale of
        ``estimate``.
    cutoff : str
        "mean" or "median".
    n_missing_codes : dict
        Column -> values set missing as declared missing codes (from the key-driver result).
    performance_measure : str
        "mean" (mean rating, t interval) or "top_box" (top-box share 0–1, Wilson interval).
    top : tuple or number or None
        The top box when ``performance_measure`` is "top_box".
    """

    table: pd.DataFrame
    importance_cutoff: float
    performance_cutoff: float
    share_cutoff: float
    cutoff: str
    importance_method: str
    n: int
    confidence_level: float
    n_missing_codes: dict = field(default_factory=dict)
    performance_measure: str = "mean"
    top: Any = None

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-driver table (a copy)."""
        return self.table.copy()


@dataclass(frozen=True, eq=False)
class PenaltyRewardResult:
    """Penalty–reward (asymmetric driver) analysis (Mittal, Ross & Baldasare 1998).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver: ``driver, estimate, ci_low, ci_high, n, p_value, category,
        asymmetry, penalty, penalty_ci_low, penalty_ci_high, reward, reward_ci_low,
        reward_ci_high, n_low, n_high``. ``penalty`` = −(coefficient of the low-rating
        dummy), positive when low ratings lower the outcome; ``reward`` = coefficient of
        the high-rating dummy; ``estimate`` (also named ``asymmetry``) = penalty − reward
        with its t interval and the p-value of its test; ``n`` the rows used.
    n, n_dropped : int
        Rows used, and rows dropped for a missing value (declared missing codes included).
    low, high : tuple or dict
        The scale points coded low and high; a dict driver -> tuple when the drivers'
        declared scales differ.
    model : statsmodels results
        The joint OLS/WLS fit on the dummies.
    n_missing_codes : dict
        Column (outcome and drivers) -> values set missing as declared missing codes.
    """

    table: pd.DataFrame
    n: int
    n_dropped: int
    low: tuple | dict
    high: tuple | dict
    confidence_level: float
    r_squared: float
    description: str
    model: Any = field(repr=False)
    n_missing_codes: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-driver table (a copy)."""
        return self.table.copy()
