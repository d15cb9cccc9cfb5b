"""Survey weighting: raking and post-stratification to population targets, and a
weighting report.

* :func:`rake` — iterative proportional fitting (raking) of the sample to population
  margins on several variables, from design weights if given, with an optional cap on the
  weights (re-raked until margins and cap both hold) and optional quantile trimming.
* :func:`poststratify` — the one-variable case (one column, or several crossed).
* :func:`weighting_report` — weighted vs target margins, Kish design effect, weighting
  efficiency, effective sample size, the distribution of the weights and how much
  trimming moved the margins.

Targets are given per variable and level, as shares (summing to 1) or as counts
(any value above 1, or all whole numbers; normalised to shares, and all count margins
must then have the same total)::

    {"plan": {"basic": 0.5, "plus": 0.3, "pro": 0.2},
     "country": {"DE": 4_100, "FR": 3_300, "UK": 2_600}}

A key that is a tuple of columns is a crossed margin whose levels are tuples
(``{("region", "plan"): {("north", "basic"): 0.2, ...}}``).

Returned weights have mean 1 (they sum to the number of respondents), so a weighted base
reads like a respondent count; multiply by ``N / n`` for population totals. Every
estimator of cxlib that takes ``weights=`` accepts ``result.weights`` (a Series aligned on
the data's index); which of them use the Kish effective base ``(Σw)² / Σw²`` for their
intervals, and which take no weights, is tabled in ``data/study-file.md`` ("Which analyses
use the weights"). A study file's ``[weighting]`` table makes the import rake the survey
(:mod:`cxlib.data.weights`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_columns, check_frame, column_list, kish_n_eff, resolve_weights, show_values
from ..errors import CXDataError

#: Tolerance on the sum of target shares (and on the relative difference of count totals).
SHARE_TOL = 1e-6
#: Percentiles of the weights shown by :func:`weighting_report`.
PERCENTILES = (1, 5, 50, 95, 99)
#: Columns of the margins table (``weighted_before_trim`` and ``trim_shift`` are added when
#: the weights were trimmed).
MARGIN_COLUMNS = ("variable", "level", "n", "unweighted", "target", "weighted", "difference")


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class WeightingReport:
    """Diagnostics of a set of survey weights.

    Attributes
    ----------
    margins : DataFrame
        One row per variable and level: ``variable``, ``level``, ``n`` (respondents),
        ``unweighted`` (sample share), ``target`` (share), ``weighted`` (weighted share),
        ``difference`` (weighted − target); with trimming also ``weighted_before_trim``
        and ``trim_shift`` (weighted − weighted_before_trim). Empty without targets.
    summary : DataFrame
        One row: ``n``, ``sum_weights``, ``n_eff``, ``design_effect``, ``efficiency``,
        ``cv``, ``min``, ``p1``, ``p5``, ``p50``, ``p95``, ``p99``, ``max``,
        ``max_to_mean``, ``max_abs_difference`` (largest |weighted − target|, NaN without
        targets) and ``trim_shift`` (largest |trim_shift|, NaN without trimming).
    n : int
        Respondents (rows), zero weights included.
    n_eff : float
        Kish effective sample size ``(Σw)² / Σw²``.
    design_effect : float
        Kish design effect due to weighting ``1 + CV²`` (= ``n / n_eff``).
    efficiency : float
        Weighting efficiency ``1 / design_effect`` (= ``n_eff / n``), 0–1.
    trim_shift : float
        How far trimming moved the weighted margins (largest absolute change of a share);
        NaN when the weights were not trimmed.
    """

    margins: pd.DataFrame
    summary: pd.DataFrame
    n: int
    n_eff: float
    design_effect: float
    efficiency: float
    trim_shift: float

    def to_frame(self) -> pd.DataFrame:
        """The one-row summary."""
        return self.summary.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.summary.to_html(index=False) + self.margins.to_html(index=False)


@dataclass(frozen=True)
class RakingResult:
    """Weights fitted to population targets by :func:`rake` or :func:`poststratify`.

    Attributes
    ----------
    weights : Series
        The weights (mean 1), aligned on the data's index; pass them as ``weights=``.
    converged : bool
        Whether the weighted margins met every target to ``tol`` (with the cap holding)
        before trimming. Always True unless ``strict=False`` was passed.
    iterations : int
        Raking sweeps used (one sweep adjusts every variable once).
    max_error : float
        Largest |weighted share − target share| of the returned weights. After trimming it
        includes the (deliberate) shift that trimming caused.
    margins : DataFrame
        Weighted vs target margins (see :class:`WeightingReport`).
    targets : dict
        The targets as shares, ``{variable: {level: share}}``.
    method : str
        ``"raking"`` or ``"post-stratification"``.
    cap : float or None
        Maximum ratio of a weight to the mean weight, if capped.
    trim : tuple or None
        Quantiles ``(low, high)`` at which the weights were trimmed, if trimmed.
    weights_before_trim : Series or None
        The raked weights before trimming (None without trimming).
    """

    weights: pd.Series
    converged: bool
    iterations: int
    max_error: float
    margins: pd.DataFrame
    targets: dict = field(repr=False)
    method: str = "raking"
    cap: float | None = None
    trim: tuple[float, float] | None = None
    weights_before_trim: pd.Series | None = field(default=None, repr=False)

    def report(self) -> WeightingReport:
        """The :class:`WeightingReport` of these weights against their targets."""
        return _report(self.weights.to_numpy(dtype=float), self.margins)

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.report()._repr_html_()


@dataclass(frozen=True)
class _Margin:
    """One raking margin: its columns, target levels and shares, and each row's level."""

    name: str
    key: Any
    levels: list
    target: np.ndarray
    codes: np.ndarray


