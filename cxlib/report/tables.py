"""Tables formatted for reading: rounded for display only, intervals as ``[low, high]``,
small bases shown as suppressed rather than as numbers."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.inference import format_interval, format_suppressed
from ..errors import CXDataError


@dataclass(frozen=True)
class DisplayTable:
    """A formatted table (all cells are strings) that renders without an index."""

    frame: pd.DataFrame
    caption: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def _repr_html_(self) -> str:
        table = self.frame.to_html(index=False, border=0, classes="cx-table", escape=True)
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
    caption : str, optional
        Shown above the table.

    Returns
    -------
    DisplayTable
        Renders as an HTML table without an index; ``.to_frame()`` gives the strings.

    Notes
    -----
    Numbers are rounded here only, for display. A row with ``small_base`` true (or
    missing) shows :func:`cxlib.core.inference.format_suppressed` instead of its estimate
    and no interval; an interval with a missing bound reads ``"no interval"``
    (:func:`cxlib.core.inference.format_interval`). The interval column is headed with the
    ``confidence_level`` column's level (``95% CI``) when the frame has one.

    Examples
    --------
    >>> f = pd.DataFrame({"plan": ["a", "b"], "estimate": [12.34, 50.0], "ci_low": [5.0, 1.0],
    ...                   "ci_high": [19.7, 90.0], "n": [400, 12], "small_base": [False, True],
    ...                   "min_base": [30, 30]})
    >>> format_table(f, label="plan").to_frame().values.tolist()
    [['a', '12.3', '[5.0, 19.7]', '400'], ['b', 'suppressed (n = 12 < minimum base 30)', '', '12']]
    """
    labels = [label] if isinstance(label, str) else list(label)
    needed = labels + ["estimate", "ci_low", "ci_high", "n"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise CXDataError(f"cannot format: column(s) {missing} missing; the frame has {list(frame.columns)}")
    # a missing flag counts as a small base: never show a number whose base is unknown
    small = (frame["small_base"].map(lambda v: True if pd.isna(v) else bool(v)).astype(bool)
             if "small_base" in frame else pd.Series(False, index=frame.index))
    if show_test is None:
        show_test = "p_adjusted" in frame or "p_value" in frame
    est_name = "estimate" + (f" ({unit})" if unit else "")
    rows = []
    for i, row in frame.iterrows():
        d = int(digits.get(row.get("unit"), 1)) if isinstance(digits, Mapping) else int(digits)
        out = {c: str(row[c]) for c in labels}
        if small.loc[i]:
            out[est_name] = format_suppressed(row["n"], row.get("min_base"))
            out["interval"] = ""
        else:
            out[est_name] = "—" if pd.isna(row["estimate"]) else f"{row['estimate']:.{d}f}"
            out["interval"] = format_interval(row["ci_low"], row["ci_high"], digits=d)
        out["n"] = "—" if pd.isna(row["n"]) else f"{int(row['n']):,}"
        for c in extra:
            out[c] = "" if pd.isna(row[c]) else str(row[c])
        if show_test:
            out.update(_test_cells(row, small=bool(small.loc[i]), has_diff="diff" in frame, digits=d))
        rows.append(out)
    level = frame["confidence_level"].iloc[0] if "confidence_level" in frame and len(frame) else None
    table = pd.DataFrame(rows)
    if level is not None:
        table = table.rename(columns={"interval": f"{level:.0%} CI"})
    return DisplayTable(table, caption=caption)


def _test_cells(row: pd.Series, *, small: bool, has_diff: bool, digits: int) -> dict[str, Any]:
    """The ``difference [CI]``, ``p (adj.)`` and ``significant`` cells of one row."""
    if small or not has_diff or pd.isna(row.get("diff")):
        return {"difference [CI]": "not tested" if small else "—", "p (adj.)": "", "significant": ""}
    p = row.get("p_adjusted", row.get("p_value"))
    sign = "+" if row["diff"] > 0 else ""
    sig = row.get("significant")
    return {
        "difference [CI]": (f"{sign}{row['diff']:.{digits}f} "
                            f"{format_interval(row['diff_ci_low'], row['diff_ci_high'], digits=digits)}"),
        "p (adj.)": "—" if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}"),
        "significant": "yes" if (sig is True or (not pd.isna(sig) and bool(sig))) else "no",
    }
