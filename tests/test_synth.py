"""Tests of cxlib.data.synthetic: determinism, schema, realism ranges (shared/DATA.md) and the
planted structure, each checked by a small independent computation written here."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.data.schema import DRIVERS, SCHEMA, TABLES
from cxlib.errors import CXDataError


@pytest.fixture(scope="module")
def small():
    return cx.synthesize(3, n_customers=2000, quarters=4)


@pytest.fixture(scope="module")
def full():
    # default size; about 6 s on one core
    return cx.synthesize(0)


@pytest.fixture(scope="module")
def survey(full):
    return cx.drop_duplicate_responses(full.survey)[0]


def _groups(ltr) -> np.ndarray:
    x = np.asarray(ltr, dtype=float)
    return np.where(x >= 9, 1, np.where(x <= 6, -1, 0))


def _nps_and_var(ltr) -> tuple[float, float, int]:
    # METHODS.md: NPS = p_P - p_D; per-respondent variance (p_P + p_D) - (p_P - p_D)^2
    g = _groups(ltr)
    pp, pd_ = (g == 1).mean(), (g == -1).mean()
    return pp - pd_, (pp + pd_) - (pp - pd_) ** 2, g.size


# ----------------------------------------------------------------------------- basics
def test_deterministic_for_a_seed(small):
    again = cx.synthesize(3, n_customers=2000, quarters=4)
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(small, t), getattr(again, t))
    assert small.truth.to_dict() == again.truth.to_dict()
    pd.testing.assert_frame_equal(small.truth.customer_segments, again.truth.customer_segments)
    other = cx.synthesize(4, n_customers=2000, quarters=4)
    assert not small.survey[["customer_id", "ltr"]].equals(other.survey[["customer_id", "ltr"]])


@pytest.mark.parametrize("which", ["small", "full"])
def test_schema_and_dtypes(which, request):
    data = request.getfixturevalue(which)
    for t in TABLES:
        frame = getattr(data, t)
        assert list(frame.columns) == list(SCHEMA[t]), t
        assert {c: str(d) for c, d in frame.dtypes.items()} == SCHEMA[t], t
        assert len(frame) > 0


def test_values_and_keys(small):
    d = small
    s = d.survey
    for col, lo, hi in [("ltr", 0, 10), ("osat", 1, 5), ("ces", 1, 7), *[(c, 1, 5) for c in DRIVERS]]:
        v = s[col].dropna()
        assert v.between(lo, hi).all(), col
    assert d.touchpoints["csat"].between(1, 5).all()
    assert s["ltr"].notna().all()
    for t, key in [("customers", "customer_id"), ("survey", "response_id"), ("tickets", "ticket_id"),
                   ("touchpoints", "tp_response_id"), ("journeys", "event_id")]:
        assert getattr(d, t)[key].is_unique, t
    ids = set(d.customers["customer_id"])
    for t in ("survey", "tickets", "touchpoints", "journeys"):
        assert set(getattr(d, t)["customer_id"]) <= ids, t
    linked = d.touchpoints["ticket_id"].dropna()
    assert set(linked) <= set(d.tickets["ticket_id"])
    assert (d.touchpoints.loc[d.touchpoints["ticket_id"].notna(), "touchpoint"] == "support_ticket").all()
    # quarters agree with dates
    assert (cx.quarter_of(s["response_date"]) == s["quarter"]).all()
    assert (cx.quarter_of(d.tickets["created_at"]) == d.tickets["quarter"]).all()
    assert (cx.quarter_of(d.journeys["timestamp"]) == d.journeys["quarter"]).all()
    assert sorted(s["quarter"].unique()) == cx.quarter_range("2026Q3", 4)
    # time order inside tickets and customers
    tk = d.tickets
    assert (tk["first_response_at"] >= tk["created_at"]).all()
    assert (tk["first_resolved_at"] >= tk["first_response_at"]).all()
    assert (tk["resolved_at"] >= tk["first_resolved_at"]).all()
    assert ((tk["reopen_count"] == 0) == (tk["resolved_at"] == tk["first_resolved_at"])).all()
    assert (tk["contacts"] >= 1 + tk["reopen_count"]).all()
    c = d.customers
    churned = c["churn_date"].notna()
    assert (c.loc[churned, "churn_date"] > c.loc[churned, "signup_date"]).all()
    # respondents were customers (signed up, not yet churned) when they answered
    m = s.merge(c[["customer_id", "signup_date", "churn_date"]], on="customer_id")
    assert (m["response_date"] > m["signup_date"]).all()
    assert (m["churn_date"].isna() | (m["response_date"] < m["churn_date"])).all()
    assert set(d.journeys["valence"]) <= {-1, 0, 1}
    # survey country/plan are the customer's
    m2 = s.merge(c[["customer_id", "country", "plan"]], on="customer_id", suffixes=("", "_c"))
    assert (m2["country"] == m2["country_c"]).all() and (m2["plan"] == m2["plan_c"]).all()


def test_truth_is_json_able_and_complete(small):
    d = small.truth.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["seed"] == 3 and d["parameters"] == {"n_customers": 2000, "quarters": 4, "end_quarter": "2026Q3"}
    seg = small.truth.customer_segments
    assert list(seg.columns) == ["customer_id", "segment"]
    assert set(seg["customer_id"]) == set(small.customers["customer_id"])
    assert set(seg["segment"]) == set(d["segments"]["names"])


def test_bad_arguments():
    with pytest.raises(CXDataError, match="end_quarter"):
        cx.synthesize(0, n_customers=200, quarters=2, end_quarter="2026-Q3")
    with pytest.raises(CXDataError, match="n_customers"):
        cx.synthesize(0, n_customers=10)
    with pytest.raises(CXDataError, match="quarters"):
        cx.synthesize(0, n_customers=200, quarters=0)


# ----------------------------------------------------------------------------- DATA.md ranges
def test_survey_ranges(full, survey):
    s = survey
    nps, _, n = _nps_and_var(s["ltr"])
    g = _groups(s["ltr"])
    assert -0.10 <= nps <= 0.45
    assert 0.30 <= (g == 1).mean() <= 0.55 and 0.10 <= (g == -1).mean() <= 0.35
    counts = s["ltr"].value_counts()
    assert counts.idxmax() == 10
    assert set(counts.nlargest(4).index) <= {7, 8, 9, 10}
    assert counts[0] > counts[1] + counts[2]  # the angry spike at 0
    x = s["ltr"].astype(float)
    assert ((x - x.mean()) ** 3).mean() < 0  # left-skewed
    osat = s["osat"].dropna()
    t2b = (osat >= 4).mean()
    assert 0.70 <= t2b <= 0.90
    assert (osat == 5).mean() > (osat == 1).mean()
    assert 0.60 <= (s["ces"].dropna() >= 5).mean() <= 0.80
    tp_t2b = (full.touchpoints["csat"] >= 4).mean()
    assert tp_t2b > t2b  # touchpoint CSAT higher than relational osat
    # drivers: halo correlation, ceiling at the top box, missing support
    r = s[list(DRIVERS)].astype(float).corr().to_numpy()[np.triu_indices(8, 1)]
    assert 0.3 <= np.median(r) <= 0.7 and r.min() > 0.15 and r.max() < 0.8
    for c in DRIVERS:
        share = s[c].dropna().value_counts(normalize=True)
        assert share.idxmax() == 5, c  # ceiling
    assert 0.05 <= s["support"].isna().mean() <= 0.20
    assert 0.05 <= s["onboarding"].isna().mean() <= 0.20
    comments = s["comment"].notna().mean()
    assert 0.2 <= comments <= 0.5


def test_waves_response_rate_and_weights(full):
    waves = full.truth.realized["survey_waves"]
    resp = full.survey.groupby("quarter").size()
    for q, w in waves.items():
        rate = w["responded"] / w["invited"]
        assert 0.05 <= rate <= 0.30, q
        assert w["responded"] >= 1500, q
        # survey table holds the respondents plus a few duplicate submissions
        assert w["responded"] <= resp[q] <= 1.05 * w["responded"]
    # Kish design effect 1 + CV^2 of the weights, per wave
    for q, wt in full.survey.groupby("quarter")["weight"]:
        deff = len(wt) * (wt**2).sum() / wt.sum() ** 2
        assert 1.2 <= deff <= 2.0, (q, deff)
        assert np.isclose(wt.mean(), 1.0, atol=0.02)
    # panel overlap: some respondents answer several waves
    per_customer = full.survey.groupby("customer_id")["quarter"].nunique()
    assert (per_customer >= 2).mean() > 0.1
    # duplicate submissions exist and are removed
    _, dropped = cx.drop_duplicate_responses(full.survey)
    assert 0.005 * len(full.survey) <= dropped <= 0.03 * len(full.survey)


def _customer_months(customers: pd.DataFrame, start, end):
    """Exposure (months) and churn events of customers inside [start, end)."""
    a = customers["signup_date"].clip(lower=start)
    b = customers["churn_date"].fillna(end).clip(upper=end)
    months = ((b - a).dt.total_seconds().clip(lower=0) / 86400 / (365.25 / 12)).sum()
    events = customers["churn_date"].between(start, end, inclusive="left").sum()
    return months, events


def test_operations_ranges(full):
    start = cx.quarter_bounds(cx.quarter_range("2026Q3", 12)[0])[0]
    end = cx.quarter_bounds("2026Q3")[1]
    months, events = _customer_months(full.customers, start, end)
    assert 0.008 <= events / months <= 0.03  # monthly churn
    tk = full.tickets
    assert 0.05 <= (tk["reopen_count"] > 0).mean() <= 0.15
    assert 0.60 <= (tk["contacts"] == 1).mean() <= 0.80
    fr = (tk["first_response_at"] - tk["created_at"]).dt.total_seconds() / 60
    med = fr.groupby(tk["channel"]).median()
    assert med["chat"] < 10 and med["phone"] < 10 and med["email"] > 60
    assert fr.mean() > fr.median()  # long right tail
    res_h = (tk["resolved_at"] - tk["created_at"]).dt.total_seconds() / 3600
    assert 1 <= res_h.median() <= 48 and res_h.quantile(0.99) > 10 * res_h.median()
    # 20-50 % of active customers contact support in a quarter
    c = full.customers
    for q in cx.quarter_range("2026Q3", 12):
        qs, qe = cx.quarter_bounds(q)
        active = ((c["signup_date"] < qe) & (c["churn_date"].isna() | (c["churn_date"] >= qs))).sum()
        share = tk.loc[tk["quarter"] == q, "customer_id"].nunique() / active
        assert 0.20 <= share <= 0.50, (q, share)
    # revenue: distinct tiers, right-skewed within tier
    rev = c.groupby("plan")["monthly_revenue"]
    assert rev.median()["basic"] < rev.median()["standard"] < rev.median()["premium"]
    assert (rev.mean() > rev.median()).all()
    assert set(c["acquisition_channel"]) == {"organic", "paid_search", "partner", "referral"}
    assert set(c["country"]) == {"US", "GB", "DE", "JP", "BR", "MX"}
    assert (c["signup_date"] < start).mean() > 0.3 and (c["signup_date"] >= start).mean() > 0.2


# ----------------------------------------------------------------------------- planted truth
def test_segments_recoverable_by_kmeans(full, survey):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    cc = survey.dropna(subset=list(DRIVERS))
    x = cc[list(DRIVERS)].to_numpy(dtype=float)
    labels = KMeans(4, n_init=4, random_state=0).fit(x).labels_
    true = full.truth.segment_of(cc["customer_id"]).to_numpy()
    assert adjusted_rand_score(true, labels) >= 0.5
    shares = full.truth.realized["segment_share_by_quarter"]
    first, last = shares[min(shares)], shares[max(shares)]
    assert last["value_seekers"] - first["value_seekers"] > 0.02  # changing segment sizes


def _lmg_brute_force(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Shapley decomposition of R^2 by refitting OLS on every subset (METHODS.md formula)."""
    from math import factorial

    n, p = x.shape
    tss = ((y - y.mean()) ** 2).sum()
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for s in combinations(range(p), k):
            a = np.column_stack([np.ones(n), x[:, s]])
            beta, *_ = np.linalg.lstsq(a, y, rcond=None)
            r2[s] = 1 - ((y - a @ beta) ** 2).sum() / tss
    out = np.zeros(p)
    for j in range(p):
        rest = [i for i in range(p) if i != j]
        for k in range(p):
            for s in combinations(rest, k):
                out[j] += factorial(k) * factorial(p - k - 1) / factorial(p) * (r2[tuple(sorted(s + (j,)))] - r2[s])
    return out


