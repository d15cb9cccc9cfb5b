"""The plan of a banner table: arguments checked, questions and banner columns coded once.

A *row question* becomes one or more table rows (its levels, nets, mean or NPS); every
row reads a few *slots* of one category-count matrix (levels, nets and NPS groups) or one
column of a score matrix (means). A *banner variable* becomes columns with integer codes
per respondent (``-1``: not in any column) and a letter each, A, B, C … in banner order
across all banner variables (then a … z); the Total column has no letter.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    check_choice,
    check_columns,
    check_scale,
    column_list,
    numeric_scores,
    resolve_weights,
    show_values,
)
from ..errors import CXDataError

#: What a row question can show: column percentages of its levels (and nets), nets only,
#: the mean of a rating, or the NPS of a 0–10 question.
STATS = ("column %", "nets", "mean", "nps")

#: ``correction=`` names and the :func:`cxlib.core.inference.adjust_p_values` method each means.
CORRECTIONS = {"bh": "fdr_bh", "bonferroni": "bonferroni", "holm": "holm", "none": None, None: None}

#: ``test=`` choices: all pairs of columns within a banner variable, or no tests.
TESTS = ("pairwise", "none", None)

LETTERS = string.ascii_uppercase + string.ascii_lowercase
TOTAL = "Total"


@dataclass(frozen=True)
class RowSpec:
    """One row of the table: where its numbers are in the count or score matrices."""

    question: str
    stat: str  # "column %" | "mean" | "nps" (the estimate's kind)
    level: Any  # the level, the net's label, "mean" or "NPS"
    net: bool
    numerator: tuple[int, ...] = ()  # slots of the share (promoters for NPS)
    base: tuple[int, ...] = ()  # slots of the base (answers counted)
    detractors: tuple[int, ...] = ()  # NPS only
    score: int = -1  # column of the score matrix (mean only)


@dataclass(frozen=True)
class BannerVariable:
    """A banner variable: column labels, per-respondent codes (-1: none) and letters."""

    name: str
    labels: tuple[Any, ...]
    codes: np.ndarray
    letters: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Everything the sums need: coded answers, weights, banner and table rows."""

    rows: tuple[RowSpec, ...]
    categories: np.ndarray  # (category questions, respondents) global slot codes
    width: int  # number of slots
    scores: np.ndarray  # (mean questions, respondents) floats, NaN = no answer
    score_names: tuple[str, ...]
    weights: np.ndarray | None
    banner: tuple[BannerVariable, ...]  # Total first


# ----------------------------------------------------------------------------- arguments
def question_stats(rows: list[str], stat: Any) -> dict[str, tuple[str, ...]]:
    """The statistic(s) of each row question: one for all, or a mapping question -> stat(s).

    >>> question_stats(["osat", "ltr"], {"ltr": "nps"})
    {'osat': ('column %',), 'ltr': ('nps',)}
    """
    if isinstance(stat, Mapping):
        unknown = [q for q in stat if q not in rows]
        if unknown:
            raise CXDataError(f"`stat` names {unknown}, which are not among `rows` {rows}")
        given = {q: stat.get(q, "column %") for q in rows}
    else:
        given = {q: stat for q in rows}
    out = {}
    for q, s in given.items():
        stats = (s,) if isinstance(s, str) else tuple(s)
        if not stats:
            raise CXDataError(f"`stat` for {q!r} is empty; choose from {list(STATS)}")
        for one in stats:
            check_choice(one, STATS, argument=f"stat for {q!r}")
        if "column %" in stats and "nets" in stats:  # column % already shows the nets
            stats = tuple(x for x in stats if x != "nets")
        out[q] = tuple(dict.fromkeys(stats))
    return out


