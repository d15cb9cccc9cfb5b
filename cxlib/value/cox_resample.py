"""Customer resamples and Cox refits on them, fast: Newton steps on the Efron partial likelihood.

A customer bootstrap of :func:`cxlib.revenue_at_risk` needs the Cox coefficients and the
Breslow baseline on every resample. Refitting with lifelines (plus the checks that
:func:`cxlib.churn_drivers` runs) costs seconds per resample on 25,000 customers. A
resample is the fit data with integer multiplicities ``c_i`` (how often row ``i`` was
drawn), so everything here works on the data sorted once, with the multiplicities as
weights, and starts Newton–Raphson from the full-data estimate, which is within
``O(n^-1/2)`` of the resample's optimum: the quadratic convergence of Newton's method then
reaches it to 1e-9 in two or three steps.

The likelihood is the one lifelines maximises for duplicated rows (Efron's ties, weights
``a_i = c_i w_i``, ``m_j`` = the number of tied event *rows* at ``t_j``), so a refit here
equals lifelines' refit on the resampled rows.

When the design has few distinct rows (covariate *patterns*: notebook 03's NPS group and
plan give 9 among 10,849 customers), the sums over risk sets are formed per pattern and per
distinct event duration once per resample (they do not depend on ``β``), so each Newton
step costs a few small matrix products instead of passes over every row
(:func:`_grouped_terms`): the same likelihood, summed in another order.

:func:`clusters` and :func:`resample` draw the resamples (customers with all their rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..churn.tables import durations_events
from ..core.checks import resolve_weights
from ..errors import CXDataError


@dataclass(frozen=True)
class CoxFitData:
    """The fit data sorted by duration, with what every resample reuses.

    Attributes
    ----------
    x : numpy.ndarray
        Design (rows × terms), sorted by duration, centred at ``center``.
    time, event, weight : numpy.ndarray
        Sorted durations, 0/1 events and case weights (ones when unweighted).
    order : numpy.ndarray
        ``order[k]`` = the position in the source frame of sorted row ``k``.
    starts : numpy.ndarray
        First sorted row of each distinct duration (for ``np.add.reduceat``).
    center : numpy.ndarray
        Subtracted from every design row (the full-data weighted mean; for numerics only:
        predictions ``H_0(t) exp((x - center)ᵀβ)`` do not depend on it).
    beta : numpy.ndarray
        The full-data estimate, where Newton starts.
    grouped : Patterns or None
        The rows by covariate pattern and event duration (:class:`Patterns`), when the
        design has at most ``MAX_PATTERNS`` distinct rows; None otherwise (sums over rows).
    """

    x: np.ndarray
    time: np.ndarray
    event: np.ndarray
    weight: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    center: np.ndarray
    beta: np.ndarray
    grouped: Patterns | None = None

    @property
    def unique_times(self) -> np.ndarray:
        return self.time[self.starts]


MAX_PATTERNS = 64  # more distinct design rows than this: the likelihood sums over rows


@dataclass(frozen=True)
class Patterns:
    """The sorted rows of a :class:`CoxFitData` by covariate pattern and event duration.

    Attributes
    ----------
    x : numpy.ndarray
        The distinct (centred) design rows, ``K × terms``.
    pattern : numpy.ndarray
        The pattern of each sorted row.
    bin : numpy.ndarray
        For each sorted row, how many distinct event durations ``τ_j`` are ``<=`` its
        duration: the row is at risk at ``τ_j`` (0-based ``j``) iff ``bin > j``, and an event
        row's own duration is ``τ_{bin - 1}``.
    event_times : numpy.ndarray
        The distinct durations with an event, ``τ``.
    """

    x: np.ndarray
    pattern: np.ndarray
    bin: np.ndarray
    event_times: np.ndarray


def _patterns(xs: np.ndarray, t: np.ndarray, event: np.ndarray) -> Patterns | None:
    patterns, pattern = np.unique(xs, axis=0, return_inverse=True)
    if len(patterns) > MAX_PATTERNS:
        return None
    tau = np.unique(t[event > 0])
    return Patterns(x=patterns, pattern=pattern.ravel(), bin=np.searchsorted(tau, t, side="right"), event_times=tau)


def cox_fit_data(x: np.ndarray, time: np.ndarray, event: np.ndarray, weight: np.ndarray | None,
                 beta: np.ndarray) -> CoxFitData:
    """Sort once by duration and record the tie structure (see :class:`CoxFitData`)."""
    order = np.argsort(time, kind="stable")
    t = np.asarray(time, dtype=float)[order]
    w = np.ones(len(t)) if weight is None else np.asarray(weight, dtype=float)[order]
    xs = np.asarray(x, dtype=float)[order]
    center = (w[:, None] * xs).sum(axis=0) / w.sum()
    starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    e = np.asarray(event, dtype=float)[order]
    return CoxFitData(x=xs - center, time=t, event=e, weight=w, order=order, starts=starts, center=center,
                      beta=np.asarray(beta, dtype=float), grouped=_patterns(xs - center, t, e))


@dataclass(frozen=True)
class _Efron:
    """What the likelihood needs from one resample, whatever ``β``: weights, event
    weights per distinct time and Efron's terms (one per tied event row)."""

    a: np.ndarray  # row weights c_i w_i (sorted order)
    xa: np.ndarray  # Σ_events a_i x_i
    group: np.ndarray  # distinct-time index of each Efron term
    f: np.ndarray  # l / m_j of each term
    wa: np.ndarray  # W_j / m_j of each term


