"""The metric core on data held by another engine: polars, pyarrow, DuckDB, Spark.

:func:`cxlib.nps`, :func:`~cxlib.csat`, :func:`~cxlib.ces`, :func:`~cxlib.top_box`,
:func:`~cxlib.mean_score`, :func:`~cxlib.by_group` and :func:`~cxlib.weighted_correlation`
accept, besides a pandas DataFrame, any table that `narwhals <https://narwhals-dev.github.io/narwhals/>`_
understands: a polars ``DataFrame`` or ``LazyFrame``, a pyarrow ``Table``, a DuckDB relation
(``duckdb.sql(...)``, ``con.table(...)``, ``con.read_parquet(...)``) or a PySpark ``DataFrame``
(a local session, a cluster or Spark Connect). The engine that holds the rows computes the
per-group **sufficient statistics** — row counts per score category, Σw and Σw² per
category, n, Σw(x−c) and Σw(x−c)² for means, the input checks' counts — in one grouped
aggregation; only that small table (one row per group) comes to Python, where the same
estimators as for pandas (:mod:`cxlib.sufficient`) compute estimates and intervals. The
results equal the pandas path's up to floating-point summation order (tested to 1e-12 on
every engine in ``tests/test_engines.py``). The helpdesk rates and time quantiles, churn
counts, crosstab cells and directly-follows counts do the same in :mod:`cxlib.engine_ops`.

Why narwhals and not Ibis
-------------------------
Both translate one dataframe expression into each engine's own operations. narwhals is a
small pure-Python package without dependencies that wraps the object the user already
holds (a polars frame, a DuckDB relation, a Spark DataFrame) and runs the expression in
that engine, lazily where the engine is lazy; cxlib needs nothing else installed, and the
user needs no connection object. Ibis compiles expressions to SQL for more back ends
(BigQuery, Snowflake, Postgres…) but is a large dependency (its own type system, sqlglot,
a back-end package per engine) and works on tables registered with an Ibis connection
rather than on the user's objects; narwhals accepts Ibis tables too, so nothing is lost.

Input checks run in the engine as counts (values outside the scale, fractional or infinite
scores, missing or negative weights) and raise the same :class:`~cxlib.CXDataError` as the
pandas path, naming the column, the count and (from a second, small query) the bad values.
Text, boolean and date columns are refused from the schema. Rows with a missing group key
are dropped, as in pandas; groups are sorted by their key values (a polars ``Enum`` sorts
by its own order only if the engine does). Weights are rescaled after the aggregation,
so weights below about 1e-150 underflow in Σw² (the pandas path rescales first).

How the aggregation is written matters as much as where it runs (``benchmarks/README.md``):
on DuckDB and polars the proportions and NPS group by the score's values or each row's
category instead of one conditional sum per category and check
(:mod:`cxlib.engine_ops.categories`); polars sums integer columns' cross-products raw and
centres them afterwards; on Spark the correlation matrix's checks and sums are one Spark
SQL string rather than narwhals expressions (each of those is a call into the JVM: about
1,600 for seven columns, as long as the query itself at 2M rows); the checks share the one
scan, and only bad input costs a second query (for the message).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd

from .core.checks import _as_shown, show_values
from .errors import CXDataError
from .sufficient import (
    _NPS_NCAT,
    _PROP_NCAT,
    _column_scale,
    _csat_top_box,
    _nps_options,
    _Prepared,
    _top_box_spec,
    declared_scale,
)


# ------------------------------------------------------------------ recognising inputs
def is_engine_frame(data: Any) -> bool:
    """True for a table that is not pandas but that narwhals can wrap (polars, pyarrow,
    DuckDB, Spark, …); pandas objects and arrays take the pandas path.

    >>> import pandas as pd, pyarrow as pa
    >>> is_engine_frame(pa.table({"x": [1]})), is_engine_frame(pd.DataFrame({"x": [1]}))
    (True, False)
    """
    if isinstance(data, (pd.DataFrame, pd.Series, np.ndarray, list, tuple)) or data is None:
        return False
    import narwhals as nw

    try:
        frame = nw.from_native(data, pass_through=True)
    except Exception:  # noqa: BLE001 - anything narwhals cannot wrap is not a table
        return False
    return isinstance(frame, (nw.DataFrame, nw.LazyFrame))


#: From this many rows a plain numeric pandas frame is handed to DuckDB where that is faster.
LARGE_FRAME_ROWS = 200_000


def large_numeric_frame(data: Any, columns: list[str], missing: Any = ()) -> bool:
    """True for a pandas frame of at least :data:`LARGE_FRAME_ROWS` rows whose ``columns``
    are all numeric (not boolean), with numeric missing codes only: DuckDB scans it in place
    with the same results.

    >>> import pandas as pd
    >>> large_numeric_frame(pd.DataFrame({"x": [1.0]}), ["x"])
    False
    """
    if not isinstance(data, pd.DataFrame) or len(data) < LARGE_FRAME_ROWS:
        return False
    if any(c not in data.columns for c in columns):
        return False
    codes = [v for vals in (missing.values() if isinstance(missing, dict) else [missing]) for v in
             (vals if isinstance(vals, (list, tuple)) else [vals])] if missing else []
    if any(isinstance(c, str) for c in codes):
        return False
    return all(pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
               for c in columns)


def _frame(data: Any):
    """A narwhals LazyFrame on the engine that will run the aggregation: polars frames
    become lazy, other eager tables (pyarrow, …) are scanned by DuckDB without a copy."""
    import narwhals as nw

    frame = nw.from_native(data)
    if not isinstance(frame, nw.LazyFrame):
        if frame.implementation.is_polars():
            frame = frame.lazy()
        else:
            import duckdb

            frame = nw.from_native(duckdb.from_arrow(frame.to_arrow()))
    _QUERY.sums_booleans = frame.implementation.is_duckdb() or frame.implementation.is_polars()
    return frame


def column_names(data: Any) -> list[str]:
    """The column names of an engine table (from its schema, without reading rows)."""
    return list(_frame(data).collect_schema().names())


def check_columns(data: Any, columns: list[str], *, argument: str = "column") -> None:
    """Raise :class:`CXDataError` naming the first of ``columns`` not in the table.

    >>> import pyarrow as pa
    >>> check_columns(pa.table({"x": [1]}), ["y"], argument="by")
    Traceback (most recent call last):
    cxlib.errors.CXDataError: `by`='y' is not a column of `data`; available: ['x']
    """
    names = column_names(data)
    missing = [c for c in columns if c not in names]
    if missing:
        raise CXDataError(f"`{argument}`={missing[0]!r} is not a column of `data`; available: {names}")


def _lookup(data: Any, score: Any, *, argument: str):
    """The engine counterpart of ``as_series``: no values, only the checked column name."""
    if not isinstance(score, str):
        raise CXDataError(f"`{argument}` must name a column of `data` when `data` is a table")
    check_columns(data, [score], argument=argument)
    return None, score


# ------------------------------------------------------------------------ metric specs
def _spec(data: Any, metric: str, kwargs: dict) -> dict:
    """Checked options of a metric on an engine table (same checks and errors as pandas)."""
    kw = dict(kwargs)
    weights = kw.pop("weights", None)
    if weights is not None and not isinstance(weights, str):
        raise CXDataError("`weights` must name a column when `data` is a table (arrays cannot be aligned to it)")
    if weights is not None:
        check_columns(data, [weights], argument="weights")
    if metric == "nps":
        options = _nps_options(kw.pop("method", "wald"), kw.pop("n_boot", 2000), kw.pop("seed", 0))
        _, name = _lookup(data, kw.pop("score", "ltr"), argument="score")
        codes = declared_scale(None, kw.pop("missing", ()), name)[1]
        spec = dict(kind="nps", column=name, points=(0.0, 10.0), integer=True, codes=codes, options=options)
    elif metric in ("top_box", "csat", "ces"):
        score = kw.pop("score", {"csat": "osat", "ces": "ces"}.get(metric))
        if metric == "csat":
            args = _csat_top_box(data, score, kw.pop("top", 2), kw.pop("scale", (1, 5)), kw.pop("missing", ()),
                                 _lookup)
            argument = "top"
        elif metric == "ces":
            args = dict(top=kw.pop("easy", (5, 7)), scale=kw.pop("scale", (1, 7)), missing=kw.pop("missing", ()))
            argument = "easy"
        else:
            args = dict(top=kw.pop("top", None), scale=kw.pop("scale", None), missing=kw.pop("missing", ()))
            argument = "top"
        _, name, points, codes, top = _top_box_spec(data, score, args["top"], args["scale"], args["missing"],
                                                    argument, _lookup)
        spec = dict(kind="proportion", column=name, points=points, integer=True, codes=codes,
                    options=dict(top_low=top[0], top_high=top[1]))
    else:
        scale = kw.pop("scale", None)
        _, name, points, codes = _column_scale(data, kw.pop("score", None), scale, kw.pop("missing", ()), _lookup)
        spec = dict(kind="mean", column=name, points=points, integer=False, codes=codes, options=dict(scale=scale))
    if kw:
        raise CXDataError(f"unexpected option(s) for {metric}: {sorted(kw)}")
    spec["weights"] = weights
    return spec


# ----------------------------------------------------------------- engine expressions
def _score_columns(frame: Any, spec: dict, shift: float = 0.0, detail: bool = False) -> tuple[Any, dict[str, Any]]:
    """The frame with the score's per-row flags, and the aggregations that turn rows into
    sufficient statistics (name -> expression).

    The fast form counts usable scores, the categories that cannot be derived from them
    by subtraction, and invalid values (and weights) together; ``detail`` counts each kind
    of invalid value apart for the error message (a second query, run only on bad input).
    """
    import narwhals as nw

    col = spec["column"]
    x = nw.col(col)
    frame, aggs, valid = _column_flags(frame, col, spec["points"], spec["codes"], spec["integer"], detail=detail)
    guard = (lambda e: e) if valid is None else (lambda e: valid & e)
    usable = ~x.is_null() if valid is None else valid
    kind = spec["kind"]
    if kind == "nps":
        cats = {"_cx_c0": guard(x <= 6), "_cx_c1": guard((x >= 7) & (x <= 8)), "_cx_c2": guard(x >= 9)}
        derived = "_cx_c1"
    elif kind == "proportion":
        top = (x >= spec["options"]["top_low"]) & (x <= spec["options"]["top_high"])
        cats = {"_cx_c0": guard(~top), "_cx_c1": guard(top)}
        derived = "_cx_c0"
    else:
        cats = {"_cx_c0": usable}
        derived = "_cx_c0"
    if not detail:  # counts; the derived one is usable minus the others (exact integers)
        aggs.update({k: _count(c) for k, c in cats.items() if k != derived})
    w = nw.col(spec["weights"]) if spec["weights"] else None
    if w is not None:
        aggs.update(_weight_checks(w, frame.collect_schema()[spec["weights"]], spec["weights"], detail))
        aggs["_cx_w_scored"] = _count(usable & (w > 0))
        aggs["_cx_wmax"] = w.max()
        if not detail:
            for k, c in cats.items():
                aggs[f"{k}_w"] = nw.when(c).then(w).sum()
                aggs[f"{k}_w2"] = nw.when(c).then(w * w).sum()
    if kind == "mean" and not detail:
        d = x.cast(nw.Float64) - shift
        ww = w if w is not None else nw.lit(1.0)
        aggs["_cx_swd"] = nw.when(usable).then(ww * d).sum()
        aggs["_cx_swdd"] = nw.when(usable).then(ww * d * d).sum()
    return frame, aggs


def _column_flags(frame: Any, name: str, points: Any, codes: tuple, integer: bool, prefix: str = "_cx_",
                  detail: bool = False) -> tuple[Any, dict[str, Any], Any]:
    """One score column's checks: the frame (with a boolean ``missing`` column — blank, NaN
    or a declared code — where needed), the counts to aggregate (usable values, declared
    codes, invalid values: infinite, outside the scale or fractional; with ``detail`` each
    kind apart), and the expression of a usable value (None: simply not null).

    A plain integer column without codes needs no per-row flag: its range is checked from
    its minimum and maximum.
    """
    import narwhals as nw

    dtype = frame.collect_schema()[name]
    _refuse_dtype(dtype, name)
    x = nw.col(name)
    is_float = dtype.is_float()
    count = _count
    numeric = [c for c in codes if not isinstance(c, str)]
    if not (detail or is_float or numeric):
        aggs = {f"{prefix}valid": x.count()}
        if points is not None:
            aggs.update({f"{prefix}min": x.min(), f"{prefix}max": x.max()})
        return frame, aggs, None
    null, code, finite, in_range, whole = _value_conditions(x, dtype, points, numeric, integer)
    columns = {f"{prefix}missing": null if code is None else null | code}
    if code is not None:
        columns[f"{prefix}code"] = ~null & code
    frame = frame.with_columns(**columns)
    aggs = {f"{prefix}code": count(nw.col(f"{prefix}code"))} if code is not None else {}
    missing = nw.col(f"{prefix}missing")
    if not detail:
        aggs[f"{prefix}valid"] = count(~missing)
        ok = [e for e in (finite, in_range, whole) if e is not None]
        if ok:
            good = ok[0]
            for e in ok[1:]:
                good = good & e
            aggs[f"{prefix}bad"] = count(~missing & ~good)
        return frame, aggs, ~missing
    valid = ~missing & finite if finite is not None else ~missing
    flags = {f"{prefix}valid": valid}
    if finite is not None:
        flags[f"{prefix}inf"] = ~missing & ~finite
    if in_range is not None:
        flags[f"{prefix}range"] = valid & ~in_range
    if whole is not None:
        flags[f"{prefix}frac"] = valid & ~whole
    frame = frame.with_columns(**flags)
    aggs.update({k: count(nw.col(k)) for k in flags})
    aggs[f"{prefix}missing"] = count(missing)
    return frame, aggs, nw.col(f"{prefix}valid")


def _value_conditions(x: Any, dtype: Any, points: Any, codes: list, integer: bool = False) -> tuple:
    """A score column's conditions (narwhals expressions; None where they cannot apply): blank
    (null, or NaN in a float column), a declared numeric code, finite, within the scale
    points, a whole number."""
    is_float = dtype.is_float()
    null = (x.is_null() | x.is_nan()) if is_float else x.is_null()
    code = None
    for c in codes:  # equality, not is_in: engines differ on comparing int codes with floats
        code = (x == c) if code is None else code | (x == c)
    finite = (x.abs() != float("inf")) if is_float else None
    in_range = ((x >= points[0]) & (x <= points[1])) if points is not None else None
    whole = (x.round(0) == x) if integer and is_float else None
    return null, code, finite, in_range, whole


def _bad_row_checks(frame: Any, columns: list[str], declared: list, weights: str | None) -> tuple[dict, Any]:
    """The correlation's checks in the fast form: one count of rows with any bad value (infinite
    or outside the declared points) or bad weight, each column's count of declared codes; and
    the expression of a complete row. Per-column counts, minima and maxima cost DuckDB half the
    hand-written query's time at 10M rows (``benchmarks/README.md``); on bad input,
    :func:`_validate_columns` finds the column with a second query."""
    import narwhals as nw

    types = frame.collect_schema()
    aggs: dict[str, Any] = {}
    bad, complete = [], None
    for j, (col, (points, codes)) in enumerate(zip(columns, declared)):
        _refuse_dtype(types[col], col)
        null, code, finite, in_range, _ = _value_conditions(
            nw.col(col), types[col], points, [c for c in codes if not isinstance(c, str)])
        missing = null if code is None else null | code
        if code is not None:
            aggs[f"_cx{j}_code"] = _count(~null & code)
        good = [e for e in (finite, in_range) if e is not None]
        if good:
            ok = good[0] if len(good) == 1 else good[0] & good[1]
            bad.append(~missing & ~ok)
        complete = ~missing if complete is None else complete & ~missing
    if weights:
        w = nw.col(weights)
        bad.append(_weight_bad(w, types[weights], weights))
        complete = complete & (w > 0)
    if bad:
        any_bad = bad[0]
        for e in bad[1:]:
            any_bad = any_bad | e
        aggs["_cx_bad"] = _count(any_bad)
    return aggs, complete


#: Whether the engine sums booleans itself (DuckDB, polars: faster than a cast per row);
#: set by :func:`_frame` for the query this thread is building (Spark and others: a cast).
_QUERY = threading.local()


def _count(flag: Any) -> Any:
    """The number of rows where the boolean expression ``flag`` is true (nulls not counted)."""
    import narwhals as nw

    return flag.sum() if getattr(_QUERY, "sums_booleans", False) else flag.cast(nw.Int64).sum()


def _weight_checks(w: Any, dtype: Any, name: str, detail: bool = False) -> dict:
    """Counts of missing, negative and infinite weights (together, or ``detail`` apart)."""
    import narwhals as nw

    bad = _weight_bad(w, dtype, name)
    if not detail:
        return {"_cx_w_bad": _count(bad)}
    null = (w.is_null() | w.is_nan()) if dtype.is_float() else w.is_null()
    inf = (w.abs() == float("inf")) if dtype.is_float() else nw.lit(False)
    flags = {"_cx_w_null": null, "_cx_w_neg": ~null & (w < 0), "_cx_w_inf": ~null & inf}
    return {k: _count(v) for k, v in flags.items()}


def _weight_bad(w: Any, dtype: Any, name: str) -> Any:
    """A missing, negative or infinite weight (expression); text weights are refused."""
    if not dtype.is_numeric():
        raise CXDataError(f"weights column {name!r} holds {dtype} values; weights must be numeric")
    null = (w.is_null() | w.is_nan()) if dtype.is_float() else w.is_null()
    return null | (w < 0) | (w.abs() == float("inf")) if dtype.is_float() else null | (w < 0)


def nw_col(name: str) -> Any:
    import narwhals as nw

    return nw.col(name)


def _refuse_dtype(dtype: Any, name: str) -> None:
    import narwhals as nw

    if dtype == nw.Boolean:
        raise CXDataError(
            f"column {name!r} holds booleans (True/False); expected numeric scores "
            "(e.g. the 0–10 ratings themselves, or a 0/1 column with scale=(0, 1))")
    if dtype.is_temporal():
        raise CXDataError(f"column {name!r} holds dates or durations ({dtype}); expected numeric scores")
    if not dtype.is_numeric():
        raise CXDataError(f"column {name!r} holds {dtype} values, not numbers; expected numeric scores "
                          "(recode text labels first)")


def _aggregate(frame: Any, by_cols: list[str], aggs: dict[str, Any]) -> pd.DataFrame:
    """One aggregation in the engine; the small result as a pandas frame (sums over no
    rows are 0, not missing)."""
    import narwhals as nw

    exprs = [nw.len().alias("_cx_rows")] + [v.alias(k) for k, v in aggs.items()]
    out = frame.group_by(by_cols).agg(*exprs) if by_cols else frame.select(*exprs)
    if isinstance(out, nw.LazyFrame):
        out = out.collect()
    table = out.to_pandas()
    stats = [c for c in table.columns if c.startswith("_cx") and c not in by_cols]
    table[stats] = table[stats].astype(float)
    sums = [c for c in stats if not c.endswith(("_wmax", "_min", "_max"))]
    table[sums] = table[sums].fillna(0.0)
    return table


# ------------------------------------------------------------------------- statistics
def _validate(data: Any, spec: dict, totals: pd.Series) -> None:
    """Raise the pandas path's errors from the engine's counts (totals over all rows);
    on bad values, a second query counts each kind for the message."""
    if totals.get("_cx_bad", 0) > 0 or totals.get("_cx_w_bad", 0) > 0:
        frame, aggs = _score_columns(_frame(data), spec, detail=True)
        totals = _aggregate(frame, [], aggs).iloc[0]
    name = spec["column"]
    rows = int(totals["_cx_rows"])
    if rows == 0:
        raise CXDataError(f"column {name!r} is empty: no rows to analyse")
    if totals.get("_cx_inf", 0) > 0:
        raise CXDataError(f"column {name!r} has {int(totals['_cx_inf'])} infinite value(s)")
    if int(totals["_cx_missing"]) == rows:
        raise CXDataError(f"column {name!r} is all missing ({rows} rows): nothing to analyse")
    if totals.get("_cx_range", 0) > 0:
        low, high = spec["points"]
        bad = _bad_values(data, spec, "_cx_range")
        if spec["codes"]:  # as apply_scale words it when codes are declared
            raise CXDataError(f"column {name!r} has {int(totals['_cx_range'])} value(s) outside the scale points "
                              f"{low:g}–{high:g}: {show_values(_as_shown(bad))}; declared missing codes: "
                              f"{show_values(spec['codes'])}")
        raise CXDataError(f"column {name!r} has {int(totals['_cx_range'])} value(s) outside the scale "
                          f"{low:g}–{high:g}: {show_values(bad)}")
    if totals.get("_cx_frac", 0) > 0:
        bad = _bad_values(data, spec, "_cx_frac")
        raise CXDataError(f"column {name!r} has {int(totals['_cx_frac'])} non-integer value(s) "
                          f"{show_values(bad)}; expected whole-number scale points")
    w = spec["weights"]
    if w is None:
        return
    for key, what in (("_cx_w_null", "missing or non-numeric"), ("_cx_w_inf", "infinite"), ("_cx_w_neg", "negative")):
        if totals.get(key, 0) > 0:
            raise CXDataError(f"weights column {w!r} has {int(totals[key])} {what} value(s)"
                              + (f" {show_values(_negative_weights(data, w))}; weights must be >= 0"
                                 if key == "_cx_w_neg" else ""))
    if not totals["_cx_wmax"] > 0:
        raise CXDataError(f"weights column {w!r} is zero everywhere")
    if totals["_cx_w_scored"] == 0:
        scored = rows - int(totals["_cx_missing"])
        raise CXDataError(
            f"the weights are zero on all {scored} row(s) with a {name!r} score (they are positive "
            f"only on rows whose score is missing); nothing can be estimated")


def _negative_weights(data: Any, weights: str) -> np.ndarray:
    """The distinct negative weights, for the message (a grouping, which streams)."""
    import narwhals as nw

    out = _frame(data).filter(nw.col(weights) < 0).group_by(weights).agg(nw.len().alias("_cx_n"))
    if isinstance(out, nw.LazyFrame):
        out = out.collect()
    return np.sort(out.to_pandas()[weights].to_numpy())


def _bad_values(data: Any, spec: dict, flag: str) -> np.ndarray:
    """The distinct offending values (a small query, run only to report them)."""
    import narwhals as nw

    frame, _ = _score_columns(_frame(data), spec, detail=True)
    out = frame.filter(nw.col(flag)).select(nw.col(spec["column"])).unique()
    if isinstance(out, nw.LazyFrame):
        out = out.collect()
    return np.sort(out.to_pandas()[spec["column"]].to_numpy())


def _complete(table: pd.DataFrame, spec: dict, prefix: str = "_cx_") -> pd.DataFrame:
    """Fill in what the fast aggregation derives: the category counted by subtraction, the
    missing rows, and invalid values found from the minimum and maximum."""
    if f"{prefix}valid" not in table:  # the correlation sums count bad rows only (_bad_row_checks, _sql_sums)
        return table
    valid = table[f"{prefix}valid"]
    table[f"{prefix}missing"] = table["_cx_rows"] - valid
    if f"{prefix}min" in table:
        low, high = spec["points"]
        out = (table[f"{prefix}min"] < low) | (table[f"{prefix}max"] > high)
        table[f"{prefix}bad"] = out.astype(float)
    if "kind" not in spec:
        return table
    if spec["kind"] == "nps":
        table["_cx_c1"] = valid - table["_cx_c0"] - table["_cx_c2"]
    elif spec["kind"] == "proportion":
        table["_cx_c0"] = valid - table["_cx_c1"]
    else:
        table["_cx_c0"] = valid
    return table


def _statistics(data: Any, spec: dict, by_cols: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """The engine's grouped sums (one row per group, null keys included) and their totals."""
    shift = 0.0
    if spec["kind"] == "mean":  # centre on the overall mean (as the pandas reducer does)
        shift = _overall_mean(data, spec)
    frame = _frame(data)
    if spec["kind"] != "mean" and (frame.implementation.is_duckdb() or frame.implementation.is_polars()):
        from .engine_ops.categories import category_table

        table = category_table(frame, spec, by_cols)
    else:
        frame, aggs = _score_columns(frame, spec, shift)
        table = _aggregate(frame, by_cols, aggs)
    table = _complete(table, spec)
    totals = table[[c for c in table.columns if c.startswith("_cx_")]].sum()
    if spec["weights"]:
        totals["_cx_wmax"] = table["_cx_wmax"].max()
    _validate(data, spec, totals)
    table.attrs["shift"] = shift
    return table, totals


