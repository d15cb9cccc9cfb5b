"""Provenance and key figures of a notebook run.

A rendered report states where its numbers came from (parameters, a fingerprint of the
input data, the git commit, package versions) and writes its headline numbers to a small
JSON file beside its output, so the quarter's index can read them without parsing HTML.
Nothing here records wall-clock time, so reruns on the same inputs are byte-identical.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .core.io import atomic_write_json
from .data import fingerprint
from .errors import CXDataError

__all__ = [
    "git_commit",
    "package_versions",
    "provenance_table",
    "save_key_figures",
    "load_key_figures",
]

_PACKAGES = ("cxlib", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
             "scikit-learn", "lifelines", "papermill", "nbconvert")


def git_commit(cwd: str | os.PathLike | None = None) -> str:
    """The current git commit (short), with ``-dirty`` if tracked files changed; or ``"unknown"``."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def package_versions(packages: Iterable[str] = _PACKAGES) -> dict[str, str]:
    """Installed versions of the packages a report depends on (and Python's)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _display_value(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "(none)"
    return str(value)


def provenance_table(parameters: Mapping[str, Any] | None = None, *,
                     data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """A two-column table (item, value) of parameters and provenance for a report.

    Parameters
    ----------
    parameters : mapping, optional
        The parameters the notebook ran with.
    data_dir : path, optional
        The input data; its :func:`fingerprint` is recorded.

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``item``, ``value``.

    Examples
    --------
    >>> t = provenance_table({"quarter": "2026Q3"})
    >>> t.loc[0, ["section", "item", "value"]].tolist()
    ['parameter', 'quarter', '2026Q3']
    """
    rows: list[tuple[str, str, str]] = []
    for k, v in (parameters or {}).items():
        rows.append(("parameter", str(k), _display_value(v)))
    if data_dir is not None:
        rows.append(("provenance", "data fingerprint (sha256)", fingerprint(data_dir)))
    rows.append(("provenance", "git commit", git_commit()))
    for name, version in package_versions().items():
        rows.append(("provenance", f"{name} version", version))
    return pd.DataFrame(rows, columns=["section", "item", "value"])


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
