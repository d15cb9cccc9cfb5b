# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Key drivers of satisfaction and loyalty
#
# **Question:** which parts of the experience move satisfaction and loyalty, and where
# should we act first?

# %% tags=["parameters"]
quarter: str = None  # required: quarter to report, e.g. "2026Q3"
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
outcome: str = None  # overall rating to explain, or None for the study's satisfaction question
drivers: list = None  # driver ratings, or None for the study's drivers
method: str = "shapley"  # importance method, "shapley" or "relative_weights"
n_boot: int = 200  # bootstrap resamples for every interval and test
ipa_cutoff: str = "mean"  # importance-performance cut-offs, "mean" or "median" over the drivers
low: list = [1, 2]  # penalty-reward: ratings coded as low
high: list = [5]  # penalty-reward: ratings coded as high (the rest is the reference)
segment_column: str = None  # survey column for the by-segment comparison, or None for the study's first segment
stability_quarters: int = 4  # number of quarters in the stability check
subset_column: str = None  # fan-out: restrict to customers with this attribute, or None
subset_value: str = None  # fan-out: the value of subset_column to keep, or None
min_base: int = 30  # minimum base; the analysis uses max(min_base, 10 x number of drivers)
confidence_level: float = 0.95  # level of every interval and test
figures_path: str = None  # where the key figures JSON goes; None in an interactive session
seed: int = 0  # seed of every bootstrap

# %%
import dataclasses

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import cxlib as cx

cx.set_theme()

# %% [markdown]
# ## Summary

# %%
# Every analysis of this notebook, run once here so that the summary can come first;
# the sections below show each result in detail. The study's roles say which column is which
# question (the synthetic schema for synthetic data).
data = cx.load_dataset(data_dir)
roles = cx.study_roles(data)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey, roles=roles)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
outcome = outcome or roles.column("satisfaction") or roles.column("recommend")
drivers = list(drivers or roles.columns("drivers"))
recommend = roles.column("recommend")  # the promoter (loyalty) view needs a recommend question
segments = roles.columns("segments")
segment = (segment_column if segment_column is not None
           else subset_column if subset_column in segments else (segments[0] if segments else None))
compare_segments = segment is not None and not (subset_value is not None and segment == subset_column)
multi_wave = len(roles.quarters) > 1
weights = roles.column("weight")
# the declared scale points and "not applicable" codes of the outcome and the drivers
scale = {c: roles.points(c) for c in [outcome, *drivers] if roles.points(c) is not None}
missing = {c: list(roles.scale(c).missing) for c in [outcome, *drivers]
           if roles.scale(c) is not None and roles.scale(c).missing}
driver_base = max(min_base, 10 * len(drivers))
labels = {c: roles.label(c) for c in [outcome, *drivers]}  # charts, tables and sentences name the questions
options = {"drivers": drivers, "weights": weights, "confidence_level": confidence_level, "seed": seed,
           "min_base": driver_base, "scale": scale, "missing": missing}

responses = data.survey[data.survey["quarter"] == quarter].copy()
kd = cx.key_drivers(responses, outcome=outcome, method=method, n_boot=n_boot, **options)
loyalty = None
if recommend is not None:
    responses["promoter"] = (responses[recommend] >= 9).astype(int)  # likelihood to recommend 9-10
    loyalty = cx.key_drivers(responses, outcome="promoter", method="shapley", n_boot=n_boot, **options)
ipa = cx.importance_performance(kd, cutoff=ipa_cutoff)
pr = None if kd.small_base else cx.penalty_reward(responses, outcome=outcome, drivers=drivers, low=low, high=high,
                                                  weights=weights, confidence_level=confidence_level,
                                                  scale=scale, missing=missing)
by_seg = (cx.key_drivers_by_group(responses, by=segment, outcome=outcome, method=method, n_boot=n_boot,
                                  **options) if compare_segments else None)
