"""Key figures: the small JSON a notebook run saves for the quarter's index.

One helper builds every figure (:func:`key_figure`), so each carries the same fields —
``estimate, ci_low, ci_high, n, small_base`` — whatever
the result it comes from: a row of a tidy result table, an
:class:`~cxlib.core.results.Estimate`, or a mapping.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.io import atomic_write_json
from ..errors import CXDataError


def _get(value: Any, key: str, default: Any = None) -> Any:
    if isinstance(value, (Mapping, pd.Series)):
        return value.get(key, default)
    return getattr(value, key, default)


def key_figure(value: Any, *, scale: float = 1.0, n: Any = None) -> dict[str, Any]:
    """One key figure from a result row, an estimate object or a mapping.

    ``scale`` multiplies the estimate and its bounds (100 for a share shown in percent);
    ``n`` overrides the base when the value does not carry it. ``small_base`` is ``False``
    when the value has no base rule. A small base also keeps the base the rule was applied
    to: ``n_eff`` (the Kish effective base, when weighted and different from ``n``) and
    ``min_base``, so a suppression can be stated on the right base.

    Examples
    --------
    >>> key_figure({"estimate": 0.25, "ci_low": 0.2, "ci_high": 0.3, "n": 400, "small_base": False}, scale=100)
    {'estimate': 25.0, 'ci_low': 20.0, 'ci_high': 30.0, 'n': 400, 'small_base': False}
    >>> key_figure({"estimate": 5.0, "ci_low": 1, "ci_high": 9, "n": 38, "n_eff": 26.3, "small_base": True,
    ...             "min_base": 30})
    {'estimate': 5.0, 'ci_low': 1.0, 'ci_high': 9.0, 'n': 38, 'small_base': True, 'n_eff': 26.3, 'min_base': 30}
    """
    def num(key: str) -> float | None:
        x = _get(value, key)
        return None if x is None or pd.isna(x) else float(x) * scale

    base = _get(value, "n") if n is None else n
    small = _get(value, "small_base", False)
    out: dict[str, Any] = {
        "estimate": num("estimate"), "ci_low": num("ci_low"), "ci_high": num("ci_high"),
        "n": None if base is None or pd.isna(base) else int(base),
        "small_base": bool(small) if small is not None and small is not pd.NA else False,
    }
    if out["small_base"]:  # say on which base the rule was applied: Kish n_eff when weighted
        n_eff, min_base = _get(value, "n_eff"), _get(value, "min_base")
        if n_eff is not None and not pd.isna(n_eff) and out["n"] is not None and float(n_eff) != out["n"]:
            out["n_eff"] = float(n_eff)
        if min_base is not None and not pd.isna(min_base):
            out["min_base"] = int(min_base)
    return out


def key_figures(table: pd.DataFrame, *, label: str | list[str], scale: float = 1.0) -> dict[str, dict[str, Any]]:
    """Key figures for every row of a tidy table, keyed by the ``label`` column(s) (joined by ", ")."""
    labels = [label] if isinstance(label, str) else list(label)
    out = {}
    for _, row in table.iterrows():
        name = ", ".join(str(row[c]) for c in labels)
        out[name] = key_figure(row, scale=scale)
    return out


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return obj


def save_key_figures(figures: Mapping[str, Any], path: str | os.PathLike | None) -> dict[str, Any]:
    """Write a run's key figures as stable JSON (atomically) and return what was written.

    ``path=None`` (an interactive session) writes nothing. Values may be numbers, strings,
    or nested dicts/lists of them; NaN becomes ``null``.

    Examples
    --------
    >>> save_key_figures({"nps": {"estimate": 12.5, "n": 400}}, None)
    {'nps': {'estimate': 12.5, 'n': 400}}
    """
    clean = _clean(dict(figures))
    if path is not None:
        atomic_write_json(path, clean, sort_keys=False)  # keep the notebook's order of figures
    return clean


def load_key_figures(path: str | os.PathLike) -> dict[str, Any]:
    """Read a key-figures JSON written by :func:`save_key_figures`."""
    p = Path(path)
    if not p.is_file():
        raise CXDataError(f"no key-figures file at {str(p)!r}")
    return json.loads(p.read_text(encoding="utf-8"))
