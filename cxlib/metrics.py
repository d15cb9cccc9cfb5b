"""Survey metrics with inference: NPS, top-box shares (CSAT, CES), means.

Each function validates its scores, reduces them to sufficient statistics and estimates
from those (:mod:`cxlib.sufficient`); :func:`cxlib.by_group` (:mod:`cxlib.grouping`) runs
the same code per group, so ``nps(data)`` equals ``by_group`` with one group.

Conventions
-----------
* NPS and its interval are in **points** (−100 … 100); the category shares
  (``promoters``, ``passives``, ``detractors``) are proportions 0–1.
* Top-box shares (:func:`top_box`, :func:`csat`, :func:`ces`) are **proportions 0–1**,
  never percent.
* Weighted estimates use weighted shares / means and the Kish effective sample size
  ``n_eff = (Σw)² / Σw²`` in place of n; the result's ``method`` says so. ``n`` is
  always the number of rows used (non-missing scores).
* Declared missing codes (``missing=[0]`` for "not applicable", or the codes of a
  study's scale) are missing: dropped like blanks, counted in ``n_missing`` and, on
  their own, in ``n_missing_codes``. ``missing`` is a sequence of codes or a dict
  column -> codes; ``scale`` may also be a dict column -> (low, high) or a study scale
  (whose codes are added).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import engines
from .core.checks import check_confidence_level, check_min_base
from .core.results import Estimate
from .errors import CXDataError, SmallBaseWarning
from .sufficient import (
    _diff,
    _prepare_ces,
    _prepare_csat,
    _prepare_mean,
    _prepare_nps,
    _prepare_top_box,
    _reduce,
    not_estimable,
    one_sample,
)


def _sample(data: Any, metric: str, prepare: Any, level: float, options: dict) -> tuple[Any, dict[str, Any]]:
    """A one-sample result's fields: from the rows of a pandas frame or array, or computed in
    the engine that holds ``data`` (polars, pyarrow, DuckDB, Spark; :mod:`cxlib.engines`)."""
    if engines.is_engine_frame(data):
        prep, st = engines.one_sample_statistics(data, metric, options)
        return prep, one_sample(prep, level, st)
    prep = prepare(data, **options)
    return prep, one_sample(prep, level)

# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class NPSResult(Estimate):
    """Net Promoter Score in points with its interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    n_missing : int
        Rows whose score was missing (dropped), declared missing codes included.
    n_missing_codes : int
        Of those, rows holding a declared missing code (``missing=``; 0 when none is
        declared).
    promoters, passives, detractors : float
        Shares 0–1 (weighted when weights are given); they sum to 1.
    n_promoters, n_passives, n_detractors : int
        Unweighted row counts per category.
    ci_low_mc_se, ci_high_mc_se : float or None
        ``method="bootstrap"`` only (``None`` otherwise, and then not in ``to_frame()``): the
        Monte-Carlo standard errors of the interval bounds, how much each would move in a
        run with another seed (:func:`~cxlib.core.inference.percentile_bound_mc_error`).
    """

    n_eff: float
    n_missing: int
    n_missing_codes: int
    promoters: float
    passives: float
    detractors: float
    n_promoters: int
    n_passives: int
    n_detractors: int
    ci_low_mc_se: float | None = None
    ci_high_mc_se: float | None = None
    small_base: bool = False
    min_base: float = 30.0

    def to_frame(self) -> pd.DataFrame:
        """A tidy one-row frame of every field (the Monte-Carlo errors only with a bootstrap
        interval, as in :func:`cxlib.by_group`)."""
        frame = super().to_frame()
        if self.ci_low_mc_se is None:
            frame = frame.drop(columns=["ci_low_mc_se", "ci_high_mc_se"])
        return frame


@dataclass(frozen=True)
class ProportionResult(Estimate):
    """A top-box share (proportion 0–1) with a Wilson score interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    n_missing : int
        Rows whose score was missing (dropped), declared missing codes included.
    n_missing_codes : int
        Of those, rows holding a declared missing code (``missing=``; 0 when none is
        declared).
    n_top : int
        Unweighted rows in the top box.
    top_low, top_high : float
        The scale points counted as "top" (inclusive range).
    """

    n_eff: float
    n_missing: int
    n_missing_codes: int
    n_top: int
    top_low: float
    top_high: float
    small_base: bool = False
    min_base: float = 30.0


@dataclass(frozen=True)
class MeanResult(Estimate):
    """A (weighted) mean score with a t interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    n_missing : int
        Rows whose score was missing (dropped), declared missing codes included.
    n_missing_codes : int
        Of those, rows holding a declared missing code (``missing=``; 0 when none is
        declared).
    std_dev : float
        Standard deviation of the scores (weighted, with ``n_eff − 1`` in the
        denominator on the effective-n scale; the usual sample SD when unweighted).
    df : float
        Degrees of freedom of the t interval (``n_eff − 1``).
    """

    n_eff: float
    n_missing: int
    n_missing_codes: int
    std_dev: float
    df: float
    small_base: bool = False
    min_base: float = 30.0


@dataclass(frozen=True)
class NPSComparison(Estimate):
    """Signed difference of two NPS, ``a − b``, in points.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    statistic : float
        z = (NPS_a − NPS_b) / SE_diff.
    p_value : float
        Two-sided p-value of z under the standard normal.
    nps_a, nps_b : NPSResult
        The two samples' own results. ``n`` is ``n_a + n_b``.
    """

    statistic: float
    p_value: float
    nps_a: NPSResult
    nps_b: NPSResult
    small_base: bool = False
    min_base: float = 30.0

    def to_frame(self) -> pd.DataFrame:
        """One row: the difference, then each sample's NPS, std_err and n."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(Estimate)}
        row.update(statistic=self.statistic, p_value=self.p_value, small_base=self.small_base,
                   min_base=self.min_base)
        for tag, r in (("a", self.nps_a), ("b", self.nps_b)):
            row.update({f"estimate_{tag}": r.estimate, f"std_err_{tag}": r.std_err,
                        f"n_{tag}": r.n, f"n_eff_{tag}": r.n_eff})
        return pd.DataFrame([row])


