"""The weighted cross-product matrix that key drivers start from, on another engine.

:func:`cross_products` is the engine path of :func:`cxlib.weighted_correlation`: one
aggregation gives n, Σw, Σw·(z−c) and Σw·(z−c)(z−c)ᵀ over the complete rows of the columns,
with the input checks in the same scan (or, on a stored DuckDB table when they read only
the weights, a scan of their own): one count of rows with any bad value or weight, and
each column's declared codes. Only on bad input does a second query find which column and
value (:func:`_validate_columns`, the pandas path's messages word for word).

How each engine runs it (``benchmarks/README.md``, sessions 5-7):

- **Spark and DuckDB**: SQL strings (:func:`_sql_sums`; Spark's ``selectExpr``, DuckDB's
  ``filter``/``project``/``aggregate``), not narwhals expressions: on Spark each of those is
  a call into the JVM (about 1,600 for seven columns, as long as the query at 2M rows), on
  DuckDB 0.05 s of Python per call. Spark: one job, the weight null on incomplete rows so
  that their products are skipped by ``sum`` without a condition per product or a grouping
  key. DuckDB does the same, except on a stored table whose checks read no score column
  (integer scores without declared points or codes): there the checks come first (a scan
  of the weights, 4 ms at 10M rows) and the sums run over the complete rows (``where``),
  as the hand-written query does; the null weight cost 10-25 % more CPU. On a derived
  relation (a study's, with its filters and codes as NULL) the second scan evaluates those
  again (94 ms at 20M rows), as much as it saves or more.
- **polars**: the checks, then the products over the filtered complete rows; integer
  columns summed raw and centred afterwards (polars sums pairwise).
- **other lazy engines** narwhals wraps (Dask): the same aggregation without keys as narwhals
  expressions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import show_values
from ..engines import (
    _aggregate,
    _bad_values,
    _count,
    _column_flags,
    _frame,
    _negative_weights,
    _refuse_dtype,
    _value_conditions,
    _weight_bad,
    _weight_checks,
    nw_col,
)
from ..errors import CXDataError
from .common import sql_name


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
        return _cross_product_totals(data, table, columns, declared, weights, shift, raw=False)
    aggs, complete = _bad_row_checks(frame, columns, declared, weights)
    w = nw.col(weights) if weights else nw.lit(1.0)
    # Spark and DuckDB: above (_sql_sums). Other lazy engines: the same aggregation without
    # keys, the weight null on incomplete rows so that each of their products is null and
    # skipped by sum (DuckDB at 10M rows: 1.06-1.11x the hand-written query's `where`, grouped
    # by completeness 1.19-1.21x); polars: the checks, then the products over the filtered
    # complete rows (two in-memory scans beat a condition per product)
    frame = frame.with_columns(_cx_complete=complete)
    polars = frame.implementation.is_polars()
    # integer scores on polars: the raw products (a subtraction per row and use made the query
    # 1.7x the plain one), centred on their weighted means afterwards (below); the values are
    # exact and polars sums pairwise, so only the sums' rounding is amplified, by about
    # mean²/variance (7e-15 at 10M rows). Otherwise centred per row on rough means (DuckDB
    # sums in order: its raw sums were 1e-12 off at 10M rows, centred 5e-14)
    types = frame.collect_schema()
    raw = polars and all(types[c].is_integer() for c in columns)
    shift = [0.0] * len(columns) if raw else _rough_means(frame, columns, declared)
    if raw:
        z = [nw.col(c).cast(nw.Float64) for c in columns]
    else:  # the centred columns in the projection, once per row, not in every product
        frame = frame.with_columns(**{f"_cx_z{i}": nw.col(c).cast(nw.Float64) - m
                                      for i, (c, m) in enumerate(zip(columns, shift))})
        z = [nw.col(f"_cx_z{i}") for i in range(len(columns))]
    if polars:
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
        table = _checks_and_sums(both, list(products))
    return _cross_product_totals(data, table, columns, declared, weights, shift, raw=raw)


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
                          weights: str | None, shift: Any, *, raw: bool) -> dict[str, Any]:
    """:func:`cross_products`' result from the engine's small table: a row of checks over every
    row and a row of sums over the complete rows, flagged by ``_cx_complete``; ``raw`` sums are
    centred here. Errors come from a second query."""
    products = [c for c in table.columns if c.startswith("_cx_s")]
    full = table["_cx_complete"].fillna(False).astype(bool).to_numpy()
    checks = table.drop(columns=products + ["_cx_complete"]).sum(numeric_only=True)
    totals = pd.concat([checks, table.loc[full, products].sum()])
    totals["_cx_rows"] = table.loc[~full, "_cx_rows"].sum()
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


def _sql_number(value: Any) -> str:
    """A finite number as an SQL literal (whole numbers as integers, else an exact double)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else f"CAST('{value!r}' AS DOUBLE)"


