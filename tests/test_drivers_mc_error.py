"""Monte-Carlo error of percentile bootstrap bounds (issue 15 item 4, second part).

``percentile_bound_mc_error`` estimates, from one set of replicates, how much a percentile
bound moves between runs of the same number of resamples. Checked against brute force:
repeat the bootstrap with other seeds and compare the spread of the bounds with the estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cxlib as cx
from cxlib.core.inference import percentile_bound_mc_error, percentile_interval
from cxlib.report import bootstrap_error_note


def test_mc_error_of_normal_quantiles_matches_the_asymptotic_formula_and_the_spread_of_repeats():
    rng = np.random.default_rng(11)
    B, runs = 200, 2000
    draws = rng.normal(size=(runs, B))
    bounds = np.array([np.concatenate(percentile_interval(d, 0.95)) for d in draws])
    spread = bounds.std(axis=0, ddof=1)  # brute force: the bounds of 2,000 independent runs
    # textbook: SE(ξ̂_q) ≈ sqrt(q(1 − q)/B) / φ(ξ_q) (Efron & Tibshirani 1993, §19.3)
    theory = np.sqrt(0.025 * 0.975 / B) / stats.norm.pdf(stats.norm.ppf(0.975))
    np.testing.assert_allclose(spread, theory, rtol=0.08)
    est = np.array([np.concatenate(percentile_bound_mc_error(d, 0.95)) for d in draws[:500]])
    np.testing.assert_allclose(est.mean(axis=0), spread, rtol=0.12)


def test_mc_error_by_hand_and_edge_cases():
    # uniform replicates 0..400: quantile function 400 q, so SE = 400 sqrt(q(1 − q)/401)
    lo, hi = percentile_bound_mc_error(np.arange(401.0), 0.95)
    assert lo[0] == pytest.approx(400 * np.sqrt(0.025 * 0.975 / 401))
    assert hi[0] == pytest.approx(lo[0])
    # columns are independent, NaN replicates are ignored, too few replicates give NaN
    reps = np.column_stack([np.arange(401.0), np.r_[np.arange(401.0)[:-1], np.nan] * 2])
    lo2, _ = percentile_bound_mc_error(reps, 0.95)
    assert lo2[0] == pytest.approx(lo[0]) and lo2[1] == pytest.approx(2 * 400 * np.sqrt(0.025 * 0.975 / 400), rel=0.02)
    assert np.isnan(percentile_bound_mc_error(np.array([[1.0], [np.nan]]), 0.95)[0][0])
    # more resamples, smaller error: about 1/sqrt(B)
    rng = np.random.default_rng(2)
    small = np.mean([percentile_bound_mc_error(rng.normal(size=250), 0.9)[0][0] for _ in range(200)])
    large = np.mean([percentile_bound_mc_error(rng.normal(size=1000), 0.9)[0][0] for _ in range(200)])
    assert small / large == pytest.approx(2.0, rel=0.15)


def _data(n: int = 150, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["y"] = X @ [1.0, 0.6, 0.3] + rng.normal(size=n) * 1.5
    df["w"] = rng.uniform(0.5, 2.0, n)
    return df


def test_key_driver_bounds_move_between_seeds_as_the_estimated_mc_error_says():
    df = _data()
    runs = [cx.key_drivers(df, outcome="y", drivers=["a", "b", "c"], weights="w", n_boot=200, seed=s)
            for s in range(60)]
    for table in ("importance", "share"):
        if table == "importance":
            frames = [r.table.set_index("driver") for r in runs]
        else:
            frames = [cx.driver_summary(r).set_index("driver").loc[["a", "b", "c"]] for r in runs]
        for bound in ("ci_low", "ci_high"):
            spread = np.array([f[bound] for f in frames]).std(axis=0, ddof=1)  # brute force over 60 seeds
            estimated = np.array([f[f"{bound}_mc_se"] for f in frames]).mean(axis=0)
            ratio = spread / estimated
            assert np.all((ratio > 0.6) & (ratio < 1.5)), (table, bound, ratio)
    # the table's MC errors are those of the result's own replicates
    r = runs[0]
    lo, hi = percentile_bound_mc_error(r.bootstrap_importances, r.confidence_level)
    np.testing.assert_allclose(r.table["ci_low_mc_se"], lo)
    np.testing.assert_allclose(r.table["ci_high_mc_se"], hi)


def test_no_bootstrap_no_mc_error_and_the_note_quotes_the_summary():
    df = _data()
    r0 = cx.key_drivers(df, outcome="y", drivers=["a", "b", "c"], n_boot=0)
    assert r0.table["ci_low_mc_se"].isna().all() and cx.driver_summary(r0)["ci_high_mc_se"].isna().all()
    assert bootstrap_error_note(r0) is None
    r = cx.key_drivers(df, outcome="y", drivers=["a", "b", "c"], n_boot=300, seed=1)
    s = cx.driver_summary(r)
    se = pd.concat([s["ci_low_mc_se"], s["ci_high_mc_se"]])
    note = bootstrap_error_note(r)
    assert note.startswith(f"With 300 resamples the interval bounds of the shares vary by up to ±{se.max():.1f} "
                           f"points between runs with other seeds (median ±{se.median():.1f};")
