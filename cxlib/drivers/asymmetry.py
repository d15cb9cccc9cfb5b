"""Penalty–reward analysis of asymmetric (Kano-type) drivers (Mittal, Ross & Baldasare 1998)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_confidence_level, declared_scale, show_values
from ..errors import CXDataError
from .correlation import driver_list, prepare_matrix
from .results import PenaltyRewardResult


def penalty_reward(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    weights: str | Sequence[float] | None = None,
    confidence_level: float = 0.95,
    scale: Any = None,
    missing: Any = (),
) -> PenaltyRewardResult:
    """Penalty–reward analysis of asymmetric drivers (Mittal, Ross & Baldasare 1998).

    Parameters
    ----------
    data : pandas.DataFrame
    outcome : str
        Overall rating.
    drivers : list of str
        Attribute ratings.
    low, high : sequence of numbers, optional
        Scale points coded as "low" and "high"; every other value is the middle
        (reference) category. By default they follow the drivers' declared ``scale``:
        low = the bottom two points, high = the top point (1–2 and 5 on a 1–5 scale,
        0–1 and 10 on 0–10) — never the observed minimum or maximum; without a declared
        scale, 1–2 and 5.
    weights : str or array-like, optional
        Survey weights (WLS).
    confidence_level : float
    scale : (low, high) or dict, optional
        The drivers' scale points; a value outside them raises. A dict column ->
        (low, high) (or a study scale) may give each driver, and the outcome, its own.
    missing : sequence or dict, optional
        Codes of the drivers meaning "not applicable" / "don't know" (e.g. ``[0]``): set
        missing, so the row is dropped (never the middle category), and counted per
        column in ``n_missing_codes``. A sequence applies to the drivers; a dict
        column -> codes may name the outcome too.

    Returns
    -------
    PenaltyRewardResult
        ``table`` per driver (``estimate`` = penalty − reward with its interval and test,
        penalty and reward with their intervals, category, n) and the statsmodels ``model``.

    Notes
    -----
    One joint regression with all attributes (rows with a missing value dropped)::

        outcome = b0 + Σ_j (a_j · low_j + c_j · high_j) + e

    where ``low_j`` = 1 if driver j is rated in ``low`` and ``high_j`` = 1 if rated in
    ``high``. ``penalty_j = −a_j`` (positive when a low rating lowers the outcome),
    ``reward_j = c_j``; t intervals from the OLS covariance. With ``weights`` the
    coefficients are weighted (WLS) and the covariance is the design-based sandwich (HC1,
    ``(X'WX)⁻¹ X'W diag(e²) W X (X'WX)⁻¹ · n/(n − k)``; Lumley 2010, §5.2), so survey
    weights widen the intervals by about √deff as the Kish effective base does — the WLS
    model covariance would treat them as precision weights and be too narrow. The asymmetry
    ``penalty_j − reward_j = −a_j − c_j`` is tested with a t test from the coefficient
    covariance (``asymmetric`` = significant at ``1 − confidence_level``, two-sided).
    Category, from the sign, size and intervals of the two effects (Mittal et al.'s
    reading): "basic" (dissatisfier) when only the penalty is significantly positive,
    "excitement" (satisfier) when only the reward is, "unclear" when neither interval
    excludes zero (no evidence either way, e.g. too few low ratings), and "performance"
    when both are — unless the asymmetry is significant and one effect is at least twice
    the other, which makes it basic or excitement (:func:`_category`).

    References
    ----------
    Mittal, V., Ross, W. T. & Baldasare, P. M. (1998). The asymmetric impact of negative
    and positive attribute-level performance on overall satisfaction and repurchase
    intentions. *Journal of Marketing* 62(1), 33–47.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(500, 2)), columns=["a", "b"])
    >>> df["y"] = 3 - 1.0 * (df["a"] <= 2) + 1.0 * (df["b"] == 5) + rng.normal(0, 0.5, 500)
    >>> pr = penalty_reward(df, outcome="y", drivers=["a", "b"])
    >>> pr.table["category"].tolist(), pr.table["n"].tolist()
    (['basic', 'excitement'], [500, 500])
    """
    import statsmodels.api as sm

    drivers = driver_list(data, outcome, drivers)
    level = check_confidence_level(confidence_level)
    lows, highs = _cut_offs(drivers, low, high, scale)
    Z, w, n_codes = prepare_matrix(data, outcome, drivers, weights, scale=scale, missing=missing)
    w_all = np.ones(len(Z)) if w is None else w
    ok = ~np.isnan(Z).any(axis=1) & (w_all > 0)
    n, n_dropped = int(ok.sum()), int(len(Z) - ok.sum())
    p = len(drivers)
    if n <= 2 * p + 1:
        raise CXDataError(f"only {n} complete row(s) for {2 * p + 1} coefficients; {n_dropped} rows dropped for missing values")
    Zu, wu = Z[ok], w_all[ok]
    X, n_low, n_high = _dummies(Zu[:, 1:], drivers, lows, highs)
    yv = pd.Series(Zu[:, 0], name=outcome)
    model = sm.OLS(yv, X).fit() if w is None else sm.WLS(yv, X, weights=wu).fit(cov_type="HC1")
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise CXDataError("the low/high dummies are collinear (e.g. two drivers with identical codes); check the data")
    table = _effects(model, X, drivers, level)
    table.insert(4, "n", n)
    table["n_low"] = n_low
    table["n_high"] = n_high
    alpha = 1 - level
    low, high = _one_or_each(lows), _one_or_each(highs)
    description = (
        f"penalty–reward: joint {'WLS' if w is not None else 'OLS'} of {outcome!r} on low ({low}) and high "
        f"({high}) dummies per driver, middle as reference; penalty = −coef(low), reward = coef(high); "
        f"{int(level * 100)}% {'t' if w is None else 'design-based (HC1) normal'} intervals; category by a t test of penalty − reward at α = {alpha:g}"
        + (f"; {sum(n_codes.values())} declared missing code(s) set missing" if any(n_codes.values()) else "")
    )
    return PenaltyRewardResult(
        table=table, n=n, n_dropped=n_dropped, low=low, high=high, confidence_level=level,
        r_squared=float(model.rsquared), description=description, model=model, n_missing_codes=n_codes,
    )


def _point(v: float) -> float | int:
    return int(v) if float(v).is_integer() else float(v)


def _cut_offs(drivers: list[str], low: Any, high: Any, scale: Any) -> tuple[dict, dict]:
    """The low and high scale points of each driver: as given, else from its declared scale
    (bottom two points, top point), else 1–2 and 5."""
    lows, highs = {}, {}
    for d in drivers:
        points, _ = declared_scale(scale, (), d)
        lo_d = tuple(low) if low is not None else ((1, 2) if points is None else
                                                   (_point(points[0]), _point(points[0] + 1)))
        hi_d = tuple(high) if high is not None else ((5,) if points is None else (_point(points[1]),))
        if not lo_d or not hi_d or set(lo_d) & set(hi_d):
            raise CXDataError(f"`low`={lo_d!r} and `high`={hi_d!r} (driver {d!r}) must be non-empty and must not "
                              "overlap")
        lows[d], highs[d] = lo_d, hi_d
    return lows, highs


def _one_or_each(cut: dict) -> tuple | dict:
    """One tuple when every driver has the same cut-off, else the dict driver -> tuple."""
    values = list(cut.values())
    return values[0] if all(v == values[0] for v in values) else dict(cut)


def _dummies(R: np.ndarray, drivers: list[str], lows: dict, highs: dict):
    """The design matrix (constant, then ``<driver>_low``, ``<driver>_high`` per driver)
    and the numbers of low and high ratings per driver."""
    import statsmodels.api as sm

    cols, n_low, n_high = {}, [], []
    for j, d in enumerate(drivers):
        x = R[:, j]
        low, high = lows[d], highs[d]
        lo_ = np.isin(x, low)
        hi_ = np.isin(x, high)
        mid = ~(lo_ | hi_)
        for label, m in (("low", lo_), ("high", hi_), ("middle", mid)):
            if not m.any():
                raise CXDataError(
                    f"driver {d!r} has no rows in the {label} category "
                    f"(low={low}, high={high}; observed values {show_values(np.unique(x))}); adjust `low`/`high`"
                )
        cols[f"{d}_low"] = lo_.astype(float)
        cols[f"{d}_high"] = hi_.astype(float)
        n_low.append(int(lo_.sum()))
        n_high.append(int(hi_.sum()))
    return sm.add_constant(pd.DataFrame(cols), has_constant="add"), n_low, n_high


#: The categories of :func:`penalty_reward`, from the intervals of penalty and reward.
CATEGORIES = ("basic", "excitement", "performance", "unclear")


#: With both effects significant, one must be at least this many times the other (and the
#: asymmetry test significant) for the driver to count as basic or excitement.
DOMINANCE_RATIO = 2.0


def _category(penalty: float, penalty_ci_low: float, reward: float, reward_ci_low: float, asymmetric: bool) -> str:
    """Category from the sign, size and intervals of penalty and reward.

    Significant = the interval's lower bound above 0. Penalty only → "basic"; reward only →
    "excitement"; neither → "unclear"; both → "performance", unless the asymmetry test is
    significant and one effect is at least :data:`DOMINANCE_RATIO` times the other, which
    makes it "basic" (penalty larger) or "excitement" (reward larger).

    >>> _category(0.4, 0.2, 0.0, -0.1, True), _category(0.0, -0.1, 0.4, 0.3, True)
    ('basic', 'excitement')
    >>> _category(0.3, 0.2, 0.25, 0.1, True), _category(0.1, -0.1, 0.1, -0.1, False)
    ('performance', 'unclear')
    >>> _category(0.13, 0.04, 1.2, 1.0, True)  # both significant, reward 9 times the penalty
    'excitement'
    """
    has_penalty, has_reward = penalty_ci_low > 0, reward_ci_low > 0
    if has_penalty and has_reward:
        if asymmetric and penalty >= DOMINANCE_RATIO * reward:
            return "basic"
        if asymmetric and reward >= DOMINANCE_RATIO * penalty:
            return "excitement"
        return "performance"
    return "basic" if has_penalty else "excitement" if has_reward else "unclear"


def _effects(model, X: pd.DataFrame, drivers: list[str], level: float) -> pd.DataFrame:
    """Penalty, reward and the asymmetry test of each driver from the joint fit."""
    alpha = 1 - level
    ci = model.conf_int(alpha=alpha)
    names = list(X.columns)
    rows = []
    for d in drivers:
        a, c = f"{d}_low", f"{d}_high"
        contrast = np.zeros(X.shape[1])
        contrast[names.index(a)] = -1.0
        contrast[names.index(c)] = -1.0
        tt = model.t_test(contrast)
        asym_ci = np.asarray(tt.conf_int(alpha=alpha))[0]
        asym = float(np.asarray(tt.effect).ravel()[0])
        pv = float(np.asarray(tt.pvalue).ravel()[0])
        rows.append({
            "driver": d,
            "estimate": asym,
            "ci_low": float(asym_ci[0]),
            "ci_high": float(asym_ci[1]),
            "p_value": pv,
            "category": _category(-float(model.params[a]), -float(ci.loc[a, 1]), float(model.params[c]),
                                  float(ci.loc[c, 0]), bool(pv < alpha)),
            "asymmetric": bool(pv < alpha),
            "asymmetry": asym,
            "penalty": -float(model.params[a]),
            "penalty_ci_low": -float(ci.loc[a, 1]),
            "penalty_ci_high": -float(ci.loc[a, 0]),
            "reward": float(model.params[c]),
            "reward_ci_low": float(ci.loc[c, 0]),
            "reward_ci_high": float(ci.loc[c, 1]),
        })
    return pd.DataFrame(rows)
