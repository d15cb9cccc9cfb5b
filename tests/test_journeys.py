"""Journeys and touchpoints (issue 12): journeys cut from a hand-built event log, paths,
divergence, the touchpoint scorecard, channel consistency and channel switching.

Every expected number comes from a hand count of the small log below, a brute-force
Python loop over the synthetic journeys, or another library (statsmodels, scipy)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import cxlib as cx
from cxlib.errors import CXDataError, SmallBaseWarning

T = pd.Timestamp


def hand_log() -> pd.DataFrame:
    """Six journeys of four customers (gap 7 days, renewal ends a journey); rows shuffled."""
    rows = [
        (1, "2026-01-01 09:00", "login", "web"), (1, "2026-01-01 10:00", "ticket_opened", "chat"),
        (1, "2026-01-01 12:00", "ticket_resolved", "phone"),
        (1, "2026-01-11 09:00", "login", "app"), (1, "2026-01-11 09:30", "invoice", "email"),
        (2, "2026-01-03 08:00", "login", "web"), (2, "2026-01-03 09:00", "ticket_opened", "chat"),
        (2, "2026-01-04 09:00", "cancellation", "web"),
        (3, "2026-01-02 08:00", "login", "app"), (3, "2026-01-02 09:00", "renewal", "email"),
        (3, "2026-01-03 08:00", "login", "app"), (3, "2026-01-03 08:10", "login", "app"),
        (4, "2026-02-01 08:00", "login", "app"), (4, "2026-02-01 08:15", "invoice", "email"),
    ]
    df = pd.DataFrame(rows, columns=["cust", "when", "step", "via"])
    df["when"] = pd.to_datetime(df["when"])
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)


def hand_journeys(**kw):
    opts = {"customer": "cust", "time": "when", "step": "step", "channel": "via", "gap": "7D",
            "end_steps": "renewal", "goal_steps": "renewal", "failure_steps": "cancellation"}
    return cx.journeys(hand_log(), **(opts | kw))


# ------------------------------------------------------------------------------ journeys
def test_journeys_by_hand():
    t = hand_journeys().table
    assert t["journey_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert t["cust"].tolist() == [1, 1, 2, 3, 3, 4]
    assert t["path"].astype(str).tolist() == [
        "login > ticket_opened > ticket_resolved", "login > invoice", "login > ticket_opened > cancellation",
        "login > renewal", "login > login", "login > invoice"]
    assert t["n_steps"].tolist() == [3, 2, 3, 2, 2, 2]
    assert t["channels"].astype(str).tolist() == ["chat + phone + web", "app + email", "chat + web", "app + email",
                                                  "app", "app + email"]
    assert t["n_channels"].tolist() == [3, 2, 2, 2, 1, 2]
    assert t["n_switches"].tolist() == [2, 1, 2, 1, 0, 1]
    assert t["switched"].tolist() == [True, True, True, True, False, True]
    assert t["outcome"].astype(str).tolist() == ["open", "open", "failure", "goal", "open", "open"]
    assert t["start"].tolist()[:2] == [T("2026-01-01 09:00"), T("2026-01-11 09:00")]
    assert t["duration"].tolist()[:3] == [pd.Timedelta(hours=3), pd.Timedelta(minutes=30), pd.Timedelta(hours=25)]
    assert t["first_step"].astype(str).tolist() == ["login"] * 6
    assert t["last_step"].astype(str).tolist()[2] == "cancellation"


def test_gap_start_and_end_steps_cut_journeys():
    # without the end step, customer 3's four events are one journey; a 1-hour gap splits more
    assert hand_journeys(end_steps=None).table["n_steps"].tolist() == [3, 2, 3, 4, 2]
    # a gap of exactly 1 h does not split (only longer ones): 2|1 + 2, 2|1, 2|2, 2
    assert hand_journeys(end_steps=None, gap="1h").table["n_steps"].tolist() == [2, 1, 2, 2, 1, 2, 2, 2]
    # a declared start step opens a new journey at every login
    assert hand_journeys(end_steps=None, start_steps="login").table["n_steps"].tolist() == [3, 2, 3, 2, 1, 1, 2]


def test_journeys_input_not_modified_and_events_in_journey_order():
    log = hand_log()
    before = log.copy()
    j = cx.journeys(log, customer="cust", time="when", step="step", channel="via")
    pd.testing.assert_frame_equal(log, before)
    ev = j.events
    assert len(ev) == len(log)
    assert ev["position"].tolist()[:5] == [0, 1, 2, 0, 1]
    assert (np.diff(ev["journey_id"].to_numpy()) >= 0).all()


def brute_force_journeys(events, gap, goal, failure):
    """One Python loop per customer: the reference for cx.journeys."""
    out = []
    ev = events.sort_values(["customer_id", "timestamp"], kind="stable")
    for cust, g in ev.groupby("customer_id", sort=True):
        cur = None
        for t, s, c in zip(g["timestamp"], g["touchpoint"], g["channel"]):
            if cur is None or t - cur["end"] > gap:
                cur = {"customer_id": cust, "start": t, "end": t, "steps": [], "channels": [], "outcome": "open"}
                out.append(cur)
            cur["end"] = t
            cur["steps"].append(s)
            cur["channels"].append(c)
            if s in goal:
                cur["outcome"] = "goal"
            elif s in failure:
                cur["outcome"] = "failure"
    return pd.DataFrame({
        "customer_id": [o["customer_id"] for o in out], "start": [o["start"] for o in out],
        "n_steps": [len(o["steps"]) for o in out], "path": [" > ".join(o["steps"]) for o in out],
        "n_channels": [len(set(o["channels"])) for o in out],
        "n_switches": [sum(a != b for a, b in zip(o["channels"], o["channels"][1:])) for o in out],
        "outcome": [o["outcome"] for o in out]})


@pytest.fixture(scope="module")
def synth():
    return cx.synthesize(0, n_customers=600)


@pytest.fixture(scope="module")
def synth_journeys(synth):
    return cx.journeys(synth.journeys, channel="channel", gap="3D", goal_steps=["renewal", "feature_adopted"],
                       failure_steps=["cancellation"])


def test_journeys_equal_a_brute_force_loop_on_the_synthetic_log(synth, synth_journeys):
    ref = brute_force_journeys(synth.journeys, pd.Timedelta("3D"), {"renewal", "feature_adopted"}, {"cancellation"})
    got = synth_journeys.table
    assert len(got) == len(ref)
    for col in ("customer_id", "start", "n_steps", "n_channels", "n_switches"):
        assert got[col].tolist() == ref[col].tolist(), col
    assert got["path"].astype(str).tolist() == ref["path"].tolist()
    assert got["outcome"].astype(str).tolist() == ref["outcome"].tolist()


def test_journeys_with_text_customers_and_text_times():
    log = hand_log().assign(cust=lambda d: "c" + d["cust"].astype(str), when=lambda d: d["when"].astype(str))
    t = cx.journeys(log, customer="cust", time="when", step="step", end_steps="renewal").table
    assert t["cust"].tolist() == ["c1", "c1", "c2", "c3", "c3", "c4"]
    assert t["n_steps"].tolist() == [3, 2, 3, 2, 2, 2]


@pytest.mark.parametrize("kwargs, match", [
    ({"customer": "nope"}, "`customer`='nope' is not a column"),
    ({"gap": "soon"}, "`gap`='soon' is not a duration"),
    ({"gap": "-1D"}, "positive duration"),
    ({"goal_steps": "login", "failure_steps": ["login"]}, "both in `goal_steps` and `failure_steps`"),
    ({"goal_steps": ["purchase"]}, "none of \\['purchase'\\] occurs"),
])
def test_journeys_bad_input(kwargs, match):
    opts = {"customer": "cust", "time": "when", "step": "step"} | kwargs
    with pytest.raises(CXDataError, match=match):
        cx.journeys(hand_log(), **opts)


def test_journeys_missing_and_non_date_times():
    log = hand_log()
    log.loc[2, "when"] = pd.NaT
    with pytest.raises(CXDataError, match="'when' has 1 missing"):
        cx.journeys(log, customer="cust", time="when", step="step")
    with pytest.raises(CXDataError, match="expected dates"):
        cx.journeys(hand_log().assign(when=1.5), customer="cust", time="when", step="step")


# ------------------------------------------------------------------------------ paths
def test_path_variants_by_hand():
    v = cx.path_variants(hand_journeys())
    t = v.table
    assert (v.n_journeys, v.n_paths) == (6, 5)
    assert t["path"].iloc[0] == "login > invoice" and t["count"].iloc[0] == 2
    assert t["count"].tolist() == [2, 1, 1, 1, 1]
    assert t["n_steps"].tolist()[0] == 2
    assert t["estimate"].iloc[0] == pytest.approx(2 / 6)
    assert t["cumulative"].iloc[-1] == pytest.approx(1.0)
    from statsmodels.stats.proportion import proportion_confint
    lo, hi = proportion_confint(2, 6, method="wilson")
    assert (t["ci_low"].iloc[0], t["ci_high"].iloc[0]) == (pytest.approx(lo), pytest.approx(hi))
    assert len(cx.path_variants(hand_journeys(), top=2).table) == 2


def test_path_variants_equal_value_counts_on_synthetic(synth_journeys):
    t = cx.path_variants(synth_journeys, top=None).table
    ref = synth_journeys.table["path"].astype(str).value_counts()
    assert dict(zip(t["path"], t["count"])) == ref.to_dict()
    assert t["count"].sum() == len(synth_journeys)


def test_directly_follows_by_hand():
    d = cx.directly_follows(hand_journeys()).table
    got = {(a, b): c for a, b, c in zip(d["from_step"], d["to_step"], d["count"])}
    assert got == {("(start)", "login"): 6, ("login", "ticket_opened"): 2, ("login", "invoice"): 2,
                   ("login", "renewal"): 1, ("login", "login"): 1, ("login", "(end)"): 1,
                   ("ticket_opened", "ticket_resolved"): 1, ("ticket_opened", "cancellation"): 1,
                   ("ticket_resolved", "(end)"): 1, ("invoice", "(end)"): 2, ("cancellation", "(end)"): 1,
                   ("renewal", "(end)"): 1}
    row = d[(d["from_step"] == "login") & (d["to_step"] == "invoice")].iloc[0]
    assert row["n"] == 7 and row["estimate"] == pytest.approx(2 / 7)
    assert row["median_time"] == pd.Timedelta(minutes=22.5)  # 30 and 15 minutes
    assert d.loc[(d["from_step"] == "login") & (d["to_step"] == "ticket_opened"), "median_time"].iloc[0] == \
        pd.Timedelta(hours=1)
    no_ends = cx.directly_follows(hand_journeys(), ends=False).table
    assert no_ends["count"].sum() == 14 - 6  # events minus journeys


def test_directly_follows_equal_brute_force_on_synthetic(synth_journeys):
    ev = synth_journeys.events
    pairs = {}
    for _, g in ev.groupby("journey_id"):
        s = g["step"].astype(str).tolist()
        for a, b in itertools.pairwise(s):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    d = cx.directly_follows(synth_journeys, ends=False).table
    assert {(a, b): c for a, b, c in zip(d["from_step"], d["to_step"], d["count"])} == pairs


def test_path_divergence_by_hand_and_against_statsmodels():
    j = hand_journeys()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        d = cx.path_divergence(j, min_base=1).table.set_index("step")
    # one failing journey (login > ticket_opened > cancellation), five others
    assert d.loc["ticket_opened", "failing_with"] == 1 and d.loc["ticket_opened", "other_with"] == 1
    assert d.loc["ticket_opened", "estimate"] == pytest.approx(1 - 1 / 5)
    assert "cancellation" not in d.index
    assert d.loc["login", "estimate"] == pytest.approx(0.0)


def test_path_divergence_on_synthetic_matches_statsmodels(synth_journeys):
    d = cx.path_divergence(synth_journeys, min_base=5).table.set_index("step")
    tab = synth_journeys.table
    failing = (tab["outcome"] == "failure").to_numpy()
    has = {s: tab["path"].astype(str).str.split(" > ").apply(lambda p, s=s: s in p).to_numpy()
           for s in ["invoice", "ticket_opened", "login"]}
    for s, h in has.items():
        a, b = int((h & failing).sum()), int((h & ~failing).sum())
        n1, n0 = int(failing.sum()), int((~failing).sum())
        assert (d.loc[s, "failing_with"], d.loc[s, "other_with"]) == (a, b)
        _, p = proportions_ztest([a, b], [n1, n0])
        lo, hi = confint_proportions_2indep(a, n1, b, n0, method="newcomb")
        assert d.loc[s, "p_value"] == pytest.approx(p, rel=1e-9)
        assert (d.loc[s, "ci_low"], d.loc[s, "ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    tested = d["p_value"].notna()
    from statsmodels.stats.multitest import multipletests
    assert np.allclose(d.loc[tested, "p_adjusted"], multipletests(d.loc[tested, "p_value"], method="fdr_bh")[1])


def test_path_divergence_last_step_and_a_flag_column():
    j = hand_journeys()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        last = cx.path_divergence(j, where="last", min_base=1).table.set_index("step")
        # last step before the end, failure steps aside: ticket_opened for the failing journey
        assert last.loc["ticket_opened", "failing_with"] == 1
        assert last.loc["invoice", "other_with"] == 2
        flagged = j.table.assign(complaint=[True, False, False, False, False, True])
        j2 = type(j)(**{**j.__dict__, "table": flagged})
        d = cx.path_divergence(j2, failing="complaint", min_base=1)
    assert (d.n_failing, d.n_other) == (2, 4)
    with pytest.raises(CXDataError, match="both groups need journeys"):
        cx.path_divergence(j2, failing=np.zeros(6, dtype=bool))


# ------------------------------------------------------------------------------ touchpoints
def test_touchpoint_scorecard_equals_by_group_and_csat(synth):
    tp = synth.touchpoints
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        card = cx.touchpoint_scorecard(tp, channel="channel", score="csat", current="2026Q2")
        rows = tp[tp["quarter"].isin(["2026Q1", "2026Q2"])]
        ref = cx.by_group(rows, "csat", by=["touchpoint", "channel"], compare="previous", period="quarter",
                          score="csat")
        cell = tp[(tp["quarter"] == "2026Q2") & (tp["touchpoint"] == "support_ticket") & (tp["channel"] == "chat")]
        prev = tp[(tp["quarter"] == "2026Q1") & (tp["touchpoint"] == "support_ticket") & (tp["channel"] == "chat")]
        r, r_prev = cx.csat(cell, score="csat"), cx.csat(prev, score="csat")
    ref = ref[ref["quarter"] == "2026Q2"].reset_index(drop=True)
    t = card.table
    assert card.previous_quarter == "2026Q1"
    for col in ("estimate", "ci_low", "ci_high", "n", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_adjusted"):
        assert np.allclose(t[col].astype(float), ref[col].astype(float), equal_nan=True), col
    one = t[(t["touchpoint"] == "support_ticket") & (t["channel"] == "chat")].iloc[0]
    assert (one["estimate"], one["ci_low"], one["n"]) == (r.estimate, r.ci_low, r.n)
    assert one["volume"] == len(cell)
    assert one["previous"] == pytest.approx(r_prev.estimate)


def test_touchpoint_scorecard_first_quarter_and_bad_quarter(synth):
    tp = synth.touchpoints
    first = min(tp["quarter"].unique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        card = cx.touchpoint_scorecard(tp, score="csat", current=first)
    assert card.previous_quarter is None and card.table["diff"].isna().all()
    assert set(card.table["compare_note"]) == {"first period"}
    with pytest.raises(CXDataError, match="`current`='1999Q1' is not a value"):
        cx.touchpoint_scorecard(tp, current="1999Q1")


def test_channel_consistency_against_scipy(synth):
    tp = synth.touchpoints
    r = cx.channel_consistency(tp, score="csat", metric="mean_score")
    row = r.table.set_index("touchpoint").loc["support_ticket"]
    groups = [g["csat"].dropna().astype(float).to_numpy() for _, g in
              tp[tp["touchpoint"] == "support_ticket"].groupby("channel")]
    f, p = stats.f_oneway(*groups)
    assert (row["statistic"], row["p_value"]) == (pytest.approx(f), pytest.approx(p))
    means = [g.mean() for g in groups]
    assert row["range"] == pytest.approx(max(means) - min(means))
    assert row["sd"] == pytest.approx(np.std(means, ddof=1))
    share = cx.channel_consistency(tp, score="csat", metric="csat").table.set_index("touchpoint").loc["support_ticket"]
    table = np.array([[(g >= 4).sum(), (g < 4).sum()] for g in groups])
    chi2, p2, dof, _ = stats.chi2_contingency(table, correction=False)
    assert (share["statistic"], share["p_value"], share["df"]) == (pytest.approx(chi2), pytest.approx(p2), dof)
    # one channel only: no test
    assert np.isnan(r.table.set_index("touchpoint").loc["renewal_call", "p_value"])


def test_channel_switching_against_welch(synth, synth_journeys):
    resp = cx.journey_responses(synth_journeys, synth.touchpoints)
    r = cx.channel_switching(resp, outcomes="csat", metric="mean_score")
    row = r.table.iloc[0]
    data = resp[resp["switched"].notna()]
    a = data.loc[data["switched"].astype(bool), "csat"].dropna().astype(float)
    b = data.loc[~data["switched"].astype(bool), "csat"].dropna().astype(float)
    assert row["estimate"] == pytest.approx(a.mean() - b.mean())
    assert row["p_value"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert (row["switched_n"], row["single_n"]) == (len(a), len(b))
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_journey_responses_equal_a_brute_force_match(synth, synth_journeys):
    tp = synth.touchpoints
    got = cx.journey_responses(synth_journeys, tp, within="7D")
    assert len(got) == len(tp) and got.index.equals(tp.index)
    tab = synth_journeys.table
    by_cust = {c: g for c, g in tab.groupby("customer_id")}
    for i in range(0, len(tp), 37):
        c, t = tp["customer_id"].iloc[i], tp["date"].iloc[i]
        g = by_cust.get(c)
        cand = g[g["start"] <= t] if g is not None else pd.DataFrame()
        expect = pd.NA
        if len(cand) and t <= cand["end"].iloc[-1] + pd.Timedelta("7D"):
            expect = cand["journey_id"].iloc[-1]
        assert (pd.isna(got["journey_id"].iloc[i]) and pd.isna(expect)) or got["journey_id"].iloc[i] == expect


def test_bad_inputs_of_the_path_and_touchpoint_functions(synth):
    with pytest.raises(CXDataError, match="must be the result of cx.journeys"):
        cx.path_variants(pd.DataFrame({"path": ["a"]}))
    with pytest.raises(CXDataError, match="`top`=0"):
        cx.path_variants(hand_journeys(), top=0)
    with pytest.raises(CXDataError, match="`where`='middle' is not valid"):
        cx.path_divergence(hand_journeys(), where="middle")
    with pytest.raises(CXDataError, match="`channel`='via' is not a column"):
        cx.touchpoint_scorecard(synth.touchpoints, channel="via")
    with pytest.raises(CXDataError, match="use a mean"):
        cx.channel_consistency(synth.touchpoints.assign(ltr=9), score="ltr", metric="nps")
    with pytest.raises(CXDataError, match="must be true/false"):
        cx.channel_switching(pd.DataFrame({"switched": ["yes", "no"], "csat": [1, 2]}))
    with pytest.raises(CXDataError, match="already has the journey column"):
        cx.journey_responses(hand_journeys(), pd.DataFrame({"cust": [1], "date": [T("2026-01-01")],
                                                            "journey_id": [1]}))


def test_journey_summary_by_hand():
    s = cx.journey_summary(hand_journeys()).set_index("measure")
    # six journeys: one failure, one goal, five switched channels, none with a single step
    assert s.loc["failure", "count"] == 1 and s.loc["goal", "count"] == 1 and s.loc["open", "count"] == 4
    assert s.loc["switched", "estimate"] == pytest.approx(5 / 6)
    assert s.loc["single_step", "count"] == 0
    assert s.loc["median_steps", "estimate"] == 2.0


def test_journeys_equal_duckdb_window_functions(synth):
    """The same sessionisation written in SQL (lag + running sum + ordered string_agg)."""
    duckdb = pytest.importorskip("duckdb")
    ev = synth.journeys.sample(frac=1.0, random_state=1).reset_index(drop=True)  # any row order
    ev["seq"] = ev["event_id"]  # ties broken as in the log's original order
    con = duckdb.connect()
    con.register("ev", ev)
    ref = con.execute("""
        WITH e AS (SELECT *, CASE WHEN lag(timestamp) OVER w IS NULL
                                   OR timestamp - lag(timestamp) OVER w > INTERVAL 2 DAY THEN 1 ELSE 0 END AS new
                   FROM ev WINDOW w AS (PARTITION BY customer_id ORDER BY timestamp, seq)),
             g AS (SELECT *, sum(new) OVER (PARTITION BY customer_id ORDER BY timestamp, seq
                                            ROWS UNBOUNDED PRECEDING) AS k FROM e)
        SELECT customer_id, min(timestamp) AS start, count(*) AS n_steps, count(DISTINCT channel) AS n_channels,
               string_agg(touchpoint, ' > ' ORDER BY timestamp, seq) AS path
        FROM g GROUP BY customer_id, k ORDER BY customer_id, start""").df()
    log = ev.sort_values(["timestamp", "seq"], kind="stable")  # a log in time order: cx.journeys must sort it
    got = cx.journeys(log, channel="channel", gap="2D").table
    assert len(got) == len(ref)
    assert got["customer_id"].tolist() == ref["customer_id"].tolist()
    assert got["n_steps"].tolist() == ref["n_steps"].tolist()
    assert got["n_channels"].tolist() == ref["n_channels"].tolist()
    assert got["path"].astype(str).tolist() == ref["path"].tolist()
