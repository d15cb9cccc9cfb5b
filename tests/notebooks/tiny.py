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
# # Tiny report
# A minimal notebook the report runner's tests execute.

# %% tags=["parameters"]
quarter: str = None  # required: the quarter, e.g. "2026Q3"
data_dir: str = "data"  # dataset directory
figures_path: str = None  # where the run writes its key figures (set by the runner)
subset_value: str = None  # fan-out value, None for the overall run
fail_on: str = "none"  # the subset value that raises, to test failure isolation
seed: int = 1  # a seed, to test type validation
crash_on: str = "none"  # the subset value whose kernel dies, to test dead-kernel isolation
sleep_on: str = "none"  # the subset value that hangs past the cell timeout

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np

import cxlib as cx

# %% [markdown]
# ## Section A
# Some text.

# %%
if subset_value == fail_on:
    raise RuntimeError("planted failure in " + str(subset_value))
if subset_value == crash_on:
    import os

    os._exit(1)  # the kernel dies
if subset_value == sleep_on:
    import time

    time.sleep(60)
warnings.warn("a noisy warning that must not reach the HTML")
print("visible output for", subset_value)

# %%
import pandas as pd

pd.DataFrame({"a": [1.234, 2.5]}).style.format(precision=1)  # Styler: random ids unless normalised

# %% tags=["remove-cell"]
print("REMOVED-CELL-MARKER")

# %% tags=["remove-output"]
print("REMOVED-OUTPUT-MARKER")

# %% [markdown]
# ## Section B

# %%
rng = np.random.default_rng(seed)
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot(rng.normal(size=10))
ax.set_title("random walk")
plt.show()
cx.report.save_key_figures({"headline": {"x": {"estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5, "n": 10}},
                            "subset": subset_value}, figures_path)
