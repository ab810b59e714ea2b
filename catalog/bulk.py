"""The databases' own bulk paths for rows far too many for model instances: COPY on PostgreSQL,
executemany on SQLite (Django's bulk_create spends most of its time building objects and SQL)."""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
from django.db import connection


def insert_rows(
    table: str, frame: pd.DataFrame, *, chunk_rows: int = 100_000, on_chunk: Callable[[int], None] | None = None
) -> None:
    """Insert every row of ``frame`` (columns named as the table's) into ``table``, in chunks."""
    for start in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[start : start + chunk_rows]
        if connection.vendor == "postgresql":
            _copy_chunk(table, chunk)
        else:
            _executemany_insert(table, chunk)
        if on_chunk:
            on_chunk(len(chunk))


@contextmanager
def foreign_keys_checked_once(table: str) -> Iterator[None]:
    """On PostgreSQL, check the table's foreign keys in one pass at the end instead of a trigger per row.

    The constraints are dropped and added back inside the caller's transaction (so nothing is left without
    them, and a bad reference still fails the whole import); the table is locked meanwhile. Elsewhere a no-op.
    """
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        foreign_keys = {name: c for name, c in constraints.items() if c["foreign_key"]}
        for name in foreign_keys:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for name, c in foreign_keys.items():
            target_table, target_column = c["foreign_key"]
            cursor.execute(
                f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} FOREIGN KEY ({qn(c['columns'][0])}) "
                f"REFERENCES {qn(target_table)} ({qn(target_column)}) DEFERRABLE INITIALLY DEFERRED"
            )


def update_rows(table: str, frame: pd.DataFrame, *, key: str) -> None:
    """Set the other columns of ``frame`` on the rows whose ``key`` column matches."""
    if frame.empty:
        return
    qn = connection.ops.quote_name
    columns = [c for c in frame.columns if c != key]
    assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
    sql = f"UPDATE {qn(table)} SET {assignments} WHERE {qn(key)} = %s"
    rows = frame[[*columns, key]].itertuples(index=False, name=None)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [tuple(_plain(v) for v in row) for row in rows])


def _executemany_insert(table: str, chunk: pd.DataFrame) -> None:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in chunk.columns)
    placeholders = ", ".join(["%s"] * len(chunk.columns))
    sql = f"INSERT INTO {qn(table)} ({columns}) VALUES ({placeholders})"
    connection.ensure_connection()
    # The driver's own executemany: Django's wrapper adds per-row work and, under DEBUG, query logging.
    connection.connection.executemany(sql.replace("%s", "?"), chunk.itertuples(index=False, name=None))


def _copy_chunk(table: str, chunk: pd.DataFrame) -> None:
    qn = connection.ops.quote_name
    buffer = io.StringIO()
    chunk.to_csv(buffer, index=False, header=False)
    columns = ", ".join(qn(c) for c in chunk.columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {qn(table)} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())


def _plain(value):
    """numpy scalars to Python ones, for drivers that do not adapt them."""
    return value.item() if hasattr(value, "item") else value


def analyze(*tables: str) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (until autovacuum does, a freshly loaded table
    looks empty and an indexed read turns into a sequential scan); elsewhere a no-op."""
    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {qn(table)}")
