"""Tests for revenue at risk conditional on tenure (cxlib.value.revenue) and the fast Cox
refits of its bootstrap (cxlib.value.cox_resample).

References: lifelines' ``CoxPHFitter.predict_survival_function(..., conditional_after=t)``
(``1 - S(t + h) / S(t)``), statsmodels' ``PHReg`` with the Breslow baseline written out,
lifelines refits on the duplicated rows of a resample, and the figures the unconditional
path gave before this change (pinned below; computed with cxlib at commit 7d8ebb7).
"""

from __future__ import annotations

import numpy as np
import pytest
from churn_data import cox_data as make_cox_data

from cxlib.churn.models import churn_drivers
from cxlib.errors import CXDataError
from cxlib.value.cox_resample import (
    breslow,
    cox_fit_data,
    efron_derivatives,
    efron_newton,
    step_at,
)
from cxlib.value.revenue import revenue_at_risk


@pytest.fixture(scope="module")
def tied():
    """Integer months (ties): every tenure and tenure + horizon used below is a duration of
    the data, where lifelines' linear interpolation of H_0 equals the step function."""
    d = make_cox_data(n=400, seed=7, ties=True)
    return d, churn_drivers(d, covariates=["nps_group", "osat"], horizon=None)


def _per_customer(res, d, h):
    """p_i recovered from a by-customer table: estimate = p_i · revenue_i · h."""
    t = res.table[res.table["customer_id"] != "(all)"].set_index("customer_id")  # without the total row
    rev = d.set_index("customer_id")["monthly_revenue"]
    return (t["estimate"] / (rev.loc[t.index] * h)).to_numpy(), t.index.to_numpy()


def test_conditional_matches_lifelines_conditional_after(tied):
    d, fit = tied
    h = 6.0
    tau = float(fit.model.durations.max())
    active = d[d["event"] == 0]
    knots = set(fit.model.baseline_cumulative_hazard_.index)
    inside = active[(active["duration"] + h <= tau) & active["duration"].isin(knots)
                    & (active["duration"] + h).isin(knots)]
    assert len(inside) > 0.9 * (active["duration"] + h <= tau).sum()  # the premise above holds for most
    res = revenue_at_risk(inside, model=fit, by="customer_id", horizon=h, n_boot=0, move=None)
    p, ids = _per_customer(res, d, h)
    rows = d.set_index("customer_id").loc[ids]
    surv = fit.model.predict_survival_function(fit.design(rows).reset_index(drop=True), times=[h],
                                               conditional_after=rows["duration"].to_numpy())
    np.testing.assert_allclose(p, 1 - surv.to_numpy()[0], rtol=1e-12, atol=1e-15)
    assert res.conditional is True and res.tenure == "duration" and res.n_beyond_follow_up == 0
    assert "1 - S(t + h)/S(t)" in res.assumptions and "conditional on 'duration'" in res.table["method"].iloc[0]
    # the conditional form differs from the unconditional one (an older customer's next 6 months)
    uncond = revenue_at_risk(inside, model=fit, by="customer_id", horizon=h, n_boot=0, move=None, conditional=False)
    surv0 = fit.model.predict_survival_function(fit.design(rows).reset_index(drop=True), times=[h])
    np.testing.assert_allclose(_per_customer(uncond, d, h)[0], 1 - surv0.to_numpy()[0], rtol=1e-12)
    assert np.abs(p - _per_customer(uncond, d, h)[0]).max() > 1e-3


def test_window_passing_the_follow_up_is_moved_back(tied):
    d, fit = tied
    h = 6.0
    tau = float(fit.model.durations.max())
    active = d[d["event"] == 0]
    beyond = active[active["duration"] + h > tau]
    assert len(beyond) > 0
    res = revenue_at_risk(active, model=fit, by="customer_id", horizon=h, n_boot=0, move=None)
    assert res.n_beyond_follow_up == len(beyond)
    assert f"moved back to end at the longest follow-up for {len(beyond)} row(s)" in res.table["method"].iloc[0]
    p, ids = _per_customer(res, d, h)
    rows = d.set_index("customer_id").loc[ids]
    start = np.minimum(rows["duration"].to_numpy(), tau - h)  # lifelines evaluated on (τ - h, τ] for them
    surv = fit.model.predict_survival_function(fit.design(rows).reset_index(drop=True), times=[h],
                                               conditional_after=start)
    np.testing.assert_allclose(p, 1 - surv.to_numpy()[0], rtol=1e-12, atol=1e-15)


