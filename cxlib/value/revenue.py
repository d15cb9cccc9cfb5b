"""Value of the customer base: transparent lifetime value and revenue at risk from churn.

:func:`simple_clv` is margin × (discounted) geometric lifetime, its interval mapped from
the churn interval. :func:`revenue_at_risk` sums each customer's churn probability within
a horizon (by default conditional on the time she has already stayed) times her revenue,
with a customer bootstrap that refits the churn model (fast Newton refits,
:mod:`cxlib.value.cox_resample`), and the revenue a scenario (e.g. detractors moved to
passives) would protect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..churn.models import ChurnDriversResult, churn_drivers
from ..churn.tables import as_frame
from ..core.checks import (
    check_choice,
    check_columns,
    check_confidence_level,
    check_min_base,
    check_n_boot,
    column_list,
    show_values,
)
from ..core.inference import (
    percentile_bound_mc_error,
    percentile_interval,
    warn_if_interval_cannot_reach,
)
from ..core.results import Estimate
from ..errors import CXDataError
from .cox_resample import CoxRefits, clusters, resample, step_at

#: label of the total rows that :func:`revenue_at_risk` adds when grouping by ``by``
TOTAL_LABEL = "(all)"

ASSUMPTIONS = (
    "causal reading of the NPS-group hazard ratio; constant revenue over the horizon, lost in "
    "full on churn; proportional hazards and baseline hazard valid up to the end of each window; independent customers"
)

#: Added to :data:`ASSUMPTIONS` for the default, conditional churn probabilities.
CONDITIONAL_ASSUMPTION = (
    "churn probability conditional on the time already stayed ({tenure!r}, on the model's clock): "
    "1 - S(t + h)/S(t); a window passing the longest follow-up is moved back to end there (the hazard "
    "of the last h observed is assumed to continue)"
)

#: Added to :data:`ASSUMPTIONS` with ``conditional=False``.
UNCONDITIONAL_ASSUMPTION = (
    "churn probability from the start of the model's clock, 1 - S(h), whatever the time already stayed"
)


# ---------------------------------------------------------------------------- simple CLV
def _values(data, x, name, n):
    """A column of ``data`` (by name) or a number broadcast to ``n`` rows, as floats."""
    if x is None:
        return None
    if isinstance(x, str):
        if data is None:
            raise CXDataError(f"`{name}`={x!r} names a column but `data` is None")
        check_columns(data, [x], argument=name)
        v = pd.to_numeric(data[x], errors="coerce").to_numpy(dtype=float)
    else:
        v = np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy()
    if np.isnan(v).any():
        raise CXDataError(f"`{name}` has {int(np.isnan(v).sum())} missing or non-numeric value(s)")
    return v


def _geometric_clv(margin: np.ndarray, churn: np.ndarray, discount_rate: float, horizon: int | None) -> np.ndarray:
    """``Σ_{t<H} m q^t`` with ``q = (1 - c) / (1 + d)`` (``m / (1 - q)`` for ``H = ∞``)."""
    q = (1 - churn) / (1 + discount_rate)
    if horizon is None:
        return margin / (1 - q)
    return margin * (1 - q**horizon) / (1 - q)


def _check_clv_inputs(c, c_lo, c_hi, discount_rate, horizon) -> None:
    for name, v in (("monthly_churn", c), ("churn_ci low", c_lo), ("churn_ci high", c_hi)):
        bad = ~np.isnan(v) & ((v <= 0) | (v > 1))
        if bad.any():
            raise CXDataError(
                f"`{name}` has {int(bad.sum())} value(s) outside (0, 1] {show_values(np.unique(v[bad]))}; "
                "churn is a probability per period (0.02 = 2 %)"
            )
    if discount_rate < 0:
        raise CXDataError(f"`discount_rate`={discount_rate!r} must be >= 0 (per period)")
    if horizon is not None and (int(horizon) != horizon or horizon < 1):
        raise CXDataError(f"`horizon`={horizon!r} must be a whole number of periods >= 1, or None")


def simple_clv(
    data: pd.DataFrame | None = None,
    *,
    margin: Any,
    monthly_churn: Any = None,
    retention: Any = None,
    churn_ci: tuple[Any, Any] | None = None,
    discount_rate: float = 0.0,
    horizon: int | None = None,
    by: Sequence[str] | str | None = None,
    n: Any = None,
    min_base: int | None = None,
    confidence_level: float | None = None,
) -> pd.DataFrame:
    """Transparent customer lifetime value: margin × (discounted) geometric lifetime.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per segment or customer when the inputs are column names; ``None`` when
        every input is a number (or an :class:`~cxlib.core.results.Estimate`).
    margin : str or float
        Margin per period (e.g. monthly revenue × gross margin %).
    monthly_churn : str, float or Estimate
        Churn probability per period. An ``Estimate`` (e.g. from ``cx.churn_rate``)
        supplies its interval and base too.
    retention : str or float
        ``1 - monthly_churn``; give one of the two.
    churn_ci : (low, high), optional
        Columns or numbers bounding the churn rate; propagated to ``ci_low``/``ci_high``.
    discount_rate : float
        Discount rate per period (monthly: ``(1 + annual) ** (1/12) - 1``).
    horizon : int, optional
        Cap the lifetime at ``horizon`` periods; ``None`` = infinite.
    by : str or sequence of str, optional
        Columns of ``data`` to carry into the result as identifiers.
    n : str or int, optional
        Base of the churn estimate (column or number), reported as ``n``.
    min_base : int, optional
        With ``n``: rows whose base is below it are flagged ``small_base``.
    confidence_level : float, optional
        Level of ``churn_ci`` (recorded only); taken from an ``Estimate`` when given.

    Returns
    -------
    pandas.DataFrame
        [by...], margin, monthly_churn, churn_ci_low, churn_ci_high, discount_rate,
        expected_lifetime, clv, estimate (= clv), ci_low, ci_high, n, [min_base,
        small_base], confidence_level, method.

    Raises
    ------
    CXDataError
        Churn outside (0, 1], negative discount rate, both or neither of
        ``monthly_churn`` / ``retention``.

    Notes
    -----
    The margin ``m`` is received at the start of every period the customer is still
    active; a customer stays each further period with probability ``r = 1 - c``
    (geometric lifetime), and money in period ``t`` is worth ``(1 + d)^-t`` today.
    With ``q = r / (1 + d)``:

    ``CLV = Σ_{t=0}^{H-1} m q^t = m (1 - q^H) / (1 - q)``, and ``m / (1 - q) =
    m (1 + d) / (c + d)`` for ``H = ∞``.

    Without discounting, ``CLV = m × E[lifetime] = m / c``: the expected lifetime of a
    geometric lifetime counting the current period is ``1 / c`` periods
    (``expected_lifetime`` reports the undiscounted, horizon-capped
    ``(1 - r^H) / (1 - r)``). CLV decreases in ``c``, so the interval maps the churn
    interval's ends exactly: ``ci_low = CLV(churn_ci_high)``,
    ``ci_high = CLV(churn_ci_low)``. It ignores margin uncertainty. Some texts count the
    first margin only after one retained period (``m r / (1 + d - r)``); multiply by
    ``q`` to convert.

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive
    Marketing* 17(1). Fader, P. S. & Hardie, B. G. S. (2012). Reconciling and clarifying
    CLV formulas. Note, brucehardie.com.

    Examples
    --------
    >>> out = simple_clv(margin=30.0, monthly_churn=0.02, churn_ci=(0.015, 0.025))
    >>> out[["expected_lifetime", "clv", "ci_low", "ci_high"]]
       expected_lifetime     clv  ci_low  ci_high
    0               50.0  1500.0  1200.0   2000.0
    """
    if (monthly_churn is None) == (retention is None):
        raise CXDataError("give exactly one of `monthly_churn` and `retention`")
    rows = len(data) if data is not None else 1
    level, lo, hi = confidence_level, None, None
    if isinstance(monthly_churn, Estimate):
        level, lo, hi = monthly_churn.confidence_level, monthly_churn.ci_low, monthly_churn.ci_high
        n = monthly_churn.n if n is None else n
        monthly_churn = monthly_churn.estimate
    c = _values(data, monthly_churn, "monthly_churn", rows)
    if c is None:
        c = 1.0 - _values(data, retention, "retention", rows)
    if churn_ci is not None:
        lo, hi = churn_ci
    c_lo = _values(data, lo, "churn_ci", rows) if lo is not None else np.full(rows, np.nan)
    c_hi = _values(data, hi, "churn_ci", rows) if hi is not None else np.full(rows, np.nan)
    m = _values(data, margin, "margin", rows)
    _check_clv_inputs(c, c_lo, c_hi, discount_rate, horizon)
    r = 1 - c
    out = pd.DataFrame(index=range(rows))
    for b in ([] if by is None else column_list(by, argument="by")):
        check_columns(data, [b], argument="by")
        out[b] = data[b].to_numpy()
    out["margin"], out["monthly_churn"] = m, c
    out["churn_ci_low"], out["churn_ci_high"] = c_lo, c_hi
    out["discount_rate"] = float(discount_rate)
    out["expected_lifetime"] = 1 / c if horizon is None else (1 - r**horizon) / c
    out["clv"] = _geometric_clv(m, c, discount_rate, horizon)
    out["estimate"] = out["clv"]
    out["ci_low"] = _geometric_clv(m, c_hi, discount_rate, horizon)
    out["ci_high"] = _geometric_clv(m, c_lo, discount_rate, horizon)
    out["n"] = np.nan if n is None else _values(data, n, "n", rows)
    if min_base is not None:
        out["min_base"] = check_min_base(min_base)
        out["small_base"] = out["n"] < min_base
    out["confidence_level"] = np.nan if level is None else float(level)
    out["method"] = (
        "geometric lifetime, margin at the start of each period"
        + (f", discounted at {discount_rate:g}/period" if discount_rate else "")
        + (f", capped at {horizon} periods" if horizon else "")
        + "; interval from the churn interval's ends"
    )
    return out


# ---------------------------------------------------------------------------- revenue at risk
@dataclass(frozen=True)
class RevenueAtRiskResult:
    """Revenue at risk from churn, by group (see :func:`revenue_at_risk`).

    Attributes
    ----------
    table : pandas.DataFrame
        [by...], quantity ("revenue_at_risk", "protected_if_<from>_to_<to>"), estimate,
        std_err (bootstrap), ci_low, ci_high, revenue (per period of ``horizon`` length),
        n, min_base, small_base, confidence_level, ci_low_mc_se, ci_high_mc_se, method.
        ``ci_low_mc_se``/``ci_high_mc_se`` are the Monte-Carlo standard errors of the
        interval bounds: how much each would move in a run with another seed
        (:func:`~cxlib.core.inference.percentile_bound_mc_error`); NaN without resamples.
    horizon : float
    n_boot, seed : int
    assumptions : str
        The assumptions behind the figures, in words (:data:`ASSUMPTIONS` plus, with a
        model, :data:`CONDITIONAL_ASSUMPTION` or :data:`UNCONDITIONAL_ASSUMPTION`).
    confidence_level : float
    n_dropped : int
        Rows dropped for a missing value in a used column.
    conditional : bool or None
        With a model: whether churn probabilities are conditional on the time each
        customer has already stayed; ``None`` when they come from a column.
    tenure : str or None
        The column read as the time already stayed (conditional only).
    n_beyond_follow_up : int
        Customers whose window ``(t, t + horizon]`` passes the longest follow-up of the
        model's data, so that it was moved back to end there (conditional only).
    refit : str or None
        How the bootstrap refitted the model ("newton" or "lifelines"; ``None`` without
        a model or without resamples).
    """

    table: pd.DataFrame
    horizon: float
    n_boot: int
    seed: int | None
    assumptions: str
    confidence_level: float
    n_dropped: int = 0
    conditional: bool | None = None
    tenure: str | None = None
    n_beyond_follow_up: int = 0
    refit: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """The tidy table."""
        return self.table.copy()


@dataclass(frozen=True)
class _RiskSetup:
    """What every (re)computation needs: the rows, their revenue and group codes, the
    scenario, and each row's churn window ``(start, start + horizon]`` (``start`` is
    ``None`` for the unconditional ``(0, horizon]``)."""

    rows: pd.DataFrame
    revenue: np.ndarray
    labels: list[tuple]
    groups: np.ndarray
    horizon: float
    probability: str | None
    move: tuple[str, str, str] | None
    start: np.ndarray | None = None
    moved: np.ndarray | None = None  # rows the scenario recodes

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def alternative(self) -> pd.DataFrame:
        """The rows with the scenario applied (``column == from`` recoded to ``to``)."""
        column, _, move_to = self.move
        alt = self.rows.copy()
        if isinstance(alt[column].dtype, pd.CategoricalDtype):
            alt[column] = alt[column].astype("object")
        alt.loc[self.moved, column] = move_to
        return alt


def _window_hazard(times: np.ndarray, cumulative: np.ndarray, start: np.ndarray | None, horizon: float):
    """Baseline cumulative hazard over each row's window: ``H_0(start + h) - H_0(start)``
    (``H_0(h)`` when ``start`` is None), ``H_0`` a right-continuous step function."""
    if start is None:
        return step_at(times, cumulative, np.asarray(horizon, dtype=float))
    return step_at(times, cumulative, start + horizon) - step_at(times, cumulative, start)


def _churn_prob(model: ChurnDriversResult, d: pd.DataFrame, start: np.ndarray | None, horizon: float) -> np.ndarray:
    """``1 - exp(-[H_0(a + h) - H_0(a)] exp(x'β))`` with lifelines' Breslow baseline as a step function.

    (lifelines' ``predict_survival_function(times=...)`` interpolates linearly between
    the distinct durations; the estimator is a right-continuous step function.)
    """
    cph = model.model
    X = model.design(d).reset_index(drop=True)
    H = cph.baseline_cumulative_hazard_.iloc[:, 0]
    h0 = _window_hazard(H.index.to_numpy(dtype=float), H.to_numpy(dtype=float), start, horizon)
    return 1.0 - np.exp(-h0 * cph.predict_partial_hazard(X).to_numpy(dtype=float))


def _check_risk_model(model, churn_probability, horizon, move) -> tuple[str, str, str] | None:
    """Validate the model arguments; return the scenario to compute (or None)."""
    if (churn_probability is None) == (model is None):
        raise CXDataError("give exactly one of `churn_probability` (a column) and `model` (a churn_drivers result)")
    if model is not None and not isinstance(model, ChurnDriversResult):
        raise CXDataError(f"`model` must be a ChurnDriversResult from cx.churn_drivers, got {type(model).__name__}")
    if model is not None and model.spec.get("start") is not None:
        raise CXDataError("`model` is a time-varying Cox model; fit churn_drivers without `start=` for revenue_at_risk")
    if horizon <= 0:
        raise CXDataError(f"`horizon`={horizon!r} must be > 0")
    if model is None:
        return None
    t_max = float(model.model.durations.max())
    if horizon > t_max:
        raise CXDataError(
            f"`horizon`={horizon!r} exceeds the longest follow-up in the model's data ({t_max:g}); "
            "the baseline hazard cannot be extrapolated"
        )
    if move is None or move[0] not in model.spec["covariates"]:
        return None
    column, levels = move[0], model.spec["levels"].get(move[0], [])
    for v in move[1:]:
        if v not in levels:
            raise CXDataError(f"`{v}` is not a level of {column!r} in the model; levels: {levels}")
    return tuple(move)


def _where(df: pd.DataFrame, bad: np.ndarray, id_col: str | None) -> str:
    """Which rows: their customer ids when there is an id column, else their row labels."""
    if id_col and id_col in df.columns:
        return f"{id_col} {show_values(pd.unique(df.loc[bad, id_col]))}"
    return f"row labels {show_values(df.index[bad])}"


def _checked_amounts(df: pd.DataFrame, column: str, id_col: str | None, *, probability: bool) -> None:
    """Refuse missing, non-numeric or out-of-range revenue (>= 0) or probabilities ([0, 1])
    in any row, naming the column, the values and the rows: a missing amount would
    silently shrink a sum of revenue."""
    raw = df[column]
    v = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(v)
    if missing.any():
        text = raw.notna().to_numpy() & missing
        shown = f" (non-numeric {show_values(pd.unique(raw[text]))})" if text.any() else ""
        raise CXDataError(
            f"column {column!r} is missing or non-numeric in {int(missing.sum())} of {len(v)} row(s){shown}, "
            f"{_where(df, missing, id_col)}; revenue at risk sums over every customer, so fill them "
            f"({'e.g. from a model' if probability else 'e.g. 0 for no revenue'}) or drop those rows first"
        )
    bad = (v < 0) | (v > 1) if probability else (v < 0) | np.isinf(v)
    if bad.any():
        valid = "probabilities in [0, 1]" if probability else "revenue >= 0"
        raise CXDataError(
            f"column {column!r} has {int(bad.sum())} value(s) {show_values(np.unique(v[bad]))} that are not "
            f"{valid}, {_where(df, bad, id_col)}"
        )


def _tenure_column(df: pd.DataFrame, model, tenure: str | None, conditional: bool) -> str | None:
    """The column of time already stayed (the model's duration column by default), checked to exist."""
    if model is None or not conditional:
        return None
    column = model.spec["duration"] if tenure is None else tenure
    if column not in df.columns:
        raise CXDataError(
            f"revenue at risk is conditional on the time each customer has already stayed, read from column "
            f"{column!r} ({'the model’s duration column' if tenure is None else '`tenure`'}), which `table` lacks; "
            f"available: {list(df.columns)}. Name it with `tenure=`, or pass `conditional=False` for churn "
            "probabilities from time 0"
        )
    return column


def _window_start(d: pd.DataFrame, model, tenure: str | None, id_col: str | None, horizon: float):
    """Each row's window start ``min(t_i, τ - h)`` (τ = the longest follow-up of the model's
    data), and how many rows were moved back; ``(None, 0)`` when unconditional."""
    if tenure is None:
        return None, 0
    t = pd.to_numeric(d[tenure], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(t) | (t < 0) | np.isinf(t)
    if bad.any():
        raise CXDataError(
            f"column {tenure!r} (time already stayed) has {int(bad.sum())} non-numeric, negative or infinite "
            f"value(s) {show_values(pd.unique(d.loc[bad, tenure]))}, {_where(d, bad, id_col)}"
        )
    last = float(model.model.durations.max()) - horizon
    return np.minimum(t, last), int((t > last).sum())


def _group_codes(d: pd.DataFrame, by_cols: list[str]) -> tuple[list[tuple], np.ndarray]:
    """Group labels (tuples, sorted as text) and each row's group code."""
    keys = list(zip(*(d[c].astype("object") for c in by_cols))) if by_cols else [("all",)] * len(d)
    labels = sorted(set(keys), key=str)
    index = {lab: k for k, lab in enumerate(labels)}
    return labels, np.fromiter((index[k] for k in keys), dtype=np.intp, count=len(keys))


def _risk_setup(df, *, revenue, churn_probability, model, by_cols, id_col, horizon, move,
                tenure=None) -> tuple[_RiskSetup, int, int]:
    """The complete rows, checked, coded by group; the number of rows dropped; the number
    of rows whose window was moved back to the end of the follow-up.

    Revenue and churn probabilities are checked in every row (a missing one is an error);
    rows missing a group key, a model covariate or the tenure are dropped and counted.
    """
    need = [revenue, *by_cols] + ([churn_probability] if churn_probability else []) + ([id_col] if id_col else [])
    if model is not None:
        need += list(model.spec["covariates"]) + ([tenure] if tenure else [])
    need = list(dict.fromkeys(need))
    check_columns(df, need, argument="revenue/by/covariates")
    if len(df) == 0:
        raise CXDataError("`table` has no rows: nothing to analyse")
    _checked_amounts(df, revenue, id_col, probability=False)
    if churn_probability is not None:
        _checked_amounts(df, churn_probability, id_col, probability=True)
    keep = df[need].notna().all(axis=1)
    if not keep.any():
        missing = {c: int(df[c].isna().sum()) for c in need if df[c].isna().any()}
        raise CXDataError(f"no rows left: every one of the {len(df)} rows misses a value (missing per column: {missing})")
    d = df.loc[keep].reset_index(drop=True)
    rev = pd.to_numeric(d[revenue], errors="coerce").to_numpy(dtype=float)
    labels, codes = _group_codes(d, by_cols)
    start, n_beyond = _window_start(d, model, tenure, id_col, horizon)
    moved = None if move is None else (d[move[0]].astype("object") == move[1]).to_numpy()
    setup = _RiskSetup(rows=d, revenue=rev, labels=labels, groups=codes, horizon=horizon,
                       probability=churn_probability, move=move, start=start, moved=moved)
    return setup, int((~keep).sum()), n_beyond


def _model_probabilities(setup: _RiskSetup, fitted: ChurnDriversResult) -> tuple[np.ndarray, np.ndarray | None]:
    """Every row's churn probability within its window, and under the scenario (or None)."""
    p = _churn_prob(fitted, setup.rows, setup.start, setup.horizon)
    p2 = None if setup.move is None else _churn_prob(fitted, setup.alternative(), setup.start, setup.horizon)
    return p, p2


def _risk_by_group(setup: _RiskSetup, rows: np.ndarray, p: np.ndarray, p2: np.ndarray | None) -> np.ndarray:
    """Revenue at risk and revenue protected by the move, per group (``n_groups`` × 2),
    over ``rows`` (with repeats) given every row's probabilities ``p`` (and ``p2`` under the move)."""
    loss = p[rows] * setup.revenue[rows] * setup.horizon
    out = np.zeros((setup.n_groups, 2))
    out[:, 0] = np.bincount(setup.groups[rows], weights=loss, minlength=setup.n_groups)
    if setup.move is None:
        out[:, 1] = np.nan
        return out
    gain = np.where(setup.moved[rows], (p[rows] - p2[rows]) * setup.revenue[rows] * setup.horizon, 0.0)
    out[:, 1] = np.bincount(setup.groups[rows], weights=gain, minlength=setup.n_groups)
    return out


def _refit(model: ChurnDriversResult, sample: pd.DataFrame, level: float) -> ChurnDriversResult | None:
    """The model refitted on a resample; None when the resample cannot be fitted."""
    sp = model.spec
    try:
        return churn_drivers(
            sample, duration=sp["duration"], event=sp["event"], covariates=list(sp["covariates"]),
            reference={k: v[0] for k, v in sp["levels"].items()}, weights=sp["weights"],
            horizon=None, robust=False, confidence_level=level,
        )
    except (CXDataError, ValueError, ArithmeticError):
        # a resample lacking a level or failing to converge: skip it
        return None


def _lifelines_refitter(setup, model, fit_frame, level):
    """Per resample of ``fit_frame``: refit with :func:`cxlib.churn_drivers` (lifelines)."""
    def probabilities(fit_rows):
        fitted = _refit(model, fit_frame.iloc[fit_rows].reset_index(drop=True), level)
        return None if fitted is None else _model_probabilities(setup, fitted)
    return probabilities


def _newton_refitter(setup, model, fit_frame):
    """Per resample of ``fit_frame``: Newton steps on the Efron likelihood from the model's
    estimate and the Breslow baseline (see :mod:`cxlib.value.cox_resample`)."""
    refits = CoxRefits.from_model(model, fit_frame)
    x_now = model.design(setup.rows).to_numpy(dtype=float) - refits.data.center
    x_alt = None if setup.move is None else model.design(setup.alternative()).to_numpy(dtype=float) - refits.data.center
    # every refit's baseline steps at the same durations: each window's ends are found once
    # (as step_at finds them) and read from [0, H_0(t_1), ...] per refit
    times = refits.times
    end = np.searchsorted(times, np.asarray(setup.horizon, dtype=float) if setup.start is None
                          else setup.start + setup.horizon, side="right")
    begin = None if setup.start is None else np.searchsorted(times, setup.start, side="right")

    def probabilities(rows):
        fitted = refits.refit(rows)
        if fitted is None:
            return None
        beta, _, cumulative = fitted  # steps at `times`
        at = np.r_[0.0, cumulative]
        h0 = at[end] if begin is None else at[end] - at[begin]
        p = 1.0 - np.exp(-h0 * np.exp(x_now @ beta))
        return p, None if x_alt is None else 1.0 - np.exp(-h0 * np.exp(x_alt @ beta))
    return probabilities


def _bootstrap(setup, *, model, fit_data, id_col, n_boot, seed, level, refit="newton") -> np.ndarray:
    """Replicates of :func:`_risk_by_group` (resamples × groups × 2) on customer resamples.

    With a model each replicate refits it: on the resampled rows, or on an independent
    customer resample of ``fit_data`` when the model was fitted there.
    """
    rng = np.random.default_rng(seed)
    d = setup.rows
    units = clusters(d[id_col].to_numpy() if id_col else np.arange(len(d)))
    fit_frame, fit_units = d, units
    if fit_data is not None:
        fit_frame = as_frame(fit_data).reset_index(drop=True)
        fit_units = clusters(fit_frame[id_col].to_numpy() if id_col else np.arange(len(fit_frame)))
    if model is None:
        p = pd.to_numeric(d[setup.probability], errors="coerce").to_numpy(dtype=float)
    elif n_boot:
        refitted = (_newton_refitter(setup, model, fit_frame) if refit == "newton"
                    else _lifelines_refitter(setup, model, fit_frame, level))
    boots = []
    for _ in range(n_boot):
        rows = resample(rng, units)
        if model is None:
            boots.append(_risk_by_group(setup, rows, p, None))
            continue
        probs = refitted(rows if fit_data is None else resample(rng, fit_units))
        if probs is not None:
            boots.append(_risk_by_group(setup, rows, *probs))
    return np.array(boots) if boots else np.empty((0, setup.n_groups, 2))


def _risk_table(setup, point, boots, *, by_cols, quantities, level, min_base) -> pd.DataFrame:
    """Tidy rows per group and quantity (plus total rows over the groups when grouped)."""
    labels = list(setup.labels)
    revenue_total = np.bincount(setup.groups, weights=setup.revenue * setup.horizon, minlength=len(labels))
    n_by = np.bincount(setup.groups, minlength=len(labels))
    if by_cols and len(labels) > 1:
        # a total over the groups, from the same resamples (so its interval is consistent)
        labels = [*labels, tuple(TOTAL_LABEL for _ in by_cols)]
        point = np.vstack([point, point.sum(axis=0, keepdims=True)])
        boots = np.concatenate([boots, boots.sum(axis=1, keepdims=True)], axis=1)
        revenue_total = np.append(revenue_total, revenue_total.sum())
        n_by = np.append(n_by, n_by.sum())
    flat = boots.reshape(len(boots), 2 * len(labels))
    low, high = (b.reshape(len(labels), 2) for b in percentile_interval(flat, level))
    low_mc, high_mc = (b.reshape(len(labels), 2) for b in percentile_bound_mc_error(flat, level))
    rows_out = []
    for gi, lab in enumerate(labels):
        for qi, qname in enumerate(quantities):
            b = boots[:, gi, qi]
            row = dict(zip(by_cols, lab)) if by_cols else {}
            row.update(
                quantity=qname, estimate=float(point[gi, qi]),
                std_err=float(np.std(b, ddof=1)) if len(b) > 1 else np.nan,
                ci_low=float(low[gi, qi]), ci_high=float(high[gi, qi]),
                revenue=float(revenue_total[gi]), n=int(n_by[gi]),
                ci_low_mc_se=float(low_mc[gi, qi]), ci_high_mc_se=float(high_mc[gi, qi]),
            )
            rows_out.append(row)
    out = pd.DataFrame(rows_out)
    out.insert(len(out.columns) - 2, "min_base", min_base)  # the Monte-Carlo errors go last
    out.insert(len(out.columns) - 2, "small_base", out["n"] < min_base)
    out.insert(len(out.columns) - 2, "confidence_level", level)
    return out


def _assumptions(model, tenure: str | None) -> str:
    if model is None:
        return ASSUMPTIONS
    return f"{ASSUMPTIONS}; " + (CONDITIONAL_ASSUMPTION.format(tenure=tenure) if tenure else UNCONDITIONAL_ASSUMPTION)


def _method(model, *, churn_probability, horizon, tenure, n_beyond, n_boot, n_done, id_col, refit, n_dropped) -> str:
    if model is None:
        source = f"p from column {churn_probability!r}"
    elif tenure is None:
        source = "Cox 1 - S_i(horizon), unconditional"
    else:
        source = (f"Cox 1 - S_i(t_i + horizon)/S_i(t_i), conditional on {tenure!r} = t_i"
                  + (f"; window moved back to end at the longest follow-up for {n_beyond} row(s)" if n_beyond else ""))
    boot = "; no interval (n_boot=0)"
    if n_boot:
        boot = f"; percentile bootstrap, {n_done} of {n_boot} resamples of " + ("customers" if id_col else "rows")
        if model is not None:
            boot += (", Cox refitted by Newton steps from the full-data fit" if refit == "newton"
                     else ", Cox refitted with lifelines")
    return (f"Σ p_i·revenue_i·{horizon:g}; {source}{boot}"
            + (f"; {n_dropped} row(s) with missing values dropped" if n_dropped else ""))


def revenue_at_risk(
    table: Any,
    *,
    revenue: str = "monthly_revenue",
    churn_probability: str | None = None,
    model: ChurnDriversResult | None = None,
    by: Sequence[str] | str | None = None,
    horizon: float = 12.0,
    conditional: bool = True,
    tenure: str | None = None,
    move: tuple[str, str, str] | None = ("nps_group", "detractor", "passive"),
    id_col: str | None = "customer_id",
    fit_data: Any = None,
    n_boot: int = 200,
    refit: str = "newton",
    seed: int = 0,
    confidence_level: float = 0.95,
    min_base: int = 30,
) -> RevenueAtRiskResult:
    """Expected revenue lost to churn over the next period, and what moving detractors would protect.

    Parameters
    ----------
    table : pandas.DataFrame or ChurnTable
        One row per customer still active (or per response) with ``revenue``, the
        model's covariates and (conditional) the time already stayed; ``tenure``-type
        covariates describe each customer now.
    revenue : str
        Revenue per time unit (e.g. ``monthly_revenue``).
    churn_probability : str, optional
        Column with each row's probability of churning within ``horizon``. Give this or
        ``model``.
    model : ChurnDriversResult, optional
        A (non-time-varying) Cox fit from :func:`cxlib.churn_drivers`; churn probabilities
        come from its survival curves (see ``conditional``), and the bootstrap refits it
        on every resample.
    by : str or sequence of str, optional
        Segment / CX-group columns (e.g. ``["plan", "nps_group"]``); a total otherwise.
    horizon : float
        Length of the period, in the table's time unit.
    conditional : bool
        With ``model``: ``True`` (default) gives each customer the probability of leaving
        within ``horizon`` *given the time she has already stayed*,
        ``1 - S_i(t_i + h) / S_i(t_i)``; ``False`` gives ``1 - S_i(h)`` from the start of
        the model's clock for everyone (the unconditional form, right only for customers
        whose clock has just started). Ignored with ``churn_probability``.
    tenure : str, optional
        Column with the time already stayed ``t_i`` on the model's clock (the same origin
        and unit as the model's duration). Default: the model's duration column, which
        for the active customers of a table built like the model's data is exactly that.
    move : (column, from, to) or None
        The scenario: rows with ``column == from`` recoded to ``to`` (computed when
        ``model`` has ``column`` as a covariate); ``None`` for no scenario.
    id_col : str or None
        Customer id; the bootstrap resamples customers (all their rows together).
        ``None`` resamples rows.
    fit_data : pandas.DataFrame or ChurnTable, optional
        The table ``model`` was fitted on, when it is not ``table`` (e.g. the model is
        fitted on past follow-up and applied to today's active customers): each bootstrap
        replicate then refits on a customer resample of ``fit_data`` and, independently,
        resamples the customers of ``table``.
    n_boot : int
        Bootstrap replicates (percentile intervals). 0 skips the intervals. Fewer than
        ``(1 + level)/(1 − level)`` (39 at 95 %) cannot give an interval that holds its level:
        a :class:`~cxlib.errors.ResamplingWarning` says so.
    refit : {"newton", "lifelines"}
        How each replicate refits the Cox model. ``"newton"`` (default): Newton–Raphson
        on the Efron partial likelihood with the resample's row multiplicities, started
        at the full-data estimate (two to four steps to a change below 1e-9), and the
        Breslow baseline recomputed on the resample, all vectorised: the estimates of a
        lifelines refit up to lifelines' own stopping rule (coefficients within ~1e-6,
        interval ends within ~1e-8 relative; the Newton estimate is the more exact, its
        gradient ~1e-14), in a small fraction of the time. ``"lifelines"``:
        :func:`cxlib.churn_drivers` on every resample (slow; kept as the reference).
    seed : int
        Seed of the bootstrap's random generator.
    confidence_level : float
    min_base : int
        Rows (groups) with fewer customers are flagged ``small_base``.

    Returns
    -------
    RevenueAtRiskResult
        ``table`` with, per group, the expected revenue at risk and (with a model) the
        revenue protected by the move, each with bootstrap ``std_err``/``ci_low``/``ci_high``
        and the Monte-Carlo standard errors of the bounds ``ci_low_mc_se``/``ci_high_mc_se``.
        With ``by`` and more than one group, total rows (every ``by`` column set to
        ``"(all)"``) follow, computed from the same resamples.

    Raises
    ------
    CXDataError
        Missing columns (including the tenure column when conditional); revenue that is
        missing, non-numeric or negative, churn probabilities that are missing or outside
        [0, 1], or a tenure that is negative or non-numeric, in any row (the message
        names the column, the values, the row count and the customers); neither or both
        of ``churn_probability`` and ``model``; a time-varying model; no complete rows.

    Notes
    -----
    ``revenue_at_risk = Σ_i p_i · rev_i · horizon`` with ``p_i = P(churn within horizon)``:
    the run-rate revenue of one period of length ``horizon`` carried by the customers
    expected to churn within it. With a Cox model ``S_i(t) = exp(-H_0(t) e^{x_iᵀβ})``
    (Breslow's ``H_0``, a step function), a customer who has stayed ``t_i`` leaves
    within the next ``h`` with probability

    ``p_i = 1 - S_i(t_i + h) / S_i(t_i) = 1 - exp(-[H_0(t_i + h) - H_0(t_i)] e^{x_iᵀβ})``

    (Kalbfleisch & Prentice 2002, §1.2: the conditional survival ``P(T > t + h | T > t)``;
    lifelines' ``predict_survival_function(X, times=[h], conditional_after=t)``, which
    interpolates ``H_0`` linearly between durations and agrees at them). The baseline is
    not estimated past the longest follow-up ``τ`` of the model's data, so a window
    passing it is moved back to ``(τ - h, τ]``: those customers get the hazard of the
    last ``h`` months observed (counted in ``n_beyond_follow_up``; assumed to continue).
    ``conditional=False`` gives ``p_i = 1 - S_i(h)`` instead. The move scenario
    recomputes ``p_i`` with the group indicator switched (``x_i → x_i'``) and reports
    ``Σ_{i ∈ from} (p_i - p_i') · rev_i · horizon``.

    Assumptions: (1) the hazard ratio of the NPS group is read causally — moving a
    detractor's experience to a passive's would change her hazard by that ratio, with
    everything else equal (confounding by unmeasured factors would bias this);
    (2) revenue per time unit stays constant over the horizon and a churner's revenue
    is lost for the whole period; (3) the model's proportional hazards and baseline
    hazard hold up to the end of each window; (4) customers are independent. Intervals
    resample customers with replacement and, with a model, refit it on each resample
    (percentile intervals; they include model-estimation uncertainty but not the
    scenario's causal uncertainty). The Newton refit maximises the same Efron partial
    likelihood as lifelines (Efron 1977) and recomputes Breslow's baseline (Breslow 1972).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    Kalbfleisch, J. D. & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
    Data*, 2nd ed. Wiley. Breslow, N. (1972). Discussion of Professor Cox's paper. *JRSS B*
    34(2). Efron, B. (1977). The efficiency of Cox's likelihood function for censored data.
    *JASA* 72(359).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": [1, 2, 3, 4], "monthly_revenue": [10.0, 20.0, 30.0, 40.0],
    ...                   "p": [0.1, 0.2, 0.1, 0.5], "plan": ["a", "a", "b", "b"]})
    >>> res = revenue_at_risk(d, churn_probability="p", by="plan", horizon=12, n_boot=0)
    >>> res.table[["plan", "quantity", "estimate"]]
        plan         quantity  estimate
    0      a  revenue_at_risk      60.0
    1      b  revenue_at_risk     276.0
    2  (all)  revenue_at_risk     336.0
    """
    level = check_confidence_level(confidence_level)
    n_boot = check_n_boot(n_boot)
    warn_if_interval_cannot_reach(n_boot, level, what="revenue at risk")
    min_base = check_min_base(min_base)
    refit = check_choice(refit, ("newton", "lifelines"), argument="refit")
    scenario = _check_risk_model(model, churn_probability, horizon, move)
    by_cols = [] if by is None else column_list(by, argument="by")
    frame = as_frame(table)
    tenure_col = _tenure_column(frame, model, tenure, bool(conditional))
    setup, n_dropped, n_beyond = _risk_setup(
        frame, revenue=revenue, churn_probability=churn_probability, model=model, by_cols=by_cols, id_col=id_col,
        horizon=horizon, move=scenario, tenure=tenure_col)
    if model is None:
        p = pd.to_numeric(setup.rows[churn_probability], errors="coerce").to_numpy(dtype=float)
        point = _risk_by_group(setup, np.arange(len(setup.rows)), p, None)
    else:
        point = _risk_by_group(setup, np.arange(len(setup.rows)), *_model_probabilities(setup, model))
    boots = _bootstrap(setup, model=model, fit_data=fit_data, id_col=id_col, n_boot=n_boot, seed=seed, level=level,
                       refit=refit)
    quantities = ["revenue_at_risk"] + ([f"protected_if_{scenario[1]}_to_{scenario[2]}"] if scenario else [])
    out = _risk_table(setup, point, boots, by_cols=by_cols, quantities=quantities, level=level, min_base=min_base)
    out["method"] = _method(model, churn_probability=churn_probability, horizon=horizon, tenure=tenure_col,
                            n_beyond=n_beyond, n_boot=n_boot, n_done=len(boots), id_col=id_col, refit=refit,
                            n_dropped=n_dropped)
    return RevenueAtRiskResult(
        table=out, horizon=float(horizon), n_boot=n_boot, seed=seed, assumptions=_assumptions(model, tenure_col),
        confidence_level=level, n_dropped=n_dropped, conditional=None if model is None else bool(conditional),
        tenure=tenure_col, n_beyond_follow_up=n_beyond, refit=refit if model is not None and n_boot else None,
    )