def _overall_mean(data: Any, spec: dict) -> float:
    """The unweighted mean of the valid scores (the centring constant of the moments)."""
    import narwhals as nw

    frame, _, valid = _column_flags(_frame(data), spec["column"], None, spec["codes"], False)
    x = nw.col(spec["column"]).cast(nw.Float64)
    out = frame.select((x if valid is None else nw.when(valid).then(x)).mean().alias("m"))
    if isinstance(out, nw.LazyFrame):
        out = out.collect()
    value = out.to_pandas()["m"].iloc[0]
    return float(value) if pd.notna(value) else 0.0


def _to_stats(table: pd.DataFrame, spec: dict, wmax: float) -> dict[str, np.ndarray]:
    """The engine's sums in the layout of :func:`cxlib.sufficient._reduce`."""
    kind = spec["kind"]
    f = lambda c: table[c].to_numpy(dtype=np.float64)  # noqa: E731
    missing = f("_cx_missing")
    weighted = spec["weights"] is not None
    out: dict[str, np.ndarray] = {"n_missing_codes": f("_cx_code") if "_cx_code" in table else np.zeros(len(table))}
    if kind in ("nps", "proportion"):
        ncat = _NPS_NCAT if kind == "nps" else _PROP_NCAT
        names = [f"_cx_c{i}" for i in range(ncat - 1)]
        out["count"] = np.column_stack([f(c) for c in names] + [missing])
        if weighted:
            zero = np.zeros(len(table))
            out["wsum"] = np.column_stack([f(c + "_w") / wmax for c in names] + [zero])
            out["w2sum"] = np.column_stack([f(c + "_w2") / wmax**2 for c in names] + [zero])
        return out
    n = f("_cx_c0")
    out.update(n=n, n_missing=missing, shift=np.full(len(table), table.attrs["shift"]))
    if weighted:
        out.update(sw=f("_cx_c0_w") / wmax, sw2=f("_cx_c0_w2") / wmax**2,
                   swd=f("_cx_swd") / wmax, swdd=f("_cx_swdd") / wmax)
    else:
        out.update(sw=n, sw2=n, swd=f("_cx_swd"), swdd=f("_cx_swdd"))
    return out


