"""Churn rates: per calendar period, per signup cohort, and per unit of time at risk.

- :func:`churn_rate` — churned during a quarter (or month) / active at its start, Wilson
  interval; :func:`customers_at_risk` gives the same definition in row form;
- :func:`cohort_retention` — the classic signup-cohort retention table;
- :func:`churn_hazard_by_group` — churn events per unit of time at risk (a constant-hazard
  rate, e.g. per month), with Garwood's exact Poisson interval.

Every estimator reduces the rows to small per-group tables in one pass (group codes and
``np.bincount``) and computes intervals on those tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import engines
from ..core.checks import (
    as_timestamp,
    by_columns,
    check_choice,
    check_columns,
    check_confidence_level,
    check_date_order,
    check_frame,
    check_min_base,
    column_list,
    date_column,
    group_codes,
    show_values,
)
from ..core.inference import share_interval
from ..core.results import SCALED_COLUMNS, SCALES, to_percent
from ..errors import CXDataError
from .tables import as_frame, durations_events

_PERIODS = ("Q", "M")


@dataclass(frozen=True)
class ChurnRates:
    """Churn rate per calendar period (tidy table in ``table`` / ``to_frame()``).

    Columns: ``period``, the ``by`` columns, ``period_start``, ``at_risk``, ``churned``,
    ``rate``, ``estimate`` (= rate), ``std_err``, ``ci_low``, ``ci_high``, ``n``
    (= at_risk), ``monthly_rate``, ``monthly_ci_low``, ``monthly_ci_high``,
    ``new_customers``, ``confidence_level``, ``min_base``, ``small_base``.
    """

    table: pd.DataFrame
    period: str
    by: tuple[str, ...]
    confidence_level: float
    method: str
    scale: str = "proportion"

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy table."""
        return self.table.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.table.to_html(index=False)


