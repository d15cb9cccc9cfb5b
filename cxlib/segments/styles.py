"""Response styles across groups (e.g. countries) and within-group standardisation.

The cross-country diagnostics of ``METHODS.md``: :func:`response_styles` measures how
groups use a rating scale (extreme, midpoint, acquiescent answering) before their means
are compared; :func:`standardize_within` offers within-group z-scores or ipsatised scores
as an explicit alternative, never applied silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    apply_scale,
    check_choice,
    check_columns,
    check_declared_columns,
    check_frame,
    check_scale,
    column_list,
    declared_scale,
    numeric_scores,
)
from ..errors import CXDataError

#: The response-style indices of :func:`response_styles`, with their names.
STYLES = {"ers": "extreme (ERS)", "mrs": "midpoint (MRS)", "ars": "acquiescent (ARS)", "drs": "disacquiescent (DRS)"}


@dataclass(frozen=True, eq=False)
class ResponseStyles:
    """Response-style diagnostics per group (see :func:`response_styles`).

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per group (first column, named after ``by``): ``n`` (respondents with at
        least one answer), ``n_answers``, ``ers``, ``mrs``, ``ars``, ``drs``, ``mean``, ``sd``.
    distribution : pandas.DataFrame
        Tidy per-scale-point shares: ``<by>, point, n, share`` (pooled over items).
    scale : tuple of int
        The scale's end points.
    items : tuple of str
        Items used.
    by : str
        The grouping column.
    method : str
        Definitions in words.
    n_missing_codes : dict
        Item -> answers set missing as declared missing codes (0 when none declared).
    """

    summary: pd.DataFrame
    distribution: pd.DataFrame
    scale: tuple[int, int]
    items: tuple[str, ...]
    by: str
    method: str
    n_missing_codes: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-group summary (a copy)."""
        return self.summary.copy()

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.method}</p>" + self.summary.to_html(index=False)


def _respondent_styles(x: np.ndarray, g: np.ndarray, lo: int, hi: int) -> pd.DataFrame:
    """Per respondent: the share of their answers at the ends, the midpoint, above and below it."""
    n_ans = (~np.isnan(x)).sum(axis=1)
    mid = (lo + hi) / 2
    odd = (hi - lo) % 2 == 0
    with np.errstate(invalid="ignore"):
        return pd.DataFrame(
            {
                "group": g,
                "ers": ((x == lo) | (x == hi)).sum(axis=1) / n_ans,
                "mrs": (x == mid).sum(axis=1) / n_ans if odd else np.nan,
                "ars": (x > mid).sum(axis=1) / n_ans,
                "drs": (x < mid).sum(axis=1) / n_ans,
                "n_answers": n_ans,
                "s1": np.nansum(x, axis=1),
                "s2": np.nansum(x * x, axis=1),
            }
        )


def _style_summary(resp: pd.DataFrame, by: str) -> pd.DataFrame:
    """Respondent indices averaged per group; mean and SD (ddof 1) over all answers."""
    agg = resp.groupby("group", sort=True).agg(
        n=("ers", "size"), n_answers=("n_answers", "sum"), ers=("ers", "mean"), mrs=("mrs", "mean"),
        ars=("ars", "mean"), drs=("drs", "mean"), s1=("s1", "sum"), s2=("s2", "sum"),
    )
    na = agg["n_answers"].astype(float)
    agg["mean"] = agg["s1"] / na
    agg["sd"] = np.sqrt(np.clip((agg["s2"] - na * agg["mean"] ** 2) / (na - 1), 0, None))
    summary = agg.drop(columns=["s1", "s2"]).reset_index().rename(columns={"group": by})
    summary["n"] = summary["n"].astype(int)
    summary["n_answers"] = summary["n_answers"].astype(int)
    return summary


def _point_distribution(x: np.ndarray, g: np.ndarray, groups: pd.Series, lo: int, hi: int, by: str) -> pd.DataFrame:
    points = np.arange(lo, hi + 1)
    rows = []
    for name in groups:
        vals = x[g == name]
        vals = vals[~np.isnan(vals)].astype(int)
        cnt = np.bincount(vals - lo, minlength=len(points))
        for p_, c in zip(points, cnt):
            rows.append((name, int(p_), int(c), c / cnt.sum()))
    return pd.DataFrame(rows, columns=[by, "point", "n", "share"])


