"""Style-adjusted country comparison (cxlib.segments.style_adjust): against statsmodels'
WLS with the HC0 sandwich and its Wald test (an independent computation), against Rocks'
(2016) NPS variance when unweighted, and against the planted truth of the synthetic data
(country response styles, no true country difference in experience)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import cxlib as cx
from cxlib.data.roles import SYNTHETIC_ROLES
from cxlib.errors import CXDataError

DRIVERS = SYNTHETIC_ROLES.columns("drivers")


def styled_frame(seed: int = 1, n: int = 600, true_gap: float = 0.0) -> pd.DataFrame:
    """Respondents in three countries: a latent experience, four 1-5 items and a 0-10
    score, answered through a country style (shift and spread, as in the synthetic
    generator); country C recommends more at the same experience by ``true_gap`` SD."""
    rng = np.random.default_rng(seed)
    country = rng.choice(["A", "B", "C"], size=n)
    shift = pd.Series({"A": 0.0, "B": 0.5, "C": -0.5})[country].to_numpy()
    spread = pd.Series({"A": 1.0, "B": 1.3, "C": 0.8})[country].to_numpy()
    latent = rng.normal(size=n)
    out = {"country": country, "weight": rng.uniform(0.5, 2.0, size=n)}
    for j in range(4):
        z = shift + spread * (0.8 * latent + rng.normal(scale=0.6, size=n))
        out[f"q{j}"] = np.digitize(z, [-1.3, -0.5, 0.4, 1.2]) + 1
    z = shift + spread * (0.9 * latent + rng.normal(scale=0.5, size=n) + np.where(country == "C", true_gap, 0.0))
    out["ltr"] = np.clip(np.round(7.3 + 1.8 * z), 0, 10).astype(int)
    return pd.DataFrame(out)


def oracle(df: pd.DataFrame, *, adjusted: bool, weights: bool):
    """statsmodels WLS, HC0, Wald chi-square of equal country intercepts."""
    x = df[["q0", "q1", "q2", "q3"]].to_numpy(float)
    y = np.where(df["ltr"] >= 9, 100.0, np.where(df["ltr"] <= 6, -100.0, 0.0))
    w = df["weight"].to_numpy() if weights else np.ones(len(df))
    design = pd.get_dummies(df["country"]).astype(float)
    if adjusted:
        for name, v in (("ers", ((x == 1) | (x == 5)).mean(1)), ("ars", (x > 3).mean(1)), ("drs", (x < 3).mean(1))):
            design[name] = v - np.average(v, weights=w)
    fit = sm.WLS(y, design, weights=w).fit(cov_type="HC0")
    wald = fit.wald_test("A = B, A = C", scalar=True, use_f=False)
    return fit, float(wald.statistic), float(wald.pvalue)


@pytest.mark.parametrize("weights", [False, True])
def test_estimates_intervals_and_tests_match_statsmodels(weights):
    df = styled_frame()
    res = cx.style_adjusted_comparison(df, items=["q0", "q1", "q2", "q3"], weights="weight" if weights else None,
                                       method="regression")
    z = 1.959963984540054
    for adjustment in ("raw", "adjusted"):
        fit, stat, p = oracle(df, adjusted=adjustment == "adjusted", weights=weights)
        t = res.table[res.table["adjustment"] == adjustment].set_index("country")
        np.testing.assert_allclose(t["estimate"], fit.params[["A", "B", "C"]], rtol=1e-10)
        np.testing.assert_allclose(t["std_err"], fit.bse[["A", "B", "C"]], rtol=1e-10)
        np.testing.assert_allclose(t["ci_low"], fit.params[["A", "B", "C"]] - z * fit.bse[["A", "B", "C"]], rtol=1e-9)
        test = res.tests.set_index("adjustment").loc[adjustment]
        assert test["statistic"] == pytest.approx(stat, rel=1e-9) and test["p_value"] == pytest.approx(p, rel=1e-8)
        assert test["df"] == 2 and test["groups"] == 3
    if adjustment == "adjusted":
        assert res.coefficients == pytest.approx(fit.params[["ers", "ars", "drs"]].to_dict(), rel=1e-9)


def test_raw_unweighted_is_nps_with_rocks_wald_variance():
    df = styled_frame(seed=3)
    res = cx.style_adjusted_comparison(df, items=["q0", "q1", "q2", "q3"])
    raw = res.table[res.table["adjustment"] == "raw"].set_index("country")
    for c, part in df.groupby("country"):
        p_p, p_d = (part["ltr"] >= 9).mean(), (part["ltr"] <= 6).mean()
        assert raw.loc[c, "estimate"] == pytest.approx(100 * (p_p - p_d), rel=1e-12)
        var = (p_p + p_d) - (p_p - p_d) ** 2  # Rocks (2016), per respondent on the -1..1 scale
        assert raw.loc[c, "std_err"] == pytest.approx(100 * np.sqrt(var / len(part)), rel=1e-10)
        assert raw.loc[c, "n"] == len(part)


def test_style_only_differences_vanish_and_a_difference_beyond_the_battery_stays():
    items = ["q0", "q1", "q2", "q3"]
    styled = cx.style_adjusted_comparison(styled_frame(seed=5, n=3000), items=items)
    tests = styled.tests.set_index("adjustment")["p_value"]
    assert tests["raw"] < 1e-6 and tests["adjusted"] > 0.05
    real = cx.style_adjusted_comparison(styled_frame(seed=5, n=3000, true_gap=0.8), items=items)
    assert real.tests.set_index("adjustment").loc["adjusted", "p_value"] < 1e-3


def test_synthetic_countries_differ_raw_but_not_after_the_style_adjustment(small_dataset):
    """Planted: country response styles, latent NPS equal across countries (data/README.md, item 8)."""
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey, roles=SYNTHETIC_ROLES)
    latest = survey[survey["quarter"] == survey["quarter"].max()]
    for data in (survey, latest):
        res = cx.style_adjusted_comparison(data, by="country", outcome="ltr", items=DRIVERS, weights="weight")
        t = res.tests.set_index("adjustment")
        assert bool(t.loc["raw", "significant"]) and t.loc["raw", "p_value"] < 0.01
        assert not bool(t.loc["adjusted", "significant"]) and t.loc["adjusted", "p_value"] > 0.1
        assert t.loc["raw", "groups"] == 6
    raw = res.table[res.table["adjustment"] == "raw"].set_index("country")["estimate"]
    adj = res.table[res.table["adjustment"] == "adjusted"].set_index("country")["estimate"]
    assert raw.max() - raw.min() > 2 * (adj.max() - adj.min())  # the spread shrinks
    assert res.ranking_changed and set(res.moved) <= set(raw.index)


def test_small_bases_use_the_effective_base_and_are_not_tested():
    df = styled_frame(seed=2, n=400)
    df.loc[df["country"] == "C", "weight"] = np.where(np.arange((df["country"] == "C").sum()) % 2, 0.2, 5.0)
    n_c = int((df["country"] == "C").sum())
    w = df.loc[df["country"] == "C", "weight"]
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    res = cx.style_adjusted_comparison(df, items=["q0", "q1", "q2", "q3"], weights="weight", min_base=100)
    c = res.table[(res.table["country"] == "C") & (res.table["adjustment"] == "raw")].iloc[0]
    assert c["n"] == n_c >= 100 and c["n_eff"] == pytest.approx(n_eff) and n_eff < 100 and c["small_base"]
    assert pd.isna(c["rank"]) and (res.tests["groups"] == 2).all()
    # raw: one contrast; ordinal adjustment: the loading uses up the only difference (not tested)
    assert res.tests["df"].tolist() == [1, 0] and pd.isna(res.tests["p_value"].iloc[1])


def test_style_column_and_errors():
    assert cx.style_column(SYNTHETIC_ROLES) == "country"

    class Roles:
        def columns(self, role):
            return ["tier", "lang"]

        def label(self, c):
            return {"lang": "Survey language"}.get(c, c)

    assert cx.style_column(Roles()) == "lang"
    df = styled_frame(n=50)
    with pytest.raises(CXDataError, match="`metric`"):
        cx.style_adjusted_comparison(df, items=["q0"], metric="median")
    with pytest.raises(CXDataError, match="at least 2"):
        cx.style_adjusted_comparison(df.assign(country="A"), items=["q0"])
    with pytest.raises(CXDataError, match="'ltr'"):
        cx.style_adjusted_comparison(df.assign(ltr=df["ltr"] + 5), items=["q0"])


def test_study_comparison_takes_outcome_battery_codes_and_weights_from_the_roles():
    """An imported study: other column names, a market segment, drivers with 0 = not
    applicable, a 0/1 satisfied outcome and no recommend question, no weights."""
    from cxlib.data.study import Scale

    df = styled_frame(seed=4, n=900).rename(columns={"country": "mkt", "q0": "seat", "q1": "cabin"})
    df.loc[::7, "seat"] = 0  # not applicable
    df["happy"] = (df["ltr"] >= 8).astype(int)

    class Roles:
        scales = {"seat": Scale(points=(1.0, 5.0), missing=(0.0,)), "cabin": Scale(points=(1.0, 5.0)),
                  "happy": Scale(points=(0.0, 1.0))}

        def columns(self, role):
            return {"segments": ["tier", "mkt"], "drivers": ["seat", "cabin"]}.get(role, [])

        def column(self, role, table="survey"):
            return {"satisfaction": "happy"}.get(role)

        def label(self, c):
            return {"mkt": "Home market"}.get(c, c)

        def points(self, c):
            s = self.scales.get(c)
            return None if s is None else s.points

        def scale(self, c):
            return self.scales.get(c)

    res = cx.study_style_comparison(df, Roles())
    assert (res.by, res.outcome, res.metric, res.weighted) == ("mkt", "happy", "mean", False)
    direct = cx.style_adjusted_comparison(df.assign(seat=df["seat"].replace(0, np.nan)), by="mkt", outcome="happy",
                                          items=["seat", "cabin"], metric="mean")
    pd.testing.assert_frame_equal(res.table, direct.table)
    raw = res.table[res.table["adjustment"] == "raw"].set_index("mkt")["estimate"]
    assert raw.to_dict() == pytest.approx(df.groupby("mkt")["happy"].mean().to_dict(), rel=1e-12)
