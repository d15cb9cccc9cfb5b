"""Tests for cxlib.churn: calendar churn rates, cohort retention, the churn hazard per month at
risk, customers at risk, survival tables (churn_table, churn_spells) and churn drivers.

Oracles: brute-force loops over customers (rates, cohorts), statsmodels'
``proportion_confint`` (Wilson), lifelines' Kaplan–Meier (cohort retention equals S(j)),
the gamma-quantile form of Garwood's interval, hand-computed tables, and statsmodels'
PHReg (Cox with Efron ties and delayed entry) and Logit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import cxlib as cx
from churn_data import cox_data as make_cox_data
from churn_data import customers as make_customers
from churn_data import model_tables
from cxlib.churn.models import churn_drivers
from cxlib.churn.tables import ChurnTable, churn_spells, churn_table
from cxlib.errors import CXDataError


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return make_customers()


@pytest.fixture(scope="module")
def cox_data():
    return make_cox_data()


@pytest.fixture(scope="module")
def cox_fit(cox_data):
    return churn_drivers(cox_data, covariates=["nps_group", "osat", "recent_negative"], horizon=12)


# ---------------------------------------------------------------------------- churn rate
def _brute_churn(customers: pd.DataFrame, freq: str, periods: list[str]) -> pd.DataFrame:
    rows = []
    for label in periods:
        p = pd.Period(label, freq=freq)
        t0, t1 = p.start_time, (p + 1).start_time
        at_risk = churned = new = 0
        for s, c in zip(customers.signup_date, customers.churn_date):
            if t0 <= s < t1:
                new += 1
            if s < t0 and (pd.isna(c) or c >= t0):
                at_risk += 1
                if not pd.isna(c) and c < t1:
                    churned += 1
        rows.append((label, at_risk, churned, new))
    return pd.DataFrame(rows, columns=["period", "at_risk", "churned", "new_customers"])


@pytest.mark.parametrize("freq,start,end", [("Q", "2024Q2", "2026Q1"), ("M", "2025-06", "2026-03")])
def test_churn_rate_vs_brute_force(customers, freq, start, end):
    res = cx.churn_rate(customers, period=freq, start=start, end=end)
    out = res.to_frame()
    expected = _brute_churn(customers, freq, list(out["period"]))
    assert out["period"].iloc[0] == start and out["period"].iloc[-1] == end
    pd.testing.assert_frame_equal(out[expected.columns], expected, check_dtype=False)
    lo, hi = proportion_confint(out.churned, out.at_risk, alpha=0.05, method="wilson")
    np.testing.assert_allclose(out.ci_low, lo, atol=1e-12)
    np.testing.assert_allclose(out.ci_high, hi, atol=1e-12)
    months = 3 if freq == "Q" else 1
    np.testing.assert_allclose(out.monthly_rate, 1 - (1 - out.rate) ** (1 / months))
    assert (out.monthly_ci_low <= out.monthly_rate).all() and (out.monthly_rate <= out.monthly_ci_high).all()


def test_churn_rate_hand_example():
    # hand, 2026Q1: A (signup Nov) at risk, stays; B (Dec) at risk, churns 10 Feb; C (15 Dec)
    # at risk; D signs up 1 Feb (new, not at risk) and churns 1 Mar -> 1 / 3
    c = pd.DataFrame({
        "signup_date": pd.to_datetime(["2025-11-01", "2025-12-01", "2025-12-15", "2026-02-01"]),
        "churn_date": pd.to_datetime([None, "2026-02-10", None, "2026-03-01"]),
    })
    row = cx.churn_rate(c, start="2026Q1", end="2026Q1").to_frame().iloc[0]
    assert (row.at_risk, row.churned, row.new_customers) == (3, 1, 1)
    assert row.rate == pytest.approx(1 / 3)
    assert row.monthly_rate == pytest.approx(1 - (2 / 3) ** (1 / 3))


def test_churn_rate_default_range_and_grouped(customers):
    full = cx.churn_rate(customers).to_frame()
    # default start: period after the earliest signup (2024Q1 -> 2024Q2); end: latest date
    assert full.period.iloc[0] == "2024Q2" and full.period.iloc[-1] == "2026Q1"
    grouped = cx.churn_rate(customers, by=["plan", "country"]).to_frame()
    assert list(grouped.columns[:3]) == ["period", "plan", "country"]
    for (plan, country), sub in grouped.groupby(["plan", "country"]):
        part = customers[(customers.plan == plan) & (customers.country == country)]
        single = cx.churn_rate(part, start="2024Q2", end="2026Q1").to_frame()
        cols = ["period", "at_risk", "churned", "rate", "ci_low", "ci_high", "new_customers", "small_base"]
        pd.testing.assert_frame_equal(sub[cols].reset_index(drop=True), single[cols])
    # the groups add up to the total
    summed = grouped.groupby("period", sort=False)[["at_risk", "churned"]].sum().reset_index()
    pd.testing.assert_frame_equal(summed, full[["period", "at_risk", "churned"]], check_dtype=False)


def test_churn_rate_tidy_columns_and_percent_scale(customers):
    t = cx.churn_rate(customers, min_base=40).to_frame()
    # the tidy columns restate the domain ones: estimate = rate, n = customers at risk
    np.testing.assert_array_equal(t["estimate"], t["rate"])
    np.testing.assert_array_equal(t["n"], t["at_risk"])
    assert (t["small_base"] == (t["at_risk"] < 40)).all() and (t["min_base"] == 40).all()
    pct = cx.churn_rate(customers, min_base=40, scale="percent")
    assert pct.scale == "percent"
    p = pct.to_frame()
    for c in ("rate", "estimate", "std_err", "ci_low", "ci_high", "monthly_rate", "monthly_ci_low", "monthly_ci_high"):
        np.testing.assert_allclose(p[c], 100 * t[c], rtol=1e-15, err_msg=c)
    pd.testing.assert_series_equal(p["n"], t["n"])
    with pytest.raises(CXDataError, match="`scale`='percentage'"):
        cx.churn_rate(customers, scale="percentage")


def test_customers_at_risk_counts_match_churn_rate(customers):
    qs = ["2025Q3", "2025Q4", "2026Q1"]
    risk = cx.customers_at_risk(customers, quarters=qs)
    cr = cx.churn_rate(customers, period="Q", start=qs[0], end=qs[-1]).to_frame().set_index("period")
    for q in qs:
        part = risk[risk["quarter"] == q]
        assert len(part) == cr.loc[q, "at_risk"] and part["churned"].sum() == cr.loc[q, "churned"]
    assert set(customers.columns) < set(risk.columns)


def test_customers_at_risk_on_the_synthetic_data(small_dataset):
    qs = cx.quarter_range(cx.latest_quarter(small_dataset), 3)
    risk = cx.customers_at_risk(small_dataset.customers, quarters=qs)
    cr = cx.churn_rate(small_dataset.customers, period="Q", start=qs[0], end=qs[-1]).to_frame().set_index("period")
    for q in qs:
        part = risk[risk["quarter"] == q]
        assert len(part) == cr.loc[q, "at_risk"] and part["churned"].sum() == cr.loc[q, "churned"]


# ---------------------------------------------------------------------------- cohort retention
def _brute_cohorts(customers: pd.DataFrame, freq: str, as_of: pd.Timestamp) -> pd.DataFrame:
    kept = customers[customers.signup_date <= as_of]
    first = pd.Period(kept.signup_date.min(), freq=freq)
    last = pd.Period(as_of, freq=freq)
    k = (last - first).n + 1
    rows = []
    for ci in range(k):
        coh = first + ci
        members = [(s, c) for s, c in zip(kept.signup_date, kept.churn_date) if pd.Period(s, freq=freq) == coh]
        for j in range(k):
            begin = (coh + j).start_time
            if begin > as_of:
                rows.append((str(coh), j, len(members), np.nan))
                continue
            retained = sum(1 for s, c in members if pd.isna(c) or c > as_of or c >= begin)
            rows.append((str(coh), j, len(members), retained))
    return pd.DataFrame(rows, columns=["cohort", "period_index", "at_risk", "retained"])


@pytest.mark.parametrize("freq,as_of", [("Q", "2026-03-31"), ("M", "2025-08-15")])
def test_cohort_retention_vs_brute_force(customers, freq, as_of):
    res = cx.cohort_retention(customers, cohort=freq, as_of=as_of)
    out = res.to_frame()
    expected = _brute_cohorts(customers, freq, pd.Timestamp(as_of))
    got = out[expected.columns].copy()
    got["retained"] = got["retained"].astype(float)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert res.n_excluded == int((customers.signup_date > pd.Timestamp(as_of)).sum())
    obs = out[out.observable & (out.at_risk > 0)]
    lo, hi = proportion_confint(obs.retained.astype(int), obs.at_risk, alpha=0.05, method="wilson")
    np.testing.assert_allclose(obs.ci_low, lo, atol=1e-12)
    np.testing.assert_allclose(obs.ci_high, hi, atol=1e-12)
    first = (out.period_index == 0) & out.observable
    assert (out.loc[first, "retained"] == out.loc[first, "at_risk"]).all()
    assert out.loc[~out.observable, "retention"].isna().all()
    wide = res.pivot()
    assert wide.shape == (out.cohort.nunique(), out.period_index.nunique())


def test_cohort_retention_equals_kaplan_meier(customers):
    # within the observable window nobody is censored, so the cohort share equals KM S(j)
    # for T = (churn period - cohort) + 1 in quarters, censored (actives) after the window
    as_of = pd.Timestamp("2026-03-31")
    res = cx.cohort_retention(customers, cohort="Q", as_of=as_of).to_frame()
    for coh, sub in res.groupby("cohort"):
        members = customers[customers.signup_date.dt.to_period("Q").astype(str) == coh]
        c0 = pd.Period(coh, freq="Q")
        churned = members.churn_date.notna()
        t_event = (members.churn_date.dt.to_period("Q") - c0).map(lambda d: d.n if pd.notna(d) else np.nan) + 1
        window = (pd.Period(as_of, freq="Q") - c0).n + 1
        durations = np.where(churned, t_event, window)
        kmf = KaplanMeierFitter().fit(durations, event_observed=churned)
        obs = sub[sub.observable]
        km = kmf.survival_function_at_times(obs.period_index.to_numpy()).to_numpy()
        np.testing.assert_allclose(obs.retention.to_numpy(), km, atol=1e-12)


def test_cohort_retention_grouped_equals_per_group_calls(customers):
    as_of = "2026-03-31"
    grouped = cx.cohort_retention(customers, cohort="Q", as_of=as_of, by="plan")
    table = grouped.to_frame()
    assert list(table.columns[:3]) == ["cohort", "plan", "period_index"]
    assert grouped.pivot().index.names == ["cohort", "plan"]
    cols = ["cohort", "period_index", "at_risk", "retained", "retention", "ci_low", "ci_high"]
    for plan, sub in table.groupby("plan"):
        single = cx.cohort_retention(customers[customers.plan == plan], cohort="Q", as_of=as_of).to_frame()
        # a plan's first signup may come later than the overall first cohort
        sub = sub[sub.cohort >= single.cohort.min()]
        pd.testing.assert_frame_equal(sub[cols].reset_index(drop=True), single[cols])


def test_cohort_retention_tidy_columns_and_percent_scale(customers):
    res = cx.cohort_retention(customers, cohort="Q", as_of="2026-03-31")
    t = res.to_frame()
    np.testing.assert_array_equal(t["estimate"], t["retention"])
    np.testing.assert_array_equal(t["n"], t["at_risk"])
    pct = cx.cohort_retention(customers, cohort="Q", as_of="2026-03-31", scale="percent")
    np.testing.assert_allclose(pct.pivot().to_numpy(dtype=float), 100 * res.pivot().to_numpy(dtype=float))
    for c in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(pct.to_frame()[c], 100 * t[c], rtol=1e-15)


# ---------------------------------------------------------------------------- hazard per month at risk
def test_churn_hazard_by_group_events_per_exposure_and_exact_interval(cox_data):
    out = cx.churn_hazard_by_group(cox_data, by="nps_group", min_base=100)
    for _, row in out.iterrows():
        sub = cox_data[cox_data["nps_group"] == row["nps_group"]]
        k, T = sub["event"].sum(), sub["duration"].sum()
        assert (row["events"], row["exposure"], row["n"]) == (k, T, len(sub))
        assert row["estimate"] == pytest.approx(k / T, rel=1e-15)
        # Garwood via gamma quantiles: [Γ⁻¹(α/2; k), Γ⁻¹(1 − α/2; k + 1)] / T
        assert row["ci_low"] == pytest.approx(stats.gamma.ppf(0.025, k) / T, rel=1e-9)
        assert row["ci_high"] == pytest.approx(stats.gamma.ppf(0.975, k + 1) / T, rel=1e-9)
        assert row["small_base"] == (len(sub) < 100)
    pct = cx.churn_hazard_by_group(cox_data, by="nps_group", scale="percent")
    np.testing.assert_allclose(pct[["estimate", "ci_low", "ci_high"]], 100 * out[["estimate", "ci_low", "ci_high"]])
    # no events: the lower bound is 0, the upper the exact one-sided bound
    none = cx.churn_hazard_by_group(pd.DataFrame({"g": ["a"], "duration": [10.0], "event": [0]}), by="g", min_base=0)
    assert none.loc[0, "ci_low"] == 0 and none.loc[0, "ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 2) / 20)


# ---------------------------------------------------------------------------- bad input (rates)
def test_inputs_not_modified(customers):
    c0 = customers.copy(deep=True)
    cx.churn_rate(customers, by="plan")
    cx.cohort_retention(customers, by="plan")
    cx.customers_at_risk(customers, quarters=["2025Q1"])
    pd.testing.assert_frame_equal(customers, c0)


def test_churn_before_signup_raises(customers):
    bad = customers.copy()
    bad.loc[[0, 1], "churn_date"] = bad.loc[[0, 1], "signup_date"] - pd.Timedelta(days=3)
    for fn in (cx.churn_rate, cx.cohort_retention):
        with pytest.raises(CXDataError, match=r"'churn_date' is earlier than 'signup_date' in 2 row"):
            fn(bad)


def test_unknown_columns_and_empty_data_raise(customers):
    with pytest.raises(CXDataError, match="`signup`='signed' is not a column"):
        cx.churn_rate(customers, signup="signed")
    with pytest.raises(CXDataError, match="no rows"):
        cx.cohort_retention(customers.iloc[:0])
    with pytest.raises(CXDataError, match="`by`='region' is not a column"):
        cx.churn_rate(customers, by="region")


def test_bad_options_raise(customers):
    with pytest.raises(CXDataError, match="`period`='W'"):
        cx.churn_rate(customers, period="W")
    with pytest.raises(CXDataError, match="`end`='2024Q1' is before"):
        cx.churn_rate(customers, start="2025Q1", end="2024Q1")
    with pytest.raises(CXDataError, match="`as_of`='someday' is not a date"):
        cx.cohort_retention(customers, as_of="someday")
    with pytest.raises(CXDataError, match="`min_base`"):
        cx.churn_hazard_by_group(make_cox_data(), by="nps_group", min_base=-1)


# ---------------------------------------------------------------------------- churn_table / churn_spells
def test_churn_table_customer_level():
    customers, *_ = model_tables()
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
    customers, survey, journeys, tickets = model_tables()
    tab = churn_table(customers, survey, as_of="2026-01-01", journeys=journeys, tickets=tickets, unit="days")
    d = tab.data.set_index("response_id")
    assert tab.counts["responses_after_as_of"] == 1 and 14 not in d.index
    # response 10: 2025-04-01 -> churn 2025-10-01 = 183 days; tenure 90 days
    assert d.loc[10, "duration"] == 183 and d.loc[10, "event"] == 1 and d.loc[10, "tenure"] == 90
    assert d.loc[12, "duration"] == 61 and d.loc[12, "event"] == 0  # 2025-11-01 -> as_of
    assert list(d["nps_group"].astype(str)) == ["detractor", "promoter", "passive", "promoter"]
    assert list(d["nps_group"].cat.categories) == ["promoter", "passive", "detractor"]
    # negative episode within 90 days before: response 10 (2025-03-15) yes; 2024-12-01 is too old;
    # response 12's episode is the day after -> no; customer 3's episode is positive
    assert d["recent_negative"].to_dict() == {10: 1, 11: 0, 12: 0, 13: 0}
    # reopened tickets within 90 days: response 10 has the 2025-02-15 one (reopen 1), the
    # 2025-03-20 one was not reopened; response 12 has 2025-10-01 (reopened twice)
    assert d["reopened_tickets"].to_dict() == {10: 1, 11: 0, 12: 1, 13: 0}
    assert survey.shape == (5, 7)  # input untouched


def test_churn_table_bad_input_names_column_and_count():
    customers, survey, journeys, _ = model_tables()
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
        churn_table(customers, as_of="2026-01-01", journeys=journeys)
    with pytest.raises(CXDataError, match="`unit`='years'"):
        churn_table(customers, as_of="2026-01-01", unit="years")


def test_churn_spells_start_stop():
    customers, survey, *_ = model_tables()
    tab = churn_spells(customers, survey, as_of="2026-01-01", unit="days")
    assert tab.level == "spell"
    d = tab.data.set_index("response_id")
    # customer 2: signup 2025-02-01; responses at tenure 73 and 273 days; as_of at 334
    assert (d.loc[11, "start"], d.loc[11, "stop"], d.loc[11, "event"]) == (73, 273, 0)
    assert (d.loc[12, "start"], d.loc[12, "stop"], d.loc[12, "event"]) == (273, 334, 0)
    # customer 1 churned at tenure 273 after one response at tenure 90
    assert (d.loc[10, "start"], d.loc[10, "stop"], d.loc[10, "event"]) == (90, 273, 1)
    assert tab.counts["same_day_responses_dropped"] == 0


def test_churn_spells_split_at_negative_episodes_and_quarter_end():
    customers, survey, journeys, _ = model_tables()
    # customer 1: response 2025-04-01 (tenure 90 d), episodes 2024-12-01 and 2025-03-15 (both
    # before the response; the 2025Q1 one's window ends 2025-04-01 = the response day)
    # customer 2: episode 2025-11-02 inside the spell 2025-11-01 -> as_of 2026-01-01
    tab = churn_spells(customers, survey, as_of="2026-01-01", unit="days", journeys=journeys)
    d = tab.data
    c2 = d[d["customer_id"] == 2][["start", "stop", "event", "negative_episode"]].to_numpy().tolist()
    # signup 2025-02-01: 2025-11-01 is day 273, 2025-11-02 day 274, 2026-01-01 day 334
    assert c2 == [[73, 273, 0, 0], [273, 274, 0, 0], [274, 334, 0, 1]]
    c1 = d[d["customer_id"] == 1][["start", "stop", "event", "negative_episode"]].to_numpy().tolist()
    assert c1 == [[90, 273, 1, 0]]
    assert tab.counts["episode_splits"] == 1
    # a 30-day window ends the effect 2025-12-02 (day 304)
    d30 = churn_spells(customers, survey, as_of="2026-01-01", unit="days", journeys=journeys, episode_window=30).data
    c2 = d30[d30["customer_id"] == 2][["start", "stop", "negative_episode"]].to_numpy().tolist()
    assert c2 == [[73, 273, 0], [273, 274, 0], [274, 304, 1], [304, 334, 0]]
    # until="quarter_end": customer 1 (response 2025-04-01) is followed to 2025-07-01 (day 181),
    # so the churn on 2025-10-01 falls outside every spell
    dq = churn_spells(customers, survey, as_of="2026-01-01", unit="days", until="quarter_end").data
    assert dq.loc[dq["customer_id"] == 1, ["start", "stop", "event"]].to_numpy().tolist() == [[90, 181, 0]]
    with pytest.raises(CXDataError, match="until"):
        churn_spells(customers, survey, as_of="2026-01-01", until="forever")
    with pytest.raises(CXDataError, match="episode_window"):
        churn_spells(customers, survey, as_of="2026-01-01", journeys=journeys, episode_window=-3)


# ---------------------------------------------------------------------------- Cox & logit
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
    # tidy: estimate is the hazard ratio, n the rows of the model
    np.testing.assert_array_equal(hr["estimate"], hr["hazard_ratio"])
    assert (hr["n"] == cox_fit.n).all()
    # the fitted lifelines object is one attribute away
    assert cox_fit.model.summary.shape[0] == 4


def _fit_frame(d, fit):
    X = fit.design(d)
    X["__duration"] = d["duration"].to_numpy(dtype=float)
    X["__event"] = d["event"].to_numpy(dtype=float)
    return X


def test_cox_ph_test_and_logit(cox_data, cox_fit):
    import statsmodels.api as sm
    from lifelines.statistics import proportional_hazard_test

    ph = cox_fit.ph_test
    assert list(ph.columns) == ["term", "statistic", "p_value", "p_adjusted"]
    assert set(ph["term"]) == set(cox_fit.hazard_ratios["term"])
    # Benjamini–Hochberg across the terms (statsmodels' multipletests as the oracle)
    from statsmodels.stats.multitest import multipletests
    np.testing.assert_allclose(ph["p_adjusted"], multipletests(ph["p_value"], method="fdr_bh")[1], rtol=1e-12)
    assert cox_fit.warnings == ()
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
    np.testing.assert_array_equal(orr["estimate"], orr["odds_ratio"])
    assert cox_fit.n_logit == int(known.sum()) and (orr["n"] == cox_fit.n_logit).all()
    assert cox_fit.n_logit_censored_excluded == int((~known).sum())


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
    d = make_cox_data(n=3000, seed=7, ties=False)
    res = churn_drivers(d, covariates=["nps_group", "osat", "recent_negative"], horizon=None)
    planted = {"nps_group[passive]": 0.3, "nps_group[detractor]": 0.8, "osat": -0.15, "recent_negative": 0.4}
    for _, row in res.hazard_ratios.iterrows():
        # 99.9 % intervals (4 terms, fixed seed)
        z = 3.29
        assert row["coef"] - z * row["std_err"] < planted[row["term"]] < row["coef"] + z * row["std_err"]


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
    assert (res.hazard_ratios["n"] == len(d)).all()


@pytest.fixture(scope="module")
def synthetic():
    # default size (20,000 customers, 12 waves), seed 0: about 2-3 s
    return cx.synthesize(0, n_customers=20_000)


def test_survey_cox_recovers_planted_observable_churn_truth(synthetic):
    """Issue 5: the planted churn hazards are recovered from the survey, within the 95 % CIs.

    Truth: ``truth.churn["observable"]``, computed by the generator from its whole
    population (reported NPS group through the country style, planted hazard integrated
    over exposure). Design: each response followed to the end of its quarter, split at
    negative episodes (time-varying ``negative_episode``, effect until the quarter's end as
    planted), controls plan and country.
    """
    d = synthetic
    survey, _ = cx.drop_duplicate_responses(d.survey)
    as_of = cx.quarter_bounds(d.truth.quarters[-1])[1]
    tab = churn_spells(d.customers, survey.drop(columns=["country", "plan"]), as_of=as_of,
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


# ---------------------------------------------------------------------------- model warnings (issue 11, item 12)
def test_logistic_separation_becomes_a_warning_sentence_not_a_raw_warning(cox_data, recwarn):
    # 15 customers flagged "vip" all churned within 12 months: the logistic model's odds ratio
    # for vip runs off to infinity (its interval is not estimable); the Cox model's hazard ratio
    # stays estimable (the vip customers share their event times with everyone at risk)
    churned_early = cox_data.index[(cox_data["event"] == 1) & (cox_data["duration"] <= 12)][:15]
    d = cox_data.assign(vip=0)
    d.loc[churned_early, "vip"] = 1
    res = churn_drivers(d, covariates=["osat", "vip"], horizon=12)
    assert not [w for w in recwarn if "statsmodels" in w.filename or "lifelines" in w.filename]
    odds = res.odds_ratios.set_index("term")
    assert odds.loc["vip", "coef"] > 5 and odds.loc["vip", "std_err"] > 100  # the raw fit, kept
    assert odds.loc["vip", ["ci_low", "ci_high", "p_value"]].isna().all()
    assert np.isfinite(odds.loc["osat", ["ci_low", "ci_high", "p_value"]].astype(float)).all()
    assert len(res.warnings) == 1
    w = res.warnings[0]
    assert w.startswith("interval not estimable: the outcome is perfectly separated by vip "
                        "(logistic model of churn within 12; odds ratio ")
    assert (w.model, w.term, w.kind) == ("logistic model of churn within 12", "vip", "separation")
    assert np.isfinite(res.hazard_ratios["ci_high"]).all()


def test_proportional_hazards_violation_becomes_a_warning(recwarn):
    # group 1 churns uniformly over 0-10 months, group 0 only between 4 and 8: the hazard
    # ratio is infinite early, below 1 in the middle and infinite again late
    rng = np.random.default_rng(5)
    g = rng.integers(0, 2, 600)
    d = pd.DataFrame({"duration": np.where(g == 1, rng.uniform(0, 10, 600), rng.uniform(4, 8, 600)),
                      "event": 1, "g": g, "x": rng.normal(size=600)})
    res = churn_drivers(d, covariates=["g", "x"], horizon=None)
    ph = res.ph_test.set_index("term")
    assert ph.loc["g", "p_adjusted"] < 1e-6 < ph.loc["x", "p_adjusted"]
    assert res.warnings == (
        f"the hazard ratio for g changes over time (proportional-hazards test p = {ph.loc['g', 'p_adjusted']:.2g}, "
        "Benjamini–Hochberg adjusted across 2 terms): the Cox model's ratio is an average over the follow-up",
    )
    assert res.warnings[0].kind == "proportional_hazards" and res.warnings[0].term == "g"
    assert not [w for w in recwarn if "lifelines" in w.filename]
    # no warning for a term whose hazard ratio does not change (x is noise: ratio 1 throughout)
    assert churn_drivers(d, covariates=["x"], horizon=None).warnings == ()


# ---------------------------------------------------------------------------- a study's churn (issue 10)
def _lifelines_at_risk(t: np.ndarray, h: float) -> int:
    """Subjects still followed just before ``h``, from lifelines' Kaplan–Meier event table."""
    kmf = KaplanMeierFitter().fit(t, np.zeros_like(t))
    table = kmf.event_table
    return int(table.loc[table.index >= h, "removed"].sum())


