"""The data model: the :class:`CXData` container, the five tables' columns and dtypes.

Conventions (see ``data/README.md``): quarters are ``str`` like ``"2026Q3"``; dates are
``datetime64[ns]``; ids are ``int64``; ratings are pandas nullable ``Int64`` (missing
answers are ``pd.NA``); free text and labels are ``object`` columns of ``str`` (missing
comments are ``None``). :func:`check_table` checks that a table has its columns and
:func:`coerce_table` enforces the dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import CXDataError

if TYPE_CHECKING:  # the truth class belongs to the generator; only its name is needed here
    from .synthetic.truth import PlantedTruth

#: The eight driver ratings of the relational survey (1–5, 5 = best).
DRIVERS: tuple[str, ...] = (
    "product_quality",
    "reliability",
    "ease_of_use",
    "value_for_money",
    "support",
    "billing_clarity",
    "onboarding",
    "communication",
)

#: Table names, in the order they are written.
TABLES: tuple[str, ...] = ("customers", "survey", "touchpoints", "tickets", "journeys")

_ID, _STR, _DATE, _RATING, _FLOAT = "int64", "object", "datetime64[ns]", "Int64", "float64"

#: Column -> dtype of every table (the data model of CONTRIBUTING.md).
SCHEMA: dict[str, dict[str, str]] = {
    "customers": {
        "customer_id": _ID,
        "country": _STR,
        "plan": _STR,
        "acquisition_channel": _STR,
        "signup_date": _DATE,
        "monthly_revenue": _FLOAT,
        "churn_date": _DATE,
    },
    "survey": {
        "response_id": _ID,
        "customer_id": _ID,
        "quarter": _STR,
        "response_date": _DATE,
        "country": _STR,
        "plan": _STR,
        "weight": _FLOAT,
        "ltr": _RATING,
        "osat": _RATING,
        "ces": _RATING,
        **{d: _RATING for d in DRIVERS},
        "comment": _STR,
    },
    "touchpoints": {
        "tp_response_id": _ID,
        "customer_id": _ID,
        "quarter": _STR,
        "date": _DATE,
        "touchpoint": _STR,
        "channel": _STR,
        "csat": _RATING,
        "ticket_id": _RATING,  # nullable Int64: NA unless the survey follows a ticket
    },
    "tickets": {
        "ticket_id": _ID,
        "customer_id": _ID,
        "quarter": _STR,
        "channel": _STR,
        "category": _STR,
        "created_at": _DATE,
        "first_response_at": _DATE,
        "first_resolved_at": _DATE,
        "resolved_at": _DATE,
        "reopen_count": _ID,
        "contacts": _ID,
    },
    "journeys": {
        "event_id": _ID,
        "customer_id": _ID,
        "timestamp": _DATE,
        "quarter": _STR,
        "stage": _STR,
        "touchpoint": _STR,
        "channel": _STR,
        "valence": _ID,
    },
}

#: Survey columns that make up a respondent's answers (used to detect duplicates).
ANSWER_COLUMNS: tuple[str, ...] = ("ltr", "osat", "ces", *DRIVERS, "comment")


@dataclass(frozen=True, eq=False)
class CXData:
    """A CX dataset: five tables plus the planted truth.

    Attributes
    ----------
    customers, survey, touchpoints, tickets, journeys : pandas.DataFrame
        Columns and dtypes as in :data:`SCHEMA` (documented in ``data/README.md``).
    truth : PlantedTruth
        What the generator planted (``None`` for data with no known truth); see
        :class:`cxlib.data.synthetic.truth.PlantedTruth`.
    study : dict, optional
        The content of an imported dataset's ``study.json`` (roles, scales, column labels;
        see :func:`cxlib.import_study`), ``None`` for the synthetic data. Read it through
        :func:`cxlib.study_roles`.
    """

    customers: pd.DataFrame
    survey: pd.DataFrame
    touchpoints: pd.DataFrame
    tickets: pd.DataFrame
    journeys: pd.DataFrame
    truth: PlantedTruth | None = None
    study: dict | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The five tables by name, in :data:`TABLES` order."""
        return {t: getattr(self, t) for t in TABLES}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={len(df):,}" for t, df in self.tables().items())
        quarters = sorted(self.survey["quarter"].unique()) if len(self.survey) else []
        span = f"{quarters[0]}–{quarters[-1]}" if quarters else "no survey waves"
        return f"CXData({sizes}; survey {span}; truth={'yes' if self.truth is not None else 'no'})"


def check_table(name: str, frame: pd.DataFrame) -> None:
    """Raise :class:`~cxlib.errors.CXDataError` if table ``name`` lacks a column of :data:`SCHEMA`.

    Examples
    --------
    >>> check_table("journeys", pd.DataFrame({"event_id": [1]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxlib.errors.CXDataError: table 'journeys' lacks column(s) ['customer_id', ...
    """
    expected = SCHEMA[name]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise CXDataError(
            f"table {name!r} lacks column(s) {missing}; expected columns {list(expected)} "
            f"(got {list(map(str, frame.columns))})"
        )


def coerce_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of table ``name`` with the dtypes of :data:`SCHEMA` (Parquet round trips
    keep them; this makes sure).

    Raises
    ------
    CXDataError
        If a column is missing or cannot be converted, naming the column and the table.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": [1], "country": ["US"], "plan": ["basic"],
    ...                   "acquisition_channel": ["organic"], "signup_date": ["2026-01-05"],
    ...                   "monthly_revenue": [29], "churn_date": [None]})
    >>> coerce_table("customers", t).dtypes.astype(str).tolist()
    ['int64', 'object', 'object', 'object', 'datetime64[ns]', 'float64', 'datetime64[ns]']
    """
    check_table(name, frame)
    out = frame.copy()
    for col, dtype in SCHEMA[name].items():
        if str(out[col].dtype) == dtype:
            continue
        try:
            if dtype == _DATE:
                out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
            elif dtype == _STR:
                out[col] = out[col].astype(object).where(out[col].notna(), None)
            else:
                out[col] = out[col].astype(dtype)
        except (TypeError, ValueError) as exc:
            raise CXDataError(f"column {col!r} of table {name!r} cannot be read as {dtype}: {exc}") from None
    return out
