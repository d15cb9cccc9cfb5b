"""The quarterly CX scorecard: headline metrics with change vs the previous quarter,
trends, segment breakdowns and operational metrics, as tidy frames for notebooks
(their sentences and key figures are in :mod:`cxlib.report.findings.scorecard`).

Which columns are the outcomes, the weight and the churn dates comes from the study's
roles (:func:`cxlib.study_roles`; default the synthetic schema); which points make the
top box of a scale, from :func:`top_box_range`.

Everything here composes the estimators of :mod:`cxlib.metrics` and
:mod:`cxlib.helpdesk`; it adds no statistics of its own beyond collecting the
comparisons of several metrics into one table and correcting them together.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .churn.rates import customers_at_risk
from .core.checks import check_choice, check_columns, check_confidence_level
from .core.inference import adjust_p_values, significance
from .core.results import to_percent
from .crosstab import Crosstab, crosstab
from .data.calendar import previous_quarter, quarter_of
from .data.roles import SYNTHETIC_ROLES, StudyRoles
from .data.study import Scale, number_text
from .errors import CXDataError, SmallBaseWarning
from .grouping import by_group
from .helpdesk import (
    first_contact_resolution,
    first_response_time,
    reopen_rate,
    resolution_time,
)
from .metrics import ces, csat, nps, top_box

#: The outcome roles a scorecard reports, in order (each when the study has it).
SCORECARD_ROLES: tuple[str, ...] = ("recommend", "satisfaction", "effort")


@dataclass(frozen=True)
class ScorecardMetric:
    """One headline survey metric of a study: which column, which estimator, which label.

    Attributes
    ----------
    role : str
        ``"recommend"`` (NPS), ``"satisfaction"`` or ``"effort"``.
    column : str
        The survey column playing the role.
    label : str
        The metric's name in tables and key figures, with its definition where it is not
        the conventional one (``"CSAT top-3-box (8–10)"``, ``"Share satisfied (1 = yes)"``).
    unit : str
        ``"points"`` (NPS) or ``"%"`` (shares, reported in percent).
    metric : callable
        :func:`cxlib.nps`, :func:`cxlib.csat` or :func:`cxlib.ces`.
    kwargs : dict
        The estimator's keywords (``score``, and ``top``/``easy`` and ``scale`` for shares).
    question : str
        The column's label (question text).
    """

    role: str
    column: str
    label: str
    unit: str
    metric: Callable[..., Any]
    kwargs: dict[str, Any]
    question: str


def _points_count(points: tuple[float, float], what: str) -> int:
    low, high = float(points[0]), float(points[1])
    if not (low.is_integer() and high.is_integer()) or high <= low:
        raise CXDataError(f"{what}: a top box needs a scale of whole points, low < high; got {list(points)}")
    return int(high - low) + 1


def top_box_range(points: tuple[float, float], *, role: str = "satisfaction") -> tuple[float, float]:
    """The top box of a satisfaction or effort scale: the ``(low, high)`` points counted.

    Parameters
    ----------
    points : (low, high)
        The scale's end points, e.g. ``(1, 5)``; ``(0, 1)`` is a binary outcome.
    role : {"satisfaction", "effort"}
        Satisfaction: binary → the share of 1; a 2-point scale → its top point; up to 7
        points → the top 2 points; 8 to 11 points (1–10, 0–10) → the top 3. Effort ("easy"):
        binary → 1; up to 5 points → the top 2; 6 to 11 points → the top 3 (5–7 of 1–7).

    Raises
    ------
    CXDataError
        For a scale of more than 11 points (no top-box convention: declare a shorter scale
        or analyse the mean with :func:`cxlib.mean_score`), or one that is not whole points.

    Examples
    --------
    >>> top_box_range((0, 1)), top_box_range((1, 5)), top_box_range((1, 7)), top_box_range((0, 10))
    ((1.0, 1.0), (4.0, 5.0), (6.0, 7.0), (8.0, 10.0))
    >>> top_box_range((1, 7), role="effort"), top_box_range((1, 5), role="effort")
    ((5.0, 7.0), (4.0, 5.0))
    """
    check_choice(role, ("satisfaction", "effort"), argument="role")
    k = _points_count(points, f"the {role} scale")
    if k > 11:
        raise CXDataError(f"the {role} scale {list(points)} has {k} points; top boxes are defined for scales of up "
                          "to 11 points (declare the scale's points, or analyse the mean with cx.mean_score)")
    high = float(points[1])
    if k == 2:
        top = 1
    elif role == "satisfaction":
        top = 2 if k <= 7 else 3
    else:
        top = 2 if k <= 5 else 3
    return high - top + 1, high


def _span(low: float, high: float) -> str:
    return f"{number_text(float(low))}" if low == high else f"{number_text(float(low))}–{number_text(float(high))}"


def _one_text(scale: Scale | None) -> str | None:
    """The answer text coded 1 in a binary scale (its label, or the text mapped to 1)."""
    if scale is None:
        return None
    if 1.0 in scale.labels:
        return scale.labels[1.0]
    return next((text for text, code in scale.values.items() if code == 1.0), None)


def _share_metric(roles: StudyRoles, role: str, column: str) -> ScorecardMetric:
    points = roles.points(column)
    if points is None:
        raise CXDataError(f"the {role} column {column!r} has no declared scale; declare it in the study file "
                          f"([scales.{role}] points = [1, 5], or values = {{...}} for text answers)")
    low, high = top_box_range(points, role=role)
    name = "CSAT" if role == "satisfaction" else "CES easy"
    if tuple(points) == (0.0, 1.0):
        text = _one_text(roles.scale(column))
        label = f"Share {'satisfied' if role == 'satisfaction' else 'easy'} ({f'1 = {text}' if text else 'coded 1'})"
    elif role == "satisfaction":
        # top-2 of 1–5 (4–5) is the conventional CSAT: its label is the one the report's key
        # figures have always carried; every other scale says its box
        label = f"CSAT top-{int(high - low) + 1}-box" + ("" if tuple(points) == (1.0, 5.0) else f" ({_span(low, high)})")
    else:
        label = f"{name} ({_span(low, high)})"
    kwargs: dict[str, Any] = {"score": column, "scale": (float(points[0]), float(points[1]))}
    if role == "satisfaction":
        kwargs["top"] = int(high - low) + 1
    else:
        kwargs["easy"] = (low, high)
    return ScorecardMetric(role=role, column=column, label=label, unit="%",
                           metric=csat if role == "satisfaction" else ces, kwargs=kwargs, question=roles.label(column))


def scorecard_metric(roles: StudyRoles, role: str) -> ScorecardMetric:
    """The headline metric of one outcome role (see :func:`scorecard_metrics`).

    Raises
    ------
    CXDataError
        If the study has no column for ``role``, its scale is not declared (satisfaction,
        effort) or not 0–10 (recommend).
    """
    check_choice(role, SCORECARD_ROLES, argument="metric")
    column = roles.column(role)
    if column is None:
        have = [r for r in SCORECARD_ROLES if roles.column(r) is not None]
        raise CXDataError(f"the study has no {role!r} question; its outcome roles: {have}")
    if role != "recommend":
        return _share_metric(roles, role, column)
    points = roles.points(column)
    if points is not None and tuple(points) != (0.0, 10.0):
        raise CXDataError(f"NPS needs a 0–10 likelihood to recommend; the recommend column {column!r} is declared "
                          f"on {list(map(number_text, points))}")
    return ScorecardMetric(role=role, column=column, label="NPS", unit="points", metric=nps,
                           kwargs={"score": column}, question=roles.label(column))


def scorecard_metrics(roles: StudyRoles | None = None) -> list[ScorecardMetric]:
    """The headline survey metrics of a study: NPS when it has a ``recommend`` question, the
    satisfaction top box (or share satisfied) and the effort "easy" share, each when present.

    Parameters
    ----------
    roles : StudyRoles, optional
        From :func:`cxlib.study_roles`; default the synthetic schema
        (:data:`~cxlib.data.roles.SYNTHETIC_ROLES`).

    Returns
    -------
    list of ScorecardMetric
        In the order recommend, satisfaction, effort. The boxes follow
        :func:`top_box_range`.

    Examples
    --------
    >>> [m.label for m in scorecard_metrics()]
    ['NPS', 'CSAT top-2-box', 'CES easy (5–7)']
    """
    roles = SYNTHETIC_ROLES if roles is None else roles
    return [scorecard_metric(roles, role) for role in SCORECARD_ROLES if roles.column(role) is not None]


def _with_constant(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_all="all")


def _churn_columns(customers: pd.DataFrame | None, roles: StudyRoles) -> tuple[str, str] | None:
    """The customers' signup and churn date columns, when the study has both and the table has rows."""
    if customers is None or not roles.has("customers") or customers.empty:
        return None
    signup, churn = roles.column("signup_date", "customers"), roles.column("churn_date", "customers")
    return None if signup is None or churn is None else (signup, churn)


