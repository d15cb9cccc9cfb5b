"""The quarter's ``index.html``: every run, its status, key figures and links, and the
headline metrics compared with the previous quarter."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.inference import format_estimate
from ..core.io import atomic_write_text
from ..data.calendar import previous_quarter

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border-bottom:1px solid #ddd;padding:.35em .7em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1e7b34;font-weight:600}.failed{color:#c0392b;font-weight:600}.cancelled{color:#777;font-weight:600}
.warn{color:#9a6700}.muted{color:#777}.sig{font-weight:600}
code{font-size:.9em}
"""


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _headline_rows(out_dir: Path, runs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Headline comparisons written by the overall scorecard run (``changes`` key)."""
    for key in sorted(runs):
        if key.endswith("/overall") and runs[key].get("status") == "ok" and runs[key].get("figures"):
            figs = _read_json(out_dir / runs[key]["figures"]) or {}
            if figs.get("changes"):
                return list(figs["changes"])
    return []


def _headline_section(changes: list[Mapping[str, Any]], *, quarter: str, prev: str) -> list[str]:
    """The headline metrics of this quarter against the previous one (signed changes)."""
    parts = [f"<h2>Headline metrics: {quarter} vs {prev}</h2>",
             "<table><thead><tr><th>metric</th><th>" + quarter + "</th><th>" + prev +
             "</th><th>change [CI]</th><th>p-value (BH-adjusted)</th><th>significant</th></tr></thead><tbody>"]
    for c in changes:
        digits = c.get("digits", 1)
        sig = c.get("significant")
        change = format_estimate({"estimate": c.get("diff"), "ci_low": c.get("diff_ci_low"),
                                  "ci_high": c.get("diff_ci_high")}, digits=digits)
        if c.get("diff") is not None:
            change = ("+" if c["diff"] > 0 else "") + change
        p = c.get("p_value")
        parts.append(
            f"<tr><td>{html.escape(str(c.get('metric')))}</td>"
            f"<td class='num'>{html.escape(format_estimate(c.get('current'), digits=digits))}</td>"
            f"<td class='num'>{html.escape(format_estimate(c.get('previous'), digits=digits))}</td>"
            f"<td class='num'>{html.escape(change)}</td>"
            f"<td class='num'>{'—' if p is None else f'{p:.3f}'}</td>"
            f"<td class='{'sig' if sig else 'muted'}'>{'yes' if sig else ('no' if sig is not None else '—')}</td></tr>")
    parts.append("</tbody></table>")
    level = changes[0].get("confidence_level")
    if level:
        parts.append(f"<p class='muted'>Changes are signed ({quarter} − {prev}) with {level:.0%} confidence "
                     "intervals; significance is a two-sided test at the same level.</p>")
    return parts


def _run_order(key: str) -> tuple[str, int, str]:
    """Runs by notebook, the overall run first, then the fan-out runs by name."""
    notebook, _, run = key.partition("/")
    return notebook, 0 if run == "overall" else 1, run


def _run_row(out_dir: Path, r: Mapping[str, Any]) -> str:
    """One run's row: status (with warnings and error), its headline key figures, links."""
    status = r.get("status", "?")
    css = status if status in ("ok", "cancelled") else "failed"
    status_html = f"<span class='{css}'>{html.escape(status)}</span>"
    if r.get("had_warnings"):
        status_html += " <span class='warn'>(warnings: see log)</span>"
    if r.get("error"):
        status_html += f"<br><code>{html.escape(str(r['error']))}</code>"
    figs_html = ""
    if r.get("figures"):
        figs = _read_json(out_dir / r["figures"]) or {}
        head = figs.get("headline", {})
        figs_html = "<br>".join(f"{html.escape(str(k))}: {html.escape(format_estimate(v))}"
                                for k, v in head.items())
    links = " · ".join(f"<a href='{html.escape(r[k])}'>{label}</a>"
                       for k, label in (("html", "report"), ("ipynb", "notebook"), ("log", "log")) if r.get(k))
    run_html = html.escape(r.get("run", ""))
    if r.get("value") is not None:  # a fan-out run: its original value (the name is sanitised)
        run_html += f"<br><span class='muted'>{html.escape(str(r.get('column')))} = {html.escape(str(r['value']))}</span>"
    return (f"<tr><td>{html.escape(r.get('notebook', ''))}</td><td>{run_html}</td>"
            f"<td>{status_html}</td><td class='num'>{r.get('seconds', 0):.1f}</td>"
            f"<td>{figs_html}</td><td>{links}</td></tr>")


def write_index(out_dir: str | os.PathLike, *, definition, quarter: str, data_dir, manifest: Mapping[str, Any]) -> Path:
    """Write ``<out_dir>/index.html`` from the runs manifest and the runs' key figures.

    Parameters
    ----------
    out_dir : path
        The quarter's report directory (``reports/<quarter>``); the runs' files named in the
        manifest are relative to it.
    definition : ReportDefinition
        Gives the title.
    quarter : str
        The quarter reported; the previous quarter's index is linked when it exists beside
        this one.
    data_dir : path
        The input data, named in the header.
    manifest : mapping
        ``{"runs": {"<notebook>/<run>": {status, seconds, error, had_warnings, html, ipynb,
        figures, log, column, value}}}`` (``runs.json``); ``status`` is ``"ok"``,
        ``"failed"`` or ``"cancelled"`` (the batch was interrupted before the run finished).

    Returns
    -------
    pathlib.Path
        The index written (atomically).

    Notes
    -----
    Each run's ``headline`` key figures are shown with
    :func:`cxlib.core.inference.format_estimate`; a fan-out run shows its original
    ``column = value`` under its (sanitised) name; the overall run whose key figures have a
    ``changes`` list also fills the table of headline metrics against the previous quarter.
    """
    out_dir = Path(out_dir)
    runs: Mapping[str, Any] = manifest.get("runs", {})
    prev = previous_quarter(quarter)
    n_ok = sum(1 for r in runs.values() if r.get("status") == "ok")
    n_cancelled = sum(1 for r in runs.values() if r.get("status") == "cancelled")
    n_failed = len(runs) - n_ok - n_cancelled

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(definition.title)} — {quarter}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(definition.title)} — {quarter}</h1>",
             f"<p>{n_ok} run(s) succeeded, <span class='{'failed' if n_failed else 'muted'}'>{n_failed} failed</span>"
             + (f", <span class='cancelled'>{n_cancelled} cancelled</span> (the batch was interrupted; "
                "<code>cx report --resume</code> runs them)" if n_cancelled else "")
             + f". Data: <code>{html.escape(str(data_dir))}</code>."]
    if (out_dir.parent / prev / "index.html").exists():
        parts.append(f" Previous quarter: <a href='../{prev}/index.html'>{prev}</a>.")
    parts.append("</p>")
    changes = _headline_rows(out_dir, runs)
    if changes:
        parts += _headline_section(changes, quarter=quarter, prev=prev)
    parts.append("<h2>Runs</h2><table><thead><tr><th>notebook</th><th>run</th><th>status</th>"
                 "<th>seconds</th><th>key figures</th><th>outputs</th></tr></thead><tbody>")
    parts += [_run_row(out_dir, runs[key]) for key in sorted(runs, key=_run_order)]
    parts.append("</tbody></table></body></html>\n")
    return atomic_write_text(out_dir / "index.html", "".join(parts))
