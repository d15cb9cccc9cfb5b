"""Where failing journeys diverge from the rest: :func:`path_divergence`.

For every step, the share of failing journeys that pass through it (or stop at it) is
compared with the share of the other journeys, with a Newcombe interval on the difference,
a two-proportion z test and a Benjamini–Hochberg correction across steps.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import (
    check_choice,
    check_columns,
    check_confidence_level,
    check_min_base,
    show_values,
)
from ..core.inference import CORRECTIONS, adjust_p_values, share_interval, significance
from ..errors import CXDataError, SmallBaseWarning
from .build import Journeys
from .paths import _check_journeys

#: What ``where`` compares: a step anywhere in the journey, or the last step before it ended.
WHERE = ("any", "last")


@dataclass(frozen=True, eq=False)
class PathDivergence:
    """Steps of failing vs other journeys (result of :func:`path_divergence`).

    Attributes
    ----------
    table : DataFrame
        One row per step: ``step``, ``failing_with`` / ``other_with`` (journeys with the
        step), ``share_failing`` and ``share_other`` with their Wilson intervals
        (``*_ci_low``, ``*_ci_high``), ``estimate`` (difference ``share_failing −
        share_other``), ``ci_low, ci_high`` (Newcombe interval), ``n`` (all journeys),
        ``failure_rate`` (share of the journeys with the step that fail), ``p_value``,
        ``p_adjusted``, ``significant``, ``small_base`` and ``min_base``; sorted by
        ``estimate``, largest first.
    n_failing, n_other : int
    where : str
    failing : str
        What defined a failing journey.
    confidence_level : float
    correction : str or None
    """

    table: pd.DataFrame
    n_failing: int
    n_other: int
    where: str
    failing: str
    confidence_level: float
    correction: str | None

    def to_frame(self) -> pd.DataFrame:
        """The divergence table (a copy)."""
        return self.table.copy()


def _failing_flag(j: Journeys, failing: Any) -> tuple[np.ndarray, str]:
    table = j.table
    if failing is None:
        return (table["outcome"] == "failure").to_numpy(), "outcome = failure"
    if isinstance(failing, str):
        check_columns(table, [failing], argument="failing")
        s = table[failing]
        label = f"{failing} is true"
    else:
        s = pd.Series(np.asarray(failing))
        label = "the `failing` flags given"
        if len(s) != len(table):
            raise CXDataError(f"`failing` has {len(s)} values for {len(table)} journeys")
    if s.isna().any() or not (pd.api.types.is_bool_dtype(s.dtype) or set(pd.unique(s)) <= {0, 1}):
        raise CXDataError(f"`failing` must be true/false per journey; found {show_values(pd.unique(s))}")
    return s.to_numpy(dtype=bool), label


def _step_presence(j: Journeys, where: str, excluded: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """(journey index, step code) pairs: each step once per journey ('any'), or the last
    step that is not excluded ('last')."""
    ev = j.events
    step = ev["step"].cat.codes.to_numpy().astype(np.int64)
    jid = ev["journey_id"].to_numpy() - 1
    keep = ~excluded[step]
    step, jid = step[keep], jid[keep]
    width = len(ev["step"].cat.categories)
    if where == "any":
        pairs = np.unique(jid * width + step)
        return pairs // width, pairs % width, list(ev["step"].cat.categories)
    last = np.r_[jid[1:] != jid[:-1], True] if len(jid) else np.zeros(0, dtype=bool)
    return jid[last], step[last], list(ev["step"].cat.categories)


def _newcombe(p1, lo1, hi1, p0, lo0, hi0):
    """Newcombe (1998, method 10) hybrid score interval for p1 − p0 from Wilson intervals."""
    d = p1 - p0
    return d - np.sqrt((p1 - lo1) ** 2 + (hi0 - p0) ** 2), d + np.sqrt((hi1 - p1) ** 2 + (p0 - lo0) ** 2)


def _z_test(a, n1, b, n0):
    """Two-sided pooled two-proportion z test (= Pearson chi-square on the 2×2 table)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (a + b) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = (a / n1 - b / n0) / np.where(se > 0, se, np.nan)
    return 2 * stats.norm.sf(np.abs(z))


