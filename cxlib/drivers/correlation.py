"""Weighted correlation matrices of an outcome and its drivers, and their validation.

Every linear key-driver method works on the (survey-weighted) correlation matrix with the
outcome first. It is built in one pass from the sufficient statistics Σv, Σvz and Σvzzᵀ
for a whole stack of weight vectors ``V`` (the weights times the bootstrap resampling
counts), so the point estimate and every bootstrap replicate take the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import apply_scale, check_columns, check_declared_columns, declared_scale, resolve_weights
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
    check = engines.check_columns if engines.is_engine_frame(data) else check_columns
    check(data, [outcome], argument="outcome")
    check(data, drivers, argument="drivers")
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


def pair_products(Z: np.ndarray) -> np.ndarray:
    """The products ``z_i z_j`` (i ≤ j, in ``numpy.triu_indices`` order) of each row, (n, q(q+1)/2).

    >>> pair_products(np.array([[1.0, 2.0]])).tolist()
    [[1.0, 2.0, 4.0]]
    """
    iu, ju = np.triu_indices(Z.shape[1])
    return Z[:, iu] * Z[:, ju]


def weighted_moments(Z: np.ndarray, V: np.ndarray, products: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Σv, and Σ v zzᵀ for each row of V (B, n) over complete rows Z (n, q).

    One matrix product for the whole stack: ``V @ P`` with ``P`` the :func:`pair_products`
    of the rows (given as ``products``, or built here in blocks of rows).

    >>> Z = np.array([[1.0, 2.0], [3.0, -1.0]])
    >>> weighted_moments(Z, np.array([[1.0, 2.0]]))[1].tolist()
    [[[19.0, -4.0], [-4.0, 6.0]]]
    """
    n, q = Z.shape
    iu, ju = np.triu_indices(q)
    if products is not None:
        S = V @ products
    else:
        S = np.zeros((V.shape[0], len(iu)))
        step = max(1, CHUNK_ELEMENTS // (4 * len(iu)))
        for s in range(0, n, step):
            S += V[:, s : s + step] @ pair_products(Z[s : s + step])
    M = np.empty((V.shape[0], q, q))
    M[:, iu, ju] = S
    M[:, ju, iu] = S
    return V.sum(axis=1), M


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation matrices from a stack of covariance matrices (NaN for a constant column)."""
    d = np.sqrt(np.clip(np.diagonal(cov, axis1=-2, axis2=-1), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        C = cov / (d[..., :, None] * d[..., None, :])
    q = C.shape[-1]
    C[..., np.arange(q), np.arange(q)] = np.where(d > 0, 1.0, np.nan)
    return C


def corr_listwise(Zc: np.ndarray, V: np.ndarray, products: np.ndarray | None = None) -> np.ndarray:
    """Weighted correlation matrices (B, q, q) from complete rows (already centred).

    ``products``: the rows' :func:`pair_products`, when the caller reuses them.

    >>> Z = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 5.9]])
    >>> C = corr_listwise(Z - Z.mean(axis=0), np.ones((1, 3)))
    >>> bool(np.isclose(C[0, 0, 1], np.corrcoef(Z.T)[0, 1]))
    True
    """
    sw = V.sum(axis=1)
    mean = (V @ Zc) / sw[:, None]
    _, S2 = weighted_moments(Zc, V, products)
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


# ------------------------------------------------------- the matrix, on any engine
@dataclass(frozen=True)
class CrossProducts:
    """The weighted moments of an outcome and its drivers over the complete rows.

    Attributes
    ----------
    columns : list of str
        The outcome, then the drivers.
    n : int
        Complete rows used (every column present, weight > 0).
    sum_weights : float
        Σw over those rows (``n`` when unweighted).
    mean : ndarray (q,)
        Weighted means.
    cov : ndarray (q, q)
        Weighted covariance ``Σw(z − m)(z − m)ᵀ / Σw``.
    corr : ndarray (q, q)
        The correlation matrix every linear key-driver method starts from.
    n_missing_codes : dict
        Rows set missing as a declared missing code, per column.
    """

    columns: list[str]
    n: int
    sum_weights: float
    mean: np.ndarray
    cov: np.ndarray
    corr: np.ndarray
    n_missing_codes: dict

    def to_frame(self) -> pd.DataFrame:
        """The correlation matrix, labelled by column."""
        return pd.DataFrame(self.corr, index=self.columns, columns=self.columns)


def weighted_correlation(data: Any, *, outcome: str, drivers: Any, weights: str | None = None, scale: Any = None,
                         missing: Any = ()) -> CrossProducts:
    """Weighted correlation matrix of an outcome and its drivers (listwise complete rows).

    Parameters
    ----------
    data : DataFrame, or a polars, pyarrow, DuckDB or Spark table
        One row per respondent. A non-pandas table is reduced to the sums below inside
        its own engine (:mod:`cxlib.engines`); only the q × q sums come to Python.
    outcome : str
    drivers : list of str
    weights : str, optional
        Weights column (a column name; arrays only with a pandas frame).
    scale, missing : optional
        Declared points and missing codes, as in :func:`cxlib.key_drivers` (a pair or a
        sequence declares the drivers; a dict column -> ... also the outcome).

    Returns
    -------
    CrossProducts
        ``corr`` (outcome first), ``cov``, ``mean``, ``n``, ``sum_weights``,
        ``n_missing_codes``.

    Notes
    -----
    From the sufficient statistics Σw, Σwz and Σwzzᵀ over rows where every column is
    present and w > 0: ``m = Σwz / Σw``, ``cov = Σwzzᵀ / Σw − m mᵀ``,
    ``corr_ij = cov_ij / sqrt(cov_ii cov_jj)`` (the weighted Pearson correlation). The
    pandas path centres the rows on their mean first; an engine sums the products of
    values centred on the mean of its first 10,000 rows (one small query), which agrees
    to about 1e-15. A pandas frame of 200,000 rows or more whose columns are all numeric
    is reduced in one pass over blocks of rows (the checks, the declared codes and one
    matrix product per block, centred on the first block's means): no copy of the rows,
    and faster than DuckDB's own query over the frame (``benchmarks/bench_engines.py``).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4], "a": [2, 4, 5, 9], "b": [1, 0, 1, 0]})
    >>> r = cx.weighted_correlation(df, outcome="y", drivers=["a", "b"])
    >>> round(float(r.corr[0, 1]), 4), r.n  # = numpy.corrcoef(df.T)[0, 1] unweighted
    (0.9648, 4)
    """
    drivers = driver_list(data, outcome, drivers)
    columns = [outcome, *drivers]
    if engines.large_numeric_frame(data, [*columns, *([weights] if isinstance(weights, str) else [])], missing):
        sums = _frame_sums(data, columns, weights, scale, missing)
        if sums is not None:  # None: a value the checks refuse; the path below names it
            n, sw, mean, cov, codes = sums
            return CrossProducts(columns=[str(c) for c in columns], n=n, sum_weights=sw, mean=mean, cov=cov,
                                 corr=cov_to_corr(cov[None])[0], n_missing_codes=codes)
    if engines.is_engine_frame(data):
        if isinstance(scale, Mapping) or isinstance(missing, Mapping):
            for argument, value in (("scale", scale), ("missing", missing)):
                if isinstance(value, Mapping):
                    engines.check_columns(data, list(value), argument=argument)
        declared = [declared_scale(scale if c != outcome or isinstance(scale, Mapping) else None,
                                   missing if c != outcome or isinstance(missing, Mapping) else (), c)
                    for c in columns]
        if weights is not None and not isinstance(weights, str):
            raise CXDataError("`weights` must name a column when `data` is a table")
        from ..engine_ops.cross_products import cross_products

        sums = cross_products(data, columns, declared, weights)
        n, sw, codes = sums["n"], sums["sw"], sums["n_codes"]
        if n < 2 or not sw > 0:
            raise CXDataError(f"only {n} complete row(s) with a positive weight; a correlation needs at least 2")
        shifted = sums["s1"] / sw  # the sums are of z − c (c: rough means, for accuracy)
        mean = sums["shift"] + shifted
        cov = sums["s2"] / sw - np.outer(shifted, shifted)
    else:
        Z, w, codes = prepare_matrix(data, outcome, drivers, weights, scale=scale, missing=missing)
        w = np.ones(len(Z)) if w is None else w
        complete = ~np.isnan(Z).any(axis=1) & (w > 0)
        n = int(complete.sum())
        if n < 2:
            raise CXDataError(f"only {n} complete row(s) with a positive weight; a correlation needs at least 2")
        Zu, wu = Z[complete], w[complete]
        sw = float(wu.sum())
        mean = (wu @ Zu) / sw
        centred = Zu - mean
        cov = weighted_moments(centred, wu[None, :])[1][0] / sw
    return CrossProducts(columns=[str(c) for c in columns], n=n, sum_weights=sw, mean=mean, cov=cov,
                         corr=cov_to_corr(cov[None])[0], n_missing_codes=codes)


#: Rows per block of the one-pass reduction of a large pandas frame: the block (about 1 MB)
#: stays in cache through the checks and the matrix product.
FRAME_BLOCK_ROWS = 16_384


def _frame_sums(data: pd.DataFrame, columns: list[str], weights: Any, scale: Any, missing: Any
                ) -> tuple[int, float, np.ndarray, np.ndarray, dict] | None:
    """Σw, the weighted means and covariance of the complete rows of a large numeric frame,
    in one pass over blocks of rows; ``None`` when a value needs the full checks' message
    (infinite, outside the declared points, a column with no value, under 2 complete rows).

    Each block: the columns as floats (one contiguous row each, and a row of ones),
    declared missing codes set missing (counted), the rows complete with w > 0, and one
    matrix product giving ``Σw``, ``Σw(z − c)`` and ``Σw(z − c)(z − c)ᵀ`` with ``c`` the
    first block's means (for accuracy, as the engines do).
    """
    check_declared_columns(data, scale=scale, missing=missing)
    outcome = columns[0]
    declared = [declared_scale(scale if c != outcome or isinstance(scale, Mapping) else None,
                               missing if c != outcome or isinstance(missing, Mapping) else (), c) for c in columns]
    arrays = [data[c].to_numpy() if isinstance(data[c].dtype, np.dtype) else data[c].array for c in columns]
    w_all = resolve_weights(data, weights, len(data))
    q = len(columns)
    codes = {str(c): 0 for c in columns}
    bounded = [j for j, (points, _) in enumerate(declared) if points is not None]
    n, sw, shift = 0, 0.0, None
    s1, s2 = np.zeros(q), np.zeros((q, q))
    block = min(FRAME_BLOCK_ROWS, len(data))
    # buffers reused by every block: fresh ~1 MB arrays would be mapped and zeroed by the
    # system each time (page faults cost more than the arithmetic)
    buf = np.empty((3, (q + 1) * block))  # flat, so that every view below is contiguous (BLAS needs it)
    row, ok, wbuf = np.empty(block), np.empty(block, dtype=bool), np.empty(block)
    for start in range(0, len(data), block):
        size = min(block, len(data) - start)
        Z = buf[0, : (q + 1) * size].reshape(q + 1, size)
        Z[q] = 1.0  # the row of ones
        for j, a in enumerate(arrays):  # one contiguous row per column
            Z[j] = a[start : start + size] if isinstance(a, np.ndarray) else a[start : start + size].to_numpy(
                dtype=float, na_value=np.nan)
        for j, (points, col_codes) in enumerate(declared):
            if col_codes:
                hit = np.isin(Z[j], np.asarray(col_codes, dtype=float))
                codes[str(columns[j])] += int(hit.sum())
                Z[j][hit] = np.nan
        if np.isinf(Z[:q]).any():
            return None
        for j in bounded:  # declared points: the smallest and largest value (NaN ignored)
            if np.fmin.reduce(Z[j]) < declared[j][0][0] or np.fmax.reduce(Z[j]) > declared[j][0][1]:
                return None
        w = np.ones(size) if w_all is None else w_all[start : start + size]
        keep = np.logical_and(~np.isnan(np.sum(Z[:q], axis=0, out=row[:size])), w > 0, out=ok[:size])  # complete
        if not keep.all():
            m = int(np.count_nonzero(keep))
            Z = np.compress(keep, Z, axis=1, out=buf[1, : (q + 1) * m].reshape(q + 1, m))
            w = np.compress(keep, w, out=wbuf[:m])
        if not Z.shape[1]:
            continue
        if shift is None:
            shift = (Z[:q] @ w) / w.sum()
        Z[:q] -= shift[:, None]
        S = np.multiply(Z, w, out=buf[2, : Z.size].reshape(Z.shape)) @ Z.T  # [[Σw(z−c)(z−c)ᵀ, Σw(z−c)], [·, Σw]]
        n, sw = n + Z.shape[1], sw + float(S[q, q])
        s1 += S[:q, q]
        s2 += S[:q, :q]
    if n < 2 or not sw > 0:
        return None  # too few rows (e.g. a column all missing): the row path says which
    m = s1 / sw
    return n, sw, shift + m, s2 / sw - np.outer(m, m), codes
