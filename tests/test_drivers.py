"""Tests for cxlib.drivers.

Oracles: brute-force refits of every subset (numpy lstsq / statsmodels Logit) combined
with the LMG formula or by averaging over all orderings; Johnson's relative weights
written out from the SVD of the standardised data (his original derivation); pandas'
pairwise correlations; statsmodels OLS on hand-built dummies.
"""

from __future__ import annotations

import itertools
import math
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib.drivers import (
    KeyDriverResult,
    driver_stability,
    driver_summary,
    importance_performance,
    key_drivers,
    key_drivers_by_group,
    penalty_reward,
    r_squared_interval,
    segment_driver_differences,
    top_driver_lead,
)
from cxlib.errors import CXDataError, SmallBaseWarning
from cxlib.report.findings.drivers import (
    format_driver_differences,
    format_importance_performance,
    format_penalty_reward,
    key_driver_figures,
    key_driver_findings,
)
from cxlib.viz.drivers import plot_driver_stability, plot_importance_performance, plot_penalty_reward


# ---------------------------------------------------------------------------
# helpers: data and independent reference implementations
# ---------------------------------------------------------------------------
def make_data(n=400, p=5, seed=0, halo=0.6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + halo * rng.normal(size=(n, 1))
    beta = np.linspace(1.0, 0.2, p) * rng.choice([-1, 1], size=p)
    y = X @ beta + rng.normal(scale=1.5, size=n)
    df = pd.DataFrame(X, columns=[f"d{j}" for j in range(p)])
    df["y"] = y
    df["w"] = rng.uniform(0.3, 3.0, size=n)
    return df, [f"d{j}" for j in range(p)]


def brute_r2(y, X, cols, w=None):
    """R² of a (weighted) least-squares refit of y on X[:, cols] with an intercept."""
    n = len(y)
    w = np.ones(n) if w is None else w
    A = np.column_stack([np.ones(n), X[:, list(cols)]])
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
    resid = y - A @ coef
    ybar = np.sum(w * y) / np.sum(w)
    return 1.0 - np.sum(w * resid**2) / np.sum(w * (y - ybar) ** 2)


def brute_lmg_subsets(r2_of, p):
    """LMG by the subset formula, r2_of(frozenset) -> R²."""
    out = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for s in range(p):
            wt = math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p)
            for S in itertools.combinations(others, s):
                out[j] += wt * (r2_of(frozenset(S) | {j}) - r2_of(frozenset(S)))
    return out


def brute_lmg_orderings(r2_of, p):
    """LMG as the average over all p! orderings of the R² gained on entry."""
    out = np.zeros(p)
    perms = list(itertools.permutations(range(p)))
    for perm in perms:
        seen = frozenset()
        for j in perm:
            out[j] += r2_of(seen | {j}) - r2_of(seen)
            seen = seen | {j}
    return out / len(perms)


def cached(fn):
    cache = {}

    def r2_of(S):
        if S not in cache:
            cache[S] = fn(S) if S else 0.0
        return cache[S]

    return r2_of


def johnson_svd(y, X):
    """Johnson (2000) from the SVD of the standardised data: Z = U Vᵀ, Λ = Zᵀ X, β = Zᵀ y."""
    n = len(y)
    Xs = (X - X.mean(0)) / X.std(0, ddof=1) / np.sqrt(n - 1)
    ys = (y - y.mean()) / y.std(ddof=1) / np.sqrt(n - 1)
    U, _, Vt = np.linalg.svd(Xs, full_matrices=False)
    Z = U @ Vt  # orthonormal columns closest to Xs
    lam = Z.T @ Xs
    beta = Z.T @ ys
    return (lam**2) @ (beta**2)


# ---------------------------------------------------------------------------
# exact Shapley / LMG
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("p,seed", [(2, 1), (4, 2), (5, 3)])
def test_shapley_matches_average_over_orderings(p, seed):
    df, drivers = make_data(n=300, p=p, seed=seed)
    y, X = df["y"].to_numpy(), df[drivers].to_numpy()
    ref = brute_lmg_orderings(cached(lambda S: brute_r2(y, X, sorted(S))), p)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    np.testing.assert_allclose(res.table["importance"], ref, atol=1e-9, rtol=0)


@pytest.mark.parametrize("p,seed", [(6, 4), (7, 5)])
def test_shapley_matches_brute_force_subsets(p, seed):
    df, drivers = make_data(n=500, p=p, seed=seed)
    y, X = df["y"].to_numpy(), df[drivers].to_numpy()
    ref = brute_lmg_subsets(cached(lambda S: brute_r2(y, X, sorted(S))), p)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    np.testing.assert_allclose(res.table["importance"], ref, atol=1e-9, rtol=0)
    assert res.r_squared == pytest.approx(brute_r2(y, X, range(p)), abs=1e-12)
    assert res.table["importance"].sum() == pytest.approx(res.r_squared, abs=1e-12)
    assert res.table["share"].sum() == pytest.approx(100.0, abs=1e-9)


def test_weighted_shapley_matches_brute_force_wls():
    df, drivers = make_data(n=400, p=6, seed=6)
    y, X, w = df["y"].to_numpy(), df[drivers].to_numpy(), df["w"].to_numpy()
    ref = brute_lmg_subsets(cached(lambda S: brute_r2(y, X, sorted(S), w)), 6)
    res = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=0)
    np.testing.assert_allclose(res.table["importance"], ref, atol=1e-9, rtol=0)
    # the statsmodels fit one attribute away is the WLS of y on the drivers
    assert res.model.rsquared == pytest.approx(res.r_squared, abs=1e-10)
    assert isinstance(res.model.model, sm.WLS)
    # weights given as an array are the same as a column name
    res2 = key_drivers(df, outcome="y", drivers=drivers, weights=df["w"].to_numpy(), n_boot=0)
    np.testing.assert_allclose(res2.table["importance"], res.table["importance"], atol=1e-14)


def test_shapley_larger_p_sums_to_r2_and_matches_statsmodels():
    df, drivers = make_data(n=2000, p=14, seed=7)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    # R² against statsmodels OLS (an independent fit)
    assert res.r_squared == pytest.approx(res.model.rsquared, abs=1e-12)
    assert res.table["importance"].sum() == pytest.approx(res.r_squared, abs=1e-11)
    assert (res.table["importance"] > 0).all()


def test_invariant_to_rescaling_and_shifting_drivers():
    df, drivers = make_data(n=300, p=5, seed=8)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    df2 = df.copy()
    df2["d0"] = 1000.0 + 25.0 * df2["d0"]
    df2["d3"] = -0.01 * df2["d3"] - 7.0  # a negative scale flips only the sign
    df2["y"] = 3.0 * df2["y"] + 100.0
    res2 = key_drivers(df2, outcome="y", drivers=drivers, n_boot=0)
    np.testing.assert_allclose(res2.table["importance"], res.table["importance"], atol=1e-10)
    assert res2.table["sign"].tolist() == [s * (-1 if i == 3 else 1) for i, s in enumerate(res.table["sign"])]


def test_signs_are_those_of_the_multiple_regression_coefficients():
    df, drivers = make_data(n=300, p=5, seed=9)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    assert res.table["sign"].tolist() == np.sign(res.model.params[drivers]).astype(int).tolist()
    assert list(res.table.columns) == ["driver", "estimate", "ci_low", "ci_high", "n", "importance", "share", "rank",
                                       "sign", "ci_low_mc_se", "ci_high_mc_se"]
    assert res.table["estimate"].equals(res.table["importance"]) and (res.table["n"] == res.n).all()
    assert sorted(res.table["rank"]) == [1, 2, 3, 4, 5]
    assert res.table.loc[res.table["rank"] == 1, "importance"].item() == res.table["importance"].max()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(1, 6), n=st.integers(20, 80))
