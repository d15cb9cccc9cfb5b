"""Customer segments: rule-based, attitudinal (needs-based), profiles and response styles.

Rule-based segments (:func:`rfm`, :func:`value_tiers`, :func:`tenure_bands`,
:func:`nps_groups`) apply documented cut-offs and return the assignment together with a
counts table. :func:`attitudinal_segments` clusters driver ratings (k-means or a Gaussian
mixture), chooses the number of segments by a stated criterion, measures bootstrap
stability and returns a frozen result that can :meth:`~AttitudinalSegments.assign` next
wave's respondents to the same segments. :func:`profile` describes segments against the
total with FDR-corrected tests, :func:`plot_profile` draws it. :func:`response_styles` and
:func:`standardize_within` are the cross-country diagnostics of ``METHODS.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
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
    numeric_scores,
    resolve_weights,
)
from .core.inference import normal_quantile, wilson_interval
from .errors import CXDataError, SmallBaseWarning
from .core.results import Estimate

__all__ = [
    "RFMResult",
    "RuleSegments",
    "AttitudinalSegments",
    "ResponseStyles",
    "rfm",
    "value_tiers",
    "tenure_bands",
    "nps_groups",
    "attitudinal_segments",
    "profile",
    "plot_profile",
    "response_styles",
    "standardize_within",
    "segment_scorecard",
    "RFM_SEGMENT_MAP",
    "SEGMENT_OUTCOMES",
    "name_segments",
    "k_selection_table",
    "segment_outcomes",
    "segment_association",
    "plot_response_styles",
    "segment_findings",
    "segment_key_figures",
    "profile_table",
]

_DAYS_PER_MONTH = 365.25 / 12

# ----------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------


def _check_choice(value: Any, options: Sequence[Any], *, argument: str) -> Any:
    if value not in options:
        raise CXDataError(f"`{argument}`={value!r} is not valid; choose one of {list(options)}")
    return value


def _check_data(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise CXDataError("`data` has no rows: nothing to analyse")
    return data


def _as_list(columns: Any, *, argument: str) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    if columns is None:
        raise CXDataError(f"`{argument}` must name at least one column")
    cols = list(columns)
    if not cols:
        raise CXDataError(f"`{argument}` must name at least one column")
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise CXDataError(f"`{argument}` lists {dup} more than once")
    return cols


def _as_timestamp(as_of: Any) -> pd.Timestamp:
    if as_of is None:
        raise CXDataError("`as_of` is required: the reference date, e.g. as_of='2026-09-30'")
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise CXDataError(f"`as_of`={as_of!r} is not a date; use e.g. '2026-09-30'") from None
    if pd.isna(ts):
        raise CXDataError(f"`as_of`={as_of!r} is not a date; use e.g. '2026-09-30'")
    return ts


def _check_edges(edges: Any, *, argument: str) -> np.ndarray:
    try:
        arr = np.asarray(list(edges), dtype=float)
    except (TypeError, ValueError):
        raise CXDataError(f"`{argument}`={edges!r} must be a list of numbers (the cut-offs)") from None
    if arr.ndim != 1 or len(arr) == 0:
        raise CXDataError(f"`{argument}`={edges!r} must be a non-empty list of cut-offs")
    if not np.all(np.isfinite(arr)):
        raise CXDataError(f"`{argument}`={edges!r} has missing or infinite cut-offs")
    if np.any(np.diff(arr) <= 0):
        raise CXDataError(f"`{argument}`={list(arr)} must be strictly increasing")
    return arr


# ----------------------------------------------------------------------------------------
# rule-based segments
# ----------------------------------------------------------------------------------------

#: Named RFM segments on the recency (R) x frequency (F) grid of 1-5 scores.
#: Each entry is (segment, R scores, F scores); together they cover all 25 cells once.
RFM_SEGMENT_MAP: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("champions", (5,), (4, 5)),
    ("loyal customers", (3, 4), (4, 5)),
    ("potential loyalists", (4, 5), (2, 3)),
    ("new customers", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need attention", (3,), (3,)),
    ("about to sleep", (3,), (1, 2)),
    ("can't lose them", (1, 2), (5,)),
    ("at risk", (1, 2), (3, 4)),
    ("hibernating", (1, 2), (1, 2)),
)


def _rfm_segment_lookup() -> dict[tuple[int, int], str]:
    table: dict[tuple[int, int], str] = {}
    for name, rs, fs in RFM_SEGMENT_MAP:
        for r in rs:
            for f in fs:
                table[(r, f)] = name
    return table


def _rank_scores(values: np.ndarray, bins: int, *, higher_is_better: bool) -> np.ndarray:
    """Quantile scores 1..bins: ``1 + floor(bins * share of units with a strictly worse value)``."""
    v = values if higher_is_better else -values
    below = pd.Series(v).rank(method="min").to_numpy() - 1.0  # units strictly worse
    return (1 + np.floor(bins * below / len(v))).astype(int)


def _fixed_scores(values: np.ndarray, edges: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    passed = np.searchsorted(edges, values, side="right")  # number of cut-offs <= value
    return (1 + passed if higher_is_better else len(edges) + 1 - passed).astype(int)


@dataclass(frozen=True, eq=False)
class RFMResult:
    """Recency-frequency-monetary scores and named segments (see :func:`rfm`).

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per customer: the customer id, ``recency_days``, ``frequency``,
        ``monetary``, ``r_score``, ``f_score``, ``m_score`` (1 = worst, ``bins`` = best),
        ``rfm_cell`` (e.g. ``"545"``), ``rfm_sum`` and ``segment``.
    counts : pandas.DataFrame
        Customers per named segment (``segment, n, share`` and the segment's mean
        recency, frequency and monetary value).
    cutoffs : pandas.DataFrame
        Per dimension and score: the observed ``min``/``max`` raw values and ``n``;
        with fixed cut-offs also the ``lower``/``upper`` bounds used.
    as_of : pandas.Timestamp or None
        Reference date for recency (``None`` for customer-level input).
    method : str
        How the scores were formed.
    """

    scores: pd.DataFrame
    counts: pd.DataFrame
    cutoffs: pd.DataFrame
    as_of: pd.Timestamp | None
    method: str

    def to_frame(self) -> pd.DataFrame:
        """The per-customer scores table (a copy)."""
        return self.scores.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.method}</p>" + self.counts.to_html(index=False)


def rfm(
    data: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str | None = None,
    amount: str | None = None,
    as_of: Any = None,
    recency: str | None = None,
    frequency: str | None = None,
    monetary: str | None = None,
    bins: int | Mapping[str, Sequence[float]] = 5,
) -> RFMResult:
    """Recency, frequency and monetary (RFM) scores and named RFM segments.

    Parameters
    ----------
    data : pandas.DataFrame
        Either transactions (one row per purchase/payment; give ``date`` and ``amount``)
        or customers (one row per customer; give ``recency`` in days, ``frequency`` and
        ``monetary``).
    customer : str
        Customer id column.
    date, amount : str, optional
        Transaction date and amount columns (transaction input).
    as_of : date-like
        Reference date for recency (transaction input); transactions after it are an error.
    recency, frequency, monetary : str, optional
        Pre-computed columns (customer input): days since the last purchase, number of
        purchases, total spend.
    bins : int or dict, default 5
        Number of quantile scores, or fixed cut-offs per dimension:
        ``{"recency": [30, 90, 180, 365], "frequency": [...], "monetary": [...]}`` (each
        strictly increasing, all the same length ``m`` giving scores 1..m+1).

    Returns
    -------
    RFMResult
        ``scores`` per customer, ``counts`` per named segment, the ``cutoffs`` table.

    Raises
    ------
    CXDataError
        Missing columns, missing or non-numeric amounts, dates that are not dates,
        transactions after ``as_of``, duplicated customers in customer input, bad ``bins``.

    Notes
    -----
    From transactions: recency = days from the customer's last transaction to
    ``as_of``; frequency = number of transactions; monetary = total amount.

    Quantile scores (``bins`` an int ``b``): with ``w`` the share of customers whose value
    is strictly *worse* (longer recency; lower frequency or spend),
    ``score = 1 + floor(b * w)``. Tied customers therefore share a score (the lower one:
    ties are never split at random), so scores need not be equally populated -- e.g. when
    most customers bought once, they all get F = 1. With no ties each score holds
    ``n / b`` customers (quintiles for ``b = 5``).

    Fixed cut-offs: intervals are closed on the left. F and M scores are
    ``1 + (number of cut-offs <= value)``; the R score is ``m + 1 - (number of cut-offs
    <= recency)``, so recency below the first cut-off scores highest.

    Named segments use the R x F grid of :data:`RFM_SEGMENT_MAP` (a widely used
    practitioner mapping; M does not enter): champions R 5 / F 4-5; loyal customers
    R 3-4 / F 4-5; potential loyalists R 4-5 / F 2-3; new customers R 5 / F 1;
    promising R 4 / F 1; need attention R 3 / F 3; about to sleep R 3 / F 1-2;
    can't lose them R 1-2 / F 5; at risk R 1-2 / F 3-4; hibernating R 1-2 / F 1-2.
    They are defined only for 1-5 scores; otherwise ``segment`` is missing and
    ``counts`` tabulates ``rfm_cell``.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Probus.
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value
    curves for customer base analysis. *Journal of Marketing Research* 42(4), 415-430.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 3, 4, 5],
    ...                    "date": pd.to_datetime(["2026-01-05", "2026-03-20", "2026-02-01",
    ...                        "2026-03-01", "2026-03-25", "2026-03-30", "2025-11-15",
    ...                        "2026-03-28"]),
    ...                    "amount": [20.0, 30.0, 15.0, 10.0, 40.0, 25.0, 200.0, 5.0]})
    >>> res = cx.rfm(tx, date="date", amount="amount", as_of="2026-03-31")
    >>> res.scores[["customer_id", "recency_days", "r_score", "f_score", "segment"]]
       customer_id  recency_days  r_score  f_score          segment
    0            1          11.0        3        4  loyal customers
    1            2          58.0        2        1      hibernating
    2            3           1.0        5        5        champions
    3            4         136.0        1        1      hibernating
    4            5           3.0        4        1        promising
    """
    data = _check_data(data)
    transactional = date is not None or amount is not None
    customer_level = any(c is not None for c in (recency, frequency, monetary))
    if transactional == customer_level:
        raise CXDataError(
            "give either `date` and `amount` (transactions) or `recency`, `frequency` and "
            "`monetary` (one row per customer), not both or neither"
        )
    check_columns(data, [customer], argument="customer")
    ids = data[customer]
    if ids.isna().any():
        raise CXDataError(f"column {customer!r} has {int(ids.isna().sum())} missing customer id(s)")

    as_of_ts: pd.Timestamp | None = None
    if transactional:
        if date is None or amount is None:
            raise CXDataError("transaction input needs both `date` and `amount`")
        check_columns(data, [date], argument="date")
        check_columns(data, [amount], argument="amount")
        as_of_ts = _as_timestamp(as_of)
        dates = as_datetimes(data[date], date)
        if dates.isna().any():
            raise CXDataError(f"column {date!r} has {int(dates.isna().sum())} missing date(s)")
        amounts = numeric_scores(data[amount], amount, allow_missing=False)
        late = (dates > as_of_ts).to_numpy()
        if late.any():
            raise CXDataError(
                f"column {date!r} has {int(late.sum())} transaction(s) after `as_of`={as_of_ts.date()}: "
                f"{show_values(pd.unique(dates[late]))}; choose a later `as_of` or filter the rows"
            )
        frame = pd.DataFrame({"_id": ids.to_numpy(), "_date": dates.to_numpy(), "_amount": amounts})
        agg = frame.groupby("_id", sort=True).agg(
            last=("_date", "max"), frequency=("_date", "size"), monetary=("_amount", "sum")
        )
        rec = ((as_of_ts - agg["last"]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        table = pd.DataFrame(
            {
                customer: agg.index.to_numpy(),
                "recency_days": rec,
                "frequency": agg["frequency"].to_numpy(dtype=float),
                "monetary": agg["monetary"].to_numpy(dtype=float),
            }
        )
    else:
        if recency is None or frequency is None or monetary is None:
            raise CXDataError("customer input needs all of `recency`, `frequency` and `monetary`")
        for arg, col in (("recency", recency), ("frequency", frequency), ("monetary", monetary)):
            check_columns(data, [col], argument=arg)
        dup = ids.duplicated(keep=False)
        if dup.any():
            raise CXDataError(
                f"column {customer!r} repeats {int(dup.sum())} row(s) {show_values(pd.unique(ids[dup]))}; "
                "customer input needs one row per customer (pass transactions with `date`/`amount` instead)"
            )
        table = pd.DataFrame(
            {
                customer: ids.to_numpy(),
                "recency_days": numeric_scores(data[recency], recency, low=0, allow_missing=False),
                "frequency": numeric_scores(data[frequency], frequency, low=0, allow_missing=False),
                "monetary": numeric_scores(data[monetary], monetary, allow_missing=False),
            }
        )

    dims = (("r_score", "recency_days", False, "recency"), ("f_score", "frequency", True, "frequency"),
            ("m_score", "monetary", True, "monetary"))
    cut_rows = []
    if isinstance(bins, Mapping):
        keys = {"recency", "frequency", "monetary"}
        if set(bins) != keys:
            raise CXDataError(f"`bins` as a dict needs exactly the keys {sorted(keys)}; got {sorted(map(str, bins))}")
        edges = {k: _check_edges(v, argument=f"bins[{k!r}]") for k, v in bins.items()}
        lengths = {len(v) for v in edges.values()}
        if len(lengths) != 1:
            raise CXDataError(f"`bins` cut-off lists must have the same length; got { {k: len(v) for k, v in edges.items()} }")
        n_scores = lengths.pop() + 1
        for score_col, value_col, higher, key in dims:
            e = edges[key]
            table[score_col] = _fixed_scores(table[value_col].to_numpy(), e, higher_is_better=higher)
            bounds = np.concatenate([[-np.inf], e, [np.inf]])
            for level in range(len(e) + 1):
                score = level + 1 if higher else len(e) + 1 - level
                cut_rows.append((key, score, bounds[level], bounds[level + 1]))
        method = "RFM scores from fixed cut-offs (intervals closed on the left)"
    else:
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
            raise CXDataError(f"`bins`={bins!r} must be an integer >= 2 or a dict of cut-offs")
        n_scores = int(bins)
        for score_col, value_col, higher, key in dims:
            table[score_col] = _rank_scores(table[value_col].to_numpy(), n_scores, higher_is_better=higher)
            for score in range(1, n_scores + 1):
                cut_rows.append((key, score, np.nan, np.nan))
        method = (
            f"RFM quantile scores 1-{n_scores}: 1 + floor({n_scores} x share of customers strictly worse); "
            "ties share the lower score"
        )
    if transactional:
        method += f"; recency in days to {as_of_ts.date()}, frequency = transactions, monetary = total amount"

    table["rfm_cell"] = (
        table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
    )
    table["rfm_sum"] = table["r_score"] + table["f_score"] + table["m_score"]
    if n_scores == 5:
        lookup = _rfm_segment_lookup()
        table["segment"] = [lookup[(r, f)] for r, f in zip(table["r_score"], table["f_score"])]
        key_col = "segment"
        order = [name for name, _, _ in RFM_SEGMENT_MAP]
    else:
        table["segment"] = pd.Series([None] * len(table), dtype=object)
        key_col = "rfm_cell"
        order = sorted(table["rfm_cell"].unique(), reverse=True)
    grouped = table.groupby(key_col, sort=False)
    counts = pd.DataFrame(
        {
            "segment": order,
            "n": grouped.size().reindex(order, fill_value=0).to_numpy(),
        }
    )
    counts["share"] = counts["n"] / len(table)
    for col in ("recency_days", "frequency", "monetary"):
        counts[f"mean_{col}"] = grouped[col].mean().reindex(order).to_numpy()

    cut = pd.DataFrame(cut_rows, columns=["dimension", "score", "lower", "upper"])
    obs = []
    for score_col, value_col, _, key in dims:
        g = table.groupby(score_col)[value_col].agg(["min", "max", "size"])
        for score, row in g.iterrows():
            obs.append((key, int(score), row["min"], row["max"], int(row["size"])))
    obs_df = pd.DataFrame(obs, columns=["dimension", "score", "min", "max", "n"])
    cut = cut.merge(obs_df, on=["dimension", "score"], how="left")
    cut["n"] = cut["n"].fillna(0).astype(int)
    if not isinstance(bins, Mapping):
        cut = cut.drop(columns=["lower", "upper"])
    return RFMResult(scores=table, counts=counts, cutoffs=cut, as_of=as_of_ts, method=method)


@dataclass(frozen=True, eq=False)
class RuleSegments:
    """A rule-based segmentation: one label per row plus its counts table.

    Attributes
    ----------
    labels : pandas.Series
        Ordered categorical, aligned with the input's index; missing values stay missing.
    counts : pandas.DataFrame
        ``segment, lower, upper, n, share, min, max``: the cut-offs that define each
        segment (``lower <= value < upper``; NaN = open end), customers per segment, the
        share of non-missing rows, and the observed range.
    cutoffs : tuple of float
        The cut-offs used (after computing quantiles).
    n_missing : int
        Rows without a value (not in ``counts`` shares).
    method : str
        How the cut-offs were set.
    """

    labels: pd.Series
    counts: pd.DataFrame
    cutoffs: tuple[float, ...]
    n_missing: int
    method: str

    def to_frame(self) -> pd.DataFrame:
        """The counts table (a copy)."""
        return self.counts.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.method}</p>" + self.counts.to_html(index=False)


def _cut_segments(
    values: np.ndarray, index: pd.Index, edges: np.ndarray, labels: Sequence[str], name: str, method: str
) -> RuleSegments:
    labels = list(labels)
    if len(labels) != len(edges) + 1:
        raise CXDataError(
            f"`labels` has {len(labels)} name(s) but {len(edges)} cut-off(s) make {len(edges) + 1} segments"
        )
    if len(set(labels)) != len(labels):
        raise CXDataError(f"`labels`={labels} has duplicates")
    missing = np.isnan(values)
    codes = np.searchsorted(edges, np.where(missing, 0.0, values), side="right")
    codes = np.where(missing, -1, codes)
    cat = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    lab = pd.Series(cat, index=index, name=f"{name}_segment")
    n = np.bincount(codes[~missing], minlength=len(labels))
    lower = np.concatenate([[np.nan], edges])
    upper = np.concatenate([edges, [np.nan]])
    mins, maxs = [], []
    for i in range(len(labels)):
        sel = values[codes == i]
        mins.append(sel.min() if len(sel) else np.nan)
        maxs.append(sel.max() if len(sel) else np.nan)
    n_valid = int((~missing).sum())
    counts = pd.DataFrame(
        {
            "segment": labels,
            "lower": lower,
            "upper": upper,
            "n": n.astype(int),
            "share": n / n_valid if n_valid else np.nan,
            "min": mins,
            "max": maxs,
        }
    )
    return RuleSegments(
        labels=lab,
        counts=counts,
        cutoffs=tuple(float(e) for e in edges),
        n_missing=int(missing.sum()),
        method=method,
    )


def value_tiers(
    data: pd.DataFrame,
    *,
    value: str = "monthly_revenue",
    quantiles: Sequence[float] | None = (0.5, 0.8),
    cutoffs: Sequence[float] | None = None,
    labels: Sequence[str] = ("low", "medium", "high"),
) -> RuleSegments:
    """Value tiers from quantile or fixed cut-offs on a value column.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    value : str
        Column holding the value (e.g. monthly revenue).
    quantiles : sequence of float, default (0.5, 0.8)
        Quantile cut-offs (bottom 50 %, next 30 %, top 20 % by default); ignored when
        ``cutoffs`` is given.
    cutoffs : sequence of float, optional
        Fixed cut-offs in the units of ``value``.
    labels : sequence of str
        One name per tier, lowest first (one more than the cut-offs).

    Returns
    -------
    RuleSegments

    Raises
    ------
    CXDataError
        Missing column, non-numeric values, cut-offs not increasing, labels of the wrong
        length, quantile cut-offs that coincide (too many ties: use fixed cut-offs).

    Notes
    -----
    Quantiles are computed on the non-missing values with linear interpolation
    (``numpy.quantile``, Hyndman & Fan type 7). Tiers are closed on the left: a value
    equal to a cut-off goes to the higher tier.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"monthly_revenue": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]})
    >>> cx.value_tiers(df, cutoffs=[50, 90]).counts[["segment", "lower", "upper", "n"]]
      segment  lower  upper  n
    0     low    NaN   50.0  4
    1  medium   50.0   90.0  4
    2    high   90.0    NaN  2
    """
    data = _check_data(data)
    check_columns(data, [value], argument="value")
    vals = numeric_scores(data[value], value)
    if cutoffs is not None:
        edges = _check_edges(cutoffs, argument="cutoffs")
        method = f"fixed cut-offs {list(edges)} on {value!r} (tiers closed on the left)"
    else:
        if quantiles is None:
            raise CXDataError("give `quantiles` or `cutoffs`")
        q = _check_edges(quantiles, argument="quantiles")
        if q[0] <= 0 or q[-1] >= 1:
            raise CXDataError(f"`quantiles`={list(q)} must lie strictly between 0 and 1")
        raw = np.quantile(vals[~np.isnan(vals)], q)
        if np.any(np.diff(raw) <= 0):
            raise CXDataError(
                f"quantiles {list(q)} of {value!r} give tied cut-offs {list(raw)} (many equal values); "
                "use fixed `cutoffs` instead"
            )
        edges = raw
        method = (
            f"quantile cut-offs at {[float(x) for x in q]} of {value!r} = {[float(e) for e in edges]} "
            "(numpy linear interpolation; tiers closed on the left)"
        )
    return _cut_segments(vals, data.index, edges, labels, value, method)


def tenure_bands(
    data: pd.DataFrame,
    *,
    start: str = "signup_date",
    as_of: Any = None,
    end: str | None = None,
    cutoffs: Sequence[float] = (3, 6, 12, 24),
    labels: Sequence[str] | None = None,
) -> RuleSegments:
    """Tenure bands (months since sign-up) from fixed cut-offs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    start : str
        Sign-up date column.
    as_of : date-like
        Reference date for tenure.
    end : str, optional
        End date column (e.g. ``"churn_date"``); where present and before ``as_of``,
        tenure runs to it instead (a churned customer's tenure stops at churn).
    cutoffs : sequence of float, default (3, 6, 12, 24)
        Band boundaries in months.
    labels : sequence of str, optional
        Band names; default ``"0-3 months"``, ..., ``"24+ months"``.

    Returns
    -------
    RuleSegments

    Raises
    ------
    CXDataError
        Missing columns, values that are not dates, sign-up after ``as_of`` (or after the
        end date).

    Notes
    -----
    Tenure in months = days / (365.25 / 12). Bands are closed on the left, so a customer
    of exactly 3.0 months is in "3-6 months".

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"signup_date": pd.to_datetime(["2026-06-01", "2025-01-15", "2023-05-01"])})
    >>> cx.tenure_bands(df, as_of="2026-09-30").labels.tolist()
    ['3-6 months', '12-24 months', '24+ months']
    """
    data = _check_data(data)
    check_columns(data, [start], argument="start")
    as_of_ts = _as_timestamp(as_of)
    s = as_datetimes(data[start], start)
    stop = pd.Series(as_of_ts, index=data.index)
    if end is not None:
        check_columns(data, [end], argument="end")
        e = as_datetimes(data[end], end)
        stop = e.where(e.notna() & (e < as_of_ts), as_of_ts)
    months = ((stop - s) / pd.Timedelta(days=1)).to_numpy(dtype=float) / _DAYS_PER_MONTH
    neg = months < 0
    if neg.any():
        raise CXDataError(
            f"column {start!r} has {int(neg.sum())} date(s) after `as_of`={as_of_ts.date()}"
            + (f" or after {end!r}" if end else "")
            + f": {show_values(pd.unique(s[neg]))}"
        )
    edges = _check_edges(cutoffs, argument="cutoffs")
    if edges[0] <= 0:
        raise CXDataError(f"`cutoffs`={list(edges)} must be positive numbers of months")
    if labels is None:
        bounds = [0.0, *edges]
        labels = [f"{lo:g}-{hi:g} months" for lo, hi in zip(bounds[:-1], bounds[1:])] + [f"{edges[-1]:g}+ months"]
    method = (
        f"tenure in months (days / 30.4375) to {as_of_ts.date()}"
        + (f" or to {end!r} if earlier" if end else "")
        + f"; fixed cut-offs {[float(x) for x in edges]}, bands closed on the left"
    )
    return _cut_segments(months, data.index, edges, labels, "tenure", method)


def nps_groups(data: Any, *, score: str = "ltr") -> RuleSegments:
    """NPS groups: detractors 0-6, passives 7-8, promoters 9-10.

    Parameters
    ----------
    data : pandas.DataFrame or array-like
        Responses, or the 0-10 scores themselves.
    score : str
        Column with likelihood-to-recommend on 0-10 (when ``data`` is a DataFrame).

    Returns
    -------
    RuleSegments
        ``labels`` ("detractor", "passive", "promoter"; missing scores stay missing) and
        ``counts``.

    Raises
    ------
    CXDataError
        Non-numeric scores, scores outside 0-10 or not whole numbers.

    Notes
    -----
    The fixed cut-offs of Reichheld (2003); NPS = 100 x (share promoters - share
    detractors), see ``METHODS.md``.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*
    81(12), 46-54.

    Examples
    --------
    >>> import cxlib as cx
    >>> g = cx.nps_groups([10, 9, 8, 7, 3])
    >>> g.counts[["segment", "n", "share"]]
         segment  n  share
    0  detractor  1    0.2
    1    passive  2    0.4
    2   promoter  2    0.4
    """
    if isinstance(data, pd.DataFrame):
        check_columns(data, [score], argument="score")
        s = data[score]
        name = score
    else:
        s = data if isinstance(data, pd.Series) else pd.Series(np.asarray(data))
        name = str(s.name) if s.name is not None else score
    vals = numeric_scores(s, name, low=0, high=10, integer=True)
    return _cut_segments(
        vals,
        s.index,
        np.array([7.0, 9.0]),
        ["detractor", "passive", "promoter"],
        name,
        "NPS groups: detractor 0-6, passive 7-8, promoter 9-10",
    )


# ----------------------------------------------------------------------------------------
# attitudinal segments
# ----------------------------------------------------------------------------------------

_MIN_PER_SEGMENT = 10
_SILHOUETTE_MAX_N = 3000


def _make_model(method: str, k: int, n_init: int, seed: int):
    if method == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=k, covariance_type="full", n_init=n_init, random_state=seed)


def _rating_matrix(
    data: pd.DataFrame, variables: list[str], missing: str, impute: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric matrix and the mask of usable rows under the missing-value policy."""
    cols = [numeric_scores(data[v], v) for v in variables]
    x = np.column_stack(cols)
    miss = np.isnan(x)
    if miss.any():
        if missing == "raise":
            per = {v: int(m) for v, m in zip(variables, miss.sum(axis=0)) if m}
            first = next(iter(per))
            rows = np.flatnonzero(miss.any(axis=1))
            raise CXDataError(
                f"column {first!r} has missing values (missing per column: {per}; "
                f"{len(rows)} row(s), e.g. index {show_values(data.index[rows])}); "
                "use missing='drop' to exclude those respondents or missing='mean' to impute"
            )
        if missing == "mean":
            x = np.where(miss, impute[None, :], x)
            return x, np.ones(len(x), dtype=bool)
        return x, ~miss.any(axis=1)
    return x, np.ones(len(x), dtype=bool)


