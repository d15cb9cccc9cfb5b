"""Qualtrics exports: recognising their three header rows, and naming, labelling and typing
their columns. Used by :func:`cxlib.data.readers.read_survey` for CSV and Excel exports.

A Qualtrics export (CSV, TSV or Excel) starts with three header rows:

1. the column ids (``StartDate``, ``ResponseId``, ``Q1``, ``Q2_1`` …, export tags the
   survey's author may have renamed);
2. the question texts, in the survey's interface language;
3. one JSON object per column, ``{"ImportId": "QID1"}``, ``{"ImportId": "startDate",
   "timeZone": "America/Denver"}``, ``{"ImportId": "recipientEmail"}`` …

Row 3 is the same in every language and for both the "numeric values" and the "choice
text" variants of the export, so the export is recognised by it, not by the texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import CXDataError
from .privacy import QUALTRICS_IDENTIFYING, normalise_name


@dataclass
class QualtricsColumns:
    """A Qualtrics export's responses with their column ids, and what the header said."""

    frame: pd.DataFrame
    column_labels: dict[str, str]
    notes: list[str]
    identifying: list[str]  # columns whose ImportId is one of Qualtrics' identifying fields


def import_cell(cell: Any) -> dict | None:
    """A Qualtrics ``{"ImportId": ...}`` header cell as a dict, or None.

    Examples
    --------
    >>> import_cell('{"ImportId":"QID1"}'), import_cell("Q1")
    ({'ImportId': 'QID1'}, None)
    """
    text = "" if cell is None else str(cell).strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "ImportId" in value else None


def parse_header(rows: list[list[Any]], name: str, *, require: bool) -> list[dict] | None:
    """The parsed ImportId row when ``rows`` (a file's first three rows) are a Qualtrics header.

    Parameters
    ----------
    rows : list of lists
        The first (up to) three rows of the file, as cells.
    name : str
        The file, for messages.
    require : bool
        Whether the file must be a Qualtrics export.

    Returns
    -------
    list of dict or None
        One ImportId object per column; None when row 3 holds no ImportId cell (not a
        Qualtrics export) and ``require`` is False.

    Raises
    ------
    CXDataError
        Row 3 holds ImportId cells but not in every column, or the three rows differ in
        width (a broken header); or ``require`` is True and there is no ImportId row.

    Examples
    --------
    >>> parse_header([["Q1"], ["How satisfied?"], ['{"ImportId":"QID1"}']], "s.csv", require=True)
    [{'ImportId': 'QID1'}]
    >>> parse_header([["id", "osat"], ["1", "4"]], "s.csv", require=False) is None
    True
    """
    third = rows[2] if len(rows) >= 3 else []
    imports = [import_cell(c) for c in third]
    if not any(imports):
        if require:
            shown = [str(c) for c in rows[min(2, len(rows) - 1)][:3]] if rows else []
            raise CXDataError(
                f"{name}: not a Qualtrics export: row 3 should hold {{\"ImportId\": ...}} for every column; "
                f"found {shown} (export again from Qualtrics as CSV, or read it with format='csv')")
        return None
    ids = rows[0]
    bad = [str(ids[i]) if i < len(ids) else f"#{i + 1}" for i, imp in enumerate(imports) if imp is None]
    widths = [len(r) for r in rows[:3]]
    if bad or len(set(widths)) != 1:
        problem = (f"row 3 cells of column(s) {bad[:5]} are not {{\"ImportId\": ...}} JSON" if bad
                   else f"the three header rows have {widths[0]}, {widths[1]} and {widths[2]} cells")
        raise CXDataError(
            f"{name}: broken Qualtrics header: {problem} (was the file edited? export it again from Qualtrics)")
    return imports


def name_columns(frame: pd.DataFrame, ids: list, texts: list, imports: list[dict], *,
                 container: str) -> QualtricsColumns:
    """Name, label and type the columns of a Qualtrics export read without its header rows.

    Columns take the ids of row 1 (a repeated id gets ``.1``, ``.2`` …), labels the texts
    of row 2; columns whose ImportId carries a ``timeZone`` are parsed as dates; the
    identifying metadata (IP address, recipient names and e-mail, external reference,
    location) is found by its ImportId, whatever the column is called.
    """
    exported = [str(c) for c in ids]
    columns = _unique(exported)
    frame = frame.set_axis(columns, axis=1)
    notes = [f"Qualtrics export ({container}): 3 header rows; {variant(frame, imports)} variant"]
    if columns != exported:
        notes.append(f"duplicate column ids renamed: {[c for c, i in zip(columns, exported) if c != i]}")
    for column, imp in zip(columns, imports):
        if imp.get("timeZone") and not pd.api.types.is_datetime64_any_dtype(frame[column]):
            parsed = pd.to_datetime(frame[column], errors="coerce", format="mixed")
            if parsed.notna().sum() == frame[column].notna().sum():
                frame[column] = parsed
            else:
                notes.append(f"{column}: not every value is a date; kept as text")
    zones = sorted({str(imp["timeZone"]) for imp in imports if imp.get("timeZone")})
    if zones:
        notes.append(f"Qualtrics dates are in time zone {', '.join(zones)}")
    identifying = [c for c, imp in zip(columns, imports) if normalise_name(imp["ImportId"]) in QUALTRICS_IDENTIFYING]
    labels = {c: str(t).strip() for c, t in zip(columns, texts) if t is not None and str(t).strip()}
    return QualtricsColumns(frame=frame, column_labels=labels, notes=notes, identifying=identifying)


def variant(frame: pd.DataFrame, imports: list[dict]) -> str:
    """``"numeric-values"`` or ``"choice-text"``: are the closed questions' answers numbers?

    Closed questions are the columns whose ImportId starts with ``QID`` and does not end
    with ``TEXT`` (text entry).
    """
    questions = [c for c, imp in zip(frame.columns, imports)
                 if str(imp["ImportId"]).startswith("QID") and not str(imp["ImportId"]).endswith("TEXT")]
    answered = [c for c in questions if frame[c].notna().any()]
    if not answered:
        return "unknown (no closed questions answered)"
    numeric = all(pd.api.types.is_numeric_dtype(frame[c]) or _numbers_in_text(frame[c]) for c in answered)
    return "numeric-values" if numeric else "choice-text"


def _numbers_in_text(values: pd.Series) -> bool:
    """True for text like "1,3" (a numeric multiple-choice answer)."""
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(text.str.fullmatch(r"-?\d+(\.\d+)?(,-?\d+(\.\d+)?)*").all())


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out
