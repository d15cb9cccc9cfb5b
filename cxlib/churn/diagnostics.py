"""Checks before a churn model is fitted, and the warnings read off it afterwards.

Before fitting (:func:`readable_covariates`, :func:`check_levels`, :func:`check_design`):
text covariates that hold numbers are read as numbers, text covariates with too many
levels, covariates that do not vary and perfectly collinear covariates are refused with a
:class:`~cxlib.errors.CXDataError` naming them, so that lifelines and statsmodels never
fail (or run for minutes) on them.

After fitting (:func:`fit_quietly`, :func:`not_estimable`, :func:`ph_warnings`): the raw
warnings of lifelines and statsmodels are caught, and the conditions reviewers need to
know about become short plain sentences: a term whose interval cannot be estimated
(perfect or quasi-separation: a coefficient running off to infinity, a huge standard
error) and a hazard ratio that changes over time (proportional-hazards test).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from ..core.checks import show_values
from ..core.inference import adjust_p_values
from ..errors import CXDataError

#: A text covariate with more distinct values than this is refused: each level but the
#: reference becomes a column of the model.
MAX_LEVELS = 50

#: A term is not estimable when its coefficient or standard error, per standard
#: deviation of its column, exceeds these (an odds or hazard ratio of e^10 ≈ 22,000 per
#: SD; a standard error of 5 log units per SD), or when the ratio is 0 or infinite.
MAX_SCALED_COEF = 10.0
MAX_SCALED_SE = 5.0

#: An unscaled coefficient beyond this (a ratio beyond e^5 ≈ 150) in a term that is not
#: estimable reads as separation: the fit runs off towards a ratio of 0 or infinity.
SEPARATION_COEF = 5.0


# ---------------------------------------------------------------------------- before fitting
def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def _maybe_numbers(s: pd.Series) -> bool:
    """Whether every non-empty value of text column ``s`` could be a number, decided on its
    distinct values (what :func:`readable_covariates` then checks row by row): False for
    the usual text covariate without a per-row pass. True when it cannot tell."""
    try:
        values = pd.unique(s.dropna())
    except TypeError:  # unhashable values: let the row-by-row check decide
        return True
    if not all(isinstance(v, str) for v in values):
        return False
    text = [t for t in (v.strip() for v in values) if t != ""]
    if not text:
        return False
    return bool(pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").notna().all())


def readable_covariates(df: pd.DataFrame, covariates: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with text covariates whose every non-empty value is a number read as numbers.

    Empty or blank strings become missing. Returns the frame (a copy when anything was
    converted) and the names of the converted columns.

    >>> d = pd.DataFrame({"x": ["1.5", " 2", "", None], "g": ["a", "1", "b", "c"]})
    >>> out, converted = readable_covariates(d, ["x", "g"])
    >>> converted, out["x"].tolist()
    (['x'], [1.5, 2.0, nan, nan])
    """
    converted = {}
    for c in covariates:
        s = df[c]
        if not _is_text(s) or isinstance(s.dtype, pd.CategoricalDtype) or not _maybe_numbers(s):
            continue
        text = s.map(lambda v: v.strip() if isinstance(v, str) else v)
        text = text.where(text != "")
        present = text.dropna()
        if not len(present) or not present.map(lambda v: isinstance(v, str)).all():
            continue
        num = pd.to_numeric(text, errors="coerce")
        if num[text.notna()].notna().all():
            converted[c] = num.astype(float)
    if not converted:
        return df, []
    return df.assign(**converted), list(converted)


def check_levels(column: str, levels: list, n: int) -> None:
    """Refuse a categorical covariate with a single level or more than :data:`MAX_LEVELS`."""
    if len(levels) < 2:
        raise CXDataError(
            f"covariate {column!r} has a single level {show_values(levels)} in all {n} rows used: it does not "
            "vary, so its effect cannot be estimated; drop it from `covariates`"
        )
    if len(levels) > MAX_LEVELS:
        raise CXDataError(
            f"covariate {column!r} is text with {len(levels)} distinct values {show_values(levels)}; it would become "
            f"{len(levels) - 1} indicator columns (the limit is {MAX_LEVELS}): group its levels, or drop it "
            "(an id or free-text column?)"
        )


def check_design(X: pd.DataFrame, *, what: str) -> None:
    """Refuse design columns that are constant or perfectly collinear (with each other or
    with the constant, which a Cox model's baseline absorbs), naming them.

    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8]})
    >>> check_design(X, what="the Cox model")
    Traceback (most recent call last):
    ...
    cxlib.errors.CXDataError: covariates of the Cox model are perfectly collinear: 'b' = 2·'a' in all 4 rows used; drop one of them
    """
    values = X.to_numpy(dtype=float)
    n = len(values)
    for j, name in enumerate(X.columns):
        col = values[:, j]
        if np.ptp(col) == 0:
            raise CXDataError(
                f"covariate {name!r} is constant ({col[0]:g} in all {n} rows used by {what}): it does not vary, "
                "so its effect cannot be estimated; drop it from `covariates`"
            )
    z = (values - values.mean(axis=0)) / values.std(axis=0)
    for j in range(1, z.shape[1]):
        coef, *_ = np.linalg.lstsq(z[:, :j], z[:, j], rcond=None)
        if np.linalg.norm(z[:, j] - z[:, :j] @ coef) > 1e-8 * np.sqrt(n):
            continue
        raise CXDataError(
            f"covariates of {what} are perfectly collinear: {_combination(values, X.columns, j)} in all {n} rows "
            "used; drop one of them"
        )