def test_property_importances_sum_to_r2(seed, p, n):
    df, drivers = make_data(n=n, p=p, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        for method in ("shapley", "relative_weights"):
            res = key_drivers(df, outcome="y", drivers=drivers, method=method, n_boot=0)
            assert res.table["importance"].sum() == pytest.approx(res.r_squared, abs=1e-10)
            assert res.r_squared == pytest.approx(brute_r2(df["y"].to_numpy(), df[drivers].to_numpy(), range(p)), abs=1e-9)
            assert res.n == n


# ---------------------------------------------------------------------------
# relative weights, ols, correlation
# ---------------------------------------------------------------------------
def test_relative_weights_match_johnson_svd_and_are_close_to_lmg():
    df, drivers = make_data(n=600, p=5, seed=10)
    y, X = df["y"].to_numpy(), df[drivers].to_numpy()
    rw = key_drivers(df, outcome="y", drivers=drivers, method="relative_weights", n_boot=0)
    np.testing.assert_allclose(rw.table["importance"], johnson_svd(y, X), atol=1e-12)
    lmg = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    # an approximation to general dominance (Thomas et al. 2014): close but not equal
    np.testing.assert_allclose(rw.table["importance"], lmg.table["importance"], atol=0.02)
    assert rw.r_squared == pytest.approx(lmg.r_squared, abs=1e-12)


def test_relative_weights_many_drivers_beyond_shapley_limit():
    df, drivers = make_data(n=800, p=30, seed=11)
    res = key_drivers(df, outcome="y", drivers=drivers, method="relative_weights", n_boot=0)
    assert res.table["importance"].sum() == pytest.approx(res.model.rsquared, abs=1e-10)
    with pytest.raises(CXDataError, match="too many for exact Shapley"):
        key_drivers(df, outcome="y", drivers=drivers, n_boot=0)


def test_ols_and_correlation_baselines():
    df, drivers = make_data(n=300, p=4, seed=12)
    std = (df - df.mean()) / df.std()
    fit = sm.OLS(std["y"], std[drivers]).fit()  # standardised coefficients
    ols = key_drivers(df, outcome="y", drivers=drivers, method="ols", n_boot=0)
    np.testing.assert_allclose(ols.table["importance"], fit.params.to_numpy() ** 2, atol=1e-10)
    cor = key_drivers(df, outcome="y", drivers=drivers, method="correlation", n_boot=0)
    r = df[drivers].corrwith(df["y"]).to_numpy()
    np.testing.assert_allclose(cor.table["importance"], r**2, atol=1e-12)
    assert cor.table["sign"].tolist() == np.sign(r).astype(int).tolist()
    assert cor.table["share"].sum() == pytest.approx(100.0)


# ---------------------------------------------------------------------------
# missing values
# ---------------------------------------------------------------------------
def test_listwise_reports_dropped_rows():
    df, drivers = make_data(n=300, p=4, seed=13)
    df.loc[[0, 5, 9], "d1"] = np.nan
    df.loc[[5, 20], "y"] = np.nan
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    assert res.n_dropped == 4 and res.n == 296
    ref = key_drivers(df.dropna(), outcome="y", drivers=drivers, n_boot=0)
    np.testing.assert_allclose(res.table["importance"], ref.table["importance"], atol=1e-14)
    assert res.model.nobs == 296


def test_pairwise_uses_pandas_pairwise_correlations():
    df, drivers = make_data(n=400, p=4, seed=14)
    rng = np.random.default_rng(0)
    for c in ["d0", "d2", "y"]:
        df.loc[rng.choice(400, 40, replace=False), c] = np.nan
    res = key_drivers(df, outcome="y", drivers=drivers, method="correlation", deletion="pairwise", n_boot=0)
    r = df[[*drivers, "y"]].corr()["y"][drivers].to_numpy()  # pandas: pairwise complete
    np.testing.assert_allclose(res.table["importance"], r**2, atol=1e-12)
    counts = df[[*drivers, "y"]].notna().astype(int)
    assert res.n == int((counts.T @ counts).to_numpy().min())
    # Shapley on the pairwise matrix still sums to its R²
    sh = key_drivers(df, outcome="y", drivers=drivers, deletion="pairwise", n_boot=0)
    R = df[[*drivers, "y"]].corr().to_numpy()
    r2 = R[-1, :-1] @ np.linalg.solve(R[:-1, :-1], R[-1, :-1])
    assert sh.r_squared == pytest.approx(r2, abs=1e-12)
    assert sh.table["importance"].sum() == pytest.approx(r2, abs=1e-12)


# ---------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------
def test_bootstrap_deterministic_with_seed():
    df, drivers = make_data(n=300, p=4, seed=15)
    a = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=200, seed=42)
    b = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=200, seed=42)
    c = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=200, seed=43)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["ci_low"], c.table["ci_low"])
    assert (a.table["ci_low"] <= a.table["importance"]).all()
    assert (a.table["importance"] <= a.table["ci_high"]).all()
    assert a.bootstrap_importances.shape == (200, 4)


def test_bootstrap_replicate_equals_analysis_of_resampled_rows():
    """A replicate's counts × weights must equal analysing the physically resampled rows."""
    df, drivers = make_data(n=120, p=3, seed=16)
    res = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=1, seed=7)
    counts = np.random.default_rng(7).multinomial(120, np.full(120, 1 / 120))
    resampled = df.loc[np.repeat(np.arange(120), counts)]
    ref = key_drivers(resampled, outcome="y", drivers=drivers, weights="w", n_boot=0)
    np.testing.assert_allclose(res.bootstrap_importances[0], ref.table["importance"], atol=1e-12)


def test_bootstrap_zero_disables_intervals():
    df, drivers = make_data(n=100, p=3, seed=17)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    assert res.table["ci_low"].isna().all() and res.table["ci_high"].isna().all()


# ---------------------------------------------------------------------------
# binary outcomes
# ---------------------------------------------------------------------------
def test_binary_dominance_matches_brute_force_logit():
    df, drivers = make_data(n=400, p=3, seed=18)
    df["promoter"] = (df["y"] > 0.3).astype(int)
    y, X = df["promoter"].to_numpy(), df[drivers].to_numpy()

    def mcfadden(S):
        fit = sm.Logit(y, sm.add_constant(X[:, sorted(S)])).fit(disp=0, tol=1e-12, maxiter=200)
        return 1.0 - fit.llf / fit.llnull

    ref = brute_lmg_orderings(cached(mcfadden), 3)
    res = key_drivers(df, outcome="promoter", drivers=drivers, n_boot=0)  # auto-detected 0/1
    assert res.outcome_type == "binary"
    np.testing.assert_allclose(res.table["importance"], ref, atol=1e-9)
    assert res.r_squared == pytest.approx(mcfadden({0, 1, 2}), abs=1e-9)
    assert res.table["importance"].sum() == pytest.approx(res.r_squared, abs=1e-12)
    assert res.table["sign"].tolist() == np.sign(res.model.params[drivers]).astype(int).tolist()


