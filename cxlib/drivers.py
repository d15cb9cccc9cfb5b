"""Key-driver analysis: which attributes move the overall rating, and how.

Public functions
----------------
- :func:`key_drivers` -- relative importance of drivers for an outcome (exact
  Shapley/LMG, Johnson's relative weights, squared standardised coefficients or squared
  zero-order correlations), with a seeded bootstrap; logistic dominance on McFadden's
  pseudo-R² for binary outcomes.
- :func:`key_drivers_by_group` -- the same per segment, with a bootstrap test of
  differences in importance between segments.
- :func:`driver_stability` -- importance per period and the rank correlation between
  consecutive periods.
- :func:`importance_performance` -- Martilla & James (1977) quadrants.
- :func:`penalty_reward` -- asymmetric (Kano-type) drivers after Mittal, Ross &
  Baldasare (1998).
- :func:`plot_importance_performance`, :func:`plot_penalty_reward` -- plots that draw
  the precomputed intervals.

All linear methods work on the (survey-weighted) correlation matrix, built in one pass
from the sufficient statistics Σw, Σwz and Σwzzᵀ; the bootstrap reuses the same path
with resampling counts multiplied into the weights.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .core.checks import (
    show_values,
    check_columns,
    check_confidence_level,
    numeric_scores,
    resolve_weights,
)
from .errors import CXDataError, SmallBaseWarning

__all__ = [
    "DriverStabilityResult",
    "ImportancePerformanceResult",
    "KeyDriverResult",
    "KeyDriversByGroupResult",
    "PenaltyRewardResult",
    "driver_stability",
    "driver_summary",
    "format_penalty_reward",
    "importance_performance",
    "key_driver_figures",
    "key_driver_findings",
    "key_drivers",
    "key_drivers_by_group",
    "penalty_reward",
    "r_squared_interval",
    "segment_driver_differences",
    "plot_importance_performance",
    "plot_penalty_reward",
]

METHODS = ("shapley", "relative_weights", "ols", "correlation")
MAX_SHAPLEY_DRIVERS = 22  # 2^22 subsets: ~4 million R² values, a few seconds
MAX_BINARY_DRIVERS = 12  # 2^12 logistic fits
_CHUNK_ELEMENTS = 4_000_000  # bound on the size of temporary arrays (floats)

_METHOD_TEXT = {
    "shapley": "Shapley value / LMG / general dominance of R², exact over all 2^p subsets",
    "relative_weights": "Johnson (2000) relative weights of R²",
    "ols": "squared standardised OLS coefficients (beta²)",
    "correlation": "squared zero-order correlations (r²)",
}


# ---------------------------------------------------------------------------
# result containers
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class KeyDriverResult:
    """Relative importance of drivers for one outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver: ``driver, importance, share, rank, sign, ci_low, ci_high``.
        ``importance`` is on the scale of the method (R² units for "shapley",
        "relative_weights"; beta² for "ols"; r² for "correlation"); ``share`` is
        100 · importance / Σ importance (for Shapley and relative weights, the percentage
        of the explained variance); ``rank`` 1 = most important; ``sign`` is +1/-1, the sign
        of the driver's coefficient in the full multiple regression (logistic regression
        for binary outcomes; the zero-order correlation for ``method="correlation"``);
        ``ci_low``/``ci_high`` a percentile bootstrap interval for ``importance`` (NaN when
        ``bootstrap=0``).
    r_squared : float
        R² of the full model (McFadden's pseudo-R² for binary outcomes).
    n : int
        Rows used (complete cases; for ``missing="pairwise"`` the smallest pairwise base).
    n_dropped : int
        Rows of ``data`` with a missing value in the outcome, a driver or the weights.
    n_eff : float
        Kish effective sample size of the rows used (equals ``n`` without weights).
    model : statsmodels results
        OLS/WLS fit of the outcome on the drivers (a binomial GLM for binary outcomes) on
        the complete cases, for ``result.model.summary()``. Fitted on first access (the
        importances never need it), then cached.
    performance : pandas.Series
        (Weighted) mean rating of each driver on the rows used, for
        :func:`importance_performance`.
    bootstrap_importances : numpy.ndarray
        The bootstrap replicates, shape (number of valid resamples, number of drivers).
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
    missing: str
    confidence_level: float
    bootstrap: int
    n_bootstrap_failed: int
    min_base: int
    small_base: bool
    description: str
    performance: pd.Series = field(repr=False)
    bootstrap_importances: np.ndarray = field(repr=False)
    fit_model: Callable[[], Any] = field(repr=False)

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
        Group column(s), then ``driver, importance, share, rank, sign, ci_low, ci_high,
        r_squared, n, n_eff, small_base``.
    differences : pandas.DataFrame
        ``group_a, group_b, driver, difference, ci_low, ci_high, p_value, p_value_adj``:
        difference = importance in ``group_a`` − importance in ``group_b``; percentile
        bootstrap interval and two-sided bootstrap p-value; ``p_value_adj`` is the
        Benjamini–Hochberg adjustment over the whole table.
    results : dict
        The :class:`KeyDriverResult` of each group.
    """

    importances: pd.DataFrame
    differences: pd.DataFrame
    by: tuple[str, ...]
    method: str
    confidence_level: float
    bootstrap: int
    results: dict = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-group importance table (a copy)."""
        return self.importances.copy()


@dataclass(frozen=True, eq=False)
class DriverStabilityResult:
    """Driver importance per period and how stable the ranking is between periods.

    Attributes
    ----------
    importances : pandas.DataFrame
        ``period`` column (named after the period column), then the key-driver fields.
    rank_correlation : pandas.DataFrame
        ``period, previous_period, spearman_rho, n_drivers``: Spearman rank correlation of
        the importances in consecutive periods (periods in sorted order).
    """

    importances: pd.DataFrame
    rank_correlation: pd.DataFrame
    period: str
    method: str
    results: dict = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-period importance table (a copy)."""
        return self.importances.copy()


@dataclass(frozen=True, eq=False)
class ImportancePerformanceResult:
    """Importance–performance analysis (Martilla & James 1977).

    Attributes
    ----------
    table : pandas.DataFrame
        ``driver, importance, ci_low, ci_high, performance, quadrant``.
    importance_cutoff, performance_cutoff : float
        The lines that split the grid (means or medians over the drivers, see ``cutoff``).
    cutoff : str
        "mean" or "median".
    """

    table: pd.DataFrame
    importance_cutoff: float
    performance_cutoff: float
    cutoff: str
    importance_method: str
    n: int

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-driver table (a copy)."""
        return self.table.copy()


@dataclass(frozen=True, eq=False)
class PenaltyRewardResult:
    """Penalty–reward (asymmetric driver) analysis (Mittal, Ross & Baldasare 1998).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver: ``driver, penalty, penalty_ci_low, penalty_ci_high, reward,
        reward_ci_low, reward_ci_high, asymmetry, asymmetry_ci_low, asymmetry_ci_high,
        p_value, category, n_low, n_high``. ``penalty`` = −(coefficient of the low-rating
        dummy), positive when low ratings lower the outcome; ``reward`` = coefficient of the
        high-rating dummy; ``asymmetry`` = penalty − reward with its test.
    model : statsmodels results
        The joint OLS/WLS fit on the dummies.
    """

    table: pd.DataFrame
    n: int
    n_dropped: int
    low: tuple
    high: tuple
    confidence_level: float
    r_squared: float
    description: str
    model: Any = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The tidy per-driver table (a copy)."""
        return self.table.copy()


# ---------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------
def _check_choice(value: Any, name: str, options: Sequence[str]) -> str:
    if value not in options:
        raise CXDataError(f"`{name}`={value!r} is not supported; use one of {list(options)}")
    return value


def _driver_list(data: pd.DataFrame, outcome: str, drivers: Any) -> list[str]:
    if isinstance(drivers, str) or drivers is None:
        raise CXDataError(f"`drivers` must be a list of column names, got {drivers!r}")
    drivers = list(drivers)
    if not drivers:
        raise CXDataError("`drivers` is empty; name at least one driver column")
    dup = sorted({d for d in drivers if drivers.count(d) > 1})
    if dup:
        raise CXDataError(f"`drivers` lists {dup} more than once")
    if outcome in drivers:
        raise CXDataError(f"`outcome`={outcome!r} is also listed in `drivers`")
    check_columns(data, [outcome], argument="outcome")
    check_columns(data, drivers, argument="drivers")
    return drivers


def _check_bootstrap(bootstrap: Any) -> int:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise CXDataError(f"`bootstrap`={bootstrap!r} must be a whole number >= 0 (0 disables the bootstrap)")
    return int(bootstrap)


def _prepare(data, outcome, drivers, weights):
    """Numeric (n, 1+p) matrix [outcome, drivers...] with NaN for missing, and weights."""
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    cols = [outcome, *drivers]
    Z = np.column_stack([numeric_scores(data[c], str(c)) for c in cols]) if len(data) else None
    if Z is None:
        raise CXDataError("`data` has no rows")
    w = resolve_weights(data, weights, len(data))
    return Z, w


def _weighted_moments(Z: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σv, and Σ v zzᵀ for each row of V (B, n) over complete rows Z (n, q)."""
    M = np.empty((V.shape[0], Z.shape[1], Z.shape[1]))
    for b, v in enumerate(V):  # one BLAS product per replicate
        M[b] = (Z * v[:, None]).T @ Z
    return V.sum(axis=1), M


def _corr_listwise(Zc: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Weighted correlation matrices (B, q, q) from complete rows (already centred)."""
    sw = V.sum(axis=1)
    mean = (V @ Zc) / sw[:, None]
    _, S2 = _weighted_moments(Zc, V)
    cov = S2 / sw[:, None, None] - mean[:, :, None] * mean[:, None, :]
    return _cov_to_corr(cov)


def _cov_to_corr(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diagonal(cov, axis1=-2, axis2=-1), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        C = cov / (d[..., :, None] * d[..., None, :])
    q = C.shape[-1]
    C[..., np.arange(q), np.arange(q)] = np.where(d > 0, 1.0, np.nan)
    return C


def _corr_pairwise(Z0: np.ndarray, Mk: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete weighted correlations; Z0 has 0 where missing, Mk is the 0/1 mask."""
    B = V.shape[0]
    q = Z0.shape[1]
    N = np.einsum("bn,ni,nj->bij", V, Mk, Mk)
    S1 = np.einsum("bn,ni,nj->bij", V, Z0, Mk)  # Σ v x_i over rows where i and j observed
    S2 = np.einsum("bn,ni,nj->bij", V, Z0, Z0)
    Sq = np.einsum("bn,ni,nj->bij", V, Z0 * Z0, Mk)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = S1 / N
        mj = np.swapaxes(S1, 1, 2) / N
        cov = S2 / N - mi * mj
        vi = Sq / N - mi**2
        vj = np.swapaxes(Sq, 1, 2) / N - mj**2
        C = cov / np.sqrt(vi * vj)
    C[:, np.arange(q), np.arange(q)] = 1.0
    counts = np.einsum("ni,nj->ij", Mk, Mk)
    del B
    return C, counts


# ---------------------------------------------------------------------------
# importance from correlation matrices (vectorised over a stack of matrices)
# ---------------------------------------------------------------------------
def _combinations(p: int, k: int) -> np.ndarray:
    return np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(p), k)), dtype=np.intp, count=math.comb(p, k) * k
    ).reshape(-1, k)


