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
# # Loyalty and churn
#
# **Question:** how much revenue depends on experience? Do detractors leave sooner than
# promoters, by how much, and what would moving detractors to passives protect?

# %% tags=["parameters"]
quarter: str = None  # required: reporting quarter, e.g. "2026Q3"; follow-up ends with it
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
horizon: int = 12  # months: churn-within horizon, revenue-at-risk period
segment_column: str = "plan"  # customer attribute for revenue at risk by segment
min_base: int = 30  # minimum base; smaller groups are flagged and suppressed
confidence_level: float = 0.95  # level of every interval and test
subset_column: str = None  # fan-out: restrict to customers with this attribute, or None
subset_value: str = None  # fan-out: the value of subset_column to keep, or None
margin_share: float = 0.7  # gross margin as a share of revenue (CLV assumption)
figures_path: str = None  # where the key figures JSON goes; None in an interactive session
seed: int = 0  # seed of the bootstrap
n_boot: int = 40  # bootstrap resamples for revenue at risk (small for speed)

# %%
import dataclasses

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import cxlib as cx

cx.set_theme()

# %%
# data: every surveyed customer, followed from her first response to the end of the quarter
data = cx.load_dataset(data_dir)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
as_of = cx.quarter_bounds(quarter)[1]
survey = data.survey[data.survey["quarter"] <= quarter]
first = survey.sort_values("response_date").drop_duplicates("customer_id")
table = cx.churn_table(data.customers, first.drop(columns=["country", "plan"]), as_of=as_of)
controls = [c for c in ("plan",) if table.data[c].nunique() > 1]
reference = {"plan": "standard"} if controls else None
# active customers at the end of the quarter, by their latest NPS group (for revenue at risk)
latest = survey.sort_values("response_date").drop_duplicates("customer_id", keep="last")
current = cx.churn_table(data.customers, latest.drop(columns=["country", "plan"]), as_of=as_of).data
current = current.loc[current["event"] == 0]

# %%
# the results the summary quotes; each is shown in its section below
surv = cx.survival(table, duration="duration", event="event", by="nps_group",
                   confidence_level=confidence_level, min_base=min_base)
rates = cx.churn_hazard_by_group(table, by="nps_group", confidence_level=confidence_level, min_base=min_base)
cox = cx.churn_drivers(table, covariates=["nps_group", *controls], horizon=horizon, reference=reference,
                       confidence_level=confidence_level)
base_cox = cx.churn_drivers(table, covariates=["nps_group", *controls], horizon=None, reference=reference,
                            confidence_level=confidence_level)
risk = cx.revenue_at_risk(current, model=base_cox, fit_data=table, by=[segment_column, "nps_group"],
                          horizon=horizon, n_boot=n_boot, seed=seed, confidence_level=confidence_level,
                          min_base=min_base)
findings = cx.report.churn_findings(rates=rates, drivers=cox, at_risk=risk)

# %% [markdown]
# ## Summary

# %%
display(Markdown("\n".join(f"- {s}" for s in findings + cx.report.survival_findings(surv, groups="NPS groups"))))

# %% [markdown]
# ## Method and assumptions
#
# Each surveyed customer is followed from her first response up to the end of the
# reporting quarter (churn = the customer's churn date; still active = censored).
# Kaplan–Meier curves by NPS group with Greenwood-based log(−log) bands, medians with
# intervals and a log-rank test. A Cox proportional-hazards model (NPS group, with plan as
# a control where it varies) with a Schoenfeld-residual check of proportional hazards, and
# a logistic model of churn within the horizon as the cruder alternative. A time-varying
# Cox model follows every response to the end of its quarter, with the time-varying flag
# "after a negative episode this quarter". Monthly churn = events / months at risk (constant
# hazard, exact Poisson interval); CLV = margin × expected lifetime (geometric,
# undiscounted). Revenue at risk = Σ churn probability within the horizon × monthly
# revenue × horizon, from the Cox model, with a customer bootstrap refitting the model.
# **Assumptions:** the NPS group is measured once, at the first response (it changes
# later, which dilutes its effect); the move scenario reads the hazard ratio causally;
# revenue is constant and lost in full on churn; the gross margin share is a parameter.
# Groups below the minimum base are flagged and suppressed; a median the curve never
# reaches within the follow-up reads "not reached".

# %% [markdown]
# ## Data

# %%
display(Markdown(
    f"Scope: **{scope}**. {len(table):,} surveyed customers followed from their first response "
    f"to the end of {quarter} ({table.data['event'].sum():,} churned; {n_duplicates:,} duplicate "
    f"submissions removed); {len(current):,} customers active at its end."))

# %% [markdown]
# ## Survival by NPS group

# %%
cx.plot_survival(surv, xlabel="months since first survey response")
plt.show()
cx.report.format_table(cx.survival_at(surv, horizon, scale="percent"), label="group", unit="% still customers",
                extra=["at_risk"], caption=f"Kaplan–Meier survival {horizon} months after the first response")

# %%
cx.report.median_table(surv, unit="months", caption="Median time to churn after the first response "
                                                    "(not reached = the curve stays above 50 %)")

# %% [markdown]
# ## Churn rate by NPS group

