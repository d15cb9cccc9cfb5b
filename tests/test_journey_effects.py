"""Tests of cxlib.journeys.effects: the within-customer estimator against statsmodels'
dummy-variable regression, hand-built episodes / panels / peak-end cases, the driver core
reused as is, and the planted truth of the generator (episodes, recovery, follow-up,
peak-end) recovered on a seed no other test uses (11)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.errors import CXDataError
from cxlib.journeys import effects as E


# ----------------------------------------------------------------------------- within estimator
def _panel(seed: int = 2, n_customers: int = 120) -> pd.DataFrame:
    """An unbalanced panel: customer levels, period effects, two regressors, clustered noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_customers):
        t = np.sort(rng.choice(6, size=rng.integers(1, 6), replace=False))
        a = rng.normal(0, 1)
        x1 = rng.random(t.size) < 0.3
        x2 = rng.normal(a, 1, t.size)  # correlated with the customer level: pooled OLS would be biased
        y = 3 + a + 0.2 * t - 0.7 * x1 + 0.4 * x2 + rng.normal(0, 0.5 + 0.5 * (i % 2), t.size)
        rows.append(pd.DataFrame({"customer_id": i, "quarter": t, "y": y, "x1": x1.astype(float), "x2": x2}))
    return pd.concat(rows, ignore_index=True)


def test_within_equals_dummy_variable_regression():
    import statsmodels.formula.api as smf

    d = _panel()
    res = cx.within_effects(d, outcome="y", regressors=["x1", "x2"], period="quarter")
    # the same rows (customers with 2+ rows), customer and period dummies (LSDV)
    multi = d[d.groupby("customer_id")["y"].transform("size") > 1]
    assert res.n == len(multi) and res.n_customers == multi["customer_id"].nunique()
    assert res.n_singletons == d["customer_id"].nunique() - res.n_customers
    fit = smf.ols("y ~ x1 + x2 + C(quarter) + C(customer_id)", data=multi).fit(
        cov_type="cluster", cov_kwds={"groups": multi["customer_id"].to_numpy()})
    est = res.table.set_index("term")["estimate"]
    np.testing.assert_allclose(est[["x1", "x2"]].to_numpy(), fit.params[["x1", "x2"]].to_numpy(), rtol=0, atol=1e-8)
    # period effects too
    sm_per = [fit.params[f"C(quarter)[T.{q}]"] for q in range(1, 6)]
    np.testing.assert_allclose(res.period_effects.to_numpy(), sm_per, atol=1e-8)
    # CR1 standard errors: statsmodels counts every dummy in K; ours only the non-absorbed
    # terms (Stata xtreg fe convention): convert its small-sample factor (N-1)/(N-K)
    n, k_sm, k_fe = len(multi), int(fit.df_model) + 1, 2 + 5
    factor = np.sqrt((n - k_sm) / (n - k_fe))
    se = res.table.set_index("term")["std_err"]
    np.testing.assert_allclose(se[["x1", "x2"]].to_numpy(), fit.bse[["x1", "x2"]].to_numpy() * factor, atol=1e-8)
    # and from first principles: the within transformation removed the customer level
    assert abs(est["x2"] - 0.4) < 0.15 and abs(est["x1"] + 0.7) < 0.3


def test_pooled_equals_statsmodels_ols_with_clusters():
    import statsmodels.formula.api as smf

    d = _panel(seed=3)
    res = cx.within_effects(d, outcome="y", regressors=["x1"], period="quarter", fixed_effects=False)
    fit = smf.ols("y ~ x1 + C(quarter)", data=d).fit(cov_type="cluster", cov_kwds={"groups": d["customer_id"]})
    row = res.table.set_index("term").loc["x1"]
    assert abs(row["estimate"] - fit.params["x1"]) < 1e-8
    assert abs(row["std_err"] - fit.bse["x1"]) < 1e-8
    assert res.n == len(d)


