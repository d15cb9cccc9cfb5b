"""Tests for cxlib.survival: Kaplan–Meier curves, medians, log-rank test, survival_at.

Oracles are written out here, independently of lifelines (which cxlib.survival wraps): the
product-limit estimator with Greenwood's variance and the log(−log) band, the median as
the first time the curve reaches 0.5, and the K-group Mantel–Cox log-rank statistic from
observed and expected events with the hypergeometric covariance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from churn_data import cox_data as make_cox_data
from cxlib.errors import CXDataError
from cxlib.survival import SurvivalResult, survival, survival_at

Z95 = 1.959963984540054


@pytest.fixture(scope="module")
def cox_data():
    return make_cox_data()


# ---------------------------------------------------------------------------- oracles
def product_limit(t: np.ndarray, e: np.ndarray, z: float = Z95) -> pd.DataFrame:
    """Kaplan–Meier by hand: one row per distinct time (time 0 first).

    S(t) = Π (1 − d_j / n_j); Greenwood Var S = S² Σ d_j / (n_j (n_j − d_j)); log(−log)
    band S^exp(±z σ / log S) with σ² the Greenwood sum (Kalbfleisch & Prentice 1980).
    """
    rows = [(0.0, 1.0, 0.0, len(t), 0, 0)]
    s, g = 1.0, 0.0
    for time in np.unique(t):
        at_risk = int((t >= time).sum())
        d = int(((t == time) & (e == 1)).sum())
        c = int(((t == time) & (e == 0)).sum())
        s *= 1 - d / at_risk
        if d and at_risk > d:
            g += d / (at_risk * (at_risk - d))
        if time == 0:
            rows[0] = (0.0, s, g, at_risk, d, c)
        else:
            rows.append((float(time), s, g, at_risk, d, c))
    out = pd.DataFrame(rows, columns=["time", "survival", "greenwood", "at_risk", "events", "censored"])
    out["std_err"] = out["survival"] * np.sqrt(out["greenwood"])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = z * np.sqrt(out["greenwood"]) / np.log(out["survival"])
        out["ci_low"] = out["survival"] ** np.exp(-v)
        out["ci_high"] = out["survival"] ** np.exp(v)
    return out


def hand_median(curve: pd.DataFrame) -> float:
    reached = curve.loc[curve["survival"] <= 0.5, "time"]
    return float(reached.iloc[0]) if len(reached) else float("nan")


def mantel_cox(t: np.ndarray, e: np.ndarray, g: np.ndarray) -> tuple[float, int, float]:
    """K-group log-rank: U = O − E over event times, V_jk = d (n − d)/(n − 1) · n_j/n (δ_jk − n_k/n)."""
    labels = list(pd.unique(g))
    k = len(labels)
    o_minus_e = np.zeros(k)
    v = np.zeros((k, k))
    for time in np.unique(t[e == 1]):
        at = t >= time
        n = at.sum()
        d = ((t == time) & (e == 1)).sum()
        n_g = np.array([(at & (g == lab)).sum() for lab in labels], dtype=float)
        d_g = np.array([((t == time) & (e == 1) & (g == lab)).sum() for lab in labels], dtype=float)
        o_minus_e += d_g - d * n_g / n
        if n > 1:
            share = n_g / n
            v += d * (n - d) / (n - 1) * (np.diag(share) - np.outer(share, share))
    u = o_minus_e[:-1]
    stat = float(u @ np.linalg.solve(v[:-1, :-1], u))
    return stat, k - 1, float(stats.chi2.sf(stat, k - 1))


# ---------------------------------------------------------------------------- Kaplan-Meier
KM_T = [1, 2, 2, 3, 4, 5, 5, 6]
KM_E = [1, 1, 0, 1, 0, 1, 1, 0]


def test_km_hand_computed_product_limit_and_greenwood():
    res = survival(pd.DataFrame({"t": KM_T, "e": KM_E}), duration="t", event="e")
    c = res.curves.set_index("time")
    # product limit by hand: (n_j, d_j) at t = 1, 2, 3, 5 are (8,1), (7,1), (5,1), (3,2)
    s1 = 7 / 8
    s2 = s1 * 6 / 7
    s3 = s2 * 4 / 5
    s5 = s3 * 1 / 3
    np.testing.assert_allclose(c.loc[[0, 1, 2, 3, 4, 5, 6], "survival"], [1, s1, s2, s3, s3, s5, s5], rtol=1e-12)
    assert list(c["at_risk"]) == [8, 8, 7, 5, 4, 3, 1]
    # Greenwood: Var S = S^2 Σ d/(n(n-d))
    g3 = 1 / (8 * 7) + 1 / (7 * 6) + 1 / (5 * 4)
    g5 = g3 + 2 / (3 * 1)
    assert c.loc[3, "std_err"] == pytest.approx(s3 * math.sqrt(g3), rel=1e-12)
    assert c.loc[5, "std_err"] == pytest.approx(s5 * math.sqrt(g5), rel=1e-12)
    # log(-log) band: S^exp(±z sqrt(g)/log S)
    lo = s3 ** math.exp(-Z95 * math.sqrt(g3) / math.log(s3))
    hi = s3 ** math.exp(Z95 * math.sqrt(g3) / math.log(s3))
    assert c.loc[3, "ci_low"] == pytest.approx(lo, rel=1e-9)
    assert c.loc[3, "ci_high"] == pytest.approx(hi, rel=1e-9)
    # median: first time S <= 0.5 is t = 5
    assert res.medians.loc[0, "estimate"] == 5.0 and res.medians.loc[0, "median"] == 5.0
    assert bool(res.medians.loc[0, "reached"])
    assert res.logrank is None and res.n == 8 and res.n_dropped == 0


def test_km_by_group_matches_the_hand_product_limit(cox_data):
    """Curves, Greenwood errors, bands and medians of every group against ``product_limit``."""
    res = survival(cox_data, duration="duration", event="event", by="nps_group")
    assert list(res.medians["group"]) == ["promoter", "passive", "detractor"]
    for g in ["promoter", "passive", "detractor"]:
        m = (cox_data["nps_group"] == g).to_numpy()
        hand = product_limit(cox_data["duration"].to_numpy()[m], cox_data["event"].to_numpy()[m])
        c = res.curves[res.curves["group"] == g].reset_index(drop=True)
        np.testing.assert_array_equal(c["time"], hand["time"])
        np.testing.assert_array_equal(c["at_risk"], hand["at_risk"])
        np.testing.assert_array_equal(c["events"], hand["events"])
        np.testing.assert_allclose(c["survival"], hand["survival"], rtol=1e-12)
        np.testing.assert_allclose(c["std_err"], hand["std_err"], rtol=1e-10)
        band = hand["events"].cumsum() > 0  # before the first event the band is the point
        np.testing.assert_allclose(c.loc[band, "ci_low"], hand.loc[band, "ci_low"], rtol=1e-9)
        np.testing.assert_allclose(c.loc[band, "ci_high"], hand.loc[band, "ci_high"], rtol=1e-9)
        assert (c["n"] == m.sum()).all()
        med = res.medians.set_index("group").loc[g]
        assert med["estimate"] == pytest.approx(hand_median(hand), nan_ok=True)
        assert med["n"] == m.sum() and med["events"] == cox_data.loc[m, "event"].sum()


def test_logrank_matches_the_hand_mantel_cox_statistic(cox_data):
    res = survival(cox_data, duration="duration", event="event", by="nps_group")
    t, e = cox_data["duration"].to_numpy(), cox_data["event"].to_numpy()
    stat, df, p = mantel_cox(t, e, cox_data["nps_group"].astype(str).to_numpy())
    assert res.logrank.statistic == pytest.approx(stat, rel=1e-9)
    assert res.logrank.df == df == 2
    assert res.logrank.p_value == pytest.approx(p, rel=1e-8)
    # two groups: the same formula with one degree of freedom
    two = cox_data[cox_data["nps_group"] != "passive"].assign(g=lambda f: f["nps_group"].astype(str))
    res2 = survival(two, duration="duration", event="event", by="g")
    stat2, df2, p2 = mantel_cox(two["duration"].to_numpy(), two["event"].to_numpy(), two["g"].to_numpy())
    assert (res2.logrank.statistic, res2.logrank.df) == (pytest.approx(stat2, rel=1e-9), df2)
    assert res2.logrank.p_value == pytest.approx(p2, rel=1e-8)


def test_median_not_reached_is_missing_never_infinite():
    # group b: nobody churns, the curve stays at 1; group a: S = 2/3, 1/3, 0
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "g": list("aaabbb")})
    med = survival(d, duration="t", event="e", by="g", min_base=1).medians.set_index("group")
    assert med.loc["a", "estimate"] == 2.0 and bool(med.loc["a", "reached"])
    assert np.isnan(med.loc["b", "estimate"]) and np.isnan(med.loc["b", "median"])
    assert not bool(med.loc["b", "reached"])
    assert np.isnan(med.loc["b", "ci_low"]) and np.isnan(med.loc["b", "ci_high"])
    numbers = med[["estimate", "median", "ci_low", "ci_high"]].to_numpy(dtype=float)
    assert not np.isinf(numbers).any()


def test_medians_carry_the_base_rule(cox_data):
    res = survival(cox_data, duration="duration", event="event", by="nps_group", min_base=100)
    med = res.medians
    assert list(med.columns[:5]) == ["group", "median", "estimate", "ci_low", "ci_high"]
    assert (med["small_base"] == (med["n"] < 100)).all() and (med["min_base"] == 100).all()
    assert res.min_base == 100


def test_survival_drops_and_counts_missing():
    d = pd.DataFrame({"t": [1, 2, np.nan, 4], "e": [1, 0, 1, 1], "g": ["a", None, "a", "b"]})
    res = survival(d, duration="t", event="e", by="g")
    assert res.n == 2 and res.n_dropped == 2


def test_survival_bad_input():
    with pytest.raises(CXDataError, match=r"'t' has 1 negative duration"):
        survival(pd.DataFrame({"t": [1, -2], "e": [1, 1]}), duration="t", event="e")
    with pytest.raises(CXDataError, match=r"'e' has 1 value\(s\) other than 0/1"):
        survival(pd.DataFrame({"t": [1, 2], "e": [1, 2]}), duration="t", event="e")
    with pytest.raises(CXDataError, match="not a column"):
        survival(pd.DataFrame({"t": [1, 2], "e": [1, 1]}), duration="t", event="churned")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 1)), min_size=3, max_size=40))
def test_km_properties(rows):
    d = pd.DataFrame(rows, columns=["t", "e"])
    c = survival(d, duration="t", event="e").curves
    s = c["survival"].to_numpy()
    assert (np.diff(s) <= 1e-12).all() and (s >= 0).all() and (s <= 1).all()
    ok = c["ci_low"].notna()
    assert ((c.loc[ok, "ci_low"] <= s[ok] + 1e-12) & (s[ok] <= c.loc[ok, "ci_high"] + 1e-12)).all()
    np.testing.assert_array_equal(c["estimate"], c["survival"])


def test_survival_unit_weights_equal_unweighted(cox_data):
    d = cox_data.assign(w=1.0)
    a = survival(d, duration="duration", event="event", by="nps_group", weights="w")
    b = survival(d, duration="duration", event="event", by="nps_group")
    np.testing.assert_allclose(a.curves["survival"], b.curves["survival"], rtol=1e-12)
    assert a.logrank.p_value == pytest.approx(b.logrank.p_value, rel=1e-8)


# ---------------------------------------------------------------------------- survival_at
def test_survival_at_reads_the_step_function():
    res = survival(pd.DataFrame({"t": KM_T, "e": KM_E}), duration="t", event="e", min_base=10)
    at = survival_at(res, 3.5)
    # S is right-continuous: at 3.5 the value of t = 3; still followed after 3.5: 4 subjects
    assert at.loc[0, "estimate"] == pytest.approx(7 / 8 * 6 / 7 * 4 / 5)
    assert at.loc[0, "at_risk"] == 4 and at.loc[0, "n"] == 8 and bool(at.loc[0, "observed"])
    assert bool(at.loc[0, "small_base"]) and at.loc[0, "min_base"] == 10
    c = res.curves.set_index("time")
    assert (at.loc[0, "ci_low"], at.loc[0, "ci_high"]) == (c.loc[3, "ci_low"], c.loc[3, "ci_high"])
    pct = survival_at(res, 3.5, scale="percent")
    np.testing.assert_allclose(pct[["estimate", "ci_low", "ci_high"]], 100 * at[["estimate", "ci_low", "ci_high"]])
    beyond = survival_at(res, 7.0)
    assert not bool(beyond.loc[0, "observed"]) and np.isnan(beyond.loc[0, "estimate"])
    with pytest.raises(CXDataError, match="SurvivalResult"):
        survival_at(res.curves, 3.0)
    assert isinstance(res, SurvivalResult)


# ---------------------------------------------------------------------------- time spans (issue 11, item 10)
def test_timedelta_durations_are_converted_with_a_stated_unit(cox_data):
    months = cox_data["duration"]
    spans = pd.to_timedelta(months * 30, unit="D")  # 30-day "months": whole days
    ref = survival(cox_data.assign(days=months * 30), duration="days", event="event")
    res = survival(cox_data.assign(days=spans), duration="days", event="event")  # default unit: days
    np.testing.assert_allclose(res.curves["time"], ref.curves["time"], rtol=1e-12)  # not nanoseconds
    np.testing.assert_allclose(res.curves["survival"], ref.curves["survival"], rtol=1e-12)
    assert res.medians["estimate"].iloc[0] == pytest.approx(ref.medians["estimate"].iloc[0])
    assert "time spans in 'days' converted to days" in res.method and "converted" not in ref.method
    weeks = survival(cox_data.assign(days=spans), duration="days", event="event", unit="weeks")
    np.testing.assert_allclose(weeks.curves["time"], ref.curves["time"] / 7, rtol=1e-12)
    assert weeks.method.endswith("converted to weeks")
    with pytest.raises(CXDataError, match=r"`unit`='fortnights' is not valid"):
        survival(cox_data.assign(days=spans), duration="days", event="event", unit="fortnights")


def test_dates_as_durations_are_refused(cox_data):
    dates = pd.Timestamp("2026-01-01") + pd.to_timedelta(cox_data["duration"], unit="D")
    with pytest.raises(CXDataError, match=r"column 'end' holds dates .*not durations"):
        survival(cox_data.assign(end=dates), duration="end", event="event")
