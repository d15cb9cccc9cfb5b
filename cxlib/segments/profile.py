"""Segment profiles: each segment against the total and the rest of the sample.

:func:`profile` reduces the rows to weighted sums per segment (one pass per variable),
then computes means or shares, their intervals, the index against the total and a test
against the rest of the sample on that small table; all tested cells form one
Benjamini-Hochberg family.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import (
    apply_scale,
    check_columns,
    check_confidence_level,
    check_declared_columns,
    check_frame,
    check_min_base,
    column_list,
    declared_scale,
    missing_code_mask,
    numeric_scores,
    resolve_weights,
    show_values,
)
from ..core.inference import adjust_p_values, normal_quantile, significance, wilson_interval
from ..errors import CXDataError, SmallBaseWarning

_COLUMNS = (
    "segment", "variable", "level", "measure", "estimate", "std_err", "ci_low", "ci_high", "n",
    "n_eff", "n_missing_codes", "total", "index", "rest", "difference", "statistic", "p_value", "p_adjusted",
    "significant", "small_base", "confidence_level", "min_base", "method",
)


class _Sums(NamedTuple):
    """Sufficient statistics of one profiled row (a mean, or one level's share) per segment."""

    measure: str  # "mean" or "share"
    variable: str
    level: Any
    cnt: np.ndarray  # unweighted non-missing count
    sw: np.ndarray  # sum of weights
    sw2: np.ndarray  # sum of squared weights
    s1: np.ndarray  # weighted hits (share) or weighted sum of centred values (mean)
    s2: np.ndarray | None  # weighted sum of squared centred values (mean)
    shift: float  # the centring constant (mean)
    n_codes: np.ndarray  # unweighted count of declared missing codes set missing


class _Cells(NamedTuple):
    est: np.ndarray
    total: float
    rest: np.ndarray
    se: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    n_eff: np.ndarray
    test: str


def _is_categorical(s: pd.Series) -> bool:
    if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == bool or pd.api.types.is_bool_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s):
        vals = pd.unique(s.dropna())
        return len(vals) > 0 and set(np.asarray(vals, dtype=float).tolist()) <= {0.0, 1.0}
    return True


def _sort_key(v: Any) -> tuple[str, Any]:
    return (str(type(v)), v)


def _declared_column(col: pd.Series, var: str, scale: Any, missing: Any) -> tuple[pd.Series, np.ndarray]:
    """``col`` with its declared missing codes set missing (and the rows that held one); its
    declared points are checked when it is numeric (a pair ``scale`` declares the variables
    profiled by their mean; a dict may also declare a numeric 0/1 variable)."""
    points, codes = declared_scale(scale, missing, var)
    hit = np.zeros(len(col), dtype=bool)
    if codes:
        hit, _ = missing_code_mask(col, codes)
        if hit.any():
            col = col.mask(hit)
    numeric = pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
    if points is not None and numeric and (isinstance(scale, dict) or not _is_categorical(col)):
        apply_scale(col, var, scale=points)
    elif points is not None and isinstance(scale, dict) and not numeric:
        raise CXDataError(f"`scale` declares points for {var!r}, which holds levels ({col.dtype}), not numbers")
    return col, hit


