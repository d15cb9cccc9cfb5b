"""Operational CX metrics: helpdesk rates and times, churn rate, cohort retention.

Definitions follow helpdesk practice as fixed in the project's METHODS.md:

* first-response time   = creation -> first agent reply;
* first-resolution time = creation -> first solve;
* full-resolution time  = creation -> last solve (includes time spent on reopens);
* reopen rate           = share of solved tickets reopened at least once;
* first-contact resolution (FCR) = share of solved tickets solved with a single
  customer contact.

Every estimator reduces the rows to small per-group tables in one pass (group codes and
``np.bincount``, or one sort for quantiles) and computes intervals on those tables.
Shares carry Wilson (1927) score intervals; quantiles of times carry distribution-free
intervals from order statistics (Hahn & Meeker 1991).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .core.checks import (
    show_values,
    as_datetimes,
    check_columns,
    check_confidence_level,
    non_negative_counts,
)
from .core.inference import normal_quantile, wilson_interval
from .errors import CXDataError, SmallBaseWarning
from .core.results import Estimate

__all__ = [
    "RateEstimate",
    "QuantileEstimate",
    "DurationSummary",
    "ChurnRates",
    "CohortRetention",
    "reopen_rate",
    "first_contact_resolution",
    "first_response_time",
    "resolution_time",
    "churn_rate",
    "cohort_retention",
]

_UNITS = {"s": "s", "min": "min", "h": "h", "d": "D", "D": "D"}
_PERIODS = ("Q", "M")


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RateEstimate(Estimate):
    """A share of tickets with its Wilson interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    count : int
        Numerator: tickets with the property (reopened; solved on first contact).
    n_excluded : int
        Tickets left out of the base because they were never solved.
    min_base : int
        Minimum base policy in force.
    small_base : bool
        ``n < min_base``.
    """

    count: int
    n_excluded: int
    min_base: int
    small_base: bool


@dataclass(frozen=True)
class QuantileEstimate(Estimate):
    """One quantile of a time distribution with its order-statistic interval.

    ``std_err`` is NaN: the interval is distribution-free and implies no standard error.
    ``rank_low``/``rank_high`` are the 1-based order statistics used as bounds (0 or
    ``n + 1`` when the sample is too small for that bound, which is then NaN) and
    ``coverage`` is the exact coverage ``B(u-1) - B(l-1)`` of the pair for a continuous
    distribution (at least ``confidence_level`` whenever both bounds exist).
    """

    quantile: float
    rank_low: int
    rank_high: int
    coverage: float


@dataclass(frozen=True)
class DurationSummary:
    """Quantiles of a ticket time (response or resolution), one row each in ``to_frame()``.

    Attributes
    ----------
    metric : str
        ``"first_response_time"``, ``"first_resolution_time"`` or ``"full_resolution_time"``.
    unit : str
        Unit of every time (``"s"``, ``"min"``, ``"h"`` or ``"D"``).
    quantiles : tuple of QuantileEstimate
        One per requested quantile, in the order requested.
    n : int
        Tickets with a time (the end timestamp is present).
    n_open : int
        Tickets without the end timestamp (no reply yet / not solved yet): excluded.
    confidence_level, min_base, small_base
        As elsewhere; ``small_base`` is ``n < min_base``.
    """

    metric: str
    unit: str
    quantiles: tuple[QuantileEstimate, ...]
    n: int
    n_open: int
    confidence_level: float
    min_base: int
    small_base: bool

    def __getitem__(self, q: float) -> QuantileEstimate:
        for est in self.quantiles:
            if np.isclose(est.quantile, q):
                return est
        raise KeyError(f"quantile {q!r} was not computed; available: {[e.quantile for e in self.quantiles]}")

    @property
    def median(self) -> QuantileEstimate:
        """The 0.5 quantile (``KeyError`` if it was not requested)."""
        return self[0.5]

    def to_frame(self) -> pd.DataFrame:
        """One row per quantile: quantile, estimate, interval, ranks, coverage, n, n_open, ..."""
        rows = []
        for est in self.quantiles:
            row = {"metric": self.metric, "quantile": est.quantile}
            row.update({k: v for k, v in dataclasses.asdict(est).items() if k != "quantile"})
            row.update(n_open=self.n_open, unit=self.unit, min_base=self.min_base, small_base=self.small_base)
            rows.append(row)
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.to_frame().to_html(index=False)


@dataclass(frozen=True)
class ChurnRates:
    """Churn rate per calendar period (tidy table in ``table`` / ``to_frame()``).

    Columns: ``period``, the ``by`` columns, ``period_start``, ``at_risk``, ``churned``,
    ``rate``, ``std_err``, ``ci_low``, ``ci_high``, ``monthly_rate``, ``monthly_ci_low``,
    ``monthly_ci_high``, ``new_customers``, ``confidence_level``, ``min_base``,
    ``small_base``.
    """

    table: pd.DataFrame
    period: str
    by: tuple[str, ...]
    confidence_level: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy table."""
        return self.table.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.table.to_html(index=False)


