"""Banner tables on an engine table (polars, pyarrow, DuckDB, Spark): the per-cell sums in
the engine, the estimates, tests and letters as for pandas.

What a banner table's every number starts from is small: for the category questions
(levels, nets, NPS groups) the count, Σw and Σw² per (banner column, answer); for the
rated questions (means) n, Σw, Σw², Σw·d and Σw·d² per banner column, ``d = x − c``
centred on the question's mean. The engine computes them in one grouped aggregation per
(banner variable, category question) and one per banner variable for all rated questions;
the Total column is the sum over a banner variable's groups (respondents missing it
included). The answers are checked in the engine with the metric core's checks
(:mod:`cxlib.engines`: values outside the scale, fractions, infinite values; missing,
negative or infinite weights), the levels of a question are its distinct values (sorted;
every point of ``scale`` when given), and :func:`cxlib.crosstab.table.build_crosstab`
finishes from :func:`cxlib.crosstab.sums.cells_from_sums` exactly as the pandas path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import check_choice, check_confidence_level, check_min_base, column_list, show_values
from ..crosstab.spec import (
    CORRECTIONS,
    TESTS,
    TOTAL,
    BannerVariable,
    Plan,
    RowSpec,
    _check_missing,
    _display,
    _share_rows,
    letters_for,
    question_nets,
    question_scale,
    question_stats,
)
from ..crosstab.sums import cells_from_sums
from ..crosstab.table import build_crosstab
from ..errors import CXDataError
from .common import collect, frame, schema


def _weights(lazy: Any, weights: Any) -> float | None:
    """The largest weight (sums are divided by it, as the pandas path divides the weights),
    after the checks of :func:`cxlib.core.checks.check_weights`; None unweighted."""
    import narwhals as nw

    if weights is None:
        return None
    if not isinstance(weights, str):
        raise CXDataError("`weights` must name a column when `data` is a table (arrays cannot be aligned to it)")
    w = nw.col(weights)
    counts = engines._weight_checks(w, schema(lazy)[weights], weights, detail=True)
    totals = engines._aggregate(lazy, [], {**counts, "_cx_wmax": w.max()}).iloc[0]
    for key, what in (("_cx_w_null", "missing or non-numeric"), ("_cx_w_inf", "infinite")):
        if totals[key] > 0:
            raise CXDataError(f"weights column {weights!r} has {int(totals[key])} {what} value(s)")
    if totals["_cx_w_neg"] > 0:
        values = np.sort(collect(lazy.filter(w < 0).select(weights).unique())[weights].to_numpy())
        raise CXDataError(f"weights column {weights!r} has {int(totals['_cx_w_neg'])} negative value(s) "
                          f"{show_values(values)}; weights must be >= 0")
    if not totals["_cx_wmax"] > 0:
        raise CXDataError(f"weights column {weights!r} is zero everywhere")
    return float(totals["_cx_wmax"])


def _levels(lazy: Any, name: str) -> list[Any]:
    """The distinct non-missing values of a column, sorted (an ``Enum``: its own order)."""
    import narwhals as nw

    dtype = schema(lazy)[name]
    if isinstance(dtype, nw.Enum):
        return [_display(v) for v in dtype.categories]
    values = collect(lazy.select(name).unique())[name]
    values = values[values.notna()]
    try:
        return [_display(v) for v in sorted(values)]
    except TypeError:  # mixed types: sorted by their text
        return [_display(v) for v in sorted(values, key=str)]


def _validate(data: Any, name: str, kind: str, scale: tuple | None) -> None:
    """The checks of the pandas path's scores, run in the engine by the metric core."""
    if kind == "nps":
        engines.one_sample_statistics(data, "nps", {"score": name})
    elif kind == "points":  # column % with a scale: whole points within it
        engines.one_sample_statistics(data, "top_box", {"score": name, "scale": scale, "top": (scale[1], scale[1])})
    else:
        engines.one_sample_statistics(data, "mean_score", {"score": name, "scale": scale})


def _slots(values: pd.Series, question: dict) -> np.ndarray:
    """Each answer's slot (offset + level index; the last slot for a missing answer)."""
    kind, levels, offset = question["kind"], question["levels"], question["offset"]
    if kind == "nps":
        x = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
        code = np.select([np.isnan(x), x <= 6, x <= 8], [3, 0, 1], 2)
    elif kind == "points":
        x = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
        code = np.where(np.isnan(x), len(levels), x - question["scale"][0])
    else:
        missing = values.isna().to_numpy()
        code = pd.Index(levels, dtype=object).get_indexer(values.map(_display).astype(object))
        code = np.where(missing | (code < 0), len(levels), code)
    return offset + code.astype(np.int64)