@dataclass(frozen=True, eq=False)
class AttitudinalSegments:
    """A fitted, frozen attitudinal segmentation (see :func:`attitudinal_segments`).

    Attributes
    ----------
    labels : pandas.Series
        Segment 1..k per input row (``Int64``; missing for excluded respondents), aligned
        with the input's index. Segment 1 is the largest.
    k : int
        Number of segments chosen.
    method : str
        ``"kmeans"`` or ``"gmm"``.
    variables : tuple of str
        Clustering variables.
    criteria : pandas.DataFrame
        Per candidate k: ``silhouette``, ``inertia`` (k-means), ``bic``, ``aic`` (GMM),
        the smallest segment's share and ``chosen``.
    sizes : pandas.DataFrame
        ``segment, n, share``.
    centres : pandas.DataFrame
        Segment centres in the original rating units (k-means centroids or GMM means),
        one row per segment.
    stability : Estimate
        Mean adjusted Rand index between the full-data labels and each bootstrap refit's
        labels on the full data, with a percentile interval (``n`` = bootstrap resamples).
    boot_ari : tuple of float
        The bootstrap ARIs.
    model : sklearn estimator
        The fitted ``KMeans`` or ``GaussianMixture`` (on standardised data if
        ``standardize``).
    center, scale : numpy.ndarray
        Scaling applied before clustering (0 and 1 when not standardised).
    impute : numpy.ndarray
        Per-variable means of the fitting data (used when ``missing="mean"``).
    missing : str
        The missing-value policy.
    n_excluded : int
        Respondents excluded for missing ratings.
    seed : int
        Seed used.
    description : str
        The choices made, in words.
    """

    labels: pd.Series
    k: int
    method: str
    variables: tuple[str, ...]
    criteria: pd.DataFrame
    sizes: pd.DataFrame
    centres: pd.DataFrame
    stability: Estimate
    boot_ari: tuple[float, ...]
    model: Any
    center: np.ndarray
    scale: np.ndarray
    impute: np.ndarray
    relabel: np.ndarray
    missing: str
    n_excluded: int
    seed: int
    description: str

    def assign(self, new_data: pd.DataFrame) -> pd.Series:
        """Assign respondents (e.g. next wave's) to the fitted segments.

        Uses the fitting data's scaling, the fitted centres/components and the same
        missing-value policy (``"mean"`` imputes the *fitting* data's means; ``"drop"``
        leaves rows with missing ratings unassigned).

        Parameters
        ----------
        new_data : pandas.DataFrame
            Must contain every clustering variable.

        Returns
        -------
        pandas.Series
            Segment 1..k (``Int64``), aligned with ``new_data``'s index.
        """
        new_data = _check_data(new_data)
        variables = list(self.variables)
        check_columns(new_data, variables, argument="variables")
        x, ok = _rating_matrix(new_data, variables, self.missing, self.impute)
        out = pd.Series(pd.array([pd.NA] * len(new_data), dtype="Int64"), index=new_data.index, name="segment")
        if ok.any():
            raw = self.model.predict((x[ok] - self.center) / self.scale)
            out.iloc[np.flatnonzero(ok)] = self.relabel[raw]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Segment sizes with centres in original units: ``segment, n, share, <variables>``."""
        return self.sizes.merge(self.centres, on="segment")

    def __repr__(self) -> str:
        return (
            f"AttitudinalSegments(method={self.method!r}, k={self.k}, n={int(self.sizes['n'].sum())}, "
            f"n_excluded={self.n_excluded}, stability ARI={self.stability.estimate:.3f})"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.description}</p>" + self.to_frame().to_html(index=False)


def attitudinal_segments(
    data: pd.DataFrame,
    *,
    variables: Sequence[str],
    k: int | Iterable[int] = range(2, 8),
    method: str = "kmeans",
    standardize: bool = True,
    missing: str = "drop",
    n_init: int = 10,
    seed: int = 0,
    n_boot: int = 50,
    confidence_level: float = 0.95,
) -> AttitudinalSegments:
    """Attitudinal (needs-based) segments from driver ratings.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    variables : sequence of str
        Rating columns to cluster on (numeric).
    k : int or iterable of int, default range(2, 8)
        Number of segments, or candidates to choose from.
    method : {"kmeans", "gmm"}
        scikit-learn ``KMeans`` or ``GaussianMixture`` (full covariances).
    standardize : bool, default True
        z-score each variable (fitting sample mean and population SD) before clustering;
        the same scaling is reused by :meth:`AttitudinalSegments.assign`.
    missing : {"drop", "mean", "raise"}
        Respondents with any missing variable are excluded and counted (``"drop"``),
        missing ratings are replaced by the variable's mean (``"mean"``; shrinks
        differences and pulls respondents towards the centre), or an error (``"raise"``).
    n_init : int, default 10
        Random starts per fit.
    seed : int, default 0
        Seeds every fit and the bootstrap.
    n_boot : int, default 50
        Bootstrap resamples for stability (0 to skip).
    confidence_level : float, default 0.95
        Level of the percentile interval for the bootstrap ARI.

    Returns
    -------
    AttitudinalSegments

    Raises
    ------
    CXDataError
        Missing columns, non-numeric or constant variables, missing values under
        ``missing="raise"``, fewer than 10 x k respondents for the largest candidate k,
        bad ``k``/``method``/``missing``.

    Notes
    -----
    *Choice of k.* k-means: the k with the highest mean silhouette width (Rousseeuw
    1987), computed on all respondents up to 3,000 and on a seeded random 3,000
    otherwise. GMM: the k with the lowest BIC (Schwarz 1978; Fraley & Raftery 2002). Both
    criteria per candidate k are in ``criteria`` (silhouette is also shown for GMM; BIC
    only exists for the likelihood model).

    *Minimum size.* At least 10 respondents per segment for the largest k considered
    (n >= 10 k). That is a floor for fitting, not a recommendation: Dolnicar et al. (2014)
    suggest far more (e.g. 70 x number of variables).

    *Labels.* Segments are numbered 1..k by size, largest first (ties by the first
    centre coordinate), so labels do not depend on the solver's arbitrary order.

    *Stability.* For each of ``n_boot`` resamples of respondents (with replacement) the
    model is refitted with the same k and assigns every full-data respondent; the adjusted
    Rand index (Hubert & Arabie 1985) against the full-data labels measures agreement
    (1 = identical partitions, about 0 = chance). Reported: the mean, the bootstrap SD as
    ``std_err``, and the percentile interval (Hennig 2007; Dolnicar & Leisch 2010).

    References
    ----------
    Dolnicar, S. & Leisch, F. (2010). Evaluation of structure and reproducibility of
    cluster solutions using the bootstrap. *Marketing Letters* 21(1), 83-101.
    Dolnicar, S., Grün, B., Leisch, F. & Schmidt, K. (2014). Required sample sizes for
    data-driven market segmentation analyses in tourism. *J. Travel Research* 53(3).
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. *Computational
    Statistics & Data Analysis* 52(1), 258-271.
    Hubert, L. & Arabie, P. (1985). Comparing partitions. *J. Classification* 2, 193-218.
    Rousseeuw, P. J. (1987). Silhouettes. *J. Comput. Appl. Math.* 20, 53-65.
    Fraley, C. & Raftery, A. E. (2002). Model-based clustering, discriminant analysis and
    density estimation. *JASA* 97(458), 611-631.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[1.5, 1.5], [4.5, 1.5], [3.0, 4.5]])
    >>> x = np.vstack([c + rng.normal(0, 0.3, (40, 2)) for c in centres])
    >>> df = pd.DataFrame(x, columns=["quality", "price"])
    >>> seg = cx.attitudinal_segments(df, variables=["quality", "price"], k=range(2, 5),
    ...                               n_init=3, n_boot=5, seed=0)
    >>> seg.k, seg.sizes["n"].tolist()
    (3, [40, 40, 40])
    >>> round(seg.stability.estimate, 2)
    1.0
    """
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    data = _check_data(data)
    variables = _as_list(variables, argument="variables")
    check_columns(data, variables, argument="variables")
    method = _check_choice(method, ("kmeans", "gmm"), argument="method")
    missing = _check_choice(missing, ("drop", "mean", "raise"), argument="missing")
    level = check_confidence_level(confidence_level)
    ks = [k] if isinstance(k, (int, np.integer)) and not isinstance(k, bool) else list(k)
    if not ks or any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 2 for c in ks):
        raise CXDataError(f"`k`={k!r} must be an integer >= 2 or a list of them (e.g. range(2, 8))")
    ks = sorted({int(c) for c in ks})
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise CXDataError(f"`n_boot`={n_boot!r} must be a non-negative integer")
    if isinstance(n_init, bool) or not isinstance(n_init, (int, np.integer)) or n_init < 1:
        raise CXDataError(f"`n_init`={n_init!r} must be a positive integer")

    raw_cols = [numeric_scores(data[v], v) for v in variables]
    impute = np.array([np.nanmean(c) for c in raw_cols])
    x_all, ok = _rating_matrix(data, variables, missing, impute)
    x = x_all[ok]
    n = len(x)
    n_excluded = int((~ok).sum())
    sd = x.std(axis=0) if n else np.zeros(len(variables))
    const = [v for v, s in zip(variables, sd) if not s > 0]
    if const:
        vals = np.unique(x[:, variables.index(const[0])])
        raise CXDataError(
            f"column {const[0]!r} is constant ({show_values(vals)} in all {n} usable rows); "
            f"constant variables {const} cannot separate segments: drop them from `variables`"
        )
    need = _MIN_PER_SEGMENT * max(ks)
    if n < need:
        raise CXDataError(
            f"only {n} usable respondents for k up to {max(ks)} ({n_excluded} excluded for missing "
            f"ratings); need at least {_MIN_PER_SEGMENT} x k = {need}: lower `k` or add respondents"
        )
    center = x.mean(axis=0) if standardize else np.zeros(len(variables))
    scale = sd if standardize else np.ones(len(variables))
    z = (x - center) / scale

    sil_n = min(n, _SILHOUETTE_MAX_N)
    rows = []
    fits = {}
    for kk in ks:
        model = _make_model(method, kk, int(n_init), seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            model.fit(z)
        lab = model.predict(z)
        fits[kk] = (model, lab)
        n_used = len(np.unique(lab))
        sil = (
            silhouette_score(z, lab, sample_size=sil_n if sil_n < n else None, random_state=seed)
            if n_used > 1
            else np.nan
        )
        rows.append(
            {
                "k": kk,
                "silhouette": float(sil),
                "inertia": float(model.inertia_) if method == "kmeans" else np.nan,
                "bic": float(model.bic(z)) if method == "gmm" else np.nan,
                "aic": float(model.aic(z)) if method == "gmm" else np.nan,
                "smallest_share": float(np.bincount(lab, minlength=kk).min() / n),
            }
        )
    criteria = pd.DataFrame(rows)
    if method == "kmeans":
        if criteria["silhouette"].isna().all():
            best = ks[0]
        else:
            best = int(criteria.loc[criteria["silhouette"].idxmax(), "k"])
        crit_text = "highest silhouette"
    else:
        best = int(criteria.loc[criteria["bic"].idxmin(), "k"])
        crit_text = "lowest BIC"
    criteria["chosen"] = criteria["k"] == best
    model, lab = fits[best]

    # canonical labels: by size (largest = 1), ties by first centre coordinate
    centres_z = model.cluster_centers_ if method == "kmeans" else model.means_
    size = np.bincount(lab, minlength=best)
    order = sorted(range(best), key=lambda j: (-size[j], centres_z[j, 0]))
    relabel = np.empty(best, dtype=int)
    relabel[order] = np.arange(1, best + 1)
    full = relabel[lab]

    labels = pd.Series(pd.array([pd.NA] * len(data), dtype="Int64"), index=data.index, name="segment")
    labels.iloc[np.flatnonzero(ok)] = full
    seg_ids = np.arange(1, best + 1)
    counts = np.bincount(full, minlength=best + 1)[1:]
    sizes = pd.DataFrame({"segment": seg_ids, "n": counts.astype(int), "share": counts / n})
    centres_orig = centres_z[order] * scale + center
    centres = pd.DataFrame(centres_orig, columns=variables)
    centres.insert(0, "segment", seg_ids)

    # bootstrap stability
    rng = np.random.default_rng(seed)
    aris = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, n, n)
        sub_seed = int(rng.integers(0, 2**31 - 1))
        m = _make_model(method, best, int(n_init), sub_seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            m.fit(z[idx])
        aris.append(float(adjusted_rand_score(lab, m.predict(z))))
    alpha = 1 - level
    if aris:
        arr = np.array(aris)
        est = Estimate(
            estimate=float(arr.mean()),
            std_err=float(arr.std(ddof=1)) if len(arr) > 1 else np.nan,
            ci_low=float(np.quantile(arr, alpha / 2)),
            ci_high=float(np.quantile(arr, 1 - alpha / 2)),
            n=len(arr),
            confidence_level=level,
            method="mean adjusted Rand index, bootstrap refits vs full-data labels; percentile interval",
        )
    else:
        est = Estimate(np.nan, np.nan, np.nan, np.nan, 0, level, "no bootstrap (n_boot=0)")

    description = (
        f"{method} on {len(variables)} variables"
        + (" (z-scored)" if standardize else " (raw units)")
        + f"; k={best} chosen from {ks} by {crit_text}; n={n}, {n_excluded} excluded "
        + f"(missing={missing!r}); n_init={n_init}, seed={seed}, n_boot={n_boot}"
    )
    return AttitudinalSegments(
        labels=labels,
        k=best,
        method=method,
        variables=tuple(variables),
        criteria=criteria,
        sizes=sizes,
        centres=centres,
        stability=est,
        boot_ari=tuple(aris),
        model=model,
        center=center,
        scale=scale,
        impute=impute,
        relabel=relabel,
        missing=missing,
        n_excluded=n_excluded,
        seed=int(seed),
        description=description,
    )


# ----------------------------------------------------------------------------------------
# profiles
# ----------------------------------------------------------------------------------------


def _is_categorical(s: pd.Series) -> bool:
    if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == bool or pd.api.types.is_bool_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s):
        vals = pd.unique(s.dropna())
        return len(vals) > 0 and set(np.asarray(vals, dtype=float).tolist()) <= {0.0, 1.0}
    return True


def profile(
    data: pd.DataFrame,
    *,
    segment: str,
    variables: Sequence[str],
    weights: str | Sequence[float] | None = None,
    min_base: int = 30,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Profile segments against the total: means or shares, index, FDR-corrected tests.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    segment : str
        Segment column (rows with a missing segment are left out).
    variables : sequence of str
        Numeric variables are profiled by their mean; categorical, text, boolean and 0/1
        variables by the share of each level (one row per level).
    weights : str or array-like, optional
        Survey weights (column name or values).
    min_base : int, default 30
        Cells with fewer respondents (unweighted) are flagged ``low_base``, not tested,
        and a :class:`~cxlib.errors.SmallBaseWarning` is issued.
    confidence_level : float, default 0.95
        Level of the intervals; cells are ``significant`` when the BH-adjusted p-value is
        below 1 - ``confidence_level``.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per segment x variable (x level): ``segment, variable, level,
        measure`` ("mean" or "share"), ``estimate, std_err, ci_low, ci_high, n, n_eff,
        total, index, rest, difference, statistic, p_value, p_adjusted, significant,
        low_base, confidence_level, min_base, method``.

    Raises
    ------
    CXDataError
        Missing columns, bad weights, fewer than two segments.

    Notes
    -----
    ``total`` is the estimate over all respondents with a segment;
    ``index = 100 x estimate / total`` (100 = average); ``rest`` is the estimate over
    everyone outside the segment and ``difference = estimate - rest``.

    Means are compared with the rest by Welch's t test:
    ``t = (m1 - m2) / sqrt(v1/n1 + v2/n2)`` with Welch-Satterthwaite df; shares by the
    pooled two-proportion z test: ``z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2))`` with
    ``p`` the pooled share. The segment's interval is a t interval for means and a Wilson
    interval for shares. With weights, means/shares/variances are weighted and the Kish
    effective base ``n_eff = (sum w)^2 / sum w^2`` replaces n (an approximation that
    ignores stratification and clustering). p-values of all tested cells in the table
    form one family and are adjusted by Benjamini & Hochberg (1995) via statsmodels
    ``multipletests(method="fdr_bh")``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika* 34, 28-35.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*
    57(1), 289-300.
    Kish, L. (1965). *Survey Sampling*. Wiley.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 4 + ["b"] * 4,
    ...                    "quality": [5, 4, 5, 4, 2, 3, 2, 3]})
    >>> p = cx.profile(df, segment="seg", variables=["quality"], min_base=2)
    >>> p[["segment", "estimate", "total", "index"]]
      segment  estimate  total  index
    0       a       4.5    3.5  128.571429
    1       b       2.5    3.5   71.428571
    """
    from statsmodels.stats.multitest import multipletests

    data = _check_data(data)
    check_columns(data, [segment], argument="segment")
    variables = _as_list(variables, argument="variables")
    check_columns(data, variables, argument="variables")
    if segment in variables:
        raise CXDataError(f"`segment`={segment!r} is also listed in `variables`")
    level = check_confidence_level(confidence_level)
    if isinstance(min_base, bool) or not isinstance(min_base, (int, np.integer)) or min_base < 0:
        raise CXDataError(f"`min_base`={min_base!r} must be a non-negative integer")
    w_all = resolve_weights(data, weights, len(data))
    keep = data[segment].notna().to_numpy()
    seg_vals = data[segment][keep]
    segs = sorted(pd.unique(seg_vals), key=lambda v: (str(type(v)), v))
    if len(segs) < 2:
        raise CXDataError(f"column {segment!r} has {len(segs)} segment(s) {show_values(segs)}; need at least 2 to profile")
    w = np.ones(int(keep.sum())) if w_all is None else w_all[keep]
    codes = pd.Categorical(seg_vals, categories=segs).codes
    n_seg = len(segs)
    z = normal_quantile(level)
    out = []

    def sums(mask: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        vals = w[mask] if values is None else w[mask] * values
        return np.bincount(codes[mask], weights=vals, minlength=n_seg)

    for var in variables:
        col = data[var][keep]
        valid = col.notna().to_numpy()
        cnt = np.bincount(codes[valid], minlength=n_seg)
        sw = sums(valid)
        sw2 = sums(valid, w[valid])
        if _is_categorical(col):
            levels = sorted(pd.unique(col[valid]), key=lambda v: (str(type(v)), v))
            for lev in levels:
                hit = valid & (col == lev).to_numpy()
                x = np.bincount(codes[hit], weights=w[hit], minlength=n_seg)
                out.append(("share", var, lev, cnt, sw, sw2, x, None))
        else:
            vals = numeric_scores(col, var)
            shift = np.nanmean(vals)
            d = vals[valid] - shift
            s1 = sums(valid, d)
            s2 = sums(valid, d * d)
            out.append(("mean", var, pd.NA, cnt, sw, sw2, s1, (s2, shift)))

    rows = []
    for measure, var, lev, cnt, sw, sw2, s1, extra in out:
        tot_w, tot_w2, tot_s1 = sw.sum(), sw2.sum(), s1.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = sw**2 / sw2
            rest_w, rest_w2, rest_s1 = tot_w - sw, tot_w2 - sw2, tot_s1 - s1
            rest_n_eff = rest_w**2 / rest_w2
            rest_cnt = cnt.sum() - cnt
            if measure == "share":
                est = s1 / sw
                total = tot_s1 / tot_w
                rest = rest_s1 / rest_w
                se = np.sqrt(est * (1 - est) / n_eff)
                lo, hi = wilson_interval(est, n_eff, z)
                pooled = (s1 / sw * n_eff + rest * rest_n_eff) / (n_eff + rest_n_eff)
                stat = (est - rest) / np.sqrt(pooled * (1 - pooled) * (1 / n_eff + 1 / rest_n_eff))
                pval = 2 * stats.norm.sf(np.abs(stat))
                test = "two-proportion z (pooled)"
            else:
                s2, shift = extra
                tot_s2 = s2.sum()
                m = s1 / sw
                est = m + shift
                total = tot_s1 / tot_w + shift
                mr = rest_s1 / rest_w
                rest = mr + shift
                var_s = (s2 / sw - m**2) * n_eff / (n_eff - 1)
                var_r = ((tot_s2 - s2) / rest_w - mr**2) * rest_n_eff / (rest_n_eff - 1)
                var_s = np.clip(var_s, 0, None)
                var_r = np.clip(var_r, 0, None)
                se = np.sqrt(var_s / n_eff)
                tcrit = stats.t.ppf(0.5 + level / 2, n_eff - 1)
                lo, hi = est - tcrit * se, est + tcrit * se
                a, b = var_s / n_eff, var_r / rest_n_eff
                stat = (est - rest) / np.sqrt(a + b)
                df = (a + b) ** 2 / (a**2 / (n_eff - 1) + b**2 / (rest_n_eff - 1))
                pval = 2 * stats.t.sf(np.abs(stat), df)
                test = "Welch t"
            index = 100 * est / total if total != 0 else np.full(n_seg, np.nan)
        low = cnt < min_base
        testable = ~low & (rest_cnt >= 2) & (cnt >= 2) & np.isfinite(pval)
        pval = np.where(testable, pval, np.nan)
        stat = np.where(testable, stat, np.nan)
        base = "n_eff (Kish)" if w_all is not None else "n"
        for j, sname in enumerate(segs):
            rows.append(
                {
                    "segment": sname,
                    "variable": var,
                    "level": lev,
                    "measure": measure,
                    "estimate": float(est[j]),
                    "std_err": float(se[j]),
                    "ci_low": float(lo[j]),
                    "ci_high": float(hi[j]),
                    "n": int(cnt[j]),
                    "n_eff": float(n_eff[j]),
                    "total": float(total),
                    "index": float(index[j]),
                    "rest": float(rest[j]),
                    "difference": float(est[j] - rest[j]),
                    "statistic": float(stat[j]),
                    "p_value": float(pval[j]),
                    "low_base": bool(low[j]),
                    "method": f"{test} vs rest of sample on {base}"
                    + (", weighted" if w_all is not None else "")
                    + ("; " + ("t interval" if measure == "mean" else "Wilson interval"))
                    + "; BH FDR across the table",
                }
            )
    res = pd.DataFrame(rows)
    p = res["p_value"].to_numpy()
    padj = np.full(len(p), np.nan)
    tested = np.isfinite(p)
    if tested.any():
        padj[tested] = multipletests(p[tested], method="fdr_bh")[1]
    res["p_adjusted"] = padj
    res["significant"] = np.where(tested, padj < 1 - level, False).astype(bool)
    res["confidence_level"] = level
    res["min_base"] = int(min_base)
    cols = [
        "segment", "variable", "level", "measure", "estimate", "std_err", "ci_low", "ci_high", "n",
        "n_eff", "total", "index", "rest", "difference", "statistic", "p_value", "p_adjusted",
        "significant", "low_base", "confidence_level", "min_base", "method",
    ]
    res = res[cols]
    if res["low_base"].any():
        thin = res.loc[res["low_base"], ["segment", "variable", "n"]].drop_duplicates(["segment", "variable"])
        cells = ", ".join(f"{s}/{v} (n={n})" for s, v, n in thin.head(5).itertuples(index=False))
        warnings.warn(
            f"{len(thin)} segment x variable cell(s) below min_base={min_base}: {cells}"
            + (" ..." if len(thin) > 5 else "")
            + "; flagged low_base and not tested",
            SmallBaseWarning,
            stacklevel=2,
        )
    return res


def plot_profile(result: pd.DataFrame, ax: Any = None, *, value: str = "index", annotate: bool = True) -> Any:
    """Heat map of a :func:`profile` table: rows = variables (levels), columns = segments.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`profile`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created otherwise.
    value : {"index", "estimate", "difference"}
        What the colour shows; ``index`` is centred on 100, ``difference`` on 0.
    annotate : bool, default True
        Print the segment's estimate in each cell, with ``*`` when significant after BH.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Low-base cells (``low_base``) are left blank. Column labels carry the largest base of
    each segment.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 4 + ["b"] * 4, "quality": [5, 4, 5, 4, 2, 3, 2, 3]})
    >>> ax = cx.plot_profile(cx.profile(df, segment="seg", variables=["quality"], min_base=2))
    >>> ax.get_title()
    'Segment profile: index vs total (100 = average)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not isinstance(result, pd.DataFrame):
        raise CXDataError(f"`result` must be the DataFrame returned by cx.profile, got {type(result).__name__}")
    need = ["segment", "variable", "level", "measure", "estimate", value, "significant", "low_base", "n"]
    check_columns(result, need, argument="result")
    _check_choice(value, ("index", "estimate", "difference"), argument="value")
    df = result.copy()
    df["row"] = [
        v if m == "mean" else f"{v} = {lev}" for v, m, lev in zip(df["variable"], df["measure"], df["level"])
    ]
    row_order = list(dict.fromkeys(df["row"]))
    seg_order = list(dict.fromkeys(df["segment"]))
    vals = df.pivot(index="row", columns="segment", values=value).reindex(index=row_order, columns=seg_order)
    mask = df.pivot(index="row", columns="segment", values="low_base").reindex(index=row_order, columns=seg_order)
    mask = mask.fillna(True).astype(bool)
    if annotate:

        def fmt(r: pd.Series) -> str:
            x = f"{r['estimate']:.2f}" if r["measure"] == "mean" else f"{100 * r['estimate']:.0f}%"
            return x + ("*" if r["significant"] else "")

        df["label"] = df.apply(fmt, axis=1)
        annot = df.pivot(index="row", columns="segment", values="label").reindex(index=row_order, columns=seg_order)
        annot_arg: Any = annot.to_numpy()
    else:
        annot_arg = False
    n_by_seg = df.groupby("segment", sort=False)["n"].max()
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 1.1 * len(seg_order), 0.9 + 0.45 * len(row_order)))
    center = 100.0 if value == "index" else (0.0 if value == "difference" else None)
    sns.heatmap(
        vals.astype(float),
        mask=mask.to_numpy(),
        annot=annot_arg,
        fmt="",
        cmap="vlag_r" if center is not None else "crest",
        center=center,
        linewidths=0.5,
        cbar_kws={"label": {"index": "index (100 = total)", "estimate": "estimate",
                            "difference": "difference vs rest"}[value]},
        ax=ax,
    )
    ax.set_xticklabels([f"{s}\n(n={int(n_by_seg[s])})" for s in seg_order], rotation=0)
    ax.set_xlabel("segment")
    ax.set_ylabel("")
    title = {
        "index": "Segment profile: index vs total (100 = average)",
        "estimate": "Segment profile: estimates",
        "difference": "Segment profile: difference vs rest of sample",
    }[value]
    ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------------------
# response styles
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ResponseStyles:
    """Response-style diagnostics per group (see :func:`response_styles`).

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per group: ``n`` (respondents with at least one answer), ``n_answers``,
        ``ers``, ``mrs``, ``ars``, ``drs``, ``mean``, ``sd``.
    distribution : pandas.DataFrame
        Tidy per-scale-point shares: ``group, point, n, share`` (pooled over items).
    scale : tuple of int
        The scale's end points.
    items : tuple of str
        Items used.
    method : str
        Definitions in words.
    """

    summary: pd.DataFrame
    distribution: pd.DataFrame
    scale: tuple[int, int]
    items: tuple[str, ...]
    method: str

    def to_frame(self) -> pd.DataFrame:
        """The per-group summary (a copy)."""
        return self.summary.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.method}</p>" + self.summary.to_html(index=False)


def _check_scale(scale: Any) -> tuple[int, int]:
    try:
        lo, hi = scale
        lo_i, hi_i = int(lo), int(hi)
    except (TypeError, ValueError):
        raise CXDataError(f"`scale`={scale!r} must be a pair of whole numbers, e.g. (1, 5)") from None
    if lo_i != lo or hi_i != hi or hi_i - lo_i < 2:
        raise CXDataError(f"`scale`={scale!r} must be two whole numbers at least 2 apart, e.g. (1, 5)")
    return lo_i, hi_i


def response_styles(
    data: pd.DataFrame,
    *,
    group: str = "country",
    items: Sequence[str],
    scale: tuple[int, int] = (1, 5),
) -> ResponseStyles:
    """Extreme, midpoint and acquiescent response styles per group (e.g. country).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    group : str
        Grouping column (country, language); rows with a missing group are left out.
    items : sequence of str
        Rating items on the same scale (ideally heterogeneous in content, so that shared
        answering tendencies reflect style rather than substance).
    scale : (int, int), default (1, 5)
        Lowest and highest scale point.

    Returns
    -------
    ResponseStyles
        ``summary`` per group and ``distribution`` (per-scale-point shares).

    Raises
    ------
    CXDataError
        Missing columns, non-numeric answers, answers off the scale or not whole numbers.

    Notes
    -----
    Respondent-level indices over the items each respondent answered (Baumgartner &
    Steenkamp 2001), averaged over respondents in the group:

    - ERS, extreme responding: share of answers at either end point (1 or 5 on 1-5);
    - MRS, midpoint responding: share at the midpoint (3 on 1-5; NaN on even scales);
    - ARS, acquiescence: share above the midpoint (agreeing: 4-5 on 1-5);
    - DRS, disacquiescence: share below the midpoint (1-2 on 1-5).

    ``mean`` and ``sd`` (ddof = 1) are over all answers in the group, and
    ``distribution`` gives the share of all answers at each scale point. Missing answers
    are ignored; respondents without any answer are left out. Compare groups on these
    before comparing their means: a country with high ARS or ERS looks "better" or
    "more polarised" at the same underlying experience (Harzing 2006).

    References
    ----------
    Baumgartner, H. & Steenkamp, J.-B. E. M. (2001). Response styles in marketing
    research: a cross-national investigation. *J. Marketing Research* 38(2), 143-156.
    Harzing, A.-W. (2006). Response styles in cross-national survey research: a 26-country
    study. *Int. J. Cross Cultural Management* 6(2), 243-266.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["BR", "BR", "JP", "JP"],
    ...                    "q1": [5, 1, 3, 3], "q2": [5, 4, 3, 2]})
    >>> rs = cx.response_styles(df, items=["q1", "q2"])
    >>> rs.summary[["country", "ers", "mrs", "ars"]]
      country   ers  mrs   ars
    0      BR  0.75  0.0  0.75
    1      JP  0.00  0.75 0.00
    """
    data = _check_data(data)
    check_columns(data, [group], argument="group")
    items = _as_list(items, argument="items")
    check_columns(data, items, argument="items")
    lo, hi = _check_scale(scale)
    x = np.column_stack([numeric_scores(data[c], c, low=lo, high=hi, integer=True) for c in items])
    keep = data[group].notna().to_numpy()
    x = x[keep]
    g = data[group][keep].to_numpy()
    answered = ~np.isnan(x)
    n_ans = answered.sum(axis=1)
    has = n_ans > 0
    x, g, answered, n_ans = x[has], g[has], answered[has], n_ans[has]
    if len(x) == 0:
        raise CXDataError(f"no respondent answered any of {items}: nothing to analyse")
    mid = (lo + hi) / 2
    odd = (hi - lo) % 2 == 0
    with np.errstate(invalid="ignore"):
        resp = pd.DataFrame(
            {
                "group": g,
                "ers": ((x == lo) | (x == hi)).sum(axis=1) / n_ans,
                "mrs": (x == mid).sum(axis=1) / n_ans if odd else np.nan,
                "ars": (x > mid).sum(axis=1) / n_ans,
                "drs": (x < mid).sum(axis=1) / n_ans,
                "n_answers": n_ans,
                "s1": np.nansum(x, axis=1),
                "s2": np.nansum(x * x, axis=1),
            }
        )
    agg = resp.groupby("group", sort=True).agg(
        n=("ers", "size"),
        n_answers=("n_answers", "sum"),
        ers=("ers", "mean"),
        mrs=("mrs", "mean"),
        ars=("ars", "mean"),
        drs=("drs", "mean"),
        s1=("s1", "sum"),
        s2=("s2", "sum"),
    )
    na = agg["n_answers"].astype(float)
    agg["mean"] = agg["s1"] / na
    agg["sd"] = np.sqrt(np.clip((agg["s2"] - na * agg["mean"] ** 2) / (na - 1), 0, None))
    summary = agg.drop(columns=["s1", "s2"]).reset_index().rename(columns={"group": group})
    summary["n"] = summary["n"].astype(int)
    summary["n_answers"] = summary["n_answers"].astype(int)

    points = np.arange(lo, hi + 1)
    dist_rows = []
    for name in summary[group]:
        vals = x[g == name]
        vals = vals[~np.isnan(vals)].astype(int)
        cnt = np.bincount(vals - lo, minlength=len(points))
        for p_, c in zip(points, cnt):
            dist_rows.append((name, int(p_), int(c), c / cnt.sum()))
    distribution = pd.DataFrame(dist_rows, columns=[group, "point", "n", "share"])
    method = (
        f"respondent-level shares over answered items on {lo}-{hi}, averaged per {group!r}: "
        f"ERS = at {lo} or {hi}; MRS = at {mid:g}" + ("" if odd else " (undefined on an even scale)")
        + f"; ARS = above {mid:g}; DRS = below {mid:g}; mean/sd over all answers"
    )
    return ResponseStyles(
        summary=summary, distribution=distribution, scale=(lo, hi), items=tuple(items), method=method
    )


def standardize_within(
    data: pd.DataFrame,
    *,
    group: str,
    items: Sequence[str],
    method: str = "z",
    suffix: str | None = None,
) -> pd.DataFrame:
    """Standardise ratings within groups (e.g. countries) into new, renamed columns.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    group : str
        Grouping column (ignored by ``method="ipsative"``, which works within respondent;
        still required so the choice is explicit).
    items : sequence of str
        Numeric rating columns.
    method : {"z", "ipsative"}
        ``"z"``: ``(x - group mean) / group SD`` per item (ddof = 1).
        ``"ipsative"``: ``x - respondent's mean over the items they answered``
        (ipsatisation; removes each respondent's overall level, e.g. acquiescence).
    suffix : str, optional
        Suffix for the new columns; default ``"_z"`` or ``"_ips"``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the new columns ``<item><suffix>`` appended; originals
        untouched. Missing answers stay missing.

    Raises
    ------
    CXDataError
        Missing columns, non-numeric items, a new column name that already exists, an item
        constant (SD 0) or with fewer than 2 answers within a group (``"z"``).

    Notes
    -----
    Nothing in cxlib standardises silently: call this explicitly and analyse the new
    columns. Within-group z-scores remove genuine level differences between countries as
    well as style differences, so they answer "how does this item rank within the country"
    rather than "which country is more satisfied" (Fischer 2004). Ipsatised scores sum to
    zero within a respondent, so they suit profile comparisons, not covariance-based
    methods.

    References
    ----------
    Fischer, R. (2004). Standardization to account for cross-cultural response bias: a
    classification of score adjustment procedures and review of research in JCCP.
    *J. Cross-Cultural Psychology* 35(3), 263-282.
    Harzing, A.-W. (2006). *Int. J. Cross Cultural Management* 6(2), 243-266.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["A", "A", "B", "B"], "q1": [4, 5, 2, 4]})
    >>> cx.standardize_within(df, group="country", items=["q1"])["q1_z"].round(3).tolist()
    [-0.707, 0.707, -0.707, 0.707]
    """
    data = _check_data(data)
    check_columns(data, [group], argument="group")
    items = _as_list(items, argument="items")
    check_columns(data, items, argument="items")
    method = _check_choice(method, ("z", "ipsative"), argument="method")
    suffix = suffix if suffix is not None else ("_z" if method == "z" else "_ips")
    new_names = [f"{c}{suffix}" for c in items]
    clash = [c for c in new_names if c in data.columns]
    if clash:
        raise CXDataError(f"new column {clash[0]!r} already exists in `data`; pass another `suffix`")
    x = pd.DataFrame({c: numeric_scores(data[c], c) for c in items}, index=data.index)
    out = data.copy()
    if method == "z":
        grp = data[group]
        if grp.isna().any():
            raise CXDataError(
                f"column {group!r} has {int(grp.isna().sum())} missing value(s); "
                "assign a group or drop those rows first"
            )
        g = x.groupby(grp.to_numpy())
        mean = g.transform("mean")
        sd = g.transform("std")
        stats_ = g.agg(["count", "std"])
        for c in items:
            bad = stats_[(c, "count")].lt(2) | ~(stats_[(c, "std")] > 0)
            if bad.any():
                gname = bad[bad].index[0]
                raise CXDataError(
                    f"column {c!r} cannot be z-scored within {group}={gname!r}: "
                    f"{int(stats_.loc[gname, (c, 'count')])} answer(s), SD {stats_.loc[gname, (c, 'std')]}; "
                    "need at least 2 different answers per group"
                )
        z = (x - mean) / sd
    else:
        z = x.sub(x.mean(axis=1), axis=0)
    for c, new in zip(items, new_names):
        out[new] = z[c].to_numpy()
    return out


# ----------------------------------------------------------------------------------------
# scorecard
# ----------------------------------------------------------------------------------------


def segment_scorecard(
    data: pd.DataFrame,
    *,
    segment: str,
    metrics: Sequence[Any] = ("nps", "csat", "ces"),
    weights: str | Sequence[float] | None = None,
    min_base: float = 30,
    confidence_level: float = 0.95,
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Survey metrics per segment, each segment tested against the rest, BH across the card.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, with the segment column and the metrics' score columns
        (by default ``ltr``, ``osat``, ``ces``).
    segment : str
        Segment column (e.g. the labels of :func:`attitudinal_segments` or an RFM segment).
    metrics : sequence, default ("nps", "csat", "ces")
        Metric names or functions accepted by :func:`cxlib.by_group`.
    weights : str or array-like, optional
        Survey weights, passed to every metric.
    min_base : float, default 30
        Segments below it are flagged ``small_base`` and not tested.
    confidence_level : float, default 0.95
        Level of the intervals; ``significant`` is ``p_adjusted < 1 - confidence_level``.
    metric_options : dict, optional
        Extra keyword arguments per metric name, e.g. ``{"csat": {"score": "csat"}}``.

    Returns
    -------
    pandas.DataFrame
        ``metric`` followed by the :func:`cxlib.by_group` table of each metric with
        ``compare="rest"`` (``segment`` column, estimate, interval, n, ``small_base``,
        ``diff`` vs the rest, ``p_value``, ``p_adjusted``, ``significant``...), stacked.

    Raises
    ------
    CXDataError
        Missing columns, unknown metrics, bad options (from :func:`cxlib.by_group`).

    Notes
    -----
    Each row is ``cx.by_group(data, metric, by=segment, compare="rest")`` -- a segment
    against all respondents outside it (NPS: z test with the Rocks 2016 variance; shares:
    z; means: Welch t; see :func:`cxlib.by_group`). Unlike a single ``by_group`` table,
    the Benjamini-Hochberg adjustment runs over *all* tested cells of the scorecard
    (metrics x segments) as one family.

    References
    ----------
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*
    57(1), 289-300.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 5 + ["b"] * 5, "ltr": [10, 9, 8, 7, 3, 10, 6, 6, 9, 2]})
    >>> card = cx.segment_scorecard(df, segment="seg", metrics=["nps"], min_base=3)
    >>> card[["metric", "seg", "estimate", "n"]]
      metric seg  estimate  n
    0    nps   a      20.0  5
    1    nps   b     -20.0  5
    """
    from statsmodels.stats.multitest import multipletests

    from .metrics import by_group

    data = _check_data(data)
    check_columns(data, [segment], argument="segment")
    level = check_confidence_level(confidence_level)
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise CXDataError("`metrics` must list at least one metric, e.g. ('nps', 'csat', 'ces')")
    options = dict(metric_options or {})
    tables = []
    for metric in metrics:
        name = metric if isinstance(metric, str) else getattr(metric, "__name__", str(metric))
        kwargs = dict(options.pop(name, {}))
        if weights is not None:
            kwargs.setdefault("weights", weights)
        t = by_group(
            data,
            metric,
            by=segment,
            min_base=min_base,
            compare="rest",
            correction=None,
            confidence_level=level,
            **kwargs,
        )
        t.insert(0, "metric", name)
        tables.append(t)
    if options:
        raise CXDataError(
            f"`metric_options` has options for {sorted(options)} which are not in `metrics`={metrics}"
        )
    card = pd.concat(tables, ignore_index=True)
    p = card["p_value"].to_numpy(dtype=float)
    tested = np.isfinite(p)
    p_adj = np.full(len(p), np.nan)
    if tested.any():
        p_adj[tested] = multipletests(p[tested], method="fdr_bh")[1]
    card["p_adjusted"] = p_adj
    sig = pd.array(np.where(tested, p_adj < 1 - level, False), dtype="boolean")
    sig[~tested] = pd.NA
    card["significant"] = sig
    return card


