"""Reviewer HTML (cxlib.report.render) on small notebooks built here with nbformat: what a
reviewer must not see (code, parameters, removed cells, warnings), what they must see
(outputs, figures, a table of contents, the provenance appendix at the end), and bytes that
do not change between reruns. No kernel is started."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxlib.report.render import APPENDIX_HEADING, render_html

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
PROVENANCE = [("parameter", "quarter", "2026Q3"), ("parameter", "segment", "<plan & tier>"),
              ("provenance", "git commit", "abc123def456")]


def styler_html() -> str:
    """A pandas Styler's HTML: every Styler gets a random uuid in its element ids."""
    return pd.DataFrame({"a": [1.234, 2.5]}).style.format(precision=1).to_html()


def code(source: str, *outputs, tags=(), count: int = 1):
    cell = new_code_cell(source, execution_count=count, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def stderr(text: str):
    return new_output("stream", name="stderr", text=text)


def executed_notebook(*, styler: str | None = None, count: int = 1, warn: bool = True) -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Quarterly scorecard\nWhat moved NPS this quarter?"),
        code('quarter = "2026Q1"  # PARAMETER-SOURCE', tags=["parameters"], count=count),
        code('quarter = "2026Q3"  # INJECTED-SOURCE', tags=["injected-parameters"], count=count + 1),
        new_markdown_cell("## Summary\nNPS fell."),
        code("SECRET_CODE = print('visible output')",
             stdout("visible output\n"),
             *([stderr("UserWarning: NOISY-WARNING\n")] if warn else []), count=count + 2),
        new_markdown_cell("## Headline metrics\n### By plan"),
        code("display(styled)", new_output("execute_result", data={"text/html": styler or styler_html(),
                                                                   "text/plain": "<Styler>"},
                                           execution_count=count + 3), count=count + 3),
        code("plt.show()", new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
             count=count + 4),
        code("print('REMOVED-CELL-MARKER')", stdout("REMOVED-CELL-MARKER\n"), tags=["remove-cell"]),
        code("print('REMOVED-OUTPUT-MARKER')", stdout("REMOVED-OUTPUT-MARKER\n"), tags=["remove-output"]),
        new_markdown_cell("## Findings\nThe last section of the analysis."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["papermill"] = {"duration": float(count)}  # timing metadata must not reach the HTML
    return nb


@pytest.fixture(scope="module")
def rendered():
    return render_html(executed_notebook(), title="nb — overall — 2026Q3", provenance=PROVENANCE)


def headings(html: str) -> list[tuple[str, str]]:
    """(anchor, text) of every h2/h3 of the document body (outside the table of contents)."""
    return [(anchor, re.sub(r"<[^>]+>", "", text).strip())
            for anchor, text in re.findall(r'<h[23] id="([^"]+)">(.*?)<a class="anchor-link"', html, re.S)]


def test_inputs_and_parameter_cells_are_removed(rendered):
    assert "visible output" in rendered.html
    for source in ("SECRET_CODE", "PARAMETER-SOURCE", "INJECTED-SOURCE", "display(styled)", "plt.show()"):
        assert source not in rendered.html, source
    assert "hl-ipython3" not in rendered.html  # no highlighted code blocks at all


def test_remove_cell_and_remove_output_tags_are_honoured(rendered):
    assert "REMOVED-CELL-MARKER" not in rendered.html
    assert "REMOVED-OUTPUT-MARKER" not in rendered.html
    assert "The last section of the analysis." in rendered.html  # cells after them are kept


def test_warnings_go_to_the_log_not_the_html(rendered):
    assert "NOISY-WARNING" not in rendered.html
    assert rendered.log == "--- cell 4 (stderr) ---\nUserWarning: NOISY-WARNING\n"
    assert rendered.had_warnings is True and rendered.error is None
    quiet = render_html(executed_notebook(warn=False), title="t", provenance=PROVENANCE)
    assert quiet.log == "" and quiet.had_warnings is False


def test_figures_are_embedded(rendered):
    assert f"data:image/png;base64,{PNG}" in rendered.html


def test_provenance_appendix_is_the_last_section(rendered):
    html = rendered.html
    found = headings(html)
    assert found[-1] == ("Appendix:-parameters-and-provenance", APPENDIX_HEADING)
    appendix = html.index(f'id="{found[-1][0]}"')
    # everything the notebook showed comes before the appendix
    for marker in ("What moved NPS", "visible output", "data:image/png", "The last section of the analysis."):
        assert html.index(marker) < appendix, marker
    table = html[appendix:]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td><code>(.*?)</code></td></tr>", table)
    assert rows == [("parameter", "quarter", "2026Q3"), ("parameter", "segment", "&lt;plan &amp; tier&gt;"),
                    ("provenance", "git commit", "abc123def456")]
    # the table is not also where the parameters cell stood
    assert html.count('class="cx-provenance"') == 1


def test_no_appendix_without_provenance():
    html = render_html(executed_notebook(), title="t").html
    assert APPENDIX_HEADING not in html and 'class="cx-provenance"' not in html


def test_table_of_contents_entries_match_the_headings(rendered):
    nav = re.search(r'<nav class="cx-toc">(.*?)</nav>', rendered.html, re.S).group(1)
    entries = re.findall(r'<a href="#([^"]+)">([^<]*)</a>', nav)
    expected = [("Summary", "Summary"), ("Headline-metrics", "Headline metrics"), ("By-plan", "By plan"),
                ("Findings", "Findings"), ("Appendix:-parameters-and-provenance", APPENDIX_HEADING)]
    assert entries == expected
    assert [e for e in entries] == headings(rendered.html)  # every entry links to a heading of the page
    assert [level for level, _, _ in rendered.headings] == [1, 2, 2, 3, 2, 2]
    # the TOC follows the title
    assert rendered.html.index("Quarterly scorecard") < rendered.html.index('<nav class="cx-toc">')


def test_styler_ids_and_run_metadata_do_not_change_the_bytes():
    first, second = styler_html(), styler_html()
    uuids = {re.search(r"T_([0-9a-f]{5})", s).group(1) for s in (first, second)}
    assert len(uuids) == 2  # pandas gave the two tables different random ids
    a = render_html(executed_notebook(styler=first, count=1), title="t", provenance=PROVENANCE).html
    b = render_html(executed_notebook(styler=second, count=7), title="t", provenance=PROVENANCE).html
    assert a == b
    assert "T_cx000" in a and not any(f"T_{u}" in a for u in uuids)


def test_a_failed_run_shows_a_banner_and_keeps_the_traceback_in_the_log():
    nb = executed_notebook()
    nb.cells.insert(5, code("raise RuntimeError('boom')", new_output(
        "error", ename="RuntimeError", evalue="boom \x1b[31mred\x1b[0m",
        traceback=["\x1b[31mTraceback (most recent call last)\x1b[0m", "RuntimeError: boom"])))
    res = render_html(nb, title="t", provenance=PROVENANCE)
    assert res.error == "cell 5: RuntimeError: boom red"
    assert '<div class="cx-failed"><strong>This run failed</strong> in cell 5: RuntimeError: boom red.' in res.html
    assert "--- cell 5 (error) ---\nTraceback (most recent call last)\nRuntimeError: boom" in res.log
    assert "\x1b[" not in res.html and "\x1b[" not in res.log
    assert headings(res.html)[-1][1] == APPENDIX_HEADING  # the appendix stays last in a failed run too


def test_the_input_notebook_is_not_modified():
    nb = executed_notebook()
    before = nbformat.writes(nb)
    render_html(nb, title="t", provenance=PROVENANCE)
    assert nbformat.writes(nb) == before
