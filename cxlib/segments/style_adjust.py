"""Country (or language, market) comparisons that respect response styles.

:func:`style_adjusted_comparison` compares an outcome (NPS or a mean rating) across the
groups of a country-like column twice: as reported (raw), and adjusted for each group's
response style measured on a battery of ratings (by default a battery-anchored ordinal
model, :mod:`.style_ordinal`; or regression on the respondents' style shares); both with
intervals and a test that the groups are equal, plus the two rankings.
:func:`style_column` finds the study's country-like segment (a segment named or labelled
country, language or market).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import (
    apply_scale,
    check_choice,
    check_columns,
    check_confidence_level,
    check_frame,
    check_min_base,
    column_list,
    numeric_scores,
    resolve_weights,
)
from ..core.inference import normal_quantile
from ..errors import CXDataError
from .style_ordinal import OrdinalAdjustment, fit_ordinal, ordinal_adjustment
from .styles import ResponseStyles, _respondent_styles, _style_answers, response_styles

#: Words that mark a segment as a country-like grouping (answers in different cultures or languages).
STYLE_WORDS = ("country", "language", "market")


def style_column(roles: Any) -> str | None:
    """The study's country-like segment: the first segment whose column name or label
    mentions country, language or market, else ``None``.

    ``roles`` is a :class:`cxlib.data.roles.StudyRoles` (anything with ``columns(role)``
    and ``label(column)``).

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> style_column(SYNTHETIC_ROLES)
    'country'
    """
    for c in roles.columns("segments"):
        text = f"{c} {roles.label(c)}".lower()
        if any(w in text for w in STYLE_WORDS):
            return c
    return None


@dataclass(frozen=True, eq=False)
class StyleAdjustedComparison:
    """Raw and response-style-adjusted comparison of groups (see :func:`style_adjusted_comparison`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group and ``adjustment`` (``"raw"``, ``"adjusted"``): ``<by>,
        adjustment, estimate, std_err, ci_low, ci_high, n, n_eff, small_base, min_base,
        rank`` (1 = highest; groups below the minimum base are not ranked), and the group's
        style indices ``ers, ars, drs, mrs``.
    tests : pandas.DataFrame
        One row per adjustment: ``adjustment, statistic`` (Wald χ²), ``df, p_value,
        significant, groups`` (the number of groups tested: those at or above the minimum base).
    ranking_changed : bool
        True when the adjusted order of the tested groups differs from the raw order.
    moved : tuple of str
        Groups whose rank differs between raw and adjusted.
    styles : ResponseStyles
        The style diagnostics per group (on the same respondents).
    coefficients : dict
        ``method="regression"``: style index -> its coefficient (outcome units per unit
        share); ``"ordinal"``: ``{"loading": λ}``.
    by, outcome, metric, method : str
    confidence_level : float
    min_base : int
    weighted : bool
    adjustment : str
        ``"ordinal"`` or ``"regression"`` (the ``method`` used).
    style_model : pandas.DataFrame or None
        ``method="ordinal"``: one row per group, ``<by>, style_location`` (μ, battery latent
        SDs), ``style_scale`` (σ), ``outcome_location`` (a), ``effect`` (δ, the outcome's
        difference beyond style in outcome latent SDs), ``effect_std_err``, ``reference``.
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    ranking_changed: bool
    moved: tuple[str, ...]
    styles: ResponseStyles
    coefficients: dict
    by: str
    outcome: str
    metric: str
    method: str
    confidence_level: float
    min_base: int
    weighted: bool
    adjustment: str = "ordinal"
    style_model: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-group table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.method}</p>" + self.table.to_html(index=False) + self.tests.to_html(index=False)


def _outcome_values(data: pd.DataFrame, outcome: str, metric: str, scale: Any, missing: Any) -> np.ndarray:
    """The outcome per respondent: +100 / 0 / -100 for NPS, the rating otherwise (NaN if
    missing or a declared missing code)."""
    if metric == "nps":
        values = apply_scale(data[outcome], outcome, missing=missing)[0] if missing else data[outcome]
        y = numeric_scores(values, outcome, low=0, high=10, integer=True)
        return np.where(np.isnan(y), np.nan, np.where(y >= 9, 100.0, np.where(y <= 6, -100.0, 0.0)))
    return apply_scale(data[outcome], outcome, scale=scale, missing=missing)[0]