def test_binary_weighted_matches_glm_var_weights():
    df, drivers = make_data(n=300, p=2, seed=19)
    df["churned"] = (df["y"] > 0).astype(int)
    y, X, w = df["churned"].to_numpy(), df[drivers].to_numpy(), df["w"].to_numpy()

    def llf(cols):
        A = sm.add_constant(X[:, cols]) if cols else np.ones((len(y), 1))
        return sm.GLM(y, A, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-13).llf

    l0 = llf([])
    r2 = {(): 0.0, (0,): 1 - llf([0]) / l0, (1,): 1 - llf([1]) / l0, (0, 1): 1 - llf([0, 1]) / l0}
    ref0 = 0.5 * (r2[(0,)] + r2[(0, 1)] - r2[(1,)])  # LMG with two drivers, by hand
    res = key_drivers(df, outcome="churned", drivers=drivers, weights="w", outcome_type="binary", n_boot=0)
    assert res.table["importance"].iloc[0] == pytest.approx(ref0, abs=1e-9)
    assert res.r_squared == pytest.approx(r2[(0, 1)], abs=1e-9)


def test_binary_bootstrap_runs_and_is_seeded():
    df, drivers = make_data(n=200, p=2, seed=20)
    df["b"] = (df["y"] > 0).astype(int)
    a = key_drivers(df, outcome="b", drivers=drivers, n_boot=30, seed=1)
    b = key_drivers(df, outcome="b", drivers=drivers, n_boot=30, seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["ci_low"].notna().all()


def test_binary_errors():
    df, drivers = make_data(n=300, p=13, seed=21)
    df["b"] = (df["y"] > 0).astype(int)
    with pytest.raises(CXDataError, match="limit is 12"):
        key_drivers(df, outcome="b", drivers=drivers, n_boot=0)
    with pytest.raises(CXDataError, match=r"not binary.*\[2"):
        key_drivers(df.assign(b=df["b"] * 2), outcome="b", drivers=drivers[:2], outcome_type="binary", n_boot=0)
    with pytest.raises(CXDataError, match="not available for a binary outcome"):
        key_drivers(df, outcome="b", drivers=drivers[:2], method="relative_weights", n_boot=0)
    # a 0/1 outcome can be analysed as continuous (linear probability model) on request
    lpm = key_drivers(df, outcome="b", drivers=drivers[:2], outcome_type="continuous", n_boot=0)
    assert lpm.r_squared == pytest.approx(lpm.model.rsquared)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_errors_name_the_problem():
    df, drivers = make_data(n=100, p=3, seed=22)
    with pytest.raises(CXDataError, match=r"driver 'd1' is constant \(4 in all 100 rows"):
        key_drivers(df.assign(d1=4), outcome="y", drivers=drivers, n_boot=0)
    bad = df.astype({"d2": object})
    bad.loc[[3, 4], "d2"] = "n/a"
    with pytest.raises(CXDataError, match=r"'d2' has 2 non-numeric value\(s\) \['n/a'\]"):
        key_drivers(bad, outcome="y", drivers=drivers, n_boot=0)
    with pytest.raises(CXDataError, match="only 4 complete row"):
        key_drivers(df.head(4), outcome="y", drivers=drivers, n_boot=0)
    with pytest.raises(CXDataError, match=r"`drivers`='nope' is not a column.*available"):
        key_drivers(df, outcome="y", drivers=["d0", "nope"], n_boot=0)
    with pytest.raises(CXDataError, match=r"`method`='lmg' is not valid; choose one of \['shapley'"):
        key_drivers(df, outcome="y", drivers=drivers, method="lmg", n_boot=0)
    with pytest.raises(CXDataError, match="collinear"):
        key_drivers(df.assign(d2=2 * df["d0"] - df["d1"]), outcome="y", drivers=drivers, n_boot=0)
    with pytest.raises(CXDataError, match="also listed"):
        key_drivers(df, outcome="y", drivers=["y", "d0"], n_boot=0)
    with pytest.raises(CXDataError, match="`n_boot`=-1 must be a whole number"):
        key_drivers(df, outcome="y", drivers=drivers, n_boot=-1)
    with pytest.raises(CXDataError, match="confidence_level"):
        key_drivers(df, outcome="y", drivers=drivers, confidence_level=95)


def test_small_base_warns_and_flags():
    df, drivers = make_data(n=35, p=4, seed=23)  # min base max(30, 40) = 40
    with pytest.warns(SmallBaseWarning, match="35 rows, below the minimum base of 40"):
        res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    assert res.small_base and res.min_base == 40
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallBaseWarning)
        assert not key_drivers(df, outcome="y", drivers=drivers, n_boot=0, min_base=30).small_base


def test_inputs_not_modified():
    df, drivers = make_data(n=200, p=3, seed=24)
    before = df.copy()
    key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=20, seed=1)
    penalty_reward(df.assign(**{d: pd.cut(df[d], 5, labels=False) + 1 for d in drivers}), outcome="y", drivers=drivers)
    pd.testing.assert_frame_equal(df, before)


# ---------------------------------------------------------------------------
# segments and stability
# ---------------------------------------------------------------------------
def test_by_group_detects_a_planted_difference():
    a, drivers = make_data(n=500, p=3, seed=25)
    b, _ = make_data(n=500, p=3, seed=26)
    b["y"] = b["y"] + 3.0 * b["d2"]  # d2 matters much more in segment "b"
    df = pd.concat([a.assign(seg="a"), b.assign(seg="b")], ignore_index=True)
    res = key_drivers_by_group(df, by="seg", outcome="y", drivers=drivers, n_boot=200, seed=3)
    ra = key_drivers(a, outcome="y", drivers=drivers, n_boot=0)
    sub = res.importances[res.importances["seg"] == "a"]
    np.testing.assert_allclose(sub["importance"], ra.table["importance"], atol=1e-14)
    d = res.differences.set_index("driver")
    assert d.loc["d2", "estimate"] == pytest.approx(
        ra.table["importance"].iloc[2] - res.results["b"].table["importance"].iloc[2]
    )
    assert d.loc["d2", "p_value"] < 0.01 and d.loc["d2", "ci_high"] < 0
    assert list(res.differences.columns) == [
        "group_a", "group_b", "driver", "estimate", "ci_low", "ci_high", "n", "p_value", "p_value_adj",
        "significant", "small_base", "min_base", "confidence_level"
    ]
    assert bool(d.loc["d2", "significant"]) and (res.differences["n"] == 500).all()
    res2 = key_drivers_by_group(df, by="seg", outcome="y", drivers=drivers, n_boot=200, seed=3)
    pd.testing.assert_frame_equal(res.differences, res2.differences)


def test_by_group_error_names_segment():
    df, drivers = make_data(n=200, p=3, seed=27)
    df["seg"] = ["big"] * 196 + ["tiny"] * 4
    with pytest.warns(SmallBaseWarning, match="tiny .n=4, not estimable"):  # too thin to fit: named, left out
        res = key_drivers_by_group(df, by="seg", outcome="y", drivers=drivers, n_boot=0)
    assert set(res.importances["seg"]) == {"big"}
    with pytest.raises(CXDataError, match="segment.*'tiny'"):  # at or above the minimum base: an error
        key_drivers_by_group(df, by="seg", outcome="y", drivers=drivers, n_boot=0, min_base=4)


def test_driver_stability_rank_correlation():
    frames = []
    for q, seed in zip(["2026Q1", "2026Q2", "2026Q3"], [30, 31, 32]):
        d, drivers = make_data(n=300, p=4, seed=seed)
        frames.append(d.assign(quarter=q))
    df = pd.concat(frames, ignore_index=True)
    res = driver_stability(df, outcome="y", drivers=drivers, n_boot=0)
    from scipy.stats import spearmanr

    i = res.importances.pivot(index="driver", columns="quarter", values="importance")
    expected = spearmanr(i["2026Q1"], i["2026Q2"]).statistic
    assert res.rank_correlation["quarter"].tolist() == ["2026Q2", "2026Q3"]
    assert res.rank_correlation["spearman_rho"].iloc[0] == pytest.approx(expected)


