"""Datasets on disk: Parquet tables, the planted truth and a manifest; fingerprints.

A dataset is a directory holding one Parquet file per table (``customers.parquet``,
``survey.parquet``, ``touchpoints.parquet``, ``tickets.parquet``, ``journeys.parquet``),
the planted truth (``truth.json`` plus ``truth_segments.parquet``) and a
``manifest.json`` (seed, sizes, row counts, generator version). Every file is written
atomically (:mod:`cxlib.core.io`): to a temporary file in the same directory, then
``os.replace``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.io import atomic_write_text, atomic_write_with
from ..errors import CXDataError
from .schema import SCHEMA, TABLES, CXData, check_table, coerce_table


#: ``manifest.json`` "kind" of a dataset written by :func:`cxlib.data.importer.import_study`.
IMPORT_KIND = "cxlib study import"


def default_data_dir() -> Path:
    """``data/synthetic`` resolved against the current working directory."""
    return (Path.cwd() / "data" / "synthetic").resolve()


def _json_text(obj: Any) -> str:
    """Strict JSON (no NaN), keys sorted: the same content always gives the same bytes."""
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write_with(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))


def write_dataset(data: CXData, path: str | os.PathLike) -> Path:
    """Write ``data`` to directory ``path`` (created if needed); return the path.

    Writes ``<table>.parquet`` for each of :data:`TABLES`, ``truth.json`` and
    ``truth_segments.parquet`` (when ``data.truth`` is set) and last ``manifest.json``
    (seed, parameters, row counts, generator version). Each file is written to a
    temporary file in the same directory and renamed into place (``os.replace``), so a
    reader never sees a half-written file and a failed write leaves no partial file.

    Raises
    ------
    CXDataError
        If ``data`` is not a :class:`CXData` or a table does not match :data:`SCHEMA`.
    """
    if not isinstance(data, CXData):
        raise CXDataError(f"`data` must be a CXData (from cx.synthesize or cx.load_dataset), got {type(data).__name__}")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in data.tables().items():
        check_table(name, frame)
        _write_parquet(out / f"{name}.parquet", frame)
    truth = data.truth
    if truth is not None:
        _write_parquet(out / "truth_segments.parquet", truth.customer_segments)
        atomic_write_text(out / "truth.json", _json_text(truth.to_dict()))
    manifest = {
        "generator_version": truth.generator_version if truth is not None else None,
        "seed": truth.seed if truth is not None else None,
        "parameters": truth.parameters if truth is not None else None,
        "row_counts": {name: int(len(frame)) for name, frame in data.tables().items()},
        "files": [f"{t}.parquet" for t in TABLES] + (["truth.json", "truth_segments.parquet"] if truth is not None else []),
    }
    atomic_write_text(out / "manifest.json", _json_text(manifest))
    return out


def _read_parquet(file: Path, what: str) -> pd.DataFrame:
    if not file.is_file():
        raise CXDataError(
            f"dataset file {file.name!r} is missing from {str(file.parent)!r}; expected {what}. "
            "Regenerate the dataset with cx.write_dataset(cx.synthesize(seed=...), path)."
        )
    try:
        return pd.read_parquet(file, engine="pyarrow")
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError, its IO errors OSErrors
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CXDataError(
            f"dataset file {str(file)!r} cannot be read as Parquet (truncated or corrupt: {first}); expected "
            f"{what}. Regenerate the dataset (cx data synth, or cx.write_dataset) or import it again."
        ) from None


def load_dataset(path: str | os.PathLike) -> CXData:
    """Read a dataset written by :func:`write_dataset`.

    Returns
    -------
    CXData
        Tables with the dtypes of :data:`SCHEMA`; ``truth`` restored from
        ``truth.json`` and ``truth_segments.parquet`` (``None`` if the dataset has none).

    Raises
    ------
    CXDataError
        If the directory, the manifest or a table is missing, or a table is not readable
        Parquet (truncated or corrupt), naming the file.
    """
    root = Path(path)
    if not root.is_dir():
        raise CXDataError(
            f"dataset directory {str(root)!r} does not exist; expected a directory with "
            f"{[f'{t}.parquet' for t in TABLES]} and manifest.json. Create it with "
            "cx.write_dataset(cx.synthesize(seed=0), path) or cx.ensure_dataset(path)."
        )
    manifest_file = root / "manifest.json"
    if not manifest_file.is_file():
        raise CXDataError(
            f"dataset file 'manifest.json' is missing from {str(root)!r}; expected it to be written "
            "last by cx.write_dataset (its absence means the write did not finish)"
        )
    manifest = _read_manifest(manifest_file)
    if manifest.get("kind") == IMPORT_KIND:
        return _load_imported(root, manifest)
    tables = {}
    for t in TABLES:
        frame = _read_parquet(root / f"{t}.parquet", f"the {t!r} table with columns {list(SCHEMA[t])}")
        tables[t] = coerce_table(t, frame)
    truth = None
    if "truth.json" in manifest.get("files", []):
        truth_file = root / "truth.json"
        if not truth_file.is_file():
            raise CXDataError(f"dataset file 'truth.json' is missing from {str(root)!r}; expected the planted truth")
        segments = _read_parquet(root / "truth_segments.parquet", "columns ['customer_id', 'segment']")
        from .synthetic.truth import PlantedTruth  # local: only synthetic datasets carry a truth

        truth = PlantedTruth.from_dict(json.loads(truth_file.read_text(encoding="utf-8")), segments)
    return CXData(**tables, truth=truth)


def _read_manifest(file: Path) -> dict[str, Any]:
    """The manifest as a mapping, or a :class:`CXDataError` naming the file when it is not
    readable JSON (truncated, edited by hand, or written by something else)."""
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CXDataError(f"dataset file {str(file)!r} is not a readable manifest ({exc}); write the dataset again "
                          "(cx data synth, or cx data import for a study)") from None
    if not isinstance(manifest, dict):
        raise CXDataError(f"dataset file {str(file)!r} is not a manifest: expected a JSON object, got "
                          f"{type(manifest).__name__}; write the dataset again")
    return manifest


def _load_imported(root: Path, manifest: dict[str, Any]) -> CXData:
    """An imported study (``cx data import``): its tables as imported, with the source's column
    ids, and ``study.json`` (roles, scales, labels) as ``study``; a table the study lacks is an
    empty frame."""
    files = manifest.get("files", [])
    tables = {t: _read_parquet(root / f"{t}.parquet", f"the imported {t!r} table") if f"{t}.parquet" in files
              else pd.DataFrame() for t in TABLES}
    study_file = root / "study.json"
    if "study.json" in files and not study_file.is_file():
        raise CXDataError(f"dataset file 'study.json' is missing from {str(root)!r}; expected the study's roles "
                          "and scales (import the study again with cx data import)")
    study = json.loads(study_file.read_text(encoding="utf-8")) if "study.json" in files else None
    return CXData(**tables, study=study)


def load_transactions(path: str | os.PathLike) -> pd.DataFrame | None:
    """The transactions table of an imported study (one row per purchase), or ``None`` when the
    dataset has none (the synthetic data, a study without ``[sources.transactions]``).

    :class:`CXData` holds the five survey-linked tables; a study's transactions are written
    beside them by :func:`cxlib.import_study` and read here (columns as the study names them:
    see its ``[roles.transactions]``; ``customer_id`` pseudonymised like the other tables).

    Examples
    --------
    >>> import tempfile
    >>> load_transactions(tempfile.mkdtemp()) is None
    True
    """
    root = Path(path)
    manifest_file = root / "manifest.json"
    files = json.loads(manifest_file.read_text(encoding="utf-8")).get("files", []) if manifest_file.is_file() else []
    if "transactions.parquet" not in files:
        return None
    return _read_parquet(root / "transactions.parquet", "the imported 'transactions' table")


def ensure_dataset(path: str | os.PathLike | None = None, *, seed: int = 0, **synth_kwargs: Any) -> CXData:
    """Load the dataset at ``path``, generating and writing it first if absent.

    Parameters
    ----------
    path : path-like, optional
        Dataset directory; default :func:`default_data_dir` (``./data/synthetic``).
    seed : int
        Seed passed to :func:`cxlib.synthesize` when generating.
    **synth_kwargs
        Other arguments of :func:`cxlib.synthesize` (``n_customers``, ``quarters``,
        ``end_quarter``).

    Raises
    ------
    CXDataError
        If a dataset exists at ``path`` but was generated with a different seed or
        parameters than requested (delete the directory or pass the matching ones).
    """
    root = Path(path) if path is not None else default_data_dir()
    manifest_file = root / "manifest.json"
    if manifest_file.is_file():
        manifest = _read_manifest(manifest_file)
        wanted = {"seed": int(seed), **synth_kwargs}
        have = {"seed": manifest.get("seed"), **(manifest.get("parameters") or {})}
        clash = {k: (v, have.get(k)) for k, v in wanted.items() if k in have and have[k] != v}
        if clash:
            raise CXDataError(
                f"the dataset at {str(root)!r} was generated with different settings "
                f"(requested vs stored: {clash}); delete the directory to regenerate or request the stored settings"
            )
        return load_dataset(root)
    from .synthetic.generator import synthesize  # local: loading and writing need no generator

    write_dataset(synthesize(seed, **synth_kwargs), root)
    return load_dataset(root)


def fingerprint(path_or_paths: str | os.PathLike | Iterable[str | os.PathLike]) -> str:
    """A short, stable SHA-256 digest (16 hex characters) of the input files' bytes.

    A directory contributes every regular file below it (hidden files such as
    in-progress temporary files are skipped). Files are taken in order of their names
    relative to the directory given (or to the common parent of the files given); the
    digest covers each relative name and each file's bytes, so it changes when a file
    is renamed, added, removed or edited, and does not depend on where the dataset lives.

    Notes
    -----
    The digest is the first 16 hex characters of SHA-256 over, for each file in order of
    its relative name: ``name + b"\\0" + str(size) + b"\\0" + bytes``. When several
    directories are given, each name is prefixed with its directory's name.

    Raises
    ------
    CXDataError
        If a path does not exist or no file is found.
    """
    paths = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    if not paths:
        raise CXDataError("`path_or_paths` is empty: give a dataset directory or a list of files")
    entries: dict[str, Path] = {}
    loose: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                    entries[rel.as_posix() if len(paths) == 1 else f"{p.name}/{rel.as_posix()}"] = f
        elif p.is_file():
            loose.append(p)
        else:
            raise CXDataError(f"`path_or_paths` entry {str(p)!r} does not exist; expected a file or directory")
    if loose:
        parent = Path(os.path.commonpath([str(f.resolve().parent) for f in loose]))
        for f in loose:
            entries[f.resolve().relative_to(parent).as_posix()] = f
    if not entries:
        raise CXDataError(f"no files found under {[str(p) for p in paths]}")
    h = hashlib.sha256()
    for rel in sorted(entries):
        data = entries[rel].read_bytes()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()[:16]
