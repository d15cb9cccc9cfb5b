"""Ticket-level channel switching (issue 12, "Omnichannel consistency"): the per-ticket flag,
the stratified effect on ticket CSAT and on the customer's CES, their chart and findings, and
the touchpoint scorecard on an effort rating.

References: a hand-built example (numbers worked out in the comments); statsmodels OLS / WLS
of the fully interacted regression with HC2 standard errors (the same rows, to 1e-8); the
synthetic generator's planted, observed effect (``truth.json`` ``channel_switching.observed``:
the mean of answer − answer without the switch) on seed 29, which no other test uses;
repeated sampling (100 CES-like samples built like the generator's: the standardised error
of the interval is ~ N(0, 1)). The calibration over many generator seeds is
``benchmarks/check_switching_calibration.py`` (too slow for the suite; output in
``data/README.md`` item 11).
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import cxlib as cx
from cxlib.errors import CXDataError

matplotlib.use("Agg")


# ----------------------------------------------------------------------------- the flag
def _tickets() -> pd.DataFrame:
    return pd.DataFrame({"ticket_id": [1, 2, 3, 4], "customer_id": [7, 7, 8, 9],
                         "channel": ["chat", "email", "phone", "chat"],
                         "resolved_at": pd.to_datetime(["2026-01-02 10:00", "2026-01-05 00:00", "2026-01-03 00:00",
                                                        "2026-02-01 00:00"])})


def _events() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [7, 7, 7, 8, 8, 9],
        "timestamp": pd.to_datetime(["2026-01-01 00:00:00", "2026-01-02 10:00:20", "2026-01-05 00:00:00",
                                     "2026-01-03 00:00:00", "2026-01-03 00:00:00", "2026-03-01 00:00:00"]),
        "touchpoint": ["ticket_opened", "ticket_resolved", "ticket_resolved", "login", "ticket_resolved",
                       "ticket_resolved"],
        "channel": ["chat", "phone", "email", "web", "chat", "chat"],
        "ticket": [1, 1, 2, None, 3, 4]})


def test_ticket_switches_by_time_match_hand_built():
    out = cx.ticket_switches(_tickets(), events=_events())
    # ticket 1: resolved by phone 20 s after resolved_at (within 1 min); 2: email = email; 3: the login at the same
    # time is not a resolution step, the chat resolution is; 4: the only resolution is a month late -> unknown
    assert out["resolved_channel"].tolist()[:3] == ["phone", "email", "chat"]
    assert pd.isna(out["resolved_channel"].iloc[3])
    assert out["switched"].tolist()[:3] == [True, False, True]
    assert out["switched"].isna().tolist() == [False] * 3 + [True]
    assert str(out["switched"].dtype) == "boolean"
    # a wider tolerance reaches ticket 4's resolution; a zero one loses ticket 1's
    assert cx.ticket_switches(_tickets(), events=_events(), tolerance="40D")["switched"].iloc[3] == False
    assert pd.isna(cx.ticket_switches(_tickets(), events=_events(), tolerance="0s")["switched"].iloc[0])


def test_ticket_switches_by_ticket_id_and_by_column():
    out = cx.ticket_switches(_tickets(), events=_events(), event_ticket="ticket")
    assert out["resolved_channel"].tolist() == ["phone", "email", "chat", "chat"]
    assert out["switched"].tolist() == [True, False, True, False]
    # resolved_step=None with a ticket id: the ticket's last event of any step
    ev = _events().assign(touchpoint=lambda d: d["touchpoint"].replace("ticket_resolved", "reply"))
    last = cx.ticket_switches(_tickets(), events=ev, event_ticket="ticket", resolved_step=None)
    assert last["switched"].tolist() == [True, False, True, False]
    tk = _tickets().assign(closed_in=["chat", None, "email", "chat"])
    col = cx.ticket_switches(tk, resolution_channel="closed_in")
    assert "resolved_channel" not in col and col["switched"].tolist()[0] is False
    assert pd.isna(col["switched"].iloc[1]) and col["switched"].iloc[2]
    assert list(tk.columns) == ["ticket_id", "customer_id", "channel", "resolved_at", "closed_in"]  # not modified


def test_ticket_switches_bad_input():
    with pytest.raises(CXDataError, match="'chanel'"):
        cx.ticket_switches(_tickets(), events=_events(), channel="chanel")
    with pytest.raises(CXDataError, match=r"repeats ids \[7\].*2 rows"):
        cx.ticket_switches(_tickets().assign(ticket_id=[7, 7, 8, 9]), events=_events())
    with pytest.raises(CXDataError, match="give `events`"):
        cx.ticket_switches(_tickets())
    with pytest.raises(CXDataError, match="'closed'.*steps present"):
        cx.ticket_switches(_tickets(), events=_events(), resolved_step="closed")
    with pytest.raises(CXDataError, match="already has the column"):
        cx.ticket_switches(_tickets().assign(switched=True), events=_events())
    with pytest.raises(CXDataError, match="timestamp"):
        cx.ticket_switches(_tickets(), events=_events().assign(timestamp="not a date"))


# ----------------------------------------------------------------------------- the effect
def _hand() -> pd.DataFrame:
    return pd.DataFrame({"contacts": [2, 2, 2, 2, 3, 3, 3, 3, 3, 1, 1],
                         "switched": [True, True, False, False, True, True, True, False, False, False, False],
                         "csat": [2, 3, 4, 5, 1, 2, 3, 3, 4, 5, 5]})


def test_switching_effect_hand_built():
    r = cx.switching_effect(_hand(), outcome="csat", min_base=2)
    # stratum 2: 2.5 - 4.5 = -2, V = 0.5/2 + 0.5/2 = 0.5; stratum 3: 2 - 3.5 = -1.5, V = 1/3 + 0.5/2 = 7/12;
    # contacts 1 has no switched ticket (weight 0); weights by switched counts 2/5, 3/5
    assert math.isclose(r.estimate, 0.4 * -2 + 0.6 * -1.5, abs_tol=1e-12)
    assert math.isclose(r.std_err, math.sqrt(0.16 * 0.5 + 0.36 * 7 / 12), abs_tol=1e-12)
    z = 1.959963984540054
    assert math.isclose(r.ci_low, r.estimate - z * r.std_err, abs_tol=1e-9)
    assert (r.n_switched, r.n_other, r.n) == (5, 4, 9)  # contacts 1 is not compared
    assert math.isclose(r.switched, 0.4 * 2.5 + 0.6 * 2, abs_tol=1e-12)
    assert math.isclose(r.other, 0.4 * 4.5 + 0.6 * 3.5, abs_tol=1e-12)
    assert r.strata["weight"].tolist() == [0.0, 0.4, 0.6] and r.strata["compared"].tolist() == [False, True, True]
    assert r.small_base is False and cx.switching_effect(_hand(), outcome="csat").small_base is True
    assert r.to_frame().shape == (1, 18)


def _random_frame(seed: int, n: int = 900) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    contacts = rng.integers(1, 5, n)
    switched = (contacts >= 2) & (rng.random(n) < 0.25 + 0.1 * contacts)
    y = 4.2 - 0.3 * contacts - 0.6 * switched + rng.normal(0, 1, n) * (1 + 0.3 * switched)
    return pd.DataFrame({"contacts": contacts, "switched": switched, "y": y, "w": rng.uniform(0.3, 3.0, n),
                         "region": rng.choice(["a", "b"], n), "customer": rng.integers(0, n // 3, n)})


def _interacted_fit(df: pd.DataFrame, strata: list[str], weights: str | None, cluster: str | None = None):
    """statsmodels: y ~ switched + stratum dummies + switched x (dummies - their switched mean), HC2 or
    cluster-robust (statsmodels' default small-sample correction G/(G-1)(N-1)/(N-K))."""
    key = df[strata].astype(str).agg("/".join, axis=1)
    dummies = pd.get_dummies(key, drop_first=True, dtype=float)
    s = df["switched"].astype(float)
    wts = np.ones(len(df)) if weights is None else df[weights].to_numpy(float)
    centre = (dummies.mul(s * wts, axis=0).sum() / (s * wts).sum())  # the switched rows' (weighted) mix
    inter = (dummies - centre).mul(s, axis=0).add_prefix("sx_")
    x = sm.add_constant(pd.concat([s.rename("switched"), dummies, inter], axis=1))
    model = sm.OLS(df["y"], x) if weights is None else sm.WLS(df["y"], x, weights=wts)
    if cluster is not None:
        return model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(df[cluster])[0]})
    return model.fit(cov_type="HC2")


