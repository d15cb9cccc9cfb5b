"""A study file's ``[weighting]`` table (issue 13): the import rakes the survey to the
population targets before anything else, the weights become the survey's weight role, the
weighting report is printed in the import report and stored beside the dataset, and the
metrics on the imported data use the effective base.

Expected values are computed in each test independently of the import: weighted shares by
pandas group sums, the Kish base as ``(Σw)² / Σw²``, the weights by calling ``cx.rake`` on the
fixture read with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.cli import main
from cxlib.data.importer import ImportFailed
from cxlib.errors import CXDataError

CLASS = {"Business": 0.48, "Eco": 0.45, "Eco Plus": 0.07}
AGE = {"1": 3_000, "2": 5_000, "3": 2_000}  # numeric codes, given as counts
CROSSED = {("Female", "Business travel"): 0.35, ("Female", "Personal Travel"): 0.16,
           ("Male", "Business travel"): 0.34, ("Male", "Personal Travel"): 0.15}

STUDY = """\
[study]
title = "Airline passenger survey"

[sources.survey]
path = "airline.csv"

[roles.survey]
respondent_id = "id"
date = "date"
satisfaction = "satisfaction"
recommend = "ltr"
segments = ["Class", "Type of Travel"]
weight = "w"

[scales.satisfaction]
values = { "neutral or dissatisfied" = 0, "satisfied" = 1 }

[weighting]
{options}

[weighting.targets]
Class = { Business = 0.48, Eco = 0.45, "Eco Plus" = 0.07 }
"Age band" = { 1 = 3000, 2 = 5000, 3 = 2000 }

[[weighting.crossed]]
columns = ["Gender", "Type of Travel"]
cells = [
  { levels = ["Female", "Business travel"], target = 0.35 },
  { levels = ["Female", "Personal Travel"], target = 0.16 },
  { levels = ["Male", "Business travel"], target = 0.34 },
  { levels = ["Male", "Personal Travel"], target = 0.15 },
]
"""


def _frame(n: int = 400, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = np.where(rng.random(n) < 0.5, "2025-08-15", "2025-11-03")  # two waves: 2025Q3, 2025Q4
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "date": dates,
        "Class": rng.choice(["Business", "Eco", "Eco Plus"], n, p=[0.3, 0.55, 0.15]),
        "Age band": rng.choice([1, 2, 3], n, p=[0.2, 0.5, 0.3]),
        "Gender": rng.choice(["Female", "Male"], n, p=[0.6, 0.4]),
        "Type of Travel": rng.choice(["Business travel", "Personal Travel"], n, p=[0.6, 0.4]),
        "satisfaction": rng.choice(["satisfied", "neutral or dissatisfied"], n),
        "ltr": rng.integers(0, 11, n),
        "w": rng.uniform(0.5, 2.0, n).round(3),
    })


def _study(tmp_path: Path, *, options: str = "", frame: pd.DataFrame | None = None, text: str = STUDY) -> Path:
    (frame if frame is not None else _frame()).to_csv(tmp_path / "airline.csv", index=False)
    (tmp_path / "study.toml").write_text(text.replace("{options}", options))
    return tmp_path / "study.toml"


def _targets() -> dict:
    """The study's targets as cx.rake takes them, levels as in the data read by pandas."""
    return {"Class": CLASS, "Age band": {int(k): v for k, v in AGE.items()}, ("Gender", "Type of Travel"): CROSSED}


def _waves(study_file: Path) -> dict[str, pd.DataFrame]:
    raw = pd.read_csv(study_file.parent / "airline.csv")
    quarter = pd.to_datetime(raw["date"]).dt.to_period("Q").astype(str)  # "2025Q4", as cx.quarter_of
    return {q: part.reset_index(drop=True) for q, part in raw.groupby(quarter)}


@pytest.fixture
def imported(tmp_path):
    study_file = _study(tmp_path)
    return study_file, cx.import_study(study_file)


# ------------------------------------------------------------------------- the weights
def test_weights_reproduce_every_target_in_every_wave(imported):
    _, result = imported
    survey = result.tables["survey"]
    assert result.weighting.column == "raked_weight" and result.weighting.design_weight == "w"
    assert set(survey["quarter"]) == {"2025Q3", "2025Q4"}
    for quarter, wave in survey.groupby("quarter"):
        w = wave["raked_weight"]
        assert w.mean() == pytest.approx(1.0, abs=1e-12)  # mean 1 within each wave
        for col, target in (("Class", CLASS), ("Age band", {int(k): v / 10_000 for k, v in AGE.items()})):
            shares = w.groupby(wave[col]).sum() / w.sum()
            for level, share in target.items():
                assert shares[level] == pytest.approx(share, abs=1e-8), (quarter, col, level)
        shares = w.groupby([wave["Gender"], wave["Type of Travel"]]).sum() / w.sum()
        for cell, share in CROSSED.items():
            assert shares[cell] == pytest.approx(share, abs=1e-8), (quarter, cell)