# ------------------------------------------------------------------ public: samples
def _flagged(row: dict[str, Any], min_base: Any, what: str) -> dict[str, Any]:
    """Add ``small_base``/``min_base`` to a one-sample result and warn about a thin base
    or an interval the data cannot give (a :class:`SmallBaseWarning` either way)."""
    min_base = check_min_base(min_base)
    small = not row["n_eff"] >= min_base
    if small:
        warnings.warn(f"{what} rests on a base of "
                      f"{row['n_eff']:.4g} (n_eff when weighted) < min_base={min_base}; it is flagged small_base",
                      SmallBaseWarning, stacklevel=3)
    if not_estimable(row):
        warnings.warn(f"{what}: no interval, the data cannot estimate one (a single response, or every "
                      "response in the same category, has no variance)", SmallBaseWarning, stacklevel=3)
    return {**row, "small_base": small, "min_base": float(min_base)}



def nps(data: Any, *, score: str | None = "ltr", weights: Any = None, confidence_level: float = 0.95,
        method: str = "wald", n_boot: int = 2000, seed: Any = 0, min_base: int = 30,
        missing: Any = ()) -> NPSResult:
    """Net Promoter Score (points, −100 … 100) with a confidence interval.

    Parameters
    ----------
    data : DataFrame or 1-D array-like
        Survey responses, or the 0–10 scores themselves; or a polars, pyarrow, DuckDB or
        Spark table (the counts are computed in that engine: :mod:`cxlib.engines`).
    score : str, default "ltr"
        Column with likelihood-to-recommend scores, integers 0–10 (missing allowed:
        dropped and counted in ``n_missing``).
    weights : str or array-like, optional
        Survey weights (column name or array, >= 0).
    confidence_level : float, default 0.95
    min_base : int, default 30
        Minimum base (n, or Kish n_eff when weighted): below it the result is flagged
        ``small_base`` and a :class:`~cxlib.SmallBaseWarning` is issued. With no variance
        (one response, or all in one category) there is no interval (NaN), with a warning.
    method : {"wald", "adjusted_wald", "bootstrap"}, default "wald"
        Interval method (see Notes).
    n_boot : int, default 2000
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int, default 0
        Seeds the bootstrap (the same seed gives the same interval).
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` = "not applicable"): set missing, dropped and
        counted (``n_missing_codes``); or a dict column -> codes.

    Returns
    -------
    NPSResult
        ``estimate`` (NPS points), ``std_err``, ``ci_low``, ``ci_high``, ``n`` (rows with a
        score), ``n_eff``, ``n_missing``, ``n_missing_codes``, shares
        ``promoters``/``passives``/``detractors`` (0–1) and their row counts.

    Raises
    ------
    CXDataError
        Unknown column; text labels; non-integer scores or scores outside 0–10; all
        scores missing; empty data; negative or missing weights; bad ``confidence_level``
        or ``method``.

    Notes
    -----
    Promoters score 9–10, passives 7–8, detractors 0–6; NPS = 100 (p_P − p_D). The
    per-respondent variance of the +1/0/−1 codes is ``Var = (p_P + p_D) − (p_P − p_D)²``
    and ``SE = 100 sqrt(Var / n)``.

    * ``"wald"``: NPS ± z SE.
    * ``"adjusted_wald"``: add 0.75 detractors, 1.5 passives and 0.75 promoters
      (n + 3) and compute the Wald interval from the adjusted shares; ``std_err`` is the
      adjusted SE, and ``estimate`` stays the raw NPS (so it can lie outside the interval
      for tiny n).
    * ``"bootstrap"``: percentile interval of NPS over ``n_boot`` draws from the
      multinomial(n; p_D, p_Pa, p_P) of the three counts (identical in distribution to
      resampling rows, but O(n_boot) instead of O(n_boot × n)); ``std_err`` is the SD of
      the draws, and ``ci_low_mc_se``/``ci_high_mc_se`` the Monte-Carlo standard errors
      of the bounds (Efron & Tibshirani 1993, ch. 19: the spread of a bound between runs
      with other seeds, from the spacing of the draws around it).

    With weights, shares are weighted and the Kish effective sample size
    ``n_eff = (Σw)² / Σw²`` replaces n (the bootstrap draws ``round(n_eff)``). Interval
    bounds are truncated to [−100, 100].

    References
    ----------
    Rocks, B. (2016). Interval estimation for the net promoter score. *The American
    Statistician*, 70(4), 365–372.

    Examples
    --------
    >>> import cxlib as cx
    >>> r = cx.nps([10, 9, 8, 7, 3])
    >>> r.estimate, r.promoters, r.detractors
    (20.0, 0.4, 0.2)
    >>> round(r.std_err, 4)  # 100 * sqrt((0.6 - 0.2**2) / 5)
    33.4664
    >>> round(r.ci_low, 2), round(r.ci_high, 2)
    (-45.59, 85.59)
    """
    level = check_confidence_level(confidence_level)
    options = dict(score=score, weights=weights, method=method, n_boot=n_boot, seed=seed, missing=missing)
    prep, row = _sample(data, "nps", _prepare_nps, level, options)
    return NPSResult(**_flagged(row, min_base, f"NPS of {prep.column!r}"))