# ------------------------------------------------------------------------- targets
def _label(key: Any) -> str:
    return " × ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _level_values(key: Any, levels: Any) -> tuple[list, np.ndarray]:
    """Target levels and their (non-negative, finite) values for one variable."""
    name = _label(key)
    if isinstance(levels, pd.Series):
        levels = levels.to_dict()
    if not isinstance(levels, Mapping) or not levels:
        raise CXDataError(
            f"targets for {name!r} must be a non-empty mapping {{level: share or count}}, got {levels!r}")
    keys = list(levels)
    try:
        values = np.array([float(v) for v in levels.values()])
    except (TypeError, ValueError):
        raise CXDataError(f"targets for {name!r} must be numbers; got {show_values(levels.values())}") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise CXDataError(
            f"targets for {name!r} have {int(bad.sum())} value(s) that are not finite numbers >= 0: "
            f"{show_values(values[bad])} (levels {show_values([k for k, b in zip(keys, bad) if b])})")
    if values.sum() <= 0:
        raise CXDataError(f"targets for {name!r} sum to 0: give positive shares or counts")
    if isinstance(key, tuple):
        wrong = [k for k in keys if not (isinstance(k, tuple) and len(k) == len(key))]
        if wrong:
            raise CXDataError(
                f"targets for the crossed margin {name!r} need tuples of {len(key)} levels as keys; "
                f"got {show_values(wrong)}")
    return keys, values


