"""Pairwise tests between the columns of one banner variable, and the significance letters.

For each table row and each pair of columns (a, b) of the same banner variable, both with a
base of at least ``min_base`` (effective base when weighted), one two-sided test of
"a differs from b":

- shares: the pooled two-proportion z-test (the column-proportion test of banner tables;
  what statsmodels ``proportions_ztest`` computes),
  ``z = (p_a − p_b) / sqrt(p̄ (1 − p̄) (1/n_a + 1/n_b))`` with ``p̄ = (n_a p_a + n_b p_b) / (n_a + n_b)``;
- means: Welch's t-test, ``t = (m_a − m_b) / sqrt(s²_a/n_a + s²_b/n_b)`` on the
  Welch–Satterthwaite degrees of freedom;
- NPS: the two-sample z-test of Rocks (2016), ``z = (NPS_a − NPS_b) / (100 sqrt(V_a/n_a + V_b/n_b))``
  with ``V = (p_P + p_D) − (p_P − p_D)²``.

With weights the shares, means and variances are weighted and every ``n`` is the Kish
effective base ``(Σw)²/Σw²``. The p-values of the pairs of one row within one banner
variable form a family adjusted with the chosen correction (as SPSS Custom Tables adjusts
"within a row of each innermost subtable"); a column gets the letter of every column it
is significantly higher than.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..core.inference import adjust_p_values, significance
from .spec import RowSpec
from ..core.inference import nps_variance
from .sums import Cells

#: The name of the test of each kind of row, as the tests table states it.
TEST_NAMES = {
    "column %": "pooled two-proportion z-test",
    "mean": "Welch's t-test",
    "nps": "two-sample NPS z-test (Rocks 2016)",
}


def pairs(n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index pairs (a, b), a < b, in reading order.

    >>> [(int(a), int(b)) for a, b in zip(*pairs(3))]
    [(0, 1), (0, 2), (1, 2)]
    """
    return np.triu_indices(n_columns, k=1)


def pooled_z(p_a, n_a, p_b, n_b):
    """Pooled two-proportion z statistic and its standard error (NaN where p̄ is 0 or 1).

    >>> z, se = pooled_z(0.5, 100, 0.3, 100)  # p̄ = 0.4, se = sqrt(0.24 * 0.02)
    >>> round(float(z), 4), round(float(se), 4)
    (2.8868, 0.0693)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (p_a * n_a + p_b * n_b) / (n_a + n_b)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
        se = np.where(se > 0, se, np.nan)
        return (p_a - p_b) / se, se


def welch_t(m_a, v_a, n_a, m_b, v_b, n_b):
    """Welch's t statistic, its standard error and Welch–Satterthwaite degrees of freedom.

    >>> t, se, df = welch_t(5.0, 2.0, 10, 4.0, 2.0, 10)  # se = sqrt(0.2 + 0.2), df = 18
    >>> round(float(t), 4), float(df)
    (1.5811, 18.0)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v_a / n_a, v_b / n_b
        se = np.sqrt(a + b)
        se = np.where(se > 0, se, np.nan)
        df = (a + b) ** 2 / (a * a / (n_a - 1.0) + b * b / (n_b - 1.0))
        return (m_a - m_b) / se, se, df


def pair_tests(cells: Cells, rows: tuple[RowSpec, ...], testable: np.ndarray) -> dict[str, np.ndarray]:
    """Difference, std_err, statistic, df and two-sided p-value of every pair × row.

    ``testable`` (columns × rows) is False for columns below the minimum base: a pair with
    such a column is not tested (NaN p-value). Arrays have shape (pairs, rows).
    """
    a, b = pairs(cells.estimate.shape[0])
    kind = np.array([r.stat for r in rows])
    n_a, n_b = cells.n_eff[a], cells.n_eff[b]
    z_share, se_share = pooled_z(cells.share[a], n_a, cells.share[b], n_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        se_nps = 100.0 * np.sqrt(nps_variance(cells.detractors[a], cells.promoters[a]) / n_a
                                 + nps_variance(cells.detractors[b], cells.promoters[b]) / n_b)
    se_nps = np.where(se_nps > 0, se_nps, np.nan)
    diff = cells.estimate[a] - cells.estimate[b]
    t_mean, se_mean, df_mean = welch_t(cells.estimate[a], cells.variance[a], n_a,
                                       cells.estimate[b], cells.variance[b], n_b)
    is_mean, is_nps = kind == "mean", kind == "nps"
    statistic = np.select([is_mean, is_nps], [t_mean, diff / se_nps], z_share)
    std_err = np.select([is_mean, is_nps], [se_mean, se_nps], 100.0 * se_share)
    df = np.where(is_mean, df_mean, np.inf)
    tested = testable[a] & testable[b] & np.isfinite(statistic)
    with np.errstate(invalid="ignore"):
        p = np.where(tested, 2.0 * stats.t.sf(np.abs(statistic), df), np.nan)
    return {"column_a": a, "column_b": b, "diff": diff, "std_err": std_err,
            "statistic": np.where(tested, statistic, np.nan), "df": np.where(tested, df, np.nan), "p_value": p}


def letters_and_adjusted(tests: dict[str, np.ndarray], letters: tuple[str, ...], n_columns: int,
                         correction: str | None, level: float) -> tuple[np.ndarray, np.ndarray, pd.arrays.BooleanArray]:
    """Adjusted p-values per row (the family: the pairs of that row), the significance flags
    and each cell's letters (columns × rows, strings in banner order)."""
    p = tests["p_value"]
    adjusted = np.column_stack([adjust_p_values(p[:, r], correction) for r in range(p.shape[1])]) \
        if p.size else p.copy()
    flags = significance(adjusted.ravel(), level)
    sig = np.asarray(flags.fillna(False), dtype=bool).reshape(p.shape)
    higher = [[[] for _ in range(p.shape[1])] for _ in range(n_columns)]
    a, b = tests["column_a"], tests["column_b"]
    for k, r in zip(*np.nonzero(sig)):
        up, down = (a[k], b[k]) if tests["diff"][k, r] > 0 else (b[k], a[k])
        higher[up][r].append(down)
    text = np.array([["".join(letters[j] for j in sorted(cell)) for cell in col] for col in higher],
                    dtype=object).reshape(n_columns, p.shape[1])
    return adjusted, text, flags