def test_conditional_matches_statsmodels_with_breslow_by_hand():
    import statsmodels.api as sm

    d = make_cox_data(n=300, seed=11, ties=False)
    fit = churn_drivers(d, covariates=["nps_group", "osat"], horizon=None)
    active = d[d["event"] == 0]
    res = revenue_at_risk(active, model=fit, by="nps_group", horizon=12, n_boot=0)
    # oracle: PHReg's coefficients; H0(s) = Σ_{event times t_j <= s} 1 / Σ_{T_i >= t_j} exp(x_i'b)
    # (no ties); p = 1 - exp(-[H0(t + 12) - H0(t)] exp(x'b)), the window moved back to end at τ
    X = fit.design(d)
    ref = sm.PHReg(d["duration"], X, status=d["event"]).fit()
    risk = np.exp(X.to_numpy() @ ref.params)
    T_, E_ = d["duration"].to_numpy(), d["event"].to_numpy()
    H0 = lambda s: sum(1 / risk[T_ >= tj].sum() for tj in T_[(E_ == 1) & (T_ <= s)])
    tau = T_.max()
    loss = {}
    for _, row in active.iterrows():
        t = min(row["duration"], tau - 12)
        xb = fit.design(row.to_frame().T.astype({"osat": float})).to_numpy()[0] @ ref.params
        p = 1 - np.exp(-(H0(t + 12) - H0(t)) * np.exp(xb))
        loss[row["nps_group"]] = loss.get(row["nps_group"], 0.0) + p * row["monthly_revenue"] * 12
    got = res.table[res.table["quantity"] == "revenue_at_risk"].set_index("nps_group")["estimate"]
    for g in ["promoter", "passive", "detractor"]:
        # PHReg and lifelines stop at slightly different coefficients (as in test_value.py)
        assert got[g] == pytest.approx(loss[g], rel=1e-4)


def test_unconditional_path_unchanged():
    """Pinned: what revenue_at_risk gave before conditional became the default (cxlib
    7d8ebb7, lifelines refits), with ``conditional=False``."""
    d = make_cox_data(n=300, seed=11)
    fit = churn_drivers(d, covariates=["nps_group", "osat"], horizon=None)
    before = [[14711.63551202116, 1391.6101019592068, 13203.701821141243, 16723.562360996442],
              [515.8777539045642, 240.19074895261755, 250.63078109818946, 946.3884901613086]]
    cols = ["estimate", "std_err", "ci_low", "ci_high"]
    kw = {"model": fit, "fit_data": d, "horizon": 12, "n_boot": 10, "seed": 3, "conditional": False}
    same = revenue_at_risk(d[d["event"] == 0], refit="lifelines", **kw)
    np.testing.assert_allclose(same.table[cols].to_numpy(), before, rtol=1e-12)
    # the Newton refits: the point estimates exactly, the bootstrap figures to lifelines'
    # stopping tolerance (see test_newton_bootstrap_matches_lifelines_refits)
    fast = revenue_at_risk(d[d["event"] == 0], **kw)
    np.testing.assert_allclose(fast.table["estimate"], np.array(before)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(fast.table[cols].to_numpy(), before, rtol=1e-5)


def test_newton_bootstrap_matches_lifelines_refits():
    """Realistic set-up (notebook 03): model fitted on 2,000 customers with 3 plans, applied to
    the active ones, by plan × NPS group, the fit data resampled independently.

    Both refits maximise the same Efron likelihood; the Newton estimate has a gradient of
    ~1e-14, lifelines' refit stops earlier (its log-likelihood criterion; gradients up to
    ~1e-4, coefficients within ~1e-6). Measured max difference over the 20 rows × 4
    figures: 5.4e-7 (revenue units; figures of 1e2–1e5), i.e. < 1e-8 relative. Tolerance
    1e-6 relative: 100× the observed, while one resample refitted differently would move
    an interval end by > 1e-3.
    """
    d = make_cox_data(n=2000, seed=21)
    d["plan"] = np.random.default_rng(99).choice(["basic", "standard", "premium"], len(d), p=[0.5, 0.3, 0.2])
    fit = churn_drivers(d, covariates=["nps_group", "plan", "osat"], horizon=None, reference={"plan": "standard"})
    kw = {"model": fit, "fit_data": d, "by": ["plan", "nps_group"], "horizon": 12, "n_boot": 12, "seed": 1}
    fast = revenue_at_risk(d[d["event"] == 0], **kw).table
    slow = revenue_at_risk(d[d["event"] == 0], refit="lifelines", **kw).table
    cols = ["estimate", "std_err", "ci_low", "ci_high"]
    a, b = fast[cols].to_numpy(), slow[cols].to_numpy()
    assert np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)) < 1e-6
    assert "Newton" in fast["method"].iloc[0] and "lifelines" in slow["method"].iloc[0]
    assert (fast["ci_high"] > fast["ci_low"]).any()


