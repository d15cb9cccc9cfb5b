"""Rule-based segments: RFM scores and named RFM segments, value tiers, tenure bands, NPS groups.

Each rule applies documented cut-offs and returns the assignment together with a counts
table (``segment, n, share`` and the rule's bounds). A counts table describes a partition
of the rows it was given (every row in exactly one segment), so it carries counts and
shares rather than estimates with intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    as_datetimes,
    as_timestamp,
    check_columns,
    check_frame,
    date_column,
    numeric_scores,
    show_values,
)
from ..errors import CXDataError

_DAYS_PER_MONTH = 365.25 / 12


def _check_edges(edges: Any, *, argument: str) -> np.ndarray:
    """Cut-offs as a strictly increasing float array (a message naming ``argument`` otherwise)."""
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
# RFM
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

#: (score column, value column, higher value is better, dimension name)
_RFM_DIMS = (
    ("r_score", "recency_days", False, "recency"),
    ("f_score", "frequency", True, "frequency"),
    ("m_score", "monetary", True, "monetary"),
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


def _rfm_input_kind(recency: Any, frequency: Any, monetary: Any, date: Any, amount: Any) -> bool:
    """True for transaction input, False for customer input; an error for a mix or neither."""
    transactional = date is not None or amount is not None
    customer_level = any(c is not None for c in (recency, frequency, monetary))
    if transactional == customer_level:
        raise CXDataError(
            "give either `date` and `amount` (transactions) or `recency`, `frequency` and "
            "`monetary` (one row per customer), not both or neither"
        )
    if transactional and (date is None or amount is None):
        raise CXDataError("transaction input needs both `date` and `amount`")
    if not transactional and (recency is None or frequency is None or monetary is None):
        raise CXDataError("customer input needs all of `recency`, `frequency` and `monetary`")
    return transactional


def _refuse_negative(data: pd.DataFrame, values: np.ndarray, column: str, customer: str, *, what: str) -> None:
    """Refuse negative monetary values, naming the column, the values, the rows and customers."""
    neg = values < 0
    if neg.any():
        raise CXDataError(
            f"column {column!r} has {int(neg.sum())} negative {what} value(s) {show_values(np.unique(values[neg]))} "
            f"in row(s) {show_values(data.index[neg])} ({customer} {show_values(pd.unique(data[customer][neg]))}); "
            "RFM monetary value is spend >= 0: drop refunds and credits, or pass allow_negative=True to net them"
        )


def _rfm_from_transactions(
    data: pd.DataFrame, ids: pd.Series, customer: str, date: str, amount: str, as_of: Any, allow_negative: bool
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Per-customer recency (days to ``as_of``), frequency (transactions) and monetary (sum)."""
    check_columns(data, [amount], argument="amount")
    as_of_ts = as_timestamp(as_of, argument="as_of")
    dates = date_column(data, date, argument="date")  # timezone-aware dates in UTC, naive
    if dates.isna().any():
        raise CXDataError(f"column {date!r} has {int(dates.isna().sum())} missing date(s)")
    amounts = numeric_scores(data[amount], amount, allow_missing=False)
    if not allow_negative:
        _refuse_negative(data, amounts, amount, customer, what="transaction")
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
    return table, as_of_ts


def _rfm_from_customers(
    data: pd.DataFrame, ids: pd.Series, customer: str, recency: str, frequency: str, monetary: str,
    allow_negative: bool,
) -> pd.DataFrame:
    """Customer input checked (one row per customer, numbers, recency and frequency >= 0)."""
    for arg, col in (("recency", recency), ("frequency", frequency), ("monetary", monetary)):
        check_columns(data, [col], argument=arg)
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise CXDataError(
            f"column {customer!r} repeats {int(dup.sum())} row(s) {show_values(pd.unique(ids[dup]))}; "
            "customer input needs one row per customer (pass transactions with `date`/`amount` instead)"
        )
    spend = numeric_scores(data[monetary], monetary, allow_missing=False)
    if not allow_negative:
        _refuse_negative(data, spend, monetary, customer, what="monetary")
    return pd.DataFrame(
        {
            customer: ids.to_numpy(),
            "recency_days": numeric_scores(data[recency], recency, low=0, allow_missing=False),
            "frequency": numeric_scores(data[frequency], frequency, low=0, allow_missing=False),
            "monetary": spend,
        }
    )


def _rfm_fixed(table: pd.DataFrame, bins: Mapping[str, Sequence[float]]) -> tuple[int, list, str]:
    """Add score columns from fixed cut-offs; return the number of scores, cut-off rows, method."""
    keys = {"recency", "frequency", "monetary"}
    if set(bins) != keys:
        raise CXDataError(f"`bins` as a dict needs exactly the keys {sorted(keys)}; got {sorted(map(str, bins))}")
    edges = {k: _check_edges(v, argument=f"bins[{k!r}]") for k, v in bins.items()}
    lengths = {len(v) for v in edges.values()}
    if len(lengths) != 1:
        raise CXDataError(
            f"`bins` cut-off lists must have the same length; got { {k: len(v) for k, v in edges.items()} }"
        )
    cut_rows = []
    for score_col, value_col, higher, key in _RFM_DIMS:
        e = edges[key]
        table[score_col] = _fixed_scores(table[value_col].to_numpy(), e, higher_is_better=higher)
        bounds = np.concatenate([[-np.inf], e, [np.inf]])
        for level in range(len(e) + 1):
            score = level + 1 if higher else len(e) + 1 - level
            cut_rows.append((key, score, bounds[level], bounds[level + 1]))
    return lengths.pop() + 1, cut_rows, "RFM scores from fixed cut-offs (intervals closed on the left)"


