"""Relative importance from correlation matrices: all-subset R², Shapley/LMG, relative weights.

Every function works on a stack of correlation matrices ``C`` (B, q, q) with the outcome
first, so the point estimate and all bootstrap replicates are computed in one batch.
"""

from __future__ import annotations

import functools
import math

import numpy as np

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


#: Subset R² values (replicates × 2^p) computed in one batch by :func:`all_subset_r2`:
#: about 8 MB of state, which keeps the sweep in cache.
SUBSET_BATCH = 1 << 20


def all_subset_r2(C: np.ndarray) -> np.ndarray:
    """R² of every subset of drivers, shape (B, 2^p), indexed by bit mask.

    ``C`` (B, q, q) has the outcome first. R²(S) = 1 − e(S), where e(S) is the residual
    variance of the outcome after sweeping (Gauss–Jordan pivoting on) the drivers in S:
    sweeping driver k turns every remaining entry into ``a_ij − a_ik a_kj / a_kk`` (a Schur
    complement, the same quantity as the last diagonal of the Cholesky factor of the
    augmented matrix). The subsets are built as a binary tree over the drivers in order:
    at step t every subset of drivers 0..t−1 has two children, without driver t (the
    matrix minus row and column t) and with it (swept on t), so subsets sharing a prefix
    share its work and all 2^p values come from p batched array operations per row.
    The matrices are stored as packed upper triangles, subsets and replicates along the
    contiguous axes.

    >>> C = np.array([[[1.0, 0.6, 0.0], [0.6, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    >>> all_subset_r2(C).round(2).tolist()
    [[0.0, 0.36, 0.0, 0.36]]
    """
    B, q, _ = C.shape
    p = q - 1
    step = max(1, SUBSET_BATCH >> p)
    if B > step:
        return np.concatenate([all_subset_r2(C[s : s + step]) for s in range(0, B, step)])
    order = [*range(1, q), 0]  # the drivers in order, the outcome last
    Cq = C[:, order][:, :, order]
    X = np.concatenate([Cq[:, i, i:].T for i in range(q)])[:, None, :]  # packed rows (K, subsets, B)
    for t in range(p):
        m = q - t  # variables left: drivers t..p-1 and the outcome
        n_new = m * (m - 1) // 2
        out = np.empty((n_new, 2, 1 << t, B))
        out[:, 0] = X[m:]  # without driver t: the packed rows 1.. are the remaining matrix
        a = X[1:m]  # row of driver t: a_tj for the remaining j
        s = a / X[0]
        o = 0
        for i in range(m - 1):  # with driver t: row i of the Schur complement
            w = out[o : o + m - 1 - i, 1]
            np.multiply(a[i], s[i:], out=w)
            np.subtract(out[o : o + m - 1 - i, 0], w, out=w)
            o += m - 1 - i
        X = out.reshape(n_new, 2 << t, B)  # bit t is the most significant bit so far
    return 1.0 - X[0].T


@functools.lru_cache(maxsize=8)
def _lmg_weights(p: int, start: int, stop: int) -> np.ndarray:
    """LMG weights of the subsets start..stop−1 (bit masks) for every driver, (stop − start, p)."""
    masks = np.arange(start, stop)
    size = np.bitwise_count(masks).astype(np.intp)
    w = np.array([1.0 / (p * math.comb(p - 1, s)) for s in range(p)] + [0.0])
    has = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    W = np.where(has, w[np.maximum(size - 1, 0)][:, None], -w[size][:, None])
    W.flags.writeable = False
    return W


def lmg_from_subsets(r2: np.ndarray, p: int) -> np.ndarray:
    """LMG_j = Σ_{S∌j} |S|!(p−|S|−1)!/p! · (R²(S∪{j}) − R²(S)); r2 shape (B, 2^p).

    Computed as one matrix product ``r2 @ W`` with ``W[S, j] = w(|S|−1)`` if j ∈ S and
    ``−w(|S|)`` otherwise (``w(s) = s!(p−s−1)!/p!``), in blocks of subsets.

    >>> lmg_from_subsets(np.array([[0.0, 0.2, 0.4, 0.5]]), 2).round(10).tolist()
    [[0.15, 0.35]]
    """
    n_sub = 1 << p
    block = min(n_sub, 1 << 16)
    out = np.zeros((r2.shape[0], p))
    for s in range(0, n_sub, block):
        out += r2[:, s : s + block] @ _lmg_weights(p, s, s + block)
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
