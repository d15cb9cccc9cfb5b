"""Declared scales and missing codes (issue 10): the core helper and every analysis function.

The scenario is the issue's airline survey: service ratings on 1–5 where 0 means "not
applicable". The independent reference is the same data with the 0s replaced by NaN by
hand (pandas ``mask``): with ``missing=[0]`` every analysis must equal the analysis of
that frame, the counts must equal pandas counts, and values outside the declared points
must raise naming the column and the row count.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import cxlib as cx
from cxlib.core.checks import apply_scale, declared_scale, missing_code_mask
from cxlib.drivers import (
    driver_stability,
    importance_performance,
    key_drivers,
    key_drivers_by_group,
    penalty_reward,
)
from cxlib.errors import CXDataError, SmallBaseWarning

DRIVERS = ["wifi", "seat", "clean", "food"]
NA_RATES = [0.25, 0.10, 0.05, 0.15]


def airline(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """Ratings 1–5 with 0 = "not applicable" (at different rates per driver), an overall
    rating ``osat`` 1–5, a binary ``sat``, a 0–10 ``ltr`` with 99 = "don't know", a class,
    a quarter and weights. Passengers answering "not applicable" rate like the others."""
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=n)
    ratings = {d: np.clip(np.round(3 + 1.1 * (0.6 * halo + 0.8 * rng.normal(size=n))), 1, 5).astype(int)
               for d in DRIVERS}
    df = pd.DataFrame(ratings)
    latent = 0.5 * (df["wifi"] - 3) + 0.4 * (df["seat"] - 3) + 0.3 * (df["clean"] - 3) + rng.normal(0, 0.7, n)
    df["osat"] = np.clip(np.round(3 + latent), 1, 5).astype(int)
    df["sat"] = (df["osat"] >= 4).astype(int)
    df["ltr"] = np.clip(np.round(7 + 2 * latent), 0, 10).astype(int)
    df.loc[rng.random(n) < 0.08, "ltr"] = 99
    for d, rate in zip(DRIVERS, NA_RATES):
        df.loc[rng.random(n) < rate, d] = 0
    df["cls"] = rng.choice(["business", "eco", "eco plus"], size=n, p=[0.3, 0.5, 0.2])
    df["quarter"] = rng.choice(["2025Q3", "2025Q4"], size=n)
    df["w"] = rng.uniform(0.5, 2.0, size=n)
    return df


def by_hand(df: pd.DataFrame, columns=DRIVERS, code=0) -> pd.DataFrame:
    """The reference: the codes replaced by NaN by hand."""
    out = df.copy()
    out[columns] = out[columns].mask(out[columns] == code)
    return out


@dataclass(frozen=True)
class StudyScale:
    """Stands in for the study's Scale (points, missing codes, labels)."""

    points: tuple | None
    missing: tuple = ()
    labels: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def df():
    return airline()


@pytest.fixture(scope="module")
def ref(df):
    return by_hand(df)


def pandas_counts(df, columns=DRIVERS, code=0):
    return {c: int((df[c] == code).sum()) for c in columns}


# ------------------------------------------------------------------------ core helper
def test_apply_scale_sets_codes_missing_and_counts_them_per_code():
    s = pd.Series([0, 3, 9, 5, None, 0, 9, 9, 1])
    arr, counts = apply_scale(s, "q", scale=(1, 5), missing=[0, 9])
    expected = s.mask(s.isin([0, 9])).to_numpy(dtype=float)
    np.testing.assert_array_equal(arr, expected)
    assert counts == {0: int((s == 0).sum()), 9: int((s == 9).sum())} == {0: 2, 9: 3}


def test_apply_scale_matches_numbers_stored_as_text_and_text_codes():
    s = pd.Series(["0", "4", "Don't know", "5", "", None, "0"]).replace("", None)
    arr, counts = apply_scale(s, "q", scale=(1, 5), missing=[0, "Don't know"])
    assert np.isnan(arr[[0, 2, 5, 6]]).all() and arr[[1, 3]].tolist() == [4.0, 5.0]
    assert counts == {0: 2, "Don't know": 1}
    mask, _ = missing_code_mask(pd.Series([True, False, 0]), (0,))
    assert mask.tolist() == [False, False, True]  # a boolean False is not the code 0