def test_tenure_column_checks(tied):
    d, fit = tied
    active = d[d["event"] == 0]
    with pytest.raises(CXDataError, match=r"column 'duration'.*which `table` lacks.*`tenure=`.*conditional=False"):
        revenue_at_risk(active.drop(columns="duration"), model=fit, n_boot=0)
    # unconditional needs no tenure; a named tenure column is used instead of the duration
    revenue_at_risk(active.drop(columns="duration"), model=fit, n_boot=0, conditional=False)
    a = revenue_at_risk(active.assign(months=active["duration"]).drop(columns="duration"), model=fit,
                        tenure="months", n_boot=0, move=None)
    b = revenue_at_risk(active, model=fit, n_boot=0, move=None)
    assert a.table["estimate"].iloc[0] == pytest.approx(b.table["estimate"].iloc[0], rel=1e-15)
    with pytest.raises(CXDataError, match=r"'duration' \(time already stayed\) has 1 non-numeric, negative"):
        revenue_at_risk(active.assign(duration=lambda f: f["duration"].where(f.index != f.index[0], -1.0)),
                        model=fit, n_boot=0)
    with pytest.raises(CXDataError, match=r"lack column\(s\) \['event'\]; pass that table as `fit_data=`"):
        revenue_at_risk(active.drop(columns="event"), model=fit, n_boot=2)
    with pytest.raises(CXDataError, match="refit"):
        revenue_at_risk(active, model=fit, n_boot=2, refit="exact")


# ----------------------------------------------------------------------------- Cox refits
@pytest.fixture(scope="module")
def resample():
    d = make_cox_data(n=500, seed=5)
    fit = churn_drivers(d, covariates=["nps_group", "osat"], horizon=None)
    X = fit.design(d)
    rows = np.random.default_rng(8).integers(0, len(d), len(d))
    w = np.random.default_rng(9).uniform(0.5, 2.0, len(d))
    return d, fit, X, rows, w


@pytest.mark.filterwarnings("ignore:It appears your weights are not integers")
@pytest.mark.parametrize("weighted", [False, True])
def test_newton_refit_equals_lifelines_on_the_duplicated_rows(resample, weighted):
    from lifelines import CoxPHFitter

    d, fit, X, rows, w = resample
    names = list(X.columns)
    fd = cox_fit_data(X.to_numpy(), d["duration"].to_numpy(), d["event"].to_numpy(), w if weighted else None,
                      fit.model.params_[names].to_numpy())
    counts = np.bincount(rows, minlength=len(d))
    beta, steps = efron_newton(fd, counts)
    dup = X.iloc[rows].assign(T=d["duration"].to_numpy()[rows], E=d["event"].to_numpy()[rows],
                              W=w[rows]).reset_index(drop=True)
    cph = CoxPHFitter().fit(dup if weighted else dup.drop(columns="W"), "T", "E",
                            weights_col="W" if weighted else None, fit_options={"precision": 1e-12, "max_steps": 200})
    theirs = cph.params_[names].to_numpy()
    # the same likelihood: ours at lifelines' estimate is lifelines' maximised log-likelihood
    assert efron_derivatives(fd, counts, theirs)[0] == pytest.approx(cph.log_likelihood_, rel=1e-12)
    # lifelines stops when the log-likelihood changes by < 1e-9 relative (R's rule), so its
    # estimate is within ~1e-8 of the optimum; ours has a gradient of ~1e-12 and a likelihood
    # at least as high
    np.testing.assert_allclose(beta, theirs, rtol=1e-7, atol=1e-8)
    ll, grad, _ = efron_derivatives(fd, counts, beta)
    assert np.abs(grad).max() < 1e-9 and ll >= cph.log_likelihood_ - 1e-9
    assert 2 <= steps <= 6
    # Breslow's cumulative baseline x the partial hazard, as lifelines' (which centres at the resample's mean)
    times, cum = breslow(fd, counts, beta)
    ref = cph.baseline_cumulative_hazard_.iloc[:, 0]
    x0 = X.to_numpy()[:3]
    mine = step_at(times, cum, ref.index.to_numpy())[:, None] * np.exp((x0 - fd.center) @ beta)
    theirs = ref.to_numpy()[:, None] * cph.predict_partial_hazard(X.iloc[:3]).to_numpy()
    np.testing.assert_allclose(mine, theirs, rtol=1e-8)


