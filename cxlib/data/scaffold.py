"""Scaffold a study file from a data file: roles and scales guessed, each guess marked for review.

:func:`scaffold_study` reads a survey export with :func:`~cxlib.data.readers.read_survey`,
looks at every column (its name, its question text or SPSS variable label, its values) and
writes ``study.toml`` (the format of ``data/study-file.md``): ``[study]``, the
``[sources.survey]`` path relative to the study file, the guessed ``[roles.survey]`` and
``[scales.*]``. A header comment says how each guess was made, and every guessed line
carries a ``# REVIEW:`` comment. The file is validated with
:func:`~cxlib.data.study.load_study` before it is written, so ``cx data import`` can run
on it as is.

The guesses, in order (a column plays at most one role):

==============  ===================================================================
role            guessed from
==============  ===================================================================
respondent_id   a column named like a response id (``ResponseId``, ``id``,
                ``respondent`` …), filled and unique in every row
customer_id     a column named like a customer id (``customer_id``, ``cust``,
                ``CustomerID``, ``Kunden-Nr`` …)
date            ``RecordedDate``, ``EndDate``, then other date columns (datetimes, or
                text that reads as dates in every row)
recommend       whole numbers within 0–10 whose name or question mentions
                recommend / NPS / LTR (or "likely", when the answers reach above 7)
satisfaction    a rating, or a binary answer (two text answers, or 0/1), whose name or
                question mentions satisfaction / overall / CSAT
effort          a rating whose name or question mentions effort / CES / easy
weight          a column named like a weight with positive numbers in every row
comment         free text: named like a comment (``why``, ``feedback``, ``*_TEXT`` …)
                or long answers
drivers         the other rating columns sharing the most common scale
segments        text columns with 2–20 levels
==============  ===================================================================

A *rating* is a column of whole numbers within 0–10 with at least three different
answers, or text answers on a known verbal scale ("Very dissatisfied" … "Very satisfied",
"Very poor" … "Excellent", agreement, ease, likelihood; a few German ones), or numbers
with anchor text as choice-text exports write them (``"10 - Extremely likely"``).
Qualtrics' metadata columns (``Status``, ``Progress``, ``Finished``, ``UserLanguage`` …) and
columns named like quantities (age, minutes, distance …) are never ratings or segments.

Scales: the points are the observed lowest and highest answers (the low end read as 1
when no one answered below it; a likelihood to recommend is always 0–10). When a scale
whose answers reach 5 or 7 also holds 0s, 0 is taken for "not applicable": ``points =
[1, k]`` and ``missing = [0]``. SPSS user-missing codes, and codes whose value label reads
"don't know", "not applicable", "refused" …, become ``missing``; verbal answers become
``values`` (and their ``labels``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from ..core.checks import as_datetimes
from ..core.io import atomic_write_with
from ..errors import CXDataError
from .calendar import quarter_of
from .privacy import normalise_name
from .readers import read_survey
from .study import load_study, number_text

#: The file :func:`scaffold_study` writes in its output directory.
STUDY_FILE = "study.toml"

#: Segments have at most this many levels (the import accepts up to 50).
MAX_SEGMENT_LEVELS = 20

#: Verbal answer scales, lowest answer first (matched ignoring case and spaces). A text
#: column whose answers all lie on one of them is a rating coded 1..len(scale).
VERBAL_SCALES: tuple[tuple[str, ...], ...] = (
    ("very dissatisfied", "dissatisfied", "neither satisfied nor dissatisfied", "satisfied", "very satisfied"),
    ("very dissatisfied", "somewhat dissatisfied", "neither satisfied nor dissatisfied", "somewhat satisfied",
     "very satisfied"),
    ("extremely dissatisfied", "somewhat dissatisfied", "neither satisfied nor dissatisfied", "somewhat satisfied",
     "extremely satisfied"),
    ("extremely dissatisfied", "moderately dissatisfied", "slightly dissatisfied",
     "neither satisfied nor dissatisfied", "slightly satisfied", "moderately satisfied", "extremely satisfied"),
    ("very poor", "poor", "average", "good", "excellent"),
    ("terrible", "poor", "average", "good", "excellent"),
    ("very poor", "poor", "fair", "good", "very good"),
    ("poor", "fair", "good", "very good", "excellent"),
    ("strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"),
    ("strongly disagree", "somewhat disagree", "neither agree nor disagree", "somewhat agree", "strongly agree"),
    ("very difficult", "difficult", "neither easy nor difficult", "easy", "very easy"),
    ("extremely difficult", "somewhat difficult", "neither easy nor difficult", "somewhat easy", "extremely easy"),
    ("very unlikely", "unlikely", "neither likely nor unlikely", "likely", "very likely"),
    ("extremely unlikely", "somewhat unlikely", "neither likely nor unlikely", "somewhat likely",
     "extremely likely"),
    ("sehr unzufrieden", "unzufrieden", "weder zufrieden noch unzufrieden", "zufrieden", "sehr zufrieden"),
    ("sehr schlecht", "schlecht", "mittelmäßig", "gut", "sehr gut"),
)

# Keywords, matched on the words of a column's name and question text (lower case).
_RECOMMEND = re.compile(r"\b(recommend\w*|nps|ltr|empfehl\w*|weiterempfehl\w*)\b")
_LIKELY = re.compile(r"\b(likely|likelihood|wahrscheinlich\w*)\b")
_SATISFACTION = re.compile(r"\b(satisf\w*|dissatisf\w*|osat|csat|overall|zufrieden\w*|insgesamt)\b")
_SATISFACTION_NAME = re.compile(r"(overall)?(satisfaction|satisfied|osat|csat|sat)(score|rating)?\d*")
_EFFORT = re.compile(r"\b(effort\w*|ces|easy|aufwand\w*)\b")
_COMMENT = re.compile(r"\b(comments?|why|verbatims?|feedback|remarks?|reasons?|suggestions?|open|text|"
                      r"own words|bemerkung\w*|kommentar\w*|anmerkung\w*|warum)\b")
_QUANTITY = re.compile(r"\b(age|alter|years?|minutes?|mins?|seconds?|duration|days?|hours?|count|number|num|"
                       r"qty|quantity|amount|price|revenue|delay|distance|tenure|children|size|progress|status|"
                       r"finished|id|group)\b")
_NOT_APPLICABLE = re.compile(r"not applicable|\bn/?a\b|don'?t know|do not know|refused|no answer|not asked|"
                             r"prefer not|weiß nicht|keine angabe", re.I)
_NEGATIVE = re.compile(r"\b(dis\w+|un\w+|not|no|non|neutral|neither|never|bad|poor|nein|nicht|kein\w*)\b")
_ANCHORED = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:[-–—:=]\s*\S.*)?$", re.S)
_DATE_TEXT = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})([ T]\d{1,2}:\d{2}.*)?\s*$")

#: Normalised names of Qualtrics' metadata columns (never ratings or segments).
_QUALTRICS_METADATA = frozenset({
    "startdate", "enddate", "status", "ipaddress", "progress", "durationinseconds", "finished", "recordeddate",
    "responseid", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference",
    "externaldatareference", "locationlatitude", "locationlongitude", "distributionchannel", "userlanguage",
})

_RESPONDENT_NAMES = ("responseid", "respondentid", "respid", "responseno", "responsenumber", "respondent",
                     "respondentnumber", "id", "interviewid", "caseid", "recordid", "submissionid", "uuid",
                     "serial", "lfdnr")
_CUSTOMER = re.compile(r"(customer|cust|client|account|member|kunde|kunden)(id|no|nr|number|num|nummer|code)?")
_WEIGHT_WORDS = frozenset({"weight", "weights", "weighting", "wt", "wgt", "gewicht", "gewichtung"})
_DATE_NAMES = ("recordeddate", "enddate")
_DATE_WORDS = re.compile(r"\b(date|time|timestamp|submitted|completed|answered|recorded|created|datum|zeit)\b")


@dataclass
class _Rating:
    """What one column's answers say about its scale."""

    low: float  # lowest answer (or labelled code), missing codes excluded
    high: float
    codes: tuple[float, ...] = ()  # missing codes: SPSS user-missing, or labelled "don't know" …
    values: dict[str, float] = field(default_factory=dict)  # text answer -> number
    labels: dict[float, str] = field(default_factory=dict)
    scale_id: tuple = ()  # columns with the same id share a scale (drivers)
    how: str = ""


