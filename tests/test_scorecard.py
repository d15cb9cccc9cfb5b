"""Scorecard helpers, display tables and plots, against direct computations with the
estimators they compose (which are themselves validated in test_metrics/test_helpdesk)."""

from __future__ import annotations

import dataclasses
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import cxlib as cx
from cxlib.data.roles import SYNTHETIC_ROLES, StudyRoles
from cxlib.data.study import Scale
from cxlib.errors import CXDataError, SmallBaseWarning
from cxlib.scorecard import top_box_range


@pytest.fixture(scope="module")
def ds(small_dataset):
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey)
    import dataclasses

    return dataclasses.replace(small_dataset, survey=survey)


def test_headline_metrics_equal_direct_estimators(ds):
    q = cx.latest_quarter(ds)
    prev = cx.previous_quarter(q)
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q).set_index("metric")
    cur, old = ds.survey[ds.survey["quarter"] == q], ds.survey[ds.survey["quarter"] == prev]
    # NPS: level and signed change vs the previous quarter = compare_nps(current, previous)
    direct = cx.nps(cur, weights="weight")
    cmp = cx.compare_nps(cur, old, weights="weight")
    assert h.loc["NPS", "estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert h.loc["NPS", "diff"] == pytest.approx(cmp.estimate, rel=1e-12)
    assert h.loc["NPS", "p_value"] == pytest.approx(cmp.p_value, rel=1e-9)
    # CSAT in percent = 100 × the top-2-box share
    assert h.loc["CSAT top-2-box", "estimate"] == pytest.approx(100 * cx.csat(cur, weights="weight").estimate)
    # churn: the quarterly rate of cx.churn_rate, same base
    cr = cx.churn_rate(ds.customers, period="Q", start=prev, end=q).to_frame().set_index("period")
    assert h.loc["Churn rate (quarterly)", "estimate"] == pytest.approx(100 * cr.loc[q, "rate"], rel=1e-12)
    assert h.loc["Churn rate (quarterly)", "n"] == cr.loc[q, "at_risk"]
    # p-values adjusted together (Benjamini–Hochberg across the table)
    p = h["p_value"].to_numpy()
    np.testing.assert_allclose(h["p_adjusted"], multipletests(p, method="fdr_bh")[1])


def test_subset_dataset_restricts_every_table(ds):
    sub = cx.subset_dataset(ds, "country", "JP")
    ids = set(ds.customers.loc[ds.customers["country"] == "JP", "customer_id"])
    for name in ("customers", "survey", "touchpoints", "tickets", "journeys"):
        t = getattr(sub, name)
        assert set(t["customer_id"]) <= ids and len(t) == getattr(ds, name)["customer_id"].isin(ids).sum()
    assert cx.subset_dataset(ds, "country", None) is ds
    with pytest.raises(CXDataError, match="no customer has country = 'XX'"):
        cx.subset_dataset(ds, "country", "XX")
    with pytest.raises(CXDataError, match="not a column"):
        cx.subset_dataset(ds, "planet", "Mars")


def test_operational_metrics_equal_direct_calls(ds):
    q = cx.latest_quarter(ds)
    t = ds.tickets[ds.tickets["quarter"] == q]
    ops = cx.operational_metrics(ds.tickets, quarter=q).set_index("metric")
    assert ops.loc["Reopen rate", "estimate"] == pytest.approx(100 * cx.reopen_rate(t).estimate)
    frt = cx.first_response_time(t)
    assert ops.loc["First response time, p90", "estimate"] == pytest.approx(frt[0.9].estimate)
    assert ops.loc["First response time, median", "ci_low"] == pytest.approx(frt.median.ci_low)


def test_segment_breakdown_and_findings(ds):
    q = cx.latest_quarter(ds)
    b = cx.segment_breakdown(ds.survey, cx.nps, quarter=q, by="plan", min_base=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        ref = cx.by_group(ds.survey[ds.survey["quarter"] == q], cx.nps, by="plan", compare="rest",
                          weights="weight")
    pd.testing.assert_series_equal(b["estimate"], ref["estimate"])
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q)
    text = cx.report.scorecard_findings(h)
    nps = h.set_index("metric").loc["NPS"]
    assert len(text) == len(h)
    assert text[0].startswith(f"NPS in {q} is {nps['estimate']:.1f} points "
                              f"(95% CI {nps['ci_low']:.1f} to {nps['ci_high']:.1f}, n = {nps['n']:,})")
    seg = cx.report.breakdown_findings(b, by="plan")
    sig = b[b["significant"].fillna(False).astype(bool)]
    for (_, r), sentence in zip(sig.iterrows(), seg):
        assert sentence.startswith(f"NPS of plan {r['plan']} is {abs(r['diff']):.1f} points")
    if sig.empty:
        assert seg[0] == "No plan differs significantly in NPS from the rest after FDR correction."


def test_scorecard_key_figures_carry_the_headline_table(ds):
    q = cx.latest_quarter(ds)
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q)
    figs = cx.report.scorecard_key_figures(h, scope="all")
    assert figs["scope"] == "all" and len(figs["changes"]) == len(h)
    for (_, r), change in zip(h.iterrows(), figs["changes"]):
        label = f"{r['metric']}{' (%)' if r['unit'] == '%' else ''}"
        assert figs["headline"][label] == change["current"]
        assert change["current"]["estimate"] == r["estimate"] and change["current"]["n"] == r["n"]
        assert change["diff"] == r["diff"] and change["p_value"] == r["p_adjusted"]