def _all_subset_r2(C: np.ndarray) -> np.ndarray:
    """R² of every subset of drivers, shape (B, 2^p), indexed by bit mask.

    ``C`` (B, q, q) has the outcome first. For a subset S the augmented matrix
    [[R_SS, r_S], [r_Sᵀ, 1]] has Cholesky factor whose last diagonal element squared is
    1 − r_Sᵀ R_SS⁻¹ r_S, so R²(S) = 1 − L_kk²: one batched Cholesky per subset size.
    """
    B, q, _ = C.shape
    p = q - 1
    r2 = np.zeros((B, 1 << p))
    for k in range(1, p + 1):
        combos = _combinations(p, k)
        masks = (np.left_shift(1, combos)).sum(axis=1)
        idx = np.concatenate([combos + 1, np.zeros((len(combos), 1), dtype=np.intp)], axis=1)
        step = max(1, _CHUNK_ELEMENTS // (B * (k + 1) ** 2))
        for s in range(0, len(combos), step):
            ii = idx[s : s + step]
            A = C[:, ii[:, :, None], ii[:, None, :]]
            L = np.linalg.cholesky(A)
            r2[:, masks[s : s + step]] = 1.0 - L[..., k, k] ** 2
    return r2


def _lmg_from_subsets(r2: np.ndarray, p: int) -> np.ndarray:
    """LMG_j = Σ_{S∌j} |S|!(p−|S|−1)!/p! · (R²(S∪{j}) − R²(S)); r2 shape (B, 2^p)."""
    masks = np.arange(1 << p)
    size = np.bitwise_count(masks)
    weight = np.array([1.0 / (p * math.comb(p - 1, s)) for s in range(p)])
    out = np.empty((r2.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[size[without]]
    return out


def _importance_from_corr(C: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importances (B, p), full-model R² (B,), standardised coefficients (B, p)."""
    Rxx = C[:, 1:, 1:]
    rxy = C[:, 1:, 0]
    beta = np.linalg.solve(Rxx, rxy[..., None])[..., 0]
    r2 = np.sum(beta * rxy, axis=1)
    p = Rxx.shape[-1]
    if method == "shapley":
        imp = _lmg_from_subsets(_all_subset_r2(C), p)
    elif method == "relative_weights":
        delta, vec = np.linalg.eigh(Rxx)
        lam = (vec * np.sqrt(delta)[:, None, :]) @ np.swapaxes(vec, 1, 2)
        b = np.linalg.solve(lam, rxy[..., None])[..., 0]
        imp = (lam**2) @ (b**2)[..., None]
        imp = imp[..., 0]
    elif method == "ols":
        imp = beta**2
    else:  # correlation
        imp = rxy**2
    return imp, r2, beta


def _valid_corr(C: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Which matrices in the stack are finite and positive definite (drivers' block)."""
    ok = np.isfinite(C).all(axis=(1, 2))
    out = np.zeros(len(C), dtype=bool)
    if ok.any():
        ev = np.linalg.eigvalsh(np.where(ok[:, None, None], C, np.eye(C.shape[1])))
        out = ok & (ev[:, 0] > tol)
    return out


# ---------------------------------------------------------------------------
# binary outcomes: logistic dominance on McFadden's pseudo-R²
# ---------------------------------------------------------------------------
def _logit_llf(X: np.ndarray, y: np.ndarray, w: np.ndarray, start: np.ndarray | None = None):
    """Weighted logistic log-likelihood at the MLE by Newton–Raphson; returns (llf, beta)."""
    beta = np.zeros(X.shape[1]) if start is None else start.copy()
    for _ in range(100):
        eta = X @ beta
        mu = 0.5 * (1.0 + np.tanh(0.5 * eta))
        grad = X.T @ (w * (y - mu))
        hess = (X * (w * mu * (1.0 - mu))[:, None]).T @ X
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-11:
            break
    eta = X @ beta
    llf = float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))
    return llf, beta


def _binary_subset_r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """McFadden R²(S) = 1 − llf(S)/llf(∅) for every subset; X holds the drivers (n, p)."""
    n, p = X.shape
    ybar = np.sum(w * y) / np.sum(w)
    ll0 = float(np.sum(w) * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar)))
    Xc = np.column_stack([np.ones(n), (X - X.mean(axis=0)) / X.std(axis=0)])
    r2 = np.zeros(1 << p)
    betas: dict[int, np.ndarray] = {0: np.array([math.log(ybar / (1 - ybar))])}
    for mask in range(1, 1 << p):
        cols = [j for j in range(p) if mask >> j & 1]
        top = cols[-1]
        parent = betas[mask & ~(1 << top)]
        llf, beta = _logit_llf(Xc[:, [0, *(c + 1 for c in cols)]], y, w, np.append(parent, 0.0))
        betas[mask] = beta
        r2[mask] = 1.0 - llf / ll0
    return r2


