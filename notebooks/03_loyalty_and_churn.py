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
# **Question:** how loyal are our customers, and how much revenue depends on it? Do the least
# loyal customers (detractors, or the dissatisfied) leave sooner than the most loyal, by how
# much, and what would moving them one group up protect?

# %% tags=["parameters"]
quarter: str = None  # required: reporting quarter, e.g. "2026Q3"; follow-up ends with it
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
horizon: int = 12  # months: the longest churn-within horizon and revenue-at-risk period; shortened to the follow-up
segment_column: str = None  # customer attribute for revenue at risk by segment, or None for the study's first
min_base: int = 30  # minimum base; smaller groups are flagged and suppressed
min_at_risk: int = 30  # customers still followed at the churn horizon; a shorter horizon is used otherwise
confidence_level: float = 0.95  # level of every interval and test
subset_column: str = None  # fan-out: restrict to customers with this attribute, or None
subset_value: str = None  # fan-out: the value of subset_column to keep, or None
margin_share: float = 0.7  # gross margin as a share of revenue (CLV assumption)
figures_path: str = None  # where the key figures JSON goes; None in an interactive session
seed: int = 0  # seed of the bootstrap
n_boot: int = 1000  # bootstrap resamples for revenue at risk (one Newton step per resample: cheap)

# %%
import dataclasses

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import cxlib as cx

cx.set_theme()

# %%
# data: the study's roles say which question measures loyalty (recommend, else satisfaction) and which
# columns of the customers table are the signup and churn dates, the revenue and the segments (the
# synthetic schema for synthetic data). Every surveyed customer is followed from her first response to
# the end of the quarter, when the study has a customers table with those dates.
data = cx.load_dataset(data_dir)
roles = cx.study_roles(data)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey, roles=roles)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
as_of = cx.quarter_bounds(quarter)[1]
survey = data.survey[data.survey["quarter"] <= quarter]
groups = cx.loyalty_groups(roles)  # NPS groups, or satisfaction groups from the declared scale
group = groups.group_column
loyalty = next(m for m in cx.scorecard_metrics(roles) if m.role == groups.role)  # NPS or the satisfaction share
multi_wave = len(roles.quarters) > 1
segments = roles.columns("segments", "customers")
segment = segment_column if segment_column is not None else (segments[0] if segments else None)
revenue = roles.column("revenue", "customers")
gap = cx.churn_gap(data.customers, roles)  # None when churn can be followed
hz = None
if gap is None:
    table = cx.loyalty_churn_table(data.customers, survey, roles=roles, as_of=as_of)
    hz = cx.churn_horizon(table, horizon=horizon, min_at_risk=min_at_risk)  # the longest horizon the follow-up supports
has_churn = hz is not None and hz.months is not None
h = hz.months if has_churn else None
has_revenue = has_churn and revenue is not None

# %%
# the results the summary quotes; each is shown in its section below
headline = cx.headline_metrics(survey, None, quarter=quarter, roles=roles, min_base=min_base,
                               confidence_level=confidence_level)
loyalty_row = headline[headline["metric"] == loyalty.label]
findings = cx.report.scorecard_findings(loyalty_row, compare=multi_wave)
surv = rates = cox = risk = None
if has_churn:
    controls, reference = cx.model_controls(table, [segment])
    # active customers at the end of the quarter, by their latest group (for revenue at risk)
    current = cx.loyalty_churn_table(data.customers, survey, roles=roles, as_of=as_of, responses="last").data
    current = current.loc[current["event"] == 0]
    surv = cx.survival(table, duration="duration", event="event", by=group,
                       confidence_level=confidence_level, min_base=min_base)
    rates = cx.churn_hazard_by_group(table, by=group, confidence_level=confidence_level, min_base=min_base)
    cox = cx.churn_drivers(table, covariates=[group, *controls], horizon=h, reference=reference,
                           confidence_level=confidence_level)
    if has_revenue:
        # revenue at risk uses (and refits) the Cox part of `cox`; its logistic alternative plays no role
        risk = cx.revenue_at_risk(current, model=cox, fit_data=table, by=[c for c in (segment, group) if c],
                                  revenue=revenue, horizon=h, move=groups.move, n_boot=n_boot, seed=seed,
                                  confidence_level=confidence_level, min_base=min_base)
    findings += cx.report.churn_findings(rates=rates, drivers=cox, at_risk=risk, groups=groups)
    findings += cx.report.survival_findings(surv, groups=f"{groups.name}s")