def _headline_groups(survey: pd.DataFrame, customers: pd.DataFrame | None, roles: StudyRoles, *,
                     quarter: str, prev: str, level: float, min_base: int) -> list[tuple[str, str, str, pd.DataFrame]]:
    """(label, unit, question, by_group table in the display scale) per headline metric."""
    two = survey[survey["quarter"].isin([prev, quarter])]
    weights = roles.column("weight")
    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)  # flagged in the table instead
        for m in scorecard_metrics(roles):
            g = by_group(_with_constant(two), m.metric, by="_all", period="quarter", compare="previous",
                         min_base=min_base, confidence_level=level, correction=None, weights=weights, **m.kwargs)
            frames.append((m.label, m.unit, m.question, to_percent(g) if m.unit == "%" else g))
        churn_columns = _churn_columns(customers, roles)
        if churn_columns is not None:
            signup, churn = churn_columns
            risk = customers_at_risk(customers, quarters=[prev, quarter], signup=signup, churn=churn)
            g = by_group(_with_constant(risk), top_box, by="_all", period="quarter", compare="previous",
                         min_base=min_base, confidence_level=level, correction=None,
                         score="churned", top=(1, 1), scale=(0, 1))
            frames.append(("Churn rate (quarterly)", "%", "", to_percent(g)))
    return frames


