"""Banner tables for readers: HTML for notebooks and reports, and an Excel workbook.

Both show what a stakeholder expects of a banner table: the banner variables as spanners
over their columns with the columns' letters, a base row per question (and the effective
base when weighted), each cell's estimate with the letters of the columns it is
significantly higher than (superscripts in HTML, a line of letters under the estimates in
Excel), columns below the minimum base greyed and marked ``*``, and a note stating the
tests, the correction and the base rule (:func:`crosstab_note`). The numbers come from
:class:`cxlib.crosstab.Crosstab` unchanged; they are rounded here only for display.

The HTML is a plain styled table (no extra dependency): great_tables would render the same
layout, but pulls about ten packages (a headless-browser client among them) into the
environment for a table that needs spanners, superscripts and a footnote only.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # noqa: F401  (used by the doctests)

from ..core.inference import format_interval
from ..core.io import atomic_write_with
from ..crosstab.table import DIGITS, SMALL_BASE_MARK, Crosstab
from ..errors import CXDataError

_CORRECTION_NAMES = {"bh": "Benjamini–Hochberg", "bonferroni": "Bonferroni", "holm": "Holm"}

_CSS = """<style>
table.cx-crosstab{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}
table.cx-crosstab th,table.cx-crosstab td{padding:2px 8px;text-align:right;border:none}
table.cx-crosstab thead th{text-align:center;border-bottom:1px solid #999}
table.cx-crosstab th.cx-stub{text-align:left;font-weight:normal}
table.cx-crosstab tr.cx-question th{text-align:left;font-weight:bold;border-top:1px solid #999;padding-top:6px}
table.cx-crosstab tr.cx-base td,table.cx-crosstab tr.cx-base th{color:#555;font-style:italic}
table.cx-crosstab tr.cx-net th{font-style:italic}
table.cx-crosstab td.cx-small{color:#999}
table.cx-crosstab sup{color:#c0392b;font-weight:bold;margin-left:1px}
table.cx-crosstab td.cx-total,table.cx-crosstab th.cx-total{border-right:1px solid #ddd}
table.cx-crosstab caption{caption-side:top;text-align:left;font-weight:bold}
table.cx-crosstab tfoot td{text-align:left;font-size:0.85em;color:#444;border-top:1px solid #999;white-space:normal}
</style>"""


class CrosstabHTML(str):
    """HTML text that a notebook displays as a table (and that can be written to a file)."""

    def _repr_html_(self) -> str:
        return str(self)


def crosstab_note(ct: Crosstab) -> str:
    """The note under a banner table: the tests, the correction, weighting and the base rule.

    Examples
    --------
    >>> import cxlib as cx
    >>> df = pd.DataFrame({"plan": ["a", "b"] * 40, "renew": ["yes", "no", "yes", "yes"] * 20})
    >>> print(crosstab_note(cx.crosstab(df, "renew", "plan")))  # doctest: +NORMALIZE_WHITESPACE
    Letters: the column is significantly higher than the lettered column of the same banner
    variable (two-sided, 5% level, Benjamini–Hochberg correction over the pairs of each row
    within a banner variable). Shares: pooled two-proportion z-test. Columns with a base
    below 30 are marked * and are neither tested nor tested against.
    """
    stats = set(ct.table["stat"])
    parts = []
    if ct.test is None:
        parts.append("No significance tests.")
    else:
        alpha = 1.0 - ct.confidence_level
        correction = (f"{_CORRECTION_NAMES[ct.correction]} correction over the pairs of each row within "
                      f"a banner variable" if ct.correction in _CORRECTION_NAMES else "no multiplicity correction")
        parts.append(f"Letters: the column is significantly higher than the lettered column of the same banner "
                     f"variable (two-sided, {alpha:.0%} level, {correction}).")
        tests = {"column %": "Shares: pooled two-proportion z-test.",
                 "mean": "Means: Welch's t-test.",
                 "nps": "NPS: z-test with Var = (p_P + p_D) − (p_P − p_D)² per respondent (Rocks 2016)."}
        parts += [text for stat, text in tests.items() if stat in stats]
    if ct.weighted:
        parts.append("Weighted; every interval and test uses the effective base (Kish).")
    base = "an effective base" if ct.weighted else "a base"
    parts.append(f"Columns with {base} below {ct.min_base} are marked {SMALL_BASE_MARK} and are neither "
                 f"tested nor tested against.")
    return " ".join(parts)


def _labeller(labels: Any) -> Callable[[str], str]:
    """``labels`` (a mapping column -> label, a function such as ``roles.label``, or None)
    as a function; a column without a label keeps its id."""
    if labels is None:
        return str
    if isinstance(labels, Mapping):
        return lambda c: str(labels.get(c, c))
    if callable(labels):
        return lambda c: str(labels(c))
    raise CXDataError(f"`labels` must be a mapping column -> label or a function; got {type(labels).__name__}")


def _blocks(ct: Crosstab) -> list[tuple[str, list[list[dict[str, Any]]]]]:
    """Per question, its table rows, each a list of cell records in banner order."""
    n_cols = len(ct.banner)
    out = []
    for q in ct.rows:
        records = ct.table[ct.table["question"] == q].to_dict("records")
        out.append((q, [records[i:i + n_cols] for i in range(0, len(records), n_cols)]))
    return out


def _row_label(cell: Mapping[str, Any]) -> str:
    return {"mean": "Mean", "nps": "NPS"}.get(cell["stat"], str(cell["level"]))


def _estimate_text(cell: Mapping[str, Any], digits: Mapping[str, int]) -> str:
    est = cell["estimate"]
    if not np.isfinite(est):
        return "—"
    return f"{est:.{digits[cell['stat']]}f}" + ("%" if cell["stat"] == "column %" else "")


def _html_header(ct: Crosstab, label: Callable[[str], str] = str) -> str:
    banner = ct.banner
    spans = banner.iloc[1:].groupby("banner", sort=False).size()
    top = ['<th class="cx-stub" rowspan="3"></th><th class="cx-total" rowspan="2">Total</th>']
    top += [f'<th colspan="{k}">{html.escape(label(b))}</th>' for b, k in spans.items()]
    levels = "".join(f"<th>{html.escape(str(c))}</th>" for c in banner["column"].iloc[1:])
    letters = '<th class="cx-total"></th>' + "".join(f"<th>({html.escape(x)})</th>" for x in banner["letter"].iloc[1:])
    return f"<thead><tr>{''.join(top)}</tr><tr>{levels}</tr><tr>{letters}</tr></thead>"


def _classes(total: bool, small: bool) -> str:
    names = (["cx-total"] if total else []) + (["cx-small"] if small else [])
    return f' class="{" ".join(names)}"' if names else ""


def _html_cell(cell: Mapping[str, Any], digits: Mapping[str, int], first: bool, level: float) -> str:
    tip = f"{level:.0%} CI {format_interval(cell['ci_low'], cell['ci_high'], digits=digits[cell['stat']])}; " \
          f"n = {int(cell['n']):,}"
    if cell["n_eff"] != cell["n"]:
        tip += f", effective n = {cell['n_eff']:,.1f}"
    text = html.escape(_estimate_text(cell, digits))
    if cell["small_base"]:
        text += SMALL_BASE_MARK
    elif cell["higher_than"]:
        text += f"<sup>{html.escape(cell['higher_than'])}</sup>"
    return f'<td{_classes(first, bool(cell["small_base"]))} title="{html.escape(tip)}">{text}</td>'


def _html_base_rows(ct: Crosstab, cells: list[dict[str, Any]]) -> str:
    rows = [("Base (n)", [f"{int(c['n']):,}" for c in cells])]
    if ct.weighted:
        rows.append(("Effective base", [f"{c['n_eff']:,.1f}" for c in cells]))
    out = []
    for label, values in rows:
        tds = "".join(f'<td{_classes(i == 0, c["small_base"])}>{v}{SMALL_BASE_MARK if c["small_base"] else ""}</td>'
                      for i, (c, v) in enumerate(zip(cells, values)))
        out.append(f'<tr class="cx-base"><th class="cx-stub">{label}</th>{tds}</tr>')
    return "".join(out)


def crosstab_html(ct: Crosstab, *, title: str | None = None, digits: Mapping[str, int] | None = None,
                  labels: Mapping[str, str] | Callable[[str], str] | None = None) -> CrosstabHTML:
    """A banner table as HTML: spanners, letters as superscripts, bases, the note.

    Parameters
    ----------
    ct : Crosstab
        From :func:`cxlib.crosstab`.
    title : str, optional
        Caption above the table.
    digits : dict, optional
        Decimals per kind of row (defaults: 1 for "column %" and "nps", 2 for "mean").
    labels : mapping or function, optional
        The study's labels (question texts): column id -> label, e.g. ``roles.labels`` or
        ``roles.label``; shown for the row questions and the banner variables (a column
        without a label keeps its id).

    Returns
    -------
    CrosstabHTML
        A ``str`` of HTML (with its ``<style>``) that a notebook displays as the table.
        Hovering a cell shows its interval and base.

    Examples
    --------
    >>> import cxlib as cx
    >>> df = pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100,
    ...                    "renew": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 40 + ["no"] * 60})
    >>> page = crosstab_html(cx.crosstab(df, "renew", "plan"))
    >>> "60.0%<sup>B</sup>" in page, "<th>(A)</th>" in page
    (True, True)
    >>> "Will you renew?" in crosstab_html(cx.crosstab(df, "renew", "plan"), labels={"renew": "Will you renew?"})
    True
    """
    digits = {**DIGITS, **(digits or {})}
    label = _labeller(labels)
    n_cols = len(ct.banner)
    body = []
    for q, rows in _blocks(ct):
        body.append(f'<tr class="cx-question"><th colspan="{n_cols + 1}">{html.escape(label(q))}</th></tr>')
        body.append(_html_base_rows(ct, rows[0]))
        for cells in rows:
            tds = "".join(_html_cell(c, digits, i == 0, ct.confidence_level) for i, c in enumerate(cells))
            cls = ' class="cx-net"' if cells[0]["net"] else ""
            body.append(f'<tr{cls}><th class="cx-stub">{html.escape(_row_label(cells[0]))}</th>{tds}</tr>')
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    note = f'<tfoot><tr><td colspan="{n_cols + 1}">{html.escape(crosstab_note(ct))}</td></tr></tfoot>'
    return CrosstabHTML(f'{_CSS}<table class="cx-crosstab">{caption}{_html_header(ct, label)}'
                        f'<tbody>{"".join(body)}</tbody>{note}</table>')


# ------------------------------------------------------------------------------- Excel
def _sheets(tables: Any) -> list[tuple[str, Crosstab]]:
    """``(sheet name, table)`` pairs: a mapping's keys, else "Table 1", "Table 2", …"""
    if isinstance(tables, Crosstab):
        tables = [tables]
    items = list(tables.items()) if isinstance(tables, Mapping) else [
        (f"Table {i}", t) for i, t in enumerate(tables, start=1)] if isinstance(tables, Sequence) else None
    if not items:
        raise CXDataError(f"`tables` must be a Crosstab, a list of them or a mapping sheet name -> Crosstab; "
                          f"got {type(tables).__name__}{' (empty)' if items == [] else ''}")
    out, seen = [], set()
    for name, t in items:
        if not isinstance(t, Crosstab):
            raise CXDataError(f"`tables` entry {name!r} is a {type(t).__name__}, not a Crosstab (from cx.crosstab)")
        clean = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'")[:31] or "Table"
        base, k = clean, 2
        while clean.lower() in seen:
            clean = f"{base[:28]} {k}"
            k += 1
        seen.add(clean.lower())
        out.append((clean, t))
    return out


def _number_format(stat: str, digits: Mapping[str, int]) -> str:
    fmt = "0" + ("." + "0" * digits[stat] if digits[stat] > 0 else "")
    return fmt + '"%"' if stat == "column %" else fmt


def _write_header(ws, ct: Crosstab, title: str, styles: dict, label: Callable[[str], str] = str) -> int:
    """Title, banner spanners, column labels and letters; returns the next free row."""
    ws.cell(1, 1, title).font = styles["title"]
    banner = ct.banner
    col = 3
    for name, k in banner.iloc[1:].groupby("banner", sort=False).size().items():
        ws.cell(3, col, label(name)).font = styles["bold"]
        if k > 1:
            ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + k - 1)
        col += k
    for j, (label, letter) in enumerate(zip(banner["column"], banner["letter"]), start=2):
        ws.cell(4, j, label if isinstance(label, (int, float)) else str(label)).font = styles["bold"]
        if letter:
            ws.cell(5, j, f"({letter})").font = styles["letters"]
        for r in (3, 4, 5):
            ws.cell(r, j).alignment = styles["center"]
    return 6


def _write_question(ws, ct: Crosstab, q: str, rows: list[list[dict]], r: int, digits, styles,
                    label: Callable[[str], str] = str) -> int:
    """One question's block (name, bases, estimates and letters); returns the next free row."""
    ws.cell(r, 1, label(q)).font = styles["bold"]
    r += 1
    bases = [("Base (n)", "n", "0")] + ([("Effective base", "n_eff", "0.0")] if ct.weighted else [])
    for label, key, fmt in bases:
        ws.cell(r, 1, label).font = styles["base"]
        for j, c in enumerate(rows[0], start=2):
            cell = ws.cell(r, j, int(c[key]) if key == "n" else float(c[key]))
            cell.number_format = fmt + (f'"{SMALL_BASE_MARK}"' if c["small_base"] else "")
            cell.font = styles["small"] if c["small_base"] else styles["base"]
        r += 1
    for cells in rows:
        ws.cell(r, 1, _row_label(cells[0])).font = styles["net"] if cells[0]["net"] else styles["plain"]
        for j, c in enumerate(cells, start=2):
            value = float(c["estimate"]) if np.isfinite(c["estimate"]) else None
            cell = ws.cell(r, j, value)
            cell.number_format = _number_format(c["stat"], digits)
            if c["small_base"]:
                cell.font = styles["small"]
        if ct.test is not None:
            r += 1
            for j, c in enumerate(cells, start=2):
                if c["higher_than"]:
                    ws.cell(r, j, c["higher_than"]).font = styles["letters"]
                    ws.cell(r, j).alignment = styles["right"]
        r += 1
    return r + 1


def _styles() -> dict:
    from openpyxl.styles import Alignment, Font

    return {"title": Font(bold=True, size=12), "bold": Font(bold=True), "plain": Font(),
            "net": Font(italic=True), "base": Font(italic=True, color="555555"),
            "small": Font(italic=True, color="999999"), "letters": Font(bold=True, color="C0392B", size=9),
            "note": Font(italic=True, size=9), "center": Alignment(horizontal="center"),
            "right": Alignment(horizontal="right"), "wrap": Alignment(wrap_text=True, vertical="top")}


def crosstab_excel(tables: Crosstab | Sequence[Crosstab] | Mapping[str, Crosstab], path: str | os.PathLike,
                   *, digits: Mapping[str, int] | None = None,
                   labels: Mapping[str, str] | Callable[[str], str] | None = None) -> Path:
    """Write banner tables to an Excel workbook, one sheet per table, atomically.

    Parameters
    ----------
    tables : Crosstab, list of Crosstab, or mapping sheet name -> Crosstab
        The tables (sheet names "Table 1", "Table 2", … for a list; names are cut to
        Excel's 31 characters and stripped of ``[]:*?/\\``).
    path : str or path
        The ``.xlsx`` file; written to a temporary file beside it, then renamed.
    digits : dict, optional
        Decimals shown per kind of row (the cells keep full precision).
    labels : mapping or function, optional
        The study's labels (question texts) for the row questions and banner variables,
        as in :func:`crosstab_html`.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    Each sheet: the title; the banner variables over their columns, the column labels and
    their letters; per question its name, ``Base (n)`` (and ``Effective base`` when
    weighted), then per table row the estimates as numbers (percent points shown with a %
    sign, means, NPS points) and under them the letters of the columns each is
    significantly higher than; columns below the minimum base in grey with ``*`` on the
    base; the note (:func:`crosstab_note`) at the end. Panes are frozen below the header.

    Examples
    --------
    >>> import cxlib as cx, openpyxl, tempfile
    >>> df = pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100,
    ...                    "renew": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 40 + ["no"] * 60})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = crosstab_excel({"renewal": cx.crosstab(df, "renew", "plan")}, f"{tmp}/banner.xlsx")
    ...     ws = openpyxl.load_workbook(out)["renewal"]
    ...     [ws.cell(r, 3).value for r in range(4, 12)]
    ['a', '(A)', None, 100, 40, None, 60, 'B']
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    digits = {**DIGITS, **(digits or {})}
    label = _labeller(labels)
    sheets = _sheets(tables)
    styles = _styles()
    wb = Workbook()
    wb.remove(wb.active)
    for name, ct in sheets:
        ws = wb.create_sheet(name)
        title = f"{name}: {', '.join(label(q) for q in ct.rows)} by {', '.join(label(c) for c in ct.columns)}"
        r = _write_header(ws, ct, title, styles, label)
        for q, rows in _blocks(ct):
            r = _write_question(ws, ct, q, rows, r, digits, styles, label)
        n_cols = len(ct.banner) + 1
        note = ws.cell(r, 1, crosstab_note(ct))
        note.font, note.alignment = styles["note"], styles["wrap"]
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=max(n_cols, 6))
        ws.row_dimensions[r].height = 15 * (1 + len(crosstab_note(ct)) // 100)
        ws.column_dimensions["A"].width = max(16, min(40, max(len(label(q)) for q in ct.rows) + 2))
        for j in range(2, n_cols + 1):
            ws.column_dimensions[get_column_letter(j)].width = 12
        ws.freeze_panes = "B6"
    return atomic_write_with(path, lambda tmp: wb.save(tmp))
