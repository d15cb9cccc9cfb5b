"""Notebook 01's support section on a researcher's own tickets export, end to end: a study file
declaring a survey and a tickets table, both with their own column names → ``cx.import_study``
→ the scorecard notebook executed by papermill → the support key figures, which must equal
direct cxlib calls on the fixture files read with pandas (not through the import).

The fixture has what the synthetic data never has: the tickets' columns named by their export
(``Opened on``, ``First answer``, ``Closed on``, ``Times reopened``, ``Customer touches``),
dates written as text, tickets opened before the survey's wave (not counted), tickets never
answered or never closed, one survey wave without a date column, an NPS question under its
own text. A second study, the same survey without tickets, still says "not part of this
study"."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import cxlib as cx

RECOMMEND = "How likely are you to recommend us to a friend"
CABIN = "Cabin"
OPENED, ANSWERED, CLOSED = "Opened on", "First answer", "Closed on"
REOPENED, TOUCHES, VIA = "Times reopened", "Customer touches", "Via"

SURVEY_PART = f"""\
[study]
title = "Ferry passengers"
wave = "2025Q4"

[sources.survey]
path = "answers.csv"

[roles.survey]
respondent_id = "Passenger"
customer_id = "Booking holder"
recommend = "{RECOMMEND}"
segments = ["{CABIN}"]
"""

TICKETS_PART = f"""
[sources.tickets]
path = "cases.csv"

[roles.tickets]
ticket_id = "Case"
customer_id = "Booking holder"
opened = "{OPENED}"
first_response = "{ANSWERED}"
resolved = "{CLOSED}"
reopens = "{REOPENED}"
contacts = "{TOUCHES}"
channel = "{VIA}"
"""


def _answers(n: int = 420, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cabin = rng.choice(["Suite", "Outside", "Inside"], size=n, p=[0.25, 0.35, 0.4])
    # suites recommend more: a difference the pairwise letters can find
    ltr = np.clip(np.round(rng.normal(np.select([cabin == "Suite", cabin == "Outside"], [8.6, 7.2], 6.4), 2.0)),
                  0, 10).astype(int)
    return pd.DataFrame({"Passenger": [f"P{i:05d}" for i in range(n)],
                         "Booking holder": [f"BK-{900000 + 13 * (i % 300)}" for i in range(n)],
                         RECOMMEND: ltr, CABIN: cabin})


def _cases(n: int = 360, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2025-09-01") + pd.to_timedelta(rng.uniform(0, 120, n), unit="D")  # Q3 and Q4
    answered = opened + pd.to_timedelta(rng.exponential(6.0, n), unit="h")
    closed = answered + pd.to_timedelta(rng.exponential(30.0, n), unit="h")
    text = {OPENED: opened, ANSWERED: answered, CLOSED: closed}
    frame = pd.DataFrame({"Case": [f"C{i:04d}" for i in range(n)],
                          "Booking holder": [f"BK-{900000 + 13 * (i % 300)}" for i in range(n)],
                          **{k: v.strftime("%d/%m/%Y %H:%M") for k, v in text.items()},
                          REOPENED: rng.choice([0, 0, 0, 1, 2], size=n),
                          TOUCHES: rng.choice([1, 1, 2, 3], size=n), VIA: rng.choice(["phone", "e-mail"], size=n)})
    frame.loc[::19, ANSWERED] = None  # never answered
    frame.loc[::11, CLOSED] = None  # still open
    return frame


def _write(root, study_text: str, cases: bool):
    _answers().to_csv(root / "answers.csv", index=False)
    if cases:
        _cases().to_csv(root / "cases.csv", index=False)
    (root / "study.toml").write_text(study_text, encoding="utf-8")
    return cx.import_study(root / "study.toml")


@pytest.fixture(scope="module")
def with_tickets(tmp_path_factory):
    root = tmp_path_factory.mktemp("tickets_study")
    return root, _write(root, SURVEY_PART + TICKETS_PART, cases=True)


@pytest.fixture(scope="module")
def without_tickets(tmp_path_factory):
    root = tmp_path_factory.mktemp("survey_only")
    return root, _write(root, SURVEY_PART, cases=False)


def _expected_tickets(root) -> pd.DataFrame:
    """The fixture's tickets opened in 2025Q4, read with pandas from the file itself."""
    raw = pd.read_csv(root / "cases.csv")
    for col in (OPENED, ANSWERED, CLOSED):
        raw[col] = pd.to_datetime(raw[col], format="%d/%m/%Y %H:%M")
    inside = (raw[OPENED] >= "2025-10-01") & (raw[OPENED] < "2026-01-01")
    return raw[inside]


