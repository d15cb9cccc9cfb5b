"""Survey metrics with inference: NPS, top-box shares (CSAT, CES), means, by group.

Every metric is computed in two steps, and the single-sample functions and
:func:`by_group` share both:

1. a *reducer* turns rows into per-group **sufficient statistics** in one pass over
   integer group codes with :func:`numpy.bincount` (counts of promoters / passives /
   detractors and their weighted sums; or n, Σw, Σw², Σwx, Σwx² for means);
2. a vectorised *estimator* computes point estimates, standard errors and intervals
   from that small table.

``nps(data)`` is ``by_group`` with one group. Because the statistics are additive,
"each group vs the rest" is a subtraction from the total, and the same estimator can
run on counts produced by SQL (DuckDB, Spark).

Conventions
-----------
* NPS and its interval are in **points** (−100 … 100); the category shares
  (``promoters``, ``passives``, ``detractors``) are proportions 0–1.
* Top-box shares (:func:`top_box`, :func:`csat`, :func:`ces`) are **proportions 0–1**,
  never percent.
* Weighted estimates use weighted shares / means and the Kish effective sample size
  ``n_eff = (Σw)² / Σw²`` in place of n; the result's ``method`` says so. ``n`` is
  always the number of rows used (non-missing scores).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .core.checks import (
    show_values,
    as_series,
    check_columns,
    check_confidence_level,
    numeric_scores,
    resolve_weights,
)
from .core.inference import normal_quantile, wilson_interval
from .errors import CXDataError, SmallBaseWarning
from .core.results import Estimate

__all__ = [
    "NPSResult",
    "NPSComparison",
    "ProportionResult",
    "MeanResult",
    "nps",
    "compare_nps",
    "top_box",
    "csat",
    "ces",
    "mean_score",
    "by_group",
    "suppress_small_bases",
]

NPS_METHODS = ("wald", "adjusted_wald", "bootstrap")
CORRECTIONS = ("fdr_bh", "fdr_by", "bonferroni", "holm", None)

# score 0..10 -> 0 detractor, 1 passive, 2 promoter; index 11 is "missing" (3)
_NPS_LUT = np.array([0] * 7 + [1] * 2 + [2] * 2 + [3], dtype=np.int8)
_NPS_NCAT = 4  # detractor, passive, promoter, missing
_PROP_NCAT = 3  # not top, top, missing


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class NPSResult(Estimate):
    """Net Promoter Score in points with its interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    n_missing : int
        Rows whose score was missing (dropped).
    promoters, passives, detractors : float
        Shares 0–1 (weighted when weights are given); they sum to 1.
    n_promoters, n_passives, n_detractors : int
        Unweighted row counts per category.
    """

    n_eff: float
    n_missing: int
    promoters: float
    passives: float
    detractors: float
    n_promoters: int
    n_passives: int
    n_detractors: int


@dataclass(frozen=True)
class ProportionResult(Estimate):
    """A top-box share (proportion 0–1) with a Wilson score interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    n_missing : int
        Rows whose score was missing (dropped).
    n_top : int
        Unweighted rows in the top box.
    top_low, top_high : float
        The scale points counted as "top" (inclusive range).
    """

    n_eff: float
    n_missing: int
    n_top: int
    top_low: float
    top_high: float


@dataclass(frozen=True)
class MeanResult(Estimate):
    """A (weighted) mean score with a t interval.

    Attributes (beyond :class:`~cxlib.core.results.Estimate`)
    ----------------------------------------------------
    n_eff : float
        Kish effective sample size (equals ``n`` when unweighted).
    n_missing : int
        Rows whose score was missing (dropped).
    std_dev : float
        Standard deviation of the scores (weighted, with ``n_eff − 1`` in the
        denominator on the effective-n scale; the usual sample SD when unweighted).
    df : float
        Degrees of freedom of the t interval (``n_eff − 1``).
    """

    n_eff: float
    n_missing: int
    std_dev: float
    df: float


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

    def to_frame(self) -> pd.DataFrame:
        """One row: the difference, then each sample's NPS, std_err and n."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(Estimate)}
        row.update(statistic=self.statistic, p_value=self.p_value)
        for tag, r in (("a", self.nps_a), ("b", self.nps_b)):
            row.update({f"estimate_{tag}": r.estimate, f"std_err_{tag}": r.std_err,
                        f"n_{tag}": r.n, f"n_eff_{tag}": r.n_eff})
        return pd.DataFrame([row])


# ------------------------------------------------------------------ prepared inputs
@dataclass
class _Prepared:
    """Validated per-row inputs of one metric, ready for a reducer."""

    kind: str  # "nps" | "proportion" | "mean"
    column: str
    values: np.ndarray  # category codes (nps, proportion) or float scores with NaN (mean)
    weights: np.ndarray | None
    options: dict



