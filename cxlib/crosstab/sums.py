"""Per-cell sufficient statistics of a banner table, and the cells' estimates from them.

One pass per banner variable turns the respondents into a small table: for the category
questions (levels, nets, NPS groups) the count, Σw and Σw² of every (column, slot); for the
rated questions (means) n, Σw, Σw², Σw·d and Σw·d² per (column, question), with
``d = x − c`` centred on the question's overall mean for numerical stability. Every
estimate, interval, base and test of the table is then computed from these sums alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..core.inference import normal_quantile, wilson_interval
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


def category_sums(codes: np.ndarray, n_columns: int, categories: np.ndarray, width: int,
                  w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, Σw and Σw² per (column, slot), shape (n_columns, width), in one bincount each.

    ``codes`` gives each respondent's column (-1: none); ``categories`` (respondents ×
    questions) each answer's slot. Unweighted, Σw and Σw² are the counts.

    >>> c, sw, sw2 = category_sums(np.array([0, 0, 1, -1]), 2, np.array([[0], [1], [1], [0]]), 2, None)
    >>> c.tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    keep = codes >= 0
    cats = categories[keep]
    key = (codes[keep][:, None] * width + cats).ravel()
    size = n_columns * width
    count = np.bincount(key, minlength=size).reshape(n_columns, width).astype(np.float64)
    if w is None:
        return count, count, count
    wk = np.repeat(w[keep], cats.shape[1])
    wsum = np.bincount(key, weights=wk, minlength=size).reshape(n_columns, width)
    w2sum = np.bincount(key, weights=wk * wk, minlength=size).reshape(n_columns, width)
    return count, wsum, w2sum


def score_sums(codes: np.ndarray, n_columns: int, scores: np.ndarray, shift: np.ndarray,
               w: np.ndarray | None) -> dict[str, np.ndarray]:
    """n, Σw, Σw², Σw·d, Σw·d² per (column, question), ``d = x − shift``; NaN scores skipped.

    >>> s = score_sums(np.array([0, 0, 1]), 2, np.array([[1.0], [3.0], [np.nan]]), np.array([2.0]), None)
    >>> s["n"].tolist(), s["swdd"].tolist()
    ([[2.0], [0.0]], [[2.0], [0.0]])
    """
    keep = codes >= 0
    x = scores[keep]
    n_q = x.shape[1]
    ok = ~np.isnan(x)
    d = np.where(ok, x - shift, 0.0).ravel()
    ww = (ok if w is None else ok * w[keep][:, None]).astype(np.float64).ravel()
    key = (codes[keep][:, None] * n_q + np.arange(n_q)).ravel()
    size = n_columns * n_q

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=size).reshape(n_columns, n_q)

    n = total(ok.astype(np.float64).ravel())
    sw = n if w is None else total(ww)
    return {"n": n, "sw": sw, "sw2": n if w is None else total(ww * ww), "swd": total(ww * d),
            "swdd": total(ww * d * d), "shift": shift}


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


def nps_variance(detractors, promoters):
    """Per-respondent variance of the +1/0/−1 NPS codes, ``(p_P + p_D) − (p_P − p_D)²`` (Rocks 2016).

    >>> float(nps_variance(0.2, 0.4))  # scores 10, 9, 8, 7, 3: 0.6 - 0.2**2
    0.56
    """
    return (promoters + detractors) - (promoters - detractors) ** 2


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


def banner_cells(plan: Plan, variable: BannerVariable, level: float) -> Cells:
    """Every cell of one banner variable: one pass to sums, then the estimates."""
    n_columns = len(variable.labels)
    weighted = plan.weights is not None
    out = {name: np.full((n_columns, len(plan.rows)), np.nan) for name in Cells.__dataclass_fields__}
    share_idx = [i for i, r in enumerate(plan.rows) if r.stat != "mean"]
    mean_idx = [i for i, r in enumerate(plan.rows) if r.stat == "mean"]
    if share_idx:
        sums = category_sums(variable.codes, n_columns, plan.categories, plan.width, plan.weights)
        part = _share_cells([plan.rows[i] for i in share_idx], *sums, weighted, normal_quantile(level))
        for name, values in part.items():
            out[name][:, share_idx] = values
    if mean_idx:
        sums = score_sums(variable.codes, n_columns, plan.scores, score_shift(plan.scores), plan.weights)
        part = _mean_cells([plan.rows[i] for i in mean_idx], sums, weighted, level)
        for name, values in part.items():
            out[name][:, mean_idx] = values
    return Cells(**out)


def score_shift(scores: np.ndarray) -> np.ndarray:
    """Each rated question's overall mean (the centring constant of the sums)."""
    if scores.shape[1] == 0:
        return np.zeros(0)
    counts = (~np.isnan(scores)).sum(axis=0)
    return np.nansum(scores, axis=0) / np.maximum(counts, 1)
