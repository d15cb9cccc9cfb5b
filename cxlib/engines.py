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
centres them afterwards; the checks share the one scan, and only bad input costs a second
query (for the message). The correlation's cross-product sums are in
:mod:`cxlib.engine_ops.cross_products` (SQL strings on Spark and DuckDB).
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
    if not keep.all():
        table = table.loc[keep]
    # each key's level index from its sorted codes, the groups sorted by them (numpy on a few
    # hundred rows: pandas' sort_values and get_indexer cost more than polars' query at 1M rows)
    codes = [pd.factorize(table[col], sort=True)[0] for col in by_cols]
    order = np.lexsort(codes[::-1])
    table = table.take(order).reset_index(drop=True)
    st = _to_stats(table, spec, wmax)
    keys = {col: pd.Index(table[col]) for col in by_cols}
    return _prepared(spec), st, keys, tuple(c[order] for c in codes)
