"""Tests for cxlib.metrics. Every expected number says where it comes from."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

import cxlib as cx
from cxlib.errors import CXDataError, SmallBaseWarning

Z95 = stats.norm.ppf(0.975)
HAND = [10, 9, 8, 7, 3]


@pytest.fixture(autouse=True)
def _quiet_small_bases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        yield


def random_survey(n=3000, seed=1, missing=0.05):
    rng = np.random.default_rng(seed)
    ltr = rng.integers(0, 11, n).astype(float)
    ltr[rng.random(n) < missing] = np.nan
    osat = rng.integers(1, 6, n).astype(float)
    osat[rng.random(n) < missing] = np.nan
    return pd.DataFrame({
        "ltr": ltr,
        "osat": osat,
        "ces": rng.integers(1, 8, n),
        "segment": pd.Categorical(rng.choice(list("abcdef"), n), categories=list("abcdefz")),
        "region": rng.choice(["north", "south", "east"], n),
        "quarter": rng.choice(["2026Q1", "2026Q2", "2026Q3"], n),
        "weight": rng.uniform(0.3, 3.0, n),
    })


def nps_codes(scores):
    """Brute force: promoters +1, passives 0, detractors -1."""
    s = np.asarray(scores, dtype=float)
    return np.where(s >= 9, 1.0, np.where(s <= 6, -1.0, 0.0))


# ----------------------------------------------------------------------------- NPS
def test_nps_hand_example():
    r = cx.nps(HAND)
    # Hand: promoters {10, 9} = 2/5 = 0.4, passives {8, 7} = 0.4, detractors {3} = 0.2.
    # NPS = 100 (0.4 - 0.2) = 20. Var = (0.4 + 0.2) - (0.4 - 0.2)^2 = 0.56;
    # SE = 100 sqrt(0.56 / 5) = 100 sqrt(0.112) = 33.46640106...
    assert r.estimate == pytest.approx(20.0, abs=1e-12)
    assert (r.promoters, r.passives, r.detractors) == pytest.approx((0.4, 0.4, 0.2))
    assert (r.n_promoters, r.n_passives, r.n_detractors, r.n, r.n_missing) == (2, 2, 1, 5, 0)
    assert r.std_err == pytest.approx(33.46640106136303, rel=1e-12)
    # CI = 20 ± 1.959964 * 33.466401 = 20 ± 65.592941
    assert r.ci_low == pytest.approx(20 - 65.59294077244458, rel=1e-9)
    assert r.ci_high == pytest.approx(20 + 65.59294077244458, rel=1e-9)
    assert "Wald" in r.method
    frame = r.to_frame()
    assert frame.shape[0] == 1 and frame.loc[0, "estimate"] == pytest.approx(20.0)


def test_nps_dataframe_and_series_inputs_agree():
    df = pd.DataFrame({"ltr": HAND, "other": 1})
    a = cx.nps(df)
    b = cx.nps(df["ltr"])
    c = cx.nps(np.array(HAND))
    assert a == b == c


def test_wald_variance_matches_brute_force():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 11, 997)
    r = cx.nps(scores)
    codes = nps_codes(scores)
    # Brute force: mean and population variance of the +1/0/-1 codes.
    assert r.estimate == pytest.approx(100 * codes.mean(), rel=1e-12)
    assert r.std_err == pytest.approx(100 * math.sqrt(codes.var(ddof=0) / len(codes)), rel=1e-12)
    assert r.ci_high - r.estimate == pytest.approx(Z95 * r.std_err, rel=1e-12)


def test_adjusted_wald_hand():
    r = cx.nps(HAND, method="adjusted_wald")
    # Hand: adjusted counts D = 1 + 0.75, Pa = 2 + 1.5, P = 2 + 0.75; n + 3 = 8.
    p_d, p_p = 1.75 / 8, 2.75 / 8
    adj = 100 * (p_p - p_d)  # 12.5
    se = 100 * math.sqrt(((p_p + p_d) - (p_p - p_d) ** 2) / 8)  # 100 sqrt(0.546875 / 8)
    assert adj == pytest.approx(12.5)
    assert r.estimate == pytest.approx(20.0)  # raw NPS stays the point estimate
    assert r.std_err == pytest.approx(se, rel=1e-12)
    assert r.ci_low == pytest.approx(adj - Z95 * se, rel=1e-12)
    assert r.ci_high == pytest.approx(adj + Z95 * se, rel=1e-12)
    assert "adjusted Wald" in r.method and "raw NPS" in r.method


def test_weighted_nps_vs_replicated_rows_and_kish():
    w = [1, 2, 3, 1, 1]
    r = cx.nps(pd.DataFrame({"ltr": HAND, "w": w}), weights="w")
    # Replicating each row w times gives [10, 9, 9, 8, 8, 8, 7, 3] -> NPS = 100 (3 - 1) / 8 = 25
    rep = cx.nps(np.repeat(HAND, w))
    assert r.estimate == pytest.approx(rep.estimate) == pytest.approx(25.0)
    # Kish by hand: (Σw)^2 / Σw^2 = 8^2 / (1 + 4 + 9 + 1 + 1) = 64 / 16 = 4
    assert r.n_eff == pytest.approx(4.0)
    assert r.n == 5
    # SE on n_eff: Var = (0.375 + 0.125) - 0.25^2 = 0.4375; SE = 100 sqrt(0.4375 / 4)
    assert r.std_err == pytest.approx(100 * math.sqrt(0.4375 / 4), rel=1e-12)
    assert "Kish" in r.method


def test_missing_scores_dropped_and_counted():
    s = pd.Series([10, None, 9, 8, 7, None, 3], dtype="Int64", name="ltr")
    r = cx.nps(s)
    assert (r.n, r.n_missing, r.estimate) == (5, 2, pytest.approx(20.0))
    r2 = cx.nps(pd.DataFrame({"ltr": [10, np.nan, 9, 8, 7, 3]}))
    assert (r2.n, r2.n_missing) == (5, 1)


def test_bootstrap_deterministic_and_close_to_wald():
    a = cx.nps(HAND * 4, method="bootstrap", seed=3)
    b = cx.nps(HAND * 4, method="bootstrap", seed=3)
    assert a == b
    rng = np.random.default_rng(11)
    big = rng.integers(0, 11, 20000)
    wald = cx.nps(big)
    boot = cx.nps(big, method="bootstrap", seed=5, n_boot=4000)
    assert boot.estimate == wald.estimate
    # For large n the bootstrap SE of a multinomial NPS converges to the Wald SE.
    assert boot.std_err == pytest.approx(wald.std_err, rel=0.05)
    assert boot.ci_low == pytest.approx(wald.ci_low, abs=0.25 * wald.std_err)
    assert boot.ci_high == pytest.approx(wald.ci_high, abs=0.25 * wald.std_err)


def test_interval_truncated_to_scale():
    r = cx.nps([10, 10, 10, 9, 8])
    assert -100 <= r.ci_low <= r.ci_high <= 100


# ---------------------------------------------------------------------- compare_nps
def test_compare_nps_signed_and_p_value_brute_force():
    a, b = [10, 9, 8, 7, 3] * 6, [10, 6, 6, 6, 8] * 6
    d = cx.compare_nps(a, b)
    ca, cb = nps_codes(a), nps_codes(b)
    delta = 100 * (ca.mean() - cb.mean())  # 20 - (-40) = 60
    se = 100 * math.sqrt(ca.var() / len(ca) + cb.var() / len(cb))
    z = delta / se
    assert d.estimate == pytest.approx(60.0) and d.estimate == pytest.approx(delta)
    assert d.std_err == pytest.approx(se, rel=1e-12)
    assert d.statistic == pytest.approx(z, rel=1e-12)
    assert d.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert d.ci_low == pytest.approx(delta - Z95 * se, rel=1e-12)
    # Signed: swapping the samples flips the difference and the interval.
    r = cx.compare_nps(b, a)
    assert r.estimate == pytest.approx(-60.0)
    assert r.ci_high == pytest.approx(-d.ci_low)
    assert r.p_value == pytest.approx(d.p_value)
    assert d.nps_a.estimate == pytest.approx(20.0) and d.nps_b.estimate == pytest.approx(-40.0)
    assert d.to_frame().loc[0, "estimate_b"] == pytest.approx(-40.0)


def test_compare_nps_weighted_uses_n_eff():
    da = pd.DataFrame({"ltr": HAND, "w": [1, 2, 3, 1, 1]})
    db = pd.DataFrame({"ltr": [9, 9, 2, 5, 10], "w": 1.0})
    d = cx.compare_nps(da, db, weights="w")
    ra, rb = cx.nps(da, weights="w"), cx.nps(db, weights="w")
    assert d.estimate == pytest.approx(ra.estimate - rb.estimate)
    assert d.std_err == pytest.approx(math.hypot(ra.std_err, rb.std_err), rel=1e-12)


# --------------------------------------------------------------- top box and means
@pytest.mark.parametrize("k,n", [(0, 10), (3, 5), (17, 40), (40, 40), (123, 500)])
def test_wilson_matches_statsmodels(k, n):
    scores = [5] * k + [2] * (n - k)
    r = cx.top_box(scores, score="osat", top=(4, 5), scale=(1, 5))
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert r.estimate == pytest.approx(k / n)
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-10, abs=1e-12)
    assert r.n_top == k


def test_weighted_wilson_uses_kish_n_eff():
    rng = np.random.default_rng(4)
    s = rng.integers(1, 6, 200)
    w = rng.uniform(0.5, 2.0, 200)
    r = cx.csat(pd.DataFrame({"osat": s, "w": w}), weights="w", confidence_level=0.9)
    top = s >= 4
    p = w[top].sum() / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    lo, hi = proportion_confint(p * n_eff, n_eff, alpha=0.10, method="wilson")
    assert r.estimate == pytest.approx(p, rel=1e-12)
    assert r.n_eff == pytest.approx(n_eff, rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-10)


def test_csat_and_ces_definitions():
    # Top-2 of 1-5 is {4, 5}; top-3 is {3, 4, 5}; CES "easy" 5-7 of 1-7.
    assert cx.csat([5, 4, 3, 2, 1]).estimate == pytest.approx(0.4)
    assert cx.csat([5, 4, 3, 2, 1], top=3).estimate == pytest.approx(0.6)
    assert cx.ces([7, 6, 5, 4, 3, 2, 1]).estimate == pytest.approx(3 / 7)
    assert cx.top_box([5, 4, 3, 2, 1], score="x", top=5, scale=(1, 5)).estimate == pytest.approx(0.2)


def test_mean_t_interval_matches_scipy_and_statsmodels():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, 57).astype(float)
    r = cx.mean_score(x, score="osat", scale=(1, 5), confidence_level=0.9)
    lo, hi = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert r.estimate == pytest.approx(x.mean(), rel=1e-12)
    assert r.std_err == pytest.approx(stats.sem(x), rel=1e-10)
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-10)
    assert r.std_dev == pytest.approx(x.std(ddof=1), rel=1e-10)


def test_weighted_mean_matches_descrstatsw_rescaled_to_n_eff():
    rng = np.random.default_rng(3)
    x = rng.normal(3, 1, 80)
    w = rng.uniform(0.2, 4, 80)
    r = cx.mean_score(pd.DataFrame({"x": x, "w": w}), score="x", weights="w")
    n_eff = w.sum() ** 2 / (w**2).sum()
    d = DescrStatsW(x, weights=w * n_eff / w.sum())  # frequency weights summing to n_eff
    lo, hi = d.tconfint_mean(alpha=0.05)
    assert r.estimate == pytest.approx(d.mean, rel=1e-12)
    assert r.std_err == pytest.approx(d.std_mean, rel=1e-10)
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-10)


# ------------------------------------------------------------------------ by_group
def naive_table(df, by, func, **kw):
    rows = []
    for key, g in df.groupby(by, observed=True, sort=True):
        rows.append(func(g, **kw).to_frame())
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("weights", [None, "weight"])
@pytest.mark.parametrize("by", ["segment", ["region", "quarter"], ["segment", "region", "quarter"]])
def test_by_group_nps_equals_naive_groupby(by, weights):
    df = random_survey()
    got = cx.by_group(df, cx.nps, by=by, weights=weights)
    want = naive_table(df, by, cx.nps, weights=weights)
    by_cols = [by] if isinstance(by, str) else by
    assert list(got.columns[: len(by_cols)]) == by_cols
    assert list(got.columns[len(by_cols):len(by_cols) + len(want.columns)]) == list(want.columns)
    for col in want.columns:
        if want[col].dtype == object:
            assert (got[col].to_numpy() == want[col].to_numpy()).all()
        else:
            np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=0, atol=1e-12)
    # The unobserved categorical level "z" is omitted (documented).
    assert "z" not in set(got[by_cols[0]].astype(str))


@pytest.mark.parametrize("metric,kw", [
    (cx.csat, {}), (cx.ces, {}), (cx.top_box, dict(score="osat", top=(5, 5), scale=(1, 5))),
    (cx.mean_score, dict(score="osat")),
])
def test_by_group_other_metrics_equal_naive(metric, kw):
    df = random_survey(seed=9)
    got = cx.by_group(df, metric, by=["region"], weights="weight", **kw)
    want = naive_table(df, ["region"], metric, weights="weight", **kw)
    for col in want.columns:
        if want[col].dtype != object:
            np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), atol=1e-12)


def test_by_group_metric_by_name_and_flags():
    df = random_survey(n=400, seed=5)
    t = cx.by_group(df, "nps", by="segment", min_base=70)
    assert (t["small_base"] == (t["n"] < 70)).all()
    assert (t["min_base"] == 70).all()
    tw = cx.by_group(df, "nps", by="segment", min_base=60, weights="weight")
    assert (tw["small_base"] == (tw["n_eff"] < 60)).all()  # weighted: flag on n_eff


def test_by_group_warns_small_bases():
    df = random_survey(n=100, seed=5)
    with pytest.warns(SmallBaseWarning):
        cx.by_group(df, cx.nps, by="segment", min_base=30)


def test_by_group_all_missing_group_kept_with_nan():
    df = pd.DataFrame({"ltr": [10, 9, np.nan, np.nan], "g": ["a", "a", "b", "b"]})
    t = cx.by_group(df, cx.nps, by="g", min_base=1)
    b = t[t["g"] == "b"].iloc[0]
    assert b["n"] == 0 and b["n_missing"] == 2 and np.isnan(b["estimate"]) and bool(b["small_base"])


def test_missing_group_keys_dropped_like_pandas():
    df = pd.DataFrame({"ltr": [10, 9, 3, 7], "g": ["a", None, "a", "b"]})
    t = cx.by_group(df, cx.nps, by="g", min_base=1)
    assert list(t["g"]) == ["a", "b"] and list(t["n"]) == [2, 1]


def test_compare_rest_matches_compare_nps_and_bh():
    df = random_survey(n=4000, seed=8)
    t = cx.by_group(df, cx.nps, by="region", compare="rest")
    for _, row in t.iterrows():
        inside = df["region"] == row["region"]
        d = cx.compare_nps(df[inside], df[~inside])  # group vs all OTHER rows
        assert row["diff"] == pytest.approx(d.estimate, abs=1e-10)
        assert row["p_value"] == pytest.approx(d.p_value, rel=1e-9)
        assert row["diff_ci_low"] == pytest.approx(d.ci_low, abs=1e-10)
    # BH oracle: statsmodels multipletests on the same p-values.
    assert np.allclose(t["p_adjusted"], multipletests(t["p_value"], method="fdr_bh")[1], rtol=1e-12)
    assert (t["significant"] == (t["p_adjusted"] < 0.05)).all()


def test_compare_previous_period():
    df = random_survey(n=6000, seed=12)
    t = cx.by_group(df, cx.nps, by="region", period="quarter", compare="previous")
    assert list(t.columns[:2]) == ["region", "quarter"]
    first = t[t["quarter"] == "2026Q1"]
    assert first["diff"].isna().all() and (first["compare_note"] == "first period").all()
    assert first["significant"].isna().all()
    row = t[(t["region"] == "south") & (t["quarter"] == "2026Q3")].iloc[0]
    cur = df[(df["region"] == "south") & (df["quarter"] == "2026Q3")]
    prev = df[(df["region"] == "south") & (df["quarter"] == "2026Q2")]
    d = cx.compare_nps(cur, prev)
    assert row["diff"] == pytest.approx(d.estimate, abs=1e-10)
    assert row["p_value"] == pytest.approx(d.p_value, rel=1e-9)
    tested = t["p_value"].notna()
    assert np.allclose(t.loc[tested, "p_adjusted"], multipletests(t.loc[tested, "p_value"], method="fdr_bh")[1])


def test_compare_proportions_unpooled_and_means_welch():
    df = random_survey(n=3000, seed=21)
    t = cx.by_group(df, cx.csat, by="region", compare="rest")
    row = t.iloc[0]
    inside = (df["region"] == row["region"]) & df["osat"].notna()
    outside = (df["region"] != row["region"]) & df["osat"].notna()
    p1, p2 = (df.loc[inside, "osat"] >= 4).mean(), (df.loc[outside, "osat"] >= 4).mean()
    n1, n2 = inside.sum(), outside.sum()
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)  # unpooled Wald, by hand
    assert row["diff"] == pytest.approx(p1 - p2, abs=1e-12)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs((p1 - p2) / se)), rel=1e-9)

    m = cx.by_group(df, cx.mean_score, by="region", compare="rest", score="osat")
    row = m.iloc[1]
    inside = (df["region"] == row["region"]) & df["osat"].notna()
    outside = (df["region"] != row["region"]) & df["osat"].notna()
    welch = stats.ttest_ind(df.loc[inside, "osat"], df.loc[outside, "osat"], equal_var=False)
    assert row["p_value"] == pytest.approx(welch.pvalue, rel=1e-8)
    ci = welch.confidence_interval(0.95)
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-8)


def test_small_bases_excluded_from_comparisons_and_suppressed():
    df = random_survey(n=600, seed=3)
    df = df[~((df["region"] == "east") & (df.index % 10 != 0))]  # east becomes thin
    t = cx.by_group(df, cx.nps, by="region", compare="rest", min_base=40)
    east = t[t["region"] == "east"].iloc[0]
    assert bool(east["small_base"]) and np.isnan(east["p_value"]) and pd.isna(east["significant"])
    assert east["compare_note"] == "small base"
    tested = t["p_value"].notna()
    assert np.allclose(t.loc[tested, "p_adjusted"], multipletests(t.loc[tested, "p_value"], method="fdr_bh")[1])
    before = t.copy()
    s = cx.suppress_small_bases(t)
    pd.testing.assert_frame_equal(t, before)  # input untouched
    srow = s[s["region"] == "east"].iloc[0]
    assert np.isnan(srow["estimate"]) and np.isnan(srow["ci_low"]) and srow["n"] == east["n"]
    assert (s.loc[~s["small_base"], "estimate"] == t.loc[~t["small_base"], "estimate"]).all()


def test_inputs_not_modified():
    df = random_survey(n=300)
    before = df.copy()
    cx.by_group(df, cx.nps, by="segment", compare="rest", weights="weight")
    cx.nps(df, weights="weight")
    pd.testing.assert_frame_equal(df, before)


# ---------------------------------------------------------------- property tests
scores_with_missing = st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=1, max_size=60).filter(
    lambda v: any(x is not None for x in v))


@settings(max_examples=150, deadline=None)
@given(scores=scores_with_missing, level=st.floats(0.5, 0.999))
def test_nps_properties(scores, level):
    s = pd.Series(scores, dtype="float")
    r = cx.nps(s, confidence_level=level)
    assert r.n == s.notna().sum() and r.n_missing == s.isna().sum()
    assert -100 <= r.estimate <= 100
    # no interval exactly when the data have no variance (one category only): never a
    # zero-width interval
    one_category = max(r.promoters, r.passives, r.detractors) == 1.0
    assert np.isnan(r.ci_low) == np.isnan(r.ci_high) == one_category
    if not one_category:
        assert r.ci_low - 1e-9 <= r.estimate <= r.ci_high + 1e-9 and r.ci_low < r.ci_high
        assert -100 <= r.ci_low and r.ci_high <= 100
    assert r.promoters + r.passives + r.detractors == pytest.approx(1.0)
    assert r.n_promoters + r.n_passives + r.n_detractors == r.n


@settings(max_examples=100, deadline=None)
@given(scores=st.lists(st.integers(1, 5), min_size=1, max_size=60),
       weights=st.lists(st.floats(0.1, 10), min_size=60, max_size=60))
def test_top_box_and_weighted_nps_properties(scores, weights):
    w = np.array(weights[: len(scores)])
    r = cx.csat(pd.DataFrame({"osat": scores, "w": w}), weights="w")
    assert 0 <= r.ci_low <= r.estimate + 1e-12 and r.estimate <= r.ci_high + 1e-12 <= 1 + 1e-12
    assert r.n == len(scores) and r.n_eff <= r.n + 1e-9
    rn = cx.nps(pd.DataFrame({"ltr": np.array(scores) * 2, "w": w}), weights="w")
    assert np.isnan(rn.ci_low) or rn.ci_low - 1e-9 <= rn.estimate <= rn.ci_high + 1e-9
    assert rn.promoters + rn.passives + rn.detractors == pytest.approx(1.0)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("values,fragment", [
    ([10, 11, 12, 5], "outside the scale"),
    ([10, 9.5, 5], "non-integer"),
    (["promoter", "10", 5], "non-numeric"),
    ([np.nan, np.nan], "all missing"),
    ([], "empty"),
])
def test_bad_scores_name_the_column(values, fragment):
    df = pd.DataFrame({"ltr": pd.Series(values, dtype=object if values and isinstance(values[0], str) else float)})
    with pytest.raises(CXDataError, match=fragment) as err:
        cx.nps(df)
    assert "'ltr'" in str(err.value)


def test_out_of_scale_message_counts_rows_and_shows_values():
    with pytest.raises(CXDataError, match=r"'ltr' has 2 value\(s\) outside the scale 0–10: \[11, 12\]"):
        cx.nps(pd.DataFrame({"ltr": [10, 11, 12, 5]}))


def test_bad_arguments():
    df = pd.DataFrame({"ltr": HAND, "w": [1, -1, 1, 1, -2], "g": list("aabbb")})
    with pytest.raises(CXDataError, match=r"'ltr_0_10' is not a column.*available: \['ltr', 'w', 'g'\]"):
        cx.nps(df, score="ltr_0_10")
    with pytest.raises(CXDataError, match=r"'w' has 2 negative"):
        cx.nps(df, weights="w")
    with pytest.raises(CXDataError, match="confidence_level"):
        cx.nps(df, confidence_level=95)
    with pytest.raises(CXDataError, match="method"):
        cx.nps(df, method="exact")
    with pytest.raises(CXDataError, match=r"valid: \['nps', 'csat'"):
        cx.by_group(df, "net_promoter", by="g")
    with pytest.raises(CXDataError, match=r"`by`='region' is not a column"):
        cx.by_group(df, cx.nps, by="region")
    with pytest.raises(CXDataError, match="empty"):
        cx.by_group(df.iloc[:0], cx.nps, by="g")
    with pytest.raises(CXDataError, match="period"):
        cx.by_group(df, cx.nps, by="g", compare="previous")
    with pytest.raises(CXDataError, match="'osat'"):
        cx.csat(pd.DataFrame({"osat": [1, 6, 2]}))
    with pytest.raises(CXDataError, match="'ces'"):
        cx.ces(pd.DataFrame({"ces": [1, 0, 2]}))
    with pytest.raises(CXDataError, match="suppress|small_base"):
        cx.suppress_small_bases(pd.DataFrame({"estimate": [1.0]}))


def test_result_dataclasses_are_frozen():
    r = cx.nps(HAND)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 0.0  # type: ignore[misc]


def test_by_group_adjusted_wald_equals_naive_and_bootstrap_seeded():
    df = random_survey(n=2000, seed=30)
    got = cx.by_group(df, cx.nps, by="region", method="adjusted_wald")
    want = naive_table(df, "region", cx.nps, method="adjusted_wald")
    np.testing.assert_allclose(got["ci_low"], want["ci_low"], atol=1e-12)
    a = cx.by_group(df, cx.nps, by="region", method="bootstrap", seed=4)
    b = cx.by_group(df, cx.nps, by="region", method="bootstrap", seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert (a["ci_low"] <= a["estimate"]).all() and (a["estimate"] <= a["ci_high"]).all()


def test_integer_dtype_fast_path_checks_range():
    ok = cx.nps(np.array(HAND, dtype=np.int8))
    assert ok.estimate == pytest.approx(20.0)
    with pytest.raises(CXDataError, match=r"'ltr' has 1 value\(s\) outside the scale 0–10: \[-1\]"):
        cx.nps(pd.DataFrame({"ltr": np.array([10, -1, 3], dtype=np.int16)}))


def test_object_factorize_shortcut_equals_pandas():
    """The pointer shortcut for text keys gives exactly pd.factorize(sort=True)'s codes,
    including equal strings held in distinct objects, None and NaN."""
    from cxlib.grouping import _factorize_objects

    rng = np.random.default_rng(3)
    pool = np.array(["b", "a", None, "c", np.nan, "".join(["a"]), "d" * 3], dtype=object)
    values = pd.Series(pool[rng.integers(0, len(pool), 250_000)])
    codes, levels = _factorize_objects(values)
    ref_codes, ref_levels = pd.factorize(values, sort=True, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, ref_codes)
    assert list(levels) == list(ref_levels)
    # mostly distinct objects take the plain path and agree too
    distinct = pd.Series([f"id{i}" for i in rng.integers(0, 200_000, 150_000)], dtype=object)
    c2, l2 = _factorize_objects(distinct)
    r2, rl2 = pd.factorize(distinct, sort=True)
    np.testing.assert_array_equal(c2, r2)
    assert list(l2) == list(rl2)


# ------------------------------------------------ edges that used to answer silently
def test_weights_series_is_matched_by_index_not_position():
    df = random_survey(n=400)
    expected = cx.nps(df, weights="weight")
    shuffled = df["weight"].sample(frac=1.0, random_state=3)
    assert cx.nps(df, weights=shuffled).estimate == pytest.approx(expected.estimate, rel=1e-12)
    assert cx.nps(df, weights=df["weight"].to_numpy()).estimate == pytest.approx(expected.estimate, rel=1e-12)
    with pytest.raises(CXDataError, match=r"index does not match the data's: 5 row label\(s\)"):
        cx.nps(df, weights=df["weight"].iloc[:-5])
    with pytest.raises(CXDataError, match="has 395 values but the data has 400 rows"):
        cx.nps(df, weights=df["weight"].to_numpy()[:-5])


@pytest.mark.parametrize("scores", [
    pd.Series([True, False, True]), pd.Series([True, False, None], dtype="boolean"),
    pd.Series([True, False, True], dtype=object),
])
def test_booleans_are_not_scores(scores):
    with pytest.raises(CXDataError, match="holds booleans"):
        cx.nps(scores)


def test_dates_are_not_scores_and_the_message_shows_no_epoch_numbers():
    with pytest.raises(CXDataError, match=r"holds dates or durations \(datetime64") as err:
        cx.mean_score(pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01"])), score=None)
    assert "1767225600" not in str(err.value)


def test_one_response_has_no_interval_and_a_warning():
    with pytest.warns(SmallBaseWarning, match="no interval"):
        r = cx.nps([9])
    assert r.estimate == 100.0 and np.isnan(r.ci_low) and np.isnan(r.ci_high) and r.small_base
    with pytest.warns(SmallBaseWarning):
        m = cx.mean_score([4, 4, 4], score=None, scale=(1, 5))
    assert m.estimate == 4.0 and np.isnan(m.ci_low)


def test_two_samples_without_variance_are_not_tested():
    with pytest.warns(SmallBaseWarning):
        d = cx.compare_nps([10], [0])
    assert d.estimate == 200.0 and np.isnan(d.statistic) and np.isnan(d.p_value) and np.isnan(d.ci_low)


def test_tiny_weights_keep_the_effective_base():
    x = np.array([10, 9, 8, 7, 3] * 20)
    r = cx.nps(x, weights=np.full(100, 1e-300))
    assert r.n_eff == pytest.approx(100.0) and r.ci_low == pytest.approx(cx.nps(x).ci_low)


def test_weights_only_on_unscored_rows_are_refused():
    df = pd.DataFrame({"ltr": [10, None, 3], "w": [0.0, 1.0, 0.0]})
    with pytest.raises(CXDataError, match="zero on all 2 row"):
        cx.nps(df, weights="w")


def test_small_base_is_flagged_on_the_effective_base():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 11, 40)
    w = np.r_[np.full(20, 1.0), np.full(20, 8.0)]  # n = 40 but Kish n_eff = 40 * 81/130 ≈ 24.9
    with pytest.warns(SmallBaseWarning, match="base of 24.92"):
        r = cx.nps(x, weights=w, min_base=30)
    assert r.n == 40 and r.small_base and r.n_eff == pytest.approx(40 * 81 / 130)


# ------------------------------------------------------------ declared missing codes
def coded_survey(n=2000, seed=4):
    """random_survey with 0 = "not applicable" in osat, 99 = "don't know" in ltr, and
    missing region keys (rows in no group)."""
    rng = np.random.default_rng(seed)
    df = random_survey(n=n, seed=seed)
    df.loc[rng.random(n) < 0.1, "osat"] = 0
    df.loc[rng.random(n) < 0.07, "ltr"] = 99
    df.loc[rng.random(n) < 0.03, "region"] = None
    return df


@pytest.mark.parametrize("weights", [None, "weight"])
def test_by_group_with_codes_and_missing_keys_counts_per_group(weights):
    df = coded_survey()
    ref = df.assign(osat=df["osat"].mask(df["osat"] == 0))
    got = cx.by_group(df, cx.mean_score, by="region", score="osat", scale=(1, 5), missing=[0], weights=weights)
    want = cx.by_group(ref, cx.mean_score, by="region", score="osat", scale=(1, 5), weights=weights)
    # pandas: the 0 codes per region (rows without a region are in no group)
    counts = (df["osat"] == 0).groupby(df["region"]).sum()
    assert got["region"].tolist() == counts.index.tolist()
    assert got["n_missing_codes"].tolist() == counts.tolist()
    assert (got["n_missing"] == ref["osat"].isna().groupby(ref["region"]).sum().to_numpy()).all()
    pd.testing.assert_frame_equal(got.drop(columns="n_missing_codes"), want.drop(columns="n_missing_codes"))


def test_nps_codes_in_one_sample_and_comparisons():
    df = coded_survey()
    ref = df.assign(ltr=df["ltr"].mask(df["ltr"] == 99))
    a, b = df[df["quarter"] == "2026Q1"], df[df["quarter"] == "2026Q2"]
    ra, rb = ref[ref["quarter"] == "2026Q1"], ref[ref["quarter"] == "2026Q2"]
    got, want = cx.compare_nps(a, b, missing=[99]), cx.compare_nps(ra, rb)
    assert (got.estimate, got.ci_low, got.ci_high, got.p_value) == (want.estimate, want.ci_low, want.ci_high,
                                                                    want.p_value)
    assert got.nps_a.n_missing_codes == int((a["ltr"] == 99).sum())
    r = cx.nps(df, missing=[99])
    assert r.n_missing == int(df["ltr"].isna().sum() + (df["ltr"] == 99).sum())
    assert r.to_frame().columns.tolist().index("n_missing_codes") == r.to_frame().columns.tolist().index(
        "n_missing") + 1


def test_metric_scale_as_a_dict_or_a_study_scale():
    df = coded_survey()
    ref = df.assign(osat=df["osat"].mask(df["osat"] == 0))

    @dataclasses.dataclass(frozen=True)
    class StudyScale:
        points: tuple
        missing: tuple = ()

    want = cx.csat(ref, score="osat", scale=(1, 5))
    for kw in (dict(scale={"osat": (1, 5)}, missing={"osat": [0]}), dict(scale=StudyScale((1, 5), (0,)))):
        got = cx.csat(df, score="osat", **kw)
        assert (got.estimate, got.ci_low, got.n, got.n_missing_codes) == (
            want.estimate, want.ci_low, want.n, int((df["osat"] == 0).sum()))
    with pytest.raises(CXDataError, match=r"'osat' has \d+ value\(s\) outside the scale points 1–5: \[0\]; "
                                          r"declared missing codes: \[9\]"):
        cx.top_box(df, score="osat", top=(4, 5), scale=(1, 5), missing=[9])