def test_weights_equal_cx_rake_per_wave_from_the_design_weight(imported):
    study_file, result = imported
    survey = result.tables["survey"]
    for quarter, raw in _waves(study_file).items():
        direct = cx.rake(raw, _targets(), weights="w")
        got = survey.loc[survey["quarter"] == quarter].set_index("response_id")["raked_weight"]
        np.testing.assert_allclose(got.loc[raw["id"]].to_numpy(), direct.weights.to_numpy(), rtol=0, atol=1e-12)


def test_pooled_raking_when_per_wave_is_false(tmp_path):
    study_file = _study(tmp_path, options="per_wave = false\ncap = 4\nmax_iter = 500")
    result = cx.import_study(study_file)
    raw = pd.read_csv(study_file.parent / "airline.csv")
    direct = cx.rake(raw, _targets(), weights="w", cap=4, max_iter=500)
    np.testing.assert_allclose(result.tables["survey"]["raked_weight"].to_numpy(), direct.weights.to_numpy(), atol=1e-12)
    assert list(result.weighting.reports) == ["all"]
    assert result.tables["survey"]["raked_weight"].max() <= 4 + 1e-9


# -------------------------------------------------------------------- the weighting report
def test_stored_report_equals_cx_weighting_report(imported):
    study_file, result = imported
    stored = cx.load_weighting(result.path)
    assert json.loads((result.path / "weighting.json").read_text())["column"] == "raked_weight"
    assert "weighting.json" in result.manifest["files"]
    survey = result.tables["survey"]
    for quarter in _waves(study_file):
        wave = survey.loc[survey["quarter"] == quarter].reset_index(drop=True)
        direct = cx.weighting_report(wave, "raked_weight", _targets())
        for report in (stored.reports[quarter], result.weighting.reports[quarter]):
            pd.testing.assert_frame_equal(report.summary, direct.summary, check_exact=False, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(report.margins[["target", "weighted", "difference"]].to_numpy(dtype=float),
                                       direct.margins[["target", "weighted", "difference"]].to_numpy(dtype=float),
                                       atol=1e-12)
            assert report.margins["n"].tolist() == direct.margins["n"].tolist()
        w = wave["raked_weight"].to_numpy()
        assert stored.reports[quarter].n_eff == pytest.approx(w.sum() ** 2 / (w ** 2).sum(), rel=1e-12)
    assert stored.summary["wave"].tolist() == ["2025Q3", "2025Q4"]
    assert stored.summary["converged"].all()
    levels = set(stored.margins["level"])
    assert {"Eco Plus", "1", "Female × Business travel"} <= levels


def test_import_report_names_the_weight_column_and_prints_the_report(imported, tmp_path, capsys):
    study_file, result = imported
    lines = result.summary[result.summary["item"] == "rows weighted"]
    assert len(lines) == 3  # the column, then one line per wave
    assert "'raked_weight' (the survey's weight role)" in lines["detail"].iloc[0]
    n_eff = result.weighting.reports["2025Q4"].n_eff
    assert f"effective n {n_eff:,.1f}" in lines["detail"].iloc[2]
    report = result.report.set_index("column")
    assert report.loc["raked_weight", "role"] == "weight" and report.loc["w", "role"] == "design weight"
    assert main(["data", "import", str(study_file), "--out", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert "raked_weight" in out and "design_effect" in out and "Eco Plus" in out


# ------------------------------------------------------- downstream: the effective base
def test_the_weight_role_is_the_raked_weight_and_metrics_use_the_effective_base(imported):
    _, result = imported
    data = cx.load_dataset(result.path)
    roles = cx.study_roles(data)
    assert roles.column("weight") == "raked_weight"
    wave = data.survey[data.survey["quarter"] == "2025Q4"]
    w = wave["raked_weight"].to_numpy()
    kish = w.sum() ** 2 / (w ** 2).sum()
    nps = cx.nps(wave, score="ltr", weights=roles.column("weight"))
    assert nps.n_eff == pytest.approx(kish, rel=1e-12)
    # the interval is the one of the effective base, not of the respondent count
    direct = cx.nps(wave, score="ltr", weights=wave["raked_weight"])
    assert (nps.estimate, nps.ci_low, nps.ci_high) == pytest.approx((direct.estimate, direct.ci_low, direct.ci_high))
    unweighted = cx.nps(wave, score="ltr")
    assert nps.ci_high - nps.ci_low > unweighted.ci_high - unweighted.ci_low
    # the scorecard takes the weight role without being told
    head = cx.headline_metrics(data.survey, quarter="2025Q4", roles=roles)
    row = head.loc[head["metric"].astype(str).str.lower().str.contains("nps")].iloc[0]
    assert row["estimate"] == pytest.approx(nps.estimate) and row["ci_low"] == pytest.approx(nps.ci_low)
    csat = cx.csat(wave, score="satisfaction", weights="raked_weight", scale=(0, 1), top=1)
    sat = wave["satisfaction"].astype(float)
    assert csat.estimate == pytest.approx(np.average(sat, weights=w), rel=1e-12)
    assert csat.n_eff == pytest.approx(kish, rel=1e-12)


def test_a_study_without_weighting_writes_no_report(tmp_path):
    text = STUDY.split("[weighting]")[0]
    result = cx.import_study(_study(tmp_path, text=text))
    assert result.weighting is None and cx.load_weighting(result.path) is None
    assert not (result.path / "weighting.json").exists()
    assert cx.study_roles(cx.load_dataset(result.path)).column("weight") == "w"


# ------------------------------------------------------------------------- error paths
def test_a_target_level_without_respondents_is_listed(tmp_path):
    frame = _frame()
    frame.loc[frame["Class"] == "Eco Plus", "Class"] = "Eco"
    frame.loc[frame["Gender"] == "Female", "Gender"] = "Male"
    with pytest.raises(ImportFailed) as err:
        cx.import_study(_study(tmp_path, frame=frame))
    msg = str(err.value)
    assert "'Eco Plus'" in msg and "no respondents" in msg and "'Class'" in msg
    assert "Female" in msg and "Gender × Type of Travel" in msg  # every variable listed, not the first only
    assert "2025Q3" in msg and "2025Q4" in msg and "nothing was written" in msg and "per_wave = false" in msg
    assert not (tmp_path / "dataset" / "manifest.json").exists()


def test_respondents_in_a_level_without_target_are_listed(tmp_path):
    frame = _frame()
    frame.loc[:5, "Class"] = "First"
    with pytest.raises(ImportFailed, match=r"(?s)'First'.*no target"):
        cx.import_study(_study(tmp_path, frame=frame))


def test_a_target_column_the_survey_lacks_is_named(tmp_path):
    frame = _frame().drop(columns=["Age band"])
    with pytest.raises(CXDataError, match=r"study.toml: \[weighting\] targets name 1 column.*\['Age band'\]"):
        cx.import_study(_study(tmp_path, frame=frame))


@pytest.mark.parametrize("edit, match", [
    (("Eco Plus\" = 0.07", "Eco Plus\" = 0.17"), r"study.toml: \[weighting.targets\] .*'Class'.*sum to 1.1"),
    (("Business = 0.48", "Business = -0.48"), r"\[weighting.targets.Class\] Business = -0.48 must be a share"),
    (("Business = 0.48", "Business = \"half\""), r"\[weighting.targets.Class\] Business .*must be a share"),
    (("[weighting]\n", "[weighting]\nmethod = \"rake\"\n"), r"\[weighting\] has an unknown key 'method'"),
    (("[weighting]\n", "[weighting]\ncap = 1\n"), r"\[weighting\] cap = 1 must be a number > 1"),
    (("[weighting]\n", "[weighting]\ntrim = [0.9, 0.1]\n"), r"\[weighting\] trim"),
    (("[weighting]\n", "[weighting]\nmax_iter = 0\n"), r"\[weighting\] max_iter"),
    (("[weighting]\n", "[weighting]\nper_wave = \"yes\"\n"), r"\[weighting\] per_wave"),
    (("columns = [\"Gender\", \"Type of Travel\"]", "columns = [\"Gender\"]"),
     r"\[\[weighting.crossed\]\] #1 columns .*two or more columns"),
    (("{ levels = [\"Male\", \"Personal Travel\"], target = 0.15 }", "{ levels = [\"Male\"], target = 0.15 }"),
     r"\[\[weighting.crossed\]\] #1 cells #4 must be"),
])
def test_study_file_errors_name_the_file_and_the_key(tmp_path, edit, match):
    old, new = edit
    assert old in STUDY
    with pytest.raises(CXDataError, match=match):
        cx.load_study(_study(tmp_path, text=STUDY.replace(old, new)))


def test_an_empty_weighting_table_and_a_taken_column_name_are_refused(tmp_path):
    with pytest.raises(CXDataError, match=r"\[weighting\] declares no targets"):
        cx.load_study(_study(tmp_path, text=STUDY.split("[weighting]")[0] + "[weighting]\ncap = 5\n"))
    with pytest.raises(CXDataError, match=r"\[weighting\] column = 'w' is already a column"):
        cx.import_study(_study(tmp_path, options='column = "w"'))


def test_a_cap_too_low_is_a_problem_of_the_import(tmp_path):
    with pytest.raises(ImportFailed, match=r"(?s)\[weighting\].*`cap`=1.01 is too low"):
        cx.import_study(_study(tmp_path, options="cap = 1.01"))


# --------------------------------------------------------------------------- findings
def test_weighting_findings_read_their_numbers_from_the_stored_report(imported):
    _, result = imported
    stored = cx.load_weighting(result.path)
    s = stored.summary.set_index("wave")
    text = cx.report.weighting_findings(stored, labels={"Age band": "Age (bands)"})
    assert "on Class, Age (bands) and Gender × Type of Travel (raking from the design weight 'w')" in text
    assert "Each wave is raked to the targets on its own." in text
    lo, hi = sorted(s["design_effect"])
    assert f"design effect of weighting is {lo:.3g}–{hi:.3g} across the 2 waves" in text
    n_lo, n_hi = sorted(s["n_eff"])
    assert f"precision of {n_lo:,.0f}–{n_hi:,.0f} unweighted ones" in text
    one = cx.report.weighting_findings(stored, wave="2025Q4")
    assert f"design effect of weighting is {s.loc['2025Q4', 'design_effect']:.3g} (efficiency " \
           f"{s.loc['2025Q4', 'efficiency'] * 100:.0f}%)" in one
    assert f"the {int(s.loc['2025Q4', 'n'])} responses carry the precision of {s.loc['2025Q4', 'n_eff']:,.0f}" in one
    assert f"range from {s.loc['2025Q4', 'min']:.2g} to {s.loc['2025Q4', 'max']:.2g}" in one
    assert "not weighted" in cx.report.weighting_findings(None)
    with pytest.raises(CXDataError, match="2024Q1"):
        cx.report.weighting_findings(stored, wave="2024Q1")


def test_weighting_findings_say_how_far_trimming_moved_the_margins(tmp_path):
    result = cx.import_study(_study(tmp_path, options="trim = [0.05, 0.95]"))
    s = result.weighting.summary
    assert s["trim_shift"].notna().all() and (s["max_abs_difference"] > 1e-6).all()
    text = cx.report.weighting_findings(result.weighting)
    assert "stay close to the targets after trimming" in text
    assert f"moved the margins by up to {s['trim_shift'].max() * 100:.2f} percentage points" in text
    stored = cx.load_weighting(result.path)
    assert stored.settings["trim"] == (0.05, 0.95)
    np.testing.assert_allclose(stored.margins["trim_shift"], result.weighting.margins["trim_shift"], atol=1e-15)


def test_findings_of_a_pooled_raking_describe_it_for_any_wave(tmp_path):
    result = cx.import_study(_study(tmp_path, options="per_wave = false"))
    text = cx.report.weighting_findings(result.weighting, wave="2025Q4")
    assert text == cx.report.weighting_findings(result.weighting)
    assert "Each wave" not in text and f"the {len(result.tables['survey'])} responses carry" in text


# ----------------------------------------------- the audit (data/study-file.md's table)
def _kish(w) -> float:
    w = np.asarray(w, dtype=float)
    return w.sum() ** 2 / (w ** 2).sum()


@pytest.fixture
def wave(imported):
    _, result = imported
    survey = result.tables["survey"]
    return survey[survey["quarter"] == "2025Q4"].reset_index(drop=True).assign(
        ltr=lambda d: d["ltr"].astype(float), satisfaction=lambda d: d["satisfaction"].astype(float))


def test_audit_effective_base_in_profiles_segment_scorecards_banners_and_drivers(wave):
    w = wave["raked_weight"]
    prof = cx.profile(wave, by="Class", variables=["ltr"], weights="raked_weight", min_base=5, scale=(0, 10))
    for seg, part in wave.groupby("Class"):
        row = prof[prof["segment"].astype(str) == seg] if "segment" in prof else prof[prof["Class"] == seg]
        assert row["n_eff"].iloc[0] == pytest.approx(_kish(w[part.index]), rel=1e-9)
    card = cx.segment_scorecard(wave, by="Class", metrics=["nps"], weights="raked_weight", min_base=5,
                                metric_options={"nps": {"score": "ltr"}})
    for seg, part in wave.groupby("Class"):
        direct = cx.nps(part, score="ltr", weights="raked_weight", min_base=5)
        row = card[card["Class"].astype(str) == seg].iloc[0]
        assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(
            (direct.estimate, direct.ci_low, direct.ci_high))
    ct = cx.crosstab(wave, rows="satisfaction", columns="Class", weights="raked_weight", stat="mean", min_base=5)
    for seg, part in wave.groupby("Class"):
        cell = ct.table[ct.table["column"].astype(str) == seg].iloc[0]
        assert cell["n_eff"] == pytest.approx(_kish(w[part.index]), rel=1e-9)
        mean = np.average(part["satisfaction"], weights=w[part.index])
        assert cell["estimate"] == pytest.approx(mean, rel=1e-12)
    kd = cx.key_drivers(wave, outcome="ltr", drivers=["satisfaction", "Age band"], weights="raked_weight", n_boot=0)
    assert kd.n_eff == pytest.approx(_kish(w), rel=1e-9)


def test_audit_functions_without_weights_take_no_weight_and_say_so():
    import inspect

    for fn in (cx.attitudinal_segments, cx.response_styles, cx.segment_association):
        assert "weights" not in inspect.signature(fn).parameters
        assert "Weights: not supported" in " ".join(fn.__doc__.split()), fn.__name__


def test_audit_penalty_reward_intervals_are_design_based_with_weights():
    """With survey weights unrelated to the errors, the penalty/reward intervals widen by about
    sqrt(deff): the covariance is the HC1 sandwich, computed here by hand with numpy."""
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.integers(1, 6, (n, 3)).astype(float)
    w = np.exp(rng.normal(0, 0.8, n))
    df = pd.DataFrame(x, columns=list("abc")).assign(y=x @ [0.3, 0.2, 0.1] + rng.normal(0, 1, n), w=w / w.mean())
    deff = n / _kish(df["w"])
    pr = cx.penalty_reward(df, outcome="y", drivers=list("abc"), weights="w", scale=(1, 5))
    X, wv = pr.model.model.exog, df["w"].to_numpy()
    e = pr.model.model.endog - X @ pr.model.params.to_numpy()
    bread = np.linalg.inv(X.T @ (X * wv[:, None]))
    meat = (X * (wv * e)[:, None]).T @ (X * (wv * e)[:, None])
    k = X.shape[1]
    hand = np.sqrt(np.diag(bread @ meat @ bread) * n / (n - k))
    np.testing.assert_allclose(pr.model.bse.to_numpy(), hand, rtol=1e-10)
    plain = cx.penalty_reward(df, outcome="y", drivers=list("abc"), scale=(1, 5))
    assert deff > 1.8 and np.median(hand / plain.model.bse.to_numpy()) == pytest.approx(np.sqrt(deff), rel=0.15)
    row = pr.table.set_index("driver").loc["a"]
    z = 1.959963984540054  # the normal 97.5% quantile: HC1 intervals are z intervals in statsmodels
    assert row["penalty_ci_high"] - row["penalty_ci_low"] == pytest.approx(2 * z * hand[1], rel=1e-9)


def test_levels_match_ignoring_case_and_spaces_but_not_twice(tmp_path):
    text = STUDY.replace('"Eco Plus" = 0.07', '" eco plus" = 0.07')
    result = cx.import_study(_study(tmp_path, text=text))
    wave = result.tables["survey"].query("quarter == '2025Q4'")
    share = wave.loc[wave["Class"] == "Eco Plus", "raked_weight"].sum() / wave["raked_weight"].sum()
    assert share == pytest.approx(0.07, abs=1e-8)
    assert result.weighting.targets["Class"] == pytest.approx(CLASS)
    twice = STUDY.replace("Eco = 0.45,", "Eco = 0.40, eco = 0.05,")
    (tmp_path / "twice").mkdir()
    with pytest.raises(ImportFailed, match=r"(?s)level 'Eco' twice \(as 'Eco' and 'eco'"):
        cx.import_study(_study(tmp_path / "twice", text=twice))


@pytest.mark.notebook
def test_the_scorecard_states_the_weighting_of_a_weighted_study(imported, run_notebook):
    # notebook 01 reads the stored weighting report and says how the survey was weighted
    _, result = imported
    _, _, html = run_notebook("01_cx_scorecard", run="weighted", quarter="2025Q4", data_dir=str(result.path))
    report = cx.load_weighting(result.path).reports["2025Q4"]
    assert f"design effect of weighting is {report.design_effect:.2f}" in html
    assert f"carry the precision of {report.n_eff:,.0f} unweighted ones" in html