def _robust_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares with the HC0 sandwich covariance (Huber-White)."""
    xw = x * w[:, None]
    bread = np.linalg.pinv(x.T @ xw)
    beta = bread @ (xw.T @ y)
    e = y - x @ beta
    meat = (xw * (e * e)[:, None]).T @ xw
    return beta, bread @ meat @ bread


def _wald(beta: np.ndarray, cov: np.ndarray, idx: np.ndarray) -> tuple[float, int, float]:
    """Wald χ² that the coefficients ``idx`` are all equal (contrasts with the first)."""
    k = len(idx)
    if k < 2:
        return np.nan, 0, np.nan
    r = np.zeros((k - 1, len(beta)))
    r[np.arange(k - 1), idx[0]] = 1.0
    r[np.arange(k - 1), idx[1:]] = -1.0
    d = r @ beta
    stat = float(d @ np.linalg.pinv(r @ cov @ r.T) @ d)
    return stat, k - 1, float(stats.chi2.sf(stat, k - 1))


def _ranks(est: pd.Series, ok: pd.Series) -> pd.Series:
    """1 = highest estimate among the groups at or above the minimum base; NA otherwise."""
    r = est.where(ok).rank(ascending=False, method="min")
    return r.astype("Int64")


def style_adjusted_comparison(
    data: pd.DataFrame,
    *,
    by: str = "country",
    outcome: str = "ltr",
    items: Sequence[str],
    metric: str = "nps",
    scale: Any = (1, 5),
    missing: Any = (),
    outcome_scale: Any = None,
    outcome_missing: Any = (),
    weights: Any = None,
    confidence_level: float = 0.95,
    min_base: int = 30,
    method: str = "ordinal",
) -> StyleAdjustedComparison:
    """Compare groups (countries) on an outcome as reported and adjusted for response styles.

    By default the adjustment is a battery-anchored ordinal model: each group's location
    and scale on the rating scale are estimated from the driver battery and carried to the
    outcome, and the test asks whether any group's outcome differs beyond that style.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    by : str
        The country-like grouping column; rows with a missing group are left out.
    outcome : str
        The outcome column: the 0-10 recommend score (``metric="nps"``) or a rating.
    items : sequence of str
        A battery of ratings on one scale (the drivers) from which each respondent's
        style indices are measured (see :func:`cxlib.segments.styles.response_styles`).
    metric : {"nps", "mean"}
        ``"nps"``: the outcome is coded +100 / 0 / -100 (promoter 9-10, passive,
        detractor 0-6), so a group's mean is its NPS; ``"mean"``: the outcome's mean
        (a 0/1 outcome gives a share).
    scale, missing : optional
        The items' scale and declared missing codes, as in ``response_styles``.
    outcome_scale : (low, high), optional
        For ``metric="mean"``: the outcome's scale (values outside raise).
    outcome_missing : sequence, optional
        The outcome's declared missing codes (e.g. ``[99]`` = "don't know"), left out.
    weights : str or array-like, optional
        Survey weights: weighted estimates, and every minimum-base decision on the Kish
        effective base ``n_eff``.
    confidence_level : float, default 0.95
    min_base : int, default 30
        Groups with a base (``n_eff`` when weighted) below it are flagged ``small_base``,
        left out of the tests and not ranked.
    method : {"ordinal", "regression"}, default "ordinal"
        How the adjusted comparison is made: ``"ordinal"``, the battery-anchored ordinal
        model (see Notes); ``"regression"``, the respondent's style shares as covariates
        (approximate: it can over-correct, see Notes).

    Returns
    -------
    StyleAdjustedComparison

    Raises
    ------
    CXDataError
        Missing columns, answers off their scale, an unknown ``metric``, fewer than two
        groups with respondents.

    Notes
    -----
    Respondents with a group, an outcome and at least one item answered are used. The raw
    comparison is each group's (weighted) mean of the outcome (NPS: coded +100 / 0 / -100;
    unweighted, the Wald variance of Rocks 2016), HC0 sandwich standard errors (with weights
    the linearisation variance of a weighted mean), normal intervals, and the Wald χ² of
    the g - 1 contrasts over the groups at or above the minimum base.

    ``method="ordinal"`` (default). Each group answers through a location and a scale of
    its own. On the battery (item *j*, one set of cut points κ for the rating scale, as in
    the scale-usage model of Rossi, Gilula & Allenby 2001, here per group)

    ``P(y_ij <= k | c) = Φ(((κ_k − μ_c) / σ_c − α_j) / s_j)``,

    a heteroskedastic ordered probit (the reference group, the largest, has μ = 0, σ = 1;
    item locations α_j and scales s_j absorb what the items measure). The outcome has its
    own cut points θ (NPS: the three groups detractor / passive / promoter; a rating: its
    answers) and the same group scale: ``P(o_i <= m | c) = Φ((θ_m − a_c) / σ_c)``. The
    assumption that identifies style is the one of within-country standardisation (Fischer
    2004): the groups do not differ in experience on the battery, so their battery
    location and scale are style. If the outcome differs between groups only by style, its
    group locations follow the battery's, ``a_c = λ μ_c``, with one loading λ (how strongly
    a location style shows on the outcome's scale), and the groups spread their outcome
    answers about the reference group's location. ``δ_c = (a_c − λ μ_c) / σ_c`` is group
    *c*'s outcome difference beyond style, in outcome latent SDs. (A centre of the spread
    could be estimated too, ``a_c = λ μ_c + γ (1 − σ_c)``, but where groups that answer
    higher also spread wider, as on the synthetic data, λ and γ are nearly collinear: a real
    difference in one group then moves the others' adjusted values, so γ = 0 is used.) The fit is (weighted)
    pseudo-maximum-likelihood on the answers (Binder 1983), its covariance the sandwich with
    one score per respondent (a respondent's answers are one cluster of a composite
    likelihood, Varin, Reid & Firth 2011); λ is the minimum-distance estimate over the
    tested groups, ``min gᵀ Ω⁻¹ g``, ``g = a − λ μ``, ``Ω`` the sandwich of ``g``, and the
    minimum is the test of "no difference beyond style", χ² with (tested groups − 2) df
    (Chamberlain 1984; Newey & McFadden 1994, §5): with two tested groups nothing is left
    to test. The adjusted value of group *c* is its outcome distribution at the sample's
    average style (``μ̄ = Σ π_c μ_c``, ``log σ̄ = Σ π_c log σ_c``, π the groups' weight
    shares among the tested groups), ``P(o <= m) = Φ((θ_m − λ μ̄) / σ̄ − δ_c)``, turned
    into the NPS (or mean); standard errors by the delta method. Planted-truth checks on the synthetic
    data (tests/test_style_adjust_ordinal.py): with country styles and no difference in
    experience the test rejects at about its nominal rate where the raw test rejects
    nearly always, and a planted recommend difference of one country is found and sized.

    ``method="regression"``: the respondent's share of extreme (ERS), agreeing (ARS) and
    disagreeing (DRS) answers on the battery enter a (weighted) least-squares model with one
    intercept per group, centred at the sample mean (Baumgartner & Steenkamp 2001; Van
    Vaerenbergh & Thomas 2013), ``α_g`` being the adjusted value. The shares are estimated
    within groups, where they also measure satisfaction (satisfied respondents answer 5s),
    so this adjustment can over-correct: on the synthetic data it rejects "no difference"
    in about one quarter of waves where none is planted.

    What no adjustment can tell apart: a group-wide shift of every answer (the battery
    and the outcome alike) looks the same whether it is style or a real difference in
    experience, and with only experience ratings it is treated as style (Fischer 2004);
    separating the two needs content-heterogeneous items or anchoring vignettes (King et
    al. 2004). Read the adjusted comparison as "does a group's outcome differ more than
    its way of answering the battery predicts?", and show the per-group diagnostics
    (``styles``) beside it (Harzing 2006; ``METHODS.md``).

    References
    ----------
    Baumgartner, H. & Steenkamp, J.-B. E. M. (2001). Response styles in marketing
    research: a cross-national investigation. *J. Marketing Research* 38(2), 143-156.
    Van Vaerenbergh, Y. & Thomas, T. D. (2013). Response styles in survey research: a
    literature review of antecedents, consequences, and remedies. *Int. J. Public
    Opinion Research* 25(2), 195-217.
    Harzing, A.-W. (2006). Response styles in cross-national survey research: a 26-country
    study. *Int. J. Cross Cultural Management* 6(2), 243-266.
    Fischer, R. (2004). Standardization to account for cross-cultural response bias.
    *J. Cross-Cultural Psychology* 35(3), 263-282.
    King, G., Murray, C. J. L., Salomon, J. A. & Tandon, A. (2004). Enhancing the validity
    and cross-cultural comparability of measurement in survey research. *American
    Political Science Review* 98(1), 191-207.
    Rocks, B. (2016). Interval estimation for the net promoter score. *The American
    Statistician* 70(4), 365-372.
    Rossi, P. E., Gilula, Z. & Allenby, G. M. (2001). Overcoming scale usage heterogeneity:
    a Bayesian hierarchical approach. *J. American Statistical Association* 96(453), 20-31.
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex
    surveys. *International Statistical Review* 51(3), 279-292.
    Varin, C., Reid, N. & Firth, D. (2011). An overview of composite likelihood methods.
    *Statistica Sinica* 21(1), 5-42.
    Chamberlain, G. (1984). Panel data. In *Handbook of Econometrics* II, ch. 22 (minimum
    distance estimation). Newey, W. K. & McFadden, D. (1994). Large sample estimation and
    hypothesis testing. *Handbook of Econometrics* IV, ch. 36.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["A"] * 4 + ["B"] * 4,
    ...                    "ltr": [10, 9, 7, 3, 10, 10, 9, 6],
    ...                    "q1": [4, 5, 3, 2, 5, 5, 4, 3], "q2": [4, 4, 3, 2, 5, 5, 5, 3]})
    >>> res = cx.style_adjusted_comparison(df, items=["q1", "q2"], min_base=2)
    >>> res.table.loc[res.table["adjustment"] == "raw", ["country", "estimate", "n"]]
      country  estimate  n
    0       A      25.0  4
    1       B      50.0  4
    """
    data = check_frame(data)
    metric = check_choice(metric, ("nps", "mean"), argument="metric")
    method = check_choice(method, ("ordinal", "regression"), argument="method")
    check_columns(data, [by], argument="by")
    check_columns(data, [outcome], argument="outcome")
    items = column_list(items, argument="items")
    check_columns(data, items, argument="items")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    w_all = resolve_weights(data, weights, len(data))
    x, lo, hi, _ = _style_answers(data, items, scale, missing)
    y = _outcome_values(data, outcome, metric, outcome_scale, outcome_missing)
    keep = data[by].notna().to_numpy() & ~np.isnan(y) & ((~np.isnan(x)).sum(axis=1) > 0)
    if w_all is not None:
        keep &= w_all > 0
    used = data.loc[keep]
    groups = used[by].to_numpy()
    resp = _respondent_styles(x[keep], groups, lo, hi)
    names = pd.Index(sorted(pd.unique(groups), key=str))
    if len(names) < 2:
        raise CXDataError(f"column {by!r} has {len(names)} group(s) with respondents; a comparison needs at least 2")
    w = np.ones(len(used)) if w_all is None else w_all[keep]
    return _compare(used, resp, y[keep], w, names, by=by, outcome=outcome, metric=metric, items=items,
                    scale=scale, missing=missing, odd=(hi - lo) % 2 == 0, level=level, min_base=min_base,
                    weighted=w_all is not None, lo=lo, hi=hi, x=x[keep], how=method)


def _compare(used, resp, y, w, names, *, by, outcome, metric, items, scale, missing, odd, level, min_base,
             weighted, lo, hi, x, how) -> StyleAdjustedComparison:
    # long-function: both comparisons, the tidy table, the tests and the rankings in one place
    codes = names.get_indexer(used[by].to_numpy())
    dummies = np.zeros((len(y), len(names)))
    dummies[np.arange(len(y)), codes] = 1.0
    sw = np.bincount(codes, weights=w, minlength=len(names))
    sw2 = np.bincount(codes, weights=w * w, minlength=len(names))
    n = np.bincount(codes, minlength=len(names))
    n_eff = sw * sw / sw2
    base = n_eff if weighted else n.astype(float)
    ok = base >= min_base
    z = normal_quantile(level)
    beta, cov = _robust_fit(dummies, y, w)
    parts = {"raw": (beta, np.sqrt(np.diag(cov)), _wald(beta, cov, np.flatnonzero(ok)))}
    coefficients, model, style_cols = {}, None, ["ers", "ars", "drs"] if odd else ["ers", "ars"]
    if how == "regression":
        s = resp[style_cols].to_numpy(dtype=float)
        s = s - (w[:, None] * s).sum(axis=0) / w.sum()
        beta, cov = _robust_fit(np.column_stack([dummies, s]), y, w)
        coefficients = dict(zip(style_cols, beta[len(names):].tolist()))
        parts["adjusted"] = (beta[: len(names)], np.sqrt(np.diag(cov))[: len(names)],
                             _wald(beta, cov, np.flatnonzero(ok)))
    else:
        adj = _ordinal(x, y, codes, w, ok, n_groups=len(names))
        coefficients = dict(zip(("loading", "centre"), adj.loading.tolist()))
        parts["adjusted"] = (adj.estimate, adj.std_err, (adj.statistic, adj.df, adj.p_value))
        fit = adj.fit
        model = pd.DataFrame({by: names, "style_location": fit.get("mu"), "style_scale": np.exp(fit.get("log_sigma")),
                              "outcome_location": fit.get("a"), "effect": adj.effect, "effect_std_err": adj.effect_se,
                              "reference": np.arange(len(names)) == adj.reference})
    frames, tests = [], []
    for adjustment, (est, se, (stat, df, p)) in parts.items():
        tests.append({"adjustment": adjustment, "statistic": stat, "df": df, "p_value": p,
                      "significant": bool(p < 1 - level) if np.isfinite(p) else pd.NA, "groups": int(ok.sum())})
        frames.append(pd.DataFrame({by: names, "adjustment": adjustment, "estimate": est, "std_err": se,
                                    "ci_low": est - z * se, "ci_high": est + z * se, "n": n,
                                    "n_eff": n_eff if weighted else n.astype(float), "small_base": ~ok,
                                    "min_base": min_base}))
    table = pd.concat(frames, ignore_index=True)
    table["rank"] = pd.concat([_ranks(f["estimate"], pd.Series(ok)) for f in frames], ignore_index=True)
    styles = response_styles(used, by=by, items=items, scale=scale, missing=missing)
    diag = styles.summary.set_index(by)[["ers", "ars", "drs", "mrs"]]
    table = table.join(diag, on=by)
    raw_rank = table.loc[table["adjustment"] == "raw", "rank"].to_numpy()
    adj_rank = table.loc[table["adjustment"] == "adjusted", "rank"].to_numpy()
    moved = tuple(str(g) for g, a, b in zip(names, raw_rank, adj_rank) if not pd.isna(a) and a != b)
    return StyleAdjustedComparison(
        table=table, tests=pd.DataFrame(tests), ranking_changed=bool(len(moved)), moved=moved, styles=styles,
        coefficients=coefficients, by=by, outcome=outcome, metric=metric,
        method=_method_text(how, metric=metric, outcome=outcome, by=by, weighted=weighted, cols=style_cols, lo=lo,
                            hi=hi, n_items=len(items), level=level, min_base=min_base),
        confidence_level=level, min_base=min_base, weighted=weighted, adjustment=how, style_model=model)


def _ordinal(x: np.ndarray, y: np.ndarray, codes: np.ndarray, w: np.ndarray, ok: np.ndarray, *, n_groups: int
             ) -> OrdinalAdjustment:
    """The battery-anchored ordinal model on coded answers (see :mod:`.style_ordinal`)."""
    resp, item = np.nonzero(~np.isnan(x))
    answers = x[resp, item]
    cats, values = np.unique(answers), np.unique(y)
    if len(cats) < 2 or len(values) < 2:
        what = "battery" if len(cats) < 2 else "outcome"
        raise CXDataError(f"the {what} has a single answer ({(cats if len(cats) < 2 else values)[0]:g}) among the "
                          "respondents compared: the ordinal style model needs at least two; use method='regression'")
    base = np.bincount(codes, weights=w, minlength=n_groups)
    ref = int(np.argmax(np.where(ok, base, -1.0))) if ok.any() else int(np.argmax(base))
    fit = fit_ordinal((resp, item, np.searchsorted(cats, answers)), np.searchsorted(values, y), codes, w,
                      n_groups=n_groups, n_items=x.shape[1], n_cats=len(cats), n_out=len(values), ref=ref)
    pool = ok if ok.any() else np.ones(n_groups, dtype=bool)
    share = np.where(pool, base, 0.0) / base[pool].sum()
    # the groups spread about the reference group's outcome location (γ = 0; see the Notes)
    return ordinal_adjustment(fit, values, np.flatnonzero(ok), share, centre=False)


def _method_text(how: str, *, metric: str, outcome: str, by: str, weighted: bool, cols: list[str], lo: float,
                 hi: float, n_items: int, level: float, min_base: int) -> str:
    """The comparison's method in words."""
    what = "NPS (+100 promoter / 0 passive / -100 detractor)" if metric == "nps" else f"mean of {outcome!r}"
    wt = "weighted " if weighted else ""
    if how == "regression":
        adjusted = (f"adjusted = the group's intercept in a {wt}least-squares model with the respondent's "
                    f"{', '.join(c.upper() for c in cols)} on the {lo:g}-{hi:g} battery ({n_items} items) centred "
                    f"at the sample mean (Baumgartner & Steenkamp 2001); HC0 sandwich standard errors; Wald "
                    "chi-square test of equal groups")
    else:
        adjusted = (f"adjusted = the group's outcome distribution at the sample's average response style, from a "
                    f"{wt}heteroskedastic ordered probit in which each group's location and scale are estimated on "
                    f"the {lo:g}-{hi:g} battery ({n_items} items, common cut points; Rossi, Gilula & Allenby 2001) "
                    "and carried to the outcome with one estimated loading; sandwich standard errors with the "
                    "respondent as cluster, delta method; minimum-distance chi-square test that the outcome "
                    "differs between groups only as their battery style predicts")
    return (f"{what} by {by!r}: raw = the group's {wt}mean; {adjusted}; normal {level:.0%} intervals; tests over "
            f"groups with {'Kish effective base' if weighted else 'n'} >= {min_base}")