@pytest.mark.parametrize("cluster", [None, "customer"])
@pytest.mark.parametrize("weights", [None, "w"])
@pytest.mark.parametrize("strata", [["contacts"], ["contacts", "region"]])
def test_switching_effect_equals_statsmodels_interacted_regression(weights, strata, cluster):
    df = _random_frame(29)
    r = cx.switching_effect(df, outcome="y", strata=strata, weights=weights, cluster=cluster)
    used = df[df["contacts"] >= 2]  # the compared strata (contacts 1 never switches)
    fit = _interacted_fit(used, strata, weights, cluster)
    assert abs(r.estimate - fit.params["switched"]) < 1e-8
    assert abs(r.std_err - fit.bse["switched"]) < 1e-8
    lo, hi = fit.conf_int(alpha=0.05).loc["switched"]
    assert abs(r.ci_low - lo) < 1e-8 and abs(r.ci_high - hi) < 1e-8
    assert abs(r.p_value - fit.pvalues["switched"]) < 1e-8
    if weights is not None:
        sw = used.loc[used["switched"], "w"].to_numpy()
        assert math.isclose(r.n_eff_switched, sw.sum() ** 2 / (sw ** 2).sum(), rel_tol=1e-12)


_CES_CUTS = np.array([-1.75, -1.25, -0.85, -0.45, 0.20, 0.95])  # latent -> 1..7, as the generator's CES