def headline_metrics(
    survey: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    quarter: str,
    roles: StudyRoles | None = None,
    confidence_level: float = 0.95,
    min_base: int = 30,
    correction: str | None = "fdr_bh",
) -> pd.DataFrame:
    """Headline metrics of a quarter, each with its change vs the previous quarter.

    The study's survey metrics (:func:`scorecard_metrics`: NPS in points when the study
    has a ``recommend`` question, the satisfaction top box and the effort "easy" share in
    percent), weighted by the ``weight`` role when there is one, and the quarterly churn
    rate (percent of customers at risk at the start of the quarter) when the customers
    table has ``signup_date`` and ``churn_date`` roles. Each change is the signed
    difference ``quarter − previous`` with its interval and two-sided test (NPS: Rocks
    2016; shares: unpooled Wald), and the p-values of the table are adjusted together
    (Benjamini–Hochberg by default). A quarter without a previous one (a one-wave study)
    has no change (``diff`` missing).

    Parameters
    ----------
    survey : DataFrame
        Survey responses with a ``quarter`` column.
    customers : DataFrame, optional
        One row per customer (for the churn rate).
    quarter : str
    roles : StudyRoles, optional
        Which columns are the outcomes and the weight (:func:`cxlib.study_roles`); default
        the synthetic schema (ltr, osat, ces, weight).
    confidence_level, min_base, correction

    Returns
    -------
    DataFrame
        One row per metric: ``metric, unit, question, estimate, ci_low, ci_high, n, n_eff,
        small_base, previous, previous_ci_low, previous_ci_high, previous_n, diff,
        diff_ci_low, diff_ci_high, p_value, p_adjusted, significant, method``.
    """
    level = check_confidence_level(confidence_level)
    roles = SYNTHETIC_ROLES if roles is None else roles
    prev = previous_quarter(quarter)
    check_columns(survey, ["quarter"], argument="survey")
    if (survey["quarter"] == quarter).sum() == 0:
        have = sorted(survey["quarter"].dropna().unique().tolist())
        raise CXDataError(f"no survey responses in quarter {quarter!r}; quarters present: {have}")
    rows = []
    for label, unit, question, g in _headline_groups(survey, customers, roles, quarter=quarter, prev=prev,
                                                     level=level, min_base=min_base):
        cur = g[g["quarter"] == quarter]
        old = g[g["quarter"] == prev]
        if cur.empty:
            continue
        rows.append(_headline_row(label, unit, question, cur.iloc[0], old.iloc[0] if not old.empty else None,
                                  quarter=quarter, prev=prev))
    out = pd.DataFrame(rows)
    p = out["p_value"].to_numpy(dtype=float)
    out["p_adjusted"] = adjust_p_values(p, correction)
    out["significant"] = significance(out["p_adjusted"], level)
    out["confidence_level"] = level
    out["min_base"] = min_base
    return out


