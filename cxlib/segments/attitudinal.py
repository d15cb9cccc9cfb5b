"""Attitudinal (needs-based) segments clustered from driver ratings.

:func:`attitudinal_segments` clusters ratings with k-means or a Gaussian mixture, chooses
the number of segments by a stated criterion, measures bootstrap stability and returns a
frozen :class:`AttitudinalSegments` that can :meth:`~AttitudinalSegments.assign` next
wave's respondents to the same segments. :func:`k_selection_table` puts the criteria of
several fits side by side; :func:`name_segments` gives short descriptive names;
:func:`segment_agreement` compares two segmentations of the same rows.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import (
    apply_scale,
    check_choice,
    check_columns,
    check_confidence_level,
    check_declared_columns,
    check_frame,
    check_n_boot,
    column_list,
    show_values,
)
from ..core.inference import percentile_interval, warn_if_interval_cannot_reach
from ..core.results import Estimate
from ..errors import CXDataError, SmallBaseWarning

_MIN_PER_SEGMENT = 10
_SILHOUETTE_MAX_N = 3000
_ONE_THREAD_MAX_N = 200_000  # rows clustered on one thread (see _thread_limit)
_METHODS = ("kmeans", "gmm")
_INCOMPLETE = ("drop", "mean", "raise")


def _make_model(method: str, k: int, n_init: int, seed: int):
    if method == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=k, covariance_type="full", n_init=n_init, random_state=seed)


@contextlib.contextmanager
def _thread_limit(n: int):
    """Fits of survey-sized data run on one thread (OpenMP and BLAS).

    scikit-learn's k-means parallelises each Lloyd iteration over blocks of 256 rows: on
    some thousands of rows an iteration is a fraction of a millisecond, so the threads
    mostly synchronise, and on a busy machine (a report batch, a shared server) they spin
    against the other processes: ``attitudinal_segments(k=3)`` on 21,000 rows took 8×
    longer with two threads than with one (benchmarks/bench_segments.py). The solution does
    not depend on the number of threads beyond rounding in the last digits of the centres
    and inertia. Above ``_ONE_THREAD_MAX_N`` rows the library defaults are kept.
    """
    if n > _ONE_THREAD_MAX_N:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _fit(model: Any, z: np.ndarray) -> Any:
    with warnings.catch_warnings():  # convergence chatter on discrete ratings; the criteria judge the fit
        warnings.simplefilter("ignore", category=RuntimeWarning)
        model.fit(z)
    return model


def _declared_ratings(
    data: pd.DataFrame, variables: list[str], scale: Any, missing: Any
) -> tuple[np.ndarray, dict[str, int]]:
    """The ratings as floats with declared missing codes set missing, and their count per variable."""
    check_declared_columns(data, scale=scale, missing=missing)
    cols, counts = [], {}
    for v in variables:
        arr, per_code = apply_scale(data[v], v, scale=scale, missing=missing)
        cols.append(arr)
        counts[v] = int(sum(per_code.values()))
    return np.column_stack(cols), counts


def _rating_matrix(
    x: np.ndarray, index: pd.Index, variables: list[str], incomplete: str, impute: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The ratings and the mask of usable rows under the missing-value policy."""
    miss = np.isnan(x)
    if not miss.any():
        return x, np.ones(len(x), dtype=bool)
    if incomplete == "raise":
        per = {v: int(m) for v, m in zip(variables, miss.sum(axis=0)) if m}
        first = next(iter(per))
        rows = np.flatnonzero(miss.any(axis=1))
        raise CXDataError(
            f"column {first!r} has missing values (missing per column: {per}; "
            f"{len(rows)} row(s), e.g. index {show_values(index[rows])}); "
            "use incomplete='drop' to exclude those respondents or incomplete='mean' to impute"
        )
    if incomplete == "mean":
        return np.where(miss, impute[None, :], x), np.ones(len(x), dtype=bool)
    return x, ~miss.any(axis=1)


