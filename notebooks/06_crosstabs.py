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
# # Banner tables (crosstabs)
#
# **Question:** on the main questions and the drivers, which groups of customers (the
# columns of the banner, e.g. plan and country) differ significantly from which?

# %% tags=["parameters"]
quarter: str = None  # required: quarter to report, e.g. "2026Q3"
data_dir: str = "data/synthetic"  # dataset directory with the Parquet tables
banner: list = None  # banner columns of the survey, or None for the study's segments
questions: list = None  # row questions, or None for satisfaction, recommend (NPS), effort and the drivers
correction: str = "bh"  # multiple-comparison correction per row, "bh", "bonferroni", "holm" or "none"
subset_column: str = None  # restrict to customers with this attribute, or None
subset_value: str = None  # the value of subset_column to keep, or None
min_base: int = 30  # minimum base; smaller columns are shown, marked * and not tested
confidence_level: float = 0.95  # level of every interval and test
excel: bool = False  # also write the tables to an Excel workbook beside the key figures
figures_path: str = None  # where the key figures JSON goes; None in an interactive session

# %%
import dataclasses
from pathlib import Path

from IPython.display import Markdown, display

import cxlib as cx

# %% [markdown]
# ## Summary

# %%
# the study's roles say which column is which question (the synthetic schema for synthetic data)
data = cx.load_dataset(data_dir)
roles = cx.study_roles(data)
survey, n_duplicates = cx.drop_duplicate_responses(data.survey, roles=roles)
data = cx.subset_dataset(dataclasses.replace(data, survey=survey), subset_column, subset_value)
scope = "all customers" if subset_value is None else f"customers with {subset_column} = {subset_value}"
responses = data.survey[data.survey["quarter"] == quarter]
weights = roles.column("weight")
# the default banner is the study's segments, without the one a subset run holds constant
columns = banner if banner is not None else [
    s for s in roles.columns("segments") if not (subset_value is not None and s == subset_column)]
groups = cx.report.banner_questions(roles, questions)
tables = {title: cx.crosstab(responses, columns=columns, weights=weights, correction=correction,
                             min_base=min_base, confidence_level=confidence_level, **spec)
          for title, spec in groups.items()}
# a country (language, market) column in the banner: its raw columns are not comparable as they stand
style_by = cx.style_column(roles)
style_by = style_by if style_by in columns and roles.columns("drivers") and responses[style_by].nunique() > 1 else None
style_cmp = None if style_by is None else cx.study_style_comparison(
    responses, roles, by=style_by, min_base=min_base, confidence_level=confidence_level)

# %%
# every row of the main questions; one sentence for each other table (the drivers)
findings = []
for title, ct in tables.items():
    if title == "Main questions":
        findings += cx.report.crosstab_findings(ct, labels=roles.labels)
    else:
        findings += [f"{title}: {s}" for s in cx.report.crosstab_findings(ct, labels=roles.labels, rows="summary")]
if style_cmp is not None:
    findings += cx.report.style_comparison_findings(style_cmp, label=roles.label(style_by))[:3]
display(Markdown(f"{quarter}, {scope}, {len(responses):,} survey responses "
                 f"({'weighted' if weights else 'unweighted'}); banner: "
                 f"{', '.join(roles.label(c) for c in columns)}.\n\n" + "\n".join(f"- {s}" for s in findings)))

# %% [markdown]
# ## Method

# %%
method = cx.report.crosstab_method(groups, banner=columns, labels=roles.labels, weights=weights)
display(Markdown(" ".join(method) + f" {n_duplicates:,} duplicate submissions were removed first. "
                 + cx.report.crosstab_note(next(iter(tables.values())))))

# %% [markdown]
# ## Banner tables
#
# One table per question group. Superscript letters: the column is significantly higher
# than the lettered column of the same banner variable; hover a cell for its interval and
# base.

# %%
for title, ct in tables.items():
    display(Markdown(f"### {title}"))
    display(cx.report.crosstab_html(ct, title=f"{title}, {quarter}, {scope}", labels=roles.label))

# %% [markdown]
# ## Countries and response styles
#
# The banner compares countries as they answered. Countries use rating scales differently
# (Harzing 2006), so the country columns are shown again below beside the same score
# adjusted for each respondent's extreme and agreeing answers, with one test each of
# whether the countries differ at all.

# %%
if style_cmp is not None:
    display(Markdown("\n".join(f"- {s}" for s in cx.report.style_comparison_findings(
        style_cmp, label=roles.label(style_by)))))
    display(cx.report.style_comparison_table(style_cmp, label=roles.label(style_by)).style.hide(axis="index")
            .set_caption(cx.report.style_comparison_method(style_cmp)))
else:
    display(Markdown("The banner has no country, language or market column with more than one value (or the "
                     "study has no driver ratings to measure response styles on): nothing to adjust."))

# %% [markdown]
# ## Excel export

# %%
if excel:
    workbook = (Path(figures_path).with_suffix(".xlsx") if figures_path is not None
                else Path(f"crosstabs_{quarter}.xlsx"))
    written = cx.report.crosstab_excel(tables, workbook, labels=roles.label)
    display(Markdown(f"The tables, one sheet each, are in `{written.name}` beside this report."))
else:
    display(Markdown("No Excel export for this run (set `excel` to write one)."))

# %% [markdown]
# ## Key figures

# %%
figures = cx.report.save_key_figures(
    {**cx.report.crosstab_key_figures(tables, quarter=quarter, scope=scope, banner=columns,
                                      weighted=weights is not None),
     **({} if style_cmp is None else {"response_styles": cx.report.style_key_figures(style_cmp)})},
    figures_path)
