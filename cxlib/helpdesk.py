"""Operational CX metrics: helpdesk rates and times.

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

from . import engines
from .core.checks import (
    by_columns,
    check_columns,
    check_confidence_level,
    check_date_order,
    check_frame,
    check_min_base,
    date_column,
    group_codes,
    non_negative_counts,
    show_values,
)
from .core.inference import share_interval
from .errors import CXDataError, SmallBaseWarning
from .core.results import Estimate


_UNITS = {"s": "s", "min": "min", "h": "h", "d": "D", "D": "D"}


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


# ---------------------------------------------------------------------------
# Small numeric kernels
# ---------------------------------------------------------------------------



def _order_statistic_ranks(n: int, q: float, confidence_level: float) -> tuple[int, int, float]:
    """1-based ranks ``(l, u)`` of the equal-tailed order-statistic interval and its coverage.

    With ``B`` the Binomial(n, q) cdf and ``a = (1 - confidence_level) / 2``:
    ``l - 1 = max{k : B(k) <= a}`` and ``u - 1 = min{k : B(k) >= 1 - a}``, so that
    ``P(X_(l) > xi_q) = B(l - 1) <= a`` and ``P(X_(u) < xi_q) = 1 - B(u - 1) <= a``.
    ``l = 0`` / ``u = n + 1`` mean the bound does not exist for this n.
    """
    a = (1.0 - confidence_level) / 2.0
    # B only in a window of +-(12 SD + 12) around nq: exact, because B is non-decreasing and
    # the checks below confirm B(start - 1) <= a and B(stop - 1) >= 1 - a (else the full range)
    half = int(12.0 * np.sqrt(n * q * (1.0 - q)) + 12.0)
    start, stop = max(0, int(n * q) - half), min(n + 1, int(n * q) + half + 1)
    cdf = stats.binom.cdf(np.arange(start, stop), n, q)
    if not ((start == 0 or stats.binom.cdf(start - 1, n, q) <= a) and (stop == n + 1 or cdf[-1] >= 1.0 - a)):
        start, cdf = 0, stats.binom.cdf(np.arange(n + 1), n, q)
    lo = start + int(np.count_nonzero(cdf <= a))  # every k < start has B(k) <= a
    hit = np.flatnonzero(cdf >= 1.0 - a)
    hi = start + int(hit[0]) + 1 if hit.size else n + 1
    b_hi = 1.0 if hi > n else float(cdf[hi - 1 - start])
    b_lo = 0.0 if lo == 0 else float(stats.binom.cdf(lo - 1, n, q))
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


def _share(tickets, *, count_col, resolved, by, confidence_level, min_base, success, what, argument):
    if engines.is_engine_frame(tickets):  # polars, pyarrow, DuckDB, Spark: counted in the engine
        from .engine_ops.helpdesk import share

        return share(tickets, count_col=count_col, resolved=resolved, by=by, confidence_level=confidence_level,
                     min_base=min_base, success=success, what=what, argument=argument)
    tickets = check_frame(tickets, argument="tickets")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    by_cols = by_columns(tickets, by)
    check_columns(tickets, [count_col], argument=argument)
    solved = date_column(tickets, resolved, argument="resolved").notna().to_numpy()
    counts = non_negative_counts(tickets[count_col], count_col)
    missing = solved & np.isnan(counts)
    if missing.any():
        raise CXDataError(
            f"column {count_col!r} is missing for {int(missing.sum())} solved ticket(s) "
            f"(row labels {show_values(tickets.index[missing])}); fill it (0 if none) or drop those tickets"
        )
    hit = solved & success(counts)
    if not by_cols:
        return _share_result(None, np.array([int(solved.sum())]), np.array([int(hit.sum())]), np.array([len(tickets)]),
                             level=level, min_base=min_base, what=what, resolved=resolved)
    codes, keys = group_codes(tickets, by_cols)
    g = len(keys)
    ok = codes >= 0  # rows with a missing group key belong to no group (as in cx.by_group)
    n = np.bincount(codes[ok], weights=solved[ok], minlength=g).astype(np.int64)
    k = np.bincount(codes[ok], weights=hit[ok], minlength=g).astype(np.int64)
    rows = np.bincount(codes[ok], minlength=g).astype(np.int64)
    return _share_result(keys, n, k, rows, level=level, min_base=min_base, what=what, resolved=resolved)


def _share_result(keys, n, k, rows, *, level, min_base, what, resolved):
    """The rate and its Wilson interval from the counts: solved ``n``, with the property
    ``k``, all tickets ``rows`` (per group of ``keys``; ``keys=None``: one ungrouped rate).
    Shared by the pandas path and the engine path (:mod:`cxlib.engine_ops.helpdesk`)."""
    method = f"Wilson score interval; base = solved tickets ({resolved!r} present)"
    if keys is None:
        n, k = int(n[0]), int(k[0])
        if n == 0:
            raise CXDataError(
                f"no solved tickets: column {resolved!r} is missing in all {int(rows[0])} rows; "
                f"{what} is defined on solved tickets only"
            )
        p, se, lo, hi = share_interval(np.array([k]), np.array([n]), level)
        if n < min_base:
            warnings.warn(f"{what} rests on {n} solved tickets (< min_base={min_base})", SmallBaseWarning,
                          stacklevel=4)
        return RateEstimate(estimate=float(p[0]), std_err=float(se[0]), ci_low=float(lo[0]), ci_high=float(hi[0]),
                            n=n, confidence_level=level, method=method, count=k,
                            n_excluded=int(rows[0] - n), min_base=min_base, small_base=n < min_base)
    p, se, lo, hi = share_interval(k, n, level)
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
        One row per ticket: a pandas DataFrame, or a polars, pyarrow, DuckDB or Spark table
        (counted in that engine, :mod:`cxlib.engine_ops.helpdesk`).
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
        One row per ticket: a pandas DataFrame, or a polars, pyarrow, DuckDB or Spark table
        (counted in that engine, :mod:`cxlib.engine_ops.helpdesk`).
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
    if engines.is_engine_frame(tickets):
        from .engine_ops.helpdesk import durations

        return durations(tickets, created=created, end=end, end_argument=end_argument, quantiles=quantiles, unit=unit,
                         by=by, confidence_level=confidence_level, min_base=min_base, metric=metric)
    tickets = check_frame(tickets, argument="tickets")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    qs = _check_quantiles(quantiles)
    if unit not in _UNITS:
        raise CXDataError(f"`unit`={unit!r} is not supported; use one of {list(_UNITS)}")
    by_cols = by_columns(tickets, by)
    start = date_column(tickets, created, argument="created")
    stop = date_column(tickets, end, argument=end_argument)
    if start.isna().any():
        miss = start.isna().to_numpy()
        raise CXDataError(
            f"column {created!r} is missing in {int(miss.sum())} row(s) (row labels {show_values(tickets.index[miss])}); "
            "every ticket needs a creation time"
        )
    check_date_order(tickets, start, stop, created, end)
    has_end = stop.notna().to_numpy()
    x = ((stop - start) / pd.Timedelta(1, _UNITS[unit])).to_numpy(dtype=float)
    if not by_cols:
        xs = np.sort(x[has_end])
        return _duration_result(None, lambda j: _quantile_rows(xs, qs, level), np.array([xs.size]),
                                np.array([len(tickets)]), level=level, min_base=min_base, metric=metric, unit=unit,
                                end=end)
    codes, keys = group_codes(tickets, by_cols)
    g = len(keys)
    ok = codes >= 0  # rows with a missing group key belong to no group (as in cx.by_group)
    has_end = has_end & ok
    rows_per_group = np.bincount(codes[ok], minlength=g)
    n_per_group = np.bincount(codes[has_end], minlength=g)
    # one sort by (group, time); each group's times are then a contiguous sorted slice
    gc, xv = codes[has_end], x[has_end]
    order = np.lexsort((xv, gc))
    xs_all = xv[order]
    bounds = np.concatenate([[0], np.cumsum(n_per_group)])
    return _duration_result(keys, lambda j: _quantile_rows(xs_all[bounds[j]:bounds[j + 1]], qs, level), n_per_group,
                            rows_per_group, level=level, min_base=min_base, metric=metric, unit=unit, end=end)


def _duration_result(keys, rows_of, n, n_rows, *, level, min_base, metric, unit, end):
    """The summary from each group's quantile rows (``rows_of(j)``, as :func:`_quantile_rows`
    gives them), its tickets with a time ``n`` and all its tickets ``n_rows``; ``keys=None``:
    one ungrouped summary. Shared with the engine path (:mod:`cxlib.engine_ops.helpdesk`),
    which reads the needed order statistics from the engine."""
    method = (f"{level:.0%} distribution-free interval [X_(l), X_(u)] from order statistics "
              "(equal-tailed binomial rule, Hahn & Meeker 1991 §5.2); point = linear interpolation (type 7); "
              "open tickets excluded (see n_open)")
    if keys is None:
        n_all = int(n[0])
        if n_all == 0:
            raise CXDataError(f"column {end!r} is missing in all {int(n_rows[0])} rows: no ticket has a time to measure")
        if n_all < min_base:
            warnings.warn(f"{metric} rests on {n_all} tickets (< min_base={min_base})", SmallBaseWarning,
                          stacklevel=5)
        ests = tuple(
            QuantileEstimate(estimate=r["estimate"], std_err=np.nan, ci_low=r["ci_low"], ci_high=r["ci_high"],
                             n=n_all, confidence_level=level, method=method, quantile=r["quantile"],
                             rank_low=r["rank_low"], rank_high=r["rank_high"], coverage=r["coverage"])
            for r in rows_of(0)
        )
        return DurationSummary(metric=metric, unit=_UNITS[unit], quantiles=ests, n=n_all,
                               n_open=int(n_rows[0] - n_all), confidence_level=level, min_base=min_base,
                               small_base=n_all < min_base)
    records = []
    for j in range(len(keys)):
        for r in rows_of(j):
            r.update(n=int(n[j]), n_open=int(n_rows[j] - n[j]))
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
        One row per ticket: a pandas DataFrame, or a polars, pyarrow, DuckDB or Spark table
        (counts and only the order statistics needed are read from that engine,
        :mod:`cxlib.engine_ops.helpdesk`).
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
