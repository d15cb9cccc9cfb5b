"""Churn on a study's own columns: the loyalty groups a study supports and its survival tables.

The churn notebook compares how long customers stay by loyalty group. A study with a 0–10
likelihood-to-recommend question has NPS groups (promoter, passive, detractor); a study
without one groups its satisfaction question by its declared scale (satisfied / not
satisfied for a binary outcome; top box, middle, bottom box for a rating scale).
:func:`loyalty_groups` says which, from the study's roles; :func:`loyalty_churn_table` and
:func:`loyalty_churn_spells` build the survival tables of :mod:`cxlib.churn.tables` from the
columns the roles name (the customers table's signup and churn dates, revenue and segments;
the survey's date and loyalty question), so that no synthetic column name is assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.checks import check_choice, check_columns
from ..data.roles import StudyRoles
from ..errors import CXDataError
from ..scorecard import top_box_range
from .tables import NPS_GROUPS, ChurnTable, churn_spells, churn_table, nps_group_labels


def _span(low: float, high: float) -> str:
    text = [f"{x:g}" for x in (low, high)]
    return text[0] if low == high else f"{text[0]}–{text[1]}"


@dataclass(frozen=True)
class LoyaltyGroups:
    """How a study's customers are grouped by loyalty (see :func:`loyalty_groups`).

    Attributes
    ----------
    role : str
        ``"recommend"`` (NPS groups) or ``"satisfaction"``.
    column : str
        The survey column grouped.
    question : str
        Its label (question text).
    name : str
        What a group is called: ``"NPS group"`` or ``"satisfaction group"``.
    group_column : str
        The column the survival tables carry the group in (``"nps_group"`` or
        ``"satisfaction_group"``).
    levels : tuple of str
        The groups, most loyal first (the reference level of the churn models), least
        loyal last.
    bounds : dict of str to (float, float)
        Each group's points on the question's scale.
    plural : dict of str to str
        How a group's members are called in sentences and key figures ("detractors").
    """

    role: str
    column: str
    question: str
    name: str
    group_column: str
    levels: tuple[str, ...]
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    plural: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """The most loyal group (the models' reference)."""
        return self.levels[0]

    @property
    def lowest(self) -> str:
        """The least loyal group (the one whose churn is quoted)."""
        return self.levels[-1]

    @property
    def move(self) -> tuple[str, str, str]:
        """The revenue-at-risk scenario: the least loyal group moved one group up."""
        return (self.group_column, self.lowest, self.levels[-2])

    def members(self, level: str) -> str:
        """The members of a group, in words ("detractors")."""
        return self.plural.get(level, f"{level}s")

    def definition(self) -> str:
        """The groups and their points, e.g. ``"promoter 9–10, passive 7–8, detractor 0–6"``."""
        return ", ".join(f"{lv} {_span(*self.bounds[lv])}" for lv in self.levels)

    def assign(self, values: Any) -> pd.Series:
        """The group of each score, as a categorical with :attr:`levels` (missing stays missing)."""
        if self.role == "recommend":
            return nps_group_labels(values).rename(self.group_column)
        s = pd.to_numeric(pd.Series(values), errors="coerce")
        out = pd.Series(pd.NA, index=s.index, dtype="object")
        for level, (low, high) in self.bounds.items():
            out[(s >= low) & (s <= high)] = level
        return pd.Series(pd.Categorical(out, categories=list(self.levels)), index=s.index, name=self.group_column)


def loyalty_groups(roles: StudyRoles) -> LoyaltyGroups:
    """The loyalty groups of a study: NPS groups when it has a recommend question, else its
    satisfaction question grouped by its declared scale.

    Parameters
    ----------
    roles : StudyRoles
        From :func:`cxlib.study_roles`.

    Returns
    -------
    LoyaltyGroups
        Recommend (0–10): promoter 9–10, passive 7–8, detractor 0–6. Satisfaction, binary
        (0/1): satisfied (1), not satisfied (0). Satisfaction on a rating scale: satisfied =
        the scale's top box (:func:`cxlib.scorecard.top_box_range`), dissatisfied = a bottom
        box as wide (narrower when the scale is too short for both), neutral = the points
        between (when there are any).

    Raises
    ------
    CXDataError
        If the study has neither a recommend nor a satisfaction question, or the
        satisfaction question has no declared scale.

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> loyalty_groups(SYNTHETIC_ROLES).definition()
    'promoter 9–10, passive 7–8, detractor 0–6'
    >>> from cxlib.data.study import Scale
    >>> r = StudyRoles(title="t", roles={"survey": {"satisfaction": "sat"}}, scales={"sat": Scale(points=(1.0, 7.0))})
    >>> g = loyalty_groups(r)
    >>> g.definition(), g.move, g.members(g.lowest)
    ('satisfied 6–7, neutral 3–5, dissatisfied 1–2', ('satisfaction_group', 'dissatisfied', 'neutral'), \
'dissatisfied customers')
    >>> g.assign([7, 4, 1, None]).tolist()
    ['satisfied', 'neutral', 'dissatisfied', nan]
    """
    recommend = roles.column("recommend")
    if recommend is not None:
        return LoyaltyGroups(role="recommend", column=recommend, question=roles.label(recommend), name="NPS group",
                             group_column="nps_group", levels=NPS_GROUPS,
                             bounds={"promoter": (9.0, 10.0), "passive": (7.0, 8.0), "detractor": (0.0, 6.0)},
                             plural={lv: f"{lv}s" for lv in NPS_GROUPS})
    column = roles.column("satisfaction")
    if column is None:
        raise CXDataError("the study has neither a recommend nor a satisfaction question: no loyalty groups")
    points = roles.points(column)
    if points is None:
        raise CXDataError(f"the satisfaction column {column!r} has no declared scale; declare it in the study file "
                          "([scales.satisfaction] points = [1, 5], or values = {...} for text answers)")
    low, high = float(points[0]), float(points[1])
    top_low, _ = top_box_range((low, high))
    width = min(high - top_low + 1, top_low - low)  # the bottom box: as wide as the top, never overlapping it
    if high - low == 1:
        bounds = {"satisfied": (high, high), "not satisfied": (low, low)}
    else:
        bounds = {"satisfied": (top_low, high)}
        if top_low - 1 >= low + width:
            bounds["neutral"] = (low + width, top_low - 1)
        bounds["dissatisfied"] = (low, low + width - 1)
    return LoyaltyGroups(role="satisfaction", column=column, question=roles.label(column), name="satisfaction group",
                         group_column="satisfaction_group", levels=tuple(bounds), bounds=bounds,
                         plural={"not satisfied": "customers not satisfied",
                                 **{lv: f"{lv} customers" for lv in ("satisfied", "neutral", "dissatisfied")}})


#: Why a study cannot follow churn (the findings module says it in words).
CHURN_GAPS = ("no_customers", "no_dates", "no_response_date", "no_customer_id")


def churn_gap(customers: pd.DataFrame | None, roles: StudyRoles) -> str | None:
    """Why the study's churn cannot be followed from its survey responses, or ``None`` if it can.

    One of :data:`CHURN_GAPS`: no customers table (or an empty one), no signup or churn
    date role in it, no survey date role, no survey customer id.

    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> churn_gap(pd.DataFrame({"customer_id": [1]}), SYNTHETIC_ROLES) is None
    True
    >>> churn_gap(None, SYNTHETIC_ROLES)
    'no_customers'
    """
    if customers is None or not roles.has("customers") or customers.empty:
        return "no_customers"
    if roles.column("signup_date", "customers") is None or roles.column("churn_date", "customers") is None:
        return "no_dates"
    if roles.column("date") is None:
        return "no_response_date"
    if roles.column("customer_id") is None or roles.column("customer_id", "customers") is None:
        return "no_customer_id"
    return None


def _inputs(customers: pd.DataFrame, survey: pd.DataFrame, roles: StudyRoles,
            groups: LoyaltyGroups) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The customers (signup_date, churn_date, the revenue and segment roles) and the survey
    (response_id, customer_id, quarter, response_date, the loyalty question) in the column
    names :func:`cxlib.churn_table` reads; and the responses dropped for want of a customer."""
    gap = churn_gap(customers, roles)
    if gap is not None:
        raise CXDataError(f"the study cannot follow churn from its survey ({gap.replace('_', ' ')})")
    signup, churn = roles.column("signup_date", "customers"), roles.column("churn_date", "customers")
    check_columns(customers, ["customer_id", signup, churn], argument="customers")
    extra = [c for c in (roles.column("revenue", "customers"), *roles.columns("segments", "customers"))
             if c and c in customers.columns]
    cust = customers[["customer_id", *dict.fromkeys(c for c in extra if c not in (signup, churn))]].copy()
    cust["signup_date"], cust["churn_date"] = customers[signup].to_numpy(), customers[churn].to_numpy()
    date = roles.column("date")
    check_columns(survey, ["response_id", "customer_id", "quarter", date, groups.column], argument="survey")
    sv = pd.DataFrame({"response_id": survey["response_id"].to_numpy(), "customer_id": survey["customer_id"].to_numpy(),
                       "quarter": survey["quarter"].to_numpy(), "response_date": survey[date].to_numpy(),
                       groups.column: survey[groups.column].to_numpy()}, index=survey.index)
    linked = sv["customer_id"].isin(cust["customer_id"]).to_numpy()
    return cust, sv.loc[linked], int((~linked).sum())


def _with_groups(table: ChurnTable, customers: pd.DataFrame, groups: LoyaltyGroups, unlinked: int) -> ChurnTable:
    """The table with the loyalty group and the customers' revenue and segment columns."""
    d = table.data
    if groups.role != "recommend":
        d = d.drop(columns=["ltr", "nps_group"]).assign(**{groups.group_column: groups.assign(d["ltr"]).to_numpy()})
        d[groups.group_column] = pd.Categorical(d[groups.group_column], categories=list(groups.levels))
    missing = [c for c in customers.columns if c not in d.columns]
    if missing:
        attrs = customers.set_index("customer_id")[missing]
        d = d.join(attrs, on="customer_id")
    counts = {**table.counts, "responses_without_customer": unlinked}
    return ChurnTable(d, counts, table.as_of, table.unit, table.level)


def loyalty_churn_table(
    customers: pd.DataFrame,
    survey: pd.DataFrame,
    *,
    roles: StudyRoles,
    as_of: Any,
    responses: str = "first",
) -> ChurnTable:
    """One row per surveyed customer, followed from her first (or latest) response, with her
    loyalty group, from the columns the study's roles name.

    Parameters
    ----------
    customers : pandas.DataFrame
        The study's customers table (``customer_id`` and the ``signup_date``,
        ``churn_date``, ``revenue`` and ``segments`` roles of ``[roles.customers]``).
    survey : pandas.DataFrame
        The study's survey (``response_id``, ``customer_id``, ``quarter``, the ``date`` role
        and the loyalty question of :func:`loyalty_groups`). Responses of customers
        missing from ``customers`` are left out (counted in ``counts``).
    roles : StudyRoles
    as_of : date-like
        End of the follow-up (see :func:`cxlib.churn_table`).
    responses : {"first", "last"}
        Which response of each customer starts the clock and gives the group.

    Returns
    -------
    ChurnTable
        The columns of :func:`cxlib.churn_table` (duration in months), the loyalty group in
        ``groups.group_column`` (promoter / most loyal first), the revenue and segment
        columns of the customers table under their own names; ``counts`` adds
        ``responses_without_customer``.

    Raises
    ------
    CXDataError
        When the study cannot follow churn (:func:`churn_gap`), a role column is missing,
        or as :func:`cxlib.churn_table`.

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> cust = pd.DataFrame({"customer_id": [1, 2], "signup_date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                      "churn_date": pd.to_datetime(["2025-09-01", None]), "plan": ["a", "b"]})
    >>> sv = pd.DataFrame({"response_id": [1, 2, 3], "customer_id": [1, 1, 2], "quarter": ["2025Q1"] * 3,
    ...                    "response_date": pd.to_datetime(["2025-03-01", "2025-03-20", "2025-03-02"]),
    ...                    "ltr": [10, 3, 7]})
    >>> t = loyalty_churn_table(cust, sv, roles=SYNTHETIC_ROLES, as_of="2026-01-01")
    >>> t.data[["customer_id", "nps_group", "event", "plan"]].values.tolist()
    [[1, 'promoter', 1, 'a'], [2, 'passive', 0, 'b']]
    """
    check_choice(responses, ("first", "last"), argument="responses")
    groups = loyalty_groups(roles)
    cust, sv, unlinked = _inputs(customers, survey, roles, groups)
    one = sv.sort_values("response_date").drop_duplicates("customer_id", keep=responses)
    table = churn_table(cust, one, as_of=as_of, score=groups.column)
    return _with_groups(table, cust, groups, unlinked)


def loyalty_churn_spells(
    customers: pd.DataFrame,
    survey: pd.DataFrame,
    *,
    roles: StudyRoles,
    as_of: Any,
    journeys: pd.DataFrame | None = None,
    until: str = "quarter_end",
) -> ChurnTable:
    """Start/stop rows of every response (:func:`cxlib.churn_spells`) with the loyalty group
    of each response, from the columns the study's roles name.

    ``journeys`` (the synthetic journeys table: customer_id, timestamp, valence) adds the
    time-varying ``negative_episode``; other arguments as in :func:`loyalty_churn_table`.

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> cust = pd.DataFrame({"customer_id": [1], "signup_date": pd.to_datetime(["2025-01-01"]),
    ...                      "churn_date": pd.to_datetime(["2025-12-27"])})
    >>> sv = pd.DataFrame({"response_id": [10, 11], "customer_id": [1, 1], "quarter": ["2025Q1", "2025Q3"],
    ...                    "ltr": [9, 3], "response_date": pd.to_datetime(["2025-03-01", "2025-09-28"])})
    >>> loyalty_churn_spells(cust, sv, roles=SYNTHETIC_ROLES, as_of="2026-01-01").data["nps_group"].tolist()
    ['promoter', 'detractor']
    """
    groups = loyalty_groups(roles)
    cust, sv, unlinked = _inputs(customers, survey, roles, groups)
    table = churn_spells(cust, sv, as_of=as_of, journeys=journeys, until=until, score=groups.column)
    return _with_groups(table, cust, groups, unlinked)


def model_controls(table: Any, columns: Any, *, max_levels: int = 10) -> tuple[list[str], dict[str, Any] | None]:
    """Customer attributes usable as controls of a churn model, and their reference levels.

    A column is used when it is in the table, has between 2 and ``max_levels`` levels;
    its reference is its most frequent level (ties: the first in sorted order).

    >>> d = pd.DataFrame({"plan": ["basic", "standard", "standard", "premium"], "one": ["x"] * 4})
    >>> model_controls(d, ["plan", "one", None])
    (['plan'], {'plan': 'standard'})
    """
    d = table.data if isinstance(table, ChurnTable) else table
    used = [c for c in ([columns] if isinstance(columns, str) else list(columns or ())) if c is not None
            and c in d.columns and 1 < d[c].nunique() <= max_levels]
    if not used:
        return [], None
    reference = {}
    for c in used:
        counts = d[c].astype(str).value_counts()
        top = counts[counts == counts.max()].index
        level = sorted(top)[0]
        reference[c] = next(v for v in pd.unique(d[c].dropna()) if str(v) == level)
    return used, reference
