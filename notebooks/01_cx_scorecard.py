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
# # CX scorecard
#
# **Question:** how satisfied and loyal were our customers this quarter, did that change
# since last quarter, which segments differ, and how did support perform?

# %% tags=["parameters"]
quarter: str = None  # required: quarter to report, e.g. "2026Q3"
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
segment_column: str = "plan"  # customer attribute for the segment breakdown
subset_column: str = None  # fan-out: restrict to customers with this attribute, or None
subset_value: str = None  # fan-out: the value of subset_column to keep, or None
min_base: int = 30  # minimum base; smaller groups are flagged and suppressed
confidence_level: float = 0.95  # level of every interval and test
trend_quarters: int = 8  # number of quarters in the trend charts
figures_path: str = None  # where the key figures JSON goes; None in an interactive session

# %%
import dataclasses

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import cxlib as cx

cx.set_theme()

# %% [markdown]
# ## Summary

# %%
data = cx.load_dataset(data_dir)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
quarters = cx.quarter_range(quarter, trend_quarters)
in_quarter = data.survey[data.survey["quarter"] == quarter]
headline = cx.headline_metrics(data.survey, data.customers, quarter=quarter, min_base=min_base,
                               confidence_level=confidence_level)
breakdown = cx.segment_breakdown(data.survey, cx.nps, quarter=quarter, by=segment_column,
                                 min_base=min_base, confidence_level=confidence_level)
display(Markdown("\n".join(f"- {s}" for s in cx.report.scorecard_findings(headline)
                            + cx.report.breakdown_findings(breakdown, by=segment_column))))
display(Markdown(
    f"Scope: **{scope}**. {len(in_quarter):,} survey responses in {quarter} "
    f"({n_duplicates:,} duplicate submissions removed from the whole survey), "
    f"{(data.tickets['quarter'] == quarter).sum():,} support tickets opened in the quarter."))

# %% [markdown]
# ## Method
#
# NPS (promoters 9–10 minus detractors 0–6, in points) with a Wald interval
# (Rocks 2016); CSAT top-2-box and CES "easy" (5–7) shares with Wilson intervals; survey
# design weights with Kish effective base. Changes are signed (this quarter − last) with
# two-sided tests, Benjamini–Hochberg-corrected across the table. Segments are tested
# against the rest of the sample. Groups below the minimum base are flagged and
# suppressed. Churn is the share of customers at risk at the start of the quarter who
# left during it.

# %% [markdown]
# ## Headline metrics

# %%
cx.report.format_table(headline, label=["metric", "unit"],
                       caption=f"{quarter} vs {cx.previous_quarter(quarter)}: signed change, BH-adjusted p-values")

# %% [markdown]
# ## Trend over quarters

# %%
trend_nps = cx.metric_trend(data.survey, cx.nps, quarters=quarters, min_base=min_base,
                            confidence_level=confidence_level)
trend_csat = cx.metric_trend(data.survey, cx.csat, quarters=quarters, min_base=min_base,
                             confidence_level=confidence_level)
trend_ces = cx.metric_trend(data.survey, cx.ces, quarters=quarters, min_base=min_base,
                            confidence_level=confidence_level)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
cx.plot_trend(trend_nps, ax=axes[0], title="NPS", ylabel="NPS (points)")
cx.plot_trend(trend_csat, ax=axes[1], title="CSAT top-2-box", ylabel="share (%)")
cx.plot_trend(trend_ces, ax=axes[2], title="CES easy (5–7)", ylabel="share (%)")
fig.suptitle(f"Quarterly trend with {confidence_level:.0%} confidence bands "
             f"(n per quarter {trend_nps['n'].min():,}–{trend_nps['n'].max():,})", y=1.02)
plt.show()

# %% [markdown]
# ## NPS by segment

# %%
total_nps = headline.loc[headline["metric"] == "NPS", "estimate"].iloc[0]
ax = cx.plot_estimates(breakdown, y=segment_column, reference=total_nps,
                       title=f"NPS by {segment_column}, {quarter}", xlabel="NPS (points)")
plt.show()
cx.report.format_table(breakdown, label=segment_column, unit="points",
                       caption=f"Each {segment_column} vs the rest of the sample (BH-adjusted)")

# %%
display(Markdown("\n".join(f"- {s}" for s in cx.report.breakdown_findings(breakdown, by=segment_column))))

# %% [markdown]
# ## Segment trend

# %%
seg_trend = cx.metric_trend(data.survey, cx.nps, quarters=quarters, by=segment_column, min_base=min_base,
                            confidence_level=confidence_level)
ax = cx.plot_trend(seg_trend, hue=segment_column,
                   title=f"NPS by {segment_column} over quarters (n per cell {seg_trend['n'].min():,}–"
                         f"{seg_trend['n'].max():,}; small bases left as gaps)",
                   ylabel="NPS (points)")
plt.show()

# %% [markdown]
# ## Churn

# %%
churn = cx.churn_rate(data.customers, period="Q", start=quarters[0], end=quarter, scale="percent",
                      confidence_level=confidence_level, min_base=min_base).to_frame()
ax = cx.plot_trend(churn, x="period", title=f"Quarterly churn rate (customers at risk per quarter "
                                            f"{churn['n'].min():,}–{churn['n'].max():,})",
                   ylabel="churned during the quarter (%)")
plt.show()
cx.report.format_table(churn.tail(4), label="period", unit="%", digits=2,
                       caption="Customers at risk at the start of the quarter (n) and the share who left")

# %% [markdown]
# ## Support operations

# %%
ops = cx.operational_metrics(data.tickets, quarter=quarter, confidence_level=confidence_level,
                             min_base=min_base)
cx.report.format_table(ops, label=["metric", "unit"], digits={"%": 1, "hours": 2},
                caption=f"Tickets opened in {quarter}; times in hours, order-statistic intervals")

# %% [markdown]
# ## Key figures

# %%
figures = cx.report.save_key_figures(cx.report.scorecard_key_figures(headline, scope=scope), figures_path)
