"""Driver charts, tables and sentences name the questions by their labels (issue 10).

Every chart function of :mod:`cxlib.viz.drivers` and every display table / findings
function of :mod:`cxlib.report.findings.drivers` takes ``labels`` (column -> question
text); these tests check that the labels are what is drawn or written, that no column id
of a labelled driver is left, and that an unlabelled driver keeps its column id.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.report import (
    format_driver_differences,
    format_driver_summary,
    format_importance_performance,
    format_penalty_reward,
    key_driver_findings,
)

DRIVERS = ["q_seat", "q_crew", "q_food"]
LABELS = {"q_seat": "How comfortable was your seat?", "q_crew": "How friendly was the crew?",
          "sat": "Overall satisfaction"}  # q_food has no label: it keeps its column id


def _data(n: int = 600, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(1, 6, size=(n, 3)), columns=DRIVERS)
    df["sat"] = (2 - 1.0 * (df["q_seat"] <= 2) + 0.8 * (df["q_crew"] == 5) + 0.3 * df["q_food"]
                 + rng.normal(0, 0.6, n))
    df["seg"] = np.repeat(["x", "z"], n // 2)
    df["quarter"] = np.tile(["2026Q1", "2026Q2"], n // 2)
    return df


@pytest.fixture(scope="module")
def results():
    df = _data()
    kd = cx.key_drivers(df, outcome="sat", drivers=DRIVERS, n_boot=60, seed=2)
    return {
        "kd": kd,
        "ipa": cx.importance_performance(kd),
        "pr": cx.penalty_reward(df, outcome="sat", drivers=DRIVERS),
        "by": cx.key_drivers_by_group(df, by="seg", outcome="sat", drivers=DRIVERS, n_boot=60, seed=2),
        "stab": cx.driver_stability(df, period="quarter", outcome="sat", drivers=DRIVERS, n_boot=0),
    }


def _shown(name: str) -> str:
    return LABELS.get(name, name)


def test_importance_chart_names_the_questions(results):
    kd = results["kd"]
    ax = cx.plot_driver_importance(kd, labels=LABELS, title="t")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    order = cx.driver_summary(kd)["driver"].tolist()  # rank order, top first
    assert ticks == [f"{_shown(d)}  (n = {kd.n:,})" for d in order]
    assert "q_seat" not in " ".join(ticks) and "q_food" in " ".join(ticks)
    plt.close("all")


def test_importance_performance_chart_names_the_questions(results):
    ax = cx.plot_importance_performance(results["ipa"], labels=LABELS)
    drawn = [a.get_text().removesuffix(" (borderline)") for a in ax.texts]
    assert sorted(d for d in drawn if d in LABELS.values() or d in DRIVERS) == sorted(_shown(d) for d in DRIVERS)
    plt.close("all")


def test_penalty_reward_and_stability_charts_name_the_questions(results):
    pr = results["pr"]
    ax = cx.plot_penalty_reward(pr, labels=LABELS)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{_shown(d)} ({c})" for d, c in
                                                           zip(pr.table["driver"], pr.table["category"])]
    ax = cx.plot_driver_stability(results["stab"], labels=LABELS)
    assert [ln.get_label() for ln in ax.lines] == [_shown(d) for d in DRIVERS]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [_shown(d) for d in DRIVERS]
    plt.close("all")


def test_without_labels_the_charts_keep_the_column_ids(results):
    ax = cx.plot_driver_importance(results["kd"])
    assert all(t.get_text().split("  (")[0] in DRIVERS for t in ax.get_yticklabels())
    plt.close("all")


def test_tables_name_the_questions(results):
    kd = results["kd"]
    order = cx.driver_summary(kd)["driver"].tolist()
    t = format_driver_summary(kd, labels=LABELS).to_frame()
    assert t["driver"].tolist() == [_shown(d) for d in order]
    assert t["rank"].tolist() == ["1", "2", "3"] and t.columns.tolist()[2] == "estimate (% of R²)"
    assert format_importance_performance(results["ipa"], labels=LABELS).to_frame()["driver"].tolist() == \
        [_shown(d) for d in order]
    pr = results["pr"]
    assert format_penalty_reward(pr, labels=LABELS).to_frame()["driver"].tolist() == \
        [_shown(d) for d in pr.table["driver"]]
    diff = format_driver_differences(results["by"], labels=LABELS).to_frame()
    assert set(diff["driver"]) == {_shown(d) for d in DRIVERS}


def test_findings_name_the_questions_and_the_outcome(results):
    text = " ".join(key_driver_findings(results["kd"], ipa=results["ipa"], penalty=results["pr"],
                                        by_group=results["by"], labels=LABELS))
    assert "'Overall satisfaction'" in text and "'sat'" not in text
    for d in ("q_seat", "q_crew"):
        assert d not in text
    assert "How comfortable was your seat?" in text  # the planted penalty-only driver
    plain = " ".join(key_driver_findings(results["kd"], penalty=results["pr"]))
    assert "'sat'" in plain and "q_seat" in plain
