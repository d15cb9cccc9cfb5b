"""Sufficient statistics of survey metrics: the engine behind :mod:`cxlib.metrics` and
:func:`cxlib.by_group`.

Every metric is computed in three steps that the single-sample functions and
:func:`~cxlib.grouping.by_group` share:

1. *prepare*: validate the scores once and code them (NPS categories, top-box yes/no,
   or the score itself for means), with weights;
2. *reduce*: turn rows into per-group **sufficient statistics** in one pass over integer
   group codes with :func:`numpy.bincount` (counts of promoters / passives / detractors
   and their weighted sums; or n, Σw, Σw², Σwx, Σwx² for means). The pass runs over
   chunks of rows whose keys (group × category, in the smallest integer type that holds
   them) stay in the CPU cache, so 10 million rows take about as long as a hand-written
   DuckDB query over the same frame (``benchmarks/bench_engines.py``);
3. *estimate*: compute point estimates, standard errors and intervals from that small
   table, vectorised over groups.

Because the statistics are additive, "each group vs the rest" is a subtraction from the
total, and the same estimator runs on the statistics that another engine computes
(polars, pyarrow, DuckDB, Spark: :mod:`cxlib.engines` builds them there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .core.checks import (
    apply_scale,
    as_series,
    check_scale,
    declared_scale,
    numeric_scores,
    resolve_weights,
    show_values,
)
from .core.inference import (
    normal_quantile,
    nps_variance,
    percentile_bound_mc_error,
    wilson_interval,
)
from .errors import CXDataError

NPS_METHODS = ("wald", "adjusted_wald", "bootstrap")

# score 0..10 -> 0 detractor, 1 passive, 2 promoter; index 11 is "missing" (3)
_NPS_LUT = np.array([0] * 7 + [1] * 2 + [2] * 2 + [3], dtype=np.int8)
_NPS_NCAT = 4  # detractor, passive, promoter, missing
_PROP_NCAT = 3  # not top, top, missing
#: Rows per chunk of the checks and the reducer: a chunk's keys and temporaries stay in cache.
_CHUNK_ROWS = 1 << 18


# ------------------------------------------------------------------ prepared inputs
@dataclass
class _Prepared:
    """Validated per-row inputs of one metric, ready for a reducer."""

    kind: str  # "nps" | "proportion" | "mean"
    column: str
    values: np.ndarray | None  # category codes (nps: scores, coded by `lut`) or float scores with NaN (mean)
    weights: np.ndarray | None
    options: dict
    declared: np.ndarray | None = None  # rows holding a declared missing code (None: none declared)
    lut: np.ndarray | None = None  # value -> category code, applied chunk by chunk in the reducer
    weighted: bool | None = None  # None: whether `weights` is given (engines: statistics only, no rows)

    def __post_init__(self) -> None:
        if self.weighted is None:
            self.weighted = self.weights is not None

    def rows(self, keep: np.ndarray) -> _Prepared:
        """The same inputs restricted to the rows ``keep`` (a boolean mask)."""
        return _Prepared(self.kind, self.column, self.values[keep],
                         None if self.weights is None else self.weights[keep], self.options,
                         None if self.declared is None else self.declared[keep], self.lut)


def _declared(values: pd.Series, name: str, codes: tuple,
              points: tuple[float, float] | None = None) -> tuple[pd.Series, np.ndarray | None]:
    """``values`` with the declared missing ``codes`` set missing, and the rows that held one.

    With no codes declared ``values`` is returned unchanged (and ``None``), so the metric's
    own checks run exactly as before.
    """
    if not codes:
        return values, None
    arr, _ = apply_scale(values, name, scale=points, missing=codes)
    return pd.Series(arr, index=values.index, name=values.name), np.isnan(arr) & values.notna().to_numpy()


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
    if dtype.kind == "f" and not pd.api.types.is_extension_array_dtype(dtype):
        fast = _float_scores(values.to_numpy(), low, high)
        if fast is not None:
            return fast
    arr = numeric_scores(values, name, low=low, high=high, integer=True)
    missing = np.isnan(arr)
    if not missing.any():
        return arr.astype(np.int64), None
    filled = np.where(missing, low, arr).astype(np.int64)
    return filled, missing


def _float_scores(arr: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Float scale points that are all valid, as (integers, missing mask or None); else None.

    A vectorised happy path, chunk by chunk so that temporaries stay in cache: any invalid
    value (outside the scale, fractional, infinite, or no value at all) returns None so
    that :func:`numeric_scores` reports it.
    """
    dtype = np.int8 if -128 <= low and high <= 127 else np.int64
    out = np.empty(len(arr), dtype=dtype)
    missing = np.isnan(arr)
    any_missing = bool(missing.any())
    if any_missing and missing.all():
        return None
    for start in range(0, len(arr), _CHUNK_ROWS):
        sl = slice(start, start + _CHUNK_ROWS)
        chunk = np.where(missing[sl], low, arr[sl]) if any_missing else arr[sl]
        with np.errstate(invalid="ignore"):  # inf or huge values: the comparison below fails
            ints = chunk.astype(dtype)
        if not ((ints == chunk).all() and ints.min() >= low and ints.max() <= high):
            return None
        out[sl] = ints
    return out, (missing if any_missing else None)


