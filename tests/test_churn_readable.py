"""readable_covariates decides from a text column's distinct values (a fast path) exactly as
the row-by-row definition does: checked against that definition on random columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlib.churn.diagnostics import readable_covariates

VALUES = ["1.5", " 2", "", "  ", None, np.nan, "a", "b", "nan", "1e3", 3, 2.5, pd.NA, "inf", "-4", "x1", True]


def _by_rows(s: pd.Series):
    """The definition, row by row: text whose every non-empty value is a number, as floats."""
    if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
        return None
    text = s.map(lambda v: v.strip() if isinstance(v, str) else v)
    text = text.where(text != "")
    present = text.dropna()
    if not len(present) or not all(isinstance(v, str) for v in present):
        return None
    num = pd.to_numeric(text, errors="coerce")
    return num.astype(float) if num[text.notna()].notna().all() else None


@pytest.mark.parametrize("dtype", [object, "string"])
def test_readable_covariates_matches_the_row_by_row_definition(dtype):
    rng = np.random.default_rng(0)
    converted = 0
    for _ in range(600):
        pool = rng.choice(len(VALUES), size=rng.integers(1, 6))
        col = [VALUES[i] for i in rng.choice(pool, size=rng.integers(0, 12))]
        try:
            s = pd.Series(col, dtype=dtype)
        except (TypeError, ValueError):
            continue
        out, names = readable_covariates(pd.DataFrame({"c": s}), ["c"])
        expected = _by_rows(s)
        if expected is None:
            assert names == []
        else:
            converted += 1
            assert names == ["c"]
            pd.testing.assert_series_equal(out["c"], expected, check_names=False)
    assert converted > 20  # both outcomes are exercised