def test_format_table_suppresses_and_formats():
    f = pd.DataFrame({"g": ["a", "b"], "estimate": [12.345, 50.0], "ci_low": [5.0, 1.0], "ci_high": [19.71, 90.0],
                      "n": [1234, 12], "small_base": [False, True], "min_base": [30, 30], "diff": [2.0, 9.0],
                      "diff_ci_low": [-1.0, 1.0], "diff_ci_high": [5.0, 17.0], "p_adjusted": [0.2, 0.01],
                      "significant": [False, True], "confidence_level": [0.95, 0.95]})
    t = cx.report.format_table(f, label="g", unit="points").to_frame()
    assert t.loc[0].tolist() == ["a", "12.3", "[5.0, 19.7]", "1,234", "+2.0 [-1.0, 5.0]", "0.200", "no"]
    assert t.loc[1, "estimate (points)"] == "suppressed (n = 12 < minimum base 30)" and t.loc[1, "difference [CI]"] == "not tested"
    assert "95% CI" in t.columns
    html = cx.report.format_table(f, label="g")._repr_html_()
    assert "50.0" not in html  # a suppressed estimate never reaches the HTML


def test_plots_draw_precomputed_intervals_and_label_small_bases():
    f = pd.DataFrame({"g": ["a", "b"], "estimate": [10.0, 20.0], "ci_low": [5.0, 0.0], "ci_high": [15.0, 40.0],
                      "n": [400, 12], "small_base": [False, True], "significant": [True, False]})
    ax = cx.plot_estimates(f, y="g", reference=12.0, title="t")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a  (n = 400) *", "b  (n = 12, suppressed)"]
    segs = ax.collections[0].get_segments()  # the drawn error bar is the given interval
    assert len(segs) == 1 and segs[0][0][0] == 5.0 and segs[0][1][0] == 15.0
    trend = pd.DataFrame({"quarter": ["2026Q1", "2026Q2"], "estimate": [1.0, 2.0], "ci_low": [0.0, 1.0],
                          "ci_high": [2.0, 3.0], "n": [50, 10], "small_base": [False, True]})
    ax2 = cx.plot_trend(trend)
    ydata = ax2.get_lines()[0].get_ydata()
    assert ydata[0] == 1.0 and np.isnan(ydata[1])  # small base left as a gap
    with pytest.raises(CXDataError, match="lacks column"):
        cx.plot_trend(trend.drop(columns="n"))


# ----------------------------------------------------------------------------- roles and top boxes
@pytest.mark.parametrize("points, role, box", [
    ((0, 1), "satisfaction", (1, 1)),      # binary: the share of 1
    ((1, 2), "satisfaction", (2, 2)),      # two points: the top one
    ((1, 5), "satisfaction", (4, 5)),      # up to 7 points: top 2
    ((1, 7), "satisfaction", (6, 7)),
    ((1, 10), "satisfaction", (8, 10)),    # 10 and 11 points: top 3
    ((0, 10), "satisfaction", (8, 10)),
    ((0, 1), "effort", (1, 1)),
    ((1, 5), "effort", (4, 5)),            # "easy": top 2 of 5 points
    ((1, 7), "effort", (5, 7)),            # top 3 of 7 points (as the synthetic CES)
    ((0, 10), "effort", (8, 10)),
])
def test_top_box_range_per_scale(points, role, box):
    assert top_box_range(points, role=role) == box


