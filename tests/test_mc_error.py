"""Monte-Carlo error of the bootstrap intervals reviewers read beyond driver importance
(issue 15 item 4): revenue at risk, NPS with ``method="bootstrap"`` (one sample and by
group), and the findings clause that mentions the error when it is large.

Reference: brute force. Rerun the same bootstrap with other seeds; the standard deviation of
a bound over the repeats is the Monte-Carlo error the result estimates from one run
(``ci_low_mc_se``/``ci_high_mc_se``). With ~30 repeats that SD is itself known to about
±13 %, so the two must agree within a factor (0.6–1.6), not exactly.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from churn_data import cox_data

import cxlib as cx
from cxlib.core.inference import percentile_bound_mc_error
from cxlib.report import MC_ERROR_SHARE, bootstrap_error_clause

REPEATS = 30


def _agree(frames: list[pd.DataFrame], rows: int) -> None:
    """Brute-force SD of each bound over the repeats vs the mean reported MC error."""
    for bound in ("ci_low", "ci_high"):
        spread = np.array([f[bound].to_numpy(float) for f in frames]).std(axis=0, ddof=1)
        reported = np.array([f[f"{bound}_mc_se"].to_numpy(float) for f in frames]).mean(axis=0)
        assert spread.shape == (rows,) and np.all(reported > 0)
        ratio = spread / reported
        assert np.all((ratio > 0.6) & (ratio < 1.6)), (bound, ratio)


# ------------------------------------------------------------------------- revenue at risk
@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    d = cox_data(n=300, seed=3)
    d["p"] = np.random.default_rng(5).uniform(0.0, 0.4, len(d))
    return d


def test_revenue_at_risk_bounds_move_between_seeds_as_the_mc_error_says(customers):
    # per group and the "(all)" total, from a churn-probability column (no model)
    runs = [cx.revenue_at_risk(customers, churn_probability="p", by="nps_group", n_boot=200, seed=s).table
            for s in range(REPEATS)]
    _agree(runs, rows=4)
    cols = runs[0].columns.tolist()
    assert cols[cols.index("confidence_level") + 1:] == ["ci_low_mc_se", "ci_high_mc_se", "method"]


def test_revenue_at_risk_with_a_refitted_model_too(customers):
    fit = cx.churn_drivers(customers, covariates=["nps_group", "osat"], horizon=None)
    runs = [cx.revenue_at_risk(customers, model=fit, horizon=12, n_boot=100, seed=s).table for s in range(REPEATS)]
    _agree(runs, rows=2)  # revenue at risk and protected by the move


def test_revenue_at_risk_mc_error_is_that_of_its_replicates(customers):
    # with n_boot resamples and a fixed seed, the same replicates give the same MC error as
    # the core estimator applied to them (replicates rebuilt the way the bootstrap draws them)
    one = customers.assign(nps_group="all")
    res = cx.revenue_at_risk(one, churn_probability="p", n_boot=150, seed=4)
    rng = np.random.default_rng(4)
    amount = (one["p"] * one["monthly_revenue"] * 12).to_numpy()
    reps = np.array([amount[rng.integers(0, len(one), len(one))].sum() for _ in range(150)])
    lo, hi = percentile_bound_mc_error(reps, 0.95)
    row = res.table.iloc[0]
    assert row["ci_low_mc_se"] == pytest.approx(lo[0], rel=1e-9)
    assert row["ci_high_mc_se"] == pytest.approx(hi[0], rel=1e-9)


def test_no_resamples_no_mc_error(customers):
    res = cx.revenue_at_risk(customers, churn_probability="p", by="nps_group", n_boot=0)
    assert res.table["ci_low_mc_se"].isna().all() and res.table["ci_high_mc_se"].isna().all()


# ------------------------------------------------------------------------------------ NPS
def _scores(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(np.arange(11), n, p=[.04, .02, .03, .04, .05, .07, .1, .13, .17, .17, .18])


def test_nps_bootstrap_bounds_move_between_seeds_as_the_mc_error_says():
    scores = _scores(400, 1)
    runs = [cx.nps(scores, method="bootstrap", n_boot=400, seed=s).to_frame() for s in range(REPEATS)]
    _agree(runs, rows=1)


def test_grouped_bootstrap_nps_carries_the_mc_error_of_each_group():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"ltr": _scores(900, 3), "region": rng.choice(["n", "s", "e"], 900),
                       "w": rng.uniform(0.5, 2.0, 900)})
    runs = [cx.by_group(df, cx.nps, by="region", method="bootstrap", n_boot=400, seed=s) for s in range(REPEATS)]
    _agree(runs, rows=3)
    weighted = [cx.by_group(df, cx.nps, by="region", weights="w", method="bootstrap", n_boot=400, seed=s)
                for s in range(REPEATS)]
    _agree(weighted, rows=3)
    # with one group, by_group is nps() on the same rows: same draws, same MC errors, same columns
    one = cx.nps(df, method="bootstrap", n_boot=400, seed=0).to_frame()
    grouped = cx.by_group(df.assign(all="all"), cx.nps, by="all", method="bootstrap", n_boot=400, seed=0)
    grouped = grouped.drop(columns="all")
    assert grouped.columns.tolist() == one.columns.tolist()
    np.testing.assert_allclose(grouped[["ci_low_mc_se", "ci_high_mc_se"]], one[["ci_low_mc_se", "ci_high_mc_se"]],
                               rtol=1e-12)


def test_analytic_nps_intervals_have_no_mc_columns_and_degenerate_ones_no_error():
    assert "ci_low_mc_se" not in cx.nps(_scores(100, 4)).to_frame().columns
    assert "ci_low_mc_se" not in cx.by_group(pd.DataFrame({"ltr": _scores(100, 4), "g": 1}), cx.nps, by="g").columns
    assert cx.nps(_scores(100, 4)) == cx.nps(_scores(100, 4))  # None, not NaN: equal results stay equal
    with pytest.warns(cx.SmallBaseWarning):
        flat = cx.nps([10] * 40, method="bootstrap", n_boot=200)  # no variance: no interval
    assert np.isnan(flat.ci_low) and np.isnan(flat.ci_low_mc_se) and np.isnan(flat.ci_high_mc_se)


# ------------------------------------------------------------------------ findings clause
def test_clause_by_hand():
    row = {"ci_low": 100.0, "ci_high": 140.0, "ci_low_mc_se": 3.0, "ci_high_mc_se": 5.0}
    # e = 5, half-width h = 20: 25 % > 10 %; B' = 40 · (5 / 2)² = 250, rounded up to 300
    assert bootstrap_error_clause(row, n_boot=40) == (
        "With 40 resamples the interval's bounds would move by about ±5.0 between runs with other seeds "
        "(25% of its half-width; Monte-Carlo standard error, Efron and Tibshirani 1993, ch. 19); "
        "about 300 resamples would bring that under 10%.")
    assert not set("&<>") & set(bootstrap_error_clause(row, n_boot=40))  # quoted verbatim in the HTML summary
    # just over 10 % is never shown as "10%"; B' = 40 · 1.01² = 40.8 -> 50
    assert "(10.1% of its half-width;" in bootstrap_error_clause({**row, "ci_low_mc_se": 1.0, "ci_high_mc_se": 2.02}, n_boot=40)
    assert "about 50 resamples" in bootstrap_error_clause({**row, "ci_low_mc_se": 1.0, "ci_high_mc_se": 2.02}, n_boot=40)
    assert MC_ERROR_SHARE == 0.10
    small = {**row, "ci_low_mc_se": 2.0, "ci_high_mc_se": 1.0}
    assert bootstrap_error_clause(small, n_boot=40) is None  # exactly 10 %: not over
    assert bootstrap_error_clause(small, n_boot=40, share=0.05) is not None
    assert bootstrap_error_clause({"ci_low": 1.0, "ci_high": 2.0}, n_boot=40) is None  # no MC error known
    assert bootstrap_error_clause({**row, "ci_low": np.nan}, n_boot=40) is None


def _mc_sentences(result) -> list[str]:
    return [s for s in cx.report.churn_findings(at_risk=result) if "resamples the interval's bounds" in s]


def test_revenue_findings_state_a_large_mc_error_and_not_a_small_one(customers):
    fit = cx.churn_drivers(customers, covariates=["nps_group", "osat"], horizon=None)
    with pytest.warns(cx.ResamplingWarning, match="n_boot=30"):  # fewer than 39: also warned
        few = cx.revenue_at_risk(customers, model=fit, by="nps_group", horizon=12, n_boot=30, seed=1)
    many = cx.revenue_at_risk(customers, churn_probability="p", by="nps_group", horizon=12, n_boot=3000, seed=1)
    lost, protect = cx.report.churn_findings(at_risk=few, currency="€")
    total = few.table.loc[few.table["nps_group"] == "(all)"].set_index("quantity")
    large = 0
    for sentence, q in ((lost, "revenue_at_risk"), (protect, "protected_if_detractor_to_passive")):
        r = total.loc[q]
        error = max(r["ci_low_mc_se"], r["ci_high_mc_se"])
        share = error / ((r["ci_high"] - r["ci_low"]) / 2)
        assert ("resamples the interval's bounds" in sentence) == (share > MC_ERROR_SHARE)
        if share > MC_ERROR_SHARE:
            large += 1
            assert f"With 30 resamples the interval's bounds would move by about ±€{error:,.0f} between runs" in sentence
            assert f"({share:.0%} of its half-width;" in sentence or f"({share:.1%} of its half-width;" in sentence
            needed = int(re.search(r"about ([\d,]+) resamples would", sentence).group(1).replace(",", ""))
            exact = 30 * (share / MC_ERROR_SHARE) ** 2  # the error shrinks as 1/sqrt(B)
            assert exact <= needed < exact + 10 ** np.floor(np.log10(exact))
    assert large >= 1  # 30 resamples: the clause is written
    # 3,000 resamples: the error is a small part of the interval, and nothing is said
    r = many.table.loc[many.table["nps_group"] == "(all)"].iloc[0]
    assert max(r["ci_low_mc_se"], r["ci_high_mc_se"]) < MC_ERROR_SHARE * (r["ci_high"] - r["ci_low"]) / 2
    assert _mc_sentences(many) == []
    # no resamples, no interval and no clause
    assert _mc_sentences(cx.revenue_at_risk(customers, churn_probability="p", n_boot=0)) == []


# ------------------------------------------------------------------------------- peak-end
@pytest.fixture(scope="module")
def touchpoints():
    """A planted peak-end memory: the rating follows the worst and the last touchpoint."""
    rng = np.random.default_rng(8)
    n, k = 200, 3
    base = rng.normal(0, 1, n)
    scores = base[:, None] * 0.3 + rng.normal(0, 1, (n, k))
    days = pd.to_datetime("2026-01-05") + pd.to_timedelta(np.arange(k) * 10, unit="D")
    tp = pd.DataFrame({"customer_id": np.repeat(np.arange(n), k), "csat": scores.ravel(), "date": np.tile(days, n)})
    sv = pd.DataFrame({"customer_id": np.arange(n), "osat": base + scores.min(1) + scores[:, -1] + rng.normal(0, 0.5, n),
                       "response_date": pd.to_datetime(["2026-03-01"] * n)})
    return sv, tp


def test_peak_end_bounds_move_between_seeds_as_the_mc_error_says(touchpoints):
    sv, tp = touchpoints
    runs = [cx.peak_end(sv, tp, n_boot=200, seed=s) for s in range(REPEATS)]
    _agree([r.table for r in runs], rows=4)
    _agree([r.differences for r in runs], rows=3)
    assert cx.peak_end(sv, tp, n_boot=0).differences["ci_low_mc_se"].isna().all()
    with pytest.warns(cx.ResamplingWarning, match="n_boot=20 the smallest attainable p-value"):
        cx.peak_end(sv, tp, n_boot=20)


# ------------------------------------------------------------- too few resamples for a level
def test_interval_warning_threshold_is_the_coverage_of_the_resamples_range():
    import warnings

    from cxlib.core.inference import warn_if_interval_cannot_reach

    # the range of B draws from a continuous distribution covers (B - 1)/(B + 1) of it on
    # average (order statistics: E F(X_(B)) - E F(X_(1)) = (B - 1)/(B + 1)); brute force:
    rng = np.random.default_rng(0)
    draws = rng.uniform(size=(20000, 19))
    assert (draws.max(1) - draws.min(1)).mean() == pytest.approx(18 / 20, abs=0.003)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for level, ok in ((0.95, 39), (0.90, 19), (0.99, 199)):
            assert not warn_if_interval_cannot_reach(ok, level, what="x")  # (B - 1)/(B + 1) = level
            with pytest.raises(cx.ResamplingWarning, match=f"use n_boot >= {ok} "):
                warn_if_interval_cannot_reach(ok - 1, level, what="x")
    assert not warn_if_interval_cannot_reach(0, 0.95, what="x")  # no interval asked for


def test_revenue_at_risk_warns_when_resamples_cannot_hold_the_level(customers):
    with pytest.warns(cx.ResamplingWarning, match=r"revenue at risk: with n_boot=20 the 95% percentile interval"):
        cx.revenue_at_risk(customers, churn_probability="p", n_boot=20)


def test_grouped_bootstrap_nps_is_seeded_by_default():
    # by_group passes no seed: the bootstrap uses seed=0, as nps() does (was an unseeded generator)
    df = pd.DataFrame({"ltr": _scores(300, 6), "g": np.tile(["a", "b", "c"], 100)})
    a = cx.by_group(df, cx.nps, by="g", method="bootstrap", n_boot=200)
    pd.testing.assert_frame_equal(a, cx.by_group(df, cx.nps, by="g", method="bootstrap", n_boot=200, seed=0))
    assert "seed=0" in a["method"].iloc[0]


def test_peak_end_sentence_states_a_large_mc_error_only(touchpoints):
    sv, tp = touchpoints
    for n_boot in (60, 4000):
        res = cx.peak_end(sv, tp, n_boot=n_boot, seed=0)
        r = res.differences.set_index("summary").loc["peak_end"]
        large = max(r["ci_low_mc_se"], r["ci_high_mc_se"]) > MC_ERROR_SHARE * (r["ci_high"] - r["ci_low"]) / 2
        assert large == (n_boot == 60)  # the premise: few resamples, a large error; many, a small one
        sentences = cx.report.peak_end_findings(res)
        assert len(sentences) == 4 and not any("resamples the interval" in s for s in sentences[:3])
        assert (f"With {n_boot:,} resamples the interval's bounds would move by about ±" in sentences[3]) == large


def test_mc_error_of_many_columns_at_once_equals_column_by_column():
    rng = np.random.default_rng(7)
    reps = rng.gamma(2.0, 1.0, (300, 50))
    reps[:40, 3] = np.nan  # columns with missing replicates take the per-column path
    reps[:, 7] = np.nan
    reps[1:, 9] = np.nan  # one finite replicate: no error
    lo, hi = percentile_bound_mc_error(reps, 0.9)
    for j in range(reps.shape[1]):  # the estimator written out per column: (ξ̂_{q+d} − ξ̂_{q−d}) / 2
        col = reps[:, j][np.isfinite(reps[:, j])]
        for q, got in ((0.05, lo[j]), (0.95, hi[j])):
            if len(col) < 2:
                assert np.isnan(got)
                continue
            d = np.sqrt(q * (1 - q) / len(col))
            assert got == pytest.approx((np.quantile(col, q + d) - np.quantile(col, q - d)) / 2, rel=1e-13)
    assert np.isnan(lo[[7, 9]]).all() and np.isfinite(lo[3])
