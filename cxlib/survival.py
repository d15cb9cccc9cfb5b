"""Survival curves: Kaplan–Meier with Greenwood bands, medians, the log-rank test, and the
survival of every group at one time.

lifelines does the estimation; its fitted objects stay one attribute away
(``result.fitters[group]``, ``result.logrank.test``) next to tidy tables that carry
``estimate, ci_low, ci_high, n``. Charts are in :mod:`cxlib.viz.survival`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .churn.tables import TIMEDELTA_UNITS, as_frame, durations_events
from .core.checks import check_choice, check_columns, check_confidence_level, check_min_base, resolve_weights
from .core.results import SCALES, to_percent
from .errors import CXDataError


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank test of equal survival across groups.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    df : int
        Degrees of freedom (groups - 1).
    p_value : float
    n_groups : int
    method : str
    test : lifelines.statistics.StatisticalResult
        The lifelines result.
    """

    statistic: float
    df: int
    p_value: float
    n_groups: int
    method: str
    test: Any = dataclasses.field(repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """A one-row frame (without the lifelines object)."""
        return pd.DataFrame(
            [{"statistic": self.statistic, "df": self.df, "p_value": self.p_value,
              "n_groups": self.n_groups, "method": self.method}]
        )


@dataclass(frozen=True)
class SurvivalResult:
    """Kaplan-Meier curves per group (see :func:`survival`).

    Attributes
    ----------
    curves : pandas.DataFrame
        group, time, survival, estimate (= survival), std_err (Greenwood), ci_low,
        ci_high, at_risk, events, censored, n (subjects in the group): one row per group
        and distinct time (time 0 included).
    medians : pandas.DataFrame
        group, median, estimate (= median), ci_low, ci_high, n, events, reached,
        min_base, small_base. A curve that stays above 0.5 has no median: ``reached`` is
        False and ``median``/``estimate`` are missing (display: "not reached"), never
        infinite; likewise a bound whose band stays above 0.5 is missing.
    logrank : LogRankResult or None
        Test across groups; ``None`` without ``by`` or with a single group.
    fitters : dict
        ``{group: lifelines.KaplanMeierFitter}``.
    by : str or None
    n, n_dropped : int
        Rows used and rows dropped for a missing duration, event or group.
    confidence_level : float
    method : str
    min_base : int
        Groups with fewer subjects are flagged ``small_base``.
    """

    curves: pd.DataFrame
    medians: pd.DataFrame
    logrank: LogRankResult | None
    fitters: dict = dataclasses.field(repr=False, compare=False)
    by: str | None = None
    n: int = 0
    n_dropped: int = 0
    confidence_level: float = 0.95
    method: str = ""
    min_base: int = 30

    def to_frame(self) -> pd.DataFrame:
        """The tidy curve table."""
        return self.curves.copy()


def _finite_or_nan(x: float) -> float:
    x = float(x)
    return x if np.isfinite(x) else np.nan


def _kaplan_meier(t, e, w, level: float, group: Any):
    """One group's fitted lifelines KaplanMeierFitter, its curve rows and its median row."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    kmf = KaplanMeierFitter(alpha=1 - level, label=str(group))
    kmf.fit(t, e, weights=w)
    et = kmf.event_table
    s = kmf.survival_function_.iloc[:, 0].to_numpy()
    ci = kmf.confidence_interval_survival_function_
    nj = et["at_risk"].to_numpy(dtype=float)
    dj = et["observed"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(dj > 0, dj / (nj * (nj - dj)), 0.0)
    curve = pd.DataFrame(
        {
            "group": group,
            "time": et.index.to_numpy(dtype=float),
            "survival": s,
            "estimate": s,
            "std_err": s * np.sqrt(np.cumsum(terms)),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "at_risk": et["at_risk"].to_numpy(),
            "events": et["observed"].to_numpy(),
            "censored": et["censored"].to_numpy(),
            "n": len(t),
        }
    )
    med_ci = median_survival_times(kmf.confidence_interval_)
    median = _finite_or_nan(kmf.median_survival_time_)
    med = {"group": group, "median": median, "estimate": median,
           "ci_low": _finite_or_nan(med_ci.iloc[0, 0]), "ci_high": _finite_or_nan(med_ci.iloc[0, 1]),
           "n": len(t), "events": int(np.sum(e)), "reached": bool(np.isfinite(median))}
    return kmf, curve, med


def _group_labels(d: pd.DataFrame, by: str | None) -> tuple[np.ndarray, list]:
    groups = d[by].to_numpy() if by is not None else np.array(["all"] * len(d), dtype=object)
    if by is not None and isinstance(d[by].dtype, pd.CategoricalDtype):
        return groups, [g for g in d[by].cat.categories if (groups == g).any()]
    return groups, sorted(pd.unique(groups), key=str)


def survival(
    data: Any,
    *,
    duration: str,
    event: str,
    by: str | None = None,
    weights: str | None = None,
    confidence_level: float = 0.95,
    min_base: int = 30,
    unit: str = "days",
) -> SurvivalResult:
    """Kaplan-Meier survival curves with confidence bands, medians and a log-rank test.

    Parameters
    ----------
    data : pandas.DataFrame or ChurnTable
        One row per subject (e.g. from :func:`cxlib.churn_table`).
    duration : str
        Column of times to churn or censoring (>= 0): numbers (in the table's time unit)
        or time spans (``timedelta64``, converted to ``unit``).
    event : str
        Column coded 1 for churn, 0 for censored (still active); booleans are read as
        1/0, text labels such as "Yes"/"No" are refused (recode them).
    by : str, optional
        Group column (e.g. ``"nps_group"``, a segment); one curve per group.
    weights : str, optional
        Column of case weights, passed to lifelines (the Greenwood-type variance then
        uses weighted counts and is approximate).
    confidence_level : float
        Level of the pointwise bands and median intervals.
    min_base : int
        Groups with fewer subjects are flagged ``small_base`` (medians, :func:`survival_at`).
    unit : {"days", "hours", "weeks", "months"}
        The unit time-span durations are converted to (a month is 365.25 / 12 days); the
        curves' times and medians are then in this unit, and ``method`` says so. Numeric
        durations are used as they are.

    Returns
    -------
    SurvivalResult
        ``curves`` (group, time, survival, estimate, std_err, ci_low, ci_high, at_risk,
        events, censored, n), ``medians``, ``logrank`` and ``fitters[group]``.

    Raises
    ------
    CXDataError
        Missing columns, negative or non-numeric durations, events other than 0/1 (the
        message names the column, the values and their row count).

    Notes
    -----
    Product-limit estimator ``S(t) = Π_{t_j <= t} (1 - d_j / n_j)`` with ``d_j`` events
    among ``n_j`` at risk. Greenwood variance ``Var S(t) = S(t)² Σ d_j / (n_j (n_j - d_j))``
    (reported as ``std_err``). The band is lifelines' log(-log) interval
    ``S(t)^exp(±z σ(t) / log S(t))`` with ``σ² = Σ d_j / (n_j (n_j - d_j))``, which stays
    in [0, 1]. The median's interval is where the band crosses 0.5 (Brookmeyer-Crowley
    style, via ``lifelines.utils.median_survival_times``). The log-rank test compares
    observed and expected events across all groups (chi-square with groups - 1 df).
    Rows with a missing duration, event or group are dropped and counted (``n_dropped``).

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *JASA* 53(282). Greenwood, M. (1926). *The natural duration of cancer.*
    Mantel, N. (1966). Evaluation of survival data and two new rank order statistics.
    *Cancer Chemotherapy Reports* 50(3). Davidson-Pilon, C. lifelines.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"months": [1, 2, 2, 3, 4], "churned": [1, 1, 0, 1, 0]})
    >>> res = survival(d, duration="months", event="churned")
    >>> res.curves[["time", "survival", "at_risk"]].round(3)
       time  survival  at_risk
    0   0.0     1.000        5
    1   1.0     0.800        5
    2   2.0     0.600        4
    3   3.0     0.300        2
    4   4.0     0.300        1
    >>> res.medians[["estimate", "reached", "n"]]
       estimate  reached  n
    0       3.0     True  5
    """
    from lifelines.statistics import multivariate_logrank_test

    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    df = as_frame(data)
    cols = [duration, event] + ([by] if by is not None else [])
    check_columns(df, cols, argument="duration/event/by")
    check_choice(unit, tuple(TIMEDELTA_UNITS), argument="unit")
    t, e = durations_events(df, duration, event, unit=unit)  # every row checked before any is dropped
    keep = ~np.isnan(t) & ~np.isnan(e)
    if by is not None:
        keep &= df[by].notna().to_numpy()
    n_dropped = int((~keep).sum())
    d, t, e = df.loc[keep], t[keep], e[keep]
    if len(d) == 0:
        raise CXDataError(f"no rows left after dropping {n_dropped} row(s) with missing {cols}")
    spans = pd.api.types.is_timedelta64_dtype(df[duration].dtype)
    w = resolve_weights(d, weights, len(d))
    groups, labels = _group_labels(d, by)
    curves, medians, fitters = [], [], {}
    for g in labels:
        m = groups == g
        fitters[g], curve, med = _kaplan_meier(t[m], e[m], None if w is None else w[m], level, g)
        curves.append(curve)
        medians.append(med)
    medians = pd.DataFrame(medians).assign(min_base=min_base)
    medians["small_base"] = medians["n"] < min_base
    logrank = None
    if len(labels) > 1:
        lr = multivariate_logrank_test(t, groups, e, weights=w)
        logrank = LogRankResult(
            statistic=float(lr.test_statistic), df=int(lr.degrees_of_freedom), p_value=float(lr.p_value),
            n_groups=len(labels), method="log-rank (Mantel-Cox) chi-square test across groups, lifelines", test=lr,
        )
    return SurvivalResult(
        curves=pd.concat(curves, ignore_index=True), medians=medians, logrank=logrank, fitters=fitters, by=by,
        n=int(len(d)), n_dropped=n_dropped, confidence_level=level,
        method="Kaplan-Meier with Greenwood variance; log(-log) pointwise bands (lifelines)"
        + ("; weighted counts" if w is not None else "")
        + (f"; time spans in {duration!r} converted to {unit}" if spans else ""),
        min_base=min_base,
    )


def survival_at(result: SurvivalResult, time: float, *, scale: str = "proportion") -> pd.DataFrame:
    """Kaplan-Meier survival of every group at one time, with its pointwise interval.

    Parameters
    ----------
    result : SurvivalResult
        From :func:`survival`.
    time : float
        In the time unit of the curves.
    scale : {"proportion", "percent"}
        Scale of ``estimate``, ``ci_low`` and ``ci_high``.

    Returns
    -------
    pandas.DataFrame
        group, time, estimate, ci_low, ci_high, at_risk (still followed at ``time``),
        n, observed (False when ``time`` is beyond the group's last observation: the
        estimate is then missing rather than extrapolated), min_base, small_base,
        confidence_level, method.

    Notes
    -----
    The curve is a right-continuous step function: ``S(time)`` is the value at the last
    distinct time ``<= time``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"months": [1, 2, 2, 3, 4], "churned": [1, 1, 0, 1, 0]})
    >>> survival_at(survival(d, duration="months", event="churned"), 2.5)[["estimate", "at_risk"]]
       estimate  at_risk
    0       0.6        2
    >>> survival_at(survival(d, duration="months", event="churned"), 2.5, scale="percent")["estimate"].tolist()
    [60.0]
    """
    if not isinstance(result, SurvivalResult):
        raise CXDataError(f"`result` must be a SurvivalResult from cx.survival, got {type(result).__name__}")
    check_choice(scale, SCALES, argument="scale")
    rows = []
    for g, c in result.curves.groupby("group", sort=False, observed=True):
        c = c.sort_values("time")
        k = int(np.searchsorted(c["time"].to_numpy(), time, side="right")) - 1
        observed = bool(time <= c["time"].max())
        r = c.iloc[max(k, 0)]
        later = c.loc[c["time"] > time]
        rows.append({
            "group": g, "time": float(time),
            "estimate": float(r["survival"]) if observed else np.nan,
            "ci_low": float(r["ci_low"]) if observed else np.nan,
            "ci_high": float(r["ci_high"]) if observed else np.nan,
            "at_risk": int(later["at_risk"].iloc[0]) if len(later) else 0,
            "n": int(r["n"]), "observed": observed,
        })
    out = pd.DataFrame(rows)
    out["min_base"] = result.min_base
    out["small_base"] = out["n"] < result.min_base
    out["confidence_level"] = result.confidence_level
    out["method"] = result.method
    return to_percent(out) if scale == "percent" else out
