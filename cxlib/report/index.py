"""The quarter's ``index.html``: every run, its status, key figures and links, and the
headline metrics compared with the previous quarter."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.inference import format_estimate, format_interval, format_suppressed
from ..core.io import atomic_write_text
from ..data.calendar import previous_quarter
from .findings.styles import plural_label

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


def _figure_text(value: Any, *, min_base: Any = None, digits: int = 1) -> str:
    """A key figure as text; a suppressed one states the base the rule was applied to (the
    Kish effective base when weighted) and the minimum base."""
    if isinstance(value, Mapping) and value.get("small_base"):
        base = value["n_eff"] if value.get("n_eff") is not None else value.get("n")
        return format_suppressed(base, value.get("min_base", min_base))
    return format_estimate(value, digits=digits)


def _digits(value: Any) -> int:
    """The decimals a key figure asks for (its ``digits`` entry), else 1."""
    digits = value.get("digits") if isinstance(value, Mapping) else None
    return int(digits) if isinstance(digits, int) and not isinstance(digits, bool) else 1


def _min_base(definition: Any, notebook: str) -> Any:
    """The minimum base a notebook's runs were given (its own parameters, else the report's)."""
    for spec in getattr(definition, "notebooks", ()):
        if spec.name == notebook and "min_base" in spec.parameters:
            return spec.parameters["min_base"]
    return getattr(definition, "parameters", {}).get("min_base")


def _style_block(out_dir: Path, runs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The style-adjusted comparison of all groups, written by an overall run (``response_styles``)."""
    for key in sorted(runs):
        if key.endswith("/overall") and runs[key].get("status") == "ok" and runs[key].get("figures"):
            block = (_read_json(out_dir / runs[key]["figures"]) or {}).get("response_styles")
            if block and "group" not in block and block.get("groups"):
                return block
    return None


def _style_cell(fig: Mapping[str, Any], min_base: Any) -> str:
    if fig.get("small_base"):
        return html.escape(_figure_text(fig, min_base=min_base))
    rank = "" if fig.get("rank") is None else f" <span class='muted'>(rank {fig['rank']})</span>"
    return html.escape(f"{fig['estimate']:.1f} {format_interval(fig.get('ci_low'), fig.get('ci_high'))}") + rank


def _style_section(block: Mapping[str, Any]) -> list[str]:
    """Countries (or another country-like grouping): the raw and the style-adjusted metric
    side by side with the style indices, both tests, the ranking flag and the caveat."""
    by, metric, min_base = str(block.get("by")), str(block.get("metric", "NPS")), block.get("min_base")
    parts = [f"<h2>{html.escape(by.capitalize())} comparison: raw and adjusted for response styles</h2>",
             f"<p class='warn'>{html.escape(str(block.get('caveat', '')))}</p>",
             f"<table><thead><tr><th>{html.escape(by)}</th><th>raw {html.escape(metric)} [CI]</th>"
             f"<th>style-adjusted {html.escape(metric)} [CI]</th><th>extreme (ERS)</th><th>agreeing (ARS)</th>"
             "<th>disagreeing (DRS)</th><th>base</th></tr></thead><tbody>"]
    for g, e in block["groups"].items():
        raw, st = e["raw"], e.get("styles", {})
        pct = ["—" if st.get(k) is None else f"{100 * st[k]:.0f}%" for k in ("ers", "ars", "drs")]
        base = f"n = {raw['n']:,}" + (f", effective n = {raw['n_eff']:,.1f}" if block.get("weighted") else "")
        parts.append(f"<tr><td>{html.escape(g)}</td><td class='num'>{_style_cell(raw, min_base)}</td>"
                     f"<td class='num'>{_style_cell(e['adjusted'], min_base)}</td>"
                     + "".join(f"<td class='num'>{p}</td>" for p in pct)
                     + f"<td class='num'>{html.escape(base)}</td></tr>")
    parts.append("</tbody></table>")
    tests = block.get("tests", {})
    lines = []
    for key, what in (("raw", "raw"), ("adjusted", "style-adjusted")):
        t = tests.get(key)
        if t and t.get("p_value") is not None:
            verdict = "differ significantly" if t.get("significant") else "do not differ significantly"
            stat = "minimum-distance χ²" if key == "adjusted" and block.get("adjustment") == "ordinal" else "Wald χ²"
            lines.append(f"The {what} values {verdict} ({stat} = {t['statistic']:.1f}, df = {t['df']}, "
                         f"p = {t['p_value']:.3g}, {t['groups']} groups at or above the minimum base).")
    if block.get("ranking_changed"):
        adjusted_sig = (tests.get("adjusted") or {}).get("significant")
        moved = ", ".join(block.get("moved", []))
        lines.append(f"<span class='warn'>The ranking changes after the adjustment ({moved} "
                     f"move): do not rank on the raw {metric}"
                     + (", and do not read the adjusted order either: those values do not differ significantly."
                        if adjusted_sig is False else
                        ", and do not rank on the adjusted values either: those are not tested."
                        if adjusted_sig is None else
                        ". The adjustment is approximate (the style shares come from the same satisfaction "
                        "ratings and can over-correct): treat an adjusted difference as a lead to check, not a "
                        "finding." if block.get("adjustment") == "regression" else
                        ". The adjusted differences are differences beyond response style, assuming the groups "
                        "differ on the driver battery only in how they answer.") + "</span>")
    else:
        lines.append("The ranking is the same raw and adjusted.")
    level = block.get("confidence_level")
    parts.append("<p>" + " ".join(lines) + (f" <span class='muted'>{level:.0%} intervals; minimum base {min_base}"
                 + (" on the Kish effective base (weighted)." if block.get("weighted") else ".") + "</span>"
                 if level else "") + "</p>")
    return parts


