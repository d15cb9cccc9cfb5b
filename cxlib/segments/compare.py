"""Segments compared: survey metrics and churn per segment, and membership against a group.

:func:`segment_scorecard` runs :func:`cxlib.by_group` with ``compare="rest"`` for several
metrics and adjusts all of its tests as one family; :func:`segment_outcomes` is the
scorecard of notebook 04 (NPS, CSAT, CES and churn, shares in percent);
:func:`segment_association` tests whether segment membership depends on a grouping
column (e.g. country).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import check_columns, check_confidence_level, check_frame
from ..core.inference import adjust_p_values, significance
from ..core.results import SCALED_COLUMNS, to_percent
from ..errors import CXDataError, SmallBaseWarning
from ..grouping import by_group
from ..scorecard import scorecard_metrics

#: Outcome labels and units of :func:`segment_outcomes`: metric name -> (label, unit).
SEGMENT_OUTCOMES: dict[str, tuple[str, str]] = {
    "nps": ("NPS", "points"),
    "csat": ("CSAT top-2-box", "%"),
    "ces": ("CES easy (5–7)", "%"),
    "churn": ("Churn next quarter", "%"),
}


def _adjust_across(card: pd.DataFrame, level: float) -> pd.DataFrame:
    """One Benjamini-Hochberg family over every tested cell of ``card`` (in place)."""
    card["p_adjusted"] = adjust_p_values(card["p_value"].to_numpy(dtype=float), "fdr_bh")
    card["significant"] = significance(card["p_adjusted"].to_numpy(), level)
    return card


def segment_scorecard(
    data: pd.DataFrame,
    *,
    by: str,
    metrics: Sequence[Any] = ("nps", "csat", "ces"),
    weights: str | Sequence[float] | None = None,
    min_base: float = 30,
    confidence_level: float = 0.95,
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Survey metrics per segment, each segment tested against the rest, BH across the card.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, with the segment column and the metrics' score columns
        (by default ``ltr``, ``osat``, ``ces``).
    by : str
        Segment column (e.g. the labels of :func:`attitudinal_segments` or an RFM segment).
    metrics : sequence, default ("nps", "csat", "ces")
        Metric names or functions accepted by :func:`cxlib.by_group`.
    weights : str or array-like, optional
        Survey weights, passed to every metric.
    min_base : float, default 30
        Segments below it are flagged ``small_base`` and not tested.
    confidence_level : float, default 0.95
        Level of the intervals; ``significant`` is ``p_adjusted < 1 - confidence_level``.
    metric_options : dict, optional
        Extra keyword arguments per metric name, e.g. ``{"csat": {"score": "csat"}}``.

    Returns
    -------
    pandas.DataFrame
        ``metric`` followed by the :func:`cxlib.by_group` table of each metric with
        ``compare="rest"`` (the ``by`` column, ``estimate, ci_low, ci_high, n``,
        ``small_base, min_base``, ``diff`` vs the rest, ``p_value``, ``p_adjusted``,
        ``significant``...), stacked.

    Raises
    ------
    CXDataError
        Missing columns, unknown metrics, bad options (from :func:`cxlib.by_group`).

    Notes
    -----
    Each row is ``cx.by_group(data, metric, by=by, compare="rest")`` -- a segment
    against all respondents outside it (NPS: z test with the Rocks 2016 variance; shares:
    z; means: Welch t; see :func:`cxlib.by_group`). Unlike a single ``by_group`` table,
    the Benjamini-Hochberg adjustment runs over *all* tested cells of the scorecard
    (metrics x segments) as one family.

    References
    ----------
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*
    57(1), 289-300.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 5 + ["b"] * 5, "ltr": [10, 9, 8, 7, 3, 10, 6, 6, 9, 2]})
    >>> card = cx.segment_scorecard(df, by="seg", metrics=["nps"], min_base=3)
    >>> card[["metric", "seg", "estimate", "n"]]
      metric seg  estimate  n
    0    nps   a      20.0  5
    1    nps   b     -20.0  5
    """
    data = check_frame(data)
    check_columns(data, [by], argument="by")
    level = check_confidence_level(confidence_level)
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise CXDataError("`metrics` must list at least one metric, e.g. ('nps', 'csat', 'ces')")
    options = dict(metric_options or {})
    tables = []
    for metric in metrics:
        name = metric if isinstance(metric, str) else getattr(metric, "__name__", str(metric))
        kwargs = dict(options.pop(name, {}))
        if weights is not None:
            kwargs.setdefault("weights", weights)
        t = by_group(data, metric, by=by, min_base=min_base, compare="rest", correction=None,
                     confidence_level=level, **kwargs)
        t.insert(0, "metric", name)
        tables.append(t)
    if options:
        raise CXDataError(
            f"`metric_options` has options for {sorted(options)} which are not in `metrics`={metrics}"
        )
    return _adjust_across(pd.concat(tables, ignore_index=True), level)


