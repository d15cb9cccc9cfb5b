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
# # Customer journeys and touchpoints
#
# **Question:** where is experience won or lost? Which paths do customers take and where do
# they fail, which touchpoints score low (and moved since last quarter), which touchpoints move
# relationship satisfaction the next wave, what one bad episode costs and how long it lasts,
# whether the worst and the last moment weigh more than the average, whether the same
# touchpoint is served alike in every channel, and what it costs when a ticket has to switch
# channel before it is resolved.

# %% tags=["parameters"]
quarter: str = None  # required: reporting quarter, e.g. "2026Q3"
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
subset_column: str = None  # fan-out: restrict to customers with this attribute, or None
subset_value: str = None  # fan-out: the value of subset_column to keep, or None
gap: str = "7D"  # inactivity that starts a new journey (a duration: "7D", "12h")
top_k: int = 10  # number of most frequent paths shown
goal_steps: list = None  # steps that mark a journey reaching its goal, or None
failure_steps: list = None  # steps that mark a failed journey, or None: it fails when its customer leaves after it
followup_steps: list = ["proactive_help"]  # steps that count as a follow-up of a negative episode (if present)
ticket_resolved_step: str = "ticket_resolved"  # journey step recording the channel a ticket was resolved in, or None
lags: int = 3  # quarters after a negative episode whose effect is estimated
min_base: int = 30  # minimum base; smaller groups are flagged and suppressed
confidence_level: float = 0.95  # level of every interval and test
n_boot: int = 100  # bootstrap resamples (touchpoint drivers, peak-end test)
seed: int = 0  # seed of every bootstrap
figures_path: str = None  # where the key figures JSON goes; None in an interactive session

# %%
import dataclasses

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import cxlib as cx

cx.set_theme()

# %%
# Data: the study's roles say which columns of the journeys (event log) and touchpoints (transactional
# survey) tables hold the time, step, channel, valence and score (the synthetic schema for synthetic data).
# Every table of the import names the pseudonymised customer id "customer_id".
data = cx.load_dataset(data_dir)
roles = cx.study_roles(data)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey, roles=roles)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
start, end = cx.quarter_bounds(quarter)
survey = data.survey[data.survey["quarter"] <= quarter]
outcome = roles.column("satisfaction") or roles.column("recommend")  # the relationship outcome
recommend = roles.column("recommend") if roles.column("recommend") != outcome else None
multi_wave = survey["quarter"].nunique() > 1
has_journeys = roles.has("journeys") and len(data.journeys) > 0
has_touchpoints = roles.has("touchpoints") and len(data.touchpoints) > 0
churn_date = roles.column("churn_date", "customers") if roles.has("customers") and len(data.customers) else None
if has_journeys:
    t_col, step_col, ch_col, val_col = (roles.column(r, "journeys") for r in ("timestamp", "touchpoint", "channel",
                                                                             "valence"))
    history = data.journeys[data.journeys[t_col] < end]  # every event up to the end of the quarter
    events = history[history[t_col] >= start]
if has_touchpoints:
    tp_date, tp_name, tp_ch, tp_score = (roles.column(r, "touchpoints") for r in ("date", "touchpoint", "channel",
                                                                                 "csat"))
    tp = data.touchpoints[data.touchpoints[tp_date] < end]
    tp = tp.assign(quarter=cx.quarter_of(tp[tp_date]))
    tp_now = tp[tp["quarter"] == quarter]
    csat_scale = roles.points(tp_score) or (1, 5)
has_journeys = has_journeys and len(events) > 0
has_touchpoints = has_touchpoints and len(tp_now) > 0
tp_effort = roles.column("effort", "touchpoints") if has_touchpoints else None  # a touchpoint effort rating, if asked
has_tickets = roles.has("tickets") and len(data.tickets) > 0
if has_tickets:
    tk_id, tk_ch, tk_end_ch, tk_contacts, tk_opened, tk_resolved = (roles.column(r, "tickets") for r in (
        "ticket_id", "channel", "resolved_channel", "contacts", "opened", "resolved"))
    tickets = data.tickets[data.tickets[tk_opened] < end]  # every ticket opened up to the end of the quarter
    has_tickets = len(tickets) > 0

