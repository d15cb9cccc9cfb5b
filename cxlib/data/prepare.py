"""Preparing a dataset for analysis: removing repeated survey submissions, restricting
a dataset to one customer segment (the fan-out runs of the report)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_columns
from ..errors import CXDataError
from .roles import StudyRoles
from .schema import ANSWER_COLUMNS, CXData


def _answer_columns(survey: pd.DataFrame, roles: StudyRoles | None) -> list[str]:
    """The survey's answer columns: :data:`ANSWER_COLUMNS` (synthetic data), or the columns of
    the roles' outcomes, drivers and comment."""
    if roles is None:
        return [c for c in ANSWER_COLUMNS if c in survey.columns]
    named = [roles.column("recommend"), roles.column("satisfaction"), roles.column("effort"),
             *roles.columns("drivers"), roles.column("comment")]
    return [c for c in dict.fromkeys(named) if c is not None and c in survey.columns]


def drop_duplicate_responses(survey: pd.DataFrame, *, roles: StudyRoles | None = None) -> tuple[pd.DataFrame, int]:
    """Remove repeated submissions: same customer, same quarter, identical answers.

    The earliest response of each group (by date, then row order) is kept; rows keep
    their original order and index. Answers are the columns of :data:`ANSWER_COLUMNS`
    present in ``survey`` (missing answers compare equal), or with ``roles`` the columns of
    the ``recommend``, ``satisfaction``, ``effort``, ``drivers`` and ``comment`` roles. The
    input is not modified.

    Parameters
    ----------
    survey : DataFrame
    roles : StudyRoles, optional
        Which columns are the customer id, the date and the answers
        (:func:`cxlib.study_roles`); default the synthetic survey's ``customer_id``,
        ``response_date`` and :data:`ANSWER_COLUMNS`. A study without a ``customer_id``
        role cannot tell repeated submissions apart: nothing is dropped. Without a
        ``date`` role the first row of each group is kept.

    Returns
    -------
    (pandas.DataFrame, int)
        The deduplicated frame and the number of rows dropped.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": [1, 1, 1], "quarter": ["2026Q1"] * 3,
    ...                   "response_date": pd.to_datetime(["2026-02-02", "2026-02-01", "2026-02-03"]),
    ...                   "ltr": [9, 9, 3]})
    >>> out, n = drop_duplicate_responses(s)
    >>> n, list(out.index)
    (1, [1, 2])
    """
    customer = "customer_id" if roles is None else roles.column("customer_id")
    date = "response_date" if roles is None else roles.column("date")
    if customer is None:
        return survey.copy(), 0
    check_columns(survey, [customer, "quarter", *([date] if date else [])], argument="survey")
    answers = _answer_columns(survey, roles)
    if not answers:
        wanted = list(ANSWER_COLUMNS) if roles is None else "the columns of its outcome, driver and comment roles"
        raise CXDataError(f"`survey` has none of the answer columns {wanted}; cannot tell duplicates apart")
    key = [customer, "quarter", *answers]
    pos = np.arange(len(survey))
    order = [date, "_pos"] if date else ["_pos"]
    by_date = survey[key + ([date] if date else [])].assign(_pos=pos).sort_values(order, kind="mergesort")
    dup_sorted = by_date.duplicated(subset=key, keep="first").to_numpy()
    dropped = np.zeros(len(survey), dtype=bool)
    dropped[by_date["_pos"].to_numpy()[dup_sorted]] = True
    return survey.loc[~dropped].copy(), int(dropped.sum())


def subset_dataset(data: CXData, column: str | None, value: Any) -> CXData:
    """The dataset restricted to customers (or respondents) whose ``column`` equals ``value``.

    When ``column`` is a customer attribute (e.g. ``"country"`` or ``"plan"``), every table
    is restricted to those customers, so a fan-out run sees one segment's survey, tickets,
    touchpoints and journeys. When the dataset has no customers table with that column (an
    imported study without one), ``column`` must be a survey column: the survey is
    restricted by its own column, and each other table that has the column too. ``column=None``
    or ``value=None`` returns ``data`` unchanged.

    Raises
    ------
    CXDataError
        If ``column`` is neither a customer attribute nor a survey column, or no customer
        (respondent) has ``value``.

    Examples
    --------
    >>> from cxlib.data.schema import TABLES
    >>> survey = pd.DataFrame({"Class": ["Eco", "Business", "Eco"], "sat": [1, 0, 1]})
    >>> d = CXData(**{t: pd.DataFrame() for t in TABLES if t != "survey"}, survey=survey)
    >>> subset_dataset(d, "Class", "Eco").survey["sat"].tolist()
    [1, 1]
    """
    if column is None or value is None:
        return data
    customers = data.customers
    if column not in customers.columns and column in data.survey.columns:
        return _subset_by_own_column(data, column, value)
    if column not in customers.columns and len(customers.columns) == 0:
        raise CXDataError(f"`subset_column`={column!r} is not a column of the survey (the dataset has no customers "
                          f"table); available: {list(map(str, data.survey.columns))}")
    check_columns(customers, [column], argument="subset_column")
    col = customers[column].astype("string")
    keep = customers.loc[col == str(value), "customer_id"]
    if keep.empty:
        levels = sorted(col.dropna().unique().tolist())
        raise CXDataError(f"no customer has {column} = {value!r}; values of {column!r}: {levels}")
    ids = set(keep.tolist())
    tables = {}
    for f in dataclasses.fields(data):
        t = getattr(data, f.name)
        if isinstance(t, pd.DataFrame) and "customer_id" in t.columns:
            t = t[t["customer_id"].isin(ids)].reset_index(drop=True)
        tables[f.name] = t
    return type(data)(**tables)


def _subset_by_own_column(data: CXData, column: str, value: Any) -> CXData:
    """Each table that has ``column`` restricted to the rows where it equals ``value``."""
    col = data.survey[column].astype("string")
    if not (col == str(value)).any():
        levels = sorted(col.dropna().unique().tolist())
        raise CXDataError(f"no survey response has {column} = {value!r}; values of {column!r}: {levels}")
    tables = {}
    for f in dataclasses.fields(data):
        t = getattr(data, f.name)
        if isinstance(t, pd.DataFrame) and column in t.columns:
            t = t[(t[column].astype("string") == str(value)).fillna(False).to_numpy()].reset_index(drop=True)
        tables[f.name] = t
    return type(data)(**tables)
