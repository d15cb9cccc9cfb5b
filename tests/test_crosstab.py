"""Banner tables (cxlib.crosstab) and their HTML / Excel rendering (cxlib.report.crosstab_export).

Where the expected numbers come from:
- column-proportion tests: statsmodels ``proportions_ztest`` (pooled), cell by cell;
- means: scipy ``ttest_ind(equal_var=False)``; weighted: scipy ``ttest_ind_from_stats`` on
  the weighted means and SDs with the Kish effective base computed here with pandas;
- weighted shares: ``proportions_ztest`` on (weighted share × n_eff, n_eff);
- NPS: a hand computation (arithmetic in the comments) and a pandas brute force;
- letters: a hand-worked three-column example (arithmetic in the comments);
- Total column: the project's one-sample metrics (cx.top_box, cx.mean_score, cx.nps).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

import cxlib as cx
from cxlib.crosstab import Crosstab
from cxlib.errors import CXDataError, SmallBaseWarning


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """600 respondents: a 1–5 rating, a 0–10 score, a text choice, two banner variables, weights."""
    rng = np.random.default_rng(7)
    n = 600
    region = rng.choice(["north", "south", "east"], n, p=[0.45, 0.35, 0.2])
    shift = pd.Series(region).map({"north": 0.4, "south": 0.0, "east": -0.3}).to_numpy()
    osat = np.clip(np.rint(rng.normal(3.6 + shift, 1.0)), 1, 5)
    ltr = np.clip(np.rint(rng.normal(7.2 + 1.5 * shift, 2.0)), 0, 10)
    df = pd.DataFrame({
        "region": region,
        "plan": rng.choice(["basic", "premium"], n),
        "osat": pd.array(osat, dtype="Int64"),
        "ltr": pd.array(ltr, dtype="Int64"),
        "channel": rng.choice(["app", "web", "phone"], n),
        "weight": rng.uniform(0.3, 3.0, n),
    })
    df.loc[rng.choice(n, 25, replace=False), "osat"] = pd.NA
    return df


def _cell(ct: Crosstab, **where) -> pd.Series:
    t = ct.table
    mask = np.ones(len(t), dtype=bool)
    for k, v in where.items():
        mask &= (t[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return t[mask].iloc[0]


def _pair(ct: Crosstab, **where) -> pd.Series:
    t = ct.tests
    mask = np.ones(len(t), dtype=bool)
    for k, v in where.items():
        mask &= (t[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return t[mask].iloc[0]


# ------------------------------------------------------------------ against statsmodels / scipy
def test_column_proportion_tests_equal_statsmodels_pooled_z_cell_by_cell(survey):
    ct = cx.crosstab(survey, ["channel", "osat"], "region", correction="none")
    d = survey.dropna(subset=["osat"])
    checked = 0
    for question, data in (("channel", survey), ("osat", d)):
        for level in sorted(data[question].unique()):
            for a, b in itertools.combinations(["east", "north", "south"], 2):
                xa = int((data.loc[data.region == a, question] == level).sum())
                xb = int((data.loc[data.region == b, question] == level).sum())
                na, nb = int((data.region == a).sum()), int((data.region == b).sum())
                z, p = proportions_ztest([xa, xb], [na, nb])
                row = _pair(ct, question=question, level=level, column_a=a, column_b=b)
                assert row["statistic"] == pytest.approx(z, rel=1e-10)
                assert row["p_value"] == pytest.approx(p, rel=1e-9)
                assert row["p_adjusted"] == row["p_value"]  # correction="none"
                assert row["diff"] == pytest.approx(100 * (xa / na - xb / nb), abs=1e-10)
                checked += 1
    assert checked == 3 * (3 + 5)


def test_means_equal_welch_t_test(survey):
    ct = cx.crosstab(survey, "osat", ["region", "plan"], stat="mean", correction="none")
    d = survey.dropna(subset=["osat"])
    for var, levels in (("region", ["east", "north", "south"]), ("plan", ["basic", "premium"])):
        for a, b in itertools.combinations(levels, 2):
            xa = d.loc[d[var] == a, "osat"].astype(float)
            xb = d.loc[d[var] == b, "osat"].astype(float)
            res = stats.ttest_ind(xa, xb, equal_var=False)
            row = _pair(ct, question="osat", banner=var, column_a=a, column_b=b)
            assert row["statistic"] == pytest.approx(res.statistic, rel=1e-10)
            assert row["p_value"] == pytest.approx(res.pvalue, rel=1e-9)
            assert row["df"] == pytest.approx(res.df, rel=1e-10)
            cell = _cell(ct, question="osat", banner=var, column=a)
            assert cell["estimate"] == pytest.approx(xa.mean(), rel=1e-12)
            assert cell["n"] == len(xa)


def _kish(w: pd.Series) -> float:
    return float(w.sum() ** 2 / (w ** 2).sum())


def test_weighted_shares_use_the_kish_base_in_the_pooled_z_test(survey):
    ct = cx.crosstab(survey, "channel", "region", weights="weight", correction="none")
    for level in ("app", "phone", "web"):
        for a, b in itertools.combinations(["east", "north", "south"], 2):
            ga, gb = survey[survey.region == a], survey[survey.region == b]
            pa = ga.loc[ga.channel == level, "weight"].sum() / ga["weight"].sum()
            pb = gb.loc[gb.channel == level, "weight"].sum() / gb["weight"].sum()
            na, nb = _kish(ga["weight"]), _kish(gb["weight"])
            z, p = proportions_ztest([pa * na, pb * nb], [na, nb])
            row = _pair(ct, level=level, column_a=a, column_b=b)
            assert row["statistic"] == pytest.approx(z, rel=1e-9)
            assert row["p_value"] == pytest.approx(p, rel=1e-8)
            cell = _cell(ct, level=level, column=a)
            assert cell["estimate"] == pytest.approx(100 * pa, rel=1e-12)
            assert cell["n_eff"] == pytest.approx(na, rel=1e-12)
            assert cell["n"] == len(ga)


def test_weighted_means_use_the_kish_base_in_welch_t(survey):
    ct = cx.crosstab(survey, "osat", "region", weights="weight", stat="mean", correction="none")
    d = survey.dropna(subset=["osat"])
    moments = {}
    for g, part in d.groupby("region"):
        w, x = part["weight"], part["osat"].astype(float)
        m = float((w * x).sum() / w.sum())
        n_eff = _kish(w)
        var = float((w * (x - m) ** 2).sum() / w.sum()) * n_eff / (n_eff - 1)  # on the n_eff scale
        moments[g] = (m, np.sqrt(var), n_eff)
    for a, b in itertools.combinations(["east", "north", "south"], 2):
        (ma, sa, na), (mb, sb, nb) = moments[a], moments[b]
        res = stats.ttest_ind_from_stats(ma, sa, na, mb, sb, nb, equal_var=False)
        row = _pair(ct, column_a=a, column_b=b)
        assert row["statistic"] == pytest.approx(res.statistic, rel=1e-9)
        assert row["p_value"] == pytest.approx(res.pvalue, rel=1e-8)
        assert _cell(ct, column=a)["estimate"] == pytest.approx(ma, rel=1e-12)


def test_nps_against_a_hand_computation():
    # A: 10, 10, 10, 9, 9 | 8, 7 | 6, 5, 0 -> p_P = 0.5, p_D = 0.3, NPS = 20, V = 0.8 − 0.2² = 0.76
    # B: 10, 9 | 8, 8, 7, 7 | 6, 3, 2, 1 -> p_P = 0.2, p_D = 0.4, NPS = −20, V = 0.6 − 0.2² = 0.56
    # diff = 40, SE = 100 sqrt(0.76/10 + 0.56/10) = 100 sqrt(0.132) = 36.3318
    # z = 40 / 36.3318 = 1.10096, p = 2 (1 − Φ(1.10096)) = 0.27092
    # CI of A: 20 ± 1.959964 × 100 sqrt(0.076) = 20 ± 54.0326
    df = pd.DataFrame({"grp": ["a"] * 10 + ["b"] * 10,
                       "ltr": [10, 10, 10, 9, 9, 8, 7, 6, 5, 0, 10, 9, 8, 8, 7, 7, 6, 3, 2, 1]})
    ct = cx.crosstab(df, "ltr", "grp", stat="nps", min_base=5)
    a = _cell(ct, column="a")
    assert a["estimate"] == pytest.approx(20.0, abs=1e-12)
    assert a["std_err"] == pytest.approx(100 * np.sqrt(0.076), rel=1e-12)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((20 - 54.0326, 20 + 54.0326), abs=1e-3)
    assert _cell(ct, column="b")["estimate"] == pytest.approx(-20.0, abs=1e-12)
    pair = _pair(ct, column_a="a", column_b="b")
    assert pair["diff"] == pytest.approx(40.0, abs=1e-12)
    assert pair["std_err"] == pytest.approx(36.3318, abs=1e-4)
    assert pair["statistic"] == pytest.approx(1.10096, abs=1e-5)
    assert pair["p_value"] == pytest.approx(0.27092, abs=1e-5)
    assert pair["test"].startswith("two-sample NPS z-test")


def test_weighted_nps_against_a_brute_force(survey):
    ct = cx.crosstab(survey, "ltr", "plan", weights="weight", stat="nps", correction="none")
    parts = {}
    for g, part in survey.groupby("plan"):
        w, s = part["weight"], part["ltr"].astype(float)
        pp, pd_ = w[s >= 9].sum() / w.sum(), w[s <= 6].sum() / w.sum()
        parts[g] = (100 * (pp - pd_), (pp + pd_) - (pp - pd_) ** 2, _kish(w))
    (ea, va, na), (eb, vb, nb) = parts["basic"], parts["premium"]
    z = (ea - eb) / (100 * np.sqrt(va / na + vb / nb))
    pair = _pair(ct, column_a="basic", column_b="premium")
    assert pair["statistic"] == pytest.approx(z, rel=1e-9)
    assert pair["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-8)
    assert _cell(ct, column="basic")["estimate"] == pytest.approx(ea, rel=1e-12)


def test_total_column_equals_the_one_sample_metrics(survey):
    ct = cx.crosstab(survey, ["osat", "ltr"], "region", weights="weight",
                     stat={"osat": ["nets", "mean"], "ltr": "nps"}, nets={"osat": {"top-2": (4, 5)}})
    checks = [
        (_cell(ct, question="osat", level="top-2", banner="Total"),
         cx.top_box(survey, score="osat", top=(4, 5), scale=(1, 5), weights="weight"), 100.0),
        (_cell(ct, question="osat", stat="mean", banner="Total"),
         cx.mean_score(survey, score="osat", weights="weight"), 1.0),
        (_cell(ct, question="ltr", banner="Total"), cx.nps(survey, score="ltr", weights="weight"), 1.0),
    ]
    for cell, ref, factor in checks:
        for key in ("estimate", "ci_low", "ci_high", "std_err"):
            assert cell[key] == pytest.approx(factor * getattr(ref, key), rel=1e-10), key
        assert cell["n"] == ref.n
        assert cell["n_eff"] == pytest.approx(ref.n_eff, rel=1e-12)


def test_column_percentages_equal_pandas_crosstab(survey):
    ct = cx.crosstab(survey, "osat", "region", weights="weight", test=None)
    expected = pd.crosstab(survey["osat"], survey["region"], values=survey["weight"], aggfunc="sum",
                           normalize="columns") * 100
    for level in expected.index:
        for col in expected.columns:
            assert _cell(ct, level=int(level), column=col)["estimate"] == pytest.approx(expected.loc[level, col])
    assert ct.tests.empty and (ct.table["higher_than"] == "").all()


def test_invariants_levels_sum_to_100_and_estimates_lie_in_their_intervals(survey):
    ct = cx.crosstab(survey, ["osat", "channel", "ltr"], ["region", "plan"], weights="weight",
                     stat={"osat": ["column %", "mean"], "ltr": "nps"})
    t = ct.table
    levels = t[(t["stat"] == "column %") & ~t["net"]]
    sums = levels.groupby(["question", "banner", "column"])["estimate"].sum()
    assert np.allclose(sums, 100.0, atol=1e-9)
    assert ((t["ci_low"] <= t["estimate"] + 1e-12) & (t["estimate"] <= t["ci_high"] + 1e-12)).all()
    nps = t[t["stat"] == "nps"]
    assert nps["ci_low"].ge(-100).all() and nps["ci_high"].le(100).all()
    # each banner variable's columns add up to the Total base (no respondent misses a banner value here)
    for (q, stat, banner), part in t[t["banner"] != "Total"].groupby(["question", "stat", "banner"]):
        total = t[(t["question"] == q) & (t["stat"] == stat) & (t["banner"] == "Total")]["n"].iloc[0]
        assert part.groupby("level")["n"].sum().eq(total).all()


# -------------------------------------------------------------------------------- letters
def _three_columns() -> pd.DataFrame:
    yes = {"A": 60, "B": 45, "C": 30}
    rows = []
    for col, k in yes.items():
        rows += [(col, "yes")] * k + [(col, "no")] * (100 - k)
    df = pd.DataFrame(rows, columns=["grp", "answer"])
    df["half"] = np.where(np.arange(len(df)) % 2 == 0, "even", "odd")
    return df


@pytest.mark.parametrize("correction, yes_letters, no_letters", [
    # Hand-worked, 100 respondents per column, "yes" 60 / 45 / 30:
    #   A−B: p̄ = 105/200 = .525, se = sqrt(.525·.475·(2/100)) = .070622, z = .15/.070622 = 2.124, p = .0337
    #   A−C: p̄ = .45,  se = sqrt(.45·.55·.02)  = .070356, z = .30/.070356 = 4.264, p = 2.0e-5
    #   B−C: p̄ = .375, se = sqrt(.375·.625·.02) = .068465, z = .15/.068465 = 2.191, p = .0285
    # BH (m = 3): 2.0e-5·3/1 = 6.0e-5; .0285·3/2 = .0427 -> min with the next, .0337; .0337·3/3 = .0337:
    #   all three < .05 -> A is higher than B and C ("BC"), B than C ("C").
    # none: all three raw p < .05 -> the same letters.
    # Bonferroni: .101, 6.0e-5, .0854 -> only A−C: A "C".
    # Holm: 6.0e-5, then .0285·2 = .0569 > .05 (stop) -> only A−C: A "C".
    # The "no" row mirrors it (C, the lowest "yes", has the highest "no").
    ("bh", ("BC", "C", ""), ("", "A", "AB")),
    ("none", ("BC", "C", ""), ("", "A", "AB")),
    ("bonferroni", ("C", "", ""), ("", "", "A")),
    ("holm", ("C", "", ""), ("", "", "A")),
])
def test_letters_against_a_hand_worked_three_column_example(correction, yes_letters, no_letters):
    ct = cx.crosstab(_three_columns(), "answer", ["grp", "half"], correction=correction)
    for col, letter, yes, no in zip("ABC", "ABC", yes_letters, no_letters):
        assert _cell(ct, level="yes", column=col)["letter"] == letter
        assert _cell(ct, level="yes", column=col)["higher_than"] == yes
        assert _cell(ct, level="no", column=col)["higher_than"] == no
    # the second banner variable continues the letters; Total has none and is never tested
    assert list(ct.banner["letter"]) == ["", "A", "B", "C", "D", "E"]
    assert set(ct.tests["banner"]) == {"grp", "half"}
    assert (_pair(ct, level="yes", column_a="A", column_b="B")["p_value"]
            == pytest.approx(0.033672068856, rel=1e-9))
    # letters only within a banner variable: "even"/"odd" never carry A–C
    half = ct.table[ct.table["banner"] == "half"]
    assert not half["higher_than"].str.contains("[ABC]").any()


def test_small_bases_are_shown_but_neither_tested_nor_tested_against():
    df = _three_columns()
    small = pd.DataFrame({"grp": ["D"] * 12, "answer": ["yes"] * 12, "half": "even"})  # 100% yes, n = 12
    df = pd.concat([df, small], ignore_index=True)
    with pytest.warns(SmallBaseWarning, match="grp=D"):
        ct = cx.crosstab(df, "answer", "grp", min_base=30)
    d = _cell(ct, level="yes", column="D")
    assert d["small_base"] and d["estimate"] == 100.0 and d["higher_than"] == ""
    involving = ct.tests[(ct.tests["column_a"] == "D") | (ct.tests["column_b"] == "D")]
    assert len(involving) == 2 * 3 and involving["p_value"].isna().all() and involving["significant"].isna().all()
    assert not ct.table["higher_than"].str.contains("D").any()
    # the family is the three tested pairs only: the same adjusted p-values as without D
    ref = cx.crosstab(_three_columns(), "answer", "grp")
    tested = ct.tests.dropna(subset=["p_value"]).reset_index(drop=True)
    pd.testing.assert_series_equal(tested["p_adjusted"], ref.tests["p_adjusted"], check_names=False)
    assert "D" not in ct.to_frame().loc[("answer", "no"), ("grp", "A (A)")]
    assert ct.to_frame().loc[("answer", "yes"), ("grp", "D (D)")] == "100.0*"


def test_weighted_small_base_is_judged_on_the_effective_base():
    df = _three_columns()
    w = np.where(df["grp"] == "C", np.tile([20.0] + [0.01] * 9, 30), 1.0)  # C: n = 100, n_eff = 10.1
    with pytest.warns(SmallBaseWarning):
        ct = cx.crosstab(df, "answer", "grp", weights=w)
    c = _cell(ct, level="yes", column="C")
    assert c["n"] == 100 and c["n_eff"] < 30 and c["small_base"]
    assert not _cell(ct, level="yes", column="A")["small_base"]


# ------------------------------------------------------------------------- table contents
def test_nets_missing_label_and_banner_missing_values(survey):
    df = survey.copy()
    df.loc[df.index[:40], "region"] = None  # in Total only
    ct = cx.crosstab(df, "osat", "region", nets={"osat": {"top-2": (4, 5), "bottom-2": (1, 2)}},
                     missing="No answer", scale=(1, 5), test=None)
    total = ct.table[ct.table["banner"] == "Total"]
    assert list(total["level"]) == [1, 2, 3, 4, 5, "No answer", "top-2", "bottom-2"]
    assert total["n"].iloc[0] == len(df)  # missing answers count in the base with a label
    assert total.loc[total["level"] == "No answer", "estimate"].iloc[0] == pytest.approx(100 * 25 / len(df))
    top = total.loc[total["level"] == "top-2", "estimate"].iloc[0]
    assert top == pytest.approx(total.loc[total["level"].isin([4, 5]), "estimate"].sum())
    regions = ct.table[(ct.table["banner"] == "region") & (ct.table["level"] == 1)]
    assert regions["n"].sum() == len(df) - 40
    assert total["net"].tolist() == [False] * 6 + [True] * 2


def test_letters_go_across_banner_variables_and_to_frame_reads_them(survey):
    ct = cx.crosstab(survey, ["osat", "ltr"], ["region", "plan"], stat={"osat": "mean", "ltr": "nps"},
                     weights="weight")
    assert list(ct.banner.itertuples(index=False, name=None)) == [
        ("Total", "Total", ""), ("region", "east", "A"), ("region", "north", "B"), ("region", "south", "C"),
        ("plan", "basic", "D"), ("plan", "premium", "E")]
    wide = ct.to_frame()
    assert list(wide.index) == [("osat", "Base (n)"), ("osat", "Effective base"), ("osat", "mean"),
                                ("ltr", "Base (n)"), ("ltr", "Effective base"), ("ltr", "NPS")]
    north = _cell(ct, question="osat", column="north")
    assert north["higher_than"]  # the planted region effect
    assert wide.loc[("osat", "mean"), ("region", "north (B)")] == f"{north['estimate']:.2f} {north['higher_than']}"
    assert wide.loc[("osat", "Base (n)"), ("Total", "Total")] == f"{(survey['osat'].notna()).sum():,}"


def test_inputs_are_not_modified(survey):
    before = survey.copy(deep=True)
    weights = survey["weight"].copy()
    cx.crosstab(survey, ["osat", "channel", "ltr"], ["region", "plan"], weights=weights,
                stat={"ltr": "nps"}, nets={"osat": {"top": (5,)}})
    pd.testing.assert_frame_equal(survey, before)
    pd.testing.assert_series_equal(weights, before["weight"])


def test_categorical_order_and_empty_columns_are_kept():
    df = pd.DataFrame({"grp": pd.Categorical(["b", "a"] * 20, categories=["b", "a", "c"]),
                       "q": ["x", "y", "y", "y"] * 10})
    with pytest.warns(SmallBaseWarning, match="grp=c"):
        ct = cx.crosstab(df, "q", "grp")
    assert list(ct.banner["column"]) == ["Total", "b", "a", "c"]
    c = _cell(ct, level="x", column="c")
    assert c["n"] == 0 and np.isnan(c["estimate"]) and c["small_base"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(rows="nope", columns="region"), "`rows`='nope' is not a column"),
    (dict(rows="osat", columns="nope"), "`columns`='nope' is not a column"),
    (dict(rows="osat", columns="region", stat="median"), "stat for 'osat'"),
    (dict(rows="osat", columns="region", correction="fdr"), "`correction`='fdr'"),
    (dict(rows="osat", columns="region", test="total"), "`test`='total'"),
    (dict(rows="osat", columns="region", nets={"osat": {"top": (6, 7)}}), "net 'top' of 'osat' lists level"),
    (dict(rows="osat", columns="region", stat="mean", nets={"osat": {"top": (5,)}}), "nets are shares"),
    (dict(rows="osat", columns="region", stat="nets"), "defines none"),
    (dict(rows="channel", columns="region", stat="mean"), "column 'channel' has 600 non-numeric"),
    (dict(rows="osat", columns="region", scale=(1, 4)), "outside the scale"),
    (dict(rows="osat", columns="region", missing=0), "`missing`=0"),
    (dict(rows="osat", columns="region", stat={"ltr": "nps"}), "not among `rows`"),
])
def test_errors_name_the_problem(survey, kwargs, message):
    with pytest.raises(CXDataError, match=message.replace("(", r"\(")):
        cx.crosstab(survey, **kwargs)


def test_more_columns_than_letters_is_refused():
    df = pd.DataFrame({"grp": [f"g{i:02d}" for i in range(60)] * 2, "q": ["x", "y"] * 60})
    with pytest.raises(CXDataError, match="60 columns, more than the 52 letters"):
        cx.crosstab(df, "q", "grp", min_base=0)


# ------------------------------------------------------------------------ HTML and Excel
def test_html_shows_letters_as_superscripts_bases_and_the_note():
    df = pd.concat([_three_columns(), pd.DataFrame({"grp": ["D"] * 12, "answer": "yes", "half": "odd"})])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        ct = cx.crosstab(df, "answer", "grp")
    page = cx.report.crosstab_html(ct, title="Renewal by group")
    assert "<caption>Renewal by group</caption>" in page
    assert "60.0%<sup>BC</sup>" in page and "45.0%<sup>C</sup>" in page
    assert '<td class="cx-small" title="95% CI [75.8, 100.0]; n = 12">100.0%*</td>' in page
    assert '<th class="cx-stub">Base (n)</th><td class="cx-total">312</td>' in page
    assert "pooled two-proportion z-test" in page and "Benjamini–Hochberg" in page
    assert "base below 30 are marked *" in page
    assert page._repr_html_() == str(page)


def test_excel_export_one_sheet_per_table_with_the_expected_cells(tmp_path, survey):
    ct1 = cx.crosstab(_three_columns(), "answer", "grp")
    ct2 = cx.crosstab(survey, ["osat", "ltr"], ["region"], weights="weight",
                      stat={"osat": ["nets", "mean"], "ltr": "nps"}, nets={"osat": {"top-2": (4, 5)}})
    out = cx.report.crosstab_excel({"renewal": ct1, "satisfaction/loyalty": ct2}, tmp_path / "banner.xlsx")
    assert out == tmp_path / "banner.xlsx" and [p.name for p in tmp_path.iterdir()] == ["banner.xlsx"]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["renewal", "satisfaction_loyalty"]
    ws = wb["renewal"]
    assert [ws.cell(4, j).value for j in range(1, 6)] == [None, "Total", "A", "B", "C"]
    assert [ws.cell(5, j).value for j in range(2, 6)] == [None, "(A)", "(B)", "(C)"]
    labels = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1) if ws.cell(r, 1).value}
    assert [ws.cell(labels["Base (n)"], j).value for j in range(2, 6)] == [300, 100, 100, 100]
    yes = labels["yes"]
    assert [ws.cell(yes, j).value for j in range(2, 6)] == [45, 60, 45, 30]
    assert ws.cell(yes, 3).number_format == '0.0"%"'
    assert [ws.cell(yes + 1, j).value for j in range(2, 6)] == [None, "BC", "C", None]
    note = ws.cell(ws.max_row, 1).value
    assert note == cx.report.crosstab_note(ct1) and "Benjamini–Hochberg" in note
    ws = wb["satisfaction_loyalty"]
    labels = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1) if ws.cell(r, 1).value}
    nps = _cell(ct2, question="ltr", column="north")
    assert ws.cell(labels["NPS"], 4).value == pytest.approx(nps["estimate"], rel=1e-12)
    assert ws.cell(labels["Mean"], 2).value == pytest.approx(_cell(ct2, stat="mean", banner="Total")["estimate"])
    assert ws.cell(labels["Effective base"], 2).value == pytest.approx(
        _cell(ct2, question="ltr", banner="Total")["n_eff"])
    assert "Weighted" in ws.cell(ws.max_row, 1).value


def test_excel_export_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "banner.xlsx"
    target.write_bytes(b"old")
    ct = cx.crosstab(_three_columns(), "answer", "grp")

    def broken(self, filename):
        with open(filename, "wb") as fh:
            fh.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        cx.report.crosstab_excel(ct, target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["banner.xlsx"]


def test_excel_export_refuses_what_is_not_a_crosstab(tmp_path):
    with pytest.raises(CXDataError, match="not a Crosstab"):
        cx.report.crosstab_excel({"x": pd.DataFrame()}, tmp_path / "x.xlsx")
    with pytest.raises(CXDataError, match="empty"):
        cx.report.crosstab_excel([], tmp_path / "x.xlsx")


LABELS = {"osat": "Overall satisfaction (1–5)", "ltr": "Likelihood to recommend (0–10)", "region": "Sales region"}


@pytest.mark.parametrize("labels", [LABELS, lambda c: LABELS.get(c, c)])
def test_html_and_excel_show_the_study_labels_of_questions_and_banner_variables(tmp_path, survey, labels):
    """Issue 13: the question texts, not the column ids; a column without a label keeps its id."""
    ct = cx.crosstab(survey, ["osat", "ltr"], ["region", "plan"], weights="weight",
                     stat={"osat": ["nets", "mean"], "ltr": "nps"}, nets={"osat": {"top-2": (4, 5)}})
    page = cx.report.crosstab_html(ct, labels=labels)
    assert '<th colspan="7">Overall satisfaction (1–5)</th>' in page
    assert '<th colspan="7">Likelihood to recommend (0–10)</th>' in page
    assert '<th colspan="3">Sales region</th>' in page and '<th colspan="2">plan</th>' in page
    assert ">osat<" not in page and ">region<" not in page
    assert '<th colspan="7">osat</th>' in cx.report.crosstab_html(ct)  # no labels: the ids, as before
    ws = openpyxl.load_workbook(cx.report.crosstab_excel({"t": ct}, tmp_path / "b.xlsx", labels=labels))["t"]
    col_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "Overall satisfaction (1–5)" in col_a and "Likelihood to recommend (0–10)" in col_a and "osat" not in col_a
    assert [ws.cell(3, j).value for j in (3, 6)] == ["Sales region", "plan"]
    assert ws.cell(1, 1).value == ("t: Overall satisfaction (1–5), Likelihood to recommend (0–10) by Sales region, "
                                   "plan")
    with pytest.raises(CXDataError, match="`labels`"):
        cx.report.crosstab_html(ct, labels=["osat"])
