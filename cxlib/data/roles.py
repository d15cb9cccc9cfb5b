"""Which column plays which part: the roles, labels and scales a notebook reads instead of
the synthetic data's column names.

A dataset imported from a study file (:func:`cxlib.import_study`) keeps its source's column
ids and describes them in ``study.json``; the synthetic dataset (:func:`cxlib.synthesize`)
has fixed columns, described once here as :data:`SYNTHETIC_ROLES`. :func:`study_roles` gives
either as a :class:`StudyRoles`, so that an analysis asks for ``roles.column("recommend")``
(``"ltr"`` in the synthetic data, ``None`` when the study has no recommend question) rather
than assuming a column name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CXDataError
from .study import LIST_ROLES, ROLES, Scale

if TYPE_CHECKING:  # the container is only read here
    from .schema import CXData


@dataclass(frozen=True)
class StudyRoles:
    """The roles, labels and scales of a dataset's columns (see :func:`study_roles`).

    Attributes
    ----------
    title : str
        The study's title.
    roles : dict of str to dict
        Table -> role -> column (a tuple of columns for ``drivers`` and ``segments``), with
        the columns as they are in the dataset (e.g. the imported survey's ``response_id``
        and pseudonymised ``customer_id``). Valid roles per table: ``cxlib.data.study.ROLES``.
    labels : dict of str to str
        Column -> label (the question text); a column without one is its own label.
    scales : dict of str to Scale
        Column -> declared scale (:class:`cxlib.data.study.Scale`: points, missing codes,
        value labels, text values).
    tables : tuple of str
        The tables the dataset has (``"survey"`` always).
    quarters : tuple of str
        The survey's quarters (waves), in order.

    Examples
    --------
    >>> r = StudyRoles(title="t", roles={"survey": {"satisfaction": "sat", "segments": ("Class",)}},
    ...                labels={"sat": "Overall satisfaction"}, scales={"sat": Scale(points=(0.0, 1.0))},
    ...                tables=("survey",), quarters=("2025Q4",))
    >>> r.column("satisfaction"), r.column("recommend"), r.columns("segments")
    ('sat', None, ['Class'])
    >>> r.label("sat"), r.label("Class"), r.points("sat"), r.has("customers")
    ('Overall satisfaction', 'Class', (0.0, 1.0), False)
    """

    title: str
    roles: dict[str, dict[str, Any]]
    labels: dict[str, str] = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=dict)
    tables: tuple[str, ...] = ("survey",)
    quarters: tuple[str, ...] = ()

    def _declared(self, role: str, table: str) -> Any:
        if table not in ROLES:
            raise CXDataError(f"`table`={table!r} is not a study table; valid: {list(ROLES)}")
        if role not in ROLES[table]:
            raise CXDataError(f"`role`={role!r} is not a role of the {table} table; valid: {list(ROLES[table])}")
        return self.roles.get(table, {}).get(role)

    def column(self, role: str, table: str = "survey") -> str | None:
        """The column playing ``role`` in ``table``, or ``None`` when the study has none.

        Raises
        ------
        CXDataError
            If ``role`` is not a role of ``table``, or is a list role (``drivers``,
            ``segments``: use :meth:`columns`).

        Examples
        --------
        >>> SYNTHETIC_ROLES.column("recommend"), SYNTHETIC_ROLES.column("revenue", "customers")
        ('ltr', 'monthly_revenue')
        """
        if role in LIST_ROLES:
            raise CXDataError(f"`role`={role!r} names a list of columns; use .columns({role!r}, table={table!r})")
        value = self._declared(role, table)
        return None if value is None else str(value)

    def columns(self, role: str, table: str = "survey") -> list[str]:
        """The columns playing ``role`` in ``table`` (a list; empty when the study has none).

        Examples
        --------
        >>> SYNTHETIC_ROLES.columns("segments"), SYNTHETIC_ROLES.columns("weight")
        (['plan', 'country'], ['weight'])
        """
        value = self._declared(role, table)
        if value is None:
            return []
        return [str(value)] if isinstance(value, str) else [str(v) for v in value]

    def label(self, column: str) -> str:
        """The column's label (question text), or the column id when it has none.

        Examples
        --------
        >>> SYNTHETIC_ROLES.label("osat"), SYNTHETIC_ROLES.label("plan")
        ('Overall satisfaction (1–5)', 'plan')
        """
        return self.labels.get(column) or str(column)

    def scale(self, column: str) -> Scale | None:
        """The column's declared scale, or ``None``."""
        return self.scales.get(column)

    def points(self, column: str) -> tuple[float, float] | None:
        """The column's declared scale points ``(low, high)``, or ``None``.

        Examples
        --------
        >>> SYNTHETIC_ROLES.points("ces"), SYNTHETIC_ROLES.points("plan")
        ((1.0, 7.0), None)
        """
        scale = self.scales.get(column)
        return None if scale is None or scale.points is None else tuple(scale.points)

    def has(self, table: str) -> bool:
        """Whether the dataset has ``table`` (``"customers"``, ``"tickets"`` …).

        Examples
        --------
        >>> SYNTHETIC_ROLES.has("tickets"), SYNTHETIC_ROLES.has("transactions")
        (True, False)
        """
        return table in self.tables


