"""Loyalty and churn outcomes: survival curves, churn drivers, lifetime value, revenue at risk.

The survival and regression work is done by the expert libraries (lifelines,
statsmodels), whose fitted objects stay one attribute away; this module adds the
data-model plumbing (:func:`churn_table`, :func:`churn_intervals`), tidy tables with
uncertainty, and the value calculations (:func:`simple_clv`, :func:`revenue_at_risk`).
BG/NBD and Gamma-Gamma live in :mod:`cxlib.clv`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .core.checks import show_values, check_columns, check_confidence_level, resolve_weights
from .core.inference import normal_quantile
from .errors import CXDataError

__all__ = [
    "ChurnDriversResult",
    "ChurnTable",
    "LogRankResult",
    "RevenueAtRiskResult",
    "SurvivalResult",
    "churn_drivers",
    "churn_findings",
    "churn_intervals",
    "churn_rate_by_group",
    "churn_table",
    "plot_survival",
    "revenue_at_risk",
    "simple_clv",
    "survival",
    "survival_at",
]

NPS_GROUPS = ("promoter", "passive", "detractor")
_UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}



def _frame(data: Any) -> pd.DataFrame:
    if isinstance(data, ChurnTable):
        return data.data
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame or a ChurnTable, got {type(data).__name__}")
    return data


def _durations_events(df: pd.DataFrame, duration: str, event: str) -> tuple[np.ndarray, np.ndarray]:
    t = pd.to_numeric(df[duration], errors="coerce").to_numpy(dtype=float)
    if np.isinf(t).any():
        raise CXDataError(f"column {duration!r} has {int(np.isinf(t).sum())} infinite value(s)")
    neg = t < 0
    if neg.any():
        raise CXDataError(
            f"column {duration!r} has {int(neg.sum())} negative duration(s) {show_values(np.unique(t[neg]))}; "
            "durations run from the start of observation to churn or censoring and must be >= 0"
        )
    e_raw = df[event]
    e = pd.to_numeric(e_raw.astype("object") if e_raw.dtype == bool else e_raw, errors="coerce")
    e = e.astype(float).to_numpy()
    bad = ~np.isnan(e) & ~np.isin(e, [0.0, 1.0])
    if bad.any():
        raise CXDataError(
            f"column {event!r} has {int(bad.sum())} value(s) other than 0/1 {show_values(np.unique(e[bad]))}; "
            "code churn as 1 and still-active (censored) as 0"
        )
    return t, e


# ============================================================================ survival
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
        group, time, survival, std_err (Greenwood), ci_low, ci_high, at_risk, events,
        censored: one row per group and distinct time (time 0 included).
    medians : pandas.DataFrame
        group, median, ci_low, ci_high, n, events (inf when the curve never reaches 0.5).
    logrank : LogRankResult or None
        Test across groups; ``None`` without ``by`` or with a single group.
    fitters : dict
        ``{group: lifelines.KaplanMeierFitter}``.
    by : str or None
    n, n_dropped : int
        Rows used and rows dropped for a missing duration, event or group.
    confidence_level : float
    method : str
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

    def to_frame(self) -> pd.DataFrame:
        """The tidy curve table."""
        return self.curves.copy()


def survival(
    data: Any,
    *,
    duration: str,
    event: str,
    by: str | None = None,
    weights: str | None = None,
    confidence_level: float = 0.95,
) -> SurvivalResult:
    """Kaplan-Meier survival curves with confidence bands, medians and a log-rank test.

    Parameters
    ----------
    data : pandas.DataFrame or ChurnTable
        One row per subject (e.g. from :func:`churn_table`).
    duration : str
        Column of times to churn or censoring (>= 0).
    event : str
        Column coded 1 for churn, 0 for censored (still active).
    by : str, optional
        Group column (e.g. ``"nps_group"``, a segment); one curve per group.
    weights : str, optional
        Column of case weights, passed to lifelines (the Greenwood-type variance then
        uses weighted counts and is approximate).
    confidence_level : float
        Level of the pointwise bands and median intervals.

    Returns
    -------
    SurvivalResult
        ``curves`` (group, time, survival, std_err, ci_low, ci_high, at_risk, events,
        censored), ``medians``, ``logrank`` and ``fitters[group]``.

    Raises
    ------
    CXDataError
        Missing columns, negative durations, events other than 0/1.

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
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test
    from lifelines.utils import median_survival_times

    level = check_confidence_level(confidence_level)
    df = _frame(data)
    cols = [duration, event] + ([by] if by is not None else [])
    check_columns(df, cols, argument="duration/event/by")
    keep = df[[duration, event]].notna().all(axis=1)
    if by is not None:
        keep &= df[by].notna()
    n_dropped = int((~keep).sum())
    d = df.loc[keep]
    if len(d) == 0:
        raise CXDataError(f"no rows left after dropping {n_dropped} row(s) with missing {cols}")
    t, e = _durations_events(d, duration, event)
    w = resolve_weights(d, weights, len(d))
    groups = d[by].to_numpy() if by is not None else np.array(["all"] * len(d), dtype=object)
    if by is not None and isinstance(d[by].dtype, pd.CategoricalDtype):
        labels = [g for g in d[by].cat.categories if (groups == g).any()]
    else:
        labels = sorted(pd.unique(groups), key=str)
    curves, medians, fitters = [], [], {}
    for g in labels:
        m = groups == g
        kmf = KaplanMeierFitter(alpha=1 - level, label=str(g))
        kmf.fit(t[m], e[m], weights=None if w is None else w[m])
        fitters[g] = kmf
        et = kmf.event_table
        s = kmf.survival_function_.iloc[:, 0].to_numpy()
        ci = kmf.confidence_interval_survival_function_
        nj = et["at_risk"].to_numpy(dtype=float)
        dj = et["observed"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(dj > 0, dj / (nj * (nj - dj)), 0.0)
        gw = np.cumsum(terms)
        curves.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time": et.index.to_numpy(dtype=float),
                    "survival": s,
                    "std_err": s * np.sqrt(gw),
                    "ci_low": ci.iloc[:, 0].to_numpy(),
                    "ci_high": ci.iloc[:, 1].to_numpy(),
                    "at_risk": et["at_risk"].to_numpy(),
                    "events": et["observed"].to_numpy(),
                    "censored": et["censored"].to_numpy(),
                }
            )
        )
        med_ci = median_survival_times(kmf.confidence_interval_)
        medians.append(
            {
                "group": g,
                "median": float(kmf.median_survival_time_),
                "ci_low": float(med_ci.iloc[0, 0]),
                "ci_high": float(med_ci.iloc[0, 1]),
                "n": int(m.sum()),
                "events": int(e[m].sum()),
            }
        )
    logrank = None
    if len(labels) > 1:
        lr = multivariate_logrank_test(t, groups, e, weights=w)
        logrank = LogRankResult(
            statistic=float(lr.test_statistic),
            df=int(lr.degrees_of_freedom),
            p_value=float(lr.p_value),
            n_groups=len(labels),
            method="log-rank (Mantel-Cox) chi-square test across groups, lifelines",
            test=lr,
        )
    return SurvivalResult(
        curves=pd.concat(curves, ignore_index=True),
        medians=pd.DataFrame(medians),
        logrank=logrank,
        fitters=fitters,
        by=by,
        n=int(len(d)),
        n_dropped=n_dropped,
        confidence_level=level,
        method="Kaplan-Meier with Greenwood variance; log(-log) pointwise bands (lifelines)"
        + ("; weighted counts" if w is not None else ""),
    )