def path_divergence(journeys: Journeys, *, failing: Any = None, where: str = "any", min_base: int = 30,
                    confidence_level: float = 0.95, correction: str | None = "fdr_bh") -> PathDivergence:
    """Where journeys that fail (churn, complaint, a failure step) diverge from the rest.

    Parameters
    ----------
    journeys : Journeys
        The result of :func:`cxlib.journeys`.
    failing : None, str or array of bool
        Which journeys fail: None uses ``outcome == "failure"`` (the ``failure_steps`` of
        :func:`cxlib.journeys`); a column name of ``journeys.table`` (e.g. a churn or
        complaint flag merged in); or one true/false per journey.
    where : {"any", "last"}, default "any"
        ``"any"``: a journey counts for every step it passes through (escalation points);
        ``"last"``: only for its last step, failure steps left aside (drop-off points).
    min_base : int, default 30
        Steps seen in fewer journeys are flagged ``small_base`` and not tested.
    confidence_level : float, default 0.95
    correction : str or None, default "fdr_bh"
        Multiple-testing adjustment across the tested steps.

    Returns
    -------
    PathDivergence

    Notes
    -----
    With ``a`` of ``n₁`` failing and ``b`` of ``n₀`` other journeys having step *s*:
    shares ``p₁ = a/n₁``, ``p₀ = b/n₀`` with Wilson intervals; the difference ``p₁ − p₀``
    with the Newcombe (1998) hybrid score interval
    ``[d − √((p₁−l₁)² + (u₀−p₀)²), d + √((u₁−p₁)² + (p₀−l₀)²)]``; the pooled two-proportion
    z test (equal to Pearson's chi-square on the 2×2 table); Benjamini–Hochberg across
    steps. Failure steps themselves are left out (they define the groups).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions. *Statistics in Medicine* 17, 873–890.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"] * 2 + ["2026-01-01"]),
    ...     "touchpoint": ["ticket_opened", "cancellation", "login", "invoice", "login"]})
    >>> j = cx.journeys(ev, failure_steps="cancellation")
    >>> d = cx.path_divergence(j, min_base=1)
    >>> d.table[["step", "failing_with", "other_with", "estimate"]]
                step  failing_with  other_with  estimate
    0  ticket_opened             1           0       1.0
    1        invoice             0           1      -0.5
    2          login             0           2      -1.0
    """
    j = _check_journeys(journeys)
    level = check_confidence_level(confidence_level)
    check_choice(where, WHERE, argument="where")
    check_choice(correction, CORRECTIONS, argument="correction")
    min_base = check_min_base(min_base)
    flag, label = _failing_flag(j, failing)
    n1, n0 = int(flag.sum()), int((~flag).sum())
    if n1 == 0 or n0 == 0:
        raise CXDataError(f"`failing` ({label}) puts {n1} journeys in the failing group and {n0} in the other; "
                          "both groups need journeys")
    cats = list(j.events["step"].cat.categories)
    excluded = np.isin(np.asarray(cats, dtype=object), np.asarray(j.failure_steps, dtype=object))
    jidx, scode, labels = _step_presence(j, where, excluded)
    width = len(labels)
    a = np.bincount(scode[flag[jidx]], minlength=width).astype(float)
    b = np.bincount(scode[~flag[jidx]], minlength=width).astype(float)
    seen = np.flatnonzero((a + b) > 0)
    a, b = a[seen], b[seen]
    p1, _, lo1, hi1 = share_interval(a, np.full(len(a), n1), level)
    p0, _, lo0, hi0 = share_interval(b, np.full(len(b), n0), level)
    lo, hi = _newcombe(p1, lo1, hi1, p0, lo0, hi0)
    rate, _, rlo, rhi = share_interval(a, a + b, level)
    small = (a + b) < min_base
    p = np.where(small, np.nan, _z_test(a, n1, b, n0))
    p_adj = adjust_p_values(p, correction)
    if small.any():
        warnings.warn(f"{int(small.sum())} of {len(small)} steps occur in fewer than min_base={min_base} journeys; "
                      "they are flagged in `small_base` and not tested", SmallBaseWarning, stacklevel=2)
    table = pd.DataFrame({
        "step": np.asarray(labels, dtype=object)[seen], "failing_with": a.astype(np.int64),
        "other_with": b.astype(np.int64), "share_failing": p1, "share_failing_ci_low": lo1,
        "share_failing_ci_high": hi1, "share_other": p0, "share_other_ci_low": lo0, "share_other_ci_high": hi0,
        "estimate": p1 - p0, "ci_low": lo, "ci_high": hi, "n": n1 + n0, "failure_rate": rate,
        "failure_rate_ci_low": rlo, "failure_rate_ci_high": rhi, "p_value": p, "p_adjusted": p_adj,
        "significant": significance(p_adj, level), "small_base": small, "min_base": min_base})
    table = table.sort_values(["estimate", "step"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return PathDivergence(table=table, n_failing=n1, n_other=n0, where=where, failing=label,
                          confidence_level=level, correction=correction)