def test_top_box_range_refuses_scales_without_a_convention():
    with pytest.raises(CXDataError, match="has 101 points; top boxes are defined for scales of up to 11"):
        top_box_range((0, 100))
    with pytest.raises(CXDataError, match="whole points"):
        top_box_range((1, 4.5))
    with pytest.raises(CXDataError, match="`role`='loyalty' is not valid"):
        top_box_range((1, 5), role="loyalty")


def _roles(points=None, *, values=None, weight=None, effort=None, recommend=None):
    survey = {"satisfaction": "sat", **({"weight": weight} if weight else {}),
              **({"effort": "eff"} if effort else {}), **({"recommend": "rec"} if recommend else {})}
    scales = {"sat": Scale(points=points, values=values or {})}
    if effort:
        scales["eff"] = Scale(points=effort)
    if recommend:
        scales["rec"] = Scale(points=recommend)
    return StudyRoles(title="t", roles={"survey": survey}, labels={"sat": "How satisfied are you?"}, scales=scales,
                      quarters=("2025Q4",))


@pytest.mark.parametrize("points, values, label", [
    ((0.0, 1.0), {"no": 0.0, "yes": 1.0}, "Share satisfied (1 = yes)"),
    ((0.0, 1.0), None, "Share satisfied (coded 1)"),
    ((1.0, 5.0), None, "CSAT top-2-box"),  # the conventional label the report's key figures carry
    ((1.0, 7.0), None, "CSAT top-2-box (6–7)"),
    ((1.0, 10.0), None, "CSAT top-3-box (8–10)"),
    ((0.0, 10.0), None, "CSAT top-3-box (8–10)"),
])
def test_scorecard_metric_labels_say_the_box(points, values, label):
    (m,) = cx.scorecard_metrics(_roles(points, values=values))
    assert (m.label, m.unit, m.column, m.question) == (label, "%", "sat", "How satisfied are you?")
    effort = cx.scorecard_metrics(_roles((1.0, 5.0), effort=(1.0, 5.0)))[1]
    assert effort.label == "CES easy (4–5)" and effort.kwargs["easy"] == (4.0, 5.0)


def test_synthetic_scorecard_metrics_are_todays():
    assert [(m.label, m.unit, m.column) for m in cx.scorecard_metrics(SYNTHETIC_ROLES)] == [
        ("NPS", "points", "ltr"), ("CSAT top-2-box", "%", "osat"), ("CES easy (5–7)", "%", "ces")]


def test_scorecard_metrics_refuse_undeclared_or_wrong_scales():
    with pytest.raises(CXDataError, match=r"satisfaction column 'sat' has no declared scale; .*\[scales.satisfaction\]"):
        cx.scorecard_metrics(_roles(None))
    with pytest.raises(CXDataError, match=r"NPS needs a 0–10 .* 'rec' is declared on \[1, 5\]"):
        cx.scorecard_metrics(_roles((1.0, 5.0), recommend=(1.0, 5.0)))
    with pytest.raises(CXDataError, match=r"no 'recommend' question; its outcome roles: \['satisfaction'\]"):
        cx.metric_trend(pd.DataFrame({"quarter": ["2025Q4"], "sat": [1]}), "recommend", roles=_roles((0.0, 1.0)))