# ---------------------------------------------------------------------------
# key_drivers
# ---------------------------------------------------------------------------
def _percentile_ci(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if reps.shape[0] == 0:
        nan = np.full(reps.shape[1], np.nan)
        return nan, nan
    a = (1 - level) / 2
    return np.quantile(reps, a, axis=0), np.quantile(reps, 1 - a, axis=0)


def _boot_counts(rng: np.random.Generator, n: int, B: int) -> np.ndarray:
    """Multinomial resampling counts, shape (B, n): row i is drawn counts[b, i] times."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=B).astype(float)


def key_drivers(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    method: str = "shapley",
    weights: str | Sequence[float] | None = None,
    confidence_level: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = None,
    missing: str = "listwise",
    outcome_type: str = "auto",
    min_base: int | None = None,
) -> KeyDriverResult:
    """Relative importance of drivers for an outcome (key-driver analysis).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    outcome : str
        Column of the overall rating (e.g. "osat", "ltr"), or a 0/1 outcome.
    drivers : list of str
        Columns of the attribute ratings.
    method : {"shapley", "relative_weights", "ols", "correlation"}
        "shapley": LMG / general dominance, exact over all 2^p subsets (p <= 22);
        "relative_weights": Johnson (2000), any p; "ols": squared standardised
        coefficients β²; "correlation": squared zero-order correlations r² (the R² of each
        driver alone).
    weights : str or array-like, optional
        Survey weights (a column name or values). Every statistic uses the weighted
        correlation matrix.
    confidence_level : float
        Level of the percentile bootstrap intervals.
    bootstrap : int
        Number of bootstrap resamples (rows resampled with their weights); 0 disables
        the intervals. The cost is ``bootstrap`` times one analysis (for "shapley" it
        grows as 2^p).
    seed : int, optional
        Seed of the bootstrap.
    missing : {"listwise", "pairwise"}
        "listwise" (default) drops rows with any missing value in outcome, drivers or
        weights and reports how many. "pairwise" builds each correlation from the rows
        where both variables are observed (continuous outcomes only); the reported ``n``
        is then the smallest pairwise base, the matrix must still be positive definite,
        and ``result.model`` is fitted on the complete cases.
    outcome_type : {"auto", "continuous", "binary"}
        "auto" treats an outcome whose values are exactly {0, 1} as binary.
    min_base : int, optional
        Minimum base; default max(30, 10 × number of drivers). Below it a
        :class:`~cxlib.errors.SmallBaseWarning` is issued and ``small_base`` is True.

    Returns
    -------
    KeyDriverResult
        ``table`` (driver, importance, share, rank, sign, ci_low, ci_high), ``r_squared``,
        ``n``, ``n_dropped``, ``model`` (the statsmodels fit) and ``to_frame()``.

    Raises
    ------
    CXDataError
        Unknown columns or options, non-numeric values, a constant driver, perfectly
        collinear drivers, n <= p + 1, too many drivers for an exact method, a binary
        outcome that is not 0/1.

    Notes
    -----
    With R the correlation matrix of the drivers and r their correlations with the
    outcome, the R² of a subset S is ``R²(S) = r_Sᵀ R_SS⁻¹ r_S`` (no model is refitted);
    all 2^p values come from batched Cholesky factorisations. The Shapley value (LMG) is

    ``LMG_j = Σ_{S ⊆ P∖{j}} |S|!(p−|S|−1)!/p! · (R²(S ∪ {j}) − R²(S))``

    and the importances sum to the full R². Johnson's relative weights: with
    ``R = V diag(δ) Vᵀ`` and ``Λ = V diag(√δ) Vᵀ``, ``β = Λ⁻¹ r`` and
    ``ε_j = Σ_k Λ_jk² β_k²``, also summing to R².

    For binary outcomes (method "shapley" only, p <= 12) R²(S) is McFadden's pseudo-R²
    ``1 − log L(S) / log L(∅)`` of a (weighted) logistic regression refitted for each
    subset; the Shapley values sum to the full model's McFadden R².

    Weighted correlations use Σw, Σwz and Σwzzᵀ of the mean-centred data. The
    bootstrap multiplies the weights by multinomial resampling counts and recomputes
    from the same statistics; intervals are percentiles of the replicates. A resample
    in which a driver is constant is skipped and counted in ``n_bootstrap_failed``.
    ``result.model`` treats weights as WLS precision weights, so its standard errors
    are not design-based; use the bootstrap intervals.

    References
    ----------
    Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate and
    Multivariate Analysis*. Scott, Foresman.
    Grömping, U. (2006). Relative importance for linear regression in R: the package
    relaimpo. *Journal of Statistical Software* 17(1).
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. *Multivariate Behavioral Research* 35(1).
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.

    Examples
    --------
    With two uncorrelated drivers each R² contribution is the squared correlation:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], bootstrap=0, min_base=1)
    >>> res.table[["driver", "importance", "share", "rank"]]
      driver  importance  share  rank
    0      a         0.2   20.0     2
    1      b         0.8   80.0     1
    >>> round(res.r_squared, 6)
    1.0
    """
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    drivers = _driver_list(data, outcome, drivers)
    _check_choice(method, "method", METHODS)
    _check_choice(missing, "missing", ("listwise", "pairwise"))
    _check_choice(outcome_type, "outcome_type", ("auto", "continuous", "binary"))
    level = check_confidence_level(confidence_level)
    B = _check_bootstrap(bootstrap)
    p = len(drivers)
    if min_base is None:
        min_base = max(30, 10 * p)

    Z, w = _prepare(data, outcome, drivers, weights)
    n_rows = len(Z)
    w_all = np.ones(n_rows) if w is None else w
    complete = ~np.isnan(Z).any(axis=1) & (w_all > 0)

    y_obs = Z[~np.isnan(Z[:, 0]), 0]
    values = np.unique(y_obs)
    if outcome_type == "auto":
        outcome_type = "binary" if len(values) == 2 and set(values) == {0.0, 1.0} else "continuous"
    if outcome_type == "binary":
        if not set(values) <= {0.0, 1.0} or len(values) < 2:
            bad = values[(values != 0) & (values != 1)] if not set(values) <= {0.0, 1.0} else values
            raise CXDataError(
                f"outcome {outcome!r} is not binary: outcome_type='binary' needs both values 0 and 1, "
                f"found {show_values(bad)}; recode it (e.g. promoter = ltr >= 9) or use outcome_type='continuous'"
            )
        if method != "shapley":
            raise CXDataError(
                f"`method`={method!r} is not available for a binary outcome; use method='shapley' "
                "(logistic dominance) or outcome_type='continuous' for a linear probability model"
            )
        if missing != "listwise":
            raise CXDataError("`missing`='pairwise' is not available for a binary outcome; use 'listwise'")
        if p > MAX_BINARY_DRIVERS:
            raise CXDataError(
                f"{p} drivers is too many for exact logistic dominance (2^{p} logistic fits); "
                f"the limit is {MAX_BINARY_DRIVERS}: group or drop drivers, or use "
                "outcome_type='continuous' (linear probability model, exact up to "
                f"{MAX_SHAPLEY_DRIVERS})"
            )
    if method == "shapley" and p > MAX_SHAPLEY_DRIVERS:
        raise CXDataError(
            f"{p} drivers is too many for exact Shapley/LMG (2^{p} subsets); the limit is "
            f"{MAX_SHAPLEY_DRIVERS}: use method='relative_weights' or fewer drivers"
        )

    # rows used and their base
    if missing == "listwise":
        used = complete
        n_used = int(used.sum())
    else:
        used = w_all > 0  # every row contributes to the pairs it observes
        n_used = int(used.sum())
    n_dropped = int(n_rows - complete.sum())
    if int(complete.sum()) <= p + 1 and missing == "listwise":
        raise CXDataError(
            f"only {int(complete.sum())} complete row(s) for {p} driver(s) (need more than p + 1 = {p + 1}); "
            f"{n_dropped} of {n_rows} rows have a missing value in {outcome!r}, the drivers or the weights"
        )
    Zu = Z[used]
    wu = w_all[used]
    # constant columns (among the rows used)
    for j, name in enumerate([outcome, *drivers]):
        col = Zu[:, j][~np.isnan(Zu[:, j])]
        if len(col) and np.all(col == col[0]):
            role = "outcome" if j == 0 else "driver"
            raise CXDataError(
                f"{role} {name!r} is constant ({col[0]:g} in all {len(col)} rows used): it carries no "
                "information; drop it or check the data"
            )

    if missing == "listwise":
        shift = (wu @ Zu) / wu.sum()
        Zc = Zu - shift
        C = _corr_listwise(Zc, wu[None, :])
        counts = None
    else:
        mask = ~np.isnan(Zu)
        colmean = np.nanmean(Zu, axis=0)
        Z0 = np.where(mask, Zu - colmean, 0.0)
        C, counts = _corr_pairwise(Z0, mask.astype(float), wu[None, :])
        n_used = int(counts.min())
        if n_used <= p + 1:
            raise CXDataError(f"the smallest pairwise base is {n_used} rows, too few for {p} driver(s)")
    if not _valid_corr(C[:, 1:, 1:])[0]:
        ev, vec = np.linalg.eigh(C[0, 1:, 1:])
        involved = [drivers[i] for i in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
        raise CXDataError(
            f"drivers {involved} are (almost) perfectly collinear (smallest eigenvalue of their "
            f"correlation matrix {ev[0]:.2g}); drop or combine one of them"
        )
    n_eff = float(wu.sum() ** 2 / np.sum(wu**2)) if w is not None else float(n_used)
    small = n_used < min_base
    if small:
        warnings.warn(
            f"key drivers of {outcome!r} rest on {n_used} rows, below the minimum base of {min_base} "
            f"(max(30, 10 × {p} drivers)); treat the ranking as indicative",
            SmallBaseWarning,
            stacklevel=2,
        )

    rng = np.random.default_rng(seed)
    if outcome_type == "binary":
        y, X = Zu[:, 0], Zu[:, 1:]
        r2sub = _binary_subset_r2(y, X, wu)
        imp = _lmg_from_subsets(r2sub[None, :], p)[0]
        r2 = float(r2sub[-1])
        reps, failed = [], 0
        for _ in range(B):
            cnt = _boot_counts(rng, len(y), 1)[0]
            v = wu * cnt
            Xb = X[v > 0]
            if np.any(np.ptp(Xb, axis=0) == 0) or np.ptp(y[v > 0]) == 0:
                failed += 1
                continue
            try:
                rb = _binary_subset_r2(y[v > 0], Xb, v[v > 0])
            except np.linalg.LinAlgError:
                failed += 1
                continue
            reps.append(_lmg_from_subsets(rb[None, :], p)[0])
        reps = np.array(reps).reshape(-1, p)
        fit_model = functools.partial(_fit_model, Zu, wu if w is not None else None, [outcome, *drivers], binary=True)
        sign = np.sign(_logit_llf(np.column_stack([np.ones(len(y)), X]), y, wu)[1][1:])
    else:
        imps, r2s, betas = _importance_from_corr(C, method)
        imp, r2 = imps[0], float(r2s[0])
        sign = np.sign(C[0, 1:, 0] if method == "correlation" else betas[0])
        reps, failed = np.empty((0, p)), 0
        if B:
            chunks = []
            per = max(1, min(B, _CHUNK_ELEMENTS // max(len(Zu), 1), 1 << max(0, 16 - p)))
            done = 0
            while done < B:
                b = min(per, B - done)
                V = _boot_counts(rng, len(Zu), b) * wu[None, :]
                if missing == "listwise":
                    Cb = _corr_listwise(Zc, V)
                else:
                    Cb, _ = _corr_pairwise(Z0, mask.astype(float), V)
                ok = _valid_corr(Cb[:, 1:, 1:]) & np.isfinite(Cb).all(axis=(1, 2))
                failed += int((~ok).sum())
                if ok.any():
                    chunks.append(_importance_from_corr(Cb[ok], method)[0])
                done += b
            if chunks:
                reps = np.concatenate(chunks)
        cc = ~np.isnan(Zu).any(axis=1)  # complete cases (all rows under listwise)
        fit_model = functools.partial(
            _fit_model, Zu[cc], wu[cc] if w is not None else None, [outcome, *drivers], binary=False
        )
    lo, hi = _percentile_ci(reps, level)
    total = float(np.sum(imp))
    share = 100.0 * imp / total if total != 0 else np.full(p, np.nan)
    table = pd.DataFrame(
        {
            "driver": drivers,
            "importance": imp,
            "share": share,
            "rank": pd.Series(imp).rank(ascending=False, method="min").astype(int).to_numpy(),
            "sign": sign.astype(int),
            "ci_low": lo,
            "ci_high": hi,
        }
    )
    wperf = wu
    perf = {}
    for j, d in enumerate(drivers):
        col = Zu[:, j + 1]
        ok = ~np.isnan(col)
        perf[d] = float(np.average(col[ok], weights=wperf[ok]))
    what = "McFadden pseudo-R² of a logistic regression, " + _METHOD_TEXT["shapley"] if outcome_type == "binary" else _METHOD_TEXT[method]
    description = (
        f"{what}; {'weighted' if w is not None else 'unweighted'}; {missing} deletion "
        f"({n_dropped} of {n_rows} rows with missing values); sign = sign of the "
        f"{'zero-order correlation' if method == 'correlation' else 'multiple-regression coefficient'}; "
        + (
            f"{int(level * 100)}% percentile bootstrap intervals ({B} resamples, seed {seed}, "
            f"{failed} skipped)"
            if B
            else "no bootstrap"
        )
    )
    return KeyDriverResult(
        table=table,
        r_squared=r2,
        n=n_used,
        n_dropped=n_dropped,
        n_eff=n_eff,
        outcome=str(outcome),
        drivers=tuple(drivers),
        method=method,
        outcome_type=outcome_type,
        missing=missing,
        confidence_level=level,
        bootstrap=B,
        n_bootstrap_failed=failed,
        min_base=int(min_base),
        small_base=bool(small),
        description=description,
        performance=pd.Series(perf, name="performance"),
        bootstrap_importances=reps,
        fit_model=fit_model,
    )


def _fit_model(Z: np.ndarray, w: np.ndarray | None, names: list[str], *, binary: bool):
    import statsmodels.api as sm

    y = pd.Series(Z[:, 0], name=names[0])
    X = sm.add_constant(pd.DataFrame(Z[:, 1:], columns=names[1:]), has_constant="add")
    if binary:
        kw = {} if w is None else {"var_weights": w}
        return sm.GLM(y, X, family=sm.families.Binomial(), **kw).fit()
    if w is None:
        return sm.OLS(y, X).fit(method="qr")
    return sm.WLS(y, X, weights=w).fit(method="qr")


# ---------------------------------------------------------------------------
# by segment / over time
# ---------------------------------------------------------------------------
def _group_label(key: Any) -> str:
    return " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def key_drivers_by_group(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str],
    outcome: str,
    drivers: Sequence[str],
    method: str = "shapley",
    weights: str | None = None,
    confidence_level: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = None,
    missing: str = "listwise",
    outcome_type: str = "auto",
    min_base: int | None = None,
) -> KeyDriversByGroupResult:
    """Key drivers per segment, with bootstrap tests of differences between segments.

    Parameters
    ----------
    data : pandas.DataFrame
    by : str or list of str
        Segment column(s).
    outcome, drivers, method, weights, confidence_level, bootstrap, seed, missing, outcome_type, min_base
        As in :func:`key_drivers`; ``weights`` must name a column here.

    Returns
    -------
    KeyDriversByGroupResult
        ``importances`` (tidy, group columns first) and ``differences`` (every pair of
        groups × driver).

    Notes
    -----
    Segments are independent samples, each bootstrapped on its own (seeds spawned from
    ``seed``). The b-th difference replicate is ``I_a^(b) − I_b^(b)``; the interval is
    its percentiles and the two-sided p-value ``min(1, 2 · min(#(d ≤ 0)+1, #(d ≥ 0)+1) /
    (B+1))``. With ``bootstrap=0`` the differences have no interval or p-value. Thin
    segments are flagged (``small_base``) with one warning listing them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> df["seg"] = np.repeat(["x", "z"], 100)
    >>> res = key_drivers_by_group(df, by="seg", outcome="y", drivers=["a", "b"], bootstrap=50, seed=1)
    >>> res.differences[["group_a", "group_b", "driver"]].values.tolist()
    [['x', 'z', 'a'], ['x', 'z', 'b']]
    """
    by_cols = [by] if isinstance(by, str) else list(by)
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    check_columns(data, by_cols, argument="by")
    if weights is not None and not isinstance(weights, str):
        raise CXDataError("`weights` must name a column of `data` in key_drivers_by_group")
    B = _check_bootstrap(bootstrap)
    level = check_confidence_level(confidence_level)
    groups = list(data.groupby(by_cols if len(by_cols) > 1 else by_cols[0], sort=True, dropna=True))
    if len(groups) < 1:
        raise CXDataError(f"`by`={by!r} has no non-missing groups")
    seeds = np.random.SeedSequence(seed).spawn(len(groups))
    results, rows, thin = {}, [], []
    for (key, sub), ss in zip(groups, seeds):
        label = key[0] if isinstance(key, tuple) and len(key) == 1 else key
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SmallBaseWarning)
                res = key_drivers(
                    sub, outcome=outcome, drivers=drivers, method=method, weights=weights,
                    confidence_level=level, bootstrap=B, seed=int(ss.generate_state(1)[0]),
                    missing=missing, outcome_type=outcome_type, min_base=min_base,
                )
        except CXDataError as exc:
            raise CXDataError(f"segment {by_cols}={_group_label(label)!r} ({len(sub)} rows): {exc}") from None
        results[label] = res
        if res.small_base:
            thin.append(f"{_group_label(label)} (n={res.n})")
        t = res.to_frame()
        t["r_squared"] = res.r_squared
        t["n"] = res.n
        t["n_eff"] = res.n_eff
        t["small_base"] = res.small_base
        keys = label if isinstance(label, tuple) else (label,)
        for c, v in zip(by_cols, keys):
            t[c] = v
        rows.append(t[[*by_cols, *[c for c in t.columns if c not in by_cols]]])
    if thin:
        warnings.warn(f"segments below the minimum base: {', '.join(thin)}", SmallBaseWarning, stacklevel=2)
    importances = pd.concat(rows, ignore_index=True)
    diff_rows = []
    labels = list(results)
    a_ = (1 - level) / 2
    for ia, ib in itertools.combinations(range(len(labels)), 2):
        ra, rb = results[labels[ia]], results[labels[ib]]
        m = min(len(ra.bootstrap_importances), len(rb.bootstrap_importances))
        for j, d in enumerate(ra.drivers):
            diff = float(ra.table["importance"].iloc[j] - rb.table["importance"].iloc[j])
            if m:
                reps = ra.bootstrap_importances[:m, j] - rb.bootstrap_importances[:m, j]
                lo, hi = np.quantile(reps, [a_, 1 - a_])
                pv = min(1.0, 2 * min(np.sum(reps <= 0) + 1, np.sum(reps >= 0) + 1) / (m + 1))
            else:
                lo = hi = pv = np.nan
            diff_rows.append(
                {"group_a": _group_label(labels[ia]), "group_b": _group_label(labels[ib]), "driver": d,
                 "difference": diff, "ci_low": lo, "ci_high": hi, "p_value": pv}
            )
    differences = pd.DataFrame(
        diff_rows, columns=["group_a", "group_b", "driver", "difference", "ci_low", "ci_high", "p_value"]
    )
    differences["p_value_adj"] = _bh(differences["p_value"].to_numpy(dtype=float))
    return KeyDriversByGroupResult(
        importances=importances, differences=differences, by=tuple(by_cols), method=method,
        confidence_level=level, bootstrap=B, results=results,
    )


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (NaN stays NaN)."""
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        from statsmodels.stats.multitest import multipletests

        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


def driver_stability(
    data: pd.DataFrame,
    *,
    period: str = "quarter",
    outcome: str,
    drivers: Sequence[str],
    method: str = "shapley",
    weights: str | None = None,
    confidence_level: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = None,
    missing: str = "listwise",
    outcome_type: str = "auto",
    min_base: int | None = None,
) -> DriverStabilityResult:
    """Driver importance per period and its stability between consecutive periods.

    Parameters
    ----------
    data : pandas.DataFrame
    period : str
        Column holding the period (e.g. "quarter" with values like "2026Q3"); periods
        are taken in sorted order.
    outcome, drivers, method, weights, confidence_level, bootstrap, seed, missing, outcome_type, min_base
        As in :func:`key_drivers`.

    Returns
    -------
    DriverStabilityResult
        ``importances`` per period and ``rank_correlation`` (Spearman's ρ between the
        importances of consecutive periods; 1 = same ranking).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 3 * df["a"] + 2 * df["b"] + df["c"] + rng.normal(size=300)
    >>> df["quarter"] = np.repeat(["2026Q1", "2026Q2", "2026Q3"], 100)
    >>> res = driver_stability(df, outcome="y", drivers=["a", "b", "c"], bootstrap=0)
    >>> res.rank_correlation["spearman_rho"].tolist()
    [1.0, 1.0]
    """
    from scipy.stats import spearmanr

    by = key_drivers_by_group(
        data, by=period, outcome=outcome, drivers=drivers, method=method, weights=weights,
        confidence_level=confidence_level, bootstrap=bootstrap, seed=seed, missing=missing,
        outcome_type=outcome_type, min_base=min_base,
    )
    labels = list(by.results)
    rows = []
    for prev, cur in itertools.pairwise(labels):
        a = by.results[prev].table["importance"].to_numpy()
        b = by.results[cur].table["importance"].to_numpy()
        rho = float(spearmanr(a, b).statistic) if len(a) > 1 else np.nan
        rows.append({period: cur, f"previous_{period}": prev, "spearman_rho": rho, "n_drivers": len(a)})
    rc = pd.DataFrame(rows, columns=[period, f"previous_{period}", "spearman_rho", "n_drivers"])
    return DriverStabilityResult(
        importances=by.importances, rank_correlation=rc, period=period, method=method, results=by.results
    )


# ---------------------------------------------------------------------------
# importance–performance
# ---------------------------------------------------------------------------
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
    **key_driver_options: Any,
) -> ImportancePerformanceResult:
    """Importance–performance analysis (Martilla & James 1977).

    Parameters
    ----------
    data : pandas.DataFrame or KeyDriverResult
        Respondent data (then :func:`key_drivers` is run with ``outcome``, ``drivers`` and
        ``key_driver_options``), or a finished key-driver result, whose importances and
        per-driver (weighted) mean ratings on the same rows are used.
    outcome, drivers : str, list of str
        Needed when ``data`` is a DataFrame.
    cutoff : {"mean", "median"}
        Where to split the grid: the mean (default) or median importance and
        performance over the drivers.
    **key_driver_options
        Passed to :func:`key_drivers` (method, weights, bootstrap, seed, ...).

    Returns
    -------
    ImportancePerformanceResult
        ``table`` with driver, importance (and its interval), performance and quadrant;
        the cut-offs used.

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
    >>> ipa = importance_performance(df, outcome="y", drivers=["a", "b"], bootstrap=0)
    >>> ipa.table["driver"].tolist(), ipa.cutoff
    (['a', 'b'], 'mean')
    """
    _check_choice(cutoff, "cutoff", ("mean", "median"))
    if isinstance(data, KeyDriverResult):
        res = data
    else:
        if outcome is None or drivers is None:
            raise CXDataError("`outcome` and `drivers` are required when `data` is a DataFrame")
        res = key_drivers(data, outcome=outcome, drivers=drivers, **key_driver_options)
    t = res.table
    imp = t["importance"].to_numpy(dtype=float)
    perf = res.performance.reindex(t["driver"]).to_numpy(dtype=float)
    agg = np.mean if cutoff == "mean" else np.median
    ic, pc = float(agg(imp)), float(agg(perf))
    quad = [QUADRANTS[(bool(i > ic), bool(q > pc))] for i, q in zip(imp, perf)]
    table = pd.DataFrame(
        {
            "driver": t["driver"],
            "importance": imp,
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "performance": perf,
            "quadrant": quad,
        }
    )
    return ImportancePerformanceResult(
        table=table, importance_cutoff=ic, performance_cutoff=pc, cutoff=cutoff,
        importance_method=res.description, n=res.n,
    )