def _nps_options(method: str, n_boot: Any, seed: Any) -> dict:
    """The checked interval options of an NPS (shared by every input engine)."""
    if method not in NPS_METHODS:
        raise CXDataError(f"`method`={method!r} is not an NPS interval method; valid: {list(NPS_METHODS)}")
    if method == "bootstrap" and (not isinstance(n_boot, (int, np.integer)) or n_boot < 100):
        raise CXDataError(f"`n_boot`={n_boot!r} must be an integer >= 100")
    return dict(method=method, n_boot=int(n_boot), seed=seed)


def _prepare_nps(data: Any, *, score: str | None = "ltr", weights: Any = None,
                 method: str = "wald", n_boot: int = 2000, seed: Any = 0, missing: Any = ()) -> _Prepared:
    options = _nps_options(method, n_boot, seed)
    values, name = as_series(data, score, argument="score")
    scores, declared = _declared(values, name, declared_scale(None, missing, name)[1], (0, 10))
    arr, absent = _integer_scores(scores, name, 0, 10)
    if absent is not None:
        arr = np.where(absent, 11, arr)
    w = resolve_weights(data, weights, len(values))
    if w is not None:
        w = _score_weights(w, arr != 11, name)
    return _Prepared("nps", name, arr, w, options, declared, lut=_NPS_LUT)


def _score_weights(w: np.ndarray | None, scored: np.ndarray, name: str) -> np.ndarray | None:
    """Weights rescaled to a maximum of 1, refused when they are zero on every scored row.

    Every estimate is a ratio of weight sums, so rescaling changes nothing but keeps Σw²
    (and the Kish base) from underflowing when weights are tiny (e.g. 1e-300).
    """
    if w is None:
        return None
    top = float(w.max())
    w = w / top
    if not (w[scored] > 0).any():
        raise CXDataError(
            f"the weights are zero on all {int(scored.sum())} row(s) with a {name!r} score (they are positive "
            f"only on rows whose score is missing); nothing can be estimated"
        )
    return w


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


def _column_scale(data: Any, score: str | None, scale: Any, missing: Any, lookup: Any = as_series):
    """The score column, its name, and its declared points and missing codes.

    ``scale`` may be a pair, a scale object (its codes are added to ``missing``) or a dict
    column -> either; a plain pair is checked before the column is looked up, as always.
    ``lookup(data, score, argument=)`` returns (values, name) (engines: no values).
    """
    if scale is not None and not isinstance(scale, dict) and not hasattr(scale, "points"):
        check_scale(scale)
    values, name = lookup(data, score, argument="score")
    points, codes = declared_scale(scale, missing, name)
    return values, name, points, codes


def _top_box_spec(data: Any, score: Any, top: Any, scale: Any, missing: Any, argument: str,
                  lookup: Any = as_series):
    """Checked top-box options: (values, name, points, missing codes, (top_low, top_high))."""
    if scale is None:
        raise CXDataError("`scale` is required for a top-box share, e.g. scale=(1, 5)")
    if top is None:
        raise CXDataError(f"`{argument}` is required, e.g. (4, 5) or a threshold like 4")
    values, name, points, codes = _column_scale(data, score, scale, missing, lookup)
    if points is None:
        raise CXDataError(f"`scale` declares no points for {name!r}; a top-box share needs them, e.g. (1, 5)")
    return values, name, points, codes, _top_range(top, points, argument)


