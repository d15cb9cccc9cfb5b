"""Country comparisons for reviewers: the caveat on raw cross-country scores, sentences,
a display table and key figures of a :class:`~cxlib.segments.style_adjust.StyleAdjustedComparison`.

Every number is read from the result; intervals are written with
:func:`~cxlib.core.inference.format_interval`, suppressed cells with
:func:`~cxlib.core.inference.format_suppressed` on the base the rule was applied to
(the Kish effective base when weighted).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...core.inference import format_interval, format_suppressed
from ...segments.style_adjust import StyleAdjustedComparison
from ..figures import key_figure

#: Why raw cross-country NPS is not comparable (one sentence, shown wherever countries are compared).
RAW_CAVEAT = ("Raw NPS is not comparable across countries: countries use rating scales differently (more or "
              "less extreme, more or less agreeing answers) at the same experience, so part of a raw country "
              "difference is response style, not satisfaction (Harzing 2006).")


def _metric(result: StyleAdjustedComparison) -> tuple[str, str]:
    """The metric's name and unit suffix."""
    return ("NPS", " points") if result.metric == "nps" else (f"mean {result.outcome}", "")


def plural_label(label: str) -> str:
    """``country`` -> ``countries``, ``market`` -> ``markets``."""
    if label.endswith("y") and label[-2:-1] not in "aeiou":
        return label[:-1] + "ies"
    return label if label.endswith("s") else label + "s"


def _base(row: pd.Series, weighted: bool) -> str:
    return (f"n = {int(row['n']):,}, effective n = {row['n_eff']:,.1f}" if weighted
            else f"n = {int(row['n']):,}")


def _cell(row: pd.Series, weighted: bool) -> str:
    """``12.3 [8.1, 16.5]``, or the suppression text on the base the rule used."""
    if bool(row["small_base"]):
        return format_suppressed(row["n_eff"] if weighted else row["n"], row["min_base"])
    return f"{row['estimate']:.1f} {format_interval(row['ci_low'], row['ci_high'])}"


def _test_sentence(result: StyleAdjustedComparison, adjustment: str, label: str) -> str:
    t = result.tests.set_index("adjustment").loc[adjustment]
    name, _ = _metric(result)
    what = "raw" if adjustment == "raw" else "style-adjusted"
    if t["groups"] < 2:
        return (f"The {what} {name} is not tested across {plural_label(label)}: fewer than two are at or above "
                "the minimum base.")
    if pd.isna(t["p_value"]):
        return (f"The {what} {name} is not tested across the {int(t['groups'])} {plural_label(label)}: how strongly "
                f"the battery's response style shows on the {name} is estimated from the differences between "
                f"{plural_label(label)}, so the test needs at least three at or above the minimum base.")
    verdict = "differs significantly" if bool(t["significant"]) else "does not differ significantly"
    stat = ("Wald χ²" if adjustment == "raw" or result.adjustment == "regression" else "minimum-distance χ²")
    return (f"The {what} {name} {verdict} between the {int(t['groups'])} {plural_label(label)} "
            f"({stat} = {t['statistic']:.1f}, "
            f"df = {int(t['df'])}, p = {t['p_value']:.3g}).")


def _ranking_sentence(result: StyleAdjustedComparison, label: str) -> str:
    """The ranking flag, with what the adjusted order can be trusted for."""
    name, _ = _metric(result)
    significant = result.tests.set_index("adjustment").loc["adjusted", "significant"]
    head = (f"The ranking of {plural_label(label)} changes after the adjustment ({', '.join(result.moved)} "
            f"move); do not rank {plural_label(label)} on the raw {name}")
    if pd.isna(significant):
        return head + ", and do not rank them on the adjusted values either: those are not tested."
    if not bool(significant):
        return head + ", and read the adjusted order as noise: the adjusted values do not differ significantly."
    if result.adjustment == "regression":
        return (head + ". The regression adjustment is approximate (the style shares come from the same "
                "satisfaction ratings and can over-correct): treat an adjusted difference as a lead to check, "
                "not a finding.")
    return (head + f". The adjusted differences are differences beyond response style, on the assumption that "
            f"{plural_label(label)} differ on the driver battery only in how they answer.")


def style_comparison_findings(result: StyleAdjustedComparison, *, label: str | None = None,
                              group: Any = None) -> list[str]:
    """Sentences on a style-adjusted comparison: the caveat, the raw and the adjusted test,
    the ranking flag, and (``group`` given, e.g. the country of a per-country scorecard)
    where that group stands.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"country": ["A"] * 4 + ["B"] * 4, "ltr": [10, 9, 7, 3, 10, 10, 9, 6],
    ...                    "q1": [4, 5, 3, 2, 5, 5, 4, 3], "q2": [4, 4, 3, 2, 5, 5, 5, 3]})
    >>> res = cx.style_adjusted_comparison(df, items=["q1", "q2"], min_base=2)
    >>> style_comparison_findings(res)[1]
    'The raw NPS does not differ significantly between the 2 countries (Wald χ² = 0.2, df = 1, p = 0.677).'
    """
    label = label or result.by
    name, unit = _metric(result)
    out = [RAW_CAVEAT if result.metric == "nps" else RAW_CAVEAT.replace("Raw NPS", f"The raw {name}"),
           _test_sentence(result, "raw", label), _test_sentence(result, "adjusted", label)]
    if result.ranking_changed:
        out.append(_ranking_sentence(result, label))
    elif result.tests["groups"].iloc[0] >= 2:
        out.append(f"The ranking of {plural_label(label)} is the same raw and adjusted.")
    if group is not None:
        t = result.table[result.table[result.by].astype(str) == str(group)].set_index("adjustment")
        if len(t) == 2 and not bool(t.loc["raw", "small_base"]):
            r, a = t.loc["raw"], t.loc["adjusted"]
            out.append(f"{group}: raw {name} {r['estimate']:.1f}{unit} {format_interval(r['ci_low'], r['ci_high'])}, "
                       f"rank {r['rank']} of {int(result.tests['groups'].iloc[0])}; adjusted for response style "
                       f"{a['estimate']:.1f}{unit} {format_interval(a['ci_low'], a['ci_high'])}, rank {a['rank']} "
                       f"(extreme answers {r['ers']:.0%}, agreeing {r['ars']:.0%}, disagreeing {r['drs']:.0%} of the "
                       "battery).")
    return out