def test_apply_scale_out_of_range_names_column_values_count_and_codes():
    s = pd.Series([0, 1, 7, 7, 9, 5, 6])
    with pytest.raises(CXDataError, match=r"column 'seat' has 3 value\(s\) outside the scale points 1–5: "
                                          r"\[6, 7\]; declared missing codes: \[0, 9\]"):
        apply_scale(s, "seat", scale=(1, 5), missing=[0, 9])
    with pytest.raises(CXDataError, match=r"'seat' has 5 value\(s\).*\[0, 6, 7, 9\]; no missing codes are declared"):
        apply_scale(s, "seat", scale=(1, 5))
    with pytest.raises(CXDataError, match=r"'seat' has no value left: all 2 rows"):
        apply_scale(pd.Series([0, None]), "seat", missing=[0])


def test_declared_scale_forms():
    assert declared_scale(None, None, "a") == (None, ())
    assert declared_scale((1, 5), 0, "a") == ((1.0, 5.0), (0,))
    assert declared_scale({"a": (0, 10)}, {"b": [9]}, "a") == ((0.0, 10.0), ())
    sc = StudyScale(points=(1, 5), missing=(0,))
    assert declared_scale({"a": sc}, [9], "a") == ((1.0, 5.0), (9, 0))
    assert declared_scale(sc, (), "any") == ((1.0, 5.0), (0,))
    with pytest.raises(CXDataError, match="missing codes are numbers"):
        declared_scale(None, [[0]], "a")


def test_dict_naming_an_unknown_column_is_refused(df):
    with pytest.raises(CXDataError, match=r"`missing`='wfi' is not a column"):
        key_drivers(df, outcome="osat", drivers=DRIVERS, n_boot=0, missing={"wfi": [0]})
    with pytest.raises(CXDataError, match=r"`scale`='Seat' is not a column"):
        cx.profile(df, by="cls", variables=DRIVERS, scale={"Seat": (1, 5)})


# ------------------------------------------------------------------------- metrics
@pytest.mark.parametrize("metric, kw", [
    (cx.csat, dict(score="wifi", scale=(1, 5))),
    (cx.top_box, dict(score="seat", top=(4, 5), scale=(1, 5))),
    (cx.ces, dict(score="food", easy=(4, 5), scale=(1, 5))),
    (cx.mean_score, dict(score="clean", scale=(1, 5))),
    (cx.mean_score, dict(score="clean")),
])
def test_metrics_with_missing_equal_the_nan_reference(df, ref, metric, kw):
    col = kw["score"]
    got = metric(df, missing=[0], weights="w", **kw).to_frame()
    want = metric(ref, weights="w", **kw).to_frame()
    assert got["n_missing_codes"].item() == int((df[col] == 0).sum())
    assert got["n_missing"].item() == int(ref[col].isna().sum())
    pd.testing.assert_frame_equal(got.drop(columns="n_missing_codes"), want.drop(columns="n_missing_codes"))


def test_nps_with_a_dont_know_code(df):
    ref = by_hand(df, ["ltr"], code=99)
    got = cx.nps(df, missing=[99])
    want = cx.nps(ref)
    assert (got.estimate, got.ci_low, got.ci_high, got.n) == (want.estimate, want.ci_low, want.ci_high, want.n)
    assert got.n_missing_codes == int((df["ltr"] == 99).sum()) and want.n_missing_codes == 0
    with pytest.raises(CXDataError, match=r"'ltr' has \d+ value\(s\) outside the scale 0–10"):
        cx.nps(df)


def test_by_group_counts_the_codes_per_group(df, ref):
    got = cx.by_group(df, cx.csat, by="cls", score="wifi", missing=[0], compare="rest")
    want = cx.by_group(ref, cx.csat, by="cls", score="wifi", compare="rest")
    counts = df.assign(code=df["wifi"] == 0).groupby("cls")["code"].sum()
    assert got["n_missing_codes"].tolist() == counts.tolist()
    pd.testing.assert_frame_equal(got.drop(columns="n_missing_codes"), want.drop(columns="n_missing_codes"))