def compare_nps(a: Any, b: Any, *, score: str | None = "ltr", weights: Any = None,
                confidence_level: float = 0.95, min_base: int = 30, missing: Any = ()) -> NPSComparison:
    """Signed difference of two independent NPS, ``a − b``, with a z test.

    Parameters
    ----------
    a, b : DataFrame or 1-D array-like
        The two samples (e.g. two waves or two segments), or their 0–10 scores.
    score : str, default "ltr"
        Score column in both frames.
    weights : str, or a pair (weights_a, weights_b), optional
        A column name present in both frames, or one weight array per sample.
    confidence_level : float, default 0.95
    min_base : int, default 30
        Minimum base (n, or Kish n_eff when weighted): below it the result is flagged
        ``small_base`` and a :class:`~cxlib.SmallBaseWarning` is issued. With no variance
        (one response, or all in one category) there is no interval (NaN), with a warning.
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` = "not applicable"): set missing, dropped and
        counted (``n_missing_codes``); or a dict column -> codes.

    Returns
    -------
    NPSComparison
        ``estimate`` = NPS_a − NPS_b (points, signed), ``std_err``, ``ci_low``,
        ``ci_high``, ``statistic`` (z), ``p_value`` (two-sided), ``nps_a``, ``nps_b``.

    Notes
    -----
    ``SE_diff = 100 sqrt(Var_a / n_a + Var_b / n_b)`` with the Wald variance of
    :func:`nps` (Kish n_eff when weighted); interval Δ ± z SE_diff;
    ``p = 2 (1 − Φ(|Δ| / SE_diff))``. The interval is built around the signed Δ, not
    |Δ| (unlike the two-sample interval of the R package NPS).

    References
    ----------
    Rocks, B. (2016). Interval estimation for the net promoter score. *The American
    Statistician*, 70(4), 365–372.

    Examples
    --------
    >>> import cxlib as cx
    >>> d = cx.compare_nps([10, 9, 8, 7, 3], [10, 6, 6, 6, 8])
    >>> d.nps_a.estimate, d.nps_b.estimate, d.estimate
    (20.0, -40.0, 60.0)
    """
    level = check_confidence_level(confidence_level)
    if weights is None or isinstance(weights, str):
        wa = wb = weights
    elif isinstance(weights, (tuple, list)) and len(weights) == 2:
        wa, wb = weights
    else:
        raise CXDataError("`weights` must be a column name or a pair (weights_a, weights_b)")
    pa = _prepare_nps(a, score=score, weights=wa, missing=missing)
    pb = _prepare_nps(b, score=score, weights=wb, missing=missing)
    if pa.weighted != pb.weighted:
        raise CXDataError("`weights`: give weights for both samples or for neither")
    sa, sb = _reduce(pa, None, 1), _reduce(pb, None, 1)
    ra = NPSResult(**_flagged(one_sample(pa, level), min_base, "NPS of `a`"))
    rb = NPSResult(**_flagged(one_sample(pb, level), min_base, "NPS of `b`"))
    d, se, lo, hi, zstat, p = _diff(pa, sa, sb, level)
    return NPSComparison(
        estimate=float(d[0]), std_err=float(se[0]), ci_low=float(lo[0]), ci_high=float(hi[0]),
        n=ra.n + rb.n, confidence_level=level,
        method="difference a - b, Wald SE sqrt(Var_a/n_a + Var_b/n_b), z test"
        + (" (Kish n_eff, weighted shares)" if pa.weighted else ""),
        statistic=float(zstat[0]), p_value=float(p[0]), nps_a=ra, nps_b=rb,
        small_base=ra.small_base or rb.small_base, min_base=ra.min_base,
    )