@dataclass(frozen=True, eq=False)
class AttitudinalSegments:
    """A fitted, frozen attitudinal segmentation (see :func:`attitudinal_segments`).

    Attributes
    ----------
    labels : pandas.Series
        Segment 1..k per input row (``Int64``; missing for excluded respondents), aligned
        with the input's index. Segment 1 is the largest.
    k : int
        Number of segments chosen.
    method : str
        ``"kmeans"`` or ``"gmm"``.
    variables : tuple of str
        Clustering variables.
    criteria : pandas.DataFrame
        Per candidate k: ``silhouette``, ``inertia`` (k-means), ``bic``, ``aic`` (GMM),
        the smallest segment's share and ``chosen``.
    sizes : pandas.DataFrame
        ``segment, n, share`` (a partition of the usable respondents: counts, no interval).
    centres : pandas.DataFrame
        Segment centres in the original rating units (k-means centroids or GMM means),
        one row per segment.
    stability : Estimate
        Mean adjusted Rand index between the full-data labels and each bootstrap refit's
        labels on the full data, with a percentile interval (``n`` = bootstrap resamples).
    boot_ari : tuple of float
        The bootstrap ARIs.
    model : sklearn estimator
        The fitted ``KMeans`` or ``GaussianMixture`` (on standardised data if
        ``standardize``).
    center, scale : numpy.ndarray
        Scaling applied before clustering (0 and 1 when not standardised).
    impute : numpy.ndarray
        Per-variable means of the fitting data (used when ``incomplete="mean"``).
    relabel : numpy.ndarray
        The solver's cluster number -> segment 1..k.
    incomplete : str
        The policy for respondents with a missing rating.
    n_excluded : int
        Respondents excluded for missing ratings (declared missing codes included).
    n_missing_codes : dict
        Variable -> ratings set missing as declared missing codes (0 when none declared).
    declared : tuple
        The ``(scale, missing)`` declarations, applied again by :meth:`assign`.
    seed : int
        Seed used.
    description : str
        The choices made, in words.
    """

    labels: pd.Series
    k: int
    method: str
    variables: tuple[str, ...]
    criteria: pd.DataFrame
    sizes: pd.DataFrame
    centres: pd.DataFrame
    stability: Estimate
    boot_ari: tuple[float, ...]
    model: Any
    center: np.ndarray
    scale: np.ndarray
    impute: np.ndarray
    relabel: np.ndarray
    incomplete: str
    n_excluded: int
    seed: int
    description: str
    n_missing_codes: dict = field(default_factory=dict)
    declared: tuple = (None, ())

    def assign(self, new_data: pd.DataFrame) -> pd.Series:
        """Assign respondents (e.g. next wave's) to the fitted segments.

        Uses the fitting data's scaling, the fitted centres/components, the same declared
        scale and missing codes, and the same missing-value policy (``"mean"`` imputes the
        *fitting* data's means; ``"drop"`` leaves rows with missing ratings unassigned).

        Parameters
        ----------
        new_data : pandas.DataFrame
            Must contain every clustering variable.

        Returns
        -------
        pandas.Series
            Segment 1..k (``Int64``), aligned with ``new_data``'s index.
        """
        new_data = check_frame(new_data, argument="new_data")
        variables = list(self.variables)
        check_columns(new_data, variables, argument="variables")
        raw, _ = _declared_ratings(new_data, variables, *self.declared)
        x, ok = _rating_matrix(raw, new_data.index, variables, self.incomplete, self.impute)
        out = pd.Series(pd.array([pd.NA] * len(new_data), dtype="Int64"), index=new_data.index, name="segment")
        if ok.any():
            raw = self.model.predict((x[ok] - self.center) / self.scale)
            out.iloc[np.flatnonzero(ok)] = self.relabel[raw]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Segment sizes with centres in original units: ``segment, n, share, <variables>``."""
        return self.sizes.merge(self.centres, on="segment")

    def __repr__(self) -> str:
        return (
            f"AttitudinalSegments(method={self.method!r}, k={self.k}, n={int(self.sizes['n'].sum())}, "
            f"n_excluded={self.n_excluded}, stability ARI={self.stability.estimate:.3f})"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return f"<p>{self.description}</p>" + self.to_frame().to_html(index=False)


# ----------------------------------------------------------------------------------------
# the steps of attitudinal_segments
# ----------------------------------------------------------------------------------------


def _candidate_ks(k: Any) -> list[int]:
    ks = [k] if isinstance(k, (int, np.integer)) and not isinstance(k, bool) else list(k)
    if not ks or any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 2 for c in ks):
        raise CXDataError(f"`k`={k!r} must be an integer >= 2 or a list of them (e.g. range(2, 8))")
    return sorted({int(c) for c in ks})


def _feasible_ks(ks: list[int], n: int) -> list[int]:
    """The candidate numbers of segments that ``n`` usable respondents support (at least
    ``_MIN_PER_SEGMENT`` per segment); the others are dropped with a warning."""
    feasible = [kk for kk in ks if n >= _MIN_PER_SEGMENT * kk]
    if len(feasible) < len(ks):
        dropped = [kk for kk in ks if kk not in feasible]
        warnings.warn(f"k={dropped} dropped from the candidates: {n} usable respondents support at most "
                      f"k={max(feasible)} (at least {_MIN_PER_SEGMENT} per segment)", SmallBaseWarning, stacklevel=3)
    return feasible


def _usable_ratings(
    raw: np.ndarray, index: pd.Index, variables: list[str], incomplete: str, min_k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ratings to cluster (rows usable under ``incomplete``), the usable-row mask, the
    item means used for imputation and the items' SDs (population) on the usable rows.

    Refuses constant items and fewer than ``_MIN_PER_SEGMENT x k`` usable rows for the
    smallest candidate ``k``.
    """
    impute = np.array([np.nanmean(c) for c in raw.T])
    x_all, ok = _rating_matrix(raw, index, variables, incomplete, impute)
    x = x_all[ok]
    n = len(x)
    sd = x.std(axis=0) if n else np.zeros(len(variables))
    const = [v for v, s in zip(variables, sd) if not s > 0]
    if const:
        vals = np.unique(x[:, variables.index(const[0])])
        raise CXDataError(
            f"column {const[0]!r} is constant ({show_values(vals)} in all {n} usable rows); "
            f"constant variables {const} cannot separate segments: drop them from `variables`"
        )
    need = _MIN_PER_SEGMENT * min_k
    if n < need:
        raise CXDataError(
            f"only {n} usable respondents for k = {min_k} ({int((~ok).sum())} excluded for missing "
            f"ratings); need at least {_MIN_PER_SEGMENT} x k = {need}: lower `k` or add respondents"
        )
    return x, ok, impute, sd


