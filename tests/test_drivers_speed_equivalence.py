"""The fast key-driver paths equal the previous implementation and brute-force refits.

Issue 14 replaced three kernels of the linear key-driver analysis:

* ``all_subset_r2``: one batched Cholesky factorisation per subset size became a sweep
  over a binary tree of subsets (subsets sharing a prefix share its Schur complement);
* ``lmg_from_subsets``: one gather per driver became one matrix product with the LMG
  weights;
* ``weighted_moments``: one BLAS product per bootstrap replicate became one product of
  the resampled weights with the rows' pairwise products;
* ``_differences`` (between segments): one percentile call per pair and driver became
  one call for all of them.

The previous implementations are kept here, verbatim, as references; every result of
``key_drivers`` / ``key_drivers_by_group`` must agree with them to 1e-10, and the subset
R² with statsmodels' WLS refitted on every subset.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import cxlib as cx
from cxlib.core.inference import adjust_p_values, percentile_interval, significance
from cxlib.drivers import binary, correlation, dominance, groups
from cxlib.drivers.correlation import corr_listwise, pair_products, weighted_moments
from cxlib.drivers.dominance import all_subset_r2, lmg_from_subsets
from cxlib.drivers.groups import DIFFERENCE_COLUMNS, group_label
from cxlib.errors import SmallBaseWarning


# ------------------------------------------------------------ the previous implementations
def _combinations(p: int, k: int) -> np.ndarray:
    return np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(p), k)), dtype=np.intp, count=math.comb(p, k) * k
    ).reshape(-1, k)


def old_all_subset_r2(C: np.ndarray) -> np.ndarray:
    B, q, _ = C.shape
    p = q - 1
    r2 = np.zeros((B, 1 << p))
    for k in range(1, p + 1):
        combos = _combinations(p, k)
        masks = (np.left_shift(1, combos)).sum(axis=1)
        idx = np.concatenate([combos + 1, np.zeros((len(combos), 1), dtype=np.intp)], axis=1)
        step = max(1, 4_000_000 // (B * (k + 1) ** 2))
        for s in range(0, len(combos), step):
            ii = idx[s : s + step]
            A = C[:, ii[:, :, None], ii[:, None, :]]
            L = np.linalg.cholesky(A)
            r2[:, masks[s : s + step]] = 1.0 - L[..., k, k] ** 2
    return r2


def old_lmg_from_subsets(r2: np.ndarray, p: int) -> np.ndarray:
    masks = np.arange(1 << p)
    size = np.bitwise_count(masks)
    weight = np.array([1.0 / (p * math.comb(p - 1, s)) for s in range(p)])
    out = np.empty((r2.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[size[without]]
    return out


def old_weighted_moments(Z: np.ndarray, V: np.ndarray, products=None) -> tuple[np.ndarray, np.ndarray]:
    M = np.empty((V.shape[0], Z.shape[1], Z.shape[1]))
    for b, v in enumerate(V):
        M[b] = (Z * v[:, None]).T @ Z
    return V.sum(axis=1), M


def old_differences(results: dict, level: float) -> pd.DataFrame:
    rows = []
    labels = list(results)
    for ia, ib in itertools.combinations(range(len(labels)), 2):
        ra, rb = results[labels[ia]], results[labels[ib]]
        m = min(len(ra.bootstrap_importances), len(rb.bootstrap_importances))
        for j, d in enumerate(ra.drivers):
            diff = float(ra.table["importance"].iloc[j] - rb.table["importance"].iloc[j])
            reps = ra.bootstrap_importances[:m, j] - rb.bootstrap_importances[:m, j]
            lo, hi = (float(v[0]) for v in percentile_interval(reps, level))
            pv = min(1.0, 2 * min(np.sum(reps <= 0) + 1, np.sum(reps >= 0) + 1) / (m + 1)) if m else np.nan
            rows.append({
                "group_a": group_label(labels[ia]), "group_b": group_label(labels[ib]), "driver": d,
                "estimate": diff, "ci_low": lo, "ci_high": hi, "n": min(ra.n, rb.n), "p_value": pv,
                "small_base": ra.small_base or rb.small_base, "min_base": max(ra.min_base, rb.min_base),
            })
    out = pd.DataFrame(rows, columns=[c for c in DIFFERENCE_COLUMNS
                                      if c not in ("p_value_adj", "significant", "confidence_level")])
    out["p_value_adj"] = adjust_p_values(out["p_value"].to_numpy(dtype=float), "fdr_bh")
    sig = significance(out["p_value_adj"].to_numpy(dtype=float), level)
    sig[out["small_base"].to_numpy(dtype=bool)] = False
    out["significant"] = sig
    out["small_base"] = out["small_base"].astype(bool)
    out["confidence_level"] = level
    return out[list(DIFFERENCE_COLUMNS)]


@contextlib.contextmanager
def previous_path():
    """Run cxlib with the previous kernels (the reference path)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dominance, "all_subset_r2", old_all_subset_r2)
        mp.setattr(dominance, "lmg_from_subsets", old_lmg_from_subsets)
        mp.setattr(binary, "lmg_from_subsets", old_lmg_from_subsets)
        mp.setattr(correlation, "weighted_moments", old_weighted_moments)
        mp.setattr(groups, "_differences", old_differences)
        yield