def _csat_top_box(data: Any, score: Any, top: Any, scale: Any, missing: Any, lookup: Any = as_series) -> dict:
    """The top-box arguments of a CSAT (the highest ``top`` points of the scale)."""
    _, name, points, codes = _column_scale(data, score, scale, missing, lookup)
    low, high = points if points is not None else check_scale(scale)  # None: raises, no points
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= high - low + 1:
        raise CXDataError(f"`top`={top!r} must be the number of top scale points (1–{int(high - low + 1)})")
    return dict(top=(high - top + 1, high), scale=(low, high), missing=codes)


def _prepare_top_box(data: Any, *, score: str | None = None, top: Any = None,
                     scale: Any = None, weights: Any = None, missing: Any = (),
                     _argument: str = "top") -> _Prepared:
    values, name, points, codes, (t_low, t_high) = _top_box_spec(data, score, top, scale, missing, _argument)
    low, high = points
    scores, declared = _declared(values, name, codes, points)
    arr, absent = _integer_scores(scores, name, low, high)
    cats = ((arr >= t_low) & (arr <= t_high)).astype(np.int8)
    if absent is not None:
        cats[absent] = 2
    w = _score_weights(resolve_weights(data, weights, len(values)), cats != 2, name)
    return _Prepared("proportion", name, cats, w, dict(top_low=t_low, top_high=t_high), declared)


def _prepare_csat(data: Any, *, score: str | None = "osat", top: int = 2,
                  scale: Any = (1, 5), weights: Any = None, missing: Any = ()) -> _Prepared:
    return _prepare_top_box(data, score=score, weights=weights, **_csat_top_box(data, score, top, scale, missing))


def _prepare_ces(data: Any, *, score: str | None = "ces", easy: Any = (5, 7),
                 scale: Any = (1, 7), weights: Any = None, missing: Any = ()) -> _Prepared:
    return _prepare_top_box(data, score=score, top=easy, scale=scale, weights=weights, missing=missing,
                            _argument="easy")


def _prepare_mean(data: Any, *, score: str | None = None, scale: Any = None, weights: Any = None,
                  missing: Any = ()) -> _Prepared:
    values, name, points, codes = _column_scale(data, score, scale, missing)
    values, declared = _declared(values, name, codes, points)
    if points is not None:
        arr = numeric_scores(values, name, low=points[0], high=points[1])
    else:
        arr = numeric_scores(values, name)
    w = _score_weights(resolve_weights(data, weights, len(values)), ~np.isnan(arr), name)
    return _Prepared("mean", name, arr, w, dict(scale=scale), declared)


# ------------------------------------------------------------------------- reducers


@dataclass
class GroupCodes:
    """Per-column integer group codes (none missing) and their radix sizes.

    The combined code of a row is the mixed-radix number ``(c₀·s₁ + c₁)·s₂ + c₂ …``;
    the reducer builds it chunk by chunk instead of holding one array for all rows.
    """

    columns: list[np.ndarray]
    sizes: list[int]

    def __len__(self) -> int:
        return len(self.columns[0])

    def chunk(self, sl: slice, dtype: Any) -> np.ndarray:
        """Combined codes of the rows ``sl`` in ``dtype`` (which must hold them)."""
        key = self.columns[0][sl].astype(dtype)
        for col, size in zip(self.columns[1:], self.sizes[1:]):
            key *= size
            key += col[sl]
        return key

    def combined(self) -> np.ndarray:
        return self.chunk(slice(None), np.intp)


