"""Atomic file writes: write to a temporary file beside the target, then rename.

An interrupted write never leaves a half-written file in place: either the old file
(or none) is there, or the complete new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any



def atomic_write_with(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` to produce the file, then move it onto ``path``.

    The temporary file lives in the same directory (so the rename is atomic on POSIX)
    and is removed if ``write`` raises.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp creates 0600; use the usual mode
        write(tmp_path)
        with open(tmp_path, "rb+") as fh:  # the bytes are on disk before the rename
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write_with(path, lambda p: p.write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, *, sort_keys: bool = True) -> Path:
    """Write ``obj`` as stable JSON (2-space indent; keys sorted unless ``sort_keys=False``,
    when insertion order is kept) atomically."""
    text = json.dumps(obj, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=_json_default) + "\n"
    return atomic_write_text(path, text)


def _json_default(obj: Any) -> Any:
    # numpy scalars, pandas Timestamps and the like
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