def plot_survival(result: SurvivalResult, ax=None, *, ci: bool = True):
    """Draw the Kaplan-Meier step curves of a :class:`SurvivalResult` with their bands.

    Parameters
    ----------
    result : SurvivalResult
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    ci : bool
        Shade the precomputed ``ci_low``/``ci_high`` band.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "g": ["a", "a", "b", "b"]})
    >>> ax = plot_survival(survival(d, duration="t", event="e", by="g"))
    >>> ax.get_ylabel()
    'share still customers'
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, SurvivalResult):
        raise CXDataError(f"`result` must be a SurvivalResult from cx.survival, got {type(result).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for g, c in result.curves.groupby("group", sort=False, observed=True):
        n = int(result.medians.loc[result.medians["group"] == g, "n"].iloc[0])
        (line,) = ax.step(c["time"], c["survival"], where="post", label=f"{g} (n={n})")
        if ci:
            ax.fill_between(c["time"], c["ci_low"], c["ci_high"], step="post", alpha=0.2, color=line.get_color())
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time since start of observation")
    ax.set_ylabel("share still customers")
    title = "Kaplan-Meier survival"
    if result.by is not None:
        title += f" by {result.by}"
    if result.logrank is not None:
        title += f" (log-rank p = {result.logrank.p_value:.3g})"
    ax.set_title(title)
    ax.legend(title=result.by, frameon=False)
    ax.annotate(
        f"n = {result.n}; bands: {result.confidence_level:.0%} pointwise",
        xy=(0.01, 0.01), xycoords="axes fraction", fontsize=8, color="0.4",
    )
    return ax


# ============================================================================ churn table
@dataclass(frozen=True)
class ChurnTable:
    """A survival table built from the data model, with what was excluded and why.

    Attributes
    ----------
    data : pandas.DataFrame
        The table (see :func:`churn_table` / :func:`churn_intervals` for columns).
    counts : dict
        Row counts: input rows, rows excluded by reason, censoring notes.
    as_of : pandas.Timestamp
    unit : str
        Time unit of durations and tenure.
    level : str
        ``"customer"``, ``"response"`` or ``"interval"``.
    """

    data: pd.DataFrame
    counts: dict
    as_of: pd.Timestamp
    unit: str
    level: str

    def to_frame(self) -> pd.DataFrame:
        """The table itself."""
        return self.data.copy()

    def __len__(self) -> int:
        return len(self.data)


def _nps_group(ltr: Any) -> pd.Series:
    """Detractor (0-6), passive (7-8), promoter (9-10) as an ordered categorical.

    Categories are ordered promoter, passive, detractor so that promoters are the
    reference level of regression models.
    """
    s = pd.to_numeric(pd.Series(ltr), errors="coerce")
    out = pd.Series(pd.NA, index=s.index, dtype="object")
    out[s >= 9] = "promoter"
    out[(s >= 7) & (s < 9)] = "passive"
    out[s <= 6] = "detractor"
    return pd.Series(pd.Categorical(out, categories=list(NPS_GROUPS)), index=s.index, name="nps_group")


def _dates(df: pd.DataFrame, col: str, frame: str) -> pd.Series:
    try:
        return pd.to_datetime(df[col])
    except (TypeError, ValueError) as exc:
        raise CXDataError(f"column {col!r} of `{frame}` is not parseable as dates: {exc}") from None


def _ids_sample(ids: pd.Series) -> str:
    return show_values(pd.unique(ids))


def churn_table(
    customers: pd.DataFrame,
    survey: pd.DataFrame | None = None,
    *,
    as_of: Any,
    journeys: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    window_days: int = 90,
    unit: str = "months",
    score: str = "ltr",
) -> ChurnTable:
    """Build a survival table (duration, event, covariates) from the cxlib data model.

    Parameters
    ----------
    customers : pandas.DataFrame
        customer_id, signup_date, churn_date (NaT while active); plan, monthly_revenue,
        country, acquisition_channel are carried along when present.
    survey : pandas.DataFrame, optional
        Relational survey (response_id, customer_id, response_date, ``score``; osat,
        ces, quarter, weight when present). With a survey the table has one row per
        response, whose clock starts at the response date.
    as_of : date-like
        End of observation: churn after ``as_of`` is censored at ``as_of``; customers
        signed up and responses given after it are excluded (counted).
    journeys : pandas.DataFrame, optional
        Journey events (customer_id, timestamp, valence); adds ``recent_negative`` = 1 if
        the customer had a negative episode (valence -1) in the ``window_days`` up to the
        response date. Response-level tables only.
    tickets : pandas.DataFrame, optional
        Tickets (customer_id, created_at, reopen_count); adds ``reopened_tickets`` = number
        of tickets created in the ``window_days`` up to the response that were reopened
        at least once. Response-level tables only.
    window_days : int
        Look-back window for ``recent_negative`` and ``reopened_tickets``.
    unit : {"months", "weeks", "days"}
        Time unit of ``duration`` and ``tenure`` (a month is 365.25/12 days).
    score : str
        Likelihood-to-recommend column (0-10) of ``survey``.

    Returns
    -------
    ChurnTable
        ``.data`` with columns customer_id, [response_id, quarter, response_date],
        signup_date, churn_date, ``duration``, ``event`` (1 = churned by ``as_of``),
        ``tenure`` (at the start of the clock; 0 for customer rows), the carried
        customer columns and, with a survey, ``ltr``, ``nps_group`` (categorical;
        promoter first), ``osat``, ``ces``, ``weight``, ``recent_negative``,
        ``reopened_tickets``. ``.counts`` records every exclusion.

    Raises
    ------
    CXDataError
        Duplicate customer ids; missing signup dates; churn before signup; survey
        customers missing from ``customers``; responses before signup or after churn
        (negative durations). The message names the column and counts the rows.

    Notes
    -----
    Customer level: ``duration = (min(churn_date, as_of) - signup_date) / unit``.
    Response level: ``duration = (min(churn_date, as_of) - response_date) / unit`` and
    ``tenure = (response_date - signup_date) / unit``. Covariates are measured before the
    clock starts (no look-ahead). Missing survey answers stay missing (models drop and
    count them).

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": [1, 2, 3],
    ...     "signup_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-06-01"]),
    ...     "churn_date": pd.to_datetime(["2025-07-01", None, "2026-03-01"])})
    >>> tab = churn_table(cust, as_of="2026-01-01", unit="days")
    >>> tab.data[["customer_id", "duration", "event"]]
       customer_id  duration  event
    0            1     181.0      1
    1            2     365.0      0
    2            3     214.0      0
    >>> tab.counts["churn_after_as_of_censored"]
    1
    """
    if unit not in _UNIT_DAYS:
        raise CXDataError(f"`unit`={unit!r} is not supported; use one of {list(_UNIT_DAYS)}")
    per = _UNIT_DAYS[unit]
    as_of = pd.Timestamp(as_of)
    check_columns(customers, ["customer_id", "signup_date", "churn_date"], argument="customers")
    cust = customers.copy()
    cust["signup_date"] = _dates(cust, "signup_date", "customers")
    cust["churn_date"] = _dates(cust, "churn_date", "customers")
    dup = cust["customer_id"].duplicated(keep=False)
    if dup.any():
        raise CXDataError(
            f"column 'customer_id' of `customers` has {int(dup.sum())} duplicated row(s), ids "
            f"{_ids_sample(cust.loc[dup, 'customer_id'])}; one row per customer expected"
        )
    miss = cust["signup_date"].isna()
    if miss.any():
        raise CXDataError(
            f"column 'signup_date' is missing in {int(miss.sum())} row(s) of `customers` "
            f"(customer_id {_ids_sample(cust.loc[miss, 'customer_id'])})"
        )
    before = cust["churn_date"] < cust["signup_date"]
    if before.any():
        raise CXDataError(
            f"column 'churn_date' is before 'signup_date' in {int(before.sum())} row(s) of `customers` "
            f"(customer_id {_ids_sample(cust.loc[before, 'customer_id'])}); fix the dates"
        )
    counts: dict[str, int] = {"customers": int(len(cust))}
    late = cust["signup_date"] > as_of
    counts["customers_signed_up_after_as_of"] = int(late.sum())
    counts["churn_after_as_of_censored"] = int((~late & (cust["churn_date"] > as_of)).sum())
    cust = cust.loc[~late]
    end = cust["churn_date"].where(cust["churn_date"] <= as_of, as_of).fillna(as_of)
    cust["_end"] = end
    cust["event"] = (cust["churn_date"].notna() & (cust["churn_date"] <= as_of)).astype(int)
    carried = [c for c in ("plan", "monthly_revenue", "country", "acquisition_channel") if c in cust.columns]

    if survey is None:
        if journeys is not None or tickets is not None:
            raise CXDataError(
                "`journeys`/`tickets` covariates are measured before each survey response; "
                "pass `survey=` too (customer-level tables carry baseline covariates only)"
            )
        out = pd.DataFrame(
            {
                "customer_id": cust["customer_id"].to_numpy(),
                "signup_date": cust["signup_date"].to_numpy(),
                "churn_date": cust["churn_date"].to_numpy(),
                "duration": ((cust["_end"] - cust["signup_date"]).dt.total_seconds() / 86400 / per).to_numpy(),
                "event": cust["event"].to_numpy(),
                "tenure": 0.0,
            }
        )
        for c in carried:
            out[c] = cust[c].to_numpy()
        counts["rows"] = int(len(out))
        return ChurnTable(out, counts, as_of, unit, "customer")

    check_columns(survey, ["response_id", "customer_id", "response_date", score], argument="survey")
    sv = survey.copy()
    sv["response_date"] = _dates(sv, "response_date", "survey")
    unknown = ~sv["customer_id"].isin(customers["customer_id"])
    if unknown.any():
        raise CXDataError(
            f"column 'customer_id' of `survey` has {int(unknown.sum())} response(s) from "
            f"{sv.loc[unknown, 'customer_id'].nunique()} customer(s) missing from `customers` "
            f"(ids {_ids_sample(sv.loc[unknown, 'customer_id'])}); every respondent must be a customer"
        )
    miss = sv["response_date"].isna()
    if miss.any():
        raise CXDataError(f"column 'response_date' is missing in {int(miss.sum())} row(s) of `survey`")
    counts["responses"] = int(len(sv))
    after = sv["response_date"] > as_of
    counts["responses_after_as_of"] = int(after.sum())
    sv = sv.loc[~after]
    # responses of customers who signed up after as_of are necessarily after as_of too
    keep_cols = ["customer_id", "signup_date", "churn_date", "_end", "event"] + carried
    m = sv.merge(cust[keep_cols], on="customer_id", how="left", validate="many_to_one", suffixes=("_survey", ""))
    pre = m["response_date"] < m["signup_date"]
    if pre.any():
        raise CXDataError(
            f"column 'response_date' is before 'signup_date' in {int(pre.sum())} response(s) "
            f"(response_id {_ids_sample(m.loc[pre, 'response_id'])}): negative tenure"
        )
    post = m["response_date"] > m["_end"]
    if post.any():
        raise CXDataError(
            f"column 'response_date' is after 'churn_date' in {int(post.sum())} response(s) "
            f"(response_id {_ids_sample(m.loc[post, 'response_id'])}): negative duration to churn"
        )
    days = lambda a, b: (a - b).dt.total_seconds().to_numpy() / 86400 / per  # noqa: E731
    out = pd.DataFrame(
        {
            "response_id": m["response_id"].to_numpy(),
            "customer_id": m["customer_id"].to_numpy(),
        }
    )
    if "quarter" in m.columns:
        out["quarter"] = m["quarter"].to_numpy()
    out["response_date"] = m["response_date"].to_numpy()
    out["signup_date"] = m["signup_date"].to_numpy()
    out["churn_date"] = m["churn_date"].to_numpy()
    out["duration"] = days(m["_end"], m["response_date"])
    out["event"] = m["event"].to_numpy()
    out["tenure"] = days(m["response_date"], m["signup_date"])
    for c in carried:
        out[c] = m[c].to_numpy()
    out["ltr"] = pd.to_numeric(m[score], errors="coerce").to_numpy()
    out["nps_group"] = _nps_group(out["ltr"]).to_numpy()
    out["nps_group"] = pd.Categorical(out["nps_group"], categories=list(NPS_GROUPS))
    for c in ("osat", "ces", "weight"):
        if c in m.columns:
            out[c] = pd.to_numeric(m[c], errors="coerce").to_numpy()
    counts["responses_missing_score"] = int(out["ltr"].isna().sum())
    window = pd.Timedelta(days=window_days)
    if journeys is not None:
        check_columns(journeys, ["customer_id", "timestamp", "valence"], argument="journeys")
        neg = journeys.loc[pd.to_numeric(journeys["valence"], errors="coerce") == -1, ["customer_id", "timestamp"]]
        neg = neg.assign(timestamp=pd.to_datetime(neg["timestamp"]))
        j = out[["response_id", "customer_id", "response_date"]].merge(neg, on="customer_id")
        hit = (j["timestamp"] <= j["response_date"]) & (j["timestamp"] > j["response_date"] - window)
        ids = set(j.loc[hit, "response_id"])
        out["recent_negative"] = out["response_id"].isin(ids).astype(int)
    if tickets is not None:
        check_columns(tickets, ["customer_id", "created_at", "reopen_count"], argument="tickets")
        tk = tickets.loc[pd.to_numeric(tickets["reopen_count"], errors="coerce") > 0, ["customer_id", "created_at"]]
        tk = tk.assign(created_at=pd.to_datetime(tk["created_at"]))
        j = out[["response_id", "customer_id", "response_date"]].merge(tk, on="customer_id")
        hit = (j["created_at"] <= j["response_date"]) & (j["created_at"] > j["response_date"] - window)
        n_re = j.loc[hit].groupby("response_id").size()
        out["reopened_tickets"] = out["response_id"].map(n_re).fillna(0).astype(int)
    counts["rows"] = int(len(out))
    return ChurnTable(out, counts, as_of, unit, "response")


def _next_quarter_start(ts: pd.Series) -> pd.Series:
    return (ts.dt.to_period("Q") + 1).dt.start_time


def churn_intervals(
    customers: pd.DataFrame,
    survey: pd.DataFrame,
    *,
    as_of: Any,
    journeys: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    window_days: int = 90,
    unit: str = "months",
    score: str = "ltr",
    until: str = "next_response",
    episode_window: str | int | None = "quarter",
) -> ChurnTable:
    """Start/stop (counting-process) rows from successive survey waves, for time-varying Cox.

    Each response opens an interval on the tenure clock (time since signup) that runs
    to the customer's next response, or to churn / ``as_of`` after the last one
    (``until="quarter_end"`` closes it at the end of the response's calendar quarter
    instead, so that a covariate is only used in the quarter it describes). The
    covariates of an interval are those measured at its opening response; ``event`` is 1
    only on the interval that ends in churn. Customers enter the risk set at their first
    response (delayed entry, handled by the start/stop form). With ``journeys``,
    intervals are also split where a negative episode (valence -1) starts and where its
    effect window ends, and ``negative_episode`` is the time-varying indicator "inside
    the window of a negative episode".

    Parameters
    ----------
    customers, survey, as_of, tickets, window_days, unit, score
        As in :func:`churn_table`.
    journeys : pandas.DataFrame, optional
        As in :func:`churn_table` (adds ``recent_negative``, measured at the response),
        and the source of the time-varying ``negative_episode``.
    until : {"next_response", "quarter_end"}
        Where an interval stops (besides churn and ``as_of``): at the customer's next
        response, or at the earlier of that and the end of the response's quarter (the
        customer is then out of the risk set until her next response).
    episode_window : "quarter", int or None
        How long a negative episode raises the hazard: ``"quarter"`` = from the episode
        to the end of its calendar quarter (how :func:`cxlib.synthesize` plants it); an
        integer = that many days from the episode; ``None`` = no splitting and no
        ``negative_episode`` column.

    Returns
    -------
    ChurnTable
        ``.data`` adds ``start`` and ``stop`` (tenure, in ``unit``) and, with
        ``journeys``, ``negative_episode`` (0/1) to the response-level columns;
        ``.counts`` adds ``same_day_responses_dropped`` (a customer's earlier
        responses on the same date as a later one), ``zero_length_intervals_dropped``
        (a response on the churn date itself) and ``episode_splits`` (rows added by
        splitting at episode boundaries).

    Raises
    ------
    CXDataError
        As :func:`churn_table`; an unknown ``until`` or a bad ``episode_window``.

    Notes
    -----
    Use with ``churn_drivers(table, duration="stop", start="start", event="event",
    id_col="customer_id", ...)``, which fits lifelines' ``CoxTimeVaryingFitter``.
    Splitting an interval changes no covariate but ``negative_episode``, so the
    likelihood is that of the unsplit data when the indicator is left out.

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": [1], "signup_date": pd.to_datetime(["2025-01-01"]),
    ...                      "churn_date": pd.to_datetime(["2025-12-27"])})
    >>> sv = pd.DataFrame({"response_id": [10, 11], "customer_id": [1, 1], "ltr": [9, 3],
    ...     "response_date": pd.to_datetime(["2025-03-01", "2025-09-28"])})
    >>> churn_intervals(cust, sv, as_of="2026-01-01", unit="days").data[["start", "stop", "event", "nps_group"]]
       start   stop  event  nps_group
    0   59.0  270.0      0   promoter
    1  270.0  360.0      1  detractor
    >>> jr = pd.DataFrame({"customer_id": [1], "timestamp": pd.to_datetime(["2025-11-01"]), "valence": [-1]})
    >>> churn_intervals(cust, sv, as_of="2026-01-01", unit="days",
    ...                 journeys=jr).data[["start", "stop", "event", "negative_episode"]]
       start   stop  event  negative_episode
    0   59.0  270.0      0                 0
    1  270.0  304.0      0                 0
    2  304.0  360.0      1                 1
    >>> churn_intervals(cust, sv, as_of="2026-01-01", unit="days",
    ...                 until="quarter_end").data[["start", "stop", "event"]]
       start   stop  event
    0   59.0   90.0      0
    1  270.0  273.0      0
    """
    if until not in ("next_response", "quarter_end"):
        raise CXDataError(f"`until`={until!r} is not supported; use 'next_response' or 'quarter_end'")
    if episode_window is not None and episode_window != "quarter" and (
        isinstance(episode_window, (bool, str)) or int(episode_window) != episode_window or episode_window < 1
    ):
        raise CXDataError(f"`episode_window`={episode_window!r} must be 'quarter', a whole number of days >= 1, or None")
    base = churn_table(
        customers, survey, as_of=as_of, journeys=journeys, tickets=tickets,
        window_days=window_days, unit=unit, score=score,
    )
    per = _UNIT_DAYS[unit]
    d = base.data.sort_values(["customer_id", "response_date", "response_id"], kind="mergesort")
    same_day = d.duplicated(["customer_id", "response_date"], keep="last")
    d = d.loc[~same_day].copy()
    end = d["churn_date"].where(d["event"] == 1, base.as_of)
    nxt = d.groupby("customer_id", sort=False)["response_date"].shift(-1)
    stop_date = nxt.where(nxt.notna(), end)
    churns = nxt.isna() & (d["event"] == 1)
    if until == "quarter_end":
        q_end = _next_quarter_start(d["response_date"])
        closed = q_end < stop_date
        stop_date = stop_date.where(~closed, q_end)
        churns &= ~closed
    d["_start_date"] = d["response_date"]
    d["_stop_date"] = stop_date
    d["event"] = churns.astype(int).to_numpy()
    zero0 = (d["_stop_date"] <= d["_start_date"]).to_numpy()
    d = d.loc[~zero0].copy()
    n_before = len(d)
    if journeys is not None and episode_window is not None:
        neg = journeys.loc[pd.to_numeric(journeys["valence"], errors="coerce") == -1, ["customer_id", "timestamp"]]
        neg = neg.assign(timestamp=pd.to_datetime(neg["timestamp"]))
        neg["_until"] = (
            _next_quarter_start(neg["timestamp"]) if episode_window == "quarter"
            else neg["timestamp"] + pd.Timedelta(days=int(episode_window))
        )
        d["_row"] = np.arange(len(d))
        rows = d[["_row", "customer_id", "_start_date", "_stop_date"]]
        j = rows.merge(neg, on="customer_id")
        pts = pd.concat(
            [
                rows[["_row"]].assign(_t=rows["_start_date"]),
                rows[["_row"]].assign(_t=rows["_stop_date"]),
                j[["_row"]].assign(_t=j["timestamp"]),
                j[["_row"]].assign(_t=j["_until"]),
            ],
            ignore_index=True,
        ).merge(rows[["_row", "_start_date", "_stop_date"]], on="_row")
        pts = pts.loc[(pts["_t"] >= pts["_start_date"]) & (pts["_t"] <= pts["_stop_date"]), ["_row", "_t"]]
        pts = pts.drop_duplicates().sort_values(["_row", "_t"], kind="mergesort")
        pts["_t2"] = pts.groupby("_row", sort=False)["_t"].shift(-1)
        pieces = pts.dropna(subset=["_t2"])
        pieces = pieces.loc[pieces["_t2"] > pieces["_t"]]
        # episode windows covering each piece
        pc = pieces.merge(rows[["_row", "customer_id"]], on="_row").merge(neg, on="customer_id")
        cov = pc.loc[(pc["timestamp"] <= pc["_t"]) & (pc["_until"] >= pc["_t2"]), ["_row", "_t"]].drop_duplicates()
        cov["negative_episode"] = 1
        pieces = pieces.merge(cov, on=["_row", "_t"], how="left")
        pieces["negative_episode"] = pieces["negative_episode"].fillna(0).astype(int)
        d = d.drop(columns=["_start_date", "_stop_date"]).merge(
            pieces.rename(columns={"_t": "_start_date", "_t2": "_stop_date"}), on="_row"
        )
        d = d.sort_values(["customer_id", "_start_date"], kind="mergesort")
        last_piece = d["_stop_date"].eq(d.groupby("_row")["_stop_date"].transform("max"))
        d["event"] = np.where(last_piece, d["event"], 0).astype(int)
        d = d.drop(columns="_row")
    days = lambda a, b: (a - b).dt.total_seconds().to_numpy() / 86400 / per  # noqa: E731
    d["start"] = days(d["_start_date"], d["signup_date"])
    d["stop"] = days(d["_stop_date"], d["signup_date"])
    d = d.drop(columns=["_start_date", "_stop_date"])
    zero = d["stop"] <= d["start"]
    d = d.loc[~zero].reset_index(drop=True)
    counts = dict(base.counts)
    counts["same_day_responses_dropped"] = int(same_day.sum())
    counts["episode_splits"] = int(len(zero) - n_before)
    counts["zero_length_intervals_dropped"] = int(zero0.sum() + zero.sum())
    counts["rows"] = int(len(d))
    return ChurnTable(d, counts, base.as_of, unit, "interval")


# ============================================================================ churn drivers
def _levels(df: pd.DataFrame, covariates: Sequence[str], reference: dict | None) -> dict:
    """Categorical covariates -> [reference, other levels...]."""
    reference = dict(reference or {})
    unknown = [k for k in reference if k not in covariates]
    if unknown:
        raise CXDataError(f"`reference` names {unknown} which are not in `covariates` {list(covariates)}")
    levels = {}
    for c in covariates:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            lv = [x for x in s.cat.categories if (s == x).any()]
        elif s.dtype == object or pd.api.types.is_string_dtype(s) or s.dtype == bool:
            lv = sorted(pd.unique(s.dropna()), key=str)
        else:
            if c in reference:
                raise CXDataError(f"`reference` given for {c!r}, which is numeric, not categorical")
            continue
        if c in reference:
            if reference[c] not in lv:
                raise CXDataError(f"`reference`={reference[c]!r} is not a level of {c!r}; levels: {lv}")
            lv = [reference[c]] + [x for x in lv if x != reference[c]]
        levels[c] = lv
    return levels


def _design(df: pd.DataFrame, covariates: Sequence[str], levels: dict) -> pd.DataFrame:
    """Numeric design matrix; categorical columns become ``col[level]`` indicators."""
    cols = {}
    for c in covariates:
        if c in levels:
            s = df[c]
            extra = set(pd.unique(s.dropna())) - set(levels[c])
            if extra:
                raise CXDataError(f"column {c!r} has level(s) {sorted(extra, key=str)} unseen when the model was fitted")
            for lv in levels[c][1:]:
                cols[f"{c}[{lv}]"] = (s == lv).astype(float).to_numpy()
        else:
            v = df[c]
            if v.dtype == bool:
                v = v.astype(float)
            cols[c] = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(cols, index=df.index)


@dataclass(frozen=True)
class ChurnDriversResult:
    """Cox (and logistic) churn-driver models (see :func:`churn_drivers`).

    Attributes
    ----------
    hazard_ratios : pandas.DataFrame
        term, coef, std_err, hazard_ratio, ci_low, ci_high, p_value.
    ph_test : pandas.DataFrame
        term, statistic, p_value: Schoenfeld-residual test of proportional hazards per
        term (empty for the time-varying model, for which lifelines has no such test).
    odds_ratios : pandas.DataFrame or None
        term, coef, std_err, odds_ratio, ci_low, ci_high, p_value of the logistic model
        of churn within ``horizon``; ``None`` when not fitted.
    model : lifelines.CoxPHFitter or lifelines.CoxTimeVaryingFitter
    logit : statsmodels results or None
    n, n_events, n_dropped : int
        Rows used by the Cox model, churn events among them, rows dropped for missing
        values.
    n_logit, n_logit_censored_excluded : int
        Rows of the logistic model and rows excluded from it because they were censored
        before ``horizon`` (their outcome is unknown).
    spec : dict
        What was fitted (columns, categorical levels, reference levels, horizon).
    confidence_level : float
    method : str
    """

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    odds_ratios: pd.DataFrame | None
    model: Any = dataclasses.field(repr=False, compare=False)
    logit: Any = dataclasses.field(repr=False, compare=False)
    n: int = 0
    n_events: int = 0
    n_dropped: int = 0
    n_logit: int = 0
    n_logit_censored_excluded: int = 0
    spec: dict = dataclasses.field(default_factory=dict, compare=False)
    confidence_level: float = 0.95
    method: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The hazard-ratio table."""
        return self.hazard_ratios.copy()

    def design(self, data: Any) -> pd.DataFrame:
        """The model's design matrix for new rows (same coding as the fit)."""
        df = _frame(data)
        return _design(df, self.spec["covariates"], self.spec["levels"])