def _prepared(spec: dict) -> _Prepared:
    return _Prepared(spec["kind"], spec["column"], None, None, spec["options"], weighted=spec["weights"] is not None)


def one_sample_statistics(data: Any, metric: str, kwargs: dict) -> tuple[_Prepared, dict[str, np.ndarray]]:
    """A metric's sufficient statistics over the whole engine table (one group)."""
    spec = _spec(data, metric, kwargs)
    table, totals = _statistics(data, spec, [])
    wmax = float(totals["_cx_wmax"]) if spec["weights"] else 1.0
    return _prepared(spec), _to_stats(table, spec, wmax)


def grouped_statistics(data: Any, metric: str, by_cols: list[str], kwargs: dict):
    """A metric's statistics per group of ``by_cols`` from one grouped aggregation.

    Returns the prepared metric (no rows), the statistics (groups in sorted key order,
    groups with a missing key dropped), the key columns and each key's level index (the
    layout :func:`cxlib.by_group` builds from pandas).
    """
    spec = _spec(data, metric, kwargs)
    table, totals = _statistics(data, spec, by_cols)
    wmax = float(totals["_cx_wmax"]) if spec["weights"] else 1.0
    keep = table[by_cols].notna().all(axis=1).to_numpy()
    if not keep.any():
        raise CXDataError(f"`by`={by_cols!r}: every row has a missing group key")
    table = table.loc[keep].sort_values(by_cols, kind="stable").reset_index(drop=True)
    st = _to_stats(table, spec, wmax)
    keys, idx = {}, []
    for col in by_cols:
        levels = pd.Index(pd.unique(table[col])).sort_values()
        keys[col] = pd.Index(table[col])
        idx.append(levels.get_indexer(table[col]))
    return _prepared(spec), st, keys, tuple(idx)


