"""Importance–performance quadrants that say whether the data settle them (issue 15 item 5).

A quadrant call is settled only when the driver's importance interval (bootstrap interval of
its share) and its performance interval (the metric core's t or Wilson interval) each lie on
the side of their cut line where the point estimate is. Checked on a hand-built result whose
intervals are known, and against a brute-force recomputation on survey-like data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

import cxlib as cx
from cxlib.drivers import KeyDriverResult
from cxlib.errors import CXDataError
from cxlib.report import format_importance_performance, key_driver_findings

DRIVERS = ["a", "b", "c", "d"]


def _hand_built() -> KeyDriverResult:
    """A key-driver result with hand-chosen importances, replicates and ratings.

    Importances 0.4, 0.3, 0.2, 0.1 (shares 40/30/20/10 %, share cut-off 25 %); replicates
    of a, b, c evenly spaced (each replicate sums to 1, so shares = 100 × replicates):
    a 35–45 % (above 25), b 22–38 % (crosses 25), c 15–24 % (below), d 9–12 % (below).
    Ratings (200 rows): a 5/4 half each (mean 4.5), b 1/3 (2.0), c 120 × 5 + 80 × 1 (3.4, wide),
    d 3/4 (3.5); performance cut-off = mean of the means = 3.35.
    """
    rng = np.random.default_rng(0)
    base = pd.DataFrame(rng.integers(1, 6, size=(200, 4)), columns=DRIVERS)
    base["y"] = base.sum(axis=1) + rng.normal(size=200)
    res = cx.key_drivers(base, outcome="y", drivers=DRIVERS, n_boot=0)
    a, b, c = np.linspace(0.35, 0.45, 101), np.linspace(0.38, 0.22, 101), np.linspace(0.15, 0.24, 101)
    reps = np.column_stack([a, b, c, 1 - a - b - c])
    imp = np.array([0.4, 0.3, 0.2, 0.1])
    lo, hi = np.percentile(reps, [2.5, 97.5], axis=0)
    table = res.table.assign(importance=imp, estimate=imp, ci_low=lo, ci_high=hi, share=100 * imp, rank=[1, 2, 3, 4])
    ratings = pd.DataFrame({
        "y": np.arange(200.0),
        "a": np.repeat([5.0, 4.0], 100), "b": np.repeat([1.0, 3.0], 100),
        "c": np.repeat([5.0, 1.0], [120, 80]), "d": np.repeat([3.0, 4.0], 100),
    })
    return dataclasses.replace(res, table=table, bootstrap_importances=reps, ratings=ratings, rating_weights=None,
                               performance=ratings[DRIVERS].mean().rename("performance"))


def test_hand_built_quadrants_and_their_settlement():
    ipa = cx.importance_performance(_hand_built())
    t = ipa.table.set_index("driver")
    assert ipa.share_cutoff == pytest.approx(25.0) and ipa.performance_cutoff == pytest.approx(3.35)
    # share intervals by hand: 2.5% / 97.5% points of the evenly spaced replicates
    assert t.loc["a", "ci_low"] == pytest.approx(35.25) and t.loc["b", "ci_low"] == pytest.approx(22.4)
    # performance intervals: the t interval of each column, by hand with scipy
    r = _hand_built().ratings
    for d in DRIVERS:
        half = stats.t.ppf(0.975, 199) * r[d].std(ddof=1) / np.sqrt(200)
        assert t.loc[d, "performance_ci_low"] == pytest.approx(r[d].mean() - half, rel=1e-12)
        assert t.loc[d, "performance_ci_high"] == pytest.approx(r[d].mean() + half, rel=1e-12)
        assert t.loc[d, "performance_n"] == 200
    assert t["quadrant"].to_dict() == {"a": "keep up the good work", "b": "concentrate here",
                                       "c": "possible overkill", "d": "possible overkill"}
    assert t["importance_settled"].tolist() == [True, False, True, True]
    assert t["performance_settled"].tolist() == [True, True, False, True]
    assert t["settled"].tolist() == [True, False, False, True]
    assert t["unsettled"].tolist() == ["", "importance", "performance", ""]
    # the findings name only settled calls as such; b is borderline, with its axis
    text = key_driver_findings(_hand_built(), ipa=ipa, labels={"a": "Question A", "b": "Question B"})[2]
    assert text.startswith("No driver is settled in 'concentrate here' (cut-offs at the mean importance 0.250")
    assert "Borderline 'concentrate here' on the point estimates only: Question B (importance interval across" in text
    assert "The important driver Question A already performs above average (settled) — protect it." in text
    shown = format_importance_performance(ipa, labels={"b": "Question B"}).to_frame().set_index("driver")
    assert shown.loc["Question B", "settled by the data"] == "borderline: importance"
    assert shown.loc["a", "settled by the data"] == "yes"
    assert shown.loc["c", "performance [95% CI]"] == (f"3.40 [{t.loc['c', 'performance_ci_low']:.2f}, "
                                                      f"{t.loc['c', 'performance_ci_high']:.2f}]")


def test_a_settled_concentrate_here_call_is_named_first():
    res = _hand_built()
    # narrow b's replicates to 28–32 %: its importance interval now clears the 25 % cut-off
    reps = res.bootstrap_importances.copy()
    b = np.linspace(0.32, 0.28, 101)
    reps[:, 3] += reps[:, 1] - b
    reps[:, 1] = b
    ipa = cx.importance_performance(dataclasses.replace(res, bootstrap_importances=reps))
    assert ipa.table.set_index("driver").loc["b", "settled"]
    text = key_driver_findings(res, ipa=ipa)[2]
    assert text.startswith("Act first on b: importance above and performance at or below the cut-offs, settled by "
                           "the data (both 95% intervals clear the cut-offs;")


def _survey(n: int = 600, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    ratings = np.clip(np.round(3 + latent + rng.normal(size=(n, 5)) + [0.6, 0.0, -0.4, 0.3, 0.05]), 1, 5)
    df = pd.DataFrame(ratings, columns=["q1", "q2", "q3", "q4", "q5"])
    df["y"] = ratings @ [0.5, 0.4, 0.1, 0.05, 0.3] + rng.normal(size=n)
    df["w"] = rng.uniform(0.4, 2.5, n)
    df.loc[rng.random(n) < 0.05, "q3"] = np.nan
    return df


def _brute_force_settled(est, lo, hi, cut):
    out = []
    for e, a, b in zip(est, lo, hi):
        if not (np.isfinite(a) and np.isfinite(b)):
            out.append(False)
        elif e > cut:
            out.append(bool(a > cut))
        else:
            out.append(bool(b <= cut))
    return out


@pytest.mark.parametrize("cutoff", ["mean", "median"])
def test_settlement_matches_a_brute_force_recomputation(cutoff):
    df = _survey()
    drivers = ["q1", "q2", "q3", "q4", "q5"]
    res = cx.key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=300, seed=4)
    ipa = cx.importance_performance(res, cutoff=cutoff)
    t = ipa.table
    # rows used, recomputed: complete cases of the outcome, drivers and weights
    used = df.dropna(subset=["y", *drivers])
    # importance: percentile interval of each replicate's shares (own total), against the share cut-off
    shares = 100 * res.bootstrap_importances / res.bootstrap_importances.sum(axis=1, keepdims=True)
    lo, hi = np.quantile(shares, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(t["ci_low"], lo, rtol=1e-12)
    np.testing.assert_allclose(t["ci_high"], hi, rtol=1e-12)
    imp = res.table["importance"].to_numpy()
    agg = np.mean if cutoff == "mean" else np.median
    share_cut = 100 * agg(imp) / imp.sum()
    assert ipa.share_cutoff == pytest.approx(share_cut)
    # performance: weighted mean with a t interval on the Kish effective base (statsmodels as oracle)
    perf_lo, perf_hi, perf = [], [], []
    for d in drivers:
        w = used["w"].to_numpy()
        stat = DescrStatsW(used[d].to_numpy(), weights=w * (w.sum() ** 2 / (w**2).sum()) / w.sum(), ddof=1)
        low, high = stat.tconfint_mean(0.05)
        perf_lo.append(low), perf_hi.append(high), perf.append(stat.mean)
    np.testing.assert_allclose(t["performance"], perf, rtol=1e-12)
    np.testing.assert_allclose(t["performance_ci_low"], perf_lo, rtol=1e-10)
    np.testing.assert_allclose(t["performance_ci_high"], perf_hi, rtol=1e-10)
    perf_cut = agg(perf)
    assert ipa.performance_cutoff == pytest.approx(perf_cut)
    imp_ok = _brute_force_settled(t["estimate"], lo, hi, share_cut)
    perf_ok = _brute_force_settled(perf, perf_lo, perf_hi, perf_cut)
    assert t["importance_settled"].tolist() == imp_ok
    assert t["performance_settled"].tolist() == perf_ok
    assert t["settled"].tolist() == [a and b for a, b in zip(imp_ok, perf_ok)]
    assert not t["settled"].all() and t["settled"].any()  # the data set has both kinds


def test_top_box_performance_uses_the_wilson_interval_of_the_metric_core():
    df = _survey()
    drivers = ["q1", "q2", "q3", "q4", "q5"]
    res = cx.key_drivers(df, outcome="y", drivers=drivers, n_boot=100, seed=1)
    ipa = cx.importance_performance(res, performance="top_box", top=(4, 5))
    used = df.dropna(subset=["y", *drivers])
    t = ipa.table.set_index("driver")
    for d in drivers:
        count = int((used[d] >= 4).sum())
        low, high = proportion_confint(count, len(used), alpha=0.05, method="wilson")
        assert t.loc[d, "performance"] == pytest.approx(count / len(used))
        assert t.loc[d, "performance_ci_low"] == pytest.approx(low, rel=1e-10)
        assert t.loc[d, "performance_ci_high"] == pytest.approx(high, rel=1e-10)
    assert ipa.performance_measure == "top_box" and ipa.top == (4, 5)
    assert ipa.performance_cutoff == pytest.approx(t["performance"].mean())
    # a threshold is the same top box here
    same = cx.importance_performance(res, performance="top_box", top=4).table
    np.testing.assert_allclose(same["performance_ci_low"], ipa.table["performance_ci_low"])
    shown = format_importance_performance(ipa).to_frame()
    assert shown["performance [95% CI]"].str.contains("%").all()
    with pytest.raises(CXDataError, match="needs `top`"):
        cx.importance_performance(res, performance="top_box")
    with pytest.raises(CXDataError, match="performance"):
        cx.importance_performance(res, performance="median")


def test_pairwise_deletion_and_declared_codes_keep_performance_on_the_rated_rows():
    df = _survey()
    df.loc[df.index[:40], "q2"] = 0  # "not applicable"
    drivers = ["q1", "q2", "q3"]
    ipa = cx.importance_performance(df, outcome="y", drivers=drivers, n_boot=50, missing=[0], scale=(1, 5))
    used = df[(df["q2"] != 0)].dropna(subset=["y", *drivers])
    t = ipa.table.set_index("driver")
    assert t.loc["q2", "performance"] == pytest.approx(used["q2"].mean())
    assert t.loc["q2", "performance_n"] == len(used)
