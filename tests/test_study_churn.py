"""Notebook 03 (loyalty and churn) on a researcher's own data, end to end: study files on CSVs
with their own column names → ``cx.import_study`` → the notebook executed by papermill on the
imported directory → the rendered HTML and the key figures.

Two fixtures, written with pandas here:

- a survey-only study: a binary satisfied / not satisfied outcome written as text, one wave,
  no customers table (so no churn, no retention, no revenue at risk, no trend) — the notebook
  must still run to the end and report the loyalty share;
- a subscription study: a 0–10 recommend question, and a customers table whose signup and churn
  dates cover only four quarters (2025Q1–2025Q4), so a 12-month churn horizon has nobody at
  risk (the notebook used to fail there); the horizon is shortened by ``cx.churn_horizon``.

Expected numbers are computed from the fixture files with pandas and direct cxlib calls."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import cxlib as cx

#: Column names of the synthetic schema that must never show in a study's report.
SYNTHETIC_WORDS = ("ltr", "osat", "ces", "plan", "country", "monthly_revenue", "acquisition_channel", "signup_date",
                   "churn_date", "response_date", "product_quality", "value_for_money")

SATISFIED = "Were you satisfied with your stay"
REGION = "Region"
SURVEY_ONLY = f"""\
[study]
title = "Hotel guest survey"
wave = "2025Q4"

[sources.survey]
path = "guests.csv"

[roles.survey]
respondent_id = "Guest"
satisfaction = "{SATISFIED}"
segments = ["{REGION}"]

[scales.satisfaction]
values = {{ "No" = 0, "Yes" = 1 }}
"""

RECOMMEND = "How likely are you to recommend us to a friend"
ANSWERED, ACCOUNT, START, END, FEE, PACKAGE = "Answered on", "Account", "Start date", "End date", "Monthly fee", "Package"
SUBSCRIPTION = f"""\
[study]
title = "Broadband subscribers"

[sources.survey]
path = "answers.csv"

[sources.customers]
path = "accounts.csv"

[sources.transactions]
path = "add_ons.csv"

[roles.survey]
respondent_id = "RespID"
customer_id = "{ACCOUNT}"
date = "{ANSWERED}"
recommend = "{RECOMMEND}"

[roles.customers]
customer_id = "{ACCOUNT}"
signup_date = "{START}"
churn_date = "{END}"
revenue = "{FEE}"
segments = ["{PACKAGE}"]

[roles.transactions]
customer_id = "{ACCOUNT}"
date = "Bought on"
amount = "Price"