@dataclass
class _Col:
    """One column of the data file, profiled for the guesses."""

    name: str
    label: str
    words: str  # name and question text as lower-case words
    n: int  # answers (non-missing values)
    levels: int
    kind: str  # "number", "text", "date", "bool", "other"
    rating: _Rating | None = None
    binary: dict[str, float] | None = None  # text answer -> 0/1 ({} for numbers already 0/1)
    binary_note: str = ""
    mean_length: float = 0.0
    excluded: bool = False  # Qualtrics metadata or a quantity (age, minutes …): never a rating
    metadata: bool = False  # Qualtrics metadata: never a segment either
    unique: bool = False


@dataclass
class _Guess:
    """The guessed study, before it is written."""

    roles: dict[str, Any] = field(default_factory=dict)  # role -> column (a list for drivers, segments)
    why: dict[str, str] = field(default_factory=dict)  # role -> how it was guessed
    scales: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> points, missing, labels, values
    scale_why: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # header lines
    wave: str | None = None
    wave_why: str = ""


def scaffold_study(data_file: str | os.PathLike, out_dir: str | os.PathLike, *, force: bool = False,
                   format: str | None = None, sheet: str | int | None = None) -> Path:
    """Write ``out_dir/study.toml`` for a data file, with its roles and scales guessed.

    Parameters
    ----------
    data_file : path-like
        The survey export (CSV, Excel, Parquet, SPSS, Qualtrics CSV / TSV / Excel). Only
        read, never modified.
    out_dir : path-like
        The study directory; created when absent. The study file's source path is written
        relative to it.
    force : bool, default False
        Replace an existing ``study.toml``; without it an existing file is left as it is
        and an error is raised.
    format : {"csv", "excel", "parquet", "qualtrics", "spss"}, optional
        The export's format (default: from the suffix; a Qualtrics CSV is recognised by its
        header rows).
    sheet : str or int, optional
        Excel only: the sheet to read (default: the first).

    Returns
    -------
    pathlib.Path
        The study file written (absolute).

    Raises
    ------
    CXDataError
        ``study.toml`` exists and ``force`` is False; the data file cannot be read (see
        :func:`~cxlib.data.readers.read_survey`); ``format="sql"`` (write a SQL source
        by hand); or no column can be an outcome (no rating and no binary answer: the
        message lists the columns).

    Notes
    -----
    Every guessed line ends in a ``# REVIEW:`` comment and the header says how each guess
    was made. The written file passes :func:`~cxlib.data.study.load_study` as is; check the
    guesses against the questionnaire before trusting the report. See the module docstring
    for the rules.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["id,ltr,Seat comfort,Legroom,Class"] + [
    ...     f"{i},{i % 11},{i % 6},{(i + 2) % 6},{'Eco' if i % 2 else 'Business'}" for i in range(1, 31)]
    >>> _ = (d / "export.csv").write_text("\\n".join(rows) + "\\n")
    >>> path = scaffold_study(d / "export.csv", d / "mystudy")
    >>> study = load_study(path)
    >>> study.roles["survey"]
    {'respondent_id': 'id', 'recommend': 'ltr', 'drivers': ['Seat comfort', 'Legroom'], 'segments': ['Class']}
    >>> study.scales["drivers"]
    Scale(points=(1.0, 5.0), missing=(0.0,), labels={}, values={})
    >>> study.sources["survey"].path == (d / "export.csv").resolve()
    True
    """
    data_file = Path(data_file)
    target = Path(out_dir) / STUDY_FILE
    if target.exists() and not force:
        raise CXDataError(f"{target}: a study file is already there and is not overwritten; review or move it, "
                          "or replace it with force=True (cx init --force)")
    if format is not None and str(format).strip().lower() == "sql":
        raise CXDataError("format='sql': cx init scaffolds from a data file; write [sources.survey] url and query "
                          "by hand (see data/study-file.md)")
    frame, meta = read_survey(data_file, format, sheet=sheet)
    guess = _guess(frame, meta)
    if not any(r in guess.roles for r in ("satisfaction", "recommend")):
        raise CXDataError(f"{data_file.name}: no column looks like an outcome (a rating such as overall "
                          f"satisfaction or likelihood to recommend, or a binary answer); columns: "
                          f"{list(frame.columns)}; write the study file by hand (see data/study-file.md)")
    text = _toml(guess, frame, meta, data_file, target.parent.resolve(), sheet)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
        load_study(tmp)  # the file must load as is; on an error nothing is written

    return atomic_write_with(target, write).resolve()