def segment_outcomes(
    survey: pd.DataFrame,
    *,
    by: str,
    churn: pd.DataFrame | None = None,
    metrics: Sequence[Any] | None = None,
    weights: str | None = "weight",
    min_base: float = 30,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """NPS, CSAT, CES and churn per segment, each segment against the rest, BH across all.

    Parameters
    ----------
    survey : pandas.DataFrame
        This wave's respondents with the ``by`` column and the metrics' score columns
        (by default ``ltr``, ``osat``, ``ces``).
    by : str
        Segment column.
    churn : pandas.DataFrame, optional
        Rows with the ``by`` column and a 0/1 ``churned`` column (e.g. the previous
        wave's respondents, assigned with :meth:`AttitudinalSegments.assign`, joined to
        :func:`cxlib.customers_at_risk` of this quarter). Omitted when None.
    metrics : sequence of ScorecardMetric, optional
        The survey outcomes of a study (:func:`cxlib.scorecard_metrics` of its roles: its
        columns, boxes and labels, e.g. a binary "share satisfied" and no NPS); default the
        synthetic schema's NPS (``ltr``), CSAT top-2-box (``osat``) and CES easy (``ces``).
    weights : str, optional
        Survey weight column, used for every metric.
    min_base, confidence_level
        As in :func:`segment_scorecard`.

    Returns
    -------
    pandas.DataFrame
        The :func:`segment_scorecard` columns with ``metric`` ("nps", "csat", "ces",
        "churn"), plus ``label`` and ``unit``; shares are in percent (estimate,
        interval, difference and its interval). ``p_adjusted`` is Benjamini-Hochberg over
        all tested cells of the table.

    Notes
    -----
    NPS in points (Rocks 2016 variance); by default CSAT top-2-box on osat 1-5 and CES "easy" 5-7
    on 1-7 with Wilson intervals; churn is the share of the ``churn`` rows with
    ``churned == 1`` (Wilson). Tests: each segment vs the rest (see :func:`cxlib.by_group`).
    Interval bounds that floating-point rounding puts a hair past the estimate (a share of
    exactly 0 % or 100 %) are set to the estimate.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": [1] * 4 + [2] * 4, "ltr": [10, 9, 9, 3, 2, 6, 9, 7],
    ...                    "osat": [5, 5, 4, 2, 1, 2, 4, 3], "ces": [7, 6, 6, 2, 1, 3, 5, 4]})
    >>> out = cx.segment_outcomes(df, by="seg", weights=None, min_base=2)
    >>> out[["label", "seg", "estimate"]].head(2)
      label  seg  estimate
    0   NPS    1      50.0
    1   NPS    2     -25.0
    """
    level = check_confidence_level(confidence_level)
    metrics = scorecard_metrics() if metrics is None else list(metrics)
    if not metrics:
        raise CXDataError("`metrics` must list at least one survey outcome (cx.scorecard_metrics(roles))")
    labels = {"churn": SEGMENT_OUTCOMES["churn"]}
    labels.update({m.metric.__name__: (m.label, m.unit) for m in metrics})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)  # flagged in the table instead
        parts = [segment_scorecard(survey, by=by, metrics=[m.metric for m in metrics], weights=weights,
                                   min_base=min_base, confidence_level=level,
                                   metric_options={m.metric.__name__: m.kwargs for m in metrics})]
        if churn is not None:
            check_columns(churn, [by, "churned"], argument="churn")
            c = segment_scorecard(churn, by=by, metrics=["top_box"], weights=weights,
                                  min_base=min_base, confidence_level=level,
                                  metric_options={"top_box": {"score": "churned", "top": (1, 1), "scale": (0, 1)}})
            c["metric"] = "churn"
            parts.append(c)
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "label", out["metric"].map(lambda m: labels[m][0]))
    out.insert(2, "unit", out["metric"].map(lambda m: labels[m][1]))
    pct = out["unit"].eq("%")
    scaled = [c for c in SCALED_COLUMNS if c in out.columns]
    out.loc[pct, scaled] = to_percent(out.loc[pct, scaled])
    # floating-point rounding at 0% or 100% can put a Wilson bound a hair past the estimate
    out["ci_low"] = np.fmin(out["ci_low"], out["estimate"])
    out["ci_high"] = np.fmax(out["ci_high"], out["estimate"])
    return _adjust_across(out, level)


