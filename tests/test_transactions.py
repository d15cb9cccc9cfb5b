"""Tests of cxlib.value.transactions.purchase_summary against a brute-force loop written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.errors import CXDataError


def _transactions(n_customers=60, seed=4):
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        start = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 90)))
        k = int(rng.poisson(3))
        days = sorted(rng.integers(0, 400, size=k))
        for d in [0, *days]:
            for _ in range(int(rng.integers(1, 3))):  # sometimes two purchases the same day
                rows.append((f"c{c}", start + pd.Timedelta(days=int(d), hours=int(rng.integers(0, 20))),
                             float(rng.gamma(2.0, 15.0))))
    return pd.DataFrame(rows, columns=["cust", "when", "value"])


def _brute_force(t, as_of, unit_days):
    out = {}
    for cust, g in t.groupby("cust"):
        g = g[g["when"] <= as_of]
        if g.empty:
            continue
        per_day = {}
        for w, v in zip(g["when"], g["value"]):
            per_day[w.normalize()] = per_day.get(w.normalize(), 0.0) + v
        days = sorted(per_day)
        x = len(days) - 1
        out[cust] = dict(frequency=x, recency=(days[-1] - days[0]).days / unit_days,
                         T=(as_of - days[0]).total_seconds() / 86400 / unit_days,
                         monetary=float(np.mean([per_day[d] for d in days[1:]])) if x else 0.0)
    return pd.DataFrame.from_dict(out, orient="index")


@pytest.mark.parametrize("unit,unit_days", [("weeks", 7.0), ("days", 1.0)])
def test_summary_equals_a_brute_force_loop(unit, unit_days):
    t = _transactions()
    as_of = pd.Timestamp("2026-01-31")
    s = cx.purchase_summary(t, customer="cust", date="when", amount="value", as_of=as_of, unit=unit).set_index("cust")
    ref = _brute_force(t, as_of, unit_days)
    assert sorted(s.index) == sorted(ref.index)
    for col in ("frequency", "recency", "T", "monetary"):
        np.testing.assert_allclose(s.loc[ref.index, col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float),
                                   rtol=1e-12, err_msg=col)


def test_summary_feeds_bg_nbd_and_gamma_gamma():
    t = _transactions(n_customers=400, seed=9)
    s = cx.purchase_summary(t, customer="cust", date="when", amount="value", as_of="2026-01-31")
    fit = cx.bg_nbd(s)
    assert fit.n == len(s) and np.isfinite(fit.log_likelihood)
    repeat = s[s["frequency"] > 0]
    gg = cx.gamma_gamma(repeat)
    assert gg.n == len(repeat)


def test_time_zones_late_rows_and_bad_values():
    t = _transactions(n_customers=5)
    aware = t.assign(when=t["when"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin"))
    a = cx.purchase_summary(aware, customer="cust", date="when", amount="value", as_of="2026-01-31")
    assert len(a) == 5  # aware dates are read in UTC, not refused
    pd.testing.assert_frame_equal(a.drop(columns="first_purchase"), cx.purchase_summary(
        t, customer="cust", date="when", amount="value", as_of="2026-01-31").drop(columns="first_purchase"))
    mid = t["when"].sort_values().iloc[len(t) // 2].normalize()
    cut = cx.purchase_summary(t, customer="cust", date="when", amount="value", as_of=mid)
    assert cut["n_transactions"].sum() == (t["when"].dt.normalize() <= mid).sum()  # later purchases ignored
    with pytest.raises(CXDataError, match=r"column 'value' has 1 negative value\(s\)"):
        cx.purchase_summary(t.assign(value=np.r_[-1.0, t["value"].to_numpy()[1:]]), customer="cust",
                            date="when", amount="value")
    with pytest.raises(CXDataError, match="non-numeric"):
        cx.purchase_summary(t.assign(value=["x"] + list(t["value"].iloc[1:])), customer="cust", date="when",
                            amount="value")
    with pytest.raises(CXDataError, match="no purchase on or before"):
        cx.purchase_summary(t, customer="cust", date="when", amount="value", as_of="2000-01-01")
    with pytest.raises(CXDataError, match="`transactions`='amount' is not a column"):
        cx.purchase_summary(t, customer="cust", date="when")