def test_efron_derivatives_match_lifelines_likelihood_and_numeric_derivatives(resample):
    d, fit, X, rows, _ = resample
    names = list(X.columns)
    beta = fit.model.params_[names].to_numpy()
    fd = cox_fit_data(X.to_numpy(), d["duration"].to_numpy(), d["event"].to_numpy(), None, beta)
    ones = np.ones(len(d))
    ll, grad, hess = efron_derivatives(fd, ones, beta)
    assert ll == pytest.approx(fit.model.log_likelihood_, rel=1e-12)
    counts = np.bincount(rows, minlength=len(d))
    b = beta + 0.05
    ll, grad, hess = efron_derivatives(fd, counts, b)
    eps = 1e-5
    for k in range(len(b)):
        e = np.zeros(len(b))
        e[k] = eps
        up, down = efron_derivatives(fd, counts, b + e), efron_derivatives(fd, counts, b - e)
        assert grad[k] == pytest.approx((up[0] - down[0]) / (2 * eps), rel=1e-6)
        np.testing.assert_allclose(hess[:, k], (up[1] - down[1]) / (2 * eps), rtol=1e-6, atol=1e-6)


def test_newton_refit_gives_up_on_a_term_that_does_not_vary(resample):
    d, fit, X, _, _ = resample
    names = list(X.columns)
    fd = cox_fit_data(X.to_numpy(), d["duration"].to_numpy(), d["event"].to_numpy(), None,
                      fit.model.params_[names].to_numpy())
    counts = (d["nps_group"] != "detractor").to_numpy().astype(int)  # no detractor drawn
    assert efron_newton(fd, counts) == (None, 0)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ties", [True, False])
def test_pattern_sums_equal_the_row_sums(weighted, ties):
    """Few distinct design rows: the risk-set sums formed per pattern and event duration give
    the row-by-row likelihood, derivatives, Newton estimate and Breslow baseline (1e-12)."""
    import dataclasses

    from cxlib.value.cox_resample import (
        MAX_PATTERNS,
        _grouped_derivatives,
        _grouped_terms,
    )

    d = make_cox_data(n=600, seed=11, ties=ties)
    fit = churn_drivers(d, covariates=["nps_group", "osat"], horizon=None)
    X = fit.design(d)
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(d)) if weighted else None
    fd = cox_fit_data(X.to_numpy(), d["duration"].to_numpy(), d["event"].to_numpy(), w,
                      fit.model.params_[list(X.columns)].to_numpy())
    assert fd.grouped is not None and len(fd.grouped.x) == 15  # 3 groups x 5 osat points
    by_row = dataclasses.replace(fd, grouped=None)
    counts = np.bincount(np.random.default_rng(4).integers(0, len(d), len(d)), minlength=len(d))
    b = fd.beta + 0.05
    mine, theirs = _grouped_derivatives(fd, _grouped_terms(fd, counts), b), efron_derivatives(by_row, counts, b)
    assert mine[0] == pytest.approx(theirs[0], rel=1e-13)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-12)
    (beta, _), (ref, _) = efron_newton(fd, counts), efron_newton(by_row, counts)
    np.testing.assert_allclose(beta, ref, rtol=1e-12)
    at = np.unique(d["duration"].to_numpy())
    np.testing.assert_allclose(step_at(*breslow(fd, counts, beta), at), step_at(*breslow(by_row, counts, beta), at),
                               rtol=1e-12)
    # the same refusal (no detractor drawn) on either path
    none = (d["nps_group"] != "detractor").to_numpy().astype(int)
    assert efron_newton(fd, none) == efron_newton(by_row, none) == (None, 0)
    # a continuous covariate: more patterns than MAX_PATTERNS, sums over rows
    cont = cox_fit_data(np.c_[X.to_numpy(), np.linspace(0, 1, len(d))], d["duration"].to_numpy(),
                        d["event"].to_numpy(), None, np.r_[fd.beta, 0.0])
    assert len(d) > MAX_PATTERNS and cont.grouped is None