# ---------------------------------------------------------------------------
# importance–performance
# ---------------------------------------------------------------------------
def test_importance_performance_quadrants_by_hand():
    df, drivers = make_data(n=300, p=4, seed=33)
    kd = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    ipa = importance_performance(kd)
    imp = kd.table["importance"].to_numpy()
    perf = df[drivers].mean().to_numpy()
    assert ipa.importance_cutoff == pytest.approx(imp.mean())
    assert ipa.performance_cutoff == pytest.approx(perf.mean())
    for (_, row), i, q in zip(ipa.table.iterrows(), imp, perf):
        hi_i, hi_p = i > imp.mean(), q > perf.mean()
        expected = {(True, False): "concentrate here", (True, True): "keep up the good work",
                    (False, False): "low priority", (False, True): "possible overkill"}[(hi_i, hi_p)]
        assert row["quadrant"] == expected
    med = importance_performance(df, outcome="y", drivers=drivers, cutoff="median", n_boot=0)
    assert med.importance_cutoff == pytest.approx(np.median(imp))
    # weighted performance = weighted means
    kw = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=0)
    np.testing.assert_allclose(
        importance_performance(kw).table["performance"], [np.average(df[d], weights=df["w"]) for d in drivers]
    )


# ---------------------------------------------------------------------------
# penalty–reward
# ---------------------------------------------------------------------------
def ratings_data(n=800, seed=34):
    rng = np.random.default_rng(seed)
    R = pd.DataFrame(rng.integers(1, 6, size=(n, 3)), columns=["basic_a", "excite_b", "sym_c"])
    y = (
        3.0
        - 1.2 * (R["basic_a"] <= 2) + 0.1 * (R["basic_a"] == 5)
        - 0.1 * (R["excite_b"] <= 2) + 1.2 * (R["excite_b"] == 5)
        - 0.6 * (R["sym_c"] <= 2) + 0.6 * (R["sym_c"] == 5)
        + rng.normal(0, 0.6, n)
    )
    R["osat"] = y
    R["w"] = rng.uniform(0.5, 2, n)
    return R


def test_penalty_reward_matches_statsmodels_on_hand_built_dummies():
    df = ratings_data()
    drivers = ["basic_a", "excite_b", "sym_c"]
    res = penalty_reward(df, outcome="osat", drivers=drivers, weights="w")
    X = pd.DataFrame({"const": 1.0}, index=df.index)
    for d in drivers:
        X[f"{d}_low"] = df[d].isin([1, 2]).astype(float)
        X[f"{d}_high"] = (df[d] == 5).astype(float)
    fit = sm.WLS(df["osat"], X, weights=df["w"]).fit(cov_type="HC1")  # survey weights: design-based errors
    ci = fit.conf_int()
    t = res.table.set_index("driver")
    for d in drivers:
        assert t.loc[d, "penalty"] == pytest.approx(-fit.params[f"{d}_low"], abs=1e-10)
        assert t.loc[d, "reward"] == pytest.approx(fit.params[f"{d}_high"], abs=1e-10)
        assert t.loc[d, "penalty_ci_low"] == pytest.approx(-ci.loc[f"{d}_low", 1], abs=1e-10)
        assert t.loc[d, "reward_ci_high"] == pytest.approx(ci.loc[f"{d}_high", 1], abs=1e-10)
        tt = fit.t_test(f"-{d}_low - {d}_high = 0")
        assert t.loc[d, "p_value"] == pytest.approx(float(tt.pvalue), rel=1e-8)
        assert t.loc[d, "n_low"] == int(df[d].isin([1, 2]).sum())
    assert t["category"].to_dict() == {"basic_a": "basic", "excite_b": "excitement", "sym_c": "performance"}


def test_penalty_reward_errors():
    df = ratings_data(n=200)
    with pytest.raises(CXDataError, match=r"'basic_a' has no rows in the high category"):
        penalty_reward(df.assign(basic_a=df["basic_a"].clip(upper=4)), outcome="osat", drivers=["basic_a"])
    with pytest.raises(CXDataError, match="must not overlap"):
        penalty_reward(df, outcome="osat", drivers=["basic_a"], low=(1, 2), high=(2, 5))


# ---------------------------------------------------------------------------
# declared scales and missing codes (the cross-function scenario is in test_scales.py)
# ---------------------------------------------------------------------------
def test_penalty_reward_cut_offs_follow_the_declared_scale():
    df = ratings_data(n=600)
    drivers = ["basic_a", "excite_b", "sym_c"]
    # 0–10 ratings: bottom two points 0–1, top point 10 (not the observed min/max, 2 and 10)
    rng = np.random.default_rng(5)
    ten = df.assign(**{d: np.clip(np.round((df[d] - 1) * 2.5 - rng.integers(0, 2, len(df))), 1, 10).astype(int)
                       for d in drivers})  # observed minimum 1 (except basic_a below), maximum 10
    ten.loc[:99, "basic_a"] = 0
    res = penalty_reward(ten, outcome="osat", drivers=drivers, scale=(0, 10))
    assert (res.low, res.high) == ((0, 1), (10,))
    want = penalty_reward(ten, outcome="osat", drivers=drivers, low=(0, 1), high=(10,))
    pd.testing.assert_frame_equal(res.table, want.table)
    assert res.table["n_low"].tolist() == [int(ten[d].isin([0, 1]).sum()) for d in drivers]
    # drivers on different declared scales get their own cut-offs; explicit low/high win
    mixed = penalty_reward(df.assign(sym_c=df["sym_c"] + 2), outcome="osat", drivers=drivers,
                           scale={"basic_a": (1, 5), "excite_b": (1, 5), "sym_c": (3, 7)})
    assert mixed.low == {"basic_a": (1, 2), "excite_b": (1, 2), "sym_c": (3, 4)}
    assert mixed.high == {"basic_a": (5,), "excite_b": (5,), "sym_c": (7,)}
    pd.testing.assert_frame_equal(mixed.table, penalty_reward(df, outcome="osat", drivers=drivers).table)
    assert penalty_reward(df, outcome="osat", drivers=drivers, scale=(1, 5), high=(4, 5)).high == (4, 5)
    with pytest.raises(CXDataError, match="must not overlap"):
        penalty_reward(df.assign(basic_a=df["basic_a"] % 2), outcome="osat", drivers=["basic_a"], scale=(0, 1))


def test_deletion_rule_and_missing_codes_are_separate_keywords():
    df, drivers = make_data(n=200, p=3)
    res = key_drivers(df, outcome="y", drivers=drivers, deletion="pairwise", n_boot=0)
    assert res.deletion == "pairwise" and "pairwise deletion" in res.description
    with pytest.raises(CXDataError, match=r"`missing`='pairwise' declares missing codes; .* `deletion`='pairwise'"):
        key_drivers(df, outcome="y", drivers=drivers, missing="pairwise", n_boot=0)
    with pytest.raises(CXDataError, match="`deletion`='pairwise' is not available for a binary outcome"):
        key_drivers(df.assign(y=(df["y"] > 0).astype(int)), outcome="y", drivers=drivers, deletion="pairwise",
                    n_boot=0)
    with pytest.raises(CXDataError, match="already has its declared missing codes"):
        importance_performance(res, missing=[0])


