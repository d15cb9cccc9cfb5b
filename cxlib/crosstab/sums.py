"""Per-cell sufficient statistics of a banner table, and the cells' estimates from them.

One pass per banner variable turns the respondents into a small table: for the category
questions (levels, nets, NPS groups) the count, Σw and Σw² of every (column, slot), by
``np.bincount`` on ``column × slots + slot``; for the rated questions (means) n, Σw, Σw²,
Σw·d and Σw·d² per (column, question), with ``d = x − c`` centred on the question's overall
mean for numerical stability, as products with the columns' indicator matrix. The
per-answer arrays (weights, centred scores) are arranged once for all banner variables.
Every estimate, interval, base and test of the table is then computed from these sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..core.inference import normal_quantile, nps_variance, wilson_interval
from .spec import BannerVariable, Plan, RowSpec


@dataclass(frozen=True)
class Cells:
    """The cells of one banner variable: arrays of shape (columns, table rows).

    ``estimate`` is in percent for shares, NPS points for NPS, scale points for means;
    ``n`` counts the respondents who answered, ``n_eff`` is the Kish effective base
    ``(Σw)²/Σw²`` (``n`` when unweighted). The test inputs: ``share`` (0–1) for shares,
    ``promoters`` / ``detractors`` (0–1) for NPS, ``variance`` (per respondent, on the
    effective-base scale) for means; NaN in the rows of the other kinds.
    """

    estimate: np.ndarray
    std_err: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    share: np.ndarray
    promoters: np.ndarray
    detractors: np.ndarray
    variance: np.ndarray


@dataclass(frozen=True)
class Answers:
    """The answers arranged once for every banner variable's pass (questions × respondents).

    ``categories`` holds each answer's slot, ``answer_w`` / ``answer_w2`` the weight and
    squared weight of each answer (raveled in the same order; ``None`` unweighted). For
    the rated questions, ``answered`` is 1 where a score is given, ``w1 = w·answered``,
    ``w2 = w²·answered``, ``wd = w·d`` and ``wdd = w·d²`` with ``d = x − shift`` (0 where
    not answered; ``shift`` is the question's mean, for numerical stability).
    """

    categories: np.ndarray
    width: int
    answer_w: np.ndarray | None
    answer_w2: np.ndarray | None
    answered: np.ndarray
    w1: np.ndarray
    w2: np.ndarray
    wd: np.ndarray
    wdd: np.ndarray
    shift: np.ndarray


def arrange_answers(categories: np.ndarray, width: int, scores: np.ndarray, w: np.ndarray | None) -> Answers:
    """Per-answer weights and centred scores, independent of the banner (computed once)."""
    answer_w = None if w is None else np.tile(w, categories.shape[0])
    answered = (~np.isnan(scores)).astype(np.float64)
    counts = answered.sum(axis=1)
    shift = np.where(counts > 0, np.nansum(scores, axis=1) / np.maximum(counts, 1.0), 0.0)
    d = np.where(answered > 0, scores - shift[:, None], 0.0)
    w1 = answered if w is None else answered * w
    w2 = answered if w is None else w1 * w
    wd = w1 * d
    return Answers(categories, width, answer_w, None if w is None else answer_w * answer_w,
                   answered, w1, w2, wd, wd * d, shift)


def category_sums(codes: np.ndarray, n_columns: int, answers: Answers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, Σw and Σw² per (column, slot), shape (n_columns, width), one bincount each.

    ``codes`` gives each respondent's column (-1: none, counted in a spare column that is
    dropped). Unweighted, Σw and Σw² are the counts.

    >>> a = arrange_answers(np.array([[0, 1, 1, 0]]), 2, np.empty((0, 4)), None)
    >>> c, sw, sw2 = category_sums(np.array([0, 0, 1, -1]), 2, a)
    >>> c.tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    width = answers.width
    g = np.where(codes < 0, n_columns, codes)
    key = (g * width + answers.categories).ravel()
    size = (n_columns + 1) * width

    def total(weights: np.ndarray | None) -> np.ndarray:
        out = np.bincount(key, weights=weights, minlength=size).reshape(n_columns + 1, width)[:n_columns]
        return out.astype(np.float64)

    count = total(None)
    if answers.answer_w is None:
        return count, count, count
    return count, total(answers.answer_w), total(answers.answer_w2)


def score_sums(codes: np.ndarray, n_columns: int, answers: Answers) -> dict[str, np.ndarray]:
    """n, Σw, Σw², Σw·d, Σw·d² per (column, question), ``d = x − shift``; NaN scores skipped.

    Each is one product of a per-answer array (questions × respondents) with the columns'
    indicator matrix (respondents × columns).

    >>> a = arrange_answers(np.empty((0, 3), dtype=int), 0, np.array([[1.0, 3.0, np.nan]]), None)
    >>> s = score_sums(np.array([0, 0, 1]), 2, a)
    >>> s["n"].tolist(), s["swdd"].tolist()
    ([[2.0], [0.0]], [[2.0], [0.0]])
    """
    member = np.zeros((len(codes), n_columns))
    inside = codes >= 0
    member[np.flatnonzero(inside), codes[inside]] = 1.0

    def total(per_answer: np.ndarray) -> np.ndarray:
        return (per_answer @ member).T

    n = total(answers.answered)
    sw = n if answers.w1 is answers.answered else total(answers.w1)
    sw2 = n if answers.w2 is answers.answered else total(answers.w2)
    return {"n": n, "sw": sw, "sw2": sw2, "swd": total(answers.wd), "swdd": total(answers.wdd),
            "shift": answers.shift}


def _selector(rows: list[RowSpec], width: int, attribute: str) -> np.ndarray:
    """A 0/1 matrix (width × rows) summing each row's slots named by ``attribute``."""
    m = np.zeros((width, len(rows)))
    for j, r in enumerate(rows):
        m[list(getattr(r, attribute)), j] = 1.0
    return m


def _share_cells(rows, count, wsum, w2sum, weighted, z):
    """Shares (Wilson interval on the effective base) and NPS (Wald, Rocks 2016) of rows."""
    width = count.shape[1]
    base_sel = _selector(rows, width, "base")
    n = count @ base_sel
    base_w = wsum @ base_sel
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = base_w ** 2 / (w2sum @ base_sel) if weighted else n
        top = (wsum @ _selector(rows, width, "numerator")) / base_w
        bottom = (wsum @ _selector(rows, width, "detractors")) / base_w
        is_nps = np.array([r.stat == "nps" for r in rows])
        p = np.where(is_nps, np.nan, top)
        low, high = wilson_interval(p, n_eff, z)
        se_share = np.sqrt(p * (1.0 - p) / n_eff)
        variance = nps_variance(bottom, top)
        se_nps = 100.0 * np.sqrt(variance / n_eff)
    nps = 100.0 * (top - bottom)
    no_interval = ~(se_nps > 0) | ~(n_eff >= 2)  # one answer, or all in one group: no interval
    nps_low = np.where(no_interval, np.nan, np.clip(nps - z * se_nps, -100.0, 100.0))
    nps_high = np.where(no_interval, np.nan, np.clip(nps + z * se_nps, -100.0, 100.0))
    return dict(
        estimate=np.where(is_nps, nps, 100.0 * p), std_err=np.where(is_nps, np.where(no_interval, np.nan, se_nps),
                                                                    100.0 * se_share),
        ci_low=np.where(is_nps, nps_low, 100.0 * low), ci_high=np.where(is_nps, nps_high, 100.0 * high),
        n=n, n_eff=n_eff, share=p, promoters=np.where(is_nps, top, np.nan),
        detractors=np.where(is_nps, bottom, np.nan), variance=np.full(n.shape, np.nan))


def _mean_cells(rows, sums, weighted, level):
    """Means with a t interval (df = base − 1) on the effective base."""
    idx = [r.score for r in rows]
    n, sw, sw2 = sums["n"][:, idx], sums["sw"][:, idx], sums["sw2"][:, idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        dm = sums["swd"][:, idx] / sw
        mean = sums["shift"][idx] + dm
        ss = np.maximum(sums["swdd"][:, idx] - sw * dm * dm, 0.0)  # Σw(x − mean)²
        base = sw * sw / sw2 if weighted else n
        variance = ss / sw * base / (base - 1.0)  # unweighted: the sample variance (ddof 1)
        se = np.sqrt(variance / base)
        df = base - 1.0
        q = stats.t.ppf(0.5 + level / 2.0, np.where(df > 0, df, np.nan))
    no_interval = ~(se > 0) | ~(base >= 2)
    nan = np.full(n.shape, np.nan)
    return dict(estimate=mean, std_err=np.where(no_interval, np.nan, se),
                ci_low=np.where(no_interval, np.nan, mean - q * se), ci_high=np.where(no_interval, np.nan, mean + q * se),
                n=n, n_eff=base, share=nan, promoters=nan, detractors=nan.copy(), variance=variance)


def banner_cells(plan: Plan, answers: Answers, variable: BannerVariable, level: float) -> Cells:
    """Every cell of one banner variable: one pass to sums, then the estimates."""
    n_columns = len(variable.labels)
    categories = scores = None
    if any(r.stat != "mean" for r in plan.rows):
        categories = category_sums(variable.codes, n_columns, answers)
    if any(r.stat == "mean" for r in plan.rows):
        scores = score_sums(variable.codes, n_columns, answers)
    return cells_from_sums(plan.rows, n_columns, categories, scores, plan.weights is not None, level)


def cells_from_sums(rows: tuple[RowSpec, ...], n_columns: int, categories: tuple | None, scores: dict | None,
                    weighted: bool, level: float) -> Cells:
    """The cells from the sums: ``categories`` = (count, Σw, Σw²) per (column, slot) as from
    :func:`category_sums`, ``scores`` = the dict of :func:`score_sums` (the engine path,
    :mod:`cxlib.engine_ops.crosstab`, computes both in the engine)."""
    out = {name: np.full((n_columns, len(rows)), np.nan) for name in Cells.__dataclass_fields__}
    share_idx = [i for i, r in enumerate(rows) if r.stat != "mean"]
    mean_idx = [i for i, r in enumerate(rows) if r.stat == "mean"]
    if share_idx:
        part = _share_cells([rows[i] for i in share_idx], *categories, weighted, normal_quantile(level))
        for name, values in part.items():
            out[name][:, share_idx] = values
    if mean_idx:
        part = _mean_cells([rows[i] for i in mean_idx], scores, weighted, level)
        for name, values in part.items():
            out[name][:, mean_idx] = values
    return Cells(**out)
