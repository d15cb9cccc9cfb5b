"""Proportions and NPS on DuckDB and polars from one aggregation grouped by a small key.

:func:`cxlib.engines.one_sample_statistics` and :func:`~cxlib.engines.grouped_statistics`
need, per group, the rows of each score category (and with weights Σw and Σw² per category),
the declared codes, the missing scores and the input checks' counts. Written as one
conditional sum per category and check, DuckDB evaluates a ``CASE`` per aggregate and row,
which ran 3-10x a hand-written query over Parquet files. Here:

- **DuckDB** groups by the keys and the score's own values (:func:`value_groups`): no
  expression per row but w², the weights checked from their count, minimum and maximum; each
  value is classified in Python (a few dozen rows). Above :data:`VALUE_GROUPS` rows (scores
  that are not scale points) it falls back to
- **a category per row** (:func:`category`, one ``CASE``), the path polars takes: polars
  groups by it in one scan.

The result is laid out as :func:`cxlib.engines._aggregate` lays out the aggregations of
:func:`cxlib.engines._score_columns` (one row per group), which Spark keeps using.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..engines import _refuse_dtype, _weight_checks
from .common import sql_name

#: A row's category in :func:`category_table` beyond the score's own (0, 1, 2).
_CAT_NULL, _CAT_CODE, _CAT_BAD, _CAT_WEIGHT = -1, -2, 3, 9


def category(frame: Any, spec: dict) -> Any:
    """Each row's category as one ``CASE`` expression: a bad weight, a missing score (blank
    or NaN), a declared missing code, an invalid value (infinite, outside the scale or
    fractional), else the score's category (NPS: 0 detractor, 1 passive, 2 promoter;
    proportion: 1 in the top box, 0 not)."""
    import narwhals as nw

    name = spec["column"]
    schema = frame.collect_schema()
    dtype = schema[name]
    _refuse_dtype(dtype, name)
    x = nw.col(name)
    branches: list[tuple[Any, int]] = []
    if spec["weights"]:
        wt = schema[spec["weights"]]
        w = nw.col(spec["weights"])
        _weight_checks(w, wt, spec["weights"])  # refuses a non-numeric weights column
        bad_w = (w.is_null() | w.is_nan() | (w < 0) | (w.abs() == float("inf"))) if wt.is_float() else \
            (w.is_null() | (w < 0))
        branches.append((bad_w, _CAT_WEIGHT))
    is_float = dtype.is_float()
    branches.append(((x.is_null() | x.is_nan()) if is_float else x.is_null(), _CAT_NULL))
    numeric = [c for c in spec["codes"] if not isinstance(c, str)]
    if numeric:
        code = None
        for c in numeric:  # equality, not is_in: engines differ on comparing int codes with floats
            code = (x == c) if code is None else code | (x == c)
        branches.append((code, _CAT_CODE))
    bad = []
    if spec["points"] is not None:  # an infinite value is outside any scale
        bad.append((x < spec["points"][0]) | (x > spec["points"][1]))
    elif is_float:
        bad.append(x.abs() == float("inf"))
    if spec["integer"] and is_float:
        bad.append(x.round(0) != x)
    if bad:
        flag = bad[0]
        for e in bad[1:]:
            flag = flag | e
        branches.append((flag, _CAT_BAD))
    if spec["kind"] == "nps":
        branches += [(x <= 6, 0), (x <= 8, 1)]
        last = 2
    else:
        branches.append(((x >= spec["options"]["top_low"]) & (x <= spec["options"]["top_high"]), 1))
        last = 0
    expr = None
    for condition, value in branches:
        lit = nw.lit(value, nw.Int8)
        expr = nw.when(condition).then(lit) if expr is None else expr.when(condition).then(lit)
    return expr.otherwise(nw.lit(last, nw.Int8))


def category_table(frame: Any, spec: dict, by_cols: list[str]) -> pd.DataFrame:
    """The sufficient statistics of a proportion or NPS from one aggregation grouped by the
    keys and a small per-row key, laid out as :func:`cxlib.engines._aggregate` lays out the aggregations
    of :func:`cxlib.engines._score_columns` (one row per group).

    DuckDB groups by the score's own values (:func:`value_groups`), polars by each row's
    category (:func:`category`); either beats one conditional sum per category and check
    (on DuckDB a ``CASE`` per aggregate ran 3-10x the hand-written query over Parquet
    files; polars needs one scan without per-aggregate masks). Spark keeps
    :func:`cxlib.engines._score_columns`.
    """
    import narwhals as nw

    key = "_cx_cat"
    while key in by_cols:
        key += "_"
    long = value_groups(frame, spec, by_cols, key) if frame.implementation.is_duckdb() else None
    if long is None:
        aggs = [nw.len().alias("_cx_rows")]
        w = spec["weights"]
        if w:
            aggs += [nw.col(w).sum().alias("_cx_sw"), (nw.col(w) * nw.col(w)).sum().alias("_cx_sw2"),
                     nw.col(w).max().alias("_cx_wmax")]
        out = frame.with_columns(category(frame, spec).alias(key)).group_by([*by_cols, key]).agg(*aggs)
        long = (out.collect() if isinstance(out, nw.LazyFrame) else out).to_pandas()
        if w:
            long["_cx_wbad"] = long["_cx_rows"] * (long[key] == _CAT_WEIGHT)
    return layout(long, long[key].to_numpy(dtype=np.int64), spec, by_cols)


#: At most this many (group, score value) rows come back from :func:`value_groups`; more
#: (scores that are not scale points, or very many groups) fall back to :func:`category`.
VALUE_GROUPS = 100_000


def value_groups(frame: Any, spec: dict, by_cols: list[str], key: str) -> pd.DataFrame | None:
    """DuckDB: rows (and the weights' count, Σw, Σw², minimum and maximum) per group and
    score value, no expression per row but w²; each value is classified here (missing,
    declared code, invalid, category) as :func:`category` does in the engine, and a bad
    weight shows in the weights' count, minimum or maximum (NaN is DuckDB's largest value).
    None when there are more than :data:`VALUE_GROUPS` such rows."""
    import narwhals as nw

    name = spec["column"]
    if name in by_cols:
        return None
    schema = frame.collect_schema()
    dtype = schema[name]
    _refuse_dtype(dtype, name)
    w = spec["weights"]
    q = sql_name
    aggs = ['count(*) AS "_cx_rows"']
    if w:
        _weight_checks(nw.col(w), schema[w], w)  # refuses a non-numeric weights column
        aggs += [f'count({q(w)}) AS "_cx_wn"', f'sum({q(w)}) AS "_cx_sw"', f'sum({q(w)} * {q(w)}) AS "_cx_sw2"',
                 f'min({q(w)}) AS "_cx_wmin"', f'max({q(w)}) AS "_cx_wmax"']
    # the relation's own API: one query built, not three (narwhals' group_by, agg, head),
    # which is most of the fixed cost of a call (≈ 15 ms) on small tables
    keys = ", ".join(q(c) for c in [*by_cols, name])
    native = frame.to_native().aggregate(", ".join([keys, *aggs]), keys).limit(VALUE_GROUPS + 1)
    out = native.to_arrow_table().to_pandas()
    if len(out) > VALUE_GROUPS:
        return None
    x = pd.to_numeric(out[name], errors="coerce").to_numpy(dtype=np.float64)  # NULL -> NaN
    cat = np.full(len(x), -100, dtype=np.int64)

    def assign(mask: np.ndarray, value: int) -> None:
        cat[(cat == -100) & mask] = value

    assign(np.isnan(x), _CAT_NULL)
    for c in spec["codes"]:
        if not isinstance(c, str):
            assign(x == c, _CAT_CODE)
    bad = np.isinf(x)
    if spec["points"] is not None:
        bad |= (x < spec["points"][0]) | (x > spec["points"][1])
    if spec["integer"]:
        bad |= np.isfinite(x) & (np.round(x) != x)
    assign(bad, _CAT_BAD)
    if spec["kind"] == "nps":
        assign(x <= 6, 0)
        assign(x <= 8, 1)
        assign(np.ones(len(x), dtype=bool), 2)
    else:
        assign((x >= spec["options"]["top_low"]) & (x <= spec["options"]["top_high"]), 1)
        assign(np.ones(len(x), dtype=bool), 0)
    out[key] = cat
    if w:
        n, wn = out["_cx_rows"].to_numpy(float), out["_cx_wn"].to_numpy(float)
        wmin, wmax = out["_cx_wmin"].to_numpy(float), out["_cx_wmax"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            bad_w = (n > wn) | (wmin < 0) | ~np.isfinite(wmax)
        out["_cx_wbad"] = np.where(bad_w, np.maximum(n - wn, 1.0), 0.0)  # a count > 0 when any is bad
    return out


def layout(long: pd.DataFrame, cat: np.ndarray, spec: dict, by_cols: list[str]) -> pd.DataFrame:
    """One row per group from the rows per (group, category) of :func:`category_table`
    (groups in order of first appearance; numpy on a few hundred rows: pandas' grouping
    cost about 3 ms a call, a tenth of polars' query at 1M rows)."""
    if by_cols:
        combined = np.zeros(len(long), dtype=np.int64)
        for col in by_cols:  # each key's codes (a missing key is a value of its own), combined
            codes, uniques = pd.factorize(long[col], use_na_sentinel=False)
            combined = combined * (len(uniques) + 1) + codes
        _, first, gid = np.unique(combined, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # group numbers in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        gid = rank[gid.ravel()]
        keys = {c: long[c].take(first[order]).reset_index(drop=True) for c in by_cols}
    else:
        gid, keys = np.zeros(len(long), dtype=np.int64), {}
    groups = (int(gid.max()) + 1 if len(gid) else 0) if by_cols else 1
    columns = {c: long[c].to_numpy(dtype=np.float64) for c in long.columns if c.startswith("_cx_")}

    def total(column: str, cats: tuple | None = None, largest: bool = False) -> np.ndarray:
        sel = slice(None) if cats is None else np.isin(cat, cats)
        if not largest:
            return np.bincount(gid[sel], weights=columns[column][sel], minlength=groups)
        acc = np.full(groups, np.nan)
        np.fmax.at(acc, gid[sel], columns[column][sel])
        return acc

    scores = (0, 1, 2) if spec["kind"] == "nps" else (0, 1)
    out = {"_cx_rows": total("_cx_rows"), "_cx_valid": total("_cx_rows", (*scores, _CAT_BAD)),
           "_cx_bad": total("_cx_rows", (_CAT_BAD,))}
    if spec["codes"]:
        out["_cx_code"] = total("_cx_rows", (_CAT_CODE,))
    for k in scores:
        out[f"_cx_c{k}"] = total("_cx_rows", (k,))
    if spec["weights"]:
        out["_cx_w_bad"] = total("_cx_wbad")
        for k in scores:
            out[f"_cx_c{k}_w"] = total("_cx_sw", (k,))
            out[f"_cx_c{k}_w2"] = total("_cx_sw2", (k,))
        # weights are finite and >= 0 once checked, so a positive sum means a positive weight
        out["_cx_w_scored"] = (sum(out[f"_cx_c{k}_w"] for k in scores) > 0).astype(float)
        out["_cx_wmax"] = total("_cx_wmax", largest=True)
    return pd.DataFrame({**keys, **out})
