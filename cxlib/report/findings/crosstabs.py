"""The banner tables of the crosstab notebook (notebook 06): which questions go in which
table, the findings sentences and the key figures, all taken from :func:`cxlib.crosstab`
results.

Every number in a sentence is a cell of ``Crosstab.table`` (Total column: estimate,
interval, base) or a row of ``Crosstab.tests`` (the significant pairs, adjusted p-values);
intervals are written by :func:`cxlib.core.inference.format_interval`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ...core.inference import format_interval
from ..figures import key_figure

#: What the default tables show: the main questions (their role, the statistics and nets)
#: and the drivers as top-2-box nets.
MAIN_ROLES = ("satisfaction", "recommend", "effort")


def _top_bottom(points: tuple[float, float] | None) -> dict[str, tuple[int, ...]] | None:
    """Top-2-box and bottom-2-box nets of a whole-point rating scale with at least 4 points."""
    if points is None or not all(float(p).is_integer() for p in points) or points[1] - points[0] < 3:
        return None
    low, high = int(points[0]), int(points[1])
    return {"top-2-box": (high - 1, high), "bottom-2-box": (low, low + 1)}


def _role_nets(roles: Any, column: str) -> dict[str, tuple[int, ...]] | None:
    """For the satisfaction and effort questions, the scorecard's own top box (so the banner
    and the scorecard report the same share: e.g. CES "easy" = 5–7 on 1–7) and the bottom box
    of the same width; ``None`` for other questions."""
    from ...scorecard import top_box_range

    points = roles.points(column)
    role = next((r for r in ("satisfaction", "effort") if roles.column(r) == column), None)
    if role is None or points is None or points[1] - points[0] < 3:
        return None
    first, last = (int(p) for p in top_box_range(points, role=role))
    k = last - first + 1
    low = int(points[0])
    return {f"top-{k}-box": tuple(range(first, last + 1)), f"bottom-{k}-box": tuple(range(low, low + k))}


def _question_spec(roles: Any, column: str, *, driver: bool) -> tuple[Any, dict | None]:
    """The statistic(s) and nets of one question: NPS for the recommend question, top-box
    nets (and the mean, except for drivers) for a rating scale, column % otherwise. The
    satisfaction and effort questions use the scorecard's top box (:func:`_role_nets`)."""
    if column == roles.column("recommend"):
        return "nps", None
    nets = (None if driver else _role_nets(roles, column)) or _top_bottom(roles.points(column))
    if nets is None:
        return "column %", None
    if driver:
        return "nets", {"top-2-box": nets["top-2-box"]}
    return ["nets", "mean"], nets


