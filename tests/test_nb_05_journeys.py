"""Notebook 05 (journeys and touchpoints) executed end to end by papermill: its key figures
equal direct cxlib calls on the same data, its sections come in order, and on an imported
survey-only study it says that journeys and touchpoints are not part of the study."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import cxlib as cx

SECTIONS = ("Summary", "Method and assumptions", "Data", "Top paths and where they fail", "Touchpoint scorecard",
            "Touchpoints that move relationship satisfaction", "The cost of one bad episode", "Peak–end test",
            "Channel consistency")


def _same(fig: dict, estimate: float, lo: float, hi: float, n: int | None = None) -> None:
    assert math.isclose(fig["estimate"], estimate, rel_tol=0, abs_tol=1e-12), (fig, estimate)
    assert math.isclose(fig["ci_low"], lo, rel_tol=0, abs_tol=1e-12)
    assert math.isclose(fig["ci_high"], hi, rel_tol=0, abs_tol=1e-12)
    if n is not None:
        assert fig["n"] == n


@pytest.mark.notebook
def test_journeys_notebook_key_figures_equal_direct_calls(run_notebook, small_data_dir, small_dataset):
    quarter = cx.latest_quarter(small_dataset)
    res, figs, html = run_notebook("05_journeys", quarter=quarter, data_dir=str(small_data_dir), n_boot=40, top_k=8)
    head = figs["headline"]
    # the same analyses, called directly on the deduplicated data of the quarter
    d = small_dataset
    survey = cx.drop_duplicate_responses(d.survey)[0]
    survey = survey[survey["quarter"] <= quarter]
    start, end = cx.quarter_bounds(quarter)
    history = d.journeys[d.journeys["timestamp"] < end]
    events = history[history["timestamp"] >= start]
    j = cx.journeys(events, channel="channel", gap="7D")
    variants = cx.path_variants(j, top=8)
    top = variants.table.iloc[0]
    _same(head["top_path_share"], 100 * top["estimate"], 100 * top["ci_low"], 100 * top["ci_high"], int(top["n"]))
    switched = cx.journey_summary(j).set_index("measure").loc["switched"]
    _same(head["journeys_switched"], 100 * switched["estimate"], 100 * switched["ci_low"], 100 * switched["ci_high"])
    tp = d.touchpoints[d.touchpoints["date"] < end]
    now = tp[tp["quarter"] == quarter]
    sw = cx.channel_switching(cx.journey_responses(j, now, time="date"), outcomes="csat").table.iloc[0]
    _same(head["switching_effect_csat"], sw["estimate"], sw["ci_low"], sw["ci_high"], int(sw["n"]))
    # ticket-level switching (every quarter up to this one), within contacts / multi-contact tickets
    sw = cx.ticket_switches(d.tickets[d.tickets["created_at"] < end], events=history)
    tk_csat, tk_ces = cx.ticket_switching_csat(sw, tp), cx.ticket_switching_effort(sw, survey, weights="weight")
    for key, r in (("switching effect on csat (ticket survey)", tk_csat),
                   ("switching effect on ces (relationship survey)", tk_ces)):
        _same(head[key], r.estimate, r.ci_low, r.ci_high, r.n)
    share = cx.ticket_switch_share(sw).set_index("tickets").loc["2+ contacts"]
    _same(head["tickets switched (2+ contacts)"], 100 * share["estimate"], 100 * share["ci_low"],
          100 * share["ci_high"], int(share["n"]))
    # the touchpoint scorecard: the lowest cell equals the metric core on that touchpoint's rows
    card = cx.touchpoint_scorecard(tp, current=quarter).table
    solid = card[~card["small_base"]]
    low = solid.loc[solid["estimate"].idxmin()]
    key = f"csat lowest: {low['touchpoint']}"
    direct = cx.csat(now[now["touchpoint"] == low["touchpoint"]], score="csat")
    _same(head[key], 100 * direct.estimate, 100 * direct.ci_low, 100 * direct.ci_high, direct.n)
    # one bad episode (within customer) and the peak-end test
    episodes = cx.negative_episodes(history)
    eff = cx.episode_effects(survey, episodes, outcome="osat", lags=3).curve.set_index(["lag", "group"])
    row = eff.loc[(0, "without_followup")]
    _same(head["episode effect on osat, lag 0, without_followup"], row["estimate"], row["ci_low"], row["ci_high"])
    assert set(k for k in head if k.startswith("episode effect")) == {
        "episode effect on osat, lag 0, without_followup", "episode effect on osat, lag 0, with_followup"}
    pe = cx.peak_end(survey, tp, n_boot=40, seed=0).differences.set_index("summary").loc["peak_end"]
    _same(head["R² peak_end minus mean"], pe["estimate"], pe["ci_low"], pe["ci_high"], int(pe["n"]))
    # the reviewer HTML: question, summary first, then every section in order; no code
    positions = [re.search(rf"<h2[^>]*>{re.escape(h)}", html).start() for h in SECTIONS]
    assert positions == sorted(positions) and html.index("Question:") < positions[0]
    summary = html[positions[0]:positions[1]]
    assert figs["findings"] and all(s.split(" (")[0].split(":")[0][:40] in summary for s in figs["findings"])
    assert "not part of this study" not in html
    assert "import cxlib" not in html and "cx.journeys" not in html and "nan" not in summary


@pytest.mark.notebook
def test_journeys_notebook_fan_out_run(run_notebook, small_data_dir, small_dataset):
    quarter = cx.latest_quarter(small_dataset)
    _, figs, html = run_notebook("05_journeys", run="premium", quarter=quarter, data_dir=str(small_data_dir),
                                 subset_column="plan", subset_value="premium", n_boot=10)
    assert figs["scope"] == "customers with plan = premium"
    ids = set(small_dataset.customers.loc[small_dataset.customers["plan"] == "premium", "customer_id"])
    start, end = cx.quarter_bounds(quarter)
    ev = small_dataset.journeys
    ev = ev[ev["customer_id"].isin(ids) & (ev["timestamp"] >= start) & (ev["timestamp"] < end)]
    assert figs["headline"]["top_path_share"]["n"] == len(cx.journeys(ev, channel="channel"))


SATISFIED = "Overall, were you satisfied with your trip"
STUDY = f"""\
[study]
title = "Rail passenger survey"
wave = "2025Q4"