def test_within_hand_built_and_errors():
    df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3], "y": [5.0, 4.0, 2.0, 1.0, 9.0], "x": [0, 1, 0, 1, 1]})
    res = cx.within_effects(df, outcome="y", regressors="x", period=None)
    assert res.table["estimate"].iloc[0] == pytest.approx(-1.0, abs=1e-12)
    assert res.n_singletons == 1 and res.n == 4
    with pytest.raises(CXDataError, match="do not vary within"):
        cx.within_effects(df.assign(x=[1, 1, 0, 0, 1]), outcome="y", regressors="x", period=None)
    with pytest.raises(CXDataError, match="`y` must be numeric"):
        cx.within_effects(df.assign(y=["a", "b", "c", "d", "e"]), outcome="y", regressors="x", period=None)
    with pytest.raises(CXDataError, match="not a column"):
        cx.within_effects(df, outcome="nope", regressors="x", period=None)


# ----------------------------------------------------------------------------- episodes and panels
def test_negative_episodes_and_followup_window():
    ev = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3],
        "timestamp": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-10",  # 1: outage, 2nd outage, help 36 d later
                                     "2026-04-02", "2026-04-09",  # 2: billing error, help 7 d later
                                     "2026-05-01", "2026-04-20"]),  # 3: help BEFORE the episode does not count
        "valence": [-1, -1, 1, -1, 1, -1, 1],
        "touchpoint": ["service_outage", "service_outage", "proactive_help", "billing_error", "proactive_help",
                       "failed_support_contact", "proactive_help"],
    })
    got = cx.negative_episodes(ev, followup_days=30)
    assert got[["customer_id", "quarter", "followed_up"]].values.tolist() == [
        [1, "2026Q1", False], [2, "2026Q2", True], [3, "2026Q2", False]]
    assert got["episode_time"].iloc[0] == pd.Timestamp("2026-01-05")  # the first episode of the quarter
    assert cx.negative_episodes(ev, followup_days=40)["followed_up"].tolist() == [True, True, False]


def test_churn_panel_hand_built():
    c = pd.DataFrame({"customer_id": [1, 2, 3],
                      "signup_date": pd.to_datetime(["2025-01-01", "2026-02-01", "2026-07-01"]),
                      "churn_date": pd.to_datetime(["2026-02-15", None, None])})
    got = cx.churn_panel(c, quarters=["2025Q4", "2026Q1", "2026Q2"])
    assert got.values.tolist() == [[1, "2025Q4", 0], [1, "2026Q1", 1], [2, "2026Q1", 0], [2, "2026Q2", 0]]


def test_episode_lags_built_from_all_quarters_not_only_observed_ones():
    out = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "quarter": ["2025Q4", "2026Q1", "2026Q3", "2025Q4", "2026Q1"],
                        "osat": [5.0, 4.0, 4.0, 3.0, 3.0]})
    ep = pd.DataFrame({"customer_id": [1, 1], "quarter": ["2025Q4", "2026Q2"], "followed_up": [False, True]})
    panel, terms = E._lag_columns(out, ep, customer="customer_id", period="quarter", followup="followed_up", lags=2)
    # customer 1: episode 2025Q4 (lag 0 then, lag 1 in 2026Q1); episode 2026Q2 unobserved, lag 1 in 2026Q3
    assert panel["episode_lag0"].tolist() == [1, 0, 0, 0, 0]
    assert panel["episode_lag1"].tolist() == [0, 1, 1, 0, 0]
    assert panel["followup_lag1"].tolist() == [0, 0, 1, 0, 0]
    assert terms == ["episode_lag0", "followup_lag0", "episode_lag1", "followup_lag1", "episode_lag2",
                     "followup_lag2"]
    with pytest.raises(CXDataError, match="quarters 'YYYYQn'"):
        E._period_index(pd.Series(["2026-Q1"]), "quarter")
    with pytest.raises(CXDataError, match="lags"):
        cx.episode_effects(out, ep, outcome="osat", lags=-1)