def _effort_sample(rng: np.random.Generator, n_customers: int = 400, quarters: int = 3) -> tuple[pd.DataFrame, float]:
    """A CES-like sample built like the generator's: customers answering several quarters
    (person effect), a reopen penalty, 1-3 multi-contact tickets, each switching with
    probability .5, a latent penalty .55 cut to 1-7; and its planted effect, the mean of
    answer − answer without the switch over the switched rows (sample ATT)."""
    n = n_customers * quarters
    cust = np.repeat(np.arange(n_customers), quarters)
    multi = 1 + (rng.random(n) < 0.15) + (rng.random(n) < 0.05)
    switched = rng.random(n) < 1 - 0.5 ** multi
    base = rng.normal(0, 0.7, n_customers)[cust] - 0.6 * (rng.random(n) < 0.35) + rng.normal(0, 0.7, n)
    y = np.searchsorted(_CES_CUTS, base - 0.55 * switched, side="right") + 1.0
    y0 = np.searchsorted(_CES_CUTS, base, side="right") + 1.0
    return (pd.DataFrame({"customer": cust, "multi": multi, "switched": switched, "ces": y}),
            float((y - y0)[switched].mean()))


def test_switching_effect_interval_is_calibrated_in_repeated_samples():
    # brute force: 100 samples; (estimate − planted sample ATT) / std_err should be ~ N(0, 1)
    # (issue 12: on the generator the CES z-scores of 8 seeds had SD ≈ 1.6)
    rng = np.random.default_rng(2029)
    z = []
    for _ in range(100):
        df, planted = _effort_sample(rng)
        r = cx.switching_effect(df, outcome="ces", strata="multi", cluster="customer")
        z.append((r.estimate - planted) / r.std_err)
    z = np.array(z)
    assert abs(z.mean()) < 0.35  # SE of the mean of 100 z: 0.1
    assert 0.8 < z.std(ddof=1) < 1.25  # SE of the SD: 0.07
    assert np.mean(np.abs(z) < 1.96) >= 0.88


