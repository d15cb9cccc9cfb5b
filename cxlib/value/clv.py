"""Customer lifetime value from transaction histories: BG/NBD and Gamma-Gamma.

Both models are fitted here by maximum likelihood on their published
log-likelihoods (``scipy.optimize`` on the log of the parameters), because the
``lifetimes`` package is unmaintained. Each fit returns a frozen result with the
parameter table (estimate, std_err, ci_low, ci_high from the inverse observed
information), the maximised log-likelihood and the prediction formulas of the papers.

The transparent geometric-lifetime CLV lives in :mod:`cxlib.value.revenue`
(:func:`~cxlib.value.revenue.simple_clv`).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from ..core.checks import check_columns, check_confidence_level, check_frame
from ..core.inference import normal_quantile
from ..errors import CXDataError, NotIdentifiedWarning

#: Fewer customers (for Gamma-Gamma: repeat buyers) than this cannot identify the models.
MIN_CUSTOMERS = 10

#: Half the 95 % chi-square(1) quantile: a log-likelihood within this of the maximum lies
#: inside the 95 % likelihood-ratio interval.
_LR_HALF_WIDTH = 1.92


# ----------------------------------------------------------------------------- helpers
def _column(data: pd.DataFrame, name: str, argument: str, *, low: float = 0.0) -> np.ndarray:
    check_columns(data, [name], argument=argument)
    values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise CXDataError(
            f"column {name!r} (`{argument}`) has {int(bad.sum())} missing or non-numeric value(s); "
            "drop or fix those rows first"
        )
    below = values < low
    if below.any():
        raise CXDataError(
            f"column {name!r} (`{argument}`) has {int(below.sum())} value(s) below {low:g}, "
            f"e.g. {sorted(set(values[below].tolist()))[:5]}"
        )
    return values


def _rfm(data: pd.DataFrame, frequency: str, recency: str, T: str) -> tuple[np.ndarray, ...]:
    check_frame(data)
    x = _column(data, frequency, "frequency")
    tx = _column(data, recency, "recency")
    TT = _column(data, T, "T")
    frac = x != np.round(x)
    if frac.any():
        raise CXDataError(f"column {frequency!r} has {int(frac.sum())} non-integer value(s); counts of repeat purchases expected")
    after = tx > TT
    if after.any():
        raise CXDataError(
            f"column {recency!r} exceeds {T!r} in {int(after.sum())} row(s): the last purchase "
            "cannot come after the end of observation"
        )
    zero_rec = (x > 0) & (tx <= 0)
    if zero_rec.any():
        raise CXDataError(
            f"column {recency!r} is 0 in {int(zero_rec.sum())} row(s) with {frequency!r} > 0: "
            "recency is the time of the last repeat purchase (measured from the first)"
        )
    return x, tx, TT


def _param_table(names: list[str], theta_log: np.ndarray, cov_log: np.ndarray | None, level: float,
                 n: int) -> pd.DataFrame:
    """Estimates on the natural scale; SE by the delta method, CI from the log scale; n customers."""
    est = np.exp(theta_log)
    z = normal_quantile(level)
    if cov_log is None or not np.all(np.isfinite(cov_log)):
        se_log = np.full(len(names), np.nan)
    else:
        se_log = np.sqrt(np.clip(np.diag(cov_log), 0, None))
    return pd.DataFrame(
        {
            "parameter": names,
            "estimate": est,
            "std_err": est * se_log,
            "ci_low": np.exp(theta_log - z * se_log),
            "ci_high": np.exp(theta_log + z * se_log),
            "n": int(n),
        }
    )


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x`` (k is tiny: 3 or 4 parameters)."""
    k = len(x)
    h = np.empty((k, k))
    e = np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            v = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * step**2)
            h[i, j] = h[j, i] = v
    return h