def _combination(values: np.ndarray, names: pd.Index, j: int) -> str:
    """``'b' = 2·'a' + 0``: column ``j`` as an exact combination of the columns before it."""
    A = np.column_stack([values[:, :j], np.ones(len(values))])
    coef, *_ = np.linalg.lstsq(A, values[:, j], rcond=None)
    terms = [f"{c:.3g}·{names[k]!r}" for k, c in enumerate(coef[:-1]) if abs(c) > 1e-9]
    constant = coef[-1] if abs(coef[-1]) > 1e-9 * max(1.0, float(np.abs(values[:, j]).max())) else 0.0
    return f"{names[j]!r} = {' + '.join(terms)}" + (f" + {constant:.3g}" if constant else "")


# ---------------------------------------------------------------------------- after fitting
class ModelWarning(str):
    """A warning about a fitted model: a plain sentence (it *is* a ``str``) that also
    records which ``model`` it concerns, the ``term`` (``None`` for the whole model) and
    its ``kind`` ("separation", "not_estimable", "proportional_hazards", "convergence"),
    so that a report can place it next to the number it qualifies.

    >>> w = ModelWarning("the fit did not converge", model="Cox model", kind="convergence")
    >>> w, w.model, w.term
    ('the fit did not converge', 'Cox model', None)
    """

    model: str
    term: str | None
    kind: str

    def __new__(cls, text: str, model: str = "", term: str | None = None, kind: str = "") -> "ModelWarning":
        obj = super().__new__(cls, text)
        obj.model, obj.term, obj.kind = model, term, kind
        return obj


@contextlib.contextmanager
def fit_quietly() -> Iterator[list[warnings.WarningMessage]]:
    """Catch (and record) every warning raised while fitting, instead of printing it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def did_not_converge(caught: Sequence[warnings.WarningMessage]) -> bool:
    """Whether a fitter warned that it did not converge or found separation."""
    names = {w.category.__name__ for w in caught}
    return any("Convergence" in n or "PerfectSeparation" in n for n in names)


def _ratio_text(ratio: float) -> str:
    if ratio == 0:
        return "0"
    return "infinite" if not np.isfinite(ratio) else f"{ratio:.3g}"


def not_estimable(table: pd.DataFrame, X: pd.DataFrame, *, ratio_name: str, model: str,
                  caught: Sequence[warnings.WarningMessage] = ()) -> tuple[pd.DataFrame, tuple[ModelWarning, ...]]:
    """Terms whose interval cannot be estimated: their ``ci_low``, ``ci_high`` and
    ``p_value`` set to missing, and one :class:`ModelWarning` per term.

    A term is not estimable when its coefficient or standard error is not finite, its
    ratio is 0 or infinite, or, scaled by the standard deviation of its column, the
    coefficient exceeds :data:`MAX_SCALED_COEF` or the standard error :data:`MAX_SCALED_SE`.
    With a coefficient beyond :data:`SEPARATION_COEF` the outcome is (quasi-)perfectly
    separated by the term. ``caught`` are the fitter's warnings: a separation or
    convergence warning without such a term gives a warning of its own.
    """
    sd = X.std(axis=0, ddof=0).reindex(table["term"]).to_numpy(dtype=float)
    coef, se = table["coef"].to_numpy(dtype=float), table["std_err"].to_numpy(dtype=float)
    ratio = table[ratio_name].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (~np.isfinite(coef) | ~np.isfinite(se) | (ratio == 0) | ~np.isfinite(ratio)
               | (np.abs(coef) * sd > MAX_SCALED_COEF) | (se * sd > MAX_SCALED_SE))
        separated = bad & (~np.isfinite(coef) | (np.abs(coef) > SEPARATION_COEF))
    out = table.copy()
    out.loc[bad, ["ci_low", "ci_high", "p_value"]] = np.nan
    found = []
    for k in np.flatnonzero(bad):
        term = str(table["term"].iloc[k])
        shown = f"{model}; {ratio_name.replace('_', ' ')} {_ratio_text(ratio[k])}, standard error {se[k]:,.0f}"
        if separated[k]:
            found.append(ModelWarning(f"interval not estimable: the outcome is perfectly separated by {term} ({shown})",
                                      model=model, term=term, kind="separation"))
        else:
            found.append(ModelWarning(f"interval not estimable for {term} ({shown}): the model is close to singular",
                                      model=model, term=term, kind="not_estimable"))
    if not found and did_not_converge(caught):
        found.append(ModelWarning(f"the {model} did not converge: treat its estimates with caution",
                                  model=model, kind="convergence"))
    return out, tuple(found)


def ph_warnings(ph: pd.DataFrame, confidence_level: float) -> tuple[pd.DataFrame, tuple[ModelWarning, ...]]:
    """The proportional-hazards table with ``p_adjusted`` (Benjamini–Hochberg across the
    terms) and a :class:`ModelWarning` for every term whose adjusted p is below
    ``1 − confidence_level``.

    >>> ph = pd.DataFrame({"term": ["a", "b"], "statistic": [20.0, 0.1], "p_value": [1e-5, 0.75]})
    >>> ph_warnings(ph, 0.95)[1]
    ("the hazard ratio for a changes over time (proportional-hazards test p = 2e-05, Benjamini–Hochberg adjusted across 2 terms): the Cox model's ratio is an average over the follow-up",)
    """
    out = ph.copy()
    out["p_adjusted"] = adjust_p_values(out["p_value"].to_numpy(dtype=float), "fdr_bh")
    adjusted = f", Benjamini–Hochberg adjusted across {len(out)} terms" if len(out) > 1 else ""
    found = tuple(
        ModelWarning(f"the hazard ratio for {r.term} changes over time (proportional-hazards test "
                     f"p = {r.p_adjusted:.2g}{adjusted}): the Cox model's ratio is an average over the follow-up",
                     model="Cox model", term=str(r.term), kind="proportional_hazards")
        for r in out.itertuples() if r.p_adjusted < 1 - confidence_level
    )
    return out, found
