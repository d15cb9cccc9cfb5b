"""Key-driver analysis of one outcome: :func:`key_drivers`, in four steps.

1. prepare — validate the options, read the rows used, decide the outcome type, build
   the weighted correlation matrix and check it (:func:`_prepare`);
2. importance — the point estimates from that matrix (or the logistic dominance of a
   binary outcome) (:func:`_importance`);
3. bootstrap — the same computation on resampled weights (:func:`_bootstrap`);
4. result — the tidy table and the :class:`~cxlib.drivers.results.KeyDriverResult`
   (:func:`_result`).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    check_choice,
    check_confidence_level,
    check_min_base,
    check_n_boot,
    kish_n_eff,
    show_values,
)
from ..core.inference import percentile_bound_mc_error, percentile_interval
from ..errors import CXDataError, SmallBaseWarning
from .binary import binary_bootstrap, binary_importance, check_cost
from .correlation import (
    CHUNK_ELEMENTS,
    boot_counts,
    check_not_collinear,
    corr_listwise,
    corr_pairwise,
    driver_list,
    pair_products,
    prepare_matrix,
    valid_corr,
)
from .dominance import (
    MAX_BINARY_DRIVERS,
    MAX_SHAPLEY_DRIVERS,
    METHOD_TEXT,
    METHODS,
    SUBSET_BATCH,
    importance_from_corr,
)
from .results import KeyDriverResult

DELETION = ("listwise", "pairwise")
OUTCOME_TYPES = ("auto", "continuous", "binary")


def key_drivers(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    method: str = "shapley",
    weights: str | Sequence[float] | None = None,
    confidence_level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
    deletion: str = "listwise",
    outcome_type: str = "auto",
    min_base: int | None = None,
    scale: Any = None,
    missing: Any = (),
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
    n_boot : int
        Number of bootstrap resamples (rows resampled with their weights); 0 disables
        the intervals. The cost is ``n_boot`` times one analysis (for "shapley" it
        grows as 2^p). For a binary outcome (2^p logistic fits per analysis) the time is
        estimated first: above a minute a :class:`~cxlib.errors.SlowComputationWarning`
        gives it and the options that avoid it; above an hour the call is refused.
    seed : int
        Seed of the bootstrap (``None`` draws fresh entropy: not reproducible).
    deletion : {"listwise", "pairwise"}
        "listwise" (default) drops rows with any missing value in outcome, drivers or
        weights and reports how many. "pairwise" builds each correlation from the rows
        where both variables are observed (continuous outcomes only); the reported ``n``
        is then the smallest pairwise base, the matrix must still be positive definite,
        and ``result.model`` is fitted on the complete cases. Declared missing codes
        (``missing``) are missing values like any other.
    outcome_type : {"auto", "continuous", "binary"}
        "auto" treats an outcome whose values are exactly {0, 1} as binary.
    min_base : int, optional
        Minimum base; default max(30, 10 × number of drivers), judged on the Kish
        effective base ``(Σw)²/Σw²`` when weighted. Below it a
        :class:`~cxlib.errors.SmallBaseWarning` is issued and ``small_base`` is True.
    scale : (low, high) or dict, optional
        The drivers' scale points, e.g. ``(1, 5)``: a value outside them raises. A dict
        column -> (low, high) (or a study scale) may declare any column, the outcome
        included.
    missing : sequence or dict, optional
        Codes of the drivers that mean "not applicable" / "don't know" (e.g. ``[0]``):
        set missing *before* the correlation matrix, then treated by ``deletion`` and
        counted per column in ``n_missing_codes``. A sequence applies to the drivers
        only; a dict column -> codes may name the outcome too.

    Returns
    -------
    KeyDriverResult
        ``table`` (driver, estimate, ci_low, ci_high, n, importance, share, rank, sign),
        ``r_squared``, ``n``, ``n_dropped``, ``n_missing_codes``, ``model`` (the statsmodels
        fit) and ``to_frame()``.

    Raises
    ------
    CXDataError
        Unknown columns or options, non-numeric values, a constant driver, perfectly
        collinear drivers, n <= p + 1, too many drivers for an exact method, a binary
        outcome that is not 0/1, logistic dominance expected to run over an hour.

    Notes
    -----
    With R the correlation matrix of the drivers and r their correlations with the
    outcome, the R² of a subset S is ``R²(S) = r_Sᵀ R_SS⁻¹ r_S`` (no model is refitted);
    all 2^p values come from one sweep over a binary tree of subsets (subsets sharing a
    prefix share its Schur complement). The Shapley value (LMG) is

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
    in which a driver is constant is skipped and counted in ``n_boot_failed``.
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
    >>> res = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=1)
    >>> res.table[["driver", "importance", "share", "rank", "n"]]
      driver  importance  share  rank  n
    0      a         0.2   20.0     2  4
    1      b         0.8   80.0     1  4
    >>> round(res.r_squared, 6)
    1.0
    """
    level = check_confidence_level(confidence_level)
    B = check_n_boot(n_boot)
    rows = _prepare(data, outcome=outcome, drivers=drivers, method=method, weights=weights,
                    deletion=deletion, outcome_type=outcome_type, min_base=min_base, scale=scale, missing=missing)
    if rows.small_base:
        warnings.warn(
            f"key drivers of {outcome!r} rest on {rows.n_used} rows"
            + (f" (effective base {rows.base:.1f})" if rows.weighted else "")
            + f", below the minimum base of {rows.min_base} "
            f"(max(30, 10 × {len(rows.drivers)} drivers)); treat the ranking as indicative",
            SmallBaseWarning,
            stacklevel=2,
        )
    if rows.outcome_type == "binary":  # 2^p logistic fits per resample: estimate the time before starting
        check_cost(rows.n_used, len(rows.drivers), B)
    imp, r2, sign = _importance(rows, method)
    reps, failed = _bootstrap(rows, method, B, np.random.default_rng(seed))
    return _result(rows, method=method, imp=imp, r2=r2, sign=sign, reps=reps, failed=failed,
                   level=level, n_boot=B, seed=seed)