def test_episode_effects_equal_the_dummy_regression_of_their_lags():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(5)
    n, T = 150, 6
    cust, q = np.repeat(np.arange(n), T), np.tile(np.arange(T), n)
    ep = rng.random(n * T) < 0.15
    fu = ep & (rng.random(n * T) < 0.4)
    episodes = pd.DataFrame({"customer_id": cust[ep], "quarter": q[ep], "followed_up": fu[ep]})
    keep = rng.random(n * T) < 0.7  # outcomes observed in some quarters only
    y = rng.normal(0, 1, n)[cust] + rng.normal(0, 1, n * T)
    outcomes = pd.DataFrame({"customer_id": cust, "quarter": q, "y": y})[keep]
    res = cx.episode_effects(outcomes, episodes, outcome="y", lags=2)
    panel, terms = E._lag_columns(outcomes, episodes, customer="customer_id", period="quarter",
                                  followup="followed_up", lags=2)
    multi = panel[panel.groupby("customer_id")["y"].transform("size") > 1]
    fit = smf.ols("y ~ " + " + ".join(terms) + " + C(quarter) + C(customer_id)", data=multi).fit()
    curve = res.curve.set_index(["lag", "group"])["estimate"]
    for lag in range(3):
        b, g = fit.params[f"episode_lag{lag}"], fit.params[f"followup_lag{lag}"]
        assert abs(curve[(lag, "without_followup")] - b) < 1e-8
        assert abs(curve[(lag, "with_followup")] - (b + g)) < 1e-8
    gain = fit.params[["followup_lag1", "followup_lag2"]].sum()
    assert abs(res.followup_gain.estimate - gain) < 1e-8
    # nothing planted here: every interval is a plain t interval around its estimate
    assert (res.curve["ci_low"] < res.curve["estimate"]).all() and (res.curve["estimate"] < res.curve["ci_high"]).all()


# ----------------------------------------------------------------------------- peak-end
def _peak_case():
    sv = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5], "osat": [1, 5, 2, 4, 3],
                       "response_date": pd.to_datetime(["2026-03-01"] * 4 + ["2026-01-15"])})
    tp = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5],
        "csat": [5, 1, 4, 4, 5, 1, 5, 5, 4, 2, 5, 1],
        "date": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-03-02",  # the last one is after the response
                                "2026-01-10", "2026-02-01", "2026-01-10", "2026-02-01", "2026-01-10", "2026-02-01",
                                "2025-12-20", "2026-01-02", "2026-01-10"]),  # 5: one touchpoint in an earlier quarter
    })
    return sv, tp


def test_peak_end_summaries_hand_built():
    sv, tp = _peak_case()
    res = cx.peak_end(sv, tp, n_boot=0, min_touchpoints=1)
    got = res.data.set_index("customer_id")[["mean", "worst", "last", "n_touchpoints"]]
    assert got.loc[1].tolist() == [3.0, 1.0, 1.0, 2]  # 5 then 1; the 4 after the response is left out
    assert got.loc[5].tolist() == [3.0, 1.0, 1.0, 2]  # 5 then 1 in 2026Q1; 2025-12-20 is another quarter
    assert got.loc[3].tolist() == [3.0, 1.0, 5.0, 2]
    y = sv.set_index("customer_id").loc[got.index, "osat"].to_numpy(float)
    pe = (got["worst"] + got["last"]) / 2
    expect = {k: np.corrcoef(y, v)[0, 1] ** 2 for k, v in
              {"mean": got["mean"], "worst": got["worst"], "last": got["last"], "peak_end": pe}.items()}
    table = res.table.set_index("summary")["r_squared"]
    for k, v in expect.items():
        assert abs(table[k] - v) < 1e-12, k
    assert abs(res.differences.set_index("summary").loc["worst", "estimate"] - (expect["worst"] - expect["mean"])) < 1e-12
    with pytest.raises(CXDataError, match="at least 3 responses"):
        cx.peak_end(sv.iloc[:2], tp, n_boot=0)