def test_the_tickets_table_is_imported_with_its_roles(with_tickets):
    root, result = with_tickets
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    assert roles.has("tickets")
    assert {r: roles.column(r, "tickets") for r in ("opened", "first_response", "resolved", "reopens", "contacts",
                                                      "channel", "customer_id")} == {
        "opened": OPENED, "first_response": ANSWERED, "resolved": CLOSED, "reopens": REOPENED,
        "contacts": TOUCHES, "channel": VIA, "customer_id": "customer_id"}
    t = data.tickets
    raw = pd.read_csv(root / "cases.csv")
    assert len(t) == len(raw)  # nothing dropped
    for col in (OPENED, ANSWERED, CLOSED):  # day-first text dates read as dates, blanks missing
        assert pd.api.types.is_datetime64_any_dtype(t[col])
        expected = pd.to_datetime(raw[col], format="%d/%m/%Y %H:%M")
        assert t[col].isna().tolist() == expected.isna().tolist()
        assert (t[col].dropna() == expected.dropna()).all()
    assert pd.api.types.is_numeric_dtype(t[REOPENED]) and pd.api.types.is_numeric_dtype(t[TOUCHES])
    # the linking id is pseudonymised the same way in both tables
    assert not t["customer_id"].astype(str).str.startswith("BK-").any()
    assert set(t["customer_id"]) <= set(data.survey["customer_id"])
    assert len(cx.quarter_tickets(t, quarter="2025Q4", roles=roles)) == len(_expected_tickets(root))


@pytest.mark.notebook
def test_support_section_on_an_imported_tickets_table(with_tickets, run_notebook):
    root, result = with_tickets
    res, figs, html = run_notebook("01_cx_scorecard", quarter="2025Q4", data_dir=str(result.path), min_base=30)
    assert not res.had_warnings
    t = _expected_tickets(root)
    level = {"confidence_level": 0.95, "min_base": 30}
    support = figs["support"]
    reopen = cx.reopen_rate(t, reopen_count=REOPENED, resolved=CLOSED, **level)
    fcr = cx.first_contact_resolution(t, contacts=TOUCHES, resolved=CLOSED, **level)
    for key, direct in (("Reopen rate (%)", reopen), ("First-contact resolution (%)", fcr)):
        assert math.isclose(support[key]["estimate"], 100 * direct.estimate, rel_tol=1e-12)
        assert math.isclose(support[key]["ci_low"], 100 * direct.ci_low, rel_tol=1e-12)
        assert support[key]["n"] == direct.n == t[CLOSED].notna().sum()
    # an independent count for the reopen rate: pandas on the file
    solved = t[t[CLOSED].notna()]
    assert math.isclose(support["Reopen rate (%)"]["estimate"], 100 * (solved[REOPENED] >= 1).mean(), rel_tol=1e-12)
    frt = cx.first_response_time(t, created=OPENED, first_response=ANSWERED, **level)
    full = cx.resolution_time(t, kind="full", created=OPENED, resolved=CLOSED, **level)
    hours = ((t[ANSWERED] - t[OPENED]).dt.total_seconds() / 3600).dropna()
    assert math.isclose(support["First response time, median (hours)"]["estimate"], hours.median(), rel_tol=1e-12)
    for key, direct in (("First response time, median (hours)", frt[0.5]), ("First response time, p90 (hours)",
                                                                            frt[0.9]),
                        ("Full resolution time, median (hours)", full[0.5]),
                        ("Full resolution time, p90 (hours)", full[0.9])):
        assert math.isclose(support[key]["estimate"], direct.estimate, rel_tol=1e-12), key
        assert math.isclose(support[key]["ci_high"], direct.ci_high, rel_tol=1e-12), key
        assert support[key]["n"] == direct.n
    # the summary counts the quarter's tickets; the method names the study's columns, never synthetic ones
    summary = html[html.index('<h2 id="Summary"'):html.index('<h2 id="Method"')]
    assert f"{len(t):,} support tickets opened in the quarter" in summary
    section = html[html.index('<h2 id="Support-operations"'):]
    assert f"&#x27;{OPENED}&#x27; to &#x27;{ANSWERED}&#x27;" in section or f"'{OPENED}' to '{ANSWERED}'" in section
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    for synthetic in ("created_at", "first_response_at", "first_resolved_at", "resolved_at", "reopen_count"):
        assert synthetic not in text, synthetic
    assert "not part of this study" not in section
    # the segment letters: the same as a direct banner table on the imported survey
    survey = cx.load_dataset(result.path).survey
    ct = cx.crosstab(survey, RECOMMEND, CABIN, stat="nps", min_base=30)
    cells = ct.table.iloc[1:].set_index("column")
    letters = figs["segment_letters"]["letters"]
    assert {k: v["higher_than"] for k, v in letters.items()} == cells["higher_than"].to_dict()
    assert letters["Suite"]["higher_than"]  # suites recommend more than the other cabins
    assert f"By {CABIN}, Suite (" in summary and ") is higher in NPS than " in summary


@pytest.mark.notebook
def test_a_study_without_tickets_says_so(without_tickets, run_notebook):
    _, result = without_tickets
    res, figs, html = run_notebook("01_cx_scorecard", run="no-tickets", quarter="2025Q4",
                                   data_dir=str(result.path), min_base=30)
    assert not res.had_warnings
    assert "Support operations are not part of this study: it has no tickets table." in html
    assert "support tickets are not part of this study" in html
    assert "support" not in figs