def test_switching_effect_bad_input():
    with pytest.raises(CXDataError, match="'ces'"):
        cx.switching_effect(_hand(), outcome="ces")
    with pytest.raises(CXDataError, match=r"true/false.*\['yes'\].*1 rows"):
        cx.switching_effect(_hand().assign(switched=["yes"] + [False] * 10), outcome="csat")
    with pytest.raises(CXDataError, match="no stratum"):
        cx.switching_effect(_hand().iloc[[0, 2, 3]], outcome="csat")
    with pytest.raises(CXDataError, match="csat"):
        cx.switching_effect(_hand().assign(csat=[9] + [3] * 10), outcome="csat", scale=(1, 5))


def test_ticket_switching_csat_and_effort_hand_built():
    sw = pd.DataFrame({"ticket_id": range(1, 9), "customer_id": [1, 1, 2, 3, 4, 5, 6, 6],
                       "contacts": [1, 2, 2, 2, 2, 3, 3, 7],
                       "switched": pd.array([False, True, True, False, False, True, False, None], dtype="boolean"),
                       "created_at": pd.to_datetime(["2026-07-02"] * 7 + ["2026-04-01"])})
    tp = pd.DataFrame({"ticket_id": pd.array([1, 2, 3, 4, 5, 6, 7, 8, None], dtype="Int64"),
                       "csat": [5, 2, 3, 4, 5, 2, 3, 4, 5]})
    r = cx.ticket_switching_csat(sw, tp, min_base=1)  # clustered by customer: 1 has tickets 1 and 2
    # contacts 2: switched 2, 3 vs 4, 5 -> -2; contacts 3: one switched, one other -> not compared; 8 unknown
    assert (r.n_switched, r.n_other, r.n_switched_unmatched, r.estimate) == (2, 2, 1, -2.0)
    sv = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6, 9], "quarter": "2026Q3", "ces": [3, 4, 6, 7, 2, 5, 7],
                       "weight": [1.0, 1, 1, 1, 1, 1, 1]})
    e = cx.ticket_switching_effort(sw, sv, min_base=1)
    # multi-contact tickets in 2026Q3: customers 1, 2, 3, 4, 5, 6 have one each (6's 2026Q2 ticket is another quarter);
    # switched: 1, 2, 5 (3, 4 and 6 not) -> (3 + 4 + 2) / 3 - (6 + 7 + 5) / 3 = -3
    assert (e.n_switched, e.n_other) == (3, 3) and math.isclose(e.estimate, -3.0)
    assert e.strata["multi_contact_tickets"].tolist() == [1]
    ew = cx.ticket_switching_effort(sw, sv, weights="weight", min_base=1)
    assert math.isclose(ew.estimate, e.estimate) and math.isclose(ew.std_err, e.std_err, rel_tol=0.3)
    with pytest.raises(CXDataError, match="no touchpoint response"):
        cx.ticket_switching_csat(sw, tp.assign(ticket_id=pd.array([99] * 9, dtype="Int64")))
    with pytest.raises(CXDataError, match="whole counts"):
        cx.ticket_switching_csat(sw.assign(contacts=[1.5] * 8), tp)
    # the hand-built standard error: contacts 2 only, each arm s^2/n = 0.5/2; customers 1-4 one survey each there
    assert math.isclose(cx.ticket_switching_csat(sw, tp, cluster=None, min_base=1).std_err, math.sqrt(0.5))
    with pytest.raises(CXDataError, match="'client'"):
        cx.ticket_switching_csat(sw, tp, cluster="client")
    with pytest.raises(CXDataError, match="'quarter'"):
        cx.ticket_switching_effort(sw, sv.drop(columns="quarter"))


