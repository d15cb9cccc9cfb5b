"""Weighted correlation matrices of an outcome and its drivers, and their validation.

Every linear key-driver method works on the (survey-weighted) correlation matrix with the
outcome first. It is built in one pass from the sufficient statistics Σv, Σvz and Σvzzᵀ
for a whole stack of weight vectors ``V`` (the weights times the bootstrap resampling
counts), so the point estimate and every bootstrap replicate take the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import apply_scale, check_columns, check_declared_columns, resolve_weights
from ..errors import CXDataError

#: Bound on the size of temporary arrays (floats) in batched computations.
CHUNK_ELEMENTS = 4_000_000


def driver_list(data: pd.DataFrame, outcome: str, drivers: Any) -> list[str]:
    """Validate ``outcome`` and ``drivers`` (a non-empty list of distinct columns of ``data``).

    >>> driver_list(pd.DataFrame({"y": [1], "a": [2]}), "y", ["a"])
    ['a']
    """
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


def prepare_matrix(data: pd.DataFrame, outcome: str, drivers: list[str], weights: Any, *,
                   scale: Any = None, missing: Any = ()) -> tuple[np.ndarray, np.ndarray | None, dict[str, int]]:
    """Numeric (n, 1+p) matrix [outcome, drivers...] with NaN for missing, the weights, and
    the values set missing as declared missing codes per column.

    ``scale`` (points) and ``missing`` (codes) given as a pair / a sequence declare the
    drivers; only a dict column -> ... also declares the outcome (whose scale and codes
    usually differ: a 0 outcome is an answer, a 0 driver may mean "not applicable").

    >>> df = pd.DataFrame({"y": [0, 1, 1], "a": [0, 4, 5]})
    >>> Z, w, counts = prepare_matrix(df, "y", ["a"], None, scale=(1, 5), missing=[0])
    >>> Z[:, 1].tolist(), counts
    ([nan, 4.0, 5.0], {'y': 0, 'a': 1})
    """
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if not len(data):
        raise CXDataError("`data` has no rows")
    check_declared_columns(data, scale=scale, missing=missing)
    columns, counts = [], {}
    for c in [outcome, *drivers]:
        named = c == outcome
        arr, per_code = apply_scale(data[c], str(c),
                                    scale=scale if not named or isinstance(scale, Mapping) else None,
                                    missing=missing if not named or isinstance(missing, Mapping) else ())
        columns.append(arr)
        counts[str(c)] = int(sum(per_code.values()))
    w = resolve_weights(data, weights, len(data))
    return np.column_stack(columns), w, counts


def boot_counts(rng: np.random.Generator, n: int, B: int) -> np.ndarray:
    """Multinomial resampling counts, shape (B, n): row i is drawn counts[b, i] times."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=B).astype(float)


def weighted_moments(Z: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σv, and Σ v zzᵀ for each row of V (B, n) over complete rows Z (n, q)."""
    M = np.empty((V.shape[0], Z.shape[1], Z.shape[1]))
    for b, v in enumerate(V):  # one BLAS product per replicate
        M[b] = (Z * v[:, None]).T @ Z
    return V.sum(axis=1), M


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation matrices from a stack of covariance matrices (NaN for a constant column)."""
    d = np.sqrt(np.clip(np.diagonal(cov, axis1=-2, axis2=-1), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        C = cov / (d[..., :, None] * d[..., None, :])
    q = C.shape[-1]
    C[..., np.arange(q), np.arange(q)] = np.where(d > 0, 1.0, np.nan)
    return C


def corr_listwise(Zc: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Weighted correlation matrices (B, q, q) from complete rows (already centred).

    >>> Z = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 5.9]])
    >>> C = corr_listwise(Z - Z.mean(axis=0), np.ones((1, 3)))
    >>> bool(np.isclose(C[0, 0, 1], np.corrcoef(Z.T)[0, 1]))
    True
    """
    sw = V.sum(axis=1)
    mean = (V @ Zc) / sw[:, None]
    _, S2 = weighted_moments(Zc, V)
    cov = S2 / sw[:, None, None] - mean[:, :, None] * mean[:, None, :]
    return cov_to_corr(cov)


def corr_pairwise(Z0: np.ndarray, Mk: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete weighted correlations; Z0 has 0 where missing, Mk is the 0/1 mask.

    Returns the stack of correlation matrices (B, q, q) and the unweighted pairwise
    counts (q, q).
    """
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
    return C, counts


def valid_corr(C: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Which matrices in the stack are finite and positive definite.

    >>> valid_corr(np.array([np.eye(2), np.ones((2, 2))])).tolist()
    [True, False]
    """
    ok = np.isfinite(C).all(axis=(1, 2))
    out = np.zeros(len(C), dtype=bool)
    if ok.any():
        ev = np.linalg.eigvalsh(np.where(ok[:, None, None], C, np.eye(C.shape[1])))
        out = ok & (ev[:, 0] > tol)
    return out


def check_not_collinear(C: np.ndarray, drivers: list[str]) -> None:
    """Raise naming the drivers involved when their correlation matrix is (almost) singular."""
    if valid_corr(C[None, :, :])[0]:
        return
    ev, vec = np.linalg.eigh(C)
    involved = [drivers[i] for i in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
    raise CXDataError(
        f"drivers {involved} are (almost) perfectly collinear (smallest eigenvalue of their "
        f"correlation matrix {ev[0]:.2g}); drop or combine one of them"
    )