def _fit_candidates(
    z: np.ndarray, ks: list[int], method: str, n_init: int, seed: int
) -> tuple[pd.DataFrame, dict[int, tuple[Any, np.ndarray]]]:
    """Fit every candidate k; the criteria table and each fit's (model, labels)."""
    from sklearn.metrics import silhouette_score

    n = len(z)
    sil_n = min(n, _SILHOUETTE_MAX_N)
    rows, fits = [], {}
    for kk in ks:
        model = _fit(_make_model(method, kk, n_init, seed), z)
        lab = model.predict(z)
        fits[kk] = (model, lab)
        sil = (
            silhouette_score(z, lab, sample_size=sil_n if sil_n < n else None, random_state=seed)
            if len(np.unique(lab)) > 1
            else np.nan
        )
        rows.append(
            {
                "k": kk,
                "silhouette": float(sil),
                "inertia": float(model.inertia_) if method == "kmeans" else np.nan,
                "bic": float(model.bic(z)) if method == "gmm" else np.nan,
                "aic": float(model.aic(z)) if method == "gmm" else np.nan,
                "smallest_share": float(np.bincount(lab, minlength=kk).min() / n),
            }
        )
    return pd.DataFrame(rows), fits


def _choose_k(criteria: pd.DataFrame, method: str) -> tuple[int, str]:
    """k-means: highest silhouette (the first k if none is defined); GMM: lowest BIC."""
    if method == "kmeans":
        if criteria["silhouette"].isna().all():
            return int(criteria["k"].iloc[0]), "highest silhouette"
        return int(criteria.loc[criteria["silhouette"].idxmax(), "k"]), "highest silhouette"
    return int(criteria.loc[criteria["bic"].idxmin(), "k"]), "lowest BIC"