def _negative_log_likelihood(log_likelihood, theta: np.ndarray, *, data: tuple[np.ndarray, ...]) -> float:
    """``-Σ ln L_i`` at the parameters ``exp(theta)`` (1e300 where it is not finite)."""
    val = -np.sum(log_likelihood(np.exp(theta), *data))
    return float(val) if np.isfinite(val) else 1e300


def _penalised(neg_ll, theta: np.ndarray, *, weight: float) -> float:
    """``neg_ll(θ) + weight · Σ θ_k²`` (θ = log-parameters): the L2 penalty of :func:`bg_nbd`."""
    return neg_ll(theta) + weight * float(np.sum(theta**2))


def _fit(neg_ll, start: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, Any]:
    res = optimize.minimize(neg_ll, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
    # Newton-type polish from the simplex optimum
    res2 = optimize.minimize(neg_ll, res.x, method="BFGS", options={"gtol": 1e-6, "maxiter": 500})
    best = res2 if res2.fun <= res.fun else res
    try:
        cov = np.linalg.inv(_hessian(neg_ll, best.x))
    except np.linalg.LinAlgError:
        cov = None
    return best.x, cov, best


# ----------------------------------------------------------------------------- BG/NBD
def bg_nbd_log_likelihood(params, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6).

    Parameters
    ----------
    params : sequence of float
        ``(r, alpha, a, b)``.
    frequency, recency, T : array-like
        Repeat purchases ``x``, time of the last repeat purchase ``t_x`` and length of
        observation ``T`` (both measured from the first purchase, same time unit).

    Returns
    -------
    numpy.ndarray
        ``ln L_i``; sum it for the sample log-likelihood.

    Notes
    -----
    ``L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    + 1{x>0} · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))``, computed
    on the log scale as in Fader, Hardie & Lee (2005b, "Implementing the BG/NBD model").

    Examples
    --------
    >>> round(float(bg_nbd_log_likelihood((0.243, 4.414, 0.793, 2.426), [0], [0.0], [38.86])[0]), 4)
    -0.5547
    """
    r, alpha, a, b = (float(v) for v in params)
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    TT = np.asarray(T, dtype=float)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + TT)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


@dataclass(frozen=True)
class BGNBDResult:
    """A fitted BG/NBD model.

    Attributes
    ----------
    params : pandas.DataFrame
        parameter (r, alpha, a, b), estimate, std_err, ci_low, ci_high, n (customers).
    log_likelihood : float
        Maximised sample log-likelihood.
    n : int
        Customers used.
    confidence_level : float
    method : str
    columns : dict
        Column names used for frequency, recency and T (reused by the predictions).
    optimizer : scipy.optimize.OptimizeResult
        The raw optimiser output.
    penalizer : float
        The L2 penalty on the log-parameters used (0: plain maximum likelihood).
    identified : bool
        False when the data do not identify the parameters: the estimates could be ten
        times larger along a ridge of the likelihood without leaving its 95 % region
        (see :func:`bg_nbd`, Notes); ``warnings`` says which.
    warnings : tuple of str
        Plain sentences on what the data do not identify (also issued as
        :class:`~cxlib.errors.NotIdentifiedWarning`).
    """

    params: pd.DataFrame
    log_likelihood: float
    n: int
    confidence_level: float
    method: str
    columns: dict
    optimizer: Any = dataclasses.field(repr=False, compare=False)
    penalizer: float = 0.0
    identified: bool = True
    warnings: tuple[str, ...] = ()

    @property
    def r(self) -> float:
        return float(self.params["estimate"].iloc[0])

    @property
    def alpha(self) -> float:
        return float(self.params["estimate"].iloc[1])

    @property
    def a(self) -> float:
        return float(self.params["estimate"].iloc[2])

    @property
    def b(self) -> float:
        return float(self.params["estimate"].iloc[3])

    def to_frame(self) -> pd.DataFrame:
        """The parameter table."""
        return self.params.copy()

    def _rfm(self, data: pd.DataFrame) -> tuple[np.ndarray, ...]:
        c = self.columns
        return _rfm(data, c["frequency"], c["recency"], c["T"])

    def p_alive(self, data: pd.DataFrame) -> np.ndarray:
        """P(customer still active | x, t_x, T) (FHL 2005, eq. 11 of the technical note).

        ``P = 1 / (1 + 1{x>0} · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))``.
        """
        x, tx, TT = self._rfm(data)
        r, al, a, b = self.r, self.alpha, self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(x > 0, a / (b + x - 1) * np.exp((r + x) * (np.log(al + TT) - np.log(al + tx))), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_transactions(self, data: pd.DataFrame, *, t: float) -> np.ndarray:
        """Expected purchases in the next ``t`` time units given each customer's history.

        Notes
        -----
        FHL (2005), eq. 10:
        ``E[Y(t)|x,t_x,T] = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x)
        ₂F₁(r+x, b+x; a+b+x-1; t/(α+T+t))] / (1 + 1{x>0} a/(b+x-1) ((α+T)/(α+t_x))^(r+x))``.
        """
        x, tx, TT = self._rfm(data)
        r, al, a, b = self.r, self.alpha, self.a, self.b
        z = t / (al + TT + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        num = (a + b + x - 1) / (a - 1) * (1 - ((al + TT) / (al + TT + t)) ** (r + x) * hyp)
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(x > 0, a / (b + x - 1) * ((al + TT) / (al + tx)) ** (r + x), 0.0)
        return num / (1 + odds)

    def expected_transactions_new(self, t: float | np.ndarray) -> np.ndarray:
        """Expected purchases of a new customer in ``(0, t]`` (FHL 2005, eq. 9).

        ``E[X(t)] = (a+b-1)/(a-1) · [1 - (α/(α+t))^r ₂F₁(r, b; a+b-1; t/(α+t))]``.
        """
        t = np.asarray(t, dtype=float)
        r, al, a, b = self.r, self.alpha, self.a, self.b
        return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (al + t)))


#: Directions (on the log scale of r, alpha, a, b) along which BG/NBD estimates run off
#: when the data do not identify them, and what that means.
_RIDGES = (
    ((1, 1, 0, 0), "r and alpha are", ("the purchase rate barely varies between customers (Gamma(r, alpha) "
                                       "collapses to its mean r/alpha = {rate:.4g} per time unit)")),
    ((0, 0, 1, 1), "a and b are", ("the dropout probability barely varies between customers (Beta(a, b) collapses "
                                   "to its mean a/(a+b) = {dropout:.4g})")),
    ((0, 0, -1, -1), "a and b are", ("the dropout probabilities split between about 0 and about 1 (Beta(a, b) with "
                                     "a, b towards 0; a/(a+b) = {dropout:.4g} of customers leave at once, the others "
                                     "never)")),
    ((0, 0, 0, 1), "b is", ("hardly any customer drops out in these data (mean dropout probability after a "
                            "purchase a/(a+b) = {dropout:.2g})")),
)


def _ridge_warnings(neg_ll, theta: np.ndarray, penalizer: float) -> list[str]:
    """What the data do not identify: the ridges along which ten-fold larger (or smaller)
    parameters stay within the 95 % likelihood-ratio region of the (unpenalised) maximum."""
    r, alpha, a, b = np.exp(theta)
    base = neg_ll(theta)
    out, said = [], set()
    for direction, names, meaning in _RIDGES:
        if neg_ll(theta + np.log(10.0) * np.asarray(direction)) - base > _LR_HALF_WIDTH:
            continue
        if "b" in names and any("b" in n for n in said):
            continue  # one sentence about a and b
        said.add(names)
        held = (f"the estimates are set by the penalizer ({penalizer:g}), not by the data" if penalizer
                else "refit with `penalizer=` (e.g. 0.01, an L2 penalty on the log-parameters) to keep them finite, "
                "and read only what is identified")
        out.append(
            f"BG/NBD: {names} not identified: {meaning.format(rate=r / alpha, dropout=a / (a + b))}, so the "
            f"likelihood is flat along that direction (r = {r:.4g}, alpha = {alpha:.4g}, a = {a:.4g}, b = {b:.4g}; "
            f"ten-fold values fit as well) and their intervals mean nothing; {held}."
        )
    return out


def bg_nbd(
    data: pd.DataFrame,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    penalizer: float = 0.0,
    confidence_level: float = 0.95,
) -> BGNBDResult:
    """Fit the BG/NBD model of repeat purchasing by maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    frequency : str
        Column of repeat purchases ``x`` (purchases after the first).
    recency : str
        Column of the time of the last repeat purchase ``t_x``, measured from the first
        purchase (0 when ``x = 0``).
    T : str
        Column of the time between the first purchase and the end of observation.
    penalizer : float
        Weight of an L2 penalty on the log-parameters (see Notes); 0 (default) is plain
        maximum likelihood. Small values (0.001–0.01) keep estimates finite where the
        data do not identify them, at the price of a bias towards 1.
    confidence_level : float
        For the parameter intervals.

    Returns
    -------
    BGNBDResult
        Parameters with standard errors, the log-likelihood and the prediction formulas
        ``p_alive``, ``expected_transactions`` and ``expected_transactions_new``.

    Raises
    ------
    CXDataError
        Missing or negative values, non-integer frequencies, recency beyond ``T``; fewer
        than 10 customers, or no repeat buyers (the fit would run off to meaningless
        parameters such as r = 1e15); a negative ``penalizer``.

    Warns
    -----
    NotIdentifiedWarning
        When the estimates run off along a ridge of the likelihood (see Notes).

    Notes
    -----
    While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α);
    after each purchase she drops out with probability p ~ Beta(a, b). The sample
    log-likelihood is the sum of :func:`bg_nbd_log_likelihood`; it is maximised over the
    log of the four parameters (BFGS, then a Nelder-Mead polish). Standard errors come
    from the numerically differentiated observed information on the log scale
    (delta method for ``std_err``; intervals are exponentiated log-scale Wald intervals).

    With ``penalizer = λ > 0`` the fit minimises
    ``-(1/n) Σ_i ln L_i + λ Σ_k (ln θ_k)²`` over ``θ = (r, α, a, b)`` (lifetimes'
    ``penalizer_coef`` has the same per-customer scale but penalises ``θ_k²``; on the log
    scale the penalty pulls both large and tiny values towards 1). ``log_likelihood``
    is the unpenalised one at the estimate; the intervals come from the penalised
    information.

    *Runaway estimates.* When a mixing distribution is not identified — purchase rates
    or dropout probabilities that barely vary between customers, or hardly any dropout
    at all — the likelihood keeps rising, ever more slowly, as (r, α) or (a, b) grow
    with their ratio fixed, and the optimiser stops somewhere far out (a = 1e5,
    b = 2e6, with small-looking standard errors); the dropout distribution can also
    split into point masses at 0 and 1 (a, b → 0). This is detected by moving the
    estimate ten-fold along each such ridge (``(r, α)`` up, ``(a, b)`` up and down,
    ``b`` up):
    if the unpenalised log-likelihood stays within 1.92 (half the 95 % χ²₁ quantile)
    of its value at the estimate, the 95 % likelihood interval is unbounded in that
    direction. The result then has ``identified = False``, a sentence in ``warnings``
    and a :class:`~cxlib.errors.NotIdentifiedWarning`; only the ridge's ratio (mean
    rate r/α, mean dropout a/(a+b)) and the predictions are meaningful.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
    CDNOW estimates: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = -9582.4.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"frequency": rng.poisson(1.0, 300)})
    >>> d["T"] = 30.0
    >>> d["recency"] = np.where(d["frequency"] > 0, rng.uniform(1, 15, 300), 0.0)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     fit = bg_nbd(d)
    >>> list(fit.params["parameter"])
    ['r', 'alpha', 'a', 'b']

    Poisson counts with uniform recency carry no dropout pattern: a and b run off, and
    the result says so (a NotIdentifiedWarning too).

    >>> fit.identified, fit.warnings[0][:39]
    (False, 'BG/NBD: a and b are not identified: the')
    """
    level = check_confidence_level(confidence_level)
    if not (isinstance(penalizer, (int, float, np.number)) and np.isfinite(penalizer) and penalizer >= 0):
        raise CXDataError(f"`penalizer`={penalizer!r} must be a number >= 0 (0 = plain maximum likelihood; e.g. 0.01)")
    x, tx, TT = _rfm(data, frequency, recency, T)
    if len(x) < MIN_CUSTOMERS:
        raise CXDataError(
            f"only {len(x)} customer(s) in `data`; the BG/NBD model (4 parameters) needs at least {MIN_CUSTOMERS}"
        )
    if not (x > 0).any():
        raise CXDataError(
            f"no repeat buyers: column {frequency!r} is 0 for all {len(x)} customers; the BG/NBD model needs "
            "repeat purchases to estimate how often customers buy and when they drop out"
        )
    start = np.log([1.0, max(float(np.mean(TT)), 1e-3), 1.0, 1.0])
    neg_ll = partial(_negative_log_likelihood, bg_nbd_log_likelihood, data=(x, tx, TT))
    penalised = neg_ll if penalizer == 0 else partial(_penalised, neg_ll, weight=len(x) * penalizer)
    theta, cov, opt = _fit(penalised, start)
    notes = _ridge_warnings(neg_ll, theta, penalizer)
    for note in notes:
        warnings.warn(note, NotIdentifiedWarning, stacklevel=2)
    return BGNBDResult(
        params=_param_table(["r", "alpha", "a", "b"], theta, cov, level, len(x)),
        log_likelihood=-neg_ll(theta),
        n=int(len(x)),
        confidence_level=level,
        method="BG/NBD maximum likelihood (Fader, Hardie & Lee 2005); Wald intervals on the log scale"
        + (f"; L2 penalty {penalizer:g} on the log-parameters" if penalizer else ""),
        columns={"frequency": frequency, "recency": recency, "T": T},
        optimizer=opt, penalizer=float(penalizer), identified=not notes, warnings=tuple(notes),
    )


# ----------------------------------------------------------------------------- Gamma-Gamma
def gamma_gamma_log_likelihood(params, frequency, monetary) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend per transaction.

    Parameters
    ----------
    params : sequence of float
        ``(p, q, gamma)``.
    frequency, monetary : array-like
        Number of transactions ``x`` > 0 and their average value ``m̄``.

    Notes
    -----
    ``f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m̄^(px-1) x^(px) / (γ + x m̄)^(px+q)``
    (Fader & Hardie 2013, eq. 3).

    Examples
    --------
    >>> round(float(gamma_gamma_log_likelihood((6.25, 3.74, 15.44), [1], [20.0])[0]), 4)
    -3.5942
    """
    p, q, g = (float(v) for v in params)
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary, dtype=float)
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(g)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(g + x * m)
    )


