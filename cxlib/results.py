"""Result containers shared by cxlib estimators.

Every estimate is a frozen dataclass that carries its uncertainty and its base, with
``.to_frame()`` returning a tidy one-row DataFrame (so results ``pd.concat`` cleanly).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error, confidence interval and base.

    Attributes
    ----------
    estimate : float
        The point estimate, on the scale the method states (e.g. NPS points).
    std_err : float
        Standard error of ``estimate`` on the same scale.
    ci_low, ci_high : float
        Confidence interval bounds at ``confidence_level``.
    n : int
        Number of observations used (after dropping missing values).
    confidence_level : float
        e.g. 0.95.
    method : str
        How the interval was computed (and with which base: n or Kish n_eff).
    """

    estimate: float
    std_err: float
    ci_low: float
    ci_high: float
    n: int
    confidence_level: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        """A tidy one-row frame of every field."""
        return pd.DataFrame([dataclasses.asdict(self)])

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.to_frame().to_html(index=False)