def test_driver_ranking_recovered(full, survey):
    truth = full.truth.drivers
    w = truth["weights"]
    assert len(set(w.values())) == len(w)  # distinct weights
    top3 = truth["ranking_by_weight"][:3]
    assert truth["population_ranking"][:3] == top3
    cc = survey.dropna(subset=[*DRIVERS, "osat"])
    imp = _lmg_brute_force(cc[list(DRIVERS)].to_numpy(float), cc["osat"].to_numpy(float))
    ranked = [DRIVERS[i] for i in np.argsort(-imp)]
    assert ranked[:3] == top3


def test_asymmetric_driver_visible(survey, full):
    asym = full.truth.asymmetric_driver
    assert asym["driver"] == "billing_clarity" and asym["penalty"] < -5 * asym["reward"]
    cc = survey.dropna(subset=[*DRIVERS, "osat"])
    y = cc["osat"].to_numpy(float)
    # penalty-reward regression (Mittal et al. 1998): low (1-2) and high (5) dummies, 3-4 reference
    cols = []
    for c in DRIVERS:
        r = cc[c].to_numpy(float)
        cols += [(r <= 2).astype(float), (r == 5).astype(float)]
    beta, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), *cols]), y, rcond=None)
    ratio = {c: -beta[1 + 2 * i] / max(beta[2 + 2 * i], 1e-3) for i, c in enumerate(DRIVERS)}
    others = max(v for c, v in ratio.items() if c != "billing_clarity")
    assert ratio["billing_clarity"] > 1.5 * others
    assert beta[1 + 2 * DRIVERS.index("billing_clarity")] < -0.3


