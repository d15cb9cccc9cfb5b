"""The survey weighting for reviewers: the sentences a notebook prints about the weights a
study's import made (``[weighting]`` in the study file, :func:`cxlib.load_weighting`).

Every number is read from the stored :class:`~cxlib.data.weights.StudyWeighting` (its per-wave
:class:`~cxlib.data.weighting.WeightingReport`): the targets met, the range of the weights, the
Kish design effect and the effective base the intervals use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...data.weights import ALL_WAVES, StudyWeighting
from ...errors import CXDataError


def _variables(weighting: StudyWeighting, labels: Mapping[str, str]) -> str:
    """``"Class, Age band and Gender × Type of Travel"`` (columns by their labels)."""
    names = [" × ".join(labels.get(c, c) for c in key) if isinstance(key, tuple) else labels.get(key, key)
             for key in weighting.targets]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _span(values: Any, fmt: str) -> str:
    """One value, or ``low–high`` when the waves differ."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low}–{high}"


def weighting_findings(weighting: StudyWeighting | None, *, wave: str | None = None,
                       labels: Mapping[str, str] | None = None) -> str:
    """Sentences on the study's survey weights: targets, weights, design effect, effective base.

    Parameters
    ----------
    weighting : StudyWeighting or None
        From :func:`cxlib.load_weighting` (``None``: the study is not weighted to targets).
    wave : str, optional
        Describe this wave (quarter) only; default every wave (ranges across waves). When
        the survey was raked once over all waves (``per_wave = false``) that one report is
        described whatever the wave.
    labels : mapping, optional
        Column -> label (e.g. ``cx.study_roles(data).labels``) for the weighting variables.

    Returns
    -------
    str
        Markdown-ready text; for ``None``, one sentence saying the survey is not weighted to
        population targets.

    Raises
    ------
    CXDataError
        If ``wave`` is not a wave of the weighting.

    Notes
    -----
    The design effect of weighting is Kish's ``1 + CV²`` of the weights and the effective
    base ``(Σw)² / Σw²`` (:func:`cxlib.weighting_report`); weighted intervals in cxlib use
    that base, so the sentence says how many unweighted responses the sample is worth.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> from cxlib.data.weights import StudyWeighting
    >>> df = pd.DataFrame({"plan": ["basic"] * 3 + ["pro"]})
    >>> res = cx.rake(df, {"plan": {"basic": 0.5, "pro": 0.5}})
    >>> w = StudyWeighting(column="raked_weight", design_weight=None, targets=res.targets, settings={},
    ...                    reports={"2025Q4": res.report()},
    ...                    fits=pd.DataFrame({"wave": ["2025Q4"], "converged": [True], "iterations": [1],
    ...                                       "max_error": [0.0]}))
    >>> print(weighting_findings(w))  # doctest: +NORMALIZE_WHITESPACE
    The survey is weighted to population targets on plan (raking from equal weights). The weighted shares
    match every target (largest difference 0.00 percentage points); the weights range from 0.67 to 2
    (5th–95th percentile 0.67–1.8). The design effect of weighting is 1.33 (efficiency 75%): the 4 responses
    carry the precision of 3 unweighted ones, and every weighted interval in this report uses this effective
    base.
    """
    if weighting is None:
        return ("The survey is not weighted to population targets: estimates describe the respondents "
                "(with the study's own weights where it declares them).")
    summary = weighting.summary
    if wave is not None and summary["wave"].tolist() == [ALL_WAVES]:
        wave = None  # raked once over every wave (per_wave = false): the one report holds for each
    if wave is not None:
        if wave not in set(summary["wave"]):
            raise CXDataError(f"`wave`={wave!r} is not a wave of the weighting; its waves are {summary['wave'].tolist()}")
        summary = summary[summary["wave"] == wave]
    labels = labels or {}
    start = (f"from the design weight {labels.get(weighting.design_weight, weighting.design_weight)!r}"
             if weighting.design_weight else "from equal weights")
    n_waves = len(summary)
    each = (" Each wave is raked to the targets on its own." if n_waves > 1 and weighting.settings.get("per_wave", True)
            and summary["wave"].iloc[0] != ALL_WAVES else "")
    where = f" in {summary['wave'].iloc[0]}" if wave is not None and wave != ALL_WAVES else ""
    parts = [f"The survey is weighted to population targets on {_variables(weighting, labels)} (raking {start}).{each}"]
    trimmed = summary["trim_shift"].notna().any()
    match = "match every target" if not trimmed else "stay close to the targets after trimming"
    parts.append(
        f"The weighted shares{where} {match} (largest difference {summary['max_abs_difference'].max() * 100:.2f} "
        f"percentage points); the weights range from {summary['min'].min():.2g} to {summary['max'].max():.2g} "
        f"(5th–95th percentile {summary['p5'].min():.2g}–{summary['p95'].max():.2g}).")
    if trimmed:
        trim = weighting.settings.get("trim")
        parts.append(f"Trimming the weights at the {trim[0]:.0%} and {trim[1]:.0%} quantiles moved the margins by up "
                     f"to {summary['trim_shift'].max() * 100:.2f} percentage points." if trim else "")
    waves = f" across the {n_waves} waves" if n_waves > 1 else ""
    parts.append(
        f"The design effect of weighting is {_span(summary['design_effect'], '.3g')}{waves} (efficiency "
        f"{_span(summary['efficiency'] * 100, '.0f')}%): the {_span(summary['n'], ',.0f')} responses"
        f"{' per wave' if n_waves > 1 else ''} carry the precision of {_span(summary['n_eff'], ',.0f')} unweighted "
        "ones, and every weighted interval in this report uses this effective base.")
    return " ".join(p for p in parts if p)
