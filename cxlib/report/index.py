"""The quarter's ``index.html``: every run, its status, key figures and links, and the
headline metrics compared with the previous quarter."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.io import atomic_write_text
from ..data.calendar import previous_quarter

__all__ = ["write_index", "format_estimate"]

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border-bottom:1px solid #ddd;padding:.35em .7em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1e7b34;font-weight:600}.failed{color:#c0392b;font-weight:600}
.warn{color:#9a6700}.muted{color:#777}.sig{font-weight:600}
code{font-size:.9em}
"""


def format_estimate(value: Mapping[str, Any] | None, *, digits: int = 1) -> str:
    """``12.3 [9.1, 15.5] (n = 1,234)``, or a suppression note for a small base.

    Examples
    --------
    >>> format_estimate({"estimate": 12.34, "ci_low": 9.1, "ci_high": 15.52, "n": 1234})
    '12.3 [9.1, 15.5] (n = 1,234)'
    >>> format_estimate({"estimate": 1046670.4, "ci_low": 987859.4, "ci_high": 1112510.9, "n": 8400})
    '1,046,670 [987,859, 1,112,511] (n = 8,400)'
    >>> format_estimate({"estimate": 12.3, "ci_low": 1, "ci_high": 20, "n": 12, "small_base": True})
    'suppressed (n = 12 < minimum base)'
    """
    if not value:
        return "—"
    n = value.get("n")
    n_txt = f"n = {int(n):,}" if n is not None else ""
    if value.get("small_base") or value.get("estimate") is None:
        return f"suppressed ({n_txt} < minimum base)" if value.get("small_base") else "—"
    est = float(value["estimate"])
    d = 0 if abs(est) >= 1000 else digits  # money-sized figures: whole units, thousands separated
    out = f"{est:,.{d}f}"
    if value.get("ci_low") is not None and value.get("ci_high") is not None:
        out += f" [{float(value['ci_low']):,.{d}f}, {float(value['ci_high']):,.{d}f}]"
    if n_txt:
        out += f" ({n_txt})"
    return out


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


def write_index(out_dir: str | os.PathLike, *, definition, quarter: str, data_dir, manifest: Mapping[str, Any]) -> Path:
    """Write ``<out_dir>/index.html`` from the runs manifest and the runs' key figures."""
    out_dir = Path(out_dir)
    runs: Mapping[str, Any] = manifest.get("runs", {})
    prev = previous_quarter(quarter)
    prev_index = out_dir.parent / prev / "index.html"
    n_ok = sum(1 for r in runs.values() if r.get("status") == "ok")
    n_failed = sum(1 for r in runs.values() if r.get("status") != "ok")

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(definition.title)} — {quarter}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(definition.title)} — {quarter}</h1>",
             f"<p>{n_ok} run(s) succeeded, <span class='{'failed' if n_failed else 'muted'}'>{n_failed} failed</span>. "
             f"Data: <code>{html.escape(str(data_dir))}</code>."]
    if prev_index.exists():
        parts.append(f" Previous quarter: <a href='../{prev}/index.html'>{prev}</a>.")
    parts.append("</p>")

    changes = _headline_rows(out_dir, runs)
    if changes:
        parts.append(f"<h2>Headline metrics: {quarter} vs {prev}</h2>")
        parts.append("<table><thead><tr><th>metric</th><th>" + quarter + "</th><th>" + prev +
                     "</th><th>change [CI]</th><th>p-value (BH-adjusted)</th><th>significant</th></tr></thead><tbody>")
        for c in changes:
            sig = c.get("significant")
            change = format_estimate({"estimate": c.get("diff"), "ci_low": c.get("diff_ci_low"),
                                      "ci_high": c.get("diff_ci_high")}, digits=c.get("digits", 1))
            if c.get("diff") is not None:
                change = ("+" if c["diff"] > 0 else "") + change
            p = c.get("p_value")
            parts.append(
                f"<tr><td>{html.escape(str(c.get('metric')))}</td>"
                f"<td class='num'>{html.escape(format_estimate(c.get('current'), digits=c.get('digits', 1)))}</td>"
                f"<td class='num'>{html.escape(format_estimate(c.get('previous'), digits=c.get('digits', 1)))}</td>"
                f"<td class='num'>{html.escape(change)}</td>"
                f"<td class='num'>{'—' if p is None else f'{p:.3f}'}</td>"
                f"<td class='{'sig' if sig else 'muted'}'>{'yes' if sig else ('no' if sig is not None else '—')}</td></tr>")
        parts.append("</tbody></table>")
        level = changes[0].get("confidence_level")
        if level:
            parts.append(f"<p class='muted'>Changes are signed ({quarter} − {prev}) with {level:.0%} confidence "
                         "intervals; significance is a two-sided test at the same level.</p>")

    parts.append("<h2>Runs</h2><table><thead><tr><th>notebook</th><th>run</th><th>status</th>"
                 "<th>seconds</th><th>key figures</th><th>outputs</th></tr></thead><tbody>")
    def _order(key: str) -> tuple[str, int, str]:
        notebook, _, run = key.partition("/")
        return notebook, 0 if run == "overall" else 1, run

    for key in sorted(runs, key=_order):
        r = runs[key]
        status = r.get("status", "?")
        status_html = f"<span class='{'ok' if status == 'ok' else 'failed'}'>{html.escape(status)}</span>"
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
        parts.append(f"<tr><td>{html.escape(r.get('notebook', ''))}</td><td>{html.escape(r.get('run', ''))}</td>"
                     f"<td>{status_html}</td><td class='num'>{r.get('seconds', 0):.1f}</td>"
                     f"<td>{figs_html}</td><td>{links}</td></tr>")
    parts.append("</tbody></table></body></html>\n")
    return atomic_write_text(out_dir / "index.html", "".join(parts))
