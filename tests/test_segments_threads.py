"""attitudinal_segments fits survey-sized data on one thread, with the same solution (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

import cxlib as cx
from cxlib.segments import attitudinal


def _ratings(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[4.5, 4.5, 4.0], [2.0, 4.0, 2.5], [3.0, 1.5, 4.0]])
    x = centres[rng.integers(0, 3, n)] + rng.normal(scale=0.7, size=(n, 3))
    return pd.DataFrame(np.clip(np.rint(x), 1, 5), columns=["q", "p", "s"])


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_one_thread_gives_the_library_default_solution(monkeypatch, method):
    df = _ratings()
    kw = {"variables": ["q", "p", "s"], "k": [2, 3], "method": method, "n_init": 3, "n_boot": 5}
    one = cx.attitudinal_segments(df, **kw)
    monkeypatch.setattr(attitudinal, "_ONE_THREAD_MAX_N", -1)  # keep the thread pools as they are
    pools = cx.attitudinal_segments(df, **kw)
    assert one.labels.equals(pools.labels)
    assert one.boot_ari == pools.boot_ari
    num = one.criteria.select_dtypes("number").columns
    assert np.allclose(one.criteria[num], pools.criteria[num], rtol=1e-12, atol=0, equal_nan=True)
    assert np.allclose(one.centres.to_numpy(float), pools.centres.to_numpy(float), rtol=1e-12, atol=0)


def test_fits_run_on_one_thread_below_the_threshold(monkeypatch):
    seen = []
    fit = attitudinal._fit

    def spy(model, z):
        seen.append(max(p["num_threads"] for p in threadpool_info()))
        return fit(model, z)

    monkeypatch.setattr(attitudinal, "_fit", spy)
    cx.attitudinal_segments(_ratings(), variables=["q", "p", "s"], k=3, n_init=2, n_boot=2)
    assert seen and set(seen) == {1}