# ------------------------------------------------------------------------- drivers
@pytest.mark.parametrize("deletion", ["listwise", "pairwise"])
def test_key_drivers_with_missing_equal_the_nan_reference(df, ref, deletion):
    got = key_drivers(df, outcome="osat", drivers=DRIVERS, scale=(1, 5), missing=[0], deletion=deletion,
                      n_boot=30, seed=1)
    want = key_drivers(ref, outcome="osat", drivers=DRIVERS, deletion=deletion, n_boot=30, seed=1)
    pd.testing.assert_frame_equal(got.table, want.table)
    assert (got.r_squared, got.n, got.n_dropped) == (want.r_squared, want.n, want.n_dropped)
    pd.testing.assert_series_equal(got.performance, want.performance)
    assert got.n_missing_codes == {"osat": 0, **pandas_counts(df)}
    assert want.n_missing_codes == dict.fromkeys(["osat", *DRIVERS], 0)
    # the motivating failure: analysed as ratings, the 0s change the answer
    naive = key_drivers(df, outcome="osat", drivers=DRIVERS, deletion=deletion, n_boot=0)
    assert abs(naive.r_squared - got.r_squared) > 0.05


def test_a_binary_outcome_keeps_its_zeros(df, ref):
    """A sequence of codes declares the drivers only: the outcome's 0 = "not satisfied" stays."""
    got = key_drivers(df, outcome="sat", drivers=DRIVERS, missing=[0], n_boot=0)
    want = key_drivers(ref, outcome="sat", drivers=DRIVERS, n_boot=0)
    assert got.outcome_type == "binary" and got.n_missing_codes["sat"] == 0
    pd.testing.assert_frame_equal(got.table, want.table)
    # a dict may name the outcome: here its 0s are (wrongly) declared and it is constant
    with pytest.raises(CXDataError, match="outcome 'sat' is constant"):
        key_drivers(df, outcome="sat", drivers=DRIVERS, missing={"sat": [0], **dict.fromkeys(DRIVERS, [0])},
                    n_boot=0)


def test_a_study_scale_object_declares_points_and_codes(df, ref):
    sc = StudyScale(points=(1, 5), missing=(0,), labels={1: "very poor", 5: "excellent"})
    got = key_drivers(df, outcome="osat", drivers=DRIVERS, scale=sc, n_boot=0)
    want = key_drivers(ref, outcome="osat", drivers=DRIVERS, n_boot=0)
    pd.testing.assert_frame_equal(got.table, want.table)
    assert got.n_missing_codes == {"osat": 0, **pandas_counts(df)}


def test_codes_declared_for_one_driver_only(df):
    ref = by_hand(df, ["wifi"])
    got = key_drivers(df, outcome="osat", drivers=DRIVERS, missing={"wifi": [0]}, n_boot=0)
    want = key_drivers(ref, outcome="osat", drivers=DRIVERS, n_boot=0)
    pd.testing.assert_frame_equal(got.table, want.table)
    assert got.n_missing_codes == {"osat": 0, "wifi": pandas_counts(df)["wifi"], "seat": 0, "clean": 0, "food": 0}


def test_driver_groups_and_stability_with_missing(df, ref):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        got = key_drivers_by_group(df, by="cls", outcome="osat", drivers=DRIVERS, scale=(1, 5), missing=[0],
                                   n_boot=20, seed=2)
        want = key_drivers_by_group(ref, by="cls", outcome="osat", drivers=DRIVERS, n_boot=20, seed=2)
        st_got = driver_stability(df, outcome="osat", drivers=DRIVERS, missing=[0], n_boot=0)
        st_want = driver_stability(ref, outcome="osat", drivers=DRIVERS, n_boot=0)
    pd.testing.assert_frame_equal(got.importances, want.importances)
    pd.testing.assert_frame_equal(got.differences, want.differences)
    assert got.n_missing_codes == {"osat": 0, **pandas_counts(df)}
    for label, res in got.results.items():
        assert res.n_missing_codes == {"osat": 0, **pandas_counts(df[df["cls"] == label])}
    pd.testing.assert_frame_equal(st_got.rank_correlation, st_want.rank_correlation)
    pd.testing.assert_frame_equal(st_got.importances, st_want.importances)
    assert st_got.n_missing_codes == {"osat": 0, **pandas_counts(df)}