def test_nps_drop_in_latest_quarter(survey, full):
    drop = full.truth.nps_drop
    assert drop["plan"] == "standard" and drop["quarter"] == "2026Q3"
    assert -25 <= drop["latent_nps_change_vs_previous_quarter"] <= -12
    for plan in ("basic", "standard", "premium"):
        a = survey.loc[(survey["plan"] == plan) & (survey["quarter"] == "2026Q3"), "ltr"]
        b = survey.loc[(survey["plan"] == plan) & (survey["quarter"] == "2026Q2"), "ltr"]
        (na, va, n1), (nb, vb, n2) = _nps_and_var(a), _nps_and_var(b)
        z = (na - nb) / np.sqrt(va / n1 + vb / n2)  # two-sample Wald z (METHODS.md)
        if plan == "standard":
            assert z < -2.58 and -0.30 <= na - nb <= -0.08
        else:
            assert abs(z) < 2.58, plan


def test_country_styles_without_true_difference(survey, full):
    raw = survey.groupby("country")["ltr"].mean()
    assert raw["JP"] < raw["DE"] < raw["US"] < raw["BR"]
    assert raw["MX"] - raw["JP"] > 0.7
    # extremity: BR/MX use the end points more than JP
    ext = survey.groupby("country")["ltr"].apply(lambda x: ((x == 10) | (x <= 3)).mean())
    assert ext["BR"] > ext["JP"] and ext["MX"] > ext["JP"]
    latent = full.truth.realized["latent_nps_by_country"]
    assert max(latent.values()) - min(latent.values()) < 5
    assert full.truth.country_styles["true_latent_difference"] == 0.0
    # churn (a behaviour, free of response style) is the same across countries
    start = cx.quarter_bounds("2023Q4")[0]
    end = cx.quarter_bounds("2026Q3")[1]
    rates = {}
    for ctry, cust in full.customers.groupby("country"):
        months, events = _customer_months(cust, start, end)
        rates[ctry] = events / months
    assert max(rates.values()) / min(rates.values()) < 1.25


