"""Render an executed notebook as reviewer-grade HTML.

Reviewers never run code, so the HTML they read has:

- no code: inputs are removed from the document (not hidden with CSS), and so are the
  ``parameters`` cell and papermill's ``injected-parameters`` cell; what the run used is
  stated in an appendix at the end, "Appendix: parameters and provenance", so that the
  reader meets the question and the findings first;
- cells tagged ``remove-cell`` dropped, ``remove-output`` outputs dropped (``remove-input``
  is implied for every cell), after the MyST / Jupyter Book tag names;
- no warnings, stderr or tracebacks of a successful run (they go to the run's log);
- a table of contents built from the notebook's headings, figures embedded;
- deterministic bytes: cell ids and execution metadata are normalised so that two runs on
  the same inputs produce identical files.
"""

from __future__ import annotations

import copy
import functools
import html
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nbformat is imported where it is used: ``import cxlib`` stays light
    import nbformat

REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell", "parameters", "injected-parameters"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
PARAMETER_TAGS = frozenset({"parameters", "injected-parameters"})

#: The heading of the appendix that states the run's parameters and provenance.
APPENDIX_HEADING = "Appendix: parameters and provenance"

_TOC_CSS = """
<style>
nav.cx-toc{border:1px solid #ddd;background:#fafafa;padding:.6em 1.2em;margin:1em 0;font-size:0.95em;max-width:60em}
nav.cx-toc ul{margin:.2em 0;padding-left:1.2em}
table.cx-provenance{font-size:0.9em}
.cx-failed{border:2px solid #c0392b;padding:.5em 1em;background:#fdecea;margin:1em 0}
</style>
"""


@dataclass(frozen=True)
class RenderedNotebook:
    """Result of :func:`render_html`."""

    html: str
    log: str
    had_warnings: bool
    error: str | None = None
    headings: list[tuple[int, str, str]] = field(default_factory=list)


def split_logs(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, str, bool]:
    """Remove stderr streams from every cell's outputs and collect them as a log.

    Returns the cleaned copy of the notebook, the log text, and whether anything was
    written to stderr (warnings included).
    """
    nb = copy.deepcopy(nb)
    log_parts: list[str] = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                log_parts.append(f"--- cell {i} (stderr) ---\n{out.get('text', '')}")
            else:
                kept.append(out)
        cell["outputs"] = kept
    return nb, "\n".join(log_parts), bool(log_parts)


def _first_error(nb: nbformat.NotebookNode) -> tuple[int, dict[str, Any]] | None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                return i, out
    return None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _error_text(out: Mapping[str, Any]) -> str:
    return f"{out.get('ename', 'Error')}: {_ANSI.sub('', str(out.get('evalue', '')))}"


def _provenance_cell(rows: list[tuple[str, str, str]]) -> nbformat.NotebookNode:
    """The appendix: a markdown heading (so it gets an anchor and a TOC entry) and the table."""
    import nbformat

    body = [f"## {APPENDIX_HEADING}", "", '<table class="cx-provenance">',
            "<thead><tr><th>section</th><th>item</th><th>value</th></tr></thead><tbody>"]
    for section, item, value in rows:
        body.append(f"<tr><td>{html.escape(section)}</td><td>{html.escape(item)}</td>"
                    f"<td><code>{html.escape(value)}</code></td></tr>")
    body.append("</tbody></table>")
    return nbformat.v4.new_markdown_cell("\n".join(body))