# %%
# Analysis: every result the summary quotes; each is shown in its section below.
findings, headline = [], {}
variants = divergence = follows = card = card_channels = consistency = switching = None
drivers = drivers_note = effects = effects_recommend = effects_churn = peak = peak_note = None
if has_journeys:
    j = cx.journeys(events, customer="customer_id", time=t_col, step=step_col, channel=ch_col, gap=gap,
                    goal_steps=goal_steps, failure_steps=failure_steps)
    summary = cx.journey_summary(j, confidence_level=confidence_level)
    variants = cx.path_variants(j, top=top_k, confidence_level=confidence_level)
    follows = cx.directly_follows(j, confidence_level=confidence_level)
    if failure_steps:
        failing = (j.table["outcome"] == "failure").to_numpy()
    elif churn_date is not None:  # the customer left after the journey, before the quarter's end
        left = j.table["customer_id"].map(data.customers.set_index("customer_id")[churn_date])
        failing = ((left > j.table["end"]) & (left < end)).to_numpy()
    else:
        failing = None
    if failing is not None and 0 < failing.sum() < len(failing):
        divergence = cx.path_divergence(j, failing=failing, min_base=min_base, confidence_level=confidence_level)
    declared = bool(goal_steps or failure_steps)
    failing_text = cx.report.divergence_failing_text(churn_dates=churn_date is not None, failure_steps=failure_steps)
    findings += cx.report.journey_findings(summary, variants, divergence, gap=gap, outcomes=declared,
                                           failing=failing_text)
else:
    findings.append(cx.report.journeys_gap_text("Journeys and their paths"))
if has_touchpoints:
    card = cx.touchpoint_scorecard(tp, touchpoint=tp_name, score=tp_score, metric="csat", current=quarter,
                                   min_base=min_base, confidence_level=confidence_level, scale=csat_scale)
    if tp_ch is not None:
        card_channels = cx.touchpoint_scorecard(tp, touchpoint=tp_name, channel=tp_ch, score=tp_score, metric="csat",
                                                current=quarter, min_base=min_base,
                                                confidence_level=confidence_level, scale=csat_scale)
        consistency = cx.channel_consistency(tp_now, touchpoint=tp_name, channel=tp_ch, score=tp_score,
                                             metric="mean_score", min_base=min_base,
                                             confidence_level=confidence_level)
    findings += cx.report.touchpoint_findings(card, consistency)
    headline.update(cx.report.touchpoint_key_figures(card))
else:
    findings.append(cx.report.journeys_gap_text("The touchpoint scorecard", table="touchpoints"))
if has_journeys and has_touchpoints and ch_col is not None:
    switching = cx.channel_switching(cx.journey_responses(j, tp_now, time=tp_date), outcomes=tp_score,
                                     metric="mean_score", min_base=min_base, confidence_level=confidence_level)
    findings += cx.report.channel_switching_findings(switching)
if has_journeys:
    headline = {**cx.report.journey_key_figures(summary, variants, switching, outcomes=declared), **headline}

# %%
# Ticket-level channel switching (every quarter up to this one): a ticket switched when it was resolved in another
# channel than it was opened in (the tickets' resolution channel, else the journeys' resolution events).
card_effort = switches = switch_share = switch_csat = switch_effort = None
switch_text, effort = [], roles.column("effort")
csat_label, effort_label = (roles.label(tp_score) if has_touchpoints else ""), roles.label(effort or "")
switch_note = None if has_tickets else cx.report.journeys_gap_text("Ticket-level channel switching", table="tickets")
resolved_events = has_journeys and ticket_resolved_step is not None and ch_col is not None and bool(
    history[step_col].eq(ticket_resolved_step).any())