def test_churn_horizon_is_the_longest_candidate_with_enough_at_risk():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"duration": rng.uniform(0, 10.5, 400), "event": rng.integers(0, 2, 400)})
    for min_at_risk in (1, 30, 80, 150, 400):
        hz = cx.churn_horizon(d, horizon=12, min_at_risk=min_at_risk)
        # brute force: every candidate's risk set, from lifelines' event table
        counts = {h: _lifelines_at_risk(d["duration"].to_numpy(), h) for h in (12, 9, 6, 3, 1)}
        assert hz.to_frame().set_index("horizon")["at_risk"].to_dict() == counts
        expected = next((h for h, n in counts.items() if n >= min_at_risk), None)
        assert hz.months == expected and hz.requested == 12 and hz.adapted == (expected != 12)
        assert hz.at_risk == (counts[expected] if expected else 0)
    assert cx.churn_horizon(d, horizon=12, min_at_risk=1).months == 9  # nobody is followed 12 months
    # a long follow-up keeps the requested horizon, whatever it is
    long = pd.DataFrame({"duration": np.full(50, 30.0), "event": 0})
    assert cx.churn_horizon(long, horizon=7, min_at_risk=30).months == 7
    assert cx.churn_horizon(long, horizon=7, min_at_risk=30).to_frame()["horizon"].tolist() == [7, 6, 3, 1]
    assert cx.churn_horizon(long, horizon=7, min_at_risk=30).cohort_quarters == 2
    assert cx.churn_horizon(long, horizon=3, min_at_risk=30).cohort_quarters == 1
    # min_at_risk = 0 never picks a horizon beyond the longest follow-up
    assert cx.churn_horizon(d, horizon=12, min_at_risk=0).months == 9