def target_shares(targets: Any) -> dict[Any, tuple[list, np.ndarray]]:
    """``{variable: (levels, shares)}``; counts normalised, shares checked, count totals equal.

    A variable's values are shares when they sum to 1 (within :data:`SHARE_TOL`), counts
    when one exceeds 1 or all are whole numbers, and an error otherwise (shares that do
    not add up). Used by :func:`rake` and by the study file's ``[weighting]`` check.

    Examples
    --------
    >>> target_shares({"plan": {"basic": 30, "pro": 10}})["plan"][1].tolist()
    [0.75, 0.25]
    """
    if not isinstance(targets, Mapping) or not targets:
        raise CXDataError(
            "`targets` must be a non-empty mapping {variable: {level: share or count}}, "
            "e.g. {'plan': {'basic': 0.5, 'pro': 0.5}}")
    out, count_totals = {}, {}
    for key, levels in targets.items():
        key = tuple(key) if isinstance(key, list) else key
        keys, values = _level_values(key, levels)
        total = float(values.sum())
        if abs(total - 1.0) <= SHARE_TOL:  # shares
            pass
        elif (values > 1).any() or (values == np.round(values)).all():  # counts
            count_totals[_label(key)] = total
        else:
            raise CXDataError(
                f"targets for {_label(key)!r} look like shares (all <= 1) but sum to {total:.6g}, not 1 "
                f"(tolerance {SHARE_TOL:g}); correct them, or give counts")
        out[key] = (keys, values / total)
    if count_totals:
        low, high = min(count_totals.values()), max(count_totals.values())
        if high - low > SHARE_TOL * high:
            raise CXDataError(
                f"the count targets have different totals {count_totals}: margins of one population must "
                "add up to the same total; correct them, or give every variable as shares")
    return out


def _codes(data: pd.DataFrame, key: Any, levels: list) -> np.ndarray:
    """Index of each row's level among the target ``levels`` (refusing missing and unknown levels)."""
    cols = list(key) if isinstance(key, tuple) else [key]
    name = _label(key)
    check_columns(data, cols, argument="targets")
    missing = data[cols].isna().any(axis=1).to_numpy()
    if missing.any():
        raise CXDataError(
            f"column(s) {name!r} have missing values in {int(missing.sum())} of {len(data)} rows: every "
            "respondent needs a level to be weighted; impute them, give missing its own code and target, "
            "or drop those rows first")
    if len(cols) == 1:
        codes = pd.Index(levels).get_indexer(data[cols[0]])
        seen = data[cols[0]]
    else:
        codes = pd.MultiIndex.from_tuples(levels).get_indexer(pd.MultiIndex.from_frame(data[cols]))
        seen = pd.Series(list(zip(*(data[c] for c in cols))), index=data.index)
    unknown = codes < 0
    if unknown.any():
        raise CXDataError(
            f"{int(unknown.sum())} of {len(data)} respondents have a level of {name!r} with no target: "
            f"{show_values(pd.unique(seen[unknown].to_numpy()))}; targets are given for {show_values(levels)}. "
            "Add targets for them (or recode, or drop those rows)")
    return codes.astype(np.int64)


def _check_cells(margin: _Margin, w0: np.ndarray, n: int) -> None:
    """Every level with a positive target needs respondents with positive weight, and vice versa."""
    counts = np.bincount(margin.codes, minlength=len(margin.levels))
    weighted = np.bincount(margin.codes, weights=w0, minlength=len(margin.levels))
    def levels(mask: np.ndarray) -> str:
        return show_values([lev for lev, hit in zip(margin.levels, mask) if hit])

    empty = (margin.target > 0) & (counts == 0)
    if empty.any():
        raise CXDataError(
            f"target level(s) {levels(empty)} of {margin.name!r} have no respondents "
            f"(target shares {show_values(margin.target[empty].round(6))}, n = {n} rows): weighting cannot "
            "give weight to nobody; merge them with a neighbouring level, or drop their targets")
    no_weight = (margin.target > 0) & (counts > 0) & (weighted == 0)
    if no_weight.any():
        raise CXDataError(
            f"level(s) {levels(no_weight)} of {margin.name!r} have respondents "
            f"({show_values(counts[no_weight])}) but all with design weight 0: raking cannot scale them up")
    zero = (margin.target == 0) & (counts > 0)
    if zero.any():
        raise CXDataError(
            f"level(s) {levels(zero)} of {margin.name!r} have target 0 but "
            f"{int(counts[zero].sum())} respondent(s): drop those rows, or give the level a positive target")