def _canonical_order(model: Any, lab: np.ndarray, k: int, method: str) -> tuple[list[int], np.ndarray]:
    """Solver clusters ordered by size (largest = segment 1), ties by the first centre coordinate."""
    centres_z = model.cluster_centers_ if method == "kmeans" else model.means_
    size = np.bincount(lab, minlength=k)
    order = sorted(range(k), key=lambda j: (-size[j], centres_z[j, 0]))
    relabel = np.empty(k, dtype=int)
    relabel[order] = np.arange(1, k + 1)
    return order, relabel


def _stability(
    z: np.ndarray, lab: np.ndarray, *, method: str, k: int, n_init: int, seed: int, n_boot: int, level: float
) -> tuple[Estimate, tuple[float, ...]]:
    """Bootstrap refits on resampled respondents, each scored by its ARI with ``lab`` on all rows."""
    from sklearn.metrics import adjusted_rand_score

    n = len(z)
    if n_boot:
        warn_if_interval_cannot_reach(n_boot, level, what="attitudinal_segments stability", stacklevel=4)
    rng = np.random.default_rng(seed)
    aris = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        sub_seed = int(rng.integers(0, 2**31 - 1))
        m = _fit(_make_model(method, k, n_init, sub_seed), z[idx])
        aris.append(float(adjusted_rand_score(lab, m.predict(z))))
    if not aris:
        return Estimate(np.nan, np.nan, np.nan, np.nan, 0, level, "no bootstrap (n_boot=0)"), ()
    arr = np.array(aris)
    lo, hi = percentile_interval(arr, level)
    est = Estimate(
        estimate=float(arr.mean()),
        std_err=float(arr.std(ddof=1)) if len(arr) > 1 else np.nan,
        ci_low=float(lo[0]),
        ci_high=float(hi[0]),
        n=len(arr),
        confidence_level=level,
        method="mean adjusted Rand index, bootstrap refits vs full-data labels; percentile interval",
    )
    return est, tuple(aris)