else:
    findings.append(cx.report.churn_gap_text("Churn (survival, retention and revenue at risk)", gap=gap, horizon=hz))

# %% [markdown]
# ## Summary

# %%
display(Markdown("\n".join(f"- {s}" for s in findings)))

# %% [markdown]
# ## Method and assumptions

# %%
if has_churn:
    display(Markdown(cx.report.churn_method(groups, hz, controls=[roles.label(c) for c in controls],
                                            episodes=roles.has("journeys") and len(data.journeys) > 0,
                                            weighted=roles.column("weight") is not None, revenue=has_revenue)))
else:
    display(Markdown(
        f"Loyalty is {loyalty.label} ({loyalty.question})"
        + (", weighted by the study's survey weights" if roles.column("weight") else ", unweighted (the study has "
           "no survey weights)") + f", with its {confidence_level:.0%} interval. "
        + cx.report.churn_gap_text("Following customers until they leave", gap=gap, horizon=hz)))

# %% [markdown]
# ## Data

# %%
unlinked = table.counts["responses_without_customer"] if gap is None else 0
display(Markdown(
    f"Scope: **{scope}**. {int((survey['quarter'] == quarter).sum()):,} survey responses in {quarter}"
    + (f"; {len(table):,} surveyed customers followed from their first response to the end of {quarter} "
       f"({table.data['event'].sum():,} churned; {n_duplicates:,} duplicate submissions removed"
       + (f"; {unlinked:,} responses of customers missing from the customers table left out" if unlinked else "")
       + f"); {len(current):,} customers active at its end." if has_churn else ".")))

# %% [markdown]
# ## Loyalty

# %%
display(cx.report.format_table(loyalty_row, label=["metric", "question", "unit"], show_test=multi_wave,
                               caption=(f"{quarter} vs {cx.previous_quarter(quarter)}" if multi_wave
                                        else f"{quarter}, the study's one wave")))
if multi_wave:
    trend = cx.metric_trend(data.survey, loyalty, quarters=cx.quarter_range(quarter, 8), roles=roles,
                            min_base=min_base, confidence_level=confidence_level)
    ax = cx.plot_trend(trend, title=f"{loyalty.label} by quarter ({confidence_level:.0%} bands)",
                       ylabel="NPS (points)" if loyalty.unit == "points" else "share (%)")
    ax.set_xlabel(loyalty.question, fontsize="small")
    plt.show()
else:
    display(Markdown(f"One wave ({quarter}): there is no trend over quarters."))

# %% [markdown]
# ## Survival by loyalty group

# %%
if has_churn:
    cx.plot_survival(surv, xlabel="months since first survey response")
    plt.show()
    display(cx.report.format_table(cx.survival_at(surv, h, scale="percent"), label="group", unit="% still customers",
                                   extra=["at_risk"],
                                   caption=f"Kaplan–Meier survival {h:g} months after the first response"))
    display(cx.report.median_table(surv, unit="months", caption="Median time to churn after the first response "
                                                                "(not reached = the curve stays above 50 %)"))
else:
    display(Markdown(cx.report.churn_gap_text("Survival by loyalty group", gap=gap, horizon=hz)))

# %% [markdown]
# ## Churn rate by loyalty group

# %%
if has_churn:
    display(cx.report.format_table(
        cx.churn_hazard_by_group(table, by=group, confidence_level=confidence_level, min_base=min_base,
                                 scale="percent"),
        label=group, unit="% a month", digits=2, extra=["events"],
        caption="Churn events per month at risk (exact Poisson interval)"))