def segment_association(
    data: pd.DataFrame, *, segment: str = "segment", by: str, confidence_level: float = 0.95
) -> pd.DataFrame:
    """How strongly segment membership depends on a group (e.g. country): chi-square, Cramér's V.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; rows missing either column are left out.
    segment : str, default "segment"
        The segment column.
    by : str
        The grouping column (e.g. ``"country"``).
    confidence_level : float, default 0.95
        ``significant`` is ``p_value < 1 - confidence_level``.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (Cramér's V), ``ci_low``, ``ci_high`` (missing: see Notes),
        ``n``, ``statistic`` (Pearson chi-square), ``dof``, ``p_value``, ``significant``,
        ``confidence_level``, ``measure``.

    Raises
    ------
    CXDataError
        Missing columns; fewer than two values of either column.

    Notes
    -----
    ``V = sqrt(chi2 / (n (min(r, c) - 1)))`` (Cramér 1946): 0 = membership independent of
    the group, 1 = the group determines the segment. Pearson's test without continuity
    correction (scipy ``chi2_contingency``). V is reported without an interval: near
    independence its sampling distribution piles up at 0 and its upward bias (about
    ``dof / n`` in ``V²``) exceeds the interval width a normal or noncentral-chi-square
    inversion would give, so such an interval can exclude the estimate; the test's
    p-value carries the uncertainty. Weights: not supported (unweighted counts; a weighted
    test would need the Rao–Scott correction).

    References
    ----------
    Cramér, H. (1946). *Mathematical Methods of Statistics*. Princeton University Press.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"segment": [1, 1, 2, 2] * 5, "country": ["A", "B"] * 10})
    >>> float(cx.segment_association(df, by="country")["estimate"].iloc[0])
    0.0
    """
    data = check_frame(data)
    check_columns(data, [segment], argument="segment")
    check_columns(data, [by], argument="by")
    level = check_confidence_level(confidence_level)
    d = data[[segment, by]].dropna()
    table = pd.crosstab(d[segment], d[by])
    if table.shape[0] < 2 or table.shape[1] < 2:
        raise CXDataError(
            f"need at least 2 values of {segment!r} and of {by!r}; got {table.shape[0]} and {table.shape[1]}"
        )
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    n = int(table.to_numpy().sum())
    v = math.sqrt(chi2 / (n * (min(table.shape) - 1)))
    return pd.DataFrame([{
        "estimate": float(v), "ci_low": np.nan, "ci_high": np.nan, "n": n, "statistic": float(chi2),
        "dof": int(dof), "p_value": float(p), "significant": bool(p < 1 - level), "confidence_level": level,
        "measure": "Cramér's V",
    }])
