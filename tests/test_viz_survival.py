"""Tests for cxlib.viz.survival: the chart draws the result's own numbers (curves, bands, n)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from churn_data import cox_data
from cxlib.errors import CXDataError
from cxlib.survival import survival


@pytest.fixture(scope="module")
def result():
    return survival(cox_data(), duration="duration", event="event", by="nps_group", min_base=100)


def test_curves_and_bands_are_the_results_columns(result):
    ax = cx.plot_survival(result)
    solid = result.medians.loc[~result.medians["small_base"], "group"].tolist()
    assert solid == ["promoter", "passive"]  # detractors (n < 100) have no band
    assert len(ax.get_lines()) == 3 and len(ax.collections) == len(solid)
    for line, (g, c) in zip(ax.get_lines(), result.curves.groupby("group", sort=False, observed=True)):
        np.testing.assert_array_equal(line.get_xdata(), c["time"])
        np.testing.assert_array_equal(line.get_ydata(), c["estimate"])
        assert line.get_drawstyle() == "steps-post"
    for band, g in zip(ax.collections, solid):
        c = result.curves[result.curves["group"] == g]
        xy = band.get_paths()[0].vertices
        # the band's corners are exactly the precomputed bounds, over the curve's time range
        assert set(np.round(xy[:, 1], 12)) == set(np.round(np.r_[c["ci_low"], c["ci_high"]], 12))
        assert xy[:, 0].min() == c["time"].min() and xy[:, 0].max() == c["time"].max()
    plt.close("all")


def test_labels_note_n_small_bases_and_the_test(result):
    ax = cx.plot_survival(result, xlabel="months since first response")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    n = result.medians.set_index("group")["n"]
    assert labels == [f"promoter (n = {n['promoter']:,})", f"passive (n = {n['passive']:,})",
                      f"detractor (n = {n['detractor']:,}, small base)"]
    assert ax.get_lines()[2].get_linestyle() == "--"
    assert ax.get_xlabel() == "months since first response" and ax.get_ylabel() == "share still customers"
    assert f"log-rank p = {result.logrank.p_value:.3g}" in ax.get_title()
    assert f"n = {result.n:,}" in ax.texts[0].get_text()
    # the legend sits outside the axes (it never covers a curve)
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
    plt.close("all")


def test_no_bands_and_bad_input():
    r = survival(pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1]}), duration="t", event="e", min_base=1)
    _, ax = plt.subplots()
    assert cx.plot_survival(r, ax=ax, ci=False) is ax and not ax.collections
    with pytest.raises(CXDataError, match="SurvivalResult"):
        cx.plot_survival(r.curves)
    plt.close("all")
