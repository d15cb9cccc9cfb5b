"""Tests for cxlib.outcomes: survival, churn tables, churn drivers, CLV, revenue at risk.

Oracles: hand calculations written out below (product-limit, Greenwood, geometric CLV),
lifelines' own functions (KaplanMeierFitter, logrank_test), and statsmodels (PHReg for
the Cox model with Efron ties and delayed entry, Logit).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib.errors import CXDataError
from cxlib.outcomes import (
    ChurnTable,
    churn_drivers,
    churn_intervals,
    churn_table,
    plot_survival,
    revenue_at_risk,
    simple_clv,
    survival,
)
from cxlib.core.results import Estimate


# ----------------------------------------------------------------------------- fixtures
def _cox_data(n=400, seed=0, ties=True):
    """Exponential churn with planted log-hazard ratios; integer months give ties."""
    rng = np.random.default_rng(seed)
    grp = rng.choice(["promoter", "passive", "detractor"], n, p=[0.45, 0.35, 0.2])
    osat = rng.integers(1, 6, n).astype(float)
    neg = rng.integers(0, 2, n)
    lin = 0.3 * (grp == "passive") + 0.8 * (grp == "detractor") - 0.15 * (osat - 3) + 0.4 * neg
    t = rng.exponential(1 / (0.03 * np.exp(lin)))
    c = rng.uniform(6, 36, n)
    dur = np.minimum(t, c)
    if ties:
        dur = np.ceil(dur)
    d = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "duration": dur,
            "event": (t <= c).astype(int),
            "nps_group": pd.Categorical(grp, categories=["promoter", "passive", "detractor"]),
            "osat": osat,
            "recent_negative": neg,
            "monthly_revenue": rng.lognormal(3, 0.5, n),
        }
    )
    return d


@pytest.fixture(scope="module")
def cox_data():
    return _cox_data()


@pytest.fixture(scope="module")
def cox_fit(cox_data):
    return churn_drivers(cox_data, covariates=["nps_group", "osat", "recent_negative"], horizon=12)


# ----------------------------------------------------------------------------- Kaplan-Meier
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
    z = 1.959963984540054
    lo = s3 ** math.exp(-z * math.sqrt(g3) / math.log(s3))
    hi = s3 ** math.exp(z * math.sqrt(g3) / math.log(s3))
    assert c.loc[3, "ci_low"] == pytest.approx(lo, rel=1e-9)
    assert c.loc[3, "ci_high"] == pytest.approx(hi, rel=1e-9)
    # median: first time S <= 0.5 is t = 5
    assert res.medians.loc[0, "median"] == 5.0
    assert res.logrank is None and res.n == 8 and res.n_dropped == 0


def test_km_and_logrank_match_lifelines(cox_data):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    res = survival(cox_data, duration="duration", event="event", by="nps_group")
    assert list(res.medians["group"]) == ["promoter", "passive", "detractor"]
    for g in ["promoter", "detractor"]:
        m = cox_data["nps_group"] == g
        kmf = KaplanMeierFitter().fit(cox_data.loc[m, "duration"], cox_data.loc[m, "event"])
        c = res.curves[res.curves["group"] == g]
        np.testing.assert_allclose(c["survival"], kmf.survival_function_.iloc[:, 0], rtol=1e-12)
        np.testing.assert_allclose(c["ci_low"], kmf.confidence_interval_.iloc[:, 0], rtol=1e-12)
        assert res.fitters[g].median_survival_time_ == kmf.median_survival_time_
    lr = multivariate_logrank_test(cox_data["duration"], cox_data["nps_group"].astype(str), cox_data["event"])
    assert res.logrank.p_value == pytest.approx(lr.p_value, rel=1e-10)
    assert res.logrank.df == 2
    # two groups: the multivariate test equals the two-sample log-rank test
    two = cox_data[cox_data["nps_group"] != "passive"].copy()
    two["g"] = two["nps_group"].astype(str)
    res2 = survival(two, duration="duration", event="event", by="g")
    a, b = two[two.g == "promoter"], two[two.g == "detractor"]
    ref = logrank_test(a["duration"], b["duration"], a["event"], b["event"])
    assert res2.logrank.p_value == pytest.approx(ref.p_value, rel=1e-10)
    assert res2.logrank.statistic == pytest.approx(ref.test_statistic, rel=1e-10)


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


def test_plot_survival_returns_axes(cox_data):
    import matplotlib.pyplot as plt

    ax = plot_survival(survival(cox_data, duration="duration", event="event", by="nps_group"))
    assert isinstance(ax, plt.Axes)
    assert len(ax.get_lines()) == 3
    plt.close("all")


# ----------------------------------------------------------------------------- Cox & logit
def test_cox_matches_statsmodels_phreg_efron(cox_data, cox_fit):
    import statsmodels.api as sm

    X = cox_fit.design(cox_data)
    ref = sm.PHReg(cox_data["duration"], X, status=cox_data["event"], ties="efron").fit()
    hr = cox_fit.hazard_ratios
    assert list(hr["term"]) == ["nps_group[passive]", "nps_group[detractor]", "osat", "recent_negative"]
    np.testing.assert_allclose(hr["coef"], ref.params, atol=1e-5)
    np.testing.assert_allclose(hr["std_err"], ref.bse, atol=1e-5)
    np.testing.assert_allclose(hr["p_value"], ref.pvalues, atol=1e-5)
    ci = np.exp(ref.conf_int())
    np.testing.assert_allclose(hr["ci_low"], ci[:, 0], rtol=1e-4)
    assert cox_fit.n == len(cox_data) and cox_fit.n_events == int(cox_data["event"].sum())
    # the fitted lifelines object is one attribute away
    assert cox_fit.model.summary.shape[0] == 4


def test_cox_ph_test_and_logit(cox_data, cox_fit):
    import statsmodels.api as sm
    from lifelines.statistics import proportional_hazard_test

    ph = cox_fit.ph_test
    assert list(ph.columns) == ["term", "statistic", "p_value"]
    assert set(ph["term"]) == set(cox_fit.hazard_ratios["term"])
    assert ph["p_value"].between(0, 1).all()
    # planted proportional hazards: no term rejected at 0.001
    assert (ph["p_value"] > 0.001).all()
    ref = proportional_hazard_test(cox_fit.model, _fit_frame(cox_data, cox_fit), time_transform="rank")
    np.testing.assert_allclose(ph["p_value"], ref.summary["p"].to_numpy(), rtol=1e-10)
    # logistic: churn within 12 months; rows censored before 12 are excluded
    known = ~((cox_data["event"] == 0) & (cox_data["duration"] < 12))
    y = ((cox_data["event"] == 1) & (cox_data["duration"] <= 12)).astype(float)[known]
    X = sm.add_constant(cox_fit.design(cox_data)[known])
    ref_l = sm.Logit(y, X).fit(disp=0)
    orr = cox_fit.odds_ratios
    np.testing.assert_allclose(orr["coef"], ref_l.params.iloc[1:], rtol=1e-6)
    np.testing.assert_allclose(orr["odds_ratio"], np.exp(ref_l.params.iloc[1:]), rtol=1e-6)
    assert cox_fit.n_logit == int(known.sum())
    assert cox_fit.n_logit_censored_excluded == int((~known).sum())


def _fit_frame(d, fit):
    X = fit.design(d)
    X["__duration"] = d["duration"].to_numpy(dtype=float)
    X["__event"] = d["event"].to_numpy(dtype=float)
    return X


def test_cox_reference_levels_and_missing(cox_data):
    d = cox_data.copy()
    d.loc[:9, "osat"] = np.nan
    res = churn_drivers(d, covariates=["nps_group", "osat"], reference={"nps_group": "passive"}, horizon=None)
    assert res.n_dropped == 10 and res.n == len(d) - 10
    assert list(res.hazard_ratios["term"])[:2] == ["nps_group[promoter]", "nps_group[detractor]"]
    assert res.odds_ratios is None
    with pytest.raises(CXDataError, match="not a level"):
        churn_drivers(d, covariates=["nps_group"], reference={"nps_group": "fan"})


def test_cox_recovers_planted_effects():
    d = _cox_data(n=3000, seed=7, ties=False)
    res = churn_drivers(d, covariates=["nps_group", "osat", "recent_negative"], horizon=None)
    planted = {"nps_group[passive]": 0.3, "nps_group[detractor]": 0.8, "osat": -0.15, "recent_negative": 0.4}
    for _, row in res.hazard_ratios.iterrows():
        # 99.9 % intervals (4 terms, fixed seed)
        z = 3.29
        assert row["coef"] - z * row["std_err"] < planted[row["term"]] < row["coef"] + z * row["std_err"]


# ----------------------------------------------------------------------------- data-model tables
def _model_tables():
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "plan": ["basic", "pro", "basic", "pro"],
            "monthly_revenue": [20.0, 50.0, 20.0, 50.0],
            "signup_date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2026-06-01"]),
            "churn_date": pd.to_datetime(["2025-10-01", None, "2026-05-01", None]),
        }
    )
    survey = pd.DataFrame(
        {
            "response_id": [10, 11, 12, 13, 14],
            "customer_id": [1, 2, 2, 3, 3],
            "quarter": ["2025Q2", "2025Q2", "2025Q4", "2025Q3", "2026Q2"],
            "response_date": pd.to_datetime(["2025-04-01", "2025-04-15", "2025-11-01", "2025-08-01", "2026-04-10"]),
            "ltr": [3, 9, 7, 10, np.nan],
            "osat": [2, 5, 4, 5, 3],
            "ces": [3, 7, 5, 6, 4],
        }
    )
    journeys = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "timestamp": pd.to_datetime(["2025-03-15", "2024-12-01", "2025-11-02", "2025-07-01"]),
            "valence": [-1, -1, -1, 1],
        }
    )
    tickets = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "created_at": pd.to_datetime(["2025-02-15", "2025-03-20", "2025-10-01"]),
            "reopen_count": [1, 0, 2],
        }
    )
    return customers, survey, journeys, tickets


def test_churn_table_customer_level():
    customers, *_ = _model_tables()
    tab = churn_table(customers, as_of="2026-01-01", unit="days")
    assert isinstance(tab, ChurnTable) and tab.level == "customer"
    d = tab.data.set_index("customer_id")
    # hand: 2025-01-01 -> 2025-10-01 = 273 days, churned; 2025-02-01 -> as_of = 334 days;
    # customer 3 churns after as_of -> censored at 306 days; customer 4 signs up after as_of
    assert d.loc[1, "duration"] == 273 and d.loc[1, "event"] == 1
    assert d.loc[2, "duration"] == 334 and d.loc[2, "event"] == 0
    assert d.loc[3, "duration"] == 306 and d.loc[3, "event"] == 0
    assert 4 not in d.index
    assert tab.counts["customers_signed_up_after_as_of"] == 1
    assert tab.counts["churn_after_as_of_censored"] == 1
    assert {"plan", "monthly_revenue"} <= set(tab.data.columns)


def test_churn_table_response_level_with_covariates():
    customers, survey, journeys, tickets = _model_tables()
    tab = churn_table(customers, survey, as_of="2026-01-01", journeys=journeys, tickets=tickets, unit="days")
    d = tab.data.set_index("response_id")
    assert tab.counts["responses_after_as_of"] == 1 and 14 not in d.index
    # response 10: 2025-04-01 -> churn 2025-10-01 = 183 days; tenure 90 days
    assert d.loc[10, "duration"] == 183 and d.loc[10, "event"] == 1 and d.loc[10, "tenure"] == 90
    assert d.loc[12, "duration"] == 61 and d.loc[12, "event"] == 0  # 2025-11-01 -> as_of
    assert list(d["nps_group"].astype(str)) == ["detractor", "promoter", "passive", "promoter"]
    # negative episode within 90 days before: response 10 (2025-03-15) yes; 2024-12-01 is too old;
    # response 12's episode is the day after -> no; customer 3's episode is positive
    assert d["recent_negative"].to_dict() == {10: 1, 11: 0, 12: 0, 13: 0}
    # reopened tickets within 90 days: response 10 has the 2025-02-15 one (reopen 1), the
    # 2025-03-20 one was not reopened; response 12 has 2025-10-01 (reopened twice)
    assert d["reopened_tickets"].to_dict() == {10: 1, 11: 0, 12: 1, 13: 0}
    assert survey.shape == (5, 7)  # input untouched


def test_churn_table_bad_input_names_column_and_count():
    customers, survey, *_ = _model_tables()
    bad = customers.copy()
    bad.loc[[0, 2], "churn_date"] = pd.Timestamp("2024-06-01")
    with pytest.raises(CXDataError, match=r"'churn_date' is before 'signup_date' in 2 row"):
        churn_table(bad, as_of="2026-01-01")
    sv = pd.concat([survey, survey.assign(response_id=[20, 21, 22, 23, 24], customer_id=[99, 99, 98, 2, 2])])
    with pytest.raises(CXDataError, match=r"'customer_id' of `survey` has 3 response\(s\) from 2 customer"):
        churn_table(customers, sv, as_of="2026-01-01")
    sv = survey.copy()
    sv.loc[0, "response_date"] = pd.Timestamp("2025-12-01")  # after customer 1 churned
    with pytest.raises(CXDataError, match=r"'response_date' is after 'churn_date' in 1 response"):
        churn_table(customers, sv, as_of="2026-01-01")
    sv = survey.copy()
    sv.loc[0, "response_date"] = pd.Timestamp("2024-12-01")
    with pytest.raises(CXDataError, match=r"'response_date' is before 'signup_date' in 1 response"):
        churn_table(customers, sv, as_of="2026-01-01")
    dup = pd.concat([customers, customers.iloc[[0]]])
    with pytest.raises(CXDataError, match=r"'customer_id' of `customers` has 2 duplicated"):
        churn_table(dup, as_of="2026-01-01")
    with pytest.raises(CXDataError, match="survey="):
        churn_table(customers, as_of="2026-01-01", journeys=_model_tables()[2])


def test_churn_intervals_start_stop():
    customers, survey, *_ = _model_tables()
    tab = churn_intervals(customers, survey, as_of="2026-01-01", unit="days")
    d = tab.data.set_index("response_id")
    # customer 2: signup 2025-02-01; responses at tenure 73 and 273 days; as_of at 334
    assert (d.loc[11, "start"], d.loc[11, "stop"], d.loc[11, "event"]) == (73, 273, 0)
    assert (d.loc[12, "start"], d.loc[12, "stop"], d.loc[12, "event"]) == (273, 334, 0)
    # customer 1 churned at tenure 273 after one response at tenure 90
    assert (d.loc[10, "start"], d.loc[10, "stop"], d.loc[10, "event"]) == (90, 273, 1)
    assert tab.counts["same_day_responses_dropped"] == 0


def test_churn_intervals_split_at_negative_episodes_and_quarter_end():
    customers, survey, journeys, _ = _model_tables()
    # customer 1: response 2025-04-01 (tenure 90 d), episodes 2024-12-01 and 2025-03-15 (both
    # before the response; the 2025Q1 one's window ends 2025-04-01 = the response day)
    # customer 2: episode 2025-11-02 inside the interval 2025-11-01 -> as_of 2026-01-01
    tab = churn_intervals(customers, survey, as_of="2026-01-01", unit="days", journeys=journeys)
    d = tab.data
    c2 = d[d["customer_id"] == 2][["start", "stop", "event", "negative_episode"]].to_numpy().tolist()
    # signup 2025-02-01: 2025-11-01 is day 273, 2025-11-02 day 274, 2026-01-01 day 334
    assert c2 == [[73, 273, 0, 0], [273, 274, 0, 0], [274, 334, 0, 1]]
    c1 = d[d["customer_id"] == 1][["start", "stop", "event", "negative_episode"]].to_numpy().tolist()
    assert c1 == [[90, 273, 1, 0]]
    assert tab.counts["episode_splits"] == 1
    # a 30-day window ends the effect 2025-12-02 (day 304)
    d30 = churn_intervals(customers, survey, as_of="2026-01-01", unit="days", journeys=journeys, episode_window=30).data
    c2 = d30[d30["customer_id"] == 2][["start", "stop", "negative_episode"]].to_numpy().tolist()
    assert c2 == [[73, 273, 0], [273, 274, 0], [274, 304, 1], [304, 334, 0]]
    # until="quarter_end": customer 1 (response 2025-04-01) is followed to 2025-07-01 (day 181),
    # so the churn on 2025-10-01 falls outside every interval
    dq = churn_intervals(customers, survey, as_of="2026-01-01", unit="days", until="quarter_end").data
    assert dq.loc[dq["customer_id"] == 1, ["start", "stop", "event"]].to_numpy().tolist() == [[90, 181, 0]]
    with pytest.raises(CXDataError, match="until"):
        churn_intervals(customers, survey, as_of="2026-01-01", until="forever")
    with pytest.raises(CXDataError, match="episode_window"):
        churn_intervals(customers, survey, as_of="2026-01-01", journeys=journeys, episode_window=-3)


@pytest.fixture(scope="module")
def synthetic():
    # default size (20,000 customers, 12 waves), seed 0: about 2-3 s
    import cxlib as cx

    return cx.synthesize(0, n_customers=20_000)


def test_survey_cox_recovers_planted_observable_churn_truth(synthetic):
    """Issue 5: the planted churn hazards are recovered from the survey, within the 95 % CIs.

    Truth: ``truth.churn["observable"]``, computed by the generator from its whole
    population (reported NPS group through the country style, planted hazard integrated
    over exposure). Design: each response followed to the end of its quarter, split at
    negative episodes (time-varying ``negative_episode``, effect until the quarter's end as
    planted), controls plan and country.
    """
    import cxlib as cx

    d = synthetic
    survey, _ = cx.drop_duplicate_responses(d.survey)
    as_of = cx.quarter_bounds(d.truth.quarters[-1])[1]
    tab = churn_intervals(d.customers, survey.drop(columns=["country", "plan"]), as_of=as_of,
                          journeys=d.journeys, until="quarter_end")
    res = churn_drivers(tab, duration="stop", start="start",
                        covariates=["nps_group", "plan", "country", "negative_episode"],
                        reference={"plan": "standard", "country": "US"})
    hr = res.hazard_ratios.set_index("term")
    truth = d.truth.churn["observable"]["hazard_ratios"]
    for term in ("nps_group[detractor]", "nps_group[passive]", "negative_episode", "plan[basic]", "plan[premium]"):
        assert hr.loc[term, "ci_low"] < truth[term] < hr.loc[term, "ci_high"], (term, hr.loc[term], truth[term])
    # the structural values are on the same scale (style misclassification costs little within
    # the quarter); the episode's planted multiplier is the observable one
    assert abs(truth["negative_episode"] - d.truth.negative_episode["churn_hazard_ratio_after_episode"]) < 0.1
    assert 2.5 < truth["nps_group[detractor]"] <= 3.0


def test_time_varying_cox_matches_phreg_with_entry():
    # counting-process rows: the partial likelihood equals that of delayed-entry rows
    rng = np.random.default_rng(3)
    rows = []
    for i in range(600):
        x1 = rng.integers(0, 2)
        t0 = 0.0
        for wave in range(3):
            x = rng.integers(0, 2) if wave else x1
            z = rng.normal()
            length = 6.0
            t_ev = rng.exponential(1 / (0.04 * np.exp(0.7 * x + 0.2 * z)))
            if t_ev < length:
                rows.append((i, t0, t0 + t_ev, 1, x, z))
                break
            rows.append((i, t0, t0 + length, 0, x, z))
            t0 += length
    d = pd.DataFrame(rows, columns=["customer_id", "start", "stop", "event", "detractor", "z"])
    res = churn_drivers(d, duration="stop", start="start", event="event", covariates=["detractor", "z"])
    import statsmodels.api as sm

    ref = sm.PHReg(d["stop"], d[["detractor", "z"]], status=d["event"], entry=d["start"], ties="efron").fit()
    np.testing.assert_allclose(res.hazard_ratios["coef"], ref.params, atol=1e-5)
    np.testing.assert_allclose(res.hazard_ratios["std_err"], ref.bse, atol=1e-5)
    assert res.ph_test.empty and res.odds_ratios is None
    assert "CoxTimeVaryingFitter" in type(res.model).__name__


# ----------------------------------------------------------------------------- simple CLV
def test_simple_clv_hand_computations():
    out = simple_clv(margin=30.0, monthly_churn=0.02, churn_ci=(0.015, 0.025))
    # m / c = 30 / 0.02; interval from the churn interval's ends
    assert out.loc[0, "clv"] == pytest.approx(1500.0)
    assert out.loc[0, "ci_low"] == pytest.approx(30 / 0.025)
    assert out.loc[0, "ci_high"] == pytest.approx(30 / 0.015)
    assert out.loc[0, "expected_lifetime"] == pytest.approx(50.0)
    # discounting: m (1 + d) / (c + d)
    disc = simple_clv(margin=30.0, retention=0.98, discount_rate=0.01)
    assert disc.loc[0, "clv"] == pytest.approx(30 * 1.01 / 0.03)
    # horizon: brute-force sum of m r^t / (1+d)^t over 24 periods
    cap = simple_clv(margin=30.0, monthly_churn=0.02, discount_rate=0.01, horizon=24)
    brute = sum(30 * 0.98**t / 1.01**t for t in range(24))
    assert cap.loc[0, "clv"] == pytest.approx(brute, rel=1e-12)
    assert cap.loc[0, "expected_lifetime"] == pytest.approx(sum(0.98**t for t in range(24)))


def test_simple_clv_from_estimate_and_columns():
    est = Estimate(estimate=0.02, std_err=0.002, ci_low=0.016, ci_high=0.024, n=500,
                   confidence_level=0.9, method="test")
    out = simple_clv(margin=25.0, monthly_churn=est)
    assert out.loc[0, "confidence_level"] == 0.9
    assert out.loc[0, "ci_low"] == pytest.approx(25 / 0.024)
    seg = pd.DataFrame({"plan": ["basic", "pro"], "m": [10.0, 40.0], "c": [0.03, 0.01],
                        "lo": [0.025, 0.008], "hi": [0.035, 0.012]})
    out = simple_clv(seg, margin="m", monthly_churn="c", churn_ci=("lo", "hi"), by="plan")
    assert list(out["plan"]) == ["basic", "pro"]
    np.testing.assert_allclose(out["clv"], [10 / 0.03, 40 / 0.01])
    assert (out["ci_low"] <= out["clv"]).all() and (out["clv"] <= out["ci_high"]).all()
    with pytest.raises(CXDataError, match=r"`monthly_churn` has 1 value\(s\) outside"):
        simple_clv(margin=10.0, monthly_churn=2.0)
    with pytest.raises(CXDataError, match="exactly one"):
        simple_clv(margin=10.0)


# ----------------------------------------------------------------------------- revenue at risk
def test_revenue_at_risk_from_probabilities():
    d = pd.DataFrame({"customer_id": [1, 2, 3, 4], "rev": [10.0, 20.0, 30.0, 40.0],
                      "p": [0.1, 0.2, 0.1, 0.5], "plan": ["a", "a", "b", "b"]})
    res = revenue_at_risk(d, revenue="rev", churn_probability="p", by="plan", horizon=12, n_boot=50, seed=1)
    t = res.table.set_index("plan")
    # hand: a = (0.1*10 + 0.2*20)*12 = 60; b = (0.1*30 + 0.5*40)*12 = 276
    assert t.loc["a", "estimate"] == pytest.approx(60.0) and t.loc["b", "estimate"] == pytest.approx(276.0)
    assert list(t["quantity"]) == ["revenue_at_risk"] * 3
    # the total row sums the groups, and its interval comes from the same resamples
    assert t.loc["(all)", "estimate"] == pytest.approx(336.0)
    assert t.loc["(all)", "ci_low"] <= 336.0 <= t.loc["(all)", "ci_high"]
    again = revenue_at_risk(d, revenue="rev", churn_probability="p", by="plan", horizon=12, n_boot=50, seed=1)
    pd.testing.assert_frame_equal(res.table, again.table)
    with pytest.raises(CXDataError, match="exactly one"):
        revenue_at_risk(d, revenue="rev", horizon=12)


def test_revenue_at_risk_with_cox_model():
    import statsmodels.api as sm

    d = _cox_data(n=300, seed=11, ties=False)
    fit = churn_drivers(d, covariates=["nps_group", "osat"], horizon=None)
    res = revenue_at_risk(d, model=fit, by="nps_group", horizon=12, n_boot=25, seed=5)
    t = res.table
    # oracle: p_i = 1 - exp(-H0(12) exp(x_i'b)), PHReg's coefficients and the Breslow
    # baseline written out: H0(t) = Σ_{event times t_j <= t} 1 / Σ_{i: T_i >= t_j} exp(x_i'b)
    # (no ties here). PHReg's own baseline_cumulative_hazard is left-continuous (lagged
    # by one event), so it is not used.
    X = fit.design(d)
    ref = sm.PHReg(d["duration"], X, status=d["event"]).fit()
    risk = np.exp(X.to_numpy() @ ref.params)
    T_, E_ = d["duration"].to_numpy(), d["event"].to_numpy()
    h0 = sum(1 / risk[T_ >= tj].sum() for tj in T_[(E_ == 1) & (T_ <= 12)])
    p = 1 - np.exp(-h0 * np.exp(X.to_numpy() @ ref.params))
    loss = p * d["monthly_revenue"] * 12
    risk = t[t["quantity"] == "revenue_at_risk"].set_index("nps_group")["estimate"]
    for g in ["promoter", "passive", "detractor"]:
        assert risk[g] == pytest.approx(loss[d["nps_group"] == g].sum(), rel=1e-4)
    prot = t[t["quantity"] == "protected_if_detractor_to_passive"].set_index("nps_group")
    # only detractors move; detractors have the higher planted hazard -> protection > 0
    assert prot.loc["promoter", "estimate"] == 0 and prot.loc["passive", "estimate"] == 0
    Xm = X.copy()
    det = d["nps_group"] == "detractor"
    Xm.loc[det, "nps_group[detractor]"] = 0.0
    Xm.loc[det, "nps_group[passive]"] = 1.0
    p2 = 1 - np.exp(-h0 * np.exp(Xm.to_numpy() @ ref.params))
    assert prot.loc["detractor", "estimate"] == pytest.approx(((p - p2) * d["monthly_revenue"] * 12)[det].sum(), rel=1e-4)
    assert prot.loc["detractor", "ci_low"] <= prot.loc["detractor", "estimate"] <= prot.loc["detractor", "ci_high"]
    assert "causal" in res.assumptions


def test_survival_unit_weights_equal_unweighted(cox_data):
    d = cox_data.assign(w=1.0)
    a = survival(d, duration="duration", event="event", by="nps_group", weights="w")
    b = survival(d, duration="duration", event="event", by="nps_group")
    np.testing.assert_allclose(a.curves["survival"], b.curves["survival"], rtol=1e-12)
    assert a.logrank.p_value == pytest.approx(b.logrank.p_value, rel=1e-8)
