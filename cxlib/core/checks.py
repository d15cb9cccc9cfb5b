"""Input validation shared by every estimator (the one input-checking module).

Each check raises :class:`cxlib.errors.CXDataError` with a message that names the
column, shows (a sample of) the bad values with their row count, and lists what is
valid. Nothing here modifies its input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CXDataError

_MAX_SHOWN = 5


def show_values(values: Iterable[Any]) -> str:
    vals = list(values)
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in vals[:_MAX_SHOWN])
    more = f", ... ({len(vals) - _MAX_SHOWN} more)" if len(vals) > _MAX_SHOWN else ""
    return f"[{shown}{more}]"


def check_confidence_level(confidence_level: float) -> float:
    """Return ``confidence_level`` if it lies strictly between 0 and 1."""
    try:
        level = float(confidence_level)
    except (TypeError, ValueError):
        raise CXDataError(
            f"`confidence_level`={confidence_level!r} is not a number; use e.g. 0.95"
        ) from None
    if not 0.0 < level < 1.0:
        raise CXDataError(
            f"`confidence_level`={confidence_level!r} must lie strictly between 0 and 1 (e.g. 0.95)"
        )
    return level


def check_columns(data: pd.DataFrame, columns: Sequence[str], *, argument: str = "column") -> None:
    """Raise if any of ``columns`` is not a column of ``data``."""
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise CXDataError(
            f"`{argument}`={missing[0]!r} is not a column of `data`; "
            f"available: {list(map(str, data.columns))}"
        )


def as_series(data: Any, column: str | None, *, argument: str) -> tuple[pd.Series, str]:
    """Return the 1-D values to analyse and the name to report them under.

    ``data`` is either a DataFrame (then ``column`` names a column of it) or a 1-D
    array/Series of values (then ``column`` may be ``None``).
    """
    if isinstance(data, pd.DataFrame):
        if column is None:
            raise CXDataError(f"`{argument}` must name a column of `data` when `data` is a DataFrame")
        check_columns(data, [column], argument=argument)
        return data[column], str(column)
    if isinstance(data, pd.Series):
        return data, str(data.name if data.name is not None else (column or argument))
    arr = np.asarray(data)
    if arr.ndim != 1:
        raise CXDataError(f"`data` must be a DataFrame or a 1-D array of scores; got shape {arr.shape}")
    return pd.Series(arr), str(column or argument)


def numeric_scores(
    values: pd.Series,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    allow_missing: bool = True,
) -> np.ndarray:
    """Validate scores and return them as a float array (missing values as NaN).

    Raises
    ------
    CXDataError
        On text labels, values outside ``[low, high]``, non-integers where integers are
        required, missing values when not allowed, or when nothing is left.
    """
    s = pd.Series(values)
    if len(s) == 0:
        raise CXDataError(f"column {name!r} is empty: no rows to analyse")
    _refuse_non_scores(s, name)
    num = pd.to_numeric(s, errors="coerce")
    bad_text = s.notna() & num.isna()
    if bad_text.any():
        bad = pd.unique(s[bad_text])
        raise CXDataError(
            f"column {name!r} has {int(bad_text.sum())} non-numeric value(s) {show_values(bad)}; "
            "expected numeric scores (recode text labels first)"
        )
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        raise CXDataError(f"column {name!r} has {int(np.isinf(arr).sum())} infinite value(s)")
    missing = np.isnan(arr)
    if missing.all():
        raise CXDataError(f"column {name!r} is all missing ({len(arr)} rows): nothing to analyse")
    if missing.any() and not allow_missing:
        raise CXDataError(f"column {name!r} has {int(missing.sum())} missing value(s); drop or impute them first")
    ok = arr[~missing]
    out_of_range = np.zeros(ok.shape, dtype=bool)
    if low is not None:
        out_of_range |= ok < low
    if high is not None:
        out_of_range |= ok > high
    if out_of_range.any():
        bad = np.unique(ok[out_of_range])
        raise CXDataError(
            f"column {name!r} has {int(out_of_range.sum())} value(s) outside the scale "
            f"{'-inf' if low is None else f'{low:g}'}–{'inf' if high is None else f'{high:g}'}: {show_values(bad)}"
        )
    if integer:
        frac = ok != np.round(ok)
        if frac.any():
            bad = np.unique(ok[frac])
            raise CXDataError(
                f"column {name!r} has {int(frac.sum())} non-integer value(s) {show_values(bad)}; "
                "expected whole-number scale points"
            )
    return arr


def _refuse_non_scores(s: pd.Series, name: str) -> None:
    """Booleans (numpy, nullable or Python objects) and dates are not scores."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
            dtype == object and len(s.dropna()) and s.dropna().map(type).isin([bool, np.bool_]).all()):
        raise CXDataError(
            f"column {name!r} holds booleans (True/False); expected numeric scores "
            "(e.g. the 0–10 ratings themselves, or a 0/1 column with scale=(0, 1))"
        )
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise CXDataError(f"column {name!r} holds dates or durations ({dtype}); expected numeric scores")


