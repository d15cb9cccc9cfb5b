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
segment_column: str = None  # segment for the breakdown, or None for the study's first segment
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
# the study's roles say which column is which question (the synthetic schema for synthetic data)
data = cx.load_dataset(data_dir)
roles = cx.study_roles(data)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey, roles=roles)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
segments = roles.columns("segments")
segment = segment_column if segment_column is not None else (segments[0] if segments else None)
metrics = cx.scorecard_metrics(roles)  # NPS only when the study has a recommend question
primary = metrics[0]
multi_wave = len(roles.quarters) > 1
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
quarters = cx.quarter_range(quarter, trend_quarters)
in_quarter = data.survey[data.survey["quarter"] == quarter]
has_tickets = roles.has("tickets") and len(data.tickets) > 0
tickets_in_quarter = cx.quarter_tickets(data.tickets, quarter=quarter, roles=roles) if has_tickets else None

# %%
headline = cx.headline_metrics(data.survey, data.customers, quarter=quarter, roles=roles, min_base=min_base,
                               confidence_level=confidence_level)
has_churn = "Churn rate (quarterly)" in set(headline["metric"])
breakdown = None if segment is None else cx.segment_breakdown(
    data.survey, primary.role, quarter=quarter, by=segment, roles=roles, min_base=min_base,
    confidence_level=confidence_level)
# the same pairwise tests and letters as a banner table (cx.crosstab) of the metric by segment
pairwise = None if segment is None else cx.segment_crosstab(
    data.survey, primary.role, quarter=quarter, by=segment, roles=roles, min_base=min_base,
    confidence_level=confidence_level)
findings = cx.report.scorecard_findings(headline, compare=multi_wave)
if breakdown is not None:
    findings += cx.report.breakdown_findings(breakdown, by=segment, metric=primary.label, unit=primary.unit,
                                             label=roles.label(segment))
    findings += cx.report.letter_findings(pairwise.tests, metric=primary.label, unit=primary.unit,
                                          label=roles.label(segment))
if not multi_wave:
    findings.append(f"This study has one wave ({quarter}): there is no trend and no comparison with a "
                    "previous quarter.")
display(Markdown("\n".join(f"- {s}" for s in findings)))
duplicates = (f"{n_duplicates:,} duplicate submissions removed from the whole survey"
              if roles.column("customer_id") else "repeated submissions not checked: the study has no customer id")
tickets = (f"{len(tickets_in_quarter):,} support tickets opened in the quarter" if has_tickets
           else "support tickets are not part of this study")
display(Markdown(f"Scope: **{scope}**. {len(in_quarter):,} survey responses in {quarter} ({duplicates}), "
                 f"{tickets}."))

# %% [markdown]
# ## Method

# %%
display(Markdown(" ".join(cx.report.scorecard_method(metrics, weighted=roles.column("weight") is not None,
                                                     waves=len(roles.quarters), churn=has_churn))))
weighting = cx.load_weighting(data_dir)  # the study's raking to population targets, when it declares them
if weighting is not None:
    display(Markdown(cx.report.weighting_findings(weighting, wave=quarter, labels=roles.labels)))

# %% [markdown]
# ## Headline metrics

# %%
cx.report.format_table(headline, label=["metric", "question", "unit"], show_test=multi_wave,
                       caption=(f"{quarter} vs {cx.previous_quarter(quarter)}: signed change, BH-adjusted p-values"
                                if multi_wave else f"{quarter}, the study's one wave"))

# %% [markdown]
# ## Trend over quarters

# %%
if multi_wave:
    trends = [cx.metric_trend(data.survey, m.role, quarters=quarters, roles=roles, min_base=min_base,
                              confidence_level=confidence_level) for m in metrics]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 3.8), squeeze=False)
    for ax, m, trend in zip(axes[0], metrics, trends):
        cx.plot_trend(trend, ax=ax, title=m.label, ylabel="NPS (points)" if m.unit == "points" else "share (%)")
        ax.set_xlabel(m.question, fontsize="small")
    fig.suptitle(f"Quarterly trend with {confidence_level:.0%} confidence bands "
                 f"(n per quarter {trends[0]['n'].min():,}–{trends[0]['n'].max():,})", y=1.02)
    plt.show()
else:
    display(Markdown(f"One wave ({quarter}): there is no trend over quarters."))

# %% [markdown]
# ## Segments

# %%
if breakdown is None:
    display(Markdown("The study declares no segments: there is no segment breakdown."))
else:
    total = headline.loc[headline["metric"] == primary.label, "estimate"].iloc[0]
    segment_label = roles.label(segment)
    ax = cx.plot_estimates(cx.report.letter_labels(breakdown, by=segment), y=segment, reference=total,
                           title=f"{primary.label} by {segment_label}, {quarter} (A > B: A significantly higher "
                                 "than B)", xlabel=f"{primary.label} ({primary.unit})")
    plt.show()
    display(cx.report.format_table(breakdown.rename(columns={"higher_than": "higher than"}), label=segment,
                                   unit=primary.unit, extra=["letter", "higher than"],
                                   caption=f"Each {segment_label} vs the rest of the sample (BH-adjusted); "
                                           f"higher than: the letters of the {segment_label} groups it is "
                                           f"significantly higher than (pairwise, BH-adjusted); "
                                           f"{primary.label}: {primary.question}"))
    display(Markdown("\n".join(f"- {s}" for s in cx.report.breakdown_findings(
        breakdown, by=segment, metric=primary.label, unit=primary.unit, label=segment_label)
        + cx.report.letter_findings(pairwise.tests, metric=primary.label, unit=primary.unit,
                                    label=segment_label))))

