"""Preparing a dataset for analysis: removing repeated survey submissions, restricting
a dataset to one customer segment (the fan-out runs of the report)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_columns
from ..errors import CXDataError
from .schema import ANSWER_COLUMNS, CXData


def drop_duplicate_responses(survey: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Remove repeated submissions: same customer, same quarter, identical answers.

    The earliest ``response_date`` of each group is kept; rows keep their original
    order and index. Answers are the columns of :data:`ANSWER_COLUMNS` present in
    ``survey`` (missing answers compare equal). The input is not modified.

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
    check_columns(survey, ["customer_id", "quarter", "response_date"], argument="survey")
    answers = [c for c in ANSWER_COLUMNS if c in survey.columns]
    if not answers:
        raise CXDataError(
            f"`survey` has none of the answer columns {list(ANSWER_COLUMNS)}; cannot tell duplicates apart"
        )
    key = ["customer_id", "quarter", *answers]
    pos = np.arange(len(survey))
    by_date = survey[key + ["response_date"]].assign(_pos=pos).sort_values(
        ["response_date", "_pos"], kind="mergesort"
    )
    dup_sorted = by_date.duplicated(subset=key, keep="first").to_numpy()
    dropped = np.zeros(len(survey), dtype=bool)
    dropped[by_date["_pos"].to_numpy()[dup_sorted]] = True
    return survey.loc[~dropped].copy(), int(dropped.sum())


def subset_dataset(data: CXData, column: str | None, value: Any) -> CXData:
    """The dataset restricted to customers whose ``column`` equals ``value``.

    ``column`` is a customer attribute (e.g. ``"country"`` or ``"plan"``); every table is
    restricted to those customers, so a fan-out run sees one segment's survey, tickets,
    touchpoints and journeys. ``column=None`` or ``value=None`` returns ``data`` unchanged.

    Raises
    ------
    CXDataError
        If ``column`` is not a customer attribute or no customer has ``value``.
    """
    if column is None or value is None:
        return data
    check_columns(data.customers, [column], argument="subset_column")
    col = data.customers[column].astype("string")
    keep = data.customers.loc[col == str(value), "customer_id"]
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
