"""Provenance and key figures of a notebook run.

A rendered report states where its numbers came from (parameters, a fingerprint of the
input data, the git commit, package versions) and writes its headline numbers to a small
JSON file beside its output, so the quarter's index can read them without parsing HTML.
Nothing here records wall-clock time, so reruns on the same inputs are byte-identical.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

import pandas as pd

from ..data.store import fingerprint

#: The packages whose versions a report states (with Python's).
REPORT_PACKAGES = ("cxlib", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
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


def package_versions(packages: Iterable[str] = REPORT_PACKAGES) -> dict[str, str]:
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