def study_style_comparison(
    data: pd.DataFrame,
    roles: Any,
    *,
    by: str | None = None,
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> StyleAdjustedComparison:
    """:func:`style_adjusted_comparison` with everything taken from the study's roles.

    The outcome is the ``recommend`` question as NPS, else the ``satisfaction`` question's
    mean (its declared points and missing codes); the battery is the study's drivers with
    their declared scales and missing codes; weights are the ``weight`` role, if any; ``by``
    defaults to :func:`style_column`.

    Raises
    ------
    CXDataError
        The study has no country-like segment (and ``by`` is not given), no drivers, or no
        recommend or satisfaction question.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> survey = cx.synthesize(seed=3, n_customers=800, quarters=2).survey
    >>> res = study_style_comparison(survey, SYNTHETIC_ROLES)
    >>> res.by, res.outcome, res.metric, res.weighted
    ('country', 'ltr', 'nps', True)
    """
    by = style_column(roles) if by is None else by
    if by is None:
        raise CXDataError("the study has no country, language or market segment; pass `by`")
    drivers = roles.columns("drivers")
    if not drivers:
        raise CXDataError("the study declares no drivers: response styles are measured on the driver ratings")
    points = {d: roles.points(d) for d in drivers if roles.points(d) is not None}
    codes = {d: list(roles.scale(d).missing) for d in drivers if roles.scale(d) and roles.scale(d).missing}
    recommend, satisfaction = roles.column("recommend"), roles.column("satisfaction")
    outcome = recommend or satisfaction
    if outcome is None:
        raise CXDataError("the study has neither a recommend nor a satisfaction question to compare")
    scale = roles.scale(outcome)
    return style_adjusted_comparison(
        data, by=by, outcome=outcome, items=drivers, metric="nps" if recommend else "mean",
        scale=points or (1, 5), missing=codes, outcome_scale=None if recommend else roles.points(outcome),
        outcome_missing=list(scale.missing) if scale is not None and scale.missing else (),
        weights=roles.column("weight"), confidence_level=confidence_level, min_base=min_base)
