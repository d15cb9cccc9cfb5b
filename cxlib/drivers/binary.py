"""Binary outcomes: logistic dominance on McFadden's pseudo-R².

For a 0/1 outcome (e.g. promoter vs not) the R² of a driver subset S is McFadden's
``1 − log L(S) / log L(∅)`` of a (weighted) logistic regression refitted for each of the
2^p subsets; the Shapley/LMG decomposition of these values sums to the full model's
McFadden R² (Azen & Traxel 2009). That is 2^p fits for the estimate and as many again for
every bootstrap resample, so :func:`check_cost` estimates the time up front.

How the fits are made fast, exactly:

* rows are collapsed to distinct covariate patterns with their total weight and weighted
  successes (the likelihood is the same sum, grouped); a subset of few rating drivers has
  few patterns (five drivers on a 1–5 scale: at most 3,125), and each subset merges the
  patterns of its parent (the subset with one more driver) over the dropped driver;
* the estimate's subsets with many drivers (more possible patterns than a quarter of the
  data's: merging saves little) are fitted level by level, a batch of subsets of one size
  at a time on the shared patterns: their linear predictors are one matrix product
  ``Z @ B`` (a column of B per subset, zero for the drivers it leaves out) and their
  gradients another, in cache-sized blocks of rows, with chord steps on the parent's
  Hessian (no new Hessian while the decrement shrinks fast);
* a bootstrap resample only re-weights the patterns, so a chunk of resamples is fitted in
  one batched Newton–Raphson per subset (all Hessians from one matrix product);
* Newton starts from the parent's fit projected on the subset (the maximum of its
  quadratic approximation without the dropped driver), and for a resample from the
  full-data fit moved by the resample's parent's deviation: one or two Hessians per fit;
* it stops when the Newton decrement gᵀH⁻¹g at the current coefficients is at most
  1e-9 × the total weight, then takes that last step (the batched levels: the
  log-likelihood there plus the predicted gain gᵀH⁻¹g/2): the McFadden R² agree with
  statsmodels' ``Logit`` to about 1e-11 (tests/test_drivers_binary_speed.py).

References: Azen, R. & Traxel, N. (2009). Using dominance analysis to determine predictor
importance in logistic regression. *Journal of Educational and Behavioral Statistics* 34(3).
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dposv
from scipy.special import xlogy

from ..errors import CXDataError, NotIdentifiedWarning, SlowComputationWarning
from .correlation import CHUNK_ELEMENTS, boot_counts
from .dominance import lmg_from_subsets

#: Seconds per logistic fit of the subset sweep, fixed part and part per row, counting
#: every fit (the batched fits of the bootstrap resamples too). Calibrated on the
#: project's 2-core machine with 1–5 rating drivers (CPU time, rounded up): about
#: 0.04 ms a fit at 2,000 rows, 0.13 ms at 25,000 and 0.26 ms at 100,000
#: (benchmarks/bench_logistic_dominance.py). Drivers with many distinct values (few
#: repeated patterns) are slower.
SECONDS_PER_FIT = (6e-5, 3e-9)

#: Extra seconds per full-data fit (the sweep over the subsets of the estimate): about
#: 0.06–0.12 ms a fit at 2,000 rows, 0.35–0.4 ms at 25,000 rows, 0.7 ms at 50,000 and
#: 1.1–1.8 ms at 100,000 rows (8–12 drivers, CPU time on the loaded 2-core machine).
SECONDS_PER_POINT_FIT = (1e-4, 1.6e-8)

#: An expected run time above ``WARN_SECONDS`` gives a :class:`~cxlib.errors.SlowComputationWarning`;
#: above ``LIMIT_SECONDS`` the analysis is refused before it starts.
WARN_SECONDS = 60.0
LIMIT_SECONDS = 3600.0


def estimated_seconds(n: int, p: int, n_boot: int) -> float:
    """Expected run time of exact logistic dominance: ``2^p × (1 + n_boot)`` fits at
    :data:`SECONDS_PER_FIT` each, plus :data:`SECONDS_PER_POINT_FIT` for each of the
    full-data fits (made once for the estimate and once more to start the bootstrap).

    >>> round(estimated_seconds(2000, 8, 200), 1)
    3.5
    """
    fixed, per_row = SECONDS_PER_FIT
    point_fixed, point_per_row = SECONDS_PER_POINT_FIT
    point = (1 << p) * (1 + (n_boot > 0)) * (point_fixed + point_per_row * n)
    return float((1 << p) * (1 + n_boot) * (fixed + per_row * n) + point)


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

    ``y`` may be a share of successes per row (``w`` its weight): the likelihood of
    covariate patterns with counts is the same as that of their rows.

    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 0.0, 1.0]])
    >>> llf, beta = logit_llf(X, np.array([0.0, 1.0, 1.0, 0.0]), np.ones(4))
    >>> round(llf, 4), beta.round(6).tolist()
    (-2.7726, [0.0, 0.0])
    """
    beta0 = np.zeros(X.shape[1]) if start is None else start
    llf, beta, _, _ = _newton(X, w[None, :], (w * y)[None, :], beta0[None, :], tol=_TOL * float(np.sum(w)))
    return float(llf[0]), beta[0]