def _normalise(nb: nbformat.NotebookNode) -> None:
    """Make the document deterministic: fixed cell ids, no timing metadata."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.get("cell_type") == "code":
            cell["execution_count"] = None
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = None


_STYLER_UUID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"\s])")


def _stable_styler_ids(body: str) -> str:
    """pandas ``Styler`` tables carry a random uuid (``id="T_2b18d"``) on every render;
    replace each distinct one by a sequential id so reruns produce the same bytes."""
    mapping: dict[str, str] = {}
    for m in _STYLER_UUID.finditer(body):
        mapping.setdefault(m.group(1), f"cx{len(mapping):03d}")
    if not mapping:
        return body
    return _STYLER_UUID.sub(lambda m: f"T_{mapping[m.group(1)]}", body)


_HEADING = re.compile(r'<h([1-3]) id="([^"]+)">(.*?)<a class="anchor-link"', re.S)


def _add_toc(body: str) -> tuple[str, list[tuple[int, str, str]]]:
    found = [(int(level), anchor, re.sub(r"<[^>]+>", "", text).strip())
             for level, anchor, text in _HEADING.findall(body)]
    entries = [h for h in found[1:] if h[0] >= 2] if found and found[0][0] == 1 else [h for h in found if h[0] >= 2]
    if not entries:
        return body, found
    items = "".join(
        f'<li style="margin-left:{(level - 2) * 1.2}em"><a href="#{html.escape(anchor)}">{html.escape(text)}</a></li>'
        for level, anchor, text in entries
    )
    nav = f'<nav class="cx-toc"><strong>Contents</strong><ul>{items}</ul></nav>'
    # after the first level-1 heading if there is one, else at the top of the body
    m = re.search(r"</h1>", body)
    if m:
        body = body[: m.end()] + nav + body[m.end():]
    else:
        body = re.sub(r"(<body[^>]*>)", r"\1" + nav, body, count=1)
    return body, found


def _failure_banner(nb: nbformat.NotebookNode, error: str) -> None:
    """Say at the top that the run failed; keep the error output visible, without ANSI escapes."""
    import nbformat

    banner = nbformat.v4.new_markdown_cell(
        f'<div class="cx-failed"><strong>This run failed</strong> in {html.escape(error)}. '
        "The output below stops where the error occurred; the full traceback is in the run's log.</div>")
    nb.cells.insert(1 if nb.cells and nb.cells[0].get("cell_type") == "markdown" else 0, banner)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                out["traceback"] = [_ANSI.sub("", line) for line in out.get("traceback", [])]


@functools.lru_cache(maxsize=1)
def _exporter():
    """One exporter per process: its Jinja templates are compiled once (≈0.7 s a run otherwise)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    tag_remove = TagRemovePreprocessor(
        remove_cell_tags=set(REMOVE_CELL_TAGS),
        remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        enabled=True,
    )
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(tag_remove, enabled=True)
    return exporter


_EXPORT_LOCK = threading.Lock()


def _export(nb: nbformat.NotebookNode, title: str) -> str:
    """nbconvert's lab template without inputs or prompts, removal tags honoured."""
    with _EXPORT_LOCK:
        body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def render_html(
    nb: nbformat.NotebookNode,
    *,
    title: str,
    provenance: list[tuple[str, str, str]] | None = None,
) -> RenderedNotebook:
    """Render an executed notebook to reviewer HTML (code removed, logs split off).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (papermill's output). It is not modified.
    title : str
        The HTML document title.
    provenance : list of (section, item, value), optional
        Rows of the parameters-and-provenance table, rendered as the last section of the
        document under the heading :data:`APPENDIX_HEADING`.

    Returns
    -------
    RenderedNotebook
        ``html``, the ``log`` (stderr of all cells, and the traceback if a cell failed),
        ``had_warnings``, ``error`` (the failing cell's error, or ``None``) and the
        ``headings`` found (level, anchor, text).
    """
    nb, log, had_warnings = split_logs(nb)
    failure = _first_error(nb)
    error = None
    if failure is not None:
        idx, out = failure
        error = f"cell {idx}: {_error_text(out)}"
        tb = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        log = f"{log}\n--- cell {idx} (error) ---\n{tb}".strip()

    nb.cells = [c for c in nb.cells if not set(c.get("metadata", {}).get("tags", [])) & PARAMETER_TAGS]
    if provenance is not None:
        nb.cells.append(_provenance_cell(provenance))
    if error is not None:
        _failure_banner(nb, error)
    _normalise(nb)
    nb.metadata["title"] = title

    body = _stable_styler_ids(_export(nb, title))
    body, headings = _add_toc(body)
    body = body.replace("</head>", _TOC_CSS + "</head>", 1)
    return RenderedNotebook(html=body, log=log, had_warnings=had_warnings, error=error, headings=headings)