def top_box(data: Any, *, score: str | None, top: Any = None, scale: Any = None, weights: Any = None,
            confidence_level: float = 0.95, min_base: int = 30, missing: Any = ()) -> ProportionResult:
    """Share of responses in the top box (proportion 0–1) with a Wilson interval.

    Parameters
    ----------
    data : DataFrame or 1-D array-like
    score : str
        Column of integer scale points (missing allowed: dropped and counted).
    top : (low, high) or number
        The top box: an inclusive range of scale points, e.g. ``(4, 5)``; or a single
        threshold ``t`` meaning ``score >= t``.
    scale : (low, high)
        The scale's end points, e.g. ``(1, 5)``; scores outside raise. Also a dict
        column -> (low, high) or a study scale (its missing codes are added).
    weights : str or array-like, optional
    confidence_level : float, default 0.95
    min_base : int, default 30
        Minimum base (n, or Kish n_eff when weighted): below it the result is flagged
        ``small_base`` and a :class:`~cxlib.SmallBaseWarning` is issued. With no variance
        (one response, or all in one category) there is no interval (NaN), with a warning.
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` = "not applicable"): set missing, dropped and
        counted (``n_missing_codes``); or a dict column -> codes.

    Returns
    -------
    ProportionResult
        ``estimate`` is a proportion 0–1; ``n_top`` the unweighted count in the box.

    Notes
    -----
    Wilson score interval with ``b`` = n (or Kish n_eff with weights):
    ``(p + z²/2b ± z sqrt(p(1−p)/b + z²/4b²)) / (1 + z²/b)``. ``std_err`` is the Wald
    ``sqrt(p(1−p)/b)``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA*, 22(158), 209–212.

    Examples
    --------
    >>> import cxlib as cx
    >>> r = cx.top_box([5, 4, 3, 2, 5], score="osat", top=(4, 5), scale=(1, 5))
    >>> r.estimate, r.n_top
    (0.6, 3)
    """
    level = check_confidence_level(confidence_level)
    options = dict(score=score, top=top, scale=scale, weights=weights, missing=missing)
    prep, row = _sample(data, "top_box", _prepare_top_box, level, options)
    return ProportionResult(**_flagged(row, min_base, f"Top-box share of {prep.column!r}"))