def check_weights(weights: Any, n: int, *, name: str = "weights") -> np.ndarray:
    """Validate survey weights: numeric, finite, non-negative, not all zero."""
    w = pd.to_numeric(pd.Series(np.asarray(weights)), errors="coerce").to_numpy(dtype=float)
    if len(w) != n:
        raise CXDataError(f"`{name}` has {len(w)} values but the data has {n} rows")
    if np.isnan(w).any():
        raise CXDataError(f"weights column {name!r} has {int(np.isnan(w).sum())} missing or non-numeric value(s)")
    if np.isinf(w).any():
        raise CXDataError(f"weights column {name!r} has {int(np.isinf(w).sum())} infinite value(s)")
    neg = w < 0
    if neg.any():
        raise CXDataError(
            f"weights column {name!r} has {int(neg.sum())} negative value(s) {show_values(np.unique(w[neg]))}; "
            "weights must be >= 0"
        )
    if not (w > 0).any():
        raise CXDataError(f"weights column {name!r} is zero everywhere")
    return w


def resolve_weights(data: Any, weights: Any, n: int) -> np.ndarray | None:
    """Weights given as a column name of ``data``, a Series or an array; ``None`` stays ``None``.

    A weights Series is matched to the rows of ``data`` by index label, never by position
    (a shuffled Series gives the same answer); a Series whose labels are not exactly the
    data's is refused. An array must have one value per row.
    """
    if weights is None:
        return None
    if isinstance(weights, str):
        if not isinstance(data, pd.DataFrame):
            raise CXDataError(f"`weights`={weights!r} names a column but `data` is not a DataFrame")
        check_columns(data, [weights], argument="weights")
        return check_weights(data[weights], n, name=weights)
    if isinstance(weights, pd.Series) and isinstance(data, (pd.DataFrame, pd.Series)):
        weights = _aligned(weights, data.index)
    return check_weights(weights, n)


def _aligned(weights: pd.Series, index: pd.Index) -> pd.Series:
    """``weights`` reordered to ``index`` by label, or a clear error when the labels differ."""
    if weights.index.equals(index):
        return weights
    if not (weights.index.is_unique and index.is_unique):
        raise CXDataError(
            "`weights` is a Series whose index differs from the data's and has duplicate labels, so it "
            "cannot be matched row by row; pass `weights.to_numpy()` if the order is right, or a column name"
        )
    missing = index.difference(weights.index)
    extra = weights.index.difference(index)
    if len(missing) or len(extra):
        raise CXDataError(
            f"`weights` is a Series whose index does not match the data's: {len(missing)} row label(s) of the "
            f"data have no weight {show_values(missing)}, {len(extra)} weight label(s) are not rows of the data "
            f"{show_values(extra)}; weights are matched by index label, so align them first (or pass a column name)"
        )
    return weights.reindex(index)


def kish_n_eff(w: np.ndarray) -> float:
    """Kish effective sample size ``(Σw)² / Σw²``."""
    w = np.asarray(w, dtype=float)
    s2 = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def as_datetimes(values: Any, name: str) -> pd.Series:
    """Return ``values`` as a ``datetime64`` Series (missing stays ``NaT``).

    Strings are parsed; numbers and booleans are refused rather than read as epoch
    offsets. Raises :class:`CXDataError` naming the column, the unparseable values and
    their row count.
    """
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        raise CXDataError(
            f"column {name!r} has dtype {s.dtype}; expected dates or datetimes "
            "(datetime64 or text such as '2026-01-31 09:30')"
        )
    import warnings  # local: keeps this appended helper self-contained

    with warnings.catch_warnings():  # mixed formats: parsed one by one, bad values reported below
        warnings.filterwarnings("ignore", message="Could not infer format", category=UserWarning)
        parsed = pd.to_datetime(s, errors="coerce")
    bad = s.notna() & parsed.isna()
    if bad.any():
        raise CXDataError(
            f"column {name!r} has {int(bad.sum())} value(s) that are not dates "
            f"{show_values(pd.unique(s[bad]))}; fix or blank them (missing dates are allowed as NaT)"
        )
    return parsed