def test_detractor_churn_multiple_of_promoter(survey, full):
    hr = full.truth.churn["hazard_ratio_by_nps_group"]
    assert hr == {"detractor": 3.0, "passive": 1.5, "promoter": 1.0}
    # hazard acts on the group the survey measures that quarter: follow each respondent
    # from the response to the end of its quarter (over 90 days the ratio attenuates to ~2)
    m = survey.merge(full.customers[["customer_id", "churn_date"]], on="customer_id")
    horizon = m["quarter"].map(lambda q: cx.quarter_bounds(q)[1])
    stop = m["churn_date"].where(m["churn_date"] < horizon, horizon)
    months = (stop - m["response_date"]).dt.total_seconds() / 86400 / (365.25 / 12)
    event = m["churn_date"] < horizon
    g = _groups(m["ltr"])
    rate = {k: event[g == k].sum() / months[g == k].sum() for k in (-1, 0, 1)}
    assert 2.0 <= rate[-1] / rate[1] <= 4.0
    assert rate[1] < rate[0] < rate[-1]


def test_negative_episode_lowers_satisfaction_and_raises_churn(survey, full):
    ep = full.truth.negative_episode
    assert ep["satisfaction_effect"] < 0 and ep["churn_hazard_ratio_after_episode"] > 1
    neg = full.journeys.loc[full.journeys["valence"] == -1, ["customer_id", "quarter", "timestamp"]]
    first = neg.groupby(["customer_id", "quarter"], as_index=False)["timestamp"].min()
    m = survey.merge(first, on=["customer_id", "quarter"], how="left")
    had = m["timestamp"].notna() & (m["timestamp"] < m["response_date"])
    assert m.loc[~had, "osat"].mean() - m.loc[had, "osat"].mean() > 0.25
    # churn in the quarter of the episode vs customer-quarters without one
    c = full.customers.set_index("customer_id")
    churn_q = cx.quarter_of(c["churn_date"])
    rows = []
    for q in cx.quarter_range("2026Q3", 12):
        qs, qe = cx.quarter_bounds(q)
        alive = c.index[(c["signup_date"] < qe) & (c["churn_date"].isna() | (c["churn_date"] >= qs))]
        hit = set(first.loc[first["quarter"] == q, "customer_id"])
        flag = np.isin(alive, list(hit))
        rows.append(pd.DataFrame({"episode": flag, "churned": (churn_q.loc[alive] == q).to_numpy()}))
    r = pd.concat(rows).groupby("episode")["churned"].mean()
    assert r[True] / r[False] > 1.5