@pytest.mark.parametrize("bad", [0, -3, "12", True, None])
def test_churn_horizon_refuses_a_bad_horizon(bad):
    with pytest.raises(CXDataError, match="horizon"):
        cx.churn_horizon(pd.DataFrame({"duration": [1.0], "event": [0]}), horizon=bad)


def _roles(points, *, recommend=None, values=None):
    from cxlib.data.roles import StudyRoles
    from cxlib.data.study import Scale

    survey = {"satisfaction": "sat", **({"recommend": recommend} if recommend else {})}
    return StudyRoles(title="t", roles={"survey": survey}, labels={"sat": "How satisfied are you"},
                      scales={"sat": Scale(points=points, values=values or {})})


@pytest.mark.parametrize("points, bounds", [
    ((0.0, 1.0), {"satisfied": (1, 1), "not satisfied": (0, 0)}),
    ((1.0, 5.0), {"satisfied": (4, 5), "neutral": (3, 3), "dissatisfied": (1, 2)}),
    ((1.0, 7.0), {"satisfied": (6, 7), "neutral": (3, 5), "dissatisfied": (1, 2)}),
    ((0.0, 10.0), {"satisfied": (8, 10), "neutral": (3, 7), "dissatisfied": (0, 2)}),
    ((1.0, 3.0), {"satisfied": (2, 3), "dissatisfied": (1, 1)}),
])
def test_loyalty_groups_of_a_satisfaction_scale_cover_every_point_once(points, bounds):
    g = cx.loyalty_groups(_roles(points))
    assert g.role == "satisfaction" and g.column == "sat" and g.question == "How satisfied are you"
    assert g.bounds == {k: (float(a), float(b)) for k, (a, b) in bounds.items()}
    assert g.levels == tuple(bounds) and g.reference == "satisfied" and g.lowest == list(bounds)[-1]
    every = np.arange(points[0], points[1] + 1)
    assigned = g.assign(every)
    assert assigned.notna().all()  # every point in exactly one group
    for level, (low, high) in bounds.items():
        assert assigned[(every >= low) & (every <= high)].eq(level).all()
    assert list(assigned.cat.categories) == list(g.levels)