def _sql_column_checks(name: str, dtype: Any, points: Any, codes: tuple, quote: str = "`",
                       nan: bool = True) -> tuple[str | None, str | None, str]:
    """One score column's checks as SQL conditions (those of :func:`_column_flags`, in the SQL
    that Spark and DuckDB share): a bad value (infinite or outside the declared points; None
    when none can be), a declared missing code (None when none is declared) and a usable value.
    ``nan=False`` leaves out the NaN tests (see :func:`_sql_sums`)."""
    _refuse_dtype(dtype, name)
    x = sql_name(name, quote)
    null = f"({x} IS NULL OR isnan({x}))" if dtype.is_float() and nan else f"{x} IS NULL"
    code = " OR ".join(f"{x} = {_sql_number(c)}" for c in codes if not isinstance(c, str)) or None
    missing = f"({null} OR {code})" if code else null
    good = ([f"abs({x}) != CAST('Infinity' AS DOUBLE)"] if dtype.is_float() else []) + (
        [f"{x} >= {_sql_number(points[0])} AND {x} <= {_sql_number(points[1])}"] if points is not None else [])
    bad = f"NOT {missing} AND NOT ({' AND '.join(good)})" if good else None
    return bad, (f"NOT {null} AND ({code})" if code else None), f"NOT {missing}"


def _sql_sums(frame: Any, columns: list[str], declared: list, weights: str | None,
              shift: list[float]) -> tuple[pd.DataFrame, list]:
    """The checks and cross-product sums on Spark or DuckDB, aggregations without keys written
    as SQL strings (Spark's ``selectExpr``, DuckDB's ``filter``/``project``/``aggregate``).

    Built through narwhals, the same query cost Spark about 1,600 calls into the JVM, as long
    as running it at 2M rows, and DuckDB 0.05 s of Python per call (``benchmarks/README.md``).
    On Spark the checks and sums are one aggregation (a job has a fixed cost): the weight is
    null where the row is incomplete (a column of the projection, once per row), and so is
    each product of the row, which ``sum`` skips: this runs like the hand-written query's
    ``where`` (a condition per product: 1.3-1.7x its CPU time on Spark; keyed on completeness,
    Spark's hash aggregation of 30-odd sums: about 2x). DuckDB does the same, except on a
    stored table (``TABLE_RELATION``) whose checks read only the weights (no declared points
    or codes, integer scores): then the checks are a query of their own (4 ms at 10M rows)
    and the sums run over ``where`` the row is complete, like the hand-written query (at 10M
    rows 1.04-1.22x its time, one query 1.20-1.51x), and on bad input the sums are not
    computed. On a relation derived from others (a study's Parquet folder, with its filter
    and codes as NULL) the checks' scan evaluates those again (94 ms at 20M rows), as much
    as it saves or more (``benchmarks/README.md``). The checks are those of
    :func:`_column_flags` and :func:`_weight_checks`, as one count of rows with any bad value
    or weight and each column's count of declared codes (per-column counts and extremes were
    22 more sums for seven columns, 10-15 % of the query's time on Spark, half
    of it on DuckDB); on bad input :func:`_validate_columns` finds which column, and the tests
    compare every error with the pandas path's. A column whose mean lies more than
    √:data:`CENTRING_RATIO` standard deviations from its centring constant (``shift``; on Spark
    the declared midpoint, else 0) is summed again, centred at the means found. Returns the
    table (row 0: every row's checks, row 1: the complete rows' sums) and the constants used.

    Float columns: the first pass leaves out the NaN tests (``isnan`` per column and row,
    11-13 % of DuckDB's query at 10M rows). A NaN on a complete row makes a sum NaN, and a NaN
    in a column with declared points or in the weights counts as a bad row (both engines order
    NaN above every number); either way the exact pass runs, so the result is the same. Data
    read from pandas or Parquet usually hold nulls, not NaN."""
    types = frame.collect_schema()
    if any(types[c].is_float() for c in [*columns, *([weights] if weights else [])]):
        table, used, nan_seen = _sql_pass(frame, types, columns, declared, weights, shift, nan=False)
        if not (nan_seen or table.get("_cx_bad", pd.Series([0.0])).iloc[0] > 0):
            return table, used
    return _sql_pass(frame, types, columns, declared, weights, shift, nan=True)[:2]


