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


def _weight_aggregates(lazy: Any, weights: str | None) -> dict:
    """Σw, Σw² and the weights' checks (bad values, largest weight) as aggregations."""
    import narwhals as nw

    if weights is None:
        return {}
    if not isinstance(weights, str):
        raise CXDataError("`weights` must name a column when `data` is a table (arrays cannot be aligned to it)")
    w = nw.col(weights)
    return {"_cx_sw": w.sum(), "_cx_sw2": (w * w).sum(), "_cx_wmax": w.max(),
            **engines._weight_checks(w, schema(lazy)[weights], weights)}


def _weights(lazy: Any, weights: str | None, table: pd.DataFrame | None) -> tuple[float | None, int]:
    """The largest weight (sums are divided by it, as the pandas path divides the weights)
    after the checks of :func:`cxlib.core.checks.check_weights` (None unweighted), and the
    number of rows, from a grouped ``table`` of :func:`_grouped` (or one query without it);
    a second query only to describe bad weights."""
    import narwhals as nw

    if table is None:
        table = engines._aggregate(lazy, [], _weight_aggregates(lazy, weights))
    rows = int(table["_cx_rows"].sum())
    if weights is None:
        return None, rows
    w, dtype = nw.col(weights), schema(lazy)[weights]
    if table["_cx_w_bad"].sum() > 0:
        counts = engines._aggregate(lazy, [], engines._weight_checks(w, dtype, weights, detail=True)).iloc[0]
        for key, what in (("_cx_w_null", "missing or non-numeric"), ("_cx_w_inf", "infinite")):
            if counts[key] > 0:
                raise CXDataError(f"weights column {weights!r} has {int(counts[key])} {what} value(s)")
        values = np.sort(collect(lazy.filter(w < 0).select(weights).unique())[weights].to_numpy())
        raise CXDataError(f"weights column {weights!r} has {int(counts['_cx_w_neg'])} negative value(s) "
                          f"{show_values(values)}; weights must be >= 0")
    wmax = table["_cx_wmax"].max()
    if not wmax > 0:
        raise CXDataError(f"weights column {weights!r} is zero everywhere")
    return float(wmax), rows


def _levels(lazy: Any, name: str, values: pd.Series) -> list[Any]:
    """The distinct non-missing ``values`` of a column (from a grouped table), sorted (an
    ``Enum``: its own order)."""
    import narwhals as nw

    dtype = schema(lazy)[name]
    if isinstance(dtype, nw.Enum):
        return [_display(v) for v in dtype.categories]
    values = pd.Series(pd.unique(values[values.notna()]))
    try:
        return [_display(v) for v in sorted(values)]
    except TypeError:  # mixed types: sorted by their text
        return [_display(v) for v in sorted(values, key=str)]


def _validate(data: Any, name: str, kind: str, scale: tuple | None) -> float:
    """The checks of the pandas path's scores, run in the engine by the metric core; for a
    rated question the unweighted mean of its answers (the centring constant)."""
    if kind == "nps":
        engines.one_sample_statistics(data, "nps", {"score": name})
    elif kind == "points":  # column % with a scale: whole points within it
        engines.one_sample_statistics(data, "top_box", {"score": name, "scale": scale, "top": (scale[1], scale[1])})
    else:
        return float(engines.one_sample_statistics(data, "mean_score", {"score": name, "scale": scale})[1]["shift"][0])
    return 0.0


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
               missing: str | None, answers: dict[str, pd.Series]) -> tuple[list[RowSpec], list[dict], list[str], int,
                                                                        np.ndarray]:
    """The table rows as in :func:`cxlib.crosstab.spec.make_plan`, the category questions
    (kind, levels, slot offset), the rated questions and their means, with the answers
    checked; ``answers`` holds each category question's distinct answers."""
    table_rows, categories, means, shifts, width = [], [], [], [], 0
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
                shifts.append(_validate(data, q, "mean", sc))
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
                    levels, kind = _levels(lazy, q, answers[q]), "levels"
                if missing is not None and missing in levels:
                    raise CXDataError(f"`missing`={missing!r} is already a level of {q!r}; choose another label")
                table_rows += _share_rows(q, (s,), levels, nets.get(q, {}), missing, width)
                categories.append(dict(name=q, kind=kind, levels=levels, offset=width, scale=sc))
                width += len(levels) + 1
    return table_rows, categories, means, width, np.array(shifts)