def test_reopens_lower_touchpoint_csat(full):
    assert full.truth.touchpoint_csat["reopen_effect_per_reopen"] < 0
    tp = full.touchpoints.dropna(subset=["ticket_id"]).merge(
        full.tickets[["ticket_id", "reopen_count"]], on="ticket_id"
    )
    means = tp.groupby(tp["reopen_count"] > 0)["csat"].mean()
    assert means[False] - means[True] > 0.4


def test_incident_quarter_hits_reliability(survey, full):
    inc = full.truth.incident
    assert inc["driver"] == "reliability"
    means = survey.groupby("quarter")["reliability"].mean()
    q = inc["quarter"]
    assert means[q] < means.drop(q).min() - 0.3
    others = [c for c in DRIVERS if c != "reliability"]
    drift = survey.groupby("quarter")[others].mean()
    assert (drift.loc[q] - drift.drop(q).mean()).abs().max() < 0.2


def test_observable_churn_truth_consistent_with_realised_churn(full):
    """The observable-scale hazard ratios (planted hazard integrated over exposure) agree
    with the same Poisson model fitted to the realised churn events (its std error is stored)."""
    obs = full.truth.churn["observable"]
    exp_hr, real_hr = obs["population_hazard_ratios"], obs["realised_events_hazard_ratios"]
    se = obs["realised_events_std_err_log_detractor"]
    assert abs(np.log(real_hr["nps_group[detractor]"] / exp_hr["nps_group[detractor]"])) < 3 * se
    # reported groups keep the planted ordering, a little attenuated by the response styles
    hr = obs["hazard_ratio_by_reported_nps_group"]
    assert 1.0 < hr["passive"] <= 1.5 < hr["detractor"] <= 3.0
    # plan and episode effects are not diluted (they are measured without style)
    assert abs(obs["hazard_ratios"]["plan[premium]"] - 0.70) < 0.02
    assert abs(obs["negative_episode_hazard_ratio"] - 1.6) < 0.05
    c = obs["crude_monthly_hazard_by_reported_group"]
    assert c["promoter"] < c["passive"] < c["detractor"]


# ----------------------------------------------------------------------------- generator 1.1 (issue 12)
def _switched_tickets(full) -> pd.DataFrame:
    """Tickets with the channel of their ticket_resolved journey event (matched on customer and time)."""
    res = full.journeys.loc[full.journeys["touchpoint"] == "ticket_resolved", ["customer_id", "timestamp", "channel"]]
    t = full.tickets.merge(res.rename(columns={"timestamp": "resolved_at", "channel": "end_channel"}),
                           on=["customer_id", "resolved_at"], how="left")
    t = t.drop_duplicates("ticket_id")
    return t.assign(switched=t["end_channel"].notna() & (t["end_channel"] != t["channel"]))