# ----------------------------------------------------------------------------------------
# report helpers (notebook 04): names, k choice, outcomes, association, findings
# ----------------------------------------------------------------------------------------

#: Outcome labels and units of :func:`segment_outcomes`: metric name -> (label, unit).
SEGMENT_OUTCOMES: dict[str, tuple[str, str]] = {
    "nps": ("NPS", "points"),
    "csat": ("CSAT top-2-box", "%"),
    "ces": ("CES easy (5–7)", "%"),
    "churn": ("Churn next quarter", "%"),
}


def name_segments(result: AttitudinalSegments, *, n_low: int = 2) -> dict[int, str]:
    """Short descriptive names for attitudinal segments, from their centres.

    Parameters
    ----------
    result : AttitudinalSegments
        A fitted segmentation.
    n_low : int, default 2
        How many of the lowest-rated variables to name.

    Returns
    -------
    dict
        Segment number -> name: ``"above average on all"`` when every centre coordinate
        is above the size-weighted mean of the centres, otherwise ``"low <v1>, <v2>"``
        listing the ``n_low`` variables furthest below that mean (in SD units of the
        fitting data when the segmentation was standardised).

    Notes
    -----
    For k-means the size-weighted mean of the centroids is the overall mean, so a name
    says where a segment sits relative to the average respondent. Names describe, they do
    not interpret: read them with the profile table.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[4.5, 4.5], [4.5, 1.5], [1.5, 4.5]])
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in centres]), columns=["q", "p"])
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=3, n_init=3, n_boot=0)
    >>> sorted(cx.name_segments(seg, n_low=1).values())
    ['above average on all', 'low p', 'low q']
    """
    if not isinstance(result, AttitudinalSegments):
        raise CXDataError(f"`result` must be an AttitudinalSegments, got {type(result).__name__}")
    if isinstance(n_low, bool) or not isinstance(n_low, (int, np.integer)) or n_low < 1:
        raise CXDataError(f"`n_low`={n_low!r} must be a positive integer")
    variables = list(result.variables)
    c = result.centres[variables].to_numpy(dtype=float)
    w = result.sizes["n"].to_numpy(dtype=float)
    dev = (c - (w[:, None] * c).sum(axis=0) / w.sum()) / result.scale
    names = {}
    for seg_id, d in zip(result.centres["segment"], dev):
        if (d > 0).all():
            names[int(seg_id)] = "above average on all"
        else:
            low = [variables[j] for j in np.argsort(d, kind="stable")[:n_low] if d[j] < 0]
            names[int(seg_id)] = "low " + ", ".join(low)
    return names