else:
    display(Markdown(cx.report.churn_gap_text("Churn by loyalty group", gap=gap, horizon=hz)))

# %% [markdown]
# ## Cox model: hazard ratios

# %%
if has_churn:
    baseline = ", ".join([groups.reference, *(f"{v} {roles.label(c)}" for c, v in (reference or {}).items())])
    cx.plot_estimates(cox.hazard_ratios, y="term", reference=1.0, significant=None,
                      title=f"Churn hazard ratios (n = {cox.n:,}, {cox.n_events:,} churned)",
                      xlabel=f"hazard ratio (1 = reference: {baseline})")
    plt.show()
    display(cx.report.ratio_table(cox.hazard_ratios, unit="hazard ratio", caption=f"Cox model; {cox.method}",
                                  warnings=cox.warnings))
    display(cx.report.ph_test_table(cox, caption="Proportional-hazards check (Schoenfeld residuals vs rank of "
                                                 "time): small p = a hazard ratio that changes over follow-up"))
else:
    display(Markdown(cx.report.churn_gap_text("A churn model", gap=gap, horizon=hz)))

# %% [markdown]
# ## Logistic alternative: churn within the horizon

# %%
if has_churn:
    display(cx.report.ratio_table(
        cox.odds_ratios, unit="odds ratio", warnings=cox.warnings,
        caption=f"Odds ratios of churning within {h:g} months ({cox.n_logit:,} customers with a known outcome; "
                f"{cox.n_logit_censored_excluded:,} censored earlier excluded)"))
    # the models' warnings (an interval not estimable, a hazard ratio that changes over time), in words
    display(Markdown("\n".join(f"- Warning: {w}." for w in cox.warnings)
                     or "No model warnings: every interval is estimable and no hazard ratio changes over time."))
else:
    display(Markdown(cx.report.churn_gap_text("Churn within a horizon", gap=gap, horizon=hz)))

# %% [markdown]
# ## Time-varying model: the quarter's loyalty group and negative episodes

# %%
if has_churn:
    journeys = data.journeys if roles.has("journeys") and len(data.journeys) > 0 else None
    spells = cx.loyalty_churn_spells(data.customers, survey, roles=roles, as_of=as_of, journeys=journeys)
    tv = cx.churn_drivers(spells, duration="stop", start="start",
                          covariates=[group, *(["negative_episode"] if journeys is not None else []), *controls],
                          reference=reference, confidence_level=confidence_level)
    display(cx.report.ratio_table(
        tv.hazard_ratios, unit="hazard ratio", warnings=tv.warnings,
        caption=f"Every response followed to the end of its quarter ({tv.n:,} spells, {tv.n_events:,} churned)"
                + ("; negative_episode = after a negative episode in the quarter" if journeys is not None
                   else "; the study has no journeys table, so no negative episodes")))
    display(Markdown("\n".join(f"- Warning: {w}." for w in tv.warnings) or "No warnings from the time-varying model."))
else:
    display(Markdown(cx.report.churn_gap_text("A time-varying churn model", gap=gap, horizon=hz)))

# %% [markdown]
# ## Retention by cohort

# %%
if has_churn:
    cohorts = cx.cohort_retention(data.customers, signup=roles.column("signup_date", "customers"),
                                  churn=roles.column("churn_date", "customers"), as_of=as_of,
                                  confidence_level=confidence_level, min_base=min_base, scale="percent")
    cx.plot_cohort_retention(cohorts, since=cx.quarter_range(quarter, 8)[0])
    plt.show()
    k = hz.cohort_quarters
    by_group = cx.cohort_retention(table.data, signup="response_date", churn="churn_date", as_of=as_of, by=group,
                                   confidence_level=confidence_level, min_base=min_base, scale="percent")
    display(cx.report.format_table(
        by_group.to_frame().loc[lambda f: (f["period_index"] == k) & f["observable"]].sort_values(
            ["cohort", group]).tail(12),
        label=["cohort", group], unit="% retained", show_test=False,
        caption=f"Survey cohorts (quarter of first response): share still customers {k} quarter{'s' if k > 1 else ''} "
                "later"))
