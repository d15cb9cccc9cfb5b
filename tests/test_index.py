"""The quarter's index (cxlib.report.index.write_index) from a runs manifest written by hand:
every run's status, links and key figures, and the headline changes against the previous
quarter. Expected texts are written out by hand from the figures below."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cxlib.report.definition import ReportDefinition
from cxlib.report.index import write_index

DEFINITION = ReportDefinition(title="CX report <Q>", notebooks=())

HEADLINE = {
    "NPS": {"estimate": 18.8049, "ci_low": 14.7017, "ci_high": 22.9082, "n": 1906, "small_base": False},
    "Revenue at risk": {"estimate": 1046670.4, "ci_low": 987859.4, "ci_high": 1112510.9, "n": 8400},
    "CSAT (%)": {"estimate": 61.0, "ci_low": 40.0, "ci_high": 80.0, "n": 12, "small_base": True},
}
CHANGES = [
    {"metric": "NPS", "current": HEADLINE["NPS"],
     "previous": {"estimate": 28.556, "ci_low": 24.54, "ci_high": 32.572, "n": 1857},
     "diff": -9.7512, "diff_ci_low": -15.4928, "diff_ci_high": -4.0061, "p_value": 0.00312,
     "significant": True, "confidence_level": 0.95},
    {"metric": "Churn rate (%)", "digits": 2, "current": {"estimate": 4.044, "ci_low": 3.724, "ci_high": 4.39,
                                                          "n": 13452},
     "previous": {"estimate": 3.8246, "ci_low": 3.5103, "ci_high": 4.1657, "n": 13178},
     "diff": 0.2195, "diff_ci_low": -0.2475, "diff_ci_high": 0.6864, "p_value": 0.41, "significant": False,
     "confidence_level": 0.95},
]


def write_run(out: Path, notebook: str, run: str, figures: dict | None) -> None:
    (out / notebook).mkdir(parents=True, exist_ok=True)
    if figures is not None:
        (out / notebook / f"{run}.json").write_text(json.dumps(figures))


def entry(notebook: str, run: str, status: str = "ok", **extra) -> dict:
    files = {"html": f"{notebook}/{run}.html", "ipynb": f"{notebook}/{run}.ipynb",
             "figures": f"{notebook}/{run}.json", "log": f"{notebook}/{run}.log"}
    return {"notebook": notebook, "run": run, "status": status, "seconds": 12.345, "error": None,
            "had_warnings": False, **files, **extra}


@pytest.fixture
def quarter_dir(tmp_path):
    out = tmp_path / "2026Q3"
    write_run(out, "01_scorecard", "overall", {"headline": HEADLINE, "changes": CHANGES})
    write_run(out, "01_scorecard", "country-DE", {"headline": {"NPS": {"estimate": 4.2, "ci_low": -6.2,
                                                                       "ci_high": 14.6, "n": 237}}})
    write_run(out, "02_drivers", "overall", None)
    manifest = {"runs": {
        # listed out of order: the index shows notebooks in order, the overall run first
        "01_scorecard/country-DE": entry("01_scorecard", "country-DE", had_warnings=True, log=None),
        "02_drivers/overall": entry("02_drivers", "overall", status="failed", figures=None, html=None,
                                    error="cell 4: RuntimeError: <boom> & co"),
        "01_scorecard/overall": entry("01_scorecard", "overall"),
    }}
    return out, manifest


def rows(html: str) -> list[str]:
    runs = html.split("<h2>Runs</h2>", 1)[1]
    return re.findall(r"<tr><td>.*?</tr>", runs, re.S)


def test_runs_are_listed_with_status_links_and_key_figures(quarter_dir):
    out, manifest = quarter_dir
    path = write_index(out, definition=DEFINITION, quarter="2026Q3", data_dir="data/synthetic", manifest=manifest)
    assert path == out / "index.html"
    html = path.read_text()
    assert "<title>CX report &lt;Q&gt; — 2026Q3</title>" in html
    assert "<p>2 run(s) succeeded, <span class='failed'>1 failed</span>. Data: <code>data/synthetic</code>." in html
    overall, de, drivers = rows(html)
    assert overall.startswith("<tr><td>01_scorecard</td><td>overall</td><td><span class='ok'>ok</span></td>"
                              "<td class='num'>12.3</td>")
    assert ("NPS: 18.8 [14.7, 22.9] (n = 1,906)<br>Revenue at risk: 1,046,670 [987,859, 1,112,511] (n = 8,400)"
            "<br>CSAT (%): suppressed (n = 12 &lt; minimum base)") in overall
    assert ("<a href='01_scorecard/overall.html'>report</a> · <a href='01_scorecard/overall.ipynb'>notebook</a>"
            " · <a href='01_scorecard/overall.log'>log</a>") in overall
    assert "<span class='warn'>(warnings: see log)</span>" in de and "NPS: 4.2 [-6.2, 14.6] (n = 237)" in de
    assert "overall.log" not in de and "country-DE.log" not in de  # no log file, no link
    assert "<span class='failed'>failed</span><br><code>cell 4: RuntimeError: &lt;boom&gt; &amp; co</code>" in drivers
    assert "<a href='02_drivers/overall.ipynb'>notebook</a> · <a href='02_drivers/overall.log'>log</a>" in drivers
    assert "report</a>" not in drivers and "NPS:" not in drivers  # no HTML, no key figures


def test_headline_changes_against_the_previous_quarter(quarter_dir):
    out, manifest = quarter_dir
    html = write_index(out, definition=DEFINITION, quarter="2026Q3", data_dir="d", manifest=manifest).read_text()
    assert "Previous quarter" not in html  # no 2026Q2 report beside this one
    assert "<h2>Headline metrics: 2026Q3 vs 2026Q2</h2>" in html
    table = html.split("<h2>Headline metrics", 1)[1].split("</table>", 1)[0]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr><td>.*?</tr>", table)]
    assert cells == [
        ["NPS", "18.8 [14.7, 22.9] (n = 1,906)", "28.6 [24.5, 32.6] (n = 1,857)", "-9.8 [-15.5, -4.0]", "0.003",
         "yes"],
        ["Churn rate (%)", "4.04 [3.72, 4.39] (n = 13,452)", "3.82 [3.51, 4.17] (n = 13,178)",
         "+0.22 [-0.25, 0.69]", "0.410", "no"],
    ]
    assert "Changes are signed (2026Q3 − 2026Q2) with 95% confidence intervals" in html


def test_previous_quarter_is_linked_when_its_index_exists(quarter_dir):
    out, manifest = quarter_dir
    (out.parent / "2026Q2").mkdir()
    (out.parent / "2026Q2" / "index.html").write_text("<html></html>")
    html = write_index(out, definition=DEFINITION, quarter="2026Q3", data_dir="d", manifest=manifest).read_text()
    assert " Previous quarter: <a href='../2026Q2/index.html'>2026Q2</a>." in html


def test_an_empty_manifest_gives_an_empty_table(tmp_path):
    html = write_index(tmp_path, definition=DEFINITION, quarter="2026Q1", data_dir="d",
                       manifest={"runs": {}}).read_text()
    assert "0 run(s) succeeded, <span class='muted'>0 failed</span>" in html
    assert "Headline metrics" not in html and rows(html) == []
    assert html.endswith("</tbody></table></body></html>\n")


def test_a_weighted_small_base_is_stated_on_the_effective_base(tmp_path):
    out = tmp_path / "2026Q3"
    small = {"estimate": 12.0, "ci_low": 1.0, "ci_high": 23.0, "n": 38, "small_base": True, "n_eff": 26.3}
    write_run(out, "01_scorecard", "country-JP", {"headline": {"NPS": small}})
    manifest = {"runs": {"01_scorecard/country-JP": entry("01_scorecard", "country-JP")}}
    definition = ReportDefinition(title="t", notebooks=(), parameters={"min_base": 30})
    html = write_index(out, definition=definition, quarter="2026Q3", data_dir="d", manifest=manifest).read_text()
    assert "NPS: suppressed (effective n = 26.3 &lt; minimum base 30)" in html
    assert "n = 38 &lt;" not in html


STYLE_BLOCK = {
    "by": "country", "metric": "NPS", "weighted": True, "min_base": 30, "confidence_level": 0.95,
    "caveat": "Raw NPS is not comparable across countries.", "ranking_changed": True, "moved": ["BR", "JP"],
    "tests": {"raw": {"statistic": 69.0, "df": 2, "p_value": 1.6e-13, "significant": True, "groups": 2},
              "adjusted": {"statistic": 6.31, "df": 2, "p_value": 0.277, "significant": False, "groups": 2}},
    "groups": {
        "BR": {"raw": {"estimate": 38.78, "ci_low": 30.24, "ci_high": 47.32, "n": 373, "n_eff": 326.83,
                       "small_base": False, "rank": 1},
               "adjusted": {"estimate": 16.56, "ci_low": 10.28, "ci_high": 22.85, "n": 373, "n_eff": 326.83,
                            "small_base": False, "rank": 2},
               "styles": {"ers": 0.63, "ars": 0.74, "drs": 0.14, "mrs": 0.12}},
        "JP": {"raw": {"estimate": -13.01, "ci_low": -25.64, "ci_high": -0.38, "n": 148, "n_eff": 138.98,
                       "small_base": False, "rank": 2},
               "adjusted": {"estimate": 24.66, "ci_low": 17.01, "ci_high": 32.32, "n": 148, "n_eff": 138.98,
                            "small_base": False, "rank": 1},
               "styles": {"ers": 0.23, "ars": 0.5, "drs": 0.2, "mrs": 0.3}},
        "MX": {"raw": {"estimate": 5.0, "ci_low": 1.0, "ci_high": 9.0, "n": 38, "n_eff": 26.3, "small_base": True,
                       "rank": None},
               "adjusted": {"estimate": 6.0, "ci_low": 1.0, "ci_high": 9.0, "n": 38, "n_eff": 26.3,
                            "small_base": True, "rank": None},
               "styles": {"ers": 0.6, "ars": 0.7, "drs": 0.1, "mrs": 0.2}},
    },
}


def test_countries_are_shown_raw_and_style_adjusted_with_the_caveat(tmp_path):
    out = tmp_path / "2026Q3"
    write_run(out, "01_scorecard", "overall", {"headline": HEADLINE, "response_styles": STYLE_BLOCK})
    jp = {**STYLE_BLOCK, "group": "JP", "groups": {"JP": STYLE_BLOCK["groups"]["JP"]}}
    write_run(out, "01_scorecard", "country-JP", {"headline": {"NPS": {"estimate": -13.01, "ci_low": -25.64,
                                                                       "ci_high": -0.38, "n": 148}},
                                                  "response_styles": jp})
    manifest = {"runs": {"01_scorecard/overall": entry("01_scorecard", "overall"),
                         "01_scorecard/country-JP": entry("01_scorecard", "country-JP")}}
    html = write_index(out, definition=DEFINITION, quarter="2026Q3", data_dir="d", manifest=manifest).read_text()
    section = html.split("<h2>Country comparison: raw and adjusted for response styles</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<p class='warn'>Raw NPS is not comparable across countries.</p>" in section
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr><td>.*?</tr>", section)]
    assert cells[1] == ["JP", "-13.0 [-25.6, -0.4] <span class='muted'>(rank 2)</span>",
                        "24.7 [17.0, 32.3] <span class='muted'>(rank 1)</span>", "23%", "50%", "20%",
                        "n = 148, effective n = 139.0"]
    assert cells[2][1] == cells[2][2] == "suppressed (effective n = 26.3 &lt; minimum base 30)"
    assert "The raw values differ significantly (Wald χ² = 69.0, df = 2, p = 1.6e-13" in section
    assert "The style-adjusted values do not differ significantly (Wald χ² = 6.3, df = 2, p = 0.277" in section
    assert ("The ranking changes after the adjustment (BR, JP move): do not rank on the raw NPS, and do not read "
            "the adjusted order either: those values do not differ significantly.") in section
    jp_row = [r for r in rows(html) if "country-JP" in r][0]
    assert ("NPS: -13.0 [-25.6, -0.4] (n = 148)<br>NPS adjusted for response styles: 24.7 [17.0, 32.3] "
            "<span class='muted'>(rank 1 of 2; raw rank 2; raw NPS is not comparable across countries)"
            "</span>") in jp_row


def test_a_key_figure_is_shown_with_the_decimals_it_asks_for(tmp_path):
    out = tmp_path / "2026Q3"
    write_run(out, "05_journeys", "overall", {"headline": {
        "R² peak_end minus mean": {"estimate": 0.02409, "ci_low": 0.01277, "ci_high": 0.03758, "n": 3190,
                                   "small_base": False, "digits": 3},
        "top_path_share": {"estimate": 26.1168, "ci_low": 25.6702, "ci_high": 26.5683, "n": 36758}}})
    manifest = {"runs": {"05_journeys/overall": entry("05_journeys", "overall")}}
    text = write_index(out, definition=DEFINITION, quarter="2026Q3", data_dir="data", manifest=manifest).read_text()
    assert "R² peak_end minus mean: 0.024 [0.013, 0.038] (n = 3,190)" in text
    assert "top_path_share: 26.1 [25.7, 26.6] (n = 36,758)" in text


def test_a_first_wave_shows_its_figures_without_a_comparison(tmp_path):
    """A study's first wave: the previous quarter has no respondents, so the headline shows
    this quarter alone and says there is nothing to compare (not 'suppressed (n = 0)')."""
    out = tmp_path / "2025Q4"
    first = [{"metric": "Share satisfied (%)", "current": {"estimate": 51.5, "ci_low": 47.5, "ci_high": 55.5,
                                                            "n": 600},
              "previous": {"estimate": None, "ci_low": None, "ci_high": None, "n": 0, "small_base": True,
                           "min_base": 30},
              "diff": None, "p_value": None, "significant": None, "confidence_level": 0.95}]
    write_run(out, "01_scorecard", "overall", {"headline": {}, "changes": first})
    manifest = {"runs": {"01_scorecard/overall": entry("01_scorecard", "overall")}}
    html = write_index(out, definition=DEFINITION, quarter="2025Q4", data_dir="d", manifest=manifest).read_text()
    assert "<h2>Headline metrics: 2025Q4</h2>" in html
    assert "51.5 [47.5, 55.5] (n = 600)" in html
    assert "The data has no responses in 2025Q3: no change to report." in html
    assert "n = 0" not in html and " vs 2025Q3" not in html