def test_ticket_switch_share_wilson():
    from statsmodels.stats.proportion import proportion_confint

    sw = pd.DataFrame({"contacts": [1] * 10 + [2] * 8, "switched": [False] * 10 + [True] * 3 + [False] * 5})
    t = cx.ticket_switch_share(sw).set_index("tickets")
    lo, hi = proportion_confint(3, 8, method="wilson")
    assert math.isclose(t.loc["2+ contacts", "ci_low"], lo, abs_tol=1e-12)
    assert math.isclose(t.loc["2+ contacts", "ci_high"], hi, abs_tol=1e-12)
    assert t.loc["all", "n"] == 18 and t.loc["all", "estimate"] == 3 / 18


# ----------------------------------------------------------------------------- planted truth
@pytest.fixture(scope="module")
def seed29():
    d = cx.synthesize(29)
    return d, cx.ticket_switches(d.tickets, events=d.journeys)


def test_recovers_planted_switching_effects_seed_29(seed29):
    d, sw = seed29
    truth = d.truth.channel_switching["observed"]  # mean of (answer - answer without the switch)
    # every switched ticket has 2+ contacts, and about half of those switch (probability .5)
    assert not sw.loc[sw["contacts"] == 1, "switched"].fillna(False).any()
    multi = sw.loc[sw["contacts"] >= 2, "switched"].dropna()
    assert abs(multi.mean() - d.truth.channel_switching["probability_given_multiple_contacts"]) < 3 * math.sqrt(
        0.25 / len(multi))
    csat = cx.ticket_switching_csat(sw, d.touchpoints)
    assert csat.n_switched == truth["n_ticket_surveys"]  # every switched ticket's survey is found
    assert csat.ci_low <= truth["ticket_csat_change"] <= csat.ci_high, (csat.to_frame(), truth)
    survey = cx.drop_duplicate_responses(d.survey)[0]
    ces = cx.ticket_switching_effort(sw, survey)
    assert ces.ci_low <= truth["ces_change"] <= ces.ci_high, (ces.to_frame(), truth)
    weighted = cx.ticket_switching_effort(sw, survey, weights="weight")
    assert weighted.ci_low <= truth["ces_change"] <= weighted.ci_high
    assert weighted.n_eff_switched < weighted.n_switched
    # the journey-level comparison misses most of it: a journey mixes switched tickets with other events
    assert csat.ci_high < -0.5


# ----------------------------------------------------------------------------- chart and findings
def test_plot_switching_effect_draws_the_result():
    r = cx.switching_effect(_hand(), outcome="csat", min_base=2)
    ax = cx.plot_switching_effect(r, label="Ticket CSAT", stratum_label="contacts")
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and ln.get_ydata()[0] == ln.get_ydata()[1]]
    z = 1.959963984540054
    overall = lines[-1].get_xdata()
    assert np.allclose(overall, [r.ci_low, r.ci_high])
    st = r.strata[r.strata["compared"]]
    assert np.allclose(lines[0].get_xdata(), [st["diff"].iloc[0] - z * st["std_err"].iloc[0],
                                              st["diff"].iloc[0] + z * st["std_err"].iloc[0]])
    assert "Ticket CSAT" in ax.get_xlabel()
    with pytest.raises(CXDataError):
        cx.plot_switching_effect(r.to_frame())


def test_switching_findings_and_key_figures_quote_the_results():
    r = cx.switching_effect(_hand(), outcome="csat", min_base=2)
    share = cx.ticket_switch_share(_hand())
    text = cx.report.switching_findings(share, r, r, csat_label="Ticket CSAT", effort_label="CES")
    assert text[0].startswith(f"{100 * 5 / 9:.1f}% ") and "(5 of 9; 45.5% of all 11 tickets)" in text[0]
    assert f"{r.estimate:+.2f} points" in text[1] and "; 5 vs 4 surveys)." in text[1]
    assert text[1].startswith("Tickets resolved in another channel than they were opened in: Ticket CSAT 2.20 vs 3.90")
    assert text[2].startswith("Customers with such a ticket in the quarter: CES 2.20")
    small = cx.switching_effect(_hand(), outcome="csat")
    assert "suppressed (n = 4 < minimum base 30)" in cx.report.switching_findings(csat=small)[0]
    figs = cx.report.switching_key_figures(share, r, None)
    assert figs["switching effect on csat (ticket survey)"]["estimate"] == r.estimate
    assert figs["tickets switched (2+ contacts)"]["n"] == 9
    table = cx.report.switching_table({"Ticket CSAT": r, "CES": None}).to_frame()
    assert len(table) == 1 and table.iloc[0, 1] == f"{r.estimate:.2f}"
    with pytest.raises(CXDataError):
        cx.report.switching_findings(csat=share)