def test_key_drivers_description_and_counts_name_the_declared_codes():
    df = ratings_data(n=300)
    drivers = ["basic_a", "excite_b", "sym_c"]
    coded = df.assign(excite_b=df["excite_b"].where(df.index % 10 != 0, 0))
    res = key_drivers(coded, outcome="osat", drivers=drivers, scale=(1, 5), missing=[0], n_boot=0)
    n0 = int((coded["excite_b"] == 0).sum())
    assert res.n_missing_codes == {"osat": 0, "basic_a": 0, "excite_b": n0, "sym_c": 0}
    assert res.n_dropped == n0 and res.n == len(df) - n0
    assert f"declared missing codes included (excite_b {n0})" in res.description
    with pytest.raises(CXDataError, match=rf"column 'excite_b' has {n0} value\(s\) outside the scale points 1–5"):
        key_drivers(coded, outcome="osat", drivers=drivers, scale=(1, 5), n_boot=0)


# ---------------------------------------------------------------------------
# charts (cxlib.viz.drivers): they draw the result's own intervals, label axes, note n
# ---------------------------------------------------------------------------
def _errorbar_segments(container) -> np.ndarray:
    """The (start, end) points of each error bar of an ErrorbarContainer, shape (k, 2, 2)."""
    (bars,) = container.lines[2]
    return np.array([np.asarray(seg) for seg in bars.get_segments()])


def test_plot_importance_performance_draws_both_intervals_and_marks_borderline_drivers():
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    df, drivers = make_data(n=200, p=3, seed=35)
    ipa = importance_performance(df, outcome="y", drivers=drivers, n_boot=20, seed=1)
    labels = {d: f"Question {d.upper()}?" for d in drivers}
    ax = plot_importance_performance(ipa, title="IPA of y", labels=labels)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    (ybars,) = [c for c in bars if c.has_yerr]
    (xbars,) = [c for c in bars if c.has_xerr]
    t = ipa.table
    seg = _errorbar_segments(ybars)
    np.testing.assert_allclose(seg[:, 0, 0], t["performance"])  # vertical bars at each driver's rating
    np.testing.assert_allclose(seg[:, 0, 1], t["ci_low"], rtol=1e-12)
    np.testing.assert_allclose(seg[:, 1, 1], t["ci_high"], rtol=1e-12)
    seg = _errorbar_segments(xbars)  # horizontal bars: the performance interval of the metric core
    np.testing.assert_allclose(seg[:, 0, 1], t["estimate"])
    np.testing.assert_allclose(seg[:, 0, 0], t["performance_ci_low"], rtol=1e-12)
    np.testing.assert_allclose(seg[:, 1, 0], t["performance_ci_high"], rtol=1e-12)
    # the cut-off lines are the result's; the share cut-off is the importance cut-off in % of the total
    assert ipa.share_cutoff == pytest.approx(100 * ipa.importance_cutoff / t["importance"].sum())
    assert any(ln.get_ydata()[0] == pytest.approx(ipa.share_cutoff) for ln in ax.lines)
    assert any(ln.get_xdata()[0] == pytest.approx(ipa.performance_cutoff) for ln in ax.lines)
    assert ax.get_title() == "IPA of y (n = 200)"
    assert ax.get_ylabel() == "importance (% of the total importance)"
    assert ax.get_xlabel().startswith("performance (mean rating")
    # the drivers are named by their labels; a borderline one says so and is drawn open
    texts = sorted(a.get_text() for a in ax.texts if a.get_text().startswith("Question"))
    expected = sorted(labels[r.driver] + ("" if r.settled else " (borderline)") for r in t.itertuples())
    assert texts == expected and not any(d in a.get_text() for a in ax.texts for d in drivers)
    settled_pts, open_pts = ax.collections[-2].get_offsets(), ax.collections[-1].get_offsets()
    assert len(settled_pts) == int(t["settled"].sum()) and len(open_pts) == int((~t["settled"]).sum())
    assert [h.get_text() for h in ax.get_legend().get_texts()][1].startswith("borderline")
    # without a bootstrap there are no importance error bars (nothing to draw), the points are still there
    ax2 = plot_importance_performance(importance_performance(df, outcome="y", drivers=drivers, n_boot=0))
    assert not any(c.has_yerr for c in ax2.containers if isinstance(c, ErrorbarContainer))
    assert len(ax2.collections[-1].get_offsets()) == len(drivers)  # all borderline: no importance interval
    plt.close("all")


def test_plot_penalty_reward_draws_the_result_intervals():
    import matplotlib.pyplot as plt

    pr = penalty_reward(ratings_data(300), outcome="osat", drivers=["basic_a", "sym_c"])
    _fig, ax = plt.subplots()
    assert plot_penalty_reward(pr, ax=ax, title="PR") is ax
    from matplotlib.container import BarContainer

    penalty_bars, reward_bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    t = pr.table
    np.testing.assert_allclose([b.get_width() for b in penalty_bars], -t["penalty"])
    np.testing.assert_allclose([b.get_width() for b in reward_bars], t["reward"])
    pen = np.array([np.asarray(s) for s in penalty_bars.errorbar.lines[2][0].get_segments()])
    rew = np.array([np.asarray(s) for s in reward_bars.errorbar.lines[2][0].get_segments()])
    # a penalty is drawn to the left: its interval spans [-ci_high, -ci_low]
    np.testing.assert_allclose(np.sort(pen[:, :, 0], axis=1), np.column_stack([-t["penalty_ci_high"], -t["penalty_ci_low"]]))
    np.testing.assert_allclose(np.sort(rew[:, :, 0], axis=1), np.column_stack([t["reward_ci_low"], t["reward_ci_high"]]))
    assert ax.get_title() == f"PR (n = {pr.n:,})"
    assert ax.get_xlabel() == "effect on the overall rating (scale points)"
    assert [lab.get_text() for lab in ax.get_yticklabels()] == [f"{d} ({c})" for d, c in zip(t["driver"], t["category"])]
    plt.close("all")


def test_plot_driver_stability_draws_shares_and_leaves_thin_periods_out():
    import matplotlib.pyplot as plt

    frames = []
    for q, seed, n in zip(["2026Q1", "2026Q2", "2026Q3"], [30, 31, 32], [300, 20, 300]):
        d, drivers = make_data(n=n, p=2, seed=seed)
        frames.append(d.assign(quarter=q))
    with pytest.warns(SmallBaseWarning):
        res = driver_stability(pd.concat(frames, ignore_index=True), outcome="y", drivers=drivers, n_boot=0)
    ax = plot_driver_stability(res)
    assert [ln.get_label() for ln in ax.lines] == drivers
    share = res.importances.pivot(index="quarter", columns="driver", values="share")
    y = ax.lines[0].get_ydata()
    assert y[0] == pytest.approx(share.loc["2026Q1", "d0"]) and np.isnan(y[1])  # 2026Q2 is below the minimum base
    assert ax.get_xlabel() == "quarter (n 20–300)"
    assert [lab.get_text() for lab in ax.get_xticklabels()] == ["2026Q1", "2026Q2", "2026Q3"]
    plt.close("all")


def test_analysis_modules_import_no_matplotlib():
    import pathlib
    import re

    import cxlib.drivers

    for path in pathlib.Path(cxlib.drivers.__file__).parent.glob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+matplotlib", path.read_text(encoding="utf-8"), re.M), path.name