def k_selection_table(*results: AttitudinalSegments) -> pd.DataFrame:
    """The choice-of-k criteria of one or more segmentations side by side.

    Parameters
    ----------
    *results : AttitudinalSegments
        The first one is the segmentation used (its ``chosen`` column is kept); others
        (e.g. a Gaussian mixture fitted for its BIC) add their criteria.

    Returns
    -------
    pandas.DataFrame
        ``k``, then per result ``<method> silhouette``, ``<method> smallest share`` and
        ``kmeans inertia`` or ``gmm BIC``; finally ``chosen`` (of the first result).
        Only k values present in every result are kept.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    >>> km = cx.attitudinal_segments(df, variables=["a", "b"], k=[2, 3], n_init=2, n_boot=0)
    >>> list(cx.k_selection_table(km).columns)
    ['k', 'kmeans silhouette', 'kmeans inertia', 'kmeans smallest share', 'chosen']
    """
    if not results or not all(isinstance(r, AttitudinalSegments) for r in results):
        raise CXDataError("`results` must be one or more AttitudinalSegments")
    out = None
    for r in results:
        extra = ("inertia", "inertia") if r.method == "kmeans" else ("bic", "BIC")
        t = r.criteria[["k", "silhouette", extra[0], "smallest_share"]].rename(columns={
            "silhouette": f"{r.method} silhouette", extra[0]: f"{r.method} {extra[1]}",
            "smallest_share": f"{r.method} smallest share"})
        out = t if out is None else out.merge(t, on="k", suffixes=("", " (2)"))
    return out.merge(results[0].criteria[["k", "chosen"]], on="k")