# ---------------------------------------------------------------------------
# penalty–reward
# ---------------------------------------------------------------------------
def penalty_reward(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    low: Sequence[float] = (1, 2),
    high: Sequence[float] = (5,),
    weights: str | Sequence[float] | None = None,
    confidence_level: float = 0.95,
) -> PenaltyRewardResult:
    """Penalty–reward analysis of asymmetric drivers (Mittal, Ross & Baldasare 1998).

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Overall rating.
    drivers : list of str
        Attribute ratings.
    low, high : sequence of numbers
        Scale points coded as "low" and "high" (defaults 1–2 and 5 on a 1–5 scale); every
        other observed value is the middle (reference) category.
    weights : str or array-like, optional
        Survey weights (WLS).
    confidence_level : float

    Returns
    -------
    PenaltyRewardResult
        ``table`` per driver (penalty, reward, their intervals, asymmetry test and
        category) and the statsmodels ``model``.

    Notes
    -----
    One joint regression with all attributes (rows with a missing value dropped)::

        outcome = b0 + Σ_j (a_j · low_j + c_j · high_j) + e

    where ``low_j`` = 1 if driver j is rated in ``low`` and ``high_j`` = 1 if rated in
    ``high``. ``penalty_j = −a_j`` (positive when a low rating lowers the outcome),
    ``reward_j = c_j``; t intervals from the OLS (WLS) covariance. The asymmetry
    ``penalty_j − reward_j = −a_j − c_j`` is tested with a t test from the coefficient
    covariance. Category: "basic" (dissatisfier) if the asymmetry is significantly
    positive at ``1 − confidence_level`` (two-sided), "excitement" (satisfier) if
    significantly negative, otherwise "performance" (no evidence of asymmetry — this
    includes drivers with no effect at all; look at the intervals).

    References
    ----------
    Mittal, V., Ross, W. T. & Baldasare, P. M. (1998). The asymmetric impact of negative
    and positive attribute-level performance on overall satisfaction and repurchase
    intentions. *Journal of Marketing* 62(1), 33–47.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(500, 2)), columns=["a", "b"])
    >>> df["y"] = 3 - 1.0 * (df["a"] <= 2) + 1.0 * (df["b"] == 5) + rng.normal(0, 0.5, 500)
    >>> pr = penalty_reward(df, outcome="y", drivers=["a", "b"])
    >>> pr.table["category"].tolist()
    ['basic', 'excitement']
    """
    import statsmodels.api as sm

    drivers = _driver_list(data, outcome, drivers)
    level = check_confidence_level(confidence_level)
    low, high = tuple(low), tuple(high)
    if not low or not high or set(low) & set(high):
        raise CXDataError(f"`low`={low!r} and `high`={high!r} must be non-empty and must not overlap")
    Z, w = _prepare(data, outcome, drivers, weights)
    w_all = np.ones(len(Z)) if w is None else w
    ok = ~np.isnan(Z).any(axis=1) & (w_all > 0)
    n, n_dropped = int(ok.sum()), int(len(Z) - ok.sum())
    p = len(drivers)
    if n <= 2 * p + 1:
        raise CXDataError(f"only {n} complete row(s) for {2 * p + 1} coefficients; {n_dropped} rows dropped for missing values")
    Zu, wu = Z[ok], w_all[ok]
    cols = {}
    n_low, n_high = [], []
    for j, d in enumerate(drivers):
        x = Zu[:, j + 1]
        lo_ = np.isin(x, low)
        hi_ = np.isin(x, high)
        mid = ~(lo_ | hi_)
        for label, m in (("low", lo_), ("high", hi_), ("middle", mid)):
            if not m.any():
                raise CXDataError(
                    f"driver {d!r} has no rows in the {label} category "
                    f"(low={low}, high={high}; observed values {show_values(np.unique(x))}); adjust `low`/`high`"
                )
        cols[f"{d}_low"] = lo_.astype(float)
        cols[f"{d}_high"] = hi_.astype(float)
        n_low.append(int(lo_.sum()))
        n_high.append(int(hi_.sum()))
    X = sm.add_constant(pd.DataFrame(cols), has_constant="add")
    yv = pd.Series(Zu[:, 0], name=outcome)
    model = sm.OLS(yv, X).fit() if w is None else sm.WLS(yv, X, weights=wu).fit()
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise CXDataError("the low/high dummies are collinear (e.g. two drivers with identical codes); check the data")
    alpha = 1 - level
    ci = model.conf_int(alpha=alpha)
    rows = []
    for j, d in enumerate(drivers):
        a, c = f"{d}_low", f"{d}_high"
        contrast = np.zeros(X.shape[1])
        contrast[list(X.columns).index(a)] = -1.0
        contrast[list(X.columns).index(c)] = -1.0
        tt = model.t_test(contrast)
        asym_ci = np.asarray(tt.conf_int(alpha=alpha))[0]
        asym = float(np.asarray(tt.effect).ravel()[0])
        pv = float(np.asarray(tt.pvalue).ravel()[0])
        cat = "performance"
        if pv < alpha:
            cat = "basic" if asym > 0 else "excitement"
        rows.append(
            {
                "driver": d,
                "penalty": -float(model.params[a]),
                "penalty_ci_low": -float(ci.loc[a, 1]),
                "penalty_ci_high": -float(ci.loc[a, 0]),
                "reward": float(model.params[c]),
                "reward_ci_low": float(ci.loc[c, 0]),
                "reward_ci_high": float(ci.loc[c, 1]),
                "asymmetry": asym,
                "asymmetry_ci_low": float(asym_ci[0]),
                "asymmetry_ci_high": float(asym_ci[1]),
                "p_value": pv,
                "category": cat,
                "n_low": n_low[j],
                "n_high": n_high[j],
            }
        )
    description = (
        f"penalty–reward: joint {'WLS' if w is not None else 'OLS'} of {outcome!r} on low ({low}) and high "
        f"({high}) dummies per driver, middle as reference; penalty = −coef(low), reward = coef(high); "
        f"{int(level * 100)}% t intervals; category by a t test of penalty − reward at α = {alpha:g}"
    )
    return PenaltyRewardResult(
        table=pd.DataFrame(rows), n=n, n_dropped=n_dropped, low=low, high=high, confidence_level=level,
        r_squared=float(model.rsquared), description=description, model=model,
    )


