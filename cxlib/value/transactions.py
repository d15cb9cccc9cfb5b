"""From a transactions table to the per-customer summary that BG/NBD and Gamma-Gamma need.

:func:`purchase_summary` turns one row per purchase into one row per customer with
``frequency`` (repeat purchases), ``recency`` (time of the last purchase after the first),
``T`` (time from the first purchase to the end of observation) and ``monetary`` (mean
value of the repeat purchases) — the inputs of :func:`cxlib.bg_nbd` and
:func:`cxlib.gamma_gamma`, as defined by Fader, Hardie & Lee (2005).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import as_timestamp, check_choice, check_columns, check_frame, date_column, show_values
from ..errors import CXDataError

#: Time units of recency and T, in days.
UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


def purchase_summary(
    transactions: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    as_of: Any = None,
    unit: str = "weeks",
) -> pd.DataFrame:
    """Per-customer purchase summary (frequency, recency, T, monetary) from transactions.

    Purchases on the same calendar day count as one purchase (their amounts are added),
    the convention of the CDNOW analyses. Transactions after ``as_of`` are ignored.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    customer, date, amount : str
        Column names: the customer id, the purchase date (timezone-aware dates are read in
        UTC), and its value (``None``: no ``monetary`` column).
    as_of : date-like, optional
        End of the observation window; default the last purchase date in the table.
    unit : {"weeks", "days", "months"}, default "weeks"
        Unit of ``recency`` and ``T``.

    Returns
    -------
    pandas.DataFrame
        One row per customer, sorted by id: ``customer``, ``frequency`` (purchase days after
        the first), ``recency`` (first to last purchase day), ``T`` (first purchase day to
        ``as_of``), ``monetary`` (mean value of the repeat purchase days; 0 when there are
        none), ``first_purchase``, ``n_transactions``.

    Raises
    ------
    CXDataError
        On a missing column, unparseable or missing dates, non-numeric or negative
        amounts, or no purchase on or before ``as_of`` — naming the column, the values and
        the row count.

    Notes
    -----
    With purchase days ``d_0 < d_1 < … < d_x`` of a customer: ``frequency = x``,
    ``recency = d_x − d_0``, ``T = as_of − d_0`` and ``monetary = mean(v_1 … v_x)``, where
    ``v_k`` is the total spent on day ``d_k``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
    way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275–284;
    Fader, Hardie & Lee (2005). RFM and CLV: using iso-value curves for customer base
    analysis. *Journal of Marketing Research* 42(4), 415–430.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 20.0, 5.0, 8.0],
    ...                   "date": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-01-15", "2026-01-08"])})
    >>> purchase_summary(t, unit="days", as_of="2026-01-29")[["customer_id", "frequency", "recency", "T", "monetary"]]
       customer_id  frequency  recency     T  monetary
    0            1          1     14.0  28.0      25.0
    1            2          0      0.0  21.0       0.0
    """
    check_frame(transactions, argument="transactions")
    check_choice(unit, tuple(UNITS), argument="unit")
    check_columns(transactions, [customer, date] + ([amount] if amount else []), argument="transactions")
    days = _purchase_days(transactions, customer=customer, date=date, amount=amount, as_of=as_of)
    end = days.attrs["as_of"]
    return _summarise(days, customer=customer, end=end, unit=unit, with_amount=amount is not None)


def _purchase_days(transactions: pd.DataFrame, *, customer: str, date: str, amount: str | None,
                   as_of: Any) -> pd.DataFrame:
    """Validated purchases aggregated to one row per customer and calendar day."""
    when = date_column(transactions, date, argument="date")
    if when.isna().any():
        bad = when.isna().to_numpy()
        raise CXDataError(f"column {date!r} is missing in {int(bad.sum())} row(s) "
                          f"(row labels {show_values(transactions.index[bad])}); every purchase needs a date")
    if transactions[customer].isna().any():
        raise CXDataError(f"column {customer!r} is missing in {int(transactions[customer].isna().sum())} row(s); "
                          "every purchase needs a customer id")
    frame = pd.DataFrame({"customer": transactions[customer].to_numpy(), "day": when.dt.normalize().to_numpy()})
    frame["value"] = _amounts(transactions, amount) if amount else 0.0
    end = as_timestamp(as_of, argument="as_of") if as_of is not None else frame["day"].max()
    frame = frame.loc[frame["day"] <= end]
    if frame.empty:
        raise CXDataError(f"no purchase on or before `as_of`={end.date()}; column {date!r} starts "
                          f"{when.min().date()}")
    days = frame.groupby(["customer", "day"], sort=True).agg(value=("value", "sum"), rows=("value", "size"))
    days = days.reset_index()
    days.attrs["as_of"] = end
    return days


def _amounts(transactions: pd.DataFrame, amount: str) -> np.ndarray:
    raw = transactions[amount]
    num = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & num.isna()
    if bad.any():
        raise CXDataError(f"column {amount!r} has {int(bad.sum())} non-numeric value(s) "
                          f"{show_values(pd.unique(raw[bad]))}; expected purchase amounts")
    if num.isna().any():
        raise CXDataError(f"column {amount!r} is missing in {int(num.isna().sum())} row(s); "
                          "fill it (0 for a free purchase) or drop those rows")
    neg = num < 0
    if neg.any():
        raise CXDataError(f"column {amount!r} has {int(neg.sum())} negative value(s) "
                          f"{show_values(np.unique(num[neg]))}; refunds must be netted out before the summary")
    return num.to_numpy(dtype=float)


def _summarise(days: pd.DataFrame, *, customer: str, end: pd.Timestamp, unit: str, with_amount: bool) -> pd.DataFrame:
    scale = pd.Timedelta(days=UNITS[unit])
    g = days.groupby("customer", sort=True)
    first, last = g["day"].min(), g["day"].max()
    n_days = g.size()
    total, first_value = g["value"].sum(), g["value"].first()  # days are sorted within a customer
    out = pd.DataFrame({
        customer: first.index.to_numpy(),
        "frequency": (n_days - 1).to_numpy(dtype=np.int64),
        "recency": ((last - first) / scale).to_numpy(dtype=float),
        "T": ((end - first) / scale).to_numpy(dtype=float),
    })
    if with_amount:
        repeat = (total - first_value).to_numpy(dtype=float)
        freq = out["frequency"].to_numpy()
        out["monetary"] = np.divide(repeat, freq, out=np.zeros_like(repeat), where=freq > 0)
    out["first_purchase"] = first.to_numpy()
    out["n_transactions"] = g["rows"].sum().to_numpy(dtype=np.int64)
    return out