# ---------------------------------------------------------------------------
# 1. prepare
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Rows:
    """The rows a key-driver analysis uses, and their correlation matrix."""

    outcome: str
    drivers: list[str]
    Z: np.ndarray  # rows used: [outcome, drivers...], NaN where missing (pairwise only)
    w: np.ndarray  # their weights (ones when unweighted)
    weighted: bool
    n_rows: int
    n_used: int
    n_dropped: int
    min_base: int
    outcome_type: str
    deletion: str
    centred: np.ndarray  # mean-centred Z (listwise) or with 0 where missing (pairwise)
    mask: np.ndarray | None  # 0/1 observed mask (pairwise) or None
    C: np.ndarray  # (1, q, q) correlation matrix, outcome first
    n_missing_codes: dict  # column -> values set missing as declared missing codes

    @property
    def base(self) -> float:
        """The base the minimum-base rule is judged on: the Kish effective n with weights."""
        return float(kish_n_eff(self.w)) if self.weighted else float(self.n_used)

    @property
    def small_base(self) -> bool:
        return self.base < self.min_base


def _resolve_outcome_type(y: np.ndarray, *, outcome: str, outcome_type: str, method: str, deletion: str,
                          p: int) -> str:
    """"continuous" or "binary" (a 0/1 outcome under "auto"); refuse what a binary outcome cannot do."""
    values = np.unique(y[~np.isnan(y)])
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
        if deletion != "listwise":
            raise CXDataError("`deletion`='pairwise' is not available for a binary outcome; use 'listwise'")
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
    return outcome_type


def _check_not_constant(Z: np.ndarray, names: list[str]) -> None:
    for j, name in enumerate(names):
        col = Z[:, j][~np.isnan(Z[:, j])]
        if len(col) and np.all(col == col[0]):
            role = "outcome" if j == 0 else "driver"
            raise CXDataError(
                f"{role} {name!r} is constant ({col[0]:g} in all {len(col)} rows used): it carries no "
                "information; drop it or check the data"
            )


