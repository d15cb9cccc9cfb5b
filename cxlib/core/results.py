"""Result containers and tidy-table conventions shared by cxlib estimators.

Every estimate is a frozen dataclass that carries its uncertainty and its base, with
``.to_frame()`` returning a tidy one-row DataFrame (so results ``pd.concat`` cleanly).

Every tidy result table carries the columns :data:`TIDY_COLUMNS` (``estimate, ci_low,
ci_high, n``), plus ``small_base`` and ``min_base`` where a minimum-base rule applies, with
domain-specific columns (``hazard_ratio``, ``clv``, …) alongside. Shares are proportions
(0–1) in results; :func:`to_percent` (or a function's ``scale="percent"``) gives points.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

#: The columns every tidy result table carries.
TIDY_COLUMNS = ("estimate", "ci_low", "ci_high", "n")

#: Columns on the estimate's scale, rescaled together by :func:`to_percent`.
SCALED_COLUMNS = ("estimate", "std_err", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high")

SCALES = ("proportion", "percent")


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


def to_percent(frame: pd.DataFrame, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A copy of a tidy table with shares (0–1) rescaled to percent (0–100).

    Rescales the columns of :data:`SCALED_COLUMNS` that are present (or ``columns``);
    everything else (``n``, p-values, flags) is unchanged.

    >>> to_percent(pd.DataFrame({"estimate": [0.25], "ci_low": [0.2], "ci_high": [0.3], "n": [100]}))
       estimate  ci_low  ci_high    n
    0      25.0    20.0     30.0  100
    """
    out = frame.copy()
    for c in columns or SCALED_COLUMNS:
        if c in out.columns:
            out[c] = out[c] * 100.0
    return out


def check_tidy(frame: pd.DataFrame, *, what: str = "result") -> pd.DataFrame:
    """Return ``frame`` if it has the tidy columns; else a :class:`CXDataError` naming the missing ones."""
    from ..errors import CXDataError

    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if missing:
        raise CXDataError(f"{what} table lacks the tidy column(s) {missing}; has {list(map(str, frame.columns))}")
    return frame