def _expit(eta: np.ndarray, out: np.ndarray) -> np.ndarray:
    """1 / (1 + e^−η) in place (plain numpy ufuncs: several times faster than scipy's expit)."""
    np.negative(eta, out=out)
    with np.errstate(over="ignore"):  # e^−η = inf gives μ = 0, as it should
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _softplus(eta: np.ndarray, out: np.ndarray) -> np.ndarray:
    """log(1 + e^η) = max(η, 0) + log1p(e^−|η|), without overflow."""
    np.abs(eta, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(eta, 0.0)
    return out


# ---------------------------------------------------------------------------
# batched Newton–Raphson over many weight vectors sharing one design
# ---------------------------------------------------------------------------
def _hessians(A: np.ndarray, Wt: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """``Aᵀ diag(Wt[b]) A`` for every row b of Wt (B, G); A is (G, q).

    One weight vector: a plain product. Many: the products of column pairs
    ``Q = A[:, i] * A[:, j]`` (i ≤ j) make all B Hessians one matrix product ``Wt @ Q``.
    """
    q = A.shape[1]
    if Wt.shape[0] == 1:
        Aw = A * np.sqrt(Wt[0])[:, None]
        return (Aw.T @ Aw)[None]
    iu, ju = pairs
    flat = Wt @ (A[:, iu] * A[:, ju])
    H = np.empty((Wt.shape[0], q, q))
    H[:, iu, ju] = flat
    H[:, ju, iu] = flat
    return H


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solutions of H x = g for a stack (B, q, q), (B, q); a singular H (a separated or
    collinear fit, whose likelihood is flat in some direction) gets the least-squares
    solution, which leaves that direction alone."""
    if len(g) == 1:  # one positive-definite system: LAPACK's Cholesky solver, little overhead
        _, x, info = dposv(H[0], g[0])
        if info == 0:
            return x[None]
    try:
        return np.linalg.solve(H, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(Hb, gb, rcond=None)[0] for Hb, gb in zip(H, g)])


@functools.cache
def _pairs(q: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(q)


def _newton(A: np.ndarray, NW: np.ndarray, SW: np.ndarray, beta0: np.ndarray, *, tol: float | np.ndarray,
            max_iter: int = 100, H0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maximise B weighted logistic likelihoods on one design A (G, q) at once.

    Row g of A is a covariate pattern; NW[b, g] its weight and SW[b, g] its weighted number
    of successes in problem b, so ``llf_b(β) = Σ_g SW η_g − NW log(1 + e^η_g)`` with
    ``η = Aβ``. Newton–Raphson from ``beta0`` (B, q) stops when every problem's Newton
    decrement ``gᵀH⁻¹g`` (twice the predicted gain in log-likelihood) is at most ``tol``.
    Returns the log-likelihoods (B,), the coefficients (B, q), a mask of the problems with
    finite results and the last Hessians (B, q, q). A separated problem (no finite
    maximum) climbs towards the supremum of its likelihood until the decrement is small.
    An approximate Hessian ``H0`` (B, q, q) makes the first step a chord step (no Hessian).
    """
    q = beta0.shape[1]
    beta = np.array(beta0, dtype=float, copy=True)
    pairs = _pairs(q)
    H, last_dec = H0, np.inf
    eta = beta @ A.T
    mu, t, r = np.empty_like(eta), np.empty_like(eta), np.empty_like(eta)
    for it in range(max_iter + 1):
        _expit(eta, out=mu)
        np.multiply(NW, mu, out=t)
        grad = np.subtract(SW, t, out=r) @ A
        if H is not None:  # Newton decrement at the current β, with the last Hessian
            step = _solve(H, grad)
            dec = np.einsum("bq,bq->b", grad, step)
            converged = np.all(dec <= tol) or it == max_iter
            if converged or np.all(dec <= (_CHORD_START if it == 0 else 1e-3 * last_dec)):  # keep that Hessian
                if it == 0:  # the first step with H0: judge the next one against it
                    last_dec = dec
                beta += step
                np.matmul(beta, A.T, out=eta)
                if converged:
                    break
                continue
        np.subtract(t, np.multiply(t, mu, out=r), out=t)  # weights NW·μ(1 − μ)
        H = _hessians(A, t, pairs)
        step = _solve(H, grad)
        last_dec = np.einsum("bq,bq->b", grad, step)
        beta += step
        np.matmul(beta, A.T, out=eta)
    llf = np.einsum("bg,bg->b", SW, eta) - np.einsum("bg,bg->b", NW, _softplus(eta, out=mu))
    return llf, beta, np.isfinite(llf) & np.isfinite(beta).all(axis=1), H


# ---------------------------------------------------------------------------
# covariate patterns and the tree of subsets
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Patterns:
    """The distinct driver rows: standardised values Z (G, p), integer codes (G, p) with
    ``levels[j]`` values in column j, and each row's pattern ``inverse`` (n,)."""

    Z: np.ndarray
    codes: np.ndarray
    levels: np.ndarray
    inverse: np.ndarray

    @property
    def key_fits(self) -> bool:
        """Whether a mixed-radix code of all drivers fits in 62 bits."""
        return bool(np.sum(np.log2(self.levels)) < 62)


def _patterns(X: np.ndarray) -> _Patterns:
    """Collapse the rows of X (n, p) to distinct covariate patterns (exact: the logistic
    likelihood only depends on each pattern's total weight and weighted successes)."""
    n, p = X.shape
    cols = [np.unique(X[:, j], return_inverse=True) for j in range(p)]
    levels = np.array([len(v) for v, _ in cols], dtype=np.int64)
    codes = np.column_stack([inv.reshape(n) for _, inv in cols]).astype(np.int64)
    if np.sum(np.log2(np.maximum(levels, 1))) < 62:  # mixed-radix key: one integer per row
        key = codes @ np.concatenate([[1], np.cumprod(levels[:-1])]).astype(np.int64)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)  # well-conditioned; R² is invariant to it
    return _Patterns(Z=Xs[first], codes=codes[first], levels=levels, inverse=inverse.reshape(n))


def _merge(key: np.ndarray, size: int, rows: np.ndarray, NW: np.ndarray, SW: np.ndarray):
    """Merge the patterns that share a key (0 <= key < size), summing their weights (B, G)."""
    present = np.bincount(key, minlength=size) > 0
    G = int(np.count_nonzero(present))
    if G == len(rows):
        return rows, key, NW, SW
    new_id = np.cumsum(present) - 1
    ids = new_id[key]
    merged_rows = np.empty(G, dtype=rows.dtype)
    merged_rows[ids] = rows
    merged_key = np.empty(G, dtype=key.dtype)
    merged_key[ids] = key
    B = NW.shape[0]
    flat = ids if B == 1 else (np.arange(B)[:, None] * G + ids[None, :]).ravel()
    merge = lambda V: np.bincount(flat, weights=V.ravel(), minlength=B * G).reshape(B, G)
    return merged_rows, merged_key, merge(NW), merge(SW)


def _subset_llf(pat: _Patterns, NW: np.ndarray, SW: np.ndarray, start, *, tol: np.ndarray, keep: bool = False):
    """Log-likelihood of every driver subset (B, 2^p) for B weightings of the patterns.

    The subsets are visited depth first from the full set (:func:`_descend`). Returns the
    log-likelihoods, ``{mask: (beta, hessian)}`` if ``keep``, and a mask of the problems
    whose fits all stayed finite and ordered.
    """
    B, p = NW.shape[0], pat.Z.shape[1]
    llf = np.zeros((B, 1 << p))
    ybar = SW.sum(axis=1) / NW.sum(axis=1)
    llf[:, 0] = NW.sum(axis=1) * (xlogy(ybar, ybar) + xlogy(1 - ybar, 1 - ybar))
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    ok = np.ones(B, dtype=bool)
    key = pat.codes @ _strides(pat.levels) if pat.key_fits else None
    _descend(pat, [((1 << p) - 1, np.arange(len(pat.Z)), key, NW, SW, None)], start, llf, fits, ok, tol=tol, keep=keep)
    return llf, fits, ok


def _strides(levels: np.ndarray) -> np.ndarray:
    """Mixed-radix place values of the drivers' codes (driver 0 the lowest digit)."""
    return np.concatenate([[1], np.cumprod(levels[:-1])]).astype(np.int64)


def _descend(pat: _Patterns, stack: list, start, llf: np.ndarray, fits: dict, ok: np.ndarray, *, tol, keep: bool,
             chord: bool = False):
    """Fit the subsets of the tree below the nodes on ``stack``, depth first, in place.

    A subset's parent is itself plus its lowest missing driver j, so each child merges its
    parent's patterns over j (on few drivers, thousands of rows become a few hundred; a
    node's key is the mixed-radix code of its drivers, lowest first, and dropping j removes
    one digit) and Newton starts from ``start(mask, parent)``, ``parent = (parent_mask,
    beta, hessian, dropped column)`` (None for the full set). A node is ``(mask, rows, key,
    NW, SW, parent)``: its patterns (rows of ``pat.Z``), their key (or None: not merged)
    and weights (B, G). Fills ``llf[:, mask]``, ``fits`` (if ``keep``) and ``ok``. With
    ``chord``, the first Newton step uses the parent's Hessian without the dropped driver.
    """
    p = pat.Z.shape[1]
    B = len(ok)
    Z1 = np.column_stack([np.ones(len(pat.Z)), pat.Z])  # C order: a gather of rows copies whole rows
    stride = _strides(pat.levels)  # of the lowest drivers (always all present below a dropped one)
    while stack:
        mask, rows, key, nw, sw, parent = stack.pop()
        cols = [j for j in range(p) if mask >> j & 1]
        take = np.array([0, *(c + 1 for c in cols)])
        A = (Z1 if len(rows) == len(Z1) else Z1.take(rows, axis=0))[:, take]
        H0 = None
        if chord and parent is not None:
            keep_cols = np.delete(np.arange(len(take) + 1), parent[3])
            H0 = parent[2][:, keep_cols[:, None], keep_cols[None, :]]
        llf[:, mask], beta, good, H = _newton(A, nw, sw, start(mask, parent), tol=tol, H0=H0)
        # a fit that went astray (a separated resample) breaks llf(∅) <= llf(S) <= llf(parent)
        slack = 1e-9 * np.abs(llf[:, 0])
        ok &= good & (llf[:, mask] >= llf[:, 0] - slack)
        if parent is not None:
            ok &= llf[:, mask] <= llf[:, parent[0]] + slack
        if keep:
            fits[mask] = (beta, H)
        j = 0
        while j < p and mask >> j & 1:  # children: drop one of the trailing drivers 0..j
            child = mask & ~(1 << j)
            if child:
                node = (rows, key, nw, sw)
                if key is not None:  # drivers 0..j-1 are all in: remove digit j of the key
                    ckey = key % stride[j] + key // (stride[j] * pat.levels[j]) * stride[j]
                    size = int(np.prod(pat.levels[[c for c in cols if c != j]]))
                    node = (rows, ckey, nw, sw)
                    if size <= (4 * B if B > 1 else 1) * len(rows):  # cost O(size): worth it
                        node = _merge(ckey, size, rows, nw, sw)
                stack.append((child, *node, (mask, beta, H, cols.index(j) + 1)))
            j += 1


def _drop(beta: np.ndarray, H: np.ndarray, c: int) -> np.ndarray:
    """Start for the model without coefficient c: the maximum of the parent's quadratic
    approximation (Hessian H) under β_c = 0, ``β₋c + H₋c,₋c⁻¹ H₋c,c β_c``."""
    keep = np.delete(np.arange(beta.shape[1]), c)
    shift = _solve(H[:, keep[:, None], keep[None, :]], H[:, keep, c])
    return beta[:, keep] + shift * beta[:, c:c + 1]


def _point_start(ybar: float):
    """Starts of the full-data fits: the null model's intercept, then the parent's
    quadratic approximation without the dropped driver."""
    def start(mask: int, parent) -> np.ndarray:
        if parent is None:
            return np.concatenate([[math.log(ybar / (1 - ybar))], np.zeros(mask.bit_count())])[None, :]
        _, beta, H, c = parent
        return _drop(beta, H, c)
    return start


def _resample_start(fits: dict, B: int):
    """Starts of a resample's fits: the full-data fit of the subset, moved by the resample's
    parent's deviation from the full-data parent (both projected without the dropped driver)."""
    def start(mask: int, parent) -> np.ndarray:
        if parent is None:
            return np.repeat(fits[mask][0], B, axis=0)
        pmask, beta, H, c = parent
        return fits[mask][0] + _drop(beta, H, c) - _drop(*fits[pmask], c)
    return start


def _point_fit(y: np.ndarray, X: np.ndarray, w: np.ndarray):
    """McFadden R² of every subset (2^p,), the full-data fits and the patterns."""
    pat = _patterns(X)
    G = len(pat.Z)
    nw = np.bincount(pat.inverse, weights=w, minlength=G)
    sw = np.bincount(pat.inverse, weights=w * y, minlength=G)
    llf, fits = _point_llf(pat, nw, sw, tol=_TOL * float(nw.sum()))
    return 1.0 - llf / llf[0], fits, pat


def _point_llf(pat: _Patterns, nw: np.ndarray, sw: np.ndarray, *, tol: float):
    """Log-likelihood (2^p,) and fit ``{mask: (beta (1, q), hessian (1, q, q))}`` of every
    subset, on the full data.

    The full model first; then, level by level (one driver fewer each time), the subsets
    whose patterns would merge little (their mixed-radix key space is above
    :data:`_MERGE_SHARE` × the number of patterns: many drivers) in batches on the shared
    patterns (:class:`_LevelBatch`); the others depth first below them (:func:`_descend`),
    the top ones merged from all patterns, each below merging its parent's patterns.
    """
    p, G = pat.Z.shape[1], len(pat.Z)
    full = (1 << p) - 1
    ybar = float(sw.sum() / nw.sum())
    llf = np.zeros((1, 1 << p))
    llf[0, 0] = nw.sum() * (xlogy(ybar, ybar) + xlogy(1 - ybar, 1 - ybar))
    batch = _LevelBatch(pat, nw, sw)
    start = _point_start(ybar)
    llf[:, full], beta, _, H = _newton(batch.Z1, nw[None, :], sw[None, :], start(full, None), tol=tol)
    fits = {full: (beta, H)}
    masks = np.arange(1 << p)
    size = np.zeros(1 << p)  # ∏ levels of the subset's drivers (exact below 2^53)
    size[0] = 1.0
    for m in range(1, 1 << p):
        low = (m & -m).bit_length() - 1
        size[m] = size[m & (m - 1)] * pat.levels[low]
    big = size > _MERGE_SHARE * G  # not mergeable into much fewer patterns
    big[full] = True  # fitted first, alone
    count = np.array([m.bit_count() for m in range(1 << p)])
    for k in range(p - 1, 0, -1):
        level = masks[big & (count == k)]
        for chunk in np.array_split(level, max(1, -(-len(level) // _BATCH))) if len(level) else ():
            llf[0, chunk] = batch.fit(chunk, fits, tol=tol)
    codes = np.asfortranarray(pat.codes, dtype=float)  # keys by a (BLAS) matrix product
    roots = []
    for m in masks[~big & (count > 0)]:
        low = ~m & (m + 1)  # the lowest missing driver: the parent is m + low
        if not big[m | low]:
            continue  # in the tree below a small parent
        m = int(m)
        cols = [j for j in range(p) if m >> j & 1]
        place = np.zeros(p)
        place[cols] = _strides(pat.levels[cols])
        key = (codes @ place).astype(np.int64)  # exact: below 2^53
        node = _merge(key, int(size[m]), np.arange(G), nw[None, :], sw[None, :])
        pbeta, pH = fits[m | int(low)]
        roots.append((m, *node, (m | int(low), pbeta, pH, int(low).bit_length())))
    _descend(pat, roots, start, llf, fits, np.ones(1, dtype=bool), tol=np.array([tol]), keep=True, chord=True)
    return llf[0], fits


#: Subsets whose key space (∏ of their drivers' numbers of values) is at most this share of
#: the patterns are fitted on their own merged patterns, the others in batches on all of them.
_MERGE_SHARE = 0.25

#: Subsets fitted together in a batch of :class:`_LevelBatch` (arrays of patterns × batch).
_BATCH = 32

#: Elements (patterns × subsets) of one block of rows in a batched evaluation: 512 kB.
_BLOCK_ELEMENTS = 65_536

#: A batched fit computes a new Hessian when the Newton decrement shrank by less than this
#: factor since the last iteration (otherwise it keeps stepping with the Hessian it has).
_CHORD_RATE = 1e-2

#: The parent's Hessian makes the first step only where the Newton decrement at the start
#: (with that Hessian) is at most this: twice the log-likelihood still to gain; farther
#: starts take a Newton step with their own Hessian.
_CHORD_START = 4.0


class _LevelBatch:
    """Newton–Raphson for many driver subsets of one size on the same patterns at once.

    The subsets' linear predictors are one matrix product ``Z1 @ B`` (B holds each subset's
    coefficients, zero for the drivers it leaves out), their gradients another; each subset
    starts from its parent's fit projected without the dropped driver, with the parent's
    Hessian restricted to its own drivers as the first Hessian (a chord step; a new Hessian,
    all of the batch's from one matrix product with the column-pair products, only when the
    decrement stops shrinking fast). It stops at a Newton decrement ``gᵀH⁻¹g ≤ tol`` and
    takes the log-likelihood at the current coefficients plus the predicted gain ``gᵀH⁻¹g/2``.
    """

    def __init__(self, pat: _Patterns, nw: np.ndarray, sw: np.ndarray):
        G, p = pat.Z.shape
        self.p, self.nw, self.sw = p, nw, sw
        self.Z1 = np.column_stack([np.ones(G), pat.Z])  # C order: blocks of rows are views
        self.ZN = np.ascontiguousarray((self.Z1 * nw[:, None]).T)  # (p + 1, G)
        self.c_minus_d = self.Z1.T @ (sw - nw)
        self.c = self.Z1.T @ sw
        self.bits = (np.arange(1 << p)[:, None] >> np.arange(p) & 1).astype(bool)
        self._QN = None

    @property
    def QN(self) -> np.ndarray:
        """Column-pair products weighted by the pattern weights (G, pairs)."""
        if self._QN is None:
            iu, ju = _pairs(self.p + 1)
            self._QN = np.ascontiguousarray(self.Z1[:, iu] * self.Z1[:, ju] * self.nw[:, None])
        return self._QN

    def _blocks(self, Bm: np.ndarray):
        """``(rows, μ)`` block by block for the coefficients ``−Bm`` (p + 1, n): a block of
        rows small enough that its η, μ stay in the CPU cache between the passes (several
        times faster than whole columns on 20,000 patterns)."""
        G = len(self.Z1)
        R = max(256, _BLOCK_ELEMENTS // max(1, Bm.shape[1]))
        buf = np.empty((min(R, G), Bm.shape[1]))
        for s in range(0, G, R):
            rows = slice(s, min(G, s + R))
            mu = buf[:rows.stop - s]
            np.matmul(self.Z1[rows], Bm, out=mu)  # −η
            with np.errstate(over="ignore"):
                np.exp(mu, out=mu)
            mu += 1.0
            yield rows, np.reciprocal(mu, out=mu)

    def _gradients(self, Bm: np.ndarray, with_llf: bool):
        """Gradients ``Z1ᵀ(sw − nw·μ)`` (p + 1, n) at coefficients ``−Bm`` and, if asked, the
        log-likelihoods there: ``Σ sw·η − nw·log(1 + e^η) = (Z1ᵀ(sw − nw))·β + nw·log μ``."""
        g = np.repeat(self.c[:, None], Bm.shape[1], axis=1)
        ll = self.c_minus_d @ -Bm if with_llf else None
        for rows, mu in self._blocks(Bm):
            g -= self.ZN[:, rows] @ mu
            if with_llf:
                with np.errstate(divide="ignore"):
                    ll += self.nw[rows] @ np.log(mu)
        if with_llf:  # where μ underflowed (a separated fit): from η with the stable softplus
            bad = np.nonzero(~np.isfinite(ll))[0]
            if len(bad):
                eta = self.Z1 @ -Bm[:, bad]
                ll[bad] = self.sw @ eta - self.nw @ _softplus(eta, out=np.empty_like(eta))
        return g, ll

    def _hessians(self, Bm: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Hessians (n, q, q) of n subsets (their columns ``cols``) at coefficients ``−Bm``."""
        P = self.p + 1
        iu, ju = _pairs(P)
        flat = np.zeros((Bm.shape[1], len(iu)))
        for rows, mu in self._blocks(Bm):
            mu -= mu * mu  # μ(1 − μ)
            flat += mu.T @ self.QN[rows]
        Hf = np.empty((Bm.shape[1], P, P))
        Hf[:, iu, ju] = flat
        Hf[:, ju, iu] = flat
        n = np.arange(Bm.shape[1])
        return Hf[n[:, None, None], cols[:, :, None], cols[:, None, :]]

    def fit(self, masks: np.ndarray, fits: dict, *, tol: float, max_iter: int = 100) -> np.ndarray:
        """Fit the subsets ``masks`` (one size; their parents in ``fits``); store their fits
        and return their log-likelihoods."""
        b = len(masks)
        low = ~masks & (masks + 1)
        c = np.log2(low).astype(int) + 1  # the dropped driver's column in the parent
        cols = np.column_stack([np.zeros(b, dtype=int), np.nonzero(self.bits[masks])[1].reshape(b, -1) + 1])
        q = cols.shape[1]
        pb = np.concatenate([fits[int(m)][0] for m in masks | low])
        pH = np.concatenate([fits[int(m)][1] for m in masks | low])
        r = np.arange(b)
        keep = np.arange(q)[None, :] + (np.arange(q)[None, :] >= c[:, None])
        H = pH[r[:, None, None], keep[:, :, None], keep[:, None, :]]
        beta = pb[r[:, None], keep] + _solve(H, pH[r[:, None], keep, c[:, None]]) * pb[r, c][:, None]
        llf = np.empty(b)
        active, prev = r, np.full(b, np.inf)
        for it in range(max_iter + 1):
            na = len(active)
            ca, ar = cols[active], np.arange(na)
            Bm = np.zeros((self.p + 1, na))
            Bm[ca.T, ar] = -beta[active].T
            g, ll = self._gradients(Bm, with_llf=it > 0)  # the start is rarely converged
            g = g.T[ar[:, None], ca]
            step = _solve(H[active], g)
            dec = np.einsum("bq,bq->b", g, step)
            # a new Hessian where the decrement shrinks slowly, or at a start too far for the
            # parent's curvature to hold (a dropped driver with a large coefficient)
            slow = np.nonzero((dec > tol) & (dec > (_CHORD_START if it == 0 else _CHORD_RATE * prev[active])))[0]
            if len(slow):
                H[active[slow]] = self._hessians(Bm[:, slow], ca[slow])
                step[slow] = _solve(H[active[slow]], g[slow])
                dec[slow] = np.einsum("bq,bq->b", g[slow], step[slow])
            done = np.nonzero((dec <= tol) | (it == max_iter))[0]
            if len(done):
                ll = ll[done] if ll is not None else self._gradients(Bm[:, done], with_llf=True)[1]
                llf[active[done]] = ll + dec[done] / 2
            beta[active] += step
            prev[active] = dec
            active = np.delete(active, done)
            if not len(active):
                break
        for i, m in enumerate(masks):
            fits[int(m)] = (beta[i:i + 1], H[i:i + 1])
        return llf


def binary_subset_r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """McFadden R²(S) = 1 − llf(S)/llf(∅) for every subset; X holds the drivers (n, p).

    Rows are first collapsed to covariate patterns (exact); each subset's fit starts from
    its parent's (the subset with one driver more), on the parent's patterns merged over
    the dropped driver.

    >>> X = np.array([[1.0, 2], [2, 1], [3, 3], [1, 1], [2, 3], [3, 2]] * 2)
    >>> y = np.array([0.0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1])
    >>> binary_subset_r2(y, X, np.ones(12)).round(4).tolist()
    [0.0, 0.3043, 0.3043, 0.423]
    """
    return _point_fit(y, X, w)[0]


#: Newton stops when the Newton decrement gᵀH⁻¹g (twice the log-likelihood still to gain)
#: at the current coefficients is below ``_TOL`` × the total weight: the McFadden R² is then
#: exact to about 1e-13.
_TOL = 1e-9


#: A full-model linear predictor beyond this (a fitted probability within ~1e-13 of 0 or 1)
#: means the drivers separate the outcome: the likelihood has no finite maximum.
_SEPARATION_ETA = 30.0


def binary_importance(y: np.ndarray, X: np.ndarray, w: np.ndarray, *,
                      names: list[str] | None = None) -> tuple[np.ndarray, float, np.ndarray]:
    """Shapley/LMG shares of McFadden's R² (p,), the full model's R², and the signs of
    the full logistic regression's coefficients.

    Warns (:class:`~cxlib.errors.NotIdentifiedWarning`) when the drivers separate the
    outcome (Albert & Anderson 1984): some fitted probabilities of the full model are 0 or 1
    to machine precision, the coefficients have no finite maximum and the R² are limits.

    >>> import warnings
    >>> X = np.array([[1.0, 2], [2, 1], [3, 3], [4, 1], [5, 3], [4, 2]] * 2)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = binary_importance((X[:, 0] >= 4).astype(float), X, np.ones(12), names=["price", "speed"])
    >>> str(caught[0].message)[:48]
    'the drivers predict the 0/1 outcome perfectly (s'
    """
    p = X.shape[1]
    r2sub, fits, _ = _point_fit(y, X, w)
    imp = lmg_from_subsets(r2sub[None, :], p)[0]
    beta = fits[(1 << p) - 1][0][0]
    _warn_if_separated(X, beta, names)
    return imp, float(r2sub[-1]), np.sign(beta[1:])


def _warn_if_separated(X: np.ndarray, beta: np.ndarray, names: list[str] | None) -> None:
    """The separation warning of :func:`binary_importance`, naming the driver whose
    coefficient moves the linear predictor most over its observed range."""
    eta = beta[0] + X @ beta[1:]
    extreme = np.abs(eta) > _SEPARATION_ETA
    if not extreme.any():
        return
    span = np.abs(beta[1:]) * (X.max(axis=0) - X.min(axis=0))
    j = int(np.argmax(span))
    name = names[j] if names is not None else f"driver {j + 1}"
    warnings.warn(
        f"the drivers predict the 0/1 outcome perfectly (separation: fitted probabilities of 0 or 1 in "
        f"{int(extreme.sum())} of {len(eta)} rows; the strongest driver is {name!r}): the logistic model has no finite maximum, so its "
        "McFadden R² and the shares are limits and the bootstrap is unstable; check whether "
        f"{name!r} is defined from the outcome, or use outcome_type='continuous' (a linear probability model)",
        NotIdentifiedWarning, stacklevel=5)


def binary_bootstrap(
    y: np.ndarray, X: np.ndarray, w: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Bootstrap replicates of the logistic dominance (valid resamples × p) and the number
    of resamples skipped because a driver or the outcome was constant in them, or because
    a fit went astray (a separated resample whose log-likelihoods come out non-finite or
    out of order: a subset above its superset or below the null model).

    The resampling counts are drawn as before (one multinomial draw of n rows per resample,
    in order), then summed per covariate pattern: a resample is a re-weighting of the
    patterns, and chunks of resamples are fitted together, each subset starting from its
    full-data fit.
    """
    p = X.shape[1]
    if not n_boot:
        return np.empty((0, p)), 0
    _, fits, pat = _point_fit(y, X, w)
    n, G = len(y), len(pat.Z)
    onehot = [np.eye(int(L))[pat.codes[:, j]] for j, L in enumerate(pat.levels)]  # (G, L_j)
    per = max(1, min(n_boot, CHUNK_ELEMENTS // (4 * G), CHUNK_ELEMENTS // n))
    reps, failed, done = [], 0, 0
    while done < n_boot:
        b = min(per, n_boot - done)
        V = boot_counts(rng, n, b) * w[None, :]
        flat = (np.arange(b)[:, None] * G + pat.inverse[None, :]).ravel()
        NW = np.bincount(flat, weights=V.ravel(), minlength=b * G).reshape(b, G)
        SW = np.bincount(flat, weights=(V * y[None, :]).ravel(), minlength=b * G).reshape(b, G)
        valid = (SW.sum(axis=1) > 0) & (SW.sum(axis=1) < NW.sum(axis=1))  # both outcomes drawn
        for oh in onehot:  # and every driver with two values at least
            valid &= ((NW @ oh) > 0).sum(axis=1) >= 2
        failed += int(b - valid.sum())
        NW, SW = NW[valid], SW[valid]
        if len(NW):
            llf, _, ok = _subset_llf(pat, NW, SW, _resample_start(fits, len(NW)), tol=_TOL * NW.sum(axis=1))
            failed += int((~ok).sum())
            reps.append(lmg_from_subsets(1.0 - llf[ok] / llf[ok, :1], p))
        done += b
    return (np.concatenate(reps) if reps else np.empty((0, p))), failed