_DRIVER_LABELS = {
    "product_quality": "Product quality", "reliability": "Reliability", "ease_of_use": "Ease of use",
    "value_for_money": "Value for money", "support": "Support", "billing_clarity": "Billing clarity",
    "onboarding": "Onboarding", "communication": "Communication",
}

#: The synthetic dataset's schema as roles (``data/README.md``): ltr 0–10, osat 1–5, ces
#: 1–7 (7 = very easy), eight drivers 1–5 (5 = best), segments plan and country, the
#: post-stratification weight; customers, tickets, touchpoints and journeys.
SYNTHETIC_ROLES = StudyRoles(
    title="Synthetic CX dataset",
    roles={
        "survey": {"respondent_id": "response_id", "customer_id": "customer_id", "date": "response_date",
                   "recommend": "ltr", "satisfaction": "osat", "effort": "ces",
                   "drivers": tuple(_DRIVER_LABELS), "segments": ("plan", "country"), "weight": "weight",
                   "comment": "comment"},
        "customers": {"customer_id": "customer_id", "signup_date": "signup_date", "churn_date": "churn_date",
                      "revenue": "monthly_revenue", "segments": ("plan", "country", "acquisition_channel")},
        "tickets": {"ticket_id": "ticket_id", "customer_id": "customer_id", "opened": "created_at",
                    "first_response": "first_response_at", "resolved": "resolved_at", "reopens": "reopen_count",
                    "contacts": "contacts", "channel": "channel"},
        "touchpoints": {"touchpoint_id": "tp_response_id", "customer_id": "customer_id", "date": "date",
                        "touchpoint": "touchpoint", "channel": "channel", "csat": "csat", "ticket_id": "ticket_id"},
        "journeys": {"event_id": "event_id", "customer_id": "customer_id", "timestamp": "timestamp",
                     "stage": "stage", "touchpoint": "touchpoint", "channel": "channel", "valence": "valence"},
    },
    labels={"ltr": "Likelihood to recommend (0–10)", "osat": "Overall satisfaction (1–5)",
            "ces": "Ease of getting things done (1–7, 7 = very easy)", "csat": "Touchpoint satisfaction (1–5)",
            **_DRIVER_LABELS},
    scales={"ltr": Scale(points=(0.0, 10.0)), "osat": Scale(points=(1.0, 5.0)), "ces": Scale(points=(1.0, 7.0)),
            "csat": Scale(points=(1.0, 5.0)), **{d: Scale(points=(1.0, 5.0)) for d in _DRIVER_LABELS}},
    tables=("customers", "survey", "touchpoints", "tickets", "journeys"),
)

#: Columns the import adds to the survey, standing for the roles they come from.
_ADDED = {"respondent_id": "response_id", "customer_id": "customer_id"}


