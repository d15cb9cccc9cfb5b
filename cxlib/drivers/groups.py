"""Key drivers per segment (with bootstrap tests of the differences) and over time."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_columns, check_confidence_level, check_n_boot, column_list
from ..core.inference import adjust_p_values, percentile_interval, significance, warn_if_bootstrap_cannot_reach
from ..errors import CXDataError, SmallBaseWarning
from .importance import key_drivers
from .results import DriverStabilityResult, KeyDriverResult, KeyDriversByGroupResult

DIFFERENCE_COLUMNS = ("group_a", "group_b", "driver", "estimate", "ci_low", "ci_high", "n", "p_value",
                      "p_value_adj", "significant", "small_base", "min_base", "confidence_level")


def group_label(key: Any) -> str:
    """A group key as text: ``"a / b"`` for a tuple of several group columns.

    >>> group_label(("basic", "DE")), group_label("basic")
    ('basic / DE', 'basic')
    """
    return " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def key_drivers_by_group(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str],
    outcome: str,
    drivers: Sequence[str],
    method: str = "shapley",
    weights: str | None = None,
    confidence_level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
    deletion: str = "listwise",
    outcome_type: str = "auto",
    min_base: int | None = None,
    scale: Any = None,
    missing: Any = (),
) -> KeyDriversByGroupResult:
    """Key drivers per segment, with bootstrap tests of differences between segments.

    Parameters
    ----------
    data : pandas.DataFrame
    by : str or list of str
        Segment column(s).
    outcome, drivers, method, weights, confidence_level, n_boot, seed, deletion, outcome_type, min_base, scale, missing
        As in :func:`~cxlib.drivers.key_drivers`; ``weights`` must name a column here.
        Declared missing codes are counted over all groups in ``n_missing_codes`` (and per
        group in each result's).

    Returns
    -------
    KeyDriversByGroupResult
        ``importances`` (tidy, group columns first) and ``differences`` (every pair of
        groups × driver, in R² units; :func:`~cxlib.drivers.segment_driver_differences`
        gives them in R² points, most significant first).

    Notes
    -----
    Segments are independent samples, each bootstrapped on its own (seeds spawned from
    ``seed``). The b-th difference replicate is ``I_a^(b) − I_b^(b)``; the interval is
    its percentiles and the two-sided p-value ``min(1, 2 · min(#(d ≤ 0)+1, #(d ≥ 0)+1) /
    (B+1))``, adjusted by Benjamini–Hochberg over the whole table. With ``n_boot=0`` the
    differences have no interval or p-value. Thin segments are flagged (``small_base``)
    with one warning listing them; their comparisons are not called significant. A thin
    segment whose model cannot be fitted (e.g. a 0/1 outcome constant or perfectly
    separated in 10 rows) is left out of the tables and named in that warning; a segment
    at or above the minimum base that cannot be fitted is an error.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=200)
    >>> df["seg"] = np.repeat(["x", "z"], 100)
    >>> res = key_drivers_by_group(df, by="seg", outcome="y", drivers=["a", "b"], n_boot=50, seed=1)
    >>> res.differences[["group_a", "group_b", "driver", "n"]].values.tolist()
    [['x', 'z', 'a', 100], ['x', 'z', 'b', 100]]
    """
    by_cols = column_list(by, argument="by")
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    check_columns(data, by_cols, argument="by")
    if weights is not None and not isinstance(weights, str):
        raise CXDataError("`weights` must name a column of `data` in key_drivers_by_group")
    B = check_n_boot(n_boot)
    warn_if_bootstrap_cannot_reach(B, check_confidence_level(confidence_level),
                                   what="key_drivers_by_group differences")
    level = check_confidence_level(confidence_level)
    groups = list(data.groupby(by_cols if len(by_cols) > 1 else by_cols[0], sort=True, dropna=True))
    if len(groups) < 1:
        raise CXDataError(f"`by`={by!r} has no non-missing groups")
    seeds = np.random.SeedSequence(seed).spawn(len(groups))
    results, rows, thin = {}, [], []
    floor = max(30, 10 * len(drivers)) if min_base is None else min_base  # key_drivers' default minimum base
    for (key, sub), ss in zip(groups, seeds):
        label = key[0] if isinstance(key, tuple) and len(key) == 1 else key
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SmallBaseWarning)
                res = key_drivers(
                    sub, outcome=outcome, drivers=drivers, method=method, weights=weights,
                    confidence_level=level, n_boot=B, seed=int(ss.generate_state(1)[0]),
                    deletion=deletion, outcome_type=outcome_type, min_base=min_base, scale=scale, missing=missing,
                )
        except (CXDataError, np.linalg.LinAlgError) as exc:
            if len(sub) < floor:  # a thin segment that cannot be estimated is reported, not fatal
                thin.append(f"{group_label(label)} (n={len(sub)}, not estimable: {str(exc).splitlines()[0]})")
                continue
            raise CXDataError(f"segment {by_cols}={group_label(label)!r} ({len(sub)} rows): {exc}") from None
        results[label] = res
        if res.small_base:
            thin.append(f"{group_label(label)} (n={res.n})")
        rows.append(_group_rows(res, by_cols, label))
    if thin:
        warnings.warn(f"segments below the minimum base: {', '.join(thin)}", SmallBaseWarning, stacklevel=2)
    if not rows:
        raise CXDataError(f"no segment of {by_cols} could be estimated: {', '.join(thin)}")
    return KeyDriversByGroupResult(
        importances=pd.concat(rows, ignore_index=True), differences=_differences(results, level),
        by=tuple(by_cols), method=method, confidence_level=level, n_boot=B, results=results,
        n_missing_codes=_summed_codes(results),
    )


def _summed_codes(results: dict) -> dict[str, int]:
    """Values set missing as declared missing codes per column, summed over the groups."""
    out: dict[str, int] = {}
    for res in results.values():
        for col, k in res.n_missing_codes.items():
            out[col] = out.get(col, 0) + int(k)
    return out


def _group_rows(res: KeyDriverResult, by_cols: list[str], label: Any) -> pd.DataFrame:
    """One group's driver table with the group column(s) first and the model fields after."""
    t = res.to_frame()
    t["r_squared"] = res.r_squared
    t["n_eff"] = res.n_eff
    t["small_base"] = res.small_base
    t["min_base"] = res.min_base
    keys = label if isinstance(label, tuple) else (label,)
    for c, v in zip(by_cols, keys):
        t[c] = v
    return t[[*by_cols, *[c for c in t.columns if c not in by_cols]]]


def _differences(results: dict, level: float) -> pd.DataFrame:
    """Every pair of groups × driver: difference in importance, bootstrap interval and test.

    The replicates of all pairs sharing a number of replicates are stacked and their
    percentiles and p-values computed in one call.
    """
    rows, columns = [], {}  # columns: m -> (row indices, replicate columns)
    labels = list(results)
    for ia, ib in itertools.combinations(range(len(labels)), 2):
        ra, rb = results[labels[ia]], results[labels[ib]]
        m = min(len(ra.bootstrap_importances), len(rb.bootstrap_importances))
        reps = ra.bootstrap_importances[:m] - rb.bootstrap_importances[:m]  # (m, drivers)
        idx, cols = columns.setdefault(m, ([], []))
        idx.extend(range(len(rows), len(rows) + len(ra.drivers)))
        cols.append(reps)
        est = ra.table["importance"].to_numpy() - rb.table["importance"].to_numpy()
        for j, d in enumerate(ra.drivers):
            rows.append({
                "group_a": group_label(labels[ia]), "group_b": group_label(labels[ib]), "driver": d,
                "estimate": float(est[j]), "ci_low": np.nan, "ci_high": np.nan, "n": min(ra.n, rb.n),
                "p_value": np.nan, "small_base": ra.small_base or rb.small_base,
                "min_base": max(ra.min_base, rb.min_base),
            })
    for m, (idx, cols) in columns.items():
        reps = np.concatenate(cols, axis=1)
        lo, hi = percentile_interval(reps, level)
        pv = (np.minimum(1.0, 2 * np.minimum(np.sum(reps <= 0, axis=0) + 1, np.sum(reps >= 0, axis=0) + 1) / (m + 1))
              if m else np.full(len(idx), np.nan))
        for k, i in enumerate(idx):
            rows[i].update(ci_low=float(lo[k]), ci_high=float(hi[k]), p_value=float(pv[k]))
    out = pd.DataFrame(rows, columns=[c for c in DIFFERENCE_COLUMNS
                                      if c not in ("p_value_adj", "significant", "confidence_level")])
    out["p_value_adj"] = adjust_p_values(out["p_value"].to_numpy(dtype=float), "fdr_bh")
    sig = significance(out["p_value_adj"].to_numpy(dtype=float), level)
    sig[out["small_base"].to_numpy(dtype=bool)] = False  # a thin segment's comparison is not a finding
    out["significant"] = sig
    out["small_base"] = out["small_base"].astype(bool)
    out["confidence_level"] = level
    return out[list(DIFFERENCE_COLUMNS)]


def driver_stability(
    data: pd.DataFrame,
    *,
    period: str = "quarter",
    outcome: str,
    drivers: Sequence[str],
    method: str = "shapley",
    weights: str | None = None,
    confidence_level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
    deletion: str = "listwise",
    outcome_type: str = "auto",
    min_base: int | None = None,
    scale: Any = None,
    missing: Any = (),
) -> DriverStabilityResult:
    """Driver importance per period and its stability between consecutive periods.

    Parameters
    ----------
    data : pandas.DataFrame
    period : str
        Column holding the period (e.g. "quarter" with values like "2026Q3"); periods
        are taken in sorted order, and the result's columns are named after it.
    outcome, drivers, method, weights, confidence_level, n_boot, seed, deletion, outcome_type, min_base, scale, missing
        As in :func:`~cxlib.drivers.key_drivers` (declared missing codes summed over the
        periods in ``n_missing_codes``).

    Returns
    -------
    DriverStabilityResult
        ``importances`` per period and ``rank_correlation`` (Spearman's ρ between the
        importances of consecutive periods; 1 = same ranking).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 3 * df["a"] + 2 * df["b"] + df["c"] + rng.normal(size=300)
    >>> df["quarter"] = np.repeat(["2026Q1", "2026Q2", "2026Q3"], 100)
    >>> res = driver_stability(df, outcome="y", drivers=["a", "b", "c"], n_boot=0)
    >>> res.rank_correlation["spearman_rho"].tolist()
    [1.0, 1.0]
    """
    from scipy.stats import spearmanr

    if not isinstance(period, str):
        raise CXDataError(f"`period` must name one column of `data`, got {period!r}")
    by = key_drivers_by_group(
        data, by=period, outcome=outcome, drivers=drivers, method=method, weights=weights,
        confidence_level=confidence_level, n_boot=n_boot, seed=seed, deletion=deletion,
        outcome_type=outcome_type, min_base=min_base, scale=scale, missing=missing,
    )
    labels = list(by.results)
    rows = []
    for prev, cur in itertools.pairwise(labels):
        a = by.results[prev].table["importance"].to_numpy()
        b = by.results[cur].table["importance"].to_numpy()
        rho = float(spearmanr(a, b).statistic) if len(a) > 1 else np.nan
        rows.append({period: cur, f"previous_{period}": prev, "spearman_rho": rho, "n_drivers": len(a)})
    rc = pd.DataFrame(rows, columns=[period, f"previous_{period}", "spearman_rho", "n_drivers"])
    return DriverStabilityResult(
        importances=by.importances, rank_correlation=rc, period=period, method=method, results=by.results,
        n_missing_codes=by.n_missing_codes,
    )