# ----------------------------------------------------------------------------- touchpoint CES
def test_touchpoint_scorecard_on_an_effort_rating_equals_the_metric_core():
    rng = np.random.default_rng(29)
    n = 800
    tp = pd.DataFrame({"quarter": rng.choice(["2026Q2", "2026Q3"], n),
                       "touchpoint": rng.choice(["billing", "support"], n),
                       "channel": rng.choice(["chat", "phone"], n), "effort": rng.integers(1, 8, n)})
    card = cx.touchpoint_scorecard(tp, channel="channel", score="effort", metric="ces", scale=(1, 7), min_base=10)
    mean = cx.touchpoint_scorecard(tp, channel="channel", score="effort", metric="mean_score", min_base=10)
    assert len(card.table) == 4 and card.metric == "ces"
    for _, row in card.table.iterrows():
        cell = tp[(tp["touchpoint"] == row["touchpoint"]) & (tp["channel"] == row["channel"])]
        now, before = cell[cell["quarter"] == "2026Q3"], cell[cell["quarter"] == "2026Q2"]
        direct = cx.ces(now, score="effort", scale=(1, 7))
        assert (row["estimate"], row["ci_low"], row["ci_high"], row["n"]) == pytest.approx(
            (direct.estimate, direct.ci_low, direct.ci_high, direct.n), abs=1e-12)
        assert row["previous"] == pytest.approx(cx.ces(before, score="effort", scale=(1, 7)).estimate, abs=1e-12)
        m = mean.table.set_index(["touchpoint", "channel"]).loc[(row["touchpoint"], row["channel"])]
        assert m["estimate"] == pytest.approx(cx.mean_score(now, score="effort").estimate, abs=1e-12)


# ----------------------------------------------------------------------------- notebook 05 on a helpdesk export
EASE, SAT = "How easy was it to get help", "Satisfied with the answer"
HELPDESK_STUDY = f"""\
[study]
title = "Helpdesk study"
wave = "2025Q4"

[sources.survey]
path = "answers.csv"

[sources.tickets]
path = "cases.csv"

[sources.touchpoints]
path = "feedback.csv"

[roles.survey]
respondent_id = "Respondent"
customer_id = "Account"
satisfaction = "Overall satisfaction"
effort = "{EASE}"

[roles.tickets]
ticket_id = "Case"
customer_id = "Account"
opened = "Opened"
resolved = "Closed"
contacts = "Touches"
channel = "Opened via"
resolved_channel = "Closed via"

[roles.touchpoints]
touchpoint_id = "Feedback"
customer_id = "Account"
date = "Sent"
touchpoint = "Moment"
channel = "Via"
csat = "{SAT}"
ticket_id = "Case"
effort = "Effort"

[scales.satisfaction]
points = [1, 5]

[scales.effort]
points = [1, 7]

[scales.csat]
points = [1, 5]
"""