def _margins(data: pd.DataFrame, targets: Any, w0: np.ndarray) -> list[_Margin]:
    """Parse and check ``targets`` against ``data`` (and the starting weights ``w0``).

    Every variable is checked before raising, so that one error lists every problem
    (missing columns, unknown levels, target levels without respondents) of every variable.
    """
    out, problems = [], []
    parsed = target_shares(targets)
    cols = [c for key in parsed for c in (key if isinstance(key, tuple) else [key])]
    check_columns(data, list(dict.fromkeys(cols)), argument="targets")
    for key, (levels, shares) in parsed.items():
        try:
            m = _Margin(_label(key), key, levels, shares, _codes(data, key, levels))
            _check_cells(m, w0, len(data))
        except CXDataError as exc:
            problems.append(str(exc))
            continue
        out.append(m)
    if len(problems) == 1:
        raise CXDataError(problems[0])
    if problems:
        raise CXDataError(f"{len(problems)} problems with the targets:\n" + "\n".join(f"  - {p}" for p in problems))
    return out


# ---------------------------------------------------------------------- algorithm
def _shares(m: _Margin, w: np.ndarray) -> np.ndarray:
    return np.bincount(m.codes, weights=w, minlength=len(m.levels)) / w.sum()


def _max_error(margins: list[_Margin], w: np.ndarray) -> tuple[float, _Margin, int]:
    """Largest |weighted share − target| and where it is (margin, level index)."""
    best = (-1.0, margins[0], 0)
    for m in margins:
        diff = np.abs(_shares(m, w) - m.target)
        i = int(np.argmax(diff))
        if diff[i] > best[0]:
            best = (float(diff[i]), m, i)
    return best