def _scale(raw: dict[str, Any] | None) -> Scale | None:
    if raw is None:
        return None
    points = raw.get("points")
    return Scale(points=None if points is None else (float(points[0]), float(points[1])),
                 missing=tuple(float(m) if isinstance(m, (int, float)) else m for m in raw.get("missing", ())),
                 labels={float(k): str(v) for k, v in raw.get("labels", {}).items()},
                 values={str(k): float(v) for k, v in raw.get("values", {}).items()})


def roles_from_study(study: dict[str, Any]) -> StudyRoles:
    """The :class:`StudyRoles` of an imported dataset, from the content of its ``study.json``.

    The survey's ``respondent_id`` and ``customer_id`` roles point to the columns the import
    adds (``response_id`` and the pseudonymised ``customer_id``); every other role keeps the
    source's column id. Labels and scales are the resolved ones of ``study.json``'s
    ``columns`` (the survey's win when another table has a column of the same name).

    Examples
    --------
    >>> doc = {"title": "Airline", "tables": ["survey"], "quarters": ["2025Q4"],
    ...        "roles": {"survey": {"respondent_id": "id", "satisfaction": "sat", "drivers": ["Seat"]}},
    ...        "columns": {"survey": {"sat": {"label": "Satisfied?", "role": "satisfaction",
    ...                               "scale": {"points": [0, 1], "missing": [], "labels": {}, "values": {}}}}}}
    >>> r = roles_from_study(doc)
    >>> r.column("respondent_id"), r.columns("drivers"), r.label("sat"), r.points("sat")
    ('response_id', ['Seat'], 'Satisfied?', (0.0, 1.0))
    """
    roles: dict[str, dict[str, Any]] = {}
    for table, declared in study.get("roles", {}).items():
        roles[table] = {role: tuple(value) if isinstance(value, list) else value for role, value in declared.items()}
        if table == "survey":
            roles[table].update({r: c for r, c in _ADDED.items() if r in declared})
    labels: dict[str, str] = {}
    scales: dict[str, Scale] = {}
    for table in sorted(study.get("columns", {}), key=lambda t: t != "survey"):
        for col, info in study["columns"][table].items():
            labels.setdefault(col, str(info.get("label") or col))
            if (scale := _scale(info.get("scale"))) is not None:
                scales.setdefault(col, scale)
    return StudyRoles(title=str(study.get("title") or "Study"), roles=roles, labels=labels, scales=scales,
                      tables=tuple(study.get("tables", ("survey",))), quarters=tuple(study.get("quarters", ())))


def study_roles(data: CXData) -> StudyRoles:
    """The roles of a dataset's columns: the imported study's, or the synthetic schema's.

    Parameters
    ----------
    data : CXData
        From :func:`cxlib.load_dataset` (an imported study carries its ``study.json`` in
        ``data.study``) or :func:`cxlib.synthesize`.

    Returns
    -------
    StudyRoles
        For an imported study, its roles, labels, scales, tables and quarters
        (:func:`roles_from_study`); otherwise :data:`SYNTHETIC_ROLES` with the survey's
        quarters.

    Raises
    ------
    CXDataError
        If ``data`` is not a :class:`~cxlib.data.schema.CXData`.

    Examples
    --------
    >>> import cxlib as cx
    >>> roles = cx.study_roles(cx.synthesize(seed=1, n_customers=300, quarters=2))
    >>> roles.column("satisfaction"), roles.quarters
    ('osat', ('2026Q2', '2026Q3'))
    """
    study = getattr(data, "study", None)
    if not hasattr(data, "survey"):
        raise CXDataError(f"`data` must be a CXData (from cx.load_dataset or cx.synthesize), got {type(data).__name__}")
    if study is not None:
        return roles_from_study(study)
    survey = data.survey
    quarters = tuple(sorted(survey["quarter"].dropna().unique().tolist())) if "quarter" in survey else ()
    return dataclasses.replace(SYNTHETIC_ROLES, quarters=quarters)