def _banner(lazy: Any, columns: list[str], rows: int, values: dict[str, pd.Series]) -> list[BannerVariable]:
    """The Total and the banner variables' columns (``values``: each one's distinct values)."""
    banner, first = [BannerVariable(TOTAL, (TOTAL,), np.empty(0, dtype=np.int64), ("",))], 0
    for b in columns:
        labels = _levels(lazy, b, values[b])
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


def _grouped(lazy: Any, by: list[str], weights: str | None) -> pd.DataFrame:
    """Rows, Σw, Σw² and the weights' checks per group of ``by`` (one aggregation; missing
    keys kept)."""
    return engines._aggregate(lazy, by, _weight_aggregates(lazy, weights))


def _category_sums(tables: list[pd.DataFrame], b: str, labels: tuple, questions: list[dict], width: int,
                   wmax: float | None) -> tuple[tuple, tuple]:
    """(count, Σw, Σw²) per (column, slot) for banner variable ``b`` and for the Total,
    from the (``b``, question) tables."""
    n_cols = len(labels)
    out = [np.zeros((n_cols + 1, width)) for _ in range(3)]
    for q, t in zip(questions, tables):
        col, slot = _column_index(t[b], labels), _slots(t[q["name"]], q)
        for k, name in enumerate(("_cx_rows", "_cx_sw", "_cx_sw2")):
            if wmax is None and k:
                continue
            np.add.at(out[k], (col, slot), t[name].to_numpy(dtype=float) / (1.0 if k == 0 else wmax ** k))
    if wmax is None:
        out[1] = out[2] = out[0]
    by_column = tuple(o[:n_cols] for o in out)
    total = tuple(o.sum(axis=0, keepdims=True) for o in out)
    return by_column, total


def _score_table(lazy: Any, b: str, means: list[str], shifts: np.ndarray, weights: str | None) -> pd.DataFrame:
    """n, Σw, Σw², Σw·d, Σw·d² of every rated question per value of ``b`` (one aggregation)."""
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
    return engines._aggregate(lazy, [b], aggs)


def _score_sums(t: pd.DataFrame, b: str, labels: tuple, means: list[str], shifts: np.ndarray,
                wmax: float | None) -> tuple[dict, dict]:
    """The sums of :func:`cxlib.crosstab.sums.score_sums` per column of ``b`` and for the
    Total, from :func:`_score_table`."""
    w = wmax
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
    if isinstance(weights, str):
        engines.check_columns(data, [weights], argument="weights")
    shown = [q for q in rows if any(s != "mean" for s in stats[q])]
    tables = {b: [_grouped(lazy, [b, q], weights) for q in shown] for b in columns}
    wmax, n_rows = _weights(lazy, weights, tables[columns[0]][0] if shown else None)
    if n_rows == 0:
        raise CXDataError("`data` has no rows: nothing to analyse")
    answers = {q: tables[columns[0]][i][q] for i, q in enumerate(shown)}
    table_rows, questions, means, width, shifts = _plan_rows(data, lazy, rows, stats, net_specs, scale, missing,
                                                             answers)
    scores = {b: _score_table(lazy, b, means, shifts, weights) for b in columns} if means else {}
    banner = _banner(lazy, columns, n_rows, {b: (tables[b][0] if shown else scores[b])[b] for b in columns})
    cells = {}
    for variable in banner[1:]:
        b = variable.name
        cat = _category_sums(tables[b], b, variable.labels, questions, width, wmax) if questions else (None, None)
        score = _score_sums(scores[b], b, variable.labels, means, shifts, wmax) if means else (None, None)
        cells[id(variable)] = cells_from_sums(table_rows, len(variable.labels), cat[0], score[0],
                                              weights is not None, level)
        if id(banner[0]) not in cells:  # the Total: every respondent, from the first banner variable's groups
            cells[id(banner[0])] = cells_from_sums(table_rows, 1, cat[1], score[1], weights is not None, level)
    plan = Plan(tuple(table_rows), np.empty((0, 0), dtype=np.int64), width, np.empty((0, 0)), tuple(means), None,
                tuple(banner))
    return build_crosstab(plan, lambda variable: cells[id(variable)], weights is not None, test=test,
                          correction=correction, min_base=min_base, level=level)