def test_importance_performance_with_missing(df, ref):
    got = importance_performance(df, outcome="osat", drivers=DRIVERS, scale=(1, 5), missing=[0], n_boot=0)
    want = importance_performance(ref, outcome="osat", drivers=DRIVERS, n_boot=0)
    pd.testing.assert_frame_equal(got.table, want.table)
    assert (got.importance_cutoff, got.performance_cutoff) == (want.importance_cutoff, want.performance_cutoff)
    assert got.n_missing_codes == {"osat": 0, **pandas_counts(df)}
    # performance is the mean rating of the rows used, never lowered by a 0 = "not applicable"
    used = ref.dropna(subset=["osat", *DRIVERS])
    np.testing.assert_allclose(got.table["performance"], used[DRIVERS].mean().to_numpy(), rtol=1e-12)
    with pytest.raises(CXDataError, match="outside the scale points 1–5"):
        importance_performance(df, outcome="osat", drivers=DRIVERS, scale=(1, 5), n_boot=0)


def test_penalty_reward_with_missing_against_hand_built_dummies(df, ref):
    got = penalty_reward(df, outcome="osat", drivers=DRIVERS, scale=(1, 5), missing=[0])
    assert (got.low, got.high) == ((1, 2), (5,))  # bottom two and top point of the declared scale
    want = penalty_reward(ref, outcome="osat", drivers=DRIVERS, low=(1, 2), high=(5,))
    pd.testing.assert_frame_equal(got.table, want.table)
    assert got.n_missing_codes == {"osat": 0, **pandas_counts(df)}
    # independent: OLS (numpy lstsq) on dummies built with pandas on the complete rows
    used = ref.dropna(subset=["osat", *DRIVERS])
    X = [np.ones(len(used))]
    for d in DRIVERS:
        X += [used[d].isin([1, 2]).to_numpy(float), (used[d] == 5).to_numpy(float)]
    beta = np.linalg.lstsq(np.column_stack(X), used["osat"].to_numpy(float), rcond=None)[0]
    np.testing.assert_allclose(got.table["penalty"], -beta[1::2], rtol=1e-9)
    np.testing.assert_allclose(got.table["reward"], beta[2::2], rtol=1e-9)
    assert got.n == len(used) and got.n_dropped == len(df) - len(used)
    # with the 0s analysed as ratings (the middle category) the penalties change
    naive = penalty_reward(df, outcome="osat", drivers=DRIVERS)
    assert not np.allclose(naive.table["penalty"], got.table["penalty"], atol=0.02)


# ------------------------------------------------------------------------ segments
@pytest.mark.parametrize("incomplete", ["drop", "mean"])
def test_attitudinal_segments_with_missing(df, ref, incomplete):
    kw = dict(variables=DRIVERS, k=[2, 3], n_init=2, n_boot=3, seed=0, incomplete=incomplete)
    got = cx.attitudinal_segments(df, scale=(1, 5), missing=[0], **kw)
    want = cx.attitudinal_segments(ref, **kw)
    pd.testing.assert_series_equal(got.labels, want.labels)
    pd.testing.assert_frame_equal(got.centres, want.centres)
    assert (got.k, got.n_excluded, got.boot_ari) == (want.k, want.n_excluded, want.boot_ari)
    assert got.n_missing_codes == pandas_counts(df)
    if incomplete == "drop":
        assert got.n_excluded == int((df[DRIVERS] == 0).any(axis=1).sum())
    # assigning new data applies the same declarations
    new = airline(n=200, seed=11)
    pd.testing.assert_series_equal(got.assign(new), want.assign(by_hand(new)))


def test_attitudinal_segments_refuse_ratings_off_the_scale(df):
    with pytest.raises(CXDataError, match=r"column 'wifi' has \d+ value\(s\) outside the scale points 1–5"):
        cx.attitudinal_segments(df, variables=DRIVERS, k=2, n_boot=0, scale=(1, 5))


