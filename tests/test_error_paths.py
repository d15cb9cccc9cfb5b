"""Bad inputs the library must refuse with a clear CXDataError, or accept as documented
(issue 11, items 9, 10, 11 and 13): the error names the column, shows the bad values and
counts the rows, and comes before anything is fitted (no lifelines/pandas traceback).

Oracles: the expected values are written out by hand (which rows are bad, how many),
and a timezone-aware input must give exactly the result of the same instants written as
naive UTC times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from churn_data import cox_data as make_cox_data
from churn_data import model_tables
from cxlib.churn.models import churn_drivers
from cxlib.churn.tables import churn_table
from cxlib.errors import CXDataError
from cxlib.survival import survival
from cxlib.value.clv import bg_nbd, gamma_gamma
from cxlib.value.revenue import revenue_at_risk


@pytest.fixture(scope="module")
def cox_data() -> pd.DataFrame:
    return make_cox_data()


@pytest.fixture
def no_fitting(monkeypatch):
    """Make every lifelines/statsmodels fit fail loudly: a check that runs first wins."""
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter

    def boom(*args, **kwargs):
        raise AssertionError("a model was fitted before the input was checked")

    monkeypatch.setattr(CoxPHFitter, "fit", boom)
    monkeypatch.setattr(CoxTimeVaryingFitter, "fit", boom)


# ---------------------------------------------------------------------------- item 9: survival
def test_survival_refuses_yes_no_events_naming_the_values_and_rows(cox_data):
    d = cox_data.assign(event=np.where(cox_data["event"] == 1, "Yes", "No"))
    with pytest.raises(CXDataError, match=rf"column 'event' has {len(d)} non-numeric value\(s\) \['No', 'Yes'\]"):
        survival(d, duration="duration", event="event")


def test_survival_refuses_one_non_numeric_duration(cox_data):
    d = cox_data.assign(duration=cox_data["duration"].astype(object))
    d.loc[7, "duration"] = "twelve"
    with pytest.raises(CXDataError, match=r"column 'duration' has 1 non-numeric value\(s\) \['twelve'\]"):
        survival(d, duration="duration", event="event")


# ---------------------------------------------------------------------------- item 9: churn_drivers
def test_churn_drivers_refuses_a_constant_covariate_before_fitting(cox_data, no_fitting):
    with pytest.raises(CXDataError, match=rf"covariate 'region' is constant \(1 in all {len(cox_data)} rows used"):
        churn_drivers(cox_data.assign(region=1.0), covariates=["osat", "region"], horizon=None)


def test_churn_drivers_refuses_a_single_level_category_before_fitting(cox_data, no_fitting):
    with pytest.raises(CXDataError, match=r"covariate 'plan' has a single level \['basic'\]"):
        churn_drivers(cox_data.assign(plan="basic"), covariates=["osat", "plan"], horizon=None)


def test_churn_drivers_refuses_collinear_covariates_naming_them(cox_data, no_fitting):
    d = cox_data.assign(osat_pct=20 * cox_data["osat"])  # the same measure on another scale
    with pytest.raises(CXDataError, match=r"perfectly collinear: 'osat_pct' = 20·'osat' in all 400 rows"):
        churn_drivers(d, covariates=["osat", "recent_negative", "osat_pct"], horizon=None)
    d = cox_data.assign(positive=1 - cox_data["recent_negative"])  # collinear with the baseline's constant
    with pytest.raises(CXDataError, match=r"'positive' = -1·'recent_negative' \+ 1"):
        churn_drivers(d, covariates=["recent_negative", "positive"], horizon=None)


def test_churn_drivers_says_no_events_not_collinearity(cox_data, no_fitting):
    with pytest.raises(CXDataError, match=r"no churn events: column 'event' is 0 in all 400 rows") as err:
        churn_drivers(cox_data.assign(event=0), covariates=["osat"], horizon=None)
    assert "collinear" not in str(err.value)


def test_churn_drivers_refuses_yes_no_events_and_time_spans(cox_data, no_fitting):
    with pytest.raises(CXDataError, match=r"column 'event' has 400 non-numeric value\(s\) \['No', 'Yes'\]"):
        churn_drivers(cox_data.assign(event=np.where(cox_data["event"] == 1, "Yes", "No")), covariates=["osat"])
    spans = pd.to_timedelta(cox_data["duration"] * 30, unit="D")
    with pytest.raises(CXDataError, match=r"column 'duration' holds time spans .*total_seconds\(\) / 86400"):
        churn_drivers(cox_data.assign(duration=spans), covariates=["osat"])


def test_churn_drivers_refuses_a_text_column_with_many_levels_before_fitting(cox_data, no_fitting):
    d = cox_data.assign(email=[f"c{i}@example.com" for i in range(len(cox_data))])
    with pytest.raises(CXDataError, match=r"covariate 'email' is text with 400 distinct values .*limit is 50"):
        churn_drivers(d, covariates=["osat", "email"], horizon=None)


def test_churn_drivers_reads_numbers_stored_as_text(cox_data):
    text = cox_data["osat"].map(lambda v: f" {v:g} ").astype(object)
    text.iloc[3] = ""  # an empty cell is missing, not a level
    ref = churn_drivers(cox_data.drop(index=cox_data.index[3]), covariates=["osat"], horizon=None)
    res = churn_drivers(cox_data.assign(osat=text), covariates=["osat"], horizon=None)
    assert res.hazard_ratios["term"].tolist() == ["osat"] and res.n_dropped == 1
    np.testing.assert_allclose(res.hazard_ratios["coef"], ref.hazard_ratios["coef"], rtol=1e-10)
    assert res.spec["read_as_numbers"] == ("osat",) and "['osat'] read as numbers" in res.method


# ---------------------------------------------------------------------------- item 9: revenue at risk
def _risk_data(cox_data: pd.DataFrame) -> pd.DataFrame:
    return cox_data.assign(p=np.linspace(0.05, 0.5, len(cox_data)))


def test_revenue_at_risk_refuses_missing_revenue_naming_customers(cox_data):
    d = _risk_data(cox_data)
    d.loc[[5, 9], "monthly_revenue"] = np.nan
    with pytest.raises(CXDataError, match=r"'monthly_revenue' is missing or non-numeric in 2 of 400 row\(s\), "
                                          r"customer_id \[5, 9\]"):
        revenue_at_risk(d, churn_probability="p", n_boot=0)
    with pytest.raises(CXDataError, match=r"'monthly_revenue' is missing or non-numeric in 400 of 400"):
        revenue_at_risk(d.assign(monthly_revenue=np.nan), churn_probability="p", n_boot=10)


def test_revenue_at_risk_refuses_missing_or_impossible_probabilities(cox_data):
    d = _risk_data(cox_data)
    d.loc[3, "p"] = np.nan
    with pytest.raises(CXDataError, match=r"'p' is missing or non-numeric in 1 of 400 row\(s\), customer_id \[3\]"):
        revenue_at_risk(d, churn_probability="p", n_boot=0)
    d.loc[3, "p"] = 1.5
    with pytest.raises(CXDataError, match=r"'p' has 1 value\(s\) \[1.5\] that are not probabilities in \[0, 1\]"):
        revenue_at_risk(d, churn_probability="p", n_boot=0)


# ---------------------------------------------------------------------------- item 9: churn_table
def test_churn_table_refuses_as_of_that_is_not_a_date():
    customers, *_ = model_tables()
    with pytest.raises(CXDataError, match=r"`as_of`='not a date' is not a date"):
        churn_table(customers, as_of="not a date")


# ---------------------------------------------------------------------------- item 10: time zones
def _aware(s: pd.Series, tz: str) -> pd.Series:
    """The same instants as the naive-UTC ``s``, written in time zone ``tz``."""
    return s.dt.tz_localize("UTC").dt.tz_convert(tz)


def test_churn_table_accepts_timezone_aware_dates_everywhere():
    customers, survey, journeys, tickets = model_tables()
    ref = churn_table(customers, survey, as_of="2026-01-01", journeys=journeys, tickets=tickets)
    aware = churn_table(
        customers.assign(signup_date=_aware(customers["signup_date"], "Europe/Berlin"),
                         churn_date=_aware(customers["churn_date"], "America/New_York")),
        survey.assign(response_date=_aware(survey["response_date"], "Asia/Tokyo")),
        as_of=pd.Timestamp("2026-01-01", tz="UTC"),
        journeys=journeys.assign(timestamp=_aware(journeys["timestamp"], "Europe/Berlin")),
        tickets=tickets.assign(created_at=_aware(tickets["created_at"], "America/New_York")),
    )
    pd.testing.assert_frame_equal(aware.data, ref.data)
    assert ref.data["recent_negative"].sum() > 0 and ref.data["reopened_tickets"].sum() > 0


def test_cohort_retention_accepts_timezone_aware_dates():
    customers, *_ = model_tables()
    ref = cx.cohort_retention(customers, as_of="2026-01-01", min_base=1)
    aware = cx.cohort_retention(
        customers.assign(signup_date=_aware(customers["signup_date"], "Europe/Berlin"),
                         churn_date=_aware(customers["churn_date"], "UTC")),
        as_of="2026-01-01", min_base=1)
    pd.testing.assert_frame_equal(aware.to_frame(), ref.to_frame())


def _transactions() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 4],
                         "date": pd.to_datetime(["2026-01-05 10:00", "2026-03-20 23:30", "2026-02-01 08:00",
                                                 "2026-03-01 12:00", "2026-03-25 18:00", "2025-11-15 09:00"]),
                         "amount": [20.0, 30.0, 15.0, 10.0, 40.0, 200.0]})


def test_rfm_accepts_timezone_aware_dates():
    tx = _transactions()
    ref = cx.rfm(tx, date="date", amount="amount", as_of="2026-03-31")
    aware = cx.rfm(tx.assign(date=_aware(tx["date"], "America/Los_Angeles")), date="date", amount="amount",
                   as_of=pd.Timestamp("2026-03-31", tz="UTC"))
    pd.testing.assert_frame_equal(aware.scores, ref.scores)


# ---------------------------------------------------------------------------- item 11: enough data, signs
def test_bg_nbd_refuses_too_few_customers_and_no_repeat_buyers():
    one = pd.DataFrame({"frequency": [2], "recency": [5.0], "T": [10.0]})
    with pytest.raises(CXDataError, match=r"only 1 customer\(s\).*needs at least 10"):
        bg_nbd(one)  # was r = 1.4e15 without a word
    none = pd.DataFrame({"frequency": [0] * 30, "recency": [0.0] * 30, "T": [10.0] * 30})
    with pytest.raises(CXDataError, match=r"no repeat buyers: column 'frequency' is 0 for all 30 customers"):
        bg_nbd(none)


def test_gamma_gamma_refuses_too_few_customers_with_transactions():
    d = pd.DataFrame({"frequency": [1, 2, 3, 0, 0], "monetary": [5.0, 6.0, 7.0, 0.0, 0.0]})
    with pytest.raises(CXDataError, match=r"only 3 customer\(s\) with 'frequency' > 0 \(of 5\).*at least 10"):
        gamma_gamma(d)


def test_rfm_refuses_negative_monetary_values_unless_allowed():
    tx = _transactions()
    tx.loc[2, "amount"] = -15.0  # a refund
    with pytest.raises(CXDataError, match=r"'amount' has 1 negative transaction value\(s\) \[-15.0\] in row\(s\) "
                                          r"\[2\] \(customer_id \[2\]\).*allow_negative=True"):
        cx.rfm(tx, date="date", amount="amount", as_of="2026-03-31")
    res = cx.rfm(tx, date="date", amount="amount", as_of="2026-03-31", allow_negative=True)
    assert res.scores.set_index("customer_id").loc[2, "monetary"] == -15.0  # net spend
    cust = pd.DataFrame({"customer_id": [1, 2, 3], "r": [5, 10, 20], "f": [1, 2, 3], "m": [10.0, -4.0, 8.0]})
    with pytest.raises(CXDataError, match=r"'m' has 1 negative monetary value\(s\) \[-4.0\] in row\(s\) \[1\]"):
        cx.rfm(cust, recency="r", frequency="f", monetary="m", bins=2)


@pytest.mark.parametrize("content", ['{"seed": 0, "files": [', "[1, 2]", "\udcff".encode("utf-8", "surrogateescape")])
def test_a_corrupt_manifest_is_a_clear_error(tmp_path, content):
    # an interrupted or hand-edited manifest.json: a CXDataError naming the file, not a JSONDecodeError
    (tmp_path / "manifest.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CXDataError, match="manifest.json") as err:
        cx.load_dataset(tmp_path)
    assert "again" in str(err.value)
    with pytest.raises(CXDataError, match="manifest.json"):
        cx.ensure_dataset(tmp_path)