def _style_answers(data: pd.DataFrame, items: list[str], scale: Any, missing: Any
                   ) -> tuple[np.ndarray, int, int, dict[str, int]]:
    """The answers (declared missing codes set missing), the one scale of all items, and
    the codes set missing per item."""
    if not isinstance(scale, dict) and not hasattr(scale, "points"):
        check_scale(scale, integer=True)  # a plain pair: the error names it as given
    declared = {c: declared_scale(scale, missing, c) for c in items}
    points = {p for p, _ in declared.values()}
    if len(points) != 1 or None in points:
        raise CXDataError(f"response styles need one scale for all items; `scale` declares {points}")
    lo, hi = (int(v) for v in check_scale(points.pop(), integer=True))
    cols, counts = [], {}
    for c in items:
        codes = declared[c][1]
        values, per_code = (apply_scale(data[c], c, scale=(lo, hi), missing=codes) if codes
                            else (data[c], {}))
        cols.append(numeric_scores(values, c, low=lo, high=hi, integer=True))
        counts[c] = int(sum(per_code.values()))
    return np.column_stack(cols), lo, hi, counts


def response_styles(
    data: pd.DataFrame,
    *,
    by: str = "country",
    items: Sequence[str],
    scale: tuple[int, int] = (1, 5),
    missing: Any = (),
) -> ResponseStyles:
    """Extreme, midpoint and acquiescent response styles per group (e.g. country).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    by : str
        Grouping column (country, language); rows with a missing group are left out.
    items : sequence of str
        Rating items on the same scale (ideally heterogeneous in content, so that shared
        answering tendencies reflect style rather than substance).
    scale : (int, int), default (1, 5)
        Lowest and highest scale point (or a study scale, or a dict item -> either, as
        long as every item has the same points).
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` = "not applicable"): not answers, so they
        never count as an extreme or a disagreeing answer; counted per item in
        ``n_missing_codes``.

    Returns
    -------
    ResponseStyles
        ``summary`` per group and ``distribution`` (per-scale-point shares).

    Raises
    ------
    CXDataError
        Missing columns, non-numeric answers, answers off the scale or not whole numbers,
        items declared on different scales.

    Notes
    -----
    Respondent-level indices over the items each respondent answered (Baumgartner &
    Steenkamp 2001), averaged over respondents in the group:

    - ERS, extreme responding: share of answers at either end point (1 or 5 on 1-5);
    - MRS, midpoint responding: share at the midpoint (3 on 1-5; NaN on even scales);
    - ARS, acquiescence: share above the midpoint (agreeing: 4-5 on 1-5);
    - DRS, disacquiescence: share below the midpoint (1-2 on 1-5).

    ``mean`` and ``sd`` (ddof = 1) are over all answers in the group, and
    ``distribution`` gives the share of all answers at each scale point. Missing answers
    are ignored; respondents without any answer are left out. Compare groups on these
    before comparing their means: a country with high ARS or ERS looks "better" or
    "more polarised" at the same underlying experience (Harzing 2006).

    Weights: not supported, by design: the indices describe how the respondents answer (a
    measurement diagnostic), not a population quantity; every respondent counts once.

    References
    ----------
    Baumgartner, H. & Steenkamp, J.-B. E. M. (2001). Response styles in marketing
    research: a cross-national investigation. *J. Marketing Research* 38(2), 143-156.
    Harzing, A.-W. (2006). Response styles in cross-national survey research: a 26-country
    study. *Int. J. Cross Cultural Management* 6(2), 243-266.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["BR", "BR", "JP", "JP"],
    ...                    "q1": [5, 1, 3, 3], "q2": [5, 4, 3, 2]})
    >>> rs = cx.response_styles(df, items=["q1", "q2"])
    >>> rs.summary[["country", "ers", "mrs", "ars"]]
      country   ers  mrs   ars
    0      BR  0.75  0.0  0.75
    1      JP  0.00  0.75 0.00
    """
    data = check_frame(data)
    check_columns(data, [by], argument="by")
    items = column_list(items, argument="items")
    check_columns(data, items, argument="items")
    check_declared_columns(data, scale=scale, missing=missing)
    x, lo, hi, n_codes = _style_answers(data, items, scale, missing)
    keep = data[by].notna().to_numpy()
    x, g = x[keep], data[by][keep].to_numpy()
    has = (~np.isnan(x)).sum(axis=1) > 0
    x, g = x[has], g[has]
    if len(x) == 0:
        raise CXDataError(f"no respondent answered any of {items}: nothing to analyse")
    summary = _style_summary(_respondent_styles(x, g, lo, hi), by)
    distribution = _point_distribution(x, g, summary[by], lo, hi, by)
    mid, odd = (lo + hi) / 2, (hi - lo) % 2 == 0
    method = (
        f"respondent-level shares over answered items on {lo}-{hi}, averaged per {by!r}: "
        f"ERS = at {lo} or {hi}; MRS = at {mid:g}" + ("" if odd else " (undefined on an even scale)")
        + f"; ARS = above {mid:g}; DRS = below {mid:g}; mean/sd over all answers"
    )
    return ResponseStyles(summary=summary, distribution=distribution, scale=(lo, hi), items=tuple(items),
                          by=by, method=method, n_missing_codes=n_codes)


