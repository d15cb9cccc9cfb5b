"""Survey responses from a database: DuckDB files, or any database SQLAlchemy reaches.

Used by :func:`cxlib.data.readers.read_survey` for ``format="sql"``. ``duckdb:///path``
URLs (``duckdb:////abs/path.duckdb`` for an absolute path, as in SQLAlchemy) are opened
read-only with the duckdb package; any other URL goes through SQLAlchemy and
:func:`pandas.read_sql` (SQLite files are opened read-only, so a mistyped path is not
created). A password in the URL never reaches a message or the returned source.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CXDataError


def read_query(url: str, query: str) -> tuple[pd.DataFrame, str]:
    """The rows ``query`` returns from the database at ``url``, and the URL without password.

    ``query`` is a SELECT statement or a bare table name (``survey``,
    ``analytics.survey``), read as ``select * from <name>``.

    Raises
    ------
    CXDataError
        The database file does not exist, the driver is not installed, the URL is not
        a database URL, or the query fails (the message quotes its first line).

    Examples
    --------
    >>> frame, source = read_query("duckdb:///:memory:", "select 1 as id, 4 as osat")
    >>> frame.to_dict("records"), source
    ([{'id': 1, 'osat': 4}], 'duckdb:///:memory:')
    """
    safe = safe_url(str(url))
    sql = _as_query(query)
    if str(url).startswith("duckdb:"):
        return _read_duckdb(str(url), sql, safe, query), safe
    return _read_sqlalchemy(str(url), sql, safe, query), safe


def duckdb_url(path: Any) -> str:
    """The ``duckdb:///`` URL of a DuckDB file path.

    Examples
    --------
    >>> duckdb_url("/data/survey.duckdb")
    'duckdb:////data/survey.duckdb'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise CXDataError(f"format='sql' reads a .duckdb path or url=; got {type(path).__name__}")
    return f"duckdb:///{Path(path).expanduser()}"


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``.

    Examples
    --------
    >>> safe_url("postgresql://analyst:s3cret@db.example.org/cx")
    'postgresql://analyst:***@db.example.org/cx'
    """
    if "@" not in url:  # no credentials: keep the URL exactly as given
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not parseable by SQLAlchemy: strip user:password@ by pattern
        return re.sub(r"(//[^/:@]*):[^@/]*@", r"\1:***@", url)

def _sql_error(safe: str, query: str, err: BaseException, secret: str | None) -> CXDataError:
    first = query.strip().splitlines()[0] if query.strip() else query
    detail = getattr(err, "orig", None) or err  # SQLAlchemy wraps the driver's error: show the driver's
    message = " ".join(str(detail).split()) or type(detail).__name__
    if secret:
        message = message.replace(secret, "***")
    return CXDataError(f"{safe}: the query {first!r} failed: {message[:500]}")


def _as_query(query: str) -> str:
    text = query.strip().rstrip(";")
    return f"select * from {text}" if re.fullmatch(r"[A-Za-z_][\w.]*", text) else text


def _read_duckdb(url: str, sql: str, safe: str, query: str) -> pd.DataFrame:
    import duckdb

    database = re.sub(r"^duckdb:(///?)?", "", url).split("?", 1)[0] or ":memory:"
    if database != ":memory:" and not Path(database).expanduser().is_file():
        if not Path("/" + database).is_file():  # duckdb:///home/me/x.duckdb meant as an absolute path
            raise CXDataError(f"{safe}: database file not found: {database} (an absolute path takes four "
                              "slashes: duckdb:////home/me/survey.duckdb)")
        database = "/" + database
    try:
        con = duckdb.connect(database, read_only=database != ":memory:")
    except duckdb.Error as err:
        raise CXDataError(f"{safe}: cannot open the DuckDB database: {err}") from None
    try:
        return con.execute(sql).df()
    except duckdb.Error as err:
        raise _sql_error(safe, query, err, None) from None
    finally:
        con.close()


def _read_sqlalchemy(url: str, sql: str, safe: str, query: str) -> pd.DataFrame:
    import sqlalchemy
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise CXDataError(f"{safe}: not a database URL (e.g. 'duckdb:///survey.duckdb', "
                          "'postgresql://user@host/db')") from None
    secret = parsed.password
    parsed = _sqlite_read_only(parsed, safe)
    try:
        engine = sqlalchemy.create_engine(parsed)
    except ImportError as err:
        raise CXDataError(f"{safe}: the database driver is not installed ({err}); install it with pip") from None
    except sqlalchemy.exc.SQLAlchemyError as err:
        message = str(err).replace(secret, "***") if secret else str(err)
        raise CXDataError(f"{safe}: cannot use this database URL: {message}") from None
    try:
        with engine.connect() as con:
            return pd.read_sql(sqlalchemy.text(sql), con)
    except (sqlalchemy.exc.SQLAlchemyError, ImportError, OSError, ValueError) as err:
        raise _sql_error(safe, query, err, secret) from None
    finally:
        engine.dispose()


def _sqlite_read_only(url: Any, safe: str) -> Any:
    """A SQLite file URL opened read-only (SQLite would otherwise create a missing file)."""
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:") \
            or url.database.startswith("file:"):
        return url
    if not Path(url.database).expanduser().is_file():
        raise CXDataError(f"{safe}: database file not found: {url.database}")
    return url.set(database=f"file:{url.database}", query={**url.query, "mode": "ro", "uri": "true"})
