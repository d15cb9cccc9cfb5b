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
# # Sleepy report
# A fast notebook for the batch's fault-injection tests: one run can be made to sleep (to be
# interrupted), every run can record its kernel's process id, and the key figure is the
# number of survey rows (so that changed data changes the result).

# %% tags=["parameters"]
quarter: str = None  # required: the quarter, e.g. "2026Q3"
data_dir: str = "data"  # dataset directory
figures_path: str = None  # where the run writes its key figures (set by the runner)
subset_value: str = None  # fan-out value, None for the overall run
sleep_on: str = "none"  # the subset value whose run sleeps
sleep_seconds: float = 60.0  # how long that run sleeps
pid_dir: str = None  # a folder where each run records its kernel's process id, or None

# %%
import json
import os
import time

import pandas as pd

if pid_dir is not None:
    pid_file = os.path.join(pid_dir, f"{subset_value}.pid")
    with open(pid_file + ".tmp", "w") as fh:
        fh.write(str(os.getpid()))
    os.replace(pid_file + ".tmp", pid_file)
if subset_value == sleep_on:
    time.sleep(sleep_seconds)

# %%
rows = len(pd.read_parquet(os.path.join(data_dir, "survey.parquet")))
print("survey rows:", rows)
with open(figures_path, "w") as fh:
    json.dump({"headline": {"survey rows": {"estimate": float(rows), "ci_low": None, "ci_high": None, "n": rows}}}, fh)