def _headline_row(label: str, unit: str, question: str, c: pd.Series, o: pd.Series | None, *,
                  quarter: str, prev: str) -> dict[str, Any]:
    return {
        "metric": label, "unit": unit, "quarter": quarter,
        "estimate": c["estimate"], "ci_low": c["ci_low"], "ci_high": c["ci_high"],
        "n": int(c["n"]), "n_eff": float(c.get("n_eff", c["n"])), "small_base": bool(c["small_base"]),
        "previous_quarter": prev,
        "previous": np.nan if o is None else o["estimate"],
        "previous_ci_low": np.nan if o is None else o["ci_low"],
        "previous_ci_high": np.nan if o is None else o["ci_high"],
        "previous_n": 0 if o is None else int(o["n"]),
        "previous_small_base": True if o is None else bool(o["small_base"]),
        "diff": c.get("diff", np.nan), "diff_ci_low": c.get("diff_ci_low", np.nan),
        "diff_ci_high": c.get("diff_ci_high", np.nan), "p_value": c.get("p_value", np.nan),
        "method": c["method"], "question": question,
    }


def _resolve(metric: Any, roles: StudyRoles | None, metric_kwargs: dict[str, Any],
             percent: bool | None) -> tuple[Any, dict[str, Any], bool]:
    """The estimator, its keywords (the weight role unless ``weights`` is given) and whether
    the result is shown in percent, for a cxlib metric or an outcome role name."""
    roles = SYNTHETIC_ROLES if roles is None else roles
    base = {"weights": roles.column("weight")}
    if isinstance(metric, str) and metric in SCORECARD_ROLES:
        metric = scorecard_metric(roles, metric)
    if isinstance(metric, ScorecardMetric):
        pct = metric.unit == "%" if percent is None else percent
        return metric.metric, {**base, **metric.kwargs, **metric_kwargs}, pct
    pct = (getattr(metric, "__name__", str(metric)) not in ("nps", "mean_score")) if percent is None else percent
    return metric, {**base, **metric_kwargs}, pct