def _helpdesk(root) -> None:
    """Accounts with cases (opened and closed in a channel, switched on some multi-touch cases), a feedback
    survey after each case and after other moments (satisfaction and an effort rating), and one survey wave."""
    rng = np.random.default_rng(29)
    n_acc, n_case = 500, 900
    acc = rng.integers(0, n_acc, n_case)
    touches = rng.choice([1, 1, 2, 3], n_case)
    opened_via = rng.choice(["phone", "chat", "e-mail"], n_case)
    switched = (touches >= 2) & (rng.random(n_case) < 0.5)
    closed_via = np.where(switched, np.where(opened_via == "phone", "chat", "phone"), opened_via)
    opened = pd.Timestamp("2025-10-01") + pd.to_timedelta(rng.uniform(0, 80, n_case), unit="D")
    cases = pd.DataFrame({"Case": [f"K{i}" for i in range(n_case)], "Account": [f"A{a}" for a in acc],
                          "Opened": opened, "Closed": opened + pd.Timedelta("2D"), "Touches": touches,
                          "Opened via": opened_via, "Closed via": closed_via})
    sat = np.clip(np.round(4.2 - 0.3 * touches - 1.0 * switched + rng.normal(0, 0.8, n_case)), 1, 5).astype(int)
    other = 300
    feedback = pd.DataFrame({
        "Feedback": [f"F{i}" for i in range(n_case + other)],
        "Account": [f"A{a}" for a in np.concatenate([acc, rng.integers(0, n_acc, other)])],
        "Sent": list(cases["Closed"] + pd.Timedelta("1D")) + list(pd.Timestamp("2025-10-05") + pd.to_timedelta(
            rng.uniform(0, 80, other), unit="D")),
        "Moment": ["support case"] * n_case + list(rng.choice(["billing", "onboarding"], other)),
        "Via": list(opened_via) + list(rng.choice(["web", "app"], other)),
        SAT: list(sat) + list(rng.integers(2, 6, other)),
        "Case": list(cases["Case"]) + [None] * other,
        "Effort": rng.integers(1, 8, n_case + other)})
    hit = pd.Series(switched).groupby(acc).any().reindex(range(n_acc), fill_value=False).to_numpy()
    ease = np.clip(np.round(5.0 - 1.2 * hit + rng.normal(0, 1.2, n_acc)), 1, 7).astype(int)
    answers = pd.DataFrame({"Respondent": [f"R{i}" for i in range(n_acc)], "Account": [f"A{i}" for i in range(n_acc)],
                            "Overall satisfaction": rng.integers(1, 6, n_acc), EASE: ease})
    answers.to_csv(root / "answers.csv", index=False)
    cases.to_csv(root / "cases.csv", index=False)
    feedback.to_csv(root / "feedback.csv", index=False)
    (root / "study.toml").write_text(HELPDESK_STUDY, encoding="utf-8")


@pytest.mark.notebook
def test_journeys_notebook_on_a_helpdesk_export_with_resolution_channels(run_notebook, tmp_path):
    _helpdesk(tmp_path)
    result = cx.import_study(tmp_path / "study.toml")
    res, figs, html = run_notebook("05_journeys", run="helpdesk", quarter="2025Q4", data_dir=str(result.path),
                                   n_boot=10)
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    assert roles.column("resolved_channel", "tickets") == "Closed via"
    assert roles.column("effort", "touchpoints") == "Effort"
    # the same analyses called directly on the imported tables
    sw = cx.ticket_switches(data.tickets, ticket="Case", channel="Opened via", resolution_channel="Closed via")
    csat = cx.ticket_switching_csat(sw, data.touchpoints, ticket="Case", score=SAT, contacts="Touches",
                                    scale=(1, 5))
    ces = cx.ticket_switching_effort(sw, data.survey, score=EASE, opened="Opened", contacts="Touches", scale=(1, 7))
    head = figs["headline"]
    for key, r in ((f"switching effect on {SAT} (ticket survey)", csat),
                   (f"switching effect on {EASE} (relationship survey)", ces)):
        assert head[key]["estimate"] == pytest.approx(r.estimate, abs=1e-12)
        assert head[key]["ci_low"] == pytest.approx(r.ci_low, abs=1e-12) and head[key]["n"] == r.n
    assert csat.ci_high < 0 and ces.ci_high < 0  # the planted switch penalties
    assert any(s.startswith(f"Tickets resolved in another channel than they were opened in: {SAT} ")
               for s in figs["findings"])
    # effort per touchpoint x channel (the touchpoints carry an effort rating): CES share on 1-7
    assert "Effort by touchpoint and channel" in html and "ask satisfaction only" not in html
    assert "Journeys and their paths is not part of this study" in html and not res.had_warnings
