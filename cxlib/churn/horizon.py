"""How long a churn horizon the follow-up of a study supports.

A churn-within-``h``-months model, a survival probability at ``h`` months or revenue at
risk over the next ``h`` months all need customers who were still followed ``h`` months
after the clock started. On a short follow-up (a study with four quarters of data) the
default horizon of 12 months has nobody left at risk; :func:`churn_horizon` picks the
longest horizon, not beyond the requested one, that still leaves enough customers at risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_min_base
from ..errors import CXDataError
from .tables import as_frame, durations_events

#: Candidate horizons are the requested one, then multiples of this many months below it, then 1.
STEP_MONTHS = 3


@dataclass(frozen=True)
class ChurnHorizon:
    """The churn horizon a follow-up supports (see :func:`churn_horizon`).

    Attributes
    ----------
    months : float or None
        The horizon used: the longest candidate with at least ``min_at_risk`` rows still
        followed at it; ``None`` when not even the shortest candidate has them.
    requested : float
        The horizon asked for (the longest considered).
    at_risk : int
        Rows still followed at ``months`` (0 when ``months`` is None).
    n : int
        Rows in the table.
    min_at_risk : int
        The rule's threshold.
    max_follow_up : float
        The longest duration observed.
    candidates : pandas.DataFrame
        ``horizon`` and ``at_risk`` of every candidate considered, longest first.
    """

    months: float | None
    requested: float
    at_risk: int
    n: int
    min_at_risk: int
    max_follow_up: float
    candidates: pd.DataFrame

    @property
    def adapted(self) -> bool:
        """Whether the horizon used is shorter than the one requested."""
        return self.months != self.requested

    @property
    def cohort_quarters(self) -> int:
        """Quarters after which cohort retention is read: the horizon's whole quarters, 1 to 2."""
        months = self.months if self.months is not None else 0.0
        return int(max(1, min(2, months // 3)))

    def to_frame(self) -> pd.DataFrame:
        """The candidates with their counts at risk and the one used."""
        return self.candidates.assign(used=self.candidates["horizon"] == self.months)


def _candidates(horizon: float, step: int) -> list[float]:
    below = [float(m) for m in range(int(np.ceil(horizon / step)) * step - step, 0, -step) if 0 < m < horizon]
    return list(dict.fromkeys([float(horizon), *below, *([1.0] if horizon > 1 else [])]))


def churn_horizon(
    table: Any,
    *,
    horizon: float = 12.0,
    duration: str = "duration",
    event: str = "event",
    min_at_risk: int = 30,
) -> ChurnHorizon:
    """The longest churn horizon, at most ``horizon``, that leaves enough customers at risk.

    Parameters
    ----------
    table : pandas.DataFrame or ChurnTable
        One row per followed customer (or response), e.g. from :func:`cxlib.churn_table`.
    horizon : float
        The horizon wanted (months, in the table's time unit); the longest considered.
    duration, event : str
        Columns of the follow-up time and the churn indicator (1 = churned).
    min_at_risk : int
        Rows that must still be followed (neither churned nor censored before) at the
        horizon (at least 1: a horizon beyond the longest follow-up is never chosen); the
        report's default is 30, the conventional minimum base.

    Returns
    -------
    ChurnHorizon
        ``months`` is the first candidate, longest first, with ``at_risk(h) >= min_at_risk``
        (``None`` if none has).

    Raises
    ------
    CXDataError
        If ``horizon`` is not > 0, or the durations / events are invalid (see
        :func:`cxlib.churn.tables.durations_events`).

    Notes
    -----
    Candidates: ``horizon``, then the multiples of 3 months below it, then 1 month.
    ``at_risk(h) = #{i : T_i >= h}``, the risk set of the Kaplan–Meier estimator just
    before ``h``. A survival probability, a churn-within-``h`` model or a Breslow
    baseline hazard read at ``h`` rests on these rows; beyond the longest follow-up it
    would be an extrapolation (Klein & Moeschberger 2003, §4.2: the Kaplan–Meier curve is
    undefined beyond the largest observed time). The threshold defaults to 30 customers,
    the conventional minimum base of the report's groups.

    References
    ----------
    Klein, J. P. & Moeschberger, M. L. (2003). *Survival Analysis: Techniques for Censored
    and Truncated Data* (2nd ed.). Springer.

    Examples
    --------
    >>> d = pd.DataFrame({"duration": [1.5, 4, 5, 7, 8, 10, 11.5, 2], "event": [1, 0, 1, 0, 0, 0, 0, 1]})
    >>> h = churn_horizon(d, horizon=12, min_at_risk=3)
    >>> h.months, h.at_risk, h.adapted
    (6.0, 4, True)
    >>> h.to_frame()["horizon"].tolist()
    [12.0, 9.0, 6.0, 3.0, 1.0]
    >>> churn_horizon(d, horizon=12, min_at_risk=9).months is None
    True
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float)) or not horizon > 0:
        raise CXDataError(f"`horizon`={horizon!r} must be a number of months > 0")
    min_at_risk = check_min_base(min_at_risk)
    t, _ = durations_events(as_frame(table), duration, event)
    t = t[~np.isnan(t)]
    counts = [(h, int((t >= h).sum())) for h in _candidates(float(horizon), STEP_MONTHS)]
    chosen = next(((h, n) for h, n in counts if n >= max(min_at_risk, 1)), (None, 0))
    return ChurnHorizon(months=chosen[0], requested=float(horizon), at_risk=chosen[1], n=int(len(t)),
                        min_at_risk=min_at_risk, max_follow_up=float(t.max()) if len(t) else 0.0,
                        candidates=pd.DataFrame(counts, columns=["horizon", "at_risk"]))
