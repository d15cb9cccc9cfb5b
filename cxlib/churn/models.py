"""Churn-driver models: Cox proportional hazards (fixed or time-varying covariates) and a
logistic model of churn within a horizon as the cruder alternative.

lifelines fits the Cox models and statsmodels the logistic one; the fitted objects stay one
attribute away (``result.model``, ``result.logit``) next to tidy ratio tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import check_columns, check_confidence_level, resolve_weights
from ..core.inference import normal_quantile
from ..errors import CXDataError
from .diagnostics import (
    check_design,
    check_levels,
    fit_quietly,
    not_estimable,
    ph_warnings,
    readable_covariates,
)
from .tables import as_frame, durations_events

#: Fit options shared by every Cox fit (tight convergence: results are compared to 1e-9).
_COX_FIT_OPTIONS = {"precision": 1e-10, "max_steps": 100}


def _levels(df: pd.DataFrame, covariates: Sequence[str], reference: dict | None) -> dict:
    """Categorical covariates -> [reference, other levels...]."""
    reference = dict(reference or {})
    unknown = [k for k in reference if k not in covariates]
    if unknown:
        raise CXDataError(f"`reference` names {unknown} which are not in `covariates` {list(covariates)}")
    levels = {}
    for c in covariates:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            lv = [x for x in s.cat.categories if (s == x).any()]
        elif s.dtype == object or pd.api.types.is_string_dtype(s) or s.dtype == bool:
            lv = sorted(pd.unique(s.dropna()), key=str)
        else:
            if c in reference:
                raise CXDataError(f"`reference` given for {c!r}, which is numeric, not categorical")
            continue
        check_levels(c, lv, len(df))
        if c in reference:
            if reference[c] not in lv:
                raise CXDataError(f"`reference`={reference[c]!r} is not a level of {c!r}; levels: {lv}")
            lv = [reference[c]] + [x for x in lv if x != reference[c]]
        levels[c] = lv
    return levels


def _design(df: pd.DataFrame, covariates: Sequence[str], levels: dict) -> pd.DataFrame:
    """Numeric design matrix; categorical columns become ``col[level]`` indicators."""
    cols = {}
    for c in covariates:
        if c in levels:
            s = df[c]
            extra = set(pd.unique(s.dropna())) - set(levels[c])
            if extra:
                raise CXDataError(
                    f"column {c!r} has level(s) {sorted(extra, key=str)} unseen when the model was fitted"
                )
            for lv in levels[c][1:]:
                cols[f"{c}[{lv}]"] = (s == lv).astype(float).to_numpy()
        else:
            v = df[c]
            if v.dtype == bool:
                v = v.astype(float)
            cols[c] = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(cols, index=df.index)


@dataclass(frozen=True)
class ChurnDriversResult:
    """Cox (and logistic) churn-driver models (see :func:`churn_drivers`).

    Attributes
    ----------
    hazard_ratios : pandas.DataFrame
        term, coef, std_err (of ``coef``), hazard_ratio, estimate (= hazard_ratio), ci_low,
        ci_high, n (rows of the model), p_value, confidence_level.
    ph_test : pandas.DataFrame
        term, statistic, p_value, p_adjusted (Benjamini–Hochberg across the terms):
        Schoenfeld-residual test of proportional hazards per term (empty for the
        time-varying model, for which lifelines has no such test).
    odds_ratios : pandas.DataFrame or None
        term, coef, std_err, odds_ratio, estimate (= odds_ratio), ci_low, ci_high, n (rows
        with a known outcome), p_value, confidence_level of the logistic model of churn
        within ``horizon``; ``None`` when not fitted.
    model : lifelines.CoxPHFitter or lifelines.CoxTimeVaryingFitter
    logit : statsmodels results or None
    n, n_events, n_dropped : int
        Rows used by the Cox model, churn events among them, rows dropped for missing
        values.
    n_logit, n_logit_censored_excluded : int
        Rows of the logistic model and rows excluded from it because they were censored
        before ``horizon`` (their outcome is unknown).
    spec : dict
        What was fitted (columns, categorical levels, reference levels, horizon, text
        columns read as numbers).
    confidence_level : float
    method : str
    warnings : tuple of ModelWarning
        Plain sentences (``str``; each also records its ``model``, ``term`` and ``kind``,
        see :class:`~cxlib.churn.diagnostics.ModelWarning`) on conditions a reader of
        the numbers must know: an interval that cannot be estimated (perfect or
        quasi-separation: that term's ``ci_low``, ``ci_high`` and ``p_value`` are
        missing) and a hazard ratio that changes over time (proportional-hazards test
        significant after Benjamini–Hochberg across the terms). Empty when all is well.
        The fitters' own warnings are caught, not printed.
    """

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    odds_ratios: pd.DataFrame | None
    model: Any = dataclasses.field(repr=False, compare=False)
    logit: Any = dataclasses.field(repr=False, compare=False)
    n: int = 0
    n_events: int = 0
    n_dropped: int = 0
    n_logit: int = 0
    n_logit_censored_excluded: int = 0
    spec: dict = dataclasses.field(default_factory=dict, compare=False)
    confidence_level: float = 0.95
    method: str = ""
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The hazard-ratio table."""
        return self.hazard_ratios.copy()

    def design(self, data: Any) -> pd.DataFrame:
        """The model's design matrix for new rows (same coding as the fit)."""
        return _design(as_frame(data), self.spec["covariates"], self.spec["levels"])


