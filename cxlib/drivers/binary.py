"""Binary outcomes: logistic dominance on McFadden's pseudo-R².

For a 0/1 outcome (e.g. promoter vs not) the R² of a driver subset S is McFadden's
``1 − log L(S) / log L(∅)`` of a (weighted) logistic regression refitted for each of the
2^p subsets; the Shapley/LMG decomposition of these values sums to the full model's
McFadden R² (Azen & Traxel 2009). That is 2^p fits for the estimate and as many again for
every bootstrap resample, so :func:`check_cost` estimates the time up front.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import CXDataError, SlowComputationWarning
from .correlation import boot_counts
from .dominance import lmg_from_subsets

#: Seconds per logistic fit of the subset sweep: a fixed part plus a part per row,
#: calibrated on the project's reference machine (about 0.7 ms at 2,000 rows and 13 ms
#: at 50,000; a subset's fit starts from its parent's coefficients).
SECONDS_PER_FIT = (2.5e-4, 2.5e-7)

#: An expected run time above ``WARN_SECONDS`` gives a :class:`~cxlib.errors.SlowComputationWarning`;
#: above ``LIMIT_SECONDS`` the analysis is refused before it starts.
WARN_SECONDS = 60.0
LIMIT_SECONDS = 3600.0


def estimated_seconds(n: int, p: int, n_boot: int) -> float:
    """Expected run time of exact logistic dominance: ``2^p × (1 + n_boot)`` fits at
    :data:`SECONDS_PER_FIT` each.

    >>> round(estimated_seconds(2000, 8, 200), 1)
    38.6
    """
    fixed, per_row = SECONDS_PER_FIT
    return float((1 << p) * (1 + n_boot) * (fixed + per_row * n))


def _duration(seconds: float) -> str:
    """``"45 s"``, ``"12 min"``, ``"3.4 h"``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def check_cost(n: int, p: int, n_boot: int) -> float:
    """Estimate the run time of exact logistic dominance before it starts; warn above
    :data:`WARN_SECONDS`, refuse above :data:`LIMIT_SECONDS` (both messages give the
    expected time and the options that avoid it). Returns the estimate in seconds.

    >>> check_cost(500, 3, 100) < WARN_SECONDS
    True
    """
    seconds = estimated_seconds(n, p, n_boot)
    if seconds <= WARN_SECONDS:
        return seconds
    what = (f"exact logistic dominance of {p} drivers on {n:,} rows needs {(1 << p) * (1 + n_boot):,} logistic fits "
            f"(2^{p} for the estimate and for each of n_boot={n_boot} resamples), about {_duration(seconds)}")
    options = ("use fewer drivers (each one fewer halves the time), fewer resamples (n_boot=0 skips the intervals), "
               "or outcome_type='continuous' with method='relative_weights' (seconds, any number of drivers)")
    if seconds > LIMIT_SECONDS:
        raise CXDataError(f"{what}, over the limit of {_duration(LIMIT_SECONDS)}; {options}")
    warnings.warn(f"{what}; to make it faster, {options}", SlowComputationWarning, stacklevel=3)
    return seconds


def logit_llf(X: np.ndarray, y: np.ndarray, w: np.ndarray, start: np.ndarray | None = None):
    """Weighted logistic log-likelihood at the MLE by Newton–Raphson; returns (llf, beta).

    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 0.0, 1.0]])
    >>> llf, beta = logit_llf(X, np.array([0.0, 1.0, 1.0, 0.0]), np.ones(4))
    >>> round(llf, 4), beta.round(6).tolist()
    (-2.7726, [0.0, 0.0])
    """
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


def binary_subset_r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """McFadden R²(S) = 1 − llf(S)/llf(∅) for every subset; X holds the drivers (n, p).

    Each subset's fit starts from its parent's coefficients (the subset without its
    last driver), which makes the 2^p Newton fits converge in a few steps.
    """
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
        llf, beta = logit_llf(Xc[:, [0, *(c + 1 for c in cols)]], y, w, np.append(parent, 0.0))
        betas[mask] = beta
        r2[mask] = 1.0 - llf / ll0
    return r2


def binary_importance(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Shapley/LMG shares of McFadden's R² (p,), the full model's R², and the signs of
    the full logistic regression's coefficients."""
    p = X.shape[1]
    r2sub = binary_subset_r2(y, X, w)
    imp = lmg_from_subsets(r2sub[None, :], p)[0]
    sign = np.sign(logit_llf(np.column_stack([np.ones(len(y)), X]), y, w)[1][1:])
    return imp, float(r2sub[-1]), sign


def binary_bootstrap(
    y: np.ndarray, X: np.ndarray, w: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Bootstrap replicates of the logistic dominance (valid resamples × p) and the number
    of resamples skipped because a driver or the outcome was constant in them."""
    p = X.shape[1]
    reps, failed = [], 0
    for _ in range(n_boot):
        cnt = boot_counts(rng, len(y), 1)[0]
        v = w * cnt
        Xb = X[v > 0]
        if np.any(np.ptp(Xb, axis=0) == 0) or np.ptp(y[v > 0]) == 0:
            failed += 1
            continue
        try:
            rb = binary_subset_r2(y[v > 0], Xb, v[v > 0])
        except np.linalg.LinAlgError:
            failed += 1
            continue
        reps.append(lmg_from_subsets(rb[None, :], p)[0])
    return np.array(reps).reshape(-1, p), failed