def _variable_sums(col: pd.Series, var: str, codes: np.ndarray, w: np.ndarray, n_seg: int,
                   declared: np.ndarray) -> list[_Sums]:
    """One pass over a variable: per-segment sums for its mean, or for each level's share."""
    valid = col.notna().to_numpy()
    n_codes = np.bincount(codes[declared], minlength=n_seg)

    def sums(mask: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        vals = w[mask] if values is None else w[mask] * values
        return np.bincount(codes[mask], weights=vals, minlength=n_seg)

    cnt = np.bincount(codes[valid], minlength=n_seg)
    sw, sw2 = sums(valid), sums(valid, w[valid])
    if _is_categorical(col):
        out = []
        for lev in sorted(pd.unique(col[valid]), key=_sort_key):
            hit = valid & (col == lev).to_numpy()
            x = np.bincount(codes[hit], weights=w[hit], minlength=n_seg)
            out.append(_Sums("share", var, lev, cnt, sw, sw2, x, None, 0.0, n_codes))
        return out
    vals = numeric_scores(col, var)
    shift = np.nanmean(vals)  # centring keeps the sums of squares accurate
    d = vals[valid] - shift
    return [_Sums("mean", var, pd.NA, cnt, sw, sw2, sums(valid, d), sums(valid, d * d), shift, n_codes)]


def _share_cells(s: _Sums, z: float) -> _Cells:
    """Shares with Wilson intervals; pooled two-proportion z test against the rest."""
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = s.sw**2 / s.sw2
        rest_w, rest_n_eff = s.sw.sum() - s.sw, (s.sw.sum() - s.sw) ** 2 / (s.sw2.sum() - s.sw2)
        est = s.s1 / s.sw
        total = s.s1.sum() / s.sw.sum()
        rest = (s.s1.sum() - s.s1) / rest_w
        se = np.sqrt(est * (1 - est) / n_eff)
        lo, hi = wilson_interval(est, n_eff, z)
        pooled = (s.s1 / s.sw * n_eff + rest * rest_n_eff) / (n_eff + rest_n_eff)
        stat = (est - rest) / np.sqrt(pooled * (1 - pooled) * (1 / n_eff + 1 / rest_n_eff))
        pval = 2 * stats.norm.sf(np.abs(stat))
    return _Cells(est, total, rest, se, lo, hi, stat, pval, n_eff, "two-proportion z (pooled)")


def _mean_cells(s: _Sums, level: float) -> _Cells:
    """Means with t intervals; Welch's t test (Welch-Satterthwaite df) against the rest."""
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = s.sw**2 / s.sw2
        rest_w, rest_w2 = s.sw.sum() - s.sw, s.sw2.sum() - s.sw2
        rest_n_eff = rest_w**2 / rest_w2
        m = s.s1 / s.sw
        est = m + s.shift
        total = s.s1.sum() / s.sw.sum() + s.shift
        mr = (s.s1.sum() - s.s1) / rest_w
        rest = mr + s.shift
        var_s = np.clip((s.s2 / s.sw - m**2) * n_eff / (n_eff - 1), 0, None)
        var_r = np.clip(((s.s2.sum() - s.s2) / rest_w - mr**2) * rest_n_eff / (rest_n_eff - 1), 0, None)
        se = np.sqrt(var_s / n_eff)
        tcrit = stats.t.ppf(0.5 + level / 2, n_eff - 1)
        lo, hi = est - tcrit * se, est + tcrit * se
        a, b = var_s / n_eff, var_r / rest_n_eff
        stat = (est - rest) / np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n_eff - 1) + b**2 / (rest_n_eff - 1))
        pval = 2 * stats.t.sf(np.abs(stat), df)
    return _Cells(est, total, rest, se, lo, hi, stat, pval, n_eff, "Welch t")


def _cell_rows(s: _Sums, c: _Cells, segs: list, min_base: int, weighted: bool) -> list[dict[str, Any]]:
    """One row per segment; cells below ``min_base`` (or without a rest to compare) untested."""
    n_seg = len(segs)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = 100 * c.est / c.total if c.total != 0 else np.full(n_seg, np.nan)
    small = ~((c.n_eff if weighted else s.cnt) >= min_base)  # the Kish effective base when weighted
    rest_cnt = s.cnt.sum() - s.cnt
    testable = ~small & (rest_cnt >= 2) & (s.cnt >= 2) & np.isfinite(c.pval)
    pval = np.where(testable, c.pval, np.nan)
    stat = np.where(testable, c.stat, np.nan)
    base = "n_eff (Kish)" if weighted else "n"
    method = (f"{c.test} vs rest of sample on {base}" + (", weighted" if weighted else "")
              + ("; " + ("t interval" if s.measure == "mean" else "Wilson interval")) + "; BH FDR across the table")
    return [
        {
            "segment": sname, "variable": s.variable, "level": s.level, "measure": s.measure,
            "estimate": float(c.est[j]), "std_err": float(c.se[j]), "ci_low": float(c.lo[j]),
            "ci_high": float(c.hi[j]), "n": int(s.cnt[j]), "n_eff": float(c.n_eff[j]),
            "n_missing_codes": int(s.n_codes[j]), "total": float(c.total),
            "index": float(index[j]), "rest": float(c.rest[j]), "difference": float(c.est[j] - c.rest[j]),
            "statistic": float(stat[j]), "p_value": float(pval[j]), "small_base": bool(small[j]),
            "method": method,
        }
        for j, sname in enumerate(segs)
    ]


def _warn_small(res: pd.DataFrame, min_base: int) -> None:
    if not res["small_base"].any():
        return
    thin = res.loc[res["small_base"], ["segment", "variable", "n"]].drop_duplicates(["segment", "variable"])
    cells = ", ".join(f"{s}/{v} (n={n})" for s, v, n in thin.head(5).itertuples(index=False))
    warnings.warn(
        f"{len(thin)} segment x variable cell(s) below min_base={min_base}: {cells}"
        + (" ..." if len(thin) > 5 else "")
        + "; flagged small_base and not tested",
        SmallBaseWarning,
        stacklevel=3,
    )