[scales.recommend]
points = [0, 10]
"""
END_OF_DATA = pd.Timestamp("2025-12-31")
AS_OF = cx.quarter_bounds("2025Q4")[1]


def _text(html: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)  # the charts' bytes are no words


def _no_synthetic_names(html: str, figs: dict) -> None:
    text = _text(html) + json.dumps(figs)
    found = [w for w in SYNTHETIC_WORDS if re.search(rf"\b{w}\b", text)]
    assert not found, found


# ---------------------------------------------------------------------------- survey only
def _guests(n: int = 260, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["North", "South"], size=n)
    sat = np.where(rng.random(n) < np.where(region == "North", 0.7, 0.55), "Yes", "No").astype(object)
    sat[rng.random(n) < 0.03] = None
    return pd.DataFrame({"Guest": [f"G{i:04d}" for i in range(n)], SATISFIED: sat, REGION: region})


@pytest.fixture(scope="module")
def survey_only(tmp_path_factory):
    root = tmp_path_factory.mktemp("hotel")
    guests = _guests()
    guests.to_csv(root / "guests.csv", index=False)
    (root / "study.toml").write_text(SURVEY_ONLY, encoding="utf-8")
    return guests, cx.import_study(root / "study.toml")


def test_survey_only_study_has_satisfaction_groups_and_no_churn(survey_only):
    _, result = survey_only
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    groups = cx.loyalty_groups(roles)
    assert groups.role == "satisfaction" and groups.levels == ("satisfied", "not satisfied")
    assert groups.move == ("satisfaction_group", "not satisfied", "satisfied")
    assert cx.churn_gap(data.customers, roles) == "no_customers"
    assert cx.report.churn_gap_text("Churn", gap="no_customers") == \
        "Churn is not part of this study: it has no customers table."


@pytest.mark.notebook
def test_loyalty_notebook_on_a_survey_only_study(survey_only, run_notebook):
    guests, result = survey_only
    res, figs, html = run_notebook("03_loyalty_and_churn", quarter="2025Q4", data_dir=str(result.path), n_boot=5)
    # the loyalty share equals a direct computation on the fixture file (unweighted; blanks excluded)
    answered = guests[SATISFIED].dropna()
    label = "Share satisfied (1 = Yes) (%)"
    assert set(figs["headline"]) == {label} and figs["horizon_months"] is None
    fig = figs["headline"][label]
    assert math.isclose(fig["estimate"], 100 * (answered == "Yes").mean(), rel_tol=1e-12)
    assert fig["n"] == len(answered) and fig["ci_low"] < fig["estimate"] < fig["ci_high"]
    # every churn section says so in one sentence and the notebook reaches its end
    text = _text(html)
    summary = text[text.index('<h2 id="Summary"'):text.index('<h2 id="Method')]
    assert "Churn (survival, retention and revenue at risk) is not part of this study: it has no customers table." \
        in summary
    for what in ("Survival by loyalty group", "Churn by loyalty group", "A churn model", "Retention by cohort",
                 "Revenue at risk", "Lifetime value"):
        assert f"{what} is not part of this study: it has no customers table." in text, what
    assert "Transaction-based lifetime value (BG/NBD) is not part of this study" in text
    # one wave: no trend, said once
    assert text.count("there is no trend") == 1 and "One wave (2025Q4)" in text
    body = text[text.index('<h2 id="Summary"'):]  # the question names detractors as an example
    assert "NPS" not in body and "promoter" not in body and "detractor" not in body.lower()
    assert not res.had_warnings
    _no_synthetic_names(html, figs)


# ---------------------------------------------------------------------------- four quarters of follow-up
def _add_ons(accounts: pd.DataFrame, seed: int = 8) -> pd.DataFrame:
    """Add-on purchases (films, data packs) of a third of the accounts, while they are subscribed."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, a in accounts.sample(frac=1 / 3, random_state=seed).iterrows():
        start = pd.Timestamp(a[START])
        stop = pd.Timestamp(a[END]) if isinstance(a[END], str) else END_OF_DATA
        for _ in range(1 + rng.poisson(2.0)):
            day = start + pd.Timedelta(days=int(rng.integers(0, max((stop - start).days, 1))))
            rows.append({ACCOUNT: a[ACCOUNT], "Bought on": day.strftime("%Y-%m-%d"),
                         "Price": float(rng.choice([3.99, 4.99, 9.99]))})
    return pd.DataFrame(rows)


def _subscribers(n: int = 1400, seed: int = 21) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts that signed up in 2025H1 and answered within a month; detractors leave faster.
    Churn dates after the end of 2025 are not yet known (blank), as in a real export."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 181, size=n), unit="D")
    answered = start + pd.to_timedelta(rng.integers(1, 30, size=n), unit="D")
    p = [.03, .02, .03, .04, .05, .07, .09, .14, .16, .17, .20]
    ltr = rng.choice(np.arange(11), size=n, p=p)
    hazard = 0.03 * np.where(ltr <= 6, 2.2, np.where(ltr <= 8, 1.3, 1.0))  # per month
    months = rng.exponential(1 / hazard)
    end = answered + pd.to_timedelta(np.round(months * 30.4375), unit="D")
    end = pd.Series(end).where(end <= END_OF_DATA)
    package = rng.choice(["Fibre", "DSL"], size=n, p=[0.6, 0.4])
    accounts = pd.DataFrame({ACCOUNT: [f"ACC-{300000 + 7 * i}" for i in range(n)], START: start.strftime("%Y-%m-%d"),
                             END: end.dt.strftime("%Y-%m-%d"), FEE: np.where(package == "Fibre", 45.0, 30.0)
                             + rng.integers(0, 10, size=n), PACKAGE: package})
    answers = pd.DataFrame({"RespID": np.arange(1, n + 1), ACCOUNT: accounts[ACCOUNT], ANSWERED:
                            answered.strftime("%Y-%m-%d"), RECOMMEND: ltr})
    # a second answer in Q4 from some accounts still active then (their first answer starts the clock)
    later = pd.Timestamp("2025-10-15") + pd.to_timedelta(rng.integers(0, 60, size=n), unit="D")
    again = (rng.random(n) < 0.3) & (end.isna() | (end > later)).to_numpy()
    second = pd.DataFrame({"RespID": np.arange(n + 1, n + 1 + again.sum()), ACCOUNT: accounts[ACCOUNT][again],
                           ANSWERED: later[again].strftime("%Y-%m-%d"),
                           RECOMMEND: rng.choice(np.arange(11), size=int(again.sum()), p=p)})
    return pd.concat([answers, second], ignore_index=True), accounts


