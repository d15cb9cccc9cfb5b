"""Tables formatted for reading: rounded for display only, intervals as ``[low, high]``,
small bases shown as suppressed rather than as numbers."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import CXDataError

__all__ = ["DisplayTable", "format_table", "format_interval"]


def format_interval(low: float, high: float, *, digits: int = 1) -> str:
    """``[low, high]`` rounded for display; ``—`` when a bound is missing.

    Examples
    --------
    >>> format_interval(1.234, 5.678)
    '[1.2, 5.7]'
    """
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return "—"
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


@dataclass(frozen=True)
class DisplayTable:
    """A formatted table (all cells are strings) that renders without an index."""

    frame: pd.DataFrame
    caption: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def _repr_html_(self) -> str:
        table = self.frame.to_html(index=False, border=0, classes="dataframe cx-table", escape=True)
        if self.caption:
            table = table.replace(">", f"><caption>{html.escape(self.caption)}</caption>", 1)
        return table

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)


def format_table(
    frame: pd.DataFrame,
    *,
    label: str | Sequence[str],
    digits: int | Mapping[str, int] = 1,
    unit: str | None = None,
    extra: Sequence[str] = (),
    show_test: bool | None = None,
    caption: str | None = None,
) -> DisplayTable:
    """Format a tidy result (``estimate``, ``ci_low``, ``ci_high``, ``n`` …) for reviewers.

    Parameters
    ----------
    frame : DataFrame
        A tidy result, e.g. from :func:`cxlib.by_group`.
    label : str or list of str
        Column(s) naming each row (groups, metric).
    digits : int or mapping
        Decimals for estimates and intervals (per ``label`` value when a mapping is keyed
        by the ``unit`` column's values).
    unit : str, optional
        Appended to the estimate column header, e.g. ``"points"``.
    extra : list of str
        Further columns shown as they are.
    show_test : bool, optional
        Show ``diff [CI]``, adjusted p-value and a significance mark when the frame has
        comparison columns (default: when present).

    Returns
    -------
    DisplayTable
        Renders as an HTML table without an index; ``.to_frame()`` gives the strings.

    Examples
    --------
    >>> f = pd.DataFrame({"plan": ["a", "b"], "estimate": [12.34, 50.0], "ci_low": [5.0, 1.0],
    ...                   "ci_high": [19.7, 90.0], "n": [400, 12], "small_base": [False, True]})
    >>> format_table(f, label="plan").to_frame().values.tolist()
    [['a', '12.3', '[5.0, 19.7]', '400'], ['b', 'suppressed (n < 30)', '', '12']]
    """
    labels = [label] if isinstance(label, str) else list(label)
    needed = labels + ["estimate", "ci_low", "ci_high", "n"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise CXDataError(f"cannot format: column(s) {missing} missing; the frame has {list(frame.columns)}")
    small = (frame["small_base"].fillna(True).astype(bool) if "small_base" in frame
             else pd.Series(False, index=frame.index))
    min_base = frame["min_base"].iloc[0] if "min_base" in frame and len(frame) else 30
    if show_test is None:
        show_test = "p_adjusted" in frame or "p_value" in frame

    def _digits(row) -> int:
        if isinstance(digits, Mapping):
            return int(digits.get(row.get("unit"), 1))
        return int(digits)

    est_name = "estimate" + (f" ({unit})" if unit else "")
    rows = []
    for i, row in frame.iterrows():
        d = _digits(row)
        out = {c: str(row[c]) for c in labels}
        if small.loc[i]:
            out[est_name] = f"suppressed (n < {int(min_base)})"
            out["interval"] = ""
        else:
            out[est_name] = "—" if pd.isna(row["estimate"]) else f"{row['estimate']:.{d}f}"
            out["interval"] = format_interval(row["ci_low"], row["ci_high"], digits=d)
        out["n"] = f"{int(row['n']):,}"
        for c in extra:
            out[c] = "" if pd.isna(row[c]) else str(row[c])
        if show_test:
            p = row.get("p_adjusted", row.get("p_value"))
            if small.loc[i] or "diff" not in frame or pd.isna(row.get("diff")):
                out["difference [CI]"] = "not tested" if small.loc[i] else "—"
                out["p (adj.)"] = ""
                out["significant"] = ""
            else:
                sign = "+" if row["diff"] > 0 else ""
                out["difference [CI]"] = (f"{sign}{row['diff']:.{d}f} "
                                          f"{format_interval(row['diff_ci_low'], row['diff_ci_high'], digits=d)}")
                out["p (adj.)"] = "—" if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")
                sig = row.get("significant")
                out["significant"] = "yes" if (sig is True or (not pd.isna(sig) and bool(sig))) else "no"
        rows.append(out)
    level = frame["confidence_level"].iloc[0] if "confidence_level" in frame and len(frame) else None
    table = pd.DataFrame(rows)
    if level is not None:
        table = table.rename(columns={"interval": f"{level:.0%} CI"})
    return DisplayTable(table, caption=caption)