def attitudinal_segments(
    data: pd.DataFrame,
    *,
    variables: Sequence[str],
    k: int | Iterable[int] = range(2, 8),
    method: str = "kmeans",
    standardize: bool = True,
    incomplete: str = "drop",
    n_init: int = 10,
    seed: int = 0,
    n_boot: int = 50,
    confidence_level: float = 0.95,
    scale: Any = None,
    missing: Any = (),
) -> AttitudinalSegments:
    """Attitudinal (needs-based) segments from driver ratings.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    variables : sequence of str
        Rating columns to cluster on (numeric).
    k : int or iterable of int, default range(2, 8)
        Number of segments, or candidates to choose from.
    method : {"kmeans", "gmm"}
        scikit-learn ``KMeans`` or ``GaussianMixture`` (full covariances).
    standardize : bool, default True
        z-score each variable (fitting sample mean and population SD) before clustering;
        the same scaling is reused by :meth:`AttitudinalSegments.assign`.
    incomplete : {"drop", "mean", "raise"}
        Respondents with any missing variable are excluded and counted (``"drop"``),
        missing ratings are replaced by the variable's mean (``"mean"``; shrinks
        differences and pulls respondents towards the centre), or an error (``"raise"``).
        Declared missing codes are missing ratings like any other.
    n_init : int, default 10
        Random starts per fit.
    seed : int, default 0
        Seeds every fit and the bootstrap.
    n_boot : int, default 50
        Bootstrap resamples for stability (0 to skip).
    confidence_level : float, default 0.95
        Level of the percentile interval for the bootstrap ARI.
    scale : (low, high) or dict, optional
        The ratings' scale points (a pair for every variable, or a dict column -> (low,
        high) or a study scale): a rating outside them raises.
    missing : sequence or dict, optional
        Codes meaning "not applicable" / "don't know" (e.g. ``[0]``; or a dict column ->
        codes): set missing before anything is computed (never clustered as ratings), then
        treated by ``incomplete`` and counted in ``n_missing_codes``; :meth:`assign`
        applies the same declarations.

    Returns
    -------
    AttitudinalSegments

    Raises
    ------
    CXDataError
        Missing columns, non-numeric or constant variables, missing values under
        ``incomplete="raise"``, fewer than 10 x k respondents for the smallest candidate k
        (larger candidates the data cannot support are dropped with a ``SmallBaseWarning``),
        bad ``k``/``method``/``incomplete``, ratings outside the declared ``scale``.

    Notes
    -----
    *Choice of k.* k-means: the k with the highest mean silhouette width (Rousseeuw
    1987), computed on all respondents up to 3,000 and on a seeded random 3,000
    otherwise. GMM: the k with the lowest BIC (Schwarz 1978; Fraley & Raftery 2002). Both
    criteria per candidate k are in ``criteria`` (silhouette is also shown for GMM; BIC
    only exists for the likelihood model).

    *Minimum size.* At least 10 respondents per segment for the largest k considered
    (n >= 10 k). That is a floor for fitting, not a recommendation: Dolnicar et al. (2014)
    suggest far more (e.g. 70 x number of variables).

    *Labels.* Segments are numbered 1..k by size, largest first (ties by the first
    centre coordinate), so labels do not depend on the solver's arbitrary order.

    *Stability.* For each of ``n_boot`` resamples of respondents (with replacement) the
    model is refitted with the same k and assigns every full-data respondent; the adjusted
    Rand index (Hubert & Arabie 1985) against the full-data labels measures agreement
    (1 = identical partitions, about 0 = chance). Reported: the mean, the bootstrap SD as
    ``std_err``, and the percentile interval (Hennig 2007; Dolnicar & Leisch 2010).

    *Weights: not supported.* The segments are found on the respondents, unweighted (a
    study's weight role is not used here); weight their sizes and outcomes afterwards with
    ``cx.segment_outcomes(..., weights=)`` and ``cx.profile(..., weights=)``.

    References
    ----------
    Dolnicar, S. & Leisch, F. (2010). Evaluation of structure and reproducibility of
    cluster solutions using the bootstrap. *Marketing Letters* 21(1), 83-101.
    Dolnicar, S., Grün, B., Leisch, F. & Schmidt, K. (2014). Required sample sizes for
    data-driven market segmentation analyses in tourism. *J. Travel Research* 53(3).
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. *Computational
    Statistics & Data Analysis* 52(1), 258-271.
    Hubert, L. & Arabie, P. (1985). Comparing partitions. *J. Classification* 2, 193-218.
    Rousseeuw, P. J. (1987). Silhouettes. *J. Comput. Appl. Math.* 20, 53-65.
    Fraley, C. & Raftery, A. E. (2002). Model-based clustering, discriminant analysis and
    density estimation. *JASA* 97(458), 611-631.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[1.5, 1.5], [4.5, 1.5], [3.0, 4.5]])
    >>> x = np.vstack([c + rng.normal(0, 0.3, (40, 2)) for c in centres])
    >>> df = pd.DataFrame(x, columns=["quality", "price"])
    >>> seg = cx.attitudinal_segments(df, variables=["quality", "price"], k=range(2, 5),
    ...                               n_init=3, n_boot=5, seed=0)
    >>> seg.k, seg.sizes["n"].tolist()
    (3, [40, 40, 40])
    >>> round(seg.stability.estimate, 2)
    1.0
    """
    data = check_frame(data)
    variables = column_list(variables, argument="variables")
    check_columns(data, variables, argument="variables")
    method = check_choice(method, _METHODS, argument="method")
    incomplete = check_choice(incomplete, _INCOMPLETE, argument="incomplete")
    if isinstance(missing, str) and missing in _INCOMPLETE:
        raise CXDataError(f"`missing`={missing!r} declares missing codes; the policy for incomplete respondents "
                          f"is `incomplete`={missing!r}")
    level = check_confidence_level(confidence_level)
    ks = _candidate_ks(k)
    n_boot = check_n_boot(n_boot, minimum=0)
    if isinstance(n_init, bool) or not isinstance(n_init, (int, np.integer)) or n_init < 1:
        raise CXDataError(f"`n_init`={n_init!r} must be a positive integer")

    raw, n_codes = _declared_ratings(data, variables, scale, missing)
    x, ok, impute, sd = _usable_ratings(raw, data.index, variables, incomplete, min(ks))
    n, n_excluded = len(x), int((~ok).sum())
    ks = _feasible_ks(ks, n)
    center = x.mean(axis=0) if standardize else np.zeros(len(variables))
    spread = sd if standardize else np.ones(len(variables))
    z = (x - center) / spread

    with _thread_limit(n):
        criteria, fits = _fit_candidates(z, ks, method, int(n_init), seed)
    best, crit_text = _choose_k(criteria, method)
    criteria["chosen"] = criteria["k"] == best
    model, lab = fits[best]
    order, relabel = _canonical_order(model, lab, best, method)
    full = relabel[lab]

    labels = pd.Series(pd.array([pd.NA] * len(data), dtype="Int64"), index=data.index, name="segment")
    labels.iloc[np.flatnonzero(ok)] = full
    seg_ids = np.arange(1, best + 1)
    counts = np.bincount(full, minlength=best + 1)[1:]
    sizes = pd.DataFrame({"segment": seg_ids, "n": counts.astype(int), "share": counts / n})
    centres_z = model.cluster_centers_ if method == "kmeans" else model.means_
    centres = pd.DataFrame(centres_z[order] * spread + center, columns=variables)
    centres.insert(0, "segment", seg_ids)
    with _thread_limit(n):
        stability, aris = _stability(z, lab, method=method, k=best, n_init=int(n_init), seed=seed,
                                     n_boot=n_boot, level=level)
    description = (
        f"{method} on {len(variables)} variables"
        + (" (z-scored)" if standardize else " (raw units)")
        + f"; k={best} chosen from {ks} by {crit_text}; n={n}, {n_excluded} excluded "
        + f"(incomplete={incomplete!r}"
        + (f"; declared missing codes: {n_codes}" if any(n_codes.values()) else "")
        + f"); n_init={n_init}, seed={seed}, n_boot={n_boot}"
    )
    return AttitudinalSegments(
        labels=labels, k=best, method=method, variables=tuple(variables), criteria=criteria, sizes=sizes,
        centres=centres, stability=stability, boot_ari=aris, model=model, center=center, scale=spread,
        impute=impute, relabel=relabel, incomplete=incomplete, n_excluded=n_excluded, seed=int(seed),
        description=description, n_missing_codes=n_codes, declared=(scale, missing),
    )


