"""Within-customer effects of journey episodes: one bad episode, recovery, peak–end.

- :func:`negative_episodes` — customer-quarters with a negative episode (journeys table),
  and whether a positive follow-up (proactive help) came soon after;
- :func:`churn_panel` — one row per active customer-quarter with a churn flag;
- :func:`within_effects` — the within-customer (customer fixed effects) regression with
  period effects and cluster-robust standard errors, the engine of the next one;
- :func:`episode_effects` — the effect of a negative episode 0, 1, 2 … quarters later on
  an outcome (osat, ltr, churn), with and without a follow-up: the recovery curve,
  the quarters until the customer is back at their earlier level, and whether the
  follow-up shortens it;
- :func:`peak_end` — does the worst or the last touchpoint of the quarter predict overall
  satisfaction better than the mean of the touchpoint scores (bootstrap on R²)?
- :func:`touchpoint_drivers` — which touchpoints move the relationship outcome of the same
  customers the next wave (the driver core, :func:`cxlib.drivers.key_drivers`).

Analysis only: charts are :mod:`cxlib.viz.journey_effects`, sentences
:mod:`cxlib.report.findings.journey_effects`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    as_datetimes,
    check_choice,
    check_columns,
    check_confidence_level,
    check_frame,
    check_min_base,
    check_n_boot,
    column_list,
)
from ..core.inference import (
    percentile_bound_mc_error,
    percentile_interval,
    warn_if_bootstrap_cannot_reach,
)
from ..core.results import Estimate
from ..data.calendar import quarter_of
from ..drivers import key_drivers
from ..errors import CXDataError

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
GROUPS = ("without_followup", "with_followup")


# ----------------------------------------------------------------------------- inputs
def _period_index(values: pd.Series, name: str) -> np.ndarray:
    """Consecutive integers for periods: "YYYYQn" quarters (year·4 + n) or integers as they are."""
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype="int64")
    text = values.astype(str)
    parts = text.str.extract(_QUARTER)
    bad = parts[0].isna()
    if bad.any():
        raise CXDataError(
            f"`{name}` must hold quarters 'YYYYQn' or integers; {int(bad.sum())} row(s) do not, "
            f"e.g. {text[bad].unique()[:3].tolist()}")
    return parts[0].astype("int64").to_numpy() * 4 + parts[1].astype("int64").to_numpy() - 1


def negative_episodes(
    journeys: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "timestamp",
    valence: str = "valence",
    touchpoint: str = "touchpoint",
    followup: str | Sequence[str] = "proactive_help",
    followup_days: float = 30.0,
) -> pd.DataFrame:
    """Customer-quarters with a negative episode, and whether a follow-up came soon after.

    Parameters
    ----------
    journeys : pandas.DataFrame
        One row per journey event (the journeys table).
    customer, time, valence, touchpoint : str
        Columns: customer id, event time, valence (−1 marks a negative episode) and the
        touchpoint name.
    followup : str or list of str
        Touchpoint(s) that count as a positive follow-up (e.g. proactive help).
    followup_days : float
        A follow-up counts when it comes within this many days after the quarter's first
        negative episode (and after it).

    Returns
    -------
    pandas.DataFrame
        ``customer``, ``quarter``, ``episode_time`` (first negative episode of the quarter),
        ``followed_up`` (bool); one row per customer-quarter with an episode.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "valence": [-1, 1, -1],
    ...     "touchpoint": ["service_outage", "proactive_help", "billing_error"],
    ...     "timestamp": pd.to_datetime(["2026-01-05", "2026-01-10", "2026-04-02"])})
    >>> negative_episodes(ev)[["customer_id", "quarter", "followed_up"]]
       customer_id quarter  followed_up
    0            1  2026Q1         True
    1            2  2026Q2        False
    """
    check_frame(journeys, argument="journeys")
    check_columns(journeys, [customer, time, valence, touchpoint])
    fu_names = column_list(followup, argument="followup")
    ts = as_datetimes(journeys[time], time)
    ev = pd.DataFrame({"customer": journeys[customer].to_numpy(), "t": ts.to_numpy(),
                       "v": pd.to_numeric(journeys[valence], errors="coerce").to_numpy(),
                       "tp": journeys[touchpoint].to_numpy()})
    neg = ev.loc[ev["v"] == -1].assign(quarter=lambda d: quarter_of(d["t"]))
    first = neg.groupby(["customer", "quarter"], as_index=False, sort=True)["t"].min()
    fu = ev.loc[ev["tp"].isin(fu_names), ["customer", "t"]].rename(columns={"t": "t_fu"})
    m = first.merge(fu, on="customer", how="left")
    gap = (m["t_fu"] - m["t"]).dt.total_seconds() / 86400.0
    m["hit"] = (gap > 0) & (gap <= float(followup_days))
    hit = m.groupby(["customer", "quarter"], sort=True)["hit"].any().to_numpy()
    return pd.DataFrame({customer: first["customer"].to_numpy(), "quarter": first["quarter"].to_numpy(),
                         "episode_time": first["t"].to_numpy(), "followed_up": hit})


def churn_panel(
    customers: pd.DataFrame,
    *,
    quarters: Sequence[str],
    customer: str = "customer_id",
    signup: str = "signup_date",
    churn: str = "churn_date",
) -> pd.DataFrame:
    """One row per customer and quarter in which the customer was active, with a churn flag.

    A customer is active in a quarter that starts before churn and ends after signup;
    ``churned`` is 1 in the quarter of the churn date.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": [1, 2], "signup_date": pd.to_datetime(["2025-01-01", "2026-02-01"]),
    ...                   "churn_date": pd.to_datetime(["2026-02-15", None])})
    >>> churn_panel(c, quarters=["2025Q4", "2026Q1", "2026Q2"])
       customer_id quarter  churned
    0            1  2025Q4        0
    1            1  2026Q1        1
    2            2  2026Q1        0
    3            2  2026Q2        0
    """
    from ..data.calendar import quarter_bounds

    check_frame(customers, argument="customers")
    check_columns(customers, [customer, signup, churn])
    start = as_datetimes(customers[signup], signup).to_numpy()
    stop = as_datetimes(customers[churn], churn).to_numpy()
    ids = customers[customer].to_numpy()
    rows = []
    for q in quarters:
        qs, qe = (np.datetime64(b.to_datetime64(), "ns") for b in quarter_bounds(q))
        alive = (start < qe) & (np.isnat(stop) | (stop >= qs))
        gone = ~np.isnat(stop) & (stop >= qs) & (stop < qe)
        rows.append(pd.DataFrame({customer: ids[alive], "quarter": q, "churned": gone[alive].astype("int64")}))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values([customer, "quarter"], kind="mergesort").reset_index(drop=True)


# ----------------------------------------------------------------------------- within estimator
@dataclass(frozen=True, eq=False)
class WithinResult:
    """A within-customer regression: coefficients with cluster-robust intervals.

    ``table`` has term, estimate, std_err, ci_low, ci_high, p_value, n (rows used);
    ``cov`` the cluster-robust covariance of the terms; period effects are in
    ``period_effects`` (relative to the first period).
    """

    table: pd.DataFrame
    cov: pd.DataFrame
    period_effects: pd.Series
    n: int
    n_customers: int
    n_singletons: int
    r_squared_within: float
    confidence_level: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _demean(x: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Subtract each customer's mean from every column of ``x``."""
    sums = np.zeros((counts.size, x.shape[1]))
    np.add.at(sums, codes, x)
    return x - (sums / counts[:, None])[codes]


