"""Data contracts of imported tables: pandera schemas built from a study's roles and scales.

:func:`table_contract` turns the roles of one table (and the resolved scale of each column)
into a :class:`pandera.DataFrameSchema`: ratings are numeric and lie within their declared
points, weights are present and non-negative, ids that key a table are present and unique,
dates are datetimes, ``quarter`` is a quarter string. :func:`contract_failures` validates a
table lazily (every failing check at once) and returns pandera's failure cases as a tidy
table; :func:`validate_table` raises them as one :class:`~cxlib.errors.CXDataError`.

pandera is imported here only, and this module is imported only by the import step, so
``import cxlib`` stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

from ..core.checks import show_values
from ..errors import CXDataError
from .study import ROLE_KINDS, Scale, Study, number_text

try:  # pandera >= 0.24 keeps the pandas API in pandera.pandas
    import pandera.pandas as pa
except ImportError:  # pragma: no cover - older pandera
    import pandera as pa

#: Columns the import adds to the survey, with what the contract requires of them.
ADDED_COLUMNS: dict[str, str] = {
    "quarter": "a quarter string like 2025Q4, never missing",
    "response_id": "present and unique (the respondent_id column, or the source row number)",
    "customer_id": "the pseudonymised customer id (text)",
}

#: Id roles that key their table: present and unique.
_KEYS = {"customers": "customer_id", "tickets": "ticket_id", "touchpoints": "touchpoint_id", "journeys": "event_id"}

_QUARTER_PATTERN = r"^\d{4}Q[1-4]$"


def _numeric() -> Any:
    return pa.Check(lambda s: is_numeric_dtype(s), error="numeric dtype")


def _datetime() -> Any:
    return pa.Check(lambda s: is_datetime64_any_dtype(s), error="datetime dtype")


def _rating_checks(scale: Scale | None) -> list[Any]:
    checks = [_numeric()]
    if scale is not None and scale.points is not None:
        low, high = (number_text(p) for p in scale.points)
        checks.append(pa.Check.in_range(low, high, error=f"within the points [{low}, {high}]"))
    return checks


def _role_column(table: str, role: str, scale: Scale | None) -> Any:
    """The pandera column of one role column."""
    kind = ROLE_KINDS[role]
    if kind == "rating":
        return pa.Column(None, _rating_checks(scale), nullable=True)
    if kind == "date":
        return pa.Column(None, [_datetime()], nullable=True)
    if role == "weight":
        return pa.Column(None, [_numeric(), pa.Check.ge(0, error="non-negative")], nullable=False)
    if role in ("reopens", "contacts"):
        return pa.Column(None, [_numeric(), pa.Check.ge(0, error="non-negative")], nullable=True)
    if kind == "number":
        return pa.Column(None, [_numeric()], nullable=True)
    if kind == "id" and _KEYS.get(table) == role:
        return pa.Column(None, nullable=False, unique=True)
    return pa.Column(None, nullable=True)


def table_contract(study: Study, table: str, scales: Mapping[str, Scale | None] | None = None) -> Any:
    """The pandera schema an imported ``table`` of ``study`` must satisfy.

    Parameters
    ----------
    study : Study
        Gives the roles of ``table``.
    table : str
        ``"survey"``, ``"customers"`` …
    scales : mapping of column to Scale, optional
        The resolved scale of each column (the study's, merged with the source's
        metadata); default ``study.scale_for(column, table)``. A column with a scale is
        numeric and lies within its points.

    Returns
    -------
    pandera.DataFrameSchema
        Not strict: columns without a role are kept as they are.

    Examples
    --------
    >>> import pathlib
    >>> from cxlib.data.study import Source
    >>> study = Study(path=pathlib.Path("study.toml"), title="t", wave="2025Q4",
    ...               sources={"survey": Source("survey", "csv")},
    ...               roles={"survey": {"satisfaction": "sat"}},
    ...               scales={"satisfaction": Scale(points=(1.0, 5.0))})
    >>> sorted(table_contract(study, "survey").columns)
    ['quarter', 'response_id', 'sat']
    """
    roles = study.roles.get(table, {})
    columns: dict[str, Any] = {}
    for role, value in roles.items():
        for col in value if isinstance(value, list) else [value]:
            if role == "customer_id":
                col = "customer_id"  # the import replaces the source column by its pseudonym
            scale = (scales or {}).get(col) if scales is not None else study.scale_for(col, table)
            columns[col] = _role_column(table, role, scale)
    for col, scale in (scales or {}).items():
        if col not in columns and scale is not None:  # scaled columns without a role
            columns[col] = pa.Column(None, _rating_checks(scale), nullable=True)
    if table == "survey":
        columns["quarter"] = pa.Column(str, pa.Check.str_matches(_QUARTER_PATTERN, error="a quarter like 2025Q4"),
                                       nullable=False)
        columns["response_id"] = pa.Column(None, nullable=False, unique=True)
    return pa.DataFrameSchema(columns, strict=False, name=table)


def contract_failures(frame: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Validate ``frame`` against ``schema`` (every check, not only the first failing one).

    Returns
    -------
    pandas.DataFrame
        One row per failing (column, check): ``column``, ``check``, ``count`` (failing
        rows; 1 for a check on the whole column, such as its dtype) and ``values`` (the
        first five distinct failing values, as a list). Empty when the frame conforms.
    """
    cols = ["column", "check", "count", "values"]
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pd.DataFrame(columns=cols)
    rows = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        values = group["failure_case"].tolist()
        distinct = list(dict.fromkeys(_plain(v) for v in values))
        rows.append({"column": str(column), "check": _check_name(str(check)), "count": len(values),
                     "values": distinct[:5]})
    return pd.DataFrame(rows, columns=cols)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _check_name(check: str) -> str:
    return {"not_nullable": "no missing values", "field_uniqueness": "unique values",
            "column_in_dataframe": "column present"}.get(check, check)


def failure_message(table: str, failures: pd.DataFrame) -> str:
    """One message for every failing check of ``table`` (column, check, count, first values).

    Examples
    --------
    >>> f = pd.DataFrame({"column": ["seat"], "check": ["within the points [1, 5]"],
    ...                   "count": [2], "values": [[7, 9]]})
    >>> print(failure_message("survey", f))
    the survey table breaks its data contract:
      column 'seat': 2 rows fail the check 'within the points [1, 5]', e.g. [7, 9]
    """
    lines = [f"the {table} table breaks its data contract:"]
    for row in failures.itertuples(index=False):
        lines.append(f"  column {row.column!r}: {row.count} row{'s' if row.count != 1 else ''} fail the check "
                     f"{row.check!r}, e.g. {show_values(row.values)}")
    return "\n".join(lines)


def validate_table(frame: pd.DataFrame, study: Study, table: str,
                   scales: Mapping[str, Scale | None] | None = None) -> pd.DataFrame:
    """Return ``frame`` if it satisfies :func:`table_contract`, else raise.

    Raises
    ------
    CXDataError
        Listing, for every failing check, the column, the check, how many rows fail and
        the first failing values.
    """
    failures = contract_failures(frame, table_contract(study, table, scales))
    if len(failures):
        raise CXDataError(failure_message(table, failures))
    return frame