def _prepare(data: Any, *, outcome: str, drivers: Any, method: str, weights: Any, deletion: str,
             outcome_type: str, min_base: int | None, scale: Any = None, missing: Any = ()) -> _Rows:
    """Validate the inputs and build the rows used and their correlation matrix."""
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    drivers = driver_list(data, outcome, drivers)
    check_choice(method, METHODS, argument="method")
    check_choice(deletion, DELETION, argument="deletion")
    if isinstance(missing, str) and missing in DELETION:
        raise CXDataError(f"`missing`={missing!r} declares missing codes; the listwise/pairwise rule is "
                          f"`deletion`={missing!r}")
    check_choice(outcome_type, OUTCOME_TYPES, argument="outcome_type")
    p = len(drivers)
    min_base = max(30, 10 * p) if min_base is None else check_min_base(min_base)
    Z, w, n_codes = prepare_matrix(data, outcome, drivers, weights, scale=scale, missing=missing)
    n_rows = len(Z)
    w_all = np.ones(n_rows) if w is None else w
    complete = ~np.isnan(Z).any(axis=1) & (w_all > 0)
    outcome_type = _resolve_outcome_type(Z[:, 0], outcome=outcome, outcome_type=outcome_type, method=method,
                                         deletion=deletion, p=p)
    n_dropped = int(n_rows - complete.sum())
    if deletion == "listwise" and int(complete.sum()) <= p + 1:
        raise CXDataError(
            f"only {int(complete.sum())} complete row(s) for {p} driver(s) (need more than p + 1 = {p + 1}); "
            f"{n_dropped} of {n_rows} rows have a missing value in {outcome!r}, the drivers or the weights"
        )
    used = complete if deletion == "listwise" else w_all > 0  # pairwise: rows count for the pairs they observe
    Zu, wu = Z[used], w_all[used]
    _check_not_constant(Zu, [outcome, *drivers])
    if deletion == "listwise":
        centred, mask = Zu - (wu @ Zu) / wu.sum(), None
        C = corr_listwise(centred, wu[None, :])
        n_used = int(used.sum())
    else:
        observed = ~np.isnan(Zu)
        centred, mask = np.where(observed, Zu - np.nanmean(Zu, axis=0), 0.0), observed.astype(float)
        C, counts = corr_pairwise(centred, mask, wu[None, :])
        n_used = int(counts.min())
        if n_used <= p + 1:
            raise CXDataError(f"the smallest pairwise base is {n_used} rows, too few for {p} driver(s)")
    check_not_collinear(C[0, 1:, 1:], drivers)
    return _Rows(outcome=str(outcome), drivers=drivers, Z=Zu, w=wu, weighted=w is not None, n_rows=n_rows,
                 n_used=n_used, n_dropped=n_dropped, min_base=int(min_base), outcome_type=outcome_type,
                 deletion=deletion, centred=centred, mask=mask, C=C, n_missing_codes=n_codes)


# ---------------------------------------------------------------------------
# 2. importance
# ---------------------------------------------------------------------------
def _importance(rows: _Rows, method: str) -> tuple[np.ndarray, float, np.ndarray]:
    """Point importances (p,), the full model's R², the signs of the drivers' effects."""
    if rows.outcome_type == "binary":
        return binary_importance(rows.Z[:, 0], rows.Z[:, 1:], rows.w, names=list(rows.drivers))
    imps, r2s, betas = importance_from_corr(rows.C, method)
    sign = np.sign(rows.C[0, 1:, 0] if method == "correlation" else betas[0])
    return imps[0], float(r2s[0]), sign