# ----------------------------------------------------------------------------- profiling

def _words(text: Any) -> str:
    """Lower-case words of a name or question (camel case split): ``"RecordedDate"`` -> ``"recorded date"``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text))
    return " ".join(re.findall(r"[^\W_]+", spaced.casefold()))


def _fold(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _profile(frame: pd.DataFrame, meta: Any) -> dict[str, _Col]:
    cols = {}
    for name in frame.columns:
        s = frame[name]
        label = meta.column_labels.get(name, "")
        label = "" if _fold(label) == _fold(name) else str(label)
        nonnull = s.dropna()
        if s.dtype == object:
            nonnull = nonnull[nonnull.astype(str).str.strip() != ""]
        col = _Col(name=name, label=label, words=f"{_words(name)} | {_words(label)}", n=len(nonnull),
                   levels=int(nonnull.nunique()), kind=_kind(s))
        col.unique = col.n == len(s) and col.levels == len(s) and len(s) > 0
        norm = normalise_name(name)
        col.metadata = norm in _QUALTRICS_METADATA or re.match(r"Q_[A-Z]", name) is not None
        col.excluded = col.metadata or _QUANTITY.search(_words(name)) is not None
        if col.kind == "number":
            col.rating = _number_rating(nonnull, meta.missing_codes.get(name, ()), meta.value_labels.get(name, {}))
            if set(pd.unique(nonnull)) <= {0, 1} and col.levels == 2:
                col.binary, col.binary_note = {}, "answers 0 and 1"
        elif col.kind == "bool":
            col.binary, col.binary_note = {}, "answers true and false"
        elif col.kind == "text":
            _profile_text(col, nonnull.astype(str))
        cols[name] = col
    return cols


def _kind(s: pd.Series) -> str:
    if is_bool_dtype(s):
        return "bool"
    if is_datetime64_any_dtype(s):
        return "date"
    if is_numeric_dtype(s):
        return "number"
    if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s):
        return "text" if s.dropna().map(lambda v: isinstance(v, str)).all() else "other"
    return "other"


def _number_rating(values: pd.Series, spss_codes: tuple, value_labels: dict) -> _Rating | None:
    """A rating when the answers are whole numbers within 0–10 with at least three of them."""
    nums = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    codes = [float(c) for c in spss_codes if isinstance(c, (int, float, np.number)) and not isinstance(c, bool)]
    labelled_na = [float(k) for k, v in value_labels.items()
                   if isinstance(k, (int, float)) and _NOT_APPLICABLE.search(str(v))]
    codes = sorted(set(codes) | set(labelled_na))
    answers = nums[~nums.isin(codes)]
    if len(answers) == 0 or not np.all(np.mod(answers, 1) == 0):
        return None
    labelled = [float(k) for k in value_labels if isinstance(k, (int, float)) and float(k) not in codes]
    low, high = min([answers.min(), *labelled]), max([answers.max(), *labelled])
    if low < 0 or high > 10 or high < 3 or answers.nunique() < 3:
        return None
    family = 5 if high <= 5 else 7 if high <= 7 else 10
    how = f"whole numbers {number_text(float(answers.min()))}–{number_text(float(answers.max()))}"
    return _Rating(low=float(low), high=float(high), codes=tuple(codes), scale_id=("numbers", family), how=how)


def _profile_text(col: _Col, text: pd.Series) -> None:
    """Verbal scales, anchored numbers, binary answers and the length of free text."""
    answers = list(text.str.strip().value_counts().index)  # the most frequent first
    folded = {}
    for a in answers:  # each answer as most often spelled
        folded.setdefault(_fold(a), a)
    col.mean_length = float(np.mean([len(a) for a in answers])) if answers else 0.0
    col.rating = _verbal_rating(folded) or _anchored_rating(folded)
    if len(folded) == 2 and col.rating is None:
        col.binary, col.binary_note = _binary_values(folded)


def _verbal_rating(folded: dict[str, str]) -> _Rating | None:
    if len(folded) < 2:
        return None
    for i, scale in enumerate(VERBAL_SCALES):
        steps = [_fold(step) for step in scale]  # casefold: "mittelmäßig" is "mittelmässig"
        if set(folded) <= set(steps):
            spelled = [folded.get(_fold(step), step[:1].upper() + step[1:]) for step in scale]
            values = {text: float(k) for k, text in enumerate(spelled, start=1)}
            labels = {float(k): text for k, text in enumerate(spelled, start=1)}
            how = f"verbal answers from {spelled[0]!r} (1) to {spelled[-1]!r} ({len(scale)})"
            return _Rating(low=1.0, high=float(len(scale)), values=values, labels=labels, scale_id=("verbal", i),
                           how=how)
    return None


def _anchored_rating(folded: dict[str, str]) -> _Rating | None:
    """Numbers, some with anchor text (``"10 - Extremely likely"``), as choice-text exports write them."""
    numbers, values = [], {}
    for fold, text in folded.items():
        match = _ANCHORED.match(text)
        if match is None:
            return None
        x = float(match.group(1).replace(",", "."))
        numbers.append(x)
        if not re.fullmatch(r"\s*\d+(?:[.,]\d+)?\s*", text):
            values[text] = x
    if len(set(numbers)) < 3 or not all(float(x).is_integer() for x in numbers):
        return None
    low, high = min(numbers), max(numbers)
    if low < 0 or high > 10:
        return None
    family = 5 if high <= 5 else 7 if high <= 7 else 10
    how = f"numbers {number_text(low)}–{number_text(high)} written as text" + (" with anchor text" if values else "")
    return _Rating(low=low, high=high, values=values, scale_id=("numbers", family), how=how)


def _binary_values(folded: dict[str, str]) -> tuple[dict[str, float], str]:
    """Two text answers coded 0/1: the one that reads negative (dis-, un-, not, neutral …) is 0."""
    texts = list(folded.values())
    negative = [bool(_NEGATIVE.search(_fold(t))) for t in texts]
    if negative.count(True) == 1:
        low, high = (texts[0], texts[1]) if negative[0] else (texts[1], texts[0])
        return {low: 0.0, high: 1.0}, f"two answers; {low!r} reads negative, so it is 0"
    low, high = sorted(texts)
    return {low: 0.0, high: 1.0}, "two answers; neither reads negative: coded 0/1 in alphabetical order"


# ----------------------------------------------------------------------------- guessing

def _guess(frame: pd.DataFrame, meta: Any) -> _Guess:
    cols = _profile(frame, meta)
    guess = _Guess()
    used: set[str] = set()

    def take(role: str, name: str | None, why: str) -> None:
        if name is not None:
            guess.roles[role] = name
            guess.why[role] = why
            used.add(name)

    take("respondent_id", *_respondent(cols))
    take("customer_id", *_customer(cols, used))
    take("date", *_date(frame, cols, used))
    take("recommend", *_recommend(cols, used))
    take("satisfaction", *_satisfaction(cols, used))
    take("effort", *_effort(cols, used))
    take("weight", *_weight(frame, cols, used))
    take("comment", *_comment(cols, used))
    drivers, drivers_why = _drivers(cols, used)
    if drivers:
        guess.roles["drivers"], guess.why["drivers"] = drivers, drivers_why
        used.update(drivers)
    if "satisfaction" not in guess.roles and "recommend" not in guess.roles:
        _fallback_outcome(guess, cols, used)
    segments = [c.name for c in cols.values() if c.name not in used and _segment_like(c)]
    if segments:
        guess.roles["segments"] = segments
        guess.why["segments"] = f"text columns with 2–{MAX_SEGMENT_LEVELS} levels"
        used.update(segments)
    _scales(guess, cols)
    _wave(guess, frame)
    _notes(guess, frame, meta, cols, used)
    return guess


def _respondent(cols: dict[str, _Col]) -> tuple[str | None, str]:
    by_norm = {normalise_name(c.name): c for c in cols.values() if not _CUSTOMER.fullmatch(normalise_name(c.name))}
    for name in _RESPONDENT_NAMES:
        col = by_norm.get(name)
        if col is not None and col.unique:
            return col.name, "named like a response id, filled and unique in every row"
    for col in by_norm.values():
        if _words(col.name).split()[-1:] == ["id"] and col.unique and col.kind in ("number", "text"):
            return col.name, "named like an id, filled and unique in every row"
    return None, ""


def _customer(cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    for col in cols.values():
        if col.name not in used and col.kind in ("number", "text") and _CUSTOMER.fullmatch(normalise_name(col.name)):
            return col.name, "named like a customer id (links to customer tables; pseudonymised at import)"
    return None, ""


def _date(frame: pd.DataFrame, cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    candidates = [c for c in cols.values() if c.name not in used and c.n and (
        c.kind == "date" or (c.kind == "text" and _text_dates(frame[c.name])))]

    def rank(c: _Col) -> tuple[int, int]:
        norm = normalise_name(c.name)
        if norm in _DATE_NAMES:
            return (0, _DATE_NAMES.index(norm))
        if norm == "startdate":
            return (2, 0)
        return (1 if _DATE_WORDS.search(c.words) else 3, 0)

    if not candidates:
        return None, ""
    best = min(candidates, key=rank)
    if best.kind == "date":
        return best.name, "a date column (datetimes); each response's quarter comes from it"
    text = frame[best.name].dropna().astype(str).str.strip()
    example = text[text != ""].iloc[0]
    why = f"a date column (text such as {example!r} that reads as a date in every row)"
    if not re.match(r"\d{4}-", example):
        why += "; check that day and month are read the right way round (ambiguous dates are read month first)"
    return best.name, why + "; each response's quarter comes from it"


def _text_dates(s: pd.Series) -> bool:
    """Whether every non-empty value is date-like text that the import will parse."""
    text = s.dropna().astype(str).str.strip()
    text = text[text != ""]
    if not len(text) or not text.str.match(_DATE_TEXT).all():
        return False
    try:
        as_datetimes(text, str(s.name))
        return True
    except CXDataError:
        mixed = pd.to_datetime(text, errors="coerce", format="mixed")
        return bool(mixed.notna().all())


def _recommend(cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    for col in cols.values():
        r = col.rating
        if col.name in used or col.excluded or r is None or r.scale_id[0] != "numbers" or r.low < 0 or r.high > 10:
            continue
        if _RECOMMEND.search(col.words) or (_LIKELY.search(col.words) and r.high > 7):
            return col.name, f"name or question mentions recommending; {r.how}"
    return None, ""


def _satisfaction(cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    best, best_score = None, 0
    for col in cols.values():
        if col.name in used or col.excluded or (col.rating is None and col.binary is None):
            continue
        score = 0
        if _SATISFACTION_NAME.fullmatch(normalise_name(col.name)):
            score += 4
        if _SATISFACTION.search(col.words):
            score += 2 + ("overall" in col.words or "insgesamt" in col.words)
            score -= " - " in col.label  # an item of a Qualtrics matrix ("How satisfied … - Staff")
        if score > best_score:
            best, best_score = col, score
    if best is None:
        return None, ""
    answers = best.rating.how if best.rating is not None else best.binary_note
    return best.name, f"name or question mentions (overall) satisfaction; {answers}"


def _effort(cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    for col in cols.values():
        if col.name not in used and not col.excluded and col.rating is not None and _EFFORT.search(col.words):
            return col.name, f"name or question mentions effort / ease; {col.rating.how}"
    return None, ""


def _weight(frame: pd.DataFrame, cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    for col in cols.values():
        words = _words(col.name).split()
        if col.name in used or col.kind != "number" or not (_WEIGHT_WORDS & set(words) or words == ["w"]):
            continue
        s = frame[col.name]
        if s.notna().all() and bool((s > 0).all()):
            return col.name, "named like a weight, a positive number in every row"
    return None, ""


def _comment(cols: dict[str, _Col], used: set[str]) -> tuple[str | None, str]:
    texts = [c for c in cols.values() if c.name not in used and c.kind == "text" and c.rating is None and c.n]
    named = [c for c in texts if _COMMENT.search(c.words)
             and (c.mean_length >= 8 or c.levels > MAX_SEGMENT_LEVELS or c.levels == c.n)]
    if named:
        return max(named, key=lambda c: c.mean_length).name, "free text named like a comment"
    long = [c for c in texts if c.mean_length >= 30]
    if long:
        return max(long, key=lambda c: c.mean_length).name, "free text (long answers)"
    return None, ""


def _drivers(cols: dict[str, _Col], used: set[str]) -> tuple[list[str], str]:
    groups: dict[tuple, list[_Col]] = {}
    for col in cols.values():
        if col.name not in used and not col.excluded and col.rating is not None:
            groups.setdefault(col.rating.scale_id, []).append(col)
    if not groups:
        return [], ""
    best = max(groups.values(), key=len)  # max keeps the first of equal groups (column order)
    others = [c.name for g in groups.values() if g is not best for c in g]
    low, high = min(c.rating.low for c in best), max(c.rating.high for c in best)
    kind = "verbal answers" if best[0].rating.scale_id[0] == "verbal" else "answers"
    why = (f"{len(best)} rating column{'s' if len(best) > 1 else ''} on the same scale "
           f"({kind} {number_text(low)}–{number_text(high)})")
    if others:
        why += f" (ratings on other scales left without a role: {others})"
    return [c.name for c in best], why


def _fallback_outcome(guess: _Guess, cols: dict[str, _Col], used: set[str]) -> None:
    """No column is named like an outcome: a placeholder, loudly marked for review."""
    drivers = guess.roles.get("drivers", [])
    rest = [c for c in cols.values() if c.name not in used and not c.excluded and c.rating is not None]
    if rest:
        name = rest[0].name
    elif len(drivers) > 1:
        name = drivers.pop(0)
    else:
        return
    guess.roles["satisfaction"] = name
    guess.why["satisfaction"] = ("NO column is named like an outcome: this rating is a placeholder; name the "
                                 "overall satisfaction (or recommend) column")


def _segment_like(col: _Col) -> bool:
    return (col.kind == "text" and not col.metadata and col.rating is None and col.mean_length < 40
            and 2 <= col.levels <= MAX_SEGMENT_LEVELS and col.levels < col.n)


# ----------------------------------------------------------------------------- scales and wave

def _scales(guess: _Guess, cols: dict[str, _Col]) -> None:
    for role in ("satisfaction", "recommend", "effort", "drivers"):
        if role not in guess.roles:
            continue
        names = guess.roles[role] if role == "drivers" else [guess.roles[role]]
        col = cols[names[0]]
        if role == "satisfaction" and col.rating is None:
            if col.binary:
                guess.scales[role] = {"values": col.binary}
                guess.scale_why[role] = f"binary outcome: {col.binary_note}"
            else:
                guess.scales[role] = {"points": [0, 1]}
                guess.scale_why[role] = f"binary outcome: {col.binary_note}"
            continue
        scale, why = _rating_scale([cols[n].rating for n in names], recommend=role == "recommend")
        guess.scales[role], guess.scale_why[role] = scale, why


def _rating_scale(ratings: list[_Rating], *, recommend: bool) -> tuple[dict[str, Any], str]:
    """One scale for the ratings of a role: points, missing codes, values and labels."""
    low, high = min(r.low for r in ratings), max(r.high for r in ratings)
    missing = sorted({c for r in ratings for c in r.codes})
    values = {k: v for r in ratings for k, v in r.values.items()}
    labels: dict[float, str] = {}
    for r in ratings:
        if any(labels.get(k, v) != v for k, v in r.labels.items()):
            labels = {}
            break
        labels.update(r.labels)
    verbal = ratings[0].scale_id[0] == "verbal"
    if recommend:
        points, why = [0.0, 10.0], "likelihood to recommend: the 0–10 scale"
    elif low == 0 and high in (5.0, 7.0) and not verbal:
        points, why = [1.0, high], (f"answers 0–{number_text(high)}: 0 on a 1–{number_text(high)} scale is "
                                    "probably 'not applicable', so it is a missing code")
        missing = sorted({0.0, *missing})
    else:
        points = [0.0 if low == 0 else 1.0, high]
        answers = ratings[0].how if len(ratings) == 1 else f"the answers of {len(ratings)} columns"
        why = f"{answers}; the scale {number_text(points[0])}–{number_text(high)}"
        if low > 1:
            why += f" (no answer below {number_text(low)}: read as starting at 1)"
    if missing and not why.endswith("missing code"):
        why += f"; missing codes {[number_text(c) for c in missing]} declared in the source"
    scale: dict[str, Any] = {"points": points}
    if missing:
        scale["missing"] = missing
    if labels:
        scale["labels"] = {k: v for k, v in labels.items() if points[0] <= k <= points[1]}
    if values:
        scale["values"] = values
    return scale, why


def _wave(guess: _Guess, frame: pd.DataFrame) -> None:
    date = guess.roles.get("date")
    if date is not None:
        s = frame[date]
        if not is_datetime64_any_dtype(s):
            text = s.astype(object).where(s.notna() & (s.astype(str).str.strip() != ""))
            try:
                s = as_datetimes(text, date)
            except CXDataError:
                s = pd.to_datetime(text, errors="coerce", format="mixed")
        quarters = [q for q in quarter_of(s.dropna()) if q is not None]
        if quarters:
            guess.wave = max(quarters)
            guess.wave_why = (f"the latest quarter in {date!r}; responses with a blank date are put in it "
                              "(delete the line to drop them instead)")
            return
    guess.wave = quarter_of(pd.Timestamp.today())
    guess.wave_why = ("placeholder (this quarter): no date column, so every response is in this quarter; "
                      "write the quarter the survey was in the field")


def _notes(guess: _Guess, frame: pd.DataFrame, meta: Any, cols: dict[str, _Col], used: set[str]) -> None:
    for added in ("quarter", "response_id", "customer_id"):
        if added in frame.columns and added not in used:
            guess.notes.append(f"REVIEW: the source has a column {added!r}, which the import adds itself: "
                               "rename or remove it in the source before `cx data import`")
    rest = [c for c in frame.columns if c not in used]
    if rest:
        shown = ", ".join(rest[:30]) + (f", … ({len(rest) - 30} more)" if len(rest) > 30 else "")
        guess.notes.append(f"Columns without a role (imported as they are): {shown}")
    if meta.dropped_pii:
        guess.notes.append("Identifying columns (dropped at import; keep one with [privacy] keep = [...]): "
                           + ", ".join(meta.dropped_pii))


# ----------------------------------------------------------------------------- writing

def _q(text: Any) -> str:
    """A TOML basic string (JSON escapes are valid TOML; DEL escaped too)."""
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


def _num(x: float) -> str:
    return str(number_text(float(x)))


def _line(code: str, comment: str, width: int = 40) -> str:
    return f"{code:<{width}} # REVIEW: {comment}"


def _toml(guess: _Guess, frame: pd.DataFrame, meta: Any, data_file: Path, root: Path, sheet: Any) -> str:
    source = data_file.resolve()
    try:
        rel = Path(os.path.relpath(source, root)).as_posix()
    except ValueError:  # another drive (Windows): keep the absolute path
        rel = source.as_posix()
    lines = _header(guess, frame, meta, data_file)
    lines += ["[study]", _line(f"title = {_q(data_file.stem)}", "the report's title"),
              _line(f"wave = {_q(guess.wave)}", guess.wave_why), "",
              "[sources.survey]", f"path = {_q(rel)}", f"format = {_q(meta.format)}"]
    if sheet is not None:
        lines.append(f"sheet = {sheet if isinstance(sheet, int) else _q(sheet)}")
    lines += ["", "[roles.survey]"]
    for role, value in guess.roles.items():
        if isinstance(value, list):
            lines.append(_line(f"{role} = [", guess.why[role]))
            lines += [f"    {_q(v)}," for v in value] + ["]"]
        else:
            lines.append(_line(f"{role} = {_q(value)}", guess.why[role]))
    for role, scale in guess.scales.items():
        lines += ["", f"[scales.{role}]"]
        for key, value in scale.items():
            comment = guess.scale_why[role] if key == "points" or len(scale) == 1 else _SCALE_COMMENTS[key]
            lines.append(_line(f"{key} = {_toml_value(key, value)}", comment))
    return "\n".join(lines) + "\n"


_SCALE_COMMENTS = {
    "missing": "codes that mean not applicable / don't know: set missing at import, and counted",
    "labels": "the answers' texts",
    "values": "text answers coded to numbers (matched ignoring case and spaces)",
}


def _toml_value(key: str, value: Any) -> str:
    if key in ("points", "missing"):
        return "[" + ", ".join(_num(v) for v in value) + "]"
    if key == "labels":
        return "{ " + ", ".join(f"{_q(_num(k))} = {_q(v)}" for k, v in value.items()) + " }"
    return "{ " + ", ".join(f"{_q(k)} = {_num(v)}" for k, v in value.items()) + " }"


def _header(guess: _Guess, frame: pd.DataFrame, meta: Any, data_file: Path) -> list[str]:
    out = [f"# Study file scaffolded by `cx init` from {data_file.name} ({meta.format}, {len(frame):,} rows, "
           f"{frame.shape[1]} columns).",
           "# Every line with a REVIEW comment is a guess: check it against the questionnaire and correct",
           "# it, then run `cx data import` on this file. The format is described in data/study-file.md.",
           "#", "# How the guesses were made:"]
    for role, value in guess.roles.items():
        shown = f"{len(value)} column(s)" if isinstance(value, list) else repr(value)
        out.append(f"# - {role} = {shown}: {guess.why[role]}.")
    for role, why in guess.scale_why.items():
        out.append(f"# - [scales.{role}]: {why}.")
    out.append(f"# - [study] wave = {guess.wave!r}: {guess.wave_why}.")
    out += [f"# {note}" for note in guess.notes]
    if meta.value_labels:
        out.append("# SPSS value labels are added to the scales at import; user-missing codes are missing.")
    return out + [""]
