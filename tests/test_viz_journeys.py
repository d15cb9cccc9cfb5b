"""Journey charts draw the numbers of their results (issue 12)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.errors import CXDataError, SmallBaseWarning
from cxlib.viz.journeys import SHARE_WIDTH, SUPPRESSED


@pytest.fixture(scope="module")
def synth():
    return cx.synthesize(0, n_customers=600)


def test_plot_top_paths_draws_the_shares(synth):
    j = cx.journeys(synth.journeys, channel="channel")
    v = cx.path_variants(j, top=6)
    ax = cx.plot_top_paths(v)
    bars = [p for p in ax.patches if p.get_gid() == "share"]
    scale = SHARE_WIDTH / v.table["ci_high"].max()
    assert np.allclose([b.get_width() / scale for b in bars], v.table["estimate"])
    texts = [t.get_text() for t in ax.texts]
    first = v.table.iloc[0]
    assert f"{100 * first['estimate']:.1f}% " in texts[-6]  # the first row's share label (drawn in order)
    assert f"(n = {int(first['count']):,})" in texts[-6]
    # every step of the first path has its box label
    for s in first["path"].split(" > "):
        assert s.replace("_", " ") in texts
    assert ax.get_title() == f"Top 6 paths of {v.n_journeys:,} journeys ({v.n_paths:,} distinct)"
    plt.close("all")


def test_plot_top_paths_cuts_long_paths():
    ev = pd.DataFrame({"customer_id": 1, "timestamp": pd.date_range("2026-01-01", periods=5, freq="h"),
                       "touchpoint": list("abcde")})
    ax = cx.plot_top_paths(cx.path_variants(cx.journeys(ev)), max_steps=3)
    assert "… +2" in [t.get_text() for t in ax.texts]
    with pytest.raises(CXDataError):
        cx.plot_top_paths(pd.DataFrame({"path": ["a"]}))
    plt.close("all")


def test_plot_touchpoint_heatmap_draws_estimates_and_marks_small_bases(synth):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        card = cx.touchpoint_scorecard(synth.touchpoints, channel="channel", min_base=20)
    ax = cx.plot_touchpoint_heatmap(card)
    img = ax.images[0].get_array()
    t = card.table
    rows = sorted(t["touchpoint"].unique())
    cols = sorted(t["channel"].unique())
    for _, r in t.iterrows():
        i, j = rows.index(r["touchpoint"]), cols.index(r["channel"])
        if r["small_base"]:
            assert img.mask[i, j]
        else:
            assert img[i, j] == pytest.approx(100 * r["estimate"])
    texts = [x.get_text() for x in ax.texts]
    assert sum(SUPPRESSED in x for x in texts) == int(t["small_base"].sum()) > 0
    assert ax.get_title().startswith(f"CSAT by touchpoint and channel, {card.quarter}")
    plt.close("all")