def _key_dtype(size: int) -> Any:
    """The smallest signed integer type holding ``0 .. size-1``."""
    for dtype in (np.int16, np.int32):
        if size <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _reduce(prep: _Prepared, codes: np.ndarray | GroupCodes | None, n_groups: int) -> dict[str, np.ndarray]:
    """Rows -> per-group sufficient statistics (arrays of length ``n_groups``).

    ``codes`` are group ids in ``0 .. n_groups-1`` (an array, or per-column
    :class:`GroupCodes`; ``None``: one group).
    """
    if prep.kind == "mean":
        flat = codes.combined() if isinstance(codes, GroupCodes) else codes
        out = _reduce_moments(prep.values, prep.weights, flat, n_groups)
        if prep.declared is None:
            out["n_missing_codes"] = np.zeros(n_groups)
        else:
            g = np.zeros(len(prep.declared), dtype=np.intp) if flat is None else flat
            out["n_missing_codes"] = np.bincount(g, weights=prep.declared.astype(float), minlength=n_groups)
        return out
    ncat = _NPS_NCAT if prep.kind == "nps" else _PROP_NCAT
    return _reduce_categories(prep, ncat, codes, n_groups)


def _reduce_categories(prep: _Prepared, ncat: int, codes: Any, n_groups: int) -> dict[str, np.ndarray]:
    """Counts (and weighted sums Σw, Σw²) per group × category; last category = missing.

    One ``bincount`` per chunk of rows over the key ``group * ncat + category``; the
    declared missing codes are counted per group in the same pass.
    """
    size = n_groups * ncat
    dtype = _key_dtype(size)
    w, lut, declared = prep.weights, prep.lut, prep.declared
    counts = np.zeros(size, dtype=np.int64)
    wsum = np.zeros(size) if w is not None else None
    w2sum = np.zeros(size) if w is not None else None
    n_codes = np.zeros(n_groups)
    n = len(prep.values)
    for start in range(0, n, _CHUNK_ROWS):
        sl = slice(start, min(n, start + _CHUNK_ROWS))
        cats = prep.values[sl] if lut is None else lut.take(prep.values[sl])
        if codes is None:
            group = None
            key = cats.astype(dtype)
        else:
            group = codes.chunk(sl, dtype) if isinstance(codes, GroupCodes) else codes[sl].astype(dtype)
            key = group * np.asarray(ncat, dtype=dtype)
            key += cats
        counts += np.bincount(key, minlength=size)
        if w is not None:
            ws = w[sl]
            wsum += np.bincount(key, weights=ws, minlength=size)
            w2sum += np.bincount(key, weights=ws * ws, minlength=size)
        if declared is not None:
            d = declared[sl].astype(float)
            n_codes += np.bincount(group, weights=d, minlength=n_groups) if group is not None else d.sum()
    out = {"count": counts.reshape(n_groups, ncat).astype(np.float64), "n_missing_codes": n_codes}
    if w is not None:
        out["wsum"] = wsum.reshape(n_groups, ncat)
        out["w2sum"] = w2sum.reshape(n_groups, ncat)
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


def _estimate_nps(st: dict, weighted: bool, level: float, options: dict) -> dict[str, Any]:
    cnt, n, shares, base = _nps_core(st, weighted)
    p_d, p_pa, p_p = shares[:, 0], shares[:, 1], shares[:, 2]
    est = 100.0 * (p_p - p_d)
    z = normal_quantile(level)
    method = options.get("method", "wald")
    mc: dict[str, np.ndarray] = {}  # the bootstrap bounds' Monte-Carlo errors (bootstrap only)
    basis = "Kish n_eff, weighted shares" if weighted else "n"
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wald":
            se = 100.0 * np.sqrt(nps_variance(p_d, p_p) / base)
            lo, hi = est - z * se, est + z * se
            label = f"Wald interval, Var=(pP+pD)-(pP-pD)^2 on base {basis} (Rocks 2016)"
        elif method == "adjusted_wald":
            b3 = base + 3.0
            a_d = (p_d * base + 0.75) / b3
            a_p = (p_p * base + 0.75) / b3
            adj = 100.0 * (a_p - a_d)
            se = 100.0 * np.sqrt(nps_variance(a_d, a_p) / b3)
            lo, hi = adj - z * se, adj + z * se
            label = (f"adjusted Wald interval (Rocks 2016: +0.75 detractors, +1.5 passives, "
                     f"+0.75 promoters, base {basis} + 3) centred on the adjusted NPS; "
                     f"estimate is the raw NPS")
        else:
            se, lo, hi, mc["ci_low_mc_se"], mc["ci_high_mc_se"] = _bootstrap_nps(shares, base, level, options)
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
        "n_detractors": cnt[:, 0].astype(np.int64), **mc,
    }


