"""Privacy: columns that identify people, and pseudonyms for the ids that link tables.

Survey exports carry columns a CX analysis never needs and a report must never show:
IP addresses, e-mail addresses, names, phone numbers, geolocation, and the Qualtrics
recipient and external-reference fields. :func:`identifying_columns` finds them by name,
:func:`drop_identifying` removes them (unless a study keeps them by name), and
:func:`pseudonymise` replaces customer ids by keyed hashes, so that tables still link
but the ids in the dataset and the reports are not the ids in the CRM.

Names are matched on their *normalised* form: lower case with everything but letters and
digits removed, so ``"IP Address"``, ``"ip_address"`` and ``"IPAddress"`` are all
``"ipaddress"``. Each pattern in :data:`IDENTIFYING_PATTERNS` must match the whole
normalised name (``re.fullmatch``): ``"email"`` and ``"RecipientEmail"`` match,
``"Ease of online booking"`` does not. The patterns err on the side of privacy: a
column such as ``email_opt_in`` is dropped too, and a study keeps it by name
(``[privacy] keep = ["email_opt_in"]``).
"""

from __future__ import annotations

import hashlib
import hmac
import numbers
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CXDataError

#: ``(kind, pattern)`` pairs; a column is identifying when its normalised name (lower
#: case, letters and digits only) fully matches one of the patterns.
IDENTIFYING_PATTERNS: tuple[tuple[str, str], ...] = (
    ("IP address", r"(client|remote|user|respondent)?ip(address|addr|v4|v6)?|remoteaddr"),
    ("e-mail", r"[a-z0-9]*email[a-z0-9]*|mail(address|addr)?"),
    ("name", r"(recipient|customer|respondent|contact|participant|person|user|account"
             r"|passenger|guest|client|member|patient|traveller|traveler|employee|student)?"
             r"(first|last|full|given|family|middle|sur|fore|display)?name"),
    ("name", r"vorname|nachname|prenom|nomdefamille"),
    ("phone", r"[a-z]*(tele)?phone(number|num|no|nr)?|(mobile|cell|tel|telephone)(number|num|no|nr)|tel|telefon(nummer)?"),
    ("latitude/longitude", r"(location|geo|gps)?(latitude|longitude|lat|lng|lon)"),
    ("postal address", r"(street|postal|home|mailing)?address(line)?\d?"),
    ("external reference", r"external(data)?ref(erence)?"),
)

_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in IDENTIFYING_PATTERNS)

#: Qualtrics' own ids of its identifying metadata columns (row 3 of an export,
#: ``{"ImportId": ...}``): matched whatever the column is called in rows 1 and 2.
QUALTRICS_IDENTIFYING = frozenset({
    "ipaddress", "recipientemail", "recipientfirstname", "recipientlastname",
    "externaldatareference", "locationlatitude", "locationlongitude",
})


def normalise_name(name: Any) -> str:
    """``name`` in lower case with every character but letters and digits removed.

    Examples
    --------
    >>> normalise_name("IP Address"), normalise_name("E-Mail"), normalise_name("last_name")
    ('ipaddress', 'email', 'lastname')
    """
    return re.sub(r"[^0-9a-z]", "", str(name).casefold())


def identifying_kind(name: Any) -> str | None:
    """What kind of identifying column ``name`` is (``"e-mail"``, ``"name"`` …), or None.

    Examples
    --------
    >>> identifying_kind("RecipientEmail"), identifying_kind("LocationLatitude"), identifying_kind("Q1")
    ('e-mail', 'latitude/longitude', None)
    """
    norm = normalise_name(name)
    if not norm:
        return None
    for kind, pattern in _COMPILED:
        if pattern.fullmatch(norm):
            return kind
    return None


def identifying_columns(columns: Iterable[Any], *, keep: Iterable[str] = ()) -> list[str]:
    """The columns among ``columns`` that identify people, in their order.

    Parameters
    ----------
    columns : iterable of str
        Column names (e.g. ``frame.columns``).
    keep : iterable of str, optional
        Columns to keep although they match (compared on normalised names, so
        ``"ip address"`` keeps ``"IPAddress"``).

    Returns
    -------
    list of str
        The identifying columns: IP address, e-mail, first/last/full name, phone,
        latitude/longitude, postal address, the Qualtrics recipient fields
        (``RecipientEmail``, ``RecipientFirstName``, ``RecipientLastName``) and external
        references (``ExternalReference``, ``ExternalDataReference``); see
        :data:`IDENTIFYING_PATTERNS`.

    Examples
    --------
    >>> identifying_columns(["ResponseId", "IPAddress", "Q1", "RecipientEmail", "LocationLatitude"])
    ['IPAddress', 'RecipientEmail', 'LocationLatitude']
    >>> identifying_columns(["id", "e-mail", "Phone"], keep=["phone"])
    ['e-mail']
    """
    kept = {normalise_name(k) for k in _names(keep, "keep")}
    return [str(c) for c in columns if identifying_kind(c) is not None and normalise_name(c) not in kept]