def metric_trend(survey: pd.DataFrame, metric: Any, *, quarters: Sequence[str] | None = None,
                 by: str | None = None, roles: StudyRoles | None = None, confidence_level: float = 0.95,
                 min_base: int = 30, percent: bool | None = None, **metric_kwargs: Any) -> pd.DataFrame:
    """A metric per quarter (and per ``by`` group), with intervals and small-base flags.

    ``metric`` is an outcome role (``"recommend"``, ``"satisfaction"``, ``"effort"``: the
    study's column and box, see :func:`scorecard_metrics`) or a cxlib metric (``cx.nps``
    …, with its keywords). Weights are the ``roles``' weight column (default the synthetic
    ``weight``) unless ``weights=`` is given. Shares are returned in percent unless
    ``percent=False`` (NPS is already in points).
    """
    func, kwargs, pct = _resolve(metric, roles, metric_kwargs, percent)
    data = survey if quarters is None else survey[survey["quarter"].isin(list(quarters))]
    keys = ["quarter"] if by is None else [by, "quarter"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        g = by_group(data, func, by=keys, min_base=min_base, confidence_level=confidence_level, **kwargs)
    return to_percent(g) if pct else g


#: :func:`segment_breakdown`'s correction names (those of
#: :func:`cxlib.core.inference.adjust_p_values`) as :func:`cxlib.crosstab` spells them.
_CROSSTAB_CORRECTIONS = {"fdr_bh": "bh", "bonferroni": "bonferroni", "holm": "holm", None: "none"}


def _box_levels(box: Any, scale: tuple[float, float]) -> tuple[int, ...]:
    """The whole scale points of a top box given as ``(low, high)`` or a threshold."""
    low, high = (box, scale[1]) if np.isscalar(box) else (box[0], box[1])
    return tuple(int(v) for v in np.arange(np.ceil(float(low)), np.floor(float(high)) + 1))


def _letters_question(func: Any, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The :func:`cxlib.crosstab` keywords (``stat``, ``nets``, ``scale``) that estimate the same
    metric as ``func(**kwargs)``, and its score column."""
    name = getattr(func, "__name__", str(func))
    defaults = {"nps": "ltr", "csat": "osat", "ces": "ces"}
    score = kwargs.get("score", defaults.get(name))
    if name == "nps":
        return score, {"stat": "nps"}
    if name == "mean_score":
        return score, {"stat": "mean", "scale": kwargs.get("scale")}
    if name in ("csat", "ces", "top_box"):
        scale = kwargs.get("scale", {"csat": (1, 5), "ces": (1, 7)}.get(name))
        if scale is None:
            raise CXDataError(f"significance letters for {name} need its `scale` (low, high)")
        scale = (float(scale[0]), float(scale[1]))
        if name == "csat":
            top = int(kwargs.get("top", 2))
            box = (scale[1] - top + 1, scale[1])
        else:
            box = kwargs.get("easy", (5, 7)) if name == "ces" else kwargs.get("top")
        return score, {"stat": "nets", "nets": {score: {"top box": _box_levels(box, scale)}},
                       "scale": scale}
    raise CXDataError(f"significance letters are defined for cx.nps, cx.csat, cx.ces, cx.top_box and "
                      f"cx.mean_score (or an outcome role); got {name!r}")


def segment_crosstab(survey: pd.DataFrame, metric: Any, *, quarter: str, by: str,
                     roles: StudyRoles | None = None, confidence_level: float = 0.95, min_base: int = 30,
                     correction: str | None = "fdr_bh", **metric_kwargs: Any) -> Crosstab:
    """The segments of one quarter compared pairwise: the banner table :func:`cxlib.crosstab`
    gives for the metric's question by ``by``, with its significance letters.

    Every pair of segments is tested once (two-sample NPS z-test for NPS, the pooled
    column-proportion z-test for top-box shares, Welch's t-test for means; two-sided), on
    the Kish effective base when weighted; the p-values of the pairs are adjusted together
    (``correction``, Benjamini–Hochberg by default); a segment gets the letter of each
    segment it is significantly higher than. Segments whose (effective) base is below
    ``min_base`` are neither tested nor tested against. The tests are those of
    :mod:`cxlib.crosstab.significance` — this function only translates the metric
    into the banner table's question (see :func:`cxlib.crosstab` for the formulas).

    Parameters
    ----------
    survey : DataFrame
        Survey responses with a ``quarter`` column.
    metric
        An outcome role (``"recommend"``, ``"satisfaction"``, ``"effort"``) or one of
        :func:`cxlib.nps`, :func:`cxlib.csat`, :func:`cxlib.ces`, :func:`cxlib.top_box`,
        :func:`cxlib.mean_score` with its keywords (``score``, ``top``/``easy``,
        ``scale``, ``missing``), as in :func:`segment_breakdown`.
    quarter, by, roles, confidence_level, min_base
        As in :func:`segment_breakdown`; weights are the roles' weight column unless
        ``weights=`` is given.
    correction : {"fdr_bh", "bonferroni", "holm", None}
        The adjustment of the pairs' p-values.

    Returns
    -------
    Crosstab
        One table row (the metric: ``"NPS"``, the ``"top box"`` net or ``"mean"``) by the
        Total and the segments; ``.table["higher_than"]`` holds the letters and ``.tests``
        one row per pair with its adjusted p-value.

    References
    ----------
    Rocks, B. (2016). *The American Statistician* 70(4), 365–372 (two NPS).
    Agresti, A. (2013). *Categorical Data Analysis*, §2.1 (two proportions).
    Welch, B. L. (1947). *Biometrika* 34, 28–35.
    Benjamini, Y. & Hochberg, Y. (1995). *JRSS B* 57, 289–300.

    Examples
    --------
    60 of 100 business and 40 of 100 economy passengers in the top box (4–5 of 1–5):

    >>> import pandas as pd, cxlib as cx
    >>> s = pd.DataFrame({"quarter": "2025Q4", "cls": ["Business"] * 100 + ["Economy"] * 100,
    ...                   "sat": [5] * 60 + [2] * 40 + [4] * 40 + [1] * 60})
    >>> ct = cx.segment_crosstab(s, cx.csat, quarter="2025Q4", by="cls", score="sat", weights=None)
    >>> ct.table[["column", "letter", "estimate", "higher_than"]].iloc[1:].values.tolist()
    [['Business', 'A', 60.0, 'B'], ['Economy', 'B', 40.0, '']]
    """
    check_choice(correction, tuple(_CROSSTAB_CORRECTIONS), argument="correction")
    func, kwargs, _ = _resolve(metric, roles, metric_kwargs, None)
    score, spec = _letters_question(func, kwargs)
    data = survey[survey["quarter"] == quarter]
    if data.empty:
        raise CXDataError(f"no survey responses in quarter {quarter!r}")
    check_columns(data, [score, by], argument="survey")
    missing = kwargs.get("missing") or ()
    if len(missing):  # declared missing codes are no answer, as the metric treats them
        data = data.assign(**{score: data[score].where(~data[score].isin(list(missing)))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)  # flagged in the table instead
        return crosstab(data, score, by, weights=kwargs.get("weights"), test="pairwise",
                        correction=_CROSSTAB_CORRECTIONS[correction], min_base=min_base,
                        confidence_level=confidence_level, **spec)


def segment_breakdown(survey: pd.DataFrame, metric: Any, *, quarter: str, by: str,
                      roles: StudyRoles | None = None, confidence_level: float = 0.95, min_base: int = 30,
                      correction: str | None = "fdr_bh", percent: bool | None = None,
                      **metric_kwargs: Any) -> pd.DataFrame:
    """A metric per segment in one quarter, each segment tested against the rest
    (Benjamini–Hochberg across segments), with the significance letters of the pairwise
    comparisons; small bases flagged and not tested.

    ``metric``, ``roles`` and weights as in :func:`metric_trend`. The columns ``letter``
    (the segment's letter, A, B, C … in the segments' order) and ``higher_than`` (the
    letters of the segments it is significantly higher than, e.g. ``"BC"``) come from
    :func:`segment_crosstab` — the same pairwise tests, effective base, correction and
    letters as :func:`cxlib.crosstab`; both are missing for a metric other than NPS, a
    top box or a mean.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> s = pd.DataFrame({"quarter": "2025Q4", "cls": ["Business"] * 100 + ["Economy"] * 100,
    ...                   "sat": [5] * 60 + [2] * 40 + [4] * 40 + [1] * 60})
    >>> b = cx.segment_breakdown(s, cx.csat, quarter="2025Q4", by="cls", score="sat", weights=None)
    >>> b[["cls", "estimate", "n", "letter", "higher_than"]].values.tolist()
    [['Business', 60.0, 100, 'A', 'B'], ['Economy', 40.0, 100, 'B', '']]
    """
    func, kwargs, pct = _resolve(metric, roles, metric_kwargs, percent)
    data = survey[survey["quarter"] == quarter]
    if data.empty:
        raise CXDataError(f"no survey responses in quarter {quarter!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        g = by_group(data, func, by=by, compare="rest", min_base=min_base,
                     confidence_level=confidence_level, correction=correction, **kwargs)
    g = to_percent(g) if pct else g
    letters: dict[Any, tuple[Any, Any]] = {}
    try:
        _letters_question(func, kwargs)
    except CXDataError:
        pass  # a metric without a pairwise test: no letters
    else:
        ct = segment_crosstab(survey, func, quarter=quarter, by=by, confidence_level=confidence_level,
                              min_base=min_base, correction=correction, **kwargs)
        cells = ct.table[ct.table["banner"] == by]
        letters = dict(zip(cells["column"], zip(cells["letter"], cells["higher_than"])))
    g["letter"] = [letters.get(v, (pd.NA, pd.NA))[0] for v in g[by]]
    g["higher_than"] = [letters.get(v, (pd.NA, pd.NA))[1] for v in g[by]]
    return g


def _ticket_columns(roles: StudyRoles) -> dict[str, str | None]:
    """The tickets table's columns per role (``None`` where the study has none)."""
    return {role: roles.column(role, "tickets") for role in ("opened", "first_response", "resolved", "reopens",
                                                              "contacts")}


def quarter_tickets(tickets: pd.DataFrame, *, quarter: str, roles: StudyRoles | None = None) -> pd.DataFrame:
    """The tickets opened in ``quarter``: those whose ``opened`` role's date (the synthetic
    ``created_at``) falls in it.

    Raises
    ------
    CXDataError
        If the study has no ``opened`` column in its tickets roles, or the table lacks it.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> t = pd.DataFrame({"created_at": pd.to_datetime(["2026-06-30 23:00", "2026-07-01 08:00"])})
    >>> len(cx.quarter_tickets(t, quarter="2026Q3"))
    1
    """
    roles = SYNTHETIC_ROLES if roles is None else roles
    opened = roles.column("opened", "tickets")
    if opened is None:
        raise CXDataError("the study's tickets have no `opened` column; declare it in [roles.tickets] opened = ...")
    check_columns(tickets, [opened], argument="tickets")
    return tickets[(quarter_of(tickets[opened]) == quarter).to_numpy(dtype=bool)]


def operational_metrics(tickets: pd.DataFrame, *, quarter: str, roles: StudyRoles | None = None,
                        confidence_level: float = 0.95, min_base: int = 30) -> pd.DataFrame:
    """Helpdesk metrics of the tickets opened in ``quarter``, one row each.

    Reopen rate and first-contact resolution (percent, Wilson intervals), median and p90
    first-response and full-resolution times (hours, distribution-free order-statistic
    intervals). See :mod:`cxlib.helpdesk` for the exact definitions. The columns are the
    study's tickets roles (:func:`cxlib.study_roles`; default the synthetic schema):
    ``opened`` (creation time; its quarter selects the tickets), ``first_response``,
    ``resolved`` (the last solve: a ticket is solved when it is present), ``reopens`` and
    ``contacts`` (customer contacts on the ticket). A metric whose columns the study does
    not have is left out (first-contact resolution needs ``contacts``).

    Returns
    -------
    DataFrame
        One row per metric: ``metric, unit, estimate, ci_low, ci_high, n, small_base,
        quarter, confidence_level``.
    """
    roles = SYNTHETIC_ROLES if roles is None else roles
    cols = _ticket_columns(roles)
    t = quarter_tickets(tickets, quarter=quarter, roles=roles)
    if t.empty:
        raise CXDataError(f"no tickets opened in quarter {quarter!r}")
    opts = {"confidence_level": confidence_level, "min_base": min_base}
    rows = []
    shares = []
    if cols["reopens"] and cols["resolved"]:
        shares.append(("Reopen rate", reopen_rate(t, reopen_count=cols["reopens"], resolved=cols["resolved"], **opts)))
    if cols["contacts"] and cols["resolved"]:
        shares.append(("First-contact resolution", first_contact_resolution(t, contacts=cols["contacts"],
                                                                            resolved=cols["resolved"], **opts)))
    for label, res in shares:
        f = res.to_frame().iloc[0]
        rows.append({"metric": label, "unit": "%", "estimate": 100 * f["estimate"], "ci_low": 100 * f["ci_low"],
                     "ci_high": 100 * f["ci_high"], "n": int(f["n"]), "small_base": bool(f["small_base"])})
    times = []
    if cols["first_response"]:
        times.append(("First response time", first_response_time(t, created=cols["opened"],
                                                                 first_response=cols["first_response"], **opts)))
    if cols["resolved"]:
        times.append(("Full resolution time", resolution_time(t, kind="full", created=cols["opened"],
                                                              resolved=cols["resolved"], **opts)))
    for label, res in times:
        for _, f in res.to_frame().iterrows():
            q = "median" if f["quantile"] == 0.5 else f"p{int(round(100 * f['quantile']))}"
            rows.append({"metric": f"{label}, {q}", "unit": "hours", "estimate": f["estimate"],
                         "ci_low": f["ci_low"], "ci_high": f["ci_high"], "n": int(f["n"]),
                         "small_base": bool(f["small_base"])})
    out = pd.DataFrame(rows, columns=["metric", "unit", "estimate", "ci_low", "ci_high", "n", "small_base"])
    out["quarter"] = quarter
    out["confidence_level"] = confidence_level
    return out