else:
    display(Markdown(cx.report.churn_gap_text("Retention by cohort", gap=gap, horizon=hz)))

# %% [markdown]
# ## Customer lifetime value by loyalty group

# %%
if has_revenue:
    margin = (table.data.groupby(group, observed=True)[revenue].mean() * margin_share).rename("margin")
    clv = cx.simple_clv(rates.merge(margin, left_on=group, right_index=True), margin="margin",
                        monthly_churn="estimate", churn_ci=("ci_low", "ci_high"), by=group, n="n",
                        min_base=min_base, confidence_level=confidence_level)
    display(cx.report.format_table(clv, label=group, unit="margin per customer", digits=0,
                                   caption=f"CLV = mean monthly revenue ({roles.label(revenue)}) × {margin_share:.0%} "
                                           "margin × expected lifetime (months, 1 / monthly churn); interval from "
                                           "the churn interval"))
elif has_churn:
    display(Markdown("Lifetime value is not part of this study: its customers table has no revenue column "
                     "([roles.customers] revenue)."))
else:
    display(Markdown(cx.report.churn_gap_text("Lifetime value", gap=gap, horizon=hz)))

# %%
transactions = cx.load_transactions(data_dir) if roles.has("transactions") else None
if transactions is not None:
    # the import names the (pseudonymised) customer id "customer_id" in every table; a fan-out run keeps its
    # respondents' purchases
    in_scope = transactions if subset_value is None else transactions[
        transactions["customer_id"].isin(data.survey["customer_id"])]
    rfm = cx.purchase_summary(in_scope, customer="customer_id", date=roles.column("date", "transactions"),
                              amount=roles.column("amount", "transactions"), as_of=as_of, unit="weeks")
    bg = cx.bg_nbd(rfm, confidence_level=confidence_level)
    display(bg.to_frame().style.hide(axis="index").format(precision=3).set_caption(
        f"BG/NBD purchase model from the transactions ({len(rfm):,} customers, {int(rfm['n_transactions'].sum()):,} "
        f"purchases up to {as_of.date()}; frequency, recency and T in weeks)"))
    display(Markdown(f"Expected purchases per customer in the next {4 * (h or horizon):g} weeks: "
                     f"{bg.expected_transactions(rfm, t=4 * (h or horizon)).mean():.2f} (mean over customers)."))
else:
    display(Markdown("Transaction-based lifetime value (BG/NBD) is not part of this study: it has no "
                     "transactions table."))

# %% [markdown]
# ## Revenue at risk

# %%
if has_revenue:
    display(cx.report.format_table(
        risk.table.loc[lambda f: (f["quantity"] == "revenue_at_risk") | f[group].isin([groups.lowest, "(all)"])],
        label=[c for c in (segment, group) if c] + ["quantity"], unit="revenue", digits=0, show_test=False,
        caption=f"Active customers at the end of {quarter} by their latest {groups.name}; revenue over the next "
                f"{h:g} months; percentile bootstrap ({n_boot} resamples, model refitted)"))
    display(Markdown(f"**Assumptions:** {risk.assumptions}."))
elif has_churn:
    display(Markdown("Revenue at risk is not part of this study: its customers table has no revenue column "
                     "([roles.customers] revenue)."))
else:
    display(Markdown(cx.report.churn_gap_text("Revenue at risk", gap=gap, horizon=hz)))

# %%
# key figures for the quarter's index
key = (cx.report.churn_key_figures(rates=rates, drivers=cox, at_risk=risk, groups=groups) if has_churn
       else cx.report.loyalty_key_figures(loyalty_row, loyalty.label))
figures = cx.report.save_key_figures({"scope": scope, "quarter": quarter, "horizon_months": h, "headline": key,
                                      "findings": findings}, figures_path)