def _prepare(df, duration, event, covariates, start, id_col, weights):
    cols = [duration, event, *covariates] + [c for c in (start, id_col) if c is not None]
    if isinstance(weights, str):
        cols.append(weights)
    check_columns(df, cols, argument="duration/event/covariates")
    keep = df[cols].notna().all(axis=1)
    return df.loc[keep], int((~keep).sum())


def _fit_cox(d, duration, event, covariates, levels, weights, level, robust):
    from lifelines import CoxPHFitter

    X = _design(d, covariates, levels)
    fit_df = X.copy()
    t, e = _durations_events(d, duration, event)
    fit_df["__duration"] = t
    fit_df["__event"] = e
    w = resolve_weights(d, weights, len(d))
    if w is not None:
        fit_df["__weight"] = w
    cph = CoxPHFitter(alpha=1 - level)
    cph.fit(
        fit_df, duration_col="__duration", event_col="__event",
        weights_col="__weight" if w is not None else None, robust=robust,
        fit_options={"precision": 1e-10, "max_steps": 100},
    )
    return cph, fit_df


def _coef_table(names, coef, se, level, ratio_name):
    z = normal_quantile(level)
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    return pd.DataFrame(
        {
            "term": list(names),
            "coef": coef,
            "std_err": se,
            ratio_name: np.exp(coef),
            "ci_low": np.exp(coef - z * se),
            "ci_high": np.exp(coef + z * se),
            "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
        }
    )