# -------------------------------------------------------------- cross-product matrix
def cross_products(data: Any, columns: list[str], declared: list[tuple[Any, tuple]],
                   weights: str | None = None) -> dict[str, Any]:
    """Weighted sums over the complete rows of ``columns`` in one aggregation.

    ``declared`` gives each column's (points, missing codes). Returns n (complete rows
    with a positive weight), Σw, the centring constants c, Σw·(z−c) (q,), Σw·(z−c)(z−c)ᵀ
    (q, q) and the rows set missing as a declared code per column; values outside declared points raise as in
    :func:`cxlib.core.checks.apply_scale`.
    """
    import narwhals as nw

    frame = _frame(data)
    if frame.implementation.is_spark_like() or frame.implementation.is_duckdb():  # one SQL string
        table, shift = _sql_sums(frame, columns, declared, weights, _rough_means(frame, columns, declared))
        return _cross_product_totals(data, table, columns, declared, weights, shift, per_row=True, raw=False)
    aggs, complete = _bad_row_checks(frame, columns, declared, weights)
    w = nw.col(weights) if weights else nw.lit(1.0)
    # Spark and DuckDB: above (_sql_sums). Other lazy engines: the same aggregation without
    # keys, the weight null on incomplete rows so that each of their products is null and
    # skipped by sum (DuckDB at 10M rows: 1.06-1.11x the hand-written query's `where`, grouped
    # by completeness 1.19-1.21x); polars: the checks, then the products over the filtered
    # complete rows (two in-memory scans beat a condition per product)
    frame = frame.with_columns(_cx_complete=complete)
    per_row = frame.implementation.is_polars()
    # integer scores on polars: the raw products (a subtraction per row and use made the query
    # 1.7x the plain one), centred on their weighted means afterwards (below); the values are
    # exact and polars sums pairwise, so only the sums' rounding is amplified, by about
    # mean²/variance (7e-15 at 10M rows). Otherwise centred per row on rough means (DuckDB
    # sums in order: its raw sums were 1e-12 off at 10M rows, centred 5e-14)
    types = frame.collect_schema()
    raw = per_row and all(types[c].is_integer() for c in columns)
    shift = [0.0] * len(columns) if raw else _rough_means(frame, columns, declared)
    if raw:
        z = [nw.col(c).cast(nw.Float64) for c in columns]
    else:  # the centred columns in the projection, once per row (DuckDB repeated them in every product)
        frame = frame.with_columns(**{f"_cx_z{i}": nw.col(c).cast(nw.Float64) - m
                                      for i, (c, m) in enumerate(zip(columns, shift))})
        z = [nw.col(f"_cx_z{i}") for i in range(len(columns))]
    if per_row:
        products = _product_sums(w, z)
        if not weights:
            products["_cx_sw"] = nw.len().cast(nw.Float64)
        table = _aggregate(frame, [], aggs)
        sums = _aggregate(frame.filter(nw.col("_cx_complete")), [], products)
        table["_cx_complete"] = False
        sums["_cx_complete"] = True
        table = pd.concat([table, sums], ignore_index=True)
    else:
        ww = nw.col("_cx_ww")
        products = _product_sums(ww, z)
        both = _aggregate(frame.with_columns(_cx_ww=nw.when(nw.col("_cx_complete")).then(w)), [],
                          {**aggs, "_cx_ncomplete": ww.count(), **products})
        table, per_row = _checks_and_sums(both, list(products)), True
    return _cross_product_totals(data, table, columns, declared, weights, shift, per_row=per_row, raw=raw)


