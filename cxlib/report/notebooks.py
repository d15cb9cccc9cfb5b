"""Where the report's notebooks and definition live, and `.ipynb` copies for papermill users.

The notebooks are jupytext ``py:percent`` files in the repository's ``notebooks/`` folder.
An installed cxlib (a wheel, ``pip install .``) carries a copy in ``cxlib/_notebooks/``
(the build hook in ``setup.py``); a source checkout or the editable install the README sets
up reads ``notebooks/`` next to the package. Either way ``cx report`` finds them from any
working directory. ``CX_NOTEBOOKS`` points elsewhere (e.g. a study's own copy). :func:`export_notebooks` writes ``.ipynb`` copies, which plain
papermill can read (it cannot read the ``.py`` files).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.io import atomic_write_text
from ..errors import CXDataError

#: Environment variable naming a notebooks folder to use instead of the bundled one.
NOTEBOOKS_ENV = "CX_NOTEBOOKS"

#: Where the notebooks are looked for, in order: the copy inside an installed package, the
#: repository's folder beside the package (source checkout, editable install).
_PACKAGED = Path(__file__).resolve().parents[1] / "_notebooks"
_CHECKOUT = Path(__file__).resolve().parents[2] / "notebooks"


def notebooks_dir() -> Path:
    """The folder with the report's notebooks and ``report.toml``.

    ``$CX_NOTEBOOKS`` if set; else ``cxlib/_notebooks/`` of an installed package (built
    wheels carry the notebooks there); else the ``notebooks/`` folder beside the package (a
    source checkout or an editable install). Paths under the working directory are returned
    relative to it (so reports rendered in two clones stay byte-identical).

    Raises
    ------
    CXDataError
        When none of them holds a ``report.toml``.
    """
    env = os.environ.get(NOTEBOOKS_ENV)
    candidates = [Path(env)] if env else [_PACKAGED, _CHECKOUT]
    folder = next((c for c in candidates if (c / "report.toml").is_file()), candidates[-1])
    if not (folder / "report.toml").is_file():
        where = f"${NOTEBOOKS_ENV}={env!r}" if env else " or ".join(repr(str(c)) for c in candidates)
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