def profile(
    data: pd.DataFrame,
    *,
    by: str,
    variables: Sequence[str],
    weights: str | Sequence[float] | None = None,
    min_base: int = 30,
    confidence_level: float = 0.95,
    scale: Any = None,
    missing: Any = (),
) -> pd.DataFrame:
    """Profile segments against the total: means or shares, index, FDR-corrected tests.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    by : str
        Segment column (rows with a missing segment are left out).
    variables : sequence of str
        Numeric variables are profiled by their mean; categorical, text, boolean and 0/1
        variables by the share of each level (one row per level).
    weights : str or array-like, optional
        Survey weights (column name or values).
    min_base : int, default 30
        Cells with fewer respondents (unweighted) are flagged ``small_base``, not tested,
        and a :class:`~cxlib.errors.SmallBaseWarning` is issued.
    confidence_level : float, default 0.95
        Level of the intervals; cells are ``significant`` when the BH-adjusted p-value is
        below 1 - ``confidence_level`` (missing where untested).
    scale : (low, high) or dict, optional
        Scale points: a pair declares every variable profiled by its mean, a dict column
        -> (low, high) (or a study scale) any numeric variable; a value outside raises.
    missing : sequence or dict, optional
        Declared missing codes (numbers such as 0 = "not applicable", or texts such as
        "Don't know"), for every variable or per column: set missing (never a level or a
        rating) and counted per cell in ``n_missing_codes``.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per segment x variable (x level): ``segment, variable, level,
        measure`` ("mean" or "share"), ``estimate, std_err, ci_low, ci_high, n, n_eff,
        n_missing_codes, total, index, rest, difference, statistic, p_value, p_adjusted, significant,
        small_base, confidence_level, min_base, method``.

    Raises
    ------
    CXDataError
        Missing columns, bad weights, fewer than two segments, values outside a declared
        ``scale``.

    Notes
    -----
    ``total`` is the estimate over all respondents with a segment;
    ``index = 100 x estimate / total`` (100 = average); ``rest`` is the estimate over
    everyone outside the segment and ``difference = estimate - rest``.

    Means are compared with the rest by Welch's t test:
    ``t = (m1 - m2) / sqrt(v1/n1 + v2/n2)`` with Welch-Satterthwaite df; shares by the
    pooled two-proportion z test: ``z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2))`` with
    ``p`` the pooled share. The segment's interval is a t interval for means and a Wilson
    interval for shares. With weights, means/shares/variances are weighted and the Kish
    effective base ``n_eff = (sum w)^2 / sum w^2`` replaces n (an approximation that
    ignores stratification and clustering). p-values of all tested cells in the table
    form one family and are adjusted by Benjamini & Hochberg (1995).

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika* 34, 28-35.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*
    57(1), 289-300.
    Kish, L. (1965). *Survey Sampling*. Wiley.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 4 + ["b"] * 4,
    ...                    "quality": [5, 4, 5, 4, 2, 3, 2, 3]})
    >>> p = cx.profile(df, by="seg", variables=["quality"], min_base=2)
    >>> p[["segment", "estimate", "total", "index"]]
      segment  estimate  total  index
    0       a       4.5    3.5  128.571429
    1       b       2.5    3.5   71.428571
    """
    data = check_frame(data)
    check_columns(data, [by], argument="by")
    variables = column_list(variables, argument="variables")
    check_columns(data, variables, argument="variables")
    if by in variables:
        raise CXDataError(f"`by`={by!r} is also listed in `variables`")
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    check_declared_columns(data, scale=scale, missing=missing)
    w_all = resolve_weights(data, weights, len(data))
    keep = data[by].notna().to_numpy()
    seg_vals = data[by][keep]
    segs = sorted(pd.unique(seg_vals), key=_sort_key)
    if len(segs) < 2:
        raise CXDataError(f"column {by!r} has {len(segs)} segment(s) {show_values(segs)}; need at least 2 to profile")
    w = np.ones(int(keep.sum())) if w_all is None else w_all[keep]
    codes = pd.Categorical(seg_vals, categories=segs).codes
    z = normal_quantile(level)
    rows = []
    for var in variables:
        col, declared = _declared_column(data[var][keep], var, scale, missing)
        for s in _variable_sums(col, var, codes, w, len(segs), declared):
            cells = _share_cells(s, z) if s.measure == "share" else _mean_cells(s, level)
            rows += _cell_rows(s, cells, segs, min_base, w_all is not None)
    res = pd.DataFrame(rows)
    res["p_adjusted"] = adjust_p_values(res["p_value"].to_numpy(), "fdr_bh")
    res["significant"] = significance(res["p_adjusted"].to_numpy(), level)
    res["confidence_level"] = level
    res["min_base"] = min_base
    res = res[list(_COLUMNS)]
    _warn_small(res, min_base)
    return res