# ----------------------------------------------------------------------------------------
# reading a segmentation: names and the choice of k
# ----------------------------------------------------------------------------------------


def name_segments(result: AttitudinalSegments, *, n_low: int = 2) -> dict[int, str]:
    """Short descriptive names for attitudinal segments, from their centres.

    Parameters
    ----------
    result : AttitudinalSegments
        A fitted segmentation.
    n_low : int, default 2
        How many of the lowest-rated variables to name.

    Returns
    -------
    dict
        Segment number -> name: ``"above average on all"`` when every centre coordinate
        is above the size-weighted mean of the centres, otherwise ``"low <v1>, <v2>"``
        listing the ``n_low`` variables furthest below that mean (in SD units of the
        fitting data when the segmentation was standardised).

    Notes
    -----
    For k-means the size-weighted mean of the centroids is the overall mean, so a name
    says where a segment sits relative to the average respondent. Names describe, they do
    not interpret: read them with the profile table.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[4.5, 4.5], [4.5, 1.5], [1.5, 4.5]])
    >>> df = pd.DataFrame(np.vstack([c + rng.normal(0, .3, (40, 2)) for c in centres]), columns=["q", "p"])
    >>> seg = cx.attitudinal_segments(df, variables=["q", "p"], k=3, n_init=3, n_boot=0)
    >>> sorted(cx.name_segments(seg, n_low=1).values())
    ['above average on all', 'low p', 'low q']
    """
    if not isinstance(result, AttitudinalSegments):
        raise CXDataError(f"`result` must be an AttitudinalSegments, got {type(result).__name__}")
    if isinstance(n_low, bool) or not isinstance(n_low, (int, np.integer)) or n_low < 1:
        raise CXDataError(f"`n_low`={n_low!r} must be a positive integer")
    variables = list(result.variables)
    c = result.centres[variables].to_numpy(dtype=float)
    w = result.sizes["n"].to_numpy(dtype=float)
    dev = (c - (w[:, None] * c).sum(axis=0) / w.sum()) / result.scale
    names = {}
    for seg_id, d in zip(result.centres["segment"], dev):
        if (d > 0).all():
            names[int(seg_id)] = "above average on all"
        else:
            low = [variables[j] for j in np.argsort(d, kind="stable")[:n_low] if d[j] < 0]
            names[int(seg_id)] = "low " + ", ".join(low)
    return names