def _efron_terms(fd: CoxFitData, counts: np.ndarray) -> _Efron:
    c = np.asarray(counts, dtype=float)[fd.order]
    a = c * fd.weight
    w_ev = np.add.reduceat(a * fd.event, fd.starts)
    m_ev = np.rint(np.add.reduceat(c * fd.event, fd.starts)).astype(int)
    j = np.flatnonzero(m_ev > 0)
    m = m_ev[j]
    rep = np.repeat(np.arange(len(j)), m)
    f = (np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m)) / np.repeat(m, m)
    return _Efron(a=a, xa=(a * fd.event) @ fd.x, group=j[rep], f=f, wa=(w_ev[j] / m)[rep])


def _efron_ratios(ef, s0, s1, t0, t1, beta: np.ndarray, shift: float):
    """Efron's denominators and ratios per tied-event term, the log partial likelihood and the
    gradient from the risk-set sums ``S_0, S_1`` and event sums ``T_0, T_1`` per event time
    (shared by the row and the per-pattern paths; see :func:`efron_derivatives`)."""
    g, f = ef.group, ef.f
    den = s0[g] - f * t0[g]
    ratio = (s1[g] - f[:, None] * t1[g]) / den[:, None]
    loglik = float(ef.xa @ beta - (ef.wa * (np.log(den) + shift)).sum())
    return den, ratio, loglik, ef.xa - ef.wa @ ratio