# ---------------------------------------------------------------------------- helpers
def random_corr(rng: np.random.Generator, B: int, q: int, halo: float = 0.8) -> np.ndarray:
    A = rng.normal(size=(B, 4 * q, q)) + halo * rng.normal(size=(B, 4 * q, 1))
    cov = np.einsum("bni,bnj->bij", A, A)
    d = np.sqrt(np.einsum("bii->bi", cov))
    C = cov / d[:, :, None] / d[:, None, :]
    C[:, np.arange(q), np.arange(q)] = 1.0
    return C


def ratings(n: int, p: int, groups: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.clip(np.rint(3 + rng.normal(size=(n, p)) + 0.7 * rng.normal(size=(n, 1))), 1, 5)
    y = np.clip(np.rint(X @ rng.uniform(0.1, 0.5, size=p) + rng.normal(size=n)), 0, 10)
    df = pd.DataFrame(X, columns=[f"d{j}" for j in range(p)])
    df["y"] = y
    df["top"] = (y >= np.median(y)).astype(int)
    df["seg"] = rng.choice([f"s{g}" for g in range(groups)], size=n)
    df["w"] = rng.uniform(0.3, 3.0, size=n)
    return df


# ------------------------------------------------------------------------------ kernels
@pytest.mark.parametrize("p", [1, 2, 3, 6, 9])
def test_all_subset_r2_equals_cholesky_path(p):
    C = random_corr(np.random.default_rng(p), 5, p + 1)
    new = all_subset_r2(C)
    assert new.shape == (5, 1 << p)
    assert np.max(np.abs(new - old_all_subset_r2(C))) < 1e-12
    assert np.all(new[:, 0] == 0.0)


def test_all_subset_r2_batches_like_one_call(monkeypatch):
    C = random_corr(np.random.default_rng(3), 7, 6)
    whole = all_subset_r2(C)
    monkeypatch.setattr(dominance, "SUBSET_BATCH", 1 << 6)  # two replicates a batch
    assert np.array_equal(dominance.all_subset_r2(C), whole)


def test_all_subset_r2_equals_statsmodels_wls_on_every_subset():
    df = ratings(300, 5, 1, seed=11)
    drivers = [f"d{j}" for j in range(5)]
    Z, w = df[["y", *drivers]].to_numpy(float), df["w"].to_numpy()
    Zc = Z - (w @ Z) / w.sum()
    r2 = all_subset_r2(corr_listwise(Zc, w[None, :]))[0]
    for mask in range(1, 1 << 5):
        cols = [drivers[j] for j in range(5) if mask >> j & 1]
        fit = sm.WLS(df["y"], sm.add_constant(df[cols]), weights=df["w"]).fit()
        assert abs(r2[mask] - fit.rsquared) < 1e-10, cols


@pytest.mark.parametrize("p", [1, 2, 5, 17])
def test_lmg_equals_per_driver_differences(p):
    rng = np.random.default_rng(p)
    r2 = rng.uniform(size=(2, 1 << p))
    r2[:, 0] = 0.0
    assert np.max(np.abs(lmg_from_subsets(r2, p) - old_lmg_from_subsets(r2, p))) < 1e-12


def test_lmg_equals_the_factorial_definition():
    p, rng = 4, np.random.default_rng(0)
    r2 = rng.uniform(size=(1, 1 << p))
    ref = np.zeros(p)
    for S in range(1 << p):
        for j in range(p):
            if not S >> j & 1:
                k = S.bit_count()
                ref[j] += math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p) * (
                    r2[0, S | 1 << j] - r2[0, S])
    assert np.max(np.abs(lmg_from_subsets(r2, p)[0] - ref)) < 1e-14


