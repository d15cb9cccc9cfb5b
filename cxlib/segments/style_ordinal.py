"""The battery-anchored ordinal model of country response styles (used by
:func:`cxlib.segments.style_adjust.style_adjusted_comparison`, ``method="ordinal"``).

Each group (country) *c* answers through a location and scale of its own. On the battery
(item *j*, common cut points κ of the battery's rating scale, Rossi, Gilula & Allenby 2001)

``P(y_ij <= k | c) = Φ(((κ_k − μ_c) / σ_c − α_j) / s_j)``

and on the outcome (its own cut points θ, the same group scale σ_c)

``P(o_i <= m | c) = Φ((θ_m − a_c) / σ_c)``.

The reference group (the largest) has μ = a = 0, σ = 1; item 1 has α = 0, s = 1. Under
"the groups differ only in response style" the outcome's locations follow the battery's:
``a_c = λ μ_c + γ (1 − σ_c)`` (λ: how strongly the battery's location style shows on the
outcome's scale; γ: the centre the groups spread about, estimated with ``centre=True``,
else 0); the outcome's own group effect is ``δ_c = (a_c − λ μ_c − γ (1 − σ_c)) / σ_c``
(outcome latent SDs). The
fit is a (weighted) pseudo-maximum-likelihood on the cell counts; its covariance the
sandwich with one score per respondent (the battery and the outcome of a respondent are
one cluster); (λ, γ) and the test of δ = 0 come from minimum distance on the fitted
locations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse, special, stats

#: Bound on every free location and log-scale (in latent SDs) so that a group with all
#: its answers in one category cannot push the fit to infinity.
_BOUND = 12.0


@dataclass(frozen=True)
class _Layout:
    """Where each parameter sits in the vector ``theta``."""

    k: int  # battery categories
    j: int  # items
    g: int  # groups
    m: int  # outcome categories
    ref: int  # the reference group

    @property
    def sizes(self) -> dict[str, int]:
        return {"kappa": self.k - 1, "alpha": self.j - 1, "log_s": self.j - 1, "mu": self.g - 1,
                "log_sigma": self.g - 1, "theta": self.m - 1, "a": self.g - 1}

    def slices(self) -> dict[str, slice]:
        out, start = {}, 0
        for name, size in self.sizes.items():
            out[name] = slice(start, start + size)
            start += size
        return out

    @property
    def n_par(self) -> int:
        return sum(self.sizes.values())

    def others(self) -> np.ndarray:
        """Groups other than the reference, in parameter order."""
        return np.array([c for c in range(self.g) if c != self.ref], dtype=int)


def _cuts(free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Increasing cut points from (first, log increments), and d cut_k / d free_l."""
    inc = np.exp(free[1:])
    cuts = free[0] + np.concatenate([[0.0], np.cumsum(inc)])
    jac = np.zeros((len(free), len(free)))
    jac[:, 0] = 1.0
    for k in range(1, len(free)):
        jac[k, 1:k + 1] = inc[:k]
    return cuts, jac


def _group_params(theta: np.ndarray, lay: _Layout, name: str) -> np.ndarray:
    """A per-group parameter with the reference's value (0) filled in."""
    out = np.zeros(lay.g)
    out[lay.others()] = theta[lay.slices()[name]]
    return out


def _item_params(theta: np.ndarray, lay: _Layout, name: str) -> np.ndarray:
    out = np.zeros(lay.j)
    out[1:] = theta[lay.slices()[name]]
    return out