# ---------------------------------------------------------------------------
# 3. bootstrap
# ---------------------------------------------------------------------------
def _bootstrap(rows: _Rows, method: str, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Replicates of the importances (valid resamples × p) and the number of resamples skipped.

    Linear methods: the resampling counts multiply the weights and the correlation
    matrices of a chunk of replicates are built and decomposed in one batch.
    """
    p = len(rows.drivers)
    if rows.outcome_type == "binary":
        return binary_bootstrap(rows.Z[:, 0], rows.Z[:, 1:], rows.w, n_boot, rng)
    reps, failed = np.empty((0, p)), 0
    if not n_boot:
        return reps, failed
    n = len(rows.Z)
    chunks = []
    q = rows.centred.shape[1]
    products = (pair_products(rows.centred)  # reused by every chunk when it fits
                if rows.mask is None and n * q * (q + 1) // 2 <= 4 * CHUNK_ELEMENTS else None)
    per_subsets = SUBSET_BATCH >> p if method == "shapley" else n_boot  # the sweep's batch
    per = max(1, min(n_boot, CHUNK_ELEMENTS // max(n, 1), per_subsets))
    done = 0
    while done < n_boot:
        b = min(per, n_boot - done)
        V = boot_counts(rng, n, b) * rows.w[None, :]
        if rows.mask is None:
            Cb = corr_listwise(rows.centred, V, products)
        else:
            Cb, _ = corr_pairwise(rows.centred, rows.mask, V)
        ok = valid_corr(Cb[:, 1:, 1:]) & np.isfinite(Cb).all(axis=(1, 2))
        failed += int((~ok).sum())
        if ok.any():
            chunks.append(importance_from_corr(Cb[ok], method)[0])
        done += b
    return (np.concatenate(chunks) if chunks else reps), failed


# ---------------------------------------------------------------------------
# 4. result
# ---------------------------------------------------------------------------
def _performance(rows: _Rows) -> pd.Series:
    """(Weighted) mean rating of each driver on the rows used."""
    perf = {}
    for j, d in enumerate(rows.drivers):
        col = rows.Z[:, j + 1]
        ok = ~np.isnan(col)
        perf[d] = float(np.average(col[ok], weights=rows.w[ok]))
    return pd.Series(perf, name="performance")


def _description(rows: _Rows, *, method: str, level: float, n_boot: int, seed: Any, failed: int) -> str:
    what = ("McFadden pseudo-R² of a logistic regression, " + METHOD_TEXT["shapley"]
            if rows.outcome_type == "binary" else METHOD_TEXT[method])
    boot = (f"{int(level * 100)}% percentile bootstrap intervals ({n_boot} resamples, seed {seed}, {failed} skipped)"
            if n_boot else "no bootstrap")
    declared = {c: k for c, k in rows.n_missing_codes.items() if k}
    codes = (f", declared missing codes included ({', '.join(f'{c} {k}' for c, k in declared.items())})"
             if declared else "")
    return (
        f"{what}; {'weighted' if rows.weighted else 'unweighted'}; {rows.deletion} deletion "
        f"({rows.n_dropped} of {rows.n_rows} rows with missing values{codes}); sign = sign of the "
        f"{'zero-order correlation' if method == 'correlation' else 'multiple-regression coefficient'}; {boot}"
    )


def _result(rows: _Rows, *, method: str, imp: np.ndarray, r2: float, sign: np.ndarray, reps: np.ndarray,
            failed: int, level: float, n_boot: int, seed: Any) -> KeyDriverResult:
    """The tidy per-driver table and the result object."""
    p = len(rows.drivers)
    lo, hi = percentile_interval(reps.reshape(-1, p), level)
    lo_mc, hi_mc = percentile_bound_mc_error(reps.reshape(-1, p), level)
    total = float(np.sum(imp))
    table = pd.DataFrame(
        {
            "driver": rows.drivers,
            "estimate": imp,
            "ci_low": lo,
            "ci_high": hi,
            "n": rows.n_used,
            "importance": imp,
            "share": 100.0 * imp / total if total != 0 else np.full(p, np.nan),
            "rank": pd.Series(imp).rank(ascending=False, method="min").astype(int).to_numpy(),
            "sign": sign.astype(int),
            "ci_low_mc_se": lo_mc,
            "ci_high_mc_se": hi_mc,
        }
    )
    if rows.mask is None:  # listwise: every row used is a complete case
        cc = np.ones(len(rows.Z), dtype=bool)
    else:
        cc = ~np.isnan(rows.Z).any(axis=1)
    binary = rows.outcome_type == "binary"
    fit_model = functools.partial(_fit_model, rows.Z[cc], rows.w[cc] if rows.weighted else None,
                                  [rows.outcome, *rows.drivers], binary=binary)
    return KeyDriverResult(
        table=table, r_squared=r2, n=rows.n_used, n_dropped=rows.n_dropped,
        n_eff=kish_n_eff(rows.w) if rows.weighted else float(rows.n_used), outcome=rows.outcome,
        drivers=tuple(rows.drivers), method=method, outcome_type=rows.outcome_type, deletion=rows.deletion,
        confidence_level=level, n_boot=n_boot, n_boot_failed=failed, min_base=rows.min_base,
        small_base=rows.small_base, description=_description(rows, method=method, level=level, n_boot=n_boot,
                                                             seed=seed, failed=failed),
        performance=_performance(rows), bootstrap_importances=reps, fit_model=fit_model,
        n_missing_codes=dict(rows.n_missing_codes),
        ratings=pd.DataFrame(rows.Z, columns=[rows.outcome, *rows.drivers]),
        rating_weights=rows.w.copy() if rows.weighted else None,
    )


def _fit_model(Z: np.ndarray, w: np.ndarray | None, names: list[str], *, binary: bool):
    """The statsmodels fit behind ``result.model`` (OLS/WLS, or a binomial GLM)."""
    import statsmodels.api as sm

    y = pd.Series(Z[:, 0], name=names[0])
    X = sm.add_constant(pd.DataFrame(Z[:, 1:], columns=names[1:]), has_constant="add")
    if binary:
        kw = {} if w is None else {"var_weights": w}
        return sm.GLM(y, X, family=sm.families.Binomial(), **kw).fit()
    if w is None:
        return sm.OLS(y, X).fit(method="qr")
    return sm.WLS(y, X, weights=w).fit(method="qr")