stability = None
if multi_wave:
    recent = data.survey[data.survey["quarter"].isin(cx.quarter_range(quarter, stability_quarters))]
    stability = cx.driver_stability(recent, period="quarter", outcome=outcome, method=method, n_boot=0,
                                    drivers=drivers, weights=weights, min_base=driver_base, scale=scale,
                                    missing=missing)
findings = cx.report.key_driver_findings(kd, loyalty=loyalty, ipa=None if kd.small_base else ipa, penalty=pr,
                                         by_group=by_seg, stability=stability, labels=labels)
if not multi_wave:
    findings.append(f"This study has one wave ({quarter}): there is no stability check over quarters.")

# %%
display(Markdown(f"{quarter}, {scope}:\n\n" + "\n".join(f"- {s}" for s in findings)))
# %% [markdown]
# ## Method

# %%
binary = kd.outcome_type == "binary"
points = {roles.points(d) for d in drivers}
driver_scale = (f" ({min(points)[0]:g}–{min(points)[1]:g})" if len(points) == 1 and None not in points else "")
codes = sorted({c for d in drivers for c in missing.get(d, [])})
n_missing = responses[[outcome, *drivers]].isna().sum()
most_missing = [roles.label(c) for c, k in n_missing.sort_values(ascending=False).head(2).items() if k]
method_text = [
    (f"Relative importance of the {len(drivers)} driver ratings{driver_scale} for *{roles.label(outcome)}* by "
     "logistic dominance (Shapley value of McFadden's pseudo-R² of a logistic regression of the 0/1 outcome, "
     "refitted for each of the 2^p subsets of drivers), so the importances add up to the model's pseudo-R²."
     if binary else
     f"Relative importance of the {len(drivers)} driver ratings{driver_scale} for *{roles.label(outcome)}* by "
     "the Shapley value / LMG (general dominance; Lindeman, Merenda & Gold 1980; Grömping 2006): each driver's "
     "average gain in R² over all 2^p orders of entry, computed exactly from the survey-weighted correlation "
     "matrix, so the importances add up to the model R²."),
    "Rows with a missing answer in the outcome or any driver are dropped (listwise; the count is reported"
    + (f"; most come from {' and '.join(most_missing)}" if most_missing else "")
    + f", so the analysis describes respondents who answered all {len(drivers)})."
    + (f" Driver answers coded {', '.join(f'{c:g}' for c in codes)} (not applicable) count as missing."
       if codes else ""),
    "Intervals are percentile bootstrap intervals (rows resampled with their weights)."
    if weights else "Intervals are percentile bootstrap intervals (rows resampled; the study has no weights).",
    cx.report.bootstrap_error_note(kd) or "",
    (f"The minimum base is max({min_base}, 10 × number of drivers) complete responses; below it estimates "
     "are suppressed."),
]
labelled = [(d, roles.label(d)) for d in drivers if roles.label(d) != d]
if labelled:  # charts, tables and findings name the drivers by their questions; these are the data's columns
    method_text.append("Columns of the driver questions in the data: "
                       + "; ".join(f"{text} = *{d}*" for d, text in labelled) + ".")
if recommend is not None:
    method_text.append("Loyalty: the same decomposition of McFadden's pseudo-R² of a logistic regression of "
                       "*promoter* (likelihood to recommend 9–10) vs the rest.")
method_text.append("Importance–performance (Martilla & James 1977) and penalty–reward (Mittal, Ross & Baldasare "
                   "1998) show *where* to act (a quadrant counts as settled only when the importance and the "
                   "performance intervals each lie on one side of their cut-offs; otherwise it is borderline); "
                   "segment differences use a bootstrap test with Benjamini–Hochberg "
                   "adjustment"
                   + ("; stability is the Spearman rank correlation of the importances between consecutive "
                      "quarters." if multi_wave else "."))
display(Markdown(" ".join(t for t in method_text if t)))

# %% [markdown]
# ## Data