def test_public_names():
    for name in ("key_drivers", "key_drivers_by_group", "driver_stability", "importance_performance",
                 "driver_summary", "r_squared_interval", "penalty_reward", "plot_importance_performance",
                 "plot_penalty_reward", "plot_driver_stability"):
        assert name in cx.__all__ and hasattr(cx, name)
    for name in ("key_driver_findings", "key_driver_figures", "format_penalty_reward",
                 "format_importance_performance", "format_driver_differences"):
        assert hasattr(cx.report, name) and name not in cx.__all__
    assert "KeyDriverResult" not in cx.__all__  # result classes stay in their module
    df, drivers = make_data(n=100, p=2, seed=36)
    res = cx.key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    assert isinstance(res, KeyDriverResult)
    assert res.to_frame() is not res.table and res.to_frame().equals(res.table)


def test_seed_defaults_to_zero():
    df, drivers = make_data(n=150, p=3, seed=37)
    a = key_drivers(df, outcome="y", drivers=drivers, n_boot=20)
    b = key_drivers(df, outcome="y", drivers=drivers, n_boot=20, seed=0)
    np.testing.assert_array_equal(a.bootstrap_importances, b.bootstrap_importances)


# ---------------------------------------------------------------------------
# planted truth in the synthetic data (cxlib.synth; see data/README.md)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    if not hasattr(cx, "synthesize"):
        pytest.skip("cx.synthesize is not available")
    return cx.synthesize(seed=0, n_customers=20_000, quarters=4)


def test_planted_driver_ranking_is_recovered(synthetic):
    from scipy.stats import spearmanr

    truth = synthetic.truth.drivers
    drivers = list(truth["weights"])
    res = key_drivers(synthetic.survey, outcome="osat", drivers=drivers, weights="weight", n_boot=0)
    top2 = res.table.sort_values("rank")["driver"].head(2).tolist()
    assert top2 == truth["population_ranking"][:2]
    pop = truth["population_relative_importance"]
    # ordinal 1-5 ratings blur the weaker drivers; the overall ordering still agrees
    assert spearmanr(res.table["importance"], [pop[d] for d in drivers]).statistic > 0.7
    assert (res.table["sign"] == 1).all()


def test_planted_asymmetric_driver_is_basic(synthetic):
    planted = synthetic.truth.asymmetric_driver
    drivers = list(synthetic.truth.drivers["weights"])
    res = penalty_reward(synthetic.survey, outcome="osat", drivers=drivers, weights="weight",
                         low=planted["low_ratings"], high=planted["high_ratings"])
    row = res.table.set_index("driver").loc[planted["driver"]]
    assert row["category"] == "basic"
    assert row["penalty"] > 3 * row["reward"]


# ---------------------------------------------------------------------------
# report helpers (summary, R² interval, key figures, differences, findings)
# ---------------------------------------------------------------------------
def test_driver_summary_share_interval_from_replicates():
    df, drivers = make_data(n=300, p=4, seed=41)
    res = key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=60, seed=2)
    s = driver_summary(res)
    assert s["rank"].tolist() == sorted(s["rank"])
    assert math.isclose(s["estimate"].sum(), 100.0)
    # brute force: normalise each replicate row by hand, percentiles per driver
    reps = res.bootstrap_importances
    for r in s.itertuples():
        j = drivers.index(r.driver)
        shares = [100 * row[j] / row.sum() for row in reps]
        assert math.isclose(r.ci_low, np.quantile(shares, 0.025))
        assert math.isclose(r.ci_high, np.quantile(shares, 0.975))
        assert r.ci_low <= r.estimate <= r.ci_high
    assert (s["n"] == res.n).all() and not s["small_base"].any()


def test_r_squared_interval_is_percentile_of_replicate_r2():
    # each replicate's importances sum to its R² (LMG property), so the interval comes from row sums
    df, drivers = make_data(n=250, p=3, seed=42)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=40, seed=5)
    lo, hi = r_squared_interval(res)
    sums = res.bootstrap_importances.sum(axis=1)
    assert math.isclose(lo, np.quantile(sums, 0.025)) and math.isclose(hi, np.quantile(sums, 0.975))
    assert lo < res.r_squared < hi
    # a replicate's row sum equals the R² of a brute-force refit on the resampled rows
    ols = key_drivers(df, outcome="y", drivers=drivers, method="ols", n_boot=10, seed=5)
    assert all(math.isnan(v) for v in r_squared_interval(ols))
    assert all(math.isnan(v) for v in r_squared_interval(key_drivers(df, outcome="y", drivers=drivers, n_boot=0)))


def test_key_driver_figures_and_suppression():
    df, drivers = make_data(n=200, p=3, seed=43)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=30, seed=1)
    figs = key_driver_figures(res, label="sat")
    top = driver_summary(res).iloc[0]
    assert figs["sat R² (%)"]["estimate"] == pytest.approx(100 * res.r_squared)
    assert figs[f"sat top driver: {top['driver']} (% of R²)"]["ci_low"] == pytest.approx(top["ci_low"])
    with pytest.warns(SmallBaseWarning):
        thin = key_drivers(df.head(25), outcome="y", drivers=drivers, n_boot=0)
    f2 = key_driver_figures(thin)
    assert all(v["estimate"] is None and v["small_base"] and v["n"] == 25 for v in f2.values())
    assert key_driver_findings(thin)[0].startswith("Base too small")


def test_segment_differences_and_findings_name_a_planted_difference():
    rng = np.random.default_rng(44)
    n = 400
    df = pd.DataFrame(rng.normal(size=(2 * n, 2)), columns=["a", "b"])
    df["seg"] = np.repeat(["x", "z"], n)
    df["y"] = np.where(df["seg"] == "x", 2.0, 0.2) * df["a"] + df["b"] + rng.normal(size=2 * n)
    by = key_drivers_by_group(df, by="seg", outcome="y", drivers=["a", "b"], n_boot=100, seed=3)
    d = segment_driver_differences(by)
    row = d[d["driver"] == "a"].iloc[0]
    # the estimate is the difference of the two segments' importances, ×100
    assert row["estimate"] == pytest.approx(
        100 * (by.results["x"].table.set_index("driver").loc["a", "importance"]
               - by.results["z"].table.set_index("driver").loc["a", "importance"]))
    assert bool(row["significant"]) and row["n"] == n
    main = key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=50, seed=1)
    text = " ".join(key_driver_findings(main, by_group=by))
    assert "significant after Benjamini–Hochberg" in text and "a: x − z = +" in text
    assert f"{100 * main.r_squared:.1f}%" in text


def test_findings_penalty_reward_and_ipa_from_results():
    rng = np.random.default_rng(45)
    df = pd.DataFrame(rng.integers(1, 6, size=(800, 3)), columns=["a", "b", "c"])
    df["y"] = 3 - 1.0 * (df["a"] <= 2) + 0.6 * (df["b"] == 5) + 0.3 * df["c"] + rng.normal(0, 0.5, 800)
    res = key_drivers(df, outcome="y", drivers=["a", "b", "c"], n_boot=30, seed=0)
    pr = penalty_reward(df, outcome="y", drivers=["a", "b", "c"])
    ipa = importance_performance(res)
    text = " ".join(key_driver_findings(res, ipa=ipa, penalty=pr))
    a = pr.table.set_index("driver").loc["a"]
    assert f"a (penalty {a['penalty']:.2f}" in text  # a: penalty only
    assert "b (penalty" not in text
    table = format_penalty_reward(pr).to_frame()
    assert table.loc[0, "penalty [95% CI]"].startswith(f"{a['penalty']:.2f} [")