def _bounded(w: np.ndarray, total: float, cap: float) -> np.ndarray:
    """``min(f·w, cap)`` with ``f`` chosen so that the result sums to ``total``.

    With the ``m`` largest weights at the cap and ``R`` the sum of the others,
    ``f = (total − m·cap) / R``; the valid ``m`` is the one for which the largest
    unclipped weight stays below the cap and the smallest clipped one reaches it (unique,
    since the sum is increasing in ``f``). This is the multiplicative (Kullback–Leibler)
    adjustment of one level to its target under the upper bound.
    """
    desc = np.sort(w)[::-1]
    m = np.arange(len(desc))
    rest = float(w.sum()) - np.concatenate([[0.0], np.cumsum(desc)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(rest > 0, (total - m * cap) / rest, np.nan)
    above = np.concatenate([[np.inf], desc[:-1]])
    ok = (f * desc <= cap * (1 + 1e-12)) & (f * above >= cap * (1 - 1e-12))
    if not ok.any():  # the level needs every weight at the cap (checked feasible beforehand)
        return np.where(w > 0, cap, 0.0)
    return np.minimum(f[int(np.argmax(ok))] * w, cap)


def _adjust(w: np.ndarray, m: _Margin, total: float, cap: float | None) -> np.ndarray:
    """One raking step: scale each level of margin ``m`` to its target share of ``total``;
    with a cap, levels whose weights would exceed it are solved under the bound."""
    sums = np.bincount(m.codes, weights=w, minlength=len(m.levels))
    factor = np.divide(m.target * total, sums, out=np.ones_like(sums), where=sums > 0)
    out = w * factor[m.codes]
    if cap is None or out.max() <= cap:
        return out
    for level in np.unique(m.codes[out > cap]):
        rows = np.flatnonzero(m.codes == level)
        out[rows] = _bounded(w[rows], m.target[level] * total, cap)
    return out


def _check_cap(margins: list[_Margin], w0: np.ndarray, cap: float) -> None:
    """Each level can reach its target with every weight at most ``cap`` times the mean."""
    n = len(w0)
    for m in margins:
        positive = np.bincount(m.codes[w0 > 0], minlength=len(m.levels))
        short = positive * cap < m.target * n * (1 - 1e-12)
        if short.any():
            i = int(np.flatnonzero(short)[0])
            raise CXDataError(
                f"`cap`={cap:g} is too low: level {m.levels[i]!r} of {m.name!r} has {positive[i]} of {n} "
                f"respondents (with positive weight) but a target share of {m.target[i]:.4g}; with every weight "
                f"at most {cap:g} times the mean they can carry at most {positive[i] * cap / n:.4g}. "
                f"Raise `cap` to at least {m.target[i] * n / positive[i]:.4g}, or merge the level")


def _ipf(margins: list[_Margin], w0: np.ndarray, *, cap: float | None, max_iter: int,
         tol: float) -> tuple[np.ndarray, int, float]:
    """Raking: each sweep scales every level of every margin to its target share
    (``w_i ← w_i · T_vl · Σw / Σ_{j ∈ l} w_j``, bounded by the cap), until every margin is
    within ``tol`` of its target. Returns the weights (mean 1), sweeps and the error."""
    w = w0 * (len(w0) / w0.sum())
    total = float(w.sum())  # each step keeps it (target shares sum to 1), so the mean stays 1
    if cap is not None:
        _check_cap(margins, w0, cap)
    error = float("nan")
    for sweep in range(1, max_iter + 1):
        for m in margins:
            w = _adjust(w, m, total, cap)
        error = _max_error(margins, w)[0]
        if error <= tol:
            return w, sweep, error
    return w, max_iter, error


def _trimmed(w: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    """Weights clipped at their ``trim`` quantiles, rescaled to the same total."""
    low, high = np.quantile(w, trim)
    t = np.clip(w, low, high)
    return t * (w.sum() / t.sum())


# ------------------------------------------------------------------------- tables
def _margins_table(margins: list[_Margin], w: np.ndarray, before: np.ndarray | None = None) -> pd.DataFrame:
    """Tidy margins: one row per variable and level (see :class:`WeightingReport`)."""
    parts = []
    for m in margins:
        counts = np.bincount(m.codes, minlength=len(m.levels))
        weighted = _shares(m, w)
        part = pd.DataFrame({
            "variable": m.name, "level": pd.Series(m.levels, dtype=object), "n": counts,
            "unweighted": counts / counts.sum(), "target": m.target, "weighted": weighted,
            "difference": weighted - m.target,
        })
        if before is not None:
            part["weighted_before_trim"] = _shares(m, before)
            part["trim_shift"] = weighted - part["weighted_before_trim"]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _report(w: np.ndarray, margins: pd.DataFrame) -> WeightingReport:
    """The weighting report of weights ``w`` (Kish formulas) and a margins table."""
    n = len(w)
    n_eff = kish_n_eff(w)
    cv = float(np.std(w) / np.mean(w))  # population SD (ddof=0), as in Kish's 1 + CV²
    deff = 1.0 + cv ** 2
    pct = np.percentile(w, PERCENTILES)
    has_margins = len(margins) > 0
    trim_shift = (float(margins["trim_shift"].abs().max()) if has_margins and "trim_shift" in margins
                  else float("nan"))
    summary = pd.DataFrame([{
        "n": n, "sum_weights": float(w.sum()), "n_eff": n_eff, "design_effect": deff,
        "efficiency": 1.0 / deff, "cv": cv, "min": float(w.min()),
        **{f"p{p}": float(v) for p, v in zip(PERCENTILES, pct)},
        "max": float(w.max()), "max_to_mean": float(w.max() / w.mean()),
        "max_abs_difference": float(margins["difference"].abs().max()) if has_margins else float("nan"),
        "trim_shift": trim_shift,
    }])
    return WeightingReport(margins=margins, summary=summary, n=n, n_eff=n_eff, design_effect=deff,
                           efficiency=1.0 / deff, trim_shift=trim_shift)


# ------------------------------------------------------------------------- checks
def _check_options(cap: Any, trim: Any, max_iter: Any, tol: Any) -> tuple[float | None, tuple | None]:
    if cap is not None:
        try:
            cap = float(cap)
        except (TypeError, ValueError):
            raise CXDataError(f"`cap`={cap!r} must be a number > 1 (the largest weight / mean weight)") from None
        if not (np.isfinite(cap) and cap > 1):
            raise CXDataError(f"`cap`={cap!r} must be a finite number > 1 (the largest weight / mean weight), e.g. 5")
    if trim is not None:
        try:
            low, high = (float(v) for v in trim)
        except (TypeError, ValueError):
            raise CXDataError(f"`trim`={trim!r} must be a pair of quantiles (low, high), e.g. (0.01, 0.99)") from None
        if not 0.0 <= low < high <= 1.0:
            raise CXDataError(f"`trim`={trim!r} must satisfy 0 <= low < high <= 1, e.g. (0.01, 0.99)")
        trim = (low, high)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise CXDataError(f"`max_iter`={max_iter!r} must be a whole number >= 1 (e.g. 100)")
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and 0 < tol < 1):
        raise CXDataError(f"`tol`={tol!r} must be a number between 0 and 1 (e.g. 1e-10)")
    return cap, trim


def _not_converged(margins: list[_Margin], w: np.ndarray, max_iter: int, tol: float, cap: float | None) -> str:
    error, m, i = _max_error(margins, w)
    where = (f"largest for {m.name!r} = {m.levels[i]!r}: weighted {_shares(m, w)[i]:.6g} vs target "
             f"{m.target[i]:.6g}")
    hint = "relax `cap`, raise `max_iter`" if cap is not None else "raise `max_iter`"
    return (f"raking did not converge in {max_iter} iterations: the weighted shares are still up to {error:.3g} "
            f"from the targets (tol={tol:g}; {where}){f' with cap={cap:g}' if cap is not None else ''}; {hint}, "
            "or check that the targets can be met together by this sample (pass strict=False to inspect the "
            "result)")


# ------------------------------------------------------------------------- public
def rake(data: pd.DataFrame, targets: Mapping, *, weights: Any = None, cap: float | None = None,
         trim: tuple[float, float] | None = None, max_iter: int = 100, tol: float = 1e-10,
         strict: bool = True) -> RakingResult:
    """Rake survey weights to population margins (iterative proportional fitting).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, with a column for every variable in ``targets``.
    targets : mapping
        ``{variable: {level: share or count}}``. Shares must sum to 1 (within 1e-6);
        values with one above 1, or all whole numbers, are counts, normalised to shares
        (all count margins must then have the same total); fractions <= 1 that do not sum
        to 1 are an error. A tuple key ``("region", "plan")`` is a crossed margin with tuple
        levels. Every respondent's level needs a target, and every level with a positive
        target needs respondents.
    weights : str or array-like, optional
        Design (starting) weights: a column name, a Series aligned on the index, or an array
        in row order. Only their relative sizes matter (the result does not depend on
        their scale).
    cap : float, optional
        Largest allowed ratio of a weight to the mean weight (e.g. 5). Capped weights are
        raked again (within each step, see Notes) until margins and cap hold together.
    trim : (float, float), optional
        Quantiles ``(low, high)`` at which to trim the raked weights (e.g. (0.01, 0.99)),
        once, after raking; this moves the margins, and the report says by how much.
    max_iter : int, default 100
        Maximum number of sweeps.
    tol : float, default 1e-10
        Convergence: every weighted share within ``tol`` of its target share.
    strict : bool, default True
        Raise when raking does not converge; with False, return the result with
        ``converged=False`` so that its report can be inspected.

    Returns
    -------
    RakingResult
        ``weights`` (mean 1, a Series on the data's index), ``converged``, ``iterations``,
        ``max_error``, ``margins`` and ``report()``.

    Raises
    ------
    CXDataError
        A variable is not a column; missing values in a raking variable; a respondent's
        level has no target or a target level has no respondents; shares not summing to 1
        or count margins with different totals; bad ``cap``/``trim``/``max_iter``/``tol``;
        a ``cap`` too low for a level to reach its target;
        no convergence within ``max_iter`` (the message says how far off it is).

    Notes
    -----
    Starting from the design weights ``d`` scaled to mean 1, each sweep visits every
    margin ``v`` and multiplies the weights of the respondents in level ``l`` by
    ``T_vl · Σw / Σ_{i∈l} w_i`` (``T_vl`` the target share), so that margin then matches
    exactly (Deming & Stephan, 1940). Raking converges to the weights closest to ``d``
    in the raking (multiplicative, Kullback–Leibler) distance among those meeting every
    margin, when such weights exist (Ireland & Kullback, 1968; Deville & Särndal, 1992).
    With ``cap`` (the weights keep mean 1, so the cap is ``w_i <= cap``), a level whose
    weights would exceed it is adjusted to ``min(f · w_i, cap)`` with ``f`` solving
    ``Σ_{i∈l} min(f · w_i, cap) = T_vl · Σw``: the capped weights are re-raked within the
    step, so the cap holds after every step and the sweeps go on until the margins hold
    too (the multiplicative adjustment under an upper bound; capping the weights after
    each whole sweep and raking again, as anesrake does (Pasek, 2016), meets the same two
    conditions in more sweeps). Trimming clips at the weights' quantiles, once after
    raking, and rescales to the same total.

    References
    ----------
    Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of a sampled
    frequency table when the expected marginal totals are known. *Ann. Math. Stat.* 11.
    Ireland, C. T. & Kullback, S. (1968). Contingency tables with given marginals.
    *Biometrika* 55(1). Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey sampling.
    *JASA* 87(418). Battaglia, M. P., Hoaglin, D. C. & Frankel, M. R. (2009). Practical
    considerations in raking survey data. *Survey Practice* 2(5). Pasek, J. (2016).
    anesrake: ANES raking implementation (R package).

    Examples
    --------
    Six basic and four pro customers, targets half and half (regions already balanced):
    basic weights 0.5 · 10 / 6, pro weights 0.5 · 10 / 4.

    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"plan": ["basic"] * 6 + ["pro"] * 4, "region": ["north", "south"] * 5})
    >>> res = cx.rake(df, {"plan": {"basic": 0.5, "pro": 0.5}, "region": {"north": 50, "south": 50}})
    >>> res.weights.round(4).unique().tolist(), res.converged, res.iterations
    ([0.8333, 1.25], True, 1)
    """
    check_frame(data)
    cap, trim = _check_options(cap, trim, max_iter, tol)
    w0 = resolve_weights(data, weights, len(data))
    w0 = np.ones(len(data)) if w0 is None else w0
    margins = _margins(data, targets, w0)
    w, iterations, error = _ipf(margins, w0, cap=cap, max_iter=int(max_iter), tol=float(tol))
    converged = error <= tol
    if not converged and strict:
        raise CXDataError(_not_converged(margins, w, int(max_iter), float(tol), cap))
    before = None
    if trim is not None:
        before, w = w, _trimmed(w, trim)
    return RakingResult(
        weights=pd.Series(w, index=data.index, name="weight"),
        converged=bool(converged), iterations=iterations, max_error=_max_error(margins, w)[0],
        margins=_margins_table(margins, w, before),
        targets={m.key: dict(zip(m.levels, m.target.tolist())) for m in margins},
        method="raking", cap=cap, trim=trim,
        weights_before_trim=None if before is None else pd.Series(before, index=data.index, name="weight"),
    )


def poststratify(data: pd.DataFrame, targets: Mapping, *, by: str | list[str], weights: Any = None) -> RakingResult:
    """Post-stratify survey weights to population cells of one (possibly crossed) variable.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    targets : mapping or Series
        ``{cell: share or count}``: with one ``by`` column, cells are its levels; with
        several, tuples of levels in the order of ``by`` (a Series with a MultiIndex, such
        as ``population.value_counts(["region", "plan"])``, works as it is). Shares must sum
        to 1 (within 1e-6); counts (a value above 1, or all whole numbers) are normalised.
    by : str or list of str
        The column, or the columns crossed into cells.
    weights : str or array-like, optional
        Design weights (column name, Series aligned on the index, or array).

    Returns
    -------
    RakingResult
        With ``method="post-stratification"`` and ``iterations=1``.

    Raises
    ------
    CXDataError
        Cells with a target but no respondents (named), respondents in cells without a
        target, missing values in ``by``, shares not summing to 1.

    Notes
    -----
    ``w_i = d_i · T_c · Σd / Σ_{j∈c} d_j`` for respondent ``i`` in cell ``c`` with target share
    ``T_c``, then scaled to mean 1: within each cell the design weights keep their ratios
    and the cell's weighted share equals its target (Holt & Smith, 1979). It is raking
    with a single margin, which converges in one sweep.

    References
    ----------
    Holt, D. & Smith, T. M. F. (1979). Post stratification. *JRSS A* 142(1), 33–46.

    Examples
    --------
    Three of four respondents are "basic" but the population is half "basic":

    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"plan": ["basic", "basic", "basic", "pro"]})
    >>> cx.poststratify(df, {"basic": 0.5, "pro": 0.5}, by="plan").weights.round(4).tolist()
    [0.6667, 0.6667, 0.6667, 2.0]
    """
    cols = column_list(by, argument="by")
    check_columns(data, cols, argument="by")
    key = cols[0] if len(cols) == 1 else tuple(cols)
    if isinstance(targets, pd.Series):
        targets = targets.to_dict()
    result = rake(data, {key: targets}, weights=weights, max_iter=1, tol=1e-8)
    return replace(result, method="post-stratification")


def weighting_report(data: pd.DataFrame, weights: Any, targets: Mapping | None = None) -> WeightingReport:
    """Diagnostics of survey weights: margins vs targets, Kish design effect and effective
    base, the distribution of the weights, and how much trimming moved the margins.

    Parameters
    ----------
    data : DataFrame
        The respondents the weights belong to.
    weights : RakingResult, str or array-like
        A :class:`RakingResult` (its targets and trimming are used), a weights column, a
        Series aligned on the index, or an array in row order.
    targets : mapping, optional
        ``{variable: {level: share or count}}`` as for :func:`rake`; defaults to the
        result's targets. Without targets the margins table is empty.

    Returns
    -------
    WeightingReport
        ``margins`` (weighted vs target per variable and level, with the difference and,
        after trimming, the shift it caused) and the one-row ``summary`` (``n``, ``n_eff``,
        ``design_effect``, ``efficiency``, ``cv``, min, percentiles 1/5/50/95/99, max,
        ``max_to_mean``, ``max_abs_difference``, ``trim_shift``).

    Notes
    -----
    With ``n`` respondents and weights ``w``: ``CV² = var(w) / mean(w)²`` (population
    variance), Kish design effect ``deff = 1 + CV² = n Σw² / (Σw)²``, effective sample size
    ``n_eff = (Σw)² / Σw² = n / deff``, weighting efficiency ``1 / deff = n_eff / n``. The
    ``n_eff`` is the base that cxlib's weighted estimates (``cx.nps(..., weights=w)``) use
    for their intervals.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley. Kish, L. (1992). Weighting for unequal Pi.
    *Journal of Official Statistics* 8(2), 183–200.

    Examples
    --------
    Weights 1, 1, 1, 3: Σw = 6, Σw² = 12, so n_eff = 36 / 12 = 3 and deff = 4 / 3.

    >>> import pandas as pd, cxlib as cx
    >>> rep = cx.weighting_report(pd.DataFrame({"x": [1, 2, 3, 4]}), [1, 1, 1, 3])
    >>> rep.n_eff, round(rep.design_effect, 4), rep.efficiency
    (3.0, 1.3333, 0.75)
    """
    check_frame(data)
    before = None
    if isinstance(weights, RakingResult):
        targets = weights.targets if targets is None else targets
        before, weights = weights.weights_before_trim, weights.weights
    w = resolve_weights(data, weights, len(data))
    if w is None:
        raise CXDataError("`weights` is required: a RakingResult, a weights column, or the weights themselves")
    if targets is None:
        return _report(w, pd.DataFrame(columns=list(MARGIN_COLUMNS)))
    margins = _margins(data, targets, np.ones(len(data)))
    before_w = None if before is None else resolve_weights(data, before, len(data))
    return _report(w, _margins_table(margins, w, before_w))