@pytest.fixture(scope="module")
def subscription(tmp_path_factory):
    root = tmp_path_factory.mktemp("broadband")
    answers, accounts = _subscribers()
    answers.to_csv(root / "answers.csv", index=False)
    accounts.to_csv(root / "accounts.csv", index=False)
    _add_ons(accounts).to_csv(root / "add_ons.csv", index=False)
    (root / "study.toml").write_text(SUBSCRIPTION, encoding="utf-8")
    return answers, accounts, cx.import_study(root / "study.toml")


def _followed(answers: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """The fixture's first answer per account with its follow-up, by hand."""
    first = answers.assign(when=pd.to_datetime(answers[ANSWERED])).sort_values("when").drop_duplicates(ACCOUNT)
    m = first.merge(accounts, on=ACCOUNT)
    churn = pd.to_datetime(m[END])
    end = churn.fillna(AS_OF)  # still active: followed to the end of the last quarter
    return m.assign(months=(end - m["when"]).dt.days / (365.25 / 12), churned=churn.notna().astype(int),
                    group=cx.churn.tables.nps_group_labels(m[RECOMMEND]).to_numpy())


def test_the_horizon_adapts_to_four_quarters_of_follow_up(subscription):
    answers, accounts, result = subscription
    f = _followed(answers, accounts)
    assert f["months"].max() < 12  # nobody followed a full year: the default horizon has no risk set
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    table = cx.loyalty_churn_table(data.customers, data.survey, roles=roles, as_of=AS_OF)
    assert len(table) == len(f) and int(table.data["event"].sum()) == int(f["churned"].sum())
    assert np.allclose(np.sort(table.data["duration"]), np.sort(f["months"]))
    hz = cx.churn_horizon(table, horizon=12, min_at_risk=30)
    # the longest of 12, 9, 6, 3, 1 months with at least 30 accounts still followed, counted by hand
    durations = table.data["duration"]
    expected = next(h for h in (12, 9, 6, 3, 1) if (durations >= h).sum() >= 30)
    assert hz.months == expected < 12 and hz.adapted and hz.at_risk == int((durations >= expected).sum())
    assert cx.report.horizon_sentence(hz).startswith(f"Horizon: {expected} months, shorter than the requested 12")


@pytest.mark.notebook
def test_loyalty_notebook_on_four_quarters_of_customers(subscription, run_notebook):
    answers, accounts, result = subscription
    res, figs, html = run_notebook("03_loyalty_and_churn", quarter="2025Q4", data_dir=str(result.path), n_boot=10,
                                   min_base=30)
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    table = cx.loyalty_churn_table(data.customers, data.survey, roles=roles, as_of=AS_OF)
    hz = cx.churn_horizon(table, horizon=12, min_at_risk=30)
    assert figs["horizon_months"] == hz.months < 12
    # monthly churn of detractors = churned / months at risk, by hand on the fixture files
    f = _followed(answers, accounts)
    months = f["months"]
    det = f["group"] == "detractor"
    fig = figs["headline"]["Monthly churn, detractors (%)"]
    assert math.isclose(fig["estimate"], 100 * f["churned"][det].sum() / months[det].sum(), rel_tol=1e-9)
    assert fig["n"] == int(det.sum())
    # the hazard ratio and the revenue at risk equal direct cxlib calls, at the adapted horizon
    controls, reference = cx.model_controls(table, [PACKAGE])
    assert controls == [PACKAGE] and reference == {PACKAGE: "Fibre"}
    cox = cx.churn_drivers(table, covariates=["nps_group", PACKAGE], horizon=hz.months, reference=reference)
    hr = figs["headline"]["Hazard ratio detractor vs promoter"]
    assert math.isclose(hr["estimate"], cox.hazard_ratios.set_index("term").loc["nps_group[detractor]", "estimate"],
                        rel_tol=1e-9)
    base = cx.churn_drivers(table, covariates=["nps_group", PACKAGE], horizon=None, reference=reference)
    current = cx.loyalty_churn_table(data.customers, data.survey, roles=roles, as_of=AS_OF,
                                     responses="last").data.loc[lambda d: d["event"] == 0]
    risk = cx.revenue_at_risk(current, model=base, fit_data=table, by=[PACKAGE, "nps_group"], revenue=FEE,
                              horizon=hz.months, n_boot=10, seed=0, min_base=30)
    total = risk.table.loc[(risk.table[PACKAGE] == "(all)") & (risk.table["quantity"] == "revenue_at_risk")].iloc[0]
    rar = figs["headline"][f"Revenue at risk, {hz.months:g} months"]
    assert math.isclose(rar["estimate"], total["estimate"], rel_tol=1e-9)
    assert "Revenue protected, detractors to passives" in figs["headline"]
    # the method note says which horizon and why, and the revenue-at-risk assumption
    text = _text(html)
    method = text[text.index('<h2 id="Method'):text.index('<h2 id="Data"')]
    assert f"Horizon: {hz.months:g} months, shorter than the requested 12" in method
    assert "conditional on the months each customer has already stayed" in method
    assert f"Odds ratios of churning within {hz.months:g} months" in text
    assert f"Kaplan–Meier survival {hz.months:g} months after the first response" in text
    assert "not part of this study" not in text
    # the transactions table gives the purchase summary and the BG/NBD model, as a direct call does
    add_ons = _add_ons(accounts)
    rfm = cx.purchase_summary(add_ons, customer=ACCOUNT, date="Bought on", amount="Price", as_of=AS_OF, unit="weeks")
    bg = cx.bg_nbd(rfm)
    assert f"BG/NBD purchase model from the transactions ({len(rfm):,} customers, {len(add_ons):,} purchases" in text
    expected = bg.expected_transactions(rfm, t=4 * hz.months).mean()
    assert f"Expected purchases per customer in the next {4 * hz.months:g} weeks: {expected:.2f}" in text
    assert "Detractors churn at" in text and f"{PACKAGE}[DSL]" in text  # the study's segment is the control
    # privacy and roles: no raw account ids, no synthetic column names
    assert "ACC-" not in html and "ACC-" not in json.dumps(figs)
    _no_synthetic_names(html, figs)


# ---------------------------------------------------------------------------- satisfaction groups
def test_churn_findings_and_key_figures_of_satisfaction_groups(small_dataset):
    """A study without a recommend question: churn by satisfaction group (1–5: satisfied 4–5,
    neutral 3, dissatisfied 1–2), in the findings' words and the key figures' names."""
    import dataclasses

    synthetic = cx.study_roles(small_dataset)
    roles = dataclasses.replace(synthetic, roles={**synthetic.roles, "survey": {
        k: v for k, v in synthetic.roles["survey"].items() if k != "recommend"}})
    groups = cx.loyalty_groups(roles)
    assert groups.definition() == "satisfied 4–5, neutral 3, dissatisfied 1–2"
    quarter = cx.latest_quarter(small_dataset)
    as_of = cx.quarter_bounds(quarter)[1]
    survey = small_dataset.survey[small_dataset.survey["quarter"] <= quarter]
    table = cx.loyalty_churn_table(small_dataset.customers, survey, roles=roles, as_of=as_of)
    g = table.data["satisfaction_group"]
    osat = table.data["response_id"].map(survey.set_index("response_id")["osat"]).astype(float)
    assert (g.eq("dissatisfied") == (osat <= 2)).all() and (g.eq("satisfied") == (osat >= 4)).all()
    rates = cx.churn_hazard_by_group(table, by="satisfaction_group", min_base=30)
    cox = cx.churn_drivers(table, covariates=["satisfaction_group"], horizon=6)
    findings = cx.report.churn_findings(rates=rates, drivers=cox, groups=groups)
    r = rates.set_index("satisfaction_group")
    assert findings[0].startswith(f"Dissatisfied customers churn at {100 * r.loc['dissatisfied', 'estimate']:.2f} % "
                                  "a month")
    assert f"satisfied customers at {100 * r.loc['satisfied', 'estimate']:.2f} %" in findings[0]
    assert "satisfaction_group[dissatisfied]" in findings[1]
    figs = cx.report.churn_key_figures(rates=rates, drivers=cox, at_risk=None, groups=groups)
    assert list(figs) == ["Monthly churn, dissatisfied customers (%)", "Hazard ratio dissatisfied vs satisfied"]
    assert math.isclose(figs["Monthly churn, dissatisfied customers (%)"]["estimate"],
                        100 * r.loc["dissatisfied", "estimate"], rel_tol=1e-12)
    h = cx.churn_horizon(table, horizon=12)
    assert "conditional on the months each customer has already stayed" in cx.report.churn_method(groups, h)