def k_selection_table(*results: AttitudinalSegments) -> pd.DataFrame:
    """The choice-of-k criteria of one or more segmentations side by side.

    Parameters
    ----------
    *results : AttitudinalSegments
        The first one is the segmentation used (its ``chosen`` column is kept); others
        (e.g. a Gaussian mixture fitted for its BIC) add their criteria.

    Returns
    -------
    pandas.DataFrame
        ``k``, then per result ``<method> silhouette``, ``<method> smallest share`` and
        ``kmeans inertia`` or ``gmm BIC``; finally ``chosen`` (of the first result).
        Only k values present in every result are kept.

    Examples
    --------
    >>> import numpy as np, pandas as pd, cxlib as cx
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    >>> km = cx.attitudinal_segments(df, variables=["a", "b"], k=[2, 3], n_init=2, n_boot=0)
    >>> list(cx.k_selection_table(km).columns)
    ['k', 'kmeans silhouette', 'kmeans inertia', 'kmeans smallest share', 'chosen']
    """
    if not results or not all(isinstance(r, AttitudinalSegments) for r in results):
        raise CXDataError("`results` must be one or more AttitudinalSegments")
    out = None
    for r in results:
        extra = ("inertia", "inertia") if r.method == "kmeans" else ("bic", "BIC")
        t = r.criteria[["k", "silhouette", extra[0], "smallest_share"]].rename(columns={
            "silhouette": f"{r.method} silhouette", extra[0]: f"{r.method} {extra[1]}",
            "smallest_share": f"{r.method} smallest share"})
        out = t if out is None else out.merge(t, on="k", suffixes=("", " (2)"))
    return out.merge(results[0].criteria[["k", "chosen"]], on="k")


def segment_agreement(a: Any, b: Any) -> float:
    """Agreement of two segmentations of the same rows: the adjusted Rand index.

    Parameters
    ----------
    a, b : array-like or pandas.Series
        Segment labels per row, aligned by position (e.g. the ``labels`` of two
        :class:`AttitudinalSegments` of the same data, or a segmentation and a planted
        truth). The label values need not match: only the partitions are compared.

    Returns
    -------
    float
        1 for identical partitions, about 0 for chance agreement (it can be negative).
        Rows where either label is missing are left out.

    Raises
    ------
    CXDataError
        Different lengths, or no row labelled in both.

    Notes
    -----
    Hubert & Arabie's (1985) adjusted Rand index, as in the stability of
    :func:`attitudinal_segments` (scikit-learn ``adjusted_rand_score``).

    References
    ----------
    Hubert, L. & Arabie, P. (1985). Comparing partitions. *J. Classification* 2, 193-218.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.segment_agreement([1, 1, 2, 2, 3], ["x", "x", "y", "y", None])
    1.0
    """
    from sklearn.metrics import adjusted_rand_score

    sa, sb = pd.Series(list(a), dtype=object), pd.Series(list(b), dtype=object)
    if len(sa) != len(sb):
        raise CXDataError(f"the two segmentations label {len(sa)} and {len(sb)} rows; they must label the same rows")
    both = sa.notna() & sb.notna()
    if not both.any():
        raise CXDataError("no row is labelled in both segmentations: nothing to compare")
    return float(adjusted_rand_score(sa[both].astype(str), sb[both].astype(str)))