def test_top_driver_lead_is_the_percentile_interval_of_replicate_differences():
    df, drivers = make_data(n=300, p=4, seed=46)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=80, seed=4)
    lead = top_driver_lead(res)
    s = driver_summary(res)
    assert (lead["driver"], lead["runner_up"]) == tuple(s["driver"].head(2))
    assert lead["estimate"] == pytest.approx(100 * (s["importance"].iloc[0] - s["importance"].iloc[1]))
    j1, j2 = drivers.index(lead["driver"]), drivers.index(lead["runner_up"])
    diffs = 100 * (res.bootstrap_importances[:, j1] - res.bootstrap_importances[:, j2])
    assert lead["ci_low"] == pytest.approx(np.quantile(diffs, 0.025))
    assert lead["ci_high"] == pytest.approx(np.quantile(diffs, 0.975))


# ---------------------------------------------------------------------------
# findings and display tables (cxlib.report.findings.drivers): numbers come from the results
# ---------------------------------------------------------------------------
def test_findings_numbers_equal_the_result_values():
    df, drivers = make_data(n=300, p=4, seed=47)
    df["promoter"] = (df["y"] > 0.5).astype(int)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=40, seed=2)
    loy = key_drivers(df, outcome="promoter", drivers=drivers, n_boot=10, seed=2)
    first, shares, loyalty = key_driver_findings(res, loyalty=loy)
    lo, hi = r_squared_interval(res)
    assert f"explain {100 * res.r_squared:.1f}% of the variance in 'y'" in first
    assert f"95% CI [{100 * lo:.1f}, {100 * hi:.1f}]" in first
    assert f"n = {res.n:,} complete responses, {res.n_dropped:,} dropped" in first
    s = driver_summary(res)
    for r in s.head(3).itertuples():
        assert f"{r.driver} {r.estimate:.1f}% [{r.ci_low:.1f}, {r.ci_high:.1f}]" in shares
    lead = top_driver_lead(res)
    assert f"by {lead['estimate']:.1f} R² points ([{lead['ci_low']:.1f}, {lead['ci_high']:.1f}])" in shares
    llo, lhi = r_squared_interval(loy)
    assert f"McFadden R² {100 * loy.r_squared:.1f}% [{100 * llo:.1f}, {100 * lhi:.1f}], n = {loy.n:,}" in loyalty


def test_findings_say_no_interval_without_a_bootstrap():
    df, drivers = make_data(n=300, p=3, seed=48)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    first, shares = key_driver_findings(res)
    assert "(R²; no interval;" in first
    s = driver_summary(res)
    assert all(f"{r.driver} {r.estimate:.1f}% no interval" in shares for r in s.itertuples())
    assert "leads" not in shares  # no lead claimed without replicates
    assert "nan" not in first + shares
    figs = key_driver_figures(res)
    assert all(v["ci_low"] is None and v["ci_high"] is None and v["estimate"] is not None for v in figs.values())


def test_ipa_stability_and_difference_findings_quote_the_results():
    frames = []
    for q, seed in zip(["2026Q1", "2026Q2"], [49, 50]):
        d, drivers = make_data(n=300, p=3, seed=seed)
        frames.append(d.assign(quarter=q, seg=np.repeat(["x", "z"], 150)))
    df = pd.concat(frames, ignore_index=True)
    res = key_drivers(df, outcome="y", drivers=drivers, n_boot=0)
    ipa = importance_performance(res, cutoff="median")
    stab = driver_stability(df, outcome="y", drivers=drivers, n_boot=0)
    by = key_drivers_by_group(df, by="seg", outcome="y", drivers=drivers, n_boot=30, seed=1)
    text = key_driver_findings(res, ipa=ipa, stability=stab, by_group=by)
    assert any(f"median importance {ipa.importance_cutoff:.3f} and median rating {ipa.performance_cutoff:.2f}" in t
               for t in text)
    rho = stab.rank_correlation["spearman_rho"].iloc[0]
    assert text[-1] == f"Stability of the ranking between consecutive periods (Spearman ρ): 2026Q2 vs 2026Q1: {rho:.2f}."
    d = segment_driver_differences(by)
    n_sig = int(d["significant"].fillna(False).sum())
    assert (f"{n_sig} of {len(d)} segment differences" in text[-2]) or (
        n_sig == 0 and f"None of the {len(d)} segment differences" in text[-2])


def test_display_tables_quote_the_results():
    df = ratings_data(400)
    pr = penalty_reward(df, outcome="osat", drivers=["basic_a", "excite_b"])
    t = format_penalty_reward(pr).to_frame()
    for (_, row), r in zip(t.iterrows(), pr.table.itertuples()):
        assert row["penalty [95% CI]"] == f"{r.penalty:.2f} [{r.penalty_ci_low:.2f}, {r.penalty_ci_high:.2f}]"
        assert row["penalty − reward [95% CI]"] == f"{r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"
        assert row["n low"] == f"{r.n_low:,}"
    kd = key_drivers(df, outcome="osat", drivers=["basic_a", "excite_b", "sym_c"], n_boot=20, seed=1)
    ipa = importance_performance(kd)
    shown = format_importance_performance(ipa).to_frame()
    assert shown["driver"].tolist() == driver_summary(kd)["driver"].tolist()  # rank order
    top = ipa.table.set_index("driver").loc[shown["driver"].iloc[0]]
    assert shown["estimate (% of R²)"].iloc[0] == f"{top['estimate']:.1f}"
    assert shown["95% CI"].iloc[0] == f"[{top['ci_low']:.1f}, {top['ci_high']:.1f}]"
    assert shown["performance [95% CI]"].iloc[0] == (f"{top['performance']:.2f} [{top['performance_ci_low']:.2f}, "
                                                     f"{top['performance_ci_high']:.2f}]")
    assert shown["settled by the data"].iloc[0] == ("yes" if top["settled"] else f"borderline: {top['unsettled']}")
    by = key_drivers_by_group(df.assign(seg=np.repeat(["x", "z"], 200)), by="seg", outcome="osat",
                              drivers=["basic_a", "excite_b"], n_boot=20, seed=1)
    diff = format_driver_differences(by).to_frame()
    d = segment_driver_differences(by)
    assert diff["estimate (R² points)"].tolist() == [f"{v:.1f}" for v in d["estimate"]]
    assert set(diff["significant"]) <= {"yes", "no"}


# ---------------------------------------------------------------------------
# cost of exact logistic dominance, estimated up front (issue 11, item 13)
# ---------------------------------------------------------------------------
def test_binary_dominance_refuses_hours_of_work_before_starting(monkeypatch):
    import cxlib.drivers.binary as binary
    from cxlib.drivers import importance

    df, drivers = make_data(n=500, p=12, seed=40)
    df["b"] = (df["y"] > 0).astype(int)
    monkeypatch.setattr(binary, "SECONDS_PER_FIT", (0.01, 0.0))  # a slow machine: 10 ms a fit

    def no_fit(*args, **kwargs):
        raise AssertionError("the analysis started before its cost was checked")

    monkeypatch.setattr(importance, "binary_importance", no_fit)
    # 2^12 fits × (1 + 1000 resamples) × 0.01 s = 41,000 s
    with pytest.raises(CXDataError, match=r"12 drivers on 500 rows needs 4,100,096 logistic fits .*about 11\.4 h, "
                                          r"over the limit of 60 min; use fewer drivers .*n_boot=0.*relative_weights"):
        key_drivers(df, outcome="b", drivers=drivers, n_boot=1000)


