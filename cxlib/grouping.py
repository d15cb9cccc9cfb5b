"""Metrics per group in one pass: :func:`by_group` and :func:`suppress_small_bases`.

Rows are coded to integer groups once (text keys factorized by object pointer first, see
:func:`_factorize_objects`), reduced to per-group sufficient statistics
(:mod:`cxlib.sufficient`), and estimated vectorised over groups; comparisons with the
rest of the sample or the previous period are differences of those statistics, adjusted
for multiple testing across the table.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .core.checks import check_columns, check_confidence_level
from .core.inference import CORRECTIONS, adjust_p_values, significance
from .errors import CXDataError, SmallBaseWarning
from .metrics import MeanResult, NPSResult, ProportionResult, ces, csat, mean_score, nps, top_box
from . import engines
from .sufficient import (
    GroupCodes,
    _compute,
    _diff,
    _mean_core,
    _nps_core,
    _prepare_ces,
    _prepare_csat,
    _prepare_mean,
    _prepare_nps,
    _prepare_top_box,
    _prop_core,
    _reduce,
    _rest,
    _stat_rows,
    _take,
)

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
    from .helpdesk import (
        GROUPED_OPERATIONS,  # local: helpdesk is the other module's concern
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
    """Integer codes of each grouping column (−1 where missing) and their levels.

    Returns the per-column codes, the per-column levels, the radix sizes and whether any
    key is missing; :func:`_combine` turns them into one mixed-radix code per row.
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
    any_missing = any(c.min(initial=0) < 0 for c in codes_list)
    return codes_list, levels, sizes, bool(any_missing)


def _combine(codes_list: list[np.ndarray], sizes: list[int], any_missing: bool) -> np.ndarray:
    """One mixed-radix int64 code per row (−1 where any key is missing)."""
    codes = GroupCodes(codes_list, sizes).combined().astype(np.int64)
    if any_missing:
        bad = np.zeros(len(codes), dtype=bool)
        for c in codes_list:
            bad |= c < 0
        codes[bad] = -1
    return codes


def _pandas_statistics(data: pd.DataFrame, prep: Any, by_cols: list[str]):
    """Per-group statistics of a pandas frame: (statistics, key columns, key level indices)."""
    codes_list, levels, sizes, any_missing = _group_codes(data, by_cols)
    n = len(codes_list[0])
    space = int(np.prod(sizes))
    radix = None
    sparse = space * 4 > 4 * n + 1_000_000
    if any_missing or sparse:
        codes = _combine(codes_list, sizes, any_missing)
        keep = codes >= 0
        if any_missing:
            prep = prep.rows(keep)
            codes = codes[keep]
        if len(codes) == 0:
            raise CXDataError(f"`by`={by_cols!r}: every row has a missing group key")
        if sparse:
            codes, radix = pd.factorize(codes, sort=True)
            space = len(radix)
    else:
        codes = GroupCodes(codes_list, sizes)
    st = _reduce(prep, codes, space)
    present = np.flatnonzero(_stat_rows(st) > 0)
    st = _take(st, present)
    mixed = present if radix is None else np.asarray(radix)[present]
    idx = np.unravel_index(mixed, sizes)
    keys = {col: levels[i].take(idx[i]) for i, col in enumerate(by_cols)}
    return st, keys, idx


def by_group(data: pd.DataFrame, metric: Any, *, by: str | Sequence[str], min_base: float = 30,
             compare: str | None = None, period: str | None = None, correction: str | None = "fdr_bh",
             confidence_level: float = 0.95, **metric_kwargs: Any) -> pd.DataFrame:
    """A cxlib metric per group, as a tidy DataFrame, optionally with significance tests.

    Parameters
    ----------
    data : DataFrame, or a polars, pyarrow, DuckDB or Spark table
        A non-pandas table is reduced to per-group statistics inside its own engine
        (:mod:`cxlib.engines`); the groups come back sorted by their key values.
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
    engine = engines.is_engine_frame(data)
    if not isinstance(data, pd.DataFrame) and not engine:
        raise CXDataError(f"`data` must be a pandas DataFrame (or a polars, pyarrow, DuckDB or Spark table), "
                          f"got {type(data).__name__}")
    if not engine and len(data) == 0:
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
    check = engines.check_columns if engine else check_columns
    check(data, by_cols, argument="by")
    if compare not in (None, "rest", "previous"):
        raise CXDataError(f"`compare`={compare!r} is not valid; use None, 'rest' or 'previous'")
    if compare == "previous":
        if period is None:
            raise CXDataError("`compare`='previous' needs `period`, the period column (e.g. 'quarter')")
        check(data, [period], argument="period")
        by_cols = [c for c in by_cols if c != period] + [period]
    if correction not in CORRECTIONS:
        raise CXDataError(f"`correction`={correction!r} is not valid; use one of {list(CORRECTIONS)}")
    try:
        min_base = float(min_base)
    except (TypeError, ValueError):
        raise CXDataError(f"`min_base`={min_base!r} must be a number, e.g. 30") from None

    if engine:
        prep, st, keys, idx = engines.grouped_statistics(data, name, by_cols, metric_kwargs)
    else:
        prep = prepare(data, **metric_kwargs)
        st, keys, idx = _pandas_statistics(data, prep, by_cols)
    out = dict(keys)
    res = _compute(prep, st, level)
    out.update(res)
    frame = pd.DataFrame(out)
    for col in by_cols if not engine else ():  # keep the grouping columns' dtypes
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            frame[col] = pd.Categorical(frame[col], categories=data[col].cat.categories,
                                        ordered=data[col].cat.ordered)
    base = res["n_eff"] if prep.weighted else res["n"].astype(float)
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
        if not prep.weighted:
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
    if compare == "rest" and prep.weighted:
        # base of "the rest" on the same scale as small_base (n_eff)
        _, rest_base = _rest_bases(prep, other)
        other_small = rest_base < frame["min_base"].to_numpy()
    for mask, why in ((small, "small base"), (other_ok & other_small, "comparison group has a small base")):
        note[mask & (note == "")] = why
    tested = other_ok & ~small & ~other_small & np.isfinite(p)
    note[~tested & (note == "")] = "not testable"
    d, lo, hi, p = (np.where(tested, v, np.nan) for v in (d, lo, hi, p))
    p_adj = adjust_p_values(p, correction)  # untested cells are NaN and not in the family
    sig = significance(p_adj, level)
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