def test_channel_switching_lowers_ticket_csat_and_effort(full, survey):
    sw = full.truth.channel_switching
    assert sw["touchpoint_csat_latent_effect"] < 0 and sw["effort_latent_penalty"] > 0
    t = _switched_tickets(full)
    assert t["end_channel"].notna().mean() > 0.95
    assert not t.loc[t["contacts"] == 1, "switched"].any()  # only multi-contact tickets switch
    share = t.loc[t["contacts"] >= 2, "switched"].mean()
    assert abs(share - sw["probability_given_multiple_contacts"]) < 0.03
    # csat of the ticket's survey: switched vs not, among multi-contact tickets (switching is random there)
    tp = full.touchpoints.dropna(subset=["ticket_id"]).merge(t[["ticket_id", "switched", "contacts"]], on="ticket_id")
    tp = tp.loc[tp["contacts"] >= 2]
    a, b = tp.loc[tp["switched"], "csat"].astype(float), tp.loc[~tp["switched"], "csat"].astype(float)
    diff, se = a.mean() - b.mean(), np.sqrt(a.var() / len(a) + b.var() / len(b))
    assert abs(diff - sw["observed"]["ticket_csat_change"]) < 3 * se and diff < -0.4
    # effort: respondents whose quarter had a switched ticket report a harder experience
    tq = t.assign(quarter=cx.quarter_of(t["created_at"])).groupby(["customer_id", "quarter"])["switched"].any()
    m = survey.merge(tq.rename("any_switch").reset_index(), on=["customer_id", "quarter"])
    ces = m.groupby("any_switch")["ces"].mean()
    assert ces[True] - ces[False] < -0.5 and sw["observed"]["ces_change"] < -0.5


def test_recovery_after_a_negative_episode_is_planted(full, survey):
    rec = full.truth.episode_recovery
    assert rec["quarters_until_recovered"] == {"without_followup": 3, "with_followup": 2}
    obs = rec["observed"]
    no, fu = obs["without_followup"], obs["with_followup"]
    assert no["0"]["osat"] < no["1"]["osat"] < no["2"]["osat"] < 0 == no["3"]["osat"]
    assert no["1"]["osat"] < fu["1"]["osat"] < 0 == fu["2"]["osat"]
    assert no["1"]["churn_probability"] > fu["1"]["churn_probability"] > 0
    # independent look: respondents hit one quarter earlier (none in this quarter) vs never hit in 3 quarters
    ep = full.journeys.loc[full.journeys["valence"] == -1, ["customer_id", "quarter"]].drop_duplicates()
    qs = cx.quarter_range("2026Q3", 12)
    nxt = dict(zip(qs[:-1], qs[1:], strict=True))
    hit = {(c, q) for c, q in zip(ep["customer_id"], ep["quarter"], strict=True)}
    prev = {(c, nxt[q]) for c, q in hit if q in nxt}
    prev2 = {(c, nxt[nxt[q]]) for c, q in hit if q in nxt and nxt[q] in nxt}
    key = list(zip(survey["customer_id"], survey["quarter"], strict=True))
    now = np.array([k in hit for k in key])
    lag1 = np.array([k in prev for k in key]) & ~now
    clean = ~now & ~np.array([k in prev for k in key]) & ~np.array([k in prev2 for k in key])
    osat = survey["osat"].astype(float).to_numpy()
    assert np.nanmean(osat[lag1]) - np.nanmean(osat[clean]) < -0.15
    # a follow-up (proactive help within days of the episode) is in the journeys
    fu_ev = cx.negative_episodes(full.journeys)
    assert abs(fu_ev["followed_up"].mean() - rec["followup"]["probability"]) < 0.03


def test_peak_end_memory_and_event_surveys(full):
    pe = full.truth.peak_end
    assert pe["weight_worst"] > 0 and pe["weight_last"] > 0 and pe["weight_mean"] == 0
    assert pe["responses_with_touchpoints"]["2+"] > 2000
    tp = full.touchpoints
    means = tp.groupby("touchpoint")["csat"].mean()
    for bad in ("service_outage", "billing_error", "failed_support_contact"):
        assert means[bad] < means["login"] - 0.8, bad  # negative episodes are scored low
    assert means["proactive_help"] > means["login"]