if has_tickets and tk_contacts is not None and tk_ch is not None and (tk_end_ch is not None or resolved_events):
    if tk_end_ch is not None:
        switches = cx.ticket_switches(tickets, ticket=tk_id, channel=tk_ch, resolution_channel=tk_end_ch)
    else:
        switches = cx.ticket_switches(tickets, events=history, ticket=tk_id, channel=tk_ch, resolved=tk_resolved,
                                      event_time=t_col, event_step=step_col, event_channel=ch_col,
                                      resolved_step=ticket_resolved_step)
    switch_share = cx.ticket_switch_share(switches, contacts=tk_contacts, confidence_level=confidence_level)
    tp_ticket = roles.column("ticket_id", "touchpoints") if has_touchpoints else None
    try:
        if tp_ticket is not None:
            switch_csat = cx.ticket_switching_csat(switches, tp, ticket=tk_id, touchpoint_ticket=tp_ticket,
                                                   score=tp_score, contacts=tk_contacts, scale=roles.scale(tp_score),
                                                   min_base=min_base, confidence_level=confidence_level)
        if effort is not None:
            switch_effort = cx.ticket_switching_effort(switches, survey, score=effort, opened=tk_opened,
                                                       contacts=tk_contacts, weights=roles.column("weight"),
                                                       scale=roles.scale(effort), min_base=min_base,
                                                       confidence_level=confidence_level)
    except cx.CXDataError as exc:  # e.g. no stratum with switched and other tickets
        switch_note = f"Ticket-level channel switching is not estimable on this data: {exc}."
    switch_text = cx.report.switching_findings(switch_share, switch_csat, switch_effort, csat_label=csat_label,
                                               effort_label=effort_label)
    findings += switch_text
    headline.update(cx.report.switching_key_figures(switch_share, switch_csat, switch_effort))
elif has_tickets:
    switch_note = ("Ticket-level channel switching is not part of this study: its tickets table has no resolution "
                   "channel (or no contacts), and no journey step records where a ticket was resolved.")
if tp_effort is not None and tp_ch is not None:
    effort_points = roles.points(tp_effort)
    card_effort = cx.touchpoint_scorecard(tp, touchpoint=tp_name, channel=tp_ch, score=tp_effort,
                                          metric="ces" if effort_points == (1.0, 7.0) else "mean_score",
                                          current=quarter, min_base=min_base, confidence_level=confidence_level,
                                          scale=effort_points)

# %%
# Touchpoints -> relationship (next wave), one bad episode (within customer), peak-end.
if has_touchpoints and multi_wave:
    try:
        drivers = cx.touchpoint_drivers(survey[survey["quarter"] == quarter], tp, outcome=outcome,
                                        touchpoint=tp_name, score=tp_score, time=tp_date, lead=1, method="shapley",
                                        min_base=min_base, n_boot=n_boot, seed=seed,
                                        confidence_level=confidence_level)
        findings += cx.report.touchpoint_driver_findings(drivers, outcome=roles.label(outcome))
    except cx.CXDataError as exc:  # too few customers with touchpoints matched to this wave
        drivers_note = str(exc)
if has_journeys and val_col is not None and multi_wave:
    followed = bool(followup_steps) and bool(history[step_col].isin(followup_steps).any())
    episodes = cx.negative_episodes(history, customer="customer_id", time=t_col, valence=val_col,
                                    touchpoint=step_col, followup=followup_steps or ["(none)"])  # unused if none occurs
    effects = cx.episode_effects(survey, episodes, outcome=outcome, followup="followed_up" if followed else None,
                                 lags=lags, confidence_level=confidence_level)
    findings += cx.report.episode_findings(effects)[:-1]
    if recommend is not None:
        effects_recommend = cx.episode_effects(survey, episodes, outcome=recommend,
                                               followup="followed_up" if followed else None, lags=lags,
                                               confidence_level=confidence_level)
    if churn_date is not None:
        panel = cx.churn_panel(data.customers, quarters=sorted(survey["quarter"].unique()),
                               signup=roles.column("signup_date", "customers"), churn=churn_date)
        effects_churn = cx.episode_effects(panel, episodes, outcome="churned", followup=None, fixed_effects=False,
                                           lags=lags, confidence_level=confidence_level)
        findings += cx.report.episode_churn_findings(effects_churn)[:1]
    headline.update(cx.report.journey_effect_key_figures(effects, lags=[0]))
if has_touchpoints and roles.column("date") is not None:
    try:
        peak = cx.peak_end(survey, tp, outcome=outcome, score=tp_score, response_time=roles.column("date"),
                           touchpoint_time=tp_date, n_boot=n_boot, seed=seed, confidence_level=confidence_level)
        findings += cx.report.peak_end_findings(peak)
        headline.update(cx.report.journey_effect_key_figures(peak=peak))
    except cx.CXDataError as exc:  # too few responses with two scored touchpoints before them
        peak_note = str(exc)

