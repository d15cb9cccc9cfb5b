"""Issue 15 item 6: with weights the minimum-base rule is applied to, and stated on, the
Kish effective base (n_eff = (Σw)² / Σw²) in the sentences that state it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import cxlib as cx
from cxlib.errors import SmallBaseWarning
from cxlib.report.figures import key_figure


def test_scorecard_sentence_states_the_effective_base():
    row = {"metric": "NPS", "quarter": "2026Q3", "unit": "points", "estimate": 5.0, "ci_low": -20.0,
           "ci_high": 30.0, "n": 38, "n_eff": 26.3, "small_base": True, "min_base": 30, "confidence_level": 0.95}
    assert cx.report.scorecard_findings(pd.DataFrame([row]), compare=False) == [
        "NPS: base too small to report (effective n = 26.3, minimum 30)."]
    unweighted = {**row, "n_eff": 12.0, "n": 12}
    assert cx.report.scorecard_findings(pd.DataFrame([unweighted]), compare=False) == [
        "NPS: base too small to report (n = 12, minimum 30)."]


def test_key_figure_of_a_weighted_small_base_keeps_its_effective_base():
    w = np.array([4.0] * 10 + [0.5] * 28)
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    kf = key_figure({"estimate": 1.0, "ci_low": 0.0, "ci_high": 2.0, "n": 38, "n_eff": n_eff, "small_base": True,
                     "min_base": 30})
    assert kf["n"] == 38 and kf["n_eff"] == n_eff and kf["min_base"] == 30
    solid = key_figure({"estimate": 1.0, "ci_low": 0.0, "ci_high": 2.0, "n": 380, "n_eff": 263.0, "small_base": False})
    assert "n_eff" not in solid and "min_base" not in solid  # only a suppression needs its base


def test_crosstab_sentence_states_the_effective_base_of_a_small_total():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"plan": rng.choice(["a", "b"], 60), "renew": rng.choice(["yes", "no"], 60),
                       "w": np.where(np.arange(60) % 2, 0.2, 3.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        ct = cx.crosstab(df, "renew", "plan", weights="w", min_base=50)
    n_eff = df["w"].sum() ** 2 / (df["w"] ** 2).sum()
    sentence = cx.report.crosstab_findings(ct)[0]
    assert f"n = 60, effective n = {n_eff:,.1f}, below the minimum base 50)" in sentence