def test_weighted_moments_equal_one_product_per_replicate():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(700, 6))
    V = rng.integers(0, 3, size=(4, 700)).astype(float)
    ref = old_weighted_moments(Z, V)[1]
    assert np.max(np.abs(weighted_moments(Z, V)[1] - ref)) < 1e-11
    assert np.max(np.abs(weighted_moments(Z, V, pair_products(Z))[1] - ref)) < 1e-11


# -------------------------------------------------------------------- whole analyses
def _run(df: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        return cx.key_drivers_by_group(df, by="seg", drivers=[c for c in df if c.startswith("d")], **kw)


def _assert_same(a, b, tol: float = 1e-10) -> None:
    ia, ib = a.importances, b.importances
    assert list(ia.columns) == list(ib.columns) and len(ia) == len(ib)
    for c in ia.columns:
        if pd.api.types.is_float_dtype(ia[c]):
            assert np.allclose(ia[c], ib[c], rtol=0, atol=tol, equal_nan=True), c
        else:
            assert ia[c].tolist() == ib[c].tolist(), c
    for c in ("estimate", "ci_low", "ci_high", "p_value", "p_value_adj"):
        assert np.allclose(a.differences[c], b.differences[c], rtol=0, atol=tol, equal_nan=True), c
    for c in ("group_a", "group_b", "driver", "n", "small_base", "min_base", "significant", "confidence_level"):
        assert a.differences[c].tolist() == b.differences[c].tolist(), c
    for key in a.results:
        assert np.max(np.abs(a.results[key].bootstrap_importances - b.results[key].bootstrap_importances)) < tol
        assert a.results[key].n_boot_failed == b.results[key].n_boot_failed


@pytest.mark.parametrize("method", ["shapley", "relative_weights", "ols"])
def test_key_drivers_by_group_equals_previous_path(method):
    df = ratings(1500, 6, 3, seed=1)
    new = _run(df, outcome="y", method=method, weights="w", n_boot=80, seed=4)
    with previous_path():
        ref = _run(df, outcome="y", method=method, weights="w", n_boot=80, seed=4)
    _assert_same(new, ref)
    assert new.differences["p_value"].notna().all()


@pytest.mark.parametrize("outcome_type", ["binary", "continuous"])  # logistic dominance; linear probability
def test_binary_outcome_equals_previous_path(outcome_type):
    df = ratings(600, 4, 2, seed=2)
    new = _run(df, outcome="top", outcome_type=outcome_type, n_boot=40, seed=1)
    with previous_path():
        ref = _run(df, outcome="top", outcome_type=outcome_type, n_boot=40, seed=1)
    assert new.results["s0"].outcome_type == outcome_type
    _assert_same(new, ref)


def test_pairwise_deletion_equals_previous_path():
    df = ratings(900, 5, 2, seed=3)
    df.loc[df.sample(frac=0.1, random_state=0).index, "d2"] = np.nan
    new = _run(df, outcome="y", deletion="pairwise", n_boot=40, seed=2)
    with previous_path():
        ref = _run(df, outcome="y", deletion="pairwise", n_boot=40, seed=2)
    _assert_same(new, ref)


def test_key_drivers_equals_previous_path_many_drivers():
    df = ratings(2000, 12, 1, seed=5)
    drivers = [f"d{j}" for j in range(12)]
    new = cx.key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=20, seed=0)
    with previous_path():
        ref = cx.key_drivers(df, outcome="y", drivers=drivers, weights="w", n_boot=20, seed=0)
    for c in ("importance", "ci_low", "ci_high", "share"):
        assert np.max(np.abs(new.table[c] - ref.table[c])) < 1e-10, c
    assert abs(new.r_squared - ref.r_squared) < 1e-12