@pytest.mark.parametrize("points", [(0.0, 1.0), (1.0, 5.0), (1.0, 7.0), (1.0, 10.0), (0.0, 10.0)])
def test_headline_share_is_the_share_in_the_box(points):
    rng = np.random.default_rng(int(points[1]))
    low, high = int(points[0]), int(points[1])
    survey = pd.DataFrame({"quarter": "2025Q4", "sat": pd.array(rng.integers(low, high + 1, 300), dtype="Int64"),
                           "w": rng.uniform(0.5, 2.0, 300)})
    survey.loc[::25, "sat"] = pd.NA
    box = top_box_range(points)
    answered = survey["sat"].dropna().astype(int)
    # unweighted: the study has no weight role
    h = cx.headline_metrics(survey, quarter="2025Q4", roles=_roles(points))
    assert len(h) == 1 and h.loc[0, "n"] == len(answered)
    assert h.loc[0, "estimate"] == pytest.approx(100 * answered.between(*box).mean(), rel=1e-12)
    assert pd.isna(h.loc[0, "diff"]) and h.loc[0, "previous_n"] == 0  # one wave: no change
    # weighted by the weight role: the weighted share in the box
    hw = cx.headline_metrics(survey, quarter="2025Q4", roles=_roles(points, weight="w"))
    ok = survey["sat"].notna()
    w, x = survey.loc[ok, "w"], survey.loc[ok, "sat"].astype(int)
    assert hw.loc[0, "estimate"] == pytest.approx(100 * (w * x.between(*box)).sum() / w.sum(), rel=1e-12)


def test_roles_give_todays_results_on_synthetic_data(ds):
    q = cx.latest_quarter(ds)
    by_role = cx.metric_trend(ds.survey, "satisfaction", roles=SYNTHETIC_ROLES)
    pd.testing.assert_frame_equal(by_role, cx.metric_trend(ds.survey, cx.csat))
    pd.testing.assert_frame_equal(cx.segment_breakdown(ds.survey, "recommend", quarter=q, by="plan"),
                                  cx.segment_breakdown(ds.survey, cx.nps, quarter=q, by="plan"))
    effort = cx.metric_trend(ds.survey, "effort", by="plan")
    pd.testing.assert_frame_equal(effort, cx.metric_trend(ds.survey, cx.ces, by="plan", weights="weight"))
    # no weight role: unweighted, as the metric called without weights
    unweighted = dataclasses.replace(SYNTHETIC_ROLES, roles={**SYNTHETIC_ROLES.roles, "survey": {
        k: v for k, v in SYNTHETIC_ROLES.roles["survey"].items() if k != "weight"}})
    h = cx.headline_metrics(ds.survey, ds.customers, quarter=q, roles=unweighted).set_index("metric")
    cur = ds.survey[ds.survey["quarter"] == q]
    assert h.loc["NPS", "estimate"] == pytest.approx(cx.nps(cur).estimate, rel=1e-12)
    # churn only when the customers table has signup and churn roles
    no_churn = dataclasses.replace(SYNTHETIC_ROLES, roles={**SYNTHETIC_ROLES.roles, "customers": {
        "customer_id": "customer_id"}})
    assert "Churn rate (quarterly)" not in set(cx.headline_metrics(ds.survey, ds.customers, quarter=q,
                                                                   roles=no_churn)["metric"])


# --- significance letters between segments (issue 13) -------------------------------------------
@pytest.mark.parametrize("metric, stat, row, nets", [
    ("recommend", "nps", "ltr", None),
    ("satisfaction", "nets", "osat", {"osat": {"top": (4, 5)}}),
    ("effort", "nets", "ces", {"ces": {"easy": (5, 6, 7)}}),
])
@pytest.mark.parametrize("by", ["plan", "country"])
def test_segment_letters_equal_a_direct_crosstab_cell_by_cell(ds, metric, stat, row, nets, by):
    q = cx.latest_quarter(ds)
    b = cx.segment_breakdown(ds.survey, metric, quarter=q, by=by, min_base=150)
    cur = ds.survey[ds.survey["quarter"] == q]
    scale = {"osat": (1, 5), "ces": (1, 7)}.get(row)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        ct = cx.crosstab(cur, row, by, weights="weight", stat=stat, nets=nets, scale=scale, min_base=150,
                         correction="bh")
    cells = ct.table[ct.table["banner"] == by].set_index("column")
    assert list(b[by]) == list(cells.index)
    for _, r in b.iterrows():
        cell = cells.loc[r[by]]
        assert (r["letter"], r["higher_than"]) == (cell["letter"], cell["higher_than"])
        # the crosstab's question is the metric: same estimate and base
        assert r["estimate"] == pytest.approx(cell["estimate"], rel=1e-10)
        assert r["n"] == cell["n"] and bool(r["small_base"]) == bool(cell["small_base"])
    pairwise = cx.segment_crosstab(ds.survey, metric, quarter=q, by=by, min_base=150)
    pd.testing.assert_frame_equal(pairwise.tests.drop(columns=["level"]), ct.tests.drop(columns=["level"]))


