"""Fast exact logistic dominance (issue 14): covariate patterns, batched Newton, warm starts.

Every subset's McFadden R² is checked against statsmodels (``Logit`` unweighted,
``GLM(Binomial, freq_weights=w)`` weighted), the pattern-compressed fits against fits on
the raw rows, and the bootstrap against the resampling protocol it replaced (one
multinomial draw of n rows per resample, refit every subset on the drawn rows).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import statsmodels.api as sm

from cxlib.drivers.binary import (
    _newton,
    _patterns,
    binary_bootstrap,
    binary_importance,
    binary_subset_r2,
    logit_llf,
)
from cxlib.drivers.correlation import boot_counts
from cxlib.drivers.dominance import lmg_from_subsets


def ratings(n: int, p: int, seed: int, promoters: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Halo-correlated 1–5 ratings (top-heavy, as in CX surveys) and a 0/1 outcome."""
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=n)
    load = rng.uniform(0.5, 0.8, p)
    latent = halo[:, None] * load + rng.normal(size=(n, p)) * np.sqrt(1 - load**2)
    X = 1.0 + (latent[:, :, None] > np.array([-1.8, -1.1, -0.3, 0.6])).sum(axis=2)
    eta = X @ rng.uniform(0.05, 0.5, p) * 0.6
    eta -= np.quantile(eta, 1 - promoters)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y


def subsets(p: int):
    for mask in range(1, 1 << p):
        yield mask, [j for j in range(p) if mask >> j & 1]