def test_peak_end_bootstrap_finds_a_planted_memory_and_not_a_mean_one():
    rng = np.random.default_rng(8)
    n, k = 600, 3
    base = rng.normal(0, 1, n)
    scores = base[:, None] * 0.3 + rng.normal(0, 1, (n, k))
    days = pd.to_datetime("2026-01-05") + pd.to_timedelta(np.arange(k) * 10, unit="D")
    tp = pd.DataFrame({"customer_id": np.repeat(np.arange(n), k), "csat": scores.ravel(), "date": np.tile(days, n)})
    when = pd.to_datetime(["2026-03-01"] * n)
    peak = base + scores.min(1) + scores[:, -1] + rng.normal(0, 0.5, n)
    flat = base + 2 * scores.mean(1) + rng.normal(0, 0.5, n)
    for outcome, better in ((peak, True), (flat, False)):
        sv = pd.DataFrame({"customer_id": np.arange(n), "osat": outcome, "response_date": when})
        d = cx.peak_end(sv, tp, n_boot=300, seed=1).differences.set_index("summary").loc["peak_end"]
        assert (d["ci_low"] > 0) if better else (d["ci_high"] < 0)


# ----------------------------------------------------------------------------- touchpoints -> relationship
def test_touchpoint_drivers_is_the_driver_core_on_next_wave_matches():
    d = cx.synthesize(12, n_customers=1500, quarters=3)
    sv = cx.drop_duplicate_responses(d.survey)[0]
    res = cx.touchpoint_drivers(sv, d.touchpoints, outcome="osat", n_boot=0, min_base=15)
    # the same frame built by hand: touchpoint means per customer-quarter, shifted one wave
    tp = d.touchpoints.assign(q=cx.quarter_of(d.touchpoints["date"]))
    wide = tp.pivot_table(index=["customer_id", "q"], columns="touchpoint", values="csat", aggfunc="mean")
    qs = cx.quarter_range("2026Q3", 3)
    wide = wide.reset_index()
    wide["quarter"] = wide["q"].map(dict(itertools.pairwise(qs)))
    m = sv[["customer_id", "quarter", "osat"]].merge(wide.drop(columns="q"), on=["customer_id", "quarter"])
    tps = [c for c in wide.columns if c not in ("customer_id", "q", "quarter") and m[c].notna().sum() >= 15]
    m[tps] = m[tps].fillna(m[tps].mean())
    ref = cx.key_drivers(m, outcome="osat", drivers=tps, n_boot=0)
    pd.testing.assert_frame_equal(res.table, ref.table)
    assert sorted(res.table["driver"]) == sorted(tps)


# ----------------------------------------------------------------------------- planted truth (seed 11)
@pytest.fixture(scope="module")
def planted():
    d = cx.synthesize(11, n_customers=16_000, quarters=12)
    return d, cx.drop_duplicate_responses(d.survey)[0], cx.negative_episodes(d.journeys)


@pytest.mark.parametrize("outcome", ["osat", "ltr"])
def test_recovery_curve_recovers_the_planted_effects(planted, outcome):
    d, sv, ep = planted
    truth = d.truth.episode_recovery["observed"]
    res = cx.episode_effects(sv, ep, outcome=outcome, lags=3, confidence_level=0.99)  # 8 intervals per outcome
    for _, r in res.curve.iterrows():
        t = truth[r["group"]][str(int(r["lag"]))][outcome]
        assert r["ci_low"] <= t <= r["ci_high"], (r["lag"], r["group"], t, r["estimate"])
    # the damage is real and lasting without a follow-up
    curve = res.curve.set_index(["lag", "group"])
    assert curve.loc[(0, "without_followup"), "ci_high"] < 0 and curve.loc[(1, "without_followup"), "ci_high"] < 0
    # the follow-up gain: its planted value lies in the interval
    gain_truth = sum(truth["with_followup"][str(lag)][outcome] - truth["without_followup"][str(lag)][outcome]
                     for lag in (1, 2, 3))
    g = res.followup_gain
    assert g.ci_low <= gain_truth <= g.ci_high and gain_truth > 0
    assert d.truth.episode_recovery["quarters_until_recovered"] == {"without_followup": 3, "with_followup": 2}