def _plan_rows(data: Any, lazy: Any, rows: list[str], stats: dict, nets: dict, scale: Any,
               missing: str | None) -> tuple[list[RowSpec], list[dict], list[str], int]:
    """The table rows as in :func:`cxlib.crosstab.spec.make_plan`, the category questions
    (kind, levels, slot offset) and the rated questions, with their answers checked."""
    table_rows, categories, means, width = [], [], [], 0
    for q in rows:
        for s in stats[q]:
            if s == "nps":
                _validate(data, q, "nps", None)
                table_rows.append(RowSpec(q, "nps", "NPS", False, (width + 2,), (width, width + 1, width + 2),
                                          (width,)))
                categories.append(dict(name=q, kind="nps", levels=[0, 1, 2], offset=width))
                width += 4
            elif s == "mean":
                sc = question_scale(scale, q)
                _validate(data, q, "mean", sc)
                table_rows.append(RowSpec(q, "mean", "mean", False, score=len(means)))
                means.append(q)
            else:
                sc = question_scale(scale, q)
                if sc is not None:
                    if not (sc[0].is_integer() and sc[1].is_integer()):
                        raise CXDataError(f"scale for {q!r} is {sc}: column % needs whole scale points, e.g. (1, 5)")
                    _validate(data, q, "points", sc)
                    levels, kind = list(range(int(sc[0]), int(sc[1]) + 1)), "points"
                else:
                    levels, kind = _levels(lazy, q), "levels"
                if missing is not None and missing in levels:
                    raise CXDataError(f"`missing`={missing!r} is already a level of {q!r}; choose another label")
                table_rows += _share_rows(q, (s,), levels, nets.get(q, {}), missing, width)
                categories.append(dict(name=q, kind=kind, levels=levels, offset=width, scale=sc))
                width += len(levels) + 1
    return table_rows, categories, means, width


def _banner(lazy: Any, columns: list[str], rows: int) -> list[BannerVariable]:
    banner, first = [BannerVariable(TOTAL, (TOTAL,), np.empty(0, dtype=np.int64), ("",))], 0
    for b in columns:
        labels = _levels(lazy, b)
        if not labels:
            raise CXDataError(f"banner column {b!r} is all missing ({rows} rows): it has no columns")
        banner.append(BannerVariable(b, tuple(labels), np.empty(0, dtype=np.int64),
                                     letters_for(first + len(labels))[first:]))
        first += len(labels)
    return banner


def _column_index(values: pd.Series, labels: tuple) -> np.ndarray:
    """Each group's banner column (the last index, one past the labels, for a missing key)."""
    code = pd.Index(list(labels), dtype=object).get_indexer(values.map(_display).astype(object))
    return np.where(values.isna().to_numpy() | (code < 0), len(labels), code)


def _category_sums(lazy: Any, b: str, labels: tuple, questions: list[dict], width: int,
                   weights: str | None, wmax: float | None) -> tuple[tuple, tuple]:
    """(count, Σw, Σw²) per (column, slot) for banner variable ``b`` and for the Total."""
    import narwhals as nw

    n_cols = len(labels)
    out = [np.zeros((n_cols + 1, width)) for _ in range(3)]
    for q in questions:
        aggs = {} if weights is None else {"_cx_sw": nw.col(weights).sum(),
                                           "_cx_sw2": (nw.col(weights) * nw.col(weights)).sum()}
        t = engines._aggregate(lazy, [b, q["name"]], aggs)
        col, slot = _column_index(t[b], labels), _slots(t[q["name"]], q)
        for k, name in enumerate(("_cx_rows", "_cx_sw", "_cx_sw2")):
            if weights is None and k:
                continue
            scale = 1.0 if k == 0 else wmax ** k
            np.add.at(out[k], (col, slot), t[name].to_numpy(dtype=float) / scale)
    if weights is None:
        out[1] = out[2] = out[0]
    by_column = tuple(o[:n_cols] for o in out)
    total = tuple(o.sum(axis=0, keepdims=True) for o in out)
    return by_column, total