def question_nets(rows: list[str], stats: dict[str, tuple[str, ...]], nets: Any) -> dict[str, dict[str, tuple]]:
    """Nets per question, checked: ``{"osat": {"top-2": (4, 5), "bottom-2": (1, 2)}}``."""
    nets = {} if nets is None else nets
    if not isinstance(nets, Mapping):
        raise CXDataError(f"`nets` must map a question to {{label: levels}}, e.g. "
                          f"{{'osat': {{'top-2': (4, 5)}}}}; got {type(nets).__name__}")
    out = {}
    for q, spec in nets.items():
        if q not in rows:
            raise CXDataError(f"`nets` names {q!r}, which is not among `rows` {rows}")
        if not {"column %", "nets"} & set(stats[q]):
            raise CXDataError(f"`nets` for {q!r}, whose stat is {list(stats[q])}: nets are shares, "
                              f"use stat={{{q!r}: ['nets', {stats[q][0]!r}]}} to show both")
        if not isinstance(spec, Mapping) or not spec:
            raise CXDataError(f"`nets` for {q!r} must map net labels to levels, e.g. {{'top-2': (4, 5)}}")
        out[q] = {}
        for label, levels in spec.items():
            levels = (levels,) if isinstance(levels, (str, int, float, np.number)) else tuple(levels)
            if not levels:
                raise CXDataError(f"net {label!r} of {q!r} has no levels")
            out[q][str(label)] = levels
    lacking = [q for q in rows if "nets" in stats[q] and q not in out]
    if lacking:
        raise CXDataError(f"stat 'nets' for {lacking} but `nets` defines none for them")
    return out


def question_scale(scale: Any, question: str) -> tuple[float, float] | None:
    """The rating scale of one question: ``scale`` for all, or ``scale[question]``."""
    if isinstance(scale, Mapping):
        scale = scale.get(question)
    return None if scale is None else check_scale(scale, argument=f"scale for {question!r}")


def letters_for(n_columns: int) -> tuple[str, ...]:
    """Letters A … Z, then a … z, for the banner columns in order.

    >>> letters_for(3)
    ('A', 'B', 'C')
    """
    if n_columns > len(LETTERS):
        raise CXDataError(f"the banner has {n_columns} columns, more than the {len(LETTERS)} letters "
                          f"A-Z, a-z; split it into several tables")
    return tuple(LETTERS[:n_columns])


# ------------------------------------------------------------------------ levels, codes
def _display(v: Any) -> Any:
    """Whole-number floats as ints (a 1–5 rating read as float shows 1, not 1.0)."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return v.item() if isinstance(v, np.generic) else v


def levels_and_codes(values: pd.Series, name: str, scale: tuple[float, float] | None,
                     scores: dict | None = None) -> tuple[list[Any], np.ndarray]:
    """The levels of a categorical question in display order and each row's level code.

    Categorical dtype: its categories in order. With ``scale``: every whole point of the
    scale (so an unused point shows 0%). Otherwise the sorted distinct values. Missing
    answers get code -1. ``scores`` caches validated scores per question (see
    :func:`checked_scores`).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [_display(v) for v in values.cat.categories], values.cat.codes.to_numpy(dtype=np.int64)
    if scale is not None:
        low, high = scale
        if not (low.is_integer() and high.is_integer()):
            raise CXDataError(f"scale for {name!r} is {scale}: column % needs whole scale points, e.g. (1, 5)")
        x = checked_scores(values, name, scale, integer=True, cache=scores)
        codes = np.where(np.isnan(x), -1, x - low).astype(np.int64)
        return list(range(int(low), int(high) + 1)), codes
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        x = values.to_numpy(dtype=float, na_value=np.nan)
        levels = np.unique(x[~np.isnan(x)])
        codes = np.where(np.isnan(x), -1, np.searchsorted(levels, np.nan_to_num(x)))
        return [_display(v) for v in levels], codes.astype(np.int64)
    try:
        levels = sorted(pd.unique(present))
    except TypeError:  # mixed types: sort by their text
        levels = sorted(pd.unique(present), key=str)
    codes = pd.Index(levels).get_indexer(values)
    return [_display(v) for v in levels], codes.astype(np.int64)


def nps_groups(values: pd.Series, name: str) -> np.ndarray:
    """0–10 scores as 0 detractor (0–6), 1 passive (7–8), 2 promoter (9–10), -1 missing."""
    x = numeric_scores(values, name, low=0, high=10, integer=True)
    return np.select([np.isnan(x), x <= 6, x <= 8], [-1, 0, 1], 2).astype(np.int64)


def banner_variable(data: pd.DataFrame, name: str, first_letter: int) -> BannerVariable:
    """One banner variable's columns, codes and letters (starting at ``first_letter``)."""
    labels, codes = levels_and_codes(data[name], name, None)
    if not labels:
        raise CXDataError(f"banner column {name!r} is all missing ({len(data)} rows): it has no columns")
    letters = letters_for(first_letter + len(labels))[first_letter:]
    return BannerVariable(name, tuple(labels), codes, letters)


def total_column(n_rows: int) -> BannerVariable:
    return BannerVariable(TOTAL, (TOTAL,), np.zeros(n_rows, dtype=np.int64), ("",))


