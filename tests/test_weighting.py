"""Tests of cxlib.data.weighting: raking, post-stratification and the weighting report.

Expected numbers come from (a) the oracle library weightipy (RIM raking, a maintained
fork of Quantipy's weighting engine), (b) an independent IPF written below with pandas
groupby (no code shared with cxlib), (c) the closed form of a raked 2 × 2 table (IPF
keeps the sample's odds ratio; Bishop, Fienberg & Holland 1975, ch. 3), and (d) hand
computations of the Kish formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib import CXDataError
from cxlib.data.weighting import RakingResult, WeightingReport

TARGETS = {
    "plan": {"basic": 0.40, "plus": 0.35, "pro": 0.25},
    "country": {"DE": 0.25, "FR": 0.25, "UK": 0.30, "ES": 0.20},
    "age": {"18-34": 0.30, "35-54": 0.40, "55+": 0.30},
}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """A skewed sample (too many basic / DE / 35-54) with design weights and NPS scores;
    a non-default index so that alignment by label is exercised."""
    rng = np.random.default_rng(7)
    n = 1500
    df = pd.DataFrame({
        "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
        "country": rng.choice(["DE", "FR", "UK", "ES"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "age": rng.choice(["18-34", "35-54", "55+"], n, p=[0.2, 0.5, 0.3]),
        "design": rng.uniform(0.5, 2.0, n),
        "ltr": rng.integers(0, 11, n),
    })
    df.index = pd.Index(np.arange(n) * 3 + 100, name="resp_id")
    return df


def reference_ipf(df: pd.DataFrame, targets: dict, start=None, max_sweeps: int = 10_000) -> pd.Series:
    """Textbook IPF with pandas: per variable, multiply by target share / weighted share."""
    w = pd.Series(1.0 if start is None else np.asarray(start, dtype=float), index=df.index)
    w = w / w.mean()
    for _ in range(max_sweeps):
        old = w.copy()
        for var, shares in targets.items():
            t = pd.Series(shares, dtype=float)
            t = t / t.sum()
            current = w.groupby(df[var]).sum() / w.sum()
            w = w * df[var].map(t / current)
        if (w - old).abs().max() < 1e-15:
            break
    return w


def weighted_shares(df: pd.DataFrame, var: str, w) -> pd.Series:
    w = pd.Series(np.asarray(w, dtype=float), index=df.index)
    return w.groupby(df[var]).sum() / w.sum()


# ------------------------------------------------------------------------ raking
def test_rake_reproduces_the_target_margins(sample):
    res = cx.rake(sample, TARGETS)
    assert isinstance(res, RakingResult) and res.converged and res.method == "raking"
    assert {"rake", "poststratify", "weighting_report"} <= set(cx.__all__) and "RakingResult" not in cx.__all__
    assert res.max_error <= 1e-10
    for var, shares in TARGETS.items():
        got = weighted_shares(sample, var, res.weights)
        for level, share in shares.items():
            assert got[level] == pytest.approx(share, abs=1e-10), (var, level)
    assert res.weights.index.equals(sample.index)
    assert res.weights.mean() == pytest.approx(1.0, abs=1e-12)
    # the sample was skewed: raking had work to do
    assert weighted_shares(sample, "plan", np.ones(len(sample)))["basic"] > 0.55


def test_rake_equals_weightipy_and_an_independent_ipf(sample):
    import weightipy as wp  # the oracle (declared in the dev extra)

    scheme = wp.scheme_from_dict({v: {k: 100 * s for k, s in t.items()} for v, t in TARGETS.items()},
                                 rim_params={"convcrit": 1e-15, "max_iterations": 10_000})
    oracle = wp.weight(sample[list(TARGETS)].reset_index(drop=True), scheme).to_numpy()
    res = cx.rake(sample, TARGETS, tol=1e-13, max_iter=1000)
    np.testing.assert_allclose(res.weights.to_numpy(), oracle, rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.weights.to_numpy(), reference_ipf(sample, TARGETS).to_numpy(), rtol=0, atol=1e-10)


def test_rake_from_design_weights_equals_the_independent_ipf(sample):
    res = cx.rake(sample, TARGETS, weights="design", tol=1e-13, max_iter=1000)
    ref = reference_ipf(sample, TARGETS, start=sample["design"])
    np.testing.assert_allclose(res.weights.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-10)
    # and differs from raking without them (the design weights matter)
    assert np.abs(res.weights - cx.rake(sample, TARGETS).weights).max() > 1e-3


def test_rake_2x2_keeps_the_odds_ratio_closed_form():
    # cells (a, x)=30, (a, y)=10, (b, x)=20, (b, y)=40 respondents; targets A: a=.5, X: x=.3
    df = pd.DataFrame({"A": ["a"] * 40 + ["b"] * 60, "X": ["x"] * 30 + ["y"] * 10 + ["x"] * 20 + ["y"] * 40})
    res = cx.rake(df, {"A": {"a": 0.5, "b": 0.5}, "X": {"x": 0.3, "y": 0.7}}, tol=1e-14, max_iter=1000)
    # fitted shares p11 with p11 (1 - .5 - .3 + p11) / ((.5 - p11)(.3 - p11)) = OR = 30·40 / (10·20) = 6
    odds, r, c = 6.0, 0.5, 0.3
    qa, qb, qc = 1 - odds, (1 - r - c) + odds * (r + c), -odds * r * c
    p11 = min(x for x in np.roots([qa, qb, qc]).real if 0 < x < min(r, c))
    w = res.weights
    assert w[(df.A == "a") & (df.X == "x")].sum() / w.sum() == pytest.approx(p11, abs=1e-12)


def test_rake_is_invariant_to_the_scale_and_form_of_the_starting_weights(sample):
    base = cx.rake(sample, TARGETS, weights="design").weights
    scaled = cx.rake(sample, TARGETS, weights=sample["design"].to_numpy() * 1234.5).weights
    shuffled = cx.rake(sample, TARGETS, weights=sample["design"].sample(frac=1, random_state=1) / 7).weights
    np.testing.assert_allclose(scaled.to_numpy(), base.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(shuffled.to_numpy(), base.to_numpy(), rtol=1e-12)


def test_rake_counts_are_normalised_like_shares(sample):
    counts = {v: {k: s * 52_000 for k, s in t.items()} for v, t in TARGETS.items()}
    np.testing.assert_allclose(cx.rake(sample, counts).weights, cx.rake(sample, TARGETS).weights, rtol=1e-12)


def test_cap_holds_and_margins_still_meet_their_targets(sample):
    free = cx.rake(sample, TARGETS)
    assert free.weights.max() / free.weights.mean() > 3.0  # so that a cap of 3 binds
    capped = cx.rake(sample, TARGETS, cap=3.0)
    w = capped.weights
    assert capped.converged and capped.cap == 3.0
    assert w.max() / w.mean() <= 3.0 * (1 + 1e-12)
    assert w.max() / w.mean() == pytest.approx(3.0, rel=1e-9)  # the cap binds
    for var, shares in TARGETS.items():
        got = weighted_shares(sample, var, w)
        assert max(abs(got[k] - s) for k, s in shares.items()) <= 1e-10
    assert capped.report().design_effect < free.report().design_effect


def test_cap_too_low_for_a_level_is_refused_with_the_minimum(sample):
    n_pro = int((sample.plan == "pro").sum())
    with pytest.raises(CXDataError, match=r"`cap`=1\.5 is too low: level 'pro' of 'plan'") as err:
        cx.rake(sample, TARGETS, cap=1.5)
    assert f"has {n_pro} of {len(sample)}" in str(err.value)
    assert f"{0.25 * len(sample) / n_pro:.4g}" in str(err.value)


def test_trim_clips_at_the_quantiles_and_the_report_measures_the_shift(sample):
    res = cx.rake(sample, TARGETS, trim=(0.05, 0.95))
    untrimmed = cx.rake(sample, TARGETS).weights
    np.testing.assert_allclose(res.weights_before_trim, untrimmed, rtol=1e-12)
    lo, hi = np.quantile(untrimmed, [0.05, 0.95])
    clipped = np.clip(untrimmed.to_numpy(), lo, hi)
    np.testing.assert_allclose(res.weights, clipped * len(sample) / clipped.sum(), rtol=1e-12)
    shift = max(abs(weighted_shares(sample, v, res.weights)[k] - weighted_shares(sample, v, untrimmed)[k])
                for v, t in TARGETS.items() for k in t)
    rep = res.report()
    assert shift > 1e-3
    assert rep.trim_shift == pytest.approx(shift, abs=1e-12)
    assert res.max_error == pytest.approx(shift, abs=1e-9)  # untrimmed margins were on target
    assert cx.weighting_report(sample, res).trim_shift == pytest.approx(shift, abs=1e-12)


def test_crossed_margin_in_rake_and_poststratify_agree(sample):
    cells = sample.groupby(["country", "plan"]).size()
    targets = (cells * 0 + 1) / len(cells)  # a uniform population over the 12 cells
    ps = cx.poststratify(sample, targets, by=["country", "plan"])
    rk = cx.rake(sample, {("country", "plan"): targets.to_dict()})
    np.testing.assert_allclose(ps.weights, rk.weights, rtol=1e-12)
    assert ps.method == "post-stratification" and ps.iterations == 1
    got = ps.weights.groupby([sample.country, sample.plan]).sum() / len(sample)
    np.testing.assert_allclose(got.to_numpy(), 1 / 12, atol=1e-12)


def test_poststratify_equals_the_hand_formula_with_design_weights(sample):
    targets = {"basic": 0.4, "plus": 0.35, "pro": 0.25}
    res = cx.poststratify(sample, targets, by="plan", weights="design")
    d = sample["design"]
    cell_sum = d.groupby(sample.plan).transform("sum")
    expected = d * sample.plan.map(targets) * d.sum() / cell_sum
    expected = expected / expected.mean()
    np.testing.assert_allclose(res.weights, expected, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3), st.lists(st.floats(0.05, 1.0), min_size=2, max_size=2),
       st.integers(0, 10_000))
def test_property_raking_meets_any_positive_margins_when_every_cell_is_filled(a, b, seed):
    rng = np.random.default_rng(seed)
    grid = pd.MultiIndex.from_product([["a1", "a2", "a3"], ["b1", "b2"]]).to_frame(index=False, name=["A", "B"])
    df = pd.concat([grid, grid.sample(40, replace=True, random_state=seed)], ignore_index=True)
    targets = {"A": dict(zip(["a1", "a2", "a3"], a)), "B": dict(zip(["b1", "b2"], b))}
    targets = {v: {k: x / sum(t.values()) for k, x in t.items()} for v, t in targets.items()}
    res = cx.rake(df, targets, weights=rng.uniform(0.2, 3.0, len(df)), max_iter=2000)
    for var, t in targets.items():
        got = weighted_shares(df, var, res.weights)
        assert max(abs(got[k] - s) for k, s in t.items()) <= 1e-10


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("targets, pattern", [
    ({"tier": {"a": 1.0}}, r"`targets`='tier' is not a column"),
    ({"plan": {"basic": 0.5, "plus": 0.3, "pro": 0.1}}, r"targets for 'plan' look like shares .* sum to 0\.9"),
    ({"plan": {"basic": 500, "plus": 300, "pro": 200}, "age": {"18-34": 300, "35-54": 400, "55+": 400}},
     r"count targets have different totals \{'plan': 1000\.0, 'age': 1100\.0\}"),
    ({"plan": {"basic": 0.4, "plus": 0.35, "pro": 0.15, "enterprise": 0.1}},
     r"target level\(s\) \['enterprise'\] of 'plan' have no respondents .* n = 1500 rows"),
    ({"plan": {"basic": 0.5, "plus": 0.5}}, r"\d+ of 1500 respondents have a level of 'plan' with no target: \['pro'\]"),
    ({"plan": {"basic": 0.5, "plus": 0.5, "pro": 0.0}}, r"level\(s\) \['pro'\] of 'plan' have target 0 but \d+"),
    ({"plan": {"basic": -1, "plus": 2}}, r"targets for 'plan' have 1 value\(s\) that are not finite numbers >= 0"),
    ({"plan": {"basic": "half"}}, r"targets for 'plan' must be numbers"),
    ({("plan", "age"): {"basic": 1.0}}, r"crossed margin 'plan × age' need tuples of 2 levels"),
    ({}, r"`targets` must be a non-empty mapping"),
])
def test_rake_errors_name_the_variable_and_the_values(sample, targets, pattern):
    with pytest.raises(CXDataError, match=pattern):
        cx.rake(sample, targets)


def test_one_error_lists_the_problems_of_every_variable(sample):
    targets = {"plan": {"basic": 0.4, "plus": 0.35, "pro": 0.15, "enterprise": 0.1},
               "country": {"DE": 0.3, "FR": 0.3, "UK": 0.4},
               "age": TARGETS["age"], "tier": {"a": 1.0}}
    with pytest.raises(CXDataError, match=r"`targets`='tier' is not a column"):  # columns first, all at once
        cx.rake(sample, targets)
    del targets["tier"]
    with pytest.raises(CXDataError) as err:
        cx.rake(sample, targets)
    msg = str(err.value)
    assert msg.startswith("2 problems with the targets:")
    assert "['enterprise'] of 'plan' have no respondents" in msg
    assert f"{(sample.country == 'ES').sum()} of 1500 respondents have a level of 'country' with no target: ['ES']" in msg


def test_target_shares_normalises_counts_and_checks_shares():
    from cxlib.data.weighting import target_shares

    shares = target_shares({"plan": {"basic": 600, "pro": 400}, ("a", "b"): {("x", "y"): 0.5, ("x", "z"): 0.5}})
    assert shares["plan"][0] == ["basic", "pro"] and shares["plan"][1].tolist() == [0.6, 0.4]
    assert shares[("a", "b")][1].tolist() == [0.5, 0.5]
    with pytest.raises(CXDataError, match="sum to 0.9"):
        target_shares({"plan": {"basic": 0.5, "pro": 0.4}})


def test_missing_values_in_a_raking_variable_are_refused(sample):
    df = sample.copy()
    df.loc[df.index[:7], "country"] = None
    with pytest.raises(CXDataError, match=r"column\(s\) 'country' have missing values in 7 of 1500 rows"):
        cx.rake(df, TARGETS)


def test_a_level_whose_design_weights_are_all_zero_is_refused(sample):
    w = np.where(sample.plan == "pro", 0.0, 1.0)
    with pytest.raises(CXDataError, match=r"\['pro'\] of 'plan' have respondents .* all with design weight 0"):
        cx.rake(sample, TARGETS, weights=w)


def test_non_convergence_says_how_far_and_strict_false_returns_the_result():
    # plan and country coincide in the sample (basic <-> DE), so 50/50 and 30/70 cannot both hold
    df = pd.DataFrame({"plan": ["basic"] * 50 + ["pro"] * 50, "country": ["DE"] * 50 + ["FR"] * 50})
    targets = {"plan": {"basic": 0.5, "pro": 0.5}, "country": {"DE": 0.3, "FR": 0.7}}
    with pytest.raises(CXDataError, match=r"did not converge in 100 iterations: .* still up to 0\.2 from the"):
        cx.rake(df, targets)
    res = cx.rake(df, targets, strict=False)
    assert not res.converged and res.iterations == 100
    assert res.max_error == pytest.approx(0.2, abs=1e-9)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"cap": 1.0}, r"`cap`=1\.0 must be a finite number > 1"),
    ({"cap": "high"}, r"`cap`='high' must be a number > 1"),
    ({"trim": (0.9, 0.1)}, r"`trim`=\(0\.9, 0\.1\) must satisfy 0 <= low < high <= 1"),
    ({"trim": 0.05}, r"`trim`=0\.05 must be a pair of quantiles"),
    ({"max_iter": 0}, r"`max_iter`=0 must be a whole number >= 1"),
    ({"tol": 0}, r"`tol`=0 must be a number between 0 and 1"),
    ({"weights": "nope"}, r"`weights`='nope' is not a column"),
])
def test_rake_option_errors(sample, kwargs, pattern):
    with pytest.raises(CXDataError, match=pattern):
        cx.rake(sample, TARGETS, **kwargs)


def test_poststratify_names_the_empty_cells(sample):
    df = sample[~((sample.country == "ES") & (sample.plan == "pro"))]
    cells = {(c, p): 1 for c in ["DE", "FR", "UK", "ES"] for p in ["basic", "plus", "pro"]}
    with pytest.raises(CXDataError, match=r"target level\(s\) \[\('ES', 'pro'\)\] of 'country × plan' have no resp"):
        cx.poststratify(df, cells, by=["country", "plan"])
    with pytest.raises(CXDataError, match=r"`by`='tier' is not a column"):
        cx.poststratify(df, cells, by="tier")


# ------------------------------------------------------------------------ report
def test_weighting_report_equals_the_kish_formulas_by_hand():
    df = pd.DataFrame({"g": ["a", "a", "b", "b", "b"]})
    w = np.array([1.0, 3.0, 2.0, 2.0, 2.0])
    rep = cx.weighting_report(df, w, targets={"g": {"a": 0.5, "b": 0.5}})
    assert isinstance(rep, WeightingReport)
    # Σw = 10, Σw² = 1 + 9 + 4·3 = 22: n_eff = 100 / 22; mean 2, var = (1 + 1 + 0·3) / 5 = 0.4
    assert rep.n == 5
    assert rep.n_eff == pytest.approx(100 / 22, rel=1e-12)
    assert rep.design_effect == pytest.approx(1 + 0.4 / 4, rel=1e-12)
    assert rep.design_effect == pytest.approx(5 / (100 / 22), rel=1e-12)
    assert rep.efficiency == pytest.approx(1 / 1.1, rel=1e-12)
    row = rep.summary.iloc[0]
    assert (row["min"], row["p50"], row["max"], row["max_to_mean"]) == (1.0, 2.0, 3.0, 1.5)
    assert row["p1"] == pytest.approx(1.0 + 0.04 * 1.0)  # linear interpolation between 1 and 2
    m = rep.margins.set_index("level")
    assert m.loc["a", "weighted"] == pytest.approx(0.4) and m.loc["a", "difference"] == pytest.approx(-0.1)
    assert m.loc["b", "unweighted"] == pytest.approx(0.6) and m.loc["b", "n"] == 3
    assert row["max_abs_difference"] == pytest.approx(0.1)
    assert np.isnan(rep.trim_shift)


def test_report_of_a_result_equals_weighting_report_from_the_data(sample):
    res = cx.rake(sample, TARGETS, weights="design", cap=4)
    a, b = res.report(), cx.weighting_report(sample, res)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.margins, b.margins)
    assert list(a.margins.columns) == ["variable", "level", "n", "unweighted", "target", "weighted", "difference"]
    # without targets: only the distribution of the weights
    plain = cx.weighting_report(sample, res.weights)
    assert plain.margins.empty and plain.n_eff == pytest.approx(a.n_eff, rel=1e-12)


def test_weighted_nps_uses_the_reports_effective_base(sample):
    res = cx.rake(sample, TARGETS, weights="design")
    rep = res.report()
    weighted = cx.nps(sample, weights=res.weights, min_base=0)
    assert weighted.n_eff == pytest.approx(rep.n_eff, rel=1e-12)
    assert weighted.n == len(sample) and rep.n_eff < len(sample)
    # and the NPS itself is the weighted one
    w = res.weights
    promoters = w[sample.ltr >= 9].sum() / w.sum()
    detractors = w[sample.ltr <= 6].sum() / w.sum()
    assert weighted.estimate == pytest.approx(100 * (promoters - detractors), abs=1e-9)


def test_weighting_report_needs_weights(sample):
    with pytest.raises(CXDataError, match=r"`weights` is required"):
        cx.weighting_report(sample, None)