def churn_drivers(
    table: Any,
    *,
    duration: str = "duration",
    event: str = "event",
    covariates: Sequence[str],
    reference: dict | None = None,
    start: str | None = None,
    id_col: str = "customer_id",
    weights: str | None = None,
    horizon: float | None = 12.0,
    robust: bool = False,
    confidence_level: float = 0.95,
) -> ChurnDriversResult:
    """Cox proportional-hazards model of churn on CX measures, with a logistic alternative.

    Parameters
    ----------
    table : pandas.DataFrame or ChurnTable
        From :func:`churn_table` (one row per customer or response) or
        :func:`churn_intervals` (start/stop rows).
    duration : str
        Time to churn or censoring; with ``start`` given, the interval's stop time.
    event : str
        1 = churned, 0 = censored.
    covariates : sequence of str
        CX measures (e.g. ``nps_group``, ``osat``, ``ces``, ``recent_negative``,
        ``reopened_tickets``) and controls (``tenure``, ``plan``, ``monthly_revenue``).
        Text/categorical columns are coded as indicators ``col[level]`` against a
        reference level.
    reference : dict, optional
        Reference level per categorical covariate; default: the first category of a
        Categorical (promoter for ``nps_group`` from :func:`churn_table`), otherwise the
        first level in sorted order.
    start : str, optional
        Interval start column: fits lifelines' ``CoxTimeVaryingFitter`` on start/stop
        rows (``id_col`` identifies the customer). No PH test or logistic model then.
    id_col : str
        Customer id for the time-varying model.
    weights : str, optional
        Case-weight column (use ``robust=True`` for sandwich standard errors).
    horizon : float or None
        Fit a logistic model of churn within ``horizon`` (in the table's time unit);
        ``None`` skips it.
    robust : bool
        Sandwich (Lin-Wei) standard errors in the Cox model.
    confidence_level : float

    Returns
    -------
    ChurnDriversResult
        ``hazard_ratios``, ``ph_test``, ``odds_ratios``, and the fitted ``model`` /
        ``logit`` objects.

    Raises
    ------
    CXDataError
        Missing columns, negative durations, events not 0/1, unknown reference levels.

    Notes
    -----
    Cox model ``h_i(t) = h_0(t) exp(x_iᵀβ)``, fitted by lifelines with Efron's method for
    tied event times; hazard ratio ``exp(β_j)`` with Wald interval
    ``exp(β_j ± z·SE_j)``. The proportional-hazards check is the Grambsch-Therneau test
    on scaled Schoenfeld residuals against the rank of time
    (``lifelines.statistics.proportional_hazard_test``); small p-values flag a hazard
    ratio that changes over time. The logistic model regresses ``1{churned by horizon}``
    on the same design (statsmodels ``Logit``; a binomial GLM with variance weights and
    HC0 errors when weighted), excluding rows censored before ``horizon``; it ignores
    timing and is the simpler, cruder alternative. Rows with a missing value in any
    used column are dropped and counted (``n_dropped``).

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34(2).
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored data.
    *JASA* 72(359). Grambsch, P. & Therneau, T. (1994). Proportional hazards tests and
    diagnostics based on weighted residuals. *Biometrika* 81(3).

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"detractor": rng.integers(0, 2, 200)})
    >>> d["duration"] = rng.exponential(1 / (0.05 * np.exp(0.7 * d["detractor"])))
    >>> d["event"] = (d["duration"] < 24).astype(int)
    >>> d["duration"] = d["duration"].clip(upper=24)
    >>> res = churn_drivers(d, covariates=["detractor"], horizon=None)
    >>> list(res.hazard_ratios.columns)
    ['term', 'coef', 'std_err', 'hazard_ratio', 'ci_low', 'ci_high', 'p_value']
    >>> bool(res.hazard_ratios["ci_low"].iloc[0] < 2.01 < res.hazard_ratios["ci_high"].iloc[0])
    True
    """
    level = check_confidence_level(confidence_level)
    df = _frame(table)
    covariates = list(covariates)
    if not covariates:
        raise CXDataError("`covariates` is empty; name at least one column")
    d, n_dropped = _prepare(df, duration, event, covariates, start, id_col if start else None, weights)
    if len(d) == 0:
        raise CXDataError(f"no rows left after dropping {n_dropped} row(s) with missing values")
    levels = _levels(d, covariates, reference)
    t, e = _durations_events(d, duration, event)
    spec = {
        "duration": duration, "event": event, "covariates": tuple(covariates), "levels": levels,
        "start": start, "id_col": id_col, "weights": weights, "horizon": horizon, "robust": robust,
    }
    if start is not None:
        from lifelines import CoxTimeVaryingFitter

        s0 = pd.to_numeric(d[start], errors="coerce").to_numpy(dtype=float)
        bad = s0 >= t
        if bad.any():
            raise CXDataError(
                f"column {start!r} is not before {duration!r} in {int(bad.sum())} row(s); "
                "intervals need start < stop"
            )
        X = _design(d, covariates, levels)
        fit_df = X.copy()
        fit_df["__id"] = d[id_col].to_numpy()
        fit_df["__start"] = s0
        fit_df["__stop"] = t
        fit_df["__event"] = e
        w = resolve_weights(d, weights, len(d))
        if w is not None:
            fit_df["__weight"] = w
        ctv = CoxTimeVaryingFitter(alpha=1 - level)
        ctv.fit(
            fit_df, event_col="__event", start_col="__start", stop_col="__stop", id_col="__id",
            weights_col="__weight" if w is not None else None, robust=robust,
            fit_options={"precision": 1e-10, "max_steps": 100},
        )
        hr = _coef_table(X.columns, ctv.params_.to_numpy(), ctv.standard_errors_.to_numpy(), level, "hazard_ratio")
        return ChurnDriversResult(
            hazard_ratios=hr,
            ph_test=pd.DataFrame(columns=["term", "statistic", "p_value"]),
            odds_ratios=None, model=ctv, logit=None,
            n=int(len(d)), n_events=int(e.sum()), n_dropped=n_dropped, spec=spec,
            confidence_level=level,
            method="time-varying Cox (start/stop rows), Efron ties, lifelines CoxTimeVaryingFitter"
            + ("; robust SEs" if robust else ""),
        )

    from lifelines.statistics import proportional_hazard_test

    cph, fit_df = _fit_cox(d, duration, event, covariates, levels, weights, level, robust)
    names = [c for c in fit_df.columns if not c.startswith("__")]
    hr = _coef_table(names, cph.params_[names].to_numpy(), cph.standard_errors_[names].to_numpy(), level, "hazard_ratio")
    pht = proportional_hazard_test(cph, fit_df, time_transform="rank")
    ph = pht.summary.reset_index()
    ph = pd.DataFrame(
        {"term": ph.iloc[:, 0].astype(str), "statistic": ph["test_statistic"].to_numpy(), "p_value": ph["p"].to_numpy()}
    )

    odds, logit, n_logit, n_excl = None, None, 0, 0
    if horizon is not None:
        import statsmodels.api as sm

        y = np.where((e == 1) & (t <= horizon), 1.0, 0.0)
        known = ~((e == 0) & (t < horizon))
        n_excl = int((~known).sum())
        Xl = sm.add_constant(fit_df.loc[known, names], has_constant="add")
        yl = y[known]
        if len(np.unique(yl)) < 2:
            raise CXDataError(
                f"no variation in churn within horizon={horizon} among {int(known.sum())} rows with a known "
                "outcome; choose another `horizon` or pass horizon=None"
            )
        if "__weight" in fit_df.columns:
            logit = sm.GLM(yl, Xl, family=sm.families.Binomial(), var_weights=fit_df.loc[known, "__weight"]).fit(
                cov_type="HC0"
            )
        else:
            logit = sm.Logit(yl, Xl).fit(disp=0)
        odds = _coef_table(names, logit.params[names].to_numpy(), logit.bse[names].to_numpy(), level, "odds_ratio")
        n_logit = int(known.sum())
    return ChurnDriversResult(
        hazard_ratios=hr, ph_test=ph, odds_ratios=odds, model=cph, logit=logit,
        n=int(len(d)), n_events=int(e.sum()), n_dropped=n_dropped,
        n_logit=n_logit, n_logit_censored_excluded=n_excl, spec=spec, confidence_level=level,
        method="Cox proportional hazards, Efron ties (lifelines CoxPHFitter); Schoenfeld PH test (rank time)"
        + ("; robust SEs" if robust else "")
        + (f"; logistic churn within {horizon:g} (statsmodels)" if horizon is not None else ""),
    )