def _prepare(df, duration, event, covariates, start, id_col, weights):
    """The complete rows (every row's duration and event checked first), the number of
    rows dropped, and the text covariates read as numbers."""
    cols = [duration, event, *covariates] + [c for c in (start, id_col) if c is not None]
    if isinstance(weights, str):
        cols.append(weights)
    check_columns(df, cols, argument="duration/event/covariates")
    durations_events(df, duration, event)
    df, converted = readable_covariates(df, covariates)
    keep = df[cols].notna().all(axis=1)
    return df.loc[keep], int((~keep).sum()), converted


def _ratio_table(names, coef, se, level: float, ratio_name: str, n: int) -> pd.DataFrame:
    """Exponentiated coefficients with Wald intervals ``exp(b ± z·SE)`` and two-sided p-values."""
    z = normal_quantile(level)
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # separation: see not_estimable
        ratio = np.exp(coef)
        return pd.DataFrame(
            {
                "term": list(names),
                "coef": coef,
                "std_err": se,
                ratio_name: ratio,
                "estimate": ratio,
                "ci_low": np.exp(coef - z * se),
                "ci_high": np.exp(coef + z * se),
                "n": int(n),
                "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
                "confidence_level": level,
            }
        )


def _fit_frame(d, duration, event, covariates, levels, weights) -> pd.DataFrame:
    """Design matrix plus ``__duration``, ``__event`` (and ``__weight``) for lifelines."""
    fit_df = _design(d, covariates, levels)
    t, e = durations_events(d, duration, event)
    fit_df["__duration"] = t
    fit_df["__event"] = e
    w = resolve_weights(d, weights, len(d))
    if w is not None:
        fit_df["__weight"] = w
    return fit_df


def _converged(fit, what: str, names: list[str]):
    """``fit()``, with a failure to converge reported as a CXDataError naming the terms."""
    from lifelines.exceptions import ConvergenceError
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    try:
        return fit()
    except (ConvergenceError, PerfectSeparationError, np.linalg.LinAlgError) as err:
        cause = str(err).split(". ")[0].strip()
        raise CXDataError(
            f"{what} did not converge with the terms {names} ({cause}); look for a term that (nearly) separates "
            "churners from the others or nearly repeats another, and drop or group it"
        ) from None