def _within_group_z(x: pd.DataFrame, grp: pd.Series, by: str, items: list[str]) -> pd.DataFrame:
    if grp.isna().any():
        raise CXDataError(
            f"column {by!r} has {int(grp.isna().sum())} missing value(s); assign a group or drop those rows first"
        )
    g = x.groupby(grp.to_numpy())
    stats_ = g.agg(["count", "std"])
    for c in items:
        bad = stats_[(c, "count")].lt(2) | ~(stats_[(c, "std")] > 0)
        if bad.any():
            gname = bad[bad].index[0]
            raise CXDataError(
                f"column {c!r} cannot be z-scored within {by}={gname!r}: "
                f"{int(stats_.loc[gname, (c, 'count')])} answer(s), SD {stats_.loc[gname, (c, 'std')]}; "
                "need at least 2 different answers per group"
            )
    return (x - g.transform("mean")) / g.transform("std")


def standardize_within(
    data: pd.DataFrame,
    *,
    by: str,
    items: Sequence[str],
    method: str = "z",
    suffix: str | None = None,
    scale: Any = None,
    missing: Any = (),
) -> pd.DataFrame:
    """Standardise ratings within groups (e.g. countries) into new, renamed columns.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; not modified.
    by : str
        Grouping column (ignored by ``method="ipsative"``, which works within respondent;
        still required so the choice is explicit).
    items : sequence of str
        Numeric rating columns.
    method : {"z", "ipsative"}
        ``"z"``: ``(x - group mean) / group SD`` per item (ddof = 1).
        ``"ipsative"``: ``x - respondent's mean over the items they answered``
        (ipsatisation; removes each respondent's overall level, e.g. acquiescence).
    suffix : str, optional
        Suffix for the new columns; default ``"_z"`` or ``"_ips"``.
    scale : (low, high) or dict, optional
        The items' scale points (a pair for all, or a dict column -> (low, high) or a
        study scale): a value outside raises.
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` = "not applicable"): missing in the new
        columns and left out of the group means and SDs.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the new columns ``<item><suffix>`` appended; originals
        untouched. Missing answers stay missing. ``.attrs["n_missing_codes"]`` holds the
        answers set missing as declared missing codes per item.

    Raises
    ------
    CXDataError
        Missing columns, non-numeric items, a new column name that already exists, an item
        constant (SD 0) or with fewer than 2 answers within a group (``"z"``).

    Notes
    -----
    Nothing in cxlib standardises silently: call this explicitly and analyse the new
    columns. Within-group z-scores remove genuine level differences between countries as
    well as style differences, so they answer "how does this item rank within the country"
    rather than "which country is more satisfied" (Fischer 2004). Ipsatised scores sum to
    zero within a respondent, so they suit profile comparisons, not covariance-based
    methods.

    References
    ----------
    Fischer, R. (2004). Standardization to account for cross-cultural response bias: a
    classification of score adjustment procedures and review of research in JCCP.
    *J. Cross-Cultural Psychology* 35(3), 263-282.
    Harzing, A.-W. (2006). *Int. J. Cross Cultural Management* 6(2), 243-266.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["A", "A", "B", "B"], "q1": [4, 5, 2, 4]})
    >>> cx.standardize_within(df, by="country", items=["q1"])["q1_z"].round(3).tolist()
    [-0.707, 0.707, -0.707, 0.707]
    """
    data = check_frame(data)
    check_columns(data, [by], argument="by")
    items = column_list(items, argument="items")
    check_columns(data, items, argument="items")
    method = check_choice(method, ("z", "ipsative"), argument="method")
    suffix = suffix if suffix is not None else ("_z" if method == "z" else "_ips")
    new_names = [f"{c}{suffix}" for c in items]
    clash = [c for c in new_names if c in data.columns]
    if clash:
        raise CXDataError(f"new column {clash[0]!r} already exists in `data`; pass another `suffix`")
    check_declared_columns(data, scale=scale, missing=missing)
    declared = {c: apply_scale(data[c], c, scale=scale, missing=missing) for c in items}
    x = pd.DataFrame({c: arr for c, (arr, _) in declared.items()}, index=data.index)
    z = _within_group_z(x, data[by], by, items) if method == "z" else x.sub(x.mean(axis=1), axis=0)
    out = data.copy()
    for c, new in zip(items, new_names):
        out[new] = z[c].to_numpy()
    out.attrs["n_missing_codes"] = {c: int(sum(counts.values())) for c, (_, counts) in declared.items()}
    return out