@dataclass(frozen=True)
class CohortRetention:
    """Signup-cohort retention, long (``to_frame()``) and wide (``pivot()``).

    Long columns: ``cohort``, the ``by`` columns, ``period_index``, ``observable``,
    ``at_risk`` (cohort size), ``retained``, ``retention``, ``std_err``, ``ci_low``,
    ``ci_high``, ``confidence_level``, ``min_base``, ``small_base``. Cells not yet
    observable at ``as_of`` have ``retained``/``retention``/interval missing on purpose.
    """

    table: pd.DataFrame
    cohort: str
    by: tuple[str, ...]
    as_of: pd.Timestamp
    n_excluded: int
    confidence_level: float
    method: str

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


# ---------------------------------------------------------------------------
# Small numeric kernels
# ---------------------------------------------------------------------------



def _wilson(count: np.ndarray, n: np.ndarray, confidence_level: float) -> tuple[np.ndarray, ...]:
    """Share, Wald standard error and Wilson score interval (NaN where n == 0)."""
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / n
        se = np.sqrt(p * (1.0 - p) / n)
    low, high = wilson_interval(p, n, normal_quantile(confidence_level))
    empty = n == 0
    for arr in (p, se, low, high):
        arr[empty] = np.nan
    return p, se, low, high


def _order_statistic_ranks(n: int, q: float, confidence_level: float) -> tuple[int, int, float]:
    """1-based ranks ``(l, u)`` of the equal-tailed order-statistic interval and its coverage.

    With ``B`` the Binomial(n, q) cdf and ``a = (1 - confidence_level) / 2``:
    ``l - 1 = max{k : B(k) <= a}`` and ``u - 1 = min{k : B(k) >= 1 - a}``, so that
    ``P(X_(l) > xi_q) = B(l - 1) <= a`` and ``P(X_(u) < xi_q) = 1 - B(u - 1) <= a``.
    ``l = 0`` / ``u = n + 1`` mean the bound does not exist for this n.
    """
    a = (1.0 - confidence_level) / 2.0
    cdf = stats.binom.cdf(np.arange(n + 1), n, q)
    lo = int(np.count_nonzero(cdf <= a))  # cdf is non-decreasing
    hit = np.flatnonzero(cdf >= 1.0 - a)
    hi = int(hit[0]) + 1 if hit.size else n + 1
    b_hi = 1.0 if hi > n else float(cdf[hi - 1])
    b_lo = 0.0 if lo == 0 else float(cdf[lo - 1])
    return lo, hi, b_hi - b_lo


