"""Where the report's notebooks and definition live, and `.ipynb` copies for papermill users.

The notebooks are jupytext ``py:percent`` files in the repository's ``notebooks/`` folder
next to the package (a source checkout or the editable install the README sets up), so
``cx report`` finds them from any working directory. ``CX_NOTEBOOKS`` points elsewhere
(e.g. a study's own copy). :func:`export_notebooks` writes ``.ipynb`` copies, which plain
papermill can read (it cannot read the ``.py`` files).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.io import atomic_write_text
from ..errors import CXDataError

#: Environment variable naming a notebooks folder to use instead of the bundled one.
NOTEBOOKS_ENV = "CX_NOTEBOOKS"


def notebooks_dir() -> Path:
    """The folder with the report's notebooks and ``report.toml``.

    ``$CX_NOTEBOOKS`` if set, else the ``notebooks/`` folder beside the installed package.
    Paths under the working directory are returned relative to it (so reports rendered in
    two clones stay byte-identical).
    """
    env = os.environ.get(NOTEBOOKS_ENV)
    folder = Path(env) if env else Path(__file__).resolve().parents[2] / "notebooks"
    if not (folder / "report.toml").is_file():
        where = f"${NOTEBOOKS_ENV}={env!r}" if env else f"{str(folder)!r}"
        raise CXDataError(
            f"no report definition (report.toml) in {where}; point {NOTEBOOKS_ENV} at a folder with the "
            "notebooks and report.toml, or pass --definition")
    folder = folder.resolve()
    return folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder


def export_notebooks(out: str | os.PathLike, *, source: str | os.PathLike | None = None) -> list[Path]:
    """Write an ``.ipynb`` copy (without outputs) of every notebook to folder ``out``.

    Returns the written paths. Existing files are replaced atomically; the sources are
    never modified.
    """
    import jupytext
    import nbformat

    src = Path(source) if source is not None else notebooks_dir()
    files = sorted(src.glob("[0-9][0-9]_*.py"))
    if not files:
        raise CXDataError(f"no notebooks (NN_name.py) in {str(src)!r}")
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        nb = jupytext.read(f)
        target = dest / f"{f.stem}.ipynb"
        atomic_write_text(target, nbformat.writes(nb) + "\n")
        written.append(target)
    return written