def test_profile_with_missing(df, ref):
    variables = [*DRIVERS, "quarter"]
    got = cx.profile(df, by="cls", variables=variables, scale=(1, 5), missing=[0], min_base=5)
    want = cx.profile(ref, by="cls", variables=variables, min_base=5)
    pd.testing.assert_frame_equal(got.drop(columns="n_missing_codes"), want.drop(columns="n_missing_codes"))
    counts = (df[DRIVERS] == 0).groupby(df["cls"]).sum()
    means = got[got["measure"] == "mean"]
    for row in means.itertuples():
        assert row.n_missing_codes == counts.loc[row.segment, row.variable]
    assert (got.loc[got["variable"] == "quarter", "n_missing_codes"] == 0).all()
    with pytest.raises(CXDataError, match=r"'seat' has \d+ value\(s\) outside the scale points 1–5"):
        cx.profile(df, by="cls", variables=variables, scale=(1, 5), missing={"wifi": [0]})


def test_profile_text_code_is_not_a_level(df):
    answers = pd.Series(np.where(df["wifi"] == 0, "Don't know", np.where(df["seat"] >= 4, "yes", "no")))
    data = df.assign(again=answers)
    got = cx.profile(data, by="cls", variables=["again"], missing={"again": ["Don't know"]}, min_base=5)
    want = cx.profile(data.assign(again=answers.mask(answers == "Don't know")), by="cls", variables=["again"],
                      min_base=5)
    assert set(got["level"]) == {"yes", "no"}
    pd.testing.assert_frame_equal(got.drop(columns="n_missing_codes"), want.drop(columns="n_missing_codes"))
    counts = (answers == "Don't know").groupby(df["cls"]).sum()
    assert got.groupby("segment")["n_missing_codes"].first().tolist() == counts.tolist()


def test_response_styles_with_missing(df, ref):
    got = cx.response_styles(df, by="cls", items=DRIVERS, scale=(1, 5), missing=[0])
    want = cx.response_styles(ref, by="cls", items=DRIVERS)
    pd.testing.assert_frame_equal(got.summary, want.summary)
    pd.testing.assert_frame_equal(got.distribution, want.distribution)
    assert got.n_missing_codes == pandas_counts(df)
    with pytest.raises(CXDataError, match=r"'wifi' has \d+ value\(s\) outside the scale 1–5"):
        cx.response_styles(df, by="cls", items=DRIVERS)
    with pytest.raises(CXDataError, match="one scale for all items"):
        cx.response_styles(df, by="cls", items=DRIVERS, scale={"wifi": (1, 5), "seat": (0, 10)})


@pytest.mark.parametrize("method", ["z", "ipsative"])
def test_standardize_within_with_missing(df, ref, method):
    got = cx.standardize_within(df, by="cls", items=DRIVERS, method=method, scale=(1, 5), missing=[0])
    want = cx.standardize_within(ref, by="cls", items=DRIVERS, method=method)
    new = [c for c in got.columns if c not in df.columns]
    pd.testing.assert_frame_equal(got[new], want[new])
    assert got.attrs["n_missing_codes"] == pandas_counts(df)
    pd.testing.assert_frame_equal(got[DRIVERS], df[DRIVERS])  # the originals are untouched
    with pytest.raises(CXDataError, match=r"'food' has \d+ value\(s\) outside"):
        cx.standardize_within(df, by="cls", items=DRIVERS, scale=(1, 5), missing={"wifi": [0], "seat": [0],
                                                                                  "clean": [0]})


# ----------------------------------------------------- nothing changes when undeclared
def test_undeclared_analyses_treat_every_value_as_an_answer(df):
    """Without ``missing`` a 0 is analysed as a rating (as before), and nothing is counted."""
    res = key_drivers(df, outcome="osat", drivers=DRIVERS, n_boot=0)
    assert res.n == len(df) and res.n_missing_codes == dict.fromkeys(["osat", *DRIVERS], 0)
    assert res.performance["wifi"] == pytest.approx(df["wifi"].mean(), rel=1e-12)
    assert cx.mean_score(df, score="wifi").n_missing_codes == 0