# %% [markdown]
# ## Summary

# %%
display(Markdown(f"Scope: **{scope}**, {quarter}.\n\n" + "\n".join(f"- {s}" for s in findings)))

# %% [markdown]
# ## Method and assumptions

# %%
display(Markdown("\n".join(f"- {s}" for s in [
    f"Journeys: each customer's events of {quarter}, in time order, cut into journeys after {gap} without activity "
    f"(sessionisation, van der Aalst 2016); "
    + (f"failing journeys: {failing_text}. " if has_journeys else "")
    + "Shares carry Wilson intervals; failing vs other journeys: Newcombe interval on the difference, two-proportion z "
    "test, Benjamini–Hochberg across steps.",
    f"Touchpoint scorecard: top-2-box CSAT of the touchpoint survey per touchpoint (and channel) in {quarter} vs the "
    "quarter before (metric core, Wilson intervals, Wald z test of the change, FDR-corrected); channel consistency: "
    "one-way ANOVA of the mean score across the channels of a touchpoint with the minimum base.",
    f"Touchpoints → relationship: each {quarter} response matched with the same customer's touchpoint experiences "
    "of the quarter before (mean score per touchpoint; a touchpoint not experienced is set to its mean), Shapley "
    f"shares of R² with a percentile bootstrap ({n_boot} resamples).",
    f"One bad episode: customer fixed effects with quarter effects and lags 0–{lags} of a negative episode (valence "
    "−1), with and without a follow-up within 30 days, cluster-robust by customer (each customer compared with "
    "themselves, every wave up to the quarter); churn is compared across customers (pooled model). 'Back to the "
    "earlier level' is the first quarter whose interval reaches zero.",
    "Peak–end: R² of the overall rating on the mean, the worst, the last and the mean of worst and last of the "
    f"quarter's touchpoint scores before the response, every wave up to {quarter}, paired bootstrap ({n_boot} "
    "resamples) on the differences.",
    *([cx.report.switching_method(csat=switch_csat is not None, effort=switch_effort is not None,
                                  period=f"every quarter up to {quarter}")] if switches is not None else []),
    "Observational data: switching channels and negative episodes are not assigned at random; the within-customer "
    "design removes stable differences between customers, not changes that coincide with the episode."])))

# %% [markdown]
# ## Data

# %%
display(Markdown(
    f"{len(survey[survey['quarter'] == quarter]):,} survey responses in {quarter} ({n_duplicates:,} duplicate "
    f"submissions removed); "
    + (f"{len(events):,} journey events in {quarter}; " if has_journeys else "no journeys table; ")
    + (f"{len(tp_now):,} touchpoint survey responses in {quarter}; " if has_touchpoints else "no touchpoints table; ")
    + (f"{len(tickets):,} tickets opened up to the end of {quarter}." if has_tickets else "no tickets table.")))

# %% [markdown]
# ## Top paths and where they fail

# %%
if has_journeys:
    cx.plot_top_paths(variants)
    plt.show()
    display(cx.report.path_table(variants, caption=f"The {len(variants.table)} most frequent paths of {quarter} "
                                                   f"({variants.n_journeys:,} journeys)"))
    display(cx.report.stop_table(follows, min_base=min_base, caption="Where journeys stop: share of each step's "
                                                                     "transitions that end the journey"))
    if divergence is not None:
        display(cx.report.divergence_table(divergence, caption=f"Steps of failing journeys ({divergence.failing}) "
                                                               "vs the others: difference in the share passing "
                                                               "through each step"))
    else:
        display(Markdown("No failing journeys to compare: the study declares no failure steps and has no churn "
                         "dates (or no journey failed)."))
else:
    display(Markdown(cx.report.journeys_gap_text("Journeys and their paths")))

# %% [markdown]
# ## Touchpoint scorecard