def non_negative_counts(values: Any, name: str) -> np.ndarray:
    """Validate event counts (whole numbers >= 0; missing allowed) as a float array."""
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        raise CXDataError(f"column {name!r} is boolean; expected whole-number counts >= 0")
    num = pd.to_numeric(s, errors="coerce")
    bad_text = s.notna() & num.isna()
    if bad_text.any():
        raise CXDataError(
            f"column {name!r} has {int(bad_text.sum())} non-numeric value(s) "
            f"{show_values(pd.unique(s[bad_text]))}; expected whole-number counts >= 0"
        )
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(arr)
    bad = (~ok & ~np.isnan(arr)) | (ok & ((arr < 0) | (arr != np.round(arr))))
    if bad.any():
        raise CXDataError(
            f"column {name!r} has {int(bad.sum())} value(s) that are not whole-number counts >= 0 "
            f"{show_values(np.unique(arr[bad]))}"
        )
    return arr


def check_choice(value: Any, options: Sequence[Any], *, argument: str) -> Any:
    """Return ``value`` if it is one of ``options``; else a message listing them.

    >>> check_choice("wald", ("wald", "bootstrap"), argument="method")
    'wald'
    """
    try:
        ok = value in options
    except TypeError:  # unhashable or incomparable
        ok = False
    if not ok:
        raise CXDataError(f"`{argument}`={value!r} is not valid; choose one of {list(options)}")
    return value


def check_frame(data: Any, *, argument: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`{argument}` must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise CXDataError(f"`{argument}` has no rows: nothing to analyse")
    return data


def check_min_base(min_base: Any) -> int:
    """Return ``min_base`` if it is a whole number >= 0."""
    if isinstance(min_base, bool) or not isinstance(min_base, (int, np.integer)) or min_base < 0:
        raise CXDataError(f"`min_base`={min_base!r} must be a whole number >= 0 (e.g. 30)")
    return int(min_base)


def check_n_boot(n_boot: Any, *, minimum: int = 0) -> int:
    """Return the number of bootstrap resamples if it is a whole number >= ``minimum``."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < minimum:
        raise CXDataError(f"`n_boot`={n_boot!r} must be a whole number >= {minimum} (e.g. 200)")
    return int(n_boot)


def column_list(columns: Any, *, argument: str, allow_empty: bool = False) -> list[str]:
    """One column name or a list of them as a list, without duplicates."""
    if isinstance(columns, str):
        return [columns]
    cols = [] if columns is None else list(columns)
    if not cols and not allow_empty:
        raise CXDataError(f"`{argument}` must name at least one column")
    dup = sorted({str(c) for c in cols if cols.count(c) > 1})
    if dup:
        raise CXDataError(f"`{argument}` lists {dup} more than once")
    return cols


def check_scale(scale: Any, *, integer: bool = False, argument: str = "scale") -> tuple[float, float]:
    """A rating scale ``(low, high)`` with ``low < high``; whole numbers at least 2 apart
    when ``integer`` (a scale with a middle, e.g. for response styles).

    >>> check_scale((1, 5))
    (1.0, 5.0)
    """
    try:
        low, high = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise CXDataError(f"`{argument}`={scale!r} must be a pair (low, high), e.g. (1, 5)") from None
    if not low < high:
        raise CXDataError(f"`{argument}`={scale!r} must have low < high")
    if integer and (low != round(low) or high != round(high) or high - low < 2):
        raise CXDataError(f"`{argument}`={scale!r} must be two whole numbers at least 2 apart, e.g. (1, 5)")
    return low, high


def as_timestamp(value: Any, *, argument: str = "as_of") -> pd.Timestamp:
    """A single reference date, timezone-naive (an aware date is converted to UTC first)."""
    if value is None:
        raise CXDataError(f"`{argument}` is required: a date, e.g. {argument}='2026-09-30'")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise CXDataError(f"`{argument}`={value!r} is not a date; use e.g. '2026-09-30'") from None
    if pd.isna(ts):
        raise CXDataError(f"`{argument}`={value!r} is not a date; use e.g. '2026-09-30'")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def date_column(data: pd.DataFrame, column: str, *, argument: str) -> pd.Series:
    """Column ``column`` of ``data`` as timezone-naive datetimes (aware ones in UTC)."""
    check_columns(data, [column], argument=argument)
    s = as_datetimes(data[column], column)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


def by_columns(data: pd.DataFrame, by: Any) -> list[str]:
    """The grouping columns named by ``by`` (one name or a list; ``None`` for no grouping)."""
    if by is None:
        return []
    cols = column_list(by, argument="by")
    check_columns(data, cols, argument="by")
    return cols


def group_codes(data: pd.DataFrame, by_cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per row (groups in sorted key order) and the key table.

    Rows whose key is missing in any grouping column get code ``-1`` and belong to no
    group (as in pandas ``groupby`` and :func:`cxlib.by_group`); with no grouping columns
    every row is in group 0.
    """
    if not by_cols:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=range(1))
    grouped = data.groupby(by_cols, sort=True, dropna=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=float)
    return np.where(np.isnan(codes), -1, codes).astype(np.int64), grouped.size().index.to_frame(index=False)


