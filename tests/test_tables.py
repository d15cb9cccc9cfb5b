"""Display tables (cxlib.report.tables.format_table): every cell is the input number rounded
for display, small bases are withheld with the core's suppression text, and the table
carries its caption. Expected values are the inputs rounded by Python's ``round`` (the
same binary value the formatter rounds) or written out by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cxlib.core.inference import format_suppressed
from cxlib.errors import CXDataError
from cxlib.report.tables import DisplayTable, format_table


def result_frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    est = rng.uniform(-50, 50, 6)
    return pd.DataFrame({
        "group": list("abcdef"),
        "estimate": est, "ci_low": est - rng.uniform(1, 9, 6), "ci_high": est + rng.uniform(1, 9, 6),
        "n": [1234, 12, 400, 29, 5000, 30], "min_base": 30,
        "small_base": [False, True, False, True, False, False],
        "confidence_level": 0.9,
    })


def parse_interval(cell: str) -> tuple[float, float]:
    low, high = re.fullmatch(r"\[(-?[\d.]+), (-?[\d.]+)\]", cell).groups()
    return float(low), float(high)


@pytest.mark.parametrize("digits", [0, 1, 3])
def test_cells_are_the_input_numbers_rounded(digits):
    f = result_frame()
    t = format_table(f, label="group", digits=digits).to_frame()
    assert list(t.columns) == ["group", "estimate", "90% CI", "n"]
    assert t["group"].tolist() == list("abcdef")
    for (_, row), (_, cell) in zip(f.iterrows(), t.iterrows()):
        assert cell["n"] == f"{row['n']:,}"
        if row["small_base"]:
            continue
        assert float(cell["estimate"]) == round(row["estimate"], digits)
        assert len(cell["estimate"].partition(".")[2]) == digits
        assert parse_interval(cell["90% CI"]) == (round(row["ci_low"], digits), round(row["ci_high"], digits))


def test_small_bases_are_suppressed_with_the_core_text():
    f = result_frame()
    t = format_table(f, label="group", unit="points").to_frame().set_index("group")
    assert t.loc["b", "estimate (points)"] == format_suppressed(12, 30) == "suppressed (n = 12 < minimum base 30)"
    assert t.loc["d", "estimate (points)"] == "suppressed (n = 29 < minimum base 30)"
    assert t.loc["b", "90% CI"] == "" and t.loc["d", "90% CI"] == ""
    assert t.loc["f", "estimate (points)"] == f"{f.loc[5, 'estimate']:.1f}"  # n = 30 meets the base
    html = format_table(f, label="group")._repr_html_()
    for i in (1, 3):  # a withheld estimate or bound never reaches the HTML
        for col in ("estimate", "ci_low", "ci_high"):
            assert f"{f.loc[i, col]:.1f}" not in html


def test_a_missing_small_base_flag_is_treated_as_small_and_weighted_bases_are_effective_n():
    f = pd.DataFrame({"g": ["x", "y"], "estimate": [10.0, 20.0], "ci_low": [8.0, 15.0], "ci_high": [12.0, 25.0],
                      "n": [26.3, 50.0], "small_base": [True, None]})
    t = format_table(f, label="g").to_frame()
    assert t["estimate"].tolist() == ["suppressed (effective n = 26.3 < minimum base)",
                                      "suppressed (n = 50 < minimum base)"]


def test_a_missing_bound_reads_no_interval():
    f = pd.DataFrame({"g": ["x", "y"], "estimate": [1.25, np.nan], "ci_low": [np.nan, 1.0],
                      "ci_high": [2.0, 3.0], "n": [10, 10]})
    t = format_table(f, label="g", digits=2).to_frame()
    assert t.values.tolist() == [["x", "1.25", "no interval", "10"], ["y", "—", "[1.00, 3.00]", "10"]]


def test_digits_per_unit_and_extra_columns():
    f = pd.DataFrame({"metric": ["FCR", "FRT"], "unit": ["%", "hours"], "estimate": [71.26, 3.14159],
                      "ci_low": [70.01, 2.5], "ci_high": [72.55, 3.9], "n": [900, 880], "events": [640, None]})
    t = format_table(f, label=["metric", "unit"], digits={"%": 1, "hours": 2}, extra=["events"]).to_frame()
    assert t.values.tolist() == [["FCR", "%", "71.3", "[70.0, 72.5]", "900", "640.0"],
                                 ["FRT", "hours", "3.14", "[2.50, 3.90]", "880", ""]]


def test_comparison_columns():
    f = pd.DataFrame({"g": ["a", "b", "c"], "estimate": [12.345, 50.0, 7.0], "ci_low": [5.0, 1.0, 6.0],
                      "ci_high": [19.71, 90.0, 8.0], "n": [1234, 12, 300], "small_base": [False, True, False],
                      "min_base": [30, 30, 30], "diff": [2.0, 9.0, -0.55], "diff_ci_low": [-1.0, 1.0, -0.9],
                      "diff_ci_high": [5.0, 17.0, -0.2], "p_adjusted": [0.2, 0.01, 0.0004],
                      "significant": [False, True, True], "confidence_level": [0.95] * 3})
    t = format_table(f, label="g", unit="points").to_frame()
    assert list(t.columns) == ["g", "estimate (points)", "95% CI", "n", "difference [CI]", "p (adj.)", "significant"]
    assert t.loc[0].tolist() == ["a", "12.3", "[5.0, 19.7]", "1,234", "+2.0 [-1.0, 5.0]", "0.200", "no"]
    assert t.loc[1].tolist() == ["b", "suppressed (n = 12 < minimum base 30)", "", "12", "not tested", "", ""]
    assert t.loc[2, ["difference [CI]", "p (adj.)", "significant"]].tolist() == ["-0.6 [-0.9, -0.2]", "< 0.001",
                                                                                   "yes"]
    assert "difference [CI]" not in format_table(f, label="g", show_test=False).to_frame()


def test_caption_and_html():
    f = result_frame()
    table = format_table(f, label="group", caption="NPS by plan <2026Q3> & more")
    assert isinstance(table, DisplayTable) and table.caption == "NPS by plan <2026Q3> & more"
    html = table._repr_html_()
    assert re.match(r'<table[^>]*class="dataframe cx-table"[^>]*><caption>NPS by plan &lt;2026Q3&gt; &amp; more'
                    r"</caption>", html)
    assert "<th>group</th>" in html and "<tbody>" in html
    assert ">0<" not in html.split("<tbody>")[1].split("</tr>")[0]  # no index column
    assert "<caption>" not in format_table(f, label="group")._repr_html_()
    assert repr(table).splitlines()[0].split() == ["group", "estimate", "90%", "CI", "n"]
    copy = table.to_frame()
    copy.iloc[0, 0] = "changed"
    assert table.frame.iloc[0, 0] == "a"  # to_frame gives a copy


def test_missing_columns_are_named():
    f = result_frame().drop(columns=["ci_high"])
    with pytest.raises(CXDataError, match=r"\['ci_high'\] missing"):
        format_table(f, label="group")
    with pytest.raises(CXDataError, match=r"\['plan'\] missing"):
        format_table(result_frame(), label="plan")