def test_followup_shortens_the_recovery_of_ltr(planted):
    _d, sv, ep = planted
    res = cx.episode_effects(sv, ep, outcome="ltr", lags=3)
    assert res.followup_gain.ci_low > 0
    rec = res.recovered_after
    assert rec["with_followup"] < rec["without_followup"]


def test_churn_effect_recovered_by_the_pooled_model(planted):
    d, _, ep = planted
    panel = cx.churn_panel(d.customers, quarters=d.truth.quarters)
    res = cx.episode_effects(panel, ep, outcome="churned", followup=None, fixed_effects=False, lags=3)
    truth = d.truth.episode_recovery["observed"]["all"]
    first = res.curve.iloc[0]
    assert first["ci_low"] <= truth["0"]["churn_probability"] <= first["ci_high"] and first["ci_low"] > 0
    # later quarters: the customers still there are survivors of a riskier quarter (a
    # selected group), and the small effects trade places between lags 1 and 2 (seen on
    # seeds 0, 11, 21, 22): within 3.5 standard errors each, and their sum within its interval
    for _, r in res.curve.iloc[1:].iterrows():
        t = truth[str(int(r["lag"]))]["churn_probability"]
        assert abs(r["estimate"] - t) < 3.5 * r["std_err"], (r["lag"], t, r["estimate"])
    est, se = E._combo(res.fit, ["episode_lag1", "episode_lag2"])
    later = truth["1"]["churn_probability"] + truth["2"]["churn_probability"]
    assert abs(est - later) < 1.96 * se


def test_peak_end_planted_memory_is_found(planted):
    d, sv, _ = planted
    pe = d.truth.peak_end
    assert pe["weight_worst"] > 0 and pe["weight_last"] > 0 and pe["weight_mean"] == 0
    res = cx.peak_end(sv, d.touchpoints, n_boot=300)
    diff = res.differences.set_index("summary")
    assert diff.loc["peak_end", "ci_low"] > 0
    assert res.n == pytest.approx(pe["responses_with_touchpoints"]["2+"], rel=0.05)  # duplicates removed


def test_recovery_chart_and_findings(planted):
    import matplotlib

    matplotlib.use("Agg")
    d, sv, ep = planted
    res = cx.episode_effects(sv, ep, outcome="osat")
    ax = cx.plot_recovery_curve(res)
    assert len(ax.get_lines()) >= 2 and ax.get_xlabel() == "quarters since the episode"
    text = cx.report.episode_findings(res)
    assert text[0].startswith("In the quarter of a negative episode, osat is")
    first = res.curve.iloc[0]
    assert f"{abs(first['estimate']):.2f}" in text[0]
    pe = cx.peak_end(sv, d.touchpoints, n_boot=50)
    figs = cx.report.journey_effect_key_figures(res, pe)
    assert figs["episode effect on osat, lag 0, without_followup"]["estimate"] == first["estimate"]
    assert figs["R² peak_end minus mean"]["estimate"] == pe.differences["estimate"].iloc[2]
    sentences = cx.report.peak_end_findings(pe)
    assert f"{pe.n:,} responses" in sentences[0] and len(sentences) == 4
    assert "predicts it better than the mean" in sentences[3]  # the peak-end score (planted)
    with pytest.raises(CXDataError, match="EpisodeEffects"):
        cx.plot_recovery_curve(res.curve)