def _numeric_rows(d: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    """``d`` with ``numeric`` columns as floats (a non-numeric value raises) and no missing values."""
    d = d.copy()
    for c in numeric:
        vals = pd.to_numeric(d[c], errors="coerce")
        bad = vals.isna() & d[c].notna()
        if bad.any():
            raise CXDataError(f"`{c}` must be numeric; {int(bad.sum())} row(s) are not, "
                              f"e.g. {d.loc[bad, c].unique()[:3].tolist()}")
        d[c] = vals.astype(float)
    return d.dropna()


def within_effects(
    data: pd.DataFrame,
    *,
    outcome: str,
    regressors: str | Sequence[str],
    customer: str = "customer_id",
    period: str | None = "quarter",
    fixed_effects: bool = True,
    confidence_level: float = 0.95,
) -> WithinResult:
    """Within-customer (fixed-effects) regression with period effects, clustered by customer.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer and period.
    outcome : str
        Numeric outcome column (e.g. osat, ltr, a 0/1 churn flag: a linear probability model).
    regressors : str or list of str
        Numeric columns whose within-customer effect is estimated.
    customer : str
        Customer id column (the fixed effect and the cluster).
    period : str or None
        Period column; its effects (one dummy per period but the first) are estimated
        alongside. ``None``: no period effects.
    fixed_effects : bool
        True: customer fixed effects (the within estimator). False: pooled OLS with an
        intercept (still clustered by customer) — for an absorbing outcome such as churn,
        where a customer's churn quarter is always their last and the within comparison
        is biased by construction.
    confidence_level : float
        Level of the t intervals (G − 1 degrees of freedom, G customers).

    Returns
    -------
    WithinResult

    Notes
    -----
    Model: ``y_it = α_i + τ_t + x_itᵀ β + ε_it``. The customer effects α_i are removed by
    subtracting each customer's means (the within transformation); by the
    Frisch–Waugh–Lovell theorem the OLS of the demeaned ``y`` on the demeaned ``x`` and
    period dummies gives exactly the least-squares dummy-variable (LSDV) estimates.
    Customers with a single row carry no within information and are dropped (counted in
    ``n_singletons``). Cluster-robust (CR1) covariance by customer:
    ``V = c · (X̃ᵀX̃)⁻¹ (Σ_g X̃_gᵀ e_g e_gᵀ X̃_g) (X̃ᵀX̃)⁻¹``,
    ``c = G/(G − 1) · (N − 1)/(N − K)`` with K the non-absorbed terms (Stata's
    ``xtreg, fe vce(cluster)`` convention; an LSDV fit counts the dummies in K too).

    References
    ----------
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*,
    2nd ed., ch. 10 (fixed effects) and §10.5.4 (robust variance). Cameron, A. C. & Miller,
    D. L. (2015). A practitioner's guide to cluster-robust inference. *Journal of Human
    Resources* 50(2).

    Examples
    --------
    Two customers at different levels, each 1 point lower in the period with x = 1:

    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "y": [5.0, 4.0, 2.0, 1.0], "x": [0, 1, 0, 1]})
    >>> res = within_effects(df, outcome="y", regressors="x", period=None)
    >>> float(res.table["estimate"].iloc[0])
    -1.0
    """
    from scipy import stats

    level = check_confidence_level(confidence_level)
    check_frame(data)
    xs = column_list(regressors, argument="regressors")
    cols = [customer, outcome, *xs] + ([period] if period is not None else [])
    check_columns(data, cols)
    d = _numeric_rows(data[cols], [outcome, *xs])
    size = d.groupby(customer)[outcome].transform("size")
    n_single = int(d.loc[size == 1, customer].nunique()) if fixed_effects else 0
    if fixed_effects:
        d = d.loc[size > 1]
    codes, uniq = pd.factorize(d[customer], sort=True)
    counts = np.bincount(codes).astype(float)
    x = d[xs].to_numpy(float)
    names = list(xs)
    per = pd.Series(dtype=float)
    if period is not None:
        pcodes, plabels = pd.factorize(d[period], sort=True)
        dummies = (pcodes[:, None] == np.arange(1, plabels.size)[None, :]).astype(float)
        x = np.column_stack([x, dummies])
        names += [f"{period}[{p}]" for p in plabels[1:]]
    y = d[outcome].to_numpy(float)
    if not fixed_effects:
        x, names = np.column_stack([np.ones(y.size), x]), ["const", *names]
    n, k, g = y.size, x.shape[1], uniq.size
    if g < 2 or n <= k + (g if fixed_effects else 0):
        raise CXDataError(f"too few repeated observations for a within-customer model of {outcome!r}: "
                          f"{n} rows of {g} customers with 2+ rows for {k} terms")
    if fixed_effects:
        xt, yt = _demean(x, codes, counts), _demean(y[:, None], codes, counts)[:, 0]
    else:
        xt, yt = x, y
    keep = np.abs(xt).max(axis=0) > 1e-12  # a regressor constant within every customer is not identified
    off = 0 if fixed_effects else 1
    if not keep[off: off + len(xs)].all():
        lost = [c for c, ok in zip(xs, keep[off: off + len(xs)], strict=True) if not ok]
        raise CXDataError(f"regressor(s) {lost} do not vary within any customer: no within-customer effect")
    xt, names, k = xt[:, keep], [nm for nm, ok in zip(names, keep, strict=True) if ok], int(keep.sum())
    xtx_inv = np.linalg.pinv(xt.T @ xt)
    beta = xtx_inv @ (xt.T @ yt)
    e = yt - xt @ beta
    scores = np.zeros((g, k))
    np.add.at(scores, codes, xt * e[:, None])
    cov = (g / (g - 1)) * ((n - 1) / (n - k)) * xtx_inv @ (scores.T @ scores) @ xtx_inv
    se = np.sqrt(np.diag(cov))
    tcrit = float(stats.t.ppf(0.5 + level / 2, g - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        pval = 2 * stats.t.sf(np.abs(beta / se), g - 1)
    table = pd.DataFrame({"term": names, "estimate": beta, "std_err": se, "ci_low": beta - tcrit * se,
                          "ci_high": beta + tcrit * se, "p_value": pval, "n": n})
    if period is not None:
        is_per = table["term"].str.startswith(f"{period}[")
        per = table.loc[is_per].set_index("term")["estimate"]
        table = table.loc[~is_per].reset_index(drop=True)
    if not fixed_effects:
        table = table.loc[table["term"] != "const"].reset_index(drop=True)
    yc = yt - yt.mean() if not fixed_effects else yt
    return WithinResult(
        table=table, cov=pd.DataFrame(cov, index=names, columns=names), period_effects=per, n=n,
        n_customers=g, n_singletons=n_single, r_squared_within=float(1 - (e @ e) / (yc @ yc)) if yc @ yc > 0 else np.nan,
        confidence_level=level,
        method=(f"within-customer OLS (customer fixed effects{', period effects' if period else ''})" if fixed_effects
                else f"pooled OLS ({'period effects, ' if period else ''}no customer effects)")
               + f"; CR1 cluster-robust by customer, t({g - 1}) intervals",
    )


# ----------------------------------------------------------------------------- episode effects
@dataclass(frozen=True, eq=False)
class EpisodeEffects:
    """The effect of a negative episode on an outcome, by quarters since the episode.

    ``curve``: lag, group (``without_followup`` / ``with_followup``, or ``all``),
    estimate, std_err, ci_low, ci_high, p_value, n (outcome rows with such an episode at
    that lag) — the recovery curve. ``recovered_after``: per group, the first lag ≥ 1
    whose interval reaches zero (back at the customer's earlier level), None if never
    within the lags estimated. ``followup_gain``: the summed difference (with − without
    follow-up) over lags 1…``lags`` (positive: the follow-up reduces the lasting damage);
    None without follow-up data. ``fit`` is the :class:`WithinResult`.
    """

    outcome: str
    curve: pd.DataFrame
    recovered_after: dict
    followup_gain: Estimate | None
    fit: WithinResult
    lags: int
    n: int
    n_customers: int
    confidence_level: float
    method: str
    terms: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.curve.copy()


def _lag_columns(outcomes: pd.DataFrame, episodes: pd.DataFrame, *, customer: str, period: str,
                 followup: str | None, lags: int) -> tuple[pd.DataFrame, list[str]]:
    """Add ``episode_lag{L}`` (and ``followup_lag{L}``) 0/1 columns: an episode L periods before."""
    ep = episodes[[customer, period] + ([followup] if followup else [])].copy()
    ep["_t"] = _period_index(ep[period], period)
    ep["_fu"] = ep[followup].astype(bool) if followup else False
    ep = ep.groupby([customer, "_t"], as_index=False)["_fu"].any()
    out = outcomes.copy()
    out["_t"] = _period_index(out[period], period)
    terms = []
    for lag in range(lags + 1):
        key = ep.assign(_t=ep["_t"] + lag)
        hit = out[[customer, "_t"]].merge(key, on=[customer, "_t"], how="left")
        out[f"episode_lag{lag}"] = hit["_fu"].notna().to_numpy(float)
        terms.append(f"episode_lag{lag}")
        if followup:
            out[f"followup_lag{lag}"] = hit["_fu"].eq(True).to_numpy(float)
            terms.append(f"followup_lag{lag}")
    return out.drop(columns="_t"), terms


def episode_effects(
    outcomes: pd.DataFrame,
    episodes: pd.DataFrame,
    *,
    outcome: str,
    customer: str = "customer_id",
    period: str = "quarter",
    followup: str | None = "followed_up",
    lags: int = 3,
    fixed_effects: bool = True,
    confidence_level: float = 0.95,
) -> EpisodeEffects:
    """Within-customer effect of a negative episode 0…``lags`` periods later (recovery curve).

    Parameters
    ----------
    outcomes : pandas.DataFrame
        One row per customer and period with the outcome (e.g. deduplicated survey
        responses with osat or ltr; :func:`churn_panel` for churn).
    episodes : pandas.DataFrame
        One row per customer-period with a negative episode (:func:`negative_episodes`),
        in any period, not only those with an outcome.
    outcome : str
        Numeric outcome column of ``outcomes``.
    customer, period : str
        Columns in both frames; periods are quarters "YYYYQn" or consecutive integers.
    followup : str or None
        Boolean column of ``episodes``: the episode was followed up (e.g. proactive help).
        ``None``: one curve for all episodes.
    lags : int
        Largest number of periods since the episode to estimate (0 = the same period).
    fixed_effects : bool
        Customer fixed effects (default). Use False for churn (see :func:`within_effects`):
        episodes that strike at random are then compared across customers, which is
        unbiased as long as who gets an episode does not depend on the customer.
    confidence_level : float

    Returns
    -------
    EpisodeEffects

    Notes
    -----
    Distributed-lag fixed-effects model (an event study with repeated events):
    ``y_it = α_i + τ_t + Σ_L β_L D_i,t−L + Σ_L γ_L D_i,t−L F_i,t−L + ε_it`` with ``D`` the
    episode indicator and ``F`` its follow-up, estimated by :func:`within_effects`
    (customer fixed effects, period effects, cluster-robust by customer). Each customer is
    compared with themselves, so stable differences between customers do not bias the
    effects; episodes are assumed not to be caused by the customer's own trend. The
    effect L periods after an episode without follow-up is β_L, with follow-up β_L + γ_L
    (variance ``V_ββ + V_γγ + 2 V_βγ``). Episodes before the first observed period are
    unknown and counted as none. ``recovered_after`` applies the rule "first lag ≥ 1 with
    ``ci_high`` ≥ 0".

    References
    ----------
    Wooldridge (2010), ch. 10; Schmidheiny, K. & Siegloch, S. (2023). On event studies
    and distributed-lags in two-way fixed effects models. *Journal of Applied
    Econometrics* 38(5).

    Examples
    --------
    >>> out = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2], "quarter": [1, 2, 3] * 2,
    ...                     "osat": [5.0, 3.0, 5.0, 4.0, 4.0, 4.0]})
    >>> ep = pd.DataFrame({"customer_id": [1], "quarter": [2]})
    >>> res = episode_effects(out, ep, outcome="osat", followup=None, lags=0)
    >>> float(res.curve["estimate"].iloc[0])
    -2.0
    """
    check_frame(outcomes, argument="outcomes")
    check_frame(episodes, argument="episodes")
    check_columns(outcomes, [customer, period, outcome], argument="outcome")
    check_columns(episodes, [customer, period] + ([followup] if followup else []), argument="followup")
    if isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0:
        raise CXDataError(f"`lags`={lags!r} must be a whole number >= 0 (e.g. 3)")
    panel, terms = _lag_columns(outcomes, episodes, customer=customer, period=period, followup=followup, lags=lags)
    present = [t for t in terms if panel[t].any()]
    fit = within_effects(panel, outcome=outcome, regressors=present, customer=customer, period=period,
                         fixed_effects=fixed_effects, confidence_level=confidence_level)
    return _episode_result(outcome, panel, fit, followup=followup, lags=lags)


def _combo(fit: WithinResult, names: list[str]) -> tuple[float, float]:
    """Estimate and standard error of the sum of ``names`` (missing names count as 0)."""
    names = [nm for nm in names if nm in fit.cov.index]
    if not names:
        return np.nan, np.nan
    est = float(fit.table.set_index("term").loc[names, "estimate"].sum())
    var = float(fit.cov.loc[names, names].to_numpy().sum())
    return est, float(np.sqrt(max(var, 0.0)))


def _episode_result(outcome: str, panel: pd.DataFrame, fit: WithinResult, *, followup: str | None,
                    lags: int) -> EpisodeEffects:
    from scipy import stats

    g = fit.n_customers
    tcrit = float(stats.t.ppf(0.5 + fit.confidence_level / 2, g - 1))
    rows = []
    groups = GROUPS if followup else ("all",)
    for lag in range(lags + 1):
        for grp in groups:
            names = [f"episode_lag{lag}"] + ([f"followup_lag{lag}"] if grp == "with_followup" else [])
            est, se = _combo(fit, names)
            col = panel[f"episode_lag{lag}"] > 0
            if followup:
                col &= (panel[f"followup_lag{lag}"] > 0) == (grp == "with_followup")
            rows.append({"lag": lag, "group": grp, "estimate": est, "std_err": se, "ci_low": est - tcrit * se,
                         "ci_high": est + tcrit * se,
                         "p_value": float(2 * stats.t.sf(abs(est / se), g - 1)) if se > 0 else np.nan,
                         "n": int(col.sum())})
    curve = pd.DataFrame(rows)
    recovered = {}
    for grp, c in curve.groupby("group", sort=False):
        back = c.loc[(c["lag"] >= 1) & (c["ci_high"] >= 0), "lag"]
        recovered[grp] = int(back.iloc[0]) if len(back) else None
    gain = None
    if followup:
        est, se = _combo(fit, [f"followup_lag{lag}" for lag in range(1, lags + 1)])
        if np.isfinite(est):
            gain = Estimate(estimate=est, std_err=se, ci_low=est - tcrit * se, ci_high=est + tcrit * se,
                            n=int((panel[[f"followup_lag{lag}" for lag in range(1, lags + 1)]] > 0).any(axis=1).sum()),
                            confidence_level=fit.confidence_level,
                            method=f"sum of the follow-up interactions over lags 1-{lags}; cluster-robust t interval")
    return EpisodeEffects(outcome=outcome, curve=curve, recovered_after=recovered, followup_gain=gain, fit=fit,
                          lags=lags, n=fit.n, n_customers=fit.n_customers, confidence_level=fit.confidence_level,
                          method=fit.method, terms=list(fit.table["term"]))


# ----------------------------------------------------------------------------- peak-end
@dataclass(frozen=True, eq=False)
class PeakEndResult:
    """Which summary of the quarter's touchpoint scores predicts the overall rating best.

    ``table``: summary (mean, worst, last, peak_end), r_squared, ci_low, ci_high, n, ci_low_mc_se,
    ci_high_mc_se (the bounds' Monte-Carlo SE). ``differences``: summary vs mean: estimate (R²
    difference), ci_low, ci_high, p_value, n, ci_low_mc_se, ci_high_mc_se.
    ``data``: one row per response with its touchpoint summaries.
    """

    table: pd.DataFrame
    differences: pd.DataFrame
    data: pd.DataFrame
    n: int
    n_boot: int
    confidence_level: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        return self.differences.copy()


def _touchpoint_summaries(survey: pd.DataFrame, touchpoints: pd.DataFrame, *, customer: str, outcome: str,
                          score: str, response_time: str, touchpoint_time: str) -> pd.DataFrame:
    """Per response: the mean, worst (min) and last score of the customer's touchpoints in the
    response's quarter dated before the response, and their count."""
    sv = pd.DataFrame({"customer": survey[customer].to_numpy(), "y": pd.to_numeric(survey[outcome]).to_numpy(float),
                       "t": as_datetimes(survey[response_time], response_time).to_numpy()})
    sv["row"] = np.arange(len(sv))
    sv["quarter"] = quarter_of(sv["t"])
    tp = pd.DataFrame({"customer": touchpoints[customer].to_numpy(),
                       "s": pd.to_numeric(touchpoints[score]).to_numpy(float),
                       "tt": as_datetimes(touchpoints[touchpoint_time], touchpoint_time).to_numpy()})
    tp = tp.dropna(subset=["s"])
    tp["quarter"] = quarter_of(tp["tt"])
    m = sv.merge(tp, on=["customer", "quarter"])
    m = m.loc[m["tt"] < m["t"]].sort_values(["row", "tt"], kind="mergesort")
    g = m.groupby("row")["s"]
    out = pd.DataFrame({"mean": g.mean(), "worst": g.min(), "last": g.last(), "n_touchpoints": g.size()})
    out = sv.set_index("row")[["customer", "quarter", "y"]].join(out, how="inner")
    return out.rename(columns={"customer": customer, "y": outcome}).reset_index(drop=True)


def _r2_simple(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """R² of y on each column of x alone (squared correlation), rows = observations; batched on axis 0."""
    yc = y - y.mean(axis=-1, keepdims=True)
    xc = x - x.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (yc * xc).sum(-1) ** 2 / ((yc**2).sum(-1) * (xc**2).sum(-1))


def peak_end(
    survey: pd.DataFrame,
    touchpoints: pd.DataFrame,
    *,
    outcome: str = "osat",
    score: str = "csat",
    customer: str = "customer_id",
    response_time: str = "response_date",
    touchpoint_time: str = "date",
    min_touchpoints: int = 2,
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence_level: float = 0.95,
) -> PeakEndResult:
    """Peak–end test: do the worst and the last touchpoint predict overall satisfaction
    better than the mean of the touchpoint scores?

    Parameters
    ----------
    survey : pandas.DataFrame
        Relational responses (one per customer and quarter: drop duplicates first).
    touchpoints : pandas.DataFrame
        Touchpoint scores (customer, time, score).
    outcome, score : str
        The overall rating in ``survey``; the touchpoint score in ``touchpoints``.
    customer, response_time, touchpoint_time : str
        Columns: customer id (in both), response time, touchpoint time.
    min_touchpoints : int
        Responses with fewer scored touchpoints in the quarter before the response are
        left out (with one, mean = worst = last).
    n_boot, seed, confidence_level
        Percentile bootstrap over responses (paired: every summary on the same resample).

    Returns
    -------
    PeakEndResult

    Notes
    -----
    For each response: the touchpoints of the same customer in the response's quarter
    dated before it; summaries mean, worst (minimum), last (latest), and the peak–end
    score ``(worst + last) / 2``. The fit of each is the R² of the linear regression of
    the outcome on it (one predictor: the squared correlation). When every touchpoint
    also reflects the customer's standing satisfaction, the mean averages that common
    part best, so the worst or the last alone can lose to it even under a peak–end memory;
    the peak–end score is the direct test. The difference ``R²(summary) − R²(mean)``
    gets a percentile interval and a two-sided bootstrap p-value
    ``min(1, 2 · min(#(d ≤ 0)+1, #(d ≥ 0)+1)/(B+1))``. The peak–end rule (Kahneman,
    Fredrickson, Schreiber & Redelmeier 1993; Fredrickson & Kahneman 1993) predicts the
    worst and the last to win.

    References
    ----------
    Kahneman, D., Fredrickson, B. L., Schreiber, C. A. & Redelmeier, D. A. (1993). When
    more pain is preferred to less: adding a better end. *Psychological Science* 4(6).

    Examples
    --------
    >>> sv = pd.DataFrame({"customer_id": [1, 2, 3, 4], "osat": [1, 5, 2, 4],
    ...     "response_date": pd.to_datetime(["2026-03-01"] * 4)})
    >>> tp = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3, 4, 4], "csat": [5, 1, 4, 5, 1, 5, 5, 4],
    ...     "date": pd.to_datetime(["2026-01-10", "2026-02-01"] * 4)})
    >>> res = peak_end(sv, tp, n_boot=0)
    >>> res.data[["customer_id", "mean", "worst", "last"]].to_numpy().tolist()
    [[1.0, 3.0, 1.0, 1.0], [2.0, 4.5, 4.0, 5.0], [3.0, 3.0, 1.0, 5.0], [4.0, 4.5, 4.0, 4.0]]
    """
    level = check_confidence_level(confidence_level)
    B = check_n_boot(n_boot)
    warn_if_bootstrap_cannot_reach(B, level, what="peak-end differences")
    check_frame(survey, argument="survey")
    check_frame(touchpoints, argument="touchpoints")
    check_columns(survey, [customer, outcome, response_time], argument="outcome")
    check_columns(touchpoints, [customer, score, touchpoint_time], argument="score")
    k_min = check_min_base(min_touchpoints)
    d = _touchpoint_summaries(survey, touchpoints, customer=customer, outcome=outcome, score=score,
                              response_time=response_time, touchpoint_time=touchpoint_time)
    d = d.loc[(d["n_touchpoints"] >= max(k_min, 1)) & d[outcome].notna()].reset_index(drop=True)
    n = len(d)
    if n < 3:
        raise CXDataError(f"peak-end needs at least 3 responses with {max(k_min, 1)}+ scored touchpoints before "
                          f"the response in the same quarter; found {n}")
    y, s = d[outcome].to_numpy(float), d[["mean", "worst", "last"]].to_numpy(float).T

    s = np.vstack([s, (s[1] + s[2]) / 2])  # the peak-end score: mean of the worst and the last

    def fits(yy: np.ndarray, ss: np.ndarray) -> np.ndarray:  # ss: (4, ..., n)
        return _r2_simple(yy[None], ss)

    est = fits(y, s)
    rng = np.random.default_rng(seed)
    reps = np.empty((B, 4))
    for lo in range(0, B, 200):
        idx = rng.integers(0, n, (min(200, B - lo), n))
        reps[lo:lo + idx.shape[0]] = fits(y[idx], s[:, idx]).T
    names = ["mean", "worst", "last", "peak_end"]
    ci, mc = percentile_interval(reps, level), percentile_bound_mc_error(reps, level)  # mc: SE of the bounds
    table = pd.DataFrame({"summary": names, "r_squared": est, "ci_low": ci[0], "ci_high": ci[1], "n": n,
                          "ci_low_mc_se": mc[0], "ci_high_mc_se": mc[1]})
    diff = reps[:, 1:] - reps[:, [0]]
    dci, dmc = percentile_interval(diff, level), percentile_bound_mc_error(diff, level)
    p = np.minimum(1.0, 2 * np.minimum((diff <= 0).sum(0) + 1, (diff >= 0).sum(0) + 1) / (B + 1)) if B else np.nan
    differences = pd.DataFrame({"summary": names[1:], "versus": "mean", "estimate": est[1:] - est[0],
                                "ci_low": dci[0], "ci_high": dci[1], "p_value": p, "n": n,
                                "ci_low_mc_se": dmc[0], "ci_high_mc_se": dmc[1]})
    return PeakEndResult(table=table, differences=differences, data=d, n=n, n_boot=B, confidence_level=level,
                         method=f"R² of {outcome} on each summary of the quarter's {score} before the response; "
                                f"paired percentile bootstrap over responses ({B} resamples)")


# ----------------------------------------------------------------------------- touchpoints -> relationship
def touchpoint_experiences(
    touchpoints: pd.DataFrame,
    *,
    customer: str = "customer_id",
    touchpoint: str = "touchpoint",
    score: str = "csat",
    time: str = "date",
    min_base: int = 30,
) -> pd.DataFrame:
    """One row per customer and quarter with the mean score of each touchpoint experienced.

    Touchpoints with fewer than ``min_base`` customer-quarters are left out. Columns:
    ``customer``, ``quarter``, one column per touchpoint (NaN: not experienced that quarter).

    Examples
    --------
    >>> tp = pd.DataFrame({"customer_id": [1, 1, 2], "touchpoint": ["a", "a", "b"], "csat": [4, 2, 5],
    ...                    "date": pd.to_datetime(["2026-01-02", "2026-02-02", "2026-01-03"])})
    >>> touchpoint_experiences(tp, min_base=1)
       customer_id quarter    a    b
    0            1  2026Q1  3.0  NaN
    1            2  2026Q1  NaN  5.0
    """
    check_frame(touchpoints, argument="touchpoints")
    check_columns(touchpoints, [customer, touchpoint, score, time])
    base = check_min_base(min_base)
    d = pd.DataFrame({customer: touchpoints[customer].to_numpy(), "tp": touchpoints[touchpoint].astype(str).to_numpy(),
                      "s": pd.to_numeric(touchpoints[score]).to_numpy(float),
                      "quarter": quarter_of(as_datetimes(touchpoints[time], time))})
    wide = d.dropna(subset=["s"]).pivot_table(index=[customer, "quarter"], columns="tp", values="s", aggfunc="mean")
    wide = wide.loc[:, wide.notna().sum() >= base]
    wide.columns.name = None
    return wide.reset_index()


def touchpoint_drivers(
    survey: pd.DataFrame,
    touchpoints: pd.DataFrame,
    *,
    outcome: str = "osat",
    customer: str = "customer_id",
    period: str = "quarter",
    touchpoint: str = "touchpoint",
    score: str = "csat",
    time: str = "date",
    lead: int = 1,
    method: str = "shapley",
    min_base: int = 30,
    n_boot: int = 200,
    seed: int | None = 0,
    confidence_level: float = 0.95,
) -> Any:
    """Which touchpoints move the relationship outcome of the same customers ``lead`` waves later.

    Parameters
    ----------
    survey : pandas.DataFrame
        Relational responses (deduplicated), with ``customer``, ``period`` (quarter
        "YYYYQn") and ``outcome`` (e.g. osat, ltr).
    touchpoints : pandas.DataFrame
        Touchpoint scores with ``customer``, ``touchpoint``, ``score`` and ``time``.
    lead : int
        Waves between the touchpoint quarter and the response (1: the next wave; 0: the
        same quarter).
    method, n_boot, seed, confidence_level
        Passed to :func:`cxlib.drivers.key_drivers`.
    min_base : int
        Touchpoints experienced by fewer customer-quarters (among the matched responses)
        are left out.

    Returns
    -------
    KeyDriverResult
        The driver result of :func:`cxlib.drivers.key_drivers` over the touchpoint columns.

    Notes
    -----
    Each response of quarter q + ``lead`` is matched with the customer's touchpoint
    experiences of quarter q (:func:`touchpoint_experiences`); only customers with at
    least one scored touchpoint that quarter are kept. A touchpoint the customer did not
    experience is set to that touchpoint's mean (mean imputation: it contributes no
    deviation), so each driver's importance combines how often the touchpoint happens
    and how much its experience moves the outcome. The importances are the driver core's
    Shapley (LMG) shares of R² on the correlation matrix (Grömping 2006).

    Examples
    --------
    >>> import cxlib as cx
    >>> d = cx.synthesize(1, n_customers=3000, quarters=3)
    >>> sv = cx.drop_duplicate_responses(d.survey)[0]
    >>> res = touchpoint_drivers(sv, d.touchpoints, n_boot=0, min_base=20)
    >>> bool(res.r_squared > 0)
    True
    """
    check_frame(survey, argument="survey")
    check_columns(survey, [customer, period, outcome], argument="outcome")
    if isinstance(lead, bool) or not isinstance(lead, (int, np.integer)) or lead < 0:
        raise CXDataError(f"`lead`={lead!r} must be a whole number >= 0 (1 = the next wave)")
    check_choice(method, ("shapley", "relative_weights", "ols", "correlation"), argument="method")
    wide = touchpoint_experiences(touchpoints, customer=customer, touchpoint=touchpoint, score=score, time=time,
                                  min_base=0)
    wide["_t"] = _period_index(wide["quarter"], "quarter") + int(lead)
    sv = survey[[customer, period, outcome]].copy()
    sv["_t"] = _period_index(sv[period], period)
    m = sv.merge(wide.drop(columns="quarter"), on=[customer, "_t"])
    tps = [c for c in wide.columns if c not in (customer, "quarter", "_t") and m[c].notna().sum() >= min_base]
    if not tps:
        raise CXDataError(f"no touchpoint has {min_base}+ customers matched to a response {lead} wave(s) later")
    m[tps] = m[tps].fillna(m[tps].mean())
    return key_drivers(m, outcome=outcome, drivers=tps, method=method, n_boot=n_boot, seed=seed,
                       confidence_level=confidence_level)
