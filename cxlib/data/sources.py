"""Where a study's large tables live: Parquet files and folders, Spark tables.

Source-level helpers shared by the import's reader (:func:`cxlib.read_survey` reads a
Parquet folder and a Spark table into pandas) and the lazy study (:func:`cxlib.open_study`
analyses them in place): the files of a Parquet folder and their common schema (from the
footers only, with errors that name the files and the columns), and the Spark session and
table of a ``format = "spark"`` source.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import CXDataError
from .study import parquet_files

#: A table name: ``answers``, ``analytics.answers``, ``catalog.analytics.answers``.
TABLE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*){0,2}")


def parquet_schema(path: str | os.PathLike) -> tuple[list[Path], Any, list[str]]:
    """The Parquet files of a file or folder, their common schema and the Hive partition keys.

    Only the files' footers are read. Partition keys come from folder names ``key=value``.

    Raises
    ------
    CXDataError
        The folder holds no Parquet files; a file cannot be read as Parquet; the files'
        schemas differ (naming the first file, the other file and the columns); the files
        sit under different partition keys.

    Examples
    --------
    >>> import pathlib, tempfile, duckdb
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "region=EU").mkdir()
    >>> duckdb.sql("select 10 as ltr").write_parquet(str(d / "region=EU" / "a.parquet"))
    >>> files, schema, keys = parquet_schema(d)
    >>> len(files), schema.names, keys
    (1, ['ltr'], ['region'])
    """
    import pyarrow.parquet as pq

    root = Path(path)
    files = [root] if root.is_file() else parquet_files(root)
    if not files:
        raise CXDataError(f"{root}: the folder holds no Parquet files (*.parquet, searched in subfolders too)")
    keys_of = {f: [p.split("=", 1)[0] for p in f.relative_to(root).parts[:-1] if "=" in p] if root.is_dir() else []
               for f in files}
    schemas = {}
    for f in files:
        try:
            schemas[f] = pq.read_schema(f).remove_metadata()
        except Exception as err:  # noqa: BLE001 - pyarrow raises several kinds for a broken footer
            raise CXDataError(f"{f}: cannot be read as Parquet: {str(err).splitlines()[0]}") from None
    first = files[0]
    for f in files[1:]:
        if not schemas[f].equals(schemas[first]):
            raise CXDataError(f"{root}: the Parquet files' schemas differ: {f.relative_to(root) if root.is_dir() else f} "
                              f"vs {first.relative_to(root) if root.is_dir() else first}: "
                              f"{_schema_difference(schemas[first], schemas[f])}; rewrite the files with one schema")
        if keys_of[f] != keys_of[first]:
            raise CXDataError(f"{root}: the files sit under different partition keys: {keys_of[first]} for "
                              f"{first.relative_to(root)}, {keys_of[f]} for {f.relative_to(root)}")
    return files, schemas[first], keys_of[first]


def _schema_difference(a: Any, b: Any) -> str:
    """What differs between two Arrow schemas, in words."""
    parts = []
    only_a = [n for n in a.names if n not in b.names]
    only_b = [n for n in b.names if n not in a.names]
    if only_a:
        parts.append(f"columns only in the first: {only_a}")
    if only_b:
        parts.append(f"columns only in the other: {only_b}")
    changed = [f"{n} ({a.field(n).type} vs {b.field(n).type})" for n in a.names
               if n in b.names and a.field(n).type != b.field(n).type]
    if changed:
        parts.append(f"types differ: {changed}")
    if not parts:
        parts.append(f"column order {a.names} vs {b.names}")
    return "; ".join(parts)


def spark_session(url: str | None = None, session: Any = None) -> Any:
    """The Spark session to use: ``session``, else Spark Connect at ``url``, else
    ``SparkSession.builder.getOrCreate()`` (which honours ``SPARK_REMOTE``).

    A ``url`` (``sc://host:15002``) is opened with the Spark Connect client's own builder,
    which also works in a process that runs a classic session (PySpark's generic
    ``SparkSession.builder.remote(url)`` refuses there) and leaves that session's mode
    alone. Its ``getOrCreate`` returns the process's active Connect session if there is one.
    """
    if session is not None:
        return session
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise CXDataError("a Spark source needs PySpark: pip install 'cxlib[spark]' (and Java 17)") from None
    if not url:
        return SparkSession.builder.getOrCreate()
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError as err:  # the client's gRPC packages: pyspark[connect]
        raise CXDataError(f"a Spark Connect url ({url}) needs the Connect client: pip install 'cxlib[spark]' "
                          f"(pyspark[connect]); {err}") from None
    return ConnectSession.builder.remote(url).getOrCreate()


def spark_table(query: str, *, url: str | None = None, session: Any = None) -> Any:
    """A Spark DataFrame: a catalog table (a bare name such as ``cx.survey``) or a Spark SQL query.

    Raises
    ------
    CXDataError
        The table does not exist (with the tables of the current database) or the query fails.
    """
    spark = spark_session(url, session)
    text = query.strip().rstrip(";")
    if TABLE_NAME.fullmatch(text):
        if not spark.catalog.tableExists(text):
            names = [t.name for t in spark.catalog.listTables()]
            raise CXDataError(f"Spark table {text!r} does not exist; tables in the current database: {names}")
        return spark.table(text)
    try:
        return spark.sql(text)
    except Exception as err:  # noqa: BLE001 - Spark's AnalysisException and friends
        first = text.splitlines()[0] if text else text
        raise CXDataError(f"the Spark query {first!r} failed: {' '.join(str(err).split())[:400]}") from None
