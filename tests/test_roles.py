"""Tests of cxlib.data.roles: StudyRoles, the synthetic schema as roles, the roles of an
imported study (study.json attached by load_dataset) and cx.study_roles."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import cxlib as cx
from cxlib.data.roles import SYNTHETIC_ROLES, StudyRoles, roles_from_study
from cxlib.data.schema import DRIVERS, SCHEMA
from cxlib.data.study import ROLES, Scale
from cxlib.errors import CXDataError


def test_synthetic_roles_name_columns_of_the_synthetic_schema():
    r = SYNTHETIC_ROLES
    assert (r.column("recommend"), r.column("satisfaction"), r.column("effort")) == ("ltr", "osat", "ces")
    assert r.columns("drivers") == list(DRIVERS) and r.columns("segments") == ["plan", "country"]
    assert (r.column("weight"), r.column("date"), r.column("respondent_id")) == ("weight", "response_date",
                                                                                   "response_id")
    assert r.column("revenue", "customers") == "monthly_revenue"
    assert (r.points("ltr"), r.points("osat"), r.points("ces")) == ((0.0, 10.0), (1.0, 5.0), (1.0, 7.0))
    assert all(r.points(d) == (1.0, 5.0) for d in DRIVERS)
    # every role column is a column of its synthetic table (SCHEMA is the data model)
    for table, roles in r.roles.items():
        assert set(roles) <= set(ROLES[table]), table
        for role in roles:
            cols = r.columns(role, table) if role in ("drivers", "segments") else [r.column(role, table)]
            assert set(cols) <= set(SCHEMA[table]), (table, role, cols)
    assert set(r.tables) == set(SCHEMA) and r.has("journeys") and not r.has("transactions")


def test_study_roles_errors_name_the_role_and_the_valid_ones():
    r = SYNTHETIC_ROLES
    with pytest.raises(CXDataError, match=r"'recomend' is not a role of the survey table; valid: \['respondent_id'"):
        r.column("recomend")
    with pytest.raises(CXDataError, match=r"'orders' is not a study table; valid"):
        r.column("amount", "orders")
    with pytest.raises(CXDataError, match=r"names a list of columns; use \.columns\('drivers'"):
        r.column("drivers")
    with pytest.raises(CXDataError, match="not a role of the tickets table"):
        r.column("churn_date", "tickets")


def test_labels_and_scales_fall_back_to_the_column():
    r = StudyRoles(title="t", roles={"survey": {"satisfaction": "q1"}}, labels={"q1": "How satisfied?"},
                   scales={"q1": Scale(points=(1.0, 7.0), missing=(99.0,))})
    assert r.label("q1") == "How satisfied?" and r.label("other") == "other"
    assert r.points("q1") == (1.0, 7.0) and r.points("other") is None and r.scale("q1").missing == (99.0,)
    assert r.column("recommend") is None and r.columns("drivers") == [] and r.has("survey")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.title = "x"  # type: ignore[misc]


def test_roles_from_study_json():
    doc = {
        "title": "Airline", "tables": ["survey", "customers"], "quarters": ["2025Q3", "2025Q4"],
        "roles": {"survey": {"respondent_id": "id", "customer_id": "customer_id", "recommend": "ltr",
                             "segments": ["Class", "Type"]},
                  "customers": {"customer_id": "customer_id", "signup_date": "since"}},
        "columns": {
            "customers": {"ltr": {"label": "customers' ltr", "role": None, "scale": None},
                          "since": {"label": "Customer since", "role": "signup_date", "scale": None}},
            "survey": {"ltr": {"label": "How likely…?", "role": "recommend",
                               "scale": {"points": [0, 10], "missing": [99], "labels": {"0": "not at all"},
                                         "values": {}}}},
        },
    }
    r = roles_from_study(doc)
    assert r.column("respondent_id") == "response_id"  # the column the import adds
    assert r.columns("segments") == ["Class", "Type"] and r.column("signup_date", "customers") == "since"
    assert r.label("ltr") == "How likely…?"  # the survey's label wins
    assert r.label("since") == "Customer since"
    assert r.scale("ltr") == Scale(points=(0.0, 10.0), missing=(99.0,), labels={0.0: "not at all"})
    assert r.tables == ("survey", "customers") and r.quarters == ("2025Q3", "2025Q4")
    assert r.has("customers") and not r.has("tickets")


def test_study_roles_of_synthetic_data(small_dataset):
    r = cx.study_roles(small_dataset)
    assert r.roles == SYNTHETIC_ROLES.roles and r.labels == SYNTHETIC_ROLES.labels
    assert r.quarters == tuple(sorted(small_dataset.survey["quarter"].unique()))
    with pytest.raises(CXDataError, match="must be a CXData"):
        cx.study_roles(pd.DataFrame())


def test_load_dataset_attaches_study_json(tmp_path, small_dataset):
    (tmp_path / "a.csv").write_text("sat,cls\n1,x\n0,y\n1,x\n")
    (tmp_path / "study.toml").write_text('[study]\ntitle = "T"\nwave = "2025Q4"\n[sources.survey]\npath = "a.csv"\n'
                                         '[roles.survey]\nsatisfaction = "sat"\nsegments = ["cls"]\n'
                                         '[scales.satisfaction]\npoints = [0, 1]\n')
    result = cx.import_study(tmp_path / "study.toml")
    data = cx.load_dataset(result.path)
    assert data.study is not None and data.study["title"] == "T"
    roles = cx.study_roles(data)
    assert roles.column("satisfaction") == "sat" and roles.points("sat") == (0.0, 1.0)
    assert roles.quarters == ("2025Q4",) and roles.tables == ("survey",)
    # a synthetic dataset has no study; its files are unchanged by the new field
    path = cx.write_dataset(small_dataset, tmp_path / "synthetic")
    assert cx.load_dataset(path).study is None
    assert sorted(p.name for p in path.iterdir()) == sorted(
        [f"{t}.parquet" for t in SCHEMA] + ["manifest.json", "truth.json", "truth_segments.parquet"])