# ============================================================================ value
def _value(data, x, name, n):
    if x is None:
        return None
    if isinstance(x, str):
        if data is None:
            raise CXDataError(f"`{name}`={x!r} names a column but `data` is None")
        check_columns(data, [x], argument=name)
        v = pd.to_numeric(data[x], errors="coerce").to_numpy(dtype=float)
    else:
        v = np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy()
    if np.isnan(v).any():
        raise CXDataError(f"`{name}` has {int(np.isnan(v).sum())} missing or non-numeric value(s)")
    return v


def simple_clv(
    data: pd.DataFrame | None = None,
    *,
    margin: Any,
    monthly_churn: Any = None,
    retention: Any = None,
    churn_ci: tuple[Any, Any] | None = None,
    discount_rate: float = 0.0,
    horizon: int | None = None,
    by: Sequence[str] | str | None = None,
    confidence_level: float | None = None,
) -> pd.DataFrame:
    """Transparent customer lifetime value: margin × (discounted) geometric lifetime.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per segment or customer when the inputs are column names; ``None`` when
        every input is a number (or an :class:`~cxlib.core.results.Estimate`).
    margin : str or float
        Margin per period (e.g. monthly revenue × gross margin %).
    monthly_churn : str, float or Estimate
        Churn probability per period. An ``Estimate`` (e.g. from ``cx.churn_rate``)
        supplies its interval too.
    retention : str or float
        ``1 - monthly_churn``; give one of the two.
    churn_ci : (low, high), optional
        Columns or numbers bounding the churn rate; propagated to ``ci_low``/``ci_high``.
    discount_rate : float
        Discount rate per period (monthly: ``(1 + annual) ** (1/12) - 1``).
    horizon : int, optional
        Cap the lifetime at ``horizon`` periods; ``None`` = infinite.
    by : str or sequence of str, optional
        Columns of ``data`` to carry into the result as identifiers.
    confidence_level : float, optional
        Level of ``churn_ci`` (recorded only); taken from an ``Estimate`` when given.

    Returns
    -------
    pandas.DataFrame
        [by...], margin, monthly_churn, churn_ci_low, churn_ci_high, discount_rate,
        expected_lifetime, clv, ci_low, ci_high, confidence_level, method.

    Raises
    ------
    CXDataError
        Churn outside (0, 1], negative discount rate, both or neither of
        ``monthly_churn`` / ``retention``.

    Notes
    -----
    The margin ``m`` is received at the start of every period the customer is still
    active; a customer stays each further period with probability ``r = 1 - c``
    (geometric lifetime), and money in period ``t`` is worth ``(1 + d)^-t`` today.
    With ``q = r / (1 + d)``:

    ``CLV = Σ_{t=0}^{H-1} m q^t = m (1 - q^H) / (1 - q)``, and ``m / (1 - q) =
    m (1 + d) / (c + d)`` for ``H = ∞``.

    Without discounting, ``CLV = m × E[lifetime] = m / c``: the expected lifetime of a
    geometric lifetime counting the current period is ``1 / c`` periods
    (``expected_lifetime`` reports the undiscounted, horizon-capped
    ``(1 - r^H) / (1 - r)``). CLV decreases in ``c``, so the interval maps the churn
    interval's ends exactly: ``ci_low = CLV(churn_ci_high)``,
    ``ci_high = CLV(churn_ci_low)``. It ignores margin uncertainty. Some texts count the
    first margin only after one retained period (``m r / (1 + d - r)``); multiply by
    ``q`` to convert.

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive
    Marketing* 17(1). Fader, P. S. & Hardie, B. G. S. (2012). Reconciling and clarifying
    CLV formulas. Note, brucehardie.com.

    Examples
    --------
    >>> out = simple_clv(margin=30.0, monthly_churn=0.02, churn_ci=(0.015, 0.025))
    >>> out[["expected_lifetime", "clv", "ci_low", "ci_high"]]
       expected_lifetime     clv  ci_low  ci_high
    0               50.0  1500.0  1200.0   2000.0
    """
    from .core.results import Estimate

    if (monthly_churn is None) == (retention is None):
        raise CXDataError("give exactly one of `monthly_churn` and `retention`")
    n = len(data) if data is not None else 1
    level = confidence_level
    lo = hi = None
    if isinstance(monthly_churn, Estimate):
        level = monthly_churn.confidence_level
        lo, hi = monthly_churn.ci_low, monthly_churn.ci_high
        monthly_churn = monthly_churn.estimate
    c = _value(data, monthly_churn, "monthly_churn", n)
    if c is None:
        c = 1.0 - _value(data, retention, "retention", n)
    if churn_ci is not None:
        lo, hi = churn_ci
    c_lo = _value(data, lo, "churn_ci", n) if lo is not None else np.full(n, np.nan)
    c_hi = _value(data, hi, "churn_ci", n) if hi is not None else np.full(n, np.nan)
    m = _value(data, margin, "margin", n)
    for name, v in (("monthly_churn", c), ("churn_ci low", c_lo), ("churn_ci high", c_hi)):
        bad = ~np.isnan(v) & ((v <= 0) | (v > 1))
        if bad.any():
            raise CXDataError(
                f"`{name}` has {int(bad.sum())} value(s) outside (0, 1] {show_values(np.unique(v[bad]))}; "
                "churn is a probability per period (0.02 = 2 %)"
            )
    if discount_rate < 0:
        raise CXDataError(f"`discount_rate`={discount_rate!r} must be >= 0 (per period)")
    if horizon is not None and (int(horizon) != horizon or horizon < 1):
        raise CXDataError(f"`horizon`={horizon!r} must be a whole number of periods >= 1, or None")

    def clv(cc):
        q = (1 - cc) / (1 + discount_rate)
        if horizon is None:
            return m / (1 - q)
        return m * (1 - q**horizon) / (1 - q)

    r = 1 - c
    life = 1 / c if horizon is None else (1 - r**horizon) / c
    out = pd.DataFrame(index=range(n))
    if by is not None:
        by_cols = [by] if isinstance(by, str) else list(by)
        check_columns(data, by_cols, argument="by")
        for b in by_cols:
            out[b] = data[b].to_numpy()
    out["margin"] = m
    out["monthly_churn"] = c
    out["churn_ci_low"] = c_lo
    out["churn_ci_high"] = c_hi
    out["discount_rate"] = float(discount_rate)
    out["expected_lifetime"] = life
    out["clv"] = clv(c)
    out["ci_low"] = clv(c_hi)
    out["ci_high"] = clv(c_lo)
    out["confidence_level"] = np.nan if level is None else float(level)
    out["method"] = (
        "geometric lifetime, margin at the start of each period"
        + (f", discounted at {discount_rate:g}/period" if discount_rate else "")
        + (f", capped at {horizon} periods" if horizon else "")
        + "; interval from the churn interval's ends"
    )
    return out