# %%
cx.report.format_table(cx.churn_hazard_by_group(table, by="nps_group", confidence_level=confidence_level,
                                         min_base=min_base, scale="percent"),
                label="nps_group", unit="% a month", digits=2, extra=["events"],
                caption="Churn events per month at risk (exact Poisson interval)")

# %% [markdown]
# ## Cox model: hazard ratios

# %%
cx.plot_estimates(cox.hazard_ratios, y="term", reference=1.0, significant=None,
                  title=f"Churn hazard ratios (n = {cox.n:,}, {cox.n_events:,} churned)",
                  xlabel="hazard ratio (1 = reference: promoter, standard plan)")
plt.show()
cx.report.ratio_table(cox.hazard_ratios, unit="hazard ratio", caption=f"Cox model; {cox.method}",
                      warnings=cox.warnings)

# %%
cx.report.ph_test_table(cox, caption="Proportional-hazards check (Schoenfeld residuals vs rank of time): small p = "
                                     "a hazard ratio that changes over follow-up")

# %% [markdown]
# ## Logistic alternative: churn within the horizon

# %%
cx.report.ratio_table(cox.odds_ratios, unit="odds ratio", warnings=cox.warnings,
                      caption=f"Odds ratios of churning within {horizon} months ({cox.n_logit:,} customers with a "
                              f"known outcome; {cox.n_logit_censored_excluded:,} censored earlier excluded)")

# %%
# the models' warnings (an interval not estimable, a hazard ratio that changes over time), in words
display(Markdown("\n".join(f"- Warning: {w}." for w in cox.warnings)
                 or "No model warnings: every interval is estimable and no hazard ratio changes over time."))

# %% [markdown]
# ## Time-varying model: the quarter's NPS group and negative episodes

# %%
spells = cx.churn_spells(data.customers, survey.drop(columns=["country", "plan"]), as_of=as_of,
                         journeys=data.journeys, until="quarter_end")
tv = cx.churn_drivers(spells, duration="stop", start="start", covariates=["nps_group", "negative_episode", *controls],
                      reference=reference, confidence_level=confidence_level)
cx.report.ratio_table(tv.hazard_ratios, unit="hazard ratio", warnings=tv.warnings,
                      caption=f"Every response followed to the end of its quarter ({tv.n:,} spells, "
                              f"{tv.n_events:,} churned); negative_episode = after a negative episode in the quarter")

# %%
display(Markdown("\n".join(f"- Warning: {w}." for w in tv.warnings) or "No warnings from the time-varying model."))

# %% [markdown]
# ## Retention by cohort

# %%
cohorts = cx.cohort_retention(data.customers, as_of=as_of, confidence_level=confidence_level, min_base=min_base,
                              scale="percent")
cx.plot_cohort_retention(cohorts, since=cx.quarter_range(quarter, 8)[0])
plt.show()

# %%
resp = first.merge(table.data[["response_id", "nps_group"]], on="response_id").merge(
    data.customers[["customer_id", "churn_date"]], on="customer_id")
by_group = cx.cohort_retention(resp, signup="response_date", as_of=as_of, by="nps_group",
                               confidence_level=confidence_level, min_base=min_base, scale="percent")
cx.report.format_table(by_group.to_frame().loc[lambda f: (f["period_index"] == 2) & f["observable"]].sort_values(
                    ["cohort", "nps_group"]).tail(12),
                label=["cohort", "nps_group"], unit="% retained", show_test=False,
                caption="Survey cohorts (quarter of first response): share still customers two quarters later")

# %% [markdown]
# ## Customer lifetime value by NPS group

# %%
margin = (table.data.groupby("nps_group", observed=True)["monthly_revenue"].mean() * margin_share).rename("margin")
clv = cx.simple_clv(rates.merge(margin, left_on="nps_group", right_index=True), margin="margin",
                    monthly_churn="estimate", churn_ci=("ci_low", "ci_high"), by="nps_group", n="n",
                    min_base=min_base, confidence_level=confidence_level)
cx.report.format_table(clv, label="nps_group", unit="margin per customer", digits=0,
                caption=f"CLV = mean monthly revenue × {margin_share:.0%} margin × expected lifetime "
                        "(months, 1 / monthly churn); interval from the churn interval")

# %% [markdown]
# ## Revenue at risk

# %%
cx.report.format_table(risk.table.loc[lambda f: (f["quantity"] == "revenue_at_risk")
                               | f["nps_group"].isin(["detractor", "(all)"])],
                label=[segment_column, "nps_group", "quantity"], unit="revenue", digits=0, show_test=False,
                caption=f"Active customers at the end of {quarter} by their latest NPS group; revenue over the next "
                        f"{horizon} months; percentile bootstrap ({n_boot} resamples, model refitted)")

# %%
display(Markdown(f"**Assumptions:** {risk.assumptions}."))

# %%
# key figures for the quarter's index
figures = cx.report.save_key_figures({"scope": scope, "quarter": quarter, "horizon_months": horizon,
                               "headline": cx.report.churn_key_figures(rates=rates, drivers=cox, at_risk=risk),
                               "findings": findings}, figures_path)
