"""Weighting a study's survey at import, and the weighting report stored beside the dataset.

A study file's ``[weighting]`` table (:class:`~cxlib.data.study.WeightingSpec`) declares
population targets. :func:`weight_survey` rakes the imported survey to them with
:func:`cxlib.rake` (each wave separately unless ``per_wave = false``, from the ``weight``
role as design weights when the study has one) and returns the weights and a
:class:`StudyWeighting`: per wave the :class:`~cxlib.data.weighting.WeightingReport` (margins vs
targets, Kish design effect and efficiency, effective n, weight percentiles). The import
adds the weights as a column that becomes the survey's ``weight`` role, so that every
analysis that takes the weight role uses them and the Kish effective base; it writes the
report to :data:`WEIGHTING_FILE` in the dataset directory, where :func:`load_weighting`
reads it back for notebooks.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..errors import CXDataError
from .study import Study, WeightingSpec, number_text

#: The weighting report's file in the dataset directory.
WEIGHTING_FILE = "weighting.json"

#: The wave label when the whole survey is raked at once (``per_wave = false``).
ALL_WAVES = "all"


@dataclass(frozen=True)
class StudyWeighting:
    """The weights a study's import made, and their report (per wave).

    Attributes
    ----------
    column : str
        The weight column added to the survey (the study's ``weight`` role after import).
    design_weight : str or None
        The column used as design (starting) weights: the study's declared ``weight`` role.
    targets : dict
        ``{variable: {level: share}}`` as matched to the data (a crossed margin's key is a
        tuple of columns; its levels are tuples).
    settings : dict
        ``cap``, ``trim``, ``max_iter``, ``tol``, ``per_wave``.
    reports : dict of str to WeightingReport
        Wave (quarter, or ``"all"``) -> :class:`~cxlib.data.weighting.WeightingReport` of that
        wave's weights against the targets.
    fits : DataFrame
        One row per wave: ``wave``, ``converged``, ``iterations``, ``max_error``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.data.weighting import weighting_report
    >>> rep = weighting_report(pd.DataFrame({"g": ["a", "b", "b"]}), [1.5, 0.75, 0.75], {"g": {"a": 0.5, "b": 0.5}})
    >>> w = StudyWeighting(column="raked_weight", design_weight=None, targets={"g": {"a": 0.5, "b": 0.5}},
    ...                    settings={}, reports={"2025Q4": rep},
    ...                    fits=pd.DataFrame({"wave": ["2025Q4"], "converged": [True], "iterations": [1],
    ...                                       "max_error": [0.0]}))
    >>> w.summary[["wave", "n", "n_eff", "design_effect"]].round(3).to_dict("records")
    [{'wave': '2025Q4', 'n': 3, 'n_eff': 2.667, 'design_effect': 1.125}]
    >>> StudyWeighting.from_dict(w.to_dict()).summary.equals(w.summary)
    True
    """

    column: str
    design_weight: str | None
    targets: dict
    settings: dict
    reports: dict
    fits: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """One row per wave: ``wave, converged, iterations, max_error`` and the report's
        summary (``n, sum_weights, n_eff, design_effect, efficiency, cv, min, p1 … p99,
        max, max_to_mean, max_abs_difference, trim_shift``)."""
        parts = [rep.summary.assign(wave=wave) for wave, rep in self.reports.items()]
        rows = pd.concat(parts, ignore_index=True)
        out = self.fits.merge(rows, on="wave", how="right")
        return out[["wave", *[c for c in out.columns if c != "wave"]]]

    @property
    def margins(self) -> pd.DataFrame:
        """Weighted vs target margins, one row per wave, variable and level (levels as text,
        a crossed margin's joined by `` × ``, as in :data:`WEIGHTING_FILE`)."""
        out = pd.concat([rep.margins.assign(wave=wave)[["wave", *rep.margins.columns]]
                         for wave, rep in self.reports.items()], ignore_index=True)
        return out.assign(level=out["level"].map(_level_label))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content of :data:`WEIGHTING_FILE` (levels written as text; a crossed
        margin's levels joined by `` × ``)."""
        return {
            "column": self.column, "design_weight": self.design_weight,
            "targets": [{"columns": list(k) if isinstance(k, tuple) else [k],
                         "shares": [[*(_text_level(lv)), float(v)] for lv, v in levels.items()]}
                        for k, levels in self.targets.items()],
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in self.settings.items()},
            "fits": _records(self.fits),
            "waves": {wave: {"summary": _records(rep.summary)[0],
                             "margins": _records(rep.margins.assign(level=rep.margins["level"].map(_level_label)))}
                      for wave, rep in self.reports.items()},
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> StudyWeighting:
        """The weighting from the content of :data:`WEIGHTING_FILE` (levels as text)."""
        from .weighting import MARGIN_COLUMNS, WeightingReport

        reports = {}
        for wave, part in doc["waves"].items():
            summary = pd.DataFrame([part["summary"]], dtype=float).astype({"n": "int64"})
            margins = pd.DataFrame(part["margins"], columns=None if part["margins"] else list(MARGIN_COLUMNS))
            numbers = [c for c in margins.columns if c not in ("variable", "level", "n")]
            margins = margins.astype({**{c: float for c in numbers}, "n": "int64"})
            s = summary.iloc[0]
            reports[wave] = WeightingReport(margins=margins, summary=summary, n=int(s["n"]), n_eff=float(s["n_eff"]),
                                            design_effect=float(s["design_effect"]),
                                            efficiency=float(s["efficiency"]), trim_shift=_float(s["trim_shift"]))
        targets = {}
        for t in doc["targets"]:
            key = t["columns"][0] if len(t["columns"]) == 1 else tuple(t["columns"])
            k = len(t["columns"])
            targets[key] = {(row[0] if k == 1 else tuple(row[:k])): float(row[k]) for row in t["shares"]}
        settings = {k: tuple(v) if isinstance(v, list) else v for k, v in doc.get("settings", {}).items()}
        return cls(column=doc["column"], design_weight=doc.get("design_weight"), targets=targets, settings=settings,
                   reports=reports, fits=pd.DataFrame(doc["fits"]))


def _float(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _text_level(level: Any) -> list:
    return [str(number_text(v) if isinstance(v, float) else v) for v in (level if isinstance(level, tuple) else (level,))]


def _level_label(level: Any) -> str:
    return " × ".join(_text_level(level))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (numpy scalars as Python numbers, NaN as null)."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if isinstance(v, np.generic):
                v = v.item()
            clean[k] = None if isinstance(v, float) and not np.isfinite(v) else v
        out.append(clean)
    return out


# --- matching the file's levels to the data -------------------------------------------------


def _norm(value: Any, numeric: bool) -> str:
    """A level as text for matching: numbers without ``.0``, text stripped and case-folded."""
    if numeric and not isinstance(value, bool):
        try:
            return str(number_text(float(value)))
        except (TypeError, ValueError):
            pass
    return str(value).strip().casefold()


def _matched(frame: pd.DataFrame, key: Any, levels: dict[Any, float]) -> dict[Any, float]:
    """The targets of one margin with each level written as it is in the data (``"1"`` ->
    ``1`` for a numeric column, ``"eco plus"`` -> ``"Eco Plus"``); a level the data lacks is
    kept as written, so that :func:`cxlib.rake` reports it as a level without respondents."""
    cols = list(key) if isinstance(key, tuple) else [key]
    lookups = []
    for col in cols:
        s = frame[col]
        numeric = is_numeric_dtype(s) and not is_bool_dtype(s)
        found: dict[str, Any] = {}
        for v in pd.unique(s.dropna()):
            found.setdefault(_norm(v, numeric), v.item() if isinstance(v, np.generic) else v)
        lookups.append((numeric, found))
    out, written = {}, {}
    for level, value in levels.items():
        parts = level if isinstance(level, tuple) else (level,)
        data_parts = tuple(found.get(_norm(p, numeric), p) for p, (numeric, found) in zip(parts, lookups))
        matched = data_parts if isinstance(key, tuple) else data_parts[0]
        if matched in out:
            raise CXDataError(f"[weighting] targets for {' × '.join(cols)!r} give the level {matched!r} twice (as "
                              f"{written[matched]!r} and {level!r}; levels match ignoring case and spaces)")
        out[matched], written[matched] = value, level
    return out


def check_weighting_columns(study: Study, columns: Any, dropped: Any = ()) -> None:
    """Every column ``[weighting]`` names is in the survey, and its weight column is new.

    Raises
    ------
    CXDataError
        Listing every target column the survey lacks (with the available columns; a column
        dropped as identifying is named as such), or a ``column`` that already exists.
    """
    spec = study.weighting
    if spec is None:
        return
    columns, name = list(columns), study.path.name
    missing = [c for c in spec.columns() if c not in columns]
    if missing:
        hidden = [c for c in missing if c in dropped]
        hint = (f"; {hidden} look identifying and were dropped: keep them with [privacy] keep" if hidden else "")
        raise CXDataError(f"{name}: [weighting] targets name {len(missing)} column(s) the survey does not have: "
                          f"{missing}{hint}; the survey's columns are {columns}")
    if spec.column in columns:
        raise CXDataError(f"{name}: [weighting] column = {spec.column!r} is already a column of the survey; "
                          "name the weight column the import adds something else")


def weight_survey(study: Study, survey: pd.DataFrame) -> tuple[pd.Series, StudyWeighting]:
    """Rake the imported survey to the study's ``[weighting]`` targets.

    Parameters
    ----------
    study : Study
        With ``weighting`` declared (:func:`~cxlib.data.study.load_study`).
    survey : DataFrame
        The imported survey (with ``quarter``), its roles converted.

    Returns
    -------
    (Series, StudyWeighting)
        The weights (mean 1 within each wave, on the survey's index) and their report.

    Raises
    ------
    CXDataError
        Naming the file and the wave: the problems :func:`cxlib.rake` finds (target levels
        without respondents and respondents whose level has no target, for every variable;
        missing values in a target column; no convergence; a cap too low).

    Notes
    -----
    Each wave is raked separately (``per_wave = true``, the default), so that every wave is
    representative of the population on its own and trends compare like with like; the
    weights then have mean 1 within each wave. Design weights (the ``weight`` role) are the
    starting weights (:func:`cxlib.rake`).
    """
    from .weighting import rake  # the same raking as cx.rake

    spec: WeightingSpec = study.weighting
    targets = {key: _matched(survey, key, levels) for key, levels in spec.targets.items()}
    design = study.role("survey", "weight")
    options = {"cap": spec.cap, "trim": spec.trim, "max_iter": spec.max_iter, "tol": spec.tol}
    waves = (list(survey.groupby("quarter", sort=True).groups.items()) if spec.per_wave
             else [(ALL_WAVES, survey.index)])
    weights = pd.Series(np.nan, index=survey.index, name=spec.column)
    reports, fits, problems, shares = {}, [], [], None
    for wave, rows in waves:
        part = survey.loc[rows]
        try:
            result = rake(part, targets, weights=design, **options)
        except CXDataError as exc:
            problems.append(f"wave {wave}: {exc}" if spec.per_wave else str(exc))
            continue
        weights.loc[rows] = result.weights
        reports[str(wave)] = result.report()
        fits.append({"wave": str(wave), "converged": result.converged, "iterations": result.iterations,
                     "max_error": result.max_error})
        shares = result.targets
    if problems:
        hint = ("\n    (each wave is raked on its own; with waves too small for every level, set per_wave = false "
                "in [weighting] to rake all waves together)" if spec.per_wave and len(waves) > 1 else "")
        raise CXDataError(f"{study.path.name}: [weighting] cannot rake the survey to its targets:\n"
                          + "\n".join(textwrap.indent(p, "      ") for p in problems) + hint)
    settings = {**options, "per_wave": spec.per_wave}
    return weights, StudyWeighting(column=spec.column, design_weight=design, targets=shares, settings=settings,
                                   reports=reports, fits=pd.DataFrame(fits))


def weighting_lines(weighting: StudyWeighting) -> list[tuple[int, str]]:
    """``(count, detail)`` lines of the import summary: the weight column, per wave the
    effective base, design effect and range of the weights."""
    names = ", ".join(" × ".join(k) if isinstance(k, tuple) else str(k) for k in weighting.targets)
    start = f"from the design weight {weighting.design_weight!r}" if weighting.design_weight else "from equal weights"
    head = (f"column {weighting.column!r} (the survey's weight role): raked to targets on {names} {start}; "
            f"report in {WEIGHTING_FILE}")
    out = [(sum(r.n for r in weighting.reports.values()), head)]
    for row in weighting.summary.itertuples(index=False):
        detail = (f"wave {row.wave}: effective n {row.n_eff:,.1f} (efficiency {row.efficiency:.0%}), design effect "
                  f"{row.design_effect:.3f}, weights {row.min:.3g}–{row.max:.3g} (p5–p95 {row.p5:.3g}–"
                  f"{row.p95:.3g}), {row.iterations} sweep(s), largest margin difference {row.max_abs_difference:.1e}")
        out.append((int(row.n), detail))
    return out


def load_weighting(path: str | os.PathLike) -> StudyWeighting | None:
    """The weighting report of an imported dataset, or ``None`` when it was not weighted.

    Parameters
    ----------
    path : path-like
        A dataset directory written by :func:`cxlib.import_study`.

    Returns
    -------
    StudyWeighting or None
        The weight column, its design weight, targets, settings and per wave the
        :class:`~cxlib.data.weighting.WeightingReport` (margins vs targets, Kish design effect,
        efficiency, effective n, weight percentiles); ``None`` for a dataset without
        ``[weighting]`` (and the synthetic data).

    Examples
    --------
    >>> import tempfile
    >>> load_weighting(tempfile.mkdtemp()) is None
    True
    """
    file = Path(path) / WEIGHTING_FILE
    if not file.is_file():
        return None
    try:
        return StudyWeighting.from_dict(json.loads(file.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise CXDataError(f"dataset file {str(file)!r} is not a readable weighting report ({exc!r}); import the "
                          "study again (cx data import)") from None