@dataclass(frozen=True)
class RevenueAtRiskResult:
    """Revenue at risk from churn, by group (see :func:`revenue_at_risk`).

    Attributes
    ----------
    table : pandas.DataFrame
        [by...], quantity ("revenue_at_risk", "protected_if_moved"), estimate,
        std_err (bootstrap), ci_low, ci_high, revenue (per period of ``horizon`` length),
        n, confidence_level, method.
    horizon : float
    n_boot, seed : int
    assumptions : str
    """

    table: pd.DataFrame
    horizon: float
    n_boot: int
    seed: int | None
    assumptions: str
    confidence_level: float

    def to_frame(self) -> pd.DataFrame:
        """The tidy table."""
        return self.table.copy()


def _churn_prob(model: ChurnDriversResult, d: pd.DataFrame, horizon: float) -> np.ndarray:
    """``1 - exp(-H_0(h) exp(x'β))`` with the Breslow baseline as a step function.

    (lifelines' ``predict_survival_function(times=...)`` interpolates linearly between
    event times; the estimator is a right-continuous step function.)
    """
    cph = model.model
    X = model.design(d).reset_index(drop=True)
    H = cph.baseline_cumulative_hazard_.iloc[:, 0]
    k = np.searchsorted(H.index.to_numpy(dtype=float), horizon, side="right") - 1
    h0 = float(H.iloc[k]) if k >= 0 else 0.0
    return 1.0 - np.exp(-h0 * cph.predict_partial_hazard(X).to_numpy(dtype=float))


#: label of the total rows that :func:`revenue_at_risk` adds when grouping by ``by``
TOTAL_LABEL = "(all)"


def _members(inverse: np.ndarray, n_ids: int) -> list[np.ndarray]:
    """Row indices of each id (ids coded 0..n_ids-1 in ``inverse``), in one sort."""
    order = np.argsort(inverse, kind="stable")
    return np.split(order, np.cumsum(np.bincount(inverse, minlength=n_ids))[:-1])