# ---------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------
def plot_importance_performance(result: ImportancePerformanceResult, ax=None):
    """Importance–performance grid: performance (x) vs importance (y) with the cut-offs.

    Draws the precomputed bootstrap intervals of importance as vertical error bars.

    Parameters
    ----------
    result : ImportancePerformanceResult
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    t = result.table
    yerr = None
    if t["ci_low"].notna().all():
        yerr = np.vstack([t["importance"] - t["ci_low"], t["ci_high"] - t["importance"]])
    ax.errorbar(t["performance"], t["importance"], yerr=yerr, fmt="o", capsize=3)
    for _, r in t.iterrows():
        ax.annotate(str(r["driver"]), (r["performance"], r["importance"]), xytext=(4, 4), textcoords="offset points")
    ax.axvline(result.performance_cutoff, color="grey", ls="--", lw=1)
    ax.axhline(result.importance_cutoff, color="grey", ls="--", lw=1)
    ax.set_xlabel(f"performance (mean rating; cut-off = {result.cutoff})")
    ax.set_ylabel("importance")
    ax.set_title(f"Importance–performance (n = {result.n})")
    for x, y, txt, ha, va in (
        (0.02, 0.98, "concentrate here", "left", "top"),
        (0.98, 0.98, "keep up the good work", "right", "top"),
        (0.02, 0.02, "low priority", "left", "bottom"),
        (0.98, 0.02, "possible overkill", "right", "bottom"),
    ):
        ax.text(x, y, txt, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color="grey")
    return ax


def plot_penalty_reward(result: PenaltyRewardResult, ax=None):
    """Penalty (left, drawn negative) and reward (right) per driver with their intervals.

    Parameters
    ----------
    result : PenaltyRewardResult
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    t = result.table
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 * len(t) + 1.5))
    ypos = np.arange(len(t))
    ax.barh(ypos, -t["penalty"], xerr=[t["penalty_ci_high"] - t["penalty"], t["penalty"] - t["penalty_ci_low"]],
            color="#c44e52", capsize=3, label="penalty (low rating)")
    ax.barh(ypos, t["reward"], xerr=[t["reward"] - t["reward_ci_low"], t["reward_ci_high"] - t["reward"]],
            color="#4c72b0", capsize=3, label="reward (high rating)")
    ax.set_yticks(ypos, [f"{d} ({c})" for d, c in zip(t["driver"], t["category"])])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("effect on the overall rating (scale points)")
    ax.set_title(f"Penalty–reward (n = {result.n})")
    ax.legend(loc="lower right", fontsize=8)
    return ax