def test_binary_dominance_warns_with_the_expected_time(monkeypatch):
    import cxlib.drivers.binary as binary
    from cxlib.errors import SlowComputationWarning

    df, drivers = make_data(n=300, p=3, seed=41)
    df["b"] = (df["y"] > 0).astype(int)
    monkeypatch.setattr(binary, "SECONDS_PER_FIT", (1.0, 0.0))  # 2^3 × 11 fits × 1 s = 88 s
    with pytest.warns(SlowComputationWarning, match=r"needs 88 logistic fits .* about 88 s; to make it faster, use "
                                                    r"fewer drivers"):
        res = key_drivers(df, outcome="b", drivers=drivers, n_boot=10, seed=0)
    assert res.table["ci_low"].notna().all()  # it still runs
    monkeypatch.setattr(binary, "SECONDS_PER_FIT", (0.5, 0.0))  # 44 s: below a minute, silent
    with warnings.catch_warnings():
        warnings.simplefilter("error", SlowComputationWarning)
        key_drivers(df, outcome="b", drivers=drivers, n_boot=10, seed=0)


def test_binary_cost_estimate_of_the_reported_cases():
    from cxlib.drivers.binary import LIMIT_SECONDS, WARN_SECONDS, check_cost, estimated_seconds

    # the default report (8 drivers, ~1,900 responses, 200 resamples) runs without a warning
    assert estimated_seconds(1933, 8, 200) < WARN_SECONDS
    # issue 11: 12 drivers took about a minute on ~50,000 rows; since issue 14 (patterns,
    # batched Newton) about 3–5 s, and 1,000 resamples a quarter of an hour: warned, not refused
    assert 2 < estimated_seconds(50_000, 12, 0) < 30
    assert WARN_SECONDS < estimated_seconds(50_000, 12, 1000) < LIMIT_SECONDS
    with pytest.raises(CXDataError, match="500,000 rows .* about 108 min"):
        check_cost(500_000, 12, 1000)


def test_penalty_reward_categories_come_from_both_intervals():
    # issue 15: a driver with no effect is "unclear" (was "performance"), a small significant
    # penalty beside a large reward is "excitement", comparable effects are "performance"
    rng = np.random.default_rng(21)
    n = 4000
    R = pd.DataFrame(rng.integers(1, 6, size=(n, 4)), columns=["pen", "rew", "both", "null"])
    y = (3.0 - 0.8 * (R["pen"] <= 2) + 0.1 * (R["rew"] <= 2) * -1 + 1.0 * (R["rew"] == 5)
         - 0.5 * (R["both"] <= 2) + 0.5 * (R["both"] == 5) + rng.normal(0, 0.6, n))
    R["y"] = y
    t = penalty_reward(R, outcome="y", drivers=["pen", "rew", "both", "null"]).table.set_index("driver")
    assert t["category"].to_dict() == {"pen": "basic", "rew": "excitement", "both": "performance", "null": "unclear"}
    null = t.loc["null"]
    assert null["penalty_ci_low"] <= 0 and null["reward_ci_low"] <= 0  # neither interval excludes zero


def test_too_few_resamples_to_reach_significance_are_warned_about():
    # issue 15 item 4: with n_boot=10 the smallest attainable p-value is 2/11 ≈ 0.18
    from cxlib.errors import ResamplingWarning

    df = ratings_data()
    df["seg"] = np.where(np.arange(len(df)) % 2 == 0, "x", "y")
    drivers = ["basic_a", "excite_b", "sym_c"]
    with pytest.warns(ResamplingWarning, match=r"n_boot=10 the smallest attainable p-value is 0.182"):
        res = key_drivers_by_group(df, by="seg", outcome="osat", drivers=drivers, n_boot=10, seed=1)
    assert (res.differences["p_value"] >= 2 / 11 - 1e-12).all()  # the floor the warning states
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResamplingWarning)
        key_drivers_by_group(df, by="seg", outcome="osat", drivers=drivers, n_boot=40, seed=1)  # 2/41 < 0.05


def test_a_thin_segment_that_cannot_be_fitted_is_named_and_left_out():
    # a 0/1 outcome that is constant in a 10-row segment cannot be fitted: the other segments are
    # still estimated, exactly as on their own, and the warning names the thin one
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"a": rng.integers(1, 6, n), "b": rng.integers(1, 6, n)}).astype(float)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-(df["a"] - 3)))).astype(float)
    df["seg"] = np.where(np.arange(n) < 200, "big1", "big2")
    thin = pd.DataFrame({"a": [1.0, 2, 3, 4, 5] * 2, "b": [5.0, 4, 3, 2, 1] * 2, "y": 1.0, "seg": "tiny"})
    both = pd.concat([df, thin], ignore_index=True)
    with pytest.warns(SmallBaseWarning, match="tiny .n=10, not estimable"):
        res = key_drivers_by_group(both, by="seg", outcome="y", drivers=["a", "b"], outcome_type="binary", n_boot=0)
    assert set(res.importances["seg"]) == {"big1", "big2"}
    alone = key_drivers(df[df["seg"] == "big1"], outcome="y", drivers=["a", "b"], outcome_type="binary", n_boot=0)
    got = res.importances[res.importances["seg"] == "big1"].set_index("driver")["importance"]
    np.testing.assert_allclose(got.loc[["a", "b"]].to_numpy(), alone.table.set_index("driver").loc[["a", "b"], "importance"])
    with pytest.raises(CXDataError, match="no segment"), pytest.warns(SmallBaseWarning):
        key_drivers_by_group(thin, by="seg", outcome="y", drivers=["a", "b"], outcome_type="binary", n_boot=0)


def test_minimum_base_is_judged_on_the_effective_base_with_weights():
    # 100 rows clear a minimum base of 80, but with unequal weights the Kish base does not
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.integers(1, 6, (100, 2)).astype(float), columns=["a", "b"])
    df["y"] = df["a"] + rng.normal(0, 1, 100)
    df["w"] = np.where(np.arange(100) < 10, 10.0, 1.0)
    n_eff = df["w"].sum() ** 2 / (df["w"] ** 2).sum()
    assert n_eff < 80
    with pytest.warns(SmallBaseWarning, match=f"effective base {n_eff:.1f}"):
        res = key_drivers(df, outcome="y", drivers=["a", "b"], weights="w", n_boot=0, min_base=80)
    assert res.small_base and res.n_eff == pytest.approx(n_eff)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallBaseWarning)
        assert not key_drivers(df, outcome="y", drivers=["a", "b"], n_boot=0, min_base=80).small_base


def test_binary_key_drivers_warn_when_a_driver_separates_the_outcome():
    # reference: statsmodels refuses the same full model (perfect separation); cxlib names the driver
    rng = np.random.default_rng(7)
    df = pd.DataFrame({f"d{i}": rng.integers(1, 6, 200) for i in range(3)})
    df["y"] = (df["d1"] >= 4).astype(int)
    X = sm.add_constant(df[["d0", "d1", "d2"]].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Exception, match="(?i)separation"):
            sm.Logit(df["y"], X).fit(disp=0)
    with pytest.warns(cx.errors.NotIdentifiedWarning, match="perfectly.*driver is 'd1'"):
        cx.key_drivers(df, outcome="y", drivers=["d0", "d1", "d2"], n_boot=0)
    # not separated: no warning, and statsmodels fits the same full model
    df["y"] = (rng.random(200) < 1 / (1 + np.exp(-(df["d1"] - 3)))).astype(int)
    sm.Logit(df["y"], X).fit(disp=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cx.key_drivers(df, outcome="y", drivers=["d0", "d1", "d2"], n_boot=0)