@dataclass(frozen=True)
class GammaGammaResult:
    """A fitted Gamma-Gamma spend model (see :func:`gamma_gamma`)."""

    params: pd.DataFrame
    log_likelihood: float
    n: int
    n_excluded: int
    confidence_level: float
    method: str
    columns: dict
    optimizer: Any = dataclasses.field(repr=False, compare=False)

    @property
    def p(self) -> float:
        return float(self.params["estimate"].iloc[0])

    @property
    def q(self) -> float:
        return float(self.params["estimate"].iloc[1])

    @property
    def gamma(self) -> float:
        return float(self.params["estimate"].iloc[2])

    def to_frame(self) -> pd.DataFrame:
        """The parameter table."""
        return self.params.copy()

    def population_mean_spend(self) -> float:
        """``E(M) = p γ / (q - 1)``, the mean spend per transaction across customers."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def expected_spend(self, data: pd.DataFrame) -> np.ndarray:
        """Conditional expected average spend per transaction.

        ``E(M | x, m̄) = (q-1)/(px+q-1) · pγ/(q-1) + px/(px+q-1) · m̄`` — a weighted
        mean of the population mean and the customer's observed mean (Fader & Hardie
        2013, eq. 5). Customers with ``x = 0`` get the population mean.
        """
        c = self.columns
        x = _column(data, c["frequency"], "frequency")
        m = _column(data, c["monetary"], "monetary")
        p, q, g = self.p, self.q, self.gamma
        return (g + x * m) * p / (p * x + q - 1)


def gamma_gamma(
    data: pd.DataFrame,
    *,
    frequency: str = "frequency",
    monetary: str = "monetary",
    confidence_level: float = 0.95,
) -> GammaGammaResult:
    """Fit the Gamma-Gamma model of spend per transaction by maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    frequency : str
        Column with the number of transactions the mean spend is based on (for the
        BG/NBD summary: repeat purchases). Customers with ``frequency == 0`` carry no
        spend information and are excluded (``n_excluded`` counts them).
    monetary : str
        Column with the customer's mean value per transaction (> 0 where
        ``frequency > 0``).
    confidence_level : float
        For the parameter intervals.

    Returns
    -------
    GammaGammaResult
        Parameters (p, q, gamma) with standard errors, the log-likelihood and
        ``expected_spend`` / ``population_mean_spend``.

    Raises
    ------
    CXDataError
        Missing or negative values, or non-positive spend for a customer with
        transactions; fewer than 10 customers with transactions.

    Notes
    -----
    Spend per transaction z ~ Gamma(p, ν) with ν ~ Gamma(q, γ) across customers; the
    mean of x transactions m̄ then has the density in
    :func:`gamma_gamma_log_likelihood`. The model assumes spend is independent of the
    purchase process (check the correlation of frequency and monetary value).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value
    curves for customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
    Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
    Note, brucehardie.com. CDNOW estimates (946 repeat customers): p = 6.25, q = 3.74,
    γ = 15.44.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"frequency": [1, 2, 3, 1, 4, 2, 1, 5, 2, 1],
    ...                   "monetary": [20.0, 35.5, 18.2, 60.0, 25.0, 30.1, 12.0, 22.0, 41.0, 15.5]})
    >>> fit = gamma_gamma(d)
    >>> fit.n
    10
    """
    level = check_confidence_level(confidence_level)
    check_frame(data)
    x = _column(data, frequency, "frequency")
    m = _column(data, monetary, "monetary")
    keep = x > 0
    nonpos = keep & (m <= 0)
    if nonpos.any():
        raise CXDataError(
            f"column {monetary!r} is <= 0 in {int(nonpos.sum())} row(s) with {frequency!r} > 0; "
            "the Gamma-Gamma model needs positive spend"
        )
    if keep.sum() < MIN_CUSTOMERS:
        raise CXDataError(
            f"only {int(keep.sum())} customer(s) with {frequency!r} > 0 (of {len(x)}); the Gamma-Gamma model "
            f"(3 parameters) needs at least {MIN_CUSTOMERS} customers with transactions"
        )
    xs, ms = x[keep], m[keep]
    neg_ll = partial(_negative_log_likelihood, gamma_gamma_log_likelihood, data=(xs, ms))
    theta, cov, opt = _fit(neg_ll, np.log([1.0, 2.0, max(float(np.mean(ms)), 1e-3)]))
    return GammaGammaResult(
        params=_param_table(["p", "q", "gamma"], theta, cov, level, int(keep.sum())),
        log_likelihood=-float(opt.fun),
        n=int(keep.sum()),
        n_excluded=int((~keep).sum()),
        confidence_level=level,
        method="Gamma-Gamma maximum likelihood (Fader, Hardie & Lee 2005; Fader & Hardie 2013); "
        "Wald intervals on the log scale",
        columns={"frequency": frequency, "monetary": monetary},
        optimizer=opt,
    )