def _fit_time_varying(d, *, duration, event, start, id_col, covariates, levels, weights, level, robust):
    """lifelines' CoxTimeVaryingFitter on start/stop rows; returns (fitter, ratio table, warnings)."""
    from lifelines import CoxTimeVaryingFitter

    t, e = durations_events(d, duration, event)
    s0 = pd.to_numeric(d[start], errors="coerce").to_numpy(dtype=float)
    bad = s0 >= t
    if bad.any():
        raise CXDataError(
            f"column {start!r} is not before {duration!r} in {int(bad.sum())} row(s); "
            "intervals need start < stop"
        )
    fit_df = _design(d, covariates, levels)
    names = list(fit_df.columns)
    check_design(fit_df, what="the time-varying Cox model")
    fit_df["__id"] = d[id_col].to_numpy()
    fit_df["__start"] = s0
    fit_df["__stop"] = t
    fit_df["__event"] = e
    w = resolve_weights(d, weights, len(d))
    if w is not None:
        fit_df["__weight"] = w
    ctv = CoxTimeVaryingFitter(alpha=1 - level)
    with fit_quietly() as caught:
        _converged(lambda: ctv.fit(
            fit_df, event_col="__event", start_col="__start", stop_col="__stop", id_col="__id",
            weights_col="__weight" if "__weight" in fit_df else None, robust=robust,
            fit_options=_COX_FIT_OPTIONS,
        ), "the time-varying Cox model", names)
    hr = _ratio_table(names, ctv.params_.to_numpy(), ctv.standard_errors_.to_numpy(), level, "hazard_ratio", len(d))
    hr, notes = not_estimable(hr, fit_df[names], ratio_name="hazard_ratio", model="time-varying Cox model",
                              caught=caught)
    return ctv, hr, notes