def revenue_at_risk(
    table: Any,
    *,
    revenue: str = "monthly_revenue",
    churn_probability: str | None = None,
    model: ChurnDriversResult | None = None,
    by: Sequence[str] | str | None = None,
    horizon: float = 12.0,
    group: str = "nps_group",
    move_from: str = "detractor",
    move_to: str = "passive",
    id_col: str | None = "customer_id",
    fit_data: Any = None,
    n_boot: int = 200,
    seed: int | None = None,
    confidence_level: float = 0.95,
) -> RevenueAtRiskResult:
    """Expected revenue lost to churn over the next period, and what moving detractors would protect.

    Parameters
    ----------
    table : pandas.DataFrame or ChurnTable
        One row per customer (or per response) with ``revenue`` and the model's
        covariates; ``tenure``-type covariates describe each customer now.
    revenue : str
        Revenue per time unit (e.g. ``monthly_revenue``).
    churn_probability : str, optional
        Column with each row's probability of churning within ``horizon``. Give this or
        ``model``.
    model : ChurnDriversResult, optional
        A (non-time-varying) Cox fit from :func:`churn_drivers`; churn probabilities are
        ``1 - S_i(horizon)``, and the bootstrap refits it on every resample.
    by : str or sequence of str, optional
        Segment / CX-group columns (e.g. ``["plan", "nps_group"]``); a total otherwise.
    horizon : float
        Length of the period, in the table's time unit.
    group, move_from, move_to : str
        The scenario: rows with ``group == move_from`` recoded to ``move_to`` (needs
        ``model`` with ``group`` as a covariate).
    id_col : str or None
        Customer id; the bootstrap resamples customers (all their rows together).
        ``None`` resamples rows.
    fit_data : pandas.DataFrame or ChurnTable, optional
        The table ``model`` was fitted on, when it is not ``table`` (e.g. the model is
        fitted on past follow-up and applied to today's active customers): each bootstrap
        replicate then refits on a customer resample of ``fit_data`` and, independently,
        resamples the customers of ``table``.
    n_boot : int
        Bootstrap replicates (percentile intervals). 0 skips the intervals.
    seed : int, optional
        Seed of the bootstrap's random generator.
    confidence_level : float

    Returns
    -------
    RevenueAtRiskResult
        ``table`` with, per group, the expected revenue at risk and (with a model) the
        revenue protected by the move, each with bootstrap ``std_err``/``ci_low``/``ci_high``.
        With ``by`` and more than one group, total rows (every ``by`` column set to
        ``"(all)"``) follow, computed from the same resamples.

    Raises
    ------
    CXDataError
        Missing columns, negative revenue, probabilities outside [0, 1], neither or both
        of ``churn_probability`` and ``model``, a time-varying model.

    Notes
    -----
    ``revenue_at_risk = Σ_i p_i · rev_i · horizon`` with ``p_i = P(churn within horizon)``:
    the run-rate revenue of one period of length ``horizon`` carried by the customers
    expected to churn within it. The move scenario recomputes ``p_i`` with the group
    indicator switched, ``p_i' = 1 - S_0(h)^{exp(x_i'ᵀβ)}``, and reports
    ``Σ_{i ∈ from} (p_i - p_i') · rev_i · horizon``.

    Assumptions: (1) the hazard ratio of the NPS group is read causally — moving a
    detractor's experience to a passive's would change her hazard by that ratio, with
    everything else equal (confounding by unmeasured factors would bias this);
    (2) revenue per time unit stays constant over the horizon and a churner's revenue
    is lost for the whole period; (3) the model's proportional hazards and baseline
    hazard hold up to ``horizon`` (not extrapolated beyond the follow-up);
    (4) customers are independent. Intervals resample customers with replacement and,
    with a model, refit it on each resample (percentile intervals; they include
    model-estimation uncertainty but not the scenario's causal uncertainty).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": [1, 2, 3, 4], "monthly_revenue": [10.0, 20.0, 30.0, 40.0],
    ...                   "p": [0.1, 0.2, 0.1, 0.5], "plan": ["a", "a", "b", "b"]})
    >>> res = revenue_at_risk(d, churn_probability="p", by="plan", horizon=12, n_boot=0)
    >>> res.table[["plan", "quantity", "estimate"]]
        plan         quantity  estimate
    0      a  revenue_at_risk      60.0
    1      b  revenue_at_risk     276.0
    2  (all)  revenue_at_risk     336.0
    """
    level = check_confidence_level(confidence_level)
    df = _frame(table)
    if (churn_probability is None) == (model is None):
        raise CXDataError("give exactly one of `churn_probability` (a column) and `model` (a churn_drivers result)")
    if model is not None and not isinstance(model, ChurnDriversResult):
        raise CXDataError(f"`model` must be a ChurnDriversResult from cx.churn_drivers, got {type(model).__name__}")
    if model is not None and model.spec.get("start") is not None:
        raise CXDataError("`model` is a time-varying Cox model; fit churn_drivers without `start=` for revenue_at_risk")
    if horizon <= 0:
        raise CXDataError(f"`horizon`={horizon!r} must be > 0")
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    need = [revenue, *by_cols] + ([churn_probability] if churn_probability else []) + ([id_col] if id_col else [])
    if model is not None:
        need += list(model.spec["covariates"])
    check_columns(df, list(dict.fromkeys(need)), argument="revenue/by/covariates")
    keep = df[list(dict.fromkeys(need))].notna().all(axis=1)
    n_dropped = int((~keep).sum())
    d = df.loc[keep].reset_index(drop=True)
    rev = pd.to_numeric(d[revenue], errors="coerce").to_numpy(dtype=float)
    if (rev < 0).any() or np.isnan(rev).any():
        raise CXDataError(f"column {revenue!r} has {int(((rev < 0) | np.isnan(rev)).sum())} negative or non-numeric value(s)")
    if model is not None:
        t_max = float(model.model.durations.max())
        if horizon > t_max:
            raise CXDataError(
                f"`horizon`={horizon!r} exceeds the longest follow-up in the model's data ({t_max:g}); "
                "the baseline hazard cannot be extrapolated"
            )
    scenario = model is not None and group in model.spec["covariates"]
    if scenario:
        lv = model.spec["levels"].get(group, [])
        for v in (move_from, move_to):
            if v not in lv:
                raise CXDataError(f"`{v}` is not a level of {group!r} in the model; levels: {lv}")

    keys = (
        d[by_cols].astype("object").apply(tuple, axis=1) if by_cols else pd.Series([("all",)] * len(d))
    )
    labels = list(dict.fromkeys(sorted(keys, key=str)))
    key_idx = pd.Categorical(keys, categories=labels).codes

    def compute(rows: np.ndarray, fitted: ChurnDriversResult | None) -> np.ndarray:
        sub = d.iloc[rows]
        if churn_probability is not None:
            p = pd.to_numeric(sub[churn_probability], errors="coerce").to_numpy(dtype=float)
        else:
            p = _churn_prob(fitted, sub, horizon)
        loss = p * rev[rows] * horizon
        out = np.zeros((len(labels), 2))
        out[:, 0] = np.bincount(key_idx[rows], weights=loss, minlength=len(labels))
        if scenario:
            moved = sub[group].astype("object") == move_from
            alt = sub.copy()
            if isinstance(alt[group].dtype, pd.CategoricalDtype):
                alt[group] = alt[group].astype("object")
            alt.loc[moved, group] = move_to
            p2 = _churn_prob(fitted, alt, horizon)
            gain = np.where(moved, (p - p2) * rev[rows] * horizon, 0.0)
            out[:, 1] = np.bincount(key_idx[rows], weights=gain, minlength=len(labels))
        else:
            out[:, 1] = np.nan
        return out

    if churn_probability is not None:
        p = pd.to_numeric(d[churn_probability], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(p) | (p < 0) | (p > 1)
        if bad.any():
            raise CXDataError(f"column {churn_probability!r} has {int(bad.sum())} value(s) outside [0, 1]")
    all_rows = np.arange(len(d))
    point = compute(all_rows, model)
    boots = []
    if n_boot:
        rng = np.random.default_rng(seed)
        ids = d[id_col].to_numpy() if id_col else all_rows
        uniq, inv = np.unique(ids, return_inverse=True)
        members = _members(inv, len(uniq)) if id_col else None
        if fit_data is not None:
            fd = _frame(fit_data).reset_index(drop=True)
            f_ids = fd[id_col].to_numpy() if id_col else np.arange(len(fd))
            f_uniq, f_inv = np.unique(f_ids, return_inverse=True)
            f_members = _members(f_inv, len(f_uniq))
        for _ in range(int(n_boot)):
            draw = rng.integers(0, len(uniq), len(uniq))
            rows = np.concatenate([members[k] for k in draw]) if id_col else draw
            fitted = None
            if model is not None:
                sp = model.spec
                if fit_data is None:
                    sample = d.iloc[rows].reset_index(drop=True)
                else:
                    fdraw = rng.integers(0, len(f_uniq), len(f_uniq))
                    sample = fd.iloc[np.concatenate([f_members[k] for k in fdraw])].reset_index(drop=True)
                try:
                    fitted = churn_drivers(
                        sample, duration=sp["duration"], event=sp["event"], covariates=list(sp["covariates"]),
                        reference={k: v[0] for k, v in sp["levels"].items()}, weights=sp["weights"],
                        horizon=None, robust=False, confidence_level=level,
                    )
                except (CXDataError, ValueError, ArithmeticError):
                    # a resample lacking a level or failing to converge: skip it
                    continue
            boots.append(compute(rows, fitted))
    boots = np.array(boots) if boots else np.empty((0, len(labels), 2))
    a = (1 - level) / 2
    rows_out = []
    revenue_total = np.bincount(key_idx, weights=rev * horizon, minlength=len(labels))
    n_by = np.bincount(key_idx, minlength=len(labels))
    quantities = ["revenue_at_risk"] + ([f"protected_if_{move_from}_to_{move_to}"] if scenario else [])
    if by_cols and len(labels) > 1:
        # a total over the groups, from the same resamples (so its interval is consistent)
        labels = [*labels, tuple(TOTAL_LABEL for _ in by_cols)]
        point = np.vstack([point, point.sum(axis=0, keepdims=True)])
        boots = np.concatenate([boots, boots.sum(axis=1, keepdims=True)], axis=1)
        revenue_total = np.append(revenue_total, revenue_total.sum())
        n_by = np.append(n_by, n_by.sum())
    for gi, lab in enumerate(labels):
        for qi, qname in enumerate(quantities):
            b = boots[:, gi, qi] if len(boots) else np.array([])
            row = dict(zip(by_cols, lab)) if by_cols else {}
            row.update(
                quantity=qname,
                estimate=float(point[gi, qi]),
                std_err=float(np.std(b, ddof=1)) if len(b) > 1 else np.nan,
                ci_low=float(np.quantile(b, a)) if len(b) else np.nan,
                ci_high=float(np.quantile(b, 1 - a)) if len(b) else np.nan,
                revenue=float(revenue_total[gi]),
                n=int(n_by[gi]),
            )
            rows_out.append(row)
    out = pd.DataFrame(rows_out)
    out["confidence_level"] = level
    out["method"] = (
        f"Σ p_i·revenue_i·{horizon:g}; "
        + ("Cox 1 - S_i(horizon)" if model is not None else f"p from column {churn_probability!r}")
        + (f"; percentile bootstrap, {len(boots)} of {n_boot} resamples of "
           + ("customers" if id_col else "rows") if n_boot else "; no interval (n_boot=0)")
        + (f"; {n_dropped} row(s) with missing values dropped" if n_dropped else "")
    )
    return RevenueAtRiskResult(
        table=out, horizon=float(horizon), n_boot=int(n_boot), seed=seed,
        assumptions="causal reading of the NPS-group hazard ratio; constant revenue over the horizon, lost in "
        "full on churn; proportional hazards and baseline hazard valid up to the horizon; independent customers",
        confidence_level=level,
    )


# ============================================================================ report helpers
def survival_at(result: SurvivalResult, time: float) -> pd.DataFrame:
    """Kaplan-Meier survival of every group at one time, with its pointwise interval.

    Parameters
    ----------
    result : SurvivalResult
        From :func:`survival`.
    time : float
        In the time unit of the curves.

    Returns
    -------
    pandas.DataFrame
        group, time, estimate, ci_low, ci_high, at_risk (still followed at ``time``),
        n, observed (False when ``time`` is beyond the group's last observation: the
        estimate is then missing rather than extrapolated), confidence_level, method.

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
    """
    if not isinstance(result, SurvivalResult):
        raise CXDataError(f"`result` must be a SurvivalResult from cx.survival, got {type(result).__name__}")
    rows = []
    for g, c in result.curves.groupby("group", sort=False, observed=True):
        c = c.sort_values("time")
        k = int(np.searchsorted(c["time"].to_numpy(), time, side="right")) - 1
        observed = bool(time <= c["time"].max())
        r = c.iloc[max(k, 0)]
        n = int(result.medians.loc[result.medians["group"] == g, "n"].iloc[0])
        later = c.loc[c["time"] > time]
        rows.append({
            "group": g, "time": float(time),
            "estimate": float(r["survival"]) if observed else np.nan,
            "ci_low": float(r["ci_low"]) if observed else np.nan,
            "ci_high": float(r["ci_high"]) if observed else np.nan,
            "at_risk": int(later["at_risk"].iloc[0]) if len(later) else 0,
            "n": n, "observed": observed,
        })
    out = pd.DataFrame(rows)
    out["confidence_level"] = result.confidence_level
    out["method"] = result.method
    return out


def churn_rate_by_group(
    data: Any,
    *,
    duration: str = "duration",
    event: str = "event",
    by: str | Sequence[str],
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> pd.DataFrame:
    """Churn per unit of time at risk (events / exposure) by group, with exact Poisson intervals.

    Parameters
    ----------
    data : pandas.DataFrame or ChurnTable
        One row per subject (or per start/stop interval when ``duration`` is an
        exposure length).
    duration, event : str
        Exposure in the table's unit and 0/1 churn.
    by : str or sequence of str
    confidence_level : float
    min_base : int
        Groups with fewer subjects are flagged ``small_base``.

    Returns
    -------
    pandas.DataFrame
        [by...], events, exposure, estimate (events per unit of exposure), ci_low,
        ci_high, n, min_base, small_base, confidence_level, method.

    Notes
    -----
    Constant hazard within a group: ``λ = d / T``. Garwood's exact interval
    ``[χ²_{α/2}(2d) / 2T, χ²_{1-α/2}(2d + 2) / 2T]``. With a monthly unit, ``λ`` is
    the monthly hazard; the monthly churn probability is ``1 - exp(-λ) ≈ λ``.

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": ["a", "a", "b"], "duration": [10.0, 10.0, 5.0], "event": [1, 0, 1]})
    >>> churn_rate_by_group(d, by="g", min_base=1)[["g", "events", "exposure", "estimate"]]
       g  events  exposure  estimate
    0  a       1      20.0      0.05
    1  b       1       5.0      0.20
    """
    level = check_confidence_level(confidence_level)
    df = _frame(data)
    by_cols = [by] if isinstance(by, str) else list(by)
    check_columns(df, [duration, event, *by_cols], argument="duration/event/by")
    d = df.loc[df[[duration, event, *by_cols]].notna().all(axis=1)]
    t, e = _durations_events(d, duration, event)
    g = d.assign(_t=t, _e=e).groupby(by_cols, observed=True, sort=True)
    out = g.agg(events=("_e", "sum"), exposure=("_t", "sum"), n=("_t", "size")).reset_index()
    a = 1 - level
    k = out["events"].to_numpy(dtype=float)
    T = out["exposure"].to_numpy(dtype=float)
    out["events"] = k.astype(int)
    out["estimate"] = k / T
    out["ci_low"] = np.where(k > 0, stats.chi2.ppf(a / 2, 2 * k) / (2 * T), 0.0)
    out["ci_high"] = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / (2 * T)
    out["min_base"] = int(min_base)
    out["small_base"] = out["n"] < min_base
    out["confidence_level"] = level
    out["method"] = "events / exposure (constant hazard); Garwood exact Poisson interval"
    return out[[*by_cols, "events", "exposure", "estimate", "ci_low", "ci_high", "n", "min_base",
                "small_base", "confidence_level", "method"]]


def _fmt_money(x: float) -> str:
    return f"{x:,.0f}"


def churn_findings(
    *,
    rates: pd.DataFrame | None = None,
    drivers: ChurnDriversResult | None = None,
    at_risk: RevenueAtRiskResult | None = None,
    group: str = "nps_group",
    term: str = "nps_group[detractor]",
    currency: str = "",
) -> list[str]:
    """One-sentence findings for the loyalty and churn report, every number from a result.

    Parameters
    ----------
    rates : pandas.DataFrame, optional
        From :func:`churn_rate_by_group` by ``group`` (monthly unit).
    drivers : ChurnDriversResult, optional
        Its hazard ratio ``term`` is quoted.
    at_risk : RevenueAtRiskResult, optional
        Rows of ``revenue_at_risk`` and the move scenario are summed into totals
        (per-group intervals are not additive, so totals are quoted without one).
    group, term, currency : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"nps_group": ["promoter", "detractor"], "estimate": [0.01, 0.025],
    ...                   "ci_low": [0.008, 0.02], "ci_high": [0.012, 0.03], "n": [500, 200],
    ...                   "small_base": [False, False]})
    >>> churn_findings(rates=r)[0]
    'Detractors churn at 2.50 % a month [2.00, 3.00] (n = 200), promoters at 1.00 % [0.80, 1.20] (n = 500): 2.5 times as often.'
    """
    out: list[str] = []
    if rates is not None:
        r = rates.set_index(group)
        if {"detractor", "promoter"} <= set(r.index):
            d, p = r.loc["detractor"], r.loc["promoter"]
            if bool(d.get("small_base", False)) or bool(p.get("small_base", False)):
                out.append("Churn by NPS group is not reported: a group is below the minimum base.")
            else:
                out.append(
                    f"Detractors churn at {100 * d['estimate']:.2f} % a month [{100 * d['ci_low']:.2f}, "
                    f"{100 * d['ci_high']:.2f}] (n = {int(d['n']):,}), promoters at {100 * p['estimate']:.2f} % "
                    f"[{100 * p['ci_low']:.2f}, {100 * p['ci_high']:.2f}] (n = {int(p['n']):,}): "
                    f"{d['estimate'] / p['estimate']:.1f} times as often."
                )
    if drivers is not None:
        hr = drivers.hazard_ratios.set_index("term")
        if term in hr.index:
            h = hr.loc[term]
            lvl = f"{drivers.confidence_level:.0%}"
            sig = ("the interval excludes 1, so the difference in churn is significant"
                   if h["ci_low"] > 1 or h["ci_high"] < 1
                   else "the interval includes 1, so no difference in churn can be claimed")
            out.append(
                f"Holding the model's other terms fixed, the churn hazard ratio for {term} is "
                f"{h['hazard_ratio']:.2f} ({lvl} CI {h['ci_low']:.2f}–{h['ci_high']:.2f}; "
                f"{drivers.n_events:,} churn events): {sig}."
            )
    if at_risk is not None:
        t = at_risk.table
        risk = t.loc[t["quantity"] == "revenue_at_risk"]
        prot = t.loc[t["quantity"].str.startswith("protected_if_")]
        h = at_risk.horizon
        out.append(
            f"Expected revenue lost to churn over the next {h:g} months: {currency}{_fmt_money(risk['estimate'].sum())} "
            f"of {currency}{_fmt_money(risk['revenue'].sum())} run-rate revenue "
            f"({100 * risk['estimate'].sum() / risk['revenue'].sum():.1f} %)."
        )
        if len(prot):
            q = prot["quantity"].iloc[0].removeprefix("protected_if_").replace("_to_", " to ")
            out.append(
                f"Moving every {q.split(' to ')[0]} to {q.split(' to ')[1]} would protect about "
                f"{currency}{_fmt_money(prot['estimate'].sum())} of it (a causal reading of the hazard ratio; "
                "see the assumptions)."
            )
    return out