def check_date_order(data: pd.DataFrame, start: pd.Series, end: pd.Series, start_col: str, end_col: str) -> None:
    """Raise if ``end`` precedes ``start`` in any row (a negative duration), naming the
    columns, the rows and the differences."""
    neg = (end < start).to_numpy()
    if neg.any():
        shown = [str(g) for g in (end[neg] - start[neg]).iloc[:_MAX_SHOWN]]
        raise CXDataError(
            f"column {end_col!r} is earlier than {start_col!r} in {int(neg.sum())} row(s) "
            f"(row labels {show_values(data.index[neg])}; differences {shown}); "
            f"fix the dates or drop those rows"
        )


# ------------------------------------------------------------------ declared scales
def _is_mapping(value: Any) -> bool:
    from collections.abc import Mapping  # local: keeps the appended helpers self-contained

    return isinstance(value, Mapping)


def _is_scale_object(value: Any) -> bool:
    """A scale declaration with ``points`` and ``missing`` (e.g. :class:`cxlib.data.study.Scale`)."""
    return hasattr(value, "points") and hasattr(value, "missing")


def _code_tuple(codes: Any, argument: str) -> tuple:
    """Declared missing codes as a tuple of numbers or texts (one code may be given bare)."""
    if codes is None:
        return ()
    if isinstance(codes, (str, int, float, np.integer, np.floating)):
        codes = (codes,)
    try:
        out = tuple(c.item() if isinstance(c, np.generic) else c for c in codes)
    except TypeError:
        raise CXDataError(f"`{argument}`={codes!r} must be missing codes, e.g. [0] or [0, 9]") from None
    bad = [c for c in out if isinstance(c, bool) or not isinstance(c, (str, int, float)) or c != c]
    if bad:
        raise CXDataError(f"`{argument}` lists {show_values(bad)}: missing codes are numbers (e.g. 0 = 'not "
                          "applicable') or texts (e.g. \"Don't know\")")
    return tuple(dict.fromkeys(out))


def declared_scale(scale: Any, missing: Any, column: str) -> tuple[tuple[float, float] | None, tuple]:
    """The points ``(low, high)`` (``None`` if undeclared) and the missing codes of ``column``.

    ``scale`` is ``None``, a pair ``(low, high)``, a scale object with ``points`` and
    ``missing`` (the study's :class:`~cxlib.data.study.Scale`), or a dict column -> one of
    those. ``missing`` is a sequence of codes (every column) or a dict column -> codes. A
    scale object's own codes are added to ``missing``'s.

    >>> declared_scale({"a": (1, 5)}, {"a": [0]}, "a")
    ((1.0, 5.0), (0,))
    >>> declared_scale((1, 5), [0, 9], "b")
    ((1.0, 5.0), (0, 9))
    >>> declared_scale({"a": (1, 5)}, {"a": [0]}, "b")
    (None, ())
    """
    sc = scale.get(column) if _is_mapping(scale) else scale
    codes = _code_tuple(missing.get(column) if _is_mapping(missing) else missing, "missing")
    if sc is None:
        return None, codes
    if _is_scale_object(sc):
        codes = tuple(dict.fromkeys(codes + _code_tuple(sc.missing, f"scale[{column!r}].missing")))
        sc = sc.points
        if sc is None:
            return None, codes
    return check_scale(sc, argument="scale"), codes