# ---------------------------------------------------------------------------
# report helpers: tidy summaries, key figures and findings written from results
# ---------------------------------------------------------------------------
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
        estimate, ci_low, ci_high, n, small_base, min_base, confidence_level`` where
        ``estimate`` is the driver's share of the total importance (%, for Shapley the
        share of the explained variance) and ``ci_low``/``ci_high`` its percentile
        bootstrap interval. The frame has the fields :func:`cxlib.format_table` and
        :func:`cxlib.plot_estimates` expect.

    Notes
    -----
    The share interval is taken from the replicates of ``share_j = 100 · I_j / Σ_k I_k``
    (each replicate normalised by its own total), not from the importance interval divided
    by the point total. Without a bootstrap the intervals are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], bootstrap=0, min_base=1)
    >>> driver_summary(res)[["driver", "rank", "estimate"]].values.tolist()
    [['b', 1, 80.0], ['a', 2, 20.0]]
    """
    t = result.table
    lo, hi = _percentile_ci(_replicate_shares(result), result.confidence_level)
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
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], bootstrap=100, seed=1)
    >>> lo, hi = r_squared_interval(res)
    >>> bool(lo < res.r_squared < hi)
    True
    """
    reps = result.bootstrap_importances
    if reps.shape[0] == 0 or not _sums_to_r2(result):
        return float("nan"), float("nan")
    lo, hi = _percentile_ci(reps.sum(axis=1)[:, None], result.confidence_level)
    return float(lo[0]), float(hi[0])