def _bounds_z(theta: np.ndarray, lay: _Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every cell (battery: group x item x category; then outcome: group x category)
    the standardised upper and lower bound and their derivatives with respect to ``theta``."""
    # long-function: the chain rule of both parts of the model, written out once
    sl = lay.slices()
    kappa, dkappa = _cuts(theta[sl["kappa"]])
    thr, dthr = _cuts(theta[sl["theta"]])
    alpha, log_s = _item_params(theta, lay, "alpha"), _item_params(theta, lay, "log_s")
    mu, log_sig, a = (_group_params(theta, lay, n) for n in ("mu", "log_sigma", "a"))
    sig, s = np.exp(log_sig), np.exp(log_s)
    g_idx, j_idx, k_idx = np.meshgrid(np.arange(lay.g), np.arange(lay.j), np.arange(lay.k), indexing="ij")
    g_idx, j_idx, k_idx = g_idx.ravel(), j_idx.ravel(), k_idx.ravel()
    go, mo = (x.ravel() for x in np.meshgrid(np.arange(lay.g), np.arange(lay.m), indexing="ij"))
    n_b, n_o = g_idx.size, go.size
    z = np.empty((2, n_b + n_o))
    dz = np.zeros((2, n_b + n_o, lay.n_par))
    pos = np.full(lay.g, -1)
    pos[lay.others()] = np.arange(lay.g - 1)
    for side, shift in ((0, 0), (1, -1)):  # upper bound: cut k; lower bound: cut k - 1
        kk = k_idx + shift
        inside = (kk >= 0) & (kk < lay.k - 1)
        kc = np.clip(kk, 0, lay.k - 2)
        u = (kappa[kc] - mu[g_idx]) / sig[g_idx]
        zb = (u - alpha[j_idx]) / s[j_idx]
        z[side, :n_b] = np.where(inside, zb, np.inf if side == 0 else -np.inf)
        rows = np.flatnonzero(inside)
        scale = 1.0 / (sig[g_idx] * s[j_idx])
        dz[side, rows, sl["kappa"]] = (scale[:, None] * dkappa[kc])[rows]
        rg = rows[g_idx[rows] != lay.ref]
        dz[side, rg, sl["mu"].start + pos[g_idx[rg]]] = -scale[rg]
        dz[side, rg, sl["log_sigma"].start + pos[g_idx[rg]]] = -u[rg] / s[j_idx[rg]]
        rj = rows[j_idx[rows] > 0]
        dz[side, rj, sl["alpha"].start + j_idx[rj] - 1] = -1.0 / s[j_idx[rj]]
        dz[side, rj, sl["log_s"].start + j_idx[rj] - 1] = -zb[rj]
        mm = mo + shift
        inside = (mm >= 0) & (mm < lay.m - 1)
        mc = np.clip(mm, 0, lay.m - 2)
        zo = (thr[mc] - a[go]) / sig[go]
        z[side, n_b:] = np.where(inside, zo, np.inf if side == 0 else -np.inf)
        rows = np.flatnonzero(inside)
        dz[side, n_b + rows, sl["theta"]] = (dthr[mc] / sig[go][:, None])[rows]
        rg = rows[go[rows] != lay.ref]
        dz[side, n_b + rg, sl["a"].start + pos[go[rg]]] = -1.0 / sig[go[rg]]
        dz[side, n_b + rg, sl["log_sigma"].start + pos[go[rg]]] = -zo[rg]
    return z[0], z[1], dz[0], dz[1]


def _norm_pdf(x: np.ndarray) -> np.ndarray:
    """The standard normal density as ``scipy.stats.norm.pdf`` computes it."""
    return np.exp(-x**2 / 2.0) / _SQRT_2PI


_SQRT_2PI = np.sqrt(2 * np.pi)


def _cell_logp(theta: np.ndarray, lay: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """log P of every cell and its gradient (cells x parameters)."""
    hi, lo, dhi, dlo = _bounds_z(theta, lay)
    # P = Φ(hi) − Φ(lo), computed on the side of the tails that keeps precision
    # (scipy.stats.norm's cdf, sf and pdf through the functions they call, without their
    # per-call argument handling: the same values, this runs thousands of times per fit)
    flip = lo > 0
    p = np.where(flip, special.ndtr(-lo) - special.ndtr(-hi), special.ndtr(hi) - special.ndtr(lo))
    p = np.maximum(p, 1e-300)
    f_hi = np.where(np.isfinite(hi), _norm_pdf(np.where(np.isfinite(hi), hi, 0.0)), 0.0)
    f_lo = np.where(np.isfinite(lo), _norm_pdf(np.where(np.isfinite(lo), lo, 0.0)), 0.0)
    grad = (f_hi[:, None] * dhi - f_lo[:, None] * dlo) / p[:, None]
    return np.log(p), grad


@dataclass(frozen=True)
class OrdinalFit:
    """The fitted battery-anchored ordinal model (internal)."""

    theta: np.ndarray
    cov: np.ndarray
    layout: _Layout
    loglik: float
    converged: bool

    def get(self, name: str) -> np.ndarray:
        if name in ("mu", "log_sigma", "a"):
            return _group_params(self.theta, self.layout, name)
        return self.theta[self.layout.slices()[name]]


def _start(lay: _Layout, w_b: np.ndarray, w_o: np.ndarray) -> np.ndarray:
    """Cut points from the pooled shares (probit of the cumulative shares); the rest 0."""
    theta = np.zeros(lay.n_par)
    sl = lay.slices()
    for name, counts in (("kappa", w_b.reshape(lay.g, lay.j, lay.k).sum(axis=(0, 1))),
                         ("theta", w_o.reshape(lay.g, lay.m).sum(axis=0))):
        cum = np.cumsum(counts)[:-1] / counts.sum()
        cuts = stats.norm.ppf(np.clip(cum, 1e-4, 1 - 1e-4))
        cuts = np.maximum.accumulate(cuts + 1e-3 * np.arange(len(cuts)))
        theta[sl[name]] = np.concatenate([[cuts[0]], np.log(np.maximum(np.diff(cuts), 1e-3))])
    return theta


def fit_ordinal(battery: tuple[np.ndarray, np.ndarray, np.ndarray], outcome: np.ndarray, group: np.ndarray,
                w: np.ndarray, *, n_groups: int, n_items: int, n_cats: int, n_out: int, ref: int) -> OrdinalFit:
    """Fit the model by weighted pseudo-maximum-likelihood.

    ``battery`` = (respondent, item, category) of every answer (0-based codes), ``outcome``
    the outcome category per respondent, ``group`` the group per respondent, ``w`` the
    weights. The covariance is the sandwich ``H⁻¹ (Σ_i w_i² U_i U_iᵀ) H⁻¹`` with ``U_i`` the
    respondent's score summed over their answers (Binder 1983; Varin, Reid & Firth 2011).
    """
    lay = _Layout(k=n_cats, j=n_items, g=n_groups, m=n_out, ref=ref)
    resp, item, cat = battery
    n_b = lay.g * lay.j * lay.k
    cell_b = (group[resp] * lay.j + item) * lay.k + cat
    cell_o = n_b + group * lay.m + outcome
    n_cells = n_b + lay.g * lay.m
    counts = (np.bincount(cell_b, weights=w[resp], minlength=n_cells)
              + np.bincount(cell_o, weights=w, minlength=n_cells))

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lp, grad = _cell_logp(theta, lay)
        return -float(counts @ lp), -(counts @ grad)

    sl = lay.slices()
    bounds = [(None, None)] * lay.n_par
    for name in ("alpha", "log_s", "mu", "log_sigma", "a"):
        for i in range(sl[name].start, sl[name].stop):
            bounds[i] = (-_BOUND, _BOUND) if name not in ("log_s", "log_sigma") else (-3.0, 3.0)
    res = optimize.minimize(nll, _start(lay, counts[:n_b], counts[n_b:]), jac=True, method="L-BFGS-B",
                            bounds=bounds, options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9})
    theta, hess = _newton_polish(nll, res.x, bounds)
    _, cell_grad = _cell_logp(theta, lay)
    n = len(group)
    pick = sparse.csr_matrix((np.concatenate([w[resp], w]), (np.concatenate([resp, np.arange(n)]),
                                                            np.concatenate([cell_b, cell_o]))), shape=(n, n_cells))
    scores = np.asarray(pick @ cell_grad)  # w_i U_i, one row per respondent
    bread = np.linalg.pinv(hess)
    cov = bread @ (scores.T @ scores) @ bread
    return OrdinalFit(theta=theta, cov=cov, layout=lay, loglik=-nll(theta)[0], converged=bool(res.success))


def _newton_polish(nll, theta: np.ndarray, bounds: list) -> tuple[np.ndarray, np.ndarray]:
    """A few Newton steps from the quasi-Newton optimum, so the estimate is the root of the
    analytic score to machine precision and does not depend on the optimiser's path (which
    summation order and thread count can nudge); a step that leaves the bounds or raises
    the objective is not taken. Returns the estimate and the Hessian there."""
    lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    value, grad = nll(theta)
    hess = _hessian(lambda t: nll(t)[1], theta)
    for _ in range(4):
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        new = theta - step
        if np.any(new <= lo) or np.any(new >= hi) or not np.all(np.isfinite(new)):
            break
        new_value, new_grad = nll(new)
        if not new_value <= value + 1e-12 * max(1.0, abs(value)):
            break
        converged = np.max(np.abs(step)) < 1e-12
        theta, value, grad = new, new_value, new_grad
        hess = _hessian(lambda t: nll(t)[1], theta)
        if converged:
            break
    return theta, hess


def _hessian(grad, theta: np.ndarray) -> np.ndarray:
    """Central differences of the analytic gradient, symmetrised."""
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    cols = [(grad(theta + h[i] * e) - grad(theta - h[i] * e)) / (2 * h[i]) for i, e in enumerate(np.eye(len(theta)))]
    hess = np.column_stack(cols)
    return (hess + hess.T) / 2


def _style_design(theta: np.ndarray, lay: _Layout, ids: np.ndarray, centre: bool) -> np.ndarray:
    """The battery's style of groups ``ids`` as regressors of the outcome's location:
    ``μ_c`` and, with ``centre``, ``1 − σ_c``."""
    mu = _group_params(theta, lay, "mu")[ids]
    if not centre:
        return mu[:, None]
    return np.column_stack([mu, 1.0 - np.exp(_group_params(theta, lay, "log_sigma")[ids])])


def _loading(fit: OrdinalFit, ids: np.ndarray, centre: bool) -> tuple[np.ndarray, np.ndarray]:
    """(λ, γ) by minimum distance, ``min gᵀ Ω⁻¹ g`` with ``g = a − X β`` over the tested
    groups ``ids`` (``X`` = :func:`_style_design`) and ``Ω = J V Jᵀ`` the sandwich of ``g``,
    iterated to its fixed point ``β = (Xᵀ W X)⁻¹ Xᵀ W a``, ``W = Ω⁻¹`` (Chamberlain 1984;
    Newey & McFadden 1994, §5). Returns β and W."""
    lay = fit.layout
    a = _group_params(fit.theta, lay, "a")[ids]
    x = _style_design(fit.theta, lay, ids, centre)
    beta = np.linalg.lstsq(x, a, rcond=None)[0]
    for _ in range(100):
        jac = _g_jacobian(fit, ids, beta, centre)
        wmat = np.linalg.pinv(jac @ fit.cov @ jac.T)
        new = np.linalg.lstsq(x.T @ wmat @ x, x.T @ wmat @ a, rcond=None)[0]
        done = np.max(np.abs(new - beta)) < 1e-12
        beta = new
        if done:
            break
    jac = _g_jacobian(fit, ids, beta, centre)
    return beta, np.linalg.pinv(jac @ fit.cov @ jac.T)


def _g_jacobian(fit: OrdinalFit, ids: np.ndarray, beta: np.ndarray, centre: bool) -> np.ndarray:
    """d g / d theta for ``g = a − λ μ − γ (1 − σ)``."""
    lay, sl = fit.layout, fit.layout.slices()
    pos = np.searchsorted(lay.others(), ids)
    rows = np.arange(len(ids))
    jac = np.zeros((len(ids), lay.n_par))
    jac[rows, sl["a"].start + pos] = 1.0
    jac[rows, sl["mu"].start + pos] = -beta[0]
    if centre:
        jac[rows, sl["log_sigma"].start + pos] = beta[1] * np.exp(fit.theta[sl["log_sigma"]][pos])
    return jac


@dataclass(frozen=True)
class OrdinalAdjustment:
    """Adjusted group values and the test of "no difference beyond style" (internal)."""

    estimate: np.ndarray  # per group: the outcome's mean (NPS) at the reference style
    std_err: np.ndarray
    effect: np.ndarray  # δ per group, outcome latent SDs (reference group 0)
    effect_se: np.ndarray
    loading: np.ndarray  # λ (and γ with the centre)
    loading_se: np.ndarray
    statistic: float
    df: int
    p_value: float
    reference: int
    fit: OrdinalFit


def ordinal_adjustment(fit: OrdinalFit, values: np.ndarray, tested: np.ndarray, share: np.ndarray, *,
                       centre: bool = False) -> OrdinalAdjustment:
    """Each group's outcome mean at the reference style, with delta-method standard
    errors, and the minimum-distance χ² of ``a_c = λ μ_c + γ (1 − σ_c)`` over the
    ``tested`` groups (γ = 0 without ``centre``).

    ``values`` are the outcome's category values (NPS: -100, 0, 100), ``tested`` the
    group indices at or above the minimum base, ``share`` the groups' weight shares that
    define the reference style (``μ̄ = Σ share μ_c``, ``log σ̄ = Σ share log σ_c``). At
    the reference style group *c* answers the outcome with
    ``P(o <= m) = Φ((θ_m − λ μ̄ − γ (1 − σ̄)) / σ̄ − δ_c)``,
    ``δ_c = (a_c − λ μ_c − γ (1 − σ_c)) / σ_c``.
    """
    # long-function: the loading, the adjusted values, their delta-method covariance and the test
    lay, sl = fit.layout, fit.layout.slices()
    ids = np.setdiff1d(tested, [lay.ref])
    n_beta = 2 if centre else 1
    if len(ids) < n_beta or not np.any(_group_params(fit.theta, lay, "mu")[ids]):
        nan = np.full(lay.g, np.nan)
        return OrdinalAdjustment(nan, nan, nan, nan, np.full(n_beta, np.nan), np.full(n_beta, np.nan), np.nan, 0,
                                 np.nan, lay.ref, fit)
    beta, wmat = _loading(fit, ids, centre)

    def adjusted(theta: np.ndarray) -> np.ndarray:
        a, mu = _group_params(theta, lay, "a"), _group_params(theta, lay, "mu")
        log_sig = _group_params(theta, lay, "log_sigma")
        x = _style_design(theta, lay, ids, centre)
        b = np.linalg.solve(x.T @ wmat @ x, x.T @ wmat @ a[ids])
        gam = b[1] if centre else 0.0
        delta = (a - b[0] * mu - gam * (1 - np.exp(log_sig))) / np.exp(log_sig)
        mu_bar, sig_bar = share @ mu, np.exp(share @ log_sig)
        cuts, _ = _cuts(theta[sl["theta"]])
        cdf = stats.norm.cdf((cuts[None, :] - b[0] * mu_bar - gam * (1 - sig_bar)) / sig_bar - delta[:, None])
        probs = np.diff(np.column_stack([np.zeros(lay.g), cdf, np.ones(lay.g)]), axis=1)
        return np.concatenate([probs @ values, delta, b])

    out = adjusted(fit.theta)
    h = 1e-6 * np.maximum(1.0, np.abs(fit.theta))
    jac = np.column_stack([(adjusted(fit.theta + h[i] * e) - adjusted(fit.theta - h[i] * e)) / (2 * h[i])
                           for i, e in enumerate(np.eye(lay.n_par))])
    se = np.sqrt(np.clip(np.diag(jac @ fit.cov @ jac.T), 0, None))
    g = _group_params(fit.theta, lay, "a")[ids] - _style_design(fit.theta, lay, ids, centre) @ beta
    df = len(ids) - n_beta
    stat = float(g @ wmat @ g) if df > 0 else np.nan
    p = float(stats.chi2.sf(stat, df)) if df > 0 else np.nan
    return OrdinalAdjustment(estimate=out[:lay.g], std_err=se[:lay.g], effect=out[lay.g:2 * lay.g],
                             effect_se=se[lay.g:2 * lay.g], loading=out[2 * lay.g:], loading_se=se[2 * lay.g:],
                             statistic=stat, df=df, p_value=p, reference=lay.ref, fit=fit)
