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
# # Customer segments
#
# **Question:** which groups of customers want different things from us, how large and
# how stable are those groups, and how do their loyalty, satisfaction and churn differ?

# %% tags=["parameters"]
quarter: str = None  # required: quarter to report, e.g. "2026Q3"
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
method: str = "kmeans"  # segmentation method, "kmeans" or "gmm" (mixtures fit 5-point ratings poorly)
k: list = [3, 4, 5, 6]  # candidate numbers of segments; the best by the method's criterion is used
drivers: list = None  # driver ratings to cluster on, or None for the study's drivers (declared scales, missing codes)
missing: str = "mean"  # missing ratings: "mean" imputes the item mean, "drop" excludes the respondent
profile_columns: list = None  # attributes profiled as shares besides the drivers, or None for the study's segments
n_boot: int = 40  # bootstrap refits for the stability interval
subset_column: str = None  # fan-out: restrict to customers with this attribute, or None
subset_value: str = None  # fan-out: the value of subset_column to keep, or None
min_base: int = 30  # minimum base; smaller groups are flagged and suppressed
confidence_level: float = 0.95  # level of every interval and test
figures_path: str = None  # where the key figures JSON goes; None in an interactive session
seed: int = 0  # seed of every clustering fit and bootstrap

# %%
import dataclasses

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import cxlib as cx

cx.set_theme()
other_method = "gmm" if method == "kmeans" else "kmeans"

# %%
# Data: the study's roles say which columns are the drivers, the outcomes and the segments (the
# synthetic schema for synthetic data). This quarter's respondents are segmented; when the study
# has customers with churn dates and a previous wave, last quarter's respondents are assigned to
# the same segments so that their churn during this quarter can be followed.
data = cx.load_dataset(data_dir)
roles = cx.study_roles(data)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey, roles=roles)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
drivers = roles.columns("drivers") if drivers is None else list(drivers)
profile_vars = [c for c in (roles.columns("segments") if profile_columns is None else profile_columns)
                if c != subset_column]
# each driver's declared points (a rating outside them raises) and missing codes (0 = not applicable …)
driver_points = {d: roles.points(d) for d in drivers if roles.points(d) is not None}
driver_codes = {d: list(roles.scale(d).missing) for d in drivers if roles.scale(d) and roles.scale(d).missing}
weight = roles.column("weight")
metrics = cx.scorecard_metrics(roles)  # NPS only when the study has a recommend question
# response styles are a country (or language) matter: the study's segment named so, if any
style_by = cx.style_column(roles)
prev = cx.previous_quarter(quarter)
wave = data.survey[data.survey["quarter"] == quarter].reset_index(drop=True)
prev_wave = data.survey[data.survey["quarter"] == prev].reset_index(drop=True)
customers = roles.has("customers") and len(data.customers) > 0
follow_churn = customers and len(prev_wave) > 0 and roles.column("churn_date", "customers") is not None

# %%
# Analysis: segments, their outcomes, and the cross-country check; displayed below.
seg = cx.attitudinal_segments(wave, variables=drivers, k=k, method=method, incomplete=missing, seed=seed,
                              n_boot=n_boot, confidence_level=confidence_level, scale=driver_points,
                              missing=driver_codes)
alt = cx.attitudinal_segments(wave, variables=drivers, k=k, method=other_method, incomplete=missing, seed=seed,
                              n_boot=0, n_init=2, scale=driver_points, missing=driver_codes)
names = cx.name_segments(seg)
wave["segment"] = seg.labels
churn = None
if follow_churn:
    prev_wave["segment"] = seg.assign(prev_wave)
    at_risk = cx.customers_at_risk(data.customers, quarters=[quarter],
                                   signup=roles.column("signup_date", "customers"),
                                   churn=roles.column("churn_date", "customers"))[["customer_id", "churned"]]
    churn = prev_wave.merge(at_risk, on="customer_id", how="inner")
outcomes = cx.segment_outcomes(wave, by="segment", churn=churn, metrics=metrics, weights=weight,
                               min_base=min_base, confidence_level=confidence_level)
assoc_raw = assoc_std = None
if style_by is not None and wave[style_by].nunique() > 1:
    std = cx.standardize_within(wave, by=style_by, items=drivers, scale=driver_points, missing=driver_codes)
    seg_std = cx.attitudinal_segments(std, variables=[f"{d}_z" for d in drivers], k=seg.k, method=method,
                                      incomplete=missing, seed=seed, n_boot=0)
    std["segment"] = seg_std.labels
    assoc_raw = cx.segment_association(wave, by=style_by, confidence_level=confidence_level)
    assoc_std = cx.segment_association(std, by=style_by, confidence_level=confidence_level)

