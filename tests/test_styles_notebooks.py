"""Country comparisons in the notebooks (issue 15 item 1): notebook 01's "Response styles
across countries" section, overall and in a per-country run, checked against a direct
computation on the same data."""

from __future__ import annotations

import math

import pytest

import cxlib as cx
from cxlib.data.roles import SYNTHETIC_ROLES

pytestmark = pytest.mark.notebook


def direct_comparison(small_dataset, quarter):
    survey, _ = cx.drop_duplicate_responses(small_dataset.survey, roles=SYNTHETIC_ROLES)
    return cx.study_style_comparison(survey[survey["quarter"] == quarter], SYNTHETIC_ROLES)


def test_scorecard_compares_countries_raw_and_adjusted(run_notebook, small_data_dir, small_dataset):
    quarter = cx.latest_quarter(small_dataset)
    direct = direct_comparison(small_dataset, quarter)
    _, figs, html = run_notebook("01_cx_scorecard", run="styles", quarter=quarter, data_dir=str(small_data_dir),
                                 segment_column="plan", min_base=30, trend_quarters=2)
    block = figs["response_styles"]
    assert block["by"] == "country" and "group" not in block
    assert set(block["groups"]) == set(direct.styles.summary["country"])
    adj = direct.table[direct.table["adjustment"] == "adjusted"].set_index("country")
    for g, e in block["groups"].items():
        assert math.isclose(e["adjusted"]["estimate"], adj.loc[g, "estimate"], rel_tol=1e-12)
    assert block["tests"]["raw"]["significant"] is True and block["tests"]["adjusted"]["significant"] is False
    assert block["ranking_changed"] is direct.ranking_changed
    assert ">Response styles across countries<" in html and "Raw NPS is not comparable across countries" in html
    assert "The style-adjusted NPS does not differ significantly between the 6 countries" in html

    # a per-country run: the whole comparison, this country named, its entry in the key figures
    _, figs2, html2 = run_notebook("01_cx_scorecard", run="styles-jp", quarter=quarter,
                                   data_dir=str(small_data_dir), subset_column="country", subset_value="JP",
                                   min_base=30, trend_quarters=2)
    jp = figs2["response_styles"]
    assert jp["group"] == "JP" and list(jp["groups"]) == ["JP"]
    assert math.isclose(jp["groups"]["JP"]["adjusted"]["estimate"], adj.loc["JP", "estimate"], rel_tol=1e-12)
    assert "JP: raw NPS" in html2