def drop_identifying(frame: pd.DataFrame, *, keep: Iterable[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` without its identifying columns, and the names of the dropped columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Not modified.
    keep : iterable of str, optional
        Identifying columns to keep by name (see :func:`identifying_columns`).

    Returns
    -------
    (pandas.DataFrame, list of str)
        A new frame without the identifying columns; the dropped column names.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": [1, 2], "Email": ["a@x.org", "b@x.org"], "osat": [4, 5]})
    >>> kept, dropped = drop_identifying(frame)
    >>> list(kept.columns), dropped
    (['id', 'osat'], ['Email'])
    """
    if not isinstance(frame, pd.DataFrame):
        raise CXDataError(f"`frame` must be a pandas DataFrame, got {type(frame).__name__}")
    dropped = identifying_columns(frame.columns, keep=keep)
    positions = [i for i, c in enumerate(frame.columns) if str(c) not in set(dropped)]
    return frame.iloc[:, positions].copy(), dropped


def pseudonymise(ids: Any, *, salt: bytes) -> pd.Series:
    """Replace ids by keyed hashes: HMAC-SHA256 of the id's text, first 16 hex digits.

    The same id and salt always give the same pseudonym (tables still link); another
    salt gives other pseudonyms; without the salt the ids cannot be recovered by hashing
    candidate ids. Integer-valued numbers are hashed as integers, so ``100002`` and
    ``100002.0`` (an integer id column with gaps) give the same pseudonym; text is
    stripped of surrounding spaces. Missing ids stay missing.

    Parameters
    ----------
    ids : pandas.Series or sequence
        The ids (numbers or text). Not modified.
    salt : bytes
        The secret key, at least 16 bytes (see :func:`load_or_create_salt`).

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index and name as ``ids``.

    Notes
    -----
    ``pseudonym = HMAC-SHA256(key=salt, message=UTF-8 text of the id)[:16 hex digits]``
    (64 bits: collisions are negligible below millions of ids).

    References
    ----------
    RFC 2104, HMAC: Keyed-Hashing for Message Authentication; RFC 4231, test vectors.

    Examples
    --------
    >>> p = pseudonymise([100002, 100002.0, " 100002 ", None], salt=b"0123456789abcdef")
    >>> p.nunique(), len(p[0]), p.isna().tolist()
    (1, 16, [False, False, False, True])
    """
    if not isinstance(salt, (bytes, bytearray)):
        raise CXDataError(f"`salt` must be bytes (see load_or_create_salt), got {type(salt).__name__}")
    if len(salt) < 16:
        raise CXDataError(f"`salt` must be at least 16 bytes, got {len(salt)}")
    series = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype=object)
    key = bytes(salt)
    values = [
        pd.NA if text is None else hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        for text in map(_id_text, series.tolist())
    ]
    return pd.Series(values, index=series.index, name=series.name, dtype="string")


def _id_text(value: Any) -> str | None:
    """The canonical text of an id, or None when it is missing."""
    if _is_missing(value):
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))  # exact, also for int64 ids beyond 2**53
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value).strip()


def _is_missing(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def load_or_create_salt(path: str | os.PathLike) -> bytes:
    """The salt stored at ``path``: created once (32 random bytes, mode 0600), then reused.

    Keep the file outside anything that is shared or rendered (not in ``reports/``): with
    the salt, anyone holding a list of customer ids can recompute the pseudonyms.

    Parameters
    ----------
    path : str or os.PathLike
        The salt file. Created with its directory when missing: the bytes are written to
        a temporary file in the same directory (mode 0600) and linked into place, so a
        reader never sees a partial salt and two concurrent first runs end up with the
        same salt.

    Returns
    -------
    bytes
        32 bytes.

    Raises
    ------
    CXDataError
        If the file exists but does not hold exactly 32 bytes (a damaged salt would
        silently change every pseudonym).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = load_or_create_salt(pathlib.Path(tmp) / "salt")
    ...     again = load_or_create_salt(pathlib.Path(tmp) / "salt")
    >>> len(first), first == again
    (32, True)
    """
    target = Path(path).expanduser()
    if target.exists():
        return _read_salt(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(os.urandom(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # fails if another process created the salt meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: rename instead
            if not target.exists():
                os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return _read_salt(target)


def _read_salt(path: Path) -> bytes:
    if not path.is_file():
        raise CXDataError(f"{path}: the salt path exists but is not a file")
    data = path.read_bytes()
    if len(data) != 32:
        raise CXDataError(
            f"{path}: a salt file holds 32 bytes, this one holds {len(data)}; it is damaged or not a salt "
            "(restore it from a backup: a new salt changes every pseudonym)")
    return data


def _names(values: Iterable[str], argument: str) -> list[str]:
    if isinstance(values, str):
        return [values]
    try:
        return [str(v) for v in values]
    except TypeError:
        raise CXDataError(f"`{argument}` must be a list of column names, got {type(values).__name__}") from None