def raw_subset_r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Every subset fitted on the raw rows (no patterns), each from zero coefficients."""
    n, p = X.shape
    ybar = np.sum(w * y) / np.sum(w)
    ll0 = np.sum(w) * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar))
    r2 = np.zeros(1 << p)
    for mask, cols in subsets(p):
        r2[mask] = 1.0 - logit_llf(np.column_stack([np.ones(n), X[:, cols]]), y, w)[0] / ll0
    return r2


def test_every_subset_matches_statsmodels_logit():
    X, y = ratings(3000, 6, seed=1)
    got = binary_subset_r2(y, X, np.ones(len(y)))
    worst = 0.0
    for mask, cols in subsets(6):
        fit = sm.Logit(y, sm.add_constant(X[:, cols])).fit(disp=0, tol=1e-12, maxiter=100)
        worst = max(worst, abs(got[mask] - (1.0 - fit.llf / fit.llnull)))
    assert got[0] == 0.0
    assert worst < 1e-8


def test_every_weighted_subset_matches_statsmodels_glm_freq_weights():
    X, y = ratings(2000, 6, seed=2, promoters=0.25)
    w = np.random.default_rng(3).uniform(0.3, 3.0, len(y))
    got = binary_subset_r2(y, X, w)
    null = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-13).llf
    worst = 0.0
    for mask, cols in subsets(6):
        fit = sm.GLM(y, sm.add_constant(X[:, cols]), family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-13)
        worst = max(worst, abs(got[mask] - (1.0 - fit.llf / null)))
    assert worst < 1e-8


def test_patterns_give_the_same_fits_as_the_raw_rows():
    X, y = ratings(1500, 5, seed=4)
    pat = _patterns(X)
    assert len(pat.Z) < 1500  # rating drivers repeat: fewer patterns than rows
    assert np.array_equal(X[np.argsort(pat.inverse, kind="stable")][:0], X[:0])
    # every row's pattern has the row's values
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_array_equal(pat.Z[pat.inverse], Xs)
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    for weights in (np.ones(len(y)), w):
        np.testing.assert_allclose(binary_subset_r2(y, X, weights), raw_subset_r2(y, X, weights), rtol=0, atol=1e-10)


def test_drivers_without_repeated_values_fall_back_to_rows():
    # continuous drivers: every row its own pattern; 12 such columns overflow the integer key
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 12))
    y = (X[:, 0] + X[:, 1] + rng.normal(size=300) > 0).astype(float)
    pat = _patterns(X)
    assert len(pat.Z) == 300 and not pat.key_fits
    got = binary_subset_r2(y, X[:, :4], np.ones(300))
    np.testing.assert_allclose(got, raw_subset_r2(y, X[:, :4], np.ones(300)), atol=1e-10)
    full = binary_subset_r2(y, X, np.ones(300))
    fit = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    assert full[-1] == pytest.approx(1.0 - fit.llf / fit.llnull, abs=1e-9)


def test_subsets_fitted_in_batches_match_fits_one_at_a_time(monkeypatch):
    # 11-point drivers: subsets of three or more have many more possible patterns (11³) than
    # the data have, so they are fitted level by level in batches on the shared patterns;
    # single drivers and pairs on their own merged patterns
    from cxlib.drivers import binary

    rng = np.random.default_rng(17)
    n, p = 1500, 8
    X = rng.integers(0, 11, size=(n, p)).astype(float)
    eta = (X - 5.0) @ rng.uniform(0.0, 0.25, p) + rng.normal(0.0, 0.5, n)
    y = (eta > np.quantile(eta, 0.65)).astype(float)
    w = rng.uniform(0.3, 3.0, n)
    batched = []
    fit = binary._LevelBatch.fit
    monkeypatch.setattr(binary._LevelBatch, "fit", lambda self, masks, *a, **k: batched.extend(masks) or fit(self, masks, *a, **k))
    for weights in (np.ones(n), w):
        batched.clear()
        got = binary_subset_r2(y, X, weights)
        assert {m.bit_count() for m in batched} == {3, 4, 5, 6, 7}  # the full model is fitted alone
        np.testing.assert_allclose(got, raw_subset_r2(y, X, weights), rtol=0, atol=1e-10)
    got = binary_subset_r2(y, X, np.ones(n))
    for mask, cols in subsets(p):
        if mask % 7 == 0:  # a sample of subsets against statsmodels
            fit_sm = sm.Logit(y, sm.add_constant(X[:, cols])).fit(disp=0, tol=1e-12, maxiter=100)
            assert got[mask] == pytest.approx(1.0 - fit_sm.llf / fit_sm.llnull, abs=1e-9)


def test_a_dominant_driver_dropped_from_its_parent():
    # a driver with a very large coefficient: without it the parent's fit and curvature are a
    # poor start (the chord step from the parent's Hessian diverged), so those subsets take
    # Newton steps with their own Hessian
    rng = np.random.default_rng(19)
    X = rng.integers(0, 11, size=(2000, 7)).astype(float)
    eta = 4.0 * (X[:, 0] - 5.0) + 0.2 * (X[:, 1] - 5.0)
    y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-eta))).astype(float)
    got = binary_subset_r2(y, X, np.ones(2000))
    np.testing.assert_allclose(got, raw_subset_r2(y, X, np.ones(2000)), rtol=0, atol=1e-10)
    assert got[1] > 0.85 and got[-2] < 0.01  # the driver alone, all but the driver


def test_every_possible_pattern_present():
    # three 1–5 drivers on 3,000 rows: all 125 patterns occur, so even the full set could be
    # merged; it is fitted first and its subsets merge from it
    rng = np.random.default_rng(18)
    X = rng.integers(1, 6, size=(3000, 3)).astype(float)
    y = (rng.uniform(size=3000) < 1 / (1 + np.exp(-0.3 * (X.sum(axis=1) - 9)))).astype(float)
    assert len(_patterns(X).Z) == 125
    np.testing.assert_allclose(binary_subset_r2(y, X, np.ones(3000)), raw_subset_r2(y, X, np.ones(3000)), atol=1e-10)


def test_batched_newton_solves_each_problem_as_alone():
    X, y = ratings(800, 3, seed=7)
    pat = _patterns(X)
    A = np.column_stack([np.ones(len(pat.Z)), pat.Z])
    counts = boot_counts(np.random.default_rng(8), len(y), 5)
    NW = np.stack([np.bincount(pat.inverse, weights=c, minlength=len(A)) for c in counts])
    SW = np.stack([np.bincount(pat.inverse, weights=c * y, minlength=len(A)) for c in counts])
    llf, beta, ok, _ = _newton(A, NW, SW, np.zeros((5, 4)), tol=1e-9 * NW.sum(axis=1))
    assert ok.all()
    for b in range(5):
        one, beta_one, _, _ = _newton(A, NW[b:b + 1], SW[b:b + 1], np.zeros((1, 4)), tol=1e-9 * NW[b].sum())
        assert llf[b] == pytest.approx(one[0], abs=1e-9)
        np.testing.assert_allclose(beta[b], beta_one[0], atol=1e-6)


def reference_bootstrap(y, X, w, n_boot, rng):
    """The protocol before issue 14: resample rows, refit every subset on the drawn rows
    (here one subset at a time on the raw rows; a singular Hessian skips the resample)."""
    n, p = X.shape
    reps, failed = [], 0
    for _ in range(n_boot):
        v = w * boot_counts(rng, n, 1)[0]
        drawn = v > 0
        if np.any(np.ptp(X[drawn], axis=0) == 0) or np.ptp(y[drawn]) == 0:
            failed += 1
            continue
        yd, vd, Xd = y[drawn], v[drawn], X[drawn]
        ybar = np.sum(vd * yd) / np.sum(vd)
        ll0 = np.sum(vd) * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar))
        r2, good = np.zeros(1 << p), True
        for mask, cols in subsets(p):
            A = np.column_stack([np.ones(len(yd)), Xd[:, cols]])
            llf, _, ok, _ = _newton(A, vd[None, :], (vd * yd)[None, :], np.zeros((1, len(cols) + 1)),
                                    tol=1e-9 * vd.sum())
            good &= bool(ok[0])
            r2[mask] = 1.0 - llf[0] / ll0
        if not good:
            failed += 1
            continue
        reps.append(lmg_from_subsets(r2[None, :], p)[0])
    return np.array(reps).reshape(-1, p), failed


def test_bootstrap_keeps_the_resampling_protocol():
    X, y = ratings(600, 4, seed=9)
    w = np.random.default_rng(10).uniform(0.5, 2.0, len(y))
    got, failed = binary_bootstrap(y, X, w, 12, np.random.default_rng(11))
    ref, ref_failed = reference_bootstrap(y, X, w, 12, np.random.default_rng(11))
    assert failed == ref_failed == 0
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)


def test_bootstrap_skips_degenerate_resamples():
    # 25 rows, a rare driver value and a rare outcome: some resamples miss them (skipped, as
    # before), others are separated (no finite MLE): kept only when their fits stay ordered
    rng = np.random.default_rng(12)
    X = np.column_stack([np.r_[np.ones(23), 2.0, 2.0], rng.integers(1, 4, 25)]).astype(float)
    y = np.r_[np.zeros(20), np.ones(5)]
    y[[3, 22]] = 1.0
    y[24] = 0.0
    got, failed = binary_bootstrap(y, X, np.ones(25), 40, np.random.default_rng(13))
    constant = 0
    draws = np.random.default_rng(13)
    for _ in range(40):
        drawn = boot_counts(draws, 25, 1)[0] > 0
        constant += bool(np.any(np.ptp(X[drawn], axis=0) == 0) or np.ptp(y[drawn]) == 0)
    assert 0 < constant <= failed < 40
    assert len(got) == 40 - failed
    assert np.isfinite(got).all() and (got >= -1e-9).all() and (got.sum(axis=1) <= 1.0).all()


def test_bootstrap_in_chunks_equals_one_resample_at_a_time(monkeypatch):
    from cxlib.drivers import binary

    X, y = ratings(500, 3, seed=14)
    w = np.ones(len(y))
    whole = binary_bootstrap(y, X, w, 9, np.random.default_rng(15))[0]
    monkeypatch.setattr(binary, "CHUNK_ELEMENTS", 1)  # one resample per chunk
    single = binary_bootstrap(y, X, w, 9, np.random.default_rng(15))[0]
    np.testing.assert_allclose(whole, single, atol=1e-12)


def test_importance_sums_to_the_full_model_and_signs_follow_logit():
    X, y = ratings(2500, 5, seed=16)
    X[:, 4] = 6.0 - X[:, 4]  # a reversed driver: negative coefficient
    imp, r2, sign = binary_importance(y, X, np.ones(len(y)))
    fit = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    assert r2 == pytest.approx(1.0 - fit.llf / fit.llnull, abs=1e-10)
    assert imp.sum() == pytest.approx(r2, abs=1e-12)
    assert sign.tolist() == np.sign(fit.params[1:]).tolist()
    # brute-force Shapley over orderings from statsmodels fits
    r2s = {(): 0.0}
    for k in range(1, 6):
        for S in itertools.combinations(range(5), k):
            f = sm.Logit(y, sm.add_constant(X[:, list(S)])).fit(disp=0, tol=1e-12)
            r2s[S] = 1.0 - f.llf / f.llnull
    shap = np.zeros(5)
    orders = list(itertools.permutations(range(5)))
    for order in orders:
        for i, j in enumerate(order):
            shap[j] += r2s[tuple(sorted(order[: i + 1]))] - r2s[tuple(sorted(order[:i]))]
    np.testing.assert_allclose(imp, shap / len(orders), atol=1e-9)