# ------------------------------------------------------------------------------ the plan
def _share_rows(q: str, stats: tuple[str, ...], levels: list[Any], nets: dict[str, tuple],
                missing: str | None, offset: int) -> list[RowSpec]:
    """Rows of a column-% question whose slots start at ``offset`` (last slot: missing)."""
    n_levels = len(levels)
    base = tuple(range(offset, offset + n_levels + (missing is not None)))
    rows = []
    if "column %" in stats:
        rows += [RowSpec(q, "column %", lev, False, (offset + i,), base) for i, lev in enumerate(levels)]
        if missing is not None:
            rows.append(RowSpec(q, "column %", missing, False, (offset + n_levels,), base))
    index = pd.Index(levels, dtype=object)
    for label, net_levels in nets.items():
        pos = index.get_indexer(pd.Index(list(net_levels), dtype=object))
        if (pos < 0).any():
            bad = [v for v, p in zip(net_levels, pos) if p < 0]
            raise CXDataError(f"net {label!r} of {q!r} lists level(s) {show_values(bad)} that {q!r} does not "
                              f"have; its levels are {show_values(levels)} (pass `scale` to show every point "
                              f"of a rating scale)")
        rows.append(RowSpec(q, "column %", label, True, tuple(offset + int(p) for p in sorted(set(pos))), base))
    return rows


def _check_missing(missing: Any) -> str | None:
    if missing is None or isinstance(missing, str):
        return missing
    raise CXDataError(f"`missing`={missing!r} must be None (missing answers left out of the bases) or a "
                      f"label under which they are shown as a level, e.g. 'No answer'")


def make_plan(data: pd.DataFrame, rows: Any, columns: Any, *, weights: Any, stat: Any, nets: Any,
              scale: Any, missing: Any) -> Plan:
    """Check every argument and code the questions and the banner once."""
    rows, columns = column_list(rows, argument="rows"), column_list(columns, argument="columns")
    check_columns(data, rows, argument="rows")
    check_columns(data, columns, argument="columns")
    missing = _check_missing(missing)
    stats = question_stats(rows, stat)
    net_specs = question_nets(rows, stats, nets)
    w = resolve_weights(data, weights, len(data))
    table_rows: list[RowSpec] = []
    cat_codes, score_cols, score_names, width, cache = [], [], [], 0, {}
    for q in rows:
        for s in stats[q]:
            if s == "nps":  # slots: detractors, passives, promoters, missing
                groups = nps_groups(data[q], q)
                table_rows.append(RowSpec(q, "nps", "NPS", False, (width + 2,), (width, width + 1, width + 2),
                                          (width,)))
                cat_codes.append(width + np.where(groups < 0, 3, groups))
                width += 4
            elif s == "mean":
                x = checked_scores(data[q], q, question_scale(scale, q), cache=cache)
                table_rows.append(RowSpec(q, "mean", "mean", False, score=len(score_cols)))
                score_cols.append(x)
                score_names.append(q)
            else:
                levels, c = levels_and_codes(data[q], q, question_scale(scale, q), cache)
                if missing is not None and missing in levels:
                    raise CXDataError(f"`missing`={missing!r} is already a level of {q!r}; choose another label")
                table_rows += _share_rows(q, (s,), levels, net_specs.get(q, {}), missing, width)
                cat_codes.append(width + np.where(c < 0, len(levels), c))
                width += len(levels) + 1
    banner, first = [total_column(len(data))], 0
    for b in columns:
        banner.append(banner_variable(data, b, first))
        first += len(banner[-1].labels)
    n = len(data)
    categories = np.stack(cat_codes) if cat_codes else np.empty((0, n), dtype=np.int64)
    scores = np.stack(score_cols) if score_cols else np.empty((0, n))
    return Plan(tuple(table_rows), categories, width, scores, tuple(score_names),
                None if w is None else w / w.max(), tuple(banner))


def checked_scores(values: pd.Series, name: str, scale: tuple[float, float] | None, *, integer: bool = False,
                   cache: dict | None = None) -> np.ndarray:
    """Numeric scores (NaN: no answer) within ``scale``; validated once per question when
    ``cache`` is given (a question shown as column % and as a mean is read once)."""
    cache = {} if cache is None else cache
    hit = cache.get((name, scale))
    if hit is not None and (hit[1] or not integer):
        return hit[0]
    low, high = (None, None) if scale is None else scale
    x = numeric_scores(values, name, low=low, high=high, integer=integer)
    cache[(name, scale)] = (x, integer)
    return x