@dataclass(frozen=True)
class CohortRetention:
    """Signup-cohort retention, long (``to_frame()``) and wide (``pivot()``).

    Long columns: ``cohort``, the ``by`` columns, ``period_index``, ``observable``,
    ``at_risk`` (cohort size), ``retained``, ``retention``, ``estimate`` (= retention),
    ``std_err``, ``ci_low``, ``ci_high``, ``n`` (= at_risk), ``confidence_level``,
    ``min_base``, ``small_base``. Cells not yet observable at ``as_of`` have
    ``retained``/``retention``/interval missing on purpose.
    """

    table: pd.DataFrame
    cohort: str
    by: tuple[str, ...]
    as_of: pd.Timestamp
    n_excluded: int
    confidence_level: float
    method: str
    scale: str = "proportion"

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy long table."""
        return self.table.copy()

    def pivot(self, value: str = "retention") -> pd.DataFrame:
        """Wide cohort table: rows cohort (and ``by``), columns ``period_index``."""
        if value not in self.table.columns:
            raise CXDataError(f"`value`={value!r} is not a column of the table; available: {list(self.table.columns)}")
        index = ["cohort", *self.by]
        return self.table.pivot(index=index, columns="period_index", values=value)

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.pivot().to_html()


# ---------------------------------------------------------------------------- helpers
def _scaled(out: pd.DataFrame, scale: str, shares: Sequence[str]) -> pd.DataFrame:
    """``out`` with its share columns in percent when ``scale="percent"``."""
    if scale == "percent":
        return to_percent(out, tuple(dict.fromkeys([*SCALED_COLUMNS, *shares])))
    return out


def _as_period(value: Any, freq: str, argument: str) -> pd.Period:
    try:
        return pd.Period(value, freq=freq)
    except (ValueError, TypeError):
        raise CXDataError(
            f"`{argument}`={value!r} is not a {'quarter' if freq == 'Q' else 'month'}; "
            f"use e.g. {'2026Q1' if freq == 'Q' else '2026-01'} or a date"
        ) from None


def _customer_dates(customers: pd.DataFrame, signup: str, churn: str) -> tuple[np.ndarray, np.ndarray]:
    """Signup and churn as datetime64[ns] arrays (churn NaT = active), checked."""
    s = date_column(customers, signup, argument="signup")
    c = date_column(customers, churn, argument="churn")
    if s.isna().any():
        raise CXDataError(
            f"column {signup!r} is missing in {int(s.isna().sum())} row(s) "
            f"(row labels {show_values(customers.index[s.isna().to_numpy()])}); every customer needs a signup date"
        )
    check_date_order(customers, s, c, signup, churn)
    return s.to_numpy(dtype="datetime64[ns]"), c.to_numpy(dtype="datetime64[ns]")


def _latest_date(s: np.ndarray, c: np.ndarray) -> np.datetime64:
    return max(s.max(), c[~np.isnat(c)].max() if (~np.isnat(c)).any() else s.max())


# ---------------------------------------------------------------------------- churn_rate
def _period_counts(s, c, codes, g, edges, weights=None):
    """At risk, churned and new customers per group and period (``g`` × ``k`` arrays).

    Customer i is at risk in periods ``a_i .. c_i`` (inclusive) and churns in ``c_i`` when
    churned; the at-risk counts are a cumulative sum of +1 at entry and -1 after exit.
    ``weights``: how many customers each row stands for (the engine path passes one row
    per distinct group, signup period and churn period with its count).
    """
    w = (lambda m: None) if weights is None else (lambda m: weights[m])  # noqa: E731
    k = len(edges) - 1
    a = np.searchsorted(edges, s, side="right")  # first period starting strictly after signup
    churned_flag = ~np.isnat(c)
    c_idx = np.where(churned_flag, np.searchsorted(edges, np.where(churned_flag, c, edges[0]), side="right") - 1, k)
    new_idx = a - 1  # period containing signup (valid when 0 <= new_idx < k)
    width = k + 1
    grouped = codes >= 0  # rows with a missing group key belong to no group
    alive = grouped & (a <= np.minimum(c_idx, k - 1))  # at risk in at least one reported period
    delta = np.bincount(codes[alive] * width + a[alive], w(alive), minlength=g * width).reshape(g, width)
    stop = np.minimum(c_idx, k - 1) + 1
    delta -= np.bincount(codes[alive] * width + stop[alive], w(alive), minlength=g * width).reshape(g, width)
    at_risk = np.cumsum(delta, axis=1)[:, :k]
    ev = grouped & churned_flag & (c_idx >= 0) & (c_idx < k) & (a <= c_idx)
    churned = np.bincount(codes[ev] * k + c_idx[ev], w(ev), minlength=g * k).reshape(g, k)
    nw = grouped & (new_idx >= 0) & (new_idx < k)
    new = np.bincount(codes[nw] * k + new_idx[nw], w(nw), minlength=g * k).reshape(g, k)
    return at_risk.astype(np.int64), churned.astype(np.int64), new.astype(np.int64)


def churn_rate(
    customers: pd.DataFrame,
    *,
    period: str = "Q",
    start: Any = None,
    end: Any = None,
    signup: str = "signup_date",
    churn: str = "churn_date",
    by: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
    min_base: int = 30,
    scale: str = "proportion",
) -> ChurnRates:
    """Churn rate per calendar period: churned during / active at the start, Wilson interval.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: a pandas DataFrame, or a polars, pyarrow, DuckDB or Spark
        table (counted in that engine, :mod:`cxlib.engine_ops.churn`).
    period : {"Q", "M"}
        Calendar quarters or months.
    start, end : period-like, optional
        First and last period reported (e.g. ``"2025Q1"``, ``"2025-01"`` or a date in the
        period). Default: the period after the earliest signup (the first with customers
        at risk) through the period containing the latest signup or churn date.
    signup, churn : str
        Signup date and churn date columns (churn missing = still active).
    by : str or list of str, optional
        Group columns (e.g. ``"plan"``); rows for every group and period.
    confidence_level, min_base
        Interval level; periods with fewer customers at risk are flagged ``small_base``.
    scale : {"proportion", "percent"}
        Scale of the rates and their intervals (``rate``, ``estimate``, ``std_err``,
        ``ci_low``, ``ci_high``, ``monthly_*``).

    Returns
    -------
    ChurnRates
        ``to_frame()``: ``period`` (e.g. ``"2026Q3"`` / ``"2026-03"``), [by],
        ``period_start``, ``at_risk``, ``churned``, ``rate``, ``estimate``, ``std_err``,
        ``ci_low``, ``ci_high``, ``n``, ``monthly_rate``, ``monthly_ci_low``,
        ``monthly_ci_high``, ``new_customers``, ``confidence_level``, ``min_base``,
        ``small_base``.

    Raises
    ------
    CXDataError
        Unknown columns, empty data, unparseable dates, missing signup dates, churn
        before signup, bad ``period``/``start``/``end``.

    Notes
    -----
    For a period ``[t0, t1)``: *at risk* = customers with ``signup < t0`` and not churned
    before ``t0`` (churn missing or ``churn >= t0``); *churned* = those of them with
    ``t0 <= churn < t1``; ``rate = churned / at_risk`` with a Wilson (1927) interval.
    Customers who sign up during the period (``new_customers``) are not in the base, even
    if they churn in it. The monthly-equivalent of a quarterly rate ``q`` is
    ``1 - (1 - q)^(1/3)`` (constant monthly churn within the quarter, same at-risk base);
    the interval is transformed the same way (monotone). For ``period="M"`` it equals
    ``rate``. The last period is usually incomplete: pass ``end`` to stop before it.

    References
    ----------
    Wilson, E. B. (1927). *JASA* 22(158), 209–212.
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
    *Journal of Interactive Marketing* 21(1), 76–90 (retention/churn rate definitions).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> c = pd.DataFrame({
    ...     "signup_date": pd.to_datetime(["2025-11-01", "2025-12-01", "2025-12-15", "2026-02-01"]),
    ...     "churn_date": pd.to_datetime([None, "2026-02-10", None, "2026-03-01"])})
    >>> t = cx.churn_rate(c, start="2026Q1", end="2026Q1").to_frame()
    >>> t[["period", "at_risk", "churned", "rate", "new_customers"]]
       period  at_risk  churned      rate  new_customers
    0  2026Q1        3        1  0.333333              1
    """
    if engines.is_engine_frame(customers):  # polars, pyarrow, DuckDB, Spark: counted in the engine
        from ..engine_ops.churn import churn_rate as engine_churn_rate

        return engine_churn_rate(customers, period=period, start=start, end=end, signup=signup, churn=churn, by=by,
                                 confidence_level=confidence_level, min_base=min_base, scale=scale)
    customers = check_frame(customers, argument="customers")
    freq = check_choice(period, _PERIODS, argument="period")
    check_choice(scale, SCALES, argument="scale")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    by_cols = by_columns(customers, by)
    s, c = _customer_dates(customers, signup, churn)
    first = _as_period(start, freq, "start") if start is not None else pd.Period(s.min(), freq=freq) + 1
    last = _as_period(end, freq, "end") if end is not None else pd.Period(_latest_date(s, c), freq=freq)
    if last < first:
        raise CXDataError(f"`end`={str(last)!r} is before `start`={str(first)!r}")
    periods = pd.period_range(first, last + 1, freq=freq)
    edges = periods.start_time.to_numpy(dtype="datetime64[ns]")  # one boundary more than periods
    codes, keys = group_codes(customers, by_cols)
    g = len(keys)
    at_risk, churned, new = _period_counts(s, c, codes, g, edges)
    return _churn_rates(keys, by_cols, periods, at_risk, churned, new, freq=freq, level=level, min_base=min_base,
                        scale=scale)


def _churn_rates(keys, by_cols, periods, at_risk, churned, new, *, freq, level, min_base, scale) -> ChurnRates:
    """The tidy table from the counts per group × period (shared with the engine path,
    :mod:`cxlib.engine_ops.churn`)."""
    k = len(periods) - 1
    g = len(keys)
    edges = periods.start_time.to_numpy(dtype="datetime64[ns]")
    rate, se, lo, hi = share_interval(churned.ravel(), at_risk.ravel(), level)
    out = pd.DataFrame({"period": np.tile([str(p) for p in periods[:k]], g)})
    for col in by_cols:
        out[col] = np.repeat(keys[col].to_numpy(), k)
    months = 3.0 if freq == "Q" else 1.0
    out["period_start"] = np.tile(edges[:k], g)
    out["at_risk"], out["churned"] = at_risk.ravel(), churned.ravel()
    out["rate"], out["estimate"], out["std_err"], out["ci_low"], out["ci_high"] = rate, rate, se, lo, hi
    out["n"] = out["at_risk"]
    out["monthly_rate"] = 1.0 - (1.0 - rate) ** (1.0 / months)
    out["monthly_ci_low"] = 1.0 - (1.0 - lo) ** (1.0 / months)
    out["monthly_ci_high"] = 1.0 - (1.0 - hi) ** (1.0 / months)
    out["new_customers"] = new.ravel()
    out["confidence_level"], out["min_base"] = level, min_base
    out["small_base"] = out["at_risk"] < min_base
    out = _scaled(out, scale, ("rate", "monthly_rate", "monthly_ci_low", "monthly_ci_high"))
    method = ("churned during period / active at period start (signup before start, not churned before); "
              "Wilson score interval; monthly equivalent 1 - (1 - q)^(1/3) for quarters")
    return ChurnRates(table=out, period=freq, by=tuple(by_cols), confidence_level=level, method=method, scale=scale)


def customers_at_risk(
    customers: pd.DataFrame,
    *,
    quarters: Sequence[str],
    signup: str = "signup_date",
    churn: str = "churn_date",
) -> pd.DataFrame:
    """One row per customer at risk at the start of each quarter, with ``churned`` 0/1.

    At risk: signed up before the quarter starts and not churned before it starts.
    Churned: the churn date falls inside the quarter. This is the definition of
    :func:`churn_rate` (quarterly), in row form, so that the survey metrics' two-sample
    machinery (e.g. ``cx.top_box`` on ``churned``) can compare churn between quarters.

    Parameters
    ----------
    customers : DataFrame
        One row per customer.
    quarters : sequence of str
        Quarters such as ``"2026Q3"``.
    signup, churn : str
        Signup date and churn date columns (churn missing = still active).

    Returns
    -------
    DataFrame
        The rows of ``customers`` at risk in each quarter (a customer appears once per
        quarter), with ``quarter`` and ``churned`` added.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": [1, 2, 3],
    ...     "signup_date": pd.to_datetime(["2025-11-01", "2025-12-01", "2026-02-01"]),
    ...     "churn_date": pd.to_datetime([None, "2026-02-10", None])})
    >>> customers_at_risk(c, quarters=["2026Q1", "2026Q2"])[["customer_id", "quarter", "churned"]]
       customer_id quarter  churned
    0            1  2026Q1        0
    1            2  2026Q1        1
    2            1  2026Q2        0
    3            3  2026Q2        0
    """
    check_columns(customers, [signup, churn], argument="customers")
    s = date_column(customers, signup, argument="signup")
    c = date_column(customers, churn, argument="churn")
    parts = []
    for q in quarters:
        p = _as_period(q, "Q", "quarters")
        start, end = p.start_time, (p + 1).start_time
        at_risk = (s < start) & (c.isna() | (c >= start))
        part = customers.loc[at_risk].copy()
        part["quarter"] = q
        part["churned"] = ((c[at_risk] >= start) & (c[at_risk] < end)).astype(int).to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------- cohorts
def _cohort_counts(coh, d, codes, g, k):
    """Cohort size and members retained at each period index, per group × cohort (rows)."""
    cell = codes * k + coh
    size = np.bincount(cell, minlength=g * k)
    # lost by j = churned in periods < j after signup; retained(j) = size - cumsum(lost)
    lost = np.bincount(cell * (k + 1) + d, minlength=g * k * (k + 1)).reshape(g * k, k + 1)
    retained = size[:, None] - np.concatenate([np.zeros((g * k, 1), dtype=np.int64),
                                              np.cumsum(lost, axis=1)[:, :k - 1]], axis=1)
    return size, retained


def cohort_retention(
    customers: pd.DataFrame,
    *,
    cohort: str = "Q",
    signup: str = "signup_date",
    churn: str = "churn_date",
    as_of: Any = None,
    by: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
    min_base: int = 30,
    scale: str = "proportion",
) -> CohortRetention:
    """Classic signup-cohort retention table with Wilson intervals.

    Parameters
    ----------
    customers : DataFrame
        One row per customer.
    cohort : {"Q", "M"}
        Cohorts (and periods since signup) in calendar quarters or months.
    signup, churn : str
        Signup date and churn date columns (churn missing = still active).
    as_of : date-like, optional
        Data date: the table shows what was known then. Default: the latest signup or
        churn date in the data. Customers who sign up after it are excluded (counted in
        ``n_excluded``); churns after it count as not yet churned.
    by : str or list of str, optional
        Split each cohort by these columns.
    confidence_level, min_base
        Interval level; cohorts smaller than ``min_base`` are flagged ``small_base``.
    scale : {"proportion", "percent"}
        Scale of ``retention``, ``estimate``, ``std_err``, ``ci_low`` and ``ci_high``.

    Returns
    -------
    CohortRetention
        ``to_frame()``: long table (``cohort``, [by], ``period_index``, ``observable``,
        ``at_risk``, ``retained``, ``retention``, ``estimate``, ``std_err``, ``ci_low``,
        ``ci_high``, ``n``, ...); ``pivot()``: wide view (cohorts by periods since signup).

    Raises
    ------
    CXDataError
        Unknown columns, empty data, unparseable dates, missing signup dates, churn
        before signup, bad ``cohort`` or ``as_of``, nobody signed up by ``as_of``.

    Notes
    -----
    Cohort ``c`` = the calendar period containing the signup date. For
    ``period_index = j >= 0`` a member is *retained* when still a customer as period
    ``c + j`` begins (no churn before its first day); for ``j = 0`` that is everyone, by
    construction (the 100 % column of the classic table). ``at_risk`` is the cohort size,
    ``retention = retained / at_risk`` with a Wilson (1927) interval. The cell is
    *observable* only if period ``c + j`` has begun by ``as_of``; later cells are left
    missing on purpose rather than counted as retained (which would inflate young
    cohorts). Within the observable window nobody is censored, so ``retention`` equals
    the Kaplan–Meier survival ``S(j)`` of ``T = (churn period − c) + 1`` in periods.
    The latest cohort is still filling up as of ``as_of``.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
    *Journal of Interactive Marketing* 21(1), 76–90.
    Wilson, E. B. (1927). *JASA* 22(158), 209–212.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> c = pd.DataFrame({
    ...     "signup_date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-02-20", "2026-03-03"]),
    ...     "churn_date": pd.to_datetime(["2026-02-15", None, "2026-04-02", None])})
    >>> r = cx.cohort_retention(c, cohort="M", as_of="2026-03-31")
    >>> r.pivot("retained")  # Jan cohort: active on 1 Feb, gone by 1 Mar
    period_index  0     1     2
    cohort
    2026-01       1     1     0
    2026-02       2     2  <NA>
    2026-03       1  <NA>  <NA>
    """
    customers = check_frame(customers, argument="customers")
    freq = check_choice(cohort, _PERIODS, argument="cohort")
    check_choice(scale, SCALES, argument="scale")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    by_cols = by_columns(customers, by)
    s, c = _customer_dates(customers, signup, churn)
    as_of_ts = pd.Timestamp(_latest_date(s, c)) if as_of is None else as_timestamp(as_of)
    as_of64 = np.datetime64(as_of_ts.to_datetime64(), "ns")
    keep = s <= as_of64
    if not keep.any():
        raise CXDataError(f"no customer signed up by `as_of`={as_of_ts.date()}; column {signup!r} starts "
                          f"{pd.Timestamp(s.min()).date()}")
    periods = pd.period_range(pd.Period(pd.Timestamp(s[keep].min()), freq=freq), pd.Period(as_of_ts, freq=freq) + 1,
                              freq=freq)
    k = len(periods) - 1  # cohorts first .. last; period indices 0 .. k-1
    edges = periods.start_time.to_numpy(dtype="datetime64[ns]")
    coh = np.searchsorted(edges, s, side="right") - 1
    churned_flag = (~np.isnat(c)) & (c <= as_of64)
    p_churn = np.where(churned_flag, np.searchsorted(edges, np.where(churned_flag, c, edges[0]), side="right") - 1, k)
    d = np.minimum(p_churn - coh, k)  # churned during period coh + d; retained at j iff d >= j
    codes, keys = group_codes(customers, by_cols)
    g = len(keys)
    sel = keep & (codes >= 0)  # rows with a missing group key belong to no group
    size, retained = _cohort_counts(coh[sel], d[sel], codes[sel], g, k)
    j = np.arange(k)
    cohort_idx = np.tile(np.repeat(np.arange(k), k), g)
    observable = (cohort_idx + np.tile(j, g * k)) <= (k - 1)
    at_risk = np.repeat(size, k)
    ret = retained.ravel().astype(float)
    ret[~observable] = np.nan
    rate, se, lo, hi = share_interval(np.nan_to_num(ret), np.where(observable, at_risk, 0), level)
    out = pd.DataFrame({"cohort": [str(periods[i]) for i in cohort_idx]})
    for col in by_cols:
        out[col] = np.repeat(keys[col].to_numpy(), k * k)
    out["period_index"] = np.tile(j, g * k)
    out["observable"] = observable
    out["at_risk"] = at_risk
    out["retained"] = pd.array(np.where(observable, retained.ravel(), 0), dtype="Int64")
    out.loc[~observable, "retained"] = pd.NA
    out["retention"], out["estimate"], out["std_err"], out["ci_low"], out["ci_high"] = rate, rate, se, lo, hi
    out["n"] = out["at_risk"]
    out["confidence_level"], out["min_base"] = level, min_base
    out["small_base"] = out["at_risk"] < min_base
    out = _scaled(out, scale, ("retention",))
    method = ("share of the signup cohort still a customer as period c + j begins; "
              "unobservable cells (period not begun by as_of) missing; Wilson score interval")
    return CohortRetention(table=out, cohort=freq, by=tuple(by_cols), as_of=as_of_ts,
                           n_excluded=int((~keep).sum()), confidence_level=level, method=method, scale=scale)


# ---------------------------------------------------------------------------- hazard
def churn_hazard_by_group(
    data: Any,
    *,
    duration: str = "duration",
    event: str = "event",
    by: str | Sequence[str],
    confidence_level: float = 0.95,
    min_base: int = 30,
    scale: str = "proportion",
) -> pd.DataFrame:
    """Churn events per unit of time at risk (a constant-hazard rate) by group, exact Poisson CI.

    With durations in months (the default unit of :func:`~cxlib.churn.tables.churn_table`)
    this is the churn rate *per month at risk*: events divided by the months the group's
    customers were followed. It differs from :func:`churn_rate`, the share of customers
    at risk at the start of a calendar period who churn during it.

    Parameters
    ----------
    data : pandas.DataFrame or ChurnTable
        One row per subject (or per start/stop spell when ``duration`` is an exposure
        length).
    duration, event : str
        Exposure in the table's unit and 0/1 churn.
    by : str or sequence of str
    confidence_level : float
    min_base : int
        Groups with fewer subjects are flagged ``small_base``.
    scale : {"proportion", "percent"}
        ``"percent"``: events per 100 units of exposure (e.g. % a month).

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
    >>> churn_hazard_by_group(d, by="g", min_base=1)[["g", "events", "exposure", "estimate"]]
       g  events  exposure  estimate
    0  a       1      20.0      0.05
    1  b       1       5.0      0.20
    """
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    check_choice(scale, SCALES, argument="scale")
    df = as_frame(data)
    by_cols = column_list(by, argument="by")
    check_columns(df, [duration, event, *by_cols], argument="duration/event/by")
    d = df.loc[df[[duration, event, *by_cols]].notna().all(axis=1)]
    t, e = durations_events(d, duration, event)
    g = d.assign(_t=t, _e=e).groupby(by_cols, observed=True, sort=True)
    out = g.agg(events=("_e", "sum"), exposure=("_t", "sum"), n=("_t", "size")).reset_index()
    a = 1 - level
    k = out["events"].to_numpy(dtype=float)
    T = out["exposure"].to_numpy(dtype=float)
    out["events"] = k.astype(int)
    out["estimate"] = k / T
    out["ci_low"] = np.where(k > 0, stats.chi2.ppf(a / 2, 2 * k) / (2 * T), 0.0)
    out["ci_high"] = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / (2 * T)
    out["min_base"] = min_base
    out["small_base"] = out["n"] < min_base
    out["confidence_level"] = level
    out["method"] = "events / exposure (constant hazard); Garwood exact Poisson interval"
    out = _scaled(out, scale, ())
    return out[[*by_cols, "events", "exposure", "estimate", "ci_low", "ci_high", "n", "min_base",
                "small_base", "confidence_level", "method"]]