# %% [markdown]
# ## Segment trend

# %%
if multi_wave and segment is not None:
    seg_trend = cx.metric_trend(data.survey, primary.role, quarters=quarters, by=segment, roles=roles,
                                min_base=min_base, confidence_level=confidence_level)
    ax = cx.plot_trend(seg_trend, hue=segment,
                       title=f"{primary.label} by {roles.label(segment)} over quarters (n per cell "
                             f"{seg_trend['n'].min():,}–{seg_trend['n'].max():,}; small bases left as gaps)",
                       ylabel="NPS (points)" if primary.unit == "points" else "share (%)")
    plt.show()
else:
    display(Markdown("No segment trend: " + ("the study has one wave." if not multi_wave
                                             else "the study declares no segments.")))

# %% [markdown]
# ## Churn

# %%
if has_churn:
    churn = cx.churn_rate(data.customers, period="Q", start=quarters[0], end=quarter,
                          signup=roles.column("signup_date", "customers"),
                          churn=roles.column("churn_date", "customers"), scale="percent",
                          confidence_level=confidence_level, min_base=min_base).to_frame()
    ax = cx.plot_trend(churn, x="period", title=f"Quarterly churn rate (customers at risk per quarter "
                                                f"{churn['n'].min():,}–{churn['n'].max():,})",
                       ylabel="churned during the quarter (%)")
    plt.show()
    display(cx.report.format_table(churn.tail(4), label="period", unit="%", digits=2,
                                   caption="Customers at risk at the start of the quarter (n) and the share who left"))
else:
    display(Markdown("Churn is not part of this study: it has no customers table with signup and churn dates."))

# %% [markdown]
# ## Support operations

# %%
ops = None
if not has_tickets:
    display(Markdown("Support operations are not part of this study: it has no tickets table."))
elif tickets_in_quarter.empty:
    display(Markdown(f"No support tickets were opened in {quarter}."))
else:
    ops = cx.operational_metrics(data.tickets, quarter=quarter, roles=roles, confidence_level=confidence_level,
                                 min_base=min_base)
    display(cx.report.format_table(ops, label=["metric", "unit"], digits={"%": 1, "hours": 2},
                                   caption=f"Tickets opened in {quarter}; times in hours, order-statistic intervals"))
    display(Markdown(" ".join(cx.report.support_method(roles))))

# %% [markdown]
# ## Key figures

# %%
segment_figures = {} if breakdown is None else {"segment_letters": cx.report.letter_key_figures(
    breakdown, pairwise.tests, by=segment, metric=primary.label)}
support_figures = {} if ops is None else {"support": cx.report.support_key_figures(ops)}
figures = cx.report.save_key_figures(cx.report.scorecard_key_figures(headline, scope=scope, **segment_figures,
                                                                     **support_figures), figures_path)

# %% [markdown]
# ## Response styles across countries
#
# Countries answer rating scales differently: more or fewer extreme answers, more or less
# agreement at the same experience (Harzing 2006). Before any country is called more or
# less satisfied, its raw score is shown beside the score adjusted for its response style,
# with one test each of whether the countries differ at all. In a per-country run the
# comparison covers every country of the quarter and this country is named.

# %%
style_by = cx.style_column(roles)  # the study's country, language or market segment, if any
style_wave = survey[survey["quarter"] == quarter]  # every country, whatever this run's scope
style_ready = (style_by is not None and bool(roles.columns("drivers")) and style_by in style_wave
               and style_wave[style_by].nunique() > 1)
if style_ready:
    style_cmp = cx.study_style_comparison(style_wave, roles, by=style_by, min_base=min_base,
                                          confidence_level=confidence_level)
    style_group = subset_value if subset_column == style_by else None
    display(Markdown("\n".join(f"- {s}" for s in cx.report.style_comparison_findings(
        style_cmp, label=roles.label(style_by), group=style_group))))
    cx.plot_style_comparison(style_cmp)
    plt.show()
    display(cx.report.style_comparison_table(style_cmp, label=roles.label(style_by)).style.hide(axis="index")
            .set_caption(f"{quarter}: raw and style-adjusted, with the share of extreme (ERS), agreeing (ARS), "
                         "disagreeing (DRS) and midpoint (MRS) answers over the driver ratings"))
    display(Markdown(cx.report.style_comparison_method(style_cmp)))
    figures = cx.report.save_key_figures(
        {**figures, "response_styles": cx.report.style_key_figures(style_cmp, group=style_group)}, figures_path)
else:
    display(Markdown("Response styles are not compared: " + (
        "the study has no country, language or market segment." if style_by is None else
        "the study declares no driver ratings to measure them on." if not roles.columns("drivers") else
        f"only one {roles.label(style_by)} answered in {quarter}.")))