# %%
if has_touchpoints:
    display(cx.report.scorecard_table(card, caption=f"{roles.label(tp_score)} by touchpoint, {quarter}"
                                      + (f" vs {card.previous_quarter}" if card.previous_quarter else "")))
    if card_channels is not None:
        cx.plot_touchpoint_heatmap(card_channels, row=tp_name, column=tp_ch)
        plt.show()
    if card_effort is not None:
        cx.plot_touchpoint_heatmap(card_effort, row=tp_name, column=tp_ch)
        plt.show()
        display(cx.report.scorecard_table(card_effort, caption=f"{roles.label(tp_effort)} by touchpoint and channel, "
                                                               f"{quarter}"))
    else:
        display(Markdown("The touchpoint surveys ask satisfaction only (no effort rating), so there is no effort "
                         "score per touchpoint."))
else:
    display(Markdown(cx.report.journeys_gap_text("The touchpoint scorecard", table="touchpoints")))

# %% [markdown]
# ## Touchpoints that move relationship satisfaction

# %%
if drivers is not None:
    display(Markdown("\n".join(f"- {s}" for s in cx.report.touchpoint_driver_findings(
        drivers, outcome=roles.label(outcome)))))
    display(cx.report.format_table(drivers.table, label="driver", digits=4, unit="R² share", extra=["share", "rank"],
                                   show_test=False, caption=f"Touchpoints of {cx.previous_quarter(quarter)} → "
                                                            f"{roles.label(outcome)} in {quarter}"))
elif drivers_note is not None:
    display(Markdown(f"Not estimable on this data: {drivers_note}."))
elif not has_touchpoints:
    display(Markdown(cx.report.journeys_gap_text("Touchpoints → relationship", table="touchpoints")))
else:
    display(Markdown(f"One wave ({quarter}): there is no next wave to relate touchpoints to."))

# %% [markdown]
# ## The cost of one bad episode

# %%
if effects is not None:
    cx.plot_recovery_curve(effects, ylabel=f"effect on {roles.label(outcome)}")
    plt.show()
    display(Markdown("\n".join(f"- {s}" for s in cx.report.episode_findings(effects))))
    if effects_recommend is not None:
        display(Markdown("\n".join(f"- {s}" for s in cx.report.episode_findings(effects_recommend)[:-1])))
    if effects_churn is not None:
        display(Markdown("\n".join(f"- {s}" for s in cx.report.episode_churn_findings(effects_churn))))
elif not has_journeys:
    display(Markdown(cx.report.journeys_gap_text("The effect of a negative episode")))
else:
    display(Markdown("The effect of a negative episode needs several waves and a valence in the journeys table; "
                     "it is not part of this study."))

# %% [markdown]
# ## Peak–end test

# %%
if peak is not None:
    display(cx.report.format_table(peak.differences, label="summary", digits=3, unit="R² difference vs the mean",
                                   show_test=False, caption=peak.method))
elif peak_note is not None:
    display(Markdown(f"Not estimable on this data: {peak_note}."))
elif not has_touchpoints:
    display(Markdown(cx.report.journeys_gap_text("The peak–end test", table="touchpoints")))
else:
    display(Markdown("The peak–end test needs the survey's response dates; it is not part of this study."))

# %% [markdown]
# ## Channel consistency

# %%
if consistency is not None:
    display(Markdown("- " + cx.report.touchpoint_findings(card, consistency)[-1]))
    if switching is not None:
        display(Markdown("\n".join(f"- {s}" for s in cx.report.channel_switching_findings(switching))))
elif not has_touchpoints:
    display(Markdown(cx.report.journeys_gap_text("Channel consistency", table="touchpoints")))
else:
    display(Markdown("Channel consistency is not part of this study: its touchpoints table has no channel."))

# %% [markdown]
# ### Tickets that switched channel

# %%
if switch_text:
    display(Markdown("\n".join(f"- {s}" for s in switch_text)))
if switch_csat is not None or switch_effort is not None:
    display(cx.report.switching_table({csat_label: switch_csat, effort_label: switch_effort}, caption=(
        f"Switched vs not switched, within strata, every quarter up to {quarter}")))
    for effect, label, what in ((switch_csat, csat_label, "contacts"), (switch_effort, effort_label,
                                                                         "multi-contact tickets")):
        if effect is not None:
            cx.plot_switching_effect(effect, label=label, stratum_label=what)
            plt.show()
if switch_note is not None:
    display(Markdown(switch_note))

# %%
# key figures for the quarter's index
figures = cx.report.save_key_figures({"scope": scope, "quarter": quarter, "headline": headline,
                                      "findings": findings}, figures_path)