def _bootstrap_nps(shares, base, level, options):
    """Percentile bootstrap from the multinomial of the three category counts: SE, bounds and
    the bounds' Monte-Carlo standard errors (:func:`~cxlib.core.inference.percentile_bound_mc_error`)."""
    rng = np.random.default_rng(options.get("seed"))
    n_boot = options["n_boot"]
    g = len(base)
    size_n = np.rint(base).astype(np.int64)
    ok = (size_n > 0) & np.isfinite(shares).all(axis=1)
    p = np.where(ok[:, None], shares, 1.0 / 3.0)
    p = p / p.sum(axis=1, keepdims=True)
    se, lo, hi, lo_mc, hi_mc = (np.full(g, np.nan) for _ in range(5))
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
        lo_mc[sl], hi_mc[sl] = percentile_bound_mc_error(boot, level)
    for a in (se, lo, hi, lo_mc, hi_mc):
        a[~ok] = np.nan
    return se, lo, hi, lo_mc, hi_mc


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
    est = _ESTIMATORS[prep.kind](st, prep.weighted, level, prep.options)
    out = {}
    for key, value in est.items():  # the declared-code count follows n_missing (as in the results)
        out[key] = value
        if key == "n_missing":
            out["n_missing_codes"] = st["n_missing_codes"].astype(np.int64)
    if not (prep.kind == "proportion" or prep.options.get("method") == "adjusted_wald"):
        # A zero standard error (one response, or every answer the same) would give a
        # zero-width interval: the data cannot estimate one, so there is none. (Wilson and
        # adjusted-Wald intervals stay informative in that case and are kept.)
        with np.errstate(invalid="ignore"):
            degenerate = ~(out["std_err"] > 0) | ~(out["n_eff"] >= 2)
        for key in ("std_err", "ci_low", "ci_high", "ci_low_mc_se", "ci_high_mc_se"):
            if key in out:
                out[key] = np.where(degenerate, np.nan, out[key])
    return out


def not_estimable(row: dict[str, Any]) -> bool:
    """True when a one-sample result has an estimate but no interval."""
    return bool(np.isfinite(row["estimate"]) and not np.isfinite(row["ci_low"]))


def _diff(prep: _Prepared, st1: dict, st2: dict, level: float):
    """Signed difference 1 − 2 with SE, CI and two-sided p-value, vectorised.

    NPS: SE = sqrt(Var₁/n₁ + Var₂/n₂) (Wald, points), z test. Proportions: unpooled
    Wald SE, z test. Means: Welch SE and Welch–Satterthwaite df, t test.
    """
    weighted = prep.weighted
    with np.errstate(invalid="ignore", divide="ignore"):
        if prep.kind == "nps":
            _, _, s1, b1 = _nps_core(st1, weighted)
            _, _, s2, b2 = _nps_core(st2, weighted)
            d = 100.0 * ((s1[:, 2] - s1[:, 0]) - (s2[:, 2] - s2[:, 0]))
            se = 100.0 * np.sqrt(nps_variance(s1[:, 0], s1[:, 2]) / b1 + nps_variance(s2[:, 0], s2[:, 2]) / b2)
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
        # No variance on either side (e.g. [10] vs [0]): no test and no interval, never
        # an infinite statistic with p = 0.
        se = np.where(se > 0, se, np.nan)
        stat = d / se
        p = 2.0 * stats.t.sf(np.abs(stat), df)
        q = stats.t.ppf(0.5 + level / 2.0, df)
    return d, se, d - q * se, d + q * se, stat, p



def one_sample(prep: _Prepared, level: float, st: dict | None = None) -> dict[str, Any]:
    """Estimate a metric on all rows of ``prep`` (one group) as a dict of scalars
    (from the statistics ``st`` when an engine computed them)."""
    if st is None:
        st = _reduce(prep, None, 1)
    row = _compute(prep, st, level)
    return {k: (v[0].item() if isinstance(v[0], np.generic) else v[0]) for k, v in row.items()}