def key_driver_figures(result: KeyDriverResult, *, label: str | None = None) -> dict[str, dict[str, Any]]:
    """Headline key figures of a key-driver result, for :func:`cxlib.save_key_figures`.

    Parameters
    ----------
    result : KeyDriverResult
    label : str, optional
        Prefix of the entries (default: the outcome name).

    Returns
    -------
    dict
        ``"<label> R² (%)"`` and ``"<label> top driver: <driver> (% of R²)"``, each a dict
        ``estimate, ci_low, ci_high, n, small_base, confidence_level`` in percent (the R²
        interval from :func:`r_squared_interval`, the share interval from
        :func:`driver_summary`). Estimates are None when the base is small, so no reader
        of the JSON mistakes them for solid numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], bootstrap=0, min_base=1)
    >>> figs = key_driver_figures(res)
    >>> list(figs), figs["y top driver: b (% of R²)"]["estimate"]
    (['y R² (%)', 'y top driver: b (% of R²)'], 80.0)
    """
    label = result.outcome if label is None else label
    top = driver_summary(result).iloc[0]
    r2_lo, r2_hi = r_squared_interval(result)
    r2_name = "McFadden R² (%)" if result.outcome_type == "binary" else "R² (%)"

    def entry(est: float, lo: float, hi: float) -> dict[str, Any]:
        solid = not result.small_base
        return {
            "estimate": float(est) if solid else None,
            "ci_low": float(lo) if solid and np.isfinite(lo) else None,
            "ci_high": float(hi) if solid and np.isfinite(hi) else None,
            "n": int(result.n),
            "small_base": bool(result.small_base),
            "confidence_level": result.confidence_level,
        }

    return {
        f"{label} {r2_name}": entry(100 * result.r_squared, 100 * r2_lo, 100 * r2_hi),
        f"{label} top driver: {top['driver']} (% of R²)": entry(top["estimate"], top["ci_low"], top["ci_high"]),
    }


def segment_driver_differences(result: KeyDriversByGroupResult) -> pd.DataFrame:
    """Differences in driver importance between segments, tidy and ready to format.

    Parameters
    ----------
    result : KeyDriversByGroupResult

    Returns
    -------
    pandas.DataFrame
        ``group_a, group_b, driver, estimate, ci_low, ci_high, p_value, p_value_adj,
        significant, n, small_base, min_base, confidence_level``: ``estimate`` is the
        difference in importance ×100 (percentage points of R², group_a − group_b);
        ``n`` the smaller of the two segments' bases; ``small_base`` is True when either
        segment is below its minimum base (those rows are not called significant);
        ``significant`` means ``p_value_adj`` (Benjamini–Hochberg) < 1 − confidence level.
        Sorted by adjusted p-value.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> df["seg"] = np.repeat(["x", "z"], 100)
    >>> res = key_drivers_by_group(df, by="seg", outcome="y", drivers=["a", "b"], bootstrap=50, seed=1)
    >>> segment_driver_differences(res)[["group_a", "group_b", "n"]].values.tolist()
    [['x', 'z', 100], ['x', 'z', 100]]
    """
    res_by_label = {_group_label(k): v for k, v in result.results.items()}
    d = result.differences
    ra = [res_by_label[g] for g in d["group_a"]]
    rb = [res_by_label[g] for g in d["group_b"]]
    small = np.array([a.small_base or b.small_base for a, b in zip(ra, rb)], dtype=bool)
    alpha = 1 - result.confidence_level
    out = pd.DataFrame(
        {
            "group_a": d["group_a"],
            "group_b": d["group_b"],
            "driver": d["driver"],
            "estimate": 100 * d["difference"],
            "ci_low": 100 * d["ci_low"],
            "ci_high": 100 * d["ci_high"],
            "p_value": d["p_value"],
            "p_value_adj": d["p_value_adj"],
            "significant": (d["p_value_adj"] < alpha).to_numpy() & ~small,
            "n": [min(a.n, b.n) for a, b in zip(ra, rb)],
            "small_base": small,
            "min_base": [max(a.min_base, b.min_base) for a, b in zip(ra, rb)],
            "confidence_level": result.confidence_level,
        }
    )
    return out.sort_values(["p_value_adj", "group_a", "group_b", "driver"], kind="stable",
                           na_position="last").reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{x:.1f}%"


