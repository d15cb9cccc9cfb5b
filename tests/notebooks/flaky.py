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
# # Flaky report
# A fast notebook for the executor tests: the run of ``fail_on`` fails while the file
# ``fail_flag`` exists (remove it and resume), and every run records the process that
# started its kernel (the worker that executed it) with its key figure.

# %% tags=["parameters"]
quarter: str = None  # required: the quarter, e.g. "2026Q3"
data_dir: str = "data"  # dataset directory
figures_path: str = None  # where the run writes its key figures (set by the runner)
subset_value: str = None  # fan-out value, None for the overall run
fail_on: str = "none"  # the subset value whose run fails while fail_flag exists
fail_flag: str = "no-such-file"  # the file whose existence makes that run fail

# %%
import json
import os

import pandas as pd

if subset_value == fail_on and os.path.exists(fail_flag):
    raise RuntimeError(f"planted failure of {subset_value}")

# %%
rows = len(pd.read_parquet(os.path.join(data_dir, "survey.parquet")))
with open(figures_path, "w") as fh:
    json.dump({"headline": {"survey rows": {"estimate": float(rows), "ci_low": None, "ci_high": None, "n": rows}},
               "worker_pid": os.getppid()}, fh)