def test_segment_letters_of_means_and_missing_codes(ds):
    q = cx.latest_quarter(ds)
    b = cx.segment_breakdown(ds.survey, cx.mean_score, quarter=q, by="country", score="osat", scale=(1, 5))
    cur = ds.survey[ds.survey["quarter"] == q]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        ct = cx.crosstab(cur, "osat", "country", weights="weight", stat="mean")
    cells = ct.table.iloc[1:].set_index("column")
    assert b.set_index("country")["higher_than"].to_dict() == cells["higher_than"].to_dict()
    assert ct.tests["test"].iloc[0] == "Welch's t-test"
    # declared missing codes are no answer for the letters too (as for the metric)
    s = pd.DataFrame({"quarter": "2025Q4", "g": ["x"] * 80 + ["y"] * 80,
                      "r": [5] * 40 + [0] * 30 + [1] * 10 + [2] * 40 + [0] * 5 + [4] * 35})
    m = cx.segment_breakdown(s, cx.top_box, quarter="2025Q4", by="g", score="r", top=(4, 5), scale=(1, 5),
                             missing=[0], weights=None)
    assert m["n"].tolist() == [50, 75] and m["higher_than"].tolist() == ["B", ""]


def test_segment_letters_hand_example_with_three_segments_and_a_small_one():
    """Three segments of 100 with 70, 55 and 40 in the top box, and a fourth of 10 (below the
    minimum base: shown, not tested). Pooled z by hand, then BH and Bonferroni by hand."""
    from scipy.stats import norm

    counts = {"Business": (70, 100), "Eco Plus": (55, 100), "Economy": (40, 100), "Crew": (10, 10)}
    groups, scores = [], []
    for g, (top, n) in counts.items():
        groups += [g] * n
        scores += [5] * top + [2] * (n - top)
    s = pd.DataFrame({"quarter": "2025Q4", "cls": groups, "sat": scores})

    def p_pooled(a, b):
        (xa, na), (xb, nb) = counts[a], counts[b]
        pbar = (xa + xb) / (na + nb)
        z = (xa / na - xb / nb) / np.sqrt(pbar * (1 - pbar) * (1 / na + 1 / nb))
        return 2 * norm.sf(abs(z))

    p = {("Business", "Eco Plus"): p_pooled("Business", "Eco Plus"),  # z = 2.191, p = 0.0285
         ("Business", "Economy"): p_pooled("Business", "Economy"),  # z = 4.264, p = 0.00002
         ("Eco Plus", "Economy"): p_pooled("Eco Plus", "Economy")}  # z = 2.124, p = 0.0337
    ordered = sorted(p, key=p.get)  # BH by hand: p_(i) m / i, then the running minimum from the top
    bh = {k: min(p[j] * 3 / (ordered.index(j) + 1) for j in ordered[ordered.index(k):]) for k in ordered}
    assert bh[("Business", "Eco Plus")] == pytest.approx(p[("Eco Plus", "Economy")])  # 0.0337 < 0.05
    b = cx.segment_breakdown(s, cx.csat, quarter="2025Q4", by="cls", score="sat", weights=None, min_base=30)
    got = b.set_index("cls")[["letter", "higher_than"]]
    # segments in sorted order: Business A, Crew B, Eco Plus C, Economy D
    assert got.to_dict("index") == {"Business": {"letter": "A", "higher_than": "CD"},
                                    "Crew": {"letter": "B", "higher_than": ""},
                                    "Eco Plus": {"letter": "C", "higher_than": "D"},
                                    "Economy": {"letter": "D", "higher_than": ""}}
    tests = cx.segment_crosstab(s, cx.csat, quarter="2025Q4", by="cls", score="sat", weights=None).tests
    tested = tests.dropna(subset=["p_value"]).set_index(["column_a", "column_b"])
    assert len(tested) == 3 and tests["p_value"].isna().sum() == 3  # Crew neither tests nor is tested
    for pair, value in bh.items():
        assert tested.loc[pair, "p_value"] == pytest.approx(p[pair], rel=1e-9)
        assert tested.loc[pair, "p_adjusted"] == pytest.approx(value, rel=1e-9)
    # Bonferroni (3 pairs): only Business vs Economy stays significant
    bonf = cx.segment_breakdown(s, cx.csat, quarter="2025Q4", by="cls", score="sat", weights=None,
                                correction="bonferroni")
    assert bonf["higher_than"].tolist() == ["D", "", "", ""]
    # the findings sentence names the letters, both shares and the adjusted p-values
    text = cx.report.letter_findings(tests, metric="CSAT top-2-box", unit="%", label="Travel class")
    assert text == [
        f"By Travel class, Business (A) is higher in CSAT top-2-box than Eco Plus (C) (70.0% vs 55.0%, adjusted "
        f"p = {bh[('Business', 'Eco Plus')]:.3f}) and Economy (D) (70.0% vs 40.0%, adjusted p < 0.001).",
        f"By Travel class, Eco Plus (C) is higher in CSAT top-2-box than Economy (D) (55.0% vs 40.0%, adjusted "
        f"p = {bh[('Eco Plus', 'Economy')]:.3f})."]
    none = cx.report.letter_findings(tests.assign(significant=pd.array([pd.NA] * len(tests), dtype="boolean")),
                                     metric="NPS", label="Travel class")
    assert none == ["No Travel class is significantly higher than another in NPS (pairwise tests, adjusted)."]
    figs = cx.report.letter_key_figures(b, tests, by="cls", metric="CSAT top-2-box")
    assert figs["letters"]["Business"] == {"letter": "A", "higher_than": "CD"}
    assert [(x["higher"], x["lower"]) for x in figs["pairs"]] == [("Business", "Eco Plus"), ("Business", "Economy"),
                                                                  ("Eco Plus", "Economy")]
    labels = cx.report.letter_labels(b, by="cls")["cls"].tolist()
    assert labels == ["Business (A) > CD", "Crew (B)", "Eco Plus (C) > D", "Economy (D)"]
    with pytest.raises(CXDataError, match="significance letters are defined for"):
        cx.segment_crosstab(s, cx.reopen_rate, quarter="2025Q4", by="cls")


