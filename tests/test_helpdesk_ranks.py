"""The order-statistic ranks of a quantile's interval, computed on a window of the binomial
cdf, equal the ranks from the cdf over every rank (the textbook definition)."""

import numpy as np
import pytest
from scipy import stats

from cxlib.helpdesk import _order_statistic_ranks


def _full_range(n, q, level):
    a = (1 - level) / 2
    cdf = stats.binom.cdf(np.arange(n + 1), n, q)
    lo = int(np.count_nonzero(cdf <= a))
    hit = np.flatnonzero(cdf >= 1 - a)
    hi = int(hit[0]) + 1 if hit.size else n + 1
    cover = (1.0 if hi > n else cdf[hi - 1]) - (0.0 if lo == 0 else cdf[lo - 1])
    return lo, hi, cover


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 101, 1000, 25_003])
@pytest.mark.parametrize("q", [0.01, 0.1, 0.5, 0.9, 0.95, 0.999])
@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_window_ranks_equal_the_full_cdf(n, q, level):
    lo, hi, cover = _order_statistic_ranks(n, q, level)
    ref = _full_range(n, q, level)
    assert (lo, hi) == ref[:2]
    assert cover == pytest.approx(ref[2], abs=1e-12)