def style_comparison_table(result: StyleAdjustedComparison, *, label: str | None = None) -> pd.DataFrame:
    """One row per group: the raw and the adjusted estimate with intervals and ranks, the
    base, and the style indices (ERS, ARS, DRS, MRS as % of the battery's answers)."""
    t = result.table
    raw = t[t["adjustment"] == "raw"].set_index(result.by)
    adj = t[t["adjustment"] == "adjusted"].set_index(result.by)
    name, _ = _metric(result)

    def rank(x: Any) -> str:
        return "—" if pd.isna(x) else str(int(x))

    out = pd.DataFrame({
        label or result.by: raw.index.astype(str),
        f"raw {name} [CI]": [_cell(r, result.weighted) for _, r in raw.iterrows()],
        "raw rank": [rank(x) for x in raw["rank"]],
        f"style-adjusted {name} [CI]": [_cell(r, result.weighted) for _, r in adj.iterrows()],
        "adjusted rank": [rank(x) for x in adj["rank"]],
        "base": [_base(r, result.weighted) for _, r in raw.iterrows()],
        **{f"{k} (%)": [f"{100 * v:.0f}" if pd.notna(v) else "—" for v in raw[k.lower()]]
           for k in ("ERS", "ARS", "DRS", "MRS")},
    })
    return out


def style_comparison_method(result: StyleAdjustedComparison) -> str:
    """How the comparison was made, in words (for the notebook's method text)."""
    groups = plural_label(result.by) if result.by else "groups"
    base = (f"; {groups} below the minimum base of {result.min_base} "
            f"({'effective n' if result.weighted else 'n'}) are not tested or ranked.")
    if result.adjustment == "regression":
        return (f"{groups.capitalize()} are compared twice: as reported, and adjusted for response styles — each "
                f"respondent's share of extreme (ERS), agreeing (ARS) and disagreeing (DRS) answers over the "
                f"{len(result.styles.items)} driver ratings enters a regression with one intercept per country, so "
                "the adjusted value is the country's score at the sample's average style (Baumgartner & Steenkamp "
                "2001). Intervals use robust (sandwich) standard errors; one Wald test asks whether the countries "
                "differ at all" + (" (weighted estimates)" if result.weighted else "") + base
                + " The style shares are measured within countries, where they also reflect satisfaction, so this "
                "adjustment is approximate and can over-correct.")
    return (f"{groups.capitalize()} are compared twice: as reported, and adjusted for response styles. Each "
            f"{result.by}'s way of answering — where it sits on the scale and how widely it spreads its answers — "
            f"is estimated from the {len(result.styles.items)} driver ratings with an ordered probit model (one set "
            "of cut points for the rating scale, a location and a scale per country; Rossi, Gilula & Allenby "
            f"2001). The {_metric(result)[0]} is modelled with the same country scale and a location that follows "
            "the battery's location through one estimated loading; what a country's outcome shows beyond that "
            "is its difference beyond style. The adjusted value is the country's outcome at the sample's average style, and one test asks whether any country "
            "differs beyond style"
            + (" (weighted pseudo-likelihood)" if result.weighted else "")
            + "; standard errors treat a respondent's answers as one cluster" + base
            + " The model treats every country difference on the driver battery as style (as within-country "
            "standardisation does, Fischer 2004): a country whose experience is better on every driver and on "
            "the outcome alike looks like a country that answers more positively.")


def style_key_figures(result: StyleAdjustedComparison, *, group: Any = None) -> dict[str, Any]:
    """Key figures: per group raw and adjusted (estimate, CI, n, n_eff, small_base, rank)
    and style indices, the two tests, the ranking flag and the caveat; ``group`` given:
    that group's entry only (for a per-group run)."""
    t = result.table
    groups: dict[str, Any] = {}
    for g, part in t.groupby(result.by, sort=True):
        part = part.set_index("adjustment")
        entry = {a: {**key_figure(part.loc[a]), "n_eff": float(part.loc[a, "n_eff"]),
                     "rank": None if pd.isna(part.loc[a, "rank"]) else int(part.loc[a, "rank"])}
                 for a in ("raw", "adjusted")}
        entry["styles"] = {k: None if pd.isna(part.loc["raw", k]) else float(part.loc["raw", k])
                           for k in ("ers", "ars", "drs", "mrs")}
        groups[str(g)] = entry
    tests = {r["adjustment"]: {"statistic": r["statistic"], "df": int(r["df"]), "p_value": r["p_value"],
                               "significant": None if pd.isna(r["significant"]) else bool(r["significant"]),
                               "groups": int(r["groups"])}
             for _, r in result.tests.iterrows()}
    out: dict[str, Any] = {"by": result.by, "metric": _metric(result)[0], "tests": tests,
                           "ranking_changed": result.ranking_changed, "moved": list(result.moved),
                           "weighted": result.weighted, "min_base": result.min_base, "adjustment": result.adjustment,
                           "confidence_level": result.confidence_level, "caveat": RAW_CAVEAT}
    if group is not None:
        out["group"] = str(group)
        out["groups"] = {str(group): groups[str(group)]} if str(group) in groups else {}
    else:
        out["groups"] = groups
    return out