def _ci(lo: float, hi: float, digits: int = 1) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval"
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def _names(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def key_driver_findings(
    result: KeyDriverResult,
    *,
    loyalty: KeyDriverResult | None = None,
    ipa: ImportancePerformanceResult | None = None,
    penalty: PenaltyRewardResult | None = None,
    differences: pd.DataFrame | None = None,
    stability: DriverStabilityResult | None = None,
    top: int = 3,
) -> list[str]:
    """Plain-language findings of a key-driver analysis, written from the result objects.

    Parameters
    ----------
    result : KeyDriverResult
        The main analysis (e.g. osat on the drivers).
    loyalty : KeyDriverResult, optional
        A binary (promoter vs not) analysis.
    ipa : ImportancePerformanceResult, optional
    penalty : PenaltyRewardResult, optional
    differences : DataFrame, optional
        From :func:`segment_driver_differences`.
    stability : DriverStabilityResult, optional
    top : int
        How many drivers to name.

    Returns
    -------
    list of str
        One sentence per topic. Every number comes from the arguments; a result below
        its minimum base yields a suppression sentence instead of estimates.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [1, -1, 1, -1], "b": [-1, -1, 1, 1]})
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], bootstrap=0, min_base=1)
    >>> key_driver_findings(res)[0]
    "The 2 drivers explain 100.0% of the variance in 'y' (R²; no interval; n = 4 complete responses, 0 dropped for a missing answer)."
    """
    level = f"{result.confidence_level:.0%}"
    if result.small_base:
        return [
            f"Base too small for a key-driver analysis of {result.outcome!r}: n = {result.n:,} complete "
            f"responses, below the minimum base of {result.min_base:,}; estimates are suppressed."
        ]
    out = []
    lo, hi = r_squared_interval(result)
    out.append(
        f"The {len(result.drivers)} drivers explain {_pct(100 * result.r_squared)} of the variance in "
        f"{result.outcome!r} (R²; {f'{level} CI ' + _ci(100 * lo, 100 * hi) if np.isfinite(lo) else 'no interval'}; "
        f"n = {result.n:,} complete responses, "
        f"{result.n_dropped:,} dropped for a missing answer)."
    )
    s = driver_summary(result)
    k = min(top, len(s))
    parts = [f"{r.driver} {_pct(r.estimate)} {_ci(r.ci_low, r.ci_high)}" for r in s.head(k).itertuples()]
    sentence = f"Largest shares of the explained variance ({level} CI): {'; '.join(parts)}."
    reps = result.bootstrap_importances
    if len(s) > 1 and reps.shape[0]:
        j1 = result.drivers.index(s["driver"].iloc[0])
        j2 = result.drivers.index(s["driver"].iloc[1])
        dlo, dhi = _percentile_ci((reps[:, j1] - reps[:, j2])[:, None] * 100, result.confidence_level)
        diff = 100 * (s["importance"].iloc[0] - s["importance"].iloc[1])
        verdict = "clearly ahead" if dlo[0] > 0 else "not separable from the second"
        sentence += (
            f" The top driver, {s['driver'].iloc[0]}, leads {s['driver'].iloc[1]} by {diff:.1f} R² points "
            f"({_ci(dlo[0], dhi[0])}): {verdict}."
        )
    out.append(sentence)
    if loyalty is not None:
        if loyalty.small_base:
            out.append(f"Loyalty view ({loyalty.outcome!r}): base too small (n = {loyalty.n:,} < "
                       f"{loyalty.min_base:,}); suppressed.")
        else:
            ls = driver_summary(loyalty)
            llo, lhi = r_squared_interval(loyalty)
            parts = [f"{r.driver} {_pct(r.estimate)} {_ci(r.ci_low, r.ci_high)}" for r in ls.head(k).itertuples()]
            same = set(ls["driver"].head(k)) == set(s["driver"].head(k))
            out.append(
                f"For {loyalty.outcome!r} (McFadden R² {_pct(100 * loyalty.r_squared)} {_ci(100 * llo, 100 * lhi)}, "
                f"n = {loyalty.n:,}) the largest shares are {'; '.join(parts)} — "
                f"{'the same top ' + str(k) + ' as for ' + repr(result.outcome) if same else 'a different top ' + str(k) + ' from ' + repr(result.outcome)}."
            )
    if ipa is not None:
        t = ipa.table
        conc = t.loc[t["quadrant"] == "concentrate here", "driver"].tolist()
        keep = t.loc[t["quadrant"] == "keep up the good work", "driver"].tolist()
        cut = f"cut-offs at the {ipa.cutoff} importance {ipa.importance_cutoff:.3f} and {ipa.cutoff} rating {ipa.performance_cutoff:.2f}"
        if conc:
            out.append(f"Act first on {_names(conc)}: importance above and performance at or below the cut-offs "
                       f"('concentrate here'; {cut}).")
        else:
            out.append(f"No driver falls in 'concentrate here' ({cut}); "
                       + (f"the important drivers {_names(keep)} already perform above average — protect them."
                          if keep else "no driver is both important and above average either."))
    if penalty is not None:
        t = penalty.table
        pure = t[(t["penalty_ci_low"] > 0) & (t["reward_ci_low"] <= 0)].sort_values("asymmetry", ascending=False)
        n_basic = int((t["category"] == "basic").sum())
        if len(pure):
            parts = [f"{r.driver} (penalty {r.penalty:.2f} {_ci(r.penalty_ci_low, r.penalty_ci_high, 2)}, "
                     f"reward {r.reward:.2f} {_ci(r.reward_ci_low, r.reward_ci_high, 2)})" for r in pure.itertuples()]
            what = repr(penalty.model.model.endog_names)
            out.append(f"Penalty without a detectable reward (a low rating lowers {what}, a top rating adds nothing "
                       f"distinguishable from zero; {what} scale points, {level} CI): {'; '.join(parts)}.")
        out.append(f"{n_basic} of {len(t)} drivers test as 'basic' (penalty larger than reward); with an ordinal "
                   "1–5 outcome that bunches at the top, many drivers can look basic — compare the sizes.")
    if differences is not None and len(differences):
        solid = differences[~differences["small_base"].astype(bool)]
        sig = solid[solid["significant"].astype(bool)]
        thin = int(differences["small_base"].astype(bool).sum())
        extra = f" ({thin} comparisons involving a segment below the minimum base not tested)" if thin else ""
        if len(sig):
            parts = [f"{r.driver}: {r.group_a} − {r.group_b} = {r.estimate:+.1f} R² points {_ci(r.ci_low, r.ci_high)}"
                     for r in sig.itertuples()]
            out.append(f"{len(sig)} of {len(solid)} segment differences are significant after Benjamini–Hochberg "
                       f"adjustment: {'; '.join(parts)}{extra}.")
        else:
            out.append(f"None of the {len(solid)} segment differences in driver importance is significant after "
                       f"Benjamini–Hochberg adjustment{extra}: no evidence that segments need different priorities.")
    if stability is not None and len(stability.rank_correlation):
        rc = stability.rank_correlation
        per = stability.period
        parts = [f"{getattr(r, per)} vs {getattr(r, 'previous_' + per)}: {r.spearman_rho:.2f}" for r in rc.itertuples()]
        out.append(f"Stability of the ranking between consecutive periods (Spearman ρ): {'; '.join(parts)}.")
    return out


def format_penalty_reward(result: PenaltyRewardResult, *, digits: int = 2, caption: str | None = None):
    """A penalty–reward result formatted for reviewers (intervals as ``[low, high]``).

    Parameters
    ----------
    result : PenaltyRewardResult
    digits : int
        Decimals of effects and intervals (outcome scale points).
    caption : str, optional

    Returns
    -------
    cxlib.DisplayTable
        driver, penalty [CI], reward [CI], asymmetry [CI], p-value, category and the
        numbers of low and high ratings, in the order of ``result.table``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(500, 2)), columns=["a", "b"])
    >>> df["y"] = 3 - 1.0 * (df["a"] <= 2) + 1.0 * (df["b"] == 5) + rng.normal(0, 0.5, 500)
    >>> format_penalty_reward(penalty_reward(df, outcome="y", drivers=["a", "b"])).to_frame().columns.tolist()
    ['driver', 'penalty [95% CI]', 'reward [95% CI]', 'penalty − reward [95% CI]', 'p-value', 'category', 'n low', 'n high']
    """
    from .tables import DisplayTable, format_interval

    lv = f"{result.confidence_level:.0%}"
    rows = []
    for r in result.table.itertuples():
        rows.append({
            "driver": r.driver,
            f"penalty [{lv} CI]": f"{r.penalty:.{digits}f} {format_interval(r.penalty_ci_low, r.penalty_ci_high, digits=digits)}",
            f"reward [{lv} CI]": f"{r.reward:.{digits}f} {format_interval(r.reward_ci_low, r.reward_ci_high, digits=digits)}",
            f"penalty − reward [{lv} CI]": (f"{r.asymmetry:.{digits}f} "
                                            f"{format_interval(r.asymmetry_ci_low, r.asymmetry_ci_high, digits=digits)}"),
            "p-value": "< 0.001" if r.p_value < 0.001 else f"{r.p_value:.3f}",
            "category": r.category,
            "n low": f"{r.n_low:,}",
            "n high": f"{r.n_high:,}",
        })
    return DisplayTable(pd.DataFrame(rows), caption=caption)