def _integer_scores(values: pd.Series, name: str, low: float, high: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer scores in [low, high] as an int array plus a missing mask (or None).

    Fast path for integer dtypes (min/max only); other dtypes go through
    :func:`cxlib.core.checks.numeric_scores`.
    """
    if len(values) == 0:
        raise CXDataError(f"column {name!r} is empty: no rows to analyse")
    dtype = values.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        arr = values.to_numpy()
        lo, hi = arr.min(), arr.max()
        if lo < low or hi > high:
            bad_mask = (arr < low) | (arr > high)
            bad = np.unique(arr[bad_mask])
            raise CXDataError(
                f"column {name!r} has {int(bad_mask.sum())} value(s) outside the scale "
                f"{low:g}–{high:g}: {show_values(bad)}"
            )
        return arr, None
    arr = numeric_scores(values, name, low=low, high=high, integer=True)
    missing = np.isnan(arr)
    if not missing.any():
        return arr.astype(np.int64), None
    filled = np.where(missing, low, arr).astype(np.int64)
    return filled, missing


def _prepare_nps(data: Any, *, score: str | None = "ltr", weights: Any = None,
                 method: str = "wald", n_boot: int = 2000, seed: Any = None) -> _Prepared:
    if method not in NPS_METHODS:
        raise CXDataError(f"`method`={method!r} is not an NPS interval method; valid: {list(NPS_METHODS)}")
    if method == "bootstrap" and (not isinstance(n_boot, (int, np.integer)) or n_boot < 100):
        raise CXDataError(f"`n_boot`={n_boot!r} must be an integer >= 100")
    values, name = as_series(data, score, argument="score")
    arr, missing = _integer_scores(values, name, 0, 10)
    if missing is not None:
        arr = np.where(missing, 11, arr)
    cats = _NPS_LUT[arr]
    w = resolve_weights(data, weights, len(values))
    return _Prepared("nps", name, cats, w, dict(method=method, n_boot=int(n_boot), seed=seed))


def _top_range(top: Any, scale: tuple[float, float], argument: str) -> tuple[float, float]:
    low, high = scale
    if isinstance(top, (tuple, list)) and len(top) == 2:
        t_low, t_high = float(top[0]), float(top[1])
    elif isinstance(top, (int, float, np.integer, np.floating)) and not isinstance(top, bool):
        t_low, t_high = float(top), float(high)
    else:
        raise CXDataError(
            f"`{argument}`={top!r} must be an inclusive range (low, high) of scale points "
            f"or a single threshold (score >= threshold)"
        )
    if not (low <= t_low <= t_high <= high):
        raise CXDataError(f"`{argument}`={top!r} is not within the scale {low:g}–{high:g}")
    return t_low, t_high


def _check_scale(scale: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise CXDataError(f"`scale`={scale!r} must be a pair (low, high), e.g. (1, 5)") from None
    if not low < high:
        raise CXDataError(f"`scale`={scale!r} must have low < high")
    return low, high


def _prepare_top_box(data: Any, *, score: str | None = None, top: Any = None,
                     scale: Any = None, weights: Any = None, _argument: str = "top") -> _Prepared:
    if scale is None:
        raise CXDataError("`scale` is required for a top-box share, e.g. scale=(1, 5)")
    if top is None:
        raise CXDataError(f"`{_argument}` is required, e.g. (4, 5) or a threshold like 4")
    low, high = _check_scale(scale)
    t_low, t_high = _top_range(top, (low, high), _argument)
    values, name = as_series(data, score, argument="score")
    arr, missing = _integer_scores(values, name, low, high)
    cats = ((arr >= t_low) & (arr <= t_high)).astype(np.int8)
    if missing is not None:
        cats[missing] = 2
    w = resolve_weights(data, weights, len(values))
    return _Prepared("proportion", name, cats, w, dict(top_low=t_low, top_high=t_high))


def _prepare_csat(data: Any, *, score: str | None = "osat", top: int = 2,
                  scale: Any = (1, 5), weights: Any = None) -> _Prepared:
    low, high = _check_scale(scale)
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= high - low + 1:
        raise CXDataError(f"`top`={top!r} must be the number of top scale points (1–{int(high - low + 1)})")
    return _prepare_top_box(data, score=score, top=(high - top + 1, high), scale=(low, high), weights=weights)


def _prepare_ces(data: Any, *, score: str | None = "ces", easy: Any = (5, 7),
                 scale: Any = (1, 7), weights: Any = None) -> _Prepared:
    return _prepare_top_box(data, score=score, top=easy, scale=scale, weights=weights, _argument="easy")


def _prepare_mean(data: Any, *, score: str | None = None, scale: Any = None, weights: Any = None) -> _Prepared:
    values, name = as_series(data, score, argument="score")
    if scale is not None:
        low, high = _check_scale(scale)
        arr = numeric_scores(values, name, low=low, high=high)
    else:
        arr = numeric_scores(values, name)
    w = resolve_weights(data, weights, len(values))
    return _Prepared("mean", name, arr, w, dict(scale=scale))


# ------------------------------------------------------------------------- reducers
def _reduce(prep: _Prepared, codes: np.ndarray | None, n_groups: int) -> dict[str, np.ndarray]:
    """Rows -> per-group sufficient statistics (arrays of length ``n_groups``).

    ``codes`` are group ids in ``0 .. n_groups-1`` (``None``: one group).
    """
    if prep.kind == "mean":
        return _reduce_moments(prep.values, prep.weights, codes, n_groups)
    ncat = _NPS_NCAT if prep.kind == "nps" else _PROP_NCAT
    return _reduce_categories(prep.values, ncat, prep.weights, codes, n_groups)


def _reduce_categories(cats, ncat, w, codes, n_groups):
    """Counts (and weighted sums Σw, Σw²) per group × category; last category = missing."""
    key = cats if codes is None else codes * ncat + cats
    size = n_groups * ncat
    counts = np.bincount(key, minlength=size).reshape(n_groups, ncat).astype(np.float64)
    out = {"count": counts}
    if w is not None:
        out["wsum"] = np.bincount(key, weights=w, minlength=size).reshape(n_groups, ncat)
        out["w2sum"] = np.bincount(key, weights=w * w, minlength=size).reshape(n_groups, ncat)
    return out


def _reduce_moments(x, w, codes, n_groups):
    """n, n_missing, Σw, Σw², Σw(x−c), Σw(x−c)² per group (c: overall mean, for stability)."""
    missing = np.isnan(x)
    c = float(np.mean(x[~missing]))
    d = np.where(missing, 0.0, x - c)
    g = np.zeros(len(x), dtype=np.intp) if codes is None else codes
    ok = (~missing).astype(np.float64)
    n = np.bincount(g, weights=ok, minlength=n_groups)
    rows = np.bincount(g, minlength=n_groups).astype(np.float64)
    ww = ok if w is None else np.where(missing, 0.0, w)
    out = {
        "n": n,
        "n_missing": rows - n,
        "sw": n if w is None else np.bincount(g, weights=ww, minlength=n_groups),
        "sw2": n if w is None else np.bincount(g, weights=ww * ww, minlength=n_groups),
        "swd": np.bincount(g, weights=ww * d, minlength=n_groups),
        "swdd": np.bincount(g, weights=ww * d * d, minlength=n_groups),
        "shift": np.full(n_groups, c),
    }
    return out


def _stat_rows(st: dict[str, np.ndarray]) -> np.ndarray:
    """Rows (incl. missing scores) per group, used to drop groups with no rows."""
    if "count" in st:
        return st["count"].sum(axis=1)
    return st["n"] + st["n_missing"]


def _take(st: dict, idx: np.ndarray) -> dict:
    return {k: v[idx] for k, v in st.items()}


def _rest(st: dict) -> dict:
    """Statistics of "all other rows" per group: total minus the group (they are additive)."""
    out = {}
    for k, v in st.items():
        out[k] = v if k == "shift" else v.sum(axis=0, keepdims=True) - v
    return out


# ----------------------------------------------------------------------- estimators
def _bases(st: dict, n_key: np.ndarray, weighted: bool):
    """n (rows used) and the base of the variance: n, or Kish n_eff when weighted."""
    if not weighted:
        return n_key, n_key.astype(np.float64)
    sw, sw2 = st["_sw"], st["_sw2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(sw2 > 0, sw * sw / np.where(sw2 > 0, sw2, 1.0), 0.0)
    return n_key, n_eff


def _nps_core(st: dict, weighted: bool):
    cnt = st["count"]
    n = cnt[:, :3].sum(axis=1)
    if weighted:
        ws = st["wsum"][:, :3]
        tot = ws.sum(axis=1)
        st = dict(st, _sw=tot, _sw2=st["w2sum"][:, :3].sum(axis=1))
    else:
        ws, tot = cnt[:, :3], n
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = ws / tot[:, None]
    _, base = _bases(st, n, weighted)
    return cnt, n, shares, base


def _nps_var(p_d, p_p):
    """Per-respondent variance of the +1/0/−1 codes (Rocks 2016)."""
    return (p_p + p_d) - (p_p - p_d) ** 2


def _estimate_nps(st: dict, weighted: bool, level: float, options: dict) -> dict[str, Any]:
    cnt, n, shares, base = _nps_core(st, weighted)
    p_d, p_pa, p_p = shares[:, 0], shares[:, 1], shares[:, 2]
    est = 100.0 * (p_p - p_d)
    z = normal_quantile(level)
    method = options.get("method", "wald")
    basis = "Kish n_eff, weighted shares" if weighted else "n"
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wald":
            se = 100.0 * np.sqrt(_nps_var(p_d, p_p) / base)
            lo, hi = est - z * se, est + z * se
            label = f"Wald interval, Var=(pP+pD)-(pP-pD)^2 on base {basis} (Rocks 2016)"
        elif method == "adjusted_wald":
            b3 = base + 3.0
            a_d = (p_d * base + 0.75) / b3
            a_p = (p_p * base + 0.75) / b3
            adj = 100.0 * (a_p - a_d)
            se = 100.0 * np.sqrt(_nps_var(a_d, a_p) / b3)
            lo, hi = adj - z * se, adj + z * se
            label = (f"adjusted Wald interval (Rocks 2016: +0.75 detractors, +1.5 passives, "
                     f"+0.75 promoters, base {basis} + 3) centred on the adjusted NPS; "
                     f"estimate is the raw NPS")
        else:
            se, lo, hi = _bootstrap_nps(shares, base, level, options)
            label = (f"percentile bootstrap ({options['n_boot']} multinomial resamples of the "
                     f"category counts, base {'round(Kish n_eff), weighted shares' if weighted else 'n'}, "
                     f"seed={options.get('seed')!r})")
    lo, hi = np.clip(lo, -100.0, 100.0), np.clip(hi, -100.0, 100.0)
    return {
        "estimate": est, "std_err": se, "ci_low": lo, "ci_high": hi,
        "n": n.astype(np.int64), "confidence_level": np.full(len(n), level),
        "method": np.full(len(n), label, dtype=object),
        "n_eff": base, "n_missing": cnt[:, 3].astype(np.int64),
        "promoters": p_p, "passives": p_pa, "detractors": p_d,
        "n_promoters": cnt[:, 2].astype(np.int64), "n_passives": cnt[:, 1].astype(np.int64),
        "n_detractors": cnt[:, 0].astype(np.int64),
    }


def _bootstrap_nps(shares, base, level, options):
    """Percentile bootstrap from the multinomial of the three category counts."""
    rng = np.random.default_rng(options.get("seed"))
    n_boot = options["n_boot"]
    g = len(base)
    size_n = np.rint(base).astype(np.int64)
    ok = (size_n > 0) & np.isfinite(shares).all(axis=1)
    p = np.where(ok[:, None], shares, 1.0 / 3.0)
    p = p / p.sum(axis=1, keepdims=True)
    se = np.full(g, np.nan)
    lo = np.full(g, np.nan)
    hi = np.full(g, np.nan)
    alpha = 1.0 - level
    chunk = max(1, 4_000_000 // (3 * n_boot))
    for start in range(0, g, chunk):
        sl = slice(start, min(g, start + chunk))
        nn = np.where(ok[sl], size_n[sl], 0)
        draws = rng.multinomial(nn, p[sl], size=(n_boot, len(nn)))  # (n_boot, groups, 3)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = 100.0 * (draws[..., 2] - draws[..., 0]) / nn
        se[sl] = np.std(boot, axis=0, ddof=1)
        q = np.quantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
        lo[sl], hi[sl] = q[0], q[1]
    se[~ok], lo[~ok], hi[~ok] = np.nan, np.nan, np.nan
    return se, lo, hi


def _prop_core(st: dict, weighted: bool):
    cnt = st["count"]
    n = cnt[:, :2].sum(axis=1)
    if weighted:
        ws = st["wsum"][:, :2]
        tot = ws.sum(axis=1)
        st = dict(st, _sw=tot, _sw2=st["w2sum"][:, :2].sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            p = ws[:, 1] / tot
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            p = cnt[:, 1] / n
    _, base = _bases(st, n, weighted)
    return cnt, n, p, base


def _estimate_proportion(st: dict, weighted: bool, level: float, options: dict) -> dict[str, Any]:
    cnt, n, p, base = _prop_core(st, weighted)
    low, high = wilson_interval(p, base, normal_quantile(level))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(p * (1.0 - p) / base)
    basis = "Kish n_eff, weighted share" if weighted else "n"
    label = f"Wilson score interval on base {basis}; std_err is the Wald SE sqrt(p(1-p)/base)"
    g = len(n)
    return {
        "estimate": p, "std_err": se, "ci_low": low, "ci_high": high,
        "n": n.astype(np.int64), "confidence_level": np.full(g, level),
        "method": np.full(g, label, dtype=object),
        "n_eff": base, "n_missing": cnt[:, 2].astype(np.int64),
        "n_top": cnt[:, 1].astype(np.int64),
        "top_low": np.full(g, options["top_low"]), "top_high": np.full(g, options["top_high"]),
    }


def _mean_core(st: dict, weighted: bool):
    n = st["n"]
    sw, sw2 = st["sw"], st["sw2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        dm = st["swd"] / sw
        mean = st["shift"] + dm
        ss = np.maximum(st["swdd"] - sw * dm * dm, 0.0)  # Σw(x − mean)²
        base = sw * sw / sw2 if weighted else n.astype(np.float64)
        var = ss / sw * base / (base - 1.0)  # on the effective-n scale
    return n, mean, var, base


def _estimate_mean(st: dict, weighted: bool, level: float, options: dict) -> dict[str, Any]:
    n, mean, var, base = _mean_core(st, weighted)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(var / base)
        df = base - 1.0
        tq = stats.t.ppf(0.5 + level / 2.0, np.where(df > 0, df, np.nan))
    basis = "Kish n_eff, weighted mean" if weighted else "n"
    label = f"t interval, df = base - 1, base {basis}"
    g = len(n)
    return {
        "estimate": mean, "std_err": se, "ci_low": mean - tq * se, "ci_high": mean + tq * se,
        "n": n.astype(np.int64), "confidence_level": np.full(g, level),
        "method": np.full(g, label, dtype=object),
        "n_eff": base, "n_missing": st["n_missing"].astype(np.int64),
        "std_dev": np.sqrt(var), "df": df,
    }


_ESTIMATORS = {"nps": _estimate_nps, "proportion": _estimate_proportion, "mean": _estimate_mean}


def _compute(prep: _Prepared, st: dict, level: float) -> dict[str, Any]:
    return _ESTIMATORS[prep.kind](st, prep.weights is not None, level, prep.options)


def _diff(prep: _Prepared, st1: dict, st2: dict, level: float):
    """Signed difference 1 − 2 with SE, CI and two-sided p-value, vectorised.

    NPS: SE = sqrt(Var₁/n₁ + Var₂/n₂) (Wald, points), z test. Proportions: unpooled
    Wald SE, z test. Means: Welch SE and Welch–Satterthwaite df, t test.
    """
    weighted = prep.weights is not None
    with np.errstate(invalid="ignore", divide="ignore"):
        if prep.kind == "nps":
            _, _, s1, b1 = _nps_core(st1, weighted)
            _, _, s2, b2 = _nps_core(st2, weighted)
            d = 100.0 * ((s1[:, 2] - s1[:, 0]) - (s2[:, 2] - s2[:, 0]))
            se = 100.0 * np.sqrt(_nps_var(s1[:, 0], s1[:, 2]) / b1 + _nps_var(s2[:, 0], s2[:, 2]) / b2)
            df = np.full(len(d), np.inf)
        elif prep.kind == "proportion":
            _, _, p1, b1 = _prop_core(st1, weighted)
            _, _, p2, b2 = _prop_core(st2, weighted)
            d = p1 - p2
            se = np.sqrt(p1 * (1 - p1) / b1 + p2 * (1 - p2) / b2)
            df = np.full(len(d), np.inf)
        else:
            _, m1, v1, b1 = _mean_core(st1, weighted)
            _, m2, v2, b2 = _mean_core(st2, weighted)
            d = m1 - m2
            a1, a2 = v1 / b1, v2 / b2
            se = np.sqrt(a1 + a2)
            df = (a1 + a2) ** 2 / (a1 * a1 / (b1 - 1) + a2 * a2 / (b2 - 1))
        stat = d / se
        stat = np.where(se == 0, np.where(d == 0, 0.0, np.sign(d) * np.inf), stat)
        p = 2.0 * stats.t.sf(np.abs(stat), df)
        q = stats.t.ppf(0.5 + level / 2.0, df)
    return d, se, d - q * se, d + q * se, stat, p


# ------------------------------------------------------------------ public: samples
def _one(prep: _Prepared, level: float) -> dict[str, Any]:
    st = _reduce(prep, None, 1)
    row = _compute(prep, st, level)
    return {k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in row.items()}


def nps(data: Any, *, score: str | None = "ltr", weights: Any = None, confidence_level: float = 0.95,
        method: str = "wald", n_boot: int = 2000, seed: Any = None) -> NPSResult:
    """Net Promoter Score (points, −100 … 100) with a confidence interval.

    Parameters
    ----------
    data : DataFrame or 1-D array-like
        Survey responses, or the 0–10 scores themselves.
    score : str, default "ltr"
        Column with likelihood-to-recommend scores, integers 0–10 (missing allowed:
        dropped and counted in ``n_missing``).
    weights : str or array-like, optional
        Survey weights (column name or array, >= 0).
    confidence_level : float, default 0.95
    method : {"wald", "adjusted_wald", "bootstrap"}, default "wald"
        Interval method (see Notes).
    n_boot : int, default 2000
        Bootstrap resamples (``method="bootstrap"`` only).
    seed : int or numpy Generator seed, optional
        Seeds the bootstrap.

    Returns
    -------
    NPSResult
        ``estimate`` (NPS points), ``std_err``, ``ci_low``, ``ci_high``, ``n`` (rows with a
        score), ``n_eff``, ``n_missing``, shares ``promoters``/``passives``/``detractors``
        (0–1) and their row counts.

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
      the draws.

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
    prep = _prepare_nps(data, score=score, weights=weights, method=method, n_boot=n_boot, seed=seed)
    return NPSResult(**_one(prep, level))


def compare_nps(a: Any, b: Any, *, score: str | None = "ltr", weights: Any = None,
                confidence_level: float = 0.95) -> NPSComparison:
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
    pa = _prepare_nps(a, score=score, weights=wa)
    pb = _prepare_nps(b, score=score, weights=wb)
    if (pa.weights is None) != (pb.weights is None):
        raise CXDataError("`weights`: give weights for both samples or for neither")
    sa, sb = _reduce(pa, None, 1), _reduce(pb, None, 1)
    ra = NPSResult(**_one(pa, level))
    rb = NPSResult(**_one(pb, level))
    d, se, lo, hi, zstat, p = _diff(pa, sa, sb, level)
    return NPSComparison(
        estimate=float(d[0]), std_err=float(se[0]), ci_low=float(lo[0]), ci_high=float(hi[0]),
        n=ra.n + rb.n, confidence_level=level,
        method="difference a - b, Wald SE sqrt(Var_a/n_a + Var_b/n_b), z test"
        + (" (Kish n_eff, weighted shares)" if pa.weights is not None else ""),
        statistic=float(zstat[0]), p_value=float(p[0]), nps_a=ra, nps_b=rb,
    )


def top_box(data: Any, *, score: str | None, top: Any = None, scale: Any = None, weights: Any = None,
            confidence_level: float = 0.95) -> ProportionResult:
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
        The scale's end points, e.g. ``(1, 5)``; scores outside raise.
    weights : str or array-like, optional
    confidence_level : float, default 0.95

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
    prep = _prepare_top_box(data, score=score, top=top, scale=scale, weights=weights)
    return ProportionResult(**_one(prep, level))


def csat(data: Any, *, score: str | None = "osat", top: int = 2, scale: Any = (1, 5), weights: Any = None,
         confidence_level: float = 0.95) -> ProportionResult:
    """CSAT: top-``top``-box share (proportion 0–1) of a satisfaction scale.

    The top box is the highest ``top`` scale points (top-2 of 1–5: 4 and 5). Interval
    and weighting as in :func:`top_box`.

    Examples
    --------
    >>> import cxlib as cx
    >>> r = cx.csat([5, 4, 3, 2, 5])
    >>> r.estimate, r.top_low, r.top_high
    (0.6, 4.0, 5.0)
    """
    level = check_confidence_level(confidence_level)
    prep = _prepare_csat(data, score=score, top=top, scale=scale, weights=weights)
    return ProportionResult(**_one(prep, level))


def ces(data: Any, *, score: str | None = "ces", easy: Any = (5, 7), scale: Any = (1, 7), weights: Any = None,
        confidence_level: float = 0.95) -> ProportionResult:
    """CES: share (proportion 0–1) of "easy" answers on the customer-effort scale.

    ``easy`` is an inclusive range of scale points (default 5–7 on 1–7) or a threshold
    (``score >= easy``). Interval and weighting as in :func:`top_box`.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.ces([7, 6, 5, 4, 1]).estimate
    0.6
    """
    level = check_confidence_level(confidence_level)
    prep = _prepare_ces(data, score=score, easy=easy, scale=scale, weights=weights)
    return ProportionResult(**_one(prep, level))


def mean_score(data: Any, *, score: str | None, scale: Any = None, weights: Any = None,
               confidence_level: float = 0.95) -> MeanResult:
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
    prep = _prepare_mean(data, score=score, scale=scale, weights=weights)
    return MeanResult(**_one(prep, level))


# ---------------------------------------------------------------------- by group
_REGISTRY: dict[str, tuple[Callable, Callable]] = {
    "nps": (nps, _prepare_nps),
    "csat": (csat, _prepare_csat),
    "ces": (ces, _prepare_ces),
    "top_box": (top_box, _prepare_top_box),
    "mean_score": (mean_score, _prepare_mean),
}
_RESULT_FIELDS = {
    "nps": [f.name for f in dataclasses.fields(NPSResult)],
    "proportion": [f.name for f in dataclasses.fields(ProportionResult)],
    "mean": [f.name for f in dataclasses.fields(MeanResult)],
}


def _operational(metric: Any) -> Callable | None:
    """The grouped implementation of a helpdesk metric (cx.reopen_rate, ...), or None."""
    from .operations import (
        GROUPED_OPERATIONS,  # local: operations is the other module's concern
    )

    for name, (func, grouped) in GROUPED_OPERATIONS.items():
        if metric is func or metric == name:
            return grouped
    return None


def _resolve_metric(metric: Any) -> tuple[str, Callable]:
    if isinstance(metric, str):
        if metric in _REGISTRY:
            return metric, _REGISTRY[metric][1]
    else:
        for name, (func, prep) in _REGISTRY.items():
            if metric is func:
                return name, prep
    raise CXDataError(
        f"`metric`={getattr(metric, '__name__', metric)!r} is not a cxlib metric; "
        f"valid: {list(_REGISTRY)} (names or the functions cx.nps, cx.csat, ...)"
    )


def _factorize_objects(values: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize(values, sort=True)`` for a large object (text) column, faster.

    Hashing Python strings dominates grouping by text keys (≈0.5 s per 10M rows). But a
    text column usually holds few distinct *objects*: pyarrow's ``to_pandas`` and most
    constructors reuse one object per distinct value. So the object pointers are
    factorized first (integer hashing), then only the distinct objects are factorized by
    value (which also merges equal strings held in different objects, and maps None/NaN
    to the missing code), and the two codings are composed. When the objects are mostly
    distinct the plain path is used. The result equals ``pd.factorize(values, sort=True)``.
    """
    import ctypes

    arr = values.to_numpy(dtype=object)
    n = len(arr)
    if n < 100_000 or not arr.flags.c_contiguous:
        return pd.factorize(values, sort=True, use_na_sentinel=True)
    pointers = np.ctypeslib.as_array(ctypes.cast(arr.ctypes.data, ctypes.POINTER(ctypes.c_uint64)), shape=(n,))
    pcodes, puniq = pd.factorize(pointers)
    if len(puniq) > n // 10:  # mostly distinct objects: nothing to gain
        return pd.factorize(values, sort=True, use_na_sentinel=True)
    # `arr` keeps every object alive, so reading them back from their addresses is safe
    objects = np.empty(len(puniq), dtype=object)
    objects[:] = [ctypes.cast(int(p), ctypes.py_object).value for p in puniq]
    vcodes, levels = pd.factorize(objects, sort=True, use_na_sentinel=True)
    return vcodes[pcodes], pd.Index(levels)


def _factorize_columns(data: pd.DataFrame, columns: list[str]) -> dict[str, tuple[np.ndarray, Any]]:
    """``pd.factorize(sort=True)`` of each non-categorical grouping column (categorical
    columns reuse their codes and cost nothing; text columns take the pointer shortcut of
    :func:`_factorize_objects`)."""
    out = {}
    for c in columns:
        s = data[c]
        out[c] = _factorize_objects(s) if s.dtype == object else pd.factorize(s, sort=True, use_na_sentinel=True)
    return out


def _group_codes(data: pd.DataFrame, by: list[str]):
    """Combined integer group codes (mixed radix over each column's levels) in one array.

    Returns codes (−1 where any key is missing), the per-column levels and, if the
    code space was compressed, the mixed-radix value of each compressed code.
    """
    factorized = _factorize_columns(data, [c for c in by if not isinstance(data[c].dtype, pd.CategoricalDtype)])
    codes_list, levels = [], []
    for col in by:
        s = data[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            c = s.cat.codes.to_numpy()
            lv = s.cat.categories
        else:
            c, lv = factorized[col]
        codes_list.append(c)
        levels.append(pd.Index(lv))
    sizes = [max(len(lv), 1) for lv in levels]
    if float(np.prod([float(x) for x in sizes])) >= 2.0 ** 62:
        raise CXDataError(f"`by`={by!r} has too many level combinations to group on")
    codes = codes_list[0].astype(np.int64)
    any_missing = codes_list[0].min(initial=0) < 0
    for c, size in zip(codes_list[1:], sizes[1:]):
        codes = codes * size + c
        any_missing = any_missing or c.min(initial=0) < 0
    if any_missing:
        bad = np.zeros(len(codes), dtype=bool)
        for c in codes_list:
            bad |= c < 0
        codes[bad] = -1
    return codes, levels, sizes, bool(any_missing)


def by_group(data: pd.DataFrame, metric: Any, *, by: str | Sequence[str], min_base: float = 30,
             compare: str | None = None, period: str | None = None, correction: str | None = "fdr_bh",
             confidence_level: float = 0.95, **metric_kwargs: Any) -> pd.DataFrame:
    """A cxlib metric per group, as a tidy DataFrame, optionally with significance tests.

    Parameters
    ----------
    data : DataFrame
    metric : callable or str
        ``cx.nps``, ``cx.csat``, ``cx.ces``, ``cx.top_box``, ``cx.mean_score`` or its name.
        The helpdesk metrics ``cx.reopen_rate``, ``cx.first_contact_resolution``,
        ``cx.first_response_time`` and ``cx.resolution_time`` are grouped too (their own
        result fields per group; ``compare`` is not available for them).
    by : str or list of str
        Grouping column(s). Rows with a missing key are dropped (as pandas ``groupby``).
    min_base : float, default 30
        Groups with n (n_eff when weighted) below it are flagged ``small_base``.
    compare : {None, "rest", "previous"}
        ``"rest"``: each group vs all other rows of the table. ``"previous"``: each
        group vs the same group in the previous ``period`` value.
    period : str, optional
        Period column (required for ``compare="previous"``); it becomes the last
        grouping column. "Previous" is the previous observed value in sorted order
        (category order for a categorical).
    correction : str or None, default "fdr_bh"
        Multiple-comparison adjustment across the table's comparisons (a statsmodels
        ``multipletests`` method: "fdr_bh", "fdr_by", "bonferroni", "holm"), or None.
    confidence_level : float, default 0.95
    **metric_kwargs
        Passed to the metric (``score``, ``weights``, ``top``, ``scale``, ``method``…).

    Returns
    -------
    DataFrame
        One row per group with rows (in sorted key order): the ``by`` columns, the
        metric's fields (the columns of its ``.to_frame()``), ``small_base`` and
        ``min_base``. With ``compare``: ``diff``, ``diff_ci_low``, ``diff_ci_high``,
        ``p_value``, ``p_adjusted``, ``significant`` (nullable boolean: NA when not
        tested) and ``compare_note`` (why a comparison is missing).

    Notes
    -----
    Statistics come from one pass over group codes (per-group sufficient statistics),
    then the metric's estimator runs on that small table; so each row equals the metric
    applied to the group's rows.

    *Empty groups* — categorical levels (or combinations) with no rows — are omitted.
    A group whose scores are all missing is kept with ``n = 0``, NaN estimates and
    ``small_base`` True.

    *Comparisons* use independent two-sample tests: NPS with
    ``SE = sqrt(Var₁/n₁ + Var₂/n₂)`` (z), proportions with the unpooled Wald SE (z),
    means with Welch's t. ``compare="rest"`` tests a group against all *other* rows,
    not against the total, because the total contains the group (the samples would
    overlap and the SE formula would be wrong). Small-base groups (and comparisons
    whose other side is small) are not tested: NaN with a ``compare_note``.
    ``significant`` is ``p_adjusted < 1 − confidence_level``; the difference interval
    is unadjusted. With ``method="adjusted_wald"`` or ``"bootstrap"`` the comparisons
    still use the Wald SE.

    References
    ----------
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*,
    57(1), 289–300.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"ltr": [10, 9, 8, 7, 3, 10, 6], "region": list("AAAAABB")})
    >>> t = cx.by_group(df, cx.nps, by="region", min_base=3)
    >>> t[["region", "estimate", "n", "small_base"]]
      region  estimate  n  small_base
    0      A      20.0  5       False
    1      B       0.0  2        True
    """
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise CXDataError("`data` is empty: no rows to analyse")
    level = check_confidence_level(confidence_level)
    grouped_operation = _operational(metric)
    if grouped_operation is not None:
        if compare is not None or period is not None:
            raise CXDataError("`compare`/`period` are not available for the helpdesk metrics; "
                              "group by the period column instead (e.g. by=['quarter', 'channel'])")
        return grouped_operation(data, by=by, min_base=min_base, confidence_level=level, **metric_kwargs)
    name, prepare = _resolve_metric(metric)
    by_cols = [by] if isinstance(by, str) else list(by)
    if not by_cols:
        raise CXDataError("`by` must name at least one column")
    check_columns(data, by_cols, argument="by")
    if compare not in (None, "rest", "previous"):
        raise CXDataError(f"`compare`={compare!r} is not valid; use None, 'rest' or 'previous'")
    if compare == "previous":
        if period is None:
            raise CXDataError("`compare`='previous' needs `period`, the period column (e.g. 'quarter')")
        check_columns(data, [period], argument="period")
        by_cols = [c for c in by_cols if c != period] + [period]
    if correction not in CORRECTIONS:
        raise CXDataError(f"`correction`={correction!r} is not valid; use one of {list(CORRECTIONS)}")
    try:
        min_base = float(min_base)
    except (TypeError, ValueError):
        raise CXDataError(f"`min_base`={min_base!r} must be a number, e.g. 30") from None

    prep = prepare(data, **metric_kwargs)
    codes, levels, sizes, any_missing = _group_codes(data, by_cols)
    space = int(np.prod(sizes))
    radix = None
    if any_missing or space * 4 > 4 * len(codes) + 1_000_000:
        keep = codes >= 0
        if any_missing:
            prep = dataclasses.replace(
                prep, values=prep.values[keep],
                weights=None if prep.weights is None else prep.weights[keep])
            codes = codes[keep]
        if len(codes) == 0:
            raise CXDataError(f"`by`={by_cols!r}: every row has a missing group key")
        if space * 4 > 4 * len(codes) + 1_000_000:
            codes, radix = pd.factorize(codes, sort=True)
            space = len(radix)
    st = _reduce(prep, codes, space)
    present = np.flatnonzero(_stat_rows(st) > 0)
    st = _take(st, present)
    mixed = present if radix is None else np.asarray(radix)[present]
    idx = np.unravel_index(mixed, sizes)
    out = {col: levels[i].take(idx[i]) for i, col in enumerate(by_cols)}
    res = _compute(prep, st, level)
    out.update(res)
    frame = pd.DataFrame(out)
    for i, col in enumerate(by_cols):  # keep the grouping columns' dtypes
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            frame[col] = pd.Categorical(frame[col], categories=data[col].cat.categories,
                                        ordered=data[col].cat.ordered)
    base = res["n_eff"] if prep.weights is not None else res["n"].astype(float)
    small = ~(base >= min_base)
    frame["small_base"] = small
    frame["min_base"] = min_base
    if small.any():
        warnings.warn(
            f"{int(small.sum())} of {len(small)} groups have a base below min_base={min_base:g}; "
            "they are flagged in `small_base`", SmallBaseWarning, stacklevel=2)
    if compare is not None:
        frame = _add_comparisons(frame, prep, st, small, compare, idx, level, correction)
    return frame


def _add_comparisons(frame, prep, st, small, compare, idx, level, correction):
    g = len(frame)
    note = np.full(g, "", dtype=object)
    if compare == "rest":
        other = _rest(st)
        other_ok = np.ones(g, dtype=bool)
        other_small = np.zeros(g, dtype=bool)
        if g == 1:
            other_ok[:] = False
            note[:] = "no other rows"
        n_other = _rest({"n": frame["n"].to_numpy(float)})["n"]
        if prep.weights is None:
            other_small = n_other < frame["min_base"].to_numpy()
    else:
        per = idx[-1]
        observed = np.unique(per)
        prev_level = np.full(per.max() + 1, -1)
        prev_level[observed[1:]] = observed[:-1]
        keys = {tuple(int(a[i]) for a in idx): i for i in range(g)}
        prev_row = np.full(g, -1)
        for i in range(g):
            pl = prev_level[per[i]]
            if pl < 0:
                note[i] = "first period"
                continue
            k = tuple(int(a[i]) for a in idx[:-1]) + (int(pl),)
            j = keys.get(k, -1)
            if j < 0:
                note[i] = "no rows in previous period"
            prev_row[i] = j
        other_ok = prev_row >= 0
        safe = np.where(other_ok, prev_row, 0)
        other = _take(st, safe)
        other_small = np.where(other_ok, small[safe], False)
    d, se, lo, hi, _, p = _diff(prep, st, other, level)
    if compare == "rest" and prep.weights is not None:
        # base of "the rest" on the same scale as small_base (n_eff)
        _, rest_base = _rest_bases(prep, other)
        other_small = rest_base < frame["min_base"].to_numpy()
    for mask, why in ((small, "small base"), (other_ok & other_small, "comparison group has a small base")):
        note[mask & (note == "")] = why
    tested = other_ok & ~small & ~other_small & np.isfinite(p)
    note[~tested & (note == "")] = "not testable"
    d, lo, hi, p = (np.where(tested, v, np.nan) for v in (d, lo, hi, p))
    p_adj = np.full(g, np.nan)
    if tested.any():
        if correction is None:
            p_adj[tested] = p[tested]
        else:
            from statsmodels.stats.multitest import multipletests

            p_adj[tested] = multipletests(p[tested], method=correction)[1]
    sig = pd.array(np.where(tested, p_adj < 1.0 - level, False), dtype="boolean")
    sig[~tested] = pd.NA
    frame["diff"] = d
    frame["diff_ci_low"] = lo
    frame["diff_ci_high"] = hi
    frame["p_value"] = p
    frame["p_adjusted"] = p_adj
    frame["significant"] = sig
    frame["compare_note"] = np.where(note == "", "vs rest" if compare == "rest" else "vs previous period", note)
    return frame


def _rest_bases(prep, other):
    if prep.kind == "nps":
        _, n, _, b = _nps_core(other, True)
    elif prep.kind == "proportion":
        _, n, _, b = _prop_core(other, True)
    else:
        n, _, _, b = _mean_core(other, True)
    return n, b


def suppress_small_bases(frame: pd.DataFrame) -> pd.DataFrame:
    """A reviewer-facing copy of a :func:`by_group` table with small bases blanked.

    Where ``small_base`` is True, the estimate, its standard error and interval, the
    category shares and any comparison figures become NaN (``n`` and the flag stay, so
    readers see why). The input is not modified.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> t = pd.DataFrame({"g": ["a", "b"], "estimate": [20.0, 5.0], "small_base": [False, True]})
    >>> cx.suppress_small_bases(t)
       g  estimate  small_base
    0  a      20.0       False
    1  b       NaN        True
    """
    if not isinstance(frame, pd.DataFrame) or "small_base" not in frame.columns:
        cols = list(map(str, frame.columns)) if isinstance(frame, pd.DataFrame) else []
        raise CXDataError(f"`frame` needs a 'small_base' column (a by_group table); available: {cols}")
    out = frame.copy()
    mask = out["small_base"].fillna(True).to_numpy(dtype=bool)
    blank = ["estimate", "std_err", "ci_low", "ci_high", "promoters", "passives", "detractors",
             "std_dev", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_adjusted"]
    for col in blank:
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[mask, col] = np.nan
    if "significant" in out.columns:
        out["significant"] = out["significant"].astype("boolean")
        out.loc[mask, "significant"] = pd.NA
    return out