def _fit_proportional_hazards(fit_df: pd.DataFrame, names: list[str], level: float, robust: bool):
    """lifelines' CoxPHFitter (Efron ties) and its Schoenfeld-residual test (rank time).

    Returns the fitter, the hazard-ratio table, the PH-test table and the warnings.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    check_design(fit_df[names], what="the Cox model")
    cph = CoxPHFitter(alpha=1 - level)
    with fit_quietly() as caught:
        _converged(lambda: cph.fit(
            fit_df, duration_col="__duration", event_col="__event",
            weights_col="__weight" if "__weight" in fit_df else None, robust=robust,
            fit_options=_COX_FIT_OPTIONS,
        ), "the Cox model", names)
        ph = proportional_hazard_test(cph, fit_df, time_transform="rank").summary.reset_index()
    ph = pd.DataFrame(
        {"term": ph.iloc[:, 0].astype(str), "statistic": ph["test_statistic"].to_numpy(), "p_value": ph["p"].to_numpy()}
    )
    hr = _ratio_table(names, cph.params_[names].to_numpy(), cph.standard_errors_[names].to_numpy(), level,
                      "hazard_ratio", len(fit_df))
    hr, notes = not_estimable(hr, fit_df[names], ratio_name="hazard_ratio", model="Cox model", caught=caught)
    ph, ph_notes = ph_warnings(ph, level)
    return cph, hr, ph, notes + ph_notes


def _fit_logit(fit_df: pd.DataFrame, names: list[str], horizon: float, level: float):
    """Logistic model of churn within ``horizon`` on rows whose outcome is known.

    Returns (statsmodels results, odds-ratio table, rows used, rows censored before
    horizon, warnings).
    """
    import statsmodels.api as sm

    t, e = fit_df["__duration"].to_numpy(), fit_df["__event"].to_numpy()
    y = np.where((e == 1) & (t <= horizon), 1.0, 0.0)
    known = ~((e == 0) & (t < horizon))
    yl = y[known]
    if len(np.unique(yl)) < 2:
        raise CXDataError(
            f"no variation in churn within horizon={horizon} among {int(known.sum())} rows with a known "
            "outcome; choose another `horizon` or pass horizon=None"
        )
    what = f"the logistic model of churn within {horizon:g} ({int(known.sum())} rows with a known outcome)"
    check_design(fit_df.loc[known, names], what=what)
    Xl = sm.add_constant(fit_df.loc[known, names], has_constant="add")
    with fit_quietly() as caught:
        if "__weight" in fit_df.columns:
            model = sm.GLM(yl, Xl, family=sm.families.Binomial(), var_weights=fit_df.loc[known, "__weight"])
            logit = _converged(lambda: model.fit(cov_type="HC0"), what, names)
        else:
            logit = _converged(lambda: sm.Logit(yl, Xl).fit(disp=0), what, names)
    n_known = int(known.sum())
    odds = _ratio_table(names, logit.params[names].to_numpy(), logit.bse[names].to_numpy(), level, "odds_ratio",
                        n_known)
    odds, notes = not_estimable(odds, fit_df.loc[known, names], ratio_name="odds_ratio",
                                model=f"logistic model of churn within {horizon:g}", caught=caught)
    return logit, odds, n_known, int((~known).sum()), notes


def churn_drivers(
    table: Any,
    *,
    duration: str = "duration",
    event: str = "event",
    covariates: Sequence[str],
    reference: dict | None = None,
    start: str | None = None,
    id_col: str = "customer_id",
    weights: str | None = None,
    horizon: float | None = 12.0,
    robust: bool = False,
    confidence_level: float = 0.95,
) -> ChurnDriversResult:
    """Cox proportional-hazards model of churn on CX measures, with a logistic alternative.

    Parameters
    ----------
    table : pandas.DataFrame or ChurnTable
        From :func:`~cxlib.churn.tables.churn_table` (one row per customer or response) or
        :func:`~cxlib.churn.tables.churn_spells` (start/stop rows).
    duration : str
        Time to churn or censoring; with ``start`` given, the spell's stop time.
    event : str
        1 = churned, 0 = censored.
    covariates : sequence of str
        CX measures (e.g. ``nps_group``, ``osat``, ``ces``, ``recent_negative``,
        ``reopened_tickets``) and controls (``tenure``, ``plan``, ``monthly_revenue``).
        Text/categorical columns are coded as indicators ``col[level]`` against a
        reference level; a text column whose every non-empty value is a number is read
        as numbers instead (``spec["read_as_numbers"]``, and ``method`` says so). A text
        column with more than 50 levels is refused before anything is fitted.
    reference : dict, optional
        Reference level per categorical covariate; default: the first category of a
        Categorical (promoter for ``nps_group`` from ``churn_table``), otherwise the
        first level in sorted order.
    start : str, optional
        Spell start column: fits lifelines' ``CoxTimeVaryingFitter`` on start/stop
        rows (``id_col`` identifies the customer). No PH test or logistic model then.
    id_col : str
        Customer id for the time-varying model.
    weights : str, optional
        Case-weight column (use ``robust=True`` for sandwich standard errors).
    horizon : float or None
        Fit a logistic model of churn within ``horizon`` (in the table's time unit);
        ``None`` skips it.
    robust : bool
        Sandwich (Lin-Wei) standard errors in the Cox model.
    confidence_level : float

    Returns
    -------
    ChurnDriversResult
        ``hazard_ratios``, ``ph_test``, ``odds_ratios``, the fitted ``model`` /
        ``logit`` objects and ``warnings`` (plain sentences: separation, changing hazard
        ratios).

    Raises
    ------
    CXDataError
        Before anything is fitted: missing columns, negative or non-numeric durations,
        events not 0/1 (e.g. "Yes"/"No"), no churn events, a covariate that does not vary
        (or a categorical one with a single level), perfectly collinear covariates, a
        text covariate with more than 50 levels, unknown reference levels. A fit that
        still does not converge is reported the same way, naming the terms.

    Notes
    -----
    Cox model ``h_i(t) = h_0(t) exp(x_iᵀβ)``, fitted by lifelines with Efron's method for
    tied event times; hazard ratio ``exp(β_j)`` with Wald interval
    ``exp(β_j ± z·SE_j)``. The proportional-hazards check is the Grambsch-Therneau test
    on scaled Schoenfeld residuals against the rank of time
    (``lifelines.statistics.proportional_hazard_test``); small p-values flag a hazard
    ratio that changes over time. The logistic model regresses ``1{churned by horizon}``
    on the same design (statsmodels ``Logit``; a binomial GLM with variance weights and
    HC0 errors when weighted), excluding rows censored before ``horizon``; it ignores
    timing and is the simpler, cruder alternative. Rows with a missing value in any
    used column are dropped and counted (``n_dropped``).

    A term is reported as not estimable (``warnings``; its interval and p-value missing)
    when its coefficient or standard error per standard deviation of the term exceeds
    10 or 5 log units, or its ratio is 0 or infinite: the likelihood keeps rising as the
    coefficient runs off (perfect or quasi-separation), so the Wald interval means
    nothing. A proportional-hazards warning is given for a term whose test p-value,
    adjusted by Benjamini–Hochberg across the terms, is below ``1 - confidence_level``.

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34(2).
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored data.
    *JASA* 72(359). Grambsch, P. & Therneau, T. (1994). Proportional hazards tests and
    diagnostics based on weighted residuals. *Biometrika* 81(3).

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"detractor": rng.integers(0, 2, 200)})
    >>> d["duration"] = rng.exponential(1 / (0.05 * np.exp(0.7 * d["detractor"])))
    >>> d["event"] = (d["duration"] < 24).astype(int)
    >>> d["duration"] = d["duration"].clip(upper=24)
    >>> res = churn_drivers(d, covariates=["detractor"], horizon=None)
    >>> list(res.hazard_ratios.columns)
    ['term', 'coef', 'std_err', 'hazard_ratio', 'estimate', 'ci_low', 'ci_high', 'n', 'p_value',
     'confidence_level']
    >>> bool(res.hazard_ratios["ci_low"].iloc[0] < 2.01 < res.hazard_ratios["ci_high"].iloc[0])
    True
    """
    level = check_confidence_level(confidence_level)
    df = as_frame(table)
    covariates = list(covariates)
    if not covariates:
        raise CXDataError("`covariates` is empty; name at least one column")
    d, n_dropped, converted = _prepare(df, duration, event, covariates, start, id_col if start else None, weights)
    if len(d) == 0:
        raise CXDataError(f"no rows left after dropping {n_dropped} row(s) with missing values")
    _, e = durations_events(d, duration, event)
    if not e.any():
        raise CXDataError(
            f"no churn events: column {event!r} is 0 in all {len(d)} rows used ({n_dropped} dropped for missing "
            "values); a churn model needs churners: extend the follow-up or check how churn is coded"
        )
    levels = _levels(d, covariates, reference)
    spec = {
        "duration": duration, "event": event, "covariates": tuple(covariates), "levels": levels,
        "start": start, "id_col": id_col, "weights": weights, "horizon": horizon, "robust": robust,
        "read_as_numbers": tuple(converted),
    }
    counts = {"n": int(len(d)), "n_events": int(e.sum()), "n_dropped": n_dropped}
    notes = ("; robust SEs" if robust else "") + (f"; text column(s) {converted} read as numbers" if converted else "")
    if start is not None:
        ctv, hr, warned = _fit_time_varying(d, duration=duration, event=event, start=start, id_col=id_col,
                                            covariates=covariates, levels=levels, weights=weights, level=level,
                                            robust=robust)
        return ChurnDriversResult(
            hazard_ratios=hr, ph_test=pd.DataFrame(columns=["term", "statistic", "p_value", "p_adjusted"]),
            odds_ratios=None, model=ctv, logit=None, **counts, spec=spec, confidence_level=level,
            method="time-varying Cox (start/stop rows), Efron ties, lifelines CoxTimeVaryingFitter" + notes,
                warnings=warned,
        )
    fit_df = _fit_frame(d, duration, event, covariates, levels, weights)
    names = [c for c in fit_df.columns if not c.startswith("__")]
    cph, hr, ph, warned = _fit_proportional_hazards(fit_df, names, level, robust)
    odds, logit, n_logit, n_excl = None, None, 0, 0
    if horizon is not None:
        logit, odds, n_logit, n_excl, logit_warned = _fit_logit(fit_df, names, horizon, level)
        warned += logit_warned
    return ChurnDriversResult(
        hazard_ratios=hr, ph_test=ph, odds_ratios=odds, model=cph, logit=logit, **counts,
        n_logit=n_logit, n_logit_censored_excluded=n_excl, spec=spec, confidence_level=level,
        method="Cox proportional hazards, Efron ties (lifelines CoxPHFitter); Schoenfeld PH test (rank time)"
        + notes + (f"; logistic churn within {horizon:g} (statsmodels)" if horizon is not None else ""),
        warnings=warned,
    )
