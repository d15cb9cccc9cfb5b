"""Tests for cxlib.helpdesk: helpdesk rates and times (churn rates are in test_churn.py).

Where each expected number comes from is said next to it: hand calculation, a
brute-force loop over rows written independently of the vectorised code, statsmodels as
an oracle, or exact binomial sums with ``fractions.Fraction``.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

import cxlib as cx
from cxlib.errors import CXDataError, SmallBaseWarning
from cxlib.core.results import Estimate
from cxlib.helpdesk import RateEstimate, _order_statistic_ranks

# ---------------------------------------------------------------------------
# Synthetic data (seeded)
# ---------------------------------------------------------------------------


def make_tickets(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 90 * 24, n), unit="h")
    resp = created + pd.to_timedelta(rng.lognormal(0.5, 1.0, n), unit="h")
    first_solve = resp + pd.to_timedelta(rng.lognormal(2.5, 1.0, n), unit="h")
    reopen = rng.poisson(0.15, n)
    last_solve = first_solve + pd.to_timedelta(reopen * rng.lognormal(3.0, 0.5, n), unit="h")
    open_ = rng.random(n) < 0.1
    no_resp = open_ & (rng.random(n) < 0.3)
    return pd.DataFrame({
        "ticket_id": np.arange(n, dtype=np.int64),
        "channel": rng.choice(["chat", "email", "phone"], n),
        "category": rng.choice(["billing", "tech"], n),
        "created_at": created,
        "first_response_at": pd.Series(resp).mask(no_resp),
        "first_resolved_at": pd.Series(first_solve).mask(open_),
        "resolved_at": pd.Series(last_solve).mask(open_),
        "reopen_count": np.where(open_, 0, reopen),
        "contacts": 1 + rng.poisson(0.4, n),
    })


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return make_tickets()


# ---------------------------------------------------------------------------
# Reopen rate and first-contact resolution
# ---------------------------------------------------------------------------


def test_reopen_rate_hand_example():
    # hand: solved tickets are rows 0-3 (row 4 open); reopened >= 1: rows 1, 3 -> 2/4
    t = pd.DataFrame({
        "reopen_count": [0, 1, 0, 2, 5],
        "first_resolved_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-03", "2026-01-04", None]),
    })
    r = cx.reopen_rate(t, min_base=0)
    assert isinstance(r, Estimate) and isinstance(r, RateEstimate)
    assert (r.count, r.n, r.n_excluded, r.estimate) == (2, 4, 1, 0.5)
    assert r.std_err == pytest.approx(math.sqrt(0.25 / 4))  # Wald SE by hand
    lo, hi = proportion_confint(2, 4, alpha=0.05, method="wilson")
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    frame = r.to_frame()
    assert frame.shape[0] == 1 and {"estimate", "ci_low", "count", "small_base"} <= set(frame.columns)


def test_fcr_hand_example():
    # hand: solved rows 0,1,2,4; contacts == 1 among them: rows 0,1 -> 2/4; row 3 open
    t = pd.DataFrame({
        "contacts": [1, 1, 3, 1, 2],
        "first_resolved_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-03", None, "2026-01-05"]),
    })
    r = cx.first_contact_resolution(t, min_base=0)
    assert (r.count, r.n, r.n_excluded) == (2, 4, 1)
    assert r.estimate == 0.5


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_wilson_matches_statsmodels(level):
    # oracle: statsmodels proportion_confint(method="wilson") over a grid of counts
    for n in (1, 2, 5, 17, 60, 333):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            t = pd.DataFrame({"reopen_count": [1] * k + [0] * (n - k),
                              "first_resolved_at": pd.Timestamp("2026-01-01")})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SmallBaseWarning)
                r = cx.reopen_rate(t, confidence_level=level)
            lo, hi = proportion_confint(k, n, alpha=1 - level, method="wilson")
            assert r.ci_low == pytest.approx(lo, abs=1e-12)
            assert r.ci_high == pytest.approx(hi, abs=1e-12)


def test_rate_grouped_equals_per_group_calls(tickets):
    for fn in (cx.reopen_rate, cx.first_contact_resolution):
        grouped = cx.by_group(tickets, fn, by=["channel", "category"])
        assert list(grouped.columns[:2]) == ["channel", "category"]
        assert len(grouped) == 6
        for _, row in grouped.iterrows():
            sub = tickets[(tickets.channel == row.channel) & (tickets.category == row.category)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SmallBaseWarning)
                single = fn(sub)
            for field in ("estimate", "std_err", "ci_low", "ci_high"):
                assert row[field] == pytest.approx(getattr(single, field), abs=1e-12)
            assert (row["n"], row["count"], row["n_excluded"]) == (single.n, single.count, single.n_excluded)
            assert row["small_base"] == (single.n < 30)


def test_small_base_warns_and_flags():
    t = pd.DataFrame({"reopen_count": [0, 1], "first_resolved_at": pd.Timestamp("2026-01-01")})
    with pytest.warns(SmallBaseWarning):
        r = cx.reopen_rate(t)
    assert r.small_base and r.min_base == 30


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=60))
def test_rate_estimate_inside_interval(rows):
    t = pd.DataFrame({"reopen_count": [r[0] for r in rows],
                      "first_resolved_at": [pd.Timestamp("2026-01-01") if r[1] else pd.NaT for r in rows]})
    if not t["first_resolved_at"].notna().any():
        with pytest.raises(CXDataError, match="first_resolved_at"):
            cx.reopen_rate(t, min_base=0)
        return
    r = cx.reopen_rate(t, min_base=0)
    assert 0 <= r.ci_low <= r.estimate <= r.ci_high <= 1
    assert r.n + r.n_excluded == len(t)


# ---------------------------------------------------------------------------
# Order-statistic intervals for quantiles
# ---------------------------------------------------------------------------


def _brute_ranks(n: int, q: Fraction, level: Fraction) -> tuple[int, int]:
    """Exact rule with rational arithmetic: l-1 = max{k: B(k) <= a}, u-1 = min{k: B(k) >= 1-a}."""
    a = (1 - level) / 2
    cdf, acc = [], Fraction(0)
    for k in range(n + 1):
        acc += math.comb(n, k) * q**k * (1 - q) ** (n - k)
        cdf.append(acc)
    lo = 0
    for k in range(n + 1):
        if cdf[k] <= a:
            lo = k + 1
    hi = n + 1
    for k in range(n + 1):
        if cdf[k] >= 1 - a:
            hi = k + 1
            break
    return lo, hi


def test_order_statistic_ranks_published_case():
    # Hahn & Meeker / Conover tables: n = 10, median, 95 %: [X_(2), X_(9)], coverage 97.85 %
    # by hand: B(1) = 11/1024 = 0.0107 <= 0.025 < B(2) = 56/1024; B(8) = 1013/1024 >= 0.975 > B(7)
    lo, hi, cov = _order_statistic_ranks(10, 0.5, 0.95)
    assert (lo, hi) == (2, 9)
    assert cov == pytest.approx((1013 - 11) / 1024, abs=1e-12)


def test_order_statistic_ranks_vs_exact_brute_force():
    for n in range(1, 61):
        for q in (Fraction(1, 2), Fraction(9, 10), Fraction(1, 4), Fraction(1, 10)):
            for level in (Fraction(90, 100), Fraction(95, 100)):
                lo, hi, _ = _order_statistic_ranks(n, float(q), float(level))
                assert (lo, hi) == _brute_ranks(n, q, level), (n, q, level)


def test_first_response_time_hand_example():
    # hand: times 1, 2, 4 h (one open); median 2 h; n = 3 too small for a 95 % lower bound
    # (B(0; 3, .5) = 1/8 > 0.025), so ci_low is NaN with rank_low 0; u-1 = 3 -> rank 4 > n
    created = pd.to_datetime(["2026-01-01 09:00"] * 4)
    reply = pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00", "2026-01-01 13:00", None])
    t = pd.DataFrame({"created_at": created, "first_response_at": reply})
    r = cx.first_response_time(t, quantiles=(0.5,), min_base=0)
    med = r.median
    assert (med.estimate, r.n, r.n_open) == (2.0, 3, 1)
    assert np.isnan(med.ci_low) and np.isnan(med.ci_high)
    assert (med.rank_low, med.rank_high) == (0, 4)
    assert cx.first_response_time(t, quantiles=(0.5,), unit="min", min_base=0).median.estimate == 120.0


def test_quantile_interval_values_use_the_order_statistics(tickets):
    r = cx.first_response_time(tickets, quantiles=(0.5, 0.9), min_base=0)
    x = ((tickets.first_response_at - tickets.created_at) / pd.Timedelta(hours=1)).dropna().sort_values().to_numpy()
    assert r.n == len(x) and r.n_open == tickets.first_response_at.isna().sum()
    for q in (0.5, 0.9):
        est = r[q]
        lo, hi = _brute_ranks(len(x), Fraction(q).limit_denominator(100), Fraction(95, 100))
        assert (est.rank_low, est.rank_high) == (lo, hi)
        assert est.ci_low == x[lo - 1] and est.ci_high == x[hi - 1]
        assert est.estimate == pytest.approx(np.quantile(x, q))  # type-7 sample quantile
        assert est.ci_low <= est.estimate <= est.ci_high
        assert est.coverage >= 0.95
    frame = r.to_frame()
    assert list(frame["quantile"]) == [0.5, 0.9]
    assert {"estimate", "ci_low", "ci_high", "n", "n_open", "unit", "coverage"} <= set(frame.columns)


def test_quantile_interval_coverage_by_simulation():
    # 600 seeded samples of n = 40 log-normal times in one grouped call; the true median is
    # exp(mu) and the true p90 exp(mu + 1.2816 sigma). Empirical coverage must be close to
    # the exact coverage the rule reports (binomial SE ~ 0.008), and above the nominal level.
    rng = np.random.default_rng(20260131)
    reps, n, mu, sigma = 600, 40, 1.0, 0.8
    hours = rng.lognormal(mu, sigma, size=(reps, n)).ravel()
    created = pd.Timestamp("2026-01-01")
    t = pd.DataFrame({"rep": np.repeat(np.arange(reps), n), "created_at": created,
                      "first_response_at": created + pd.to_timedelta(hours, unit="h")})
    out = cx.by_group(t, cx.first_response_time, by="rep", quantiles=(0.5, 0.9))
    truth = {0.5: math.exp(mu), 0.9: math.exp(mu + 1.2815515655446004 * sigma)}
    for q, true_value in truth.items():
        sub = out[out["quantile"] == q]
        covered = ((sub.ci_low <= true_value) & (true_value <= sub.ci_high)).mean()
        exact = sub.coverage.iloc[0]
        assert exact >= 0.95
        assert abs(covered - exact) < 4 * math.sqrt(exact * (1 - exact) / reps), (q, covered, exact)


def test_resolution_time_first_and_full(tickets):
    first = cx.resolution_time(tickets, kind="first", unit="D", min_base=0)
    full = cx.resolution_time(tickets, kind="full", unit="D", min_base=0)
    assert first.metric == "first_resolution_time" and full.metric == "full_resolution_time"
    x_first = ((tickets.first_resolved_at - tickets.created_at) / pd.Timedelta(days=1)).dropna()
    x_full = ((tickets.resolved_at - tickets.created_at) / pd.Timedelta(days=1)).dropna()
    assert first.median.estimate == pytest.approx(x_first.median())
    assert full.median.estimate == pytest.approx(x_full.median())
    assert full.median.estimate >= first.median.estimate  # last solve >= first solve
    assert first.n_open == tickets.first_resolved_at.isna().sum()


def test_durations_grouped_equals_per_group_calls(tickets):
    grouped = cx.by_group(tickets, cx.resolution_time, kind="full", by="channel", quantiles=(0.25, 0.5, 0.9))
    assert list(grouped.columns[:3]) == ["channel", "metric", "quantile"]
    for ch, sub in grouped.groupby("channel"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallBaseWarning)
            single = cx.resolution_time(tickets[tickets.channel == ch], kind="full",
                                        quantiles=(0.25, 0.5, 0.9)).to_frame()
        cols = ["quantile", "estimate", "ci_low", "ci_high", "rank_low", "rank_high", "coverage", "n", "n_open"]
        pd.testing.assert_frame_equal(sub[cols].reset_index(drop=True), single[cols], check_dtype=False)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_inputs_not_modified(tickets):
    t0 = tickets.copy(deep=True)
    cx.by_group(tickets, cx.reopen_rate, by="channel")
    cx.by_group(tickets, "first_response_time", by="channel")
    pd.testing.assert_frame_equal(tickets, t0)


def test_negative_durations_raise(tickets):
    bad = tickets.copy()
    bad.loc[[3, 7], "first_response_at"] = bad.loc[[3, 7], "created_at"] - pd.Timedelta(hours=2)
    with pytest.raises(CXDataError, match=r"'first_response_at' is earlier than 'created_at' in 2 row"):
        cx.first_response_time(bad)
    bad = tickets.copy()
    bad.loc[5, "resolved_at"] = bad.loc[5, "created_at"] - pd.Timedelta(days=1)
    with pytest.raises(CXDataError, match=r"'resolved_at'.*1 row"):
        cx.resolution_time(bad, kind="full")


def test_unparseable_and_numeric_dates_raise(tickets):
    bad = tickets.copy()
    bad["created_at"] = bad["created_at"].astype(str).astype(object)
    bad.loc[0, "created_at"] = "yesterday-ish"
    with pytest.raises(CXDataError, match=r"'created_at' has 1 value.*yesterday-ish"):
        cx.first_response_time(bad)
    ok = tickets.copy()
    ok["created_at"] = ok["created_at"].astype(str)  # parseable text is accepted
    assert cx.first_response_time(ok).n == cx.first_response_time(tickets).n
    num = tickets.copy()
    num["first_resolved_at"] = 12345
    with pytest.raises(CXDataError, match="'first_resolved_at' has dtype int64"):
        cx.resolution_time(num)


def test_bad_counts_raise(tickets):
    bad = tickets.copy()
    bad.loc[[1, 2, 3], "reopen_count"] = -1
    with pytest.raises(CXDataError, match=r"'reopen_count' has 3 value.*-1"):
        cx.reopen_rate(bad)
    bad = tickets.copy()
    bad["contacts"] = bad["contacts"].astype(float)
    bad.loc[0, "contacts"] = -2.0
    with pytest.raises(CXDataError, match=r"'contacts' has 1 value"):
        cx.first_contact_resolution(bad)
    bad = tickets.copy()
    bad["reopen_count"] = bad["reopen_count"].astype(float)
    solved_row = bad.index[bad.first_resolved_at.notna()][0]
    bad.loc[solved_row, "reopen_count"] = np.nan
    with pytest.raises(CXDataError, match=r"'reopen_count' is missing for 1 solved"):
        cx.reopen_rate(bad)


def test_unknown_columns_and_empty_data_raise(tickets):
    with pytest.raises(CXDataError, match="`reopen_count`='reopens' is not a column"):
        cx.reopen_rate(tickets, reopen_count="reopens")
    with pytest.raises(CXDataError, match="`by`='region' is not a column"):
        cx.by_group(tickets, cx.first_response_time, by="region")
    with pytest.raises(CXDataError, match="`tickets` has no rows"):
        cx.reopen_rate(tickets.iloc[:0])


def test_bad_options_raise(tickets):
    with pytest.raises(CXDataError, match="`unit`='hours'"):
        cx.first_response_time(tickets, unit="hours")
    with pytest.raises(CXDataError, match="`kind`='last'"):
        cx.resolution_time(tickets, kind="last")
    with pytest.raises(CXDataError, match="`quantiles`"):
        cx.first_response_time(tickets, quantiles=(0.5, 1.0))
    with pytest.raises(CXDataError, match="`confidence_level`"):
        cx.reopen_rate(tickets, confidence_level=95)
    with pytest.raises(CXDataError, match="open|missing in all"):
        cx.resolution_time(tickets.assign(first_resolved_at=pd.NaT))


def test_ticket_functions_have_one_return_type_and_group_through_by_group(tickets):
    """STYLE: one return type per function; per-group tables come from cx.by_group."""
    import inspect

    for fn in (cx.reopen_rate, cx.first_contact_resolution, cx.first_response_time, cx.resolution_time):
        assert "by" not in inspect.signature(fn).parameters
    with pytest.raises(CXDataError, match="not available for the helpdesk metrics"):
        cx.by_group(tickets, cx.reopen_rate, by="channel", compare="rest")


def test_wilson_bounds_bracket_the_estimate_at_zero_and_one():
    """Regression: at p = 0 the Wilson lower bound came out as 5.6e-17 > 0 (float dust)."""
    from cxlib.core.inference import wilson_interval

    for n in (1, 2, 3, 7, 10, 49, 1000):
        for p in (0.0, 1.0):
            lo, hi = wilson_interval(np.array([p]), np.array([float(n)]), 1.959963984540054)
            assert 0.0 <= lo[0] <= p <= hi[0] <= 1.0


def test_missing_group_keys_belong_to_no_group_as_in_survey_by_group(tickets):
    t = tickets.copy()
    t["region"] = np.where(np.arange(len(t)) % 5 == 0, None, np.where(np.arange(len(t)) % 2 == 0, "north", "south"))
    out = cx.by_group(t, cx.reopen_rate, by="region", min_base=1)
    assert list(out["region"]) == ["north", "south"]  # no NaN-key group, as cx.by_group on survey data
    for region, row in out.set_index("region").iterrows():  # each group equals the rate on its own rows
        assert row["estimate"] == pytest.approx(cx.reopen_rate(t[t["region"] == region], min_base=1).estimate)


def test_timezone_aware_times_give_the_naive_utc_results(tickets):
    """Issue 11, item 10: aware timestamps (any zone, mixed with naive UTC ones) are read in UTC."""
    aware = tickets.assign(
        created_at=tickets["created_at"].dt.tz_localize("UTC").dt.tz_convert("America/Chicago"),
        first_response_at=tickets["first_response_at"].dt.tz_localize("UTC").dt.tz_convert("Asia/Kolkata"),
        first_resolved_at=tickets["first_resolved_at"].dt.tz_localize("UTC"),
    )  # resolved_at stays naive (UTC)
    for metric in (cx.first_response_time, cx.resolution_time):
        ref, res = metric(tickets, min_base=1), metric(aware, min_base=1)
        pd.testing.assert_frame_equal(res.to_frame(), ref.to_frame())
    full_ref = cx.resolution_time(tickets, kind="full", min_base=1)
    pd.testing.assert_frame_equal(cx.resolution_time(aware, kind="full", min_base=1).to_frame(), full_ref.to_frame())
    assert cx.reopen_rate(aware, min_base=1) == cx.reopen_rate(tickets, min_base=1)