def _headline_section(changes: list[Mapping[str, Any]], *, quarter: str, prev: str) -> list[str]:
    """The headline metrics of this quarter against the previous one (signed changes); when
    the data has no respondents in the previous quarter (a study's first wave), this quarter's
    figures alone and a sentence saying there is nothing to compare."""
    if all(not (isinstance(c.get("previous"), Mapping) and c["previous"].get("n")) for c in changes):
        rows = "".join(f"<tr><td>{html.escape(str(c.get('metric')))}</td><td class='num'>"
                       f"{html.escape(_figure_text(c.get('current'), digits=c.get('digits', 1)))}</td></tr>"
                       for c in changes)
        return [f"<h2>Headline metrics: {quarter}</h2>",
                f"<table><thead><tr><th>metric</th><th>{quarter}</th></tr></thead><tbody>{rows}</tbody></table>",
                f"<p class='muted'>The data has no responses in {prev}: no change to report.</p>"]
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
            f"<td class='num'>{html.escape(_figure_text(c.get('current'), digits=digits))}</td>"
            f"<td class='num'>{html.escape(_figure_text(c.get('previous'), digits=digits))}</td>"
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


def _style_line(block: Mapping[str, Any] | None) -> str:
    """A per-group run's style-adjusted value next to its raw key figures."""
    if not block or not block.get("group") or block["group"] not in block.get("groups", {}):
        return ""
    e = block["groups"][block["group"]]
    adj, raw = e["adjusted"], e["raw"]
    if raw.get("small_base"):
        return ""
    n_groups = (block.get("tests", {}).get("raw") or {}).get("groups")
    return (f"<br>{html.escape(str(block.get('metric', 'NPS')))} adjusted for response styles: "
            f"{adj['estimate']:.1f} "
            f"{html.escape(format_interval(adj.get('ci_low'), adj.get('ci_high')))} "
            f"<span class='muted'>(rank {adj.get('rank')} of {n_groups}; raw rank {raw.get('rank')}; raw "
            f"{html.escape(str(block.get('metric', 'NPS')))} is not comparable across "
            f"{html.escape(plural_label(str(block.get('by'))))})</span>")


def _run_row(out_dir: Path, r: Mapping[str, Any], min_base: Any = None) -> str:
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
        figs_html = "<br>".join(
            f"{html.escape(str(k))}: {html.escape(_figure_text(v, min_base=min_base, digits=_digits(v)))}"
            for k, v in head.items()) + _style_line(figs.get("response_styles"))
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
    A suppressed figure states the base the minimum-base rule was applied to: the Kish
    effective base (``n_eff``) when the run was weighted, and the minimum base (the
    figure's ``min_base``, else the notebook's or the report's ``min_base`` parameter).
    An overall run whose key figures have a ``response_styles`` block (see
    :func:`cxlib.report.findings.styles.style_key_figures`) adds the country comparison:
    raw and style-adjusted values side by side with the style indices, both tests, the
    ranking flag and the caveat; a per-country run's block adds its adjusted value next to
    its raw key figures.
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
    block = _style_block(out_dir, runs)
    if block:
        parts += _style_section(block)
    parts.append("<h2>Runs</h2><table><thead><tr><th>notebook</th><th>run</th><th>status</th>"
                 "<th>seconds</th><th>key figures</th><th>outputs</th></tr></thead><tbody>")
    parts += [_run_row(out_dir, runs[key], _min_base(definition, runs[key].get("notebook", "")))
              for key in sorted(runs, key=_run_order)]
    parts.append("</tbody></table></body></html>\n")
    return atomic_write_text(out_dir / "index.html", "".join(parts))
