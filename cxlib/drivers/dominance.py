"""Relative importance from correlation matrices: all-subset R², Shapley/LMG, relative weights.

Every function works on a stack of correlation matrices ``C`` (B, q, q) with the outcome
first, so the point estimate and all bootstrap replicates are computed in one batch.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .correlation import CHUNK_ELEMENTS

#: Importance methods of :func:`~cxlib.drivers.key_drivers`.
METHODS = ("shapley", "relative_weights", "ols", "correlation")
MAX_SHAPLEY_DRIVERS = 22  # 2^22 subsets: ~4 million R² values, a few seconds
MAX_BINARY_DRIVERS = 12  # 2^12 logistic fits

METHOD_TEXT = {
    "shapley": "Shapley value / LMG / general dominance of R², exact over all 2^p subsets",
    "relative_weights": "Johnson (2000) relative weights of R²",
    "ols": "squared standardised OLS coefficients (beta²)",
    "correlation": "squared zero-order correlations (r²)",
}


def _combinations(p: int, k: int) -> np.ndarray:
    return np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(p), k)), dtype=np.intp, count=math.comb(p, k) * k
    ).reshape(-1, k)


def all_subset_r2(C: np.ndarray) -> np.ndarray:
    """R² of every subset of drivers, shape (B, 2^p), indexed by bit mask.

    ``C`` (B, q, q) has the outcome first. For a subset S the augmented matrix
    [[R_SS, r_S], [r_Sᵀ, 1]] has Cholesky factor whose last diagonal element squared is
    1 − r_Sᵀ R_SS⁻¹ r_S, so R²(S) = 1 − L_kk²: one batched Cholesky per subset size.

    >>> C = np.array([[[1.0, 0.6, 0.0], [0.6, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    >>> all_subset_r2(C).round(2).tolist()
    [[0.0, 0.36, 0.0, 0.36]]
    """
    B, q, _ = C.shape
    p = q - 1
    r2 = np.zeros((B, 1 << p))
    for k in range(1, p + 1):
        combos = _combinations(p, k)
        masks = (np.left_shift(1, combos)).sum(axis=1)
        idx = np.concatenate([combos + 1, np.zeros((len(combos), 1), dtype=np.intp)], axis=1)
        step = max(1, CHUNK_ELEMENTS // (B * (k + 1) ** 2))
        for s in range(0, len(combos), step):
            ii = idx[s : s + step]
            A = C[:, ii[:, :, None], ii[:, None, :]]
            L = np.linalg.cholesky(A)
            r2[:, masks[s : s + step]] = 1.0 - L[..., k, k] ** 2
    return r2


def lmg_from_subsets(r2: np.ndarray, p: int) -> np.ndarray:
    """LMG_j = Σ_{S∌j} |S|!(p−|S|−1)!/p! · (R²(S∪{j}) − R²(S)); r2 shape (B, 2^p).

    >>> lmg_from_subsets(np.array([[0.0, 0.2, 0.4, 0.5]]), 2).round(10).tolist()
    [[0.15, 0.35]]
    """
    masks = np.arange(1 << p)
    size = np.bitwise_count(masks)
    weight = np.array([1.0 / (p * math.comb(p - 1, s)) for s in range(p)])
    out = np.empty((r2.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[size[without]]
    return out


def relative_weights(Rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights (B, p) from driver correlations and their r with y.

    With ``R = V diag(δ) Vᵀ`` and ``Λ = V diag(√δ) Vᵀ``: ``β = Λ⁻¹ r`` and
    ``ε_j = Σ_k Λ_jk² β_k²``, summing to R².

    >>> relative_weights(np.eye(2)[None], np.array([[0.3, 0.4]])).round(2).tolist()
    [[0.09, 0.16]]
    """
    delta, vec = np.linalg.eigh(Rxx)
    lam = (vec * np.sqrt(delta)[:, None, :]) @ np.swapaxes(vec, 1, 2)
    b = np.linalg.solve(lam, rxy[..., None])[..., 0]
    return ((lam**2) @ (b**2)[..., None])[..., 0]


def importance_from_corr(C: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importances (B, p), full-model R² (B,), standardised coefficients (B, p)."""
    Rxx = C[:, 1:, 1:]
    rxy = C[:, 1:, 0]
    beta = np.linalg.solve(Rxx, rxy[..., None])[..., 0]
    r2 = np.sum(beta * rxy, axis=1)
    p = Rxx.shape[-1]
    if method == "shapley":
        imp = lmg_from_subsets(all_subset_r2(C), p)
    elif method == "relative_weights":
        imp = relative_weights(Rxx, rxy)
    elif method == "ols":
        imp = beta**2
    else:  # correlation
        imp = rxy**2
    return imp, r2, beta