def _rfm_quantile(table: pd.DataFrame, bins: Any) -> tuple[int, list, str]:
    """Add quantile score columns (ties share the lower score); same returns as :func:`_rfm_fixed`."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise CXDataError(f"`bins`={bins!r} must be an integer >= 2 or a dict of cut-offs")
    n_scores = int(bins)
    cut_rows = []
    for score_col, value_col, higher, key in _RFM_DIMS:
        table[score_col] = _rank_scores(table[value_col].to_numpy(), n_scores, higher_is_better=higher)
        for score in range(1, n_scores + 1):
            cut_rows.append((key, score, np.nan, np.nan))
    method = (
        f"RFM quantile scores 1-{n_scores}: 1 + floor({n_scores} x share of customers strictly worse); "
        "ties share the lower score"
    )
    return n_scores, cut_rows, method


def _rfm_segments(table: pd.DataFrame, n_scores: int) -> pd.DataFrame:
    """Add ``rfm_cell``, ``rfm_sum`` and ``segment``; return the counts per segment (or cell)."""
    table["rfm_cell"] = table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
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
    counts = pd.DataFrame({"segment": order, "n": grouped.size().reindex(order, fill_value=0).to_numpy()})
    counts["share"] = counts["n"] / len(table)
    for col in ("recency_days", "frequency", "monetary"):
        counts[f"mean_{col}"] = grouped[col].mean().reindex(order).to_numpy()
    return counts


def _rfm_cutoffs(table: pd.DataFrame, cut_rows: list, *, fixed: bool) -> pd.DataFrame:
    """Per dimension and score: bounds used (fixed cut-offs) and the observed min, max and n."""
    cut = pd.DataFrame(cut_rows, columns=["dimension", "score", "lower", "upper"])
    obs = []
    for score_col, value_col, _, key in _RFM_DIMS:
        g = table.groupby(score_col)[value_col].agg(["min", "max", "size"])
        for score, row in g.iterrows():
            obs.append((key, int(score), row["min"], row["max"], int(row["size"])))
    obs_df = pd.DataFrame(obs, columns=["dimension", "score", "min", "max", "n"])
    cut = cut.merge(obs_df, on=["dimension", "score"], how="left")
    cut["n"] = cut["n"].fillna(0).astype(int)
    return cut if fixed else cut.drop(columns=["lower", "upper"])


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
    allow_negative: bool = False,
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
    allow_negative : bool, default False
        Accept negative amounts (refunds, credits: transaction input) or negative
        ``monetary`` values (customer input); the monetary value is then the net spend.
        By default they are refused, naming the rows.

    Returns
    -------
    RFMResult
        ``scores`` per customer, ``counts`` per named segment, the ``cutoffs`` table.

    Raises
    ------
    CXDataError
        Missing columns, missing or non-numeric amounts, negative amounts (unless
        ``allow_negative``), dates that are not dates, transactions after ``as_of``,
        duplicated customers in customer input, bad ``bins``. Timezone-aware dates and
        ``as_of`` are converted to UTC first.

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
    data = check_frame(data)
    transactional = _rfm_input_kind(recency, frequency, monetary, date, amount)
    check_columns(data, [customer], argument="customer")
    ids = data[customer]
    if ids.isna().any():
        raise CXDataError(f"column {customer!r} has {int(ids.isna().sum())} missing customer id(s)")
    as_of_ts: pd.Timestamp | None = None
    if transactional:
        table, as_of_ts = _rfm_from_transactions(data, ids, customer, date, amount, as_of, allow_negative)
    else:
        table = _rfm_from_customers(data, ids, customer, recency, frequency, monetary, allow_negative)
    fixed = isinstance(bins, Mapping)
    n_scores, cut_rows, method = _rfm_fixed(table, bins) if fixed else _rfm_quantile(table, bins)
    if transactional:
        method += f"; recency in days to {as_of_ts.date()}, frequency = transactions, monetary = total amount"
    counts = _rfm_segments(table, n_scores)
    cutoffs = _rfm_cutoffs(table, cut_rows, fixed=fixed)
    return RFMResult(scores=table, counts=counts, cutoffs=cutoffs, as_of=as_of_ts, method=method)


# ----------------------------------------------------------------------------------------
# value tiers, tenure bands, NPS groups
# ----------------------------------------------------------------------------------------


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
    """Cut ``values`` at ``edges`` (closed on the left) into ``labels``; NaN stays unassigned."""
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
    mins, maxs = [], []
    for i in range(len(labels)):
        sel = values[codes == i]
        mins.append(sel.min() if len(sel) else np.nan)
        maxs.append(sel.max() if len(sel) else np.nan)
    n_valid = int((~missing).sum())
    counts = pd.DataFrame(
        {
            "segment": labels,
            "lower": np.concatenate([[np.nan], edges]),
            "upper": np.concatenate([edges, [np.nan]]),
            "n": n.astype(int),
            "share": n / n_valid if n_valid else np.nan,
            "min": mins,
            "max": maxs,
        }
    )
    return RuleSegments(labels=lab, counts=counts, cutoffs=tuple(float(e) for e in edges),
                        n_missing=int(missing.sum()), method=method)


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
    data = check_frame(data)
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
        edges = np.quantile(vals[~np.isnan(vals)], q)
        if np.any(np.diff(edges) <= 0):
            raise CXDataError(
                f"quantiles {list(q)} of {value!r} give tied cut-offs {list(edges)} (many equal values); "
                "use fixed `cutoffs` instead"
            )
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
    data = check_frame(data)
    check_columns(data, [start], argument="start")
    as_of_ts = as_timestamp(as_of, argument="as_of")
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
    return _cut_segments(vals, s.index, np.array([7.0, 9.0]), ["detractor", "passive", "promoter"], name,
                         "NPS groups: detractor 0-6, passive 7-8, promoter 9-10")