# %%
n_codes = {c: k for c, k in kd.n_missing_codes.items() if k}
display(Markdown(
    f"Scope: **{scope}**, {quarter}: {len(responses):,} survey responses ("
    + (f"{n_duplicates:,} duplicate submissions removed from the whole survey"
       if roles.column("customer_id") else "repeated submissions not checked: the study has no customer id")
    + "). Missing answers: "
    + (", ".join(f"{roles.label(c)} {k:,}" for c, k in n_missing.items() if k) or "none") + ". "
    + (("Answers set missing as not applicable: " + ", ".join(f"{roles.label(c)} {k:,}" for c, k in n_codes.items())
        + ". ") if n_codes else "")
    + f"Minimum base for a key-driver analysis: **{driver_base}** complete responses."))

# %% [markdown]
# ## What moves the overall rating

# %%
fit = "McFadden pseudo-R²" if binary else "R²"
explained = "pseudo-R²" if binary else "explained variance"
summary = cx.driver_summary(kd)
r2_low, r2_high = cx.r_squared_interval(kd)
r2_interval = f"{confidence_level:.0%} CI {r2_low:.1%} to {r2_high:.1%}" if n_boot else "no interval"
display(Markdown(
    f"Model: {kd.description}. "
    + (f"**Base too small** (n = {kd.n:,} < {kd.min_base:,}): estimates suppressed." if kd.small_base else
       f"{fit} = **{kd.r_squared:.1%}** ({r2_interval}), "
       f"n = {kd.n:,} complete responses (Kish n_eff {kd.n_eff:,.0f}), {kd.n_dropped:,} dropped.")))
cx.report.format_driver_summary(kd, labels=labels, unit=f"% of {fit}",
                                caption=f"Share of the {explained} in {roles.label(outcome)} by driver (bootstrap "
                                        "intervals; sign of the multiple-regression coefficient)")

# %%
ax = cx.plot_driver_importance(kd, labels=labels, title=f"Key drivers of {roles.label(outcome)}, {quarter} ({scope})",
                               xlabel=f"share of the {explained} (%)")
plt.show()

# %% [markdown]
# Takeaway: the drivers at the top of the chart move the overall rating most; overlapping
# intervals mean the order between them is not settled by this sample.
#
# ## Loyalty: what separates promoters from the rest

# %%
if loyalty is None:
    display(Markdown("Loyalty is not part of this study: it has no likelihood-to-recommend question."))
else:
    display(Markdown(
        f"Promoters (likelihood to recommend 9–10): {responses['promoter'].mean():.1%} of responses, unweighted. "
        + (f"**Base too small** (n = {loyalty.n:,}): suppressed." if loyalty.small_base else
           f"McFadden pseudo-R² = **{loyalty.r_squared:.1%}**, n = {loyalty.n:,}.")))
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(drivers) + 1.6), sharex=True, constrained_layout=True)
    cx.plot_driver_importance(kd, labels=labels, ax=axes[0], title=f"{roles.label(outcome)} ({fit})",
                              xlabel=f"share of {fit} (%)")
    cx.plot_driver_importance(loyalty, labels=labels, ax=axes[1], title="promoter vs not (McFadden R²)",
                              xlabel="share of pseudo-R² (%)")
    fig.suptitle(f"Satisfaction and loyalty drivers side by side, {quarter}")
    plt.show()
    display(cx.report.format_driver_summary(
        loyalty, labels=labels, unit="% of pseudo-R²",
        caption="Logistic dominance: share of McFadden's pseudo-R² for promoter vs not"))

# %% [markdown]
# ## Where to act: importance–performance

# %%
if kd.small_base:
    display(Markdown("Suppressed: the base is below the minimum."))
