"""The battery-anchored ordinal style adjustment (``method="ordinal"`` of
cxlib.segments.style_adjust, model in cxlib.segments.style_ordinal): the fit against an
independently coded per-respondent likelihood (maximum, sandwich), the adjusted values
against their formula and a simulation of their sampling error, and the planted truth of
the synthetic data: no country difference in experience (the adjusted test holds its
size where the raw one rejects), and a planted recommend difference for one country (found,
and the adjusted NPS moves by about the planted amount)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from test_styles_adjust import styled_frame

import cxlib as cx
from cxlib.data.roles import SYNTHETIC_ROLES
from cxlib.data.synthetic import generator, parameters
from cxlib.data.synthetic.scales import _style
from cxlib.errors import CXDataError
from cxlib.segments.style_ordinal import fit_ordinal, ordinal_adjustment

ITEMS = ["q0", "q1", "q2", "q3"]
ITEMS_SYN = SYNTHETIC_ROLES.columns("drivers")
NPS_VALUES = np.array([-100.0, 0.0, 100.0])


GROUPS = ["A", "B", "C", "D"]


def styled4(seed: int, n: int) -> pd.DataFrame:
    """Four countries answering four 1-5 items and a 0-10 score through a style of their
    own (shift, and spread about a centre off the mean, as in the synthetic generator);
    no difference in experience."""
    rng = np.random.default_rng(seed)
    country = rng.choice(GROUPS, size=n)
    shift = pd.Series({"A": 0.0, "B": 0.5, "C": -0.5, "D": 0.2})[country].to_numpy()
    spread = pd.Series({"A": 1.0, "B": 1.3, "C": 0.8, "D": 0.9})[country].to_numpy()
    latent = rng.normal(size=n)
    out = {"country": country}
    for j in range(4):
        z = 0.3 + shift + spread * (0.8 * latent + rng.normal(scale=0.6, size=n) - 0.3)
        out[f"q{j}"] = np.digitize(z, [-1.3, -0.5, 0.4, 1.2]) + 1
    z = 0.3 + 0.8 * shift + spread * (0.9 * latent + rng.normal(scale=0.5, size=n) - 0.3)
    out["ltr"] = np.clip(np.round(7.3 + 1.8 * z), 0, 10).astype(int)
    return pd.DataFrame(out)


def coded(df: pd.DataFrame):
    """The model's inputs from a styled frame: answers as (respondent, item, category),
    the NPS group, the country code."""
    x = df[ITEMS].to_numpy(float)
    resp, item = np.nonzero(~np.isnan(x))
    cats = np.unique(x[resp, item])
    group = pd.Index(GROUPS).get_indexer(df["country"])
    nps = np.where(df["ltr"] >= 9, 2, np.where(df["ltr"] >= 7, 1, 0))
    return (resp, item, np.searchsorted(cats, x[resp, item])), nps, group, len(cats)


def brute_loglik(theta: np.ndarray, df: pd.DataFrame, ref: int, n_cats: int) -> np.ndarray:
    """Per-respondent log-likelihood written from the model's definition, respondent by item:
    P(y_ij <= k | c) = Φ(((κ_k − μ_c)/σ_c − α_j)/s_j), P(o <= m | c) = Φ((θ_m − a_c)/σ_c)."""
    k1, j1, g1 = n_cats - 1, len(ITEMS) - 1, len(GROUPS) - 1
    it = iter(np.split(theta, np.cumsum([k1, j1, j1, g1, g1, 2])))  # then a: g1 values
    kappa_free, alpha, log_s, mu, log_sig, thr_free, a = (next(it) for _ in range(7))

    def cuts(free):
        return np.concatenate([[-np.inf], free[0] + np.concatenate([[0.0], np.cumsum(np.exp(free[1:]))]), [np.inf]])

    others = [c for c in range(len(GROUPS)) if c != ref]
    full = {}
    for name, v in (("mu", mu), ("log_sig", log_sig), ("a", a)):
        full[name] = np.zeros(len(GROUPS))
        full[name][others] = v
    kap, thr = cuts(kappa_free), cuts(thr_free)
    alpha, s = np.concatenate([[0.0], alpha]), np.exp(np.concatenate([[0.0], log_s]))
    country = pd.Index(GROUPS).get_indexer(df["country"])
    mu_c, sig_c, a_c = full["mu"][country], np.exp(full["log_sig"][country]), full["a"][country]
    x = df[ITEMS].to_numpy(float)
    k = np.searchsorted(np.unique(x), x) + 1  # rating -> position among the cut points
    hi = ((kap[k] - mu_c[:, None]) / sig_c[:, None] - alpha) / s
    lo = ((kap[k - 1] - mu_c[:, None]) / sig_c[:, None] - alpha) / s
    out = np.log(stats.norm.cdf(hi) - stats.norm.cdf(lo)).sum(axis=1)
    m = 1 + np.where(df["ltr"] >= 9, 2, np.where(df["ltr"] >= 7, 1, 0))
    return out + np.log(stats.norm.cdf((thr[m] - a_c) / sig_c) - stats.norm.cdf((thr[m - 1] - a_c) / sig_c))


@pytest.fixture(scope="module")
def small():
    df = styled4(seed=8, n=400)
    battery, nps, group, n_cats = coded(df)
    ref = int(np.argmax(np.bincount(group)))
    fit = fit_ordinal(battery, nps, group, np.ones(len(df)), n_groups=4, n_items=4, n_cats=n_cats, n_out=3, ref=ref)
    return df, fit, ref, n_cats


def test_the_fit_is_the_maximum_of_the_brute_force_likelihood(small):
    df, fit, ref, n_cats = small
    total = lambda t: -brute_loglik(t, df, ref, n_cats).sum()
    assert -total(fit.theta) == pytest.approx(fit.loglik, rel=1e-10)
    other = optimize.minimize(total, fit.theta + 0.05, method="BFGS", options={"gtol": 1e-7})
    assert other.fun == pytest.approx(-fit.loglik, abs=1e-6)
    np.testing.assert_allclose(other.x, fit.theta, atol=2e-4)


def test_the_sandwich_matches_finite_differences_of_the_brute_force_likelihood(small):
    df, fit, ref, n_cats = small
    h = 1e-5
    eye = np.eye(len(fit.theta))
    scores = np.column_stack([(brute_loglik(fit.theta + h * e, df, ref, n_cats)
                               - brute_loglik(fit.theta - h * e, df, ref, n_cats)) / (2 * h) for e in eye])
    hess = np.column_stack([(scores_at(fit.theta + 1e-4 * e, df, ref, n_cats)
                             - scores_at(fit.theta - 1e-4 * e, df, ref, n_cats)) / 2e-4 for e in eye])
    bread = np.linalg.inv(-hess)
    cov = bread @ (scores.T @ scores) @ bread
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), np.sqrt(np.diag(cov)), rtol=1e-3)


def scores_at(theta, df, ref, n_cats, h=1e-5):
    """The total score (gradient of the brute-force log-likelihood)."""
    return np.array([(brute_loglik(theta + h * e, df, ref, n_cats).sum()
                      - brute_loglik(theta - h * e, df, ref, n_cats).sum()) / (2 * h) for e in np.eye(len(theta))])


@pytest.mark.parametrize("centre", [True, False])
def test_adjusted_values_follow_their_formula_and_their_errors_a_simulation(small, centre):
    df, fit, ref, _ = small
    share = np.bincount(pd.Index(GROUPS).get_indexer(df["country"])) / len(df)
    adj = ordinal_adjustment(fit, NPS_VALUES, np.arange(4), share, centre=centre)
    mu, log_sig, a = fit.get("mu"), fit.get("log_sigma"), fit.get("a")
    # the loading: the fixed point β = (Xᵀ W X)⁻¹ Xᵀ W a, X = [μ, 1 − σ], W the inverse
    # sandwich of g = a − X β, over the groups other than the reference
    others = [c for c in range(4) if c != ref]
    x = np.column_stack([mu, 1 - np.exp(log_sig)])[others, : 2 if centre else 1]
    sl = fit.layout.slices()
    jac = np.zeros((3, len(fit.theta)))
    jac[np.arange(3), sl["a"].start + np.arange(3)] = 1.0
    jac[np.arange(3), sl["mu"].start + np.arange(3)] = -adj.loading[0]
    if centre:
        jac[np.arange(3), sl["log_sigma"].start + np.arange(3)] = adj.loading[1] * np.exp(log_sig[others])
    w = np.linalg.inv(jac @ fit.cov @ jac.T)
    np.testing.assert_allclose(adj.loading, np.linalg.solve(x.T @ w @ x, x.T @ w @ a[others]), rtol=1e-8)
    g = a[others] - x @ adj.loading
    assert adj.statistic == pytest.approx(g @ w @ g, rel=1e-8) and adj.df == (1 if centre else 2)
    assert adj.p_value == pytest.approx(stats.chi2.sf(g @ w @ g, adj.df), rel=1e-8)
    # the adjusted NPS: the outcome at the average style, 100 (P(promoter) − P(detractor))
    lam, gam = adj.loading[0], (adj.loading[1] if centre else 0.0)
    cuts = fit.get("theta")[0] + np.concatenate([[0.0], np.exp(fit.get("theta")[1:])]).cumsum()
    mu_bar, sig_bar = share @ mu, np.exp(share @ log_sig)
    delta = (a - lam * mu - gam * (1 - np.exp(log_sig))) / np.exp(log_sig)
    z = (cuts[None, :] - lam * mu_bar - gam * (1 - sig_bar)) / sig_bar - delta[:, None]
    np.testing.assert_allclose(adj.estimate, 100 * (1 - stats.norm.cdf(z[:, 1]) - stats.norm.cdf(z[:, 0])), rtol=1e-9)
    np.testing.assert_allclose(adj.effect, delta, atol=1e-12)
    # delta-method standard errors against the spread of the values over parameter draws
    rng = np.random.default_rng(3)
    draws = []
    for t in rng.multivariate_normal(fit.theta, fit.cov, size=200):
        draws.append(ordinal_adjustment(type(fit)(t, fit.cov, fit.layout, fit.loglik, True), NPS_VALUES,
                                        np.arange(4), share, centre=centre).estimate)
    np.testing.assert_allclose(np.std(draws, axis=0), adj.std_err, rtol=0.2)


def test_scaling_the_weights_changes_nothing_and_weights_enter_the_fit():
    df = styled_frame(seed=9, n=600)
    a = cx.style_adjusted_comparison(df.assign(weight=1.0), items=ITEMS, weights="weight")
    b = cx.style_adjusted_comparison(df.assign(weight=3.0), items=ITEMS)
    cols = ["estimate", "std_err", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(a.table[cols], b.table[cols], rtol=1e-5)
    c = cx.style_adjusted_comparison(df, items=ITEMS, weights="weight")
    assert not np.allclose(c.table["estimate"], a.table["estimate"])
    assert c.adjustment == "ordinal" and "weighted heteroskedastic ordered probit" in c.method


def test_style_model_table_and_errors():
    df = styled_frame(seed=10, n=900)
    res = cx.style_adjusted_comparison(df, items=ITEMS)
    m = res.style_model.set_index("country")
    # the generator's styles: B answers higher and wider than A, C lower and narrower
    assert m.loc["B", "style_location"] > m.loc["A", "style_location"] > m.loc["C", "style_location"]
    assert m.loc["B", "style_scale"] > m.loc["A", "style_scale"] > m.loc["C", "style_scale"]
    assert m["reference"].sum() == 1 and set(res.coefficients) == {"loading"}
    with pytest.raises(CXDataError, match="`method`"):
        cx.style_adjusted_comparison(df, items=ITEMS, method="anchoring")
    with pytest.raises(CXDataError, match="battery has a single answer"):
        cx.style_adjusted_comparison(df.assign(q0=3, q1=3, q2=3, q3=3), items=ITEMS)


# --- planted truth: the synthetic generator -------------------------------------------------

def rejections(survey: pd.DataFrame) -> pd.DataFrame:
    """Per quarter, whether the raw and the adjusted test reject at 0.05."""
    rows = []
    survey, _ = cx.drop_duplicate_responses(survey, roles=SYNTHETIC_ROLES)  # as the notebooks do
    for q, wave in survey.groupby("quarter"):
        t = cx.study_style_comparison(wave, SYNTHETIC_ROLES).tests.set_index("adjustment")
        rows.append({"quarter": q, "raw": bool(t.loc["raw", "significant"]),
                     "adjusted": bool(t.loc["adjusted", "significant"]), "p_adjusted": t.loc["adjusted", "p_value"]})
    return pd.DataFrame(rows)


def test_no_planted_difference_the_adjusted_test_holds_its_size():
    """data/README.md item 8: country styles only, no difference in experience. Two seeds
    x 6 quarters of default-sized waves: at 0.05 about 0.6 false rejections are expected;
    the raw test rejects in every wave."""
    runs = pd.concat([rejections(cx.synthesize(seed=s, n_customers=20_000, quarters=6).survey) for s in (45, 46)])
    assert runs["raw"].sum() == 12
    assert runs["adjusted"].sum() <= 1, runs


def planted(seed: int, country: str, sd: float, **kw):
    """Synthetic data with a real recommend difference for one country: its latent ltr is
    shifted by ``sd`` latent SDs (2.4 points, generator's ltr SD) before the country style,
    everything else (drivers, every random draw) as without it."""
    original = generator._answers
    code = parameters.COUNTRIES.index(country)

    def answers(rng, st, c, tk, rr, resp_day):
        out = original(rng, st, c, tk, rr, resp_day)
        c_r = c.country[st.idx[rr]]
        lat = st.ltr_lat[rr] + sd * 2.4
        ltr = np.where((lat < parameters.LTR_ANGRY_BELOW) & st.angry_draw[rr], 0,
                       np.clip(np.rint(_style(lat, c_r, parameters.LTR_CENTRE, parameters.LTR_STYLE_SD)), 0, 10))
        out["ltr"] = np.where(c_r == code, ltr, out["ltr"])
        return out

    generator._answers = answers
    try:
        return cx.synthesize(seed, **kw)
    finally:
        generator._answers = original


def test_a_planted_recommend_difference_is_found_and_sized():
    kw = {"n_customers": 20_000, "quarters": 1}
    base = cx.synthesize(44, **kw).survey
    shifted = planted(44, "GB", 0.5, **kw).survey
    assert (base["ltr"] != shifted["ltr"]).any() and base[ITEMS_SYN].equals(shifted[ITEMS_SYN])
    before, after = (cx.study_style_comparison(cx.drop_duplicate_responses(s, roles=SYNTHETIC_ROLES)[0],
                                               SYNTHETIC_ROLES) for s in (base, shifted))
    assert after.tests.set_index("adjustment").loc["adjusted", "p_value"] < 1e-4
    assert abs(before.style_model.set_index("country").loc["GB", "effect"]) < 0.15
    est = {k: r.table.set_index(["adjustment", "country"])["estimate"] for k, r in (("b", before), ("a", after))}
    moved = est["a"]["adjusted"] - est["b"]["adjusted"]
    planted_raw = est["a"]["raw"]["GB"] - est["b"]["raw"]["GB"]  # GB's style is close to the average
    assert planted_raw > 15
    assert moved["GB"] == pytest.approx(planted_raw, rel=0.3)
    assert moved.drop("GB").abs().max() < 0.25 * planted_raw
    effect = after.style_model.set_index("country")["effect"]
    assert effect["GB"] == pytest.approx(0.5, abs=0.2)