def segment_outcomes(
    survey: pd.DataFrame,
    *,
    segment: str,
    churn: pd.DataFrame | None = None,
    weights: str | None = "weight",
    min_base: float = 30,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """NPS, CSAT, CES and churn per segment, each segment against the rest, BH across all.

    Parameters
    ----------
    survey : pandas.DataFrame
        This wave's respondents with the ``segment`` column and ``ltr``, ``osat``,
        ``ces``.
    segment : str
        Segment column.
    churn : pandas.DataFrame, optional
        Rows with the ``segment`` column and a 0/1 ``churned`` column (e.g. the previous
        wave's respondents, assigned with :meth:`AttitudinalSegments.assign`, joined to
        :func:`cxlib.customers_at_risk` of this quarter). Omitted when None.
    weights : str, optional
        Survey weight column, used for every metric.
    min_base, confidence_level
        As in :func:`segment_scorecard`.

    Returns
    -------
    pandas.DataFrame
        The :func:`segment_scorecard` columns with ``metric`` ("nps", "csat", "ces",
        "churn"), plus ``label`` and ``unit``; shares are in percent (estimate,
        interval, difference and its interval). ``p_adjusted`` is Benjamini-Hochberg over
        all tested cells of the table.

    Notes
    -----
    NPS in points (Rocks 2016 variance); CSAT top-2-box on osat 1-5 and CES "easy" 5-7
    on 1-7 with Wilson intervals; churn is the share of the ``churn`` rows with
    ``churned == 1`` (Wilson). Tests: each segment vs the rest (see :func:`cxlib.by_group`).
    Interval bounds that floating-point rounding puts a hair past the estimate (a share of
    exactly 0 % or 100 %) are set to the estimate.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": [1] * 4 + [2] * 4, "ltr": [10, 9, 9, 3, 2, 6, 9, 7],
    ...                    "osat": [5, 5, 4, 2, 1, 2, 4, 3], "ces": [7, 6, 6, 2, 1, 3, 5, 4]})
    >>> out = cx.segment_outcomes(df, segment="seg", weights=None, min_base=2)
    >>> out[["label", "seg", "estimate"]].head(2)
      label  seg  estimate
    0   NPS    1      50.0
    1   NPS    2     -25.0
    """
    from statsmodels.stats.multitest import multipletests

    level = check_confidence_level(confidence_level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)  # flagged in the table instead
        parts = [segment_scorecard(survey, segment=segment, metrics=["nps", "csat", "ces"], weights=weights,
                                   min_base=min_base, confidence_level=level,
                                   metric_options={"csat": {"score": "osat"}, "ces": {"score": "ces"}})]
        if churn is not None:
            check_columns(churn, [segment, "churned"], argument="churn")
            c = segment_scorecard(churn, segment=segment, metrics=["top_box"], weights=weights,
                                  min_base=min_base, confidence_level=level,
                                  metric_options={"top_box": {"score": "churned", "top": (1, 1), "scale": (0, 1)}})
            parts.append(c.assign(metric="churn"))
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "label", out["metric"].map(lambda m: SEGMENT_OUTCOMES[m][0]))
    out.insert(2, "unit", out["metric"].map(lambda m: SEGMENT_OUTCOMES[m][1]))
    pct = out["unit"].eq("%")
    for col in ("estimate", "std_err", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"):
        out.loc[pct, col] = out.loc[pct, col] * 100.0
    # floating-point rounding at 0% or 100% can put a Wilson bound a hair past the estimate
    out["ci_low"] = np.fmin(out["ci_low"], out["estimate"])
    out["ci_high"] = np.fmax(out["ci_high"], out["estimate"])
    p = out["p_value"].to_numpy(dtype=float)
    tested = np.isfinite(p)
    p_adj = np.full(len(p), np.nan)
    if tested.any():
        p_adj[tested] = multipletests(p[tested], method="fdr_bh")[1]
    out["p_adjusted"] = p_adj
    sig = pd.array(np.where(tested, p_adj < 1 - level, False), dtype="boolean")
    sig[~tested] = pd.NA
    out["significant"] = sig
    return out


def segment_association(data: pd.DataFrame, *, segment: str, group: str) -> pd.DataFrame:
    """How strongly segment membership depends on a group (e.g. country): chi-square, Cramér's V.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; rows missing either column are left out.
    segment, group : str
        The two categorical columns.

    Returns
    -------
    pandas.DataFrame
        One row: ``statistic`` (Pearson chi-square), ``dof``, ``p_value``,
        ``cramers_v``, ``n``.

    Notes
    -----
    ``V = sqrt(chi2 / (n (min(r, c) - 1)))`` (Cramér 1946): 0 = membership independent of
    the group, 1 = the group determines the segment. Pearson's test without continuity
    correction (scipy ``chi2_contingency``).

    References
    ----------
    Cramér, H. (1946). *Mathematical Methods of Statistics*. Princeton University Press.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": [1, 1, 2, 2] * 5, "country": ["A", "B"] * 10})
    >>> float(cx.segment_association(df, segment="seg", group="country")["cramers_v"].iloc[0])
    0.0
    """
    data = _check_data(data)
    check_columns(data, [segment, group], argument="segment/group")
    d = data[[segment, group]].dropna()
    table = pd.crosstab(d[segment], d[group])
    if table.shape[0] < 2 or table.shape[1] < 2:
        raise CXDataError(
            f"need at least 2 values of {segment!r} and of {group!r}; got {table.shape[0]} and {table.shape[1]}"
        )
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    n = int(table.to_numpy().sum())
    v = math.sqrt(chi2 / (n * (min(table.shape) - 1)))
    return pd.DataFrame([{"statistic": float(chi2), "dof": int(dof), "p_value": float(p),
                          "cramers_v": float(v), "n": n}])


def plot_response_styles(result: ResponseStyles, ax: Any = None) -> Any:
    """Grouped bars of ERS, MRS and ARS per group (from :func:`response_styles`).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["BR", "BR", "JP", "JP"], "q1": [5, 1, 3, 3], "q2": [5, 4, 3, 2]})
    >>> cx.plot_response_styles(cx.response_styles(df, items=["q1", "q2"])).get_ylabel()
    'share of answers (%)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not isinstance(result, ResponseStyles):
        raise CXDataError(f"`result` must be a ResponseStyles, got {type(result).__name__}")
    group = result.summary.columns[0]
    long = result.summary.melt(id_vars=[group, "n"], value_vars=["ers", "mrs", "ars"], var_name="style",
                               value_name="share")
    long["style"] = long["style"].map({"ers": "extreme (ERS)", "mrs": "midpoint (MRS)",
                                       "ars": "acquiescent (ARS)"})
    long["share"] = 100 * long["share"]
    long[group] = [f"{g}\n(n={n:,})" for g, n in zip(long[group], long["n"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 + 1.2 * result.summary.shape[0], 3.8))
    sns.barplot(data=long, x=group, y="share", hue="style", ax=ax)
    lo, hi = result.scale
    ax.set_ylabel("share of answers (%)")
    ax.set_xlabel(group)
    ax.set_title(f"Response styles on the {lo}–{hi} items, by {group}")
    ax.legend(title="style", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def _interval(row: Mapping[str, Any], digits: int = 1) -> str:
    return f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]"


def segment_findings(
    result: AttitudinalSegments,
    outcomes: pd.DataFrame,
    *,
    names: Mapping[int, str] | None = None,
    association: pd.DataFrame | None = None,
    association_standardized: pd.DataFrame | None = None,
    group: str = "country",
) -> list[str]:
    """Plain-language findings written from the results (numbers never typed by hand).

    Parameters
    ----------
    result : AttitudinalSegments
    outcomes : pandas.DataFrame
        From :func:`segment_outcomes` (segment column ``"segment"``).
    names : dict, optional
        Segment names (:func:`name_segments`).
    association, association_standardized : pandas.DataFrame, optional
        :func:`segment_association` of the segments with ``group`` on raw and on
        within-group standardised ratings.
    group : str
        What the association is with (for the wording).

    Returns
    -------
    list of str

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in ([4.5, 4.5], [1.5, 1.5])]),
    ...                   columns=["q", "p"]).assign(ltr=[9] * 40 + [3] * 40, osat=4, ces=6)
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=2, n_init=3, n_boot=5)
    >>> out = cx.segment_outcomes(df.assign(segment=seg.labels), segment="segment", weights=None)
    >>> cx.segment_findings(seg, out)[0][:46]
    'k-means found 2 segments (chosen from k = 2 by'
    """
    names = dict(names or {})
    label = {"kmeans": "k-means", "gmm": "A Gaussian mixture"}[result.method]
    crit = "highest silhouette" if result.method == "kmeans" else "lowest BIC"
    ks = result.criteria["k"].tolist()
    st = result.stability
    n = int(result.sizes["n"].sum())
    s = (f"{label} found {result.k} segments (chosen from k = {ks[0]}" + (f"–{ks[-1]}" if len(ks) > 1 else "")
         + f" by {crit}) among {n:,} respondents")
    if st.n:
        s += (f"; bootstrap stability ARI {st.estimate:.2f} "
              f"({st.confidence_level:.0%} interval {st.ci_low:.2f} to {st.ci_high:.2f}, {st.n} resamples)")
    out = [s + "."]
    sizes = ", ".join(
        f"{int(r.segment)} ({names.get(int(r.segment), 'segment')}) {100 * r.share:.0f}%"
        for r in result.sizes.itertuples()
    )
    out.append(f"Segment sizes: {sizes}.")
    for metric, (lab, unit) in SEGMENT_OUTCOMES.items():
        t = outcomes[(outcomes["metric"] == metric) & ~outcomes["small_base"].astype(bool)]
        if t.empty:
            continue
        hi, lo = t.loc[t["estimate"].idxmax()], t.loc[t["estimate"].idxmin()]
        u = " points" if unit == "points" else "%"
        sig = t[t["significant"].fillna(False).astype(bool)]
        out.append(
            f"{lab} ranges from {lo['estimate']:.1f}{u} {_interval(lo)} in segment {int(lo['segment'])} "
            f"({names.get(int(lo['segment']), '')}) to {hi['estimate']:.1f}{u} {_interval(hi)} in segment "
            f"{int(hi['segment'])} ({names.get(int(hi['segment']), '')}); "
            f"{len(sig)} of {len(t)} segments differ significantly from the rest after FDR correction."
        )
    small = outcomes[outcomes["small_base"].astype(bool)]
    if not small.empty:
        segs = sorted({int(x) for x in small["segment"]})
        out.append(f"Suppressed for small bases (n < {small['min_base'].iloc[0]:g}): segment(s) "
                   + ", ".join(map(str, segs)) + " in some metrics.")
    if association is not None:
        a = association.iloc[0]
        s = (f"Segment membership and {group}: Cramér's V {a['cramers_v']:.2f} on raw ratings "
             f"(chi-square p = {a['p_value']:.3g})")
        if association_standardized is not None:
            b = association_standardized.iloc[0]
            s += (f", {b['cramers_v']:.2f} after within-{group} standardisation "
                  f"(p = {b['p_value']:.3g})")
        out.append(s + ".")
    return out


def segment_key_figures(
    result: AttitudinalSegments,
    outcomes: pd.DataFrame,
    *,
    names: Mapping[int, str] | None = None,
    min_base: float = 30,
    **extra: Any,
) -> dict[str, Any]:
    """The key-figures dict of a segmentation run: ``headline`` entries (estimate, ci_low,
    ci_high, n, small_base) for stability and each segment's NPS, the segment sizes and
    the full outcomes table.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in ([4.5, 4.5], [1.5, 1.5])]),
    ...                   columns=["q", "p"]).assign(ltr=[9] * 40 + [3] * 40, osat=4, ces=6)
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=2, n_init=3, n_boot=5)
    >>> out = cx.segment_outcomes(df.assign(segment=seg.labels), segment="segment", weights=None)
    >>> sorted(cx.segment_key_figures(seg, out)["headline"])
    ['NPS, segment 1', 'NPS, segment 2', 'Segment stability (bootstrap ARI)']
    """
    names = dict(names or {})
    n = int(result.sizes["n"].sum())
    st = result.stability
    head: dict[str, Any] = {
        "Segment stability (bootstrap ARI)": {
            "estimate": st.estimate, "ci_low": st.ci_low, "ci_high": st.ci_high, "n": n,
            "small_base": bool(n < min_base), "n_boot": st.n,
        }
    }
    for r in outcomes[outcomes["metric"] == "nps"].itertuples():
        head[f"NPS, segment {int(r.segment)}"] = {
            "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "n": int(r.n),
            "small_base": bool(r.small_base), "name": names.get(int(r.segment)),
        }
    sizes = [{"segment": int(r.segment), "name": names.get(int(r.segment)), "n": int(r.n), "share": r.share}
             for r in result.sizes.itertuples()]
    cols = ["metric", "segment", "estimate", "ci_low", "ci_high", "n", "small_base", "diff", "p_adjusted",
            "significant"]
    table = [{c: (None if pd.isna(v) else v) for c, v in zip(cols, row)}
             for row in outcomes[cols].astype(object).itertuples(index=False)]
    return {"headline": head, "k": result.k, "method": result.method, "sizes": sizes, "outcomes": table, **extra}


def profile_table(result: pd.DataFrame, *, names: Mapping[Any, str] | None = None, digits: int = 2) -> Any:
    """A :func:`profile` table formatted for reviewers: one row per variable (level),
    one column per segment showing ``estimate (index)`` with ``*`` when FDR-significant.

    Means are shown with ``digits`` decimals, shares in percent; low-base cells read
    ``suppressed (n < min_base)``. Column headers carry the segment's name and base.

    Returns
    -------
    cxlib.DisplayTable

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 4 + ["b"] * 4, "quality": [5, 4, 5, 4, 2, 3, 2, 3]})
    >>> cx.profile_table(cx.profile(df, segment="seg", variables=["quality"], min_base=2)).to_frame()
      variable total      a (n=4)     b (n=4)
    0  quality  3.50  4.50 (129)*  2.50 (71)*
    """
    from .tables import DisplayTable

    if not isinstance(result, pd.DataFrame):
        raise CXDataError(f"`result` must be the DataFrame returned by cx.profile, got {type(result).__name__}")
    check_columns(result, ["segment", "variable", "level", "measure", "estimate", "total", "index",
                           "significant", "low_base", "n", "min_base"], argument="result")
    names = dict(names or {})

    def fmt(v: float, measure: str) -> str:
        return f"{v:.{digits}f}" if measure == "mean" else f"{100 * v:.0f}%"

    rows: dict[str, dict[str, str]] = {}
    base = result.groupby("segment", sort=False)["n"].max()
    head = {s: (f"{s} {names[s]}" if s in names else f"{s}") + f" (n={int(base[s]):,})" for s in base.index}
    for r in result.itertuples(index=False):
        key = r.variable if r.measure == "mean" else f"{r.variable} = {r.level}"
        row = rows.setdefault(key, {"variable": key, "total": fmt(r.total, r.measure)})
        if r.low_base:
            row[head[r.segment]] = f"suppressed (n < {int(r.min_base)})"
        else:
            idx = "—" if not np.isfinite(r.index) else f"{r.index:.0f}"
            row[head[r.segment]] = f"{fmt(r.estimate, r.measure)} ({idx})" + ("*" if r.significant else "")
    level = result["confidence_level"].iloc[0] if "confidence_level" in result and len(result) else 0.95
    caption = (f"estimate (index vs total, 100 = average); * = differs from the rest of the sample, "
               f"Benjamini–Hochberg adjusted p < {1 - level:.2g}")
    return DisplayTable(pd.DataFrame(list(rows.values())), caption=caption)