def _score_sums(lazy: Any, b: str, labels: tuple, means: list[str], shifts: np.ndarray, weights: str | None,
                wmax: float | None) -> tuple[dict, dict]:
    """n, Σw, Σw², Σw·d, Σw·d² per (column, rated question) for ``b`` and for the Total."""
    import narwhals as nw

    w = nw.col(weights) if weights else None
    aggs = {}
    for j, (q, c) in enumerate(zip(means, shifts)):
        x = nw.col(q)
        valid = ~(x.is_null() | x.is_nan()) if schema(lazy)[q].is_float() else ~x.is_null()
        d = x.cast(nw.Float64) - float(c)
        aggs[f"_cx_n{j}"] = engines._count(valid)
        if w is not None:
            aggs[f"_cx_sw{j}"] = nw.when(valid).then(w).sum()
            aggs[f"_cx_sw2{j}"] = nw.when(valid).then(w * w).sum()
        aggs[f"_cx_swd{j}"] = nw.when(valid).then(d if w is None else w * d).sum()
        aggs[f"_cx_swdd{j}"] = nw.when(valid).then(d * d if w is None else w * d * d).sum()
    t = engines._aggregate(lazy, [b], aggs)
    col = _column_index(t[b], labels)
    n_cols, q = len(labels), len(means)

    def gather(prefix: str, power: int) -> np.ndarray:
        out = np.zeros((n_cols + 1, q))
        for j in range(q):
            np.add.at(out[:, j], col, t[f"{prefix}{j}"].to_numpy(dtype=float) / (wmax ** power if w is not None else 1))
        return out

    sums = {"n": gather("_cx_n", 0)}
    sums["sw"] = gather("_cx_sw", 1) if w is not None else sums["n"]
    sums["sw2"] = gather("_cx_sw2", 2) if w is not None else sums["n"]
    sums["swd"], sums["swdd"] = gather("_cx_swd", 1), gather("_cx_swdd", 1)
    by_column = {k: v[:n_cols] for k, v in sums.items()}
    total = {k: v.sum(axis=0, keepdims=True) for k, v in sums.items()}
    by_column["shift"] = total["shift"] = shifts
    return by_column, total


def crosstab(data: Any, rows: Any, columns: Any, *, weights: Any = None, stat: Any = "column %", nets: Any = None,
             test: str | None = "pairwise", correction: str = "bh", min_base: int = 30,
             confidence_level: float = 0.95, scale: Any = None, missing: str | None = None):
    """The engine form of :func:`cxlib.crosstab` (same arguments, checks and result)."""
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    check_choice(test, TESTS, argument="test")
    check_choice(correction, tuple(CORRECTIONS), argument="correction")
    test = None if test == "none" else test
    rows, columns = column_list(rows, argument="rows"), column_list(columns, argument="columns")
    engines.check_columns(data, rows, argument="rows")
    engines.check_columns(data, columns, argument="columns")
    missing = _check_missing(missing)
    stats = question_stats(rows, stat)
    net_specs = question_nets(rows, stats, nets)
    lazy = frame(data)
    if weights is not None:
        engines.check_columns(data, [weights] if isinstance(weights, str) else [], argument="weights")
    wmax = _weights(lazy, weights)
    n_rows = int(engines._aggregate(lazy, [], {})["_cx_rows"].iloc[0])
    if n_rows == 0:
        raise CXDataError("`data` has no rows: nothing to analyse")
    table_rows, questions, means, width = _plan_rows(data, lazy, rows, stats, net_specs, scale, missing)
    banner = _banner(lazy, columns, n_rows)
    shifts = np.array([engines._overall_mean(data, dict(column=q, codes=())) for q in means])
    cells = {}
    for variable in banner[1:]:
        cat = _category_sums(lazy, variable.name, variable.labels, questions, width, weights, wmax) \
            if questions else (None, None)
        score = _score_sums(lazy, variable.name, variable.labels, means, shifts, weights, wmax) \
            if means else (None, None)
        cells[id(variable)] = cells_from_sums(table_rows, len(variable.labels), cat[0], score[0],
                                              weights is not None, level)
        if id(banner[0]) not in cells:  # the Total: every respondent, from the first banner variable's groups
            cells[id(banner[0])] = cells_from_sums(table_rows, 1, cat[1], score[1], weights is not None, level)
    plan = Plan(tuple(table_rows), np.empty((0, 0), dtype=np.int64), width, np.empty((0, 0)), tuple(means), None,
                tuple(banner))
    return build_crosstab(plan, lambda variable: cells[id(variable)], weights is not None, test=test,
                          correction=correction, min_base=min_base, level=level)