# ------------------------------------------------- weighted_correlation of a large pandas frame
def _large_frame(n: int = 230_000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    df = pd.DataFrame({"ltr": np.clip(np.rint(7 + 1.8 * base), 0, 10), "w": rng.uniform(0.2, 3.0, n)})
    df.loc[rng.random(n) < 0.03, "ltr"] = np.nan
    for j in range(4):
        df[f"d{j}"] = np.clip(np.rint(3 + 0.5 * base + rng.normal(size=n)), 1, 5)
    df["d1"] = df["d1"].astype("Int8")  # a nullable integer column
    df.loc[rng.random(n) < 0.05, "d1"] = pd.NA
    df.loc[rng.random(n) < 0.04, "d2"] = 0  # "not applicable" code
    df["d3"] = df["d3"].astype("int8")
    return df


@pytest.mark.parametrize("weights", [None, "w"])
def test_large_frame_one_pass_equals_the_row_path(monkeypatch, weights):
    from cxlib import engines

    df = _large_frame()
    kw = {"outcome": "ltr", "drivers": ["d0", "d1", "d2", "d3"], "weights": weights,
          "scale": {"ltr": (0, 10), "d0": (1, 5), "d1": (1, 5), "d2": (1, 5), "d3": (1, 5)}, "missing": {"d2": [0]}}
    assert engines.large_numeric_frame(df, ["ltr", "d0", "d1", "d2", "d3", "w"], kw["missing"])
    fast = cx.weighted_correlation(df, **kw)
    monkeypatch.setattr(engines, "LARGE_FRAME_ROWS", 10**9)  # the row-by-row numpy path
    ref = cx.weighted_correlation(df, **kw)
    assert (fast.n, fast.n_missing_codes) == (ref.n, ref.n_missing_codes)
    assert fast.n_missing_codes["d2"] > 0
    assert abs(fast.sum_weights - ref.sum_weights) < 1e-9 * ref.sum_weights
    for a in ("mean", "cov", "corr"):
        assert np.max(np.abs(getattr(fast, a) - getattr(ref, a))) < 1e-12, a


def test_large_frame_refused_values_keep_the_full_message(monkeypatch):
    from cxlib import engines

    df = _large_frame()
    df.loc[5, "d0"] = 7.0  # outside 1-5
    kw = {"outcome": "ltr", "drivers": ["d0", "d1"], "scale": (1, 5)}
    with pytest.raises(cx.CXDataError) as fast:
        cx.weighted_correlation(df, **kw)
    monkeypatch.setattr(engines, "LARGE_FRAME_ROWS", 10**9)
    with pytest.raises(cx.CXDataError) as ref:
        cx.weighted_correlation(df, **kw)
    assert str(fast.value) == str(ref.value) and "outside the scale" in str(ref.value)


@pytest.mark.parametrize("bad", ["inf", "all_missing"])
def test_large_frame_other_refusals_keep_the_full_message(monkeypatch, bad):
    from cxlib import engines

    df = _large_frame()
    if bad == "inf":
        df.loc[[3, 4], "d0"] = [np.inf, -np.inf]
        df.loc[4, "ltr"] = np.nan  # an incomplete row: still refused
    else:
        df["d0"] = np.nan
    kw = {"outcome": "ltr", "drivers": ["d0", "d2"]}
    with pytest.raises(cx.CXDataError) as fast:
        cx.weighted_correlation(df, **kw)
    monkeypatch.setattr(engines, "LARGE_FRAME_ROWS", 10**9)
    with pytest.raises(cx.CXDataError) as ref:
        cx.weighted_correlation(df, **kw)
    assert str(fast.value) == str(ref.value)