# --- support metrics from the study's tickets roles (issue 10) ---------------------------------
def _ticket_roles(**columns):
    return dataclasses.replace(SYNTHETIC_ROLES, roles={**SYNTHETIC_ROLES.roles, "tickets": columns})


def test_operational_metrics_read_the_tickets_roles(ds):
    q = cx.latest_quarter(ds)
    renamed = ds.tickets.drop(columns=["quarter", "first_resolved_at"]).rename(columns={
        "created_at": "Opened", "first_response_at": "First reply", "resolved_at": "Closed",
        "reopen_count": "Reopens", "contacts": "Touches"})
    roles = _ticket_roles(opened="Opened", first_response="First reply", resolved="Closed", reopens="Reopens",
                          contacts="Touches")
    ops = cx.operational_metrics(renamed, quarter=q, roles=roles)
    pd.testing.assert_frame_equal(ops, cx.operational_metrics(ds.tickets, quarter=q))
    # the synthetic roles give today's numbers (solved = first solve present, same tickets)
    t = ds.tickets[ds.tickets["quarter"] == q]
    o = ops.set_index("metric")
    assert o.loc["First-contact resolution", "estimate"] == pytest.approx(
        100 * cx.first_contact_resolution(t).estimate, rel=1e-12)
    assert o.loc["Full resolution time, median", "estimate"] == pytest.approx(
        cx.resolution_time(t, kind="full").median.estimate, rel=1e-12)
    assert len(cx.quarter_tickets(renamed, quarter=q, roles=roles)) == len(t)
    # without a contacts column there is no FCR; without reopens no reopen rate
    fewer = cx.operational_metrics(renamed, quarter=q, roles=_ticket_roles(opened="Opened", resolved="Closed"))
    assert fewer["metric"].tolist() == ["Full resolution time, median", "Full resolution time, p90"]
    text = " ".join(cx.report.support_method(_ticket_roles(opened="Opened", resolved="Closed", reopens="Reopens")))
    assert "'Opened' to 'Closed'" in text and "'Reopens' ≥ 1" in text and "no contacts column" in text
    with pytest.raises(CXDataError, match="no `opened` column"):
        cx.operational_metrics(renamed, quarter=q, roles=_ticket_roles(resolved="Closed"))
    with pytest.raises(CXDataError, match="no tickets opened in quarter '1999Q1'"):
        cx.operational_metrics(renamed, quarter="1999Q1", roles=roles)