[sources.survey]
path = "answers.csv"

[roles.survey]
respondent_id = "Respondent"
customer_id = "Customer number"
satisfaction = "{SATISFIED}"
drivers = ["Seat"]
segments = ["Class"]

[scales.drivers]
points = [1, 5]

[scales.satisfaction]
values = {{ "Not satisfied" = 0, "Satisfied" = 1 }}
"""


@pytest.mark.notebook
def test_journeys_notebook_on_a_survey_only_study(run_notebook, tmp_path):
    rng = np.random.default_rng(3)
    n = 120
    pd.DataFrame({"Respondent": [f"R{i}" for i in range(n)], "Customer number": [f"C{i}" for i in range(n)],
                  SATISFIED: rng.choice(["Satisfied", "Not satisfied"], n), "Seat": rng.integers(1, 6, n),
                  "Class": rng.choice(["Economy", "Business"], n)}).to_csv(tmp_path / "answers.csv", index=False)
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    result = cx.import_study(tmp_path / "study.toml")
    res, figs, html = run_notebook("05_journeys", run="study", quarter="2025Q4", data_dir=str(result.path))
    assert figs["headline"] == {}
    assert figs["findings"] == ["Journeys and their paths is not part of this study: it has no journeys table.",
                                "The touchpoint scorecard is not part of this study: it has no touchpoints table."]
    for section in SECTIONS:
        assert re.search(rf"<h2[^>]*>{re.escape(section)}", html)
    assert html.count("not part of this study") >= 6
    assert not res.had_warnings


def test_report_runs_journeys_per_customer_plan(small_data_dir):
    from cxlib.report.definition import load_definition
    from cxlib.report.runs import plan_runs, validate_runs

    runs = plan_runs(load_definition(), quarter="2026Q3", data_dir=small_data_dir, out_dir=small_data_dir / "out")
    validate_runs(runs)
    mine = [r for r in runs if r.notebook == "05_journeys"]
    assert sorted(r.run for r in mine) == ["overall", "plan-basic", "plan-premium", "plan-standard"]
    assert all(r.parameters.get("subset_column") == "plan" for r in mine)


def test_findings_leave_out_undeclared_outcomes_and_name_the_failing_journeys(small_dataset):
    ev = small_dataset.journeys
    j = cx.journeys(ev[ev["quarter"] == "2026Q3"], channel="channel")
    summary, variants = cx.journey_summary(j), cx.path_variants(j, top=3)
    failing = (j.table["n_steps"] > 3).to_numpy()
    div = cx.path_divergence(j, failing=failing, min_base=30)
    text = cx.report.journey_findings(summary, variants, div, outcomes=False, failing="long journeys")
    assert "used more than one channel" in text[0] and "reached a goal" not in text[0]
    assert text[2].startswith(f"Failing journeys (long journeys; {int(failing.sum()):,} of {len(failing):,})")
    assert "reached a goal" in cx.report.journey_findings(summary, variants)[0]
    assert set(cx.report.journey_key_figures(summary, variants, outcomes=False)) == {"journeys_switched",
                                                                                     "top_path_share"}


def test_episode_churn_findings_quote_the_curve(small_dataset):
    d = small_dataset
    panel = cx.churn_panel(d.customers, quarters=sorted(d.survey["quarter"].unique()))
    res = cx.episode_effects(panel, cx.negative_episodes(d.journeys), outcome="churned", followup=None,
                             fixed_effects=False, lags=1)
    text = cx.report.episode_churn_findings(res)
    first = res.curve.iloc[0]
    assert f"{100 * abs(first['estimate']):.1f} points" in text[0]
    assert f"{int(first['n']):,} customer-quarters" in text[0]
    assert "1 quarter later" in text[0] and "pooled OLS" in text[1]
    figs = cx.report.journey_effect_key_figures(res, lags=[0])
    assert list(figs) == ["episode effect on churned, lag 0, all"]
    assert figs["episode effect on churned, lag 0, all"]["estimate"] == first["estimate"]