def _sql_pass(frame: Any, types: Any, columns: list[str], declared: list, weights: str | None,
              shift: list[float], nan: bool) -> tuple[pd.DataFrame, list, bool]:
    """One pass of :func:`_sql_sums`; also whether a sum came back NaN."""
    import narwhals as nw

    native = nw.to_native(frame)
    spark = frame.implementation.is_spark_like()
    quote = "`" if spark else '"'
    nan_seen = False
    checks, usable, bad = ["count(*) AS _cx_rows"], [], []
    for j, (col, (points, codes)) in enumerate(zip(columns, declared)):
        wrong, code, ok = _sql_column_checks(col, types[col], points, codes, quote, nan)
        checks += [f"count_if({code}) AS _cx{j}_code"] if code else []
        bad += [wrong] if wrong else []
        usable.append(ok)
    weight = "CAST(1 AS DOUBLE)"
    if weights:
        w, dtype = sql_name(weights, quote), types[weights]
        if not dtype.is_numeric():
            raise CXDataError(f"weights column {weights!r} holds {dtype} values; weights must be numeric")
        bad.append(f"{w} IS NULL OR {'isnan(' + w + ') OR ' if nan else ''}{w} < 0 OR "
                   f"abs({w}) = CAST('Infinity' AS DOUBLE)" if dtype.is_float() else f"{w} IS NULL OR {w} < 0")
        usable.append(f"{w} > 0")
        weight = f"CAST({w} AS DOUBLE)"
    # a stored DuckDB table whose checks read no score column (only the weights): the checks,
    # then the sums over the complete rows (`where`); else one query, as on Spark (_sql_sums)
    split = (not spark and getattr(native, "type", "") == "TABLE_RELATION" and len(checks) == 1
             and len(bad) == (1 if weights else 0))
    if bad:  # one count of rows with any bad value: _validate_columns finds which, on bad input only
        checks.append(f"count_if({' OR '.join(f'({b})' for b in bad)}) AS _cx_bad")
    complete = " AND ".join(f"({u})" for u in usable)
    q = len(columns)
    products = ["count(_cx_ww) AS _cx_ncomplete", "sum(_cx_ww) AS _cx_sw"]
    for i in range(q):
        products.append(f"sum(_cx_ww * _cx_z{i}) AS _cx_s{i}")
        products += [f"sum(_cx_ww * _cx_z{i} * _cx_z{j}) AS _cx_s{i}_{j}" for j in range(i, q)]
    terms = [p.rsplit(" AS ", 1)[1] for p in products[1:]]
    checked: dict = {}
    if split:
        out = native.aggregate(", ".join(checks))
        checked = {k: float(v) for k, v in zip(out.columns, out.fetchall()[0])}
        if checked.get("_cx_bad", 0.0) > 0:  # bad input: no sums (the exact pass checks again,
            if not nan:                      # then _validate_columns reports)
                return pd.DataFrame([{**checked, "_cx_complete": False}]), shift, True
            none = {**{k: 0.0 for k in terms}, "_cx_rows": 0.0, "_cx_complete": True}
            return pd.DataFrame([{**checked, "_cx_complete": False}, none]), shift, False
    for attempt in range(2):
        centred = [f"CAST({sql_name(c, quote)} AS DOUBLE) - {_sql_number(m)} AS _cx_z{i}"
                   for i, (c, m) in enumerate(zip(columns, shift))]
        aggregates = [*(checks if attempt == 0 and not split else []), *products]
        if spark:
            projection = ["*", f"CASE WHEN {complete} THEN {weight} END AS _cx_ww", *centred]
            row = native.selectExpr(*projection).selectExpr(*aggregates).collect()[0].asDict()
        else:
            rel = native.filter(complete).project(", ".join(["*", f"{weight} AS _cx_ww", *centred])) if split else \
                native.project(", ".join(["*", f"CASE WHEN {complete} THEN {weight} END AS _cx_ww", *centred]))
            out = rel.aggregate(", ".join(aggregates))
            row = dict(zip(out.columns, out.fetchall()[0]))
        nan_seen = nan_seen or any(isinstance(v, float) and np.isnan(v) for v in row.values())
        row = {k: 0.0 if v is None or np.isnan(v) else float(v) for k, v in row.items()}  # (over no rows: None)
        if attempt == 0:
            checked = checked or {k: v for k, v in row.items() if k not in terms and k != "_cx_ncomplete"}
        sums = {**{k: row[k] for k in terms}, "_cx_rows": row["_cx_ncomplete"]}
        sw = sums["_cx_sw"]
        s1 = np.array([sums[f"_cx_s{i}"] for i in range(q)])
        ss = np.array([sums[f"_cx_s{i}_{i}"] for i in range(q)])
        if attempt == 1 or not (sw > 0 and np.isfinite(s1).all() and np.isfinite(ss).all()):
            break  # (bad values are reported from the checks)
        d = s1 / sw
        if not np.any(d * d > CENTRING_RATIO * np.maximum(ss / sw - d * d, 0.0)):
            break
        shift = [c + m for c, m in zip(shift, d)]
    table = pd.DataFrame([{**checked, "_cx_complete": False}, {**sums, "_cx_complete": True}])
    return table, shift, nan_seen


def _rough_means(frame: Any, columns: list[str], declared: list | None = None, rows: int = 10_000) -> list[float]:
    """The centring constants: the midpoint of a column's declared scale points, else the
    mean of its first ``rows`` rows, fetched as rows and averaged here. On Spark, 0 instead
    (a provisional centre that :func:`_sql_sums` checks, and replaces only when the data
    need it: a fetch is one more job). No query when every column has declared points."""
    import narwhals as nw

    mids = [None if d is None or d[0] is None else (d[0][0] + d[0][1]) / 2 for d in (declared or [None] * len(columns))]
    need = [c for c, m in zip(columns, mids) if m is None]
    means: dict[str, float] = {c: 0.0 for c in need}
    if need and frame.implementation.is_duckdb():  # one small SQL query (narwhals' head + to_pandas: 2x)
        out = nw.to_native(frame).limit(rows).aggregate(
            ", ".join(f"avg(CASE WHEN isfinite({x}) THEN {x} END)"
                      for x in (f"CAST({sql_name(c)} AS DOUBLE)" for c in need)))
        means = {c: float(v) if v is not None and np.isfinite(v) else 0.0 for c, v in zip(need, out.fetchall()[0])}
    elif need and not frame.implementation.is_spark_like():
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