def csat(data: Any, *, score: str | None = "osat", top: int = 2, scale: Any = (1, 5), weights: Any = None,
         confidence_level: float = 0.95, min_base: int = 30, missing: Any = ()) -> ProportionResult:
    """CSAT: top-``top``-box share (proportion 0–1) of a satisfaction scale.

    The top box is the highest ``top`` scale points (top-2 of 1–5: 4 and 5). Interval
    and weighting as in :func:`top_box`; declared ``missing`` codes are dropped and
    counted (``n_missing_codes``).

    Examples
    --------
    >>> import cxlib as cx
    >>> r = cx.csat([5, 4, 3, 2, 5])
    >>> r.estimate, r.top_low, r.top_high
    (0.6, 4.0, 5.0)
    """
    level = check_confidence_level(confidence_level)
    options = dict(score=score, top=top, scale=scale, weights=weights, missing=missing)
    prep, row = _sample(data, "csat", _prepare_csat, level, options)
    return ProportionResult(**_flagged(row, min_base, f"Top-box share of {prep.column!r}"))


def ces(data: Any, *, score: str | None = "ces", easy: Any = (5, 7), scale: Any = (1, 7), weights: Any = None,
        confidence_level: float = 0.95, min_base: int = 30, missing: Any = ()) -> ProportionResult:
    """CES: share (proportion 0–1) of "easy" answers on the customer-effort scale.

    ``easy`` is an inclusive range of scale points (default 5–7 on 1–7) or a threshold
    (``score >= easy``). Interval, weighting and declared ``missing`` codes as in
    :func:`top_box`.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.ces([7, 6, 5, 4, 1]).estimate
    0.6
    """
    level = check_confidence_level(confidence_level)
    options = dict(score=score, easy=easy, scale=scale, weights=weights, missing=missing)
    prep, row = _sample(data, "ces", _prepare_ces, level, options)
    return ProportionResult(**_flagged(row, min_base, f"Top-box share of {prep.column!r}"))


def mean_score(data: Any, *, score: str | None, scale: Any = None, weights: Any = None,
               confidence_level: float = 0.95, min_base: int = 30, missing: Any = ()) -> MeanResult:
    """Mean score with a t interval.

    Parameters
    ----------
    data : DataFrame or 1-D array-like
    score : str
        Numeric score column (missing allowed: dropped and counted).
    scale : (low, high), optional
        If given, scores outside it raise.
    weights : str or array-like, optional
    confidence_level : float, default 0.95
    min_base : int, default 30
        Minimum base (n, or Kish n_eff when weighted): below it the result is flagged
        ``small_base`` and a :class:`~cxlib.SmallBaseWarning` is issued. With no variance
        (one response, or all in one category) there is no interval (NaN), with a warning.
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` = "not applicable"): set missing, dropped and
        counted (``n_missing_codes``); or a dict column -> codes.

    Notes
    -----
    Unweighted: mean ± t_{n−1} s / sqrt(n). Weighted: the weighted mean
    ``m = Σwx / Σw``; with ``b = n_eff = (Σw)²/Σw²``, ``s² = Σw(x − m)²/Σw · b/(b − 1)``,
    ``SE = s / sqrt(b)`` and df = b − 1 (equal to statsmodels ``DescrStatsW`` with
    weights rescaled to sum to n_eff). Reduces to the usual interval when all weights
    are equal.

    Examples
    --------
    >>> import cxlib as cx
    >>> r = cx.mean_score([1, 2, 3, 4, 5], score="osat")
    >>> r.estimate, round(r.std_err, 4)  # sqrt(2.5 / 5)
    (3.0, 0.7071)
    """
    level = check_confidence_level(confidence_level)
    options = dict(score=score, scale=scale, weights=weights, missing=missing)
    prep, row = _sample(data, "mean_score", _prepare_mean, level, options)
    return MeanResult(**_flagged(row, min_base, f"Mean of {prep.column!r}"))