# %% [markdown]
# ## Summary

# %%
duplicates = (f"{n_duplicates:,} duplicate submissions removed from the whole survey"
              if roles.column("customer_id") else "repeated submissions not checked: the study has no customer id")
followed = (f"{len(prev_wave):,} responses in {prev} are assigned to the same segments to follow their churn "
            f"in {quarter}" if follow_churn else "churn by segment is not part of this study (it needs a customers "
            "table with churn dates and a previous wave)")
display(Markdown(
    f"Scope: **{scope}**. {len(wave):,} survey responses in {quarter} are segmented ({duplicates}); "
    f"{followed}.\n\n"
    + "\n".join(f"- {s}" for s in cx.report.segment_findings(
        seg, outcomes, names=names, association=assoc_raw, association_standardized=assoc_std,
        by=roles.label(style_by) if style_by else "country"))))

# %% [markdown]
# ## Method

# %%
points_text = sorted({f"{lo:g}–{hi:g}" for lo, hi in driver_points.values()})
codes_text = sorted({f"{c:g}" if isinstance(c, float) else str(c) for cs in driver_codes.values() for c in cs})
outcome_text = ", ".join(f"{m.label} ({'Wald, Rocks 2016' if m.unit == 'points' else 'Wilson interval'})"
                         for m in metrics) + (" and next-quarter churn" if follow_churn else "")
display(Markdown(
    f"Attitudinal (needs-based) segments from this quarter's {len(drivers)} driver ratings"
    + (f" ({', '.join(points_text)})" if points_text else "")
    + (f", with the declared codes {', '.join(codes_text)} (not applicable / don't know) treated as missing"
       if codes_text else "")
    + f"; missing ratings are {'replaced by the item mean' if missing == 'mean' else 'excluded with the respondent'}. "
    "Ratings are z-scored and clustered by k-means; the number of segments is the k with the highest mean "
    "silhouette width. A Gaussian mixture is fitted alongside for its BIC, but it is not used for the segments: "
    "on rating scales the data are discrete, and full-covariance mixtures keep adding components to fit the grid "
    "of answer values, so BIC falls as k grows instead of pointing to a structure. Stability is the mean "
    "adjusted Rand index (ARI) between the segments and refits on bootstrap resamples, with a percentile "
    "interval. Segments are profiled against the total (means and shares, index 100 = average; Welch and "
    "two-proportion tests vs the rest of the sample, Benjamini–Hochberg across the table). "
    f"{outcome_text} {'are' if len(metrics) > 1 or follow_churn else 'is'} compared by segment, each against the "
    "rest, with one BH correction across all of them. "
    + ("Survey weights are used throughout with the Kish effective base. " if weight else
       "The study has no survey weights: every respondent counts once. ")
    + "Groups below the minimum base are flagged and suppressed. "
    + ("Country response styles are checked before any conclusion about countries; within-country "
       "standardisation is shown as an alternative, never applied silently." if style_by else
       "The study has no country or language column, so response styles are not compared.")))

# %% [markdown]
# ## How many segments, and how stable are they

# %%
(cx.k_selection_table(seg, alt).style.hide(axis="index").format(precision=3)
 .set_caption(f"Choice of k: {seg.method} is used ({'highest silhouette' if method == 'kmeans' else 'lowest BIC'})"))

# %%
cx.report.segment_sizes_table(seg, names=names)

# %% [markdown]
# ## Segment profiles

# %%
from_customers = [c for c in profile_vars if c not in wave]
with_attrs = (wave if not from_customers else
              wave.merge(data.customers[["customer_id", *from_customers]], on="customer_id", how="left"))
# the profile shows each question's label
shown = {c: roles.label(c) for c in [*drivers, *profile_vars]}
prof = cx.profile(with_attrs.rename(columns=shown), by="segment",
                  variables=[shown[c] for c in [*drivers, *profile_vars]], weights=weight, min_base=min_base,
                  confidence_level=confidence_level,
                  scale={shown[d]: p for d, p in driver_points.items()},
                  missing={shown[d]: c for d, c in driver_codes.items()})
ax = cx.plot_profile(prof[prof["measure"] == "mean"])
plt.show()
cx.report.profile_table(prof, names=names)

# %% [markdown]
# ## Loyalty, satisfaction and churn by segment