def _product_sums(w: Any, z: list) -> dict[str, Any]:
    """The sums Σw, Σw·zᵢ and Σw·zᵢ·zⱼ (i ≤ j) as aggregations (narwhals expressions)."""
    sums = {"_cx_sw": w.sum()}
    for i in range(len(z)):
        sums[f"_cx_s{i}"] = (w * z[i]).sum()
        for j in range(i, len(z)):
            sums[f"_cx_s{i}_{j}"] = (w * z[i] * z[j]).sum()
    return sums


def _checks_and_sums(both: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    """One aggregation's row (the checks over every row, the sums over the complete rows and
    their count ``_cx_ncomplete``) as the two rows :func:`_cross_product_totals` reads."""
    checks = both.drop(columns=[*sums, "_cx_ncomplete"]).assign(_cx_complete=False)
    return pd.concat([checks, both[sums].assign(_cx_rows=both["_cx_ncomplete"], _cx_complete=True)],
                     ignore_index=True)


def _cross_product_totals(data: Any, table: pd.DataFrame, columns: list[str], declared: list,
                          weights: str | None, shift: Any, *, per_row: bool, raw: bool) -> dict[str, Any]:
    """:func:`cross_products`' result from the engine's small table: rows of checks and sums,
    flagged by ``_cx_complete`` (``per_row``: the checks row counts every row, else the rows of
    both flags add up); ``raw`` sums are centred here. Errors come from a second query."""
    for j in range(len(columns)):
        table = _complete(table, {"points": declared[j][0]}, prefix=f"_cx{j}_")
    products = [c for c in table.columns if c.startswith("_cx_s")]
    full = table["_cx_complete"].fillna(False).astype(bool).to_numpy()
    checks = table.drop(columns=products + ["_cx_complete"]).sum(numeric_only=True)
    totals = pd.concat([checks, table.loc[full, products].sum()])
    totals["_cx_rows"] = table.loc[~full, "_cx_rows"].sum() if per_row else totals["_cx_rows"]
    totals["_cx_n"] = table.loc[full, "_cx_rows"].sum()
    if totals["_cx_n"] < 2 or any(totals[k] > 0 for k in totals.index if k.endswith("bad")):
        _validate_columns(data, columns, declared, weights)
    q = len(columns)
    s1 = np.array([totals[f"_cx_s{i}"] for i in range(q)], dtype=float)
    s2 = np.empty((q, q))
    for i in range(q):
        for j in range(i, q):
            s2[i, j] = s2[j, i] = totals[f"_cx_s{i}_{j}"]
    if raw:  # Σw(z−c) = Σwz − cΣw; Σw(zᵢ−cᵢ)(zⱼ−cⱼ) = Σwzᵢzⱼ − cⱼΣwzᵢ − cᵢΣwzⱼ + cᵢcⱼΣw
        total_w = float(totals["_cx_sw"])
        c = s1 / total_w if total_w > 0 else np.zeros(q)
        shift = c
        s2 = s2 - np.outer(s1, c) - np.outer(c, s1) + np.outer(c, c) * total_w
        s1 = s1 - c * total_w
    return {"n": int(totals["_cx_n"]), "sw": float(totals["_cx_sw"]), "shift": np.asarray(shift), "s1": s1, "s2": s2,
            "n_codes": {c: int(totals.get(f"_cx{j}_code", 0)) for j, c in enumerate(columns)},
            "rows": int(totals["_cx_rows"])}


#: Spark's provisional centring is kept while (mean − c)² ≤ this × variance for every column
#: (at most about two digits of the sums' precision lost to it); else a second pass at the means.
CENTRING_RATIO = 100.0


def _sql_name(name: str, quote: str = "`") -> str:
    """A column name as an SQL identifier: backquoted (Spark) or double-quoted (DuckDB)."""
    return quote + str(name).replace(quote, quote * 2) + quote


def _sql_number(value: Any) -> str:
    """A finite number as an SQL literal (whole numbers as integers, else an exact double)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else f"CAST('{value!r}' AS DOUBLE)"


def _sql_column_checks(name: str, dtype: Any, points: Any, codes: tuple,
                       quote: str = "`") -> tuple[str | None, str | None, str]:
    """One score column's checks as SQL conditions (those of :func:`_column_flags`, in the SQL
    that Spark and DuckDB share): a bad value (infinite or outside the declared points; None
    when none can be), a declared missing code (None when none is declared) and a usable value."""
    _refuse_dtype(dtype, name)
    x = _sql_name(name, quote)
    null = f"({x} IS NULL OR isnan({x}))" if dtype.is_float() else f"{x} IS NULL"
    code = " OR ".join(f"{x} = {_sql_number(c)}" for c in codes if not isinstance(c, str)) or None
    missing = f"({null} OR {code})" if code else null
    good = ([f"abs({x}) != CAST('Infinity' AS DOUBLE)"] if dtype.is_float() else []) + (
        [f"{x} >= {_sql_number(points[0])} AND {x} <= {_sql_number(points[1])}"] if points is not None else [])
    bad = f"NOT {missing} AND NOT ({' AND '.join(good)})" if good else None
    return bad, (f"NOT {null} AND ({code})" if code else None), f"NOT {missing}"


def _sql_sums(frame: Any, columns: list[str], declared: list, weights: str | None,
              shift: list[float]) -> tuple[pd.DataFrame, list]:
    """The checks and cross-product sums on Spark or DuckDB in one aggregation without keys,
    written as one SQL string (Spark's ``selectExpr``, DuckDB's ``project``/``aggregate``).

    Built through narwhals, the same query cost Spark about 1,600 calls into the JVM, as long
    as running it at 2M rows, and DuckDB 0.05 s of Python per call (``benchmarks/README.md``).
    The weight is null where the row is incomplete (a column of the projection, once per row),
    and so is each product of the row, which ``sum`` skips: this runs like the hand-written
    query's ``where`` (a condition per product: 1.3-1.7x its CPU time on Spark; keyed on
    completeness, Spark's hash aggregation of 30-odd sums: about 2x, DuckDB's 1.2x). The checks
    are those of :func:`_column_flags` and :func:`_weight_checks`, as one count of rows with any
    bad value or weight and each column's count of declared codes (per-column counts and
    extremes were 22 more sums for seven columns, 10-15 % of the query's time on Spark, half
    of it on DuckDB); on bad input :func:`_validate_columns` finds which column, and the tests
    compare every error with the pandas path's. A column whose mean lies more than
    √:data:`CENTRING_RATIO` standard deviations from its centring constant (``shift``; on Spark
    the declared midpoint, else 0) is summed again, centred at the means found. Returns the
    table (row 0: every row's checks, row 1: the complete rows' sums) and the constants used."""
    import narwhals as nw

    native = nw.to_native(frame)
    spark = frame.implementation.is_spark_like()
    quote = "`" if spark else '"'
    types = frame.collect_schema()
    checks, usable, bad = ["count(*) AS _cx_rows"], [], []
    for j, (col, (points, codes)) in enumerate(zip(columns, declared)):
        wrong, code, ok = _sql_column_checks(col, types[col], points, codes, quote)
        checks += [f"count_if({code}) AS _cx{j}_code"] if code else []
        bad += [wrong] if wrong else []
        usable.append(ok)
    weight = "CAST(1 AS DOUBLE)"
    if weights:
        w, dtype = _sql_name(weights, quote), types[weights]
        if not dtype.is_numeric():
            raise CXDataError(f"weights column {weights!r} holds {dtype} values; weights must be numeric")
        bad.append(f"{w} IS NULL OR isnan({w}) OR {w} < 0 OR abs({w}) = CAST('Infinity' AS DOUBLE)"
                   if dtype.is_float() else f"{w} IS NULL OR {w} < 0")
        usable.append(f"{w} > 0")
        weight = f"CAST({w} AS DOUBLE)"
    if bad:  # one count of rows with any bad value: _validate_columns finds which, on bad input only
        checks.append(f"count_if({' OR '.join(f'({b})' for b in bad)}) AS _cx_bad")
    complete = " AND ".join(f"({u})" for u in usable)
    q = len(columns)
    products = ["count(_cx_ww) AS _cx_ncomplete", "sum(_cx_ww) AS _cx_sw"]
    for i in range(q):
        products.append(f"sum(_cx_ww * _cx_z{i}) AS _cx_s{i}")
        products += [f"sum(_cx_ww * _cx_z{i} * _cx_z{j}) AS _cx_s{i}_{j}" for j in range(i, q)]
    terms = [p.rsplit(" AS ", 1)[1] for p in products[1:]]
    table = pd.DataFrame()
    for attempt in range(2):
        projection = ["*", f"CASE WHEN {complete} THEN {weight} END AS _cx_ww",
                      *[f"CAST({_sql_name(c, quote)} AS DOUBLE) - {_sql_number(m)} AS _cx_z{i}"
                        for i, (c, m) in enumerate(zip(columns, shift))]]
        aggregates = [*(checks if attempt == 0 else []), *products]
        if spark:
            row = native.selectExpr(*projection).selectExpr(*aggregates).collect()[0].asDict()
        else:
            out = native.project(", ".join(projection)).aggregate(", ".join(aggregates))
            row = dict(zip(out.columns, out.fetchall()[0]))
        rows = _checks_and_sums(pd.DataFrame([row], dtype=float).fillna(0.0), terms)  # (over no rows: 0)
        table = rows if attempt == 0 else pd.concat([table.iloc[[0]], rows.iloc[[1]]], ignore_index=True)
        sw = float(rows["_cx_sw"].iloc[1])
        s1 = rows[[f"_cx_s{i}" for i in range(q)]].to_numpy()[1]
        ss = rows[[f"_cx_s{i}_{i}" for i in range(q)]].to_numpy()[1]
        if attempt == 1 or not (sw > 0 and np.isfinite(s1).all() and np.isfinite(ss).all()):
            break  # (bad values are reported from the checks)
        d = s1 / sw
        if not np.any(d * d > CENTRING_RATIO * np.maximum(ss / sw - d * d, 0.0)):
            break
        shift = [c + m for c, m in zip(shift, d)]
    return table, shift


def _rough_means(frame: Any, columns: list[str], declared: list | None = None, rows: int = 10_000) -> list[float]:
    """The centring constants: the midpoint of a column's declared scale points, else the
    mean of its first ``rows`` rows, fetched as rows and averaged here. On Spark, 0 instead
    (a provisional centre that :func:`_sql_sums` checks, and replaces only when the data
    need it: a fetch is one more job). No query when every column has declared points."""
    import narwhals as nw

    mids = [None if d is None or d[0] is None else (d[0][0] + d[0][1]) / 2 for d in (declared or [None] * len(columns))]
    need = [c for c, m in zip(columns, mids) if m is None]
    means: dict[str, float] = {c: 0.0 for c in need}
    if need and not frame.implementation.is_spark_like():
        out = frame.select(*[nw.col(c).cast(nw.Float64) for c in need]).head(rows)
        if isinstance(out, nw.LazyFrame):
            out = out.collect()
        values = out.to_pandas().mean()
        means = {c: float(values[c]) if pd.notna(values[c]) and np.isfinite(values[c]) else 0.0 for c in need}
    return [means[c] if m is None else m for c, m in zip(columns, mids)]


def _validate_columns(data: Any, columns: list[str], declared: list, weights: str | None) -> None:
    """The errors of :func:`cxlib.core.checks.apply_scale` and the weights checks, from the
    counts of a second query (run only when the first found something wrong)."""
    frame, aggs = _frame(data), {}
    for j, (col, (points, codes)) in enumerate(zip(columns, declared)):
        frame, flags, _ = _column_flags(frame, col, points, codes, False, prefix=f"_cx{j}_", detail=True)
        aggs.update(flags)
    if weights:
        aggs.update(_weight_checks(nw_col(weights), frame.collect_schema()[weights], weights, detail=True))
        aggs["_cx_wmax"] = nw_col(weights).max()
    totals = _aggregate(frame, [], aggs).iloc[0]
    rows = int(totals["_cx_rows"])
    if rows == 0:
        raise CXDataError("`data` has no rows")
    for j, (col, (points, codes)) in enumerate(zip(columns, declared)):
        if totals.get(f"_cx{j}_inf", 0) > 0:
            raise CXDataError(f"column {col!r} has {int(totals[f'_cx{j}_inf'])} infinite value(s)")
        if totals[f"_cx{j}_valid"] == 0:
            raise CXDataError(f"column {col!r} has no value left: all {rows} rows are missing or declared "
                              f"missing codes {show_values(codes)}")
        if totals.get(f"_cx{j}_range", 0) > 0:
            spec = dict(column=col, points=points, codes=codes, integer=False, kind="mean", weights=None,
                        options={})
            bad = [int(v) if float(v).is_integer() else float(v) for v in _bad_values(data, spec, "_cx_range")]
            # (the message shows whole numbers without a decimal point, as apply_scale does)
            note = (f"declared missing codes: {show_values(codes)}" if codes
                    else "no missing codes are declared (e.g. missing=[0] for 'not applicable')")
            raise CXDataError(f"column {col!r} has {int(totals[f'_cx{j}_range'])} value(s) outside the scale points "
                              f"{points[0]:g}–{points[1]:g}: {show_values(bad)}; {note}")
    if weights:
        for key, what in (("_cx_w_null", "missing or non-numeric"), ("_cx_w_inf", "infinite"),
                          ("_cx_w_neg", "negative")):
            if totals[key] > 0:
                raise CXDataError(f"weights column {weights!r} has {int(totals[key])} {what} value(s)"
                                  + (f" {show_values(_negative_weights(data, weights))}; weights must be >= 0"
                                     if key == "_cx_w_neg" else ""))
        if not totals["_cx_wmax"] > 0:
            raise CXDataError(f"weights column {weights!r} is zero everywhere")