def _derivatives(fd: CoxFitData, ef: _Efron, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron log partial likelihood, gradient and Hessian (see :func:`efron_derivatives`)."""
    eta = fd.x @ beta
    shift = eta.max()
    r = ef.a * np.exp(eta - shift)  # a common factor: it cancels in every ratio below
    rx = r[:, None] * fd.x
    # risk set of distinct time j: the sorted rows from its first one on (reverse cumulative sums)
    s0 = np.cumsum(r[::-1])[::-1][fd.starts]
    s1 = np.cumsum(rx[::-1], axis=0)[::-1][fd.starts]
    t0 = np.add.reduceat(r * fd.event, fd.starts)
    t1 = np.add.reduceat(rx * fd.event[:, None], fd.starts)
    g, f = ef.group, ef.f
    den, ratio, loglik, grad = _efron_ratios(ef, s0, s1, t0, t1, beta, shift)
    # Σ_terms wa (S2_j - f T2_j) / den, with S2_j, T2_j never formed: row i enters S2_j for every
    # distinct time t_j <= T_i, and T2_j when it is an event at t_j
    n_times = len(fd.starts)
    alpha = np.cumsum(np.bincount(g, weights=ef.wa / den, minlength=n_times))
    beta_t = np.bincount(g, weights=ef.wa * f / den, minlength=n_times)
    row_time = np.repeat(np.arange(n_times), np.diff(np.r_[fd.starts, len(fd.time)]))
    v = r * (alpha[row_time] - fd.event * beta_t[row_time])
    hess = (ef.wa[:, None] * ratio).T @ ratio - (fd.x * v[:, None]).T @ fd.x
    return loglik, grad, hess


@dataclass(frozen=True)
class _GroupedEfron:
    """What the likelihood needs from one resample, by pattern (see :class:`Patterns`):
    ``risk[j, k] = Σ a_i`` over the rows of pattern ``k`` at risk at the ``j``-th event
    duration with a drawn event, ``dead[j, k]`` the same over its event rows; Efron's terms
    as in :class:`_Efron` (``group`` indexes those durations)."""

    risk: np.ndarray
    dead: np.ndarray
    xa: np.ndarray
    group: np.ndarray
    f: np.ndarray
    wa: np.ndarray


def _grouped_terms(fd: CoxFitData, counts: np.ndarray) -> _GroupedEfron:
    pt = fd.grouped
    c = np.asarray(counts, dtype=float)[fd.order]
    a = c * fd.weight
    n_pat, n_ev = len(pt.x), len(pt.event_times)
    by_bin = np.bincount(pt.bin * n_pat + pt.pattern, weights=a, minlength=(n_ev + 1) * n_pat)
    at_risk = np.cumsum(by_bin.reshape(n_ev + 1, n_pat)[::-1], axis=0)[::-1]  # rows with bin >= b
    ev = fd.event > 0
    ev_bin = pt.bin[ev] - 1
    dead = np.bincount(ev_bin * n_pat + pt.pattern[ev], weights=a[ev], minlength=n_ev * n_pat).reshape(n_ev, n_pat)
    m_ev = np.rint(np.bincount(ev_bin, weights=c[ev], minlength=n_ev)).astype(int)
    j = np.flatnonzero(m_ev > 0)
    m = m_ev[j]
    rep = np.repeat(np.arange(len(j)), m)
    f = (np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m)) / np.repeat(m, m)
    w_ev = np.bincount(ev_bin, weights=a[ev], minlength=n_ev)
    return _GroupedEfron(risk=at_risk[j + 1], dead=dead[j], xa=(a * fd.event) @ fd.x, group=rep, f=f,
                         wa=(w_ev[j] / m)[rep])


def _grouped_derivatives(fd: CoxFitData, ef: _GroupedEfron, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`_derivatives` with the risk-set sums formed per pattern (see :class:`_GroupedEfron`)."""
    x = fd.grouped.x
    eta = x @ beta
    shift = eta.max()
    e = np.exp(eta - shift)  # a common factor: it cancels in every ratio below
    ex = e[:, None] * x
    s0, s1 = ef.risk @ e, ef.risk @ ex
    t0, t1 = ef.dead @ e, ef.dead @ ex
    g, f = ef.group, ef.f
    den, ratio, loglik, grad = _efron_ratios(ef, s0, s1, t0, t1, beta, shift)
    # Σ_terms wa (S2_j - f T2_j) / den = Σ_k e_k x_k x_kᵀ (Σ_j α_j risk[j, k] - β_j dead[j, k])
    n_j = len(ef.risk)
    u = (np.bincount(g, weights=ef.wa / den, minlength=n_j) @ ef.risk
         - np.bincount(g, weights=ef.wa * f / den, minlength=n_j) @ ef.dead)
    hess = (ef.wa[:, None] * ratio).T @ ratio - (x * (u * e)[:, None]).T @ x
    return loglik, grad, hess


def efron_derivatives(fd: CoxFitData, counts: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron log partial likelihood, gradient and Hessian at ``beta`` with row multiplicities ``counts``.

    Notes
    -----
    With ``a_i = c_i w_i``, risk set ``R_j = {i: T_i >= t_j}``, events ``D_j`` at ``t_j``,
    ``m_j = Σ_{D_j} c_i``, ``W_j = Σ_{D_j} a_i``, ``f_l = l / m_j``,
    ``S_k(j) = Σ_{R_j} a_i e^{x_iᵀβ} x_i^{⊗k}`` and ``T_k(j)`` the same sum over ``D_j``:

    ``ℓ(β) = Σ_j [Σ_{D_j} a_i x_iᵀβ - (W_j / m_j) Σ_{l<m_j} log(S_0(j) - f_l T_0(j))]``

    (Efron 1977; as lifelines' ``_get_efron_values_single``, where ``m_j`` counts rows).
    """
    return _derivatives(fd, _efron_terms(fd, counts), np.asarray(beta, dtype=float))


def efron_newton(fd: CoxFitData, counts: np.ndarray, *, accept: float = 1e-7, max_steps: int = 30
                 ) -> tuple[np.ndarray | None, int]:
    """The Efron maximum-likelihood estimate with multiplicities ``counts``, by Newton–Raphson
    from the full-data estimate; ``(estimate, steps)``, or ``(None, steps)`` when a term
    does not vary among the drawn rows, no drawn row is an event, or the iterations fail.

    A step that lowers the likelihood is halved. A step smaller than ``accept`` (largest
    coefficient change) is taken without checking and ends the iterations: Newton's
    quadratic convergence leaves an error of the order of its square (≈1e-14).
    """
    c = np.asarray(counts, dtype=float)[fd.order]
    if fd.grouped is None:
        drawn = c > 0
        no_event, x_drawn = not (fd.event[drawn] > 0).any(), fd.x[drawn]
    else:  # the same checks on the drawn patterns
        no_event = not (c * fd.event).any()
        x_drawn = fd.grouped.x[np.bincount(fd.grouped.pattern, weights=c, minlength=len(fd.grouped.x)) > 0]
    if no_event or np.ptp(x_drawn, axis=0).min(initial=np.inf) == 0:
        return None, 0
    if fd.grouped is None:
        ef, derivatives = _efron_terms(fd, counts), _derivatives
    else:
        ef, derivatives = _grouped_terms(fd, counts), _grouped_derivatives
    beta = fd.beta.copy()
    loglik, grad, hess = derivatives(fd, ef, beta)
    for step in range(1, max_steps + 1):
        try:
            delta = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            return None, step
        if not np.isfinite(delta).all():
            return None, step
        if np.max(np.abs(delta)) < accept:
            return beta + delta, step
        for _ in range(30):
            new = derivatives(fd, ef, beta + delta)
            if np.isfinite(new[0]) and new[0] >= loglik - 1e-12 * abs(loglik):
                break
            delta = delta / 2
        else:
            return None, step
        beta = beta + delta
        loglik, grad, hess = new
    return None, max_steps


def breslow(fd: CoxFitData, counts: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breslow cumulative baseline hazard at every distinct duration (for ``x = center``):
    ``H_0(t) = Σ_{t_j <= t} W_j / Σ_{i ∈ R_j} a_i exp((x_i - center)ᵀβ)``, as lifelines'
    ``baseline_cumulative_hazard_`` (Breslow 1972). With :class:`Patterns` the distinct
    durations are those with an event (the steps are the same: ``H_0`` jumps only there)."""
    a = np.asarray(counts, dtype=float)[fd.order] * fd.weight
    if fd.grouped is not None:
        pt = fd.grouped
        n_ev, ev = len(pt.event_times), fd.event > 0
        r = np.bincount(pt.bin, weights=a * np.exp(pt.x @ beta)[pt.pattern], minlength=n_ev + 1)
        s0 = np.cumsum(r[::-1])[::-1][1:]  # at risk at τ_j: bin > j
        w_ev = np.bincount(pt.bin[ev] - 1, weights=a[ev], minlength=n_ev)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(w_ev > 0, w_ev / s0, 0.0)
        return pt.event_times, np.cumsum(h)
    r = a * np.exp(fd.x @ beta)
    s0 = np.cumsum(np.add.reduceat(r, fd.starts)[::-1])[::-1]
    w_ev = np.add.reduceat(a * fd.event, fd.starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(w_ev > 0, w_ev / s0, 0.0)
    return fd.unique_times, np.cumsum(h)


def step_at(times: np.ndarray, cumulative: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The right-continuous step function ``cumulative`` (jumps at ``times``) evaluated at ``at``."""
    k = np.searchsorted(times, at, side="right") - 1
    return np.where(k >= 0, cumulative[np.maximum(k, 0)], 0.0)


@dataclass(frozen=True)
class Clusters:
    """The rows of each distinct id (the units a bootstrap resamples), flattened: the rows
    of cluster ``k`` are ``rows[offset[k]:offset[k] + size[k]]``."""

    rows: np.ndarray
    offset: np.ndarray
    size: np.ndarray

    def __len__(self) -> int:
        return len(self.size)


def clusters(ids: np.ndarray) -> Clusters:
    """Row indices of each distinct id, in one sort."""
    _, inverse = np.unique(ids, return_inverse=True)
    size = np.bincount(inverse)
    return Clusters(rows=np.argsort(inverse, kind="stable"), offset=np.cumsum(size) - size, size=size)


def resample(rng: np.random.Generator, clusters: Clusters) -> np.ndarray:
    """Rows of as many clusters as there are, drawn with replacement (the drawn clusters'
    rows one after the other, in the order drawn)."""
    draw = rng.integers(0, len(clusters), len(clusters))
    size = clusters.size[draw]
    if (size == 1).all():
        return clusters.rows[clusters.offset[draw]]
    first = np.repeat(clusters.offset[draw] - (np.cumsum(size) - size), size)
    return clusters.rows[first + np.arange(size.sum())]


@dataclass(frozen=True)
class CoxRefits:
    """A Cox model's fit data, ready for Newton refits on resamples of its source frame."""

    data: CoxFitData
    keep: np.ndarray  # rows of the source frame the model uses (complete cases)

    @classmethod
    def from_model(cls, model, frame: pd.DataFrame) -> CoxRefits:
        """From a :func:`cxlib.churn_drivers` result and the frame it is (re)fitted on."""
        sp = model.spec
        if sp["weights"] is not None and not isinstance(sp["weights"], str):
            raise CXDataError("the bootstrap needs the model's `weights` as a column name (it resamples rows); "
                              "refit churn_drivers with `weights=<column>`")
        cols = [sp["duration"], sp["event"], *sp["covariates"]] + ([sp["weights"]] if sp["weights"] else [])
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise CXDataError(
                f"the bootstrap refits the Cox model on resamples of the data it was fitted on, which lack column(s) "
                f"{missing}; pass that table as `fit_data=` (or `n_boot=0` for no interval)"
            )
        keep = frame[cols].notna().all(axis=1).to_numpy()
        rows = frame.loc[keep]
        design = model.design(rows)
        t, e = durations_events(rows, sp["duration"], sp["event"])
        w = resolve_weights(rows, sp["weights"], len(rows))
        beta = model.model.params_[design.columns].to_numpy()
        return cls(data=cox_fit_data(design.to_numpy(dtype=float), t, e, w, beta), keep=keep)

    @property
    def times(self) -> np.ndarray:
        """The durations where every refit's Breslow baseline may jump (what :meth:`refit` returns)."""
        return self.data.unique_times if self.data.grouped is None else self.data.grouped.event_times

    def refit(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(β, distinct times, Breslow H_0)`` on the source rows ``rows`` (with repeats),
        or None when the resample cannot be fitted."""
        counts = np.bincount(rows, minlength=len(self.keep))[self.keep]
        beta, _ = efron_newton(self.data, counts)
        return None if beta is None else (beta, *breslow(self.data, counts, beta))