def _quantile_rows(x_sorted: np.ndarray, quantiles: Sequence[float], confidence_level: float) -> list[dict]:
    n = x_sorted.size
    rows = []
    for q in quantiles:
        if n == 0:
            rows.append(dict(quantile=q, estimate=np.nan, ci_low=np.nan, ci_high=np.nan,
                             rank_low=0, rank_high=1, coverage=np.nan))
            continue
        lo, hi, cov = _order_statistic_ranks(n, q, confidence_level)
        rows.append(dict(
            quantile=q,
            estimate=float(np.quantile(x_sorted, q)),
            ci_low=float(x_sorted[lo - 1]) if lo >= 1 else np.nan,
            ci_high=float(x_sorted[hi - 1]) if hi <= n else np.nan,
            rank_low=lo, rank_high=hi, coverage=cov,
        ))
    return rows


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def _check_frame(data: Any, name: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`{name}` must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise CXDataError(f"`{name}` is empty: no rows to analyse")
    return data


def _check_min_base(min_base: Any) -> int:
    if isinstance(min_base, bool) or not isinstance(min_base, (int, np.integer)) or min_base < 0:
        raise CXDataError(f"`min_base`={min_base!r} must be a whole number >= 0 (e.g. 30)")
    return int(min_base)


def _by_columns(data: pd.DataFrame, by: Any) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    if not cols:
        raise CXDataError("`by` is an empty list; pass None for no grouping or one or more column names")
    check_columns(data, cols, argument="by")
    return cols


def _group_codes(data: pd.DataFrame, by_cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per row (groups sorted, missing keys kept) and the key table."""
    grouped = data.groupby(by_cols, sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    keys = grouped.size().index.to_frame(index=False)
    return codes, keys


def _dates(data: pd.DataFrame, column: str, argument: str) -> pd.Series:
    check_columns(data, [column], argument=argument)
    s = as_datetimes(data[column], column)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


def _check_order(data: pd.DataFrame, start: pd.Series, end: pd.Series, start_col: str, end_col: str) -> None:
    """Raise if ``end`` precedes ``start`` in any row (negative durations)."""
    neg = (end < start).to_numpy()
    if neg.any():
        shown = [str(g) for g in (end[neg] - start[neg]).iloc[:5]]
        raise CXDataError(
            f"column {end_col!r} is earlier than {start_col!r} in {int(neg.sum())} row(s) "
            f"(row labels {show_values(data.index[neg])}; differences {shown}); "
            f"fix the timestamps or drop those rows"
        )


def _period_freq(value: str, argument: str) -> str:
    if value not in _PERIODS:
        raise CXDataError(f"`{argument}`={value!r} is not a supported period; use one of {list(_PERIODS)}")
    return value


def _as_period(value: Any, freq: str, argument: str) -> pd.Period:
    try:
        return pd.Period(value, freq=freq)
    except (ValueError, TypeError):
        raise CXDataError(
            f"`{argument}`={value!r} is not a {'quarter' if freq == 'Q' else 'month'}; "
            f"use e.g. {'2026Q1' if freq == 'Q' else '2026-01'} or a date"
        ) from None


def _period_label(p: pd.Period) -> str:
    return str(p)  # "2026Q3" for quarters, "2026-03" for months


def _customer_dates(customers: pd.DataFrame, signup: str, churn: str) -> tuple[np.ndarray, np.ndarray]:
    """Signup and churn as datetime64[ns] arrays (churn NaT = active), checked."""
    s = _dates(customers, signup, "signup")
    c = _dates(customers, churn, "churn")
    if s.isna().any():
        raise CXDataError(
            f"column {signup!r} is missing in {int(s.isna().sum())} row(s) "
            f"(row labels {show_values(customers.index[s.isna().to_numpy()])}); every customer needs a signup date"
        )
    _check_order(customers, s, c, signup, churn)
    return s.to_numpy(dtype="datetime64[ns]"), c.to_numpy(dtype="datetime64[ns]")


# ---------------------------------------------------------------------------
# Ticket shares
# ---------------------------------------------------------------------------


def _share(tickets, *, count_col, resolved, by, confidence_level, min_base, success, what, argument):
    tickets = _check_frame(tickets, "tickets")
    level = check_confidence_level(confidence_level)
    min_base = _check_min_base(min_base)
    by_cols = _by_columns(tickets, by)
    check_columns(tickets, [count_col], argument=argument)
    solved = _dates(tickets, resolved, "resolved").notna().to_numpy()
    counts = non_negative_counts(tickets[count_col], count_col)
    missing = solved & np.isnan(counts)
    if missing.any():
        raise CXDataError(
            f"column {count_col!r} is missing for {int(missing.sum())} solved ticket(s) "
            f"(row labels {show_values(tickets.index[missing])}); fill it (0 if none) or drop those tickets"
        )
    hit = solved & success(counts)
    method = f"Wilson score interval; base = solved tickets ({resolved!r} present)"
    if not by_cols:
        n, k = int(solved.sum()), int(hit.sum())
        if n == 0:
            raise CXDataError(
                f"no solved tickets: column {resolved!r} is missing in all {len(tickets)} rows; "
                f"{what} is defined on solved tickets only"
            )
        p, se, lo, hi = _wilson(np.array([k]), np.array([n]), level)
        if n < min_base:
            warnings.warn(f"{what} rests on {n} solved tickets (< min_base={min_base})", SmallBaseWarning,
                          stacklevel=3)
        return RateEstimate(estimate=float(p[0]), std_err=float(se[0]), ci_low=float(lo[0]), ci_high=float(hi[0]),
                            n=n, confidence_level=level, method=method, count=k,
                            n_excluded=int(len(tickets) - n), min_base=min_base, small_base=n < min_base)
    codes, keys = _group_codes(tickets, by_cols)
    g = len(keys)
    n = np.bincount(codes, weights=solved, minlength=g).astype(np.int64)
    k = np.bincount(codes, weights=hit, minlength=g).astype(np.int64)
    rows = np.bincount(codes, minlength=g).astype(np.int64)
    p, se, lo, hi = _wilson(k, n, level)
    out = keys.copy()
    out["estimate"], out["std_err"], out["ci_low"], out["ci_high"] = p, se, lo, hi
    out["n"], out["confidence_level"], out["method"] = n, level, method
    out["count"], out["n_excluded"], out["min_base"], out["small_base"] = k, rows - n, min_base, n < min_base
    return out


def reopen_rate(
    tickets: pd.DataFrame,
    *,
    reopen_count: str = "reopen_count",
    resolved: str = "first_resolved_at",
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> RateEstimate:
    """Reopen rate: share of solved tickets reopened at least once, with a Wilson interval.

    Parameters
    ----------
    tickets : DataFrame
        One row per ticket.
    reopen_count : str
        Column with the number of times the ticket was reopened (whole number >= 0).
    resolved : str
        Timestamp of the first solve; a ticket is *solved* when it is present.
    confidence_level : float
        Level of the interval.
    min_base : int
        Groups with fewer solved tickets are flagged ``small_base`` (a
        :class:`~cxlib.errors.SmallBaseWarning` for the ungrouped call).

    Returns
    -------
    RateEstimate
        ``estimate`` = reopened / solved, ``count`` = reopened, ``n`` = solved,
        ``n_excluded`` = never-solved tickets.

    Raises
    ------
    CXDataError
        Unknown columns, empty data, unparseable dates, negative/non-integer counts,
        missing counts on solved tickets, no solved ticket at all.

    Notes
    -----
    ``reopen_rate = #{solved, reopen_count >= 1} / #{solved}``, with solved meaning the
    first-solve timestamp is present. A ticket reopened and not yet solved again still
    counts as solved once and reopened. Interval: Wilson (1927) score interval
    ``(x + z²/2)/(n + z²) ± z/(n + z²)·sqrt(x(n − x)/n + z²/4)``; ``std_err`` is the
    Wald ``sqrt(p(1 − p)/n)``, for information.

    References
    ----------
    Zendesk, "Ticket reopens" and "Reopened tickets" metric definitions (Explore).
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158), 209–212.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> t = pd.DataFrame({"reopen_count": [0, 1, 0, 2, 0],
    ...                   "first_resolved_at": pd.to_datetime(
    ...                       ["2026-01-02", "2026-01-03", "2026-01-03", "2026-01-04", None])})
    >>> r = cx.reopen_rate(t, min_base=0)
    >>> r.count, r.n, r.estimate, r.n_excluded
    (2, 4, 0.5, 1)
    """
    return _reopen_rate_by(tickets, by=None, reopen_count=reopen_count, resolved=resolved,
                           confidence_level=confidence_level, min_base=min_base)


def first_contact_resolution(
    tickets: pd.DataFrame,
    *,
    contacts: str = "contacts",
    resolved: str = "first_resolved_at",
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> RateEstimate:
    """First-contact resolution (FCR): share of solved tickets solved with one customer contact.

    Parameters
    ----------
    tickets : DataFrame
        One row per ticket.
    contacts : str
        Column with the number of customer contacts on the ticket (whole number >= 0).
    resolved : str
        Timestamp of the first solve; a ticket is *solved* when it is present.
    confidence_level, min_base
        As in :func:`reopen_rate`.

    Returns
    -------
    RateEstimate
        ``estimate`` = solved with ``contacts == 1`` / solved.

    Raises
    ------
    CXDataError
        As in :func:`reopen_rate`.

    Notes
    -----
    ``FCR = #{solved, contacts == 1} / #{solved}``. Solved tickets with zero recorded
    customer contacts (e.g. agent-initiated) stay in the base and do not count as
    first-contact resolutions. The definition does not look at reopens; combine with
    :func:`reopen_rate` for a stricter view. Wilson interval as in :func:`reopen_rate`.

    References
    ----------
    Zendesk, "First contact resolution" / "One-touch tickets" metric definitions.
    Wilson, E. B. (1927). *JASA* 22(158), 209–212.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> t = pd.DataFrame({"contacts": [1, 1, 3, 1, 2],
    ...                   "first_resolved_at": pd.to_datetime(
    ...                       ["2026-01-02", "2026-01-03", "2026-01-03", None, "2026-01-05"])})
    >>> r = cx.first_contact_resolution(t, min_base=0)
    >>> r.count, r.n, r.estimate
    (2, 4, 0.5)
    """
    return _first_contact_resolution_by(tickets, by=None, contacts=contacts, resolved=resolved,
                                        confidence_level=confidence_level, min_base=min_base)


# ---------------------------------------------------------------------------
# Ticket times
# ---------------------------------------------------------------------------


def _check_quantiles(quantiles: Any) -> tuple[float, ...]:
    qs = (quantiles,) if np.isscalar(quantiles) else tuple(quantiles)
    try:
        qs = tuple(float(q) for q in qs)
    except (TypeError, ValueError):
        raise CXDataError(f"`quantiles`={quantiles!r} must be numbers strictly between 0 and 1") from None
    if not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise CXDataError(f"`quantiles`={quantiles!r} must be numbers strictly between 0 and 1, e.g. (0.5, 0.9)")
    return qs


def _durations(tickets, *, created, end, end_argument, quantiles, unit, by, confidence_level, min_base, metric):
    tickets = _check_frame(tickets, "tickets")
    level = check_confidence_level(confidence_level)
    min_base = _check_min_base(min_base)
    qs = _check_quantiles(quantiles)
    if unit not in _UNITS:
        raise CXDataError(f"`unit`={unit!r} is not supported; use one of {list(_UNITS)}")
    by_cols = _by_columns(tickets, by)
    start = _dates(tickets, created, "created")
    stop = _dates(tickets, end, end_argument)
    if start.isna().any():
        miss = start.isna().to_numpy()
        raise CXDataError(
            f"column {created!r} is missing in {int(miss.sum())} row(s) (row labels {show_values(tickets.index[miss])}); "
            "every ticket needs a creation time"
        )
    _check_order(tickets, start, stop, created, end)
    has_end = stop.notna().to_numpy()
    x = ((stop - start) / pd.Timedelta(1, _UNITS[unit])).to_numpy(dtype=float)
    method = (f"{level:.0%} distribution-free interval [X_(l), X_(u)] from order statistics "
              "(equal-tailed binomial rule, Hahn & Meeker 1991 §5.2); point = linear interpolation (type 7); "
              "open tickets excluded (see n_open)")
    if not by_cols:
        n = int(has_end.sum())
        if n == 0:
            raise CXDataError(f"column {end!r} is missing in all {len(tickets)} rows: no ticket has a time to measure")
        if n < min_base:
            warnings.warn(f"{metric} rests on {n} tickets (< min_base={min_base})", SmallBaseWarning, stacklevel=3)
        xs = np.sort(x[has_end])
        ests = tuple(
            QuantileEstimate(estimate=r["estimate"], std_err=np.nan, ci_low=r["ci_low"], ci_high=r["ci_high"], n=n,
                             confidence_level=level, method=method, quantile=r["quantile"],
                             rank_low=r["rank_low"], rank_high=r["rank_high"], coverage=r["coverage"])
            for r in _quantile_rows(xs, qs, level)
        )
        return DurationSummary(metric=metric, unit=_UNITS[unit], quantiles=ests, n=n,
                               n_open=int(len(tickets) - n), confidence_level=level, min_base=min_base,
                               small_base=n < min_base)
    codes, keys = _group_codes(tickets, by_cols)
    g = len(keys)
    rows_per_group = np.bincount(codes, minlength=g)
    n_per_group = np.bincount(codes[has_end], minlength=g)
    # one sort by (group, time); each group's times are then a contiguous sorted slice
    gc, xv = codes[has_end], x[has_end]
    order = np.lexsort((xv, gc))
    xs_all = xv[order]
    bounds = np.concatenate([[0], np.cumsum(n_per_group)])
    records = []
    for j in range(g):
        xs = xs_all[bounds[j]:bounds[j + 1]]
        for r in _quantile_rows(xs, qs, level):
            r.update(n=int(xs.size), n_open=int(rows_per_group[j] - xs.size))
            records.append((j, r))
    body = pd.DataFrame([r for _, r in records])
    out = keys.iloc[[j for j, _ in records]].reset_index(drop=True)
    out["metric"] = metric
    out["quantile"] = body["quantile"]
    out["estimate"], out["std_err"] = body["estimate"], np.nan
    out["ci_low"], out["ci_high"] = body["ci_low"], body["ci_high"]
    out["n"], out["confidence_level"], out["method"] = body["n"], level, method
    out["rank_low"], out["rank_high"], out["coverage"] = body["rank_low"], body["rank_high"], body["coverage"]
    out["n_open"], out["unit"], out["min_base"] = body["n_open"], _UNITS[unit], min_base
    out["small_base"] = out["n"] < min_base
    return out




def first_response_time(
    tickets: pd.DataFrame,
    *,
    created: str = "created_at",
    first_response: str = "first_response_at",
    quantiles: Sequence[float] = (0.5, 0.9),
    unit: str = "h",
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> DurationSummary:
    """First-response time: creation -> first agent reply; quantiles with order-statistic CIs.

    Parameters
    ----------
    tickets : DataFrame
        One row per ticket.
    created, first_response : str
        Creation and first-agent-reply timestamps (datetime64 or parseable text). A missing
        first response means the ticket is still waiting (excluded, counted in ``n_open``).
    quantiles : sequence of float
        Quantiles to report, each strictly between 0 and 1 (default median and p90).
    unit : {"s", "min", "h", "D"}
        Unit of the reported times (``"d"`` is accepted for days).
    confidence_level : float
        Nominal level of the intervals.
    min_base : int
        Bases below it are flagged ``small_base`` (warning for the ungrouped call).

    Returns
    -------
    DurationSummary

    Raises
    ------
    CXDataError
        Unknown columns, empty data, unparseable or numeric date columns, missing
        creation times, a reply earlier than creation (negative durations), bad
        ``quantiles`` or ``unit``.

    Notes
    -----
    Point estimate: the sample quantile with linear interpolation (Hyndman & Fan type 7,
    numpy/pandas default). Interval for the q-quantile ``xi_q`` from the sorted times
    ``X_(1) <= ... <= X_(n)``: with ``B`` the Binomial(n, q) cdf and ``a = (1 - level)/2``,
    take ``l - 1 = max{k : B(k) <= a}`` and ``u - 1 = min{k : B(k) >= 1 - a}``; then
    ``[X_(l), X_(u)]`` covers ``xi_q`` with probability ``B(u-1) - B(l-1) >= level`` for
    any continuous distribution (at least that much with ties), since
    ``P(X_(l) > xi_q) = B(l-1)``. The achieved coverage is reported. When n is so small
    that no ``l >= 1`` (or ``u <= n``) exists, that bound is NaN (``rank_low = 0`` /
    ``rank_high = n + 1``).

    Open tickets (end timestamp missing) have no time yet: they are excluded from the
    quantiles and reported as ``n_open``. Because the slowest tickets are the ones most
    likely to still be open, this biases the times *down*; a survival view (Kaplan–Meier
    on time-to-event with open tickets censored at the data date) removes that bias.

    References
    ----------
    Zendesk, "First reply time" metric definition (Explore).
    Hahn, G. J. & Meeker, W. Q. (1991). *Statistical Intervals: A Guide for
    Practitioners*, Wiley, §5.2 (distribution-free intervals for a percentile).
    Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed., §3.2.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> created = pd.to_datetime(["2026-01-01 09:00"] * 4)
    >>> reply = pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00", "2026-01-01 13:00", None])
    >>> r = cx.first_response_time(pd.DataFrame({"created_at": created, "first_response_at": reply}),
    ...                            quantiles=(0.5,), min_base=0)
    >>> r.median.estimate, r.n, r.n_open
    (2.0, 3, 1)
    """
    return _first_response_time_by(tickets, by=None, created=created, first_response=first_response,
                                   quantiles=quantiles, unit=unit, confidence_level=confidence_level,
                                   min_base=min_base)


def resolution_time(
    tickets: pd.DataFrame,
    *,
    kind: str = "first",
    created: str = "created_at",
    resolved: str | None = None,
    quantiles: Sequence[float] = (0.5, 0.9),
    unit: str = "h",
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> DurationSummary:
    """Resolution time (first or full): quantiles with order-statistic CIs.

    Parameters
    ----------
    tickets : DataFrame
        One row per ticket.
    kind : {"first", "full"}
        ``"first"``: first-resolution time, creation -> first solve (column
        ``first_resolved_at``). ``"full"``: full-resolution time, creation -> last solve
        (column ``resolved_at``), which includes the time spent on reopens.
    created : str
        Creation timestamp column.
    resolved : str, optional
        Override the solve-time column implied by ``kind``.
    quantiles, unit, confidence_level, min_base
        As in :func:`first_response_time`.

    Returns
    -------
    DurationSummary

    Raises
    ------
    CXDataError
        As in :func:`first_response_time`, with a solve earlier than creation.

    Notes
    -----
    Quantiles and their distribution-free intervals exactly as in
    :func:`first_response_time` (Hahn & Meeker 1991 §5.2 binomial order-statistic rule).

    Open tickets (end timestamp missing) have no time yet: they are excluded from the
    quantiles and reported as ``n_open``. Because the slowest tickets are the ones most
    likely to still be open, this biases the times *down*; a survival view (Kaplan–Meier
    on time-to-event with open tickets censored at the data date) removes that bias.

    References
    ----------
    Zendesk, "First resolution time" and "Full resolution time" metric definitions.
    Hahn, G. J. & Meeker, W. Q. (1991). *Statistical Intervals*, Wiley, §5.2.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> t = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2026-01-01"] * 3),
    ...     "first_resolved_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04"]),
    ...     "resolved_at": pd.to_datetime(["2026-01-02", "2026-01-06", "2026-01-04"])})
    >>> cx.resolution_time(t, unit="D", quantiles=(0.5,), min_base=0).median.estimate
    2.0
    >>> cx.resolution_time(t, kind="full", unit="D", quantiles=(0.5,), min_base=0).median.estimate
    3.0
    """
    return _resolution_time_by(tickets, by=None, kind=kind, created=created, resolved=resolved,
                               quantiles=quantiles, unit=unit, confidence_level=confidence_level,
                               min_base=min_base)


# Grouped forms. The public ticket functions return one result type; per-group tables come
# from ``cx.by_group(tickets, cx.reopen_rate, by="channel")``, which dispatches here (one
# pass over group codes, like the survey metrics).


def _reopen_rate_by(tickets, *, by, reopen_count="reopen_count", resolved="first_resolved_at",
                    confidence_level=0.95, min_base=30):
    return _share(tickets, count_col=reopen_count, resolved=resolved, by=by, confidence_level=confidence_level,
                  min_base=min_base, success=lambda c: c >= 1, what="reopen rate", argument="reopen_count")


def _first_contact_resolution_by(tickets, *, by, contacts="contacts", resolved="first_resolved_at",
                                 confidence_level=0.95, min_base=30):
    return _share(tickets, count_col=contacts, resolved=resolved, by=by, confidence_level=confidence_level,
                  min_base=min_base, success=lambda c: c == 1, what="first-contact resolution",
                  argument="contacts")


def _first_response_time_by(tickets, *, by, created="created_at", first_response="first_response_at",
                            quantiles=(0.5, 0.9), unit="h", confidence_level=0.95, min_base=30):
    return _durations(tickets, created=created, end=first_response, end_argument="first_response",
                      quantiles=quantiles, unit=unit, by=by, confidence_level=confidence_level,
                      min_base=min_base, metric="first_response_time")


def _resolution_time_by(tickets, *, by, kind="first", created="created_at", resolved=None,
                        quantiles=(0.5, 0.9), unit="h", confidence_level=0.95, min_base=30):
    kinds = {"first": ("first_resolved_at", "first_resolution_time"), "full": ("resolved_at", "full_resolution_time")}
    if kind not in kinds:
        raise CXDataError(f"`kind`={kind!r} is not supported; use one of {list(kinds)}")
    column, metric = kinds[kind]
    return _durations(tickets, created=created, end=resolved or column, end_argument="resolved",
                      quantiles=quantiles, unit=unit, by=by, confidence_level=confidence_level,
                      min_base=min_base, metric=metric)


#: name -> (public function, grouped implementation), used by :func:`cxlib.by_group`
GROUPED_OPERATIONS = {
    "reopen_rate": (reopen_rate, _reopen_rate_by),
    "first_contact_resolution": (first_contact_resolution, _first_contact_resolution_by),
    "first_response_time": (first_response_time, _first_response_time_by),
    "resolution_time": (resolution_time, _resolution_time_by),
}


# ---------------------------------------------------------------------------
# Churn rate and cohort retention
# ---------------------------------------------------------------------------


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
) -> ChurnRates:
    """Churn rate per calendar period: churned during / active at the start, Wilson interval.

    Parameters
    ----------
    customers : DataFrame
        One row per customer.
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

    Returns
    -------
    ChurnRates
        ``to_frame()``: ``period`` (e.g. ``"2026Q3"`` / ``"2026-03"``), [by],
        ``period_start``, ``at_risk``, ``churned``, ``rate``, ``std_err``, ``ci_low``,
        ``ci_high``, ``monthly_rate``, ``monthly_ci_low``, ``monthly_ci_high``,
        ``new_customers``, ``confidence_level``, ``min_base``, ``small_base``.

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
    customers = _check_frame(customers, "customers")
    freq = _period_freq(period, "period")
    level = check_confidence_level(confidence_level)
    min_base = _check_min_base(min_base)
    by_cols = _by_columns(customers, by)
    s, c = _customer_dates(customers, signup, churn)
    first = _as_period(start, freq, "start") if start is not None else pd.Period(s.min(), freq=freq) + 1
    latest = max(s.max(), c[~np.isnat(c)].max() if (~np.isnat(c)).any() else s.max())
    last = _as_period(end, freq, "end") if end is not None else pd.Period(latest, freq=freq)
    if last < first:
        raise CXDataError(f"`end`={_period_label(last)!r} is before `start`={_period_label(first)!r}")
    periods = pd.period_range(first, last + 1, freq=freq)
    k = len(periods) - 1
    edges = periods.start_time.to_numpy(dtype="datetime64[ns]")  # k + 1 boundaries
    # customer i is at risk in periods a_i .. c_i (inclusive); churns in c_i when churned
    a = np.searchsorted(edges, s, side="right")  # first period starting strictly after signup
    churned_flag = ~np.isnat(c)
    c_idx = np.where(churned_flag, np.searchsorted(edges, np.where(churned_flag, c, edges[0]), side="right") - 1, k)
    new_idx = a - 1  # period containing signup (valid when 0 <= new_idx < k)
    if by_cols:
        codes, keys = _group_codes(customers, by_cols)
    else:
        codes, keys = np.zeros(len(customers), dtype=np.int64), pd.DataFrame(index=range(1))
    g = len(keys)
    width = k + 1
    alive = a <= np.minimum(c_idx, k - 1)  # at risk in at least one reported period
    delta = np.bincount(codes[alive] * width + a[alive], minlength=g * width).reshape(g, width)
    stop = np.minimum(c_idx, k - 1) + 1
    delta -= np.bincount(codes[alive] * width + stop[alive], minlength=g * width).reshape(g, width)
    at_risk = np.cumsum(delta, axis=1)[:, :k]
    ev = churned_flag & (c_idx >= 0) & (c_idx < k) & (a <= c_idx)
    churned = np.bincount(codes[ev] * k + c_idx[ev], minlength=g * k).reshape(g, k)
    nw = (new_idx >= 0) & (new_idx < k)
    new = np.bincount(codes[nw] * k + new_idx[nw], minlength=g * k).reshape(g, k)
    rate, se, lo, hi = _wilson(churned.ravel(), at_risk.ravel(), level)
    out = pd.DataFrame({"period": np.tile([_period_label(p) for p in periods[:k]], g)})
    for col in by_cols:
        out[col] = np.repeat(keys[col].to_numpy(), k)
    months = 3.0 if freq == "Q" else 1.0
    out["period_start"] = np.tile(edges[:k], g)
    out["at_risk"], out["churned"] = at_risk.ravel(), churned.ravel()
    out["rate"], out["std_err"], out["ci_low"], out["ci_high"] = rate, se, lo, hi
    out["monthly_rate"] = 1.0 - (1.0 - rate) ** (1.0 / months)
    out["monthly_ci_low"] = 1.0 - (1.0 - lo) ** (1.0 / months)
    out["monthly_ci_high"] = 1.0 - (1.0 - hi) ** (1.0 / months)
    out["new_customers"] = new.ravel()
    out["confidence_level"], out["min_base"] = level, min_base
    out["small_base"] = out["at_risk"] < min_base
    method = ("churned during period / active at period start (signup before start, not churned before); "
              "Wilson score interval; monthly equivalent 1 - (1 - q)^(1/3) for quarters")
    return ChurnRates(table=out, period=freq, by=tuple(by_cols), confidence_level=level, method=method)


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

    Returns
    -------
    CohortRetention
        ``to_frame()``: long table (``cohort``, [by], ``period_index``, ``observable``,
        ``at_risk``, ``retained``, ``retention``, ``std_err``, ``ci_low``, ``ci_high``,
        ...); ``pivot()``: wide view (cohorts by periods since signup).

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
    customers = _check_frame(customers, "customers")
    freq = _period_freq(cohort, "cohort")
    level = check_confidence_level(confidence_level)
    min_base = _check_min_base(min_base)
    by_cols = _by_columns(customers, by)
    s, c = _customer_dates(customers, signup, churn)
    if as_of is None:
        as_of_ts = pd.Timestamp(max(s.max(), c[~np.isnat(c)].max() if (~np.isnat(c)).any() else s.max()))
    else:
        try:
            as_of_ts = pd.Timestamp(as_of)
        except (ValueError, TypeError):
            raise CXDataError(f"`as_of`={as_of!r} is not a date; use e.g. '2026-06-30'") from None
        if pd.isna(as_of_ts):
            raise CXDataError(f"`as_of`={as_of!r} is not a date; use e.g. '2026-06-30'")
    as_of64 = np.datetime64(as_of_ts.to_datetime64(), "ns")
    keep = s <= as_of64
    if not keep.any():
        raise CXDataError(f"no customer signed up by `as_of`={as_of_ts.date()}; column {signup!r} starts "
                          f"{pd.Timestamp(s.min()).date()}")
    first = pd.Period(pd.Timestamp(s[keep].min()), freq=freq)
    last = pd.Period(as_of_ts, freq=freq)
    periods = pd.period_range(first, last + 1, freq=freq)
    k = len(periods) - 1  # cohorts first .. last; period indices 0 .. k-1
    edges = periods.start_time.to_numpy(dtype="datetime64[ns]")
    coh = np.searchsorted(edges, s, side="right") - 1
    churned_flag = (~np.isnat(c)) & (c <= as_of64)
    p_churn = np.where(churned_flag, np.searchsorted(edges, np.where(churned_flag, c, edges[0]), side="right") - 1, k)
    d = np.minimum(p_churn - coh, k)  # churned during period coh + d; retained at j iff d >= j
    if by_cols:
        codes, keys = _group_codes(customers, by_cols)
    else:
        codes, keys = np.zeros(len(customers), dtype=np.int64), pd.DataFrame(index=range(1))
    g = len(keys)
    codes, coh, d = codes[keep], coh[keep], d[keep]
    cell = codes * k + coh
    size = np.bincount(cell, minlength=g * k)
    # lost by j = churned in periods < j after signup; retained(j) = size - cumsum(lost)
    lost = np.bincount(cell * (k + 1) + d, minlength=g * k * (k + 1)).reshape(g * k, k + 1)
    retained = size[:, None] - np.concatenate([np.zeros((g * k, 1), dtype=np.int64),
                                              np.cumsum(lost, axis=1)[:, :k - 1]], axis=1)
    j = np.arange(k)
    cohort_idx = np.tile(np.repeat(np.arange(k), k), g)
    observable = (cohort_idx + np.tile(j, g * k)) <= (k - 1)
    at_risk = np.repeat(size, k)
    ret = retained.ravel().astype(float)
    ret[~observable] = np.nan
    rate, se, lo, hi = _wilson(np.nan_to_num(ret), np.where(observable, at_risk, 0), level)
    out = pd.DataFrame({"cohort": [_period_label(periods[i]) for i in cohort_idx]})
    for col in by_cols:
        out[col] = np.repeat(keys[col].to_numpy(), k * k)
    out["period_index"] = np.tile(j, g * k)
    out["observable"] = observable
    out["at_risk"] = at_risk
    out["retained"] = pd.array(np.where(observable, retained.ravel(), 0), dtype="Int64")
    out.loc[~observable, "retained"] = pd.NA
    out["retention"], out["std_err"], out["ci_low"], out["ci_high"] = rate, se, lo, hi
    out["confidence_level"], out["min_base"] = level, min_base
    out["small_base"] = out["at_risk"] < min_base
    method = ("share of the signup cohort still a customer as period c + j begins; "
              "unobservable cells (period not begun by as_of) missing; Wilson score interval")
    return CohortRetention(table=out, cohort=freq, by=tuple(by_cols), as_of=as_of_ts,
                           n_excluded=int((~keep).sum()), confidence_level=level, method=method)
