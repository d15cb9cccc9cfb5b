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
drivers: list = ["product_quality", "reliability", "ease_of_use", "value_for_money", "support", "billing_clarity", "onboarding", "communication"]  # driver ratings (1-5) to cluster on
missing: str = "mean"  # missing ratings: "mean" imputes the item mean, "drop" excludes the respondent
profile_columns: list = ["plan", "country"]  # customer attributes profiled as shares besides the drivers
n_boot: int = 30  # bootstrap refits for the stability interval
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
profile_vars = [c for c in profile_columns if c != subset_column]

# %%
# Data: this quarter's respondents are segmented; last quarter's are assigned to the same
# segments so that their churn during this quarter can be followed.
data = cx.load_dataset(data_dir)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
prev = cx.previous_quarter(quarter)
wave = data.survey[data.survey["quarter"] == quarter].reset_index(drop=True)
prev_wave = data.survey[data.survey["quarter"] == prev].reset_index(drop=True)

# %%
# Analysis: segments, their outcomes, and the cross-country check; displayed below.
seg = cx.attitudinal_segments(wave, variables=drivers, k=k, method=method, incomplete=missing, seed=seed,
                              n_boot=n_boot, confidence_level=confidence_level)
alt = cx.attitudinal_segments(wave, variables=drivers, k=k, method=other_method, incomplete=missing, seed=seed,
                              n_boot=0, n_init=2)
names = cx.name_segments(seg)
wave["segment"] = seg.labels
prev_wave["segment"] = seg.assign(prev_wave)
at_risk = cx.customers_at_risk(data.customers, quarters=[quarter])[["customer_id", "churned"]]
outcomes = cx.segment_outcomes(wave, by="segment", churn=prev_wave.merge(at_risk, on="customer_id", how="inner"),
                               min_base=min_base, confidence_level=confidence_level)
assoc_raw = assoc_std = None
if wave["country"].nunique() > 1:
    std = cx.standardize_within(wave, by="country", items=drivers)
    seg_std = cx.attitudinal_segments(std, variables=[f"{d}_z" for d in drivers], k=seg.k, method=method,
                                      incomplete=missing, seed=seed, n_boot=0)
    std["segment"] = seg_std.labels
    assoc_raw = cx.segment_association(wave, by="country", confidence_level=confidence_level)
    assoc_std = cx.segment_association(std, by="country", confidence_level=confidence_level)

# %% [markdown]
# ## Summary

# %%
display(Markdown(
    f"Scope: **{scope}**. {len(wave):,} survey responses in {quarter} are segmented "
    f"({n_duplicates:,} duplicate submissions removed from the whole survey); {len(prev_wave):,} "
    f"responses in {prev} are assigned to the same segments to follow their churn in {quarter}.\n\n"
    + "\n".join(f"- {s}" for s in cx.report.segment_findings(
        seg, outcomes, names=names, association=assoc_raw, association_standardized=assoc_std, by="country"))))

# %% [markdown]
# ## Method
#
# Attitudinal (needs-based) segments from this quarter's driver ratings (1–5), z-scored,
# clustered by k-means; the number of segments is the k with the highest mean silhouette
# width. A Gaussian mixture is fitted alongside for its BIC, but it is not used for the
# segments: on 5-point ratings the data are discrete, and full-covariance mixtures keep
# adding components to fit the grid of answer values, so BIC falls as k grows instead of
# pointing to a structure. Stability is the mean adjusted Rand index (ARI) between the
# segments and refits on bootstrap resamples, with a percentile interval. Segments are
# profiled against the total (means and shares, index 100 = average; Welch and
# two-proportion tests vs the rest of the sample, Benjamini–Hochberg across the table).
# NPS (Wald, Rocks 2016), CSAT top-2-box, CES "easy" (Wilson intervals) and next-quarter
# churn are compared by segment, each against the rest, with one BH correction across all
# of them. Survey weights are used throughout with the Kish effective base. Groups below
# the minimum base are flagged and suppressed. Country response styles are checked before
# any conclusion about countries; within-country standardisation is shown as an
# alternative, never applied silently.

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
with_attrs = wave.merge(data.customers[["customer_id", *[c for c in profile_vars if c not in wave]]],
                        on="customer_id", how="left")
prof = cx.profile(with_attrs, by="segment", variables=[*drivers, *profile_vars], weights="weight",
                  min_base=min_base, confidence_level=confidence_level)
ax = cx.plot_profile(prof[prof["measure"] == "mean"])
plt.show()
cx.report.profile_table(prof, names=names)

# %% [markdown]
# ## Loyalty, satisfaction and churn by segment

# %%
cx.plot_segment_outcomes(outcomes, names=names)
plt.show()
cx.report.outcome_table(outcomes, names=names,
                        caption=f"NPS in points, shares in %; churn = share of {prev} respondents at risk on the "
                                f"first day of {quarter} who left during {quarter}; each segment vs the rest")

# %% [markdown]
# ## Response styles across countries

# %%
styles = cx.response_styles(wave, by="country", items=drivers, scale=(1, 5))
ax = cx.plot_response_styles(styles)
plt.show()
styles.summary.style.hide(axis="index").format(precision=3).set_caption(styles.method)

# %% [markdown]
# Countries answer the same questions differently (Harzing 2006): a country with more extreme
# or acquiescent answers looks more satisfied, or more polarised, at the same experience. The
# check below re-runs the segmentation on ratings z-scored within each country, **as an
# alternative view only**: the segments used elsewhere in this report are on raw ratings.

# %%
if assoc_raw is not None:
    display(cx.report.association_table(assoc_raw, assoc_std, by="country"))
    display(cx.report.segment_share_table(wave, by="country",
                                          caption="Raw ratings: segment shares within each country"))
    display(cx.report.segment_share_table(std, by="country",
                                          caption="Within-country z-scores: segment shares within each country"))
    display(Markdown("Agreement between the raw and the standardised segmentation: "
                     f"ARI {cx.segment_agreement(seg.labels, seg_std.labels):.2f}."))
else:
    display(Markdown("Only one country in scope: no cross-country comparison."))

# %% [markdown]
# ## Rule-based segments

# %%
as_of = cx.quarter_bounds(quarter)[1] - pd.Timedelta(days=1)
active = data.customers[(data.customers["signup_date"] <= as_of)
                        & (data.customers["churn_date"].isna() | (data.customers["churn_date"] > as_of))]
rules = {
    f"NPS groups ({quarter} respondents)": cx.nps_groups(wave),
    f"Value tiers (customers active on {as_of.date()}, monthly revenue)": cx.value_tiers(active),
    f"Tenure bands (customers active on {as_of.date()})": cx.tenure_bands(active, as_of=as_of),
}
for title, rule in rules.items():
    display(rule.counts[["segment", "n", "share", "min", "max"]].style.hide(axis="index")
            .format({"share": "{:.1%}", "min": "{:.1f}", "max": "{:.1f}"}).set_caption(f"{title}: {rule.method}"))
display(Markdown("RFM is not shown: this dataset has no transaction history (only a monthly revenue)."))

# %%
figures = cx.report.save_key_figures(cx.report.segment_key_figures(seg, outcomes, names=names, min_base=min_base,
                                                            scope=scope, quarter=quarter), figures_path)