# %%
cx.plot_segment_outcomes(outcomes, names=names)
plt.show()
units = ("NPS in points, " if "nps" in set(outcomes["metric"]) else "") + "shares in %"
churn_text = (f"; churn = share of {prev} respondents at risk on the first day of {quarter} who left during {quarter}"
              if follow_churn else "")
cx.report.outcome_table(outcomes, names=names, caption=f"{units}{churn_text}; each segment vs the rest")

# %% [markdown]
# ## Response styles across countries

# %%
if style_by is not None:
    styles = cx.response_styles(wave, by=style_by, items=drivers, scale=driver_points or (1, 5),
                                missing=driver_codes)
    ax = cx.plot_response_styles(styles)
    plt.show()
    display(styles.summary.style.hide(axis="index").format(precision=3).set_caption(styles.method))
    if wave[style_by].nunique() > 1 and (roles.column("recommend") or roles.column("satisfaction")):
        # the outcome by country as reported and adjusted for response styles, with a test each
        style_cmp = cx.study_style_comparison(wave, roles, by=style_by, min_base=min_base,
                                              confidence_level=confidence_level)
        display(Markdown("\n".join(f"- {s}" for s in cx.report.style_comparison_findings(
            style_cmp, label=roles.label(style_by)))))
        cx.plot_style_comparison(style_cmp)
        plt.show()
        display(cx.report.style_comparison_table(style_cmp, label=roles.label(style_by)).style.hide(axis="index")
                .set_caption(cx.report.style_comparison_method(style_cmp)))
else:
    display(Markdown("The study has no country or language column (no segment named country, language or "
                     "market): response styles across countries cannot be compared."))

# %%
if style_by is not None:
    display(Markdown(
        "Countries answer the same questions differently (Harzing 2006): a country with more extreme or "
        "acquiescent answers looks more satisfied, or more polarised, at the same experience. The check below "
        "re-runs the segmentation on ratings z-scored within each country, **as an alternative view only**: the "
        "segments used elsewhere in this report are on raw ratings."))
if assoc_raw is not None:
    display(cx.report.association_table(assoc_raw, assoc_std, by=roles.label(style_by)))
    display(cx.report.segment_share_table(wave, by=style_by,
                                          caption="Raw ratings: segment shares within each country"))
    display(cx.report.segment_share_table(std, by=style_by,
                                          caption="Within-country z-scores: segment shares within each country"))
    display(Markdown("Agreement between the raw and the standardised segmentation: "
                     f"ARI {cx.segment_agreement(seg.labels, seg_std.labels):.2f}."))
elif style_by is not None:
    display(Markdown("Only one country in scope: no cross-country comparison."))

# %% [markdown]
# ## Rule-based segments

# %%
as_of = cx.quarter_bounds(quarter)[1] - pd.Timedelta(days=1)
rules = {}
if roles.column("recommend") is not None:
    rules[f"NPS groups ({quarter} respondents)"] = cx.nps_groups(wave, score=roles.column("recommend"))
signup, churned = roles.column("signup_date", "customers"), roles.column("churn_date", "customers")
revenue = roles.column("revenue", "customers")
if customers and signup is not None:
    c = data.customers
    active = c[(c[signup] <= as_of) & ((c[churned].isna() | (c[churned] > as_of)) if churned else True)]
    if revenue is not None:
        rules[f"Value tiers (customers active on {as_of.date()}, {roles.label(revenue)})"] = cx.value_tiers(
            active, value=revenue)
    rules[f"Tenure bands (customers active on {as_of.date()})"] = cx.tenure_bands(active, start=signup, as_of=as_of)
for title, rule in rules.items():
    display(rule.counts[["segment", "n", "share", "min", "max"]].style.hide(axis="index")
            .format({"share": "{:.1%}", "min": "{:.1f}", "max": "{:.1f}"}).set_caption(f"{title}: {rule.method}"))
if roles.column("recommend") is None:
    display(Markdown("NPS groups are not part of this study: it has no likelihood-to-recommend question."))
if not customers:
    display(Markdown("Value tiers and tenure bands are not part of this study: it has no customers table."))
display(Markdown("RFM is not shown: this dataset has no transaction history"
                 + (" (only a monthly revenue)." if revenue else ".")))

# %%
figures = cx.report.save_key_figures(cx.report.segment_key_figures(seg, outcomes, names=names, min_base=min_base,
                                                            scope=scope, quarter=quarter), figures_path)