else:
    cx.plot_importance_performance(ipa, labels=labels,
                                   title=f"Importance–performance of {roles.label(outcome)}, {quarter}",
                                   ylabel=f"importance (% of the {explained} in {roles.label(outcome)})")
    plt.show()
    display(cx.report.format_importance_performance(
        ipa, labels=labels, unit=f"% of {fit}",
        caption=f"Quadrants with cut-offs at the {ipa.cutoff} importance ({ipa.importance_cutoff:.3f}) and "
                f"the {ipa.cutoff} of the drivers' mean ratings ({ipa.performance_cutoff:.2f}); a value equal "
                f"to a cut-off counts as low; settled = both {confidence_level:.0%} intervals on one side of "
                "their cut-offs"))

# %% [markdown]
# Performance is the weighted mean rating of each driver on the same rows, with its t interval;
# importance is the driver's share with its bootstrap interval. "Concentrate here" =
# above-cut-off importance with performance at or below the cut-off. A driver whose interval
# crosses a cut-off line is *borderline* (open circle): the data do not rule out the
# neighbouring quadrant, so act on it only with other evidence.
#
# ## Asymmetric drivers: penalty–reward
#
# One joint regression of the overall rating on two dummies per driver — *low* and *high*
# rating (see the caption), the rest as reference. Penalty = how much a low rating lowers
# the overall rating, reward = how much a top rating raises it (in outcome scale points; for a
# 0/1 outcome, in probability). When the outcome bunches at the top of its scale, a top rating
# has little room to add, so several drivers may test as "basic"; read the sizes, not only the
# labels.

# %%
if pr is None:
    display(Markdown("Suppressed: the base is below the minimum."))
else:
    cx.plot_penalty_reward(pr, labels=labels, title=f"Penalty–reward on {roles.label(outcome)}, {quarter}")
    plt.show()
    display(cx.report.format_penalty_reward(pr, labels=labels, caption=f"Low = {list(pr.low)}, high = {list(pr.high)}; "
                                                         f"{confidence_level:.0%} t intervals; category from the "
                                                         "test of penalty − reward"))

# %% [markdown]
# ## By segment

# %%
if by_seg is not None:
    segment_label = roles.label(segment)
    fig, axes = plt.subplots(1, len(by_seg.results), figsize=(4.6 * len(by_seg.results), 0.45 * len(drivers) + 1.6),
                             sharex=True, squeeze=False, constrained_layout=True)
    for ax, (g, res) in zip(axes[0], by_seg.results.items()):
        cx.plot_driver_importance(res, labels=labels, ax=ax, title=f"{segment_label} = {g}",
                                  xlabel=f"share of {fit} (%)")
    fig.suptitle(f"Key drivers of {roles.label(outcome)} by {segment_label}, {quarter}")
    plt.show()
    display(cx.report.format_driver_differences(
        by_seg, labels=labels, caption=f"Difference in importance (group_a − group_b, ×100), {n_boot} bootstrap resamples per "
                        "segment; Benjamini–Hochberg across the table"))
elif segment is not None:
    display(Markdown(f"Not applicable: this run covers a single {roles.label(subset_column)}."))
else:
    display(Markdown("The study declares no segments: there is no segment comparison."))

# %% [markdown]
# ## Stability over recent quarters

# %%
if stability is None:
    display(Markdown(f"One wave ({quarter}): there is no stability check over quarters."))
else:
    cx.plot_driver_stability(stability, labels=labels, title=f"Share of {fit} per driver by quarter ({roles.label(outcome)})")
    plt.show()
    display(stability.rank_correlation.style.format({"spearman_rho": "{:.2f}"}).hide(axis="index")
            .set_caption("Spearman rank correlation of driver importances between consecutive quarters"))

# %%
figures = cx.report.save_key_figures(
    {"headline": {**cx.report.key_driver_figures(kd),
                  **(cx.report.key_driver_figures(loyalty) if loyalty is not None else {})},
     "scope": scope, "quarter": quarter, "outcome": outcome, "method": method, "n_boot": n_boot,
     "min_base": driver_base,
     "importance": None if kd.small_base else summary.to_dict(orient="records"),
     "findings": findings},
    figures_path)