def test_loyalty_groups_prefer_the_recommend_question():
    g = cx.loyalty_groups(_roles((1.0, 5.0), recommend="ltr_q"))
    assert g.role == "recommend" and g.column == "ltr_q" and g.group_column == "nps_group"
    assert g.assign([10, 8, 6]).tolist() == ["promoter", "passive", "detractor"]
    assert g.move == ("nps_group", "detractor", "passive") and g.members("detractor") == "detractors"
    with pytest.raises(CXDataError, match="no declared scale"):
        from cxlib.data.roles import StudyRoles
        cx.loyalty_groups(StudyRoles(title="t", roles={"survey": {"satisfaction": "sat"}}))


def test_loyalty_churn_table_reads_the_roles_columns():
    """Other column names, satisfaction groups: the same follow-up as churn_table on the
    synthetic names, plus the group and the customers' revenue and segment columns."""
    from cxlib.data.roles import StudyRoles
    from cxlib.data.study import Scale

    roles = StudyRoles(title="t", roles={
        "survey": {"satisfaction": "Sat", "date": "When", "customer_id": "customer_id"},
        "customers": {"customer_id": "customer_id", "signup_date": "Start", "churn_date": "Stop",
                      "revenue": "Fee", "segments": ("Tier",)}},
        scales={"Sat": Scale(points=(1.0, 5.0))}, tables=("survey", "customers"))
    cust = pd.DataFrame({"customer_id": [1, 2, 3], "Start": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
                         "Stop": pd.to_datetime(["2025-06-01", None, "2026-06-01"]), "Fee": [10.0, 20.0, 30.0],
                         "Tier": ["a", "b", "a"]})
    sv = pd.DataFrame({"response_id": [1, 2, 3, 4, 5], "customer_id": [1, 2, 2, 3, 99], "quarter": ["2025Q1"] * 5,
                       "When": pd.to_datetime(["2025-02-01", "2025-03-01", "2025-02-15", "2025-03-10", "2025-03-11"]),
                       "Sat": [5, 1, 3, 4, 2]})
    t = cx.loyalty_churn_table(cust, sv, roles=roles, as_of="2026-01-01")
    assert t.counts["responses_without_customer"] == 1  # customer 99 is not in the customers table
    d = t.data.set_index("customer_id")
    assert d["satisfaction_group"].tolist() == ["satisfied", "neutral", "satisfied"]  # customer 2's first: 3
    assert d["Fee"].tolist() == [10.0, 20.0, 30.0] and d["Tier"].tolist() == ["a", "b", "a"]
    # the durations of churn_table on the renamed frames
    ref = churn_table(cust.rename(columns={"Start": "signup_date", "Stop": "churn_date"}),
                      sv[sv["customer_id"] != 99].rename(columns={"When": "response_date", "Sat": "ltr"})
                      .sort_values("response_date").drop_duplicates("customer_id"), as_of="2026-01-01").data
    assert np.allclose(d["duration"], ref.set_index("customer_id").loc[d.index, "duration"])
    assert d["event"].tolist() == [1, 0, 0]
    last = cx.loyalty_churn_table(cust, sv, roles=roles, as_of="2026-01-01", responses="last").data
    assert last.set_index("customer_id").loc[2, "satisfaction_group"] == "dissatisfied"
    spells = cx.loyalty_churn_spells(cust, sv, roles=roles, as_of="2026-01-01")
    assert sorted(spells.data["satisfaction_group"].astype(str)) == ["dissatisfied", "neutral", "satisfied",
                                                                     "satisfied"]
    # a study that cannot follow churn says why
    assert cx.churn_gap(pd.DataFrame(), roles) == "no_customers"
    no_date = StudyRoles(title="t", roles={"survey": {"satisfaction": "Sat", "customer_id": "customer_id"},
                                           "customers": roles.roles["customers"]}, scales=roles.scales,
                         tables=("survey", "customers"))
    assert cx.churn_gap(cust, no_date) == "no_response_date"
    with pytest.raises(CXDataError, match="no response date"):
        cx.loyalty_churn_table(cust, sv, roles=no_date, as_of="2026-01-01")


def test_model_controls_use_the_most_frequent_level_as_reference():
    d = pd.DataFrame({"tier": ["b", "a", "a", "c", "b"], "many": [str(i) for i in range(5)], "one": "x"})
    assert cx.model_controls(d, ["tier", "one", "missing", None]) == (["tier"], {"tier": "a"})  # a, b tie: sorted
    assert cx.model_controls(d, ["many"], max_levels=4) == ([], None)
    assert cx.model_controls(d, "tier") == (["tier"], {"tier": "a"})