def check_declared_columns(data: pd.DataFrame, *, scale: Any = None, missing: Any = None) -> None:
    """Raise when ``scale`` or ``missing`` is a dict naming something that is not a column of ``data``."""
    for argument, value in (("scale", scale), ("missing", missing)):
        if _is_mapping(value):
            check_columns(data, list(value), argument=argument)


def missing_code_mask(values: Any, codes: tuple) -> tuple[np.ndarray, dict]:
    """Rows of ``values`` holding one of the declared missing ``codes``, and the rows per code.

    Numeric codes match numbers (and numbers stored as text, ``"0"``), text codes match
    equal texts; booleans never match a numeric code.

    >>> mask, counts = missing_code_mask(pd.Series([0, 3, 9, None, 0]), (0, 9))
    >>> mask.tolist(), counts
    ([True, False, True, False, True], {0: 2, 9: 1})
    """
    s = pd.Series(values)
    hit = np.zeros(len(s), dtype=bool)
    counts: dict = {}
    num = None
    for code in codes:
        if isinstance(code, str):
            m = (s.astype(object) == code).to_numpy(dtype=bool)
        else:
            if num is None:
                plain = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
                num = (s if plain else pd.to_numeric(s.astype(object).where(~s.map(type).eq(bool)), errors="coerce")
                       ).to_numpy(dtype=float, na_value=np.nan)
            m = num == float(code)
        m &= ~hit
        counts[code] = int(m.sum())
        hit |= m
    return hit, counts


def _as_shown(values: np.ndarray) -> list:
    """Whole numbers shown without a decimal point (0, not 0.0)."""
    return [int(v) if float(v).is_integer() else float(v) for v in values]


def apply_scale(values: Any, name: str, *, scale: Any = None, missing: Any = ()) -> tuple[np.ndarray, dict]:
    """Scores of one column as floats, with the declared missing codes set missing (counted).

    Parameters
    ----------
    values : array-like
        The column's values.
    name : str
        The column's name (errors name it; dicts in ``scale``/``missing`` are looked up by it).
    scale : pair, scale object or dict, optional
        The declared points ``(low, high)``: any remaining value outside them raises (see
        :func:`declared_scale` for the accepted forms).
    missing : sequence or dict, optional
        Declared missing codes (e.g. ``[0]`` for "not applicable").

    Returns
    -------
    (numpy.ndarray, dict)
        The scores (NaN where missing, declared codes included) and ``code -> rows set
        missing`` for each declared code (empty when none is declared).

    Raises
    ------
    CXDataError
        Non-numeric values (after the codes), nothing left, values outside the points:
        the message names the column, the values (first 5) and their row count, and the
        codes declared missing.

    Examples
    --------
    >>> scores, counts = apply_scale([0, 4, 5, 0, None], "wifi", scale=(1, 5), missing=[0])
    >>> scores.tolist(), counts
    ([nan, 4.0, 5.0, nan, nan], {0: 2})
    """
    points, codes = declared_scale(scale, missing, name)
    s = pd.Series(values)
    counts: dict = {}
    if codes:
        mask, counts = missing_code_mask(s, codes)
        if mask.any():
            s = s.astype(object).mask(mask) if not pd.api.types.is_numeric_dtype(s.dtype) else s.mask(mask)
        if len(s) and s.isna().all():
            raise CXDataError(f"column {name!r} has no value left: all {len(s)} rows are missing or declared "
                              f"missing codes {show_values(codes)} ({counts})")
    arr = numeric_scores(s, name)
    if points is not None:
        ok = arr[~np.isnan(arr)]
        bad = (ok < points[0]) | (ok > points[1])
        if bad.any():
            declared = (f"declared missing codes: {show_values(codes)}" if codes
                        else "no missing codes are declared (e.g. missing=[0] for 'not applicable')")
            raise CXDataError(
                f"column {name!r} has {int(bad.sum())} value(s) outside the scale points "
                f"{points[0]:g}–{points[1]:g}: {show_values(_as_shown(np.unique(ok[bad])))}; {declared}")
    return arr, counts
