"""Segments for reviewers: findings sentences, key figures and display tables (notebook 04).

Every number is read from a result of :mod:`cxlib.segments` (never typed by hand);
intervals are written with :func:`~cxlib.core.inference.format_interval`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...core.checks import check_columns, check_frame
from ...core.inference import format_interval, format_suppressed
from ...errors import CXDataError
from ...segments.attitudinal import AttitudinalSegments
from ..figures import key_figure
from ..tables import DisplayTable, format_table

_METHOD_NAMES = {"kmeans": "k-means", "gmm": "A Gaussian mixture"}
_CRITERIA = {"kmeans": "highest silhouette", "gmm": "lowest BIC"}
_STABILITY = "Segment stability (bootstrap ARI)"


def _named(segment: Any, names: Mapping[Any, str]) -> str:
    """``"2 (low support)"``, or just the segment when it has no name."""
    key = int(segment) if isinstance(segment, (int, np.integer, float)) else segment
    return f"{segment} ({names[key]})" if key in names else f"{segment}"


def _stability_text(result: AttitudinalSegments) -> str:
    st = result.stability
    return (f"bootstrap stability ARI {st.estimate:.2f} {format_interval(st.ci_low, st.ci_high, digits=2)} "
            f"({st.confidence_level:.0%} interval, {st.n} resamples)")


def _outcome_sentence(t: pd.DataFrame, by: str, names: Mapping[Any, str]) -> str:
    """The range of one outcome across segments (solid bases only) and how many differ."""
    hi, lo = t.loc[t["estimate"].idxmax()], t.loc[t["estimate"].idxmin()]
    u = " points" if t["unit"].iloc[0] == "points" else "%"
    n_sig = int(t["significant"].fillna(False).astype(bool).sum())
    return (
        f"{t['label'].iloc[0]} ranges from {lo['estimate']:.1f}{u} {format_interval(lo['ci_low'], lo['ci_high'])} "
        f"in segment {_named(lo[by], names)} to {hi['estimate']:.1f}{u} "
        f"{format_interval(hi['ci_low'], hi['ci_high'])} in segment {_named(hi[by], names)}; "
        f"{n_sig} of {len(t)} segments differ significantly from the rest after FDR correction."
    )


def segment_findings(
    result: AttitudinalSegments,
    outcomes: pd.DataFrame,
    *,
    names: Mapping[int, str] | None = None,
    association: pd.DataFrame | None = None,
    association_standardized: pd.DataFrame | None = None,
    by: str = "country",
    segment: str = "segment",
) -> list[str]:
    """Plain-language findings written from the results (numbers never typed by hand).

    Parameters
    ----------
    result : AttitudinalSegments
    outcomes : pandas.DataFrame
        From :func:`cxlib.segment_outcomes`.
    names : dict, optional
        Segment names (:func:`cxlib.name_segments`).
    association, association_standardized : pandas.DataFrame, optional
        :func:`cxlib.segment_association` of the segments with ``by`` on raw and on
        within-group standardised ratings.
    by : str, default "country"
        What the association is with (for the wording).
    segment : str, default "segment"
        The segment column of ``outcomes``.

    Returns
    -------
    list of str
        How many segments and how stable; their sizes; per outcome the lowest and highest
        segment with intervals and how many differ from the rest; suppressed segments;
        the association with ``by``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in ([4.5, 4.5], [1.5, 1.5])]),
    ...                   columns=["q", "p"]).assign(ltr=[9] * 40 + [3] * 40, osat=4, ces=6)
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=2, n_init=3, n_boot=5)
    >>> out = cx.segment_outcomes(df.assign(segment=seg.labels), by="segment", weights=None)
    >>> cx.report.segment_findings(seg, out)[0][:46]
    'k-means found 2 segments (chosen from k = 2 by'
    """
    check_columns(outcomes, ["metric", "label", "unit", segment, "estimate", "ci_low", "ci_high", "small_base",
                             "significant"], argument="outcomes")
    names = dict(names or {})
    ks = result.criteria["k"].tolist()
    n = int(result.sizes["n"].sum())
    s = (f"{_METHOD_NAMES[result.method]} found {result.k} segments (chosen from k = {ks[0]}"
         + (f"–{ks[-1]}" if len(ks) > 1 else "") + f" by {_CRITERIA[result.method]}) among {n:,} respondents")
    out = [s + (f"; {_stability_text(result)}." if result.stability.n else ".")]
    sizes = ", ".join(f"{_named(int(r.segment), names)} {100 * r.share:.0f}%" for r in result.sizes.itertuples())
    out.append(f"Segment sizes: {sizes}.")
    solid = outcomes[~outcomes["small_base"].astype(bool)]
    for metric in dict.fromkeys(outcomes["metric"]):
        t = solid[solid["metric"] == metric]
        if not t.empty:
            out.append(_outcome_sentence(t, segment, names))
    small = outcomes[outcomes["small_base"].astype(bool)]
    if not small.empty:
        segs = sorted({int(x) for x in small[segment]})
        weighted = "n_eff" in small and bool((small["n_eff"] != small["n"]).any())
        out.append(f"Suppressed for small bases ({'effective n' if weighted else 'n'} < "
                   f"{small['min_base'].iloc[0]:g}): segment(s) "
                   + ", ".join(map(str, segs)) + " in some metrics.")
    if association is not None:
        a = association.iloc[0]
        s = (f"Segment membership and {by}: Cramér's V {a['estimate']:.2f} on raw ratings "
             f"(chi-square p = {a['p_value']:.3g})")
        if association_standardized is not None:
            b = association_standardized.iloc[0]
            s += f", {b['estimate']:.2f} after within-{by} standardisation (p = {b['p_value']:.3g})"
        out.append(s + ".")
    return out


def segment_key_figures(
    result: AttitudinalSegments,
    outcomes: pd.DataFrame,
    *,
    names: Mapping[int, str] | None = None,
    min_base: float = 30,
    segment: str = "segment",
    **extra: Any,
) -> dict[str, Any]:
    """The key-figures dict of a segmentation run.

    ``headline`` holds :func:`~cxlib.report.figures.key_figure` entries (estimate,
    ci_low, ci_high, n, small_base) for the stability (with ``n`` the respondents
    segmented and ``n_boot`` the resamples) and each segment's first outcome of
    ``outcomes`` (NPS when the study has a recommend question, labelled
    ``"<label>, segment <s>"``, with its ``name``);
    then ``k``, ``method``, the segment ``sizes``, the full ``outcomes`` table and
    ``extra`` (e.g. ``scope``, ``quarter``).

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in ([4.5, 4.5], [1.5, 1.5])]),
    ...                   columns=["q", "p"]).assign(ltr=[9] * 40 + [3] * 40, osat=4, ces=6)
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=2, n_init=3, n_boot=5)
    >>> out = cx.segment_outcomes(df.assign(segment=seg.labels), by="segment", weights=None)
    >>> sorted(cx.report.segment_key_figures(seg, out)["headline"])
    ['NPS, segment 1', 'NPS, segment 2', 'Segment stability (bootstrap ARI)']
    """
    names = dict(names or {})
    n = int(result.sizes["n"].sum())
    head: dict[str, Any] = {
        _STABILITY: {**key_figure(result.stability, n=n), "small_base": bool(n < min_base),
                     "n_boot": result.stability.n},
    }
    primary = outcomes[outcomes["metric"] == outcomes["metric"].iloc[0]] if len(outcomes) else outcomes
    for _, r in primary.iterrows():
        head[f"{r['label']}, segment {int(r[segment])}"] = {**key_figure(r), "name": names.get(int(r[segment]))}
    sizes = [{"segment": int(r.segment), "name": names.get(int(r.segment)), "n": int(r.n), "share": r.share}
             for r in result.sizes.itertuples()]
    cols = ["metric", segment, "estimate", "ci_low", "ci_high", "n", "small_base", "diff", "p_adjusted",
            "significant"]
    table = [{c: (None if pd.isna(v) else v) for c, v in zip(cols, row)}
             for row in outcomes[cols].astype(object).itertuples(index=False)]
    return {"headline": head, "k": result.k, "method": result.method, "sizes": sizes, "outcomes": table, **extra}


# ----------------------------------------------------------------------------------------
# display tables
# ----------------------------------------------------------------------------------------


def segment_sizes_table(result: AttitudinalSegments, *, names: Mapping[int, str] | None = None) -> DisplayTable:
    """Segment sizes (``segment, name, n, share``) with the method and the stability in the caption.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in ([4.5, 4.5], [1.5, 1.5])]),
    ...                   columns=["q", "p"])
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=2, n_init=3, n_boot=0)
    >>> cx.report.segment_sizes_table(seg, names={1: "high"}).to_frame()
      segment  name   n  share
    0       1  high  40  50.0%
    1       2        40  50.0%
    """
    if not isinstance(result, AttitudinalSegments):
        raise CXDataError(f"`result` must be an AttitudinalSegments, got {type(result).__name__}")
    names = dict(names or {})
    frame = pd.DataFrame({
        "segment": [str(int(s)) for s in result.sizes["segment"]],
        "name": [names.get(int(s), "") for s in result.sizes["segment"]],
        "n": [f"{int(n):,}" for n in result.sizes["n"]],
        "share": [f"{100 * s:.1f}%" for s in result.sizes["share"]],
    })
    caption = f"Segment sizes ({result.description})"
    if result.stability.n:
        caption += f"; {_stability_text(result)}: 1 = identical partitions, 0 = chance"
    return DisplayTable(frame, caption=caption)


def outcome_table(
    outcomes: pd.DataFrame, *, names: Mapping[Any, str] | None = None, segment: str = "segment",
    caption: str | None = None,
) -> DisplayTable:
    """:func:`cxlib.segment_outcomes` for reviewers: one row per outcome and segment
    (``"2 low support"``), estimate, interval, n and the test against the rest.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"segment": [1] * 4 + [2] * 4, "ltr": [10, 9, 9, 3, 2, 6, 9, 7],
    ...                    "osat": [5, 5, 4, 2, 1, 2, 4, 3], "ces": [7, 6, 6, 2, 1, 3, 5, 4]})
    >>> out = cx.segment_outcomes(df, by="segment", weights=None, min_base=2)
    >>> cx.report.outcome_table(out, names={1: "fans"}).to_frame().iloc[0, :4].tolist()
    ['NPS', '1 fans', '50.0', '[-34.9, 100.0]']
    """
    check_columns(outcomes, ["label", segment], argument="outcomes")
    names = dict(names or {})
    shown = outcomes.copy()
    shown[segment] = [f"{s} {names[s]}" if s in names else f"{s}" for s in outcomes[segment]]
    return format_table(shown, label=["label", segment], digits=1, caption=caption)


def association_table(
    raw: pd.DataFrame, standardized: pd.DataFrame | None = None, *, by: str = "country"
) -> DisplayTable:
    """:func:`cxlib.segment_association` on raw (and on within-group standardised) ratings side by side.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"segment": [1, 1, 2, 2] * 5, "country": ["A", "B"] * 10})
    >>> cx.report.association_table(cx.segment_association(df, by="country")).to_frame()
      ratings Cramér's V chi-square dof p-value   n
    0     raw       0.00       0.00   1   1.000  20
    """
    parts = [("raw", raw)] + ([] if standardized is None else [(f"z-scored within {by}", standardized)])
    rows = []
    for label, t in parts:
        check_columns(t, ["estimate", "statistic", "dof", "p_value", "n"], argument="association")
        a = t.iloc[0]
        rows.append({"ratings": label, "Cramér's V": f"{a['estimate']:.2f}", "chi-square": f"{a['statistic']:.2f}",
                     "dof": f"{int(a['dof'])}", "p-value": "< 0.001" if a["p_value"] < 0.001 else f"{a['p_value']:.3f}",
                     "n": f"{int(a['n']):,}"})
    return DisplayTable(pd.DataFrame(rows),
                        caption=f"Does segment membership depend on {by}? (Pearson chi-square test, Cramér's V)")


def segment_share_table(
    data: pd.DataFrame, *, by: str, segment: str = "segment", caption: str | None = None
) -> DisplayTable:
    """The share of each segment within each value of ``by`` (rows sum to 100 %), with n.

    Rows with a missing segment or ``by`` value are left out.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["A", "A", "A", "B"], "segment": [1, 1, 2, 2]})
    >>> cx.report.segment_share_table(df, by="country").to_frame()
      country    1    2  n
    0       A  67%  33%  3
    1       B   0% 100%  1
    """
    check_frame(data)
    check_columns(data, [by, segment], argument="by/segment")
    d = data[[by, segment]].dropna()
    counts = pd.crosstab(d[by], d[segment])
    shares = counts.div(counts.sum(axis=1), axis=0)
    frame = pd.DataFrame({by: [str(i) for i in shares.index]})
    for c in shares.columns:
        frame[str(c)] = [f"{100 * v:.0f}%" for v in shares[c]]
    frame["n"] = [f"{int(v):,}" for v in counts.sum(axis=1)]
    return DisplayTable(frame, caption=caption)


def profile_table(result: pd.DataFrame, *, names: Mapping[Any, str] | None = None, digits: int = 2) -> DisplayTable:
    """A :func:`cxlib.profile` table formatted for reviewers: one row per variable (level),
    one column per segment showing ``estimate (index)`` with ``*`` when FDR-significant.

    Means are shown with ``digits`` decimals, shares in percent; small-base cells read
    ``suppressed (n = 12 < minimum base 30)``, stated on the Kish effective base when the
    profile is weighted. Column headers carry the segment's name and base.

    Returns
    -------
    cxlib.report.DisplayTable

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"seg": ["a"] * 4 + ["b"] * 4, "quality": [5, 4, 5, 4, 2, 3, 2, 3]})
    >>> cx.report.profile_table(cx.profile(df, by="seg", variables=["quality"], min_base=2)).to_frame()
      variable total      a (n=4)     b (n=4)
    0  quality  3.50  4.50 (129)*  2.50 (71)*
    """
    if not isinstance(result, pd.DataFrame):
        raise CXDataError(f"`result` must be the DataFrame returned by cx.profile, got {type(result).__name__}")
    check_columns(result, ["segment", "variable", "level", "measure", "estimate", "total", "index",
                           "significant", "small_base", "n", "min_base"], argument="result")
    names = dict(names or {})

    def fmt(v: float, measure: str) -> str:
        return f"{v:.{digits}f}" if measure == "mean" else f"{100 * v:.0f}%"

    rows: dict[str, dict[str, str]] = {}
    base = result.groupby("segment", sort=False)["n"].max()
    head = {s: (f"{s} {names[s]}" if s in names else f"{s}") + f" (n={int(base[s]):,})" for s in base.index}
    sig = result["significant"].fillna(False).astype(bool).to_numpy()  # untested (missing) = not marked
    for r, significant in zip(result.itertuples(index=False), sig):
        key = r.variable if r.measure == "mean" else f"{r.variable} = {r.level}"
        row = rows.setdefault(key, {"variable": key, "total": fmt(r.total, r.measure)})
        if r.small_base:
            row[head[r.segment]] = format_suppressed(getattr(r, "n_eff", r.n) if getattr(r, "n_eff", r.n) != r.n
                                                     else r.n, r.min_base)
        else:
            idx = "—" if not np.isfinite(r.index) else f"{r.index:.0f}"
            row[head[r.segment]] = f"{fmt(r.estimate, r.measure)} ({idx})" + ("*" if significant else "")
    level = result["confidence_level"].iloc[0] if "confidence_level" in result and len(result) else 0.95
    caption = (f"estimate (index vs total, 100 = average); * = differs from the rest of the sample, "
               f"Benjamini–Hochberg adjusted p < {1 - level:.2g}")
    return DisplayTable(pd.DataFrame(list(rows.values())), caption=caption)