def banner_questions(roles: Any, questions: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """The question groups of the crosstab notebook, each the row arguments of one
    :func:`cxlib.crosstab` call (``rows``, ``stat``, ``nets``, ``scale``).

    Parameters
    ----------
    roles : StudyRoles
        From :func:`cxlib.study_roles`: which column is which question, and its scale.
    questions : list of str, optional
        The row questions. ``None``: the satisfaction, recommend and effort questions the
        study has, then its drivers. Questions that are drivers go in the drivers table,
        the others in the main table.

    Returns
    -------
    dict
        Table title (``"Main questions"``, ``"Drivers (top-2-box)"``) ->
        ``{"rows": [...], "stat": {...}, "nets": {...}, "scale": {...}}``;
        empty groups are left out. The recommend question shows its NPS; a rating scale
        its top-box and bottom-box nets and its mean (the satisfaction and effort questions
        use the scorecard's top box; drivers: the top-2-box net only);
        any other question the column % of its answers.

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> groups = banner_questions(SYNTHETIC_ROLES)
    >>> list(groups), groups["Main questions"]["rows"]
    (['Main questions', 'Drivers (top-2-box)'], ['osat', 'ltr', 'ces'])
    >>> groups["Main questions"]["nets"]["ces"]  # CES "easy" = 5–7, as in the scorecard
    {'top-3-box': (5, 6, 7), 'bottom-3-box': (1, 2, 3)}
    >>> banner_questions(SYNTHETIC_ROLES, ["ltr", "support"])["Drivers (top-2-box)"]["stat"]
    {'support': 'nets'}
    """
    drivers = roles.columns("drivers")
    if questions is None:
        main = [c for r in MAIN_ROLES if (c := roles.column(r)) is not None]
        questions = main + drivers
    groups: dict[str, dict[str, Any]] = {}
    for column in dict.fromkeys(questions):
        driver = column in drivers
        title = "Drivers (top-2-box)" if driver else "Main questions"
        group = groups.setdefault(title, {"rows": [], "stat": {}, "nets": {}, "scale": {}})
        stat, nets = _question_spec(roles, column, driver=driver)
        group["rows"].append(column)
        group["stat"][column] = stat
        if nets:
            group["nets"][column] = nets
        if stat != "nps" and roles.points(column) is not None:
            group["scale"][column] = roles.points(column)
    order = ["Main questions", "Drivers (top-2-box)"]
    return {t: {k: (v or None) if k != "rows" else v for k, v in groups[t].items()} for t in order if t in groups}


def _row_name(question: str, stat: str, level: Any, labels: Mapping[str, str]) -> str:
    label = labels.get(question, question)
    if stat == "nps":
        return f"{label}: NPS"
    if stat == "mean":
        return f"{label}: mean"
    return f"{label}: {level}"


def _unit(stat: str) -> str:
    return {"column %": "%", "nps": " points"}.get(stat, "")


def _digits(stat: str) -> int:
    return 2 if stat == "mean" else 1


def _pair_text(t: pd.Series, unit: str, digits: int) -> str:
    hi, lo = ("a", "b") if t["diff"] > 0 else ("b", "a")
    return (f"{t[f'column_{hi}']} ({t[f'letter_{hi}']}) {t[f'estimate_{hi}']:.{digits}f}{unit} vs "
            f"{t[f'column_{lo}']} ({t[f'letter_{lo}']}) {t[f'estimate_{lo}']:.{digits}f}{unit} "
            f"(adjusted p {_p_text(t['p_adjusted'])})")


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _significant(ct: Any) -> pd.DataFrame:
    tests = ct.tests
    if tests.empty:
        return tests
    return tests[tests["significant"].fillna(False).astype(bool)]


def _row_finding(ct: Any, key: tuple, labels: Mapping[str, str], max_pairs: int) -> str:
    question, stat, level = key
    t = ct.table
    total = t[(t["question"] == question) & (t["stat"] == stat) & (t["level"] == level)
              & (t["banner"] == "Total")].iloc[0]
    unit, digits = _unit(stat), _digits(stat)
    head = (f"{_row_name(question, stat, level, labels)}: {total['estimate']:.{digits}f}{unit} overall "
            f"({ct.confidence_level:.0%} CI {format_interval(total['ci_low'], total['ci_high'], digits=digits)}, "
            f"n = {int(total['n']):,}"
            + (f", effective n = {total['n_eff']:,.1f}" if ct.weighted and total["small_base"] else "")
            + f"{', below the minimum base ' + str(ct.min_base) if total['small_base'] else ''})")
    sig = _significant(ct)
    sig = sig[(sig["question"] == question) & (sig["stat"] == stat) & (sig["level"] == level)] if len(sig) else sig
    if sig.empty:
        return head + "; no significant difference between the columns of " + " or ".join(ct.columns) + "."
    parts = []
    for banner, pairs in sig.groupby("banner", sort=False):
        pairs = pairs.reindex(pairs["diff"].abs().sort_values(ascending=False).index)
        shown = "; ".join(_pair_text(p, unit, digits) for _, p in pairs.head(max_pairs).iterrows())
        more = f"; and {len(pairs) - max_pairs} more" if len(pairs) > max_pairs else ""
        parts.append(f"by {labels.get(banner, banner)}, {shown}{more}")
    return head + "; significantly higher: " + "; ".join(parts) + "."


def _row_keys(ct: Any) -> list[tuple]:
    t = ct.table
    return list(dict.fromkeys(zip(t["question"], t["stat"], t["level"])))


def crosstab_findings(ct: Any, *, labels: Mapping[str, str] | None = None, max_pairs: int = 3,
                      rows: str = "all") -> list[str]:
    """Findings of one banner table: per row, the Total column's estimate with its
    interval and base, and the pairs of columns that differ significantly (the higher
    column first, both estimates, the adjusted p-value), largest differences first.

    Parameters
    ----------
    ct : Crosstab
        From :func:`cxlib.crosstab`.
    labels : dict, optional
        Column -> label (question text) for the questions and banner variables.
    max_pairs : int, default 3
        Pairs shown per row and banner variable (the rest are counted).
    rows : {"all", "summary"}, default "all"
        ``"summary"``: one sentence for the whole table, the number of rows with a
        significant difference and the largest one.

    Examples
    --------
    >>> import cxlib as cx
    >>> df = pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100,
    ...                    "renew": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 40 + ["no"] * 60})
    >>> ct = cx.crosstab(df, "renew", "plan", stat="nets", nets={"renew": {"renews": ["yes"]}})
    >>> crosstab_findings(ct)[0]
    'renew: renews: 50.0% overall (95% CI [43.1, 56.9], n = 200); significantly higher: by plan, a (A) 60.0% vs b (B) 40.0% (adjusted p = 0.005).'
    >>> crosstab_findings(ct, rows="summary")[0]
    '1 of 1 rows differ significantly between columns; the largest difference: renew: renews, a (A) 60.0% vs b (B) 40.0% (adjusted p = 0.005).'
    """
    labels = dict(labels or {})
    if rows == "summary":
        return [_summary(ct, labels)]
    return [_row_finding(ct, key, labels, max_pairs) for key in _row_keys(ct)]


def _summary(ct: Any, labels: Mapping[str, str]) -> str:
    keys = _row_keys(ct)
    sig = _significant(ct)
    if sig.empty:
        return f"None of the {len(keys)} rows differs significantly between the columns of " \
               + " or ".join(ct.columns) + "."
    n_rows = len(set(zip(sig["question"], sig["stat"], sig["level"])))
    top = sig.loc[sig["diff"].abs().idxmax()]
    name = _row_name(top["question"], top["stat"], top["level"], labels)
    return (f"{n_rows} of {len(keys)} rows differ significantly between columns; the largest difference: "
            f"{name}, {_pair_text(top, _unit(top['stat']), _digits(top['stat']))}.")


def crosstab_key_figures(tables: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The key figures of a crosstab run: per table, the Total column's cells (estimate,
    CI, n, small_base, keyed ``"question, level"``) and the significant pairs; and as
    ``headline`` (shown in the quarter's index) the first row of each question of the first table.

    Examples
    --------
    >>> import cxlib as cx
    >>> df = pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100,
    ...                    "renew": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 40 + ["no"] * 60})
    >>> figs = crosstab_key_figures({"Renewal": cx.crosstab(df, "renew", "plan")})
    >>> figs["tables"]["Renewal"]["total"]["renew, yes"]["n"], figs["tables"]["Renewal"]["significant"]
    (200, ['renew, no: plan b (B) > a (A)', 'renew, yes: plan a (A) > b (B)'])
    """
    out: dict[str, Any] = {}
    headline: dict[str, Any] = {}
    for title, ct in tables.items():
        t = ct.table[ct.table["banner"] == "Total"]
        total = {f"{r['question']}, {r['level']}": key_figure(r) for _, r in t.iterrows()}
        sig = _significant(ct)
        pairs = []
        for _, p in sig.iterrows():
            hi, lo = ("a", "b") if p["diff"] > 0 else ("b", "a")
            pairs.append(f"{p['question']}, {p['level']}: {p['banner']} {p[f'column_{hi}']} ({p[f'letter_{hi}']}) > "
                         f"{p[f'column_{lo}']} ({p[f'letter_{lo}']})")
        out[title] = {"total": total, "significant": pairs}
        if not headline:  # the first row of each question of the first table
            first = t.drop_duplicates("question")
            headline = {f"{r['question']}, {r['level']}": key_figure(r) for _, r in first.iterrows()}
    return {"headline": headline, "tables": out, **extra}


def crosstab_method(groups: Mapping[str, Mapping[str, Any]], *, banner: Sequence[str],
                    labels: Mapping[str, str] | None = None, weights: str | None = None) -> list[str]:
    """The method sentences of the crosstab notebook: the banner, what each table's rows
    show, and the weighting (the tests are stated under each table by
    :func:`cxlib.report.crosstab_note`).

    Examples
    --------
    >>> from cxlib.data.roles import SYNTHETIC_ROLES
    >>> text = crosstab_method(banner_questions(SYNTHETIC_ROLES, ["ltr", "osat"]), banner=["plan"], weights="weight",
    ...                        labels=SYNTHETIC_ROLES.labels)
    >>> print("\\n".join(text))  # doctest: +NORMALIZE_WHITESPACE
    Banner: Total, then plan; each column has a letter, and a cell shows the letters of the
    columns of the same banner variable it is significantly higher than.
    Main questions: Likelihood to recommend (0–10) (ltr): NPS (% promoters 9–10 minus % detractors
    0–6, in points); Overall satisfaction (1–5) (osat): top-2-box (4, 5) and bottom-2-box (1, 2) shares, and the mean.
    Weights: the survey's weight column (weight).
    """
    labels = dict(labels or {})
    out = [(f"Banner: Total, then {', '.join(labels.get(b, b) for b in banner)}; each column has a letter, "
            "and a cell shows the letters of the columns of the same banner variable it is significantly higher than.")]
    for title, g in groups.items():
        parts = []
        for q in g["rows"]:
            stat = g["stat"][q]
            nets = (g.get("nets") or {}).get(q, {})
            net_text = " and ".join(f"{k} {tuple(v)}" for k, v in nets.items())
            what = {"nps": "NPS (% promoters 9–10 minus % detractors 0–6, in points)",
                    "column %": "the share of each answer"}.get(stat if isinstance(stat, str) else "",
                                                                 f"{net_text} shares" if nets else "")
            if isinstance(stat, list) and "mean" in stat:
                what += ", and the mean"
            parts.append(f"{labels[q]} ({q}): {what}" if labels.get(q, q) != q else f"{q}: {what}")
        out.append(f"{title}: " + "; ".join(parts) + ".")
    out.append(f"Weights: the survey's weight column ({weights})." if weights
               else "Unweighted: the study declares no weight column.")
    return out
