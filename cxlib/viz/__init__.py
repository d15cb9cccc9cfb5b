"""Charts: every figure cxlib draws, one module per analysis area.

Plot functions take a result (or its tidy table) first and ``ax=None``, draw the
precomputed ``ci_low``/``ci_high`` (never recompute them), note n, and return the Axes.
The analysis modules import nothing from here (and no matplotlib).
"""
